"""The crd-provider rule: each custom resource kind an environment uses is installed before it.

Example cases change the shipped example's sources (repository mode: declared `apis.uses` and
databases). Hand-built cases give an environment objects, as `validate --helm` and `--manifests`
do. The end-to-end cases build local charts and run `validate --helm` with the real Helm.
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
import yaml

from gitopsctl.findings import Severity
from gitopsctl.render.helm import find_helm
from gitopsctl.rules import crd_provider
from gitopsctl.rules.base import rule_from_module
from gitopsctl.subjects.records import (
    Application,
    DefinedKind,
    Document,
    Environment,
    Location,
    PreinstalledApi,
)
from tests.support import (
    ENVS,
    PROJECT,
    Expect,
    Mutate,
    Outcome,
    copy_example,
    development_environment,
    example_outcomes,
    hand_built_outcomes,
    line_of,
    no_outcomes,
    rerender,
    sorted_outcomes,
    source_edit,
    unchanged,
)

KEYCLOAK = "sources/apps/keycloak.yaml"
RETOOL = "sources/apps/retool.yaml"
PLATFORM = "sources/platform.yaml"
DEV = "sources/environments/dev.yaml"


def _committed_wave(app: str) -> int:
    """An app's sync wave in the shipped example's prod Applications."""
    text = (PROJECT / "applications" / "prod" / f"{app}.yaml").read_text(encoding="utf-8")
    return int(yaml.safe_load(text)["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])


# The example's monitoring app (kube-prometheus-stack) provides monitoring.coreos.com; retool,
# after its own dependencies, can sync in the wave just before it.
MONITORING_WAVE = _committed_wave("monitoring")
BEFORE_MONITORING = f"syncWave: {MONITORING_WAVE - 1}\n"


def _finding(env: str | None, app: str | None, file: str, line: int, message: str) -> Outcome:
    return ("crd-provider", env, app, file, line, message)


# -- the example: declared uses --------------------------------------------------------------------


def _without_operator(repo: Path) -> None:
    source_edit(DEV, "  cloudnative-pg:\n", "")(repo)


def _databases_without_operator(repo: Path) -> list[Outcome]:
    return [
        _finding(
            "dev",
            database,
            source,
            line_of(repo, source, f"  {database}:"),
            f"{database} uses postgresql.cnpg.io, but no app of dev installs the CRDs of "
            "postgresql.cnpg.io: add cloudnative-pg (which provides postgresql.cnpg.io) to dev, "
            "or declare postgresql.cnpg.io in preinstalledApis",
        )
        for database, source in (("keycloak-db", KEYCLOAK), ("retool-db", RETOOL))
    ]


PREINSTALLED = """
preinstalledApis:
  - group: postgresql.cnpg.io
    reason: the cluster's bootstrap installs the CloudNativePG CRDs with the EKS add-ons
"""


def _preinstalled_without_operator(repo: Path) -> None:
    with (repo / PLATFORM).open("a", encoding="utf-8") as platform:
        platform.write(PREINSTALLED)
    _without_operator(repo)


def _retool_uses(group: str, wave: str = "") -> Mutate:
    declared = f"namespace: retool\napis:\n  uses: [{group}]\n{wave}"
    return source_edit(RETOOL, "namespace: retool\n", declared)


def _autoscaling_without_provider(repo: Path) -> list[Outcome]:
    """No app of the sources provides keda.sh: the message names none."""
    line = line_of(repo, RETOOL, "  uses: [keda.sh]")
    return [
        _finding(
            env,
            "retool",
            RETOOL,
            line,
            f"retool uses keda.sh, but no app of {env} installs the CRDs of keda.sh: add the app "
            f"of the operator that provides keda.sh to {env}, or declare keda.sh in "
            "preinstalledApis",
        )
        for env in ENVS
    ]


def _monitoring_used_without_monitoring(repo: Path) -> None:
    _retool_uses("monitoring.coreos.com")(repo)
    (repo / DEV).write_text(
        (repo / DEV).read_text(encoding="utf-8").split("  monitoring:\n")[0], encoding="utf-8"
    )
    rerender(repo)


def _monitoring_missing_in_dev(repo: Path) -> list[Outcome]:
    line = line_of(repo, RETOOL, "  uses: [monitoring.coreos.com]")
    message = (
        "retool uses monitoring.coreos.com, but no app of dev installs the CRDs of "
        "monitoring.coreos.com: add monitoring (which provides monitoring.coreos.com) to dev, or "
        "declare monitoring.coreos.com in preinstalledApis"
    )
    return [_finding("dev", "retool", RETOOL, line, message)]


EXAMPLE_CASES = [
    pytest.param(unchanged, no_outcomes, id="shipped-example-PASSED"),
    pytest.param(
        _without_operator, _databases_without_operator, id="databases-without-operator-FAILED"
    ),
    pytest.param(
        _preinstalled_without_operator, no_outcomes, id="operator-api-preinstalled-PASSED"
    ),
    pytest.param(
        _retool_uses("keda.sh"), _autoscaling_without_provider, id="use-without-provider-FAILED"
    ),
    pytest.param(
        _monitoring_used_without_monitoring,
        _monitoring_missing_in_dev,
        id="provider-not-enabled-in-the-environment-FAILED",
    ),
    pytest.param(
        _retool_uses("monitoring.coreos.com", BEFORE_MONITORING),
        no_outcomes,
        id="provider-in-later-wave-left-to-sync-order-PASSED",
    ),
]


@pytest.mark.parametrize(("mutate", "expect"), EXAMPLE_CASES)
def test_example(tmp_path: Path, mutate: Mutate, expect: Expect) -> None:
    found, expected = example_outcomes(crd_provider, tmp_path, mutate, expect)
    assert found == sorted_outcomes(expected)


def test_preinstalled_api_without_reason_is_unusable_input(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    with (repo / PLATFORM).open("a", encoding="utf-8") as platform:
        platform.write("preinstalledApis:\n  - group: postgresql.cnpg.io\n")

    result = _run(repo, os.environ["PATH"], "validate")

    line = line_of(repo, PLATFORM, "  - group: postgresql.cnpg.io")
    assert result.returncode == 2
    assert f"{PLATFORM}:{line}:" in result.stdout + result.stderr
    assert "'reason' is a required property" in result.stdout + result.stderr


# -- hand-built objects (validate --helm, validate --manifests --env) ------------------------------

SERVICE_MONITOR_CRD = DefinedKind(
    "prometheus-operator",
    "monitoring.coreos.com",
    "ServiceMonitor",
    ("v1",),
    "CustomResourceDefinition/servicemonitors.monitoring.coreos.com",
)
CLUSTER_CRD = DefinedKind(
    "cloudnative-pg",
    "postgresql.cnpg.io",
    "Cluster",
    ("v1",),
    "CustomResourceDefinition/clusters.postgresql.cnpg.io",
)


def _object(app: str | None, api_version: str, kind: str, name: str) -> Document:
    file = f"objects/{app}.yaml"
    line = 1 + sum(map(ord, name)) % 7  # each object at its own line

    def locate(path: tuple[str | int, ...]) -> Location:
        return Location(file, line, 1)

    return Document(app, name, api_version, kind, {}, locate)


def _app(
    app: str, wave: int | None, provides: tuple[str, ...] = (), uses: tuple[str, ...] = ()
) -> Application:
    file = f"applications/test/{app}.yaml"
    document: Mapping[str, Any] = {}
    return Application(
        app, app, wave, (), provides, uses, document, lambda path: Location(file, 1, 1, file)
    )


MONITOR = _object(
    "retool", "monitoring.coreos.com/v1", "ServiceMonitor", "ServiceMonitor/retool/retool"
)
CLUSTER = _object("retool-db", "postgresql.cnpg.io/v1", "Cluster", "Cluster/database/retool-db")
RETOOL_APP = _app("retool", 3)
OPERATOR_APP = _app("prometheus-operator", 1)
CNPG_APP = _app("cloudnative-pg", 1, provides=("postgresql.cnpg.io",))


def _objects(
    documents: list[Document],
    kinds: list[DefinedKind],
    apps: list[Application],
    **fields: Any,
) -> Environment:
    return development_environment(
        documents=documents, defined_kinds=kinds, sync_plan=tuple(apps), **fields
    )


def _at(document: Document, message: str) -> Outcome:
    location = document.locate(("apiVersion",))
    return _finding("test", document.app, location.file, location.line, message)


NO_OPERATOR = (
    "ServiceMonitor/retool/retool: no app of test installs the CRD of ServiceMonitor "
    "(monitoring.coreos.com): add the app of the operator that provides monitoring.coreos.com "
    "to test, or declare monitoring.coreos.com in preinstalledApis"
)

UNIT_CASES = [
    pytest.param(
        _objects([MONITOR], [], [RETOOL_APP]),
        [_at(MONITOR, NO_OPERATOR)],
        id="service-monitor-without-prometheus-operator-FAILED",
    ),
    pytest.param(
        _objects(
            [MONITOR, _object("retool", "monitoring.coreos.com/v1", "ServiceMonitor", "SM/b")],
            [],
            [RETOOL_APP],
        ),
        [_at(MONITOR, NO_OPERATOR)],
        id="each-kind-of-an-app-reported-once-FAILED",
    ),
    pytest.param(
        _objects(
            [MONITOR],
            [],
            [RETOOL_APP],
            api_sources={"monitoring.coreos.com": ("monitoring", "prometheus-operator")},
        ),
        [
            _at(
                MONITOR,
                "ServiceMonitor/retool/retool: no app of test installs the CRD of ServiceMonitor "
                "(monitoring.coreos.com): add monitoring or prometheus-operator (which provides "
                "monitoring.coreos.com) to test, or declare monitoring.coreos.com in "
                "preinstalledApis",
            )
        ],
        id="service-monitor-names-the-apps-that-provide-it-FAILED",
    ),
    pytest.param(
        _objects([MONITOR], [SERVICE_MONITOR_CRD], [OPERATOR_APP, RETOOL_APP]),
        [],
        id="service-monitor-after-its-crd-PASSED",
    ),
    pytest.param(
        _objects([MONITOR], [SERVICE_MONITOR_CRD._replace(app="retool")], [RETOOL_APP]),
        [],
        id="crd-and-resource-in-one-app-PASSED",
    ),
    pytest.param(
        _objects([MONITOR], [SERVICE_MONITOR_CRD], [OPERATOR_APP._replace(wave=3), RETOOL_APP]),
        [
            _at(
                MONITOR,
                "ServiceMonitor/retool/retool: retool (wave 3) uses ServiceMonitor "
                "(monitoring.coreos.com), whose CRD prometheus-operator installs in wave 3: give "
                "retool a later syncWave than prometheus-operator",
            )
        ],
        id="service-monitor-in-the-wave-of-its-crd-FAILED",
    ),
    pytest.param(
        _objects([CLUSTER], [], [CNPG_APP, _app("retool-db", 1)]),
        [
            _at(
                CLUSTER,
                "Cluster/database/retool-db: retool-db (wave 1) uses Cluster (postgresql.cnpg.io), "
                "whose CRD cloudnative-pg installs in wave 1: give retool-db a later syncWave than "
                "cloudnative-pg",
            )
        ],
        id="cluster-in-the-wave-of-its-declared-operator-FAILED",
    ),
    pytest.param(
        _objects([CLUSTER], [CLUSTER_CRD], [CNPG_APP._replace(wave=4), _app("retool-db", 2)]),
        [
            _at(
                CLUSTER,
                "Cluster/database/retool-db: retool-db (wave 2) uses Cluster (postgresql.cnpg.io), "
                "whose CRD cloudnative-pg installs in wave 4: give retool-db a later syncWave than "
                "cloudnative-pg",
            )
        ],
        id="cluster-before-its-operator-FAILED",
    ),
    pytest.param(
        _objects([CLUSTER], [], [CNPG_APP, _app("retool-db", 2)]),
        [],
        id="cluster-after-its-declared-operator-PASSED",
    ),
    pytest.param(
        _objects(
            [CLUSTER],
            [],
            [CNPG_APP._replace(wave=4), _app("retool-db", 2, uses=("postgresql.cnpg.io",))],
        ),
        [],
        id="declared-use-ordering-left-to-sync-order-PASSED",
    ),
    pytest.param(
        _objects([MONITOR], [], [_app("retool", 3, uses=("monitoring.coreos.com",))]),
        [],
        id="declared-use-without-provider-left-to-repository-check-PASSED",
    ),
    pytest.param(
        _objects(
            [MONITOR],
            [],
            [RETOOL_APP],
            preinstalled_apis=(
                PreinstalledApi(
                    "monitoring.coreos.com", "installed with the cluster", Location(PLATFORM, 9, 5)
                ),
            ),
        ),
        [],
        id="group-declared-preinstalled-PASSED",
    ),
    pytest.param(
        _objects(
            [_object("retool", "monitoring.coreos.com/v1beta1", "ServiceMonitor", "SM/old")],
            [SERVICE_MONITOR_CRD],
            [OPERATOR_APP, RETOOL_APP],
        ),
        [
            _at(
                _object("retool", "monitoring.coreos.com/v1beta1", "ServiceMonitor", "SM/old"),
                "SM/old: ServiceMonitor monitoring.coreos.com/v1beta1 is not a version "
                "CustomResourceDefinition/servicemonitors.monitoring.coreos.com (installed by "
                "prometheus-operator) serves (it serves v1): use a served version",
            )
        ],
        id="version-the-crd-does-not-serve-FAILED",
    ),
    pytest.param(
        _objects(
            [
                _object("retool", "apps/v1", "Deployment", "Deployment/retool/retool"),
                _object("retool", "networking.k8s.io/v1", "Ingress", "Ingress/retool/retool"),
                _object("retool", "v1", "Service", "Service/retool/retool"),
            ],
            [],
            [RETOOL_APP],
        ),
        [],
        id="built-in-kinds-PASSED",
    ),
    pytest.param(
        _objects([MONITOR], [], [], name=None),
        [],
        id="manifests-outside-an-environment-not-checked-PASSED",
    ),
]


@pytest.mark.parametrize(("env", "expected"), UNIT_CASES)
def test_hand_built(env: Environment, expected: list[Outcome]) -> None:
    found = hand_built_outcomes(crd_provider, env)
    assert found == sorted_outcomes(expected)


# -- validate --helm, with local charts rendered by the real Helm ----------------------------------

OPERATOR_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: metrics-operator\nversion: 0.1.0\n",
    "templates/crd.yaml": """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  names:
    kind: ServiceMonitor
    listKind: ServiceMonitorList
    plural: servicemonitors
    singular: servicemonitor
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
""",
}
SCRAPED_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: scraped-app\nversion: 0.1.0\n",
    "templates/servicemonitor.yaml": """\
# Prometheus scrapes the app's metrics port.
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels:
      app: {{ .Release.Name }}
  endpoints:
    - port: metrics
""",
}
MONITOR_TEMPLATE = "charts/scraped-app/templates/servicemonitor.yaml"


@pytest.fixture(scope="module")
def helm_path() -> str:
    helm = find_helm(PROJECT)
    return f"{helm.parent}{os.pathsep}{os.environ['PATH']}"


def _run(repo: Path, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROJECT / "render.py"), "--repo", str(repo), *args],
        capture_output=True,
        text=True,
        cwd=repo,
        env={**os.environ, "PATH": path},
        check=False,
    )


def _add_chart_app(repo: Path, files: Mapping[str, str], wave: int) -> None:
    """A local chart and an app of it in its own namespace, enabled in prod."""
    name = files["Chart.yaml"].split("name: ")[1].split("\n")[0]
    for relative, text in files.items():
        (repo / "charts" / name / relative).parent.mkdir(parents=True, exist_ok=True)
        (repo / "charts" / name / relative).write_text(text, encoding="utf-8")
    source = f"description: {name}\nchart:\n  path: charts/{name}\nnamespace: {name}\n"
    (repo / "sources" / "apps" / f"{name}.yaml").write_text(
        f"{source}syncWave: {wave}\n", encoding="utf-8"
    )
    with (repo / "sources" / "environments" / "prod.yaml").open("a", encoding="utf-8") as env:
        env.write(f"  {name}:\n")


def _crd_findings(repo: Path, path: str) -> tuple[int, list[tuple[Any, ...]]]:
    rerender(repo)
    result = _run(repo, path, "validate", "--helm", "--env", "prod", "--format", "json")
    assert result.stderr == ""
    keys = ("rule", "severity", "env", "app", "file", "line", "column", "message")
    findings = json.loads(result.stdout)["findings"]
    return result.returncode, [
        tuple(f[key] for key in keys) for f in findings if f["rule"] == "crd-provider"
    ]


def _monitor_finding(message: str) -> tuple[Any, ...]:
    line = (
        SCRAPED_CHART["templates/servicemonitor.yaml"]
        .splitlines()
        .index("apiVersion: monitoring.coreos.com/v1")
    )
    return ("crd-provider", "error", "prod", "scraped-app", MONITOR_TEMPLATE, line + 1, 1, message)


PROD = "sources/environments/prod.yaml"
WITHOUT_MONITORING = (
    "ServiceMonitor/scraped-app/scraped-app: no app of prod installs the CRD of ServiceMonitor "
    "(monitoring.coreos.com): add monitoring (which provides monitoring.coreos.com) to prod, or "
    "declare monitoring.coreos.com in preinstalledApis"
)
HELM_CASES = [
    pytest.param(
        [(SCRAPED_CHART, 5)],
        False,
        (1, [_monitor_finding(WITHOUT_MONITORING)]),
        id="helm-service-monitor-without-prometheus-operator-FAILED",
    ),
    pytest.param(
        [(OPERATOR_CHART, 1), (SCRAPED_CHART, 5)],
        False,
        (0, []),
        id="helm-service-monitor-after-operator-crd-PASSED",
    ),
    pytest.param(
        [(OPERATOR_CHART, 5), (SCRAPED_CHART, 5)],
        False,
        (
            1,
            [
                _monitor_finding(
                    "ServiceMonitor/scraped-app/scraped-app: scraped-app (wave 5) uses "
                    "ServiceMonitor (monitoring.coreos.com), whose CRD metrics-operator installs "
                    "in wave 5: give scraped-app a later syncWave than metrics-operator"
                )
            ],
        ),
        id="helm-service-monitor-in-operator-wave-FAILED",
    ),
    pytest.param(
        [(SCRAPED_CHART, MONITORING_WAVE + 1)],
        True,
        (0, []),
        id="helm-service-monitor-after-declared-provider-chart-not-rendered-PASSED",
    ),
    pytest.param(
        [(SCRAPED_CHART, 2)],
        True,
        (
            1,
            [
                _monitor_finding(
                    "ServiceMonitor/scraped-app/scraped-app: scraped-app (wave 2) uses "
                    "ServiceMonitor (monitoring.coreos.com), whose CRD monitoring installs in "
                    f"wave {MONITORING_WAVE}: give scraped-app a later syncWave than monitoring"
                )
            ],
        ),
        id="helm-service-monitor-before-declared-provider-FAILED",
    ),
]


@pytest.mark.parametrize(("charts", "monitoring", "expected"), HELM_CASES)
def test_validate_helm(
    tmp_path: Path,
    helm_path: str,
    charts: list[tuple[Mapping[str, str], int]],
    monitoring: bool,
    expected: tuple[int, list[tuple[Any, ...]]],
) -> None:
    """Prod with or without the example's monitoring app (kube-prometheus-stack, in
    MONITORING_WAVE, whose chart is not in a cache here: only its `apis.provides` says it installs
    the CRDs)."""
    repo = copy_example(tmp_path / "repo")
    if not monitoring:
        text = (repo / PROD).read_text(encoding="utf-8")
        (repo / PROD).write_text(text.split("  monitoring:\n")[0], encoding="utf-8")
    for files, wave in charts:
        _add_chart_app(repo, files, wave)

    assert _crd_findings(repo, helm_path) == expected


def test_rule_metadata() -> None:
    rule = rule_from_module(crd_provider)
    assert (rule.id, rule.severity) == ("crd-provider", Severity.ERROR)
    assert rule.summary == (
        "Every custom resource kind has its CRD installed by an earlier app, or declared "
        "preinstalled."
    )
    assert "Passing" in rule.doc
    assert "Failing" in rule.doc


def test_one_defect_one_finding_between_crd_provider_and_sync_order(tmp_path: Path) -> None:
    """A declared use synced before its provider is sync-order's; a group nobody provides is
    crd-provider's: each reported by one rule only."""
    repo = copy_example(tmp_path)
    _retool_uses("monitoring.coreos.com", BEFORE_MONITORING)(repo)
    edit_uses = "  uses: [monitoring.coreos.com, keda.sh]\n"
    source_edit(RETOOL, "  uses: [monitoring.coreos.com]\n", edit_uses)(repo)

    result = _run(repo, os.environ["PATH"], "validate", "--env", "prod", "--format", "json")

    line = line_of(repo, RETOOL, BEFORE_MONITORING.rstrip("\n"))
    uses = line_of(repo, RETOOL, edit_uses.rstrip("\n"))
    found = [
        (f["rule"], f["file"], f["line"], f["message"])
        for f in json.loads(result.stdout)["findings"]
        if f["rule"] in ("crd-provider", "sync-order")
    ]
    assert (result.returncode, found) == (
        1,
        [
            (
                "crd-provider",
                RETOOL,
                uses,
                "retool uses keda.sh, but no app of prod installs the CRDs of keda.sh: add the app "
                "of the operator that provides keda.sh to prod, or declare keda.sh in "
                "preinstalledApis",
            ),
            (
                "sync-order",
                RETOOL,
                line,
                f"retool (wave {MONITORING_WAVE - 1}) uses monitoring.coreos.com, provided by "
                f"monitoring (wave {MONITORING_WAVE}): give it a later syncWave",
            ),
        ],
    )


# -- validate --manifests ------------------------------------------------------------------------

MANIFESTS = """\
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata:
  name: retool
  namespace: retool
spec:
  routes: []
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: retool
  namespace: retool
spec:
  scaleTargetRef:
    name: retool
"""


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param(
            ("--env", "dev"),
            [
                (
                    "crd-provider",
                    "dev",
                    "objects.yaml",
                    9,
                    "ScaledObject/retool/retool: no app of dev installs the CRD of ScaledObject "
                    "(keda.sh): add the app of the operator that provides keda.sh to dev, or "
                    "declare keda.sh in preinstalledApis",
                )
            ],
            id="manifests-of-an-environment-FAILED",
        ),
        pytest.param((), [], id="manifests-outside-an-environment-PASSED"),
    ],
)
def test_validate_manifests(
    tmp_path: Path, options: tuple[str, ...], expected: list[tuple[Any, ...]]
) -> None:
    """traefik.io is provided by the example's traefik-ingress app; nothing provides keda.sh."""
    repo = copy_example(tmp_path / "repo")
    (repo / "objects.yaml").write_text(MANIFESTS, encoding="utf-8")

    result = _run(
        repo,
        os.environ["PATH"],
        "validate",
        "--manifests",
        "objects.yaml",
        *options,
        "--format",
        "json",
    )

    keys = ("rule", "env", "file", "line", "message")
    found = [
        tuple(f[key] for key in keys)
        for f in json.loads(result.stdout)["findings"]
        if f["rule"] == "crd-provider"
    ]
    assert (result.returncode, found) == (1 if expected else 0, expected)
