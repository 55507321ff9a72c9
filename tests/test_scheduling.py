"""Scheduling verdicts, case by case, as the Kubernetes scheduler gives them.

Each case is named after the rule it demonstrates; the rules come from the Kubernetes API
reference (Toleration, NodeSelectorTerm, NodeSelectorRequirement) and the scheduler's
TaintToleration and NodeAffinity filters.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitopsctl.kube.scheduling import (
    NodeGroup,
    Placement,
    Requirement,
    Taint,
    Toleration,
    blocking_taints,
    fitting_groups,
    misfit_reasons,
    node_label_values,
    normalize_effect,
    parse_placement,
    parse_taint,
    parse_toleration,
    tolerates,
)

# The seed platform's three managed node groups, as the example's platform declares them.
EU_WEST_1 = ("eu-west-1a", "eu-west-1b", "eu-west-1c")
WORKLOAD = NodeGroup("workload", {}, (), EU_WEST_1, ("t3.large", "t3.xlarge"))
DATABASE = NodeGroup(
    "database",
    {"workload-type": "database"},
    (Taint("workload-type", "database", "NoSchedule"),),
    EU_WEST_1,
    ("r6i.large",),
)
LARGE = NodeGroup(
    "large",
    {"workload-type": "large"},
    (Taint("workload-type", "large", "NoSchedule"),),
    EU_WEST_1,
    ("m6i.2xlarge",),
)
# A group declaring nothing but its name: every well-known label may have any value.
BARE = NodeGroup("bare", {}, ())
SEED_GROUPS = [WORKLOAD, DATABASE, LARGE]
SIZED = NodeGroup(
    "sized",
    {"cpu-count": "16", "size": "large"},
    (),
    instance_types=("m5.4xlarge", "m6i.4xlarge"),
)

TOLERATE_LARGE = {"key": "workload-type", "value": "large", "effect": "NoSchedule"}
TOLERATE_DATABASE = {
    "key": "workload-type",
    "operator": "Equal",
    "value": "database",
    "effect": "NoSchedule",
}
TOLERATE_EVERYTHING = {"operator": "Exists"}
RETOOL = {"nodeSelector": {"workload-type": "large"}, "tolerations": [TOLERATE_LARGE]}
CNPG = {"nodeSelector": {"workload-type": "database"}, "tolerations": [TOLERATE_DATABASE]}
NODE_EXPORTER = {"tolerations": [TOLERATE_EVERYTHING]}

ZONES = "[eu-west-1a, eu-west-1b, eu-west-1c]"
NO_TERM = "no required nodeSelectorTerm matches"
REPELLED_BY_DATABASE = "does not tolerate taint workload-type=database:NoSchedule"
REPELLED_BY_LARGE = "does not tolerate taint workload-type=large:NoSchedule"


def expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    return {"key": key, "operator": operator, "values": list(values)}


def term(*expressions: dict[str, Any]) -> dict[str, Any]:
    return {"matchExpressions": list(expressions)}


def required(*terms: dict[str, Any] | None, **rest: Any) -> dict[str, Any]:
    """A pod spec whose required node affinity has these terms, plus any other fields."""
    selector = {"nodeSelectorTerms": list(terms)}
    node_affinity = {"requiredDuringSchedulingIgnoredDuringExecution": selector}
    return {"affinity": {"nodeAffinity": node_affinity}, **rest}


# --- effects ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        pytest.param("NoSchedule", "NoSchedule", id="kubernetes-no-schedule"),
        pytest.param("PreferNoSchedule", "PreferNoSchedule", id="kubernetes-prefer-no-schedule"),
        pytest.param("NoExecute", "NoExecute", id="kubernetes-no-execute"),
        pytest.param("NO_SCHEDULE", "NoSchedule", id="eks-no-schedule"),
        pytest.param("PREFER_NO_SCHEDULE", "PreferNoSchedule", id="eks-prefer-no-schedule"),
        pytest.param("NO_EXECUTE", "NoExecute", id="eks-no-execute"),
        pytest.param("", "", id="empty-stays-empty-for-tolerations"),
    ],
)
def test_normalize_effect(spelling: str, expected: str) -> None:
    assert normalize_effect(spelling) == expected


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param("noschedule", id="case-matters"),
        pytest.param("NoScheduleX", id="unknown-effect"),
        pytest.param("No_Schedule", id="mixed-spelling"),
    ],
)
def test_normalize_effect_names_the_accepted_spellings(spelling: str) -> None:
    with pytest.raises(ValueError) as error:
        normalize_effect(spelling)
    assert str(error.value) == (
        f"unknown taint effect {spelling!r}: expected NoSchedule, PreferNoSchedule or NoExecute"
        " (or the EKS/Terraform spelling NO_SCHEDULE, PREFER_NO_SCHEDULE or NO_EXECUTE)"
    )


# --- taints and tolerations ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toleration", "taint", "expected"),
    [
        pytest.param(
            Toleration("k", "Equal", "v", "NoSchedule"),
            Taint("k", "v", "NoSchedule"),
            True,
            id="equal-matches-key-value-and-effect",
        ),
        pytest.param(
            Toleration("k", "Equal", "w", "NoSchedule"),
            Taint("k", "v", "NoSchedule"),
            False,
            id="equal-needs-the-same-value",
        ),
        pytest.param(
            Toleration("other", "Equal", "v", "NoSchedule"),
            Taint("k", "v", "NoSchedule"),
            False,
            id="equal-needs-the-same-key",
        ),
        pytest.param(
            Toleration(key="k", value="v"),
            Taint("k", "v", "NoExecute"),
            True,
            id="default-operator-is-equal",
        ),
        pytest.param(
            Toleration(key="k"),
            Taint("k", "v", "NoSchedule"),
            False,
            id="default-operator-equal-compares-the-empty-value",
        ),
        pytest.param(
            Toleration(key="k"),
            Taint("k", "", "NoSchedule"),
            True,
            id="equal-empty-value-matches-a-valueless-taint",
        ),
        pytest.param(
            Toleration("k", "", "v"),
            Taint("k", "v", "NoSchedule"),
            True,
            id="empty-operator-means-equal",
        ),
        pytest.param(
            Toleration("k", "Exists"),
            Taint("k", "anything", "NoExecute"),
            True,
            id="exists-ignores-the-value",
        ),
        pytest.param(
            Toleration("k", "Exists"),
            Taint("other", "v", "NoSchedule"),
            False,
            id="exists-still-needs-the-key",
        ),
        pytest.param(
            Toleration(operator="Exists"),
            Taint("any-key", "any-value", "NoExecute"),
            True,
            id="empty-key-with-exists-matches-every-key",
        ),
        pytest.param(
            Toleration(operator="Exists", effect="NoSchedule"),
            Taint("any-key", "v", "NoExecute"),
            False,
            id="empty-key-with-exists-still-checks-the-effect",
        ),
        pytest.param(
            Toleration("k", "Exists"),
            Taint("k", "", "PreferNoSchedule"),
            True,
            id="empty-effect-matches-every-effect",
        ),
        pytest.param(
            Toleration("k", "Exists", effect="NoSchedule"),
            Taint("k", "v", "NoExecute"),
            False,
            id="effect-must-match-when-set",
        ),
        pytest.param(
            Toleration("k", "Equal", "v", "NoSchedule"),
            Taint("k", "v", "NO_SCHEDULE"),
            True,
            id="eks-spelled-taint-matches-kubernetes-spelled-toleration",
        ),
        pytest.param(
            Toleration("k", "Exists", effect="NO_EXECUTE"),
            Taint("k", "v", "NoSchedule"),
            False,
            id="eks-spelled-toleration-effect-still-compared",
        ),
        pytest.param(
            Toleration("k", "Gt", "1"),
            Taint("k", "2", "NoSchedule"),
            False,
            id="unsupported-operator-matches-nothing",
        ),
    ],
)
def test_tolerates(toleration: Toleration, taint: Taint, expected: bool) -> None:
    assert tolerates(toleration, taint) is expected


@pytest.mark.parametrize(
    ("taints", "tolerations", "expected"),
    [
        pytest.param(
            (Taint("k", "v", "PreferNoSchedule"),),
            (),
            [],
            id="prefer-no-schedule-does-not-block",
        ),
        pytest.param(
            (Taint("k", "v", "NoSchedule"),),
            (),
            [Taint("k", "v", "NoSchedule")],
            id="no-schedule-blocks",
        ),
        pytest.param(
            (Taint("k", "v", "NoExecute"),),
            (),
            [Taint("k", "v", "NoExecute")],
            id="no-execute-blocks",
        ),
        pytest.param(
            (Taint("k", "v", "NO_SCHEDULE"),),
            (),
            [Taint("k", "v", "NO_SCHEDULE")],
            id="eks-spelled-no-schedule-blocks",
        ),
        pytest.param(
            (Taint("k", "v", "NoSchedule"),),
            (Toleration("k", "Equal", "v", "NoSchedule"),),
            [],
            id="tolerated-taint-does-not-block",
        ),
        pytest.param(
            (Taint("a", "1", "NoSchedule"), Taint("b", "2", "NoExecute")),
            (Toleration("a", "Exists"),),
            [Taint("b", "2", "NoExecute")],
            id="each-taint-needs-its-own-toleration",
        ),
        pytest.param(
            (Taint("a", "1", "NoSchedule"), Taint("b", "2", "NoExecute")),
            (Toleration(operator="Exists"),),
            [],
            id="one-wildcard-toleration-covers-every-taint",
        ),
    ],
)
def test_blocking_taints(
    taints: tuple[Taint, ...], tolerations: tuple[Toleration, ...], expected: list[Taint]
) -> None:
    assert blocking_taints(NodeGroup("g", {}, taints), tolerations) == expected


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param(
            {"key": "workload-type", "value": "large", "effect": "NoSchedule"},
            Taint("workload-type", "large", "NoSchedule"),
            id="kubernetes-spelling",
        ),
        pytest.param(
            {"key": "workload-type", "value": "database", "effect": "NO_SCHEDULE"},
            Taint("workload-type", "database", "NoSchedule"),
            id="eks-terraform-spelling-is-normalized",
        ),
        pytest.param(
            {"key": "dedicated", "effect": "NoExecute"},
            Taint("dedicated", "", "NoExecute"),
            id="value-is-optional",
        ),
    ],
)
def test_parse_taint(obj: dict[str, Any], expected: Taint) -> None:
    assert parse_taint(obj) == expected


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        pytest.param({"value": "v", "effect": "NoSchedule"}, "taint: key is required", id="no-key"),
        pytest.param({"key": "k", "value": "v"}, "taint k: effect is required", id="no-effect"),
        pytest.param(
            {"key": "k", "effect": "Never"},
            "unknown taint effect 'Never': expected NoSchedule, PreferNoSchedule or NoExecute"
            " (or the EKS/Terraform spelling NO_SCHEDULE, PREFER_NO_SCHEDULE or NO_EXECUTE)",
            id="unknown-effect",
        ),
        pytest.param(
            {"key": "k", "value": 8, "effect": "NoSchedule"},
            "taint k: value must be a string, got 8",
            id="value-not-a-string",
        ),
        pytest.param(
            {"key": "bad key", "effect": "NoSchedule"},
            "taint bad key: 'bad key' is not a valid label key"
            " (an optional DNS subdomain prefix and '/', then a name)",
            id="key-not-a-label-key",
        ),
    ],
)
def test_parse_taint_rejects(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_taint(obj)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param(
            {"key": "k", "value": "v", "effect": "NoSchedule"},
            Toleration("k", "Equal", "v", "NoSchedule"),
            id="missing-operator-is-equal",
        ),
        pytest.param(
            {"key": "k", "operator": None, "value": "v"},
            Toleration("k", "Equal", "v", ""),
            id="null-operator-is-equal-and-missing-effect-is-empty",
        ),
        pytest.param(
            {"operator": "Exists"},
            Toleration("", "Exists", "", ""),
            id="empty-key-with-exists",
        ),
        pytest.param(
            {"key": "k", "operator": "Exists", "effect": "NO_EXECUTE", "tolerationSeconds": 30},
            Toleration("k", "Exists", "", "NoExecute"),
            id="eks-spelled-effect-is-normalized",
        ),
    ],
)
def test_parse_toleration(obj: dict[str, Any], expected: Toleration) -> None:
    assert parse_toleration(obj) == expected


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        pytest.param(
            {},
            'toleration: operator must be Exists when key is empty ("match all keys and values")',
            id="empty-key-needs-exists",
        ),
        pytest.param(
            {"key": "k", "operator": "Exists", "value": "v"},
            "toleration: value must be empty when operator is Exists",
            id="exists-takes-no-value",
        ),
        pytest.param(
            {"key": "k", "operator": "In", "value": "v"},
            "toleration: operator 'In' is not one of Equal, Exists",
            id="unknown-operator",
        ),
        pytest.param(
            {"key": "k", "value": "v", "effect": "NoSchedule", "tolerationSeconds": 60},
            "toleration: effect must be NoExecute when tolerationSeconds is set",
            id="toleration-seconds-needs-no-execute",
        ),
        pytest.param(
            {"key": "k", "value": "v w"},
            "toleration: 'v w' is not a valid label value (at most 63 characters:"
            " alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric)",
            id="equal-value-must-be-a-label-value",
        ),
        pytest.param(
            {"key": "k", "value": True},
            "toleration: value must be a string, got True",
            id="value-not-a-string",
        ),
    ],
)
def test_parse_toleration_rejects(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_toleration(obj)
    assert str(error.value) == message


# --- node labels -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        pytest.param(
            DATABASE,
            {
                "workload-type": frozenset({"database"}),
                "kubernetes.io/hostname": None,
                "kubernetes.io/os": frozenset({"linux"}),
                "beta.kubernetes.io/os": frozenset({"linux"}),
                "kubernetes.io/arch": frozenset({"amd64"}),
                "beta.kubernetes.io/arch": frozenset({"amd64"}),
                "topology.kubernetes.io/zone": frozenset(EU_WEST_1),
                "failure-domain.beta.kubernetes.io/zone": frozenset(EU_WEST_1),
                "topology.kubernetes.io/region": frozenset({"eu-west-1"}),
                "failure-domain.beta.kubernetes.io/region": frozenset({"eu-west-1"}),
                "node.kubernetes.io/instance-type": frozenset({"r6i.large"}),
                "beta.kubernetes.io/instance-type": frozenset({"r6i.large"}),
                "eks.amazonaws.com/nodegroup": frozenset({"database"}),
                "eks.amazonaws.com/capacityType": frozenset({"ON_DEMAND", "SPOT"}),
            },
            id="own-labels-plus-kubelet-cloud-and-eks-labels",
        ),
        pytest.param(
            NodeGroup(
                "arm",
                {},
                (),
                zones=("us-west-2-lax-1a", "us-west-2b"),
                instance_types=("m7g.large", "c6gn.xlarge", "t4g.small", "a1.medium"),
                capacity_type="SPOT",
            ),
            {
                "kubernetes.io/hostname": None,
                "kubernetes.io/os": frozenset({"linux"}),
                "beta.kubernetes.io/os": frozenset({"linux"}),
                "kubernetes.io/arch": frozenset({"arm64"}),
                "beta.kubernetes.io/arch": frozenset({"arm64"}),
                "topology.kubernetes.io/zone": frozenset({"us-west-2-lax-1a", "us-west-2b"}),
                "failure-domain.beta.kubernetes.io/zone": frozenset(
                    {"us-west-2-lax-1a", "us-west-2b"}
                ),
                "topology.kubernetes.io/region": frozenset({"us-west-2"}),
                "failure-domain.beta.kubernetes.io/region": frozenset({"us-west-2"}),
                "node.kubernetes.io/instance-type": frozenset(
                    {"m7g.large", "c6gn.xlarge", "t4g.small", "a1.medium"}
                ),
                "beta.kubernetes.io/instance-type": frozenset(
                    {"m7g.large", "c6gn.xlarge", "t4g.small", "a1.medium"}
                ),
                "eks.amazonaws.com/nodegroup": frozenset({"arm"}),
                "eks.amazonaws.com/capacityType": frozenset({"SPOT"}),
            },
            id="graviton-instance-types-are-arm64-and-local-zones-name-their-region",
        ),
        pytest.param(
            NodeGroup("bare", {"kubernetes.io/arch": "arm64"}, (), arch="amd64"),
            {
                "kubernetes.io/hostname": None,
                "kubernetes.io/os": frozenset({"linux"}),
                "beta.kubernetes.io/os": frozenset({"linux"}),
                "kubernetes.io/arch": frozenset({"arm64"}),
                "beta.kubernetes.io/arch": frozenset({"amd64"}),
                "topology.kubernetes.io/zone": None,
                "failure-domain.beta.kubernetes.io/zone": None,
                "topology.kubernetes.io/region": None,
                "failure-domain.beta.kubernetes.io/region": None,
                "node.kubernetes.io/instance-type": None,
                "beta.kubernetes.io/instance-type": None,
                "eks.amazonaws.com/nodegroup": frozenset({"bare"}),
                "eks.amazonaws.com/capacityType": frozenset({"ON_DEMAND", "SPOT"}),
            },
            id="unknown-zones-and-types-allow-any-value-and-declared-labels-win",
        ),
    ],
)
def test_node_label_values(group: NodeGroup, expected: dict[str, frozenset[str] | None]) -> None:
    assert node_label_values(group) == expected


# --- parsing a pod spec ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({}, Placement({}, None, ()), id="nothing-constrains-nothing"),
        pytest.param(
            {"nodeSelector": None, "affinity": None, "tolerations": None},
            Placement({}, None, ()),
            id="null-pieces-are-absent",
        ),
        pytest.param(
            {
                "affinity": {
                    "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": None}
                }
            },
            Placement({}, None, ()),
            id="null-required-affinity-is-absent",
        ),
        pytest.param(
            {
                "affinity": {
                    "nodeAffinity": {
                        "preferredDuringSchedulingIgnoredDuringExecution": [
                            {"weight": 1, "preference": term(expr("disk", "In", "ssd"))}
                        ]
                    }
                }
            },
            Placement({}, None, ()),
            id="preferred-affinity-does-not-constrain",
        ),
        pytest.param(
            RETOOL,
            Placement(
                {"workload-type": "large"},
                None,
                (Toleration("workload-type", "Equal", "large", "NoSchedule"),),
            ),
            id="selector-and-toleration",
        ),
        pytest.param(
            required(
                term(
                    expr("workload-type", "In", "large", "database"),
                    {"key": "gpu", "operator": "DoesNotExist", "values": None},
                ),
                {"matchFields": [expr("metadata.name", "NotIn", "ip-10-0-1-5")]},
                None,
            ),
            Placement(
                {},
                (
                    (
                        Requirement("workload-type", "In", ("large", "database")),
                        Requirement("gpu", "DoesNotExist", ()),
                    ),
                    (Requirement("kubernetes.io/hostname", "NotIn", ("ip-10-0-1-5",)),),
                    (),
                ),
                (),
            ),
            id="terms-with-expressions-fields-and-a-null-term",
        ),
    ],
)
def test_parse_placement(spec: dict[str, Any], expected: Placement) -> None:
    assert parse_placement(spec) == expected


TERMS = "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param(
            required(),
            f"{TERMS}: must have at least one node selector term",
            id="required-affinity-needs-a-term",
        ),
        pytest.param(
            required(term(expr("k", "Within", "v"))),
            f"{TERMS}[0].matchExpressions[0]: operator 'Within' is not one of"
            " In, NotIn, Exists, DoesNotExist, Gt, Lt",
            id="unknown-operator",
        ),
        pytest.param(
            required(term(expr("k", "In"))),
            f"{TERMS}[0].matchExpressions[0]: values must not be empty when operator is In",
            id="in-needs-values",
        ),
        pytest.param(
            required(term(expr("k", "Exists", "v"))),
            f"{TERMS}[0].matchExpressions[0]: values must be empty when operator is Exists",
            id="exists-takes-no-values",
        ),
        pytest.param(
            required(term(expr("k", "Gt", "eight"))),
            f"{TERMS}[0].matchExpressions[0]: values must be a single integer when operator"
            " is Gt, got ['eight']",
            id="gt-value-must-be-an-integer",
        ),
        pytest.param(
            required(term(), term(expr("k", "Lt", "1", "2"))),
            f"{TERMS}[1].matchExpressions[0]: values must be a single integer when operator"
            " is Lt, got ['1', '2']",
            id="lt-takes-exactly-one-value",
        ),
        pytest.param(
            required({"matchFields": [expr("spec.unschedulable", "In", "true")]}),
            f"{TERMS}[0].matchFields[0]: key 'spec.unschedulable' is not supported,"
            " only metadata.name",
            id="match-fields-only-on-node-name",
        ),
        pytest.param(
            required({"matchFields": [expr("metadata.name", "Exists")]}),
            f"{TERMS}[0].matchFields[0]: operator 'Exists' is not one of In, NotIn",
            id="match-fields-only-in-and-not-in",
        ),
        pytest.param(
            required({"matchFields": [expr("metadata.name", "In", "a", "b")]}),
            f"{TERMS}[0].matchFields[0]: values must have exactly one element, got ['a', 'b']",
            id="match-fields-takes-one-value",
        ),
        pytest.param(
            required(term(expr("k", "In", "a b"))),
            f"{TERMS}[0].matchExpressions[0]: 'a b' is not a valid label value (at most 63"
            " characters: alphanumerics, '-', '_' or '.', starting and ending with an"
            " alphanumeric)",
            id="in-values-must-be-label-values",
        ),
        pytest.param(
            {"nodeSelector": {"gpu": True}},
            "nodeSelector: 'gpu': True must map a string to a string",
            id="node-selector-value-must-be-a-string",
        ),
        pytest.param(
            {"nodeSelector": ["workload-type=large"]},
            "nodeSelector must be a mapping, got list",
            id="node-selector-must-be-a-mapping",
        ),
        pytest.param(
            {"tolerations": TOLERATE_LARGE},
            "tolerations must be a list, got dict",
            id="tolerations-must-be-a-list",
        ),
        pytest.param(
            {"tolerations": [TOLERATE_LARGE, {"key": "k", "operator": "Exists", "value": "v"}]},
            "tolerations[1]: value must be empty when operator is Exists",
            id="bad-toleration-is-located",
        ),
        pytest.param(
            {"affinity": {"nodeAffinity": "required"}},
            "affinity.nodeAffinity must be a mapping, got str",
            id="node-affinity-must-be-a-mapping",
        ),
    ],
)
def test_parse_placement_rejects(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_placement(spec)
    assert str(error.value) == message


# --- verdicts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "group", "expected"),
    [
        # The seed platform.
        pytest.param({}, WORKLOAD, [], id="untainted-group-takes-a-plain-pod"),
        pytest.param({}, DATABASE, [REPELLED_BY_DATABASE], id="taint-repels-a-plain-pod"),
        pytest.param(RETOOL, LARGE, [], id="selector-and-toleration-fit-the-dedicated-group"),
        pytest.param(CNPG, DATABASE, [], id="database-pod-fits-the-database-group"),
        pytest.param(
            {"nodeSelector": {"workload-type": "large"}},
            LARGE,
            [REPELLED_BY_LARGE],
            id="selector-without-toleration-stays-pending",
        ),
        pytest.param(
            RETOOL,
            DATABASE,
            [
                "nodeSelector workload-type=large does not match"
                " (the group has workload-type=database)",
                REPELLED_BY_DATABASE,
            ],
            id="selector-mismatch-names-the-group-value",
        ),
        pytest.param(
            RETOOL,
            WORKLOAD,
            [
                "nodeSelector workload-type=large does not match"
                " (the group has no workload-type label)",
            ],
            id="selector-on-an-absent-label",
        ),
        pytest.param(
            {"tolerations": [TOLERATE_LARGE]},
            WORKLOAD,
            [],
            id="toleration-alone-does-not-select",
        ),
        pytest.param(NODE_EXPORTER, DATABASE, [], id="wildcard-toleration-fits-tainted-groups"),
        pytest.param(
            {
                "tolerations": [
                    {"key": "workload-type", "operator": "Exists", "effect": "NO_SCHEDULE"}
                ]
            },
            LARGE,
            [],
            id="eks-spelled-toleration-fits",
        ),
        pytest.param(
            {},
            NodeGroup("eks", {}, (Taint("workload-type", "large", "NO_SCHEDULE"),)),
            [REPELLED_BY_LARGE],
            id="eks-spelled-taint-repels-and-is-reported-in-kubernetes-spelling",
        ),
        pytest.param(
            {},
            NodeGroup("spot", {}, (Taint("spot", "", "PreferNoSchedule"),)),
            [],
            id="prefer-no-schedule-does-not-repel",
        ),
        pytest.param(
            {},
            NodeGroup("dedicated", {}, (Taint("dedicated", "", "NoExecute"),)),
            ["does not tolerate taint dedicated:NoExecute"],
            id="valueless-taint-is-reported-without-a-value",
        ),
        # Well-known labels every node carries.
        pytest.param(
            {"nodeSelector": {"kubernetes.io/os": "linux"}}, WORKLOAD, [], id="os-label-is-linux"
        ),
        pytest.param(
            {"nodeSelector": {"kubernetes.io/os": "windows"}},
            WORKLOAD,
            [
                "nodeSelector kubernetes.io/os=windows does not match"
                " (the group has kubernetes.io/os=linux)"
            ],
            id="os-label-rejects-windows",
        ),
        pytest.param(
            {"nodeSelector": {"kubernetes.io/arch": "arm64"}},
            WORKLOAD,
            [
                "nodeSelector kubernetes.io/arch=arm64 does not match"
                " (the group has kubernetes.io/arch=amd64)"
            ],
            id="arch-label-follows-the-group-arch",
        ),
        pytest.param(
            {"nodeSelector": {"eks.amazonaws.com/nodegroup": "database"}, **NODE_EXPORTER},
            DATABASE,
            [],
            id="nodegroup-label-selects-the-group",
        ),
        pytest.param(
            {"nodeSelector": {"eks.amazonaws.com/nodegroup": "database"}},
            WORKLOAD,
            [
                "nodeSelector eks.amazonaws.com/nodegroup=database does not match"
                " (the group has eks.amazonaws.com/nodegroup=workload)"
            ],
            id="nodegroup-label-rejects-other-groups",
        ),
        pytest.param(
            {"nodeSelector": {"topology.kubernetes.io/zone": "eu-west-1b"}},
            WORKLOAD,
            [],
            id="zone-label-may-be-any-of-the-zones",
        ),
        pytest.param(
            {"nodeSelector": {"topology.kubernetes.io/zone": "us-east-1a"}},
            WORKLOAD,
            [
                "nodeSelector topology.kubernetes.io/zone=us-east-1a does not match"
                f" (the group has topology.kubernetes.io/zone in {ZONES})"
            ],
            id="zone-label-outside-the-zones",
        ),
        pytest.param(
            {"nodeSelector": {"kubernetes.io/hostname": "ip-10-0-1-5.eu-west-1.compute.internal"}},
            WORKLOAD,
            [],
            id="hostname-selector-may-match-an-unknown-node",
        ),
        pytest.param(
            {"nodeSelector": {"node.kubernetes.io/instance-type": "m5.4xlarge"}},
            SIZED,
            [],
            id="instance-type-label-from-the-group",
        ),
        pytest.param(
            {"nodeSelector": {"node.kubernetes.io/instance-type": "m5.4xlarge"}},
            WORKLOAD,
            [
                "nodeSelector node.kubernetes.io/instance-type=m5.4xlarge does not match"
                " (the group has node.kubernetes.io/instance-type in [t3.large, t3.xlarge])"
            ],
            id="instance-type-label-outside-the-instance-types",
        ),
        pytest.param(
            {
                "nodeSelector": {
                    "node.kubernetes.io/instance-type": "m5.4xlarge",
                    "beta.kubernetes.io/instance-type": "m5.4xlarge",
                    "topology.kubernetes.io/zone": "us-east-1a",
                    "topology.kubernetes.io/region": "us-east-1",
                    "kubernetes.io/arch": "arm64",
                    "eks.amazonaws.com/capacityType": "SPOT",
                }
            },
            BARE,
            [],
            id="well-known-labels-may-be-anything-the-group-does-not-declare",
        ),
        pytest.param(
            {
                "nodeSelector": {
                    "beta.kubernetes.io/os": "linux",
                    "beta.kubernetes.io/arch": "amd64",
                    "eks.amazonaws.com/nodegroup": "database",
                    "topology.kubernetes.io/region": "eu-west-1",
                    "failure-domain.beta.kubernetes.io/region": "eu-west-1",
                    "failure-domain.beta.kubernetes.io/zone": "eu-west-1c",
                    "node.kubernetes.io/instance-type": "r6i.large",
                    "eks.amazonaws.com/capacityType": "ON_DEMAND",
                },
                **CNPG,
            },
            DATABASE,
            [],
            id="kubelet-and-eks-labels-of-the-group-match",
        ),
        pytest.param(
            {"nodeSelector": {"topology.kubernetes.io/region": "us-east-1"}, **NODE_EXPORTER},
            DATABASE,
            [
                "nodeSelector topology.kubernetes.io/region=us-east-1 does not match"
                " (the group has topology.kubernetes.io/region=eu-west-1)"
            ],
            id="region-label-follows-the-zones",
        ),
        pytest.param(
            {"nodeSelector": {"eks.amazonaws.com/capacityType": "SPOT"}},
            WORKLOAD._replace(capacity_type="ON_DEMAND"),
            [
                "nodeSelector eks.amazonaws.com/capacityType=SPOT does not match"
                " (the group has eks.amazonaws.com/capacityType=ON_DEMAND)"
            ],
            id="capacity-type-label-follows-the-declared-capacity-type",
        ),
        pytest.param(
            {"nodeSelector": {"eks.amazonaws.com/nodegroup-image": "ami-0123456789abcdef0"}},
            WORKLOAD,
            [
                "nodeSelector eks.amazonaws.com/nodegroup-image=ami-0123456789abcdef0 does not"
                " match (the group has no eks.amazonaws.com/nodegroup-image label)"
            ],
            id="undocumented-eks-labels-are-not-modelled",
        ),
        # Required node affinity.
        pytest.param(
            required(term(expr("workload-type", "In", "large")), tolerations=[TOLERATE_LARGE]),
            LARGE,
            [],
            id="in-matches-a-listed-value",
        ),
        pytest.param(
            required(term(expr("workload-type", "In", "large"))),
            WORKLOAD,
            [f"{NO_TERM} (term 1: workload-type In [large] fails)"],
            id="in-fails-on-an-absent-label",
        ),
        pytest.param(
            required(
                term(expr("workload-type", "In", "large")),
                term(expr("workload-type", "In", "database")),
                tolerations=[TOLERATE_DATABASE],
            ),
            DATABASE,
            [],
            id="terms-are-ored",
        ),
        pytest.param(
            required(
                term(
                    expr("workload-type", "In", "large"), expr("kubernetes.io/arch", "In", "arm64")
                ),
                tolerations=[TOLERATE_LARGE],
            ),
            LARGE,
            [f"{NO_TERM} (term 1: kubernetes.io/arch In [arm64] fails)"],
            id="expressions-in-a-term-are-anded",
        ),
        pytest.param(
            required(term(expr("workload-type", "NotIn", "database"))),
            WORKLOAD,
            [],
            id="not-in-holds-when-the-label-is-absent",
        ),
        pytest.param(
            required(term(expr("workload-type", "NotIn", "database")), **CNPG),
            DATABASE,
            [f"{NO_TERM} (term 1: workload-type NotIn [database] fails)"],
            id="not-in-excludes-a-listed-value",
        ),
        pytest.param(
            required(term(expr("workload-type", "DoesNotExist"))),
            WORKLOAD,
            [],
            id="does-not-exist-holds-when-the-label-is-absent",
        ),
        pytest.param(
            required(term(expr("workload-type", "DoesNotExist")), **NODE_EXPORTER),
            LARGE,
            [f"{NO_TERM} (term 1: workload-type DoesNotExist fails)"],
            id="does-not-exist-fails-when-the-label-is-present",
        ),
        pytest.param(
            required(term(expr("workload-type", "Exists"))),
            WORKLOAD,
            [f"{NO_TERM} (term 1: workload-type Exists fails)"],
            id="exists-fails-when-the-label-is-absent",
        ),
        pytest.param(
            required(term(expr("cpu-count", "Gt", "8"))),
            SIZED,
            [],
            id="gt-compares-integers-not-strings",
        ),
        pytest.param(
            required(term(expr("cpu-count", "Lt", "8"))),
            SIZED,
            [f"{NO_TERM} (term 1: cpu-count Lt [8] fails)"],
            id="lt-compares-integers",
        ),
        pytest.param(
            required(term(expr("size", "Gt", "1"))),
            SIZED,
            [f"{NO_TERM} (term 1: size Gt [1] fails)"],
            id="gt-fails-on-a-non-integer-label",
        ),
        pytest.param(
            required(term(expr("cpu-count", "Gt", "1"))),
            WORKLOAD,
            [f"{NO_TERM} (term 1: cpu-count Gt [1] fails)"],
            id="gt-fails-on-an-absent-label",
        ),
        pytest.param(
            required({}),
            WORKLOAD,
            [f"{NO_TERM} (term 1: an empty term matches nothing)"],
            id="empty-term-matches-nothing",
        ),
        pytest.param(
            required(
                {"matchExpressions": [], "matchFields": None},
                term(expr("kubernetes.io/os", "In", "linux")),
            ),
            WORKLOAD,
            [],
            id="empty-term-ored-with-a-matching-term",
        ),
        pytest.param(
            required({"matchFields": [expr("metadata.name", "In", "ip-10-0-1-5")]}),
            WORKLOAD,
            [],
            id="match-fields-on-node-name-may-match",
        ),
        pytest.param(
            required(term(expr("kubernetes.io/hostname", "DoesNotExist"))),
            WORKLOAD,
            [f"{NO_TERM} (term 1: kubernetes.io/hostname DoesNotExist fails)"],
            id="hostname-label-is-always-present",
        ),
        pytest.param(
            required(
                term(
                    expr("kubernetes.io/hostname", "NotIn", "node-a"),
                    expr("kubernetes.io/hostname", "In", "node-a"),
                )
            ),
            WORKLOAD,
            [f"{NO_TERM} (term 1: kubernetes.io/hostname NotIn [node-a] fails)"],
            id="contradiction-on-an-unknown-label-fails",
        ),
        pytest.param(
            required(
                term(
                    expr("topology.kubernetes.io/zone", "In", "eu-west-1a"),
                    expr("topology.kubernetes.io/zone", "In", "eu-west-1b"),
                )
            ),
            WORKLOAD,
            [f"{NO_TERM} (term 1: topology.kubernetes.io/zone In [eu-west-1b] fails)"],
            id="requirements-on-one-key-must-agree-on-one-node",
        ),
        pytest.param(
            required(
                term(expr("topology.kubernetes.io/zone", "In", "eu-west-1b")),
                nodeSelector={"topology.kubernetes.io/zone": "eu-west-1a"},
            ),
            WORKLOAD,
            [f"{NO_TERM} (term 1: topology.kubernetes.io/zone In [eu-west-1b] fails)"],
            id="selector-and-affinity-must-agree-on-one-node",
        ),
        pytest.param(
            required(
                term(expr("gpu", "Exists"), expr("workload-type", "In", "large")),
                term(expr("kubernetes.io/arch", "NotIn", "amd64")),
                nodeSelector={"workload-type": "large"},
            ),
            DATABASE,
            [
                "nodeSelector workload-type=large does not match"
                " (the group has workload-type=database)",
                f"{NO_TERM} (term 1: gpu Exists fails, workload-type In [large] fails;"
                " term 2: kubernetes.io/arch NotIn [amd64] fails)",
                REPELLED_BY_DATABASE,
            ],
            id="every-reason-in-order-selector-affinity-taints",
        ),
    ],
)
def test_misfit_reasons(spec: dict[str, Any], group: NodeGroup, expected: list[str]) -> None:
    assert misfit_reasons(parse_placement(spec), group) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({}, ["workload"], id="plain-pod-runs-on-workload-only"),
        pytest.param(RETOOL, ["large"], id="retool-runs-on-large-only"),
        pytest.param(CNPG, ["database"], id="database-runs-on-database-only"),
        pytest.param(
            NODE_EXPORTER, ["workload", "database", "large"], id="node-exporter-everywhere"
        ),
        pytest.param(
            {"tolerations": [TOLERATE_LARGE]},
            ["workload", "large"],
            id="tolerating-without-selecting-may-squat",
        ),
        pytest.param(
            required(term(expr("workload-type", "NotIn", "database")), **NODE_EXPORTER),
            ["workload", "large"],
            id="not-in-keeps-pods-off-a-group",
        ),
    ],
)
def test_fitting_groups(spec: dict[str, Any], expected: list[str]) -> None:
    fitting = fitting_groups(parse_placement(spec), SEED_GROUPS)
    assert [group.name for group in fitting] == expected


# --- properties ------------------------------------------------------------------------------

LABEL_TEXT = st.text(alphabet="abcz019-", min_size=1, max_size=8).filter(
    lambda s: s[0].isalnum() and s[-1].isalnum()
)
EFFECTS = st.sampled_from(
    [
        "NoSchedule",
        "PreferNoSchedule",
        "NoExecute",
        "NO_SCHEDULE",
        "PREFER_NO_SCHEDULE",
        "NO_EXECUTE",
    ]
)
TAINTS = st.builds(Taint, LABEL_TEXT, st.one_of(st.just(""), LABEL_TEXT), EFFECTS)


@given(TAINTS)
def test_exists_with_empty_key_and_effect_tolerates_every_taint(taint: Taint) -> None:
    assert tolerates(Toleration(operator="Exists"), taint)


@given(TAINTS, EFFECTS)
def test_exists_on_the_key_tolerates_exactly_the_taints_of_its_effect(
    taint: Taint, effect: str
) -> None:
    toleration = Toleration(taint.key, "Exists", effect=effect)
    assert tolerates(toleration, taint) is (
        normalize_effect(effect) == normalize_effect(taint.effect)
    )


@given(st.lists(TAINTS, max_size=4))
def test_only_no_schedule_and_no_execute_taints_block(taints: list[Taint]) -> None:
    blocking = blocking_taints(NodeGroup("g", {}, tuple(taints)), ())
    assert blocking == [t for t in taints if normalize_effect(t.effect) != "PreferNoSchedule"]


REQUIREMENTS = st.builds(
    Requirement,
    st.sampled_from(
        ["workload-type", "kubernetes.io/hostname", "topology.kubernetes.io/zone", "gpu"]
    ),
    st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]),
    st.lists(
        st.sampled_from(["large", "database", "eu-west-1a", "node-a"]), min_size=1, max_size=2
    ).map(tuple),
).map(lambda r: r._replace(values=() if r.operator in ("Exists", "DoesNotExist") else r.values))
TERM = st.lists(REQUIREMENTS, max_size=3).map(tuple)


@given(st.lists(TERM, min_size=1, max_size=3), st.sampled_from(SEED_GROUPS))
def test_terms_are_ored(terms: list[tuple[Requirement, ...]], group: NodeGroup) -> None:
    def fits(selected: list[tuple[Requirement, ...]]) -> bool:
        placement = Placement({}, tuple(selected), (Toleration(operator="Exists"),))
        return not misfit_reasons(placement, group)

    assert fits(terms) is any(fits([one]) for one in terms)


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_gt_and_lt_compare_as_integers(label: int, bound: int) -> None:
    group = NodeGroup("g", {"n": str(label)}, ())
    for operator, holds in (("Gt", label > bound), ("Lt", label < bound)):
        placement = Placement({}, ((Requirement("n", operator, (str(bound),)),),), ())
        assert (not misfit_reasons(placement, group)) is holds
