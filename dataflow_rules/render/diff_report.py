"""``diff --format text|json|markdown``: the writers of a :class:`DiffResult`.

The result model is the diff's own (workbench/diff.py decides; this module only words what
it found); ``--format html`` is render/html_diff.py, which shares the ordering helpers here.
Each writer returns the whole report, so the command writes it as it is.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the result's shape only: a writer never runs the capability
    from ..workbench.diff import DiffResult, ReasonKey


VERDICT_ORDER = {"allow": 0, "review": 1, "restrict": 2}


def transition(old: str, new: str) -> str:
    """A transition as every diff report words it: a verdict that stays says its reasons moved."""
    return f"{old} -> {new}" if old != new else f"{old} -> {new} (reasons changed)"


def sorted_transitions(counts: Counter[tuple[str, str]]) -> list[tuple[tuple[str, str], int]]:
    """Transitions in verdict order (allow, review, restrict), from then to: the same in every format."""
    return sorted(counts.items(), key=lambda kv: (VERDICT_ORDER[kv[0][0]], VERDICT_ORDER[kv[0][1]]))


def to_json(result: DiffResult) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "old": result.old_label,
        "new": result.new_label,
        "transfers": result.total,
        "changed": len(result.changed),
        "not_decided": len(result.errors),
        "catalogue_changes": result.catalogue_changes,
        "transitions": [
            {"from": a, "to": b, "transfers": n}
            for (a, b), n in sorted_transitions(result.changed_transitions())
        ],
        "groups": [
            {
                "responsible": list(key),
                "transfers": len(items),
                "transitions": [
                    {"from": a, "to": b, "transfers": n}
                    for (a, b), n in sorted_transitions(Counter((c.old, c.new) for c in items))
                ],
                "changes": [
                    {
                        "transfer_id": c.transfer_id,
                        "source": f"{c.source}:{c.line}",
                        "from": c.old,
                        "to": c.new,
                        "removed_reasons": [_reason_json(k) for k in c.removed],
                        "added_reasons": [_reason_json(k) for k in c.added],
                    }
                    for c in sorted(items, key=lambda c: (c.source, c.line))
                ],
            }
            for key, items in result.groups()
        ],
        "errors": result.errors,
    }


def _reason_json(k: ReasonKey) -> dict[str, Any]:
    return {
        "jurisdiction": k[0],
        "side": k[1],
        "kind": k[2],
        "entry_id": k[3] or None,
        "verdict": k[4],
        "items": list(k[5]),
        "missing": list(k[6]),
        "cleared": list(k[7]),
    }


def render_markdown(result: DiffResult, examples: int = 5) -> str:
    """A pull-request comment: summary, transitions, catalogue changes, then each group."""
    n, changed = result.total, len(result.changed)
    share = f" ({100 * changed / n:.1f}%)" if n else ""
    lines = [
        f"## dataflow-rules diff: `{result.old_label}` → `{result.new_label}`",
        "",
        f"{n:,} transfers decided under both versions: **{changed:,} changed**{share}"
        + (f", {len(result.errors):,} could not be decided" if result.errors else "")
        + ".",
        "",
    ]
    if result.changed:
        lines += ["| transition | transfers |", "|---|---:|"]
        lines += [
            f"| {transition(a, b)} | {k:,} |"
            for (a, b), k in sorted_transitions(result.changed_transitions())
        ]
        lines.append("")
    if result.catalogue_changes:
        lines += ["### Catalogue changes", ""] + [f"- {c}" for c in result.catalogue_changes] + [""]
    if result.changed:
        lines += ["### Changes by responsible entries", ""]
        for key, items in result.groups():
            lines.append(f"#### {', '.join(f'`{k}`' for k in key) or '(no entry)'}: {len(items):,} transfers")
            lines += ["", "| transition | transfers | examples |", "|---|---:|---|"]
            for (a, b), k in sorted_transitions(Counter((c.old, c.new) for c in items)):
                ids = [c.transfer_id for c in items if (c.old, c.new) == (a, b)]
                shown = ", ".join(f"`{i}`" for i in ids[:examples]) + (
                    f" and {len(ids) - examples:,} more" if len(ids) > examples else ""
                )
                lines.append(f"| {transition(a, b)} | {k:,} | {shown} |")
            lines.append("")
    if result.errors:
        lines += ["### Not decided", ""] + [f"- {e}" for e in result.errors[:20]]
        if len(result.errors) > 20:
            lines.append(f"- and {len(result.errors) - 20:,} more")
        lines.append("")
    return "\n".join(lines)


def render_json(result: DiffResult) -> str:
    """The JSON report (:func:`to_json`), indented, non-ASCII kept as it is."""
    return json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n"


def render_text(result: DiffResult) -> str:
    lines = [
        f"diff {result.old_label} -> {result.new_label}: {result.total:,} transfers, {len(result.changed):,} changed"
    ]
    for (a, b), k in sorted_transitions(result.changed_transitions()):
        lines.append(f"  {transition(a, b):<40} {k:>9,}")
    for c in result.catalogue_changes:
        lines.append(f"  catalogue: {c}")
    for key, items in result.groups():
        lines.append(f"{', '.join(key) or '(no entry)'}: {len(items):,} transfers")
        for (a, b), k in sorted_transitions(Counter((c.old, c.new) for c in items)):
            ids = [c.transfer_id for c in items if (c.old, c.new) == (a, b)]
            lines.append(f"  {transition(a, b):<40} {k:>9,}  e.g. {', '.join(ids[:3])}")
    for e in result.errors:
        lines.append(f"not decided: {e}")
    return "\n".join(lines) + "\n"
