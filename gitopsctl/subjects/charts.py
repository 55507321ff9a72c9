"""The environment's upstream chart pins, with the lock's entry and the cached archive's digest
of each, for the `chart-lock` rule (which reads no files and needs no network)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gitopsctl.render.chartcache import cached_digest, default_cache, env_pins
from gitopsctl.sources.chartlock import LOCK_FILE, ChartKey, ChartLock, read_lock
from gitopsctl.subjects.records import ChartPin, Location

if TYPE_CHECKING:
    from gitopsctl.render.rendering import Rendering


@dataclass
class ChartFacts:
    """The lock (None when the repository has none) and the chart cache; each cached archive's
    digest is computed once, however many environments pin it."""

    lock: ChartLock | None
    cache: Path
    _digests: dict[ChartKey, str | None] = field(default_factory=dict)

    def cached(self, key: ChartKey) -> str | None:
        if key not in self._digests:
            self._digests[key] = cached_digest(self.cache, key)
        return self._digests[key]


def chart_facts(repo: Path, cache: Path | None = None) -> ChartFacts:
    """The repository's lock (a broken one raises InputError) and the cache (default: the
    user's chart cache)."""
    return ChartFacts(read_lock(repo), cache or default_cache())


def environment_pins(rendering: Rendering, env: str, facts: ChartFacts) -> list[ChartPin]:
    """Every upstream chart the environment's apps pin."""
    return [
        _pin(pin.key, pin.app, pin.origin.file, pin.origin.line, pin.origin.column, facts)
        for pin in env_pins(rendering, env)
    ]


def _pin(key: ChartKey, app: str, file: str, line: int, column: int, facts: ChartFacts) -> ChartPin:
    lock = facts.lock
    entry = lock.charts.get(key) if lock is not None else None
    others = tuple(
        f"{other.key.version} from {other.key.repo}"
        for other in (lock.by_name(key.name) if lock is not None else [])
        if other.key != key
    )
    locked = entry is not None
    return ChartPin(
        app=app,
        repo=key.repo,
        name=key.name,
        version=key.version,
        location=Location(file, line, column),
        locked_digest=entry.digest if entry else None,
        lock_location=Location(LOCK_FILE, entry.line, entry.column) if entry else None,
        locked_elsewhere=others,
        cached_digest=facts.cached(key) if locked else None,
        cached_file=(facts.cache / key.archive).as_posix() if locked else None,
    )
