"""The sync-order rule: dependencies and API providers sync in earlier waves than their users.

Example cases mutate a copy of the shipped example: sources (then rendered again, so findings
point at the source line) or the committed output only (findings point at the committed line).
Unit cases build an Environment by hand for what the example cannot show.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from gitopsctl.findings import Severity
from gitopsctl.kube.names import SYNC_WAVE
from gitopsctl.rules import sync_order
from gitopsctl.rules.base import rule_from_module
from gitopsctl.subjects.records import Application, Environment, Location
from tests.support import (
    ENVS,
    Expect,
    Mutate,
    Outcome,
    committed_edit,
    development_environment,
    example_outcomes,
    hand_built_outcomes,
    line_of,
    no_outcomes,
    sorted_outcomes,
    source_edit,
    unchanged,
)

KEYCLOAK_SOURCE = "sources/apps/keycloak.yaml"
WAVE_LINE = 12  # where the hand-built Applications' locator puts their sync-wave annotation
ISSUER_SOURCE = "sources/apps/cluster-issuer.yaml"


def _finding(env: str | None, app: str, file: str, line: int, message: str) -> Outcome:
    return ("sync-order", env, app, file, line, message)


def _source_wave(source: str, after: str, wave: int) -> Mutate:
    return source_edit(source, f"{after}\n", f"{after}\nsyncWave: {wave}\n")


def _committed_wave(env: str, app: str, old: int, new: str) -> Mutate:
    file = f"applications/{env}/{app}.yaml"
    return committed_edit(file, f"{SYNC_WAVE}: '{old}'", f"{SYNC_WAVE}: {new}")


def _keycloak_first(repo: Path) -> list[Outcome]:
    line = line_of(repo, KEYCLOAK_SOURCE, "syncWave: 0")
    return [
        _finding(
            env,
            "keycloak",
            KEYCLOAK_SOURCE,
            line,
            f"keycloak (wave 0) must sync after its dependency {dependency} (wave {wave}): "
            "give it a later syncWave",
        )
        for env in ENVS
        for dependency, wave in (
            ("cluster-issuer", 2),
            ("keycloak-db", 3),
            ("keycloak-secrets", 3),
            ("traefik-ingress", 1),
        )
    ]


def _issuer_with_operator(repo: Path) -> list[Outcome]:
    line = line_of(repo, ISSUER_SOURCE, "syncWave: 1")
    message = (
        "cluster-issuer (wave 1) uses cert-manager.io, provided by cert-manager (wave 1): "
        "give it a later syncWave"
    )
    return [_finding(env, "cluster-issuer", ISSUER_SOURCE, line, message) for env in ENVS]


def _committed_issuer(repo: Path) -> list[Outcome]:
    file = "applications/prod/cluster-issuer.yaml"
    message = (
        "cluster-issuer (wave 1) uses cert-manager.io, provided by cert-manager (wave 1): "
        "give it a later syncWave"
    )
    return [_finding("prod", "cluster-issuer", file, line_of(repo, file, SYNC_WAVE), message)]


def _dependency_moved_later(repo: Path) -> list[Outcome]:
    """The dependents' waves still match the render: they point at their sources' first key."""
    return [
        _finding(
            "prod",
            app,
            f"sources/apps/{app}.yaml",
            line_of(repo, f"sources/apps/{app}.yaml", "description:"),
            f"{app} (wave 4) must sync after its dependency cluster-issuer (wave 4): "
            "give it a later syncWave",
        )
        for app in ("keycloak", "retool")
    ]


def _committed_keycloak(repo: Path) -> list[Outcome]:
    file = "applications/prod/keycloak.yaml"
    line = line_of(repo, file, SYNC_WAVE)
    return [
        _finding(
            "prod",
            "keycloak",
            file,
            line,
            f"keycloak (wave 3) must sync after its dependency {dependency} (wave 3): "
            "give it a later syncWave",
        )
        for dependency in ("keycloak-db", "keycloak-secrets")
    ]


def _committed_database(repo: Path) -> list[Outcome]:
    """A database needs its operator's API, and the secret store its credentials come from."""
    file = "applications/prod/retool-db.yaml"
    messages = [
        "retool-db (wave 1) must sync after its dependency secret-store (wave 2): "
        "give it a later syncWave",
        "retool-db (wave 1) uses external-secrets.io, provided by external-secrets (wave 1): "
        "give it a later syncWave",
        "retool-db (wave 1) uses postgresql.cnpg.io, provided by cloudnative-pg (wave 1): "
        "give it a later syncWave",
    ]
    line = line_of(repo, file, SYNC_WAVE)
    return [_finding("prod", "retool-db", file, line, message) for message in messages]


EXAMPLE_CASES = [
    pytest.param(unchanged, no_outcomes, id="shipped-example-PASSED"),
    pytest.param(
        _source_wave(KEYCLOAK_SOURCE, "namespace: keycloak", 9),
        no_outcomes,
        id="source-wave-after-dependencies-PASSED",
    ),
    pytest.param(
        _source_wave(KEYCLOAK_SOURCE, "namespace: keycloak", 0),
        _keycloak_first,
        id="source-wave-before-dependencies-FAILED",
    ),
    pytest.param(
        _source_wave(ISSUER_SOURCE, "namespace: cert-manager", 1),
        _issuer_with_operator,
        id="source-wave-with-api-provider-FAILED",
    ),
    pytest.param(
        _committed_wave("prod", "monitoring", 5, "'7'"),
        no_outcomes,
        id="committed-wave-later-PASSED",
    ),
    pytest.param(
        _committed_wave("prod", "cluster-issuer", 2, "'4'"),
        _dependency_moved_later,
        id="committed-dependency-moved-later-FAILED",
    ),
    pytest.param(
        _committed_wave("prod", "cluster-issuer", 2, "'1'"),
        _committed_issuer,
        id="committed-wave-with-api-provider-FAILED",
    ),
    pytest.param(
        _committed_wave("prod", "keycloak", 4, "'3'"),
        _committed_keycloak,
        id="committed-wave-with-dependencies-FAILED",
    ),
    pytest.param(
        _committed_wave("prod", "retool-db", 3, "'1'"),
        _committed_database,
        id="committed-database-with-operator-FAILED",
    ),
    pytest.param(
        _committed_wave("prod", "keycloak", 4, "soon"),
        no_outcomes,
        id="committed-wave-not-an-integer-left-to-schema-PASSED",
    ),
]


@pytest.mark.parametrize(("mutate", "expect"), EXAMPLE_CASES)
def test_example(tmp_path: Path, mutate: Mutate, expect: Expect) -> None:
    found, expected = example_outcomes(sync_order, tmp_path, mutate, expect)
    assert found == sorted_outcomes(expected)


# -- hand-built environments ---------------------------------------------------------------------


def _app(
    app: str,
    wave: int | None,
    depends_on: tuple[str, ...] = (),
    provides: tuple[str, ...] = (),
    uses: tuple[str, ...] = (),
) -> Application:
    file = f"applications/test/{app}.yaml"

    def locate(path: tuple[str | int, ...]) -> Location:
        return Location(file, WAVE_LINE if path[-1:] == (SYNC_WAVE,) else 1, 5, file)

    document: Mapping[str, Any] = {}
    return Application(app, f"test-{app}", wave, depends_on, provides, uses, document, locate)


def _environment(*applications: Application) -> Environment:
    return development_environment(applications=list(applications))


def _hand_finding(app: str, message: str) -> Outcome:
    return _finding("test", app, f"applications/test/{app}.yaml", WAVE_LINE, message)


OPERATOR = _app("operator", 1, provides=("example.io",))

UNIT_CASES = [
    pytest.param(
        [OPERATOR, _app("consumer", 2, uses=("example.io",))],
        [],
        id="api-consumer-after-provider-PASSED",
    ),
    pytest.param(
        [OPERATOR, _app("consumer", 1, uses=("example.io",))],
        [
            _hand_finding(
                "consumer",
                "consumer (wave 1) uses example.io, provided by operator (wave 1): "
                "give it a later syncWave",
            )
        ],
        id="api-consumer-without-declared-dependency-FAILED",
    ),
    pytest.param(
        [OPERATOR, _app("consumer", 0, depends_on=("operator",), uses=("example.io",))],
        [
            _hand_finding(
                "consumer",
                "consumer (wave 0) uses example.io, provided by operator (wave 1): "
                "give it a later syncWave",
            )
        ],
        id="api-consumer-with-declared-dependency-reported-once-FAILED",
    ),
    pytest.param(
        [
            OPERATOR,
            _app("second-operator", 3, provides=("example.io",)),
            _app("consumer", 2, uses=("example.io",)),
        ],
        [
            _hand_finding(
                "consumer",
                "consumer (wave 2) uses example.io, provided by second-operator (wave 3): "
                "give it a later syncWave",
            )
        ],
        id="api-consumer-before-one-of-two-providers-FAILED",
    ),
    pytest.param(
        [_app("consumer", 0, uses=("example.io",))],
        [],
        id="api-provider-not-enabled-PASSED",
    ),
    pytest.param(
        [_app("self-hosted", 1, provides=("example.io",), uses=("example.io",))],
        [],
        id="api-provided-by-itself-PASSED",
    ),
    pytest.param(
        [_app("app", 0, depends_on=("disabled",))],
        [],
        id="dependency-not-enabled-PASSED",
    ),
    pytest.param(
        [_app("base", 2), _app("app", 1, depends_on=("base",))],
        [
            _hand_finding(
                "app",
                "app (wave 1) must sync after its dependency base (wave 2): "
                "give it a later syncWave",
            )
        ],
        id="dependency-in-later-wave-FAILED",
    ),
    pytest.param(
        [_app("base", 2), _app("app", None, depends_on=("base",))],
        [],
        id="unreadable-wave-left-to-schema-PASSED",
    ),
]


@pytest.mark.parametrize(("applications", "expected"), UNIT_CASES)
def test_hand_built(applications: list[Application], expected: list[Outcome]) -> None:
    found = hand_built_outcomes(sync_order, _environment(*applications))
    assert found == sorted_outcomes(expected)


def test_rule_metadata() -> None:
    rule = rule_from_module(sync_order)
    assert (rule.id, rule.severity) == ("sync-order", Severity.ERROR)
    assert rule.summary == (
        "An Application must sync in a later wave than the Applications it depends on."
    )
    assert "Passing" in rule.doc
    assert "Failing" in rule.doc
