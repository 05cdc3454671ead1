"""Daily-diary multilevel model: 500 couples x 2 partners x 14 days (14,000 person-days, simulated).

Model: ``closeness ~ disclosure_within + disclosure_between``, random intercept and random
disclosure slope per person (correlated), REML.

Ours: ``analysis.multilevel.mixed_model`` (formula, design, fit, tidy tables). Peers in the same
run: statsmodels ``MixedLM`` with the same structure (``smf.mixedlm(..., groups=person,
re_formula="~disclosure_within").fit(reml=True)``), and R ``nlme::lme(..., random = ~ 1 +
disclosure_within | person)`` via Rscript (only the fit, timed inside R with ``system.time``;
skipped when Rscript or nlme is missing). Extra rows: the same model with AR(1) residuals
(``corAR1(form = ~ day | person)``) and the two-intercept dyadic diary model
(``corCompSymm(form = ~ 1 | couple / day)`` + ``varIdent``), ours against nlme only (MixedLM
cannot fit them). Goal (issue 6): ours no slower than MixedLM.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import SMOKE, goal, median_time, repeats, size, write_results

from analysis.data.diary_variables import center_within
from analysis.models.dyadic_diary import dyadic_diary
from analysis.models.multilevel import mixed_model

N_COUPLES, DAYS, REPEATS = size(500, 50), 14, repeats(3)
FORMULA = "closeness ~ disclosure_within + disclosure_between"

R_CODE = r"""
suppressPackageStartupMessages(library(nlme))
d <- read.csv("{path}")
med <- function(expr) median(replicate({repeats}, system.time(eval(expr))[["elapsed"]]))
ctl <- lmeControl(maxIter = 200, msMaxIter = 200)
t1 <- med(quote(lme(closeness ~ disclosure_within + disclosure_between, random = ~ 1 + disclosure_within | person,
                    data = d, control = ctl)))
t2 <- med(quote(lme(closeness ~ disclosure_within + disclosure_between, random = ~ 1 + disclosure_within | person,
                    correlation = corAR1(form = ~ day | person), data = d, control = ctl)))
t3 <- med(quote(lme(closeness ~ 0 + r1 + r2 + r1:disclosure_within + r2:disclosure_within,
                    random = ~ 0 + r1 + r2 | couple, correlation = corCompSymm(form = ~ 1 | couple / day),
                    weights = varIdent(form = ~ 1 | partner), data = d, control = ctl)))
cat(t1, t2, t3, "\n")
"""


def make_data(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_p = 2 * N_COUPLES
    person = np.repeat(np.arange(n_p), DAYS)
    couple = person // 2
    day = np.tile(np.arange(1, DAYS + 1), n_p)
    disclosure = np.round(rng.normal(3, 0.6, n_p)[person] + rng.normal(0, 0.9, n_p * DAYS))
    pm = pd.Series(disclosure).groupby(person).transform("mean").to_numpy()
    e = np.empty((n_p, DAYS))
    e[:, 0] = rng.normal(0, 0.9, n_p)
    for t in range(1, DAYS):
        e[:, t] = 0.3 * e[:, t - 1] + np.sqrt(1 - 0.09) * rng.normal(0, 0.9, n_p)
    shared = np.repeat(rng.normal(0, 0.4, (N_COUPLES, DAYS)), 2, axis=0).ravel()
    close = (4.6 + rng.normal(0, 0.5, n_p)[person] + 0.15 * (pm - 3)
             + (0.30 + rng.normal(0, 0.12, n_p)[person]) * (disclosure - pm) + shared + e.ravel())  # fmt: skip
    d = pd.DataFrame({"couple": couple, "person": person, "partner": person % 2 + 1, "day": day,
                      "disclosure": disclosure, "closeness": close})  # fmt: skip
    d = center_within(d, columns="disclosure", group="person")
    return d.assign(r1=(d["partner"] == 1).astype(float), r2=(d["partner"] == 2).astype(float))


def r_times(data: pd.DataFrame):
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "diary.csv"
        data.to_csv(path, index=False)
        proc = subprocess.run(["Rscript", "-e", R_CODE.format(path=path.as_posix(), repeats=REPEATS)],
                              capture_output=True, text=True, timeout=900)  # fmt: skip
    if proc.returncode != 0:
        print(f"R nlme: skipped ({proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else 'failed'})")
        return None
    return [float(v) for v in proc.stdout.split()]


def main() -> int:
    import statsmodels.formula.api as smf

    d = make_data()
    ours = median_time(lambda: mixed_model(d, formula=FORMULA, person="person", random="~ 1 + disclosure_within"),
                       REPEATS)

    def peer_fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return smf.mixedlm(FORMULA, d, groups=d["person"], re_formula="~disclosure_within").fit(reml=True)

    peer = median_time(peer_fit, REPEATS)
    ours_ar1 = median_time(lambda: mixed_model(d, formula=FORMULA, person="person", random="~ 1 + disclosure_within",
                                               day="day", ar1=True), REPEATS)  # fmt: skip
    ours_dy = median_time(lambda: dyadic_diary(d, y="closeness", x="disclosure_within", dyad="couple",
                                               role="partner", day="day"), REPEATS)  # fmt: skip
    res, sm = mixed_model(d, formula=FORMULA, person="person", random="~ 1 + disclosure_within"), peer_fit()
    diff = float(np.max(np.abs(res.coefficients["estimate"].to_numpy() - sm.fe_params.to_numpy())))
    r = r_times(d)
    print(f"{len(d):,} person-days ({2 * N_COUPLES:,} persons x {DAYS} days), REML; median of {REPEATS}"
          f"{' (smoke)' if SMOKE else ''}")
    print(f"random intercept + slope   ours {ours:7.3f} s   MixedLM {peer:7.3f} s   ratio ours/MixedLM "
          f"{ours / peer:5.2f}x   goal <= 1: {goal(ours <= peer)}   (max |fixed diff| {diff:.1e})")
    out = {"rows": len(d), "persons": 2 * N_COUPLES, "days": DAYS, "ours_s": ours, "mixedlm_s": peer,
           "ratio_mixedlm": ours / peer, "max_abs_fixed_diff_mixedlm": diff, "ours_ar1_s": ours_ar1,
           "ours_two_intercept_s": ours_dy}  # fmt: skip
    if r is None:
        print("R nlme::lme: skipped (Rscript or nlme not available)")
        print(f"AR(1) residuals            ours {ours_ar1:7.3f} s")
        print(f"two-intercept dyadic       ours {ours_dy:7.3f} s")
    else:
        print(f"random intercept + slope   ours {ours:7.3f} s   nlme    {r[0]:7.3f} s   ratio ours/nlme "
              f"{ours / r[0]:5.2f}x")
        print(f"AR(1) residuals            ours {ours_ar1:7.3f} s   nlme    {r[1]:7.3f} s   ratio ours/nlme "
              f"{ours_ar1 / r[1]:5.2f}x")
        print(f"two-intercept dyadic       ours {ours_dy:7.3f} s   nlme    {r[2]:7.3f} s   ratio ours/nlme "
              f"{ours_dy / r[2]:5.2f}x")
        out.update(nlme_s=r[0], nlme_ar1_s=r[1], nlme_two_intercept_s=r[2], ratio_nlme=ours / r[0],
                   ratio_nlme_ar1=ours_ar1 / r[1], ratio_nlme_two_intercept=ours_dy / r[2])  # fmt: skip
    write_results("bench_diary", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
