"""The wheel's build step: the shipped catalogues and their suites live at the repository's top
level (``policies/``, ``policies-tests/``: real directories, so ``git show HEAD:policies/cn.yaml``,
``diff HEAD~1:policies`` and ``cp -r policies`` work), and a wheel carries copies of them inside
the package, where :mod:`dataflow_rules.shipped` finds them once installed. Everything else about
the build is declared in pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

# Top-level directory -> the files of it a wheel ships (the suites' examples/ is a link to the
# repository's examples/: the wheel holds copies of the transfers the suites name, not the link).
SHIPPED: dict[str, tuple[str, ...]] = {
    "policies": ("*.yaml",),
    "policies-tests": ("*.yaml", "examples/*.yaml", "examples/jurisdictions/*.yaml"),
}


class BuildWithCatalogues(build_py):
    """``build_py`` that also copies the shipped top-level directories into the package."""

    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        for name, patterns in SHIPPED.items():
            target = Path(self.build_lib) / "dataflow_rules" / name
            shutil.rmtree(target, ignore_errors=True)
            for pattern in patterns:
                for source in sorted((root / name).glob(pattern)):
                    copy = target / source.relative_to(root / name)
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, copy)


setup(cmdclass={"build_py": BuildWithCatalogues})
