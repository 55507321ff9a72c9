"""End-to-end: the validate and rules commands, run as users run them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gitopsctl.report import catalog
from gitopsctl.rules import RULES
from tests.support import PROJECT, copy_example, edit, line_of, rerender


def run(repo: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROJECT / "render.py"), "--repo", str(repo), *args],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=repo,
        check=False,
    )


NGINX_OVERRIDE = "  replicaCount: 1\n  ingress:\n    ingressClassName: nginx\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


# The example has no chart lock: each of its 8 upstream pins is a chart-lock warning per
# environment.
UNLOCKED_PINS = 8


def without_chart_lock(lines: list[str]) -> list[str]:
    """Report lines other than the example's chart-lock warnings."""
    return [line for line in lines if "chart-lock" not in line]


def test_example_validates_without_errors(repo: Path) -> None:
    result = run(repo, "validate")
    lines = result.stdout.splitlines()
    assert (result.returncode, result.stderr, lines[-1]) == (
        0,
        "",
        f"0 errors, {13 + 3 * UNLOCKED_PINS} warnings, 0 excepted",
    )
    rules = [line.split(" ")[2] for line in lines[:-1]]
    assert sorted(set(rules)) == ["chart-lock:", "ha-replicas:"]
    assert rules.count("chart-lock:") == 3 * UNLOCKED_PINS


def test_json_report_of_a_hand_edit_names_drift_and_policy(repo: Path) -> None:
    values = "rendered/prod/monitoring/values.yaml"
    edit(repo, values, "ingressClassName: traefik-ingress", "ingressClassName: nginx")
    line = line_of(repo, values, "ingressClassName: nginx")
    result = run(repo, "validate", "--format", "json", "--env", "prod")
    report = json.loads(result.stdout)
    report["findings"] = [
        f for f in report["findings"] if f["rule"] not in ("ha-replicas", "chart-lock")
    ]
    assert result.returncode == 1
    assert report == {
        "version": 1,
        "findings": [
            {
                "rule": "render-drift",
                "severity": "error",
                "env": "prod",
                "app": None,
                "file": values,
                "line": line,
                "column": 1,
                "message": f"{values} differs from what the sources render: "
                "run `make render` and commit the result",
                "rendered": values,
                "excepted": False,
            },
            {
                "rule": "ingress-class",
                "severity": "error",
                "env": "prod",
                "app": "monitoring",
                "file": values,
                "line": line,
                "column": 5,
                "message": "ingress 'grafana' uses class 'nginx', not the platform's "
                "'traefik-ingress'",
                "rendered": values,
                "excepted": False,
            },
        ],
        "summary": {"errors": 2, "warnings": 13 + UNLOCKED_PINS, "excepted": 0},
    }


def test_text_report_points_at_the_source_line(repo: Path) -> None:
    source = "sources/apps/retool.yaml"
    edit(repo, source, "  replicaCount: 1\n", NGINX_OVERRIDE)
    rerender(repo)
    line = line_of(repo, source, "ingressClassName: nginx")
    result = run(repo, "validate", "--env", "dev")
    assert result.returncode == 1
    assert without_chart_lock(result.stdout.splitlines()) == [
        f"{source}:{line}:5: error ingress-class: ingress 'main' uses class 'nginx', "
        "not the platform's 'traefik-ingress' [dev/retool]",
        f"1 error, {UNLOCKED_PINS} warnings, 0 excepted",
    ]


def test_github_format(repo: Path) -> None:
    source = "sources/apps/retool.yaml"
    edit(repo, source, "  replicaCount: 1\n", NGINX_OVERRIDE)
    rerender(repo)
    line = line_of(repo, source, "ingressClassName: nginx")
    result = run(repo, "validate", "--env", "dev", "--format", "github")
    assert without_chart_lock(result.stdout.splitlines()) == [
        f"::error file={source},line={line},col=5,title=ingress-class::ingress 'main' uses "
        "class 'nginx', not the platform's 'traefik-ingress'"
    ]


def test_broken_source_is_a_source_schema_finding_and_exits_2(repo: Path) -> None:
    edit(repo, "sources/apps/retool.yaml", "placement:", "placment:")
    line = line_of(repo, "sources/apps/retool.yaml", "placment:")
    result = run(repo, "validate")
    assert (result.returncode, result.stderr) == (
        2,
        "error: the sources are unusable (1 problem, reported as source-schema findings): "
        "nothing else was checked\n",
    )
    assert result.stdout.splitlines()[0].startswith(
        f"sources/apps/retool.yaml:{line}:1: error source-schema: (top level): unknown key "
        "'placment' (allowed: apis, chart, databases, dependsOn, description, ingresses, "
        "namespace, placement, profile, "
    )


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_broken_source_reaches_machine_readable_reports(repo: Path, fmt: str) -> None:
    edit(repo, "sources/apps/retool.yaml", "placement:", "placment:")
    line = line_of(repo, "sources/apps/retool.yaml", "placment:")
    result = run(repo, "validate", "--format", fmt)
    report = json.loads(result.stdout)
    if fmt == "json":
        where = [(f["rule"], f["file"], f["line"]) for f in report["findings"]]
    else:
        where = [
            (r["ruleId"], *_sarif_location(r["locations"][0])) for r in report["runs"][0]["results"]
        ]
    assert (result.returncode, where) == (
        2,
        [("source-schema", "sources/apps/retool.yaml", line)],
    )


def _sarif_location(location: dict[str, Any]) -> tuple[str, int]:
    physical = location["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical["region"]["startLine"]


EXCEPTION = """
exceptions:
  - rule: ingress-class
    env: dev
    app: retool
    reason: migrating retool to the nginx controller
"""


def test_exception_marks_the_finding_and_keeps_the_exit_code_zero(repo: Path) -> None:
    source = "sources/apps/retool.yaml"
    edit(repo, source, "  replicaCount: 1\n", NGINX_OVERRIDE)
    (repo / "sources/platform.yaml").write_text(
        (repo / "sources/platform.yaml").read_text() + EXCEPTION
    )
    rerender(repo)
    result = run(repo, "validate", "--env", "dev", "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 0
    found = [(f["rule"], f["excepted"]) for f in report["findings"] if f["rule"] != "chart-lock"]
    assert found == [("ingress-class", True)]
    assert report["summary"] == {"errors": 0, "warnings": UNLOCKED_PINS, "excepted": 1}


def test_expired_and_unused_exceptions_are_reported(repo: Path) -> None:
    platform = "sources/platform.yaml"
    (repo / platform).write_text(
        (repo / platform).read_text()
        + EXCEPTION
        + "  - rule: ha-replicas\n    reason: old\n    expires: 2020-01-01\n"
    )
    result = run(repo, "validate", "--format", "json")
    findings = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "source-schema"]
    first = line_of(repo, platform, "- rule: ingress-class")
    second = line_of(repo, platform, "- rule: ha-replicas")
    assert result.returncode == 1
    assert [(f["rule"], f["severity"], f["line"], f["message"]) for f in findings] == [
        (
            "source-schema",
            "warning",
            first,
            "exception for ingress-class [dev/retool] matches no finding: remove it",
        ),
        (
            "source-schema",
            "error",
            second,
            "exception for ha-replicas expired on 2020-01-01: fix what it excused or renew it "
            "(reason given: old)",
        ),
    ]


ENVIRONMENTS = "environments: dev, prod, staging"
APPS_AND_DATABASES = (
    "apps: argocd, cert-manager, cloudnative-pg, cluster-issuer, external-secrets, keycloak, "
    "keycloak-db, keycloak-secrets, monitoring, monitoring-secrets, retool, retool-db, "
    "retool-secrets, secret-store, traefik-ingress"
)


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        pytest.param(
            "  - rule: ha-replicas\n    env: qa\n    reason: r\n",
            f"exception for ha-replicas [qa] names an unknown environment 'qa' ({ENVIRONMENTS})",
            id="unknown-environment-FAILED",
        ),
        pytest.param(
            "  - rule: ha-replicas\n    app: vault\n    reason: r\n",
            "exception for ha-replicas [vault] names an unknown app 'vault' "
            f"({APPS_AND_DATABASES})",
            id="unknown-app-FAILED",
        ),
        pytest.param(
            "  - rule: render-drift\n    reason: r\n",
            "exception for render-drift is not allowed: render-drift cannot be excepted (the "
            "committed output must be what the sources render: run `make render` and commit the "
            "result)",
            id="render-drift-FAILED",
        ),
        pytest.param(
            "  - rule: helm-template\n    reason: r\n",
            "exception for helm-template is not allowed: helm-template cannot be excepted (Argo CD"
            " cannot sync a release Helm cannot render: fix its chart or values)",
            id="helm-template-FAILED",
        ),
    ],
)
def test_exceptions_that_cannot_apply_are_errors_at_their_line(
    repo: Path, declared: str, message: str
) -> None:
    platform = "sources/platform.yaml"
    (repo / platform).write_text((repo / platform).read_text() + "exceptions:\n" + declared)
    line = line_of(repo, platform, "  - rule: ")
    result = run(repo, "validate", "--format", "json")
    findings = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "source-schema"]
    assert (result.returncode, [(f["severity"], f["line"], f["message"]) for f in findings]) == (
        1,
        [("error", line, message)],
    )


def test_drift_is_never_excepted(repo: Path) -> None:
    platform = "sources/platform.yaml"
    (repo / platform).write_text(
        (repo / platform).read_text() + "exceptions:\n  - rule: render-drift\n    reason: r\n"
    )
    edit(repo, "rendered/dev/retool/values.yaml", "replicaCount: 1", "replicaCount: 2")
    result = run(repo, "validate", "--format", "json", "--env", "dev")
    findings = [f for f in json.loads(result.stdout)["findings"] if f["rule"] != "chart-lock"]
    assert (result.returncode, [(f["rule"], f["excepted"]) for f in findings]) == (
        1,
        [("render-drift", False), ("source-schema", False)],
    )


def test_exception_without_reason_is_a_schema_error(repo: Path) -> None:
    platform = "sources/platform.yaml"
    (repo / platform).write_text((repo / platform).read_text() + "exceptions:\n  - rule: x\n")
    line = line_of(repo, platform, "- rule: x")
    result = run(repo, "validate")
    assert result.returncode == 2
    assert result.stdout.splitlines()[0] == (
        f"{platform}:{line}:5: error source-schema: exceptions.0: 'reason' is a required property"
    )


MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      nodeSelector:
        workload-type: large
      containers:
        - name: api
          image: shop/api:1.0
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
  namespace: shop
spec:
  ingressClassName: nginx
  rules:
    - host: api.example.com
"""


def test_manifests_from_stdin_are_checked_with_object_names(repo: Path) -> None:
    result = run(repo, "validate", "--manifests", "-", stdin=MANIFEST)
    assert result.returncode == 1
    assert (
        "<stdin>:21:3: error ingress-class: ingress 'Ingress/shop/api' uses class 'nginx', "
        "not the platform's 'traefik-ingress'"
    ) in result.stdout.splitlines()


@pytest.mark.parametrize(
    ("case", "args", "stdin", "message"),
    [
        (
            "unknown-format",
            ["validate", "--format", "xml"],
            None,
            "error: unknown format 'xml'; choose one of: github, json, sarif, text",
        ),
        (
            "missing-path",
            ["validate", "--manifests", "nowhere.yaml"],
            None,
            "error: nowhere.yaml: no such file or directory (give a file, a folder or -)",
        ),
        (
            "unparseable",
            ["validate", "--manifests", "-"],
            "a: [1\nb: 2\n",
            "error: <stdin>:2:2: YAML syntax error: did not find expected ',' or ']'",
        ),
        (
            "not-an-object",
            ["validate", "--manifests", "-"],
            "- 1\n",
            "error: <stdin>:1:1: not a Kubernetes object (a mapping with apiVersion, kind and "
            "metadata.name): it is a list",
        ),
        (
            "node-groups-without-manifests",
            ["validate", "--node-groups", "groups.yaml"],
            None,
            "error: --node-groups, --ingress-class and --database-namespace go with"
            " --manifests; --kube-version and --crds with --manifests or --helm",
        ),
        (
            "unknown-rule",
            ["rules", "no-such-rule"],
            None,
            "error: unknown rule 'no-such-rule'; `python render.py rules` lists them",
        ),
    ],
)
def test_unusable_input_exits_2(
    repo: Path, case: str, args: list[str], stdin: str | None, message: str
) -> None:
    result = run(repo, *args, stdin=stdin)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message + "\n")


def test_malformed_node_groups_file_exits_2(repo: Path) -> None:
    (repo / "groups.yaml").write_text("nodeGroups:\n  - name: big\n    taints: [{key: a}]\n")
    result = run(
        repo, "validate", "--manifests", "-", "--node-groups", "groups.yaml", stdin=MANIFEST
    )
    assert result.returncode == 2
    assert result.stderr == (
        "error: groups.yaml:3:14: nodeGroups.0.taints.0: 'effect' is a required property\n"
    )


def test_rules_lists_every_rule() -> None:
    result = run(PROJECT, "rules")
    assert [line.split()[0] for line in result.stdout.splitlines()] == [
        "source-schema",
        "render-drift",
        *RULES,
        "helm-template",
        "helm-skipped",
    ]


def test_docs_rules_md_is_current() -> None:
    committed = (PROJECT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == catalog.markdown(catalog.CHECKS.values()), "run `make docs`"
