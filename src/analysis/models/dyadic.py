"""Dyadic analysis: nonindependence and the Actor-Partner Interdependence Model (APIM).

The APIM is fitted by generalized least squares with a compound-symmetry residual structure
(the within-dyad correlation may be negative) and, for distinguishable dyads, one residual
variance per role, exactly as ``nlme::gls(..., correlation = corCompSymm(form = ~1 | dyad),
weights = varIdent(form = ~1 | role))``. statsmodels' MixedLM cannot fit this: its random
intercept forces the within-dyad correlation to be >= 0 and has one residual variance. The
estimator (`analysis._gls`) works on per-dyad cross-products, so a fit costs the same for 100 or
100,000 dyads once the data are summed, and a dyad bootstrap is cheap.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis._checks import _check_level, _check_one_of
from analysis.apa import HtmlBlock, apa_table, format_ci, format_p, format_stat, format_value
from analysis.exceptions import ConvergenceWarning, DataError, ParameterError
from analysis.models import _gls
from analysis.models._dyad_data import ACTOR, PARTNER, empty_design, prepare

__all__ = ["APIMResult", "apim", "apim_formula"]

COEF_COLUMNS = ["term", "effect", "role", "estimate", "se", "statistic", "df", "p_value",
                "ci_low", "ci_high", "std_estimate"]


_MODEL_TEXT = {"indistinguishable": "indistinguishable dyads",
               "two_intercept": "distinguishable dyads, two-intercept model",
               "interaction": "distinguishable dyads, interaction model"}


@dataclass(frozen=True)
class APIMResult:
    """Result of `apim`: the fixed effects, the fit, the residual variances and the rows left out.

    Attributes
    ----------
    coefficients : pandas.DataFrame
        One row per fixed effect: ``term``, ``effect`` (intercept, actor, partner, role,
        interaction, other), ``role`` (two-intercept terms), ``estimate``, ``se``, ``statistic``
        (t), ``df`` (N - p, as nlme), ``p_value``, ``ci_low``, ``ci_high``, ``std_estimate``
        (estimate x SD(term) / SD(outcome) over the analysed rows, within each role for the
        two-intercept model: the coefficient of the same model on z-scored variables; NaN
        for intercepts).
    fit : pandas.DataFrame
        One row: ``model``, ``method``, ``n`` (persons analysed), ``n_dyads``, ``n_complete``
        (dyads with both members), ``n_single`` (dyads with one member), ``n_excluded`` (rows
        dropped), ``rho`` (residual within-dyad correlation, the partial ICC), ``rho_statistic``
        and ``rho_p_value`` (likelihood-ratio test of rho = 0: chi-square(1) between this model
        and the same model with independent residuals, as nlme's ``anova()``), ``rho_empty``
        (the same in the intercept-only model), ``loglik``, ``aic``, ``bic``, ``npar``.
    variances : pandas.DataFrame
        One row per role (one row "both" for indistinguishable dyads): ``role``, ``sigma``,
        ``sigma2``, ``sigma2_empty`` (empty model), ``pseudo_r2`` (1 - sigma2 / sigma2_empty).
    excluded : pandas.DataFrame
        One row per row of `data` left out: ``row`` (index label in `data`), ``reason`` (the
        missing variables, or the role problem), ``dyad`` (its dyad id).
    ci : float
        Confidence level of the intervals.
    formula : str
        The model formula.

    See Also
    --------
    apim : the function that returns it.

    Notes
    -----
    ``table()`` gives the APA table of the coefficients, ``sentence()`` the APA text of every
    actor and partner effect, the partial ICC and Kenny's pseudo-R² (with the empty model's ICC),
    ``sentence(term)`` the text of one term.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import apim
    >>> df = pd.DataFrame({"couple": np.repeat(np.arange(30), 2), "member": [1, 2] * 30,
    ...                    "x": np.sin(np.arange(60.0)), "y": np.cos(np.arange(60.0) / 3)})
    >>> res = apim(df, "y ~ x_A + x_P", dyad="couple", partner="member")
    >>> print(res.sentence("x_A").split("dyads), ")[1])
    the actor effect of x was b = 0.03, SE = 0.11, t(57) = 0.31, p = .760, 95% CI [−0.19, 0.26].
    """

    coefficients: pd.DataFrame
    fit: pd.DataFrame
    variances: pd.DataFrame
    excluded: pd.DataFrame
    ci: float
    formula: str
    _design: _gls.Design = field(repr=False, compare=False)

    def table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The coefficients as an APA table; the note gives rho, the SDs and the sample.

        Parameters
        ----------
        title : str, optional
            Table title (default: the model, e.g. "APIM (indistinguishable dyads)").
        number : int, optional
            Table number.

        Returns
        -------
        HtmlBlock
            The table (shown directly in a notebook).
        """
        f = self.fit.iloc[0]
        sds = "; ".join(f"residual SD{'' if r['role'] == 'both' else ' ' + r['role']} "
                        f"{format_value(r['sigma'])}" for _, r in self.variances.iterrows())
        note = (f"GLS ({f['method']}) with compound symmetry within dyads; {self.formula}. "
                f"Residual within-dyad correlation {format_stat('rho', f['rho'], bounded=True)}; "
                f"{sds}. {int(f['n'])} persons in {int(f['n_dyads'])} dyads "
                f"({int(f['n_single'])} with one member); {int(f['n_excluded'])} rows excluded. "
                f"CI: {100 * self.ci:g}% (t).")
        cols = ["term", "estimate", "se", "statistic", "df", "p_value", "ci_low", "ci_high"]
        return apa_table(self.coefficients[cols], title=title or f"APIM ({_MODEL_TEXT[f['model']]})",
                         number=number, note=note)

    def sentence(self, term: str | None = None) -> str:
        """APA text: every actor and partner effect, the partial ICC and the pseudo-R², or one term.

        Parameters
        ----------
        term : str, optional
            A term of ``.coefficients["term"]`` (e.g. ``"x_A"``): one sentence about it. By
            default, every actor and partner effect, then the partial ICC.

        Returns
        -------
        str
            Plain text with b, SE, t, p and the CI.

        Raises
        ------
        ParameterError
            `term` is not a term of the model.
        """
        f = self.fit.iloc[0]
        lead = (f"In the actor-partner interdependence model ({_MODEL_TEXT[f['model']]}, GLS with "
                f"{f['method']}, {int(f['n_dyads'])} dyads), ")
        if term is not None:
            rows = self.coefficients[self.coefficients["term"] == term]
            if rows.empty:
                raise ParameterError(f"No term {term!r} in the model; terms: "
                                     f"{', '.join(self.coefficients['term'])}.")
            return lead + self._term_text(rows.iloc[0]) + "."
        parts = [self._term_text(r) for _, r in
                 self.coefficients[self.coefficients["effect"].isin(["actor", "partner"])].iterrows()]
        body = "; ".join(parts) if parts else "no actor or partner terms were estimated"
        tail = (f" The residual within-dyad correlation (partial ICC) was "
                f"{format_stat('ρ', f['rho'], bounded=True)} (likelihood-ratio test of ρ = 0: "
                f"χ²(1) = {format_value(f['rho_statistic'])}, {format_p(f['rho_p_value'])}).")
        r2 = "; ".join(format_value(v["pseudo_r2"], bounded=True) + ("" if v["role"] == "both" else f" ({v['role']})")
                       for _, v in self.variances.iterrows())  # fmt: skip
        tail += (f" The predictors explained pseudo-R² = {r2} of the residual variance of the empty model, whose "
                 f"ICC was {format_stat('ρ', f['rho_empty'], bounded=True)}.")
        return lead + body + "." + tail

    def _term_text(self, r) -> str:
        if r["effect"] in ("actor", "partner"):
            who = f" ({r['role']})" if isinstance(r["role"], str) and r["role"] else ""
            what = f"the {r['effect']} effect of {_stem(r['term'])}{who}"
        else:
            what = f"the coefficient of {r['term']}"
        return (f"{what} was {format_stat('b', r['estimate'])}, {format_stat('SE', r['se'])}, "
                f"t({int(r['df'])}) = {format_value(r['statistic'])}, {format_p(r['p_value'])}, "
                f"{format_ci(r['ci_low'], r['ci_high'], level=self.ci)}")


def _stem(term: str) -> str:
    base = term.split(" (")[0]
    return base[: -len(ACTOR)] if base.endswith((ACTOR, PARTNER)) else base


def apim_formula(y: str, x: Sequence[str]) -> str:
    """The APIM formula with an actor and a partner term for each predictor.

    Parameters
    ----------
    y : str
        The outcome column.
    x : sequence of str
        The predictors; each enters as ``<x>_A`` (the person's own score) and ``<x>_P`` (the
        partner's), the names `apim` pairs rows by.

    Returns
    -------
    str
        ``"y ~ x1_A + x1_P + x2_A + x2_P"``.

    Raises
    ------
    ParameterError
        No predictor, or a name that is not text.

    Examples
    --------
    >>> apim_formula("satisfaction", ["avoidance", "anxiety"])
    'satisfaction ~ avoidance_A + avoidance_P + anxiety_A + anxiety_P'
    """
    names = [x] if isinstance(x, str) else list(x)
    if not names or not all(isinstance(n, str) and n for n in [y, *names]):
        raise ParameterError(f"`y` and `x` must name columns (text), but y={y!r} and x={x!r} were passed.")
    return f"{y} ~ " + " + ".join(f"{n}{ACTOR} + {n}{PARTNER}" for n in names)


def apim(data, formula, *, dyad, partner=None, role=None, roles=None, model="indistinguishable",
         method="REML", ci=0.95):
    """Actor-Partner Interdependence Model by GLS, as ``nlme::gls`` with ``corCompSymm``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person: individual layout (with `partner`), or pairwise layout where the
        ``_A``/``_P`` columns already exist.
    formula : str
        Patsy formula. ``x_A`` is the person's own (actor) value of column ``x``, ``x_P`` the
        partner's; a plain name is used as it is (a dyad-level variable, or the outcome).
        E.g. ``"satisfaction ~ avoidance_A + avoidance_P"``; a moderator:
        ``"y ~ (x_A + x_P) * w"``.
    dyad : str
        Dyad (couple) id column.
    partner : str, optional
        Member column (role or member number within the dyad): needed to pair the rows of
        individual data; the default `role`.
    role : str, optional
        Distinguishing variable of a distinguishable model (e.g. gender); default `partner`.
    roles : list of two values, optional
        The two roles compared, the first being the reference (default: the two values of
        `role`, in sorted or categorical order; more than two is an error). Rows with another
        role, and dyads whose two members share a role (e.g. same-gender couples), are
        excluded and listed in ``.excluded``. Ignored by the indistinguishable model.
    model : {"indistinguishable", "two_intercept", "interaction"}
        Indistinguishable: one set of effects and one residual variance. Distinguishable:
        ``"two_intercept"`` crosses every term with the two roles (role-specific intercepts,
        actor and partner effects); ``"interaction"`` adds the role (coded -1 first role,
        +1 second) and its product with every term. Both have per-role residual variances
        (``varIdent``) and are the same model written two ways.
    method : {"REML", "ML"}
        REML (nlme's default) or ML (for likelihood-ratio tests of fixed effects).
    ci : float, default 0.95
        Confidence level of the coefficient intervals (t with N - p df).

    Returns
    -------
    APIMResult
        ``.coefficients`` (``term``, ``effect``, ``role``, ``estimate``, ``se``, ``statistic``,
        ``df``, ``p_value``, ``ci_low``, ``ci_high``, ``std_estimate``), ``.fit`` (``model``,
        ``method``, ``n``, ``n_dyads``, ``n_complete``, ``n_single``, ``n_excluded``, ``rho``,
        ``rho_statistic``, ``rho_p_value``, ``rho_empty``, ``loglik``, ``aic``, ``bic``,
        ``npar``), ``.variances`` (``role``, ``sigma``, ``sigma2``, ``sigma2_empty``,
        ``pseudo_r2``) and ``.excluded`` (``row``, ``reason``, ``dyad``); each column is
        described in `APIMResult`. ``.table()`` and ``.sentence()`` give the APA table and text.

    Raises
    ------
    ParameterError
        Bad `formula`, `model`, `method`, `roles` or `ci`; `partner`/`role` missing where
        needed.
    DataError
        Unknown columns, non-numeric variables, too few rows, collinear predictors, more than
        two members in a dyad, more than two roles and no `roles`.

    Warns
    -----
    ConvergenceWarning
        When the within-dyad correlation is estimated at the boundary (+/-1).

    See Also
    --------
    apim_k, distinguishability_test, dyadic_icc

    Notes
    -----
    Residual covariance of a dyad: ``sigma_1^2``, ``sigma_2^2`` on the diagonal and
    ``rho * sigma_1 * sigma_2`` off it (``sigma_1 = sigma_2`` when indistinguishable), with
    ``-1 < rho < 1``. beta and sigma^2 are profiled out; rho (and the SD ratio) are found by
    bounded 1-D searches. Dyads with one analysed member are kept (their row has variance
    ``sigma_role^2``), as gls does. Rows with a missing value in any variable of the formula
    (including a partner's value) are left out and listed in ``.excluded``. Standard errors
    use ``sigma^2 (X' Lambda^-1 X)^-1`` with the REML-type ``RSS / (N - p)`` also under ML,
    as ``summary.gls``; AIC and BIC as nlme (BIC with ``log(N - p)`` under REML).
    Pseudo-R^2 is Kenny's: the reduction of the residual variance from the intercept-only model
    fitted to the same rows (dyadr's ``crsp``). Matches nlme 3.1 ``gls`` to about 1e-7.

    References
    ----------
    Kenny, D. A., Kashy, D. A., & Cook, W. L. (2006). *Dyadic data analysis*. Guilford Press.

    Pinheiro, J. C., & Bates, D. M. (2000). *Mixed-effects models in S and S-PLUS*. Springer.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import apim
    >>> df = pd.DataFrame({"couple": np.repeat(np.arange(30), 2), "member": [1, 2] * 30,
    ...                    "x": np.sin(np.arange(60.0)), "y": np.cos(np.arange(60.0) / 3)})
    >>> res = apim(df, "y ~ x_A + x_P", dyad="couple", partner="member")
    >>> res.coefficients["term"].tolist()
    ['Intercept', 'x_A', 'x_P']
    >>> list(res.excluded.columns)
    ['row', 'reason', 'dyad']
    """
    return _apim(data, formula, dyad, partner, role, roles, model, method, ci)


def _apim(data, formula, dyad, partner, role, roles, model, method, ci, same_rows=False):
    _check_one_of("method", method, ("REML", "ML"))
    _check_level("ci", ci)
    design, terms, info, excluded = prepare(data, formula, dyad, partner, model, role, roles, same_rows)
    if info["n_complete"] == 0:
        raise DataError(f"No dyad has both members among the {info['n']} rows analysed, so the "
                        f"within-dyad correlation cannot be estimated ({info['n_excluded']} rows were "
                        "left out for missing values or roles); check `dyad` and the missing values.")
    reml = method == "REML"
    res = _gls.fit(design, reml)
    if res["at_bound"]:
        warnings.warn(f"The within-dyad correlation was estimated at {res['rho']:.6f} (the boundary): "
                      "the two members' outcomes are (nearly) exact linear functions of each other.",
                      ConvergenceWarning, stacklevel=3)
    n_roles = len(info["roles"])
    empty = _gls.fit(empty_design(design, n_roles), reml)
    coefficients = _coef_table(res, terms, info["role"] if model == "interaction" else None, model, ci)
    coefficients["std_estimate"] = coefficients["estimate"] * info["std_scale"]
    npar = res["p"] + 2 + (model != "indistinguishable")
    loglik = res["loglik"]
    # likelihood-ratio test of the partial ICC: the same model with rho = 0 (nlme: anova() of
    # gls with and without corCompSymm); rho can be negative, so the chi-square(1) is two-sided
    rho_lr = max(_gls.independent_minus2ll(design, reml) + 2 * loglik, 0.0)
    n_bic = res["n"] - res["p"] if reml else res["n"]
    fit = pd.DataFrame([{"model": model, "method": method, "n": info["n"], "n_dyads": info["n_dyads"],
                         "n_complete": info["n_complete"], "n_single": info["n_single"],
                         "n_excluded": info["n_excluded"], "rho": res["rho"], "rho_statistic": rho_lr,
                         "rho_p_value": float(stats.chi2.sf(rho_lr, 1)), "rho_empty": empty["rho"],
                         "loglik": loglik, "aic": -2 * loglik + 2 * npar,
                         "bic": -2 * loglik + npar * math.log(n_bic), "npar": npar}])
    ratio = [1.0, res["delta"]] if n_roles == 2 else [1.0]
    ratio_empty = [1.0, empty["delta"]] if n_roles == 2 else [1.0]
    s2 = [res["sigma2"] * r**2 for r in ratio]
    s2e = [empty["sigma2"] * r**2 for r in ratio_empty]
    variances = pd.DataFrame({"role": [str(r) for r in info["roles"]], "sigma": np.sqrt(s2),
                              "sigma2": s2, "sigma2_empty": s2e,
                              "pseudo_r2": 1 - np.asarray(s2) / np.asarray(s2e)})
    return APIMResult(coefficients, fit, variances, excluded, ci, formula, design)


def _effect(term: str, partner) -> str:
    base = term.split(" (")[0]
    if base == "Intercept":
        return "intercept"
    if partner is not None and base == partner:
        return "role"
    if ":" in base:
        return "interaction"
    return {ACTOR: "actor", PARTNER: "partner"}.get(base[-2:], "other")


def _coef_table(res, terms, partner, model, ci):
    est, se = res["beta"], np.sqrt(np.diag(res["cov"]))
    df = res["n"] - res["p"]
    t = est / se
    q = stats.t.ppf(0.5 + ci / 2, df)
    role = [t_.rsplit(" (", 1)[1][:-1] if model == "two_intercept" else pd.NA for t_ in terms]
    return pd.DataFrame({"term": terms, "effect": [_effect(t_, partner) for t_ in terms],
                         "role": pd.array(role, dtype="string"), "estimate": est, "se": se,
                         "statistic": t, "df": float(df), "p_value": 2 * stats.t.sf(np.abs(t), df),
                         "ci_low": est - q * se, "ci_high": est + q * se, "std_estimate": np.nan})[COEF_COLUMNS]
