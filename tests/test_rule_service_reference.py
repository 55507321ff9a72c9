"""service-reference: Ingress backends name a Service of their namespace, and a port it has."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import line_in, manifest_findings

RULE = "service-reference"

SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: keycloak, namespace: keycloak}
spec:
  selector: {app: keycloak}
  ports: [{name: http, port: 80, targetPort: 8080}]
"""
EXTERNAL = """\
apiVersion: v1
kind: Service
metadata: {name: keycloak, namespace: keycloak}
spec:
  type: ExternalName
  externalName: keycloak.example.net
"""


def ingress(namespace: str, port: str) -> str:
    return (
        "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\n"
        f"metadata: {{name: keycloak, namespace: {namespace}}}\n"
        "spec:\n  ingressClassName: traefik\n  rules:\n    - host: keycloak.example.com\n"
        "      http:\n        paths:\n          - path: /\n            pathType: Prefix\n"
        f"            backend: {{service: {{name: keycloak, port: {port}}}}}\n"
    )


DEFAULT_BACKEND = """\
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: fallback, namespace: keycloak}
spec:
  defaultBackend: {service: {name: keycloak-fallback, port: {number: 80}}}
"""
ALL = ("--references",)
NO_PORT = (
    "Ingress/keycloak/keycloak: Service keycloak in namespace keycloak has no port {port} "
    "(Service keycloak provides 80, http)"
)


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        pytest.param(SERVICE + ingress("keycloak", "{number: 80}"), ALL, [], id="number-PASSED"),
        pytest.param(SERVICE + ingress("keycloak", "{name: http}"), ALL, [], id="name-PASSED"),
        pytest.param(
            EXTERNAL + ingress("keycloak", "{number: 443}"), ALL, [], id="external-name-PASSED"
        ),
        pytest.param(ingress("keycloak", "{number: 80}"), (), [], id="partial-stream-PASSED"),
        pytest.param(
            SERVICE + ingress("keycloak", "{number: 8080}"),
            (),
            [("backend:", NO_PORT.format(port=8080))],
            id="missing-port-number-FAILED",
        ),
        pytest.param(
            SERVICE + ingress("keycloak", "{name: https}"),
            ALL,
            [("backend:", NO_PORT.format(port="https"))],
            id="missing-port-name-FAILED",
        ),
        pytest.param(
            SERVICE + ingress("sso", "{number: 80}"),
            ALL,
            [
                (
                    "backend:",
                    "Ingress/sso/keycloak: Service keycloak is not provided in namespace sso "
                    "(provided in namespace keycloak by Service keycloak, not in sso)",
                )
            ],
            id="other-namespace-FAILED",
        ),
        pytest.param(
            SERVICE + DEFAULT_BACKEND,
            ALL,
            [
                (
                    "defaultBackend",
                    "Ingress/keycloak/fallback: Service keycloak-fallback is not provided in "
                    "namespace keycloak: nothing in the environment provides a Service of that "
                    "name",
                )
            ],
            id="default-backend-FAILED",
        ),
    ],
)
def test_manifests(
    tmp_path: Path, text: str, options: tuple[str, ...], expected: list[tuple[str, str]]
) -> None:
    wanted = [(line_in(text, needle), message) for needle, message in expected]
    assert manifest_findings(tmp_path, RULE, text, *options) == wanted
