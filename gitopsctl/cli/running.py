"""The one place where a command's outcome becomes the process's exit code.

0 success, 1 findings, 2 unusable input or options (`InputError`), 3 an internal error: any other
exception is a bug in this tool, shown as one line (the traceback only with `--debug`). Ctrl-C
(SIGINT) is 130, never 1: a script must not take an interrupted check for findings.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from typing import NoReturn

import click

from gitopsctl.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, InputError

ENV_HELP = "Limit to this environment (repeat for several). Default: every environment."
DEBUG = "gitopsctl.debug"  # the key of `--debug` in click's context meta


def run(command: Callable[[], int]) -> NoReturn:
    """Run a command function and exit with its code: 2 for unusable input, 3 for a bug."""
    sys.exit(outcome(command, debugging()))


def outcome(command: Callable[[], int], debug: bool) -> int:
    """The command's exit code; unusable input and unexpected exceptions are printed here."""
    try:
        return command()
    except InputError as error:
        for problem in error.problems:
            click.echo(f"error: {problem}", err=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        click.echo("interrupted by SIGINT", err=True)
        return EXIT_INTERRUPTED
    except (click.ClickException, click.exceptions.Exit, click.Abort):  # click handles its own
        raise
    except Exception as error:  # anything else is a bug: never a bare traceback
        report_internal_error(error, debug)
        return EXIT_INTERNAL


def report_internal_error(error: BaseException, debug: bool) -> None:
    if debug:
        click.echo("".join(traceback.format_exception(error)), err=True, nl=False)
        return
    message = " ".join(str(error).split())  # one line, whatever the exception holds
    what = f"{type(error).__name__}: {message}" if message else type(error).__name__
    click.echo(f"internal error: {what} (rerun with --debug for the traceback)", err=True)


def debugging() -> bool:
    """Whether `--debug` was given to the command group."""
    context = click.get_current_context(silent=True)
    return bool(context is not None and context.meta.get(DEBUG, False))
