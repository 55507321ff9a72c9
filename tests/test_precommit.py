"""The pre-commit hooks, run by the real pre-commit framework on real commits.

Each case is a temporary git repository holding a copy of the example, with `pre-commit install`
done, and one `git commit` whose outcome and output are checked. The gitops cases run under two
configurations: this repository's own `.pre-commit-config.yaml` (local hooks running what
`make setup` put in .venv), and the hooks it exports in `.pre-commit-hooks.yaml`, used as another
repository would use them, from a git repository of this project at a commit (pre-commit builds
their environment with pip once per session, in a session-wide PRE_COMMIT_HOME).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitopsctl.yaml import reader
from tests.support import PROJECT, copy_example, edit, line_of, rerender

RENDER_CHECK = "gitops render check (committed output is current)"
VALIDATE = "gitops validate (no error-level finding)"
RUFF_CHECK = "ruff check"
RUFF_FORMAT = "ruff format"
STATUS_LINE = re.compile(r"^(?P<hook>.+?)\.{3,}(?:\(no files to check\))?(?P<status>\w+)$")

NGINX_VALUES = "  replicaCount: 1\n  ingress: {ingressClassName: nginx}\n"
INGRESS_CLASS_MESSAGE = (
    "error ingress-class: ingress 'main' uses class 'nginx', not the platform's 'traefik-ingress'"
)
RETOOL_VALUES = tuple(f"rendered/{env}/retool/values.yaml" for env in ("dev", "prod", "staging"))


# --- git and pre-commit, isolated from the user's configuration --------------------------------


def isolated_env(pre_commit_home: Path) -> dict[str, str]:
    """This process's environment without git, pre-commit or SKIP settings that would leak in."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("GIT_", "PRE_COMMIT")) and name != "SKIP"
    }
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        PRE_COMMIT_HOME=str(pre_commit_home),
    )
    return env


def run(
    repo: Path, env: Mapping[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """A command in ``repo``, stdout and stderr together (git prints to both)."""
    result = subprocess.run(
        args,
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    assert not check or result.returncode == 0, f"{args} failed:\n{result.stdout}"
    return result


def git_init(repo: Path, env: Mapping[str, str]) -> None:
    """A repository with everything under ``repo`` committed, before any hook is installed."""
    run(repo, env, "git", "-c", "init.defaultBranch=main", "init", "-q")
    run(repo, env, "git", "config", "user.name", "Pre-commit Test")
    run(repo, env, "git", "config", "user.email", "pre-commit-test@example.com")
    run(repo, env, "git", "add", "-A")
    run(repo, env, "git", "commit", "-q", "--no-verify", "-m", "the example")


def pre_commit(repo: Path, env: Mapping[str, str], *args: str) -> None:
    run(repo, env, sys.executable, "-m", "pre_commit", *args)


# --- the two configurations ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def project_files() -> list[str]:
    """The project's files as a commit of its working tree would hold them."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [name for name in listing.stdout.split("\0") if (PROJECT / name).is_file()]


@pytest.fixture(scope="session")
def exported_config(tmp_path_factory: pytest.TempPathFactory, pre_commit_home: Path) -> str:
    """A config using the exported hooks from a commit of this project's working tree.

    Its hook environment is built here, once, so that a broken install fails here with pip's
    output rather than in the first case.
    """
    env = isolated_env(pre_commit_home)
    hook_repo = tmp_path_factory.mktemp("gitopsctl-hooks")
    for name in project_files():
        (hook_repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT / name, hook_repo / name)
    git_init(hook_repo, env)
    sha = run(hook_repo, env, "git", "rev-parse", "HEAD").stdout.strip()
    config = (
        "repos:\n"
        f"  - repo: {hook_repo}\n"
        f"    rev: {sha}\n"
        "    hooks:\n"
        "      - id: gitops-validate\n"
        "      - id: gitops-render-check\n"
    )
    scratch = tmp_path_factory.mktemp("install-hooks")
    (scratch / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    git_init(scratch, env)
    pre_commit(scratch, env, "install-hooks")
    return config


def own_config() -> str:
    return (PROJECT / ".pre-commit-config.yaml").read_text(encoding="utf-8")


@pytest.fixture(params=["own", "exported"])
def repo(request: pytest.FixtureRequest, tmp_path: Path, pre_commit_home: Path) -> Path:
    """The example in a git repository with pre-commit installed, under one configuration."""
    if request.param == "own":
        config = own_config()
        # The own hooks run .venv/bin/gitopsctl: the environment running these tests.
        (tmp_path / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    else:
        config = request.getfixturevalue("exported_config")
    copy_example(tmp_path)
    (tmp_path / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    (tmp_path / ".gitignore").write_text(".venv\n", encoding="utf-8")
    env = isolated_env(pre_commit_home)
    git_init(tmp_path, env)
    pre_commit(tmp_path, env, "install")
    return tmp_path


# --- the cases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commit:
    """A change, what `git add` stages, and what the commit's hooks say."""

    change: Callable[[Path], None]
    stage: tuple[str, ...]
    passed: bool
    statuses: Mapping[str, str]
    shown: Callable[[Path], list[str]]


def raise_retool_memory_limit(repo: Path) -> None:
    edit(repo, "sources/apps/retool.yaml", "memory: 14Gi", "memory: 15Gi")


def raise_and_render(repo: Path) -> None:
    raise_retool_memory_limit(repo)
    rerender(repo)


def add_notes(repo: Path) -> None:
    (repo / "NOTES.md").write_text("Nothing the hooks watch.\n", encoding="utf-8")


def nginx_class_and_render(repo: Path) -> None:
    edit(repo, "sources/apps/retool.yaml", "  replicaCount: 1\n", NGINX_VALUES)
    rerender(repo)


def stale_retool_values(_: Path) -> list[str]:
    return [f"stale: {name}" for name in RETOOL_VALUES]


def ingress_class_findings(repo: Path) -> list[str]:
    name = "sources/apps/retool.yaml"
    line = line_of(repo, name, "ingressClassName: nginx")
    # The finding points at the key, in the source line that set it.
    column = (repo / name).read_text(encoding="utf-8").splitlines()[line - 1].index("ingressC") + 1
    return [
        f"{name}:{line}:{column}: {INGRESS_CLASS_MESSAGE} [{env}/retool]"
        for env in ("dev", "prod", "staging")
    ]


def nothing(_: Path) -> list[str]:
    return []


PASSED = {RENDER_CHECK: "Passed", VALIDATE: "Passed"}
SKIPPED = {RENDER_CHECK: "Skipped", VALIDATE: "Skipped"}
BOTH_FAIL = {RENDER_CHECK: "Failed", VALIDATE: "Failed"}
POLICY_FAILS = {RENDER_CHECK: "Passed", VALIDATE: "Failed"}

COMMITS = {
    "source-change-rendered": Commit(
        raise_and_render, ("sources", "rendered"), True, PASSED, nothing
    ),
    "outside-the-watched-folders": Commit(add_notes, ("NOTES.md",), True, SKIPPED, nothing),
    "source-change-not-rendered": Commit(
        raise_retool_memory_limit, ("sources",), False, BOTH_FAIL, stale_retool_values
    ),
    "policy-violation-rendered": Commit(
        nginx_class_and_render, ("sources", "rendered"), False, POLICY_FAILS, ingress_class_findings
    ),
}


def hook_statuses(output: str) -> dict[str, str]:
    """Each hook's status line, `name....Passed`, as {name: status}."""
    matches = (STATUS_LINE.match(line) for line in output.splitlines())
    return {match["hook"]: match["status"] for match in matches if match}


def commit_and_check(repo: Path, pre_commit_home: Path, case: Commit) -> None:
    env = isolated_env(pre_commit_home)
    case.change(repo)
    run(repo, env, "git", "add", "--", *case.stage)
    result = run(repo, env, "git", "commit", "-m", "the change", check=False)
    lines = result.stdout.splitlines()
    statuses = hook_statuses(result.stdout)
    statuses = {hook: statuses.get(hook, "not run") for hook in case.statuses}
    assert (result.returncode == 0, statuses) == (case.passed, case.statuses), result.stdout
    assert [line for line in case.shown(repo) if line not in lines] == [], result.stdout
    head = run(repo, env, "git", "log", "-1", "--format=%s").stdout.strip()
    assert head == ("the change" if case.passed else "the example")


@pytest.mark.parametrize("case", COMMITS.values(), ids=COMMITS.keys())
def test_commit(repo: Path, pre_commit_home: Path, case: Commit) -> None:
    commit_and_check(repo, pre_commit_home, case)


@pytest.mark.parametrize("repo", ["own"], indirect=True)
def test_what_is_committed_is_checked_not_the_working_tree(
    repo: Path, pre_commit_home: Path
) -> None:
    # Rendered, but only the source staged: pre-commit sets unstaged changes aside while hooks run.
    rendered_not_staged = Commit(
        raise_and_render, ("sources",), False, BOTH_FAIL, stale_retool_values
    )
    commit_and_check(repo, pre_commit_home, rendered_not_staged)
    unstaged = run(repo, isolated_env(pre_commit_home), "git", "diff", "--name-only").stdout
    assert unstaged.split() == list(RETOOL_VALUES)  # and put back afterwards


@pytest.mark.parametrize("repo", ["own"], indirect=True)
def test_ruff_rejects_a_lint_error(repo: Path, pre_commit_home: Path) -> None:
    def add_unused_import(repo: Path) -> None:
        (repo / "scripts").mkdir()
        (repo / "scripts" / "tool.py").write_text("import os\n", encoding="utf-8")

    statuses = {**SKIPPED, RUFF_CHECK: "Failed", RUFF_FORMAT: "Passed"}
    shown = ["F401 [*] `os` imported but unused", " --> scripts/tool.py:1:8"]
    unused_import = Commit(add_unused_import, ("scripts",), False, statuses, lambda _: shown)
    commit_and_check(repo, pre_commit_home, unused_import)


# --- the configuration itself -------------------------------------------------------------------


def hooks_by_id(text: str, name: str) -> dict[str, dict[str, object]]:
    data = reader.parse(text, name)
    hooks = data if isinstance(data, list) else [h for r in data["repos"] for h in r["hooks"]]
    return {hook["id"]: dict(hook) for hook in hooks}


def test_own_gitops_hooks_mirror_the_exported_ones() -> None:
    exported = hooks_by_id(
        (PROJECT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"), ".pre-commit-hooks.yaml"
    )
    own = hooks_by_id(own_config(), ".pre-commit-config.yaml")
    assert sorted(exported) == ["gitops-render-check", "gitops-validate"]
    assert sorted(own) == ["gitops-render-check", "gitops-validate", "ruff-check", "ruff-format"]
    for hook_id, hook in exported.items():
        mine = own[hook_id]
        assert mine["entry"] == f".venv/bin/{hook['entry']}"
        same = ("name", "pass_filenames", "always_run")
        assert {key: mine[key] for key in same} == {key: hook[key] for key in same}
        for folder in ("sources", "charts", "applications", "rendered"):
            assert re.search(str(mine["files"]), f"{folder}/x.yaml"), (hook_id, folder)
