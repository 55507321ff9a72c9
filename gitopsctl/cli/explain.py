"""`explain`: an app's effective values with the source line that set each one."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gitopsctl.cli.running import run
from gitopsctl.errors import EXIT_OK


@click.command("explain")
@click.option("--env", required=True, metavar="ENV", help="The environment.")
@click.option("--app", required=True, metavar="APP", help="The app or database name.")
@click.pass_obj
def command(repo: Path, env: str, app: str) -> None:
    """Print an app's effective values with the source file:line that set each one."""
    run(lambda: explain_command(repo, env, app))


def explain_command(repo: Path, env: str, app: str) -> int:
    from gitopsctl.pipeline import load_and_render
    from gitopsctl.render.explain import explain

    rendering = load_and_render(repo, [env])
    sys.stdout.write(explain(rendering, env, app))
    return EXIT_OK
