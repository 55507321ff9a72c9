"""Content digests of everything a repository command's result depends on: the cache's keys.

The inputs are the repository's `sources/`, `charts/`, `applications/`, `rendered/` and
`infrastructure/` (every file's name and bytes, hand-written ones included), what the working
folder holds, the chart cache's archives (their names, sizes and times: the chart lock is checked
against them), and this tool itself: its code and shipped schemas, the installed distributions
it runs on, and the Python version. Only plain files and folders on the repository's file system
are digested: a link, another kind of file, a mount point or a staging folder an interrupted
render left makes the inputs uncacheable, so every such case takes the full path and gets its
full diagnosis; so does a platform file that reads its node groups from a Terraform folder other
than `infrastructure/`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

from gitopsctl.render.containment import OUTPUT_DIRS
from gitopsctl.render.lock import LOCK
from gitopsctl.render.workspace import CACHE, WORKSPACE
from gitopsctl.resources import SCHEMA_DIR

FOLDERS = ("sources", "charts", "applications", "rendered", "infrastructure")
RENDERED_FROM = ("sources", "charts", "infrastructure")  # what a rendering depends on
TERRAFORM = "infrastructure"  # the one Terraform folder digested
# Workspace entries that do not change any result: the lock, its .gitignore and the cache itself.
# Anything else there (an interrupted render's staging folder) is reported by the full path.
WORKSPACE_OWN = frozenset({".gitignore", LOCK, CACHE})
# Distributions whose versions can change a result (the Kubernetes schemas come with one).
DEPENDENCIES = (
    "yaml",
    "jsonschema",
    "jsonschema_rs",
    "kubernetes_validate",
    "ruamel",
    "click",
    "hcl2",
)

# (path, size, modification time, inode) of every file and folder digested: checked again after
# the command ran, so a result computed while an input changed is never stored under its key.
Stamp = tuple[str, int, int, int]


class Uncacheable(Exception):
    """The inputs hold something only the full path diagnoses (a link, a mount point...)."""


@dataclass(frozen=True)
class Inputs:
    """The digest of a repository's inputs as they were read, and their stamps."""

    repo: Path
    digest: str
    stamps: tuple[Stamp, ...]
    rendering: str  # the digest of what the rendering depends on (RENDERED_FROM)
    # Every file under the output folders, by path, as digested: a scan of the output needs
    # not read them again (see output.plan).
    output: Mapping[str, bytes] = field(default_factory=dict)

    def key(self, *parts: str) -> str:
        """The key of one command's result: its name and options, and these inputs."""
        return _digest([self.digest, *parts])

    def unchanged(self) -> bool:
        """Whether every file and folder is still as it was digested (nothing changed since)."""
        root = os.fspath(self.repo)
        try:
            same = all(_stamp(root, stamp[0]) == stamp for stamp in self.stamps)
            return same and _workspace_at_rest(self.repo, os.lstat(root).st_dev)
        except OSError:
            return False


def read_inputs(repo: Path) -> Inputs | None:
    """The repository's inputs, or None when they are uncacheable or cannot be read."""
    return _read_inputs(repo, FOLDERS)


def rendering_inputs(repo: Path) -> Inputs | None:
    """Only what a rendering depends on (its digest is also ``rendering``); None as above."""
    return _read_inputs(repo, RENDERED_FROM)


def _read_inputs(repo: Path, folders: Sequence[str]) -> Inputs | None:
    identity = [code_identity(), os.path.realpath(repo)]
    digests: dict[str, str] = {}
    stamps: list[Stamp] = []
    output: dict[str, bytes] = {}
    try:
        device = os.lstat(repo).st_dev
        for folder in folders:
            digest = hashlib.sha256()
            read = output if folder in OUTPUT_DIRS else None
            _digest_top(repo, folder, device, digest, stamps, read)
            digests[folder] = digest.hexdigest()
        if not _workspace_at_rest(repo, device) or not _terraform_digested(repo):
            return None
        whole = hashlib.sha256()
        for part in [*identity, *digests.values()]:
            whole.update(_framed(part.encode()))
        if folders == FOLDERS:
            _digest_chart_cache(whole)
    except (OSError, Uncacheable):
        return None
    rendering = _digest([*identity, *(digests[folder] for folder in RENDERED_FROM)])
    return Inputs(repo, whole.hexdigest(), tuple(stamps), rendering, output)


def _terraform_digested(repo: Path) -> bool:
    """Whether the node groups come from the list or from the Terraform folder digested."""
    from gitopsctl.errors import InputError
    from gitopsctl.paths import lookup
    from gitopsctl.yaml import reader

    platform = repo / "sources" / "platform.yaml"
    try:
        node = reader.to_plain(reader.load_file(platform, "sources/platform.yaml"))
    except (InputError, OSError):  # a platform file only the full path diagnoses
        return False
    folder = lookup(node, ("nodeGroups", "terraform"))[1]
    return folder is None or (isinstance(folder, str) and folder.strip("/") == TERRAFORM)


def _digest_chart_cache(digest: hashlib._Hash) -> None:
    """The chart cache's files by name, size and time: a changed archive changes the key."""
    from gitopsctl.render.chartcache import default_cache

    cache = default_cache()
    try:
        entries = sorted(os.scandir(cache), key=lambda entry: entry.name)
    except OSError:
        digest.update(_framed(b"no chart cache"))
        return
    for entry in entries:
        info = entry.stat(follow_symlinks=False)
        line = f"{entry.name} {stat.S_IFMT(info.st_mode)} {info.st_size} {info.st_mtime_ns}"
        digest.update(_framed(b"cached " + os.fsencode(line)))


def _digest_top(
    repo: Path,
    name: str,
    device: int,
    digest: hashlib._Hash,
    stamps: list[Stamp],
    read: dict[str, bytes] | None = None,
) -> None:
    try:
        info = os.lstat(repo / name)
    except FileNotFoundError:
        digest.update(_framed(b"absent " + name.encode()))
        return
    _require_folder(info, device)
    stamps.append((name, info.st_size, info.st_mtime_ns, info.st_ino))
    digest.update(_framed(b"folder " + name.encode()))
    _digest_folder(repo, name, device, digest, stamps, read)


def _digest_folder(
    repo: Path,
    name: str,
    device: int,
    digest: hashlib._Hash,
    stamps: list[Stamp],
    read: dict[str, bytes] | None,
) -> None:
    """Every file's name and bytes below ``name``; each file's bytes also go into ``read``."""
    # Thousands of small files: plain strings and unbuffered reads keep the walk cheap.
    with os.scandir(f"{os.fspath(repo)}/{name}") as listing:
        entries = sorted(listing, key=lambda entry: entry.name)
    for entry in entries:
        relative = f"{name}/{entry.name}"
        info = entry.stat(follow_symlinks=False)
        stamps.append((relative, info.st_size, info.st_mtime_ns, info.st_ino))
        if stat.S_ISDIR(info.st_mode):
            _require_folder(info, device)
            digest.update(_framed(b"folder " + os.fsencode(relative)))
            _digest_folder(repo, relative, device, digest, stamps, read)
        elif stat.S_ISREG(info.st_mode):
            with open(entry.path, "rb", buffering=0) as stream:
                content = stream.readall()
            digest.update(_framed(b"file " + os.fsencode(relative)) + _framed(content))
            if read is not None:
                read[relative] = content
        else:
            raise Uncacheable(relative)


def _require_folder(info: os.stat_result, device: int) -> None:
    if not stat.S_ISDIR(info.st_mode) or info.st_dev != device:
        raise Uncacheable("not a folder of the repository's file system")


def _workspace_at_rest(repo: Path, device: int) -> bool:
    """Nothing in the working folder but the lock and the cache: an interrupted render's
    leftovers are for the full path to report."""
    try:
        info = os.lstat(repo / WORKSPACE)
    except FileNotFoundError:
        return True
    if not stat.S_ISDIR(info.st_mode) or info.st_dev != device:
        return False
    return set(os.listdir(repo / WORKSPACE)) <= WORKSPACE_OWN


def _stamp(root: str, name: str) -> Stamp:
    info = os.lstat(f"{root}/{name}")
    return (name, info.st_size, info.st_mtime_ns, info.st_ino)


@functools.cache
def code_identity() -> str:
    """This tool's code and schemas, the distributions it runs on, and the Python version."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(_framed(sys.version.encode()))
    for root in dict.fromkeys([package, SCHEMA_DIR]):
        for path in _source_files(root):
            digest.update(_framed(os.fsencode(path.relative_to(root))))
            _add(digest, path.read_bytes())
    for name in _distributions():
        digest.update(_framed(name.encode()))
    return digest.hexdigest()


def _source_files(root: Path) -> list[Path]:
    found = []
    for top, folders, files in os.walk(root):
        folders[:] = sorted(folder for folder in folders if folder != "__pycache__")
        found += [Path(top) / name for name in sorted(files) if not name.endswith(".pyc")]
    return found


def _distributions() -> list[str]:
    """The installed distributions (`name-version.dist-info`) beside the dependencies."""
    places = {_site_folder(module) for module in DEPENDENCIES}
    names = [
        entry
        for place in sorted(place for place in places if place is not None)
        for entry in os.listdir(place)
        if entry.endswith(".dist-info")
    ]
    return sorted(names)


def _site_folder(module: str) -> str | None:
    spec = find_spec(module)  # locates the module without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.dirname(next(iter(spec.submodule_search_locations)))


def _digest(parts: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(_framed(part.encode()))
    return digest.hexdigest()


def _add(digest: hashlib._Hash, data: bytes) -> None:
    """A large part framed without copying it."""
    digest.update(len(data).to_bytes(8, "big"))
    digest.update(data)


def _framed(data: bytes) -> bytes:
    """Each part prefixed by its length, so that no two sequences of parts digest alike."""
    return len(data).to_bytes(8, "big") + data
