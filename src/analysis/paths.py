"""Project paths. Constants only: nothing happens at import."""

from __future__ import annotations

from pathlib import Path

__all__ = ["resolve"]

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
