"""Presentation: APA tables, data notices, and the results/provenance of a notebook run.

Computation stays exact elsewhere; rounding and formatting happen only here.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["HtmlBlock", "format_number", "format_value", "format_p", "format_ci", "format_stat", "apa_paragraph", "apa_table"]

#: column name -> APA header (HTML); other names are turned into words.
HEADERS = {
    "n": "<i>n</i>", "mean": "<i>M</i>", "sd": "<i>SD</i>", "se": "<i>SE</i>", "median": "<i>Mdn</i>",
    "min": "Min", "max": "Max", "skew": "Skew", "kurtosis": "Kurtosis", "p_value": "<i>p</i>",
    "estimate": "<i>b</i>", "statistic": "Statistic", "df": "<i>df</i>", "r": "<i>r</i>",
    "ci_low": "CI low", "ci_high": "CI high", "std_estimate": "&beta;", "r2": "<i>R</i>&sup2;",
    "chi_square": "&chi;&sup2;", "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA", "srmr": "SRMR",
    "rmsea_ci_low": "RMSEA 90% CI low", "rmsea_ci_high": "RMSEA 90% CI high",
    "delta_chi_square": "&Delta;&chi;&sup2;", "delta_df": "&Delta;<i>df</i>", "delta_p_value": "<i>p</i>(&Delta;&chi;&sup2;)",
    "delta_cfi": "&Delta;CFI", "delta_rmsea": "&Delta;RMSEA", "min_loading": "Min. &lambda;",
    "std_loading": "&lambda;", "n_items": "Items", "aic": "AIC", "bic": "BIC", "new_estimate": "Estimate",
    "pi_low": "PI low", "pi_high": "PI high", "tau2": "&tau;&sup2;", "i2": "<i>I</i>&sup2; (%)", "k": "<i>k</i>",
    "partial_r": "Partial <i>r</i>", "vif": "VIF", "odds_ratio": "<i>OR</i>", "or_ci_low": "<i>OR</i> CI low",
    "or_ci_high": "<i>OR</i> CI high", "partial_eta_sq": "&eta;&sup2;<sub>p</sub>", "cohen_d": "<i>d</i>",
    "hedges_g": "<i>g</i>", "icc": "ICC", "p_holm": "<i>p</i> (Holm)", "p_bh": "<i>p</i> (BH)",
    "rho": "&rho;", "rho_empty": "&rho; (empty model)", "rho_statistic": "&chi;&sup2;(&rho; = 0)",
    "rho_p_value": "<i>p</i>(&rho; = 0)",
}  # fmt: skip
#: statistics bounded by 1 in absolute value: APA drops the leading zero
NO_LEADING_ZERO = {"r", "p_value", "alpha", "omega", "cfi", "tli", "rmsea", "srmr", "icc", "rho", "r2",
                   "rmsea_ci_low", "rmsea_ci_high", "delta_p_value", "min_loading", "std_loading", "partial_r",
                   "partial_eta_sq", "rho_empty", "pseudo_r2"}
INTEGER_COLUMNS = {"n", "n_items", "df", "rows", "columns", "persons", "couples", "delta_df", "k"}


@dataclass(frozen=True)
class HtmlBlock:
    """HTML shown as rich output in a notebook (and so in the rendered report)."""

    html: str

    def _repr_html_(self) -> str:
        return self.html


def format_number(value, column: str = "", decimals: int = 2) -> str:
    """One cell in APA style: integers with thousands separators, p as ``< .001``, no leading
    zero for statistics bounded by 1, `decimals` places otherwise; missing as an en dash."""
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)) or value is pd.NA:
        return "&ndash;"
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if column in ("p_value", "delta_p_value", "p_holm", "p_bh", "rho_p_value"):
        return "&lt; .001" if value < 0.001 else f"{value:.3f}".replace("0.", ".", 1)
    if column in INTEGER_COLUMNS or isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if column == "value" and float(value).is_integer():  # generic value column: counts stay whole
        return f"{int(value):,}"
    text = f"{value:,.{1 if column.startswith('pct_') else decimals}f}"
    if text.startswith("-") and text.strip("-0.,") == "":  # rounds to zero: no negative zero
        text = text[1:]
    if column in NO_LEADING_ZERO:
        text = text.replace("0.", ".", 1)
    return text.replace("-", "&minus;")


def format_value(value: float, decimals: int = 2, *, bounded: bool = False) -> str:
    """A number for running text (plain Unicode): ``−0.24``; `bounded` drops the leading zero
    (APA 7 for statistics that cannot exceed 1, e.g. r, p, alpha); NaN as ``NA``."""
    if value is None or value is pd.NA or (isinstance(value, float | np.floating) and math.isnan(value)):
        return "NA"
    text = f"{float(value):.{decimals}f}"
    if text.lstrip("-").strip("0.") == "":  # rounds to zero: no negative zero
        text = text.lstrip("-")
    if bounded:
        text = text.replace("0.", ".", 1)
    return text.replace("-", "\u2212")


def format_p(p: float) -> str:
    """APA p value for text: ``p < .001`` or ``p = .023`` (three decimals, no leading zero)."""
    if p is None or (isinstance(p, float | np.floating) and math.isnan(p)):
        return "p = NA"
    return "p < .001" if p < 0.001 else f"p = {format_value(p, 3, bounded=True)}"


def format_ci(low: float, high: float, *, level: float = 0.95, decimals: int = 2, bounded: bool = False) -> str:
    """Confidence interval for text: ``95% CI [0.01, 0.53]``."""
    pct = f"{100 * level:g}"
    return f"{pct}% CI [{format_value(low, decimals, bounded=bounded)}, {format_value(high, decimals, bounded=bounded)}]"


def format_stat(symbol: str, value: float, decimals: int = 2, *, bounded: bool = False) -> str:
    """``symbol = value`` for text, e.g. ``format_stat("b", 0.2413)`` -> ``b = 0.24``; integer
    statistics such as df are passed with ``decimals=0``."""
    return f"{symbol} = {format_value(value, decimals, bounded=bounded)}"


def apa_paragraph(*sentences: str) -> HtmlBlock:
    """Sentences shown as one paragraph of a report (escaped; the `apa-text` style)."""
    text = " ".join(s.strip() for s in sentences if s and s.strip())
    return HtmlBlock(f'<p class="apa-text">{html.escape(text)}</p>')


def _header(column: str) -> str:
    if column in HEADERS:
        return HEADERS[column]
    words = column.replace("pct_", "% ").replace("_", " ")
    return html.escape(words[:1].upper() + words[1:])


def apa_table(
    data: pd.DataFrame,
    *,
    title: str,
    number: int | None = None,
    note: str | None = None,
    decimals: int = 2,
    labels: dict[str, str] | None = None,
    empty: str | None = None,
) -> HtmlBlock:
    """Render a tidy result table as an APA 7 table (HTML).

    Parameters
    ----------
    data : pandas.DataFrame
        Columns from the project vocabulary (``n``, ``mean``, ``sd``, ``p_value``, ...).
    title : str
        Table title (italic, under the bold table number).
    number : int, optional
        Table number ("Table 1").
    note : str, optional
        Text of the table note (plain text, escaped).
    decimals : int, default 2
        Decimal places for numbers without a rule of their own.
    labels : dict, optional
        Replacement text for cell values (e.g. score ids to readable names).
    empty : str, optional
        A sentence shown instead of the table when `data` has no rows (e.g. "No problems: every
        value fits its codebook entry."); default: the table with its headers only.

    Returns
    -------
    HtmlBlock
        ``.html`` holds the table; notebooks display it directly.
    """
    labels = labels or {}
    if data.empty and empty is not None:
        caption = (f"<strong>Table {number}</strong><br>" if number is not None else "") + f"<em>{html.escape(title)}</em>"
        return HtmlBlock(f'<div class="apa"><p class="apa-caption">{caption}</p>'
                         f'<p class="apa-text">{html.escape(empty)}</p></div>')  # fmt: skip
    kinds = {c: "text" if any(isinstance(v, str) for v in data[c]) else "num" for c in data.columns}
    head = "".join(f'<th class="{kinds[c]}">{_header(str(c))}</th>' for c in data.columns)
    body = []
    for row in data.itertuples(index=False):
        cells = []
        for col, value in zip(data.columns, row, strict=True):
            if isinstance(value, str) and value in labels:
                value = labels[value]
            cells.append(f'<td class="{kinds[col]}">{format_number(value, str(col), decimals)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption = (f"<strong>Table {number}</strong><br>" if number is not None else "") + f"<em>{html.escape(title)}</em>"
    foot = f'<p class="apa-note"><em>Note.</em> {html.escape(note)}</p>' if note else ""
    return HtmlBlock(
        f'<div class="apa"><table class="apa-table"><caption>{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{foot}</div>"
    )
