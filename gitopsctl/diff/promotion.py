"""Promotion: what one environment runs, carried to another as an edit of that environment's
source file, and what the edit changes there.

Per app, the target environment gets the source environment's effective chart version and the
values at the app's `promote` paths, as they render there, written as overrides in
`sources/environments/<target>.yaml`. A value the target already has is left alone, so a second
promotion changes nothing. Nothing here writes: the edited text is rendered in memory.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from gitopsctl.diff.changes import AppDiff, compare_apps
from gitopsctl.errors import InputError, Problem
from gitopsctl.findings import Finding, Severity
from gitopsctl.paths import ValuePath, lookup
from gitopsctl.pipeline import validate_repository
from gitopsctl.render import terraform_cache
from gitopsctl.render.rendering import RenderedApp, RenderedEnvironment, Rendering, render
from gitopsctl.sources.editing import Entry, set_values
from gitopsctl.sources.files import SourceFiles, parse_source, read_sources
from gitopsctl.sources.model import Model, Platform, build_model


class Request(NamedTuple):
    """What `promote` was asked: the target, the source (None: the one before the target in
    `promotion`) and the apps (none: every app enabled in both)."""

    target: str
    source: str | None = None
    apps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """A request resolved against the sources: the environments and apps, all known."""

    files: SourceFiles
    model: Model
    source: str
    target: str
    apps: tuple[str, ...]

    @property
    def file(self) -> str:
        return self.model.environments[self.target].source.name


@dataclass(frozen=True)
class Promotion:
    """The target's source file before and after, and what changes for each app."""

    route: Route
    text: str
    edited: str
    apps: tuple[AppDiff, ...]

    @property
    def changed(self) -> bool:
        return self.edited != self.text


def resolve(repo: Path, request: Request) -> Route:
    """The request checked against the sources; unusable sources or names raise InputError."""
    files = read_sources(repo, terraform_cache.node_groups)
    model = build_model(files)
    source, target = _environments(model, request)
    return Route(files, model, source, target, _apps(model, source, target, request.apps))


def _environments(model: Model, request: Request) -> tuple[str, str]:
    named = [name for name in (request.target, request.source) if name is not None]
    unknown = [name for name in named if name not in model.environments]
    if unknown:
        known = ", ".join(sorted(model.environments))
        raise InputError(f"unknown environment {', '.join(unknown)} (known: {known})")
    source = request.source or _previous(model.platform, request.target)
    if source == request.target:
        raise InputError(f"--from and --to are both {source}: nothing to promote")
    return source, request.target


def _previous(platform: Platform, target: str) -> str:
    order = ", ".join(platform.promotion)
    if not platform.promotion:
        raise InputError(
            "no promotion order: add `promotion: [ENV, ...]` to sources/platform.yaml, "
            "or pass --from ENV"
        )
    if target not in platform.promotion:
        raise InputError(f"{target} is not in the promotion order ({order}): pass --from ENV")
    index = platform.promotion.index(target)
    if index == 0:
        raise InputError(
            f"{target} is first in the promotion order ({order}): no environment comes before "
            "it; pass --from ENV"
        )
    return platform.promotion[index - 1]


def _apps(model: Model, source: str, target: str, names: Sequence[str]) -> tuple[str, ...]:
    enabled = {env: model.environments[env].apps for env in (source, target)}
    if not names:
        return tuple(sorted(set(enabled[source]) & set(enabled[target])))
    problems = [problem for name in names for problem in _app_problems(model, enabled, name)]
    if problems:
        raise InputError(problems)
    return tuple(dict.fromkeys(names))


def _app_problems(
    model: Model, enabled: dict[str, tuple[str, ...]], name: str
) -> Iterator[Problem]:
    if name not in model.apps:
        yield Problem(f"unknown app {name!r} (known: {', '.join(sorted(model.apps))})")
        return
    for env, apps in enabled.items():
        if name not in apps:
            yield Problem(f"app {name!r} is not enabled in environment {env}")


def blocking_findings(repo: Path, env: str, today: date) -> list[Finding]:
    """The source environment's error-level findings that no exception covers."""
    found = validate_repository(repo, [env], today)
    return [f for f in found if f.severity is Severity.ERROR and not f.excepted]


def promote(repo: Path, route: Route) -> Promotion:
    """The target's source file with the promotion applied, and its rendering compared."""
    rendering = render(route.model, [route.source, route.target])
    entries = list(_entries(rendering, route))
    text = _read_exactly(repo, route.file)
    edited = set_values(text, route.file, entries) if entries else text
    after = _render_edited(route, edited)
    before = rendering.environments[route.target]
    apps = tuple(app for app in compare_apps(before, after) if app.name in route.apps)
    return Promotion(route, text, edited, apps)


def _read_exactly(repo: Path, name: str) -> str:
    """A file's text with its line endings as they are."""
    try:
        return (repo / name).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(Problem(f"cannot read file: {error}", name)) from None


def _entries(rendering: Rendering, route: Route) -> Iterator[Entry]:
    source = rendering.environments[route.source].apps
    target = rendering.environments[route.target].apps
    for app in route.apps:
        yield from _app_entries(source[app], target[app])


def _app_entries(source: RenderedApp, target: RenderedApp) -> Iterator[Entry]:
    base: ValuePath = ("apps", source.name)
    version = source.unit.chart.version
    if version is not None and version != target.unit.chart.version:
        yield (*base, "chart", "version"), version
    for path in source.unit.app.promote:
        found, value = lookup(source.values.data, path)
        if not found:
            continue  # nothing to carry: the source environment does not set it
        there, current = lookup(target.values.data, path)
        for rest, new in _differences(value, there, current):
            yield (*base, "values", *path, *rest), _literal(new)


def _differences(value: Any, found: bool, current: Any) -> Iterator[tuple[ValuePath, Any]]:
    """What to set so that ``current`` becomes ``value``: mappings leaf by leaf (null removes
    a key the value lacks), anything else whole."""
    if found and isinstance(value, dict) and isinstance(current, dict):
        for key, item in value.items():
            for rest, new in _differences(item, key in current, current.get(key)):
                yield (key, *rest), new
        for key in current:
            if key not in value:
                yield (key,), None
    elif not (found and _same(value, current)):
        yield (), value


def _same(a: Any, b: Any) -> bool:
    # Strictly, as `diff` compares: 1, 1.0 and true are different values in a Helm values file.
    return type(a) is type(b) and a == b


def _literal(value: Any) -> Any:
    """A rendered value as a source writes it: a literal `${` is `$${` there."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, dict):
        return {key: _literal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_literal(item) for item in value]
    return value


def _render_edited(route: Route, text: str) -> RenderedEnvironment:
    edited = parse_source(text, route.file, "environment")
    files = replace(route.files, environments={**route.files.environments, route.target: edited})
    return render(build_model(files), [route.target]).environments[route.target]


def write_source(repo: Path, name: str, text: str) -> None:
    """Replace a source file atomically: readers see the old text or the new, never a part."""
    target = repo / name
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.chmod(temporary, target.stat().st_mode & 0o7777)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(Problem(f"cannot write: {error}", name)) from None
