"""`validate --helm` analyses all releases of an environment together, with what the sources know.

The `web-kit` chart, cached as `helm pull` leaves it, installs a CRD and a custom resource of it,
a replicated web Deployment that connects to the example's Keycloak database (a Cluster another
Application renders), and a leader Deployment its profile marks as a singleton.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support import copy_example, line_of
from tests.test_validate_helm import add_app, helm_path, package, report, rows, run, write_chart

__all__ = ["helm_path"]  # the fixture, shared with the per-chart tests

WEB_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: web-kit\nversion: 1.0.0\n",
    "values.yaml": "web:\n  replicas: 1\n  databaseHost: ''\nwidget:\n  size: 1\n",
    "crds/widgets.yaml": """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
""",
    "templates/widget.yaml": """\
apiVersion: example.com/v1
kind: Widget
metadata:
  name: {{ .Release.Name }}
spec:
  size: {{ .Values.widget.size }}
""",
    "templates/web.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: {{ .Values.web.replicas }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels: {app: web}
      containers:
        - name: web
          image: traefik/whoami:v1.10
          env:
            - name: DATABASE_HOST
              value: {{ .Values.web.databaseHost | quote }}
""",
    "templates/leader.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-leader
spec:
  replicas: 1
  selector:
    matchLabels: {app: leader}
  template:
    metadata:
      labels: {app: leader}
    spec:
      containers:
        - name: leader
          image: traefik/whoami:v1.10
""",
}
PROFILE = """\
description: web-kit chart; the web tier scales, the leader runs once.
workloads:
  web: {path: web, kind: Deployment, replicas: web.replicas, rendered: "*-web"}
  # Known by its rendered name only: it takes the chart's placement, the values hold nothing.
  leader: {kind: Deployment, singleton: true, rendered: "*-leader"}
"""
SOURCE = """\
chart:
  repo: https://charts.example.com/web-kit
  name: web-kit
  version: 1.0.0
profile: web-kit
placement:
  nodeGroup: large
"""
VALUES = """\
values:
  web:
    replicas: 1
    databaseHost: {host}
  widget:
    size: {size}
"""
KEYCLOAK_DB = "keycloak-db-rw.database.svc.cluster.local"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "repo")


def web_kit(repo: Path, path: str, host: str = KEYCLOAK_DB, size: str = "3") -> Path:
    """The chart in a cache, and an app of it enabled in prod."""
    cache = repo.parent / "cache"
    package(write_chart(repo.parent / "src", WEB_CHART), cache, path)
    (repo / "sources" / "profiles" / "web-kit.yaml").write_text(PROFILE, encoding="utf-8")
    add_app(repo, "web-kit", SOURCE, path, VALUES.format(host=host, size=size))
    return cache


def validate(repo: Path, path: str, cache: Path) -> tuple[int, list[dict[str, Any]]]:
    result = run(repo, path, "validate", "--helm", "--chart-cache", str(cache), "--format", "json")
    assert result.stderr == ""
    return result.returncode, report(result)


def test_one_defect_is_one_finding_at_the_source_line_and_singletons_stay_singletons(
    repo: Path, helm_path: str
) -> None:
    cache = web_kit(repo, helm_path)

    code, findings = validate(repo, helm_path, cache)

    line = line_of(repo, "sources/apps/web-kit.yaml", "replicas: 1")
    values = (repo / "rendered/prod/web-kit/values.yaml").read_text(encoding="utf-8")
    assert ("leader" in values, "nodeSelector" in values) == (False, True)
    assert (code, rows(findings, "web-kit")) == (
        0,
        [
            (
                "ha-replicas",
                "warning",
                "prod",
                "sources/apps/web-kit.yaml",
                line,
                5,
                "Deployment 'web' runs 1 replica(s) in production: set it to at least 2, spread"
                " over topology.kubernetes.io/zone",
            )
        ],
    )


def test_a_database_of_another_application_of_the_environment_is_known(
    repo: Path, helm_path: str
) -> None:
    cache = web_kit(repo, helm_path)

    code, findings = validate(repo, helm_path, cache)

    assert code == 0
    assert [f for f in findings if f["rule"] == "db-connection"] == []


def test_a_database_no_application_of_the_environment_runs_is_an_error(
    repo: Path, helm_path: str
) -> None:
    cache = web_kit(repo, helm_path, host="kc-db-rw.database.svc.cluster.local")

    code, findings = validate(repo, helm_path, cache)

    # Helm's Deployment holds the host the sources set: one finding, at the source line.
    assert code == 1
    assert [
        (f["file"], f["line"], f["message"]) for f in findings if f["rule"] == "db-connection"
    ] == [
        (
            "sources/apps/web-kit.yaml",
            line_of(repo, "sources/apps/web-kit.yaml", "databaseHost:"),
            "database host 'kc-db-rw.database.svc.cluster.local' at web.databaseHost names no"
            " database cluster of this environment: use 'keycloak-db-rw.database.svc.cluster.local'"
            " or 'retool-db-rw.database.svc.cluster.local'",
        ),
    ]


def test_custom_resources_are_checked_against_the_crds_the_environment_installs(
    repo: Path, helm_path: str
) -> None:
    cache = web_kit(repo, helm_path, size="big")

    code, findings = validate(repo, helm_path, cache)

    template = WEB_CHART["templates/widget.yaml"].splitlines()
    assert code == 1
    assert [
        (f["severity"], f["file"], f["line"], f["message"])
        for f in findings
        if f["rule"] == "manifest-schema" and f["app"] == "web-kit"
    ] == [
        (
            "error",
            f"{cache.as_posix()}/web-kit-1.0.0.tgz:templates/widget.yaml",
            template.index("  size: {{ .Values.widget.size }}") + 1,
            'Widget/edge/web-kit: spec.size: "big" is not of type "integer"',
        )
    ]
