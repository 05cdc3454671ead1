"""The one timing helper of the benchmarks (each bench script imports it from this folder).

It is also the one place that reads the benchmarks' environment:

* ``CONNLAB_BENCH_SMOKE=1`` (set by ``run_all.py --smoke`` / ``make bench-smoke``): `SMOKE` is
  True and every benchmark takes its small sizes and one repeat through `size` and `repeats`;
  the same code paths run on small data in a few seconds. Ratios are still computed and printed,
  but the goals are not checked (`goal` says so): at these sizes the ratios mean nothing.
* ``CONNLAB_REQUIRE_SHARED=1`` (set by CI): a benchmark that needs ``../shared/data`` fails
  instead of printing "skipped: ..." when it is absent (`shared_data`).

Using a 0.1 name that the package deprecated ("... stops working in 0.3") is an error in every
benchmark, so a benchmark breaks when it rots rather than when the name goes.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
SHARED_DATA = BENCH_DIR.parents[1] / "shared" / "data"

SMOKE_ENV = "CONNLAB_BENCH_SMOKE"  # run_all.py --smoke sets it to 1 for every benchmark
SMOKE = os.environ.get(SMOKE_ENV, "").strip() not in ("", "0")
REQUIRE_SHARED = os.environ.get("CONNLAB_REQUIRE_SHARED", "").strip() not in ("", "0")

warnings.filterwarnings("error", message=r".*stops? working in", category=DeprecationWarning)


def size(full, smoke):
    """`smoke` in smoke mode (``CONNLAB_BENCH_SMOKE=1``), else `full`: sizes, repeats, notebook lists."""
    return smoke if SMOKE else full


def repeats(full: int) -> int:
    """Number of timed repeats: `full`, or 1 in smoke mode."""
    return size(full, 1)


def goal(met: bool) -> str:
    """How a goal is reported: "met" / "not met", or "not checked (smoke sizes)" in smoke mode."""
    if SMOKE:
        return "not checked (smoke sizes)"
    return "met" if met else "not met"


def shared_data(relative: str, instead: str = "skipped") -> Path | None:
    """``../shared/data/<relative>`` if it exists. If absent: print "`instead`: ... is absent" and
    return None, except when ``CONNLAB_REQUIRE_SHARED`` is set (CI), where the benchmark fails."""
    path = SHARED_DATA / relative
    if path.exists():
        return path
    if REQUIRE_SHARED:
        raise SystemExit(f"{path} is absent but CONNLAB_REQUIRE_SHARED is set (CI needs ../shared/data)")
    print(f"{instead}: {path} is absent (../shared/data sits beside the repository)", flush=True)
    return None


def write_results(name: str, result: dict) -> Path:
    """Write `result` (plus ``"smoke"``) to ``bench/results/<name>.json``, or ``<name>.smoke.json`` in
    smoke mode (so a smoke run never overwrites the figures of a full run); returns the path."""
    path = RESULTS_DIR / f"{name}{'.smoke' if SMOKE else ''}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"smoke": SMOKE, **result}, indent=2) + "\n", encoding="utf-8")
    return path


def timed(fn: Callable[[], object]) -> float:
    """Wall seconds of one call of `fn`."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_time(fn: Callable[[], object], repeats: int = 3) -> float:
    """Median wall seconds of `repeats` calls of `fn`."""
    return statistics.median(timed(fn) for _ in range(repeats))


def median_time_and_result(fn: Callable[[], object], repeats: int = 3) -> tuple[float, object]:
    """Median wall seconds of `repeats` calls of `fn`, and the last call's result."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def interleaved_medians(fns: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median seconds of each contender, the contenders taking turns in every round so that all see
    the same load on this shared machine (one warm-up round first, not counted)."""
    times = {name: [] for name in fns}
    for round_ in range(rounds + 1):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            if round_:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}
