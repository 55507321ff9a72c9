"""`sources/charts.lock`: the sha256 digest of every upstream chart archive the environments pin.

`python render.py charts lock` writes it and nothing else does; it is read here, with positions,
through the one YAML reader and checked against its schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from gitopsctl.errors import InputError, Problem
from gitopsctl.repofiles import escaping_link
from gitopsctl.sources import schemas
from gitopsctl.yaml import reader

LOCK_FILE = "sources/charts.lock"
LOCK_COMMAND = "python render.py charts lock"
HEADER = (
    "# The upstream chart archives the environments pin, with their sha256 digests.\n"
    f"# Written by `{LOCK_COMMAND}`; `python render.py charts pull` fetches and verifies them.\n"
)


class ChartKey(NamedTuple):
    """One upstream chart at one version, from one repository."""

    repo: str
    name: str
    version: str

    @property
    def archive(self) -> str:
        """The archive's file name, as `helm pull` writes it and the chart cache keeps it."""
        return f"{self.name}-{self.version}.tgz"

    def __str__(self) -> str:
        return f"{self.name} {self.version} ({self.repo})"


class LockedChart(NamedTuple):
    key: ChartKey
    digest: str  # `sha256:<hex>`
    line: int  # of the entry in the lock file
    column: int


class ChartLock(NamedTuple):
    charts: dict[ChartKey, LockedChart]

    def by_name(self, name: str) -> list[LockedChart]:
        return [entry for key, entry in sorted(self.charts.items()) if key.name == name]


def read_lock(repo: Path) -> ChartLock | None:
    """The lock file, or None when the repository has none; a broken one raises InputError."""
    escaping = escaping_link(repo, LOCK_FILE)
    if escaping is not None:
        raise InputError(escaping)
    path = repo / LOCK_FILE
    if not path.is_file():
        return None
    return parse_lock(reader.read_text(path, LOCK_FILE))


def parse_lock(text: str) -> ChartLock:
    node = reader.parse(text, LOCK_FILE)
    if not isinstance(node, dict):
        raise InputError(Problem("the lock must be a YAML mapping with `charts`", LOCK_FILE, 1, 1))
    problems = schemas.check("charts-lock", node, LOCK_FILE)
    if problems:
        raise InputError(problems)
    charts: dict[ChartKey, LockedChart] = {}
    for index, item in enumerate(node["charts"]):
        key = ChartKey(item["repo"], item["name"], item["version"])
        line, column = reader.deepest_position(node, ("charts", index))
        if key in charts:
            raise InputError(Problem(f"{key} is locked twice", LOCK_FILE, line, column))
        charts[key] = LockedChart(key, item["digest"], line, column)
    return ChartLock(charts)


def lock_data(digests: dict[ChartKey, str]) -> dict[str, list[dict[str, str]]]:
    """The lock's content: one entry per chart, sorted by name, repository and version."""
    ordered = sorted(digests, key=lambda key: (key.name, key.repo, key.version))
    return {
        "charts": [
            {"repo": key.repo, "name": key.name, "version": key.version, "digest": digests[key]}
            for key in ordered
        ]
    }
