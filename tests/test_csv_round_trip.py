"""Every CSV file the project writes reads back as the same table.

`write_csv` quotes every cell holding a CR, LF, separator or quote (records end in CRLF, RFC 4180,
and the csv writer quotes any cell holding a character of the line terminator), and escapes cells
and column names a spreadsheet would run as formulas with a leading ``'``. `read_table` with
``format: {escaped_formulas: true}`` (which `write_processed` writes into its codebook) undoes
the escape exactly. A hypothesis property test checks this for arbitrary text; the other tests
read back the files `connlab validate --write` writes.
"""

from __future__ import annotations

import csv
import string

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.data.dataset import load_dataset
from analysis.data.privacy import write_csv
from analysis.data.readers import read_table
from analysis.runner.cli import main

PROCESSED_FORMAT = {"sep": ",", "encoding": "utf-8", "decimal": ".", "escaped_formulas": True}
# any text but NUL (a text file holding NUL is binary) and lone surrogates (not encodable)
CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
TRICKY = st.sampled_from(["\r", "\n", "\r\n", '"', ",", "'", "=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "''=x",
                          " ", "a,b", 'say "hi"', "line\rbreak"])  # fmt: skip
NAME = st.text(string.ascii_letters + string.digits + "_=+-@' ,\"", min_size=1, max_size=8).filter(
    lambda n: n == n.strip() and not n.lower().startswith("sep="))


def _written_and_read(frame: pd.DataFrame, path) -> pd.DataFrame:
    write_csv(frame, path)
    return read_table(path, format=PROCESSED_FORMAT).frame


def _as_read(frame: pd.DataFrame) -> pd.DataFrame:
    """What a text file can hold: every value as text, empty text missing."""
    return pd.DataFrame({c: pd.Series([None if v is None or v == "" else str(v) for v in frame[c]], dtype=object)
                         for c in frame.columns})  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_text_table_reads_back_as_written(tmp_path_factory, data):
    names = data.draw(st.lists(NAME, min_size=1, max_size=4, unique=True))
    n_rows = data.draw(st.integers(1, 6))
    cells = st.one_of(st.none(), CELL, TRICKY)
    frame = pd.DataFrame({n: data.draw(st.lists(cells, min_size=n_rows, max_size=n_rows)) for n in names},
                         dtype=object)  # fmt: skip
    if frame.isna().all(axis=None) or (frame.map(lambda v: v in (None, "")).all(axis=None)):
        frame.iloc[0, 0] = "x"  # a file of empty records only has no data a reader can tell from blank lines
    back = _written_and_read(frame, tmp_path_factory.mktemp("rt") / "t.csv")
    pd.testing.assert_frame_equal(back.reset_index(drop=True), _as_read(frame), check_dtype=False)


def test_a_cell_with_a_bare_cr_stays_one_record(tmp_path):
    notes = ["first\rsecond", "=HYPERLINK(\"x\")", "\r=cmd|' /C calc'!A0"]
    frame = pd.DataFrame({"id": ["1", "2", "3"], "note": notes})
    path = tmp_path / "notes.csv"
    back = _written_and_read(frame, path)
    assert back["note"].tolist() == frame["note"].tolist() and back["id"].tolist() == ["1", "2", "3"]
    with open(path, encoding="utf-8", newline="") as fh:  # any CSV reader sees 3 records, none a formula
        rows = list(csv.reader(fh))
    assert len(rows) == 4 and all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_formula_headers_are_neutralised_and_restored(tmp_path):
    frame = pd.DataFrame({"=HYPERLINK(\"http://evil.example\")": ["1"], "@x": ["2"], "ok": ["3"]})
    path = tmp_path / "h.csv"
    back = _written_and_read(frame, path)
    assert list(back.columns) == list(frame.columns)
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert next(csv.reader([header])) == ["'=HYPERLINK(\"http://evil.example\")", "'@x", "ok"]


def test_validate_write_output_reads_back_as_the_same_tables(tmp_path, small_demo, capsys):
    """`connlab validate --write`, then loading the processed folder, gives the same tables; the
    ledger and the problems read back as written."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("codebook.yaml", "survey.csv", "diary.csv", "family.csv"):
        (source / name).write_bytes((small_demo / name).read_bytes())
    survey = pd.read_csv(source / "survey.csv", dtype=str, keep_default_na=False)
    survey.loc[2, "age"] = "999"  # one problem, so that problems.csv has a row
    survey.to_csv(source / "survey.csv", index=False)
    out = tmp_path / "processed"
    assert main(["validate", "--data", str(source), "--write", str(out)]) == 1
    capsys.readouterr()
    original = load_dataset(source)
    assert len(original.problems) == 1
    processed = load_dataset(out)
    assert set(processed.tables) == set(original.tables)
    for name, table in original.tables.items():
        back = processed.tables[name].reset_index(drop=True)
        pd.testing.assert_frame_equal(back, table.reset_index(drop=True), check_dtype=False, check_categorical=False)
    for name, frame in (("ledger", original.ledger), ("problems", original.problems)):
        back = read_table(out / f"{name}.csv", format=PROCESSED_FORMAT).frame
        expected = _as_read(frame.astype(object).where(frame.notna(), None))
        pd.testing.assert_frame_equal(back.reset_index(drop=True), expected, check_dtype=False)
