"""Every ServiceAccount a pod runs as exists in its namespace.

A pod's `serviceAccountName` (other than `default`, which every namespace has) that names no
ServiceAccount of its namespace is refused by the API server: the Deployment or StatefulSet
never gets a pod. A ServiceAccount counts as provided by a ServiceAccount among the environment's
objects, or by what a chart's profile says the chart creates at run time
(`creates.serviceAccounts`). With `--manifests`, a missing ServiceAccount is reported only with
`--references` (the stream is a whole environment). Chart values are not read for this: it
needs `--helm` or `--manifests`.

Passing:

    kind: ServiceAccount
    metadata: {name: grafana, namespace: monitoring}
    ---
    kind: Deployment
    metadata: {name: grafana, namespace: monitoring}
    spec:
      template:
        spec:
          serviceAccountName: grafana

Failing (no ServiceAccount `grafana` in namespace `monitoring`):

    kind: Deployment
    metadata: {name: grafana, namespace: monitoring}
    spec:
      template:
        spec:
          serviceAccountName: grafana
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.rules.base import Hit, unresolved_references
from gitopsctl.subjects.records import Environment
from gitopsctl.subjects.references import SERVICE_ACCOUNT

ID = "serviceaccount-reference"
SEVERITY = Severity.ERROR


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    return unresolved_references(env, SERVICE_ACCOUNT)
