"""The loader and ``validate`` run one set of catalogue checks, so they agree on every input.

The cross-reference rules and the rules on how catalogues combine are written once
(``catalogues.check_references`` and ``catalogues.Combination``); the loader raises the
first problem, ``validate`` collects them all. For many broken directories (national
catalogues, zone layers, whole directories; a table and random combinations) this checks
what that design promises:

* the loader loads exactly when ``validate`` finds nothing, counting only what
  ``validate`` finds itself (its last-word call to the loader is switched off here);
* the loader's error is one of ``validate``'s problems, at the same file, line, column
  and field, with the same message (``validate`` may add detail after it: the names that
  were possible, where a clashing id is written).
"""

from __future__ import annotations

import copy
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dataflow_rules.crossref
from dataflow_rules import load_policies
from dataflow_rules.catalogues import default_policy_dir
from dataflow_rules.errors import CatalogueError
from dataflow_rules.models.problems import CODES, Problem
from dataflow_rules.workbench import validate as validate_module

from .helpers import write_policies
from .layer_fixtures import BASE, CITE, LAYER, Catalogue, entry

Mutation = Callable[[Catalogue], object]


def outcomes(directory: Path) -> tuple[CatalogueError | None, list[Problem]]:
    """The loader's error (None if it loads) and the problems ``validate`` finds itself."""
    try:
        load_policies(directory)
        error = None
    except CatalogueError as exc:
        error = exc
    with mock.patch.object(validate_module, "load_policies", lambda directory: None):
        problems = validate_module.validate_directory(directory).problems
    return error, problems


def assert_agree(directory: Path) -> None:
    error, problems = outcomes(directory)
    if error is None:
        assert problems == [], "the loader loads, validate reports problems"
        return
    assert problems, f"the loader rejects ({error}) and validate finds nothing"
    where = error.location
    assert where is not None
    at = (where.file, where.line or 1, where.column or 1, where.field or "")
    message = " ".join(error.message.split())
    same = [
        p for p in problems if (p.file, p.line, p.column, p.field) == at and p.message.startswith(message)
    ]
    assert same, f"the loader's {error.one_line()!r} is not among validate's {problems}"


# -- mutations -----------------------------------------------------------------------------


def _lane(ident: str, **fields: Any) -> Catalogue:
    return {"id": ident, "title": ident, "purposes": ["climate_research"], "citations": [CITE], **fields}


def _localisation(ident: str, **fields: Any) -> Catalogue:
    body = {
        "id": ident,
        "title": ident,
        "categories": ["personal.health"],
        "outcome": "restrict",
        "requirement": "local_storage",
        "citations": [CITE],
    }
    return {**body, **fields}


def _when(c: Catalogue, **conditions: Any) -> None:
    c["entries"][0].setdefault("when", {}).update(conditions)


def _first(c: Catalogue, **fields: Any) -> None:
    c["entries"][0].update(fields)


# Each applies to the base catalogue and to the layer alike (both have entries[0] and
# exemptions[0]); some break a rule, some are close variants that are fine.
COMMON: dict[str, Mutation] = {
    "category": lambda c: _first(c, categories=["personal.helth"]),
    "category-no-hint": lambda c: _first(c, categories=["zzz.qqq"]),
    "second-category": lambda c: _first(c, categories=["personal.health", "research.climat"]),
    "group": lambda c: _first(c, counterparties={"groups": ["nobody"]}),
    "except-group": lambda c: _first(c, counterparties={"groups": ["concern"], "except_groups": ["nowhere"]}),
    "controlled-exclusions-only": lambda c: _first(
        c, counterparties={"include_controlled": True, "except_countries": ["FR"]}
    ),
    "controlled-with-countries": lambda c: _first(
        c, counterparties={"include_controlled": True, "countries": ["FR"]}
    ),
    "requirement": lambda c: _first(c, requirement="prayer"),
    "mechanism": lambda c: _first(c, mechanisms=["cn.nothing"]),
    "mechanism-in-alternative": lambda c: _first(c, mechanisms=[["cn.standard_contract", "cn.nothing"]]),
    "prohibited-with-mechanism": lambda c: _first(
        c, requirement="prohibited", mechanisms=["cn.standard_contract"]
    ),
    "prohibited-unknown-mechanism": lambda c: _first(c, requirement="prohibited", mechanisms=["x.y"]),
    "purpose": lambda c: _when(c, purposes=["fun"]),
    "transaction": lambda c: _when(c, transactions=["barter"]),
    "recipient-type": lambda c: _when(c, recipient_types=["alien"]),
    "security": lambda c: _when(c, security={"telepathy": True}),
    "context": lambda c: _when(c, context={"made_up": True}),
    "context-declared": lambda c: _when(c, context={"zone_listed": True}),
    "exemption-target": lambda c: c["exemptions"][0].update(applies_to=["nz.health", "nz.nothing"]),
    "exemption-names-a-lane": lambda c: (
        c.update(green_lanes=[_lane("nz.lane.x", direction="outbound")]),
        c["exemptions"][0].update(applies_to=["nz.lane.x"]),
    ),
    "exemption-context": lambda c: c["exemptions"][0]["when"].update(context={"made_up": False}),
    "exemption-purpose": lambda c: c["exemptions"][0]["when"].update(purposes=["fun"]),
    "duplicate-entry": lambda c: c["entries"].append(copy.deepcopy(c["entries"][0])),
    "exemption-reuses-entry-id": lambda c: c["exemptions"].append(
        {**copy.deepcopy(c["exemptions"][0]), "id": c["entries"][0]["id"]}
    ),
    "lane-category": lambda c: c.update(
        green_lanes=[_lane("nz.lane.x", direction="outbound", categories=["research.climat"])]
    ),
    "lane-purpose": lambda c: c.update(
        green_lanes=[_lane("nz.lane.x", direction="outbound", purposes=["fun"])]
    ),
    "lane-group": lambda c: c.update(
        green_lanes=[_lane("nz.lane.x", direction="outbound", counterparties={"groups": ["nobody"]})]
    ),
    "lane-controlled": lambda c: c.update(
        green_lanes=[_lane("nz.lane.x", direction="outbound", counterparties={"include_controlled": True})]
    ),
    "lane-context": lambda c: c.update(
        green_lanes=[_lane("nz.lane.x", direction="outbound", when={"context": {"made_up": True}})]
    ),
    "localisation-category": lambda c: c.update(localisation=[_localisation("nz.loc", categories=["x.y"])]),
    "localisation-requirement": lambda c: c.update(localisation=[_localisation("nz.loc", requirement="x")]),
    "localisation-reuses-id": lambda c: c.update(localisation=[_localisation(c["entries"][0]["id"])]),
    "exemption-names-localisation": lambda c: (
        c.update(localisation=[_localisation("nz.loc")]),
        c["exemptions"][0].update(applies_to=["nz.loc"]),
    ),
    "schema-and-reference": lambda c: (
        _first(c, colour="red"),
        c["exemptions"][0].update(applies_to=["nz.nothing"]),
    ),
}

LAYER_ONLY: dict[str, Mutation] = {
    "disables-unknown": lambda c: c.update(disables=["nz.nothing"]),
    "disables-base-lane": lambda c: c.update(disables=["nz.base.lane"]),
    "disables-own-entry": lambda c: c.update(disables=["nz.zone.climate"]),
    "disables-national-security": lambda c: c.update(disables=["nz.secret"]),
    "disables-exemption": lambda c: c.update(disables=["nz.exempt.research"]),
    "disables-inbound": lambda c: c.update(disables=["nz.import.health"]),
    "inbound-entry": lambda c: c["entries"].append(entry("nz.zone.in", direction="inbound")),
    "both-ways-entry": lambda c: c["entries"].append(entry("nz.zone.in", direction="both")),
    "lane-without-direction": lambda c: c.update(green_lanes=[_lane("nz.zone.lane")]),
    "inbound-lane": lambda c: c.update(green_lanes=[_lane("nz.zone.lane", direction="inbound")]),
    "reuses-base-entry-id": lambda c: c["entries"].append(entry("nz.secret")),
    "reuses-base-lane-id": lambda c: c["entries"].append(entry("nz.base.lane")),
    "reuses-base-exemption-id": lambda c: c["exemptions"].append(
        {**copy.deepcopy(c["exemptions"][0]), "id": "nz.exempt.research"}
    ),
    "targets-own-entry": lambda c: c["exemptions"][0].update(applies_to=["nz.health", "nz.zone.climate"]),
}


def base_with_lane() -> Catalogue:
    """The fixture base with a green lane, so a layer can name one."""
    base = copy.deepcopy(BASE)
    base["green_lanes"] = [_lane("nz.base.lane", direction="outbound")]
    return base


def mutated(body: Catalogue, *mutations: Mutation) -> Catalogue:
    body = copy.deepcopy(body)
    for mutation in mutations:
        mutation(body)
    return body


def directories() -> dict[str, dict[str, Catalogue | str]]:
    """Policy directories by name, as file name to body."""
    out: dict[str, dict[str, Catalogue | str]] = {}
    for name, mutation in COMMON.items():
        out[f"national/{name}"] = {"nz.yaml": mutated(BASE, mutation)}
        out[f"layer/{name}"] = {"nz.yaml": base_with_lane(), "nz-zone.yaml": mutated(LAYER, mutation)}
    for name, mutation in LAYER_ONLY.items():
        out[f"layer/{name}"] = {"nz.yaml": base_with_lane(), "nz-zone.yaml": mutated(LAYER, mutation)}
    broken_base = mutated(BASE, lambda c: _first(c, colour="red"))
    other = mutated(BASE, lambda c: c.update(jurisdiction="AU", covers=["NZ"]))
    out |= {
        "directory/clean": {"nz.yaml": BASE, "nz-zone.yaml": LAYER},
        "directory/layer-without-base": {"nz-zone.yaml": LAYER},
        "directory/layer-on-another-jurisdiction": {
            "nz.yaml": BASE,
            "nz-zone.yaml": {**LAYER, "jurisdiction": "AU"},
        },
        "directory/layer-on-a-broken-base": {"nz.yaml": broken_base, "nz-zone.yaml": LAYER},
        "directory/two-layers-for-a-zone": {"nz.yaml": BASE, "nz-zone.yaml": LAYER, "nz-zone1.yaml": LAYER},
        "directory/two-catalogues": {"a.yaml": BASE, "b.yaml": BASE},
        "directory/two-catalogues-second-broken": {
            "a.yaml": BASE,
            "b.yaml": mutated(BASE, COMMON["category"]),
        },
        "directory/country-covered-twice": {"au.yaml": other, "nz.yaml": BASE},
        "directory/country-covered-twice-and-a-reference": {
            "au.yaml": mutated(other, COMMON["category"]),
            "nz.yaml": BASE,
        },
        "directory/unreadable": {"nz.yaml": "jurisdiction: [\n", "nz-zone.yaml": LAYER},
    }
    return out


# The shipped catalogues, one line changed: real files, real line numbers.
SHIPPED_EDITS: dict[str, tuple[str, str, str]] = {
    "tianjin-disables-national-security": (
        "cn-tianjin-ftz.yaml",
        "  - cn.exempt.ftz_negative_list",
        "  - cn.core.assessment",
    ),
    "tianjin-disables-unknown": ("cn-tianjin-ftz.yaml", "  - cn.exempt.ftz_negative_list", "  - cn.exempt.x"),
    "tianjin-context-fact": (
        "cn-tianjin-ftz.yaml",
        "        tianjin_ftz_finance: false",
        "        tianjin_ftz_financ: false",
    ),
    "tianjin-target": (
        "cn-tianjin-ftz.yaml",
        "      - cn.pi.general.contract\n",
        "      - cn.pi.general.x\n",
    ),
    "tianjin-reuses-base-id": (
        "cn-tianjin-ftz.yaml",
        "  - id: cn.tianjin.outside_list",
        "  - id: cn.exempt.hr",
    ),
    "cn-mechanism": ("cn.yaml", "    mechanisms: [cn.export_licence]", "    mechanisms: [cn.export_licenc]"),
    "eu-covers-gb": ("eu.yaml", "covers: [AT, BE,", "covers: [AT, GB, BE,"),
}

DIRECTORIES = directories()


@pytest.mark.parametrize("name", sorted(DIRECTORIES))
def test_the_loader_and_validate_agree(name: str, tmp_path: Path) -> None:
    assert_agree(write_policies(tmp_path, DIRECTORIES[name]))


@pytest.mark.parametrize("name", sorted(SHIPPED_EDITS))
def test_they_agree_on_the_shipped_catalogues_changed(name: str, tmp_path: Path) -> None:
    file, old, new = SHIPPED_EDITS[name]
    shipped = default_policy_dir()
    files: dict[str, Catalogue | str] = {
        p.name: p.read_text(encoding="utf-8") for p in shipped.glob("*.yaml") if p.name != "taxonomy.yaml"
    }
    text = files[file]
    assert isinstance(text, str) and old in text
    files[file] = text.replace(old, new, 1)
    assert_agree(write_policies(tmp_path, files))


def test_the_table_breaks_every_rule_and_keeps_close_variants_clean(tmp_path: Path) -> None:
    """Guards the table: every code the shared checks can report is raised by some case,
    and the fine variants load (so agreement is not only tested on failures)."""
    seen: set[str] = set()
    clean = 0
    for i, name in enumerate(sorted(DIRECTORIES)):
        error, problems = outcomes(write_policies(tmp_path / str(i), DIRECTORIES[name]))
        seen |= {p.code for p in problems}
        clean += error is None
    assert shared_codes() <= seen
    assert clean >= 5


def shared_codes() -> set[str]:
    """The codes the shared checks report, read from their source."""
    source = Path(dataflow_rules.crossref.__file__).read_text(encoding="utf-8")
    return set(re.findall(r'"(DFR\d{3})"', source))


def test_every_code_the_shared_checks_report_is_documented() -> None:
    codes = shared_codes()
    assert codes and codes <= set(CODES)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    layered=st.booleans(),
    names=st.lists(st.sampled_from(sorted(COMMON) + sorted(LAYER_ONLY)), min_size=1, max_size=4),
)
def test_they_agree_on_several_faults_at_once(layered: bool, names: list[str]) -> None:
    """With several faults the loader reports the first it meets; validate has it too."""
    mutations = [COMMON.get(n) or LAYER_ONLY[n] for n in names if layered or n in COMMON]
    files: dict[str, Catalogue | str]
    if layered:
        files = {"nz.yaml": base_with_lane(), "nz-zone.yaml": mutated(LAYER, *mutations)}
    else:
        files = {"nz.yaml": mutated(BASE, *mutations), "nz-zone.yaml": LAYER}
    with tempfile.TemporaryDirectory() as tmp:
        assert_agree(write_policies(Path(tmp), files))


def test_validate_adds_detail_after_the_loaders_message(tmp_path: Path) -> None:
    """The detail is validate's alone: the loader's message is unchanged (scripts and
    tests match it), validate's starts with it."""
    directory = write_policies(
        tmp_path,
        {"nz.yaml": BASE, "nz-zone.yaml": mutated(LAYER, LAYER_ONLY["reuses-base-entry-id"])},
    )
    error, problems = outcomes(directory)
    assert error is not None
    assert error.message == "id 'nz.secret' is already used in the NZ catalogue this layer extends"
    (p,) = problems
    base_lines = (directory / "nz.yaml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(base_lines, 1) if text.endswith("id: nz.secret"))
    assert p.message == f"{error.message} ({directory / 'nz.yaml'}:{line})"
