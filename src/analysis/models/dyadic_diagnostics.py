"""Checks around the APIM: nonindependence of partners' scores (`dyadic_icc`), whether the roles
need distinguishing (`distinguishability_test`), and the partner-to-actor ratio k with its reading
(`apim_k`, `apim_k_sentence`; Kenny & Ledermann, 2010)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis._checks import _check_level, _require_columns
from analysis.apa import HtmlBlock, apa_table, format_ci, format_p, format_value
from analysis.exceptions import DataError, ParameterError
from analysis.models import _gls
from analysis.models._dyad_data import ACTOR, PARTNER, select_roles
from analysis.models.dyadic import APIMResult, _apim, _stem

__all__ = ["apim_k", "apim_k_sentence", "DistinguishabilityResult", "distinguishability_test", "dyadic_icc"]


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
    `result` and keep its residual structure; all resamples are refitted at once, by Newton
    steps on the profiled likelihood with its exact gradient and Hessian from the estimates of
    `result` (1,000 resamples take a fraction of a second). No single R function returns k; in
    R it is a bootstrap over dyads (``boot::boot``) of the ratio of two ``nlme::gls``
    coefficients with a percentile interval (``boot::boot.ci(type = "perc")``).

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
    sigma = result.variances["sigma"].to_numpy(float)  # the refits start at the full-sample optimum
    start = (float(result.fit["rho"].iloc[0]), float(sigma[-1] / sigma[0]))
    betas = _gls.bootstrap(result._design, reml, int(n_boot), np.random.default_rng(seed), start=start)
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
    >>> from analysis import apim_k_sentence
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
    fit.attrs["statistic"] = "chi_square"  # the likelihood-ratio test
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
