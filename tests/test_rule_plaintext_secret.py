"""plaintext-secret: secrets in values are references, never literals (an error in production)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitopsctl.rules import plaintext_secret
from gitopsctl.rules.plaintext_secret import check, is_literal, names_secret
from gitopsctl.subjects.records import Environment, ValuesDocument
from tests.support import (
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

RULE = "plaintext-secret"
MONITORING = "sources/apps/monitoring.yaml"
PROD = "sources/environments/prod.yaml"
RETOOL_DEV_VALUES = "rendered/dev/retool/values.yaml"
CLIENT_SECRET = 'grafana."grafana.ini"."auth.generic_oauth".client_secret'
FIX = "holds a plain-text secret: keep it in a Kubernetes Secret and reference that instead"


def client_secret_in_prod(repo: Path) -> None:
    edit(
        repo,
        PROD,
        "        alertmanagerSpec:\n          replicas: 2\n",
        "        alertmanagerSpec:\n          replicas: 2\n      grafana:\n        grafana.ini:\n"
        "          auth.generic_oauth:\n            client_secret: s3cr3t",
    )
    rerender(repo)


def prod_error(repo: Path) -> list[Row]:
    line = line_of(repo, PROD, "client_secret: s3cr3t")
    return [(RULE, "error", PROD, line, f"{CLIENT_SECRET} {FIX}", "prod", "monitoring")]


def client_secret_everywhere(repo: Path) -> None:
    edit(
        repo,
        MONITORING,
        "client_id: grafana\n",
        "client_id: grafana\n        client_secret: s3cr3t\n",
    )
    rerender(repo)


def warning_but_error_in_prod(repo: Path) -> list[Row]:
    line = line_of(repo, MONITORING, "client_secret: s3cr3t")
    return [
        (RULE, severity, MONITORING, line, f"{CLIENT_SECRET} {FIX}", env, "monitoring")
        for env, severity in (("dev", "warning"), ("prod", "error"), ("staging", "warning"))
    ]


def hand_edit_license(repo: Path) -> None:
    edit(
        repo,
        RETOOL_DEV_VALUES,
        "  licenseKeySecretName: retool-license\n",
        "  licenseKeySecretName: retool-license\n  LICENSE_KEY: EXPIRES-2030\n",
    )


def license_warning(repo: Path) -> list[Row]:
    line = line_of(repo, RETOOL_DEV_VALUES, "LICENSE_KEY: EXPIRES-2030")
    message = f"config.LICENSE_KEY {FIX}"
    return [(RULE, "warning", RETOOL_DEV_VALUES, line, message, "dev", "retool")]


CASES = [
    pytest.param(Case(unchanged, no_findings), id="example-PASSED"),
    pytest.param(Case(client_secret_in_prod, prod_error), id="client-secret-in-prod-FAILED"),
    pytest.param(
        Case(client_secret_everywhere, warning_but_error_in_prod),
        id="client-secret-everywhere-FAILED",
    ),
    pytest.param(Case(hand_edit_license, license_warning), id="committed-license-key-FAILED"),
]


@pytest.mark.parametrize("case", CASES)
def test_example_repository(tmp_path: Path, case: Case) -> None:
    found, expected = example_rows(plaintext_secret, tmp_path, case)
    assert found == expected


# --- hand-built subjects ---------------------------------------------------------------------


def environment(values: dict[str, Any], **changes: Any) -> Environment:
    fields: dict[str, Any] = {
        "name": "dev",
        "tier": "development",
        "domain": "dev.platform.example.com",
        "issuer": "selfsigned-cluster-issuer",
        "issuers": frozenset({"selfsigned-cluster-issuer"}),
        "values": [ValuesDocument("app", values, located)],
    }
    return production_environment(**{**fields, **changes})


def flagged(values: dict[str, Any]) -> list[str]:
    hits = list(check(environment(values), {}))
    assert all(hit.message.endswith(FIX) and hit.app == "app" for hit in hits)
    return [hit.location.file for hit in hits]


REFERENCES: dict[str, Any] = {
    "auth": {"existingSecret": "keycloak-admin", "passwordSecretKey": "password"},
    "admin": {"existingSecret": "grafana-admin", "passwordKey": "admin-password"},
    "externalDatabase": {"existingSecretPasswordKey": "password"},
    "config": {
        "licenseKeySecretName": "retool-license",
        "licenseKeySecretKey": "license-key",
        "jwtSecretSecretName": "retool-jwt",
        "encryptionKeySecretName": "retool-encryption-key",
        "passwordSecret": "db-credentials",
        "tokenSecretRef": "api-token",
    },
    "envValueFrom": {"CLIENT_SECRET": {"secretKeyRef": {"name": "oidc", "key": "client-secret"}}},
    "envFromSecret": "grafana-env",
    "imagePullSecret": "registry",
    "grafana.ini": {
        "security": {"admin_password": "$__file{/etc/secrets/admin}"},
        "auth.generic_oauth": {"client_secret": "$__env{GF_CLIENT_SECRET}", "token_url": "x"},
        "database": {"password": ""},
    },
    "oidc": {"clientSecret": "$oidc.keycloak:clientSecret", "token": "${TOKEN}"},
    "extraEnv": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db"}}}],
    "featureToken": True,
    "password": None,
}

LITERALS: dict[str, Any] = {
    "auth": {"adminPassword": "hunter2"},
    "config": {"licenseKey": "EXAMPLE", "encryption_key": "k", "JWT_SECRET": "j"},
    "oidc": {"client-secret": "s"},
    "grafana.ini": {"security": {"secret_key": "signing-key"}},
    "extraEnv": [{"name": "API_TOKEN", "value": "t0k3n"}],
    "nested": [{"apiKey": "abc"}],
}


def test_references_pass() -> None:
    assert flagged(REFERENCES) == []


def test_literals_fail() -> None:
    assert flagged(LITERALS) == [
        "auth.adminPassword",
        "config.licenseKey",
        "config.encryption_key",
        "config.JWT_SECRET",
        "oidc.client-secret",
        '"grafana.ini".security.secret_key',
        "extraEnv[0].value",
        "nested[0].apiKey",
    ]


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("clientSecret", True),
        ("client_secret", True),
        ("LICENSE-KEY", True),
        ("licensekey", True),
        ("jwtSecret", True),
        ("encryptionKey", True),
        ("secret_key", True),
        ("passwordKey", False),
        ("passwordSecretKey", False),
        ("existingSecret", False),
        ("existingSecretPasswordKey", False),
        ("licenseKeySecretName", False),
        ("jwtSecretSecretName", False),
        ("secretRef", False),
        ("secretKeyRef", False),
        ("token_url", False),
        ("userKey", False),
    ],
)
def test_names_secret(key: str, secret: bool) -> None:
    assert names_secret(key) is secret


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("s3cr3t", True),
        ("pa$$word", True),
        ("$__file{/run/secrets/x}", False),
        ("$__env{X}", False),
        ("${X}", False),
        ("$argocd-secret:oidc.clientSecret", False),
        ("", False),
        ("  ", False),
        (None, False),
        (42, False),
        ({"secretKeyRef": {"name": "x"}}, False),
    ],
)
def test_is_literal(value: Any, literal: bool) -> None:
    assert is_literal(value) is literal
