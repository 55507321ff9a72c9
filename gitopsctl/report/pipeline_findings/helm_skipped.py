"""An upstream chart that `validate --helm` could not render, so its templates went unchecked.

`validate --helm` renders every local chart, and every upstream chart found in the chart cache
(the one `python render.py charts pull` fills, or `--chart-cache DIR`; `<chart>-<version>.tgz`
as `helm pull` leaves them), with the real Helm, and runs the policies on what Helm produces. A
chart not in the cache is reported, never passed silently, with the `helm pull` command that
fetches it.

Passing (the chart is in the cache):

    python render.py validate --helm --chart-cache charts-cache/
    # charts-cache/retool-6.5.2.tgz exists

Failing (the chart is not in the cache):

    python render.py validate --helm
    # warning helm-skipped: chart retool 6.5.2 (https://charts.retool.com) not checked with helm
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitopsctl.findings import Finding, Severity

if TYPE_CHECKING:
    from gitopsctl.render.helm import Skipped

ID = "helm-skipped"
SEVERITY = Severity.WARNING


def finding(skipped: Skipped) -> Finding:
    """The warning for one Application whose chart was not rendered, at its app's `chart:`."""
    from gitopsctl.sources.model import origin_of

    chart = skipped.app.unit.chart
    where = origin_of(skipped.app.unit.app.source, ("chart",), "")
    named = chart.path or f"{chart.name} {chart.version} ({chart.repo})"
    message = f"chart {named} not checked with helm: {skipped.reason}"
    return Finding(
        ID, SEVERITY, skipped.env, skipped.app.name, where.file, where.line, where.column, message
    )
