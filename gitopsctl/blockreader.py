"""A fast reader for the block YAML that manifests and this tool's own output are written in.

It reads one common subset: block mappings and sequences (compact `- key: value` items too),
single-line plain, single- and double-quoted scalars, literal block scalars (`|`, `|-`), one-line
flow collections of scalars (`[a, b]`, `{k: v}`), comments, and `---` between documents. Anything
else (nested flow collections, anchors, aliases, tags, multi-line plain or quoted scalars, folded
scalars, tabs, directives, duplicate keys, and every syntax error) makes it give up, and the caller
reads the text with libyaml instead. So for every text it accepts, libyaml gives the same data
with the same positions (a differential test holds it to that), and every error message still
comes from libyaml.

Reading a line at a time in plain Python is about four times faster than building libyaml's
nodes; `_blockreader.c`, the same reader in C for ASCII text (built by `pip install` where a C
compiler is), is about three times faster again, and is the hot path. It gives up where this one
does, and on escapes in double quotes and flow collections, and then this one reads the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from gitopsctl.yamlnodes import Position, PosMap, PosSeq, resolve_plain

# In text beyond ASCII: characters outside YAML's printable set, byte order marks and line breaks
# other than `\n` (NEL, LS, PS). Compiled on first use: it costs milliseconds.
_UNSUPPORTED = (
    r"[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_DOUBLE_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")
_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
    "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # in ASCII text
# A plain scalar cannot start with an indicator, nor with `-`, `?` or `:` followed by a space.
_NOT_PLAIN_FIRST = frozenset("-?:,[]{}#&*!|>'\"%@`")
_FLOW_STOP = frozenset(",[]{}#:")  # what ends a plain scalar in a one-line flow collection
_LONGEST_KEY = 1000  # libyaml allows 1,024 characters for an implicit key


_CRead = Callable[[str, type, type, Callable[[str], Any]], "list[Any] | None"]
_c_read: _CRead | None
try:
    from gitopsctl._blockreader import read as _c_read
except ImportError:  # built without a C compiler
    _c_read = None


class GiveUp(Exception):
    """The text is outside the subset; read it with the complete reader."""


def read_stream(text: str) -> list[Any] | None:
    """Every non-empty document of the stream, or None when the text is outside the subset."""
    if _c_read is not None and text.isascii():
        documents = _c_read(text, PosMap, PosSeq, resolve_plain)
        if documents is not None:
            return documents
    return read_stream_in_python(text)


def read_stream_in_python(text: str) -> list[Any] | None:
    """`read_stream` without the C reader."""
    if _unsupported(text):
        return None
    try:
        return _documents(text.split("\n"))
    except GiveUp:
        return None


def _unsupported(text: str) -> bool:
    if "\t" in text or "\r" in text or text.startswith("%") or "\n%" in text:
        return True
    if text.isascii():
        return _CONTROL.search(text) is not None
    return re.search(_UNSUPPORTED, text) is not None  # the re module caches the compiled pattern


class _Frame:
    """An open block collection: its column, and the entry still waiting for its value."""

    __slots__ = ("column", "container", "is_map", "pending")

    def __init__(self, column: int, container: Any, is_map: bool) -> None:
        self.column = column
        self.container = container
        self.is_map = is_map
        # A key `(key, line index, key column, colon column)` or an item `(line index, dash
        # column)` with nothing after it on its line: the next line says what its value is.
        self.pending: tuple[Any, ...] | None = None


def _documents(lines: list[str]) -> list[Any]:
    """The documents of the stream's lines: one pass, one line at a time."""
    documents: list[Any] = []
    stack: list[_Frame] = []
    has_root = False
    count = len(lines)
    index = 0
    while index < count:
        line = lines[index]
        text = line.lstrip(" ")
        if not text or text[0] == "#":
            index += 1
            continue
        indent = len(line) - len(text)
        if indent == 0 and text.startswith("...") and (len(text) == 3 or text[3] == " "):
            raise GiveUp  # a document end marker
        if indent == 0 and text.startswith("---") and (len(text) == 3 or text[3] == " "):
            _expect_end(text, 3)
            if stack:
                _close(stack[-1])
            stack, has_root = [], False
            index += 1
            continue
        dash = text[0] == "-" and (len(text) == 1 or text[1] == " ")
        frame = _frame(stack, index, indent, dash)
        if frame is None:
            if has_root:
                raise GiveUp  # more content after the document's root collection
            position = (index + 1, indent + 1)
            frame = _Frame(indent, PosSeq(position) if dash else PosMap(position), not dash)
            stack.append(frame)
            documents.append(frame.container)
            has_root = True
        column = indent
        if dash:
            text = text[1:].lstrip(" ")
            if not text or text[0] == "#":
                frame.pending = (index, indent)
                index += 1
                continue
            column = len(line) - len(text)
        found = _key(text)
        if found is None:
            if not dash:
                raise GiveUp  # a value where a key was expected
            value, after = _value(lines, index, column, text, indent)
            frame.container.append(value)
            frame.container.marks.append((index + 1, column + 1))
            index = after
            continue
        key, colon = found
        if dash:  # `- key: value` starts a mapping inside the item
            compact = PosMap((index + 1, column + 1))
            frame.container.append(compact)
            frame.container.marks.append((index + 1, column + 1))
            frame = _Frame(column, compact, True)
            stack.append(frame)
        mapping = frame.container
        if key in mapping:
            raise GiveUp  # the complete reader reports the duplicate
        value_text = text[colon + 1 :].lstrip(" ")
        if not value_text or value_text[0] == "#":
            frame.pending = (key, index, column, column + colon)
            index += 1
            continue
        number, start = index + 1, len(line) - len(value_text)
        mapping[key], index = _value(lines, index, start, value_text, column)
        mapping.marks[key] = (number, column + 1, number, start + 1)
    if stack:
        _close(stack[-1])
    return documents


def _frame(stack: list[_Frame], index: int, indent: int, dash: bool) -> _Frame | None:
    """The open collection a line at `indent` belongs to (None: the document's root)."""
    frame = stack[-1] if stack else None
    if frame is not None and frame.pending is not None:
        if indent > frame.column or (indent == frame.column and dash and frame.is_map):
            position = (index + 1, indent + 1)
            nested = _Frame(indent, PosSeq(position) if dash else PosMap(position), not dash)
            _attach(frame, nested.container, position)
            stack.append(nested)
            return nested
        _close(frame)
    while stack and stack[-1].column > indent:
        stack.pop()
    if stack and stack[-1].column == indent and not dash and not stack[-1].is_map:
        stack.pop()  # a sequence written at its key's indent ends at the next key
    if not stack:
        return None
    frame = stack[-1]
    if frame.column != indent or frame.is_map == dash:
        raise GiveUp  # an indent that matches no open collection, or a mix of the two kinds
    return frame


def _attach(frame: _Frame, container: Any, position: Position) -> None:
    """The pending entry's value is the collection that starts at `position`."""
    pending, frame.pending = frame.pending, None
    assert pending is not None
    if frame.is_map:
        key, index, column, _ = pending
        frame.container[key] = container
        frame.container.marks[key] = (index + 1, column + 1, *position)
    else:
        frame.container.append(container)
        frame.container.marks.append(position)


def _close(frame: _Frame) -> None:
    """A pending entry that nothing nested follows is null, placed just after its indicator."""
    pending, frame.pending = frame.pending, None
    if pending is None:
        return
    if frame.is_map:
        key, index, column, colon = pending
        frame.container[key] = None
        frame.container.marks[key] = (index + 1, column + 1, index + 1, colon + 2)
    else:
        index, column = pending
        frame.container.append(None)
        frame.container.marks.append((index + 1, column + 2))


def _key(text: str) -> tuple[Any, int] | None:
    """The implicit key `text` starts with and the offset of its `:`, or None when none."""
    first = text[0]
    if first == "'" or first == '"':
        key, end = _quoted(text, 0)
        colon = end
        while colon < len(text) and text[colon] == " ":
            colon += 1
        if colon < len(text) and text[colon] == ":" and _ends_indicator(text, colon):
            if colon > _LONGEST_KEY:
                raise GiveUp
            return key, colon
        return None
    comment = text.find(" #")
    head = text if comment < 0 else text[:comment]
    colon = head.find(": ")
    if colon < 0:
        head = head.rstrip(" ")
        if not head.endswith(":"):
            return None
        colon = len(head) - 1
    raw = head[:colon].rstrip(" ")
    if not raw or colon > _LONGEST_KEY or not _plain_start(text):
        raise GiveUp
    return resolve_plain(raw), colon


def _value(lines: list[str], index: int, start: int, text: str, parent: int) -> tuple[Any, int]:
    """The value `text` (at column `start` of line `index`) starts, and the line after it.

    `parent` is the column of the collection holding it: a literal block is indented deeper.
    """
    first = text[0]
    if first in _NOT_PLAIN_FIRST:
        if first == "'" or first == '"':
            value, end = _quoted(text, 0)
            _expect_end(text, end)
            return value, index + 1
        if first == "|":
            return _literal(lines, index, text, parent)
        if first == "{" or first == "[":
            collection, end = _flow(text, index, start)
            _expect_end(text, end)
            return collection, index + 1
        if not _plain_start(text):
            raise GiveUp  # flow collections, anchors, aliases, tags, folded scalars
    comment = text.find(" #")
    plain = (text if comment < 0 else text[:comment]).rstrip(" ")
    if ": " in plain or plain.endswith(":"):
        raise GiveUp  # a mapping where a value was expected
    return resolve_plain(plain), index + 1


def _flow(text: str, index: int, start: int) -> tuple[Any, int]:
    """A one-line flow sequence or mapping of scalars (`[a, 'b']`, `{k: v}`) and its end offset."""
    is_map = text[0] == "{"
    closing = "}" if is_map else "]"
    position = (index + 1, start + 1)
    collection: Any = PosMap(position) if is_map else PosSeq(position)
    offset = _skip(text, 1)
    if text.startswith(closing, offset):
        return collection, offset + 1
    while True:
        item, end = _flow_scalar(text, offset, is_map)
        if is_map:
            colon = _skip(text, end)
            if not text.startswith(": ", colon) or item in collection:
                raise GiveUp  # a key without a value, or a duplicate
            value_offset = _skip(text, colon + 1)
            value, end = _flow_scalar(text, value_offset, False)
            collection[item] = value
            collection.marks[item] = (
                index + 1,
                start + offset + 1,
                index + 1,
                start + value_offset + 1,
            )
        else:
            collection.append(item)
            collection.marks.append((index + 1, start + offset + 1))
        end = _skip(text, end)
        if text.startswith(closing, end):
            return collection, end + 1
        if not text.startswith(",", end):
            raise GiveUp
        offset = _skip(text, end + 1)


def _flow_scalar(text: str, offset: int, is_key: bool) -> tuple[Any, int]:
    """A quoted or plain scalar inside a flow collection, and the offset after it."""
    if offset >= len(text):
        raise GiveUp
    if text[offset] == "'" or text[offset] == '"':
        return _quoted(text, offset)
    end = offset
    while end < len(text) and text[end] not in _FLOW_STOP:
        end += 1
    if end < len(text) and text[end] == ":" and not (is_key and text.startswith(": ", end)):
        raise GiveUp  # a colon inside a flow scalar
    raw = text[offset:end].rstrip(" ")
    if not raw or not _plain_start(raw) or raw[0] in "?:":
        raise GiveUp  # an empty entry, a nested collection, an indicator
    return resolve_plain(raw), end


def _skip(text: str, offset: int) -> int:
    while offset < len(text) and text[offset] == " ":
        offset += 1
    return offset


def _literal(lines: list[str], index: int, text: str, parent: int) -> tuple[str, int]:
    """A `|` or `|-` block scalar: its value and the first line after it."""
    header = text[1:]
    strip = header.startswith("-")
    _expect_end(header, 1 if strip else 0)
    count = len(lines)
    parts: list[str] = []
    current = index + 1
    while current < count and not lines[current]:
        parts.append("")
        current += 1
    if current == count or not lines[current].strip(" "):
        raise GiveUp  # a leading line of spaces, or nothing: their meaning depends on the indent
    indent = len(lines[current]) - len(lines[current].lstrip(" "))
    if indent <= parent:
        raise GiveUp  # an empty block scalar
    last = current
    while current < count:
        line = lines[current]
        content = line.lstrip(" ")
        if not content:
            if len(line) > indent:
                raise GiveUp  # a line of spaces that is content
            parts.append("")
        elif len(line) - len(content) < indent:
            break
        else:
            parts.append(line[indent:])
            last = current
        current += 1
    while parts and not parts[-1]:
        parts.pop()
    body = "\n".join(parts)
    # Clipping keeps the last line break; the stream's last line may not have one.
    return (body if strip or last == count - 1 else body + "\n"), current


def _ends_indicator(text: str, index: int) -> bool:
    return index + 1 == len(text) or text[index + 1] == " "


def _plain_start(text: str) -> bool:
    """Whether a plain scalar may start `text`: no indicator, unless `-?:` before a non-space."""
    first = text[0]
    if first not in _NOT_PLAIN_FIRST:
        return True
    return first in "-?:" and not _ends_indicator(text, 0)


def _quoted(text: str, start: int) -> tuple[str, int]:
    """A single-line quoted scalar at `start`: its value and the index after the closing quote."""
    if text[start] == "'":
        end = text.find("'", start + 1)
        while 0 <= end < len(text) - 1 and text[end + 1] == "'":
            end = text.find("'", end + 2)
        if end < 0:
            raise GiveUp
        return text[start + 1 : end].replace("''", "'"), end + 1
    match = _DOUBLE_QUOTED.match(text, start)
    if match is None:
        raise GiveUp
    body = match.group(1)
    return (_ESCAPE.sub(_unescape, body) if "\\" in body else body), match.end()


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if len(code) == 1:
        if code not in _ESCAPES:
            raise GiveUp
        return _ESCAPES[code]
    value = int(code[1:], 16)
    if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        raise GiveUp
    return chr(value)


def _expect_end(text: str, end: int) -> None:
    """Only spaces, or spaces and a comment, may follow a complete value on its line."""
    rest = text[end:]
    if rest and (rest[0] != " " or (rest.strip(" ") and rest.lstrip(" ")[0] != "#")):
        raise GiveUp
