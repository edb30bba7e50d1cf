"""Counting as the law counts: one tally per designation, over every matching item of a
transfer and, where the law counts across transfers, the earlier recorded ones.

The laws' thresholds count people, not rows of a description: China counts the
individuals whose personal information an exporter has provided abroad since 1 January
(2024 Provisions Arts 7-8), the US rule counts U.S. persons "in the aggregate" over the
preceding 12 months with the same counterparty (28 CFR 202.205). A designation listing
several categories therefore counts every item within any of them together; items that
name the same ``population`` describe the same people and count once (the largest); items
that name none are taken to describe different people, the stricter reading, which the
reason says. This module only adds numbers up: the rules that compare the totals with the
law's bounds are compiled into durable-rules rulesets (compile.py), and the totals reach
them as two properties of the fact: the most the total can be and the least it is.
"""

from __future__ import annotations

import bisect
import datetime as dt
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import MISSING, dataclass, field, fields, replace
from functools import cached_property
from typing import Literal

from ..models.catalogue import Per, Window
from ..models.decision import Assumption
from ..models.taxonomy import Taxonomy
from ..models.transfer import Transfer
from .confusables import party_fold
from .lookalike import Spellings
from .volume import BOUNDED_WINDOWS, contradicted, volume_of

Unit = Literal["individuals", "records", "devices"]

MAX_NAMED = 10
"""Earlier transfers named in a reason's sentence; ``counted_with`` lists them all."""

BIG = 10**15
"""The most an open total can be: above every count a transfer may state (10**10) and
every bound a catalogue may state (models.common.MAX_BOUND)."""


@dataclass(frozen=True)
class CountKey:
    """What one tally counts: items within ``categories`` (None: every item), in ``unit``,
    over ``window``, per ``per``."""

    categories: tuple[str, ...] | None
    unit: Unit
    window: Window = "transfer"
    per: Per = "exporter"
    combined: tuple[tuple[str, int], ...] | None = None
    """Combined data (28 CFR 202.205(g)): each category of the set and the lower bound of
    its own threshold. With it, the tally counts only when the transfer holds more than one
    of these categories and the lowest of their bounds is at most ``lowest``; otherwise it
    is zero (the designation's combined reading does not apply)."""
    lowest: int | None = None


@dataclass(frozen=True, slots=True)
class PriorItem:
    """A data item of an earlier recorded transfer (the ledger), as counting needs it."""

    source: str
    """What the reason names it by: ``record 17`` (the audit trail), ``t2`` (a transfer of
    the same run)."""
    transfer_id: str
    date: dt.date
    exporter: str
    recipient: str
    category: str
    individuals: int | None = None
    records: int | None = None
    devices: int | None = None
    population: str | None = None
    bulk: bool = False
    exporter_name: str = ""
    """The exporter's normalised name ('' when unstated), and below whether it had an id:
    a transfer that states only the name is the same exporter as one with an id and that
    name (:meth:`Ledger.prior`)."""
    exporter_has_id: bool = False
    recipient_name: str = ""
    """The recipient's normalised name ('' when unstated), and below whether it had an id:
    like the exporter, a recipient named without its id is the one recorded with that id
    and name (:func:`same_party`)."""
    recipient_has_id: bool = False
    spelled: tuple[str, str, str, str] = ("", "", "", "")
    """The exporter's id else name, its name, the recipient's id else name and its name, as
    written (stripped): what :class:`.lookalike.Spellings` shows when names that look alike
    were counted as one party. Not kept in the ledger's columns (:meth:`_Items.item`)."""


@dataclass(frozen=True)
class Tally:
    """One total: ``low`` is certain, ``high`` the most it can be (None: unbounded)."""

    low: int
    high: int | None
    items: tuple[int, ...] = ()
    """Items of this transfer counted."""
    stated_open: tuple[str, ...] = ()
    """Facts whose absence leaves the total open, of this transfer and of the earlier items
    read one by one (``data[2].individuals``, ``data[0].category``); see :attr:`open_items`."""
    summed: bool = False
    """Several items were added up without a population stated (taken as different people)."""
    merged: tuple[str, ...] = ()
    """Populations named by several items or records, counted once each."""
    bulk: tuple[int, ...] = ()
    records: tuple[str, ...] = ()
    """Earlier transfers added (``record 17``, ``t2``): the first MAX_NAMED."""
    more: int = 0
    """Further earlier items added beyond those named."""
    since: dt.date | None = None
    """First day of the window, when earlier transfers were counted."""
    combined: str = ""
    """How a combined set lowered the threshold (28 CFR 202.205(g)), for the reason."""
    volume: tuple[str, ...] = ()
    """The lines of the organisation's volume bound that capped :attr:`high` (``personal``)."""
    volume_source: str = ""
    """The facts file stating them."""
    ledger_open: Callable[[], Iterable[str]] | None = field(default=None, compare=False, repr=False)
    """The pre-summed earlier items whose count is not stated, named only when asked: a
    total open on every earlier record of a 10,000-transfer run would otherwise name
    10,000 sources for each count of each decision, which only a reason whose bounds are
    not certain reads (the square of the run, issue 14)."""

    @cached_property
    def open_items(self) -> tuple[str, ...]:
        """Facts whose absence leaves the total open: :attr:`stated_open` and the earlier
        items of the ledger, sorted, each once."""
        if self.ledger_open is None:
            return self.stated_open
        return tuple(sorted(set(self.stated_open).union(self.ledger_open())))

    @property
    def most(self) -> int:
        return BIG if self.high is None else min(self.high, BIG)

    @property
    def least(self) -> int:
        return min(self.low, BIG)

    def certain(self, lo: int | None, hi: int | None) -> bool:
        """Whether the bounds hold whatever the open facts are."""
        return (lo is None or self.least >= lo) and (
            hi is None or (self.high is not None and self.high <= hi)
        )

    def describe(self, unit: str) -> tuple[str, ...]:
        """How the total was reached, for the reason's sentence: its clauses (none when it is
        one item's own count). Clauses, not one string, so that a reason whose rule counts
        several tallies alike (each category of a combined set) says each clause once."""
        parts: list[str] = []
        if len(self.items) + len(self.records) > 1 or self.records or self.more:
            total = f"{self.least:,}" if self.high == self.low else f"at least {self.least:,}"
            if self.bulk:
                total = "bulk (stated without a count)"
            shown = list(self.records)
            if self.more:
                shown.append(f"{self.more:,} more earlier items")
            if self.items:
                text = f"counted together, {_join([f'data[{i}]' for i in self.items])}"
                if shown:
                    text += f" with {_join(shown)}"
            else:  # none of this transfer's items is counted in this unit: earlier ones only
                text = f"counted together, earlier items {_join(shown)}"
            text += f": {total} {unit}"
            if self.since is not None:
                text += f" since {self.since}"
            parts.append(text)
            if self.summed:
                parts.append(
                    "items that name no population are taken to describe different people "
                    "(give them the same `population` if they do not)"
                )
            if self.merged:
                parts.append(f"population {_join(list(self.merged))} counted once")
        elif self.bulk:
            parts.append(f"data[{self.bulk[0]}] is stated to be bulk")
        if self.combined:
            parts.append(self.combined)
        if self.volume and self.high is not None:
            lines = _join([f"volume.{p}" for p in self.volume])
            parts.append(f"at most {self.high:,} {unit} in all, as {self.volume_source} {lines} states")
        return tuple(parts)


def window_start(window: Window, as_of: dt.date) -> dt.date | None:
    """First day of the window ending on ``as_of`` (None: this transfer alone).

    ``calendar_year``: 1 January of the as-of year (China: "since 1 January of the current
    year"). ``previous_and_current_year``: 1 January of the year before the as-of year, so
    the previous and the current calendar year to the as-of day (China's 2022 Measures Art
    4, 自上年1月1日起: "since 1 January of the previous year"; a window of 366 to 731 days,
    never capped by a 12-month volume bound). ``preceding_12_months``: the same day a year
    earlier, included (the US rule's "at any point in the preceding 12 months", read so
    that nothing a year old escapes): 365 days back, 366 when the year spans a 29
    February; a 29 February as-of date reaches back to 28 February.
    """
    if window == "calendar_year":
        return dt.date(as_of.year, 1, 1)
    if as_of.year == dt.MINYEAR and window in ("previous_and_current_year", "preceding_12_months"):
        return dt.date.min  # a year back from year 1 is before the calendar: from its first day
    if window == "previous_and_current_year":
        return dt.date(as_of.year - 1, 1, 1)
    if window == "preceding_12_months":
        try:
            return as_of.replace(year=as_of.year - 1)
        except ValueError:  # 29 February
            return dt.date(as_of.year - 1, 2, 28)
    return None


SINCE: dict[str, str] = {
    "transfer": "in this transfer",
    "calendar_year": "since 1 January",
    "previous_and_current_year": "since 1 January of the previous year",
    "preceding_12_months": "in the preceding 12 months",
}
"""How a reason words each window (a total's span, as the law words it)."""


def since_words(window: Window) -> str:
    """The window as a reason words it: "since 1 January", "in the preceding 12 months"."""
    return SINCE[window]


def exporter_key(transfer: Transfer) -> str:
    """Whom the law counts per: the exporter's id, else its name; '' when neither is stated
    (every unidentified exporter is then counted together, the stricter reading)."""
    return _identity(transfer.exporter.id or transfer.exporter.name or "")


def recipient_key(transfer: Transfer) -> str:
    return _identity(transfer.recipient.id or transfer.recipient.name or "")


Party = tuple[str, str, bool]
"""A counterparty as counting compares it: (its key, id else name; its normalised name; whether
it stated an id)."""


def recipient_party(transfer: Transfer) -> Party:
    """The recipient as :func:`same_party` compares it."""
    r = transfer.recipient
    return (recipient_key(transfer), _identity(r.name or ""), bool(r.id))


def same_party(a: Party, key: str, name: str, has_id: bool) -> bool:
    """Whether an earlier item's recipient (``key``, ``name``, ``has_id``) is the party ``a``:
    the same key, or the same normalised name where one of the two states no id (two
    different ids are two parties). Keyed by id or else name alone, "id: cn-vendor, name:
    Example" and "name: Example" were two foreign persons, and the 12 months' count 28 CFR
    202.205 adds up per counterparty split in two: a wrong allow."""
    if a[0] == key:
        return True
    return bool(name) and a[1] == name and not (a[2] and has_id)


def _folded(item: PriorItem) -> PriorItem:
    """``item`` with its parties keyed as :func:`_identity` keys them: an item made with
    another key (by hand, or by an earlier version's fold) is still its party's, never a
    party of its own that no transfer is counted with (the fold is its own fixed point, so
    an item made by :func:`prior_items` is unchanged)."""
    keys = (item.exporter, item.recipient, item.exporter_name, item.recipient_name)
    folded = tuple(_identity(k) for k in keys)
    if folded == keys:
        return item
    e, r, e_name, r_name = folded
    return replace(item, exporter=e, recipient=r, exporter_name=e_name, recipient_name=r_name)


def _identity(name: str) -> str:
    """One party however its id or name is cased, spaced, width-encoded (NFKC) or spelled
    with look-alike letters (UTS #39 confusables, :mod:`.confusables`): "Example Retailer",
    "example  retailer", a full-width "Example" and one with a Cyrillic "Е" are one
    exporter, so 60,000 people sent under each are counted together (otherwise a change of
    case or of script splits a count the law adds up: a wrong allow)."""
    return party_fold(name)


@dataclass
class _Groups:
    known: dict[str, int] = field(default_factory=dict)
    """population -> largest stated count."""
    sizes: dict[str, int] = field(default_factory=dict)
    """population -> how many items or records named it."""


def tally(
    taxonomy: Taxonomy,
    key: CountKey,
    transfer: Transfer,
    as_of: dt.date,
    prior: Sequence[PriorItem] = (),
) -> Tally:
    """The total ``key`` counts for ``transfer`` (and the earlier records in its window),
    its most capped by the organisation's volume bound where that speaks to it
    (engine/volume.py): individuals, over a window of at most 12 months, the counts stated
    not contradicting it. The least, what the stated counts make, is never lowered."""
    found = raw_tally(taxonomy, key, transfer, as_of, prior)
    bound = volume_of(transfer)
    if bound is None or key.unit != "individuals" or key.window not in BOUNDED_WINDOWS:
        return found
    if key in bound.forced:  # a branch of the case analysis over totals (cases.by_totals)
        value = bound.forced[key]
        lines = bound.cap(taxonomy, _present(taxonomy, key.categories, transfer, prior))
        return replace(found, low=value, high=value, volume=tuple(lines[1]) if lines else ())
    if found.high is not None and found.high == found.low:
        return found  # every count stated: nothing to cap
    cap = bound.cap(taxonomy, _present(taxonomy, key.categories, transfer, prior))
    if cap is None or (found.high is not None and found.high <= cap[0]) or found.least > cap[0]:
        return found
    if contradicted(taxonomy, transfer, as_of, prior):
        return found
    return replace(found, high=cap[0], volume=tuple(cap[1]), volume_source=bound.source)


def _present(
    taxonomy: Taxonomy, categories: tuple[str, ...] | None, transfer: Transfer, prior: Sequence[PriorItem]
) -> tuple[str, ...] | None:
    """The categories a tally over ``categories`` can hold here: those of this transfer's
    items within them (an item of a broader category may hold any of them) and of the
    earlier items (every one the exporter's ledger holds, whatever its date: a superset).
    A volume line on one of them then caps the total, not only a line on all of them."""
    if categories is None:
        return None
    out: set[str] = set()
    for item in transfer.data:
        relation = _relation(taxonomy, categories, item.category)
        if relation == "within":
            out.add(item.category)
        elif relation == "broader":
            out.update(categories)
    held = prior.categories() if isinstance(prior, PriorSet) else {p.category for p in prior}
    out.update(c for c in held if _relation(taxonomy, categories, c) == "within")
    return tuple(sorted(out))


def raw_tally(
    taxonomy: Taxonomy,
    key: CountKey,
    transfer: Transfer,
    as_of: dt.date,
    prior: Sequence[PriorItem] = (),
) -> Tally:
    """The total ``key`` counts, from the stated counts alone (no volume bound)."""
    note = ""
    if key.combined is not None:
        held = combined_set(taxonomy, key.combined, transfer)
        if held is None or key.lowest is None or held[0] > key.lowest:
            return ZERO
        note = held[1]
    low_groups = _Groups()
    extra_high = 0
    unbounded = False
    counted: list[int] = []
    open_items: list[str] = []
    bulk: list[int] = []
    anonymous = 0
    categories, unit = key.categories, key.unit
    known, sizes = low_groups.known, low_groups.sizes
    for i, item in enumerate(transfer.data):
        relation = "within" if categories is None else _relation(taxonomy, categories, item.category)
        if relation is None:
            continue
        value = getattr(item, unit)
        if relation == "broader":
            # It may contain this data: up to its whole count, none for certain.
            open_items.append(f"data[{i}].category")
            if item.bulk or value is None:
                unbounded = True
            else:
                extra_high += value
            continue
        counted.append(i)
        if item.bulk:
            bulk.append(i)
            value = BIG
        if value is None:
            unbounded = True
            open_items.append(f"data[{i}].{unit}")
            continue
        population = item.population  # (_add, inline: the loop of every side evaluated)
        if population is None:
            population = f"#{i}"
            anonymous += 1
        known[population] = max(known.get(population, 0), value)
        sizes[population] = sizes.get(population, 0) + 1
    since = window_start(key.window, as_of) if prior else None
    if since is None and not note:
        # This transfer's items alone (no earlier transfer counts): most fields default.
        low = sum(known.values())
        return _made(
            low=low,
            high=None if unbounded else low + extra_high,
            items=tuple(counted),
            stated_open=tuple(sorted(set(open_items))) if open_items else (),
            summed=anonymous > 1,
            merged=_merged(sizes) if len(counted) > 1 else (),
            bulk=tuple(bulk),
        )
    records: list[str] = []
    more = 0
    ledger_open: Callable[[], list[str]] | None = None
    if since is not None and prior:
        me = exporter_key(transfer)
        them = recipient_party(transfer)

        def wanted(p: PriorItem) -> bool:
            if not (since <= p.date <= as_of) or _identity(p.exporter) != me:
                return False
            if key.per == "exporter_and_recipient" and not same_party(
                them, _identity(p.recipient), _identity(p.recipient_name), p.recipient_has_id
            ):
                return False
            return _relation(taxonomy, key.categories, p.category) == "within"

        named: set[str] = set()

        in_window: Callable[[str], bool] = _never

        def name(source: str) -> None:
            nonlocal more
            if source in named or in_window(source):
                return
            named.add(source)
            if len(records) < MAX_NAMED:
                records.append(source)
            else:
                more += 1

        one_by_one: Iterable[PriorItem] = prior
        if isinstance(prior, PriorSet):
            # Items that name no population add up: read from prefix sums over the dates
            # of the earlier items this tally selects, two bisections per query.
            recipient = them if key.per == "exporter_and_recipient" else None
            window = prior.window(taxonomy, key.categories, me, recipient, since, as_of, key.unit)
            if window.n_unknown:
                unbounded = True
                ledger_open = _named(window.unknown, key.unit)
            if window.n_known:
                low_groups.known["#ledger"] = window.known
                low_groups.sizes["#ledger"] = window.n_known
                anonymous += window.n_known
            for source in window.first:
                name(source)
            more += window.sources - len(window.first)
            in_window = window.has
            one_by_one = prior.special()
        for n, p in enumerate(one_by_one):
            if not wanted(p):
                continue
            value = BIG if p.bulk else getattr(p, key.unit)
            name(p.source)
            if value is None:
                unbounded = True
                open_items.append(f"{p.source}: {key.unit}")
                continue
            anonymous += _add(low_groups, p.population, value, f"#{p.source}#{n}")
    low = sum(low_groups.known.values())
    merged = _merged(low_groups.sizes)
    # The ledger's own order (oldest first), each once.
    records = list(dict.fromkeys(records))
    return Tally(
        more=more,
        low=low,
        high=None if unbounded else low + extra_high,
        items=tuple(counted),
        stated_open=tuple(sorted(set(open_items))),
        summed=anonymous > 1,
        merged=merged,
        bulk=tuple(bulk),
        records=tuple(records),
        since=since if records or more else None,
        combined=note,
        ledger_open=ledger_open,
    )


def _merged(sizes: dict[str, int]) -> tuple[str, ...]:
    """Populations named by several items or records (not the anonymous ``#`` groups)."""
    return tuple(sorted(pop for pop, n in sizes.items() if n > 1 and not pop.startswith("#")))


_DEFAULTS = {f.name: f.default for f in fields(Tally) if f.name not in ("low", "high")}
"""Every field of a Tally but ``low`` and ``high`` has a plain default (checked below)."""
if any(v is MISSING for v in _DEFAULTS.values()):  # pragma: no cover (a field without one)
    raise TypeError("every Tally field but low and high needs a plain default for _made")


def _made(**values: object) -> Tally:
    """``Tally(**values)`` without the frozen dataclass's field-by-field ``__init__``: the
    tally of every count of every side evaluated, a few times a decision. The same object
    (fields, equality, ``replace``, the cached :attr:`Tally.open_items`); callers pass
    ``low`` and ``high`` and fields of their types."""
    made = object.__new__(Tally)
    made.__dict__.update(_DEFAULTS, **values)
    return made


ZERO = Tally(low=0, high=0)
"""The empty total (shared: a tally is immutable, and its cached open items are none)."""


def counts_item(taxonomy: Taxonomy, key: CountKey, category: str) -> bool:
    """Whether a tally of ``key`` reads an item of ``category`` at all (within or broader);
    a combined key reads every item (whether the set is combined depends on them all)."""
    return key.combined is not None or _relation(taxonomy, key.categories, category) is not None


def _named(sources: Callable[[], list[str]], unit: str) -> Callable[[], list[str]]:
    """The open facts of earlier items, as a reason names them (``m1.json t1: records``)."""
    return lambda: [f"{u}: {unit}" for u in sources()]


def combined_set(
    taxonomy: Taxonomy, thresholds: tuple[tuple[str, int], ...], transfer: Transfer
) -> tuple[int, str] | None:
    """Whether ``transfer``'s items make a combined set (28 CFR 202.205(g): "more than one
    of the categories"): the lowest lower bound among the categories it holds, and the
    sentence saying so; None when it holds fewer than two.

    Each item counts for the most specific listed category it is within (human genomic
    data is within human 'omic data: a set of genomic data alone is not combined). Two
    categories one of which is within the other are one category of the rule. Only items
    certainly within a category count (an item of a broader category is already open on
    its category, section 3a). Earlier transfers do not make a set combined.

    It reads the items' categories alone, in order: remembered per (taxonomy, thresholds,
    categories), since a few combinations of categories recur across a corpus and every
    combined designation of a plan asks on every evaluation."""
    categories = tuple(item.category for item in transfer.data)
    memo = (id(taxonomy), thresholds, categories)
    held = _COMBINED.get(memo)
    if held is not None and held[0] is taxonomy:
        return held[1]
    found = _combined_set(taxonomy, thresholds, categories)
    if len(_COMBINED) >= 16_384:
        _COMBINED.clear()
    _COMBINED[memo] = (taxonomy, found)
    return found


_COMBINED: dict[
    tuple[int, tuple[tuple[str, int], ...], tuple[str, ...]], tuple[Taxonomy, tuple[int, str] | None]
] = {}


def _combined_set(
    taxonomy: Taxonomy, thresholds: tuple[tuple[str, int], ...], categories: tuple[str, ...]
) -> tuple[int, str] | None:
    bounds = dict(thresholds)
    held: dict[str, list[int]] = {}
    for i, category in enumerate(categories):
        line = taxonomy.get(category).ancestors
        within = [c for c in bounds if c in line]
        if within:
            deepest = max(within, key=lambda c: len(taxonomy.get(c).ancestors))
            held.setdefault(deepest, []).append(i)
    if not _unrelated(taxonomy, list(held)):
        return None
    lowest_category = min(held, key=lambda c: (bounds[c], c))
    lowest = bounds[lowest_category]
    where = _join([f"{c} (data[{', '.join(map(str, held[c]))}])" for c in sorted(held)])
    return lowest, (
        f"combined data: the set holds {where}, so each category is bulk at the lowest "
        f"threshold among them, that of {lowest_category} ({lowest:,} or more; "
        "28 CFR 202.205(g))"
    )


def _unrelated(taxonomy: Taxonomy, categories: list[str]) -> bool:
    """Whether two of ``categories`` are not one within the other."""
    for n, a in enumerate(categories):
        for b in categories[n + 1 :]:
            if a not in taxonomy.get(b).ancestors and b not in taxonomy.get(a).ancestors:
                return True
    return False


def _add(groups: _Groups, population: str | None, value: int, anonymous_key: str) -> int:
    """Add one count to its population's group; returns 1 when it named no population."""
    name = population if population is not None else anonymous_key
    groups.known[name] = max(groups.known.get(name, 0), value)
    groups.sizes[name] = groups.sizes.get(name, 0) + 1
    return 1 if population is None else 0


_RELATIONS: dict[tuple[Taxonomy, tuple[str, ...], str], str | None] = {}
"""Memo of :func:`_relation` (a taxonomy is immutable once loaded; the key holds the
taxonomy itself, so no other can take its place); cleared when it grows large."""


def _relation(taxonomy: Taxonomy, categories: tuple[str, ...] | None, category: str) -> str | None:
    """'within' one of ``categories``, 'broader' than one (it may contain it), or None."""
    if categories is None:
        return "within"
    memo = (taxonomy, categories, category)
    if memo in _RELATIONS:
        return _RELATIONS[memo]
    found = _relate(taxonomy, categories, category)
    if len(_RELATIONS) > 100_000:
        _RELATIONS.clear()
    _RELATIONS[memo] = found
    return found


def _relate(taxonomy: Taxonomy, categories: tuple[str, ...], category: str) -> str | None:
    ancestors = set(taxonomy.get(category).ancestors)
    if any(c in ancestors for c in categories):
        return "within"
    if any(category in taxonomy.get(c).ancestors for c in categories):
        return "broader"
    return None


def _join(words: Iterable[str]) -> str:
    ws = list(words)
    if len(ws) <= 1:
        return "".join(ws)
    return ", ".join(ws[:-1]) + " and " + ws[-1]


def prior_items(transfer: Transfer, source: str, day: dt.date) -> list[PriorItem]:
    """A decided transfer's items, as later decisions count them."""
    e, r = transfer.exporter, transfer.recipient
    spelled = (
        (e.id or e.name or "").strip(),
        (e.name or "").strip(),
        (r.id or r.name or "").strip(),
        (r.name or "").strip(),
    )
    return [
        PriorItem(
            source=source,
            transfer_id=transfer.id,
            date=transfer.date or day,
            exporter=exporter_key(transfer),
            recipient=recipient_key(transfer),
            category=item.category,
            individuals=item.individuals,
            records=item.records,
            devices=item.devices,
            population=item.population,
            bulk=item.bulk is True,
            exporter_name=_identity(transfer.exporter.name or ""),
            exporter_has_id=bool(transfer.exporter.id),
            recipient_name=_identity(transfer.recipient.name or ""),
            recipient_has_id=bool(transfer.recipient.id),
            spelled=spelled,
        )
        for item in transfer.data
    ]


class Ledger:
    """Earlier transfers, by exporter: what cumulative thresholds add to a new transfer.

    Filled from the audit trail (audit/ledger.py), or from the other transfers of one run
    (``scan``, ``batch --cumulative``). A transfer is never counted with itself: records of
    the same transfer id are earlier decisions of the same transfer, not earlier transfers.

    The items are held as columns (:class:`_Items`), not as :class:`PriorItem` objects: a
    run counted together holds every earlier item for the whole run, and an object per
    item (with its own strings and date) was most of a 10,000-manifest scan's growth over
    a 1,000-manifest one (issue 14). :meth:`prior` reads them back as items where a caller
    walks them one by one.
    """

    def __init__(self, items: Iterable[PriorItem] = ()) -> None:
        self._sources = _Names()
        self._ids = _Names()
        self._vocab = _Vocab()
        self._by_exporter: dict[str, _Items] = {}
        self._sums: dict[str, _Sums] = {}
        self._by_name: dict[str, set[str]] = {}
        self._spellings = Spellings()
        """How each party was written, for the decision that counts look-alikes as one."""
        self._pooled: tuple[_Items, _Sums] | None = None
        """Every exporter's items, pooled for a transfer naming no exporter (:meth:`prior`);
        made once until an item is added, not once per such transfer."""
        """An exporter's normalised name -> the keys (id or name) its items are held under."""
        for item in items:
            self.add(item)

    def add(self, item: PriorItem) -> None:
        if not any(item.spelled):  # made elsewhere than prior_items, which folds its keys
            item = _folded(item)
        self._pooled = None
        store = self._by_exporter.get(item.exporter)
        if store is None:
            store = self._by_exporter[item.exporter] = _Items(self._sources, self._ids, self._vocab)
        n = store.append(item)
        if any(item.spelled):
            self._spellings.add(
                item.source, item.date, item.spelled, item.exporter_has_id, item.recipient_has_id
            )
        if item.exporter_name:
            self._by_name.setdefault(item.exporter_name, set()).add(item.exporter)
        sums = self._sums.get(item.exporter)
        if sums is not None:
            sums.add(n)

    def add_transfer(self, transfer: Transfer, source: str, day: dt.date, key: str | None = None) -> None:
        """Add ``transfer``'s items; ``key`` (default: its id) is what ``prior`` leaves out."""
        for item in prior_items(transfer, source, day):
            self.add(item if key is None else replace(item, transfer_id=key))

    def prior(self, transfer: Transfer, key: str | None = None, cutoff: dt.date | None = None) -> PriorSet:
        """The earlier items of ``transfer``'s exporter, less those of ``key`` (default:
        the transfer's id): a transfer is never counted with itself. ``cutoff``: leave out
        the items dated after it (a corpus decided together counts only what came before)."""
        found = self._prior(transfer, key, cutoff)
        if not found.pooled:
            spellings = self._spellings
            found.look_alikes = lambda: spellings.assumptions(transfer, cutoff)
        return found

    def _prior(self, transfer: Transfer, key: str | None, cutoff: dt.date | None) -> PriorSet:
        exporter = exporter_key(transfer)
        own = transfer.id if key is None else key
        mine = self._by_exporter.get(exporter)
        if not exporter and any(held for held in self._by_exporter if held):
            # Neither id nor name: whose earlier transfers are this exporter's cannot be
            # told, and keyed '' it was counted with no identified exporter's, silently (a
            # wrong allow where it is one of them). Every exporter's count with it, the
            # stricter reading; the decision says so (Engine._annotate).
            if self._pooled is None:
                pooled = _Items(self._sources, self._ids, self._vocab)
                for held in sorted(self._by_exporter):
                    store = self._by_exporter[held]
                    pooled.extend(store, range(len(store)))
                self._pooled = (pooled, _Sums(pooled))
            every, summed = self._pooled
            return PriorSet(every, exporter, own, summed, cutoff, pooled=True)
        named = self._same_name(transfer, exporter)
        if named:  # the same exporter under another key: counted together, under this one
            merged = _Items(self._sources, self._ids, self._vocab)
            if mine is not None:
                merged.extend(mine, range(len(mine)))
            for store, positions in named:
                merged.extend(store, positions)
            return PriorSet(merged, exporter, own, _Sums(merged), cutoff)
        if mine is None:
            mine = _Items(self._sources, self._ids, self._vocab)
            return PriorSet(mine, exporter, own, _Sums(mine), cutoff)
        sums = self._sums.get(exporter)
        if sums is None:
            sums = self._sums[exporter] = _Sums(mine)
        return PriorSet(mine, exporter, own, sums, cutoff)

    def _same_name(self, transfer: Transfer, exporter: str) -> list[tuple[_Items, list[int]]]:
        """Items held under another key that are still ``transfer``'s exporter: the same
        normalised name where one of the two states no id (equal ids are one key already).
        Keyed by id or else name alone, "id: cn-exp, name: Example" and "name: Example"
        were two exporters, and a count the law adds up split in two: a wrong allow."""
        name = _identity(transfer.exporter.name or "")
        if not name:
            return []
        at = self._vocab.get(name)
        has_id = bool(transfer.exporter.id)
        out: list[tuple[_Items, list[int]]] = []
        for held in sorted(self._by_name.get(name, ())):
            if held == exporter:
                continue
            store = self._by_exporter[held]
            positions = [
                n
                for n in range(len(store))
                if store.name[n] == at and not (has_id and store.flags[n] & _HAS_ID)
            ]
            if positions:
                out.append((store, positions))
        return out

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_exporter.values())


_UNITS: tuple[Unit, ...] = ("individuals", "records", "devices")


_AT: dict[str, int] = {unit: n for n, unit in enumerate(_UNITS)}
"""A unit's place in the columns of counts."""

_UNSTATED = -1
"""A count not stated, in a column of counts (a stated count is never negative)."""

_BULK, _HAS_ID, _RECIPIENT_HAS_ID = 1, 2, 4
"""Bits of an item's flags."""


_MEMO = 2048
"""Names a :class:`_Names` keeps decoded (cleared when full)."""


class _Names:
    """Strings each item names once (sources, transfer ids): one UTF-8 blob and the end of
    each string in it, some 20 bytes a name instead of a 60-byte ``str`` and its slot. The
    items of one transfer, added one after another, share one entry; the same string added
    again later gets a second entry, so entries are compared as strings, never by number."""

    __slots__ = ("_blob", "_ends", "_last", "_memo")

    def __init__(self) -> None:
        self._blob = bytearray()
        self._ends = array("Q")
        self._last: str | None = None
        self._memo: dict[int, str] = {}
        """Names read lately: every tally of a run names the same first ten earlier transfers."""

    def add(self, name: str) -> int:
        if self._ends and name == self._last:
            return len(self._ends) - 1
        # surrogatepass: a path decoded with surrogate escapes comes back exactly as given.
        self._blob += name.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._blob))
        self._last = name
        return len(self._ends) - 1

    def raw(self, n: int) -> bytes:
        """Entry ``n`` as stored (UTF-8)."""
        start = self._ends[n - 1] if n else 0
        return bytes(self._blob[start : self._ends[n]])

    def __getitem__(self, n: int) -> str:
        found = self._memo.get(n)
        if found is None:
            start = self._ends[n - 1] if n else 0
            found = self._blob[start : self._ends[n]].decode("utf-8", "surrogatepass")
            if len(self._memo) >= _MEMO:
                self._memo.clear()
            self._memo[n] = found
        return found


class _Vocab:
    """Strings many items share (categories, recipients, populations, exporter names), each
    held once: an item holds its number, and equal numbers are equal strings."""

    __slots__ = ("_at", "values")

    def __init__(self) -> None:
        self.values: list[str] = []
        self._at: dict[str, int] = {}

    def add(self, value: str) -> int:
        found = self._at.get(value)
        if found is None:
            found = self._at[value] = len(self.values)
            self.values.append(value)
        return found

    def get(self, value: str) -> int:
        """Its number, -1 when no item holds it."""
        return self._at.get(value, -1)


class _Items:
    """One exporter's earlier items as columns: some 55 bytes an item (dates as ordinals,
    counts with :data:`_UNSTATED`, strings as numbers into the ledger's tables)."""

    __slots__ = (
        "_keys",
        "_last_key",
        "category",
        "counts",
        "day",
        "flags",
        "ids",
        "name",
        "population",
        "recipient",
        "recipient_name",
        "regrouped",
        "source",
        "sources",
        "tid",
        "vocab",
    )

    def __init__(self, sources: _Names, ids: _Names, vocab: _Vocab) -> None:
        self.sources, self.ids, self.vocab = sources, ids, vocab
        self.day = array("i")
        self.source = array("i")
        self.tid = array("i")
        self.recipient = array("i")
        self.recipient_name = array("i")
        self.category = array("i")
        self.population = array("i")
        self.name = array("i")
        self.counts = (array("q"), array("q"), array("q"))
        self.flags = bytearray()
        self.regrouped = False
        """Whether a transfer's items (source, id, date) came apart: another's came between
        them. Then an index groups its rows by their strings (the slow path, never taken
        by the ledgers the tool builds, which add a transfer's items together)."""
        self._keys: set[int] = set()
        self._last_key: tuple[str, str, int] | None = None

    def __len__(self) -> int:
        return len(self.day)

    def append(self, item: PriorItem) -> int:
        day = item.date.toordinal()
        self._group(item.source, item.transfer_id, day)
        self.day.append(day)
        self.source.append(self.sources.add(item.source))
        self.tid.append(self.ids.add(item.transfer_id))
        self.recipient.append(self.vocab.add(item.recipient))
        self.recipient_name.append(self.vocab.add(item.recipient_name))
        self.category.append(self.vocab.add(item.category))
        self.population.append(-1 if item.population is None else self.vocab.add(item.population))
        self.name.append(self.vocab.add(item.exporter_name))
        for column, unit in zip(self.counts, _UNITS, strict=True):
            value = getattr(item, unit)
            column.append(_UNSTATED if value is None else value)
        self.flags.append(
            (_BULK if item.bulk else 0)
            | (_HAS_ID if item.exporter_has_id else 0)
            | (_RECIPIENT_HAS_ID if item.recipient_has_id else 0)
        )
        return len(self.day) - 1

    def extend(self, other: _Items, positions: Iterable[int]) -> None:
        """Copy ``other``'s items at ``positions`` (of the same ledger's tables)."""
        for n in positions:
            self._group(other.sources[other.source[n]], other.ids[other.tid[n]], other.day[n])
            self.day.append(other.day[n])
            self.source.append(other.source[n])
            self.tid.append(other.tid[n])
            self.recipient.append(other.recipient[n])
            self.recipient_name.append(other.recipient_name[n])
            self.category.append(other.category[n])
            self.population.append(other.population[n])
            self.name.append(other.name[n])
            for mine, theirs in zip(self.counts, other.counts, strict=True):
                mine.append(theirs[n])
            self.flags.append(other.flags[n])

    def _group(self, source: str, transfer_id: str, day: int) -> None:
        """Note whether this item's transfer was seen before, apart from it (a checksum per
        transfer, the same in every process, so a ledger pickled to batch workers keeps
        telling; a collision only sends the indexes down the exact slow path)."""
        key = (source, transfer_id, day)
        if key == self._last_key:
            return
        mark = zlib.crc32(f"{source}\0{transfer_id}\0{day}".encode("utf-8", "surrogatepass"))
        if mark in self._keys:
            self.regrouped = True
        self._keys.add(mark)
        self._last_key = key

    def special(self, n: int) -> bool:
        """Counted one by one: it names a population, or is bulk."""
        return self.population[n] >= 0 or bool(self.flags[n] & _BULK)

    def item(self, n: int, exporter: str) -> PriorItem:
        """The item at ``n``, as :class:`PriorItem` (under ``exporter``, the key it is read by)."""
        values = self.vocab.values
        counts = [c[n] for c in self.counts]
        return PriorItem(
            source=self.sources[self.source[n]],
            transfer_id=self.ids[self.tid[n]],
            date=dt.date.fromordinal(self.day[n]),
            exporter=exporter,
            recipient=values[self.recipient[n]],
            category=values[self.category[n]],
            individuals=None if counts[0] == _UNSTATED else counts[0],
            records=None if counts[1] == _UNSTATED else counts[1],
            devices=None if counts[2] == _UNSTATED else counts[2],
            population=None if self.population[n] < 0 else values[self.population[n]],
            bulk=bool(self.flags[n] & _BULK),
            exporter_name=values[self.name[n]],
            exporter_has_id=bool(self.flags[n] & _HAS_ID),
            recipient_name=values[self.recipient_name[n]],
            recipient_has_id=bool(self.flags[n] & _RECIPIENT_HAS_ID),
        )


@dataclass(frozen=True)
class _Window:
    """What a tally adds from the pre-summed earlier items of one window."""

    known: int
    n_known: int
    n_unknown: int
    """How many earlier transfers have an item whose count is not stated."""
    unknown: Callable[[], list[str]]
    """Their sources, listed when asked (a reason that is not certain names them)."""
    first: list[str]
    """The first MAX_NAMED sources, oldest first."""
    sources: int
    """How many sources were counted (named or not)."""
    has: Callable[[str], bool]
    """Whether a source was counted."""


class _Index:
    """The earlier items one selection (recipient, categories) counts, one row per earlier
    transfer (its source, id and date), sorted by date with prefix sums: a window's total
    is two bisections and a subtraction, whatever the ledger's size (a run of N transfers
    costs N log N, not N²).

    Columns, not row objects (issue 14): a row is its date, order, source and id numbers,
    its unstated bits and, per unit, the prefix sum of the stated counts and how many were
    stated, some 50 bytes; a row's own values are the differences of the prefix sums. Rows
    arrive in the ledger's order; one arriving out of date order (or a transfer's items
    come apart) makes the next query build new columns in order, never reordering the old
    ones in place: a window's lazy list of open sources keeps reading them as they were."""

    def __init__(self, store: _Items) -> None:
        self.store = store
        self.day = array("i")
        self.seq = array("i")
        self.src = array("i")
        self.tid = array("i")
        self.sums = (array("q", [0]), array("q", [0]), array("q", [0]))
        self.stated = (array("I", [0]), array("I", [0]), array("I", [0]))
        self.unstated = bytearray()
        self._sorted = True
        self._built = False
        self.unknown: tuple[array[int], ...] = ()
        """Per unit, the rows with an item whose count is not stated."""
        self._by_tid: _Lookup | None = None
        """The rows by transfer id (what ``own`` takes out)."""
        self._by_src: _Lookup | None = None
        self._own: tuple[str, list[int]] | None = None
        self._heads: dict[int, tuple[int, list[int], list[str]]] = {}
        self._tail: tuple[int, int, int] | None = None
        """The last item's (date, source, id): a transfer's items come one after another."""
        self._split = False
        """Whether a transfer's items are in two rows (see :meth:`add`)."""

    def add(self, n: int) -> None:
        store = self.store
        day, src, tid = store.day[n], store.source[n], store.tid[n]
        last = len(self.day) - 1
        if last >= 0 and self.day[last] == day and self.src[last] == src and self.tid[last] == tid:
            self._merge_last(n)
        else:
            if self._tail == (day, src, tid):
                # The same transfer as the item before, whose row a rebuild moved: a row of
                # its own until the next query groups them (the reordering was in a query).
                self._split = True
            if last >= 0 and (self.day[last], self.seq[last]) > (day, n):
                self._sorted = False
            self.day.append(day)
            self.seq.append(n)
            self.src.append(src)
            self.tid.append(tid)
            self.unstated.append(0)
            for sums, stated in zip(self.sums, self.stated, strict=True):
                sums.append(sums[-1])
                stated.append(stated[-1])
            self._merge_last(n)
        self._tail = (day, src, tid)
        self._built = False

    def _merge_last(self, n: int) -> None:
        """Add item ``n``'s counts to the last row."""
        for at, column in enumerate(self.store.counts):
            value = column[n]
            if value == _UNSTATED:
                self.unstated[-1] |= 1 << at
            else:
                self.sums[at][-1] += value
                self.stated[at][-1] += 1

    def _rows(self) -> list[tuple[int, int, int, int, int, list[int], list[int]]]:
        """Each row's values (date, order, source, id, unstated bits, sums, counts)."""
        return [
            (
                self.day[r],
                self.seq[r],
                self.src[r],
                self.tid[r],
                self.unstated[r],
                [s[r + 1] - s[r] for s in self.sums],
                [c[r + 1] - c[r] for c in self.stated],
            )
            for r in range(len(self.day))
        ]

    def _rebuild(self) -> None:
        """New columns in (date, order) order, a transfer's rows that came apart as one."""
        rows = self._rows()
        rows.sort(key=lambda r: (r[0], r[1]))
        if self.store.regrouped or self._split:
            names, ids = self.store.sources, self.store.ids
            first: dict[tuple[str, str, int], int] = {}
            grouped: list[tuple[int, int, int, int, int, list[int], list[int]]] = []
            for row in rows:
                key = (names[row[2]], ids[row[3]], row[0])
                at = first.get(key)
                if at is None:
                    first[key] = len(grouped)
                    grouped.append(row)
                    continue
                held = grouped[at]
                grouped[at] = (
                    *held[:4],
                    held[4] | row[4],
                    [a + b for a, b in zip(held[5], row[5], strict=True)],
                    [a + b for a, b in zip(held[6], row[6], strict=True)],
                )
            rows = grouped
        self.day = array("i", (r[0] for r in rows))
        self.seq = array("i", (r[1] for r in rows))
        self.src = array("i", (r[2] for r in rows))
        self.tid = array("i", (r[3] for r in rows))
        self.unstated = bytearray(r[4] for r in rows)
        sums_out: list[array[int]] = []
        stated_out: list[array[int]] = []
        for at in range(len(_UNITS)):
            sums, stated = array("q", [0]), array("I", [0])
            for r in rows:
                sums.append(sums[-1] + r[5][at])
                stated.append(stated[-1] + r[6][at])
            sums_out.append(sums)
            stated_out.append(stated)
        self.sums = (sums_out[0], sums_out[1], sums_out[2])
        self.stated = (stated_out[0], stated_out[1], stated_out[2])
        self._sorted = True

    def _build(self) -> None:
        if self._built:
            return
        if not self._sorted or self._split or self.store.regrouped:
            self._rebuild()
            self._split = False
        rows = range(len(self.day))
        self.unknown = tuple(array("i", (r for r in rows if self.unstated[r] & (1 << at))) for at in range(3))
        self._by_tid = None
        self._by_src = None
        self._own = None
        self._heads = {}
        self._built = True

    def _rows_of(self, own: str) -> list[int]:
        """The rows of transfer id ``own`` (the last asked kept: a decision's tallies ask
        for the same one, a few times each)."""
        if self._own is not None and self._own[0] == own:
            return self._own[1]
        if self._by_tid is None:
            self._by_tid = _Lookup(self.store.ids, self.tid)
        found = self._by_tid.rows(own)
        self._own = (own, found)
        return found

    def _head_from(self, lo: int) -> tuple[int, list[int], list[str]]:
        """The first MAX_NAMED sources from row ``lo`` on, each once, the rows where each
        first appears, and the row the reading stopped before: what a window starting at
        ``lo`` names when none of those rows is the transfer's own (every window of a run
        decided on one day starts at the same row, and names the same first ten)."""
        found = self._heads.get(lo)
        if found is None:
            names, src = self.store.sources, self.src
            rows: list[int] = []
            got: list[str] = []
            r, end = lo, len(src)
            while r < end and len(got) < MAX_NAMED:
                name = names[src[r]]
                if name not in got:
                    got.append(name)
                    rows.append(r)
                r += 1
            if len(self._heads) >= 16:
                self._heads.clear()
            found = self._heads[lo] = (r, rows, got)
        return found

    def _rows_named(self, source: str) -> list[int]:
        """The rows of ``source``."""
        if self._by_src is None:
            self._by_src = _Lookup(self.store.sources, self.src)
        return self._by_src.rows(source)

    def window(self, since: dt.date, until: dt.date, unit: str, own: str) -> _Window:
        self._build()
        lo = bisect.bisect_left(self.day, since.toordinal())
        hi = bisect.bisect_right(self.day, until.toordinal())
        at = _AT[unit]
        sums, stated = self.sums[at], self.stated[at]
        known, n_known = sums[hi] - sums[lo], stated[hi] - stated[lo]
        mine = [r for r in self._rows_of(own) if lo <= r < hi]
        for r in mine:
            known -= sums[r + 1] - sums[r]
            n_known -= stated[r + 1] - stated[r]
        skip = set(mine)
        positions, src, names = self.unknown[at], self.src, self.store.sources
        starts = bisect.bisect_left(positions, lo)
        ends = bisect.bisect_left(positions, hi)
        n_unknown = ends - starts - sum(1 for r in mine if _holds(positions, r))

        def unknown() -> list[str]:
            return [names[src[r]] for r in positions[starts:ends] if r not in skip]

        upto, head_rows, head_names = self._head_from(lo)
        first: list[str]
        if not mine or mine[0] >= upto:  # no row of its own among the first: as read once
            first = [name for row, name in zip(head_rows, head_names, strict=True) if row < hi]
        else:
            first = []
            r = lo
            while r < hi and len(first) < MAX_NAMED:
                if r not in skip:
                    name = names[src[r]]
                    if name not in first:
                        first.append(name)
                r += 1
        counted = hi - lo - len(mine)

        def has(source: str) -> bool:
            return any(lo <= m < hi and m not in skip for m in self._rows_named(source))

        return _Window(known, n_known, n_unknown, unknown, first, counted, has)


class _Lookup:
    """The rows of a column of names, found by name: the rows sorted by a checksum of their
    name (8 bytes a row, searched at C speed), each candidate's name then compared."""

    def __init__(self, names: _Names, column: array[int]) -> None:
        self.names, self.column = names, column
        marks = [zlib.crc32(names.raw(n)) for n in column]
        order = sorted(range(len(column)), key=marks.__getitem__)
        self.marks = array("I", (marks[r] for r in order))
        self.order = array("i", order)

    def rows(self, name: str) -> list[int]:
        """The rows named ``name``, in row order."""
        mark = zlib.crc32(name.encode("utf-8", "surrogatepass"))
        lo = bisect.bisect_left(self.marks, mark)
        hi = bisect.bisect_right(self.marks, mark, lo)
        names, column = self.names, self.column
        return sorted(r for r in self.order[lo:hi] if names[column[r]] == name)


def _holds(positions: array[int], n: int) -> bool:
    """Whether the sorted ``positions`` hold ``n``."""
    at = bisect.bisect_left(positions, n)
    return at < len(positions) and positions[at] == n


class _Sums:
    """One exporter's earlier items, pre-summed: items naming no population (and not bulk)
    in one date-sorted index per selection a tally asks for, the others kept one by one
    (their populations count once, at the largest). Items added later reach every index."""

    def __init__(self, store: _Items) -> None:
        self.store = store
        self.special = array("i")
        """The items counted one by one (a population, or bulk)."""
        self.categories: set[str] = set()
        """Every category of the exporter's earlier items (what a volume line may cap)."""
        self._indexes: dict[tuple[Taxonomy, tuple[str, ...] | None, Party | None], _Index] = {}
        for n in range(len(store)):
            self.add(n)

    def add(self, n: int) -> None:
        store = self.store
        self.categories.add(store.vocab.values[store.category[n]])
        if store.special(n):
            self.special.append(n)
            return
        for (taxonomy, categories, recipient), index in self._indexes.items():
            if _selects(taxonomy, categories, recipient, store, n):
                index.add(n)

    def index(
        self, taxonomy: Taxonomy, categories: tuple[str, ...] | None, recipient: Party | None
    ) -> _Index:
        key = (taxonomy, categories, recipient)
        found = self._indexes.get(key)
        if found is None:
            found = self._indexes[key] = _Index(self.store)
            for n in range(len(self.store)):
                if not self.store.special(n) and _selects(taxonomy, categories, recipient, self.store, n):
                    found.add(n)
        return found


def _selects(
    taxonomy: Taxonomy, categories: tuple[str, ...] | None, recipient: Party | None, store: _Items, n: int
) -> bool:
    values = store.vocab.values
    if recipient is not None and not same_party(
        recipient,
        values[store.recipient[n]],
        values[store.recipient_name[n]],
        bool(store.flags[n] & _RECIPIENT_HAS_ID),
    ):
        return False
    return _relation(taxonomy, categories, values[store.category[n]]) == "within"


def _never(source: str) -> bool:
    return False


def _none() -> list[str]:
    return []


_NOTHING = _Window(0, 0, 0, _none, [], 0, _never)


class PriorSet(Sequence[PriorItem]):
    """The earlier items a transfer's tallies add (its exporter's, less its own), with the
    pre-summed form :func:`tally` reads so that a run of N transfers costs N log N, not N².
    Read one by one (``for item in prior``), the items are made from the ledger's columns."""

    def __init__(
        self,
        store: _Items,
        exporter: str,
        own: str,
        sums: _Sums,
        cutoff: dt.date | None = None,
        pooled: bool = False,
    ) -> None:
        self._store = store
        self.pooled = pooled
        """Whether these are every exporter's items: the transfer names no exporter
        (:meth:`Ledger.prior`)."""
        self.exporter = exporter
        self.own = own
        self._sums = sums
        self.cutoff = cutoff
        self._kept: list[PriorItem] | None = None
        self._truth: tuple[int, bool] | None = None
        self.look_alikes: Callable[[], list[Assumption]] = list
        """The assumptions that earlier transfers written under names that look like this
        transfer's parties' were counted as theirs (:meth:`Ledger.prior`)."""

    def _counts(self, n: int) -> bool:
        """Whether item ``n`` is added: not the transfer's own, not dated after the cutoff."""
        store = self._store
        if self.cutoff is not None and store.day[n] > self.cutoff.toordinal():
            return False
        return store.ids[store.tid[n]] != self.own

    def _list(self) -> list[PriorItem]:
        if self._kept is None:
            self._kept = [
                self._store.item(n, self.exporter) for n in range(len(self._store)) if self._counts(n)
            ]
        return self._kept

    def window(
        self,
        taxonomy: Taxonomy,
        categories: tuple[str, ...] | None,
        exporter: str,
        recipient: Party | None,
        since: dt.date,
        until: dt.date,
        unit: str,
    ) -> _Window:
        """What the earlier items naming no population add to a tally: those of
        ``exporter`` (and ``recipient``, when given) within ``categories``, dated from
        ``since`` to ``until``."""
        if not len(self._store) or self.exporter != exporter:
            return _NOTHING
        if self.cutoff is not None:
            until = min(until, self.cutoff)
        return self._sums.index(taxonomy, categories, recipient).window(since, until, unit, self.own)

    def special(self) -> list[PriorItem]:
        return [self._store.item(n, self.exporter) for n in self._sums.special if self._counts(n)]

    def names_population(self, population: str) -> bool:
        """Whether an earlier item counted names ``population``: read from the columns of
        the items counted one by one, without making an item of every earlier one (case
        analysis asks this of every open count naming a population)."""
        store = self._store
        code = store.vocab.get(population)
        return code >= 0 and any(store.population[n] == code and self._counts(n) for n in self._sums.special)

    def categories(self) -> set[str]:
        """The categories of the exporter's earlier items (a superset of those counted)."""
        return self._sums.categories

    def __len__(self) -> int:
        return len(self._list())

    def __bool__(self) -> bool:
        # Items are only ever added, and whether one counts never changes: the answer
        # holds until the ledger grows (a decision asks a dozen times).
        size = len(self._store)
        if self._truth is None or self._truth[0] != size:
            self._truth = (size, any(self._counts(n) for n in range(size)))
        return self._truth[1]

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return self._list()[index]

    def __iter__(self) -> Iterator[PriorItem]:
        return iter(self._list())
