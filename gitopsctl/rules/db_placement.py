"""A database cluster must run in the database namespace, on database nodes, with enough instances.

Applications reach their database at `<cluster>-rw.<database namespace>.svc.cluster.local`, so a
cluster synced into another namespace is never found. The database node group is reserved for
databases by a taint: a cluster must select the group's labels (or it lands on the shared
workload nodes) and tolerate its taint (or its pods stay Pending). A required node affinity
whose every term demands the labels selects the group as well as a nodeSelector does; a
placement the API server would reject is reported as such. Production needs a standby to fail
over to: the minimum number of instances is per tier, and a cluster without `instances` has one.

Passing (prod):

    # applications/prod/keycloak-db.yaml
    spec:
      destination:
        namespace: database
    # rendered/prod/keycloak-db/values.yaml
    instances: 3
    nodeSelector:
      workload-type: database
    tolerations:
      - {key: workload-type, operator: Equal, value: database, effect: NoSchedule}

Failing (one instance in prod, no toleration for the database taint):

    instances: 1
    nodeSelector:
      workload-type: database
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.kube.scheduling import (
    EXISTS,
    IN,
    NodeGroup,
    Placement,
    Toleration,
    blocking_taints,
    misfit_reasons,
)
from gitopsctl.kube.workloads import PLACEMENT_KEYS
from gitopsctl.paths import ValuePath
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import DatabaseCluster, Environment

ID = "db-placement"
SEVERITY = Severity.ERROR
OPTIONS: dict[str, Any] = {"min_instances": {"production": 2}}

# CloudNativePG runs one instance when `instances` is not set.
DEFAULT_INSTANCES = 1
_TOLERATE_EVERYTHING = (Toleration(operator=EXISTS),)


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    group = _database_group(env)
    minimum = _minimum(env, options)
    for db in env.databases:
        yield from _namespace(env, db)
        if db.placement is None:
            yield from _malformed(db)
        elif group is not None:
            yield from _selection(db, db.placement, group)
            yield from _taints(db, db.placement, group)
        if minimum is not None:
            yield from _instances(env, db, minimum)


def _database_group(env: Environment) -> NodeGroup | None:
    return next((g for g in env.node_groups if g.name == env.database_node_group), None)


def _minimum(env: Environment, options: Mapping[str, Any]) -> int | None:
    value = (options.get("min_instances") or {}).get(env.tier)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _namespace(env: Environment, db: DatabaseCluster) -> Iterator[Hit]:
    if env.database_namespace is None or db.namespace == env.database_namespace:
        return  # none known (manifests outside a platform, no --database-namespace), or right
    where = db.namespace_location or db.locate(())
    if db.namespace:
        message = (
            f"database cluster {db.name!r} is in namespace {db.namespace!r}, "
            f"not the database namespace {env.database_namespace!r}"
        )
    else:
        message = (
            f"database cluster {db.name!r} has no namespace: "
            f"put it in the database namespace {env.database_namespace!r}"
        )
    yield Hit(where, message, db.app)


def _malformed(db: DatabaseCluster) -> Iterator[Hit]:
    message = (
        f"database cluster {db.name!r} has a placement the API server would reject: "
        f"{db.placement_error}"
    )
    yield Hit(db.locate(_malformed_path(db)), message, db.app)


def _malformed_path(db: DatabaseCluster) -> ValuePath:
    """The field the error names (scheduling's errors start with it), else the placement."""
    error = db.placement_error or ""
    base = db.paths.get("placement", ())
    for field in PLACEMENT_KEYS:
        if error.startswith(field):
            return db.paths.get(field, (*base, field))
    return base


def _selection(db: DatabaseCluster, placement: Placement, group: NodeGroup) -> Iterator[Hit]:
    missing = [f"{k}={v}" for k, v in group.labels.items() if not _requires(placement, k, v)]
    if missing:
        message = (
            f"database cluster {db.name!r} does not select the {group.name} node group: "
            f"its nodeSelector must require {', '.join(missing)}"
        )
        yield Hit(db.locate(db.paths["nodeSelector"]), message, db.app)
        return
    # Taints aside, the rest of the selector and affinity must still fit the group's nodes.
    reasons = misfit_reasons(placement._replace(tolerations=_TOLERATE_EVERYTHING), group)
    if reasons:
        message = (
            f"database cluster {db.name!r} cannot run on the {group.name} node group: "
            f"{'; '.join(reasons)}"
        )
        yield Hit(db.locate(db.paths["nodeSelector"]), message, db.app)


def _requires(placement: Placement, key: str, value: str) -> bool:
    """Whether every node the placement allows carries the label: by nodeSelector or affinity."""
    if placement.node_selector.get(key) == value:
        return True
    terms = placement.required_terms
    return bool(terms) and all(
        any(r.key == key and r.operator == IN and r.values == (value,) for r in term)
        for term in terms or ()
    )


def _taints(db: DatabaseCluster, placement: Placement, group: NodeGroup) -> Iterator[Hit]:
    for taint in blocking_taints(group, placement.tolerations):
        message = (
            f"database cluster {db.name!r} does not tolerate the {group.name} node group's "
            f"taint {taint}: add a toleration for it"
        )
        yield Hit(db.locate(db.paths["tolerations"]), message, db.app)


def _instances(env: Environment, db: DatabaseCluster, minimum: int) -> Iterator[Hit]:
    instances = DEFAULT_INSTANCES if db.instances is None else db.instances
    if instances < minimum:
        message = (
            f"database cluster {db.name!r} has {instances} instance(s), "
            f"fewer than the {minimum} the {env.tier} tier requires"
        )
        yield Hit(db.locate(db.paths["instances"]), message, db.app)
