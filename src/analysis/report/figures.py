"""Figures used by the notebooks (matplotlib/seaborn; figures are returned, not saved).

Figures that show column names or group values take ``labels`` (``{column: label}``, e.g.
``Dataset.display_labels()``) and, for group values, ``value_labels`` (``{column: {value: label}}``,
``Dataset.value_labels[table]``); names and values without a label are shown as they are. Every
figure carries a one-sentence text description for screen readers in ``fig.get_label()``.

A notebook shows each figure as a PNG and writes it as PNG and SVG, each with a tight bounding
box: the figure is laid out once and then drawn six times (three passes a format), so what a
figure costs is mostly its artists and its text, times seven. Histograms, bar charts, box plots,
the diary panels and the heatmap are therefore drawn with matplotlib directly, as the seaborn
calls they replaced drew them (the same bins, colours, edge widths, labels and legends; seaborn's
figure-level functions add layout passes and full draws of their own); the bars of a histogram
without a legend are one collection, not a patch per bar; and a title with nothing in its way is
fixed above its axes (`_title`) instead of being placed again at every pass.
"""

from __future__ import annotations

import colorsys
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from analysis.apa import format_p
from analysis.data.describe import value_label

__all__ = [
    "score_distributions", "correlation_heatmap", "diary_trajectories", "item_missingness",
    "careless_distributions", "attachment_quadrants", "by_group", "profile_scatter", "forest_plot",
    "interaction_plot", "johnson_neyman_plot", "person_slopes", "forest_plots"
]


_HIST_RGB = (0.2980392156862745, 0.4470588235294118, 0.6901960784313725)  # "#4c72b0", seaborn's deep blue


def _described(fig, text: str):
    """Attach a one-sentence text description (alt text) to `fig` (``fig.get_label()``); return `fig`."""
    fig.set_label(text)
    return fig


def _cycle_colors(n: int, *, desaturate: float = 1.0) -> list[tuple[float, float, float]]:
    """The first `n` colours of matplotlib's colour cycle as RGB, their saturation (HLS) times
    `desaturate`: seaborn's default hue palette (``seaborn.color_palette(None, n, desat=...)``);
    seaborn's "husl" palette when the cycle has fewer than `n` colours."""
    cycle = [mpl.colors.to_rgb(c) for c in mpl.rcParams["axes.prop_cycle"].by_key().get("color", [])]
    if n > len(cycle):
        cycle = [tuple(c) for c in sns.color_palette("husl", n)]
    return _desaturated(cycle[:n], desaturate)


def _desaturated(colors, factor: float) -> list[tuple[float, float, float]]:
    """RGB `colors` with their saturation (HLS) times `factor` (seaborn's ``desaturate``)."""
    if factor == 1.0:
        return list(colors)
    out = []
    for rgb in colors:
        h, lightness, saturation = colorsys.rgb_to_hls(*rgb)
        out.append(colorsys.hls_to_rgb(h, lightness, saturation * factor))
    return out


def _hist_edge_width(ax_or_axes, artists, thinnest: Sequence[tuple[float, float]]) -> None:
    """Set the edge width of histogram bars (`artists`: patches or collections) as seaborn's
    histplot does: a tenth of the width in points of the thinnest bar (``(left edge, width)`` in
    data units, the first of the thinnest in `thinnest`) on the axes where it is narrowest, at most
    ``patch.linewidth``; the axes are autoscaled first."""
    axes = np.atleast_1d(ax_or_axes)
    left, width = min(thinnest, key=lambda lw: lw[1])
    points = np.inf
    for ax in axes:
        ax.autoscale_view()
        (a, _), (b, _) = ax.transData.transform([[left, left], [left + width, left + width]])
        points = min(points, 72 / ax.figure.dpi * abs(b - a))
    for artist in artists:
        artist.set_linewidth(min(0.1 * points, mpl.rcParams["patch.linewidth"]))


def _bar_collection(ax, edges: np.ndarray, heights: np.ndarray, *, facecolor, edgecolor="black", bottom=0.0):
    """Histogram bars from `edges` (n + 1) with `heights` (n) from `bottom` as one `PolyCollection` on `ax`:
    drawn like n bar patches (each filled, then its edge), at the cost of one artist; the y axis
    sticks at 0 and corners are mitred as for bars. Only for axes without a "best"-placed legend,
    which does not see a collection's polygons as patches."""
    x0, x1 = edges[:-1], edges[1:]
    low = np.broadcast_to(np.asarray(bottom, dtype=float), x0.shape)
    high = low + np.asarray(heights, dtype=float)
    verts = np.stack([np.column_stack(p) for p in ((x0, low), (x0, high), (x1, high), (x1, low))], axis=1)
    bars = mpl.collections.PolyCollection(verts, facecolors=[facecolor], edgecolors=[edgecolor], closed=True,
                                          joinstyle="miter", capstyle="butt")  # fmt: skip
    bars.sticky_edges.y[:] = (0, np.inf)
    ax.add_collection(bars, autolim=True)
    ax.autoscale_view()
    return bars


def _heatmap(ax, data: pd.DataFrame, *, mask: np.ndarray, cmap, annot: bool):
    """seaborn's ``heatmap(data, mask=mask, vmin=-1, vmax=1, cmap=cmap, annot=annot, fmt=".2f",
    annot_kws={"size": 7}, square=True, linewidths=0.5, cbar_kws={"shrink": 0.6}, ax=ax)``, drawn
    the same way without its full draw of the figure to see whether tick labels overlap: the
    labels are measured alone."""
    n_rows, n_cols = data.shape
    ax.set_aspect("equal")
    ax.spines[:].set_visible(False)
    mesh = ax.pcolormesh(np.ma.masked_where(mask, data.to_numpy(dtype=float)), cmap=cmap, vmin=-1, vmax=1,
                         linewidths=0.5, edgecolor="white")  # fmt: skip
    ax.set(xlim=(0, n_cols), ylim=(0, n_rows))
    ax.invert_yaxis()
    colorbar = ax.figure.colorbar(mesh, ax=ax, shrink=0.6)
    colorbar.outline.set_linewidth(0)
    size = ax.get_window_extent().transformed(ax.figure.dpi_scale_trans.inverted())
    ticks = []
    for axis, names, length in ((ax.xaxis, data.columns, size.width), (ax.yaxis, data.index, size.height)):
        (tick,) = axis.set_ticks([0])  # labels as many as fit at the tick label size, every k-th
        fit = int(length // (tick.label1.get_size() / 72))
        every = len(names) // fit + 1 if fit >= 1 else 0
        ticks.append((np.arange(0, len(names), every) + 0.5, list(names)[::every]) if every else ([], []))
    ax.set(xticks=ticks[0][0], yticks=ticks[1][0])
    x_labels = ax.set_xticklabels(ticks[0][1])
    y_labels = ax.set_yticklabels(ticks[1][1], rotation="vertical", va="center")
    ax.apply_aspect()  # where the labels will be: turn those that overlap
    renderer = ax.figure.canvas.get_renderer()
    for labels, rotation in ((x_labels, "vertical"), (y_labels, "horizontal")):
        boxes = [label.get_window_extent(renderer) for label in labels]
        if boxes and max(box.count_overlaps(boxes) for box in boxes) > 1:
            for label in labels:
                label.set_rotation(rotation)
    ax.set(xlabel=data.columns.name or "", ylabel=data.index.name or "")
    if annot:
        mesh.update_scalarmappable()
        xs, ys = np.meshgrid(np.arange(n_cols) + 0.5, np.arange(n_rows) + 0.5)
        for x, y, value, color in zip(xs.flat, ys.flat, mesh.get_array().flat, mesh.get_facecolors(), strict=True):
            if value is not np.ma.masked:
                rgb = np.asarray(color[:3])
                rgb = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
                light = rgb @ [0.2126, 0.7152, 0.0722] > 0.408  # relative luminance (W3C)
                ax.text(x, y, f"{value:.2f}", color=".15" if light else "w", ha="center", va="center", size=7)
    return mesh


def _boxplot(ax, data: pd.DataFrame, *, x: str, y: str, color, fliersize: float):
    """seaborn's ``boxplot(data=data, x=x, y=y, color=color, fliersize=fliersize, ax=ax)`` for a
    column `x` of strings, drawn by one `Axes.bxp` call: categories in order of appearance at 0,
    1, ..., boxes 0.8 wide in `color` at 75% saturation, lines in a grey of 60% of its lightness,
    whiskers at 1.5 IQR."""
    (box_color,) = _desaturated([mpl.colors.to_rgb(color)], 0.75)
    grey = colorsys.rgb_to_hls(*box_color)[1] * 0.6
    line = (grey, grey, grey)
    categories = list(dict.fromkeys(data[x].dropna()))
    kept = data[[x, y]].dropna()
    groups = [(i, kept.loc[kept[x] == c, y].to_numpy(dtype=float)) for i, c in enumerate(categories)]
    groups = [(i, values) for i, values in groups if len(values)]
    if groups:
        ax.bxp(mpl.cbook.boxplot_stats([values for _, values in groups], whis=1.5),
               positions=[float(i) for i, _ in groups], widths=0.8, capwidths=0.4, patch_artist=True,
               manage_ticks=False, boxprops={"facecolor": box_color, "edgecolor": line},
               medianprops={"color": line, "solid_capstyle": "butt"},
               whiskerprops={"color": line, "solid_capstyle": "butt"},
               flierprops={"markeredgecolor": line, "markersize": fliersize}, capprops={"color": line})  # fmt: skip
    ax.set_xticks(range(len(categories)), [str(c) for c in categories])
    ax.set_xlim(-0.5, len(categories) - 0.5)
    ax.set_xlabel(x)
    ax.set_ylabel(y)


def _title(ax, text: str, **kwargs):
    """``ax.set_title(text, **kwargs)``, fixed at its default place above the axes (``y=1.0``)
    when nothing can be in its way: matplotlib otherwise looks, at every layout and drawing pass
    (seven for a figure laid out and saved as PNG and SVG), for x ticks on top and a y offset
    text ("1e6") under the title, measuring every y tick label to find the latter. Call it
    after the data are drawn (the offset text depends on the y range)."""
    major = ax.xaxis.get_major_ticks()[0]
    y = None
    if not (major.tick2line.get_visible() or major.label2.get_visible() or ax.xaxis.get_label_position() == "top"):
        formatter = ax.yaxis.get_major_formatter()
        formatter.set_locs(ax.yaxis.get_majorticklocs())
        y = None if formatter.get_offset() else 1.0
    return ax.set_title(text, y=y, **kwargs)


def _names(columns, labels: Mapping[str, str]) -> str:
    return ", ".join(str(labels.get(c, c)) for c in columns)


def score_distributions(scores: pd.DataFrame, *, labels: Mapping[str, str] | None = None, col_wrap: int = 4):
    """Histogram of each score column, one panel each (20 bins over the panel's range, no shared
    axes; `col_wrap` panels a row, 2.86 x 2.2 inches a panel); None if no column.

    The panels of seaborn's ``displot(col=..., col_wrap=..., bins=20, common_bins=False,
    height=2.2, aspect=1.3)``, drawn with one `numpy.histogram` and one collection of bars a panel
    and a single layout pass (seaborn's FacetGrid lays the figure out twice); columns whose
    labels are the same share a panel, and a column without values has none.
    """
    labels = labels or {}
    if scores.shape[1] == 0:
        return None  # nothing scored
    panels: dict[object, list[np.ndarray]] = {}  # label -> values (columns sharing a label share a panel)
    for col in scores.columns:
        values = scores[col].to_numpy(dtype=float, na_value=np.nan)
        values = values[~np.isnan(values)]
        if len(values):
            panels.setdefault(labels.get(col, col), []).append(values)
    n_cols = col_wrap
    n_rows = -(-len(panels) // col_wrap)
    height, aspect = 2.2, 1.3
    fig = plt.figure(figsize=(n_cols * height * aspect, max(n_rows, 1) * height))
    axes, bars, thinnest = [], [], []
    for i, (title, parts) in enumerate(panels.items()):
        values = np.concatenate(parts)
        ax = fig.add_subplot(n_rows, n_cols, i + 1)
        edges = np.histogram_bin_edges(values, 20, (values.min(), values.max()))
        counts, _ = np.histogram(values, edges)
        bars.append(_bar_collection(ax, edges, counts, facecolor=(*_HIST_RGB, 0.75)))
        thinnest.append((edges[np.argmin(np.diff(edges))], np.diff(edges).min()))
        axes.append(ax)
        ax.spines[["top", "right"]].set_visible(False)
        _title(ax, str(title), size=9)
        if i % n_cols == 0:
            ax.set_ylabel("Count")
    if axes:
        _hist_edge_width(axes, bars, thinnest)
    fig.tight_layout()
    return _described(fig, f"Histograms of {scores.shape[1]} scores, one panel each: "
                           f"{_names(scores.columns, labels)}.")  # fmt: skip


def correlation_heatmap(scores: pd.DataFrame, *, labels: Mapping[str, str] | None = None):
    """Lower-triangle heatmap of pairwise Pearson correlations between score columns (None if
    fewer than two)."""
    labels = labels or {}
    if scores.shape[1] < 2:
        return None  # no pair to correlate
    corr = scores.corr().rename(index=labels, columns=labels)
    mask = np.triu(np.ones_like(corr, dtype=bool))
    size = 0.45 * len(corr) + 2
    fig, ax = plt.subplots(figsize=(size + 1, size))
    _heatmap(ax, corr, mask=mask | corr.isna().to_numpy(), cmap=mpl.colormaps["vlag"], annot=len(corr) <= 16)
    _title(ax, "Pearson correlations (pairwise complete)")
    return _described(fig, f"Heatmap of the Pearson correlations between {_names(scores.columns, labels)} "
                           "(lower triangle).")  # fmt: skip


def diary_trajectories(diary: pd.DataFrame, *, y: str, day: str, dyad: str, partner: str, n_dyads: int = 6,
                       seed: int | None = None, labels: Mapping[str, str] | None = None,
                       value_labels: Mapping[str, Mapping] | None = None):  # fmt: skip
    """Daily trajectories of `y` for both partners of `n_dyads` couples drawn with `seed`; axes
    and legend title from `labels`, partner values from ``value_labels[partner]``.

    One panel per couple (3 a row, shared axes, 3.08 x 2.2 inches each), one line with markers
    per partner, the legend right of the panels: seaborn's ``relplot(kind="line", marker="o",
    col=dyad, col_wrap=3, height=2.2, aspect=1.4)`` without its two full draws of the figure to
    place the legend."""
    labels, value_labels = labels or {}, value_labels or {}
    rng = np.random.default_rng(seed)
    chosen = rng.choice(diary[dyad].unique(), size=min(n_dyads, diary[dyad].nunique()), replace=False)
    sub = diary[diary[dyad].isin(chosen)].astype({partner: str})
    if partner in value_labels:
        sub[partner] = diary.loc[sub.index, partner].map(lambda v: value_label(v, value_labels[partner]))
    levels = list(dict.fromkeys(sub[partner].dropna()))  # partners in order of appearance (seaborn's hue order)
    sub = sub.dropna(subset=[day, y])
    colors = _cycle_colors(len(levels))
    panels = sorted(chosen)
    n_cols, height, aspect = 3, 2.2, 1.4
    n_rows = -(-len(panels) // n_cols)
    fig = plt.figure(figsize=(n_cols * height * aspect, n_rows * height))
    first = None  # the axes all share their x and y axes with the first
    for i, dyad_id in enumerate(panels):
        ax = fig.add_subplot(n_rows, n_cols, i + 1, sharex=first, sharey=first)
        first = ax if first is None else first
        couple = sub[sub[dyad] == dyad_id]
        for level, color in zip(levels, colors, strict=True):
            line = couple[couple[partner] == level].sort_values([day, y])
            if line.empty:
                continue
            if line[day].duplicated().any():  # several values a day: their mean (seaborn's estimator; no band)
                line = line.groupby(day, sort=True)[[y]].mean().reset_index()
            ax.plot(line[day].to_numpy(), line[y].to_numpy(), marker="o", markeredgewidth=0.75, markeredgecolor="w",
                    color=color)  # fmt: skip
        _title(ax, f"couple {dyad_id}", size=9)
        ax.spines[["top", "right"]].set_visible(False)
        if i + n_cols >= len(panels):  # nothing below: the x axis is labelled
            ax.set_xlabel(labels.get(day, day))
        else:
            ax.tick_params(axis="x", labelbottom=False)
            ax.xaxis.offsetText.set_visible(False)
        if i % n_cols == 0:
            ax.set_ylabel(labels.get(y, y))
        else:
            ax.tick_params(axis="y", labelleft=False)
            ax.yaxis.offsetText.set_visible(False)
    fig.tight_layout()
    if levels:  # one legend for the figure, in a margin added on the right (seaborn's FacetGrid.add_legend)
        handles = [mpl.lines.Line2D([], [], color=c, marker="o") for c in colors]
        legend = fig.legend(handles, levels, frameon=False, loc="center right", scatterpoints=1,
                            title=labels.get(partner, partner))  # fmt: skip
        width, fig_height = fig.get_size_inches()
        legend_width = legend.get_window_extent(fig.canvas.get_renderer()).width / fig.dpi
        fig.set_size_inches(width + legend_width, fig_height)
        fig.subplots_adjust(right=1 - (0.01 + legend_width / (width + legend_width)))
    return _described(fig, f"Line plots of {labels.get(y, y)} by {labels.get(day, day)} for both partners "
                           f"of {len(chosen)} couples, one panel per couple.")  # fmt: skip


def item_missingness(data: pd.DataFrame, *, instruments: Mapping[str, Mapping[str, str]],
                     labels: Mapping[str, str] | None = None):  # fmt: skip
    """Bar chart of the % of respondents who left each item empty, grouped by instrument (None
    if there are no items): one bar per item in questionnaire order, coloured by instrument as
    seaborn's ``barplot(hue="instrument", dodge=False)`` colours them."""
    labels = labels or {}
    rows = [{"instrument": labels.get(ins, ins), "item": f"{labels.get(ins, ins)} {item}",
             "pct_missing": 100 * data[col].isna().mean()}
            for ins, cols in instruments.items() for item, col in cols.items()]  # fmt: skip
    if not rows:
        return None  # no instrument items
    frame = pd.DataFrame(rows)
    fig, ax = plt.subplots(figsize=(11, 3.2))
    position = {item: i for i, item in enumerate(dict.fromkeys(frame["item"]))}  # questionnaire order
    levels = list(dict.fromkeys(frame["instrument"]))
    colors = _cycle_colors(len(levels), desaturate=0.75)  # seaborn barplot's hue colours
    for level, color in zip(levels, colors, strict=True):
        heights = frame[frame["instrument"] == level].groupby("item", sort=False)["pct_missing"].mean()
        ax.bar([position[item] - 0.4 for item in heights.index], heights.to_numpy(), 0.8, align="edge", color=color)
    ax.set_xlim(-0.5, len(position) - 0.5)
    ax.set_xticks([])
    ax.set_xlabel("items, in questionnaire order")
    ax.set_ylabel("% missing")
    ax.legend([mpl.patches.Patch(facecolor=c, edgecolor="none") for c in colors], levels, fontsize=8, ncols=4,
              frameon=False)  # fmt: skip
    return _described(fig, f"Bar chart of the percentage of respondents who left each of {len(frame)} items empty, "
                           f"by instrument ({', '.join(frame['instrument'].unique())}); highest "
                           f"{frame['pct_missing'].max():.1f}%.")  # fmt: skip


def careless_distributions(indices: pd.DataFrame, *, status: pd.Series):
    """Histograms of careless-responding indices (30 bins over each index's range), analysed vs
    excluded rows stacked (excluded at the bottom); the legend (title "status") on the last panel."""
    cols = [c for c in ("longstring", "irv", "duration") if c in indices]
    if not cols:
        return None
    fig, axes = plt.subplots(1, len(cols), figsize=(3.6 * len(cols), 2.8))
    axes = np.atleast_1d(axes)
    levels = ["analysed", "excluded"]
    colors = _cycle_colors(len(levels))
    who = pd.Series(status.to_numpy(), index=indices.index)
    for ax, col in zip(axes, cols, strict=True):
        values = pd.to_numeric(indices[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        known = ~np.isnan(values) & who.notna().to_numpy()
        if known.any():
            x, groups = values[known], who.to_numpy()[known]
            edges = np.histogram_bin_edges(x, 30, (x.min(), x.max()))
            counts = {lv: np.histogram(x[groups == lv], edges)[0] for lv in levels if (groups == lv).any()}
            bottom, bars = np.zeros(len(edges) - 1), []
            for level in levels[::-1]:  # stacked from the last level up; drawn in that order
                if level not in counts:
                    continue
                color = (*colors[levels.index(level)], 0.75)
                if ax is axes[-1]:  # patches: the legend's "best" place keeps clear of them
                    made = ax.bar(edges[:-1], counts[level], np.diff(edges), bottom, align="edge", facecolor=color,
                                  edgecolor="black")  # fmt: skip
                    for bar in made:
                        bar.sticky_edges.y[:] = (0, np.inf)
                    bars.extend(made)
                else:
                    bars.append(_bar_collection(ax, edges, counts[level], facecolor=color, bottom=bottom))
                bottom = bottom + counts[level]
            _hist_edge_width(ax, bars, [(edges[0], np.diff(edges).min())])
        ax.set_xlabel(col)
        ax.set_ylabel("Count")
        if ax is axes[-1]:
            handles = [mpl.patches.Patch(facecolor=(*c, 0.75), edgecolor="black") for c in colors]
            ax.legend(handles, levels, title="status")
    fig.tight_layout()
    return _described(fig, f"Histograms of {', '.join(cols)}, analysed and excluded rows stacked.")


def attachment_quadrants(scores: pd.DataFrame, *, styles: pd.Series, title: str = "",
                         labels: Mapping[str, str] | None = None):  # fmt: skip
    """Anxiety x avoidance: each respondent (hexagonal bins when n > 5,000), the cut lines of the
    style rule and the four regions (secure, preoccupied, dismissing, fearful) labelled; axis
    titles ``labels["avoidance"]``, ``labels["anxiety"]`` (default "Attachment avoidance", ...)."""
    labels = labels or {}
    cut_anx, cut_avo = styles.attrs["cut_anxiety"], styles.attrs["cut_avoidance"]
    data = scores.assign(style=styles).dropna()
    fig, ax = plt.subplots(figsize=(6.4, 5.4))
    if len(data) > 5000:
        hb = ax.hexbin(data["avoidance"], data["anxiety"], gridsize=35, cmap="Blues", mincnt=1)
        fig.colorbar(hb, ax=ax, label="respondents")
    else:
        sns.scatterplot(data=data, x="avoidance", y="anxiety", hue="style", s=14, alpha=0.7, ax=ax,
                        hue_order=["secure", "preoccupied", "dismissing", "fearful"])  # fmt: skip
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False, title="style")
    ax.axvline(cut_avo, color="0.3", lw=1, ls="--")
    ax.axhline(cut_anx, color="0.3", lw=1, ls="--")
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    shares = []
    for text, x, y in (("secure", x0, y0), ("dismissing", x1, y0), ("preoccupied", x0, y1), ("fearful", x1, y1)):
        share = 100 * (data["style"] == text).mean()
        shares.append(f"{text} {share:.0f}%")
        ax.text(x, y, f" {text} {share:.0f}% ", ha="left" if x == x0 else "right", va="bottom" if y == y0 else "top",
                fontsize=10, weight="bold", color="0.15", bbox={"fc": "white", "alpha": 0.7, "lw": 0})  # fmt: skip
    x_title, y_title = labels.get("avoidance", "Attachment avoidance"), labels.get("anxiety", "Attachment anxiety")
    ax.set_xlabel(x_title)
    ax.set_ylabel(y_title)
    _title(ax, title or f"Four regions ({styles.attrs['rule']} split)")
    return _described(fig, f"Scatter plot of {y_title} against {x_title} for {len(data)} respondents, split into four "
                           f"regions at the cut lines: {', '.join(shares)}.")  # fmt: skip


def by_group(data: pd.DataFrame, *, columns: Sequence[str], groups: Sequence[str],
             labels: Mapping[str, str] | None = None, value_labels: Mapping[str, Mapping] | None = None):  # fmt: skip
    """Box plots of each of `columns` (panel columns) by each grouping column (panel rows);
    grouping columns absent from `data` are skipped. Axis titles from `labels`, group values
    from `value_labels` (``{group: {value: label}}``). None if there is nothing to draw."""
    labels, value_labels = labels or {}, value_labels or {}
    cols = list(columns)
    present = [g for g in groups if g in data.columns and data[g].notna().any()]
    if not present or not cols:
        return None
    fig, axes = plt.subplots(len(present), len(cols), figsize=(4.2 * len(cols), 2.8 * len(present)), squeeze=False)
    for i, group in enumerate(present):
        frame = data[cols + [group]].dropna(subset=[group])
        if group in value_labels:
            frame[group] = frame[group].map(lambda v, g=group: value_label(v, value_labels[g])).astype(str)
        else:
            frame = frame.astype({group: str})
        for j, col in enumerate(cols):
            _boxplot(axes[i, j], frame, x=group, y=col, color="#9db4d6", fliersize=1.5)
            axes[i, j].tick_params(axis="x", labelrotation=20)
            axes[i, j].set_xlabel(labels.get(group, group))
            axes[i, j].set_ylabel(labels.get(col, col))
    fig.tight_layout()
    return _described(fig, f"Box plots of {_names(cols, labels)} by {_names(present, labels)}.")


def profile_scatter(data: pd.DataFrame, *, x: str, y: str, membership: pd.DataFrame,
                    labels: Mapping[str, str] | None = None):  # fmt: skip
    """Respondents coloured by latent profile (a random 5,000 shown when there are more); axis
    titles from `labels`."""
    labels = labels or {}
    frame = data.loc[membership.index, [x, y]].assign(profile=membership["profile"].astype(str))
    if len(frame) > 5000:
        frame = frame.sample(5000, random_state=0)
    fig, ax = plt.subplots(figsize=(6, 5))
    sns.scatterplot(data=frame, x=x, y=y, hue="profile", s=12, alpha=0.6, ax=ax,
                    hue_order=sorted(frame["profile"].unique()))  # fmt: skip
    ax.set_xlabel(labels.get(x, x))
    ax.set_ylabel(labels.get(y, y))
    _title(ax, "Latent profiles")
    return _described(fig, f"Scatter plot of {labels.get(y, y)} against {labels.get(x, x)}, respondents coloured by "
                           f"their latent profile ({frame['profile'].nunique()} profiles).")  # fmt: skip


def forest_plot(result, *, xlabel: str = "Estimate", null: float | None = 0.0, transform=None):
    """Forest plot of an ``analysis.meta.random_effects`` result: each study's estimate (square
    sized by its weight) and CI, the pooled estimate as a diamond spanning its CI, and the
    prediction interval as a line through the diamond. `transform` (e.g. ``numpy.tanh`` for
    Fisher z) maps every value before drawing; `null` draws a reference line (None: no line)."""
    from analysis.apa import format_ci, format_value  # text formatting lives in analysis.report

    f = transform or (lambda v: v)
    studies, pooled = result.studies, result.pooled.iloc[0]
    level = result.pooled.attrs.get("level", 0.95)
    k = len(studies)
    fig, ax = plt.subplots(figsize=(7.5, 0.38 * (k + 3) + 1.2))
    ys = np.arange(k, 0, -1) + 1.0
    sizes = 30 + 250 * studies["weight"].to_numpy() / studies["weight"].max()
    ax.hlines(ys, f(studies["ci_low"].to_numpy()), f(studies["ci_high"].to_numpy()), color="0.25", lw=1.2)
    ax.scatter(f(studies["estimate"].to_numpy()), ys, s=sizes, marker="s", color="#4c72b0", zorder=3)
    est, lo, hi = (f(pooled[c]) for c in ("estimate", "ci_low", "ci_high"))
    ax.fill([lo, est, hi, est], [0.5, 0.78, 0.5, 0.22], color="#c44e52", zorder=3)
    if pooled["method"] != "FE":
        ax.hlines(0.5, f(pooled["pi_low"]), f(pooled["pi_high"]), color="#c44e52", lw=1.2, zorder=2)
    if null is not None:
        ax.axvline(f(null), color="0.5", lw=0.8, ls="--")
    labels = list(studies["term"]) + [f"Pooled ({pooled['method']})"]
    ax.set_yticks(list(ys) + [0.5], labels)
    right = [f"{format_value(f(e))} {format_ci(f(a), f(b), level=level)[len(f'{100 * level:g}% CI '):]}  "
             f"{format_value(w, 1)}%" for e, a, b, w in
             zip(studies["estimate"], studies["ci_low"], studies["ci_high"], studies["weight"],
                 strict=True)]  # fmt: skip
    right.append(f"{format_value(est)} [{format_value(lo)}, {format_value(hi)}]")
    for y, text in zip(list(ys) + [0.5], right, strict=True):
        ax.annotate(text, xy=(1.02, y), xycoords=("axes fraction", "data"), va="center", fontsize=8)
    ax.set_ylim(-0.2, k + 1.8)
    ax.set_xlabel(xlabel)
    note = "" if pooled["method"] == "FE" else f"; line: {100 * level:g}% prediction interval"
    _title(ax, f"Estimates with {100 * level:g}% CI (diamond: pooled{note})", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _described(fig, f"Forest plot of {k} estimates with {100 * level:g}% confidence intervals and the pooled "
                           f"estimate {format_value(est)} [{format_value(lo)}, {format_value(hi)}].")  # fmt: skip


__all__ += ["forest_plot"]


def interaction_plot(result, *, x_label: str | None = None, y_label: str | None = None, w_label: str | None = None,
                     labels: Mapping[str, str] | None = None):  # fmt: skip
    """Simple slopes of a moderation result (`analysis.moderation.moderation`): predicted Y across
    the probe values of X, one line per probe value of W (panels by Z in model 3), covariates at
    their means (PROCESS's "data for visualizing the conditional effect"). Names shown: the
    ``*_label`` arguments, else ``labels`` (``{column: label}``, also for Z), else the columns."""
    labels = labels or {}
    vis = result.visual
    x, w, z = result.x, result.w, result.z
    x_label, w_label = x_label or labels.get(x, x), w_label or labels.get(w, w)
    y_label = y_label or labels.get(result.y, result.y)
    panels = [None] if z is None else sorted(vis[z].unique())
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.6), squeeze=False, sharey=True)
    palette = sns.color_palette("crest", n_colors=vis[w].nunique())
    for ax, zval in zip(axes[0], panels, strict=True):
        sub = vis if zval is None else vis[vis[z] == zval]
        for color, (wval, line) in zip(palette, sub.groupby(w, sort=True), strict=True):
            ax.plot(line[x], line["y_hat"], marker="o", color=color, label=f"{wval:.2f}")
        ax.set_xlabel(x_label)
        if zval is not None:
            _title(ax, f"{labels.get(z, z)} = {zval:.2f}", fontsize=10)
    axes[0, 0].set_ylabel(f"predicted {y_label}")
    axes[0, -1].legend(title=w_label, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.tight_layout()
    by_z = "" if z is None else f", one panel per value of {labels.get(z, z)}"
    return _described(fig, f"Line plot of predicted {y_label} across {x_label}, one line per value of {w_label}"
                           f"{by_z}.")  # fmt: skip


def johnson_neyman_plot(result, *, x_label: str | None = None, w_label: str | None = None,
                        labels: Mapping[str, str] | None = None):  # fmt: skip
    """Conditional effect of X (model 3: of the X*W interaction) across the moderator with its
    confidence band; Johnson-Neyman boundaries marked and the significant region shaded. Names
    shown: `x_label` (X), `w_label` (the moderator on the x axis), else ``labels``, else the columns."""
    labels = labels or {}
    curve, jn = result.jn_curve, result.johnson_neyman
    mod = result.w if result.z is None else result.z
    x_name = x_label or labels.get(result.x, result.x)
    what = (f"effect of {x_name}" if result.z is None
            else f"{x_name} \u00d7 {labels.get(result.w, result.w)} interaction")  # fmt: skip
    fig, ax = plt.subplots(figsize=(6.2, 3.8))
    ax.plot(curve["moderator"], curve["estimate"], color="#1f4e79", lw=2, label="conditional effect")
    ax.fill_between(curve["moderator"], curve["ci_low"], curve["ci_high"], color="#9db4d6", alpha=0.5,
                    label=f"{100 * result.ci:g}% CI")  # fmt: skip
    signif = (curve["ci_low"] > 0) | (curve["ci_high"] < 0)
    ax.fill_between(curve["moderator"], 0, 1, where=signif.to_numpy(), transform=ax.get_xaxis_transform(),
                    color="0.85", alpha=0.5, lw=0, label="significant")  # fmt: skip
    ax.axhline(0, color="0.3", lw=0.8)
    for value in jn["value"]:
        ax.axvline(value, color="#b03a2e", ls="--", lw=1)
        ax.annotate(f"{value:.2f}", (value, 1), xycoords=("data", "axes fraction"), xytext=(3, -12),
                    textcoords="offset points", color="#b03a2e", fontsize=9)  # fmt: skip
    ax.set_xlabel(w_label or labels.get(mod, mod))
    ax.set_ylabel(f"conditional {what}")
    ax.legend(frameon=False, fontsize=8, loc="best")
    fig.tight_layout()
    bounds = ", ".join(f"{v:.2f}" for v in jn["value"]) or "none"
    return _described(fig, f"Line plot of the conditional {what} across {w_label or labels.get(mod, mod)} with its "
                           f"{100 * result.ci:g}% confidence band; Johnson-Neyman boundaries: {bounds}.")  # fmt: skip


__all__ += ["interaction_plot", "johnson_neyman_plot"]


def person_slopes(result, *, term: str, x_range: tuple[float, float] = (-2.0, 2.0), n_persons: int | None = 60,
                  seed: int | None = None, x_label: str | None = None, y_label: str | None = None):  # fmt: skip
    """Person-specific slopes of a multilevel model (`analysis.multilevel.mixed_model` with a
    random slope for `term`): left, a spaghetti plot of each person's predicted line
    ``(intercept + u0_i) + (slope + u1_i) * x`` over `x_range` (other predictors at 0; a random
    `n_persons` drawn with `seed`, None = all) with the average line in bold; right, the
    distribution of the person slopes with the fixed slope marked."""
    from analysis.apa import format_value  # text formatting lives in analysis.report

    pe = result.person_effects.pivot(index="person", columns="term", values="estimate")
    if term not in pe.columns:
        from analysis.exceptions import ParameterError

        raise ParameterError(f"{term!r} has no random slope in this model; random terms: {', '.join(pe.columns)}.")
    coef = result.coefficients.set_index("term")["estimate"]
    fixed_int, fixed_slope = coef.get("Intercept", 0.0), coef[term]
    ints = pe["Intercept"] if "Intercept" in pe.columns else pd.Series(fixed_int, index=pe.index)
    shown = pe.index
    if n_persons is not None and n_persons < len(pe):
        shown = np.random.default_rng(seed).choice(pe.index.to_numpy(), size=n_persons, replace=False)
    xs = np.array(x_range, dtype=float)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1.6, 1]})
    for p in shown:
        ax.plot(xs, ints[p] + pe.loc[p, term] * xs, color="#4c72b0", alpha=0.35, lw=0.9)
    ax.plot(xs, fixed_int + fixed_slope * xs, color="#c44e52", lw=3, label="average person")
    ax.set_xlabel(x_label or term)
    ax.set_ylabel(y_label or result.outcome)
    _title(ax, f"Person-specific lines ({len(shown)} of {len(pe)} persons)", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    slopes = pe[term].to_numpy(dtype=float, na_value=np.nan)
    slopes = slopes[~np.isnan(slopes)]
    if len(slopes):
        edges = np.histogram_bin_edges(slopes, 30, (slopes.min(), slopes.max()))
        bars = _bar_collection(ax2, edges, np.histogram(slopes, edges)[0], facecolor=(*_HIST_RGB, 0.75))
        _hist_edge_width(ax2, [bars], [(edges[np.argmin(np.diff(edges))], np.diff(edges).min())])
    ax2.axvline(fixed_slope, color="#c44e52", lw=2)
    ax2.set_xlabel(f"slope of {x_label or term} (fixed {format_value(fixed_slope)})")
    ax2.set_ylabel("persons")
    _title(ax2, "Predicted person slopes (shrunken)", fontsize=10)
    for a in (ax, ax2):
        a.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _described(fig, f"Left: predicted lines of {len(shown)} of {len(pe)} persons and the average line "
                           f"(slope {format_value(fixed_slope)}); right: histogram of the person slopes of "
                           f"{x_label or term}.")  # fmt: skip


__all__ += ["person_slopes"]


def forest_plots(scorecard):
    """One forest plot per claim of a `claims.Scorecard` tested on two or more data sets
    (correlations pooled on Fisher's z and drawn as r); returns the list of figures."""
    figures = []
    for row in scorecard.meta.itertuples():
        is_r = row.scale == "r"
        fig = forest_plot(scorecard.meta_results[row.claim], transform=np.tanh if is_r else None,
                          xlabel="r" if is_r else "Estimate")
        fig.suptitle(row.claim, fontsize=10, x=0.02, ha="left")
        fig.tight_layout()
        figures.append(_described(fig, f"{row.claim}: {fig.get_label()}"))
    return figures


__all__ += ["forest_plots"]


def regression_checks(result, *, label: str | None = None):
    """Residuals against fitted values and a normal Q-Q plot of the standardized residuals of a
    linear model (``ols(...)``, read from its ``.diagnostics.influence``), side by side.

    Left: a flat, even band around zero (the lowess line near zero) fits the linearity and
    equal-variance assumptions; a funnel means heteroscedasticity. Right: points on the line mean
    normal residuals; the most influential rows (Cook's distance) are marked with their id.
    None when the model has no diagnostics.
    """
    diag = getattr(result, "diagnostics", None)
    if diag is None or diag.influence.empty:
        return None
    inf = diag.influence.dropna(subset=["fitted", "residual", "std_residual"])
    name = label or diag.outcome
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.8))
    left.scatter(inf["fitted"], inf["residual"], s=8, alpha=0.45, color="#4c72b0", rasterized=len(inf) > 2000)
    left.axhline(0, color="0.3", lw=0.8, ls="--")
    if len(inf) > 10:
        from statsmodels.nonparametric.smoothers_lowess import lowess

        smooth = lowess(inf["residual"], inf["fitted"], frac=0.6, return_sorted=True)
        left.plot(smooth[:, 0], smooth[:, 1], color="#c44e52", lw=1.5)
    left.set_xlabel(f"Fitted {name}")
    left.set_ylabel("Residual")
    _title(left, "Residuals vs fitted")
    right.scatter(inf["normal_quantile"], inf["std_residual"], s=8, alpha=0.45, color="#4c72b0",
                  rasterized=len(inf) > 2000)  # fmt: skip
    lim = [float(np.nanmin(inf["normal_quantile"])), float(np.nanmax(inf["normal_quantile"]))]
    right.plot(lim, lim, color="0.3", lw=0.8, ls="--")
    top = diag.most_influential(3)
    who = "person" if "person" in top.columns and top["person"].notna().all() else "row"
    for i, row in enumerate(top.itertuples(index=False)):
        hit = inf[inf["row"] == row.row]
        if len(hit):
            right.annotate(str(getattr(row, who)), (hit["normal_quantile"].iloc[0], hit["std_residual"].iloc[0]),
                           fontsize=7, xytext=(8, -4 + 9 * i), textcoords="offset points",
                           arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "0.4"})  # fmt: skip
    right.set_xlabel("Normal quantile")
    right.set_ylabel("Standardized residual")
    _title(right, "Normal Q-Q")
    fig.tight_layout()
    bp = diag.tests.set_index("test").get("p_value", pd.Series(dtype=float)).get("breusch_pagan", np.nan)
    return _described(fig, f"Two panels for the model of {name} ({len(inf):,} rows): left, residuals against "
                           "fitted values with a smoothed line"
                           + (f" (Breusch-Pagan {format_p(bp)})" if pd.notna(bp) else "")
                           + "; right, a normal Q-Q plot of the standardized residuals, the three most "
                           f"influential rows labelled ({', '.join(str(getattr(r, who)) for r in top.itertuples())}).")


__all__ += ["regression_checks"]


def variance_shares(result, *, value_labels: Mapping | None = None):
    """Stacked horizontal bars of a Social Relations Model (``srm(...)``, its ``.variance_shares``):
    one bar per directed dyad (rater -> member rated), split into the shares of the family,
    actor, partner, relationship and (two indicators) error variance of one rating; each bar sums
    to 1. `value_labels` (``{role: label}``, e.g. ``Dataset.value_labels[table][actor]``) names
    the roles in the dyads; roles without a label are shown as they are."""
    from analysis.apa import format_value  # text formatting lives in analysis.report

    value_labels = value_labels or {}
    shares = result.variance_shares.set_index("dyad")
    shares.index = [" -> ".join(value_label(r, value_labels) for r in dyad.split("->")) for dyad in shares.index]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(shares) + 1.5))
    shares.plot.barh(stacked=True, ax=ax, xlim=(0, 1), colormap="viridis", xlabel="Share of the variance of a rating",
                     ylabel="Rater -> member rated")  # fmt: skip
    ax.invert_yaxis()
    ax.legend(title="Component", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _title(ax, "Sources of variance in each directed dyad")
    mean = ", ".join(f"{name} {format_value(100 * v, 1)}%" for name, v in shares.mean().items())
    return _described(fig, f"Stacked horizontal bars, one per directed dyad ({len(shares)}, rater to member rated): "
                           f"the shares of the {', '.join(shares.columns[:-1])} and {shares.columns[-1]} variance "
                           f"in a rating, summing to 1; on average {mean}.")  # fmt: skip


__all__ += ["variance_shares"]


_SPEC_COLORS = {"positive": "#1f5fa8", "negative": "#b2182b", "none": "0.55"}  # significant +, significant -, not


def _multiverse_parts(result_or_table, decisions):
    """(specifications table, {decision: [option, ...]}) of a multiverse result or its table."""
    table = getattr(result_or_table, "specifications", result_or_table)
    if not isinstance(table, pd.DataFrame):
        from analysis.exceptions import ParameterError

        raise ParameterError("specification_curve: pass a multiverse result (`run_multiverse(...)`) or its "
                             f"`.specifications` table, not {type(result_or_table).__name__}.")  # fmt: skip
    missing = [c for c in ("estimate", "ci_low", "ci_high", "p_value", "status") if c not in table.columns]
    if missing:
        from analysis.exceptions import ParameterError

        raise ParameterError(f"specification_curve: the specifications table has no column(s) {', '.join(missing)}; "
                             "it needs one row per specification with estimate, ci_low, ci_high, p_value and "
                             "status (the `.specifications` of a multiverse result).")  # fmt: skip
    if decisions is None:
        spec = getattr(result_or_table, "spec", None)
        decisions = getattr(spec, "decisions", None) or getattr(result_or_table, "decisions", None) or None
    if decisions is None:
        from analysis.report.multiverse import decision_columns

        decisions = decision_columns(table)
    absent = [d for d in decisions if d not in table.columns]
    if absent:
        from analysis.exceptions import ParameterError

        raise ParameterError(f"specification_curve: decision(s) {', '.join(map(repr, absent))} are not columns of "
                             f"the specifications table (columns: {', '.join(map(str, table.columns))}).")  # fmt: skip
    if not isinstance(decisions, Mapping):
        decisions = {d: list(dict.fromkeys(table[d].dropna().astype(str))) for d in decisions}
    return table, {str(d): [str(o) for o in options] for d, options in decisions.items()}


def _short(text: str, width: int = 42) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def specification_curve(result_or_table, *, effect_label: str | None = None, ci: float | None = None,
                        decisions: Sequence[str] | Mapping[str, Sequence] | None = None,
                        labels: Mapping[str, str] | None = None,
                        value_labels: Mapping[str, Mapping] | None = None):  # fmt: skip
    """Specification curve of a multiverse (Simonsohn, Simmons & Nelson, 2020): the estimate of
    every fitted specification, sorted from lowest to highest, with its confidence interval (top
    panel), and below it the decision panel: one row per option of each decision, a mark where a
    specification used that option, so a region of the curve can be read off as the choices
    behind it.

    Parameters
    ----------
    result_or_table : MultiverseResult or pandas.DataFrame
        A multiverse result (``run_multiverse(...)``; its ``.specifications``) or that table: one
        row per specification with the decision columns, ``estimate``, ``ci_low``, ``ci_high``,
        ``p_value`` and ``status``. Only rows with status "ok" are drawn; failed and incompatible
        specifications are counted in the title.
    effect_label : str, optional
        What the estimate is (the y axis of the top panel), e.g. "b of married on happiness";
        default: the result's ``parameters["effect"]`` (the spec's effect label), else "Estimate".
    ci : float, optional
        Confidence level of the intervals in the table (default: the result's
        ``parameters["ci"]``, else 0.95); a specification is significant when ``p_value < 1 - ci``,
        positive or negative by the sign of its estimate.
    decisions : sequence of str or mapping, optional
        The decision columns (a mapping ``{decision: [options in order]}`` also fixes the order
        of the rows); default: the result's ``decisions``, else every column that is not a result
        column (`analysis.report.multiverse.decision_columns`).
    labels : mapping, optional
        ``{decision: label}`` for the decision names.
    value_labels : mapping, optional
        ``{decision: {option: label}}`` for the option names.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes sharing x (the rank of the specification, 1 = lowest estimate): ``fig.axes[0]``
        the curve (points coloured blue when significantly positive, red when significantly
        negative, grey otherwise; a dashed line at the median estimate, a solid one at 0),
        ``fig.axes[1]`` the decision panel (a bold row per decision name, then its options).
        The text description (``fig.get_label()``) gives the range, median and counts.

    Raises
    ------
    ParameterError
        Not a multiverse table, a column missing, a decision that is not a column, or no
        specification fitted.

    References
    ----------
    Simonsohn, U., Simmons, J. P., & Nelson, L. D. (2020). Specification curve analysis.
    *Nature Human Behaviour, 4*, 1208-1214.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"spec_id": ["a", "b", "c"], "covariates": ["none", "age", "none"],
    ...                       "model": ["ols", "ols", "logit"], "estimate": [0.3, 0.1, -0.2],
    ...                       "ci_low": [0.1, -0.1, -0.5], "ci_high": [0.5, 0.3, 0.1],
    ...                       "p_value": [0.004, 0.3, 0.2], "status": ["ok"] * 3})
    >>> fig = specification_curve(table, effect_label="b")
    >>> fig.axes[0].collections[-1].get_offsets()[:, 1].tolist()  # sorted estimates
    [-0.2, 0.1, 0.3]
    >>> fig.get_label()[:47]
    'Specification curve of 3 fitted specifications:'
    """
    from analysis.apa import format_value  # text formatting lives in analysis.report
    from analysis.exceptions import ParameterError

    labels, value_labels = labels or {}, value_labels or {}
    table, decisions = _multiverse_parts(result_or_table, decisions)
    parameters = getattr(result_or_table, "parameters", None) or {}
    ci = float(parameters.get("ci", 0.95)) if ci is None else ci
    effect_label = effect_label or parameters.get("effect") or None
    status = table["status"].astype(str)
    fitted = table[(status == "ok") & table["estimate"].notna()]
    if fitted.empty:
        raise ParameterError(f"specification_curve: no specification was fitted ({len(table)} rows; statuses: "
                             f"{', '.join(f'{k} {v}' for k, v in status.value_counts().items())}).")  # fmt: skip
    order = fitted.sort_values("spec_id" if "spec_id" in fitted else "estimate", kind="mergesort")
    fitted = order.sort_values("estimate", kind="mergesort").reset_index(drop=True)
    k = len(fitted)
    x = np.arange(1, k + 1)
    est = fitted["estimate"].to_numpy(float)
    significant = fitted["p_value"].to_numpy(float) < 1 - ci
    kind = np.where(significant & (est > 0), "positive", np.where(significant & (est < 0), "negative", "none"))
    colors = [_SPEC_COLORS[c] for c in kind]

    rows: list[tuple[str, str | None]] = []  # (decision, option or None for the decision's own row)
    for decision, options in decisions.items():
        rows.append((decision, None))
        rows.extend((decision, option) for option in options)
    n_rows = len(rows)
    top_h, row_h = 3.0, 0.2
    fig, (ax, panel) = plt.subplots(2, 1, sharex=True, figsize=(10, top_h + row_h * n_rows + 0.9),
                                    gridspec_kw={"height_ratios": [top_h, row_h * n_rows + 0.05], "hspace": 0.06})
    lw = 1.4 if k <= 60 else 0.9 if k <= 300 else 0.5
    size = 16 if k <= 60 else 8 if k <= 300 else 3
    ax.vlines(x, fitted["ci_low"].to_numpy(float), fitted["ci_high"].to_numpy(float), colors=colors, lw=lw,
              alpha=0.55)  # fmt: skip
    median = float(np.median(est))
    ax.axhline(0, color="0.2", lw=0.8)
    ax.axhline(median, color="0.35", lw=0.9, ls="--")
    ax.annotate(f"median\n{format_value(median)}", xy=(1.0, median), xycoords=("axes fraction", "data"),
                xytext=(4, 0), textcoords="offset points", fontsize=8, color="0.3", va="center")  # fmt: skip
    ax.scatter(x, est, s=size, c=colors, zorder=3, linewidths=0)
    counts = {c: int((kind == c).sum()) for c in _SPEC_COLORS}
    alpha = format_value(1 - ci, 2, bounded=True)
    handles = [plt.Line2D([], [], ls="", marker="o", color=_SPEC_COLORS[c], label=f"{text} ({counts[c]})")
               for c, text in (("positive", f"positive, p < {alpha}"), ("negative", f"negative, p < {alpha}"),
                               ("none", "not significant"))]  # fmt: skip
    ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False, ncols=3, bbox_to_anchor=(0, 1.0),
              handletextpad=0.2, columnspacing=1.2, borderaxespad=0.1)  # above the curve, below the title
    low, high = float(np.nanmin(fitted["ci_low"])), float(np.nanmax(fitted["ci_high"]))
    pad = 0.05 * (high - low or 1.0)
    ax.set_ylim(min(low, 0) - pad, max(high, 0) + pad)
    ylabel = f"Estimate: {effect_label}" if effect_label else "Estimate"
    ax.set_ylabel(textwrap.fill(ylabel, 34, max_lines=3, placeholder=" \u2026"), fontsize=9)  # fits the panel's height
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="x", labelbottom=False)
    n_failed = int((status == "failed").sum())
    n_incompatible = int((status == "incompatible").sum())
    left_out = [f"{n_failed} failed" if n_failed else "", f"{n_incompatible} incompatible" if n_incompatible else ""]
    left_out_text = " and ".join(t for t in left_out if t)
    _title(ax, f"{k} specifications, sorted by estimate, with {100 * ci:g}% CIs"
           + (f" ({left_out_text}, not shown)" if left_out_text else ""), fontsize=10, pad=22)  # fmt: skip

    ys = {row: n_rows - 1 - i for i, row in enumerate(rows)}  # first row on top
    for decision in list(decisions)[::2]:  # every other decision on a light band
        top_row = ys[(decision, None)]
        panel.axhspan(top_row - len(decisions[decision]) - 0.5, top_row + 0.5, color="0.94", lw=0, zorder=0)
    for decision, options in decisions.items():
        chosen = fitted[decision].astype(str).to_numpy()
        for option in options:
            hit = chosen == option
            y = ys[(decision, option)]
            if k <= 150:
                panel.scatter(x[hit], np.full(hit.sum(), y), s=max(6, min(22, 1200 / k)), marker="s",
                              c=[c for c, h in zip(colors, hit, strict=True) if h], linewidths=0, zorder=2)  # fmt: skip
            else:
                panel.vlines(x[hit], y - 0.38, y + 0.38, colors=[c for c, h in zip(colors, hit, strict=True) if h],
                             lw=max(0.3, min(1.5, 600 / k)), zorder=2)  # fmt: skip
    tick_text = [_short(str(labels.get(d, d))) if o is None
                 else "  " + _short(value_label(o, value_labels.get(d, {})) if d in value_labels else o)
                 for d, o in rows]  # fmt: skip
    panel.set_yticks([ys[r] for r in rows], tick_text, fontsize=8)
    for tick, (_, option) in zip(panel.get_yticklabels(), rows, strict=True):
        if option is None:
            tick.set_fontweight("bold")
    panel.tick_params(axis="y", length=0)
    panel.set_ylim(-0.6, n_rows - 0.4)
    panel.set_xlim(0.5 - 0.01 * k, k + 0.5 + 0.01 * k)
    panel.set_xlabel("Specification (ranked by estimate)")
    panel.spines[["top", "right", "left"]].set_visible(False)
    if k <= 30:
        panel.set_xticks(x)
        panel.tick_params(axis="x", labelsize=7)
    n_pos, n_neg = counts["positive"], counts["negative"]
    names = ", ".join(str(labels.get(d, d)) for d in decisions)
    return _described(fig, f"Specification curve of {k} fitted specifications: estimates"
                           + (f" of {effect_label}" if effect_label else "")
                           + f" sorted from {format_value(est[0])} to {format_value(est[-1])} with {100 * ci:g}% "
                           f"confidence intervals, median {format_value(median)}; {n_pos} significantly positive "
                           f"and {n_neg} significantly negative (p < {alpha}). Below, which option of each of "
                           f"{len(decisions)} decisions ({names}) every specification used"
                           + (f"; {left_out_text} not shown." if left_out_text else "."))  # fmt: skip


__all__ += ["specification_curve"]


def decision_importance(result_or_table, *, labels: Mapping[str, str] | None = None):
    """Horizontal bars of how much of the spread of a multiverse's estimates each decision
    explains (its ``.decision_importance``: ``decision`` and ``share``, a share of the variance
    of the fitted estimates), largest on top, in percent; a row whose decision is in parentheses
    (e.g. "(interactions and residual)") is drawn last, in grey. `labels` (``{decision: label}``)
    names the decisions. None when there is nothing to draw.

    Examples
    --------
    >>> import pandas as pd
    >>> fig = decision_importance(pd.DataFrame({"decision": ["model", "covariates", "(residual)"],
    ...                                         "share": [0.1, 0.6, 0.3]}))
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]  # top to bottom
    ['covariates', 'model', '(residual)']
    """
    from analysis.apa import format_value  # text formatting lives in analysis.report

    labels = labels or {}
    table = getattr(result_or_table, "decision_importance", result_or_table)
    if not isinstance(table, pd.DataFrame) or "share" not in table.columns or table["share"].notna().sum() == 0:
        return None
    data = table[["decision", "share"]].dropna()
    rest = data["decision"].astype(str).str.startswith("(")
    data = pd.concat([data[~rest].sort_values("share", ascending=False, kind="mergesort"), data[rest]])
    names = [str(labels.get(d, d)) for d in data["decision"]]
    pct = 100 * data["share"].to_numpy(float)
    grey = data["decision"].astype(str).str.startswith("(").to_numpy()
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(data) + 1.1))
    ys = np.arange(len(data))[::-1]
    ax.barh(ys, pct, color=np.where(grey, "0.7", "#4c72b0"), height=0.6)
    shown = [("< 0.1" if 0 < v < 0.05 else format_value(v, 1)) + "%" for v in pct]
    for y, v, text in zip(ys, pct, shown, strict=True):
        ax.annotate(text, xy=(v, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(ys, [_short(n) for n in names])
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the variance of the estimates")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    listed = ", ".join(f"{n} {t}" for n, t in zip(names, shown, strict=True))
    return _described(fig, f"Horizontal bars of the share of the variance of the multiverse's estimates that each of "
                           f"{int((~grey).sum())} decisions explains, largest first: {listed}.")  # fmt: skip


__all__ += ["decision_importance"]
