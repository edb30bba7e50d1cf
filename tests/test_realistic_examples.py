"""The realistic manifests (examples/realistic, one directory per repository) are all read
and decided: every Fides and ODCS file recognised, none in error, every transfer carrying
data decided. The review rate itself is measured by benchmarks/review_rate.py, not here."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from benchmarks.review_rate import measure, scan_repository
from dataflow_rules.scan import config as cfg

ROOT = Path(__file__).resolve().parent.parent / "examples" / "realistic"
REPOS = sorted(p for p in ROOT.iterdir() if (p / cfg.CONFIG_NAME).is_file())
MANIFESTS = sorted(
    p for p in ROOT.rglob("*.yaml") if p.name != cfg.CONFIG_NAME and not p.name.endswith(".dataflow.yaml")
)


def test_there_are_fifty_manifests_in_several_repositories() -> None:
    assert len(MANIFESTS) == 50 and len(REPOS) >= 5
    origins = {cfg.load_config(r / cfg.CONFIG_NAME, "c").values["origin"][0] for r in REPOS}
    assert {"CN", "US", "GB", "JP", "SG"} <= origins and origins & {"DE", "FR", "IE"}


@pytest.mark.parametrize("repo", REPOS, ids=[r.name for r in REPOS])
def test_every_manifest_is_recognised_and_every_transfer_decided(repo: Path) -> None:
    for with_facts in (False, True):
        result = scan_repository(repo, with_facts)
        files = {f.path: f for f in result.files}
        mine = [p for p in MANIFESTS if p.parent == repo]
        for path in mine:
            f = files[path.relative_to(repo).as_posix()]
            assert (f.status, f.error) == ("recognised", None), (path, f.reason)
            assert f.kind in ("fides", "odcs") and f.transfers, path
            for t in f.transfers:
                assert t.decision is not None and t.categories, (path, t.id)


def test_the_facts_files_are_named_in_the_decisions_they_fill() -> None:
    with_facts = measure(ROOT, with_facts=True)
    assert with_facts.total >= 50
    result = scan_repository(ROOT / "cn-shop", with_facts=True)
    sources = {
        a.source for f in result.files for t in f.transfers if t.decision for a in t.decision.assumptions
    }
    assert cfg.CONFIG_NAME in sources


FIDES = sorted(ROOT.rglob("*.fides.yaml"))
ODCS = sorted(ROOT.rglob("*.contract.yaml"))


def _labels(value: object, name: str) -> list[str]:
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out += (item if isinstance(item, list) else [item]) if key == name else _labels(item, name)
    elif isinstance(value, list):
        for item in value:
            out += _labels(item, name)
    return out


@pytest.mark.parametrize("path", FIDES, ids=[p.name for p in FIDES])
def test_fides_manifests_load_with_fideslang_and_use_its_default_keys(path: Path) -> None:
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY
    from fideslang.manifests import ingest_manifests
    from fideslang.parse import load_manifests_into_taxonomy

    try:
        load_manifests_into_taxonomy(ingest_manifests(str(path)))
    except SystemExit as exc:  # fideslang exits on a bad resource
        raise AssertionError(f"fideslang rejects {path.name}: {exc.code}") from None
    raw = yaml.safe_load(path.read_text())
    known = {
        "data_categories": {c.fides_key for c in DEFAULT_TAXONOMY.data_category},
        "data_use": {u.fides_key for u in DEFAULT_TAXONOMY.data_use},
        "data_subjects": {s.fides_key for s in DEFAULT_TAXONOMY.data_subject},
    }
    for name, keys in known.items():
        assert set(_labels(raw, name)) <= keys, (path.name, name)


@pytest.mark.parametrize("path", ODCS, ids=[p.name for p in ODCS])
def test_odcs_contracts_follow_their_standard(path: Path) -> None:
    value = yaml.safe_load(path.read_text())
    assert value["kind"] == "DataContract"
    if str(value["apiVersion"]).startswith("v3"):
        from open_data_contract_standard.model import OpenDataContractStandard

        OpenDataContractStandard.model_validate(value)
    else:
        assert str(value["apiVersion"]).startswith("v2") and all("columns" in t for t in value["dataset"])
