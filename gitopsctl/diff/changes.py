"""What differs between two renderings: two environments (the promotion view), or the working
tree's sources and the sources at a git ref, with a guard against mass deletion.

Both sides are rendered in memory by this renderer, so a diff shows what the *sources* change.
Values are compared leaf by leaf (see :func:`gitopsctl.sources.layering.leaves`); a leaf's value is
written as JSON, and a leaf missing on one side as ``(absent)``.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from gitopsctl.errors import InputError, Problem
from gitopsctl.paths import ValuePath, format_path, leaves
from gitopsctl.pipeline import load_and_render
from gitopsctl.render.applications import LABEL_ENVIRONMENT, application_name, values_file
from gitopsctl.render.rendering import RenderedApp, RenderedEnvironment, Rendering
from gitopsctl.repofiles import outside_link

DIFF_FORMATS = ("text", "json")
JSON_DIFF_VERSION = 1
DEFAULT_MAX_DELETIONS = 0.3
REF_FOLDERS = ("sources", "charts")
WORKING_TREE = "working tree"
VALUE_FILES = ("helm", "valueFiles")  # under spec.sources[n]
GIT_TIMEOUT_SECONDS = 60

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"
UNCHANGED = "unchanged"
MARKERS = {ADDED: "+", REMOVED: "-", CHANGED: "~", UNCHANGED: "="}


class _Absent:
    """A leaf that one side does not have."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()
_ENV_NAMED: Any = object()  # stands in for a field that only carries the environment's name
_CHART_VERSION: Any = object()  # stands in for the chart's version in its Application
CHART_REVISION: ValuePath = ("spec", "sources", 0, "targetRevision")


class Change(NamedTuple):
    """One leaf that differs: its path and the value on each side (``ABSENT`` when missing)."""

    path: ValuePath
    before: Any
    after: Any


class VersionChange(NamedTuple):
    """An upstream chart's version on each side (None for a chart owned here)."""

    before: str | None
    after: str | None


class AppDiff(NamedTuple):
    """One app or database: its status and, when it is on both sides, what differs."""

    name: str
    kind: str
    status: str
    values: tuple[Change, ...] = ()
    application: tuple[Change, ...] = ()
    chart_version: VersionChange | None = None


class EnvironmentDiff(NamedTuple):
    """One environment between a git ref and the working tree."""

    name: str
    status: str
    before: int
    after: int
    apps: tuple[AppDiff, ...]

    def count(self, status: str) -> int:
        return sum(app.status == status for app in self.apps)

    @property
    def deletion_share(self) -> float:
        return self.count(REMOVED) / self.before if self.before else 0.0


# --- comparing ----------------------------------------------------------------------------------


def compare_apps(
    before: RenderedEnvironment | None, after: RenderedEnvironment | None
) -> tuple[AppDiff, ...]:
    """Every app and database of either side, sorted by name."""
    old = before.apps if before else {}
    new = after.apps if after else {}
    return tuple(_compare_app(old.get(name), new.get(name)) for name in sorted(old.keys() | new))


def _compare_app(before: RenderedApp | None, after: RenderedApp | None) -> AppDiff:
    either = after or before
    assert either is not None
    name, kind = either.name, either.unit.kind
    if before is None:
        return AppDiff(name, kind, ADDED)
    if after is None:
        return AppDiff(name, kind, REMOVED)
    values = changes(before.values.data, after.values.data)
    application = changes(before.application, after.application, _env_neutral(before, after))
    version = VersionChange(before.unit.chart.version, after.unit.chart.version)
    chart_version = version if version.before != version.after else None
    status = CHANGED if values or application or chart_version else UNCHANGED
    return AppDiff(name, kind, status, values, application, chart_version)


Equal = Callable[[ValuePath, Any, Any], bool]


def _same(path: ValuePath, before: Any, after: Any) -> bool:
    # Strictly: 1, 1.0 and true are different values in a Helm values file.
    return type(before) is type(after) and before == after


def changes(before: Any, after: Any, equal: Equal = _same) -> tuple[Change, ...]:
    """The leaves that differ, sorted by path; an empty mapping or list that only became (or
    stopped being) the parent of other leaves is not reported itself."""
    old, new = _leaf_map(before), _leaf_map(after)
    paths = sorted(old.keys() | new.keys(), key=_path_key)
    found = []
    for path in paths:
        change = Change(path, old.get(path, ABSENT), new.get(path, ABSENT))
        if not equal(*change) and not _only_a_parent(change, paths):
            found.append(change)
    return tuple(found)


def _leaf_map(data: Any) -> dict[ValuePath, Any]:
    return {path: value for path, value in leaves(data) if path}


def _path_key(path: ValuePath) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, key, "") if isinstance(key, int) else (1, 0, key) for key in path)


def _only_a_parent(change: Change, paths: Sequence[ValuePath]) -> bool:
    present = change.after if change.before is ABSENT else change.before
    if ABSENT not in (change.before, change.after) or present not in ({}, []):
        return False
    size = len(change.path)
    return any(len(other) > size and other[:size] == change.path for other in paths)


def _env_neutral(before: RenderedApp, after: RenderedApp) -> Equal:
    """Equality that ignores the fields naming the environment, when that is all they differ in:
    the Application's name, its environment label and its value file; and an upstream chart's
    version, which has a line of its own."""

    def equal(path: ValuePath, old: Any, new: Any) -> bool:
        return _same(path, _neutral(path, old, before), _neutral(path, new, after))

    return equal


def _neutral(path: ValuePath, value: Any, app: RenderedApp) -> Any:
    expected: dict[ValuePath, str] = {
        ("metadata", "name"): application_name(app.env, app.name),
        ("metadata", "labels", LABEL_ENVIRONMENT): app.env,
    }
    if path in expected and value == expected[path]:
        return _ENV_NAMED
    if _is_value_file(path) and value == f"$values/{values_file(app.env, app.name)}":
        return _ENV_NAMED
    if path == CHART_REVISION and app.unit.chart.version is not None:
        return _CHART_VERSION if value == app.unit.chart.version else value
    return value


def _is_value_file(path: ValuePath) -> bool:
    return len(path) == 6 and path[:2] == ("spec", "sources") and path[3:5] == VALUE_FILES


def compare_renderings(before: Rendering, after: Rendering) -> tuple[EnvironmentDiff, ...]:
    """Every environment of either rendering, sorted by name."""
    names = sorted(before.environments.keys() | after.environments.keys())
    return tuple(
        _compare_environment(name, before.environments.get(name), after.environments.get(name))
        for name in names
    )


def _compare_environment(
    name: str, before: RenderedEnvironment | None, after: RenderedEnvironment | None
) -> EnvironmentDiff:
    apps = compare_apps(before, after)
    if before is None or after is None:
        status = ADDED if before is None else REMOVED
    else:
        status = UNCHANGED if all(app.status == UNCHANGED for app in apps) else CHANGED
    count_before = len(before.apps) if before else 0
    count_after = len(after.apps) if after else 0
    return EnvironmentDiff(name, status, count_before, count_after, apps)


# --- the working tree against a git ref ---------------------------------------------------------


class GitLocation(NamedTuple):
    """The work tree's top folder, and the repository's path inside it (``""`` or ``"a/b/"``)."""

    top: Path
    prefix: str


def git_location(repo: Path) -> GitLocation:
    if not repo.is_dir():
        raise InputError(f"no folder {repo}")
    found = _git(repo, "rev-parse", "--show-toplevel", "--show-prefix")
    lines = found.stdout.decode().splitlines()
    if found.returncode != 0 or not lines:
        reason = found.stderr.decode().strip().splitlines()
        why = "" if not reason or "not a git repository" in reason[0] else f" ({reason[0]})"
        raise InputError(f"{repo} is not inside a git work tree{why}: --against compares with git")
    return GitLocation(Path(lines[0]), lines[1] if len(lines) > 1 else "")


def render_at_ref(location: GitLocation, ref: str) -> tuple[str, Rendering]:
    """The commit ``ref`` names, and its ``sources/`` and ``charts/`` rendered in memory."""
    top, prefix = location
    commit = _resolve(top, ref)
    folders = _folders_at(top, commit, prefix)
    if "sources" not in folders:
        raise InputError(
            f"{ref} ({commit[:12]}) has no {prefix}sources/ folder: nothing to compare with"
        )
    with tempfile.TemporaryDirectory(prefix="gitopsctl-diff-") as scratch:
        _extract(top, commit, [prefix + folder for folder in folders], Path(scratch))
        try:
            return commit, load_and_render(Path(scratch) / prefix)
        except InputError as error:
            raise InputError(_at_ref(ref, prefix, error.problems)) from None


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, check=False, timeout=GIT_TIMEOUT_SECONDS
        )
    except FileNotFoundError:
        raise InputError("git is not installed (or not on PATH): --against needs it") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"git {args[0]} took more than {GIT_TIMEOUT_SECONDS}s") from None


def _resolve(top: Path, ref: str) -> str:
    if not ref or ref.startswith("-"):
        raise InputError(f"{ref!r} is not a git ref")
    found = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if found.returncode != 0:
        raise InputError(f"unknown git ref {ref!r} in {top}: no commit has that name")
    return found.stdout.decode().strip()


def _folders_at(top: Path, commit: str, prefix: str) -> list[str]:
    """The folders a rendering reads at the commit: sources/, charts/, and the Terraform folder
    its platform file takes the node groups from."""
    wanted = [*REF_FOLDERS, *_terraform_folder_at(top, commit, prefix)]
    paths = [prefix + folder for folder in wanted]
    found = _git(top, "ls-tree", "-d", "--name-only", commit, "--", *paths)
    listed = set(found.stdout.decode().splitlines())
    return [folder for folder in wanted if prefix + folder in listed]


def _terraform_folder_at(top: Path, commit: str, prefix: str) -> list[str]:
    from gitopsctl.sources.files import PLATFORM_FILE, SourceFile, terraform_folder
    from gitopsctl.yaml import reader

    shown = _git(top, "show", f"{commit}:{prefix}{PLATFORM_FILE}")
    try:
        node = reader.parse(shown.stdout.decode("utf-8"), PLATFORM_FILE)
        folder = terraform_folder(SourceFile(PLATFORM_FILE, node))
    except (InputError, UnicodeDecodeError, AttributeError, TypeError):
        return []  # the rendering reports the platform file's problems
    normal = Path(folder).as_posix() if folder and not folder.startswith("/") else None
    return [normal] if normal and normal not in REF_FOLDERS and ".." not in normal else []


def _extract(top: Path, commit: str, paths: Sequence[str], target: Path) -> None:
    found = _git(top, "archive", "--format=tar", commit, "--", *paths)
    if found.returncode != 0:
        reason = found.stderr.decode().strip()
        raise InputError(f"git archive {commit[:12]} failed: {reason}")
    with tarfile.open(fileobj=io.BytesIO(found.stdout)) as archive:
        try:
            archive.extractall(target, filter="data")
        except tarfile.FilterError as error:  # a link out of the repository, never followed
            raise InputError(outside_link(f"{commit[:12]}:{error.tarinfo.name}")) from None


def _at_ref(ref: str, prefix: str, problems: Sequence[Problem]) -> list[Problem]:
    """Problems of the sources at a ref, their files named as git names them: ``REF:path``."""
    found = [
        Problem(p.message, f"{ref}:{prefix}{p.file}", p.line, p.column)
        if p.file
        else Problem(f"{ref}: {p.message}")
        for p in problems
    ]
    found.append(Problem(f"the sources at {ref} do not render; nothing compared (fix the above)"))
    return found


def render_working_tree(repo: Path) -> Rendering:
    try:
        return load_and_render(repo)
    except InputError as error:
        reason = "the working tree's sources do not render; nothing compared (fix the above)"
        raise InputError([*error.problems, Problem(reason)]) from None


class DeletionWarning(NamedTuple):
    env: str
    removed: int
    total: int


def over_deletion_limit(
    environments: Sequence[EnvironmentDiff], max_deletions: float
) -> list[DeletionWarning]:
    """Environments that would lose more than ``max_deletions`` of their child Applications."""
    return [
        DeletionWarning(env.name, env.count(REMOVED), env.before)
        for env in environments
        if env.deletion_share > max_deletions
    ]


def _percent(share: float) -> str:
    return f"{share * 100:.3g}%"


def deletion_message(warning: DeletionWarning, max_deletions: float, allowed: bool) -> str:
    share = warning.removed / warning.total
    outcome = (
        "allowed by --allow-deletions" if allowed else "pass --allow-deletions if that is intended"
    )
    return (
        f"warning: {warning.env}: {warning.removed} of {warning.total} Applications "
        f"({_percent(share)}) would be deleted, more than --max-deletions "
        f"{_percent(max_deletions)}; {outcome}"
    )


# --- formats ------------------------------------------------------------------------------------


def _value(value: Any) -> str:
    return "(absent)" if value is ABSENT else json.dumps(value)


def _version(version: str | None) -> str:
    return "(absent)" if version is None else version


def _change_lines(app: AppDiff, indent: str) -> Iterator[str]:
    if app.chart_version is not None:
        before, after = (_version(v) for v in app.chart_version)
        yield f"{indent}chart version: {before} -> {after}"
    for section, found in (("value", app.values), ("application", app.application)):
        for change in found:
            before, after = _value(change.before), _value(change.after)
            yield f"{indent}{section} {format_path(change.path)}: {before} -> {after}"


def _app_lines(app: AppDiff, indent: str, suffix: str = "") -> Iterator[str]:
    yield f"{indent}{MARKERS[app.status]} {app.name} ({app.kind}){suffix}"
    yield from _change_lines(app, indent + "    ")


def environments_text(env_a: str, env_b: str, apps: Sequence[AppDiff]) -> str:
    only = {ADDED: f": only in {env_b}", REMOVED: f": only in {env_a}"}
    lines = [f"--- {env_a}", f"+++ {env_b}"]
    for app in apps:
        lines += _app_lines(app, "", only.get(app.status, ""))
    lines.append(
        f"summary: {_count(apps, REMOVED)} only in {env_a}, {_count(apps, ADDED)} only in "
        f"{env_b}, {_count(apps, CHANGED)} differ, {_count(apps, UNCHANGED)} identical"
    )
    return "\n".join(lines) + "\n"


def _count(apps: Sequence[AppDiff], status: str) -> int:
    return sum(app.status == status for app in apps)


def environments_json(env_a: str, env_b: str, apps: Sequence[AppDiff]) -> str:
    report = {
        "version": JSON_DIFF_VERSION,
        "from": env_a,
        "to": env_b,
        "apps": [_app_json(app) for app in apps],
        "summary": _summary_json(apps),
    }
    return json.dumps(report, indent=2) + "\n"


def _summary_json(apps: Sequence[AppDiff]) -> dict[str, int]:
    return {status: _count(apps, status) for status in (ADDED, REMOVED, CHANGED, UNCHANGED)}


def _app_json(app: AppDiff) -> dict[str, Any]:
    found: dict[str, Any] = {"name": app.name, "kind": app.kind, "status": app.status}
    if app.chart_version is not None:
        before, after = app.chart_version
        found["chartVersion"] = {
            key: version for key, version in (("from", before), ("to", after)) if version
        }
    found["values"] = [_change_json(change) for change in app.values]
    found["application"] = [_change_json(change) for change in app.application]
    return found


def _change_json(change: Change) -> dict[str, Any]:
    found: dict[str, Any] = {"path": format_path(change.path), "keys": list(change.path)}
    if change.before is not ABSENT:
        found["from"] = change.before
    if change.after is not ABSENT:
        found["to"] = change.after
    return found


def promotion_text(source: str, target: str, apps: Sequence[AppDiff], outcome: str) -> str:
    """What a promotion changes in ``target``, app by app, in the blocks of `diff`."""
    lines = [f"--- {target}", f"+++ {target}, promoted from {source}"]
    for app in apps:
        lines += _app_lines(app, "")
    lines.append(
        f"summary: {_count(apps, CHANGED)} changed, {_count(apps, UNCHANGED)} unchanged; {outcome}"
    )
    return "\n".join(lines) + "\n"


def promotion_json(
    source: str, target: str, apps: Sequence[AppDiff], dry_run: bool, written: Sequence[str]
) -> str:
    report = {
        "version": JSON_DIFF_VERSION,
        "from": source,
        "to": target,
        "dryRun": dry_run,
        "apps": [_app_json(app) for app in apps],
        "summary": _summary_json(apps),
        "written": list(written),
    }
    return json.dumps(report, indent=2) + "\n"


_ENV_NOTES = {ADDED: " (new environment)", REMOVED: " (environment removed)"}


def against_text(ref: str, commit: str, environments: Sequence[EnvironmentDiff]) -> str:
    lines = [f"--- {ref} ({commit[:12]})", f"+++ {WORKING_TREE}"]
    for env in environments:
        lines.append(f"{env.name}: {_env_counts(env.apps)}{_ENV_NOTES.get(env.status, '')}")
        for app in env.apps:
            if app.status != UNCHANGED:
                lines += _app_lines(app, "  ")
    every = [app for env in environments for app in env.apps]
    lines.append(
        f"summary: {_count(every, ADDED)} added, {_count(every, REMOVED)} removed, "
        f"{_count(every, CHANGED)} changed"
    )
    return "\n".join(lines) + "\n"


def _env_counts(apps: Sequence[AppDiff]) -> str:
    statuses = (ADDED, REMOVED, CHANGED, UNCHANGED)
    return ", ".join(f"{_count(apps, status)} {status}" for status in statuses)


def against_json(
    ref: str,
    commit: str,
    environments: Sequence[EnvironmentDiff],
    max_deletions: float,
    allow_deletions: bool,
) -> str:
    every = [app for env in environments for app in env.apps]
    over = {w.env for w in over_deletion_limit(environments, max_deletions)}
    summary: dict[str, Any] = _summary_json(every)
    summary.update(
        maxDeletions=max_deletions,
        allowDeletions=allow_deletions,
        overDeletionLimit=sorted(over),
    )
    report = {
        "version": JSON_DIFF_VERSION,
        "ref": ref,
        "commit": commit,
        "environments": [_environment_json(env, env.name in over) for env in environments],
        "summary": summary,
    }
    return json.dumps(report, indent=2) + "\n"


def _environment_json(env: EnvironmentDiff, over_limit: bool) -> dict[str, Any]:
    return {
        "name": env.name,
        "status": env.status,
        "applications": {"before": env.before, "after": env.after},
        "apps": [_app_json(app) for app in env.apps if app.status != UNCHANGED],
        "summary": _summary_json(env.apps),
        "deletions": {
            "count": env.count(REMOVED),
            "share": round(env.deletion_share, 4),
            "overLimit": over_limit,
        },
    }
