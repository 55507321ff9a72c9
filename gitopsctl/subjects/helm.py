"""Subjects of what Helm renders for one release: its objects, named as Argo CD will apply them,
and findings moved from Helm's output back to the template line that produced them."""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from gitopsctl.errors import InputError, Problem
from gitopsctl.findings import Finding
from gitopsctl.kube.crds import CrdSchema, SchemaKey
from gitopsctl.kube.schemastore import SchemaStore
from gitopsctl.paths import ValuePath, lookup
from gitopsctl.render.helm import Release, inner_path, template_position
from gitopsctl.render.rendering import Rendering
from gitopsctl.subjects.manifests import Manifest, crd_schemas_of, manifest_subjects, objects
from gitopsctl.subjects.records import Environment, Location, ValuesDocument, Workload
from gitopsctl.subjects.repository import (
    api_sources,
    environment_of,
    issuer_names,
    planned_applications,
)

SOURCE_COMMENT = "# Source: "
DOCUMENT_KEY = "helm-output-document-"
TRACED_KEYS = 2  # a value and its last keys the same in the values and the object: its origin
TRACED_LENGTH = 8  # or a string this long set in one place of the values
CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "ClusterIssuer",
        "ClusterRole",
        "ClusterRoleBinding",
        "CSIDriver",
        "CustomResourceDefinition",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "PersistentVolume",
        "PriorityClass",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeSnapshotClass",
    }
)


class Document(NamedTuple):
    """One document of helm's output and the template it came from."""

    source: str
    text: str


def documents(output: str) -> list[Document]:
    """Split helm's output at `---` lines; each document keeps its `# Source:` template path."""
    found: list[Document] = []
    source = ""
    lines: list[str] = []
    for line in [*output.splitlines(), "---"]:
        if line.rstrip() == "---":
            if any(text.strip() and not text.startswith("#") for text in lines):
                found.append(Document(source, "\n".join(lines) + "\n"))
            lines = []
        else:
            if not lines and line.startswith(SOURCE_COMMENT):
                source = line[len(SOURCE_COMMENT) :].strip()
            lines.append(line)
    return found


class ReleaseOutput(NamedTuple):
    """One release's objects as Helm printed them; each document is keyed as the findings on it
    name their file, so a finding leads back to its release and template."""

    release: Release
    documents: Mapping[str, Document]
    manifests: Sequence[Manifest]


def parse_release(release: Release, output: str, index: int) -> ReleaseOutput:
    """The objects of the `index`-th release of an environment; broken YAML is unusable input at
    the template line that printed it."""
    parsed = {f"{DOCUMENT_KEY}{index}-{i}": d for i, d in enumerate(documents(output))}
    manifests = [m for key, document in parsed.items() for m in _parse(release, key, document)]
    return ReleaseOutput(release, parsed, manifests)


def installed_crds(outputs: Iterable[ReleaseOutput]) -> dict[SchemaKey, CrdSchema]:
    """The schemas of the CustomResourceDefinitions the releases install (a CRD that is not
    usable is left to the manifest schema check of the CRD itself)."""
    return {
        (crd.api_version, crd.kind): crd
        for output in outputs
        for document in output.documents.values()
        for crd in _read(document.text).crds
    }


def environment_subjects(
    outputs: Sequence[ReleaseOutput], base: Environment, sourced: Environment | None = None
) -> Environment:
    """All objects of an environment's releases as one environment's subjects: each named by
    the namespace Argo CD puts it in and owned by its release's app.

    With ``sourced`` (the same environment as the sources describe it), a rendered workload that
    is one of its app's profile workloads keeps what the sources know of it (a singleton stays
    one), and a finding on a value the sources set points at the source line that sets it.
    """
    parts = [_release_part(output, base, sourced) for output in outputs]
    return replace(
        base,
        workloads=[w for part in parts for w in part.workloads],
        ingresses=[i for part in parts for i in part.ingresses],
        databases=[d for part in parts for d in part.databases],
        values=[v for part in parts for v in part.values],
        documents=[d for part in parts for d in part.documents],
        defined_kinds=[k for part in parts for k in part.defined_kinds],
        # The references the sources name too, for a chart Helm did not render; one the
        # rendered objects hold as well is reported once, as the rendered object's.
        references=[r for part in parts for r in part.references]
        + list(sourced.references if sourced else ()),
        # What the sources declare (a chart's own secrets, providedSecrets) is provided too.
        provided=[p for part in parts for p in part.provided]
        + list(sourced.provided if sourced else ()),
        provided_secrets=list(sourced.provided_secrets if sourced else base.provided_secrets),
        ingress_class_providers=frozenset().union(*(p.ingress_class_providers for p in parts))
        | base.ingress_class_providers,
        issuers=frozenset().union(*(p.issuers for p in parts)) | base.issuers,
    )


def _release_part(
    output: ReleaseOutput, base: Environment, sourced: Environment | None
) -> Environment:
    release = output.release
    app = release.app.name
    manifests = output.manifests
    values = next((v for v in sourced.values if v.app == app), None) if sourced else None
    if values is not None:
        origin = _origin_in(values)
        manifests = [manifest._replace(origin=origin) for manifest in manifests]
    env = manifest_subjects(manifests, base)
    env = _in_release_namespace(env, manifests, release.namespace)
    workloads = [w._replace(app=app) for w in env.workloads]
    if sourced is not None:
        workloads = _with_sources(workloads, sourced, app)
    return replace(
        env,
        workloads=workloads,
        ingresses=[i._replace(app=app) for i in env.ingresses],
        databases=[d._replace(app=app) for d in env.databases],
        values=[v._replace(app=app) for v in env.values],
        documents=[d._replace(app=app) for d in env.documents],
        defined_kinds=[k._replace(app=app) for k in env.defined_kinds],
        references=[r._replace(app=app) for r in env.references],
    )


def _origin_in(values: ValuesDocument) -> Callable[[Any, ValuePath], Location | None]:
    """Where the sources set a value an object holds, at the source line that sets it: the one
    path of the app's values with that value and the same last keys (`resources.requests.cpu`),
    else the one path with that string when it is long enough to be no coincidence; None when
    the sources do not set it."""
    paths: dict[Any, list[ValuePath]] = {}
    for path, value in _scalars(values.values, ()):
        paths.setdefault(value, []).append(path)

    def origin(node: Any, path: ValuePath) -> Location | None:
        value = lookup(node, path)[1]
        if not _traceable(value) or value not in paths:
            return None
        found = paths[value]
        same_keys = [p for p in found if _common_suffix(p, path) >= TRACED_KEYS]
        if len(same_keys) == 1:
            return values.locate(same_keys[0])
        if len(found) == 1 and isinstance(value, str) and len(value) >= TRACED_LENGTH:
            return values.locate(found[0])
        return None

    return origin


def _scalars(node: Any, path: ValuePath) -> Iterator[tuple[ValuePath, Any]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _scalars(value, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _scalars(item, (*path, index))
    elif _traceable(node):
        yield path, node


def _traceable(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _common_suffix(one: ValuePath, other: ValuePath) -> int:
    """How many last keys two paths share (list indexes differ between values and objects)."""
    keys = [part for part in one if isinstance(part, str)]
    theirs = [part for part in other if isinstance(part, str)]
    count = 0
    while count < min(len(keys), len(theirs)) and keys[-1 - count] == theirs[-1 - count]:
        count += 1
    return count


def _with_sources(rendered: Sequence[Workload], sourced: Environment, app: str) -> list[Workload]:
    """The release's workloads, each joined with the profile workload it is, if any."""
    spots = [w for w in (*sourced.workloads, *sourced.named_workloads) if w.app == app]
    values = next((v.values for v in sourced.values if v.app == app), {})
    matches = _matches(rendered, spots)
    return [_joined(w, matches.get(i), values) for i, w in enumerate(rendered)]


def _matches(rendered: Sequence[Workload], spots: Sequence[Workload]) -> dict[int, Workload]:
    """Rendered workload (by index) -> the profile workload it is: the most specific `rendered`
    glob that matches its name, else the only one of its kind on both sides."""
    found: dict[int, Workload] = {}
    for index, workload in enumerate(rendered):
        name = workload.name.rsplit("/", 1)[-1]
        globbed = [
            spot
            for spot in spots
            if spot.kind == workload.kind
            and spot.rendered is not None
            and fnmatch.fnmatchcase(name, spot.rendered)
        ]
        if globbed:
            found[index] = max(globbed, key=lambda spot: len(str(spot.rendered).replace("*", "")))
    for kind in {workload.kind for workload in rendered}:
        left = [i for i, w in enumerate(rendered) if w.kind == kind and i not in found]
        open_spots = [spot for spot in spots if spot.kind == kind and spot.rendered is None]
        if len(left) == 1 and len(open_spots) == 1:
            found[left[0]] = open_spots[0]
    return found


def _joined(rendered: Workload, spot: Workload | None, values: Mapping[str, Any]) -> Workload:
    """The rendered workload with the profile's facts; a path whose value the sources set is
    located where the sources set it."""
    if spot is None:
        return rendered
    set_here = {
        rendered.paths[key]: spot.paths[key]
        for key in rendered.paths
        if key in spot.paths and lookup(values, spot.paths[key])[0]
    }

    def locate(path: ValuePath) -> Location:
        source_path = set_here.get(path)
        return rendered.locate(path) if source_path is None else spot.locate(source_path)

    return rendered._replace(singleton=rendered.singleton or spot.singleton, locate=locate)


def _parse(release: Release, key: str, document: Document) -> list[Manifest]:
    try:
        return [manifest._replace(file=key) for manifest in _read(document.text).manifests]
    except InputError as error:
        raise InputError([_problem(release, document, p) for p in error.problems]) from None


class _Read(NamedTuple):
    manifests: tuple[Manifest, ...]
    crds: tuple[CrdSchema, ...]  # the schemas of the CRDs among them


@functools.lru_cache(maxsize=4096)
def _read(text: str) -> _Read:
    """A document's objects, read once per run: a chart's CRDs are the same text in every
    environment, and they are most of what Helm prints."""
    manifests = tuple(objects(text, ""))
    crds = [
        crd
        for manifest in manifests
        if manifest.kind == "CustomResourceDefinition"
        for crd in crd_schemas_of(manifest.node)
    ]
    return _Read(manifests, tuple(crds))


def _problem(release: Release, document: Document, problem: Problem) -> Problem:
    line, column = template_position(
        release.template_text(document.source), document.text, problem.line or 1, 1
    )
    message = f"{problem.message} (rendered by helm for {release.env}/{release.app.name})"
    return Problem(message, release.file(inner_path(document.source)), line, column)


def release_environment(rendering: Rendering, name: str, schemas: SchemaStore) -> Environment:
    """The environment's settings: domain, issuer, tier, rendered ClusterIssuers, schemas."""
    platform = rendering.model.platform
    rendered = rendering.environments[name]
    provided = platform.ingress_provider in rendered.env.apps
    return environment_of(
        platform,
        rendered.env,
        providers=frozenset([platform.ingress_class] if provided else []),
        issuers=issuer_names(rendered),
        schemas=schemas,
        sync_plan=planned_applications(rendering.model, rendered),
        api_sources=api_sources(rendering.model),
    )


def _in_release_namespace(
    env: Environment, manifests: Sequence[Manifest], namespace: str
) -> Environment:
    """Name objects without metadata.namespace by the namespace Argo CD will put them in."""
    moved = {m.name: object_name(m, namespace) for m in manifests}
    return replace(
        env,
        workloads=[w._replace(name=moved.get(w.name, w.name)) for w in env.workloads],
        ingresses=[i._replace(name=moved.get(i.name, i.name)) for i in env.ingresses],
        databases=[d._replace(namespace=d.namespace or namespace) for d in env.databases],
        documents=[d._replace(name=moved.get(d.name, d.name)) for d in env.documents],
        references=[
            r._replace(namespace=r.namespace or namespace, user=moved.get(r.user, r.user))
            for r in env.references
        ],
        provided=[p._replace(namespace=p.namespace or namespace) for p in env.provided],
    )


def object_name(manifest: Manifest, namespace: str) -> str:
    """`kind/namespace/name`, the namespace being Argo CD's destination when the object has none."""
    if manifest.kind in CLUSTER_SCOPED or lookup(manifest.node, ("metadata", "namespace"))[1]:
        return manifest.name
    name = lookup(manifest.node, ("metadata", "name"))[1]
    return f"{manifest.kind}/{namespace}/{name}"


def relocate(finding: Finding, outputs: Mapping[str, ReleaseOutput]) -> Finding:
    """Point a finding on Helm's output at the chart's template file, naming the object; a
    finding elsewhere (the environment's settings) is left where it is."""
    output = outputs.get(finding.file)
    if output is None:
        return finding
    release = output.release
    document = output.documents[finding.file]
    finding = finding._replace(app=release.app.name, rendered=release.app.values_file)
    named = _object_at(output.manifests, finding.file, finding.line, release.namespace)
    text = release.template_text(document.source)
    line, column = template_position(text, document.text, finding.line, finding.column)
    return finding._replace(
        file=release.file(inner_path(document.source)),
        line=line,
        column=column,
        message=_prefixed(named, finding.message),
    )


def _prefixed(named: str | None, message: str) -> str:
    """`kind/namespace/name: message`, unless the rule already starts with the object's name."""
    if named is None or message.startswith(f"{named}: "):
        return message
    return f"{named}: {message}"


def _object_at(manifests: Sequence[Manifest], key: str, line: int, namespace: str) -> str | None:
    """The object of a document that starts last at or before the line (a List has several)."""
    starts = [(m.line, object_name(m, namespace)) for m in manifests if m.file == key]
    before = [name for start, name in starts if start <= line]
    return before[-1] if before else (starts[0][1] if starts else None)
