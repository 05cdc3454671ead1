"""Effect sizes and multiplicity: partial eta squared, Cohen's d, adjusted p values and the
smallest effect a sample can detect (sensitivity power analysis), with APA sentences."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import optimize, special, stats
from statsmodels.stats.anova import anova_lm

from analysis._checks import _check_level, _check_one_of, _require_columns
from analysis._compat import renamed_parameter
from analysis.apa import format_ci, format_p, format_stat, format_value
from analysis.exceptions import DataError, ParameterError
from analysis.models._formula import _numeric_outcome, _prepare, _rhs

__all__ = ["partial_eta_squared", "cohens_d", "p_adjust", "family_of_tests", "minimal_detectable_effect",
           "partial_eta_squared_sentence", "cohens_d_sentence", "p_adjust_sentence",
           "minimal_detectable_effect_sentence"]

_P_METHODS = ("holm", "fdr_bh", "bonferroni", "hochberg", "fdr_by")
_P_NAMES = {"holm": "Holm's (1979)", "fdr_bh": "the Benjamini-Hochberg (1995) false discovery rate",
            "bonferroni": "the Bonferroni", "hochberg": "Hochberg's (1988)",
            "fdr_by": "the Benjamini-Yekutieli (2001) false discovery rate"}  # fmt: skip


def _root(f, lo: float, hi: float) -> float:
    """Root of a monotone f in [lo, hi], widening the bracket until f changes sign."""
    for _ in range(60):
        if np.sign(f(lo)) != np.sign(f(hi)):
            return optimize.brentq(f, lo, hi, xtol=1e-14, rtol=1e-14, maxiter=500)
        lo, hi = lo - (hi - lo), hi + (hi - lo)
    raise ParameterError("No solution was found; check the arguments.")


def partial_eta_squared(
    data: pd.DataFrame, formula: str, *, ss_type: int = 2, ci: float = 0.95
) -> pd.DataFrame:
    """Partial eta squared of each term of a linear model, with a noncentral-F interval.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation. Not modified.
    formula : str
        Patsy formula of the linear model (numeric outcome).
    ss_type : {2, 3}, optional
        Sums of squares: Type II (default; each term adjusted for every term that does not contain
        it) or Type III (each term adjusted for all others; use sum-to-zero contrasts,
        ``C(g, Sum)``, and centred covariates for Type III tests of main effects to be meaningful).
    ci : float, optional
        Confidence level of the two-sided interval (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row per term (the intercept omitted): ``term``, ``sum_sq``, ``df``, ``df_error``,
        ``statistic`` (F), ``p_value``, ``partial_eta_sq`` (SS_term / (SS_term + SS_error)),
        ``ci_low``, ``ci_high``, ``n``, ``n_excluded`` (rows dropped for missing values).
        ``df.attrs`` holds ``ss_type`` and ``ci``.

    Raises
    ------
    DataError
        As :func:`analysis.models.regression.ols` (unknown column, non-numeric outcome, ...).
    ParameterError
        A malformed formula or a bad `ss_type` or `ci`.

    See Also
    --------
    partial_eta_squared_sentence, analysis.models.regression.ols

    Notes
    -----
    Sums of squares from ``statsmodels`` ``anova_lm``, identical to ``car::Anova(type = 2/3)``;
    partial eta squared is ``effectsize::eta_squared(partial = TRUE)``. The interval inverts the
    noncentral F: the noncentrality L with ``P(F' <= F_obs; df, df_error, L) = (1 + ci) / 2``
    (lower) or ``(1 - ci) / 2`` (upper), converted as ``L / (L + df + df_error + 1)``
    (Steiger, 2004; effectsize's conversion). A bound whose L would be negative is 0. effectsize
    reports a one-sided interval by default; this one is two-sided (as MBESS). Rows with a
    missing value in a variable of the formula are left out (counted in ``n_excluded``).

    References
    ----------
    Steiger, J. H. (2004). Beyond the F test: Effect size confidence intervals and tests of
    close fit in the analysis of variance and contrast analysis. Psychological Methods, 9(2),
    164-182.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import partial_eta_squared
    >>> rng = np.random.default_rng(4)
    >>> data = pd.DataFrame({"x": rng.normal(size=120), "g": ["a", "b", "c"] * 40})
    >>> data["y"] = 0.5 * data["x"] + (data["g"] == "c") + rng.normal(size=120)
    >>> out = partial_eta_squared(data, "y ~ x + C(g)")
    >>> print(out[["term", "df", "partial_eta_sq", "ci_low", "ci_high"]].round(3).to_string(index=False))
    term  df  partial_eta_sq  ci_low  ci_high
    C(g)   2           0.214   0.089    0.329
       x   1           0.097   0.019    0.206
    """
    _check_one_of("ss_type", ss_type, (2, 3))
    _check_level("ci", ci)
    design = _prepare(data, formula)
    _numeric_outcome(design)
    _rhs(design)  # constant / collinear predictors and too few rows raise here
    model = smf.ols(formula, data=design.rows, eval_env={"np": np}).fit()
    table = anova_lm(model, typ=ss_type)
    ss_error, df_error = table.loc["Residual", "sum_sq"], table.loc["Residual", "df"]
    table = table.drop(index=[t for t in ("Residual", "Intercept") if t in table.index])
    rows = []
    for term, r in table.iterrows():
        F, df1 = r["F"], r["df"]
        bounds = []
        for p in ((1 + ci) / 2, (1 - ci) / 2):
            def cdf(L, p=p, F=F, df1=df1):
                dist = stats.ncf(df1, df_error, L) if L > 0 else stats.f(df1, df_error)
                return dist.cdf(F) - p

            L = 0.0 if cdf(0.0) <= 0 else _root(cdf, 0.0, max(10.0, 4 * F * df1))
            bounds.append(L / (L + df1 + df_error + 1))
        rows.append({"term": term, "sum_sq": r["sum_sq"], "df": int(df1), "df_error": int(df_error),
                     "statistic": F, "p_value": r["PR(>F)"],
                     "partial_eta_sq": r["sum_sq"] / (r["sum_sq"] + ss_error),
                     "ci_low": bounds[0], "ci_high": bounds[1], "n": int(model.nobs),
                     "n_excluded": len(design.excluded)})  # fmt: skip
    out = pd.DataFrame(rows)
    out.attrs = {"ss_type": ss_type, "ci": ci}
    return out


@renamed_parameter(dv="y")  # 0.1 name, until 0.3
def cohens_d(data: pd.DataFrame, *, y: str, group: str, ci: float = 0.95) -> pd.DataFrame:
    """Cohen's d for two independent groups, with a noncentral-t interval and Hedges' g.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation. Not modified.
    y : str
        Numeric outcome column. The 0.1 keyword ``dv`` still works with a DeprecationWarning
        until 0.3.
    group : str
        Column with exactly two groups; the first group is the first category of an ordered
        categorical, otherwise the smaller value in sort order. d > 0 when group 1 scores higher.
    ci : float, optional
        Confidence level (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row: ``group1``, ``group2``, ``n1``, ``n2``, ``mean1``, ``mean2``, ``sd_pooled``,
        ``cohen_d`` ((mean1 - mean2) / sd_pooled), ``ci_low``, ``ci_high``, ``hedges_g`` (d times
        the exact small-sample correction J(df)), ``statistic`` (Student's t), ``df``,
        ``p_value``, ``n_excluded`` (rows with a missing `y` or `group`). ``df.attrs`` holds
        ``ci``.

    Raises
    ------
    DataError
        A missing or non-numeric `y`, not exactly two groups, or a group with fewer than two
        values.
    ParameterError
        A bad `ci`, or both `y` and the old `dv`.

    See Also
    --------
    cohens_d_sentence

    Notes
    -----
    The interval inverts the noncentral t: with ``t = d / sqrt(1/n1 + 1/n2)``, find the
    noncentrality with ``P(T' <= t; df, ncp) = (1 + ci) / 2`` and ``(1 - ci) / 2`` and multiply by
    ``sqrt(1/n1 + 1/n2)`` (Steiger & Fouladi, 1997), as ``MBESS::ci.smd`` and
    ``effectsize::cohens_d``. ``J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))``. Rows with
    a missing `y` or `group` are left out (counted in ``n_excluded``).

    References
    ----------
    Cohen, J. (1988). Statistical power analysis for the behavioral sciences (2nd ed.). Erlbaum.
    Steiger, J. H., & Fouladi, R. T. (1997). Noncentrality interval estimation and the evaluation
    of statistical models. In L. L. Harlow et al. (Eds.), What if there were no significance
    tests? (pp. 221-257). Erlbaum.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import cohens_d
    >>> data = pd.DataFrame({"score": [5.1, 4.8, 6.2, 5.9, 5.5, 4.2, 4.6, 5.3, 3.9, 4.8],
    ...                      "group": ["a"] * 5 + ["b"] * 5})
    >>> out = cohens_d(data, y="score", group="group")
    >>> print(out[["cohen_d", "ci_low", "ci_high"]].round(3).to_string(index=False))
     cohen_d  ci_low  ci_high
       1.691   0.172    3.138
    """
    _require_columns(data, [y, group])
    _check_level("ci", ci)
    x = data[y]
    if not pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x):
        raise DataError(f"The outcome {y!r} is not numeric (dtype {x.dtype}); convert it to numbers first.")
    keep = x.notna() & data[group].notna()
    g = data.loc[keep, group]
    levels = [c for c in g.cat.categories if (g == c).any()] if isinstance(g.dtype, pd.CategoricalDtype) \
        else sorted(g.unique())  # fmt: skip
    if len(levels) != 2:
        raise DataError(f"Column {group!r} must have exactly two groups (after dropping missing values), "
                        f"but it has {len(levels)}: {', '.join(map(repr, levels[:6]))}.")  # fmt: skip
    a, b = (x[keep][g == lv].to_numpy(dtype=float) for lv in levels)
    if min(len(a), len(b)) < 2:
        raise DataError(f"Each group of {group!r} needs at least two values of {y!r}.")
    n1, n2 = len(a), len(b)
    df = n1 + n2 - 2
    sp = np.sqrt(((n1 - 1) * a.var(ddof=1) + (n2 - 1) * b.var(ddof=1)) / df)
    if sp == 0:
        raise DataError(f"{y!r} is constant within both groups; Cohen's d is undefined.")
    d = (a.mean() - b.mean()) / sp
    scale = np.sqrt(1 / n1 + 1 / n2)
    t = d / scale
    lo, hi = (_root(lambda nc, p=p: stats.nct.cdf(t, df, nc) - p, t - 5, t + 5) * scale
              for p in ((1 + ci) / 2, (1 - ci) / 2))  # fmt: skip
    J = np.exp(special.gammaln(df / 2) - np.log(np.sqrt(df / 2)) - special.gammaln((df - 1) / 2))
    out = pd.DataFrame([{
        "group1": getattr(levels[0], "item", lambda: levels[0])(),
        "group2": getattr(levels[1], "item", lambda: levels[1])(),
        "n1": n1, "n2": n2, "mean1": a.mean(), "mean2": b.mean(),
        "sd_pooled": sp, "cohen_d": d, "ci_low": lo, "ci_high": hi, "hedges_g": d * J, "statistic": t,
        "df": df, "p_value": 2 * stats.t.sf(abs(t), df), "n_excluded": int((~keep).sum()),
    }])  # fmt: skip
    out.attrs = {"ci": ci}
    return out


def p_adjust(p_values: Sequence[float] | pd.Series, *, method: str = "holm"):
    """Adjust p values for multiple testing, as R's ``p.adjust``.

    Parameters
    ----------
    p_values : sequence of float or pandas.Series
        P values in [0, 1]; missing values (NaN) stay missing and are not counted as tests.
    method : {"holm", "fdr_bh", "bonferroni", "hochberg", "fdr_by"}, optional
        Holm (default), Benjamini-Hochberg FDR (R's ``"BH"``), Bonferroni, Hochberg, or
        Benjamini-Yekutieli FDR (``"BY"``).

    Returns
    -------
    numpy.ndarray or pandas.Series
        Adjusted p values in the input order (a Series, with the same index, for a Series).

    Raises
    ------
    ParameterError
        An unknown `method`, or values that are not numbers in [0, 1].

    See Also
    --------
    p_adjust_sentence

    Notes
    -----
    With m non-missing p values sorted ascending, p_(1) <= ... <= p_(m): Bonferroni
    ``min(1, m p)``; Holm ``min(1, max_{j<=i} (m - j + 1) p_(j))``; Hochberg
    ``min(1, min_{j>=i} (m - j + 1) p_(j))``; BH ``min(1, min_{j>=i} m / j p_(j))``; BY as BH
    times ``sum_{k<=m} 1/k``. Matches ``stats::p.adjust`` (tests/reference/effect_sizes.R).

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics, 6(2), 65-70.
    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate. Journal of the
    Royal Statistical Society B, 57(1), 289-300.

    Examples
    --------
    >>> from analysis import p_adjust
    >>> p_adjust([0.01, 0.04, 0.03, 0.20], method="holm")
    array([0.04, 0.09, 0.09, 0.2 ])
    """
    _check_one_of("method", method, _P_METHODS)
    try:
        p = np.asarray(p_values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ParameterError("`p_values` must be numbers between 0 and 1.") from None
    ok = ~np.isnan(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        bad = float(p[ok][(p[ok] < 0) | (p[ok] > 1)][0])
        raise ParameterError(f"`p_values` must lie in [0, 1], but {bad!r} was passed.")
    q, m = p[ok], int(ok.sum())
    out = np.full(p.shape, np.nan)
    if m:
        asc = np.argsort(q, kind="stable")
        rank = np.arange(1, m + 1)
        if method == "bonferroni":
            adj = m * q
        elif method == "holm":
            adj = np.empty(m)
            adj[asc] = np.maximum.accumulate((m - rank + 1) * q[asc])
        else:
            desc = asc[::-1]
            i = rank[::-1]  # the rank of each p in descending order
            factor = {"hochberg": m - i + 1, "fdr_bh": m / i,
                      "fdr_by": m / i * np.sum(1 / rank)}[method]  # fmt: skip
            adj = np.empty(m)
            adj[desc] = np.minimum.accumulate(factor * q[desc])
        out[ok] = np.minimum(1.0, adj)
    if isinstance(p_values, pd.Series):
        return pd.Series(out, index=p_values.index, name=p_values.name)
    return out


#: column name of each p.adjust method in `family_of_tests`
_P_COLUMNS = {"holm": "p_holm", "fdr_bh": "p_bh", "bonferroni": "p_bonferroni", "hochberg": "p_hochberg",
              "fdr_by": "p_by"}  # fmt: skip


def family_of_tests(coefficients: pd.DataFrame, *, terms: Sequence[str],
                    methods: Sequence[str] = ("holm", "fdr_bh")) -> pd.DataFrame:  # fmt: skip
    """Several coefficients of one model read as one family of tests: their p values adjusted
    for multiplicity by each method in `methods` (as R's ``p.adjust``).

    Parameters
    ----------
    coefficients : pandas.DataFrame
        A model's tidy coefficients (``term``, ``estimate``, ``p_value``; ``std_estimate`` is
        kept when present), e.g. ``ols(...).coefficients``.
    terms : sequence of str
        The terms that form the family, in the order wanted.
    methods : sequence of str, default ("holm", "fdr_bh")
        Adjustment methods of :func:`p_adjust`.

    Returns
    -------
    pandas.DataFrame
        One row per term: ``term``, ``estimate``, ``std_estimate`` (if the model has it),
        ``p_value`` (unadjusted), then one column per method: ``p_holm``, ``p_bh``,
        ``p_bonferroni``, ``p_hochberg``, ``p_by``.

    Raises
    ------
    ParameterError
        A term the model does not have, or an unknown method.

    Examples
    --------
    >>> import pandas as pd
    >>> coef = pd.DataFrame({"term": ["Intercept", "a", "b"], "estimate": [1.0, 0.2, 0.1],
    ...                      "p_value": [0.001, 0.01, 0.04]})
    >>> family_of_tests(coef, terms=["a", "b"])
      term  estimate  p_value  p_holm  p_bh
    1    a       0.2     0.01    0.02  0.02
    2    b       0.1     0.04    0.04  0.04
    """
    for method in methods:
        _check_one_of("method", method, _P_METHODS)
    absent = [t for t in terms if t not in set(coefficients["term"])]
    if absent:
        raise ParameterError(f"`terms` names {absent}, which the model does not have; terms: "
                             f"{', '.join(map(repr, coefficients['term']))}.")  # fmt: skip
    keep = [c for c in ("term", "estimate", "std_estimate", "p_value") if c in coefficients.columns]
    family = coefficients[coefficients["term"].isin(list(terms))][keep]
    return family.assign(**{_P_COLUMNS[m]: p_adjust(family["p_value"], method=m) for m in methods})


def _power_r(r: float, n: int, alpha: float) -> float:
    """Power of the two-sided test of a correlation (pwr::pwr.r.test's formula)."""
    t = stats.t.isf(alpha / 2, n - 2)
    rc = np.sqrt(t**2 / (t**2 + n - 2))
    zr, zrc = np.arctanh(r) + r / (2 * (n - 1)), np.arctanh(rc)
    return stats.norm.cdf((zr - zrc) * np.sqrt(n - 3)) + stats.norm.cdf((-zr - zrc) * np.sqrt(n - 3))


def _power_f2(f2: float, n: int, u: int, alpha: float) -> float:
    """Power of the F test of R² with u predictors (pwr::pwr.f2.test, G*Power: lambda = f2 n)."""
    v = n - u - 1
    return stats.ncf.sf(stats.f.isf(alpha, u, v), u, v, f2 * n)


def minimal_detectable_effect(n: int, *, kind: str = "r", n_predictors: int = 1, power: float = 0.8,
                              alpha: float = 0.05) -> pd.DataFrame:  # fmt: skip
    """Sensitivity analysis: the smallest effect detectable with the given power at this n.

    Parameters
    ----------
    n : int
        Sample size used (complete cases of the analysis).
    kind : {"r", "f2"}, optional
        ``"r"`` (default): a correlation, two-sided test; ``"f2"``: Cohen's f² of `n_predictors`
        predictors tested together (R² deviation from zero).
    n_predictors : int, optional
        Number of predictors tested (``kind="f2"``; must be 1 for ``"r"``).
    power : float, optional
        Target power (default 0.8).
    alpha : float, optional
        Significance level of the test (default 0.05; two-sided for ``"r"``). A test's level,
        not an interval's, so it keeps the name `alpha` (see ``docs/api.md``).

    Returns
    -------
    pandas.DataFrame
        One row: ``kind``, ``n``, ``n_predictors``, ``alpha``, ``power``, ``effect`` (r or f²),
        ``r2`` (r² or f² / (1 + f²)).

    Raises
    ------
    ParameterError
        A non-integer or too small `n`, bad `kind`, `n_predictors`, `power` or `alpha`.

    See Also
    --------
    minimal_detectable_effect_sentence

    Notes
    -----
    Solves power(effect) = `power` by Brent's method. For r the power is pwr's
    ``pwr.r.test`` formula (Fisher z with bias term; Cohen, 1988), within about .001 of G*Power's
    exact bivariate-normal model; for f² it is the noncentral F with ``lambda = f² n`` and
    ``(n_predictors, n - n_predictors - 1)`` df (``pwr.f2.test``; G*Power's "Linear multiple
    regression: fixed model, R² deviation from zero").

    References
    ----------
    Cohen, J. (1988). Statistical power analysis for the behavioral sciences (2nd ed.). Erlbaum.
    Faul, F., Erdfelder, E., Buchner, A., & Lang, A.-G. (2009). Statistical power analyses using
    G*Power 3.1. Behavior Research Methods, 41(4), 1149-1160.

    Examples
    --------
    >>> from analysis import minimal_detectable_effect
    >>> print(minimal_detectable_effect(120)[["n", "effect"]].round(3).to_string(index=False))
      n  effect
    120   0.252
    """
    _check_one_of("kind", kind, ("r", "f2"))
    _check_level("power", power)
    _check_level("alpha", alpha)
    if not isinstance(n_predictors, numbers.Integral) or isinstance(n_predictors, bool) or n_predictors < 1 \
            or (kind == "r" and n_predictors != 1):  # fmt: skip
        raise ParameterError("`n_predictors` must be a positive integer (1 for kind='r'), but "
                             f"{n_predictors!r} was passed.")  # fmt: skip
    need = 4 if kind == "r" else n_predictors + 2
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < need:
        raise ParameterError(f"`n` must be an integer of at least {need}, but {n!r} was passed.")
    if power <= alpha:
        raise ParameterError(f"`power` ({power}) must exceed `alpha` ({alpha}).")
    if kind == "r":
        effect = optimize.brentq(lambda r: _power_r(r, n, alpha) - power, 1e-9, 1 - 1e-12,
                                 xtol=1e-15, rtol=1e-14)  # fmt: skip
        r2 = effect**2
    else:
        effect = _root(lambda f: _power_f2(f, n, n_predictors, alpha) - power, 1e-9, 10.0)
        r2 = effect / (1 + effect)
    return pd.DataFrame([{"kind": kind, "n": int(n), "n_predictors": int(n_predictors), "alpha": alpha,
                          "power": power, "effect": effect, "r2": r2}])  # fmt: skip


# ------------------------------------------------------------------------------------------------
# sentences
# ------------------------------------------------------------------------------------------------


def partial_eta_squared_sentence(table: pd.DataFrame, term: str) -> str:
    """Report one term of a :func:`partial_eta_squared` table as an APA sentence.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`partial_eta_squared` (its ``attrs`` give the CI level and the type of
        sums of squares).
    term : str
        The term to report, as in the table's ``term`` column (``"x"``, ``"C(g)"``).

    Returns
    -------
    str
        ``For <term>, F(df, df_error) = ..., p ..., partial η² = ..., <ci>% CI [..., ...]
        (Type II sums of squares).`` (plain Unicode text).

    Raises
    ------
    ParameterError
        If the table has no row for `term` (the message lists the terms).

    See Also
    --------
    partial_eta_squared

    Notes
    -----
    APA style (Publication Manual, 7th ed., sections 6.36 and 6.43): F with two decimals,
    ``p < .001`` or an exact three-decimal p, partial η² and its limits without a leading zero
    because they cannot exceed 1. The sums-of-squares type is left out when the table does not
    record it.

    References
    ----------
    American Psychological Association. (2020). Publication manual of the American
    Psychological Association (7th ed.). https://doi.org/10.1037/0000165-000

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import partial_eta_squared
    >>> from analysis.models.effect_sizes import partial_eta_squared_sentence
    >>> rng = np.random.default_rng(4)
    >>> data = pd.DataFrame({"x": rng.normal(size=120), "g": ["a", "b", "c"] * 40})
    >>> data["y"] = 0.5 * data["x"] + (data["g"] == "c") + rng.normal(size=120)
    >>> partial_eta_squared_sentence(partial_eta_squared(data, "y ~ x + C(g)"), "x")
    'For x, F(1, 116) = 12.40, p < .001, partial η² = .10, 95% CI [.02, .21] (Type II sums of squares).'
    """
    rows = table[table["term"] == term]
    if rows.empty:
        raise ParameterError(f"The table has no term {term!r}; terms: {', '.join(map(repr, table['term']))}.")
    r = rows.iloc[0]
    level = table.attrs.get("ci", 0.95)
    roman = {2: "II", 3: "III"}.get(table.attrs.get("ss_type"), "")
    return (f"For {term}, F({int(r['df'])}, {int(r['df_error'])}) = {format_value(r['statistic'])}, "
            f"{format_p(r['p_value'])}, {format_stat('partial η²', r['partial_eta_sq'], bounded=True)}, "
            f"{format_ci(r['ci_low'], r['ci_high'], level=level, bounded=True)}"
            + (f" (Type {roman} sums of squares)." if roman else "."))  # fmt: skip


def cohens_d_sentence(table: pd.DataFrame) -> str:
    """Report a :func:`cohens_d` table as an APA sentence.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`cohens_d` (one row; ``attrs["ci"]`` gives the CI level, 0.95 if
        absent).

    Returns
    -------
    str
        ``Cohen’s d = ..., <ci>% CI [..., ...] (<group1>: n = ...; <group2>: n = ...).``
        (plain Unicode text; whole-number group values without ``.0``).

    See Also
    --------
    cohens_d

    Notes
    -----
    d and its limits with two decimals and a leading zero (d is not bounded by 1), a real
    minus sign, and group sizes with thousands separators (APA Publication Manual, 7th ed.,
    sections 6.36 and 6.43).

    References
    ----------
    American Psychological Association. (2020). Publication manual of the American
    Psychological Association (7th ed.). https://doi.org/10.1037/0000165-000

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import cohens_d
    >>> from analysis.models.effect_sizes import cohens_d_sentence
    >>> data = pd.DataFrame({"score": [5.1, 4.8, 6.2, 5.9, 5.5, 4.2, 4.6, 5.3, 3.9, 4.8],
    ...                      "group": ["a"] * 5 + ["b"] * 5})
    >>> cohens_d_sentence(cohens_d(data, y="score", group="group"))
    'Cohen’s d = 1.69, 95% CI [0.17, 3.14] (a: n = 5; b: n = 5).'
    """
    r = table.iloc[0]
    g1, g2 = (_label(table[c].iloc[0]) for c in ("group1", "group2"))
    return (f"{format_stat('Cohen’s d', r['cohen_d'])}, "
            f"{format_ci(r['ci_low'], r['ci_high'], level=table.attrs.get('ci', 0.95))} "
            f"({g1}: n = {int(r['n1']):,}; {g2}: n = {int(r['n2']):,}).")  # fmt: skip


def _label(value) -> str:
    """A group value for text: whole floats without ``.0``."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def p_adjust_sentence(p_values: Sequence[float] | pd.Series, *, method: str = "holm") -> str:
    """Say in one sentence how p values were adjusted for multiple testing.

    Parameters
    ----------
    p_values : sequence of float or pandas.Series
        The unadjusted p values of the family (as passed to :func:`p_adjust`); missing values
        are not counted as tests.
    method : {"holm", "fdr_bh", "bonferroni", "hochberg", "fdr_by"}, optional
        The adjustment method (default ``"holm"``).

    Returns
    -------
    str
        ``P values were adjusted for <m> tests with <method> method.``, the method named with
        its reference (``Holm's (1979)``, ``the Benjamini-Hochberg (1995) false discovery
        rate``, ...).

    Raises
    ------
    ParameterError
        An unknown `method`.

    See Also
    --------
    p_adjust, family_of_tests

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics, 6(2), 65-70.
    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate. Journal of the
    Royal Statistical Society B, 57(1), 289-300.

    Examples
    --------
    >>> from analysis.models.effect_sizes import p_adjust_sentence
    >>> p_adjust_sentence([0.01, 0.04, 0.03, float("nan")], method="fdr_bh")
    'P values were adjusted for 3 tests with the Benjamini-Hochberg (1995) false discovery rate method.'
    """
    _check_one_of("method", method, _P_METHODS)
    m = int(np.sum(~np.isnan(np.asarray(p_values, dtype=float))))
    return f"P values were adjusted for {m} test{'' if m == 1 else 's'} with {_P_NAMES[method]} method."


def minimal_detectable_effect_sentence(table: pd.DataFrame) -> str:
    """Report a sensitivity power analysis (:func:`minimal_detectable_effect`) as an APA sentence.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`minimal_detectable_effect` (one row: ``kind``, ``n``,
        ``n_predictors``, ``alpha``, ``power``, ``effect``, ``r2``).

    Returns
    -------
    str
        For ``kind="r"``: ``With n = ... and α = ... (two-sided), a correlation of r = ... or
        larger is detected with ...% power.`` For ``kind="f2"``: ``With n = ... and α = ..., an
        effect of k predictors of f² = ... (R² = ...) or larger is detected with ...% power.``
        (plain Unicode text).

    See Also
    --------
    minimal_detectable_effect

    Notes
    -----
    Numbers follow the APA Publication Manual (7th ed., sections 6.36 and 6.43): α with up to
    three decimals (trailing zeros dropped: ``.05``, ``.005``), r and R² with two decimals and
    no leading zero (they cannot exceed 1), f² with two decimals and a leading zero, power as
    a whole percentage, n with thousands separators. Reporting the smallest detectable effect
    of the sample actually analysed is the sensitivity analysis of G*Power (Faul et al., 2009).

    References
    ----------
    American Psychological Association. (2020). Publication manual of the American
    Psychological Association (7th ed.). https://doi.org/10.1037/0000165-000
    Faul, F., Erdfelder, E., Buchner, A., & Lang, A.-G. (2009). Statistical power analyses using
    G*Power 3.1. Behavior Research Methods, 41(4), 1149-1160.

    Examples
    --------
    >>> from analysis import minimal_detectable_effect, minimal_detectable_effect_sentence
    >>> minimal_detectable_effect_sentence(minimal_detectable_effect(120))
    'With n = 120 and α = .05 (two-sided), a correlation of r = .25 or larger is detected with 80% power.'
    >>> minimal_detectable_effect_sentence(minimal_detectable_effect(120, kind="f2", n_predictors=3))
    'With n = 120 and α = .05, an effect of 3 predictors of f² = 0.09 (R² = .09) or larger is detected with 80% power.'
    """
    r = table.iloc[0]
    head = f"With n = {int(r['n']):,} and {format_stat('α', r['alpha'], 3, bounded=True).rstrip('0')}"
    pw = f"{format_value(100 * r['power'], 0)}% power"
    if r["kind"] == "r":
        return (f"{head} (two-sided), a correlation of {format_stat('r', r['effect'], bounded=True)} "
                f"or larger is detected with {pw}.")  # fmt: skip
    k = int(r["n_predictors"])
    return (f"{head}, an effect of {k} predictor{'s' if k > 1 else ''} of {format_stat('f²', r['effect'])} "
            f"({format_stat('R²', r['r2'], bounded=True)}) or larger is detected with {pw}.")  # fmt: skip
