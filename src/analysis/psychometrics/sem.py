"""Structural equation models: confirmatory factor analysis and measurement invariance, matching lavaan (ML and FIML).

Engine choice. The estimator is our own (`analysis._sem_ml`, numpy/scipy): the normal-theory
ML discrepancy with an analytic gradient, minimised by scipy's L-BFGS-B; FIML as a casewise
likelihood summed over missing-data patterns; equality constraints across groups or partners
as shared parameters (lavaan's simple equality constraints). semopy 2.3.11 was tried first
(in a scratch virtualenv with numpy 2.4.6 / pandas 3.1.1 / scikit-learn 1.9.1, where it
installs and runs): its listwise ML matches lavaan on the ECR two-factor model (CFI .7769), but
(a) FIML fails there (`Model.fit(obj="FIML")` returned a non-converged chi-square of 161 after
102 s with LAPACK errors; `ModelMeans` raises "Unknown method FIML"), (b) `semopy.multigroup`
fits each group separately, so metric and scalar invariance (equality constraints across
groups) cannot be expressed, and (c) it reports neither SRMR nor the RMSEA interval. Wrapping it
would still have meant writing the FIML, the multi-group model and lavaan's fit measures
ourselves (style principle 6 prefers a library only where one fits), so a small private
estimator (`_sem_ml`, under 500 lines, no new dependency) checked against lavaan is the smaller,
testable choice. It follows lavaan's conventions where they affect numbers: divisor N, the EM
start and stopping rule for the saturated FIML moments, expected vs observed information,
Bentler's SRMR with means, and the RMSEA interval by root-finding on the noncentral chi-square.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis._checks import _check_one_of
from analysis.apa import HtmlBlock, apa_table, format_stat
from analysis.exceptions import DataError, ParameterError
from analysis.psychometrics import _sem_ml
from analysis.psychometrics._results import _chi_square, _excluded, _excluded_text, _rmsea, _word
from analysis.psychometrics._sem_model import (
    _MISSING,
    FIT_COLUMNS,
    LEVELS,
    _invariance_table,
    _items,
    _parse_factors,
    _prepare,
    _run,
    _tidy,
)

__all__ = ["CFAResult", "cfa", "measurement_invariance", "dyadic_invariance"]


@dataclass(frozen=True)
class CFAResult:
    """A confirmatory factor model: fit, loadings, every free parameter, the rows left out and
    APA output.

    Returned by `cfa` (whose Returns section lists every column).

    Attributes
    ----------
    fit : pandas.DataFrame
        One row of fit statistics (``chi_square``, ``df``, ``p_value``, ``cfi``, ``tli``,
        ``rmsea``, ``rmsea_ci_low``, ``rmsea_ci_high``, ``srmr``, ..., ``n``).
    loadings : pandas.DataFrame
        One row per group, factor and item: ``group``, ``factor``, ``item``, ``estimate``,
        ``se``, ``z``, ``p_value``, ``std_estimate``.
    parameters : pandas.DataFrame
        Every free parameter (lavaan's ``parameterEstimates``): ``group``, ``lhs``, ``op``,
        ``rhs``, ``label``, ``estimate``, ``se``, ``z``, ``p_value``, ``std_estimate``. Also
        available as ``coefficients``.
    excluded : pandas.DataFrame
        One row per row of `data` left out: ``row`` (index label in `data`) and ``reason``.
    factors : dict of {str: list of str}
        The model: factor name -> its items.
    missing : str
        ``"listwise"`` or ``"fiml"``.
    converged : bool
        False when the optimiser did not converge (a ConvergenceWarning was issued too).
    heywood : bool
        True when a variance estimate is negative (a Heywood case; its item's standardized
        loading then exceeds 1); an AnalysisWarning was issued too.
    ci : float
        Confidence level of the RMSEA interval in ``fit`` (0.90, as lavaan).

    See Also
    --------
    cfa

    Notes
    -----
    ``coefficients`` is ``parameters`` (the tidy table of the result protocol in docs/api.md);
    ``table()`` shows the loadings with the fit in the note, ``sentence()`` the fit in one APA
    sentence.

    Examples
    --------
    >>> from analysis import cfa, simulate_demo_survey
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> res = cfa(survey, factors="anxiety =~ ecr_s_2 + ecr_s_4 + ecr_s_6 + ecr_s_10 + ecr_s_12")
    >>> res.converged, res.heywood, len(res.coefficients), len(res.excluded)
    (True, False, 10, 9)
    >>> print(res.excluded.head(2).to_string(index=False))
     row                   reason
      12 missing value in ecr_s_4
      18 missing value in ecr_s_2
    """

    fit: pd.DataFrame
    loadings: pd.DataFrame
    parameters: pd.DataFrame
    excluded: pd.DataFrame
    factors: dict
    missing: str
    converged: bool
    heywood: bool
    ci: float = 0.90

    @property
    def coefficients(self) -> pd.DataFrame:
        """The parameter table (``parameters``), one row per free parameter."""
        return self.parameters

    def table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The loadings (unstandardized with SE and p, and completely standardized) as an APA
        table; the note gives the fit, n and the estimator."""
        shown = self.loadings.rename(columns={"estimate": "loading", "std_estimate": "std_loading"})
        shown = shown[["group", "factor", "item", "loading", "se", "p_value", "std_loading"]]
        if shown["group"].isna().all():
            shown = shown.drop(columns="group")
        note = (f"{self._fit_text('; ')}; {self._n_text()}. Estimated by {self._estimator()}. Loading = "
                "unstandardized loading (SE and p missing where fixed for identification); λ = completely "
                "standardized loading.")
        note = " ".join([note, *self._problems()])
        k = len(self.factors)
        return apa_table(shown, title=title or f"Loadings of the {_word(k)}-factor confirmatory model",
                         number=number, note=note)

    def sentence(self) -> str:
        """One APA sentence with the fit: χ²(df), p, CFI, TLI, RMSEA with its interval, SRMR."""
        k = len(self.factors)
        text = (f"The {_word(k)}-factor model ({', '.join(self.factors)}) was fitted by "
                f"{self._estimator()} ({self._n_text()}): {self._fit_text(', ')}.")
        return " ".join([text, *self._problems()])

    def _fit_text(self, sep: str) -> str:
        f = self.fit.iloc[0]
        return sep.join([_chi_square(f["chi_square"], f["df"], f["p_value"]),
                         format_stat("CFI", f["cfi"], bounded=True), format_stat("TLI", f["tli"], bounded=True),
                         _rmsea(f["rmsea"], f["rmsea_ci_low"], f["rmsea_ci_high"], self.ci),
                         format_stat("SRMR", f["srmr"], bounded=True)])

    def _n_text(self) -> str:
        text = _excluded_text(int(self.fit["n"].iloc[0]), self.excluded)
        groups = self.loadings["group"].dropna().unique()
        return text + (f", {_word(len(groups))} groups" if len(groups) > 1 else "")

    def _estimator(self) -> str:
        return "full-information maximum likelihood" if self.missing == "fiml" else "maximum likelihood"

    def checks(self) -> list[str]:
        """What a reader must know before trusting the estimates (non-convergence, a Heywood case),
        one sentence each; empty when nothing is wrong. Reports show them in a callout."""
        return self._problems()

    def _problems(self) -> list[str]:
        out = []
        if not self.converged:
            out.append("The estimation did not converge; estimates and fit may be wrong.")
        if self.heywood:
            out.append("A variance estimate is negative (a Heywood case); check the model.")
        return out


def cfa(data, *, factors, missing="listwise", estimator="ML", std_lv=False, group=None, equal=()):
    """Fit a confirmatory factor model by maximum likelihood, as ``lavaan::cfa``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; item columns numeric (NaN = missing).
    factors : dict of {str: list of str} or str
        Factor name -> its item columns, e.g. ``{"anx": ["Q2", "Q4"], "avo": ["Q1", "Q3"]}``, or
        the same in lavaan syntax, one ``factor =~ item + item`` per line (or ``;``-separated).
        Factors are correlated; each item's residual is uncorrelated.
    missing : {"listwise", "fiml"}, optional
        Drop incomplete rows (lavaan ``missing = "listwise"``, the default) or use full
        information ML under MAR (lavaan ``missing = "ml"``; rows with every item missing are
        dropped).
    estimator : {"ML"}, optional
        Normal-theory maximum likelihood (the only estimator).
    std_lv : bool, optional
        Identify factors by fixing their variances to 1 (lavaan ``std.lv = TRUE``) instead of
        fixing each factor's first loading to 1 (marker variable, the default).
    group : str, optional
        Column defining groups for a multi-group model (lavaan ``group =``). Groups are ordered by
        first appearance in `data`, as lavaan; rows with a missing group are dropped.
    equal : sequence of {"loadings", "intercepts"}, optional
        Parameters constrained equal across groups (lavaan ``group.equal``). With equal
        intercepts, latent means are free in every group but the first; with `std_lv` and equal
        loadings, latent variances are free in every group but the first (as lavaan).

    Returns
    -------
    CFAResult
        Frozen dataclass with four tables, flags and APA output (``table()``, ``sentence()``).

        ``fit`` (one row): ``chi_square`` (likelihood-ratio test against the saturated model),
        ``df``, ``p_value``, ``cfi``, ``tli``, ``rmsea``, ``rmsea_ci_low``/``rmsea_ci_high``
        (90% interval), ``srmr`` (Bentler's, lavaan's ``srmr``), ``aic``, ``bic``, ``n`` (rows
        used), ``loglik`` (model log-likelihood), ``npar`` (free parameters after equality
        constraints), ``baseline_chi_square`` and ``baseline_df`` (independence model, used by
        CFI and TLI).

        ``loadings`` (one row per group, factor and item, markers included): ``group`` (group
        level as a string, missing for a single-group model), ``factor``, ``item``, ``estimate``
        (unstandardized loading; 1 for a marker), ``se``, ``z``, ``p_value`` (two-sided Wald;
        missing for fixed loadings), ``std_estimate`` (completely standardized, lavaan ``std.all``).

        ``parameters`` (also ``coefficients``; every free parameter, an equality-constrained
        parameter once per group): ``group``, ``lhs``, ``op`` (``=~`` loading, ``~~``
        (co)variance, ``~1`` intercept or latent mean), ``rhs``, ``label`` (shared by
        equality-constrained parameters, else missing), ``estimate``, ``se``, ``z``, ``p_value``,
        ``std_estimate`` (``std.all``).

        ``excluded`` (one row per row of `data` left out; none left out: no rows): ``row``
        (index label in `data`) and ``reason`` (``"missing value in A1, A3"`` under listwise
        deletion, ``"no item answered"`` under FIML, ``"missing value in <group>"``).

        ``factors`` (the model as a dict), ``missing``, ``converged`` (False when the optimiser
        did not converge), ``heywood`` (True when a variance estimate is negative) and ``ci``
        (0.90, the level of the RMSEA interval).

    Raises
    ------
    ParameterError
        Unknown option, malformed `factors`, `equal` without `group`, or a model with negative df.
    DataError
        Missing or non-numeric columns, too few rows, or an item without variance.

    Warns
    -----
    ConvergenceWarning
        The optimiser did not converge or the information matrix is singular (SEs are NaN).
    AnalysisWarning
        A negative variance estimate (Heywood case).

    See Also
    --------
    measurement_invariance, dyadic_invariance

    Notes
    -----
    Matches ``lavaan::cfa(model, data, estimator = "ML", missing = "listwise" | "ml",
    std.lv =, group =, group.equal =)`` with ``fitMeasures()`` and
    ``parameterEstimates(standardized = TRUE)`` (lavaan 0.6-14; tests/reference/cfa.R).
    The sample covariance uses divisor N and the likelihood N (lavaan's ``likelihood =
    "normal"``). Listwise single-group models have no mean structure; FIML and multi-group
    models do. Standard errors use the expected information for complete data and the observed
    information (Hessian) for FIML, as lavaan's defaults. Under FIML the saturated model is
    estimated by EM with lavaan's starting values and stopping rule; SRMR compares the model
    with these EM moments (and means), and the baseline model has per-variable means and
    variances, so CFI and SRMR differ from their listwise values.

    The model is Sigma = Lambda Psi Lambda' + Theta (and mu = nu + Lambda alpha with a mean
    structure), fitted by minimising F = log|Sigma| + tr(S Sigma^-1) - log|S| - p (summed over
    missing-data patterns under FIML); chi_square = 2 (logL_saturated - logL_model),
    CFI = 1 - max(chi_square - df, 0) / max(chi_square - df, baseline_chi_square - baseline_df, 0)
    and RMSEA = sqrt(max(chi_square / N / df - 1 / N, 0)) (times sqrt(groups)).

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
    Statistical Software, 48*(2), 1-36. https://doi.org/10.18637/jss.v048.i02

    Enders, C. K., & Bandalos, D. L. (2001). The relative performance of full information maximum
    likelihood estimation for missing data in structural equation models. *Structural Equation
    Modeling, 8*(3), 430-457. https://doi.org/10.1207/S15328007SEM0803_5

    Examples
    --------
    >>> from analysis import cfa, simulate_demo_survey
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> factors = {"anxiety": ["ecr_s_2", "ecr_s_4", "ecr_s_6", "ecr_s_10", "ecr_s_12"],
    ...            "avoidance": ["ecr_s_3", "ecr_s_7", "ecr_s_11"]}
    >>> res = cfa(survey, factors=factors, missing="fiml")
    >>> import textwrap
    >>> print(textwrap.fill(res.sentence(), 90))
    The two-factor model (anxiety, avoidance) was fitted by full-information maximum
    likelihood (n = 117): χ²(19) = 21.11, p = .331, CFI = .99, TLI = .99, RMSEA = .03, 90% CI
    [.00, .09], SRMR = .05.
    """
    _check_one_of("missing", missing, _MISSING)
    _check_one_of("estimator", estimator, ("ML",))
    if not isinstance(std_lv, bool):
        raise ParameterError(f"The value for `std_lv` must be True or False, but {std_lv!r} "
                             "was passed.")
    equal = (equal,) if isinstance(equal, str) else tuple(equal)
    for e in equal:
        _check_one_of("equal", e, ("loadings", "intercepts"))
    if equal and group is None:
        raise ParameterError("`equal` constrains parameters across groups, so it needs `group`.")
    factors = _parse_factors(factors)
    items = _items(factors)
    data_g, labels, miss = _prepare(data, items, group, missing, with_missing=True)
    means = missing == "fiml" or group is not None
    table = _sem_ml.cfa_table(factors, items, len(data_g), std_lv=std_lv, means=means,
                              equal=set(equal))
    info = "observed" if missing == "fiml" else "expected"  # lavaan's defaults
    fit, est, status = _run(table, data_g, items, list(factors), means, info)
    params, loadings = _tidy(est, items, list(factors), labels if group is not None else None)
    fit = pd.DataFrame([fit], columns=FIT_COLUMNS)
    return CFAResult(fit=fit, loadings=loadings, parameters=params,
                     excluded=_excluded(data, items, missing, group, miss=miss), factors=factors, missing=missing,
                     converged=status["converged"], heywood=status["heywood"])


def measurement_invariance(data, *, factors, group, missing="listwise"):
    """Configural, metric and scalar invariance of a factor model across groups.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    factors : dict of {str: list of str} or str
        The factor model, as in `cfa` (marker-variable identification).
    group : str
        Column defining the groups (ordered by first appearance; rows with a missing group are
        dropped).
    missing : {"listwise", "fiml"}, optional
        As in `cfa`.

    Returns
    -------
    pandas.DataFrame
        One row per level, ``level`` in {"configural", "metric", "scalar"}: configural (same
        pattern, all parameters free per group), metric (loadings equal), scalar (loadings and
        intercepts equal, latent means free beyond the first group). Columns: ``level``, the fit
        columns of `cfa` (``chi_square`` ... ``baseline_df``), then ``delta_chi_square``,
        ``delta_df`` and ``delta_p_value`` (chi-square difference test against the previous
        level, lavaan ``lavTestLRT``), ``delta_cfi`` and ``delta_rmsea`` (this level minus the
        previous one); the deltas are missing on the configural row.

    Raises
    ------
    ParameterError, DataError
        As in `cfa`; also when `group` has fewer than two levels.

    Warns
    -----
    ConvergenceWarning, AnalysisWarning
        As in `cfa`, for any of the three models.

    See Also
    --------
    cfa, dyadic_invariance

    Notes
    -----
    Matches ``lavaan::cfa(model, group = , group.equal = c("loadings"))`` /
    ``c("loadings", "intercepts")`` and ``lavTestLRT(configural, metric, scalar)``
    (equivalently ``semTools::compareFit``). A drop in CFI of more than .01 is a common rule of
    thumb against the more constrained level (Cheung & Rensvold, 2002). The difference test is
    delta_chi_square = chi_square(level) - chi_square(previous level) on delta_df degrees of
    freedom, ``delta_p_value`` its upper-tail chi-square p.

    References
    ----------
    Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for testing
    measurement invariance. *Structural Equation Modeling, 9*(2), 233-255.
    https://doi.org/10.1207/S15328007SEM0902_5

    Putnick, D. L., & Bornstein, M. H. (2016). Measurement invariance conventions and reporting:
    The state of the art and future directions for psychological research. *Developmental
    Review, 41*, 71-90. https://doi.org/10.1016/j.dr.2016.06.004

    Examples
    --------
    >>> from analysis import measurement_invariance, simulate_demo_survey
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> anxiety = ["ecr_s_2", "ecr_s_4", "ecr_s_6", "ecr_s_10", "ecr_s_12"]
    >>> out = measurement_invariance(survey, factors={"anxiety": anxiety}, group="gender")
    >>> print(out[["level", "chi_square", "df", "delta_df", "delta_p_value"]].round(3).to_string(index=False))
         level  chi_square  df  delta_df  delta_p_value
    configural       8.307  10       NaN            NaN
        metric      12.660  14       4.0          0.360
        scalar      14.214  18       4.0          0.817
    """
    _check_one_of("missing", missing, _MISSING)
    if group is None:
        raise ParameterError("`group` is required for measurement_invariance.")
    factors = _parse_factors(factors)
    items = _items(factors)
    data_g, _ = _prepare(data, items, group, missing)
    if len(data_g) < 2:
        raise DataError(
            f"`group` column {group!r} has only one level; invariance needs two or more."
        )
    rows = []
    for equal in [set(), {"loadings"}, {"loadings", "intercepts"}]:
        table = _sem_ml.cfa_table(
            factors, items, len(data_g), std_lv=False, means=True, equal=equal
        )
        rows.append(_run(table, data_g, items, list(factors), True, None)[0])
    return _invariance_table(rows)


def dyadic_invariance(data, *, factors_partner1, factors_partner2, missing="listwise"):
    """Invariance of a construct across the two partners of a dyad (dyad/wide format).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per couple, with both partners' items as columns.
    factors_partner1, factors_partner2 : dict of {str: list of str} or str
        The same factors (same names, same number of items, items in corresponding order) for
        partner 1 and partner 2, e.g. ``{"sat": ["prqc.1_1", "prqc.1_2", "prqc.1_3"]}`` and
        ``{"sat": ["prqc.2_1", "prqc.2_2", "prqc.2_3"]}``.
    missing : {"listwise", "fiml"}, optional
        As in `cfa`.

    Returns
    -------
    pandas.DataFrame
        One row per level, ``level`` in {"configural", "metric", "scalar"} (dySEM's
        "configural", "loading" and "intercept"), with the columns of `measurement_invariance`.

    Raises
    ------
    ParameterError
        The two partners' factors differ in names or item counts, or share an item.
    DataError
        As in `cfa`.

    Warns
    -----
    ConvergenceWarning, AnalysisWarning
        As in `cfa`, for any of the three models.

    See Also
    --------
    measurement_invariance

    Notes
    -----
    One model holds both partners' factors, all correlated, with a mean structure; the residual
    of each item is correlated with the same item of the other partner. Identification follows
    dySEM's ``scriptCFA(scaleset = "FF")``: configural fixes every latent variance to 1 and mean
    to 0 with all loadings and intercepts free; metric equates corresponding loadings across
    partners and frees partner 2's latent variances; scalar also equates intercepts and frees
    partner 2's latent means. Matches these models fitted with ``lavaan::cfa`` and
    ``lavTestLRT`` (tests/reference/cfa.R).

    References
    ----------
    Sakaluk, J. K., Fisher, A. N., & Kilshaw, R. E. (2021). Dyadic measurement invariance and its
    importance for replicability in romantic relationship science. *Personal Relationships,
    28*(1), 190-226. https://doi.org/10.1111/pere.12341

    Examples
    --------
    >>> from analysis import dyadic_invariance, simulate_demo_survey
    >>> from analysis.data.dyad_reshape import individual_to_dyad
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> anxiety = ["ecr_s_2", "ecr_s_4", "ecr_s_6", "ecr_s_10", "ecr_s_12"]
    >>> wide = individual_to_dyad(survey[["couple_id", "partner", *anxiety]], dyad="couple_id",
    ...                           partner="partner")
    >>> out = dyadic_invariance(wide, factors_partner1={"anxiety": [f"{c}_1" for c in anxiety]},
    ...                         factors_partner2={"anxiety": [f"{c}_2" for c in anxiety]})
    >>> print(out[["level", "chi_square", "df", "delta_df", "delta_p_value"]].round(3).to_string(index=False))
         level  chi_square  df  delta_df  delta_p_value
    configural      31.436  29       NaN            NaN
        metric      35.695  33       4.0          0.372
        scalar      37.857  37       4.0          0.706
    """
    _check_one_of("missing", missing, _MISSING)
    f1, f2 = _parse_factors(factors_partner1), _parse_factors(factors_partner2)
    if list(f1) != list(f2) or any(len(f1[k]) != len(f2[k]) for k in f1):
        raise ParameterError(
            "`factors_partner1` and `factors_partner2` must name the same factors, in the "
            f"same order, with the same number of items; got {f1} and {f2}."
        )
    items = _items(f1) + _items(f2)
    if len(set(items)) != len(items):
        raise ParameterError(
            "The two partners' factors share an item; each partner needs their own columns."
        )
    data_g, _ = _prepare(data, items, None, missing)
    names = [f"{k}_{p}" for p in (1, 2) for k in f1]
    rows = [
        _run(_sem_ml.dyad_table(f1, f2, items, names, level), data_g, items, names, True, None)[0]
        for level in LEVELS
    ]
    return _invariance_table(rows)
