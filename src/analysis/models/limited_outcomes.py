"""Regression for limited outcomes: proportional-odds (cumulative link) regression of an ordinal
outcome, as ``MASS::polr``, and tobit (censored-normal) regression, as ``AER::tobit``."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from analysis._checks import _check_level, _check_one_of
from analysis._compat import renamed_parameter
from analysis.exceptions import ConvergenceWarning, DataError, ParameterError
from analysis.models._formula import (
    _fit_row,
    _numeric_outcome,
    _prepare,
    _rhs,
    _wald_table,
)
from analysis.models.regression import RegressionResult

__all__ = ["ordinal_regression", "tobit"]


@renamed_parameter(alpha=("ci", lambda a: 1 - a, "ci = 1 - alpha"))  # 0.1 name, until 0.3
def ordinal_regression(data: pd.DataFrame, formula: str, *, link: str = "logit", ci: float = 0.95) -> RegressionResult:
    """Proportional-odds (cumulative link) regression of an ordinal outcome.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation. Not modified.
    formula : str
        Patsy formula whose outcome is a column: an ordered ``pandas.Categorical`` (its
        category order) or integer codes (their numeric order), with at least three levels.
        The intercept is replaced by the thresholds.
    link : {"logit", "probit"}, optional
        Cumulative link (default ``"logit"``: proportional odds).
    ci : float, optional
        Confidence level of the Wald intervals (default 0.95). The 0.1 keyword ``alpha``
        (1 - `ci`) still works with a DeprecationWarning until 0.3.

    Returns
    -------
    RegressionResult
        ``.coefficients``: one row per predictor (``part = "coefficient"``) then one per
        threshold (``part = "threshold"``, term ``"lower|upper"`` as ``polr``): ``term``,
        ``part``, ``estimate``, ``se``, ``statistic`` (z), ``p_value``, ``ci_low``, ``ci_high``
        (Wald), ``odds_ratio``, ``or_ci_low``, ``or_ci_high`` (logit link, predictors only).
        ``.fit``: ``n``, ``n_excluded``, ``n_levels``, ``loglik``, ``aic``, ``pseudo_r2``
        (McFadden), ``statistic`` (likelihood-ratio chi² against thresholds only), ``df``,
        ``p_value``, ``link``. ``.excluded``: ``row``, ``reason``. ``.ci``: the confidence level.

    Raises
    ------
    DataError
        Unknown column; an outcome that is not ordinal (unordered text, non-integer numbers, fewer
        than three levels); an all-missing column; a constant or collinear predictor.
    ParameterError
        A malformed formula, a bad `link` or `ci`, or both `ci` and the old `alpha`.

    See Also
    --------
    analysis.models.regression.logistic_regression, tobit

    Notes
    -----
    ``P(Y <= k | x) = F(theta_k - x'b)``, the parameterization of ``MASS::polr``: a positive
    coefficient shifts the outcome to higher levels, and the thresholds are ``polr``'s
    ``zeta``. (Some programs, e.g. SPSS PLUM, also use this sign; Stata's cut points equal
    ``zeta`` too; others write ``F(theta_k + x'b)`` and flip the coefficient signs.) Fitted by
    ``statsmodels`` ``OrderedModel`` (thresholds as first cut and log increments), converted
    back with the delta method. Matches ``MASS::polr(..., Hess = TRUE)`` estimates and
    ``vcov``. The odds-ratio intervals are Wald intervals (``confint.default``), not polr's
    profile-likelihood ``confint``. Listwise deletion over the formula's variables (every
    left-out row in ``.excluded``).

    References
    ----------
    McCullagh, P. (1980). Regression models for ordinal data. Journal of the Royal Statistical
    Society B, 42(2), 109-142.
    Venables, W. N., & Ripley, B. D. (2002). Modern applied statistics with S (4th ed.). Springer.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import ordinal_regression
    >>> rng = np.random.default_rng(2)
    >>> x = rng.normal(size=300)
    >>> data = pd.DataFrame({"x": x, "rating": np.digitize(x + rng.logistic(size=300), [-1.5, 0, 1.5]) + 1})
    >>> res = ordinal_regression(data, "rating ~ x")
    >>> print(res.coefficients[["term", "part", "estimate", "se"]].round(2).to_string(index=False))
    term        part  estimate   se
       x coefficient      0.94 0.12
     1|2   threshold     -1.46 0.15
     2|3   threshold     -0.11 0.12
     3|4   threshold      1.37 0.15
    """
    _check_one_of("link", link, ("logit", "probit"))
    _check_level("ci", ci)
    design = _prepare(data, formula)
    col = design.outcome_column
    if col is None:
        raise DataError(f"The outcome {design.outcome!r} of an ordinal regression must be a column; "
                        "compute it before the call.")  # fmt: skip
    raw = design.rows[col]
    if isinstance(raw.dtype, pd.CategoricalDtype) and raw.cat.ordered:
        levels = [c for c in raw.cat.categories if (raw == c).any()]
    elif pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw) \
            and np.all(np.mod(raw.to_numpy(dtype=float), 1) == 0):  # fmt: skip
        levels = sorted(raw.unique())
    else:
        raise DataError(f"The outcome {col!r} is not ordinal (dtype {raw.dtype}, values e.g. "
                        f"{', '.join(map(repr, raw.unique()[:4]))}). Pass integer codes or an ordered "
                        "category: pd.Categorical(x, categories=[...], ordered=True).")  # fmt: skip
    if len(levels) < 3:
        raise DataError(f"The outcome {col!r} has {len(levels)} observed levels; an ordinal model needs "
                        "at least three (use logistic_regression for two).")  # fmt: skip
    y = pd.Series(pd.Categorical(raw, categories=levels, ordered=True), index=raw.index)
    X = _rhs(design).drop(columns="Intercept", errors="ignore")
    if X.shape[1] == 0:
        raise ParameterError("The formula has no predictor; add at least one right of '~'.")
    from statsmodels.miscmodels.ordinal_model import OrderedModel  # here: its import costs ~0.2 s

    model = OrderedModel(y, X, distr=link)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' own convergence notes; checked below
        res = model.fit(method="bfgs", maxiter=5000, gtol=1e-10, disp=False)
    k, raw_par = X.shape[1], res.params.to_numpy()
    est = np.concatenate([raw_par[:k], model.transform_threshold_params(raw_par)[1:-1]])
    Xv, codes = X.to_numpy(dtype=float), y.cat.codes.to_numpy()
    for _ in range(4):  # Newton steps with the analytic Hessian polish statsmodels' optimum
        H, grad, _ = _cumulative_hessian(Xv, codes, est, link)
        step = est - np.linalg.solve(H, grad)
        if np.all(np.diff(step[k:]) > 0):
            est = step
    H, grad, ll = _cumulative_hessian(Xv, codes, est, link)
    if np.abs(grad).max() > 1e-4:  # stacklevel 3: past the renamed_parameter wrapper
        warnings.warn(f"The ordinal model did not converge (largest gradient {np.abs(grad).max():.2g}).",
                      ConvergenceWarning, stacklevel=3)  # fmt: skip
    V = np.linalg.inv(-H)
    labels = [f"{v:g}" if isinstance(v, float | np.floating) else str(v) for v in levels]
    names = list(X.columns) + [f"{a}|{b}" for a, b in itertools.pairwise(labels)]
    out = _wald_table(names, est, np.sqrt(np.diag(V)), ci)
    out.insert(1, "part", ["coefficient"] * k + ["threshold"] * (len(levels) - 1))
    ors = np.exp(out[["estimate", "ci_low", "ci_high"]].to_numpy())
    ors[k:] = np.nan
    if link != "logit":
        ors[:] = np.nan
    out["odds_ratio"], out["or_ci_low"], out["or_ci_high"] = ors.T
    counts = y.value_counts().to_numpy()
    ll0 = float(np.sum(counts * np.log(counts / counts.sum())))
    lr = 2 * (ll - ll0)
    fit = _fit_row(design, len(y), n_levels=len(levels), loglik=ll, aic=-2 * ll + 2 * len(est),
                   pseudo_r2=1 - ll / ll0, statistic=lr, df=k, p_value=stats.chi2.sf(lr, k),
                   link=link)  # fmt: skip
    return RegressionResult("ordinal", formula, design.outcome, out, fit, design.excluded, ci)


def _cumulative_hessian(X: np.ndarray, codes: np.ndarray, theta: np.ndarray, link: str):
    """Analytic Hessian, gradient and value of the cumulative-link log-likelihood in polr's
    parameters (b, zeta): with a = zeta_k - x'b, c = zeta_(k-1) - x'b, p = F(a) - F(c), the
    observation's gradient is g = (f(a) u - f(c) v) / p and its Hessian
    (f'(a) u u' - f'(c) v v') / p - g g' (u, v: derivatives of a, c)."""
    n, k = X.shape
    zeta = np.concatenate([[-np.inf], theta[k:], [np.inf]])
    eta = X @ theta[:k]
    a, c = zeta[codes + 1] - eta, zeta[codes] - eta
    if link == "logit":
        F, f = special.expit, lambda x: special.expit(x) * special.expit(-x)
        df = lambda x: f(x) * (1 - 2 * special.expit(x))  # noqa: E731
    else:
        F, f, df = special.ndtr, stats.norm.pdf, lambda x: -np.nan_to_num(x) * stats.norm.pdf(x)
    p = F(a) - F(c)
    m = len(theta) - k
    U, W = np.zeros((n, len(theta))), np.zeros((n, len(theta)))
    U[:, :k], W[:, :k] = -X, -X
    top, bottom = codes < m, codes > 0
    U[np.flatnonzero(top), k + codes[top]] = 1.0
    W[np.flatnonzero(bottom), k + codes[bottom] - 1] = 1.0
    fa, fc = np.where(top, f(a), 0.0), np.where(bottom, f(c), 0.0)
    dfa, dfc = np.where(top, df(a), 0.0), np.where(bottom, df(c), 0.0)
    G = (fa[:, None] * U - fc[:, None] * W) / p[:, None]
    H = (U * (dfa / p)[:, None]).T @ U - (W * (dfc / p)[:, None]).T @ W - G.T @ G
    return H, G.sum(axis=0), float(np.log(p).sum())


@renamed_parameter(alpha=("ci", lambda a: 1 - a, "ci = 1 - alpha"))  # 0.1 name, until 0.3
def tobit(data: pd.DataFrame, formula: str, *, left: float | None = 0.0, right: float | None = None,
          ci: float = 0.95) -> RegressionResult:
    """Tobit (censored-normal) regression by maximum likelihood.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation. Not modified.
    formula : str
        Patsy formula with a numeric outcome.
    left, right : float or None, optional
        Censoring points: outcomes at or below `left` (default 0) are left-censored, at or above
        `right` (default None: no right censoring) right-censored. None means no censoring.
    ci : float, optional
        Confidence level of the Wald intervals (default 0.95). The 0.1 keyword ``alpha``
        (1 - `ci`) still works with a DeprecationWarning until 0.3.

    Returns
    -------
    RegressionResult
        ``.coefficients``: ``term``, ``estimate``, ``se``, ``statistic`` (z), ``p_value``,
        ``ci_low``, ``ci_high``; the last row, ``log(scale)``, is the log of the latent SD.
        ``.fit``: ``n``, ``n_excluded``, ``n_left``, ``n_uncensored``, ``n_right``, ``loglik``,
        ``aic``, ``scale``, ``statistic`` (Wald chi² of all slopes, as ``summary(tobit)``),
        ``df``, ``p_value``. ``.excluded``: ``row``, ``reason``. ``.ci``: the confidence level.

    Raises
    ------
    DataError
        Unknown column, non-numeric outcome, an all-missing column, a constant or collinear
        predictor, or no uncensored outcome.
    ParameterError
        A malformed formula, ``left >= right``, a bad `ci`, or both `ci` and the old `alpha`.

    See Also
    --------
    analysis.models.regression.ols, ordinal_regression

    Notes
    -----
    Latent ``y* = x'b + e``, ``e ~ N(0, s²)``; the log-likelihood sums ``log Phi((left - x'b)/s)``
    (left-censored), ``log Phi((x'b - right)/s)`` (right-censored) and
    ``log phi((y - x'b)/s) - log s`` (others). Maximized over ``(b, log s)`` by a trust-region
    Newton method with the analytic gradient and Hessian; the covariance is the inverse of the
    negative Hessian (as ``survival::survreg``). Matches ``AER::tobit``; on ``AER::Affairs``
    Greene's (2003, Table 22.4) model gives rating -2.285 and scale 8.247. Wald intervals
    ``b ± z_(1+ci)/2 · SE``. Listwise deletion over the formula's variables (every left-out row
    in ``.excluded``).

    References
    ----------
    Tobin, J. (1958). Estimation of relationships for limited dependent variables.
    Econometrica, 26(1), 24-36.
    Kleiber, C., & Zeileis, A. (2008). Applied econometrics with R. Springer.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import tobit
    >>> rng = np.random.default_rng(3)
    >>> x = rng.normal(size=200)
    >>> data = pd.DataFrame({"x": x, "hours": np.maximum(0, 1 + 2 * x + rng.normal(size=200))})
    >>> res = tobit(data, "hours ~ x")
    >>> print(res.coefficients[["term", "estimate", "se"]].round(2).to_string(index=False))
          term  estimate   se
     Intercept      0.93 0.09
             x      2.14 0.10
    log(scale)      0.02 0.06
    >>> int(res.fit["n_left"].item()), int(res.fit["n_uncensored"].item())
    (66, 134)
    """
    _check_level("ci", ci)
    lo = -np.inf if left is None else float(left)
    hi = np.inf if right is None else float(right)
    if not lo < hi:
        raise ParameterError(f"`left` must be below `right`, but left={left!r} and right={right!r} "
                             "were passed.")  # fmt: skip
    design = _prepare(data, formula)
    y = _numeric_outcome(design).to_numpy(dtype=float)
    X = _rhs(design)
    Xv = X.to_numpy(dtype=float)
    cens = np.where(y <= lo, -1, np.where(y >= hi, 1, 0))
    if not (cens == 0).any():
        raise DataError(f"Every outcome value of {design.outcome!r} is censored; the model cannot "
                        "be estimated.")  # fmt: skip
    b0 = np.linalg.lstsq(Xv, y, rcond=None)[0]
    start = np.append(b0, np.log(np.std(y - Xv @ b0) or 1.0))

    def neg(theta):
        ll, g, H = _tobit_loglik(theta, Xv, y, cens, lo, hi)
        return -ll, -g, -H

    opt = optimize.minimize(lambda t: neg(t)[0], start, jac=lambda t: neg(t)[1], hess=lambda t: neg(t)[2],
                            method="trust-exact", options={"gtol": 1e-10, "maxiter": 500})  # fmt: skip
    ll, grad, H = _tobit_loglik(opt.x, Xv, y, cens, lo, hi)
    if np.abs(grad).max() > 1e-5:  # stacklevel 3: past the renamed_parameter wrapper
        warnings.warn(f"The tobit model did not converge (largest gradient {np.abs(grad).max():.2g}).",
                      ConvergenceWarning, stacklevel=3)  # fmt: skip
    V = np.linalg.inv(-H)
    out = _wald_table(list(X.columns) + ["log(scale)"], opt.x, np.sqrt(np.diag(V)), ci)
    slopes = [j for j, c in enumerate(X.columns) if c != "Intercept"]
    b, Vs = opt.x[slopes], V[np.ix_(slopes, slopes)]
    wald = float(b @ np.linalg.solve(Vs, b)) if slopes else np.nan
    fit = _fit_row(design, len(y), n_left=int((cens < 0).sum()), n_uncensored=int((cens == 0).sum()),
                   n_right=int((cens > 0).sum()), loglik=ll, aic=-2 * ll + 2 * len(opt.x),
                   scale=float(np.exp(opt.x[-1])), statistic=wald, df=len(slopes),
                   p_value=stats.chi2.sf(wald, len(slopes)))  # fmt: skip
    return RegressionResult("tobit", formula, design.outcome, out, fit, design.excluded, ci)


def _tobit_loglik(theta, X, y, cens, lo, hi):
    """Log-likelihood, gradient and Hessian of the tobit model in (b, log s)."""
    b, s = theta[:-1], theta[-1]
    sigma = np.exp(s)
    xb = X @ b
    ll, gb, gs = 0.0, np.zeros(len(b)), 0.0
    Hbb, Hbs, Hss = np.zeros((len(b), len(b))), np.zeros(len(b)), 0.0
    obs = cens == 0
    if obs.any():
        z, Xo = (y[obs] - xb[obs]) / sigma, X[obs]
        ll += np.sum(-0.5 * z**2 - 0.5 * np.log(2 * np.pi)) - obs.sum() * s
        gb += Xo.T @ z / sigma
        gs += np.sum(z**2 - 1)
        Hbb -= Xo.T @ Xo / sigma**2
        Hbs -= 2 * Xo.T @ z / sigma
        Hss -= 2 * np.sum(z**2)
    for side, bound in ((-1, lo), (1, hi)):
        m = cens == side
        if not m.any():
            continue
        # left: log Phi(c), c = (lo - xb)/s; right: log Phi(c), c = (xb - hi)/s; dc/db = -side*x/s
        c = (bound - xb[m]) / sigma if side < 0 else (xb[m] - bound) / sigma
        Xc, sign = X[m], float(side)
        lam = np.exp(-0.5 * c**2 - 0.5 * np.log(2 * np.pi) - special.log_ndtr(c))
        ll += np.sum(special.log_ndtr(c))
        gb += sign * Xc.T @ lam / sigma
        gs += -np.sum(lam * c)
        w = lam * (c + lam)
        Hbb -= (Xc * w[:, None]).T @ Xc / sigma**2
        Hbs += sign * Xc.T @ (lam * c * (c + lam) - lam) / sigma
        Hss += np.sum(lam * c * (1 - c * (c + lam)))
    k = len(b)
    H = np.empty((k + 1, k + 1))
    H[:k, :k], H[:k, k], H[k, :k], H[k, k] = Hbb, Hbs, Hbs, Hss
    return ll, np.append(gb, gs), H
