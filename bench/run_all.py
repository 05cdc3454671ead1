"""Run every ``bench/bench_*.py`` in turn (sorted) with this interpreter; exit 1 if any fails.

Output streams straight through. Usage: ``make bench`` or ``python bench/run_all.py``;
``make bench-smoke`` or ``python bench/run_all.py --smoke`` runs them in smoke mode (small sizes,
one repeat, goals not checked: ``CONNLAB_BENCH_SMOKE=1``, read in ``_timing.py``), as CI does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from _timing import SMOKE, SMOKE_ENV

BENCH_DIR = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks one after another (they share 2 cores: never in parallel)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="small sizes, one repeat, goals not checked (sets CONNLAB_BENCH_SMOKE=1)")  # fmt: skip
    args = parser.parse_args(argv)
    smoke = args.smoke or SMOKE
    env = dict(os.environ, **({SMOKE_ENV: "1"} if smoke else {}))
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if not scripts:
        print(f"No bench_*.py in {BENCH_DIR}.", file=sys.stderr)
        return 1
    failed, total = [], time.perf_counter()
    for script in scripts:
        print(f"=== {script.name}{' (smoke)' if smoke else ''} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.run([sys.executable, str(script)], cwd=BENCH_DIR.parent, env=env).returncode
        print(f"=== {script.name}: {'ok' if code == 0 else f'FAILED (exit {code})'} "
              f"in {time.perf_counter() - start:.1f} s ===\n", flush=True)  # fmt: skip
        if code != 0:
            failed.append(script.name)
    print(f"{len(scripts)} benchmark(s){' (smoke)' if smoke else ''} in {time.perf_counter() - total:.1f} s; "
          f"{len(failed)} failed", flush=True)  # fmt: skip
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
