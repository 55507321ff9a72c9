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


def as_record(finding: Finding) -> list[object]:
    """The finding as plain JSON data (a list in field order), for the cache."""
    return [*finding[:1], finding.severity.value, *finding[2:]]


def from_record(record: object) -> Finding:
    """The finding a record holds; ValueError when it is not exactly what as_record makes."""
    if not isinstance(record, list) or len(record) != len(Finding._fields):
        raise ValueError("not a finding record")
    rule, severity, env, app, file, line, column, message, rendered, excepted = record
    texts, optional = (rule, severity, file, message), (env, app, rendered)
    if not all(isinstance(text, str) for text in texts) or not all(
        value is None or isinstance(value, str) for value in optional
    ):
        raise ValueError("not a finding record")
    if type(line) is not int or type(column) is not int or type(excepted) is not bool:
        raise ValueError("not a finding record")
    level = Severity(severity)  # ValueError when it is no severity
    return Finding(rule, level, env, app, file, line, column, message, rendered, excepted)
