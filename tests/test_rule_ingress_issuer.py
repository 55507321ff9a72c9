"""ingress-issuer: every TLS Ingress names its environment's ClusterIssuer, rendered there."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopsctl.rules import ingress_issuer
from gitopsctl.rules.ingress_issuer import check
from gitopsctl.subjects.records import Environment, Ingress, TlsEntry
from tests.support import (
    INGRESS,
    Case,
    Row,
    edit,
    example_rows,
    hand_built_ingress,
    line_of,
    no_findings,
    rerender,
    unchanged,
)
from tests.support import (
    ingress_environment as environment,
)

RULE = "ingress-issuer"
MONITORING = "sources/apps/monitoring.yaml"
PROD = "sources/environments/prod.yaml"
KEYCLOAK_VALUES = "rendered/prod/keycloak/values.yaml"


def missing(issuer: str) -> str:
    return (
        "ingress 'grafana' serves TLS without a cert-manager.io/cluster-issuer annotation: "
        f"set it to {issuer!r}"
    )


def remove_annotation(repo: Path) -> None:
    edit(
        repo,
        MONITORING,
        "  grafana:\n    admin:",
        "  grafana:\n    ingress:\n      annotations:\n"
        "        cert-manager.io/cluster-issuer: null\n    admin:",
    )
    rerender(repo)


def annotation_removed(repo: Path) -> list[Row]:
    # The removed key has no line of its own: the finding is at the mapping that removed it.
    line = line_of(repo, MONITORING, "annotations:")
    return [
        (RULE, "error", MONITORING, line, missing(issuer), env, "monitoring")
        for env, issuer in (
            ("dev", "selfsigned-cluster-issuer"),
            ("prod", "letsencrypt-prod"),
            ("staging", "letsencrypt-staging"),
        )
    ]


def dev_issuer_in_prod(repo: Path) -> None:
    edit(
        repo,
        PROD,
        "        alertmanagerSpec:\n          replicas: 2\n",
        "        alertmanagerSpec:\n          replicas: 2\n"
        "      grafana:\n        ingress:\n          annotations:\n"
        "            cert-manager.io/cluster-issuer: selfsigned-cluster-issuer",
    )
    rerender(repo)


def dev_issuer_reported(repo: Path) -> list[Row]:
    line = line_of(repo, PROD, "cert-manager.io/cluster-issuer: selfsigned-cluster-issuer")
    message = (
        "ingress 'grafana' names cluster issuer 'selfsigned-cluster-issuer', "
        "not the environment's 'letsencrypt-prod'"
    )
    return [(RULE, "error", PROD, line, message, "prod", "monitoring")]


def rename_cluster_issuer(repo: Path) -> None:
    edit(
        repo,
        PROD,
        "      acme:\n        server: https://acme-v02",
        "      name: letsencrypt\n      acme:\n        server: https://acme-v02",
    )
    rerender(repo)


def undefined_issuer_reported(repo: Path) -> list[Row]:
    """The annotation is injected from each app's ingress host entry."""
    message = (
        "ingress {!r} names cluster issuer 'letsencrypt-prod', "
        "which no ClusterIssuer rendered in this environment defines"
    )
    hits = [
        ("argocd", "server", "host: argocd."),
        ("keycloak", "main", "host: keycloak."),
        ("monitoring", "grafana", "host: grafana."),
        ("retool", "main", "host: retool."),
    ]
    return [
        (
            RULE,
            "error",
            f"sources/apps/{app}.yaml",
            line_of(repo, f"sources/apps/{app}.yaml", text),
            message.format(ingress),
            "prod",
            app,
        )
        for app, ingress, text in hits
    ]


def hand_edit_issuer(repo: Path) -> None:
    edit(
        repo,
        KEYCLOAK_VALUES,
        "cert-manager.io/cluster-issuer: letsencrypt-prod",
        "cert-manager.io/cluster-issuer: letsencrypt-staging",
    )


def hand_edit_reported(repo: Path) -> list[Row]:
    line = line_of(repo, KEYCLOAK_VALUES, "cert-manager.io/cluster-issuer")
    message = (
        "ingress 'main' names cluster issuer 'letsencrypt-staging', "
        "not the environment's 'letsencrypt-prod'"
    )
    return [(RULE, "error", KEYCLOAK_VALUES, line, message, "prod", "keycloak")]


RETOOL = "sources/apps/retool.yaml"


def annotations_a_list(repo: Path) -> None:
    edit(
        repo, RETOOL, "  replicaCount: 1\n", "  replicaCount: 1\n  ingress:\n    annotations: [a]\n"
    )
    rerender(repo)


def annotations_list_reported(repo: Path) -> list[Row]:
    """The list replaces the injected annotations: no issuer either."""
    line = line_of(repo, RETOOL, "annotations: [a]")
    wrong = "ingress 'main': ingress.annotations is a list, not a mapping"
    issuers = {"dev": "selfsigned-cluster-issuer", "prod": "letsencrypt-prod"}
    issuers["staging"] = "letsencrypt-staging"
    missing = (
        "ingress 'main' serves TLS without a cert-manager.io/cluster-issuer annotation: "
        "set it to {!r}"
    )
    return [
        row
        for env in ("dev", "prod", "staging")
        for row in (
            (RULE, "error", RETOOL, line, missing.format(issuers[env]), env, "retool"),
            (RULE, "error", RETOOL, line, wrong, env, "retool"),
        )
    ]


CASES = [
    pytest.param(Case(unchanged, no_findings), id="example-PASSED"),
    pytest.param(Case(remove_annotation, annotation_removed), id="annotation-removed-FAILED"),
    pytest.param(Case(dev_issuer_in_prod, dev_issuer_reported), id="dev-issuer-in-prod-FAILED"),
    pytest.param(
        Case(rename_cluster_issuer, undefined_issuer_reported), id="issuer-not-rendered-FAILED"
    ),
    pytest.param(Case(hand_edit_issuer, hand_edit_reported), id="committed-hand-edit-FAILED"),
    pytest.param(
        Case(annotations_a_list, annotations_list_reported), id="annotations-a-list-FAILED"
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_example_repository(tmp_path: Path, case: Case) -> None:
    found, expected = example_rows(ingress_issuer, tmp_path, case)
    assert found == expected


# --- hand-built subjects ---------------------------------------------------------------------


def ingress(
    annotations: dict[str, str] | None = None,
    *,
    tls: tuple[TlsEntry, ...] = (),
    tls_flag: bool = False,
) -> Ingress:
    return hand_built_ingress(
        "keycloak",
        annotations=annotations or {},
        hosts=(("keycloak.platform.example.com", (*INGRESS, "hostname")),),
        tls=tls,
        tls_flag=tls_flag,
        paths={
            "ingress": INGRESS,
            "annotations": (*INGRESS, "annotations"),
            "issuer": (*INGRESS, "annotations", "cert-manager.io/cluster-issuer"),
            "tls": (*INGRESS, "tls"),
        },
    )


def hits(env: Environment) -> list[tuple[str, str]]:
    return [(hit.location.file, hit.message) for hit in check(env, {})]


ISSUER_PATH = 'ingress.annotations."cert-manager.io/cluster-issuer"'
TLS_ENTRY = TlsEntry(("keycloak.platform.example.com",), "keycloak-tls", ("ingress", "tls", 0))
PROD_ISSUER = {"cert-manager.io/cluster-issuer": "letsencrypt-prod"}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param(environment(ingress(PROD_ISSUER, tls_flag=True)), [], id="flag-PASSED"),
        pytest.param(environment(ingress(PROD_ISSUER, tls=(TLS_ENTRY,))), [], id="list-PASSED"),
        pytest.param(environment(ingress()), [], id="without-tls-PASSED"),
        pytest.param(
            environment(
                ingress({"cert-manager.io/cluster-issuer": "anything"}, tls_flag=True),
                name=None,
                issuer=None,
                issuers=frozenset(),
            ),
            [],
            id="manifests-without-environment-PASSED",
        ),
        pytest.param(
            environment(ingress(tls=(TLS_ENTRY,))),
            [
                (
                    ISSUER_PATH,
                    "ingress 'main' serves TLS without a cert-manager.io/cluster-issuer "
                    "annotation: set it to 'letsencrypt-prod'",
                )
            ],
            id="missing-FAILED",
        ),
        pytest.param(
            environment(ingress({"cert-manager.io/issuer": "team-issuer"}, tls_flag=True)),
            [
                (
                    ISSUER_PATH,
                    "ingress 'main' serves TLS without a cert-manager.io/cluster-issuer "
                    "annotation (it has cert-manager.io/issuer, which names a namespaced "
                    "Issuer): set it to 'letsencrypt-prod'",
                )
            ],
            id="namespaced-issuer-FAILED",
        ),
        pytest.param(
            environment(ingress(tls_flag=True), issuer=None, issuers=frozenset({"acme"})),
            [
                (
                    ISSUER_PATH,
                    "ingress 'main' serves TLS without a cert-manager.io/cluster-issuer "
                    "annotation: set it to 'acme'",
                )
            ],
            id="missing-only-rendered-issuer-named-FAILED",
        ),
        pytest.param(
            environment(ingress(tls_flag=True), name=None, issuer=None, issuers=frozenset()),
            [
                (
                    ISSUER_PATH,
                    "ingress 'main' serves TLS without a cert-manager.io/cluster-issuer "
                    "annotation: set it to the environment's ClusterIssuer",
                )
            ],
            id="missing-in-manifests-FAILED",
        ),
        pytest.param(
            environment(
                ingress({"cert-manager.io/cluster-issuer": "acme"}, tls_flag=True),
                name=None,
                issuer=None,
                issuers=frozenset({"letsencrypt-prod"}),
            ),
            [
                (
                    ISSUER_PATH,
                    "ingress 'main' names cluster issuer 'acme', "
                    "which no ClusterIssuer rendered in this environment defines",
                )
            ],
            id="manifests-issuer-not-rendered-FAILED",
        ),
        pytest.param(
            environment(ingress(PROD_ISSUER, tls_flag=True), issuers=frozenset()),
            [
                (
                    ISSUER_PATH,
                    "ingress 'main' names cluster issuer 'letsencrypt-prod', "
                    "which no ClusterIssuer rendered in this environment defines",
                )
            ],
            id="environment-without-cluster-issuer-FAILED",
        ),
    ],
)
def test_hand_built(env: Environment, expected: list[tuple[str, str]]) -> None:
    assert hits(env) == expected
