"""The fast routes of issue 19 give what the general routes give, to the last bit.

* Reading: a plain CSV (no quote character) has its number columns parsed by pandas' C parser and
  its records found by counting bytes; a file with a quote takes the general route (every value as
  text, the csv module). The same data written both ways must load to the same tables, problems
  (values shown as written) and ledger.
* Scoring: `score_scale` sums keyed answers block by block (`_keyed_sums`); `_score_whole`, the
  whole-matrix route that also names invalid answers, must give the same scores.
* CFA: missing-data patterns sorted by packed integer keys (`_row_keys`) come in the order of the
  byte strings they replace.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import load_dataset
from analysis.data.instrument_library import list_instruments, load_instrument
from analysis.data.readers import iter_table, read_table
from analysis.psychometrics import _sem_ml
from analysis.scoring import scales

CODEBOOK = """
dataset: fast
tables:
  survey:
    file: survey.csv
    {format}
    variables:
      id: {{type: integer, role: id}}
      a: {{type: integer, role: item, instrument: ecr_s, item: "1", range: [1, 7], missing_codes: [-99, "refused"]}}
      b: {{type: number, range: [0, 10]}}
      c: {{type: categorical, values: [1, 2, 3], missing_codes: [0]}}
      d: {{type: integer}}
      w: {{type: number, role: weight}}
      t: {{type: string}}
"""
HEADER = ["id", "a", "b", "c", "d", "w", "t"]


def _load_both(tmp_path, rows, *, sep=",", fmt=""):
    """The same rows as a plain file (fast route) and with one quoted header name (general route)."""
    out = []
    for name, quoted in (("plain", False), ("quoted", True)):
        folder = tmp_path / name
        folder.mkdir()
        header = [f'"{h}"' if quoted and h == "t" else h for h in HEADER]
        lines = [sep.join(header)] + [sep.join(r) for r in rows]
        (folder / "survey.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (folder / "codebook.yaml").write_text(CODEBOOK.format(format=fmt), encoding="utf-8")
        out.append(load_dataset(folder))
    return out


def _same(fast, general):
    pd.testing.assert_frame_equal(fast.table("survey"), general.table("survey"))
    pd.testing.assert_frame_equal(fast.excluded["survey"], general.excluded["survey"])
    pd.testing.assert_frame_equal(fast.ledger, general.ledger)
    cols = [c for c in fast.problems.columns if c != "file"]
    pd.testing.assert_frame_equal(fast.problems[cols], general.problems[cols])


ROWS = [
    ["1", "3", "2.5", "1", "12", "1.5", "x"],
    ["2", "-99", "", "0", "007", "2", "y"],  # missing code, empty, category code 0 = missing, leading zeros
    ["3", "9", "11", "4", "+5", "0", ""],  # out of range, not a category, weight 0 (design problem)
    ["4", "2.5", "1e3", "2", "9007199254740993", "1", "z"],  # fraction, exponent, beyond 2**53
    ["5", "refused", "1e-400", "3", "1e400", "", "w"],  # text missing code, underflow, overflow, no weight
    ["6", " 4", "nan", "2.0", "-0", "1e-3", "v"],  # spaces, text "nan", 2.0 as a category
    ["7", "TRUE", "inf", "1", "18446744073709551616", "3", "u"],  # text, infinity, beyond 64 bits
]


def test_fast_and_general_routes_load_the_same(tmp_path):
    fast, general = _load_both(tmp_path, ROWS)
    _same(fast, general)
    shown = fast.problems.set_index(["column", "row"])["value"]
    assert ("d", 3) not in shown.index  # +5 is a fine integer
    assert shown[("b", 3)] == "11" and shown[("c", 3)] == "4" and shown[("a", 4)] == "2.5"
    assert shown[("d", 7)] == "18446744073709551616"


def test_plain_number_columns_are_parsed_as_numbers(tmp_path):
    rows = [[str(i), str(1 + i % 7), f"{i / 3:.4f}", str(1 + i % 3), str(i), "1", "t"] for i in range(1, 40)]
    fast, general = _load_both(tmp_path, rows)
    _same(fast, general)
    raw = next(iter_table(tmp_path / "plain" / "survey.csv", numeric=["a", "b", "id"]))
    assert raw.frame["a"].dtype == np.int64 and raw.frame["b"].dtype == np.float64
    assert raw.frame["id"].dtype == np.int64 and raw.frame["t"].dtype == object
    assert raw.lines is None and raw.line(5) == 6
    assert raw.cells("b", [1, 3]) == ["0.3333", "1.0000"]


def test_decimal_comma_values_are_shown_as_written(tmp_path):
    rows = [["1", "3", "2,5", "1", "1,234", "1", "x"], ["2", "4", "12,5", "2", "12,500", "1", "y"]]
    fast, general = _load_both(tmp_path, rows, sep=";", fmt='format: {sep: ";", decimal: ","}')
    _same(fast, general)
    assert fast.problems["value"].tolist() == ["12,5", "1,234", "12,500"]


def test_chunks_of_a_plain_file_and_a_float_that_needs_its_text(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n" + "".join(f"{i},{i / 2}\n" for i in range(25)) + "30,inf\n", encoding="utf-8")
    chunks = list(iter_table(path, numeric=["a", "b"], chunk_rows=10))
    assert [c.first_row for c in chunks] == [1, 11, 21]
    assert [c.frame["b"].dtype for c in chunks] == [np.float64, np.float64, object]  # inf: read as text
    assert chunks[2].frame["b"].tolist()[-1] == "inf" and chunks[2].frame["a"].dtype == np.int64
    assert read_table(path).frame["b"].iloc[1] == "0.5"  # without `numeric`, text as before


def test_a_ragged_plain_file_is_named_by_the_general_route(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,b\n1,2\n3,4,5\n6,7\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"line 3: 3 fields"):
        list(iter_table(path, numeric=["a"]))


CELLS = st.sampled_from(["", "1", "3", "7", "8", "0", "-99", "refused", "2.5", " 2", "02", "1e0", "NA", "x", "1.0"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(CELLS, CELLS, CELLS, CELLS), min_size=1, max_size=12))
def test_any_cells_load_the_same_by_both_routes(tmp_path_factory, cells):
    tmp = tmp_path_factory.mktemp("cells")
    rows = [[str(i + 1), a, b, c, d, "1", "t"] for i, (a, b, c, d) in enumerate(cells)]
    fast, general = _load_both(tmp, rows)
    _same(fast, general)


def _random_items(ins, n, rng, missing):
    cols = {}
    for item in ins.items:
        v = rng.integers(int(item.min), int(item.max) + 1, n).astype(float)
        v[rng.random(n) < missing] = np.nan
        cols[f"{ins.id}_{item.id}"] = v
    return pd.DataFrame(cols)


@pytest.mark.parametrize("ins_id", list(list_instruments()["id"]))
def test_block_scores_equal_the_whole_matrix_route(ins_id, monkeypatch):
    monkeypatch.setattr(scales, "_BLOCK_CELLS", 512)  # many blocks of rows
    ins = load_instrument(ins_id)
    rng = np.random.default_rng(len(ins_id))
    data = _random_items(ins, 700, rng, 0.15)
    data = data[data.columns[::-1]]  # columns in another order than the items
    mapping = {item.id: f"{ins.id}_{item.id}" for item in ins.items}
    for min_answered in (0.8, 0.5):
        fast = scales.score_scale(data, instrument=ins, min_answered=min_answered)
        items = [ins.item(i) for i in mapping]
        position = {item_id: j for j, item_id in enumerate(mapping)}
        scores = {k: [position[m] for m in v] for k, v in ins.scores.items()}
        whole = scales._score_whole(data[list(mapping.values())], data.index, ins, items, list(mapping),
                                    list(mapping.values()), scores, min_answered)  # fmt: skip
        pd.testing.assert_frame_equal(fast, whole, check_exact=True)


def test_row_keys_sort_as_the_byte_strings():
    rng = np.random.default_rng(3)
    for width in (1, 7, 8, 9, 36, 64, 65, 70):
        obs = rng.random((300, width)) < 0.3
        obs[::7] = obs[0]  # repeated patterns
        packed = np.ascontiguousarray(np.packbits(obs, axis=1))
        void = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
        expected = np.unique(void, return_index=True, return_inverse=True)[1:]
        got = np.unique(_sem_ml._row_keys(obs), return_index=True, return_inverse=True)[1:]
        assert all(np.array_equal(a, b) for a, b in zip(expected, got, strict=True)), width
