"""Manuscript export of a report (`connlab export REPORT_DIR --docx`): every APA table of the report
in one Word document in APA 7 table style, each table as CSV and each figure as PNG and SVG.

The tables are read back from the executed notebook of the report (``<report>/<name>.ipynb``): every
``<div class="apa">`` that `analysis.apa.apa_table`, `correlation_matrix_table` or a result's
``.table()`` displayed, in output order. They are parsed by structure (caption, header cells, body
cells, note), so extra attributes and classes do not matter. The Word document is built with
python-docx; the APA borders (top of the table, under the header, bottom) are set in the table XML
(``w:tblBorders``, ``w:tcBorders``), since no Word style gives them. The files are deterministic:
the same report gives the same bytes (fixed document properties and zip dates).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from analysis.data.privacy import neutralize_formulas
from analysis.exceptions import ParameterError

__all__ = ["Cell", "ApaTable", "ExportResult", "read_apa_tables", "export_report"]

#: one run of text and its formats (a subset of {"i", "b", "sub", "sup"}); "\n" is a line break
Run = tuple[str, frozenset]
#: the document date when the report has no results.json (a fixed one: the same report, the same bytes)
FIXED_DATE = datetime(2000, 1, 1, tzinfo=UTC)
_FORMAT_TAGS = {"i": "i", "em": "i", "b": "b", "strong": "b", "sub": "sub", "sup": "sup"}


# ------------------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class Cell:
    """One cell of an APA table: its text runs and its kind (``"text"`` or ``"num"``)."""

    runs: tuple[Run, ...]
    kind: str = "text"

    @property
    def text(self) -> str:
        """The cell as plain text, as displayed (line breaks as spaces)."""
        return _plain(self.runs)


@dataclass(frozen=True)
class ApaTable:
    """One APA table of a report, read from its HTML.

    `label` is ``"Table N"`` (empty when the table has no number), `title` the italic title,
    `header` and `rows` the cells, `note` the runs of the note after *Note.* (empty: no note).
    A table shown without rows (``apa_table(..., empty=...)``) has no header and no rows and its
    sentence in `text`.
    """

    label: str
    title: str
    header: tuple[Cell, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: tuple[Run, ...] = ()
    text: tuple[Run, ...] = ()

    def frame(self) -> pd.DataFrame:
        """The table as displayed: one column per header (plain text), every cell a string (a row
        shorter than the header is filled with empty cells)."""
        width = max([len(self.header), *(len(row) for row in self.rows)])
        header = [c.text for c in self.header] + [""] * (width - len(self.header))
        rows = [[c.text for c in row] + [""] * (width - len(row)) for row in self.rows]
        return pd.DataFrame(rows, columns=header, dtype=object)


def _plain(runs) -> str:
    return "".join(" " if t == "\n" else t for t, _ in runs).replace("\xa0", " ").strip()


def _classes(attrs) -> set[str]:
    return set((dict(attrs).get("class") or "").split())


class _ApaParser(HTMLParser):
    """Collects every ``div.apa`` of an HTML fragment as an ApaTable (html.parser: no dependency)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[ApaTable] = []
        self._depth = 0  # depth of <div> inside the current div.apa (0: outside one)
        self._target: list | None = None  # the runs being filled
        self._formats: list[str] = []
        self._part = ""  # "thead" or "tbody"
        self._in_cell = False

    def _start(self):
        self._caption, self._header, self._rows, self._note, self._text = [], [], [], [], []
        self._row: list | None = None
        self._kind, self._in_cell = "text", False

    def handle_starttag(self, tag, attrs):
        if tag == "div":
            if self._depth:
                self._depth += 1
            elif "apa" in _classes(attrs):
                self._depth = 1
                self._start()
            return
        if not self._depth:
            return
        classes = _classes(attrs)
        if tag in _FORMAT_TAGS:
            self._formats.append(_FORMAT_TAGS[tag])
        elif tag == "br" and self._target is not None:
            self._target.append(("\n", frozenset()))
        elif tag in ("thead", "tbody"):
            self._part = tag
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._target, self._kind, self._in_cell = [], "num" if "num" in classes else "text", True
        elif tag == "caption":
            self._target = self._caption
        elif tag == "p" and not self._in_cell:
            self._target = (self._note if "apa-note" in classes else self._caption if "apa-caption" in classes
                            else self._text if "apa-text" in classes else None)  # fmt: skip

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in _FORMAT_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if not self._depth:
            return
        if tag == "div":
            self._depth -= 1
            if not self._depth:
                self._finish()
        elif tag in _FORMAT_TAGS:
            if _FORMAT_TAGS[tag] in self._formats:  # the last one opened (tolerates a stray end tag)
                del self._formats[len(self._formats) - 1 - self._formats[::-1].index(_FORMAT_TAGS[tag])]
        elif tag in ("th", "td") and self._row is not None and self._target is not None:
            self._row.append(Cell(_tidy(self._target), self._kind))
            self._target, self._in_cell = None, False
        elif tag == "tr" and self._row is not None:
            if self._part == "thead" or (not self._header and not self._rows and self._part != "tbody"):
                self._header = self._row  # the last header row (the format has one)
            elif self._row:
                self._rows.append(tuple(self._row))
            self._row = None
        elif tag == "caption" or (tag == "p" and not self._in_cell):
            self._target = None
        elif tag in ("thead", "tbody"):
            self._part = ""

    def handle_data(self, data):
        if self._depth and self._target is not None:
            text = re.sub(r"[ \t\r\n\f]+", " ", data)  # HTML white space (not &nbsp;)
            if text:
                self._target.append((text, frozenset(self._formats)))

    def _finish(self):
        label, title = _caption(_tidy(self._caption))
        note = _tidy(self._note)
        if "".join(t for t, _ in note).startswith("Note."):  # the italic "Note." is written again by the reader
            note = _tidy(_drop_chars(note, len("Note.")))
        if self._header or self._rows or self._text or label or title:
            self.tables.append(ApaTable(label, title, tuple(self._header), tuple(self._rows), tuple(note),
                                        _tidy(self._text)))  # fmt: skip
        self._formats, self._target, self._part = [], None, ""


def _tidy(runs) -> tuple[Run, ...]:
    """Merge neighbouring runs of the same format; strip white space at both ends."""
    merged: list[list] = []
    for text, fmt in (r for r in runs if r[0]):
        if merged and merged[-1][1] == fmt and text != "\n" and merged[-1][0] != "\n":
            merged[-1][0] += text
        else:
            merged.append([text, fmt])
    if merged and merged[0][0] != "\n":
        merged[0][0] = merged[0][0].lstrip(" ")
    if merged and merged[-1][0] != "\n":
        merged[-1][0] = merged[-1][0].rstrip(" ")
    return tuple((t, f) for t, f in merged if t)


def _drop_chars(runs, n: int) -> list[Run]:
    """`runs` without their first `n` characters."""
    kept = []
    for text, fmt in runs:
        cut = min(n, len(text))
        n -= cut
        kept.append((text[cut:], fmt))
    return kept


def _caption(runs) -> tuple[str, str]:
    """("Table N", title) from the caption: the bold number, a line break, the italic title."""
    lines, line = [], []
    for run in runs:
        if run[0] == "\n":
            lines.append(line)
            line = []
        else:
            line.append(run)
    lines.append(line)
    lines = [ln for ln in lines if _plain(ln)]
    if len(lines) >= 2:
        return _plain(lines[0]), " ".join(_plain(ln) for ln in lines[1:])
    text = _plain(lines[0]) if lines else ""
    number = re.match(r"(Table\s+\S+)\s*(.*)$", text)
    if number and lines and all("b" in f for t, f in lines[0][:1]):
        return number.group(1), number.group(2)
    return "", text


def read_apa_tables(html: str) -> list[ApaTable]:
    """Read the APA tables of an HTML fragment (every ``<div class="apa">``), in order.

    Parameters
    ----------
    html : str
        HTML such as the output of `analysis.apa_table` (``.html``) or a notebook's
        ``text/html`` output; anything outside ``div.apa`` is ignored.

    Returns
    -------
    list of ApaTable
        One per ``div.apa``: `label` ("Table N"), `title`, `header` and `rows` (cells with text
        runs and the kind ``"text"`` or ``"num"``), the `note` after *Note.*, and for a table
        shown without rows its sentence in `text`.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import apa_table
    >>> from analysis.report.export import read_apa_tables
    >>> block = apa_table(pd.DataFrame({"term": ["x"], "estimate": [-0.5], "p_value": [0.0004]}),
    ...                   title="A model", number=2, note="n = 80.")
    >>> (table,) = read_apa_tables(block.html)
    >>> table.label, table.title, [c.text for c in table.header], [c.text for c in table.rows[0]]
    ('Table 2', 'A model', ['Term', 'b', 'p'], ['x', '−0.50', '< .001'])
    >>> table.header[1].runs, table.note
    ((('b', frozenset({'i'})),), (('n = 80.', frozenset()),))
    """
    parser = _ApaParser()
    parser.feed(html)
    parser.close()
    return parser.tables


# ------------------------------------------------------------------------------------- the report
def _notebook_of(report: Path) -> Path:
    """The executed notebook of a report folder (ParameterError when `report` is not one)."""
    if not report.exists():
        raise ParameterError(f"The report folder {report} does not exist. Pass a report folder of `connlab run`, "
                             "e.g. reports/03_connection_and_satisfaction.")  # fmt: skip
    if not report.is_dir():
        raise ParameterError(f"{report} is a file, not a report folder. Pass a report folder of `connlab run`, "
                             "e.g. reports/03_connection_and_satisfaction.")  # fmt: skip
    own = report / f"{report.name}.ipynb"
    if own.is_file():
        return own
    found = sorted(p for p in report.glob("*.ipynb") if p.is_file() and not p.name.startswith("."))
    if len(found) == 1:
        return found[0]
    inner = sorted(p.name for p in report.glob("[0-9][0-9]_*") if (p / f"{p.name}.ipynb").is_file())
    if inner:
        raise ParameterError(f"{report} holds the reports of a run, not one report: pass one of its folders "
                             f"({', '.join(inner[:3])}{', ...' if len(inner) > 3 else ''}), or export them all "
                             "with `connlab run --docx`.")  # fmt: skip
    why = "several notebooks" if found else "no executed notebook"
    raise ParameterError(f"{report} is not a report folder of `connlab run`: it has {why} (expected "
                         f"{report.name}.ipynb). Pass a folder such as reports/03_connection_and_satisfaction.")


def _read_notebook(path: Path) -> dict:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParameterError(f"{path} cannot be read as a notebook ({exc}); rerun the report with "
                             "`connlab run`.") from None  # fmt: skip
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ParameterError(f"{path} is not a Jupyter notebook (no cells); rerun the report with `connlab run`.")
    return nb


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _outputs(nb: dict):
    """(mime data) of every display output of the notebook's code cells, in order."""
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs") or []:
            if isinstance(output, dict) and isinstance(output.get("data"), dict):
                yield output["data"]


def _run_record(report: Path) -> tuple[datetime, str | None]:
    """The time the results were made (results.json) and the run's error when the notebook failed."""
    created = FIXED_DATE
    try:
        started = json.loads((report / "results.json").read_text(encoding="utf-8"))["provenance"]["started_at"]
        created = datetime.fromisoformat(started).astimezone(UTC)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    failed = None
    try:
        record = json.loads((report / ".connlab-run.json").read_text(encoding="utf-8"))
        if record.get("status") == "failed":
            failed = str(record.get("error") or "unknown error").splitlines()[0][:200]
    except (OSError, ValueError, AttributeError):
        pass
    return created, failed


# ------------------------------------------------------------------------------------- writing
def _write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to a temporary file beside `path`, then rename it: never a half-written file.
    An OSError names `path` (not the temporary file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _csv_bytes(table: ApaTable) -> bytes:
    """The table as displayed, as CSV (UTF-8, CRLF; cells a spreadsheet would run as a formula get ')."""
    frame = neutralize_formulas(table.frame())
    quoting = csv.QUOTE_ALL if frame.shape[1] == 1 else csv.QUOTE_MINIMAL
    return frame.to_csv(index=False, lineterminator="\r\n", quoting=quoting).encode("utf-8")


def _deterministic_zip(data: bytes) -> bytes:
    """The same zip with every member dated 1980-01-01 (python-docx stamps the current time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type, member.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


@dataclass(frozen=True)
class ExportResult:
    """What `export_report` wrote: the report and export folders, the Word document (None when
    not asked for or when the report has no table), the CSV files, the figure files (PNG and
    SVG), the number of tables, and notes for the reader (e.g. figures without SVG)."""

    report: Path
    out: Path
    docx: Path | None
    tables: tuple[Path, ...]
    figures: tuple[Path, ...]
    n_tables: int
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """A few lines for the command line: what was written where, and the notes."""
        figures = sorted({p.stem for p in self.figures})
        kinds = "/".join(sorted({p.suffix[1:].upper() for p in self.figures})) or "none"
        lines = [f"Exported {self.n_tables} table(s) and {len(figures)} figure(s) of {self.report.name} to "
                 f"{self.out}"]  # fmt: skip
        if self.docx is not None:
            lines.append(f"  Word document (APA 7 tables): {self.docx}")
        if self.tables:
            lines.append(f"  tables as CSV: {self.out / 'tables'} ({self.tables[0].name} .. {self.tables[-1].name})")
        if figures:
            lines.append(f"  figures ({kinds}): {self.out / 'figures'} ({figures[0]} .. {figures[-1]})")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def export_report(report_dir: str | Path, *, out: str | Path | None = None, docx: bool = True) -> ExportResult:
    """Export a report's APA tables (Word and CSV) and figures (PNG and SVG) for a manuscript.

    Parameters
    ----------
    report_dir : str or Path
        A report folder of ``connlab run`` (``reports/NN_name``), holding the executed notebook
        ``NN_name.ipynb``.
    out : str or Path, optional
        Output folder (created if needed); default ``<report_dir>/export``. Nothing is written
        outside it.
    docx : bool, default True
        Also write the Word document ``<out>/NN_name.docx``; False: only the CSV and figure files.

    Returns
    -------
    ExportResult
        ``report`` and ``out`` (absolute folders), ``docx`` (the Word file, or None when not
        asked for or when the report has no APA table), ``tables`` (``<out>/tables/table-NN.csv``,
        NN the table's place in the report), ``figures`` (``<out>/figures/figure-NN.png`` and
        ``.svg``), ``n_tables`` and ``notes`` (e.g. that SVG figures need a rerun of the report);
        ``.summary()`` says it in a few lines.

    Raises
    ------
    ParameterError
        If `report_dir` does not exist or is not a report folder, or its notebook cannot be read.
    OSError
        If a file cannot be written (it names the file).

    See Also
    --------
    read_apa_tables : How the tables are read from the report.
    analysis.apa_table : How they were made.

    Notes
    -----
    The Word document holds every APA table in the order of the report, one per page, in APA 7
    table style (Publication Manual, 7th ed., sections 7.8-7.21): the bold table number, the
    italic title, the table with a rule above the header, one under it and one under the last
    row (no vertical rules), and the note (*Note.* in italics) below; Times New Roman 12 pt,
    numbers right-aligned in a block centred in their column (decimal points line up when a
    column has one number of decimals), text left-aligned. A table too wide for a portrait
    page is set in 11 or 10 pt, or on a landscape page. A table shown without rows keeps its
    number and title and the sentence that replaced it (no CSV).

    The CSV files (UTF-8) hold the header as plain text and every cell as displayed (``−0.54``
    with a real minus sign, ``< .001``); a text cell that a spreadsheet would run as a formula
    gets a leading ``'`` (`analysis.data.privacy.neutralize_formulas`). ``tables.json`` lists
    each file with its table number, title and note.

    Figures come from ``<report_dir>/figures/`` (``figure-NN.png`` and ``.svg``, listed in
    ``figures.json``) when the run wrote them; otherwise the PNG images are taken from the
    notebook's outputs and a note says that SVG files need a rerun of the report. Files of an
    earlier export that this one did not write again (``table-NN.csv``, ``figure-NN.*``) are
    removed. The same report gives byte-identical files.

    References
    ----------
    American Psychological Association. (2020). Publication manual of the American
    Psychological Association (7th ed.). https://doi.org/10.1037/0000165-000

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from analysis import apa_table
    >>> from analysis.report.export import export_report
    >>> table = apa_table(pd.DataFrame({"term": ["x"], "estimate": [0.25]}), title="A model", number=1)
    >>> nb = {"cells": [{"cell_type": "code", "source": "", "metadata": {}, "execution_count": 1,
    ...       "outputs": [{"output_type": "execute_result", "data": {"text/html": table.html}}]}],
    ...       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     report = Path(tmp) / "01_models"
    ...     report.mkdir()
    ...     _ = (report / "01_models.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    ...     result = export_report(report)
    ...     written = sorted(str(p.relative_to(result.out)) for p in result.out.rglob("*"))
    ...     csv_text = result.tables[0].read_text(encoding="utf-8")
    >>> written
    ['01_models.docx', 'tables', 'tables/table-01.csv', 'tables/tables.json']
    >>> csv_text.splitlines()
    ['Term,b', 'x,0.25']
    """
    report = Path(report_dir).expanduser().resolve()
    notebook = _notebook_of(report)
    nb = _read_notebook(notebook)
    out = (report / "export") if out is None else Path(out).expanduser().resolve()
    if out == report:
        raise ParameterError(f"The export folder cannot be the report folder itself ({report}): its figures/ would be "
                             "overwritten. Choose another --out, or leave it out for REPORT_DIR/export/.")  # fmt: skip
    created, failed = _run_record(report)
    notes = [f"the notebook failed ({failed}); the export holds the tables made before the failure"] if failed else []

    tables: list[ApaTable] = []
    images: list[tuple[bytes | None, str | None]] = []  # (PNG, SVG) of each figure output
    for data in _outputs(nb):
        if "text/html" in data:
            tables += read_apa_tables(_text(data["text/html"]))
        png = data.get("image/png")
        svg = data.get("image/svg+xml")
        if png or svg:
            try:
                images.append((base64.b64decode(_text(png)) if png else None, _text(svg) if svg else None))
            except ValueError:
                notes.append("an image of the notebook could not be decoded and was left out")

    out.mkdir(parents=True, exist_ok=True)
    name = report.name
    docx_path = None
    if docx and tables:
        from analysis.report._docx import apa_document

        data = apa_document(tables, title=f"{name}: tables", created=created)
        docx_path = _write_bytes(out / f"{name}.docx", _deterministic_zip(data))
    elif docx:
        notes.append("the report has no APA table, so no Word document was written")

    csv_paths, index = [], []
    if tables:
        (out / "tables").mkdir(exist_ok=True)
    for k, table in enumerate(tables, start=1):
        entry = {"table": table.label, "title": table.title, "note": _plain(table.note) or None, "file": None}
        if table.header:
            path = _write_bytes(out / "tables" / f"table-{k:02d}.csv", _csv_bytes(table))
            csv_paths.append(path)
            entry["file"] = path.name
        index.append(entry)
    if tables:
        _write_bytes(out / "tables" / "tables.json",
                     (json.dumps(index, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))  # fmt: skip
    _remove_stale(out / "tables", r"table-\d+\.csv", csv_paths)

    figure_paths = _export_figures(report, out, images, notes)
    _remove_stale(out / "figures", r"figure-\d+\.(png|svg)", figure_paths)
    return ExportResult(report, out, docx_path, tuple(csv_paths), tuple(figure_paths), len(tables), tuple(notes))


def _remove_stale(folder: Path, pattern: str, kept: list[Path]) -> None:
    """Remove files of an earlier export (named by `pattern`) that this export did not write."""
    if folder.is_dir():
        for path in folder.iterdir():
            if re.fullmatch(pattern, path.name) and path not in kept and path.is_file():
                path.unlink()


def _export_figures(report: Path, out: Path, images: list, notes: list[str]) -> list[Path]:
    """Copy the run's figures (figures/figures.json) or, without them, the notebook's PNG images."""
    listed = report / "figures" / "figures.json"
    written: list[Path] = []
    if listed.is_file():
        try:
            entries = json.loads(listed.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            entries = None
        if isinstance(entries, list):
            names = [e.get("file") for e in entries if isinstance(e, dict)]
            names = [n for n in names if isinstance(n, str) and re.fullmatch(r"[A-Za-z0-9][\w.-]*", n)]
            if names:
                (out / "figures").mkdir(exist_ok=True)
            missing = []
            for stem in names:
                for suffix in (".png", ".svg"):
                    source = report / "figures" / f"{stem}{suffix}"
                    if source.is_file():
                        written.append(_write_bytes(out / "figures" / source.name, source.read_bytes()))
                    else:
                        missing.append(source.name)
            if names:
                _write_bytes(out / "figures" / "figures.json", listed.read_bytes())
            if missing:
                notes.append(f"figure files listed in figures.json but missing: {', '.join(missing)}")
            return written
        notes.append(f"{listed} cannot be read; the figures were taken from the notebook instead")
    if images:
        (out / "figures").mkdir(exist_ok=True)
    no_svg = 0
    for k, (png, svg) in enumerate(images, start=1):
        if png is not None:
            written.append(_write_bytes(out / "figures" / f"figure-{k:02d}.png", png))
        if svg is not None:
            written.append(_write_bytes(out / "figures" / f"figure-{k:02d}.svg", svg.encode("utf-8")))
        else:
            no_svg += 1
    if no_svg:
        notes.append(f"{no_svg} figure(s) as PNG only, taken from the notebook: this report was made before figures "
                     "were saved as files; rerun it (`connlab run --only "
                     f"{report.name[:2]}`) for the SVG versions")  # fmt: skip
    return written
