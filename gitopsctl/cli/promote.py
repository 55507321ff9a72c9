"""`promote`: carry one environment's chart versions and promoted values to the next, editing
its source file as a careful human would, then render."""

from __future__ import annotations

import contextlib
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gitopsctl.cli.running import run
from gitopsctl.errors import EXIT_FINDINGS, EXIT_OK, InputError

if TYPE_CHECKING:
    from gitopsctl.diff.promotion import Promotion, Request
    from gitopsctl.findings import Finding


@click.command("promote")
@click.argument("apps", nargs=-1, metavar="[APP]...")
@click.option("--to", "target", required=True, metavar="ENV", help="The environment to change.")
@click.option(
    "--from",
    "source",
    metavar="ENV",
    help="The environment to promote from. Default: the one before --to in `promotion`.",
)
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option("--format", "fmt", default="text", show_default=True, metavar="text|json")
@click.pass_obj
def command(
    repo: Path,
    apps: tuple[str, ...],
    target: str,
    source: str | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Set the chart version and the `promote` values of each APP (default: every app enabled
    in both) in --to's source file to what --from runs, then render.

    Exit 0, or 1 when --from has an error-level finding (nothing is written); 2 for unusable
    input.
    """
    from gitopsctl.diff.promotion import Request

    run(lambda: promote_command(repo, Request(target, source, apps), dry_run, fmt))


def promote_command(repo: Path, request: Request, dry_run: bool, fmt: str) -> int:
    """Promote only what validates: the source environment must have no error-level finding."""
    from gitopsctl.diff import changes, promotion

    if fmt not in changes.DIFF_FORMATS:
        raise InputError(f"unknown format {fmt!r} (known: {', '.join(changes.DIFF_FORMATS)})")
    route = promotion.resolve(repo, request)
    blocking = promotion.blocking_findings(repo, route.source, date.today())
    if blocking:
        _report_blocking(route.source, blocking)
        return EXIT_FINDINGS
    promoted = promotion.promote(repo, route)
    written = [route.file] if promoted.changed and not dry_run else []
    if written:
        _write_and_render(repo, promoted)
    if fmt == "json":
        report = changes.promotion_json(route.source, route.target, promoted.apps, dry_run, written)
    else:
        report = changes.promotion_text(
            route.source, route.target, promoted.apps, _outcome(promoted, dry_run)
        )
    sys.stdout.write(report)
    return EXIT_OK


def _report_blocking(source: str, blocking: list[Finding]) -> None:
    from gitopsctl.report.catalog import rule_infos
    from gitopsctl.report.formatters import format_report

    sys.stderr.write(format_report("text", blocking, rule_infos()))
    click.echo(
        f"error: {source} has error-level findings: nothing promoted "
        f"(`python render.py validate --env {source}` lists them)",
        err=True,
    )


def _write_and_render(repo: Path, promoted: Promotion) -> None:
    """The edited source, then the output rendered as `render` does; the source is put back
    if the render fails, so nothing is left half done. The render's summary goes to standard
    error: standard output is the report."""
    from gitopsctl.cli.render import LOCK_TIMEOUT, render_command
    from gitopsctl.diff.promotion import write_source

    file = promoted.route.file
    write_source(repo, file, promoted.edited)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            render_command(repo, (), False, LOCK_TIMEOUT)
    except BaseException:
        write_source(repo, file, promoted.text)
        raise


def _outcome(promoted: Promotion, dry_run: bool) -> str:
    if not promoted.changed:
        return "nothing to promote"
    if dry_run:
        return "dry run: nothing written"
    return f"{promoted.route.file} updated and the output rendered"
