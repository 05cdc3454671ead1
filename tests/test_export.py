"""Manuscript export (`connlab export REPORT_DIR --docx`, analysis.report.export).

* Golden test: a small report made here (a notebook whose outputs are apa_table and
  correlation_matrix_table HTML with fixed numbers) is exported, and its ``word/document.xml``,
  pretty-printed, must equal tests/reference/export_golden_document.xml. After a deliberate change
  of the document, regenerate the reference with
  ``CONNLAB_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_export.py -k golden`` and review its diff.
* The borders are those of an APA 7 table (above and under the header, under the last row) and
  no other (no vertical lines).
* Read-back: notebook 03 as run on the small demo by the `suite_run` fixture is exported; the
  Word document is read back with python-docx and every number of the tables that come from
  ``run.record(...)`` must equal the results.json value formatted by `analysis.apa.format_number`;
  the CSV files hold the same cells as the Word tables.
* The command: errors (a missing folder, a file, a folder that is not a report, an unwritable
  --out) are one line and exit 2, and nothing is written outside --out.
"""

from __future__ import annotations

import base64
import csv
import errno
import html
import io
import json
import os
import re
from pathlib import Path

import docx
import numpy as np
import pandas as pd
import pytest
from conftest import PROJECT_ROOT
from docx.oxml.ns import qn
from docx.table import Table
from lxml import etree

from analysis import apa_table, correlation_matrix_table, export_report
from analysis.apa import HEADERS
from analysis.report.export import read_apa_tables
from analysis.runner import cli

GOLDEN = PROJECT_ROOT / "tests" / "reference" / "export_golden_document.xml"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NAME = "07_tiny"


# ----------------------------------------------------------------------------- a small report
def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "white").save(buffer, "PNG")
    return buffer.getvalue()


def _tiny_html() -> list[str]:
    """The HTML outputs of the small report, in order (numbers fixed: the golden test depends on them)."""
    desc = pd.DataFrame({"variable": ["Satisfaction", "Attachment anxiety"], "n": [1250, 1248],
                         "mean": [62.3214, 3.5], "sd": [15.758, 1.3712], "skew": [-0.9837, 0.0912]})  # fmt: skip
    coef = pd.DataFrame({"term": ["Intercept", "anxiety", "avoidance"], "estimate": [3.912, -0.2413, 0.0049],
                         "se": [0.112, 0.0521, 0.0498], "df": [1247, 1247, 1247], "p_value": [1e-9, 0.0234, 0.9216],
                         "ci_low": [3.692, -0.3435, -0.0928], "ci_high": [4.132, -0.1391, 0.1026],
                         "std_estimate": [0.0, -0.211, 0.004], "partial_eta_sq": [np.nan, 0.0412, 0.0001]})  # fmt: skip
    model = apa_table(coef, title="Satisfaction regressed on attachment", number=2,
                      note="n = 1,250. CI = 95% confidence interval.").html  # fmt: skip
    # additions the format may gain: more classes and attributes, and a warning block beside a table
    model = model.replace('<th class="num">', '<th class="num wrap" scope="col">', 1)
    callout = '<div class="callout warning"><p><strong>Check.</strong> A warning, not a table.</p></div>'
    pairs = pd.DataFrame({"x": ["anx", "anx", "avo"], "y": ["avo", "sat", "sat"], "r": [0.312, -0.41, -0.052],
                          "ci_low": [0.26, -0.45, -0.11], "ci_high": [0.36, -0.36, 0.004], "n": [1248, 1246, 1247],
                          "p_value": [1e-12, 1e-20, 0.066]})  # fmt: skip
    labels = {"anx": "Anxiety", "avo": "Avoidance", "sat": "Satisfaction"}
    return [
        '<div class="dataset-notice"><p>Simulated data.</p><table><tr><td>not APA</td></tr></table></div>',
        apa_table(desc, title="Scores used in the models", number=1, note="Scale means.").html,
        callout + model,
        correlation_matrix_table(pairs, columns=["anx", "avo", "sat"], labels=labels, number=3).html,
        apa_table(pd.DataFrame({"value": []}), title="Johnson–Neyman boundaries", number=4,
                  empty="No Johnson–Neyman boundary lies in the observed range of the moderator.").html,
        apa_table(pd.DataFrame({"group": ["=1+1", "b"], "chi_square": [3.2, 12.0]}), title="Fit").html,
        '<div class="provenance"><h2>Provenance</h2><table><tr><th>Seed</th><td>1</td></tr></table></div>',
    ]  # fmt: skip


def _notebook(outputs: list[dict]) -> dict:
    cells = [{"cell_type": "code", "execution_count": k, "id": f"c{k}", "metadata": {}, "source": "",
              "outputs": [out]} for k, out in enumerate(outputs, start=1)]  # fmt: skip
    cells.insert(0, {"cell_type": "markdown", "id": "m0", "metadata": {}, "source": "# A tiny report"})
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def make_report(folder: Path, *, html_outputs: list | None = None, figures: int = 1) -> Path:
    """A report folder as `connlab run` leaves it: the executed notebook and results.json."""
    folder.mkdir(parents=True, exist_ok=True)
    outputs = []
    for block in _tiny_html() if html_outputs is None else html_outputs:
        outputs.append({"output_type": "execute_result", "execution_count": 1, "metadata": {},
                        "data": {"text/html": block, "text/plain": "<HtmlBlock>"}})  # fmt: skip
    png = base64.b64encode(_png()).decode()
    for _ in range(figures):
        outputs.append({"output_type": "display_data", "metadata": {},
                        "data": {"image/png": png, "text/plain": "<Figure size 640x480 with 1 Axes>"}})  # fmt: skip
    (folder / f"{folder.name}.ipynb").write_text(json.dumps(_notebook(outputs), indent=1), encoding="utf-8")
    results = {"notebook": folder.name, "results": {}, "provenance": {"started_at": "2026-01-02T03:04:05+00:00"}}
    (folder / "results.json").write_text(json.dumps(results), encoding="utf-8")
    return folder


@pytest.fixture
def tiny(tmp_path) -> Path:
    return make_report(tmp_path / "reports" / NAME)


def _document_xml(path: Path) -> str:
    import zipfile

    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    return etree.tostring(root, pretty_print=True, encoding="unicode")


# ------------------------------------------------------------------------------------ golden
def test_golden_document_xml(tiny, tmp_path):
    result = export_report(tiny, out=tmp_path / "out")
    got = _document_xml(result.docx)
    if os.environ.get("CONNLAB_UPDATE_GOLDEN"):
        GOLDEN.write_text(got, encoding="utf-8")
    assert GOLDEN.is_file(), f"no {GOLDEN}: make it with CONNLAB_UPDATE_GOLDEN=1"
    assert got == GOLDEN.read_text(encoding="utf-8"), (
        "word/document.xml differs from tests/reference/export_golden_document.xml; if the change is meant, "
        "regenerate it with CONNLAB_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_export.py -k golden")


def test_the_same_report_gives_the_same_bytes(tiny, tmp_path):
    first = export_report(tiny, out=tmp_path / "a")
    second = export_report(tiny, out=tmp_path / "b")
    files = sorted(p.relative_to(first.out) for p in first.out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second.out) for p in second.out.rglob("*") if p.is_file())
    for name in files:
        assert (first.out / name).read_bytes() == (second.out / name).read_bytes(), name
    core = docx.Document(first.docx).core_properties
    assert (core.author, core.title, core.created.isoformat()) == ("ConnectionLab", f"{NAME}: tables",
                                                                   "2026-01-02T03:04:05+00:00")  # fmt: skip


def test_what_is_written(tiny, tmp_path):
    result = export_report(tiny, out=tmp_path / "out")
    out = tmp_path / "out"
    assert result.out == out and result.docx == out / f"{NAME}.docx" and result.n_tables == 5
    # Table 4 was shown without rows: it is in the document (number, title, sentence) but has no CSV
    assert [p.name for p in result.tables] == ["table-01.csv", "table-02.csv", "table-03.csv", "table-05.csv"]
    assert [p.name for p in result.figures] == ["figure-01.png"]
    assert (out / "figures" / "figure-01.png").read_bytes() == _png()
    assert any("SVG" in n and "rerun" in n for n in result.notes)
    index = json.loads((out / "tables" / "tables.json").read_text(encoding="utf-8"))
    assert [(e["table"], e["title"], e["file"]) for e in index] == [
        ("Table 1", "Scores used in the models", "table-01.csv"),
        ("Table 2", "Satisfaction regressed on attachment", "table-02.csv"),
        ("Table 3", "Correlations", "table-03.csv"), ("Table 4", "Johnson–Neyman boundaries", None),
        ("", "Fit", "table-05.csv")]  # fmt: skip
    assert index[1]["note"] == "n = 1,250. CI = 95% confidence interval."
    for k, block in ((2, _tiny_html()[2]), (3, _tiny_html()[3])):  # as displayed: the HTML, tags removed
        with open(out / "tables" / f"table-{k:02d}.csv", encoding="utf-8", newline="") as f:
            assert list(csv.reader(f)) == _cells(block), k
    rows = _cells(_tiny_html()[2])
    assert rows[2][:5] == ["anxiety", "−0.24", "0.05", "1,247", ".023"] and rows[1][-1] == "–"
    assert _cells(_tiny_html()[3])[3][:3] == ["", "[.26, .36]", ""]  # no-break space read as a space
    fit = (out / "tables" / "table-05.csv").read_text(encoding="utf-8")
    assert fit.splitlines()[1] == "'=1+1,3.20"  # a spreadsheet formula is neutralised
    summary = result.summary()
    assert f"Exported 5 table(s) and 1 figure(s) of {NAME}" in summary and str(result.docx) in summary


def test_reading_keeps_formats_and_ignores_other_html():
    tables = [t for block in _tiny_html() for t in read_apa_tables(block)]
    assert [t.label for t in tables] == ["Table 1", "Table 2", "Table 3", "Table 4", ""]
    head = tables[1].header
    assert [c.text for c in head] == _cells(_tiny_html()[2])[0]
    assert [[c.text for c in row] for row in tables[1].rows] == _cells(_tiny_html()[2])[1:]
    assert head[1].runs == (("b", frozenset({"i"})),) and head[1].kind == "num"
    assert head[-1].runs == (("η²", frozenset()), ("p", frozenset({"sub"})))
    assert tables[2].note[:2] == (("Pearson correlations, pairwise complete cases (", frozenset()),
                                  ("n", frozenset({"i"})))  # fmt: skip
    assert tables[3].header == () and _text(tables[3].text).startswith("No Johnson–Neyman boundary")
    assert all("Check." not in _text(t.note) for t in tables)


def test_reading_tolerates_additions_to_the_format():
    """Extra classes and attributes, a <b> table number, <br/>, a paragraph inside a cell, a block inside
    the table's div, a row shorter than the header, and a note outside any div.apa (ignored)."""
    block = ('<div class="apa wide" id="t9"><table class="apa-table striped"><caption><b>Table 9</b><br/>'
             '<em>Title</em></caption><thead><tr><th class="text">A</th><th class="num wrap">B</th><th>C</th>'
             '</tr></thead><tbody><tr><td class="text"><p>x <i>y</i></p></td><td class="num">1<br>2</td></tr>'
             '</tbody></table><div class="callout"><p>A warning.</p></div><p class="apa-note"><em>Note.</em>  '
             'Hi <i>n</i>.</p></div><p class="apa-note">outside</p>')  # fmt: skip
    (table,) = read_apa_tables(block)
    assert (table.label, table.title, table.note) == ("Table 9", "Title", (("Hi ", frozenset()),
                                                      ("n", frozenset({"i"})), (".", frozenset())))  # fmt: skip
    assert table.rows[0][0].runs == (("x ", frozenset()), ("y", frozenset({"i"})))
    assert table.frame().values.tolist() == [["x y", "1 2", ""]]


def _cells(block: str) -> list[list[str]]:
    """The header and body cells of the (last) table of an HTML block as plain text, read with regexes."""
    table = block[block.rindex('<div class="apa">'):]
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).replace("\xa0", " ").strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)] for row in rows]  # fmt: skip


def _text(runs) -> str:
    return "".join(t for t, _ in runs)


# ----------------------------------------------------------------------------------- borders
def test_borders_are_those_of_an_apa_table(tiny, tmp_path):
    root = etree.fromstring(_document_xml(export_report(tiny, out=tmp_path / "out").docx).encode())
    tables = root.findall(f".//{W}tbl")
    assert len(tables) == 4
    for tbl in tables:
        assert tbl.find(f"{W}tblPr/{W}tblStyle") is None  # no style that could add lines
        sides = {b.tag.removeprefix(W): b.get(f"{W}val") for b in tbl.find(f"{W}tblPr/{W}tblBorders")}
        assert sides == {"top": "single", "bottom": "single", "left": "nil", "right": "nil", "insideH": "nil",
                         "insideV": "nil"}  # fmt: skip
        header, *body = tbl.findall(f"{W}tr")
        assert header.find(f"{W}trPr/{W}tblHeader") is not None  # repeated on a new page
        for tc in header.findall(f"{W}tc"):
            (borders,) = tc.findall(f"{W}tcPr/{W}tcBorders")
            assert [(b.tag.removeprefix(W), b.get(f"{W}val")) for b in borders] == [("bottom", "single")]
        assert all(row.find(f".//{W}tcBorders") is None for row in body)
    assert root.find(f".//{W}pBdr") is None and root.find(f".//{W}tblStyle") is None


def test_word_reads_the_document(tiny, tmp_path):
    """python-docx opens it; the first table is Table 1 with its italic title, header and note."""
    document = docx.Document(export_report(tiny, out=tmp_path / "out").docx)
    texts = [p.text for p in document.paragraphs if p.text]
    assert texts[:3] == ["Table 1", "Scores used in the models", "Note. Scale means."]
    title = next(p for p in document.paragraphs if p.text == "Scores used in the models")
    assert all(r.italic for r in title.runs)
    assert next(p for p in document.paragraphs if p.text == "Table 1").runs[0].bold
    first = document.tables[0]
    assert [[c.text for c in row.cells] for row in first.rows] == _cells(_tiny_html()[1])
    assert [c.text for c in first.rows[1].cells] == ["Satisfaction", "1,250", "62.32", "15.76", "−0.98"]
    assert first.rows[0].cells[1].paragraphs[0].runs[0].italic
    assert "No Johnson–Neyman boundary lies in the observed range of the moderator." in texts


# ------------------------------------------------------------------- read-back on notebook 03
RECORDS = {  # table title (regex) -> the run.record key of notebook 03 it shows
    r"Scores used in the models": "descriptives",
    r"Predictors of ": "practices_coefficients",
    r"The predictors as one family of tests": "practices_adjusted_p",
    r"Moderation of the effect of ": "moderation_coefficients",
    r"Conditional effect of ": "moderation_conditional_effects",
    r"Johnson–Neyman boundaries": "johnson_neyman",
    r"Effects of .* through ": "mediation_effects",
    r"Paths of the mediation model": "mediation_paths",
    r"Satisfaction: standardized estimates": "recovered_satisfaction",
    r"Perceived responsiveness: standardized": "recovered_responsiveness",
    r"Indirect effects: completely standardized": "recovered_indirect",
}
_SHOWN = {html.unescape(re.sub(r"<[^>]+>", "", v)): k for k, v in HEADERS.items()}


def _column(header: str) -> str:
    """The results column an APA header names (analysis.apa's header rule read backwards)."""
    return _SHOWN.get(header) or header.replace("% ", "pct_").lower().replace(" ", "_")


def _agrees(cell: str, value) -> bool:
    """Whether a displayed cell shows `value`: within half a unit of its last digit, ``< .001`` for a
    smaller value, an en dash for a missing one; a negative number with a real minus sign."""
    if value is None or isinstance(value, str):
        return cell == "–" if value is None else False
    if isinstance(value, bool):
        return cell == ("yes" if value else "no")
    if "-" in cell:
        return False  # APA minus is U+2212
    text = cell.replace("−", "-").replace(",", "")
    bound = re.fullmatch(r"([<>]) ?(-?\d*\.?\d+)", text)
    if bound:
        limit = float(bound.group(2))
        return value < limit if bound.group(1) == "<" else limit < value
    if not re.fullmatch(r"-?\d*\.?\d+", text):
        return False
    decimals = len(text.split(".")[1]) if "." in text else 0
    return abs(float(text) - value) <= 0.5 * 10**-decimals + 1e-9


def _docx_tables(path: Path) -> list[tuple[str, list[list[str]]]]:
    """(title, rows of cell texts) of every table of a Word file, read with python-docx."""
    document = docx.Document(path)
    found, paragraphs = [], []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            text = "".join(t.text or "" for t in child.iter(qn("w:t")))
            if text:
                paragraphs.append(text)
        elif child.tag == qn("w:tbl"):
            table = Table(child, document)
            found.append((paragraphs[-1], [[c.text for c in row.cells] for row in table.rows]))
    return found


@pytest.fixture(scope="module")
def report03(suite_run, tmp_path_factory):
    _, _, reports = suite_run
    report = reports / "03_connection_and_satisfaction"
    assert (report / "results.json").is_file(), "notebook 03 did not succeed in the suite run"
    return report, export_report(report, out=tmp_path_factory.mktemp("export03"))


def test_every_number_of_the_recorded_tables_is_the_results_json_value(report03):
    """Each numeric column of a recorded table shows a column of its results.json record, row by row;
    a header of the project vocabulary (b, SE, p, ...) shows the column it names."""
    report, result = report03
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))["results"]
    checked, matched = 0, set()
    for title, (header, *rows) in _docx_tables(result.docx):
        keys = [key for pattern, key in RECORDS.items() if re.match(pattern, title)]
        if not keys:
            continue
        records = results[keys[0]]
        assert len(rows) == len(records), title
        for j, head in enumerate(header):
            cells = [row[j] for row in rows]
            if not all(re.fullmatch(r"[<>]? ?−?[\d,]*\.?\d+|–|yes|no", c) for c in cells):
                continue  # a text column (a number in a label, such as "CSI-16 total", does not count)
            shows = [c for c in records[0] if all(_agrees(cell, r[c]) for cell, r in zip(cells, records, strict=True))]
            named = _column(head)
            assert (named in shows) if named in records[0] else shows, (
                f"{title}: column {head!r} ({cells}) shows no column of {keys[0]} (the header names {named!r})")
            checked += len(cells)
        matched.add(keys[0])
    assert {"descriptives", "practices_coefficients", "practices_adjusted_p", "mediation_effects"} <= matched
    assert len(matched) >= 8 and checked >= 300, (matched, checked)


def test_the_csv_files_hold_the_cells_of_the_word_tables(report03):
    _, result = report03
    index = json.loads((result.out / "tables" / "tables.json").read_text(encoding="utf-8"))
    files = [e["file"] for e in index if e["file"]]
    word = _docx_tables(result.docx)
    assert len(files) == len(word) == len(result.tables) >= 8
    for name, (title, rows) in zip(files, word, strict=True):
        with open(result.out / "tables" / name, encoding="utf-8", newline="") as f:
            cells = [[_unescaped(c) for c in row] for row in csv.reader(f)]
        assert cells == rows, f"{name} ({title})"


def _unescaped(cell: str) -> str:
    """A CSV cell without the ' that keeps a spreadsheet from running it as a formula ("+1 SD")."""
    return cell[1:] if re.match(r"'[=+\-@\t\r']", cell) else cell


def test_the_figures_are_exported(report03):
    report, result = report03
    pngs = [p for p in result.figures if p.suffix == ".png"]
    assert len(pngs) >= 2  # the interaction plot and the Johnson–Neyman plot
    assert all(p.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)
    if (report / "figures" / "figures.json").is_file():  # a run that saves figure files: SVG as well
        assert {p.stem for p in result.figures if p.suffix == ".svg"} == {p.stem for p in pngs}


# ------------------------------------------------------------------------------- the command
def _error(capsys) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("connlab export: error: "), captured.err
    return lines[0]


def test_the_command_writes_the_export(tiny, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tiny.parent)  # a relative REPORT_DIR is taken from the current folder
    assert cli.main(["export", NAME, "--docx"]) == 0
    out = tiny / "export"
    assert str(out / f"{NAME}.docx") in capsys.readouterr().out
    assert (out / f"{NAME}.docx").is_file() and (out / "tables" / "table-01.csv").is_file()
    assert cli.main(["export", NAME, "--out", str(tmp_path / "csv_only")]) == 0  # no --docx: no Word file
    assert not list((tmp_path / "csv_only").glob("*.docx")) and (tmp_path / "csv_only" / "tables").is_dir()


def test_nothing_is_written_outside_out(tiny, tmp_path):
    before = {p: p.stat().st_mtime_ns for p in tiny.rglob("*")}
    out = tmp_path / "somewhere" / "else" / "out"
    assert cli.main(["export", str(tiny), "--docx", "--out", str(out)]) == 0
    assert {p: p.stat().st_mtime_ns for p in tiny.rglob("*")} == before  # the report is untouched
    assert [p.name for p in out.parent.iterdir()] == ["out"] and [p.name for p in out.parent.parent.iterdir()] == [
        "else"]  # fmt: skip
    assert not [p for p in tmp_path.rglob("*.tmp")]


def _suite_folder(tmp: Path) -> Path:
    make_report(tmp / "runs" / "01_one", figures=0)
    return tmp / "runs"


def _empty(tmp: Path) -> Path:
    (tmp / "empty").mkdir()
    return tmp / "empty"


def _bad_notebook(tmp: Path) -> Path:
    (tmp / "02_bad").mkdir()
    (tmp / "02_bad" / "02_bad.ipynb").write_text("{not json", encoding="utf-8")
    return tmp / "02_bad"


ERRORS = {  # case -> (argv after "export", given the tmp folder and the small report; the error line)
    "missing folder": (lambda t, r: [str(t / "nope")], r"The report folder \S+/nope does not exist"),
    "a file": (lambda t, r: [str(r / "results.json")], r"results\.json is a file, not a report folder"),
    "an empty folder": (lambda t, r: [str(_empty(t))], r"is not a report folder of `connlab run`: it has no executed"),
    "the folder of a run": (lambda t, r: [str(_suite_folder(t))],
                            r"holds the reports of a run, not one report: pass one of its folders \(01_one\)"),
    "not a notebook": (lambda t, r: [str(_bad_notebook(t))], r"02_bad\.ipynb cannot be read as a notebook"),
    "--out a file": (lambda t, r: [str(r), "--out", str(r / "results.json")],
                     r"cannot write or read \S+/results\.json: File exists\. .*choose another --out\.$"),
    "--out the report itself": (lambda t, r: [str(r), "--out", str(r)], r"cannot be the report folder itself"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(ERRORS))
def test_bad_input_is_one_line_with_exit_2(case, tiny, tmp_path, capsys):
    argv, expected = ERRORS[case]
    assert cli.main(["export", *argv(tmp_path, tiny), "--docx"]) == 2
    assert re.search(expected, _error(capsys))


def _fails(code: int, where: str):
    """os.replace (the rename that puts a finished file in place) or Path.mkdir raises OSError `code`."""
    real_replace, real_mkdir = os.replace, Path.mkdir

    def replace(src, dst, *args, **kwargs):
        if where == "replace":
            raise OSError(code, os.strerror(code), str(dst))
        return real_replace(src, dst, *args, **kwargs)

    def mkdir(self, *args, **kwargs):
        if where == "mkdir" and self.name == "out":
            raise OSError(code, os.strerror(code), str(self))
        return real_mkdir(self, *args, **kwargs)

    return replace, mkdir


@pytest.mark.parametrize(("code", "where", "expected"), [
    (errno.ENOSPC, "replace", r"cannot write or read \S+/out/07_tiny\.docx: No space left on device\."),
    (errno.EROFS, "mkdir", r"cannot write or read \S+/out: Read-only file system\."),
])  # fmt: skip
def test_an_unwritable_out_is_one_line_with_exit_2(code, where, expected, tiny, tmp_path, capsys, monkeypatch):
    replace, mkdir = _fails(code, where)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(Path, "mkdir", mkdir)
    assert cli.main(["export", str(tiny), "--docx", "--out", str(tmp_path / "out")]) == 2
    assert re.search(expected, _error(capsys))
    assert not list(tmp_path.rglob("*.tmp"))  # no half-written file left


def test_run_docx_exports_every_report_that_succeeded(tmp_path, monkeypatch, capsys):
    from analysis.runner import suite

    good = make_report(tmp_path / "reports" / "01_good", figures=0)
    bad = make_report(tmp_path / "reports" / "02_bad", figures=0)

    def run_suite(**kwargs):
        return [suite.NotebookRun("01_good", "succeeded", 1.0, {}, good / "01_good.ipynb", None, None),
                suite.NotebookRun("02_bad", "failed", 1.0, {}, bad / "02_bad.ipynb", None, None, "boom")]  # fmt: skip

    monkeypatch.setattr(suite, "run_suite", run_suite)
    assert cli.main(["run", "--out", str(tmp_path / "reports"), "--docx"]) == 1  # a notebook failed
    assert (good / "export" / "01_good.docx").is_file() and not (bad / "export").exists()
    assert "Word document (APA 7 tables)" in capsys.readouterr().err


# ------------------------------------------------------------------------------ other cases
def test_figure_files_of_the_run_are_copied(tiny, tmp_path):
    figures = tiny / "figures"
    figures.mkdir()
    (figures / "figure-01.png").write_bytes(_png())
    (figures / "figure-01.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    listed = [{"file": "figure-01", "title": "Interaction", "alt": "Lines."}, {"file": "../../escape"}]
    (figures / "figures.json").write_text(json.dumps(listed), encoding="utf-8")
    result = export_report(tiny, out=tmp_path / "out", docx=False)
    assert [p.name for p in result.figures] == ["figure-01.png", "figure-01.svg"]
    assert (tmp_path / "out" / "figures" / "figure-01.svg").read_bytes() == (figures / "figure-01.svg").read_bytes()
    assert not any("rerun" in n for n in result.notes) and result.docx is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "reports"]  # nothing escaped


def test_files_of_an_earlier_export_are_removed(tiny, tmp_path):
    out = tmp_path / "out"
    export_report(tiny, out=out)
    (out / "tables" / "my notes.txt").write_text("kept", encoding="utf-8")
    make_report(tiny, html_outputs=_tiny_html()[:2], figures=0)  # the report now has one table, no figure
    result = export_report(tiny, out=out)
    assert sorted(p.name for p in (out / "tables").iterdir()) == ["my notes.txt", "table-01.csv", "tables.json"]
    assert not list((out / "figures").iterdir()) and result.figures == ()


def test_a_failed_or_empty_report_says_so(tmp_path):
    report = make_report(tmp_path / "05_failed", html_outputs=[], figures=0)
    (report / ".connlab-run.json").write_text(json.dumps({"status": "failed", "error": "KeyError: 'x'\n..."}),
                                              encoding="utf-8")  # fmt: skip
    result = export_report(report)
    assert result.docx is None and result.n_tables == 0 and result.out == report / "export"
    assert "the notebook failed (KeyError: 'x')" in result.summary()
    assert "no APA table, so no Word document" in result.summary()
