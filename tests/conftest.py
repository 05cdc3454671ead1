"""Shared fixtures: RNG guard, the shared real data, a small simulated demo survey."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from analysis import write_demo_survey

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"

# The project's codebooks of the shared data (studies/codebooks/, tests/codebooks/drafted/) name
# files in ../shared/data, outside their own folder; the tests allow that folder the way a user
# does with `--data-root ../shared/data`
# (tests/test_real_data_suite.py passes the flag itself).
os.environ["CONNLAB_DATA_ROOT"] = str(SHARED_DATA)

# the scripts that made the reference values (run by hand, some with R peers installed) are not tests
collect_ignore = ["reference"]


@pytest.fixture(scope="session", autouse=True)
def _single_threaded_blas():
    """One BLAS thread: on a shared 2-core machine numpy's default threading is much slower."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(autouse=True)
def _global_rng_untouched():
    """Fail a test that draws from numpy's global RNG: randomness goes through `seed` arguments."""
    before = np.random.get_state()[1].copy()
    yield
    if not np.array_equal(before, np.random.get_state()[1]):
        pytest.fail("the test touched numpy's global RNG; pass a seed / np.random.default_rng instead")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data; skipped when absent, except in CI (CONNLAB_REQUIRE_SHARED=1), where it fails."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CONNLAB_REQUIRE_SHARED"):
            pytest.fail(f"{SHARED_DATA} is missing but CONNLAB_REQUIRE_SHARED is set (CI needs it)")
        pytest.skip(f"real data not available: {SHARED_DATA} is absent (it sits beside the repository in CI)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> Path:
    """A 40-couple simulated demo survey (seed 1) in a temporary folder; returns the folder."""
    folder = tmp_path_factory.mktemp("demo_small")
    write_demo_survey(folder, n_couples=40, seed=1)
    return folder


@pytest.fixture(scope="session")
def suite_run(tmp_path_factory, small_demo):
    """`connlab run` over every notebook plus a failing fixture notebook, on the small demo,
    two jobs in parallel. Returns (exit code, notebooks folder, reports folder)."""
    import shutil

    from analysis.runner.cli import main

    root = tmp_path_factory.mktemp("suite")
    notebooks = root / "notebooks"
    notebooks.mkdir()
    for path in list((PROJECT_ROOT / "notebooks").glob("*.ipynb")) + [
        PROJECT_ROOT / "tests" / "notebooks" / "99_fails.ipynb"
    ]:
        shutil.copy(path, notebooks / path.name)
    out = root / "reports"
    code = main(["run", "--data", str(small_demo), "--notebooks", str(notebooks), "--out", str(out), "--jobs", "2"])
    return code, notebooks, out


# --------------------------------------------------------------------------------------------
# PROCESS fixtures shared by test_moderation.py and test_mediation.py (tests/reference/process.R)
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def tal():
    """Hayes' Tal-Or data (psych::Tal_Or, exported by process.R)."""
    import pandas as pd

    return pd.read_csv(PROJECT_ROOT / "tests" / "reference" / "process_tal_or.csv")


@pytest.fixture(scope="session")
def r_est() -> dict:
    """R reference estimates of process.R: {(fixture, quantity): value}."""
    import pandas as pd

    e = pd.read_csv(PROJECT_ROOT / "tests" / "reference" / "process_estimates.csv")
    return {(f, q): v for f, q, v in e.itertuples(index=False)}
