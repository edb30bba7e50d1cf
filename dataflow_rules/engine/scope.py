"""Stated facts the law makes impossible together (a catalogue's ``context_scopes``).

A catalogue may say which recipient types a yes/no context fact can be true of: only
organisations under the FTC's or the Department of Transportation's jurisdiction can be on
the Data Privacy Framework List, so ``recipient_eu_us_dpf_certified: true`` cannot be
true of a recipient stated to be a government body. A transfer stating the fact true of a
recipient whose *stated* type is outside the scope is decided with the fact false (the law
reads the claim as one that cannot hold: a transfer to an uncertified recipient), and the
decision says so: an assumption (source ``scope <jurisdiction>``) and a warning naming
both stated facts and citing the scope (docs/semantics.md, section 4a).

Why before the rules, on the transfer as stated: only a stated type may contradict a
fact. The engine runs :func:`apply_scopes` once per decision on the transfer as stated
(with the facts file's facts, which the organisation states), before presumptions and case
analysis; a recipient type that case analysis tries for an unstated one (section 4b) never
passes through here, so a certified recipient of unstated type is decided as before
(every type's branch is the engine's own decision with the type set, not a statement).

Which scopes apply: those of the catalogues a decision of the transfer reads (the origin's
and the destination's, and the origin's zone layer), or of every loaded base catalogue
when it has onward legs, as ``workbench.reach`` assumes of every part of a catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Literal, get_args

from ..models.catalogue import ContextScope, RecipientClaim
from ..models.decision import Assumption
from ..models.policies import Policies
from ..models.transfer import OnwardLeg, Recipient, Transfer, updated

SOURCE = "scope "
"""How an assumption this module makes names its source: ``scope EU``."""

_CLASH = "which cannot both hold."
"""Ends the first sentence of an assumption made here: the clash, which the warning repeats."""

_Scope = tuple[str, str, ContextScope]
"""(the declaring catalogue's jurisdiction, the context fact or recipient field, its scope)."""

Section = Literal["context_scopes", "recipient_scopes"]
"""Which map of a catalogue a scope comes from: context facts, or a recipient's own claims."""

_CLAIMS: tuple[str, ...] = get_args(RecipientClaim)
"""The recipient fields a catalogue may scope (``recipient_scopes``)."""


def _scopes(policies: Policies, transfer: Transfer, section: Section = "context_scopes") -> list[_Scope]:
    """The scopes of the catalogues a decision of ``transfer`` reads, in a stable order:
    the origin's and the destination's (every catalogue's, when it has onward legs), each
    as :func:`_read_of` gives it."""
    origin = policies.jurisdiction_of(transfer.origin)
    if transfer.onward:
        codes: list[str] = list(policies.catalogues)
    else:
        codes = [c for c in (origin, policies.jurisdiction_of(transfer.destination)) if c is not None]
    found: dict[tuple[str, str], _Scope] = {}
    for code in codes:
        for fact, scope in _read_of(policies, code, origin, transfer, section).items():
            found[(code, fact)] = (code, fact, scope)
    return [found[k] for k in sorted(found)]


def _read_of(
    policies: Policies,
    code: str,
    origin: str | None,
    transfer: Transfer,
    section: Section = "context_scopes",
) -> dict[str, ContextScope]:
    """The scopes a decision of ``transfer`` reads of ``code``'s catalogue, by fact: its
    own, and for the origin's zone exporters its zone layer's over them (the zone's
    exporters are decided by the layered catalogue)."""
    loaded = policies.catalogues.get(code)
    scopes: dict[str, ContextScope] = dict(getattr(loaded.catalogue, section)) if loaded is not None else {}
    layer = policies.layer(code, transfer.exporter.zone) if code == origin else None
    if layer is not None:
        scopes.update(getattr(layer.catalogue, section))
    return scopes


def _contradicted(scopes: Sequence[_Scope], kind: str | None, context: dict[str, bool]) -> Iterator[_Scope]:
    """The scopes a stated recipient type ``kind`` and stated ``context`` contradict."""
    if kind is None:
        return
    seen: set[str] = set()
    for scope in scopes:
        fact = scope[1]
        if context.get(fact) is True and kind not in scope[2].recipient_types and fact not in seen:
            seen.add(fact)  # two catalogues scoping one fact: it is set false once
            yield scope


def _set_false(
    jurisdiction: str, where: str, kind: str, path: str, rule: ContextScope, sentence: str
) -> Assumption:
    """The assumption that ``path`` is false because the stated type ``kind`` rules it out:
    both ways in (a stated fact contradicted, an unstated one ruled out) say so alike."""
    can = ", ".join(sorted(rule.recipient_types))
    return Assumption(
        fact=path,
        value=False,
        source=f"{SOURCE}{jurisdiction}",
        sentence=sentence,
        override=f"if {path} is true, the recipient is no {kind}: correct {where}recipient.type (one of {can})",
        citations=list(rule.citations),
    )


def _assumption(where: str, kind: str, scope: _Scope, head: str = "context") -> Assumption:
    """The assumption that a stated fact of ``head`` (a context fact, or the recipient's own
    field) is false, for a recipient whose stated type the catalogue's scope for it leaves
    out (``context_scopes`` or ``recipient_scopes``)."""
    jurisdiction, fact, rule = scope
    path = f"{where}{head}.{fact}"
    return _set_false(
        jurisdiction,
        where,
        kind,
        path,
        rule,
        f"The description states {where}recipient.type {kind} and {path} true, {_CLASH} "
        f"{rule.sentence} So {path} is taken as false ({jurisdiction} {head}_scopes.{fact}).",
    )


def apply_scopes(policies: Policies, transfer: Transfer) -> tuple[Transfer, list[Assumption]]:
    """``transfer`` with every context fact and recipient claim its stated recipient type
    contradicts set false, and an assumption for each; unchanged (and no assumption) when
    nothing does (:func:`_apply_context`, :func:`_apply_claims`)."""
    transfer, made = _apply_context(policies, transfer)
    transfer, claimed = _apply_claims(policies, transfer)
    return transfer, made + claimed


def _apply_claims(policies: Policies, transfer: Transfer) -> tuple[Transfer, list[Assumption]]:
    """``transfer`` with every recipient claim (``recipient.us_person``) its recipient's own
    stated type contradicts set false, and an assumption for each. Each recipient is read
    on its own: a leg's recipient neither inherits the first recipient's claim nor loses
    its own because of it (a U.S. citizen in Singapore says nothing of a Chinese company
    the data goes on to; section 8a)."""
    recipients = [transfer.recipient, *(leg.recipient for leg in transfer.onward)]
    if not any(getattr(r, name) is True for r in recipients for name in _CLAIMS):
        return transfer, []  # (the common case: no recipient claims anything a scope reads)
    scopes = _scopes(policies, transfer, "recipient_scopes")
    if not scopes:
        return transfer, []
    made: list[Assumption] = []

    def checked(where: str, recipient: Recipient) -> Recipient:
        kind = recipient.type
        if kind is None:
            return recipient  # an unstated type contradicts nothing (section 4b)
        changes: dict[str, bool] = {}
        for jurisdiction, name, rule in scopes:
            if getattr(recipient, name) is True and kind not in rule.recipient_types and name not in changes:
                changes[name] = False  # two catalogues scoping one field: it is set false once
                made.append(_assumption(where, str(kind), (jurisdiction, name, rule), head="recipient"))
        return updated(recipient, changes) if changes else recipient

    first = checked("", transfer.recipient)
    legs: list[OnwardLeg] = []
    for n, leg in enumerate(transfer.onward):
        own = checked(f"onward[{n}].", leg.recipient)
        legs.append(leg if own is leg.recipient else updated(leg, {"recipient": own}))
    if not made:
        return transfer, []
    return updated(transfer, {"recipient": first, "onward": legs}), made


def _apply_context(policies: Policies, transfer: Transfer) -> tuple[Transfer, list[Assumption]]:
    """``transfer`` with every context fact its stated recipient type contradicts set
    false, and an assumption for each; unchanged (and no assumption) when nothing does.

    An onward leg inherits the transfer's context unless it overrides it (section 8a): a
    fact set false for the transfer's own recipient is restated as stated for each leg
    that did not override it, and a leg's own stated recipient is checked against what it
    inherits or states."""
    if not transfer.context and not any(leg.context for leg in transfer.onward):
        return transfer, []  # (the common case: nothing stated that a scope reads)
    scopes = _scopes(policies, transfer)
    if not scopes:
        return transfer, []
    made: list[Assumption] = []
    stated = transfer.context
    context = dict(stated)
    for scope in _contradicted(scopes, transfer.recipient.type, stated):
        context[scope[1]] = False
        made.append(_assumption("", str(transfer.recipient.type), scope))
    legs: list[OnwardLeg] = []
    for n, leg in enumerate(transfer.onward):
        inherited = {**stated, **leg.context}
        own = dict(leg.context)
        for fact, value in stated.items():
            if context[fact] != value and fact not in own:
                own[fact] = value  # the leg's recipient keeps what the transfer states
        for scope in _contradicted(scopes, leg.recipient.type, inherited):
            own[scope[1]] = False
            made.append(_assumption(f"onward[{n}].", str(leg.recipient.type), scope))
        legs.append(leg if own == leg.context else updated(leg, {"context": own}))
    if not made:
        return transfer, []
    return updated(transfer, {"context": context, "onward": legs}), made


def rule_out(
    policies: Policies, transfer: Transfer, lacking: Iterable[tuple[str, Iterable[str]]]
) -> tuple[Transfer, list[Assumption], list[tuple[str, Iterable[str]]]]:
    """The context facts open findings lack (``lacking``: each finding's jurisdiction and
    the facts it lacks, decide.Outline) that the transfer's *stated* recipient type rules
    out under that catalogue's scope, set false (a government body is not on the Data
    Privacy Framework List, whether or not the description says so); an assumption for
    each; and what the findings still lack. Run where presumptions are (before them), on
    the transfer as stated: never on a type a case analysis tries. A transfer with onward
    legs is left as it is (a leg's recipient is its own)."""
    kind = transfer.recipient.type
    if kind is None or transfer.onward:
        return transfer, [], list(lacking)
    made: dict[str, Assumption] = {}
    remaining: list[tuple[str, Iterable[str]]] = []
    origin = policies.jurisdiction_of(transfer.origin)
    for code, missing in lacking:
        scopes = _read_of(policies, code, origin, transfer)
        still = []
        for fact in missing:
            name = fact[len("context.") :] if fact.startswith("context.") else None
            scope = scopes.get(name) if name is not None else None
            if scope is None or kind in scope.recipient_types or name in transfer.context:
                still.append(fact)
            elif fact not in made:
                made[fact] = _ruled_out(code, str(kind), fact, scope)
        remaining.append((code, still))
    if not made:
        return transfer, [], remaining
    context = {**transfer.context, **{f[len("context.") :]: False for f in made}}
    return updated(transfer, {"context": context}), [made[f] for f in sorted(made)], remaining


def _ruled_out(jurisdiction: str, kind: str, path: str, rule: ContextScope) -> Assumption:
    return _set_false(
        jurisdiction,
        "",
        kind,
        path,
        rule,
        f"The description states recipient.type {kind}, of which {path} cannot be true: {rule.sentence}",
    )


def scope_warnings(assumptions: Sequence[Assumption]) -> list[str]:
    """One warning per stated fact set false by a scope: the description contradicts
    itself, which the reader should see beside the verdict, not only among assumptions."""
    return [
        f"Stated facts contradict each other: {_clash(a.sentence)} Decided with {a.fact} false "
        f"({a.source[len(SOURCE) :]} {_section_of(a.fact)}, citing {a.citations[0].short()}; see the assumption)."
        for a in assumptions
        if a.source.startswith(SOURCE) and a.citations and _CLASH in a.sentence
    ]


def _section_of(path: str) -> Section:
    """The map of the catalogue that scopes ``path`` (``onward[0].recipient.us_person``)."""
    return "recipient_scopes" if path.split(".")[-2] == "recipient" else "context_scopes"


def _clash(sentence: str) -> str:
    """The first sentence of an assumption made here (:func:`_assumption`)."""
    return sentence[: sentence.index(_CLASH) + len(_CLASH)]
