"""The rule catalog for people: `render.py rules`, `render.py rules RULE` and docs/rules.md."""

from __future__ import annotations

from collections.abc import Iterable

from gitopsctl.rules.base import Rule


def severity_text(rule: Rule) -> str:
    if rule.production_severity is not None:
        return f"{rule.production_severity.value} in production, {rule.severity.value} elsewhere"
    return rule.severity.value


def listing(rules: Iterable[Rule]) -> str:
    rows = [(rule.id, severity_text(rule), rule.summary) for rule in rules]
    width = max(len(row[0]) for row in rows)
    sev = max(len(row[1]) for row in rows)
    return "".join(f"{i.ljust(width)}  {s.ljust(sev)}  {summary}\n" for i, s, summary in rows)


def describe(rule: Rule) -> str:
    lines = [f"{rule.id} ({severity_text(rule)})", "", rule.doc, ""]
    if rule.options:
        lines.append("Options (default):")
        lines += [f"  {key}: {value!r}" for key, value in rule.options.items()]
        lines.append("")
    return "\n".join(lines)


def markdown(rules: Iterable[Rule]) -> str:
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
