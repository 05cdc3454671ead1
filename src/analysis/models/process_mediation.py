"""Mediation and moderated mediation as Hayes' PROCESS does them (models 4, 6, 7 and 14).

Point estimates are OLS (logistic for a binary outcome) path coefficients; indirect effects are
products of paths with bootstrap confidence intervals from :mod:`analysis.models._process_bootstrap`, which
fits every resample at once (a multinomial counts matrix times per-case cross-products).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, pairwise

import numpy as np
import pandas as pd

from analysis import apa
from analysis._checks import _as_list, _check_level, _check_one_of
from analysis.exceptions import ParameterError
from analysis.models._process_bootstrap import (
    Equation,
    boot_ci,
    bootstrap,
    fit_equation,
    prepare,
    probe_values,
    warn_failed,
)

__all__ = ["MediationResult", "mediation", "moderated_mediation"]

_EFFECT_COLUMNS = ["effect", "path", "w", "estimate", "se", "statistic", "p_value", "ci_low", "ci_high",
                   "std_estimate", "std_ci_low", "std_ci_high"]  # fmt: skip


@dataclass(frozen=True)
class MediationResult:
    """Result of :func:`mediation` and :func:`moderated_mediation`: paths, effects and draws.

    Tidy tables, the bootstrap draws, an APA table (`table`) and APA sentences (`sentence`).

    Attributes
    ----------
    model : int
        PROCESS model number: 4 (simple or parallel), 6 (serial), 7 or 14 (moderated).
    x, y : str
        Predictor and outcome columns.
    m : tuple of str
        Mediator columns.
    w : str or None
        Moderator column (models 7 and 14), else None.
    ci : float
        Confidence level of the intervals (e.g. 0.95).
    ci_type : {"percentile", "bc"}
        Bootstrap interval of the indirect effects: percentile or bias-corrected.
    n_boot : int
        Bootstrap resamples.
    paths : pandas.DataFrame
        Every equation, one row per term: ``outcome``, ``term``, ``estimate``, ``se``,
        ``statistic``, ``df``, ``p_value``, ``ci_low``, ``ci_high``. Also ``coefficients``.
    fit : pandas.DataFrame
        One row per equation: ``outcome``, ``n``, ``n_excluded``, ``model`` (``"OLS"`` or
        ``"logistic"``), then ``r2``, ``mse``, ``f``, ``df1``, ``df2``, ``p_value`` (OLS) or
        ``minus2ll``, ``chi2``, ``df1``, ``p_value``, ``r2_mcfadden`` (logistic).
    effects : pandas.DataFrame
        ``effect`` (total, direct, indirect, conditional indirect, index), ``path``, ``w``,
        ``estimate``, ``se``, ``statistic``, ``p_value``, ``ci_low``, ``ci_high``,
        ``std_estimate``, ``std_ci_low``, ``std_ci_high``.
    boot : pandas.DataFrame
        Bootstrap draws of every indirect effect and index (`n_boot` rows, one column each).
    excluded : pandas.DataFrame
        One row per row of `data` left out: ``row`` (index label in `data`) and ``reason``
        (e.g. ``"missing value in pmi"``).

    See Also
    --------
    mediation, moderated_mediation

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import mediation
    >>> rng = np.random.default_rng(6)
    >>> data = pd.DataFrame({"x": rng.normal(size=100)})
    >>> data["m"] = 0.5 * data["x"] + rng.normal(size=100)
    >>> data["y"] = 0.4 * data["m"] + rng.normal(size=100)
    >>> data.loc[3, "m"] = np.nan
    >>> res = mediation(data, x="x", m="m", y="y", n_boot=200, seed=1)
    >>> res.ci, list(res.coefficients["outcome"].unique()), int(res.fit["n_excluded"].iloc[0])
    (0.95, ['m', 'y'], 1)
    >>> print(res.excluded.to_string(index=False))
     row             reason
       3 missing value in m
    """

    model: int
    x: str
    m: tuple
    y: str
    w: str | None
    ci: float
    ci_type: str
    n_boot: int
    paths: pd.DataFrame
    fit: pd.DataFrame
    effects: pd.DataFrame
    boot: pd.DataFrame
    excluded: pd.DataFrame

    @property
    def coefficients(self) -> pd.DataFrame:
        """The path coefficients of every equation (the same table as ``paths``)."""
        return self.paths

    def table(self, *, title: str | None = None, number: int | None = None,
              labels: dict | None = None) -> apa.HtmlBlock:  # fmt: skip
        """Total, direct and indirect effects (APA); the note gives the PROCESS model, n, the rows
        excluded, the CI level and type and the resamples. `labels` renames columns of the table."""
        cols = ["effect", "path", "w", "estimate", "se", "ci_low", "ci_high", "std_estimate"]
        data = self.effects[[c for c in cols if c in self.effects and self.effects[c].notna().any()]]
        ci_name = "percentile" if self.ci_type == "percentile" else "bias-corrected"
        dropped = int(self.fit["n_excluded"].iloc[0])
        note = (f"PROCESS model {self.model}; n = {int(self.fit['n'].iloc[0]):,}"
                + (f" ({dropped:,} rows with a missing value excluded)" if dropped else "")
                + ". Indirect effects: bootstrap SE and "
                f"{100 * self.ci:g}% {ci_name} bootstrap CI ({self.n_boot:,} resamples); total and direct "
                "effects: t-based CI. \u03b2: completely standardized effect (b \u00d7 SD of X / SD of Y).")
        title = title or f"Effects of {self.x} on {self.y} through {', '.join(self.m)}"
        return apa.apa_table(data, title=title, number=number, note=note, labels=labels)

    def sentence(self, *, x_label: str | None = None, y_label: str | None = None,
                 m_labels: dict | None = None) -> str:
        """APA sentences: every (conditional) indirect effect with its bootstrap CI.

        E.g. "The indirect effect of self-disclosure on satisfaction through perceived
        responsiveness was b = 0.24, 95% CI [0.01, 0.53]."
        """
        xl, yl, ml = x_label or self.x, y_label or self.y, m_labels or {}
        out = []
        for row in self.effects.itertuples():
            ci = apa.format_ci(row.ci_low, row.ci_high, level=self.ci)
            b = apa.format_stat("b", row.estimate)
            through = " through " + " and then ".join(ml.get(p, p) for p in row.path.split(" -> ")[1:-1])
            if row.effect == "indirect" and row.path == "total indirect":
                out.append(f"The total indirect effect of {xl} on {yl} was {b}, {ci}.")
            elif row.effect == "indirect":
                out.append(f"The indirect effect of {xl} on {yl}{through} was {b}, {ci}.")
            elif row.effect == "conditional indirect":
                out.append(f"At {self.w} = {apa.format_value(row.w)}, the indirect effect of {xl} "
                           f"on {yl}{through} was {b}, {ci}.")
            elif row.effect == "index":
                out.append(f"The index of moderated mediation{through} was {b}, {ci}.")
            elif row.effect == "direct":
                out.append(f"The direct effect of {xl} on {yl} was {b}, {ci}, "
                           f"{apa.format_p(row.p_value)}.")
        return " ".join(out)


def _chains(mediators: list[str], serial: bool) -> list[tuple]:
    """Indirect paths: each mediator alone, and in serial models every ordered subset (PROCESS model 6)."""
    if not serial:
        return [(m,) for m in mediators]
    return [c for r in range(1, len(mediators) + 1) for c in combinations(mediators, r)]


def _chain_value(coef: dict, x: str, chain: tuple, y: str):
    """a * d21 * ... * b for one chain, with coefficients as arrays or scalars."""
    value = coef[chain[0]][x]
    for prev, nxt in pairwise(chain):
        value = value * coef[nxt][prev]
    return value * coef[y][chain[-1]]


def _as_named(eq: Equation, beta) -> dict:
    return dict(zip(eq.names, np.moveaxis(np.atleast_2d(beta), -1, 0), strict=True))


def _run(frame, excluded, *, x, mediators, y, w, covs, model, serial, logistic, n_boot, ci, ci_type, seed, robust,
         w_values, w_labels):
    cov_terms = tuple((c,) for c in covs)
    med_eqs = []
    for i, m in enumerate(mediators):
        terms = [(x,)]
        if serial:
            terms += [(p,) for p in mediators[:i]]
        if model == 7:
            terms += [(w,), (x, w)]
        med_eqs.append(Equation(m, tuple(terms) + cov_terms))
    y_terms = [(x,)] + [(m,) for m in mediators]
    if model == 14:
        y_terms += [(w,)] + [(m, w) for m in mediators]
    y_eq = Equation(y, tuple(y_terms) + cov_terms, logistic=logistic)
    equations = med_eqs + [y_eq]
    fits = [fit_equation(frame, eq, robust=robust, ci=ci) for eq in equations]
    total_fit = None
    if model in (4, 6) and not logistic:
        total_fit = fit_equation(frame, Equation(y, ((x,),) + cov_terms), robust=robust, ci=ci)

    point = {f.equation.outcome: dict(zip(f.equation.names, f.coef, strict=True)) for f in fits}
    sd_cols = [x, y] if not logistic else []
    draws = bootstrap(frame, equations, n_boot=n_boot, seed=seed, sd_columns=sd_cols)
    warn_failed(draws["failed"], n_boot)
    bcoef = {eq.outcome: _as_named(eq, draws["coef"][eq.outcome]) for eq in equations}
    sd_point = {c: frame[c].std(ddof=1) for c in sd_cols}

    def quantities(coef):
        """Label -> (effect kind, path, w, value) for every bootstrapped quantity."""
        out = {}
        for chain in _chains(mediators, serial):
            path = " -> ".join((x,) + chain + (y,))
            m = chain[0]
            if model == 4 or model == 6:
                out[path] = ("indirect", path, np.nan, _chain_value(coef, x, chain, y))
            elif model == 7:
                a1, a3, b = coef[m][x], coef[m][f"{x}*{w}"], coef[y][m]
                for lab, wv in zip(w_labels, w_values, strict=True):
                    out[f"{path} | {w}={lab}"] = ("conditional indirect", path, wv, (a1 + a3 * wv) * b)
                out[f"index {path}"] = ("index", path, np.nan, a3 * b)
            else:  # model 14
                a, b1, b3 = coef[m][x], coef[y][m], coef[y][f"{m}*{w}"]
                for lab, wv in zip(w_labels, w_values, strict=True):
                    out[f"{path} | {w}={lab}"] = ("conditional indirect", path, wv, a * (b1 + b3 * wv))
                out[f"index {path}"] = ("index", path, np.nan, a * b3)
        if model in (4, 6) and len(out) > 1:
            out["total indirect"] = ("indirect", "total indirect", np.nan, sum(v[3] for v in out.values()))
        return out

    est = quantities(point)
    boot = quantities(bcoef)
    boot_frame = pd.DataFrame({k: np.asarray(v[3]) for k, v in boot.items()})
    rows = []
    yfit = fits[-1]
    direct = yfit.table.iloc[yfit.equation.names.index(x)]
    if total_fit is not None:
        t = total_fit.table.iloc[1]
        rows.append({"effect": "total", "path": f"{x} -> {y}", "w": np.nan, "estimate": t["estimate"], "se": t["se"],
                     "statistic": t["statistic"], "p_value": t["p_value"], "ci_low": t["ci_low"],
                     "ci_high": t["ci_high"]})
    rows.append({"effect": "direct", "path": f"{x} -> {y}", "w": np.nan, "estimate": direct["estimate"],
                 "se": direct["se"], "statistic": direct["statistic"], "p_value": direct["p_value"],
                 "ci_low": direct["ci_low"], "ci_high": direct["ci_high"]})
    scale_pt = sd_point[x] / sd_point[y] if sd_cols else np.nan
    scale_bt = draws["sd"][x] / draws["sd"][y] if sd_cols else None
    for key, (kind, path, wv, value) in est.items():
        d = boot_frame[key].to_numpy()
        lo, hi = boot_ci(value, d, ci=ci, method=ci_type)
        row = {"effect": kind, "path": path, "w": wv, "estimate": value, "se": d.std(ddof=1), "statistic": np.nan,
               "p_value": np.nan, "ci_low": lo, "ci_high": hi}
        if kind == "indirect" and sd_cols:
            ds = d * scale_bt
            row["std_estimate"] = value * scale_pt
            row["std_ci_low"], row["std_ci_high"] = boot_ci(value * scale_pt, ds, ci=ci, method=ci_type)
        rows.append(row)
    if sd_cols:
        for row in rows:
            if row["effect"] in ("total", "direct"):
                row["std_estimate"] = row["estimate"] * scale_pt
    effects = pd.DataFrame(rows).reindex(columns=_EFFECT_COLUMNS)
    effects.attrs = {"ci": ci, "ci_type": ci_type, "n_boot": n_boot, "seed": seed}
    paths = pd.concat([f.table for f in fits], ignore_index=True)
    fit = pd.DataFrame([{"outcome": f.fit["outcome"], "n": f.fit["n"], "n_excluded": len(excluded)}
                        | {k: v for k, v in f.fit.items() if k not in ("outcome", "n")} for f in fits])  # fmt: skip
    return MediationResult(model=model, x=x, m=tuple(mediators), y=y, w=w, ci=ci, ci_type=ci_type, n_boot=n_boot,
                           paths=paths, fit=fit, effects=effects, boot=boot_frame, excluded=excluded)


def _check_common(n_boot, ci, ci_type):
    _check_one_of("ci_type", ci_type, ["percentile", "bc"])
    _check_level("ci", ci)
    if not isinstance(n_boot, int | np.integer) or n_boot < 100:
        raise ParameterError(f"`n_boot` must be an integer of at least 100, but {n_boot!r} was passed.")


def mediation(
    data: pd.DataFrame,
    *,
    x: str,
    m,
    y: str,
    covariates=(),
    serial: bool = False,
    binary_y: bool = False,
    n_boot: int = 5000,
    ci: float = 0.95,
    ci_type: str = "percentile",
    seed: int | None = None,
) -> MediationResult:
    """Simple, parallel or serial mediation (PROCESS models 4 and 6) with bootstrap CIs.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per case.
    x : str
        Predictor column.
    m : str or list of str
        Mediator(s). Several mediators are parallel (model 4) unless `serial`.
    y : str
        Outcome column.
    covariates : list of str, optional
        Covariates, entered in every equation (PROCESS's default).
    serial : bool, default False
        Serial mediation (model 6, two or three mediators in causal order): each mediator is
        regressed on X and the mediators before it.
    binary_y : bool, default False
        Y is 0/1: its equation is a logistic regression (PROCESS's rule for a dichotomous Y), so
        the b paths and the indirect effects are on the log-odds scale; no total effect is given
        and no standardized effect.
    n_boot : int, default 5000
        Bootstrap resamples.
    ci : float, default 0.95
        Confidence level of every interval (bootstrap and t-based).
    ci_type : {"percentile", "bc"}, default "percentile"
        Percentile (PROCESS 3+ default) or bias-corrected bootstrap intervals.
    seed : int, optional
        Seed of ``numpy.random.default_rng``; the same seed gives identical results.

    Returns
    -------
    MediationResult
        ``paths`` (outcome, term, estimate, se, statistic, df, p_value, ci_low, ci_high for every
        equation; also ``coefficients``), ``fit`` (one row per equation: outcome, n, n_excluded,
        model, r2, mse, f, df1, df2, p_value; minus2ll, chi2, r2_mcfadden for a logistic
        equation), ``effects`` (effect: total / direct /
        indirect; path; estimate; se (bootstrap SD for indirect effects); statistic; p_value;
        ci_low; ci_high; std_estimate, std_ci_low, std_ci_high: completely standardized effect
        ``estimate * SD(X) / SD(Y)`` with its bootstrap CI; SDs recomputed in every resample),
        ``boot`` (one column of draws per indirect effect, named by its path, e.g.
        ``"x -> m -> y"``, and ``"total indirect"``), ``excluded`` (row, reason: one row per row
        of `data` left out) and ``ci``.

    Raises
    ------
    DataError
        A column is absent, not numeric or constant, Y is not 0/1 with `binary_y`, or there
        are too few complete rows.
    ParameterError
        An option has a value outside its choices (`ci_type`, `ci`, `n_boot`), no mediator, a
        serial model without two or three mediators, or a column given two roles.

    See Also
    --------
    moderated_mediation, analysis.models.process_moderation.moderation

    Notes
    -----
    Model 4: ``M_j = a0j + a_j X``, ``Y = c'0 + c' X + sum b_j M_j``; indirect effect through M_j
    is ``a_j b_j``; with OLS the total effect ``c = c' + sum a_j b_j``. Model 6 with mediators
    M1..Mk adds ``d_ij`` (M_j on M_i, i < j); the indirect effect through the chain
    ``M_i -> ... -> M_l`` is ``a_i d_.. b_l``. Resamples draw multinomial counts with
    ``default_rng(seed)`` and are fitted together; CIs use PROCESS's order statistics. Rows with
    a missing value are dropped listwise and listed in ``excluded``. Path coefficients match
    R's ``lm`` (``glm(binomial)`` for a binary Y); indirect effects and their intervals match
    PROCESS (pyprocessmacro) and ``boot::boot.ci(type = "perc")`` within Monte-Carlo error.

    References
    ----------
    Hayes, A. F. (2022). *Introduction to mediation, moderation, and conditional process analysis*
    (3rd ed.). Guilford Press.
    Preacher, K. J., & Hayes, A. F. (2008). Asymptotic and resampling strategies for assessing and
    comparing indirect effects in multiple mediator models. *Behavior Research Methods, 40*,
    879-891.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import mediation
    >>> rng = np.random.default_rng(6)
    >>> data = pd.DataFrame({"x": rng.normal(size=100)})
    >>> data["m"] = 0.6 * data["x"] + rng.normal(size=100)
    >>> data["y"] = 0.5 * data["m"] + rng.normal(size=100)
    >>> res = mediation(data, x="x", m="m", y="y", n_boot=1000, seed=1)
    >>> print(res.effects[["effect", "estimate", "ci_low", "ci_high"]].round(2).to_string(index=False))
      effect  estimate  ci_low  ci_high
       total      0.13   -0.11     0.37
      direct     -0.07   -0.29     0.15
    indirect      0.19    0.06     0.32
    >>> res.sentence().split(". ")[1]
    'The indirect effect of x on y through m was b = 0.19, 95% CI [0.06, 0.32].'
    """
    _check_common(n_boot, ci, ci_type)
    mediators, covs = _as_list(m), _as_list(covariates)
    if not mediators:
        raise ParameterError("`m` must name at least one mediator column.")
    if serial and not 2 <= len(mediators) <= 3:
        raise ParameterError("Serial mediation (model 6) takes two or three mediators, "
                             f"but {len(mediators)} were passed.")
    frame, excluded = prepare(data, {"x": x, "m": mediators, "y": y, "covariates": covs},
                              binary=(y,) if binary_y else ())
    return _run(frame, excluded, x=x, mediators=mediators, y=y, w=None, covs=covs, model=6 if serial else 4,
                serial=serial, logistic=binary_y, n_boot=n_boot, ci=ci, ci_type=ci_type, seed=seed, robust=None,
                w_values=(), w_labels=())


def moderated_mediation(
    data: pd.DataFrame,
    *,
    x: str,
    m,
    y: str,
    w: str,
    path: str = "a",
    covariates=(),
    n_boot: int = 5000,
    ci: float = 0.95,
    ci_type: str = "percentile",
    seed: int | None = None,
) -> MediationResult:
    """Moderated mediation: W moderates the a path (PROCESS model 7) or the b path (model 14).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per case.
    x : str
        Predictor column.
    m : str or list of str
        Mediator(s), in parallel.
    y : str
        Outcome column.
    w : str
        Moderator column.
    path : {"a", "b"}, default "a"
        ``"a"``: ``M = a0 + a1 X + a2 W + a3 XW`` (model 7); ``"b"``:
        ``Y = c0 + c' X + b1 M + b2 W + b3 MW`` (model 14).
    covariates : list of str, optional
        Covariates, entered in every equation.
    n_boot : int, default 5000
        Bootstrap resamples.
    ci : float, default 0.95
        Confidence level of every interval (bootstrap and t-based).
    ci_type : {"percentile", "bc"}, default "percentile"
        Percentile or bias-corrected bootstrap intervals.
    seed : int, optional
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    MediationResult
        As :func:`mediation`; ``effects`` holds the direct effect, the conditional indirect
        effects at W's 16th, 50th and 84th percentiles (or its two values when W is
        dichotomous; column ``w``) and the index of moderated mediation (``a3 b`` in model 7,
        ``a b3`` in model 14) with bootstrap SE and CI; ``boot`` columns are
        ``"x -> m -> y | w=16th pct"`` ... and ``"index x -> m -> y"``; ``excluded`` (row,
        reason: one row per row of `data` left out).

    Raises
    ------
    DataError
        A column is absent, not numeric or constant, or there are too few complete rows.
    ParameterError
        An option has a value outside its choices (`path`, `ci_type`, `ci`, `n_boot`), no
        mediator, or a column given two roles.

    See Also
    --------
    mediation, analysis.models.process_moderation.moderation

    Notes
    -----
    Conditional indirect effect: ``(a1 + a3 W) b`` (model 7) or ``a (b1 + b3 W)`` (model 14);
    both are linear in W, so the index of moderated mediation (the slope) tests whether the
    indirect effect depends on W (Hayes, 2015). Variables are not centred (PROCESS's default).
    Rows with a missing value are dropped listwise and listed in ``excluded``. Paths match R's
    ``lm``; conditional indirect effects and indices match PROCESS (pyprocessmacro) and
    ``boot::boot.ci(type = "perc")`` within Monte-Carlo error.

    References
    ----------
    Hayes, A. F. (2015). An index and test of linear moderated mediation. *Multivariate
    Behavioral Research, 50*, 1-22.
    Hayes, A. F. (2022). *Introduction to mediation, moderation, and conditional process analysis*
    (3rd ed.). Guilford Press.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import moderated_mediation
    >>> rng = np.random.default_rng(7)
    >>> data = pd.DataFrame({"x": rng.normal(size=120), "w": rng.normal(size=120)})
    >>> data["m"] = (0.4 + 0.3 * data["w"]) * data["x"] + rng.normal(size=120)
    >>> data["y"] = 0.5 * data["m"] + rng.normal(size=120)
    >>> res = moderated_mediation(data, x="x", m="m", y="y", w="w", n_boot=1000, seed=1)
    >>> print(res.effects[["effect", "w", "estimate", "ci_low", "ci_high"]].round(2).to_string(index=False))
                  effect     w  estimate  ci_low  ci_high
                  direct   NaN      0.10   -0.11     0.31
    conditional indirect -1.14     -0.10   -0.22     0.05
    conditional indirect -0.14      0.07   -0.01     0.18
    conditional indirect  0.86      0.23    0.12     0.36
                   index   NaN      0.16    0.07     0.26
    """
    _check_common(n_boot, ci, ci_type)
    _check_one_of("path", path, ["a", "b"])
    mediators, covs = _as_list(m), _as_list(covariates)
    if not mediators:
        raise ParameterError("`m` must name at least one mediator column.")
    frame, excluded = prepare(data, {"x": x, "m": mediators, "y": y, "w": w, "covariates": covs})
    labels, values = probe_values(frame[w].to_numpy(), rule="percentiles")
    return _run(frame, excluded, x=x, mediators=mediators, y=y, w=w, covs=covs, model=7 if path == "a" else 14,
                serial=False, logistic=False, n_boot=n_boot, ci=ci, ci_type=ci_type, seed=seed, robust=None,
                w_values=values, w_labels=labels)
