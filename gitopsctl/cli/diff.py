"""`diff`: the promotion view between two environments, or what the sources change since a git
ref, with a guard against mass deletion."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from gitopsctl.cli.running import run
from gitopsctl.errors import EXIT_FINDINGS, EXIT_OK, InputError


@click.command("diff")
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
def command(
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
    run(lambda: diff_command(repo, envs, against, allow_deletions, max_deletions, fmt))


def diff_command(
    repo: Path,
    envs: Sequence[str],
    against: str | None,
    allow_deletions: bool,
    max_deletions: float | None,
    fmt: str,
) -> int:
    """``diff ENV_A ENV_B`` or ``diff --against REF``: exactly one of the two forms."""
    from gitopsctl.diff import changes

    if fmt not in changes.DIFF_FORMATS:
        raise InputError(f"unknown format {fmt!r} (known: {', '.join(changes.DIFF_FORMATS)})")
    if against is None:
        if allow_deletions or max_deletions is not None:
            raise InputError("--allow-deletions and --max-deletions go with --against REF")
        if len(envs) != 2:
            raise InputError("diff takes two environments (ENV_A ENV_B), or --against REF")
        return diff_environments_command(repo, envs[0], envs[1], fmt)
    if envs:
        raise InputError("diff takes either two environments or --against REF, not both")
    share = changes.DEFAULT_MAX_DELETIONS if max_deletions is None else max_deletions
    return diff_against_command(repo, against, allow_deletions, share, fmt)


def diff_environments_command(repo: Path, env_a: str, env_b: str, fmt: str) -> int:
    """The promotion view; always exit 0 (it reports, it does not judge)."""
    from gitopsctl.diff import changes
    from gitopsctl.pipeline import load_and_render

    rendering = load_and_render(repo, [env_a, env_b])
    environments = rendering.environments
    apps = changes.compare_apps(environments[env_a], environments[env_b])
    text = changes.environments_json if fmt == "json" else changes.environments_text
    sys.stdout.write(text(env_a, env_b, apps))
    return EXIT_OK


def diff_against_command(
    repo: Path, ref: str, allow_deletions: bool, max_deletions: float, fmt: str
) -> int:
    """Exit 1 when an environment would lose more than ``max_deletions`` of its Applications,
    unless ``allow_deletions``; the warnings go to standard error."""
    from gitopsctl.diff import changes

    if not 0 <= max_deletions <= 1:
        raise InputError(f"--max-deletions is a share from 0 to 1, not {max_deletions}")
    location = changes.git_location(repo)  # not a git work tree: say so before rendering anything
    now = changes.render_working_tree(repo)
    commit, before = changes.render_at_ref(location, ref)
    environments = changes.compare_renderings(before, now)
    if fmt == "json":
        sys.stdout.write(
            changes.against_json(ref, commit, environments, max_deletions, allow_deletions)
        )
    else:
        sys.stdout.write(changes.against_text(ref, commit, environments))
    warnings = changes.over_deletion_limit(environments, max_deletions)
    for warning in warnings:
        print(changes.deletion_message(warning, max_deletions, allow_deletions), file=sys.stderr)
    return EXIT_FINDINGS if warnings and not allow_deletions else EXIT_OK
