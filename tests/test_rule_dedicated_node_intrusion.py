"""dedicated-node-intrusion: fixtures named by outcome, on the example and on hand-built pods.

Repository fixtures copy the example, change one thing (a source, then re-render; or the
committed output by hand) and expect the finding at the line a user should change.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from gitopsctl.kube.scheduling import NodeGroup, Taint
from gitopsctl.rules import dedicated_node_intrusion as rule
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Workload
from tests import support
from tests.support import (
    ENVS,
    EVICTING,
    SOFT,
    TOLERATE_DATABASE,
    TOLERATE_LARGE,
    TOLERATIONS,
    WORKLOAD,
    Fixture,
    Outcome,
    edit,
    fixture_outcomes,
    line_of,
    placed_workload,
    rerender,
    scheduling_environment,
)

# --- the example repository ----------------------------------------------------------------------

MONITORING_SOURCE = "sources/apps/monitoring.yaml"
PROD_MONITORING = "rendered/prod/monitoring/values.yaml"
PROD_RETOOL = "rendered/prod/retool/values.yaml"
TOLERATE_DATABASE_FLOW = (
    "{key: workload-type, operator: Equal, value: database, effect: NoSchedule}"
)


def squats(workload: str, group: str, kind: str = "Deployment") -> str:
    return (
        f"workload {workload!r} ({kind}) tolerates taint workload-type={group}:NoSchedule of the"
        f" dedicated node group {group!r} without selecting it, so it may take the nodes"
        f" reserved there: select the group with nodeSelector workload-type={group}"
        " or drop the toleration"
    )


def grafana_on_workload_nodes(repo: Path) -> list[Outcome]:
    return []


def retool_also_tolerates_database(repo: Path) -> list[Outcome]:
    toleration = f"tolerations:\n  - {TOLERATE_DATABASE_FLOW}\n"
    edit(repo, PROD_RETOOL, "tolerations:\n", toleration)
    return []


def grafana_tolerates_database(repo: Path) -> list[Outcome]:
    tolerations = f"    tolerations:\n      - {TOLERATE_DATABASE_FLOW}\n"
    edit(
        repo,
        MONITORING_SOURCE,
        "  grafana:\n    admin:\n",
        f"  grafana:\n{tolerations}    admin:\n",
    )
    rerender(repo)
    line = line_of(repo, MONITORING_SOURCE, "tolerations:")
    message = squats("grafana", "database")
    return [(rule.ID, env, "monitoring", MONITORING_SOURCE, line, message) for env in ENVS]


def grafana_database_toleration_hand_edited(repo: Path) -> list[Outcome]:
    tolerations = f"  tolerations: [{TOLERATE_DATABASE_FLOW}]\n"
    edit(repo, PROD_MONITORING, "  replicas: 1\nprometheus:\n", f"{tolerations}prometheus:\n")
    line = line_of(repo, PROD_MONITORING, "tolerations: [")
    message = squats("grafana", "database")
    return [(rule.ID, "prod", "monitoring", PROD_MONITORING, line, message)]


def grafana_tolerates_everything(repo: Path) -> list[Outcome]:
    tolerations = "  tolerations: [{operator: Exists}]\n"
    edit(repo, PROD_MONITORING, "  replicas: 1\nprometheus:\n", f"{tolerations}prometheus:\n")
    line = line_of(repo, PROD_MONITORING, "tolerations: [")
    return [
        (rule.ID, "prod", "monitoring", PROD_MONITORING, line, squats("grafana", group))
        for group in ("database", "large")
    ]


@pytest.mark.parametrize(
    "fixture",
    [
        pytest.param(grafana_on_workload_nodes, id="grafana-on-workload-nodes-PASSED"),
        pytest.param(retool_also_tolerates_database, id="retool-also-tolerates-database-PASSED"),
        pytest.param(grafana_tolerates_database, id="grafana-tolerates-database-FAILED"),
        pytest.param(
            grafana_database_toleration_hand_edited,
            id="grafana-database-toleration-hand-edited-FAILED",
        ),
        pytest.param(grafana_tolerates_everything, id="grafana-tolerates-everything-FAILED"),
    ],
)
def test_example_repository(tmp_path: Path, fixture: Fixture) -> None:
    found, expected = fixture_outcomes(rule, tmp_path, fixture)
    assert found == expected


# --- hand-built environments ---------------------------------------------------------------------

DATABASE = support.DATABASE._replace(instance_types=("r6i.large",))
SEED_GROUPS = (support.WORKLOAD, DATABASE, support.LARGE)
EKS_DATABASE = DATABASE._replace(taints=(Taint("workload-type", "database", "NO_SCHEDULE"),))
# Two groups that make up one reservation, e.g. one per availability zone.
DATABASE_A = DATABASE._replace(name="database-a", zones=("eu-west-1a",))
DATABASE_B = DATABASE._replace(name="database-b", zones=("eu-west-1b",))
# A group reserved by its taint alone: it has no labels of its own to select.
GPU = NodeGroup("gpu", {}, (Taint("nvidia.com/gpu", "", "NoSchedule"),))

SELECT_DATABASE = {"workload-type": "database"}
TOLERATE_EVERYTHING = {"operator": "Exists"}


def workload(spec: Mapping[str, Any], kind: str) -> Workload:
    return placed_workload(spec, kind, "api")


def hits(groups: tuple[NodeGroup, ...], spec: Mapping[str, Any], kind: str) -> list[Hit]:
    return list(rule.check(scheduling_environment(groups, workload(spec, kind)), {}))


def intrusion(group: str, taint: str, selector: str) -> Hit:
    message = (
        f"workload 'api' (Deployment) tolerates taint {taint} of the dedicated node group"
        f" {group!r} without selecting it, so it may take the nodes reserved there:"
        f" select the group with nodeSelector {selector} or drop the toleration"
    )
    return Hit(TOLERATIONS, message, "app")


INTO_DATABASE = intrusion("database", "workload-type=database:NoSchedule", "workload-type=database")
INTO_LARGE = intrusion("large", "workload-type=large:NoSchedule", "workload-type=large")


def in_terms(key: str, *values: str) -> dict[str, Any]:
    expression = {"key": key, "operator": "In", "values": list(values)}
    terms = {"nodeSelectorTerms": [{"matchExpressions": [expression]}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": terms}}


@pytest.mark.parametrize(
    ("groups", "spec", "kind", "expected"),
    [
        pytest.param(
            SEED_GROUPS,
            {"nodeSelector": SELECT_DATABASE, "tolerations": [TOLERATE_DATABASE]},
            "Deployment",
            [],
            id="selects-the-group-it-tolerates-PASSED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"tolerations": [TOLERATE_DATABASE]},
            "Deployment",
            [INTO_DATABASE],
            id="tolerates-without-selecting-FAILED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"tolerations": [TOLERATE_EVERYTHING]},
            "Deployment",
            [INTO_DATABASE, INTO_LARGE],
            id="exists-with-empty-key-squats-everywhere-FAILED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"nodeSelector": SELECT_DATABASE, "tolerations": [TOLERATE_EVERYTHING]},
            "Deployment",
            [],
            id="exists-with-empty-key-selecting-database-PASSED",
        ),
        pytest.param(
            SEED_GROUPS,
            {
                "nodeSelector": {"workload-type": "large"},
                "tolerations": [TOLERATE_LARGE, TOLERATE_DATABASE],
            },
            "Deployment",
            [],
            id="spare-toleration-of-a-group-it-cannot-reach-PASSED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"tolerations": [TOLERATE_DATABASE]},
            "DaemonSet",
            [],
            id="daemonset-left-to-daemonset-coverage-PASSED",
        ),
        pytest.param(
            (WORKLOAD, EKS_DATABASE),
            {"tolerations": [TOLERATE_DATABASE]},
            "Deployment",
            [INTO_DATABASE],
            id="eks-taint-spelling-FAILED",
        ),
        pytest.param(
            (WORKLOAD, DATABASE),
            {"tolerations": [{**TOLERATE_DATABASE, "effect": "NO_SCHEDULE"}]},
            "Deployment",
            [INTO_DATABASE],
            id="eks-toleration-spelling-FAILED",
        ),
        pytest.param(
            (WORKLOAD, SOFT),
            {"tolerations": [{"key": "tier", "operator": "Exists"}]},
            "Deployment",
            [],
            id="prefer-no-schedule-does-not-reserve-PASSED",
        ),
        pytest.param(
            (WORKLOAD, EVICTING),
            {"tolerations": [{"key": "tier", "operator": "Exists"}]},
            "Deployment",
            [intrusion("evicting", "tier=evicting:NoExecute", "tier=evicting")],
            id="no-execute-reserves-FAILED",
        ),
        pytest.param(
            (WORKLOAD, DATABASE_A, DATABASE_B),
            {"nodeSelector": SELECT_DATABASE, "tolerations": [TOLERATE_DATABASE]},
            "Deployment",
            [],
            id="groups-labelled-alike-are-one-reservation-PASSED",
        ),
        pytest.param(
            SEED_GROUPS,
            {
                "affinity": in_terms("workload-type", "database", "large"),
                "tolerations": [TOLERATE_DATABASE, TOLERATE_LARGE],
            },
            "Deployment",
            [INTO_DATABASE, INTO_LARGE],
            id="affinity-spanning-two-reservations-FAILED",
        ),
        pytest.param(
            SEED_GROUPS,
            {
                "nodeSelector": {"eks.amazonaws.com/nodegroup": "database"},
                "tolerations": [TOLERATE_DATABASE],
            },
            "Deployment",
            [],
            id="selects-by-nodegroup-label-PASSED",
        ),
        pytest.param(
            SEED_GROUPS,
            {
                "nodeSelector": {"node.kubernetes.io/instance-type": "r6i.large"},
                "tolerations": [TOLERATE_DATABASE],
            },
            "Deployment",
            [INTO_DATABASE],
            id="instance-type-is-not-the-group-label-FAILED",
        ),
        pytest.param(
            (WORKLOAD, GPU),
            {"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}]},
            "Deployment",
            [intrusion("gpu", "nvidia.com/gpu:NoSchedule", "eks.amazonaws.com/nodegroup=gpu")],
            id="unlabelled-group-tolerated-without-selecting-FAILED",
        ),
        pytest.param(
            (WORKLOAD, GPU),
            {
                "nodeSelector": {"eks.amazonaws.com/nodegroup": "gpu"},
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}],
            },
            "Deployment",
            [],
            id="unlabelled-group-selected-by-nodegroup-PASSED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"tolerations": [{"key": "workload-type", "operator": "Exists", "value": "x"}]},
            "Deployment",
            [],
            id="malformed-toleration-left-to-taint-toleration-PASSED",
        ),
    ],
)
def test_hand_built(
    groups: tuple[NodeGroup, ...], spec: Mapping[str, Any], kind: str, expected: list[Hit]
) -> None:
    assert hits(groups, spec, kind) == expected
