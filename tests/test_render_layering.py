"""Merge semantics of the value layers, their provenance, and variable interpolation."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from gitopsctl.errors import Problem
from gitopsctl.pipeline import load_and_render
from gitopsctl.sources.interpolate import UndefinedVariable, interpolate_values, substitute
from gitopsctl.sources.layering import Origin, Tracked, from_node, merge_values
from gitopsctl.yaml import reader
from tests.conftest import invoke_cli, output_snapshot, project_rendering
from tests.support import edit

LOW = """\
a:
  x: 1
  y: [1, 2]
b: 3
keep:
  - k: 1
"""
HIGH = """\
a:
  y: [9]
b: null
c:
  d: 4
"""


@pytest.mark.parametrize(
    ("base", "over", "merged"),
    [
        pytest.param({"a": {"x": 1}}, {"a": {"y": 2}}, {"a": {"x": 1, "y": 2}}, id="maps-merge"),
        pytest.param(
            {"a": {"b": {"x": 1, "y": 1}}},
            {"a": {"b": {"y": 2}}},
            {"a": {"b": {"x": 1, "y": 2}}},
            id="nested-maps-merge",
        ),
        pytest.param({"a": 1}, {"a": 2}, {"a": 2}, id="scalar-replaces-scalar"),
        pytest.param({"l": [1, 2, 3]}, {"l": [4]}, {"l": [4]}, id="list-replaces-list"),
        pytest.param({"l": [{"x": 1}]}, {"l": [{"y": 2}]}, {"l": [{"y": 2}]}, id="list-no-merge"),
        pytest.param({"l": [1]}, {"l": []}, {"l": []}, id="empty-list-replaces"),
        pytest.param({"a": {"x": 1}}, {"a": 2}, {"a": 2}, id="scalar-replaces-map"),
        pytest.param({"a": 2}, {"a": {"x": 1}}, {"a": {"x": 1}}, id="map-replaces-scalar"),
        pytest.param({"a": {"x": 1}}, {"a": {}}, {"a": {"x": 1}}, id="empty-map-keeps"),
        pytest.param({"a": 1, "b": 2}, {"a": None}, {"b": 2}, id="null-removes-scalar"),
        pytest.param({"a": {"x": 1}, "b": 2}, {"a": None}, {"b": 2}, id="null-removes-map"),
        pytest.param(
            {"a": {"x": 1, "y": 2}}, {"a": {"x": None}}, {"a": {"y": 2}}, id="null-removes-nested"
        ),
        pytest.param({"a": 1}, {"z": None}, {"a": 1}, id="null-of-absent-key"),
        pytest.param(
            {}, {"a": {"x": None, "y": 1}}, {"a": {"y": 1}}, id="null-of-absent-nested-key"
        ),
    ],
)
def test_merge_values(base: dict[str, Any], over: dict[str, Any], merged: dict[str, Any]) -> None:
    base_before, over_before = copy.deepcopy(base), copy.deepcopy(over)

    assert merge_values(base, over) == merged
    assert (base, over) == (base_before, over_before)


def test_merged_origins_follow_the_winning_layer() -> None:
    values = from_node(reader.parse(LOW, "low.yaml"), "low.yaml", "low")

    values.merge(from_node(reader.parse(HIGH, "high.yaml"), "high.yaml", "high"))

    assert values.data == {"a": {"x": 1, "y": [9]}, "keep": [{"k": 1}], "c": {"d": 4}}
    assert values.origins == {
        ("a",): Origin("high.yaml", 1, 1, "high"),
        ("a", "x"): Origin("low.yaml", 2, 3, "low"),
        ("a", "y"): Origin("high.yaml", 2, 3, "high"),
        ("a", "y", 0): Origin("high.yaml", 2, 7, "high"),
        ("keep",): Origin("low.yaml", 5, 1, "low"),
        ("keep", 0): Origin("low.yaml", 6, 5, "low"),
        ("keep", 0, "k"): Origin("low.yaml", 6, 5, "low"),
        ("c",): Origin("high.yaml", 4, 1, "high"),
        ("c", "d"): Origin("high.yaml", 5, 3, "high"),
    }


def test_set_keeps_the_origins_of_existing_parents() -> None:
    first, second = Origin("first.yaml", 1, 1, "one"), Origin("second.yaml", 7, 3, "two")
    values = Tracked()
    values.set(("a", "b"), {"c": [1]}, first)

    values.set(("a", "z"), 5, second)

    assert values.data == {"a": {"b": {"c": [1]}, "z": 5}}
    assert values.origins == {
        ("a",): first,
        ("a", "b"): first,
        ("a", "b", "c"): first,
        ("a", "b", "c", 0): first,
        ("a", "z"): second,
    }
    assert values.origin(("a", "z", "deeper")) == second


VARIABLES = {"env.name": "prod", "env.domain": "platform.example.com", "app.name": "retool"}


@pytest.mark.parametrize(
    ("text", "result"),
    [
        pytest.param("${env.name}", "prod", id="whole-string"),
        pytest.param("retool.${env.domain}", "retool.platform.example.com", id="embedded"),
        pytest.param("${app.name}-${env.name}", "retool-prod", id="two-variables"),
        pytest.param("${ env.name }", "prod", id="spaces-inside"),
        pytest.param("$${env.name}", "${env.name}", id="escape"),
        pytest.param("$${undefined}", "${undefined}", id="escape-of-unknown-name"),
        pytest.param("${env.name}/$${env.name}", "prod/${env.name}", id="escape-next-to-variable"),
        pytest.param("cost: $5, {braces}", "cost: $5, {braces}", id="lone-dollar"),
    ],
)
def test_substitute(text: str, result: str) -> None:
    assert substitute(text, VARIABLES) == result


def test_substitute_names_the_undefined_variable_and_the_defined_ones() -> None:
    with pytest.raises(UndefinedVariable) as raised:
        substitute("x-${env.region}", VARIABLES)

    assert raised.value.name == "env.region"
    assert str(raised.value) == (
        "undefined variable ${env.region} (defined here: app.name, env.domain, env.name)"
    )


def test_interpolate_values_reports_each_undefined_variable_at_its_origin() -> None:
    source = "host: ${env.domain}\nport: 80\nnested:\n  - ${nope}\n  - $${env.name}\n"
    values = from_node(reader.parse(source, "app.yaml"), "app.yaml", "app values")

    problems = interpolate_values(values, VARIABLES)

    assert values.data == {
        "host": "platform.example.com",
        "port": 80,
        "nested": ["${nope}", "${env.name}"],
    }
    assert problems == [
        Problem(
            "undefined variable ${nope} (defined here: app.name, env.domain, env.name)",
            "app.yaml",
            4,
            5,
        )
    ]


RETOOL = "sources/apps/retool.yaml"
PROD_VARIABLES = {
    "env.name": "prod",
    "env.domain": "platform.example.com",
    "env.issuer": "letsencrypt-prod",
    "env.tier": "production",
    "app.name": "retool",
    "app.namespace": "retool",
    "platform.ingressClass": "traefik-ingress",
    "platform.databaseNamespace": "database",
    "platform.argocdNamespace": "argocd",
    "platform.repoURL": "https://github.com/example-org/platform-gitops.git",
    "platform.revision": "main",
    "platform.region": "eu-west-1",
    "platform.secretStore": "aws-secrets-manager",
    "db.retool-db.host": "retool-db-rw.database.svc.cluster.local",
    "db.retool-db.port": "5432",
    "db.retool-db.database": "retool",
    "db.retool-db.owner": "retool",
    "db.retool-db.secret": "retool-db-credentials",
    "db.retool-db.usernameKey": "username",
    "db.retool-db.passwordKey": "password",
    "db.keycloak-db.host": "keycloak-db-rw.database.svc.cluster.local",
    "db.keycloak-db.secret": "keycloak-db-credentials",
    "ingress.main.host": "retool.platform.example.com",
    "ingress.main.url": "https://retool.platform.example.com",
}
DATABASE_VARIABLES = {"app.name": "retool-db", "app.namespace": "database"}


def _probe_block(indent: str, variables: dict[str, str]) -> str:
    lines = [f"{indent}probe:"] + [f"{indent}  {name}: ${{{name}}}" for name in variables]
    return "\n".join([*lines, f"{indent}  escaped: $${{env.name}}"]) + "\n"


def test_every_variable_resolves_in_a_rendered_app_and_database(example_repo: Path) -> None:
    edit(example_repo, RETOOL, "\nvalues:\n", "\nvalues:\n" + _probe_block("  ", PROD_VARIABLES))
    edit(
        example_repo,
        RETOOL,
        "  retool-db:\n",
        "  retool-db:\n    values:\n" + _probe_block("      ", DATABASE_VARIABLES),
    )

    apps = load_and_render(example_repo, ["prod"]).environments["prod"].apps

    assert apps["retool"].values.data["probe"] == {**PROD_VARIABLES, "escaped": "${env.name}"}
    assert apps["retool-db"].values.data["probe"] == {
        **DATABASE_VARIABLES,
        "escaped": "${env.name}",
    }


def test_an_environment_null_removes_values_from_the_rendered_file(example_repo: Path) -> None:
    edit(
        example_repo,
        "sources/environments/prod.yaml",
        "  retool:\n    values:\n",
        "  retool:\n    values:\n      postgresql: null\n      ingress:\n        pathType: null\n",
    )
    target = "rendered/prod/retool/values.yaml"
    before = output_snapshot(example_repo)

    result = invoke_cli(example_repo, "render")

    assert (result.exit_code, result.stderr) == (0, "")
    after = output_snapshot(example_repo)
    assert result.stdout == f"rendered {len(after)} files in 3 environments: 1 written, 0 pruned\n"
    assert {path for path in after if after[path] != before.get(path)} == {target}
    expected = reader.to_plain(reader.parse(project_rendering().files[target], target))
    del expected["postgresql"], expected["ingress"]["pathType"]
    assert reader.to_plain(reader.parse(after[target].decode(), target)) == expected
    assert b"null" not in after[target]
