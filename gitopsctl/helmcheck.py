"""`validate --helm`: the policies over what `helm template` really renders for each Application.

For every rendered environment and Application, the chart (a local `charts/<name>`, or an
upstream chart found in the chart cache as `<chart>-<version>.tgz`, the name `helm pull` gives it)
is rendered with the real Helm, using the Application's committed values file, release name and
destination namespace and the platform's Kubernetes version. Every manifest-level rule then runs
on the objects, with the environment's settings. A finding points into the chart's template file
(`charts/<name>/templates/x.yaml`, or `<cache>/<chart>-<version>.tgz:templates/x.yaml`) at the
line the offending field most likely comes from (see :func:`template_position`), and its message
starts with the object's `kind/namespace/name`. Upstream charts not in the cache are reported as
`helm-skipped` warnings, so an unchecked chart is never silent.
"""

from __future__ import annotations

import difflib
import re
import sys
import tarfile
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import NamedTuple

from gitopsctl.cli.commands import check_format, load_and_render, rule_infos
from gitopsctl.errors import InputError, Problem
from gitopsctl.findings import Finding, Severity
from gitopsctl.kube.schemastore import SchemaStore, load_crds
from gitopsctl.paths import lookup
from gitopsctl.pipeline import exit_code, run_rules, sort_findings, validate_repository
from gitopsctl.render.helm import HelmError, find_helm, template
from gitopsctl.render.rendering import RenderedApp, Rendering
from gitopsctl.report.exceptions import apply_exceptions, declared_exceptions
from gitopsctl.report.formatters import format_report
from gitopsctl.rules import RULES, helm_skipped
from gitopsctl.sources.model import Platform
from gitopsctl.subjects.manifests import Manifest, _objects, manifest_subjects
from gitopsctl.subjects.records import Environment
from gitopsctl.subjects.repository import environment_of, issuer_names, node_locator

SKIPPED = helm_skipped.ID
HELM_WORKERS = 4
SOURCE_COMMENT = "# Source: "
DOCUMENT_KEY = "helm-output-document-"
# Argo CD puts a namespaced object without metadata.namespace into the destination namespace.
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
_KEY = re.compile(r"^(?:-\s+)?([^\s:{}#\-][^:]*?):(?:\s|$)")


class HelmOptions(NamedTuple):
    """What `validate --helm` renders, and the schemas it checks the objects against."""

    chart_cache: Path | None = None
    kube_version: str | None = None
    crds: tuple[Path, ...] = ()


def validate_helm_command(repo: Path, envs: Sequence[str], fmt: str, options: HelmOptions) -> int:
    check_format(fmt)
    findings = validate_with_helm(repo, envs, options, date.today())
    sys.stdout.write(format_report(fmt, findings, rule_infos()))
    return exit_code(findings)


@dataclass(frozen=True)
class Release:
    """One `helm template` run: an Application's chart with its values, name and namespace."""

    env: str
    app: RenderedApp
    chart: Path
    label: str
    values: Path

    @property
    def archive(self) -> bool:
        return self.chart.suffix == ".tgz"

    @property
    def name(self) -> str:
        return str(self.app.application["spec"]["sources"][0]["helm"]["releaseName"])

    @property
    def namespace(self) -> str:
        return str(self.app.application["spec"]["destination"]["namespace"])

    def file(self, inner: str) -> str:
        """How findings name a file of the chart, e.g. `charts/x/templates/a.yaml`."""
        return f"{self.label}:{inner}" if self.archive else f"{self.label}/{inner}"

    def template_text(self, source: str) -> str | None:
        """A template's text by helm's `# Source:` path (`<chart>/templates/x.yaml`)."""
        if self.archive:
            return _archive_member(self.chart, source)
        path = self.chart / _inner(source)
        return path.read_text(encoding="utf-8") if path.is_file() else None


class Document(NamedTuple):
    """One document of helm's output and the template it came from."""

    source: str
    text: str


def validate_with_helm(
    repo: Path, envs: Sequence[str], options: HelmOptions, today: date
) -> list[Finding]:
    """The repository's findings plus those of every chart rendered with the real Helm."""
    helm = _find_helm(repo)
    found = validate_repository(repo, envs, today)
    try:
        rendering = load_and_render(repo, envs)
    except InputError:
        return found  # unusable sources: the repository's findings already say where
    version = options.kube_version or rendering.model.platform.kubernetes_version
    crds = load_crds([*options.crds, *sorted(repo.glob("charts/*/crds"))])
    schemas = SchemaStore(version, crds)
    releases, skipped = _plan(repo, rendering, options.chart_cache)
    outputs = _render_all(helm, releases, version)
    checked = [
        finding
        for release, output in zip(releases, outputs, strict=True)
        for finding in _check(release, output, _environment(rendering, release.env, schemas))
    ]
    names = list(envs) or list(rendering.environments)
    excepted = _with_exceptions(found, checked, rendering.model.platform, names, today)
    return sort_findings([*excepted, *skipped])


def _find_helm(repo: Path) -> Path:
    try:
        return find_helm(repo)
    except HelmError as error:
        raise InputError(str(error)) from None


# -- which charts to render, and which are skipped -----------------------------------------------


def _plan(
    repo: Path, rendering: Rendering, cache: Path | None
) -> tuple[list[Release], list[Finding]]:
    releases: list[Release] = []
    skipped: list[Finding] = []
    for env_name, rendered in rendering.environments.items():
        for app in rendered.apps.values():
            release = _release(repo, env_name, app, cache)
            if isinstance(release, Release):
                releases.append(release)
            else:
                skipped.append(_skipped(env_name, app, release))
    return releases, skipped


def _release(repo: Path, env: str, app: RenderedApp, cache: Path | None) -> Release | str:
    """The release to render, or why the Application's chart cannot be rendered."""
    values = repo / app.values_file
    if not values.is_file():
        return f"its values file {app.values_file} is missing: run `make render`"
    chart = app.unit.chart
    if chart.path is not None:
        return Release(env, app, repo / chart.path, chart.path, values)
    archive = f"{chart.name}-{chart.version}.tgz"
    if cache is None:
        return f"no --chart-cache given; {_pull_hint(app, 'DIR')} and pass --chart-cache DIR"
    if not (cache / archive).is_file():
        return f"{archive} is not in the chart cache {cache.as_posix()}: {_pull_hint(app, cache)}"
    return Release(env, app, cache / archive, (cache / archive).as_posix(), values)


def _pull_hint(app: RenderedApp, into: Path | str) -> str:
    chart = app.unit.chart
    target = f"{chart.repo}/{chart.name}" if str(chart.repo).startswith("oci://") else chart.name
    repo = "" if str(chart.repo).startswith("oci://") else f" --repo {chart.repo}"
    return f"fetch it with `helm pull {target}{repo} --version {chart.version} -d {into}`"


def _skipped(env: str, app: RenderedApp, reason: str) -> Finding:
    chart = app.unit.chart
    source = app.unit.app.source
    where = node_locator(source.node, source.name)(("chart",))
    named = chart.path or f"{chart.name} {chart.version} ({chart.repo})"
    message = f"chart {named} not checked with helm: {reason}"
    return Finding(
        SKIPPED, Severity.WARNING, env, app.name, where.file, where.line, where.column, message
    )


# -- rendering -----------------------------------------------------------------------------------


def _render_all(helm: Path, releases: Sequence[Release], kube_version: str) -> list[str]:
    """Every release's manifests; the first failure (in release order) is an InputError."""
    with ThreadPoolExecutor(max_workers=HELM_WORKERS) as pool:
        futures = [pool.submit(_render, helm, release, kube_version) for release in releases]
        return [future.result() for future in futures]


def _render(helm: Path, release: Release, kube_version: str) -> str:
    try:
        return template(
            helm, release.chart, release.name, release.namespace, [release.values], kube_version
        )
    except HelmError as error:
        message = f"helm cannot render chart {release.label} for {release.env}/{release.app.name}"
        raise InputError(f"{message}: {error}") from None


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


# -- checking ------------------------------------------------------------------------------------


def _check(release: Release, output: str, base: Environment) -> Iterator[Finding]:
    parsed = {f"{DOCUMENT_KEY}{i}": d for i, d in enumerate(documents(output))}
    manifests = [m for key, document in parsed.items() for m in _parse(release, key, document)]
    env = _in_release_namespace(manifest_subjects(manifests, base), manifests, release.namespace)
    for finding in run_rules([env], RULES.values()):
        yield _relocate(finding, release, parsed, manifests)


def _parse(release: Release, key: str, document: Document) -> list[Manifest]:
    try:
        return list(_objects(document.text, key))
    except InputError as error:
        raise InputError([_problem(release, document, p) for p in error.problems]) from None


def _problem(release: Release, document: Document, problem: Problem) -> Problem:
    line, column = template_position(
        release.template_text(document.source), document.text, problem.line or 1, 1
    )
    message = f"{problem.message} (rendered by helm for {release.env}/{release.app.name})"
    return Problem(message, release.file(_inner(document.source)), line, column)


def _environment(rendering: Rendering, name: str, schemas: SchemaStore) -> Environment:
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


def _relocate(
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
        file=release.file(_inner(document.source)),
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


# -- from helm's output back to the template -----------------------------------------------------


def template_position(
    template_text: str | None, document: str, line: int, column: int
) -> tuple[int, int]:
    """The template line a line of helm's output most likely comes from, 1-based.

    The stripped lines of the output and of the template are aligned (difflib); a literal line
    of the template maps exactly. A line produced by an expression maps to the line of the same
    key between the surrounding aligned lines (`instances: {{ .Values.instances }}`), else to the
    first template line after the last aligned one (the `{{ toYaml ... }}` that printed it).
    Without the template's text (a subchart packed inside the chart), line 1.
    """
    if template_text is None:
        return 1, 1
    rendered = document.splitlines()
    lines = template_text.splitlines()
    index = min(max(line - 1, 0), max(len(rendered) - 1, 0))
    anchors = _anchors(rendered, lines)
    if index in anchors:
        target = anchors[index]
        shift = _indent(lines[target]) - _indent(rendered[index]) if rendered else 0
        return target + 1, max(column + shift, 1)
    before = max((t for r, t in anchors.items() if r < index), default=-1)
    after = min((t for r, t in anchors.items() if r > index), default=len(lines))
    if not lines:
        return 1, 1
    keyed = _same_key(rendered[index] if rendered else "", lines, before + 1, after)
    fallback = before + 1 if before + 1 < after else max(before, 0)
    target = fallback if keyed is None else keyed
    return target + 1, _indent(lines[target]) + 1


def _anchors(rendered: Sequence[str], lines: Sequence[str]) -> dict[int, int]:
    """Output line index -> template line index, for lines the two have in common."""
    ours = [line.strip() for line in rendered]
    theirs = [line.strip() for line in lines]
    matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
    return {
        a + k: b + k
        for a, b, size in matcher.get_matching_blocks()
        for k in range(size)
        if ours[a + k]
    }


def _same_key(line: str, lines: Sequence[str], start: int, stop: int) -> int | None:
    key = _key(line)
    if key is None:
        return None
    return next((i for i in range(start, stop) if _key(lines[i]) == key), None)


def _key(line: str) -> str | None:
    match = _KEY.match(line.strip())
    return match.group(1) if match else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _inner(source: str) -> str:
    """A path inside the chart: helm's `# Source:` path without the chart's name."""
    return source.split("/", 1)[1] if "/" in source else source


def _archive_member(archive: Path, member: str) -> str | None:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            extracted = tar.extractfile(member)
            return extracted.read().decode("utf-8") if extracted is not None else None
    except (KeyError, OSError, tarfile.TarError, UnicodeDecodeError):
        return None


# -- exceptions ----------------------------------------------------------------------------------


def _with_exceptions(
    repository: Sequence[Finding],
    helm: Sequence[Finding],
    platform: Platform,
    envs: Sequence[str],
    today: date,
) -> list[Finding]:
    """Declared exceptions also cover helm's findings; one used only by them is not unused."""
    exceptions = declared_exceptions(platform)
    applied = apply_exceptions(helm, exceptions, today, RULES, envs)
    unused_alone = set(apply_exceptions([], exceptions, today, RULES, envs))
    resolved = unused_alone - set(applied[len(helm) :])
    return [f for f in repository if f not in resolved] + applied[: len(helm)]
