"""The node groups of a repository's Terraform folder, kept in the results cache.

python-hcl2 parses in pure Python: an EKS folder costs about 0.1 s to parse and 0.08 s to import
the parser, in every command that reads the sources. The groups read are kept in
`.gitopsctl/cache/` under the digest of the folder's `.tf` files (names and bytes) and of this
tool's code, so a command finds them again while no `.tf` file changed. Problems are never
kept: a folder that does not read is parsed again, and diagnosed, every time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gitopsctl.kube.scheduling import NodeGroup, Taint

ENTRY = "node-groups"
_STRINGS = ("name",)
_OPTIONAL_STRINGS = ("arch", "capacity_type")
_LISTS = ("zones", "instance_types")
_SIZES = ("min_size", "max_size", "desired_size")


def node_groups(repo: Path, name: str) -> list[NodeGroup]:
    """The node groups of the Terraform folder ``name`` (relative to ``repo``, already checked
    to stay inside it), from the cache when its `.tf` files are the ones read before."""
    from gitopsctl.render import cache

    folder = repo / name
    key = _key(folder, name) if cache.enabled() else None
    if key is not None:
        found = _groups(cache.load(repo, ENTRY, key))
        if found is not None:
            return found
    from gitopsctl.sources import terraform

    groups = terraform.read_node_groups(folder, name)
    if key is not None and _key(folder, name) == key:  # no file changed while it was read
        cache.store(repo, ENTRY, key, [_record(group) for group in groups])
    return groups


def _key(folder: Path, name: str) -> str | None:
    """The digest of the folder's `.tf` files as `read_node_groups` lists them; None when the
    folder cannot be listed or read (the parse then says why)."""
    from gitopsctl.render.digests import code_identity

    digest = hashlib.sha256(code_identity().encode())
    digest.update(name.encode() + b"\0")
    try:
        paths = sorted(path for path in folder.iterdir() if path.suffix == ".tf" and path.is_file())
        for path in paths:
            content = path.read_bytes()
            digest.update(f"{path.name}\0{len(content)}\0".encode())
            digest.update(content)
    except OSError:
        return None
    return digest.hexdigest()


def _record(group: NodeGroup) -> dict[str, Any]:
    record = group._asdict()
    record["labels"] = dict(group.labels)
    record["taints"] = [list(taint) for taint in group.taints]
    record["zones"], record["instance_types"] = list(group.zones), list(group.instance_types)
    return record


def _groups(payload: Any) -> list[NodeGroup] | None:
    """The groups a cache entry holds; None for anything this module does not write."""
    if not isinstance(payload, list):
        return None
    groups = []
    for record in payload:
        group = _group(record)
        if group is None:
            return None
        groups.append(group)
    return groups


def _group(record: Any) -> NodeGroup | None:
    if not isinstance(record, Mapping) or set(record) != set(NodeGroup._fields):
        return None
    labels, taints = record["labels"], record["taints"]
    valid = (
        all(isinstance(record[field], str) for field in _STRINGS)
        and all(
            record[field] is None or isinstance(record[field], str) for field in _OPTIONAL_STRINGS
        )
        and all(_strings(record[field]) for field in _LISTS)
        and all(_size(record[field]) for field in _SIZES)
        and isinstance(labels, Mapping)
        and _strings(list(labels))
        and _strings(list(labels.values()))
        and isinstance(taints, list)
        and all(isinstance(taint, list) and len(taint) == 3 and _strings(taint) for taint in taints)
    )
    if not valid:
        return None
    return NodeGroup(
        name=record["name"],
        labels=dict(labels),
        taints=tuple(Taint(*taint) for taint in taints),
        zones=tuple(record["zones"]),
        instance_types=tuple(record["instance_types"]),
        arch=record["arch"],
        capacity_type=record["capacity_type"],
        min_size=record["min_size"],
        max_size=record["max_size"],
        desired_size=record["desired_size"],
    )


def _strings(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(value, str) for value in values)


def _size(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))
