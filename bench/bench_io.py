"""Reading and validating a real survey file, against pandas.read_csv alone (same run).

Data: the 51,491-respondent ECR file in ../shared/data/openpsychometrics_ecr with its codebook
(studies/codebooks/openpsychometrics_ecr.yaml). Ours = format detection + read (readers.read_table)
+ typing, missing codes, range checks, exclusion rules and ledger (validate.check_table), i.e.
analysis.io.load_dataset. Peer = pandas.read_csv of the same file with default options.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from _timing import SMOKE, median_time, repeats, shared_data, write_results

from analysis.data.dataset import load_dataset
from analysis.data.readers import read_table

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "studies" / "codebooks" / "openpsychometrics_ecr.yaml"
REPEATS = repeats(5)  # smoke: the same (real) file, timed once


def main() -> int:
    data = shared_data("openpsychometrics_ecr/data.csv")
    if data is None:
        return 0
    peer = median_time(lambda: pd.read_csv(data), REPEATS)
    read = median_time(lambda: read_table(data), REPEATS)
    full = median_time(lambda: load_dataset(CODEBOOK, data_root=data.parent), REPEATS)
    rows = len(pd.read_csv(data))
    print(f"ECR file: {rows:,} rows; median of {REPEATS}{' (smoke)' if SMOKE else ''}")
    print(f"{'step':44s} {'seconds':>8s} {'ratio to read_csv':>18s}")
    for name, sec in (("pandas.read_csv (peer)", peer), ("read_table: detect + read", read),
                      ("load_dataset: read + validate + ledger", full)):  # fmt: skip
        print(f"{name:44s} {sec:8.3f} {sec / peer:17.1f}x")
    write_results("bench_io", {"rows": rows, "read_csv_s": peer, "read_table_s": read, "load_dataset_s": full,
                               "ratio_load_to_read_csv": full / peer})  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
