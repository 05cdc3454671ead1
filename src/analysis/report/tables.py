"""APA tables whose layout or notes are built from the table itself: the by-instrument
psychometrics (`analysis.psychometrics.by_instrument`: which groups were compared, and why a model
was not fitted), the correlation matrix of `analysis.correlation_pairs` (pairwise n, CI level) and
the assumption checks of several linear models side by side.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import pandas as pd

from analysis.apa import HtmlBlock, apa_table, format_value

__all__ = ["invariance_table", "dyadic_invariance_table", "correlation_matrix_table", "model_checks_table",
           "group_tests_table", "post_hoc_table"]


def invariance_table(invariance: pd.DataFrame, *, group: str, number: int | None = None,
                     labels: dict[str, str] | None = None) -> HtmlBlock:  # fmt: skip
    """Measurement invariance across the groups of `group` as an APA table, its note naming the
    groups compared and every instrument's note (groups left out, models not fitted).

    Parameters
    ----------
    invariance : pandas.DataFrame
        The table of `analysis.scale_invariance` (columns ``groups`` and ``note`` go to the note).
    group : str
        The grouping column (named in the title).
    number : int, optional
        Table number.
    labels : dict, optional
        Readable names of the instrument ids (`analysis.score_labels`).

    Returns
    -------
    HtmlBlock
        The table.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"instrument": ["ecr_s"], "level": ["configural"], "groups": ["woman, man"],
    ...                   "note": [None], "cfi": [0.95]})
    >>> "Groups compared: woman, man." in invariance_table(t, group="gender").html
    True
    """
    groups = invariance["groups"].iloc[0] if len(invariance) else "none"
    notes = " ".join(f"{n}." for n in invariance["note"].dropna().unique())
    return apa_table(invariance.drop(columns=["groups", "note"]), title=f"Measurement invariance by {group}",
                     number=number, labels=labels, decimals=3,
                     note=f"Groups compared: {groups}. Δ: change from the previous level. " + notes)  # fmt: skip


def dyadic_invariance_table(dyadic: pd.DataFrame, *, number: int | None = None,
                            labels: dict[str, str] | None = None) -> HtmlBlock:  # fmt: skip
    """Dyadic invariance across the two partners of each couple as an APA table, with each
    instrument's note (models not fitted) in the table note.

    Parameters
    ----------
    dyadic : pandas.DataFrame
        The table of `analysis.scale_dyadic_invariance` (column ``note`` goes to the note).
    number : int, optional
        Table number.
    labels : dict, optional
        Readable names of the instrument ids (`analysis.score_labels`).

    Returns
    -------
    HtmlBlock
        The table.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"instrument": ["ucla_3"], "level": ["configural"], "note": ["3 items: not testable"]})
    >>> "ucla_3: 3 items: not testable." in dyadic_invariance_table(t).html
    True
    """
    notes = " ".join(f"{i}: {n}." for i, n in dyadic[["instrument", "note"]].dropna().drop_duplicates()
                     .itertuples(index=False))  # fmt: skip
    return apa_table(dyadic.drop(columns=["note"]), title="Dyadic invariance across partners", number=number,
                     labels=labels, decimals=3,
                     note="Groups: the two partners of each couple; n: couples with both partners answering "
                          "(listwise) or all couples (FIML). Δ: change from the previous level. " + notes)  # fmt: skip


def correlation_matrix_table(pairs: pd.DataFrame, *, columns: Sequence[str], labels: Mapping[str, str] | None = None,
                             number: int | None = None, title: str = "Correlations") -> HtmlBlock:  # fmt: skip
    """The APA lower-triangular correlation matrix of `columns`, each r with its CI below it.

    Parameters
    ----------
    pairs : pandas.DataFrame
        The table of `analysis.correlation_pairs` (``x``, ``y``, ``r``, ``ci_low``, ``ci_high``,
        ``n``, ``p_value``; ``attrs["ci"]`` the level, default 0.95), holding every pair of
        `columns` in either order.
    columns : list of str
        The variables, in the order of the rows and columns (e.g. scores first; keep it to about
        20).
    labels : dict, optional
        ``{column: label}`` (``Dataset.display_labels()``); columns without one show their name.
    number : int, optional
        Table number.
    title : str, default "Correlations"
        Table title.

    Returns
    -------
    HtmlBlock
        ``<div class="apa">`` with the table: one row per variable (``1. label``) holding r with
        two decimals and no leading zero below the diagonal, an em dash on it, and under it a row
        with the confidence intervals in square brackets; columns ``1``, ``2``, ...; r marked
        ``*`` (p < .05) or ``**`` (p < .01). The note gives the pairwise n (one value, or the
        range when pairs differ), the CI level and the significance marks. With fewer than two
        columns, the caption and a sentence that there is nothing to correlate.

    Raises
    ------
    ParameterError
        If `pairs` has no row for a pair of `columns`.

    See Also
    --------
    analysis.correlation_pairs : Computes `pairs`.
    analysis.apa.apa_table : Tables from tidy results.

    Notes
    -----
    Layout after the APA Publication Manual (7th ed.), sample correlation table (section 7.21),
    with confidence intervals as in ``apaTables::apa.cor.table``. r cannot exceed 1, so it has
    no leading zero; the marks are for two-sided tests of r = 0, not adjusted for the number of
    correlations. Missing values (r of a pair with fewer than 3 cases) show as an en dash.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import correlation_matrix_table, correlation_pairs
    >>> rng = np.random.default_rng(1)
    >>> data = pd.DataFrame({"anx": rng.normal(size=80), "avo": rng.normal(size=80)})
    >>> data["sat"] = -0.5 * data["avo"] + rng.normal(size=80)
    >>> pairs = correlation_pairs(data, columns=["anx", "avo", "sat"])
    >>> table = correlation_matrix_table(pairs, columns=["anx", "avo", "sat"], labels={"sat": "Satisfaction"})
    >>> import re
    >>> re.findall(r"<td[^>]*>(.*?)</td>", table.html)[12:16]  # the row of sat: r with anx, avo
    ['3. Satisfaction', '&minus;.15', '&minus;.38**', '&mdash;']
    >>> correlation_matrix_table(pairs, columns=["sat"]).html.count("nothing to correlate")
    1
    """
    from analysis.exceptions import ParameterError

    cols, labels = list(columns), labels or {}
    if len(cols) < 2:
        what = f"one variable ({labels.get(cols[0], cols[0])})" if cols else "no variables"
        return apa_table(pd.DataFrame(), title=title, number=number,
                         empty=f"No correlation table: {what}, so nothing to correlate.")  # fmt: skip
    found = {}
    for row in pairs.itertuples(index=False):
        found[(row.x, row.y)] = found[(row.y, row.x)] = row
    absent = [(a, b) for i, a in enumerate(cols) for b in cols[:i] if (a, b) not in found]
    if absent:
        raise ParameterError(f"`pairs` has no row for {absent[0][0]!r} and {absent[0][1]!r}; make it with "
                             "correlation_pairs(data, columns=columns).")  # fmt: skip

    def r_cell(row) -> str:
        if pd.isna(row.r):
            return "&ndash;"
        stars = "" if pd.isna(row.p_value) else "**" if row.p_value < 0.01 else "*" if row.p_value < 0.05 else ""
        return format_value(row.r, 2, bounded=True).replace("\u2212", "&minus;") + stars

    def ci_cell(row) -> str:
        if pd.isna(row.ci_low) or pd.isna(row.ci_high):
            return "&ndash;"
        low, high = (format_value(v, 2, bounded=True).replace("\u2212", "&minus;") for v in (row.ci_low, row.ci_high))
        return f"[{low},&nbsp;{high}]"

    def tr(first: str, cells: list[str]) -> str:
        return (f'<tr><td class="text">{first}</td>' + "".join(f'<td class="num">{c}</td>' for c in cells)
                + "</tr>")  # fmt: skip

    body = []
    for i, a in enumerate(cols):
        body.append(tr(f"{i + 1}. {html.escape(str(labels.get(a, a)))}",
                       [r_cell(found[(a, b)]) for b in cols[:i]] + ["&mdash;"] + [""] * (len(cols) - i - 1)))
        if i:
            body.append(tr("", [ci_cell(found[(a, b)]) for b in cols[:i]] + [""] * (len(cols) - i)))
    head = '<th class="text">Variable</th>' + "".join(f'<th class="num">{j + 1}</th>' for j in range(len(cols)))
    used = [found[(a, b)] for i, a in enumerate(cols) for b in cols[:i]]
    ns = [int(row.n) for row in used]
    n_text = f"{min(ns):,}" if min(ns) == max(ns) else f"{min(ns):,} to {max(ns):,} per pair"
    level = f"{100 * pairs.attrs.get('ci', 0.95):g}"
    note = (f"Pearson correlations, pairwise complete cases (<i>n</i> = {n_text}). Values in square brackets are "
            f"{level}% confidence intervals. * <i>p</i> &lt; .05. ** <i>p</i> &lt; .01 (two-sided, not adjusted "
            "for the number of correlations).")  # fmt: skip
    caption = (f"<strong>Table {number}</strong><br>" if number is not None else "") + f"<em>{html.escape(title)}</em>"
    return HtmlBlock(f'<div class="apa"><table class="apa-table"><caption>{caption}</caption>'
                     f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
                     f'<p class="apa-note"><em>Note.</em> {note}</p></div>')  # fmt: skip


def model_checks_table(models: Mapping[str, object], *, number: int | None = None,
                       title: str = "Assumption checks of the linear models") -> HtmlBlock:  # fmt: skip
    """The assumption checks of several linear models (``ols(...)``), one row per model.

    Parameters
    ----------
    models : dict
        ``{model name: RegressionResult}`` in the order shown; models without ``.diagnostics``
        are left out.
    number : int, optional
        Table number.
    title : str
        Table title.

    Returns
    -------
    HtmlBlock
        Columns: model, n, the Breusch-Pagan test (χ², df, p; Koenker's studentized form, as
        ``lmtest::bptest``), the Shapiro-Wilk test of the residuals (W, p; missing above 5,000
        rows), the largest Cook's distance with the row (or person id) it belongs to, and the
        largest VIF with its term. The note says how to read them.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import ols
    >>> rng = np.random.default_rng(2)
    >>> data = pd.DataFrame({"x": rng.normal(size=60), "w": rng.normal(size=60)})
    >>> data["y"] = data["x"] + rng.normal(size=60)
    >>> html = model_checks_table({"Main": ols(data, "y ~ x + w")}, number=4).html
    >>> "Breusch-Pagan &chi;&sup2;" in html, '<td class="text">Main</td>' in html
    (True, True)
    """
    rows = []
    for name, result in models.items():
        diag = getattr(result, "diagnostics", None)
        if diag is None:
            continue
        tests = diag.tests.set_index("test")
        top = diag.most_influential(1).iloc[0]
        who = top["person"] if diag.person and "person" in top.index else top["row"]
        who = int(who) if isinstance(who, float) and who.is_integer() else who
        vif = diag.vif.loc[diag.vif["vif"].idxmax()] if len(diag.vif) else None
        bp = tests.loc["breusch_pagan"] if "breusch_pagan" in tests.index else None
        sw = tests.loc["shapiro_wilk"] if "shapiro_wilk" in tests.index else None
        rows.append({"model": name, "n": len(diag.influence),
                     "bp_chi_square": bp["statistic"] if bp is not None else None,
                     "bp_df": bp["df"] if bp is not None else None,
                     "bp_p_value": bp["p_value"] if bp is not None else None,
                     "sw_w": sw["statistic"] if sw is not None else None,
                     "sw_p_value": sw["p_value"] if sw is not None else None,
                     "max_cooks_distance": top["cooks_distance"], "most_influential": str(who),
                     "max_vif": vif["vif"] if vif is not None else None,
                     "max_vif_term": str(vif["term"]) if vif is not None else None})  # fmt: skip
    note = ("Breusch-Pagan: Koenker's studentized test of equal residual variance (p < .05: the variance changes "
            "with the predictors; prefer robust standard errors). Shapiro-Wilk: normality of the residuals "
            "(with large n even harmless departures are significant: read the Q-Q plot). Cook's D above about "
            "4/n, or far above the rest, marks a row that moves the estimates; VIF above 5 marks collinear "
            "predictors. Its row: the row's id.")  # fmt: skip
    return apa_table(pd.DataFrame(rows), title=title, number=number, note=note,
                     empty="No linear model with assumption checks.")  # fmt: skip


_TEST_LABELS = {"welch_t": "Welch's t", "welch_anova": "Welch's ANOVA"}
_EFFECT_LABELS = {"hedges_g": "Hedges' g", "cohen_d": "Cohen's d", "omega_sq": "ω²", "eta_sq": "η²"}


def group_tests_table(comparisons: Mapping[tuple[str, str], object], *, labels: Mapping[str, str] | None = None,
                      number: int | None = None, title: str = "Group comparisons") -> HtmlBlock:  # fmt: skip
    """The omnibus tests of several group comparisons (``compare_groups``), one row each: Welch's t
    (two groups) or Welch's ANOVA (more), with the effect size and its CI.

    Parameters
    ----------
    comparisons : dict
        ``{(outcome, group column): GroupComparisonResult}`` in the order shown.
    labels : dict, optional
        Readable names of the outcome and group columns.
    number : int, optional
        Table number.
    title : str
        Table title.

    Returns
    -------
    HtmlBlock
        Columns: outcome, grouping, groups, n, test, the statistic (t or F) with its df (``df1``,
        ``df2``; one df for t), p, the effect size (Hedges' g for two groups, omega squared for
        more) with its CI. The note names the tests, the effect sizes and the CI level.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import compare_groups
    >>> rng = np.random.default_rng(4)
    >>> data = pd.DataFrame({"g": np.repeat(["a", "b", "c"], 30), "y": rng.normal(size=90)})
    >>> "Welch&#x27;s ANOVA" in group_tests_table({("y", "g"): compare_groups(data, y="y", group="g")}).html
    True
    """
    labels, rows, level = labels or {}, [], 0.95
    for (outcome, group), res in comparisons.items():
        fit, eff = res.fit.iloc[0], res.effect_sizes.set_index("effect")
        name = "hedges_g" if "hedges_g" in eff.index else "omega_sq"
        level = res.ci
        rows.append({"outcome": str(labels.get(outcome, outcome)), "grouping": str(labels.get(group, group)),
                     "groups": int(fit["n_groups"]), "n": int(fit["n"]),
                     "test": _TEST_LABELS.get(fit["test"], fit["test"]), "statistic": fit["statistic"],
                     "df1": fit["df1"] if "df1" in fit.index else fit["df"],
                     "df2": fit["df2"] if "df2" in fit.index else None, "p_value": fit["p_value"],
                     "effect": _EFFECT_LABELS[name], "effect_size": eff.loc[name, "estimate"],
                     "ci_low": eff.loc[name, "ci_low"], "ci_high": eff.loc[name, "ci_high"]})  # fmt: skip
    table = pd.DataFrame(rows)
    table.attrs.update(statistic="t or F", ci=level)
    note = ("Welch's t (two groups; df1 is its df) or Welch's one-way ANOVA (more groups; F on df1 and df2), "
            "neither assuming equal variances. Effect size: Hedges' g (two groups; noncentral-t CI) or ω² (more "
            "groups; noncentral-F CI). Games-Howell comparisons of the pairs follow where there are more than two "
            "groups.")  # fmt: skip
    return apa_table(table, title=title, number=number, note=note, empty="No group comparison could be made.")


def post_hoc_table(comparisons: Mapping[tuple[str, str], object], *, labels: Mapping[str, str] | None = None,
                   number: int | None = None, title: str = "Games-Howell comparisons") -> HtmlBlock:  # fmt: skip
    """The Games-Howell pairwise comparisons of every comparison with more than two groups.

    Parameters
    ----------
    comparisons : dict
        ``{(outcome, group column): GroupComparisonResult}``; those with two groups are left out.
    labels : dict, optional
        Readable names of the outcome and group columns.
    number : int, optional
        Table number.
    title : str
        Table title.

    Returns
    -------
    HtmlBlock
        One row per pair: outcome, grouping, the two groups, mean difference, SE, t, df, p and CI
        (both adjusted for the number of groups by the studentized range), Hedges' g.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import compare_groups
    >>> rng = np.random.default_rng(4)
    >>> data = pd.DataFrame({"g": np.repeat(["a", "b", "c"], 30), "y": rng.normal(size=90)})
    >>> post_hoc_table({("y", "g"): compare_groups(data, y="y", group="g")}).html.count("<tr>")
    4
    """
    from analysis.data.describe import value_label
    from analysis.models.group_comparison import stack_comparisons

    labels = labels or {}
    several = {key: res for key, res in comparisons.items() if int(res.fit["n_groups"].iloc[0]) > 2}
    table = stack_comparisons(several, part="contrasts")
    for column in ("group1", "group2"):  # group values by their labels
        table[column] = [value_label(v, several[(o, g)].labels) for o, g, v in
                         zip(table["outcome"], table["grouping"], table.get(column, []), strict=True)]  # fmt: skip
    table["outcome"] = [str(labels.get(v, v)) for v in table["outcome"]]
    table["grouping"] = [str(labels.get(v, v)) for v in table["grouping"]]
    level = next(iter(several.values())).ci if several else 0.95
    cols = ["outcome", "grouping", "group1", "group2", "estimate", "se", "statistic", "df", "p_value", "ci_low",
            "ci_high", "hedges_g"]  # fmt: skip
    table = table.reindex(columns=cols)
    table = table.rename(columns={"estimate": "mean_difference"})
    table.attrs.update(statistic="t", ci=level)
    return apa_table(table, title=title, number=number, empty="No grouping has more than two groups.",
                     note="Mean difference: group 1 minus group 2; df by Welch-Satterthwaite; p and CI adjusted for "
                          "the number of groups (studentized range).")  # fmt: skip
