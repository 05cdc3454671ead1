"""Scoring 1,000,000 respondents x 60 items (ECR 36 + CSI-16 + SWLS 5 + UCLA-3 3), 2% missing.

Ours: analysis.scales.score_instruments (range checks, reverse keying, prorating rule, five
scores). Peer, same run: pandas DataFrame.mean(axis=1) over the same 60 columns (one plain row
mean, no checks), the least any scorer must do. Goal (issue 19): ours <= 0.5x the peer (the work is
one pass over the 480 MB of answers); issue 4's under 1 s is printed beside it. The contenders take
turns in every round (one warm-up round first), so that both see the same load on this shared machine.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from _timing import SMOKE, goal, interleaved_medians, repeats, size, write_results

from analysis.data.instrument_library import load_instrument
from analysis.scoring.scales import score_instruments

N = size(1_000_000, 20_000)
ROUNDS = repeats(5)
GOAL = 0.5  # ours / pandas row mean


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
    times = interleaved_medians({"peer": lambda: data.mean(axis=1),
                                 "ours": lambda: score_instruments(data, instruments=mapping)}, ROUNDS)  # fmt: skip
    peer, ours = times["peer"], times["ours"]
    ratio = ours / peer
    print(f"{N:,} respondents x {data.shape[1]} items, 2% missing; median of {ROUNDS} interleaved round(s)"
          f"{' (smoke)' if SMOKE else ''}")  # fmt: skip
    print(f"pandas row mean (peer)      {peer:7.3f} s")
    print(f"score_instruments (ours)    {ours:7.3f} s   ratio to peer {ratio:5.2f}x")
    print(f"goal ours <= {GOAL:g}x pandas row mean: {ratio:.2f}x {goal(ratio <= GOAL)}  "
          f"(issue 4, under 1 s: {ours:.2f} s {goal(ours < 1)})")  # fmt: skip
    write_results("bench_scoring", {"n": N, "items": data.shape[1], "rounds": ROUNDS, "peer_row_mean_s": peer,
                                    "ours_s": ours, "ratio": ratio, "goal": GOAL,
                                    "goal_met": ratio <= GOAL})  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
