"""The project's Application schema against the upstream Argo CD CRD (converted strictly).

Every Application shape the renderer emits must pass both; a broken one must fail both; and
the project schema may reject what upstream accepts only in the documented `stricter-*` cases.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from gitopsctl.kube.crds import load_crd_dir

REPO = Path(__file__).resolve().parents[1]
SCHEMA_FILE = REPO / "schemas" / "argocd-application.schema.json"
APPLICATION_CRD = REPO.parent / "shared" / "crds" / "argoproj.io_applications.yaml"
GIT_REPO = "https://github.com/example/platform-gitops.git"

JsonPath = tuple[str | int, ...]


@pytest.fixture(scope="module")
def project_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


@pytest.fixture(scope="module")
def upstream_schema() -> dict[str, Any]:
    return load_crd_dir([APPLICATION_CRD])["argoproj.io/v1alpha1", "Application"].schema


@pytest.fixture(scope="module")
def project(project_schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(project_schema)


@pytest.fixture(scope="module")
def upstream(upstream_schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(upstream_schema)


def _metadata(name: str, wave: int, env: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": "argocd",
        "annotations": {"argocd.argoproj.io/sync-wave": str(wave)},
        "labels": {"app.kubernetes.io/part-of": "platform", "gitops.platform/environment": env},
        "finalizers": ["resources-finalizer.argocd.argoproj.io"],
    }


def _sync_policy() -> dict[str, Any]:
    return {
        "automated": {"prune": True, "selfHeal": True},
        "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
        "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}},
    }


def _child(env: str, app: str, chart_source: dict[str, Any]) -> dict[str, Any]:
    values_ref = {"repoURL": GIT_REPO, "targetRevision": "main", "ref": "values"}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": _metadata(f"{env}-{app}", 4, env),
        "spec": {
            "project": "platform",
            "destination": {"server": "https://kubernetes.default.svc", "namespace": app},
            "sources": [chart_source, values_ref],
            "syncPolicy": _sync_policy(),
        },
    }


def _helm(env: str, app: str) -> dict[str, Any]:
    return {"releaseName": app, "valueFiles": [f"$values/rendered/{env}/{app}/values.yaml"]}


def child_with_upstream_chart(env: str = "prod", app: str = "keycloak") -> dict[str, Any]:
    chart = {
        "repoURL": "https://charts.bitnami.com/bitnami",
        "chart": "keycloak",
        "targetRevision": "24.4.6",
        "helm": _helm(env, app),
    }
    return _child(env, app, chart)


def child_with_local_chart(env: str = "prod", app: str = "postgres") -> dict[str, Any]:
    chart = {
        "repoURL": GIT_REPO,
        "targetRevision": "main",
        "path": "charts/cnpg-cluster",
        "helm": _helm(env, app),
    }
    return _child(env, app, chart)


def root_app(env: str = "prod") -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": _metadata(f"{env}-root", 0, env),
        "spec": {
            "project": "platform",
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "argocd"},
            "source": {
                "repoURL": GIT_REPO,
                "targetRevision": "main",
                "path": f"applications/{env}",
                "directory": {"recurse": False, "exclude": "root.yaml"},
            },
            "syncPolicy": _sync_policy(),
        },
    }


def changed(document: dict[str, Any], path: JsonPath, value: Any) -> dict[str, Any]:
    """A deep copy with the value at path replaced (or added)."""
    result = copy.deepcopy(document)
    parent = _walk(result, path[:-1])
    parent[path[-1]] = value
    return result


def removed(document: dict[str, Any], path: JsonPath) -> dict[str, Any]:
    result = copy.deepcopy(document)
    del _walk(result, path[:-1])[path[-1]]
    return result


def _walk(node: Any, path: JsonPath) -> Any:
    for step in path:
        node = node[step]
    return node


def error_keys(validator: Draft202012Validator, document: Any) -> list[tuple[str, str]]:
    """Every error as (JSON pointer of the instance, failing keyword), sorted."""
    return sorted(
        (pointer(error.absolute_path), str(error.validator))
        for error in validator.iter_errors(document)
    )


def errors(validator: Draft202012Validator, document: Any) -> list[tuple[str, str, str]]:
    """Every error as (JSON pointer, failing keyword, message), sorted."""
    return sorted(
        (pointer(error.absolute_path), str(error.validator), error.message)
        for error in validator.iter_errors(document)
    )


def pointer(path: Iterable[str | int]) -> str:
    return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in path)


EMITTED = [
    pytest.param(child_with_upstream_chart(), id="child-upstream-chart"),
    pytest.param(child_with_local_chart(), id="child-local-chart"),
    pytest.param(root_app(), id="root"),
    pytest.param(
        changed(
            child_with_upstream_chart(),
            ("spec", "destination"),
            {"name": "prod-eks", "namespace": "keycloak"},
        ),
        id="child-destination-by-cluster-name",
    ),
    pytest.param(
        changed(
            child_with_upstream_chart(),
            ("metadata", "annotations", "argocd.argoproj.io/sync-wave"),
            "-2",
        ),
        id="negative-sync-wave",
    ),
    pytest.param(
        changed(
            child_with_local_chart(),
            ("spec", "ignoreDifferences"),
            [
                {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]},
                {
                    "kind": "Secret",
                    "name": "keycloak",
                    "namespace": "keycloak",
                    "jqPathExpressions": [".data.password"],
                    "managedFieldsManagers": ["kube-controller-manager"],
                },
            ],
        ),
        id="child-ignore-differences",
    ),
    pytest.param(
        changed(
            child_with_upstream_chart(),
            ("spec", "sources", 0, "helm"),
            {
                "releaseName": "keycloak",
                "valueFiles": ["$values/rendered/prod/keycloak/values.yaml"],
                "values": "replicaCount: 2\n",
                "valuesObject": {"auth": {"adminUser": "admin"}, "replicaCount": 2},
                "parameters": [{"name": "image.tag", "value": "26.0", "forceString": True}],
                "ignoreMissingValueFiles": True,
                "skipCrds": False,
                "passCredentials": False,
                "version": "v3",
            },
        ),
        id="helm-user-extension-fields",
    ),
    pytest.param(
        changed(
            changed(root_app(), ("spec", "revisionHistoryLimit"), 3),
            ("spec", "info"),
            [{"name": "owner", "value": "platform-team"}],
        ),
        id="root-revision-history-and-info",
    ),
]


@pytest.mark.parametrize("document", EMITTED)
def test_emitted_application_passes_project_and_upstream(
    project: Draft202012Validator, upstream: Draft202012Validator, document: dict[str, Any]
) -> None:
    assert errors(project, document) == []
    assert errors(upstream, document) == []


FAIL_BOTH = [
    pytest.param(
        changed(child_with_upstream_chart(), ("spec", "syncWave"), 4),
        [
            (
                "/spec",
                "additionalProperties",
                "Additional properties are not allowed ('syncWave' was unexpected)",
            )
        ],
        id="unknown-field-in-spec",
    ),
    pytest.param(
        changed(child_with_upstream_chart(), ("spec", "sources", 0, "chartVersion"), "24.4.6"),
        [
            (
                "/spec/sources/0",
                "additionalProperties",
                "Additional properties are not allowed ('chartVersion' was unexpected)",
            )
        ],
        id="unknown-field-in-sources-item",
    ),
    pytest.param(
        changed(child_with_local_chart(), ("spec", "syncPolicy", "automated", "prune"), "true"),
        [("/spec/syncPolicy/automated/prune", "type", "'true' is not of type 'boolean'")],
        id="automated-prune-not-boolean",
    ),
    pytest.param(
        removed(root_app(), ("spec", "destination")),
        [("/spec", "required", "'destination' is a required property")],
        id="missing-destination",
    ),
]


@pytest.mark.parametrize(("document", "expected"), FAIL_BOTH)
def test_broken_application_fails_project_and_upstream(
    project: Draft202012Validator,
    upstream: Draft202012Validator,
    document: dict[str, Any],
    expected: list[tuple[str, str, str]],
) -> None:
    assert errors(project, document) == expected
    assert errors(upstream, document) == expected


# Each id says why the project rejects what the upstream CRD schema lets through.
STRICTER = [
    pytest.param(
        changed(root_app(), ("spec", "sources"), child_with_local_chart()["spec"]["sources"]),
        [("/spec", "oneOf")],
        id="stricter-source-and-sources-are-exclusive",
    ),
    pytest.param(
        removed(root_app(), ("spec", "source")),
        [("/spec", "oneOf")],
        id="stricter-source-or-sources-required",
    ),
    pytest.param(
        changed(root_app(), ("spec", "destination", "name"), "in-cluster"),
        [("/spec/destination", "oneOf")],
        id="stricter-destination-server-and-name-are-exclusive",
    ),
    pytest.param(
        removed(child_with_upstream_chart(), ("spec", "destination", "namespace")),
        [("/spec/destination", "required")],
        id="stricter-destination-namespace-required",
    ),
    pytest.param(
        changed(root_app(), ("spec", "destination", "server"), "kubernetes.default.svc"),
        [("/spec/destination/server", "pattern")],
        id="stricter-destination-server-is-http-url",
    ),
    pytest.param(
        removed(child_with_upstream_chart(), ("spec", "sources", 1, "targetRevision")),
        [("/spec/sources/1", "required")],
        id="stricter-targetRevision-required",
    ),
    pytest.param(
        removed(child_with_upstream_chart(), ("spec", "sources", 1, "ref")),
        [("/spec/sources/1", "anyOf")],
        id="stricter-source-needs-chart-path-or-ref",
    ),
    pytest.param(
        changed(child_with_upstream_chart(), ("spec", "sources", 0, "path"), "charts/keycloak"),
        [("/spec/sources/0", "not")],
        id="stricter-chart-and-path-are-exclusive",
    ),
    pytest.param(
        changed(root_app(), ("spec", "source", "helm"), {"releaseName": "root"}),
        [("/spec/source", "not")],
        id="stricter-helm-and-directory-are-exclusive",
    ),
    pytest.param(
        changed(child_with_upstream_chart(), ("spec", "sources", 1, "ref"), "$values"),
        [("/spec/sources/1/ref", "pattern")],
        id="stricter-ref-is-a-plain-word",
    ),
    pytest.param(
        changed(
            child_with_upstream_chart(),
            ("spec", "sources", 0, "helm", "fileParameters"),
            [{"name": "ca", "path": "ca.pem"}],
        ),
        [("/spec/sources/0/helm", "additionalProperties")],
        id="stricter-helm-fields-limited-to-common-ones",
    ),
    pytest.param(
        changed(root_app(), ("spec", "source", "directory", "jsonnet"), {"libs": ["vendor"]}),
        [("/spec/source/directory", "additionalProperties")],
        id="stricter-directory-without-jsonnet",
    ),
    pytest.param(
        changed(root_app(), ("spec", "source", "kustomize"), {"namePrefix": "prod-"}),
        [("/spec/source", "additionalProperties")],
        id="stricter-no-kustomize-or-plugin-sources",
    ),
    pytest.param(
        changed(
            root_app(),
            ("spec", "sourceHydrator"),
            {
                "drySource": {"repoURL": GIT_REPO, "targetRevision": "main", "path": "dry"},
                "syncSource": {"targetBranch": "hydrated", "path": "prod"},
            },
        ),
        [("/spec", "additionalProperties")],
        id="stricter-no-source-hydrator",
    ),
    pytest.param(
        changed(root_app(), ("status",), {"sync": {"status": "Synced"}}),
        [("", "additionalProperties")],
        id="stricter-no-status-or-operation",
    ),
    pytest.param(
        changed(root_app(), ("kind",), "ApplicationSet"),
        [("/kind", "const")],
        id="stricter-kind-is-Application",
    ),
    pytest.param(
        changed(root_app(), ("metadata", "name"), "Prod_Root"),
        [("/metadata/name", "pattern")],
        id="stricter-metadata-name-is-dns1123-subdomain",
    ),
    pytest.param(
        removed(root_app(), ("metadata", "namespace")),
        [("/metadata", "required")],
        id="stricter-metadata-namespace-required",
    ),
    pytest.param(
        changed(root_app(), ("metadata", "generateName"), "prod-"),
        [("/metadata", "additionalProperties")],
        id="stricter-metadata-fields-limited-to-emitted-ones",
    ),
    pytest.param(
        changed(root_app(), ("metadata", "annotations", "argocd.argoproj.io/sync-wave"), "early"),
        [("/metadata/annotations/argocd.argoproj.io~1sync-wave", "pattern")],
        id="stricter-sync-wave-is-an-integer-string",
    ),
    pytest.param(
        changed(root_app(), ("metadata", "labels", "team"), "platform team"),
        [("/metadata/labels/team", "pattern")],
        id="stricter-label-value-is-valid-for-kubernetes",
    ),
    pytest.param(
        changed(root_app(), ("spec", "project"), "Platform"),
        [("/spec/project", "pattern")],
        id="stricter-project-is-dns1123-subdomain",
    ),
    pytest.param(
        changed(root_app(), ("spec", "syncPolicy", "syncOptions"), ["CreateNamespace"]),
        [("/spec/syncPolicy/syncOptions/0", "pattern")],
        id="stricter-sync-option-is-name-equals-value",
    ),
    pytest.param(
        changed(root_app(), ("spec", "syncPolicy", "retry", "backoff", "duration"), "ten seconds"),
        [("/spec/syncPolicy/retry/backoff/duration", "pattern")],
        id="stricter-backoff-duration-is-a-duration",
    ),
    pytest.param(
        changed(
            child_with_upstream_chart(),
            ("spec", "sources", 0, "helm", "parameters"),
            [{"value": "x"}],
        ),
        [("/spec/sources/0/helm/parameters/0", "required")],
        id="stricter-helm-parameter-name-required",
    ),
]


@pytest.mark.parametrize(("document", "expected"), STRICTER)
def test_project_is_deliberately_stricter_than_upstream(
    project: Draft202012Validator,
    upstream: Draft202012Validator,
    document: dict[str, Any],
    expected: list[tuple[str, str]],
) -> None:
    assert error_keys(upstream, document) == []
    assert error_keys(project, document) == expected


def test_project_schema_is_valid_draft_2020_12(project_schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(project_schema)


def test_project_schema_rejects_unknown_fields_everywhere(project_schema: dict[str, Any]) -> None:
    open_objects = [
        path
        for path, node in _field_schemas(project_schema, project_schema, ())
        if node.get("type") == "object" and "additionalProperties" not in node
    ]
    assert open_objects == [
        ("spec", "source", "helm", "valuesObject"),
        ("spec", "sources", "[]", "helm", "valuesObject"),
    ]


def test_every_project_field_exists_upstream_with_a_matching_type(
    project_schema: dict[str, Any], upstream_schema: dict[str, Any]
) -> None:
    mismatches = [
        (path, node.get("type"), _types(upstream_node))
        for path, node in _field_schemas(project_schema, project_schema, ())
        if path[:1] != ("metadata",)
        for upstream_node in [_upstream_node(upstream_schema, path)]
        if upstream_node is None or ("type" in node and node["type"] not in _types(upstream_node))
    ]
    assert mismatches == []


def _field_schemas(
    root: dict[str, Any], node: dict[str, Any], path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Each property and array item of the project schema with $refs resolved, once per path."""
    node = _resolve(root, node)
    children = [(name, sub) for name, sub in node.get("properties", {}).items()]
    if "items" in node:
        children.append(("[]", node["items"]))
    for step, sub in children:
        yield (*path, step), _resolve(root, sub)
        yield from _field_schemas(root, sub, (*path, step))


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = root["$defs"][node["$ref"].removeprefix("#/$defs/")]
    return node


def _upstream_node(schema: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    node: dict[str, Any] | None = schema
    for step in path:
        if node is None:
            return None
        node = node.get("items") if step == "[]" else node.get("properties", {}).get(step)
    return node


def _types(node: dict[str, Any] | None) -> list[str]:
    declared = (node or {}).get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)


_NAMES = st.from_regex(r"[a-z][a-z0-9]{0,12}", fullmatch=True)


@st.composite
def emitted_applications(draw: st.DrawFn) -> dict[str, Any]:
    env, app = draw(_NAMES), draw(_NAMES)
    shape = draw(st.sampled_from(["upstream-chart", "local-chart", "root"]))
    if shape == "root":
        document = root_app(env)
    elif shape == "local-chart":
        document = child_with_local_chart(env, app)
    else:
        document = child_with_upstream_chart(env, app)
    wave = str(draw(st.integers(min_value=-50, max_value=50)))
    document["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] = wave
    if draw(st.booleans()):
        document["spec"]["destination"] = {"name": f"{env}-eks", "namespace": app}
    document["spec"]["syncPolicy"]["retry"]["limit"] = draw(st.integers(-1, 20))
    return document


@settings(max_examples=60, deadline=None, derandomize=True)
@given(document=emitted_applications())
def test_every_emitted_variant_passes_both(
    project: Draft202012Validator, upstream: Draft202012Validator, document: dict[str, Any]
) -> None:
    assert errors(project, document) == []
    assert errors(upstream, document) == []
