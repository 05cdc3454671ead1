"""Random-effects meta-analysis of estimates with standard errors, as ``metafor::rma``, and the
effect-size conversions a replication scorecard needs (Fisher z, standardized mean differences).

Inputs are plain numbers (one estimate and one standard error per study), so the same routine
pools regression slopes, Fisher z values of correlations or standardized mean differences.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from analysis._checks import _check_level, _check_one_of
from analysis._compat import renamed_parameter
from analysis.apa import apa_table, format_ci, format_p, format_stat, format_value
from analysis.exceptions import ConvergenceWarning, ParameterError

__all__ = ["MetaResult", "random_effects", "fisher_z", "fisher_z_inverse", "smd_from_t", "d_to_r", "r_to_d"]

_METHODS = ("REML", "ML", "DL", "FE")
_TESTS = ("z", "knha")


_COEF_COLUMNS = ["term", "k", "estimate", "se", "statistic", "df", "p_value", "ci_low", "ci_high", "pi_low",
                 "pi_high"]
_FIT_COLUMNS = ["k", "tau2", "tau", "q", "q_df", "q_p_value", "i2", "h2", "method", "test"]


@dataclass(frozen=True)
class MetaResult:
    """Result of `random_effects`: the pooled estimate, the heterogeneity and the studies.

    Attributes
    ----------
    pooled : pandas.DataFrame
        One row: the pooled estimate with its test, CI, prediction interval and heterogeneity
        (every column listed in `random_effects`); ``attrs`` hold ``ci`` (and ``level``, the
        same number, for 0.1 code) and, for REML/ML, ``iterations``.
    studies : pandas.DataFrame
        One row per study: ``term`` (label), ``estimate``, ``se``, ``ci_low``, ``ci_high`` and
        ``weight`` (percent of the pooled estimate).
    coefficients : pandas.DataFrame
        The pooled estimate as a tidy table: ``term`` ("pooled"), ``k``, ``estimate``, ``se``,
        ``statistic``, ``df``, ``p_value``, ``ci_low``, ``ci_high``, ``pi_low``, ``pi_high``.
    fit : pandas.DataFrame
        One row of heterogeneity statistics: ``k`` (studies, the sample size of a
        meta-analysis), ``tau2``, ``tau``, ``q``, ``q_df``, ``q_p_value``, ``i2``, ``h2``,
        ``method``, ``test``.
    excluded : pandas.DataFrame
        Studies left out: ``row`` (position in the inputs), ``reason``, ``term`` (label).
        `random_effects` refuses missing values instead of leaving studies out, so this table
        is empty, with these columns.
    ci : float
        Confidence level of the intervals (and of the prediction interval).

    See Also
    --------
    random_effects : the function that returns it.
    analysis.report.figures.forest_plot : its forest plot.

    Notes
    -----
    ``table()`` gives the studies and the pooled row as an APA table, ``sentence()`` the pooled
    estimate, its test, the heterogeneity and the prediction interval in one sentence.

    Examples
    --------
    >>> from analysis import random_effects
    >>> res = random_effects([0.45, 0.05, 0.30], [0.10, 0.12, 0.09])
    >>> print(res.fit[["k", "tau2", "i2"]].round(3).to_string(index=False))
     k  tau2     i2
     3 0.027 71.634
    """

    pooled: pd.DataFrame
    studies: pd.DataFrame

    @property
    def coefficients(self) -> pd.DataFrame:
        """The pooled estimate: ``term``, ``k``, ``estimate``, ``se``, ``statistic``, ``df``,
        ``p_value``, ``ci_low``, ``ci_high``, ``pi_low``, ``pi_high``."""
        return self.pooled[_COEF_COLUMNS].copy()

    @property
    def fit(self) -> pd.DataFrame:
        """Heterogeneity: ``k``, ``tau2``, ``tau``, ``q``, ``q_df``, ``q_p_value``, ``i2``,
        ``h2``, ``method``, ``test``."""
        return self.pooled[_FIT_COLUMNS].copy()

    @property
    def excluded(self) -> pd.DataFrame:
        """Studies left out (none: `random_effects` refuses missing values): ``row``, ``reason``,
        ``term``."""
        return pd.DataFrame({"row": pd.Series(dtype=object), "reason": pd.Series(dtype=object),
                             "term": pd.Series(dtype=object)})  # fmt: skip

    @property
    def ci(self) -> float:
        """Confidence level of the intervals."""
        return self.pooled.attrs.get("ci", self.pooled.attrs.get("level"))

    def table(self, *, title: str | None = None, number: int | None = None):
        """The studies and the pooled row as an APA table.

        Parameters
        ----------
        title : str, optional
            Table title (default "Meta-analysis").
        number : int, optional
            Table number.

        Returns
        -------
        HtmlBlock
            The table (shown directly in a notebook); the note gives the prediction interval.
        """
        p = self.pooled.iloc[0]
        rows = pd.concat([self.studies, pd.DataFrame({"term": [f"Pooled ({p['method']})"],
                          "estimate": [p["estimate"]], "se": [p["se"]], "ci_low": [p["ci_low"]],
                          "ci_high": [p["ci_high"]], "weight": [100.0]})], ignore_index=True)  # fmt: skip
        level = self.ci
        note = (f"CI = {100 * level:g}% confidence interval; weight in percent. "
                f"{100 * level:g}% prediction interval [{format_value(p['pi_low'])}, "
                f"{format_value(p['pi_high'])}].")  # fmt: skip
        return apa_table(rows, title=title or "Meta-analysis", number=number, note=note)

    def sentence(self, effect: str = "effect") -> str:
        """APA sentence: pooled estimate, CI, test, heterogeneity and prediction interval.

        Parameters
        ----------
        effect : str, default "effect"
            What was pooled, as the sentence names it (e.g. "correlation (Fisher z)").

        Returns
        -------
        str
            Plain text.
        """
        p = self.pooled.iloc[0]
        level = self.ci
        stat = (format_stat(f"t({int(p['df'])})", p["statistic"]) if p["test"] == "knha"
                else format_stat("z", p["statistic"]))  # fmt: skip
        model = "fixed-effect" if p["method"] == "FE" else f"random-effects ({p['method']})"
        text = (f"A {model} meta-analysis of {int(p['k'])} estimates gave a pooled {effect} of "
                f"{format_value(p['estimate'])}, {format_ci(p['ci_low'], p['ci_high'], level=level)}, "
                f"{stat}, {format_p(p['p_value'])}")  # fmt: skip
        if p["method"] == "FE":
            return text + f"; Q({int(p['q_df'])}) = {format_value(p['q'])}, {format_p(p['q_p_value'])}."
        return (text + f"; heterogeneity {format_stat('τ²', p['tau2'], 3)}, "
                f"{format_stat('I²', p['i2'], 1)}%, Q({int(p['q_df'])}) = {format_value(p['q'])}, "
                f"{format_p(p['q_p_value'])}; {100 * level:g}% prediction interval "
                f"[{format_value(p['pi_low'])}, {format_value(p['pi_high'])}].")  # fmt: skip


@renamed_parameter(level="ci")
def random_effects(
    estimates,
    ses,
    *,
    labels=None,
    method: str = "REML",
    ci: float = 0.95,
    test: str = "z",
) -> MetaResult:
    """Pool estimates with standard errors in a random-effects (or fixed-effect) meta-analysis.

    Parameters
    ----------
    estimates : sequence of float
        One estimate per study (at least two), on a scale where they are roughly normal
        (Fisher z for correlations, log for ratios, d or g for mean differences).
    ses : sequence of float
        Their standard errors (positive), in the same order.
    labels : sequence of str, optional
        Study names (default ``"Study 1"``, ``"Study 2"``, ...).
    method : {"REML", "ML", "DL", "FE"}, optional
        Estimator of the between-study variance tau²: restricted maximum likelihood (default),
        maximum likelihood, DerSimonian-Laird, or ``"FE"`` for a fixed-effect (common-effect)
        model with tau² = 0.
    ci : float, optional
        Level of the confidence and prediction intervals (default 0.95).
    test : {"z", "knha"}, optional
        ``"z"`` (default): normal-theory test and intervals. ``"knha"``: the Knapp-Hartung
        adjustment (the SE is rescaled and t(k - 1) quantiles are used).

    Returns
    -------
    MetaResult
        ``pooled``: one row with ``term`` ("pooled"), ``k``, ``estimate``, ``se``, ``statistic``
        (z, or t with "knha"), ``df`` (k - 1 with "knha", else NaN), ``p_value`` (two-sided),
        ``ci_low``, ``ci_high``, ``pi_low``, ``pi_high`` (prediction interval for the effect in a
        new study), ``tau2``, ``tau``, ``q`` (Cochran's Q), ``q_df``, ``q_p_value``, ``i2``
        (percent), ``h2``, ``method``, ``test``; ``attrs`` hold ``ci`` (also as ``level``) and,
        for REML/ML, ``iterations``. ``studies``: one row per study with ``term`` (label),
        ``estimate``, ``se``, ``ci_low``, ``ci_high`` (normal, at `ci`) and ``weight``
        (percent). ``.coefficients`` (the estimate columns of ``pooled``), ``.fit`` (``k`` and
        the heterogeneity columns), ``.excluded`` (``row``, ``reason``, ``term``; empty) and
        ``.ci`` follow the result protocol.

    Raises
    ------
    ParameterError
        Fewer than two studies, lengths that differ, non-finite values, an SE that is not
        positive, or a bad `labels`, `method`, `ci` or `test`.

    Warns
    -----
    ConvergenceWarning
        REML or ML did not converge in 1000 Fisher-scoring steps.

    See Also
    --------
    fisher_z : correlations to the Fisher z scale before pooling.

    Notes
    -----
    With v_i = se_i² and w_i = 1 / (v_i + tau²): estimate = Σ w_i y_i / Σ w_i, se = (Σ w_i)^(-1/2).
    Q = Σ (y_i - ŷ_FE)² / v_i on k - 1 df. DL: tau² = max(0, (Q - (k - 1)) / (Σ1/v - Σ(1/v²)/Σ1/v)).
    REML and ML maximise the (restricted) likelihood by Fisher scoring, as metafor: the step is
    (Σ w² (y - ŷ)² - tr P) / tr P² (REML; P = W - w wᵀ / Σ w) or (Σ w² (y - ŷ)² - Σ w) / Σ w²
    (ML), kept at tau² ≥ 0, to a change below 1e-12. I² = 100 tau² / (tau² + s²) and
    H² = (tau² + s²) / s² with the typical variance s² = (k - 1) / (Σ1/v - Σ(1/v²)/Σ1/v);
    for "FE", I² = 100 max(0, Q - (k - 1)) / Q and H² = Q / (k - 1). Prediction interval:
    estimate ± c sqrt(se² + tau²), c the normal (or t(k - 1) with "knha") quantile. Knapp-Hartung:
    se² is multiplied by Σ w (y - ŷ)² / (k - 1) (no truncation at 1, as metafor's ``test="knha"``).

    Matches ``metafor::rma(yi, sei = se, method = ..., test = ...)`` and ``predict()`` (metafor
    3.8-1) run with ``control = list(threshold = 1e-12)`` to about 1e-14; metafor's default
    threshold (1e-5 on the step) stops up to about 1e-6 short of the optimum found here.

    References
    ----------
    DerSimonian, R., & Laird, N. (1986). Meta-analysis in clinical trials. Controlled Clinical
    Trials, 7(3), 177-188.

    Higgins, J. P. T., & Thompson, S. G. (2002). Quantifying heterogeneity in a meta-analysis.
    Statistics in Medicine, 21(11), 1539-1558.

    Knapp, G., & Hartung, J. (2003). Improved tests for a random effects meta-regression with a
    single covariate. Statistics in Medicine, 22(17), 2693-2710.

    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. Journal of
    Statistical Software, 36(3), 1-48.

    Examples
    --------
    >>> from analysis import random_effects
    >>> res = random_effects([0.45, 0.05], [0.10, 0.12])
    >>> print(res.pooled[["estimate", "se", "tau2", "pi_low", "pi_high"]].round(4).to_string(index=False))
     estimate     se   tau2  pi_low  pi_high
       0.2555 0.1999 0.0678 -0.3879   0.8989
    """
    y, se = _check_inputs(estimates, ses)
    k = y.size
    names = _check_labels(labels, k)
    _check_one_of("method", method, _METHODS)
    _check_one_of("test", test, _TESTS)
    _check_level("ci", ci)
    v = se**2
    w0 = 1.0 / v
    y_fe = np.sum(w0 * y) / np.sum(w0)
    q = float(np.sum(w0 * (y - y_fe) ** 2))
    c = np.sum(w0) - np.sum(w0**2) / np.sum(w0)
    iterations = None
    if method == "FE":
        tau2 = 0.0
    elif method == "DL":
        tau2 = max(0.0, (q - (k - 1)) / c)
    else:
        tau2, iterations = _fisher_scoring(y, v, reml=method == "REML")

    w = 1.0 / (v + tau2)
    estimate = float(np.sum(w * y) / np.sum(w))
    var = 1.0 / np.sum(w)
    if test == "knha":
        var *= float(np.sum(w * (y - estimate) ** 2) / (k - 1))
        df = k - 1
        crit = stats.t.ppf(0.5 + ci / 2, df)
        stat = estimate / np.sqrt(var)
        p = 2 * stats.t.sf(abs(stat), df)
    else:
        df = np.nan
        crit = stats.norm.ppf(0.5 + ci / 2)
        stat = estimate / np.sqrt(var)
        p = 2 * stats.norm.sf(abs(stat))
    se_pooled = float(np.sqrt(var))
    half_pi = crit * np.sqrt(var + tau2)
    if method == "FE":
        i2 = 100 * max(0.0, q - (k - 1)) / q if q > 0 else 0.0
        h2 = q / (k - 1)
    else:
        typical = (k - 1) / c
        i2 = 100 * tau2 / (tau2 + typical)
        h2 = (tau2 + typical) / typical
    pooled = pd.DataFrame({
        "term": ["pooled"], "k": [k], "estimate": [estimate], "se": [se_pooled],
        "statistic": [float(stat)], "df": [df], "p_value": [float(p)],
        "ci_low": [estimate - crit * se_pooled], "ci_high": [estimate + crit * se_pooled],
        "pi_low": [estimate - half_pi], "pi_high": [estimate + half_pi],
        "tau2": [tau2], "tau": [np.sqrt(tau2)], "q": [q], "q_df": [k - 1],
        "q_p_value": [float(stats.chi2.sf(q, k - 1))], "i2": [i2], "h2": [h2],
        "method": [method], "test": [test],
    })  # fmt: skip
    pooled.attrs.update(ci=ci, level=ci, iterations=iterations)
    z = stats.norm.ppf(0.5 + ci / 2)
    studies = pd.DataFrame({"term": names, "estimate": y, "se": se, "ci_low": y - z * se,
                            "ci_high": y + z * se, "weight": 100 * w / np.sum(w)})  # fmt: skip
    studies.attrs.update(ci=ci, level=ci)
    return MetaResult(pooled=pooled, studies=studies)


def _fisher_scoring(y: np.ndarray, v: np.ndarray, *, reml: bool, tol: float = 1e-12, maxiter: int = 1000):
    """REML/ML tau² of the intercept-only model by Fisher scoring (metafor's algorithm), from
    the Hedges starting value, kept at tau² ≥ 0. Returns (tau2, iterations)."""
    k = y.size
    tau2 = max(0.0, float(np.var(y, ddof=1) - np.mean(v)))  # metafor's tau2.init (Hedges)
    for it in range(1, maxiter + 1):
        w = 1.0 / (v + tau2)
        sw, sw2 = np.sum(w), np.sum(w**2)
        mu = np.sum(w * y) / sw
        ypy = np.sum(w**2 * (y - mu) ** 2)
        if reml:
            tr_p = sw - sw2 / sw
            tr_pp = sw2 - 2 * np.sum(w**3) / sw + sw2**2 / sw**2
            step = (ypy - tr_p) / tr_pp
        else:
            step = (ypy - sw) / sw2
        if tau2 + step < 0:
            if tau2 == 0.0:  # the likelihood decreases from the boundary: the maximum is tau² = 0
                return 0.0, it
            step = -tau2  # go to the boundary, then check the direction there
        tau2 += step
        if abs(step) < tol:
            return float(tau2), it
    warnings.warn(
        f"The {'REML' if reml else 'ML'} estimate of tau² did not converge in {maxiter} Fisher-scoring "
        f"steps (k = {k}); the last value ({tau2:.6g}) is used. Try method='DL'.",
        ConvergenceWarning,
        stacklevel=3,
    )
    return float(tau2), maxiter


def _as_vector(values, name: str) -> np.ndarray:
    if isinstance(values, str) or values is None:
        raise ParameterError(f"`{name}` must be a sequence of numbers, but {values!r} was passed.")
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"`{name}` must be a sequence of numbers, but {values!r} was passed.") from None
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise ParameterError(f"`{name}` must be one-dimensional, but it has shape {arr.shape}.")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ParameterError(
            f"`{name}` has a missing or infinite value at position {bad[0]} ({arr[bad[0]]!r}); "
            "drop that study or supply the value."
        )
    return arr


def _check_inputs(estimates, ses) -> tuple[np.ndarray, np.ndarray]:
    y = _as_vector(estimates, "estimates")
    se = _as_vector(ses, "ses")
    if y.size != se.size:
        raise ParameterError(
            f"`estimates` has {y.size} values but `ses` has {se.size}; pass one standard error per estimate."
        )
    if y.size < 2:
        raise ParameterError(
            f"A meta-analysis needs at least two estimates, but {y.size} was passed; report a single "
            "study's estimate and CI directly."
        )
    bad = np.flatnonzero(se <= 0)
    if bad.size:
        raise ParameterError(
            f"`ses` must be positive, but position {bad[0]} is {se[bad[0]]!r}; check that standard "
            "errors (not variances or CIs) were passed."
        )
    return y, se


def _check_labels(labels, k: int) -> list[str]:
    if labels is None:
        return [f"Study {i + 1}" for i in range(k)]
    names = [labels] if isinstance(labels, str) else [str(x) for x in labels]
    if len(names) != k:
        raise ParameterError(f"`labels` has {len(names)} names but there are {k} estimates; pass one per study.")
    return names


# ---------------------------------------------------------------------------------------------
# Effect-size conversions


def fisher_z(r, n) -> pd.DataFrame:
    """Fisher's z transformation of correlations, with its standard error.

    Parameters
    ----------
    r : float or sequence of float
        Correlations, strictly between -1 and 1.
    n : int or sequence of int
        Sample sizes (more than 3), one per correlation (or one for all).

    Returns
    -------
    pandas.DataFrame
        One row per correlation: ``r``, ``n``, ``estimate`` (z = atanh(r)) and ``se``
        (1 / sqrt(n - 3)).

    Raises
    ------
    ParameterError
        A correlation outside (-1, 1), n ≤ 3, or lengths that differ.

    Notes
    -----
    z = ½ ln((1 + r) / (1 - r)), var(z) = 1 / (n - 3); as ``metafor::escalc("ZCOR")``.
    Back-transform with :func:`fisher_z_inverse`.

    See Also
    --------
    fisher_z_inverse, random_effects

    References
    ----------
    Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation deduced from a
    small sample. Metron, 1, 3-32.

    Examples
    --------
    >>> from analysis import fisher_z
    >>> print(fisher_z([0.30, -0.10], [103, 52]).round(4).to_string(index=False))
       r     n  estimate     se
     0.3 103.0    0.3095 0.1000
    -0.1  52.0   -0.1003 0.1429
    """
    r_arr, n_arr = _as_vector(r, "r"), _as_vector(n, "n")
    if not (r_arr.size == n_arr.size or n_arr.size == 1):
        raise ParameterError(
            f"`r` has {r_arr.size} values but `n` has {n_arr.size}; pass one n per correlation (or one n)."
        )
    r_arr, n_arr = np.broadcast_arrays(r_arr, n_arr)
    if np.any(np.abs(r_arr) >= 1):
        bad = r_arr[np.abs(r_arr) >= 1][0]
        raise ParameterError(f"Correlations must lie strictly between -1 and 1, but {bad!r} was passed.")
    if np.any(n_arr <= 3):
        raise ParameterError(
            f"`n` must exceed 3 for the Fisher z SE 1/sqrt(n - 3), but {n_arr.min():g} was passed."
        )
    return pd.DataFrame({"r": r_arr, "n": n_arr, "estimate": np.arctanh(r_arr), "se": 1 / np.sqrt(n_arr - 3)})


def fisher_z_inverse(z):
    """Correlation from Fisher's z: r = tanh(z).

    Parameters
    ----------
    z : float or array-like of float
        Fisher z values (e.g. a pooled estimate and its CI bounds).

    Returns
    -------
    float or numpy.ndarray
        The correlations (a float for a float, an array otherwise).

    See Also
    --------
    fisher_z

    Notes
    -----
    r = (e^(2z) - 1) / (e^(2z) + 1), as ``metafor::transf.ztor``.

    Examples
    --------
    >>> from analysis.models.meta import fisher_z_inverse
    >>> round(fisher_z_inverse(0.3095), 3)
    0.3
    """
    out = np.tanh(np.asarray(z, dtype=float))
    return float(out) if out.ndim == 0 else out


def smd_from_t(t, n1, n2) -> pd.DataFrame:
    """Standardized mean difference of two independent groups from their t statistic.

    Parameters
    ----------
    t : float or sequence of float
        Student's t of the pooled-variance two-sample t test (group 1 minus group 2).
    n1 : int or sequence of int
        Size of group 1 (at least 2).
    n2 : int or sequence of int
        Size of group 2 (at least 2).

    Returns
    -------
    pandas.DataFrame
        One row per t: ``t``, ``n1``, ``n2``, ``d`` (Cohen's d), ``estimate`` (Hedges' g) and
        ``se`` (of g).

    Raises
    ------
    ParameterError
        Lengths that differ, a missing t, or a group smaller than 2.

    Notes
    -----
    d = t sqrt(1/n1 + 1/n2); g = J d with the exact correction
    J = Γ(m/2) / (sqrt(m/2) Γ((m - 1)/2)), m = n1 + n2 - 2; var(g) = 1/n1 + 1/n2 + g² / (2 (n1 + n2)).
    Matches ``metafor::escalc("SMD")`` (metafor 3.8-1).

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
    estimators. Journal of Educational Statistics, 6(2), 107-128.

    Examples
    --------
    >>> from analysis.models.meta import smd_from_t
    >>> print(smd_from_t(2.5, 40, 40)[["d", "estimate", "se"]].round(4).to_string(index=False))
        d  estimate     se
    0.559    0.5536 0.2278
    """
    t_arr, a, b = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (t, n1, n2))
    try:
        t_arr, a, b = np.broadcast_arrays(t_arr, a, b)
    except ValueError:
        raise ParameterError("`t`, `n1` and `n2` must have the same length (or be single numbers).") from None
    if not np.all(np.isfinite(t_arr)):
        raise ParameterError("`t` has a missing or infinite value; drop it or supply the value.")
    if np.any(a < 2) or np.any(b < 2) or not np.all(np.isfinite(a + b)):
        raise ParameterError("Group sizes `n1` and `n2` must be at least 2.")
    d = t_arr * np.sqrt(1 / a + 1 / b)
    m = a + b - 2
    j = np.exp(special.gammaln(m / 2) - np.log(np.sqrt(m / 2)) - special.gammaln((m - 1) / 2))
    g = j * d
    return pd.DataFrame({"t": t_arr, "n1": a, "n2": b, "d": d, "estimate": g,
                         "se": np.sqrt(1 / a + 1 / b + g**2 / (2 * (a + b)))})  # fmt: skip


def d_to_r(d, n1=None, n2=None):
    """Point-biserial r from Cohen's d.

    Parameters
    ----------
    d : float or array-like of float
        Cohen's d.
    n1 : int or array-like of int, optional
        Size of group 1; with `n2`, the exact factor for unequal groups.
    n2 : int or array-like of int, optional
        Size of group 2.

    Returns
    -------
    float or numpy.ndarray
        r (a float for a float, an array otherwise).

    See Also
    --------
    r_to_d

    Notes
    -----
    r = d / sqrt(d² + a), a = (n1 + n2)² / (n1 n2), a = 4 for equal groups (Borenstein et al.,
    2009, eq. 7.5), as ``effectsize::d_to_r``.

    References
    ----------
    Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009). *Introduction to
    meta-analysis*. Wiley.

    Examples
    --------
    >>> from analysis.models.meta import d_to_r
    >>> round(d_to_r(0.5), 4)
    0.2425
    """
    d = np.asarray(d, dtype=float)
    a = 4.0 if n1 is None or n2 is None else (np.asarray(n1, float) + n2) ** 2 / (np.asarray(n1, float) * n2)
    out = d / np.sqrt(d**2 + a)
    return float(out) if np.ndim(out) == 0 else out


def r_to_d(r):
    """Cohen's d from a point-biserial r, for equal groups.

    Parameters
    ----------
    r : float or array-like of float
        Correlations, strictly between -1 and 1.

    Returns
    -------
    float or numpy.ndarray
        d (a float for a float, an array otherwise).

    Raises
    ------
    ParameterError
        A correlation outside (-1, 1).

    See Also
    --------
    d_to_r

    Notes
    -----
    d = 2r / sqrt(1 - r²) (Borenstein et al., 2009, eq. 7.6), as ``effectsize::r_to_d``.

    References
    ----------
    Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009). *Introduction to
    meta-analysis*. Wiley.

    Examples
    --------
    >>> from analysis.models.meta import r_to_d
    >>> round(r_to_d(0.2425), 3)
    0.5
    """
    r = np.asarray(r, dtype=float)
    if np.any(np.abs(r) >= 1):
        raise ParameterError("Correlations must lie strictly between -1 and 1 to convert them to d.")
    out = 2 * r / np.sqrt(1 - r**2)
    return float(out) if np.ndim(out) == 0 else out
