"""The rule catalog for people: `render.py rules`, `render.py rules RULE` and docs/rules.md."""

from __future__ import annotations

from collections.abc import Iterable

from gitopsctl.report.formatters import RuleInfo
from gitopsctl.report.pipeline_findings import (
    HELM_SKIPPED,
    HELM_TEMPLATE,
    RENDER_DRIFT,
    SOURCE_SCHEMA,
    PipelineCheck,
)
from gitopsctl.rules import RULES
from gitopsctl.rules.base import Rule

Check = Rule | PipelineCheck

# Every ID a finding can carry, in the order the docs list them: the pipeline's own findings about
# the sources and the output, the rules, then the pipeline's findings on Helm's releases.
_ORDER: list[Check] = [SOURCE_SCHEMA, RENDER_DRIFT, *RULES.values(), HELM_TEMPLATE, HELM_SKIPPED]
CHECKS: dict[str, Check] = {check.id: check for check in _ORDER}


def rule_infos() -> list[RuleInfo]:
    """What the report formats say about each ID (SARIF lists them)."""
    return [RuleInfo(c.id, c.severity.value, c.summary, c.doc) for c in CHECKS.values()]


def severity_text(rule: Check) -> str:
    if rule.production_severity is not None:
        return f"{rule.production_severity.value} in production, {rule.severity.value} elsewhere"
    return rule.severity.value


def listing(rules: Iterable[Check]) -> str:
    rows = [(rule.id, severity_text(rule), rule.summary) for rule in rules]
    width = max(len(row[0]) for row in rows)
    sev = max(len(row[1]) for row in rows)
    return "".join(f"{i.ljust(width)}  {s.ljust(sev)}  {summary}\n" for i, s, summary in rows)


def describe(rule: Check) -> str:
    lines = [f"{rule.id} ({severity_text(rule)})", "", rule.doc, ""]
    if rule.options:
        lines.append("Options (default):")
        lines += [f"  {key}: {value!r}" for key, value in rule.options.items()]
        lines.append("")
    return "\n".join(lines)


def markdown(rules: Iterable[Check]) -> str:
    """docs/rules.md, generated from the rules' docstrings by `make docs`."""
    out = [
        "# Rules",
        "",
        "<!-- Generated from the rule docstrings by `make docs`; do not edit by hand. -->",
        "",
        "| ID | default | finds |",
        "|---|---|---|",
    ]
    rule_list = list(rules)
    out += [f"| [`{r.id}`](#{r.id}) | {severity_text(r)} | {r.summary} |" for r in rule_list]
    for rule in rule_list:
        out += ["", f"## {rule.id}", "", f"Default severity: {severity_text(rule)}.", ""]
        out += [_markdown_body(rule.doc)]
        if rule.options:
            out += ["", "Options:", ""]
            out += [f"- `{key}` (default `{value!r}`)" for key, value in rule.options.items()]
    return "\n".join(out) + "\n"


def _markdown_body(doc: str) -> str:
    """Docstring paragraphs as they are; indented example blocks become fenced YAML."""
    out: list[str] = []
    in_block = False
    for line in doc.splitlines():
        indented = line.startswith("    ")
        if indented and not in_block:
            out.append("```yaml")
            in_block = True
        elif not indented and line.strip() and in_block:
            out.append("```")
            out.append("")
            in_block = False
        out.append(line[4:] if in_block and indented else line)
    if in_block:
        out.append("```")
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out).replace("\n\n```\n", "\n```\n")
