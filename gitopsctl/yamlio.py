"""The one YAML reader and writer; positions become 1-based here and nowhere else.

Reading uses libyaml's C composer (through PyYAML) with YAML 1.2 core-schema resolution, which is
what ruamel.yaml applies too, and builds mappings and sequences that remember the position of
every key, value and item. It is about thirty times faster than a pure-Python round-trip parser,
which matters in a pre-commit hook and over thousands of manifests.

Writing emits block YAML for plain data. Helm reads values with a YAML 1.1 parser, so every string
that either YAML version would take for something else is quoted.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gitopsctl.errors import InputError, Problem

Position = tuple[int, int]


class PosMap(dict[Any, Any]):
    """A mapping that can say where it, each of its keys and each value start.

    Positions are read from the parser's node only when asked for: most values never need one.
    """

    _node: MappingNode | None = None
    _index: dict[Any, int] | None = None

    @property
    def position(self) -> Position:
        return _at(self._node) if self._node is not None else (1, 1)

    def key_at(self, key: Any) -> Position | None:
        pair = self._pair(key)
        return _at(pair[0]) if pair else None

    def value_at(self, key: Any) -> Position | None:
        pair = self._pair(key)
        return _at(pair[1]) if pair else None

    def _pair(self, key: Any) -> tuple[Node, Node] | None:
        if self._node is None or key not in self:
            return None
        if self._index is None:
            self._index = {k: i for i, k in enumerate(self)}
        pair: tuple[Node, Node] = self._node.value[self._index[key]]
        return pair


class PosSeq(list[Any]):
    """A sequence that can say where it and each of its items start."""

    _node: SequenceNode | None = None

    @property
    def position(self) -> Position:
        return _at(self._node) if self._node is not None else (1, 1)

    def item_at(self, index: int) -> Position | None:
        if self._node is None or not 0 <= index < len(self):
            return None
        return _at(self._node.value[index])


# YAML 1.2 core schema: no yes/no/on/off booleans, no sexagesimal numbers, no timestamps.
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_TAG = "tag:yaml.org,2002:"


_PLAIN = "?"
_STR = _TAG + "str"
_MAYBE_NOT_STRING = frozenset("0123456789+-.~nNtTfF")


class _Loader(yaml.CSafeLoader):
    """libyaml's parser and composer; plain scalars are resolved later, by the core schema."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012  (class-level by design)

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool] | bool) -> str:
        # Collections pass one flag; scalars pass (plain, quoted).
        return _PLAIN if implicit is True or (implicit is not False and implicit[0]) else _STR


def parse(text: str, name: str) -> Any:
    """One YAML document with positions; broken YAML becomes an InputError at its line."""
    documents = parse_all(text, name)
    return documents[0] if documents else None


def parse_all(text: str, name: str) -> list[Any]:
    """Every non-empty document of a stream, with positions."""
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as error:
        raise InputError(_problem(error, name)) from None
    except yaml.YAMLError as error:
        raise InputError(Problem(f"YAML syntax error: {error}", name)) from None
    return [_construct(node, name) for node in nodes if not _empty(node)]


def load_file(path: Path, name: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(Problem(f"cannot read file: {error}", name)) from None
    return parse(text, name)


def _empty(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _PLAIN and node.value == ""


def _problem(error: yaml.MarkedYAMLError, name: str) -> Problem:
    mark = error.problem_mark or error.context_mark
    summary = error.problem or error.context or "invalid YAML"
    if mark is None:
        return Problem(f"YAML syntax error: {summary}", name)
    return Problem(f"YAML syntax error: {summary}", name, mark.line + 1, mark.column + 1)


def _at(node: Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _construct(node: Node, name: str) -> Any:
    if isinstance(node, ScalarNode):
        return _scalar(node)
    if isinstance(node, MappingNode):
        return _mapping(node, name)
    assert isinstance(node, SequenceNode)
    items = PosSeq(
        _scalar(item) if type(item) is ScalarNode else _construct(item, name) for item in node.value
    )
    items._node = node
    return items


def _mapping(node: MappingNode, name: str) -> PosMap:
    mapping = PosMap()
    mapping._node = node
    for key_node, value_node in node.value:
        if type(key_node) is not ScalarNode:
            message = "YAML syntax error: a key must be a scalar"
            raise InputError(Problem(message, name, *_at(key_node)))
        key = _scalar(key_node)
        if key in mapping:
            raise InputError(_duplicate(key_node, value_node, mapping, key, name))
        if type(value_node) is ScalarNode:
            mapping[key] = _scalar(value_node)
        else:
            mapping[key] = _construct(value_node, name)
    return mapping


def _duplicate(key_node: Node, value_node: Node, mapping: PosMap, key: Any, name: str) -> Problem:
    first = mapping.key_at(key) or (1, 1)
    original = mapping[key] if not isinstance(mapping[key], dict | list) else "..."
    message = (
        f'YAML syntax error: duplicate key "{key}" with value "{_summary(value_node)}" '
        f'(first set to "{original}" on line {first[0]})'
    )
    return Problem(message, name, *_at(key_node))


def _summary(node: Node) -> str:
    return str(node.value) if isinstance(node, ScalarNode) else "..."


def _scalar(node: ScalarNode) -> Any:
    tag, value = node.tag, node.value
    if tag == _PLAIN:
        if not value:
            return None
        if value[0] not in _MAYBE_NOT_STRING:
            return value
        tag = _core_tag(value)
    if tag == _STR:
        return value
    if tag == _TAG + "null":
        return None
    if tag == _TAG + "bool":
        return value.lower() == "true"
    if tag == _TAG + "int":
        return _int(value)
    if tag == _TAG + "float":
        return _float(value)
    return value


def _core_tag(value: str) -> str:
    if _NULL.match(value):
        return _TAG + "null"
    if _BOOL.match(value):
        return _TAG + "bool"
    if _INT.match(value):
        return _TAG + "int"
    if _FLOAT.match(value):
        return _TAG + "float"
    return _STR


def _int(value: str) -> int:
    if value.startswith("0o"):
        return int(value[2:], 8)
    if value.startswith("0x"):
        return int(value[2:], 16)
    return int(value, 10)


def _float(value: str) -> float:
    lowered = value.lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return float(value)


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


# Helm reads values with a YAML 1.1 parser: quote every string it would take for something else.
_IMPLICIT = re.compile(
    r"""^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    |~|null|Null|NULL|
    |[-+]?(?:0|[1-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
    |[-+]?0[0-7_]+|[-+]?0o[0-7]+|[-+]?0x[0-9a-fA-F_]+|[-+]?0b[01_]+|[-+]?[0-9][0-9_]*
    |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*
    |<<|=)$""",
    re.VERBOSE,
)
_PLAIN_FIRST = re.compile(r"^[^-?:,\[\]{}#&*!|>'\"%@`\s]|^[-?:][^\s]")
# Anything outside YAML's printable set, and line breaks: written as escapes in double quotes.
_PRINTABLE = r"\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff"
_CONTROL = re.compile(rf"[^{_PRINTABLE}]|[\u2028\u2029\ufeff]")
_PLAIN_UNSAFE = re.compile(r": |:$| #|\s$")
_BLOCK_UNSAFE = re.compile(rf"[^\n{_PRINTABLE}]|[ \t]\n|[\u2028\u2029\ufeff]")


def dump(data: Any) -> str:
    """Block YAML for plain data, in the caller's key order."""
    if isinstance(data, dict | list) and data:
        return "".join(_lines(data, 0))
    return _inline(data) + "\n"


def _lines(data: Any, indent: int) -> Iterator[str]:
    pad = " " * indent
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _entry(f"{pad}{_string(str(key))}:", value, indent + 2, indent)
    else:
        for value in data:
            yield from _entry(f"{pad}  -", value, indent + 4, indent + 4, item=True)


def _entry(head: str, value: Any, indent: int, nested: int, item: bool = False) -> Iterator[str]:
    if isinstance(value, dict) and value:
        if item:
            first, *rest = list(_lines(value, nested))
            yield f"{head} {first.lstrip()}"
            yield from rest
        else:
            yield head + "\n"
            yield from _lines(value, indent)
    elif isinstance(value, list) and value:
        yield head + "\n"
        yield from _lines(value, indent - 2)
    elif isinstance(value, str) and _literal(value):
        yield f"{head} |{'' if value.endswith(chr(10)) else '-'}\n"
        yield from (f"{' ' * indent}{line}\n" if line else "\n" for line in value.splitlines())
    else:
        yield f"{head} {_inline(value)}\n"


def _literal(value: str) -> bool:
    body = value[:-1] if value.endswith("\n") else value
    return (
        "\n" in body
        and not body.endswith("\n")
        and not value.startswith((" ", "\n"))
        and not _BLOCK_UNSAFE.search(value)
    )


def _inline(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _string(str(value))


def _float_text(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    # YAML 1.1 (Helm) needs a dot in the mantissa and a signed exponent to see a float.
    mantissa, _, exponent = repr(value).partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    if exponent and exponent[0] not in "+-":
        exponent = "+" + exponent
    return f"{mantissa}e{exponent}" if exponent else mantissa


def _string(value: str) -> str:
    if _CONTROL.search(value):
        quoted = json.dumps(value, ensure_ascii=False)
        return _CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", quoted)
    if _IMPLICIT.match(value) or not _PLAIN_FIRST.match(value) or _PLAIN_UNSAFE.search(value):
        return "'" + value.replace("'", "''") + "'"
    return value
