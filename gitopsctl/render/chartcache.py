"""The chart cache: where the archives of upstream charts are kept, and which charts the
environments pin. Light on imports: every `validate` reads it."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gitopsctl.sources.chartlock import ChartKey

if TYPE_CHECKING:
    from gitopsctl.render.rendering import Rendering
    from gitopsctl.sources.layering import Origin

CACHE_SUBDIR = Path("gitopsctl") / "charts"


class Pin(NamedTuple):
    """An upstream chart an app pins in an environment, and the source line that pins it."""

    key: ChartKey
    env: str
    app: str
    origin: Origin


def default_cache() -> Path:
    """`$XDG_CACHE_HOME/gitopsctl/charts`, else `~/.cache/gitopsctl/charts` (the XDG base
    directory rule: a relative XDG_CACHE_HOME is ignored)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / CACHE_SUBDIR


def file_digest(path: Path) -> str:
    """`sha256:<hex>` of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"


def cached_digest(cache: Path, key: ChartKey) -> str | None:
    """The digest of the chart's archive in the cache, or None when it is not there."""
    path = cache / key.archive
    try:
        return file_digest(path) if path.is_file() else None
    except OSError:
        return None


def pins(rendering: Rendering) -> list[Pin]:
    """Every upstream chart pin of every rendered environment, in environment and app order."""
    return [pin for name in sorted(rendering.environments) for pin in env_pins(rendering, name)]


def env_pins(rendering: Rendering, env_name: str) -> Iterator[Pin]:
    """Every upstream chart pin of one rendered environment, in app order."""
    for app in rendering.environments[env_name].apps.values():
        chart, origin = app.unit.chart, app.unit.chart_origin
        if chart.local or chart.repo is None or chart.version is None or origin is None:
            continue
        key = ChartKey(chart.repo, chart.name, chart.version)
        yield Pin(key, env_name, app.name, origin)
