"""Every pod fits a node of its node group, and every group's nodes hold what is scheduled on it.

Taints and selectors are half of "will it schedule": a pod that requests more CPU or memory than
any node it may run on can allocate stays Pending just the same. What a node allocates follows
the Amazon EKS AMI's reservations for its instance type (kube-reserved CPU by core tiers,
kube-reserved memory from the max pods, the 100 MiB hard eviction threshold; see
`gitopsctl.kube.capacity` and the instance types in `gitopsctl/kube/instance_types.json`), less
what the DaemonSets that run on the group's nodes request. A pod requests its containers, or its
largest init container when that is more, plus its overhead.

The rule reports:

- a pod (of a workload or a CloudNativePG instance) that fits no instance type of any group it
  can be scheduled on (error);
- a group too small for the pods only it can run (each workload's replicas, each database
  cluster's instances; not Jobs): packed first-fit decreasing onto nodes of its largest instance
  type, counting CPU, memory and each node's max pods, they need more than its `maxSize` nodes
  (error); onto nodes of its smallest instance type, more than its `desiredSize` (warning: the
  autoscaler must add nodes first);
- a CloudNativePG cluster whose instances must be on different nodes (`podAntiAffinityType:
  required`) and outnumber its group's `maxSize` (error), and, in production, one with more
  instances than its group's `desiredSize` nodes, so that one node carries two of them (error);
- an instance type missing from the data file (warning: its capacity is not checked).

A database cluster's requests that are not Kubernetes quantities are errors at their line (a
workload's are `api-validation`'s, and its pods are not sized). Workloads without requests count
as requesting nothing; Jobs and CronJobs are checked pod by pod, not in totals.

Passing (Retool's pod fits an m6i.2xlarge node of the large group, which allocates 7910m CPU):

    resources:
      requests:
        cpu: "6"
        memory: 12Gi

Failing (no node of the large group allocates 8 CPUs):

    resources:
      requests:
        cpu: "8"
        memory: 12Gi
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from gitopsctl.findings import Severity
from gitopsctl.kube.capacity import (
    INSTANCE_TYPES_FILE,
    Resources,
    allocatable,
    instance_types,
    total,
)
from gitopsctl.kube.scheduling import NodeGroup, Placement, fitting_groups
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import DatabaseCluster, Environment, Location, Workload

ID = "capacity"
SEVERITY = Severity.ERROR

DAEMON_SET = "DaemonSet"
TRANSIENT = frozenset({"Job", "CronJob"})  # their pods come and go: not in a group's totals


class Pods(NamedTuple):
    """Pods of one workload or database cluster, as this rule weighs them."""

    name: str  # "workload 'backend' (Deployment)", "database cluster 'retool-db'"
    app: str | None
    placement: Placement
    requests: Resources
    replicas: int
    subject: Workload | DatabaseCluster  # located only for a hit: positions cost a parse
    counted: bool  # part of its group's totals


class Node(NamedTuple):
    """One instance type of a group: what it allocates, and what its DaemonSets leave."""

    group: NodeGroup
    instance_type: str
    allocatable: Resources
    free: Resources
    pods: int  # how many more pods it takes: its max pods less its DaemonSets' pods
    daemon_sets: int  # how many DaemonSets run there


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    groups = list(env.node_groups)
    yield from _unknown_instance_types(env, groups)
    daemons = _daemon_set_requests(env.workloads, groups)
    nodes = {group.name: list(_nodes(group, daemons[group.name])) for group in groups}
    pods: list[Pods] = []
    for workload in env.workloads:
        found = _workload_pods(workload)
        if found is not None and workload.kind != DAEMON_SET:
            pods.append(found)
    for database in env.databases:
        label = f"database cluster {database.name!r}"
        yield from _read_requests(database.requests_error, label, database)
        found = _database_pods(database)
        if found is not None:
            pods.append(found)
        yield from _database_nodes(env, database, groups)
    for pod in pods:
        yield from _pod_fits(pod, groups, nodes)
    for group in groups:
        yield from _group_totals(group, nodes[group.name], pods, groups)


# --- reading the subjects -----------------------------------------------------------------------


def _read_requests(error: str | None, name: str, subject: DatabaseCluster) -> Iterator[Hit]:
    if error is not None:
        where = subject.locate(subject.paths["resources"])
        yield Hit(where, f"{name}: the resource requests cannot be read: {error}", subject.app)


def _workload_pods(workload: Workload) -> Pods | None:
    if workload.placement is None or workload.requests is None:
        return None
    count = workload.replicas if workload.replicas is not None else 1
    return Pods(
        name=f"workload {workload.name!r} ({workload.kind})",
        app=workload.app,
        placement=workload.placement,
        requests=workload.requests,
        replicas=count,
        subject=workload,
        counted=workload.kind not in TRANSIENT,
    )


def _database_pods(database: DatabaseCluster) -> Pods | None:
    if database.placement is None or database.requests is None:
        return None
    return Pods(
        name=f"database cluster {database.name!r}",
        app=database.app,
        placement=database.placement,
        requests=database.requests,
        replicas=database.instances if database.instances is not None else 1,
        subject=database,
        counted=True,
    )


def _location(pod: Pods) -> Location:
    return pod.subject.locate(pod.subject.paths["resources"])


def _daemon_set_requests(
    workloads: Sequence[Workload], groups: Sequence[NodeGroup]
) -> dict[str, tuple[Resources, int]]:
    """What the DaemonSets that run on each group's nodes request on every one of them, and
    how many pods they put there."""
    found = {group.name: (Resources(), 0) for group in groups}
    for workload in workloads:
        requests = workload.requests
        if workload.kind != DAEMON_SET or workload.placement is None or requests is None:
            continue
        for group in fitting_groups(workload.placement, groups):
            asked, pods = found[group.name]
            found[group.name] = (asked + requests, pods + 1)
    return found


def _nodes(group: NodeGroup, daemons: tuple[Resources, int]) -> Iterator[Node]:
    known = instance_types()
    asked, pods = daemons
    for name in group.instance_types:
        if name in known:
            whole = allocatable(known[name])
            yield Node(group, name, whole, whole - asked, known[name].max_pods - pods, pods)


def _unknown_instance_types(env: Environment, groups: Sequence[NodeGroup]) -> Iterator[Hit]:
    known = instance_types()
    for group in groups:
        for name in group.instance_types:
            if name not in known:
                message = (
                    f"node group '{group.name}': instance type '{name}' is not in "
                    f"{INSTANCE_TYPES_FILE}, so what its nodes allocate is not checked: add its "
                    "vCPU, memory and max pods there"
                )
                yield Hit(env.locate_environment(()), message, None, Severity.WARNING)


def _fully_known(group: NodeGroup, nodes: Sequence[Node]) -> bool:
    return bool(nodes) and len(nodes) == len(group.instance_types)


# --- one pod on one node ------------------------------------------------------------------------


def _pod_fits(
    pod: Pods, groups: Sequence[NodeGroup], nodes: Mapping[str, list[Node]]
) -> Iterator[Hit]:
    """A pod that no instance type of any group it may run on has room for."""
    fitting = fitting_groups(pod.placement, groups)
    if not fitting or not any(pod.requests):
        return  # no group at all is taint-toleration's finding
    if not all(_fully_known(group, nodes[group.name]) for group in fitting):
        return  # an instance type without data might be big enough
    candidates = [node for group in fitting for node in nodes[group.name]]
    if any(pod.requests.fits_in(node.free) for node in candidates):
        return
    details = "; ".join(_describe_node(node) for node in candidates)
    message = (
        f"{pod.name}: a pod requests {pod.requests}, more than any node it can be scheduled on "
        f"can allocate: {details}"
    )
    yield Hit(_location(pod), message, pod.app)


def _describe_node(node: Node) -> str:
    text = f"{node.group.name} {node.instance_type} allocatable {node.allocatable}"
    if node.free != node.allocatable:
        text += f" ({node.free} after DaemonSets)"
    return text


# --- a group's nodes and everything pinned to it -------------------------------------------------


def _group_totals(
    group: NodeGroup, nodes: Sequence[Node], pods: Sequence[Pods], groups: Sequence[NodeGroup]
) -> Iterator[Hit]:
    """The pods only this group can run, packed onto its maxSize and desiredSize nodes."""
    if not _fully_known(group, nodes):
        return
    pinned = [
        pod
        for pod in pods
        if pod.counted
        and any(pod.requests)
        and [g.name for g in fitting_groups(pod.placement, groups)] == [group.name]
    ]
    if not pinned:
        return
    needed = total(pod.requests.times(pod.replicas) for pod in pinned)
    biggest = max(pinned, key=lambda pod: (pod.requests.times(pod.replicas), pod.name))
    largest = max(nodes, key=lambda node: (node.free.cpu, node.free.memory))
    smallest = min(nodes, key=lambda node: (node.free.cpu, node.free.memory))
    where = f"node group '{group.name}': its pods request {needed} in all"
    if group.max_size is not None:
        count = _nodes_needed(pinned, largest, group.max_size)
        if count > group.max_size:
            message = (
                f"{where} and need more than its maxSize of {group.max_size} node(s) of "
                f"{_per_node(largest)}"
            )
            yield Hit(_location(biggest), message, biggest.app)
            return
    if group.desired_size is not None:
        count = _nodes_needed(pinned, smallest, group.desired_size)
        if count > group.desired_size:
            message = (
                f"{where} and need more than its desiredSize of {group.desired_size} node(s) of "
                f"{_per_node(smallest)}: the cluster autoscaler must add nodes first"
            )
            yield Hit(_location(biggest), message, biggest.app, Severity.WARNING)


def _nodes_needed(pods: Sequence[Pods], node: Node, limit: int) -> int:
    """How many nodes like ``node`` the pods take, packed first-fit decreasing (as a scheduler
    filling nodes one by one would), counting no further than ``limit + 1``. A pod no node
    holds is left out: it is reported on its own."""
    room = node.free
    items = [
        pod.requests for pod in pods if pod.requests.fits_in(room) for _ in range(pod.replicas)
    ]
    items.sort(key=lambda asked: (_share(asked, room), asked), reverse=True)
    free: list[tuple[Resources, int]] = []
    start, previous = 0, None
    for asked in items:
        # Nodes only fill up: the next pod of the same size fits no earlier than the last one.
        start = start if asked == previous else 0
        previous = asked
        start = next(
            (i for i in range(start, len(free)) if free[i][1] > 0 and asked.fits_in(free[i][0])),
            len(free),
        )
        if start == len(free):
            if len(free) > limit:
                return len(free) + 1
            free.append((room, node.pods))
        left, slots = free[start]
        free[start] = (left - asked, slots - 1)
    return len(free)


def _share(asked: Resources, room: Resources) -> Decimal:
    """The larger part of a node's room a pod takes, CPU or memory."""
    shares = [a / r if r > 0 else Decimal(0) for a, r in zip(asked, room, strict=True)]
    return max(shares)


def _per_node(node: Node) -> str:
    after = " after DaemonSets" if node.daemon_sets else ""
    return f"{node.instance_type} ({node.free}, {node.pods} pods each{after})"


# --- CloudNativePG instances and nodes -----------------------------------------------------------


def _database_nodes(
    env: Environment, database: DatabaseCluster, groups: Sequence[NodeGroup]
) -> Iterator[Hit]:
    if database.placement is None or database.instances is None:
        return
    fitting = fitting_groups(database.placement, groups)
    if len(fitting) != 1:
        return  # none: taint-toleration and db-placement say so; several: no one group to size
    group = fitting[0]
    name = f"database cluster {database.name!r}"
    where = database.locate(database.paths["instances"])
    instances = database.instances
    if database.separate_nodes and group.max_size is not None and instances > group.max_size:
        message = (
            f"{name}: its {instances} instances must run on different nodes "
            f"(podAntiAffinityType: required) but node group '{group.name}' has at most "
            f"{group.max_size} (maxSize)"
        )
        yield Hit(where, message, database.app)
    elif env.production and group.desired_size is not None and instances > group.desired_size:
        message = (
            f"{name}: {instances} instances on node group '{group.name}' of "
            f"{group.desired_size} node(s) (desiredSize): one node runs two of them, and losing it "
            "loses both"
        )
        yield Hit(where, message, database.app)
