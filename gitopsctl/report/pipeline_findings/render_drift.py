"""The committed output differs from what the sources render.

Argo CD syncs what is committed under `applications/` and `rendered/`, so a hand edit there, or a
source change committed without running `make render`, means the cluster gets something nobody
reviewed as a source change. Each stale, missing or extra generated file is a finding at its
first differing line; the other rules still run on what is committed.

Passing: `python render.py render --check` exits 0.

Failing (a hand edit of a generated file):

    # rendered/prod/retool/values.yaml
    replicaCount: 1     # the sources render 3
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from gitopsctl.findings import Finding, Severity

if TYPE_CHECKING:
    from gitopsctl.render.output import Plan

ID = "render-drift"
SEVERITY = Severity.ERROR
FIX = "run `make render` and commit the result"


def findings(repo: Path, plan: Plan) -> Iterator[Finding]:
    for path, text in sorted(plan.writes.items()):
        if path in plan.missing:
            yield _finding(path, 1, f"{path} is missing: {FIX}")
            continue
        committed = (repo / path).read_text(encoding="utf-8")
        line = _first_difference(committed, text)
        yield _finding(path, line, f"{path} differs from what the sources render: {FIX}")
    for path in plan.prunes:
        yield _finding(path, 1, f"{path} is generated but no source renders it any more: {FIX}")


def _finding(path: str, line: int, message: str) -> Finding:
    env = path.split("/")[1] if path.count("/") >= 2 else None
    return Finding(ID, SEVERITY, env, None, path, line, 1, message, rendered=path)


def _first_difference(before: str, after: str) -> int:
    old, new = before.splitlines(), after.splitlines()
    for number, (a, b) in enumerate(zip(old, new, strict=False), 1):
        if a != b:
            return number
    return min(len(old), len(new)) + 1
