"""Moderation as Hayes' PROCESS does it: models 1 (X*W) and 3 (X*W*Z), probing and Johnson-Neyman."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis import apa
from analysis._checks import _as_list, _check_level, _check_one_of
from analysis._compat import REMOVED_IN, renamed_parameter
from analysis.exceptions import ParameterError
from analysis.models._process_bootstrap import (
    Equation,
    check_probe,
    design,
    fit_equation,
    interaction_test,
    prepare,
    probe_values,
    term_name,
)

__all__ = ["ModerationResult", "johnson_neyman", "moderation"]


@dataclass(frozen=True)
class ModerationResult:
    """Result of :func:`moderation` (PROCESS model 1 or 3): tables, APA table and sentence.

    Attributes
    ----------
    model : int
        PROCESS model number: 1 (X*W) or 3 (X*W*Z).
    x, w, y : str
        Focal predictor, moderator and outcome columns.
    z : str or None
        Second moderator (model 3), else None.
    ci : float
        Confidence level of the intervals (e.g. 0.95).
    robust : {None, "HC3"}
        Standard-error type: None (classical) or ``"HC3"``.
    coefficients : pandas.DataFrame
        Outcome equation, one row per term: ``term``, ``estimate``, ``se``, ``statistic`` (t),
        ``df``, ``p_value``, ``ci_low``, ``ci_high``.
    fit : pandas.DataFrame
        One row: ``n``, ``n_excluded``, ``r2``, ``mse``, ``f`` (F of all predictors; Wald F with
        HC3), ``df1``, ``df2``, ``p_value``.
    interaction : pandas.DataFrame
        Test of the highest-order interaction: ``term``, ``r2_change``, ``f``, ``df1``, ``df2``,
        ``p_value``.
    conditional_effects : pandas.DataFrame
        Effect of X (model 3: also of X*W) at moderator values: ``rule`` (``"percentiles"``,
        ``"mean_sd"``, and ``"values"`` for values chosen with `probe`/`probe_z`), ``effect``,
        ``w_label``, ``w``, [``z_label``, ``z``,] ``estimate``, ``se``, ``statistic``, ``df``,
        ``p_value``, ``ci_low``, ``ci_high``.
    johnson_neyman : pandas.DataFrame
        Johnson-Neyman boundaries in the observed range: ``value``, ``pct_below``,
        ``pct_above``.
    jn_curve : pandas.DataFrame
        Conditional effect over the moderator's range (for plots): ``moderator``, ``estimate``,
        ``se``, ``ci_low``, ``ci_high``, ``p_value``.
    visual : pandas.DataFrame
        Predicted Y at probe values of X, W (, Z), covariates at their means: ``x``, ``w``,
        [``z``,] ``y_hat`` (columns named by the variables).
    excluded : pandas.DataFrame
        One row per row of `data` left out: ``row`` (index label in `data`) and ``reason``
        (e.g. ``"missing value in skeptic"``).

    See Also
    --------
    moderation

    Notes
    -----
    ``hc3`` (True when ``robust == "HC3"``), the 0.1 name, still works with a DeprecationWarning
    and stops working in 0.3. The ``rule`` of the mean -/+ 1 SD block was ``"moments"`` before
    0.2 and is ``"mean_sd"`` now, the name of the `probe` value.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import moderation
    >>> rng = np.random.default_rng(5)
    >>> data = pd.DataFrame({"x": rng.normal(size=150), "w": rng.normal(size=150)})
    >>> data["y"] = 0.3 * data["x"] + 0.4 * data["x"] * data["w"] + rng.normal(size=150)
    >>> res = moderation(data, x="x", w="w", y="y")
    >>> res.ci, res.robust, int(res.fit["n"].item()), len(res.excluded)
    (0.95, None, 150, 0)
    """

    model: int
    x: str
    w: str
    z: str | None
    y: str
    ci: float
    robust: str | None
    coefficients: pd.DataFrame
    fit: pd.DataFrame
    interaction: pd.DataFrame
    conditional_effects: pd.DataFrame
    johnson_neyman: pd.DataFrame
    jn_curve: pd.DataFrame
    visual: pd.DataFrame
    excluded: pd.DataFrame

    @property
    def hc3(self) -> bool:
        """True with HC3 standard errors (deprecated: use ``.robust``, None or ``"HC3"``)."""
        warnings.warn(f"`ModerationResult.hc3` is now `.robust` (None or 'HC3'); the old name stops working in "
                      f"{REMOVED_IN}.", DeprecationWarning, stacklevel=2)  # fmt: skip
        return self.robust == "HC3"

    def table(self, *, title: str | None = None, number: int | None = None,
              labels: dict | None = None) -> apa.HtmlBlock:  # fmt: skip
        """The coefficient table of the outcome model (APA); the note gives the PROCESS model, n,
        the rows excluded, R², the CI level and the standard-error type. `labels` renames
        columns of the table."""
        title = title or (f"Moderation of the effect of {self.x} on {self.y} by {self.w}"
                          + (f" and {self.z}" if self.z else ""))  # fmt: skip
        n = int(self.fit["n"].iloc[0])
        dropped = int(self.fit["n_excluded"].iloc[0])
        excl = f" ({dropped:,} rows with a missing value excluded)" if dropped else ""
        note = (f"PROCESS model {self.model}; n = {n:,}{excl}"
                + f"; R\u00b2 = {apa.format_value(self.fit['r2'].iloc[0], 3, bounded=True)}. "
                f"CI = {100 * self.ci:g}% confidence interval"
                + ("; HC3 standard errors." if self.robust == "HC3" else "."))  # fmt: skip
        shown = self.coefficients[["term", "estimate", "se", "statistic", "p_value", "ci_low", "ci_high"]]
        shown.attrs.update(statistic="t", ci=self.ci)  # t on the residual df, as PROCESS
        return apa.apa_table(shown, title=title, number=number, note=note, labels=labels)

    def sentence(self) -> str:
        """APA sentence on the highest-order interaction (b, CI at the level `ci`, t, p, ΔR²) and
        the Johnson-Neyman region."""
        term = term_name((self.x, self.w, self.z)) if self.z else term_name((self.x, self.w))
        row = self.coefficients.set_index("term").loc[term]
        inter = self.interaction.iloc[-1]
        what = f"The effect of {self.x} on {self.y} depended on {self.w}" if self.model == 1 else (
            f"The {self.x} \u00d7 {self.w} interaction depended on {self.z}")
        text = (f"{what}: {apa.format_stat('b', row['estimate'])}, "
                f"{apa.format_ci(row['ci_low'], row['ci_high'], level=self.ci)}, "
                f"t({apa.format_value(row['df'], 0)}) = {apa.format_value(row['statistic'])}, "
                f"{apa.format_p(row['p_value'])}, "
                f"\u0394R\u00b2 = {apa.format_value(inter['r2_change'], 3, bounded=True)}.")
        mod = self.w if self.model == 1 else self.z
        if len(self.johnson_neyman):
            cuts = " and ".join(apa.format_value(v) for v in self.johnson_neyman["value"])
            text += (f" By the Johnson\u2013Neyman technique the conditional effect changes significance "
                     f"at {mod} = {cuts}.")
        else:
            text += f" No Johnson\u2013Neyman boundary of significance lies within the observed range of {mod}."
        return text


def _effect_rows(b, V, crit, df, grads: list[np.ndarray]) -> pd.DataFrame:
    est = np.array([g @ b for g in grads])
    se = np.sqrt(np.array([g @ V @ g for g in grads]))
    stat = est / se
    return pd.DataFrame({"estimate": est, "se": se, "statistic": stat, "df": df,
                         "p_value": 2 * stats.t.sf(np.abs(stat), df),
                         "ci_low": est - crit * se, "ci_high": est + crit * se})


def johnson_neyman(b, V, g0, g1, *, crit: float, values: np.ndarray) -> np.ndarray:
    """Boundaries of significance of the effect ``theta(m) = (g0 + m g1)'b`` in the moderator m.

    Solves ``theta(m)^2 = crit^2 var(theta(m))`` exactly, a quadratic in m:
    ``[(g1'b)^2 - c^2 g1'Vg1] m^2 + 2[(g0'b)(g1'b) - c^2 g0'Vg1] m + (g0'b)^2 - c^2 g0'Vg0 = 0``,
    and keeps the real roots within the observed range of the moderator, as PROCESS reports them
    (Johnson & Neyman, 1936; Bauer & Curran, 2005; Hayes, 2022, sec. 7.4).
    """
    b0, b1 = g0 @ b, g1 @ b
    c2 = crit * crit
    qa = b1 * b1 - c2 * (g1 @ V @ g1)
    qb = 2 * (b0 * b1 - c2 * (g0 @ V @ g1))
    qc = b0 * b0 - c2 * (g0 @ V @ g0)
    if abs(qa) < 1e-300:
        roots = np.array([-qc / qb]) if qb != 0 else np.array([])
    else:
        disc = qb * qb - 4 * qa * qc
        if disc < 0:
            return np.array([])
        sq = np.sqrt(disc)
        roots = np.sort(np.array([(-qb - sq) / (2 * qa), (-qb + sq) / (2 * qa)]))
    lo, hi = values.min(), values.max()
    return roots[(roots >= lo) & (roots <= hi)]


@renamed_parameter(hc3=("robust", lambda hc3: "HC3" if hc3 else None, "True -> 'HC3', False -> None"))  # until 0.3
def moderation(
    data: pd.DataFrame,
    *,
    x: str,
    w: str,
    y: str,
    z: str | None = None,
    covariates=(),
    center: bool = False,
    robust: str | None = None,
    probe="percentiles",
    probe_z=None,
    ci: float = 0.95,
) -> ModerationResult:
    """Moderation of the effect of X on Y by W (PROCESS model 1) or by W and Z (model 3).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per case.
    x, w, y : str
        Focal predictor, moderator and outcome columns.
    z : str, optional
        Second moderator: model 3 (three-way X*W*Z interaction) instead of model 1.
    covariates : list of str, optional
        Covariates entered in the outcome equation.
    center : bool, default False
        Mean-centre X, W (and Z) before forming products (PROCESS ``center=1``); probe values and
        Johnson-Neyman boundaries are then in the centred metric.
    robust : {None, "HC3"}, default None
        None: classical standard errors; ``"HC3"``: heteroskedasticity-consistent standard errors
        (PROCESS ``hc3=1``). The 0.1 keyword ``hc3`` (True -> ``"HC3"``, False -> None) still
        works with a DeprecationWarning until 0.3.
    probe : {"percentiles", "mean_sd"} or list of float, default "percentiles"
        Values of W at which the effect of X is probed: ``"percentiles"`` (16th, 50th, 84th;
        PROCESS 3+ default), ``"mean_sd"`` (mean and one sample SD either side; PROCESS
        ``moments=1``) or the values themselves (PROCESS ``wmodval``; values outside W's range
        warn). The conditional effects table always has the ``"percentiles"`` and ``"mean_sd"``
        blocks, plus a ``"values"`` block for chosen values; `probe` also sets the values of
        :attr:`ModerationResult.visual`. A dichotomous moderator is probed at its two values.
        The 0.1 name ``"moments"`` still works with a DeprecationWarning until 0.3.
    probe_z : {"percentiles", "mean_sd"} or list of float, optional
        The same for Z in model 3 (PROCESS ``zmodval``); None: as `probe` when that is a rule,
        else ``"percentiles"``.
    ci : float, default 0.95
        Confidence level.

    Returns
    -------
    ModerationResult
        ``coefficients`` (term, estimate, se, statistic, df, p_value, ci_low, ci_high), ``fit``
        (n, n_excluded, r2, mse, f, df1, df2, p_value), ``interaction`` (term, r2_change, f, df1, df2, p_value),
        ``conditional_effects`` (rule, effect, w_label, w, [z_label, z,] estimate, se, statistic,
        df, p_value, ci_low, ci_high), ``johnson_neyman`` (value, pct_below, pct_above),
        ``jn_curve`` (moderator, estimate, se, ci_low, ci_high, p_value), ``visual`` (x, w, [z,]
        y_hat), ``excluded`` (row, reason: one row per row of `data` left out), ``ci`` and
        ``robust``.

    Raises
    ------
    DataError
        A column is absent, not numeric or constant, or there are too few complete rows.
    ParameterError
        An option has a value outside its choices (`probe`, `probe_z`, `robust`, `ci`), `probe_z`
        without `z`, a column is given two roles, or both `robust` and the old `hc3` are passed.

    Warns
    -----
    AnalysisWarning
        A chosen probe value lies outside the moderator's observed range, or (``"mean_sd"``)
        one SD below (above) the mean lies beyond it and the minimum (maximum) is used instead,
        as PROCESS does.

    See Also
    --------
    analysis.models.process_mediation.moderated_mediation, analysis.models.regression.ols

    Notes
    -----
    Model 1: ``Y = b0 + b1 X + b2 W + b3 XW + covariates``; the conditional effect of X is
    ``b1 + b3 W`` with standard error ``sqrt(V11 + 2 W V13 + W^2 V33)``. Model 3 adds Z, XZ, WZ
    and XWZ; the conditional effect of X is ``b1 + b3 W + b5 Z + b7 WZ`` and the conditional X*W
    interaction is ``b3 + b7 Z`` (its Johnson-Neyman region is in Z). Percentiles follow
    PROCESS (interpolation at position p(n + 1), R's ``quantile(type = 6)``). Boundaries are
    exact roots of the quadratic, not a grid search. Rows with a missing value in any model
    variable are dropped listwise and listed in ``excluded``. Coefficients match R's ``lm``
    (``sandwich::vcovHC(type = "HC3")`` with ``robust="HC3"``) and PROCESS (pyprocessmacro).

    References
    ----------
    Hayes, A. F. (2022). *Introduction to mediation, moderation, and conditional process analysis*
    (3rd ed.). Guilford Press.
    Johnson, P. O., & Neyman, J. (1936). Tests of certain linear hypotheses and their application
    to some educational problems. *Statistical Research Memoirs, 1*, 57-93.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import moderation
    >>> rng = np.random.default_rng(5)
    >>> data = pd.DataFrame({"x": rng.normal(size=150), "w": rng.normal(size=150)})
    >>> data["y"] = 0.3 * data["x"] + 0.4 * data["x"] * data["w"] + rng.normal(size=150)
    >>> res = moderation(data, x="x", w="w", y="y", robust="HC3")
    >>> print(res.coefficients[["term", "estimate", "se", "p_value"]].round(3).to_string(index=False))
        term  estimate    se  p_value
    constant     0.032 0.082    0.701
           x     0.362 0.083    0.000
           w    -0.067 0.083    0.418
         x*w     0.456 0.085    0.000
    >>> res.sentence()[:80]
    'The effect of x on y depended on w: b = 0.46, 95% CI [0.29, 0.62], t(146) = 5.38'

    Probed at chosen values of W (PROCESS ``wmodval``):

    >>> ce = moderation(data, x="x", w="w", y="y", probe=[-1, 1]).conditional_effects
    >>> print(ce.loc[ce["rule"] == "values", ["w", "estimate", "p_value"]].round(3).to_string(index=False))
       w  estimate  p_value
    -1.0    -0.095    0.428
     1.0     0.818    0.000
    """
    probe = check_probe("probe", probe, stacklevel=4)
    if probe_z is not None and z is None:
        raise ParameterError("`probe_z` probes the second moderator of model 3; pass `z=` too, or leave `probe_z` out.")
    probe_z = check_probe("probe_z", probe_z, stacklevel=4) if probe_z is not None else (
        probe if isinstance(probe, str) else "percentiles")
    _check_one_of("robust", robust, (None, "HC3"))
    _check_level("ci", ci)
    covs = _as_list(covariates)
    roles = {"x": x, "w": w, "y": y} | ({"z": z} if z is not None else {}) | {"covariates": covs}
    frame, excluded = prepare(data, roles)
    if center:
        for col in [x, w] + ([z] if z else []):
            frame[col] = frame[col] - frame[col].mean()
    if z is None:
        terms = [(x,), (w,), (x, w)]
        top = [(x, w)]
    else:
        terms = [(x,), (w,), (x, w), (z,), (x, z), (w, z), (x, w, z)]
        top = [(x, w, z)]
    eq = Equation(y, tuple(terms + [(c,) for c in covs]))
    f = fit_equation(frame, eq, robust=robust, ci=ci)
    b, V, df = f.coef, f.vcov, f.df_resid
    crit = stats.t.ppf(0.5 + ci / 2, df)
    pos = {t: i for i, t in enumerate(eq.names)}
    k = len(b)

    def grad(**parts) -> np.ndarray:
        g = np.zeros(k)
        for term, value in parts.items():
            g[pos[term]] = value
        return g

    xw, wv = term_name((x, w)), frame[w].to_numpy()
    user = not isinstance(probe, str) or not isinstance(probe_z, str)
    blocks = [("percentiles", "percentiles", "percentiles"), ("mean_sd", "mean_sd", "mean_sd")]
    if user:  # chosen values of W (and/or Z); the other moderator by its rule
        blocks.append(("values", probe, probe_z))
    rows = []
    if z is None:
        for rule, wrule, _ in blocks:
            labels, values = probe_values(wv, rule=wrule, name=w, warn=wrule == probe, stacklevel=4)
            grads = [grad(**{x: 1.0, xw: v}) for v in values]
            rows.append(_effect_rows(b, V, crit, df, grads).assign(rule=rule, effect=x, w_label=labels, w=values))
        g0, g1 = grad(**{x: 1.0}), grad(**{xw: 1.0})
        mod_values = wv
    else:
        zv = frame[z].to_numpy()
        xz, xwz = term_name((x, z)), term_name((x, w, z))
        for rule, wrule, zrule in blocks:
            wl, wvals = probe_values(wv, rule=wrule, name=w, warn=wrule == probe, stacklevel=4)
            zl, zvals = probe_values(zv, rule=zrule, name=z, warn=zrule == probe_z, stacklevel=4)
            grads = [grad(**{xw: 1.0, xwz: zz}) for zz in zvals]
            rows.append(_effect_rows(b, V, crit, df, grads).assign(
                rule=rule, effect=xw, w_label="", w=np.nan, z_label=zl, z=zvals))
            combos = [(a, c, wl[i], zl[j]) for j, c in enumerate(zvals) for i, a in enumerate(wvals)]
            grads = [grad(**{x: 1.0, xw: a, xz: c, xwz: a * c}) for a, c, _, _ in combos]
            rows.append(_effect_rows(b, V, crit, df, grads).assign(
                rule=rule, effect=x, w_label=[c[2] for c in combos], w=[c[0] for c in combos],
                z_label=[c[3] for c in combos], z=[c[1] for c in combos]))
        g0, g1 = grad(**{xw: 1.0}), grad(**{xwz: 1.0})
        mod_values = zv
    lead = ["rule", "effect", "w_label", "w"] + (["z_label", "z"] if z else [])
    cond = pd.concat(rows, ignore_index=True)
    cond = cond[lead + [c for c in cond.columns if c not in lead]]

    continuous = len(np.unique(mod_values)) > 2  # PROCESS: no J-N for a dichotomous moderator
    bounds = johnson_neyman(b, V, g0, g1, crit=crit, values=mod_values) if continuous else np.array([])
    jn = pd.DataFrame({"value": bounds,
                       "pct_below": [100 * np.mean(mod_values < v) for v in bounds],
                       "pct_above": [100 * np.mean(mod_values > v) for v in bounds]})
    grid = np.unique(np.concatenate([np.linspace(mod_values.min(), mod_values.max(), 101), bounds]))
    curve = _effect_rows(b, V, crit, df, [g0 + m * g1 for m in grid])
    curve.insert(0, "moderator", grid)
    curve = curve[["moderator", "estimate", "se", "ci_low", "ci_high", "p_value"]]

    # data for visualizing the interaction (PROCESS "Data for visualizing the conditional effect")
    xv = frame[x].to_numpy()
    _, xs = probe_values(xv, rule=probe if isinstance(probe, str) else "percentiles", warn=False)
    _, ws = probe_values(wv, rule=probe, warn=False)
    zs = [probe_values(frame[z].to_numpy(), rule=probe_z, warn=False)[1]] if z else []
    grids = np.meshgrid(xs, ws, *zs, indexing="ij")
    vis = pd.DataFrame({x: grids[0].ravel(), w: grids[1].ravel()} | ({z: grids[2].ravel()} if z else {}))
    full = vis.assign(**{c: frame[c].mean() for c in covs})
    vis["y_hat"] = design(full, eq.terms) @ b
    vis.attrs = {"x": x, "w": w, "z": z, "y": y}

    fit = pd.DataFrame([{"n": f.fit["n"], "n_excluded": len(excluded)}
                        | {k_: v for k_, v in f.fit.items() if k_ not in ("outcome", "model", "n")}])  # fmt: skip
    inter = pd.DataFrame([interaction_test(frame, eq, f, [t]) for t in ([(x, w)] if z is None else top)])
    cond.attrs.update(statistic="t", ci=ci)
    return ModerationResult(
        model=1 if z is None else 3, x=x, w=w, z=z, y=y, ci=ci, robust=robust,
        coefficients=f.table.drop(columns="outcome"), fit=fit, interaction=inter, conditional_effects=cond,
        johnson_neyman=jn, jn_curve=curve, visual=vis, excluded=excluded,
    )
