"""Secrets by construction: what apps declare under `secrets:`, and each database's credentials,
become ExternalSecrets of the platform's secret store (README, "Secrets").

Expected values come from the sources: sources/platform.yaml names the store
`aws-secrets-manager` with `refreshInterval: 1h` in `eu-west-1`; sources/apps/keycloak.yaml
declares `keycloak-admin` and the database `keycloak-db` (owner `keycloak`); a database's
credentials live under `<env>/databases/<db>` and arrive as `<db>-credentials`. Charts are
rendered by the real, pinned Helm.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitopsctl.pipeline import load_and_render
from gitopsctl.render.helm import find_helm, template
from gitopsctl.subjects.records import Location, ProvidedSecret
from gitopsctl.subjects.repository import declared_providers, repository_environments
from tests.conftest import PROJECT, invoke_cli, output_snapshot, project_rendering
from tests.support import edit, line_of

KEYCLOAK = "sources/apps/keycloak.yaml"
MONITORING = "sources/apps/monitoring.yaml"
RETOOL = "sources/apps/retool.yaml"
PLATFORM = "sources/platform.yaml"
STORE = {"kind": "ClusterSecretStore", "name": "aws-secrets-manager"}
DB_KEYS = frozenset({"username", "password"})


def _objects(chart: str, release: str, namespace: str, values: str) -> list[dict[str, Any]]:
    text = template(find_helm(PROJECT), PROJECT / chart, release, namespace, [PROJECT / values])
    return [document for document in yaml.safe_load_all(text) if document]


def _credentials(remote: str) -> dict[str, Any]:
    return {
        "type": "kubernetes.io/basic-auth",
        "data": {
            "password": {"key": remote, "property": "password"},
            "username": {"key": remote, "property": "username"},
        },
    }


# --- what the renderer writes --------------------------------------------------------------------


def test_an_apps_secrets_are_one_application_of_external_secrets_in_its_namespace() -> None:
    keycloak = project_rendering().environments["prod"].apps["keycloak-secrets"]

    assert keycloak.values.data == {
        "secretStore": STORE,
        "refreshInterval": "1h",
        "externalSecrets": {
            "keycloak-admin": {
                "data": {"password": {"key": "prod/keycloak/admin", "property": "password"}}
            },
            "keycloak-db-credentials": _credentials("prod/databases/keycloak-db"),
        },
    }
    assert (keycloak.unit.kind, keycloak.unit.namespace) == ("secrets", "keycloak")
    assert keycloak.application["spec"]["sources"][0]["path"] == "charts/app-secrets"


def test_each_environment_reads_its_own_remote_keys() -> None:
    environments = project_rendering().environments
    monitoring = {env: environments[env].apps["monitoring-secrets"] for env in ("dev", "prod")}

    assert {env: app.values.data["externalSecrets"] for env, app in monitoring.items()} == {
        env: {
            "grafana-admin": {
                "data": {
                    "admin-password": {"key": f"{env}/grafana/admin", "property": "password"},
                    "admin-user": {"key": f"{env}/grafana/admin", "property": "username"},
                }
            },
            "grafana-oidc": {
                "data": {
                    "client-secret": {
                        "key": f"{env}/keycloak/clients/grafana",
                        "property": "client-secret",
                    }
                }
            },
        }
        for env in ("dev", "prod")
    }


def test_a_key_without_a_property_reads_the_whole_remote_value(example_repo: Path) -> None:
    old = '      license-key: {key: "${env.name}/retool", property: license-key}\n'
    edit(example_repo, RETOOL, old, "      license-key: ${env.name}/retool/license\n")

    retool = load_and_render(example_repo, ["dev"]).environments["dev"].apps["retool-secrets"]

    assert retool.values.data["externalSecrets"]["retool-license"] == {
        "data": {"license-key": {"key": "dev/retool/license"}}
    }


def test_a_database_gets_its_credentials_from_the_store() -> None:
    database = project_rendering().environments["staging"].apps["keycloak-db"]

    assert database.values.data["credentials"] == {
        "secretName": "keycloak-db-credentials",
        "remoteKey": "staging/databases/keycloak-db",
        "secretStore": STORE,
        "refreshInterval": "1h",
    }


def test_the_app_syncs_after_its_secrets_and_they_after_the_store() -> None:
    apps = project_rendering().environments["prod"].apps
    waves = {name: apps[name].wave for name in ("external-secrets", "secret-store")}
    waves |= {name: apps[name].wave for name in ("keycloak-secrets", "keycloak-db", "keycloak")}

    assert waves == {
        "external-secrets": 1,
        "secret-store": 2,
        "keycloak-secrets": 3,
        "keycloak-db": 3,
        "keycloak": 4,
    }
    assert apps["keycloak-secrets"].unit.depends_on == ("secret-store",)
    assert apps["keycloak-db"].unit.depends_on == ("cloudnative-pg", "secret-store")


# --- variables ----------------------------------------------------------------------------------


def test_db_variables_name_the_secret_delivered_into_the_apps_namespace() -> None:
    apps = project_rendering().environments["prod"].apps

    assert apps["keycloak"].values.data["database"] == {
        "vendor": "postgres",
        "hostname": "keycloak-db-rw.database.svc.cluster.local",
        "port": 5432,
        "database": "keycloak",
        "username": "keycloak",
        "existingSecret": "keycloak-db-credentials",
        "existingSecretKey": "password",
    }
    postgresql = apps["retool"].values.data["config"]["postgresql"]
    assert (postgresql["passwordSecretName"], postgresql["passwordSecretKey"]) == (
        "retool-db-credentials",
        "password",
    )


def test_without_a_secret_store_databases_keep_cloudnative_pgs_own_secret(
    example_repo: Path,
) -> None:
    for file in (PLATFORM, KEYCLOAK, MONITORING, RETOOL):
        _remove_block(example_repo, file, "secrets")
    edit(example_repo, "sources/environments/dev.yaml", "  secret-store:\n", "")
    probe = "    username: ${db.keycloak-db.usernameKey}/${db.keycloak-db.secret}\n"
    edit(example_repo, KEYCLOAK, "    username: ${db.keycloak-db.owner}\n", probe)

    apps = load_and_render(example_repo, ["dev"]).environments["dev"].apps

    assert apps["keycloak"].values.data["database"]["username"] == "username/keycloak-db-app"
    assert [name for name, app in apps.items() if app.unit.kind == "secrets"] == []
    assert "credentials" not in apps["keycloak-db"].values.data


# --- the charts, rendered by Helm ---------------------------------------------------------------


def test_app_secrets_chart_renders_one_external_secret_per_secret() -> None:
    objects = _objects(
        "charts/app-secrets",
        "keycloak-secrets",
        "keycloak",
        "rendered/prod/keycloak-secrets/values.yaml",
    )

    assert objects == [
        _external_secret(
            "keycloak-admin",
            [("password", "prod/keycloak/admin", "password")],
        ),
        _external_secret(
            "keycloak-db-credentials",
            [
                ("password", "prod/databases/keycloak-db", "password"),
                ("username", "prod/databases/keycloak-db", "username"),
            ],
            secret_type="kubernetes.io/basic-auth",
        ),
    ]


def _external_secret(
    name: str, data: list[tuple[str, str, str]], secret_type: str | None = None
) -> dict[str, Any]:
    target: dict[str, Any] = {"name": name, "creationPolicy": "Owner"}
    if secret_type is not None:
        target["template"] = {"type": secret_type}
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {
            "name": name,
            "namespace": "keycloak",
            "labels": {
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/part-of": "keycloak-secrets",
            },
        },
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": STORE,
            "target": target,
            "data": [
                {"secretKey": key, "remoteRef": {"key": remote, "property": prop}}
                for key, remote, prop in data
            ],
        },
    }


def test_database_chart_bootstraps_and_manages_the_owner_from_the_delivered_secret() -> None:
    objects = _objects(
        "charts/cnpg-cluster", "keycloak-db", "database", "rendered/prod/keycloak-db/values.yaml"
    )
    [secret] = [found for found in objects if found["kind"] == "ExternalSecret"]
    [cluster] = [found for found in objects if found["kind"] == "Cluster"]

    assert secret["metadata"]["annotations"] == {"argocd.argoproj.io/sync-wave": "-1"}
    assert secret["spec"] == {
        "refreshInterval": "1h",
        "secretStoreRef": STORE,
        "target": {
            "name": "keycloak-db-credentials",
            "creationPolicy": "Owner",
            "template": {"type": "kubernetes.io/basic-auth"},
        },
        "data": [
            {
                "secretKey": key,
                "remoteRef": {"key": "prod/databases/keycloak-db", "property": key},
            }
            for key in ("username", "password")
        ],
    }
    assert cluster["spec"]["bootstrap"] == {
        "initdb": {
            "database": "keycloak",
            "owner": "keycloak",
            "secret": {"name": "keycloak-db-credentials"},
        }
    }
    assert cluster["spec"]["managed"] == {
        "roles": [
            {
                "name": "keycloak",
                "ensure": "present",
                "login": True,
                "passwordSecret": {"name": "keycloak-db-credentials"},
            }
        ]
    }


def test_secret_store_chart_renders_the_cluster_secret_store() -> None:
    objects = _objects(
        "charts/secret-store",
        "secret-store",
        "external-secrets",
        "rendered/prod/secret-store/values.yaml",
    )

    assert objects == [
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ClusterSecretStore",
            "metadata": {"name": "aws-secrets-manager"},
            "spec": {"provider": {"aws": {"service": "SecretsManager", "region": "eu-west-1"}}},
        }
    ]


# --- what the rules are told --------------------------------------------------------------------


# namespace, Secret, its keys, the source file and the line (its text) that declares it, and the
# Application whose rendered values deliver it
PROVIDED = [
    ("database", "keycloak-db-credentials", DB_KEYS, KEYCLOAK, "  keycloak-db:", "keycloak-db"),
    ("database", "retool-db-credentials", DB_KEYS, RETOOL, "  retool-db:", "retool-db"),
    ("keycloak", "keycloak-admin", {"password"}, KEYCLOAK, "  keycloak-admin:", "keycloak-secrets"),
    (
        "keycloak",
        "keycloak-db-credentials",
        DB_KEYS,
        KEYCLOAK,
        "  keycloak-db:",
        "keycloak-secrets",
    ),
    (
        "monitoring",
        "grafana-admin",
        {"admin-user", "admin-password"},
        MONITORING,
        "  grafana-admin:",
        "monitoring-secrets",
    ),
    (
        "monitoring",
        "grafana-oidc",
        {"client-secret"},
        MONITORING,
        "  grafana-oidc:",
        "monitoring-secrets",
    ),
    ("retool", "retool-db-credentials", DB_KEYS, RETOOL, "  retool-db:", "retool-secrets"),
    (
        "retool",
        "retool-encryption-key",
        {"encryption-key"},
        RETOOL,
        "  retool-encryption-key:",
        "retool-secrets",
    ),
    ("retool", "retool-jwt", {"jwt-secret"}, RETOOL, "  retool-jwt:", "retool-secrets"),
    ("retool", "retool-license", {"license-key"}, RETOOL, "  retool-license:", "retool-secrets"),
]


def test_every_delivered_secret_is_provided_at_the_line_that_declares_it() -> None:
    [prod] = [
        env for env in repository_environments(PROJECT, project_rendering()) if env.name == "prod"
    ]

    assert sorted(prod.provided_secrets) == [
        ProvidedSecret(
            namespace,
            name,
            frozenset(keys),
            f"ExternalSecret {namespace}/{name}",
            Location(file, line_of(PROJECT, file, text), 3, f"rendered/prod/{unit}/values.yaml"),
        )
        for namespace, name, keys, file, text, unit in PROVIDED
    ]


def test_every_mode_is_told_the_delivered_secrets_by_the_sources() -> None:
    """`validate --manifests --env` and `--helm` take what the sources declare from
    `declared_providers`, as repository mode does."""
    rendering = project_rendering()
    [prod] = [env for env in repository_environments(PROJECT, rendering) if env.name == "prod"]

    declared = [
        secret
        for app in rendering.environments["prod"].apps.values()
        for secret in declared_providers(rendering.model, app)[1]
    ]

    assert declared == prod.provided_secrets


# --- unusable declarations: exit 2 at the line ---------------------------------------------------


def _remove_block(repo: Path, file: str, key: str) -> None:
    """Remove a top-level key and everything indented under it."""
    path = repo / file
    text, count = re.subn(rf"(?m)^{key}:\n(?:[ #].*\n)*", "", path.read_text(encoding="utf-8"))
    assert count == 1, f"no top-level {key}: in {file}"
    path.write_text(text, encoding="utf-8")


ADMIN = '      password: {key: "${env.name}/keycloak/admin", property: password}\n'
SECRET_SCHEMA = f"{KEYCLOAK}:%d:%d: secrets.keycloak-admin"
PATTERN_NAME = r"'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'"

INVALID = [
    pytest.param(
        "  keycloak-admin:\n",
        "  Keycloak_Admin:\n",
        3,
        f"{KEYCLOAK}:%d:%d: secrets: 'Keycloak_Admin' does not match {PATTERN_NAME}",
        id="secret-name-not-a-subdomain",
    ),
    pytest.param(
        ADMIN,
        ADMIN.replace("password:", "pass word:", 1),
        7,
        SECRET_SCHEMA + ".keys: 'pass word' does not match '^[-._a-zA-Z0-9]+$'",
        id="key-name-not-a-secret-key",
    ),
    pytest.param(
        ADMIN,
        "      password: 42\n",
        7,
        SECRET_SCHEMA + ".keys.password: 42 is not of type 'string', 'object'",
        id="remote-key-a-number",
    ),
    pytest.param(
        ADMIN,
        "      password: {property: password}\n",
        7,
        SECRET_SCHEMA + ".keys.password: 'key' is a required property",
        id="remote-key-without-key",
    ),
    pytest.param(
        ADMIN,
        ADMIN.replace("property: password}", "property: password, version: 2}"),
        73,
        SECRET_SCHEMA + ".keys.password: unknown key 'version' (allowed: key, property)",
        id="remote-key-unknown-field",
    ),
    pytest.param(
        "    keys:\n" + ADMIN,
        "    keys: {}\n",
        5,
        SECRET_SCHEMA + ".keys: {} should be non-empty",
        id="no-keys",
    ),
    pytest.param(
        "    keys:\n",
        "    refresh: 1m\n    keys:\n",
        5,
        SECRET_SCHEMA + ": unknown key 'refresh' (allowed: keys)",
        id="unknown-field",
    ),
    pytest.param(
        "  keycloak-admin:\n",
        "  keycloak-db-credentials:\n",
        3,
        f"{KEYCLOAK}:%d:%d: secret 'keycloak-db-credentials' is delivered into namespace "
        f"'keycloak' twice (also by {KEYCLOAK}:16): two ExternalSecrets would own one Secret; "
        "rename one",
        id="same-secret-as-a-database",
    ),
]


@pytest.mark.parametrize(("old", "new", "column", "message"), INVALID)
def test_a_malformed_declaration_exits_2_at_its_line(
    example_repo: Path, old: str, new: str, column: int, message: str
) -> None:
    line = edit(example_repo, KEYCLOAK, old, new)
    before = output_snapshot(example_repo)

    result = invoke_cli(example_repo, "render")

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"error: {message % (line, column)}\n"
    assert output_snapshot(example_repo) == before


def test_an_undefined_variable_in_a_remote_key_is_an_error_at_the_key(example_repo: Path) -> None:
    line = edit(example_repo, KEYCLOAK, ADMIN, ADMIN.replace("env.name", "env.region"))

    result = invoke_cli(example_repo, "render", "--env", "dev")

    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: {KEYCLOAK}:{line}:7: undefined variable ${{env.region}} (defined here: "
    )


def test_secrets_without_a_secret_store_are_an_error_at_the_apps_secrets(
    example_repo: Path,
) -> None:
    _remove_block(example_repo, PLATFORM, "secrets")
    line = line_of(example_repo, KEYCLOAK, "secrets:")

    result = invoke_cli(example_repo, "render")

    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"error: {KEYCLOAK}:{line}:1: app 'keycloak' declares secrets, but {PLATFORM} names no "
        "secret store: add `secrets: {store, chart, providedBy}` there"
    )
