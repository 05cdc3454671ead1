"""Move couples and diary data between layouts: individual, dyad, pairwise, long and wide.

Each converter checks the ids first and raises `ReshapeError` listing every problem (nothing is
silently dropped or fixed); each has an inverse that gives back the same rows and values.
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
        raise DataError(f"data has duplicated column names "
                        f"{data.columns[data.columns.duplicated()].unique().tolist()}; rename them.")


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


def _constant_problems(data, key: str, columns: list, codes, code: str, fix: str) -> list:
    """One problem per id and column whose rows disagree (in value or missingness)."""
    first = _positions(codes, ~pd.Series(codes).duplicated().to_numpy(), len(codes) + 1)
    rows = []
    for col in columns:
        bad = ~_same(data[col], _take(data[col], first[codes])) & (codes >= 0)
        rows += [(i, code, f"`{col}` differs between its rows; {fix}")
                 for i in pd.unique(data[key].to_numpy()[bad])]
    return rows


def _member_problems(data, dyad: str, partner: str, roles=None) -> list:
    """Missing ids or roles, dyads with more than two rows, repeated roles, unknown roles."""
    ids, role = data[dyad], data[partner]
    rows = [(pd.NA, "missing_dyad_id", f"the row with index {i!r} has no `{dyad}` value; fill "
             "in its dyad id or drop the row") for i in data.index[ids.isna()]]
    rows += [(d, "missing_role", f"the row with index {i!r} has no `{partner}` value; fill in "
              "the member's role") for i, d in data.loc[role.isna() & ids.notna(), dyad].items()]
    known = data.loc[ids.notna(), [dyad, partner]]
    size = known.groupby(dyad, sort=False, observed=True).size()
    rows += [(d, "too_many_members", f"{n} rows, but a dyad has at most two members; remove the "
              f"extra rows or give them their own `{dyad}`") for d, n in size[size > 2].items()]
    known = known[known[partner].notna()]
    counts = known.groupby([dyad, partner], sort=False, observed=True).size()
    rows += [(d, "duplicate_role", f"{n} members have `{partner}` = {r!r}; the two members of a "
              "dyad need different roles: fix the role codes")
             for (d, r), n in counts[counts > 1].items()]
    if roles is not None:
        bad = known[~known[partner].isin(roles)]
        rows += [(d, "unknown_role", f"`{partner}` = {list(pd.unique(v))} is not one of the "
                  f"roles {roles}; recode it or pass `roles=`")
                 for d, v in bad.groupby(dyad, sort=False, observed=True)[partner]]
    return rows


def _id_problems(data, key: str) -> list:
    """Missing or repeated ids in a one-row-per-id (wide) frame."""
    ids = data[key]
    rows = [(pd.NA, f"missing_{key}_id", f"the row with index {i!r} has no `{key}` value; fill "
             "it in or drop the row") for i in data.index[ids.isna()]]
    counts = ids[ids.notna()].value_counts(sort=False)
    return rows + [(i, f"duplicate_{key}", f"{n} rows, but a wide file has one row per {key}; "
                    "merge or remove the extra rows") for i, n in counts[counts > 1].items()]


def _spread(work, key: str, by: str, levels: list, variables: list, name) -> pd.DataFrame:
    """One row per `key` (ids already checked): `variables` spread over `levels` of `by` as
    ``name(variable, level)``; other columns taken from the id's first row. Warns about rows
    whose variables are all missing, which the inverse cannot give back."""
    empty = work[variables].isna().all(axis=1)
    if empty.any():
        rows = [f"{key} {k} {by} {b}" for k, b in work.loc[empty, [key, by]].to_numpy()]
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
    `stem` for ``levels[i]`` (absent: missing). Rows with every stem missing are not dropped."""
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
            out[s] = stacked.take((np.arange(k) * n + np.arange(n)[:, None]).ravel())
            out[s] = out[s].reset_index(drop=True)
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
        each `dyad_level` variable and each other variable as ``<name><sep><role>`` per role,
        missing for an absent member (a numpy int or bool column then becomes nullable
        ``Int64`` or ``boolean``; other dtypes are kept).

    Raises
    ------
    ReshapeError
        Missing dyad ids or roles, more than two rows in a dyad, two members with one role,
        a role not in `roles`, or a `dyad_level` variable that differs within a dyad.
    DataError
        A named column is absent.
    ParameterError
        Bad `roles`, `dyad_level` or `sep`, or output names that would clash.

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
    work = data.reset_index(drop=True)
    codes = pd.factorize(work[dyad])[0]
    problems = _member_problems(data, dyad, partner, roles)
    problems += _constant_problems(work, dyad, dyad_level, codes, "dyad_level_differs",
                                   "make it equal for both members or leave it out of `dyad_level`")
    _raise_problems(problems, "dyad", "reshape to dyad format")
    return _spread(work, dyad, partner, roles, variables, lambda v, r: f"{v}{sep}{r}")


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
        A named column is absent, a column has no role suffix and is not in `dyad_level`, or a
        variable lacks the column for one role.
    ParameterError
        Bad `roles`, `sep` or `drop_empty_members`, or `partner` already a column.

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
        raise ParameterError(f"`drop_empty_members` must be True or False and `partner` a new "
                             f"column name, but {drop_empty_members!r} and {partner!r} were passed.")
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
        raise DataError(f"Every column except `dyad` and `dyad_level` must end in a role suffix "
                        f"({[s for s, _ in suffixes]}), once per role. Columns without a suffix: "
                        f"{unsuffixed} (list them in `dyad_level` if they hold one value per "
                        f"couple); missing columns: {lacking}.")
    _check_new_names([dyad, partner, *dyad_level, *stems], "sep")
    _raise_problems(_id_problems(data, dyad), "dyad", "reshape to individual format")
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
        value; missing when the partner has no row, and then a numpy int or bool column
        becomes nullable ``Int64`` or ``boolean``).

    Raises
    ------
    ReshapeError
        Missing dyad ids or roles, more than two rows in a dyad, two members with one role.
    DataError
        A named column is absent.
    ParameterError
        Bad suffixes or `variables`, or output names that would clash.

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
    _check_new_names([n for c in data.columns for n in ([c + actor_suffix, c + partner_suffix]
                                                        if c in variables else [c])], "actor_suffix")
    _raise_problems(_member_problems(data, dyad, partner), "dyad", "reshape to pairwise format")
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
        ``v<actor_suffix>`` renamed ``v`` and each ``v<partner_suffix>`` removed. Partner values
        are compared exactly with the partner's own values (two missing values agree), so
        nothing is lost.

    Raises
    ------
    ReshapeError
        Missing dyad ids or roles, more than two rows in a dyad, two members with one role,
        partner values that differ from the partner's own values (``partner_mismatch``), or
        partner values for a person whose partner has no row (``partner_without_row``).
    DataError
        A named column is absent.
    ParameterError
        Bad suffixes, no variable found, or a restored name that is already a column.

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
    problems = _member_problems(data, dyad, partner)
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
        every day found in `data` (ascending; missing where the person has no row for the day,
        and then a numpy int or bool column becomes nullable ``Int64`` or ``boolean``).

    Raises
    ------
    ReshapeError
        Missing subject ids or days, a day that is not a whole number, a repeated
        (subject, day), or a person-level column that varies within a person.
    DataError
        A named column is absent, or `day` is not numeric.
    ParameterError
        Bad `variables` or `sep`, or output names that would clash.

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
    if not pd.api.types.is_numeric_dtype(data[day]) or pd.api.types.is_bool_dtype(data[day]):
        raise DataError(f"`{day}` must hold day numbers, but its dtype is {data[day].dtype}.")
    work = data.reset_index(drop=True)
    ids, days = work[subject], work[day]
    problems = [(pd.NA, "missing_subject_id", f"the row with index {i!r} has no `{subject}` "
                 "value; fill it in or drop the row") for i in data.index[ids.isna()]]
    no_day = (days.isna() & ids.notna()).to_numpy()
    problems += [(s, "missing_day", f"the row with index {i!r} has no `{day}` value; fill it in "
                  "or drop the row") for i, s in zip(data.index[no_day], ids[no_day])]
    frac = (days.notna() & (days % 1 != 0)).to_numpy(dtype=bool)
    problems += [(s, "non_integer_day", f"`{day}` = {d} is not a whole number; recode the days")
                 for s, d in zip(ids[frac], days[frac])]
    keyed = work.loc[ids.notna() & days.notna(), [subject, day]]
    counts = keyed.groupby([subject, day], sort=False, observed=True).size()
    problems += [(s, "duplicate_day", f"{n} rows for `{day}` = {d}; keep one row per person and "
                  "day") for (s, d), n in counts[counts > 1].items()]
    person_level = [c for c in data.columns if c not in (subject, day, *variables)]
    problems += _constant_problems(work, subject, person_level, pd.factorize(ids)[0],
                                   "person_level_differs",
                                   "add it to `variables` or make it constant within the person")
    _raise_problems(problems, "subject", "reshape diary data to wide format")
    all_days = sorted(int(d) for d in days.unique())
    _check_new_names([subject, *person_level] + [f"{v}{sep}{d}" for v in variables
                                                 for d in all_days], "sep")
    return _spread(work, subject, day, all_days, variables, lambda v, d: f"{v}{sep}{d}")


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
        A named column is absent, or a stub matches no column.
    ParameterError
        Bad `stubs`, `day` or `sep`, or output names that would clash.

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
        raise ParameterError(f"`stubs` must list distinct daily variable names and `day` must be "
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
    _raise_problems(_id_problems(data, subject), "subject", "reshape diary data to long format")
    all_days = sorted({d for cols in found.values() for d in cols})
    stems = {s: {all_days.index(d): c for d, c in cols.items()} for s, cols in found.items()}
    result = _gather(data, subject, day, pd.Index(all_days, dtype="int64"), stems)
    return result[result[stubs].notna().any(axis=1)].reset_index(drop=True)
