"""The registry: unique IDs, docs with examples, and a passing and a failing fixture per rule."""

from __future__ import annotations

import pytest

from gitopsctl.report.catalog import CHECKS as RULES
from tests.support import PROJECT

PIPELINE_RULE_TESTS = {
    "source-schema": "test_validate_cli.py",
    "render-drift": "test_validate_cli.py",
    "helm-skipped": "test_validate_helm.py",
}


def test_ids_are_unique_slugs() -> None:
    ids = [rule.id for rule in RULES.values()]
    assert len(ids) == len(set(ids))
    assert all(rule_id == key for key, rule_id in zip(RULES, ids, strict=True))


@pytest.mark.parametrize("rule_id", list(RULES))
def test_rule_has_docs_with_both_examples(rule_id: str) -> None:
    doc = RULES[rule_id].doc
    assert RULES[rule_id].summary
    assert "Passing" in doc and "Failing" in doc


@pytest.mark.parametrize("rule_id", list(RULES))
def test_rule_has_passing_and_failing_fixtures(rule_id: str) -> None:
    if rule_id in PIPELINE_RULE_TESTS:
        text = (PROJECT / "tests" / PIPELINE_RULE_TESTS[rule_id]).read_text(encoding="utf-8")
        assert f'"{rule_id}"' in text
        return
    text = (PROJECT / "tests" / f"test_rule_{rule_id.replace('-', '_')}.py").read_text()
    assert "-PASSED" in text and "-FAILED" in text
