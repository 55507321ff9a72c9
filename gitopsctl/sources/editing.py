"""The round-trip editor: ruamel.yaml, configured here and nowhere else, sets values in a
hand-written source file and keeps every other byte as it was.

ruamel.yaml keeps comments, blank lines, key order, quoting and flow style; it does not keep
every space (`key:   value` comes back as `key: value`) and it applies one indentation to the
whole file. So the file is dumped twice, unchanged and changed: the lines the change leaves alone
are taken from the original text, and only the changed lines from ruamel. The indentation is the
one that reproduces the most lines of the original. A result that does not read back as the
intended document is refused, never written.

A new key goes at the end of its mapping, and takes over the blank lines and comments that
followed the mapping's old last entry (ruamel attaches them to that entry), so a new key lands
inside its block, not after the gap that separates it from the next one.
"""

from __future__ import annotations

import difflib
import functools
import io
from collections.abc import Iterator, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString
from ruamel.yaml.tokens import CommentToken

from gitopsctl.errors import InputError, Problem
from gitopsctl.paths import ValuePath, format_path
from gitopsctl.yaml import reader

Entry = tuple[ValuePath, Any]
# (mapping indent, sequence indent, dash offset): `key:\n- a` and `key:\n  - a`, by 2 or 4.
INDENTS = ((2, 2, 0), (2, 4, 2), (4, 4, 0), (4, 6, 2))
WIDTH = 1 << 16  # never fold a long line
# Where ruamel keeps the comment after an entry: per mapping key, and per sequence item.
MAP_COMMENT, SEQ_COMMENT = 2, 0
STRING_TAG = "tag:yaml.org,2002:str"


@functools.cache
def _editor(indents: tuple[int, int, int] = INDENTS[0], explicit_start: bool = False) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = WIDTH
    mapping, sequence, offset = indents
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.explicit_start = explicit_start
    return yaml


def set_values(text: str, name: str, entries: Sequence[Entry]) -> str:
    """``text`` with each path set to its value; mappings on the way are created (a null one
    becomes a mapping). A mapping or list value is written as a block, or in flow style inside
    a flow collection. Unusable text or paths raise InputError."""
    document = _load(text, name)
    editor = _best_editor(document, text)
    before = _dump(editor, document)
    for path, value in entries:
        _set(document, path, value, name)
    after = _dump(editor, document)
    edited = _merge(text, before, after, name)
    _check_reads_as(edited, after, name)
    return edited


def _load(text: str, name: str) -> Any:
    try:
        return _editor().load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark
        where = (mark.line + 1, mark.column + 1) if mark is not None else ()
        raise InputError(Problem(f"cannot edit: {error.problem}", name, *where)) from None
    except YAMLError as error:
        raise InputError(Problem(f"cannot edit: {error}", name)) from None


def _dump(editor: YAML, document: Any) -> str:
    stream = io.StringIO()
    editor.dump(document, stream)
    return stream.getvalue()


def _best_editor(document: Any, text: str) -> YAML:
    """The indentation that reproduces the most lines of the original (and its `---`)."""
    lines = text.splitlines()
    explicit_start = bool(lines) and lines[0].rstrip() == "---"

    def same_lines(indents: tuple[int, int, int]) -> int:
        dumped = _dump(_editor(indents, explicit_start), document).splitlines()
        return sum(a == b for a, b in zip(lines, dumped, strict=False))

    return _editor(max(INDENTS, key=same_lines), explicit_start)


# --- setting values -----------------------------------------------------------------------------


def _set(document: Any, path: ValuePath, value: Any, name: str) -> None:
    node = document
    for depth, key in enumerate(path[:-1]):
        child = node.get(key)
        if child is None:  # the rest of the path is new: added at once, as one block
            _put(node, key, _commented(_nested(path[depth + 1 :], value)))
            return
        if not isinstance(child, CommentedMap):
            where = format_path(path[: depth + 1])
            message = f"cannot set {format_path(path)}: {where} is not a mapping"
            raise InputError(Problem(message, name, *_line_of(node, key)))
        node = child
    _put(node, path[-1], _commented(value))


def _nested(path: ValuePath, value: Any) -> Any:
    for key in reversed(path):
        value = {key: value}
    return value


def _line_of(node: CommentedMap, key: Any) -> tuple[int, int]:
    line, column = node.lc.key(key)
    return line + 1, column + 1


def _put(node: CommentedMap, key: Any, value: Any) -> None:
    """Set a key (a new one at the end); the blank lines and comments after the block it ends, or
    after the value it replaces, stay after it."""
    old = node.get(key)
    if isinstance(old, ScalarString) and isinstance(value, str):
        value = type(old)(str(value))  # quoted as it was
    if node.fa.flow_style():  # inside a flow collection, no line moves
        node[key] = value
        return
    end = _deepest(node, key if key in node else _last_key(node)) if node else None
    trailing = _take_trailing(*end) if end else ""
    node[key] = value
    if trailing:
        _give_trailing(*_deepest(node, key), trailing)


def _commented(value: Any) -> Any:
    """Plain data as ruamel's collections, so comments can be attached to them; a string that
    would read as something else unquoted in double quotes, as this project writes them."""
    if isinstance(value, str) and _needs_quotes(value):
        return DoubleQuotedScalarString(value)
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = _commented(item)
        return mapping
    if isinstance(value, list):
        return CommentedSeq(_commented(item) for item in value)
    return value


def _needs_quotes(text: str) -> bool:
    resolved = _editor().resolver.resolve(ScalarNode, text, (True, False))
    return str(resolved) != STRING_TAG


# --- the comments after a block -----------------------------------------------------------------


Slot = tuple[CommentedMap | CommentedSeq, Any, int]


def _deepest(collection: CommentedMap | CommentedSeq, key: Any) -> Slot:
    """Where the comment after the block of ``collection[key]`` lives: at the entry itself, or
    at the last entry below it (ruamel keeps it at the last line's entry)."""
    value = collection[key]
    while _is_block(value):
        collection, key = value, _last_key(value)
        value = collection[key]
    return collection, key, MAP_COMMENT if isinstance(collection, CommentedMap) else SEQ_COMMENT


def _is_block(node: Any) -> bool:
    return isinstance(node, CommentedMap | CommentedSeq) and bool(node) and not node.fa.flow_style()


def _last_key(node: CommentedMap | CommentedSeq) -> Any:
    return list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1


def _take_trailing(collection: CommentedMap | CommentedSeq, key: Any, slot: int) -> str:
    """Remove and return what follows the entry's own line: blank lines and comments."""
    comments = collection.ca.items.get(key)
    token = comments[slot] if comments else None
    if token is None:
        return ""
    own_line, newline, rest = token.value.partition("\n")
    if not rest:
        return ""
    if own_line.strip():
        token.value = own_line + newline
    else:
        comments[slot] = None
    return str(rest)


def _give_trailing(
    collection: CommentedMap | CommentedSeq, key: Any, slot: int, trailing: str
) -> None:
    comments = collection.ca.items.setdefault(key, [None, None, None, None])
    token = comments[slot]
    if token is not None:  # the entry's own line comment comes first
        token.value = token.value + trailing
    else:
        comments[slot] = CommentToken("\n" + trailing, CommentMark(0), None)


# --- keeping the original lines -----------------------------------------------------------------


def _merge(original: str, before: str, after: str, name: str) -> str:
    """``after``, with every line the edit left alone as it was in ``original``."""
    if not original.endswith("\n"):
        original += "\n"
    kept, old, new = (text.splitlines(keepends=True) for text in (original, before, after))
    if len(kept) != len(old):
        raise InputError(Problem(_reformatted(kept, old), name))
    newline = "\r\n" if original.endswith("\r\n") else "\n"
    lines: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            lines += kept[old_start:old_end]
        else:
            lines += (line.replace("\n", newline) for line in new[new_start:new_end])
    return "".join(lines)


def _reformatted(kept: list[str], old: list[str]) -> str:
    first = next(_differing_lines(kept, old), min(len(kept), len(old)))
    return (
        f"cannot edit this file without reformatting it from line {first + 1} on (ruamel.yaml "
        "writes that part differently, e.g. a flow collection over several lines): "
        "edit it by hand"
    )


def _differing_lines(kept: list[str], old: list[str]) -> Iterator[int]:
    for number, (a, b) in enumerate(zip(kept, old, strict=False)):
        if a.rstrip("\r\n") != b.rstrip("\n"):
            yield number


def _check_reads_as(edited: str, after: str, name: str) -> None:
    """The edited text must mean what ruamel's own output means."""
    if reader.to_plain(reader.parse(edited, name)) != reader.to_plain(reader.parse(after, name)):
        message = "cannot edit this file without changing what else it says: edit it by hand"
        raise InputError(Problem(message, name))
