"""The fixed pipeline the commands share: load the sources, render, build the subjects, run the
rules, apply exceptions, sort. Formatting and exit codes are the commands' part."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gitopsctl.errors import EXIT_FINDINGS, EXIT_OK, InputError, Problem
from gitopsctl.findings import Finding, Severity

if TYPE_CHECKING:
    from gitopsctl.kube.crds import CrdSchema
    from gitopsctl.kube.scheduling import NodeGroup
    from gitopsctl.render.digests import Inputs
    from gitopsctl.render.helm import HelmError, Release
    from gitopsctl.render.output import Plan
    from gitopsctl.render.rendering import Rendering
    from gitopsctl.rules.base import Rule
    from gitopsctl.sources.model import Model
    from gitopsctl.subjects.charts import ChartFacts
    from gitopsctl.subjects.helm import ReleaseOutput
    from gitopsctl.subjects.records import Environment


def load_and_render(repo: Path, envs: Sequence[str] = ()) -> Rendering:
    """The sources read, checked and rendered in memory; unusable sources are an InputError."""
    from gitopsctl.render import terraform_cache
    from gitopsctl.render.rendering import render
    from gitopsctl.sources.files import read_sources
    from gitopsctl.sources.model import build_model

    return render(build_model(read_sources(repo, terraform_cache.node_groups)), envs)


def remembered_rendering(repo: Path, envs: Sequence[str], inputs: Inputs | None) -> Rendering:
    """`load_and_render`, or the rendering an earlier command stored for the same ``inputs``
    (see renderings); one rendered here is stored for the next command."""
    from gitopsctl.render import renderings

    if inputs is None:
        return load_and_render(repo, envs)
    found = renderings.load(inputs, envs)
    if found is None:
        found = load_and_render(repo, envs)
        renderings.store(inputs, envs, found)
    return found


class OutputCheck(NamedTuple):
    """`render --check`'s outcome: how many files the sources render and, when the committed
    output is not exactly them, what a render would change."""

    files: int
    stale: Plan | None = None


def remembered_check(repo: Path, envs: Sequence[str]) -> OutputCheck:
    """Whether the committed output is what the sources render; a current output found for the
    same inputs before is not rendered again (a stale one always is, for its diff)."""
    from gitopsctl.render import cache, digests, uptodate

    inputs = digests.read_inputs(repo) if cache.enabled() else None
    if inputs is not None:
        found = uptodate.remembered(repo, inputs, envs)
        if found is not None:
            return OutputCheck(found.files)
    from gitopsctl.render import output  # imports the renderer: not needed for a verdict

    rendering = remembered_rendering(repo, envs, inputs)
    snapshot = None if inputs is None else inputs.output
    plan = output.plan(repo, rendering.files, list(envs) or None, snapshot)
    if not plan.clean:
        return OutputCheck(len(rendering.files), plan)
    if inputs is not None:
        verdict = uptodate.UpToDate(len(rendering.files), len(rendering.environments))
        uptodate.remember(repo, inputs, envs, verdict)
    return OutputCheck(len(rendering.files))


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
            excepted=hit.excepted,
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


def validate_repository(
    repo: Path, envs: Sequence[str], today: date, chart_cache: Path | None = None
) -> list[Finding]:
    """Findings for the sources and the committed output of the chosen environments.

    Unusable sources raise `UnusableSources`; an unknown environment a plain InputError.
    Cached chart archives are compared with the chart lock in ``chart_cache`` (default: the
    user's chart cache).
    """
    rendering = usable_rendering(repo, envs)
    charts = usable_chart_facts(repo, chart_cache)
    return _checked_repository(repo, rendering, envs, today, charts).findings


VALIDATE = "validate"


def remembered_validation(repo: Path, envs: Sequence[str], today: date) -> list[Finding]:
    """`validate_repository`'s findings, given again without the work when every input (and
    the date, and the environments asked for) is what an earlier run found them for."""
    from gitopsctl.render import cache, digests

    inputs = digests.read_inputs(repo) if cache.enabled() else None
    if inputs is None:
        return validate_repository(repo, envs, today)
    key = inputs.key(VALIDATE, today.isoformat(), *envs)
    found = _cached_findings(repo, key)
    if found is None:
        found = _validated_and_remembered(repo, envs, today, inputs, key)
    return found


def _cached_findings(repo: Path, key: str) -> list[Finding] | None:
    from gitopsctl.findings import from_record
    from gitopsctl.render import cache

    records = cache.load(repo, VALIDATE, key)
    if not isinstance(records, list):
        return None
    try:
        return [from_record(record) for record in records]
    except ValueError:
        return None


def _validated_and_remembered(
    repo: Path, envs: Sequence[str], today: date, inputs: Inputs, key: str
) -> list[Finding]:
    """The full check; its findings stored, and `render --check`'s verdict when it passes."""
    from gitopsctl.findings import as_record
    from gitopsctl.render import cache, uptodate

    rendering = usable_rendering(repo, envs, inputs)
    charts = usable_chart_facts(repo, None)
    checked = _checked_repository(repo, rendering, envs, today, charts, snapshot=inputs.output)
    if inputs.unchanged():
        cache.store(repo, VALIDATE, key, [as_record(finding) for finding in checked.findings])
        if checked.up_to_date:
            verdict = uptodate.UpToDate(len(rendering.files), len(rendering.environments))
            uptodate.remember(repo, inputs, envs, verdict)
    return checked.findings


def usable_rendering(repo: Path, envs: Sequence[str], inputs: Inputs | None = None) -> Rendering:
    """The sources rendered in memory (or as stored for ``inputs``); unusable ones raise
    `UnusableSources`."""
    try:
        rendering = remembered_rendering(repo, envs, inputs)
        charts_inside(repo)  # the rules read charts' values.schema.json
    except InputError as error:
        if any(p.message.startswith("unknown environment") for p in error.problems):
            raise
        raise UnusableSources(error.problems) from None
    return rendering


def usable_chart_facts(repo: Path, chart_cache: Path | None) -> ChartFacts:
    """The chart lock and the chart cache; a broken lock raises `UnusableSources`."""
    from gitopsctl.subjects.charts import chart_facts

    try:
        return chart_facts(repo, chart_cache)
    except InputError as error:
        raise UnusableSources(error.problems) from None


class _Checked(NamedTuple):
    findings: list[Finding]
    environments: list[Environment]  # the subjects the rules saw, one per environment
    up_to_date: bool  # the committed output is what the sources render (nothing left over)


def _checked_repository(
    repo: Path,
    rendering: Rendering,
    envs: Sequence[str],
    today: date,
    charts: ChartFacts,
    keep_subjects: bool = False,
    snapshot: Mapping[str, bytes] | None = None,
) -> _Checked:
    """The findings; with ``keep_subjects``, the subjects of every environment too (else the
    environments are checked in parallel, and their subjects are not kept). ``snapshot``: the
    output files as the cache's digests read them (see output.plan)."""
    from gitopsctl import parallel
    from gitopsctl.render import output
    from gitopsctl.report.catalog import CHECKS
    from gitopsctl.report.exceptions import Scope, apply_exceptions, declared_exceptions
    from gitopsctl.report.pipeline_findings import render_drift
    from gitopsctl.rules import RULES
    from gitopsctl.subjects.repository import environment_subjects

    plan = output.plan(repo, rendering.files, list(envs) or None, snapshot)
    found = list(render_drift.findings(repo, plan))
    on_disk = plan.on_disk if not envs else None  # the scan covered every environment
    subjects = environment_subjects(repo, rendering, on_disk, charts)
    rules = list(RULES.values())
    environments = []
    if keep_subjects:
        environments = [subjects(name) for name in rendering.environments]
        found += run_rules(environments, rules)
    else:
        found += parallel.shared_out(
            lambda name: run_rules([subjects(name)], rules), list(rendering.environments)
        )
    exceptions = declared_exceptions(rendering.model.platform)
    scope = Scope.of(rendering.model, CHECKS, list(envs) or list(rendering.environments))
    findings = sort_findings(apply_exceptions(found, exceptions, today, scope))
    return _Checked(findings, environments, plan.clean)


# -- any manifests -------------------------------------------------------------------------------


OUTSIDE_A_PLATFORM = (
    "outside a platform repository, give the node groups to check against with --node-groups FILE"
)


class ManifestOptions(NamedTuple):
    """What `validate --manifests` checks, and against what."""

    target: str
    node_groups: Path | None = None
    kube_version: str | None = None
    crds: tuple[Path, ...] = ()
    allow_empty: bool = False  # no objects at all is fine, not unusable input
    ingress_class: str | None = None  # instead of the platform's
    database_namespace: str | None = None  # instead of the platform's
    # The objects are a whole environment: a reference nothing among them provides is reported.
    references: bool = False


def validate_manifests(repo: Path, options: ManifestOptions, env_name: str | None) -> list[Finding]:
    """Findings for Kubernetes manifests, against the platform's (or the given) node groups."""
    from gitopsctl.kube.schemastore import SchemaStore, load_crds
    from gitopsctl.rules import RULES
    from gitopsctl.subjects.manifests import manifest_subjects, read_manifests, shown_target

    charts_inside(repo)  # CRDs are read from charts/*/crds
    base, platform_version = _manifest_environment(repo, options, env_name)
    base = replace(_with_settings(base, options), references_complete=options.references)
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
    repo: Path, options: ManifestOptions, env_name: str | None
) -> tuple[Environment, str]:
    """The platform's settings (and the environment's, when named), and its Kubernetes version;
    outside a platform repository, the node groups and settings the options give, and the newest
    Kubernetes version with schemas."""
    from gitopsctl.kube.kubeschema import supported_versions
    from gitopsctl.sources.files import PLATFORM_FILE
    from gitopsctl.subjects.manifests import read_node_groups, standalone_environment

    outside = env_name is None and not (repo / PLATFORM_FILE).exists()
    if outside and options.node_groups is not None:
        env = standalone_environment(
            options.node_groups, options.ingress_class, options.database_namespace
        )
        return env, supported_versions()[-1]
    if outside:
        raise InputError(Problem(f"no platform file: {OUTSIDE_A_PLATFORM}", PLATFORM_FILE))
    env, version = _platform_environment(repo, env_name, options.node_groups is None)
    if options.node_groups is not None:
        env = replace(env, node_groups=read_node_groups(options.node_groups))
    return env, version


def _platform_environment(
    repo: Path, env_name: str | None, platform_groups: bool = True
) -> tuple[Environment, str]:
    """The platform's settings (and the environment's, when named, with the databases and the
    Secrets its sources deliver), and its Kubernetes version; without ``platform_groups`` a
    platform file's Terraform is not read (other groups apply)."""
    from gitopsctl.render import terraform_cache
    from gitopsctl.sources.files import read_platform, terraform_node_groups
    from gitopsctl.sources.model import platform_of
    from gitopsctl.subjects.repository import (
        api_sources,
        environment_of,
        issuer_names,
        planned_applications,
    )

    if env_name is None:
        source = read_platform(repo)
        groups = (
            terraform_node_groups(repo, source, terraform_cache.node_groups)
            if platform_groups
            else None
        )
        platform = platform_of(source, groups)
        classes = frozenset([platform.ingress_class])
        env = environment_of(platform, None, providers=classes, issuers=frozenset())
        return env, platform.kubernetes_version
    rendering = load_and_render(repo, [env_name])
    platform = rendering.model.platform
    rendered = rendering.environments[env_name]
    classes = frozenset([platform.ingress_class])
    issuers = issuer_names(rendered)
    databases = frozenset(app.name for app in rendered.apps.values() if app.unit.database)
    env = environment_of(
        platform,
        rendered.env,
        providers=classes,
        issuers=issuers,
        rendered_databases=databases,
        sync_plan=planned_applications(rendering.model, rendered),
        api_sources=api_sources(rendering.model),
    )
    return _with_declared(env, rendering, env_name), platform.kubernetes_version


def _with_declared(env: Environment, rendering: Rendering, env_name: str) -> Environment:
    """The environment with what its sources declare provided: databases' secrets, what charts
    create at run time, `providedSecrets`."""
    from gitopsctl.subjects.repository import declared_providers

    provided, secrets = [], []
    for app in rendering.environments[env_name].apps.values():
        found, declared = declared_providers(rendering.model, app)
        provided += found
        secrets += declared
    return replace(env, provided=provided, provided_secrets=secrets)


def _with_settings(env: Environment, options: ManifestOptions) -> Environment:
    """The ingress class and database namespace the options give, instead of the platform's."""
    if options.ingress_class is not None:
        providers = env.ingress_class_providers | {options.ingress_class}
        env = replace(env, ingress_class=options.ingress_class, ingress_class_providers=providers)
    if options.database_namespace is not None:
        env = replace(env, database_namespace=options.database_namespace)
    return env


def node_groups(repo: Path, terraform: Path | None = None) -> list[NodeGroup]:
    """The node groups the checks use: the platform file's (listed, or read from the Terraform
    folder it names), or those of the Terraform folder ``terraform``."""
    from gitopsctl.render import terraform_cache
    from gitopsctl.sources.files import read_platform, terraform_node_groups
    from gitopsctl.sources.model import platform_of
    from gitopsctl.sources.terraform import read_node_groups

    if terraform is not None:
        return read_node_groups(terraform, terraform.as_posix())
    source = read_platform(repo)
    groups = terraform_node_groups(repo, source, terraform_cache.node_groups)
    return list(platform_of(source, groups).node_groups.values())


# -- every chart through Helm --------------------------------------------------------------------


# Rules whose findings on the sources alone `--helm` makes again with every rendered object.
RESOLVED_WITH_HELM = frozenset({"secret-reference", "configmap-reference"})


class HelmOptions(NamedTuple):
    """What `validate --helm` renders, and the schemas it checks the objects against."""

    chart_cache: Path | None = None
    kube_version: str | None = None
    crds: tuple[Path, ...] = ()


def validate_with_helm(
    repo: Path, envs: Sequence[str], options: HelmOptions, today: date
) -> list[Finding]:
    """The repository's findings plus those of every release of each environment, rendered
    with the real Helm and analysed together, as Argo CD will apply them.

    Every local chart, and every upstream chart found in the chart cache, is rendered with the
    Application's committed values, release name and destination namespace, CRDs included; the
    CRDs an environment's charts install are the schemas of its custom resources. Each finding
    is moved back to the template line that produced it. A release Helm refuses is one
    `helm-template` error, and the environment's other releases are still checked; a chart that
    is not in the cache is a `helm-skipped` warning, so an unchecked chart is never silent.
    """
    from gitopsctl.kube.schemastore import load_crds
    from gitopsctl.render import helm
    from gitopsctl.render.chartcache import default_cache
    from gitopsctl.report.pipeline_findings import helm_skipped, helm_template

    binary = _find_helm(repo)
    rendering = usable_rendering(repo, envs)
    cache = options.chart_cache or default_cache()
    charts = usable_chart_facts(repo, cache)
    version = options.kube_version or rendering.model.platform.kubernetes_version
    crds = load_crds([*options.crds, *sorted(repo.glob("charts/*/crds"))])
    releases, skipped = helm.plan_releases(repo, rendering, cache)
    with helm.rendering_all(binary, releases, version) as finished:
        found, environments, _ = _checked_repository(
            repo, rendering, envs, today, charts, keep_subjects=True
        )
        outputs = _read_releases(releases, finished)
    checked: list[Finding] = []
    for env in environments:
        rendered = [output for output in outputs.read if output.release.env == env.name]
        checked += _environment_findings(rendering, env, rendered, version, crds)
    refused = [
        helm_template.finding(releases[index], error)
        for index, error in sorted(outputs.refused.items())
    ]
    names = list(envs) or list(rendering.environments)
    # What the sources name is checked again among every rendered object, which may provide it.
    found = [finding for finding in found if finding.rule not in RESOLVED_WITH_HELM]
    helm_found = _not_found_before(checked, found)
    excepted = _with_exceptions(found, helm_found, rendering.model, names, today)
    return sort_findings([*excepted, *refused, *map(helm_skipped.finding, skipped)])


def _find_helm(repo: Path) -> Path:
    from gitopsctl.render.helm import HelmError, find_helm

    try:
        return find_helm(repo)
    except HelmError as error:
        raise InputError(str(error)) from None


class _Releases(NamedTuple):
    read: list[ReleaseOutput]  # what Helm rendered, in release order
    refused: dict[int, HelmError]  # by release index


def _read_releases(
    releases: Sequence[Release], finished: Iterator[tuple[int, str | HelmError]]
) -> _Releases:
    """Each release's objects read as soon as Helm prints them (while the others render); an
    output that is not Kubernetes objects is refused like a release Helm cannot render, at the
    template line that printed it."""
    from gitopsctl.render.helm import HelmError
    from gitopsctl.subjects.helm import parse_release

    read: dict[int, ReleaseOutput] = {}
    refused: dict[int, HelmError] = {}
    for index, output in finished:
        if not isinstance(output, str):
            refused[index] = output
            continue
        try:
            read[index] = parse_release(releases[index], output, index)
        except InputError as error:
            said = "\n".join(str(problem) for problem in error.problems)
            refused[index] = HelmError("its output is not Kubernetes objects", said)
    return _Releases([read[index] for index in sorted(read)], refused)


def _environment_findings(
    rendering: Rendering,
    sourced: Environment,
    outputs: Sequence[ReleaseOutput],
    version: str,
    crds: Mapping[tuple[str, str], CrdSchema],
) -> list[Finding]:
    """The rules over all objects Helm renders for one environment, at their template lines."""
    from gitopsctl.kube.schemastore import SchemaStore
    from gitopsctl.rules import RULES
    from gitopsctl.subjects.helm import (
        environment_subjects,
        installed_crds,
        release_environment,
        relocate,
    )

    schemas = SchemaStore(version, {**installed_crds(outputs), **crds})
    base = release_environment(rendering, str(sourced.name), schemas)
    env = environment_subjects(outputs, base, sourced)
    by_document = {key: output for output in outputs for key in output.documents}
    return [relocate(finding, by_document) for finding in run_rules([env], RULES.values())]


def _not_found_before(helm: Sequence[Finding], repository: Sequence[Finding]) -> list[Finding]:
    """Helm's findings but those the sources' check already made at the same place: one defect,
    one finding, at the source line that sets the value."""
    seen = {(f.rule, f.env, f.app, f.file, f.line, f.column) for f in repository}
    return [f for f in helm if (f.rule, f.env, f.app, f.file, f.line, f.column) not in seen]


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
