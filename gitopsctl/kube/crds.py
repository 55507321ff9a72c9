"""Turn CustomResourceDefinitions into strict JSON Schemas (draft 2020-12) for offline checks.

The conversion follows how the API server reads a structural schema, so that a document the
converted schema accepts is one the cluster would store unchanged:

- an object that lists ``properties`` keeps no other fields (the server prunes or, with strict
  field validation, rejects them) unless it says ``x-kubernetes-preserve-unknown-fields``;
- ``x-kubernetes-int-or-string`` accepts an integer or a string, ``nullable`` also accepts null;
- ``x-kubernetes-embedded-resource`` and the document root may always carry ``apiVersion``,
  ``kind`` and ``metadata``; ``metadata`` is checked by the server as ObjectMeta, never pruned
  by the CRD schema, so it is left open here;
- a property the server defaults is not required, because defaulting runs before validation;
- the branches of ``anyOf``/``allOf``/``oneOf``/``not`` only add constraints and never prune, so
  they are converted without closing their objects.

CEL rules (``x-kubernetes-validations``) and list-map key uniqueness cannot be expressed in JSON
Schema and are dropped, which only makes the result more permissive than the server.

Before it validates a custom resource, the API server drops the nulls its structural schema does
not allow (apiextensions-apiserver's ``PruneNonNullableNullsWithoutDefaults``, then defaulting):
a field whose schema (a property, or ``additionalProperties``) is not ``nullable: true`` and has
a null value is removed, or set to the schema's ``default`` when it has one. A null the schema
says nothing about (an unknown field under ``x-kubernetes-preserve-unknown-fields``) stays, and so
does a null list item. `without_nulls` does the same, so ``spec.postgresql: null``, as Helm
charts often leave an unset value, is checked as the server stores it: absent. (Built-in kinds
need no such step: decoding JSON into their Go types drops nulls, and the shipped schemas accept
them.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
CRD_API_VERSION = "apiextensions.k8s.io/v1"
YAML_SUFFIXES = frozenset({".yaml", ".yml"})

# Keywords whose meaning is the same in OpenAPI v3.0 and JSON Schema 2020-12.
_SAME_KEYWORDS = frozenset(
    {
        "title",
        "description",
        "default",
        "format",
        "pattern",
        "multipleOf",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
    }
)
_BRANCH_KEYWORDS = ("allOf", "anyOf", "oneOf")
_INT_OR_STRING = ["integer", "string"]
_RESOURCE_FIELDS: dict[str, dict[str, Any]] = {
    "apiVersion": {"type": "string"},
    "kind": {"type": "string"},
    "metadata": {"type": "object"},
}

SchemaKey = tuple[str, str]


class CrdSchema(NamedTuple):
    """The JSON Schema of one served version of a custom resource, and the CRD's own structural
    schema it was converted from (what the API server prunes by)."""

    group: str
    version: str
    kind: str
    schema: dict[str, Any]
    structural: Mapping[str, Any]

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"


def crd_schemas(document: Mapping[str, Any]) -> list[CrdSchema]:
    """One strict JSON Schema per served version of a CustomResourceDefinition document."""
    spec = _crd_spec(document)
    group = _text(spec.get("group"), "spec.group")
    names = spec.get("names")
    kind = _text(names.get("kind") if isinstance(names, Mapping) else None, "spec.names.kind")
    schemas = []
    for version, entry in _served_versions(spec):
        openapi = _openapi_schema(entry, version)
        schemas.append(CrdSchema(group, version, kind, _root_schema(openapi), openapi))
    return schemas


def without_nulls(value: Any, structural: Mapping[str, Any]) -> Any:
    """The object as the API server validates it: each null of a field whose schema is not
    ``nullable: true`` removed, or replaced by the field's ``default``. The object itself when
    it has no such null (nothing is copied), else a copy; the object is never changed."""
    if isinstance(value, Mapping):
        return _mapping_without_nulls(value, structural)
    if isinstance(value, list):
        items = _subschema(structural.get("items"))
        pruned = [without_nulls(item, items) if items else item for item in value]
        changed = any(new is not old for new, old in zip(pruned, value, strict=True))
        return pruned if changed else value
    return value


def _mapping_without_nulls(value: Mapping[str, Any], structural: Mapping[str, Any]) -> Any:
    copy: dict[Any, Any] = {}
    changed = False
    for key, item in value.items():
        field = _field_schema(structural, key)
        if item is None and field is not None and field.get("nullable") is not True:
            changed = True
            if "default" in field:
                copy[key] = field["default"]
            continue
        pruned = without_nulls(item, field) if field is not None else item
        changed = changed or pruned is not item
        copy[key] = pruned
    return copy if changed else value


def _field_schema(structural: Mapping[str, Any], key: Any) -> Mapping[str, Any] | None:
    """The schema of one field: its property, else ``additionalProperties`` when a schema."""
    properties = structural.get("properties")
    if isinstance(properties, Mapping) and key in properties:
        return _subschema(properties[key])
    return _subschema(structural.get("additionalProperties")) or None


def _subschema(node: Any) -> Mapping[str, Any]:
    return node if isinstance(node, Mapping) else {}


def load_crd_dir(paths: Iterable[Path]) -> dict[SchemaKey, CrdSchema]:
    """Schemas keyed by (apiVersion, kind) from CRD files and from the YAML files of folders.

    A folder contributes its own ``*.yaml`` and ``*.yml`` files (not those of sub-folders), in
    name order. Unreadable or broken YAML, a document that is not a CRD and a kind defined twice
    are ValueErrors that name the file.
    """
    schemas: dict[SchemaKey, CrdSchema] = {}
    origins: dict[SchemaKey, Path] = {}
    for file in _yaml_files(paths):
        for crd in _file_schemas(file):
            key = (crd.api_version, crd.kind)
            if key in origins:
                raise ValueError(f"{file}: {crd.kind} {crd.api_version} is also in {origins[key]}")
            schemas[key], origins[key] = crd, file
    return schemas


def _crd_spec(document: Mapping[str, Any]) -> Mapping[str, Any]:
    if not isinstance(document, Mapping) or document.get("kind") != "CustomResourceDefinition":
        kind = document.get("kind") if isinstance(document, Mapping) else type(document).__name__
        raise ValueError(f"not a CustomResourceDefinition (kind {kind!r})")
    if document.get("apiVersion") != CRD_API_VERSION:
        raise ValueError(f"unsupported CRD apiVersion {document.get('apiVersion')!r}")
    spec = document.get("spec")
    if not isinstance(spec, Mapping):
        raise ValueError("CustomResourceDefinition has no spec")
    return spec


def _served_versions(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    versions = spec.get("versions")
    if not isinstance(versions, list):
        raise ValueError("CustomResourceDefinition has no spec.versions list")
    for index, entry in enumerate(versions):
        if not isinstance(entry, Mapping):
            raise ValueError(f"spec.versions[{index}] is not a mapping")
        if entry.get("served") is True:
            yield _text(entry.get("name"), f"spec.versions[{index}].name"), entry


def _openapi_schema(entry: Mapping[str, Any], version: str) -> Mapping[str, Any]:
    schema = entry.get("schema")
    openapi = schema.get("openAPIV3Schema") if isinstance(schema, Mapping) else None
    if not isinstance(openapi, Mapping):
        raise ValueError(f"served version {version} has no schema.openAPIV3Schema")
    return openapi


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"CustomResourceDefinition has no {where}")
    return value


def _root_schema(openapi: Mapping[str, Any]) -> dict[str, Any]:
    return {"$schema": JSON_SCHEMA_DIALECT, **_convert(openapi, closed=True, resource=True)}


def _convert(node: Mapping[str, Any], *, closed: bool, resource: bool = False) -> dict[str, Any]:
    """One OpenAPI v3 schema node as JSON Schema; ``closed`` is False inside value validations."""
    schema = {key: value for key, value in node.items() if key in _SAME_KEYWORDS}
    schema.update(_types(node))
    schema.update(_bounds(node))
    schema.update(_list_semantics(node))
    schema.update(_object_fields(node, closed, resource or _embedded(node)))
    schema.update(_branches(node))
    if "items" in node:
        schema["items"] = _convert(node["items"], closed=closed)
    return schema


def _types(node: Mapping[str, Any]) -> dict[str, Any]:
    nullable = node.get("nullable") is True
    schema: dict[str, Any] = {}
    types = _declared_types(node)
    if types:
        schema["type"] = [*types, "null"] if nullable else _single(types)
    if "enum" in node:
        enum = list(node["enum"])
        schema["enum"] = [*enum, None] if nullable and None not in enum else enum
    return schema


def _declared_types(node: Mapping[str, Any]) -> list[str]:
    if node.get("x-kubernetes-int-or-string") is True:
        return list(_INT_OR_STRING)
    return [node["type"]] if "type" in node else []


def _single(types: list[str]) -> str | list[str]:
    return types[0] if len(types) == 1 else types


def _bounds(node: Mapping[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.0 marks a bound exclusive with a boolean; JSON Schema names the number so."""
    schema: dict[str, Any] = {}
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if bound in node:
            schema[exclusive if node.get(exclusive) is True else bound] = node[bound]
    return schema


def _list_semantics(node: Mapping[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    if node.get("x-kubernetes-list-type") == "set":
        schema["uniqueItems"] = True
    if "example" in node:
        schema["examples"] = [node["example"]]
    return schema


def _embedded(node: Mapping[str, Any]) -> bool:
    return node.get("x-kubernetes-embedded-resource") is True


def _object_fields(node: Mapping[str, Any], closed: bool, resource: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    properties = _properties(node, closed, resource)
    if properties is not None:
        schema["properties"] = properties
    if "required" in node:
        schema["required"] = _required(node)
    additional = node.get("additionalProperties")
    if isinstance(additional, Mapping):
        schema["additionalProperties"] = _convert(additional, closed=closed)
    elif isinstance(additional, bool):
        schema["additionalProperties"] = additional
    elif closed and properties is not None and not _preserves_unknown(node):
        schema["additionalProperties"] = False
    return schema


def _properties(node: Mapping[str, Any], closed: bool, resource: bool) -> dict[str, Any] | None:
    declared: Mapping[str, Any] = node.get("properties") or {}
    if not declared and not resource:
        return None
    properties = {name: _convert(sub, closed=closed) for name, sub in declared.items()}
    if resource:
        properties.update(_resource_fields(declared))
    return properties


def _resource_fields(declared: Mapping[str, Any]) -> dict[str, Any]:
    """apiVersion and kind as declared (or plain strings); metadata stays open as ObjectMeta."""
    fields = {name: dict(schema) for name, schema in _RESOURCE_FIELDS.items()}
    for name in ("apiVersion", "kind"):
        if name in declared:
            fields[name] = _convert(declared[name], closed=True)
    if "metadata" in declared:
        fields["metadata"] = _convert(declared["metadata"], closed=False)
    return fields


def _required(node: Mapping[str, Any]) -> list[str]:
    declared: Mapping[str, Any] = node.get("properties") or {}
    return [
        name
        for name in node["required"]
        if not (isinstance(declared.get(name), Mapping) and "default" in declared[name])
    ]


def _preserves_unknown(node: Mapping[str, Any]) -> bool:
    return node.get("x-kubernetes-preserve-unknown-fields") is True


def _branches(node: Mapping[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        keyword: [_convert(branch, closed=False) for branch in node[keyword]]
        for keyword in _BRANCH_KEYWORDS
        if keyword in node and not _restates_int_or_string(node, keyword)
    }
    if "not" in node:
        schema["not"] = _convert(node["not"], closed=False)
    return schema


def _restates_int_or_string(node: Mapping[str, Any], keyword: str) -> bool:
    """The anyOf that int-or-string fields must carry repeats the type; keep errors single."""
    if keyword != "anyOf" or node.get("x-kubernetes-int-or-string") is not True:
        return False
    return sorted(branch.get("type", "") for branch in node[keyword]) == _INT_OR_STRING and all(
        len(branch) == 1 for branch in node[keyword]
    )


def _yaml_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                child
                for child in path.iterdir()
                if child.suffix in YAML_SUFFIXES and child.is_file()
            )
        elif path.is_file():
            yield path
        else:
            raise ValueError(f"{path}: no such file or directory")


def _file_schemas(file: Path) -> Iterator[CrdSchema]:
    for number, document in enumerate(_documents(file), start=1):
        if document is None:  # an empty document, e.g. after a trailing "---"
            continue
        try:
            yield from crd_schemas(document)
        except ValueError as error:
            raise ValueError(f"{file}: document {number}: {error}") from None


def _documents(file: Path) -> list[Any]:
    from gitopsctl.errors import InputError
    from gitopsctl.yaml import reader

    name = file.as_posix()
    try:
        text = reader.read_text(file, name)
        return [document.data for document in reader.read_stream(text, name)]
    except InputError as error:
        raise ValueError(str(error)) from None
