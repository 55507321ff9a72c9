"""db-connection: database hosts are the read-write service of a cluster of the environment."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitopsctl.rules import db_connection
from gitopsctl.rules.db_connection import check, words
from gitopsctl.subjects.records import DatabaseCluster, Environment, ValuesDocument
from tests.conftest import PROJECT, invoke_cli
from tests.support import (
    ENVS,
    Case,
    Row,
    edit,
    example_rows,
    line_of,
    located,
    no_findings,
    production_environment,
    rerender,
    unchanged,
)

RULE = "db-connection"
KEYCLOAK = "sources/apps/keycloak.yaml"
RETOOL = "sources/apps/retool.yaml"
PROD = "sources/environments/prod.yaml"
KEYCLOAK_VALUES = "rendered/prod/keycloak/values.yaml"
KEYCLOAK_HOST = "keycloak-db-rw.database.svc.cluster.local"
RETOOL_HOST = "retool-db-rw.database.svc.cluster.local"
EITHER = f"use {KEYCLOAK_HOST!r} or {RETOOL_HOST!r}"


def source_edit(name: str, old: str, new: str) -> Callable[[Path], None]:
    def mutate(repo: Path) -> None:
        edit(repo, name, old, new)
        rerender(repo)

    return mutate


def unknown_cluster_reported(repo: Path) -> list[Row]:
    line = line_of(repo, KEYCLOAK, "hostname: kc-db-rw")
    message = (
        "database host 'kc-db-rw.database.svc.cluster.local' at database.hostname "
        f"names no database cluster of this environment: {EITHER}"
    )
    return [(RULE, "error", KEYCLOAK, line, message, env, "keycloak") for env in ENVS]


def read_only_reported(repo: Path) -> list[Row]:
    line = line_of(repo, RETOOL, "host: retool-db-ro")
    message = (
        "database host 'retool-db-ro.database.svc.cluster.local' at config.postgresql.host "
        f"is not the read-write service of 'retool-db': use {RETOOL_HOST!r}"
    )
    return [(RULE, "error", RETOOL, line, message, env, "retool") for env in ENVS]


GRAFANA_DATABASE = (
    "        alertmanagerSpec:\n          replicas: 2\n"
    "      grafana:\n        grafana.ini:\n          database:\n"
    "            url: postgres://grafana@grafana-db-rw.database.svc.cluster.local:5432/grafana"
)


def url_reported(repo: Path) -> list[Row]:
    line = line_of(repo, PROD, "url: postgres://")
    message = (
        "database host 'grafana-db-rw.database.svc.cluster.local' at "
        f'grafana."grafana.ini".database.url names no database cluster of this environment: '
        f"{EITHER}"
    )
    return [(RULE, "error", PROD, line, message, "prod", "monitoring")]


def not_a_host_reported(kind: str) -> Callable[[Path], list[Row]]:
    shown = {"number": "the number 5432", "mapping": "a mapping"}[kind]

    def expected(repo: Path) -> list[Row]:
        line = line_of(repo, RETOOL, "      host: ")
        message = f"database host at config.postgresql.host is {shown}, not a host name"
        return [(RULE, "error", RETOOL, line, message, env, "retool") for env in ENVS]

    return expected


def hand_edit_namespace(repo: Path) -> None:
    edit(repo, KEYCLOAK_VALUES, KEYCLOAK_HOST, "keycloak-db-rw.keycloak.svc.cluster.local")


def committed_reported(repo: Path) -> list[Row]:
    line = line_of(repo, KEYCLOAK_VALUES, "keycloak-db-rw.keycloak")
    message = (
        "database host 'keycloak-db-rw.keycloak.svc.cluster.local' at database.hostname "
        f"is not the read-write service of 'keycloak-db': use {KEYCLOAK_HOST!r}"
    )
    return [(RULE, "error", KEYCLOAK_VALUES, line, message, "prod", "keycloak")]


CASES = [
    pytest.param(Case(unchanged, no_findings), id="example-PASSED"),
    pytest.param(
        Case(
            source_edit(KEYCLOAK, "${db.keycloak-db.host}", "kc-db-rw.database.svc.cluster.local"),
            unknown_cluster_reported,
        ),
        id="unknown-cluster-FAILED",
    ),
    pytest.param(
        Case(
            source_edit(RETOOL, "${db.retool-db.host}", "retool-db-ro.database.svc.cluster.local"),
            read_only_reported,
        ),
        id="read-only-service-FAILED",
    ),
    pytest.param(
        Case(
            source_edit(
                PROD, "        alertmanagerSpec:\n          replicas: 2\n", GRAFANA_DATABASE
            ),
            url_reported,
        ),
        id="host-inside-url-FAILED",
    ),
    pytest.param(Case(hand_edit_namespace, committed_reported), id="committed-namespace-FAILED"),
    pytest.param(
        Case(source_edit(RETOOL, "${db.retool-db.host}", "5432"), not_a_host_reported("number")),
        id="host-a-number-FAILED",
    ),
    pytest.param(
        Case(
            source_edit(RETOOL, "${db.retool-db.host}", "{name: retool-db}"),
            not_a_host_reported("mapping"),
        ),
        id="host-a-mapping-FAILED",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_example_repository(tmp_path: Path, case: Case) -> None:
    found, expected = example_rows(db_connection, tmp_path, case)
    assert found == expected


# --- hand-built subjects ---------------------------------------------------------------------


def cluster(name: str) -> DatabaseCluster:
    return DatabaseCluster(name, name, "database", 2, None, None, located, {})


def environment(values: dict[str, Any], *clusters: str) -> Environment:
    return production_environment(
        databases=[cluster(name) for name in clusters],
        values=[ValuesDocument("app", values, located)],
    )


def hits(env: Environment) -> list[tuple[str, str]]:
    return [(hit.location.file, hit.message) for hit in check(env, {})]


APP_HOST = "app-db-rw.database.svc.cluster.local"
USE_APP = f"use {APP_HOST!r}"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param({"externalDatabase": {"host": APP_HOST}}, [], id="exact-PASSED"),
        pytest.param(
            {"postgresql": {"host": f"{APP_HOST.upper()}.:5432"}}, [], id="case-dot-port-PASSED"
        ),
        pytest.param({"env": {"DATABASE_HOSTNAME": APP_HOST}}, [], id="key-naming-db-PASSED"),
        pytest.param(
            {"ingress": {"hostname": "db.platform.example.com"}, "mongodb": {"host": "mongo"}},
            [],
            id="not-a-database-path-PASSED",
        ),
        pytest.param(
            {"cache": {"url": "redis://redis-master.cache.svc.cluster.local:6379"}},
            [],
            id="not-a-cnpg-service-PASSED",
        ),
        pytest.param({"externalDatabase": {"host": "", "port": 5432}}, [], id="empty-PASSED"),
        pytest.param(  # bitnami's postgresql: a setting named like a host that is a flag
            {"postgresql": {"env": {"POSTGRESQL_LOG_HOSTNAME": "false"}}},
            [],
            id="flag-named-like-a-host-PASSED",
        ),
        pytest.param(
            {"db": {"host": "localhost"}},
            [
                (
                    "db.host",
                    "database host 'localhost' at db.host names no database cluster of this "
                    f"environment: {USE_APP}",
                )
            ],
            id="db-path-any-value-FAILED",
        ),
        pytest.param(
            {"config": {"dbHost": "app-db-r.database.svc.cluster.local"}},
            [
                (
                    "config.dbHost",
                    "database host 'app-db-r.database.svc.cluster.local' at config.dbHost is "
                    f"not the read-write service of 'app-db': {USE_APP}",
                )
            ],
            id="any-read-service-FAILED",
        ),
        pytest.param(
            {"database": {"host": "app-db"}},
            [
                (
                    "database.host",
                    "database host 'app-db' at database.host is not the read-write service of "
                    f"'app-db': {USE_APP}",
                )
            ],
            id="short-name-FAILED",
        ),
        pytest.param(
            {
                "extraEnv": [
                    {
                        "name": "JDBC_URL",
                        "value": "jdbc:postgresql://old-rw.database.svc.cluster.local/app",
                    }
                ]
            },
            [
                (
                    "extraEnv[0].value",
                    "database host 'old-rw.database.svc.cluster.local' at extraEnv[0].value "
                    f"names no database cluster of this environment: {USE_APP}",
                )
            ],
            id="inside-a-list-FAILED",
        ),
    ],
)
def test_hand_built(values: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert hits(environment(values, "app-db")) == expected


def test_environment_without_databases() -> None:
    env = environment({"externalDatabase": {"host": APP_HOST}})
    assert hits(env) == [
        (
            "externalDatabase.host",
            f"database host {APP_HOST!r} at externalDatabase.host names no database cluster: "
            "none is rendered in this environment",
        )
    ]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("externalDatabase", ["external", "database"]),
        ("DATABASE_HOSTNAME", ["database", "hostname"]),
        ("dbHost", ["db", "host"]),
        ("JWTSecret", ["jwt", "secret"]),
        ("auth.generic_oauth", ["auth", "generic", "oauth"]),
    ],
)
def test_words(key: str, expected: list[str]) -> None:
    assert list(words(key)) == expected


# --- manifests of one app, checked against the environment's databases ---------------------------

KEYCLOAK_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: keycloak, namespace: keycloak}
spec:
  selector: {matchLabels: {app: keycloak}}
  template:
    metadata: {labels: {app: keycloak}}
    spec:
      containers:
        - name: keycloak
          image: quay.io/keycloak/keycloak:26.0
          env:
            - name: KC_DB_URL_HOST
              value: keycloak-db-rw.database.svc.cluster.local
"""


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param(("--env", "dev"), [], id="cluster-of-the-environment-PASSED"),
        pytest.param(
            (),
            [
                (
                    14,
                    "database host 'keycloak-db-rw.database.svc.cluster.local' at KC_DB_URL_HOST"
                    " names no database cluster: none is rendered in this environment",
                )
            ],
            id="no-environment-no-cluster-FAILED",
        ),
    ],
)
def test_manifests_use_the_environments_databases(
    tmp_path: Path, options: tuple[str, ...], expected: list[tuple[int, str]]
) -> None:
    file = tmp_path / "keycloak.yaml"
    file.write_text(KEYCLOAK_DEPLOYMENT, encoding="utf-8")
    arguments = ("validate", "--manifests", str(file), "--format", "json", *options)
    result = invoke_cli(PROJECT, *arguments)
    found = [
        (finding["line"], finding["message"])
        for finding in json.loads(result.stdout)["findings"]
        if finding["rule"] == "db-connection"
    ]
    assert (found, result.exit_code) == (expected, 1 if expected else 0)
