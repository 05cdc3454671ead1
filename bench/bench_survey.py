"""Design-based logistic regression on the GSS 1972-2006 file (51,020 rows, weight wtssall).

Ours: analysis.survey_glm(design, "very_happy ~ age + sex + marital + degree",
family="quasibinomial") on survey_design(gss, weight="wtssall"): weighted IRLS and
Taylor-linearisation SEs (rows with a missing value, about 4,900, are a domain). Timed alone
(design made once, as R's) and with the design. Peers, same run and same rows: R
``svyglm(very_happy ~ age + sex + marital + degree, design, family = quasibinomial())`` on
``svydesign(id = ~1, weights = ~wtssall)`` via Rscript, timing only the fit inside R
(``system.time``; skipped without Rscript or survey), and ``svy`` (``Sample.glm.fit``, family
binomial) when it is importable (it is not a project dependency). BLAS is limited to one thread
for the Python contenders (threadpoolctl), as R's reference BLAS is single-threaded. Goal (issue
17): ours <= 0.5 x R's time. Smoke mode: the first 5,000 rows, once.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import SMOKE, goal, median_time_and_result, repeats, shared_data, size, write_results
from threadpoolctl import threadpool_limits

from analysis import survey_design, survey_glm

N_ROWS = size(None, 5_000)
REPEATS = repeats(5)
FORMULA = "very_happy ~ age + sex + marital + degree"
R_CODE = """
suppressPackageStartupMessages(library(survey))
d <- read.csv("{path}", stringsAsFactors = FALSE, na.strings = "")
des <- svydesign(id = ~1, weights = ~wtssall, data = d)
times <- c()
for (i in 1:{repeats}) {{
  t <- system.time(f <- svyglm({formula}, des, family = quasibinomial()))[["elapsed"]]
  times <- c(times, t)
}}
s <- coef(summary(f))
cat(sprintf("%.17g", c(median(times), s[, 1], s[, 2])), sep = "\\n")
"""


def load() -> pd.DataFrame | None:
    path = shared_data("gss_happy_1972_2006/data.csv")
    if path is None:
        return None
    gss = pd.read_csv(path)
    if N_ROWS is not None:
        gss = gss.iloc[:N_ROWS].copy()
    gss["very_happy"] = np.where(gss["happy"].isna(), np.nan, (gss["happy"] == "very happy").astype(float))
    return gss


def r_terms(terms: pd.Series) -> list[str]:
    return list(terms.str.replace(r"\[T\.(.*)\]", r"\1", regex=True).replace("Intercept", "(Intercept)"))


def run_r(gss: pd.DataFrame):
    """(median fit seconds, estimates, SEs) from R svyglm, or None without R/survey."""
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gss.csv"
        gss.to_csv(path, index=False, float_format="%.17g")
        code = R_CODE.format(path=path.as_posix(), repeats=REPEATS, formula=FORMULA)
        proc = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        print(f"R skipped: {proc.stderr.strip()[:300]}")
        return None
    values = np.array([float(v) for v in proc.stdout.split()])
    k = (len(values) - 1) // 2
    return values[0], values[1 : 1 + k], values[1 + k :]


def run_svy(gss: pd.DataFrame):
    """(median seconds, estimates, SEs) from svy's Taylor GLM, or None when svy is not installed."""
    try:
        import polars as pl
        import svy
    except ImportError:
        return None
    data = pl.from_pandas(gss[["very_happy", "age", "sex", "marital", "degree", "wtssall"]])
    sample = svy.Sample(data=data, design=svy.Design(wgt="wtssall"))
    x = ["age", svy.Cat("sex"), svy.Cat("marital"), svy.Cat("degree")]
    t, fit = median_time_and_result(lambda: sample.glm.fit(y="very_happy", x=x, family="binomial"), REPEATS)
    return t, np.array([c.est for c in fit.coefs]), np.array([c.se for c in fit.coefs])


def main() -> int:
    gss = load()
    if gss is None:
        write_results("bench_survey", {"skipped": "gss_happy_1972_2006 absent"})
        return 0
    with threadpool_limits(limits=1):
        design = survey_design(gss, weight="wtssall")
        t_fit, res = median_time_and_result(lambda: survey_glm(design, FORMULA, family="quasibinomial"), REPEATS)
        t_all, _ = median_time_and_result(
            lambda: survey_glm(survey_design(gss, weight="wtssall"), FORMULA, family="quasibinomial"), REPEATS
        )
    coefs = res.coefficients
    est, se = coefs["estimate"].to_numpy(), coefs["se"].to_numpy()
    print(f"Design-based logistic regression, GSS 1972-2006: {len(gss):,} rows ({int(res.fit['n'].item()):,} "
          f"complete), {len(est)} coefficients; median of {REPEATS}{' (smoke)' if SMOKE else ''}")  # fmt: skip
    print(f"{'':34}{'seconds':>9}  {'ours / peer':>11}  max rel |b diff|  max rel |SE diff|")
    print(f"{'ours (survey_glm)':34}{t_fit:9.4f}")
    print(f"{'ours (survey_design + survey_glm)':34}{t_all:9.4f}")
    out = {"n_rows": len(gss), "ours_s": t_fit, "ours_with_design_s": t_all}
    r = run_r(gss)
    if r is not None:
        t_r, r_b, r_se = r
        # R orders terms as written (age, sex, marital, degree); patsy puts categorical terms first
        order = pd.Series(range(len(est)), index=r_terms(coefs["term"]))
        names = ["(Intercept)", "age"] + [t for t in order.index if t not in ("(Intercept)", "age")]
        idx = order[names].to_numpy()
        db = np.max(np.abs(est[idx] - r_b) / np.abs(r_b))
        dse = np.max(np.abs(se[idx] - r_se) / r_se)
        print(f"{'R svyglm (quasibinomial, fit only)':34}{t_r:9.4f}  {t_fit / t_r:11.4f}  {db:16.2e}  {dse:17.2e}")
        print(f"goal ours <= 0.5 x R svyglm: {goal(t_fit <= 0.5 * t_r)} (ratio {t_fit / t_r:.4f}; "
              f"with the design {t_all / t_r:.4f})")  # fmt: skip
        out |= {"r_svyglm_s": t_r, "ratio_r": t_fit / t_r, "ratio_r_with_design": t_all / t_r,
                "max_rel_diff_estimate_r": float(db), "max_rel_diff_se_r": float(dse)}  # fmt: skip
    else:
        print("R svyglm: skipped (Rscript or the survey package not found)")
    with threadpool_limits(limits=1):
        s = run_svy(gss)
    if s is not None:
        t_s, s_b, s_se = s
        # svy orders its terms as the formula (R's order) and spells them x_level
        db = np.max(np.abs(s_b - r[1]) / np.abs(r[1])) if r is not None else np.nan
        dse = np.max(np.abs(s_se - r[2]) / r[2]) if r is not None else np.nan
        print(f"{'svy Sample.glm.fit (binomial)':34}{t_s:9.4f}  {t_fit / t_s:11.4f}  {db:16.2e}  {dse:17.2e}")
        out |= {"svy_s": t_s, "ratio_svy": t_fit / t_s, "svy_max_rel_diff_estimate_r": float(db),
                "svy_max_rel_diff_se_r": float(dse)}  # fmt: skip
    else:
        print("svy: skipped (not installed; it is not a project dependency)")
    write_results("bench_survey", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
