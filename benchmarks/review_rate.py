"""Review rate on realistic manifests: the share of categorised transfers that end in review,
with and without each repository's facts file (issue 19).

``python -m benchmarks.review_rate [DIR]`` scans every repository under DIR (default
examples/realistic: one directory per repository, each with its Fides and ODCS manifests
and a ``dataflow-rules.yaml`` stating the origin of its Fides manifests and the exporter's
facts) twice: once with the file's ``facts:``, once with the same scan options and no
facts. A transfer is *categorised* when it carries at least one data item. It prints the
verdict counts, the review share of each run, and for each review left with the facts
file the facts it waits for (what only the user can state).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from dataflow_rules.facts_file import read_facts
from dataflow_rules.models.decision import Verdict
from dataflow_rules.models.scan import ScanResult
from dataflow_rules.scan import config as cfg
from dataflow_rules.scan.flows import Defaults
from dataflow_rules.scan.runner import ScanOptions, scan

ROOT = Path(__file__).resolve().parent.parent
DAY = dt.date(2026, 12, 1)
"""The scans decide as of this day (fixed, so the figures repeat)."""


@dataclass
class Tally:
    verdicts: Counter[str] = field(default_factory=Counter)
    waiting: Counter[str] = field(default_factory=Counter)
    """Open facts named by the reviews, over all reviews."""
    reviews: list[tuple[str, list[str]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Files the scan could not read: the figures leave them out, so they are printed."""

    @property
    def total(self) -> int:
        return sum(self.verdicts.values())

    def share(self, verdict: str) -> float:
        return self.verdicts[verdict] / self.total if self.total else 0.0


def scan_repository(repo: Path, with_facts: bool) -> ScanResult:
    """One repository's scan, as `dataflow-rules scan` run at its root would do it."""
    config_path = repo / cfg.CONFIG_NAME
    loaded = cfg.load_config(config_path, config_path.name)
    origin = loaded.values.get("origin") if loaded is not None else None
    facts = read_facts(None, start=repo, config=config_path) if with_facts else None
    return scan(
        ScanOptions(
            paths=[repo],
            defaults=Defaults(str(origin[0]) if origin is not None else None, ()),
            as_of=DAY,
            decided_on=DAY,
            today=DAY,
            cwd=repo,
            config=config_path,
            facts=facts,
        )
    )


def measure(root: Path, with_facts: bool) -> Tally:
    out = Tally()
    for repo in sorted(p for p in root.iterdir() if (p / cfg.CONFIG_NAME).is_file()):
        result = scan_repository(repo, with_facts)
        for f in result.files:
            if f.status == "error":
                out.errors.append(f"{repo.name}/{f.path}: {f.error.message if f.error else f.reason}")
            for t in f.transfers:
                decision = t.decision
                if decision is None or not t.categories:
                    continue
                # What the user sees: the decision with the scan's own findings (an
                # unmapped label is a review finding of its own).
                out.verdicts[t.verdict.value] += 1
                if t.verdict is Verdict.REVIEW:
                    facts = _open_facts(decision) if decision.verdict is Verdict.REVIEW else []
                    facts += sorted({f"scan: {x.rule_id}" for x in t.findings if x.rule_id in _SCAN_FINDINGS})
                    out.waiting.update(facts)
                    out.reviews.append((f"{repo.name}/{f.path} {t.id}", facts))
    return out


_SCAN_FINDINGS = {"unmapped-label", "no-data-categories", "fides-key-outside-taxonomy"}


def _open_facts(decision: object) -> list[str]:
    """What a review waits for: the splits of a case analysis, else its missing facts, else
    the no-catalogue or review entries that stand (named by entry)."""
    cases = getattr(decision, "cases", None)
    if cases is not None and cases.splits:
        return sorted(set(_general(s) for s in cases.splits))
    found: set[str] = set()
    for r in decision.reasons:  # type: ignore[attr-defined]
        if r.verdict is not Verdict.REVIEW:
            continue
        if r.missing:
            found.update(_general(m) for m in r.missing)
        elif r.kind == "no_catalogue":
            found.add(f"no catalogue for {r.jurisdiction}")
        else:
            found.add(f"review entry {r.entry_id}")
    return sorted(found)


def _general(fact: str) -> str:
    """``data[3].individuals`` -> ``data[].individuals``: the kind of fact, for the summary."""
    if fact.startswith("data["):
        return "data[]." + fact.split("].", 1)[1] if "]." in fact else "data[]"
    if ": " in fact:  # an earlier record's unstated count
        return "earlier transfer: " + fact.split(": ", 1)[1]
    return fact


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else ROOT / "examples" / "realistic"
    without = measure(root, with_facts=False)
    with_ = measure(root, with_facts=True)
    manifests = sum(
        1 for p in root.rglob("*.yaml") if p.name != cfg.CONFIG_NAME and not p.name.endswith(".dataflow.yaml")
    )
    print(f"{manifests} manifests under {root.relative_to(ROOT) if root.is_relative_to(ROOT) else root}")
    for label, t in (("without facts files", without), ("with facts files", with_)):
        counts = ", ".join(f"{v} {t.verdicts[v]}" for v in ("allow", "review", "restrict"))
        print(f"{label:>20}: {t.total} categorised transfers: {counts}; review {t.share('review'):.0%}")
    for error in sorted(set(without.errors + with_.errors)):
        print(f"  error (not counted): {error}")
    print("\nReviews left with the facts files, and the facts they wait for:")
    for where, facts in with_.reviews:
        print(f"  {where}: {', '.join(facts) or '(none named)'}")
    print("\nOpen facts over those reviews:")
    for fact, n in with_.waiting.most_common():
        print(f"  {n:>3}  {fact}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
