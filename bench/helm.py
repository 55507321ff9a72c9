"""The `validate --helm` case of the benchmark: the example with its upstream charts from a
chart cache, against the bare `helm template` runs it needs, one after another.

Both sides render the same releases (the example's Applications whose chart is local or in the
cache) with the same values, release names, namespaces and Kubernetes version; `validate --helm`
also checks the sources, reads every object and runs the rules.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import NamedTuple


class HelmResult(NamedTuple):
    releases: int
    validate_wall: float
    validate_cpu: float
    validate_peak_mb: float
    bare_wall: float  # the bare `helm template` runs, one after another


def bare_helm_seconds(project: Path, cache: Path) -> tuple[int, float]:
    """How many releases `validate --helm` renders for the example, and how long the bare
    `helm template` runs of them take one after another."""
    from gitopsctl.pipeline import load_and_render
    from gitopsctl.render.helm import find_helm, plan_releases, template

    rendering = load_and_render(project)
    releases, _ = plan_releases(project, rendering, cache)
    helm = find_helm(project)
    version = rendering.model.platform.kubernetes_version
    started = time.perf_counter()
    for release in releases:  # the same `helm template` command `validate --helm` runs
        template(
            helm,
            release.chart,
            release.name,
            release.namespace,
            [release.values],
            version,
            include_crds=True,
        )
    return len(releases), time.perf_counter() - started
