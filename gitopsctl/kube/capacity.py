"""What a pod asks of a node, and what a node of an EKS instance type can give.

A pod's requests are what the scheduler adds up (the kube-scheduler's NodeResourcesFit): the sum
of its containers, or its largest init container when that is more (init containers run one at a
time; a sidecar, an init container with `restartPolicy: Always`, keeps running beside the ones
after it and the app's containers), plus the pod's `overhead`. A container that sets a limit but
no request requests its limit (the API server's defaulting).

A node's allocatable follows the Amazon EKS AMI's kubelet configuration (awslabs/amazon-eks-ami,
nodeadm `withDefaultReservedResources`): kube-reserved CPU is 6% of the first core, 1% of the
second, 0.5% of the third and fourth and 0.25% of every core above four; kube-reserved memory is
255 MiB plus 11 MiB for each pod the node may run (its max pods); the hard eviction threshold
keeps another 100 MiB free. No system-reserved is set.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from gitopsctl.kube.quantity import parse_quantity

INSTANCE_TYPES_FILE = "gitopsctl/kube/instance_types.json"
_INSTANCE_TYPES = Path(__file__).with_name("instance_types.json")
MIB = 2**20
EVICTION_HARD_MIB = 100
# (start, end, share per 10,000) of each CPU range in millicores, as nodeadm reserves them
_CPU_TIERS = ((0, 1000, 600), (1000, 2000, 100), (2000, 4000, 50), (4000, None, 25))
CPU, MEMORY = "cpu", "memory"


class Resources(NamedTuple):
    """CPU in cores and memory in bytes, exactly."""

    cpu: Decimal = Decimal(0)
    memory: Decimal = Decimal(0)

    def __add__(self, other: object) -> Resources:
        if not isinstance(other, Resources):
            return NotImplemented
        return Resources(self.cpu + other.cpu, self.memory + other.memory)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.cpu - other.cpu, self.memory - other.memory)

    def times(self, count: int) -> Resources:
        return Resources(self.cpu * count, self.memory * count)

    def fits_in(self, room: Resources) -> bool:
        return self.cpu <= room.cpu and self.memory <= room.memory

    def at_most(self, other: Resources) -> Resources:
        return Resources(max(self.cpu, other.cpu), max(self.memory, other.memory))

    def __str__(self) -> str:
        return f"cpu {format_cpu(self.cpu)}, memory {format_memory(self.memory)}"


def total(items: Iterable[Resources]) -> Resources:
    return sum(items, Resources())


def format_cpu(cores: Decimal) -> str:
    """Millicores, rounded up (what is asked) to a whole millicore."""
    return f"{math.ceil(cores * 1000)}m"


def format_memory(size: Decimal) -> str:
    """Mebibytes, rounded up to a whole MiB."""
    return f"{math.ceil(size / MIB)}Mi"


# --- what a node gives ----------------------------------------------------------------------------


class InstanceType(NamedTuple):
    name: str
    vcpu: int
    memory_mib: int
    max_pods: int


@functools.cache
def instance_types() -> dict[str, InstanceType]:
    """The instance types of the data file, by name."""
    data = json.loads(_INSTANCE_TYPES.read_text(encoding="utf-8"))
    return {
        name: InstanceType(name, spec["vcpu"], spec["memoryMiB"], spec["maxPods"])
        for name, spec in data["instanceTypes"].items()
    }


def reserved_cpu_millicores(vcpu: int) -> int:
    """kube-reserved CPU by core tiers, each tier rounded down as nodeadm does."""
    millicores = vcpu * 1000
    reserved = 0
    for start, end, share in _CPU_TIERS:
        if millicores > start:
            top = millicores if end is None else min(millicores, end)
            reserved += (top - start) * share // 10000
    return reserved


def reserved_memory_mib(max_pods: int) -> int:
    """kube-reserved memory: 255 MiB and 11 MiB per pod the node may run."""
    return 11 * max_pods + 255


def allocatable(instance: InstanceType) -> Resources:
    """What pods may request on one node of the instance type."""
    cpu = instance.vcpu * 1000 - reserved_cpu_millicores(instance.vcpu)
    memory = instance.memory_mib - reserved_memory_mib(instance.max_pods) - EVICTION_HARD_MIB
    return Resources(Decimal(cpu) / 1000, Decimal(memory * MIB))


def requests_of(read: Any, *args: Any) -> tuple[Resources | None, str | None]:
    """``read(*args)``'s requests, or why they cannot be read (for a subject's record)."""
    try:
        return read(*args), None
    except ValueError as error:
        return None, str(error)


# --- what a pod asks ------------------------------------------------------------------------------


def container_requests(resources: Any, where: str = "resources") -> Resources:
    """The CPU and memory a container's `resources` block requests (its limit when no request)."""
    block = _mapping(resources, where)
    requests = _mapping(block.get("requests"), f"{where}.requests")
    limits = _mapping(block.get("limits"), f"{where}.limits")
    found = {}
    for name in (CPU, MEMORY):
        if requests.get(name) is not None:
            found[name] = _quantity(requests[name], f"{where}.requests.{name}")
        elif limits.get(name) is not None:
            found[name] = _quantity(limits[name], f"{where}.limits.{name}")
    return Resources(found.get(CPU, Decimal(0)), found.get(MEMORY, Decimal(0)))


def pod_requests(pod_spec: Any) -> Resources:
    """What the scheduler counts for a pod: containers, the largest init step, the overhead."""
    spec = _mapping(pod_spec, "pod spec")
    running = total(
        container_requests(
            _mapping(item, f"containers[{index}]").get("resources"),
            f"containers[{index}].resources",
        )
        for index, item in enumerate(_list(spec.get("containers"), "containers"))
    )
    sidecars = Resources()
    largest_init = Resources()
    for index, item in enumerate(_list(spec.get("initContainers"), "initContainers")):
        container = _mapping(item, f"initContainers[{index}]")
        asked = container_requests(container.get("resources"), f"initContainers[{index}].resources")
        if container.get("restartPolicy") == "Always":
            sidecars = sidecars + asked
            largest_init = largest_init.at_most(sidecars)
        else:
            largest_init = largest_init.at_most(sidecars + asked)
    overhead = _mapping(spec.get("overhead"), "overhead")
    extra = Resources(
        _quantity(overhead.get(CPU, "0"), "overhead.cpu"),
        _quantity(overhead.get(MEMORY, "0"), "overhead.memory"),
    )
    return (running + sidecars).at_most(largest_init) + extra


def _quantity(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{where}: {value!r} is not a quantity")
    try:
        return parse_quantity(str(value))
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: must be a mapping")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{where}: must be a list")
    return value
