"""A workload may tolerate a dedicated node group's taint only if it also selects that group.

A NoSchedule or NoExecute taint reserves a node group (the `database` nodes for CloudNativePG,
the `large` nodes for Retool), but a taint only keeps pods out: it does not pull anyone in. A pod
that tolerates the taint without selecting the group may be scheduled on the reserved nodes, take
the capacity the database or Retool was sized for, and survive there unnoticed. A workload
selects the group when its nodeSelector or required node affinity needs the group's labels and
lets it run on no group labelled otherwise; one that could also run elsewhere, or would run on
the group's nodes even without their labels, squats. DaemonSets are meant for every node and are
left to `daemonset-coverage`; `operator: Exists` with an empty key tolerates every taint, so a
pod with it and no selector squats on every dedicated group.

Passing (the pod that tolerates the database taint also selects the database nodes):

    nodeSelector:
      workload-type: database
    tolerations:
      - key: workload-type
        operator: Equal
        value: database
        effect: NoSchedule

Failing (Grafana tolerates the database taint without selecting the database nodes):

    grafana:
      replicas: 2
      tolerations:
        - key: workload-type
          operator: Equal
          value: database
          effect: NoSchedule
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.kube.scheduling import (
    NODEGROUP_LABEL,
    NodeGroup,
    Placement,
    Taint,
    blocking_taints,
    misfit_reasons,
)
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Environment, Workload

ID = "dedicated-node-intrusion"
SEVERITY = Severity.ERROR

DAEMON_SET = "DaemonSet"


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    for workload in env.workloads:
        if workload.kind == DAEMON_SET or workload.placement is None:
            continue
        for group in env.node_groups:
            taints = blocking_taints(group, ())
            if taints and _squats(workload.placement, group, env.node_groups):
                location = workload.locate(workload.paths["tolerations"])
                yield Hit(location, _message(workload, group, taints), workload.app)


def _squats(placement: Placement, group: NodeGroup, groups: Sequence[NodeGroup]) -> bool:
    """It can run on the group's nodes without having selected the group."""
    if misfit_reasons(placement, group):
        return False
    return _fits_elsewhere(placement, group, groups) or not _needs_labels(placement, group)


def _fits_elsewhere(placement: Placement, group: NodeGroup, groups: Sequence[NodeGroup]) -> bool:
    """It also fits a group labelled otherwise (one labelled alike is the same reservation)."""
    return any(
        not misfit_reasons(placement, other)
        for other in groups
        if other.name != group.name and not _carries(other, group.labels)
    )


def _needs_labels(placement: Placement, group: NodeGroup) -> bool:
    """Whether it would be kept off the group's nodes if they lost the group's own labels."""
    unlabelled = group._replace(name=f"{group.name} (unlabelled)", labels={}, taints=())
    return bool(misfit_reasons(placement, unlabelled))


def _carries(group: NodeGroup, labels: Mapping[str, str]) -> bool:
    return all(group.labels.get(key) == value for key, value in labels.items())


def _message(workload: Workload, group: NodeGroup, taints: list[Taint]) -> str:
    noun = "taint" if len(taints) == 1 else "taints"
    listed = ", ".join(map(str, taints))
    return (
        f"workload {workload.name!r} ({workload.kind}) tolerates {noun} {listed} of the dedicated"
        f" node group {group.name!r} without selecting it, so it may take the nodes reserved"
        f" there: select the group with nodeSelector {_selector(group)} or drop the toleration"
    )


def _selector(group: NodeGroup) -> str:
    labels = dict(group.labels) or {NODEGROUP_LABEL: group.name}
    return ", ".join(f"{key}={value}" for key, value in labels.items())
