"""The fixed pipeline the commands share: load the sources, render, build the subjects, run the
rules, apply exceptions, sort. Formatting and exit codes are the commands' part."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gitopsctl.errors import EXIT_FINDINGS, EXIT_OK, InputError, Problem
from gitopsctl.findings import Finding, Severity

if TYPE_CHECKING:
    from gitopsctl.kube.scheduling import NodeGroup
    from gitopsctl.render.helm import Release
    from gitopsctl.render.rendering import Rendering
    from gitopsctl.rules.base import Rule
    from gitopsctl.sources.model import Model
    from gitopsctl.subjects.records import Environment


def load_and_render(repo: Path, envs: Sequence[str] = ()) -> Rendering:
    """The sources read, checked and rendered in memory; unusable sources are an InputError."""
    from gitopsctl.render.rendering import render
    from gitopsctl.sources.files import read_sources
    from gitopsctl.sources.model import build_model

    return render(build_model(read_sources(repo)), envs)


def charts_inside(repo: Path) -> None:
    """No link under charts/ leads out of the repository (nothing of charts/ is read before)."""
    from gitopsctl.repofiles import escaping_links

    problems = escaping_links(repo, "charts")
    if problems:
        raise InputError(problems)


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


class UnusableSources(InputError):
    """The sources cannot be used; ``findings`` are their problems as `source-schema` findings,
    for a report to show in its format before the command exits 2."""

    def __init__(self, problems: list[Problem]) -> None:
        from gitopsctl.report.pipeline_findings import source_schema

        super().__init__(problems)
        self.findings = sort_findings(source_schema.findings(problems))


def validate_repository(repo: Path, envs: Sequence[str], today: date) -> list[Finding]:
    """Findings for the sources and the committed output of the chosen environments.

    Unusable sources raise `UnusableSources`; an unknown environment a plain InputError.
    """
    from gitopsctl.render import output
    from gitopsctl.report.catalog import CHECKS
    from gitopsctl.report.exceptions import Scope, apply_exceptions, declared_exceptions
    from gitopsctl.report.pipeline_findings import render_drift
    from gitopsctl.rules import RULES
    from gitopsctl.subjects.repository import repository_environments

    try:
        rendering = load_and_render(repo, envs)
        charts_inside(repo)  # the rules read charts' values.schema.json
    except InputError as error:
        if any(p.message.startswith("unknown environment") for p in error.problems):
            raise
        raise UnusableSources(error.problems) from None
    plan = output.plan(repo, rendering.files, list(envs) or None)
    found = list(render_drift.findings(repo, plan))
    on_disk = plan.on_disk if not envs else None  # the scan covered every environment
    found += run_rules(repository_environments(repo, rendering, on_disk), RULES.values())
    exceptions = declared_exceptions(rendering.model.platform)
    scope = Scope.of(rendering.model, CHECKS, list(envs) or list(rendering.environments))
    return sort_findings(apply_exceptions(found, exceptions, today, scope))


# -- any manifests -------------------------------------------------------------------------------


class ManifestOptions(NamedTuple):
    """What `validate --manifests` checks, and against what."""

    target: str
    node_groups: Path | None = None
    kube_version: str | None = None
    crds: tuple[Path, ...] = ()
    allow_empty: bool = False  # no objects at all is fine, not unusable input


def validate_manifests(repo: Path, options: ManifestOptions, env_name: str | None) -> list[Finding]:
    """Findings for Kubernetes manifests, against the platform's (or the given) node groups."""
    from gitopsctl.kube.schemastore import SchemaStore, load_crds
    from gitopsctl.rules import RULES
    from gitopsctl.subjects.manifests import (
        manifest_subjects,
        read_manifests,
        read_node_groups,
        shown_target,
    )

    charts_inside(repo)  # CRDs are read from charts/*/crds
    given = options.node_groups is not None
    base, platform_version = _manifest_environment(repo, env_name, platform_groups=not given)
    if options.node_groups is not None:
        base = replace(base, node_groups=read_node_groups(options.node_groups))
    crds = load_crds([*options.crds, *sorted(repo.glob("charts/*/crds"))])
    store = SchemaStore(options.kube_version or platform_version, crds)
    env = manifest_subjects(read_manifests(options.target), replace(base, schemas=store))
    if not env.documents and not options.allow_empty:
        target = shown_target(options.target)
        raise InputError(
            f"no Kubernetes objects read from {target} (pass --allow-empty if none is fine)"
        )
    return sort_findings(run_rules([env], RULES.values()))


def _manifest_environment(
    repo: Path, env_name: str | None, platform_groups: bool = True
) -> tuple[Environment, str]:
    """The platform's settings (and the environment's, when named), and its Kubernetes version;
    without ``platform_groups`` a platform file's Terraform is not read (other groups apply)."""
    from gitopsctl.sources.files import read_platform, terraform_node_groups
    from gitopsctl.sources.model import platform_of
    from gitopsctl.subjects.repository import environment_of, issuer_names

    if env_name is None:
        source = read_platform(repo)
        groups = terraform_node_groups(repo, source) if platform_groups else None
        platform = platform_of(source, groups)
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


def node_groups(repo: Path, terraform: Path | None = None) -> list[NodeGroup]:
    """The node groups the checks use: the platform file's (listed, or read from the Terraform
    folder it names), or those of the Terraform folder ``terraform``."""
    from gitopsctl.sources.files import read_platform, terraform_node_groups
    from gitopsctl.sources.model import platform_of
    from gitopsctl.sources.terraform import read_node_groups

    if terraform is not None:
        return read_node_groups(terraform, terraform.as_posix())
    source = read_platform(repo)
    return list(platform_of(source, terraform_node_groups(repo, source)).node_groups.values())


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
    rendering = load_and_render(repo, envs)  # usable: validate_repository raised otherwise
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
    excepted = _with_exceptions(found, checked, rendering.model, names, today)
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
    model: Model,
    envs: Sequence[str],
    today: date,
) -> list[Finding]:
    """Declared exceptions also cover helm's findings; one used only by them is not unused."""
    from gitopsctl.report.catalog import CHECKS
    from gitopsctl.report.exceptions import Scope, apply_exceptions, declared_exceptions

    exceptions = declared_exceptions(model.platform)
    scope = Scope.of(model, CHECKS, envs)
    applied = apply_exceptions(helm, exceptions, today, scope)
    unused_alone = set(apply_exceptions([], exceptions, today, scope))
    resolved = unused_alone - set(applied[len(helm) :])
    return [f for f in repository if f not in resolved] + applied[: len(helm)]
