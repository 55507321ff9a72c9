"""Declared exceptions to rules: data with a mandatory reason, reported and never silent.

An excepted finding is still reported, marked excepted, and does not fail the run. An expired
exception is an error naming it, and so is one naming an unknown rule, environment or app, or
`render-drift` or `helm-template` (the committed output must be what the sources render, and
what Argo CD cannot render cannot be synced: neither is ever excused); one
that matches nothing is a warning, so stale ones get removed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import date
from typing import NamedTuple

from gitopsctl.findings import Finding, Severity
from gitopsctl.render.rendering import SECRETS_SUFFIX
from gitopsctl.report.pipeline_findings import helm_template, render_drift
from gitopsctl.report.pipeline_findings.source_schema import ID as RULE
from gitopsctl.sources.model import Model, Platform, origin_of

# Findings no exception may excuse, and why.
UNEXCEPTABLE = {
    render_drift.ID: f"the committed output must be what the sources render: {render_drift.FIX}",
    helm_template.ID: "Argo CD cannot sync a release Helm cannot render: fix its chart or values",
}


class Scope(NamedTuple):
    """What exceptions may name: the known rules, environments and apps (databases and the
    Applications of apps' Secrets included), and the environments this run checks."""

    rules: Collection[str]
    environments: Collection[str]
    apps: Collection[str]
    checked: Collection[str]

    @classmethod
    def of(cls, model: Model, rules: Collection[str], checked: Collection[str]) -> Scope:
        apps = {*model.apps, *(db for app in model.apps.values() for db in app.databases)}
        if model.platform.secrets is not None:
            apps.update(
                name + SECRETS_SUFFIX
                for name, app in model.apps.items()
                if app.secrets or app.databases
            )
        return cls(rules, frozenset(model.environments), frozenset(apps), checked)


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
    scope: Scope,
) -> list[Finding]:
    """Mark excepted findings, and add findings about expired, unknown and unused exceptions."""
    active = [
        e
        for e in exceptions
        if (e.expires is None or e.expires >= today) and _problem(e, scope) is None
    ]
    used: set[RuleException] = set()
    marked = []
    for finding in findings:
        match = next((e for e in active if e.matches(finding)), None)
        if match is not None:
            used.add(match)
            finding = finding._replace(excepted=True)
        marked.append(finding)
    return marked + list(_about_exceptions(exceptions, used, today, scope))


def _problem(exception: RuleException, scope: Scope) -> str | None:
    """Why an exception cannot apply: it names a rule, environment or app that does not exist,
    or a finding that is never excused."""
    if exception.rule not in scope.rules:
        return f"names an unknown rule (rules: {_listed(scope.rules)})"
    if exception.rule in UNEXCEPTABLE:
        return (
            f"is not allowed: {exception.rule} cannot be excepted ({UNEXCEPTABLE[exception.rule]})"
        )
    if exception.env is not None and exception.env not in scope.environments:
        return (
            f"names an unknown environment {exception.env!r} "
            f"(environments: {_listed(scope.environments)})"
        )
    if exception.app is not None and scope.apps and exception.app not in scope.apps:
        return f"names an unknown app {exception.app!r} (apps: {_listed(scope.apps)})"
    return None


def _listed(names: Collection[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def _about_exceptions(
    exceptions: Collection[RuleException],
    used: set[RuleException],
    today: date,
    scope: Scope,
) -> Iterator[Finding]:
    for exception in exceptions:
        problem = _problem(exception, scope)
        if problem is not None:
            yield exception.finding(Severity.ERROR, f"{exception.describe()} {problem}")
        elif exception.expires is not None and exception.expires < today:
            yield exception.finding(
                Severity.ERROR,
                f"{exception.describe()} expired on {exception.expires.isoformat()}: fix what it "
                f"excused or renew it (reason given: {exception.reason})",
            )
        elif exception not in used and exception.env in (None, *scope.checked):
            yield exception.finding(
                Severity.WARNING, f"{exception.describe()} matches no finding: remove it"
            )
