"""Findings the pipeline itself makes, outside the rule engine, under reserved IDs.

Broken sources (`source-schema`), stale committed output (`render-drift`), charts `validate
--helm` could not render (`helm-skipped`) and releases Helm refused (`helm-template`) are not
rules over subjects: they come from the steps before the rules. Each module here has the ID,
the severity and the documentation a rule has, and the function that makes its findings; the
catalog lists them with the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType, ModuleType
from typing import Any, NamedTuple

from gitopsctl.findings import Severity
from gitopsctl.report.pipeline_findings import (
    helm_skipped,
    helm_template,
    render_drift,
    source_schema,
)


class PipelineCheck(NamedTuple):
    """A reserved ID, documented like a rule."""

    id: str
    severity: Severity
    summary: str
    doc: str
    options: Mapping[str, Any] = MappingProxyType({})
    production_severity: Severity | None = None


def _check(module: ModuleType) -> PipelineCheck:
    doc = (module.__doc__ or "").strip()
    return PipelineCheck(module.ID, module.SEVERITY, doc.splitlines()[0], doc)


SOURCE_SCHEMA, RENDER_DRIFT, HELM_TEMPLATE, HELM_SKIPPED = map(
    _check, (source_schema, render_drift, helm_template, helm_skipped)
)
