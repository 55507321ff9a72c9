"""Run the real Helm binary: find it, ask its version, render a chart with `helm template`; which
release each Application is, and which line of a template a line of Helm's output comes from."""

from __future__ import annotations

import contextlib
import difflib
import functools
import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from gitopsctl.render.rendering import RenderedApp, Rendering

HELM_TIMEOUT_SECONDS = 120
LOCAL_HELM = Path(".venv") / "bin" / "helm"
HELM_WORKERS = 4
_TEXT_SUFFIXES = (".yaml", ".yml", ".tpl", ".txt", ".json")
_KEY = re.compile(r"^(?:-\s+)?([^\s:{}#\-][^:]*?):(?:\s|$)")


class HelmError(Exception):
    """Helm is missing, could not run, timed out or failed; `stderr` is what helm said, if any."""

    def __init__(self, message: str, stderr: str = "") -> None:
        self.stderr = stderr.strip()
        super().__init__(f"{message}:\n{self.stderr}" if self.stderr else message)


def find_helm(repo: Path) -> Path:
    """`helm` on PATH first, else the one `make setup` installs into the repository's venv."""
    on_path = shutil.which("helm")
    if on_path is not None:
        return Path(on_path)
    local = repo / LOCAL_HELM
    if local.is_file() and os.access(local, os.X_OK):
        return local
    raise HelmError(
        f"helm was not found on PATH nor at {local}; run `make setup` to install the pinned Helm"
    )


def helm_version(helm: Path) -> str:
    """The version helm reports, e.g. `v4.1.4`."""
    return _run(helm, ["version", "--template", "{{.Version}}"], "helm version").strip()


def pull(helm: Path, repo: str, name: str, version: str, into: Path) -> None:
    """Download one chart archive into the folder ``into`` (`oci://` registries included)."""
    if repo.startswith("oci://"):
        arguments = ["pull", f"{repo.rstrip('/')}/{name}"]
    else:
        arguments = ["pull", name, "--repo", repo]
    arguments += ["--version", version, "--destination", str(into)]
    _run(helm, arguments, f"helm pull {name} {version} from {repo}")


def template(
    helm: Path,
    chart: Path,
    release: str,
    namespace: str,
    values_files: Sequence[Path],
    kube_version: str | None = None,
    include_crds: bool = False,
) -> str:
    """Render `chart` (a folder or a .tgz) and return the multi-document YAML helm prints;
    with `include_crds`, the chart's `crds/` too, as Argo CD applies them."""
    # A chart argument that is not a local path makes helm look it up in a chart repository.
    if not chart.exists():
        raise HelmError(f"chart {chart} does not exist")
    arguments = ["template", release, str(chart), "--namespace", namespace]
    for values_file in values_files:
        arguments += ["--values", str(values_file)]
    if kube_version is not None:
        arguments += ["--kube-version", kube_version]
    if include_crds:
        arguments.append("--include-crds")
    return _run(helm, arguments, f"helm template {release} {chart}")


def _run(helm: Path, arguments: list[str], what: str) -> str:
    try:
        result = subprocess.run(
            [str(helm), *arguments],
            capture_output=True,
            text=True,
            timeout=HELM_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise HelmError(f"{what} did not finish within {HELM_TIMEOUT_SECONDS} s") from error
    except OSError as error:
        raise HelmError(f"{what} could not run {helm}: {error}") from error
    if result.returncode != 0:
        raise HelmError(f"{what} failed with exit code {result.returncode}", result.stderr)
    return result.stdout


@dataclass(frozen=True)
class Release:
    """One `helm template` run: an Application's chart with its values, name and namespace."""

    env: str
    app: RenderedApp
    chart: Path
    label: str
    values: Path

    @property
    def archive(self) -> bool:
        return self.chart.suffix == ".tgz"

    @property
    def name(self) -> str:
        return str(self.app.application["spec"]["sources"][0]["helm"]["releaseName"])

    @property
    def namespace(self) -> str:
        return str(self.app.application["spec"]["destination"]["namespace"])

    def file(self, inner: str) -> str:
        """How findings name a file of the chart, e.g. `charts/x/templates/a.yaml`."""
        return f"{self.label}:{inner}" if self.archive else f"{self.label}/{inner}"

    def template_text(self, source: str) -> str | None:
        """A template's text by helm's `# Source:` path (`<chart>/templates/x.yaml`)."""
        if self.archive:
            return archive_texts(self.chart).get(source)
        path = self.chart / inner_path(source)
        return path.read_text(encoding="utf-8") if path.is_file() else None


class Skipped(NamedTuple):
    """An Application whose chart is not rendered, and why."""

    env: str
    app: RenderedApp
    reason: str


def plan_releases(
    repo: Path, rendering: Rendering, cache: Path | None
) -> tuple[list[Release], list[Skipped]]:
    releases: list[Release] = []
    skipped: list[Skipped] = []
    for env_name, rendered in rendering.environments.items():
        for app in rendered.apps.values():
            release = _release(repo, env_name, app, cache)
            if isinstance(release, Release):
                releases.append(release)
            else:
                skipped.append(Skipped(env_name, app, release))
    return releases, skipped


def _release(repo: Path, env: str, app: RenderedApp, cache: Path | None) -> Release | str:
    """The release to render, or why the Application's chart cannot be rendered."""
    values = repo / app.values_file
    if not values.is_file():
        return f"its values file {app.values_file} is missing: run `make render`"
    chart = app.unit.chart
    if chart.path is not None:
        return Release(env, app, repo / chart.path, chart.path, values)
    archive = f"{chart.name}-{chart.version}.tgz"
    if cache is None:
        return f"no --chart-cache given; {_pull_hint(app, 'DIR')} and pass --chart-cache DIR"
    if not (cache / archive).is_file():
        return f"{archive} is not in the chart cache {cache.as_posix()}: {_pull_hint(app, cache)}"
    return Release(env, app, cache / archive, (cache / archive).as_posix(), values)


def _pull_hint(app: RenderedApp, into: Path | str) -> str:
    chart = app.unit.chart
    target = f"{chart.repo}/{chart.name}" if str(chart.repo).startswith("oci://") else chart.name
    repo = "" if str(chart.repo).startswith("oci://") else f" --repo {chart.repo}"
    return (
        f"run `python render.py charts pull --cache {into}` (the charts sources/charts.lock holds)"
        f" or fetch it with `helm pull {target}{repo} --version {chart.version} -d {into}`"
    )


@contextlib.contextmanager
def rendering_all(
    helm: Path, releases: Sequence[Release], kube_version: str
) -> Iterator[Iterator[tuple[int, str | HelmError]]]:
    """Start rendering every release (CRDs included) in parallel, one helm process each, and
    give each release's index with its manifests, or why Helm could not render it, as it
    finishes; the caller works meanwhile."""
    with ThreadPoolExecutor(max_workers=HELM_WORKERS) as pool:
        futures = {
            pool.submit(_render, helm, release, kube_version): index
            for index, release in enumerate(releases)
        }
        yield ((futures[done], done.result()) for done in as_completed(futures))


def _render(helm: Path, release: Release, kube_version: str) -> str | HelmError:
    try:
        return template(
            helm,
            release.chart,
            release.name,
            release.namespace,
            [release.values],
            kube_version,
            include_crds=True,
        )
    except HelmError as error:
        return error


def template_position(
    template_text: str | None, document: str, line: int, column: int
) -> tuple[int, int]:
    """The template line a line of helm's output most likely comes from, 1-based.

    The stripped lines of the output and of the template are aligned (difflib); a literal line
    of the template maps exactly. A line produced by an expression maps to the line of the same
    key between the surrounding aligned lines (`instances: {{ .Values.instances }}`), else to the
    first template line after the last aligned one (the `{{ toYaml ... }}` that printed it).
    Without the template's text (a subchart packed inside the chart), line 1.
    """
    if template_text is None:
        return 1, 1
    rendered = document.splitlines()
    lines = template_text.splitlines()
    index = min(max(line - 1, 0), max(len(rendered) - 1, 0))
    anchors = _anchors(rendered, lines)
    if index in anchors:
        target = anchors[index]
        shift = _indent(lines[target]) - _indent(rendered[index]) if rendered else 0
        return target + 1, max(column + shift, 1)
    before = max((t for r, t in anchors.items() if r < index), default=-1)
    after = min((t for r, t in anchors.items() if r > index), default=len(lines))
    if not lines:
        return 1, 1
    keyed = _same_key(rendered[index] if rendered else "", lines, before + 1, after)
    fallback = before + 1 if before + 1 < after else max(before, 0)
    target = fallback if keyed is None else keyed
    return target + 1, _indent(lines[target]) + 1


def _anchors(rendered: Sequence[str], lines: Sequence[str]) -> dict[int, int]:
    """Output line index -> template line index, for lines the two have in common."""
    ours = [line.strip() for line in rendered]
    theirs = [line.strip() for line in lines]
    matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
    return {
        a + k: b + k
        for a, b, size in matcher.get_matching_blocks()
        for k in range(size)
        if ours[a + k]
    }


def _same_key(line: str, lines: Sequence[str], start: int, stop: int) -> int | None:
    key = _key(line)
    if key is None:
        return None
    return next((i for i in range(start, stop) if _key(lines[i]) == key), None)


def _key(line: str) -> str | None:
    match = _KEY.match(line.strip())
    return match.group(1) if match else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def inner_path(source: str) -> str:
    """A path inside the chart: helm's `# Source:` path without the chart's name."""
    return source.split("/", 1)[1] if "/" in source else source


def archive_texts(archive: Path) -> Mapping[str, str]:
    """The text files of a chart archive by their path in it, read once per archive and run
    (findings ask for the same templates again and again)."""
    try:
        stat = archive.stat()
    except OSError:
        return {}
    return _archive_texts(archive, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _archive_texts(archive: Path, _mtime: int, _size: int) -> Mapping[str, str]:
    texts: dict[str, str] = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                extracted = tar.extractfile(member) if member.isfile() else None
                if extracted is not None and member.name.endswith(_TEXT_SUFFIXES):
                    with contextlib.suppress(UnicodeDecodeError):
                        texts[member.name] = extracted.read().decode("utf-8")
    except (OSError, tarfile.TarError, EOFError):
        return {}
    return MappingProxyType(texts)
