"""Subjects of what Helm renders for one release: its objects, named as Argo CD will apply them,
and findings moved from Helm's output back to the template line that produced them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import NamedTuple

from gitopsctl.errors import InputError, Problem
from gitopsctl.findings import Finding
from gitopsctl.kube.schemastore import SchemaStore
from gitopsctl.paths import lookup
from gitopsctl.render.helm import Release, inner_path, template_position
from gitopsctl.render.rendering import Rendering
from gitopsctl.subjects.manifests import Manifest, manifest_subjects, objects
from gitopsctl.subjects.records import Environment
from gitopsctl.subjects.repository import environment_of, issuer_names

SOURCE_COMMENT = "# Source: "
DOCUMENT_KEY = "helm-output-document-"
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


def release_subjects(
    release: Release, output: str, base: Environment
) -> tuple[Environment, dict[str, Document], list[Manifest]]:
    """The release's objects as the subjects of one environment, and where each came from."""
    parsed = {f"{DOCUMENT_KEY}{i}": d for i, d in enumerate(documents(output))}
    manifests = [m for key, document in parsed.items() for m in _parse(release, key, document)]
    env = _in_release_namespace(manifest_subjects(manifests, base), manifests, release.namespace)
    return env, parsed, manifests


def _parse(release: Release, key: str, document: Document) -> list[Manifest]:
    try:
        return list(objects(document.text, key))
    except InputError as error:
        raise InputError([_problem(release, document, p) for p in error.problems]) from None


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
    )


def object_name(manifest: Manifest, namespace: str) -> str:
    """`kind/namespace/name`, the namespace being Argo CD's destination when the object has none."""
    if manifest.kind in CLUSTER_SCOPED or lookup(manifest.node, ("metadata", "namespace"))[1]:
        return manifest.name
    name = lookup(manifest.node, ("metadata", "name"))[1]
    return f"{manifest.kind}/{namespace}/{name}"


def relocate(
    finding: Finding,
    release: Release,
    parsed: Mapping[str, Document],
    manifests: Sequence[Manifest],
) -> Finding:
    """Point a finding on helm's output at the chart's template file, naming the object."""
    finding = finding._replace(app=release.app.name, rendered=release.app.values_file)
    document = parsed.get(finding.file)
    if document is None:
        return finding
    named = _object_at(manifests, finding.file, finding.line, release.namespace)
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
