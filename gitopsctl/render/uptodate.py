"""`render --check`'s verdict remembered: the committed output is what the sources render.

Stored for the exact inputs it was found for (see digests) by whichever command found it: a
`render --check` that passed, a `render` that switched the output, a `validate` that found no
drift. A stale output is never remembered: its diff comes from the full comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from gitopsctl.render import cache
from gitopsctl.render.digests import Inputs

NAME = "render-check"


class UpToDate(NamedTuple):
    """The output was current: how many files the sources render, in how many environments."""

    files: int
    environments: int


def key(inputs: Inputs, envs: Sequence[str]) -> str:
    return inputs.key(NAME, *envs)


def remembered(repo: Path, inputs: Inputs, envs: Sequence[str]) -> UpToDate | None:
    """The verdict stored for these inputs, if the output was current for them."""
    found = cache.load(repo, NAME, key(inputs, envs))
    if not isinstance(found, list) or len(found) != len(UpToDate._fields):
        return None
    if not all(type(count) is int and count >= 0 for count in found):
        return None
    return UpToDate(*found)


def remember(repo: Path, inputs: Inputs, envs: Sequence[str], verdict: UpToDate) -> None:
    """Store the verdict, unless an input changed while it was being found."""
    if inputs.unchanged():
        cache.store(repo, NAME, key(inputs, envs), list(verdict))
