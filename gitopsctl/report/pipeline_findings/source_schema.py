"""A source file breaks its JSON Schema or references something that does not exist.

The sources under `sources/` are checked against the schemas in `schemas/` (unknown keys are
errors, so a typo is never silently ignored), then every reference between them: apps an
environment enables, dependencies, node groups, profiles, variables, exceptions. Broken YAML is
reported at its line. While a source is broken, nothing else can be checked.

Passing:

    # sources/apps/retool.yaml
    placement:
      nodeGroup: large

Failing (a typo in a key, and a node group that does not exist):

    # sources/apps/retool.yaml
    placment:
      nodeGroup: larg
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from gitopsctl.errors import Problem
from gitopsctl.findings import Finding, Severity

ID = "source-schema"
SEVERITY = Severity.ERROR


def findings(problems: Sequence[Problem]) -> Iterator[Finding]:
    for problem in problems:
        yield Finding(
            ID,
            SEVERITY,
            None,
            None,
            problem.file or "sources",
            problem.line or 1,
            problem.column or 1,
            problem.message,
        )
