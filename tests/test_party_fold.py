"""Party keys fold look-alike letters (engine/confusables.py, UTS #39 confusables): an
exporter or recipient written with a Cyrillic or Greek letter that looks like a Latin one is
the same party, and its transfers count with the other spelling's (China's 100,000 a year,
2024 Provisions Art 8; the US rule's 1,000 biometric identifiers over 12 months with one
foreign person, 28 CFR 202.205(c)). Keyed by NFKC and casefold alone, the look-alike was
another party and both transfers were allowed."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

import pytest

from dataflow_rules import Engine, Transfer, Verdict
from dataflow_rules.engine.confusables import VERSION, candidates, party_fold
from dataflow_rules.engine.counting import Ledger

from .test_attacks_s9 import us as us_biometrics
from .test_exporter_identity import cn_contacts

DAY = dt.date(2026, 3, 2)

LATIN = "Example CN Retailer"


@pytest.mark.parametrize(
    "other",
    [
        "\u0415xample CN Retailer",  # Cyrillic capital IE
        "Ex\u0430mple CN R\u0435tailer",  # Cyrillic small a and ie
        "\u0395xample CN Retailer",  # Greek capital epsilon
        "Exam\u0440le \u0421N Retailer",  # Cyrillic er, Cyrillic capital es
        "\uff25\uff58\uff41\uff4d\uff50\uff4c\uff45 CN Retailer",  # full-width
        "EXAMPLE CN RETAILER",
        "\u0415XAMPLE \u0421N RETAILER",  # capitals, two of them Cyrillic
        "\u0435xample cn retailer",  # small letters, one Cyrillic
        "Exa\u200bmple CN Retailer",  # a zero-width space
        "Exarnple CN Retailer",  # 'rn' for 'm'
        "Example CN Reta1ler",  # digit one for 'i'
    ],
)
def test_a_look_alike_name_folds_to_the_same_key(other: str) -> None:
    assert party_fold(other) == party_fold(LATIN)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("\u0412ANK", "BANK"),  # Cyrillic capital VE looks like B
        ("\u0412ANK", "bank"),
        ("cn-\u0435xp", "cn-exp"),  # a name with a Cyrillic 'е'
        ("vendor-1O", "vendor-10"),
    ],
)
def test_case_and_look_alikes_together(one: str, other: str) -> None:
    assert party_fold(one) == party_fold(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Example CN Retailer", "Another CN Retailer"),
        ("Example CN Retailer", "Exemple CN Retailer"),
        ("Acme", "Acne"),
        ("cn-exp-1", "cn-exp-2"),
        ("vendor-10", "vendor-11"),
        ("Example US Co.", "Example UK Co."),
        ("Müller", "Muller"),  # an accent is a letter of its own
        ("中国商贸有限公司", "中国商务有限公司"),
    ],
)
def test_genuinely_different_names_stay_different(one: str, other: str) -> None:
    assert party_fold(one) != party_fold(other)


def test_the_fold_keeps_what_the_key_folded_before() -> None:
    """Case, width and spacing still fold (the key's NFKC and casefold are kept)."""
    names = ["Example  Retailer", "example retailer", "EXAMPLE RETAILER", "\uff25xample Retailer"]
    assert len({party_fold(n) for n in names}) == 1
    assert party_fold("Straße") == party_fold("STRASSE")
    assert party_fold("Intel") == party_fold("intel") == party_fold("INTEL")


def test_the_fold_is_its_own_fixed_point_and_ignores_case() -> None:
    """Folding a key again changes nothing, for every code point Unicode's data maps and
    every one of the Latin, Greek, Cyrillic and Armenian blocks and the general punctuation:
    a key is one value however often it is made. A code point folds as its case fold does,
    and one that draws nothing (a format character) is left out."""
    codes = {ord(c) for c in candidates()} | {*range(0x0600)} | {*range(0x2000, 0x2070)}
    for code in sorted(codes):
        c = chr(code)
        assert party_fold(party_fold(c)) == party_fold(c), hex(code)
        assert party_fold(c.casefold()) == party_fold(c), hex(code)
    for c in "\u00ad\u200b\u200d\u2060\ufeff\u202e\ufe0f\u034f":
        assert party_fold(f"a{c}b") == "ab", hex(ord(c))


def test_the_shipped_data_names_its_version_and_licence() -> None:
    data = resources.files("dataflow_rules.engine").joinpath("data")
    head = data.joinpath("confusables.txt").read_text("ascii").splitlines()[:8]
    assert any(f"Version: {VERSION}," in line for line in head)
    assert "UNICODE LICENSE V3" in data.joinpath("LICENSE-UNICODE").read_text("utf-8")


# --- the engine, through a ledger ------------------------------------------------------


def _us(ident: str, recipient: dict[str, Any]) -> Transfer:
    """test_attacks_s9's 600 US persons' biometric identifiers to a Chinese vendor: not
    bulk alone, more than 1,000 with the same foreign person over 12 months is (28 CFR
    202.205(c))."""
    return Transfer.model_validate(us_biometrics(ident, DAY.isoformat(), recipient))


def _decide(engine: Engine, first: Transfer, second: Transfer) -> Any:
    ledger = Ledger()
    ledger.add_transfer(first, "record 1", DAY)
    return engine.decide(second, DAY, prior=ledger.prior(second))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"name": LATIN}, {"name": "\u0415xample CN Retailer"}),
        ({"name": LATIN}, {"name": "\u0395XAMPLE CN RETAILER"}),
        ({"id": "cn-exp", "name": LATIN}, {"name": "Ex\u0430mple CN Retailer"}),
        # ids are ASCII: their look-alikes are digits for letters, 'rn' for 'm'
        ({"id": "cn-exp-01", "name": LATIN}, {"id": "cn-exp-Ol", "name": "Another Name"}),
    ],
    ids=["cyrillic_name", "greek_capitals", "id_then_look_alike_name", "look_alike_id"],
)
def test_a_look_alike_exporter_is_counted_together(
    engine: Engine, first: dict[str, Any], second: dict[str, Any]
) -> None:
    decision = _decide(engine, cn_contacts("t1", first), cn_contacts("t2", second))
    assert decision.verdict is Verdict.RESTRICT
    assert any(r.counted_with == ["record 1"] for r in decision.reasons)


def test_a_different_exporter_is_not(engine: Engine) -> None:
    decision = _decide(
        engine, cn_contacts("t1", {"name": LATIN}), cn_contacts("t2", {"name": "Exemple CN Retailer"})
    )
    assert decision.verdict is Verdict.ALLOW


@pytest.mark.parametrize(
    ("first", "second", "verdict"),
    [
        ({"name": "Example CN Vendor"}, {"name": "Example \u0421N Vendor"}, Verdict.RESTRICT),
        (
            {"id": "cn-vendor", "name": "Example CN Vendor"},
            {"name": "\u0415xample CN Vendor"},
            Verdict.RESTRICT,
        ),
        ({"id": "cn-firm"}, {"id": "CN-FIRRN"}, Verdict.RESTRICT),
        # two ids that do not look alike are two foreign persons, whatever their names
        (
            {"id": "cn-vendor", "name": "Example CN Vendor"},
            {"id": "cn-other", "name": "\u0415xample CN Vendor"},
            Verdict.ALLOW,
        ),
    ],
    ids=["cyrillic_name", "id_then_look_alike_name", "look_alike_id", "two_ids"],
)
def test_a_look_alike_recipient_is_the_same_foreign_person(
    engine: Engine, first: dict[str, Any], second: dict[str, Any], verdict: Verdict
) -> None:
    """600 + 600 biometric identifiers in 12 months to one foreign person are bulk."""
    assert _decide(engine, _us("t1", first), _us("t2", second)).verdict is verdict


# --- the decision says so --------------------------------------------------------------


def test_the_decision_says_a_look_alike_was_counted_as_the_same_exporter(engine: Engine) -> None:
    decision = _decide(
        engine, cn_contacts("t1", {"name": LATIN}), cn_contacts("t2", {"name": "\u0415xample CN Retailer"})
    )
    [said] = [a for a in decision.assumptions if a.source == "ledger"]
    assert (said.fact, said.value) == ("exporter.name", "\u0415xample CN Retailer")
    assert "U+0415 CYRILLIC CAPITAL LETTER IE" in said.sentence
    assert f"'{LATIN}' (record 1)" in said.sentence
    assert "exporter.id" in said.override


def test_the_decision_says_a_look_alike_recipient_was_counted_as_the_same(engine: Engine) -> None:
    first = _us("t1", {"id": "cn-vendor", "name": "Example CN Vendor"})
    decision = _decide(engine, first, _us("t2", {"name": "Example \u0421N Vendor"}))
    [said] = [a for a in decision.assumptions if a.source == "ledger"]
    assert (said.fact, said.value) == ("recipient.name", "Example \u0421N Vendor")
    assert "U+0421 CYRILLIC CAPITAL LETTER ES" in said.sentence


@pytest.mark.parametrize("second", [LATIN, "example  cn RETAILER"])
def test_a_spelling_the_key_folded_before_is_not_called_a_look_alike(engine: Engine, second: str) -> None:
    """The same name, or one that differs in case or spacing only, is counted as before and
    adds no assumption (outputs of such decisions are unchanged)."""
    decision = _decide(engine, cn_contacts("t1", {"name": LATIN}), cn_contacts("t2", {"name": second}))
    assert decision.verdict is Verdict.RESTRICT
    assert not [a for a in decision.assumptions if a.source == "ledger"]
