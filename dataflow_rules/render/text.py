"""The human-readable form: verdict first, then each reason with its citations."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from ..models.decision import Decision, Reason, Verdict
from ..safe_text import printable_output
from .style import verdict as _paint


def render(decisions: Sequence[Decision], colour: bool = False, width: int = 88) -> str:
    blocks = [_decision(d, colour, width) for d in decisions]
    if len(decisions) > 1:
        counts = {v: sum(1 for d in decisions if d.verdict is v) for v in Verdict}
        blocks.append(
            f"{len(decisions)} transfers: "
            + ", ".join(f"{counts[v]} {v.value}" for v in (Verdict.RESTRICT, Verdict.REVIEW, Verdict.ALLOW))
        )
    # Categories, ids, references come from users: no control or bidi character acts.
    return printable_output("\n\n".join(blocks) + "\n")


def _decision(d: Decision, colour: bool, width: int) -> str:
    cats = ", ".join(f"{c.jurisdiction} {c.version}" for c in d.catalogues) or "none"
    lines = [
        f"{d.transfer_id}: {_paint(d.verdict.value.upper(), d.verdict, colour)}"
        f"  {d.origin} -> {d.destination}  as of {d.as_of.isoformat()}  (catalogues: {cats})"
    ]
    for r in d.reasons:
        lines.extend(_reason(r, colour, width))
    if d.assumptions:
        lines.append("  assumed (the description does not say; state the fact to override):")
        for a in d.assumptions:
            lines += textwrap.wrap(
                f"{a.fact} = {_value(a.value)} ({a.source}): {a.sentence} To override: {a.override}.",
                width,
                initial_indent="    - ",
                subsequent_indent=" " * 6,
            )
    if d.cases is not None and d.cases.splits:
        lines += textwrap.wrap(
            f"the verdict depends on {', '.join(d.cases.splits)}: "
            + "; ".join(
                ", ".join(f"{k}={_value(v)}" for k, v in b.values.items()) + f" gives {b.verdict.value}"
                for b in d.cases.branches
            ),
            width,
            initial_indent="  ",
            subsequent_indent="    ",
        )
    if d.conditions:
        lines.append("  conditions (the safeguards this decision relies on):")
        for c in d.conditions:
            lines += textwrap.wrap(c, width, initial_indent="    - ", subsequent_indent=" " * 6)
    if d.expires:
        lines.append(f"  valid until {d.expires.isoformat()}: decide again after that date")
    for w in d.warnings:
        lines += textwrap.wrap(f"warning: {w}", width, initial_indent="  ", subsequent_indent=" " * 11)
    if d.remediations:
        lines.append("  would lower the verdict (each checked by deciding the changed transfer):")
        for m in d.remediations:
            lines += textwrap.wrap(m.sentence, width, initial_indent="    - ", subsequent_indent=" " * 6)
    return "\n".join(lines)


def _reason(r: Reason, colour: bool, width: int) -> list[str]:
    head = f"  {_paint(f'{r.verdict.value:<8}', r.verdict, colour)} {r.jurisdiction} {r.side:<8} {r.kind}"
    if r.entry_id:
        head += f"  [{r.entry_id}]"
    out = [head]
    out += textwrap.wrap(r.sentence, width, initial_indent=" " * 11, subsequent_indent=" " * 11)
    for g in r.safeguards:
        out += textwrap.wrap(
            f"safeguard {g.status}: {g.mechanism} {g.reference}, {g.detail}",
            width,
            initial_indent=" " * 11,
            subsequent_indent=" " * 13,
        )
    for c in r.citations:
        out += textwrap.wrap(
            f"cites: {c.short()}", width, initial_indent=" " * 11, subsequent_indent=" " * 18
        )
    return out


def _value(value: bool | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
