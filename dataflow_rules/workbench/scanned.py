"""A corpus read the way ``scan`` reads a tree: transfer manifests, Fides manifests (with
their sidecars), ODCS contracts; everything else (CI workflows, waiver files, Helm
values) skipped as scan skips it.

``diff --corpus examples/`` must see the transfers ``scan examples/`` sees. Rather than a
second reader with its own recognition rules, this drives scan's own walker and per-file
reader (:class:`dataflow_rules.scan.runner._Scanner`), replacing only its last step:
instead of deciding each adapted transfer, it hands the transfer to the diff, which
decides it under both catalogue versions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..models.decision import Verdict
from ..models.policies import Policies
from ..models.scan import Place, TransferResult
from ..scan import runner
from ..scan.adapted import AdaptedTransfer
from ..scan.mapping import load_fides_map, load_odcs_map
from ..scan.waivers import Waivers
from ..scan.walk import Walker
from .corpus import Raw


class _Reader(runner._Scanner):
    """scan's reader with deciding replaced by collecting."""

    def __init__(self, policies: Policies, options: runner.ScanOptions) -> None:
        fmap = load_fides_map(policies, options.fides_map)
        omap = load_odcs_map(policies, options.odcs_map)
        engine: Any = None  # never used: _decide is replaced
        super().__init__(policies, engine, fmap, omap, options, Waivers(), set())
        self.found: list[AdaptedTransfer] = []

    def _decide(self, file: str, adapted: AdaptedTransfer) -> TransferResult:
        self.found.append(adapted)
        return TransferResult.model_construct(
            id=adapted.id,
            source=adapted.source,
            place=Place.of(adapted.place),
            origin=adapted.origin,
            destination=adapted.destination,
            verdict=Verdict.REVIEW,  # a placeholder: nothing was decided
        )


def iter_scanned(path: Path, policies: Policies) -> Iterator[Raw | str]:
    """Every decidable transfer under ``path`` as scan recognises it, as (file, line,
    mapping); an unreadable or malformed file is one error line, as scan reports it."""
    cwd = Path.cwd().resolve()
    options = runner.ScanOptions(paths=(path,), cwd=cwd)
    walk = Walker(options.include, options.exclude, options.gitignore, cwd).walk([path])
    for missing in walk.missing:
        yield f"{missing}: no such file or directory"
    reader = _Reader(policies, options)
    for candidate in runner._with_manifests(walk.files, cwd):
        reader.found = []
        result = reader.file(candidate)
        if result.status == "error" and result.error is not None:
            where = result.error.place
            line = f":{where.line}" if where.line else ""
            yield f"{where.file}{line}: {result.error.message}"
            continue
        for adapted in reader.found:
            if adapted.transfer is not None:  # labels with no category: nothing to decide
                yield (
                    candidate.display,
                    adapted.place.line or 1,
                    adapted.transfer.model_dump(mode="json", exclude_unset=True),
                )
