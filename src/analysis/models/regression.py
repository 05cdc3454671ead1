"""Regression with a formula interface: OLS (classical, HC3 or cluster-robust standard errors, with
assumption checks in ``.diagnostics``), binary logistic, proportional-odds ordinal and
censored-normal (tobit) regression, each matched to R.

Every function takes ``data`` and a patsy formula (``"y ~ x1 + C(group) + x1:x2"``), drops the
rows with a missing value in a variable of the formula (listed in ``.excluded``), checks the
outcome and the design, fits, and returns a :class:`RegressionResult`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy
from scipy import stats
from statsmodels.discrete.discrete_model import Logit  # not statsmodels.api: its import costs ~0.4 s more
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

from analysis._checks import _check_level, _check_one_of, _require_columns
from analysis._compat import REMOVED_IN, renamed_parameter
from analysis.apa import HtmlBlock, apa_table, format_ci, format_p, format_stat, format_value
from analysis.exceptions import AnalysisWarning, ConvergenceWarning, DataError, ParameterError
from analysis.models._formula import (
    _ENV,
    _Design,
    _fit_row,
    _names,
    _numeric_outcome,
    _prepare,
    _rhs,
    _wald_table,
)
from analysis.models.regression_diagnostics import RegressionDiagnostics, _ols_diagnostics

__all__ = ["RegressionResult", "ols", "logistic_regression"]


@dataclass(frozen=True)
class RegressionResult:
    """A fitted regression (OLS, logistic, ordinal or tobit): tidy tables and APA output.

    Returned by :func:`ols`, :func:`logistic_regression`,
    :func:`~analysis.models.limited_outcomes.ordinal_regression` and
    :func:`~analysis.models.limited_outcomes.tobit`; the columns of ``coefficients`` and ``fit``
    depend on the model and are listed in each function's Returns section.

    Attributes
    ----------
    model : str
        ``"ols"``, ``"logistic"``, ``"ordinal"`` or ``"tobit"``.
    formula : str
        The formula as passed.
    outcome : str
        The left-hand side of the formula.
    coefficients : pandas.DataFrame
        One row per coefficient: ``term``, ``estimate``, ``se``, ``statistic``, ``p_value``,
        ``ci_low``, ``ci_high`` and the model's further columns.
    fit : pandas.DataFrame
        One row of model statistics, ``n`` (rows used) and ``n_excluded`` first.
    excluded : pandas.DataFrame
        One row per row of `data` left out: ``row`` (index label in `data`) and ``reason``
        (e.g. ``"missing value in x, y"``), then ``dyad`` and ``person`` (the ids) when
        :func:`ols` got those columns.
    ci : float
        Confidence level of the intervals (e.g. 0.95).
    diagnostics : RegressionDiagnostics or None
        OLS only: Breusch-Pagan and Shapiro-Wilk tests, influence per row and VIFs
        (:class:`~analysis.models.regression_diagnostics.RegressionDiagnostics`); None for the
        other models.
    dyad : str or None
        The cluster (couple) id column of cluster-robust standard errors, else None.

    See Also
    --------
    ols, logistic_regression

    Notes
    -----
    ``alpha`` (1 - `ci`), the 0.1 name of the level, still works with a DeprecationWarning and
    stops working in 0.3.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import ols
    >>> data = pd.DataFrame({"y": [1, 3, 2, 5, 4, 6, None], "x": [1, 2, 3, 4, 5, 6, 7]})
    >>> res = ols(data, "y ~ x")
    >>> res.ci, int(res.fit["n"].item()), int(res.fit["n_excluded"].item())
    (0.95, 6, 1)
    >>> print(res.excluded.to_string(index=False))
     row             reason
       6 missing value in y
    """

    model: str
    formula: str
    outcome: str
    coefficients: pd.DataFrame
    fit: pd.DataFrame
    excluded: pd.DataFrame
    ci: float
    diagnostics: RegressionDiagnostics | None = None
    dyad: str | None = None

    @property
    def alpha(self) -> float:
        """1 - `ci` (deprecated: use ``.ci``, the confidence level)."""
        warnings.warn(f"`RegressionResult.alpha` is now `.ci` (the confidence level; alpha = 1 - ci); the old "
                      f"name stops working in {REMOVED_IN}.", DeprecationWarning, stacklevel=2)  # fmt: skip
        return 1 - self.ci

    def table(self, *, title: str | None = None, number: int | None = None,
              labels: dict | None = None) -> HtmlBlock:  # fmt: skip
        """The coefficients as an APA table (`title` defaults to the model and outcome; the note
        gives n, the rows excluded, the CI level and the standard-error type; `labels` renames
        terms and names in the title, e.g. ``Dataset.display_labels()``)."""
        cols = {"ols": ["term", "estimate", "se", "statistic", "df", "p_value", "ci_low", "ci_high",
                        "std_estimate", "partial_r", "vif"],
                "logistic": ["term", "estimate", "se", "statistic", "p_value", "odds_ratio",
                             "or_ci_low", "or_ci_high"],
                "ordinal": ["term", "part", "estimate", "se", "statistic", "p_value", "ci_low",
                            "ci_high", "odds_ratio"],
                "tobit": ["term", "estimate", "se", "statistic", "p_value", "ci_low", "ci_high"]}
        names = {"ols": "Linear regression", "logistic": "Logistic regression",
                 "ordinal": "Ordinal (proportional-odds) regression", "tobit": "Tobit regression"}
        f = self.fit.iloc[0]
        note = f"n = {int(f['n']):,}; {int(f['n_excluded']):,} rows excluded for missing values. "
        note += f"CI = {100 * self.ci:g}% confidence interval."
        if self.model == "ols" and f["se_type"] == "HC3":
            note += " Standard errors are heteroscedasticity-consistent (HC3)."
        elif self.model == "ols" and f["se_type"] == "cluster":
            note += (f" Standard errors are cluster-robust (CR1) by {self.dyad} "
                     f"({int(f['n_clusters']):,} clusters).")  # fmt: skip
        show = [c for c in cols[self.model] if c in self.coefficients.columns]
        shown = self.coefficients[show]
        shown.attrs.update(ci=self.ci, statistic="t" if "df" in show else "z")
        return apa_table(shown, title=title or f"{names[self.model]} of {self.outcome}", number=number, note=note,
                         labels=labels)  # fmt: skip

    def sentence(self, term: str | None = None) -> str:
        """An APA sentence for one coefficient (`term`), or for the whole model (None)."""
        f = self.fit.iloc[0]
        if term is None:
            return _model_sentence(self, f)
        rows = self.coefficients[self.coefficients["term"] == term]
        if rows.empty:
            raise ParameterError(f"The model has no term {term!r}; terms: "
                                 f"{', '.join(map(repr, self.coefficients['term']))}.")  # fmt: skip
        r = rows.iloc[0]
        stat = f"t({int(r['df'])}) = {format_value(r['statistic'])}" if "df" in r else \
            format_stat("z", r["statistic"])  # fmt: skip
        text = (f"The coefficient of {term} on {self.outcome} was {format_stat('b', r['estimate'])}, "
                f"{format_stat('SE', r['se'])}, {stat}, {format_p(r['p_value'])}")  # fmt: skip
        level = self.ci
        if "odds_ratio" in r and not np.isnan(r["odds_ratio"]):
            text += (f", {format_stat('OR', r['odds_ratio'])}, "
                     f"{format_ci(r['or_ci_low'], r['or_ci_high'], level=level)}")  # fmt: skip
        else:
            text += f", {format_ci(r['ci_low'], r['ci_high'], level=level)}"
        if "std_estimate" in r and not np.isnan(r["std_estimate"]):
            text += f", {format_stat('β', r['std_estimate'])}"
        return text + "."


def _model_sentence(res: RegressionResult, f: pd.Series) -> str:
    n = f"n = {int(f['n']):,}" + (f", {int(f['n_excluded']):,} rows excluded for missing values"
                                  if f["n_excluded"] else "")  # fmt: skip
    if res.model == "ols":
        return (f"The predictors explained {format_stat('R²', f['r2'], bounded=True)} of the variance "
                f"in {res.outcome} (adjusted {format_stat('R²', f['adj_r2'], bounded=True)}), "
                f"F({int(f['df1'])}, {int(f['df2'])}) = {format_value(f['statistic'])}, "
                f"{format_p(f['p_value'])}, {format_stat('f²', f['f2'])} ({n}).")  # fmt: skip
    test = "Wald" if res.model == "tobit" else "likelihood-ratio"
    return (f"The {test} test of all predictors of {res.outcome} gave "
            f"χ²({int(f['df'])}) = {format_value(f['statistic'])}, {format_p(f['p_value'])} "
            f"(log-likelihood = {format_value(f['loglik'])}; {n}).")  # fmt: skip


@renamed_parameter(alpha=("ci", lambda a: 1 - a, "ci = 1 - alpha"))  # 0.1 name, until 0.3
def ols(data: pd.DataFrame, formula: str, *, robust: str | None = None, dyad: str | None = None,
        person: str | None = None, ci: float = 0.95) -> RegressionResult:  # fmt: skip
    """Ordinary least squares regression with classical, HC3 or cluster-robust standard errors
    and assumption checks.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation. Not modified.
    formula : str
        Patsy formula ``"y ~ x1 + x2 + C(group)"``; the outcome must be numeric.
    robust : {None, "HC3", "cluster"}, optional
        None (default): classical standard errors; ``"HC3"``: heteroscedasticity-consistent
        (MacKinnon & White, 1985), as ``sandwich::vcovHC(type = "HC3")``; ``"cluster"``:
        cluster-robust by `dyad` (CR1), as ``sandwich::vcovCL(fit, cluster = ~dyad)``. Use
        ``"cluster"`` when both partners of a couple are rows of `data`: their residuals are not
        independent, and classical or HC3 standard errors are then too small.
    dyad : str, optional
        The couple (cluster) id column; required with ``robust="cluster"`` and refused
        otherwise, so that a dyad id never changes the model silently. Rows with a missing id
        are left out (listed in ``.excluded``).
    person : str, optional
        A person id column that names rows in ``.diagnostics`` and ``.excluded`` (the index
        labels of `data` always do, in ``row``); not part of the model.
    ci : float, optional
        Confidence level of the intervals (default 0.95). The 0.1 keyword ``alpha`` (1 - `ci`)
        still works with a DeprecationWarning until 0.3.

    Returns
    -------
    RegressionResult
        ``.coefficients``: ``term``, ``estimate`` (b), ``se``, ``statistic`` (t), ``df``
        (residual df, n - k, for every `robust`), ``p_value``, ``ci_low``, ``ci_high``,
        ``std_estimate`` (beta from the refit on z-scored numeric variables), ``partial_r``
        (t / sqrt(t² + df), classical t), ``vif`` (1 / (1 - R²_j); NaN for the intercept).
        ``.fit``: ``n``, ``n_excluded``, ``r2``, ``adj_r2``, ``f2`` (R² / (1 - R²)),
        ``statistic`` (F of all slopes: classical, or the robust Wald F with HC3 or cluster),
        ``df1``, ``df2``, ``p_value``, ``sigma`` (residual SD), ``se_type`` (``"classical"``,
        ``"HC3"`` or ``"cluster"``), and with ``"cluster"`` ``n_clusters`` (couples among the rows
        used). ``.excluded``: ``row``, ``reason``, ``dyad`` and ``person`` (when given).
        ``.diagnostics``: the assumption checks
        (:class:`~analysis.models.regression_diagnostics.RegressionDiagnostics`: ``.tests``,
        ``.influence``, ``.vif``, ``.sentence()``). ``.ci``: the confidence level.

    Raises
    ------
    DataError
        Unknown column (in `formula`, `dyad` or `person`), non-numeric outcome, an all-missing
        column, a constant or collinear predictor, too few complete rows, or fewer than two
        clusters.
    ParameterError
        A malformed formula, a bad `robust` or `ci`, ``robust="cluster"`` without `dyad` or
        `dyad` without it, or both `ci` and the old `alpha`.

    See Also
    --------
    logistic_regression, analysis.models.regression_diagnostics.RegressionDiagnostics,
    analysis.models.limited_outcomes.ordinal_regression, analysis.models.limited_outcomes.tobit

    Notes
    -----
    ``y = X b + e``; ``b = (X'X)^-1 X'y``, classical covariance ``s² (X'X)^-1``, HC3
    ``(X'X)^-1 X' diag(e_i² / (1 - h_i)²) X (X'X)^-1`` or cluster-robust
    ``G/(G-1) (n-1)/(n-k) (X'X)^-1 (Σ_g X_g' e_g e_g' X_g) (X'X)^-1`` over the G couples
    (``vcovCL``'s default ``type = "HC1"``, ``cadjust = TRUE``; Stata's ``vce(cluster)``).
    Intervals ``b ± t_(1+ci)/2, df · SE`` and t tests on the residual df n - k with every
    `robust`, as ``lmtest::coeftest`` and ``lmtest::coefci`` report for ``lm`` (Stata uses
    G - 1 df for cluster-robust tests, which is more conservative with few couples). The F of
    all slopes with HC3 or cluster is the Wald F ``b' V^-1 b / q`` on (q, n - k) df, as
    ``lmtest::waldtest(fit, vcov = V)`` and ``car::linearHypothesis(test = "F")``.
    Listwise deletion over the formula's variables and `dyad` (every left-out row in
    ``.excluded``). The standardized estimate z-scores the outcome and every numeric (not
    boolean or categorical) variable on the rows used and refits
    (as ``effectsize::standardize_parameters(method = "refit")``); factor dummies stay 0/1.
    ``vif`` is ``car::vif`` for one-df terms (per column of the design; for factors it is not
    the generalized VIF, which ``.diagnostics.vif`` gives). ``partial_r`` equals
    ``ppcor::pcor`` for numeric predictors.
    Matches ``lm``, ``confint``, ``sandwich::vcovHC(type = "HC3")`` with ``lmtest::coeftest``
    and ``car::linearHypothesis(test = "F")`` (tests/reference/regression.R) and
    ``sandwich::vcovCL``, ``lmtest::waldtest`` and the diagnostics' R functions
    (tests/reference/model_checks.R).

    References
    ----------
    MacKinnon, J. G., & White, H. (1985). Some heteroskedasticity-consistent covariance matrix
    estimators with improved finite sample properties. Journal of Econometrics, 29(3), 305-325.
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
    Journal of Human Resources, 50(2), 317-372.
    Fox, J., & Weisberg, S. (2019). An R companion to applied regression (3rd ed.). Sage.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import ols
    >>> data = pd.DataFrame({"y": [1, 3, 2, 5, 4, 6], "x": [1, 2, 3, 4, 5, 6]})
    >>> res = ols(data, "y ~ x")
    >>> print(res.coefficients[["term", "estimate", "se", "p_value"]].round(3).to_string(index=False))
         term  estimate    se  p_value
    Intercept     0.400 0.904    0.681
            x     0.886 0.232    0.019
    >>> res.sentence("x")
    'The coefficient of x on y was b = 0.89, SE = 0.23, t(4) = 3.82, p = .019, 95% CI [0.24, 1.53], β = 0.89.'

    Both partners of each couple as rows, standard errors clustered by couple:

    >>> couples = pd.DataFrame({"couple": [1, 1, 2, 2, 3, 3, 4, 4], "x": [1, 2, 3, 4, 5, 6, 7, 8],
    ...                         "y": [2, 3, 2, 5, 4, 7, 8, 7]})
    >>> res = ols(couples, "y ~ x", robust="cluster", dyad="couple")
    >>> print(res.coefficients[["term", "estimate", "se", "df"]].round(3).to_string(index=False))
         term  estimate    se  df
    Intercept     0.786 0.581   6
            x     0.881 0.090   6
    >>> int(res.fit["n_clusters"].item())
    4
    """
    _check_one_of("robust", robust, (None, "HC3", "cluster"))
    _check_level("ci", ci)
    if robust == "cluster" and dyad is None:
        raise ParameterError("robust='cluster' needs `dyad=`, the column with the couple (cluster) id, e.g. "
                             "ols(data, formula, robust='cluster', dyad='couple_id').")  # fmt: skip
    if dyad is not None and robust != "cluster":
        raise ParameterError(f"`dyad` ({dyad!r}) is used only for cluster-robust standard errors: pass "
                             f"robust='cluster' with it, or leave `dyad` out for robust={robust!r}.")  # fmt: skip
    ids = {role: col for role, col in (("dyad", dyad), ("person", person)) if col is not None}
    _require_columns(data, ids.values())
    design, used = _ols_design(data, formula, ids)
    y = _numeric_outcome(design)
    X = _rhs(design)
    classical = OLS(y, X).fit()
    extra = {}
    if robust == "cluster":
        groups = pd.factorize(used["dyad"])[0]
        extra["n_clusters"] = int(groups.max()) + 1
        if extra["n_clusters"] < 2:
            raise DataError(f"Cluster-robust standard errors need at least two values of {dyad!r} among the "
                            "rows used, but there is one. Check the dyad column.")  # fmt: skip
        res = OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": groups})
    else:
        res = classical if robust is None else OLS(y, X).fit(cov_type="HC3", use_t=True)
    df2 = classical.df_resid
    out = _wald_table(X.columns, res.params.to_numpy(), res.bse.to_numpy(), ci, "t", df2)
    t = classical.tvalues.to_numpy()
    out["std_estimate"] = _standardized(design, X)
    out["partial_r"] = t / np.sqrt(t**2 + df2)
    out["vif"] = _vif(X)
    slopes = [j for j, c in enumerate(X.columns) if c != "Intercept"]
    b, V = res.params.to_numpy()[slopes], np.asarray(res.cov_params())[np.ix_(slopes, slopes)]
    F = float(b @ np.linalg.solve(V, b)) / len(slopes) if slopes else np.nan
    fit = _fit_row(design, int(classical.nobs), r2=classical.rsquared, adj_r2=classical.rsquared_adj,
                   f2=classical.rsquared / (1 - classical.rsquared), statistic=F, df1=len(slopes),
                   df2=int(df2), p_value=stats.f.sf(F, len(slopes), df2),
                   sigma=np.sqrt(classical.scale), se_type=robust or "classical", **extra)  # fmt: skip
    diagnostics = _ols_diagnostics(classical, X, used, design.outcome, person)
    return RegressionResult("ols", formula, design.outcome, out, fit, design.excluded, ci, diagnostics, dyad)


def _ols_design(data: pd.DataFrame, formula: str, ids: dict[str, str]) -> tuple[_Design, pd.DataFrame]:
    """The design of `formula` without the rows whose dyad id is missing, and the ids (``row``,
    ``dyad``, ``person``) of the rows used; ``excluded`` gets the id columns too."""
    frame = data.set_axis(pd.RangeIndex(len(data)), axis=0)  # rows by position: duplicate labels are fine
    design = _prepare(frame, formula)
    reasons = dict(zip(design.excluded["row"], design.excluded["reason"], strict=True))
    rows = design.rows
    if "dyad" in ids:
        col = ids["dyad"]
        missing = frame[col].isna().to_numpy()
        for pos in np.flatnonzero(missing):
            reasons[pos] = f"{reasons[pos]}, {col}" if pos in reasons else f"missing value in {col}"
        rows = rows[~missing[rows.index.to_numpy()]]
    gone = np.array(sorted(reasons), dtype=int)
    excluded = pd.DataFrame({"row": list(data.index[gone]), "reason": [reasons[p] for p in gone]})
    kept = rows.index.to_numpy()
    used = pd.DataFrame({"row": list(data.index[kept])})
    for role, col in ids.items():
        excluded[role] = frame[col].to_numpy()[gone]
        used[role] = frame[col].to_numpy()[kept]
    return _Design(design.desc, rows, excluded, design.outcome, design.outcome_column), used


def _standardized(design: _Design, X: pd.DataFrame) -> np.ndarray:
    """Coefficients refitted with every numeric variable z-scored (not those used as factors)."""
    info = X.design_info.factor_infos
    factors = set().union(*(_names(f.code, design.rows.columns)[0] for f, i in info.items()
                            if i.type == "categorical"))  # fmt: skip
    rows = design.rows.copy()
    for c in rows.columns:
        s = rows[c]
        if c not in factors and pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            rows[c] = (s - s.mean()) / s.std(ddof=1)
    try:
        with np.errstate(all="ignore"):
            Xz = _rhs(design, rows)
            zdesign = _Design(design.desc, rows, design.excluded, design.outcome, design.outcome_column)
            y = _numeric_outcome(zdesign)
        return OLS(y, Xz).fit().params.reindex(X.columns).to_numpy()
    except (DataError, ValueError):  # stacklevel 4: _standardized, ols, its renamed_parameter wrapper
        warnings.warn("Standardized estimates are not available for this formula (a transformation "
                      "is undefined on z-scores); std_estimate is NaN.", AnalysisWarning,
                      stacklevel=4)  # fmt: skip
        return np.full(X.shape[1], np.nan)


def _vif(X: pd.DataFrame) -> np.ndarray:
    cols = [c for c in X.columns if c != "Intercept"]
    out = pd.Series(np.nan, index=X.columns)
    if len(cols) == 1:
        out[cols] = 1.0
    elif cols:
        corr = np.corrcoef(X[cols].to_numpy(dtype=float), rowvar=False)
        out[cols] = np.diag(np.linalg.inv(corr))
    return out.to_numpy()


@renamed_parameter(alpha=("ci", lambda a: 1 - a, "ci = 1 - alpha"))  # 0.1 name, until 0.3
def logistic_regression(data: pd.DataFrame, formula: str, *, ci: float = 0.95) -> RegressionResult:
    """Binary logistic regression (maximum likelihood) with odds ratios.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation. Not modified.
    formula : str
        Patsy formula; the outcome is 0/1, boolean, or a two-level column / expression such as
        ``I(affairs > 0)`` (the second level, or True, is the event, as in ``glm``).
    ci : float, optional
        Confidence level of the Wald intervals (default 0.95). The 0.1 keyword ``alpha``
        (1 - `ci`) still works with a DeprecationWarning until 0.3.

    Returns
    -------
    RegressionResult
        ``.coefficients``: ``term``, ``estimate`` (log odds), ``se``, ``statistic`` (z),
        ``p_value``, ``ci_low``, ``ci_high`` (Wald, as ``confint.default``), ``odds_ratio``,
        ``or_ci_low``, ``or_ci_high``. ``.fit``: ``n``, ``n_excluded``, ``n_events``, ``loglik``,
        ``deviance``, ``null_deviance``, ``aic``, ``pseudo_r2`` (McFadden), ``statistic``
        (likelihood-ratio chi² against the intercept-only model), ``df``, ``p_value``.
        ``.excluded``: ``row``, ``reason``. ``.ci``: the confidence level.

    Raises
    ------
    DataError
        Unknown column, an outcome that is not binary, an all-missing column, a constant or
        collinear predictor, or predictors that separate the outcome perfectly.
    ParameterError
        A malformed formula, a bad `ci`, or both `ci` and the old `alpha`.

    See Also
    --------
    ols, analysis.models.limited_outcomes.ordinal_regression

    Notes
    -----
    ``logit P(y = 1 | x) = x'b``, maximum likelihood; Wald intervals ``b ± z_(1+ci)/2 · SE``
    (as ``confint.default``) and odds ratios ``exp(b)`` with ``exp`` of the interval. Listwise
    deletion over the formula's variables (every left-out row in ``.excluded``).
    Fitted by Newton-Raphson (``statsmodels`` ``Logit``); matches ``glm(family = binomial)``.
    On ``statsmodels.datasets.fair`` with ``affair = affairs > 0`` the ``rate_marriage``
    coefficient is -0.7161 (statsmodels discrete-choice example).

    References
    ----------
    Hosmer, D. W., Lemeshow, S., & Sturdivant, R. X. (2013). Applied logistic regression
    (3rd ed.). Wiley.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import logistic_regression
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=200)
    >>> data = pd.DataFrame({"x": x, "event": (rng.random(200) < 1 / (1 + np.exp(-x))).astype(int)})
    >>> res = logistic_regression(data, "event ~ x")
    >>> print(res.coefficients[["term", "estimate", "odds_ratio"]].round(2).to_string(index=False))
         term  estimate  odds_ratio
    Intercept      0.06        1.06
            x      0.86        2.36
    >>> res.sentence("x")
    'The coefficient of x on event was b = 0.86, SE = 0.19, z = 4.53, p < .001, OR = 2.36, 95% CI [1.63, 3.41].'
    """
    _check_level("ci", ci)
    design = _prepare(data, formula)
    try:
        Y = patsy.dmatrix(patsy.ModelDesc([], design.desc.lhs_termlist), design.rows, NA_action="raise",
                          eval_env=patsy.EvalEnvironment([_ENV]), return_type="dataframe")  # fmt: skip
    except patsy.PatsyError as err:
        raise DataError(f"The outcome {design.outcome!r} could not be computed: {err.message}") from None
    values = np.unique(Y.to_numpy(dtype=float)[:, -1])
    if Y.shape[1] > 2 or not set(values) <= {0.0, 1.0} or (Y.shape[1] == 1 and len(values) < 2):
        shown = ", ".join(f"{v:g}" for v in values[:6]) if Y.shape[1] == 1 else ", ".join(Y.columns[:6])
        raise DataError(f"The outcome {design.outcome!r} is not binary: it has the values {shown}"
                        f"{' ...' if max(len(values), Y.shape[1]) > 6 else ''}. Recode it to 0/1, "
                        "e.g. I(affairs > 0) in the formula.")  # fmt: skip
    y = Y.iloc[:, -1]
    if y.nunique() < 2:
        raise DataError(f"The outcome {design.outcome!r} has only one value in the rows used.")
    X = _rhs(design)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = Logit(y, X).fit(method="newton", tol=1e-12, maxiter=100, disp=False)
        except PerfectSeparationError:
            caught.append(warnings.WarningMessage("separation", PerfectSeparationWarning, "", 0))
    if any(issubclass(w.category, PerfectSeparationWarning) for w in caught):
        raise DataError(f"The predictors separate the outcome {design.outcome!r} perfectly (some fitted "
                        "probabilities are 0 or 1), so the estimates diverge. Remove or merge the "
                        "predictor that separates the groups, or use penalized (Firth) logistic "
                        "regression.")  # fmt: skip
    if not res.mle_retvals.get("converged", True):  # stacklevel 3: past the renamed_parameter wrapper
        warnings.warn("The logistic model did not converge.", ConvergenceWarning, stacklevel=3)
    out = _wald_table(X.columns, res.params.to_numpy(), res.bse.to_numpy(), ci)
    odds = np.exp(out[["estimate", "ci_low", "ci_high"]].to_numpy())
    out["odds_ratio"], out["or_ci_low"], out["or_ci_high"] = odds.T
    n, k1 = len(y), float(y.sum())
    ll0 = k1 * np.log(k1 / n) + (n - k1) * np.log(1 - k1 / n)  # intercept-only model, closed form
    lr = 2 * (res.llf - ll0)
    fit = _fit_row(design, n, n_events=int(k1), loglik=res.llf, deviance=-2 * res.llf,
                   null_deviance=-2 * ll0, aic=res.aic, pseudo_r2=1 - res.llf / ll0, statistic=lr,
                   df=int(res.df_model), p_value=stats.chi2.sf(lr, res.df_model))  # fmt: skip
    return RegressionResult("logistic", formula, design.outcome, out, fit, design.excluded, ci)
