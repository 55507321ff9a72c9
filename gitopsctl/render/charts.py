"""Locked upstream charts: `charts lock` pins every archive's sha256 digest in
`sources/charts.lock`; `charts pull` fetches each locked archive into the chart cache with the
real `helm pull` and verifies it.

The cache holds `<name>-<version>.tgz` files, as `helm pull` names them and `validate --helm`
looks them up. An archive enters the cache only whole (downloaded into a temporary folder inside
the cache, then renamed), so a reader never sees a partial one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from gitopsctl.errors import InputError, Problem
from gitopsctl.kube import semver
from gitopsctl.render import helm
from gitopsctl.render.chartcache import Pin, cached_digest, file_digest, pins
from gitopsctl.render.rendering import Rendering
from gitopsctl.sources.chartlock import (
    HEADER,
    LOCK_COMMAND,
    LOCK_FILE,
    ChartKey,
    ChartLock,
    lock_data,
    read_lock,
)
from gitopsctl.sources.layering import Origin

INDEX_TIMEOUT_SECONDS = 30
NEAREST = 2  # versions named on each side of a missing one


class Fetched(NamedTuple):
    key: ChartKey
    digest: str
    downloaded: bool  # False: the archive was already in the cache


# -- charts lock ---------------------------------------------------------------------------------


def lock(repo: Path, rendering: Rendering, cache: Path) -> list[Fetched]:
    """Write `sources/charts.lock` for every pin; each archive comes from the cache when it is
    there, else from its repository (and is then kept in the cache).

    A digest the lock already has is kept, never replaced: an archive that differs from it (in
    the cache or in the repository) is unusable input, as is a version the repository lacks.
    Nothing is written unless every chart is locked.
    """
    existing = read_lock(repo)
    by_key: dict[ChartKey, list[Pin]] = {}
    for pin in pins(rendering):
        by_key.setdefault(pin.key, []).append(pin)
    fetched: list[Fetched] = []
    problems: list[Problem] = []
    for key in sorted(by_key):
        locked = existing.charts[key].digest if existing and key in existing.charts else None
        try:
            fetched.append(_lock_one(repo, key, locked, cache))
        except ChartUnavailable as error:
            problems += [_at(origin, error.message) for origin in _origins(by_key[key])]
        except DigestMismatch as error:
            problems.append(Problem(error.message, LOCK_FILE, *_lock_position(existing, key)))
    if problems:
        raise InputError(problems)
    _write_lock(repo, {item.key: item.digest for item in fetched})
    return fetched


def _lock_one(repo: Path, key: ChartKey, locked: str | None, cache: Path) -> Fetched:
    present = cached_digest(cache, key)
    if present is not None:
        if locked is not None and present != locked:
            raise DigestMismatch(_cache_differs(cache, key, present, locked))
        return Fetched(key, present, downloaded=False)
    digest = _download(repo, key, cache, locked)
    return Fetched(key, digest, downloaded=True)


def _origins(found: Sequence[Pin]) -> list[Origin]:
    """Each source line that pins the chart, once (an app file's pin serves every environment)."""
    return sorted(
        {(p.origin.file, p.origin.line, p.origin.column): p.origin for p in found}.values()
    )


def _at(origin: Origin, message: str) -> Problem:
    return Problem(message, origin.file, origin.line, origin.column)


def _lock_position(existing: ChartLock | None, key: ChartKey) -> tuple[int | None, int | None]:
    if existing is None or key not in existing.charts:
        return None, None
    return existing.charts[key].line, existing.charts[key].column


def _cache_differs(cache: Path, key: ChartKey, present: str, locked: str) -> str:
    return (
        f"{key}: the cached archive {(cache / key.archive).as_posix()} has digest {present}, "
        f"{LOCK_FILE} locks {locked}: run `python render.py charts pull` to fetch it again"
    )


def _write_lock(repo: Path, digests: Mapping[ChartKey, str]) -> None:
    from gitopsctl.yaml import writer

    text = HEADER + writer.dump(lock_data(dict(digests)))
    try:
        write_atomically(repo / LOCK_FILE, text.encode("utf-8"))
    except OSError as error:
        raise InputError(Problem(f"cannot write the lock: {error}", LOCK_FILE)) from None


def write_atomically(target: Path, data: bytes) -> None:
    """Replace ``target`` so that readers see the old bytes or the new, never a part."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# -- charts pull ---------------------------------------------------------------------------------


def pull(repo: Path, cache: Path) -> list[Fetched]:
    """Every locked chart in the cache with its locked digest: an archive already there with
    that digest is kept (no helm at all when every one is); a missing one is downloaded, and so
    is one whose digest differs (it is replaced only by an archive with the locked digest)."""
    existing = read_lock(repo)
    if existing is None:
        raise InputError(Problem(f"no {LOCK_FILE}: run `{LOCK_COMMAND}` first", LOCK_FILE))
    fetched: list[Fetched] = []
    problems: list[Problem] = []
    for key, entry in sorted(existing.charts.items()):
        if cached_digest(cache, key) == entry.digest:
            fetched.append(Fetched(key, entry.digest, downloaded=False))
            continue
        try:
            fetched.append(Fetched(key, _download(repo, key, cache, entry.digest), True))
        except (ChartUnavailable, DigestMismatch) as error:
            problems.append(Problem(error.message, LOCK_FILE, entry.line, entry.column))
    if problems:
        raise InputError(problems)
    return fetched


# -- downloading ---------------------------------------------------------------------------------


class ChartUnavailable(Exception):
    """The repository does not serve the chart at that version (or could not be reached)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class DigestMismatch(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _download(repo: Path, key: ChartKey, cache: Path, expected: str | None) -> str:
    """Fetch the archive with `helm pull` and move it into the cache when its digest is the
    expected one (any digest when none is expected); its digest."""
    binary = _helm(repo)
    _make_cache(cache)
    folder = Path(tempfile.mkdtemp(prefix=".pull-", dir=cache))
    try:
        try:
            helm.pull(binary, key.repo, key.name, key.version, folder)
        except helm.HelmError as error:
            raise ChartUnavailable(explain_pull_failure(key, error)) from None
        archive = _only_archive(folder, key)
        digest = file_digest(archive)
        if expected is not None and digest != expected:
            raise DigestMismatch(
                f"{key}: the downloaded archive has digest {digest}, {LOCK_FILE} locks "
                f"{expected}: the repository serves another archive than the one locked"
            )
        os.replace(archive, cache / key.archive)
        return digest
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _helm(repo: Path) -> Path:
    try:
        return helm.find_helm(repo)
    except helm.HelmError as error:
        raise InputError(str(error)) from None


def _make_cache(cache: Path) -> None:
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the chart cache {cache.as_posix()}: {error}") from None


def _only_archive(folder: Path, key: ChartKey) -> Path:
    # helm names the file after the repository's URL for it, usually `<name>-<version>.tgz`.
    archives = sorted(folder.glob("*.tgz"))
    if len(archives) != 1:
        raise ChartUnavailable(f"{key}: helm pull left {len(archives)} archives, not one")
    return archives[0]


def explain_pull_failure(key: ChartKey, error: helm.HelmError) -> str:
    """Why `helm pull` failed: a version the repository's index lacks (naming the nearest it
    offers), a chart it does not have, or else what helm said."""
    versions = index_versions(key.repo, key.name)
    if versions is None or key.version in versions:
        return f"{key}: {error}"
    if not versions:
        return f"{key.name} is not in {key.repo}: its index has no chart of that name"
    return f"{key.name} {key.version} is not in {key.repo} ({_offered(key.version, versions)})"


def index_versions(repo: str, name: str) -> list[str] | None:
    """The versions of chart ``name`` in an http(s) repository's `index.yaml`; None when the
    index cannot be read (an OCI registry has none)."""
    if not repo.startswith(("http://", "https://")):
        return None
    # Imported here: only a failed pull needs it, and it costs every validate run ~20 ms.
    import urllib.error
    import urllib.request

    url = f"{repo.rstrip('/')}/index.yaml"
    try:
        with urllib.request.urlopen(url, timeout=INDEX_TIMEOUT_SECONDS) as response:
            data = response.read()
        return _versions_in(_index_data(data, url), name)
    except (OSError, urllib.error.URLError, InputError, ValueError):
        return None


def _index_data(data: bytes, url: str) -> Any:
    from gitopsctl.yaml import reader

    documents = reader.read_stream(reader.utf8(data, url), url)
    return next(iter(documents)).data


def _versions_in(index: Any, name: str) -> list[str]:
    entries = index.get("entries") if isinstance(index, Mapping) else None
    charts = entries.get(name) if isinstance(entries, Mapping) else None
    if not isinstance(charts, list):
        return []
    return [
        str(chart["version"])
        for chart in charts
        if isinstance(chart, Mapping) and "version" in chart
    ]


def _offered(wanted: str, versions: Sequence[str]) -> str:
    nearest = nearest_versions(wanted, versions)
    if semver.parse(wanted) is None:
        return f"newest: {', '.join(nearest)}"
    return f"nearest: {', '.join(nearest)}" if nearest else "it has no SemVer version"


def nearest_versions(wanted: str, versions: Sequence[str]) -> list[str]:
    """The versions next to ``wanted`` in SemVer order: up to two before it and two after
    (releases only, unless ``wanted`` is a pre-release); the three newest when ``wanted`` is not
    SemVer."""
    target = semver.parse(wanted)
    ordered = sorted(_releases(versions, keep_pre=target is None or bool(target.pre_release)))
    if target is None:
        return [text for _, text in ordered[-3:]]
    here = target.precedence()
    below = [text for key, text in ordered if key < here]
    above = [text for key, text in ordered if key > here]
    return below[-NEAREST:] + above[:NEAREST]


def _releases(versions: Sequence[str], keep_pre: bool) -> Iterator[tuple[Any, str]]:
    for text in dict.fromkeys(versions):
        parsed = semver.parse(text)
        if parsed is not None and (keep_pre or not parsed.pre_release):
            yield parsed.precedence(), text
