"""The command group: `--repo`, and one sub-command per module of this package.

Exit codes: 0 success, 1 findings (stale output, error-level findings), 2 unusable input or options,
3 an internal error (a bug: one line, or the traceback with `--debug`), 130 interrupted by Ctrl-C
(a render also ends with 143 on SIGTERM).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from gitopsctl.cli import (
    charts,
    diff,
    explain,
    graph,
    node_groups,
    promote,
    render,
    rules,
    validate,
)
from gitopsctl.cli.running import DEBUG, report_internal_error
from gitopsctl.errors import EXIT_INTERNAL

ENVIRONMENT_HELP = """\b
Environment variables:
  GITOPSCTL_NO_CACHE=1  never use the results cache in .gitopsctl/cache/ nor
                        the stored renderings (neither is used when CI is set)
  GITOPSCTL_JOBS=N      validate: check the environments in N processes
                        (default: the usable cores, 4 at most; 1: none forked)
  XDG_CACHE_HOME        where the chart cache and the stored renderings are
                        (DIR/gitopsctl/charts, DIR/gitopsctl/renderings)
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=ENVIRONMENT_HELP)
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default="the current directory",
    help="Repository root holding sources/, charts/, applications/ and rendered/.",
)
@click.option(
    "--debug",
    is_flag=True,
    help="On an internal error (exit 3), print the traceback instead of one line.",
)
@click.pass_context
def cli(context: click.Context, repo: Path, debug: bool) -> None:
    """Render and validate a GitOps repository of Argo CD Applications and Helm values."""
    context.meta[DEBUG] = debug
    context.obj = Path(os.path.realpath(repo))  # Path.resolve() raises on a symlink loop


for module in (render, explain, validate, rules, diff, promote, graph, charts, node_groups):
    cli.add_command(module.command)


# A command allocates hundreds of thousands of small objects that live until it ends and hold
# almost no cycles; with the default threshold (700) the cyclic collector rescans them over and
# over, about a tenth of a repository check. Reference counting still frees all the rest.
GC_THRESHOLDS = (100_000, 50, 100)


def main() -> None:
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        cli(prog_name=Path(sys.argv[0]).name)
    except Exception as error:  # escaped before a command ran, where run() could catch it
        report_internal_error(error, "--debug" in sys.argv[1:])
        sys.exit(EXIT_INTERNAL)


def main_and_exit() -> NoReturn:
    """`main`, then the process ends at once, its output flushed: freeing the hundreds of
    thousands of objects a repository check leaves, one by one, would take longer than some
    commands (0.03 s after a `validate` of 1,000 Applications). Nothing is left to tear down:
    files and folders are closed and threads joined when a command returns. Under a profiler
    or a coverage tool, Python exits as usual, so that they write their reports."""
    try:
        main()
        code: object = 0
    except SystemExit as done:
        code = done.code
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # a message, as sys.exit takes one
        print(code, file=sys.stderr)
        status = 1
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(status)  # a profiler or coverage tool writes its report as Python exits
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that is gone (`| head`)
            stream.flush()
    os._exit(status)
