"""`charts`: lock the upstream chart archives the environments pin, and fetch them into the
chart cache."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gitopsctl.cli.running import run
from gitopsctl.errors import EXIT_OK

if TYPE_CHECKING:
    from gitopsctl.render.charts import Fetched

CACHE_HELP = (
    "The chart cache: <chart>-<version>.tgz archives as `helm pull` writes them. "
    "Default: $XDG_CACHE_HOME/gitopsctl/charts, else ~/.cache/gitopsctl/charts."
)


@click.group("charts")
def command() -> None:
    """Lock the upstream charts the environments pin (sources/charts.lock) and fetch them.

    `charts lock` records each chart's repository, name, version and the sha256 digest of its
    archive; `charts pull` fetches every locked archive into the chart cache with `helm pull`
    and verifies its digest. `validate` reports a pin missing from the lock and a cached archive
    whose digest differs (rule chart-lock); `validate --helm` renders the cached archives.
    """


@command.command("lock", short_help="Write sources/charts.lock: every pin with its digest.")
@click.option(
    "--cache", type=click.Path(file_okay=False, path_type=Path), metavar="DIR", help=CACHE_HELP
)
@click.pass_obj
def lock(repo: Path, cache: Path | None) -> None:
    """Write sources/charts.lock for every upstream chart any environment pins.

    An archive already in the cache is used as it is; any other is downloaded with `helm pull`
    and kept in the cache. A digest the lock already has is kept: an archive that differs from
    it, or a version the chart's repository does not have, stops the command (exit 2) with
    nothing written.
    """
    run(lambda: lock_command(repo, cache))


@command.command("pull", short_help="Fetch the locked charts into the cache, verified.")
@click.option(
    "--cache", type=click.Path(file_okay=False, path_type=Path), metavar="DIR", help=CACHE_HELP
)
@click.pass_obj
def pull(repo: Path, cache: Path | None) -> None:
    """Fetch every chart of sources/charts.lock into the cache and verify its digest.

    Archives already cached with the locked digest are kept, and helm is not run at all when
    every one is; a missing archive, or one whose digest differs, is downloaded with `helm pull`
    and replaces the cached one only when its digest is the locked one (else exit 2).
    """
    run(lambda: pull_command(repo, cache))


def lock_command(repo: Path, cache: Path | None) -> int:
    from gitopsctl.pipeline import load_and_render
    from gitopsctl.render import charts
    from gitopsctl.render.chartcache import default_cache
    from gitopsctl.sources.chartlock import LOCK_FILE

    where = cache or default_cache()
    fetched = charts.lock(repo, load_and_render(repo), where)
    _report(fetched, f"locked in {LOCK_FILE}", where)
    return EXIT_OK


def pull_command(repo: Path, cache: Path | None) -> int:
    from gitopsctl.render import charts
    from gitopsctl.render.chartcache import default_cache

    where = cache or default_cache()
    _report(charts.pull(repo, where), "verified", where)
    return EXIT_OK


def _report(fetched: Sequence[Fetched], done: str, cache: Path) -> None:
    for item in fetched:
        how = "downloaded" if item.downloaded else "cached"
        click.echo(f"{item.key}: {item.digest} ({how})")
    downloaded = sum(item.downloaded for item in fetched)
    click.echo(
        f"{len(fetched)} chart{'' if len(fetched) == 1 else 's'} {done}, {downloaded} downloaded "
        f"into {cache.as_posix()}"
    )
