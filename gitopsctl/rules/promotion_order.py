"""An environment runs nothing newer than the environment before it in `promotion`.

Changes flow through the environments in the order `promotion` in `sources/platform.yaml`
gives (`render.py promote` carries them). An environment that runs a newer chart version than
the one before it got that version without passing through it, and so did a `promote` value
that no earlier environment has: it reaches, say, prod untested. Chart versions are compared
by SemVer 2.0 precedence (a leading `v` allowed, build metadata ignored); a version that is not
SemVer cannot be ordered, so one that differs from the previous environment's is reported too.
For each app, the environment before is the nearest earlier one that enables it; values are
compared with every earlier one. Environments outside `promotion` are not checked. An error in
production, a warning elsewhere.

Passing (`promotion: [dev, staging, prod]`; retool's chart is 6.5.2, `promote: [image.tag]`):

    # sources/environments/dev.yaml
    apps:
      retool:
        chart: {version: 6.6.0}
        values:
          image: {tag: "3.52"}
    # sources/environments/staging.yaml
    apps:
      retool:
        chart: {version: 6.6.0}
        values:
          image: {tag: "3.52"}

Failing (staging runs a chart version and an image tag that dev never ran):

    # sources/environments/dev.yaml
    apps:
      retool:
    # sources/environments/staging.yaml
    apps:
      retool:
        chart: {version: 6.6.0}
        values:
          image: {tag: "3.52"}
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.kube.semver import newer
from gitopsctl.paths import ValuePath, format_path
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Environment, PromotedApp

ID = "promotion-order"
SEVERITY = Severity.WARNING
PRODUCTION_SEVERITY = Severity.ERROR


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    for name, app in env.promoted.items():
        earlier = [(stage.env, stage.apps[name]) for stage in env.earlier if name in stage.apps]
        if earlier:
            yield from _chart_version(env, app, *earlier[-1])
            yield from _values(env, app, earlier)


def _chart_version(
    env: Environment, app: PromotedApp, before: str, there: PromotedApp
) -> Iterator[Hit]:
    mine, theirs = app.chart_version, there.chart_version
    if mine is None or theirs is None or mine.value == theirs.value:
        return
    verdict = newer(mine.value, theirs.value)
    if verdict is False:
        return
    order = f"{before}'s {theirs.value} ({before} comes before {env.name} in promotion)"
    if verdict is None:
        problem = f"cannot be ordered against {order}: use SemVer versions, and promote through"
    else:
        problem = f"is newer than {order}: promote it through"
    yield Hit(mine.location, f"chart version {mine.value} {problem} {before} first", app.app)


def _values(
    env: Environment, app: PromotedApp, earlier: Sequence[tuple[str, PromotedApp]]
) -> Iterator[Hit]:
    names = ", ".join(name for name, _ in earlier)
    for path, carried in app.values.items():
        if not any(_has(there, path, carried.value) for _, there in earlier):
            message = (
                f"promoted value {format_path(path)}={json.dumps(carried.value)} is in no "
                f"environment before {env.name} in promotion ({names}): promote it through "
                f"{earlier[-1][0]} first"
            )
            yield Hit(carried.location, message, app.app)


def _has(app: PromotedApp, path: ValuePath, value: Any) -> bool:
    found = app.values.get(path)
    return found is not None and _same(found.value, value)


def _same(a: Any, b: Any) -> bool:
    # Strictly, as `diff` compares: 1, 1.0 and true are different values in a Helm values file.
    return type(a) is type(b) and a == b
