"""secret-reference: every Secret a pod needs is provided in its namespace, with its key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitopsctl.cli.main import cli
from gitopsctl.render.helm import find_helm
from gitopsctl.rules import secret_reference
from tests.support import (
    PROJECT,
    Case,
    Row,
    copy_example,
    edit,
    line_in,
    line_of,
    manifest_findings,
    no_findings,
    rerender,
    rows,
    rule_findings,
    unchanged,
)

RULE = "secret-reference"
KEYCLOAK = "sources/apps/keycloak.yaml"
RETOOL = "sources/apps/retool.yaml"
MONITORING = "sources/apps/monitoring.yaml"
KEYCLOAK_PROFILE = "sources/profiles/keycloakx.yaml"
ENVS = ("dev", "prod", "staging")

# --- the example's sources: External Secrets delivers every secret its values name ---------------

ADMIN_SECRET_ENTRY = """\
  keycloak-admin:
    keys:
      password: {key: "${env.name}/keycloak/admin", property: password}
"""
DELIVERED = {
    KEYCLOAK: ("keycloak-admin",),
    RETOOL: ("retool-license", "retool-encryption-key", "retool-jwt"),
    MONITORING: ("grafana-admin", "grafana-oidc"),
}


def declare_outside(repo: Path, file: str, names: tuple[str, ...]) -> None:
    """The app's `secrets:` taken out: its Secrets are declared created outside the repository."""
    entries = "".join(
        f"  - name: {name}\n    reason: created by the platform team's vault sync\n"
        for name in names
    )
    text = (repo / file).read_text(encoding="utf-8")
    before, after = text.split("\nsecrets:\n")
    kept = after[after.index("\nvalues:\n") :]
    (repo / file).write_text(before + kept + "providedSecrets:\n" + entries, encoding="utf-8")


def all_declared(repo: Path) -> None:
    for file, names in DELIVERED.items():
        declare_outside(repo, file, names)
    rerender(repo)


def undelivered_admin(repo: Path) -> None:
    """Keycloak's `secrets:` no longer delivers the admin secret (it was its only entry)."""
    edit(repo, KEYCLOAK, "secrets:\n" + ADMIN_SECRET_ENTRY, "")
    rerender(repo)


def admin_secret_of_monitoring(repo: Path) -> None:
    """The admin secret is declared in the monitoring app's `secrets:`, so External Secrets
    delivers it into namespace monitoring, not keycloak."""
    edit(repo, KEYCLOAK, "secrets:\n" + ADMIN_SECRET_ENTRY, "")
    edit(repo, MONITORING, "secrets:\n", "secrets:\n" + ADMIN_SECRET_ENTRY)
    rerender(repo)


def cross_namespace_reported(repo: Path) -> list[Row]:
    line = line_of(repo, KEYCLOAK, "existingSecret: keycloak-admin")
    message = (
        "app keycloak (bootstrapAdmin.existingSecret): Secret keycloak-admin is not provided "
        "in namespace keycloak (provided in namespace monitoring by ExternalSecret "
        "monitoring/keycloak-admin, not in keycloak)"
    )
    return [(RULE, "error", KEYCLOAK, line, message, env, "keycloak") for env in ENVS]


def delivered_with_another_key(repo: Path) -> None:
    """The admin secret is delivered with the key admin-password, and the values read another."""
    edit(repo, KEYCLOAK, "      password: {key:", "      admin-password: {key:")
    rerender(repo)


def wrong_key_reported(repo: Path) -> list[Row]:
    line = line_of(repo, KEYCLOAK, "existingSecret: keycloak-admin")
    message = (
        "app keycloak (bootstrapAdmin.existingSecret): Secret keycloak-admin in namespace keycloak "
        "has no key password (ExternalSecret keycloak/keycloak-admin provides admin-password)"
    )
    return [(RULE, "error", KEYCLOAK, line, message, env, "keycloak") for env in ENVS]


NOT_DECLARED = (
    "app keycloak (bootstrapAdmin.existingSecret): Secret keycloak-admin is not provided in "
    "namespace keycloak: nothing in the environment provides a Secret of that name (declare it "
    "under providedSecrets if it is created outside the repository)"
)


def undelivered_reported(repo: Path) -> list[Row]:
    line = line_of(repo, KEYCLOAK, "existingSecret: keycloak-admin")
    return [(RULE, "error", KEYCLOAK, line, NOT_DECLARED, env, "keycloak") for env in ENVS]


def created_by_the_chart(repo: Path) -> None:
    """The chart's profile says its own job creates the admin secret."""
    undelivered_admin(repo)
    text = (repo / KEYCLOAK_PROFILE).read_text(encoding="utf-8")
    created = "creates:\n  secrets:\n    - {name: keycloak-admin, keys: [password]}\n"
    (repo / KEYCLOAK_PROFILE).write_text(text + created, encoding="utf-8")


CASES = [
    pytest.param(Case(unchanged, no_findings), id="delivered-PASSED"),
    pytest.param(Case(all_declared, no_findings), id="declared-PASSED"),
    pytest.param(Case(created_by_the_chart, no_findings), id="created-by-the-chart-PASSED"),
    pytest.param(Case(undelivered_admin, undelivered_reported), id="nothing-provides-FAILED"),
    pytest.param(
        Case(admin_secret_of_monitoring, cross_namespace_reported), id="cross-namespace-FAILED"
    ),
    pytest.param(Case(delivered_with_another_key, wrong_key_reported), id="declared-keys-FAILED"),
]


@pytest.mark.parametrize("case", CASES)
def test_example_repository(tmp_path: Path, case: Case) -> None:
    repo = copy_example(tmp_path)
    case.mutate(repo)
    applying = [f for f in rule_findings(secret_reference, repo) if not f.excepted]
    assert rows(applying) == case.expected(repo)


def test_a_declared_secret_is_reported_excepted_with_its_reason(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    all_declared(repo)
    found = [f for f in rule_findings(secret_reference, repo) if f.app == "keycloak"]
    declared = "providedSecrets of app keycloak: created by the platform team's vault sync"
    expected = [
        (
            KEYCLOAK,
            line_of(repo, KEYCLOAK, "existingSecret: keycloak-admin"),
            "app keycloak (bootstrapAdmin.existingSecret): Secret keycloak-admin in namespace "
            f"keycloak is provided outside the repository ({declared})",
            env,
            True,
        )
        for env in ENVS
    ]
    assert [(f.file, f.line, f.message, f.env, f.excepted) for f in found] == expected


# --- manifests ------------------------------------------------------------------------------------

CLUSTER = """\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: keycloak-db, namespace: database}
spec:
  instances: 1
  storage: {size: 1Gi}
"""


def deployment(namespace: str, pod: str) -> str:
    indented = "".join(f"      {line}\n" for line in pod.splitlines())
    return (
        "---\napiVersion: apps/v1\nkind: Deployment\n"
        f"metadata: {{name: app, namespace: {namespace}}}\n"
        "spec:\n  selector: {matchLabels: {app: app}}\n  template:\n"
        "    metadata: {labels: {app: app}}\n    spec:\n" + indented
    )


def reads(name: str, key: str, optional: str = "") -> str:
    return (
        "containers:\n  - name: app\n    image: app:1\n    env:\n      - name: VALUE\n"
        f"        valueFrom: {{secretKeyRef: {{name: {name}, key: {key}{optional}}}}}\n"
    )


SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: app-credentials, namespace: apps}
stringData: {password: x}
"""
EXTERNAL_SECRET = """\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app-credentials, namespace: apps}
spec:
  secretStoreRef: {name: aws, kind: ClusterSecretStore}
  target: {name: app-db}
  data: [{secretKey: password, remoteRef: {key: app-db}}]
"""
SEALED_SECRET = """\
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: app-credentials, namespace: apps}
spec:
  encryptedData: {password: AgBy3i4OJSWK}
"""
CERTIFICATE = """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: app, namespace: apps}
spec:
  secretName: app-tls
  dnsNames: [app.example.com]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
"""
ANNOTATED_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app
  namespace: apps
  annotations: {cert-manager.io/cluster-issuer: letsencrypt}
spec:
  tls: [{hosts: [app.example.com], secretName: app-tls}]
"""
EVERY_KIND = """\
imagePullSecrets: [{name: registry}]
volumes:
  - name: certs
    secret: {secretName: certs}
  - name: bundle
    projected:
      sources:
        - secret: {name: bundle, items: [{key: ca.crt, path: ca.crt}]}
containers:
  - name: app
    image: app:1
    envFrom:
      - secretRef: {name: settings}
"""
OPTIONAL = """\
volumes:
  - name: certs
    secret: {secretName: certs, optional: true}
containers:
  - name: app
    image: app:1
    envFrom:
      - secretRef: {name: settings, optional: true}
"""

ALL = ("--references",)
KEYS = ", ".join(
    sorted(
        [
            "dbname",
            "fqdn-jdbc-uri",
            "fqdn-uri",
            "host",
            "jdbc-uri",
            "password",
            "pgpass",
            "port",
            "uri",
            "user",
            "username",
        ]
    )
)
USER = "Deployment/apps/app"


def not_provided(name: str, user: str = USER, namespace: str = "apps") -> str:
    return (
        f"{user}: Secret {name} is not provided in namespace {namespace}: nothing in the "
        "environment provides a Secret of that name (declare it under providedSecrets if it is "
        "created outside the repository)"
    )


MANIFEST_CASES = [
    pytest.param(
        SECRET + deployment("apps", reads("app-credentials", "password")),
        ALL,
        [],
        id="secret-PASSED",
    ),
    pytest.param(
        EXTERNAL_SECRET + deployment("apps", reads("app-db", "password")),
        ALL,
        [],
        id="external-secret-target-PASSED",
    ),
    pytest.param(
        SEALED_SECRET + deployment("apps", reads("app-credentials", "password")),
        ALL,
        [],
        id="sealed-secret-PASSED",
    ),
    pytest.param(
        CERTIFICATE + deployment("apps", reads("app-tls", "tls.key")),
        ALL,
        [],
        id="certificate-PASSED",
    ),
    pytest.param(
        ANNOTATED_INGRESS + deployment("apps", reads("app-tls", "tls.crt")),
        ALL,
        [],
        id="ingress-tls-issued-by-cert-manager-PASSED",
    ),
    pytest.param(
        CLUSTER + deployment("database", reads("keycloak-db-app", "uri")),
        ALL,
        [],
        id="cloudnative-pg-app-secret-PASSED",
    ),
    pytest.param(deployment("apps", OPTIONAL), ALL, [], id="optional-PASSED"),
    pytest.param(
        deployment("apps", reads("app-credentials", "password")).replace(
            "metadata: {name: app, namespace: apps}",
            "metadata:\n  name: app\n  namespace: apps\n  annotations: {helm.sh/hook: test}",
        ),
        ALL,
        [],
        id="helm-test-hook-PASSED",
    ),
    pytest.param(
        deployment("apps", reads("app-credentials", "password")),
        (),
        [],
        id="partial-stream-missing-secret-PASSED",
    ),
]


@pytest.mark.parametrize(("text", "options", "expected"), MANIFEST_CASES)
def test_manifests_pass(
    tmp_path: Path, text: str, options: tuple[str, ...], expected: list[tuple[int, str]]
) -> None:
    assert manifest_findings(tmp_path, RULE, text, *options) == expected


def test_manifests_cross_namespace(tmp_path: Path) -> None:
    text = CLUSTER + deployment("keycloak", reads("keycloak-db-app", "password"))
    message = (
        "Deployment/keycloak/app: Secret keycloak-db-app is not provided in namespace keycloak "
        "(provided in namespace database by CloudNativePG Cluster keycloak-db, not in keycloak)"
    )
    line = line_in(text, "secretKeyRef")
    assert manifest_findings(tmp_path, RULE, text, *ALL) == [(line, message)]


@pytest.mark.parametrize("options", [ALL, ()], ids=["whole-FAILED", "partial-stream-FAILED"])
def test_manifests_wrong_key_of_a_cloudnative_pg_secret(
    tmp_path: Path, options: tuple[str, ...]
) -> None:
    text = CLUSTER + deployment("database", reads("keycloak-db-app", "pass"))
    message = (
        "Deployment/database/app: Secret keycloak-db-app in namespace database has no key pass "
        f"(CloudNativePG Cluster keycloak-db provides {KEYS})"
    )
    line = line_in(text, "secretKeyRef")
    assert manifest_findings(tmp_path, RULE, text, *options) == [(line, message)]


def test_manifests_every_kind_of_reference(tmp_path: Path) -> None:
    text = deployment("apps", EVERY_KIND)
    expected = [
        (line_in(text, "imagePullSecrets"), not_provided("registry")),
        (line_in(text, "secretName: certs"), not_provided("certs")),
        (line_in(text, "name: bundle, items"), not_provided("bundle")),
        (line_in(text, "secretRef: {name: settings}"), not_provided("settings")),
    ]
    assert manifest_findings(tmp_path, RULE, text, *ALL) == sorted(expected)


def test_superuser_secret_only_with_superuser_access(tmp_path: Path) -> None:
    text = CLUSTER + deployment("database", reads("keycloak-db-superuser", "password"))
    line = line_in(text, "secretKeyRef")
    message = not_provided("keycloak-db-superuser", "Deployment/database/app", "database")
    assert manifest_findings(tmp_path, RULE, text, *ALL) == [(line, message)]
    enabled = text.replace("instances: 1\n", "instances: 1\n  enableSuperuserAccess: true\n")
    assert manifest_findings(tmp_path, RULE, enabled, *ALL) == []


def test_references_goes_with_manifests(tmp_path: Path) -> None:

    result = CliRunner().invoke(cli, ["--repo", str(tmp_path), "validate", "--references"])
    assert (result.exit_code, result.output.strip().splitlines()[-1]) == (
        2,
        "error: --references goes with --manifests",
    )


# --- with --helm: the rendered objects of the whole environment -----------------------------------

READER_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: reader\nversion: 0.1.0\n",
    "templates/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels: {app: reader}
  template:
    metadata:
      labels: {app: reader}
    spec:
      containers:
        - name: reader
          image: registry.example.com/reader:1.0.0
          env:
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: {{ .Values.database.secret }}
                  key: uri
            - name: TOKEN
              valueFrom:
                secretKeyRef:
                  name: reader-token
                  key: token
""",
}
ADMIN_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: keycloak-admin
  namespace: keycloak
stringData:
  password: {{ .Values.adminPassword | quote }}
"""
READER_APP = """\
description: reads the database's credentials and a token
chart:
  path: charts/reader
namespace: reader
values:
  database:
    secret: keycloak-db-app
"""


def reader_app(repo: Path) -> None:
    """An app whose chart reads two secrets, and renders Keycloak's admin secret, which the
    sources no longer deliver."""
    undelivered_admin(repo)
    chart = {**READER_CHART, "templates/secret.yaml": ADMIN_SECRET}
    for relative, text in chart.items():
        (repo / "charts/reader" / relative).parent.mkdir(parents=True, exist_ok=True)
        (repo / "charts/reader" / relative).write_text(text, encoding="utf-8")
    (repo / "sources/apps/reader.yaml").write_text(READER_APP, encoding="utf-8")
    with (repo / "sources/environments/prod.yaml").open("a", encoding="utf-8") as env:
        env.write("  reader:\n")
    rerender(repo)


def validate(repo: Path, *options: str) -> tuple[int, list[tuple[str, int, str]]]:
    path = f"{find_helm(PROJECT).parent}{os.pathsep}{os.environ['PATH']}"
    command = [sys.executable, str(PROJECT / "render.py"), "--repo", str(repo), "validate"]
    result = subprocess.run(
        [*command, "--env", "prod", "--format", "json", *options],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
        check=False,
    )
    found = [
        (f["file"], f["line"], f["message"])
        for f in json.loads(result.stdout)["findings"]
        if f["rule"] == RULE and not f["excepted"]
    ]
    return result.returncode, found


def test_helm_reports_rendered_references_at_their_source_and_template_lines(
    tmp_path: Path,
) -> None:
    repo = copy_example(tmp_path / "repo")
    reader_app(repo)

    code, found = validate(repo, "--helm")

    template = READER_CHART["templates/deployment.yaml"]
    assert (code, found) == (
        1,
        [
            (
                "charts/reader/templates/deployment.yaml",
                line_in(template, "name: reader-token"),
                "Deployment/reader/reader: Secret reader-token is not "
                "provided in namespace reader: nothing in the environment provides a Secret of "
                "that name (declare it under providedSecrets if it is created outside the "
                "repository)",
            ),
            (
                "sources/apps/reader.yaml",
                line_in(READER_APP, "secret: keycloak-db-app"),
                "Deployment/reader/reader: Secret keycloak-db-app is not provided in namespace "
                "reader (provided in namespace database by CloudNativePG Cluster keycloak-db, "
                "not in reader)",
            ),
        ],
    )


def test_manifests_with_env_count_what_the_sources_declare(tmp_path: Path) -> None:

    repo = copy_example(tmp_path / "repo")
    declare_outside(repo, KEYCLOAK, DELIVERED[KEYCLOAK])
    rerender(repo)
    text = deployment("keycloak", reads("keycloak-admin", "password")) + deployment(
        "keycloak", reads("retool-license", "license-key")
    ).replace("name: app,", "name: other,")
    file = tmp_path / "objects.yaml"
    file.write_text(text, encoding="utf-8")
    arguments = ["--repo", str(repo), "validate", "--manifests", str(file), "--env", "dev"]
    result = CliRunner().invoke(cli, [*arguments, "--references", "--format", "json"])

    found = [
        (f["line"], f["message"], f["excepted"])
        for f in json.loads(result.stdout)["findings"]
        if f["rule"] == RULE
    ]
    assert found == [
        (
            line_in(text, "name: keycloak-admin"),
            "Deployment/keycloak/app: Secret keycloak-admin in namespace keycloak is provided "
            "outside the repository (providedSecrets of app keycloak: created by the platform "
            "team's vault sync)",
            True,
        ),
        (
            line_in(text, "name: retool-license"),
            "Deployment/keycloak/other: Secret retool-license is not provided in namespace "
            "keycloak (provided in namespace retool by ExternalSecret retool/retool-license, not "
            "in keycloak)",
            False,
        ),
    ]


def test_without_helm_a_secret_only_a_chart_renders_is_not_known(tmp_path: Path) -> None:
    repo = copy_example(tmp_path / "repo")
    reader_app(repo)

    assert validate(repo) == (
        1,
        [(KEYCLOAK, line_of(repo, KEYCLOAK, "existingSecret: keycloak-admin"), NOT_DECLARED)],
    )
