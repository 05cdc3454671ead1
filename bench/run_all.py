"""Run every ``bench/bench_*.py`` in turn (sorted) with this interpreter; exit 1 if any fails.

Output streams straight through. Usage: ``make bench`` or ``python bench/run_all.py``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main() -> int:
    """Run the benchmarks one after another (they share 2 cores: never in parallel)."""
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if not scripts:
        print(f"No bench_*.py in {BENCH_DIR}.", file=sys.stderr)
        return 1
    failed = []
    for script in scripts:
        print(f"=== {script.name} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.run([sys.executable, str(script)], cwd=BENCH_DIR.parent).returncode
        print(f"=== {script.name}: {'ok' if code == 0 else f'FAILED (exit {code})'} "
              f"in {time.perf_counter() - start:.1f} s ===\n", flush=True)  # fmt: skip
        if code != 0:
            failed.append(script.name)
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
