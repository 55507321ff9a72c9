"""Turn sorted findings into one output format: text, json, sarif or github workflow commands."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple
from urllib.parse import quote

from gitopsctl.errors import InputError
from gitopsctl.findings import Finding, Severity

JSON_REPORT_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
# Placeholder until the project has a public home page; SARIF requires an absolute URI here.
INFORMATION_URI = "https://github.com/gitopsctl/gitopsctl"
EXCEPTION_JUSTIFICATION = "excepted by a declared exception"


class RuleInfo(NamedTuple):
    """What a report needs to know about a rule: summary is one line, description is markdown."""

    id: str
    severity: str
    summary: str
    description: str


class Formatter(ABC):
    """Renders the whole report at once; findings arrive sorted and keep their order."""

    lists_rules = False  # whether the report describes the rules (the catalog is then loaded)

    @abstractmethod
    def format(self, findings: Sequence[Finding], rules: Sequence[RuleInfo]) -> str: ...


class Counts(NamedTuple):
    errors: int
    warnings: int
    excepted: int


def count(findings: Sequence[Finding]) -> Counts:
    """Errors and warnings count only findings that still apply; excepted ones count apart."""
    applying = [f for f in findings if not f.excepted]
    return Counts(
        errors=sum(f.severity == Severity.ERROR for f in applying),
        warnings=sum(f.severity == Severity.WARNING for f in applying),
        excepted=len(findings) - len(applying),
    )


def context(finding: Finding) -> str:
    """`env/app`, `env`, `app` or an empty string, whichever parts the finding has."""
    return "/".join(part for part in (finding.env, finding.app) if part is not None)


def with_context(message: str, finding: Finding) -> str:
    where = context(finding)
    return f"{message} [{where}]" if where else message


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class TextFormatter(Formatter):
    """`file:line:column: severity rule: message [env/app]`, then a summary line."""

    def format(self, findings: Sequence[Finding], rules: Sequence[RuleInfo]) -> str:
        lines = [self.line(f) for f in findings]
        lines.append(self.summary(findings))
        return "\n".join(lines) + "\n"

    @staticmethod
    def line(finding: Finding) -> str:
        severity = finding.severity.value + (" (excepted)" if finding.excepted else "")
        where = f"{finding.file}:{finding.line}:{finding.column}"
        return f"{where}: {severity} {finding.rule}: {with_context(finding.message, finding)}"

    @staticmethod
    def summary(findings: Sequence[Finding]) -> str:
        if not findings:
            return "no findings"
        counts = count(findings)
        errors = _plural(counts.errors, "error")
        warnings = _plural(counts.warnings, "warning")
        return f"{errors}, {warnings}, {counts.excepted} excepted"


class JsonFormatter(Formatter):
    """A versioned document; its keys and their order are a public contract."""

    def format(self, findings: Sequence[Finding], rules: Sequence[RuleInfo]) -> str:
        document = {
            "version": JSON_REPORT_VERSION,
            "findings": [self.finding(f) for f in findings],
            "summary": count(findings)._asdict(),
        }
        return json.dumps(document, indent=2) + "\n"

    @staticmethod
    def finding(finding: Finding) -> dict[str, Any]:
        return {
            "rule": finding.rule,
            "severity": finding.severity.value,
            "env": finding.env,
            "app": finding.app,
            "file": finding.file,
            "line": finding.line,
            "column": finding.column,
            "message": finding.message,
            "rendered": finding.rendered,
            "excepted": finding.excepted,
        }


def escape_github_data(value: str) -> str:
    """Escape a workflow command's message the way the GitHub Actions runner unescapes it."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_github_property(value: str) -> str:
    """Property values also end at `,` and the message starts after `::`, so escape those too."""
    return escape_github_data(value).replace(":", "%3A").replace(",", "%2C")


class GithubFormatter(Formatter):
    """One workflow command per finding, which GitHub Actions shows as an annotation."""

    def format(self, findings: Sequence[Finding], rules: Sequence[RuleInfo]) -> str:
        return "".join(self.command(f) + "\n" for f in findings)

    @staticmethod
    def command(finding: Finding) -> str:
        level = "notice" if finding.excepted else finding.severity.value
        properties = ",".join(
            f"{key}={escape_github_property(value)}"
            for key, value in (
                ("file", finding.file),
                ("line", str(finding.line)),
                ("col", str(finding.column)),
                ("title", finding.rule),
            )
        )
        return f"::{level} {properties}::{escape_github_data(finding.message)}"


def tool_version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("gitopsctl")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


def artifact_uri(path: str) -> str:
    """A relative URI reference with forward slashes, percent-encoded where URIs require it."""
    posix = path.replace("\\", "/")
    while posix.startswith("./"):
        posix = posix[2:]
    return quote(posix, safe="/")


def fingerprint(finding: Finding) -> str:
    """Leaves out the line and column, so an alert keeps its identity when the code moves."""
    import hashlib

    key = [finding.rule, artifact_uri(finding.file), finding.message, finding.env, finding.app]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()


class SarifFormatter(Formatter):
    """SARIF 2.1.0 with the fields GitHub code scanning reads."""

    FINGERPRINT_KEY = "gitopsctl/v1"
    lists_rules = True

    def format(self, findings: Sequence[Finding], rules: Sequence[RuleInfo]) -> str:
        rule_index = {rule.id: index for index, rule in enumerate(rules)}
        occurrences: Counter[str] = Counter()
        results = []
        for finding in findings:
            digest = fingerprint(finding)
            occurrences[digest] += 1
            # Identical findings in one file would otherwise merge into a single alert.
            stamp = f"{digest}:{occurrences[digest]}"
            results.append(self.result(finding, rule_index.get(finding.rule), stamp))
        document = {
            "$schema": SARIF_SCHEMA,
            "version": SARIF_VERSION,
            "runs": [{"tool": {"driver": self.driver(rules)}, "results": results}],
        }
        return json.dumps(document, indent=2) + "\n"

    @staticmethod
    def driver(rules: Sequence[RuleInfo]) -> dict[str, Any]:
        return {
            "name": "gitopsctl",
            "informationUri": INFORMATION_URI,
            "version": tool_version(),
            "rules": [SarifFormatter.rule(rule) for rule in rules],
        }

    @staticmethod
    def rule(rule: RuleInfo) -> dict[str, Any]:
        return {
            "id": rule.id,
            "name": rule.id,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.description},
            "help": {"text": rule.description, "markdown": rule.description},
            "defaultConfiguration": {"level": Severity(rule.severity).value},
        }

    def result(self, finding: Finding, index: int | None, stamp: str) -> dict[str, Any]:
        result: dict[str, Any] = {"ruleId": finding.rule}
        # A finding from a rule the caller did not describe has no index to point at.
        if index is not None:
            result["ruleIndex"] = index
        result["level"] = "note" if finding.excepted else finding.severity.value
        result["message"] = {"text": with_context(finding.message, finding)}
        result["locations"] = [self.location(finding)]
        result["partialFingerprints"] = {self.FINGERPRINT_KEY: stamp}
        if finding.excepted:
            result["suppressions"] = [
                {"kind": "external", "justification": EXCEPTION_JUSTIFICATION}
            ]
        return result

    @staticmethod
    def location(finding: Finding) -> dict[str, Any]:
        return {
            "physicalLocation": {
                "artifactLocation": {"uri": artifact_uri(finding.file), "uriBaseId": "%SRCROOT%"},
                "region": {
                    "startLine": max(finding.line, 1),
                    "startColumn": max(finding.column, 1),
                },
            }
        }


FORMATS: dict[str, type[Formatter]] = {
    "github": GithubFormatter,
    "json": JsonFormatter,
    "sarif": SarifFormatter,
    "text": TextFormatter,
}


def format_report(fmt: str, findings: Sequence[Finding], rules: Sequence[RuleInfo]) -> str:
    """Render findings in the named format; an unknown name is a usage error."""
    formatter = FORMATS.get(fmt)
    if formatter is None:
        choices = ", ".join(sorted(FORMATS))
        raise InputError(f"unknown format {fmt!r}; choose one of: {choices}")
    return formatter().format(findings, rules)
