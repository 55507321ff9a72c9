"""taint-toleration: fixtures named by outcome, on the example repository and on hand-built pods.

Repository fixtures copy the example, change one thing (a source, then re-render; or the
committed output by hand) and expect the finding at the line a user should change.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from gitopsctl.kube.scheduling import NodeGroup, Taint
from gitopsctl.pipeline import node_groups
from gitopsctl.rules import taint_toleration as rule
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Workload
from tests.support import (
    ENVS,
    EVICTING,
    LARGE,
    PROJECT,
    SEED_GROUPS,
    SOFT,
    TOLERATE_LARGE,
    WORKLOAD,
    Fixture,
    Outcome,
    at,
    edit,
    fixture_outcomes,
    line_of,
    placed_workload,
    rerender,
    scheduling_environment,
)

# --- the example repository ----------------------------------------------------------------------

RETOOL_SOURCE = "sources/apps/retool.yaml"
PROD_RETOOL = "rendered/prod/retool/values.yaml"
COMMITTED_LARGE_TOLERATION = (
    "tolerations:\n"
    "  - effect: NoSchedule\n"
    "    key: workload-type\n"
    "    operator: Equal\n"
    "    value: large\n"
)
RETOOL_FITS_NOWHERE = (
    "workload 'backend' (Deployment) fits no node group: "
    "workload: nodeSelector workload-type=large does not match (the group has no workload-type"
    " label); "
    "database: nodeSelector workload-type=large does not match (the group has"
    " workload-type=database), does not tolerate taint workload-type=database:NoSchedule; "
    "large: does not tolerate taint workload-type=large:NoSchedule"
)


def retool_on_large(repo: Path) -> list[Outcome]:
    return []


def retool_tolerates_everything(repo: Path) -> list[Outcome]:
    edit(repo, PROD_RETOOL, COMMITTED_LARGE_TOLERATION, "tolerations: [{operator: Exists}]\n")
    return []


def retool_on_large_by_affinity(repo: Path) -> list[Outcome]:
    affinity = (
        "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution:"
        " {nodeSelectorTerms: [{matchExpressions:"
        " [{key: workload-type, operator: In, values: [large]}]}]}}}\n"
    )
    edit(repo, PROD_RETOOL, "nodeSelector:\n  workload-type: large\n", affinity)
    return []


def retool_tolerations_dropped(repo: Path) -> list[Outcome]:
    edit(repo, RETOOL_SOURCE, "values:\n", "values:\n  tolerations: []\n")
    rerender(repo)
    line = line_of(repo, RETOOL_SOURCE, "tolerations: []")
    return [(rule.ID, env, "retool", RETOOL_SOURCE, line, RETOOL_FITS_NOWHERE) for env in ENVS]


def retool_tolerations_hand_edited(repo: Path) -> list[Outcome]:
    edit(repo, PROD_RETOOL, COMMITTED_LARGE_TOLERATION, "tolerations: []\n")
    line = line_of(repo, PROD_RETOOL, "tolerations: []")
    return [(rule.ID, "prod", "retool", PROD_RETOOL, line, RETOOL_FITS_NOWHERE)]


def retool_selects_missing_group(repo: Path) -> list[Outcome]:
    edit(repo, PROD_RETOOL, "  workload-type: large\n", "  workload-type: gpu\n")
    message = (
        "workload 'backend' (Deployment) fits no node group: "
        "workload: nodeSelector workload-type=gpu does not match (the group has no workload-type"
        " label); "
        "database: nodeSelector workload-type=gpu does not match (the group has"
        " workload-type=database), does not tolerate taint workload-type=database:NoSchedule; "
        "large: nodeSelector workload-type=gpu does not match (the group has workload-type=large)"
    )
    line = line_of(repo, PROD_RETOOL, "nodeSelector:")
    return [(rule.ID, "prod", "retool", PROD_RETOOL, line, message)]


def retool_toleration_malformed(repo: Path) -> list[Outcome]:
    edit(repo, PROD_RETOOL, "    operator: Equal\n", "    operator: Exists\n")
    message = (
        "workload 'backend' (Deployment) has an invalid placement: "
        "tolerations[0]: value must be empty when operator is Exists"
    )
    line = line_of(repo, PROD_RETOOL, "tolerations:")
    return [(rule.ID, "prod", "retool", PROD_RETOOL, line, message)]


@pytest.mark.parametrize(
    "fixture",
    [
        pytest.param(retool_on_large, id="retool-on-large-PASSED"),
        pytest.param(retool_tolerates_everything, id="retool-tolerates-everything-PASSED"),
        pytest.param(retool_on_large_by_affinity, id="retool-on-large-by-affinity-PASSED"),
        pytest.param(retool_tolerations_dropped, id="retool-tolerations-dropped-FAILED"),
        pytest.param(retool_tolerations_hand_edited, id="retool-tolerations-hand-edited-FAILED"),
        pytest.param(retool_selects_missing_group, id="retool-selects-missing-group-FAILED"),
        pytest.param(retool_toleration_malformed, id="retool-toleration-malformed-FAILED"),
    ],
)
def test_example_repository(tmp_path: Path, fixture: Fixture) -> None:
    found, expected = fixture_outcomes(rule, tmp_path, fixture)
    assert found == expected


# --- hand-built environments ---------------------------------------------------------------------

# The platform's groups as the EKS module spells them.
EKS_LARGE = LARGE._replace(taints=(Taint("workload-type", "large", "NO_SCHEDULE"),))

SELECT_LARGE = {"workload-type": "large"}


def workload(spec: Mapping[str, Any], kind: str = "Deployment") -> Workload:
    return placed_workload(spec, kind, "api")


def hits(groups: tuple[NodeGroup, ...], spec: Mapping[str, Any], kind: str) -> list[Hit]:
    return list(rule.check(scheduling_environment(groups, workload(spec, kind)), {}))


def fits_nowhere(kind: str, *reasons: str) -> str:
    return f"workload 'api' ({kind}) fits no node group: {'; '.join(reasons)}"


def in_terms(key: str, *values: str) -> dict[str, Any]:
    expression = {"key": key, "operator": "In", "values": list(values)}
    terms = {"nodeSelectorTerms": [{"matchExpressions": [expression]}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": terms}}


@pytest.mark.parametrize(
    ("groups", "spec", "kind", "expected"),
    [
        pytest.param(
            SEED_GROUPS,
            {"nodeSelector": SELECT_LARGE, "tolerations": [{"operator": "Exists"}]},
            "Deployment",
            [],
            id="exists-with-empty-key-tolerates-every-taint-PASSED",
        ),
        pytest.param(
            SEED_GROUPS,
            {
                "nodeSelector": SELECT_LARGE,
                "tolerations": [{"key": "workload-type", "operator": "Exists"}],
            },
            "Deployment",
            [],
            id="exists-with-key-tolerates-every-value-PASSED",
        ),
        pytest.param(
            SEED_GROUPS,
            {
                "nodeSelector": SELECT_LARGE,
                "tolerations": [{"key": "workload-type", "value": "large"}],
            },
            "Deployment",
            [],
            id="empty-effect-tolerates-every-effect-PASSED",
        ),
        pytest.param(
            (WORKLOAD, SOFT),
            {"nodeSelector": {"tier": "soft"}},
            "Deployment",
            [],
            id="prefer-no-schedule-does-not-repel-PASSED",
        ),
        pytest.param(
            (WORKLOAD, EKS_LARGE),
            {"nodeSelector": SELECT_LARGE, "tolerations": [TOLERATE_LARGE]},
            "Deployment",
            [],
            id="eks-taint-spelling-tolerated-PASSED",
        ),
        pytest.param(
            (WORKLOAD, LARGE),
            {
                "nodeSelector": SELECT_LARGE,
                "tolerations": [{**TOLERATE_LARGE, "effect": "NO_SCHEDULE"}],
            },
            "Deployment",
            [],
            id="eks-toleration-spelling-tolerated-PASSED",
        ),
        pytest.param(
            (WORKLOAD, EKS_LARGE),
            {"nodeSelector": SELECT_LARGE},
            "Deployment",
            [
                Hit(
                    at("tolerations"),
                    fits_nowhere(
                        "Deployment",
                        "workload: nodeSelector workload-type=large does not match"
                        " (the group has no workload-type label)",
                        "large: does not tolerate taint workload-type=large:NoSchedule",
                    ),
                    "app",
                )
            ],
            id="eks-taint-spelling-repels-FAILED",
        ),
        pytest.param(
            (WORKLOAD, LARGE),
            {
                "nodeSelector": SELECT_LARGE,
                "tolerations": [{**TOLERATE_LARGE, "effect": "NoExecute"}],
            },
            "Deployment",
            [
                Hit(
                    at("tolerations"),
                    fits_nowhere(
                        "Deployment",
                        "workload: nodeSelector workload-type=large does not match"
                        " (the group has no workload-type label)",
                        "large: does not tolerate taint workload-type=large:NoSchedule",
                    ),
                    "app",
                )
            ],
            id="toleration-of-another-effect-FAILED",
        ),
        pytest.param(
            (EVICTING,),
            {"tolerations": [{"key": "tier", "operator": "Exists", "effect": "NoSchedule"}]},
            "DaemonSet",
            [
                Hit(
                    at("tolerations"),
                    fits_nowhere(
                        "DaemonSet", "evicting: does not tolerate taint tier=evicting:NoExecute"
                    ),
                    "app",
                )
            ],
            id="no-execute-repels-FAILED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"affinity": in_terms("workload-type", "gpu")},
            "Deployment",
            [
                Hit(
                    at("affinity"),
                    fits_nowhere(
                        "Deployment",
                        "workload: no required nodeSelectorTerm matches"
                        " (term 1: workload-type In [gpu] fails)",
                        "database: no required nodeSelectorTerm matches"
                        " (term 1: workload-type In [gpu] fails),"
                        " does not tolerate taint workload-type=database:NoSchedule",
                        "large: no required nodeSelectorTerm matches"
                        " (term 1: workload-type In [gpu] fails),"
                        " does not tolerate taint workload-type=large:NoSchedule",
                    ),
                    "app",
                )
            ],
            id="affinity-matches-no-group-FAILED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"tolerations": [{"key": "workload-type", "operator": "Exists", "value": "large"}]},
            "Deployment",
            [
                Hit(
                    at("tolerations"),
                    "workload 'api' (Deployment) has an invalid placement:"
                    " tolerations[0]: value must be empty when operator is Exists",
                    "app",
                )
            ],
            id="malformed-toleration-FAILED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"tolerations": [{"value": "large"}]},
            "Deployment",
            [
                Hit(
                    at("tolerations"),
                    "workload 'api' (Deployment) has an invalid placement: tolerations[0]:"
                    ' operator must be Exists when key is empty ("match all keys and values")',
                    "app",
                )
            ],
            id="empty-key-without-exists-FAILED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"tolerations": [{**TOLERATE_LARGE, "effect": "Sometimes"}]},
            "Deployment",
            [
                Hit(
                    at("tolerations"),
                    "workload 'api' (Deployment) has an invalid placement:"
                    " unknown taint effect 'Sometimes': expected NoSchedule, PreferNoSchedule"
                    " or NoExecute",
                    "app",
                )
            ],
            id="unknown-toleration-effect-FAILED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"tolerations": {"operator": "Exists"}},
            "Deployment",
            [
                Hit(
                    at("tolerations"),
                    "workload 'api' (Deployment) has an invalid placement:"
                    " tolerations must be a list, got dict",
                    "app",
                )
            ],
            id="tolerations-not-a-list-FAILED",
        ),
        pytest.param(
            SEED_GROUPS,
            {
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}
                    }
                }
            },
            "Deployment",
            [
                Hit(
                    at("affinity"),
                    "workload 'api' (Deployment) has an invalid placement:"
                    " affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
                    ".nodeSelectorTerms: must have at least one node selector term",
                    "app",
                )
            ],
            id="affinity-without-terms-FAILED",
        ),
        pytest.param(
            SEED_GROUPS,
            {"nodeSelector": {"workload-type": 5}},
            "Deployment",
            [
                Hit(
                    at("nodeSelector"),
                    "workload 'api' (Deployment) has an invalid placement:"
                    " nodeSelector: 'workload-type': 5 must map a string to a string",
                    "app",
                )
            ],
            id="malformed-node-selector-FAILED",
        ),
        pytest.param(
            (),
            {"nodeSelector": SELECT_LARGE},
            "Deployment",
            [],
            id="no-node-groups-known-PASSED",
        ),
    ],
)
def test_hand_built(
    groups: tuple[NodeGroup, ...], spec: Mapping[str, Any], kind: str, expected: list[Hit]
) -> None:
    assert hits(groups, spec, kind) == expected


# --- the labels every node carries ---------------------------------------------------------------

# The example platform's groups, read from its Terraform as validate reads them.
EXAMPLE_GROUPS = tuple(node_groups(PROJECT))
ON_DATABASE_NODES: dict[str, str] = {
    "beta.kubernetes.io/os": "linux",
    "eks.amazonaws.com/nodegroup": "database",
    "topology.kubernetes.io/region": "eu-west-1",
    "node.kubernetes.io/instance-type": "r6i.large",
    "eks.amazonaws.com/capacityType": "ON_DEMAND",
}
TOLERATE_DATABASE_TAINT: list[dict[str, str]] = [
    {"key": "workload-type", "operator": "Equal", "value": "database", "effect": "NoSchedule"}
]
IN_DATABASES_GROUP: dict[str, str] = {
    **ON_DATABASE_NODES,
    "eks.amazonaws.com/nodegroup": "databases",
}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(
            {"nodeSelector": ON_DATABASE_NODES, "tolerations": TOLERATE_DATABASE_TAINT},
            [],
            id="kubelet-and-eks-labels-of-the-database-group-PASSED",
        ),
        pytest.param(
            {
                "nodeSelector": IN_DATABASES_GROUP,
                "tolerations": TOLERATE_DATABASE_TAINT,
            },
            [
                Hit(
                    at("nodeSelector"),
                    fits_nowhere(
                        "Deployment",
                        "workload: nodeSelector eks.amazonaws.com/nodegroup=databases does not"
                        " match (the group has eks.amazonaws.com/nodegroup=workload),"
                        " nodeSelector node.kubernetes.io/instance-type=r6i.large does not match"
                        " (the group has node.kubernetes.io/instance-type in [t3.large,"
                        " t3.xlarge])",
                        "database: nodeSelector eks.amazonaws.com/nodegroup=databases does not"
                        " match (the group has eks.amazonaws.com/nodegroup=database)",
                        "large: nodeSelector eks.amazonaws.com/nodegroup=databases does not match"
                        " (the group has eks.amazonaws.com/nodegroup=large), nodeSelector"
                        " node.kubernetes.io/instance-type=r6i.large does not match (the group"
                        " has node.kubernetes.io/instance-type=m6i.2xlarge), does not tolerate"
                        " taint workload-type=large:NoSchedule",
                    ),
                    "app",
                )
            ],
            id="wrong-node-group-name-FAILED",
        ),
    ],
)
def test_well_known_node_labels(spec: Mapping[str, Any], expected: list[Hit]) -> None:
    assert hits(EXAMPLE_GROUPS, spec, "Deployment") == expected
