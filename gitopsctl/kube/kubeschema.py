"""Kubernetes object schemas as kubernetes-validate ships them, compiled once and checked fast.

A verdict here is the verdict of ``kubernetes_validate.validate(obj, version, strict)``: the same
version folder, the same schema file for (apiVersion, kind), the same ``$ref`` targets, no
``format`` checks. The difference is cost. kubernetes-validate re-reads and re-resolves the
~1.3 MB ``_definitions.json`` for every object; here each folder's definitions are read once, each
kind's schema is compiled by jsonschema-rs on first use, and every later object of that kind
costs microseconds.

jsonschema-rs and Python's jsonschema classify Python values differently at the edges (a tuple,
a ``Decimal``, ``nan``, a ``datetime.date``, a non-string key). What the YAML readers build
(``PosMap``) holds none of those but non-string keys and non-finite floats, and jsonschema-rs
refuses both (it refuses ``float`` subclasses, and the readers give ``.inf`` and ``.nan`` as one),
so it reads such an object as it is. Any other object, or one it refuses, is copied to plain JSON
values; one holding a value with no exact JSON counterpart is checked by a cached Python
jsonschema validator built the way kubernetes-validate builds its own.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Callable, Mapping
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any, NamedTuple

from gitopsctl.yaml.nodes import ReadMap

if TYPE_CHECKING:
    import jsonschema
    import jsonschema_rs
    import referencing

_SCHEMA_FOLDER = re.compile(r"v(\d+)\.(\d+)\.(\d+)-local(-strict)?")
# kubernetes-validate reads only the leading "major.minor" of the requested version.
_REQUESTED_VERSION = re.compile(r"v?(\d+)\.(\d+)")
# kubernetes-validate drops the group's domain: networking.k8s.io/v1 -> networking-v1.
_API_GROUP_DOMAIN = re.compile(r"^([^./]*)(?:\.[^/]*)?/")


class SchemaError(NamedTuple):
    """One schema violation: the JSON path of the bad field inside the object, and why."""

    path: tuple[str | int, ...]
    message: str


class KubeSchemas:
    """The shipped schemas of one Kubernetes version, compiled per kind on first use.

    >>> schemas = KubeSchemas("1.31")
    >>> schemas.errors({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": 1}})
    [SchemaError(path=('data', 'a'), message='1 is not of types "null", "string"')]
    >>> schemas.errors({"apiVersion": "example.com/v1", "kind": "Widget"}) is None
    True
    """

    def __init__(self, kube_version: str, strict: bool = True) -> None:
        self._version = _shipped_version(kube_version)
        folder = f"v{self._version}-local" + ("-strict" if strict else "")
        self._folder = _schema_folder(os.path.join(_schema_root(), folder))

    @property
    def version(self) -> str:
        """The shipped version whose schemas are used, e.g. "1.31.0"."""
        return self._version

    def has_schema(self, api_version: str, kind: str) -> bool:
        return self._folder.schema(api_version, kind) is not None

    @property
    def api_groups(self) -> frozenset[str]:
        """The API groups the Kubernetes API server itself serves in this version ("" is the
        core group): every other group is a custom resource's, served only once its CRD (or an
        aggregated API) is installed."""
        return self._folder.api_groups

    def errors(self, obj: Mapping[str, Any]) -> list[SchemaError] | None:
        """Every violation in ``obj``, in the validator's order; ``[]`` when it is valid.

        ``None`` when there is no schema: no string apiVersion and kind, or no file for them.
        """
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return None
        schema = self._folder.schema(api_version, kind)
        return None if schema is None else schema.errors(obj)


def supported_versions() -> list[str]:
    """Every Kubernetes version kubernetes-validate ships schemas for, oldest first."""
    found = {m.group(1, 2, 3) for m in map(_SCHEMA_FOLDER.fullmatch, _folder_names()) if m}
    return [".".join(parts) for parts in sorted(found, key=lambda p: tuple(map(int, p)))]


def _shipped_version(requested: str) -> str:
    """The newest shipped version not newer than ``requested``, compared on major.minor.

    kubernetes-validate compares these as strings, so for "1.3" it picks 1.29 ("1.29" <= "1.3");
    here versions are numbers, and versions outside the shipped range are a ValueError.
    """
    shipped = supported_versions()
    match = _REQUESTED_VERSION.match(requested)
    if match and shipped:
        wanted = _major_minor(match.group(1, 2))
        fitting = [v for v in shipped if _major_minor(v.split(".")) <= wanted]
        if fitting and wanted <= _major_minor(shipped[-1].split(".")):
            return fitting[-1]
    raise ValueError(
        f"no Kubernetes schemas for version {requested!r}; "
        f"kubernetes-validate ships {', '.join(shipped) or 'none'}"
    )


def _major_minor(parts: tuple[str, ...] | list[str]) -> tuple[int, int]:
    return int(parts[0]), int(parts[1])


def _schema_file_name(api_version: str, kind: str) -> str:
    group_version = _API_GROUP_DOMAIN.sub(r"\1-", api_version)
    return f"{kind.lower()}-{group_version}.json"


@functools.cache
def _schema_root() -> str:
    # find_spec locates the package without importing it (and its jsonschema, yaml, ...).
    spec = find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "kubernetes-validate is not installed", name="kubernetes_validate"
        )
    return os.path.join(spec.submodule_search_locations[0], "kubernetes-json-schema")


@functools.cache
def _folder_names() -> tuple[str, ...]:
    return tuple(os.listdir(_schema_root()))


@functools.cache
def _schema_folder(path: str) -> _SchemaFolder:
    """One folder per process, so every KubeSchemas of a version shares its compiled schemas."""
    return _SchemaFolder(path)


class _SchemaFolder:
    """A ``vX.Y.Z-local[-strict]`` folder: listed once, each kind's schema compiled on demand."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._file_names = frozenset(os.listdir(path))
        self._by_kind: dict[tuple[str, str], _KindSchema | None] = {}
        self._by_file: dict[str, _KindSchema] = {}

    def schema(self, api_version: str, kind: str) -> _KindSchema | None:
        key = (api_version, kind)
        if key not in self._by_kind:
            self._by_kind[key] = self._lookup(_schema_file_name(api_version, kind))
        return self._by_kind[key]

    def _lookup(self, file_name: str) -> _KindSchema | None:
        if file_name not in self._file_names:
            return None
        if file_name not in self._by_file:
            self._by_file[file_name] = _KindSchema(self, file_name)
        return self._by_file[file_name]

    def read(self, file_name: str) -> dict[str, Any]:
        import json

        with open(os.path.join(self.path, file_name), encoding="utf-8") as stream:
            document: dict[str, Any] = json.load(stream)
        return document

    @functools.cached_property
    def definitions(self) -> dict[str, Any]:
        return self.read("_definitions.json")

    @functools.cached_property
    def api_groups(self) -> frozenset[str]:
        definitions = self.definitions.get("$defs") or self.definitions.get("definitions") or {}
        return frozenset(
            str(kind["group"])
            for definition in definitions.values()
            for kind in definition.get("x-kubernetes-group-version-kind", ())
        )

    @functools.cached_property
    def fast_registry(self) -> jsonschema_rs.Registry:
        import jsonschema_rs

        # Kind schemas point at "/api/_definitions.json#/$defs/...", which resolves against
        # their "$id" (https://kubernetes.io/api/<kind>/...) to the definitions' own "$id".
        return jsonschema_rs.Registry([(self.definitions["$id"], self.definitions)])

    @functools.cached_property
    def slow_registry(self) -> referencing.Registry[Any]:
        from referencing import Registry, Resource

        return Resource.from_contents(self.definitions) @ Registry()


class _KindSchema:
    """The schema file of one (apiVersion, kind); validators are built once, on first use."""

    def __init__(self, folder: _SchemaFolder, file_name: str) -> None:
        self._folder = folder
        self._file_name = file_name

    def errors(self, obj: Mapping[str, Any]) -> list[SchemaError]:
        fast = self._fast
        if fast is None:
            return slow_errors(self._slow, obj)
        return exact_errors(fast, lambda: self._slow, obj)

    @functools.cached_property
    def _document(self) -> dict[str, Any]:
        return self._folder.read(self._file_name)

    @functools.cached_property
    def _fast(self) -> jsonschema_rs.Validator | None:
        """jsonschema-rs over the shared definitions; None if it cannot resolve every ``$ref``."""
        import jsonschema_rs

        try:
            return jsonschema_rs.Draft202012Validator(
                self._document,
                registry=self._folder.fast_registry,
                validate_formats=False,
                offline=True,
            )
        except jsonschema_rs.ValidationError:
            # jsonschema-rs resolves every $ref up front, Python's jsonschema only the ones an
            # object reaches: a dangling ref in an unused branch must not change the verdict.
            return None

    @functools.cached_property
    def _slow(self) -> jsonschema.Draft202012Validator:
        """The validator kubernetes-validate builds, kept instead of rebuilt per object."""
        from jsonschema import Draft202012Validator
        from referencing import Resource

        registry = Resource.from_contents(self._document) @ self._folder.slow_registry
        return Draft202012Validator(self._document, registry=registry)


def exact_errors(
    fast: jsonschema_rs.Validator,
    slow: Callable[[], jsonschema.Validator],
    obj: Mapping[str, Any],
) -> list[SchemaError]:
    """The errors Python's jsonschema finds in the object, found by jsonschema-rs whenever it sees
    the same JSON types."""
    if isinstance(obj, ReadMap):  # as the YAML reader built it: jsonschema-rs reads it directly
        try:
            return fast_errors(fast, obj)
        except ValueError:  # a value jsonschema-rs refuses: a non-string key, a non-finite float
            pass
    try:
        instance = as_json(obj)
    except NotJson:
        return slow_errors(slow(), obj)
    return fast_errors(fast, instance)


def fast_errors(validator: jsonschema_rs.Validator, instance: object) -> list[SchemaError]:
    from jsonschema_rs import ValidationErrorKind

    errors: list[SchemaError] = []
    for error in validator.iter_errors(instance):
        path = tuple(error.instance_path)
        kind = error.kind
        if isinstance(kind, ValidationErrorKind.AdditionalProperties):
            errors.extend(_unexpected(path, key) for key in kind.unexpected)
        else:
            errors.append(SchemaError(path, error.message))
    return errors


def slow_errors(validator: jsonschema.Validator, obj: Mapping[str, Any]) -> list[SchemaError]:
    errors: list[SchemaError] = []
    for error in validator.iter_errors(obj):
        path = tuple(p if isinstance(p, str | int) else str(p) for p in error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
            known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
            extra = [key for key in error.instance if key not in known]
            errors.extend(_unexpected(path, key) for key in extra)
        else:
            errors.append(SchemaError(path, error.message))
    return errors


def _unexpected(path: tuple[str | int, ...], key: object) -> SchemaError:
    """An unknown field is reported at the field itself, so its line is the one to change."""
    where = key if isinstance(key, str | int) else str(key)
    return SchemaError(
        (*path, where), f"Additional properties are not allowed ({key!r} was unexpected)"
    )


class NotJson(Exception):
    """A value whose JSON type jsonschema-rs and Python's jsonschema would not agree on."""


def as_json(value: object) -> object:
    """A plain-JSON copy with the JSON types Python's jsonschema sees, or ``NotJson``.

    Subclasses become their base type (ruamel's ScalarBoolean is an ``int`` to jsonschema too).
    Exact ``str``/``int``/``bool``/``None`` are tested inline: the copy is the hot path's cost.
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if isinstance(value, dict):
        return _json_object(value)
    if isinstance(value, list):
        return [
            item if (type(item) is str or type(item) is int) else as_json(item) for item in value
        ]
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and math.isfinite(value):
        return float(value)
    raise NotJson


def _json_object(mapping: dict[Any, Any]) -> dict[str, object]:
    copy: dict[str, object] = {}
    for key, item in mapping.items():
        if type(key) is not str:
            if not isinstance(key, str):
                raise NotJson
            key = str.__str__(key)
        kind = type(item)
        plain = kind is str or kind is int or kind is bool or item is None
        copy[key] = item if plain else as_json(item)
    return copy
