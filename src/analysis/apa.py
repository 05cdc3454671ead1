"""Presentation: APA tables, data notices, and the results/provenance of a notebook run.

Computation stays exact elsewhere; rounding and formatting happen only here.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["HtmlBlock", "format_number", "format_value", "format_p", "format_ci", "format_stat", "statistic_symbol",
           "apa_paragraph", "apa_table"]

#: column name -> APA header (HTML); other names are turned into words.
HEADERS = {
    "n": "<i>n</i>", "mean": "<i>M</i>", "sd": "<i>SD</i>", "se": "<i>SE</i>", "median": "<i>Mdn</i>",
    "min": "Min", "max": "Max", "skew": "Skew", "kurtosis": "Kurtosis", "p_value": "<i>p</i>",
    "estimate": "<i>b</i>", "df": "<i>df</i>", "r": "<i>r</i>",
    "std_estimate": "&beta;", "r2": "<i>R</i>&sup2;", "adj_r2": "Adjusted <i>R</i>&sup2;",
    "chi_square": "&chi;&sup2;", "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA", "srmr": "SRMR",
    "rmsea_ci_low": "RMSEA 90% CI <i>LL</i>", "rmsea_ci_high": "RMSEA 90% CI <i>UL</i>",
    "delta_chi_square": "&Delta;&chi;&sup2;", "delta_df": "&Delta;<i>df</i>",
    "delta_p_value": "<i>p</i>(&Delta;&chi;&sup2;)",
    "delta_cfi": "&Delta;CFI", "delta_rmsea": "&Delta;RMSEA", "min_loading": "Min. &lambda;",
    "std_loading": "&lambda;", "n_items": "Items", "aic": "AIC", "bic": "BIC", "new_estimate": "Estimate",
    "pi_low": "PI <i>LL</i>", "pi_high": "PI <i>UL</i>", "tau2": "&tau;&sup2;", "i2": "<i>I</i>&sup2; (%)",
    "k": "<i>k</i>", "partial_r": "Partial <i>r</i>", "vif": "VIF", "odds_ratio": "<i>OR</i>",
    "or_ci_low": "<i>OR</i> CI <i>LL</i>", "or_ci_high": "<i>OR</i> CI <i>UL</i>",
    "partial_eta_sq": "&eta;&sup2;<sub>p</sub>", "cohen_d": "<i>d</i>", "hedges_g": "<i>g</i>", "icc": "ICC",
    "p_holm": "<i>p</i> (Holm)", "p_bh": "<i>p</i> (BH)", "rho": "&rho;", "rho_empty": "&rho; (empty model)",
    "rho_statistic": "&chi;&sup2;(&rho; = 0)", "rho_p_value": "<i>p</i>(&rho; = 0)", "alpha": "&alpha;",
    "std_alpha": "Standardized &alpha;", "omega_total": "&omega;<sub>t</sub>",
    "omega_hierarchical": "&omega;<sub>h</sub>", "omega_congeneric": "&omega; (one-factor model)",
    "average_r": "Mean inter-item <i>r</i>",
    "df1": "<i>df</i><sub>1</sub>", "df2": "<i>df</i><sub>2</sub>", "f": "<i>F</i>", "f2": "<i>f</i>&sup2;",
    "r2_change": "&Delta;<i>R</i>&sup2;", "sigma": "&sigma;", "cooks_distance": "Cook's <i>D</i>",
    "leverage": "Leverage", "pct": "%", "t": "<i>t</i>", "z": "<i>z</i>", "entropy": "Entropy",
    "n_boot": "Resamples", "n_excluded": "Excluded", "n_dyads": "Couples", "n_complete": "Complete couples",
    "n_single": "Single partners", "npar": "Parameters", "n_parameters": "Parameters", "loglik": "Log-likelihood",
    "log_likelihood": "Log-likelihood", "smallest_pct": "Smallest profile (%)", "n_profiles": "Profiles",
    "sigma2": "&sigma;&sup2;", "sigma2_empty": "&sigma;&sup2; (empty model)", "pseudo_r2": "Pseudo-<i>R</i>&sup2;",
    "se_type": "SE type", "true_value": "True value", "std_ci_low": "&beta; CI <i>LL</i>",
    "std_ci_high": "&beta; CI <i>UL</i>", "bp_chi_square": "Breusch-Pagan &chi;&sup2;", "bp_df": "<i>df</i>",
    "bp_p_value": "<i>p</i>", "sw_w": "Shapiro-Wilk <i>W</i>", "sw_p_value": "<i>p</i>",
    "max_cooks_distance": "Largest Cook's <i>D</i>", "most_influential": "Its row", "max_vif": "Largest VIF",
    "max_vif_term": "Its term", "student_residual": "Studentized residual", "model": "Model",
    "mean_difference": "<i>M</i> difference", "effect_size": "Effect size", "group1": "Group 1",
    "group2": "Group 2",
}  # fmt: skip
#: test statistic symbol -> header of the ``statistic`` column
STATISTIC_HEADERS = {"t": "<i>t</i>", "z": "<i>z</i>", "F": "<i>F</i>", "chi_square": "&chi;&sup2;",
                     "chi2": "&chi;&sup2;", "W": "<i>W</i>", "U": "<i>U</i>", "Q": "<i>Q</i>",
                     "t or F": "<i>t</i> or <i>F</i>"}  # fmt: skip
#: p value columns: three decimals, ``< .001``, no leading zero
P_COLUMNS = {"p_value", "delta_p_value", "p_holm", "p_bh", "rho_p_value", "p_adjusted", "p_tost",
             "p_opposite", "p_two_sided", "p_equiv_lower", "p_equiv_upper", "p_tukey", "bp_p_value",
             "sw_p_value"}  # fmt: skip
#: quantities that cannot exceed 1 in absolute value (correlations, reliabilities, proportions, standardized
#: coefficients, fit indices bounded by 1): APA drops the leading zero
NO_LEADING_ZERO = {"r", "alpha", "std_alpha", "omega", "omega_total", "omega_hierarchical", "omega_congeneric",
                   "alpha_if_deleted",
                   "std_alpha_if_deleted", "average_r", "average_r_if_deleted", "r_cor", "r_drop", "r_item_total",
                   "r_std", "cfi", "tli", "rmsea", "srmr", "icc", "rho", "r2", "adj_r2", "r2_change", "rmsea_ci_low",
                   "rmsea_ci_high", "delta_cfi", "delta_rmsea", "min_loading", "std_loading", "partial_r",
                   "partial_eta_sq", "eta_sq", "omega_sq", "rho_empty", "pseudo_r2", "std_estimate", "std_ci_low",
                   "std_ci_high", "entropy", "power", "share", "proportion", "sw_w"} | P_COLUMNS  # fmt: skip
#: point estimates that can exceed 1: a table holding one keeps the leading zero on ``ci_low``/``ci_high``
UNBOUNDED_ESTIMATES = {"estimate", "mean", "difference", "mean_difference", "k", "cohen_d", "hedges_g",
                       "odds_ratio", "value", "new_estimate"}  # fmt: skip
INTEGER_COLUMNS = {"n", "n_items", "df", "k", "bp_df", "rows", "columns", "persons", "couples", "delta_df", "n_boot",
                   "n_excluded", "n_missing", "n1", "n2"}  # fmt: skip
#: columns of identifiers (also any ``*_id``): whole numbers without thousands separators
ID_COLUMNS = {"id", "row", "person", "dyad", "most_influential", "profile", "couple", "day"}
#: below this a number is floating-point noise (e.g. 1e-17 for the standardized intercept) and shows as zero
NUMERICAL_ZERO = 1e-12
#: the most extra decimals a nonzero value that rounds to zero gets before it is shown as ``< 0.0001``
MAX_EXTRA_DECIMALS = 3


@dataclass(frozen=True)
class HtmlBlock:
    """HTML shown as rich output in a notebook (and so in the rendered report).

    The return type of every APA table, paragraph and notice: Jupyter displays it through
    ``_repr_html_``, so a cell that ends with one shows the formatted HTML, and papermill and
    nbconvert keep it in the rendered report.

    Parameters
    ----------
    html : str
        The HTML fragment, already escaped where it holds text from the data (also the
        attribute ``.html``).

    See Also
    --------
    apa_table, apa_paragraph

    Examples
    --------
    >>> from analysis import HtmlBlock
    >>> block = HtmlBlock("<p>Hello</p>")
    >>> block.html
    '<p>Hello</p>'
    >>> block._repr_html_() == block.html
    True
    """

    html: str

    def _repr_html_(self) -> str:
        return self.html


def _drop_leading_zero(text: str) -> str:
    """``0.25`` -> ``.25``, ``-0.25`` -> ``-.25``, ``< 0.001`` -> ``< .001``; any other number unchanged."""
    return re.sub(r"^([<>]? ?-?)0\.", r"\1.", text)


def _rounded(value: float, decimals: int, *, thousands: bool = False) -> str:
    """`value` with `decimals` places, never hiding a nonzero value: one that rounds to zero gets up to
    ``MAX_EXTRA_DECIMALS`` more places (``0.004`` at 2 gives ``0.004``), then reads ``< 0.0001``
    (``> -0.0001`` below zero); no negative zero."""
    sep = "," if thousands else ""
    value = float(value)
    if abs(value) < NUMERICAL_ZERO:  # floating-point noise (a centred intercept's beta), not a value
        value = 0.0
    if math.isinf(value):
        return "-\u221e" if value < 0 else "\u221e"
    text = f"{value:{sep}.{decimals}f}"
    if value != 0 and text.lstrip("-").strip("0.,") == "":
        for extra in range(1, MAX_EXTRA_DECIMALS + 1):
            text = f"{value:{sep}.{decimals + extra}f}"
            if text.lstrip("-").strip("0.,") != "":
                return text
        bound = f"0.{'0' * (decimals + MAX_EXTRA_DECIMALS - 1)}1"
        return f"< {bound}" if value > 0 else f"> -{bound}"
    if text.startswith("-") and text.strip("-0.,") == "":  # exactly zero at this precision
        text = text[1:]
    return text


def _is_id(column: str) -> bool:
    """Whether `column` holds identifiers (row labels, person, couple or other ids)."""
    return column in ID_COLUMNS or column.endswith("_id") or column.endswith("_row")


def format_number(value, column: str = "", decimals: int = 2, *, bounded: bool | None = None) -> str:
    """One table cell in APA style (HTML).

    Integers and count columns with thousands separators; p values with three decimals and
    ``< .001``; no leading zero for quantities that cannot exceed 1 (`bounded`, by default from
    the column name: ``NO_LEADING_ZERO``); ``pct_*`` columns one decimal; other numbers `decimals`
    places, a nonzero value that would round to zero with more places (never ``0.00`` for a
    nonzero SE); ids (``ID_COLUMNS``, ``*_id``) as plain whole numbers; missing as an en dash; a
    real minus sign.
    """
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)) or value is pd.NA:
        return "&ndash;"
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if column in P_COLUMNS:
        return "&lt; .001" if value < 0.001 else _drop_leading_zero(f"{value:.3f}")
    if _is_id(column) and float(value).is_integer():  # an id is a name, not a quantity: no separators
        return str(int(value))
    if (column in INTEGER_COLUMNS and float(value).is_integer()) or isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if column == "value" and float(value).is_integer():  # generic value column: counts stay whole
        return f"{int(value):,}"
    text = _rounded(value, 1 if column.startswith("pct") or column.endswith("_pct") else decimals, thousands=True)
    if column in NO_LEADING_ZERO if bounded is None else bounded:
        text = _drop_leading_zero(text)
    return html.escape(text).replace("-", "&minus;")


def format_value(value: float, decimals: int = 2, *, bounded: bool = False) -> str:
    """Format a number for running text in APA style (plain Unicode).

    Parameters
    ----------
    value : float
        The number; None, NaN and ``pandas.NA`` are allowed.
    decimals : int, default 2
        Decimal places (0 for whole-number statistics such as df).
    bounded : bool, default False
        True for a statistic that cannot exceed 1 in absolute value (r, R², alpha, omega, CFI,
        a proportion): the leading zero is dropped (``.24``).

    Returns
    -------
    str
        The number rounded to `decimals` places, with a real minus sign (U+2212) for negative
        values and ``"NA"`` for a missing value. Rounding never hides a nonzero value: one that
        would read ``0.00`` gets up to three more places (``-0.004`` gives ``−0.004``), then
        reads ``< 0.00001``; zero is never negative.

    See Also
    --------
    format_stat : ``symbol = value``.
    format_p, format_ci

    Notes
    -----
    APA style (Publication Manual, 7th ed., section 6.36): a leading zero before the decimal
    point for numbers below 1, except for statistics that cannot be greater than 1 (``bounded``).
    Rounding is Python's correctly rounded float formatting (as C's ``printf`` and R's
    ``sprintf``/``formatC``): the binary value is rounded, so ``0.125`` (exactly representable)
    goes to the even ``0.12``. `bounded` only removes the first ``0.``; pass it only for values
    below 1 in absolute value (a value of 10 or more would lose a digit: ``10.5`` gives ``1.50``).

    References
    ----------
    American Psychological Association. (2020). Publication manual of the American
    Psychological Association (7th ed.). https://doi.org/10.1037/0000165-000

    Examples
    --------
    >>> from analysis import format_value
    >>> format_value(-0.2413)
    '−0.24'
    >>> format_value(0.2413, bounded=True)
    '.24'
    >>> format_value(-0.004), format_value(0.0, 2), format_value(118, 0), format_value(float("nan"))
    ('−0.004', '0.00', '118', 'NA')
    """
    if value is None or value is pd.NA or (isinstance(value, float | np.floating) and math.isnan(value)):
        return "NA"
    text = _rounded(value, decimals)
    if bounded:
        text = _drop_leading_zero(text)
    return text.replace("-", "\u2212")


def format_p(p: float) -> str:
    """Format a p value for running text in APA style: ``p < .001`` or ``p = .023``.

    Parameters
    ----------
    p : float
        The p value, in [0, 1]; None or NaN gives ``p = NA``.

    Returns
    -------
    str
        ``"p < .001"`` when `p` is below .001, otherwise ``"p = "`` and `p` with three decimals
        and no leading zero (``"p = .023"``); ``"p = NA"`` for a missing value.

    See Also
    --------
    format_value, format_stat

    Notes
    -----
    APA style (Publication Manual, 7th ed.): exact p values to two or three decimals, values
    below .001 as ``p < .001`` (section 6.43), and no leading zero because p cannot exceed 1
    (section 6.36). The printed value is rounded (``0.0496`` gives ``p = .050``), so decide
    significance on the unrounded value.

    References
    ----------
    American Psychological Association. (2020). Publication manual of the American
    Psychological Association (7th ed.). https://doi.org/10.1037/0000165-000

    Examples
    --------
    >>> from analysis import format_p
    >>> format_p(0.0234), format_p(0.00042), format_p(0.5)
    ('p = .023', 'p < .001', 'p = .500')
    """
    if p is None or p is pd.NA or (isinstance(p, float | np.floating) and math.isnan(p)):
        return "p = NA"
    return "p < .001" if p < 0.001 else f"p = {format_value(p, 3, bounded=True)}"


def format_ci(low: float, high: float, *, level: float = 0.95, decimals: int = 2, bounded: bool = False) -> str:
    """Format a confidence interval for running text in APA style: ``95% CI [0.01, 0.53]``.

    Parameters
    ----------
    low : float
        Lower limit.
    high : float
        Upper limit.
    level : float, default 0.95
        Confidence level, printed as a percentage (0.9 as ``90%``, 0.999 as ``99.9%``).
    decimals : int, default 2
        Decimal places of both limits.
    bounded : bool, default False
        True when the statistic cannot exceed 1 in absolute value (r, partial eta squared): the
        limits lose their leading zero.

    Returns
    -------
    str
        ``"<level>% CI [<low>, <high>]"``; each limit formatted by :func:`format_value` (minus
        sign U+2212, ``NA`` for a missing limit).

    See Also
    --------
    format_value, format_stat

    Notes
    -----
    APA style (Publication Manual, 7th ed., section 6.43): the level, ``CI``, and the lower and
    upper limits in square brackets separated by a comma; leading zeros as in section 6.36.

    References
    ----------
    American Psychological Association. (2020). Publication manual of the American
    Psychological Association (7th ed.). https://doi.org/10.1037/0000165-000

    Examples
    --------
    >>> from analysis import format_ci
    >>> format_ci(0.0123, 0.5349)
    '95% CI [0.01, 0.53]'
    >>> format_ci(-0.31, 0.12, level=0.9, bounded=True)
    '90% CI [−.31, .12]'
    """
    pct = f"{100 * level:g}"
    limits = (format_value(low, decimals, bounded=bounded), format_value(high, decimals, bounded=bounded))
    return f"{pct}% CI [{limits[0]}, {limits[1]}]"


def format_stat(symbol: str, value: float, decimals: int = 2, *, bounded: bool = False) -> str:
    """Format a statistic for running text: ``symbol = value``, e.g. ``b = 0.24``.

    Parameters
    ----------
    symbol : str
        The statistic's symbol as it should read (``"b"``, ``"β"``, ``"r"``, ``"t(118)"``).
        Plain text: the italics that APA asks for are the caller's (or the word processor's).
    value : float
        The value; None or NaN gives ``NA``.
    decimals : int, default 2
        Decimal places; 0 for whole-number statistics such as df.
    bounded : bool, default False
        True when the statistic cannot exceed 1 in absolute value: no leading zero.

    Returns
    -------
    str
        ``"<symbol> = <value>"``, the value formatted by :func:`format_value`.

    See Also
    --------
    format_value, format_p, format_ci

    Notes
    -----
    Leading zeros follow the APA Publication Manual (7th ed., section 6.36); statistics in text
    are written ``symbol = value`` with spaces around the sign (section 6.43). Use
    :func:`format_p` for p values (it writes ``p < .001``).

    References
    ----------
    American Psychological Association. (2020). Publication manual of the American
    Psychological Association (7th ed.). https://doi.org/10.1037/0000165-000

    Examples
    --------
    >>> from analysis import format_stat
    >>> format_stat("b", 0.2413)
    'b = 0.24'
    >>> format_stat("r", -0.318, bounded=True), format_stat("df", 118, 0)
    ('r = −.32', 'df = 118')
    """
    return f"{symbol} = {format_value(value, decimals, bounded=bounded)}"


def apa_paragraph(*sentences: str) -> HtmlBlock:
    """Show sentences as one paragraph of a report (HTML, the ``apa-text`` style).

    Parameters
    ----------
    *sentences : str
        Sentences in reading order, e.g. results' ``.sentence()`` texts. Each is stripped of
        surrounding white space; empty strings and None are left out.

    Returns
    -------
    HtmlBlock
        ``.html`` is ``<p class="apa-text">...</p>`` holding the sentences joined by single
        spaces, HTML-escaped (``<``, ``>``, ``&`` and quotes show as written).

    See Also
    --------
    apa_table : A table in the same style.
    format_stat, format_p, format_ci : The numbers inside the sentences.

    Examples
    --------
    >>> from analysis import apa_paragraph
    >>> apa_paragraph("Satisfaction rose, p < .001.", "", " Trust did not. ").html
    '<p class="apa-text">Satisfaction rose, p &lt; .001. Trust did not.</p>'
    """
    text = " ".join(s.strip() for s in sentences if s and s.strip())
    return HtmlBlock(f'<p class="apa-text">{html.escape(text)}</p>')


def _header(column: str, data: pd.DataFrame | None = None, level: float | None = None) -> str:
    """The APA header of `column`: the project vocabulary (``HEADERS``), the test statistic's symbol for
    ``statistic`` (:func:`statistic_symbol`), the CI level for ``ci_low``/``ci_high``, else words."""
    if column == "statistic" and data is not None:
        return STATISTIC_HEADERS.get(statistic_symbol(data), "Test statistic")
    if column in ("ci_low", "ci_high") and level is not None:
        return f"{100 * level:g}% CI <i>{'LL' if column == 'ci_low' else 'UL'}</i>"
    if column in HEADERS:
        return HEADERS[column]
    words = column.replace("pct_", "% ").replace("_", " ")
    return html.escape(words[:1].upper() + words[1:])


def statistic_symbol(data: pd.DataFrame) -> str | None:
    """The test statistic held in the ``statistic`` column of `data`: ``data.attrs["statistic"]`` when
    the model set it; the one value of a ``test`` column; ``"F"`` with two df columns (``df1``/``df2``
    or ``df``/``df_error``); ``"t"`` with a ``df`` column holding a value; ``"z"`` otherwise; None
    when a ``test`` column names several statistics (each row says which)."""
    if data.attrs.get("statistic"):
        return str(data.attrs["statistic"])
    if "test" in data.columns:
        tests = data["test"].dropna().unique()
        return str(tests[0]) if len(tests) == 1 else None
    if {"df1", "df2"} <= set(data.columns) or {"df", "df_error"} <= set(data.columns):
        return "F"
    if "df" in data.columns and data["df"].notna().any():
        return "t"
    return "z"


def _bounded_ci(data: pd.DataFrame) -> bool:
    """Whether ``ci_low``/``ci_high`` of `data` bound a quantity that cannot exceed 1 (the table's point
    estimates are all of that kind, e.g. r or alpha): then they too lose the leading zero."""
    cols = set(map(str, data.columns))
    return bool(cols & (NO_LEADING_ZERO - P_COLUMNS)) and not cols & UNBOUNDED_ESTIMATES


def _caption(title: str, number: int | None, labels: dict[str, str]) -> str:
    """Bold "Table N" over the italic title, names in the title replaced by their labels."""
    if labels:
        title = re.sub(r"[A-Za-z_][\w.]*", lambda m: str(labels.get(m.group(), m.group())), title)
    return (f"<strong>Table {number}</strong><br>" if number is not None else "") + f"<em>{html.escape(title)}</em>"


def apa_table(
    data: pd.DataFrame,
    *,
    title: str,
    number: int | None = None,
    note: str | None = None,
    decimals: int = 2,
    labels: dict[str, str] | None = None,
    empty: str | None = None,
    ci: float | None = None,
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
        ``{cell text: shown text}``: replacement text for text cells and for names in the title
        (e.g. score ids to readable names, ``Dataset.display_labels()``); numbers are never
        replaced.
    empty : str, optional
        A sentence shown instead of the table when `data` has no rows (e.g. "No problems: every
        value fits its codebook entry."); default "No rows to show." A table of headers only is
        never shown.
    ci : float, optional
        Level of the ``ci_low``/``ci_high`` columns, shown in their headers ("95% CI *LL*");
        default ``data.attrs["ci"]`` (set by every model), else 0.95.

    Returns
    -------
    HtmlBlock
        ``.html`` holds ``<div class="apa">`` with the table: the caption (bold "Table
        `number`", then the italic `title`), one header per column, one row per row of `data`,
        and the note (``<p class="apa-note">``, starting with an italic *Note.*). Notebooks
        display it directly. With no rows: the caption and the `empty` sentence.

    See Also
    --------
    format_value : The same rules for running text.
    apa_paragraph

    Notes
    -----
    Each cell is formatted by its column name (APA Publication Manual, 7th ed.):

    - p value columns (``p_value``, ``delta_p_value``, ``p_holm``, ``p_bh``, ``rho_p_value``):
      three decimals without a leading zero, values below .001 as ``< .001`` (section 6.43);
    - statistics that cannot exceed 1 (``r``, ``r2``, ``alpha``, ``omega``, ``cfi``, ``tli``,
      ``rmsea``, ``srmr``, ``icc``, ``std_loading``, ``partial_eta_sq``, ...): no leading zero
      (section 6.36);
    - ``ci_low``/``ci_high`` lose the leading zero too when every point estimate of the table
      is of that kind (r with its CI; not b);
    - counts (``n``, ``df``, ``n_items``, ... and integer values): whole numbers with
      thousands separators; ``pct_*`` columns one decimal; other numbers `decimals` places,
      with more places for a nonzero value that would round to zero (never ``0.00`` for a
      nonzero SE);
    - missing values as an en dash, booleans as yes/no, a real minus sign, no negative zero;
      text is HTML-escaped.

    Headers come from the project vocabulary (``mean`` as italic *M*, ``sd`` as *SD*,
    ``p_value`` as *p*, ``std_estimate`` as β, ...); ``statistic`` is headed by its symbol (*t*,
    *z*, *F*, χ²: :func:`statistic_symbol`), ``ci_low``/``ci_high`` by the CI level (95% CI *LL*,
    *UL*); columns listed in ``data.attrs["bounded"]`` (proportions a model names, e.g. the
    variance shares of `srm`) drop the leading zero too; other column names become words
    (``n_excluded`` as "N excluded"). Each cell has the class ``text`` (a column with any
    string) or ``num``, which the report stylesheet aligns (numbers right). Nothing in `data` is changed.

    References
    ----------
    American Psychological Association. (2020). Publication manual of the American
    Psychological Association (7th ed.). https://doi.org/10.1037/0000165-000

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import apa_table
    >>> coef = pd.DataFrame({"term": ["Intercept", "anxiety"], "estimate": [3.912, -0.2413],
    ...                      "p_value": [1e-9, 0.0234], "n": [1250, 1250]})
    >>> table = apa_table(coef, title="Satisfaction regressed on anxiety", number=2)
    >>> import re
    >>> re.findall(r"<caption>(.*?)</caption>", table.html)
    ['<strong>Table 2</strong><br><em>Satisfaction regressed on anxiety</em>']
    >>> re.findall(r"<th class=[^>]*>(.*?)</th>", table.html)
    ['Term', '<i>b</i>', '<i>p</i>', '<i>n</i>']
    >>> re.findall(r"<td class=[^>]*>(.*?)</td>", table.html)
    ['Intercept', '3.91', '&lt; .001', '1,250', 'anxiety', '&minus;0.24', '.023', '1,250']
    """
    labels = labels or {}
    caption = _caption(title, number, labels)
    if data.empty:
        return HtmlBlock(f'<div class="apa"><p class="apa-caption">{caption}</p>'
                         f'<p class="apa-text">{html.escape(empty or "No rows to show.")}</p></div>')  # fmt: skip
    level = ci if ci is not None else data.attrs.get("ci", 0.95)
    bounded_ci = _bounded_ci(data)
    shares = set(data.attrs.get("bounded", ()))  # columns a model marks as proportions (no leading zero)
    kinds = {c: "text" if any(isinstance(v, str) for v in data[c]) else "num" for c in data.columns}
    head = "".join(f'<th class="{kinds[c]}">{_header(str(c), data, level)}</th>' for c in data.columns)
    body = []
    for row in data.itertuples(index=False):
        cells = []
        for col, value in zip(data.columns, row, strict=True):
            if isinstance(value, str) and value in labels:
                value = labels[value]
            bounded = bounded_ci if col in ("ci_low", "ci_high") else (True if col in shares else None)
            cells.append(f'<td class="{kinds[col]}">{format_number(value, str(col), decimals, bounded=bounded)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    foot = f'<p class="apa-note"><em>Note.</em> {html.escape(note)}</p>' if note else ""
    return HtmlBlock(
        f'<div class="apa"><table class="apa-table"><caption>{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{foot}</div>"
    )
