"""An upstream chart that `validate --helm` could not render, so its templates went unchecked.

`validate --helm` renders every local chart, and every upstream chart found in the chart cache
(`--chart-cache DIR`, holding `<chart>-<version>.tgz` as `helm pull` leaves them), with the real
Helm, and runs the policies on what Helm produces. A chart not in the cache is reported, never
passed silently, with the `helm pull` command that fetches it.

Passing (the chart is in the cache):

    python render.py validate --helm --chart-cache charts-cache/
    # charts-cache/retool-6.5.2.tgz exists

Failing (no cache, or the chart is not in it):

    python render.py validate --helm
    # warning helm-skipped: chart retool 6.5.2 (https://charts.retool.com) not checked with helm
"""

from __future__ import annotations

from gitopsctl.findings import Severity

ID = "helm-skipped"
SEVERITY = Severity.WARNING
