"""Diary layouts: one row per person-day (long) and one row per person with a column per day (wide)."""

from __future__ import annotations

import re

import pandas as pd

from analysis._checks import _as_list
from analysis._compat import renamed_parameter
from analysis.data._reshape import (
    _check_frame,
    _check_new_names,
    _gather,
    _id_problems,
    _long_problems,
    _raise_problems,
    _spread,
)
from analysis.exceptions import DataError, ParameterError

__all__ = ["diary_to_wide", "diary_to_long"]


@renamed_parameter(subject="person")
def diary_to_wide(data: pd.DataFrame, *, person: str, day: str, variables=None,
                  sep: str = "_d") -> pd.DataFrame:
    """Turn person-period diary data (one row per person and day) into one row per person.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person and day.
    person : str
        Column with the person id.
    day : str
        Column with the day number (whole numbers).
    variables : list of str, optional
        Daily variables; default every column except `person` and `day`. Other columns must
        be constant within a person and are kept once.
    sep : str, default "_d"
        Put between variable and day: ``closeness`` becomes ``closeness_d1``, ``closeness_d2``.

    Returns
    -------
    pandas.DataFrame
        One row per person, in order of first appearance: `person`, then in the order of
        `data` each person-level column and each variable as ``<variable><sep><day>`` for
        every day found in `data` (ascending; missing where the person has no row that day).

    Raises
    ------
    ReshapeError
        Missing person ids or days, a day that is not a whole number, a repeated
        (person, day), or a person-level column that varies within a person. The problems
        are labelled "subject" (as in 0.1).
    DataError
        `day` is not numeric.

    Warns
    -----
    AnalysisWarning
        Rows whose variables are all missing: `diary_to_long` drops them.

    See Also
    --------
    diary_to_long : the inverse.

    Notes
    -----
    As ``tidyr::pivot_wider(data, id_cols = c(person, <person-level columns>), names_from = day,
    values_from = <variables>, names_sep = sep)`` (with the day columns in ascending order), but
    the problems above are checked first and reported together.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import diary_to_wide
    >>> df = pd.DataFrame({"id": [1, 1, 2], "day": [1, 2, 1], "close": [3.0, 4.0, 5.0]})
    >>> diary_to_wide(df, person="id", day="day")
       id  close_d1  close_d2
    0   1       3.0       4.0
    1   2       5.0       NaN
    """
    variables = ([c for c in data.columns if c not in (person, day)] if variables is None
                 else _as_list(variables))
    _check_frame(data, [person, day, *variables], {"person": person, "day": day},
                 {"sep": sep})
    if not variables or {person, day} & set(variables):
        raise ParameterError("`variables` must name at least one column other than `person` "
                             "and `day`.")
    days = data[day]
    if not pd.api.types.is_numeric_dtype(days) or pd.api.types.is_bool_dtype(days):
        raise DataError(f"`{day}` must hold day numbers, but its dtype is {days.dtype}.")
    person_level = [c for c in data.columns if c not in (person, day, *variables)]
    problems = _long_problems(data, person, day, label="subject", by_label="day",
                              constant=person_level, fix="add it to `variables` or make it "
                              "constant within the person")
    frac = (days.notna() & (days % 1 != 0)).to_numpy(dtype=bool)
    problems += [(s, "non_integer_day", f"`{day}` = {d} is not a whole number; recode the days")
                 for s, d in zip(data.loc[frac, person], days[frac], strict=True)]
    _raise_problems(problems, "subject", "reshape diary data to wide format")
    all_days = sorted(int(d) for d in days.unique())
    _check_new_names([person, *person_level] + [f"{v}{sep}{d}" for v in variables
                                                 for d in all_days], "sep")
    return _spread(data.reset_index(drop=True), person, day, all_days, variables,
                   lambda v, d: f"{v}{sep}{d}", "subject")


@renamed_parameter(subject="person")
def diary_to_long(data: pd.DataFrame, *, person: str, day: str = "day", stubs,
                  sep: str = "_d") -> pd.DataFrame:
    """Turn wide diary data (one row per person) into person-period data (one row per day).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person with columns ``<stub><sep><day>``, such as ``closeness_d1``.
    person : str
        Column with the person id.
    day : str, default "day"
        Name of the day column to create (int64 day numbers).
    stubs : list of str
        Daily variable names. Every other column is person-level, repeated on each row.
    sep : str, default "_d"
        Separator between stub and day number.

    Returns
    -------
    pandas.DataFrame
        One row per person and day, persons in input order and days ascending: `person`,
        `day`, then the person-level columns and the stubs in the order of their first column
        in `data`. Rows whose stub variables are all missing (days not reported) are dropped,
        so the output of `diary_to_wide` gives back exactly its long rows.

    Raises
    ------
    ReshapeError
        Missing or repeated person ids (labelled "subject", as in 0.1).
    DataError
        A stub matches no column.

    See Also
    --------
    diary_to_wide : the inverse.

    Notes
    -----
    As ``tidyr::pivot_longer(data, cols = matches("<stub><sep>\\d+"), names_to = c(".value",
    day), names_sep = sep)`` followed by dropping the rows whose stubs are all missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import diary_to_long
    >>> wide = pd.DataFrame({"id": [1, 2], "close_d1": [3.0, 5.0], "close_d2": [4.0, None]})
    >>> diary_to_long(wide, person="id", stubs=["close"])
       id  day  close
    0   1    1    3.0
    1   1    2    4.0
    2   2    1    5.0
    """
    stubs = _as_list(stubs)
    _check_frame(data, [person], {"person": person, "day": day}, {"sep": sep, "day": day})
    if not stubs or len(set(stubs)) < len(stubs) or person in stubs or day in data.columns:
        raise ParameterError("`stubs` must list distinct daily variable names and `day` must be "
                             f"a new column name, but {stubs!r} and {day!r} were passed.")
    found: dict = {s: {} for s in stubs}
    for col in data.columns.drop(person):
        for s in stubs:
            match = re.fullmatch(re.escape(s) + re.escape(sep) + r"(\d+)", str(col))
            if match:
                found[s][int(match.group(1))] = col
    if not all(found.values()):
        raise DataError(f"No column is named `<stub>{sep}<day>` for stubs "
                        f"{[s for s in stubs if not found[s]]}; check the names and `sep`.")
    used = {c for cols in found.values() for c in cols.values()}
    others = [c for c in data.columns if c not in used and c != person]
    _check_new_names([person, day, *others, *stubs], "stubs")
    _raise_problems(_id_problems(data, person, "subject"), "subject",
                    "reshape diary data to long format")
    all_days = sorted({d for cols in found.values() for d in cols})
    stems = {s: {all_days.index(d): c for d, c in cols.items()} for s, cols in found.items()}
    result = _gather(data, person, day, pd.Index(all_days, dtype="int64"), stems)
    return result[result[stubs].notna().any(axis=1)].reset_index(drop=True)
