"""db-placement: database clusters in the database namespace and nodes, with enough instances."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gitopsctl.kube.scheduling import NodeGroup, Placement, Requirement, Taint, Toleration
from gitopsctl.rules import db_placement
from gitopsctl.rules.db_placement import OPTIONS, check
from gitopsctl.subjects.records import DatabaseCluster, Environment, Location
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

RULE = "db-placement"
KEYCLOAK = "sources/apps/keycloak.yaml"
PROD = "sources/environments/prod.yaml"
KEYCLOAK_DB_APP = "applications/prod/keycloak-db.yaml"
RETOOL_DB_VALUES = "rendered/prod/retool-db/values.yaml"


def keycloak_db_values(text: str) -> Callable[[Path], None]:
    """Chart values for keycloak-db in the app's source, in every environment."""

    def mutate(repo: Path) -> None:
        edit(repo, KEYCLOAK, "    storage: 10Gi\n", f"    storage: 10Gi\n    values:\n{text}")
        rerender(repo)

    return mutate


def untolerated_reported(repo: Path) -> list[Row]:
    line = line_of(repo, KEYCLOAK, "tolerations: []")
    message = (
        "database cluster 'keycloak-db' does not tolerate the database node group's taint "
        "workload-type=database:NoSchedule: add a toleration for it"
    )
    return [(RULE, "error", KEYCLOAK, line, message, env, "keycloak-db") for env in ENVS]


def other_group_reported(repo: Path) -> list[Row]:
    line = line_of(repo, KEYCLOAK, "nodeSelector:")
    message = (
        "database cluster 'keycloak-db' does not select the database node group: "
        "its nodeSelector must require workload-type=database"
    )
    return [(RULE, "error", KEYCLOAK, line, message, env, "keycloak-db") for env in ENVS]


def malformed_reported(repo: Path) -> list[Row]:
    line = line_of(repo, KEYCLOAK, "tolerations:")
    message = (
        "database cluster 'keycloak-db' has a placement the API server would reject: "
        "tolerations[0]: operator 'Sometimes' is not one of Equal, Exists"
    )
    return [(RULE, "error", KEYCLOAK, line, message, env, "keycloak-db") for env in ENVS]


def one_instance_in_prod(repo: Path) -> None:
    edit(repo, PROD, "keycloak-db:\n        instances: 3", "keycloak-db:\n        instances: 1")
    rerender(repo)


def one_instance_reported(repo: Path) -> list[Row]:
    line = line_of(repo, PROD, "instances: 1")
    message = (
        "database cluster 'keycloak-db' has 1 instance(s), "
        "fewer than the 2 the production tier requires"
    )
    return [(RULE, "error", PROD, line, message, "prod", "keycloak-db")]


def hand_edit_namespace(repo: Path) -> None:
    edit(repo, KEYCLOAK_DB_APP, "    namespace: database", "    namespace: keycloak")


def namespace_reported(repo: Path) -> list[Row]:
    line = line_of(repo, KEYCLOAK_DB_APP, "namespace: keycloak")
    message = (
        "database cluster 'keycloak-db' is in namespace 'keycloak', "
        "not the database namespace 'database'"
    )
    return [(RULE, "error", KEYCLOAK_DB_APP, line, message, "prod", "keycloak-db")]


def hand_edit_instances(repo: Path) -> None:
    edit(repo, RETOOL_DB_VALUES, "instances: 3", "instances: 1")


def committed_instances_reported(repo: Path) -> list[Row]:
    line = line_of(repo, RETOOL_DB_VALUES, "instances: 1")
    message = (
        "database cluster 'retool-db' has 1 instance(s), "
        "fewer than the 2 the production tier requires"
    )
    return [(RULE, "error", RETOOL_DB_VALUES, line, message, "prod", "retool-db")]


CASES = [
    pytest.param(Case(unchanged, no_findings), id="example-PASSED"),
    pytest.param(
        Case(keycloak_db_values("      tolerations: []\n"), untolerated_reported),
        id="no-toleration-FAILED",
    ),
    pytest.param(
        Case(
            keycloak_db_values("      nodeSelector:\n        workload-type: large\n"),
            other_group_reported,
        ),
        id="selects-large-nodes-FAILED",
    ),
    pytest.param(
        Case(
            keycloak_db_values("      tolerations:\n        - operator: Sometimes\n"),
            malformed_reported,
        ),
        id="malformed-toleration-FAILED",
    ),
    pytest.param(Case(one_instance_in_prod, one_instance_reported), id="one-instance-FAILED"),
    pytest.param(Case(hand_edit_namespace, namespace_reported), id="committed-namespace-FAILED"),
    pytest.param(
        Case(hand_edit_instances, committed_instances_reported),
        id="committed-instances-FAILED",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_example_repository(tmp_path: Path, case: Case) -> None:
    found, expected = example_rows(db_placement, tmp_path, case)
    assert found == expected


# --- hand-built subjects ---------------------------------------------------------------------

DATABASE_TAINT = Taint("workload-type", "database", "NoSchedule")
DATABASE_GROUP = NodeGroup(
    "database",
    {"workload-type": "database"},
    (DATABASE_TAINT,),
    zones=("eu-west-1a", "eu-west-1b", "eu-west-1c"),
)
WORKLOAD_GROUP = NodeGroup("workload", {}, ())
TOLERATES = (Toleration("workload-type", "Equal", "database", "NoSchedule"),)
ON_DATABASE_NODES = Placement({"workload-type": "database"}, None, TOLERATES)


def environment(*databases: DatabaseCluster, **changes: Any) -> Environment:
    return production_environment(
        node_groups=[WORKLOAD_GROUP, DATABASE_GROUP], databases=list(databases), **changes
    )


def database(
    placement: Placement | None = ON_DATABASE_NODES,
    *,
    instances: int | None = 3,
    namespace: str | None = "database",
    namespace_location: Location | None = None,
) -> DatabaseCluster:
    return DatabaseCluster(
        app="app-db",
        name="app-db",
        namespace=namespace,
        instances=instances,
        placement=placement,
        placement_error=None if placement else "tolerations must be a list",
        locate=located,
        paths={
            "instances": ("instances",),
            "nodeSelector": ("nodeSelector",),
            "tolerations": ("tolerations",),
            "placement": (),
        },
        namespace_location=namespace_location,
    )


def hits(env: Environment, options: dict[str, Any] = OPTIONS) -> list[tuple[str, str]]:
    return [(hit.location.file, hit.message) for hit in check(env, options)]


BY_AFFINITY = Placement(
    {}, ((Requirement("workload-type", "In", ("database",)),),), (Toleration(operator="Exists"),)
)
DESTINATION = Location("applications/prod/app-db.yaml", 20, 5)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param(environment(database()), [], id="on-database-nodes-PASSED"),
        pytest.param(environment(database(BY_AFFINITY)), [], id="required-affinity-PASSED"),
        pytest.param(
            environment(database(instances=1), tier="development"),
            [],
            id="one-instance-in-development-PASSED",
        ),
        pytest.param(
            environment(database(Placement({}, None, ())), database_node_group=None),
            [],
            id="no-database-node-group-PASSED",
        ),
        pytest.param(
            environment(database(None, instances=1), tier="development"),
            [
                (
                    "tolerations",
                    "database cluster 'app-db' has a placement the API server would reject: "
                    "tolerations must be a list",
                )
            ],
            id="malformed-placement-FAILED",
        ),
        pytest.param(
            environment(database(Placement({}, None, ()), instances=None, namespace=None)),
            [
                (
                    "(values)",
                    "database cluster 'app-db' has no namespace: "
                    "put it in the database namespace 'database'",
                ),
                (
                    "nodeSelector",
                    "database cluster 'app-db' does not select the database node group: "
                    "its nodeSelector must require workload-type=database",
                ),
                (
                    "tolerations",
                    "database cluster 'app-db' does not tolerate the database node group's "
                    "taint workload-type=database:NoSchedule: add a toleration for it",
                ),
                (
                    "instances",
                    "database cluster 'app-db' has 1 instance(s), "
                    "fewer than the 2 the production tier requires",
                ),
            ],
            id="everything-wrong-FAILED",
        ),
        pytest.param(
            environment(database(namespace="keycloak", namespace_location=DESTINATION)),
            [
                (
                    "applications/prod/app-db.yaml",
                    "database cluster 'app-db' is in namespace 'keycloak', "
                    "not the database namespace 'database'",
                )
            ],
            id="namespace-at-destination-FAILED",
        ),
        pytest.param(
            environment(
                database(
                    Placement(
                        {"workload-type": "database", "topology.kubernetes.io/zone": "us-east-1a"},
                        None,
                        TOLERATES,
                    )
                )
            ),
            [
                (
                    "nodeSelector",
                    "database cluster 'app-db' cannot run on the database node group: "
                    "nodeSelector topology.kubernetes.io/zone=us-east-1a does not match (the "
                    "group has topology.kubernetes.io/zone in [eu-west-1a, eu-west-1b, "
                    "eu-west-1c])",
                )
            ],
            id="selector-no-database-node-has-FAILED",
        ),
        pytest.param(
            environment(
                database(
                    Placement(
                        {},
                        (
                            (Requirement("workload-type", "In", ("database",)),),
                            (Requirement("workload-type", "In", ("large",)),),
                        ),
                        TOLERATES,
                    )
                )
            ),
            [
                (
                    "nodeSelector",
                    "database cluster 'app-db' does not select the database node group: "
                    "its nodeSelector must require workload-type=database",
                )
            ],
            id="affinity-allowing-other-nodes-FAILED",
        ),
    ],
)
def test_hand_built(env: Environment, expected: list[tuple[str, str]]) -> None:
    assert hits(env) == expected


def test_minimum_instances_per_tier_is_an_option() -> None:
    env = environment(database(instances=2), tier="staging")
    options = {"min_instances": {"production": 2, "staging": 3}}
    assert hits(env, options) == [
        (
            "instances",
            "database cluster 'app-db' has 2 instance(s), "
            "fewer than the 3 the staging tier requires",
        )
    ]
