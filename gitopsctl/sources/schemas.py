"""The project's JSON Schemas for source files, checked with positions mapped back to the file."""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

from gitopsctl.errors import Problem
from gitopsctl.resources import SCHEMA_DIR
from gitopsctl.yaml import reader

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError


@cache
def _schema(kind: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8")
    )
    return loaded


@cache
def _fast(kind: str) -> Any:
    """jsonschema-rs: the verdict, in microseconds and without importing jsonschema."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(_schema(kind), validate_formats=False, offline=True)


@cache
def validator(kind: str) -> Draft202012Validator:
    """The validator whose errors explain themselves best, built once per process."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_schema(kind))


def check(kind: str, node: Any, file: str) -> list[Problem]:
    """Every schema error of a loaded document, at the line of the failing key."""
    data = reader.to_plain(node)
    try:
        if _fast(kind).is_valid(data):
            return []
    except ValueError:  # a value jsonschema-rs refuses (a non-finite float): jsonschema decides
        pass
    errors = sorted(validator(kind).iter_errors(data), key=lambda e: list(map(str, e.path)))
    return [_problem(error, node, file) for error in errors]


def _problem(error: ValidationError, root: Any, file: str) -> Problem:
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":
        path.append(_unknown_keys(error)[0])
    elif "propertyNames" in error.schema_path:
        path.append(str(error.instance))
    line, column = _position(root, path)
    key_path = ".".join(str(part) for part in error.absolute_path) or "(top level)"
    return Problem(f"{key_path}: {_message(error)}", file, line, column)


def _unknown_keys(error: ValidationError) -> list[str]:
    known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    instance = error.instance if isinstance(error.instance, dict) else {}
    return sorted(str(key) for key in instance if key not in known)


def _message(error: ValidationError) -> str:
    if error.validator == "additionalProperties" and isinstance(error.schema, dict):
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        unknown = ", ".join(repr(key) for key in _unknown_keys(error))
        return f"unknown key {unknown} (allowed: {allowed})"
    if error.validator in ("oneOf", "anyOf") and error.context:
        best = min(error.context, key=lambda e: (len(list(e.path)), e.message))
        return best.message
    return error.message


def _position(root: Any, path: list[Any]) -> tuple[int, int]:
    """The position of the failing key, else of its closest parent that has one."""
    return reader.deepest_position(root, path, reader.node_position(root) or (1, 1))
