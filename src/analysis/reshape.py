"""Move couples and diary data between layouts: individual, dyad, pairwise, long and wide.

Each converter checks the ids first and raises `ReshapeError` listing every problem (nothing is
silently dropped or fixed); each has an inverse that gives back the same rows and values. The
one dtype change: a numpy int or bool column that must hold a gap (an absent member or day)
becomes nullable (``Int64``, ``boolean``). Missing columns raise `DataError`, bad keyword values
(or output names that would clash) `ParameterError`.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from ._validation import _as_list, _require_columns
from .exceptions import AnalysisWarning, DataError, ParameterError

__all__ = ["ReshapeError", "individual_to_dyad", "dyad_to_individual", "individual_to_pairwise",
           "pairwise_to_individual", "diary_to_wide", "diary_to_long"]

_MAX_SHOWN = 20


class ReshapeError(DataError):
    """Ids or values that stop a reshape. `.problems` is a DataFrame, one row per problem, with
    columns `dyad` (or `subject`; missing when the id itself is missing), `problem` (a short
    code such as ``"too_many_members"``) and `detail` (what is wrong and how to fix it)."""

    def __init__(self, message: str, problems: pd.DataFrame):
        super().__init__(message)
        self.problems = problems


def _raise_problems(rows: list, key: str, action: str) -> None:
    """Raise ReshapeError listing every (id, problem, detail) in `rows`; do nothing if empty."""
    if not rows:
        return
    ids, codes, details = zip(*rows)
    problems = pd.DataFrame({key: pd.Series(ids, dtype=object), "problem": codes,
                             "detail": details})
    lines = [f"  - {key} {'<missing>' if pd.isna(i) else i}: {d}" for i, _, d in rows[:_MAX_SHOWN]]
    if len(rows) > _MAX_SHOWN:
        lines.append(f"  ... and {len(rows) - _MAX_SHOWN} more (see the error's `.problems`)")
    raise ReshapeError(f"Cannot {action}: {len(rows)} problem(s) in the data. Nothing was "
                       "changed; fix these and call again:\n" + "\n".join(lines), problems)


def _check_frame(data, columns: list, roles: dict, texts: dict) -> None:
    """Columns present and uniquely named, role arguments distinct, `texts` non-empty strings."""
    _require_columns(data, columns)
    if len(set(roles.values())) < len(roles):
        given = ", ".join(f"{k}={v!r}" for k, v in roles.items())
        raise ParameterError(f"The role arguments must name different columns, but {given} "
                             "were passed.")
    for param, value in texts.items():
        if not isinstance(value, str) or not value:
            raise ParameterError(f"The value for `{param}` must be a non-empty string, but "
                                 f"{value!r} was passed.")
    if data.columns.has_duplicates:
        dup = data.columns[data.columns.duplicated()].unique().tolist()
        raise DataError(f"data has duplicated column names {dup}; rename them.")


def _check_new_names(new: list, param: str) -> None:
    """Raise ParameterError if the output would hold two columns with the same name."""
    clash = pd.Index(new)[pd.Index(new).duplicated()].unique().tolist()
    if clash:
        raise ParameterError(f"The output would have two columns named {clash}; choose another "
                             f"`{param}` or rename those columns first.")


def _check_roles(roles) -> list:
    if isinstance(roles, str) or not pd.api.types.is_list_like(roles) or len(roles) != 2 \
            or pd.isna(list(roles)).any() or list(roles)[0] == list(roles)[1]:
        raise ParameterError("The value for `roles` must be a list of two different role codes, "
                             f"such as [1, 2] or ['woman', 'man'], but {roles!r} was passed.")
    return list(roles)


def _py(value):
    """Numpy scalars (and arrays) as plain Python values, for readable messages."""
    return value.tolist() if hasattr(value, "tolist") else value


def _take(col: pd.Series, positions: np.ndarray) -> pd.Series:
    """Values of `col` at `positions` (missing where -1) on a RangeIndex. A numpy int or bool
    column becomes its nullable type (Int64, boolean) when a value is missing."""
    col = col.reset_index(drop=True)
    if (positions < 0).any() and isinstance(col.dtype, np.dtype) and col.dtype.kind in "biu":
        bits = col.dtype.itemsize * 8
        col = col.astype({"b": "boolean", "i": f"Int{bits}", "u": f"UInt{bits}"}[col.dtype.kind])
    return col.reindex(positions).reset_index(drop=True)


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Elementwise: equal, or both missing."""
    a, b = a.reset_index(drop=True).astype(object), b.reset_index(drop=True).astype(object)
    return (a == b).to_numpy(dtype=bool) | (a.isna() & b.isna()).to_numpy()


def _positions(codes: np.ndarray, mask, n_groups: int) -> np.ndarray:
    """For each group, the row where `mask` is true (-1 if none; at most one by earlier checks)."""
    pos = np.full(n_groups, -1)
    rows = np.flatnonzero(np.asarray(mask) & (codes >= 0))
    pos[codes[rows]] = rows
    return pos


def _long_problems(data, key: str, by: str, *, label: str, by_label: str, max_rows=None,
                   roles=None, constant=(), fix="") -> list:
    """Problems of a long frame (rows keyed by `key` and `by`): missing ids or `by` values,
    more than `max_rows` rows per id, a repeated (id, `by`), `by` not in `roles`, and
    `constant` columns that differ (in value or missingness) within an id."""
    ids, by_values = data[key], data[by]
    rows = [(pd.NA, f"missing_{label}_id", f"the row with index {i!r} has no `{key}` value; "
             "fill it in or drop the row") for i in data.index[ids.isna()]]
    no_by = by_values.isna() & ids.notna()
    rows += [(d, f"missing_{by_label}", f"the row with index {i!r} has no `{by}` value; fill it "
              "in or drop the row") for i, d in data.loc[no_by, key].items()]
    known = data.loc[ids.notna(), [key, by]]
    size = known.groupby(key, sort=False, observed=True).size()
    if max_rows:
        rows += [(d, "too_many_members", f"{n} rows, but a {label} has at most {max_rows} members;"
                  f" remove the extra rows or give them their own `{key}`")
                 for d, n in size[size > max_rows].items()]
    known = known[known[by].notna()]
    counts = known.groupby([key, by], sort=False, observed=True).size()
    rows += [(d, f"duplicate_{by_label}", f"{n} rows have `{by}` = {_py(r)!r}; keep one row per "
              f"{label} and {by_label}") for (d, r), n in counts[counts > 1].items()]
    if roles is not None:
        bad = known[~known[by].isin(roles)]
        rows += [(d, f"unknown_{by_label}", f"`{by}` = {_py(pd.unique(v))} is not one of the "
                  f"roles {roles}; recode it or pass `roles=`")
                 for d, v in bad.groupby(key, sort=False, observed=True)[by]]
    codes = pd.factorize(ids)[0]
    first = _positions(codes, ~pd.Series(codes).duplicated().to_numpy(), len(codes) + 1)
    for col in constant:
        bad = ~_same(data[col], _take(data[col], first[codes])) & (codes >= 0)
        rows += [(i, f"{label}_level_differs", f"`{col}` differs between its rows; {fix}")
                 for i in pd.unique(ids.to_numpy()[bad])]
    return rows


def _id_problems(data, key: str, label: str) -> list:
    """Missing or repeated ids in a one-row-per-id (wide) frame; `label` is dyad or subject."""
    ids = data[key]
    rows = [(pd.NA, f"missing_{label}_id", f"the row with index {i!r} has no `{key}` value; "
             "fill it in or drop the row") for i in data.index[ids.isna()]]
    counts = ids[ids.notna()].value_counts(sort=False)
    return rows + [(i, f"duplicate_{label}", f"{n} rows, but a wide file has one row per "
                    f"{label}; merge or remove them") for i, n in counts[counts > 1].items()]


def _spread(work, key: str, by: str, levels: list, variables: list, name, label: str):
    """One row per `key` (ids already checked): `variables` spread over `levels` of `by` as
    ``name(variable, level)``; other columns taken from the id's first row. Warns about rows
    whose variables are all missing, which the inverse cannot give back."""
    empty = work[variables].isna().all(axis=1)
    if empty.any():
        rows = [f"{label} {k} {by} {b}" for k, b in work.loc[empty, [key, by]].to_numpy()]
        warnings.warn(f"{len(rows)} row(s) have every variable missing ({', '.join(rows[:20])}"
                      f"{' ...' if len(rows) > 20 else ''}); the inverse conversion drops such "
                      "rows, so a round trip will not return them.", AnalysisWarning, stacklevel=3)
    codes, uniques = pd.factorize(work[key])
    first = _positions(codes, ~work[key].duplicated(), len(uniques))
    pos = [_positions(codes, work[by].isin([lv]), len(uniques)) for lv in levels]
    out = {}
    for col in [key, *work.columns.drop([key, by])]:
        if col in variables:
            out.update({name(col, lv): _take(work[col], p) for lv, p in zip(levels, pos)})
        else:
            out[col] = _take(work[col], first)
    return pd.DataFrame(out)


def _gather(data, key: str, by: str, levels: pd.Index, stems: dict) -> pd.DataFrame:
    """Inverse of `_spread`: one row per id and level; ``stems[stem][i]`` is the column holding
    `stem` for ``levels[i]`` (absent: missing). Rows with every stem missing are kept."""
    n, k = len(data), len(levels)
    each = np.repeat(np.arange(n), k)
    out = {key: _take(data[key], each), by: pd.Series(levels.take(np.tile(np.arange(k), n)))}
    owner = {col: s for s, cols in stems.items() for col in cols.values()}
    for col in data.columns.drop(key):
        s = owner.get(col)
        if s is None:
            out[col] = _take(data[col], each)
        elif s not in out:
            blank = _take(data[col], np.full(n, -1))
            stacked = pd.concat([data[stems[s][i]].reset_index(drop=True) if i in stems[s]
                                 else blank for i in range(k)], ignore_index=True)
            order = (np.arange(k) * n + np.arange(n)[:, None]).ravel()
            out[s] = stacked.take(order).reset_index(drop=True)
    return pd.DataFrame(out)


def individual_to_dyad(data: pd.DataFrame, *, dyad: str, partner: str, roles=None,
                       dyad_level=(), sep: str = "_") -> pd.DataFrame:
    """Turn individual data (one row per person) into dyad data (one row per couple).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person.
    dyad, partner : str
        Columns with the couple id and the member's role (such as 1/2 or "woman"/"man").
    roles : list of two values, optional
        Role codes in output order; default the sorted distinct values of `partner`.
    dyad_level : list of str, optional
        Variables equal for both members (such as ``couple_length``), kept unsuffixed.
    sep : str, default "_"
        Put between variable and role: ``sat`` becomes ``sat_1`` and ``sat_2``.

    Returns
    -------
    pandas.DataFrame
        One row per dyad, in order of first appearance: `dyad`, then in the order of `data`
        each `dyad_level` variable and each other variable as ``<name><sep><role>`` per role
        (missing for the absent member of an incomplete dyad, which is kept).

    Raises
    ------
    ReshapeError
        Missing dyad ids or roles, more than two rows in a dyad, two members with one role, a
        role not in `roles`, or a `dyad_level` variable that differs within a dyad.

    Warns
    -----
    AnalysisWarning
        A member with every variable missing (in dyad format they look like an absent member).

    See Also
    --------
    dyad_to_individual : the inverse.

    Examples
    --------
    >>> df = pd.DataFrame({"couple": [1, 1, 2], "role": [1, 2, 1], "sat": [5, 6, 4]})
    >>> individual_to_dyad(df, dyad="couple", partner="role")
       couple  sat_1  sat_2
    0       1      5      6
    1       2      4   <NA>
    """
    dyad_level = _as_list(dyad_level)
    _check_frame(data, [dyad, partner, *dyad_level], {"dyad": dyad, "partner": partner},
                 {"sep": sep})
    if roles is None:
        roles = data[partner].dropna().unique().tolist()
        try:
            roles = sorted(roles)
        except TypeError:
            pass
        if len(roles) != 2:
            raise ParameterError(f"`{partner}` holds {len(roles)} distinct role(s) {roles}; pass "
                                 "`roles=` with the two role codes (other values are reported).")
    roles = _check_roles(roles)
    variables = [c for c in data.columns if c not in (dyad, partner, *dyad_level)]
    if not variables or {dyad, partner} & set(dyad_level):
        raise ParameterError("`dyad_level` must leave at least one variable to spread by role "
                             "and must not name the `dyad` or `partner` column.")
    _check_new_names([dyad, *dyad_level] + [f"{c}{sep}{r}" for c in variables for r in roles],
                     "sep")
    problems = _long_problems(data, dyad, partner, label="dyad", by_label="role", max_rows=2,
                              roles=roles, constant=dyad_level, fix="make it equal for both "
                              "members or leave it out of `dyad_level`")
    _raise_problems(problems, "dyad", "reshape to dyad format")
    return _spread(data.reset_index(drop=True), dyad, partner, roles, variables,
                   lambda v, r: f"{v}{sep}{r}", "dyad")


def dyad_to_individual(data: pd.DataFrame, *, dyad: str, partner: str, roles, sep: str = "_",
                       dyad_level=(), drop_empty_members: bool = True) -> pd.DataFrame:
    """Turn dyad data (one row per couple) into individual data (one row per person).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per dyad; variables end in ``<sep><role>``, such as ``sat_1`` and ``sat_2``.
    dyad : str
        Column with the couple id.
    partner : str
        Name of the role column to create.
    roles : list of two values
        The role codes in the column names, in output order. Their dtype becomes the role
        column's: pass ``pd.array([1, 2], dtype="Int64")`` for a nullable column.
    sep : str, default "_"
        Separator between variable and role.
    dyad_level : list of str, optional
        Unsuffixed columns, copied to both members. Every other column needs a role suffix.
    drop_empty_members : bool, default True
        Drop member rows whose variables are all missing (members absent from the couple).
        A member who existed with every variable missing is dropped too.

    Returns
    -------
    pandas.DataFrame
        One row per member, dyads in input order and roles in `roles` order: `dyad`, `partner`,
        then the `dyad_level` variables and the variables without their role suffix, in the
        order of their first column in `data`.

    Raises
    ------
    ReshapeError
        Missing or repeated dyad ids.
    DataError
        A column has no role suffix and is not in `dyad_level`, or a variable lacks the column
        for one role.

    See Also
    --------
    individual_to_dyad : the inverse.

    Examples
    --------
    >>> wide = pd.DataFrame({"couple": [1, 2], "sat_1": [5.0, 4.0], "sat_2": [6.0, None]})
    >>> dyad_to_individual(wide, dyad="couple", partner="role", roles=[1, 2])
       couple  role  sat
    0       1     1  5.0
    1       1     2  6.0
    2       2     1  4.0
    """
    dyad_level = _as_list(dyad_level)
    _check_frame(data, [dyad, *dyad_level], {"dyad": dyad, "partner": partner}, {"sep": sep})
    roles, roles_index = _check_roles(roles), pd.Index(roles)
    if not isinstance(drop_empty_members, bool) or partner in data.columns:
        raise ParameterError("`drop_empty_members` must be True or False and `partner` a new "
                             f"column name, but {drop_empty_members!r} and {partner!r} were "
                             "passed.")
    suffixes = sorted(((f"{sep}{r}", i) for i, r in enumerate(roles)), key=lambda s: -len(s[0]))
    stems: dict = {}
    unsuffixed = []
    for col in data.columns.drop([dyad, *dyad_level]):
        match = [(s, i) for s, i in suffixes if col.endswith(s) and len(col) > len(s)]
        if match:
            stems.setdefault(col[: -len(match[0][0])], {})[match[0][1]] = col
        else:
            unsuffixed.append(col)
    lacking = [f"{s}{sep}{roles[i]}" for s, cols in stems.items() for i in (0, 1) if i not in cols]
    if unsuffixed or lacking or not stems:
        raise DataError("Every column except `dyad` and `dyad_level` must end in a role suffix "
                        f"({[s for s, _ in suffixes]}), once per role. Columns without a suffix: "
                        f"{unsuffixed} (list them in `dyad_level` if they hold one value per "
                        f"couple); missing columns: {lacking}.")
    _check_new_names([dyad, partner, *dyad_level, *stems], "sep")
    _raise_problems(_id_problems(data, dyad, "dyad"), "dyad", "reshape to individual format")
    result = _gather(data, dyad, partner, roles_index, stems)
    if drop_empty_members:
        result = result[result[list(stems)].notna().any(axis=1)].reset_index(drop=True)
    return result


def _partner_positions(data: pd.DataFrame, dyad: str) -> np.ndarray:
    """For each row, the row of the other member of its dyad (-1 if alone)."""
    pos = pd.Series(np.arange(len(data)))
    groups = pos.groupby(data[dyad].to_numpy(), sort=False)
    size, total = groups.transform("size").to_numpy(), groups.transform("sum").to_numpy()
    return np.where(size == 2, total - pos.to_numpy(), -1)


def individual_to_pairwise(data: pd.DataFrame, *, dyad: str, partner: str,
                           actor_suffix: str = "_A", partner_suffix: str = "_P",
                           variables=None) -> pd.DataFrame:
    """Turn individual data into double-entry pairwise (actor-partner, APIM) data.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person.
    dyad, partner : str
        Columns with the couple id and the member's role (both kept as they are).
    actor_suffix, partner_suffix : str, default "_A", "_P"
        Added to a variable's name for the person's own value and for the partner's value.
    variables : list of str, optional
        Variables to pair; default every column except `dyad` and `partner`. Other columns are
        kept unchanged.

    Returns
    -------
    pandas.DataFrame
        One row per person, in input order: the columns of `data`, each variable ``v``
        replaced by ``v<actor_suffix>`` (own value) and ``v<partner_suffix>`` (the partner's
        value; missing when the partner has no row).

    Raises
    ------
    ReshapeError
        Missing dyad ids or roles, more than two rows in a dyad, two members with one role.

    See Also
    --------
    pairwise_to_individual : the inverse.

    Examples
    --------
    >>> df = pd.DataFrame({"couple": [1, 1], "role": [1, 2], "sat": [5, 6]})
    >>> individual_to_pairwise(df, dyad="couple", partner="role")
       couple  role  sat_A  sat_P
    0       1     1      5      6
    1       1     2      6      5
    """
    variables = ([c for c in data.columns if c not in (dyad, partner)] if variables is None
                 else _as_list(variables))
    _check_frame(data, [dyad, partner, *variables], {"dyad": dyad, "partner": partner},
                 {"actor_suffix": actor_suffix, "partner_suffix": partner_suffix})
    if actor_suffix == partner_suffix or not variables or {dyad, partner} & set(variables):
        raise ParameterError("`actor_suffix` and `partner_suffix` must differ, and `variables` "
                             "must name at least one column other than `dyad` and `partner`.")
    new = [[c + actor_suffix, c + partner_suffix] if c in variables else [c] for c in data]
    _check_new_names([n for names in new for n in names], "actor_suffix")
    _raise_problems(_long_problems(data, dyad, partner, label="dyad", by_label="role",
                                   max_rows=2), "dyad", "reshape to pairwise format")
    other = _partner_positions(data, dyad)
    out = {}
    for col in data.columns:
        values = data[col].reset_index(drop=True)
        if col in variables:
            out.update({col + actor_suffix: values, col + partner_suffix: _take(values, other)})
        else:
            out[col] = values
    return pd.DataFrame(out)


def pairwise_to_individual(data: pd.DataFrame, *, dyad: str, partner: str,
                           actor_suffix: str = "_A", partner_suffix: str = "_P") -> pd.DataFrame:
    """Turn double-entry pairwise data back into individual data, checking the partner values.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person with ``v<actor_suffix>`` and ``v<partner_suffix>`` columns.
    dyad, partner : str
        Columns with the couple id and the member's role (both kept as they are).
    actor_suffix, partner_suffix : str, default "_A", "_P"
        Suffixes of the person's own and the partner's values. A variable is a name ``v`` with
        both columns; every other column is kept as it is.

    Returns
    -------
    pandas.DataFrame
        One row per person, in input order: the columns of `data` with each
        ``v<actor_suffix>`` renamed ``v`` and each ``v<partner_suffix>`` removed (after checking
        it equals the partner's own value exactly; two missing values agree).

    Raises
    ------
    ReshapeError
        Missing dyad ids or roles, more than two rows in a dyad, two members with one role,
        partner values that differ from the partner's own values (``partner_mismatch``), or
        partner values for a person whose partner has no row (``partner_without_row``).

    See Also
    --------
    individual_to_pairwise : the inverse.

    Examples
    --------
    >>> df = pd.DataFrame({"couple": [1, 1], "role": [1, 2], "sat_A": [5, 6], "sat_P": [6, 5]})
    >>> pairwise_to_individual(df, dyad="couple", partner="role")
       couple  role  sat
    0       1     1    5
    1       1     2    6
    """
    _check_frame(data, [dyad, partner], {"dyad": dyad, "partner": partner},
                 {"actor_suffix": actor_suffix, "partner_suffix": partner_suffix})
    cut = len(actor_suffix)
    stems = [c[:-cut] for c in data.columns if c.endswith(actor_suffix) and len(c) > cut
             and c[:-cut] + partner_suffix in data.columns
             and not {c, c[:-cut] + partner_suffix} & {dyad, partner}]
    if actor_suffix == partner_suffix or not stems:
        raise ParameterError(f"No variable has both a {actor_suffix!r} and a {partner_suffix!r} "
                             "column (the suffixes must differ); check the suffixes.")
    drop, rename = [s + partner_suffix for s in stems], {s + actor_suffix: s for s in stems}
    _check_new_names([rename.get(c, c) for c in data.columns if c not in drop], "actor_suffix")
    problems = _long_problems(data, dyad, partner, label="dyad", by_label="role", max_rows=2)
    flagged = [p[0] for p in problems if p[1] in ("too_many_members", "duplicate_role")]
    skip = (data[dyad].isna() | data[dyad].isin(flagged)).to_numpy()
    other = _partner_positions(data, dyad)
    bad: dict = {}
    for s in stems:
        expected = _take(data[s + actor_suffix], other)
        for i in np.flatnonzero(~_same(expected, data[s + partner_suffix]) & ~skip):
            bad.setdefault((data[dyad].iloc[i], other[i] < 0), []).append(s + partner_suffix)
    for (d, alone), cols in bad.items():
        cols = sorted(set(cols))
        problems.append((d, "partner_without_row", f"{cols} hold values but the partner has no "
                         "row; add the partner's row or clear those values") if alone else
                        (d, "partner_mismatch", f"{cols} differ from the partner's own "
                         f"{actor_suffix!r} values; correct the inconsistent cells"))
    _raise_problems(problems, "dyad", "reshape pairwise data to individual format")
    return data.drop(columns=drop).rename(columns=rename).reset_index(drop=True)


def diary_to_wide(data: pd.DataFrame, *, subject: str, day: str, variables=None,
                  sep: str = "_d") -> pd.DataFrame:
    """Turn person-period diary data (one row per person and day) into one row per person.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person and day.
    subject, day : str
        Columns with the person id and the day number (whole numbers).
    variables : list of str, optional
        Daily variables; default every column except `subject` and `day`. Other columns must
        be constant within a person and are kept once.
    sep : str, default "_d"
        Put between variable and day: ``closeness`` becomes ``closeness_d1``, ``closeness_d2``.

    Returns
    -------
    pandas.DataFrame
        One row per person, in order of first appearance: `subject`, then in the order of
        `data` each person-level column and each variable as ``<variable><sep><day>`` for
        every day found in `data` (ascending; missing where the person has no row that day).

    Raises
    ------
    ReshapeError
        Missing subject ids or days, a day that is not a whole number, a repeated
        (subject, day), or a person-level column that varies within a person.
    DataError
        `day` is not numeric.

    Warns
    -----
    AnalysisWarning
        Rows whose variables are all missing: `diary_to_long` drops them.

    See Also
    --------
    diary_to_long : the inverse.

    Examples
    --------
    >>> df = pd.DataFrame({"id": [1, 1, 2], "day": [1, 2, 1], "close": [3.0, 4.0, 5.0]})
    >>> diary_to_wide(df, subject="id", day="day")
       id  close_d1  close_d2
    0   1       3.0       4.0
    1   2       5.0       NaN
    """
    variables = ([c for c in data.columns if c not in (subject, day)] if variables is None
                 else _as_list(variables))
    _check_frame(data, [subject, day, *variables], {"subject": subject, "day": day},
                 {"sep": sep})
    if not variables or {subject, day} & set(variables):
        raise ParameterError("`variables` must name at least one column other than `subject` "
                             "and `day`.")
    days = data[day]
    if not pd.api.types.is_numeric_dtype(days) or pd.api.types.is_bool_dtype(days):
        raise DataError(f"`{day}` must hold day numbers, but its dtype is {days.dtype}.")
    person_level = [c for c in data.columns if c not in (subject, day, *variables)]
    problems = _long_problems(data, subject, day, label="subject", by_label="day",
                              constant=person_level, fix="add it to `variables` or make it "
                              "constant within the person")
    frac = (days.notna() & (days % 1 != 0)).to_numpy(dtype=bool)
    problems += [(s, "non_integer_day", f"`{day}` = {d} is not a whole number; recode the days")
                 for s, d in zip(data.loc[frac, subject], days[frac])]
    _raise_problems(problems, "subject", "reshape diary data to wide format")
    all_days = sorted(int(d) for d in days.unique())
    _check_new_names([subject, *person_level] + [f"{v}{sep}{d}" for v in variables
                                                 for d in all_days], "sep")
    return _spread(data.reset_index(drop=True), subject, day, all_days, variables,
                   lambda v, d: f"{v}{sep}{d}", "subject")


def diary_to_long(data: pd.DataFrame, *, subject: str, day: str = "day", stubs,
                  sep: str = "_d") -> pd.DataFrame:
    """Turn wide diary data (one row per person) into person-period data (one row per day).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person with columns ``<stub><sep><day>``, such as ``closeness_d1``.
    subject : str
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
        One row per person and day, persons in input order and days ascending: `subject`,
        `day`, then the person-level columns and the stubs in the order of their first column
        in `data`. Rows whose stub variables are all missing (days not reported) are dropped,
        so the output of `diary_to_wide` gives back exactly its long rows.

    Raises
    ------
    ReshapeError
        Missing or repeated subject ids.
    DataError
        A stub matches no column.

    See Also
    --------
    diary_to_wide : the inverse.

    Examples
    --------
    >>> wide = pd.DataFrame({"id": [1, 2], "close_d1": [3.0, 5.0], "close_d2": [4.0, None]})
    >>> diary_to_long(wide, subject="id", stubs=["close"])
       id  day  close
    0   1    1    3.0
    1   1    2    4.0
    2   2    1    5.0
    """
    stubs = _as_list(stubs)
    _check_frame(data, [subject], {"subject": subject, "day": day}, {"sep": sep, "day": day})
    if not stubs or len(set(stubs)) < len(stubs) or subject in stubs or day in data.columns:
        raise ParameterError("`stubs` must list distinct daily variable names and `day` must be "
                             f"a new column name, but {stubs!r} and {day!r} were passed.")
    found: dict = {s: {} for s in stubs}
    for col in data.columns.drop(subject):
        for s in stubs:
            match = re.fullmatch(re.escape(s) + re.escape(sep) + r"(\d+)", str(col))
            if match:
                found[s][int(match.group(1))] = col
    if not all(found.values()):
        raise DataError(f"No column is named `<stub>{sep}<day>` for stubs "
                        f"{[s for s in stubs if not found[s]]}; check the names and `sep`.")
    used = {c for cols in found.values() for c in cols.values()}
    others = [c for c in data.columns if c not in used and c != subject]
    _check_new_names([subject, day, *others, *stubs], "stubs")
    _raise_problems(_id_problems(data, subject, "subject"), "subject",
                    "reshape diary data to long format")
    all_days = sorted({d for cols in found.values() for d in cols})
    stems = {s: {all_days.index(d): c for d, c in cols.items()} for s, cols in found.items()}
    result = _gather(data, subject, day, pd.Index(all_days, dtype="int64"), stems)
    return result[result[stubs].notna().any(axis=1)].reset_index(drop=True)
