"""Describe a data set: who is in it, what is missing, and descriptive statistics.

Sample counts (`sample_overview`, `input_files`), missing item responses (`missingness`),
careless-responding indices (`careless_indices`) and descriptive tables (`descriptives`,
`correlations`, `frequencies`, `group_means`). The overview of a data set's variables:
`overview_variables` decides from the codebook which variables are described and how, then
`frequency_table`, `missing_by_variable` and `correlation_pairs` describe them. Models live in
`analysis.models`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis._checks import _as_list, _require_columns
from analysis.data.dataset import Dataset

__all__ = ["sample_overview", "missingness", "descriptives", "careless_indices", "input_files", "correlations",
           "frequencies", "group_means"]

#: readable text for the `quantity` ids of :func:`sample_overview` (for report tables)
QUANTITY_LABELS = {
    "rows_read": "Rows read", "rows_excluded": "Rows excluded (see the data-quality report)",
    "rows": "Rows analysed", "persons": "Persons", "couples": "Couples",
    "couples_both_partners": "Couples, both partners", "couples_one_partner": "Couples, one partner only",
    "couples_more_than_two": "Couples with more than two members",
    "days_per_person_mean": "Days per person, mean", "days_per_person_min": "Days per person, min",
    "days_per_person_max": "Days per person, max", "attention_check_failed": "Attention check failed",
    "attention_check_missing": "Attention check not answered",
}  # fmt: skip


def sample_overview(dataset: Dataset) -> pd.DataFrame:
    """Count what describes the sample: rows, persons, couples, diary days, attention checks.

    Parameters
    ----------
    dataset : Dataset
        A loaded data set; the codebook roles ``id``, ``dyad_id``, ``day`` and
        ``attention_check`` say which columns to count (a table without them gives rows only).

    Returns
    -------
    pandas.DataFrame
        One row per table and quantity: ``table``, ``quantity`` (``rows_read`` and
        ``rows_excluded`` from the ledger, ``rows`` analysed, ``persons``, ``couples``,
        ``couples_both_partners``, ``couples_one_partner``, ``couples_more_than_two``,
        ``days_per_person_mean``, ``days_per_person_min``, ``days_per_person_max``,
        ``attention_check_failed``, ``attention_check_missing``) and ``value`` (a float).
        ``QUANTITY_LABELS`` gives readable text for each quantity.

    See Also
    --------
    flow : The exclusion steps from rows read to rows analysed.
    input_files : The files the data set was read from.

    Notes
    -----
    Counts are of analysed rows, except ``rows_read`` and ``rows_excluded``. Persons are distinct
    ids; a couple's size is its number of distinct person ids (its rows, without an ``id``
    role); days per person count distinct ``day`` values. ``attention_check_failed`` counts
    answered checks that differ from the codebook's ``correct`` value (rows that fail are
    usually excluded already, so this is 0 unless that rule is switched off).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import load_dataset, sample_overview
    >>> codebook = '''
    ... dataset: tiny
    ... tables:
    ...   survey:
    ...     file: survey.csv
    ...     variables:
    ...       person_id: {type: integer, role: id}
    ...       couple_id: {type: integer, role: dyad_id}
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "codebook.yaml").write_text(codebook)
    ...     _ = (Path(tmp) / "survey.csv").write_text("person_id,couple_id\\n11,1\\n12,1\\n21,2\\n21,2\\n")
    ...     ds = load_dataset(tmp)
    >>> sample_overview(ds).set_index("quantity")["value"].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'rows_read': 4.0, 'rows_excluded': 1.0, 'rows': 3.0, 'persons': 3.0, 'couples': 2.0,
     'couples_both_partners': 1.0, 'couples_one_partner': 1.0, 'couples_more_than_two': 0.0}
    """
    rows = []
    for name, frame in dataset.tables.items():
        def add(quantity, value, table=name):
            rows.append({"table": table, "quantity": quantity, "value": float(value)})

        ledger = dataset.ledger[dataset.ledger["table"] == name]
        if len(ledger):
            add("rows_read", len(ledger))
            add("rows_excluded", int((ledger["status"] == "excluded").sum()))
        add("rows", len(frame))
        ids = dataset.columns_with_role(name, "id")
        dyads = dataset.columns_with_role(name, "dyad_id")
        days = dataset.columns_with_role(name, "day")
        if ids:
            add("persons", frame[ids[0]].nunique())
        if dyads:
            per_couple = (frame.groupby(dyads[0], observed=True)[ids[0]].nunique() if ids
                          else frame.groupby(dyads[0], observed=True).size())  # fmt: skip
            add("couples", per_couple.size)
            add("couples_both_partners", int((per_couple == 2).sum()))
            add("couples_one_partner", int((per_couple == 1).sum()))
            add("couples_more_than_two", int((per_couple > 2).sum()))
        if days and ids:
            per_person = frame.groupby(ids[0], observed=True)[days[0]].nunique()
            add("days_per_person_mean", per_person.mean())
            add("days_per_person_min", per_person.min())
            add("days_per_person_max", per_person.max())
        for col in dataset.columns_with_role(name, "attention_check"):
            correct = dataset.variables(name)[col].get("correct")
            answered = frame[col].notna()
            if correct is not None:
                add("attention_check_failed", int((answered & (frame[col] != correct)).sum()))
            add("attention_check_missing", int((~answered).sum()))
    return pd.DataFrame(rows, columns=["table", "quantity", "value"])


def missingness(data: pd.DataFrame, *, instruments: Mapping[str, Mapping[str, str]]) -> pd.DataFrame:
    """Missing item responses per instrument.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    instruments : dict
        ``{instrument id: {item id: column}}`` (``Dataset.instruments(table)``).

    Returns
    -------
    pandas.DataFrame
        One row per instrument: ``instrument``, ``n_items``, ``n`` (respondents: rows of
        `data`), ``pct_cells_missing`` (% of item responses missing), ``pct_complete`` (% of
        respondents who answered every item), ``pct_skipped`` (% who answered none).

    Raises
    ------
    DataError
        If an item column is not in `data`.

    See Also
    --------
    careless_indices : Missing items and response patterns per respondent.
    score_instruments : Scores with a minimum share of answered items.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import missingness
    >>> data = pd.DataFrame({"i1": [4, 2, np.nan, 5], "i2": [3, np.nan, np.nan, 5]})
    >>> missingness(data, instruments={"demo": {"1": "i1", "2": "i2"}})
      instrument  n_items  n  pct_cells_missing  pct_complete  pct_skipped
    0       demo        2  4               37.5          50.0         25.0
    """
    rows = []
    for ins_id, cols in instruments.items():
        cols = list(cols.values())
        _require_columns(data, cols)
        miss = data[cols].isna().to_numpy()
        rows.append({
            "instrument": ins_id, "n_items": len(cols), "n": len(data),
            "pct_cells_missing": 100 * miss.mean(), "pct_complete": 100 * (~miss.any(axis=1)).mean(),
            "pct_skipped": 100 * miss.all(axis=1).mean(),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=["instrument", "n_items", "n", "pct_cells_missing",
                                       "pct_complete", "pct_skipped"])  # fmt: skip


def descriptives(data: pd.DataFrame, *, columns: Sequence[str] | str | None = None) -> pd.DataFrame:
    """Descriptive statistics of numeric columns, as ``psych::describe``.

    Parameters
    ----------
    data : pandas.DataFrame
        The data, one row per observation.
    columns : str or list of str, optional
        Columns to describe (default: every numeric column of `data`; an empty list gives an
        empty table).

    Returns
    -------
    pandas.DataFrame
        One row per column: ``variable``, ``n`` (non-missing values), ``mean``, ``sd`` (n - 1
        denominator), ``median``, ``min``, ``max``, ``skew``, ``kurtosis`` (excess), ``se``
        (sd / sqrt(n)). A column with no values has ``n`` 0 and the rest missing.

    Raises
    ------
    DataError
        If a column of `columns` is not in `data`.

    See Also
    --------
    frequencies : Counts of a categorical variable.
    group_means : Means and SDs within groups.

    Notes
    -----
    Missing values are dropped per column (pairwise), as in psych; values that are not numbers
    count as missing. Skew and kurtosis are psych's default "type 3": ``b1 = m3 / s^3`` and
    ``b2 - 3 = m4 / s^4 - 3`` with central moments ``m_k`` over n and ``s`` the
    n - 1 standard deviation (Joanes & Gill, 1998). Matches ``psych::describe`` (tested).

    References
    ----------
    Joanes, D. N., & Gill, C. A. (1998). Comparing measures of sample skewness and kurtosis.
    Journal of the Royal Statistical Society: Series D, 47(1), 183-189.
    https://doi.org/10.1111/1467-9884.00122

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import descriptives
    >>> rng = np.random.default_rng(1)
    >>> data = pd.DataFrame({"anxiety": rng.normal(3, 1, 50), "avoidance": rng.normal(2.5, 1, 50)})
    >>> descriptives(data).round(2)
        variable   n  mean    sd  median   min   max  skew  kurtosis    se
    0    anxiety  50  2.96  0.89    3.03  0.29  5.12 -0.29      0.99  0.13
    1  avoidance  50  2.39  0.83    2.52  0.25  3.72 -0.53     -0.54  0.12
    """
    cols = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c])] if columns is None else _as_list(columns)
    _require_columns(data, cols)
    rows = []
    for col in cols:
        x = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        n = x.size
        if n == 0:
            rows.append({"variable": col, "n": 0})
            continue
        mean = x.mean()
        sd = x.std(ddof=1) if n > 1 else np.nan
        dev = x - mean
        with np.errstate(invalid="ignore", divide="ignore"):
            skew = (dev**3).mean() / sd**3
            kurt = (dev**4).mean() / sd**4 - 3
        rows.append({
            "variable": col, "n": n, "mean": mean, "sd": sd, "median": float(np.median(x)),
            "min": x.min(), "max": x.max(), "skew": skew, "kurtosis": kurt, "se": sd / np.sqrt(n),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=["variable", "n", "mean", "sd", "median", "min", "max",
                                       "skew", "kurtosis", "se"])  # fmt: skip


def careless_indices(data: pd.DataFrame, *, items: Sequence[str], duration: str | None = None) -> pd.DataFrame:
    """Careless-responding indices per respondent.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    items : list of str
        Item columns in the order they were presented (all instruments together).
    duration : str, optional
        Column with the completion time in seconds.

    Returns
    -------
    pandas.DataFrame
        Same index as `data`, one row per respondent: ``longstring`` (longest run of identical
        consecutive answers, missing answers break a run), ``irv`` (intra-individual response
        variability: SD, n - 1, of the answered items; missing with fewer than two answers),
        ``pct_missing`` (% of items unanswered) and, with `duration`, ``duration`` (seconds).
        Without items, only ``duration`` (or no column).

    Raises
    ------
    DataError
        If an item or the duration column is not in `data`.

    See Also
    --------
    missingness : Missing item responses per instrument.
    descriptives : Summarise the indices (e.g. to choose cut-offs).

    Notes
    -----
    Longstring after Johnson (2005); IRV after Dunn et al. (2018), as in the R package
    `careless` (``longstring``, ``irv``). Values that are not numbers count as missing. No
    respondent is flagged here: cut-offs are a judgement, made by looking at the distribution.

    References
    ----------
    Dunn, A. M., Heggestad, E. D., Shanock, L. R., & Theriault, N. (2018). Intra-individual
    response variability as an indicator of insufficient effort responding. Journal of Business
    and Psychology, 33(1), 105-121. https://doi.org/10.1007/s10869-016-9479-0

    Johnson, J. A. (2005). Ascertaining the validity of individual protocols from web-based
    personality inventories. Journal of Research in Personality, 39(1), 103-129.
    https://doi.org/10.1016/j.jrp.2004.09.009

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import careless_indices
    >>> data = pd.DataFrame({"i1": [4, 2, 5], "i2": [4, 3, 1], "i3": [4, np.nan, 2], "i4": [4, 5, 3]})
    >>> careless_indices(data, items=["i1", "i2", "i3", "i4"]).round(2)
       longstring   irv  pct_missing
    0           4  0.00          0.0
    1           1  1.53         25.0
    2           1  1.71          0.0
    """
    cols = _as_list(items)
    _require_columns(data, cols + ([duration] if duration else []))
    if not cols:  # no items: only the duration, if any
        out = {"duration": pd.to_numeric(data[duration], errors="coerce").to_numpy(dtype=float)} if duration else {}
        return pd.DataFrame(out, index=data.index)
    x = data[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    n, k = x.shape
    run = np.zeros(n)
    best = np.zeros(n)
    for j in range(k):
        cur = x[:, j]
        same = (j > 0) & (cur == x[:, j - 1]) if j > 0 else np.zeros(n, dtype=bool)
        run = np.where(np.isnan(cur), 0, np.where(same, run + 1, 1))
        best = np.maximum(best, run)
    answered = (~np.isnan(x)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(x, axis=1) / answered
        irv = np.sqrt(np.nansum((x - mean[:, None]) ** 2, axis=1) / (answered - 1))
    out = {"longstring": best.astype(int), "irv": np.where(answered > 1, irv, np.nan),
           "pct_missing": 100 * (1 - answered / k)}  # fmt: skip
    if duration:
        out["duration"] = pd.to_numeric(data[duration], errors="coerce").to_numpy(dtype=float)
    return pd.DataFrame(out, index=data.index)


def input_files(dataset: Dataset) -> pd.DataFrame:
    """List the files a data set was read from: how each was read and what it holds.

    Parameters
    ----------
    dataset : Dataset
        A loaded data set (`load_dataset`).

    Returns
    -------
    pandas.DataFrame
        One row per table: ``table``, ``file`` (path), ``format`` (kind, encoding, separator and
        decimal mark detected or set, in words), ``rows`` (read), ``columns`` (in the file,
        identifying columns included), ``sha256``. The codebook file is not listed.

    See Also
    --------
    sample_overview : Counts of rows, persons, couples and days.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import load_dataset
    >>> from analysis.data.describe import input_files
    >>> codebook = '''
    ... dataset: tiny
    ... tables:
    ...   survey:
    ...     file: survey.csv
    ...     variables:
    ...       person_id: {type: integer, role: id}
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "codebook.yaml").write_text(codebook)
    ...     _ = (Path(tmp) / "survey.csv").write_text("person_id;email\\n11;a@b.org\\n12;c@d.org\\n")
    ...     ds = load_dataset(tmp)
    >>> input_files(ds)[["table", "format", "rows", "columns"]].to_dict("records")
    [{'table': 'survey', 'format': 'CSV, utf-8, semicolon-separated, decimal point', 'rows': 2, 'columns': 2}]
    """
    rows = [{"table": f.table, "file": f.path, "format": dataset.formats[f.table].detail, "rows": f.rows,
             "columns": f.columns, "sha256": f.sha256}
            for f in dataset.files if f.table in dataset.formats]  # fmt: skip
    return pd.DataFrame(rows, columns=["table", "file", "format", "rows", "columns", "sha256"])


def correlations(data: pd.DataFrame, *, x: Sequence[str] | str, y: Sequence[str] | str,
                 ci: float = 0.95) -> pd.DataFrame:  # fmt: skip
    """Pearson correlations of every `x` with every `y`, pairwise complete, with CI and p.

    Parameters
    ----------
    data : pandas.DataFrame
        The data, one row per observation.
    x : str or list of str
        First variable(s) of each pair.
    y : str or list of str
        Second variable(s) of each pair.
    ci : float, default 0.95
        Confidence level of the intervals (between 0 and 1).

    Returns
    -------
    pandas.DataFrame
        One row per pair, `x` outer and `y` inner: ``x``, ``y``, ``n`` (complete pairs), ``r``,
        ``ci_low``, ``ci_high`` (Fisher z interval), ``statistic`` (t), ``df`` (n - 2),
        ``p_value`` (two-sided). ``attrs["ci"]`` holds the level.

    Raises
    ------
    DataError
        If a column is not in `data`.
    ParameterError
        If `ci` is not between 0 and 1.

    See Also
    --------
    descriptives : Means, SDs and distribution of each variable.
    analysis.claims.verdicts.directional_claim_r : Test a directional claim about r.

    Notes
    -----
    For each pair, rows where either value is missing (or not a number) are left out (pairwise
    deletion). t = r sqrt((n - 2) / (1 - r^2)) on n - 2 df; CI = tanh(atanh(r) ± z_{(1 + ci)/2} /
    sqrt(n - 3)). With n ≤ 2, r is missing; with n ≤ 3, the CI is. Matches R's ``cor.test``
    (tested on the bfi data).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import correlations
    >>> rng = np.random.default_rng(1)
    >>> data = pd.DataFrame({"anxiety": rng.normal(3, 1, 50), "avoidance": rng.normal(2.5, 1, 50)})
    >>> data["satisfaction"] = 5 - 0.5 * data["avoidance"] + rng.normal(0, 1, 50)
    >>> correlations(data, x=["anxiety", "avoidance"], y="satisfaction").round(3)
               x             y   n      r  ci_low  ci_high  statistic  df  p_value
    0    anxiety  satisfaction  50 -0.128  -0.392    0.156     -0.894  48    0.376
    1  avoidance  satisfaction  50 -0.386  -0.600   -0.121     -2.902  48    0.006
    """
    from scipy import stats

    xs, ys = _as_list(x), _as_list(y)
    _require_columns(data, xs + ys)
    if not 0 < ci < 1:
        from analysis.exceptions import ParameterError

        raise ParameterError(f"`ci` must be between 0 and 1, but {ci!r} was passed.")
    z_crit = stats.norm.ppf(0.5 + ci / 2)
    rows = []
    for a in xs:
        for b in ys:
            pair = data[[a, b]].apply(pd.to_numeric, errors="coerce").dropna()
            n = len(pair)
            with np.errstate(divide="ignore", invalid="ignore"):  # a constant column: r is NaN, no warning
                r = np.clip(np.corrcoef(pair[a], pair[b])[0, 1], -1.0, 1.0) if n > 2 else np.float64(np.nan)
            with np.errstate(divide="ignore", invalid="ignore"):  # r = ±1: t infinite, CI [r, r], as cor.test
                t = r * np.sqrt((n - 2) / (1 - r**2))
                half = z_crit / np.sqrt(n - 3) if n > 3 else np.nan
                z = np.arctanh(r)
            p = 2 * stats.t.sf(abs(t), n - 2) if n > 2 else np.nan
            rows.append({"x": a, "y": b, "n": n, "r": float(r), "ci_low": np.tanh(z - half),
                         "ci_high": np.tanh(z + half), "statistic": t, "df": n - 2,
                         "p_value": p})  # fmt: skip
    out = pd.DataFrame(rows, columns=["x", "y", "n", "r", "ci_low", "ci_high", "statistic", "df", "p_value"])
    out.attrs["ci"] = ci
    return out


def frequencies(values: pd.Series) -> pd.DataFrame:
    """Count each category of a variable, with percentages (missing counted separately).

    Parameters
    ----------
    values : pandas.Series
        One variable (categorical, text or numbers).

    Returns
    -------
    pandas.DataFrame
        One row per category: ``category`` (as text; ``"missing"`` last when there are missing
        values), ``n`` and ``pct`` (% of all rows, missing included). Categories of a
        categorical Series come in their order, unused ones with n 0; other values in order of
        first appearance.

    See Also
    --------
    descriptives : Statistics of numeric variables.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import frequencies
    >>> styles = pd.Categorical(["secure", "anxious", "secure", None], categories=["secure", "anxious", "avoidant"])
    >>> frequencies(pd.Series(styles))
       category  n   pct
    0    secure  2  50.0
    1   anxious  1  25.0
    2  avoidant  0   0.0
    3   missing  1  25.0
    """
    counts = values.value_counts(dropna=False, sort=False)
    if isinstance(values.dtype, pd.CategoricalDtype):
        order = list(values.cat.categories) + ([np.nan] if values.isna().any() else [])
        counts = counts.reindex(order, fill_value=0)
    labels = ["missing" if pd.isna(c) else str(c) for c in counts.index]
    return pd.DataFrame({"category": labels, "n": counts.to_numpy(), "pct": 100 * counts.to_numpy() / len(values)})


def value_label(value, mapping) -> str:
    """The label of one group value in `mapping` (``{value: label}`` from the codebook), matched as it
    is or by its text (``2``, ``2.0`` and ``"2"`` alike); the value as text when it has none.

    Examples
    --------
    >>> value_label(2.0, {1: "woman", 2: "man"}), value_label("3", {1: "woman"}), value_label(3.0, {})
    ('man', '3', '3')
    """
    def text(v) -> str:
        return str(int(v)) if isinstance(v, float | np.floating) and float(v).is_integer() else str(v)

    mapping = mapping or {}
    if value in mapping:
        return str(mapping[value])
    return next((str(label) for key, label in mapping.items() if text(key) == text(value)), text(value))


def group_means(data: pd.DataFrame, *, columns: Sequence[str], groups: Sequence[str],
                value_labels: dict | None = None) -> pd.DataFrame:  # fmt: skip
    """Mean and SD of `columns` within each level of each grouping column.

    Parameters
    ----------
    data : pandas.DataFrame
        The data, one row per observation.
    columns : str or list of str
        Numeric variables to summarise.
    groups : str or list of str
        Grouping columns, each compared in turn; those absent from `data` are skipped.
    value_labels : dict, optional
        ``{group column: {value: label}}`` (``Dataset.value_labels[table]``): levels are shown by
        their label (gender 1 as "woman").

    Returns
    -------
    pandas.DataFrame
        One row per group column, level and variable: ``group``, ``level`` (its label, or the
        value as text; in sorted order of the values), ``variable``, ``n`` (non-missing values),
        ``mean``, ``sd`` (n - 1).

    Raises
    ------
    DataError
        If a column of `columns` is not in `data`.

    See Also
    --------
    descriptives : Statistics of each variable over all rows.
    cohens_d : Standardized difference between two groups.

    Notes
    -----
    Rows with a missing group value are left out of that grouping; missing values (and values
    that are not numbers) of a variable are left out of its mean and SD.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import group_means
    >>> data = pd.DataFrame({"gender": ["w", "m", "w", "m", "w"], "sat": [5, 4, 6, 3, np.nan]})
    >>> group_means(data, columns=["sat"], groups=["gender"]).round(2)
        group level variable  n  mean    sd
    0  gender     m      sat  2   3.5  0.71
    1  gender     w      sat  2   5.5  0.71
    """
    cols = _as_list(columns)
    _require_columns(data, cols)
    rows = []
    for group in [g for g in _as_list(groups) if g in data.columns]:
        for level, part in data.groupby(group, observed=True, dropna=True):
            for col in cols:
                x = pd.to_numeric(part[col], errors="coerce").dropna()
                shown = value_label(level, (value_labels or {}).get(group))
                rows.append({"group": group, "level": shown, "variable": col, "n": len(x),
                             "mean": x.mean(), "sd": x.std(ddof=1)})  # fmt: skip
    return pd.DataFrame(rows, columns=["group", "level", "variable", "n", "mean", "sd"])
