"""The fixed validation pipeline: subjects, rules, exceptions, sort, format, exit code."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from gitopsctl.errors import EXIT_FINDINGS, EXIT_OK, Problem
from gitopsctl.findings import Finding, Severity
from gitopsctl.rules.base import Rule
from gitopsctl.subjects import Environment


def run_rules(envs: Iterable[Environment], rules: Iterable[Rule]) -> list[Finding]:
    """Every rule over every environment; the engine stamps rule, severity and environment."""
    rule_list = [rule for rule in rules if rule.check is not None]
    return [finding for env in envs for rule in rule_list for finding in _findings(rule, env)]


def _findings(rule: Rule, env: Environment) -> Iterator[Finding]:
    assert rule.check is not None
    for hit in rule.check(env, rule.options):
        location = hit.location
        yield Finding(
            rule=rule.id,
            severity=rule.severity_in(env),
            env=env.name,
            app=hit.app,
            file=location.file,
            line=max(location.line, 1),
            column=max(location.column, 1),
            message=hit.message,
            rendered=location.rendered,
        )


def problem_findings(
    rule: str, problems: Sequence[Problem], severity: Severity = Severity.ERROR
) -> list[Finding]:
    """Unusable sources as findings of ``rule``, at their file and line."""
    return [
        Finding(rule, severity, None, None, p.file or ".", p.line or 1, p.column or 1, p.message)
        for p in problems
    ]


def exit_code(findings: Iterable[Finding]) -> int:
    failing = any(f.severity is Severity.ERROR and not f.excepted for f in findings)
    return EXIT_FINDINGS if failing else EXIT_OK


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(set(findings), key=Finding.sort_key)
