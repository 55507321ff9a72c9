"""Provenance: `explain` names the file, line and layer that set every effective value."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gitopsctl.paths import format_path, leaves
from gitopsctl.render.explain import explain
from gitopsctl.render.values import (
    LAYER_APP,
    LAYER_ENVIRONMENT,
    LAYER_INGRESS,
    LAYER_PLACEMENT,
    LAYER_PROFILE,
    LAYER_SECRETS,
)
from gitopsctl.yaml import reader
from tests.conftest import PROJECT, invoke_cli, project_rendering, run_cli
from tests.support import edit

PLATFORM = "sources/platform.yaml"
PROD = "sources/environments/prod.yaml"
RETOOL = "sources/apps/retool.yaml"
RETOOL_PROFILE = "sources/profiles/retool.yaml"
CNPG_PROFILE = "sources/profiles/cnpg-cluster.yaml"
ROW = re.compile(r"(?P<where>\S+) +(?P<path>\S+?)=(?P<value>.*)  \((?P<layer>[^()]+)\)")


def line_of(file: str, *needles: str) -> int:
    """The 1-based line of the last needle, each needle searched after the one before."""
    text = (PROJECT / file).read_text(encoding="utf-8")
    start = 0
    for needle in needles:
        start = text.index(needle, start)
    return text.count("\n", 0, start) + 1


def rows(explained: str) -> dict[str, tuple[str, str, str]]:
    """Each value line of `explain` as path -> (file:line, JSON value, layer)."""
    found = {}
    for line in explained.splitlines():
        if line.startswith("#"):
            continue
        match = ROW.fullmatch(line)
        assert match, f"not a value line: {line!r}"
        found[match["path"]] = (match["where"], match["value"], match["layer"])
    return found


@pytest.mark.parametrize(
    ("env", "app", "path", "file", "needles", "value", "layer"),
    [
        pytest.param(
            "prod", "retool", "replicaCount", PROD, ("  retool:\n", "      replicaCount: 3\n"),
            "3", LAYER_ENVIRONMENT, id="environment-override",
        ),
        pytest.param(
            "prod", "retool", "resources.requests.cpu", RETOOL, ("values:\n", '      cpu: "5"'),
            '"5"', LAYER_APP, id="app-value",
        ),
        pytest.param(
            "prod", "retool", "config.postgresql.host", RETOOL,
            ("values:\n", "      host: ${db.retool-db.host}"),
            '"retool-db-rw.database.svc.cluster.local"', LAYER_APP, id="interpolated-app-value",
        ),
        pytest.param(
            "prod", "retool", "nodeSelector.workload-type", RETOOL,
            ("placement:\n", "  nodeGroup: large\n"), '"large"', LAYER_PLACEMENT,
            id="placement-node-selector",
        ),
        pytest.param(
            "prod", "retool", "tolerations[0].effect", RETOOL,
            ("placement:\n", "  nodeGroup: large\n"), '"NoSchedule"', LAYER_PLACEMENT,
            id="placement-toleration",
        ),
        pytest.param(
            "prod", "retool", "ingress.hosts[0].host", RETOOL,
            ("ingresses:\n", "    host: retool.${env.domain}"),
            '"retool.platform.example.com"', LAYER_INGRESS, id="ingress-host",
        ),
        pytest.param(
            "prod", "retool", 'ingress.annotations."cert-manager.io/cluster-issuer"', RETOOL,
            ("ingresses:\n", "    host: retool.${env.domain}"), '"letsencrypt-prod"',
            LAYER_INGRESS, id="ingress-issuer",
        ),
        pytest.param(
            "prod", "retool", "ingress.pathType", RETOOL_PROFILE,
            ("defaults:\n", "    pathType: Prefix"), '"Prefix"', LAYER_PROFILE,
            id="profile-default",
        ),
        pytest.param(
            "prod", "retool-db", "instances", PROD, ("      retool-db:\n", "        instances: 3"),
            "3", LAYER_ENVIRONMENT, id="database-instances-override",
        ),
        pytest.param(
            "prod", "retool-db", "storage.size", PROD,
            ("      retool-db:\n", "        storage: 50Gi"), '"50Gi"', LAYER_ENVIRONMENT,
            id="database-storage-override",
        ),
        pytest.param(
            "dev", "retool-db", "storage.size", RETOOL, ("  retool-db:\n", "    storage: 20Gi"),
            '"20Gi"', LAYER_APP, id="database-storage-app",
        ),
        pytest.param(
            "prod", "retool-db", "nodeSelector.workload-type", PLATFORM,
            ("\ndatabases:\n", "  nodeGroup: database"), '"database"', LAYER_PLACEMENT,
            id="database-placement",
        ),
        pytest.param(
            "prod", "retool-db", "imageName", CNPG_PROFILE, ("defaults:\n", "  imageName: "),
            '"ghcr.io/cloudnative-pg/postgresql:17.5"', LAYER_PROFILE,
            id="database-profile-default",
        ),
    ],
)  # fmt: skip
def test_explain_names_file_line_and_layer(
    env: str, app: str, path: str, file: str, needles: tuple[str, ...], value: str, layer: str
) -> None:
    explained = explain(project_rendering(), env, app)

    assert rows(explained)[path] == (f"{file}:{line_of(file, *needles)}", value, layer)


def test_explain_command_prints_every_value_of_the_rendered_file(example_repo: Path) -> None:
    result = run_cli(example_repo, "explain", "--env", "prod", "--app", "retool")

    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "# prod/retool: app https://charts.retool.com retool 6.6.0",
        f"# chart version 6.6.0 from {RETOOL}:{line_of(RETOOL, 'version: 6.6.0')} (app chart)",
        "# namespace retool, sync wave 4",
        "# application applications/prod/retool.yaml, values rendered/prod/retool/values.yaml",
    ]
    assert result.stdout == explain(project_rendering(), "prod", "retool")
    values_file = "rendered/prod/retool/values.yaml"
    committed = reader.parse((PROJECT / values_file).read_text(encoding="utf-8"), values_file)
    explained = {path: json.loads(value) for path, (_, value, _) in rows(result.stdout).items()}
    assert explained == {format_path(path): value for path, value in leaves(committed)}
    columns = {match.start("path") for match in map(ROW.fullmatch, lines[4:]) if match}
    assert len(columns) == 1, "the paths start in one column after the padded file:line"


def test_explain_names_the_environment_line_that_sets_the_chart_version(
    example_repo: Path,
) -> None:
    edit(example_repo, PROD, "  retool:\n", "  retool:\n    chart: {version: 6.7.0}\n")

    lines = invoke_cli(example_repo, "explain", "--env", "prod", "--app", "retool").stdout

    assert lines.splitlines()[:2] == [
        "# prod/retool: app https://charts.retool.com retool 6.7.0",
        f"# chart version 6.7.0 from {PROD}:{line_of(PROD, '  retool:') + 1} "
        "(environment override)",
    ]


def test_a_chart_owned_here_has_no_version_line() -> None:
    lines = explain(project_rendering(), "prod", "cluster-issuer").splitlines()

    assert lines[:2] == [
        "# prod/cluster-issuer: app charts/cluster-issuer",
        "# namespace cert-manager, sync wave 2",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("--env", "prod", "--app", "vault"),
            "app 'vault' is not enabled in environment 'prod' (enabled: argocd, cert-manager, "
            "cloudnative-pg, cluster-issuer, external-secrets, keycloak, keycloak-db, "
            "keycloak-secrets, monitoring, monitoring-secrets, retool, retool-db, retool-secrets, "
            "secret-store, traefik-ingress)",
            id="unknown-app",
        ),
        pytest.param(
            ("--env", "qa", "--app", "retool"),
            "unknown environment qa (known: dev, prod, staging)",
            id="unknown-environment",
        ),
    ],
)
def test_explain_of_unknown_names_exits_2(
    example_repo: Path, args: tuple[str, ...], message: str
) -> None:
    result = invoke_cli(example_repo, "explain", *args)

    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {message}\n")


LAYER_KEYS = {LAYER_PLACEMENT: ("nodeGroup", "chart"), LAYER_INGRESS: ("host",)}
# The renderer stores a database's `storage: 20Gi` as the chart's `storage.size`.
RENAMED_KEYS: dict[tuple[str | int, ...], str] = {("storage", "size"): "storage"}


def _origin_problems() -> list[str]:
    problems = []
    for env_name, env in project_rendering().environments.items():
        for name, app in env.apps.items():
            for path, _ in leaves(app.values.data):
                origin = app.values.origins.get(path)
                where = f"{env_name}/{name} {format_path(path)}"
                if origin is None:
                    problems.append(f"{where}: no origin")
                    continue
                lines = (PROJECT / origin.file).read_text(encoding="utf-8").splitlines()
                line = lines[origin.line - 1] if 0 < origin.line <= len(lines) else ""
                key = line.split(":", 1)[0].strip().lstrip("- ").strip("'\"")
                if key not in _keys_for(origin.layer, path, name):
                    problems.append(f"{where}: {origin} is the line {line!r}")
    return problems


def _keys_for(layer: str, path: tuple[str | int, ...], unit: str) -> tuple[str, ...]:
    if layer == LAYER_SECRETS:
        # A Secret key reads the remote key at its own line; a database's credentials come from
        # the database's line; the store (`secretStore`) and the refresh interval from the
        # platform's `secrets.store` and `secrets.refreshInterval`.
        names = [str(key) for key in path if isinstance(key, str)]
        databases = [name.removesuffix("-credentials") for name in names]
        return (*names, *databases, unit, "store")
    if layer in LAYER_KEYS:
        return LAYER_KEYS[layer]
    if path[-2:] in RENAMED_KEYS:
        return (RENAMED_KEYS[path[-2:]],)
    return tuple(str(key) for key in path if isinstance(key, str))[-1:]


def test_every_leaf_of_every_rendered_values_file_has_an_origin_at_its_key() -> None:
    assert _origin_problems() == []
