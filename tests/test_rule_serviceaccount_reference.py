"""serviceaccount-reference: a pod's ServiceAccount exists in its namespace."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import line_in, manifest_findings

RULE = "serviceaccount-reference"

ACCOUNT = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: grafana, namespace: monitoring}
"""


def deployment(namespace: str, account: str, key: str = "serviceAccountName") -> str:
    return (
        "---\napiVersion: apps/v1\nkind: Deployment\n"
        f"metadata: {{name: grafana, namespace: {namespace}}}\n"
        "spec:\n  selector: {matchLabels: {app: grafana}}\n  template:\n"
        "    metadata: {labels: {app: grafana}}\n    spec:\n"
        f"      {key}: {account}\n"
        "      containers: [{name: grafana, image: grafana/grafana:12.1.0}]\n"
    )


ALL = ("--references",)


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        pytest.param(ACCOUNT + deployment("monitoring", "grafana"), ALL, [], id="exists-PASSED"),
        pytest.param(deployment("monitoring", "default"), ALL, [], id="default-PASSED"),
        pytest.param(deployment("monitoring", "grafana"), (), [], id="partial-stream-PASSED"),
        pytest.param(
            deployment("monitoring", "grafana"),
            ALL,
            [
                (
                    "serviceAccountName",
                    "Deployment/monitoring/grafana: ServiceAccount grafana is not provided in "
                    "namespace monitoring: nothing in the environment provides a ServiceAccount "
                    "of that name",
                )
            ],
            id="missing-FAILED",
        ),
        pytest.param(
            ACCOUNT + deployment("observability", "grafana", "serviceAccount"),
            ALL,
            [
                (
                    "serviceAccount:",
                    "Deployment/observability/grafana: ServiceAccount grafana is not provided in "
                    "namespace observability (provided in namespace monitoring by ServiceAccount "
                    "grafana, not in observability)",
                )
            ],
            id="deprecated-field-other-namespace-FAILED",
        ),
    ],
)
def test_manifests(
    tmp_path: Path, text: str, options: tuple[str, ...], expected: list[tuple[str, str]]
) -> None:
    wanted = [(line_in(text, needle), message) for needle, message in expected]
    assert manifest_findings(tmp_path, RULE, text, *options) == wanted
