"""Comparing the mean of one outcome across the groups of one column: Welch's t test (two groups)
or Welch's one-way ANOVA with Games-Howell post hoc tests (more groups), with group descriptives
and effect sizes with intervals, matched to R.

A module of its own rather than a part of `effect_sizes`: it is a whole analysis (test, post hoc
tests, descriptives, effect sizes, APA table and sentence) with its own result class, while
`effect_sizes` holds single effect-size functions (and is past the size the layer keeps modules
under). It reuses :func:`~analysis.models.effect_sizes.cohens_d` for two groups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from analysis._checks import _check_level, _require_columns
from analysis.apa import HtmlBlock, apa_table, format_ci, format_p, format_stat, format_value
from analysis.data.describe import value_label
from analysis.exceptions import DataError, ParameterError
from analysis.models import _studentized_range
from analysis.models.effect_sizes import _root, cohens_d

__all__ = ["GroupComparisonResult", "compare_groups", "compare_groups_by", "stack_comparisons"]

_HEDGES = "Hedges' g"


@dataclass(frozen=True)
class GroupComparisonResult:
    """Means of `y` compared across the groups of `group` (:func:`compare_groups`).

    Attributes
    ----------
    y : str
        The outcome column.
    group : str
        The group column.
    coefficients : pandas.DataFrame
        One row per group compared, in group order: ``group`` (the value in the data),
        ``label`` (the display label), ``n``, ``mean``, ``sd``, ``se`` (sd / √n), ``ci_low``,
        ``ci_high`` (t interval of the mean).
    fit : pandas.DataFrame
        One row: ``n``, ``n_excluded``, ``n_groups``, ``test`` (``"welch_t"`` or
        ``"welch_anova"``), ``statistic`` (t or F), then ``df`` (two groups) or ``df1``,
        ``df2``, then ``p_value``.
    effect_sizes : pandas.DataFrame
        ``effect`` (``cohen_d`` and ``hedges_g`` for two groups, ``eta_sq`` and ``omega_sq``
        for more), ``estimate``, ``ci_low``, ``ci_high``.
    contrasts : pandas.DataFrame
        One row per pair of groups: ``group1``, ``group2``, ``estimate`` (mean of group1 minus
        mean of group2), ``se``, ``statistic`` (t), ``df`` (Welch), ``p_value``, ``ci_low``,
        ``ci_high``, ``hedges_g`` (the pair's pooled-SD d times J). Welch's t test for two
        groups; Games-Howell tests (p values and intervals adjusted for the number of groups)
        for more. ``attrs["method"]`` says which.
    excluded : pandas.DataFrame
        One row per row of `data` left out: ``row`` (index label) and ``reason`` (a missing
        value, or a group with fewer than two cases).
    ci : float
        Confidence level of the intervals.
    labels : dict
        Display label of every group value (the `labels` passed, else the value as text).

    See Also
    --------
    compare_groups

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import compare_groups
    >>> data = pd.DataFrame({"score": [5.1, 4.8, 6.2, 5.9, 5.5, 4.2, 4.6, 5.3, 3.9, 4.8],
    ...                      "group": ["a"] * 5 + ["b"] * 5})
    >>> res = compare_groups(data, y="score", group="group")
    >>> res.fit["test"].item(), res.contrasts["estimate"].round(2).item()
    ('welch_t', 0.94)
    """

    y: str
    group: str
    coefficients: pd.DataFrame
    fit: pd.DataFrame
    effect_sizes: pd.DataFrame
    contrasts: pd.DataFrame
    excluded: pd.DataFrame
    ci: float
    labels: dict

    def table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The group descriptives as an APA table; the note gives the test and effect sizes.

        Parameters
        ----------
        title : str, optional
            Table title (default "<y> by <group>").
        number : int, optional
            Table number.

        Returns
        -------
        HtmlBlock
            One row per group (label, n, M, SD, CI of the mean); the note holds
            :meth:`sentence`, the rows and groups left out and the CI level.
        """
        shown = self.coefficients.drop(columns=["group", "se"]).rename(columns={"label": "group"})
        shown.attrs = {"ci": self.ci}
        return apa_table(shown, title=title or f"{self.y} by {self.group}", number=number,
                         note=self._note(f"CI = {100 * self.ci:g}% confidence interval of the mean."))  # fmt: skip

    def contrasts_table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The pairwise comparisons as an APA table (Games-Howell, or Welch's t for two groups).

        Parameters
        ----------
        title : str, optional
            Table title (default "Games-Howell comparisons of <y> by <group>", or "Welch's t
            test of ..." for two groups).
        number : int, optional
            Table number.

        Returns
        -------
        HtmlBlock
            One row per pair: the two groups, the mean difference, SE, t, Welch df, p, its CI
            and Hedges' g.
        """
        shown = self.contrasts.assign(group1=self.contrasts["group1"].map(self._label),
                                      group2=self.contrasts["group2"].map(self._label))  # fmt: skip
        shown = shown.rename(columns={"estimate": "mean_difference", "group1": "group_1", "group2": "group_2"})
        shown.attrs = {"ci": self.ci, "statistic": "t"}
        gh = self.contrasts.attrs.get("method") == "games_howell"
        name = "Games-Howell comparisons" if gh else "Welch's t test"
        note = ("Mean difference = group 1 minus group 2; df by Welch-Satterthwaite. "
                + (f"p values and {100 * self.ci:g}% CIs adjusted for {len(self.coefficients)} groups "
                   "(studentized range)." if gh else f"CI = {100 * self.ci:g}% confidence interval."))  # fmt: skip
        return apa_table(shown, title=title or f"{name} of {self.y} by {self.group}", number=number,
                         note=note, decimals=2)  # fmt: skip

    def sentence(self) -> str:
        """The test, its effect sizes and (for more than two groups) the post hoc tests in APA
        style.

        Returns
        -------
        str
            Two groups: ``"Welch's t test of <y>: <a> (M = ..., SD = ..., n = ...) vs <b> (...),
            t(df) = ..., p = ..., M difference = ..., 95% CI [...], Hedges' g = ..., 95% CI
            [...]."``; more groups: ``"Welch's ANOVA of <y> across <k> groups of <group>:
            F(df1, df2) = ..., p = ..., η² = ..., ω² = ..., 95% CI [...]; Games-Howell tests:
            <a> vs <b>, M difference = ..., 95% CI [...], p = ...; ..."``.
        """
        f, level = self.fit.iloc[0], self.ci
        es = self.effect_sizes.set_index("effect")
        if f["test"] == "welch_t":
            c, g = self.contrasts.iloc[0], es.loc["hedges_g"]
            groups = " vs ".join(f"{self._label(r.group)} ({format_stat('M', r.mean)}, "
                                 f"{format_stat('SD', r.sd)}, n = {int(r.n):,})"
                                 for r in self.coefficients.itertuples())  # fmt: skip
            return (f"Welch's t test of {self.y}: {groups}, t({format_value(f['df'])}) = "
                    f"{format_value(f['statistic'])}, {format_p(f['p_value'])}, "
                    f"{format_stat('M difference', c['estimate'])}, "
                    f"{format_ci(c['ci_low'], c['ci_high'], level=level)}, "
                    f"{format_stat(_HEDGES, g['estimate'])}, "
                    f"{format_ci(g['ci_low'], g['ci_high'], level=level)}.")  # fmt: skip
        eta, omega = es.loc["eta_sq"], es.loc["omega_sq"]
        pairs = "; ".join(f"{self._label(r.group1)} vs {self._label(r.group2)}, "
                          f"{format_stat('M difference', r.estimate)}, {format_ci(r.ci_low, r.ci_high, level=level)}, "
                          f"{format_p(r.p_value)}" for r in self.contrasts.itertuples())  # fmt: skip
        return (f"Welch's ANOVA of {self.y} across {int(f['n_groups'])} groups of {self.group}: "
                f"F({int(f['df1'])}, {format_value(f['df2'])}) = {format_value(f['statistic'])}, "
                f"{format_p(f['p_value'])}, {format_stat('η²', eta['estimate'], bounded=True)}, "
                f"{format_stat('ω²', omega['estimate'], bounded=True)}, "
                f"{format_ci(eta['ci_low'], eta['ci_high'], level=level, bounded=True)}; "
                f"Games-Howell tests: {pairs}.")  # fmt: skip

    def _label(self, value) -> str:
        return value_label(value, self.labels)

    def _note(self, tail: str) -> str:
        f = self.fit.iloc[0]
        small = sorted({r for r in self.excluded["reason"] if r.startswith("group ")})
        note = f"n = {int(f['n']):,}; {int(f['n_excluded']):,} rows excluded"
        note += (f" ({'; '.join(small)})" if small else "") + f". {self.sentence()} {tail}"
        return note


def _py(value):
    return value.item() if hasattr(value, "item") else value


def compare_groups(data: pd.DataFrame, *, y: str, group: str, labels: Mapping | None = None,
                   ci: float = 0.95) -> GroupComparisonResult:  # fmt: skip
    """Compare the mean of `y` across the groups of `group` without assuming equal variances.

    Two groups: Welch's t test, the mean difference with its interval, Cohen's d and Hedges' g
    with noncentral-t intervals. More groups: Welch's one-way ANOVA, eta and omega squared with a
    noncentral-F interval, and Games-Howell post hoc tests of every pair.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person (or observation). Not modified.
    y : str
        Numeric outcome column.
    group : str
        Column whose groups are compared. Group order: the categories of an ordered or
        unordered categorical, otherwise the sorted values.
    labels : dict, optional
        ``{group value: display label}`` for tables and sentences (e.g. ``{-1: "wives", 1:
        "husbands"}``); groups without a label show their value.
    ci : float, optional
        Confidence level of every interval (default 0.95).

    Returns
    -------
    GroupComparisonResult
        ``.coefficients`` (group descriptives: ``group``, ``label``, ``n``, ``mean``, ``sd``,
        ``se``, ``ci_low``, ``ci_high``), ``.fit`` (the omnibus test: ``n``, ``n_excluded``,
        ``n_groups``, ``test``, ``statistic``, ``df`` or ``df1`` and ``df2``, ``p_value``),
        ``.effect_sizes`` (``effect``, ``estimate``, ``ci_low``, ``ci_high``), ``.contrasts``
        (pairwise: ``group1``, ``group2``, ``estimate``, ``se``, ``statistic``, ``df``,
        ``p_value``, ``ci_low``, ``ci_high``, ``hedges_g``), ``.excluded`` (``row``,
        ``reason``), ``.ci``, ``.labels``; ``.table()``, ``.contrasts_table()`` and
        ``.sentence()`` for the report.

    Raises
    ------
    DataError
        A missing or non-numeric `y`, a missing `group` column, fewer than two groups with at
        least two cases, or (more than two groups) a group in which `y` is constant.
    ParameterError
        A bad `ci`, `y` equal to `group`, or `labels` that is not a dict or names none of the
        groups.

    See Also
    --------
    analysis.models.effect_sizes.cohens_d, analysis.models.effect_sizes.partial_eta_squared

    Notes
    -----
    Rows with a missing `y` or `group` are left out, then the groups with fewer than two cases
    (each row in ``.excluded``, the groups named in the table note).

    Welch's t: ``t = (m1 - m2) / √(s1²/n1 + s2²/n2)`` on the Welch-Satterthwaite df, as
    ``t.test(var.equal = FALSE)`` (via ``scipy.stats.ttest_ind``). Cohen's d uses the pooled SD
    (:func:`~analysis.models.effect_sizes.cohens_d`, noncentral-t interval); Hedges' g = d J(df)
    with the exact J, its interval the d interval times J (as ``effectsize::hedges_g``).

    Welch's ANOVA (Welch, 1951) as ``oneway.test(var.equal = FALSE)`` (computed as
    ``pingouin.welch_anova`` does). Eta squared is SS_between / SS_total and omega squared
    (SS_between - df_between MS_within) / (SS_total + MS_within) of the classical one-way ANOVA
    (omega squared is negative when F < 1; read it as 0). Both estimate the same population
    share of variance, so they share one interval: the noncentrality L of the classical F with
    ``P(F' <= F; k - 1, N - k, L) = (1 ± ci) / 2``, converted as ``L / (L + N)`` (Steiger,
    2004), the interval of :func:`~analysis.models.effect_sizes.partial_eta_squared`. That
    interval assumes equal variances; the test does not.

    Games-Howell (Games & Howell, 1976), as ``pingouin.pairwise_gameshowell``: each pair's
    Welch t and df, ``p = P(Q > √2 |t|)`` for the studentized range Q of k groups, and the
    interval ``diff ± q_ci(k, df) / √2 · SE``. R has no base function; the reference
    (tests/reference/model_checks.R) computes the formula with ``ptukey`` and finds the quantile
    with ``uniroot`` on ``ptukey`` (``qtukey`` stops at about 1e-7). R's ``ptukey`` returns NaN
    below 2 df (a pair with a group of two cases can get there); the studentized range used here
    (a fixed Gauss-Legendre quadrature of the integral ``scipy.stats.studentized_range`` takes
    adaptively, equal to it within 1e-14 plus scipy's own error, and ~100 times faster) gives
    the value.

    References
    ----------
    Welch, B. L. (1951). On the comparison of several mean values: An alternative approach.
    Biometrika, 38(3/4), 330-336.
    Games, P. A., & Howell, J. F. (1976). Pairwise multiple comparison procedures with unequal
    n's and/or variances: A Monte Carlo study. Journal of Educational Statistics, 1(2), 113-125.
    Steiger, J. H. (2004). Beyond the F test: Effect size confidence intervals and tests of
    close fit in the analysis of variance and contrast analysis. Psychological Methods, 9(2),
    164-182.
    Delacre, M., Lakens, D., & Leys, C. (2017). Why psychologists should by default use Welch's
    t-test instead of Student's t-test. International Review of Social Psychology, 30(1),
    92-101.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import compare_groups
    >>> data = pd.DataFrame({"closeness": [5.1, 4.8, 6.2, 5.9, 5.5, 4.2, 4.6, 5.3, 3.9, 4.8,
    ...                                    6.5, 6.1, 7.0, 6.4, 5.8],
    ...                      "status": ["dating"] * 5 + ["married"] * 5 + ["engaged"] * 5})
    >>> res = compare_groups(data, y="closeness", group="status")
    >>> print(res.fit[["test", "statistic", "df1", "df2", "p_value"]].round(3).to_string(index=False))
           test  statistic  df1   df2  p_value
    welch_anova      15.14    2 7.912    0.002
    >>> print(res.contrasts[["group1", "group2", "estimate", "p_value"]].round(3).to_string(index=False))
     group1  group2  estimate  p_value
     dating engaged     -0.86    0.071
     dating married      0.94    0.066
    engaged married      1.80    0.001
    >>> print(res.sentence().split(";")[0].replace(": ", ":\\n"))
    Welch's ANOVA of closeness across 3 groups of status:
    F(2, 7.91) = 15.14, p = .002, η² = .71, ω² = .65, 95% CI [.26, .82]
    """
    _require_columns(data, [y, group])
    _check_level("ci", ci)
    if y == group:
        raise ParameterError(f"`y` and `group` are both {y!r}; pass the outcome as `y` and the grouping column "
                             "as `group`.")  # fmt: skip
    if labels is not None and not isinstance(labels, Mapping):
        raise ParameterError(f"`labels` must be a dict {{group value: label}}, but {type(labels).__name__} was passed.")
    values = data[y]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise DataError(f"The outcome {y!r} is not numeric (dtype {values.dtype}); convert it (e.g. with "
                        "pd.to_numeric) or choose a numeric column as `y`.")  # fmt: skip
    groups = data[group]
    miss_y, miss_g = values.isna().to_numpy(), groups.isna().to_numpy()
    kept = ~(miss_y | miss_g)
    reasons = np.array([""] * len(data), dtype=object)
    reasons[~kept] = [f"missing value in {', '.join(c for c, m in ((y, a), (group, b)) if m)}"
                      for a, b in zip(miss_y[~kept], miss_g[~kept], strict=True)]  # fmt: skip
    levels = _levels(groups[kept])
    sizes = {lv: int((groups[kept] == lv).sum()) for lv in levels}
    for lv in [lv for lv in levels if sizes[lv] < 2]:
        rows = kept & (groups == lv).to_numpy()
        reasons[rows] = f"group {value_label(_py(lv), None)!r} has fewer than 2 cases"
        kept &= ~rows
    levels = [lv for lv in levels if sizes[lv] >= 2]
    if len(levels) < 2:
        have = ", ".join(f"{value_label(_py(lv), None)!r} (n = {n})" for lv, n in sizes.items()) or "none"
        raise DataError(f"Column {group!r} has {len(levels)} group(s) with at least two values of {y!r}, but "
                        f"comparing means needs two or more (groups: {have}). Check `group` or the missing "
                        f"values of {y!r}.")  # fmt: skip
    shown = {_py(lv): value_label(_py(lv), None) for lv in levels}
    if labels is not None:
        if not set(labels) & set(shown):
            raise ParameterError(f"None of the keys of `labels` ({', '.join(map(repr, list(labels)[:6]))}) is a "
                                 f"group of {group!r} ({', '.join(map(repr, shown))}); use the column's values "
                                 "as keys.")  # fmt: skip
        shown.update({k: str(v) for k, v in labels.items() if k in shown})
    excluded = pd.DataFrame({"row": list(data.index[reasons != ""]), "reason": list(reasons[reasons != ""])})
    x = values[kept].to_numpy(dtype=float)
    code = pd.Index(levels, dtype=object).get_indexer(np.asarray(groups[kept], dtype=object))
    samples = [x[code == i] for i in range(len(levels))]
    desc = _descriptives(samples, ci).assign(group=[_py(lv) for lv in levels])
    desc.insert(1, "label", [shown[_py(lv)] for lv in levels])
    desc = desc[["group", "label", "n", "mean", "sd", "se", "ci_low", "ci_high"]]
    head = {"n": len(x), "n_excluded": len(excluded), "n_groups": len(levels)}
    if len(levels) == 2:
        fit, effects, contrasts = _two_groups(samples, x, code, desc, ci, head)
    else:
        fit, effects, contrasts = _several_groups(samples, x, code, desc, ci, head, y, group)
    for table in (desc, fit, effects, contrasts):
        table.attrs["ci"] = ci
    return GroupComparisonResult(y, group, desc, fit, effects, contrasts, excluded, ci, shown)


def _levels(g: pd.Series) -> list:
    """Group values in order: the categories of a categorical present in `g`, else sorted."""
    if isinstance(g.dtype, pd.CategoricalDtype):
        return [c for c in g.cat.categories if (g == c).any()]
    unique = list(pd.unique(g))
    try:
        return sorted(unique)
    except TypeError:  # mixed types: by their text
        return sorted(unique, key=str)


def _descriptives(samples: list[np.ndarray], ci: float) -> pd.DataFrame:
    n = np.array([len(s) for s in samples])
    mean = np.array([s.mean() for s in samples])
    sd = np.array([s.std(ddof=1) for s in samples])
    se = sd / np.sqrt(n)
    q = stats.t.ppf((1 + ci) / 2, n - 1)
    return pd.DataFrame({"n": n, "mean": mean, "sd": sd, "se": se, "ci_low": mean - q * se, "ci_high": mean + q * se})


def _J(df: float) -> float:
    """Hedges' exact small-sample correction J(df)."""
    return float(np.exp(special.gammaln(df / 2) - np.log(np.sqrt(df / 2)) - special.gammaln((df - 1) / 2)))


def _pair_g(a: np.ndarray, b: np.ndarray) -> float:
    """Hedges' g of two samples (pooled SD, exact J)."""
    df = len(a) + len(b) - 2
    sp = np.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / df)
    return (a.mean() - b.mean()) / sp * _J(df) if sp > 0 else np.nan


def _two_groups(samples, x, code, desc, ci, head):
    a, b = samples
    tt = stats.ttest_ind(a, b, equal_var=False)
    interval = tt.confidence_interval(ci)
    fit = pd.DataFrame([{**head, "test": "welch_t", "statistic": float(tt.statistic), "df": float(tt.df),
                         "p_value": float(tt.pvalue)}])  # fmt: skip
    fit.attrs["statistic"] = "t"
    d = cohens_d(pd.DataFrame({"y": x, "g": code}), y="y", group="g", ci=ci).iloc[0]
    J = _J(len(x) - 2)
    effects = pd.DataFrame({"effect": ["cohen_d", "hedges_g"], "estimate": [d["cohen_d"], d["hedges_g"]],
                            "ci_low": [d["ci_low"], d["ci_low"] * J], "ci_high": [d["ci_high"], d["ci_high"] * J]})
    contrasts = pd.DataFrame([{"group1": desc["group"].iloc[0], "group2": desc["group"].iloc[1],
                               "estimate": a.mean() - b.mean(),
                               "se": np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)),
                               "statistic": float(tt.statistic), "df": float(tt.df), "p_value": float(tt.pvalue),
                               "ci_low": float(interval.low), "ci_high": float(interval.high),
                               "hedges_g": d["hedges_g"]}])  # fmt: skip
    contrasts.attrs["method"] = "welch_t"
    return fit, effects, contrasts


def _several_groups(samples, x, code, desc, ci, head, y, group):
    k, N = len(samples), len(x)
    for s, label in zip(samples, desc["label"], strict=True):
        if np.ptp(s) == 0:
            raise DataError(f"{y!r} has the same value ({value_label(s[0], None)}) in every row of group {label!r} "
                            f"of {group!r}; Welch's ANOVA needs variance within every group.")  # fmt: skip
    frame = pd.DataFrame({"y": x, "g": code})
    welch = _welch_anova(frame)
    fit = pd.DataFrame([{**head, "test": "welch_anova", "statistic": float(welch["F"]), "df1": int(welch["ddof1"]),
                         "df2": float(welch["ddof2"]), "p_value": float(welch["p_unc"])}])  # fmt: skip
    fit.attrs["statistic"] = "F"
    ss_between = float(np.sum(desc["n"] * (desc["mean"] - x.mean()) ** 2))
    ss_within = float(sum(np.sum((s - s.mean()) ** 2) for s in samples))
    ms_within = ss_within / (N - k)
    F = ss_between / (k - 1) / ms_within
    bounds = []
    for p in ((1 + ci) / 2, (1 - ci) / 2):
        def cdf(L, p=p):  # unfrozen: freezing a distribution costs more than its cdf
            return (stats.ncf.cdf(F, k - 1, N - k, L) if L > 0 else stats.f.cdf(F, k - 1, N - k)) - p

        L = 0.0 if cdf(0.0) <= 0 else _root(cdf, 0.0, max(10.0, 4 * F * (k - 1)))
        bounds.append(L / (L + N))
    total = ss_between + ss_within
    effects = pd.DataFrame({"effect": ["eta_sq", "omega_sq"],
                            "estimate": [ss_between / total, (ss_between - (k - 1) * ms_within) / (total + ms_within)],
                            "ci_low": bounds[0], "ci_high": bounds[1]})  # fmt: skip
    i, j, diff, se, t, df = _games_howell(frame)
    q = _studentized_range.ppf(ci, k, df) / np.sqrt(2)
    contrasts = pd.DataFrame({"group1": desc["group"].to_numpy()[i], "group2": desc["group"].to_numpy()[j],
                              "estimate": diff, "se": se, "statistic": t, "df": df,
                              "p_value": _studentized_range.sf(np.sqrt(2) * np.abs(t), k, df),
                              "ci_low": diff - q * se, "ci_high": diff + q * se,
                              "hedges_g": [_pair_g(samples[a], samples[b])
                                           for a, b in zip(i, j, strict=True)]})  # fmt: skip
    contrasts.attrs["method"] = "games_howell"
    return fit, effects, contrasts


def _welch_anova(frame: pd.DataFrame) -> dict:
    """Welch's ANOVA of ``frame["y"]`` across ``frame["g"]``: ``ddof1``, ``ddof2``, ``F``,
    ``p_unc``, computed as ``pingouin.welch_anova`` computes them (the same pandas operations in
    the same order, so the same bits) without importing pingouin (~0.2 s)."""
    grp = frame.groupby("g", observed=True, group_keys=False)["y"]
    r = frame["g"].nunique()
    count, mean = grp.count(), grp.mean(numeric_only=True)
    weights = count / grp.var(numeric_only=True)
    adj_grandmean = (weights * mean).sum() / weights.sum()
    ms_betadj = np.sum(weights * np.square(mean - adj_grandmean)) / (r - 1)
    lamb = (3 * np.sum((1 / (count - 1)) * (1 - (weights / weights.sum())) ** 2)) / (r**2 - 1)
    fval = ms_betadj / (1 + (2 * lamb * (r - 2)) / 3)
    return {"ddof1": r - 1, "ddof2": 1 / lamb, "F": fval, "p_unc": stats.f.sf(fval, r - 1, 1 / lamb)}


def _games_howell(frame: pd.DataFrame):
    """Every pair of the groups coded 0..k-1 in ``frame["g"]``: (i, j, mean difference, SE, t,
    Welch df), computed as ``pingouin.pairwise_gameshowell`` computes them (pandas group means
    and variances, the same formulas), without its p values: those come from
    `_studentized_range.sf` (scipy's takes ~10 ms per pair)."""
    grp = frame.groupby("g", observed=True)["y"]
    n, means, var = grp.count().to_numpy(), grp.mean().to_numpy(), grp.var().to_numpy()
    i, j = np.triu_indices(len(n), k=1)
    v = var / n
    se = np.sqrt(v[i] + v[j])
    diff = means[i] - means[j]
    df = (v[i] + v[j]) ** 2 / (v[i] ** 2 / (n[i] - 1) + v[j] ** 2 / (n[j] - 1))
    return i, j, diff, se, diff / se, df


def compare_groups_by(data: pd.DataFrame, *, y: Sequence[str], groups: Sequence[str],
                      value_labels: Mapping | None = None, ci: float = 0.95) -> tuple[dict, list[str]]:  # fmt: skip
    """:func:`compare_groups` for every outcome in `y` and grouping column in `groups`.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person. Not modified.
    y : list of str
        Numeric outcome columns.
    groups : list of str
        Grouping columns; those absent from `data` are skipped.
    value_labels : dict, optional
        ``{group column: {value: label}}`` (``Dataset.value_labels[table]``).
    ci : float, optional
        Confidence level of every interval (default 0.95).

    Returns
    -------
    comparisons : dict
        ``{(outcome, group column): GroupComparisonResult}``, grouping by grouping.
    skipped : list of str
        One sentence per comparison that could not be made (e.g. fewer than two groups with two
        or more cases), with the reason.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 4, "one": ["x"] * 8, "y": [1, 2, 3, 4, 3, 4, 5, 6]})
    >>> comparisons, skipped = compare_groups_by(data, y=["y"], groups=["g", "one", "absent"])
    >>> list(comparisons), skipped[0][:34]
    ([('y', 'g')], "y by one not compared: Column 'one")
    """
    comparisons, skipped = {}, []
    for group in [g for g in groups if g in data.columns]:
        for outcome in y:
            try:
                comparisons[(outcome, group)] = compare_groups(data, y=outcome, group=group, ci=ci,
                                                               labels=(value_labels or {}).get(group))  # fmt: skip
            except DataError as err:
                skipped.append(f"{outcome} by {group} not compared: {err}")
    return comparisons, skipped


def stack_comparisons(comparisons: Mapping, *, part: str = "fit") -> pd.DataFrame:
    """One table of a part of several comparisons (for ``results.json``).

    Parameters
    ----------
    comparisons : dict
        ``{(outcome, group column): GroupComparisonResult}`` (:func:`compare_groups_by`).
    part : {"fit", "effect_sizes", "contrasts", "coefficients"}
        Which table of each result.

    Returns
    -------
    pandas.DataFrame
        ``outcome``, ``grouping`` and the part's columns, comparison after comparison.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 4, "y": [1, 2, 3, 4, 3, 4, 5, 6]})
    >>> stack_comparisons(compare_groups_by(data, y=["y"], groups=["g"])[0])[["outcome", "grouping", "test"]]
      outcome grouping     test
    0       y        g  welch_t
    """
    if part not in ("fit", "effect_sizes", "contrasts", "coefficients"):
        raise ParameterError(f"`part` must be fit, effect_sizes, contrasts or coefficients, not {part!r}.")
    frames = [getattr(r, part).assign(outcome=y, grouping=g) for (y, g), r in comparisons.items()]
    if not frames:
        return pd.DataFrame(columns=["outcome", "grouping"])
    out = pd.concat(frames, ignore_index=True)
    return out[["outcome", "grouping"] + [c for c in out.columns if c not in ("outcome", "grouping")]]
