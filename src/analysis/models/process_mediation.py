"""Mediation and moderated mediation as Hayes' PROCESS does them (models 4, 6, 7, 8 and 14).

Point estimates are OLS (logistic for a binary outcome) path coefficients; indirect effects are
products of paths with bootstrap confidence intervals from :mod:`analysis.models._process_bootstrap`, which
fits every resample at once (a multinomial counts matrix times per-case cross-products).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, pairwise

import numpy as np
import pandas as pd
from scipy import special

from analysis import apa
from analysis._checks import _as_list, _check_level, _check_one_of
from analysis.exceptions import ParameterError
from analysis.models._process_bootstrap import (
    Equation,
    _t_p,
    boot_ci,
    bootstrap,
    check_probe,
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
        PROCESS model number: 4 (simple or parallel), 6 (serial), 7, 8 or 14 (moderated).
    x, y : str
        Predictor and outcome columns.
    m : tuple of str
        Mediator columns.
    w : str or None
        Moderator column (models 7, 8 and 14), else None.
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
        ``effect`` (total, direct, conditional direct, indirect, contrast, conditional
        indirect, index), ``path``, ``w``, ``estimate``, ``se``, ``statistic``, ``p_value``,
        ``ci_low``, ``ci_high``, ``std_estimate``, ``std_ci_low``, ``std_ci_high``.
    boot : pandas.DataFrame
        Bootstrap draws of every indirect effect, contrast and index (`n_boot` rows, one column
        each).
    sobel : pandas.DataFrame
        Normal-theory (Sobel) test of each indirect effect through a single mediator (model 4;
        empty otherwise): ``path``, ``estimate``, ``se``, ``statistic`` (z), ``p_value``,
        ``ci_low``, ``ci_high``.
    total_model : pandas.DataFrame
        The total-effect equation Y ~ X (+ covariates) as its own model (PROCESS ``total=1``;
        models 4 and 6 with a continuous Y, else empty): ``outcome``, ``term``, ``estimate``,
        ``se``, ``statistic``, ``df``, ``p_value``, ``ci_low``, ``ci_high``.
    total_fit : pandas.DataFrame
        Its fit, one row (empty when `total_model` is): ``outcome``, ``n``, ``n_excluded``,
        ``model``, ``r2``, ``mse``, ``f``, ``df1``, ``df2``, ``p_value``.
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
    sobel: pd.DataFrame
    total_model: pd.DataFrame
    total_fit: pd.DataFrame

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
                + ". Indirect effects" + (", contrasts" if (self.effects["effect"] == "contrast").any() else "")
                + f": bootstrap SE and {100 * self.ci:g}% {ci_name} bootstrap CI ({self.n_boot:,} resamples); "
                + ("conditional direct effects (c1' + c3' W): t-based CI." if self.model == 8
                   else "total and direct effects: t-based CI.")
                + (f" W: value of {(labels or {}).get(self.w, self.w)}; index: index of moderated mediation."
                   if self.w else "")
                + (" Contrast: first indirect effect minus second." if (self.effects["effect"] == "contrast").any()
                   else "")
                + " \u03b2: completely standardized effect (b \u00d7 SD of X / SD of Y).")
        title = title or f"Effects of {self.x} on {self.y} through {', '.join(self.m)}"
        return apa.apa_table(data, title=title, number=number, note=note, labels=labels)

    def total_table(self, *, title: str | None = None, number: int | None = None,
                    labels: dict | None = None) -> apa.HtmlBlock:  # fmt: skip
        """The total-effect model Y ~ X (+ covariates) as an APA coefficient table (PROCESS
        ``total=1``); the note gives n and R². Models 4 and 6 with a continuous Y only."""
        if self.total_model.empty:
            raise ParameterError(f"PROCESS model {self.model} has no total-effect model"
                                 + (" (a binary Y)" if self.model in (4, 6) else " (X's effect is moderated)")
                                 + "; PROCESS reports it for models 4 and 6 with a continuous Y.")
        f = self.total_fit.iloc[0]
        shown = self.total_model[["term", "estimate", "se", "statistic", "df", "p_value", "ci_low", "ci_high"]]
        shown.attrs.update(statistic="t", ci=self.ci)
        note = (f"Total-effect model (PROCESS total = 1): OLS, n = {int(f['n']):,}; "
                f"R\u00b2 = {apa.format_value(f['r2'], 3, bounded=True)}, "
                f"F({int(f['df1'])}, {int(f['df2'])}) = {apa.format_value(f['f'])}, {apa.format_p(f['p_value'])}. "
                f"CI = {100 * self.ci:g}% confidence interval (t-based).")
        title = title or f"Total effect of {self.x} on {self.y}"
        return apa.apa_table(shown, title=title, number=number, note=note, labels=labels)

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
            elif row.effect == "contrast":
                out.append(f"The difference between the indirect effects {row.path} was {b}, {ci}.")
            elif row.effect == "conditional direct":
                out.append(f"At {self.w} = {apa.format_value(row.w)}, the direct effect of {xl} on {yl} was "
                           f"{b}, {ci}, {apa.format_p(row.p_value)}.")
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
         w_values, w_labels, contrasts=False):
    cov_terms = tuple((c,) for c in covs)
    med_eqs = []
    for i, m in enumerate(mediators):
        terms = [(x,)]
        if serial:
            terms += [(p,) for p in mediators[:i]]
        if model in (7, 8):
            terms += [(w,), (x, w)]
        med_eqs.append(Equation(m, tuple(terms) + cov_terms))
    y_terms = [(x,)] + [(m,) for m in mediators]
    if model == 14:
        y_terms += [(w,)] + [(m, w) for m in mediators]
    if model == 8:
        y_terms += [(w,), (x, w)]
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
    chains = _chains(mediators, serial)

    def quantities(coef):
        """Label -> (effect kind, path, w, value) for every bootstrapped quantity."""
        out = {}
        for chain in chains:
            path = " -> ".join((x,) + chain + (y,))
            m = chain[0]
            if model == 4 or model == 6:
                out[path] = ("indirect", path, np.nan, _chain_value(coef, x, chain, y))
            elif model in (7, 8):
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
            specific = list(out.items())
            out["total indirect"] = ("indirect", "total indirect", np.nan, sum(v[3] for _, v in specific))
            if contrasts:  # PROCESS contrast=1: every pair of specific indirect effects, first minus second
                for (p1, v1), (p2, v2) in combinations(specific, 2):
                    label = f"({p1}) - ({p2})"
                    out[f"contrast {label}"] = ("contrast", label, np.nan, v1[3] - v2[3])
        return out

    est = quantities(point)
    boot = {k: np.asarray(v[3]) for k, v in quantities(bcoef).items()}
    boot_frame = pd.DataFrame(boot)
    rows = []
    yfit = fits[-1]
    if total_fit is not None:
        rows.append({"effect": "total", "path": f"{x} -> {y}", "w": np.nan} | _term_row(total_fit, 1))
    if model == 8:  # conditional direct effect c1' + c3' W, t-based (PROCESS)
        names = yfit.equation.names
        i1, i3 = names.index(x), names.index(f"{x}*{w}")
        crit = yfit.crit  # t quantile of the Y equation's df
        for wv in w_values:
            g = np.zeros(len(names))
            g[i1], g[i3] = 1.0, wv
            est_d, se_d = float(g @ yfit.coef), float(np.sqrt(g @ yfit.vcov @ g))
            rows.append({"effect": "conditional direct", "path": f"{x} -> {y}", "w": wv, "estimate": est_d,
                         "se": se_d, "statistic": est_d / se_d,
                         "p_value": _t_p(est_d / se_d, yfit.df_resid),
                         "ci_low": est_d - crit * se_d, "ci_high": est_d + crit * se_d})
    else:
        rows.append({"effect": "direct", "path": f"{x} -> {y}", "w": np.nan}
                    | _term_row(yfit, yfit.equation.names.index(x)))
    scale_pt = sd_point[x] / sd_point[y] if sd_cols else np.nan
    scale_bt = draws["sd"][x] / draws["sd"][y] if sd_cols else None
    for key, (kind, path, wv, value) in est.items():
        d = boot[key]
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
            if row["effect"] in ("total", "direct", "conditional direct"):
                row["std_estimate"] = row["estimate"] * scale_pt
    effects = pd.DataFrame({c: _as_column([row.get(c, np.nan) for row in rows]) for c in _EFFECT_COLUMNS})
    effects.attrs = {"ci": ci, "ci_type": ci_type, "n_boot": n_boot, "seed": seed}
    columns = [f.columns() for f in fits]  # the equations' tables, stacked: `paths`
    paths = pd.DataFrame({c: ([v for col in columns for v in col[c]] if c in ("outcome", "term")
                              else np.concatenate([col[c] for col in columns])) for c in columns[0]})
    fit = _frame_of_rows([{"outcome": f.fit["outcome"], "n": f.fit["n"], "n_excluded": len(excluded)}
                        | {k: v for k, v in f.fit.items() if k not in ("outcome", "n")} for f in fits])  # fmt: skip
    sobel = _sobel(fits, x=x, y=y, chains=chains, ci=ci) if model == 4 else _sobel(None, x=x, y=y, chains=[], ci=ci)
    if total_fit is not None:
        total_model = pd.DataFrame(total_fit.columns())
        total_fit_row = _frame_of_rows([{"outcome": y, "n": total_fit.fit["n"], "n_excluded": len(excluded)}
                                      | {k: v for k, v in total_fit.fit.items() if k not in ("outcome", "n")}])
    else:
        total_model = fits[-1].table.iloc[:0].copy()
        total_fit_row = fit.iloc[:0].copy()
    total_model.attrs.update(statistic="t", ci=ci)
    return MediationResult(model=model, x=x, m=tuple(mediators), y=y, w=w, ci=ci, ci_type=ci_type, n_boot=n_boot,
                           paths=paths, fit=fit, effects=effects, boot=boot_frame, excluded=excluded, sobel=sobel,
                           total_model=total_model, total_fit=total_fit_row)


def _frame_of_rows(rows: list[dict], columns: list | None = None) -> pd.DataFrame:
    """``pd.DataFrame(rows, columns=columns)`` built column by column (its dtypes; a key absent
    from a row is NaN; columns in order of first appearance), without its per-row parsing."""
    if columns is None:
        columns = list(dict.fromkeys(k for row in rows for k in row))
    if not rows:
        return pd.DataFrame(rows, columns=columns)
    return pd.DataFrame({c: _as_column([row.get(c, np.nan) for row in rows]) for c in columns})


def _as_column(values: list):
    """`values` as a float64 array when every one is a Python or numpy float64 (pandas infers
    float64 from such a list, element by element), else the list itself."""
    if values and all(type(v) is float or type(v) is np.float64 for v in values):
        return np.array(values, dtype=np.float64)
    return values


def _term_row(fit, i: int) -> dict:
    """Row `i` of ``fit.table`` (estimate, se, statistic, p_value, ci_low, ci_high) without the table."""
    b, se = fit.coef[i], fit.se[i]
    return {"estimate": b, "se": se, "statistic": fit.statistic[i], "p_value": fit.p_value[i],
            "ci_low": b - fit.crit * se, "ci_high": b + fit.crit * se}


def _sobel(fits, *, x, y, chains, ci) -> pd.DataFrame:
    """Normal-theory (Sobel) test of every indirect effect through one mediator in model 4, as PROCESS
    ``normal=1``: ``se = sqrt(a^2 s_b^2 + b^2 s_a^2 + s_a^2 s_b^2)`` (second-order), ``z = ab / se``, CI
    ``ab -/+ z_crit se``."""
    rows = []
    crit = special.ndtri(0.5 + ci / 2)  # scipy.stats.norm.ppf
    for chain in chains:
        if len(chain) != 1:
            continue
        m = chain[0]
        fa = next(f for f in fits if f.equation.outcome == m)
        ia, ib = fa.equation.names.index(x), fits[-1].equation.names.index(m)
        a, sa = fa.coef[ia], np.sqrt(fa.vcov[ia, ia])
        b, sb = fits[-1].coef[ib], np.sqrt(fits[-1].vcov[ib, ib])
        se = float(np.sqrt(a * a * sb * sb + b * b * sa * sa + sa * sa * sb * sb))  # process.sps: sesobel
        z = a * b / se
        rows.append({"path": f"{x} -> {m} -> {y}", "estimate": a * b, "se": se, "statistic": z,
                     "p_value": 2 * special.ndtr(-abs(z)), "ci_low": a * b - crit * se, "ci_high": a * b + crit * se})
    out = _frame_of_rows(rows, ["path", "estimate", "se", "statistic", "p_value", "ci_low", "ci_high"])
    out.attrs.update(statistic="z", ci=ci)
    return out


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
    contrasts: bool = False,
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
    contrasts : bool, default False
        Add the pairwise differences between the specific indirect effects (PROCESS
        ``contrast=1``), first minus second in path order, with bootstrap SE and CI from the
        same resamples. With one mediator there is nothing to contrast and no row is added (so
        a report can ask for contrasts whatever its mediators).
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
        ``"x -> m -> y"``, ``"total indirect"`` and, with `contrasts`, one per contrast, e.g.
        ``"contrast (x -> m1 -> y) - (x -> m2 -> y)"``; its ``effects`` row has ``effect`` =
        ``"contrast"`` and that label in ``path``), ``sobel`` (model 4: path, estimate, se,
        statistic (z), p_value, ci_low, ci_high of every indirect effect through one mediator),
        ``total_model`` and ``total_fit`` (the equation Y ~ X + covariates: coefficients and
        fit, as PROCESS ``total=1``; empty with a binary Y), ``excluded`` (row, reason: one row
        per row of `data` left out) and ``ci``.

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
    ``M_i -> ... -> M_l`` is ``a_i d_.. b_l``. A contrast is the difference of two specific
    indirect effects, computed in every resample (Preacher & Hayes, 2008). The Sobel test (model
    4, one mediator per path) uses PROCESS's (``normal=1``) second-order standard error
    ``sqrt(a^2 s_b^2 + b^2 s_a^2 + s_a^2 s_b^2)`` (Aroian, 1947; Sobel, 1982), z = ab / se,
    and a normal-theory CI; it
    assumes ab is normal, which it rarely is, so read it beside the bootstrap CI, not instead of
    it; it is not defined here for serial chains (model 6). The total-effect model is the OLS
    regression of Y on X and the covariates. Resamples draw multinomial counts with
    ``default_rng(seed)`` and are fitted together; CIs use PROCESS's order statistics. Rows with
    a missing value are dropped listwise and listed in ``excluded``. Path coefficients match
    R's ``lm`` (``glm(binomial)`` for a binary Y); indirect effects and their intervals match
    PROCESS (pyprocessmacro) and ``boot::boot.ci(type = "perc")`` within Monte-Carlo error.

    References
    ----------
    Aroian, L. A. (1947). The probability function of the product of two normally distributed
    variables. *Annals of Mathematical Statistics, 18*(2), 265-271.
    https://doi.org/10.1214/aoms/1177730442

    Hayes, A. F. (2022). *Introduction to mediation, moderation, and conditional process analysis*
    (3rd ed.). Guilford Press.

    Preacher, K. J., & Hayes, A. F. (2008). Asymptotic and resampling strategies for assessing and
    comparing indirect effects in multiple mediator models. *Behavior Research Methods, 40*,
    879-891.

    Sobel, M. E. (1982). Asymptotic confidence intervals for indirect effects in structural
    equation models. *Sociological Methodology, 13*, 290-312.

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
    >>> print(res.sobel[["path", "estimate", "statistic", "p_value"]].round(3).to_string(index=False))
           path  estimate  statistic  p_value
    x -> m -> y     0.193      2.724    0.006
    >>> round(res.total_fit["r2"].item(), 3)
    0.011
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
                w_values=(), w_labels=(), contrasts=contrasts)


def moderated_mediation(
    data: pd.DataFrame,
    *,
    x: str,
    m,
    y: str,
    w: str,
    path: str = "a",
    covariates=(),
    probe="percentiles",
    n_boot: int = 5000,
    ci: float = 0.95,
    ci_type: str = "percentile",
    seed: int | None = None,
) -> MediationResult:
    """Moderated mediation: W moderates the a path (PROCESS model 7), the a and direct paths
    (model 8) or the b path (model 14).

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
    path : {"a", "a+direct", "b"}, default "a"
        ``"a"``: ``M = a0 + a1 X + a2 W + a3 XW`` (model 7); ``"a+direct"``: that and
        ``Y = c0 + c1' X + b M + c2' W + c3' XW`` (model 8); ``"b"``:
        ``Y = c0 + c' X + b1 M + b2 W + b3 MW`` (model 14).
    covariates : list of str, optional
        Covariates, entered in every equation.
    probe : {"percentiles", "mean_sd"} or list of float, default "percentiles"
        Values of W at which the conditional (indirect and direct) effects are given: the 16th,
        50th and 84th percentiles (PROCESS 3+ default), the mean and one sample SD either side
        (PROCESS ``moments=1``), or chosen values (PROCESS ``wmodval``). A dichotomous W is
        probed at its two values unless values are given.
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
        As :func:`mediation`; ``effects`` holds the direct effect (model 8: the conditional
        direct effects ``c1' + c3' W`` at the probe values, t-based), the conditional indirect
        effects at the probe values of W (column ``w``) and the index of moderated mediation
        (``a3 b`` in models 7 and 8, ``a b3`` in model 14) with bootstrap SE and CI; ``boot``
        columns are ``"x -> m -> y | w=16th pct"`` (``"w=-1 SD"``, ``"w=2.5"``, ...) and
        ``"index x -> m -> y"``; ``excluded`` (row, reason: one row per row of `data` left
        out). ``sobel``, ``total_model`` and ``total_fit`` are empty (PROCESS gives neither
        for a moderated model: with X's effect moderated there is no single total effect).

    Raises
    ------
    DataError
        A column is absent, not numeric or constant, or there are too few complete rows.
    ParameterError
        An option has a value outside its choices (`path`, `probe`, `ci_type`, `ci`, `n_boot`),
        no mediator, or a column given two roles.

    Warns
    -----
    AnalysisWarning
        A chosen probe value lies outside W's observed range, or (``"mean_sd"``) one SD below
        (above) the mean lies beyond it and the minimum (maximum) is used, as PROCESS does.

    See Also
    --------
    mediation, analysis.models.process_moderation.moderation

    Notes
    -----
    Conditional indirect effect: ``(a1 + a3 W) b`` (models 7 and 8) or ``a (b1 + b3 W)`` (model
    14); both are linear in W, so the index of moderated mediation (the slope) tests whether the
    indirect effect depends on W (Hayes, 2015). Model 8's conditional direct effect
    ``c1' + c3' W`` has the standard error ``sqrt(V11 + 2 W V13 + W^2 V33)`` of the Y equation
    and a t-based CI, as in PROCESS. Variables are not centred (PROCESS's default).
    Rows with a missing value are dropped listwise and listed in ``excluded``. Paths match R's
    ``lm``; conditional indirect effects and indices match PROCESS (pyprocessmacro), Hayes'
    (2018, ch. 12) model 8 output on the disaster data and ``boot::boot.ci(type = "perc")``
    within Monte-Carlo error.

    References
    ----------
    Hayes, A. F. (2015). An index and test of linear moderated mediation. *Multivariate
    Behavioral Research, 50*, 1-22.
    Hayes, A. F. (2018). *Introduction to mediation, moderation, and conditional process analysis*
    (2nd ed.). Guilford Press.
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

    Model 8 (W also moderates the direct path), probed at chosen values of W:

    >>> res8 = moderated_mediation(data, x="x", m="m", y="y", w="w", path="a+direct", probe=[-1, 0, 1],
    ...                            n_boot=500, seed=1)
    >>> print(res8.effects[["effect", "w", "estimate", "ci_low", "ci_high"]].round(2).to_string(index=False))
                  effect    w  estimate  ci_low  ci_high
      conditional direct -1.0      0.15   -0.16     0.47
      conditional direct  0.0      0.09   -0.12     0.29
      conditional direct  1.0      0.02   -0.29     0.33
    conditional indirect -1.0     -0.08   -0.21     0.07
    conditional indirect  0.0      0.10    0.01     0.22
    conditional indirect  1.0      0.28    0.14     0.43
                   index  NaN      0.18    0.08     0.29
    """
    _check_common(n_boot, ci, ci_type)
    _check_one_of("path", path, ["a", "a+direct", "b"])
    probe = check_probe("probe", probe)
    mediators, covs = _as_list(m), _as_list(covariates)
    if not mediators:
        raise ParameterError("`m` must name at least one mediator column.")
    frame, excluded = prepare(data, {"x": x, "m": mediators, "y": y, "w": w, "covariates": covs})
    labels, values = probe_values(frame[w].to_numpy(), rule=probe, name=w)
    model = {"a": 7, "a+direct": 8, "b": 14}[path]
    return _run(frame, excluded, x=x, mediators=mediators, y=y, w=w, covs=covs, model=model,
                serial=False, logistic=False, n_boot=n_boot, ci=ci, ci_type=ci_type, seed=seed, robust=None,
                w_values=values, w_labels=labels)
