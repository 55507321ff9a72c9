"""One function per command; each returns the exit code, and InputError becomes 2 in the CLI."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from gitopsctl import output
from gitopsctl.errors import EXIT_FINDINGS, EXIT_OK
from gitopsctl.explain import explain
from gitopsctl.model import build_model
from gitopsctl.renderer import Rendering, render
from gitopsctl.sources import read_sources


def load_and_render(repo: Path, envs: Sequence[str] = ()) -> Rendering:
    return render(build_model(read_sources(repo)), envs)


def render_command(repo: Path, envs: Sequence[str], check: bool) -> int:
    rendering = load_and_render(repo, envs)
    plan = output.plan(repo, rendering.files, list(envs) or None)
    if check:
        if plan.clean:
            print(f"up to date: {len(rendering.files)} files")
            return EXIT_OK
        sys.stdout.write(output.diff(repo, plan))
        print(_stale_summary(plan), file=sys.stderr)
        return EXIT_FINDINGS
    output.apply(repo, plan)
    print(
        f"rendered {len(rendering.files)} files in {len(rendering.environments)} environments: "
        f"{len(plan.writes)} written, {len(plan.prunes)} pruned"
    )
    return EXIT_OK


def _stale_summary(plan: output.Plan) -> str:
    stale = len(plan.writes) - len(plan.missing)
    return (
        f"rendered output is out of date: {stale} stale, {len(plan.missing)} missing, "
        f"{len(plan.prunes)} extra; run `make render` (or `python render.py render`) and commit"
    )


def explain_command(repo: Path, env: str, app: str) -> int:
    rendering = load_and_render(repo, [env])
    sys.stdout.write(explain(rendering, env, app))
    return EXIT_OK
