"""Paths into trees of mappings and lists: how every stage names a value (`spec.tls[0].hosts`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

ValuePath = tuple[str | int, ...]


def lookup(node: Any, path: ValuePath) -> tuple[bool, Any]:
    """Whether a path exists in a tree of mappings and lists, and the value there."""
    for key in path:
        found, node = _child(node, key)
        if not found:
            return False, None
    return True, node


def _child(node: Any, key: str | int) -> tuple[bool, Any]:
    if isinstance(node, dict):  # dicts first: the Mapping check is many times slower
        return key in node, node.get(key)
    if isinstance(node, list):
        if isinstance(key, int) and 0 <= key < len(node):
            return True, node[key]
        return False, None
    if isinstance(node, Mapping):
        return key in node, node.get(key)
    return False, None


def walk_paths(data: Any, prefix: ValuePath = ()) -> Iterator[ValuePath]:
    """Every path in a tree, containers before their contents."""
    if prefix:
        yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk_paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from walk_paths(value, (*prefix, index))


def leaves(data: Any, prefix: ValuePath = ()) -> Iterator[tuple[ValuePath, Any]]:
    """Every scalar, empty mapping and empty list with its path, in document order."""
    if isinstance(data, dict) and data:
        for key, value in data.items():
            yield from leaves(value, (*prefix, key))
    elif isinstance(data, list) and data:
        for index, value in enumerate(data):
            yield from leaves(value, (*prefix, index))
    else:
        yield prefix, data


def format_path(path: ValuePath) -> str:
    """A dotted path for people: list items as [n], keys with dots or spaces quoted."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
            continue
        part = f'"{key}"' if any(c in key for c in '. "[]') else key
        text += f".{part}" if text else part
    return text


def describe(value: Any) -> str:
    """What a value is, for messages about wrong types: `a list`, `a mapping`, `the number 42`."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int | float):
        return f"the number {_clipped(str(value))}"
    if isinstance(value, str):
        return f"the string {_clipped(repr(value))}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _clipped(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
