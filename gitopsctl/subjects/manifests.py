"""Subjects of plain Kubernetes manifests (for example `helm template` output).

The same policies as for the rendered repository, located at each manifest's file and line, each
object named `kind/namespace/name`.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from gitopsctl.errors import InputError, Problem
from gitopsctl.kube.apivalidation import object_problems
from gitopsctl.kube.capacity import container_requests, pod_requests, requests_of
from gitopsctl.kube.crds import CrdSchema, crd_schemas
from gitopsctl.kube.scheduling import NodeGroup
from gitopsctl.kube.workloads import (
    POD_SPEC_PATHS,
    as_int,
    placement_of,
    separate_nodes,
    spread_keys,
)
from gitopsctl.paths import ValuePath, describe, lookup
from gitopsctl.sources import schemas
from gitopsctl.subjects import ingresses, references
from gitopsctl.subjects.locate import node_locator
from gitopsctl.subjects.records import (
    DatabaseCluster,
    DefinedKind,
    Document,
    Environment,
    Ingress,
    Locate,
    Location,
    Malformed,
    ValuesDocument,
    Workload,
)
from gitopsctl.yaml import reader

if TYPE_CHECKING:
    from gitopsctl.kube.kubeschema import SchemaError
    from gitopsctl.kube.schemastore import SchemaStore

STDIN = "-"
STDIN_NAME = "<stdin>"
LIST = "List"
OBJECT = "a mapping with apiVersion, kind and metadata.name"
MANIFEST_SUFFIXES = (".yaml", ".yml")
REPLICATED = ("Deployment", "StatefulSet", "ReplicaSet")
CNPG_API = "postgresql.cnpg.io/"
HELM_HOOK = "helm.sh/hook"
HELM_TEST_HOOKS = frozenset({"test", "test-success", "test-failure"})


class Manifest(NamedTuple):
    """One Kubernetes object with the file it came from; its positions are read on demand."""

    file: str
    node: Any
    source: reader.StreamDocument | None = None
    items: tuple[int, ...] = ()  # its index in a `kind: List`'s items (in nested Lists, each)
    # Where a value of the object was set before it was rendered (the source line a Helm value
    # came from), or None for the object's own line.
    origin: Callable[[Any, ValuePath], Location | None] | None = None

    @property
    def kind(self) -> str:
        return str(self.node.get("kind", ""))

    @property
    def name(self) -> str:
        """`kind/namespace/name`, or `kind/name` for an object without a namespace."""
        namespace = lookup(self.node, ("metadata", "namespace"))[1]
        name = _object_name(self.node)
        return "/".join(str(part) for part in (self.kind, namespace, name) if part is not None)

    @property
    def app(self) -> str | None:
        labels = lookup(self.node, ("metadata", "labels"))[1]
        if not isinstance(labels, Mapping):
            return None
        found = labels.get("app.kubernetes.io/instance") or labels.get("app.kubernetes.io/name")
        return str(found) if found else None

    @property
    def line(self) -> int:
        """The line where the object starts."""
        if self.source is None:
            return 1
        if not self.items:
            return self.source.line
        return (reader.node_position(self.positioned()) or (self.source.line, 1))[0]

    def positioned(self) -> Any:
        """The object as `PosMap`, composed again from its text (only asked for findings)."""
        if self.source is None:
            return self.node
        return _item(self.source.positioned, self.items)

    def locate(self) -> Locate:
        """Where a path of the object is; it holds the document's text, not the object."""
        if self.source is None:
            own = node_locator(self.node, self.file)
        else:
            own = _stream_locator(self.file, self.source, self.items)
        if self.origin is None:
            return own
        origin, node = self.origin, self.node

        def locate(path: ValuePath) -> Location:
            return origin(node, path) or own(path)

        return locate


def _stream_locator(file: str, source: reader.StreamDocument, items: tuple[int, ...]) -> Locate:
    def locate(path: ValuePath) -> Location:
        return node_locator(_item(source.positioned, items), file)(path)

    return locate


def _item(document: Any, items: tuple[int, ...]) -> Any:
    for index in items:
        document = document["items"][index]
    return document


def _object_name(node: Any) -> Any:
    """metadata.name, or metadata.generateName for an object the API server names."""
    found, name = lookup(node, ("metadata", "name"))
    return name if found else lookup(node, ("metadata", "generateName"))[1]


def shown_target(target: str) -> str:
    """How messages name what `--manifests` read."""
    return STDIN_NAME if target == STDIN else target


def read_manifests(target: str, stdin_text: str | None = None) -> Iterator[Manifest]:
    """Every object of a file, a directory (*.yaml, *.yml, recursively) or standard input, read
    one file and one document at a time."""
    if target == STDIN:
        text = stdin_text if stdin_text is not None else _read_stdin()
        yield from objects(text, STDIN_NAME)
        return
    path = Path(target)
    if not path.exists():
        raise InputError(f"{target}: no such file or directory (give a file, a folder or -)")
    for file in manifest_files(path) if path.is_dir() else [path]:
        yield from objects(_read(file), file.as_posix())


def manifest_files(folder: Path) -> list[Path]:
    """The YAML files under a folder, recursively: `.yaml` and `.yml` in any case; hidden files
    and folders (`.git`) are skipped, and links to folders are not followed."""
    found: list[Path] = []
    for root, folders, files in os.walk(folder, onerror=_unreadable_folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in files:
            path = Path(root) / name
            if _is_manifest_file(path):
                found.append(path)
    return sorted(found)


def _is_manifest_file(path: Path) -> bool:
    return (
        not path.name.startswith(".")
        and path.suffix.lower() in MANIFEST_SUFFIXES
        and path.is_file()  # not a folder, a broken link or a device named x.yaml
    )


def _unreadable_folder(error: OSError) -> None:
    where = Path(error.filename).as_posix() if error.filename else "a folder"
    raise InputError(Problem(f"cannot read manifests: {error.strerror or error}", where))


def _read(file: Path) -> bytes:
    try:
        data = file.read_bytes()
    except OSError as error:
        raise InputError(Problem(f"cannot read manifests: {error}", file.as_posix())) from None
    return reader.utf8(data, file.as_posix())


def _read_stdin() -> str | bytes:
    """Standard input as bytes, checked here so that a byte that is not UTF-8 has a line."""
    binary = getattr(sys.stdin, "buffer", None)
    if binary is None:
        return sys.stdin.read()
    return reader.utf8(binary.read(), STDIN_NAME)


def objects(text: str | bytes, name: str) -> Iterator[Manifest]:
    """The objects of a stream, the items of a `kind: List` (nested ones too) each on its own;
    anything that is not a Kubernetes object is unusable input at its line."""
    for document in reader.read_stream(text, name):
        yield from _expanded(document.data, document, ())
        document.data = None  # its objects went on their way; positions come from the text


def _expanded(
    node: Any, document: reader.StreamDocument, items: tuple[int, ...]
) -> Iterator[Manifest]:
    problem = _object_problem(node)
    if problem is not None:
        field, message = problem
        where = _position(document, items, field)
        raise InputError(
            Problem(f"not a Kubernetes object ({OBJECT}): {message}", document.name, *where)
        )
    if node["kind"] != LIST:
        yield Manifest(document.name, node, document, items)
        return
    for index, item in enumerate(node.get("items") or []):
        yield from _expanded(item, document, (*items, index))


def _object_problem(node: Any) -> tuple[ValuePath, str] | None:
    """Why a value is not a Kubernetes object, and where: at the object for what names it
    (apiVersion, kind, metadata.name), at the field for a part of the wrong shape; None for an
    object."""
    if not isinstance(node, Mapping):
        return (), f"it is {describe(node)}"
    for key in ("apiVersion", "kind"):
        if not isinstance(node.get(key), str) or not node[key]:
            return (), _missing_or_wrong(key, node.get(key), "a string")
    if node["kind"] == LIST:
        items = node.get("items")
        if items is not None and not isinstance(items, list):
            return ("items",), _missing_or_wrong("items of a List", items, "a list of objects")
        return None
    return _metadata_problem(node.get("metadata"))


def _metadata_problem(metadata: Any) -> tuple[ValuePath, str] | None:
    if not isinstance(metadata, Mapping):
        return (), _missing_or_wrong("metadata", metadata, "a mapping")
    name = metadata.get("name", metadata.get("generateName"))
    if not isinstance(name, str) or not name:
        return (), _missing_or_wrong("metadata.name", name, "a string")
    namespace = metadata.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        return ("metadata", "namespace"), _missing_or_wrong(
            "metadata.namespace", namespace, "a string"
        )
    for key in ("labels", "annotations"):
        if metadata.get(key) is not None and not isinstance(metadata[key], Mapping):
            return ("metadata", key), _missing_or_wrong(
                f"metadata.{key}", metadata[key], "a mapping"
            )
    return None


def _missing_or_wrong(field: str, value: Any, wanted: str) -> str:
    if value is None or value == "":
        return f"{field} is missing"
    return f"{field} is {describe(value)}, not {wanted}"


def _position(
    document: reader.StreamDocument, items: tuple[int, ...], field: ValuePath
) -> tuple[int, int]:
    """Where the failing field is, else the deepest part of its path that exists: the object."""
    root = document.positioned
    path = [part for index in items for part in ("items", index)]
    start = reader.node_position(root) or (document.line, 1)
    return reader.deepest_position(root, [*path, *field], start)


def read_node_groups(file: Path) -> list[NodeGroup]:
    """Node groups from a `nodeGroups:` YAML file, or from a folder of Terraform."""
    from gitopsctl.sources.model import node_group

    name = file.as_posix()
    if file.is_dir():
        from gitopsctl.sources import terraform

        return terraform.read_node_groups(file, name)
    if not file.is_file():
        raise InputError(Problem("no such node groups file", name))
    document = reader.load_file(file, name)
    problems = schemas.check("node-groups", document, name)
    if problems:
        raise InputError(problems)
    return [node_group(item) for item in document["nodeGroups"]]


def standalone_environment(
    node_groups: Path, ingress_class: str | None, database_namespace: str | None
) -> Environment:
    """What `--manifests` checks against outside a platform repository: the given node groups,
    and the ingress class and database namespace only when given (else any is accepted). No
    environment: the development tier, no domain, no ClusterIssuer but those among the
    manifests, no database node group."""
    name = node_groups.as_posix()
    return Environment(
        name=None,
        tier="development",
        domain=None,
        issuer=None,
        ingress_class=ingress_class,
        node_groups=read_node_groups(node_groups),
        database_namespace=database_namespace,
        database_node_group=None,
        ingress_class_providers=frozenset([ingress_class] if ingress_class else []),
        issuers=frozenset(),
        locate_environment=lambda path: Location(name, 1, 1),
    )


def manifest_subjects(manifests: Iterable[Manifest], base: Environment) -> Environment:
    """Fill an environment's subjects from manifests, one at a time: each object is checked
    against its schema as it is read and not kept, so a long stream costs little memory.
    IngressClasses and ClusterIssuers among them count as provided."""
    env = replace(
        base,
        workloads=[],
        ingresses=[],
        databases=[],
        applications=[],
        values=[],
        documents=[],
        defined_kinds=[],
        references=[],
        provided=list(base.provided),
    )
    classes: set[str] = set()
    issuers: set[str] = set()
    for manifest in manifests:
        if manifest.kind == "IngressClass":
            classes.add(_name(manifest))
        elif manifest.kind == "ClusterIssuer":
            issuers.add(_name(manifest))
        _add(env, manifest)
    return replace(
        env,
        ingress_class_providers=base.ingress_class_providers | classes,
        issuers=base.issuers | issuers,
    )


def _name(manifest: Manifest) -> str:
    return str(_object_name(manifest.node))


def _add(env: Environment, manifest: Manifest) -> None:
    kind = manifest.kind
    if kind == "CustomResourceDefinition":
        env.defined_kinds.extend(defined_kinds(manifest))
        if env.schemas is not None:
            _install(env.schemas, manifest.node)  # the objects before it are checked later
    api_version = str(manifest.node.get("apiVersion", ""))
    checked = _schema_errors(env, api_version, kind, manifest.node)
    body = manifest.node if checked is None else _CHECKED
    refused = tuple(object_problems(manifest.node))
    env.documents.append(
        Document(
            manifest.app,
            manifest.name,
            api_version,
            kind,
            body,
            manifest.locate(),
            None,
            checked,
            refused,
        )
    )
    _add_references(env, manifest, api_version)
    if kind in POD_SPEC_PATHS:
        env.workloads.append(_workload(manifest))
        env.values.extend(_container_env(manifest))
    elif kind == "Ingress":
        env.ingresses.append(_ingress(manifest))
    elif kind == "Cluster" and str(manifest.node.get("apiVersion", "")).startswith(CNPG_API):
        env.databases.append(_database(manifest))
    elif kind == "ConfigMap" and isinstance(manifest.node.get("data"), Mapping):
        env.values.append(_config_map(manifest))


def defined_kinds(manifest: Manifest) -> Iterator[DefinedKind]:
    """The kind a CRD object defines and the versions it serves; nothing for one too broken to
    say (its schema check says why)."""
    spec = manifest.node.get("spec")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("names"), Mapping):
        return
    group, kind = spec.get("group"), spec["names"].get("kind")
    versions = spec.get("versions")
    if not isinstance(group, str) or not isinstance(kind, str) or not isinstance(versions, list):
        return
    served = tuple(
        str(version["name"])
        for version in versions
        if isinstance(version, Mapping) and "name" in version and version.get("served") is True
    )
    yield DefinedKind(manifest.app, group, kind, served, manifest.name)


def _add_references(env: Environment, manifest: Manifest, api_version: str) -> None:
    """What the object needs of others by name, and what it provides them; nothing for a Helm
    test hook, which `helm test` runs and Argo CD never applies."""
    if _helm_test(manifest.node):
        return
    namespace = lookup(manifest.node, ("metadata", "namespace"))[1]
    obj = references.Object(
        manifest.node,
        manifest.kind,
        api_version,
        namespace if isinstance(namespace, str) else None,
        _name(manifest),
        manifest.name,
        manifest.app,
        manifest.locate(),
    )
    if manifest.kind in POD_SPEC_PATHS:
        env.references.extend(references.pod_references(obj, POD_SPEC_PATHS[manifest.kind]))
    elif manifest.kind == "Ingress":
        env.references.extend(references.ingress_references(obj))
    env.provided.extend(references.provided_by(obj))


def _helm_test(node: Any) -> bool:
    hooks = lookup(node, ("metadata", "annotations", HELM_HOOK))[1]
    if not isinstance(hooks, str):
        return False
    return any(hook.strip() in HELM_TEST_HOOKS for hook in hooks.split(","))


def _install(schemas: SchemaStore, node: Any) -> None:
    """The schemas a CRD among the objects defines, unless they are known already (a chart's
    CRDs in every environment); one that is not usable defines none (the schema check of the
    CRD itself says why)."""
    if all(schemas.knows(api_version, kind) for api_version, kind in _defined(node)):
        return
    schemas.install(crd_schemas_of(node))


def _defined(node: Any) -> list[tuple[str, str]]:
    spec = node.get("spec")
    names = spec.get("names") if isinstance(spec, Mapping) else None
    versions = spec.get("versions") if isinstance(spec, Mapping) else None
    if not isinstance(names, Mapping) or not isinstance(versions, list) or not versions:
        return [("", "")]  # not a CRD this check understands: convert it to find out
    return [
        (f"{spec.get('group')}/{version.get('name')}", str(names.get("kind")))
        for version in versions
        if isinstance(version, Mapping)
    ]


def crd_schemas_of(node: Any) -> list[CrdSchema]:
    """A CRD object's schemas; none for one that is not usable."""
    try:
        return crd_schemas(node)
    except (ValueError, TypeError, AttributeError):
        return []


_CHECKED: Mapping[str, Any] = MappingProxyType({})  # the body of an object already checked


def _schema_errors(
    env: Environment, api_version: str, kind: str, node: Any
) -> tuple[SchemaError, ...] | None:
    """The object's schema errors now, when its schema is known (else the rule says so)."""
    if env.schemas is None or not api_version or not kind:
        return None
    checker = env.schemas.for_object(api_version, kind)
    errors = checker.errors(node) if checker is not None else None
    return None if errors is None else tuple(errors)


def _workload(manifest: Manifest) -> Workload:
    kind = manifest.kind
    spec_path = POD_SPEC_PATHS[kind]
    pod_spec = lookup(manifest.node, spec_path)[1]
    placement, error = placement_of(pod_spec)
    replicas = as_int(lookup(manifest.node, ("spec", "replicas"))[1])
    if replicas is None and kind in REPLICATED:
        replicas = 1
    spread = pod_spec.get("topologySpreadConstraints") if isinstance(pod_spec, Mapping) else None
    requests, requests_error = requests_of(pod_requests, pod_spec)
    return Workload(
        app=manifest.app,
        name=manifest.name,
        kind=kind,
        placement=placement,
        placement_error=error,
        replicas=replicas,
        spread_keys=spread_keys(spread),
        locate=manifest.locate(),
        paths=_workload_paths(kind),
        requests=requests,
        requests_error=requests_error,
    )


@functools.cache  # one per kind: a long stream holds many workloads
def _workload_paths(kind: str) -> Mapping[str, ValuePath]:
    spec_path = POD_SPEC_PATHS[kind]
    return MappingProxyType(
        {
            "placement": spec_path,
            "nodeSelector": (*spec_path, "nodeSelector"),
            "tolerations": (*spec_path, "tolerations"),
            "affinity": (*spec_path, "affinity"),
            "replicas": ("spec", "replicas"),
            "spread": (*spec_path, "topologySpreadConstraints"),
            "resources": (*spec_path, "containers"),
        }
    )


def _ingress(manifest: Manifest) -> Ingress:
    node = manifest.node
    paths: dict[str, ValuePath] = {
        "ingress": (),
        "class": ("spec", "ingressClassName"),
        "annotations": ("metadata", "annotations"),
        "issuer": ("metadata", "annotations", "cert-manager.io/cluster-issuer"),
        "rules": ("spec", "rules"),
        "tls": ("spec", "tls"),
    }

    def read(part: str) -> Any:
        return lookup(node, paths[part])[1]

    malformed: list[Malformed] = []
    class_name = ingresses.class_name(read("class"), paths["class"], malformed)
    annotations = ingresses.annotation_map(read("annotations"), paths["annotations"], malformed)
    hosts = tuple(ingresses.rule_hosts(read("rules"), paths["rules"], malformed))
    routes = tuple(ingresses.rule_routes(read("rules"), paths["rules"]))
    tls = tuple(ingresses.tls_list(read("tls"), paths["tls"], malformed))
    return Ingress(
        app=manifest.app,
        name=manifest.name,
        class_name=class_name,
        annotations=annotations,
        hosts=hosts,
        tls=tls,
        tls_flag=False,
        locate=manifest.locate(),
        paths=paths,
        malformed=tuple(malformed),
        routes=routes,
    )


def _database(manifest: Manifest) -> DatabaseCluster:
    node = manifest.node
    affinity = lookup(node, ("spec", "affinity"))[1]
    if not isinstance(affinity, Mapping):
        affinity = {}
    spec = {
        "nodeSelector": affinity.get("nodeSelector"),
        "tolerations": affinity.get("tolerations"),
        "affinity": {"nodeAffinity": affinity["nodeAffinity"]}
        if "nodeAffinity" in affinity
        else None,
    }
    placement, error = placement_of(spec)
    locate = manifest.locate()
    resources = lookup(node, ("spec", "resources"))[1]
    requests, requests_error = requests_of(container_requests, resources, "spec.resources")
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
            "resources": ("spec", "resources"),
        },
        namespace_location=locate(("metadata", "namespace")),
        requests=requests,
        requests_error=requests_error,
        separate_nodes=separate_nodes(affinity),
    )


def _container_env(manifest: Manifest) -> Iterator[ValuesDocument]:
    """Each container's literal environment variables, as values keyed by variable name."""
    spec_path = POD_SPEC_PATHS[manifest.kind]
    pod_spec = lookup(manifest.node, spec_path)[1]
    for group in ("initContainers", "containers"):
        containers = pod_spec.get(group) if isinstance(pod_spec, Mapping) else None
        for index, container in enumerate(containers if isinstance(containers, list) else []):
            entries = container.get("env") if isinstance(container, Mapping) else None
            if isinstance(entries, list):
                yield _env_document(manifest, (*spec_path, group, index, "env"), entries)


def _env_document(manifest: Manifest, base: ValuePath, entries: list[Any]) -> ValuesDocument:
    values: dict[str, Any] = {}
    where: dict[str, ValuePath] = {}
    for index, entry in enumerate(entries):
        # Only literal values: one from `valueFrom` is a reference, read where it lives.
        if isinstance(entry, Mapping) and "name" in entry and "value" in entry:
            key = str(entry["name"])
            values[key] = entry["value"]
            where[key] = (*base, index, "value")
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
