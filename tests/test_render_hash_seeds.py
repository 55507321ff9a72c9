"""The same sources render and validate to the same bytes in processes of any string hash seed.

Set and dict iteration over strings follows PYTHONHASHSEED, which differs per process unless set:
an order that leaks into a file or a report shows up here as a difference between the seeds.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple

from tests.conftest import OUTPUT_DIRS, output_snapshot, run_cli
from tests.support import copy_example

SEEDS = ("0", "1", "12345")


class Run(NamedTuple):
    """What one hash seed's processes left and said, with their exit codes."""

    output: dict[str, bytes]
    render: tuple[int, str, str]
    validate_without_output: tuple[int, str, str]
    validate_rendered: tuple[int, str, str]


def outcome(repo: Path, seed: str, *args: str) -> tuple[int, str, str]:
    result = run_cli(repo, *args, env={"PYTHONHASHSEED": seed})
    return result.returncode, result.stdout, result.stderr


def run_with_seed(repo: Path, seed: str) -> Run:
    """Validate a copy without its output, render it from nothing, validate it again."""
    for top in OUTPUT_DIRS:
        shutil.rmtree(repo / top)
    without_output = outcome(repo, seed, "validate", "--format", "json")
    render = outcome(repo, seed, "render")
    rendered = outcome(repo, seed, "validate", "--format", "json")
    return Run(output_snapshot(repo), render, without_output, rendered)


def test_render_and_validate_are_identical_across_hash_seeds(tmp_path: Path) -> None:
    runs = {seed: run_with_seed(copy_example(tmp_path / f"seed-{seed}"), seed) for seed in SEEDS}

    first = runs[SEEDS[0]]
    files = len(first.output)
    assert first.render == (
        0,
        f"rendered {files} files in 3 environments: {files} written, 0 pruned\n",
        "",
    )
    assert (first.validate_without_output[0], first.validate_without_output[2]) == (1, "")
    assert (first.validate_rendered[0], first.validate_rendered[2]) == (0, "")
    assert runs["1"] == first
    assert runs["12345"] == first
