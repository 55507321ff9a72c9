#!/usr/bin/env python3
"""The command line: parses options and calls one function of the gitopsctl package per command.

Exit codes: 0 success, 1 findings (stale output, error-level findings), 2 unusable input or options.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from gitopsctl.cli import commands
from gitopsctl.errors import EXIT_USAGE, InputError

ENV_HELP = "Limit to this environment (repeat for several). Default: every environment."


def _run(command: Callable[[], int]) -> None:
    try:
        code = command()
    except InputError as error:
        for problem in error.problems:
            click.echo(f"error: {problem}", err=True)
        code = EXIT_USAGE
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default="the current directory",
    help="Repository root holding sources/, charts/, applications/ and rendered/.",
)
@click.pass_context
def cli(context: click.Context, repo: Path) -> None:
    """Render and validate a GitOps repository of Argo CD Applications and Helm values."""
    context.obj = repo.resolve()


@cli.command("render")
@click.option("--env", "envs", multiple=True, metavar="ENV", help=ENV_HELP)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 with a diff if the committed output is stale.",
)
@click.pass_obj
def render_cmd(repo: Path, envs: tuple[str, ...], check: bool) -> None:
    """Render sources/ into applications/ and rendered/ (atomically, pruning stale files)."""
    _run(lambda: commands.render_command(repo, envs, check))


@cli.command("explain")
@click.option("--env", required=True, metavar="ENV", help="The environment.")
@click.option("--app", required=True, metavar="APP", help="The app or database name.")
@click.pass_obj
def explain_cmd(repo: Path, env: str, app: str) -> None:
    """Print an app's effective values with the source file:line that set each one."""
    _run(lambda: commands.explain_command(repo, env, app))


@cli.command("validate")
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
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --manifests: YAML `nodeGroups: [{name, labels, taints}]`. Default: the platform's.",
)
@click.option(
    "--kube-version",
    metavar="X.Y",
    help="With --manifests or --helm: the Kubernetes version. Default: the platform's.",
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
@click.pass_obj
def validate_cmd(
    repo: Path,
    envs: tuple[str, ...],
    fmt: str,
    manifests: str | None,
    node_groups: Path | None,
    kube_version: str | None,
    crds: tuple[Path, ...],
    helm: bool,
    chart_cache: Path | None,
) -> None:
    """Check sources and committed output (or any manifests) against schemas and policies.

    Exit 0 when no error-level finding remains, 1 when one does, 2 for unusable input.
    """
    request = commands.ValidateRequest(
        envs, fmt, manifests, node_groups, kube_version, crds, helm, chart_cache
    )
    _run(lambda: commands.validate_any(repo, request))


@cli.command("rules")
@click.argument("rule", required=False)
@click.option("--markdown", is_flag=True, help="Print the catalog as docs/rules.md.")
def rules_cmd(rule: str | None, markdown: bool) -> None:
    """List every rule, or print one rule's rationale, options and examples."""
    _run(lambda: commands.rules_command(rule, markdown))


@cli.command("diff")
@click.argument("envs", nargs=-1, metavar="[ENV_A ENV_B]")
@click.option("--against", metavar="REF", help="Compare the working tree's sources with a git ref.")
@click.option("--allow-deletions", is_flag=True, help="With --against: exit 0 past the limit.")
@click.option(
    "--max-deletions",
    type=float,
    metavar="SHARE",
    help="With --against: the share of an environment's Applications a change may delete "
    "(default 0.3); more is a warning and exit 1.",
)
@click.option("--format", "fmt", default="text", show_default=True, metavar="text|json")
@click.pass_obj
def diff_cmd(
    repo: Path,
    envs: tuple[str, ...],
    against: str | None,
    allow_deletions: bool,
    max_deletions: float | None,
    fmt: str,
) -> None:
    """Show what differs between two environments, or what the sources change since a git ref.

    Exit 0, or 1 when --against would delete too many Applications; 2 for unusable input.
    """
    from gitopsctl.diff.changes import diff_command

    _run(lambda: diff_command(repo, envs, against, allow_deletions, max_deletions, fmt))


@cli.command("graph")
@click.option("--env", required=True, metavar="ENV", help="The environment.")
@click.option("--format", "fmt", default="mermaid", show_default=True, metavar="mermaid|dot")
@click.pass_obj
def graph_cmd(repo: Path, env: str, fmt: str) -> None:
    """Print an environment's apps and databases with their sync waves and dependencies."""
    from gitopsctl.render.graph import graph_command

    _run(lambda: graph_command(repo, env, fmt))


def main() -> None:
    cli(prog_name=Path(sys.argv[0]).name)


if __name__ == "__main__":
    main()
