"""Every Ingress backend names a Service of the Ingress's namespace, and a port it has.

An Ingress whose backend (`spec.rules[].http.paths[].backend.service`, `spec.defaultBackend`)
names a Service that does not exist in its namespace, or a port the Service does not expose (a
`port.number` that is no `spec.ports[].port`, a `port.name` that is no `spec.ports[].name`),
answers 404 or 503. An ExternalName Service without ports accepts any port. With `--manifests`,
a missing Service is reported only with `--references` (the stream is a whole environment); a
missing port always. Chart values are not read for this: it needs `--helm` or `--manifests`.

Passing:

    kind: Service
    metadata: {name: keycloak, namespace: keycloak}
    spec:
      ports: [{name: http, port: 80, targetPort: 8080}]
    ---
    kind: Ingress
    metadata: {name: keycloak, namespace: keycloak}
    spec:
      rules:
        - host: keycloak.example.com
          http:
            paths:
              - path: /
                pathType: Prefix
                backend: {service: {name: keycloak, port: {name: http}}}

Failing (the Service has no port 8080):

    kind: Ingress
    metadata: {name: keycloak, namespace: keycloak}
    spec:
      defaultBackend: {service: {name: keycloak, port: {number: 8080}}}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.rules.base import Hit, unresolved_references
from gitopsctl.subjects.records import Environment
from gitopsctl.subjects.references import SERVICE

ID = "service-reference"
SEVERITY = Severity.ERROR


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    return unresolved_references(env, SERVICE)
