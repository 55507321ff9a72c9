"""configmap-reference: every ConfigMap a pod needs is provided in its namespace, with its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopsctl.rules import configmap_reference
from tests.support import (
    Case,
    Row,
    edit,
    example_rows,
    line_in,
    line_of,
    manifest_findings,
    rerender,
)

RULE = "configmap-reference"
MONITORING = "sources/apps/monitoring.yaml"

CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: apps}
data: {DOMAIN: example.com}
"""


def deployment(namespace: str, container: str) -> str:
    return (
        "---\napiVersion: apps/v1\nkind: Deployment\n"
        f"metadata: {{name: app, namespace: {namespace}}}\n"
        "spec:\n  selector: {matchLabels: {app: app}}\n  template:\n"
        "    metadata: {labels: {app: app}}\n    spec:\n"
        "      containers:\n        - name: app\n          image: app:1\n" + container
    )


def key_ref(name: str, key: str) -> str:
    return (
        "          env:\n            - name: DOMAIN\n"
        f"              valueFrom: {{configMapKeyRef: {{name: {name}, key: {key}}}}}\n"
    )


ENV_FROM = "          envFrom: [{configMapRef: {name: settings}}]\n"
VOLUME = (
    "          volumeMounts: [{name: settings, mountPath: /etc/app}]\n"
    "      volumes:\n        - name: settings\n"
    "          configMap: {name: settings, items: [{key: app.ini, path: app.ini}]}\n"
)
OPTIONAL = "          envFrom: [{configMapRef: {name: settings, optional: true}}]\n"
ALL = ("--references",)


def missing(namespace: str) -> str:
    return (
        f"Deployment/{namespace}/app: ConfigMap settings is not provided in namespace "
        f"{namespace} (provided in namespace apps by ConfigMap settings, not in {namespace})"
    )


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        pytest.param(
            CONFIG_MAP + deployment("apps", key_ref("settings", "DOMAIN")), ALL, [], id="key-PASSED"
        ),
        pytest.param(CONFIG_MAP + deployment("apps", ENV_FROM), ALL, [], id="env-from-PASSED"),
        pytest.param(deployment("apps", OPTIONAL), ALL, [], id="optional-PASSED"),
        pytest.param(deployment("apps", ENV_FROM), (), [], id="partial-stream-PASSED"),
        pytest.param(
            CONFIG_MAP + deployment("apps", key_ref("settings", "HOST")),
            (),
            [
                (
                    "configMapKeyRef",
                    "Deployment/apps/app: ConfigMap settings in namespace apps has no key HOST "
                    "(ConfigMap settings provides DOMAIN)",
                )
            ],
            id="wrong-key-FAILED",
        ),
        pytest.param(
            CONFIG_MAP + deployment("other", ENV_FROM),
            ALL,
            [("configMapRef", missing("other"))],
            id="other-namespace-FAILED",
        ),
        pytest.param(
            CONFIG_MAP + deployment("apps", VOLUME),
            ALL,
            [
                (
                    "configMap: {name: settings",
                    "Deployment/apps/app: ConfigMap settings in namespace apps has no key "
                    "app.ini (ConfigMap settings provides DOMAIN)",
                )
            ],
            id="projected-key-FAILED",
        ),
    ],
)
def test_manifests(
    tmp_path: Path, text: str, options: tuple[str, ...], expected: list[tuple[str, str]]
) -> None:
    wanted = [(line_in(text, needle), message) for needle, message in expected]
    assert manifest_findings(tmp_path, RULE, text, *options) == wanted


# --- the example's sources: values that name a ConfigMap, as a profile lists them -----------------


def grafana_reads_a_config_map(repo: Path) -> None:
    edit(
        repo,
        MONITORING,
        "    envValueFrom:\n",
        "    envValueFrom:\n      GF_SERVER_DOMAIN:\n        configMapKeyRef:\n"
        "          name: grafana-settings\n          key: domain\n",
    )
    rerender(repo)


def config_map_reported(repo: Path) -> list[Row]:
    line = line_of(repo, MONITORING, "name: grafana-settings")
    message = (
        "app monitoring (grafana.envValueFrom.GF_SERVER_DOMAIN.configMapKeyRef.name): ConfigMap "
        "grafana-settings is not provided in namespace monitoring: nothing in the environment "
        "provides a ConfigMap of that name"
    )
    return [
        (RULE, "error", MONITORING, line, message, env, "monitoring")
        for env in ("dev", "prod", "staging")
    ]


def unchanged_values(repo: Path) -> None:
    """The example's values name no ConfigMap."""


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(Case(unchanged_values, lambda repo: []), id="no-config-map-named-PASSED"),
        pytest.param(
            Case(grafana_reads_a_config_map, config_map_reported), id="values-name-FAILED"
        ),
    ],
)
def test_example_repository(tmp_path: Path, case: Case) -> None:
    found, expected = example_rows(configmap_reference, tmp_path, case)
    assert found == expected
