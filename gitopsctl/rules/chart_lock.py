"""Every upstream chart pin is in `sources/charts.lock`, and a cached archive is the locked one.

The lock (written by `python render.py charts lock`) holds each chart's repository, name,
version and the sha256 digest of its archive; Argo CD and `validate --helm` then render the
same bytes that were reviewed. A pin whose repository and version the lock does not hold is an
error at the source line that sets the version (run `charts lock` again). An archive in the
chart cache whose digest differs from the lock is an error at the lock's entry (`charts pull`
fetches the locked archive again); an archive not in the cache is not checked, so `validate`
needs no network. Without any lock file, every pin is a warning: nothing is locked yet.

Passing (sources/charts.lock locks the pinned version):

    # sources/apps/retool.yaml
    chart: {repo: https://charts.retool.com, name: retool, version: 6.5.2}
    # sources/charts.lock
    charts:
      - repo: https://charts.retool.com
        name: retool
        version: 6.5.2
        digest: sha256:8f3c...

Failing (prod pins 6.6.0, which the lock does not hold):

    # sources/environments/prod.yaml
    apps:
      retool:
        chart: {version: 6.6.0}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import ChartPin, Environment

ID = "chart-lock"
SEVERITY = Severity.ERROR
LOCK = "python render.py charts lock"
PULL = "python render.py charts pull"


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    for pin in env.charts:
        if env.chart_lock is None:
            message = f"{_chart(pin)} is not locked: there is no chart lock; run `{LOCK}`"
            yield Hit(pin.location, message, pin.app, Severity.WARNING)
        elif pin.locked_digest is None:
            yield Hit(pin.location, _not_locked(pin, env.chart_lock), pin.app)
        elif pin.cached_digest is not None and pin.cached_digest != pin.locked_digest:
            yield Hit(pin.lock_location or pin.location, _tampered(pin), pin.app)


def _chart(pin: ChartPin) -> str:
    return f"chart {pin.name} {pin.version} ({pin.repo})"


def _not_locked(pin: ChartPin, lock: str) -> str:
    elsewhere = f" (it locks {pin.name} {', '.join(pin.locked_elsewhere)})"
    return (
        f"{_chart(pin)} is not in {lock}{elsewhere if pin.locked_elsewhere else ''}: run `{LOCK}`"
    )


def _tampered(pin: ChartPin) -> str:
    return (
        f"the cached archive {pin.cached_file} of {_chart(pin)} has digest {pin.cached_digest}, "
        f"the lock has {pin.locked_digest}: run `{PULL}` to fetch the locked archive again"
    )
