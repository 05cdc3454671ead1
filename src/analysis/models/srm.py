"""The Social Relations Model for round-robin family data with roles (Kenny, Kashy & Cook, 2006,
ch. 9), fitted by maximum likelihood as a confirmatory factor model on the wide family table, as
the R package fSRM does with lavaan; the estimator is the project's own SEM engine
(`analysis.psychometrics._sem_ml`, the one behind `cfa`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis._checks import _check_level, _check_one_of
from analysis.apa import HtmlBlock, apa_table, format_ci, format_p, format_stat, format_value
from analysis.data.describe import value_label
from analysis.exceptions import DataError, ParameterError
from analysis.models import _srm_model

__all__ = ["SRMResult", "srm"]

_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 6: "six"}


@dataclass(frozen=True)
class SRMResult:
    """A fitted Social Relations Model: variance components and reciprocities, each dyad's
    variance shares, fit, the excluded rows and APA output.

    Returned by `srm` (whose Returns section lists every column).

    Attributes
    ----------
    coefficients : pandas.DataFrame
        One row per variance component, reciprocity and error variance: ``component``, ``role``,
        ``indicator``, ``estimate``, ``se``, ``statistic`` (z), ``p_value``, ``ci_low``,
        ``ci_high``, ``std_estimate`` (the reciprocity as a correlation).
    variance_shares : pandas.DataFrame
        One row per directed dyad: ``dyad`` and the share of each component.
    fit : pandas.DataFrame
        One row: ``n`` (families used), ``n_excluded``, ``chi_square``, ``df``, ``p_value``,
        ``cfi``, ``tli``, ``rmsea``, ``rmsea_ci_low``, ``rmsea_ci_high``, ``srmr``, ``aic``,
        ``bic``, ``loglik``, ``npar``.
    parameters : pandas.DataFrame
        Every free parameter with lavaan's names (``lhs``, ``op``, ``rhs``, ``estimate``, ``se``,
        ``z``, ``p_value``, ``std_estimate``), error covariances included.
    excluded : pandas.DataFrame
        One row per row of `data` left out: ``row``, ``reason``, ``family``.
    roles : list
        The member roles, in model order.
    indicators : list of str
        The indicator columns.
    family_effect : bool
        Whether the model has a family factor.
    converged : bool
        False when the optimiser did not converge (a ConvergenceWarning was issued too).
    heywood : bool
        True when a variance estimate is negative (an AnalysisWarning was issued too).
    ci : float
        Confidence level of ``ci_low``/``ci_high``.

    See Also
    --------
    srm

    Examples
    --------
    >>> from analysis import simulate_demo_survey, srm
    >>> families = simulate_demo_survey(n_couples=10).family  # simulated demo round robin
    >>> res = srm(families, family="family_id", actor="actor", partner="target", indicators="closeness_1")
    >>> res.family_effect, int(res.fit["n"].iloc[0]), int(res.fit["df"].iloc[0]), len(res.coefficients)
    (True, 144, 47, 31)
    """

    coefficients: pd.DataFrame
    variance_shares: pd.DataFrame
    fit: pd.DataFrame
    parameters: pd.DataFrame
    excluded: pd.DataFrame
    roles: list
    indicators: list
    family_effect: bool
    converged: bool
    heywood: bool
    ci: float = 0.95

    def _fit_text(self) -> str:
        f = self.fit.iloc[0]
        return (
            f"χ²({f['df']:.0f}) = {format_value(f['chi_square'])}, {format_p(f['p_value'])}, "
            f"{format_stat('CFI', f['cfi'], bounded=True)}, {format_stat('RMSEA', f['rmsea'], bounded=True)}, "
            f"{format_ci(f['rmsea_ci_low'], f['rmsea_ci_high'], level=0.90, bounded=True)}, "
            f"{format_stat('SRMR', f['srmr'], bounded=True)}"
        )

    def _design(self) -> str:
        k, m = len(self.roles), len(self.indicators)
        fam = "with" if self.family_effect else "without"
        return (
            f"{_WORDS[k]} roles ({', '.join(map(str, self.roles))}), {_WORDS[m]} "
            f"indicator{'s' if m > 1 else ''}, {fam} a family factor, "
            f"n = {int(self.fit['n'].iloc[0]):,} families"
        )

    def table(self, *, title: str | None = None, number: int | None = None, value_labels=None) -> HtmlBlock:
        """The variance components, reciprocities and error variances as an APA table; the note
        gives the fit and the design.

        Parameters
        ----------
        title : str, optional
            Table title; default "Social Relations Model variance components".
        number : int, optional
            Table number.
        value_labels : dict, optional
            ``{role: label}`` (e.g. ``Dataset.value_labels[table][actor]``): the roles in the
            role column are shown by their labels ("mother -> father"); others as they are.

        Returns
        -------
        HtmlBlock
            Columns component, role (with the indicator of an error row), *b*, *SE*, *z*, *p*, the
            CI at level ``ci`` and *r* (``std_estimate``: the reciprocity as a correlation).
        """
        shown = self.coefficients.copy()
        err = shown["indicator"].notna()
        shown.loc[err, "role"] = shown.loc[err, "role"] + ", " + shown.loc[err, "indicator"].astype(str)
        shown["role"] = shown["role"].fillna("").map(lambda text: _labelled(text, value_labels or {}))
        columns = ["component", "role", "estimate", "se", "statistic", "p_value", "ci_low", "ci_high", "std_estimate"]
        shown = shown[columns].rename(columns={"std_estimate": "r"})
        shown.attrs.update(statistic="z", ci=self.ci)
        note = (
            f"Social Relations Model fitted by maximum likelihood ({self._design()}); "
            f"{self._fit_text()}. b = variance (components, error) or covariance (reciprocities); "
            "r = the reciprocity as a correlation. Relationship variance "
            + (
                "includes error (one indicator)."
                if len(self.indicators) == 1
                else "is separated from error by the two indicators."
            )
        )
        if self.excluded.shape[0]:
            note += f" {int(self.fit['n_excluded'].iloc[0]):,} incomplete families excluded (listwise)."
        if self.heywood:
            note += " Some variance estimates are negative (Heywood case)."
        return apa_table(shown, title=title or "Social Relations Model variance components", number=number, note=note)

    def shares_table(self, *, title: str | None = None, number: int | None = None, value_labels=None) -> HtmlBlock:
        """Each component's share of the variance of one rating, per directed dyad, as an APA table.

        Parameters
        ----------
        title : str, optional
            Table title; default "Variance shares per directed dyad (rater → member rated)".
        number : int, optional
            Table number.
        value_labels : dict, optional
            ``{role: label}``: the dyads shown by their roles' labels, as in `table`.

        Returns
        -------
        HtmlBlock
            One row per directed dyad; the shares (no leading zero) sum to 1 in each row.
        """
        shown = self.variance_shares.copy()
        shown["dyad"] = shown["dyad"].map(lambda text: _labelled(text, value_labels or {}))
        shown.attrs["bounded"] = list(self.variance_shares.columns[1:])
        note = ("Share of the variance of one rating; each row sums to 1 (fSRM's percTable). "
                + ("" if self.family_effect else "No family component: with three roles it is not identified. ")
                + ("Error: the mean of the two indicators' error variances." if len(self.indicators) > 1 else
                   "With one indicator, error is part of the relationship share."))  # fmt: skip
        return apa_table(shown, title=title or "Variance shares per directed dyad (rater → member rated)",
                         number=number, note=note)

    def sentence(self) -> str:
        """An APA paragraph: the fit and the mean share of each component across the dyads.

        Returns
        -------
        str
            The design, the fit, the mean variance shares and every reciprocity as r.
        """
        shares = self.variance_shares.drop(columns="dyad").mean()
        parts = [
            f"{format_value(100 * v, 1)}%{' of the variance was' if i == 0 else ''} {name}"
            for i, (name, v) in enumerate(shares.items())
        ]
        n_dyads = len(self.variance_shares)
        coef = self.coefficients
        gr = coef[coef["component"] == "generalized reciprocity"]
        dr = coef[coef["component"] == "dyadic reciprocity"]

        def rec(rows):
            pairs = zip(rows["role"], rows["std_estimate"], strict=True)
            return ", ".join(f"{r} r = {format_value(v, bounded=True)}" for r, v in pairs)

        return (
            f"The Social Relations Model ({self._design()}) fitted the round-robin data "
            f"{'well' if self.fit['p_value'].iloc[0] >= 0.05 else 'with a significant misfit'}, {self._fit_text()}. "
            f"Averaged over the {_WORDS.get(n_dyads, n_dyads)} directed dyads, {', '.join(parts[:-1])} and "
            f"{parts[-1]} variance. Generalized reciprocity: {rec(gr)}; dyadic reciprocity: {rec(dr)}."
        )


def _labelled(role: str, value_labels) -> str:
    """A role text ("m", "m->f", "m<->f", "m->f, anx1") with each role code shown by its label and
    the arrows as arrows ("mother → father")."""
    head, _, indicator = role.partition(", ")
    arrow = "<->" if "<->" in head else "->" if "->" in head else None
    codes = head.split(arrow) if arrow else [head] if head else []
    shown = {"<->": " ↔ ", "->": " → ", None: ""}[arrow].join(value_label(c, value_labels) for c in codes)
    return f"{shown}, {indicator}" if indicator else shown


def srm(
    data,
    *,
    family,
    actor,
    partner,
    indicators,
    roles=None,
    family_effect=None,
    missing="listwise",
    ci=0.95,
):
    """The Social Relations Model for round-robin family data with roles.

    Every member of each family rates every other member (a round robin); the rating of actor i
    about partner j in family f is decomposed as

        y_fijk = mu_ij + F_f + A_fi + P_fj + R_fij + E_fijk

    (family, actor, partner, relationship effect, error of indicator k), with variances per role
    (actor, partner) and per directed dyad (relationship), the generalized reciprocity
    cov(A_i, P_i) and the dyadic reciprocity cov(R_ij, R_ji).

    Parameters
    ----------
    data : pandas.DataFrame
        Long round-robin table: one row per family, actor and partner (directed dyad).
    family : str
        Column with the family id.
    actor : str
        Column with the rater's role (e.g. "m", "f", "y").
    partner : str
        Column with the rated member's role (same codes as `actor`).
    indicators : str or list of str
        One or two numeric columns measuring the rating (two separate relationship from error).
    roles : list, optional
        The 3 or 4 member roles in the order used by the tables; default the sorted roles found
        in `actor`.
    family_effect : bool, optional
        Include a family factor. None (default) follows fSRM: a family factor with four roles,
        none with three (with three members it is not identified).
    missing : {"listwise", "fiml"}, optional
        "listwise": families without every directed dyad and indicator are left out (listed in
        ``excluded``). "fiml": full-information ML over every family with at least one rating
        (lavaan ``missing = "ml"``: a free intercept per observed variable, observed-information
        SEs), assuming the missing ratings are missing at random.
    ci : float, optional
        Confidence level of the Wald intervals.

    Returns
    -------
    SRMResult
        Frozen dataclass with the tables below and APA output (``table()``, ``sentence()``).

        ``coefficients``: ``component`` ("family", "actor", "partner", "relationship",
        "generalized reciprocity", "dyadic reciprocity", "error"), ``role`` (missing for the
        family; "m" for actor, partner and generalized reciprocity; "m->f" for relationship and
        error; "f<->m" for dyadic reciprocity), ``indicator`` (error rows, two indicators only),
        ``estimate`` (variance, or covariance for the reciprocities), ``se`` (expected
        information, observed under FIML, as lavaan), ``statistic`` (Wald z, estimate / se;
        ``attrs["statistic"]`` is "z"), ``p_value`` (two-sided), ``ci_low``/``ci_high`` (Wald,
        level `ci`), ``std_estimate`` (the reciprocity as a correlation; missing for variances).

        ``variance_shares``: one row per directed dyad ``dyad`` ("m->f"), then ``family`` (only
        with a family factor),
        ``actor``, ``partner``, ``relationship`` and (two indicators) ``error``: each
        component's variance divided by their sum (the mean of the two error variances), as
        fSRM's ``percTable``; the shares of a row sum to 1.

        ``fit``: one row with ``n`` (families used), ``n_excluded`` (families left out),
        ``chi_square``, ``df``, ``p_value`` (of the chi-square test), ``cfi``, ``tli``,
        ``rmsea``, ``rmsea_ci_low``/``rmsea_ci_high`` (90%), ``srmr``, ``aic``, ``bic``,
        ``loglik`` (log-likelihood), ``npar`` (free parameters). Under FIML CFI and TLI compare
        with an independence model with free means, as lavaan.

        ``parameters``: every free parameter with lavaan/fSRM names (``FE``, ``A.m``, ``P.m``,
        ``R.m.f``; observed ``m_f_anx1``): ``lhs``, ``op``, ``rhs``, ``estimate``, ``se``, ``z``,
        ``p_value``, ``std_estimate`` (lavaan ``std.all``); under FIML also the intercepts
        (``op`` "~1").

        ``excluded``: one row per row of `data` left out: ``row`` (index label), ``reason``
        ("incomplete family: no rating m->y", "missing value in family.id"), ``family``.

    Raises
    ------
    ParameterError
        Unknown option, `indicators` not one or two columns, `roles` not 3 or 4 distinct values,
        or a family factor with three roles (not identified).
    DataError
        Missing or non-numeric columns, self-ratings (actor == partner), duplicated (family,
        actor, partner) rows, a number of roles other than 3 or 4, roles outside `roles`, too few
        complete families, or an indicator without variance.

    Warns
    -----
    ConvergenceWarning
        The optimiser did not converge or the information matrix is singular.
    AnalysisWarning
        A negative variance estimate (Heywood case).

    See Also
    --------
    cfa : The same ML engine for factor models.
    dyadic_icc, apim : Models for dyads.

    Notes
    -----
    The model is fSRM's (Schönbrodt, Back & Schmukle, 2016) ``buildSRMSyntaxLatent``: on the wide
    table (one row per family, one observed variable per directed dyad and indicator) the family
    factor loads on every variable, actor factor ``A.i`` on every rating by i, partner factor
    ``P.j`` on every rating of j, relationship factor ``R.i.j`` on the ratings of i about j, all
    loadings fixed to 1; the factors are uncorrelated except ``A.i ~~ P.i`` and ``R.i.j ~~
    R.j.i``. With one indicator the error variances are fixed to 0 (relationship and error are
    confounded); with two, the errors of the same indicator correlate across all directed dyads
    (Kenny, Kashy & Cook, 2006). It is fitted by ML without a mean structure (divisor N, as
    lavaan), chi-square = 2 (logL_saturated - logL_model); KKC's EQS results use N - 1 (lavaan
    ``likelihood = "wishart"``): multiply our variances and chi-square by (N - 1) / N and our SEs
    by sqrt((N - 1) / N) to compare. Matches ``lavaan::lavaan()`` with fSRM's options to 1e-6
    (tests/reference/srm.R).

    References
    ----------
    Kenny, D. A., Kashy, D. A., & Cook, W. L. (2006). *Dyadic data analysis*. Guilford.

    Cook, W. L. (2000). Understanding attachment security in family context. *Journal of
    Personality and Social Psychology, 78*(2), 285-294. https://doi.org/10.1037/0022-3514.78.2.285

    Schönbrodt, F. D., Back, M. D., & Schmukle, S. C. (2016). fSRM: An R package for the Social
    Relations Model with roles. https://CRAN.R-project.org/package=fSRM

    Examples
    --------
    >>> from analysis import simulate_demo_survey, srm
    >>> families = simulate_demo_survey(n_couples=10).family  # the demo's 150 simulated families
    >>> families.head(3)
       family_id actor target  closeness_1  closeness_2
    0          1     m      f         4.72         4.23
    1          1     m      o         5.25         5.65
    2          1     m      y         5.47         5.67
    >>> res = srm(families, family="family_id", actor="actor", partner="target",
    ...           indicators=["closeness_1", "closeness_2"], roles=["m", "f", "o", "y"])
    >>> cols = ["component", "role", "estimate", "se", "statistic"]
    >>> print(res.coefficients.head(3)[cols].round(3).to_string(index=False))
    component role  estimate    se  statistic
       family  NaN     0.148 0.048      3.072
        actor    m     0.412 0.078      5.313
        actor    f     0.268 0.060      4.476
    >>> print(res.fit[["n", "n_excluded", "chi_square", "df", "p_value", "cfi"]].round(3).to_string(index=False))
      n  n_excluded  chi_square    df  p_value   cfi
    144           6     135.354 113.0    0.075 0.992
    >>> print(res.variance_shares.round(2).head(2).to_string(index=False))
    dyad  family  actor  partner  relationship  error
    m->f    0.14   0.39     0.07          0.21   0.20
    m->o    0.12   0.32     0.17          0.26   0.13
    >>> import textwrap
    >>> print(textwrap.fill(res.sentence(), 90))
    The Social Relations Model (four roles (m, f, o, y), two indicators, with a family factor,
    n = 144 families) fitted the round-robin data well, χ²(113) = 135.35, p = .075, CFI = .99,
    RMSEA = .04, 90% CI [.00, .06], SRMR = .07. Averaged over the 12 directed dyads, 11.8% of
    the variance was family, 33.4% actor, 14.3% partner, 25.7% relationship and 14.9% error
    variance. Generalized reciprocity: m r = .27, f r = .23, o r = .39, y r = .27; dyadic
    reciprocity: m<->f r = .45, m<->o r = −.09, m<->y r = .25, f<->o r = −.04, f<->y r = .35,
    o<->y r = .67.
    """
    _check_one_of("missing", missing, ("listwise", "fiml"))
    _check_level("ci", ci)
    indicators = [indicators] if isinstance(indicators, str) else list(indicators)
    if len(indicators) not in (1, 2) or len(set(indicators)) != len(indicators):
        raise ParameterError(f"`indicators` must be one or two different columns, but {indicators!r} was passed.")
    if family_effect is not None and not isinstance(family_effect, bool):
        raise ParameterError(
            f"The value for `family_effect` must be None, True or False, but {family_effect!r} was passed."
        )
    roles = _srm_model._check_long(data, family, actor, partner, indicators, roles)
    if family_effect is None:
        family_effect = len(roles) > 3
    if family_effect and len(roles) == 3:
        raise ParameterError(
            "`family_effect=True` needs four roles: with three members the family variance is "
            "not identified (fSRM drops it too). Use family_effect=None or False."
        )
    wide, items, excluded, n_excluded = _srm_model._wide(data, family, actor, partner, indicators, roles, missing)
    if len(wide) <= len(items):
        raise DataError(
            f"Only {len(wide)} complete families for {len(items)} observed variables (directed "
            f"dyads x indicators); the model needs more complete families than that. "
            f"{n_excluded} families were incomplete (see the reasons with missing='listwise')."
        )
    fit, est, status, latent = _srm_model.fit_srm(wide, items, roles, indicators, family_effect, missing)
    coefficients, params = _srm_model.coefficients_table(est, items, latent, indicators, ci)
    coefficients.attrs.update(statistic="z", ci=ci)
    shares = _srm_model.shares_table(coefficients, roles, family_effect, len(indicators))
    fit_table = pd.DataFrame(
        [
            {
                "n": len(wide),
                "n_excluded": n_excluded,
                "chi_square": fit["chi_square"],
                "df": float(fit["df"]),
                **{k: fit[k] for k in ("p_value", "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr")},
                **{k: fit[k] for k in ("aic", "bic", "loglik")},
                "npar": int(fit["npar"]),
            }
        ]
    )
    return SRMResult(
        coefficients=coefficients,
        variance_shares=shares,
        fit=fit_table,
        parameters=params,
        excluded=excluded,
        roles=list(roles),
        indicators=indicators,
        family_effect=family_effect,
        converged=status["converged"],
        heywood=status["heywood"],
        ci=ci,
    )
