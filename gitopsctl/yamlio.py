"""The one YAML reader; positions become 1-based here and nowhere else (`yamlwriter` writes).

Reading first tries the fast block reader (`blockreader`), which covers the block YAML that
manifests and this tool's output are written in, and falls back to libyaml (`libyamlreader`) for
everything else and for every error message. Both resolve plain scalars by the YAML 1.2 core
schema, which is what ruamel.yaml applies too, and build mappings and sequences that remember the
position of every key, value and item. That matters in a pre-commit hook and over thousands of
manifests.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gitopsctl import blockreader
from gitopsctl.errors import InputError, Problem
from gitopsctl.yamlnodes import Position, PosMap, PosSeq

__all__ = ["PosMap", "PosSeq", "Position"]


def parse(text: str, name: str) -> Any:
    """One YAML document with positions; broken YAML becomes an InputError at its line."""
    documents = parse_all(text, name)
    return documents[0] if documents else None


def parse_all(text: str, name: str) -> list[Any]:
    """Every non-empty document of a stream, with positions."""
    documents = blockreader.read_stream(text)
    if documents is not None:
        return documents
    from gitopsctl import libyamlreader  # PyYAML is imported only for what needs it

    return libyamlreader.read_stream(text, name)


def load_file(path: Path, name: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(Problem(f"cannot read file: {error}", name)) from None
    return parse(text, name)


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
