"""Helm chart versions: Semantic Versioning 2.0.0 and its precedence.

Helm requires SemVer 2 chart versions and accepts a leading `v`. Precedence compares major,
minor and patch numerically; a pre-release (`1.0.0-rc.1`) comes before its release, and
pre-releases compare identifier by identifier (numbers numerically and before words, words
in ASCII order, more identifiers after fewer). Build metadata (`+build.5`) is ignored.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_SEMVER = re.compile(
    r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?"
)
Identifier = tuple[int, int] | tuple[int, str]


class Version(NamedTuple):
    """A parsed version: no pre-release identifiers means a release."""

    core: tuple[int, int, int]
    pre_release: tuple[Identifier, ...]

    def precedence(self) -> tuple[tuple[int, int, int], tuple[object, ...]]:
        """A key whose order is SemVer precedence: a release after each of its pre-releases."""
        return self.core, (0, *self.pre_release) if self.pre_release else (1,)


def parse(text: str) -> Version | None:
    """The version, or None when ``text`` is not SemVer 2.0 (with an optional leading `v`)."""
    match = _SEMVER.fullmatch(text)
    if match is None:
        return None
    core = (int(match[1]), int(match[2]), int(match[3]))
    pre_release = match[4].split(".") if match[4] else []
    return Version(core, tuple(_identifier(part) for part in pre_release))


def _identifier(part: str) -> Identifier:
    # Numbers first, compared as numbers; words after them, in ASCII order.
    return (0, int(part)) if part.isdigit() else (1, part)


def newer(version: str, than: str) -> bool | None:
    """Whether ``version`` has higher precedence than ``than``; None when either is not SemVer."""
    mine, theirs = parse(version), parse(than)
    if mine is None or theirs is None:
        return None
    return mine.precedence() > theirs.precedence()
