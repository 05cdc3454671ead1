"""Tests for analysis.reshape: exact small examples, lossless round trips, every error branch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analysis.data.diary_reshape import diary_to_long, diary_to_wide
from analysis.data.dyad_reshape import (
    dyad_to_individual,
    individual_to_dyad,
    individual_to_pairwise,
    pairwise_to_individual,
)
from analysis.exceptions import AnalysisWarning, DataError, ParameterError, ReshapeError

DAILY = ["closeness", "conflict", "steps", "note"]


# ------------------------------------------------------------------------- data builders


def _individual(seed: int, roles, *, complete: bool, string_ids: bool = False) -> pd.DataFrame:
    """Random couples: float, nullable Int64, int64 and string variables, with missing cells,
    a dyad-level `years`; shuffled rows on a non-default index. Incomplete: ~30% of couples
    have one member. Every person has a non-missing `age`, so no member row is all missing."""
    rng = np.random.default_rng(seed)
    n = 25
    ids = [f"c{i:03d}" for i in range(n)] if string_ids else list(rng.permutation(1000)[:n] + 1)
    years = np.round(rng.uniform(0, 30, n), 2)
    rows = []
    for i, couple in enumerate(ids):
        members = [0, 1] if complete or rng.random() > 0.3 else [int(rng.integers(2))]
        rows += [(couple, roles[m], years[i]) for m in members]
    data = pd.DataFrame(rows, columns=["couple", "role", "years"])
    m = len(data)
    data["sat"] = np.where(rng.random(m) < 0.2, np.nan, np.round(rng.normal(5, 1, m), 3))
    data["conflict"] = pd.array(rng.integers(0, 10, m), dtype="Int64")
    data.loc[rng.random(m) < 0.2, "conflict"] = pd.NA
    data["mood"] = pd.Series(rng.choice(["good", "bad", "ok"], m), dtype="str")
    data.loc[rng.random(m) < 0.2, "mood"] = np.nan
    data["age"] = rng.integers(20, 80, m)
    if not isinstance(roles, list):  # a typed role array (e.g. nullable Int64)
        data["role"] = data["role"].astype(roles.dtype)
    data = data.iloc[rng.permutation(m)]
    data.index = rng.permutation(m) + 100
    return data[["couple", "role", "sat", "years", "conflict", "mood", "age"]]


def _diary(seed: int, *, complete: bool) -> pd.DataFrame:
    """Random person-period diary: 12 persons x up to 14 days; incomplete: ~25% of days absent.
    Daily: float (with NaN), nullable Int64 (with NA), int64, string (with NaN); person-level
    `gender`. `steps` is never missing, so no row has every daily variable missing."""
    rng = np.random.default_rng(seed)
    rows = [(f"p{s}", d) for s in range(12) for d in range(1, 15)
            if complete or rng.random() > 0.25]
    data = pd.DataFrame(rows, columns=["id", "day"])
    m = len(data)
    gender = dict(zip([f"p{s}" for s in range(12)], rng.choice(["w", "m"], 12), strict=True))
    data["gender"] = pd.Series(data["id"].map(gender), dtype="str")
    data["closeness"] = np.where(rng.random(m) < 0.15, np.nan, np.round(rng.uniform(1, 7, m), 2))
    data["conflict"] = pd.array(rng.integers(0, 2, m), dtype="Int64")
    data.loc[rng.random(m) < 0.15, "conflict"] = pd.NA
    data["steps"] = rng.integers(0, 20000, m)
    data["note"] = pd.Series(rng.choice(["a", "b"], m), dtype="str")
    data.loc[rng.random(m) < 0.3, "note"] = np.nan
    return data.iloc[rng.permutation(m)].reset_index(drop=True)


def _canonical(data: pd.DataFrame, by: list, rank: dict | None = None) -> pd.DataFrame:
    """Sorted by `by` (the role by its position in `rank`), on a fresh RangeIndex."""
    def key(column):
        return column.map(rank) if rank and column.name == by[-1] else column

    return data.sort_values(by, key=key, kind="stable").reset_index(drop=True)


def _nullable_ints(data: pd.DataFrame, columns: list) -> pd.DataFrame:
    """The documented dtype change: numpy int64 columns become Int64 once they hold a gap."""
    return data.astype({c: "Int64" for c in columns})


# ----------------------------------------------------------------------- exact small frames


def test_individual_to_dyad_exact():
    data = pd.DataFrame({
        "couple": [10, 10, 11, 12, 12],
        "gender": ["woman", "man", "man", "man", "woman"],
        "sat": [5.0, 6.0, 4.0, np.nan, 3.0],
        "length": [2, 2, 7, 1, 1],
        "mood": pd.Series(["a", "b", "c", "d", "e"], dtype="str"),
    })
    result = individual_to_dyad(data, dyad="couple", partner="gender", roles=["woman", "man"],
                                dyad_level=["length"])
    expected = pd.DataFrame({
        "couple": [10, 11, 12],
        "sat_woman": [5.0, np.nan, 3.0],
        "sat_man": [6.0, 4.0, np.nan],
        "length": [2, 7, 1],
        "mood_woman": pd.Series(["a", np.nan, "e"], dtype="str"),
        "mood_man": pd.Series(["b", "c", "d"], dtype="str"),
    })
    assert_frame_equal(result, expected)


def test_individual_to_dyad_default_roles_sorted_and_sep():
    data = pd.DataFrame({"couple": [1, 1], "role": [2, 1], "sat": [7, 8]})
    result = individual_to_dyad(data, dyad="couple", partner="role", sep=".")
    assert_frame_equal(result, pd.DataFrame({"couple": [1], "sat.1": [8], "sat.2": [7]}))


@pytest.mark.parametrize("drop, expected_rows", [(True, [0, 1, 2]), (False, [0, 1, 2, 3])])
def test_dyad_to_individual_exact(drop, expected_rows):
    wide = pd.DataFrame({"couple": ["a", "b"], "sat_1": [5.0, 4.0], "length": [3, 8],
                         "sat_2": [6.0, np.nan], "age_1": pd.array([30, 40], dtype="Int64"),
                         "age_2": pd.array([31, pd.NA], dtype="Int64")})
    result = dyad_to_individual(wide, dyad="couple", partner="role", roles=[1, 2],
                                dyad_level=["length"], drop_empty_members=drop)
    expected = pd.DataFrame({"couple": ["a", "a", "b", "b"], "role": [1, 2, 1, 2],
                             "sat": [5.0, 6.0, 4.0, np.nan], "length": [3, 3, 8, 8],
                             "age": pd.array([30, 31, 40, pd.NA], dtype="Int64")})
    assert_frame_equal(result, expected.iloc[expected_rows].reset_index(drop=True))


def test_individual_to_pairwise_exact():
    data = pd.DataFrame({"couple": [1, 2, 1], "role": [1, 1, 2], "sat": [5.0, 4.0, 6.0],
                         "kids": [2, 0, 2], "age": [30, 50, 32]})
    result = individual_to_pairwise(data, dyad="couple", partner="role", variables=["sat", "age"])
    expected = pd.DataFrame({"couple": [1, 2, 1], "role": [1, 1, 2],
                             "sat_A": [5.0, 4.0, 6.0], "sat_P": [6.0, np.nan, 5.0],
                             "kids": [2, 0, 2], "age_A": [30, 50, 32],
                             "age_P": pd.array([32, pd.NA, 30], dtype="Int64")})
    assert_frame_equal(result, expected)


def test_pairwise_to_individual_exact():
    data = pd.DataFrame({"couple": [1, 1, 2], "role": ["w", "m", "w"], "sat_A": [5.0, 6.0, 4.0],
                         "kids": [2, 2, 0], "sat_P": [6.0, 5.0, np.nan]})
    result = pairwise_to_individual(data, dyad="couple", partner="role")
    expected = pd.DataFrame({"couple": [1, 1, 2], "role": ["w", "m", "w"],
                             "sat": [5.0, 6.0, 4.0], "kids": [2, 2, 0]})
    assert_frame_equal(result, expected)


def test_diary_to_wide_exact():
    data = pd.DataFrame({"id": ["x", "x", "y", "x"], "day": [2, 1, 1, 3],
                         "close": [4.0, 3.0, 5.0, np.nan], "gender": ["w", "w", "m", "w"],
                         "fights": [0, 1, 2, 0]})
    result = diary_to_wide(data, person="id", day="day", variables=["close", "fights"])
    expected = pd.DataFrame({"id": ["x", "y"], "close_d1": [3.0, 5.0], "close_d2": [4.0, np.nan],
                             "close_d3": [np.nan, np.nan], "gender": ["w", "m"],
                             "fights_d1": [1, 2], "fights_d2": pd.array([0, pd.NA], "Int64"),
                             "fights_d3": pd.array([0, pd.NA], "Int64")})
    assert_frame_equal(result, expected)


def test_diary_to_long_exact():
    wide = pd.DataFrame({"id": [7, 8], "close_d1": [3.0, np.nan], "gender": ["w", "m"],
                         "close_d2": [np.nan, np.nan], "close_d10": [1.0, 2.0],
                         "fights_d2": [1.0, np.nan]})
    result = diary_to_long(wide, person="id", day="t", stubs=["close", "fights"])
    expected = pd.DataFrame({"id": [7, 7, 7, 8], "t": [1, 2, 10, 10],
                             "close": [3.0, np.nan, 1.0, 2.0], "gender": ["w", "w", "w", "m"],
                             "fights": [np.nan, 1.0, np.nan, np.nan]})
    assert_frame_equal(result, expected)


# ------------------------------------------------------------------------ lossless round trips


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("complete", [True, False])
@pytest.mark.parametrize("roles, string_ids", [
    ([1, 2], False),
    (["woman", "man"], True),
    (pd.array([1, 2], dtype="Int64"), False),
], ids=["int-roles", "string-roles", "Int64-roles"])
def test_dyad_round_trip(seed, complete, roles, string_ids):
    data = _individual(seed, roles, complete=complete, string_ids=string_ids)
    assert complete == (data.groupby("couple").size() == 2).all()  # incomplete dyads present
    wide = individual_to_dyad(data, dyad="couple", partner="role", roles=list(roles),
                              dyad_level=["years"])
    assert len(wide) == data["couple"].nunique()
    back = dyad_to_individual(wide, dyad="couple", partner="role", roles=roles,
                              dyad_level=["years"])
    rank = {r: i for i, r in enumerate(roles)}
    expected = _canonical(data, ["couple", "role"], rank)
    if not complete:  # `age` is int64: it gains a gap in dyad format (documented)
        expected = _nullable_ints(expected, ["age"])
    assert_frame_equal(_canonical(back, ["couple", "role"], rank), expected)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("complete", [True, False])
@pytest.mark.parametrize("roles, string_ids, role_dtype", [
    ([1, 2], False, "int64"),
    (["woman", "man"], True, "str"),
    (pd.array([1, 2], dtype="Int64"), False, "Int64"),
], ids=["int-roles", "string-roles", "Int64-roles"])
def test_pairwise_round_trip(seed, complete, roles, string_ids, role_dtype):
    data = _individual(seed, roles, complete=complete, string_ids=string_ids)
    assert complete == (data.groupby("couple").size() == 2).all()
    assert str(data["role"].dtype) == role_dtype
    pairwise = individual_to_pairwise(data, dyad="couple", partner="role")
    assert len(pairwise) == len(data)
    # each person's partner value is the other member's own value (computed with a merge)
    pairs = data.merge(data[["couple", "role", "sat"]], on="couple", suffixes=("", "_other"))
    pairs = pairs[(pairs["role"] != pairs["role_other"]).to_numpy(dtype=bool)]
    lookup = dict(zip(zip(pairs["couple"], pairs["role"], strict=True), pairs["sat_other"], strict=True))
    expected_p = [lookup.get(k, np.nan) for k in zip(pairwise["couple"], pairwise["role"], strict=True)]
    np.testing.assert_array_equal(pairwise["sat_P"].to_numpy(), np.array(expected_p))
    back = pairwise_to_individual(pairwise, dyad="couple", partner="role")
    assert_frame_equal(back, data.reset_index(drop=True))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("complete", [True, False])
def test_diary_round_trip(seed, complete):
    data = _diary(seed, complete=complete)
    assert complete == (len(data) == 12 * 14)  # days missing
    assert str(data["conflict"].dtype) == "Int64" and str(data["note"].dtype) == "str"
    wide = diary_to_wide(data, person="id", day="day", variables=DAILY)
    assert len(wide) == data["id"].nunique()
    assert [c for c in wide.columns if c.startswith("closeness")] == [
        f"closeness_d{d}" for d in range(1, 15)]
    back = diary_to_long(wide, person="id", stubs=DAILY)
    expected = _canonical(data, ["id", "day"])
    if not complete:  # `steps` is int64 and gets gaps in wide format (documented)
        expected = _nullable_ints(expected, ["steps"])
    assert_frame_equal(_canonical(back, ["id", "day"]), expected)
    # and wide -> long -> wide gives back the wide frame
    steps = {c: "Int64" for c in wide.columns if c.startswith("steps") and not complete}
    assert_frame_equal(diary_to_wide(back, person="id", day="day", variables=DAILY),
                       wide.astype(steps))


def test_diary_round_trip_drops_absent_days_only():
    data = _diary(5, complete=False)
    back = diary_to_long(diary_to_wide(data, person="id", day="day", variables=DAILY),
                         person="id", stubs=DAILY)
    assert len(back) == len(data) < 12 * 14
    assert set(zip(back["id"], back["day"], strict=True)) == set(zip(data["id"], data["day"], strict=True))


# ----------------------------------------------------------------------------- error branches


def _problem_codes(excinfo) -> list:
    problems = excinfo.value.problems
    assert list(problems.columns[1:]) == ["problem", "detail"]
    return problems["problem"].tolist()


@pytest.mark.parametrize("rows, code, match", [
    ([(7, 1), (7, 2), (7, 2), (8, 1)], "too_many_members", r"dyad 7: 3 rows"),
    ([(8, 1), (8, 1)], "duplicate_role",
     r"dyad 8: 2 rows have `role` = 1; keep one row per dyad and role"),
    ([(9, 1), (9, 3)], "unknown_role", r"dyad 9: `role` = \[3\] is not one of the roles"),
    ([(5, 1), (5, None)], "missing_role", r"dyad 5: the row with index 1 has no `role`"),
    ([(None, 1), (4, 1)], "missing_dyad_id", r"dyad <missing>: the row with index 0 has no"),
])
def test_individual_to_dyad_problems(rows, code, match):
    data = pd.DataFrame(rows, columns=["couple", "role"]).astype({"role": "Int64"})
    data["sat"] = 1.0
    with pytest.raises(ReshapeError, match=match) as excinfo:
        individual_to_dyad(data, dyad="couple", partner="role", roles=[1, 2])
    assert code in _problem_codes(excinfo)


@pytest.mark.parametrize("rows, code, match", [
    ([(7, 1), (7, 2), (7, 2)], "too_many_members", r"dyad 7: 3 rows"),
    ([(8, 1), (8, 1)], "duplicate_role", r"dyad 8: 2 rows have `role` = 1"),
    ([(5, 1), (5, None)], "missing_role", r"dyad 5: the row with index 1"),
    ([(None, 1)], "missing_dyad_id", r"dyad <missing>"),
])
def test_individual_to_pairwise_problems(rows, code, match):
    data = pd.DataFrame(rows, columns=["couple", "role"]).astype({"role": "Int64"})
    data["sat"] = 1.0
    with pytest.raises(ReshapeError, match=match) as excinfo:
        individual_to_pairwise(data, dyad="couple", partner="role")
    assert code in _problem_codes(excinfo)


def test_dyad_level_must_be_equal_within_dyad():
    data = pd.DataFrame({"couple": [3, 3, 4, 4, 6], "role": [1, 2, 1, 2, 1],
                         "length": [2.0, 2.0, 5.0, np.nan, 1.0], "sat": [1, 2, 3, 4, 5]})
    with pytest.raises(ReshapeError, match=r"dyad 4: `length` differs") as excinfo:
        individual_to_dyad(data, dyad="couple", partner="role", dyad_level="length")
    assert excinfo.value.problems["dyad"].tolist() == [4]


def test_every_problem_is_listed_and_long_lists_are_cut():
    data = pd.DataFrame({"couple": np.repeat(np.arange(30), 2), "role": 1, "sat": 0.0})
    with pytest.raises(ReshapeError, match=r"30 problem\(s\)") as excinfo:
        individual_to_dyad(data, dyad="couple", partner="role", roles=[1, 2])
    message = str(excinfo.value)
    assert "dyad 19:" in message and "dyad 20:" not in message
    assert "... and 10 more" in message
    assert excinfo.value.problems["dyad"].tolist() == list(range(30))
    assert isinstance(excinfo.value, DataError)


def test_problems_of_different_kinds_are_all_reported():
    data = pd.DataFrame({"couple": [1, 1, 1, 2, 2, None], "role": [1, 2, 2, 1, 5, 1],
                         "sat": 1.0})
    with pytest.raises(ReshapeError) as excinfo:
        individual_to_dyad(data, dyad="couple", partner="role", roles=[1, 2])
    assert sorted(_problem_codes(excinfo)) == [
        "duplicate_role", "missing_dyad_id", "too_many_members", "unknown_role"]


@pytest.mark.parametrize("pairwise, code, match", [
    ({"couple": [1, 1], "role": [1, 2], "sat_A": [5.0, 6.0], "sat_P": [6.0, 4.0]},
     "partner_mismatch", r"dyad 1: \['sat_P'\] differ from the partner's own"),
    ({"couple": [1, 1, 2], "role": [1, 2, 1], "sat_A": [5.0, 6.0, 3.0],
      "sat_P": [6.0, 5.0, 2.0]}, "partner_without_row", r"dyad 2: \['sat_P'\] hold values"),
    ({"couple": [1, 1, 1], "role": [1, 2, 1], "sat_A": [1.0, 1.0, 1.0],
      "sat_P": [1.0, 1.0, 1.0]}, "too_many_members", r"dyad 1: 3 rows"),
    ({"couple": [1, 1], "role": [1, 1], "sat_A": [1.0, 1.0], "sat_P": [1.0, 1.0]},
     "duplicate_role", r"dyad 1: 2 rows have `role` = 1"),
])
def test_pairwise_to_individual_problems(pairwise, code, match):
    with pytest.raises(ReshapeError, match=match) as excinfo:
        pairwise_to_individual(pd.DataFrame(pairwise), dyad="couple", partner="role")
    assert code in _problem_codes(excinfo)


@pytest.mark.parametrize("ids, code, match", [
    ([1, 1], "duplicate_dyad", r"dyad 1: 2 rows, but a wide file has one row per dyad"),
    ([1, None], "missing_dyad_id", r"dyad <missing>: the row with index 1"),
])
def test_dyad_to_individual_problems(ids, code, match):
    wide = pd.DataFrame({"couple": ids, "sat_1": [1.0, 2.0], "sat_2": [3.0, 4.0]})
    with pytest.raises(ReshapeError, match=match) as excinfo:
        dyad_to_individual(wide, dyad="couple", partner="role", roles=[1, 2])
    assert _problem_codes(excinfo) == [code]


@pytest.mark.parametrize("columns, match", [
    ({"sat_1": [1.0], "length": [2]}, r"without a suffix: \['length'\]"),
    ({"sat_1": [1.0]}, r"missing columns: \['sat_2'\]"),
    ({"length": [2]}, r"must end in a role suffix"),
])
def test_dyad_to_individual_bad_columns(columns, match):
    with pytest.raises(DataError, match=match):
        dyad_to_individual(pd.DataFrame({"couple": [1], **columns}), dyad="couple",
                           partner="role", roles=[1, 2])


@pytest.mark.parametrize("rows, code, match", [
    ([("a", 1), ("a", 1), ("b", 1)], "duplicate_day", r"subject a: 2 rows have `day` = 1"),
    ([("a", 1), ("b", None)], "missing_day", r"subject b: the row with index 1 has no `day`"),
    ([("a", 1), (None, 2)], "missing_subject_id", r"subject <missing>: the row with index 1"),
    ([("a", 1), ("c", 1.5)], "non_integer_day", r"subject c: `day` = 1.5 is not a whole"),
])
def test_diary_to_wide_problems(rows, code, match):
    data = pd.DataFrame(rows, columns=["id", "day"])
    data["close"] = 1.0
    with pytest.raises(ReshapeError, match=match) as excinfo:
        diary_to_wide(data, person="id", day="day")
    assert _problem_codes(excinfo) == [code]


def test_diary_person_level_must_be_constant():
    data = pd.DataFrame({"id": [1, 1, 2], "day": [1, 2, 1], "close": [1.0, 2.0, 3.0],
                         "gender": ["w", "m", "m"]})
    with pytest.raises(ReshapeError, match=r"subject 1: `gender` differs"):
        diary_to_wide(data, person="id", day="day", variables=["close"])


def test_diary_to_wide_rejects_text_days():
    data = pd.DataFrame({"id": [1], "day": ["mon"], "close": [1.0]})
    with pytest.raises(DataError, match="`day` must hold day numbers"):
        diary_to_wide(data, person="id", day="day")


@pytest.mark.parametrize("ids, code, match", [
    (["p1", "p1"], "duplicate_subject", r"subject p1: 2 rows"),
    (["p1", None], "missing_subject_id", r"subject <missing>: the row with index 1"),
])
def test_diary_to_long_problems(ids, code, match):
    wide = pd.DataFrame({"id": ids, "close_d1": [1.0, 2.0]})
    with pytest.raises(ReshapeError, match=match) as excinfo:
        diary_to_long(wide, person="id", stubs="close")
    assert _problem_codes(excinfo) == [code]


def test_diary_to_long_unknown_stub():
    with pytest.raises(DataError, match=r"for stubs \['mood'\]"):
        diary_to_long(pd.DataFrame({"id": [1], "close_d1": [1.0]}), person="id",
                      stubs=["close", "mood"])


_IND = pd.DataFrame({"couple": [1, 1], "role": [1, 2], "sat": [1.0, 2.0]})
_WIDE = pd.DataFrame({"couple": [1], "sat_1": [1.0], "sat_2": [2.0]})
_PAIR = pd.DataFrame({"couple": [1, 1], "role": [1, 2], "sat_A": [1.0, 2.0], "sat_P": [2.0, 1.0]})
_LONG = pd.DataFrame({"id": [1, 1], "day": [1, 2], "close": [1.0, 2.0]})
_DWIDE = pd.DataFrame({"id": [1], "close_d1": [1.0], "close_d2": [2.0]})


@pytest.mark.parametrize("call, match", [
    (lambda: individual_to_dyad(_IND, dyad="cpl", partner="role"), "'cpl'"),
    (lambda: individual_to_dyad(_IND, dyad="couple", partner="role", dyad_level=["yrs"]), "'yrs'"),
    (lambda: dyad_to_individual(_WIDE, dyad="cpl", partner="role", roles=[1, 2]), "'cpl'"),
    (lambda: individual_to_pairwise(_IND, dyad="couple", partner="who"), "'who'"),
    (lambda: individual_to_pairwise(_IND, dyad="couple", partner="role", variables=["x"]), "'x'"),
    (lambda: pairwise_to_individual(_PAIR, dyad="couple", partner="who"), "'who'"),
    (lambda: diary_to_wide(_LONG, person="id", day="date"), "'date'"),
    (lambda: diary_to_long(_DWIDE, person="person", stubs=["close"]), "'person'"),
])
def test_missing_columns_raise_data_error(call, match):
    with pytest.raises(DataError, match=match):
        call()


@pytest.mark.parametrize("call, match", [
    (lambda: individual_to_dyad(_IND, dyad="couple", partner="couple"), "different columns"),
    (lambda: individual_to_dyad(_IND, dyad="couple", partner="role", sep=""), "`sep`"),
    (lambda: individual_to_dyad(_IND, dyad="couple", partner="role", roles=[1, 1]), "`roles`"),
    (lambda: individual_to_dyad(_IND, dyad="couple", partner="role", roles="12"), "`roles`"),
    (lambda: individual_to_dyad(_IND, dyad="couple", partner="role", roles=[1, 2, 3]), "`roles`"),
    (lambda: individual_to_dyad(_IND.assign(role=[1, 1]), dyad="couple", partner="role"),
     "1 distinct role"),
    (lambda: individual_to_dyad(_IND, dyad="couple", partner="role", dyad_level="sat"),
     "`dyad_level`"),
    (lambda: individual_to_dyad(_IND.assign(sat_1=0), dyad="couple", partner="role",
                                dyad_level=["sat_1"]),
     r"two columns named \['sat_1'\]"),
    (lambda: dyad_to_individual(_WIDE, dyad="couple", partner="role", roles=None), "`roles`"),
    (lambda: dyad_to_individual(_WIDE, dyad="couple", partner="role", roles=[1, 2],
                                drop_empty_members="yes"), "drop_empty_members"),
    (lambda: dyad_to_individual(_WIDE, dyad="couple", partner="sat_1", roles=[1, 2]),
     "new column name"),
    (lambda: individual_to_pairwise(_IND, dyad="couple", partner="role", actor_suffix="_X",
                                    partner_suffix="_X"), "must differ"),
    (lambda: individual_to_pairwise(_IND, dyad="couple", partner="role", partner_suffix=3),
     "`partner_suffix`"),
    (lambda: individual_to_pairwise(_IND.assign(sat_A=0), dyad="couple", partner="role",
                                    variables=["sat"]),
     r"two columns named \['sat_A'\]"),
    (lambda: pairwise_to_individual(_PAIR, dyad="couple", partner="role", actor_suffix="_X"),
     "No variable has both"),
    (lambda: pairwise_to_individual(_PAIR.assign(sat=0), dyad="couple", partner="role"),
     r"two columns named \['sat'\]"),
    (lambda: diary_to_wide(_LONG, person="id", day="day", variables=[]), "`variables`"),
    (lambda: diary_to_wide(_LONG, person="id", day="id"), "different columns"),
    (lambda: diary_to_long(_DWIDE, person="id", stubs=[]), "`stubs`"),
    (lambda: diary_to_long(_DWIDE.assign(day=1), person="id", stubs=["close"]), "`day`"),
    (lambda: diary_to_long(_DWIDE, person="id", stubs=["close"], sep=None), "`sep`"),
    (lambda: diary_to_long(_DWIDE.assign(close=0), person="id", stubs=["close"]),
     r"two columns named \['close'\]"),
])
def test_bad_keywords_raise_parameter_error(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


def test_all_missing_member_warns_in_individual_to_dyad():
    data = pd.DataFrame({"couple": [3, 3, 4], "role": [1, 2, 1], "sat": [1.0, np.nan, 2.0]})
    with pytest.warns(AnalysisWarning, match=r"dyad 3 role 2"):
        wide = individual_to_dyad(data, dyad="couple", partner="role")
    back = dyad_to_individual(wide, dyad="couple", partner="role", roles=[1, 2])
    assert len(back) == 2  # as the warning says: the all-missing member is not given back
    kept = dyad_to_individual(wide, dyad="couple", partner="role", roles=[1, 2],
                              drop_empty_members=False)
    assert len(kept) == 4


def test_all_missing_day_warns_in_diary_to_wide():
    data = pd.DataFrame({"id": [1, 1], "day": [1, 2], "close": [1.0, np.nan]})
    with pytest.warns(AnalysisWarning, match=r"subject 1 day 2"):
        diary_to_wide(data, person="id", day="day")


# ------------------------------------------------------------------------- inputs untouched


@pytest.mark.parametrize("function, data, kwargs", [
    (individual_to_dyad, "individual", {"dyad": "couple", "partner": "role",
                                        "dyad_level": ["years"]}),
    (dyad_to_individual, "dyad", {"dyad": "couple", "partner": "role", "roles": [1, 2],
                                  "dyad_level": ["years"]}),
    (individual_to_pairwise, "individual", {"dyad": "couple", "partner": "role"}),
    (pairwise_to_individual, "pairwise", {"dyad": "couple", "partner": "role"}),
    (diary_to_wide, "long", {"person": "id", "day": "day", "variables": DAILY}),
    (diary_to_long, "wide", {"person": "id", "stubs": DAILY}),
])
def test_inputs_are_not_modified(function, data, kwargs):
    individual = _individual(3, [1, 2], complete=False)
    frames = {
        "individual": individual,
        "dyad": individual_to_dyad(individual, dyad="couple", partner="role",
                                   dyad_level=["years"]),
        "pairwise": individual_to_pairwise(individual, dyad="couple", partner="role"),
        "long": _diary(3, complete=False),
        "wide": diary_to_wide(_diary(3, complete=False), person="id", day="day",
                              variables=DAILY),
    }
    frame = frames[data]
    before = frame.copy(deep=True)
    result = function(frame, **kwargs)
    assert_frame_equal(frame, before)
    result.iloc[:, 0] = result.iloc[0, 0]  # writing to the result leaves the input alone
    assert_frame_equal(frame, before)


# ------------------------------------------------------------------------------- real data


def test_acitelli_individual_to_pairwise_matches_published_pairwise_file(shared_data):
    """Acitelli (1997) couples: data.csv (individual) -> pairwise reproduces data_pairwise.csv.

    Column map (SOURCE.md): cuplid -> CoupleID, gender (-1 wife, 1 husband) -> Gender_A (and
    the partner's gender -> Gender_P), Yearsmar -> Yearsmar (dyad-level, kept once); for the
    five person variables self_pos -> SelfPos_, other_pos -> OtherPos_, satisfaction ->
    Satisfaction_, tension -> Tension_, simhob -> SimHob_, each with suffix _A (actor) and _P
    (partner). Partnum (1/2) has no column in data.csv: it is 1 for wives and 2 for husbands.
    """
    folder = shared_data / "acitelli_couples"
    individual = pd.read_csv(folder / "data.csv")
    published = pd.read_csv(folder / "data_pairwise.csv")
    variables = {"self_pos": "SelfPos", "other_pos": "OtherPos",
                 "satisfaction": "Satisfaction", "tension": "Tension", "simhob": "SimHob"}
    ours = individual_to_pairwise(individual, dyad="cuplid", partner="gender",
                                  variables=list(variables))
    ours = ours.sort_values(["cuplid", "gender"]).reset_index(drop=True)
    published = published.sort_values(["CoupleID", "Gender_A"]).reset_index(drop=True)
    assert len(ours) == len(published) == 296

    # ids and roles agree exactly
    np.testing.assert_array_equal(ours["cuplid"], published["CoupleID"])
    np.testing.assert_array_equal(ours["gender"], published["Gender_A"])
    np.testing.assert_array_equal(-ours["gender"], published["Gender_P"])
    np.testing.assert_array_equal(ours["gender"].map({-1: 1, 1: 2}), published["Partnum"])
    # values: data.csv was written with 10 significant digits, the SAS export with 15-16, so
    # non-terminating means (satisfaction = k/6, Yearsmar in twelfths) differ in the 10th digit;
    # max abs difference seen: satisfaction 3.3e-10, Yearsmar 3.3e-9, all others exactly 0.
    pairs = [("Yearsmar", "Yearsmar")] + [(f"{ours_name}_{s}", f"{theirs}_{s}")
                                          for ours_name, theirs in variables.items() for s in "AP"]
    for ours_col, theirs_col in pairs:
        np.testing.assert_allclose(ours[ours_col], published[theirs_col], rtol=0, atol=5e-9,
                                   err_msg=f"{ours_col} vs {theirs_col}")
    for name in ["self_pos", "other_pos", "tension", "simhob"]:  # exact in both files
        for s in "AP":
            np.testing.assert_array_equal(ours[f"{name}_{s}"], published[f"{variables[name]}_{s}"])

    # and back: pairwise -> individual gives data.csv exactly; the published file converts too
    back = pairwise_to_individual(individual_to_pairwise(individual, dyad="cuplid",
                                                         partner="gender"),
                                  dyad="cuplid", partner="gender")
    assert_frame_equal(back, individual)
    restored = pairwise_to_individual(pd.read_csv(folder / "data_pairwise.csv"),
                                      dyad="CoupleID", partner="Partnum")
    assert list(restored.columns) == ["CoupleID", "Yearsmar", "Partnum", "Gender", "SelfPos",
                                      "OtherPos", "Satisfaction", "Tension", "SimHob"]
