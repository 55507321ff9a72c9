"""One function per command; each returns the exit code, and InputError becomes 2 in the CLI."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gitopsctl.errors import EXIT_FINDINGS, EXIT_OK, InputError
from gitopsctl.pipeline import exit_code, validate_manifests, validate_repository
from gitopsctl.report.formatters import FORMATS, RuleInfo, format_report
from gitopsctl.rules import RULES
from gitopsctl.sources.files import read_sources
from gitopsctl.sources.model import build_model
from gitopsctl.subjects.manifests import ManifestOptions

if TYPE_CHECKING:
    from gitopsctl.render.output import Plan
    from gitopsctl.render.rendering import Rendering


def load_and_render(repo: Path, envs: Sequence[str] = ()) -> Rendering:
    from gitopsctl.render.rendering import render

    return render(build_model(read_sources(repo)), envs)


def render_command(repo: Path, envs: Sequence[str], check: bool) -> int:
    from gitopsctl.render import output

    rendering = load_and_render(repo, envs)
    plan = output.plan(repo, rendering.files, list(envs) or None)
    if check:
        if plan.clean:
            print(f"up to date: {len(rendering.files)} files")
            return EXIT_OK
        sys.stdout.write(output.diff(repo, plan))
        print(_stale_summary(plan), file=sys.stderr)
        return EXIT_FINDINGS
    output.apply(repo, plan)
    environments = _count(len(rendering.environments), "environment")
    print(
        f"rendered {len(rendering.files)} files in {environments}: "
        f"{len(plan.writes)} written, {len(plan.prunes)} pruned"
    )
    return EXIT_OK


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _stale_summary(plan: Plan) -> str:
    stale = len(plan.writes) - len(plan.missing)
    return (
        f"rendered output is out of date: {stale} stale, {len(plan.missing)} missing, "
        f"{len(plan.prunes)} extra; run `make render` (or `python render.py render`) and commit"
    )


def explain_command(repo: Path, env: str, app: str) -> int:
    from gitopsctl.render.explain import explain

    rendering = load_and_render(repo, [env])
    sys.stdout.write(explain(rendering, env, app))
    return EXIT_OK


class ValidateRequest(NamedTuple):
    """The options of `validate`; which of them go together is decided in validate_any."""

    envs: Sequence[str]
    fmt: str
    manifests: str | None
    node_groups: Path | None
    kube_version: str | None
    crds: tuple[Path, ...]
    helm: bool
    chart_cache: Path | None


HELM_MISUSE = "--chart-cache goes with --helm; --helm not with --manifests or --node-groups"
MANIFEST_MISUSE = (
    "--node-groups goes with --manifests; --kube-version and --crds with --manifests or --helm"
)


def validate_any(repo: Path, request: ValidateRequest) -> int:
    """The repository, its charts through Helm, or given manifests, as the options ask."""
    if request.helm and request.manifests is None and request.node_groups is None:
        from gitopsctl.helmcheck import HelmOptions, validate_helm_command

        helm = HelmOptions(request.chart_cache, request.kube_version, request.crds)
        return validate_helm_command(repo, request.envs, request.fmt, helm)
    if request.helm or request.chart_cache is not None:
        raise InputError(HELM_MISUSE)
    if request.manifests is not None:
        options = ManifestOptions(
            request.manifests, request.node_groups, request.kube_version, request.crds
        )
        return validate_manifests_command(repo, options, request.envs, request.fmt)
    if request.node_groups is not None or request.kube_version is not None or request.crds:
        raise InputError(MANIFEST_MISUSE)
    return validate_command(repo, request.envs, request.fmt)


def validate_command(repo: Path, envs: Sequence[str], fmt: str) -> int:
    check_format(fmt)
    findings = validate_repository(repo, envs, date.today())
    sys.stdout.write(format_report(fmt, findings, rule_infos()))
    return exit_code(findings)


def validate_manifests_command(
    repo: Path, options: ManifestOptions, envs: Sequence[str], fmt: str
) -> int:
    check_format(fmt)
    if len(envs) > 1:
        raise InputError("--manifests takes at most one --env")
    env = envs[0] if envs else None
    findings = validate_manifests(repo, options, env)
    sys.stdout.write(format_report(fmt, findings, rule_infos()))
    return exit_code(findings)


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        format_report(fmt, [], [])


def rule_infos() -> list[RuleInfo]:
    return [
        RuleInfo(rule.id, rule.severity.value, rule.summary, rule.doc) for rule in RULES.values()
    ]


def rules_command(rule_id: str | None, markdown: bool = False) -> int:
    from gitopsctl.report import catalog

    if markdown:
        sys.stdout.write(catalog.markdown(RULES.values()))
        return EXIT_OK
    if rule_id is None:
        sys.stdout.write(catalog.listing(RULES.values()))
        return EXIT_OK
    if rule_id not in RULES:
        raise InputError(f"unknown rule {rule_id!r}; `python render.py rules` lists them")
    sys.stdout.write(catalog.describe(RULES[rule_id]))
    return EXIT_OK
