"""The fixed validation pipeline: subjects, rules, exceptions, sort, format, exit code."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from gitopsctl.errors import EXIT_FINDINGS, EXIT_OK, InputError
from gitopsctl.findings import Finding, Severity
from gitopsctl.rules.base import Rule
from gitopsctl.subjects.manifests import ManifestOptions
from gitopsctl.subjects.records import Environment


def run_rules(envs: Iterable[Environment], rules: Iterable[Rule]) -> list[Finding]:
    """Every rule over every environment; the engine stamps rule, severity and environment."""
    rule_list = [rule for rule in rules if rule.check is not None]
    return [finding for env in envs for rule in rule_list for finding in _findings(rule, env)]


def _findings(rule: Rule, env: Environment) -> Iterator[Finding]:
    assert rule.check is not None
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


def validate_repository(repo: Path, envs: Sequence[str], today: date) -> list[Finding]:
    """Findings for the sources and the committed output of the chosen environments."""
    from gitopsctl.cli.commands import load_and_render
    from gitopsctl.render import output
    from gitopsctl.report.exceptions import apply_exceptions, declared_exceptions
    from gitopsctl.rules import RULES, render_drift, source_schema
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
    return sort_findings(apply_exceptions(found, exceptions, today, RULES, names))


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
    from gitopsctl.cli.commands import load_and_render
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
