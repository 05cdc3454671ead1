"""Mediation in the Actor-Partner Interdependence Model (APIM mediation; Ledermann, Macho & Kenny,
2011): actor and partner indirect effects of X on Y through each partner's mediator M.

Two APIM equations are fitted with the GLS engine of `apim` (``nlme::gls`` with ``corCompSymm``
and, for distinguishable dyads, ``varIdent`` by role; REML), separately, as in Kenny's and
Garcia's workshop: the mediator equation ``M ~ X_A + X_P`` (a paths) and the outcome equation
``Y ~ M_A + M_P + X_A + X_P`` (b paths and the direct effects c'). Indirect effects are products
of a and b paths; their intervals come from Monte-Carlo draws of the coefficients or from a
bootstrap of dyads.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis._checks import _as_list, _check_level, _check_one_of, _require_columns, _require_numeric
from analysis.apa import HtmlBlock, apa_table, format_ci, format_p, format_stat
from analysis.exceptions import AnalysisWarning, ParameterError
from analysis.models import _gls
from analysis.models._dyad_data import ACTOR, PARTNER
from analysis.models.dyadic import APIMResult, _apim

__all__ = ["APIMMediationResult", "apim_mediation"]

EFFECT_COLUMNS = ["effect", "role", "path", "estimate", "se", "statistic", "p_value", "ci_low", "ci_high",
                  "method"]  # fmt: skip
# (effect, a path: (actor|partner, whose M equation), b path: actor|partner); r = the role whose
# Y it is, o = the other role (Ledermann et al., 2011: first word the a path, second the b path)
_INDIRECT = {
    "actor-actor": ("actor", "r", "actor"),
    "partner-partner": ("partner", "o", "partner"),
    "actor-partner": ("actor", "o", "partner"),
    "partner-actor": ("partner", "r", "actor"),
}
_ORDER = [*_INDIRECT, "indirect actor", "indirect partner", "direct actor", "direct partner",
          "total actor", "total partner"]  # fmt: skip
_METHOD = {"monte_carlo": "Monte Carlo", "bootstrap": "bootstrap"}


@dataclass(frozen=True)
class APIMMediationResult:
    """Result of `apim_mediation`: indirect, direct and total effects and the two APIM equations.

    Attributes
    ----------
    effects : pandas.DataFrame
        One row per effect and role: ``effect`` (``actor-actor``, ``partner-partner``,
        ``actor-partner``, ``partner-actor``, ``indirect actor`` = actor-actor +
        partner-partner, ``indirect partner`` = actor-partner + partner-actor, ``direct actor``,
        ``direct partner``, ``total actor`` = direct + indirect actor, ``total partner``),
        ``role`` (whose outcome; ``"both"`` for indistinguishable dyads), ``path`` (e.g.
        ``"x (w) -> m (h) -> y (w)"``), ``estimate``, ``se`` (SD of the Monte-Carlo or
        bootstrap draws; the GLS SE for direct effects), ``statistic`` and ``p_value`` (t test,
        direct effects only), ``ci_low``, ``ci_high``, ``method`` (``"Monte Carlo"``,
        ``"bootstrap"``, or ``"t"`` for direct effects).
    coefficients : pandas.DataFrame
        Both equations, one row per term: ``equation`` (``"mediator"``, ``"outcome"``), then the
        columns of `APIMResult.coefficients`.
    fit : pandas.DataFrame
        One row per equation: ``equation``, then the columns of `APIMResult.fit`.
    mediator_model, outcome_model : APIMResult
        The two APIM fits (each with ``.table()`` and ``.sentence()``).
    draws : pandas.DataFrame
        The Monte-Carlo draws or bootstrap estimates of every indirect and total effect, one
        column per effect and role (``"actor-actor (w)"``).
    excluded : pandas.DataFrame
        One row per row of `data` left out of both equations: ``row``, ``reason``, ``dyad``.
    x, m, y : str
        Predictor, mediator and outcome.
    model : str
        ``"distinguishable"`` or ``"indistinguishable"``.
    ci : float
        Confidence level.
    ci_method : str
        ``"monte_carlo"`` or ``"bootstrap"``.
    n_draws : int
        Monte-Carlo draws or bootstrap resamples used.

    See Also
    --------
    apim_mediation : the function that returns it.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import apim_mediation
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"couple": np.repeat(np.arange(80), 2), "member": [1, 2] * 80,
    ...                    "x": rng.normal(size=160)})
    >>> df["m"] = 0.5 * df["x"] + rng.normal(size=160)
    >>> df["y"] = 0.4 * df["m"] + rng.normal(size=160)
    >>> res = apim_mediation(df, x="x", m="m", y="y", dyad="couple", partner="member",
    ...                      model="indistinguishable", n_draws=2000, seed=1)
    >>> print(res.effects.loc[0, ["effect", "role", "path"]].to_string())
    effect                      actor-actor
    role                               both
    path      x (own) -> m (own) -> y (own)
    """

    effects: pd.DataFrame
    coefficients: pd.DataFrame
    fit: pd.DataFrame
    mediator_model: APIMResult
    outcome_model: APIMResult
    draws: pd.DataFrame
    excluded: pd.DataFrame
    x: str
    m: str
    y: str
    model: str
    ci: float
    ci_method: str
    n_draws: int

    def table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The effects as an APA table; the note says how the intervals were found.

        Parameters
        ----------
        title : str, optional
            Table title (default "APIM mediation of the effects of X on Y through M").
        number : int, optional
            Table number.

        Returns
        -------
        HtmlBlock
            The table (shown directly in a notebook).
        """
        cols = ["effect", "role", "path", "estimate", "se", "ci_low", "ci_high"]
        data = self.effects[[c for c in cols if c != "role" or self.model == "distinguishable"]]
        f = self.fit.iloc[0]
        what = "draws" if self.ci_method == "monte_carlo" else "resamples of dyads"
        note = (
            f"Two APIM equations fitted by GLS (REML, compound symmetry within dyads"
            f"{', one residual variance per role' if self.model == 'distinguishable' else ''}): "
            f"{self.mediator_model.formula} and {self.outcome_model.formula}. "
            f"{int(f['n'])} persons in {int(f['n_dyads'])} dyads; {int(f['n_excluded'])} rows "
            f"excluded.{' Role: whose outcome.' if self.model == 'distinguishable' else ''} Indirect and "
            f"total effects: SE and {100 * self.ci:g}% "
            f"percentile CI from {self.n_draws:,} {_METHOD[self.ci_method]} {what}; direct effects: "
            "GLS SE and t-based CI."
        )
        title = title or f"APIM mediation of the effects of {self.x} on {self.y} through {self.m}"
        return apa_table(data, title=title, number=number, note=note, ci=self.ci)

    def sentence(self) -> str:
        """APA text: the four indirect effects (per role) and the direct effects.

        Returns
        -------
        str
            Plain text with b and the CI of every indirect effect, and b, SE, p and the CI of the
            direct effects.
        """
        f = self.fit.iloc[0]
        how = "Monte Carlo" if self.ci_method == "monte_carlo" else "bootstrap"
        out = [
            f"In the APIM mediation model ({self.model} dyads, {int(f['n_dyads'])} dyads; {how} "
            f"CIs from {self.n_draws:,} {'draws' if self.ci_method == 'monte_carlo' else 'resamples'}), "
        ]
        parts = []
        for r in self.effects.itertuples():
            who = f" for {r.role}" if self.model == "distinguishable" else ""
            ci = format_ci(r.ci_low, r.ci_high, level=self.ci)
            if r.effect in _INDIRECT:
                parts.append(f"the {r.effect} indirect effect{who} ({r.path}) was {format_stat('b', r.estimate)}, {ci}")
            elif r.effect.startswith("direct"):
                parts.append(
                    f"the direct {r.effect.split()[1]} effect{who} was "
                    f"{format_stat('b', r.estimate)}, {format_stat('SE', r.se)}, "
                    f"{format_p(r.p_value)}, {ci}"
                )
        return out[0] + "; ".join(parts) + "."


def _names(data: pd.DataFrame, var: str, what: str) -> str:
    """The outcome name of `var` in an equation: the column itself (individual layout, paired by
    `apim`) or ``<var>_A`` (pairwise layout)."""
    if not isinstance(var, str) or not var:
        raise ParameterError(f"`{what}` must name a column (text), but {var!r} was passed.")
    if var in data.columns:
        return var
    if var + ACTOR in data.columns:
        return var + ACTOR
    _require_columns(data, [var])
    return var


def _covariate_terms(data: pd.DataFrame, name: str, dyad: str) -> list[str]:
    """A covariate's terms: ``c_A + c_P`` for a person-level column, ``c`` for a dyad-level one
    (equal within every dyad) or for an explicit ``c_A`` / ``c_P``."""
    if not isinstance(name, str) or not name:
        raise ParameterError(f"`covariates` must name columns (text), but {name!r} was passed.")
    if name in data.columns:
        _require_columns(data, [dyad])
        if data.groupby(dyad)[name].nunique(dropna=True).max() <= 1:
            return [name]
        return [name + ACTOR, name + PARTNER]
    if name + ACTOR in data.columns and name + PARTNER in data.columns:
        return [name + ACTOR, name + PARTNER]
    if name.endswith((ACTOR, PARTNER)) and name[:-2] in data.columns:
        return [name]
    _require_columns(data, [name])
    return [name]


def _check_count(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 100:
        raise ParameterError(f"`{name}` must be an integer of at least 100, but {value!r} was passed.")


def apim_mediation(
    data,
    *,
    x,
    m,
    y,
    dyad,
    partner=None,
    role=None,
    roles=None,
    model="distinguishable",
    covariates=None,
    ci=0.95,
    ci_method="monte_carlo",
    n_draws=20000,
    n_boot=5000,
    seed=None,
):
    """APIM mediation (Ledermann, Macho & Kenny, 2011): actor and partner indirect effects.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person: individual layout (columns `x`, `m`, `y`, paired with `partner`),
        or pairwise layout (``<x>_A``, ``<x>_P``, ``<m>_A``, ``<m>_P`` and ``<y>_A`` exist).
    x, m, y : str
        Predictor, mediator and outcome (each person's own score; the partner's is paired).
    dyad : str
        Dyad (couple) id column.
    partner : str, optional
        Member column pairing the rows of individual data; the default `role`.
    role : str, optional
        Distinguishing variable (e.g. gender) of distinguishable dyads; default `partner`.
    roles : list of two values, optional
        The two roles, the first being the reference (as `apim`); other rows and same-role
        dyads are excluded.
    model : {"distinguishable", "indistinguishable"}
        Distinguishable: every path per role (two-intercept APIM, one residual variance per
        role), 8 indirect effects. Indistinguishable: one set of paths, 4 indirect effects.
    covariates : list of str, optional
        Further predictors of both equations: a person's column enters with its actor and
        partner terms (``c_A + c_P``), a dyad-level column (equal within every dyad, e.g. the
        relationship length) once, and an explicit ``c_A`` or ``c_P`` alone.
    ci : float, default 0.95
        Confidence level.
    ci_method : {"monte_carlo", "bootstrap"}
        Monte Carlo: each equation's coefficients drawn from their estimated normal
        distribution (independently between the equations); bootstrap: percentile interval
        from resamples of dyads, both equations refitted on each resample.
    n_draws : int, default 20000
        Monte-Carlo draws.
    n_boot : int, default 5000
        Bootstrap resamples.
    seed : int, optional
        Seed of the draws or resamples.

    Returns
    -------
    APIMMediationResult
        ``.effects`` (``effect``, ``role``, ``path``, ``estimate``, ``se``, ``statistic``,
        ``p_value``, ``ci_low``, ``ci_high``, ``method``), ``.coefficients`` and ``.fit`` of
        both equations (``equation`` first), ``.mediator_model`` and ``.outcome_model`` (the
        `APIMResult` fits), ``.draws`` and ``.excluded``; each is described in
        `APIMMediationResult`.

    Raises
    ------
    ParameterError
        Bad `model`, `ci_method`, `ci`, `n_draws`, `n_boot` or `roles`; `x`, `m`, `y` not
        distinct; `partner`/`role` missing where needed.
    DataError
        Unknown or non-numeric columns and the other data problems `apim` reports.

    Warns
    -----
    AnalysisWarning
        Bootstrap resamples whose design was singular (left out of the interval).

    See Also
    --------
    apim, mediation

    Notes
    -----
    For the person in role r (whose outcome it is) and the partner in role o, with a paths from
    the mediator equation and b paths from the outcome equation (for each role's outcome):
    actor-actor ``a_A(r) b_A(r)`` (X_r -> M_r -> Y_r), partner-partner ``a_P(o) b_P(r)``
    (X_r -> M_o -> Y_r), actor-partner ``a_A(o) b_P(r)`` (X_o -> M_o -> Y_r) and partner-actor
    ``a_P(r) b_A(r)`` (X_o -> M_r -> Y_r); the first two mediate the actor effect of X on Y, the
    last two the partner effect; total = direct (c') + indirect. Indistinguishable dyads have
    one r = o. Both equations use the same rows: persons with their own and their partner's X
    and M, their own Y and the covariates (listwise; dyads with one such member are kept, as
    in `apim`). Estimates and SEs of both equations match ``nlme::gls`` (REML) to about 1e-7,
    and the indirect effects are products of them. The Monte-Carlo method is Selig and
    Preacher's (2008), as in Garcia's workshop (which ignores, like here, the covariance
    between the two separately fitted equations).

    References
    ----------
    Ledermann, T., Macho, S., & Kenny, D. A. (2011). Assessing mediation in dyadic data using
    the actor-partner interdependence model. *Structural Equation Modeling, 18*(4), 595-612.

    Selig, J. P., & Preacher, K. J. (2008). Monte Carlo method for assessing mediation
    [Computer software]. http://quantpsy.org/

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import apim_mediation
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"couple": np.repeat(np.arange(80), 2), "gender": ["w", "h"] * 80,
    ...                    "x": rng.normal(size=160)})
    >>> df["m"] = 0.5 * df["x"] + rng.normal(size=160)
    >>> df["y"] = 0.4 * df["m"] + rng.normal(size=160)
    >>> res = apim_mediation(df, x="x", m="m", y="y", dyad="couple", role="gender",
    ...                      roles=["w", "h"], n_draws=2000, seed=1)
    >>> res.effects[["effect", "role"]].head(3).to_records(index=False).tolist()
    [('actor-actor', 'w'), ('partner-partner', 'w'), ('actor-partner', 'w')]
    """
    _check_one_of("model", model, ("distinguishable", "indistinguishable"))
    _check_one_of("ci_method", ci_method, tuple(_METHOD))
    _check_level("ci", ci)
    monte_carlo = ci_method == "monte_carlo"
    _check_count("n_draws" if monte_carlo else "n_boot", n_draws if monte_carlo else n_boot)
    if len({x, m, y}) != 3:
        raise ParameterError(
            f"`x`, `m` and `y` must be three different columns, but x={x!r}, m={m!r}, y={y!r} were passed."
        )
    _require_columns(data, [])
    m_out, y_out = _names(data, m, "m"), _names(data, y, "y")
    _names(data, x, "x")
    _require_numeric(data, [c for v in (x, m, y) for c in (v, v + ACTOR, v + PARTNER) if c in data.columns])
    extra = "".join(f" + {t}" for c in _as_list(covariates) for t in _covariate_terms(data, c, dyad))
    med_formula = f"{m_out} ~ {x}{ACTOR} + {x}{PARTNER}{extra}"
    out_formula = f"{y_out} ~ {m}{ACTOR} + {m}{PARTNER} + {x}{ACTOR} + {x}{PARTNER}{extra}"
    partner = partner or role
    kind = "two_intercept" if model == "distinguishable" else "indistinguishable"
    work = data.reset_index(drop=True)  # positions as row labels; mapped back below
    out = _apim(work, out_formula, dyad, partner, role, roles, kind, "REML", ci)
    # the mediator equation on the outcome equation's rows: its outcome is blanked elsewhere
    blank = work.copy()
    blank[m_out] = blank[m_out].astype(float).where(~blank.index.isin(out.excluded["row"]))
    med = _apim(blank, med_formula, dyad, partner, role, roles, kind, "REML", ci)
    roles_ = out.variances["role"].tolist()
    _check_same_rows(med, out, m, model, roles_)
    labels = data.index.to_numpy()
    excluded = out.excluded.assign(row=labels[out.excluded["row"].to_numpy(int)])
    med, out = (dataclasses.replace(r, excluded=excluded) for r in (med, out))  # the same rows
    fits = [_gls.fit(r._design, True) for r in (med, out)]
    est = _effects(med.coefficients["estimate"].to_numpy()[None], out.coefficients["estimate"].to_numpy()[None],
                   med, out, x, m, roles_)  # fmt: skip
    rng = np.random.default_rng(seed)
    if ci_method == "monte_carlo":
        draws = [
            f["beta"] + rng.standard_normal((n_draws, len(f["beta"]))) @ np.linalg.cholesky(f["cov"]).T for f in fits
        ]
        n_used = n_draws
    else:
        n_dyads = len(out._design.pairs) + len(out._design.singles)
        chunk = max(1, min(n_boot, 2_000_000 // n_dyads))  # resamples at a time (memory)
        parts = []
        for start in range(0, n_boot, chunk):
            counts = _gls.dyad_counts(out._design, min(chunk, n_boot - start), rng)  # the same for both
            parts.append([_gls.bootstrap_counts(r._design, True, counts, (f["rho"], f["delta"]))
                          for r, f in zip((med, out), fits, strict=True)])  # fmt: skip
        draws = [np.vstack([p[k] for p in parts]) for k in (0, 1)]
        ok = np.isfinite(draws[0]).all(1) & np.isfinite(draws[1]).all(1)
        if not ok.all():
            warnings.warn(
                f"{(~ok).sum()} of {n_boot} bootstrap resamples had a singular design and were "
                "left out of the intervals.",
                AnalysisWarning,
                stacklevel=2,
            )
        draws = [d[ok] for d in draws]
        n_used = n_boot
    sim = _effects(draws[0], draws[1], med, out, x, m, roles_)
    effects = _effect_table(est, sim, out, x, m, y, roles_, model, ci, _METHOD[ci_method])
    keys = [k for k in est if not k[0].startswith("direct")]
    draw_frame = pd.DataFrame({_key(k, model): sim[k] for k in keys})
    coefficients = pd.concat([r.coefficients.assign(equation=e) for e, r in (("mediator", med), ("outcome", out))],
                             ignore_index=True)  # fmt: skip
    coefficients = coefficients[["equation", *med.coefficients.columns]]
    fit = pd.concat([r.fit.assign(equation=e) for e, r in (("mediator", med), ("outcome", out))], ignore_index=True)
    fit = fit[["equation", *med.fit.columns]]
    return APIMMediationResult(effects, coefficients, fit, med, out, draw_frame, excluded, x, m, y, model, ci,
                               ci_method, n_used)  # fmt: skip


def _check_same_rows(med: APIMResult, out: APIMResult, m: str, model: str, roles: list) -> None:
    """Both designs must hold the same dyads in the same order (the bootstrap resamples them
    together): the mediator equation's outcome is the outcome equation's actor mediator."""
    dm, do = med._design, out._design
    terms = out.coefficients["term"].tolist()
    p = len(terms)
    first, second = (terms.index(_term(m, "actor", r, model)) for r in (roles * 2)[:2])
    same = (
        dm.pairs.shape[0] == do.pairs.shape[0]
        and dm.singles.shape[0] == do.singles.shape[0]
        and np.array_equal(dm.pairs[:, dm.n_coef], do.pairs[:, first])
        and np.array_equal(dm.pairs[:, -1], do.pairs[:, p + 1 + second])
    )
    if not same:  # pragma: no cover - a guard on the data preparation
        raise RuntimeError("The mediator and outcome equations were fitted on different dyads.")


def _term(var: str, kind: str, role, model: str) -> str:
    name = var + (ACTOR if kind == "actor" else PARTNER)
    return name if model == "indistinguishable" else f"{name} ({role})"


def _effects(a: np.ndarray, b: np.ndarray, med, out, x, m, roles) -> dict:
    """Every effect (per role) from coefficient rows `a` (mediator eq.) and `b` (outcome eq.)."""
    model = "indistinguishable" if len(roles) == 1 else "distinguishable"
    ia = {t: i for i, t in enumerate(med.coefficients["term"])}
    ib = {t: i for i, t in enumerate(out.coefficients["term"])}
    res = {}
    for r in roles:
        o = r if len(roles) == 1 else roles[1 - roles.index(r)]
        for name, (a_kind, whose, b_kind) in _INDIRECT.items():
            a_col = a[:, ia[_term(x, a_kind, r if whose == "r" else o, model)]]
            res[name, r] = a_col * b[:, ib[_term(m, b_kind, r, model)]]
        res["indirect actor", r] = res["actor-actor", r] + res["partner-partner", r]
        res["indirect partner", r] = res["actor-partner", r] + res["partner-actor", r]
        for kind in ("actor", "partner"):
            res[f"direct {kind}", r] = b[:, ib[_term(x, kind, r, model)]]
            res[f"total {kind}", r] = res[f"direct {kind}", r] + res[f"indirect {kind}", r]
    return {(e, r): res[e, r] for r in roles for e in _ORDER}


def _key(key: tuple, model: str) -> str:
    return key[0] if model == "indistinguishable" else f"{key[0]} ({key[1]})"


def _path(effect: str, r, o, x, m, y, model) -> str:
    if model == "indistinguishable":
        r, o = "own", "partner"
    if effect in _INDIRECT:
        a_kind, whose, _ = _INDIRECT[effect]
        mw = r if whose == "r" else o
        xw = mw if a_kind == "actor" else (o if mw == r else r)
        return f"{x} ({xw}) -> {m} ({mw}) -> {y} ({r})"
    xw = r if effect.endswith("actor") else o
    return f"{x} ({xw}) -> {m} -> {y} ({r})" if effect.startswith("indirect") else f"{x} ({xw}) -> {y} ({r})"


def _effect_table(est, sim, out, x, m, y, roles, model, ci, method) -> pd.DataFrame:
    coef = out.coefficients.set_index("term")
    lo, hi = (1 - ci) / 2, (1 + ci) / 2
    rows = []
    for (effect, r), value in est.items():
        o = r if len(roles) == 1 else roles[1 - roles.index(r)]
        row = {"effect": effect, "role": r, "path": _path(effect, r, o, x, m, y, model), "estimate": value[0]}
        if effect.startswith("direct"):
            c = coef.loc[_term(x, effect.split()[1], r, model)]
            row.update(
                se=c["se"],
                statistic=c["statistic"],
                p_value=c["p_value"],
                ci_low=c["ci_low"],
                ci_high=c["ci_high"],
                method="t",
            )
        else:
            d = sim[effect, r]
            row.update(
                se=d.std(ddof=1),
                statistic=np.nan,
                p_value=np.nan,
                ci_low=np.quantile(d, lo),
                ci_high=np.quantile(d, hi),
                method=method,
            )
        rows.append(row)
    table = pd.DataFrame(rows, columns=EFFECT_COLUMNS)
    table["role"] = table["role"].astype("string")
    table.attrs = {"ci": ci}
    return table
