"""`validate`: the repository, every chart through Helm, or any manifests, against the schemas
and the policy rules."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import click

from gitopsctl.cli.running import ENV_HELP, run
from gitopsctl.errors import InputError

if TYPE_CHECKING:
    from gitopsctl.findings import Finding
    from gitopsctl.pipeline import HelmOptions, ManifestOptions

HELM_MISUSE = "--chart-cache goes with --helm; --helm not with --manifests or --node-groups"
MANIFEST_MISUSE = (
    "--node-groups, --ingress-class and --database-namespace go with --manifests;"
    " --kube-version and --crds with --manifests or --helm"
)
EMPTY_MISUSE = "--allow-empty goes with --manifests"
REFERENCES_MISUSE = "--references goes with --manifests"


@click.command("validate")
@click.option("--env", "envs", multiple=True, metavar="ENV", help=ENV_HELP)
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    metavar="text|json|sarif|github",
    help="Report format.",
)
@click.option(
    "--manifests",
    metavar="PATH",
    help="Check Kubernetes manifests (a file, a directory, or - for standard input) instead.",
)
@click.option(
    "--node-groups",
    type=click.Path(path_type=Path),
    metavar="FILE|DIR",
    help="With --manifests: YAML `nodeGroups: [{name, labels, taints, ...}]` (as `node-groups` "
    "prints it), or a folder of Terraform defining EKS node groups. Default: the platform's; "
    "required outside a platform repository.",
)
@click.option(
    "--ingress-class",
    metavar="NAME",
    help="With --manifests: the class every Ingress must use. Default: the platform's; outside"
    " a platform repository, none (any class, or none, is accepted).",
)
@click.option(
    "--database-namespace",
    metavar="NAME",
    help="With --manifests: the namespace of database clusters and their services. Default: the"
    " platform's; outside a platform repository, each cluster's own.",
)
@click.option(
    "--kube-version",
    metavar="X.Y",
    help="With --manifests or --helm: the Kubernetes version. Default: the platform's; outside"
    " a platform repository, the newest with shipped schemas.",
)
@click.option(
    "--crds",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="With --manifests or --helm: CRD files or folders for custom resources (repeatable).",
)
@click.option(
    "--helm",
    is_flag=True,
    help="Also render each Application's chart with `helm template` and check the real objects.",
)
@click.option(
    "--chart-cache",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help="With --helm: upstream chart archives as `helm pull` leaves them (<chart>-<version>.tgz).",
)
@click.option(
    "--allow-empty",
    is_flag=True,
    help="With --manifests: no objects at all is fine (exit 0), not unusable input (exit 2).",
)
@click.option(
    "--references",
    is_flag=True,
    help="With --manifests: the objects are a whole environment, so report every Secret,"
    " ConfigMap, Service and ServiceAccount they need that nothing among them (or, with --env,"
    " the sources' declarations) provides. Default: only a key or port missing from one that"
    " is there, as a partial stream needs what others create.",
)
@click.pass_obj
def command(
    repo: Path,
    envs: tuple[str, ...],
    fmt: str,
    manifests: str | None,
    node_groups: Path | None,
    ingress_class: str | None,
    database_namespace: str | None,
    kube_version: str | None,
    crds: tuple[Path, ...],
    helm: bool,
    chart_cache: Path | None,
    allow_empty: bool,
    references: bool,
) -> None:
    """Check sources and committed output (or any manifests) against schemas and policies.

    Exit 0 when no error-level finding remains, 1 when one does, 2 for unusable input (broken
    sources are also reported as source-schema findings in the chosen format).

    --manifests also works outside a platform repository (no sources/platform.yaml) when
    --node-groups is given: the ingress class and database namespace are then checked only
    when given, there is no environment (no domain, no issuer but the manifests' ClusterIssuers,
    no production tier) and the Kubernetes version is the newest with shipped schemas.
    """
    request = ValidateRequest(
        envs,
        fmt,
        manifests,
        node_groups,
        kube_version,
        crds,
        helm,
        chart_cache,
        allow_empty,
        ingress_class,
        database_namespace,
        references,
    )
    run(lambda: validate_any(repo, request))


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
    allow_empty: bool = False
    ingress_class: str | None = None
    database_namespace: str | None = None
    references: bool = False


def validate_any(repo: Path, request: ValidateRequest) -> int:
    """The repository, its charts through Helm, or given manifests, as the options ask."""
    if request.allow_empty and request.manifests is None:
        raise InputError(EMPTY_MISUSE)
    if request.references and request.manifests is None:
        raise InputError(REFERENCES_MISUSE)
    if request.helm and request.manifests is None and not _manifest_only(request):
        from gitopsctl.pipeline import HelmOptions

        helm = HelmOptions(request.chart_cache, request.kube_version, request.crds)
        return validate_helm_command(repo, request.envs, request.fmt, helm)
    if request.helm or request.chart_cache is not None:
        raise InputError(HELM_MISUSE)
    if request.manifests is not None:
        from gitopsctl.pipeline import ManifestOptions

        options = ManifestOptions(
            request.manifests,
            request.node_groups,
            request.kube_version,
            request.crds,
            request.allow_empty,
            request.ingress_class,
            request.database_namespace,
            request.references,
        )
        return validate_manifests_command(repo, options, request.envs, request.fmt)
    if _manifest_only(request) or request.kube_version is not None or request.crds:
        raise InputError(MANIFEST_MISUSE)
    return validate_command(repo, request.envs, request.fmt)


def _manifest_only(request: ValidateRequest) -> bool:
    """Whether an option that goes only with --manifests is given."""
    options = (request.node_groups, request.ingress_class, request.database_namespace)
    return any(option is not None for option in options)


def validate_command(repo: Path, envs: Sequence[str], fmt: str) -> int:
    from gitopsctl.pipeline import validate_repository

    check_format(fmt)
    with reporting_unusable_sources(fmt):
        found = validate_repository(repo, envs, date.today())
    return report(fmt, found)


def validate_manifests_command(
    repo: Path, options: ManifestOptions, envs: Sequence[str], fmt: str
) -> int:
    from gitopsctl.pipeline import validate_manifests

    check_format(fmt)
    if len(envs) > 1:
        raise InputError("--manifests takes at most one --env")
    return report(fmt, validate_manifests(repo, options, envs[0] if envs else None))


def validate_helm_command(repo: Path, envs: Sequence[str], fmt: str, options: HelmOptions) -> int:
    from gitopsctl.pipeline import validate_with_helm

    check_format(fmt)
    with reporting_unusable_sources(fmt):
        found = validate_with_helm(repo, envs, options, date.today())
    return report(fmt, found)


@contextmanager
def reporting_unusable_sources(fmt: str) -> Iterator[None]:
    """Broken sources are reported as source-schema findings in the chosen format, so that
    json and sarif consumers see them too; the command still exits 2."""
    from gitopsctl.pipeline import UnusableSources

    try:
        yield
    except UnusableSources as error:
        report(fmt, error.findings)
        count = len(error.problems)
        problems = f"{count} problem" + ("" if count == 1 else "s")
        raise InputError(
            f"the sources are unusable ({problems}, reported as source-schema findings): "
            "nothing else was checked"
        ) from None


def check_format(fmt: str) -> None:
    """An unknown format is a usage error before any work is done."""
    from gitopsctl.report.formatters import FORMATS, format_report

    if fmt not in FORMATS:
        format_report(fmt, [], [])


def report(fmt: str, findings: Sequence[Finding]) -> int:
    """Print the findings in the format; the exit code follows from them."""
    from gitopsctl.pipeline import exit_code
    from gitopsctl.report.catalog import rule_infos
    from gitopsctl.report.formatters import format_report

    sys.stdout.write(format_report(fmt, findings, rule_infos()))
    return exit_code(findings)
