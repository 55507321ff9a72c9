"""The command group: `--repo`, and one sub-command per module of this package.

Exit codes: 0 success, 1 findings (stale output, error-level findings), 2 unusable input or options.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gitopsctl.cli import diff, explain, graph, render, rules, validate


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


for module in (render, explain, validate, rules, diff, graph):
    cli.add_command(module.command)


def main() -> None:
    cli(prog_name=Path(sys.argv[0]).name)
