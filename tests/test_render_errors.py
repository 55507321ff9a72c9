"""Every kind of unusable input exits 2 with one exact message, and nothing is written.

Each edit returns the 1-based line its message points at (``None`` when the message has no
position or a fixed one); ``%d`` in the expected message is that line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import invoke_cli, output_snapshot, run_cli
from tests.support import edit

RETOOL = "sources/apps/retool.yaml"
KEYCLOAK = "sources/apps/keycloak.yaml"
DEV = "sources/environments/dev.yaml"
PROD = "sources/environments/prod.yaml"
PLATFORM = "sources/platform.yaml"
APPS = (
    "argocd, cert-manager, cloudnative-pg, cluster-issuer, external-secrets, keycloak, "
    "monitoring, retool, secret-store, traefik-ingress"
)
APP_KEYS = (
    "apis, chart, databases, dependsOn, description, ingresses, namespace, placement, profile, "
    "promote, providedSecrets, secrets, syncWave, values"
)
PLATFORM_VARIABLES = (
    "platform.argocdNamespace, platform.databaseNamespace, platform.ingressClass, "
    "platform.region, platform.repoURL, platform.revision, platform.secretStore"
)
RETOOL_VARIABLES = (
    "app.name, app.namespace, db.keycloak-db.database, db.keycloak-db.host, "
    "db.keycloak-db.owner, db.keycloak-db.passwordKey, db.keycloak-db.port, "
    "db.keycloak-db.secret, db.keycloak-db.usernameKey, db.retool-db.database, "
    "db.retool-db.host, db.retool-db.owner, db.retool-db.passwordKey, db.retool-db.port, "
    "db.retool-db.secret, db.retool-db.usernameKey, env.domain, env.issuer, env.name, env.tier"
)
NOT_A_LABEL = (
    "is not a DNS-1123 label: use lower-case letters, digits and '-', starting and ending with "
    "a letter or digit, at most 63 characters"
)
LOCAL_APP = "chart:\n  path: charts/cluster-issuer\nnamespace: keycloak\n"

Edit = Callable[[Path], int | None]


def _append(repo: Path, file: str, added: str) -> int:
    """Append lines; the line of the first one."""
    path = repo / file
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    path.write_text(text + added, encoding="utf-8")
    return text.count("\n") + 1


def _write(repo: Path, file: str, text: str) -> None:
    (repo / file).write_text(text, encoding="utf-8")


def yaml_syntax(repo: Path) -> int:
    return _append(repo, RETOOL, "retool: broken: value\n")


def duplicate_key(repo: Path) -> int:
    return _append(repo, RETOOL, "namespace: other\n")


def not_a_mapping(repo: Path) -> None:
    _write(repo, DEV, "- argocd\n- retool\n")


def empty_file(repo: Path) -> None:
    _write(repo, RETOOL, "")


def unknown_key(repo: Path) -> int:
    return edit(repo, RETOOL, "namespace: retool\n", "namespace: retool\nreplicas: 2\n") + 1


def unknown_nested_key(repo: Path) -> int:
    return edit(repo, RETOOL, "  nodeGroup: large\n", "  nodegroup: large\n")


def wrong_type(repo: Path) -> int:
    return edit(repo, RETOOL, "namespace: retool\n", "namespace: retool\nsyncWave: three\n") + 1


def not_in_enum(repo: Path) -> int:
    return edit(repo, DEV, "tier: development\n", "tier: testing\n")


def missing_required_key(repo: Path) -> None:
    edit(repo, RETOOL, "namespace: retool\n", "")


def environment_names_unknown_app(repo: Path) -> int:
    return _append(repo, DEV, "  vault:\n")


def override_names_unknown_database(repo: Path) -> int:
    return edit(repo, PROD, "      keycloak-db:\n", "      keycloak-database:\n")


def depends_on_unknown_app(repo: Path) -> int:
    old = "dependsOn: [traefik-ingress, cluster-issuer]\n"
    return edit(repo, RETOOL, old, old.replace("]", ", vault]"))


def dependency_cycle(repo: Path) -> int:
    old = "dependsOn: [traefik-ingress, cluster-issuer]\n"
    edit(repo, RETOOL, old, old.replace("]", ", keycloak]"))
    return edit(repo, KEYCLOAK, old, old.replace("]", ", retool]"))


def dependency_cycle_through_a_database(repo: Path) -> int:
    """keycloak -> its database -> the database operator -> keycloak."""
    return _append(repo, "sources/apps/cloudnative-pg.yaml", "dependsOn: [keycloak]\n")


def promotion_names_unknown_environment(repo: Path) -> int:
    old = "promotion: [dev, staging, prod]\n"
    return edit(repo, PLATFORM, old, old.replace("staging", "qa"))


def promotion_names_an_environment_twice(repo: Path) -> int:
    old = "promotion: [dev, staging, prod]\n"
    return edit(repo, PLATFORM, old, old.replace("prod", "dev"))


def chart_version_of_a_local_chart(repo: Path) -> int:
    old = "  cluster-issuer:\n"
    return edit(repo, PROD, old, old + "    chart: {version: 1.0.0}\n") + 1


def chart_override_other_than_version(repo: Path) -> int:
    old = "  retool:\n"
    return edit(repo, PROD, old, old + "    chart: {version: 6.7.0, name: retool}\n") + 1


def promote_path_with_an_empty_key(repo: Path) -> int:
    old = "namespace: retool\n"
    return edit(repo, RETOOL, old, old + "promote: [image..tag]\n") + 1


def unknown_node_group(repo: Path) -> int:
    return edit(repo, RETOOL, "  nodeGroup: large\n", "  nodeGroup: gpu\n")


def undefined_variable_in_values(repo: Path) -> int:
    old = "    licenseKeySecretName: retool-license\n"
    return edit(repo, RETOOL, old, old.replace("retool-", "${env.region}-"))


def undefined_variable_in_host(repo: Path) -> int:
    return edit(repo, RETOOL, "    host: retool.${env.domain}\n", "    host: retool.${zone}\n")


def app_named_like_a_database(repo: Path) -> None:
    _write(repo, "sources/apps/keycloak-db.yaml", LOCAL_APP)
    _append(repo, DEV, "  keycloak-db:\n")


def app_named_like_the_project(repo: Path) -> None:
    _write(repo, "sources/apps/project.yaml", LOCAL_APP)
    _append(repo, DEV, "  project:\n")


def bad_app_name(repo: Path) -> None:
    _write(repo, "sources/apps/Bad_Name.yaml", LOCAL_APP)


def bad_environment_name(repo: Path) -> None:
    (repo / DEV).rename(repo / "sources/environments/QA.yaml")


def bad_database_name(repo: Path) -> int:
    return edit(repo, RETOOL, "  retool-db:\n", "  Retool_DB:\n")


def yml_suffix(repo: Path) -> None:
    _write(repo, "sources/profiles/extra.yml", "workloads: {}\n")


def unchanged(repo: Path) -> None:
    return None


def case(name: str, edit: Edit, message: str, *args: str) -> Any:
    return pytest.param(edit, message, args or ("render",), id=name)


CASES = [
    case(
        "yaml-syntax-error", yaml_syntax,
        f"{RETOOL}:%d:15: YAML syntax error: mapping values are not allowed in this context",
    ),
    case(
        "duplicate-key", duplicate_key,
        f'{RETOOL}:%d:1: YAML syntax error: duplicate key "namespace" with value "other" '
        '(first set to "retool" on line 6)',
    ),
    case(
        "not-a-mapping", not_a_mapping,
        f"{DEV}:1:1: the environment file must be a YAML mapping of keys to values",
    ),
    case(
        "empty-file", empty_file,
        f"{RETOOL}:1:1: the app file must be a YAML mapping of keys to values",
    ),
    case(
        "unknown-key", unknown_key,
        f"{RETOOL}:%d:1: (top level): unknown key 'replicas' (allowed: {APP_KEYS})",
    ),
    case(
        "unknown-nested-key", unknown_nested_key,
        f"{RETOOL}:%d:3: placement: unknown key 'nodegroup' (allowed: nodeGroup, workloads)",
    ),
    case(
        "wrong-type", wrong_type,
        f"{RETOOL}:%d:1: syncWave: 'three' is not of type 'integer'",
    ),
    case(
        "not-in-enum", not_in_enum,
        f"{DEV}:%d:1: tier: 'testing' is not one of ['development', 'staging', 'production']",
    ),
    case(
        "missing-required-key", missing_required_key,
        f"{RETOOL}:1:1: (top level): 'namespace' is a required property",
    ),
    case(
        "environment-names-unknown-app", environment_names_unknown_app,
        f"{DEV}:%d:3: unknown app 'vault' (known: {APPS})",
    ),
    case(
        "override-names-unknown-database", override_names_unknown_database,
        f"{PROD}:%d:7: unknown database of app 'keycloak' 'keycloak-database' "
        "(known: keycloak-db)",
    ),
    case(
        "depends-on-unknown-app", depends_on_unknown_app,
        f"{RETOOL}:%d:46: unknown app 'vault' (known: {APPS})",
    ),
    case(
        "dependency-cycle", dependency_cycle,
        f"{KEYCLOAK}:%d:46: dependency cycle: keycloak -> retool -> keycloak",
    ),
    case(
        "dependency-cycle-through-a-database", dependency_cycle_through_a_database,
        "sources/apps/cloudnative-pg.yaml:%d:1: dependency cycle: "
        "cloudnative-pg -> keycloak -> keycloak-db -> cloudnative-pg",
    ),
    case(
        "promotion-names-unknown-environment", promotion_names_unknown_environment,
        f"{PLATFORM}:%d:18: unknown environment 'qa' (known: dev, prod, staging)",
    ),
    case(
        "promotion-names-an-environment-twice", promotion_names_an_environment_twice,
        f"{PLATFORM}:%d:1: promotion: ['dev', 'staging', 'dev'] has non-unique elements",
    ),
    case(
        "chart-version-of-a-local-chart", chart_version_of_a_local_chart,
        f"{PROD}:%d:13: app 'cluster-issuer' uses the chart charts/cluster-issuer, owned here "
        "and rendered from this repository's revision: it has no version to set",
    ),
    case(
        "chart-override-other-than-version", chart_override_other_than_version,
        f"{PROD}:%d:29: apps.retool.chart: unknown key 'name' (allowed: version)",
    ),
    case(
        "promote-path-with-an-empty-key", promote_path_with_an_empty_key,
        f"{RETOOL}:%d:11: promote.0: 'image..tag' does not match '^[^.]+(\\\\.[^.]+)*$'",
    ),
    case(
        "unknown-node-group", unknown_node_group,
        f"{RETOOL}:%d:3: unknown node group 'gpu' (known: database, large, workload)",
    ),
    case(
        "undefined-variable-in-values", undefined_variable_in_values,
        f"{RETOOL}:%d:5: undefined variable ${{env.region}} (defined here: {RETOOL_VARIABLES}, "
        f"ingress.main.host, ingress.main.url, {PLATFORM_VARIABLES})",
    ),
    case(
        "undefined-variable-in-host", undefined_variable_in_host,
        f"{RETOOL}:%d:5: undefined variable ${{zone}} (defined here: {RETOOL_VARIABLES}, "
        f"{PLATFORM_VARIABLES})",
    ),
    case(
        "app-named-like-a-database", app_named_like_a_database,
        "sources/apps/keycloak-db.yaml:1:1: app 'keycloak-db' renders to "
        "applications/dev/keycloak-db.yaml, which app 'keycloak' also renders to in "
        "environment 'dev': rename one of them",
    ),
    case(
        "app-named-like-the-project", app_named_like_the_project,
        "sources/apps/project.yaml:1:1: app 'project' renders to applications/dev/project.yaml, "
        "which the root Application or AppProject also renders to in "
        "environment 'dev': rename one of them",
    ),
    case(
        "bad-app-name", bad_app_name,
        f"sources/apps/Bad_Name.yaml: app name 'Bad_Name' {NOT_A_LABEL}",
    ),
    case(
        "bad-environment-name", bad_environment_name,
        f"sources/environments/QA.yaml: environment name 'QA' {NOT_A_LABEL}",
    ),
    case(
        "bad-database-name", bad_database_name,
        f"{RETOOL}:%d:3: databases: 'Retool_DB' does not match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'",
    ),
    case(
        "yml-suffix", yml_suffix,
        "sources/profiles/extra.yml: rename to extra.yaml: sources use the .yaml suffix",
    ),
    case(
        "unknown-env-option", unchanged,
        "unknown environment qa (known: dev, prod, staging)", "render", "--env", "qa",
    ),
    case(
        "unknown-env-option-with-check", unchanged,
        "unknown environment qa, uat (known: dev, prod, staging)",
        "render", "--check", "--env", "qa", "--env", "dev", "--env", "uat",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "message", "args"), CASES)
def test_unusable_input_exits_2_naming_the_place_and_writes_nothing(
    example_repo: Path, edit: Edit, message: str, args: tuple[str, ...]
) -> None:
    line = edit(example_repo)
    expected = message % line if line is not None else message
    before = output_snapshot(example_repo)

    result = invoke_cli(example_repo, *args)

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"error: {expected}\n"
    assert output_snapshot(example_repo) == before


def test_unusable_input_from_the_command_line(example_repo: Path) -> None:
    line = dependency_cycle(example_repo)

    result = run_cli(example_repo, "render")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {KEYCLOAK}:{line}:46: dependency cycle: keycloak -> retool -> keycloak\n"
    )
