"""ingress-host: hosts in the domain, claimed once per environment, covered by their TLS."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gitopsctl.rules import ingress_host
from gitopsctl.rules.ingress_host import check, covers, in_domain
from gitopsctl.subjects.records import Environment, Ingress, TlsEntry
from tests.conftest import PROJECT, invoke_cli
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

RULE = "ingress-host"
RETOOL = "sources/apps/retool.yaml"
MONITORING = "sources/apps/monitoring.yaml"
RETOOL_VALUES = "rendered/prod/retool/values.yaml"
DOMAINS = {
    "dev": "dev.platform.example.com",
    "prod": "platform.example.com",
    "staging": "staging.platform.example.com",
}


def foreign_host(repo: Path) -> None:
    edit(repo, RETOOL, "host: retool.${env.domain}", "host: retool.example.org")
    rerender(repo)


def foreign_host_reported(repo: Path) -> list[Row]:
    line = line_of(repo, RETOOL, "host: retool.example.org")
    message = "ingress 'main' host 'retool.example.org' is outside the environment's domain {!r}"
    return [
        (RULE, "error", RETOOL, line, message.format(domain), env, "retool")
        for env, domain in DOMAINS.items()
    ]


def claim_grafana_host(repo: Path) -> None:
    edit(repo, RETOOL, "host: retool.${env.domain}", "host: grafana.${env.domain}")
    rerender(repo)


def second_claim_reported(repo: Path) -> list[Row]:
    """Retool comes first in every environment's app order, so Grafana's claim is the second."""
    line = line_of(repo, MONITORING, "host: grafana.")
    message = (
        "ingress 'grafana' host 'grafana.{}' is already claimed by ingress 'main' of app 'retool'"
    )
    return [
        (RULE, "error", MONITORING, line, message.format(domain), env, "monitoring")
        for env, domain in DOMAINS.items()
    ]


def tls_without_secret(repo: Path) -> None:
    edit(
        repo,
        RETOOL,
        "values:\n",
        "values:\n  ingress:\n    tls:\n      - hosts:\n          - retool.${env.domain}\n",
    )
    rerender(repo)


def tls_without_secret_reported(repo: Path) -> list[Row]:
    line = line_of(repo, RETOOL, "- hosts:")
    message = (
        "ingress 'main' tls[0] has no secretName: cert-manager has nowhere to store the certificate"
    )
    return [(RULE, "error", RETOOL, line, message, env, "retool") for env in DOMAINS]


def hand_edit_tls_host(repo: Path) -> None:
    edit(
        repo,
        RETOOL_VALUES,
        "- hosts:\n        - retool.platform.example.com",
        "- hosts:\n        - tools.platform.example.com",
    )


def uncovered_reported(repo: Path) -> list[Row]:
    line = line_of(repo, RETOOL_VALUES, "  tls:")
    message = (
        "ingress 'main' host 'retool.platform.example.com' is not in the hosts of any tls "
        "entry: its certificate would not cover it"
    )
    return [(RULE, "error", RETOOL_VALUES, line, message, "prod", "retool")]


REPLICAS = "  replicaCount: 1\n"


def retool_ingress_values(override: str) -> Callable[[Path], None]:
    """Retool's own values set ``ingress:`` keys over what the renderer injects."""

    def mutate(repo: Path) -> None:
        edit(repo, RETOOL, REPLICAS, REPLICAS + "  ingress:\n" + override)
        rerender(repo)

    return mutate


def wrong_type_reported(marker: str, message: str) -> Callable[[Path], list[Row]]:
    def expected(repo: Path) -> list[Row]:
        line = line_of(repo, RETOOL, marker)
        return [(RULE, "error", RETOOL, line, message, env, "retool") for env in DOMAINS]

    return expected


WRONG_TYPES = [
    pytest.param(
        "    tls: 'yes'\n",
        "tls: 'yes'",
        "ingress 'main': ingress.tls is the string 'yes', not a list of {hosts, secretName}",
        id="tls-a-string-FAILED",
    ),
    pytest.param(
        "    hosts: [{host: 42}]\n",
        "hosts: [{host: 42}]",
        "ingress 'main': ingress.hosts[0].host is the number 42, not a host name string",
        id="host-a-number-FAILED",
    ),
    pytest.param(
        "    hosts: retool.example.com\n",
        "hosts: retool.example.com",
        "ingress 'main': ingress.hosts is the string 'retool.example.com', not a list",
        id="hosts-a-string-FAILED",
    ),
    pytest.param(
        "    tls: [{hosts: ['retool.${env.domain}'], secretName: 7}]\n",
        "secretName: 7",
        "ingress 'main': ingress.tls[0].secretName is the number 7, not a string",
        id="secret-name-a-number-FAILED",
    ),
    pytest.param(
        "    tls: [{hosts: ['retool.${env.domain}', [x]], secretName: s}]\n",
        "secretName: s",
        "ingress 'main': ingress.tls[0].hosts[1] is a list, not a host name string",
        id="tls-host-a-list-FAILED",
    ),
]


@pytest.mark.parametrize(("override", "marker", "message"), WRONG_TYPES)
def test_values_of_the_wrong_type_are_errors(
    tmp_path: Path, override: str, marker: str, message: str
) -> None:
    case = Case(retool_ingress_values(override), wrong_type_reported(marker, message))
    found, expected = example_rows(ingress_host, tmp_path, case)
    assert found == expected


def hand_edit_invalid_host(repo: Path) -> None:
    edit(
        repo,
        RETOOL_VALUES,
        "- host: retool.platform.example.com",
        "- host: Retool.platform.example.com.",
    )


def invalid_host_reported(repo: Path) -> list[Row]:
    line = line_of(repo, RETOOL_VALUES, "- host: Retool")
    invalid = (
        "ingress 'main' host 'Retool.platform.example.com.' is not a valid Kubernetes Ingress "
        "host: it ends in a dot (Kubernetes does not take the root label)"
    )
    uncovered = (
        "ingress 'main' host 'Retool.platform.example.com.' is not in the hosts of any tls "
        "entry: its certificate would not cover it"
    )
    tls_line = line_of(repo, RETOOL, "host: retool.${env.domain}")  # the TLS list's source line
    return [
        (RULE, "error", RETOOL_VALUES, line, invalid, "prod", "retool"),
        (RULE, "error", RETOOL, tls_line, uncovered, "prod", "retool"),
    ]


CASES = [
    pytest.param(Case(unchanged, no_findings), id="example-PASSED"),
    pytest.param(Case(foreign_host, foreign_host_reported), id="outside-domain-FAILED"),
    pytest.param(Case(hand_edit_invalid_host, invalid_host_reported), id="invalid-host-FAILED"),
    pytest.param(Case(claim_grafana_host, second_claim_reported), id="claimed-twice-FAILED"),
    pytest.param(
        Case(tls_without_secret, tls_without_secret_reported), id="tls-without-secret-FAILED"
    ),
    pytest.param(Case(hand_edit_tls_host, uncovered_reported), id="committed-tls-host-FAILED"),
]


@pytest.mark.parametrize("case", CASES)
def test_example_repository(tmp_path: Path, case: Case) -> None:
    found, expected = example_rows(ingress_host, tmp_path, case)
    assert found == expected


# --- hand-built subjects ---------------------------------------------------------------------


def ingress(
    *hosts: str,
    tls: tuple[tuple[tuple[str, ...], str | None], ...] = (),
    app: str = "retool",
) -> Ingress:
    return hand_built_ingress(
        app,
        annotations={"cert-manager.io/cluster-issuer": "letsencrypt-prod"},
        hosts=tuple((host, (*INGRESS, "hosts", index, "host")) for index, host in enumerate(hosts)),
        tls=tuple(
            TlsEntry(tls_hosts, secret, (*INGRESS, "tls", index))
            for index, (tls_hosts, secret) in enumerate(tls)
        ),
    )


def hits(env: Environment) -> list[tuple[str, str]]:
    return [(hit.location.file, hit.message) for hit in check(env, {})]


RETOOL_HOST = "retool.platform.example.com"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param(
            environment(ingress(RETOOL_HOST, tls=(((RETOOL_HOST,), "retool-tls"),))),
            [],
            id="covered-PASSED",
        ),
        pytest.param(
            environment(
                ingress("Retool.Platform.Example.com", tls=((("*.platform.example.com",), "w"),))
            ),
            [
                (
                    "ingress.hosts[0].host",
                    "ingress 'main' host 'Retool.Platform.Example.com' is not a valid Kubernetes "
                    "Ingress host: it has upper-case letters",
                ),
            ],
            id="wildcard-covers-regardless-of-case-but-upper-case-is-invalid-FAILED",
        ),
        pytest.param(environment(ingress("platform.example.com")), [], id="apex-PASSED"),
        pytest.param(
            environment(ingress(RETOOL_HOST, RETOOL_HOST)),
            [],
            id="same-ingress-twice-PASSED",
        ),
        pytest.param(
            environment(ingress("retool.example.org"), domain=None),
            [],
            id="manifests-without-domain-PASSED",
        ),
        pytest.param(
            environment(ingress("retool.evilplatform.example.com")),
            [
                (
                    "ingress.hosts[0].host",
                    "ingress 'main' host 'retool.evilplatform.example.com' is outside the "
                    "environment's domain 'platform.example.com'",
                )
            ],
            id="suffix-without-dot-FAILED",
        ),
        pytest.param(
            environment(
                ingress(RETOOL_HOST), ingress("a.platform.example.com", RETOOL_HOST, app="x")
            ),
            [
                (
                    "ingress.hosts[1].host",
                    "ingress 'main' host 'retool.platform.example.com' is already claimed by "
                    "ingress 'main' of app 'retool'",
                )
            ],
            id="claimed-by-another-app-FAILED",
        ),
        pytest.param(
            environment(
                ingress(
                    RETOOL_HOST,
                    "deep.retool.platform.example.com",
                    tls=((("*.platform.example.com",), "wild"), ((), None)),
                )
            ),
            [
                (
                    "ingress.tls",
                    "ingress 'main' host 'deep.retool.platform.example.com' is not in the hosts "
                    "of any tls entry: its certificate would not cover it",
                ),
                (
                    "ingress.tls[1]",
                    "ingress 'main' tls[1] has no secretName: cert-manager has nowhere to store "
                    "the certificate",
                ),
            ],
            id="wildcard-one-label-and-no-secret-FAILED",
        ),
    ],
)
def test_hand_built(env: Environment, expected: list[tuple[str, str]]) -> None:
    assert hits(env) == expected


@pytest.mark.parametrize(
    ("host", "domain", "inside"),
    [
        ("platform.example.com", "platform.example.com", True),
        ("a.b.platform.example.com", "platform.example.com", True),
        ("*.platform.example.com", "platform.example.com", True),
        ("PLATFORM.example.com.", "platform.example.com", True),
        ("xplatform.example.com", "platform.example.com", False),
        ("example.com", "platform.example.com", False),
    ],
)
def test_in_domain(host: str, domain: str, inside: bool) -> None:
    assert in_domain(host, domain) is inside


@pytest.mark.parametrize(
    ("tls_host", "host", "covered"),
    [
        ("a.example.com", "a.example.com", True),
        ("*.example.com", "a.example.com", True),
        ("*.example.com", "a.b.example.com", False),
        ("*.example.com", "example.com", False),
        ("*.example.com", "*.example.com", True),
        ("a.example.com", "b.example.com", False),
    ],
)
def test_covers(tls_host: str, host: str, covered: bool) -> None:
    assert covers(tls_host, host) is covered


# --- routes: a host and a path, from Ingress manifests ------------------------------------------

SHOP_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}, namespace: shop}}
spec:
  ingressClassName: traefik-ingress
  rules:
    - host: shop.example.com
{http}"""
ROUTE = """\
      http:
        paths:
          - path: {path}
            pathType: {kind}
            backend: {{service: {{name: web, port: {{number: 80}}}}}}
"""


def shop_ingress(name: str, *routes: tuple[str, str]) -> str:
    http = "".join(ROUTE.format(path=path, kind=kind) for path, kind in routes[:1])
    extra = "".join(
        f"          - path: {path}\n            pathType: {kind}\n"
        "            backend: {service: {name: web, port: {number: 80}}}\n"
        for path, kind in routes[1:]
    )
    return SHOP_INGRESS.format(name=name, http=http + extra)


FRONT = shop_ingress("front", ("/", "Prefix"), ("/api", "Exact"))


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        pytest.param(
            shop_ingress("api", ("/api", "Prefix"), ("/v2", "Exact")),
            [],
            id="same-host-other-paths-PASSED",
        ),
        pytest.param(shop_ingress("api", ("/", "Exact")), [], id="same-path-other-type-PASSED"),
        pytest.param(
            shop_ingress("api", ("/v2", "Prefix"), ("/", "Prefix")),
            [
                (
                    29,
                    "ingress 'Ingress/shop/api' host 'shop.example.com' path '/' (Prefix) is "
                    "already claimed by ingress 'Ingress/shop/front' of app None",
                )
            ],
            id="same-path-and-type-FAILED",
        ),
        pytest.param(
            shop_ingress("api", ("/api/", "Exact"), ("/api", "Exact")),
            [
                (
                    29,
                    "ingress 'Ingress/shop/api' host 'shop.example.com' path '/api' (Exact) is "
                    "already claimed by ingress 'Ingress/shop/front' of app None",
                )
            ],
            id="exact-paths-compare-as-written-FAILED",
        ),
        pytest.param(
            shop_ingress("api", ("//", "Prefix")),
            [
                (
                    26,
                    "ingress 'Ingress/shop/api' host 'shop.example.com' path '//' (Prefix) is "
                    "already claimed by ingress 'Ingress/shop/front' of app None",
                )
            ],
            id="prefix-paths-compare-without-trailing-slash-FAILED",
        ),
        pytest.param(
            shop_ingress("api"),
            [
                (
                    23,
                    "ingress 'Ingress/shop/api' host 'shop.example.com' is already claimed by "
                    "ingress 'Ingress/shop/front' of app None",
                )
            ],
            id="rule-without-paths-claims-every-path-FAILED",
        ),
    ],
)
def test_routes_of_ingress_manifests(
    tmp_path: Path, second: str, expected: list[tuple[int, str]]
) -> None:
    file = tmp_path / "ingresses.yaml"
    file.write_text(f"{FRONT}---\n{second}", encoding="utf-8")
    result = invoke_cli(PROJECT, "validate", "--manifests", str(file), "--format", "json")
    found = [
        (finding["line"], finding["message"])
        for finding in json.loads(result.stdout)["findings"]
        if finding["rule"] == RULE
    ]
    assert (found, result.exit_code) == (expected, 1 if expected else 0)
