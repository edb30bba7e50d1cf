"""Where the directories shipped with the tool are: ``policies/`` and ``policies-tests/``.

They are real directories at the repository's top level; a wheel carries copies inside the
package (setup.py's build step). So an installed package finds them beside its modules, and a
source checkout or an editable install finds them beside the package directory."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """The shipped directory ``name``: inside the installed package if it is there, else at the
    top level of the source tree the package was imported from. A missing directory is
    returned as is, so the caller's own error names the path it looked for."""
    installed = PACKAGE / name
    return installed if installed.is_dir() else PACKAGE.parent / name
