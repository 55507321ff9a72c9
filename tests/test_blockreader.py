"""The fast block readers against libyaml: whatever they accept, libyaml reads the same way.

Same documents, same data and types, same key order, same position for every key, value and
item; and they give up (return None) on everything outside the subset, so libyaml reports errors.
Both the Python reader and the C one (built by `make setup`) are held to that.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import manifests
from gitopsctl import _blockreader, blockreader, libyamlreader, yamlio, yamlwriter
from gitopsctl.errors import InputError
from gitopsctl.yamlnodes import PosMap, PosSeq, resolve_plain

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def difference(fast: Any, full: Any, path: tuple[Any, ...] = ()) -> str | None:
    """Where two readings differ (value, type, key order or a position), or None."""
    if type(fast) is not type(full):
        return f"{path}: {fast!r} ({type(fast).__name__}) vs {full!r} ({type(full).__name__})"
    if isinstance(fast, PosMap):
        if list(fast) != list(full) or fast.position != full.position:
            return f"{path}: keys {list(fast)} at {fast.position} vs {list(full)} {full.position}"
        for key in fast:
            if fast.marks[key] != full.marks[key]:
                return f"{(*path, key)}: marks {fast.marks[key]} vs {full.marks[key]}"
            found = difference(fast[key], full[key], (*path, key))
            if found:
                return found
        return None
    if isinstance(fast, PosSeq):
        if len(fast) != len(full) or fast.position != full.position or fast.marks != full.marks:
            return f"{path}: {fast.marks} at {fast.position} vs {full.marks} at {full.position}"
        for index, (one, other) in enumerate(zip(fast, full, strict=True)):
            found = difference(one, other, (*path, index))
            if found:
                return found
        return None
    if isinstance(fast, float) and math.isnan(fast) and math.isnan(full):
        return None
    return None if fast == full else f"{path}: {fast!r} vs {full!r}"


def read_in_c(text: str) -> list[Any] | None:
    return _blockreader.read(text, PosMap, PosSeq, resolve_plain) if text.isascii() else None


READERS = [
    pytest.param(blockreader.read_stream_in_python, id="python"),
    pytest.param(read_in_c, id="c"),
]
Reader = Callable[[str], list[Any] | None]


def agree(text: str, reader: Reader = blockreader.read_stream) -> list[Any] | None:
    """A fast reading of `text` after checking it against libyaml's (None: it gave up)."""
    fast = reader(text)
    if fast is None:
        return None
    try:
        full = libyamlreader.read_stream(text, "test.yaml")
    except InputError as error:
        pytest.fail(f"accepted what libyaml rejects ({error.problems[0].message}): {text!r}")
    assert len(fast) == len(full), text
    for one, other in zip(fast, full, strict=True):
        assert difference(one, other) is None, (text, difference(one, other))
    return fast


def left_to_python(text: str) -> bool:
    """Whether the text has what the C reader may leave to the Python one: backslashes (escapes),
    brackets (flow collections), non-ASCII characters."""
    return not text.isascii() or re.search(r"\\|[\[{](?![\]}])", text) is not None


ACCEPTED = [
    pytest.param("a: 1\nb:\n  c: true\n  d: [] # none\n", id="nested-mapping"),
    pytest.param("items:\n- a\n-   b: 1\n    c: '2'\n- \n-\n  - x\n", id="sequences"),
    pytest.param("a:\n  b:\nc:\n", id="empty-values"),
    pytest.param("a:   # comment\n\n  # more\n b: 1\n", id="comments"),
    pytest.param('k: "tab\\tq\\"u\\x41\\u263a\\U0001F600\\N\\_\\/"\n', id="double-quoted-escapes"),
    pytest.param("'quoted key': 'it''s'\n\"x y\" : 2\n", id="quoted-keys"),
    pytest.param("s: |\n  one\n\n    two\n  three\nt: |-\n  four\n\n\nu: 1\n", id="literal"),
    pytest.param("- |\n x\n- y\n", id="literal-in-sequence"),
    pytest.param("- |\n  last line without a line break", id="literal-at-the-end"),
    pytest.param(
        "a: 0o17\nb: 017\nc: ~\nd: True\ne: +1\nf: 1_000\ng: .inf\nh: 2024-01-1\n", id="core"
    ),
    pytest.param("2: int key\nnull: null key\ntrue: bool key\n", id="typed-keys"),
    pytest.param("---\na: 1\n--- # second\n- b\n---\n---\n", id="documents"),
    pytest.param("url: http://x:80/a#b\nc: a:b\n-x: -1\n:y: ?z\n", id="colons-and-indicators"),
    pytest.param("  indented: 1\n  root: 2\n", id="indented-root"),
    pytest.param("...: dots\n...x: 1\n", id="dots-that-end-no-document"),
    pytest.param("a:\n- x\nb:\n- y\n", id="sequence-at-key-indent"),
    pytest.param("- a:\n  - x\n  b: 1\n", id="sequence-at-compact-key-indent"),
    pytest.param("k: é ✓ 𝄞\n", id="unicode"),
    pytest.param("a: [1, 'two', \"3\", x y , -1]\nb: {k: v, 'q': 2.5,  n: ~} # c\n", id="flow"),
    pytest.param("- [ ]\n- {  }\n- [a]\n", id="flow-in-sequence"),
]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("text", ACCEPTED)
def test_reads_the_subset_as_libyaml_does(text: str, reader: Reader) -> None:
    assert agree(text, reader) is not None or (reader is read_in_c and left_to_python(text))


@pytest.mark.parametrize(
    "text", ['k: "escape\\tin double quotes"\n', "k: é\n"], ids=["escape", "non-ascii"]
)
def test_the_c_reader_leaves_escapes_and_non_ascii_text_to_the_python_reader(text: str) -> None:
    assert read_in_c(text) is None
    assert agree(text) is not None


GIVES_UP = [
    pytest.param("a: [1, [2]]\n", id="nested-flow-sequence"),
    pytest.param("a: {b: {c: 1}}\n", id="nested-flow-mapping"),
    pytest.param("a: [1, 2,]\n", id="flow-trailing-comma"),
    pytest.param("a: {b: 1, b: 2}\n", id="flow-duplicate-key"),
    pytest.param("a: [b:c]\n", id="flow-colon"),
    pytest.param("a: [1, 2\n  , 3]\n", id="multi-line-flow"),
    pytest.param("a: &x 1\nb: *x\n", id="anchor-alias"),
    pytest.param("a: !!str 1\n", id="tag"),
    pytest.param("a: >\n  folded\n", id="folded"),
    pytest.param("a: |+\n  keep\n", id="keep-chomping"),
    pytest.param("a: |2\n   indicator\n", id="indentation-indicator"),
    pytest.param("a: |\nb: 1\n", id="empty-literal"),
    pytest.param("a: one\n  two\n", id="multi-line-plain"),
    pytest.param("a: 'one\n  two'\n", id="multi-line-quoted"),
    pytest.param("a:\n\tb: 1\n", id="tab"),
    pytest.param("a: 1\r\n", id="carriage-return"),
    pytest.param("%YAML 1.2\n---\na: 1\n", id="directive"),
    pytest.param("a: 1\n...\n", id="document-end"),
    pytest.param("a: 1\n... # end\n", id="document-end-with-comment"),
    pytest.param("a: 1\na: 2\n", id="duplicate-key"),
    pytest.param("a: 1\n b: 2\n", id="bad-indent"),
    pytest.param("a:\n  b: 1\n c: 2\n", id="dedent-to-no-level"),
    pytest.param("a: 1\n- b\n", id="item-after-entry"),
    pytest.param("- a\nb: 1\n", id="entry-after-items"),
    pytest.param("a: b: c\n", id="mapping-in-value"),
    pytest.param("? a\n: b\n", id="explicit-key"),
    pytest.param("- - a\n", id="nested-compact-sequence"),
    pytest.param("plain scalar\n", id="scalar-root"),
    pytest.param("a: 'x' y\n", id="text-after-quote"),
    pytest.param('a: "\\q"\n', id="bad-escape"),
    pytest.param("a: `x`\n", id="reserved-indicator"),
    pytest.param("a: 1\n--- b\n", id="content-after-marker"),
    pytest.param("\ufeffa: 1\n", id="byte-order-mark"),
    pytest.param("a: \x85\n", id="next-line-character"),
]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("text", GIVES_UP)
def test_gives_up_outside_the_subset(text: str, reader: Reader) -> None:
    assert reader(text) is None


def test_errors_still_come_from_libyaml_at_their_line() -> None:
    with pytest.raises(InputError) as raised:
        yamlio.parse_all("a: 1\nb: 2\na: 3\n", "dup.yaml")
    problem = raised.value.problems[0]
    assert (problem.file, problem.line, problem.column) == ("dup.yaml", 3, 1)
    assert problem.message == (
        'YAML syntax error: duplicate key "a" with value "3" (first set to "1" on line 1)'
    )


@pytest.mark.parametrize("reader", READERS)
def test_reads_the_benchmark_stream_without_giving_up(reader: Reader) -> None:
    assert agree(manifests.manifest_stream(60).text, reader) is not None


def _yaml_files() -> list[Path]:
    roots = [ROOT / "sources", ROOT / "applications", ROOT / "rendered", ROOT / "charts", SHARED]
    return sorted(path for root in roots for path in root.rglob("*.yaml"))


@pytest.mark.parametrize("reader", READERS)
def test_agrees_on_every_yaml_file_of_the_repository_and_the_shared_data(reader: Reader) -> None:
    files = _yaml_files()
    accepted = [
        path for path in files if agree(path.read_text(encoding="utf-8"), reader) is not None
    ]
    # Everything the renderer writes is in the subset.
    rendered = {path for path in files if path.is_relative_to(ROOT / "rendered")}
    assert rendered <= set(accepted)


# Random plain data written by the emitter, and random line soup near the subset's edges.
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["0o17", "017", "~", "True", "1_000", "a: b", "x #y", "- z", "'q'", "\n"]),
)
_DATA = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=6), children, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(min_size=1, max_size=6), _DATA, min_size=1, max_size=5))
def test_emitter_output_is_read_as_libyaml_reads_it(data: dict[str, Any]) -> None:
    text = yamlwriter.dump(data)
    assert agree(text, blockreader.read_stream_in_python) is not None
    assert agree(text, read_in_c) is not None or left_to_python(text)


_PIECES = [
    "a", "b", "k1", "-", "- ", "  ", "    ", ":", ": ", "'", '"', "#", " #", "|", "|-", ">", "[]",
    "{}", "[", "{", "&a", "*a", "!t", "?", "---", "1", "0x1f", "~", "true", "\\", "\\n", "é",
    "x: y", "- a: 1", "\n", "\n", "\n", "\n  ", "\n    ", "\n- ", "]", "}", ", ", ",",
]  # fmt: skip


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_whatever_they_accept_libyaml_accepts_alike(text: str) -> None:
    agree(text, blockreader.read_stream_in_python)
    agree(text, read_in_c)


_FLOW_PIECES = [
    "[", "]", "{", "}", ",", ", ", " ", "a", "b c", "'q'", "'it''s'", '"d"', '""', "1", "-1", "- ",
    ": ", ":", "~", "x:y", "#", " #c", "true", ".inf", "0x1F", "k: v", "[]", "{}", "-", "?", "&a",
]  # fmt: skip


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["a: ", "- ", "x:\n  - "]),
    st.sampled_from(["[", "{"]),
    st.lists(st.sampled_from(_FLOW_PIECES), min_size=1, max_size=10).map("".join),
)
def test_one_line_flow_collections_are_read_as_libyaml_reads_them(
    head: str, opening: str, body: str
) -> None:
    agree(f"{head}{opening}{body}\n", blockreader.read_stream_in_python)
