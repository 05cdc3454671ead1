"""Multilevel models for diary data: ICC, random intercepts and slopes, AR(1) residuals, persons
nested in couples, and the comparison of nested fits. The two-intercept dyadic diary model is in
`analysis.models.dyadic_diary`; within/between centring and lags in `analysis.data.diary_variables`.

Which estimator each function uses, and why
-------------------------------------------
Every model here is fitted by one estimator, `analysis.models._mixed_ml`: the profiled REML/ML
likelihood of Pinheiro & Bates (2000) computed block by block (one block per person, or per couple)
with the Woodbury identity, and optimized with scipy (L-BFGS-B). Its log-likelihoods, fixed
effects, SEs, variance components and AR(1) phi equal ``nlme::lme`` and ``lme4::lmer`` (tests:
``tests/reference/multilevel.R``).

- Random intercepts and (correlated) random slopes, one level (`mixed_model` without `dyad`
  or `ar1`; `multilevel_icc` without `dyad`): statsmodels ``MixedLM`` is correct for these
  models (the tests cross-check it), but our route fits the same model in a fraction of its time
  (``bench/bench_diary.py``: 1,000 persons x 14 days) and returns the nlme output (REML
  log-likelihood on R's scale, nlme's denominator df) that the models below need anyway, so one
  estimator serves every model and every table has the same meaning.
- AR(1) residuals within person (`ar1=True` over `day`, as ``lme(..., correlation = corAR1(form =
  ~ day | person))``): MixedLM has no residual correlation. Our route whitens each person's series in
  closed form; a missing day is a gap (phi^2 between days 3 and 5), as in nlme.
- Couples: person effects nested in couples (`mixed_model(dyad=...)`, as ``random = list(couple
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
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import apa
from analysis._checks import _as_list, _check_level, _check_one_of, _require_columns
from analysis._compat import REMOVED_IN, renamed_parameter
from analysis.data.diary_variables import between_columns, check_days, within_columns
from analysis.exceptions import DataError, ParameterError
from analysis.models._mixed_ml import ResidualSpec, ReTerm, fit_lmm
from analysis.models._multilevel_table import (
    build_result,
    design,
)

__all__ = ["MultilevelResult", "multilevel_icc", "mixed_model", "diary_formula", "compare_fits",
           "compare_fits_sentence"]

_METHODS = ("REML", "ML")


@dataclass(frozen=True)
class MultilevelResult:
    """A fitted multilevel model: tidy tables plus ``table()`` and ``sentence(term)``.

    Attributes
    ----------
    coefficients : pandas.DataFrame
        Fixed effects: ``term``, ``estimate``, ``se``, ``df``, ``statistic`` (t), ``p_value``,
        ``ci_low``, ``ci_high``.
    variances : pandas.DataFrame
        Random part: ``level`` (couple, person, residual), ``parameter`` (``sd``, ``cor``,
        ``sd_ratio``, ``phi``, ``rho``), ``term``, ``estimate``.
    fit : pandas.DataFrame
        One row: ``n`` (days used), ``persons``, ``couples``, ``n_excluded`` (rows of `data`
        left out), ``method``, ``loglik``, ``aic``, ``bic``, ``n_parameters``, ``converged``.
    person_effects : pandas.DataFrame
        Predicted person (or couple) coefficients: ``person``, ``term``, ``random_effect``
        (BLUP), ``estimate`` (fixed effect + BLUP when the term is also fixed).
    excluded : pandas.DataFrame
        One row per row of `data` left out: ``row`` (index label in `data`), ``reason``
        (``"missing <columns>"``), then ``person`` and ``dyad`` (the ids, where the model uses
        them).
    outcome : str
        The outcome column.
    ci : float
        Confidence level of the fixed-effect intervals.

    See Also
    --------
    mixed_model, dyadic_diary : the functions that return it.
    compare_fits : log-likelihoods of nested models side by side.

    Notes
    -----
    ``table()`` gives the APA table (fixed effects, then the random part), ``sentence(term)``
    the APA sentence of one fixed effect.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import mixed_model
    >>> rng = np.random.default_rng(1)
    >>> person = np.repeat(np.arange(30), 10)
    >>> d = pd.DataFrame({"person": person, "x": rng.normal(size=300)})
    >>> d["y"] = 2 + 0.5 * d["x"] + rng.normal(size=30)[person] + rng.normal(size=300)
    >>> d.loc[[3, 7], "y"] = np.nan
    >>> res = mixed_model(d, "y ~ x", person="person")
    >>> print(res.excluded.to_string(index=False))
    row    reason  person
      3 missing y       0
      7 missing y       0
    """

    coefficients: pd.DataFrame
    variances: pd.DataFrame
    fit: pd.DataFrame
    person_effects: pd.DataFrame
    excluded: pd.DataFrame
    outcome: str
    ci: float

    def table(self, *, title: str | None = None, number: int | None = None) -> apa.HtmlBlock:
        """APA table: fixed effects, then the random part (SDs, correlations, phi, rho).

        Parameters
        ----------
        title : str, optional
            Table title (default "Multilevel model of <outcome>").
        number : int, optional
            Table number.

        Returns
        -------
        HtmlBlock
            The table (shown directly in a notebook).
        """
        fixed = self.coefficients.assign(term=self.coefficients["term"].map(lambda t: f"Fixed: {t}"))
        v = self.variances
        names = {"sd": "SD", "cor": "r", "sd_ratio": "SD ratio", "phi": "AR(1) \u03c6",
                 "rho": "partners' same-day \u03c1"}
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
        """APA sentence for one fixed effect.

        Parameters
        ----------
        term : str
            A term of ``.coefficients["term"]``.

        Returns
        -------
        str
            E.g. ``"... the effect of x_within was b = 0.30, 95% CI [0.25, 0.35], t(922) = 10.21,
            p < .001."``

        Raises
        ------
        ParameterError
            `term` is not a fixed effect of the model.
        """
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


def diary_formula(y: str, *, focus: str, daily: Sequence[str] = (), person_level: Sequence[str] = (),
                  lag: int = 0) -> str:  # fmt: skip
    """The within-between ("hybrid") formula of a diary model, in the column names that
    `center_within` and `lag` create.

    Parameters
    ----------
    y : str
        The daily outcome.
    focus : str
        The daily predictor of interest: enters as ``<focus>_within`` (then its lags, if any) and
        ``<focus>_between``.
    daily : sequence of str, optional
        Other daily predictors: all their ``_within`` parts, then all their ``_between`` parts.
    person_level : sequence of str, optional
        Person-level variables (one value per person): their ``_between`` parts (grand-mean
        centred person values).
    lag : int, default 0
        Enter ``<focus>_within_lag1`` ... ``<focus>_within_lag<lag>`` after ``<focus>_within``.

    Returns
    -------
    str
        ``"y ~ focus_within [+ focus_within_lag1] + focus_between + d_within ... + d_between ...
        + p_between ..."``.

    Raises
    ------
    ParameterError
        A negative or non-integer `lag`.

    See Also
    --------
    analysis.center_within, analysis.lag, mixed_model

    Notes
    -----
    Separating a daily predictor into the person's deviation from their own mean and the
    person's mean gives the within-person and the between-person effect as two coefficients
    (Bolger & Laurenceau, 2013, ch. 4; Curran & Bauer, 2011).

    References
    ----------
    Bolger, N., & Laurenceau, J.-P. (2013). *Intensive longitudinal methods*. Guilford Press.

    Curran, P. J., & Bauer, D. J. (2011). The disaggregation of within-person and between-person
    effects in longitudinal models of change. *Annual Review of Psychology, 62*, 583-619.

    Examples
    --------
    >>> diary_formula("closeness", focus="disclosure", daily=["conflict"], person_level=["avoidance"])
    'closeness ~ disclosure_within + disclosure_between + conflict_within + conflict_between + avoidance_between'
    >>> diary_formula("closeness", focus="disclosure", lag=1)
    'closeness ~ disclosure_within + disclosure_within_lag1 + disclosure_between'
    """
    if isinstance(lag, bool) or not isinstance(lag, numbers.Integral) or lag < 0:
        raise ParameterError(f"The value for `lag` must be a whole number >= 0, but {lag!r} was passed.")
    terms = [*within_columns(focus), *(f"{focus}_within_lag{k}" for k in range(1, lag + 1)), *between_columns(focus)]
    terms += within_columns(daily) + between_columns(daily) + between_columns(person_level)
    return f"{y} ~ " + " + ".join(terms)


@renamed_parameter(outcome="y", couple="dyad")
def multilevel_icc(data: pd.DataFrame, *, y: str, person: str, dyad: str | None = None,
                   method: str = "REML") -> pd.DataFrame:  # fmt: skip
    """Intraclass correlations of a daily outcome from the empty (intercept-only) model.

    Parameters
    ----------
    data : pandas.DataFrame
        Long diary data, one row per person-day.
    y : str
        Numeric daily outcome.
    person : str
        Person id column.
    dyad : str, optional
        Couple (dyad) id column: persons nested in couples (three-level empty model).
    method : {"REML", "ML"}, default "REML"
        Estimation method of the empty model.

    Returns
    -------
    pandas.DataFrame
        One row per level (``couple``, ``person``, ``residual``): ``level``, ``variance``, ``sd``,
        ``share`` (variance / total), ``icc`` (correlation of two days of the same person:
        ``(couple + person) / total`` on the person row; of two partners' days in the same couple:
        ``couple / total`` on the couple row) and ``n`` (units; days on the residual row).

    Raises
    ------
    DataError
        A column is absent or `y` is not numeric, or fewer than two persons.
    ParameterError
        Bad `method`.

    See Also
    --------
    mixed_model

    Notes
    -----
    ``lme(y ~ 1, random = ~ 1 | person)`` or ``random = ~ 1 | couple / person`` (nlme); the
    variances are the squared SDs of ``VarCorr()``. Rows with a missing `y` or id are left out.

    References
    ----------
    Bolger, N., & Laurenceau, J.-P. (2013). *Intensive longitudinal methods*. Guilford Press.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import multilevel_icc
    >>> rng = np.random.default_rng(1)
    >>> person = np.repeat(np.arange(40), 7)
    >>> d = pd.DataFrame({"person": person, "y": rng.normal(size=40)[person] + rng.normal(size=280)})
    >>> print(multilevel_icc(d, y="y", person="person")[["level", "icc", "n"]].round(3).to_string(index=False))
       level   icc   n
      person 0.503  40
    residual   NaN 280
    """
    res = mixed_model(data, f"{y} ~ 1", person=person, dyad=dyad, method=method)
    v = res.variances
    sd = {lvl: float(v.loc[(v["level"] == lvl) & (v["parameter"] == "sd"), "estimate"].iloc[0])
          for lvl in v["level"].unique()}  # fmt: skip
    var = {k: s**2 for k, s in sd.items()}
    total = sum(var.values())
    fit = res.fit.iloc[0]
    rows = []
    if dyad is not None:
        rows.append(("couple", var["couple"], var["couple"] / total, int(fit["couples"])))
        icc_person = (var["couple"] + var["person"]) / total
    else:
        icc_person = var["person"] / total
    rows.append(("person", var["person"], icc_person, int(fit["persons"])))
    rows.append(("residual", var["residual"], np.nan, int(fit["n"])))
    out = pd.DataFrame({"level": [r[0] for r in rows], "variance": [r[1] for r in rows],
                        "sd": [np.sqrt(r[1]) for r in rows], "share": [r[1] / total for r in rows],
                        "icc": [r[2] for r in rows], "n": [r[3] for r in rows]})  # fmt: skip
    out.attrs.update(method=method, outcome=y)
    return out


def _ar1_and_day(ar1, day):
    """`ar1` is a bool and needs `day`; the 0.1 form ``ar1="day"`` (a column name) maps to
    ``day="day", ar1=True`` with a DeprecationWarning (pointing at the caller of `mixed_model`)."""
    if ar1 is None or isinstance(ar1, str):
        if isinstance(ar1, str) and day is not None:
            raise ParameterError(f"mixed_model() got `ar1={ar1!r}` (the 0.1 form, a column name) and "
                                 f"`day={day!r}`; pass `day={day!r}, ar1=True`.")  # fmt: skip
        new = "ar1=False" if ar1 is None else f"day={ar1!r}, ar1=True"
        warnings.warn(f"`mixed_model(ar1={ar1!r})` is now `mixed_model({new})`: `ar1` is True or False and "
                      f"`day` names the occasion column; the old form stops working in {REMOVED_IN}.",
                      DeprecationWarning, stacklevel=4)  # fmt: skip
        return (False, day) if ar1 is None else (True, ar1)
    if not isinstance(ar1, bool | np.bool_):
        raise ParameterError(f"The value for `ar1` must be True or False, but {ar1!r} was passed.")
    if ar1 and day is None:
        raise ParameterError("`ar1=True` needs `day=`: the column with the day (occasion) number over which "
                             "the residuals are autocorrelated.")  # fmt: skip
    return bool(ar1), day


@renamed_parameter(couple="dyad")
def mixed_model(data: pd.DataFrame, formula: str, *, person: str, random: str = "~ 1", dyad: str | None = None,
                day: str | None = None, ar1: bool = False, method: str = "REML",
                ci: float = 0.95) -> MultilevelResult:  # fmt: skip
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
    dyad : str, optional
        Couple (dyad) id column: adds a couple-level random intercept, persons nested in couples.
    day : str, optional
        Day (occasion) column, whole numbers; a missing number is a gap. Needed for `ar1`; when
        given, each person has at most one row per day and rows without a day are left out.
    ar1 : bool, default False
        AR(1) residuals within person over `day`: ``phi^|day_j - day_k|`` (gaps respected).
    method : {"REML", "ML"}, default "REML"
        Restricted (nlme's default) or full maximum likelihood.
    ci : float, default 0.95
        Level of the t-based confidence intervals of the fixed effects.

    Returns
    -------
    MultilevelResult
        ``.coefficients`` (``term``, ``estimate``, ``se``, ``df``, ``statistic``, ``p_value``,
        ``ci_low``, ``ci_high``), ``.variances`` (``level``, ``parameter`` in sd/cor/phi,
        ``term``, ``estimate``), ``.fit`` (``n``, ``persons``, ``couples``, ``n_excluded``,
        ``method``, ``loglik``, ``aic``, ``bic``, ``n_parameters``, ``converged``),
        ``.person_effects`` (``person``, ``term``, ``random_effect``, ``estimate`` = fixed +
        random part) and ``.excluded`` (``row``, ``reason``, ``person``, and ``dyad`` with
        `dyad`: one row per row of `data` left out).

    Raises
    ------
    DataError
        A column is absent or not numeric, fewer than two persons, collinear predictors,
        duplicate days (with `day`), or a person in two couples.
    ParameterError
        Bad `method`, `ci`, `ar1` or formula; `ar1=True` without `day`.

    See Also
    --------
    center_within, lag, multilevel_icc, dyadic_diary, compare_fits

    Notes
    -----
    Matches ``nlme::lme(formula, random = <random> | person, method = method)``, with
    ``correlation = corAR1(form = ~ day | person)`` for `ar1` and ``random = list(couple = ~ 1,
    person = <random>)`` for `dyad`; ``lme4::lmer`` gives the same estimates and log-likelihood.
    Denominator df follow nlme: terms constant within persons (couples) get persons (couples)
    minus the number of such terms minus 1, the others days minus persons minus their number.
    Rows with a missing value in any model column or id are left out and listed in
    ``.excluded``.

    References
    ----------
    Pinheiro, J. C., & Bates, D. M. (2000). *Mixed-effects models in S and S-PLUS*. Springer.

    Bolger, N., & Laurenceau, J.-P. (2013). *Intensive longitudinal methods*. Guilford Press.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import center_within, mixed_model
    >>> rng = np.random.default_rng(1)
    >>> person = np.repeat(np.arange(30), 10)
    >>> x = rng.normal(size=300) + rng.normal(size=30)[person]
    >>> y = 2 + 0.5 * x + rng.normal(size=30)[person] + rng.normal(size=300)
    >>> d = center_within(pd.DataFrame({"person": person, "x": x, "y": y}), columns="x", group="person")
    >>> res = mixed_model(d, "y ~ x_within + x_between", person="person", random="~ 1 + x_within")
    >>> print(res.coefficients[["term", "estimate", "se", "df"]].round(3).to_string(index=False))
         term  estimate    se    df
    Intercept     1.854 0.168 269.0
     x_within     0.585 0.066 269.0
    x_between     0.597 0.210  28.0
    """
    ar1, day = _ar1_and_day(ar1, day)
    _check_one_of("method", method, _METHODS)
    _check_level("ci", ci)
    ids = [person] + ([dyad] if dyad else []) + ([day] if day else [])
    _require_columns(data, ids)
    if day:
        check_days(data, person, day)
    id_roles = {"person": person} | ({"dyad": dyad} if dyad else {})
    y, X, Z, keep, excluded = design(data, formula, random, ids, id_roles)
    d = data.iloc[keep]
    pcodes, pvals = pd.factorize(d[person], sort=True)
    levels = [pcodes]
    if dyad:
        ccodes, cvals = pd.factorize(d[dyad], sort=True)
        per_person = pd.Series(ccodes).groupby(pcodes).nunique()
        if (per_person > 1).any():
            raise DataError(f"Person {pvals[per_person.idxmax()]!r} appears in more than one {dyad!r}; "
                            "person ids must be nested in couples.")  # fmt: skip
        sub = pd.Series(pcodes).groupby(ccodes).rank(method="dense").to_numpy(int) - 1
        terms = [ReTerm(np.ones((len(d), 1))), ReTerm(Z.to_numpy(float), sub=sub)]
        cluster = ccodes
        levels = [ccodes, pcodes]
    else:
        terms, cluster = [ReTerm(Z.to_numpy(float))], pcodes
    if pvals.size < 2:
        raise DataError(f"{person!r} has {pvals.size} person with complete data; a multilevel model needs several.")
    resid = ResidualSpec(person=pcodes, time=d[day].to_numpy(float) if ar1 else None, ar1=ar1)
    fit = fit_lmm(X.to_numpy(float), y, cluster, terms, resid, reml=method == "REML")
    names = [("couple", ["Intercept"]), ("person", list(Z.columns))] if dyad else [("person", list(Z.columns))]
    # person-level predicted effects (the last term), mapped back to person ids
    b = fit.blups[-1]
    if dyad:
        eff = b[cluster, sub]
    else:
        eff = b[pcodes, 0]
    first = pd.Series(np.arange(len(d))).groupby(pcodes).first().to_numpy()
    return MultilevelResult(**build_result(X, y, fit, names, eff[first], pvals, levels, method=method, ci=ci,
                                           excluded=excluded, couples=int(cvals.size) if dyad else None,
                                           outcome=formula.split("~")[0].strip(), ar1=ar1))


def compare_fits(*results: MultilevelResult, labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Log-likelihood, AIC and BIC of nested multilevel models of the same rows, side by side.

    Parameters
    ----------
    *results : MultilevelResult
        Two or more fits of the same outcome to the same rows by the same `method`, in the
        order they were built (e.g. random intercept, + random slope, + AR(1) residuals).
    labels : list of str, optional
        One name per model, read as what that model adds (e.g. ``["random intercept", "the
        random slope", "AR(1) residuals"]``); default "Model 1", "Model 2", ...

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model`` (label), ``n`` (days), ``method``, ``n_parameters``,
        ``loglik``, ``aic``, ``bic``, ``loglik_change`` (from the previous model; NaN on the
        first row) and ``phi`` (the AR(1) parameter where estimated, else NaN).

    Raises
    ------
    ParameterError
        Fewer than two results, something other than a `MultilevelResult`, labels that do not
        match, or different methods.
    DataError
        The models were fitted to different numbers of rows (their log-likelihoods cannot be
        compared).

    See Also
    --------
    compare_fits_sentence : the same comparison in one sentence.

    Notes
    -----
    The columns are those of ``anova(m1, m2, m3)`` on ``nlme::lme`` fits (without its
    likelihood-ratio test, whose chi-square reference is conservative for variance parameters
    on the boundary; Pinheiro & Bates, 2000, sec. 2.4). REML log-likelihoods compare models
    with the same fixed effects only.

    References
    ----------
    Pinheiro, J. C., & Bates, D. M. (2000). *Mixed-effects models in S and S-PLUS*. Springer.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import compare_fits, mixed_model
    >>> rng = np.random.default_rng(1)
    >>> person = np.repeat(np.arange(30), 10)
    >>> d = pd.DataFrame({"person": person, "day": np.tile(np.arange(1, 11), 30), "x": rng.normal(size=300)})
    >>> d["y"] = (0.5 + 0.3 * rng.normal(size=30)[person]) * d["x"] + rng.normal(size=300)
    >>> m1 = mixed_model(d, "y ~ x", person="person")
    >>> m2 = mixed_model(d, "y ~ x", person="person", random="~ 1 + x")
    >>> out = compare_fits(m1, m2, labels=["random intercept", "the random slope"])
    >>> print(out[["model", "n_parameters", "loglik"]].round(2).to_string(index=False))
               model  n_parameters  loglik
    random intercept             4 -441.95
    the random slope             6 -438.14
    """
    if len(results) < 2 or not all(isinstance(r, MultilevelResult) for r in results):
        raise ParameterError("`compare_fits` needs two or more results of `mixed_model` (or `dyadic_diary`), "
                             f"but got {[type(r).__name__ for r in results]}.")  # fmt: skip
    names = [f"Model {i + 1}" for i in range(len(results))] if labels is None else _as_list(labels)
    if len(names) != len(results):
        raise ParameterError(f"`labels` has {len(names)} names for {len(results)} models; pass one per model.")
    fits = pd.concat([r.fit for r in results], ignore_index=True)
    if fits["method"].nunique() > 1:
        raise ParameterError(f"The models were fitted by different methods ({', '.join(fits['method'])}); "
                             "log-likelihoods compare only under one method.")  # fmt: skip
    if fits["n"].nunique() > 1:
        raise DataError(f"The models were fitted to different numbers of rows ({', '.join(map(str, fits['n']))}); "
                        "log-likelihoods compare only on the same rows (see each result's `.excluded`).")  # fmt: skip
    phi = [r.variances.loc[r.variances["parameter"] == "phi", "estimate"] for r in results]
    return pd.DataFrame({"model": names, "n": fits["n"], "method": fits["method"],
                         "n_parameters": fits["n_parameters"], "loglik": fits["loglik"], "aic": fits["aic"],
                         "bic": fits["bic"], "loglik_change": fits["loglik"].diff(),
                         "phi": [float(p.iloc[0]) if len(p) else np.nan for p in phi]})  # fmt: skip


def compare_fits_sentence(comparison: pd.DataFrame) -> str:
    """One sentence on how the log-likelihood changed from model to model (`compare_fits`).

    Parameters
    ----------
    comparison : pandas.DataFrame
        The table returned by `compare_fits`.

    Returns
    -------
    str
        E.g. ``"Adding the random slope changed the log-likelihood from −1,234.56 to
        −1,220.10, and AR(1) residuals to −1,210.00 (φ = .21)."``: each label after the first
        is read as what its model adds; φ is given where a model first has AR(1) residuals.

    Raises
    ------
    ParameterError
        `comparison` is not a `compare_fits` table of two or more models.

    See Also
    --------
    compare_fits

    Notes
    -----
    The numbers are the ``loglik`` (and ``phi``) columns of `comparison`, formatted with
    `analysis.apa.format_value` (φ without a leading zero).

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import compare_fits_sentence
    >>> table = pd.DataFrame({"model": ["random intercept", "the random slope", "AR(1) residuals"],
    ...                       "loglik": [-1250.4, -1231.2, -1220.9], "phi": [float("nan"), float("nan"), 0.21]})
    >>> print(compare_fits_sentence(table))  # doctest: +NORMALIZE_WHITESPACE
    Adding the random slope changed the log-likelihood from −1250.40 to −1231.20,
    and AR(1) residuals to −1220.90 (φ = .21).
    """
    if not isinstance(comparison, pd.DataFrame) or len(comparison) < 2 \
            or not {"model", "loglik", "phi"} <= set(comparison.columns):
        raise ParameterError("`comparison` must be the table returned by `compare_fits` (two or more models).")
    rows = comparison.reset_index(drop=True)
    steps = []
    for i in range(1, len(rows)):
        text = f"{rows['model'][i]} to {apa.format_value(rows['loglik'][i])}"
        if pd.notna(rows["phi"][i]) and (i == 0 or pd.isna(rows["phi"][i - 1])):
            text += f" ({apa.format_stat('φ', rows['phi'][i], bounded=True)})"
        steps.append(text)
    first = steps[0].replace(" to ", f" changed the log-likelihood from {apa.format_value(rows['loglik'][0])} to ", 1)
    rest = steps[1:]
    if not rest:
        return f"Adding {first}."
    return f"Adding {first}, " + ", ".join(rest[:-1]) + (", " if len(rest) > 1 else "") + f"and {rest[-1]}."
