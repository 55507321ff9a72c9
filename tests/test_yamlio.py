"""The YAML reader and writer: positions, YAML 1.2 core resolution, and faithful round trips."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema.validators import validator_for

from gitopsctl.errors import InputError
from gitopsctl.resources import SCHEMA_DIR
from gitopsctl.yaml import reader, writer

SOURCE = """\
a:
  b: 1
  c: [x, {d: 2}]
e:
  - f: yes
    g: 0o17
"""


def test_positions_of_keys_values_and_items() -> None:
    data = reader.parse(SOURCE, "s.yaml")
    assert reader.key_position(data, "e") == (4, 1)
    assert reader.key_position(data["a"], "c") == (3, 3)
    assert reader.value_position(data["a"], "c") == (3, 6)
    assert reader.key_position(data["a"]["c"], 1) == (3, 10)
    assert reader.deepest_position(data, ["e", 0, "g"]) == (6, 5)
    assert reader.deepest_position(data, ["e", 0, "missing"]) == (5, 5)
    assert reader.node_position(data["e"][0]) == (5, 5)


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
    assert reader.parse(f"k: {text}\n", "x.yaml") == {"k": value}


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
        reader.parse(text, "x.yaml")
    assert str(raised.value) == message


def _laughs(levels: int) -> str:
    """The "billion laughs": each level is a list of nine aliases of the level before."""
    lines = ['a0: &a0 "lol"']
    for level in range(1, levels):
        aliases = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def _nested(depth: int) -> str:
    return "".join(f"{'  ' * level}k:\n" for level in range(depth)) + f"{'  ' * depth}leaf\n"


HOSTILE = [
    pytest.param(
        _laughs(10),
        "x.yaml:9:5: YAML aliases of the node here expand the document to 490,329,066 nodes "
        "(490,329,045 from aliases), past the alias budget",
        id="billion-laughs",
    ),
    pytest.param("a: &a [*a]\n", "x.yaml:1:4: YAML alias refers to itself", id="recursive-alias"),
    pytest.param(
        "a: &a {b: *a}\n", "x.yaml:1:4: YAML alias refers to itself", id="recursive-alias-map"
    ),
    pytest.param(
        "a: 1\nb: " + "7" * 5000 + "\n",
        "x.yaml:2:4: integer of 5000 digits is too long",
        id="huge-integer",
    ),
    pytest.param(
        _nested(101), "x.yaml:101:201: YAML nests deeper than 100 levels", id="deep-nesting"
    ),
    pytest.param(
        "[" * 5000 + "]" * 5000,
        "x.yaml:1:1001: YAML syntax error: exceeded maximum nesting depth",
        id="nesting-past-libyaml",
    ),
    pytest.param(
        "a: 1\n---\nb: 2\n",
        "x.yaml:3:1: a second YAML document starts here; this file holds exactly one",
        id="second-document",
    ),
    pytest.param(
        "hooks:\n  - !webhook https://example.com\n",
        "x.yaml:2:5: YAML tag !webhook has no meaning here; write plain YAML "
        "(quote the value if needed)",
        id="local-tag-on-a-scalar",
    ),
    pytest.param(
        "hooks: !webhook\n  url: x\n",
        "x.yaml:1:8: YAML tag !webhook has no meaning here; write plain YAML "
        "(quote the value if needed)",
        id="local-tag-on-a-mapping",
    ),
    pytest.param(
        "a: !!binary aGVsbG8=\n",
        "x.yaml:1:4: YAML tag !!binary has no meaning here; write plain YAML "
        "(quote the value if needed)",
        id="binary-tag",
    ),
    pytest.param(
        "base: &b [1, 2]\nc:\n  <<: *b\n",
        "x.yaml:3:3: a merge key << takes a mapping or a list of mappings",
        id="merge-of-a-list-of-scalars",
    ),
]


@pytest.mark.parametrize(("text", "message"), HOSTILE)
def test_hostile_yaml_is_an_input_error_at_its_line(text: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        reader.parse(text, "x.yaml")
    assert str(raised.value) == message


def test_alias_bomb_in_a_stream_is_refused_before_it_is_built() -> None:
    stream = "kind: ConfigMap\n---\n" + _laughs(10)
    with pytest.raises(InputError) as raised:
        list(reader.read_stream(stream, "s.yaml"))
    assert str(raised.value).startswith("s.yaml:11:5: YAML aliases of the node here expand ")


def test_nesting_up_to_the_limit_reads() -> None:
    data = reader.parse(_nested(99), "x.yaml")
    for _ in range(99):
        data = data["k"]
    assert data == "leaf"


def test_modest_aliases_read_as_copies() -> None:
    text = "defaults: &d {cpu: 1}\na: *d\nb: *d\n"
    data = reader.parse(text, "x.yaml")
    assert data == {"defaults": {"cpu": 1}, "a": {"cpu": 1}, "b": {"cpu": 1}}
    assert data["a"] is not data["b"]


MERGES = [
    pytest.param(
        "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n",
        {"x": 1, "y": 3},
        {"x": (1, 11), "y": (4, 3)},
        id="own-keys-win",
    ),
    pytest.param(
        "p: &p {x: 1}\nq: &q {x: 2, z: 3}\nc:\n  <<: [*p, *q]\n",
        {"x": 1, "z": 3},
        {"x": (1, 8), "z": (2, 14)},
        id="earlier-mapping-wins",
    ),
    pytest.param(
        'c:\n  "<<": {x: 1}\n', {"<<": {"x": 1}}, {"<<": (2, 3)}, id="quoted-is-a-plain-key"
    ),
]


@pytest.mark.parametrize(("text", "merged", "key_positions"), MERGES)
def test_merge_keys_merge_as_kubectl_and_helm_merge_them(
    text: str, merged: dict[str, Any], key_positions: dict[str, tuple[int, int]]
) -> None:
    data = reader.parse(text, "x.yaml")
    assert data["c"] == merged
    assert {key: reader.key_position(data["c"], key) for key in merged} == key_positions
    streamed = next(reader.read_stream(text, "x.yaml"))
    assert streamed.data["c"] == merged


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("=", "=", id="equals-sign"),
        pytest.param("<<", "<<", id="merge-sign-as-a-value"),
        pytest.param("2027-02-30", "2027-02-30", id="impossible-date"),
        pytest.param("2026-12-03T10:00:00Z", "2026-12-03T10:00:00Z", id="timestamp"),
    ],
)
def test_yaml_1_1_corner_cases_read_as_kubernetes_reads_them(text: str, value: Any) -> None:
    assert reader.parse(f"- {text}\n", "x.yaml") == [value]
    assert next(reader.read_stream(f"- {text}\n", "x.yaml")).data == [value]


def test_a_stream_reads_data_now_and_positions_on_demand() -> None:
    stream = "a: 1\n---\n# comment\n--- {b: [x, y]}\n---\n\n  c:\n    d: 2\n"
    documents = list(reader.read_stream(stream, "s.yaml"))
    assert [d.data for d in documents] == [{"a": 1}, {"b": ["x", "y"]}, {"c": {"d": 2}}]
    assert [d.line for d in documents] == [1, 4, 7]
    assert reader.deepest_position(documents[1].positioned, ["b", 1]) == (4, 13)
    assert reader.deepest_position(documents[2].positioned, ["c", "d"]) == (8, 5)
    assert not isinstance(documents[0].data, reader.PosMap)


def test_streams_keep_unknown_tags_as_the_manifest_gave_them() -> None:
    stream = "kind: ConfigMap\ndata:\n  hook: !webhook https://x\n"
    assert next(reader.read_stream(stream, "s.yaml")).data["data"] == {"hook": "https://x"}


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
    text = writer.dump(data)
    assert reader.to_plain(reader.parse(text, "x.yaml")) == data
    assert yaml.safe_load(text) == data


@pytest.mark.parametrize("name", sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json")))
def test_project_schemas_are_valid_json_schemas(name: str) -> None:
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    validator_for(schema).check_schema(schema)
