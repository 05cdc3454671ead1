"""The estimate a claim is about, from each model family (used by `analysis.claims.replicate`).

Every function takes the prepared frame (resolved column names), the claim and the resolved
names, and returns an `Estimate`: one number on a stated scale with its SE, CI and n, plus the
model's own APA table and sentence for the claim's detail section. The models themselves live
in their modules (`analysis.data.describe`, `analysis.models.regression`,
`analysis.models.limited_outcomes`, `analysis.models.process_mediation`,
`analysis.models.dyadic`, `analysis.models.multilevel`, `analysis.psychometrics.reliability`);
nothing is fitted here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.apa import HtmlBlock, apa_table
from analysis.exceptions import DataError

__all__ = ["Estimate", "correlation", "regression", "mediation", "apim", "multilevel", "alpha"]

Z95 = stats.norm.ppf(0.975)


@dataclass(frozen=True)
class Estimate:
    """One estimate a claim is judged on."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int  #: cases analysed (persons, person-days or persons in dyads)
    n_excluded: int  #: rows of the table left out (missing values, filters), listed by the model
    scale: str  #: "r" (a correlation; SE on Fisher's z), "std" (standardized), "raw", "alpha"
    label: str  #: what the estimate is, e.g. "r(x, y)" or "actor effect of x on y"
    table: HtmlBlock | None = None
    sentence: str = ""
    design: str = ""  #: "weighted (wtssall)" when design-based (`analysis.models.survey_report`), else ""


def _complete(frame: pd.DataFrame, columns) -> pd.DataFrame:
    return frame[list(dict.fromkeys(columns))].dropna()


def _zscore(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Columns z-scored (sample SD) in the rows where every model variable is present."""
    out = frame.copy()
    for c in dict.fromkeys(columns):
        sd = out[c].std()
        if not sd > 0:
            raise DataError(f"Column {c!r} has no variance in the analysed rows; it cannot be standardized.")
        out[c] = (out[c] - out[c].mean()) / sd
    return out


def _design_rows(frame: pd.DataFrame, columns, design: dict) -> pd.DataFrame:
    """Rows where every model column and every design column is present, index reset."""
    from analysis.models.survey_report import ROLE_KEYS

    roles = [c for k in ROLE_KEYS for c in ([design[k]] if isinstance(design.get(k), str) else design.get(k) or [])]
    return frame[list(dict.fromkeys([*columns, *roles]))].dropna().reset_index(drop=True)


def _wzscore(rows: pd.DataFrame, columns, design: dict) -> pd.DataFrame:
    """Columns standardized with the weighted mean and SD (weights 1 without a weight column); new
    columns ``z_<name>``."""
    w = rows[design["weight"]].to_numpy(dtype=float) if design.get("weight") else np.ones(len(rows))
    out = rows.copy()
    for c in dict.fromkeys(columns):
        v = rows[c].to_numpy(dtype=float)
        mu = np.sum(w * v) / w.sum()
        sd = np.sqrt(np.sum(w * (v - mu) ** 2) / w.sum())
        if not sd > 0:
            raise DataError(f"Column {c!r} has no variance in the analysed rows; it cannot be standardized.")
        out[f"z_{c}"] = (v - mu) / sd
    return out


def _design_label(design: dict) -> str:
    from analysis.models.survey_report import DesignChoice

    return DesignChoice(design, "design", design).label()


def _weighted_correlation(frame, x: str, y: str, design: dict) -> Estimate:
    """The weighted Pearson r with a design-based SE: the slope of ``z_y ~ z_x`` (both standardized with
    the weighted mean and SD) by `survey_glm`, as R's ``svyglm`` on the same standardized variables
    (the SDs are taken as known)."""
    from analysis.models.survey_design import survey_design, survey_glm

    rows = _wzscore(_design_rows(frame, [x, y], design), [x, y], design)
    res = survey_glm(survey_design(rows, **design), f"z_{y} ~ z_{x}")
    row = _row(res.coefficients, f"z_{x}", "design-based regression")
    n, label = int(res.fit["n"].iloc[0]), _design_label(design)
    return Estimate(float(row["estimate"]), float(row["se"]), float(row["ci_low"]), float(row["ci_high"]),
                    float(row["p_value"]), n, len(frame) - n, "r", f"{label} r({x}, {y})",
                    res.table(title=f"Weighted correlation of {x} and {y}: regression of z_{y} on z_{x}"),
                    res.sentence(f"z_{x}"), label)  # fmt: skip


def correlation(frame, claim, names, design: dict | None = None) -> Estimate:
    """Pearson r of x and y (pairwise complete), as `analysis.data.describe.correlations` / ``cor.test``;
    with a survey `design` (keyword arguments of `survey_design`), the weighted r with a design-based SE."""
    from analysis.data.describe import correlations

    x, y = names["x"], names["y"]
    if design:
        return _weighted_correlation(frame, x, y, design)
    res = correlations(frame, x=x, y=y).iloc[0]
    n = int(res["n"])
    return Estimate(float(res["r"]), 1 / np.sqrt(n - 3), float(res["ci_low"]), float(res["ci_high"]),
                    float(res["p_value"]), n, len(frame) - n, "r", f"r({x}, {y})",
                    apa_table(correlations(frame, x=x, y=y), title="Correlation"))  # fmt: skip


def _formula(claim, names) -> str:
    if claim.formula:
        return claim.formula.format(**names)
    rhs = " + ".join([names["x"], *names.get("covariates", [])])
    return f"{names['y']} ~ {rhs}"


def _term(claim, names) -> str:
    return claim.term.format(**names)


def _row(coefs: pd.DataFrame, term: str, model: str) -> pd.Series:
    hit = coefs[coefs["term"] == term]
    if hit.empty:
        raise DataError(f"The {model} has no coefficient {term!r}; its terms are {list(coefs['term'])}. "
                        "Fix the claim's `term`.")  # fmt: skip
    return hit.iloc[0]


def _design_regression(frame, claim, names, design: dict) -> Estimate:
    """A coefficient of `survey_glm` (linear or logistic) or `survey_olr` on the survey design;
    standardized claims z-score the numeric model variables with the weighted mean and SD (the
    outcome of a logistic or ordinal model keeps its codes)."""
    from analysis.models.survey_design import survey_design, survey_glm, survey_olr

    formula = _formula(claim, names)
    used = [c for c in frame.columns if c in formula]
    rows, scale, term = _design_rows(frame, used, design), "raw", _term(claim, names)
    if claim.expect.get("scale") == "std":
        keep_y = claim.model in ("logistic", "ordinal")  # a 0/1 or ordered outcome keeps its codes
        num = [c for c in used if pd.api.types.is_numeric_dtype(frame[c]) and not (keep_y and c == names["y"])]
        rows = _wzscore(rows, num, design).drop(columns=num).rename(columns={f"z_{c}": c for c in num})
        scale = "std"
    des = survey_design(rows, **design)
    res = survey_olr(des, formula) if claim.model == "ordinal" else \
        survey_glm(des, formula, family="quasibinomial" if claim.model == "logistic" else "gaussian")  # fmt: skip
    row = _row(res.coefficients, term, f"design-based {claim.model} model {formula}")
    n, label = int(res.fit["n"].iloc[0]), _design_label(design)
    return Estimate(float(row["estimate"]), float(row["se"]), float(row["ci_low"]), float(row["ci_high"]),
                    float(row["p_value"]), n, len(frame) - n, scale, f"coefficient of {term} in {formula}, {label}",
                    res.table(), res.sentence(term), label)  # fmt: skip


def regression(frame, claim, names, design: dict | None = None) -> Estimate:
    """A coefficient of an OLS, logistic, ordinal (proportional-odds) or tobit regression;
    standardized claims z-score every numeric model variable first (OLS only). With a survey
    `design`, linear, logistic and ordinal models are fitted design-based (`survey_glm`,
    `survey_olr`; tobit has no design-based form and stays unweighted)."""
    if design and claim.model != "tobit":
        return _design_regression(frame, claim, names, design)
    formula = _formula(claim, names)
    if claim.model in ("ordinal", "tobit"):  # imported only when needed (statsmodels' ordinal model)
        from analysis.models import limited_outcomes as module
    else:
        from analysis.models import regression as module
    fit = getattr(module, {"regression": "ols", "logistic": "logistic_regression", "ordinal": "ordinal_regression",
                           "tobit": "tobit"}[claim.model])  # fmt: skip
    kwargs = dict(claim.options.get("fit", {}))
    data, scale = frame, "raw"
    if claim.expect.get("scale") == "std":
        used = [c for c in frame.columns if c in formula and pd.api.types.is_numeric_dtype(frame[c])]
        data, scale = _zscore(_complete(frame, used), used), "std"
    res = fit(data, formula, **kwargs)
    term = _term(claim, names)
    row = _row(res.coefficients, term, f"{claim.model} model {formula}")
    n = int(res.fit["n"].iloc[0])
    return Estimate(float(row["estimate"]), float(row["se"]), float(row["ci_low"]), float(row["ci_high"]),
                    float(row["p_value"]), n, len(frame) - n, scale, f"coefficient of {term} in {formula}",
                    res.table(), res.sentence(term))  # fmt: skip


def mediation(frame, claim, names) -> Estimate:
    """The (total) indirect effect of a simple or parallel mediation model (PROCESS model 4),
    completely standardized for standardized claims; SE = bootstrap SD, CI percentile."""
    from analysis.models.process_mediation import mediation as fit

    mediators = names["m"] if isinstance(names["m"], list) else [names["m"]]
    opts = claim.options
    res = fit(frame, x=names["x"], m=mediators, y=names["y"], covariates=names.get("covariates", []),
              n_boot=int(opts.get("n_boot", 5000)), seed=opts.get("seed"))  # fmt: skip
    eff = res.effects[res.effects["effect"] == "indirect"]
    path = _term(claim, names) if claim.term else None
    row = eff[eff["path"] == path].iloc[0] if path and (eff["path"] == path).any() else eff.iloc[0]
    n = int(res.fit["n"].iloc[0])
    if claim.expect.get("scale") == "std":
        lo, hi, est = float(row["std_ci_low"]), float(row["std_ci_high"]), float(row["std_estimate"])
        se, scale = (hi - lo) / (2 * Z95), "std"
    else:
        est, se, lo, hi, scale = (float(row["estimate"]), float(row["se"]), float(row["ci_low"]),
                                  float(row["ci_high"]), "raw")  # fmt: skip
    p = float(2 * stats.norm.sf(abs(est / se)))
    return Estimate(est, se, lo, hi, p, n, len(frame) - n, scale, f"indirect effect {row['path']}",
                    res.table(), res.sentence())  # fmt: skip


def apim(frame, claim, names) -> Estimate:
    """An actor or partner effect of an APIM (`analysis.models.dyadic.apim`, GLS as nlme); standardized claims
    z-score the person-level variables first."""
    from analysis.models.dyadic import apim as fit

    formula = _formula(claim, names)
    data = frame
    scale = "raw"
    if claim.expect.get("scale") == "std":
        used = [c for c in (names["x"], names["y"]) if c in frame]
        data, scale = _zscore(frame.dropna(subset=used), used), "std"
    res = fit(data, formula=formula, dyad=names["dyad"], partner=names["partner"],
              model=claim.options.get("apim_model", "indistinguishable"))
    term = _term(claim, names)
    row = _row(res.coefficients, term, f"APIM {formula}")
    n = int(res.fit["n"].iloc[0])
    return Estimate(float(row["estimate"]), float(row["se"]), float(row["ci_low"]), float(row["ci_high"]),
                    float(row["p_value"]), n, len(frame) - n, scale, f"{row['effect']} effect {term} in {formula}",
                    res.table(), res.sentence())  # fmt: skip


def multilevel(frame, claim, names) -> Estimate:
    """A fixed effect of a multilevel model (`analysis.models.multilevel.mixed_model`); variables listed in
    ``options.center`` are split into ``<name>_within`` and ``<name>_between`` first."""
    from analysis.data.diary_variables import center_within
    from analysis.models.multilevel import mixed_model

    opts = claim.options
    data = frame
    center = [names.get(c, c) for c in opts.get("center", [])]  # roles or column names
    if center:
        data = center_within(frame, columns=center, group=names["person"])
    formula = _formula(claim, names)
    random = opts.get("random", "~ 1").format(**names)
    res = mixed_model(data, formula=formula, person=names["person"], random=random)
    term = _term(claim, names)
    row = _row(res.coefficients, term, f"multilevel model {formula}")
    n = int(res.fit["n"].iloc[0])
    return Estimate(float(row["estimate"]), float(row["se"]), float(row["ci_low"]), float(row["ci_high"]),
                    float(row["p_value"]), n, len(frame) - n, "raw", f"fixed effect {term} in {formula}",
                    res.table(), res.sentence(term))  # fmt: skip


def alpha(frame, claim, names) -> Estimate:
    """Cronbach's alpha of an instrument score's keyed items with its Feldt CI (SE = CI width /
    3.92)."""
    from analysis.psychometrics.reliability import cronbach_alpha

    items = names["items"]
    res = cronbach_alpha(frame, items=items)
    row = res.iloc[0]
    n = int(row["n"])
    lo, hi = float(row["ci_low"]), float(row["ci_high"])
    return Estimate(float(row["alpha"]), (hi - lo) / (2 * Z95), lo, hi, np.nan, n, len(frame) - n, "alpha",
                    f"Cronbach's alpha of {len(items)} items", apa_table(res, title="Reliability"))  # fmt: skip


DESIGN_MODELS = ("correlation", "regression", "logistic", "ordinal")  #: estimated design-based with a survey design

ESTIMATORS = {
    "correlation": correlation, "regression": regression, "logistic": regression, "ordinal": regression,
    "tobit": regression, "mediation": mediation, "apim": apim, "multilevel": multilevel, "alpha": alpha,
}  # fmt: skip
