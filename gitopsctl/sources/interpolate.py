"""Interpolation of a closed set of variables: ``${env.domain}``; ``$${`` is a literal ``${``.

An undefined variable, and a ``${`` never closed by ``}``, are errors at the value's line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gitopsctl.errors import Problem
from gitopsctl.paths import leaves, lookup
from gitopsctl.sources.layering import Origin, Tracked

_VARIABLE = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")  # the last: a `${` never closed


class VariableError(Exception):
    """A `${...}` that cannot be substituted."""


class UndefinedVariable(VariableError):
    def __init__(self, name: str, known: Mapping[str, str]) -> None:
        self.name = name
        choices = ", ".join(sorted(known))
        super().__init__(f"undefined variable ${{{name}}} (defined here: {choices})")


class UnterminatedVariable(VariableError):
    def __init__(self, text: str, start: int) -> None:
        shown = text[start : start + 60]
        super().__init__(
            f"unterminated ${{ ... }}: {shown!r} has no closing }} "
            "(close it, or write $${ for a literal ${)"
        )


def substitute(text: str, variables: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        if match.group(1) is None:
            raise UnterminatedVariable(text, match.start())
        name = match.group(1).strip()
        if name not in variables:
            raise UndefinedVariable(name, variables)
        return variables[name]

    return _VARIABLE.sub(replace, text)


def interpolate_values(values: Tracked, variables: Mapping[str, str]) -> list[Problem]:
    """Substitute every string leaf in place; each undefined variable is a problem at its origin."""
    problems: list[Problem] = []
    for path, value in list(leaves(values.data)):
        if not isinstance(value, str) or "$" not in value:
            continue
        try:
            result = substitute(value, variables)
        except VariableError as error:
            problems.append(_at(values.origin(path), str(error)))
            continue
        _assign(values.data, path, result)
    return problems


def _assign(data: object, path: tuple[str | int, ...], value: str) -> None:
    parent: Any = lookup(data, path[:-1])[1]
    parent[path[-1]] = value


def _at(origin: Origin | None, message: str) -> Problem:
    if origin is None:
        return Problem(message)
    return Problem(message, origin.file, origin.line, origin.column)
