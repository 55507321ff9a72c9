"""A release Helm cannot render: `helm template` failed for one Application of an environment.

`validate --helm` renders every release of an environment with the real Helm. When Helm refuses
one (a `required` value missing, a template error, a values file the chart's schema rejects),
that release is one error with Helm's own message, at the app's `chart:` line; every other
release of the environment is still rendered and checked. Argo CD would fail to sync it the same
way.

Passing:

    # sources/apps/retool.yaml
    values:
      image:
        tag: 3.196.0

Failing (the chart `required`s `image.tag`):

    python render.py validate --helm
    # error helm-template: helm cannot render chart retool 6.6.0 for prod/retool:
    #   Error: execution error at (retool/templates/deployment_backend.yaml:...):
    #   image.tag is required
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitopsctl.findings import Finding, Severity

if TYPE_CHECKING:
    from gitopsctl.render.helm import HelmError, Release

ID = "helm-template"
SEVERITY = Severity.ERROR


def finding(release: Release, error: HelmError) -> Finding:
    """The error for one release Helm could not render, at its app's `chart:`."""
    from gitopsctl.sources.model import origin_of

    chart = release.app.unit.chart
    where = origin_of(release.app.unit.app.source, ("chart",), "")
    named = chart.path or f"{chart.name} {chart.version}"
    said = error.stderr or str(error)
    message = f"helm cannot render chart {named} for {release.env}/{release.app.name}: {said}"
    return Finding(
        ID, SEVERITY, release.env, release.app.name, where.file, where.line, where.column, message
    )
