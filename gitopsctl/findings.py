"""A finding is an immutable record: rules yield positions and messages, the engine the rest."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Finding(NamedTuple):
    """One policy or schema finding, located at the file and line a user should change."""

    rule: str
    severity: Severity
    env: str | None
    app: str | None
    file: str
    line: int
    column: int
    message: str
    rendered: str | None = None
    excepted: bool = False

    def sort_key(self) -> tuple[str, int, int, str, str, str, str]:
        return (
            self.file,
            self.line,
            self.column,
            self.rule,
            self.env or "",
            self.app or "",
            self.message,
        )
