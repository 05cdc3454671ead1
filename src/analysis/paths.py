"""Project paths. Constants only: nothing happens at import."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["resolve", "data_roots"]

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parents[1]
DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"
REPORTS_DIR = PROJECT_ROOT / "reports"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
INSTRUMENTS_DIR = PACKAGE_DIR / "data" / "instruments"
TEMPLATES_DIR = PACKAGE_DIR / "runner" / "templates"
DEMO_DIR = RAW_DIR / "demo_survey"


def resolve(path: str | Path) -> Path:
    """Absolute path; a relative one is taken from the project root (as notebooks use them)."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


#: environment variable naming extra folders data files may be read from (os.pathsep-separated)
DATA_ROOT_ENV = "CONNLAB_DATA_ROOT"


def data_roots(extra=None) -> list[Path]:
    """Folders a codebook's data files may be read from besides its own: `extra` (a path or a list
    of paths) and those in the environment variable ``CONNLAB_DATA_ROOT`` (set by ``--data-root``
    so that notebook kernels inherit it)."""
    given = [] if extra is None else [extra] if isinstance(extra, str | Path) else list(extra)
    given += [p for p in os.environ.get(DATA_ROOT_ENV, "").split(os.pathsep) if p]
    return [Path(p).expanduser().resolve() for p in given]
