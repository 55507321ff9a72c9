"""The registry: unique slug IDs, docs with examples, and a passing and a failing test per ID."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from gitopsctl.findings import Severity
from gitopsctl.report.catalog import CHECKS
from gitopsctl.report.pipeline_findings import (
    HELM_SKIPPED,
    HELM_TEMPLATE,
    RENDER_DRIFT,
    SOURCE_SCHEMA,
)
from gitopsctl.rules import RULE_MODULES, RULES, ingress_class, registry
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Environment
from tests.support import PROJECT

SLUG = re.compile(r"^[a-z]+(-[a-z]+)*$")
PIPELINE = {check.id: check for check in (SOURCE_SCHEMA, RENDER_DRIFT, HELM_TEMPLATE, HELM_SKIPPED)}

# --- the registry ---------------------------------------------------------------------------------


def no_hits(env: Environment, options: object) -> Iterator[Hit]:
    return iter(())


def fake_rule(name: str, rule_id: object) -> ModuleType:
    """A rule module as the registry reads one: ID, SEVERITY, check() and a docstring."""
    module = ModuleType(name, f"Fake rule {name}.\n\nPassing: nothing.\n\nFailing: never.")
    vars(module).update(ID=rule_id, SEVERITY=Severity.ERROR, check=no_hits)
    return module


def test_real_modules_give_unique_slug_ids_in_their_order() -> None:
    assert list(registry(RULE_MODULES)) == [module.ID for module in RULE_MODULES]
    assert [rule.id for rule in RULES.values()] == list(RULES)
    assert [rule_id for rule_id in RULES if not SLUG.fullmatch(rule_id)] == []


def test_fake_modules_with_distinct_slugs_are_registered_in_order() -> None:
    rules = registry([fake_rule("plugin.b", "zone-spread"), fake_rule("plugin.a", "quota")])

    assert [(rule_id, rule.id, rule.summary) for rule_id, rule in rules.items()] == [
        ("zone-spread", "zone-spread", "Fake rule plugin.b."),
        ("quota", "quota", "Fake rule plugin.a."),
    ]


@pytest.mark.parametrize(
    ("modules", "message"),
    [
        pytest.param(
            [fake_rule("plugin.a", "quota"), fake_rule("plugin.b", "quota")],
            "rule ID 'quota' of plugin.b is already used by plugin.a",
            id="two-fakes-share-an-id",
        ),
        pytest.param(
            [ingress_class, fake_rule("plugin.c", "ingress-class")],
            "rule ID 'ingress-class' of plugin.c is already used by gitopsctl.rules.ingress_class",
            id="fake-reuses-a-real-id",
        ),
        pytest.param(
            [*RULE_MODULES, ingress_class],
            "rule ID 'ingress-class' of gitopsctl.rules.ingress_class is already used by "
            "gitopsctl.rules.ingress_class",
            id="real-module-listed-twice",
        ),
        pytest.param(
            [fake_rule("plugin.d", "Ingress-Class")],
            "rule ID 'Ingress-Class' of plugin.d is not a lower-case slug",
            id="upper-case",
        ),
        pytest.param(
            [fake_rule("plugin.e", "ingress_class")],
            "rule ID 'ingress_class' of plugin.e is not a lower-case slug",
            id="underscore",
        ),
        pytest.param(
            [fake_rule("plugin.f", "ingress--class")],
            "rule ID 'ingress--class' of plugin.f is not a lower-case slug",
            id="double-hyphen",
        ),
        pytest.param(
            [fake_rule("plugin.g", "-ingress")],
            "rule ID '-ingress' of plugin.g is not a lower-case slug",
            id="leading-hyphen",
        ),
        pytest.param(
            [fake_rule("plugin.h", "ingress-")],
            "rule ID 'ingress-' of plugin.h is not a lower-case slug",
            id="trailing-hyphen",
        ),
        pytest.param(
            [fake_rule("plugin.i", "ingress\n")],
            "rule ID 'ingress\\n' of plugin.i is not a lower-case slug",
            id="trailing-newline",
        ),
        pytest.param(
            [fake_rule("plugin.j", "ha-replicas2")],
            "rule ID 'ha-replicas2' of plugin.j is not a lower-case slug",
            id="digit",
        ),
        pytest.param(
            [fake_rule("plugin.k", "")],
            "rule ID '' of plugin.k is not a lower-case slug",
            id="empty",
        ),
        pytest.param(
            [fake_rule("plugin.l", 7)],
            "rule ID 7 of plugin.l is not a lower-case slug",
            id="not-a-string",
        ),
        pytest.param(
            [fake_rule("plugin.m", "quota"), fake_rule("plugin.n", "Quota")],
            "rule ID 'Quota' of plugin.n is not a lower-case slug",
            id="differs-only-by-case",
        ),
    ],
)
def test_unusable_registry_raises(modules: list[ModuleType], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        registry(modules)

    assert str(raised.value) == message


def test_checks_are_pipeline_findings_and_rules_without_collision() -> None:
    assert [rule_id for rule_id in PIPELINE if rule_id in RULES] == []
    assert list(CHECKS) == [
        "source-schema",
        "render-drift",
        *RULES,
        "helm-template",
        "helm-skipped",
    ]
    assert CHECKS == {**PIPELINE, **RULES}
    assert [check_id for check_id in CHECKS if not SLUG.fullmatch(check_id)] == []


@pytest.mark.parametrize("check_id", list(CHECKS))
def test_check_has_docs_with_both_examples(check_id: str) -> None:
    doc = CHECKS[check_id].doc
    assert CHECKS[check_id].summary
    assert "Passing" in doc and "Failing" in doc


# --- every ID has a collected passing and a collected failing test -------------------------------

RULE_TEST_FILES = sorted(
    path.relative_to(PROJECT).as_posix() for path in (PROJECT / "tests").glob("test_rule_*.py")
)
FIXTURE_FILES = [*RULE_TEST_FILES, "tests/test_validate_cli.py", "tests/test_validate_helm.py"]
VALIDATE_CLI = "tests/test_validate_cli.py::"
VALIDATE_HELM = "tests/test_validate_helm.py::"

# The pipeline's findings are not rules over subjects: the end-to-end tests that show each one
# absent from a clean case (PASSED) and reported for a broken one (FAILED).
PIPELINE_TESTS: dict[str, dict[str, list[str]]] = {
    "source-schema": {
        "PASSED": [f"{VALIDATE_CLI}test_example_validates_without_errors"],
        "FAILED": [
            f"{VALIDATE_CLI}test_broken_source_is_a_source_schema_finding_and_exits_2",
            f"{VALIDATE_CLI}test_exception_without_reason_is_a_schema_error",
            f"{VALIDATE_CLI}test_expired_and_unused_exceptions_are_reported",
        ],
    },
    "render-drift": {
        "PASSED": [f"{VALIDATE_CLI}test_example_validates_without_errors"],
        "FAILED": [f"{VALIDATE_CLI}test_json_report_of_a_hand_edit_names_drift_and_policy"],
    },
    "helm-skipped": {
        "PASSED": [
            f"{VALIDATE_HELM}test_cached_chart_template_violations",
            f"{VALIDATE_HELM}test_local_chart_template_violations",
        ],
        "FAILED": [
            f"{VALIDATE_HELM}test_example_local_charts_pass_and_upstream_charts_are_skipped",
            f"{VALIDATE_HELM}test_skipped_charts_are_listed_in_text_too",
        ],
    },
    "helm-template": {
        "PASSED": [f"{VALIDATE_HELM}test_cached_chart_template_violations"],
        "FAILED": [
            f"{VALIDATE_HELM}"
            "test_a_release_helm_cannot_render_is_one_error_and_the_others_are_checked"
            f"[{case}]"
            for case in ("helm-fails", "output-not-objects")
        ],
    },
}
OUTCOME = re.compile(r"\[(?:.*-)?(PASSED|FAILED)\]$")


@pytest.fixture(scope="module")
def collected() -> frozenset[str]:
    """The node ids pytest collects from the rule and validate test files, asked once."""
    # `-o addopts=` drops the project's own `-q`: twice quiet lists counts, not node ids.
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-o", "addopts="]
    result = subprocess.run(
        [*command, "-p", "no:cacheprovider", *FIXTURE_FILES],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, ""), result.stdout
    return frozenset(line for line in result.stdout.splitlines() if "::" in line)


def outcomes_in(nodes: frozenset[str], file: str) -> set[str]:
    """PASSED and FAILED, as far as parametrize ids of the file's collected tests end in them."""
    found = (OUTCOME.search(node) for node in nodes if node.startswith(f"{file}::"))
    return {match.group(1) for match in found if match}


def test_every_pipeline_id_is_mapped_to_its_tests() -> None:
    assert sorted(PIPELINE_TESTS) == sorted(PIPELINE)


@pytest.mark.parametrize("rule_id", list(RULES))
def test_rule_has_collected_passing_and_failing_tests(
    collected: frozenset[str], rule_id: str
) -> None:
    file = f"tests/test_rule_{rule_id.replace('-', '_')}.py"

    assert outcomes_in(collected, file) == {"PASSED", "FAILED"}


@pytest.mark.parametrize("check_id", list(PIPELINE_TESTS))
def test_pipeline_id_has_collected_passing_and_failing_tests(
    collected: frozenset[str], check_id: str
) -> None:
    named = PIPELINE_TESTS[check_id]

    assert [outcome for outcome in ("PASSED", "FAILED") if not named[outcome]] == []
    assert [node for nodes in named.values() for node in nodes if node not in collected] == []
