"""Reading and validating a real survey file, against pandas.read_csv alone (same run).

Data: the 51,491-respondent ECR file in ../shared/data/openpsychometrics_ecr with its codebook
(tests/codebooks/openpsychometrics_ecr.yaml). Ours = format detection + read (readers.read_table)
+ typing, missing codes, range checks, exclusion rules and ledger (validate.check_table), i.e.
analysis.io.load_dataset. Peer = pandas.read_csv of the same file with default options.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
from _timing import median_time

from analysis.data.dataset import load_dataset
from analysis.data.readers import read_table

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "openpsychometrics_ecr" / "data.csv"
CODEBOOK = ROOT / "tests" / "codebooks" / "openpsychometrics_ecr.yaml"
RESULTS = Path(__file__).resolve().parent / "results" / "bench_io.json"
REPEATS = 5



def main() -> int:
    if not DATA.exists():
        print(f"skipped: {DATA} is absent (../shared/data sits beside the repository)")
        return 0
    peer = median_time(lambda: pd.read_csv(DATA), REPEATS)
    read = median_time(lambda: read_table(DATA), REPEATS)
    full = median_time(lambda: load_dataset(CODEBOOK, data_root=DATA.parent), REPEATS)
    rows = len(pd.read_csv(DATA))
    print(f"ECR file: {rows:,} rows; median of {REPEATS}")
    print(f"{'step':44s} {'seconds':>8s} {'ratio to read_csv':>18s}")
    for name, sec in (("pandas.read_csv (peer)", peer), ("read_table: detect + read", read),
                      ("load_dataset: read + validate + ledger", full)):  # fmt: skip
        print(f"{name:44s} {sec:8.3f} {sec / peer:17.1f}x")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": rows, "read_csv_s": peer, "read_table_s": read, "load_dataset_s": full,
                                   "ratio_load_to_read_csv": full / peer}, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
