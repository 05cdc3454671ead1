"""Diary variables: daily predictors split into within- and between-person parts (`center_within`),
lags on the day calendar (`lag`), and the check that each person has whole, unique day numbers
(`check_days`)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis._checks import _as_list, _require_columns, _require_numeric
from analysis._compat import positional_roles, renamed_parameter
from analysis.exceptions import DataError, ParameterError

__all__ = ["center_within", "lag", "check_days", "within_columns", "between_columns"]




@renamed_parameter(cluster="group")
@positional_roles("columns", "group")
def center_within(data: pd.DataFrame, *, columns: str | Sequence[str], group: str) -> pd.DataFrame:
    """Split daily predictors into within-person and between-person parts (person-mean centring).

    Parameters
    ----------
    data : pandas.DataFrame
        Long diary data, one row per person-day. Not modified.
    columns : str or list of str
        Numeric columns to split.
    group : str
        Person id column (the unit whose mean is removed).

    Returns
    -------
    pandas.DataFrame
        A copy of `data` with ``<col>_within`` (the day's value minus the person's mean of the
        days they answered) and ``<col>_between`` (the person's mean minus the grand mean of
        the person means, each person counted once) for every column.

    Raises
    ------
    DataError
        A column is absent or not numeric.
    ParameterError
        `columns` is empty.

    See Also
    --------
    lag, mixed_model

    Notes
    -----
    ``x_ti = (x_ti - xbar_i) + (xbar_i - mean_i(xbar_i))``: within and between effects are then
    separate coefficients (Bolger & Laurenceau, 2013, ch. 4; Curran & Bauer, 2011). Missing days
    are ignored in the person mean; rows with a missing value keep a missing ``_within``; rows
    with a missing `group` get missing values in both new columns. In R, with ``m <- ave(x,
    person, FUN = function(v) mean(v, na.rm = TRUE))``: ``x - m`` and ``m - mean(tapply(x,
    person, mean, na.rm = TRUE))``.

    References
    ----------
    Bolger, N., & Laurenceau, J.-P. (2013). *Intensive longitudinal methods*. Guilford Press.

    Curran, P. J., & Bauer, D. J. (2011). The disaggregation of within-person and between-person
    effects in longitudinal models of change. *Annual Review of Psychology, 62*, 583-619.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import center_within
    >>> d = pd.DataFrame({"person": [1, 1, 2, 2], "x": [1.0, 3.0, 4.0, 6.0]})
    >>> center_within(d, columns="x", group="person")[["x_within", "x_between"]].to_numpy().tolist()
    [[-1.0, -1.5], [1.0, -1.5], [-1.0, 1.5], [1.0, 1.5]]
    """
    cols = _as_list(columns)
    if not cols:
        raise ParameterError("`columns` is empty: name at least one numeric column to centre.")
    _require_columns(data, cols + [group])
    _require_numeric(data, cols)
    out = data.copy()
    for c in cols:
        pm = data.groupby(group, dropna=True)[c].transform("mean")
        grand = data.groupby(group, dropna=True)[c].mean().mean()
        out[f"{c}_within"] = data[c] - pm
        out[f"{c}_between"] = pm - grand
    return out


@renamed_parameter(cluster="person", time="day")
@positional_roles("columns", "person", "day", "k")
def lag(data: pd.DataFrame, *, columns: str | Sequence[str], person: str, day: str, k: int = 1) -> pd.DataFrame:
    """Lagged predictors within person on the day index (a missing day gives a missing lag).

    Parameters
    ----------
    data : pandas.DataFrame
        Long diary data, one row per person-day. Not modified.
    columns : str or list of str
        Columns to lag.
    person : str
        Person id column.
    day : str
        Integer day index column (e.g. ``day``); each person has at most one row per day.
    k : int, default 1
        Lag in days.

    Returns
    -------
    pandas.DataFrame
        A copy of `data` with ``<col>_lag<k>``: the person's value on day ``day - k``, missing
        when that day was not reported (never the previous *observed* day).

    Raises
    ------
    DataError
        A column is absent, `day` is not integer-valued, or a person has two rows for one day.
    ParameterError
        `k` is not a positive integer.

    See Also
    --------
    center_within, mixed_model

    Notes
    -----
    The lag is taken on the calendar of `day`, not on the order of the rows: the value of day
    ``t - k`` of the same person, as R's ``x[match(paste(person, day - k), paste(person, day))]``
    (and unlike ``dplyr::lag``, which takes the previous row).

    References
    ----------
    Bolger, N., & Laurenceau, J.-P. (2013). *Intensive longitudinal methods*. Guilford Press.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import lag
    >>> d = pd.DataFrame({"person": [1, 1, 1], "day": [1, 2, 4], "x": [5.0, 6.0, 7.0]})
    >>> lag(d, columns="x", person="person", day="day")["x_lag1"].tolist()
    [nan, 5.0, nan]
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ParameterError(f"The value for `k` must be a positive integer, but {k!r} was passed.")
    cols = _as_list(columns)
    _require_columns(data, cols + [person, day])
    check_days(data, person, day)
    key = data[[person, day]].copy()
    src = data[[person, day] + cols].dropna(subset=[person, day]).copy()
    src[day] = src[day] + k
    src = src.rename(columns={c: f"{c}_lag{k}" for c in cols})
    merged = key.merge(src, on=[person, day], how="left")
    out = data.copy()
    for c in cols:
        out[f"{c}_lag{k}"] = merged[f"{c}_lag{k}"].to_numpy()
    return out


def check_days(data: pd.DataFrame, cluster: str, time: str) -> None:
    """Raise DataError unless `time` holds whole day numbers and each `cluster` (person) has at
    most one row per day; the message names the first offending value and row."""
    _require_numeric(data, [time])
    t = data[time].dropna().to_numpy(float)
    if np.any(t != np.round(t)):
        bad = data[time][data[time] != np.round(data[time])].iloc[0]
        raise DataError(f"Column {time!r} must hold whole day numbers, but it has {bad!r}. "
                        "Use the diary day index (1, 2, ...).")  # fmt: skip
    dup = data.duplicated(subset=[cluster, time], keep=False) & data[[cluster, time]].notna().all(axis=1)
    if dup.any():
        row = data[dup].iloc[0]
        raise DataError(f"{cluster!r} {row[cluster]!r} has {int(dup[data[cluster] == row[cluster]].sum())} rows "
                        f"for {time} {row[time]!r} (row {data.index[dup][0]!r}); keep one row per person and day.")


def within_columns(columns: str | Sequence[str]) -> list[str]:
    """Names of the within-person parts that `center_within` makes: ``<column>_within``.

    Parameters
    ----------
    columns : str or sequence of str
        Daily variables.

    Returns
    -------
    list of str
        ``["<column>_within", ...]`` in the same order.

    Examples
    --------
    >>> within_columns(["disclosure", "conflict"])
    ['disclosure_within', 'conflict_within']
    """
    return [f"{c}_within" for c in _as_list(columns)]


def between_columns(columns: str | Sequence[str]) -> list[str]:
    """Names of the between-person parts that `center_within` makes: ``<column>_between``.

    Parameters
    ----------
    columns : str or sequence of str
        Daily or person-level variables.

    Returns
    -------
    list of str
        ``["<column>_between", ...]`` in the same order.

    Examples
    --------
    >>> between_columns("disclosure")
    ['disclosure_between']
    """
    return [f"{c}_between" for c in _as_list(columns)]
