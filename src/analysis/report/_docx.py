"""The Word document of `analysis.report.export`: APA 7 tables built with python-docx.

Word has no table style with APA rules, so the borders are written into the table XML: the table's
``w:tblBorders`` hold a top and a bottom rule and no other line (left, right, inside lines set to
``nil``), and each header cell's ``w:tcBorders`` a bottom rule. Column widths are computed from the
text (Times New Roman character widths) so that Word and LibreOffice lay the table out alike; a
table too wide for a portrait page in 12 or 11 pt goes on a landscape page of its own (12, 11 or
10 pt).
"""

from __future__ import annotations

import io
from datetime import datetime

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, Twips

__all__ = ["apa_document"]

FONT = "Times New Roman"
PAGE = (12240, 15840)  # US Letter in twips (APA's page); margins 1 inch
MARGIN = 1440
CELL_MARGIN = 100  # left and right padding of a cell, twips
RULE = {"val": "single", "sz": "6", "space": "0", "color": "000000"}  # 0.75 pt
#: approximate Times New Roman advance widths, in em
_NARROW, _SLIM, _WIDE = set("ijlI.,:;'!| \u00a0"), set("ftr()[]-*/\"`"), set("mwMW%@\u2014")


def _em(text: str) -> float:
    total = 0.0
    for ch in text:
        if ch in _NARROW:
            total += 0.28
        elif ch in _SLIM:
            total += 0.34
        elif ch in _WIDE:
            total += 0.88
        elif ch.isdigit():
            total += 0.5
        elif ch.isupper():
            total += 0.7
        elif ch.islower():
            total += 0.47
        else:
            total += 0.56
    return total * 1.04  # a little room for bold, italics and rounding


def _width(text: str, size: float) -> int:
    """Width of `text` in twips at `size` points (approximate)."""
    return round(_em(text) * size * 20)


def _lines(cell) -> list[str]:
    lines, line = [], ""
    for text, _ in cell.runs:
        if text == "\n":
            lines.append(line)
            line = ""
        else:
            line += text
    return [*lines, line]


def _two_lines(text: str, size: float) -> int:
    """The width of `text` broken at a space into at most two lines, the wider one as narrow as can be."""
    words = text.split()
    return min((max(_width(" ".join(words[:k]), size), _width(" ".join(words[k:]), size))
                for k in range(1, len(words))), default=_width(text, size))  # fmt: skip


def _column_needs(table, size: float) -> list[tuple[int, int, int]]:
    """(minimum, preferred, widest number) width of each column in twips. Numbers never wrap and the
    header of a column of numbers takes at most two lines; text cells and their headers wrap at spaces
    (minimum: the longest word)."""
    needs = []
    for j, head in enumerate(table.header):
        body = [row[j] for row in table.rows if j < len(row)]
        numeric = any(cell.kind == "num" and cell.text for cell in body) or (not body and head.kind == "num")
        lines = _lines(head)
        high = max(_width(line, size) for line in lines)
        if numeric:
            low = max(_two_lines(line, size) for line in lines)
        else:
            low = max(_width(w, size) for line in lines for w in line.split() or [""])
        widest = 0
        for cell in body:
            for line in _lines(cell):
                full = _width(line, size)
                high = max(high, full)
                if cell.kind == "num":
                    widest = max(widest, full)
                    low = max(low, full)
                else:
                    low = max(low, *(_width(w, size) for w in line.split() or [""]))
        needs.append((low + 2 * CELL_MARGIN, high + 2 * CELL_MARGIN, widest))
    return needs


#: the layouts tried, in order: (landscape, font size)
LAYOUTS = ((False, 12), (False, 11), (True, 12), (True, 11), (True, 10))


def _layout(table) -> tuple[bool, float, list[int], list[int]]:
    """(landscape, font size, column widths, widest number per column) for `table`: the first of
    ``LAYOUTS`` in which every column gets at least its minimum width."""
    for landscape, size in LAYOUTS:
        avail = (PAGE[1] if landscape else PAGE[0]) - 2 * MARGIN
        needs = _column_needs(table, size)
        low, high = sum(n[0] for n in needs), sum(n[1] for n in needs)
        if low <= avail:
            break
    if high <= avail:  # everything on one line: spread the rest of the line evenly (APA tables span the text)
        extra = (avail - high) // max(len(needs), 1)
        widths = [n[1] + extra for n in needs]
    elif low <= avail:  # wrap as few columns as can be: the room goes first to those that want least
        slack, widths = avail - low, [n[0] for n in needs]
        for j in sorted(range(len(needs)), key=lambda j: (needs[j][1] - needs[j][0], j)):
            grant = min(needs[j][1] - needs[j][0], slack)
            widths[j] += grant
            slack -= grant
        widths[max(range(len(needs)), key=lambda j: needs[j][1] - widths[j])] += slack
    else:  # too wide even on a landscape page in 10 pt: Word wraps the cells
        widths = [n[0] * avail // low for n in needs]
    return landscape, size, widths, [n[2] for n in needs]


def _set(parent, tag: str, **attrs):
    """A child element `tag` of `parent` (made if missing) with the w: attributes `attrs`."""
    child = parent.find(qn(tag))
    if child is None:
        child = OxmlElement(tag)
        parent.append(child)
    for key, value in attrs.items():
        child.set(qn(f"w:{key}"), str(value))
    return child


def _insert_before(parent, child, successors: tuple[str, ...]) -> None:
    """Insert `child` into `parent` before the first of `successors` (the schema's order), else last."""
    for tag in successors:
        found = parent.find(qn(tag))
        if found is not None:
            found.addprevious(child)
            return
    parent.append(child)


def _borders(tag: str, **sides) -> OxmlElement:
    """``<w:tblBorders>`` or ``<w:tcBorders>`` with one element per side (``None``: no line)."""
    element = OxmlElement(tag)
    for side, rule in sides.items():
        border = OxmlElement(f"w:{side}")
        for key, value in (rule or {"val": "nil"}).items():
            border.set(qn(f"w:{key}"), value)
        element.append(border)
    return element


def _apa_rules(tbl, header_cells) -> None:
    """APA 7 rules: above the header, under it and under the last row; nothing else."""
    tbl_pr = tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblBorders")):
        tbl_pr.remove(old)
    _insert_before(tbl_pr, _borders("w:tblBorders", top=RULE, left=None, bottom=RULE, right=None, insideH=None,
                                    insideV=None),
                   ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription"))
    for cell in header_cells:
        tc_pr = cell._tc.get_or_add_tcPr()
        for old in tc_pr.findall(qn("w:tcBorders")):
            tc_pr.remove(old)
        _insert_before(tc_pr, _borders("w:tcBorders", bottom=RULE),
                       ("w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark"))


def _fill(paragraph, runs, *, size: float | None = None, italic: bool = False) -> None:
    """Add `runs` (text, formats) to `paragraph`: italics, bold, sub- and superscripts, line breaks."""
    for text, fmt in runs:
        if text == "\n":
            paragraph.add_run().add_break()
            continue
        run = paragraph.add_run(text)
        if italic or "i" in fmt:
            run.italic = True
        if "b" in fmt:
            run.bold = True
        if "sub" in fmt:
            run.font.subscript = True
        if "sup" in fmt:
            run.font.superscript = True
        if size is not None:
            run.font.size = Pt(size)


def _single(paragraph, *, before: int = 0, after: int = 0, align=None) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing, fmt.space_before, fmt.space_after = 1.0, Pt(before), Pt(after)
    if align is not None:
        paragraph.alignment = align


def _table(doc, table, size: float, widths: list[int], widest: list[int]) -> None:
    small = None if size == 12 else size
    ncols = len(table.header)
    grid = doc.add_table(rows=1 + len(table.rows), cols=ncols)
    tbl = grid._tbl
    tbl_pr = tbl.tblPr
    _set(tbl_pr, "w:tblW", w=sum(widths), type="dxa")
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    _insert_before(tbl_pr, layout, ("w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription"))
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        _set(margins, f"w:{side}", w=CELL_MARGIN, type="dxa")
    _insert_before(tbl_pr, margins, ("w:tblLook", "w:tblCaption", "w:tblDescription"))
    for col, width in zip(tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(width))
    kinds = [next((row[j].kind for row in table.rows if j < len(row) and row[j].text), table.header[j].kind)
             for j in range(ncols)]  # fmt: skip
    for i, row in enumerate(grid.rows):
        tr_pr = row._tr.get_or_add_trPr()
        _set(tr_pr, "w:cantSplit")
        if i == 0:
            _set(tr_pr, "w:tblHeader")  # repeated at the top of each page
        cells = table.header if i == 0 else table.rows[i - 1]
        for j, cell in enumerate(row.cells):
            cell.width = Twips(widths[j])
            paragraph = cell.paragraphs[0]
            last = i == len(table.rows)
            _single(paragraph, before=3 if i <= 1 else 1, after=3 if i == 0 or last else 1)
            if j >= len(cells):
                continue
            source = cells[j]
            if i == 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if kinds[j] == "num" else WD_ALIGN_PARAGRAPH.LEFT
            elif kinds[j] == "num" and source.kind == "num":
                # numbers flush right in a block centred in the column: decimal points line up
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                indent = max(0, (widths[j] - 2 * CELL_MARGIN - widest[j]) // 2)
                paragraph.paragraph_format.right_indent = Twips(indent)
            else:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
            _fill(paragraph, source.runs, size=small)
            if i < len(table.rows):
                paragraph.paragraph_format.keep_with_next = True  # the table stays with its caption
    _apa_rules(tbl, grid.rows[0].cells)


def _page(section, landscape: bool) -> None:
    width, height = (PAGE[1], PAGE[0]) if landscape else PAGE
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Twips(width), Twips(height)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Twips(MARGIN)


def _base_style(doc) -> None:
    """Normal text: Times New Roman 12 pt, double-spaced (APA 7 manuscript), no space between paragraphs."""
    style = doc.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(12)
    fonts = _set(style.element.get_or_add_rPr(), "w:rFonts")
    for key in ("ascii", "hAnsi", "cs", "eastAsia"):
        fonts.set(qn(f"w:{key}"), FONT)
    fmt = style.paragraph_format
    fmt.line_spacing, fmt.space_before, fmt.space_after = 2.0, Pt(0), Pt(0)


def apa_document(tables, *, title: str, created: datetime) -> bytes:
    """The Word document (bytes of a .docx) holding `tables` (ApaTable), one per page, APA 7 style.

    `title` and `created` are the document's properties (no other date or name is stored).
    """
    doc = Document()
    _base_style(doc)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by, props.comments = title, "ConnectionLab", "ConnectionLab", ""
    props.created = props.modified = created.replace(tzinfo=None)
    props.revision = 1
    for k, table in enumerate(tables):
        landscape, size, widths, widest = _layout(table) if table.header else (False, 12, [], [])
        if k:
            doc.add_section(WD_SECTION.NEW_PAGE)  # each table on a page (section) of its own
        _page(doc.sections[-1], landscape)
        if table.label:
            doc.add_paragraph().add_run(table.label).bold = True
        title_line = doc.add_paragraph()
        title_line.add_run(table.title).italic = True
        for paragraph in doc.paragraphs[-2 if table.label else -1:]:
            paragraph.paragraph_format.keep_with_next = True
        if table.header:
            _table(doc, table, size, widths, widest)
        if table.text:
            _fill(doc.add_paragraph(), table.text)
        if table.note:
            note = doc.add_paragraph()
            _fill(note, [("Note.", frozenset({"i"})), (" ", frozenset()), *table.note],
                  size=None if size == 12 else size)  # fmt: skip
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
