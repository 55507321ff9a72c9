"""Run the real Helm binary: find it, ask its version, render a chart with `helm template`."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

HELM_TIMEOUT_SECONDS = 120
LOCAL_HELM = Path(".venv") / "bin" / "helm"


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


def template(
    helm: Path,
    chart: Path,
    release: str,
    namespace: str,
    values_files: Sequence[Path],
    kube_version: str | None = None,
) -> str:
    """Render `chart` (a folder or a .tgz) and return the multi-document YAML helm prints."""
    # A chart argument that is not a local path makes helm look it up in a chart repository.
    if not chart.exists():
        raise HelmError(f"chart {chart} does not exist")
    arguments = ["template", release, str(chart), "--namespace", namespace]
    for values_file in values_files:
        arguments += ["--values", str(values_file)]
    if kube_version is not None:
        arguments += ["--kube-version", kube_version]
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
