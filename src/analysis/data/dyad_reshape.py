"""Couple layouts: one row per person (individual), one row per couple (dyad) and one row per
person with the partner's values beside (pairwise, the APIM layout); lossless in both directions.

The id checks and the spreading engine are shared with the diary layouts (`analysis.data._reshape`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis._checks import _as_list
from analysis.data._reshape import (
    _check_frame,
    _check_new_names,
    _check_roles,
    _gather,
    _id_problems,
    _long_problems,
    _raise_problems,
    _same,
    _spread,
    _take,
)
from analysis.exceptions import DataError, ParameterError

__all__ = ["individual_to_dyad", "dyad_to_individual", "individual_to_pairwise", "pairwise_to_individual"]


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
    dyad_to_individual : The inverse.
    individual_to_pairwise : One row per person with the partner's values beside.

    Notes
    -----
    Nothing is dropped or fixed silently: every id problem is listed in one `ReshapeError`
    (its ``.problems`` table has one row per dyad and problem). Missing data: an incomplete
    dyad is kept, with missing values for the absent member; a numpy int or bool column then
    becomes nullable (``Int64``, ``boolean``). It corresponds to R's
    ``tidyr::pivot_wider(names_from = partner)``, with the checks added.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import individual_to_dyad
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
    individual_to_dyad : The inverse.

    Notes
    -----
    Missing data: a member whose variables are all missing is taken to be absent from the
    couple and dropped (unless ``drop_empty_members=False``), so an incomplete dyad gives one
    row; any other missing value is kept.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import dyad_to_individual
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
    pairwise_to_individual : The inverse.
    apim : The actor-partner interdependence model fitted on this layout.

    Notes
    -----
    The double-entry ("pairwise") layout of Kenny, Kashy and Cook (2006): each person's row
    holds their own value (actor) and their partner's (partner). Missing data: a person whose
    partner has no row keeps their row, with missing partner values; a numpy int or bool column
    then becomes nullable.

    References
    ----------
    Kenny, D. A., Kashy, D. A., & Cook, W. L. (2006). Dyadic data analysis. Guilford Press.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import individual_to_pairwise
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
    individual_to_pairwise : The inverse.

    Notes
    -----
    The partner columns are checked, not trusted: each must equal the partner's own value
    exactly, so a pairwise file edited by hand (or merged wrongly) is caught before its partner
    columns are dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import pairwise_to_individual
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
