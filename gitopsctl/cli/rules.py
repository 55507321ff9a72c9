"""`rules`: the rule catalog, one rule's documentation, or docs/rules.md."""

from __future__ import annotations

import sys

import click

from gitopsctl.cli.running import run
from gitopsctl.errors import EXIT_OK, InputError


@click.command("rules")
@click.argument("rule", required=False)
@click.option("--markdown", is_flag=True, help="Print the catalog as docs/rules.md.")
def command(rule: str | None, markdown: bool) -> None:
    """List every rule, or print one rule's rationale, options and examples."""
    run(lambda: rules_command(rule, markdown))


def rules_command(rule_id: str | None, markdown: bool = False) -> int:
    from gitopsctl.report import catalog

    if markdown:
        sys.stdout.write(catalog.markdown(catalog.CHECKS.values()))
        return EXIT_OK
    if rule_id is None:
        sys.stdout.write(catalog.listing(catalog.CHECKS.values()))
        return EXIT_OK
    if rule_id not in catalog.CHECKS:
        raise InputError(f"unknown rule {rule_id!r}; `python render.py rules` lists them")
    sys.stdout.write(catalog.describe(catalog.CHECKS[rule_id]))
    return EXIT_OK
