"""What the environments of the promotion order run: per app, the chart version and the values
at its `promote` paths, each located at the source line that sets it (provenance).

An environment earlier in the order that was not rendered (`validate --env prod`) is rendered
here, so its successors are judged the same either way; one whose sources do not render is left
out (its own validation says why).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from gitopsctl.errors import InputError
from gitopsctl.paths import lookup
from gitopsctl.subjects.records import Carried, Environment, Location, PromotedApp, Stage

if TYPE_CHECKING:
    from gitopsctl.render.rendering import RenderedApp, RenderedEnvironment, Rendering
    from gitopsctl.sources.layering import Origin


def promotion_stages(rendering: Rendering) -> dict[str, Stage]:
    """Each environment of the promotion order that renders, by name, in the order."""
    stages = {}
    for name in rendering.model.platform.promotion:
        rendered = rendering.environments.get(name) or _render_alone(rendering, name)
        if rendered is not None:
            stages[name] = Stage(name, _promoted_apps(rendered))
    return stages


def _render_alone(rendering: Rendering, name: str) -> RenderedEnvironment | None:
    from gitopsctl.render.rendering import render

    try:
        return render(rendering.model, [name]).environments[name]
    except InputError:
        return None


def _promoted_apps(rendered: RenderedEnvironment) -> dict[str, PromotedApp]:
    return {app.name: _promoted(app) for app in rendered.apps.values() if app.unit.kind == "app"}


def _promoted(app: RenderedApp) -> PromotedApp:
    fallback = Location(app.unit.app.source.name, 1, 1)
    version = app.unit.chart.version
    chart = None
    if version is not None:
        chart = Carried(version, _location(app.unit.chart_origin, fallback))
    values = {}
    for path in app.unit.app.promote:
        found, value = lookup(app.values.data, path)
        if found:
            values[path] = Carried(value, _location(app.values.origin(path), fallback))
    return PromotedApp(app.name, chart, values)


def _location(origin: Origin | None, fallback: Location) -> Location:
    return fallback if origin is None else Location(origin.file, origin.line, origin.column)


def with_promotion(env: Environment, stages: Mapping[str, Stage]) -> Environment:
    """The environment with what it runs and what the environments before it run."""
    name = env.name
    if name is None or name not in stages:
        return env
    order = list(stages)
    earlier = tuple(stages[before] for before in order[: order.index(name)])
    return replace(env, promoted=stages[name].apps, earlier=earlier)
