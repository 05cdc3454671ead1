"""Verdict rules for claims and replications: directional claims with a smallest effect size of
interest (equivalence testing), and replications of a published estimate (difference test,
prediction interval, small telescopes, replication Bayes factor).

Every function takes plain numbers (an estimate and its SE, or r and n) and returns a small
frozen result whose ``summary`` is a one-row DataFrame with the numbers, a ``verdict`` and the
``rule`` that produced it; ``sentence()`` states both in APA style. The detectable-effect and
Bayes-factor statistics are in `analysis.claims.replication_stats`; `analysis.claims.replicate`
applies these rules to claims tested on data sets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis._checks import _check_one_of
from analysis.apa import apa_table, format_ci, format_p, format_stat, format_value
from analysis.claims.replication_stats import (
    _check_alpha,
    _number,
    _positive,
    effect33,
    replication_bf,
)
from analysis.exceptions import ParameterError

__all__ = ["ClaimResult", "ReplicationResult", "directional_claim", "directional_claim_r", "replication",
           "replication_r"]

CLAIM_RULES = {
    "equivalent to zero (negligible)": "equivalence: both one-sided tests against -SESOI and +SESOI "
    "give p < alpha, i.e. the 100(1 - 2 alpha)% CI lies within ±SESOI (TOST; Lakens, 2017)",
    "supported": "direction: the one-sided test in the claimed direction gives p < alpha and the effect "
    "is not equivalent to zero (the CI reaches beyond the SESOI)",
    "opposite": "opposite: the one-sided test against the claimed direction gives p < alpha",
    "inconclusive": "none of the rules applies: neither the direction nor equivalence to zero is "
    "established at alpha",
}
REPLICATION_RULES = {
    "replicated (consistent)": "significant in the original's direction (two-sided p < alpha) and "
    "consistent with the original (difference test p >= alpha; Patil, Peng & Leek, 2016)",
    "replicated, smaller": "significant in the original's direction, but significantly smaller than the "
    "original (difference test p < alpha)",
    "replicated, larger": "significant in the original's direction and significantly larger than the "
    "original (difference test p < alpha)",
    "not replicated": "small telescopes: the one-sided 100(1 - alpha)% bound of the replication lies "
    "below the effect the original study had 33% power to detect (Simonsohn, 2015)",
    "inconclusive": "not significant, and the replication cannot rule out the effect the original "
    "study had 33% power to detect (small telescopes; Simonsohn, 2015)",
}


@dataclass(frozen=True)
class _Verdict:
    summary: pd.DataFrame

    @property
    def verdict(self) -> str:
        """The verdict category (a key of ``CLAIM_RULES`` or ``REPLICATION_RULES``)."""
        return str(self.summary["verdict"].iloc[0])

    @property
    def rule(self) -> str:
        """The rule that produced the verdict, in words."""
        return str(self.summary["rule"].iloc[0])


@dataclass(frozen=True)
class ClaimResult(_Verdict):
    """Result of :func:`directional_claim` / :func:`directional_claim_r`.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row with the numbers, ``verdict`` and ``rule`` (columns listed under
        :func:`directional_claim`); ``attrs["ci"]`` is the CI level, 1 - 2 alpha.

    See Also
    --------
    directional_claim : Makes it from an estimate and its SE.
    directional_claim_r : Makes it from a correlation and n.

    Examples
    --------
    >>> from analysis import directional_claim
    >>> result = directional_claim(0.30, 0.10, sesoi=0.10)
    >>> result.verdict, round(float(result.summary["p_tost"].iloc[0]), 3)
    ('supported', 0.977)
    """

    def table(self, *, title: str = "Test of a directional claim", number: int | None = None):
        """Return the summary row as an APA table.

        Parameters
        ----------
        title : str, default "Test of a directional claim"
            Table title.
        number : int, optional
            Table number in the report.

        Returns
        -------
        HtmlBlock
            Estimate, CI, one-sided p, TOST p, SESOI and verdict; the rule in the note.
        """
        cols = ["estimate", "ci_low", "ci_high", "p_value", "p_tost", "sesoi", "verdict"]
        return apa_table(self.summary[cols], title=title, number=number, note=f"Rule: {self.rule}.")

    def sentence(self, effect: str = "effect") -> str:
        """Return an APA sentence with the estimate, CI, direction and equivalence tests, verdict and rule.

        Parameters
        ----------
        effect : str, default "effect"
            What the estimate is, as the sentence names it (``"slope of x on y"``).

        Returns
        -------
        str
            Plain text, numbers formatted by `analysis.apa`.
        """
        s = self.summary.iloc[0]
        is_r = s["scale"] == "r"
        sym = "r" if is_r else "b"
        side = "positive" if s["direction"] > 0 else "negative"
        level = 1 - 2 * s["alpha"]
        return (
            f"The {effect} was {format_stat(sym, s['estimate'], bounded=is_r)}, "
            f"{format_ci(s['ci_low'], s['ci_high'], level=level, bounded=is_r)}; one-sided test in the claimed "
            f"({side}) direction {format_stat('z', s['statistic'])}, {format_p(s['p_value'])}; equivalence "
            f"test against ±{format_value(s['sesoi'], bounded=is_r)} (TOST), {format_p(s['p_tost'])}. "
            f"Verdict: {self.verdict} (rule: {self.rule}; alpha = {format_value(s['alpha'], 2, bounded=True)})."
        )


@dataclass(frozen=True)
class ReplicationResult(_Verdict):
    """Result of :func:`replication` / :func:`replication_r`.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row with the numbers, ``verdict`` and ``rule`` (columns listed under
        :func:`replication`); ``attrs["ci"]`` is the CI level, 1 - alpha.

    See Also
    --------
    replication : Makes it from estimates and SEs.
    replication_r : Makes it from correlations and sample sizes.

    Examples
    --------
    >>> from analysis import replication
    >>> result = replication(0.60, 0.20, 0.15, 0.05)
    >>> result.verdict, round(float(result.summary["diff_p_value"].iloc[0]), 3)
    ('replicated, smaller', 0.029)
    """

    def table(self, *, title: str = "Replication of a published estimate", number: int | None = None):
        """Return the main numbers of the summary row as an APA table.

        Parameters
        ----------
        title : str, default "Replication of a published estimate"
            Table title.
        number : int, optional
            Table number in the report.

        Returns
        -------
        HtmlBlock
            Original and new estimate, new CI and p, difference p, prediction interval,
            effect33, BF_r0 and verdict; the rule in the note.
        """
        cols = ["orig_estimate", "new_estimate", "new_ci_low", "new_ci_high", "new_p_value", "diff_p_value",
                "pi_low", "pi_high", "effect33", "bf_r0", "verdict"]  # fmt: skip
        return apa_table(self.summary[cols], title=title, number=number, note=f"Rule: {self.rule}.")

    def sentence(self, effect: str = "effect") -> str:
        """Return an APA sentence on the replication: estimate, consistency, BF, verdict and rule.

        The sentence gives the new estimate, its consistency with the original (difference test
        and prediction interval), the small-telescopes benchmark, the replication Bayes factor,
        the verdict and its rule.

        Parameters
        ----------
        effect : str, default "effect"
            What the estimate is, as the sentence names it.

        Returns
        -------
        str
            Plain text, numbers formatted by `analysis.apa`; the Bayes factor is reported on
            the side the evidence favours (BF_r0 or BF_0r).
        """
        s = self.summary.iloc[0]
        is_r = s["scale"] == "r"
        sym = "r" if is_r else "b"
        level = 1 - s["alpha"]
        where = "inside" if s["new_in_pi"] else "outside"
        bf = (format_stat("BF_r0", s["bf_r0"]) if s["bf_r0"] >= 1  # report the side the evidence favours
              else format_stat("BF_0r", 1 / s["bf_r0"]))  # fmt: skip
        return (
            f"The replication estimated the {effect} at {format_stat(sym, s['new_estimate'], bounded=is_r)}, "
            f"{format_ci(s['new_ci_low'], s['new_ci_high'], level=level, bounded=is_r)}, "
            f"{format_p(s['new_p_value'])} "
            f"(original {format_stat(sym, s['orig_estimate'], bounded=is_r)}); the difference from the original "
            f"gave {format_stat('z', s['diff_statistic'])}, {format_p(s['diff_p_value'])}, and the new estimate "
            f"lies {where} the original's {100 * level:g}% prediction interval "
            f"[{format_value(s['pi_low'], bounded=is_r)}, {format_value(s['pi_high'], bounded=is_r)}]. The effect "
            f"the original had 33% power to detect was {format_value(s['effect33'], bounded=is_r)}; "
            f"{bf}. Verdict: {self.verdict} (rule: {self.rule})."
        )


# ---------------------------------------------------------------------------------------------
# Directional claims


def directional_claim(estimate: float, se: float, *, sesoi: float, direction: str = "positive",
                      alpha: float = 0.05) -> ClaimResult:  # fmt: skip
    """Test a directional claim with a smallest effect size of interest (SESOI).

    Parameters
    ----------
    estimate : float
        The estimate (approximately normal, e.g. a slope, d, or a Fisher z).
    se : float
        Its standard error (positive).
    sesoi : float
        Smallest effect size of interest (positive, same units): effects within ±SESOI are
        negligible.
    direction : {"positive", "negative"}, optional
        The claimed sign of the effect (default "positive").
    alpha : float, optional
        Level of every one-sided test (default 0.05; the matching CI is 100(1 - 2 alpha)%).

    Returns
    -------
    ClaimResult
        ``summary`` (one row): ``scale`` ("estimate"), ``estimate``, ``se``, ``n`` (NaN),
        ``fisher_z`` (NaN), ``statistic`` (z = estimate / se), ``p_value`` (one-sided, in the
        claimed direction), ``p_opposite`` (one-sided, against it), ``p_two_sided``,
        ``p_equiv_lower``, ``p_equiv_upper``, ``p_tost`` (the larger of the two),
        ``ci_low``, ``ci_high`` (100(1 - 2 alpha)% CI), ``sesoi``, ``direction`` (+1 or -1),
        ``alpha``, ``verdict``, ``rule``.

    Raises
    ------
    ParameterError
        A non-finite estimate, an SE or SESOI that is not positive, a bad `direction` or `alpha`.

    See Also
    --------
    directional_claim_r : The same test for a correlation, through Fisher's z.
    replication : Judge a replication of a published estimate.

    Notes
    -----
    With s = ±1 the claimed sign and z = estimate / se:
    p_value = 1 - Φ(s z); p_opposite = Φ(s z); TOST (Lakens, 2017):
    p_equiv_lower = 1 - Φ((estimate + SESOI) / se) (H0: θ ≤ -SESOI),
    p_equiv_upper = Φ((estimate - SESOI) / se) (H0: θ ≥ SESOI), p_tost = max of the two.
    Verdict, the first rule that applies: p_tost < alpha → "equivalent to zero (negligible)"
    (even when also significantly different from zero: the effect is real but too small to
    matter); p_value < alpha → "supported"; p_opposite < alpha → "opposite"; else
    "inconclusive". Each rule is the position of the 100(1 - 2 alpha)% CI: inside ±SESOI,
    above 0, below 0, or straddling. The TOST is the z-test version (Lakens, 2017, for
    meta-analytic estimates); its p values were checked against base-R ``pnorm``
    (tests/reference/replication.R). For the conventional two-sided .05 direction test and a
    95% CI, pass ``alpha=0.025``.

    References
    ----------
    Lakens, D. (2017). Equivalence tests: A practical primer for t tests, correlations, and
    meta-analyses. Social Psychological and Personality Science, 8(4), 355-362.
    Lakens, D., Scheel, A. M., & Isager, P. M. (2018). Equivalence testing for psychological
    research: A tutorial. Advances in Methods and Practices in Psychological Science, 1(2), 259-269.

    Examples
    --------
    >>> from analysis import directional_claim
    >>> directional_claim(0.30, 0.10, sesoi=0.10).verdict
    'supported'
    >>> directional_claim(0.30, 0.10, sesoi=0.10).summary[["ci_low", "ci_high", "p_value", "p_tost"]].round(3)
       ci_low  ci_high  p_value  p_tost
    0   0.136    0.464    0.001   0.977
    """
    _number("estimate", estimate)
    _positive("se", se)
    _positive("sesoi", sesoi)
    _check_one_of("direction", direction, ("positive", "negative"))
    _check_alpha(alpha)
    row = _claim(float(estimate), float(se), float(sesoi), 1 if direction == "positive" else -1, alpha)
    row.update(scale="estimate", n=np.nan, fisher_z=np.nan)
    return ClaimResult(_claim_frame(row))


def directional_claim_r(r: float, n: float, *, sesoi: float, direction: str = "positive",
                        alpha: float = 0.05) -> ClaimResult:  # fmt: skip
    """Test a directional claim about a correlation with a SESOI, through Fisher's z.

    Parameters
    ----------
    r : float
        The correlation, strictly between -1 and 1.
    n : int
        Its sample size (more than 3).
    sesoi : float
        Smallest correlation of interest (between 0 and 1): |ρ| < SESOI is negligible.
    direction : {"positive", "negative"}, optional
        The claimed sign (default "positive").
    alpha : float, optional
        Level of every one-sided test (default 0.05).

    Returns
    -------
    ClaimResult
        As :func:`directional_claim`, with ``scale`` "r", ``estimate`` = r, ``n``,
        ``fisher_z`` = atanh(r), ``se`` = 1 / sqrt(n - 3) (on the z scale), ``sesoi`` as a
        correlation, and the CI back-transformed to r.

    Raises
    ------
    ParameterError
        r outside (-1, 1), n ≤ 3, SESOI outside (0, 1), a bad `direction` or `alpha`.

    See Also
    --------
    directional_claim : The test on an estimate and its SE.
    correlations : Pearson correlations with n.

    Notes
    -----
    The tests of :func:`directional_claim` on z = atanh(r), se = 1 / sqrt(n - 3) and the bound
    atanh(SESOI) (Lakens, 2017, uses the same Fisher-z TOST for correlations). Checked against
    base R (``pnorm`` on ``atanh``; tests/reference/replication.R).

    References
    ----------
    Lakens, D. (2017). Equivalence tests: A practical primer for t tests, correlations, and
    meta-analyses. Social Psychological and Personality Science, 8(4), 355-362.

    Examples
    --------
    >>> from analysis import directional_claim_r
    >>> result = directional_claim_r(0.02, 1000, sesoi=0.10)
    >>> result.verdict
    'equivalent to zero (negligible)'
    >>> result.summary[["ci_low", "ci_high", "p_tost"]].round(3)
       ci_low  ci_high  p_tost
    0  -0.032    0.072   0.006
    """
    _number("r", r)
    if not -1 < r < 1:
        raise ParameterError(f"`r` must lie strictly between -1 and 1, but {r!r} was passed.")
    _number("n", n)
    if n <= 3:
        raise ParameterError(f"`n` must exceed 3 (the Fisher z SE is 1/sqrt(n - 3)), but {n!r} was passed.")
    _positive("sesoi", sesoi)
    if sesoi >= 1:
        raise ParameterError(f"`sesoi` for a correlation must lie between 0 and 1, but {sesoi!r} was passed.")
    _check_one_of("direction", direction, ("positive", "negative"))
    _check_alpha(alpha)
    z, se = math.atanh(r), 1 / math.sqrt(n - 3)
    row = _claim(z, se, math.atanh(sesoi), 1 if direction == "positive" else -1, alpha)
    row.update(scale="r", estimate=float(r), n=float(n), fisher_z=z, sesoi=float(sesoi),
               ci_low=math.tanh(row["ci_low"]), ci_high=math.tanh(row["ci_high"]))  # fmt: skip
    return ClaimResult(_claim_frame(row))


def _claim(est: float, se: float, sesoi: float, sign: int, alpha: float) -> dict:
    z = est / se
    p_dir, p_opp = stats.norm.sf(sign * z), stats.norm.cdf(sign * z)
    p_lo, p_up = stats.norm.sf((est + sesoi) / se), stats.norm.cdf((est - sesoi) / se)
    p_tost = max(p_lo, p_up)
    crit = stats.norm.ppf(1 - alpha)
    if p_tost < alpha:
        verdict = "equivalent to zero (negligible)"
    elif p_dir < alpha:
        verdict = "supported"
    elif p_opp < alpha:
        verdict = "opposite"
    else:
        verdict = "inconclusive"
    return dict(estimate=est, se=se, statistic=z, p_value=float(p_dir), p_opposite=float(p_opp),
                p_two_sided=float(2 * stats.norm.sf(abs(z))), p_equiv_lower=float(p_lo),
                p_equiv_upper=float(p_up), p_tost=float(p_tost), ci_low=est - crit * se,
                ci_high=est + crit * se, sesoi=sesoi, direction=sign, alpha=float(alpha),
                verdict=verdict, rule=CLAIM_RULES[verdict])  # fmt: skip


def _claim_frame(row: dict) -> pd.DataFrame:
    cols = ["scale", "estimate", "se", "n", "fisher_z", "statistic", "p_value", "p_opposite", "p_two_sided",
            "p_equiv_lower", "p_equiv_upper", "p_tost", "ci_low", "ci_high", "sesoi", "direction", "alpha",
            "verdict", "rule"]  # fmt: skip
    out = pd.DataFrame({c: [row[c]] for c in cols})
    out.attrs["ci"] = 1 - 2 * row["alpha"]
    return out


# ---------------------------------------------------------------------------------------------
# Replications


def replication(orig_estimate: float, orig_se: float, new_estimate: float, new_se: float, *,
                alpha: float = 0.05, small_effect: float | None = None) -> ReplicationResult:  # fmt: skip
    """Judge a replication of a published estimate (normal theory on estimates with SEs).

    Parameters
    ----------
    orig_estimate, orig_se : float
        The original (published) estimate and its SE (positive; the estimate not 0, its sign is
        the claimed direction).
    new_estimate, new_se : float
        The replication's estimate and SE, on the same scale.
    alpha : float, optional
        Level of the tests (default 0.05); CIs and the prediction interval are 100(1 - alpha)%.
    small_effect : float, optional
        The effect the original study had 33% power to detect, if known more exactly than the
        normal approximation (e.g. :func:`d33` for a two-sample t test on d); in the units of
        the estimates, positive. Default: :func:`effect33` of `orig_se`.

    Returns
    -------
    ReplicationResult
        ``summary`` (one row): ``scale`` ("estimate"), ``orig_estimate``, ``orig_se``,
        ``orig_n``, ``new_estimate``, ``new_se``, ``new_n`` (n are NaN here), ``new_statistic``
        and ``new_p_value`` (two-sided z test of the new estimate), ``new_ci_low``,
        ``new_ci_high``; ``diff`` (new - original), ``diff_se``, ``diff_statistic``,
        ``diff_p_value``, ``diff_ci_low``, ``diff_ci_high``; ``pi_low``, ``pi_high``
        (prediction interval of a replication estimate given the original); ``orig_in_new_ci``,
        ``new_in_pi``; ``effect33`` (signed as the original), ``small_bound`` (the replication's
        one-sided 100(1 - alpha)% bound on the original's side), ``small_p_value`` (one-sided
        test that the effect is smaller than effect33), ``too_small``; ``bf_r0`` (replication
        Bayes factor, normal approximation); ``alpha``, ``verdict``, ``rule``.

    Raises
    ------
    ParameterError
        A non-finite value, an SE that is not positive, an original estimate of 0, a bad
        `alpha` or `small_effect`.

    See Also
    --------
    replication_r : The same rules for a correlation, through Fisher's z.
    d33 : The small-telescopes effect of a t test on d (for `small_effect`).
    replication_bf : The replication Bayes factor alone.

    Notes
    -----
    s = sign(original), c = Φ⁻¹(1 - alpha/2). Difference: z = (new - orig) / sqrt(se_new² +
    se_orig²). Prediction interval (Patil, Peng & Leek, 2016): orig ± c sqrt(se_orig² +
    se_new²); the new estimate lies inside it exactly when the difference test has p ≥ alpha.
    Small telescopes (Simonsohn, 2015): effect33 solves Φ(θ/se_orig - c) + Φ(-θ/se_orig - c)
    = 1/3; the replication is too small to have been detectable when s·new + Φ⁻¹(1 - alpha)
    se_new < effect33. Replication Bayes factor (Verhagen & Wagenmakers, 2014), normal
    approximation: H_r: θ ~ N(orig, se_orig²) (the original's posterior under a flat prior) vs
    H0: θ = 0, both evaluated at the new estimate: BF_r0 = φ(new; orig, se_orig² + se_new²) /
    φ(new; 0, se_new²). It is reported but does not enter the verdict.

    Verdict, the first rule that applies: the new estimate is significant (two-sided p <
    alpha) in the original's direction → "replicated (consistent)" if the difference test has
    p ≥ alpha, else "replicated, smaller" or "replicated, larger"; too small by the small
    telescopes → "not replicated"; otherwise "inconclusive". Checked against base R
    (tests/reference/replication.R).

    References
    ----------
    Patil, P., Peng, R. D., & Leek, J. T. (2016). What should researchers expect when they
    replicate studies? A statistical view of replicability in psychological science.
    Perspectives on Psychological Science, 11(4), 539-544.
    Simonsohn, U. (2015). Small telescopes: Detectability and the evaluation of replication
    results. Psychological Science, 26(5), 559-569.
    Verhagen, J., & Wagenmakers, E.-J. (2014). Bayesian tests to quantify the result of a
    replication attempt. Journal of Experimental Psychology: General, 143(4), 1457-1475.

    Examples
    --------
    >>> from analysis import replication
    >>> replication(0.60, 0.20, 0.15, 0.05).verdict
    'replicated, smaller'
    """
    for name, value in (("orig_estimate", orig_estimate), ("new_estimate", new_estimate)):
        _number(name, value)
    _positive("orig_se", orig_se)
    _positive("new_se", new_se)
    if orig_estimate == 0:
        raise ParameterError("`orig_estimate` is 0, so it claims no direction; a replication verdict needs one.")
    _check_alpha(alpha)
    if small_effect is not None:
        _positive("small_effect", small_effect)
    t33 = float(small_effect) if small_effect is not None else effect33(orig_se, alpha=alpha)
    row = _replication(float(orig_estimate), float(orig_se), float(new_estimate), float(new_se), alpha, t33)
    row.update(scale="estimate", orig_n=np.nan, new_n=np.nan)
    return ReplicationResult(_replication_frame(row))


def replication_r(orig_r: float, orig_n: float, new_r: float, new_n: float, *,
                  alpha: float = 0.05) -> ReplicationResult:  # fmt: skip
    """Judge a replication of a published correlation, through Fisher's z.

    Parameters
    ----------
    orig_r, orig_n : float, int
        The original correlation (not 0) and its sample size (more than 3).
    new_r, new_n : float, int
        The replication's correlation and sample size.
    alpha : float, optional
        Level of the tests (default 0.05).

    Returns
    -------
    ReplicationResult
        As :func:`replication` with ``scale`` "r": ``orig_estimate``, ``new_estimate``, the new
        CI, the prediction interval, ``effect33`` (r33) and ``small_bound`` as correlations;
        the SEs and the difference (``diff``, its CI and test) on the Fisher z scale.

    Raises
    ------
    ParameterError
        A correlation outside (-1, 1), a sample size of 3 or less, an original r of 0, or a bad
        `alpha`.

    See Also
    --------
    replication : The rules on estimates and SEs.
    r33 : The small-telescopes correlation of the original study.

    Notes
    -----
    :func:`replication` on z = atanh(r) with se = 1 / sqrt(n - 3); intervals are
    back-transformed with tanh. r33 = tanh(effect33(1 / sqrt(orig_n - 3))). Checked against
    base R (tests/reference/replication.R).

    References
    ----------
    Patil, P., Peng, R. D., & Leek, J. T. (2016). What should researchers expect when they
    replicate studies? A statistical view of replicability in psychological science.
    Perspectives on Psychological Science, 11(4), 539-544.
    Simonsohn, U. (2015). Small telescopes: Detectability and the evaluation of replication
    results. Psychological Science, 26(5), 559-569.

    Examples
    --------
    >>> from analysis import replication_r
    >>> result = replication_r(0.45, 80, 0.05, 300)
    >>> result.verdict
    'not replicated'
    >>> result.summary[["new_ci_low", "new_ci_high", "effect33", "small_bound"]].round(3)
       new_ci_low  new_ci_high  effect33  small_bound
    0      -0.064        0.162     0.172        0.144
    """
    for name, value, n_name, n in (("orig_r", orig_r, "orig_n", orig_n), ("new_r", new_r, "new_n", new_n)):
        _number(name, value)
        _number(n_name, n)
        if not -1 < value < 1:
            raise ParameterError(f"`{name}` must lie strictly between -1 and 1, but {value!r} was passed.")
        if n <= 3:
            raise ParameterError(
                f"`{n_name}` must exceed 3 (the Fisher z SE is 1/sqrt(n - 3)), but {n!r} was passed."
            )
    if orig_r == 0:
        raise ParameterError("`orig_r` is 0, so it claims no direction; a replication verdict needs one.")
    _check_alpha(alpha)
    zo, so = math.atanh(orig_r), 1 / math.sqrt(orig_n - 3)
    zn, sn = math.atanh(new_r), 1 / math.sqrt(new_n - 3)
    row = _replication(zo, so, zn, sn, alpha, effect33(so, alpha=alpha))
    for key in ("new_ci_low", "new_ci_high", "pi_low", "pi_high", "effect33", "small_bound"):
        row[key] = math.tanh(row[key])
    row.update(scale="r", orig_estimate=float(orig_r), new_estimate=float(new_r), orig_n=float(orig_n),
               new_n=float(new_n))  # fmt: skip
    return ReplicationResult(_replication_frame(row))


def _replication(orig: float, se_o: float, new: float, se_n: float, alpha: float, t33: float) -> dict:
    s = 1.0 if orig > 0 else -1.0
    c2, c1 = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(1 - alpha)
    se_d = math.hypot(se_n, se_o)
    diff = new - orig
    p_new = float(2 * stats.norm.sf(abs(new / se_n)))
    p_d = float(2 * stats.norm.sf(abs(diff / se_d)))
    upper = s * new + c1 * se_n
    if p_new < alpha and s * new > 0:
        verdict = "replicated (consistent)" if p_d >= alpha else (
            "replicated, smaller" if s * diff < 0 else "replicated, larger")  # fmt: skip
    else:
        verdict = "not replicated" if upper < t33 else "inconclusive"
    return dict(orig_estimate=orig, orig_se=se_o, new_estimate=new, new_se=se_n,
                new_statistic=new / se_n, new_p_value=p_new, new_ci_low=new - c2 * se_n,
                new_ci_high=new + c2 * se_n, diff=diff, diff_se=se_d, diff_statistic=diff / se_d,
                diff_p_value=p_d, diff_ci_low=diff - c2 * se_d, diff_ci_high=diff + c2 * se_d,
                pi_low=orig - c2 * se_d, pi_high=orig + c2 * se_d,
                orig_in_new_ci=bool(new - c2 * se_n <= orig <= new + c2 * se_n),
                new_in_pi=bool(orig - c2 * se_d <= new <= orig + c2 * se_d),
                effect33=s * t33, small_bound=s * upper,
                small_p_value=float(stats.norm.cdf((s * new - t33) / se_n)), too_small=bool(upper < t33),
                bf_r0=replication_bf(orig, se_o, new, se_n), alpha=float(alpha), verdict=verdict,
                rule=REPLICATION_RULES[verdict])  # fmt: skip


def _replication_frame(row: dict) -> pd.DataFrame:
    cols = ["scale", "orig_estimate", "orig_se", "orig_n", "new_estimate", "new_se", "new_n", "new_statistic",
            "new_p_value", "new_ci_low", "new_ci_high", "diff", "diff_se", "diff_statistic", "diff_p_value",
            "diff_ci_low", "diff_ci_high", "pi_low", "pi_high", "orig_in_new_ci", "new_in_pi", "effect33",
            "small_bound", "small_p_value", "too_small", "bf_r0", "alpha", "verdict", "rule"]  # fmt: skip
    out = pd.DataFrame({c: [row[c]] for c in cols})
    out.attrs["ci"] = 1 - row["alpha"]
    return out
