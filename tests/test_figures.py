"""Figures drawn with matplotlib directly (issue 19): the same figure as the seaborn call each replaced.

The reference drawings are seaborn 0.13.2's (the version in constraints.txt): where the new code
draws exactly what seaborn drew, the two PNGs are compared pixel by pixel; where the layout is
computed once instead of seaborn's several passes (score_distributions, diary_trajectories), the
artists are compared (bins, heights, lines, colours, labels, legends) instead.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import seaborn as sns
from numpy.testing import assert_allclose, assert_array_equal

from analysis.report import figures

SAME_SEABORN = pytest.mark.skipif(sns.__version__ != "0.13.2", reason="the reference drawings are seaborn 0.13.2's")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _png(fig, dpi=72) -> np.ndarray:
    """The figure as the notebooks save it (tight bounding box, white), as an RGBA array."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", dpi=dpi, facecolor="white")
    buffer.seek(0)
    return plt.imread(buffer)


def _scores(n=300, seed=4):
    rng = np.random.default_rng(seed)
    scores = pd.DataFrame({"anx": rng.normal(3.5, 1.2, n).clip(1, 7), "avo": rng.integers(1, 8, n) / 1.0,
                           "sat": rng.gamma(4, 10, n), "total": rng.normal(50, 5, n)})  # fmt: skip
    scores.loc[::7, "anx"] = np.nan
    return scores


# ------------------------------------------------------------------------------------------------
# Histograms
# ------------------------------------------------------------------------------------------------
def _bars(ax):
    """(left edges, heights) of the bars of a histogram axes (patches or collections, in drawing order)."""
    if ax.patches:
        return np.array([p.get_x() for p in ax.patches]), np.array([p.get_height() for p in ax.patches])
    verts = np.array([path.vertices[:4] for bars in ax.collections for path in bars.get_paths()])
    return verts[:, 0, 0], verts[:, 1, 1] - verts[:, 0, 1]


def test_score_distributions_draws_seaborns_histograms():
    scores = _scores()
    labels = {"anx": "Anxiety", "avo": "Avoidance", "sat": "Satisfaction"}
    fig = figures.score_distributions(scores, labels=labels, col_wrap=3)
    long = scores.melt(var_name="score", value_name="value").dropna().replace({"score": labels})
    grid = sns.displot(data=long, x="value", col="score", col_wrap=3, bins=20, common_bins=False, height=2.2,
                       aspect=1.3, facet_kws={"sharex": False, "sharey": False}, color="#4c72b0")  # fmt: skip
    grid.set_titles("{col_name}", size=9)
    grid.set_axis_labels("", "Count")
    ref = grid.figure
    assert len(fig.axes) == len(ref.axes) == 4
    assert_allclose(fig.get_size_inches(), ref.get_size_inches())
    for ax, ref_ax, col in zip(fig.axes, ref.axes, scores.columns, strict=True):
        left, height = _bars(ax)
        ref_left, ref_height = _bars(ref_ax)
        assert_allclose(left, ref_left, rtol=1e-12, atol=1e-12)
        assert_array_equal(height, ref_height)
        values = scores[col].dropna()  # the bins: 20 over the column's range
        assert_array_equal(height, np.histogram(values, 20, (values.min(), values.max()))[0])
        assert ax.get_title() == ref_ax.get_title() == labels.get(col, col)
        assert ax.get_ylabel() == ref_ax.get_ylabel()  # "Count" on the first panel of a row only
        assert_allclose(ax.get_xlim(), ref_ax.get_xlim(), rtol=1e-12)
        assert_allclose(ax.get_ylim(), ref_ax.get_ylim(), rtol=1e-12)
        assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    (bars,) = fig.axes[0].collections
    assert_allclose(bars.get_facecolor()[0], [0.298, 0.447, 0.690, 0.75], atol=1e-3)
    assert_allclose(bars.get_edgecolor()[0], [0, 0, 0, 1])
    assert 0 < bars.get_linewidth()[0] < 0.2  # a tenth of the thinnest bar (seaborn's rule): hairlines here
    assert fig.get_label().startswith("Histograms of 4 scores, one panel each: Anxiety, Avoidance")


def test_score_distributions_panels_by_label_and_only_for_values():
    scores = pd.DataFrame({"a": [1.0, 2, 3], "b": [4.0, 5, 6], "empty": [np.nan] * 3})
    fig = figures.score_distributions(scores, labels={"a": "Same", "b": "Same"})
    assert [ax.get_title() for ax in fig.axes] == ["Same"]  # a shared label: one panel, both columns
    assert _bars(fig.axes[0])[1].sum() == 6
    assert figures.score_distributions(scores.iloc[:, :0]) is None


@SAME_SEABORN
def test_careless_distributions_is_seaborns_stacked_histogram():
    rng = np.random.default_rng(7)
    indices = pd.DataFrame({"longstring": rng.integers(1, 30, 400).astype(float), "irv": rng.gamma(9, 0.2, 400),
                            "duration": rng.normal(900, 300, 400).clip(60)})  # fmt: skip
    status = pd.Series(np.where(rng.random(400) < 0.1, "excluded", "analysed"))
    fig = figures.careless_distributions(indices, status=status)
    ref, axes = plt.subplots(1, 3, figsize=(10.8, 2.8))
    frame = indices.assign(status=status.to_numpy())
    for ax, col in zip(axes, indices.columns, strict=True):
        sns.histplot(data=frame, x=col, hue="status", hue_order=["analysed", "excluded"], multiple="stack", bins=30,
                     ax=ax, legend=ax is axes[-1])  # fmt: skip
    ref.tight_layout()
    assert_array_equal(_png(fig), _png(ref))
    counts = _bars(fig.axes[1])[1]  # excluded first (at the bottom), then analysed on top
    x = indices["irv"]
    edges = np.histogram_bin_edges(x, 30, (x.min(), x.max()))
    assert_array_equal(counts[:30], np.histogram(x[status == "excluded"], edges)[0])
    assert_array_equal(counts[30:], np.histogram(x[status == "analysed"], edges)[0])
    legend = fig.axes[-1].get_legend()
    assert legend.get_title().get_text() == "status"
    assert [t.get_text() for t in legend.texts] == ["analysed", "excluded"]


@SAME_SEABORN
def test_item_missingness_is_seaborns_bar_chart():
    rng = np.random.default_rng(3)
    data = pd.DataFrame(np.where(rng.random((200, 9)) < rng.random(9) / 5, np.nan, 1.0),
                        columns=[f"q{i}" for i in range(9)])  # fmt: skip
    instruments = {"ecr": {"1": "q0", "2": "q1", "3": "q2"}, "csi": {"1": "q3", "2": "q4"},
                   "cpi": {"1": "q5", "2": "q6", "3": "q7", "4": "q8"}}  # fmt: skip
    labels = {"ecr": "ECR-S", "csi": "CSI-4"}
    fig = figures.item_missingness(data, instruments=instruments, labels=labels)
    ref, ax = plt.subplots(figsize=(11, 3.2))
    rows = [{"instrument": labels.get(i, i), "item": f"{labels.get(i, i)} {item}",
             "pct_missing": 100 * data[c].isna().mean()}
            for i, cols in instruments.items() for item, c in cols.items()]  # fmt: skip
    sns.barplot(data=pd.DataFrame(rows), x="item", y="pct_missing", hue="instrument", dodge=False, ax=ax)
    ax.set_xticks([])
    ax.set_xlabel("items, in questionnaire order")
    ax.set_ylabel("% missing")
    ax.legend(fontsize=8, ncols=4, frameon=False)
    assert_array_equal(_png(fig), _png(ref))
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert_allclose(heights, 100 * data.isna().mean().to_numpy())
    assert [t.get_text() for t in fig.axes[0].get_legend().texts] == ["ECR-S", "CSI-4", "cpi"]


@SAME_SEABORN
def test_a_bar_collection_is_seaborns_histplot():
    values = np.random.default_rng(2).normal(0.3, 0.05, 283)
    fig, ax = plt.subplots(figsize=(4, 3))
    edges = np.histogram_bin_edges(values, 30, (values.min(), values.max()))
    bars = figures._bar_collection(ax, edges, np.histogram(values, edges)[0], facecolor=(*figures._HIST_RGB, 0.75))
    figures._hist_edge_width(ax, [bars], [(edges[0], np.diff(edges).min())])
    ref, ref_ax = plt.subplots(figsize=(4, 3))
    sns.histplot(values, bins=30, color="#4c72b0", ax=ref_ax)
    ref_ax.set_ylabel("")
    assert_allclose(bars.get_linewidth()[0], ref_ax.patches[0].get_linewidth())  # 0.6 pt: edges that show
    assert_array_equal(_png(fig, dpi=100), _png(ref, dpi=100))


def test_person_slopes_histogram_counts_the_slopes():
    from types import SimpleNamespace

    rng = np.random.default_rng(2)
    person_effects = pd.DataFrame({"person": np.repeat(np.arange(80), 2), "term": ["Intercept", "x"] * 80,
                                   "estimate": rng.normal(0, [0.5, 0.1] * 80)})  # fmt: skip
    coefficients = pd.DataFrame({"term": ["Intercept", "x"], "estimate": [4.0, 0.3]})
    result = SimpleNamespace(person_effects=person_effects, outcome="closeness", coefficients=coefficients)
    fig = figures.person_slopes(result, term="x", n_persons=10, seed=1)
    slopes = person_effects.loc[person_effects["term"] == "x", "estimate"]
    assert_array_equal(_bars(fig.axes[1])[1], np.histogram(slopes, 30, (slopes.min(), slopes.max()))[0])
    assert len(fig.axes[0].lines) == 11 and fig.axes[1].get_title() == "Predicted person slopes (shrunken)"


# ------------------------------------------------------------------------------------------------
# Heatmap, box plots, diary panels
# ------------------------------------------------------------------------------------------------
@SAME_SEABORN
@pytest.mark.parametrize("n_scores", [5, 18])
def test_correlation_heatmap_is_seaborns(n_scores):
    rng = np.random.default_rng(n_scores)
    base = rng.normal(size=(120, 1))
    scores = pd.DataFrame(base + rng.normal(size=(120, n_scores)), columns=[f"score {i}" for i in range(n_scores)])
    scores["score 1"] = np.nan  # a score without values: its row and column are blank
    fig = figures.correlation_heatmap(scores)
    corr = scores.corr()
    size = 0.45 * len(corr) + 2
    ref, ax = plt.subplots(figsize=(size + 1, size))
    sns.heatmap(corr, mask=np.triu(np.ones_like(corr, dtype=bool)), vmin=-1, vmax=1, cmap="vlag",
                annot=len(corr) <= 16, fmt=".2f", annot_kws={"size": 7}, square=True, linewidths=0.5,
                cbar_kws={"shrink": 0.6}, ax=ax)  # fmt: skip
    ax.set_title("Pearson correlations (pairwise complete)")
    assert_array_equal(_png(fig), _png(ref))
    texts = [t.get_text() for t in fig.axes[0].texts]
    if n_scores <= 16:  # the lower triangle annotated, without the blank score
        expected = [f"{corr.iloc[i, j]:.2f}" for i in range(n_scores) for j in range(i) if 1 not in (i, j)]
        assert texts == expected
    else:
        assert texts == []
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == list(corr.columns)


@SAME_SEABORN
@pytest.mark.filterwarnings("ignore:vert. bool was deprecated:DeprecationWarning")  # seaborn 0.13.2 on matplotlib 3.11
def test_by_group_is_seaborns_box_plots():
    rng = np.random.default_rng(11)
    data = pd.DataFrame({"sat": rng.normal(size=200), "anx": rng.gamma(2, size=200), "g": rng.integers(1, 4, 200),
                         "h": rng.choice(["b", "a", None], 200)})  # fmt: skip
    data.loc[data["g"] == 3, "anx"] = np.nan  # a group without values of one column: its tick, no box
    data.loc[:4, "sat"] = 6.0  # outliers
    fig = figures.by_group(data, columns=["sat", "anx"], groups=["g", "h"], value_labels={"g": {1: "one"}})
    ref, axes = plt.subplots(2, 2, figsize=(8.4, 5.6), squeeze=False)
    for i, group in enumerate(["g", "h"]):
        frame = data[["sat", "anx", group]].dropna(subset=[group])
        if group == "g":  # what by_group does with value labels: labelled values, the rest as they are
            frame[group] = frame[group].map(lambda v: {1: "one"}.get(v, v)).astype(str)
        frame = frame.astype({group: str})
        for j, col in enumerate(["sat", "anx"]):
            sns.boxplot(data=frame, x=group, y=col, ax=axes[i, j], color="#9db4d6", fliersize=1.5)
            axes[i, j].tick_params(axis="x", labelrotation=20)
    ref.tight_layout()
    assert_array_equal(_png(fig), _png(ref))
    ax = fig.axes[0]
    shown = data["g"].map({1: "one", 2: "2", 3: "3"})
    assert [t.get_text() for t in ax.get_xticklabels()] == list(dict.fromkeys(shown))
    medians = [line.get_ydata()[0] for line in ax.lines[4::6]]  # whiskers, caps (2 each), median, fliers
    assert_allclose(sorted(medians), sorted(data.groupby("g")["sat"].median()))


def test_diary_trajectories_draws_relplots_lines_and_legend():
    rng = np.random.default_rng(5)
    diary = pd.DataFrame({"couple": np.repeat(np.arange(10), 14), "who": np.tile(np.repeat([1, 2], 7), 10),
                          "day": np.tile(np.arange(1, 8), 20),
                          "close": rng.integers(1, 8, 140).astype(float)})  # fmt: skip
    diary.loc[3, "close"] = np.nan  # a missing day: the line joins its neighbours
    diary = diary.sample(frac=1, random_state=1)  # rows in any order: lines run by day
    kwargs = dict(y="close", day="day", dyad="couple", partner="who", n_dyads=4, seed=3)
    fig = figures.diary_trajectories(diary, **kwargs, labels={"close": "Closeness"})
    chosen = np.random.default_rng(3).choice(diary["couple"].unique(), size=4, replace=False)
    ref = sns.relplot(data=diary[diary["couple"].isin(chosen)].astype({"who": str}), x="day", y="close", hue="who",
                      col="couple", col_wrap=3, kind="line", marker="o", height=2.2, aspect=1.4,
                      col_order=sorted(chosen)).figure  # fmt: skip
    assert len(fig.axes) == len(ref.axes) == 4
    assert_allclose(fig.get_size_inches(), ref.get_size_inches())
    for ax, ref_ax, couple in zip(fig.axes, ref.axes, sorted(chosen), strict=True):
        assert ax.get_title() == f"couple {couple}"
        drawn = [line for line in ref_ax.lines if len(line.get_xdata())]  # seaborn adds empty legend lines
        assert len(ax.lines) == len(drawn) == 2
        for line, ref_line in zip(ax.lines, drawn, strict=True):
            assert_array_equal(line.get_xydata(), ref_line.get_xydata())
            assert line.get_color() == ref_line.get_color() and line.get_marker() == ref_line.get_marker() == "o"
            assert line.get_markeredgecolor() == ref_line.get_markeredgecolor() == "w"
        assert ax.get_shared_x_axes().joined(ax, fig.axes[0]) and ax.get_shared_y_axes().joined(ax, fig.axes[0])
    assert [a.get_ylabel() for a in fig.axes] == ["Closeness", "", "", "Closeness"]
    assert [a.get_xlabel() for a in fig.axes] == ["", "day", "day", "day"]  # nothing below panels 2 to 4
    assert not any(t.get_visible() and t.get_text() for t in fig.axes[0].get_xticklabels())  # inner: no labels
    (legend,) = fig.legends
    (ref_legend,) = ref.legends
    assert [t.get_text() for t in legend.texts] == [t.get_text() for t in ref_legend.texts]
    assert [t.get_text() for t in legend.texts] == list(dict.fromkeys(diary["who"].astype(str)))  # as they come
    assert legend.get_title().get_text() == "who"
    ref_box = ref_legend.get_window_extent(ref.canvas.get_renderer())
    assert_allclose(legend.get_window_extent(fig.canvas.get_renderer()).bounds, ref_box.bounds, atol=1.0)


# ------------------------------------------------------------------------------------------------
# Titles fixed in place
# ------------------------------------------------------------------------------------------------
def test_a_title_is_fixed_only_when_nothing_can_be_under_it():
    _, ax = plt.subplots()
    ax.plot(np.linspace(0, 1, 20), np.linspace(0, 10, 20))
    assert figures._title(ax, "plain").get_position()[1] == 1.0 and ax._autotitlepos is False
    _, ax = plt.subplots()
    ax.xaxis.tick_top()
    assert figures._title(ax, "ticks on top") and ax._autotitlepos is not False


def _titled(title, y):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], y)
    title(ax, "A title long enough to reach the offset text", fontsize=10)
    return fig


def _set_title(ax, *args, **kwargs):
    return ax.set_title(*args, **kwargs)


@pytest.mark.parametrize("y", [[0, 35], [1e6, 1e6 + 1]], ids=["plain", "offset text"])
def test_a_title_is_drawn_where_matplotlib_puts_it(y):
    fig = _titled(figures._title, y)
    assert_array_equal(_png(fig), _png(_titled(_set_title, y)))
    fig.canvas.draw()
    ax, renderer = fig.axes[0], fig.canvas.get_renderer()
    if ax.yaxis.offsetText.get_text():  # "+1e6": matplotlib moved the title above it
        assert ax.title.get_window_extent(renderer).y0 >= ax.yaxis.offsetText.get_window_extent(renderer).y1 - 0.5
