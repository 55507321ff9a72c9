"""chart-lock: every upstream pin is in sources/charts.lock, and a cached archive has the locked
digest.

The example pins seven upstream charts in its app files (every environment uses them). The cases
write a lock by hand (digests of archives written into a chart cache in the test's folder, which
`validate` reads as the user cache), then change a pin, the lock or the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from gitopsctl.rules import chart_lock
from tests.chartrepo import PINS
from tests.support import Case, Row, edit, example_rows, line_of, rerender

RULE = "chart-lock"
LOCK = "sources/charts.lock"
PROD = "sources/environments/prod.yaml"
ENVS = ("dev", "prod", "staging")
RETOOL = PINS["retool"]


@pytest.fixture(autouse=True)
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user cache directory inside the test's folder (the chart cache below it)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    return tmp_path / "user-cache" / "gitopsctl" / "charts"


def cache_of(repo: Path) -> Path:
    return repo / "user-cache" / "gitopsctl" / "charts"


def archive_bytes(name: str, version: str) -> bytes:
    return f"{name}-{version} archive".encode()


def digest(name: str, version: str) -> str:
    return f"sha256:{hashlib.sha256(archive_bytes(name, version)).hexdigest()}"


def write_lock(*pins: tuple[str, str, str]) -> Callable[[Path], None]:
    def mutate(repo: Path) -> None:
        entries = "".join(
            f"  - repo: {url}\n    name: {name}\n    version: {version}\n"
            f"    digest: {digest(name, version)}\n"
            for url, name, version in pins
        )
        (repo / LOCK).write_text(f"charts:\n{entries}", encoding="utf-8")

    return mutate


def every_pin_locked(repo: Path) -> None:
    write_lock(*PINS.values())(repo)


def cache_all(repo: Path) -> None:
    cache = cache_of(repo)
    cache.mkdir(parents=True, exist_ok=True)
    for _, name, version in PINS.values():
        (cache / f"{name}-{version}.tgz").write_bytes(archive_bytes(name, version))


def tamper_retool(repo: Path) -> None:
    (cache_of(repo) / "retool-6.6.0.tgz").write_bytes(b"another archive")


def prod_retool(version: str) -> Callable[[Path], None]:
    def mutate(repo: Path) -> None:
        edit(repo, PROD, "  retool:\n", f"  retool:\n    chart: {{version: {version}}}\n")
        rerender(repo)

    return mutate


def changes(*mutations: Callable[[Path], None]) -> Callable[[Path], None]:
    def mutate(repo: Path) -> None:
        for mutation in mutations:
            mutation(repo)

    return mutate


# --- expected findings --------------------------------------------------------------------------


def chart(pin: tuple[str, str, str]) -> str:
    url, name, version = pin
    return f"chart {name} {version} ({url})"


def at_app_file(app: str, message: str, severity: str = "error") -> Callable[[Path], list[Row]]:
    file = f"sources/apps/{app}.yaml"

    def rows(repo: Path) -> list[Row]:
        line = line_of(repo, file, f"version: {PINS[app][2]}")
        return [(RULE, severity, file, line, message, env, app) for env in ENVS]

    return rows


def unlocked(app: str) -> Callable[[Path], list[Row]]:
    message = (
        f"{chart(PINS[app])} is not locked: there is no chart lock; run "
        "`python render.py charts lock`"
    )
    return at_app_file(app, message, "warning")


def every_pin_unlocked(repo: Path) -> list[Row]:
    return sorted(
        (row for app in PINS for row in unlocked(app)(repo)), key=lambda r: (r[2], r[3], r[5])
    )


def not_in_lock(app: str, elsewhere: str = "") -> Callable[[Path], list[Row]]:
    message = f"{chart(PINS[app])} is not in {LOCK}{elsewhere}: run `python render.py charts lock`"
    return at_app_file(app, message)


def prod_not_in_lock(repo: Path) -> list[Row]:
    pin = (RETOOL[0], "retool", "6.7.0")
    message = (
        f"{chart(pin)} is not in {LOCK} (it locks retool 6.6.0 from {RETOOL[0]}): run "
        "`python render.py charts lock`"
    )
    return [(RULE, "error", PROD, line_of(repo, PROD, "version: 6.7.0"), message, "prod", "retool")]


def tampered(repo: Path) -> list[Row]:
    file = (cache_of(repo) / "retool-6.6.0.tgz").as_posix()
    other = f"sha256:{hashlib.sha256(b'another archive').hexdigest()}"
    message = (
        f"the cached archive {file} of {chart(RETOOL)} has digest {other}, the lock has "
        f"{digest('retool', '6.6.0')}: run `python render.py charts pull` to fetch the locked "
        "archive again"
    )
    line = line_of(repo, LOCK, "name: retool") - 1
    return [(RULE, "error", LOCK, line, message, env, "retool") for env in ENVS]


def nothing(repo: Path) -> list[Row]:
    return []


OTHER_REPO = "https://mirror.example.com/charts"
LOCKED_BUT_RETOOL = [pin for app, pin in PINS.items() if app != "retool"]
CASES = [
    pytest.param(Case(changes(), every_pin_unlocked), id="no-lock-warns-per-pin-FAILED"),
    pytest.param(Case(every_pin_locked, nothing), id="every-pin-locked-PASSED"),
    pytest.param(Case(changes(every_pin_locked, cache_all), nothing),
                 id="cached-archives-have-the-locked-digests-PASSED"),
    pytest.param(Case(changes(write_lock(*LOCKED_BUT_RETOOL)), not_in_lock("retool")),
                 id="pin-missing-from-the-lock-FAILED"),
    pytest.param(
        Case(changes(write_lock(*LOCKED_BUT_RETOOL, (RETOOL[0], "retool", "6.4.13"))),
             not_in_lock("retool", f" (it locks retool 6.4.13 from {RETOOL[0]})")),
        id="lock-has-another-version-FAILED",
    ),
    pytest.param(
        Case(changes(write_lock(*LOCKED_BUT_RETOOL, (OTHER_REPO, "retool", "6.6.0"))),
             not_in_lock("retool", f" (it locks retool 6.6.0 from {OTHER_REPO})")),
        id="lock-has-another-repository-FAILED",
    ),
    pytest.param(Case(changes(every_pin_locked, prod_retool("6.7.0")), prod_not_in_lock),
                 id="environment-override-missing-from-the-lock-FAILED"),
    pytest.param(
        Case(changes(write_lock(*PINS.values(), (RETOOL[0], "retool", "6.7.0")),
                     prod_retool("6.7.0")),
             nothing),
        id="environment-override-locked-PASSED",
    ),
    pytest.param(Case(changes(every_pin_locked, cache_all, tamper_retool), tampered),
                 id="tampered-cached-archive-FAILED"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_example_repository(tmp_path: Path, case: Case) -> None:
    found, expected = example_rows(chart_lock, tmp_path, case)

    assert found == expected


def test_broken_lock_is_a_source_schema_finding(tmp_path: Path) -> None:
    from tests.conftest import run_cli
    from tests.support import copy_example

    repo = copy_example(tmp_path / "repo")
    (repo / LOCK).write_text("charts:\n  - repo: https://charts.retool.com\n", encoding="utf-8")

    result = run_cli(repo, "validate", env={"XDG_CACHE_HOME": str(tmp_path / "cache")})

    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        f"{LOCK}:2:5: error source-schema: charts.0: '{key}' is a required property"
        for key in ("digest", "name", "version")
    ] + ["3 errors, 0 warnings, 0 excepted"]
    assert result.stderr == (
        "error: the sources are unusable (3 problems, reported as source-schema findings): "
        "nothing else was checked\n"
    )
