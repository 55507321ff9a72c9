"""A deterministic stream of Kubernetes objects, some deliberately invalid, for the benchmark.

`manifest_stream(1000)` is one multi-document YAML text of 1,000 objects. Object `i` is of kind
`KINDS[i % 6]` (Deployment, StatefulSet, DaemonSet, Service, Ingress, ConfigMap), named
`<kind in lower case>-<i>` in namespace `team-<a..e>`, so the six kinds get 167, 167, 167,
167, 166 and 166 objects. Every object is valid for Kubernetes 1.34 in strict mode (unknown
fields rejected) except the `INVALID` ones: two per kind, at the kind's 8th and 102nd object,
with a wrong type, an unknown field or a missing required field each.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from bench.generate import DOMAIN, dump

KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Service", "Ingress", "ConfigMap")
API_VERSIONS = {
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "Service": "v1",
    "Ingress": "networking.k8s.io/v1",
    "ConfigMap": "v1",
}
NAMESPACES = ("team-a", "team-b", "team-c", "team-d", "team-e")
OBJECTS_PER_APP = len(KINDS)
DEFAULT_TOTAL = 1000

Object = dict[str, Any]


class Invalid(NamedTuple):
    """A deliberate defect: which object of a kind gets it, and where the bad field is."""

    kind: str
    occurrence: int  # 0-based among the objects of its kind
    defect: str  # wrong type | unknown field | missing required field
    path: str  # the JSON path of the bad (or missing) field
    mutate: Callable[[Object], None]


def _container(obj: Object) -> Object:
    template = obj["spec"]["template"]["spec"]
    container: Object = template["containers"][0]
    return container


def _path(obj: Object) -> Object:
    path: Object = obj["spec"]["rules"][0]["http"]["paths"][0]
    return path


def _set_replicas_text(obj: Object) -> None:
    obj["spec"]["replicas"] = "three"


def _drop_selector(obj: Object) -> None:
    del obj["spec"]["selector"]


def _named_container_port(obj: Object) -> None:
    _container(obj)["ports"][0]["containerPort"] = "http"


def _misspelt_replicas(obj: Object) -> None:
    obj["spec"]["replica"] = obj["spec"].pop("replicas")


def _misspelt_pull_policy(obj: Object) -> None:
    _container(obj)["imagePullPolicyy"] = _container(obj).pop("imagePullPolicy")


def _drop_container_name(obj: Object) -> None:
    del _container(obj)["name"]


def _quoted_port(obj: Object) -> None:
    obj["spec"]["ports"][0]["port"] = "80"


def _misspelt_selector(obj: Object) -> None:
    obj["spec"]["selectors"] = obj["spec"].pop("selector")


def _drop_path_type(obj: Object) -> None:
    del _path(obj)["pathType"]


def _named_backend_port(obj: Object) -> None:
    _path(obj)["backend"]["service"]["port"]["number"] = "http"


def _number_in_data(obj: Object) -> None:
    obj["data"]["workers"] = 4


def _misspelt_annotations(obj: Object) -> None:
    obj["metadata"]["annotation"] = {"team": obj["metadata"]["namespace"]}


FIRST, SECOND = 7, 101
INVALID = (
    Invalid("Deployment", FIRST, "wrong type", "spec.replicas", _set_replicas_text),
    Invalid("Deployment", SECOND, "missing required field", "spec.selector", _drop_selector),
    Invalid(
        "StatefulSet",
        FIRST,
        "wrong type",
        "spec.template.spec.containers.0.ports.0.containerPort",
        _named_container_port,
    ),
    Invalid("StatefulSet", SECOND, "unknown field", "spec.replica", _misspelt_replicas),
    Invalid(
        "DaemonSet",
        FIRST,
        "unknown field",
        "spec.template.spec.containers.0.imagePullPolicyy",
        _misspelt_pull_policy,
    ),
    Invalid(
        "DaemonSet",
        SECOND,
        "missing required field",
        "spec.template.spec.containers.0.name",
        _drop_container_name,
    ),
    Invalid("Service", FIRST, "wrong type", "spec.ports.0.port", _quoted_port),
    Invalid("Service", SECOND, "unknown field", "spec.selectors", _misspelt_selector),
    Invalid(
        "Ingress",
        FIRST,
        "missing required field",
        "spec.rules.0.http.paths.0.pathType",
        _drop_path_type,
    ),
    Invalid(
        "Ingress",
        SECOND,
        "wrong type",
        "spec.rules.0.http.paths.0.backend.service.port.number",
        _named_backend_port,
    ),
    Invalid("ConfigMap", FIRST, "wrong type", "data.workers", _number_in_data),
    Invalid("ConfigMap", SECOND, "unknown field", "metadata.annotation", _misspelt_annotations),
)


class StreamObject(NamedTuple):
    """One object of the stream: what it is, where it is, and its deliberate defect if any."""

    position: int  # 0-based in the stream
    kind: str
    namespace: str
    name: str
    first_line: int  # 1-based, the document's first line after its `---`
    last_line: int
    invalid: Invalid | None

    @property
    def key(self) -> str:
        """`kind/namespace/name`, as gitopsctl names objects."""
        return f"{self.kind}/{self.namespace}/{self.name}"


class Stream(NamedTuple):
    text: str
    objects: list[StreamObject]


# --- valid objects ---


def _metadata(name: str, namespace: str, app: str) -> Object:
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": app}
    return {"name": name, "namespace": namespace, "labels": labels}


def _pod_spec(app: str, index: int, placement: Object) -> Object:
    container = {
        "name": "main",
        "image": f"registry.example.com/{app}:1.{index % 10}.0",
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"memory": "256Mi"},
        },
    }
    return {"containers": [container], **placement}


def _template(app: str, index: int, placement: Object) -> Object:
    return {
        "metadata": {"labels": {"app.kubernetes.io/instance": app}},
        "spec": _pod_spec(app, index, placement),
    }


def _large_placement(index: int) -> Object:
    """Every third replicated workload on the large node group, selecting and tolerating it."""
    if index % 3:
        return {}
    toleration = {"key": "workload-type", "operator": "Equal", "value": "large"}
    return {
        "nodeSelector": {"workload-type": "large"},
        "tolerations": [toleration | {"effect": "NoSchedule"}],
    }


def _spread(app: str) -> Object:
    return {
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {"app.kubernetes.io/instance": app}},
            }
        ]
    }


def _selector(app: str) -> Object:
    return {"matchLabels": {"app.kubernetes.io/instance": app}}


def deployment(app: str, index: int) -> Object:
    placement = _large_placement(index) | _spread(app)
    return {
        "replicas": 2,
        "selector": _selector(app),
        "strategy": {"type": "RollingUpdate"},
        "template": _template(app, index, placement),
    }


def stateful_set(app: str, index: int) -> Object:
    claim = {
        "metadata": {"name": "data"},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "10Gi"}},
        },
    }
    return {
        "serviceName": f"service-{index + 3:04d}",
        "replicas": 3,
        "selector": _selector(app),
        "template": _template(app, index, _large_placement(index) | _spread(app)),
        "volumeClaimTemplates": [claim],
    }


def daemon_set(app: str, index: int) -> Object:
    everywhere = {"tolerations": [{"operator": "Exists"}]}
    return {"selector": _selector(app), "template": _template(app, index, everywhere)}


def service(app: str, index: int) -> Object:
    port = {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    return {"type": "ClusterIP", "selector": {"app.kubernetes.io/instance": app}, "ports": [port]}


def ingress(app: str, index: int) -> Object:
    backend = {"service": {"name": f"service-{index - 1:04d}", "port": {"number": 80}}}
    path = {"path": "/", "pathType": "Prefix", "backend": backend}
    return {
        "ingressClassName": "traefik-ingress",
        "rules": [{"host": f"{app}.{DOMAIN}", "http": {"paths": [path]}}],
    }


def config_map_data(app: str, index: int) -> Object:
    return {"LOG_LEVEL": "info", "APP_NAME": app, "WORKERS": str(2 + index % 4)}


SPECS: dict[str, Callable[[str, int], Object]] = {
    "Deployment": deployment,
    "StatefulSet": stateful_set,
    "DaemonSet": daemon_set,
    "Service": service,
    "Ingress": ingress,
}


def valid_object(index: int) -> Object:
    """Object `index` of the stream, before any deliberate defect."""
    kind = KINDS[index % len(KINDS)]
    name = f"{kind.lower()}-{index:04d}"
    app = f"app-{index // OBJECTS_PER_APP:03d}"
    namespace = NAMESPACES[(index // OBJECTS_PER_APP) % len(NAMESPACES)]
    obj: Object = {
        "apiVersion": API_VERSIONS[kind],
        "kind": kind,
        "metadata": _metadata(name, namespace, app),
    }
    if kind == "ConfigMap":
        obj["data"] = config_map_data(app, index)
    else:
        obj["spec"] = SPECS[kind](app, index)
    return obj


# --- the stream ---


def kind_counts(total: int) -> dict[str, int]:
    """How many objects of each kind a stream of `total` objects has."""
    return {kind: len(range(position, total, len(KINDS))) for position, kind in enumerate(KINDS)}


def invalid_at(total: int) -> dict[int, Invalid]:
    """The stream index of every deliberately invalid object of a stream of `total` objects."""
    found = {}
    for invalid in INVALID:
        index = invalid.occurrence * len(KINDS) + KINDS.index(invalid.kind)
        if index < total:
            found[index] = invalid
    return found


def manifest_stream(total: int = DEFAULT_TOTAL) -> Stream:
    """`total` objects as one multi-document YAML text, with each object's lines and defect."""
    broken = invalid_at(total)
    header = f"# {total} Kubernetes objects written by bench/manifests.py; see INVALID there.\n"
    chunks, objects = [header], []
    line = 2  # the first document's `---` is on line 2
    for index in range(total):
        obj = valid_object(index)
        invalid = broken.get(index)
        if invalid is not None:
            obj = copy.deepcopy(obj)
            invalid.mutate(obj)
        text = dump(obj)
        lines = text.count("\n")
        chunks.append("---\n" + text)
        metadata = obj["metadata"]
        objects.append(
            StreamObject(
                index,
                str(obj["kind"]),
                metadata["namespace"],
                metadata["name"],
                line + 1,
                line + lines,
                invalid,
            )
        )
        line += lines + 1
    return Stream("".join(chunks), objects)


def object_at(objects: Sequence[StreamObject], line: int) -> StreamObject | None:
    """The object whose document holds the 1-based `line`, if any."""
    low, high = 0, len(objects)
    while low < high:
        middle = (low + high) // 2
        if objects[middle].last_line < line:
            low = middle + 1
        else:
            high = middle
    if low < len(objects) and objects[low].first_line <= line:
        return objects[low]
    return None
