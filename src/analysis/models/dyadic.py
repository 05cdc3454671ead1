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

from analysis._checks import _check_level, _check_one_of, _require_columns
from analysis.apa import HtmlBlock, apa_table, format_ci, format_p, format_stat, format_value
from analysis.exceptions import ConvergenceWarning, DataError, ParameterError
from analysis.models import _gls
from analysis.models._dyad_data import ACTOR, PARTNER, empty_design, prepare, select_roles

__all__ = ["APIMResult", "DistinguishabilityResult", "apim", "apim_k", "apim_k_sentence", "distinguishability_test",
           "dyadic_icc"]

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
    actor and partner effect and the partial ICC, ``sentence(term)`` the text of one term.

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
        """APA text: every actor and partner effect and the partial ICC, or one term.

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


_PATTERNS = {"actor-only": 0.0, "couple": 1.0, "contrast": -1.0}

#: pattern of `apim_k` -> its reading in plain words (`apim_k_sentence`)
K_READINGS = {
    "actor-only": "mostly their own score matters; the partner's adds little",
    "couple": "their own and their partner's scores count about equally: the couple's combined level is what matters",
    "contrast": "what matters is how different the two partners are",
    "unclear": "the pattern lies between the classic ones (the partner effect is real but smaller than the actor "
               "effect) or is too uncertain to name",
}  # fmt: skip


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
        only, otherwise "unclear"). ``attrs["ci"]`` holds `ci`.

    Raises
    ------
    ParameterError
        `result` is not an `APIMResult`, or a bad `n_boot` or `ci`.
    DataError
        The model has no matching actor and partner terms.

    See Also
    --------
    apim_k_sentence : the reading of one row in plain words.

    Notes
    -----
    Kenny and Ledermann's reading: k near 0 means only one's own X matters (actor-only),
    k near 1 that both partners' X count equally (couple pattern: the dyad sum matters), k near
    -1 that the difference between partners matters (contrast pattern). k is unstable when the
    actor effect is near zero: then read the effects themselves. The refits use the method of
    `result` and keep its residual structure. No single R function returns k; in R it is a
    bootstrap over dyads (``boot::boot``) of the ratio of two ``nlme::gls`` coefficients with a
    percentile interval (``boot::boot.ci(type = "perc")``).

    References
    ----------
    Kenny, D. A., & Ledermann, T. (2010). Detecting, measuring, and testing dyadic patterns in
    the actor-partner interdependence model. *Journal of Family Psychology, 24*(3), 359-366.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import apim, apim_k
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(200, 2))
    >>> y = 0.5 * x + 0.5 * x[:, ::-1] + rng.normal(size=(200, 2))
    >>> df = pd.DataFrame({"couple": np.repeat(np.arange(200), 2), "member": [1, 2] * 200,
    ...                    "x": x.ravel(), "y": y.ravel()})
    >>> fit = apim(df, "y ~ x_A + x_P", dyad="couple", partner="member")
    >>> apim_k(fit, n_boot=200, seed=1)["pattern"].item()
    'couple'
    """
    if not isinstance(result, APIMResult):
        raise ParameterError(f"`result` must be an APIMResult from `apim`, not {type(result).__name__}.")
    if not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise ParameterError(f"The value for `n_boot` must be a positive integer, but {n_boot!r} was passed.")
    _check_level("ci", ci)
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


def apim_k_sentence(k, *, variable, outcome, role=None, ci=None):
    """One plain-words sentence reading k of one predictor (a row of `apim_k`).

    Parameters
    ----------
    k : pandas.DataFrame
        The table returned by `apim_k`.
    variable : str
        The predictor (a value of ``k["variable"]``, e.g. ``"avoidance"``).
    outcome : str
        The outcome, as the reader should see it (e.g. ``"satisfaction"``).
    role : str, optional
        The role of the row to read, for a two-intercept model (one row per role).
    ci : float, optional
        Level of the interval in `k`; default ``k.attrs["ci"]`` (set by `apim_k`), needed only
        for a table that lost its attributes (e.g. read back from a file).

    Returns
    -------
    str
        ``"For <variable>, k = 0.49 (95% CI [0.21, 0.80]), so for a person's <outcome> ..."``
        with the reading of the row's ``pattern`` (`K_READINGS`).

    Raises
    ------
    ParameterError
        `k` is not an `apim_k` table, `variable` or `role` is not in it, several roles and no
        `role`, or no level.

    See Also
    --------
    apim_k : the table this sentence reads.

    Notes
    -----
    The readings follow Kenny and Ledermann (2010): actor-only (k near 0), couple (k near 1),
    contrast (k near -1), or unclear (the interval holds none or several of 0, 1, -1).

    References
    ----------
    Kenny, D. A., & Ledermann, T. (2010). Detecting, measuring, and testing dyadic patterns in
    the actor-partner interdependence model. *Journal of Family Psychology, 24*(3), 359-366.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.models.dyadic import apim_k_sentence
    >>> k = pd.DataFrame({"variable": ["avoidance"], "role": [None], "actor": [-0.3], "partner": [-0.1],
    ...                   "k": [0.333], "ci_low": [0.05], "ci_high": [0.7], "n_boot": [2000],
    ...                   "pattern": ["unclear"]})
    >>> apim_k_sentence(k, variable="avoidance", outcome="satisfaction", ci=0.95)[:58]
    'For avoidance, k = 0.33 (95% CI [0.05, 0.70]), so for a pe'
    """
    need = ["variable", "role", "k", "ci_low", "ci_high", "pattern"]
    if not isinstance(k, pd.DataFrame) or any(c not in k.columns for c in need):
        raise ParameterError(f"`k` must be the table returned by `apim_k` (columns {need}).")
    level = k.attrs.get("ci") if ci is None else ci
    if level is None:
        raise ParameterError("`k` has no CI level in `k.attrs['ci']`; pass `ci=` (the level used by `apim_k`).")
    _check_level("ci", level)
    rows = k[k["variable"] == variable]
    if rows.empty:
        raise ParameterError(f"No row for variable {variable!r} in `k`; variables: "
                             f"{', '.join(map(str, k['variable'].unique()))}.")
    if role is not None:
        rows = rows[rows["role"].astype("string") == str(role)]
        if rows.empty:
            raise ParameterError(f"No row for role {role!r} of {variable!r} in `k`.")
    elif len(rows) > 1:
        raise ParameterError(f"`k` has {len(rows)} rows for {variable!r} (roles "
                             f"{', '.join(map(str, rows['role']))}); pass `role=`.")
    r = rows.iloc[0]
    who = f" ({role})" if role is not None else ""
    return (f"For {variable}{who}, k = {format_value(r['k'])} "
            f"({format_ci(r['ci_low'], r['ci_high'], level=level)}), so for a person's {outcome} "
            f"{K_READINGS[r['pattern']]}.")


@dataclass(frozen=True)
class DistinguishabilityResult:
    """Result of `distinguishability_test`: the likelihood-ratio test of distinguishable dyads.

    Attributes
    ----------
    fit : pandas.DataFrame
        Two rows (``model`` indistinguishable, distinguishable): ``n``, ``npar``, ``loglik``,
        ``aic``, ``bic``, and on the second row ``statistic`` (chi-square), ``df`` and
        ``p_value``.
    coefficients : pandas.DataFrame
        The fixed effects of the distinguishable (two-intercept, ML) model, as
        `APIMResult.coefficients`.
    excluded : pandas.DataFrame
        Rows of `data` neither model uses: ``row``, ``reason``, ``dyad``.
    ci : float
        Confidence level of the coefficient intervals; the test is read at 1 - `ci`.
    roles : tuple of str
        The two roles compared (reference first).
    formula : str
        The model formula.

    See Also
    --------
    distinguishability_test : the function that returns it.

    Notes
    -----
    ``table()`` gives the APA table of ``fit``, ``sentence()`` the verdict in one sentence.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import distinguishability_test
    >>> rng = np.random.default_rng(2)
    >>> df = pd.DataFrame({"couple": np.repeat(np.arange(80), 2), "gender": ["w", "m"] * 80,
    ...                    "x": rng.normal(size=160)})
    >>> df["y"] = 0.4 * df["x"] + rng.normal(size=160)
    >>> res = distinguishability_test(df, "y ~ x_A + x_P", dyad="couple", partner="gender")
    >>> print(res.sentence())
    Distinguishing m and w partners did not significantly improve the model, χ²(4) = 4.38, p = .357.
    """

    fit: pd.DataFrame
    coefficients: pd.DataFrame
    excluded: pd.DataFrame
    ci: float
    roles: tuple
    formula: str

    def table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The two fits and the test as an APA table.

        Parameters
        ----------
        title : str, optional
            Table title (default "Test of distinguishability").
        number : int, optional
            Table number.

        Returns
        -------
        HtmlBlock
            The table (shown directly in a notebook).
        """
        note = (f"ML fits on the same {int(self.fit['n'].iloc[0])} persons; statistic: likelihood-ratio "
                f"chi-square of the distinguishable model ({self.roles[0]} and {self.roles[1]}: "
                "role-specific effects and residual variances) against the indistinguishable one.")
        return apa_table(self.fit, title=title or "Test of distinguishability", number=number, note=note)

    def sentence(self) -> str:
        """The verdict in one sentence, read at the level 1 - `ci`.

        Returns
        -------
        str
            ``"Distinguishing <role 1> and <role 2> partners improved (or: did not significantly
            improve) the model, χ²(df) = ..., p = ..."``.
        """
        r = self.fit.iloc[1]
        verdict = "improved" if r["p_value"] < 1 - self.ci else "did not significantly improve"
        return (f"Distinguishing {self.roles[0]} and {self.roles[1]} partners {verdict} the model, "
                f"χ²({format_value(r['df'], 0)}) = {format_value(r['statistic'])}, {format_p(r['p_value'])}.")


def distinguishability_test(data, formula, *, dyad, partner=None, role=None, roles=None, ci=0.95):
    """Likelihood-ratio test of distinguishability (Kenny, Kashy & Cook, 2006, ch. 7).

    Fits, by ML and on the same rows, the indistinguishable APIM of `formula` and the
    two-intercept model (every term and the residual variance per role) and compares them.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person (individual layout with `partner`) or the pairwise layout, as in
        `apim`.
    formula : str
        Patsy formula with ``x_A``/``x_P`` terms, as in `apim`.
    dyad : str
        Dyad (couple) id column.
    partner : str, optional
        Member column within the dyad (pairs the rows of individual data).
    role : str, optional
        Distinguishing variable (e.g. gender); default `partner`.
    roles : list of two values, optional
        The two roles compared, reference first (default: the two values of `role`). Both
        models use the rows the distinguishable model can use (dyads with one member of each
        role, and one-member dyads); the others are listed in ``.excluded``.
    ci : float, default 0.95
        Confidence level of the coefficient intervals; ``.sentence()`` reads the test at
        1 - `ci`.

    Returns
    -------
    DistinguishabilityResult
        ``.fit``: two rows (``model`` indistinguishable, distinguishable) with ``n``,
        ``npar``, ``loglik``, ``aic``, ``bic``; the second row also ``statistic`` (chi-square =
        2 * difference in log-likelihood), ``df`` and ``p_value``. ``.coefficients``: the
        distinguishable model's fixed effects (``term``, ``effect``, ``role``, ``estimate``,
        ``se``, ``statistic``, ``df``, ``p_value``, ``ci_low``, ``ci_high``,
        ``std_estimate``); ``.excluded`` (``row``, ``reason``, ``dyad``); ``.table()``,
        ``.sentence()``.

    Raises
    ------
    ParameterError
        Bad `formula`, `roles` or `ci`, or neither `partner` nor `role`.
    DataError
        As `apim` (unknown columns, more than two roles without `roles`, ...).

    See Also
    --------
    apim

    Notes
    -----
    df = p + 1 for p fixed effects in the indistinguishable model (intercept included): each
    term gets a second, role-specific coefficient, and the residual variance a second value
    (one predictor with actor and partner effects: df = 4, Kenny's test). A significant test
    says roles matter (treat the dyads as distinguishable); a non-significant one permits the
    simpler indistinguishable model. As ``anova(gls_ml_indist, gls_ml_dist)`` in nlme.

    References
    ----------
    Kenny, D. A., Kashy, D. A., & Cook, W. L. (2006). *Dyadic data analysis*. Guilford Press.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import distinguishability_test
    >>> rng = np.random.default_rng(2)
    >>> df = pd.DataFrame({"couple": np.repeat(np.arange(80), 2), "gender": ["w", "m"] * 80,
    ...                    "x": rng.normal(size=160)})
    >>> df["y"] = 0.4 * df["x"] + rng.normal(size=160)
    >>> res = distinguishability_test(df, "y ~ x_A + x_P", dyad="couple", partner="gender")
    >>> res.fit[["model", "npar", "df"]]
                   model  npar   df
    0  indistinguishable     5  NaN
    1    distinguishable     9  4.0
    """
    _check_level("ci", ci)
    a = _apim(data, formula, dyad, partner, role, roles, "indistinguishable", "ML", ci, same_rows=True)
    b = _apim(data, formula, dyad, partner, role, roles, "two_intercept", "ML", ci)
    fa, fb = a.fit.iloc[0], b.fit.iloc[0]
    stat = 2 * (fb["loglik"] - fa["loglik"])
    df = int(fb["npar"] - fa["npar"])
    fit = pd.DataFrame({"model": ["indistinguishable", "distinguishable"], "n": [int(fa["n"]), int(fb["n"])],
                        "npar": [int(fa["npar"]), int(fb["npar"])], "loglik": [fa["loglik"], fb["loglik"]],
                        "aic": [fa["aic"], fb["aic"]], "bic": [fa["bic"], fb["bic"]],
                        "statistic": [np.nan, stat], "df": [np.nan, df],
                        "p_value": [np.nan, stats.chi2.sf(stat, df)]})
    return DistinguishabilityResult(fit, b.coefficients, b.excluded, ci, tuple(b.variances["role"]), formula)


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
    _check_level("ci", ci)
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
                              "ci_high": math.tanh(math.atanh(r) + zq), **base}]
                            ).astype({"df": "Int64", "df2": "Int64"})
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
