"""Calibration of the specification-curve inference (issue 18): on simulated data with no effect,
the share of p < .05 of each curve statistic should be about 5 %, and the p values about uniform.

Each simulation: n = 80 rows, y = 0.5 c + e with x independent of y; a grid of 4 OLS
specifications (covariates none / c, all rows / c <= 0.5) run end to end by
`analysis.claims.multiverse.run_multiverse` (data file and codebook written, read, prepared,
fitted, null curves with the effect removed; Simonsohn, Simmons & Nelson, 2020), seed = the
simulation's number. For each curve statistic (median, count of significant specifications,
Stouffer's Z) it prints the share of p < .05 and < .10 and the mean p, with the Monte-Carlo
standard error of a 5 % share. Goal: the share of p < .05 within 2.58 Monte-Carlo SEs of .05 for
each statistic (a 99 % band: too many small p values is an anti-conservative test, too few a
test without power). tests/test_specification_inference.py runs a small version of this.

    .venv/bin/python bench/bench_multiverse_calibration.py [--sims 400] [--resamples 100]

Full: 400 simulations x 100 resamples (about 5 minutes on 2 cores); smoke: 10 x 20, goals not
checked.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import SMOKE, goal, size, write_results
from threadpoolctl import threadpool_limits

from analysis.claims.multiverse import run_multiverse

SIMS = size(400, 10)
RESAMPLES = size(100, 20)
BAND = 2.58  # Monte-Carlo SEs: a 99 % band around .05
CODEBOOK = ("tables:\n  t:\n    file: data.csv\n    variables:\n      id: {type: integer, role: id}\n"
            "      x: {type: number}\n      c: {type: number}\n      y: {type: number}\n"
            "    exclusions: {attention_check: false}\n")  # fmt: skip


def one(folder: Path, sim: int, resamples: int) -> pd.Series:
    """The null-curve p value of each curve statistic for simulation `sim`."""
    rng = np.random.default_rng(10_000 + sim)
    n = 80
    data = pd.DataFrame({"id": np.arange(n), "x": rng.normal(size=n), "c": rng.normal(size=n)})
    data["y"] = 0.5 * data["c"] + rng.normal(size=n)
    data.to_csv(folder / "data.csv", index=False)
    (folder / "codebook.yaml").write_text(CODEBOOK)
    spec = {
        "data": str(folder),
        "effect": {"outcome": "y", "predictor": "x"},
        "decisions": {
            "cov": {"kind": "covariates", "options": {"none": [], "c": ["c"]}},
            "sub": {"kind": "subset", "options": {"all": "all", "c low": {"c": {"max": 0.5}}}},
        },
    }
    inference = run_multiverse(spec, resamples=resamples, seed=sim).inference
    name = "quantity" if "quantity" in inference.columns else "statistic"
    return inference.set_index(name)["p_value"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=SIMS, help=f"simulations (default {SIMS})")
    parser.add_argument("--resamples", type=int, default=RESAMPLES, help=f"null resamples each (default {RESAMPLES})")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = []
    with threadpool_limits(limits=1), tempfile.TemporaryDirectory() as tmp:
        for sim in range(args.sims):
            folder = Path(tmp) / f"s{sim}"
            folder.mkdir()
            rows.append(one(folder, sim, args.resamples))
    seconds = time.perf_counter() - start
    p = pd.DataFrame(rows)
    se05 = float(np.sqrt(0.05 * 0.95 / len(p)))
    low, high = max(0.0, 0.05 - BAND * se05), 0.05 + BAND * se05
    print(f"Specification-curve inference on null data: {args.sims} simulations x {args.resamples} resamples, "
          f"4 specifications, n = 80; {seconds:.0f} s{' (smoke)' if SMOKE else ''}")  # fmt: skip
    print(f"{'statistic':>14}  {'p < .05':>7}  {'p < .10':>7}  {'mean p':>6}   (Monte-Carlo SE of a 5% share: "
          f"{se05:.3f})")  # fmt: skip
    out = {"sims": args.sims, "resamples": args.resamples, "seconds": seconds, "mc_se_05": se05, "band": [low, high]}
    met = True
    for stat in p.columns:
        below05, below10, mean = float((p[stat] < 0.05).mean()), float((p[stat] < 0.10).mean()), float(p[stat].mean())
        print(f"{stat:>14}  {below05:7.3f}  {below10:7.3f}  {mean:6.3f}")
        out[stat] = {"share_below_05": below05, "share_below_10": below10, "mean_p": mean}
        met &= low <= below05 <= high
    print(f"goal share of p < .05 within [{low:.3f}, {high:.3f}] (.05 +/- {BAND} MC SE) for every statistic: "
          f"{goal(met)}")  # fmt: skip
    write_results("bench_multiverse_calibration", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
