"""`charts lock` and `charts pull` through the real command, the real helm, and a real chart
repository served on 127.0.0.1; `validate` (rule chart-lock) on what they leave."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitopsctl.render.chartcache import default_cache
from gitopsctl.render.charts import nearest_versions
from tests.chartrepo import PINS, example_on, helm_env, package_charts, serving, sha256
from tests.conftest import run_cli
from tests.support import edit, line_of, rerender

LOCK = "sources/charts.lock"
HEADER = (
    "# The upstream chart archives the environments pin, with their sha256 digests.\n"
    "# Written by `python render.py charts lock`; `python render.py charts pull` fetches and "
    "verifies them.\n"
)
ENVS = ("dev", "prod", "staging")


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The chart repository's folder: every pinned chart and retool's further versions."""
    folder = tmp_path_factory.mktemp("charts")
    return package_charts(folder, helm_env(folder))


class Setup:
    """A copy of the example whose upstream charts come from the loopback repository."""

    def __init__(self, home: Path, served: Path, url: str) -> None:
        self.home, self.served, self.url = home, served, url
        self.env = helm_env(home)
        self.cache = home / "user-cache" / "gitopsctl" / "charts"
        self.repo = example_on(url, home / "repo")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(self.repo, *args, cwd=self.repo, env=self.env)

    def archive(self, name: str, version: str) -> Path:
        return self.served / f"{name}-{version}.tgz"


@pytest.fixture
def setup(tmp_path: Path, packaged: Path) -> Iterator[Setup]:
    served = tmp_path / "served"
    shutil.copytree(packaged, served)
    with serving(served) as url:
        yield Setup(tmp_path, served, url)


def expected_lock(setup: Setup) -> str:
    entries = sorted((name, version) for _, name, version in PINS.values())
    lines = [HEADER, "charts:\n"]
    for name, version in entries:
        digest = sha256(setup.archive(name, version))
        lines.append(
            f"  - repo: {setup.url}\n    name: {name}\n    version: {version}\n"
            f"    digest: {digest}\n"
        )
    return "".join(lines)


def summary(count: int, done: str, downloaded: int, cache: Path) -> str:
    return f"{count} charts {done}, {downloaded} downloaded into {cache.as_posix()}"


# -- charts lock ---------------------------------------------------------------------------------


def test_lock_writes_every_pin_with_its_archive_digest(setup: Setup) -> None:
    result = setup.run("charts", "lock")

    assert (result.returncode, result.stderr) == (0, "")
    assert (setup.repo / LOCK).read_text(encoding="utf-8") == expected_lock(setup)
    assert result.stdout.splitlines()[-1] == summary(
        len(PINS), f"locked in {LOCK}", len(PINS), setup.cache
    )
    assert sorted(path.name for path in setup.cache.iterdir()) == sorted(
        f"{name}-{version}.tgz" for _, name, version in PINS.values()
    )


def test_lock_is_the_same_bytes_again_from_the_cache_without_the_repository(
    setup: Setup, tmp_path: Path
) -> None:
    assert setup.run("charts", "lock").returncode == 0
    first = (setup.repo / LOCK).read_bytes()
    shutil.rmtree(setup.served)  # nothing can be downloaded any more

    again = setup.run("charts", "lock")

    assert (again.returncode, again.stderr) == (0, "")
    assert (setup.repo / LOCK).read_bytes() == first
    assert again.stdout.splitlines()[-1] == summary(len(PINS), f"locked in {LOCK}", 0, setup.cache)


def test_environment_override_is_locked_too(setup: Setup) -> None:
    prod = "sources/environments/prod.yaml"
    edit(setup.repo, prod, "  retool:\n", "  retool:\n    chart: {version: 6.7.0}\n")
    rerender(setup.repo)

    result = setup.run("charts", "lock")

    lock = (setup.repo / LOCK).read_text(encoding="utf-8")
    digest = sha256(setup.archive("retool", "6.7.0"))
    assert result.returncode == 0
    assert f"    name: retool\n    version: 6.7.0\n    digest: {digest}\n" in lock
    assert "    name: retool\n    version: 6.6.0\n" in lock


RETOOL, PROD = "sources/apps/retool.yaml", "sources/environments/prod.yaml"
RETOOL_PIN = "  version: 6.6.0\n"


@pytest.mark.parametrize(
    ("file", "old", "new", "column", "message"),
    [
        pytest.param(
            PROD,
            "  retool:\n",
            "  retool:\n    chart: {version: 6.6.1}\n",
            13,
            "retool 6.6.1 is not in {url} (nearest: 6.5.0, 6.6.0, 6.7.0)",
            id="environment-override",
        ),
        pytest.param(
            RETOOL,
            RETOOL_PIN,
            "  version: 6.5.1\n",
            3,
            "retool 6.5.1 is not in {url} (nearest: 6.4.13, 6.5.0, 6.6.0, 6.7.0)",
            id="app-file",
        ),
        pytest.param(
            RETOOL,
            RETOOL_PIN,
            "  version: 5.0.0\n",
            3,
            "retool 5.0.0 is not in {url} (nearest: 6.4.13, 6.5.0)",
            id="older-than-every-version",
        ),
        pytest.param(
            RETOOL,
            RETOOL_PIN,
            "  version: latest\n",
            3,
            "retool latest is not in {url} (newest: 6.6.0, 6.7.0, 7.0.0-rc.1)",
            id="not-semver",
        ),
    ],
)
def test_version_the_repository_lacks_is_exit_2_at_the_pin(
    setup: Setup, file: str, old: str, new: str, column: int, message: str
) -> None:
    edit(setup.repo, file, old, new)
    rerender(setup.repo)
    line = line_of(setup.repo, file, new.splitlines()[-1].strip())

    result = setup.run("charts", "lock")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: {file}:{line}:{column}: {message.format(url=setup.url)}\n"
    assert not (setup.repo / LOCK).exists()


def test_chart_the_repository_lacks_is_exit_2_at_its_version(setup: Setup) -> None:
    argocd = "sources/apps/argocd.yaml"
    edit(setup.repo, argocd, "  name: argo-cd\n", "  name: argo-cd-web\n")
    rerender(setup.repo)
    line = line_of(setup.repo, argocd, "version: 8.1.3")

    result = setup.run("charts", "lock")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {argocd}:{line}:3: argo-cd-web is not in {setup.url}: its index has no chart "
        "of that name\n"
    )
    assert not (setup.repo / LOCK).exists()


def test_lock_refuses_a_cached_archive_that_differs_from_the_lock(setup: Setup) -> None:
    assert setup.run("charts", "lock").returncode == 0
    tampered = setup.cache / "retool-6.6.0.tgz"
    tampered.write_bytes(b"not the locked archive")
    before = (setup.repo / LOCK).read_text(encoding="utf-8")
    line = line_of(setup.repo, LOCK, "name: retool") - 1

    result = setup.run("charts", "lock")

    locked = sha256(setup.archive("retool", "6.6.0"))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {LOCK}:{line}:5: retool 6.6.0 ({setup.url}): the cached archive "
        f"{tampered.as_posix()} has digest {sha256(tampered)}, {LOCK} locks {locked}: run "
        "`python render.py charts pull` to fetch it again\n"
    )
    assert (setup.repo / LOCK).read_text(encoding="utf-8") == before


# -- charts pull ---------------------------------------------------------------------------------


def test_pull_fetches_into_an_empty_cache_then_is_a_no_op(setup: Setup) -> None:
    assert setup.run("charts", "lock").returncode == 0
    shutil.rmtree(setup.cache)

    archives = [f"{name}-{version}.tgz" for _, name, version in PINS.values()]
    served = {archive: sha256(setup.served / archive) for archive in archives}

    first = setup.run("charts", "pull")
    shutil.rmtree(setup.served)  # a second pull that ran helm would fail now
    second = setup.run("charts", "pull")

    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout.splitlines()[-1] == summary(len(PINS), "verified", len(PINS), setup.cache)
    assert {archive: sha256(setup.cache / archive) for archive in archives} == served
    assert (second.returncode, second.stderr) == (0, "")
    assert second.stdout.splitlines()[-1] == summary(len(PINS), "verified", 0, setup.cache)
    assert [path.name for path in setup.cache.iterdir() if path.suffix != ".tgz"] == []


def test_pull_into_a_given_cache(setup: Setup, tmp_path: Path) -> None:
    assert setup.run("charts", "lock").returncode == 0
    cache = tmp_path / "ci-cache"

    result = setup.run("charts", "pull", "--cache", str(cache))

    assert (result.returncode, result.stderr) == (0, "")
    assert sha256(cache / "retool-6.6.0.tgz") == sha256(setup.archive("retool", "6.6.0"))
    assert result.stdout.splitlines()[-1] == summary(len(PINS), "verified", len(PINS), cache)


def test_pull_replaces_a_tampered_archive_and_validate_reports_it_before(setup: Setup) -> None:
    assert setup.run("charts", "lock").returncode == 0
    tampered = setup.cache / "retool-6.6.0.tgz"
    tampered.write_bytes(b"not the locked archive")
    bad, locked = sha256(tampered), sha256(setup.archive("retool", "6.6.0"))
    line = line_of(setup.repo, LOCK, "name: retool") - 1

    reported = setup.run("validate", "--format", "json")
    pulled = setup.run("charts", "pull")
    clean = setup.run("validate", "--format", "json")

    message = (
        f"the cached archive {tampered.as_posix()} of chart retool 6.6.0 ({setup.url}) has digest "
        f"{bad}, the lock has {locked}: run `python render.py charts pull` to fetch the locked "
        "archive again"
    )
    assert reported.returncode == 1
    assert chart_lock_rows(reported) == [
        ("chart-lock", "error", env, "retool", LOCK, line, 5, message) for env in ENVS
    ]
    assert (pulled.returncode, pulled.stderr) == (0, "")
    assert pulled.stdout.splitlines()[-1] == summary(len(PINS), "verified", 1, setup.cache)
    assert sha256(tampered) == locked
    assert (clean.returncode, chart_lock_rows(clean)) == (0, [])


def test_pull_refuses_an_archive_whose_digest_is_not_the_locked_one(setup: Setup) -> None:
    assert setup.run("charts", "lock").returncode == 0
    shutil.rmtree(setup.cache)
    served = setup.archive("retool", "6.6.0")
    locked = sha256(served)
    served.write_bytes(served.read_bytes() + b"\0")  # the repository now serves other bytes
    line = line_of(setup.repo, LOCK, "name: retool") - 1

    result = setup.run("charts", "pull")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {LOCK}:{line}:5: retool 6.6.0 ({setup.url}): the downloaded archive has digest "
        f"{sha256(served)}, {LOCK} locks {locked}: the repository serves another archive than "
        "the one locked\n"
    )
    assert not (setup.cache / "retool-6.6.0.tgz").exists()


def test_pull_without_a_lock_is_exit_2(setup: Setup) -> None:
    result = setup.run("charts", "pull")

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: {LOCK}: no {LOCK}: run `python render.py charts lock` first\n"


# -- validate ------------------------------------------------------------------------------------


def chart_lock_rows(result: subprocess.CompletedProcess[str]) -> list[tuple[object, ...]]:
    keys = ("rule", "severity", "env", "app", "file", "line", "column", "message")
    findings = json.loads(result.stdout)["findings"]
    return [tuple(f[key] for key in keys) for f in findings if f["rule"] == "chart-lock"]


def test_validate_reports_a_pin_missing_from_the_lock(setup: Setup) -> None:
    assert setup.run("charts", "lock").returncode == 0
    prod = "sources/environments/prod.yaml"
    edit(setup.repo, prod, "  retool:\n", "  retool:\n    chart: {version: 6.7.0}\n")
    rerender(setup.repo)

    result = setup.run("validate", "--format", "json")

    message = (
        f"chart retool 6.7.0 ({setup.url}) is not in {LOCK} (it locks retool 6.6.0 from "
        f"{setup.url}): run `python render.py charts lock`"
    )
    line = line_of(setup.repo, prod, "version: 6.7.0")
    assert result.returncode == 1
    assert chart_lock_rows(result) == [
        ("chart-lock", "error", "prod", "retool", prod, line, 13, message)
    ]


def test_validate_helm_renders_the_pulled_charts_from_the_default_cache(setup: Setup) -> None:
    assert setup.run("charts", "lock").returncode == 0

    result = setup.run("validate", "--helm", "--format", "json")

    findings = json.loads(result.stdout)["findings"]
    assert (result.returncode, result.stderr) == (0, "")
    assert [f for f in findings if f["rule"] in ("helm-skipped", "chart-lock")] == []


# -- the nearest versions ------------------------------------------------------------------------

OFFERED = ["6.6.0", "6.4.13", "6.5.0", "7.0.0-rc.1", "v6.7.0", "main", "6.5.0"]


@pytest.mark.parametrize(
    ("wanted", "nearest"),
    [
        pytest.param("6.5.2", ["6.4.13", "6.5.0", "6.6.0", "v6.7.0"], id="between"),
        pytest.param("1.0.0", ["6.4.13", "6.5.0"], id="before-all"),
        pytest.param("9.0.0", ["6.6.0", "v6.7.0"], id="after-all"),
        pytest.param("7.0.0-rc.2", ["v6.7.0", "7.0.0-rc.1"], id="pre-release"),
        pytest.param("stable", ["6.6.0", "v6.7.0", "7.0.0-rc.1"], id="not-semver-newest"),
    ],
)
def test_nearest_versions(wanted: str, nearest: list[str]) -> None:
    assert nearest_versions(wanted, OFFERED) == nearest


# -- the default chart cache ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xdg", "expected"),
    [
        pytest.param("/srv/cache", "/srv/cache/gitopsctl/charts", id="xdg-cache-home"),
        pytest.param("relative/cache", "{home}/.cache/gitopsctl/charts", id="relative-is-ignored"),
        pytest.param("", "{home}/.cache/gitopsctl/charts", id="empty-is-ignored"),
        pytest.param(None, "{home}/.cache/gitopsctl/charts", id="unset"),
    ],
)
def test_default_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, xdg: str | None, expected: str
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)

    assert default_cache().as_posix() == expected.format(home=tmp_path.as_posix())
