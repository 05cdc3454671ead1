"""Provenance of a run: package versions, git commit, time stamps."""

from __future__ import annotations

import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata

from analysis.paths import PROJECT_ROOT

__all__ = ["package_versions", "git_commit", "utc_now"]

PACKAGES = (
    "connectionlab", "numpy", "pandas", "scipy", "statsmodels", "pingouin", "scikit-learn",
    "matplotlib", "seaborn", "papermill", "nbconvert", "ipykernel", "pyyaml",
)  # fmt: skip


def package_versions() -> dict[str, str]:
    """Python and the versions of the packages our results depend on."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit() -> str | None:
    """HEAD commit of the project checkout (``+dirty`` if tracked files changed), or None."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def utc_now() -> str:
    """Current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()
