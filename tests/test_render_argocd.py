"""The Argo CD contract: every emitted object is one the upstream CRDs accept, unknown fields
rejected, and every chart and values file an Application names exists in this repository."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from gitopsctl.kube.crds import load_crd_dir
from gitopsctl.yaml import reader
from tests.conftest import PROJECT, project_rendering

CRD_DIR = PROJECT.parent / "shared" / "crds"
CRD_FILES = ("argoproj.io_applications.yaml", "argoproj.io_appprojects.yaml")
VALUES_REF = "$values/"
UNEXPECTED = "Additional properties are not allowed ({!r} was unexpected)"


@cache
def validators() -> dict[tuple[str, str], Draft202012Validator]:
    schemas = load_crd_dir([CRD_DIR / name for name in CRD_FILES])
    return {key: Draft202012Validator(crd.schema) for key, crd in schemas.items()}


@cache
def argo_documents() -> dict[str, dict[str, Any]]:
    """Every generated file under applications/, parsed (read-only: copy before changing)."""
    return {
        path: reader.to_plain(reader.parse(text, path))
        for path, text in project_rendering().files.items()
        if path.startswith("applications/")
    }


def schema_errors(document: dict[str, Any]) -> list[tuple[str, str]]:
    validator = validators()[(document["apiVersion"], document["kind"])]
    return sorted(
        (".".join(map(str, error.absolute_path)), error.message)
        for error in validator.iter_errors(document)
    )


def test_the_crds_are_loaded_for_both_kinds() -> None:
    assert sorted(validators()) == [
        ("argoproj.io/v1alpha1", "AppProject"),
        ("argoproj.io/v1alpha1", "Application"),
    ]


def test_every_generated_argo_object_validates_against_its_crd() -> None:
    documents = argo_documents()
    kinds = {path: document["kind"] for path, document in documents.items()}

    assert {path: schema_errors(document) for path, document in documents.items()} == {
        path: [] for path in documents
    }
    for env in project_rendering().environments:
        assert kinds[f"applications/{env}/root.yaml"] == "Application"
        assert kinds[f"applications/{env}/project.yaml"] == "AppProject"


def _set(document: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@pytest.mark.parametrize(
    ("file", "path", "error"),
    [
        pytest.param(
            "applications/prod/retool.yaml",
            ("spec", "sources", 0, "helm", "valueFile"),
            ("spec.sources.0.helm", UNEXPECTED.format("valueFile")),
            id="misspelt-helm-field",
        ),
        pytest.param(
            "applications/prod/retool.yaml",
            ("spec", "syncPolicy", "automated", "purge"),
            ("spec.syncPolicy.automated", UNEXPECTED.format("purge")),
            id="unknown-sync-field",
        ),
        pytest.param(
            "applications/prod/root.yaml",
            ("spec", "source", "directory", "recursive"),
            ("spec.source.directory", UNEXPECTED.format("recursive")),
            id="unknown-directory-field",
        ),
        pytest.param(
            "applications/prod/project.yaml",
            ("spec", "sourceRepo"),
            ("spec", UNEXPECTED.format("sourceRepo")),
            id="unknown-project-field",
        ),
        pytest.param(
            "applications/prod/retool.yaml",
            ("spec", "syncPolicy", "retry", "limit"),
            ("spec.syncPolicy.retry.limit", "'5' is not of type 'integer'"),
            id="wrong-type",
        ),
    ],
)  # fmt: skip
def test_the_crd_schemas_reject_unknown_fields_and_wrong_types(
    file: str, path: tuple[str | int, ...], error: tuple[str, str]
) -> None:
    document = copy.deepcopy(argo_documents()[file])
    _set(document, path, "5")

    assert schema_errors(document) == [error]


def child_sources() -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, source)
        for path, document in argo_documents().items()
        if document["kind"] == "Application" and "sources" in document["spec"]
        for source in document["spec"]["sources"]
    ]


def test_every_values_file_an_application_names_exists() -> None:
    value_files = [
        (path, value_file)
        for path, source in child_sources()
        for value_file in source.get("helm", {}).get("valueFiles", [])
    ]

    files = project_rendering().files
    assert value_files, "the example has Applications with value files"
    assert [
        (path, value_file)
        for path, value_file in value_files
        if not value_file.startswith(VALUES_REF)
        or value_file[len(VALUES_REF) :] not in files
        or not (PROJECT / value_file[len(VALUES_REF) :]).is_file()
    ] == []


def test_every_application_reads_its_values_from_this_repository() -> None:
    platform = project_rendering().model.platform
    refs = {
        path: [source for source in document["spec"]["sources"] if "ref" in source]
        for path, document in argo_documents().items()
        if "sources" in document["spec"]
    }

    assert refs == {
        path: [{"repoURL": platform.repo_url, "targetRevision": platform.revision, "ref": "values"}]
        for path in refs
    }


def test_every_chart_path_is_a_chart_in_this_repository() -> None:
    paths = sorted({source["path"] for _, source in child_sources() if "path" in source})

    assert paths == [
        "charts/app-secrets",
        "charts/cluster-issuer",
        "charts/cnpg-cluster",
        "charts/secret-store",
    ]
    assert [path for path in paths if not (PROJECT / path / "Chart.yaml").is_file()] == []


def test_every_root_syncs_the_folder_of_its_environment() -> None:
    roots = {
        path: document["spec"]["source"]["path"]
        for path, document in argo_documents().items()
        if path.endswith("/root.yaml")
    }

    assert roots == {
        f"applications/{env}/root.yaml": f"applications/{env}"
        for env in project_rendering().environments
    }
