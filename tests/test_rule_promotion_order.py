"""promotion-order: no environment runs a chart version or a promoted value that the environments
before it in `promotion` (dev, staging, prod in the example) did not run first.

Retool's chart is 6.6.0 and its image tag 3.334.11-stable in sources/apps/retool.yaml, and no
environment overrides them; the cases set versions and `image.tag` values per environment, then
render again.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from gitopsctl.kube.semver import newer
from gitopsctl.pipeline import validate_repository
from gitopsctl.rules import promotion_order
from tests.support import Case, Row, edit, example_rows, line_of, no_findings, rerender, unchanged

RULE = "promotion-order"
RETOOL = "sources/apps/retool.yaml"
PLATFORM = "sources/platform.yaml"
ENV_FILES = {env: f"sources/environments/{env}.yaml" for env in ("dev", "staging", "prod")}
SEVERITY = {"dev": "warning", "staging": "warning", "prod": "error"}
BEFORE = {"staging": "dev", "prod": "staging"}

Mutate = Callable[[Path], None]


def chart(env: str, version: str, app: str = "retool") -> Mutate:
    """The environment's override of an app sets its chart version."""

    def mutate(repo: Path) -> None:
        edit(repo, ENV_FILES[env], f"  {app}:\n", f"  {app}:\n    chart: {{version: {version}}}\n")

    return mutate


def app_version(version: str) -> Mutate:
    def mutate(repo: Path) -> None:
        edit(repo, RETOOL, "  version: 6.6.0\n", f"  version: {version}\n")

    return mutate


def promote_image_tag(repo: Path) -> None:
    edit(repo, RETOOL, "namespace: retool\n", "namespace: retool\npromote: [image.tag]\n")


def no_app_image_tag(repo: Path) -> None:
    """The app file sets no `image.tag`, so an environment that sets none runs none."""
    edit(repo, RETOOL, "  image:\n    tag: 3.334.11-stable\n", "")


def image_tag(env: str, tag: str) -> Mutate:
    """The environment's override of retool sets `image.tag` (a new `values:` in dev)."""

    def mutate(repo: Path) -> None:
        block = "  retool:\n" if env == "dev" else "  retool:\n    values:\n"
        values = "    values:\n" if env == "dev" else ""
        edit(repo, ENV_FILES[env], block, f"{block}{values}      image: {{tag: '{tag}'}}\n")

    return mutate


def remove_keycloak_from_staging(repo: Path) -> None:
    block = (
        "  keycloak:\n    values:\n      replicas: 2\n    databases:\n      keycloak-db:\n"
        "        instances: 2\n"
    )
    edit(repo, ENV_FILES["staging"], block, "")


def promotion(order: str) -> Mutate:
    def mutate(repo: Path) -> None:
        edit(repo, PLATFORM, "promotion: [dev, staging, prod]\n", f"promotion: [{order}]\n")

    return mutate


def changes(*mutations: Mutate) -> Mutate:
    def mutate(repo: Path) -> None:
        for mutation in mutations:
            mutation(repo)
        rerender(repo)

    return mutate


# --- expected findings --------------------------------------------------------------------------


def newer_row(
    env: str, version: str, theirs: str, file: str, text: str, app: str = "retool"
) -> Callable[[Path], Row]:
    before = "dev" if app == "keycloak" else BEFORE[env]
    message = (
        f"chart version {version} is newer than {before}'s {theirs} ({before} comes before {env} "
        f"in promotion): promote it through {before} first"
    )
    return located_row(env, file, text, message, app)


def unordered_row(
    env: str, version: str, theirs: str, file: str, text: str
) -> Callable[[Path], Row]:
    before = BEFORE[env]
    message = (
        f"chart version {version} cannot be ordered against {before}'s {theirs} ({before} comes "
        f"before {env} in promotion): use SemVer versions, and promote through {before} first"
    )
    return located_row(env, file, text, message)


def value_row(env: str, tag: str) -> Callable[[Path], Row]:
    earlier = {"staging": "dev", "prod": "dev, staging"}[env]
    message = (
        f'promoted value image.tag="{tag}" is in no environment before {env} in promotion '
        f"({earlier}): promote it through {BEFORE[env]} first"
    )
    return located_row(env, ENV_FILES[env], tag, message)


def located_row(
    env: str, file: str, text: str, message: str, app: str = "retool"
) -> Callable[[Path], Row]:
    """A finding in ``env`` at the line of ``file`` that holds ``text``."""
    return lambda repo: (RULE, SEVERITY[env], file, line_of(repo, file, text), message, env, app)


def expect(*rows: Callable[[Path], Row]) -> Callable[[Path], list[Row]]:
    def expected(repo: Path) -> list[Row]:
        return sorted((row(repo) for row in rows), key=lambda row: (row[2], row[3]))

    return expected


STAGING, PROD = ENV_FILES["staging"], ENV_FILES["prod"]
CASES = [
    pytest.param(Case(unchanged, no_findings), id="example-PASSED"),
    pytest.param(
        Case(changes(chart("dev", "6.7.0"), chart("staging", "6.7.0"), chart("prod", "6.7.0")),
             no_findings),
        id="promoted-in-order-PASSED",
    ),
    pytest.param(Case(changes(chart("dev", "6.7.0")), no_findings), id="older-later-PASSED"),
    pytest.param(
        Case(changes(chart("staging", "6.7.0")),
             expect(newer_row("staging", "6.7.0", "6.6.0", STAGING, "version: 6.7.0"))),
        id="newer-in-staging-warning-FAILED",
    ),
    pytest.param(
        Case(changes(chart("prod", "6.7.0")),
             expect(newer_row("prod", "6.7.0", "6.6.0", PROD, "version: 6.7.0"))),
        id="newer-in-prod-error-FAILED",
    ),
    pytest.param(
        Case(changes(app_version("6.7.0"), chart("dev", "6.6.0"), chart("staging", "6.6.0")),
             expect(newer_row("prod", "6.7.0", "6.6.0", RETOOL, "version: 6.7.0"))),
        id="app-file-version-reaches-prod-first-FAILED",
    ),
    pytest.param(
        Case(changes(chart("dev", "6.7.0-rc.1"), chart("staging", "6.7.0")),
             expect(newer_row("staging", "6.7.0", "6.7.0-rc.1", STAGING, "version: 6.7.0"))),
        id="release-after-its-release-candidate-FAILED",
    ),
    pytest.param(
        Case(changes(chart("dev", "6.7.0+build.1"), chart("staging", "v6.7.0"),
                     chart("prod", "6.7.0+build.2")),
             no_findings),
        id="same-precedence-v-prefix-and-build-metadata-PASSED",
    ),
    pytest.param(
        Case(changes(chart("staging", "latest")),
             expect(unordered_row("staging", "latest", "6.6.0", STAGING, "version: latest"),
                    unordered_row("prod", "6.6.0", "latest", RETOOL, "version: 6.6.0"))),
        id="not-semver-cannot-be-ordered-FAILED",
    ),
    pytest.param(
        Case(changes(app_version("main"), chart("staging", "main")), no_findings),
        id="same-non-semver-everywhere-PASSED",
    ),
    pytest.param(
        Case(changes(remove_keycloak_from_staging, chart("prod", "7.2.0", "keycloak")),
             expect(newer_row("prod", "7.2.0", "7.1.11", PROD, "version: 7.2.0", "keycloak"))),
        id="nearest-earlier-environment-that-runs-the-app-FAILED",
    ),
    pytest.param(
        Case(changes(promotion("dev, prod"), chart("staging", "6.7.0")), no_findings),
        id="environment-outside-the-order-PASSED",
    ),
    pytest.param(
        Case(changes(promote_image_tag, image_tag("dev", "3.52"), image_tag("staging", "3.52"),
                     image_tag("prod", "3.52")),
             no_findings),
        id="promoted-value-in-order-PASSED",
    ),
    pytest.param(
        Case(changes(promote_image_tag, no_app_image_tag, image_tag("dev", "3.52"),
                     image_tag("prod", "3.52")),
             no_findings),
        id="promoted-value-an-earlier-environment-ran-PASSED",
    ),
    pytest.param(
        Case(changes(promote_image_tag, image_tag("staging", "3.52")),
             expect(value_row("staging", "3.52"))),
        id="promoted-value-skipping-dev-FAILED",
    ),
    pytest.param(
        Case(changes(promote_image_tag, image_tag("dev", "3.52"), image_tag("staging", "3.52"),
                     image_tag("prod", "3.53")),
             expect(value_row("prod", "3.53"))),
        id="promoted-value-new-in-prod-FAILED",
    ),
    pytest.param(
        Case(changes(image_tag("staging", "3.52")), no_findings),
        id="value-not-promoted-PASSED",
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_example_repository(tmp_path: Path, case: Case) -> None:
    found, expected = example_rows(promotion_order, tmp_path, case)

    assert found == expected


def test_validating_one_environment_compares_it_with_the_earlier_ones(tmp_path: Path) -> None:
    case = Case(
        changes(chart("prod", "6.7.0")),
        expect(newer_row("prod", "6.7.0", "6.6.0", PROD, "version: 6.7.0")),
    )
    _, expected = example_rows(promotion_order, tmp_path, case)

    found = validate_repository(tmp_path, ["prod"], date(2026, 1, 1))

    rows = [(f.rule, f.severity.value, f.file, f.line, f.message, f.env, f.app) for f in found]
    assert [row for row in rows if row[0] == RULE] == expected


# --- SemVer 2.0 precedence ----------------------------------------------------------------------

# semver.org, item 11: each version has lower precedence than the next.
ORDERED = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.2.0",
    "1.10.0",
    "2.0.0",
]


@pytest.mark.parametrize(("lower", "higher"), list(itertools.pairwise(ORDERED)))
def test_semver_precedence(lower: str, higher: str) -> None:
    assert (newer(higher, lower), newer(lower, higher)) == (True, False)


@pytest.mark.parametrize(
    ("version", "than", "expected"),
    [
        pytest.param("v1.2.3", "1.2.3", False, id="leading-v"),
        pytest.param("1.2.3+build.9", "1.2.3+build.10", False, id="build-metadata-ignored"),
        pytest.param("1.2.4+a", "v1.2.3", True, id="patch"),
        pytest.param("latest", "1.2.3", None, id="word"),
        pytest.param("1.2", "1.2.3", None, id="two-parts"),
        pytest.param("01.2.3", "1.2.3", None, id="leading-zero"),
        pytest.param("1.2.3-01", "1.2.3", None, id="leading-zero-pre-release"),
        pytest.param("1.2.3", "1.2.3-", None, id="empty-pre-release"),
    ],
)
def test_versions_that_compare_equal_or_not_at_all(
    version: str, than: str, expected: bool | None
) -> None:
    assert newer(version, than) is expected
