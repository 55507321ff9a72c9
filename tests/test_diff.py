"""`diff`: two environments side by side, and the working tree against a git ref (real git
repositories built in temporary folders), with the mass-deletion guard.

Expected values come from the sources: e.g. retool's `replicaCount: 1` in sources/apps/retool.yaml
and `replicaCount: 3` in sources/environments/prod.yaml; database `storage` lands at
`storage.size` of the cnpg-cluster chart (charts/cnpg-cluster/values.yaml); an ingress gets the
environment's issuer and a TLS secret named after its host (README, "What the renderer injects").
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gitopsctl.diff.changes import ABSENT, Change, compare_apps
from tests.conftest import PROJECT, invoke_cli, project_rendering, run_cli
from tests.support import delete_environment, edit

ISSUER = '"cert-manager.io/cluster-issuer"'
WAVE = 'metadata.annotations."argocd.argoproj.io/sync-wave"'
DEV_ISSUER = '"selfsigned-cluster-issuer" -> "letsencrypt-prod"'
IN_CLUSTER = "https://kubernetes.default.svc"
EXAMPLE_UNITS = [
    ("argocd", "app"),
    ("cert-manager", "app"),
    ("cloudnative-pg", "app"),
    ("cluster-issuer", "app"),
    ("external-secrets", "app"),
    ("keycloak", "app"),
    ("keycloak-db", "database"),
    ("keycloak-secrets", "secrets"),
    ("monitoring", "app"),
    ("monitoring-secrets", "secrets"),
    ("retool", "app"),
    ("retool-db", "database"),
    ("retool-secrets", "secrets"),
    ("secret-store", "app"),
    ("traefik-ingress", "app"),
]


def blocks(text: str) -> dict[str, list[str]]:
    """Each app's lines (its header first) of a `diff ENV_A ENV_B` text report."""
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines()[2:-1]:
        if not line.startswith("    "):
            current = found.setdefault(line.split(" ")[1], [])
        current.append(line)
    return found


# --- diff ENV_A ENV_B ---------------------------------------------------------------------------

DEV_TO_PROD = {
    "retool": [
        "~ retool (app)",
        f"    value ingress.annotations.{ISSUER}: {DEV_ISSUER}",
        '    value ingress.hosts[0].host: "retool.dev.platform.example.com" -> '
        '"retool.platform.example.com"',
        '    value ingress.tls[0].hosts[0]: "retool.dev.platform.example.com" -> '
        '"retool.platform.example.com"',
        '    value ingress.tls[0].secretName: "retool-dev-platform-example-com-tls" -> '
        '"retool-platform-example-com-tls"',
        "    value replicaCount: 1 -> 3",
    ],
    "retool-db": [
        "~ retool-db (database)",
        '    value credentials.remoteKey: "dev/databases/retool-db" -> "prod/databases/retool-db"',
        "    value instances: 1 -> 3",
        '    value storage.size: "20Gi" -> "50Gi"',
    ],
    "keycloak": [
        "~ keycloak (app)",
        '    value args[1]: "--hostname=https://keycloak.dev.platform.example.com" -> '
        '"--hostname=https://keycloak.platform.example.com"',
        f"    value ingress.annotations.{ISSUER}: {DEV_ISSUER}",
        '    value ingress.rules[0].host: "keycloak.dev.platform.example.com" -> '
        '"keycloak.platform.example.com"',
        '    value ingress.tls[0].hosts[0]: "keycloak.dev.platform.example.com" -> '
        '"keycloak.platform.example.com"',
        '    value ingress.tls[0].secretName: "keycloak-dev-platform-example-com-tls" -> '
        '"keycloak-platform-example-com-tls"',
        "    value replicas: (absent) -> 3",
    ],
    "keycloak-db": [
        "~ keycloak-db (database)",
        '    value credentials.remoteKey: "dev/databases/keycloak-db" -> '
        '"prod/databases/keycloak-db"',
        "    value instances: 1 -> 3",
        '    value storage.size: "10Gi" -> "20Gi"',
    ],
    "cluster-issuer": [
        "~ cluster-issuer (app)",
        '    value acme.email: (absent) -> "platform-team@example.com"',
        '    value acme.server: (absent) -> "https://acme-v02.api.letsencrypt.org/directory"',
        f"    value name: {DEV_ISSUER}",
        "    value selfSigned: {} -> (absent)",
    ],
    "cert-manager": [
        "~ cert-manager (app)",
        "    value cainjector.replicaCount: (absent) -> 2",
        "    value replicaCount: (absent) -> 2",
        "    value webhook.replicaCount: (absent) -> 2",
    ],
    "traefik-ingress": ["~ traefik-ingress (app)", "    value deployment.replicas: (absent) -> 3"],
    "cloudnative-pg": ["~ cloudnative-pg (app)", "    value replicaCount: (absent) -> 2"],
    "external-secrets": [
        "~ external-secrets (app)",
        "    value certController.replicaCount: (absent) -> 2",
        "    value leaderElect: (absent) -> true",
        "    value replicaCount: (absent) -> 2",
        "    value webhook.replicaCount: (absent) -> 2",
    ],
    # Each environment reads its own secrets: the remote keys start with its name.
    "monitoring-secrets": [
        "~ monitoring-secrets (secrets)",
        '    value externalSecrets.grafana-admin.data.admin-password.key: "dev/grafana/admin" -> '
        '"prod/grafana/admin"',
        '    value externalSecrets.grafana-admin.data.admin-user.key: "dev/grafana/admin" -> '
        '"prod/grafana/admin"',
        "    value externalSecrets.grafana-oidc.data.client-secret.key: "
        '"dev/keycloak/clients/grafana" -> "prod/keycloak/clients/grafana"',
    ],
    "secret-store": ["= secret-store (app)"],
}


@pytest.fixture(scope="module")
def dev_to_prod() -> str:
    result = invoke_cli(PROJECT, "diff", "dev", "prod")
    assert (result.exit_code, result.stderr) == (0, "")
    return result.stdout


@pytest.mark.parametrize("app", sorted(DEV_TO_PROD))
def test_dev_to_prod_lists_each_differing_value(dev_to_prod: str, app: str) -> None:
    assert blocks(dev_to_prod)[app] == DEV_TO_PROD[app]


def test_dev_to_prod_covers_every_app_and_database_once(dev_to_prod: str) -> None:
    lines = dev_to_prod.splitlines()
    assert lines[:2] == ["--- dev", "+++ prod"]
    assert [block[0].split(" ", 1)[1] for block in blocks(dev_to_prod).values()] == [
        f"{name} ({kind})" for name, kind in EXAMPLE_UNITS
    ]
    assert lines[-1] == "summary: 0 only in dev, 0 only in prod, 14 differ, 1 identical"


def test_fields_that_only_carry_the_environment_name_are_not_differences(dev_to_prod: str) -> None:
    # metadata.name (dev-retool / prod-retool), the environment label and the value file differ
    # in every Application; nothing else in the example's Applications does.
    assert [line for line in dev_to_prod.splitlines() if "application " in line] == []


def test_an_application_field_that_differs_in_more_than_the_env_name_is_shown() -> None:
    environments = project_rendering().environments
    dev, prod = environments["dev"], environments["prod"]
    retool = prod.apps["retool"]
    metadata = {**retool.application["metadata"], "name": "prod-retool-v2"}
    renamed = dataclasses.replace(retool, application={**retool.application, "metadata": metadata})
    prod = dataclasses.replace(prod, apps={**prod.apps, "retool": renamed})
    [diff] = [app for app in compare_apps(dev, prod) if app.name == "retool"]
    assert diff.application == (Change(("metadata", "name"), "dev-retool", "prod-retool-v2"),)


def test_an_environment_diffed_with_itself_is_identical() -> None:
    result = invoke_cli(PROJECT, "diff", "prod", "prod")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[2:] == [
        *(f"= {name} ({kind})" for name, kind in EXAMPLE_UNITS),
        "summary: 0 only in prod, 0 only in prod, 0 differ, 15 identical",
    ]


def test_apps_in_one_environment_only_and_sync_wave_changes(example_repo: Path) -> None:
    # Without cert-manager, cloudnative-pg, external-secrets and secret-store in dev,
    # cluster-issuer, the databases and the apps' Secrets have no dependency left there (wave 0),
    # which moves keycloak and retool to wave 1 + 1 = 2 and monitoring to 3; in prod they stay at
    # 2, 4 and 5 (the databases and Secrets at 3).
    for app in ("cert-manager", "cloudnative-pg", "external-secrets", "secret-store"):
        edit(example_repo, "sources/environments/dev.yaml", f"  {app}:\n", "")
    result = invoke_cli(example_repo, "diff", "dev", "prod")
    found = blocks(result.stdout)
    assert result.exit_code == 0
    assert found["cert-manager"] == ["+ cert-manager (app): only in prod"]
    assert found["cloudnative-pg"] == ["+ cloudnative-pg (app): only in prod"]
    assert found["keycloak"] == [*DEV_TO_PROD["keycloak"], f'    application {WAVE}: "2" -> "4"']
    assert found["keycloak-db"] == [
        *DEV_TO_PROD["keycloak-db"],
        f'    application {WAVE}: "0" -> "3"',
    ]
    assert found["cluster-issuer"][-1] == f'    application {WAVE}: "0" -> "2"'
    assert found["monitoring"][-1] == f'    application {WAVE}: "3" -> "5"'
    assert found["monitoring-secrets"][-1] == f'    application {WAVE}: "0" -> "3"'
    assert result.stdout.splitlines()[-1] == (
        "summary: 0 only in dev, 4 only in prod, 11 differ, 0 identical"
    )
    reverse = blocks(invoke_cli(example_repo, "diff", "prod", "dev").stdout)
    assert reverse["cert-manager"] == ["- cert-manager (app): only in prod"]


def test_a_different_cluster_shows_in_every_application(example_repo: Path) -> None:
    server = "https://staging.example.com:6443"
    edit(
        example_repo,
        "sources/environments/staging.yaml",
        "server: https://kubernetes.default.svc",
        f"server: {server}",
    )
    found = blocks(invoke_cli(example_repo, "diff", "staging", "prod").stdout)
    expected = f'    application spec.destination.server: "{server}" -> "{IN_CLUSTER}"'
    assert {name: lines.count(expected) for name, lines in found.items()} == {
        name: 1 for name, _ in EXAMPLE_UNITS
    }


def test_a_chart_version_that_differs_has_a_line_of_its_own(example_repo: Path) -> None:
    edit(example_repo, STAGING, "  retool:\n", "  retool:\n    chart: {version: 6.7.0}\n")

    text = invoke_cli(example_repo, "diff", "staging", "prod").stdout
    report = json.loads(
        invoke_cli(example_repo, "diff", "staging", "prod", "--format", "json").stdout
    )

    assert blocks(text)["retool"][:2] == ["~ retool (app)", "    chart version: 6.7.0 -> 6.6.0"]
    assert [line for line in text.splitlines() if "targetRevision" in line] == []
    [retool] = [app for app in report["apps"] if app["name"] == "retool"]
    assert list(retool)[:4] == ["name", "kind", "status", "chartVersion"]
    assert retool["chartVersion"] == {"from": "6.7.0", "to": "6.6.0"}
    assert retool["application"] == []
    assert [app["name"] for app in report["apps"] if "chartVersion" in app] == ["retool"]


def test_json_report_structure() -> None:
    result = invoke_cli(PROJECT, "diff", "dev", "prod", "--format", "json")
    report = json.loads(result.stdout)
    apps = {app["name"]: app for app in report["apps"]}
    assert result.exit_code == 0
    assert list(report) == ["version", "from", "to", "apps", "summary"]
    assert (report["version"], report["from"], report["to"]) == (1, "dev", "prod")
    assert [(app["name"], app["kind"]) for app in report["apps"]] == EXAMPLE_UNITS
    assert report["summary"] == {"added": 0, "removed": 0, "changed": 14, "unchanged": 1}
    assert apps["retool-db"] == {
        "name": "retool-db",
        "kind": "database",
        "status": "changed",
        "values": [
            {
                "path": "credentials.remoteKey",
                "keys": ["credentials", "remoteKey"],
                "from": "dev/databases/retool-db",
                "to": "prod/databases/retool-db",
            },
            {"path": "instances", "keys": ["instances"], "from": 1, "to": 3},
            {"path": "storage.size", "keys": ["storage", "size"], "from": "20Gi", "to": "50Gi"},
        ],
        "application": [],
    }
    assert apps["cluster-issuer"]["values"][0] == {
        "path": "acme.email",
        "keys": ["acme", "email"],
        "to": "platform-team@example.com",
    }
    assert apps["cluster-issuer"]["values"][-1] == {
        "path": "selfSigned",
        "keys": ["selfSigned"],
        "from": {},
    }
    assert apps["cloudnative-pg"]["status"] == "changed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("dev", "qa"), "unknown environment qa (known: dev, prod, staging)"),
        (("dev",), "diff takes two environments (ENV_A ENV_B), or --against REF"),
        (("dev", "prod", "staging"), "diff takes two environments (ENV_A ENV_B), or --against REF"),
        (
            ("dev", "prod", "--against", "HEAD"),
            "diff takes either two environments or --against REF, not both",
        ),
        (
            ("dev", "prod", "--allow-deletions"),
            "--allow-deletions and --max-deletions go with --against REF",
        ),
        (("dev", "prod", "--format", "yaml"), "unknown format 'yaml' (known: text, json)"),
    ],
)
def test_unusable_arguments_exit_2(args: tuple[str, ...], message: str) -> None:
    result = run_cli(PROJECT, "diff", *args)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"error: {message}\n")


def test_value_changes_compare_types_strictly() -> None:
    from gitopsctl.diff.changes import changes

    before = {"a": 1, "b": True, "c": {"d": "x"}, "e": {}}
    after = {"a": 1.0, "b": 1, "c": {"d": "x"}, "e": {"f": 2}}
    assert changes(before, after) == (
        Change(("a",), 1, 1.0),
        Change(("b",), True, 1),
        Change(("e", "f"), ABSENT, 2),
    )


# --- diff --against REF -------------------------------------------------------------------------

RETOOL_PROD = "  retool:\n    values:\n      replicaCount: 3\n"
STAGING = "sources/environments/staging.yaml"
STAGING_KEYCLOAK = (
    "  keycloak:\n    values:\n      replicas: 2\n    databases:\n      keycloak-db:\n"
    "        instances: 2\n"
)
WHOAMI = """\
chart:
  repo: https://charts.example.com
  name: whoami
  version: 1.0.0
namespace: whoami
values:
  replicaCount: 1
"""
UNCHANGED_ENV = "0 added, 0 removed, 0 changed, 15 unchanged"


def git(cwd: Path, *args: str) -> str:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    result = subprocess.run(
        ["git", *identity, "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def commit_all(repo: Path, message: str = "change") -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(example_repo: Path) -> Path:
    """The example committed in a fresh git repository."""
    git(example_repo, "init", "-q", "-b", "main")
    commit_all(example_repo, "the example")
    return example_repo


def header(repo: Path, ref: str = "HEAD") -> list[str]:
    return [f"--- {ref} ({git(repo, 'rev-parse', ref)[:12]})", "+++ working tree"]


def test_no_change(repo: Path) -> None:
    result = invoke_cli(repo, "diff", "--against", "HEAD")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        *header(repo),
        f"dev: {UNCHANGED_ENV}",
        f"prod: {UNCHANGED_ENV}",
        f"staging: {UNCHANGED_ENV}",
        "summary: 0 added, 0 removed, 0 changed",
    ]


def test_a_changed_value(repo: Path) -> None:
    edit(repo, "sources/environments/prod.yaml", RETOOL_PROD, RETOOL_PROD.replace("3", "5"))
    result = invoke_cli(repo, "diff", "--against", "HEAD")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        *header(repo),
        f"dev: {UNCHANGED_ENV}",
        "prod: 0 added, 0 removed, 1 changed, 14 unchanged",
        "  ~ retool (app)",
        "      value replicaCount: 3 -> 5",
        f"staging: {UNCHANGED_ENV}",
        "summary: 0 added, 0 removed, 1 changed",
    ]


def test_a_changed_chart_version(repo: Path) -> None:
    edit(repo, "sources/apps/retool.yaml", "  version: 6.6.0\n", "  version: 6.7.0-rc.1\n")
    result = invoke_cli(repo, "diff", "--against", "HEAD")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        *header(repo),
        *(
            line
            for env in ("dev", "prod", "staging")
            for line in (
                f"{env}: 0 added, 0 removed, 1 changed, 14 unchanged",
                "  ~ retool (app)",
                "      chart version: 6.6.0 -> 6.7.0-rc.1",
            )
        ),
        "summary: 0 added, 0 removed, 3 changed",
    ]


def test_an_app_added_to_an_environment(repo: Path) -> None:
    (repo / "sources/apps/whoami.yaml").write_text(WHOAMI, encoding="utf-8")
    edit(repo, "sources/environments/dev.yaml", "  retool:\n", "  retool:\n  whoami:\n")
    result = invoke_cli(repo, "diff", "--against", "HEAD")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[2:4] == [
        "dev: 1 added, 0 removed, 0 changed, 15 unchanged",
        "  + whoami (app)",
    ]
    assert result.stdout.splitlines()[-1] == "summary: 1 added, 0 removed, 0 changed"


def test_an_app_removed_from_an_environment(repo: Path) -> None:
    # keycloak, its database and its Secrets go (3 of 15, under 30%); monitoring, which depends
    # on keycloak, moves from wave 5 to wave 4 (after its own Secrets, at 3).
    edit(repo, STAGING, STAGING_KEYCLOAK, "")
    result = invoke_cli(repo, "diff", "--against", "HEAD")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        *header(repo),
        f"dev: {UNCHANGED_ENV}",
        f"prod: {UNCHANGED_ENV}",
        "staging: 0 added, 3 removed, 1 changed, 11 unchanged",
        "  - keycloak (app)",
        "  - keycloak-db (database)",
        "  - keycloak-secrets (secrets)",
        "  ~ monitoring (app)",
        f'      application {WAVE}: "5" -> "4"',
        "summary: 0 added, 3 removed, 1 changed",
    ]


def test_a_new_environment(repo: Path) -> None:
    (repo / "sources/environments/qa.yaml").write_text(
        (repo / STAGING).read_text(encoding="utf-8"), encoding="utf-8"
    )
    result = invoke_cli(repo, "diff", "--against", "HEAD")
    lines = result.stdout.splitlines()
    assert (result.exit_code, result.stderr) == (0, "")
    assert lines[4:20] == [
        "qa: 15 added, 0 removed, 0 changed, 0 unchanged (new environment)",
        *(f"  + {name} ({kind})" for name, kind in EXAMPLE_UNITS),
    ]


STAGING_GONE = [
    "staging: 0 added, 15 removed, 0 changed, 0 unchanged (environment removed)",
    *(f"  - {name} ({kind})" for name, kind in EXAMPLE_UNITS),
    "summary: 0 added, 15 removed, 0 changed",
]
GUARD = "warning: staging: 15 of 15 Applications (100%) would be deleted, more than --max-deletions"


def test_deleting_an_environment_file_trips_the_guard(repo: Path) -> None:
    delete_environment(repo, "staging")
    result = invoke_cli(repo, "diff", "--against", "HEAD")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[2:] == [
        f"dev: {UNCHANGED_ENV}",
        f"prod: {UNCHANGED_ENV}",
        *STAGING_GONE,
    ]
    assert result.stderr == f"{GUARD} 30%; pass --allow-deletions if that is intended\n"


def test_allow_deletions_reports_and_exits_0(repo: Path) -> None:
    delete_environment(repo, "staging")
    result = invoke_cli(repo, "diff", "--against", "HEAD", "--allow-deletions")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-len(STAGING_GONE) :] == STAGING_GONE
    assert result.stderr == f"{GUARD} 30%; allowed by --allow-deletions\n"


def test_an_environment_emptied_of_apps_is_not_pruned_silently(repo: Path) -> None:
    text = (repo / STAGING).read_text(encoding="utf-8")
    (repo / STAGING).write_text(text[: text.index("apps:")] + "apps: {}\n", encoding="utf-8")
    result = invoke_cli(repo, "diff", "--against", "HEAD")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[4] == "staging: 0 added, 15 removed, 0 changed, 0 unchanged"
    assert result.stderr == f"{GUARD} 30%; pass --allow-deletions if that is intended\n"


@pytest.mark.parametrize(
    ("options", "code", "warning"),
    [
        ((), 0, ""),
        (("--max-deletions", "0.2"), 0, ""),  # 20% is not more than 20%
        (
            ("--max-deletions", "0.1"),
            1,
            "warning: staging: 3 of 15 Applications (20%) would be deleted, more than "
            "--max-deletions 10%; pass --allow-deletions if that is intended\n",
        ),
        (
            ("--max-deletions", "0"),
            1,
            "warning: staging: 3 of 15 Applications (20%) would be deleted, more than "
            "--max-deletions 0%; pass --allow-deletions if that is intended\n",
        ),
    ],
)
def test_the_deletion_threshold(
    repo: Path, options: tuple[str, ...], code: int, warning: str
) -> None:
    edit(repo, STAGING, STAGING_KEYCLOAK, "")
    result = invoke_cli(repo, "diff", "--against", "HEAD", *options)
    assert (result.exit_code, result.stderr) == (code, warning)


def test_json_report_of_a_ref(repo: Path) -> None:
    edit(repo, "sources/environments/prod.yaml", RETOOL_PROD, RETOOL_PROD.replace("3", "5"))
    delete_environment(repo, "staging")
    result = invoke_cli(repo, "diff", "--against", "HEAD", "--format", "json")
    report = json.loads(result.stdout)
    environments = {env["name"]: env for env in report["environments"]}
    assert result.exit_code == 1
    assert list(report) == ["version", "ref", "commit", "environments", "summary"]
    assert (report["version"], report["ref"], report["commit"]) == (
        1,
        "HEAD",
        git(repo, "rev-parse", "HEAD"),
    )
    assert environments["prod"] == {
        "name": "prod",
        "status": "changed",
        "applications": {"before": 15, "after": 15},
        "apps": [
            {
                "name": "retool",
                "kind": "app",
                "status": "changed",
                "values": [{"path": "replicaCount", "keys": ["replicaCount"], "from": 3, "to": 5}],
                "application": [],
            }
        ],
        "summary": {"added": 0, "removed": 0, "changed": 1, "unchanged": 14},
        "deletions": {"count": 0, "share": 0.0, "overLimit": False},
    }
    assert environments["staging"]["status"] == "removed"
    assert environments["staging"]["deletions"] == {"count": 15, "share": 1.0, "overLimit": True}
    assert environments["dev"]["apps"] == []
    assert report["summary"] == {
        "added": 0,
        "removed": 15,
        "changed": 1,
        "unchanged": 29,
        "maxDeletions": 0.3,
        "allowDeletions": False,
        "overDeletionLimit": ["staging"],
    }


def test_against_an_older_commit_and_a_branch(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD")
    git(repo, "branch", "before")
    edit(repo, "sources/environments/prod.yaml", RETOOL_PROD, RETOOL_PROD.replace("3", "5"))
    commit_all(repo)
    for ref in (first, "before", "HEAD~1"):
        result = invoke_cli(repo, "diff", "--against", ref)
        assert result.stdout.splitlines()[:2] == header(repo, ref)
        assert "      value replicaCount: 3 -> 5" in result.stdout.splitlines()
    assert "prod: " + UNCHANGED_ENV in invoke_cli(repo, "diff", "--against", "HEAD").stdout


def test_a_repository_in_a_subfolder_of_the_work_tree(tmp_path: Path) -> None:
    top, platform = tmp_path / "top", tmp_path / "top" / "platform"
    for part in ("sources", "charts", "infrastructure"):
        shutil.copytree(PROJECT / part, platform / part)
    git(top, "init", "-q", "-b", "main")
    commit_all(top)
    edit(platform, "sources/environments/prod.yaml", RETOOL_PROD, RETOOL_PROD.replace("3", "5"))
    result = invoke_cli(platform, "diff", "--against", "HEAD")
    assert result.exit_code == 0
    assert "      value replicaCount: 3 -> 5" in result.stdout.splitlines()
    with (platform / "sources/apps/retool.yaml").open("a", encoding="utf-8") as stream:
        stream.write("bogus: 1\n")
    commit_all(top, "broken")
    git(top, "checkout", "-q", "HEAD~1", "--", "platform/sources")
    broken = invoke_cli(platform, "diff", "--against", "HEAD")
    assert broken.exit_code == 2
    assert broken.stderr.startswith("error: HEAD:platform/sources/apps/retool.yaml:")


def test_broken_working_tree_sources_exit_2(repo: Path) -> None:
    line = len((repo / "sources/apps/retool.yaml").read_text(encoding="utf-8").splitlines()) + 1
    with (repo / "sources/apps/retool.yaml").open("a", encoding="utf-8") as stream:
        stream.write("bogus: 1\n")
    result = run_cli(repo, "diff", "--against", "HEAD")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines()[0].startswith(
        f"error: sources/apps/retool.yaml:{line}:1: (top level): unknown key 'bogus'"
    )
    assert result.stderr.splitlines()[-1] == (
        "error: the working tree's sources do not render; nothing compared (fix the above)"
    )


def test_working_tree_without_environments_exit_2(repo: Path) -> None:
    for path in (repo / "sources/environments").iterdir():
        path.unlink()
    result = run_cli(repo, "diff", "--against", "HEAD")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines()[0] == (
        "error: no environments: add a file under sources/environments/"
    )


def test_broken_sources_at_the_ref_exit_2(repo: Path) -> None:
    retool = repo / "sources/apps/retool.yaml"
    good = retool.read_text(encoding="utf-8")
    retool.write_text(good + "bogus: 1\n", encoding="utf-8")
    commit_all(repo, "broken")
    retool.write_text(good, encoding="utf-8")
    line = len(good.splitlines()) + 1
    result = run_cli(repo, "diff", "--against", "HEAD")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines()[0].startswith(
        f"error: HEAD:sources/apps/retool.yaml:{line}:1: (top level): unknown key 'bogus'"
    )
    assert result.stderr.splitlines()[-1] == (
        "error: the sources at HEAD do not render; nothing compared (fix the above)"
    )


def test_a_ref_without_sources_exit_2(repo: Path) -> None:
    git(repo, "checkout", "-q", "--orphan", "empty")
    git(repo, "rm", "-q", "-r", "--cached", ".")  # the files stay, untracked
    git(repo, "commit", "-q", "--allow-empty", "-m", "nothing")
    commit = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-f", "main")
    result = run_cli(repo, "diff", "--against", "empty")
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"error: empty ({commit[:12]}) has no sources/ folder: nothing to compare with\n",
    )


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("no-such-branch", "unknown git ref 'no-such-branch' in {repo}: no commit has that name"),
        ("HEAD~5", "unknown git ref 'HEAD~5' in {repo}: no commit has that name"),
        ("--all", "'--all' is not a git ref"),
    ],
)
def test_unknown_refs_exit_2(repo: Path, ref: str, message: str) -> None:
    result = run_cli(repo, "diff", f"--against={ref}")
    expected = f"error: {message.format(repo=repo)}\n"
    assert (result.returncode, result.stdout, result.stderr) == (2, "", expected)


def test_outside_a_git_repository_exit_2(example_repo: Path) -> None:
    result = run_cli(example_repo, "diff", "--against", "HEAD")
    message = f"error: {example_repo} is not inside a git work tree: --against compares with git\n"
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message)


@pytest.mark.parametrize("share", ["1.5", "-0.1"])
def test_a_share_outside_0_to_1_exit_2(repo: Path, share: str) -> None:
    result = run_cli(repo, "diff", "--against", "HEAD", f"--max-deletions={share}")
    message = f"error: --max-deletions is a share from 0 to 1, not {float(share)}\n"
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message)
