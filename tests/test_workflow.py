"""The example GitHub Actions workflow runs the same checks as `make test`, through make."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.support import PROJECT

WORKFLOW = PROJECT / ".github" / "workflows" / "gitops.yaml"


def workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def make_targets() -> set[str]:
    text = (PROJECT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", text, re.MULTILINE))


def run_lines() -> list[str]:
    steps = workflow()["jobs"]["check"]["steps"]
    return [step["run"] for step in steps if "run" in step]


def test_workflow_is_valid_yaml_with_a_check_job() -> None:
    loaded = workflow()
    # YAML 1.1 reads the `on:` key as True, as GitHub's own parser does not; accept both.
    assert set(loaded) >= {"name", "jobs", "permissions"}
    assert "on" in loaded or True in loaded
    assert loaded["permissions"] == {"contents": "read", "security-events": "write"}


def test_every_run_step_calls_a_make_target_that_exists() -> None:
    called = {line.split()[1] for line in run_lines()}
    assert called == {"setup", "check", "charts", "validate"}
    assert called <= make_targets()


def test_make_test_runs_the_same_checks() -> None:
    text = (PROJECT / "Makefile").read_text(encoding="utf-8")
    recipe = text.split("\ntest: ", 1)[1].split("\n\n", 1)[0]
    assert "render.py render --check" in recipe
    assert "render.py validate" in recipe


def test_sarif_is_uploaded() -> None:
    steps = workflow()["jobs"]["check"]["steps"]
    upload = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif")]
    assert [s["with"]["sarif_file"] for s in upload] == ["gitops.sarif"]
    assert "make validate VALIDATE_FORMAT=sarif > gitops.sarif || true" in run_lines()


def test_the_chart_cache_is_keyed_on_the_lock_and_filled_by_charts_pull() -> None:
    steps = workflow()["jobs"]["check"]["steps"]
    cache = [s for s in steps if s.get("uses", "").startswith("actions/cache@")]
    assert [s["with"] for s in cache] == [
        {
            "path": "~/.cache/gitopsctl/charts",
            "key": "gitopsctl-charts-${{ hashFiles('sources/charts.lock') }}",
        }
    ]
    names = [s.get("run") or s.get("uses", "").split("@")[0] for s in steps]
    assert names.index("make charts") == names.index("actions/cache") + 1
    assert names.index("make charts") < names.index("make validate VALIDATE_FORMAT=github")
