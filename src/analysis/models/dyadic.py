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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis._checks import _check_one_of, _require_columns
from analysis.apa import HtmlBlock, apa_table, format_ci, format_p, format_stat, format_value
from analysis.exceptions import ConvergenceWarning, DataError, ParameterError
from analysis.models import _gls
from analysis.models._dyad_data import ACTOR, PARTNER, empty_design, prepare, select_roles

__all__ = ["APIMResult", "apim", "apim_k", "distinguishability_test", "dyadic_icc"]

COEF_COLUMNS = ["term", "effect", "role", "estimate", "se", "statistic", "df", "p_value",
                "ci_low", "ci_high", "std_estimate"]


_MODEL_TEXT = {"indistinguishable": "indistinguishable dyads",
               "two_intercept": "distinguishable dyads, two-intercept model",
               "interaction": "distinguishable dyads, interaction model"}


@dataclass(frozen=True)
class APIMResult:
    """Result of `apim`.

    Attributes
    ----------
    coefficients : DataFrame
        One row per fixed effect: ``term``, ``effect`` (intercept, actor, partner, role,
        interaction, other), ``role`` (two-intercept terms), ``estimate``, ``se``, ``statistic``
        (t), ``df`` (N - p, as nlme), ``p_value``, ``ci_low``, ``ci_high``, ``std_estimate``
        (estimate x SD(term) / SD(outcome) over the analysed rows, within each role for the
        two-intercept model: the coefficient of the same model on z-scored variables; NaN
        for intercepts).
    fit : DataFrame
        One row: ``model``, ``method``, ``n`` (persons analysed), ``n_dyads``, ``n_complete``
        (dyads with both members), ``n_single`` (dyads with one member), ``n_excluded`` (rows
        dropped), ``rho`` (residual within-dyad correlation, the partial ICC), ``rho_statistic``
        and ``rho_p_value`` (likelihood-ratio test of rho = 0: chi-square(1) between this model
        and the same model with independent residuals, as nlme's ``anova()``), ``rho_empty``
        (the same in the intercept-only model), ``loglik``, ``aic``, ``bic``, ``npar``.
    variances : DataFrame
        One row per role (one row "both" for indistinguishable dyads): ``role``, ``sigma``,
        ``sigma2``, ``sigma2_empty`` (empty model), ``pseudo_r2`` (1 - sigma2 / sigma2_empty).
    excluded : DataFrame
        Rows left out: ``row`` (index label in `data`), ``dyad``, ``reason``.
    ci : float
        Confidence level of the intervals.
    formula : str
        The model formula.

    Methods: ``table()`` (APA table of the coefficients) and ``sentence()`` (APA text).
    """

    coefficients: pd.DataFrame
    fit: pd.DataFrame
    variances: pd.DataFrame
    excluded: pd.DataFrame
    ci: float
    formula: str
    _design: _gls.Design = field(repr=False, compare=False)

    def table(self, *, number: int | None = None, title: str | None = None) -> HtmlBlock:
        """The coefficients as an APA table; the note gives rho, the SDs and the sample."""
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

    def sentence(self) -> str:
        """APA sentences: every actor and partner effect, then the partial ICC."""
        f = self.fit.iloc[0]
        parts = []
        for _, r in self.coefficients[self.coefficients["effect"].isin(["actor", "partner"])].iterrows():
            who = f" ({r['role']})" if isinstance(r["role"], str) and r["role"] else ""
            parts.append(f"the {r['effect']} effect of {_stem(r['term'])}{who} was "
                         f"{format_stat('b', r['estimate'])}, {format_stat('SE', r['se'])}, "
                         f"t({int(r['df'])}) = {format_value(r['statistic'])}, {format_p(r['p_value'])}, "
                         f"{format_ci(r['ci_low'], r['ci_high'], level=self.ci)}")
        lead = (f"In the actor-partner interdependence model ({_MODEL_TEXT[f['model']]}, GLS with "
                f"{f['method']}, {int(f['n_dyads'])} dyads), ")
        body = "; ".join(parts) if parts else "no actor or partner terms were estimated"
        tail = (f" The residual within-dyad correlation (partial ICC) was "
                f"{format_stat('ρ', f['rho'], bounded=True)} (likelihood-ratio test of ρ = 0: "
                f"χ²(1) = {format_value(f['rho_statistic'])}, {format_p(f['rho_p_value'])}).")
        return lead + body + "." + tail


def _stem(term: str) -> str:
    base = term.split(" (")[0]
    return base[: -len(ACTOR)] if base.endswith((ACTOR, PARTNER)) else base


def apim(data, *, formula, dyad, partner=None, role=None, roles=None, model="indistinguishable",
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
        ``.coefficients``, ``.fit``, ``.variances``, ``.excluded`` (see `APIMResult`), with
        ``.table()`` and ``.sentence()``.

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
    >>> df = pd.DataFrame({"couple": np.repeat(np.arange(30), 2), "member": [1, 2] * 30,
    ...                    "x": np.sin(np.arange(60.0)), "y": np.cos(np.arange(60.0) / 3)})
    >>> res = apim(df, formula="y ~ x_A + x_P", dyad="couple", partner="member")
    >>> res.coefficients["term"].tolist()
    ['Intercept', 'x_A', 'x_P']
    """
    return _apim(data, formula, dyad, partner, role, roles, model, method, ci)


def _apim(data, formula, dyad, partner, role, roles, model, method, ci, same_rows=False):
    _check_one_of("method", method, ("REML", "ML"))
    _check_ci(ci)
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


def _check_ci(ci):
    if not isinstance(ci, float | int) or not 0 < ci < 1:
        raise ParameterError(f"The value for `ci` must be a number between 0 and 1, such as 0.95, "
                             f"but {ci!r} was passed.")


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


_PATTERNS = {"actor-only": 0.0, "couple": 1.0, "contrast": -1.0}


def apim_k(result: APIMResult, *, n_boot=2000, ci=0.95, seed=None):
    """Partner-to-actor ratio k = partner / actor with a dyad-bootstrap CI (Kenny & Ledermann, 2010).

    Parameters
    ----------
    result : APIMResult
        A fit from `apim` with matching ``x_A`` and ``x_P`` terms.
    n_boot : int, default 2000
        Bootstrap resamples of dyads (complete and one-member dyads alike), each refitted.
    ci : float, default 0.95
        Level of the percentile interval.
    seed : int, optional
        Seed of ``np.random.default_rng``.

    Returns
    -------
    pandas.DataFrame
        One row per actor/partner pair (per role in a two-intercept model): ``variable``,
        ``role``, ``actor``, ``partner``, ``k``, ``ci_low``, ``ci_high`` (percentile), ``n_boot``
        (resamples that could be fitted), ``pattern`` (the reading: "actor-only" if the
        interval holds 0 and not 1 or -1, "couple" if it holds 1 only, "contrast" if -1
        only, otherwise "unclear").

    Notes
    -----
    Kenny and Ledermann's reading: k near 0 means only one's own X matters (actor-only),
    k near 1 that both partners' X count equally (couple pattern: the dyad sum matters), k near
    -1 that the difference between partners matters (contrast pattern). k is unstable when the
    actor effect is near zero: then read the effects themselves. The refits use the method of
    `result` and keep its residual structure.

    References
    ----------
    Kenny, D. A., & Ledermann, T. (2010). Detecting, measuring, and testing dyadic patterns in
    the actor-partner interdependence model. *Journal of Family Psychology, 24*(3), 359-366.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(200, 2))
    >>> y = 0.5 * x + 0.5 * x[:, ::-1] + rng.normal(size=(200, 2))
    >>> df = pd.DataFrame({"couple": np.repeat(np.arange(200), 2), "member": [1, 2] * 200,
    ...                    "x": x.ravel(), "y": y.ravel()})
    >>> fit = apim(df, formula="y ~ x_A + x_P", dyad="couple", partner="member")
    >>> apim_k(fit, n_boot=200, seed=1)["pattern"].item()
    'couple'
    """
    if not isinstance(result, APIMResult):
        raise ParameterError(f"`result` must be an APIMResult from `apim`, not {type(result).__name__}.")
    if not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise ParameterError(f"The value for `n_boot` must be a positive integer, but {n_boot!r} was passed.")
    _check_ci(ci)
    coef = result.coefficients
    terms = coef["term"].tolist()
    pairs = []
    for i, row in coef[coef["effect"] == "actor"].iterrows():
        name = row["term"].replace(ACTOR, PARTNER, 1) if " (" in row["term"] else row["term"][:-2] + PARTNER
        if name in terms:
            pairs.append((i, terms.index(name)))
    if not pairs:
        raise DataError("The model has no matching actor and partner terms (x_A and x_P); k "
                        "needs both.")
    reml = result.fit["method"].iloc[0] == "REML"
    betas = _gls.bootstrap(result._design, reml, int(n_boot), np.random.default_rng(seed))
    rows = []
    for ia, ip in pairs:
        a, p = coef["estimate"].iloc[ia], coef["estimate"].iloc[ip]
        draws = betas[:, ip] / betas[:, ia]
        draws = draws[np.isfinite(draws)]
        lo, hi = np.quantile(draws, [(1 - ci) / 2, (1 + ci) / 2]) if len(draws) else (np.nan, np.nan)
        inside = [name for name, v in _PATTERNS.items() if lo <= v <= hi]
        rows.append({"variable": _stem(coef["term"].iloc[ia]), "role": coef["role"].iloc[ia],
                     "actor": a, "partner": p, "k": p / a, "ci_low": lo, "ci_high": hi,
                     "n_boot": len(draws), "pattern": inside[0] if len(inside) == 1 else "unclear"})
    out = pd.DataFrame(rows)
    out["role"] = out["role"].astype("string")
    out.attrs["ci"] = ci
    return out


def distinguishability_test(data, *, formula, dyad, partner=None, role=None, roles=None):
    """Likelihood-ratio test of distinguishability (Kenny, Kashy & Cook, 2006, ch. 7).

    Fits, by ML and on the same rows, the indistinguishable APIM of `formula` and the
    two-intercept model (every term and the residual variance per role) and compares them.

    Parameters
    ----------
    data, formula, dyad, partner, role, roles
        As in `apim`; `role` (default `partner`) holds the roles. Both models use the rows the
        distinguishable model can use (dyads with one member of each role, and one-member dyads).

    Returns
    -------
    pandas.DataFrame
        Two rows (``model`` indistinguishable, distinguishable) with ``n``, ``npar``,
        ``loglik``, ``aic``, ``bic``; the second row also ``statistic`` (chi-square = 2 *
        difference in log-likelihood), ``df`` and ``p_value``.

    Notes
    -----
    df = p + 1 for p fixed effects in the indistinguishable model (intercept included): each
    term gets a second, role-specific coefficient, and the residual variance a second value
    (one predictor with actor and partner effects: df = 4, Kenny's test). A significant test
    says roles matter (treat the dyads as distinguishable); a non-significant one permits the
    simpler indistinguishable model. As ``anova(gls_ml_indist, gls_ml_dist)`` in nlme.
    """
    a = _apim(data, formula, dyad, partner, role, roles, "indistinguishable", "ML", 0.95, same_rows=True)
    b = _apim(data, formula, dyad, partner, role, roles, "two_intercept", "ML", 0.95)
    a, b = a.fit.iloc[0], b.fit.iloc[0]
    stat = 2 * (b["loglik"] - a["loglik"])
    df = int(b["npar"] - a["npar"])
    return pd.DataFrame({"model": ["indistinguishable", "distinguishable"], "n": [int(a["n"]), int(b["n"])],
                         "npar": [int(a["npar"]), int(b["npar"])], "loglik": [a["loglik"], b["loglik"]],
                         "aic": [a["aic"], b["aic"]], "bic": [a["bic"], b["bic"]],
                         "statistic": [np.nan, stat], "df": [np.nan, df],
                         "p_value": [np.nan, stats.chi2.sf(stat, df)]})


def dyadic_icc(data, *, y, dyad, role=None, roles=None, ci=0.95):
    """Nonindependence of `y` within dyads (Kenny, Kashy & Cook, 2006, ch. 2).

    Parameters
    ----------
    data : pandas.DataFrame
        Individual layout: one row per person.
    y : str
        The variable (numeric).
    dyad : str
        Dyad id column.
    role : str, optional
        Distinguishing variable (e.g. gender). None: indistinguishable dyads, intraclass
        correlations; given: the Pearson correlation between the two roles' scores.
    roles : list of two values, optional
        The two roles (the first is the first variable of the correlation); default the two
        values of `role`. Persons with another role and dyads whose members share a role are
        left out (counted in ``n_excluded``).
    ci : float, default 0.95
        Confidence level (ANOVA ICC: F-based interval as ``psych::ICC`` ICC1; Pearson: Fisher z).

    Returns
    -------
    pandas.DataFrame
        One row per estimate: ``kind`` ("pairwise", "anova" or "pearson"), ``estimate``,
        ``test`` ("z", "F", "t"), ``statistic``, ``df``, ``df2`` (F only; both nullable
        integers), ``p_value``
        (two-sided), ``ci_low``, ``ci_high``, ``n`` (dyads with both scores), ``n_excluded``
        (persons left out: `y` missing, no partner with a score, or role not usable).

    Raises
    ------
    DataError
        Missing or non-numeric columns, fewer than 3 complete dyads, more than two members in a
        dyad, more than two roles without `roles`.

    Notes
    -----
    Pairwise ICC: the Pearson correlation of the double-entered data (each dyad twice, once
    per member order), tested by ``z = r * sqrt(n)``; it is the ML estimate of the
    intercept-only model's rho. ANOVA ICC: ``(MS_b - MS_w) / (MS_b + MS_w)`` (the REML rho),
    tested by ``F = MS_b / MS_w`` on (n - 1, n) df, or ``MS_w / MS_b`` on (n, n - 1) df when the
    ICC is negative, the p value doubled (the ICC can be negative). Distinguishable dyads:
    Pearson r with ``t = r sqrt((n - 2) / (1 - r^2))`` on n - 2 df. The residual (partial) ICC
    after predictors is ``rho`` of `apim`.

    References
    ----------
    Kenny, D. A., Kashy, D. A., & Cook, W. L. (2006). *Dyadic data analysis*. Guilford Press.

    Examples
    --------
    >>> df = pd.DataFrame({"couple": np.repeat(np.arange(4), 2), "sat": [5, 6, 3, 3, 6, 7, 2, 4]})
    >>> dyadic_icc(df, y="sat", dyad="couple")[["kind", "estimate", "n"]].round(3)
           kind  estimate  n
    0  pairwise     0.727  4
    1     anova     0.788  4
    """
    _require_columns(data, [y, dyad] + ([role] if role else []))
    _check_ci(ci)
    if not pd.api.types.is_numeric_dtype(data[y]):
        raise DataError(f"`{y}` must be numeric, but it holds {data[y].dtype} values.")
    frame = data[list(dict.fromkeys([dyad] + ([role] if role else []) + [y]))].dropna().reset_index(drop=True)
    frame["_row"] = 0
    if role:
        frame, _, roles, code = select_roles(frame, dyad, role, roles)
        frame = frame.assign(_code=code)
    size = frame.groupby(dyad, sort=False)[y].transform("size")
    if size.max() > 2:
        raise DataError(f"Some dyads in `{dyad}` have more than two rows with `{y}`; a dyad has two members.")
    frame = frame[size == 2].sort_values([dyad] + (["_code"] if role else []), kind="stable")
    v = frame[y].to_numpy(float)
    y1, y2, n = v[0::2], v[1::2], len(v) // 2
    if n < 3:
        raise DataError(f"Only {n} dyads have `{y}` for both members; at least 3 are needed.")
    base = {"n": n, "n_excluded": len(data) - 2 * n}
    if role:
        r = float(np.corrcoef(y1, y2)[0, 1])
        t = r * math.sqrt((n - 2) / (1 - r * r))
        zq = stats.norm.ppf(0.5 + ci / 2) / math.sqrt(n - 3)
        return pd.DataFrame([{"kind": "pearson", "estimate": r, "test": "t", "statistic": t,
                              "df": n - 2, "df2": pd.NA, "p_value": 2 * stats.t.sf(abs(t), n - 2),
                              "ci_low": math.tanh(math.atanh(r) - zq),
                              "ci_high": math.tanh(math.atanh(r) + zq), **base}]).astype({"df": "Int64", "df2": "Int64"})
    rp = float(np.corrcoef(np.r_[y1, y2], np.r_[y2, y1])[0, 1])
    z = rp * math.sqrt(n)
    msb = 2 * np.var((y1 + y2) / 2, ddof=1)
    msw = np.sum((y1 - y2) ** 2) / 2 / n
    f1 = msb / msw
    fstat, d1, d2 = (f1, n - 1, n) if f1 >= 1 else (1 / f1, n, n - 1)
    fl = f1 / stats.f.ppf(0.5 + ci / 2, n - 1, n)
    fu = f1 * stats.f.ppf(0.5 + ci / 2, n, n - 1)
    rows = [{"kind": "pairwise", "estimate": rp, "test": "z", "statistic": z, "df": pd.NA, "df2": pd.NA,
             "p_value": 2 * stats.norm.sf(abs(z)), "ci_low": np.nan, "ci_high": np.nan, **base},
            {"kind": "anova", "estimate": (msb - msw) / (msb + msw), "test": "F", "statistic": fstat,
             "df": d1, "df2": d2, "p_value": min(1.0, 2 * stats.f.sf(fstat, d1, d2)),
             "ci_low": (fl - 1) / (fl + 1), "ci_high": (fu - 1) / (fu + 1), **base}]
    return pd.DataFrame(rows).astype({"df": "Int64", "df2": "Int64"})
