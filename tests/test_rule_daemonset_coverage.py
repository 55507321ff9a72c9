"""daemonset-coverage: fixtures named by outcome, on the example and on hand-built DaemonSets.

Repository fixtures copy the example, change one thing (a source, then re-render; or the
committed output by hand) and expect the finding at the line a user should change.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from gitopsctl.errors import InputError
from gitopsctl.kube.scheduling import NodeGroup, Taint
from gitopsctl.rules import daemonset_coverage as rule
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Workload
from tests.support import (
    ENVS,
    LARGE,
    SEED_GROUPS,
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
COMMITTED_LARGE_TOLERATION = (
    "    - effect: NoSchedule\n"
    "      key: workload-type\n"
    "      operator: Equal\n"
    "      value: large\n"
)
LARGE_UNCOVERED = (
    "DaemonSet 'nodeExporter' cannot run on every node group:"
    " large: does not tolerate taint workload-type=large:NoSchedule"
)


def node_exporter_values(tolerations: str) -> str:
    return f"values:\n  prometheus-node-exporter:\n    tolerations: {tolerations}\n  prometheus:\n"


def node_exporter_on_every_group(repo: Path) -> list[Outcome]:
    return []


def node_exporter_tolerates_everything(repo: Path) -> list[Outcome]:
    edit(
        repo,
        MONITORING_SOURCE,
        "values:\n  prometheus:\n",
        node_exporter_values("[{operator: Exists}]"),
    )
    rerender(repo)
    return []


def node_exporter_large_toleration_dropped(repo: Path) -> list[Outcome]:
    database_only = "[{key: workload-type, operator: Equal, value: database, effect: NoSchedule}]"
    edit(repo, MONITORING_SOURCE, "values:\n  prometheus:\n", node_exporter_values(database_only))
    rerender(repo)
    line = line_of(repo, MONITORING_SOURCE, "tolerations:")
    return [(rule.ID, env, "monitoring", MONITORING_SOURCE, line, LARGE_UNCOVERED) for env in ENVS]


def node_exporter_large_toleration_hand_removed(repo: Path) -> list[Outcome]:
    edit(repo, PROD_MONITORING, COMMITTED_LARGE_TOLERATION, "")
    line = line_of(repo, PROD_MONITORING, "tolerations:")
    return [(rule.ID, "prod", "monitoring", PROD_MONITORING, line, LARGE_UNCOVERED)]


@pytest.mark.parametrize(
    "fixture",
    [
        pytest.param(node_exporter_on_every_group, id="node-exporter-on-every-group-PASSED"),
        pytest.param(
            node_exporter_tolerates_everything, id="node-exporter-tolerates-everything-PASSED"
        ),
        pytest.param(
            node_exporter_large_toleration_dropped,
            id="node-exporter-large-toleration-dropped-FAILED",
        ),
        pytest.param(
            node_exporter_large_toleration_hand_removed,
            id="node-exporter-large-toleration-hand-removed-FAILED",
        ),
    ],
)
def test_example_repository(tmp_path: Path, fixture: Fixture) -> None:
    found, expected = fixture_outcomes(rule, tmp_path, fixture)
    assert found == expected


# --- hand-built environments ---------------------------------------------------------------------

EKS_LARGE = LARGE._replace(taints=(Taint("workload-type", "large", "NO_EXECUTE"),))
# Two taints on one group: the message lists each one the DaemonSet does not tolerate.
GPU = NodeGroup(
    "gpu",
    {"accelerator": "nvidia"},
    (Taint("nvidia.com/gpu", "", "NoSchedule"), Taint("lease", "spot", "NoExecute")),
)

SELECT_LINUX = {"kubernetes.io/os": "linux"}


def workload(spec: Mapping[str, Any], kind: str) -> Workload:
    return placed_workload(spec, kind, "agent")


def hits(
    groups: tuple[NodeGroup, ...],
    spec: Mapping[str, Any],
    kind: str = "DaemonSet",
    options: Mapping[str, Any] = rule.OPTIONS,
) -> list[Hit]:
    return list(rule.check(scheduling_environment(groups, workload(spec, kind)), options))


def uncovered(*groups: str, scope: str = "every node group") -> list[Hit]:
    message = f"DaemonSet 'agent' cannot run on {scope}: {'; '.join(groups)}"
    return [Hit(TOLERATIONS, message, "app")]


NOT_DATABASE = "database: does not tolerate taint workload-type=database:NoSchedule"
NOT_LARGE = "large: does not tolerate taint workload-type=large:NoSchedule"
SELECTED = "every node group its selector matches"


def not_in_terms(key: str, *values: str) -> dict[str, Any]:
    expression = {"key": key, "operator": "NotIn", "values": list(values)}
    terms = {"nodeSelectorTerms": [{"matchExpressions": [expression]}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": terms}}


@pytest.mark.parametrize(
    ("groups", "spec", "kind", "expected"),
    [
        pytest.param(
            SEED_GROUPS,
            {"tolerations": [TOLERATE_DATABASE, TOLERATE_LARGE]},
            "DaemonSet",
            [],
            id="tolerates-every-taint-PASSED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"tolerations": [{"operator": "Exists"}]},
            "DaemonSet",
            [],
            id="exists-with-empty-key-covers-every-group-PASSED",
        ),
        pytest.param(
            SEED_GROUPS,
            {},
            "DaemonSet",
            uncovered(NOT_DATABASE, NOT_LARGE),
            id="no-tolerations-FAILED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"tolerations": [{**TOLERATE_LARGE, "effect": "NoExecute"}, TOLERATE_DATABASE]},
            "DaemonSet",
            uncovered(NOT_LARGE),
            id="toleration-of-another-effect-FAILED",
        ),
        pytest.param(
            (WORKLOAD, SOFT),
            {},
            "DaemonSet",
            [],
            id="prefer-no-schedule-needs-no-toleration-PASSED",
        ),
        pytest.param(
            (WORKLOAD, EKS_LARGE),
            {"tolerations": [TOLERATE_LARGE]},
            "DaemonSet",
            uncovered("large: does not tolerate taint workload-type=large:NoExecute"),
            id="eks-taint-spelling-FAILED",
        ),
        pytest.param(
            (WORKLOAD, EKS_LARGE),
            {"tolerations": [{**TOLERATE_LARGE, "effect": "NO_EXECUTE"}]},
            "DaemonSet",
            [],
            id="eks-spellings-on-both-sides-PASSED",
        ),
        pytest.param(
            (WORKLOAD, GPU),
            {"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}]},
            "DaemonSet",
            uncovered("gpu: does not tolerate taint lease=spot:NoExecute"),
            id="one-of-two-taints-tolerated-FAILED",
        ),
        pytest.param(
            (WORKLOAD, GPU),
            {},
            "DaemonSet",
            uncovered(
                "gpu: does not tolerate taint nvidia.com/gpu:NoSchedule,"
                " does not tolerate taint lease=spot:NoExecute"
            ),
            id="two-taints-untolerated-FAILED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"nodeSelector": SELECT_LINUX, "tolerations": [TOLERATE_DATABASE]},
            "DaemonSet",
            uncovered(NOT_LARGE, scope=SELECTED),
            id="linux-selector-still-means-every-group-FAILED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"nodeSelector": {"workload-type": "database"}, "tolerations": [TOLERATE_DATABASE]},
            "DaemonSet",
            [],
            id="restricted-to-the-database-group-PASSED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"affinity": not_in_terms("workload-type", "database")},
            "DaemonSet",
            uncovered(NOT_LARGE, scope=SELECTED),
            id="affinity-excluding-database-still-needs-large-FAILED",
        ),
        pytest.param(
            SEED_GROUPS,
            {},
            "Deployment",
            [],
            id="deployment-is-not-a-daemonset-PASSED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"tolerations": [{"key": "workload-type", "operator": "Exists", "value": "x"}]},
            "DaemonSet",
            [],
            id="malformed-toleration-left-to-taint-toleration-PASSED",
        ),
    ],
)
def test_hand_built(
    groups: tuple[NodeGroup, ...], spec: Mapping[str, Any], kind: str, expected: list[Hit]
) -> None:
    assert hits(groups, spec, kind) == expected


@pytest.mark.parametrize(
    ("groups_option", "expected"),
    [
        pytest.param("all", uncovered(NOT_LARGE), id="all-groups-FAILED"),
        pytest.param(["workload", "database"], [], id="large-not-required-PASSED"),
        pytest.param(["large"], uncovered(NOT_LARGE), id="large-required-FAILED"),
        pytest.param([], [], id="no-group-required-PASSED"),
    ],
)
def test_groups_option(groups_option: object, expected: list[Hit]) -> None:
    spec = {"tolerations": [TOLERATE_DATABASE]}
    assert hits(SEED_GROUPS, spec, options={"groups": groups_option}) == expected


@pytest.mark.parametrize(
    ("groups_option", "message"),
    [
        pytest.param(
            "large",
            "daemonset-coverage: option groups must be 'all' or a list of node groups",
            id="a-single-name-is-not-a-list",
        ),
        pytest.param(
            ["large", "gpu"],
            "daemonset-coverage: option groups names unknown node groups gpu"
            " (known: database, large, workload)",
            id="unknown-group",
        ),
    ],
)
def test_unusable_groups_option(groups_option: object, message: str) -> None:
    with pytest.raises(InputError) as error:
        hits(SEED_GROUPS, {}, options={"groups": groups_option})
    assert str(error.value) == message
