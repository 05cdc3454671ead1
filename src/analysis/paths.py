"""Where things are: the package's own files, and the user's project folder.

The package ships its instruments, claim registry, report templates, notebooks and example study
files; it never reads a path relative to a source checkout. The user's *project folder* holds
``data/raw``, ``data/processed``, ``reports``, ``studies`` and, when the user keeps their own
copy, ``notebooks``. It is, in order: the folder named by the environment variable
``CONNLAB_PROJECT`` (the runner sets it for notebook kernels); the nearest folder, from the
current one upwards, holding ``connlab.toml`` (``connlab init`` writes it; the source checkout
has one); else the current folder. It is found once, when this module is imported.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["resolve", "data_roots", "find_project", "packaged"]

#: environment variable naming the project folder (set by the runner for the kernels it starts)
PROJECT_ENV = "CONNLAB_PROJECT"
#: the file that marks a project folder
PROJECT_MARKER = "connlab.toml"
PACKAGE_DIR = Path(__file__).resolve().parent


def find_project(start: str | Path | None = None) -> Path:
    """The project folder: ``$CONNLAB_PROJECT``, else the nearest folder from `start` (default the
    current folder) upwards holding ``connlab.toml``, else `start` itself."""
    if os.environ.get(PROJECT_ENV):
        return Path(os.environ[PROJECT_ENV]).expanduser().resolve()
    here = Path(start or Path.cwd()).resolve()
    return next((p for p in (here, *here.parents) if (p / PROJECT_MARKER).is_file()), here)


def packaged(name: str) -> Path:
    """A folder shipped with the package: ``notebooks`` or ``studies`` (inside an installed package
    as ``analysis/_<name>``; in a source checkout, the folder at the top of the repository)."""
    installed = PACKAGE_DIR / f"_{name}"
    return installed if installed.is_dir() else PACKAGE_DIR.parents[1] / name


PROJECT_ROOT = find_project()
DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"
REPORTS_DIR = PROJECT_ROOT / "reports"
DEMO_DIR = RAW_DIR / "demo_survey"
#: the project's own notebooks when it keeps a copy (`connlab init`), else the packaged ones
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks" if (PROJECT_ROOT / "notebooks").is_dir() else packaged("notebooks")
INSTRUMENTS_DIR = PACKAGE_DIR / "data" / "instruments"
TEMPLATES_DIR = PACKAGE_DIR / "runner" / "templates"


def resolve(path: str | Path) -> Path:
    """Absolute path; a relative one is taken from the project folder (as notebooks use them)."""
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
