"""ha-replicas: production workloads run two or more replicas spread over zones."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitopsctl.rules import ha_replicas
from gitopsctl.rules.ha_replicas import OPTIONS, check
from gitopsctl.subjects.records import DatabaseCluster, Environment, Workload
from tests.support import (
    Case,
    Row,
    edit,
    example_rows,
    line_of,
    located,
    production_environment,
    rerender,
    unchanged,
)

RULE = "ha-replicas"
PROD = "sources/environments/prod.yaml"
MONITORING_VALUES = "rendered/prod/monitoring/values.yaml"
RETOOL_DB_VALUES = "rendered/prod/retool-db/values.yaml"
ZONE = "topology.kubernetes.io/zone"
# A value no source sets is located at the start of the app's source file.
APP_START = 1


def line_in(repo: Path, name: str, *texts: str) -> int:
    """The line of the last text, searching each text from the line of the one before it."""
    lines = (repo / name).read_text(encoding="utf-8").splitlines()
    number = 0
    for text in texts:
        number = next(n for n in range(number, len(lines)) if text in lines[n])
    return number + 1


def unset(kind: str, name: str) -> str:
    return (
        f"{kind} {name!r} has no replica count (charts default to 1) in production: "
        f"set it to at least 2, spread over {ZONE}"
    )


MONITORING = "sources/apps/monitoring.yaml"
# Grafana runs one replica on its SQLite volume, on purpose (the example's monitoring app).
GRAFANA_ONE = (
    "Deployment 'grafana' runs 1 replica(s) in production: set it to at least 2, spread over "
    "topology.kubernetes.io/zone"
)


def unspread(kind: str, name: str, replicas: int) -> str:
    return (
        f"{kind} {name!r} has {replicas} replicas but no topology spread constraint over "
        f"{ZONE}: they may all run in one zone"
    )


def example_warnings(repo: Path) -> list[Row]:
    """What the shipped example gets, all in prod: no chart here sets a zone spread yet."""

    def at_start(app: str, message: str) -> Row:
        return (RULE, "warning", f"sources/apps/{app}.yaml", APP_START, message, "prod", app)

    def in_prod(app: str, message: str, *texts: str) -> Row:
        return (RULE, "warning", PROD, line_in(repo, PROD, *texts), message, "prod", app)

    # Singletons by design (Argo CD's controller, Redis, Dex and notifications; the Prometheus
    # operator and kube-state-metrics) are marked in their chart profiles and not reported.
    return sorted_rows(
        in_prod("argocd", unspread("Deployment", "server", 2), "server:", "replicas: 2"),
        in_prod("argocd", unspread("Deployment", "repoServer", 2), "repoServer:", "replicas: 2"),
        in_prod(
            "argocd", unspread("Deployment", "applicationSet", 2), "applicationSet:", "replicas: 2"
        ),
        in_prod(
            "cert-manager",
            unspread("Deployment", "cainjector", 2),
            "cainjector:",
            "replicaCount: 2",
        ),
        in_prod(
            "cloudnative-pg",
            unspread("Deployment", "operator", 2),
            "cloudnative-pg:",
            "replicaCount: 2",
        ),
        in_prod(
            "monitoring",
            unspread("StatefulSet", "alertmanager", 2),
            "alertmanagerSpec:",
            "replicas: 2",
        ),
        in_prod("traefik-ingress", unspread("Deployment", "traefik", 3), "replicas: 3"),
        in_prod("cert-manager", unspread("Deployment", "controller", 2), "replicaCount: 2"),
        in_prod(
            "cert-manager", unspread("Deployment", "webhook", 2), "webhook:", "replicaCount: 2"
        ),
        in_prod("keycloak", unspread("StatefulSet", "keycloak", 3), "keycloak:", "replicas: 3"),
        in_prod("retool", unspread("Deployment", "backend", 3), "retool:", "replicaCount"),
        in_prod(
            "monitoring", unspread("StatefulSet", "prometheus", 2), "monitoring:", "replicas: 2"
        ),
        (
            RULE,
            "warning",
            MONITORING,
            line_in(repo, MONITORING, "replicas: 1"),
            GRAFANA_ONE,
            "prod",
            "monitoring",
        ),
    )


def sorted_rows(*found: Row) -> list[Row]:
    """In the validator's order: file, then line."""
    return sorted(found, key=lambda row: (row[2], row[3]))


def without_app_message(app: str, message: str) -> Callable[[Path], list[Row]]:
    def expected(repo: Path) -> list[Row]:
        return [row for row in example_warnings(repo) if (row[4], row[6]) != (message, app)]

    return expected


SERVER_SPREAD = (
    "      server:\n        replicas: 2\n        topologySpreadConstraints:\n"
    "          - maxSkew: 1\n            topologyKey: {}\n"
    "            whenUnsatisfiable: ScheduleAnyway\n"
)


def server_spread(key: str) -> Callable[[Path], None]:
    """Argo CD's API server in prod spreads its replicas over ``key``."""

    def mutate(repo: Path) -> None:
        edit(repo, PROD, "      server:\n        replicas: 2\n", SERVER_SPREAD.format(key))
        rerender(repo)

    return mutate


def spread_over_hostname(repo: Path) -> list[Row]:
    """The server's constraint is over the wrong key: the finding points at the constraints."""
    server = unspread("Deployment", "server", 2)
    line = line_of(repo, PROD, "topologySpreadConstraints:")
    rows = without_app_message("argocd", server)(repo)
    return sorted(
        [*rows, (RULE, "warning", PROD, line, server, "prod", "argocd")],
        key=lambda row: (row[2], row[3], row[4]),
    )


def one_retool_replica(repo: Path) -> None:
    anchor = "\n    databases:\n      retool-db:"
    edit(repo, PROD, f"      replicaCount: 3{anchor}", f"      replicaCount: 1{anchor}")
    rerender(repo)


def one_replica_reported(repo: Path) -> list[Row]:
    backend = unspread("Deployment", "backend", 3)
    message = (
        "Deployment 'backend' runs 1 replica(s) in production: "
        f"set it to at least 2, spread over {ZONE}"
    )
    line = line_of(repo, PROD, "replicaCount: 1")
    return [
        (RULE, "warning", PROD, line, message, "prod", "retool") if row[4] == backend else row
        for row in example_warnings(repo)
    ]


def hand_edit_grafana(repo: Path) -> None:
    """A hand edit of the committed values: Grafana's one replica becomes two, unspread."""
    edit(repo, MONITORING_VALUES, "  replicas: 1\nprometheus:", "  replicas: 2\nprometheus:")


def committed_grafana_reported(repo: Path) -> list[Row]:
    lines = (repo / MONITORING_VALUES).read_text(encoding="utf-8").splitlines()
    line = lines.index("prometheus:")  # Grafana's replicas, the line before it
    rows = without_app_message("monitoring", GRAFANA_ONE)(repo)
    grafana = unspread("Deployment", "grafana", 2)
    return sorted_rows(
        (RULE, "warning", MONITORING_VALUES, line, grafana, "prod", "monitoring"), *rows
    )


def hand_edit_instances(repo: Path) -> None:
    edit(repo, RETOOL_DB_VALUES, "instances: 3", "instances: 1")


def committed_instances_reported(repo: Path) -> list[Row]:
    message = (
        "database cluster 'retool-db' runs 1 instance(s) in production: set instances to at least 2"
    )
    line = line_of(repo, RETOOL_DB_VALUES, "instances: 1")
    return [
        (RULE, "warning", RETOOL_DB_VALUES, line, message, "prod", "retool-db"),
        *example_warnings(repo),
    ]


CASES = [
    pytest.param(Case(unchanged, example_warnings), id="example-warnings-FAILED"),
    pytest.param(
        Case(
            server_spread(ZONE),
            without_app_message("argocd", unspread("Deployment", "server", 2)),
        ),
        id="server-spread-over-zones-PASSED",
    ),
    pytest.param(
        Case(server_spread("kubernetes.io/hostname"), spread_over_hostname),
        id="server-spread-over-hosts-FAILED",
    ),
    pytest.param(Case(one_retool_replica, one_replica_reported), id="one-replica-FAILED"),
    pytest.param(
        Case(hand_edit_grafana, committed_grafana_reported), id="committed-one-replica-FAILED"
    ),
    pytest.param(
        Case(hand_edit_instances, committed_instances_reported),
        id="committed-one-instance-FAILED",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_example_repository(tmp_path: Path, case: Case) -> None:
    found, expected = example_rows(ha_replicas, tmp_path, case)
    assert found == expected


# --- hand-built subjects ---------------------------------------------------------------------


def workload(
    kind: str = "Deployment", replicas: int | None = 2, spread: tuple[str, ...] = (ZONE,)
) -> Workload:
    return Workload(
        app="app",
        name="web",
        kind=kind,
        placement=None,
        placement_error=None,
        replicas=replicas,
        spread_keys=spread,
        locate=located,
        paths={"replicas": ("replicaCount",), "spread": ("topologySpreadConstraints",)},
    )


def database(instances: int | None) -> DatabaseCluster:
    return DatabaseCluster(
        "app-db",
        "app-db",
        "database",
        instances,
        None,
        None,
        located,
        {"instances": ("instances",)},
    )


def environment(*workloads: Workload, **changes: Any) -> Environment:
    return production_environment(workloads=list(workloads), **changes)


def hits(env: Environment, options: dict[str, Any] = OPTIONS) -> list[tuple[str, str]]:
    return [(hit.location.file, hit.message) for hit in check(env, options)]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param(environment(workload()), [], id="two-spread-replicas-PASSED"),
        pytest.param(
            environment(workload("StatefulSet", 3, ("kubernetes.io/hostname", ZONE))),
            [],
            id="statefulset-spread-over-hosts-and-zones-PASSED",
        ),
        pytest.param(
            environment(
                workload("DaemonSet", None, ()),
                workload("Job", 1, ()),
                workload("CronJob", None, ()),
            ),
            [],
            id="not-replicated-kinds-PASSED",
        ),
        pytest.param(
            environment(workload(replicas=1, spread=()), tier="staging"),
            [],
            id="not-production-PASSED",
        ),
        pytest.param(environment(databases=[database(2)]), [], id="database-two-instances-PASSED"),
        pytest.param(
            environment(workload(replicas=None, spread=())),
            [("replicaCount", unset("Deployment", "web"))],
            id="replicas-unset-FAILED",
        ),
        pytest.param(
            environment(workload(replicas=0)),
            [
                (
                    "replicaCount",
                    "Deployment 'web' runs 0 replica(s) in production: "
                    f"set it to at least 2, spread over {ZONE}",
                )
            ],
            id="scaled-to-zero-FAILED",
        ),
        pytest.param(
            environment(workload(spread=())),
            [("replicaCount", unspread("Deployment", "web", 2))],
            id="no-constraint-at-replica-count-FAILED",
        ),
        pytest.param(
            environment(workload("StatefulSet", spread=("kubernetes.io/hostname",))),
            [("topologySpreadConstraints", unspread("StatefulSet", "web", 2))],
            id="wrong-key-at-constraints-FAILED",
        ),
        pytest.param(
            environment(databases=[database(None)]),
            [
                (
                    "instances",
                    "database cluster 'app-db' runs 1 instance(s) in production: "
                    "set instances to at least 2",
                )
            ],
            id="database-instances-unset-FAILED",
        ),
    ],
)
def test_hand_built(env: Environment, expected: list[tuple[str, str]]) -> None:
    assert hits(env) == expected


def test_minimum_and_topology_key_are_options() -> None:
    env = environment(workload(replicas=2, spread=("kubernetes.io/hostname",)))
    options = {"min_replicas": 3, "topology_key": "kubernetes.io/hostname"}
    assert hits(env, options) == [
        (
            "replicaCount",
            "Deployment 'web' runs 2 replica(s) in production: "
            "set it to at least 3, spread over kubernetes.io/hostname",
        )
    ]
