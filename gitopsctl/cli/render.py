"""`render`: write the sources' rendering into applications/ and rendered/, or `--check` it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gitopsctl.cli.running import ENV_HELP, run
from gitopsctl.errors import EXIT_FINDINGS, EXIT_OK

if TYPE_CHECKING:
    from gitopsctl.render.output import Plan


@click.command("render")
@click.option("--env", "envs", multiple=True, metavar="ENV", help=ENV_HELP)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 with a diff if the committed output is stale.",
)
@click.pass_obj
def command(repo: Path, envs: tuple[str, ...], check: bool) -> None:
    """Render sources/ into applications/ and rendered/ (atomically, pruning stale files)."""
    run(lambda: render_command(repo, envs, check))


def render_command(repo: Path, envs: Sequence[str], check: bool) -> int:
    from gitopsctl.pipeline import load_and_render
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
