"""The one place where a command's outcome becomes the process's exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

import click

from gitopsctl.errors import EXIT_USAGE, InputError

ENV_HELP = "Limit to this environment (repeat for several). Default: every environment."


def run(command: Callable[[], int]) -> NoReturn:
    """Run a command function; unusable input is printed and becomes exit code 2."""
    try:
        code = command()
    except InputError as error:
        for problem in error.problems:
            click.echo(f"error: {problem}", err=True)
        code = EXIT_USAGE
    sys.exit(code)
