"""What EKS nodes allocate, and what pods request, as the capacity rule counts them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from gitopsctl.kube.capacity import (
    Resources,
    allocatable,
    instance_types,
    pod_requests,
    reserved_cpu_millicores,
    reserved_memory_mib,
)

MI = 2**20


def resources(cpu: str, memory_mib: int) -> Resources:
    return Resources(Decimal(cpu), Decimal(memory_mib * MI))


@pytest.mark.parametrize(
    ("vcpu", "millicores"),
    [
        pytest.param(1, 60, id="6-percent-of-the-first-core"),
        pytest.param(2, 70, id="1-percent-of-the-second"),
        pytest.param(4, 80, id="half-a-percent-of-the-third-and-fourth"),
        pytest.param(8, 90, id="quarter-percent-above-four"),
        pytest.param(32, 150, id="thirty-two-cores"),
    ],
)
def test_kube_reserved_cpu_by_core_tiers(vcpu: int, millicores: int) -> None:
    assert reserved_cpu_millicores(vcpu) == millicores


def test_kube_reserved_memory_by_max_pods() -> None:
    assert [reserved_memory_mib(pods) for pods in (11, 29, 58, 234)] == [376, 574, 893, 2829]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # 2 vCPU, 2 GiB, 11 pods: 2048 - (255 + 11 x 11) - 100 MiB
        pytest.param("t3.small", resources("1.93", 1572), id="t3.small"),
        pytest.param("t3.large", resources("1.93", 8192 - 640 - 100), id="t3.large"),
        pytest.param("r6i.large", resources("1.93", 15710), id="r6i.large"),
        pytest.param("m6i.xlarge", resources("3.92", 15391), id="m6i.xlarge"),
        pytest.param("m6i.2xlarge", resources("7.91", 31775), id="m6i.2xlarge"),
        pytest.param("m5.8xlarge", resources("31.85", 131072 - 2829 - 100), id="m5.8xlarge"),
    ],
)
def test_allocatable(name: str, expected: Resources) -> None:
    assert allocatable(instance_types()[name]) == expected


def test_the_data_file_has_the_common_sizes_of_each_family() -> None:
    known = instance_types()
    families = ("t3", "m5", "m6i", "r5", "r6i", "c5", "c6i")
    missing = [
        f"{family}.{size}"
        for family in families
        for size in ("large", "xlarge", "2xlarge")
        if f"{family}.{size}" not in known
    ]
    assert missing == []
    # max pods as the EKS AMI's eni-max-pods.txt lists them
    assert {name: known[name].max_pods for name in ("t3.small", "m5.large", "m6i.2xlarge")} == {
        "t3.small": 11,
        "m5.large": 29,
        "m6i.2xlarge": 58,
    }


def container(cpu: str | None = None, memory: str | None = None, **more: Any) -> dict[str, Any]:
    requests = {key: value for key, value in (("cpu", cpu), ("memory", memory)) if value}
    return {"name": "c", "resources": {"requests": requests}, **more}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({}, Resources(), id="nothing"),
        pytest.param(
            {"containers": [container("250m", "64Mi"), container("250m", "64Mi")]},
            resources("0.5", 128),
            id="containers-add-up",
        ),
        pytest.param(
            {"containers": [{"name": "c", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]},
            resources("1", 1024),
            id="a-limit-without-request-is-the-request",
        ),
        pytest.param(
            {
                "containers": [container("100m", "100Mi")],
                "initContainers": [container("1", "50Mi"), container("200m", "300Mi")],
            },
            resources("1", 300),
            id="largest-init-container-per-resource",
        ),
        pytest.param(
            {
                "containers": [container("100m", "100Mi")],
                "initContainers": [
                    container("200m", "10Mi", restartPolicy="Always"),
                    container("500m", "10Mi"),
                ],
            },
            resources("0.7", 110),
            id="sidecar-runs-beside-later-init-containers-and-the-app",
        ),
        pytest.param(
            {"containers": [container("100m", "100Mi")], "overhead": {"cpu": "250m"}},
            resources("0.35", 100),
            id="pod-overhead",
        ),
    ],
)
def test_pod_requests(spec: dict[str, Any], expected: Resources) -> None:
    assert pod_requests(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param(
            {"containers": [container("one")]},
            "containers[0].resources.requests.cpu: quantities must match the regular expression"
            " '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            id="not-a-quantity",
        ),
        pytest.param(
            {"containers": [{"resources": {"requests": ["cpu"]}}]},
            "containers[0].resources.requests: must be a mapping",
            id="requests-a-list",
        ),
        pytest.param({"containers": {}}, "containers: must be a list", id="containers-a-map"),
    ],
)
def test_unreadable_requests(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        pod_requests(spec)
    assert str(raised.value) == message
