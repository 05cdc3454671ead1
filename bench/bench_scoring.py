"""Scoring 1,000,000 respondents x 60 items (ECR 36 + CSI-16 + SWLS 5 + UCLA-3 3), 2% missing.

Ours: analysis.scales.score_instruments (range checks, reverse keying, prorating rule, five
scores). Peer, same run: pandas DataFrame.mean(axis=1) over the same 60 columns (one plain row
mean, no checks), the least any scorer must do. Goal (issue 4): under 1 s on this machine.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from _timing import SMOKE, goal, median_time, repeats, size, write_results

from analysis.data.instrument_library import load_instrument
from analysis.scoring.scales import score_instruments

N = size(1_000_000, 20_000)
REPEATS = repeats(3)


def make_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    cols, mapping = {}, {}
    for ins_id in ("ecr", "csi_16", "swls", "ucla_3"):
        ins = load_instrument(ins_id)
        mapping[ins_id] = {}
        for item in ins.items:
            col = f"{ins_id}_{item.id}"
            cols[col] = rng.integers(int(item.min), int(item.max) + 1, N).astype(float)
            mapping[ins_id][item.id] = col
    frame = pd.DataFrame(cols)
    return frame.mask(rng.random(frame.shape) < 0.02), mapping


def main() -> int:
    data, mapping = make_data()
    peer = median_time(lambda: data.mean(axis=1), REPEATS)
    ours = median_time(lambda: score_instruments(data, instruments=mapping), REPEATS)
    print(f"{N:,} respondents x {data.shape[1]} items, 2% missing; median of {REPEATS}{' (smoke)' if SMOKE else ''}")
    print(f"pandas row mean (peer)      {peer:7.3f} s")
    print(f"score_instruments (ours)    {ours:7.3f} s   ratio to peer {ours / peer:5.2f}x   "
          f"goal < 1 s: {goal(ours < 1)} ({ours:.2f} s)")  # fmt: skip
    write_results("bench_scoring", {"n": N, "items": data.shape[1], "peer_row_mean_s": peer, "ours_s": ours,
                                    "ratio": ours / peer})  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
