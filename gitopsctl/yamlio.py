"""The one configured YAML parser and emitter; positions become 1-based here and nowhere else."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.representer import RoundTripRepresenter

from gitopsctl.errors import InputError, Problem

Position = tuple[int, int]


def _round_trip_loader() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def _emitter() -> YAML:
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.representer.add_representer(type(None), _represent_null)
    yaml.representer.add_representer(str, _represent_str)
    return yaml


# Helm reads values with a YAML 1.1 parser: quote every string it would take for something else.
_YAML11_IMPLICIT = re.compile(
    r"""^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
    |~|null|Null|NULL|
    |[-+]?(?:0|[1-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
    |[-+]?0[0-7_]+|[-+]?0o[0-7]+|[-+]?0x[0-9a-fA-F_]+|[-+]?0b[01_]+
    |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*
    |<<|=)$""",
    re.VERBOSE,
)


def _represent_str(representer: RoundTripRepresenter, value: str) -> Any:
    if "\n" in value:
        return representer.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if _YAML11_IMPLICIT.match(value):
        return representer.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return representer.represent_scalar("tag:yaml.org,2002:str", value)


def _represent_null(representer: RoundTripRepresenter, _: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


_LOADER = _round_trip_loader()
_EMITTER = _emitter()


def parse(text: str, name: str) -> Any:
    """Parse one YAML document keeping positions; broken YAML becomes an InputError at its line."""
    try:
        return _LOADER.load(text)
    except MarkedYAMLError as error:
        raise InputError(_problem(error, name)) from None


def parse_all(text: str, name: str) -> list[Any]:
    """Parse a multi-document stream keeping positions."""
    try:
        return [doc for doc in _LOADER.load_all(text) if doc is not None]
    except MarkedYAMLError as error:
        raise InputError(_problem(error, name)) from None


def load_file(path: Path, name: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(Problem(f"cannot read file: {error}", name)) from None
    return parse(text, name)


def _problem(error: MarkedYAMLError, name: str) -> Problem:
    mark = error.problem_mark or error.context_mark
    summary = error.problem or error.context or "invalid YAML"
    if "duplicate key" in str(summary) or "found duplicate key" in str(error):
        summary = _duplicate_key_message(error)
    if mark is None:
        return Problem(f"YAML syntax error: {summary}", name)
    return Problem(f"YAML syntax error: {summary}", name, mark.line + 1, mark.column + 1)


def _duplicate_key_message(error: MarkedYAMLError) -> str:
    problem = str(error.problem or "")
    return problem.replace("found ", "") if problem else "duplicate key"


def key_position(node: Any, key: Any) -> Position | None:
    """1-based line and column of a mapping key, or of a sequence item."""
    if isinstance(node, CommentedMap) and key in node:
        line, column = node.lc.key(key)
        return line + 1, column + 1
    if isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
        line, column = node.lc.item(key)
        return line + 1, column + 1
    return None


def value_position(node: Any, key: Any) -> Position | None:
    """1-based line and column of the value stored under a key (falls back to the key)."""
    if isinstance(node, CommentedMap) and key in node:
        line, column = node.lc.value(key)
        return line + 1, column + 1
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
    if isinstance(node, CommentedMap | CommentedSeq):
        return node.lc.line + 1, node.lc.col + 1
    return None


def dump(data: Any) -> str:
    """Emit plain data as block YAML; key order is whatever the caller built (render sorts)."""
    stream = io.StringIO()
    _EMITTER.dump(data, stream)
    return stream.getvalue()


def to_plain(node: Any) -> Any:
    """Round-trip nodes to plain dicts, lists and scalars."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    return _plain_scalar(node)


def _plain_scalar(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return str(value)
