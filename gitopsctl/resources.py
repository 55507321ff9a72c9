"""Where the package's own data lives: the project's JSON Schemas."""

from __future__ import annotations

from pathlib import Path


def _schema_dir() -> Path:
    """schemas/ of this checkout, or its copy installed with the package (gitopsctl.schemadata)."""
    package = Path(__file__).resolve().parent
    installed = package / "schemadata"
    return installed if installed.is_dir() else package.parent / "schemas"


SCHEMA_DIR = _schema_dir()
