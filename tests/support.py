"""Helpers for rule tests: the example repository copied, edited, and checked by one rule."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import ModuleType

from gitopsctl.commands import load_and_render
from gitopsctl.findings import Finding
from gitopsctl.repository import repository_environments
from gitopsctl.rules.base import rule_from_module
from gitopsctl.validation import run_rules, sort_findings

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLE_PARTS = ("sources", "charts", "applications", "rendered")


def copy_example(target: Path) -> Path:
    """A copy of the shipped example repository under ``target``."""
    for part in EXAMPLE_PARTS:
        shutil.copytree(PROJECT / part, target / part)
    return target


def edit(repo: Path, name: str, old: str, new: str) -> None:
    """Replace exactly one occurrence of ``old`` in a file of the repository."""
    path = repo / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(repo: Path, name: str, text: str) -> int:
    """The 1-based line of the only line of a file containing ``text``."""
    lines = (repo / name).read_text(encoding="utf-8").splitlines()
    found = [number for number, line in enumerate(lines, 1) if text in line]
    assert len(found) == 1, f"{text!r} is on lines {found} of {name}"
    return found[0]


def rule_findings(rule: ModuleType, repo: Path) -> list[Finding]:
    """One rule's findings over the repository's committed output, as the validator sees it."""
    rendering = load_and_render(repo)
    envs = repository_environments(repo, rendering)
    return sort_findings(run_rules(envs, [rule_from_module(rule)]))


def rerender(repo: Path) -> None:
    """Render the repository's sources into its output, as `make render` would."""
    from gitopsctl import output

    rendering = load_and_render(repo)
    output.apply(repo, output.plan(repo, rendering.files, None))
