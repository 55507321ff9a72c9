"""What a rule is: an ID, a default severity, options, docs, and one function yielding hits."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, NamedTuple

from gitopsctl.findings import Severity
from gitopsctl.subjects.records import Environment, Location


class Hit(NamedTuple):
    """What a rule yields: where, what, and which app; the engine stamps rule and severity."""

    location: Location
    message: str
    app: str | None = None
    severity: Severity | None = None
    excepted: bool = False  # reported, but excused by what the sources declare with a reason


Check = Callable[[Environment, Mapping[str, Any]], Iterator[Hit]]


def unresolved_references(env: Environment, kind: str) -> Iterator[Hit]:
    """The hits of a reference rule: each reference of ``kind`` (a Secret, a ConfigMap...) that
    nothing provides as it is read, at the value that names it (see
    `subjects.references.unresolved`)."""
    from gitopsctl.subjects.references import unresolved

    for found in unresolved(env, kind):
        reference = found.reference
        yield Hit(reference.location, found.message, reference.app, excepted=found.excepted)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    doc: str
    check: Check
    options: Mapping[str, Any] = field(default_factory=dict)
    production_severity: Severity | None = None

    def severity_in(self, env: Environment | None) -> Severity:
        if self.production_severity is not None and env is not None and env.production:
            return self.production_severity
        return self.severity


def rule_from_module(module: ModuleType) -> Rule:
    """A rule module defines ID, SEVERITY, optional OPTIONS and PRODUCTION_SEVERITY, and check()."""
    doc = (module.__doc__ or "").strip()
    return Rule(
        id=module.ID,
        severity=module.SEVERITY,
        summary=doc.splitlines()[0] if doc else "",
        doc=doc,
        check=module.check,
        options=getattr(module, "OPTIONS", {}),
        production_severity=getattr(module, "PRODUCTION_SEVERITY", None),
    )
