"""Exact outputs of every report format; these strings are public contracts."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from gitopsctl.errors import InputError
from gitopsctl.findings import Finding, Severity
from gitopsctl.report import formatters
from gitopsctl.report.formatters import FORMATS, RuleInfo, format_report

ERROR = Finding(
    rule="ingress-class",
    severity=Severity.ERROR,
    env="prod",
    app="grafana",
    file="apps/grafana/values.yaml",
    line=3,
    column=5,
    message="ingress must set ingressClassName",
    rendered="rendered/prod/grafana/values.yaml",
)
EXCEPTED = Finding(
    rule="taint-toleration",
    severity=Severity.ERROR,
    env=None,
    app="redis",
    file="apps/redis/values.yaml",
    line=7,
    column=3,
    message="pod tolerates the gpu taint",
    excepted=True,
)
WARNING = Finding(
    rule="resource-limits",
    severity=Severity.WARNING,
    env="staging",
    app=None,
    file="envs/staging.yaml",
    line=10,
    column=1,
    message="container has no memory limit",
)
FINDINGS = [ERROR, EXCEPTED, WARNING]

RULES = [
    RuleInfo("ingress-class", "error", "Ingresses name their class.", "Set `ingressClassName`."),
    RuleInfo("resource-limits", "warning", "Containers set limits.", "Set `resources.limits`."),
    RuleInfo("taint-toleration", "error", "Only GPU apps tolerate GPU taints.", "Drop it."),
]


@pytest.fixture(autouse=True)
def pinned_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formatters, "tool_version", lambda: "1.2.3")


def test_registry_names_every_format() -> None:
    assert sorted(FORMATS) == ["github", "json", "sarif", "text"]


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(InputError) as raised:
        format_report("xml", FINDINGS, RULES)
    assert str(raised.value) == "unknown format 'xml'; choose one of: github, json, sarif, text"


# --- text ---------------------------------------------------------------------------------------


def test_text() -> None:
    assert format_report("text", FINDINGS, RULES) == (
        "apps/grafana/values.yaml:3:5: error ingress-class:"
        " ingress must set ingressClassName [prod/grafana]\n"
        "apps/redis/values.yaml:7:3: error (excepted) taint-toleration:"
        " pod tolerates the gpu taint [redis]\n"
        "envs/staging.yaml:10:1: warning resource-limits: container has no memory limit [staging]\n"
        "1 error, 1 warning, 1 excepted\n"
    )


def test_text_without_findings() -> None:
    assert format_report("text", [], RULES) == "no findings\n"


def test_text_keeps_the_given_order() -> None:
    lines = format_report("text", [WARNING, ERROR], RULES).splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == [
        "envs/staging.yaml",
        "apps/grafana/values.yaml",
    ]


@pytest.mark.parametrize(
    ("env", "app", "suffix"),
    [
        ("prod", "grafana", " [prod/grafana]"),
        ("prod", None, " [prod]"),
        (None, "grafana", " [grafana]"),
        (None, None, ""),
    ],
)
def test_text_context(env: str | None, app: str | None, suffix: str) -> None:
    finding = ERROR._replace(env=env, app=app)
    first_line = format_report("text", [finding], RULES).splitlines()[0]
    expected = (
        "apps/grafana/values.yaml:3:5: error ingress-class: ingress must set ingressClassName"
    )
    assert first_line == expected + suffix


@pytest.mark.parametrize(
    ("findings", "summary"),
    [
        ([ERROR, ERROR, WARNING, WARNING], "2 errors, 2 warnings, 0 excepted"),
        ([ERROR], "1 error, 0 warnings, 0 excepted"),
        ([EXCEPTED, EXCEPTED], "0 errors, 0 warnings, 2 excepted"),
    ],
)
def test_text_summary(findings: list[Finding], summary: str) -> None:
    assert format_report("text", findings, RULES).splitlines()[-1] == summary


# --- json ---------------------------------------------------------------------------------------


def test_json() -> None:
    assert (
        format_report("json", FINDINGS, RULES)
        == """\
{
  "version": 1,
  "findings": [
    {
      "rule": "ingress-class",
      "severity": "error",
      "env": "prod",
      "app": "grafana",
      "file": "apps/grafana/values.yaml",
      "line": 3,
      "column": 5,
      "message": "ingress must set ingressClassName",
      "rendered": "rendered/prod/grafana/values.yaml",
      "excepted": false
    },
    {
      "rule": "taint-toleration",
      "severity": "error",
      "env": null,
      "app": "redis",
      "file": "apps/redis/values.yaml",
      "line": 7,
      "column": 3,
      "message": "pod tolerates the gpu taint",
      "rendered": null,
      "excepted": true
    },
    {
      "rule": "resource-limits",
      "severity": "warning",
      "env": "staging",
      "app": null,
      "file": "envs/staging.yaml",
      "line": 10,
      "column": 1,
      "message": "container has no memory limit",
      "rendered": null,
      "excepted": false
    }
  ],
  "summary": {
    "errors": 1,
    "warnings": 1,
    "excepted": 1
  }
}
"""
    )


def test_json_without_findings() -> None:
    assert (
        format_report("json", [], RULES)
        == """\
{
  "version": 1,
  "findings": [],
  "summary": {
    "errors": 0,
    "warnings": 0,
    "excepted": 0
  }
}
"""
    )


# --- github -------------------------------------------------------------------------------------


def test_github() -> None:
    assert format_report("github", FINDINGS, RULES) == (
        "::error file=apps/grafana/values.yaml,line=3,col=5,title=ingress-class"
        "::ingress must set ingressClassName\n"
        "::notice file=apps/redis/values.yaml,line=7,col=3,title=taint-toleration"
        "::pod tolerates the gpu taint\n"
        "::warning file=envs/staging.yaml,line=10,col=1,title=resource-limits"
        "::container has no memory limit\n"
    )


def test_github_without_findings() -> None:
    assert format_report("github", [], RULES) == ""


@pytest.mark.parametrize(
    ("file", "message", "expected"),
    [
        (
            "a.yaml",
            "100% sure",
            "::error file=a.yaml,line=3,col=5,title=ingress-class::100%25 sure",
        ),
        (
            "a.yaml",
            "first\r\nsecond",
            "::error file=a.yaml,line=3,col=5,title=ingress-class::first%0D%0Asecond",
        ),
        (
            "a.yaml",
            "key: a, b :: c",
            "::error file=a.yaml,line=3,col=5,title=ingress-class::key: a, b :: c",
        ),
        (
            "dir,x/a:b%\n.yaml",
            "m",
            "::error file=dir%2Cx/a%3Ab%25%0A.yaml,line=3,col=5,title=ingress-class::m",
        ),
    ],
)
def test_github_escaping(file: str, message: str, expected: str) -> None:
    finding = ERROR._replace(file=file, message=message)
    assert format_report("github", [finding], RULES) == expected + "\n"


def test_github_escapes_the_title() -> None:
    finding = ERROR._replace(rule="odd:rule,1")
    assert "title=odd%3Arule%2C1::" in format_report("github", [finding], RULES)


# --- sarif --------------------------------------------------------------------------------------

_TEXT = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
_LEVEL = {"enum": ["none", "note", "warning", "error"]}
_POSITIVE = {"type": "integer", "minimum": 1}

# The parts of SARIF 2.1.0 that GitHub code scanning requires, written out to avoid the network.
SARIF_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["$schema", "version", "runs"],
    "properties": {
        "$schema": {"const": "https://json.schemastore.org/sarif-2.1.0.json"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/run"}},
    },
    "$defs": {
        "run": {
            "type": "object",
            "required": ["tool", "results"],
            "properties": {
                "tool": {
                    "type": "object",
                    "required": ["driver"],
                    "properties": {"driver": {"$ref": "#/$defs/driver"}},
                },
                "results": {"type": "array", "items": {"$ref": "#/$defs/result"}},
            },
        },
        "driver": {
            "type": "object",
            "required": ["name", "version", "informationUri", "rules"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "version": {"type": "string"},
                "informationUri": {"type": "string", "pattern": "^https?://"},
                "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
            },
        },
        "rule": {
            "type": "object",
            "required": ["id", "shortDescription", "fullDescription", "help"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "name": {"type": "string"},
                "shortDescription": _TEXT,
                "fullDescription": _TEXT,
                "help": {
                    "type": "object",
                    "required": ["text", "markdown"],
                    "properties": {"text": {"type": "string"}, "markdown": {"type": "string"}},
                },
                "defaultConfiguration": {
                    "type": "object",
                    "required": ["level"],
                    "properties": {"level": _LEVEL},
                },
            },
        },
        "result": {
            "type": "object",
            "required": ["ruleId", "level", "message", "locations", "partialFingerprints"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": 0},
                "level": _LEVEL,
                "message": _TEXT,
                "locations": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"$ref": "#/$defs/location"},
                },
                "partialFingerprints": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                },
                "suppressions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["kind"],
                        "properties": {
                            "kind": {"enum": ["inSource", "external"]},
                            "justification": {"type": "string"},
                        },
                    },
                },
            },
        },
        "location": {
            "type": "object",
            "required": ["physicalLocation"],
            "properties": {
                "physicalLocation": {
                    "type": "object",
                    "required": ["artifactLocation", "region"],
                    "properties": {
                        "artifactLocation": {
                            "type": "object",
                            "required": ["uri"],
                            "properties": {
                                "uri": {"type": "string", "pattern": "^[^/\\\\][^\\\\]*$"},
                                "uriBaseId": {"type": "string"},
                            },
                        },
                        "region": {
                            "type": "object",
                            "required": ["startLine"],
                            "properties": {"startLine": _POSITIVE, "startColumn": _POSITIVE},
                        },
                    },
                },
            },
        },
    },
}


def sarif(findings: list[Finding], rules: list[RuleInfo] = RULES) -> dict[str, Any]:
    output = format_report("sarif", findings, rules)
    assert output.endswith("}\n")
    document: dict[str, Any] = json.loads(output)
    Draft202012Validator.check_schema(SARIF_SCHEMA)
    errors = [e.message for e in Draft202012Validator(SARIF_SCHEMA).iter_errors(document)]
    assert errors == []
    return document


def results(findings: list[Finding]) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = sarif(findings)["runs"]
    assert len(runs) == 1
    found: list[dict[str, Any]] = runs[0]["results"]
    return found


def test_sarif_header_and_driver() -> None:
    document = sarif(FINDINGS)
    assert document["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert document["version"] == "2.1.0"
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["name"] == "gitopsctl"
    assert driver["version"] == "1.2.3"
    assert driver["informationUri"] == formatters.INFORMATION_URI
    assert driver["rules"][0] == {
        "id": "ingress-class",
        "name": "ingress-class",
        "shortDescription": {"text": "Ingresses name their class."},
        "fullDescription": {"text": "Set `ingressClassName`."},
        "help": {"text": "Set `ingressClassName`.", "markdown": "Set `ingressClassName`."},
        "defaultConfiguration": {"level": "error"},
    }
    assert [(r["id"], r["defaultConfiguration"]["level"]) for r in driver["rules"]] == [
        ("ingress-class", "error"),
        ("resource-limits", "warning"),
        ("taint-toleration", "error"),
    ]


def test_sarif_results() -> None:
    found = results(FINDINGS)
    assert [
        (
            r["ruleId"],
            r["ruleIndex"],
            r["level"],
            r["message"]["text"],
            r["locations"][0]["physicalLocation"]["artifactLocation"],
            r["locations"][0]["physicalLocation"]["region"],
            r.get("suppressions"),
        )
        for r in found
    ] == [
        (
            "ingress-class",
            0,
            "error",
            "ingress must set ingressClassName [prod/grafana]",
            {"uri": "apps/grafana/values.yaml", "uriBaseId": "%SRCROOT%"},
            {"startLine": 3, "startColumn": 5},
            None,
        ),
        (
            "taint-toleration",
            2,
            "note",
            "pod tolerates the gpu taint [redis]",
            {"uri": "apps/redis/values.yaml", "uriBaseId": "%SRCROOT%"},
            {"startLine": 7, "startColumn": 3},
            [{"kind": "external", "justification": "excepted by a declared exception"}],
        ),
        (
            "resource-limits",
            1,
            "warning",
            "container has no memory limit [staging]",
            {"uri": "envs/staging.yaml", "uriBaseId": "%SRCROOT%"},
            {"startLine": 10, "startColumn": 1},
            None,
        ),
    ]


def test_sarif_without_findings() -> None:
    document = sarif([])
    assert document["runs"][0]["results"] == []
    assert len(document["runs"][0]["tool"]["driver"]["rules"]) == 3


def test_sarif_clamps_positions_to_one() -> None:
    (result,) = results([ERROR._replace(line=0, column=0)])
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1,
        "startColumn": 1,
    }


@pytest.mark.parametrize(
    ("file", "uri"),
    [
        ("./apps/a.yaml", "apps/a.yaml"),
        ("apps\\win\\a.yaml", "apps/win/a.yaml"),
        ("apps/my app/a.yaml", "apps/my%20app/a.yaml"),
    ],
)
def test_sarif_uri_is_relative_with_forward_slashes(file: str, uri: str) -> None:
    (result,) = results([ERROR._replace(file=file)])
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri


def test_sarif_result_of_an_undescribed_rule_has_no_index() -> None:
    (result,) = results([ERROR._replace(rule="yaml-syntax")])
    assert result["ruleId"] == "yaml-syntax"
    assert "ruleIndex" not in result


def fingerprint_of(finding: Finding) -> str:
    (result,) = results([finding])
    value: str = result["partialFingerprints"]["gitopsctl/v1"]
    return value


def test_sarif_fingerprint_is_pinned() -> None:
    # Changing this value reopens every alert already known to GitHub code scanning.
    key = '["ingress-class", "apps/grafana/values.yaml", "ingress must set ingressClassName", '
    key += '"prod", "grafana"]'
    assert fingerprint_of(ERROR) == hashlib.sha256(key.encode()).hexdigest() + ":1"
    assert fingerprint_of(ERROR).startswith("0d1a7b32035e4e7b")


def test_sarif_fingerprint_survives_moves() -> None:
    assert fingerprint_of(ERROR._replace(line=40, column=9)) == fingerprint_of(ERROR)


@pytest.mark.parametrize(
    "changed",
    [
        ERROR._replace(rule="resource-limits"),
        ERROR._replace(file="apps/other/values.yaml"),
        ERROR._replace(message="another message"),
        ERROR._replace(env="staging"),
        ERROR._replace(app="loki"),
        ERROR._replace(env=None, app="prod/grafana"),
    ],
)
def test_sarif_fingerprint_tells_findings_apart(changed: Finding) -> None:
    assert fingerprint_of(changed) != fingerprint_of(ERROR)


def test_sarif_fingerprint_counts_repeated_findings() -> None:
    first, second = results([ERROR, ERROR._replace(line=9)])
    digest, _, occurrence = first["partialFingerprints"]["gitopsctl/v1"].rpartition(":")
    assert occurrence == "1"
    assert second["partialFingerprints"]["gitopsctl/v1"] == f"{digest}:2"


def test_tool_version_falls_back_without_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert formatters.tool_version() == "0.0.0"
