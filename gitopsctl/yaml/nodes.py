"""What both YAML readers build: mappings and sequences that know their positions, and scalars
resolved by the YAML 1.2 core schema.

Positions are 1-based (line, column) pairs. A mapping keeps one `(key line, key column, value
line, value column)` mark per key; a sequence one `(line, column)` per item.
"""

from __future__ import annotations

import math
import re
from typing import Any

Position = tuple[int, int]
Mark = tuple[int, int, int, int]


class ReadMap(dict[Any, Any]):
    """A mapping as the YAML reader built it: only YAML's JSON-compatible scalars inside, so a
    schema validator may read it directly."""

    __slots__ = ()


class PosMap(ReadMap):
    """A mapping that can say where it, each of its keys and each value start."""

    __slots__ = ("marks", "position")

    def __init__(self, position: Position = (1, 1)) -> None:
        super().__init__()
        self.position = position
        self.marks: dict[Any, Mark] = {}

    def key_at(self, key: Any) -> Position | None:
        mark = self._mark(key)
        return (mark[0], mark[1]) if mark else None

    def value_at(self, key: Any) -> Position | None:
        mark = self._mark(key)
        return (mark[2], mark[3]) if mark else None

    def _mark(self, key: Any) -> Mark | None:
        return self.marks.get(key) if key in self else None


class PosSeq(list[Any]):
    """A sequence that can say where it and each of its items start."""

    __slots__ = ("marks", "position")

    def __init__(self, position: Position = (1, 1)) -> None:
        super().__init__()
        self.position = position
        self.marks: list[Position] = []

    def item_at(self, index: int) -> Position | None:
        if not 0 <= index < len(self.marks) or len(self.marks) != len(self):
            return None
        return self.marks[index]


# YAML 1.2 core schema: no yes/no/on/off booleans, no sexagesimal numbers, no timestamps.
_NULL = frozenset(("~", "null", "Null", "NULL"))
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_MAYBE_NOT_STRING = frozenset("0123456789+-.~nNtTfF")  # what a non-string can start with


def resolve_plain(value: str) -> Any:
    """The value of a plain (unquoted) scalar: null, bool, int, float or the string itself."""
    if not value:
        return None
    if value[0] not in _MAYBE_NOT_STRING:
        return value
    if value in _NULL:
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.fullmatch(value):
        return _int(value)
    if _FLOAT.fullmatch(value):
        return _float(value)
    return value


def _int(value: str) -> int:
    if value.startswith("0o"):
        return int(value[2:], 8)
    if value.startswith("0x"):
        return int(value[2:], 16)
    return int(value, 10)


class NonFinite(float):
    """`.inf`, `-.inf` or `.nan`: a float, marked so that jsonschema-rs refuses it (it would
    read it as null) and the schema check takes the exact path."""


def _float(value: str) -> float:
    lowered = value.lower()
    if lowered.endswith(".inf"):
        return NonFinite(-math.inf if lowered.startswith("-") else math.inf)
    if lowered == ".nan":
        return NonFinite(math.nan)
    return float(value)
