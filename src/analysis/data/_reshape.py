"""Shared checks and engines of the layout converters (`analysis.data.dyad_reshape` for couples,
`analysis.data.diary_reshape` for diaries): individual, dyad, pairwise, long and wide.

Each converter checks the ids first and raises `ReshapeError` listing every problem (nothing is
silently dropped or fixed); each has an inverse that gives back the same rows and values. The
one dtype change: a numpy int or bool column that must hold a gap (an absent member or day)
becomes nullable (``Int64``, ``boolean``). Missing columns raise `DataError`, bad keyword values
(or output names that would clash) `ParameterError`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analysis._checks import _require_columns
from analysis.exceptions import AnalysisWarning, DataError, ParameterError, ReshapeError

_MAX_SHOWN = 20


def _raise_problems(rows: list, key: str, action: str) -> None:
    """Raise ReshapeError listing every (id, problem, detail) in `rows`; do nothing if empty."""
    if not rows:
        return
    ids, codes, details = zip(*rows, strict=True)
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
    """`roles` as a list of two different, non-missing role codes (else ParameterError)."""
    pair = list(roles) if pd.api.types.is_list_like(roles) and not isinstance(roles, str) else []
    if len(pair) != 2 or pd.isna(pair).any() or pair[0] == pair[1]:
        raise ParameterError("The value for `roles` must be a list of two different role codes, "
                             f"such as [1, 2] or ['woman', 'man'], but {roles!r} was passed.")
    return pair


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
            out.update({name(col, lv): _take(work[col], p) for lv, p in zip(levels, pos, strict=True)})
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
