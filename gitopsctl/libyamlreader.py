"""The complete YAML reader: libyaml's C parser and composer (through PyYAML), YAML 1.2 core
schema resolution, and every syntax error reported at its line.

It reads what the fast block reader gives up on; importing PyYAML is left to the first text
that needs it.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gitopsctl.errors import InputError, Problem
from gitopsctl.yamlnodes import Position, PosMap, PosSeq, resolve_plain

_TAG = "tag:yaml.org,2002:"
_PLAIN = "?"
_STR = _TAG + "str"
_EXPLICIT: dict[str, type] = {
    _TAG + "null": type(None),
    _TAG + "bool": bool,
    _TAG + "int": int,
    _TAG + "float": float,
}


class _Loader(yaml.CSafeLoader):
    """libyaml's parser and composer; plain scalars are resolved later, by the core schema."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012  (class-level by design)

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool] | bool) -> str:
        # Collections pass one flag; scalars pass (plain, quoted).
        return _PLAIN if implicit is True or (implicit is not False and implicit[0]) else _STR


def read_stream(text: str, name: str) -> list[Any]:
    """Every non-empty document of a stream, with positions."""
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as error:
        raise InputError(_problem(error, name)) from None
    except yaml.YAMLError as error:
        raise InputError(Problem(f"YAML syntax error: {error}", name)) from None
    return [_construct(node, name) for node in nodes if not _empty(node)]


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
    if type(node) is ScalarNode:
        return _scalar(node, name)
    if type(node) is MappingNode:
        return _mapping(node, name)
    assert isinstance(node, SequenceNode)
    items = PosSeq(_at(node))
    for item in node.value:
        items.append(_construct(item, name))
        items.marks.append(_at(item))
    return items


def _mapping(node: MappingNode, name: str) -> PosMap:
    mapping = PosMap(_at(node))
    for key_node, value_node in node.value:
        if type(key_node) is not ScalarNode:
            message = "YAML syntax error: a key must be a scalar"
            raise InputError(Problem(message, name, *_at(key_node)))
        key = _scalar(key_node, name)
        if key in mapping:
            raise InputError(_duplicate(key_node, value_node, mapping, key, name))
        mapping[key] = _construct(value_node, name)
        mapping.marks[key] = (*_at(key_node), *_at(value_node))
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


def _scalar(node: ScalarNode, name: str) -> Any:
    tag, value = node.tag, node.value
    if tag == _PLAIN:
        return resolve_plain(value)
    if tag not in _EXPLICIT:
        return value  # `!!str`, and tags this tool gives no meaning to
    resolved = resolve_plain(value)
    if tag == _TAG + "float" and type(resolved) is int:
        return float(resolved)
    if type(resolved) is not _EXPLICIT[tag]:
        message = f'YAML error: "{value}" is not a valid {tag.removeprefix(_TAG)}'
        raise InputError(Problem(message, name, *_at(node)))
    return resolved
