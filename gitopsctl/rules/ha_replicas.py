"""In production, every Deployment and StatefulSet runs at least two replicas spread over zones.

One replica means every node drain, rollout or zone outage is downtime; replicas without a
topology spread constraint over `topology.kubernetes.io/zone` may all be scheduled into one zone
and go down with it. Charts default to one replica, so a workload whose replica count is not set
counts as one. DaemonSets, Jobs and CronJobs are not checked, nor workloads the chart profile
marks `singleton: true` (one active replica by design: a single writer or a leader-elected
controller that must not be scaled out); a workload of one replica is
told about its replicas first: a spread of one pod protects nothing. Database clusters need the
same number of instances, and nothing more: CloudNativePG spreads its instances over zones
through its `topologyKey`. Other environments are not checked.

Passing (prod):

    replicaCount: 3
    topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: ScheduleAnyway

Failing (prod):

    replicaCount: 1
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import DatabaseCluster, Environment, Workload

ID = "ha-replicas"
SEVERITY = Severity.WARNING
OPTIONS: dict[str, Any] = {"min_replicas": 2, "topology_key": "topology.kubernetes.io/zone"}

CHECKED_KINDS = frozenset({"Deployment", "StatefulSet"})
# Charts and CloudNativePG both run one pod when the count is not set.
DEFAULT_REPLICAS = 1


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not env.production:
        return
    minimum = int(options.get("min_replicas", OPTIONS["min_replicas"]))
    key = str(options.get("topology_key", OPTIONS["topology_key"]))
    for workload in env.workloads:
        if workload.kind in CHECKED_KINDS and not workload.singleton:
            yield from _workload(workload, minimum, key)
    for db in env.databases:
        yield from _database(db, minimum)


def _workload(workload: Workload, minimum: int, key: str) -> Iterator[Hit]:
    name = f"{workload.kind} {workload.name!r}"
    replicas = DEFAULT_REPLICAS if workload.replicas is None else workload.replicas
    if replicas < minimum:
        runs = (
            "has no replica count (charts default to 1)"
            if workload.replicas is None
            else f"runs {replicas} replica(s)"
        )
        message = f"{name} {runs} in production: set it to at least {minimum}, spread over {key}"
        yield Hit(workload.locate(workload.paths["replicas"]), message, workload.app)
    elif key not in workload.spread_keys:
        message = (
            f"{name} has {replicas} replicas but no topology spread constraint over {key}: "
            "they may all run in one zone"
        )
        # With no constraint at all, the replica count is where the chart's block is set.
        path = workload.paths["spread" if workload.spread_keys else "replicas"]
        yield Hit(workload.locate(path), message, workload.app)


def _database(db: DatabaseCluster, minimum: int) -> Iterator[Hit]:
    instances = DEFAULT_REPLICAS if db.instances is None else db.instances
    if instances < minimum:
        message = (
            f"database cluster {db.name!r} runs {instances} instance(s) in production: "
            f"set instances to at least {minimum}"
        )
        yield Hit(db.locate(db.paths["instances"]), message, db.app)
