"""`node-groups`: the node groups as the validator sees them, from the platform file or from a
folder of Terraform, in the `--node-groups` file format."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from gitopsctl.cli.running import run
from gitopsctl.errors import EXIT_OK, InputError

NODE_GROUP_FORMATS = ("yaml", "json")


@click.command("node-groups")
@click.option(
    "--terraform",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Read the node groups from this folder of .tf files (EKS module blocks) instead of the "
    "platform file.",
)
@click.option(
    "--format", "fmt", default="yaml", show_default=True, metavar="yaml|json", help="Output format."
)
@click.pass_obj
def command(repo: Path, terraform: Path | None, fmt: str) -> None:
    """Print the node groups the checks use: name, labels, taints, instance types and sizes.

    The output is the `validate --manifests --node-groups FILE` format, extended with
    instanceTypes, minSize, maxSize and desiredSize.
    """
    run(lambda: node_groups_command(repo, terraform, fmt))


def node_groups_command(repo: Path, terraform: Path | None, fmt: str) -> int:
    from gitopsctl.pipeline import node_groups
    from gitopsctl.sources.model import node_group_data

    if fmt not in NODE_GROUP_FORMATS:
        raise InputError(f"unknown format {fmt!r} (known: {', '.join(NODE_GROUP_FORMATS)})")
    data = {"nodeGroups": [node_group_data(group) for group in node_groups(repo, terraform)]}
    if fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        from gitopsctl.yaml.writer import dump

        sys.stdout.write(dump(data))
    return EXIT_OK
