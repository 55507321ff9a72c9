"""Positions inside one parsed document, for the subjects of any input."""

from __future__ import annotations

from typing import Any

from gitopsctl.paths import ValuePath
from gitopsctl.subjects.records import Locate, Location
from gitopsctl.yaml import reader


def node_locator(node: Any, file: str, rendered: str | None = None) -> Locate:
    """Positions inside one parsed document: the deepest existing part of a path."""

    def locate(path: ValuePath) -> Location:
        start = reader.node_position(node) or (1, 1)
        line, column = reader.deepest_position(node, path, start)
        return Location(file, line, column, rendered)

    return locate
