"""What a data set holds, variable by variable, for the overview report: which variables are described
and how (`overview_variables`, from the codebook), frequency tables with value labels
(`frequency_table`), missing values by variable (`missing_by_variable`) and every pairwise
correlation (`correlation_pairs`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis._checks import _as_list, _check_level, _require_columns, _require_numeric
from analysis.data.dataset import Dataset
from analysis.data.describe import (
    correlations,
)

__all__ = ["overview_variables", "frequency_table", "missing_by_variable", "correlation_pairs"]


#: a categorical variable with more levels than this is not tabulated by the overview
MAX_LEVELS = 30

#: codebook roles the overview does not describe, with the reason it gives
_SKIPPED_ROLES = {
    "id": "id", "dyad_id": "dyad id", "family_id": "family id", "partner_role": "partner number",
    "day": "day (measurement occasion)",
    "attention_check": "attention check (see the data-quality report)",
    "duration": "duration (see the data-quality report)", "pii": "identifying", "free_text": "free text",
    "metadata": "metadata", "weight": "sample design (see the data-quality report)",
    "strata": "sample design (see the data-quality report)", "psu": "sample design (see the data-quality report)",
    "fpc": "sample design (see the data-quality report)",
    "replicate_weight": "sample design (see the data-quality report)",
}  # fmt: skip

_OVERVIEW_COLUMNS = ["variable", "label", "type", "role", "kind", "reason"]


def overview_variables(dataset: Dataset, *, table: str | None = None) -> pd.DataFrame:
    """Decide, from the codebook, which variables of a table the overview describes and how.

    Parameters
    ----------
    dataset : Dataset
        A loaded data set (`load_dataset`).
    table : str, optional
        Table name; default the codebook's first table.

    Returns
    -------
    pandas.DataFrame
        One row per variable, codebook variables in codebook order, then the table's columns the
        codebook does not list: ``variable`` (column), ``label`` (codebook, SPSS/Stata or
        Qualtrics label, else the column name), ``type`` (codebook type; missing for a column
        not in the codebook), ``role`` (codebook role; missing without one), ``kind`` (``"numeric"``,
        ``"categorical"``, ``"ordinal"`` or ``"skipped"``) and ``reason`` (why it is skipped,
        e.g. ``"id"``, ``"dyad id"``, ``"partner number"``, ``"item (described through its
        instrument score)"``, ``"metadata"``, ``"constant"``, ``"too many levels (177)"``;
        missing for described variables).

    Raises
    ------
    DataError
        If the data set has no table `table`.

    See Also
    --------
    descriptives : Describes the numeric variables.
    frequency_table : Describes the categorical and ordinal variables.
    missing_by_variable : Missing values of each variable.
    correlation_pairs : Correlations of the numeric variables.

    Notes
    -----
    The rules, in order (the first that applies decides):

    1. Skipped by role: ``id``, ``dyad_id``, ``partner_role``, ``day``, ``attention_check``,
       ``duration``, ``pii``, ``free_text``, ``metadata``, and ``item`` of an instrument in the
       library (described through its instrument score; an item whose instrument has no
       definition file is described like any other variable). Columns dropped at load
       (identifying) are listed as skipped.
    2. Skipped by content: no value (every value missing), or a single value (constant).
    3. ``integer`` or ``number`` without ``values`` and without value labels of every observed
       value: numeric. Value labels of a few values only (scale anchors such as
       ``{1: none, 7: many}``) keep a variable numeric.
    4. Everything else (``categorical``, ``boolean``, ``string``, integers with ``values`` or
       with a label for every observed value) is categorical, or ordinal when the codebook says
       ``ordered: true`` or the column is an ordered pandas Categorical; skipped when it has more
       than ``MAX_LEVELS`` (30) levels (categories of a categorical column, else distinct values).

    A column the codebook does not list is numeric if its dtype is numeric, else treated as
    categorical by rule 4.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import load_dataset, overview_variables
    >>> codebook = '''
    ... dataset: tiny
    ... tables:
    ...   survey:
    ...     file: survey.csv
    ...     variables:
    ...       person_id: {type: integer, role: id}
    ...       age: {type: integer, label: Age in years}
    ...       quality: {type: categorical, values: [poor, fair, good], ordered: true}
    ...       gender: {type: integer, values: [1, 2], value_labels: {1: man, 2: woman}}
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "codebook.yaml").write_text(codebook)
    ...     _ = (Path(tmp) / "survey.csv").write_text("person_id,age,quality,gender\\n1,34,good,1\\n2,29,poor,2\\n")
    ...     ds = load_dataset(tmp)
    >>> overview_variables(ds)[["variable", "label", "kind", "reason"]]
        variable         label         kind reason
    0  person_id     person_id      skipped     id
    1        age  Age in years      numeric    NaN
    2    quality       quality      ordinal    NaN
    3     gender        gender  categorical    NaN
    """
    name = dataset.table_name(table)
    frame = dataset.table(name)
    variables = dataset.variables(name)
    labels = dataset.labels.get(name, {})
    value_labels = dataset.value_labels.get(name, {})
    removed = dataset.removed_columns[dataset.removed_columns["table"] == name]
    removed = dict(zip(removed["column"], removed["reason"], strict=True))
    library = _library_instruments({spec.get("instrument") for spec in variables.values()})
    rows = []
    for col in list(variables) + [c for c in frame.columns if c not in variables]:
        spec = variables.get(col)
        if col not in frame.columns:
            kind, reason = "skipped", f"dropped at load ({removed.get(col, 'identifying')})"
        else:
            kind, reason = _overview_kind(frame[col], spec, value_labels.get(col), library)
        rows.append({"variable": col, "label": labels.get(col) or col, "type": (spec or {}).get("type"),
                     "role": (spec or {}).get("role"), "kind": kind, "reason": reason})  # fmt: skip
    return pd.DataFrame(rows, columns=_OVERVIEW_COLUMNS)


def _library_instruments(ids) -> set:
    """The instrument ids among `ids` that have a definition file in the library."""
    from analysis.data.instrument_library import load_instrument
    from analysis.exceptions import InstrumentError

    found = set()
    for ins_id in ids:
        if ins_id is None:
            continue
        try:
            load_instrument(str(ins_id))
        except InstrumentError:
            continue
        found.add(ins_id)
    return found


def _overview_kind(values: pd.Series, spec: dict | None, value_labels: Mapping | None,
                   library: set) -> tuple[str, str | None]:  # fmt: skip
    """(kind, reason) of one column for `overview_variables` (the rules are in its Notes)."""
    spec = spec or {}
    role, kind = spec.get("role"), spec.get("type")
    if role == "item" and spec.get("instrument") in library:
        return "skipped", "item (described through its instrument score)"
    if role in _SKIPPED_ROLES:
        return "skipped", _SKIPPED_ROLES[role]
    observed = values.dropna()
    distinct = observed.nunique()
    if distinct == 0:
        return "skipped", "no values (every value missing)"
    if distinct == 1:
        return "skipped", "constant"
    if kind is None:  # not in the codebook: by dtype
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        kind = "number" if numeric else "string"
    if kind in ("integer", "number") and not spec.get("values"):
        text = {_value_text(k) for k in (value_labels or {})}
        if not text or not {_value_text(v) for v in observed.unique()} <= text:
            return "numeric", None
    is_categorical = isinstance(values.dtype, pd.CategoricalDtype)
    levels = len(values.cat.categories) if is_categorical else distinct
    if levels > MAX_LEVELS:
        return "skipped", f"too many levels ({levels})"
    ordered = bool(spec.get("ordered")) or (is_categorical and bool(values.cat.ordered))
    return ("ordinal" if ordered else "categorical"), None


def _value_text(value) -> str:
    """A value as text: whole floats without ``.0`` (``2.0`` -> ``"2"``), numpy scalars as Python's."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value.item() if isinstance(value, np.generic) else value)


def frequency_table(data: pd.DataFrame, *, columns: Sequence[str] | str,
                    value_labels: Mapping[str, Mapping] | None = None) -> pd.DataFrame:  # fmt: skip
    """Count the values of several categorical or ordinal columns, in one long table.

    Parameters
    ----------
    data : pandas.DataFrame
        The data, one row per observation.
    columns : str or list of str
        Categorical or ordinal columns to count.
    value_labels : dict, optional
        ``{column: {value: label}}`` (``Dataset.value_labels[table]``); a value is matched as
        it is or by its text (``2``, ``2.0`` and ``"2"`` match the same label).

    Returns
    -------
    pandas.DataFrame
        One row per column and value, columns in the order of `columns`: ``variable``,
        ``value`` (as in `data`), ``label`` (the value label, else the value as text), ``n``
        and ``pct`` (% of the non-missing values of the column; missing when none). A column
        with missing values ends with a row whose ``value`` and ``label`` are ``"missing"``,
        ``n`` the number missing and ``pct`` missing. Values come in order: the categories of a
        categorical column (ordered or not; the codebook's ``values`` when loaded by
        `load_dataset`), unused ones with n 0; otherwise the observed values sorted.

    Raises
    ------
    DataError
        If a column of `columns` is not in `data`.

    See Also
    --------
    frequencies : One variable, percentages of all rows.
    overview_variables : Which columns are categorical or ordinal.
    descriptives : Statistics of numeric variables.

    Notes
    -----
    The counts are ``Series.value_counts(dropna=True)``; percentages are of the answered rows,
    so the categories of a variable add up to 100 and missingness is reported separately (as
    SPSS's "valid percent").

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import frequency_table
    >>> data = pd.DataFrame({"quality": pd.Categorical(["good", "poor", "good", None],
    ...                                                categories=["poor", "fair", "good"]),
    ...                      "gender": [1, 2, 2, 2]})
    >>> frequency_table(data, columns=["quality", "gender"], value_labels={"gender": {1: "man", 2: "woman"}})
      variable    value    label  n        pct
    0  quality     poor     poor  1  33.333333
    1  quality     fair     fair  0   0.000000
    2  quality     good     good  2  66.666667
    3  quality  missing  missing  1        NaN
    4   gender        1      man  1  25.000000
    5   gender        2    woman  3  75.000000
    """
    cols = _as_list(columns)
    _require_columns(data, cols)
    value_labels = value_labels or {}
    rows = []
    for col in cols:
        values = data[col]
        n_missing = int(values.isna().sum())
        answered = len(values) - n_missing
        counts = values.value_counts(dropna=True, sort=False)
        if isinstance(values.dtype, pd.CategoricalDtype):
            counts = counts.reindex(values.cat.categories, fill_value=0)
        else:
            counts = counts.reindex(_sorted_values(counts.index))
        given = value_labels.get(col) or {}
        by_text = {_value_text(k): str(v) for k, v in given.items()}
        for value, n in counts.items():
            value = value.item() if isinstance(value, np.generic) else value
            label = given[value] if value in given else by_text.get(_value_text(value), _value_text(value))
            rows.append({"variable": col, "value": value, "label": str(label), "n": int(n),
                         "pct": 100 * n / answered if answered else np.nan})  # fmt: skip
        if n_missing:
            rows.append({"variable": col, "value": "missing", "label": "missing", "n": n_missing, "pct": np.nan})
    out = pd.DataFrame(rows, columns=["variable", "value", "label", "n", "pct"])
    return out.astype({"value": object, "n": int, "pct": float})


def _sorted_values(values) -> list:
    """Values sorted; as text when they cannot be compared (mixed types)."""
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=_value_text)


def missing_by_variable(data: pd.DataFrame, *, columns: Sequence[str] | str) -> pd.DataFrame:
    """Count the missing values of each column.

    Parameters
    ----------
    data : pandas.DataFrame
        The data, one row per observation.
    columns : str or list of str
        Columns to count.

    Returns
    -------
    pandas.DataFrame
        One row per column, in the order of `columns`: ``variable``, ``n`` (rows of `data`),
        ``n_missing`` (missing values: empty cells, declared missing codes and values set to
        missing at load) and ``pct_missing`` (% of the rows; missing when `data` has no rows).

    Raises
    ------
    DataError
        If a column of `columns` is not in `data`.

    See Also
    --------
    missingness : Missing item responses per instrument.
    overview_variables : Which variables the overview describes.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import missing_by_variable
    >>> data = pd.DataFrame({"age": [34, np.nan, 29, 41], "gender": ["w", "m", None, None]})
    >>> missing_by_variable(data, columns=["age", "gender"])
      variable  n  n_missing  pct_missing
    0      age  4          1         25.0
    1   gender  4          2         50.0
    """
    cols = _as_list(columns)
    _require_columns(data, cols)
    n = len(data)
    rows = [{"variable": col, "n": n, "n_missing": int(data[col].isna().sum())} for col in cols]
    out = pd.DataFrame(rows, columns=["variable", "n", "n_missing"])
    out["pct_missing"] = 100 * out["n_missing"] / n if n else np.nan
    return out


def correlation_pairs(data: pd.DataFrame, *, columns: Sequence[str], ci: float = 0.95) -> pd.DataFrame:
    """Pearson correlation of every pair of `columns` (each pair once), pairwise complete.

    Parameters
    ----------
    data : pandas.DataFrame
        The data, one row per observation.
    columns : list of str
        Numeric columns, in the order the pairs are listed (and a matrix is drawn).
    ci : float, default 0.95
        Confidence level of the intervals (between 0 and 1).

    Returns
    -------
    pandas.DataFrame
        One row per pair ``columns[i]``, ``columns[j]`` with i < j, in that order: ``x``, ``y``,
        ``r``, ``ci_low``, ``ci_high`` (Fisher z interval), ``n`` (complete pairs), ``p_value``
        (two-sided, r = 0). No rows with fewer than two columns. ``attrs["ci"]`` holds the level.

    Raises
    ------
    DataError
        If a column is not in `data` or is not numeric.
    ParameterError
        If `ci` is not between 0 and 1, or a column is listed twice.

    See Also
    --------
    correlations : Every `x` with every `y`, with the t statistic (computes each pair here).
    analysis.report.tables.correlation_matrix_table : The APA correlation matrix of the pairs.

    Notes
    -----
    Each pair uses the rows where both values are present (pairwise deletion), so n may differ
    between pairs. Computed by `correlations`, which matches R's ``cor.test``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import correlation_pairs
    >>> rng = np.random.default_rng(1)
    >>> data = pd.DataFrame({"anxiety": rng.normal(3, 1, 50), "avoidance": rng.normal(2.5, 1, 50)})
    >>> data["satisfaction"] = 5 - 0.5 * data["avoidance"] + rng.normal(0, 1, 50)
    >>> correlation_pairs(data, columns=["anxiety", "avoidance", "satisfaction"]).round(3)
               x             y      r  ci_low  ci_high   n  p_value
    0    anxiety     avoidance -0.048  -0.322    0.233  50    0.741
    1    anxiety  satisfaction -0.128  -0.392    0.156  50    0.376
    2  avoidance  satisfaction -0.386  -0.600   -0.121  50    0.006
    """
    from analysis.exceptions import ParameterError

    cols = _as_list(columns)
    _require_columns(data, cols)
    _require_numeric(data, cols)
    _check_level("ci", ci)
    twice = sorted({c for c in cols if cols.count(c) > 1})
    if twice:
        raise ParameterError(f"`columns` lists {', '.join(map(repr, twice))} more than once; list each column once.")
    names = ["x", "y", "r", "ci_low", "ci_high", "n", "p_value"]
    parts = [correlations(data, x=a, y=cols[i + 1:], ci=ci)[names] for i, a in enumerate(cols[:-1])]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=names)
    out.attrs["ci"] = ci
    return out
