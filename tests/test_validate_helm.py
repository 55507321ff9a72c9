"""`validate --helm`: the example's charts and charts built here, rendered by the real Helm.

The `edge-kit` chart hard-codes four violations in its templates and chart defaults; its app's
values are clean, so only the Helm-rendered check can find them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from gitopsctl.render.helm import find_helm, template_position
from gitopsctl.subjects.helm import Document, documents
from tests.support import PROJECT, copy_example, line_of

ENVS = ("dev", "prod", "staging")
# The example's upstream charts: (app, chart, version, repository).
UPSTREAM = (
    ("argocd", "argo-cd", "8.1.3", "https://argoproj.github.io/argo-helm"),
    ("cert-manager", "cert-manager", "v1.18.2", "https://charts.jetstack.io"),
    ("cloudnative-pg", "cloudnative-pg", "0.26.0", "https://cloudnative-pg.github.io/charts"),
    ("external-secrets", "external-secrets", "2.9.0", "https://charts.external-secrets.io"),
    ("keycloak", "keycloakx", "7.1.11", "https://codecentric.github.io/helm-charts"),
    (
        "monitoring",
        "kube-prometheus-stack",
        "77.5.0",
        "https://prometheus-community.github.io/helm-charts",
    ),
    ("retool", "retool", "6.6.0", "https://charts.retool.com"),
    ("traefik-ingress", "traefik", "37.1.1", "https://traefik.github.io/charts"),
)

EDGE_CHART = {
    "Chart.yaml": """\
apiVersion: v2
name: edge-kit
version: 0.3.0
""",
    "values.yaml": """\
image: traefik/whoami:v1.10
replicas: 2
host: edge.example.com
issuer: letsencrypt-prod
database:
  instances: 1
""",
    "templates/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              app: web
      tolerations:
        - key: workload-type
          operator: Equal
          value: database
          effect: NoSchedule
      containers:
        - name: web
          image: {{ .Values.image | quote }}
""",
    "templates/daemonset.yaml": """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ .Release.Name }}-agent
spec:
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
      containers:
        - name: agent
          image: {{ .Values.image | quote }}
""",
    "templates/ingress.yaml": """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ .Release.Name }}
  annotations:
    cert-manager.io/cluster-issuer: {{ .Values.issuer }}
spec:
  ingressClassName: nginx
  rules:
    - host: {{ .Values.host }}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {{ .Release.Name }}-web
                port:
                  number: 80
  tls:
    - hosts: [{{ .Values.host }}]
      secretName: {{ .Values.host | replace "." "-" }}-tls
""",
    "templates/service.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-web
spec:
  selector:
    app: {{ .Release.Name }}
  ports:
    - name: http
      port: 80
""",
    "templates/cluster.yaml": """\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: {{ .Release.Name }}-db
  namespace: default
spec:
  instances: {{ .Values.database.instances }}
  storage:
    size: 1Gi
  affinity:
    nodeSelector:
      workload-type: database
    tolerations:
      - key: workload-type
        operator: Equal
        value: database
        effect: NoSchedule
""",
}
BROKEN_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
    "templates/secret.yaml": """\
apiVersion: v1
kind: Secret
metadata:
  name: {{ required "broken needs .Values.token" .Values.token }}
""",
}
EDGE_VALUES = """\
apis:
  uses: [postgresql.cnpg.io]
values:
  host: edge.${env.domain}
  issuer: ${env.issuer}
"""
UPSTREAM_SOURCE = (
    "chart:\n  repo: https://charts.example.com/{name}\n  name: {name}\n  version: {version}\n"
)
LOCAL_SOURCE = "chart:\n  path: charts/{name}\n"
NO_SCHEMA = (
    "no schema for Cluster (postgresql.cnpg.io/v1): pass its CRD with --crds DIR, "
    "or put it in the crds/ folder of a local chart"
)


@pytest.fixture(scope="module")
def helm_path() -> str:
    """PATH with the pinned helm first (`make setup` installs it into the project's .venv)."""
    helm = find_helm(PROJECT)
    return f"{helm.parent}{os.pathsep}{os.environ['PATH']}"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "repo")


def run(repo: Path, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROJECT / "render.py"), "--repo", str(repo), *args],
        capture_output=True,
        text=True,
        cwd=repo,
        env={**os.environ, "PATH": path, "XDG_CACHE_HOME": str(user_cache(repo).parent.parent)},
        check=False,
    )


def user_cache(repo: Path) -> Path:
    """The default chart cache of the commands a test runs: inside the test's folder."""
    return repo.parent / "user-cache" / "gitopsctl" / "charts"


def write_chart(root: Path, files: Mapping[str, str]) -> Path:
    name = files["Chart.yaml"].split("name: ")[1].split("\n")[0]
    for relative, text in files.items():
        (root / name / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / name / relative).write_text(text, encoding="utf-8")
    return root / name


def package(chart: Path, cache: Path, path: str) -> Path:
    """`helm package` the chart into the cache, as `helm pull` would have left it."""
    result = subprocess.run(
        ["helm", "package", str(chart), "-d", str(cache)],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
        check=True,
    )
    return Path(result.stdout.strip().rsplit(": ", 1)[1])


def add_app(repo: Path, name: str, source: str, path: str, values: str = "") -> None:
    """An app of the chart, enabled in prod, and the repository rendered again."""
    text = f"description: {name}\n{source}namespace: edge\n{values}"
    (repo / "sources" / "apps" / f"{name}.yaml").write_text(text, encoding="utf-8")
    with (repo / "sources" / "environments" / "prod.yaml").open("a", encoding="utf-8") as env:
        env.write(f"  {name}:\n")
    result = run(repo, path, "render")
    assert result.returncode == 0, result.stderr


def cached_edge_kit(repo: Path, path: str) -> Path:
    cache = repo.parent / "cache"
    package(write_chart(repo.parent / "src", EDGE_CHART), cache, path)
    source = UPSTREAM_SOURCE.format(name="edge-kit", version="0.3.0")
    add_app(repo, "edge-kit", source, path, EDGE_VALUES)
    return cache


def local_edge_kit(repo: Path, path: str) -> None:
    write_chart(repo / "charts", EDGE_CHART)
    add_app(repo, "edge-kit", LOCAL_SOURCE.format(name="edge-kit"), path, EDGE_VALUES)


def report(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


def rows(findings: list[dict[str, Any]], app: str) -> list[tuple[Any, ...]]:
    """(rule, severity, env, file, line, column, message) of one app's findings (but the
    chart-lock warning of its pin: the example has no chart lock)."""
    keys = ("rule", "severity", "env", "file", "line", "column", "message")
    mine = [f for f in findings if f["app"] == app and f["rule"] != "chart-lock"]
    return [tuple(f[key] for key in keys) for f in mine]


def template_line(text: str, line: str) -> int:
    lines = text.splitlines()
    assert lines.count(line) == 1, line
    return lines.index(line) + 1


def edge_kit_findings(prefix: str) -> list[tuple[Any, ...]]:
    """What `--helm` finds in the edge-kit chart in prod, its files under ``prefix``, sorted."""
    deployment = EDGE_CHART["templates/deployment.yaml"]
    daemonset = EDGE_CHART["templates/daemonset.yaml"]
    ingress = EDGE_CHART["templates/ingress.yaml"]
    cluster = EDGE_CHART["templates/cluster.yaml"]
    instances = template_line(cluster, "  instances: {{ .Values.database.instances }}")
    return [
        (
            "manifest-schema",
            "warning",
            "prod",
            f"{prefix}templates/cluster.yaml",
            1,
            1,
            f"Cluster/default/edge-kit-db: {NO_SCHEMA}",
        ),
        (
            "db-placement",
            "error",
            "prod",
            f"{prefix}templates/cluster.yaml",
            template_line(cluster, "  namespace: default"),
            3,
            "Cluster/default/edge-kit-db: database cluster 'edge-kit-db' is in namespace"
            " 'default', not the database namespace 'database'",
        ),
        (
            "db-placement",
            "error",
            "prod",
            f"{prefix}templates/cluster.yaml",
            instances,
            3,
            "Cluster/default/edge-kit-db: database cluster 'edge-kit-db' has 1 instance(s),"
            " fewer than the 2 the production tier requires",
        ),
        (
            "ha-replicas",
            "warning",
            "prod",
            f"{prefix}templates/cluster.yaml",
            instances,
            3,
            "Cluster/default/edge-kit-db: database cluster 'edge-kit-db' runs 1 instance(s) in"
            " production: set instances to at least 2",
        ),
        (
            "daemonset-coverage",
            "error",
            "prod",
            f"{prefix}templates/daemonset.yaml",
            template_line(daemonset, "    spec:"),
            5,
            "DaemonSet/edge/edge-kit-agent: DaemonSet 'DaemonSet/edge/edge-kit-agent' cannot run"
            " on every node group: database: does not tolerate taint"
            " workload-type=database:NoSchedule; large: does not tolerate taint"
            " workload-type=large:NoSchedule",
        ),
        (
            "dedicated-node-intrusion",
            "error",
            "prod",
            f"{prefix}templates/deployment.yaml",
            template_line(deployment, "      tolerations:"),
            7,
            "Deployment/edge/edge-kit-web: workload 'Deployment/edge/edge-kit-web' (Deployment)"
            " tolerates taint workload-type=database:NoSchedule of the dedicated node group"
            " 'database' without selecting it, so it may take the nodes reserved there: select"
            " the group with nodeSelector workload-type=database or drop the toleration",
        ),
        (
            "ingress-class",
            "error",
            "prod",
            f"{prefix}templates/ingress.yaml",
            template_line(ingress, "  ingressClassName: nginx"),
            3,
            "Ingress/edge/edge-kit: ingress 'Ingress/edge/edge-kit' uses class 'nginx', not the"
            " platform's 'traefik-ingress'",
        ),
    ]


def skipped(repo: Path, reason: str) -> list[tuple[Any, ...]]:
    """The helm-skipped warning of every upstream chart of the example, in every environment."""
    found = []
    for app, chart, version, url in UPSTREAM:
        file = f"sources/apps/{app}.yaml"
        line = line_of(repo, file, "chart:")
        hint = f"helm pull {chart} --repo {url} --version {version}"
        message = f"chart {chart} {version} ({url}) not checked with helm: " + reason.format(
            archive=f"{chart}-{version}.tgz", hint=hint
        )
        found += [("helm-skipped", "warning", env, app, file, line, 1, message) for env in ENVS]
    return found


def skipped_rows(findings: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    keys = ("rule", "severity", "env", "app", "file", "line", "column", "message")
    return [tuple(f[key] for key in keys) for f in findings if f["rule"] == "helm-skipped"]


# -- the example ---------------------------------------------------------------------------------


def test_example_local_charts_pass_and_upstream_charts_are_skipped(
    repo: Path, helm_path: str
) -> None:
    result = run(repo, helm_path, "validate", "--helm", "--format", "json")

    findings = report(result)
    cache = user_cache(repo).as_posix()
    no_cache = (
        f"{{archive}} is not in the chart cache {cache}: run `python render.py charts pull --cache"
        f" {cache}` (the charts sources/charts.lock holds) or fetch it with `{{hint}} -d {cache}`"
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert skipped_rows(findings) == sorted(skipped(repo, no_cache), key=lambda r: (r[4], r[2]))
    assert [f for f in findings if f["severity"] == "error"] == []
    local = {f["file"] for f in findings if f["file"].startswith("charts/")}
    assert local == {
        "charts/app-secrets/templates/externalsecrets.yaml",
        "charts/cluster-issuer/templates/clusterissuer.yaml",
        "charts/cnpg-cluster/templates/cluster.yaml",
        "charts/cnpg-cluster/templates/credentials.yaml",
        "charts/secret-store/templates/clustersecretstore.yaml",
    }


def test_skipped_charts_are_listed_in_text_too(repo: Path, helm_path: str) -> None:
    cache = repo.parent / "cache"
    cache.mkdir()

    result = run(repo, helm_path, "validate", "--helm", "--chart-cache", str(cache), "--env", "dev")

    line = line_of(repo, "sources/apps/retool.yaml", "chart:")
    assert result.returncode == 0
    assert (
        f"sources/apps/retool.yaml:{line}:1: warning helm-skipped: chart retool 6.6.0"
        " (https://charts.retool.com) not checked with helm: retool-6.6.0.tgz is not in the"
        f" chart cache {cache.as_posix()}: run `python render.py charts pull --cache"
        f" {cache.as_posix()}` (the charts sources/charts.lock holds) or fetch it with `helm pull"
        f" retool --repo https://charts.retool.com --version 6.6.0 -d {cache.as_posix()}`"
        " [dev/retool]"
    ) in result.stdout.splitlines()


# -- violations only the rendered templates show ------------------------------------------------


def test_cached_chart_template_violations(repo: Path, helm_path: str) -> None:
    cache = cached_edge_kit(repo, helm_path)

    plain = run(repo, helm_path, "validate", "--format", "json")
    result = run(
        repo, helm_path, "validate", "--helm", "--chart-cache", str(cache), "--format", "json"
    )

    assert (plain.returncode, rows(report(plain), "edge-kit")) == (0, [])
    assert (result.returncode, result.stderr) == (1, "")
    expected = edge_kit_findings(f"{cache.as_posix()}/edge-kit-0.3.0.tgz:")
    assert rows(report(result), "edge-kit") == expected
    edge_kit = [f for f in report(result) if f["app"] == "edge-kit" and f["rule"] != "chart-lock"]
    assert {f["rendered"] for f in edge_kit} == {"rendered/prod/edge-kit/values.yaml"}


def test_local_chart_template_violations(repo: Path, helm_path: str) -> None:
    local_edge_kit(repo, helm_path)

    result = run(repo, helm_path, "validate", "--helm", "--env", "prod", "--format", "json")

    assert (result.returncode, result.stderr) == (1, "")
    assert rows(report(result), "edge-kit") == edge_kit_findings("charts/edge-kit/")


def test_declared_exceptions_cover_helm_findings(repo: Path, helm_path: str) -> None:
    local_edge_kit(repo, helm_path)
    with (repo / "sources" / "platform.yaml").open("a", encoding="utf-8") as platform:
        platform.write(
            "exceptions:\n"
            "  - rule: db-placement\n"
            "    app: edge-kit\n"
            "    reason: the edge cache database is disposable\n"
        )

    result = run(repo, helm_path, "validate", "--helm", "--env", "prod", "--format", "json")

    findings = report(result)
    excepted = {(f["rule"], f["excepted"]) for f in findings if f["app"] == "edge-kit"}
    assert result.returncode == 1
    assert excepted == {
        ("daemonset-coverage", False),
        ("dedicated-node-intrusion", False),
        ("manifest-schema", False),
        ("db-placement", True),
        ("ha-replicas", False),
        ("ingress-class", False),
    }
    assert [f["message"] for f in findings if "matches no finding" in f["message"]] == []


# -- unusable: a chart helm cannot render, no helm, wrong options --------------------------------


JUNK_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: junk\nversion: 0.1.0\n",
    "templates/settings.yaml": "# settings, not an object\nlevel: debug\n",
}


@pytest.mark.parametrize(
    ("chart", "said"),
    [
        pytest.param(
            BROKEN_CHART,
            "Error: execution error at (broken/templates/secret.yaml:4:11): broken needs"
            " .Values.token\n\nUse --debug flag to render out invalid YAML",
            id="helm-fails",
        ),
        pytest.param(
            JUNK_CHART,
            "{archive}:templates/settings.yaml:2:1: not a Kubernetes object (a mapping with"
            " apiVersion, kind and metadata.name): apiVersion is missing (rendered by helm for"
            " prod/junk)",
            id="output-not-objects",
        ),
    ],
)
def test_a_release_helm_cannot_render_is_one_error_and_the_others_are_checked(
    repo: Path, helm_path: str, chart: Mapping[str, str], said: str
) -> None:
    cache = cached_edge_kit(repo, helm_path)
    archive = package(write_chart(repo.parent / "src", chart), cache, helm_path)
    name = chart["Chart.yaml"].split("name: ")[1].split("\n")[0]
    add_app(repo, name, UPSTREAM_SOURCE.format(name=name, version="0.1.0"), helm_path)
    app = f"sources/apps/{name}.yaml"

    result = run(
        repo, helm_path, "validate", "--helm", "--chart-cache", str(cache), "--format", "json"
    )

    findings = report(result)
    message = f"helm cannot render chart {name} 0.1.0 for prod/{name}: " + said.format(
        archive=archive.as_posix()
    )
    assert (result.returncode, result.stderr) == (1, "")
    line = line_of(repo, app, "chart:")
    assert rows(findings, name) == [("helm-template", "error", "prod", app, line, 1, message)]
    assert rows(findings, "edge-kit") == edge_kit_findings(
        f"{cache.as_posix()}/edge-kit-0.3.0.tgz:"
    )


def test_without_helm_is_exit_2(repo: Path, tmp_path: Path) -> None:
    result = run(repo, str(tmp_path / "empty"), "validate", "--helm")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: helm was not found on PATH nor at {repo / '.venv' / 'bin' / 'helm'};"
        " run `make setup` to install the pinned Helm\n"
    )


@pytest.mark.parametrize(
    "options",
    [
        pytest.param(("--chart-cache", "."), id="chart-cache-without-helm"),
        pytest.param(("--helm", "--manifests", "-"), id="helm-with-manifests"),
        pytest.param(("--helm", "--node-groups", "groups.yaml"), id="helm-with-node-groups"),
    ],
)
def test_helm_option_misuse_is_exit_2(repo: Path, helm_path: str, options: tuple[str, ...]) -> None:
    result = run(repo, helm_path, "validate", *options)

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: --chart-cache goes with --helm; --helm not with --manifests or --node-groups\n"
    )


# -- from helm's output back to the template ------------------------------------------------------

TEMPLATE = """\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: {{ .Release.Name }}
spec:
  instances: {{ .Values.instances }}
  affinity:
    {{- with .Values.tolerations }}
    tolerations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
"""
OUTPUT = """\
# Source: db/templates/cluster.yaml
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: app-db
spec:
  instances: 1
  affinity:
    tolerations:
      - effect: NoSchedule
        key: workload-type
"""


@pytest.mark.parametrize(
    ("output_line", "column", "expected"),
    [
        pytest.param(9, 5, (9, 5), id="literal-line-maps-exactly"),
        pytest.param(3, 1, (2, 1), id="literal-line-after-the-source-comment"),
        pytest.param(7, 3, (6, 3), id="expression-maps-to-the-line-of-its-key"),
        pytest.param(5, 3, (4, 3), id="name-from-an-expression"),
        pytest.param(11, 9, (10, 7), id="toyaml-output-maps-to-the-toyaml-line"),
    ],
)
def test_template_position(output_line: int, column: int, expected: tuple[int, int]) -> None:
    assert template_position(TEMPLATE, OUTPUT, output_line, column) == expected


def test_template_position_without_the_template_is_line_1() -> None:
    assert template_position(None, OUTPUT, 9, 5) == (1, 1)


def test_documents_keep_their_source_and_drop_empty_ones() -> None:
    output = (
        "---\n# Source: app/templates/a.yaml\nkind: A\n"
        "---\n# Source: app/templates/empty.yaml\n# nothing rendered\n"
        "---\n# Source: app/templates/b.yaml\nkind: B\n---\nkind: C\n"
    )

    assert documents(output) == [
        Document("app/templates/a.yaml", "# Source: app/templates/a.yaml\nkind: A\n"),
        Document("app/templates/b.yaml", "# Source: app/templates/b.yaml\nkind: B\n"),
        Document("app/templates/b.yaml", "kind: C\n"),
    ]
