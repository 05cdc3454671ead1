"""Daily-diary multilevel models: within/between centring, lags, ICC, random intercepts and slopes,
AR(1) residuals, couples (nested and two-intercept dyadic diary models).

Which estimator each function uses, and why
-------------------------------------------
Every model here is fitted by one estimator, `analysis._mixed_ml`: the profiled REML/ML
likelihood of Pinheiro & Bates (2000) computed block by block (one block per person, or per couple)
with the Woodbury identity, and optimized with scipy (L-BFGS-B). Its log-likelihoods, fixed
effects, SEs, variance components and AR(1) phi equal ``nlme::lme`` and ``lme4::lmer`` (tests:
``tests/reference/multilevel.R``).

- Random intercepts and (correlated) random slopes, one level (`mixed_model` without `couple`
  or `ar1`; `multilevel_icc` without `couple`): statsmodels ``MixedLM`` is correct for these
  models (the tests cross-check it), but our route fits the same model in a fraction of its time
  (``bench/bench_diary.py``: 1,000 persons x 14 days) and returns the nlme output (REML
  log-likelihood on R's scale, nlme's denominator df) that the models below need anyway, so one
  estimator serves every model and every table has the same meaning.
- AR(1) residuals within person (`ar1=`, as ``lme(..., correlation = corAR1(form = ~ day |
  person))``): MixedLM has no residual correlation. Our route whitens each person's series in
  closed form; a missing day is a gap (phi^2 between days 3 and 5), as in nlme.
- Couples: person effects nested in couples (`mixed_model(couple=...)`, as ``random = list(couple
  = ~ 1, person = ~ ...)``) and the two-intercept distinguishable dyadic diary model (Laurenceau &
  Bolger, 2005; `dyadic_diary`) with role-specific residual SDs and partners' same-day residuals
  correlated (``corCompSymm(form = ~ 1 | couple / day)`` + ``varIdent(form = ~ 1 | role)``).
  MixedLM can fit neither the residual correlation nor the role-specific variances.

References
----------
Bolger, N., & Laurenceau, J.-P. (2013). Intensive longitudinal methods. Guilford Press.
Laurenceau, J.-P., & Bolger, N. (2005). Using diary methods to study marital and family
processes. Journal of Family Psychology, 19(1), 86-97.
Pinheiro, J. C., & Bates, D. M. (2000). Mixed-effects models in S and S-PLUS. Springer.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import apa
from analysis._checks import _as_list, _check_one_of, _require_columns
from analysis.exceptions import DataError, ParameterError
from analysis.models._mixed_ml import ResidualSpec, ReTerm, fit_lmm
from analysis.models._multilevel_table import (
    build_result,
    check_ci,
    design,
    drop_missing,
)

__all__ = ["center_within", "lag", "multilevel_icc", "mixed_model", "dyadic_diary"]

_METHODS = ("REML", "ML")



@dataclass(frozen=True)
class MultilevelResult:
    """A fitted multilevel model: tidy tables plus `table()` and `sentence(term)`.

    Attributes
    ----------
    coefficients : pandas.DataFrame
        Fixed effects: ``term``, ``estimate``, ``se``, ``df``, ``statistic`` (t), ``p_value``,
        ``ci_low``, ``ci_high``.
    variances : pandas.DataFrame
        Random part: ``level`` (couple, person, residual), ``parameter`` (``sd``, ``cor``,
        ``sd_ratio``, ``phi``, ``rho``), ``term``, ``estimate``.
    fit : pandas.DataFrame
        One row: ``n`` (days used), ``persons``, ``couples``, ``method``, ``loglik``, ``aic``,
        ``bic``, ``n_parameters``, ``converged``.
    person_effects : pandas.DataFrame
        Predicted person (or couple) coefficients: ``person``, ``term``, ``random_effect``
        (BLUP), ``estimate`` (fixed effect + BLUP when the term is also fixed).
    excluded : pandas.DataFrame
        Rows dropped: ``reason``, ``rows``.
    outcome : str
    ci : float
    """

    coefficients: pd.DataFrame
    variances: pd.DataFrame
    fit: pd.DataFrame
    person_effects: pd.DataFrame
    excluded: pd.DataFrame
    outcome: str
    ci: float

    def table(self, *, title: str | None = None, number: int | None = None) -> apa.HtmlBlock:
        """APA table: fixed effects, then the random part (SDs, correlations, phi, rho)."""
        fixed = self.coefficients.assign(term=self.coefficients["term"].map(lambda t: f"Fixed: {t}"))
        v = self.variances
        names = {"sd": "SD", "cor": "r", "sd_ratio": "SD ratio", "phi": "AR(1) \u03c6", "rho": "partners' same-day \u03c1"}
        labels = [f"{lv.capitalize()} {names.get(par, par)}" + (f" ({t})" if t else "")
                  for lv, par, t in zip(v["level"], v["parameter"], v["term"], strict=True)]  # fmt: skip
        rand = pd.DataFrame({"term": [f"Random: {s}" for s in labels], "estimate": v["estimate"].to_numpy()})
        body = pd.concat([fixed, rand], ignore_index=True)
        f = self.fit.iloc[0]
        note = (f"{f['method']} estimates; {int(f['n']):,} days from {int(f['persons']):,} persons"
                + (f" in {int(f['couples']):,} couples" if pd.notna(f["couples"]) else "")
                + f"; log-likelihood {apa.format_value(f['loglik'], 2)}, AIC {apa.format_value(f['aic'], 1)}. "
                f"CI = {apa.format_value(100 * self.ci, 0)}% confidence interval (t, nlme df).")  # fmt: skip
        return apa.apa_table(body, title=title or f"Multilevel model of {self.outcome}", number=number, note=note)

    def sentence(self, term: str) -> str:
        """APA sentence for one fixed effect, e.g. ``"... b = 0.30, 95% CI [0.25, 0.35], t(922) =
        10.21, p < .001."``"""
        row = self.coefficients.loc[self.coefficients["term"] == term]
        if row.empty:
            raise ParameterError(f"No fixed effect {term!r}; terms: {', '.join(self.coefficients['term'])}.")
        r = row.iloc[0]
        f = self.fit.iloc[0]
        t_symbol = f"t({int(r['df'])})"
        return (f"In the multilevel model of {self.outcome} ({int(f['n']):,} days, {int(f['persons']):,} persons), "
                f"the effect of {term} was {apa.format_stat('b', r['estimate'])}, "
                f"{apa.format_ci(r['ci_low'], r['ci_high'], level=self.ci)}, "
                f"{apa.format_stat(t_symbol, r['statistic'])}, {apa.format_p(r['p_value'])}.")  # fmt: skip


def _numeric(data: pd.DataFrame, columns: Sequence[str]) -> None:
    for c in columns:
        if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c]):
            raise DataError(f"Column {c!r} must be numeric, but it has dtype {data[c].dtype}. "
                            "Convert it (e.g. with pd.to_numeric) or choose another column.")  # fmt: skip


def center_within(data: pd.DataFrame, columns: str | Sequence[str], cluster: str) -> pd.DataFrame:
    """Split daily predictors into within-person and between-person parts (person-mean centring).

    Parameters
    ----------
    data : pandas.DataFrame
        Long diary data, one row per person-day. Not modified.
    columns : str or list of str
        Numeric columns to split.
    cluster : str
        Person id column (the unit whose mean is removed).

    Returns
    -------
    pandas.DataFrame
        A copy of `data` with ``<col>_within`` (the day's value minus the person's mean of the
        days they answered) and ``<col>_between`` (the person's mean minus the grand mean of
        the person means, each person counted once) for every column.

    Notes
    -----
    ``x_ti = (x_ti - xbar_i) + (xbar_i - mean_i(xbar_i))``: within and between effects are then
    separate coefficients (Bolger & Laurenceau, 2013, ch. 4; Curran & Bauer, 2011). Missing days
    are ignored in the person mean; rows with a missing value keep a missing ``_within``; rows
    with a missing `cluster` get missing values in both new columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import center_within
    >>> d = pd.DataFrame({"person": [1, 1, 2, 2], "x": [1.0, 3.0, 4.0, 6.0]})
    >>> center_within(d, "x", "person")[["x_within", "x_between"]].to_numpy().tolist()
    [[-1.0, -1.5], [1.0, -1.5], [-1.0, 1.5], [1.0, 1.5]]
    """
    cols = _as_list(columns)
    if not cols:
        raise ParameterError("`columns` is empty: name at least one numeric column to centre.")
    _require_columns(data, cols + [cluster])
    _numeric(data, cols)
    out = data.copy()
    for c in cols:
        pm = data.groupby(cluster, dropna=True)[c].transform("mean")
        grand = data.groupby(cluster, dropna=True)[c].mean().mean()
        out[f"{c}_within"] = data[c] - pm
        out[f"{c}_between"] = pm - grand
    return out


def lag(data: pd.DataFrame, columns: str | Sequence[str], cluster: str, time: str, k: int = 1) -> pd.DataFrame:
    """Lagged predictors within person on the day index (a missing day gives a missing lag).

    Parameters
    ----------
    data : pandas.DataFrame
        Long diary data, one row per person-day. Not modified.
    columns : str or list of str
        Columns to lag.
    cluster : str
        Person id column.
    time : str
        Integer day index column (e.g. ``day``); each person has at most one row per day.
    k : int, default 1
        Lag in days.

    Returns
    -------
    pandas.DataFrame
        A copy of `data` with ``<col>_lag<k>``: the person's value on day ``time - k``, missing
        when that day was not reported (never the previous *observed* day).

    Raises
    ------
    DataError
        `time` is not integer-valued, or a person has two rows for one day.
    ParameterError
        `k` is not a positive integer.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import lag
    >>> d = pd.DataFrame({"person": [1, 1, 1], "day": [1, 2, 4], "x": [5.0, 6.0, 7.0]})
    >>> lag(d, "x", "person", "day")["x_lag1"].tolist()
    [nan, 5.0, nan]
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ParameterError(f"The value for `k` must be a positive integer, but {k!r} was passed.")
    cols = _as_list(columns)
    _require_columns(data, cols + [cluster, time])
    _check_days(data, cluster, time)
    key = data[[cluster, time]].copy()
    src = data[[cluster, time] + cols].dropna(subset=[cluster, time]).copy()
    src[time] = src[time] + k
    src = src.rename(columns={c: f"{c}_lag{k}" for c in cols})
    merged = key.merge(src, on=[cluster, time], how="left")
    out = data.copy()
    for c in cols:
        out[f"{c}_lag{k}"] = merged[f"{c}_lag{k}"].to_numpy()
    return out


def _check_days(data: pd.DataFrame, cluster: str, time: str) -> None:
    _numeric(data, [time])
    t = data[time].dropna().to_numpy(float)
    if np.any(t != np.round(t)):
        bad = data[time][data[time] != np.round(data[time])].iloc[0]
        raise DataError(f"Column {time!r} must hold whole day numbers, but it has {bad!r}. "
                        "Use the diary day index (1, 2, ...).")  # fmt: skip
    dup = data.duplicated(subset=[cluster, time], keep=False) & data[[cluster, time]].notna().all(axis=1)
    if dup.any():
        row = data[dup].iloc[0]
        raise DataError(f"{cluster!r} {row[cluster]!r} has {int(dup[data[cluster] == row[cluster]].sum())} rows "
                        f"for {time} {row[time]!r} (row {data.index[dup][0]!r}); keep one row per person and day.")


def multilevel_icc(data: pd.DataFrame, *, outcome: str, person: str, couple: str | None = None,
                   method: str = "REML") -> pd.DataFrame:  # fmt: skip
    """Intraclass correlations of a daily outcome from the empty (intercept-only) model.

    Parameters
    ----------
    data : pandas.DataFrame
        Long diary data, one row per person-day.
    outcome : str
        Numeric daily outcome.
    person : str
        Person id column.
    couple : str, optional
        Couple id column: persons nested in couples (three-level empty model).
    method : {"REML", "ML"}, default "REML"

    Returns
    -------
    pandas.DataFrame
        One row per level (``couple``, ``person``, ``residual``): ``level``, ``variance``, ``sd``,
        ``share`` (variance / total), ``icc`` (correlation of two days of the same person:
        ``(couple + person) / total`` on the person row; of two partners' days in the same couple:
        ``couple / total`` on the couple row) and ``n`` (units; days on the residual row).

    Notes
    -----
    ``lme(y ~ 1, random = ~ 1 | person)`` or ``random = ~ 1 | couple / person`` (nlme).
    """
    res = mixed_model(data, formula=f"{outcome} ~ 1", person=person, couple=couple, method=method)
    v = res.variances
    sd = {lvl: float(v.loc[(v["level"] == lvl) & (v["parameter"] == "sd"), "estimate"].iloc[0])
          for lvl in v["level"].unique()}  # fmt: skip
    var = {k: s**2 for k, s in sd.items()}
    total = sum(var.values())
    fit = res.fit.iloc[0]
    rows = []
    if couple is not None:
        rows.append(("couple", var["couple"], var["couple"] / total, int(fit["couples"])))
        icc_person = (var["couple"] + var["person"]) / total
    else:
        icc_person = var["person"] / total
    rows.append(("person", var["person"], icc_person, int(fit["persons"])))
    rows.append(("residual", var["residual"], np.nan, int(fit["n"])))
    out = pd.DataFrame({"level": [r[0] for r in rows], "variance": [r[1] for r in rows],
                        "sd": [np.sqrt(r[1]) for r in rows], "share": [r[1] / total for r in rows],
                        "icc": [r[2] for r in rows], "n": [r[3] for r in rows]})  # fmt: skip
    out.attrs.update(method=method, outcome=outcome)
    return out


def mixed_model(data: pd.DataFrame, *, formula: str, person: str, random: str = "~ 1", couple: str | None = None,
                ar1: str | None = None, method: str = "REML", ci: float = 0.95) -> MultilevelResult:  # fmt: skip
    """Multilevel (mixed) model for diary data: random intercepts and slopes per person, optional
    AR(1) residuals and couple-level random intercepts.

    Parameters
    ----------
    data : pandas.DataFrame
        Long diary data, one row per person-day. Not modified.
    formula : str
        Fixed part, e.g. ``"closeness ~ disclosure_within + disclosure_between + checkin"``
        (patsy syntax: interactions ``a:b``, ``a * b``).
    person : str
        Person id column.
    random : str, default "~ 1"
        Person-level random effects, correlated (unstructured), e.g. ``"~ 1 + disclosure_within"``.
    couple : str, optional
        Couple id column: adds a couple-level random intercept, persons nested in couples.
    ar1 : str, optional
        Day index column: AR(1) residuals within person, ``phi^|day_j - day_k|`` (gaps respected).
    method : {"REML", "ML"}, default "REML"
    ci : float, default 0.95
        Level of the t-based confidence intervals of the fixed effects.

    Returns
    -------
    MultilevelResult
        ``.coefficients`` (``term``, ``estimate``, ``se``, ``df``, ``statistic``, ``p_value``,
        ``ci_low``, ``ci_high``), ``.variances`` (``level``, ``parameter`` in sd/cor/phi,
        ``term``, ``estimate``), ``.fit`` (``n``, ``persons``, ``couples``, ``method``,
        ``loglik``, ``aic``, ``bic``, ``n_parameters``, ``converged``), ``.person_effects``
        (``person``, ``term``, ``random_effect``, ``estimate`` = fixed + random part) and
        ``.excluded`` (``reason``, ``rows``).

    Raises
    ------
    DataError
        A column is absent or not numeric, fewer than two persons, collinear predictors,
        duplicate days (with `ar1`), or a person in two couples.
    ParameterError
        Bad `method`, `ci` or formula.

    Notes
    -----
    Matches ``nlme::lme(formula, random = <random> | person, method = method)``, with
    ``correlation = corAR1(form = ~ day | person)`` for `ar1` and ``random = list(couple = ~ 1,
    person = <random>)`` for `couple`; ``lme4::lmer`` gives the same estimates and log-likelihood.
    Denominator df follow nlme: terms constant within persons (couples) get persons (couples)
    minus the number of such terms minus 1, the others days minus persons minus their number.
    Rows with a missing value in any model column are dropped and counted in ``.excluded``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import center_within, mixed_model
    >>> rng = np.random.default_rng(1)
    >>> person = np.repeat(np.arange(30), 10)
    >>> x = rng.normal(size=300) + rng.normal(size=30)[person]
    >>> y = 2 + 0.5 * x + rng.normal(size=30)[person] + rng.normal(size=300)
    >>> d = center_within(pd.DataFrame({"person": person, "x": x, "y": y}), "x", "person")
    >>> res = mixed_model(d, formula="y ~ x_within + x_between", person="person", random="~ 1 + x_within")
    >>> print(res.coefficients[["term", "estimate", "se", "df"]].round(3).to_string(index=False))
         term  estimate    se    df
    Intercept     1.854 0.168 269.0
     x_within     0.585 0.066 269.0
    x_between     0.597 0.210  28.0
    """
    _check_one_of("method", method, _METHODS)
    check_ci(ci)
    ids = [person] + ([couple] if couple else []) + ([ar1] if ar1 else [])
    _require_columns(data, ids)
    if ar1:
        _check_days(data, person, ar1)
    y, X, Z, keep, excluded = design(data, formula, random, ids)
    d = data.loc[keep]
    pcodes, pvals = pd.factorize(d[person], sort=True)
    levels = [pcodes]
    if couple:
        ccodes, cvals = pd.factorize(d[couple], sort=True)
        per_person = pd.Series(ccodes).groupby(pcodes).nunique()
        if (per_person > 1).any():
            raise DataError(f"Person {pvals[per_person.idxmax()]!r} appears in more than one {couple!r}; "
                            "person ids must be nested in couples.")  # fmt: skip
        sub = pd.Series(pcodes).groupby(ccodes).rank(method="dense").to_numpy(int) - 1
        terms = [ReTerm(np.ones((len(d), 1))), ReTerm(Z.to_numpy(float), sub=sub)]
        cluster = ccodes
        levels = [ccodes, pcodes]
    else:
        terms, cluster = [ReTerm(Z.to_numpy(float))], pcodes
    if pvals.size < 2:
        raise DataError(f"{person!r} has {pvals.size} person with complete data; a multilevel model needs several.")
    resid = ResidualSpec(person=pcodes, time=d[ar1].to_numpy(float) if ar1 else None, ar1=bool(ar1))
    fit = fit_lmm(X.to_numpy(float), y, cluster, terms, resid, reml=method == "REML")
    names = [("couple", ["Intercept"]), ("person", list(Z.columns))] if couple else [("person", list(Z.columns))]
    # person-level predicted effects (the last term), mapped back to person ids
    b = fit.blups[-1]
    if couple:
        eff = b[cluster, sub]
    else:
        eff = b[pcodes, 0]
    first = pd.Series(np.arange(len(d))).groupby(pcodes).first().to_numpy()
    return MultilevelResult(**build_result(X, y, fit, names, eff[first], pvals, levels, method=method, ci=ci, excluded=excluded,
                        couples=int(cvals.size) if couple else None, outcome=formula.split("~")[0].strip(),
                        ar1=bool(ar1)))  # fmt: skip


def dyadic_diary(data: pd.DataFrame, *, outcome: str, predictors: str | Sequence[str], couple: str, role: str,
                 day: str, ar1: bool = False, method: str = "REML", ci: float = 0.95) -> MultilevelResult:  # fmt: skip
    """Two-intercept dyadic diary model for distinguishable partners (Laurenceau & Bolger, 2005).

    Parameters
    ----------
    data : pandas.DataFrame
        Long diary data, one row per person-day (both partners of each couple).
    outcome : str
        Numeric daily outcome.
    predictors : str or list of str
        Numeric predictors; each gets a role-specific slope.
    couple : str
        Couple id column.
    role : str
        Column distinguishing the partners (two values, e.g. 1/2 or "M"/"F").
    day : str
        Day index column (pairs the partners' days; AR(1) runs on it).
    ar1 : bool, default False
        Add AR(1) residuals within person (separable: cross-partner correlation rho phi^|lag|).
    method : {"REML", "ML"}, default "REML"
    ci : float, default 0.95

    Returns
    -------
    MultilevelResult
        As `mixed_model`; terms are ``Intercept:<role><value>`` and ``<x>:<role><value>``;
        variances hold the couple-level SDs of the two role intercepts and their correlation,
        the residual SD of the first role, the SD ratio of the second (``sd_ratio``) and the
        partners' same-day residual correlation (``rho``; and ``phi`` with `ar1`).
        ``.person_effects`` are per couple (``person`` = couple id).

    Notes
    -----
    ``lme(y ~ 0 + r1 + r2 + r1:x + r2:x, random = ~ 0 + r1 + r2 | couple, correlation =
    corCompSymm(form = ~ 1 | couple / day), weights = varIdent(form = ~ 1 | role))`` (nlme).
    """
    _check_one_of("method", method, _METHODS)
    check_ci(ci)
    preds = _as_list(predictors)
    _require_columns(data, [outcome, couple, role, day] + preds)
    _numeric(data, [outcome] + preds)
    d, excluded = drop_missing(data, [outcome, couple, role, day] + preds)
    roles = sorted(d[role].unique().tolist())
    if len(roles) != 2:
        raise DataError(f"Column {role!r} must have exactly two values (one per partner), but it has "
                        f"{len(roles)}: {roles[:5]!r}.")  # fmt: skip
    if d.duplicated(subset=[couple, role, day]).any():
        raise DataError(f"Some couple has two rows for one {role!r} and {day!r}; keep one row per person and day.")
    _check_days(d.assign(_p=d[couple].astype(str) + "|" + d[role].astype(str)), "_p", day)
    cols = {}
    dummies = {r: (d[role] == r).to_numpy(float) for r in roles}
    for r in roles:
        cols[f"Intercept:{role}{r}"] = dummies[r]
    for x in preds:
        for r in roles:
            cols[f"{x}:{role}{r}"] = dummies[r] * d[x].to_numpy(float)
    X = pd.DataFrame(cols, index=d.index)
    y = d[outcome].to_numpy(float)
    ccodes, cvals = pd.factorize(d[couple], sort=True)
    rcode = (d[role] == roles[1]).to_numpy(int)
    pcodes = ccodes * 2 + rcode
    Zr = np.column_stack([dummies[r] for r in roles])
    resid = ResidualSpec(person=pcodes, time=d[day].to_numpy(float), ar1=ar1, partner_corr=True, role=rcode)
    fit = fit_lmm(X.to_numpy(float), y, ccodes, [ReTerm(Zr)], resid, reml=method == "REML")
    names = [("couple", [f"Intercept:{role}{r}" for r in roles])]
    return MultilevelResult(**build_result(X, y, fit, names, fit.blups[0][:, 0, :], cvals, [ccodes], method=method, ci=ci,
                        excluded=excluded, couples=int(cvals.size), outcome=outcome, ar1=ar1,
                        role_labels=[f"{role}{r}" for r in roles], persons=int(np.unique(pcodes).size)))  # fmt: skip
