"""Every Application must be synced by the root, and every file it points at must exist.

The app-of-apps root syncs the Application files of one folder (`source.path`, subfolders only
with `directory.recurse`, filtered by the `directory.include` and `directory.exclude` globs, the
exclude winning). An Application file the root does not reach, or a missing root, is never
applied; a value file (`$values/...`, or relative to a path source of this repository) or a
`path:` chart source (which needs `<path>/Chart.yaml`) that does not exist fails the sync; an
Application without `destination.namespace` puts its resources wherever their manifests say. A
generated file that no Application uses (no `valueFiles` names it and the root does not sync it)
is stale output that misleads reviewers. Sources in other repositories are not checked.

Passing (the root syncs applications/prod, and the value file exists):

    # applications/prod/root.yaml
    source:
      path: applications/prod
      directory:
        exclude: root.yaml
    # applications/prod/retool.yaml
    destination:
      namespace: retool
    sources:
      - chart: retool
        helm:
          valueFiles:
            - $values/rendered/prod/retool/values.yaml
      - ref: values

Failing (the value file does not exist, so the Argo CD sync fails):

    # applications/prod/retool.yaml
    sources:
      - chart: retool
        helm:
          valueFiles:
            - $values/rendered/prod/retool/value.yaml
      - ref: values
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any, NamedTuple

from gitopsctl.findings import Severity
from gitopsctl.paths import ValuePath
from gitopsctl.rules.base import Hit
from gitopsctl.subjects.records import Application, Environment, Location

ID = "app-of-apps"
SEVERITY = Severity.ERROR

NAMESPACE_PATH = ("spec", "destination", "namespace")
_BRACES = re.compile(r"\{([^{}]*)\}")


class Source(NamedTuple):
    """One source of an Application and where it sits in the document."""

    path: ValuePath
    spec: Mapping[str, Any]


class Unreached(NamedTuple):
    """Why the root does not sync a file, and the path in the root's document that decides it."""

    reason: str
    path: ValuePath


def check(env: Environment, options: Mapping[str, Any]) -> Iterator[Hit]:
    for application in env.applications:
        yield from _unreached_application(env, application)
    for application in [*([env.root] if env.root else []), *env.applications]:
        yield from _missing_namespace(application)
    for application in env.applications:
        yield from _unresolved_sources(env, application)
    yield from _unused_generated(env)


# -- the root reaches every child ----------------------------------------------------------------


def _unreached_application(env: Environment, application: Application) -> Iterator[Hit]:
    file = _file_of(application)
    at_file = Location(file, 1, 1, file)
    if env.root is None:
        message = f"the environment has no root Application, so nothing syncs {file}"
        yield Hit(at_file, message, application.app)
    elif file not in env.files:
        message = (
            f"{file} does not exist, so the root {env.root.name} never syncs "
            f"{application.name}: run `make render`"
        )
        yield Hit(at_file, message, application.app)
    else:
        unreached = _unreached(env.root, file)
        if unreached is not None:
            location = env.root.locate(unreached.path)
            yield Hit(location, unreached.reason, application.app)


def _unreached(root: Application, file: str) -> Unreached | None:
    """None when a directory source of the root syncs the file, else the first source's reason."""
    reasons = [_unreached_by(root.name, source, file) for source in _sources(root.document)]
    if not reasons:
        return Unreached(f"the root {root.name} has no source, so it syncs no file", ("spec",))
    if any(reason is None for reason in reasons):
        return None
    return reasons[0]


def _unreached_by(root: str, source: Source, file: str) -> Unreached | None:
    folder = _folder(source.spec.get("path"))
    if folder is None:
        return Unreached(f"the root {root} has no source path, so it syncs no file", source.path)
    directory = _mapping(source.spec.get("directory"))
    relative = _relative(folder, file)
    if relative is None:
        reason = f"{file} is outside {folder}, the folder the root {root} syncs"
        return Unreached(reason, (*source.path, "path"))
    if "/" in relative and directory.get("recurse") is not True:
        reason = (
            f"{file} is in a subfolder of {folder or '.'}, and the root {root} does not recurse"
        )
        return Unreached(reason, (*source.path, "path"))
    return _filtered(root, source, directory, file, relative)


def _filtered(
    root: str, source: Source, directory: Mapping[str, Any], file: str, relative: str
) -> Unreached | None:
    exclude, include = directory.get("exclude"), directory.get("include")
    if isinstance(exclude, str) and exclude and _glob_match(exclude, relative):
        reason = f"{file} is excluded by the root {root}'s directory.exclude {exclude!r}"
        return Unreached(reason, (*source.path, "directory", "exclude"))
    if isinstance(include, str) and include and not _glob_match(include, relative):
        reason = f"{file} does not match the root {root}'s directory.include {include!r}"
        return Unreached(reason, (*source.path, "directory", "include"))
    return None


def _folder(path: Any) -> str | None:
    if not isinstance(path, str) or not path.strip():
        return None
    folder = posixpath.normpath(path.strip().strip("/"))
    return "" if folder == "." else folder


def _relative(folder: str, file: str) -> str | None:
    if not folder:
        return file
    return file[len(folder) + 1 :] if file.startswith(folder + "/") else None


def _glob_match(pattern: str, name: str) -> bool:
    """Argo CD's globs: `{a,b}` alternatives, and `*` also matches `/`."""
    return any(fnmatchcase(name, expanded) for expanded in _expand_braces(pattern))


def _expand_braces(pattern: str) -> Iterator[str]:
    match = _BRACES.search(pattern)
    if match is None:
        yield pattern
        return
    head, tail = pattern[: match.start()], pattern[match.end() :]
    for choice in match.group(1).split(","):
        yield from _expand_braces(head + choice + tail)


def _reached_by_root(env: Environment, file: str) -> bool:
    return env.root is not None and _unreached(env.root, file) is None


# -- destination namespace -----------------------------------------------------------------------


def _missing_namespace(application: Application) -> Iterator[Hit]:
    destination = _mapping(_mapping(application.document.get("spec")).get("destination"))
    namespace = destination.get("namespace")
    if not isinstance(namespace, str) or not namespace.strip():
        message = (
            f"Application {application.name} has no destination.namespace: "
            "set the namespace its resources go to"
        )
        yield Hit(application.locate(NAMESPACE_PATH), message, application.app)


# -- value files and path sources resolve ---------------------------------------------------------


def _unresolved_sources(env: Environment, application: Application) -> Iterator[Hit]:
    sources = _sources(application.document)
    refs = {str(s.spec["ref"]): s for s in sources if s.spec.get("ref")}
    for source in sources:
        local = _local(env, source)
        if local:
            yield from _unresolved_path(env, application, source)
        yield from _unresolved_value_files(env, application, source, refs, local)


def _unresolved_path(env: Environment, application: Application, source: Source) -> Iterator[Hit]:
    path = _chart_path(source)
    if path is None:
        return
    if "directory" in source.spec:
        if not any(file.startswith(path + "/") for file in env.files):
            message = f"source path {path} does not resolve: there is no file under {path}/"
            yield _source_hit(application, (*source.path, "path"), message)
    elif f"{path}/Chart.yaml" not in env.files:
        message = f"source path {path} does not resolve: {path}/Chart.yaml is not in the repository"
        yield _source_hit(application, (*source.path, "path"), message)


def _unresolved_value_files(
    env: Environment,
    application: Application,
    source: Source,
    refs: Mapping[str, Source],
    local: bool,
) -> Iterator[Hit]:
    helm = _mapping(source.spec.get("helm"))
    value_files = helm.get("valueFiles")
    if not isinstance(value_files, list) or helm.get("ignoreMissingValueFiles") is True:
        return
    for index, entry in enumerate(value_files):
        message = _value_file_problem(env, source, refs, local, entry)
        if message is not None:
            yield _source_hit(application, (*source.path, "helm", "valueFiles", index), message)


def _value_file_problem(
    env: Environment, source: Source, refs: Mapping[str, Source], local: bool, entry: Any
) -> str | None:
    if not isinstance(entry, str) or "://" in entry:
        return None
    if entry.startswith("$"):
        ref, _, rest = entry[1:].partition("/")
        if ref not in refs:
            return (
                f"value file {entry} names ref {ref!r}, "
                "which no source of this Application declares"
            )
        target = posixpath.normpath(rest) if _local(env, refs[ref]) else None
    else:
        path = _chart_path(source)
        target = posixpath.normpath(posixpath.join(path, entry)) if local and path else None
    if target is None or target in env.files:
        return None
    return f"value file {entry} does not resolve: {target} is not in the repository"


def _source_hit(application: Application, path: ValuePath, message: str) -> Hit:
    return Hit(application.locate(path), message, application.app)


def _chart_path(source: Source) -> str | None:
    if "chart" in source.spec:
        return None
    return _folder(source.spec.get("path")) or None


def _local(env: Environment, source: Source) -> bool:
    """Whether a source is this repository: the root's repository, or any when there is no root."""
    if env.root is None:
        return True
    ours = {_repo_url(s.spec.get("repoURL")) for s in _sources(env.root.document)}
    return _repo_url(source.spec.get("repoURL")) in ours


def _repo_url(url: Any) -> str:
    return str(url or "").strip().rstrip("/").removesuffix(".git")


# -- generated files are used ---------------------------------------------------------------------


def _unused_generated(env: Environment) -> Iterator[Hit]:
    used = _used_files(env)
    for file, location in sorted(env.generated_files.items()):
        if file not in used and not _reached_by_root(env, file):
            message = (
                f"generated file {file} is used by no Application (no valueFiles names it and "
                "the root does not sync it): run `make render`"
            )
            yield Hit(location, message)


def _used_files(env: Environment) -> set[str]:
    """The root's file, every Application's file, value files and files under local paths."""
    applications = [*([env.root] if env.root else []), *env.applications]
    used = {_file_of(application) for application in applications}
    for application in env.applications:
        sources = _sources(application.document)
        for source in sources:
            used.update(_value_file_targets(source))
            path = _chart_path(source)
            if path is not None and _local(env, source):
                used.update(file for file in env.generated_files if file.startswith(path + "/"))
    return used


def _value_file_targets(source: Source) -> Iterator[str]:
    value_files = _mapping(source.spec.get("helm")).get("valueFiles")
    path = _chart_path(source)
    for entry in value_files if isinstance(value_files, list) else []:
        if isinstance(entry, str) and entry.startswith("$"):
            yield posixpath.normpath(entry.partition("/")[2])
        elif isinstance(entry, str) and path is not None:
            yield posixpath.normpath(posixpath.join(path, entry))


# -- reading Application documents ----------------------------------------------------------------


def _sources(document: Mapping[str, Any]) -> list[Source]:
    spec = _mapping(document.get("spec"))
    single = spec.get("source")
    if isinstance(single, Mapping):
        return [Source(("spec", "source"), single)]
    many = spec.get("sources")
    if not isinstance(many, list):
        return []
    return [
        Source(("spec", "sources", index), item)
        for index, item in enumerate(many)
        if isinstance(item, Mapping)
    ]


def _mapping(node: Any) -> Mapping[str, Any]:
    return node if isinstance(node, Mapping) else {}


def _file_of(application: Application) -> str:
    """The committed file of an Application: where its positions point once rendered."""
    location = application.locate(())
    return location.rendered or location.file
