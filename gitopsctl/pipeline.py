"""The fixed pipeline the commands share: load the sources, render, build the subjects, run the
rules, apply exceptions, sort. Formatting and exit codes are the commands' part."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gitopsctl.errors import EXIT_FINDINGS, EXIT_OK, InputError
from gitopsctl.findings import Finding, Severity

if TYPE_CHECKING:
    from gitopsctl.render.helm import Release
    from gitopsctl.render.rendering import Rendering
    from gitopsctl.rules.base import Rule
    from gitopsctl.sources.model import Platform
    from gitopsctl.subjects.records import Environment


def load_and_render(repo: Path, envs: Sequence[str] = ()) -> Rendering:
    """The sources read, checked and rendered in memory; unusable sources are an InputError."""
    from gitopsctl.render.rendering import render
    from gitopsctl.sources.files import read_sources
    from gitopsctl.sources.model import build_model

    return render(build_model(read_sources(repo)), envs)


# -- rules ---------------------------------------------------------------------------------------


def run_rules(envs: Iterable[Environment], rules: Iterable[Rule]) -> list[Finding]:
    """Every rule over every environment; the engine stamps rule, severity and environment."""
    rule_list = list(rules)
    return [finding for env in envs for rule in rule_list for finding in _findings(rule, env)]


def _findings(rule: Rule, env: Environment) -> Iterator[Finding]:
    for hit in rule.check(env, rule.options):
        location = hit.location
        yield Finding(
            rule=rule.id,
            severity=hit.severity or rule.severity_in(env),
            env=env.name,
            app=hit.app,
            file=location.file,
            line=max(location.line, 1),
            column=max(location.column, 1),
            message=hit.message,
            rendered=location.rendered,
        )


def exit_code(findings: Iterable[Finding]) -> int:
    failing = any(f.severity is Severity.ERROR and not f.excepted for f in findings)
    return EXIT_FINDINGS if failing else EXIT_OK


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(set(findings), key=Finding.sort_key)


# -- the repository ------------------------------------------------------------------------------


def validate_repository(repo: Path, envs: Sequence[str], today: date) -> list[Finding]:
    """Findings for the sources and the committed output of the chosen environments."""
    from gitopsctl.render import output
    from gitopsctl.report.catalog import CHECKS
    from gitopsctl.report.exceptions import apply_exceptions, declared_exceptions
    from gitopsctl.report.pipeline_findings import render_drift, source_schema
    from gitopsctl.rules import RULES
    from gitopsctl.subjects.repository import repository_environments

    try:
        rendering = load_and_render(repo, envs)
    except InputError as error:
        if any(p.message.startswith("unknown environment") for p in error.problems):
            raise
        return sort_findings(source_schema.findings(error.problems))
    plan = output.plan(repo, rendering.files, list(envs) or None)
    found = list(render_drift.findings(repo, plan))
    found += run_rules(repository_environments(repo, rendering), RULES.values())
    exceptions = declared_exceptions(rendering.model.platform)
    names = list(envs) or list(rendering.environments)
    return sort_findings(apply_exceptions(found, exceptions, today, CHECKS, names))


# -- any manifests -------------------------------------------------------------------------------


class ManifestOptions(NamedTuple):
    """What `validate --manifests` checks, and against what."""

    target: str
    node_groups: Path | None = None
    kube_version: str | None = None
    crds: tuple[Path, ...] = ()


def validate_manifests(repo: Path, options: ManifestOptions, env_name: str | None) -> list[Finding]:
    """Findings for Kubernetes manifests, against the platform's (or the given) node groups."""
    from gitopsctl.kube.schemastore import SchemaStore, load_crds
    from gitopsctl.rules import RULES
    from gitopsctl.subjects.manifests import manifest_subjects, read_manifests, read_node_groups

    manifests = read_manifests(options.target)
    base, platform_version = _manifest_environment(repo, env_name)
    if options.node_groups is not None:
        base = replace(base, node_groups=read_node_groups(options.node_groups))
    crds = load_crds([*options.crds, *sorted(repo.glob("charts/*/crds"))])
    store = SchemaStore(options.kube_version or platform_version, crds)
    env = manifest_subjects(manifests, replace(base, schemas=store))
    return sort_findings(run_rules([env], RULES.values()))


def _manifest_environment(repo: Path, env_name: str | None) -> tuple[Environment, str]:
    """The platform's settings (and the environment's, when named), and its Kubernetes version."""
    from gitopsctl.sources.files import read_platform
    from gitopsctl.sources.model import platform_of
    from gitopsctl.subjects.repository import environment_of, issuer_names

    if env_name is None:
        platform = platform_of(read_platform(repo))
        classes = frozenset([platform.ingress_class])
        env = environment_of(platform, None, providers=classes, issuers=frozenset())
        return env, platform.kubernetes_version
    rendering = load_and_render(repo, [env_name])
    platform = rendering.model.platform
    rendered = rendering.environments[env_name]
    classes = frozenset([platform.ingress_class])
    issuers = issuer_names(rendered)
    env = environment_of(platform, rendered.env, providers=classes, issuers=issuers)
    return env, platform.kubernetes_version


# -- every chart through Helm --------------------------------------------------------------------


class HelmOptions(NamedTuple):
    """What `validate --helm` renders, and the schemas it checks the objects against."""

    chart_cache: Path | None = None
    kube_version: str | None = None
    crds: tuple[Path, ...] = ()


def validate_with_helm(
    repo: Path, envs: Sequence[str], options: HelmOptions, today: date
) -> list[Finding]:
    """The repository's findings plus those of every chart rendered with the real Helm.

    Every local chart, and every upstream chart found in the chart cache, is rendered with the
    Application's committed values, release name and destination namespace; each finding is
    moved back to the template line that produced it. A chart that cannot be rendered is a
    `helm-skipped` warning, so an unchecked chart is never silent.
    """
    from gitopsctl.kube.schemastore import SchemaStore, load_crds
    from gitopsctl.render import helm
    from gitopsctl.report.pipeline_findings import helm_skipped
    from gitopsctl.subjects.helm import release_environment

    binary = _find_helm(repo)
    found = validate_repository(repo, envs, today)
    try:
        rendering = load_and_render(repo, envs)
    except InputError:
        return found  # unusable sources: the repository's findings already say where
    version = options.kube_version or rendering.model.platform.kubernetes_version
    crds = load_crds([*options.crds, *sorted(repo.glob("charts/*/crds"))])
    schemas = SchemaStore(version, crds)
    releases, skipped = helm.plan_releases(repo, rendering, options.chart_cache)
    outputs = helm.render_all(binary, releases, version)
    checked = [
        finding
        for release, output in zip(releases, outputs, strict=True)
        for finding in _check(release, output, release_environment(rendering, release.env, schemas))
    ]
    names = list(envs) or list(rendering.environments)
    excepted = _with_exceptions(found, checked, rendering.model.platform, names, today)
    return sort_findings([*excepted, *map(helm_skipped.finding, skipped)])


def _find_helm(repo: Path) -> Path:
    from gitopsctl.render.helm import HelmError, find_helm

    try:
        return find_helm(repo)
    except HelmError as error:
        raise InputError(str(error)) from None


def _check(release: Release, output: str, base: Environment) -> Iterator[Finding]:
    from gitopsctl.rules import RULES
    from gitopsctl.subjects.helm import release_subjects, relocate

    env, parsed, manifests = release_subjects(release, output, base)
    for finding in run_rules([env], RULES.values()):
        yield relocate(finding, release, parsed, manifests)


def _with_exceptions(
    repository: Sequence[Finding],
    helm: Sequence[Finding],
    platform: Platform,
    envs: Sequence[str],
    today: date,
) -> list[Finding]:
    """Declared exceptions also cover helm's findings; one used only by them is not unused."""
    from gitopsctl.report.catalog import CHECKS
    from gitopsctl.report.exceptions import apply_exceptions, declared_exceptions

    exceptions = declared_exceptions(platform)
    applied = apply_exceptions(helm, exceptions, today, CHECKS, envs)
    unused_alone = set(apply_exceptions([], exceptions, today, CHECKS, envs))
    resolved = unused_alone - set(applied[len(helm) :])
    return [f for f in repository if f not in resolved] + applied[: len(helm)]
