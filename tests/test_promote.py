"""`promote`: the source environment's chart versions and `promote` values written into the target
environment's source file, as a careful human would, then rendered; in real git repositories.

The example's apps all run the chart version of their app file (retool 6.6.0, keycloakx 7.1.11,
traefik 37.1.1). `ready_in_dev` tries retool 6.7.0 with image tag 3.334.12-stable in dev, renders
and commits, as the README's walk-through does.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import invoke_cli, run_cli
from tests.support import copy_example, edit, line_of, rerender

DEV = "sources/environments/dev.yaml"
STAGING = "sources/environments/staging.yaml"
PROD = "sources/environments/prod.yaml"
RETOOL = "sources/apps/retool.yaml"
RENDERED = "rendered 96 files in 3 environments: 2 written, 0 pruned\n"
RETOOL_CHANGES = [
    "    chart version: 6.6.0 -> 6.7.0",
    '    value image.tag: "3.334.11-stable" -> "3.334.12-stable"',
]


def git(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    result = subprocess.run(
        ["git", *identity, "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def changed_lines(repo: Path, file: str) -> list[str]:
    """The lines `git diff` adds and removes in one file."""
    diff = git(repo, "diff", "--unified=0", "--", file).splitlines()
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The example, committed in a fresh git repository."""
    copy_example(tmp_path)
    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, "the example")
    return tmp_path


@pytest.fixture
def ready_in_dev(repo: Path) -> Path:
    """Retool promotes `image.tag`; dev runs chart 6.7.0 and image 3.334.12-stable (committed)."""
    edit(repo, RETOOL, "namespace: retool\n", "namespace: retool\npromote: [image.tag]\n")
    edit(
        repo,
        DEV,
        "  retool:\n",
        "  retool:\n    chart: {version: 6.7.0}\n"
        '    values:\n      image: {tag: "3.334.12-stable"}\n',
    )
    rerender(repo)
    commit(repo, "retool 6.7.0 with image 3.334.12-stable in dev")
    return repo


# --- the example as it is -----------------------------------------------------------------------


def test_the_example_has_nothing_to_promote_to_prod(repo: Path) -> None:
    result = run_cli(repo, "promote", "--to", "prod", "retool", "--dry-run")

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "--- prod\n"
        "+++ prod, promoted from staging\n"
        "= retool (app)\n"
        "summary: 0 changed, 1 unchanged; nothing to promote\n"
    )
    assert git(repo, "status", "--porcelain") == ""


# --- a promotion --------------------------------------------------------------------------------


def test_dry_run_prints_the_changes_and_writes_nothing(ready_in_dev: Path) -> None:
    result = invoke_cli(ready_in_dev, "promote", "--to", "staging", "retool", "--dry-run")

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "--- staging",
        "+++ staging, promoted from dev",
        "~ retool (app)",
        *RETOOL_CHANGES,
        "summary: 1 changed, 0 unchanged; dry run: nothing written",
    ]
    assert git(ready_in_dev, "status", "--porcelain") == ""


def test_every_app_enabled_in_both_by_default(ready_in_dev: Path) -> None:
    result = invoke_cli(ready_in_dev, "promote", "--to", "staging", "--dry-run")

    assert result.stdout.splitlines() == [
        "--- staging",
        "+++ staging, promoted from dev",
        "= argocd (app)",
        "= cert-manager (app)",
        "= cloudnative-pg (app)",
        "= cluster-issuer (app)",
        "= external-secrets (app)",
        "= keycloak (app)",
        "= monitoring (app)",
        "~ retool (app)",
        *RETOOL_CHANGES,
        "= secret-store (app)",
        "= traefik-ingress (app)",
        "summary: 1 changed, 9 unchanged; dry run: nothing written",
    ]


def test_promotion_writes_the_promoted_lines_and_renders(ready_in_dev: Path) -> None:
    repo = ready_in_dev

    result = invoke_cli(repo, "promote", "--to", "staging", "retool")

    assert (result.exit_code, result.stderr) == (0, RENDERED)
    assert result.stdout.splitlines() == [
        "--- staging",
        "+++ staging, promoted from dev",
        "~ retool (app)",
        *RETOOL_CHANGES,
        f"summary: 1 changed, 0 unchanged; {STAGING} updated and the output rendered",
    ]
    assert git(repo, "status", "--porcelain").splitlines() == [
        " M applications/staging/retool.yaml",
        " M rendered/staging/retool/values.yaml",
        f" M {STAGING}",
    ]
    assert changed_lines(repo, STAGING) == [
        "+      image:",
        "+        tag: 3.334.12-stable",
        "+    chart:",
        "+      version: 6.7.0",
    ]
    assert changed_lines(repo, "applications/staging/retool.yaml") == [
        "-      targetRevision: 6.6.0",
        "+      targetRevision: 6.7.0",
    ]
    assert changed_lines(repo, "rendered/staging/retool/values.yaml") == [
        "-  tag: 3.334.11-stable",
        "+  tag: 3.334.12-stable",
    ]
    assert invoke_cli(repo, "render", "--check").exit_code == 0


def test_dev_to_staging_to_prod(ready_in_dev: Path) -> None:
    repo = ready_in_dev
    assert invoke_cli(repo, "promote", "--to", "staging").exit_code == 0
    commit(repo, "retool 6.7.0 with image 3.334.12-stable in staging")

    result = run_cli(repo, "promote", "--to", "prod", "retool")

    assert (result.returncode, result.stderr) == (0, RENDERED)
    assert result.stdout.splitlines()[:2] == ["--- prod", "+++ prod, promoted from staging"]
    assert git(repo, "status", "--porcelain").splitlines() == [
        " M applications/prod/retool.yaml",
        " M rendered/prod/retool/values.yaml",
        f" M {PROD}",
    ]
    assert git(repo, "diff", "--", PROD).splitlines()[4:] == [
        "@@ -51,10 +51,14 @@ apps:",
        "   retool:",
        "     values:",
        "       replicaCount: 3",
        "+      image:",
        "+        tag: 3.334.12-stable",
        "     databases:",
        "       retool-db:",
        "         instances: 3",
        "         storage: 50Gi",
        "+    chart:",
        "+      version: 6.7.0",
        "   monitoring:",
        "     values:",
        "       prometheus:",
    ]


def test_promoting_twice_changes_nothing(ready_in_dev: Path) -> None:
    repo = ready_in_dev
    assert invoke_cli(repo, "promote", "--to", "staging", "retool").exit_code == 0
    commit(repo, "promoted")
    before = (repo / STAGING).read_bytes()

    result = invoke_cli(repo, "promote", "--to", "staging", "retool")

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "--- staging\n"
        "+++ staging, promoted from dev\n"
        "= retool (app)\n"
        "summary: 0 changed, 1 unchanged; nothing to promote\n"
    )
    assert (repo / STAGING).read_bytes() == before
    assert git(repo, "status", "--porcelain") == ""


# An environment file written by hand: a header comment, quoted strings, flow maps, blank lines,
# comments after keys and spacing ruamel.yaml would not keep. It renders as the example's.
ODD_STAGING = """\
# Staging: production's shape at half the size.
description: "Staging, production's shape at half the size, Let's Encrypt staging certificates."
cluster: {server: "https://kubernetes.default.svc"}
domain: 'staging.platform.example.com'
issuer: letsencrypt-staging   # the Let's Encrypt staging CA
tier: staging

apps:
  argocd:
  traefik-ingress: {values: {deployment: {replicas: 2}}}
  cert-manager:
  cluster-issuer:
    values:
      acme:
        server: "https://acme-staging-v02.api.letsencrypt.org/directory"
        email: platform-team@example.com
  cloudnative-pg:

  # Identity.
  keycloak:
    values: {replicas: 2}
    databases:
      keycloak-db: {instances: 2}
  retool:   # internal tools
    values:
      replicaCount:   2    # half of prod

    databases:
      retool-db:
        instances: 2

  monitoring:
    values:
      prometheus:
        prometheusSpec:
          retention: "7d"
"""


def test_a_hand_formatted_file_changes_only_in_the_promoted_lines(ready_in_dev: Path) -> None:
    repo = ready_in_dev
    (repo / STAGING).write_text(ODD_STAGING, encoding="utf-8")
    edit(repo, DEV, "  keycloak:\n", "  keycloak:\n    chart: {version: 7.2.0}\n")
    edit(repo, DEV, "  traefik-ingress:\n", "  traefik-ingress:\n    chart: {version: 37.2.0}\n")
    rerender(repo)
    commit(repo, "staging by hand; keycloak and traefik upgraded in dev")

    result = invoke_cli(repo, "promote", "--to", "staging")

    assert result.exit_code == 0
    assert git(repo, "diff", "--", STAGING).splitlines()[4:] == [
        "@@ -7,7 +7,7 @@ tier: staging",
        " ",
        " apps:",
        "   argocd:",
        "-  traefik-ingress: {values: {deployment: {replicas: 2}}}",
        "+  traefik-ingress: {values: {deployment: {replicas: 2}}, chart: {version: 37.2.0}}",
        "   cert-manager:",
        "   cluster-issuer:",
        "     values:",
        "@@ -21,13 +21,19 @@ apps:",
        "     values: {replicas: 2}",
        "     databases:",
        "       keycloak-db: {instances: 2}",
        "+    chart:",
        "+      version: 7.2.0",
        "   retool:   # internal tools",
        "     values:",
        "       replicaCount:   2    # half of prod",
        "+      image:",
        "+        tag: 3.334.12-stable",
        " ",
        "     databases:",
        "       retool-db:",
        "         instances: 2",
        "+    chart:",
        "+      version: 6.7.0",
        " ",
        "   monitoring:",
        "     values:",
    ]
    assert [line.split()[0:2] for line in result.stdout.splitlines() if line[:1] in "~="] == [
        ["=", "argocd"],
        ["=", "cert-manager"],
        ["=", "cloudnative-pg"],
        ["=", "cluster-issuer"],
        ["~", "keycloak"],
        ["=", "monitoring"],
        ["~", "retool"],
        ["~", "traefik-ingress"],
    ]


def test_json_report(ready_in_dev: Path) -> None:
    result = invoke_cli(
        ready_in_dev, "promote", "--to", "staging", "retool", "--dry-run", "--format", "json"
    )

    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {
        "version": 1,
        "from": "dev",
        "to": "staging",
        "dryRun": True,
        "apps": [
            {
                "name": "retool",
                "kind": "app",
                "status": "changed",
                "chartVersion": {"from": "6.6.0", "to": "6.7.0"},
                "values": [
                    {
                        "path": "image.tag",
                        "keys": ["image", "tag"],
                        "from": "3.334.11-stable",
                        "to": "3.334.12-stable",
                    }
                ],
                "application": [],
            }
        ],
        "summary": {"added": 0, "removed": 0, "changed": 1, "unchanged": 0},
        "written": [],
    }
    written = invoke_cli(ready_in_dev, "promote", "--to", "staging", "retool", "--format", "json")
    assert json.loads(written.stdout)["written"] == [STAGING]


# --- what blocks a promotion --------------------------------------------------------------------


def test_an_error_in_the_source_environment_blocks_it(ready_in_dev: Path) -> None:
    repo = ready_in_dev
    issuer = "          cert-manager.io/cluster-issuer: letsencrypt-prod\n"
    tag = '      image: {tag: "3.334.12-stable"}\n'
    edit(repo, DEV, tag, f"{tag}      ingress:\n        annotations:\n{issuer}")
    rerender(repo)
    commit(repo, "the prod issuer in dev")
    line = line_of(repo, DEV, "letsencrypt-prod")

    result = invoke_cli(repo, "promote", "--to", "staging", "retool")

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"{DEV}:{line}:11: error ingress-issuer: ingress 'main' names cluster issuer "
        "'letsencrypt-prod', not the environment's 'selfsigned-cluster-issuer' [dev/retool]",
        "1 error, 0 warnings, 0 excepted",
        "error: dev has error-level findings: nothing promoted "
        "(`python render.py validate --env dev` lists them)",
    ]
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("--to", "qa"), "unknown environment qa (known: dev, prod, staging)", id="unknown-to"
        ),
        pytest.param(
            ("--to", "prod", "--from", "uat"),
            "unknown environment uat (known: dev, prod, staging)",
            id="unknown-from",
        ),
        pytest.param(
            ("--to", "dev"),
            "dev is first in the promotion order (dev, staging, prod): no environment comes "
            "before it; pass --from ENV",
            id="first-in-the-order",
        ),
        pytest.param(
            ("--to", "prod", "--from", "prod"),
            "--from and --to are both prod: nothing to promote",
            id="same-environment",
        ),
        pytest.param(
            ("--to", "prod", "retool", "vault"),
            "unknown app 'vault' (known: argocd, cert-manager, cloudnative-pg, cluster-issuer, "
            "external-secrets, keycloak, monitoring, retool, secret-store, traefik-ingress)",
            id="unknown-app",
        ),
        pytest.param(
            ("--to", "staging", "--format", "yaml"),
            "unknown format 'yaml' (known: text, json)",
            id="unknown-format",
        ),
    ],
)
def test_unusable_arguments_exit_2(repo: Path, args: tuple[str, ...], message: str) -> None:
    result = invoke_cli(repo, "promote", *args)

    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {message}\n")
    assert git(repo, "status", "--porcelain") == ""


def test_an_app_not_enabled_in_both_exits_2(repo: Path) -> None:
    block = "  keycloak:\n    values:\n      replicas: 2\n    databases:\n      keycloak-db:\n"
    edit(repo, STAGING, block + "        instances: 2\n", "")
    commit(repo, "no keycloak in staging")

    result = invoke_cli(repo, "promote", "--to", "prod", "keycloak", "retool")

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "error: app 'keycloak' is not enabled in environment staging\n"
    assert git(repo, "status", "--porcelain") == ""


def test_an_environment_outside_the_order_needs_from(repo: Path) -> None:
    edit(repo, "sources/platform.yaml", "promotion: [dev, staging, prod]", "promotion: [dev, prod]")
    commit(repo, "staging outside the order")

    result = invoke_cli(repo, "promote", "--to", "staging")
    explicit = invoke_cli(repo, "promote", "--to", "staging", "--from", "dev", "--dry-run")

    assert (result.exit_code, result.stderr) == (
        2,
        "error: staging is not in the promotion order (dev, prod): pass --from ENV\n",
    )
    assert (explicit.exit_code, explicit.stdout.splitlines()[1]) == (
        0,
        "+++ staging, promoted from dev",
    )
