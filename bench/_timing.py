"""The one timing helper of the benchmarks (each bench script imports it from this folder)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


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
