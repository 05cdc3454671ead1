"""Statistics of replication: detectable effects (the small-telescopes effect the original had
33% power to detect: `effect33`, `r33`, `d33`) and replication Bayes factors (`replication_bf`,
`replication_bf_t`), plus the argument checks the verdict rules (`analysis.claims.verdicts`)
share."""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy import integrate, optimize, stats

from analysis._checks import _check_one_of
from analysis.exceptions import ParameterError

__all__ = ["effect33", "r33", "d33", "replication_bf", "replication_bf_t"]


# ---------------------------------------------------------------------------------------------
# Detectable effects and replication Bayes factors


def effect33(se: float, *, alpha: float = 0.05) -> float:
    """Compute the effect a two-sided z test with standard error `se` detects with power 1/3.

    Simonsohn's (2015) θ33% under normal theory: the effect the original study had 33% power
    to detect, the small-telescopes benchmark of a replication.

    Parameters
    ----------
    se : float
        Standard error of the original estimate (positive).
    alpha : float, default 0.05
        Significance level of the two-sided test (between 0 and 0.5).

    Returns
    -------
    float
        The effect θ33 (positive), in the units of the estimate.

    Raises
    ------
    ParameterError
        If `se` is not a positive number or `alpha` is not between 0 and 0.5.

    See Also
    --------
    r33 : The same for a correlation.
    d33 : The exact version for t tests on Cohen's d.

    Notes
    -----
    Solves Φ(θ/se - c) + Φ(-θ/se - c) = 1/3 with c = Φ⁻¹(1 - alpha/2) (about 1.53 se at
    alpha = .05). For a correlation pass se = 1 / sqrt(n - 3) and take tanh (or use :func:`r33`).
    Checked against base R ``uniroot`` on ``pnorm`` (tests/reference/replication.R).

    References
    ----------
    Simonsohn, U. (2015). Small telescopes: Detectability and the evaluation of replication
    results. Psychological Science, 26(5), 559-569. https://doi.org/10.1177/0956797614567341

    Examples
    --------
    >>> from analysis.claims.replication_stats import effect33
    >>> round(effect33(1.0), 4)
    1.5286
    """
    _positive("se", se)
    _check_alpha(alpha)
    c = stats.norm.ppf(1 - alpha / 2)
    f = lambda t: stats.norm.cdf(t - c) + stats.norm.cdf(-t - c) - 1 / 3  # noqa: E731
    return float(se * optimize.brentq(f, 0.0, 10.0, xtol=1e-14, rtol=1e-15))


def r33(n: float, *, alpha: float = 0.05) -> float:
    """Compute the correlation a study of `n` had 33% power to detect (small telescopes).

    Parameters
    ----------
    n : int
        Sample size of the original study (more than 3).
    alpha : float, default 0.05
        Significance level of the original's two-sided test (between 0 and 0.5).

    Returns
    -------
    float
        The correlation r33 = tanh(effect33(1 / sqrt(n - 3))), positive.

    Raises
    ------
    ParameterError
        If `n` is not a number above 3 or `alpha` is not between 0 and 0.5.

    See Also
    --------
    effect33 : The same on any estimate with a standard error.
    replication_r : A replication verdict for a correlation, which uses r33.

    Notes
    -----
    Normal theory on Fisher's z (Simonsohn, 2015): the z test of atanh(r) with SE
    1 / sqrt(n - 3) detects atanh(r33) with power 1/3.

    References
    ----------
    Simonsohn, U. (2015). Small telescopes: Detectability and the evaluation of replication
    results. Psychological Science, 26(5), 559-569. https://doi.org/10.1177/0956797614567341

    Examples
    --------
    >>> from analysis import r33
    >>> round(r33(100), 3)
    0.154
    """
    _number("n", n)
    if n <= 3:
        raise ParameterError(f"`n` must exceed 3, but {n!r} was passed.")
    return math.tanh(effect33(1 / math.sqrt(n - 3), alpha=alpha))


def d33(n1: float, n2: float | None = None, *, alpha: float = 0.05) -> float:
    """Compute the Cohen's d that a t test had 33% power to detect (Simonsohn, 2015).

    Parameters
    ----------
    n1 : int
        Size of the first group, or of the sample for a one-sample or paired test (at least 2).
    n2 : int, optional
        Size of the second group of a two-sample test (at least 2); None: one-sample or paired.
    alpha : float, default 0.05
        Significance level of the two-sided t test (between 0 and 0.5).

    Returns
    -------
    float
        The standardized mean difference d33 (positive).

    Raises
    ------
    ParameterError
        If a size is not a number of at least 2, or `alpha` is not between 0 and 0.5.

    See Also
    --------
    effect33 : The normal-theory version on any estimate.
    replication : Pass d33 as ``small_effect`` for a replication of a t test on d.

    Notes
    -----
    The d with P(|T| > t_crit) = 1/3, T noncentral t with df = n1 + n2 - 2 (one sample:
    n1 - 1) and noncentrality d sqrt(n1 n2 / (n1 + n2)) (one sample: d sqrt(n1)). Matches
    ``power.t.test(n, power = 1/3, strict = TRUE)$delta`` for equal groups.

    References
    ----------
    Simonsohn, U. (2015). Small telescopes: Detectability and the evaluation of replication
    results. Psychological Science, 26(5), 559-569. https://doi.org/10.1177/0956797614567341

    Examples
    --------
    >>> from analysis import d33
    >>> round(d33(20, 20), 3), round(d33(30), 3)
    (0.496, 0.289)
    """
    _number("n1", n1)
    if n2 is not None:
        _number("n2", n2)
    _check_alpha(alpha)
    if n2 is None:
        if n1 < 2:
            raise ParameterError(f"`n1` must be at least 2, but {n1!r} was passed.")
        df, m = n1 - 1, math.sqrt(n1)
    else:
        if n1 < 2 or n2 < 2:
            raise ParameterError(f"Group sizes must be at least 2, but n1 = {n1!r} and n2 = {n2!r} were passed.")
        df, m = n1 + n2 - 2, math.sqrt(n1 * n2 / (n1 + n2))
    q = stats.t.ppf(1 - alpha / 2, df)
    f = lambda d: stats.nct.sf(q, df, d * m) + stats.nct.cdf(-q, df, d * m) - 1 / 3  # noqa: E731
    return float(optimize.brentq(f, 0.0, (q + 4) / m, xtol=1e-14, rtol=1e-15))


def replication_bf(orig_estimate: float, orig_se: float, new_estimate: float, new_se: float) -> float:
    """Compute the replication Bayes factor BF_r0 under normal approximations.

    Parameters
    ----------
    orig_estimate : float
        The original (published) estimate.
    orig_se : float
        Its standard error (positive).
    new_estimate : float
        The replication's estimate, on the same scale.
    new_se : float
        Its standard error (positive).

    Returns
    -------
    float
        BF_r0: above 1 the data favour the proponent's hypothesis (the effect is as the
        original found), below 1 the skeptic's null; ``inf`` beyond the float range.

    Raises
    ------
    ParameterError
        If an estimate is not a finite number or an SE is not positive.

    See Also
    --------
    replication_bf_t : The same for t tests, exactly.
    replication : The full replication verdict, which reports this.

    Notes
    -----
    Verhagen and Wagenmakers (2014): H_r: θ ~ N(orig, se_orig²) (posterior of the original
    under a flat prior), H0: θ = 0; the new estimate ~ N(θ, se_new²). BF_r0 = φ(new; orig,
    se_orig² + se_new²) / φ(new; 0, se_new²). Checked against base R (``dnorm`` ratio and
    ``integrate``; tests/reference/replication.R).

    References
    ----------
    Verhagen, J., & Wagenmakers, E.-J. (2014). Bayesian tests to quantify the result of a
    replication attempt. Journal of Experimental Psychology: General, 143(4), 1457-1475.
    https://doi.org/10.1037/a0036731

    Examples
    --------
    >>> from analysis import replication_bf
    >>> round(replication_bf(0.5, 0.2, 0.4, 0.15), 2)
    19.39
    """
    for name, value in (("orig_estimate", orig_estimate), ("new_estimate", new_estimate)):
        _number(name, value)
    _positive("orig_se", orig_se)
    _positive("new_se", new_se)
    log_bf = (stats.norm.logpdf(new_estimate, orig_estimate, math.hypot(orig_se, new_se))
              - stats.norm.logpdf(new_estimate, 0.0, new_se))  # fmt: skip
    return float(math.exp(log_bf)) if log_bf < 709 else math.inf  # beyond float range: overwhelming


def replication_bf_t(t_orig: float, n_orig, t_rep: float, n_rep, *, method: str = "exact") -> float:
    """Compute the replication Bayes factor BF_r0 for t tests (Verhagen & Wagenmakers, 2014).

    Parameters
    ----------
    t_orig : float
        The original study's t statistic.
    n_orig : int or pair of int
        Its sample size (one-sample or paired t test) or its two group sizes (two-sample t test).
    t_rep : float
        The replication's t statistic (same sign convention as `t_orig`).
    n_rep : int or pair of int
        The replication's sample size or group sizes (the same design as `n_orig`).
    method : {"exact", "normal"}, optional
        ``"exact"`` (default): the original's posterior of δ under a flat prior, by numerical
        integration. ``"normal"``: the normal approximation of ``ReplicationBF::RBF_ttest(method
        = "NormApprox")`` (mean t/sqrt(n_eff), SD from the lower 95% limit of the
        noncentrality), integrated rather than averaged over random draws.

    Returns
    -------
    float
        BF_r0 = p(t_rep | H_r) / p(t_rep | H0).

    Raises
    ------
    ParameterError
        If a t is not a finite number, a size is below 2, the two designs differ (one n and two
        groups), or `method` is not "exact" or "normal".

    See Also
    --------
    replication_bf : The normal approximation on estimates and SEs.

    Notes
    -----
    n_eff = n or n1 n2 / (n1 + n2), df = n - 1 or n1 + n2 - 2. H0: δ = 0 gives the central t
    density of t_rep; H_r: δ ~ posterior from the original, p(t_rep | δ) the noncentral t
    density with noncentrality δ sqrt(n_eff_rep). Matches base-R ``integrate`` of ``dt`` to
    about 1e-7 (tests/reference/replication.R).

    References
    ----------
    Verhagen, J., & Wagenmakers, E.-J. (2014). Bayesian tests to quantify the result of a
    replication attempt. Journal of Experimental Psychology: General, 143(4), 1457-1475.
    https://doi.org/10.1037/a0036731

    Examples
    --------
    >>> from analysis.claims.replication_stats import replication_bf_t
    >>> round(replication_bf_t(2.5, 40, 2.0, 80), 2)
    2.77
    >>> round(replication_bf_t(2.5, (20, 20), 1.0, (50, 50)), 2)  # two-sample t tests
    0.26
    """
    _check_one_of("method", method, ("exact", "normal"))
    _number("t_orig", t_orig)
    _number("t_rep", t_rep)
    df_o, m_o = _t_design(n_orig, "n_orig")
    df_r, m_r = _t_design(n_rep, "n_rep")
    if len(np.atleast_1d(n_orig)) != len(np.atleast_1d(n_rep)):
        raise ParameterError("`n_orig` and `n_rep` must describe the same design (both one n or both two groups).")
    like = lambda d: stats.nct.pdf(t_rep, df_r, d * m_r)  # noqa: E731
    if method == "exact":
        width = 15 * math.sqrt(1 + t_orig**2 / (2 * df_o)) / m_o
        lo, hi = t_orig / m_o - width, t_orig / m_o + width
        post = lambda d: stats.nct.pdf(t_orig, df_o, d * m_o)  # noqa: E731
        norm = integrate.quad(post, lo, hi, epsabs=0, epsrel=1e-12, limit=200)[0]
        marg = integrate.quad(lambda d: like(d) * post(d), lo, hi, epsabs=0, epsrel=1e-12, limit=200)[0] / norm
    else:
        ncp_low = optimize.brentq(lambda ncp: stats.nct.cdf(t_orig, df_o, ncp) - 0.975, t_orig - 20, t_orig,
                                  xtol=1e-14)  # fmt: skip
        mu = t_orig / m_o
        sd = abs((t_orig - ncp_low) / stats.norm.ppf(0.025)) / m_o
        marg = integrate.quad(lambda d: like(d) * stats.norm.pdf(d, mu, sd), mu - 15 * sd, mu + 15 * sd,
                              epsabs=0, epsrel=1e-12, limit=200)[0]  # fmt: skip
    return float(marg / stats.t.pdf(t_rep, df_r))


def _t_design(n, name: str) -> tuple[float, float]:
    sizes = np.atleast_1d(np.asarray(n, dtype=float))
    if sizes.size not in (1, 2) or not np.all(np.isfinite(sizes)) or np.any(sizes < 2):
        raise ParameterError(
            f"`{name}` must be one sample size or two group sizes, each at least 2, but {n!r} was passed."
        )
    if sizes.size == 1:
        return sizes[0] - 1, math.sqrt(sizes[0])
    return sizes.sum() - 2, math.sqrt(sizes[0] * sizes[1] / sizes.sum())


# ---------------------------------------------------------------------------------------------
# Checks


def _number(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ParameterError(f"`{name}` must be a finite number, but {value!r} was passed.")


def _positive(name: str, value) -> None:
    _number(name, value)
    if value <= 0:
        raise ParameterError(f"`{name}` must be positive, but {value!r} was passed.")


def _check_alpha(alpha) -> None:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < 0.5:
        raise ParameterError(
            f"The value for `alpha` must be a number between 0 and 0.5, but {alpha!r} was passed."
        )
