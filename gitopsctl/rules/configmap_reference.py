"""Every ConfigMap a pod needs is provided in its namespace, with the key it reads.

A non-optional `configMapKeyRef`, `envFrom.configMapRef`, configMap volume or projected
configMap source naming a ConfigMap nothing creates in the pod's namespace keeps the pod from
starting. A ConfigMap counts as provided by a ConfigMap among the environment's objects, by what
a chart's profile says the chart creates at run time (`creates.configMaps`); where its keys are
known (`data` and `binaryData`), the key read must be one of them. Without `--helm`, the
references are the values a chart profile lists under `configMapRefs`. With `--manifests`, a
missing ConfigMap is reported only with `--references`; a wrong key always.

Passing:

    kind: ConfigMap
    metadata: {name: retool-settings, namespace: retool}
    data: {BASE_DOMAIN: retool.example.com}
    ---
    kind: Deployment
    metadata: {name: retool, namespace: retool}
    spec:
      template:
        spec:
          containers:
            - envFrom: [{configMapRef: {name: retool-settings}}]

Failing (the ConfigMap has no key `DOMAIN`):

    kind: Deployment
    metadata: {name: retool, namespace: retool}
    spec:
      template:
        spec:
          containers:
            - env:
                - name: DOMAIN
                  valueFrom:
                    configMapKeyRef: {name: retool-settings, key: DOMAIN}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.rules.base import Hit, unresolved_references
from gitopsctl.subjects.records import Environment
from gitopsctl.subjects.references import CONFIG_MAP

ID = "configmap-reference"
SEVERITY = Severity.ERROR


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    return unresolved_references(env, CONFIG_MAP)
