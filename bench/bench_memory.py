"""Peak memory of `connlab validate` on a large file, against pandas.read_csv's peak in the same run.

Data: the simulated demo survey's first 66 columns, repeated to 1,000,000 rows (unique person and
couple ids), written once to a temporary folder with a codebook restricted to those columns
(about 150 MB). Ours = `connlab validate --data <codebook>` (format detection, the encoding check,
typing, range checks, exclusion rules and the row ledger of every row; the file streamed in
chunks). Peer = `pandas.read_csv(<file>)` with default options. Each runs in its own process;
the peak is that process's maximum resident set size (VmHWM in /proc/self/status).

Goal (issue 13): ours within 3x the file's size, i.e. memory that grows with the columns, not the
rows. The ratio to read_csv's peak is printed as context. BENCH_ROWS sets another size for a
quick run (the goal is only checked at 1,000,000 rows, never in smoke mode, which uses 20,000 rows).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml
from _timing import RESULTS_DIR, SMOKE, goal, size, write_results

from analysis.data.simulate import simulate_demo_survey

ROWS = int(os.environ.get("BENCH_ROWS", size(1_000_000, 20_000)))
COLUMNS = 66
GOAL = 3.0
CHECKED = ROWS == 1_000_000 and not SMOKE  # the goal is enforced (exit 1 if missed) only then


def write_large_file(folder: Path, rows: int) -> tuple[Path, Path]:
    """The demo survey's first 66 columns repeated to `rows` rows, and its codebook."""
    demo = simulate_demo_survey()
    survey = demo.survey.iloc[:, :COLUMNS]
    reps = -(-rows // len(survey))
    big = pd.concat([survey] * reps, ignore_index=True).iloc[:rows]
    big["person_id"] = range(1, rows + 1)
    big["couple_id"] = (big.index // 2) + 1
    path = folder / "survey.csv"
    big.to_csv(path, index=False)
    spec = dict(demo.codebook)
    table = dict(spec["tables"]["survey"])
    table["variables"] = {c: v for c, v in table["variables"].items() if c in big.columns}
    table["file"] = "survey.csv"
    spec["tables"] = {"survey": table}
    codebook = folder / "codebook.yaml"
    codebook.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path, codebook


def peak_mb(code: str) -> tuple[float, float]:
    """(maximum resident set size in MB, wall seconds) of a fresh Python process running `code`."""
    # VmHWM (peak RSS of this process's memory since its exec); ru_maxrss would carry the parent's peak
    wrapper = f"import sys\ntry:\n    {code}\nfinally:\n    " \
        "print([ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0], file=sys.stderr)"
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    try:
        if result.returncode != 0:
            raise ValueError
        return int(result.stderr.split()[-1]) / 1024, seconds
    except (IndexError, ValueError):
        raise SystemExit(f"{code!r} failed ({result.returncode}): {result.stderr[-2000:]}") from None


def main() -> int:
    folder = RESULTS_DIR / f"large_survey_{ROWS}"  # made once, kept (bench/results/ is gitignored)
    path, codebook = folder / "survey.csv", folder / "codebook.yaml"
    if not codebook.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"writing {path} ({ROWS:,} rows; once)")
        write_large_file(folder, ROWS)
    file_mb = path.stat().st_size / 1e6
    baseline = peak_mb("import pandas, analysis.data.dataset")
    ours = peak_mb(f"from analysis.runner.cli import main; sys.exit(main(['validate', '--data', {str(codebook)!r}]))")
    peer = peak_mb(f"import pandas as pd; pd.read_csv({str(path)!r})")
    ratio = ours[0] / file_mb
    print(f"file: {ROWS:,} rows x {COLUMNS} columns, {file_mb:,.0f} MB{' (smoke)' if SMOKE else ''}")
    print(f"{'process':40s} {'peak MB':>9s} {'x file size':>12s} {'seconds':>8s}")
    for name, (mb, sec) in (("python + pandas + analysis imported", baseline), ("connlab validate (ours)", ours),
                            ("pandas.read_csv (peer)", peer)):  # fmt: skip
        print(f"{name:40s} {mb:9,.0f} {mb / file_mb:11.2f}x {sec:8.1f}")
    (ours, ours_s), (peer, peer_s) = ours, peer
    verdict = goal(ratio <= GOAL) if SMOKE or CHECKED else "not checked (1,000,000 rows only)"
    print(f"ours / read_csv peak: {ours / peer:.2f}x; goal ours <= {GOAL:.0f}x the file size "
          f"({ratio:.2f}x): {verdict}")
    write_results("bench_memory", {"rows": ROWS, "file_mb": file_mb, "validate_s": ours_s, "read_csv_s": peer_s,
                                   "validate_mb": ours, "read_csv_mb": peer, "ratio_to_file": ratio,
                                   "ratio_to_read_csv": ours / peer})  # fmt: skip
    if CHECKED and ratio > GOAL:
        print(f"GOAL MISSED: connlab validate peaks at {ratio:.2f}x the file size (goal {GOAL:.0f}x)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
