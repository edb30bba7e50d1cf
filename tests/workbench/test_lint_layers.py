"""``validate`` and ``lint`` on zone layers (docs/workbench.md, "Zone layers").

The fixtures in ``layer_catalogues/`` are a clean base (``nz.yaml``) and a clean layer on
it (``nz-zone.yaml``): lint finds nothing in them. Each test changes one of them a little
and checks that a code appears, at the line that holds the problem, and that a close
variant which is fine does not raise it.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dataflow_rules import load_policies
from dataflow_rules.cli import app
from dataflow_rules.errors import CatalogueError
from dataflow_rules.models.policies import merged
from dataflow_rules.models.problems import CODES, Problem, Severity
from dataflow_rules.workbench.lint import _Origins, lint_directory
from dataflow_rules.workbench.validate import validate_directory

from .helpers import dump, write_policies
from .layer_fixtures import BASE, CITE, LAYER, Catalogue, entry

AS_OF = dt.date(2026, 3, 2)
ZONE = "nz.zone.test"
LAYER_CODES = {code for code in CODES if code.startswith("DFR06")}


def base() -> Catalogue:
    return copy.deepcopy(BASE)


def layer() -> Catalogue:
    return copy.deepcopy(LAYER)


def write(tmp_path: Path, base_body: Catalogue | str | None, *layers: Catalogue | str) -> Path:
    files: dict[str, Catalogue | str] = {} if base_body is None else {"nz.yaml": base_body}
    for i, body in enumerate(layers):
        files[f"nz-zone{i or ''}.yaml"] = body
    return write_policies(tmp_path, files)


def lint(directory: Path) -> list[Problem]:
    return lint_directory(directory, AS_OF)


def only(problems: list[Problem], code: str) -> list[Problem]:
    return [p for p in problems if p.code == code]


def line_of(directory: Path, p: Problem) -> str:
    """The text of the line a problem points at."""
    return (directory / Path(p.file).name).read_text(encoding="utf-8").splitlines()[p.line - 1]


def _with(c: Catalogue, **changes: Any) -> Catalogue:
    c.update(changes)
    return c


def _exemption(c: Catalogue, **changes: Any) -> Catalogue:
    c["exemptions"][0].update(changes)
    return c


def _when(c: Catalogue, **conditions: Any) -> Catalogue:
    c["exemptions"][0]["when"].update(conditions)
    return c


def _addentry(c: Catalogue, entry: dict[str, Any]) -> Catalogue:
    c.setdefault("entries", []).append(entry)
    return c


def _group(c: Catalogue, countries: list[str]) -> Catalogue:
    c["groups"] = {
        "concern": {
            "title": "Zone concern",
            "countries": countries,
            "as_of": "2020-01-01",
            "citations": [CITE],
        }
    }
    return c


def _future(c: Catalogue) -> Catalogue:
    """The layer with an entry not yet in force, relieved by its exemption too."""
    future = entry("nz.zone.future", categories=["research.scientific"], effective="2030-01-01")
    c["exemptions"][0]["applies_to"] = ["nz.health", "nz.zone.future"]
    return _addentry(c, future)


SECRET_COPY = {k: v for k, v in BASE["entries"][3].items() if k != "id"}
CLIMATE_COPY = {k: v for k, v in BASE["entries"][1].items() if k != "id"}


def line_in(body: Catalogue, text: str) -> int:
    """The line of ``text`` in ``body`` as ``write`` puts it on disk."""
    return dump(body).splitlines().index(text) + 1


# -- the fixtures ------------------------------------------------------------------------


def test_the_fixtures_are_clean_and_load(tmp_path: Path) -> None:
    directory = write(tmp_path, base(), layer())
    assert lint(directory) == []
    assert list(load_policies(directory).layers) == [("NZ", ZONE)]


def test_every_layer_code_is_tested() -> None:
    tested = {code for code, _, _ in LINT_CASES} | {code for code, _, _ in VALIDATE_CASES}
    assert tested == LAYER_CODES


# -- validate: a layer is reference-checked against its base -------------------------------

Mutation = Callable[[Catalogue], Catalogue]

VALIDATE_CASES: list[tuple[str, Mutation, Mutation]] = [
    # (code, a layer that raises it, a close variant that is fine)
    (
        "DFR060",
        lambda c: _with(c, jurisdiction="AU"),
        lambda c: c,
    ),
    ("DFR061", lambda c: _with(c, disables=["nz.nothing"]), lambda c: _with(c, disables=["nz.health"])),
    ("DFR062", lambda c: _with(c, disables=["nz.secret"]), lambda c: _with(c, disables=["nz.climate"])),
    (
        "DFR063",
        lambda c: _addentry(c, entry("nz.zone.in", direction="both")),
        lambda c: _addentry(c, entry("nz.zone.in", direction="outbound")),
    ),
]


@pytest.mark.parametrize(("code", "bad", "good"), VALIDATE_CASES, ids=[c[0] for c in VALIDATE_CASES])
def test_validate_layer_code(code: str, bad: Mutation, good: Mutation, tmp_path: Path) -> None:
    found = validate_directory(write(tmp_path / "bad", base(), bad(layer()))).problems
    assert [p.code for p in found] == [code], found
    assert found[0].severity is Severity.ERROR and found[0].file.endswith("nz-zone.yaml")
    assert validate_directory(write(tmp_path / "good", base(), good(layer()))).problems == []


def test_a_layer_gets_every_reference_error_at_once_with_lines(tmp_path: Path) -> None:
    c = layer()
    c["disables"] = ["nz.climate", "nz.exempt.nothing", "nz.secret"]
    c["entries"][0]["categories"] = ["research.climat"]
    c["entries"][0]["counterparties"] = {"groups": ["concern"], "except_groups": ["nowhere"]}
    c["entries"].append(entry("nz.health", when={"context": {"zone_listd": True}}))
    c["exemptions"][0]["applies_to"] = ["nz.health", "nz.nothing"]
    c["green_lanes"] = [
        {"id": "nz.zone.lane", "title": "lane", "purposes": ["climate_research"], "citations": [CITE]}
    ]
    directory = write(tmp_path, base(), c)
    problems = validate_directory(directory).problems
    found = {(p.code, p.field) for p in problems}
    assert found == {
        ("DFR061", "disables[1]"),
        ("DFR062", "disables[2]"),
        ("DFR011", "entries[0].categories[0]"),
        ("DFR010", "entries[0].counterparties.except_groups[0]"),
        ("DFR015", "entries[1].id"),
        ("DFR014", "entries[1].when.context.zone_listd"),
        ("DFR013", "exemptions[0].applies_to[1]"),
        ("DFR063", "green_lanes[0].direction"),
    }
    expected_text = {
        "DFR061": "nz.exempt.nothing",
        "DFR062": "nz.secret",
        "DFR011": "research.climat",
        "DFR010": "nowhere",
        "DFR015": "nz.health",
        "DFR014": "zone_listd",
        "DFR013": "nz.nothing",
        "DFR063": "nz.zone.lane",  # no direction written: the lane's own line
    }
    for p in problems:
        assert p.file.endswith("nz-zone.yaml") and p.column >= 1
        assert expected_text[p.code] in line_of(directory, p), p
    by_code = {p.code: p for p in problems}
    assert "has no entry, localisation entry or exemption" in by_code["DFR061"].message
    assert "nz.yaml:" in by_code["DFR015"].message  # names where the base uses the id
    assert "defaults to both" in by_code["DFR063"].message


def test_a_layers_references_resolve_in_its_base(tmp_path: Path) -> None:
    """The clean layer names a base group, a base context fact and a base entry: with no
    base to resolve them in those would be errors, so validate really reads the base."""
    c = layer()
    c["jurisdiction"] = "AU"
    au = base()
    au.update(jurisdiction="AU", groups={}, context_facts={}, entries=[], exemptions=[])
    problems = validate_directory(write(tmp_path, au, c)).problems
    assert {p.code for p in problems} == {"DFR010", "DFR013", "DFR014", "DFR061"}


def test_a_layers_schema_errors_are_all_reported(tmp_path: Path) -> None:
    c = layer()
    c["entries"][0]["colour"] = "red"
    c["exemptions"][0]["when"] = {}
    problems = validate_directory(write(tmp_path, base(), c)).problems
    assert [p.code for p in problems] == ["DFR001", "DFR001"]
    assert [p.field for p in problems] == ["entries[0].colour", "exemptions[0]"]


def test_a_layer_with_no_base_is_reported_not_crashed_on(tmp_path: Path) -> None:
    directory = write(tmp_path, None, layer())
    (p,) = validate_directory(directory).problems
    assert p.code == "DFR060" and "no NZ catalogue is loaded" in p.message
    assert line_of(directory, p).startswith("jurisdiction:")
    assert [q.code for q in lint(directory)] == ["DFR060"]


def test_a_layer_waits_for_a_base_that_does_not_fit_the_schema(tmp_path: Path) -> None:
    """The base's own error is the one to fix; "no NZ catalogue" would point elsewhere."""
    broken = base()
    broken["entries"][0]["colour"] = "red"
    problems = validate_directory(write(tmp_path, broken, layer())).problems
    assert [(p.code, Path(p.file).name) for p in problems] == [("DFR001", "nz.yaml")]


def test_two_layers_for_one_zone_are_reported_and_both_checked(tmp_path: Path) -> None:
    second = layer()
    second["entries"][0]["categories"] = ["research.climat"]
    problems = validate_directory(write(tmp_path, base(), layer(), second)).problems
    assert sorted((p.code, Path(p.file).name) for p in problems) == [
        ("DFR011", "nz-zone1.yaml"),
        ("DFR016", "nz-zone1.yaml"),
    ]
    # validate says what the loader says: both run catalogues.Combination
    assert "second layer for NZ zone 'nz.zone.test'" in only(problems, "DFR016")[0].message


@pytest.mark.parametrize(
    "mutation",
    [case[1] for case in VALIDATE_CASES]
    + [
        lambda c: _with(c, disables=["nz.zone.climate"]),
        lambda c: _addentry(c, entry("nz.secret")),
        lambda c: _when(c, context={"zone_listd": False}),
        lambda c: _exemption(c, applies_to=["nz.zone.nothing"]),
    ],
)
def test_validate_and_the_loader_agree_on_layers(mutation: Mutation, tmp_path: Path) -> None:
    """The loader stops at its first error; validate reports it too, at the same line."""
    directory = write(tmp_path, base(), mutation(layer()))
    problems = validate_directory(directory).problems
    with pytest.raises(CatalogueError) as raised:
        load_policies(directory)
    where = raised.value.location
    assert where is not None
    assert (Path(where.file).name, where.line) in {(Path(p.file).name, p.line) for p in problems}
    assert all(p.code != "DFR001" for p in problems)  # named by its own code, not the loader's catch-all


def test_validate_reports_unknown_except_groups_and_controlled_without_countries(tmp_path: Path) -> None:
    """Two reference rules the loader had and validate missed (found while reusing them)."""
    c = base()
    c["entries"][1]["counterparties"] = {"groups": ["concern"], "except_groups": ["nowhere"]}
    c["entries"][2]["counterparties"] = {"include_controlled": True, "except_countries": ["FR"]}
    problems = validate_directory(write(tmp_path, c)).problems
    assert [(p.code, p.field) for p in problems] == [
        ("DFR010", "entries[1].counterparties.except_groups[0]"),
        ("DFR017", "entries[2].counterparties.include_controlled"),
    ]


# -- lint: the layer's own checks ----------------------------------------------------------

LINT_CASES: list[tuple[str, Mutation, Mutation]] = [
    # (code, a layer that raises it, a close variant that does not)
    (
        "DFR064",
        lambda c: _with(c, disables=["nz.climate", "nz.climate"]),
        lambda c: _with(c, disables=["nz.climate"]),
    ),
    (
        "DFR065",
        lambda c: _with(c, disables=[], entries=[], exemptions=[]),
        lambda c: _with(c, entries=[], exemptions=[]),  # still disables nz.climate
    ),
    (
        "DFR066",
        lambda c: _when(c, anonymised=True),  # nz.health needs anonymised: false
        lambda c: _when(c, anonymised=False),
    ),
    (
        "DFR066",
        lambda c: _exemption(c, applies_to=["nz.import.health"]),  # inbound: not the zone's side
        lambda c: _exemption(c, applies_to=["nz.health"]),
    ),
    (
        "DFR066",
        lambda c: _with(c, disables=["nz.climate", "nz.health"]),
        lambda c: _with(c, disables=["nz.climate"]),
    ),
    (
        "DFR066",
        lambda c: _exemption(_future(c), expires="2029-12-31"),  # the entry starts in 2030
        lambda c: _exemption(_future(c), expires="2030-01-01"),  # one day in common
    ),
    (
        "DFR067",
        lambda c: _addentry(c, {"id": "nz.zone.secret", **SECRET_COPY}),
        # another safeguard: satisfying the base entry no longer satisfies this one
        lambda c: _addentry(
            c, {"id": "nz.zone.secret", **SECRET_COPY, "mechanisms": ["cn.government_approval"]}
        ),
    ),
    (
        "DFR067",
        lambda c: _addentry(_with(c, disables=[], entries=[]), {"id": "nz.zone.climate2", **CLIMATE_COPY}),
        lambda c: _addentry(_with(c, entries=[]), {"id": "nz.zone.climate2", **CLIMATE_COPY}),  # disabled
    ),
    (
        "DFR068",
        lambda c: _group(_with(c, disables=[], entries=[]), ["CN", "RU", "IR"]),  # nz.climate names it
        lambda c: _group(c, ["CN", "RU", "IR"]),  # nz.climate disabled: no base rule affected
    ),
    (
        "DFR068",
        lambda c: _group(_with(c, disables=[], entries=[]), ["CN"]),
        lambda c: _group(_with(c, disables=[], entries=[]), ["RU", "CN"]),  # the same countries
    ),
]


@pytest.mark.parametrize(
    ("code", "bad", "good"), LINT_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(LINT_CASES)]
)
def test_lint_layer_code(code: str, bad: Mutation, good: Mutation, tmp_path: Path) -> None:
    directory = write(tmp_path / "bad", base(), bad(layer()))
    problems = lint(directory)
    assert [p.code for p in problems] == [code], problems
    (p,) = problems
    assert p.severity is Severity.WARNING and p.file.endswith("nz-zone.yaml")
    assert validate_directory(directory).problems == []  # lint-only: the layer loads
    assert lint(write(tmp_path / "good", base(), good(layer()))) == []


def test_lint_layer_messages_point_at_the_problem(tmp_path: Path) -> None:
    c = layer()
    c["disables"] = ["nz.climate", "nz.health", "nz.climate"]
    c["exemptions"][0]["applies_to"] = ["nz.health", "nz.import.health"]
    _group(c, ["CN", "IR"])
    c["entries"].append(
        entry("nz.zone.research", categories=["research.climate"], counterparties={"groups": ["concern"]})
    )
    base_body = base()
    base_body["entries"].append(
        entry("nz.trade", categories=["research.scientific"], counterparties={"except_groups": ["concern"]})
    )
    directory = write(tmp_path, base_body, c)
    problems = lint(directory)
    by = {(p.code, p.field): p for p in problems}
    assert set(by) == {
        ("DFR064", "disables[2]"),
        ("DFR066", "exemptions[0].applies_to[0]"),
        ("DFR066", "exemptions[0].applies_to[1]"),
        ("DFR068", "groups.concern"),
    }
    assert "also disables[0]" in by["DFR064", "disables[2]"].message
    disabled = by["DFR066", "exemptions[0].applies_to[0]"]
    inbound = by["DFR066", "exemptions[0].applies_to[1]"]
    assert "this layer disables it" in disabled.message and "clears nothing" in disabled.message
    assert "inbound entry" in inbound.message and "nz.import.health" in line_of(directory, inbound)
    group = by["DFR068", "groups.concern"]
    assert line_of(directory, group).strip().startswith("concern:")
    assert f"nz.yaml:{line_in(base_body, '  concern:')}" in group.message  # the base's, with its line
    assert "adds IR and drops RU" in group.message and "'nz.trade'" in group.message
    assert "nz.climate" not in group.message  # disabled for the zone: its meaning does not change


def test_an_exemption_that_clears_some_of_its_entries_is_reported_for_those_only(tmp_path: Path) -> None:
    c = _exemption(layer(), applies_to=["nz.health", "nz.import.health"])
    (p,) = lint(write(tmp_path, base(), c))
    assert p.code == "DFR066" and p.field == "exemptions[0].applies_to[1]"
    assert "clears nothing" not in p.message


def test_conflicting_conditions_are_named(tmp_path: Path) -> None:
    c = _when(layer(), anonymised=True, individuals={"less_than": 1000})
    (p,) = lint(write(tmp_path, base(), c))
    assert "contradict each other on individuals, anonymised" in p.message


def test_what_dfr068_warns_of_is_what_the_engine_does(tmp_path: Path) -> None:
    """The redefined group really changes the base rule for the zone's exporters: climate
    data to Iran meets nz.climate from the zone (through the layer's 'concern') and does
    not from elsewhere in NZ."""
    from dataflow_rules import Engine, Transfer, Verdict

    directory = write(tmp_path, base(), _group(_with(layer(), disables=[], entries=[]), ["CN", "RU", "IR"]))
    assert [p.code for p in lint(directory)] == ["DFR068"]

    def to_iran(zone: str | None) -> Transfer:
        body = {
            "id": "t",
            "origin": "NZ",
            "destination": "IR",
            "date": "2026-03-02",
            "exporter": {"zone": zone},
            "data": [{"category": "research.climate"}],
        }
        return Transfer.model_validate(body)

    engine = Engine(load_policies(directory))
    try:
        zoned, national = engine.decide(to_iran(ZONE)), engine.decide(to_iran(None))
    finally:
        engine.close()
    # (national is allow: Iran has no catalogue, so its side is taken to place no conditions
    # on receipt, and the decision says so)
    assert zoned.verdict is Verdict.RESTRICT and national.verdict is Verdict.ALLOW
    assert [a.fact for a in national.assumptions] == ["IR inbound"]
    assert "nz.climate" in {r.entry_id for r in zoned.reasons}
    assert "nz.climate" not in {r.entry_id for r in national.reasons}


def test_an_empty_layer_is_reported_at_its_zone_unless_a_group_changes_base_rules(tmp_path: Path) -> None:
    empty = _with(layer(), disables=[], entries=[], exemptions=[])
    directory = write(tmp_path / "empty", base(), empty)
    (p,) = lint(directory)
    assert p.code == "DFR065" and line_of(directory, p).startswith("zone:")
    regroup = _group(copy.deepcopy(empty), ["CN"])
    assert [q.code for q in lint(write(tmp_path / "group", base(), regroup))] == ["DFR068"]
    unused = copy.deepcopy(empty)
    unused["groups"] = {"zone_only": regroup["groups"]["concern"]}
    (q,) = lint(write(tmp_path / "unused", base(), unused))
    assert q.code == "DFR065" and "groups and context facts alone" in q.message


def test_a_redundant_layer_entry_names_the_base_entry_and_the_fix(tmp_path: Path) -> None:
    c = _addentry(_with(layer(), disables=[], entries=[]), {"id": "nz.zone.climate2", **CLIMATE_COPY})
    directory = write(tmp_path, base(), c)
    (p,) = lint(directory)
    assert "nz.zone.climate2" in line_of(directory, p)
    assert f"'nz.climate' (nz.yaml:{line_in(base(), '- id: nz.climate')})" in p.message.replace(
        str(directory) + "/", ""
    )
    assert "list 'nz.climate' in disables" in p.message
    # A national-security base entry cannot be disabled: the advice is to leave the copy out.
    (q,) = lint(
        write(tmp_path / "secret", base(), _addentry(layer(), {"id": "nz.zone.secret", **SECRET_COPY}))
    )
    assert "cannot disable the national-security entry 'nz.secret'" in q.message
    assert "in disables" not in q.message


def test_a_copy_of_an_exempted_base_entry_is_not_redundant(tmp_path: Path) -> None:
    """The base's research exemption clears nz.health but not a layer's copy of it, so the
    copy changes research transfers' verdicts: not reported."""
    copy_ = {k: v for k, v in BASE["entries"][0].items() if k != "id"}
    assert lint(write(tmp_path, base(), _addentry(layer(), {"id": "nz.zone.health", **copy_}))) == []


# -- lint: the existing checks, on the catalogue the zone is decided by --------------------


def test_a_layer_entry_shadowed_by_a_base_entry_is_reported_in_the_layer(tmp_path: Path) -> None:
    """nz.secret (restrict, no exemption) applies whenever the zone's review entry does."""
    review = entry("nz.zone.important", categories=["state.important"], mechanisms=["cn.security_assessment"])
    directory = write(tmp_path / "shadowed", base(), _addentry(layer(), review))
    (p,) = lint(directory)
    assert p.code == "DFR050" and p.file.endswith("nz-zone.yaml")
    assert "nz.zone.important" in line_of(directory, p) and "'nz.secret' (restrict)" in p.message
    # Met by another safeguard, the review entry can stand when nz.secret is satisfied.
    review["mechanisms"] = ["cn.government_approval"]
    codes = [q.code for q in lint(write(tmp_path / "kept", base(), _addentry(layer(), review)))]
    assert codes == ["DFR051"]


def test_an_overlap_of_a_base_and_a_layer_entry_is_reported_at_the_layerentry(tmp_path: Path) -> None:
    broad = entry("nz.zone.personal", categories=["personal"], when={"individuals": {"at_most": 2000}})
    directory = write(tmp_path / "overlap", base(), _addentry(layer(), broad))
    (p,) = lint(directory)
    assert p.code == "DFR051" and "nz.zone.personal" in line_of(directory, p)
    assert "'nz.health' (restrict) and 'nz.zone.personal' (review)" in p.message
    narrow = entry("nz.zone.personal", categories=["personal"], when={"individuals": {"at_most": 500}})
    assert lint(write(tmp_path / "apart", base(), _addentry(layer(), narrow))) == []


def _base_with_a_shadow() -> Catalogue:
    """The base plus a review entry that nz.health shadows (both under nz.exempt.research)."""
    c = base()
    c["entries"].append(
        entry(
            "nz.clinical",
            categories=["personal.health.clinical"],
            when={"individuals": {"at_least": 5000}, "anonymised": False},
            effective="2022-01-01",
            mechanisms=["cn.standard_contract"],
        )
    )
    c["exemptions"][0]["applies_to"] = ["nz.health", "nz.clinical"]
    return c


def test_a_base_only_problem_is_not_repeated_for_the_layer(tmp_path: Path) -> None:
    c = _exemption(layer(), applies_to=["nz.health", "nz.clinical"])
    directory = write(tmp_path, _base_with_a_shadow(), c)
    (p,) = lint(directory)
    assert p.code == "DFR050" and p.file.endswith("nz.yaml") and "zone" not in p.message
    assert "nz.clinical" in line_of(directory, p)


def test_a_problem_between_base_entries_that_only_the_zone_has_is_reported_in_the_base(
    tmp_path: Path,
) -> None:
    """The layer's exemption relieves nz.health but not nz.clinical: in the zone the review
    entry is no longer shadowed, and the two overlap. Both live in the base file."""
    directory = write(tmp_path, _base_with_a_shadow(), layer())
    problems = lint(directory)
    assert [(p.code, Path(p.file).name) for p in problems] == [
        ("DFR051", "nz.yaml"),  # the zone's, at nz.health
        ("DFR050", "nz.yaml"),  # the base's own, at nz.clinical
    ]
    zone_only = problems[0]
    assert zone_only.message.startswith(f"for zone '{ZONE}' (") and "nz-zone.yaml" in zone_only.message
    assert "nz.health" in line_of(directory, zone_only)
    assert "zone" not in problems[1].message


def test_every_item_of_the_merged_catalogue_is_located_in_its_own_file(tmp_path: Path) -> None:
    c = _addentry(layer(), {"id": "nz.zone.secret", **SECRET_COPY})
    c["disables"] = ["nz.climate", "nz.import.health"]
    c["green_lanes"] = [
        {
            "id": "nz.zone.lane",
            "title": "lane",
            "direction": "outbound",
            "purposes": ["climate_research"],
            "citations": [CITE],
        }
    ]
    directory = write(tmp_path, base(), c)
    checked = validate_directory(directory)
    assert checked.problems == []
    (zone_file,) = [f for f in checked.files if f.base is not None]
    assert zone_file.catalogue and zone_file.document and zone_file.base
    assert zone_file.base.catalogue and zone_file.base.document
    mixed = merged(zone_file.base.catalogue, zone_file.catalogue)
    origins = _Origins(
        zone_file.base.catalogue, zone_file.base.document, zone_file.catalogue, zone_file.document, mixed
    )
    seen = 0
    for section in ("entries", "localisation", "green_lanes", "exemptions"):
        for k, item in enumerate(getattr(mixed, section)):
            where = origins.locate((section, k, "id"))
            text = Path(where.file).read_text(encoding="utf-8").splitlines()[(where.line or 1) - 1]
            assert item.id in text, (section, k, item.id, where)
            assert Path(where.file).name == ("nz-zone.yaml" if item.id.startswith("nz.zone") else "nz.yaml")
            seen += 1
    assert seen == 4 + 1 + 2  # nz.health, nz.secret and the layer's two entries; lane; exemptions


# -- the shipped layer and the command line ------------------------------------------------


def test_the_shipped_layer_has_no_lint_problem() -> None:
    problems = lint_directory(None, AS_OF)
    assert [p for p in problems if "tianjin" in p.file or "zone" in p.message] == []


def test_lint_cli_reports_layer_problems_in_json(tmp_path: Path) -> None:
    directory = write(tmp_path, base(), _when(layer(), anonymised=True))
    result = CliRunner().invoke(app, ["lint", str(directory), "--format", "json", "--as-of", "2026-03-02"])
    assert result.exit_code == 10
    (p,) = json.loads(result.output)["problems"]
    assert p["code"] == "DFR066" and p["name"] == "dead-exemption-target" and p["line"] > 1
    broken = write(tmp_path / "b", None, layer())
    assert CliRunner().invoke(app, ["validate", str(broken)]).exit_code == 6
