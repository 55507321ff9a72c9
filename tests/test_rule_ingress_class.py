"""ingress-class: the platform's class, provided by an enabled app of the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopsctl.rules import ingress_class
from tests.support import copy_example, edit, line_of, rerender, rule_findings

APP = "sources/apps/retool.yaml"
GRAFANA_VALUES = "rendered/prod/monitoring/values.yaml"
NO_TRAEFIK = "  traefik-ingress:\n    values:\n      deployment:\n        replicas: 3\n"


def wrong_class_in_source(repo: Path) -> list[tuple[str, str, str, int, str]]:
    edit(
        repo,
        APP,
        "  replicaCount: 1\n",
        "  replicaCount: 1\n  ingress:\n    ingressClassName: nginx\n",
    )
    rerender(repo)
    line = line_of(repo, APP, "ingressClassName: nginx")
    message = "ingress 'main' uses class 'nginx', not the platform's 'traefik-ingress'"
    return [(env, "retool", APP, line, message) for env in ("prod", "staging", "dev")]


def wrong_class_in_committed_output(repo: Path) -> list[tuple[str, str, str, int, str]]:
    edit(repo, GRAFANA_VALUES, "ingressClassName: traefik-ingress", "ingressClassName: nginx")
    line = line_of(repo, GRAFANA_VALUES, "ingressClassName: nginx")
    message = "ingress 'grafana' uses class 'nginx', not the platform's 'traefik-ingress'"
    return [("prod", "monitoring", GRAFANA_VALUES, line, message)]


def class_not_provided(repo: Path) -> list[tuple[str, str, str, int, str]]:
    edit(repo, "sources/environments/prod.yaml", NO_TRAEFIK, "")
    rerender(repo)
    message = (
        "ingress '{}' uses class 'traefik-ingress', which no enabled app of this environment "
        "provides"
    )
    ingresses = [
        ("argocd", "server", "argocd"),
        ("keycloak", "main", "keycloak"),
        ("retool", "main", "retool"),
        ("monitoring", "grafana", "grafana"),
    ]
    found = []
    for app, ingress, host in ingresses:
        source = f"sources/apps/{app}.yaml"
        line = line_of(repo, source, f"host: {host}.")
        found.append(("prod", app, source, line, message.format(ingress)))
    return sorted(found, key=lambda f: (f[2], f[3]))


def class_a_number(repo: Path) -> list[tuple[str, str, str, int, str]]:
    edit(
        repo,
        APP,
        "  replicaCount: 1\n",
        "  replicaCount: 1\n  ingress:\n    ingressClassName: 42\n",
    )
    rerender(repo)
    line = line_of(repo, APP, "ingressClassName: 42")
    message = "ingress 'main': ingress.ingressClassName is the number 42, not a string"
    return [(env, "retool", APP, line, message) for env in ("prod", "staging", "dev")]


def enabled_a_string(repo: Path) -> list[tuple[str, str, str, int, str]]:
    """Helm's `if` takes the string "false" as true: the Ingress is rendered, and checked."""
    edit(repo, APP, "  replicaCount: 1\n", "  replicaCount: 1\n  ingress:\n    enabled: 'false'\n")
    rerender(repo)
    line = line_of(repo, APP, "enabled: 'false'")
    message = (
        "ingress 'main': ingress.enabled is the string 'false', not true or false "
        "(Helm's `if` reads it by truthiness)"
    )
    return [(env, "retool", APP, line, message) for env in ("prod", "staging", "dev")]


def example_unchanged(repo: Path) -> list[tuple[str, str, str, int, str]]:
    return []


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(example_unchanged, id="example-PASSED"),
        pytest.param(wrong_class_in_source, id="class-override-in-source-FAILED"),
        pytest.param(wrong_class_in_committed_output, id="class-hand-edited-FAILED"),
        pytest.param(class_not_provided, id="traefik-not-enabled-FAILED"),
        pytest.param(class_a_number, id="class-a-number-FAILED"),
        pytest.param(enabled_a_string, id="enabled-a-string-FAILED"),
    ],
)
def test_ingress_class(tmp_path: Path, mutate: object) -> None:
    repo = copy_example(tmp_path)
    expected = mutate(repo)  # type: ignore[operator]
    found = [(f.env, f.app, f.file, f.line, f.message) for f in rule_findings(ingress_class, repo)]
    assert sorted(found) == sorted(expected)
