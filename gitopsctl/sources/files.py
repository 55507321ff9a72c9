"""Reading the hand-written sources: each file parsed with positions, checked against its schema."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitopsctl.errors import InputError, Problem
from gitopsctl.kube.scheduling import NodeGroup
from gitopsctl.repofiles import escaping_link, escaping_links
from gitopsctl.sources import schemas
from gitopsctl.yaml import reader
from gitopsctl.yaml.reader import PosMap

SOURCES = "sources"
PLATFORM_FILE = f"{SOURCES}/platform.yaml"
KIND_DIRS = {"environment": "environments", "app": "apps", "profile": "profiles"}
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class SourceFile:
    """One parsed source document; ``name`` is the repo-relative path used in messages."""

    name: str
    node: PosMap

    @property
    def stem(self) -> str:
        return Path(self.name).stem


@dataclass(frozen=True)
class SourceFiles:
    platform: SourceFile
    environments: dict[str, SourceFile]
    apps: dict[str, SourceFile]
    profiles: dict[str, SourceFile]
    # Read from Terraform when the platform file says `nodeGroups: {terraform: DIR}`
    terraform_node_groups: tuple[NodeGroup, ...] | None = None


# How a Terraform folder's node groups are read: (repository, folder in it) -> groups.
NodeGroupReader = Callable[[Path, str], list[NodeGroup]]


def read_sources(repo: Path, read_node_groups: NodeGroupReader | None = None) -> SourceFiles:
    """Parse and schema-check every source file; all problems are reported together.
    ``read_node_groups`` reads a Terraform folder's node groups (default: parse it)."""
    if not (repo / SOURCES).is_dir():
        raise InputError(
            Problem(
                f"no {SOURCES}/ folder in {repo}: run from a repository root or pass --repo DIR"
            )
        )
    problems: list[Problem] = []
    platform = _read(repo, PLATFORM_FILE, "platform", problems)
    groups = {kind: _read_dir(repo, folder, kind, problems) for kind, folder in KIND_DIRS.items()}
    if not groups["environment"] and not problems:
        problems.append(Problem(f"no environments: add a file under {SOURCES}/environments/"))
    if problems or platform is None:
        raise InputError(list(dict.fromkeys(problems)))  # a linked folder: once, not per file
    node_groups = terraform_node_groups(repo, platform, read_node_groups)
    return SourceFiles(
        platform, groups["environment"], groups["app"], groups["profile"], node_groups
    )


def read_platform(repo: Path) -> SourceFile:
    """Only the platform file: what `validate --manifests` needs of a repository."""
    problems: list[Problem] = []
    platform = _read(repo, PLATFORM_FILE, "platform", problems)
    if platform is None:
        raise InputError(problems)
    return platform


def terraform_folder(platform: SourceFile) -> str | None:
    """The Terraform folder the platform file reads its node groups from, if it names one."""
    declared = platform.node.get("nodeGroups")
    return str(declared["terraform"]) if isinstance(declared, Mapping) else None


def terraform_node_groups(
    repo: Path, platform: SourceFile, read_node_groups: NodeGroupReader | None = None
) -> tuple[NodeGroup, ...] | None:
    """The node groups of the Terraform folder the platform file names (None when it lists
    them itself). The folder and its files are read only inside the repository."""
    folder = terraform_folder(platform)
    if folder is None:
        return None
    name = Path(os.path.normpath(folder)).as_posix()
    if name == ".." or name.startswith("../"):
        raise _terraform_problem(platform, f"{folder!r} is outside the repository: it is not read")
    escaping = escaping_links(repo, name)
    if escaping:
        raise InputError(escaping)
    if not (repo / name).is_dir():
        raise _terraform_problem(platform, f"no folder {name} in the repository")
    return tuple((read_node_groups or _parsed_node_groups)(repo, name))


def _parsed_node_groups(repo: Path, name: str) -> list[NodeGroup]:
    from gitopsctl.sources import terraform

    return terraform.read_node_groups(repo / name, name)


def _terraform_problem(platform: SourceFile, message: str) -> InputError:
    line, column = reader.deepest_position(platform.node, ("nodeGroups", "terraform"))
    return InputError(Problem(f"nodeGroups.terraform: {message}", platform.name, line, column))


def _read_dir(repo: Path, folder: str, kind: str, problems: list[Problem]) -> dict[str, SourceFile]:
    found: dict[str, SourceFile] = {}
    directory = repo / SOURCES / folder
    if not directory.is_dir():
        return found
    for path in sorted(directory.iterdir()):
        name = f"{SOURCES}/{folder}/{path.name}"
        if path.suffix == ".yml":
            problems.append(
                Problem(f"rename to {path.stem}.yaml: sources use the .yaml suffix", name)
            )
        if path.suffix != ".yaml":
            continue
        if not DNS_LABEL.match(path.stem):
            problems.append(Problem(_bad_name(kind, path.stem), name))
            continue
        source = _read(repo, name, kind, problems)
        if source is not None:
            found[path.stem] = source
    return found


def _bad_name(kind: str, stem: str) -> str:
    return (
        f"{kind} name {stem!r} is not a DNS-1123 label: use lower-case letters, digits and '-', "
        "starting and ending with a letter or digit, at most 63 characters"
    )


def parse_source(text: str, name: str, kind: str) -> SourceFile:
    """A source file's text read and checked as `read_sources` reads it; problems raise
    InputError."""
    problems: list[Problem] = []
    source = _checked(reader.parse(text, name), name, kind, problems)
    if source is None:
        raise InputError(problems)
    return source


def _read(repo: Path, name: str, kind: str, problems: list[Problem]) -> SourceFile | None:
    escaping = escaping_link(repo, name)
    if escaping is not None:  # named, never opened
        problems.append(escaping)
        return None
    if not (repo / name).is_file():
        problems.append(Problem(f"missing {kind} file", name))
        return None
    try:
        node: Any = reader.load_file(repo / name, name)
    except InputError as error:
        problems.extend(error.problems)
        return None
    return _checked(node, name, kind, problems)


def _checked(node: Any, name: str, kind: str, problems: list[Problem]) -> SourceFile | None:
    if not isinstance(node, PosMap):
        problems.append(
            Problem(f"the {kind} file must be a YAML mapping of keys to values", name, 1, 1)
        )
        return None
    found = schemas.check(kind, node, name)
    problems.extend(found)
    return None if found else SourceFile(name, node)
