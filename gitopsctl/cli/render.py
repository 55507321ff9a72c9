"""`render`: write the sources' rendering into applications/ and rendered/, or `--check` it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gitopsctl.cli.running import ENV_HELP, run
from gitopsctl.errors import EXIT_FINDINGS, EXIT_OK

if TYPE_CHECKING:
    from gitopsctl.render.interrupts import Interrupted
    from gitopsctl.render.output import Plan

LOCK_TIMEOUT = 10.0


@click.command("render")
@click.option("--env", "envs", multiple=True, metavar="ENV", help=ENV_HELP)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 with a diff if the committed output is stale.",
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=LOCK_TIMEOUT,
    show_default=True,
    envvar="GITOPSCTL_LOCK_TIMEOUT",
    show_envvar=True,
    metavar="SECONDS",
    help="How long to wait for another render of the repository before giving up (exit 2).",
)
@click.pass_obj
def command(repo: Path, envs: tuple[str, ...], check: bool, lock_timeout: float) -> None:
    """Render sources/ into applications/ and rendered/ (atomically, pruning stale files)."""
    run(lambda: interruptible(lambda: render_command(repo, envs, check, lock_timeout), check))


def interruptible(command: Callable[[], int], check: bool) -> int:
    """SIGINT and SIGTERM end the command with 128 + the signal's number and a message."""
    from gitopsctl.render.interrupts import Interrupted, raising

    try:
        with raising():
            return command()
    except Interrupted as interruption:
        click.echo(_interrupted(interruption, check), err=True)
        return interruption.exit_code


def _interrupted(interruption: Interrupted, check: bool) -> str:
    if check:
        outcome = "nothing was written"
    elif interruption.switched:
        outcome = "the switch in progress was finished first"
    else:
        outcome = "the output is unchanged"
    return f"interrupted by {interruption.name}: {outcome}"


def render_command(repo: Path, envs: Sequence[str], check: bool, lock_timeout: float) -> int:
    from gitopsctl.render import lock

    def waiting(holder: str) -> None:
        click.echo(
            f"waiting up to {lock_timeout:g} s for another render of this repository ({holder})",
            err=True,
        )

    if check:
        with lock.shared(repo, lock_timeout, waiting):
            return check_command(repo, envs)
    with lock.exclusive(repo, lock_timeout, waiting):
        return write_command(repo, envs)


def check_command(repo: Path, envs: Sequence[str]) -> int:
    from gitopsctl.pipeline import remembered_check

    found = remembered_check(repo, envs)
    if found.stale is None:
        print(f"up to date: {found.files} files")
        return EXIT_OK
    from gitopsctl.render import output

    sys.stdout.write(output.diff(repo, found.stale))
    print(_stale_summary(found.stale), file=sys.stderr)
    return EXIT_FINDINGS


def write_command(repo: Path, envs: Sequence[str]) -> int:
    """Finish or discard what an interrupted render left, then render (holding the lock)."""
    from gitopsctl.pipeline import remembered_rendering
    from gitopsctl.render import cache, digests, journal, output

    for leftover in journal.recover(repo):
        print(leftover.recovered())
    inputs = digests.rendering_inputs(repo) if cache.enabled() else None
    rendering = remembered_rendering(repo, envs, inputs)
    plan = output.plan(repo, rendering.files, list(envs) or None)
    for leftover in output.apply(repo, plan):
        print(leftover.recovered())
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
    left = f", {len(plan.leftovers)} left over by an interrupted render" if plan.leftovers else ""
    return (
        f"rendered output is out of date: {stale} stale, {len(plan.missing)} missing, "
        f"{len(plan.prunes)} extra{left}; run `make render` (or `python render.py render`) "
        "and commit"
    )
