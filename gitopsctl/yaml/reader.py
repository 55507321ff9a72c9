"""The one YAML reader: libyaml's C parser and composer through PyYAML, configured once here.

Plain scalars resolve by the YAML 1.2 core schema (as ruamel.yaml and Helm's values read them:
no yes/no booleans, no timestamps, `=` is the string `=`), and merge keys `<<` merge, as kubectl
and Helm merge them. Positions become 1-based here and nowhere else.

Two ways to read:

- `parse` / `load_file`: one document whose mappings and sequences remember the position of
  every key, value and item (`PosMap`, `PosSeq`), for hand-written files and the committed output.
- `read_stream`: a manifest stream as plain data, one document at a time; the positions of a
  document are composed again only when something asks where a value is (a finding), so a
  large stream costs about one libyaml pass.

Hostile input is an `InputError` at its line, never a crash: alias expansion past the budget
Kubernetes' own YAML decoder allows, recursive aliases, nesting deeper than `MAX_DEPTH`,
integers longer than Python converts, and (in hand-written files) a second document or a local
tag such as `!webhook`.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gitopsctl.errors import InputError, Problem
from gitopsctl.yaml.nodes import Position, PosMap, PosSeq, ReadMap, resolve_plain

__all__ = ["MAX_DEPTH", "PosMap", "PosSeq", "Position", "StreamDocument"]

MAX_DEPTH = 100  # the deepest CRD schema seen in use nests about 40 levels
_TAG = "tag:yaml.org,2002:"
_PLAIN = "?"
_STR = _TAG + "str"
_MERGE = "<<"
_EXPLICIT: dict[str, type] = {
    _TAG + "null": type(None),
    _TAG + "bool": bool,
    _TAG + "int": int,
    _TAG + "float": float,
}
_CORE_TAGS = frozenset({_PLAIN, _STR, "!", _TAG + "map", _TAG + "seq", *_EXPLICIT})
# Kubernetes' YAML decoder (go-yaml v3) refuses a document once more than 100 nodes came from
# aliases and they are too large a share of all decoded nodes: 99% up to 400,000 nodes, falling
# linearly to 10% at 4,000,000. The same budget here keeps "billion laughs" out.
_ALIAS_LOW, _ALIAS_HIGH = 400_000, 4_000_000

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """libyaml's parser and composer; plain scalars are resolved later, by the core schema."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012  (class-level by design)

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool] | bool) -> str:
        # Collections pass one flag; scalars pass (plain, quoted).
        return _PLAIN if implicit is True or (implicit is not False and implicit[0]) else _STR


def parse(text: str, name: str) -> Any:
    """The one document of a hand-written or generated file, with positions (None when empty).

    A second document, or a tag this tool gives no meaning to, is an error at its line.
    """
    with _reading(text, name) as loader, _paused_collector():
        first = _next_node(loader)
        if first is None:
            return None
        second = _next_node(loader)
        if second is not None:
            message = "a second YAML document starts here; this file holds exactly one"
            raise InputError(Problem(message, name, *_at(second)))
        return _Builder(name, text, positions=True, strict_tags=True).document(first)


def load_file(path: Path, name: str) -> Any:
    return parse(read_text(path, name), name)


def read_text(path: Path, name: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(Problem(f"cannot read file: {error}", name)) from None
    return decode(data, name)


def utf8(data: bytes, name: str) -> bytes:
    """The bytes, once checked to be UTF-8 text (else an error at the line and column)."""
    decode(data, name)
    return data


def decode(data: bytes, name: str) -> str:
    """UTF-8 text; bytes that are not UTF-8 are an error at their line and column."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = (
            len(
                data[data.rfind(b"\n", 0, error.start) + 1 : error.start].decode("utf-8", "replace")
            )
            + 1
        )
        message = (
            f"not UTF-8 text: byte 0x{data[error.start]:02x} cannot be decoded ({error.reason})"
        )
        raise InputError(Problem(message, name, line, column)) from None


class StreamDocument:
    """One document of a stream: its plain data now, its positions when first asked for."""

    __slots__ = ("_positioned", "_recompose", "data", "line", "name")

    def __init__(self, data: Any, name: str, line: int, recompose: Callable[[], Any]) -> None:
        self.data = data
        self.name = name
        self.line = line  # 1-based line where the document's content starts
        self._recompose = recompose
        self._positioned: Any = None

    @property
    def positioned(self) -> Any:
        """The same data as `PosMap`/`PosSeq`, composed again from the document's text."""
        if self._positioned is None:
            self._positioned = self._recompose()
        return self._positioned


def read_stream(source: str | bytes, name: str) -> Iterator[StreamDocument]:
    """Every non-empty document of a stream, as plain data, one at a time.

    A stream given as UTF-8 bytes (see `utf8`) is parsed as it is: libyaml would otherwise hold a
    UTF-8 copy of the text for the whole parse. Its text is decoded once a position is asked for.
    """
    text = _Text(source)
    builder = _Builder(name, source, positions=False, strict_tags=False)
    with _reading(source, name) as loader:
        while True:
            with _paused_collector():
                node = _next_node(loader)
                if node is None:
                    return
                data = builder.document(node)
            start = node.start_mark
            span = (start.line, start.column, start.index, node.end_mark.index)
            del node
            yield StreamDocument(data, name, start.line + 1, _recomposer(text, name, span))


def parse_all(text: str, name: str) -> list[Any]:
    """Every non-empty document of a stream, with positions."""
    return [document.positioned for document in read_stream(text, name)]


class _Text:
    """A stream's text, decoded from its bytes on first use (libyaml's marks count characters)."""

    def __init__(self, source: str | bytes) -> None:
        self._source = source

    @functools.cached_property
    def value(self) -> str:
        source = self._source
        return source if isinstance(source, str) else source.decode("utf-8")


def _recomposer(text: _Text, name: str, span: tuple[int, int, int, int]) -> Callable[[], Any]:
    def recompose() -> Any:
        line, column, start, end = span
        # The document alone, at the same column (spaces for what precedes it on its first line,
        # a `--- ` marker), its positions then moved down to its line: blank lines before it
        # would be scanned again for each document located, n² over a stream.
        alone = " " * column + text.value[start:end]
        with _reading(alone, name) as loader, _paused_collector():
            node = _next_node(loader)
            assert node is not None  # the same text composed to this document before
            builder = _Builder(name, alone, positions=True, strict_tags=False, lines=line)
            return builder.document(node)

    return recompose


@contextmanager
def _reading(source: str | bytes, name: str) -> Iterator[Any]:
    """A loader over the text; syntax errors become InputError at their line."""
    loader = _Loader(source)
    try:
        yield loader
    except yaml.MarkedYAMLError as error:
        raise InputError(_syntax_problem(error, name)) from None
    except yaml.reader.ReaderError as error:
        raise InputError(_character_problem(error, _Text(source).value, name)) from None
    except yaml.YAMLError as error:
        raise InputError(Problem(f"YAML syntax error: {error}", name)) from None
    except RecursionError:  # the pure-Python composer, where libyaml is missing
        raise InputError(Problem(f"YAML nests deeper than {MAX_DEPTH} levels", name)) from None
    finally:
        loader.dispose()


@contextmanager
def _paused_collector() -> Iterator[None]:
    """Composing allocates many small objects that form no cycles; the cyclic garbage collector
    would rescan them over and over (3x the reading time), so it pauses meanwhile."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _next_node(loader: Any) -> Node | None:
    """The next non-empty document's node, or None at the end of the stream."""
    while loader.check_node():
        node: Node = loader.get_node()
        if not (type(node) is ScalarNode and node.tag == _PLAIN and node.value == ""):
            return node
    return None


def _syntax_problem(error: yaml.MarkedYAMLError, name: str) -> Problem:
    mark = error.problem_mark or error.context_mark
    summary = error.problem or error.context or "invalid YAML"
    if mark is None:
        return Problem(f"YAML syntax error: {summary}", name)
    return Problem(f"YAML syntax error: {summary}", name, mark.line + 1, mark.column + 1)


def _character_problem(error: yaml.reader.ReaderError, text: str, name: str) -> Problem:
    """A character YAML does not allow (a control character), at its line and column."""
    at = min(max(error.position, 0), len(text))
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    code = error.character if isinstance(error.character, int) else ord(error.character[:1] or " ")
    message = f"YAML syntax error: unacceptable character #x{code:04x}: {error.reason}"
    return Problem(message, name, line, column)


def _at(node: Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Builds Python data from composed nodes: with or without positions, one document at a
    time, checking the limits on the way."""

    def __init__(
        self, name: str, source: str | bytes, *, positions: bool, strict_tags: bool, lines: int = 0
    ) -> None:
        self.name = name
        self.lines = lines  # how far below the composed text's lines the positions are
        # No anchor, no alias: skip the alias budget.
        self.may_alias = "&" in source if isinstance(source, str) else b"&" in source
        self.positions = positions
        self.strict_tags = strict_tags

    def document(self, node: Node) -> Any:
        if self.may_alias:
            _check_aliases(node, self.name)
        return self.construct(node, 0)

    def at(self, node: Node) -> Position:
        line, column = _at(node)
        return line + self.lines, column

    def fail(self, message: str, node: Node) -> InputError:
        return InputError(Problem(message, self.name, *self.at(node)))

    def construct(self, node: Node, depth: int) -> Any:
        if type(node) is ScalarNode:
            return self.scalar(node)
        if depth >= MAX_DEPTH:
            raise _too_deep(node, self.name)
        if self.strict_tags and node.tag not in _CORE_TAGS:
            raise self.fail(_tag_message(node.tag), node)
        if type(node) is MappingNode:
            return self.mapping(node, depth + 1)
        return self.sequence(node, depth + 1)

    def sequence(self, node: Node, depth: int) -> Any:
        construct = self.construct
        if not self.positions:
            return [construct(item, depth) for item in node.value]
        items = PosSeq(self.at(node))
        items.extend(construct(item, depth) for item in node.value)
        items.marks.extend(self.at(item) for item in node.value)
        return items

    def mapping(self, node: Node, depth: int) -> Any:
        mapping = PosMap(self.at(node)) if self.positions else ReadMap()
        merged: list[tuple[Any, ReadMap]] = []
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode:
                raise self.fail("YAML syntax error: a key must be a scalar", key_node)
            if key_node.tag == _PLAIN and key_node.value == _MERGE:
                merged.extend(self.merge_sources(key_node, value_node, depth))
                continue
            key = self.scalar(key_node)
            if key in mapping:
                raise self.fail(self.duplicate_message(node, key, value_node), key_node)
            mapping[key] = self.construct(value_node, depth)
            if isinstance(mapping, PosMap):
                mapping.marks[key] = (*self.at(key_node), *self.at(value_node))
        return _with_merged(mapping, merged) if merged else mapping

    def duplicate_message(self, node: Node, key: Any, value_node: Node) -> str:
        first_key, first_value = next(pair for pair in node.value if self.scalar(pair[0]) == key)
        return (
            f'YAML syntax error: duplicate key "{key}" with value "{_shown(value_node)}" '
            f'(first set to "{_shown(first_value)}" on line {_at(first_key)[0]})'
        )

    def merge_sources(self, key: Node, node: Node, depth: int) -> Iterator[tuple[Any, ReadMap]]:
        """The entries a merge key brings: of one mapping, or of each in a list (earlier
        mappings win), with their own positions."""
        if depth >= MAX_DEPTH:
            raise _too_deep(node, self.name)
        sources = node.value if type(node) is SequenceNode else [node]
        for source in sources:
            if type(source) is not MappingNode:
                raise self.fail("a merge key << takes a mapping or a list of mappings", key)
            mapping = self.mapping(source, depth + 1)
            yield from ((key, mapping) for key in mapping)

    def scalar(self, node: Node) -> Any:
        tag, value = node.tag, node.value
        try:
            if tag == _PLAIN:
                return resolve_plain(value)
            if tag not in _EXPLICIT:
                if self.strict_tags and tag not in _CORE_TAGS:
                    raise self.fail(_tag_message(tag), node)
                return value  # `!!str`, and tags of manifests this tool gives no meaning to
            return self.explicit(node)
        except ValueError:  # Python refuses to convert integers past its digit limit
            raise self.fail(f"integer of {len(value)} digits is too long", node) from None

    def explicit(self, node: Node) -> Any:
        tag, value = node.tag, node.value
        resolved = resolve_plain(value)
        if tag == _TAG + "float" and type(resolved) is int:
            return float(resolved)
        if type(resolved) is not _EXPLICIT[tag]:
            raise self.fail(f'YAML error: "{value}" is not a valid {tag.removeprefix(_TAG)}', node)
        return resolved


def _with_merged(mapping: ReadMap, merged: Sequence[tuple[Any, ReadMap]]) -> ReadMap:
    """Merged entries first (the first source of a key wins), then the mapping's own keys."""
    result = PosMap(mapping.position) if isinstance(mapping, PosMap) else ReadMap()
    entries = [(key, source) for key, source in merged if key not in mapping]
    entries.extend((key, mapping) for key in mapping)
    for key, source in entries:
        if key in result and source is not mapping:
            continue
        result[key] = source[key]
        if isinstance(result, PosMap) and isinstance(source, PosMap):
            result.marks[key] = source.marks[key]
    return result


def _check_aliases(root: Node, name: str) -> None:
    """Refuse recursive aliases and alias expansion beyond Kubernetes' budget, before building."""
    sizes: dict[int, int] = {}  # the expanded size of each collection node seen; 0 while open
    largest: list[tuple[int, Node]] = [(0, root)]  # the largest node an alias repeats

    def size(node: Node, depth: int) -> int:
        if type(node) is ScalarNode:
            return 1
        known = sizes.get(id(node))
        if known == 0:
            raise InputError(Problem("YAML alias refers to itself", name, *_at(node)))
        if known is not None:
            largest[0] = max(largest[0], (known, node), key=lambda pair: pair[0])
            return known
        if depth >= MAX_DEPTH:
            raise _too_deep(node, name)
        sizes[id(node)] = 0
        children = (
            [part for pair in node.value for part in pair]
            if type(node) is MappingNode
            else node.value
        )
        total = 1 + sum(size(child, depth + 1) for child in children)
        sizes[id(node)] = total
        return total

    expanded = size(root, 0)
    aliased = expanded - _distinct(root)
    if aliased > 100 and expanded > 1000 and aliased / expanded > _allowed_alias_share(expanded):
        message = (
            f"YAML aliases of the node here expand the document to {expanded:,} nodes "
            f"({aliased:,} from aliases), past the alias budget"
        )
        raise InputError(Problem(message, name, *_at(largest[0][1])))


def _distinct(root: Node) -> int:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is MappingNode:
            stack.extend(part for pair in node.value for part in pair)
        elif type(node) is SequenceNode:
            stack.extend(node.value)
    return len(seen)


def _allowed_alias_share(expanded: int) -> float:
    if expanded <= _ALIAS_LOW:
        return 0.99
    if expanded >= _ALIAS_HIGH:
        return 0.10
    return 0.99 - 0.89 * (expanded - _ALIAS_LOW) / (_ALIAS_HIGH - _ALIAS_LOW)


def _shown(node: Node) -> str:
    return str(node.value) if type(node) is ScalarNode else "..."


def _too_deep(node: Node, name: str) -> InputError:
    return InputError(Problem(f"YAML nests deeper than {MAX_DEPTH} levels", name, *_at(node)))


def _tag_message(tag: str) -> str:
    shown = "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag
    return f"YAML tag {shown} has no meaning here; write plain YAML (quote the value if needed)"


def key_position(node: Any, key: Any) -> Position | None:
    """1-based line and column of a mapping key, or of a sequence item."""
    if isinstance(node, PosMap):
        return node.key_at(key)
    if isinstance(node, PosSeq) and isinstance(key, int):
        return node.item_at(key)
    return None


def value_position(node: Any, key: Any) -> Position | None:
    """1-based line and column of the value stored under a key (falls back to the key)."""
    if isinstance(node, PosMap) and key in node:
        return node.value_at(key)
    return key_position(node, key)


def deepest_position(node: Any, path: Sequence[Any], start: Position = (1, 1)) -> Position:
    """The position of the key or item at ``path``, else of its deepest ancestor that exists."""
    found = start
    for key in path:
        position = key_position(node, key)
        if position is None:
            break
        found = position
        node = node[key]
    return found


def node_position(node: Any) -> Position | None:
    if isinstance(node, PosMap | PosSeq):
        return node.position
    return None


def to_plain(node: Any) -> Any:
    """Plain dicts, lists and scalars (keys as strings), without positions."""
    if isinstance(node, dict):
        return {k if isinstance(k, str) else str(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    return node
