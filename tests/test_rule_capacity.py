"""capacity: pods against what their nodes allocate, groups against their sizes, database
instances against their nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopsctl.pipeline import ManifestOptions, validate_manifests
from gitopsctl.rules import capacity
from tests.support import (
    ENVS,
    Case,
    Mutate,
    Row,
    copy_example,
    edit,
    example_rows,
    line_of,
    no_findings,
    rerender,
    unchanged,
)

RULE = "capacity"
RETOOL = "sources/apps/retool.yaml"
PROD = "sources/environments/prod.yaml"


def source_edits(*edits: tuple[str, str, str]) -> Mutate:
    def mutate(repo: Path) -> None:
        for name, old, new in edits:
            edit(repo, name, old, new)
        rerender(repo)

    return mutate


def api_resources_line(repo: Path) -> int:
    """The line of Retool's API `resources:` (the workflows backend has its own, indented)."""
    lines = (repo / RETOOL).read_text(encoding="utf-8").splitlines()
    return lines.index("  resources:") + 1


def retool_rows(repo: Path, allocatable: str, instance_type: str, requests: str) -> list[Row]:
    line = api_resources_line(repo)
    message = (
        f"workload 'backend' (Deployment): a pod requests {requests}, more than any node it can "
        f"be scheduled on can allocate: large {instance_type} allocatable {allocatable}"
    )
    return [(RULE, "error", RETOOL, line, message, env, "retool") for env in ENVS]


def eight_cpus_reported(repo: Path) -> list[Row]:
    return retool_rows(
        repo, "cpu 7910m, memory 31775Mi", "m6i.2xlarge", "cpu 8000m, memory 12288Mi"
    )


def smaller_nodes_reported(repo: Path) -> list[Row]:
    return retool_rows(repo, "cpu 3920m, memory 15391Mi", "m6i.xlarge", "cpu 5000m, memory 12288Mi")


def five_replicas_reported(repo: Path) -> list[Row]:
    message = (
        "node group 'large': its pods request cpu 25000m, memory 61440Mi in all and need more "
        "than its maxSize of 4 node(s) of m6i.2xlarge (cpu 7910m, memory 31775Mi, 57 pods each "
        "after DaemonSets)"
    )
    return [(RULE, "error", RETOOL, api_resources_line(repo), message, "prod", "retool")]


def four_instances_reported(repo: Path) -> list[Row]:
    line = line_of(repo, PROD, "instances: 4")
    message = (
        "database cluster 'retool-db': 4 instances on node group 'database' of 3 node(s) "
        "(desiredSize): one node runs two of them, and losing it loses both"
    )
    return [(RULE, "error", PROD, line, message, "prod", "retool-db")]


CASES = [
    pytest.param(Case(unchanged, no_findings), id="example-PASSED"),
    pytest.param(
        Case(source_edits((RETOOL, 'cpu: "5"', 'cpu: "8"')), eight_cpus_reported),
        id="retool-asks-more-cpu-than-a-large-node-has-FAILED",
    ),
    pytest.param(
        Case(
            source_edits(("infrastructure/variables.tf", '"m6i.2xlarge"', '"m6i.xlarge"')),
            smaller_nodes_reported,
        ),
        id="terraform-gives-the-large-group-smaller-nodes-FAILED",
    ),
    pytest.param(
        Case(
            source_edits(
                (
                    PROD,
                    "  retool:\n    values:\n      replicaCount: 3",
                    "  retool:\n    values:\n      replicaCount: 5",
                )
            ),
            five_replicas_reported,
        ),
        id="more-retool-replicas-than-large-nodes-FAILED",
    ),
    pytest.param(
        Case(
            source_edits(
                (PROD, "retool-db:\n        instances: 3", "retool-db:\n        instances: 4")
            ),
            four_instances_reported,
        ),
        id="more-database-instances-than-nodes-in-production-FAILED",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_example_repository(tmp_path: Path, case: Case) -> None:
    found, expected = example_rows(capacity, tmp_path, case)
    assert found == expected


# --- manifests against node groups given with --node-groups ---------------------------------------

GROUPS = """\
nodeGroups:
  - name: small
    instanceTypes: [t3.small]
    minSize: 1
    maxSize: 2
    desiredSize: 1
  - name: database
    labels: {workload-type: database}
    taints: [{key: workload-type, value: database, effect: NO_SCHEDULE}]
    instanceTypes: [r6i.large]
    minSize: 2
    maxSize: 2
    desiredSize: 2
"""

CONTAINERS_LINE = 10


def deployment(requests: str, replicas: int = 1, init: str = "") -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: api, namespace: shop}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec:
      containers:
        - name: api
          image: api:1
          resources: {{requests: {requests}}}
{init}"""


DAEMON_SET = """\
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      tolerations: [{operator: Exists}]
      containers:
        - name: agent
          image: agent:1
          resources: {requests: {cpu: 200m, memory: 128Mi}}
"""

INIT = """\
      initContainers:
        - name: migrate
          image: api:1
          resources: {requests: {cpu: 100m, memory: 1600Mi}}
"""


def database(instances: int, anti_affinity: str = "preferred") -> str:
    return f"""\
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {{name: orders-db, namespace: database}}
spec:
  instances: {instances}
  storage: {{size: 1Gi}}
  resources: {{requests: {{cpu: 500m, memory: 1Gi}}}}
  affinity:
    podAntiAffinityType: {anti_affinity}
    nodeSelector: {{workload-type: database}}
    tolerations: [{{key: workload-type, value: database, effect: NoSchedule}}]
"""


def too_big(requests: str, allocatable: str = "cpu 1930m, memory 1572Mi") -> str:
    return (
        f"workload 'Deployment/shop/api' (Deployment): a pod requests {requests}, more than any "
        f"node it can be scheduled on can allocate: small t3.small allocatable {allocatable}"
    )


def group_message(total: str, size: str, count: int) -> str:
    message = (
        f"node group 'small': its pods request {total} in all and need more than its {size} of "
        f"{count} node(s) of t3.small (cpu 1930m, memory 1572Mi, 11 pods each)"
    )
    return message + (
        ": the cluster autoscaler must add nodes first" if size == "desiredSize" else ""
    )


Found = tuple[str, str, int, str]


@pytest.mark.parametrize(
    ("manifests", "groups", "env", "expected"),
    [
        pytest.param(deployment("{cpu: 500m, memory: 512Mi}"), GROUPS, None, [], id="fits-PASSED"),
        pytest.param(
            deployment("{cpu: 1, memory: 2Gi}"),
            GROUPS,
            None,
            [("error", "manifests.yaml", CONTAINERS_LINE, too_big("cpu 1000m, memory 2048Mi"))],
            id="more-memory-than-a-t3-small-allocates-FAILED",
        ),
        pytest.param(
            deployment("{cpu: 100m, memory: 100Mi}", init=INIT),
            GROUPS,
            None,
            [("error", "manifests.yaml", CONTAINERS_LINE, too_big("cpu 100m, memory 1600Mi"))],
            id="init-container-larger-than-the-node-FAILED",
        ),
        pytest.param(
            deployment("{cpu: 1800m, memory: 256Mi}") + DAEMON_SET,
            GROUPS,
            None,
            [
                (
                    "error",
                    "manifests.yaml",
                    CONTAINERS_LINE,
                    too_big(
                        "cpu 1800m, memory 256Mi",
                        "cpu 1930m, memory 1572Mi (cpu 1730m, memory 1444Mi after DaemonSets)",
                    ),
                )
            ],
            id="daemon-set-leaves-too-little-FAILED",
        ),
        pytest.param(
            deployment("{cpu: 1800m, memory: 256Mi}"),
            GROUPS,
            None,
            [],
            id="without-daemon-set-PASSED",
        ),
        pytest.param(
            deployment("{cpu: 1500m, memory: 256Mi}", replicas=2),
            GROUPS,
            None,
            [
                (
                    "warning",
                    "manifests.yaml",
                    CONTAINERS_LINE,
                    group_message("cpu 3000m, memory 512Mi", "desiredSize", 1),
                )
            ],
            id="more-pods-than-desired-nodes-hold-FAILED",
        ),
        pytest.param(
            deployment("{cpu: 1500m, memory: 256Mi}", replicas=3),
            GROUPS,
            None,
            [
                (
                    "error",
                    "manifests.yaml",
                    CONTAINERS_LINE,
                    group_message("cpu 4500m, memory 768Mi", "maxSize", 2),
                )
            ],
            id="more-pods-than-max-nodes-hold-FAILED",
        ),
        pytest.param(
            deployment("{cpu: 500m, memory: 256Mi}", replicas=6),
            GROUPS,
            None,
            [
                (
                    "warning",
                    "manifests.yaml",
                    CONTAINERS_LINE,
                    group_message("cpu 3000m, memory 1536Mi", "desiredSize", 1),
                )
            ],
            id="three-small-pods-per-node-FAILED",
        ),
        pytest.param(
            deployment("{cpu: 10m, memory: 10Mi}", replicas=12),
            GROUPS,
            None,
            [
                (
                    "warning",
                    "manifests.yaml",
                    CONTAINERS_LINE,
                    group_message("cpu 120m, memory 120Mi", "desiredSize", 1),
                )
            ],
            id="more-pods-than-a-node-takes-FAILED",
        ),
        pytest.param(  # api-validation reports the quantity; the pod is not sized
            deployment("{cpu: one}"),
            GROUPS,
            None,
            [],
            id="request-not-a-quantity-is-api-validations-PASSED",
        ),
        pytest.param(
            deployment("{cpu: 500m}"),
            GROUPS.replace("[t3.small]", "[t3.small, x9.huge]"),
            None,
            [
                (
                    "warning",
                    "sources/platform.yaml",
                    4,
                    "node group 'small': instance type 'x9.huge' is not in "
                    "gitopsctl/kube/instance_types.json, so what its nodes allocate is not "
                    "checked: add its vCPU, memory and max pods there",
                )
            ],
            id="unknown-instance-type-FAILED",
        ),
        pytest.param(
            database(3, "required"),
            GROUPS,
            None,
            [
                (
                    "error",
                    "manifests.yaml",
                    5,
                    "database cluster 'orders-db': its 3 instances must run on different nodes "
                    "(podAntiAffinityType: required) but node group 'database' has at most 2 "
                    "(maxSize)",
                )
            ],
            id="database-instances-must-spread-over-too-few-nodes-FAILED",
        ),
        pytest.param(database(2, "required"), GROUPS, None, [], id="database-spread-fits-PASSED"),
        pytest.param(
            database(3),
            GROUPS,
            "prod",
            [
                (
                    "error",
                    "manifests.yaml",
                    5,
                    "database cluster 'orders-db': 3 instances on node group 'database' of 2 "
                    "node(s) (desiredSize): one node runs two of them, and losing it loses both",
                )
            ],
            id="production-database-with-fewer-nodes-than-instances-FAILED",
        ),
        pytest.param(
            database(3), GROUPS, "dev", [], id="development-database-sharing-nodes-PASSED"
        ),
    ],
)
def test_manifests(
    tmp_path: Path, manifests: str, groups: str, env: str | None, expected: list[Found]
) -> None:
    repo = copy_example(tmp_path / "repo")
    (tmp_path / "manifests.yaml").write_text(manifests, encoding="utf-8")
    (tmp_path / "groups.yaml").write_text(groups, encoding="utf-8")
    options = ManifestOptions(str(tmp_path / "manifests.yaml"), tmp_path / "groups.yaml")
    found = [
        (
            f.severity.value,
            Path(f.file).name if f.file.startswith("/") else f.file,
            f.line,
            f.message,
        )
        for f in validate_manifests(repo, options, env)
        if f.rule == RULE
    ]
    assert found == expected
