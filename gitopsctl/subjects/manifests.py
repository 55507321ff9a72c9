"""Subjects of plain Kubernetes manifests (for example `helm template` output).

The same policies as for the rendered repository, located at each manifest's file and line, each
object named `kind/namespace/name`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

from gitopsctl.errors import InputError, Problem
from gitopsctl.kube.scheduling import NodeGroup
from gitopsctl.kube.workloads import as_int, placement_of, spread_keys
from gitopsctl.paths import ValuePath, lookup
from gitopsctl.sources import schemas
from gitopsctl.subjects.records import (
    DatabaseCluster,
    Document,
    Environment,
    Ingress,
    Locate,
    Location,
    TlsEntry,
    ValuesDocument,
    Workload,
)
from gitopsctl.subjects.repository import node_locator
from gitopsctl.yaml import reader

STDIN = "-"
POD_SPEC_PATHS: dict[str, ValuePath] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
REPLICATED = ("Deployment", "StatefulSet", "ReplicaSet")
CNPG_API = "postgresql.cnpg.io/"


class Manifest(NamedTuple):
    """One Kubernetes object with the file it came from; its positions are read on demand."""

    file: str
    node: Any
    source: reader.StreamDocument | None = None
    item: int | None = None  # its index in a `kind: List`'s items

    @property
    def kind(self) -> str:
        return str(self.node.get("kind", ""))

    @property
    def name(self) -> str:
        """`kind/namespace/name`, or `kind/name` for an object without a namespace."""
        namespace = lookup(self.node, ("metadata", "namespace"))[1]
        name = lookup(self.node, ("metadata", "name"))[1]
        return "/".join(str(part) for part in (self.kind, namespace, name) if part is not None)

    @property
    def app(self) -> str | None:
        labels = lookup(self.node, ("metadata", "labels"))[1] or {}
        found = labels.get("app.kubernetes.io/instance") or labels.get("app.kubernetes.io/name")
        return str(found) if found else None

    @property
    def line(self) -> int:
        """The line where the object starts."""
        if self.source is None:
            return 1
        if self.item is None:
            return self.source.line
        return (reader.node_position(self.positioned()) or (self.source.line, 1))[0]

    def positioned(self) -> Any:
        """The object as `PosMap`, composed again from its text (only asked for findings)."""
        if self.source is None:
            return self.node
        document = self.source.positioned
        return document if self.item is None else document["items"][self.item]

    def locate(self) -> Locate:
        def locate(path: ValuePath) -> Location:
            return node_locator(self.positioned(), self.file)(path)

        return locate


def read_manifests(target: str, stdin_text: str | None = None) -> list[Manifest]:
    """Every object of a file, a directory (*.yaml, *.yml, recursively) or standard input."""
    if target == STDIN:
        text = stdin_text if stdin_text is not None else sys.stdin.read()
        return list(objects(text, "<stdin>"))
    path = Path(target)
    if not path.exists():
        raise InputError(f"{target}: no such file or directory (give a file, a folder or -)")
    files = (
        sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        if path.is_dir()
        else [path]
    )
    found: list[Manifest] = []
    for file in files:
        found.extend(objects(_read(file), file.as_posix()))
    return found


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(Problem(f"cannot read manifests: {error}", file.as_posix())) from None


def objects(text: str, name: str) -> Iterator[Manifest]:
    for document in reader.read_stream(text, name):
        data = document.data
        if not isinstance(data, Mapping) or "kind" not in data:
            where = reader.node_position(document.positioned) or (document.line, 1)
            raise InputError(Problem("not a Kubernetes object (a mapping with kind)", name, *where))
        items = data.get("items")
        if data["kind"] == "List" and isinstance(items, list):
            yield from (Manifest(name, item, document, index) for index, item in enumerate(items))
        else:
            yield Manifest(name, data, document)


def read_node_groups(file: Path) -> list[NodeGroup]:
    from gitopsctl.sources.model import node_group

    name = file.as_posix()
    if not file.is_file():
        raise InputError(Problem("no such node groups file", name))
    document = reader.load_file(file, name)
    problems = schemas.check("node-groups", document, name)
    if problems:
        raise InputError(problems)
    return [node_group(item) for item in document["nodeGroups"]]


def manifest_subjects(manifests: Sequence[Manifest], base: Environment) -> Environment:
    """Fill an environment's subjects from manifests; IngressClasses and ClusterIssuers count."""
    classes = {_name(m) for m in manifests if m.kind == "IngressClass"}
    issuers = {_name(m) for m in manifests if m.kind == "ClusterIssuer"}
    env = replace(
        base,
        ingress_class_providers=base.ingress_class_providers | classes,
        issuers=base.issuers | issuers,
        workloads=[],
        ingresses=[],
        databases=[],
        applications=[],
        values=[],
        documents=[],
    )
    for manifest in manifests:
        _add(env, manifest)
    return env


def _name(manifest: Manifest) -> str:
    return str(lookup(manifest.node, ("metadata", "name"))[1])


def _add(env: Environment, manifest: Manifest) -> None:
    kind = manifest.kind
    api_version = str(manifest.node.get("apiVersion", ""))
    env.documents.append(
        Document(manifest.app, manifest.name, api_version, kind, manifest.node, manifest.locate())
    )
    if kind in POD_SPEC_PATHS:
        env.workloads.append(_workload(manifest))
        env.values.extend(_container_env(manifest))
    elif kind == "Ingress":
        env.ingresses.append(_ingress(manifest))
    elif kind == "Cluster" and str(manifest.node.get("apiVersion", "")).startswith(CNPG_API):
        env.databases.append(_database(manifest))
    elif kind == "ConfigMap" and isinstance(manifest.node.get("data"), Mapping):
        env.values.append(_config_map(manifest))


def _workload(manifest: Manifest) -> Workload:
    kind = manifest.kind
    spec_path = POD_SPEC_PATHS[kind]
    pod_spec = lookup(manifest.node, spec_path)[1]
    placement, error = placement_of(pod_spec)
    replicas = as_int(lookup(manifest.node, ("spec", "replicas"))[1])
    if replicas is None and kind in REPLICATED:
        replicas = 1
    spread = pod_spec.get("topologySpreadConstraints") if isinstance(pod_spec, Mapping) else None
    return Workload(
        app=manifest.app,
        name=manifest.name,
        kind=kind,
        placement=placement,
        placement_error=error,
        replicas=replicas,
        spread_keys=spread_keys(spread),
        locate=manifest.locate(),
        paths={
            "placement": spec_path,
            "nodeSelector": (*spec_path, "nodeSelector"),
            "tolerations": (*spec_path, "tolerations"),
            "affinity": (*spec_path, "affinity"),
            "replicas": ("spec", "replicas"),
            "spread": (*spec_path, "topologySpreadConstraints"),
        },
    )


def _ingress(manifest: Manifest) -> Ingress:
    node = manifest.node
    annotations = lookup(node, ("metadata", "annotations"))[1] or {}
    class_name = lookup(node, ("spec", "ingressClassName"))[1]
    return Ingress(
        app=manifest.app,
        name=manifest.name,
        class_name=str(class_name) if class_name else None,
        annotations={str(k): str(v) for k, v in annotations.items()},
        hosts=tuple(_rule_hosts(node)),
        tls=tuple(_tls(node)),
        tls_flag=False,
        locate=manifest.locate(),
        paths={
            "ingress": (),
            "class": ("spec", "ingressClassName"),
            "annotations": ("metadata", "annotations"),
            "issuer": ("metadata", "annotations", "cert-manager.io/cluster-issuer"),
            "tls": ("spec", "tls"),
        },
    )


def _rule_hosts(node: Any) -> Iterator[tuple[str, ValuePath]]:
    for index, rule in enumerate(lookup(node, ("spec", "rules"))[1] or []):
        if isinstance(rule, Mapping) and isinstance(rule.get("host"), str):
            yield rule["host"], ("spec", "rules", index, "host")


def _tls(node: Any) -> Iterator[TlsEntry]:
    for index, entry in enumerate(lookup(node, ("spec", "tls"))[1] or []):
        if isinstance(entry, Mapping):
            hosts = tuple(str(h) for h in entry.get("hosts") or [])
            yield TlsEntry(hosts, entry.get("secretName"), ("spec", "tls", index))


def _database(manifest: Manifest) -> DatabaseCluster:
    node = manifest.node
    affinity = lookup(node, ("spec", "affinity"))[1] or {}
    spec = {
        "nodeSelector": affinity.get("nodeSelector"),
        "tolerations": affinity.get("tolerations"),
        "affinity": {"nodeAffinity": affinity["nodeAffinity"]}
        if "nodeAffinity" in affinity
        else None,
    }
    placement, error = placement_of(spec)
    locate = manifest.locate()
    return DatabaseCluster(
        app=manifest.app,
        name=_name(manifest),
        namespace=lookup(node, ("metadata", "namespace"))[1],
        instances=as_int(lookup(node, ("spec", "instances"))[1]),
        placement=placement,
        placement_error=error,
        locate=locate,
        paths={
            "instances": ("spec", "instances"),
            "nodeSelector": ("spec", "affinity", "nodeSelector"),
            "tolerations": ("spec", "affinity", "tolerations"),
            "placement": ("spec", "affinity"),
        },
        namespace_location=locate(("metadata", "namespace")),
    )


def _container_env(manifest: Manifest) -> Iterator[ValuesDocument]:
    """Each container's literal environment variables, as values keyed by variable name."""
    spec_path = POD_SPEC_PATHS[manifest.kind]
    pod_spec = lookup(manifest.node, spec_path)[1] or {}
    for group in ("initContainers", "containers"):
        for index, container in enumerate(pod_spec.get(group) or []):
            entries = container.get("env") if isinstance(container, Mapping) else None
            if isinstance(entries, list):
                yield _env_document(manifest, (*spec_path, group, index, "env"), entries)


def _env_document(manifest: Manifest, base: ValuePath, entries: list[Any]) -> ValuesDocument:
    values: dict[str, Any] = {}
    where: dict[str, ValuePath] = {}
    for index, entry in enumerate(entries):
        if isinstance(entry, Mapping) and "name" in entry:
            key = str(entry["name"])
            values[key] = entry.get("value", entry.get("valueFrom"))
            where[key] = (*base, index, "value" if "value" in entry else "name")
    inner = manifest.locate()

    def locate(path: ValuePath) -> Any:
        head = str(path[0]) if path else ""
        return inner(where.get(head, base))

    return ValuesDocument(manifest.app or manifest.name, reader.to_plain(values), locate)


def _config_map(manifest: Manifest) -> ValuesDocument:
    inner = manifest.locate()

    def locate(path: ValuePath) -> Any:
        return inner(("data", *path))

    data = reader.to_plain(manifest.node["data"])
    return ValuesDocument(manifest.app or manifest.name, data, locate)
