"""Reading pod placement, replicas and spread out of a mapping that holds them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitopsctl.kube.scheduling import Placement, parse_placement
from gitopsctl.paths import ValuePath

PLACEMENT_KEYS = ("nodeSelector", "tolerations", "affinity")
# Where each kind that runs pods keeps its pod spec.
POD_SPEC_PATHS: dict[str, ValuePath] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def placement_of(block: Any) -> tuple[Placement | None, str | None]:
    """The placement a pod spec (or a chart's placement block) asks for, or why it is malformed."""
    if not isinstance(block, Mapping):
        return parse_placement({}), None
    spec = {key: block[key] for key in PLACEMENT_KEYS if block.get(key) is not None}
    try:
        return parse_placement(spec), None
    except ValueError as error:
        return None, str(error)


def spread_keys(constraints: Any) -> tuple[str, ...]:
    if not isinstance(constraints, list):
        return ()
    return tuple(
        str(item["topologyKey"])
        for item in constraints
        if isinstance(item, Mapping) and "topologyKey" in item
    )


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def separate_nodes(cnpg_affinity: Any) -> bool:
    """Whether a CloudNativePG cluster's instances must run on different nodes: its pod
    anti-affinity is on (the default) and `required` (the default is `preferred`)."""
    if not isinstance(cnpg_affinity, Mapping):
        return False
    enabled = cnpg_affinity.get("enablePodAntiAffinity") is not False
    return enabled and cnpg_affinity.get("podAntiAffinityType") == "required"
