"""Every emitted object and every given manifest must match its schema.

Argo CD Applications and AppProjects are checked against the project's own schemas in `schemas/`
(unknown fields rejected), the values of each chart owned here against that chart's
`values.schema.json`, and in `--manifests` mode core Kubernetes kinds against the schemas of the
platform's Kubernetes version (strict: unknown fields rejected) and custom resources against the
CRDs given with `--crds` or found in a local chart's `crds/` folder. A kind with no schema is a
warning saying how to supply its CRD, never a silent pass.

Passing:

    apiVersion: apps/v1
    kind: Deployment
    spec:
      replicas: 2

Failing (a string where an integer belongs, and a misspelt field):

    apiVersion: apps/v1
    kind: Deployment
    spec:
      replicas: two
      template:
        spec:
          containers:
            - name: api
              imagePullPolicyy: Always
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from gitopsctl.findings import Severity
from gitopsctl.kube.kubeschema import SchemaError
from gitopsctl.kube.schemastore import Checker, schema_file
from gitopsctl.paths import format_path
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Document, Environment

ID = "manifest-schema"
SEVERITY = Severity.ERROR


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    for document in env.documents:
        errors: Sequence[SchemaError] | None = document.schema_errors
        if errors is None:
            checker = _checker(env, document)
            errors = checker.errors(document.body) if checker is not None else None
        if errors is None:
            yield _no_schema(document)
            continue
        for error in errors:
            where = format_path(error.path) or "(top level)"
            message = f"{document.name}: {where}: {error.message}"
            yield Hit(document.locate(error.path), message, document.app)


def _checker(env: Environment, document: Document) -> Checker | None:
    if document.schema_file is not None:
        return schema_file(document.schema_file)
    if env.schemas is None or not document.api_version or not document.kind:
        return None
    return env.schemas.for_object(document.api_version, document.kind)


def _no_schema(document: Document) -> Hit:
    message = (
        f"{document.name}: no schema for {document.kind} ({document.api_version}): pass its "
        "CRD with --crds DIR, or put it in the crds/ folder of a local chart"
    )
    return Hit(document.locate(()), message, document.app, Severity.WARNING)
