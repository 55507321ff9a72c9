"""An app's effective values with the origin of every leaf, like `git config --show-origin`."""

from __future__ import annotations

import json
from collections.abc import Iterator

from gitopsctl.errors import InputError
from gitopsctl.paths import format_path, leaves
from gitopsctl.render.rendering import RenderedApp, Rendering


def explain(rendering: Rendering, env: str, app: str) -> str:
    rendered = rendering.environments[env].apps.get(app)
    if rendered is None:
        known = ", ".join(sorted(rendering.environments[env].apps))
        raise InputError(f"app {app!r} is not enabled in environment {env!r} (enabled: {known})")
    return "\n".join([*_summary(rendered), *_value_lines(rendered)]) + "\n"


def _summary(rendered: RenderedApp) -> Iterator[str]:
    unit = rendered.unit
    chart = unit.chart.path or f"{unit.chart.repo} {unit.chart.name} {unit.chart.version}"
    yield f"# {rendered.env}/{rendered.name}: {unit.kind} {chart}"
    if unit.chart_origin is not None:
        origin = unit.chart_origin
        yield f"# chart version {unit.chart.version} from {origin.where()} ({origin.layer})"
    yield f"# namespace {unit.namespace}, sync wave {rendered.wave}"
    yield f"# application {rendered.application_file}, values {rendered.values_file}"


def _value_lines(rendered: RenderedApp) -> Iterator[str]:
    rows = []
    for path, value in leaves(rendered.values.data):
        origin = rendered.values.origin(path)
        where = f"{origin.where()}" if origin else "(unknown)"
        layer = f"({origin.layer})" if origin else ""
        rows.append((where, format_path(path), json.dumps(value), layer))
    width = max((len(row[0]) for row in rows), default=0)
    for where, dotted, value, layer in rows:
        yield f"{where.ljust(width)}  {dotted}={value}  {layer}".rstrip()
