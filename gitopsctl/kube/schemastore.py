"""Every schema an emitted or given object is checked against, each compiled once per process.

Lookup order for an object: the project's own schemas for the Argo CD kinds it emits, then CRDs
the user points at (and the `crds/` folders of local charts), then the core Kubernetes schemas
that kubernetes-validate ships for the platform's Kubernetes version.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from gitopsctl.kube.kubeschema import KubeSchemas, SchemaError, exact_errors
from gitopsctl.resources import SCHEMA_DIR

if TYPE_CHECKING:
    from gitopsctl.kube.crds import CrdSchema

PROJECT_SCHEMAS = {
    ("argoproj.io/v1alpha1", "Application"): "argocd-application.schema.json",
    ("argoproj.io/v1alpha1", "AppProject"): "argocd-appproject.schema.json",
}


class Checker(Protocol):
    def errors(self, obj: Mapping[str, Any]) -> list[SchemaError] | None: ...


class JsonSchema:
    """One JSON Schema (draft 7 or 2020-12): jsonschema-rs on the hot path, exact verdicts."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._schema = schema

    def errors(self, obj: Mapping[str, Any]) -> list[SchemaError]:
        return exact_errors(self._fast, lambda: self._slow, obj)

    @functools.cached_property
    def _fast(self) -> Any:
        import jsonschema_rs

        return jsonschema_rs.validator_for(self._schema, validate_formats=False, offline=True)

    @functools.cached_property
    def _slow(self) -> Any:
        from jsonschema.validators import validator_for

        return validator_for(self._schema)(self._schema)


class CustomResourceSchema:
    """A custom resource's schema, applied as the API server applies it: after dropping the nulls
    of fields that are not nullable (see `gitopsctl.kube.crds.without_nulls`)."""

    def __init__(self, crd: CrdSchema) -> None:
        self._schema = JsonSchema(crd.schema)
        self._structural = crd.structural

    def errors(self, obj: Mapping[str, Any]) -> list[SchemaError]:
        from gitopsctl.kube.crds import without_nulls

        return self._schema.errors(without_nulls(obj, self._structural))


@functools.cache
def schema_file(path: Path) -> JsonSchema:
    """A schema file, read and compiled once per process."""
    return JsonSchema(json.loads(path.read_text(encoding="utf-8")))


class SchemaStore:
    def __init__(
        self, kube_version: str, crds: Mapping[tuple[str, str], CrdSchema] | None = None
    ) -> None:
        from gitopsctl.errors import InputError

        try:
            self._kube = KubeSchemas(kube_version)
        except ValueError as error:
            raise InputError(f"Kubernetes version: {error}") from None
        self._crds = dict(crds or {})
        self._compiled: dict[tuple[str, str], CustomResourceSchema] = {}

    def install(self, crds: Iterable[CrdSchema]) -> None:
        """Add the schemas of CRDs read among the objects (those given up front win)."""
        for crd in crds:
            self._crds.setdefault((crd.api_version, crd.kind), crd)

    @property
    def builtin_api_groups(self) -> frozenset[str]:
        """The groups the Kubernetes API server serves without a CRD, in the store's version."""
        return self._kube.api_groups

    def knows(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in self._crds

    def for_object(self, api_version: str, kind: str) -> Checker | None:
        key = (api_version, kind)
        if key in PROJECT_SCHEMAS:
            return schema_file(SCHEMA_DIR / PROJECT_SCHEMAS[key])
        if key in self._crds:
            if key not in self._compiled:
                self._compiled[key] = CustomResourceSchema(self._crds[key])
            return self._compiled[key]
        if self._kube.has_schema(api_version, kind):
            return self._kube
        return None


def load_crds(paths: Sequence[Path]) -> dict[tuple[str, str], CrdSchema]:
    """CRDs from files and folders; a broken file is unusable input."""
    from gitopsctl.errors import InputError
    from gitopsctl.kube.crds import load_crd_dir

    existing = [path for path in paths if path.exists()]
    missing = [path.as_posix() for path in paths if not path.exists()]
    if missing:
        raise InputError(f"--crds: no such file or directory: {', '.join(missing)}")
    try:
        return load_crd_dir(existing)
    except ValueError as error:
        raise InputError(str(error)) from None
