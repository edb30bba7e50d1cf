"""The C-speed writer gives exactly the standard library's bytes (issue 14): reports stay
byte-identical whichever encoder wrote them."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dataflow_rules import jsonio

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson refuses them, the fallback writes them
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()  # every code point, lone surrogates and control characters included
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(_values)
def test_same_text_as_json_dumps(value: Any) -> None:
    assert jsonio.dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def test_the_fast_path_is_taken_for_a_report_without_floats() -> None:
    value = {"a": ["é\u2028\x1f\x7f", {"b": None, "c": [True, 2**63 - 1]}], "d": {}, "e": []}
    assert jsonio.orjson is not None
    assert not jsonio._has_float(value)
    fast = jsonio.orjson.dumps(value, option=jsonio.orjson.OPT_INDENT_2 | jsonio.orjson.OPT_APPEND_NEWLINE)
    assert fast.decode() == json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    assert jsonio.dumps_indented(value) == fast.decode()


def test_a_float_anywhere_takes_the_standard_library() -> None:
    assert jsonio._has_float({"a": [{"b": (1, 1e16)}]})
    assert jsonio.dumps_indented({"a": [1e16]}) == '{\n  "a": [\n    1e+16\n  ]\n}\n'
