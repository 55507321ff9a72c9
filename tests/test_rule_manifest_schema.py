"""manifest-schema: emitted Argo CD objects, local chart values and given manifests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gitopsctl.rules import manifest_schema
from tests.support import PROJECT, copy_example, edit, line_of, rerender, rule_findings
from tests.test_validate_cli import run

Outcome = tuple[str, str | None, str, int, str]
RETOOL_APP = "applications/prod/retool.yaml"
KEYCLOAK = "sources/apps/keycloak.yaml"
CRDS = PROJECT.parent / "shared" / "crds"


def unchanged(repo: Path) -> list[Outcome]:
    return []


def application_hand_edited(repo: Path) -> list[Outcome]:
    edit(
        repo, RETOOL_APP, "      selfHeal: true", "      selfHeal: yes please\n      selfHael: true"
    )
    name = "Application/argocd/prod-retool"
    return [
        (
            "prod",
            "retool",
            RETOOL_APP,
            line_of(repo, RETOOL_APP, "selfHeal: yes please"),
            f'{name}: spec.syncPolicy.automated.selfHeal: "yes please" is not of type "boolean"',
        ),
        (
            "prod",
            "retool",
            RETOOL_APP,
            line_of(repo, RETOOL_APP, "selfHael"),
            f"{name}: spec.syncPolicy.automated.selfHael: Additional properties are not allowed "
            "('selfHael' was unexpected)",
        ),
    ]


def database_values_typo_in_source(repo: Path) -> list[Outcome]:
    edit(
        repo,
        KEYCLOAK,
        "    storage: 10Gi\n",
        "    storage: 10Gi\n    values:\n      topologyKeys: x\n",
    )
    rerender(repo)
    line = line_of(repo, KEYCLOAK, "topologyKeys: x")
    return [
        (
            env,
            "keycloak-db",
            KEYCLOAK,
            line,
            f"values of charts/cnpg-cluster (rendered/{env}/keycloak-db/values.yaml): "
            "topologyKeys: Additional properties are not allowed ('topologyKeys' was unexpected)",
        )
        for env in ("dev", "prod", "staging")
    ]


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(unchanged, id="example-PASSED"),
        pytest.param(application_hand_edited, id="application-hand-edited-FAILED"),
        pytest.param(database_values_typo_in_source, id="database-values-typo-FAILED"),
    ],
)
def test_repository(tmp_path: Path, mutate: Callable[[Path], list[Outcome]]) -> None:
    repo = copy_example(tmp_path)
    expected = mutate(repo)
    found = [
        (f.env, f.app, f.file, f.line, f.message) for f in rule_findings(manifest_schema, repo)
    ]
    assert sorted(found) == sorted(expected)


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: two
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: shop/api:1.0
          imagePullPolicyy: Always
"""
CLUSTER = """\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: shop-db
  namespace: database
spec:
  instances: 2
  storage:
    size: 1Gi
  bogus: true
"""


def schema_findings(repo: Path, stdin: str, *args: str) -> list[tuple[str, int, str, str]]:
    result = run(repo, "validate", "--manifests", "-", "--format", "json", *args, stdin=stdin)
    assert result.stderr == ""
    findings = json.loads(result.stdout)["findings"]
    return [
        (f["severity"], f["line"], f["file"], f["message"])
        for f in findings
        if f["rule"] == "manifest-schema"
    ]


def test_core_kinds_are_checked_strictly_with_object_name_path_and_line(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    assert schema_findings(repo, DEPLOYMENT) == [
        (
            "error",
            7,
            "<stdin>",
            'Deployment/shop/api: spec.replicas: "two" is not of types "null", "integer"',
        ),
        (
            "error",
            17,
            "<stdin>",
            "Deployment/shop/api: spec.template.spec.containers[0].imagePullPolicyy: Additional "
            "properties are not allowed ('imagePullPolicyy' was unexpected)",
        ),
    ]


def test_custom_resource_without_crd_is_a_warning(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    assert schema_findings(repo, CLUSTER) == [
        (
            "warning",
            1,
            "<stdin>",
            "Cluster/database/shop-db: no schema for Cluster (postgresql.cnpg.io/v1): pass its CRD "
            "with --crds DIR, or put it in the crds/ folder of a local chart",
        )
    ]


def test_custom_resource_is_checked_against_the_given_crds(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    assert schema_findings(repo, CLUSTER, "--crds", str(CRDS)) == [
        (
            "error",
            10,
            "<stdin>",
            "Cluster/database/shop-db: spec.bogus: Additional properties are not allowed "
            "('bogus' was unexpected)",
        )
    ]


def test_crds_in_a_local_chart_are_used(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    crds = repo / "charts" / "cnpg-cluster" / "crds"
    crds.mkdir()
    text = (CRDS / "postgresql.cnpg.io_clusters.yaml").read_text(encoding="utf-8")
    (crds / "clusters.yaml").write_text(text, encoding="utf-8")
    assert [f[1] for f in schema_findings(repo, CLUSTER)] == [10]


def test_crds_among_the_objects_are_used_wherever_they_are_in_the_stream(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    crd = (CRDS / "postgresql.cnpg.io_clusters.yaml").read_text(encoding="utf-8")
    stream = f"{CLUSTER}---\n{crd}---\n{CLUSTER.replace('shop-db', 'shop-db-2')}"
    second = stream.splitlines().index("  bogus: true", 10) + 1
    assert schema_findings(repo, stream) == [
        (
            "error",
            10,
            "<stdin>",
            "Cluster/database/shop-db: spec.bogus: Additional properties are not allowed "
            "('bogus' was unexpected)",
        ),
        (
            "error",
            second,
            "<stdin>",
            "Cluster/database/shop-db-2: spec.bogus: Additional properties are not allowed "
            "('bogus' was unexpected)",
        ),
    ]


def test_kube_version_option(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    result = run(repo, "validate", "--manifests", "-", "--kube-version", "1.9", stdin=DEPLOYMENT)
    shipped = ", ".join(f"1.{minor}.0" for minor in range(25, 38))
    assert (result.returncode, result.stderr) == (
        2,
        f"error: Kubernetes version: no Kubernetes schemas for version '1.9'; "
        f"kubernetes-validate ships {shipped}\n",
    )


def test_missing_crds_path_exits_2(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    result = run(repo, "validate", "--manifests", "-", "--crds", "nowhere", stdin=DEPLOYMENT)
    assert (result.returncode, result.stderr) == (
        2,
        "error: --crds: no such file or directory: nowhere\n",
    )
