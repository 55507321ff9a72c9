"""Helpers for rule tests: the example repository copied, edited, and checked by one rule."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from gitopsctl.findings import Finding
from gitopsctl.kube.scheduling import NodeGroup, Taint
from gitopsctl.kube.workloads import placement_of
from gitopsctl.paths import ValuePath, format_path
from gitopsctl.pipeline import load_and_render, run_rules, sort_findings
from gitopsctl.rules.base import rule_from_module
from gitopsctl.subjects.records import Environment, Ingress, Location, Workload
from gitopsctl.subjects.repository import repository_environments

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLE_PARTS = ("sources", "charts", "applications", "rendered", "infrastructure")


def copy_example(target: Path) -> Path:
    """A copy of the shipped example repository under ``target``."""
    for part in EXAMPLE_PARTS:
        shutil.copytree(PROJECT / part, target / part)
    return target


def edit(repo: Path, name: str, old: str, new: str) -> int:
    """Replace exactly one occurrence of ``old`` in a file of the repository; the line where
    ``new`` starts."""
    path = repo / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text.count("\n", 0, text.index(old)) + 1


PROMOTION = "promotion: ["


def delete_environment(repo: Path, env: str) -> None:
    """Delete an environment's source file, and its name from the platform's promotion order
    (an order naming an environment that does not exist is unusable)."""
    (repo / f"sources/environments/{env}.yaml").unlink()
    path = repo / "sources/platform.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(PROMOTION):
            names = [name for name in line.strip()[len(PROMOTION) : -1].split(", ") if name != env]
            lines[index] = f"{PROMOTION}{', '.join(names)}]\n"
    path.write_text("".join(lines), encoding="utf-8")


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
    from gitopsctl.render import output

    rendering = load_and_render(repo)
    output.apply(repo, output.plan(repo, rendering.files, None))


# --- rows: findings reduced to tuples a test can compare ----------------------------------------

Row = tuple[str, str, str, int, str, str | None, str | None]
Outcome = tuple[str, str | None, str | None, str, int, str]
Fixture = Callable[[Path], list[Outcome]]
ENVS = ("dev", "prod", "staging")


def rows(findings: list[Finding]) -> list[Row]:
    """Findings as (rule, severity, file, line, message, env, app)."""
    return [(f.rule, f.severity.value, f.file, f.line, f.message, f.env, f.app) for f in findings]


def outcomes(findings: list[Finding]) -> list[Outcome]:
    """Findings as (rule, env, app, file, line, message)."""
    return [(f.rule, f.env, f.app, f.file, f.line, f.message) for f in findings]


@dataclass(frozen=True)
class Case:
    """One change to the example repository and the findings it should bring."""

    mutate: Callable[[Path], None]
    expected: Callable[[Path], list[Row]]


def unchanged(repo: Path) -> None:
    """The shipped example."""


def no_findings(repo: Path) -> list[Row]:
    return []


def no_outcomes(repo: Path) -> list[Outcome]:
    return []


def sorted_outcomes(expected: Iterable[Outcome]) -> list[Outcome]:
    """Outcomes in the validator's order: by file, line, rule, env, app and message."""
    return sorted(expected, key=lambda o: (o[3], o[4], o[0], o[1] or "", o[2] or "", o[5]))


# --- changes to the example, and what one rule finds after them ---------------------------------

Mutate = Callable[[Path], None]
Expect = Callable[[Path], list[Outcome]]


def committed_edit(name: str, old: str, new: str) -> Mutate:
    """Edit one file of the repository (the committed output is left as it is)."""

    def mutate(repo: Path) -> None:
        edit(repo, name, old, new)

    return mutate


def source_edit(name: str, old: str, new: str) -> Mutate:
    """Edit one source file, then render the repository again."""

    def mutate(repo: Path) -> None:
        edit(repo, name, old, new)
        rerender(repo)

    return mutate


def example_rows(rule: ModuleType, tmp_path: Path, case: Case) -> tuple[list[Row], list[Row]]:
    """The rule's rows over a copy of the example changed by ``case``, and the rows it expects."""
    repo = copy_example(tmp_path)
    case.mutate(repo)
    return rows(rule_findings(rule, repo)), case.expected(repo)


def fixture_outcomes(
    rule: ModuleType, tmp_path: Path, fixture: Fixture
) -> tuple[list[Outcome], list[Outcome]]:
    """The rule's outcomes over a copy of the example changed by ``fixture``, and its own."""
    repo = copy_example(tmp_path)
    expected = fixture(repo)
    return outcomes(rule_findings(rule, repo)), expected


def example_outcomes(
    rule: ModuleType, tmp_path: Path, mutate: Mutate, expect: Expect
) -> tuple[list[Outcome], list[Outcome]]:
    """The rule's outcomes over a copy of the example changed by ``mutate``, and ``expect``'s."""
    repo = copy_example(tmp_path)
    mutate(repo)
    return outcomes(rule_findings(rule, repo)), expect(repo)


def hand_built_outcomes(rule: ModuleType, *envs: Environment) -> list[Outcome]:
    """One rule's findings over hand-built environments, as outcomes in the validator's order."""
    return outcomes(sort_findings(run_rules(list(envs), [rule_from_module(rule)])))


# --- hand-built environments --------------------------------------------------------------------


def located(path: ValuePath) -> Location:
    """Each path located in a file named after it, so a hit shows which path it points at."""
    return Location(format_path(path) or "(values)", 1, 1)


def development_environment(**fields: Any) -> Environment:
    """A development environment named 'test' with no domain, issuer or node groups."""
    defaults: dict[str, Any] = {
        "name": "test",
        "tier": "development",
        "domain": None,
        "issuer": None,
        "ingress_class": "traefik-ingress",
        "node_groups": [],
        "database_namespace": "database",
        "database_node_group": None,
        "ingress_class_providers": frozenset(),
        "issuers": frozenset(),
        "locate_environment": lambda path: Location("sources/environments/test.yaml", 1, 1),
    }
    return Environment(**{**defaults, **fields})


def production_environment(**fields: Any) -> Environment:
    """The example's production environment, its paths located by :func:`located`."""
    defaults: dict[str, Any] = {
        "name": "prod",
        "tier": "production",
        "domain": "platform.example.com",
        "issuer": "letsencrypt-prod",
        "database_node_group": "database",
        "ingress_class_providers": frozenset({"traefik-ingress"}),
        "issuers": frozenset({"letsencrypt-prod"}),
        "locate_environment": located,
    }
    return development_environment(**{**defaults, **fields})


INGRESS: ValuePath = ("ingress",)


def hand_built_ingress(app: str, **fields: Any) -> Ingress:
    """Ingress 'main' of ``app``, of the platform's class, its values under ``ingress``."""
    defaults: dict[str, Any] = {
        "name": "main",
        "class_name": "traefik-ingress",
        "annotations": {},
        "hosts": (),
        "tls": (),
        "tls_flag": False,
        "locate": located,
        "paths": {"ingress": INGRESS, "tls": (*INGRESS, "tls")},
    }
    return Ingress(app=app, **{**defaults, **fields})


def ingress_environment(*ingresses: Ingress, **changes: Any) -> Environment:
    """The production environment with these ingresses and no database node group."""
    return production_environment(database_node_group=None, ingresses=list(ingresses), **changes)


# --- the platform's node groups, and workloads placed on them -----------------------------------

WORKLOAD = NodeGroup("workload", {}, ())
DATABASE = NodeGroup(
    "database", {"workload-type": "database"}, (Taint("workload-type", "database", "NoSchedule"),)
)
LARGE = NodeGroup(
    "large", {"workload-type": "large"}, (Taint("workload-type", "large", "NoSchedule"),)
)
SEED_GROUPS = (WORKLOAD, DATABASE, LARGE)
SOFT = NodeGroup("soft", {"tier": "soft"}, (Taint("tier", "soft", "PreferNoSchedule"),))
EVICTING = NodeGroup("evicting", {"tier": "evicting"}, (Taint("tier", "evicting", "NoExecute"),))
TOLERATE_DATABASE = {"key": "workload-type", "value": "database", "effect": "NoSchedule"}
TOLERATE_LARGE = {"key": "workload-type", "value": "large", "effect": "NoSchedule"}

FIELD_LINES = {"placement": 1, "nodeSelector": 2, "affinity": 3, "tolerations": 4}
PATHS: Mapping[str, ValuePath] = {field: (field,) for field in FIELD_LINES}
TOLERATIONS = Location("values.yaml", FIELD_LINES["tolerations"], 1)


def at(field: str) -> Location:
    """Where a placement field lives in the hand-built values.yaml."""
    return Location("values.yaml", FIELD_LINES[field], 1)


def locate(path: ValuePath) -> Location:
    return at(str(path[0]))


def placed_workload(spec: Mapping[str, Any], kind: str, name: str = "api") -> Workload:
    """A workload of app 'app' whose placement is read from ``spec``."""
    placement, error = placement_of(spec)
    return Workload("app", name, kind, placement, error, None, (), locate, PATHS)


def scheduling_environment(groups: tuple[NodeGroup, ...], *workloads: Workload) -> Environment:
    return development_environment(
        node_groups=groups, locate_environment=locate, workloads=list(workloads)
    )


# --- manifests checked by one rule --------------------------------------------------------------

NODE_GROUPS = "nodeGroups:\n  - name: workload\n"


def line_in(text: str, needle: str) -> int:
    """The 1-based line of the only line of ``text`` containing ``needle``."""
    found = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found}"
    return found[0]


def manifest_findings(
    tmp_path: Path, rule_id: str, text: str, *options: str
) -> list[tuple[int, str]]:
    """One rule's (line, message) over manifests checked outside a platform repository."""
    import json

    from click.testing import CliRunner

    from gitopsctl.cli.main import cli

    (tmp_path / "node-groups.yaml").write_text(NODE_GROUPS, encoding="utf-8")
    file = tmp_path / "objects.yaml"
    file.write_text(text, encoding="utf-8")
    arguments = ["--repo", str(tmp_path), "validate", "--manifests", str(file)]
    arguments += ["--node-groups", str(tmp_path / "node-groups.yaml"), "--format", "json"]
    result = CliRunner().invoke(cli, [*arguments, *options], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return [
        (finding["line"], finding["message"])
        for finding in json.loads(result.stdout)["findings"]
        if finding["rule"] == rule_id
    ]
