"""APIM, indistinguishable dyads, REML: 10,000 simulated dyads (20,000 persons).

Ours: analysis.dyadic.apim (GLS with compound symmetry, profiled REML from per-dyad
cross-products), timed on the pairwise frame and, separately, from the individual layout (which
adds the pairing step). Peers, same run and same pairwise frame: statsmodels MixedLM (random
dyad intercept, REML, same fixed effects: the same model here because the simulated within-dyad
correlation is positive) and R ``nlme::gls(y_A ~ x_A + x_P, correlation = corCompSymm(form =
~1 | dyad), method = "REML")`` via Rscript, timing only the fit inside R (``system.time``),
skipped when Rscript or nlme is missing. Goal (issue 6): ours <= 0.1 x nlme's time.
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
import statsmodels.formula.api as smf
from _timing import SMOKE, goal, median_time_and_result, repeats, size, write_results

from analysis.data.dyad_reshape import individual_to_pairwise
from analysis.models.dyadic import apim

N_DYADS = size(10_000, 500)
REPEATS = repeats(3)
R_CODE = """
suppressPackageStartupMessages(library(nlme))
d <- read.csv("{path}")
times <- c()
for (i in 1:{repeats}) {{
  t <- system.time(f <- gls(y_A ~ x_A + x_P, data = d, correlation = corCompSymm(form = ~1 | dyad),
                            method = "REML"))[["elapsed"]]
  times <- c(times, t)
}}
cat(sprintf("%.17g", c(median(times), coef(f), coef(f$modelStruct$corStruct, unconstrained = FALSE))),
    sep = "\\n")
"""


def make_data(seed: int = 0) -> pd.DataFrame:
    """Individual layout: dyad, person, x, y with actor .5, partner .2, residual rho .3."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N_DYADS, 2))
    e = rng.multivariate_normal([0, 0], [[1, 0.3], [0.3, 1]], size=N_DYADS)
    y = 1 + 0.5 * x + 0.2 * x[:, ::-1] + e
    return pd.DataFrame({"dyad": np.repeat(np.arange(N_DYADS), 2), "person": np.tile([1, 2], N_DYADS),
                         "x": x.ravel(), "y": y.ravel()})


def run_r(pairwise: pd.DataFrame):
    """(median fit seconds, coefficients, rho) from nlme::gls, or None without R/nlme."""
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pairwise.csv"
        pairwise[["dyad", "x_A", "x_P", "y_A"]].to_csv(path, index=False, float_format="%.17g")
        proc = subprocess.run(["Rscript", "-e", R_CODE.format(path=path.as_posix(), repeats=REPEATS)],
                              capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        print(f"R skipped: {proc.stderr.strip()[:300]}")
        return None
    values = [float(v) for v in proc.stdout.split()]
    return values[0], np.array(values[1:4]), values[4]


def main() -> int:
    data = make_data()
    pairwise = individual_to_pairwise(data, dyad="dyad", partner="person")
    t_ours, res = median_time_and_result(lambda: apim(pairwise, formula="y_A ~ x_A + x_P", dyad="dyad"), REPEATS)
    t_ind, _ = median_time_and_result(lambda: apim(data, formula="y ~ x_A + x_P", dyad="dyad", partner="person"),
                                      REPEATS)
    ours_b = res.coefficients["estimate"].to_numpy()

    def mixedlm():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return smf.mixedlm("y_A ~ x_A + x_P", pairwise, groups=pairwise["dyad"]).fit(reml=True)

    t_sm, sm = median_time_and_result(mixedlm, REPEATS)
    sm_b = sm.fe_params.to_numpy()
    sm_rho = float(sm.cov_re.iloc[0, 0] / (sm.cov_re.iloc[0, 0] + sm.scale))
    r = run_r(pairwise)

    print(f"APIM, indistinguishable, REML: {N_DYADS:,} dyads ({2 * N_DYADS:,} persons); median of {REPEATS}"
          f"{' (smoke)' if SMOKE else ''}")
    print(f"{'':34}{'seconds':>9}  {'ours / peer':>11}  max |b diff|  rho")
    print(f"{'ours (pairwise frame)':34}{t_ours:9.4f}  {'':>11}  {'':>12}  {res.fit['rho'].iloc[0]:.6f}")
    print(f"{'ours (individual, incl. pairing)':34}{t_ind:9.4f}")
    print(f"{'statsmodels MixedLM (REML)':34}{t_sm:9.4f}  {t_ours / t_sm:11.4f}  "
          f"{np.abs(sm_b - ours_b).max():12.2e}  {sm_rho:.6f}")
    out = {"n_dyads": N_DYADS, "ours_s": t_ours, "ours_individual_s": t_ind, "statsmodels_s": t_sm,
           "ratio_statsmodels": t_ours / t_sm, "rho": float(res.fit["rho"].iloc[0])}
    if r is not None:
        t_r, r_b, r_rho = r
        print(f"{'R nlme::gls (REML, fit only)':34}{t_r:9.4f}  {t_ours / t_r:11.4f}  "
              f"{np.abs(r_b - ours_b).max():12.2e}  {r_rho:.6f}")
        print(f"goal ours <= 0.1 x nlme: {goal(t_ours <= 0.1 * t_r)} "
              f"(ratio {t_ours / t_r:.4f}; from individual data {t_ind / t_r:.4f})")
        out |= {"nlme_s": t_r, "ratio_nlme": t_ours / t_r, "ratio_nlme_individual": t_ind / t_r}
    else:
        print("R nlme::gls: skipped (Rscript not found)")
    write_results("bench_apim", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
