"""A DaemonSet must tolerate every NoSchedule and NoExecute taint of the node groups it is for.

A DaemonSet such as the node exporter is meant for every node: a group whose taint it does not
tolerate gets no pod, and its nodes go unmonitored without any error anywhere. A DaemonSet that
restricts itself with a nodeSelector or required node affinity is meant only for the groups that
selector matches (`kubernetes.io/os: linux` still matches them all); one that matches no group
at all is left to `taint-toleration`. PreferNoSchedule taints do not keep a DaemonSet off a node.

The `groups` option names the node groups every DaemonSet must cover: `all` (the default), or a
list of group names, for a platform whose other groups run their own agents.

Passing (the node exporter tolerates both dedicated groups' taints):

    prometheus-node-exporter:
      tolerations:
        - {key: workload-type, operator: Equal, value: database, effect: NoSchedule}
        - {key: workload-type, operator: Equal, value: large, effect: NoSchedule}

Failing (the large nodes repel the node exporter, so they are never monitored):

    prometheus-node-exporter:
      tolerations:
        - {key: workload-type, operator: Equal, value: database, effect: NoSchedule}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from gitopsctl.errors import InputError
from gitopsctl.findings import Severity
from gitopsctl.kube.scheduling import NodeGroup, Placement, Taint, blocking_taints, misfit_reasons
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Environment, Workload

ID = "daemonset-coverage"
SEVERITY = Severity.ERROR
ALL_GROUPS = "all"
OPTIONS: dict[str, Any] = {"groups": ALL_GROUPS}

DAEMON_SET = "DaemonSet"


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    groups = _groups_in_scope(env.node_groups, options.get("groups", ALL_GROUPS))
    for workload in env.workloads:
        if workload.kind != DAEMON_SET or workload.placement is None:
            continue
        uncovered = _uncovered(workload.placement, groups)
        if uncovered:
            location = workload.locate(workload.paths["tolerations"])
            yield Hit(location, _message(workload, uncovered), workload.app)


def _groups_in_scope(groups: Sequence[NodeGroup], option: object) -> list[NodeGroup]:
    if option == ALL_GROUPS:
        return list(groups)
    if isinstance(option, str) or not isinstance(option, Sequence):
        raise InputError(f"{ID}: option groups must be {ALL_GROUPS!r} or a list of node groups")
    known = {group.name for group in groups}
    unknown = [str(name) for name in option if name not in known]
    if unknown:
        raise InputError(
            f"{ID}: option groups names unknown node groups {', '.join(unknown)}"
            f" (known: {', '.join(sorted(known))})"
        )
    return [group for group in groups if group.name in option]


def _uncovered(placement: Placement, groups: Sequence[NodeGroup]) -> list[tuple[str, list[Taint]]]:
    """The selected groups, with the blocking taints the DaemonSet does not tolerate there."""
    found = []
    for group in groups:
        taints = blocking_taints(group, placement.tolerations)
        if taints and _selects(placement, group):
            found.append((group.name, taints))
    return found


def _selects(placement: Placement, group: NodeGroup) -> bool:
    """The nodeSelector and required affinity match the group's nodes, taints aside."""
    return not misfit_reasons(placement, group._replace(taints=()))


def _message(workload: Workload, uncovered: list[tuple[str, list[Taint]]]) -> str:
    restricted = workload.placement is not None and (
        workload.placement.node_selector or workload.placement.required_terms is not None
    )
    scope = "every node group its selector matches" if restricted else "every node group"
    details = "; ".join(
        f"{name}: {', '.join(f'does not tolerate taint {taint}' for taint in taints)}"
        for name, taints in uncovered
    )
    return f"DaemonSet {workload.name!r} cannot run on {scope}: {details}"
