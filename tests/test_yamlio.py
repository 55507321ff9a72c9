"""The YAML reader and writer: positions, YAML 1.2 core resolution, and faithful round trips."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema.validators import validator_for

from gitopsctl import yamlio, yamlwriter
from gitopsctl.errors import InputError
from gitopsctl.schemas import SCHEMA_DIR

SOURCE = """\
a:
  b: 1
  c: [x, {d: 2}]
e:
  - f: yes
    g: 0o17
"""


def test_positions_of_keys_values_and_items() -> None:
    data = yamlio.parse(SOURCE, "s.yaml")
    assert yamlio.key_position(data, "e") == (4, 1)
    assert yamlio.key_position(data["a"], "c") == (3, 3)
    assert yamlio.value_position(data["a"], "c") == (3, 6)
    assert yamlio.key_position(data["a"]["c"], 1) == (3, 10)
    assert yamlio.deepest_position(data, ["e", 0, "g"]) == (6, 5)
    assert yamlio.deepest_position(data, ["e", 0, "missing"]) == (5, 5)
    assert yamlio.node_position(data["e"][0]) == (5, 5)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("yes", "yes", id="yes-is-a-string"),
        pytest.param("on", "on", id="on-is-a-string"),
        pytest.param("True", True, id="true"),
        pytest.param("0o17", 15, id="octal"),
        pytest.param("017", 17, id="leading-zero-is-decimal"),
        pytest.param("0x1F", 31, id="hex"),
        pytest.param("1:20", "1:20", id="no-sexagesimal"),
        pytest.param("2026-01-01", "2026-01-01", id="no-timestamp"),
        pytest.param("~", None, id="null"),
        pytest.param("1.5e3", 1500.0, id="float"),
        pytest.param("'1'", "1", id="quoted"),
    ],
)
def test_core_schema_resolution(text: str, value: Any) -> None:
    assert yamlio.parse(f"k: {text}\n", "x.yaml") == {"k": value}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "a: 1\na: 2\n",
            'x.yaml:2:1: YAML syntax error: duplicate key "a" with value "2" '
            '(first set to "1" on line 1)',
            id="duplicate-key",
        ),
        pytest.param(
            "a: [1\nb: 2\n",
            "x.yaml:2:2: YAML syntax error: did not find expected ',' or ']'",
            id="unclosed-flow",
        ),
        pytest.param(
            "a: 1\nb: !!int abc\n",
            'x.yaml:2:4: YAML error: "abc" is not a valid int',
            id="explicit-tag-that-does-not-fit",
        ),
    ],
)
def test_broken_yaml_is_an_input_error_at_its_line(text: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        yamlio.parse(text, "x.yaml")
    assert str(raised.value) == message


CHARACTERS = st.characters(min_codepoint=1, max_codepoint=0x2FF)
KEYS = st.text(CHARACTERS, max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(CHARACTERS)
    | st.sampled_from(["yes", "no", "on", "1:20", "0o7", "1e3", "- x", "a: b", "#x", "x #y", "~"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(KEYS.filter(bool), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS.filter(bool), VALUES, max_size=5))
def test_dump_round_trips_through_yaml_1_2_and_helms_yaml_1_1(data: dict[str, Any]) -> None:
    text = yamlwriter.dump(data)
    assert yamlio.to_plain(yamlio.parse(text, "x.yaml")) == data
    assert yaml.safe_load(text) == data


@pytest.mark.parametrize("name", sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json")))
def test_project_schemas_are_valid_json_schemas(name: str) -> None:
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    validator_for(schema).check_schema(schema)
