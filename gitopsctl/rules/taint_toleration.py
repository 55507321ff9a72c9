"""Every workload must fit some node group: its selectors match there and it tolerates the taints.

A pod whose nodeSelector or required node affinity targets a tainted group without the matching
toleration, or that selects labels no group carries, stays Pending forever; Kubernetes accepts it
and nothing complains until someone wonders why the app never came up. The verdict follows the
scheduler exactly (see `gitopsctl.kube.scheduling`): only NoSchedule and NoExecute taints repel, an
empty toleration key with `operator: Exists` tolerates every taint, and the EKS spellings
(`NO_SCHEDULE`) are read as meant (node groups use them; in a pod's toleration the API server
refuses them, which `api-validation` reports). A placement the API server would reject (an
unknown operator or effect, a value with `operator: Exists`, an empty key without it) is
reported too: it never deploys.

Passing (Retool selects the large nodes and tolerates their taint):

    nodeSelector:
      workload-type: large
    tolerations:
      - key: workload-type
        operator: Equal
        value: large
        effect: NoSchedule

Failing (the toleration is gone, so the large nodes repel Retool and no other group matches):

    nodeSelector:
      workload-type: large
    tolerations: []
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.kube.scheduling import NodeGroup, Placement, blocking_taints, misfit_reasons
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Environment, Workload

ID = "taint-toleration"
SEVERITY = Severity.ERROR

# The prefixes of scheduling's ValueError messages, and the field each one is about.
_ERROR_FIELDS = ("tolerations", "nodeSelector", "affinity")
# In a pod spec only tolerations name an effect, though this error does not say where it was.
_UNKNOWN_EFFECT = "unknown taint effect"


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    for workload in env.workloads:
        hit = _problem(env.node_groups, workload)
        if hit is not None:
            yield hit


def _problem(groups: Sequence[NodeGroup], workload: Workload) -> Hit | None:
    name = f"workload {workload.name!r} ({workload.kind})"
    if workload.placement is None:
        message = f"{name} has an invalid placement: {workload.placement_error}"
        return _hit(workload, _error_field(workload.placement_error or ""), message)
    if not groups:
        return None
    misfits = [(group, misfit_reasons(workload.placement, group)) for group in groups]
    if any(not reasons for _, reasons in misfits):
        return None
    details = "; ".join(f"{group.name}: {', '.join(reasons)}" for group, reasons in misfits)
    field = _blamed_field(workload.placement, groups)
    return _hit(workload, field, f"{name} fits no node group: {details}")


def _hit(workload: Workload, field: str, message: str) -> Hit:
    return Hit(workload.locate(workload.paths[field]), message, workload.app)


def _error_field(error: str) -> str:
    if error.startswith(_UNKNOWN_EFFECT):
        return "tolerations"
    return next((field for field in _ERROR_FIELDS if error.startswith(field)), "placement")


def _blamed_field(placement: Placement, groups: Sequence[NodeGroup]) -> str:
    """Tolerations when some group's labels match and only its taints repel; else the selector."""
    if any(_only_taints_repel(placement, group) for group in groups):
        return "tolerations"
    if not placement.node_selector and placement.required_terms is not None:
        return "affinity"
    return "nodeSelector"


def _only_taints_repel(placement: Placement, group: NodeGroup) -> bool:
    labels_match = not misfit_reasons(placement, group._replace(taints=()))
    return labels_match and bool(blocking_taints(group, placement.tolerations))
