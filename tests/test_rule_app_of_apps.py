"""The app-of-apps rule: the root reaches every child, and every file an Application names exists.

Example cases edit a copy of the shipped example's committed output (so findings point at the
committed lines). Unit cases write small Applications into a temporary folder and build the
Environment by hand, with its generated files set, for what the example cannot show.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import dedent, indent

import pytest

from gitopsctl.findings import Severity
from gitopsctl.rules import app_of_apps
from gitopsctl.rules.base import rule_from_module
from gitopsctl.subjects.locate import node_locator
from gitopsctl.subjects.records import Application, Environment, Location
from gitopsctl.yaml import reader
from tests.support import (
    Expect,
    Mutate,
    Outcome,
    committed_edit,
    development_environment,
    example_outcomes,
    hand_built_outcomes,
    line_of,
    no_outcomes,
    sorted_outcomes,
    unchanged,
)

RETOOL = "applications/prod/retool.yaml"
PROD_ROOT = "applications/prod/root.yaml"
RETOOL_VALUES = "rendered/prod/retool/values.yaml"
RENDER = "run `make render`"
WHOLE_FILE = 1  # a finding about a whole file (missing, unused, unreached) is at its first line


def _finding(env: str | None, app: str | None, file: str, line: int, message: str) -> Outcome:
    return ("app-of-apps", env, app, file, line, message)


def _unused(env: str, file: str) -> Outcome:
    message = (
        f"generated file {file} is used by no Application (no valueFiles names it and "
        f"the root does not sync it): {RENDER}"
    )
    return _finding(env, None, file, WHOLE_FILE, message)


# -- the shipped example, its committed output edited ---------------------------------------------


def _relocate(how: Callable[[Path, Path], object], file: str, to: str) -> Mutate:
    """Move or copy (``how``) a file of the repository, making the folder it goes to."""

    def mutate(repo: Path) -> None:
        (repo / to).parent.mkdir(parents=True, exist_ok=True)
        how(repo / file, repo / to)

    return mutate


def _write(file: str, text: str) -> Mutate:
    def mutate(repo: Path) -> None:
        (repo / file).parent.mkdir(parents=True, exist_ok=True)
        (repo / file).write_text(text, encoding="utf-8")

    return mutate


def _missing_value_file(repo: Path) -> list[Outcome]:
    wrong = "$values/rendered/prod/retool/value.yaml"
    message = (
        f"value file {wrong} does not resolve: "
        "rendered/prod/retool/value.yaml is not in the repository"
    )
    return [
        _finding("prod", "retool", RETOOL, line_of(repo, RETOOL, wrong), message),
        _unused("prod", RETOOL_VALUES),
    ]


def _missing_namespace(repo: Path) -> list[Outcome]:
    message = (
        "Application prod-retool has no destination.namespace: "
        "set the namespace its resources go to"
    )
    return [_finding("prod", "retool", RETOOL, line_of(repo, RETOOL, "destination:"), message)]


def _moved_to_subfolder(repo: Path) -> list[Outcome]:
    message = f"{RETOOL} does not exist, so the root prod-root never syncs prod-retool: {RENDER}"
    return [
        _finding("prod", "retool", RETOOL, WHOLE_FILE, message),
        _unused("prod", "applications/prod/old/retool.yaml"),
    ]


def _excluded_by_root(repo: Path) -> list[Outcome]:
    message = (
        f"{RETOOL} is excluded by the root prod-root's directory.exclude '{{root,retool}}.yaml'"
    )
    return [_finding("prod", "retool", PROD_ROOT, line_of(repo, PROD_ROOT, "exclude:"), message)]


def _every_child(repo: Path, skip: str, finding: Callable[[str], Outcome]) -> list[Outcome]:
    """A finding for each prod Application but the project and ``skip``, then the unused project."""
    children = sorted(
        path.relative_to(repo).as_posix()
        for path in (repo / "applications/prod").glob("*.yaml")
        if path.name not in ("project.yaml", skip)
    )
    return [*map(finding, children), _unused("prod", "applications/prod/project.yaml")]


def _root_elsewhere(repo: Path) -> list[Outcome]:
    line = line_of(repo, PROD_ROOT, "path: applications/")
    message = "{} is outside applications/production, the folder the root prod-root syncs"
    return _every_child(
        repo,
        "root.yaml",
        lambda child: _finding("prod", Path(child).stem, PROD_ROOT, line, message.format(child)),
    )


def _no_root(repo: Path) -> list[Outcome]:
    message = "the environment has no root Application, so nothing syncs {}"
    return _every_child(
        repo,
        "project.yaml",
        lambda child: _finding("prod", Path(child).stem, child, WHOLE_FILE, message.format(child)),
    )


def _missing_chart(repo: Path) -> list[Outcome]:
    file = "applications/prod/cluster-issuer.yaml"
    message = (
        "source path charts/cluster-issuers does not resolve: "
        "charts/cluster-issuers/Chart.yaml is not in the repository"
    )
    line = line_of(repo, file, "path: charts/")
    return [_finding("prod", "cluster-issuer", file, line, message)]


def _stale_values(repo: Path) -> list[Outcome]:
    return [_unused("prod", "rendered/prod/old-app/values.yaml")]


EXAMPLE_CASES = [
    pytest.param(unchanged, no_outcomes, id="shipped-example-PASSED"),
    pytest.param(
        committed_edit(RETOOL, "retool/values.yaml", "retool/value.yaml"),
        _missing_value_file,
        id="value-file-missing-FAILED",
    ),
    pytest.param(
        committed_edit(RETOOL, "    namespace: retool\n", ""),
        _missing_namespace,
        id="destination-namespace-missing-FAILED",
    ),
    pytest.param(
        _relocate(shutil.move, RETOOL, "applications/prod/old/retool.yaml"),
        _moved_to_subfolder,
        id="application-moved-out-of-root-folder-FAILED",
    ),
    pytest.param(
        committed_edit(PROD_ROOT, "exclude: root.yaml", "exclude: '{root,retool}.yaml'"),
        _excluded_by_root,
        id="application-excluded-by-root-FAILED",
    ),
    pytest.param(
        committed_edit(PROD_ROOT, "path: applications/prod", "path: applications/production"),
        _root_elsewhere,
        id="root-syncs-another-folder-FAILED",
    ),
    pytest.param(
        committed_edit(
            PROD_ROOT, "exclude: root.yaml", "include: '*.yaml'\n      exclude: root.yaml"
        ),
        no_outcomes,
        id="root-includes-every-yaml-PASSED",
    ),
    pytest.param(
        lambda repo: (repo / PROD_ROOT).unlink(),
        _no_root,
        id="root-missing-FAILED",
    ),
    pytest.param(
        committed_edit(
            "applications/prod/cluster-issuer.yaml",
            "path: charts/cluster-issuer",
            "path: charts/cluster-issuers",
        ),
        _missing_chart,
        id="path-source-without-chart-FAILED",
    ),
    pytest.param(
        _relocate(shutil.copy, RETOOL_VALUES, "rendered/prod/old-app/values.yaml"),
        _stale_values,
        id="generated-values-unused-FAILED",
    ),
    pytest.param(
        _write("rendered/prod/notes/values.yaml", "# hand-written, not generated\n"),
        no_outcomes,
        id="hand-written-file-unused-PASSED",
    ),
]


@pytest.mark.parametrize(("mutate", "expect"), EXAMPLE_CASES)
def test_example(tmp_path: Path, mutate: Mutate, expect: Expect) -> None:
    found, expected = example_outcomes(app_of_apps, tmp_path, mutate, expect)
    assert found == sorted_outcomes(expected)


# -- hand-built environments ---------------------------------------------------------------------

REPO_URL = "https://example.com/platform.git"
ROOT = "applications/test/root.yaml"
APP = "applications/test/app.yaml"
APP_VALUES = "rendered/test/app/values.yaml"
CHART_SOURCE = f"""\
- repoURL: https://charts.example.com
  chart: app
  targetRevision: 1.0.0
  helm:
    valueFiles:
      - $values/{APP_VALUES}
- repoURL: {REPO_URL}
  targetRevision: main
  ref: values
"""


def _root(directory: str = "exclude: root.yaml", path: str = "applications/test") -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: test-root
spec:
  destination:
    namespace: argocd
  source:
    repoURL: {REPO_URL}
    targetRevision: main
    path: {path}
    directory:
{indent(dedent(directory), "      ")}
"""


def _child(sources: str = CHART_SOURCE, destination: str = "namespace: app") -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: test-app
spec:
  destination:
    {destination}
  sources:
{indent(sources, "    ")}"""


def _path_source(path: str, extra: str = "") -> str:
    return f"""\
- repoURL: {REPO_URL}
  targetRevision: main
  path: {path}
{extra}"""


@dataclass(frozen=True)
class Scene:
    """A hand-built environment: the root, Applications by file, and other files by name."""

    root: str | None = field(default_factory=_root)
    applications: Mapping[str, str] = field(default_factory=lambda: {APP: _child()})
    files: Sequence[str] = (APP_VALUES,)
    generated: Sequence[str] = (APP_VALUES,)


def _build(repo: Path, scene: Scene) -> Environment:
    for name in scene.files:
        _write(name, "# a file\n")(repo)
    root = _application(repo, "root", ROOT, scene.root) if scene.root else None
    applications = [
        _application(repo, Path(file).stem, file, text) for file, text in scene.applications.items()
    ]
    files = [*scene.files, *scene.applications, *([ROOT] if root else [])]
    return development_environment(
        applications=applications,
        root=root,
        files=frozenset(files),
        generated_files={name: Location(name, 1, 1, name) for name in scene.generated},
    )


def _application(repo: Path, app: str, file: str, text: str) -> Application:
    _write(file, text)(repo)
    document = reader.load_file(repo / file, file)
    name = str(document["metadata"]["name"])
    return Application(app, name, 0, (), (), (), document, node_locator(document, file, file))


def _at(file: str, text: str, app: str | None, message: str) -> Callable[[Path], Outcome]:
    return lambda repo: _finding("test", app, file, line_of(repo, file, text), message)


UNIT_CASES = [
    pytest.param(Scene(), [], id="root-reaches-child-PASSED"),
    pytest.param(
        Scene(root=_root("include: '{app,other}.yaml'")),
        [],
        id="include-braces-match-PASSED",
    ),
    pytest.param(
        Scene(root=_root("include: 'other*.yaml'")),
        [
            _at(
                ROOT,
                "include:",
                "app",
                f"{APP} does not match the root test-root's directory.include 'other*.yaml'",
            )
        ],
        id="include-does-not-match-FAILED",
    ),
    pytest.param(
        Scene(root=_root("include: '*.yaml'\nexclude: '{root,app}.yaml'")),
        [
            _at(
                ROOT,
                "exclude:",
                "app",
                f"{APP} is excluded by the root test-root's directory.exclude '{{root,app}}.yaml'",
            )
        ],
        id="exclude-wins-over-include-FAILED",
    ),
    pytest.param(
        Scene(
            root=_root("recurse: true\nexclude: root.yaml"),
            applications={"applications/test/team/app.yaml": _child()},
        ),
        [],
        id="subfolder-with-recurse-PASSED",
    ),
    pytest.param(
        Scene(
            root=_root("include: 'team/*'\nrecurse: true"),
            applications={"applications/test/team/app.yaml": _child()},
        ),
        [],
        id="include-glob-with-folder-PASSED",
    ),
    pytest.param(
        Scene(applications={"applications/test/team/app.yaml": _child()}),
        [
            _at(
                ROOT,
                "path:",
                "app",
                "applications/test/team/app.yaml is in a subfolder of applications/test, "
                "and the root test-root does not recurse",
            )
        ],
        id="subfolder-without-recurse-FAILED",
    ),
    pytest.param(
        Scene(applications={"applications/other/app.yaml": _child()}),
        [
            _at(
                ROOT,
                "path:",
                "app",
                "applications/other/app.yaml is outside applications/test, "
                "the folder the root test-root syncs",
            )
        ],
        id="outside-root-folder-FAILED",
    ),
    pytest.param(
        Scene(root=_root().replace("    path: applications/test\n", "")),
        [
            _at(
                ROOT,
                "  source:",
                "app",
                "the root test-root has no source path, so it syncs no file",
            )
        ],
        id="root-without-path-FAILED",
    ),
    pytest.param(
        Scene(root=_root().replace("    namespace: argocd\n", "    server: in-cluster\n")),
        [
            _at(
                ROOT,
                "destination:",
                "root",
                "Application test-root has no destination.namespace: "
                "set the namespace its resources go to",
            )
        ],
        id="root-without-namespace-FAILED",
    ),
    pytest.param(
        Scene(applications={APP: _child(destination='namespace: ""')}),
        [
            _at(
                APP,
                "namespace:",
                "app",
                "Application test-app has no destination.namespace: "
                "set the namespace its resources go to",
            )
        ],
        id="empty-namespace-FAILED",
    ),
    pytest.param(
        Scene(
            applications={APP: _child(_path_source("charts/app"))},
            files=("charts/app/Chart.yaml",),
            generated=(),
        ),
        [],
        id="path-source-with-chart-PASSED",
    ),
    pytest.param(
        Scene(applications={APP: _child(_path_source("charts/app"))}, files=(), generated=()),
        [
            _at(
                APP,
                "path:",
                "app",
                "source path charts/app does not resolve: "
                "charts/app/Chart.yaml is not in the repository",
            )
        ],
        id="path-source-without-chart-FAILED",
    ),
    pytest.param(
        Scene(
            applications={APP: _child(_path_source("manifests/app", "  directory: {}"))},
            files=("manifests/app/deployment.yaml",),
            generated=(),
        ),
        [],
        id="directory-source-with-files-PASSED",
    ),
    pytest.param(
        Scene(
            applications={APP: _child(_path_source("manifests/app", "  directory: {}"))},
            files=(),
            generated=(),
        ),
        [
            _at(
                APP,
                "path:",
                "app",
                "source path manifests/app does not resolve: there is no file under manifests/app/",
            )
        ],
        id="directory-source-empty-FAILED",
    ),
    pytest.param(
        Scene(
            applications={
                APP: _child(
                    _path_source(
                        "charts/app", "  helm:\n    valueFiles:\n      - values-test.yaml\n"
                    )
                )
            },
            files=("charts/app/Chart.yaml",),
            generated=(),
        ),
        [
            _at(
                APP,
                "values-test.yaml",
                "app",
                "value file values-test.yaml does not resolve: "
                "charts/app/values-test.yaml is not in the repository",
            )
        ],
        id="relative-value-file-missing-FAILED",
    ),
    pytest.param(
        Scene(
            applications={
                APP: _child(
                    _path_source(
                        "charts/app", "  helm:\n    valueFiles:\n      - values-test.yaml\n"
                    )
                )
            },
            files=("charts/app/Chart.yaml", "charts/app/values-test.yaml"),
            generated=(),
        ),
        [],
        id="relative-value-file-present-PASSED",
    ),
    pytest.param(
        Scene(applications={APP: _child(CHART_SOURCE.replace("ref: values", "ref: config"))}),
        [
            _at(
                APP,
                "$values/",
                "app",
                f"value file $values/{APP_VALUES} names ref 'values', "
                "which no source of this Application declares",
            )
        ],
        id="value-file-ref-undeclared-FAILED",
    ),
    pytest.param(
        Scene(files=(), generated=()),
        [
            _at(
                APP,
                "$values/",
                "app",
                f"value file $values/{APP_VALUES} does not resolve: "
                f"{APP_VALUES} is not in the repository",
            )
        ],
        id="value-file-missing-FAILED",
    ),
    pytest.param(
        Scene(
            applications={
                APP: _child(
                    CHART_SOURCE.replace(
                        "valueFiles:", "ignoreMissingValueFiles: true\n    valueFiles:"
                    )
                )
            },
            files=(),
            generated=(),
        ),
        [],
        id="value-file-missing-but-ignored-PASSED",
    ),
    pytest.param(
        Scene(
            applications={
                APP: _child(
                    _path_source("charts/app").replace(REPO_URL, "https://example.com/other.git")
                )
            },
            files=(),
            generated=(),
        ),
        [],
        id="path-source-in-another-repository-PASSED",
    ),
    pytest.param(
        Scene(
            files=(APP_VALUES, "rendered/test/old/values.yaml"),
            generated=(APP_VALUES, "rendered/test/old/values.yaml"),
        ),
        [lambda repo: _unused("test", "rendered/test/old/values.yaml")],
        id="generated-values-unused-FAILED",
    ),
    pytest.param(
        Scene(
            files=(APP_VALUES, "applications/test/project.yaml"),
            generated=(APP_VALUES, "applications/test/project.yaml"),
        ),
        [],
        id="generated-file-synced-by-root-PASSED",
    ),
    pytest.param(
        Scene(root=None),
        [
            lambda repo: _finding(
                "test",
                "app",
                APP,
                WHOLE_FILE,
                f"the environment has no root Application, so nothing syncs {APP}",
            )
        ],
        id="root-missing-FAILED",
    ),
]


@pytest.mark.parametrize(("scene", "expected"), UNIT_CASES)
def test_hand_built(
    tmp_path: Path, scene: Scene, expected: list[Callable[[Path], Outcome]]
) -> None:
    env = _build(tmp_path, scene)
    assert hand_built_outcomes(app_of_apps, env) == sorted_outcomes(
        [expect(tmp_path) for expect in expected]
    )


def test_rule_metadata() -> None:
    rule = rule_from_module(app_of_apps)
    assert (rule.id, rule.severity) == ("app-of-apps", Severity.ERROR)
    assert rule.summary == (
        "Every Application must be synced by the root, and every file it points at must exist."
    )
    assert "Passing" in rule.doc
    assert "Failing" in rule.doc
