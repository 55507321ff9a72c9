"""Values that remember where each piece came from, and the deep merge of layers.

Merge semantics: mappings merge key by key, anything else (lists and scalars) replaces what was
below, and an explicit ``null`` removes the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from gitopsctl.paths import ValuePath, lookup, walk_paths
from gitopsctl.yaml import reader
from gitopsctl.yaml.reader import PosMap, PosSeq


class Origin(NamedTuple):
    """The source position that set a value, and the layer it belongs to."""

    file: str
    line: int
    column: int
    layer: str

    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Tracked:
    """Plain data plus the origin of every mapping entry, list item and leaf."""

    data: dict[str, Any] = field(default_factory=dict)
    origins: dict[ValuePath, Origin] = field(default_factory=dict)

    def set(self, path: ValuePath, value: Any, origin: Origin) -> None:
        """Set a value at a path, creating mappings on the way; every new piece gets the origin."""
        origins = _origins_below(path, value, origin)
        for end in range(1, len(path)):
            if path[:end] in self.origins:
                del origins[path[:end]]
        self.merge(Tracked(_nest(path, value), origins))

    def merge(self, over: Tracked) -> None:
        """Layer ``over`` on top of this one: each path of the result keeps the origin ``over``
        gives it, else the one it had; only the paths ``over`` touches are visited."""
        before = self.data
        self.data = merge_values(before, over.data)
        _merge_origins(self.origins, before, self.data, over.data, over.origins, ())

    def get(self, path: ValuePath) -> Any:
        return lookup(self.data, path)[1]

    def origin(self, path: ValuePath) -> Origin | None:
        """The origin of a path, or of its closest ancestor that has one."""
        for end in range(len(path), -1, -1):
            found = self.origins.get(path[:end])
            if found is not None:
                return found
        return None


def merge_values(base: Any, over: Any) -> Any:
    if not (isinstance(base, dict) and isinstance(over, dict)):
        return over
    merged = dict(base)
    for key, value in over.items():
        if value is None:
            merged.pop(key, None)
        elif key in merged:
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = merge_values({}, value) if isinstance(value, dict) else value
    return merged


def _merge_origins(
    origins: dict[ValuePath, Origin],
    before: dict[str, Any],
    after: dict[str, Any],
    over: dict[str, Any],
    above: Mapping[ValuePath, Origin],
    path: ValuePath,
) -> None:
    """Update ``origins`` (those of ``before``) in place to those of ``after``, the result of
    merging ``over`` (with the origins ``above``) into ``before`` at ``path``."""
    for key, value in over.items():
        child = (*path, key)
        old = before.get(key, _MISSING)
        if key not in after:  # removed by an explicit null
            _forget(origins, walk_paths(old, child) if old is not _MISSING else ())
        elif isinstance(value, dict) and isinstance(old, dict):  # merged key by key
            _keep_or_take(origins, child, above)
            _merge_origins(origins, old, after[key], value, above, child)
        else:  # added, or replaced with everything below it
            fresh = list(walk_paths(after[key], child))
            stale = set(walk_paths(old, child)) if old is not _MISSING else set()
            _forget(origins, stale.difference(fresh))
            for fresh_path in fresh:
                _keep_or_take(origins, fresh_path, above)


_MISSING = object()


def _keep_or_take(
    origins: dict[ValuePath, Origin], path: ValuePath, above: Mapping[ValuePath, Origin]
) -> None:
    origin = above.get(path) or origins.get(path)
    if origin is None:
        origins.pop(path, None)
    else:
        origins[path] = origin


def _forget(origins: dict[ValuePath, Origin], paths: Iterable[ValuePath]) -> None:
    for path in paths:
        origins.pop(path, None)


def from_node(node: Any, file: str, layer: str, prefix: ValuePath = ()) -> Tracked:
    """Plain data from a round-trip node, each entry's origin the position of its key or item."""
    origins: dict[ValuePath, Origin] = {}
    _collect_origins(node, file, layer, prefix, origins)
    data = reader.to_plain(node)
    return Tracked(_nest(prefix, data) if prefix else data, origins)


def _collect_origins(
    node: Any, file: str, layer: str, prefix: ValuePath, out: dict[ValuePath, Origin]
) -> None:
    if isinstance(node, PosMap):
        for key, value in node.items():
            _record(out, (*prefix, str(key)), reader.key_position(node, key), file, layer)
            _collect_origins(value, file, layer, (*prefix, str(key)), out)
    elif isinstance(node, PosSeq):
        for index, value in enumerate(node):
            _record(out, (*prefix, index), reader.key_position(node, index), file, layer)
            _collect_origins(value, file, layer, (*prefix, index), out)


def _record(
    out: dict[ValuePath, Origin],
    path: ValuePath,
    position: reader.Position | None,
    file: str,
    layer: str,
) -> None:
    if position is not None:
        out[path] = Origin(file, position[0], position[1], layer)


def _nest(path: ValuePath, value: Any) -> Any:
    for key in reversed(path):
        value = {key: value}
    return value


def _origins_below(path: ValuePath, value: Any, origin: Origin) -> dict[ValuePath, Origin]:
    origins = {path[:end]: origin for end in range(1, len(path) + 1)}
    for below in walk_paths(value, path):
        origins[below] = origin
    return origins
