"""Simple mediation (PROCESS model 4), n = 1,000 simulated cases, 5,000 bootstrap resamples.

Ours: analysis.mediation.mediation (paths, total/direct/indirect effects, percentile bootstrap CI,
completely standardized indirect effect with its own CI). Peers, same run: pyprocessmacro
``Process(model=4, boot=5000, percent=True).indirect_model.coeff_summary()`` (its batched
bootstrap), and pingouin ``mediation_analysis(n_boot=5000)``. Goal (issue 19): ours at most 0.1x
pyprocessmacro's time (issue 5's 0.2x is printed beside it). BLAS is limited to one thread for every
contender (threadpoolctl).
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
from _timing import SMOKE, goal, interleaved_medians, repeats, size, write_results
from threadpoolctl import threadpool_limits

from analysis.models.process_mediation import mediation

N, N_BOOT = 1_000, size(5_000, 200)
ROUNDS = repeats(7)
GOAL = 0.1  # ours / pyprocessmacro


def make_data(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=N)
    m = 0.4 * x + rng.normal(size=N)
    y = 0.3 * m + 0.2 * x + rng.normal(size=N)
    return pd.DataFrame({"x": x, "m": m, "y": y})




def main() -> int:
    data = make_data()
    fns, ci = {}, {}
    with threadpool_limits(limits=1):
        fns["ours"] = lambda: mediation(data, x="x", m="m", y="y", n_boot=N_BOOT, seed=1)
        row = fns["ours"]().effects.query("effect == 'indirect'").iloc[0]
        ci["ours"] = (row["ci_low"], row["ci_high"])
        try:
            from pyprocessmacro import Process

            def ppm():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    p = Process(data=data, model=4, x="x", m=["m"], y="y", boot=N_BOOT, seed=1, percent=True,
                                suppr_init=True)
                    return p.indirect_model.coeff_summary()

            s = ppm()
            ci["pyprocessmacro"] = (float(s["BootLLCI"].iloc[0]), float(s["BootULCI"].iloc[0]))
            fns["pyprocessmacro"] = ppm
        except ImportError:
            print("pyprocessmacro not installed (make bench installs it): skipped")
        try:
            import pingouin as pg

            def pgm():
                return pg.mediation_analysis(data=data, x="x", m="m", y="y", n_boot=N_BOOT, seed=1)

            s = pgm()
            ind = s[s["path"] == "Indirect"].iloc[0]
            ci["pingouin"] = (float(ind["CI2.5"]), float(ind["CI97.5"]))
            fns["pingouin"] = pgm
        except ImportError:
            print("pingouin not installed: skipped")
        times = interleaved_medians(fns, ROUNDS)
    print(f"model 4, n = {N:,}, {N_BOOT:,} resamples, percentile CI; median of {ROUNDS} interleaved round(s), "
          f"1 BLAS thread{' (smoke)' if SMOKE else ''}")
    print(f"{'':16}{'time (s)':>10}{'ours / peer':>13}   95% CI of the indirect effect")
    for name, t in times.items():
        ratio = times["ours"] / t
        print(f"{name:16}{t:10.4f}{ratio:13.3f}   [{ci[name][0]:.4f}, {ci[name][1]:.4f}]")
    out = {"n": N, "n_boot": N_BOOT, "rounds": ROUNDS, "seconds": times, "ci": ci,
           "ratios": {k: times["ours"] / v for k, v in times.items() if k != "ours"}}
    if "pyprocessmacro" in times:
        r = times["ours"] / times["pyprocessmacro"]
        print(f"goal ours <= {GOAL:g}x pyprocessmacro: {r:.3f}x {goal(r <= GOAL)}  "
              f"(issue 5, <= 0.2x: {goal(r <= 0.2)})")
        out |= {"goal": GOAL, "goal_met": r <= GOAL}
    write_results("bench_mediation", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
