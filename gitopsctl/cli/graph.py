"""`graph`: one environment's apps and databases with their sync waves and dependencies."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gitopsctl.cli.running import run
from gitopsctl.errors import EXIT_OK, InputError


@click.command("graph")
@click.option("--env", required=True, metavar="ENV", help="The environment.")
@click.option("--format", "fmt", default="mermaid", show_default=True, metavar="mermaid|dot")
@click.pass_obj
def command(repo: Path, env: str, fmt: str) -> None:
    """Print an environment's apps and databases with their sync waves and dependencies."""
    run(lambda: graph_command(repo, env, fmt))


def graph_command(repo: Path, env: str, fmt: str) -> int:
    from gitopsctl.pipeline import load_and_render
    from gitopsctl.render.graph import GRAPH_FORMATS, graph_of

    if fmt not in GRAPH_FORMATS:
        raise InputError(f"unknown graph format {fmt!r} (known: {', '.join(GRAPH_FORMATS)})")
    rendering = load_and_render(repo, [env])
    sys.stdout.write(GRAPH_FORMATS[fmt](graph_of(rendering.environments[env])))
    return EXIT_OK
