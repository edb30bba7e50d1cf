"""Hypothesis strategies for catalogues and transfers, shared by every property test.

Catalogues are drawn as plain dictionaries (the YAML a user writes), dumped to YAML and
loaded through :func:`dataflow_rules.catalogues.build_policies`, so every generated
catalogue has passed the same checks as a real one. Values are drawn from small pools
(a few countries, categories, thresholds and dates) so that generated transfers
actually meet generated entries, with counts at n-1, n and n+1 of the thresholds used,
and safeguards obtained, expiring and scoped around the as-of dates drawn.
:func:`aimed_scenarios` adds entries, lanes and safeguards aimed at the drawn transfers,
where clearing, anonymising, adding entries and meeting requirements matter most.

:func:`random_catalogue` builds the same kind of catalogue from a ``random.Random`` for
sizes hypothesis should not shrink (thousands of entries).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar, get_args

import yaml
from hypothesis import strategies as st

from dataflow_rules.catalogues import build_policies, default_policy_dir
from dataflow_rules.models.policies import Policies
from dataflow_rules.models.taxonomy import Taxonomy
from dataflow_rules.models.transfer import (
    AssessmentOutcome,
    DataItem,
    Discloser,
    Exporter,
    ImpactAssessment,
    PurposeBound,
    Recipient,
    RecipientRole,
    Roles,
    Safeguard,
    Transfer,
)
from dataflow_rules.taxonomy import load_taxonomy

T = TypeVar("T")

TAXONOMY: Taxonomy = load_taxonomy(default_policy_dir() / "taxonomy.yaml")
CATEGORIES: list[str] = sorted(TAXONOMY.categories)
HOT_CATEGORIES: list[str] = [
    "personal",
    "personal.health",
    "personal.health.clinical",
    "personal.financial",
    "personal.government_linked",
    "biospecimen",
    "state",
    "state.important",
    "geospatial",
    "geospatial.high_precision",
    "research",
    "research.climate",
    "business.operations",
]
"""Categories most draws use: broad and narrow, personal, national-security and neither."""
PURPOSES: list[str] = sorted(TAXONOMY.purposes)
HOT_PURPOSES = ["scientific_research", "healthcare_research", "contract_performance", "marketing"]
TRANSACTIONS: list[str] = sorted(TAXONOMY.transactions)
HOT_TRANSACTIONS = ["data_brokerage", "vendor_agreement", "intra_group"]
RECIPIENT_TYPES: list[str] = sorted(TAXONOMY.recipient_types)
HOT_RECIPIENT_TYPES = ["company", "research_institution", "government"]
REQUIREMENTS: list[str] = sorted(TAXONOMY.requirements)
MECHANISMS: list[str] = sorted(TAXONOMY.mechanisms)
HOT_MECHANISMS = ["cn.security_assessment", "cn.standard_contract", "consent.separate", "eu.scc"]
SECURITY_MEASURES: list[str] = sorted(TAXONOMY.security_measures)
DISCLOSERS: list[str] = list(get_args(Discloser))
RECIPIENT_ROLES: list[str] = list(get_args(RecipientRole))
ASSESSMENT_OUTCOMES: list[str] = list(get_args(AssessmentOutcome))
RECIPIENT_NAMES = ["Acme Ltd", "Beta GmbH", "ACME LTD"]
OBTAINED = [
    dt.date(2021, 3, 22),
    dt.date(2022, 6, 1),
    dt.date(2024, 2, 29),
    dt.date(2024, 3, 22),
    dt.date(2025, 6, 1),
    dt.date(2025, 6, 2),
]
SAFEGUARD_EXPIRES = [dt.date(2024, 3, 21), dt.date(2025, 6, 1), dt.date(2025, 7, 31), dt.date(2025, 8, 1)]

JURISDICTIONS = ["CN", "US", "DE"]
"""Countries that may have a catalogue."""
COUNTRIES = [*JURISDICTIONS, "FR", "JP"]
"""Countries transfers and counterparties use; FR and JP never have a catalogue."""
GROUP_COUNTRIES = [*COUNTRIES, "RU"]
CONTEXT_FACTS = ["public_interest", "sandbox"]
THRESHOLDS = [0, 1, 10, 1000]
DATES = [dt.date(2023, 1, 1), dt.date(2024, 3, 22), dt.date(2025, 1, 1)]
AS_OF = [
    dt.date(2022, 6, 1),
    dt.date(2024, 3, 21),
    dt.date(2024, 3, 22),
    dt.date(2025, 6, 1),
    dt.date(2027, 2, 28),
    dt.date(2027, 3, 21),
]
"""As-of dates at and around the drawn effective dates and safeguards' last valid days."""
CITATION = {"instrument": "Test Act", "article": "Art 1", "date": "2020-01-01"}


def chance(draw: Any, percent: int) -> bool:
    """True about ``percent`` times in a hundred (hypothesis' floats lean towards 0)."""
    return bool(draw(st.integers(0, 99)) < percent)


def _pick(draw: Any, hot: Sequence[T], every: Sequence[T]) -> T:
    """Mostly (four times in five) from the hot pool, else from everything."""
    return draw(st.sampled_from(hot if chance(draw, 80) else every))


def _subset(draw: Any, pool: Sequence[T], hot: Sequence[T] | None = None, most: int = 3) -> list[T]:
    values = draw(
        st.lists(
            st.sampled_from(hot) | st.sampled_from(pool) if hot else st.sampled_from(pool),
            min_size=1,
            max_size=most,
        )
    )
    return sorted(set(values), key=list(pool).index)


# -- catalogues ------------------------------------------------------------------------


@st.composite
def counts(draw: Any) -> dict[str, int]:
    """A count condition with at_least/more_than and/or less_than/at_most, never empty."""
    lower = draw(st.sampled_from([None, "at_least", "more_than"]))
    upper = draw(st.sampled_from([None, "less_than", "at_most"] if lower else ["less_than", "at_most"]))
    out: dict[str, int] = {}
    if lower:
        out[lower] = draw(st.sampled_from(THRESHOLDS))
    if upper:
        out[upper] = draw(
            st.sampled_from([t for t in THRESHOLDS if t >= 1] if upper == "less_than" else THRESHOLDS)
        )
    low = out.get("at_least", out.get("more_than", -1) + 1 if "more_than" in out else None)
    high = out.get("at_most", out["less_than"] - 1 if "less_than" in out else None)
    if low is not None and high is not None and low > high:
        del out[upper]  # an empty range is a catalogue error; keep the lower bound
    return out


@st.composite
def conditions(
    draw: Any, context: Sequence[str], percent: int = 10, at_least_one: bool = False
) -> dict[str, Any]:
    """A ``when`` block: each condition present about ``percent`` times in a hundred."""

    def maybe() -> bool:
        return chance(draw, percent)

    when: dict[str, Any] = {}
    for name in ("individuals", "records", "devices"):
        if maybe():
            when[name] = draw(counts())
    for name in ("anonymised", "exporter_ciio", "recipient_affiliate"):
        if maybe():
            when[name] = draw(st.booleans())
    if maybe():
        when["purposes"] = _subset(draw, PURPOSES, HOT_PURPOSES)
    if maybe():
        when["transactions"] = _subset(draw, TRANSACTIONS, HOT_TRANSACTIONS)
    if maybe():
        when["recipient_types"] = _subset(draw, RECIPIENT_TYPES, HOT_RECIPIENT_TYPES)
    if maybe():
        when["disclosers"] = _subset(draw, DISCLOSERS)
    if maybe():
        when["recipient_roles"] = _subset(draw, RECIPIENT_ROLES)
    if maybe():
        when["assessment_outcomes"] = _subset(draw, ASSESSMENT_OUTCOMES, most=1)
    if context and maybe():
        keys = _subset(draw, list(context), most=2)
        when["context"] = {k: draw(st.booleans()) for k in keys}
    if maybe():
        keys = _subset(draw, SECURITY_MEASURES, most=2)
        when["security"] = {k: draw(st.booleans()) for k in keys}
    if at_least_one and not when:
        choice = draw(st.sampled_from(["individuals", "anonymised", "purposes", "exporter_ciio"]))
        when[choice] = {
            "individuals": lambda: draw(counts()),
            "anonymised": lambda: draw(st.booleans()),
            "purposes": lambda: _subset(draw, PURPOSES, HOT_PURPOSES),
            "exporter_ciio": lambda: draw(st.booleans()),
        }[choice]()
    return when


@st.composite
def counterparties(draw: Any, groups: Sequence[str], percent_all: int = 50) -> dict[str, Any]:
    """Counterparties: every country (empty) about ``percent_all`` times in a hundred."""
    if chance(draw, percent_all):
        return {}
    out: dict[str, Any] = {}
    if not groups or draw(st.booleans()):
        out["countries"] = _subset(draw, COUNTRIES, most=2)
    if groups and (not out or draw(st.booleans())):
        out["groups"] = _subset(draw, list(groups), most=2)
    if draw(st.booleans()):
        out["include_controlled"] = True
    if chance(draw, 20):
        out["include_designated"] = True
    if chance(draw, 20):
        out["except_us_persons"] = True
    return out


@st.composite
def dates(draw: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if chance(draw, 25):
        out["effective"] = draw(st.sampled_from(DATES)).isoformat()
    if chance(draw, 25):
        floor = dt.date.fromisoformat(out.get("effective", "2000-01-01"))
        options = [d for d in DATES if d >= floor]
        if options:
            out["expires"] = draw(st.sampled_from(options)).isoformat()
    return out


def _categories(draw: Any, most: int = 2, hot: Sequence[str] = HOT_CATEGORIES) -> list[str]:
    return sorted({_pick(draw, hot, CATEGORIES) for _ in range(draw(st.integers(1, most)))})


def _cp(draw: Any, groups: Sequence[str], percent_all: int = 50) -> dict[str, Any]:
    cp = draw(counterparties(groups, percent_all))
    return {"counterparties": cp} if cp else {}


def _when(draw: Any, context: Sequence[str], **kw: Any) -> dict[str, Any]:
    when = draw(conditions(context, **kw))
    return {"when": when} if when else {}


@st.composite
def entries(
    draw: Any,
    ident: str,
    groups: Sequence[str] = (),
    context: Sequence[str] = (),
    outcome: str | None = None,
    hot: Sequence[str] = HOT_CATEGORIES,
) -> dict[str, Any]:
    """A designation entry; ``outcome`` forces restrict or review."""
    entry: dict[str, Any] = {
        "id": ident,
        "title": f"Entry {ident}",
        "categories": _categories(draw, 3, hot),
        "direction": draw(st.sampled_from(["outbound", "inbound", "both"])),
        **_cp(draw, groups),
        **_when(draw, context),
        "outcome": outcome or draw(st.sampled_from(["restrict", "review"])),
        "requirement": draw(st.sampled_from(REQUIREMENTS)),
        "citations": [CITATION],
        **draw(dates()),
    }
    if entry["requirement"] != "prohibited" and chance(draw, 70):
        entry["mechanisms"] = draw(mechanisms())
    if chance(draw, 20):
        entry["national_security"] = True
    if chance(draw, 20):
        entry["overrides_green_lanes"] = True
    if chance(draw, 15):
        entry["wherever_located"] = draw(
            st.sampled_from(
                [
                    ["designated"],
                    ["controlled"],
                    ["designated", "controlled"],
                    ["designated", "stated_foreign"],
                    ["stated_foreign"],
                ]
            )
        )
    return entry


@st.composite
def mechanisms(draw: Any) -> list[str | list[str]]:
    """What satisfies an entry: one to three alternatives, some needing two mechanisms."""
    out: list[str | list[str]] = []
    for _ in range(draw(st.integers(1, 3))):
        if chance(draw, 30):
            out.append(sorted(set(draw(st.lists(st.sampled_from(HOT_MECHANISMS), min_size=2, max_size=2)))))
        else:
            out.append(_pick(draw, HOT_MECHANISMS, MECHANISMS))
    return out


@st.composite
def localisation_entries(
    draw: Any,
    ident: str,
    groups: Sequence[str] = (),
    context: Sequence[str] = (),
    hot: Sequence[str] = HOT_CATEGORIES,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": ident,
        "title": f"Localisation {ident}",
        "categories": _categories(draw, 2, hot),
        **_cp(draw, groups),
        **_when(draw, context),
        "citations": [CITATION],
        **draw(dates()),
    }
    if draw(st.booleans()):
        entry["outcome"] = draw(st.sampled_from(["restrict", "review"]))
    if chance(draw, 50):
        entry["mechanisms"] = draw(mechanisms())
    if chance(draw, 20):
        entry["national_security"] = True
    if chance(draw, 40):
        entry["overrides_green_lanes"] = False  # the default is true for localisation
    return entry


@st.composite
def exemptions(draw: Any, ident: str, targets: Sequence[str], context: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "id": ident,
        "title": f"Exemption {ident}",
        "applies_to": _subset(draw, list(targets), most=3),
        "when": draw(conditions(context, percent=8, at_least_one=True)),
        "citations": [CITATION],
        **draw(dates()),
    }


@st.composite
def green_lanes(
    draw: Any,
    ident: str,
    groups: Sequence[str] = (),
    context: Sequence[str] = (),
    hot: Sequence[str] = HOT_CATEGORIES,
) -> dict[str, Any]:
    lane: dict[str, Any] = {
        "id": ident,
        "title": f"Green lane {ident}",
        "purposes": _subset(draw, PURPOSES, HOT_PURPOSES),
        **_cp(draw, groups, percent_all=70),
        **({} if chance(draw, 50) else {"direction": draw(st.sampled_from(["outbound", "inbound", "both"]))}),
        **_when(draw, context, percent=5),
        "citations": [CITATION],
        **draw(dates()),
    }
    if chance(draw, 30):
        lane["categories"] = _categories(draw, 2, hot)
    return lane


@st.composite
def catalogues(
    draw: Any,
    jurisdiction: str,
    max_entries: int = 5,
    max_localisation: int = 2,
    max_lanes: int = 2,
    max_exemptions: int = 2,
    hot: Sequence[str] = HOT_CATEGORIES,
) -> dict[str, Any]:
    """One jurisdiction's catalogue as the dictionary its YAML file holds; its categories
    come mostly from ``hot``."""
    context = _subset(draw, CONTEXT_FACTS, most=2) if draw(st.booleans()) else []
    groups: dict[str, Any] = {}
    for n in range(draw(st.integers(0, 2))):
        groups[f"grp{n}"] = {
            "title": f"Group {n}",
            "countries": _subset(draw, GROUP_COUNTRIES, most=3),
            "as_of": "2024-01-01",
            "citations": [CITATION],
        }
    names = list(groups)
    n_entries = 0 if chance(draw, 10) else draw(st.integers(1, max(1, max_entries)))
    ents = [draw(entries(f"e{n}", names, context, hot=hot)) for n in range(min(n_entries, max_entries))]
    locs = [
        draw(localisation_entries(f"l{n}", names, context, hot))
        for n in range(draw(st.integers(0, max_localisation)))
    ]
    targets = [e["id"] for e in ents] + [e["id"] for e in locs]
    exs = (
        [draw(exemptions(f"x{n}", targets, context)) for n in range(draw(st.integers(0, max_exemptions)))]
        if targets
        else []
    )
    lanes = [draw(green_lanes(f"g{n}", names, context, hot)) for n in range(draw(st.integers(0, max_lanes)))]
    catalogue: dict[str, Any] = {
        "jurisdiction": jurisdiction,
        "title": f"Test catalogue {jurisdiction}",
        "version": "1",
        "effective": "2020-01-01",
        "sources": [CITATION],
        "default": draw(st.sampled_from(["allow", "allow", "allow", "review"])),
        "context_facts": {k: f"Whether {k} holds." for k in context},
        "groups": groups,
        "entries": ents,
        "localisation": locs,
        "green_lanes": lanes,
        "exemptions": exs,
    }
    return catalogue


class _NoAliases(yaml.SafeDumper):
    """The loader rejects YAML aliases, so shared sub-dictionaries are written out."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(catalogue: dict[str, Any]) -> str:
    return yaml.dump(catalogue, Dumper=_NoAliases, sort_keys=False, allow_unicode=True)


def policies_from(catalogue_dicts: Sequence[dict[str, Any]]) -> Policies:
    """Load catalogue dictionaries exactly as the tool loads YAML files."""
    return build_policies(
        TAXONOMY,
        [(f"{c['jurisdiction'].lower()}.yaml", to_yaml(c)) for c in catalogue_dicts],
    )


# -- transfers -------------------------------------------------------------------------


def _near_thresholds() -> st.SearchStrategy[int | None]:
    values = sorted({max(0, t + d) for t in THRESHOLDS for d in (-1, 0, 1)})
    return st.sampled_from([None, *values])


@st.composite
def data_items(draw: Any, categories: Sequence[str] = ()) -> DataItem:
    pool = list(categories) or HOT_CATEGORIES
    roll = draw(st.integers(0, 99))
    category = draw(st.sampled_from(pool if roll < 50 else HOT_CATEGORIES if roll < 80 else CATEGORIES))
    return DataItem(
        category=category,
        individuals=draw(_near_thresholds()),
        records=draw(_near_thresholds()),
        devices=draw(_near_thresholds()),
        anonymised=draw(st.sampled_from([None, False, True, True])),
        population=draw(st.sampled_from([None, None, None, "p1", "p2"])),
        bulk=draw(st.sampled_from([None, None, None, None, None, True, False])),
    )


def _maybe(draw: Any, strategy: st.SearchStrategy[T], percent: int = 25) -> T | None:
    """A fact left unstated about ``percent`` times in a hundred."""
    return None if chance(draw, percent) else draw(strategy)


@st.composite
def transfers(
    draw: Any,
    context: Sequence[str] = CONTEXT_FACTS,
    categories: Sequence[str] = (),
    ident: str = "t1",
    max_items: int = 3,
    catalogued: Sequence[str] = JURISDICTIONS,
) -> Transfer:
    """A transfer among the test countries, mostly between ``catalogued`` ones, sometimes
    within one country; every fact is sometimes unstated."""

    def country() -> str:
        return draw(st.sampled_from(list(catalogued) if chance(draw, 85) else COUNTRIES))

    origin = country()
    destination = origin if chance(draw, 8) else country()
    if destination == origin and chance(draw, 90):
        destination = draw(st.sampled_from([c for c in COUNTRIES if c != origin]))
    ctx_keys = (
        draw(st.lists(st.sampled_from(list(context)), max_size=len(context), unique=True)) if context else []
    )
    sec_keys = draw(st.lists(st.sampled_from(SECURITY_MEASURES), max_size=2, unique=True))
    purpose = _maybe(draw, st.sampled_from(HOT_PURPOSES) | st.sampled_from(PURPOSES))
    bound = None
    if purpose is None and chance(draw, 30):  # what a Fides data use says (issue 19)
        chosen = draw(st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=4, unique=True))
        bound = PurposeBound(purposes=chosen, source="a generated bound")
    return Transfer(
        id=ident,
        origin=origin,
        destination=destination,
        exporter=Exporter(ciio=_maybe(draw, st.booleans())),
        recipient=Recipient(
            name=_maybe(draw, st.sampled_from(RECIPIENT_NAMES), percent=40),
            type=_maybe(draw, st.sampled_from(HOT_RECIPIENT_TYPES) | st.sampled_from(RECIPIENT_TYPES)),
            affiliate=_maybe(draw, st.booleans()),
            controlled_by=_maybe(draw, st.sampled_from(GROUP_COUNTRIES)),
            designated=_maybe(draw, st.booleans(), percent=50),
            us_person=_maybe(draw, st.booleans(), percent=70),
        ),
        purpose=purpose,
        purpose_bound=bound,
        transaction=_maybe(draw, st.sampled_from(HOT_TRANSACTIONS) | st.sampled_from(TRANSACTIONS)),
        data=draw(st.lists(data_items(categories), min_size=1, max_size=max_items)),
        context={k: draw(st.booleans()) for k in ctx_keys},
        security={k: draw(st.booleans()) for k in sec_keys},
        safeguards=[] if chance(draw, 40) else draw(st.lists(safeguards(), max_size=3)),
        roles=Roles(
            discloser=_maybe(draw, st.sampled_from(DISCLOSERS), percent=40),
            recipient=_maybe(draw, st.sampled_from(RECIPIENT_ROLES), percent=40),
        ),
        impact_assessment=ImpactAssessment(
            outcome=_maybe(draw, st.sampled_from(ASSESSMENT_OUTCOMES), percent=40)
        ),
    )


@st.composite
def safeguards(draw: Any, mechanism: str | None = None, obtained_by: dt.date | None = None) -> Safeguard:
    """A safeguard in place, sometimes not yet valid, expired or scoped elsewhere;
    ``obtained_by``: mostly obtained on or before that day, with no scope."""
    if obtained_by is not None and chance(draw, 80):
        before = [d for d in OBTAINED if d <= obtained_by] or [obtained_by]
        return Safeguard.model_validate(
            {
                "mechanism": mechanism or _pick(draw, HOT_MECHANISMS, MECHANISMS),
                "reference": f"REF-{draw(st.integers(1, 3))}",
                "obtained": draw(st.sampled_from(before)),
                "expires": _maybe(draw, st.sampled_from(SAFEGUARD_EXPIRES), percent=70),
            }
        )
    scope: dict[str, Any] = {}
    if chance(draw, 25):
        scope["recipient"] = draw(st.sampled_from(RECIPIENT_NAMES))
    if chance(draw, 25):
        scope["destinations"] = _subset(draw, COUNTRIES, most=2)
    if chance(draw, 25):
        scope["categories"] = _subset(draw, HOT_CATEGORIES, most=2)
    if chance(draw, 25):
        scope["max_individuals"] = draw(_near_thresholds().filter(lambda n: n is not None))
    return Safeguard.model_validate(
        {
            "mechanism": mechanism or _pick(draw, HOT_MECHANISMS, MECHANISMS),
            "reference": f"REF-{draw(st.integers(1, 3))}",
            "obtained": draw(st.sampled_from(OBTAINED)),
            "expires": _maybe(draw, st.sampled_from(SAFEGUARD_EXPIRES), percent=70),
            "scope": scope,
        }
    )


@dataclass(frozen=True)
class Scenario:
    """Catalogues for one to three jurisdictions, transfers among them, and a date."""

    catalogues: tuple[dict[str, Any], ...]
    transfers: tuple[Transfer, ...]
    as_of: dt.date

    def policies(self) -> Policies:
        return policies_from(self.catalogues)

    def with_catalogues(self, catalogues: Sequence[dict[str, Any]]) -> Scenario:
        return replace(self, catalogues=tuple(catalogues))


def referenced_categories(catalogue_dicts: Sequence[dict[str, Any]]) -> list[str]:
    """Every category the catalogues name, so transfers can aim at them."""
    out: set[str] = set()
    for c in catalogue_dicts:
        for section in ("entries", "localisation", "green_lanes"):
            for e in c[section]:
                out.update(e.get("categories") or [])
    return sorted(out)


@st.composite
def scenarios(draw: Any, max_transfers: int = 3, **catalogue_sizes: int) -> Scenario:
    size = 1 if chance(draw, 15) else draw(st.sampled_from([2, 3]))
    codes = sorted(draw(st.permutations(JURISDICTIONS))[:size])
    # Sometimes a narrow pool of categories, so that entries, exemptions, lanes and items
    # meet often.
    hot = HOT_CATEGORIES if chance(draw, 50) else draw(st.permutations(HOT_CATEGORIES))[:4]
    cats = tuple(draw(catalogues(code, hot=hot, **catalogue_sizes)) for code in codes)
    context = sorted({k for c in cats for k in c["context_facts"]})
    aimed = referenced_categories(cats)
    ts = tuple(
        draw(transfers(context, aimed, ident=f"t{n}", catalogued=codes))
        for n in range(draw(st.integers(1, max_transfers)))
    )
    return Scenario(cats, ts, draw(st.sampled_from(AS_OF)))


@st.composite
def aimed_scenarios(draw: Any, max_transfers: int = 3, **catalogue_sizes: int) -> Scenario:
    """A scenario whose catalogues also hold an entry and a green lane aimed at its
    transfers: the items' categories (or broader), the transfers' purposes. Such pairs are
    rare by chance, and they are where clearing, anonymising and adding entries matter."""
    scenario = draw(scenarios(max_transfers, **catalogue_sizes))
    item_categories = sorted({item.category for t in scenario.transfers for item in t.data})
    purposes = sorted({t.purpose for t in scenario.transfers if t.purpose})

    def near(category: str) -> str:
        line = TAXONOMY.get(category).ancestors
        return draw(st.sampled_from(line))  # the category itself or an ancestor

    out = []
    for catalogue in scenario.catalogues:
        catalogue = dict(catalogue)
        groups, context = list(catalogue["groups"]), list(catalogue["context_facts"])
        if chance(draw, 80):
            aimed = draw(entries("aimed.entry", groups, context))
            aimed["categories"] = sorted({near(draw(st.sampled_from(item_categories))) for _ in range(2)})
            if chance(draw, 40):
                aimed["when"] = {**aimed.get("when", {}), "anonymised": False}
            catalogue["entries"] = [*catalogue["entries"], aimed]
        if purposes and chance(draw, 80):
            lane = draw(green_lanes("aimed.lane", groups, context))
            lane["purposes"] = sorted({*lane["purposes"], draw(st.sampled_from(purposes))})
            if "categories" in lane:
                lane["categories"] = [near(draw(st.sampled_from(item_categories)))]
            at = draw(st.integers(0, len(catalogue["green_lanes"])))
            catalogue["green_lanes"] = [*catalogue["green_lanes"][:at], lane, *catalogue["green_lanes"][at:]]
        out.append(catalogue)
    # Safeguards for every mechanism of one of the catalogues' alternatives, so that
    # requirements are met (or just missed) often.
    alternatives = [
        [m] if isinstance(m, str) else m
        for c in out
        for e in [*c["entries"], *c["localisation"]]
        for m in e.get("mechanisms", [])
    ]
    ts = list(scenario.transfers)
    for n, t in enumerate(ts):
        if alternatives and chance(draw, 60):
            added = [
                draw(safeguards(mechanism=m, obtained_by=scenario.as_of))
                for m in draw(st.sampled_from(alternatives))
            ]
            ts[n] = t.model_copy(update={"safeguards": [*t.safeguards, *added]})
    return replace(scenario.with_catalogues(out), transfers=tuple(ts))


# -- big catalogues from random.Random ---------------------------------------------------


def random_catalogue(
    rng: random.Random,
    jurisdiction: str,
    n_entries: int,
    n_localisation: int = 0,
    n_exemptions: int = 0,
    n_lanes: int = 0,
    version: str = "1",
    id_prefix: str = "",
) -> dict[str, Any]:
    """A catalogue with thousands of entries, drawn like :func:`catalogues` but without
    hypothesis (which must not shrink or store examples that large)."""
    groups = {
        "grp0": {
            "title": "Group 0",
            "countries": ["CN", "RU"],
            "as_of": "2024-01-01",
            "citations": [CITATION],
        }
    }
    pick: Callable[[Sequence[Any]], Any] = rng.choice

    def when() -> dict[str, Any]:
        out: dict[str, Any] = {}
        if rng.random() < 0.3:
            bound = pick(["at_least", "more_than", "less_than", "at_most"])
            out[pick(["individuals", "records", "devices"])] = {
                bound: pick([t for t in THRESHOLDS if t >= 1])
            }
        if rng.random() < 0.2:
            out["anonymised"] = rng.random() < 0.5
        if rng.random() < 0.2:
            out["exporter_ciio"] = rng.random() < 0.5
        if rng.random() < 0.2:
            out["purposes"] = sorted(set(rng.sample(HOT_PURPOSES, rng.randint(1, 2))))
        if rng.random() < 0.1:
            out["recipient_types"] = [pick(HOT_RECIPIENT_TYPES)]
        if rng.random() < 0.1:
            out["context"] = {"public_interest": rng.random() < 0.5}
        if rng.random() < 0.1:
            out["security"] = {"encryption_in_transit": rng.random() < 0.5}
        return out

    def cp() -> dict[str, Any]:
        r = rng.random()
        if r < 0.5:
            return {}
        if r < 0.7:
            return {"counterparties": {"groups": ["grp0"], "include_controlled": True}}
        return {"counterparties": {"countries": [pick(COUNTRIES)]}}

    def dated() -> dict[str, str]:
        return {"effective": pick(DATES).isoformat()} if rng.random() < 0.2 else {}

    entries_ = []
    for n in range(n_entries):
        entry: dict[str, Any] = {
            "id": f"{id_prefix}e{n}",
            "title": f"Entry {n}",
            "categories": sorted(set(rng.sample(CATEGORIES, rng.randint(1, 2)))),
            "direction": pick(["outbound", "inbound", "both"]),
            **cp(),
            "outcome": pick(["restrict", "review"]),
            "requirement": pick(REQUIREMENTS),
            "citations": [CITATION],
            **dated(),
        }
        w = when()
        if w:
            entry["when"] = w
        if rng.random() < 0.1:
            entry["national_security"] = True
        if entry["requirement"] != "prohibited" and rng.random() < 0.5:
            entry["mechanisms"] = [
                pick(HOT_MECHANISMS) if rng.random() < 0.7 else sorted(rng.sample(HOT_MECHANISMS, 2))
                for _ in range(rng.randint(1, 2))
            ]
        entries_.append(entry)
    locs = [
        {
            "id": f"{id_prefix}l{n}",
            "title": f"Localisation {n}",
            "categories": [pick(CATEGORIES)],
            "citations": [CITATION],
        }
        for n in range(n_localisation)
    ]
    targets = [e["id"] for e in entries_] + [e["id"] for e in locs]
    exs = [
        {
            "id": f"{id_prefix}x{n}",
            "title": f"Exemption {n}",
            "applies_to": sorted(set(rng.sample(targets, min(len(targets), 3)))),
            "when": when() or {"purposes": [pick(HOT_PURPOSES)]},
            "citations": [CITATION],
        }
        for n in range(n_exemptions if targets else 0)
    ]
    lanes = [
        {
            "id": f"{id_prefix}g{n}",
            "title": f"Lane {n}",
            "purposes": [pick(HOT_PURPOSES)],
            "citations": [CITATION],
        }
        for n in range(n_lanes)
    ]
    return {
        "jurisdiction": jurisdiction,
        "title": f"Big catalogue {jurisdiction}",
        "version": version,
        "effective": "2020-01-01",
        "sources": [CITATION],
        "context_facts": {"public_interest": "Whether the transfer serves the public interest."},
        "groups": groups,
        "entries": entries_,
        "localisation": locs,
        "green_lanes": lanes,
        "exemptions": exs,
    }


def random_transfer(rng: random.Random, ident: str, countries: Sequence[str] = COUNTRIES) -> Transfer:
    """A transfer drawn like :func:`transfers`, from a ``random.Random``."""

    def maybe(values: Sequence[Any]) -> Any:
        return None if rng.random() < 0.3 else rng.choice(values)

    origin = rng.choice(countries)
    destination = origin if rng.random() < 0.05 else rng.choice([c for c in countries if c != origin])
    near = sorted({max(0, t + d) for t in THRESHOLDS for d in (-1, 0, 1)})
    items = [
        DataItem(
            category=rng.choice(HOT_CATEGORIES if rng.random() < 0.5 else CATEGORIES),
            individuals=maybe(near),
            records=maybe(near),
            devices=maybe(near),
            anonymised=maybe([False, True]),
        )
        for _ in range(rng.randint(1, 3))
    ]
    return Transfer(
        id=ident,
        origin=origin,
        destination=destination,
        exporter=Exporter(ciio=maybe([False, True])),
        recipient=Recipient(
            type=maybe(HOT_RECIPIENT_TYPES),
            affiliate=maybe([False, True]),
            controlled_by=maybe(GROUP_COUNTRIES),
        ),
        purpose=maybe(HOT_PURPOSES),
        transaction=maybe(HOT_TRANSACTIONS),
        data=items,
        context={"public_interest": rng.random() < 0.5} if rng.random() < 0.5 else {},
        security={"encryption_in_transit": rng.random() < 0.5} if rng.random() < 0.5 else {},
        safeguards=[
            Safeguard(
                mechanism=rng.choice(HOT_MECHANISMS),
                reference=f"REF-{n}",
                obtained=rng.choice(OBTAINED),
                expires=maybe(SAFEGUARD_EXPIRES),
            )
            for n in range(rng.choice([0, 0, 1, 2]))
        ],
    )
