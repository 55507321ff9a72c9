"""Declared exceptions to rules: data with a mandatory reason, reported and never silent.

An excepted finding is still reported, marked excepted, and does not fail the run. An expired
exception is an error naming it; one that matches nothing is a warning, so stale ones get removed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import date
from typing import NamedTuple

from gitopsctl.findings import Finding, Severity
from gitopsctl.report.pipeline_findings.source_schema import ID as RULE
from gitopsctl.sources.model import Platform, origin_of


class RuleException(NamedTuple):
    rule: str
    env: str | None
    app: str | None
    reason: str
    expires: date | None
    file: str
    line: int
    column: int

    def matches(self, finding: Finding) -> bool:
        return (
            finding.rule == self.rule
            and self.env in (None, finding.env)
            and self.app in (None, finding.app)
        )

    def describe(self) -> str:
        scope = "/".join(part for part in (self.env, self.app) if part)
        return f"exception for {self.rule}" + (f" [{scope}]" if scope else "")

    def finding(self, severity: Severity, message: str) -> Finding:
        return Finding(
            RULE, severity, self.env, self.app, self.file, self.line, self.column, message
        )


def declared_exceptions(platform: Platform) -> list[RuleException]:
    declared = platform.source.node.get("exceptions") or []
    return [_exception(platform, index, item) for index, item in enumerate(declared)]


def _exception(platform: Platform, index: int, item: dict[str, str]) -> RuleException:
    origin = origin_of(platform.source, ("exceptions", index), "")
    expires = item.get("expires")
    return RuleException(
        rule=str(item["rule"]),
        env=item.get("env"),
        app=item.get("app"),
        reason=str(item["reason"]),
        expires=date.fromisoformat(str(expires)) if expires else None,
        file=origin.file,
        line=origin.line,
        column=origin.column,
    )


def apply_exceptions(
    findings: Iterable[Finding],
    exceptions: Collection[RuleException],
    today: date,
    known_rules: Collection[str],
    envs: Collection[str],
) -> list[Finding]:
    """Mark excepted findings, and add findings about expired, unknown and unused exceptions."""
    active = [e for e in exceptions if e.expires is None or e.expires >= today]
    used: set[RuleException] = set()
    marked = []
    for finding in findings:
        match = next((e for e in active if e.matches(finding)), None)
        if match is not None:
            used.add(match)
            finding = finding._replace(excepted=True)
        marked.append(finding)
    return marked + list(_about_exceptions(exceptions, used, today, known_rules, envs))


def _about_exceptions(
    exceptions: Collection[RuleException],
    used: set[RuleException],
    today: date,
    known_rules: Collection[str],
    envs: Collection[str],
) -> Iterator[Finding]:
    for exception in exceptions:
        if exception.rule not in known_rules:
            known = ", ".join(sorted(known_rules))
            yield exception.finding(
                Severity.ERROR, f"{exception.describe()} names an unknown rule (rules: {known})"
            )
        elif exception.expires is not None and exception.expires < today:
            yield exception.finding(
                Severity.ERROR,
                f"{exception.describe()} expired on {exception.expires.isoformat()}: fix what it "
                f"excused or renew it (reason given: {exception.reason})",
            )
        elif exception not in used and exception.env in (None, *envs):
            yield exception.finding(
                Severity.WARNING, f"{exception.describe()} matches no finding: remove it"
            )
