"""Read survey files as exported by Qualtrics, SPSS, Stata, Excel or by hand: detect, don't guess.

`read_table` detects the format from the file's bytes (not only its name), the text encoding,
the field separator and the decimal mark, and says what it used (`FormatInfo.detail`). Values
are returned as read (text for CSV and Excel, numbers for SPSS/Stata); typing and checking
against the codebook happen in `analysis.data.validate`.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import stat
from array import array
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.exceptions import DataError

__all__ = ["FormatInfo", "RawTable", "read_table", "iter_table"]

KINDS = ("csv", "qualtrics", "xlsx", "sav", "dta")
SEPARATORS = (",", ";", "\t", "|")
QUALTRICS_METADATA = (
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
    "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
    "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage",
)  # fmt: skip
_SEP_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass(frozen=True)
class FormatInfo:
    """How a file was read: its kind and, for text files, encoding, separator and decimal mark.

    Parameters
    ----------
    kind : {"csv", "qualtrics", "xlsx", "sav", "dta"}
        File kind, detected from the file's bytes (or set by the codebook's ``format: kind``).
    encoding : str, optional
        Text encoding used (``"utf-8"``, ``"utf-8-sig"``, ``"utf-16"``, ``"cp1252"``, ...);
        None for binary files.
    sep : str, optional
        Field separator of a text file: ``","``, ``";"``, tab or ``"|"``.
    decimal : str, optional
        Decimal mark of a text file: ``"."`` or ``","``.
    sheet : str or int, optional
        Excel sheet read (name or position from 0).
    header_rows : int, default 1
        Rows above the data: 1 for CSV, 3 for a Qualtrics export, 0 for SPSS/Stata (no header
        line).

    See Also
    --------
    read_table : Returns it as ``RawTable.format``.

    Examples
    --------
    >>> from analysis.data.readers import FormatInfo
    >>> FormatInfo("csv", encoding="utf-8", sep=";", decimal=",").detail
    'CSV, utf-8, semicolon-separated, decimal comma'
    """

    kind: str
    encoding: str | None = None
    sep: str | None = None
    decimal: str | None = None
    sheet: str | int | None = None
    header_rows: int = 1

    @property
    def detail(self) -> str:
        """The format in words, for reports (``"CSV, utf-8, comma-separated, decimal point"``)."""
        if self.kind in ("csv", "qualtrics"):
            text = (f"{'Qualtrics export' if self.kind == 'qualtrics' else 'CSV'}, {self.encoding}, "
                    f"{_SEP_NAMES.get(self.sep, repr(self.sep))}-separated, decimal "
                    f"{'comma' if self.decimal == ',' else 'point'}")  # fmt: skip
            return text + (f", {self.header_rows} header rows" if self.header_rows > 1 else "")
        if self.kind == "xlsx":
            return f"Excel workbook, sheet {self.sheet!r}"
        return {"sav": "SPSS .sav", "dta": "Stata .dta"}[self.kind]


@dataclass(frozen=True)
class RawTable:
    """A file as read: values, variable labels, value labels, declared missing values.

    Parameters
    ----------
    path : Path
        The file read.
    frame : pandas.DataFrame
        Values as read, one row per data row (index from 0): text for CSV and Excel (numbers
        where a whole CSV column is numeric), numbers for SPSS/Stata.
    format : FormatInfo
        How the file was read.
    labels : dict of str to str, optional
        Variable labels by column (Qualtrics question text, SPSS/Stata variable labels).
    value_labels : dict of str to dict, optional
        Value labels by column (SPSS/Stata): ``{column: {code: label}}``.
    user_missing : dict of str to list, optional
        Declared missing values by column (SPSS/Stata): codes, and ``{"range": [lo, hi]}`` for
        missing ranges.
    lines : tuple of int, optional
        File line (spreadsheet row) where each data row starts; None: one line per row after
        the header rows.
    first_row : int, default 1
        Data row number (from 1) of the first row of `frame`: 1 for a whole file, more for a
        later chunk (`iter_table`).
    cells : callable, optional
        ``cells(column, rows)``: the text of a column's cells in data rows `rows` (from 1), as
        written in the file (None when empty); set when `iter_table` parsed columns as numbers,
        so a message can show a value as the file holds it.

    See Also
    --------
    read_table : Makes it.
    analysis.data.validate.check_table : Types and checks it against a codebook.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import read_table
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "survey.csv"
    ...     _ = path.write_text("id,sat\\n1,4\\n2,5\\n", encoding="utf-8")
    ...     raw = read_table(path)
    >>> raw.frame.shape, raw.line(1)
    ((2, 2), 2)
    """

    path: Path
    frame: pd.DataFrame
    format: FormatInfo
    labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict] = field(default_factory=dict)
    user_missing: dict[str, list] = field(default_factory=dict)
    lines: tuple[int, ...] | None = None
    first_row: int = 1
    cells: Callable[[str, Sequence[int]], list[str | None]] | None = field(default=None, repr=False, compare=False)

    def line(self, row: int) -> int:
        """File line (spreadsheet row, case number) where data row `row` (from 1) starts.

        Parameters
        ----------
        row : int
            Data row number, from 1.

        Returns
        -------
        int
            The line in the file (for messages that point the user to the cell).
        """
        if self.lines is not None:
            return self.lines[row - self.first_row]
        return row + self.format.header_rows


def _sniff_kind(path: Path, head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith((b"$FL2", b"$FL3")):
        return "sav"
    if head.startswith(b"<stata_dta>") or (len(head) > 1 and head[0] in range(0x66, 0x73) and head[1] in (1, 2)):
        return "dta"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(f"{path} is an old binary Excel (.xls) or OLE file; save it as .xlsx or CSV and retry.")
    return "csv"


CHUNK_ROWS = 10_000  #: data rows per chunk when a text file is read in chunks (`iter_table`)
CHUNK_CELLS = 4_000_000  #: cells per chunk for ``iter_table(chunk_rows=None)`` (at least `CHUNK_ROWS` rows)
_BLOCK = 1 << 20


def _shown(path: Path, limit: int = 200) -> str:
    """A path for a message: a very long one (a hostile codebook's) is shortened in the middle."""
    text = str(path)
    return text if len(text) <= limit else f"{text[:limit // 2]}...{text[-limit // 2:]}"


def _regular_file(path: Path) -> int:
    """The size of `path`, which must be an existing regular file (not a folder, device or pipe)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise DataError(f"{path} does not exist.") from None
    except OSError as exc:
        raise DataError(f"Cannot open {_shown(path)}: {exc.strerror or exc}.") from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(f"{path} is a folder, not a data file.")
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"{path} is not a regular file (a device, pipe or socket): export the data to a file.")
    return info.st_size


def _open_binary(path: Path):
    try:
        return open(path, "rb")
    except OSError as exc:
        raise DataError(f"Cannot open {_shown(path)}: {exc.strerror or exc}.") from None


def _encoding(path: Path, head: bytes, given: str | None) -> tuple[str, bool]:
    """(encoding, whether it was detected without a byte-order mark and may fall back to cp1252)."""
    if given:
        try:
            codecs.lookup(given)
        except LookupError:
            raise DataError(f"{path}: the codebook's format encoding {given!r} is not a known text encoding "
                            "(e.g. utf-8, cp1252, latin-1, utf-16).") from None  # fmt: skip
        return given, False
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", False
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", False
    sample = head[:4000]
    if b"\x00" in sample:
        odd_zeros = sample[1::2].count(0) / max(len(sample) // 2, 1)
        if odd_zeros > 0.6:
            return "utf-16-le", False
        raise DataError(f"{path} is a binary file, not text (it contains NUL bytes). Export the data as "
                        "CSV, XLSX, SPSS .sav or Stata .dta.")  # fmt: skip
    return "utf-8", True


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int, bytes, str] | None:
    """(byte offset, line, bytes, reason) of the first bytes `encoding` cannot decode, or None.

    One streaming pass in 1 MiB blocks: memory does not grow with the file."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, lines = 0, 1
    with _open_binary(path) as fh:
        while True:
            block = fh.read(_BLOCK)
            try:
                decoder.decode(block, final=not block)
            except UnicodeError as exc:
                if not isinstance(exc, UnicodeDecodeError):  # e.g. UTF-16 without its byte-order mark
                    return 0, 1, b"", str(exc)
                pending = len(exc.object) - len(block)  # bytes the decoder held back from the last block
                at = max(offset - pending + exc.start, 0)
                line = lines + exc.object[:exc.start].count(b"\n")
                return at, line, exc.object[exc.start:exc.end], exc.reason
            if not block:
                return None
            offset += len(block)
            lines += block.count(b"\n")


def _all_ascii(path: Path) -> bool:
    """Whether every byte of the file is ASCII (which every ASCII-compatible encoding decodes)."""
    with _open_binary(path) as fh:
        while block := fh.read(_SCAN_BLOCK):
            if not block.isascii():
                return False
    return True


def _decodable_encoding(path: Path, encoding: str, may_fall_back: bool, given: bool) -> str:
    """`encoding` if the whole file decodes with it; detected UTF-8 falls back to cp1252, then Latin-1."""
    if codecs.lookup(encoding).name in ("utf-8", "cp1252", "iso8859-1", "ascii") and _all_ascii(path):
        return encoding  # the common case, checked ten times faster than by decoding
    bad = _first_undecodable(path, encoding)
    if bad is None:
        return encoding
    if may_fall_back:
        return "cp1252" if _first_undecodable(path, "cp1252") is None else "latin-1"
    at, line, raw, reason = bad
    truncated = "truncated" in reason or "end of data" in reason
    what = "the file ends in the middle of a character (it is truncated)" if truncated else \
        f"bytes {raw!r} at line {line} (byte {at}) are not {encoding}" if raw else reason  # fmt: skip
    if not given:
        raise DataError(f"{path} cannot be decoded as {encoding}, which its byte-order mark announces: {what}. "
                        "Export it again, or save it as UTF-8.")  # fmt: skip
    raise DataError(f"{path} cannot be decoded as {encoding}: {what}. Remove `encoding` from the codebook's format "
                    "to let it be detected, or save the file as UTF-8.")  # fmt: skip


def _sniff_sep(lines: list[str]) -> str:
    lines = [ln for ln in lines[:30] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for sep in SEPARATORS:
        counts = [len(next(csv.reader([ln], delimiter=sep))) for ln in lines]
        if counts[0] < 2:
            continue
        agree = sum(c == counts[0] for c in counts) / len(counts)
        score = agree * 1000 + counts[0]
        if score > best_score:
            best, best_score = sep, score
    return best


_COMMA_NUMBER = re.compile(r"^-?\d+,\d+$")
_POINT_NUMBER = re.compile(r"^-?\d+\.\d+$")


def _sniff_decimal(frame: pd.DataFrame, sep: str) -> str:
    if sep == ",":
        return "."
    sample = frame.head(200).stack()
    text = sample[sample.map(lambda v: isinstance(v, str))].astype(str)
    commas = text.str.match(_COMMA_NUMBER).sum()
    points = text.str.match(_POINT_NUMBER).sum()
    return "," if commas > points else "."


@dataclass(frozen=True)
class _TextLayout:
    """What the scan of a text file found: everything needed to parse it in chunks."""

    encoding: str
    sep: str
    decimal: str
    kind: str
    header: list[str]
    trailing: bool  # every line ends with a separator: an empty last column to drop
    skip: list[int]  # file rows pandas skips (Excel's sep= line, Qualtrics' 2 extra header rows)
    starts: array | range  # file line where each data record starts (a range for a plain file)
    labels: dict
    plain_numbers: Callable[[], bool] = bool  # () -> whether a plain file holds no exponent and no run of 300 zeros
    offsets: np.ndarray | None = None  # a plain file (`_fast_scan`): byte offset of each record; record k is line k + 1


def _scan_text(path: Path, fmt: dict) -> _TextLayout:
    """One streaming pass with the csv module: encoding, separator, header, the line where each record
    starts, rows whose field count differs from the header's, and the first 200 records."""
    with _open_binary(path) as fh:
        head = fh.read(65536)
    encoding, may_fall_back = _encoding(path, head, fmt.get("encoding"))
    encoding = _decodable_encoding(path, encoding, may_fall_back, bool(fmt.get("encoding")))
    sep = fmt.get("sep")
    limit = csv.field_size_limit()
    csv.field_size_limit(1 << 30)  # long free-text answers are data, not an error
    try:
        with open(path, encoding=encoding, newline="") as text:
            first = text.readline()
            hint = first.strip().lower().startswith("sep=") and len(first.strip()) == 5  # Excel's hint line
            if hint:
                sep = sep or first.strip()[4]
            else:
                text.seek(0)
            if sep is None:
                sample_lines = text.read(65536).splitlines()
                sep = _sniff_sep(sample_lines)
                text.seek(0)
                if hint:
                    text.readline()
            fast = None if hint else _fast_scan(path, encoding, sep)
            if fast is None:
                header, starts, ragged, sample = _scan(path, text, sep, int(hint))
            else:
                header, starts, ragged, sample = _scan(path, iter(_head_lines(text, 202)), sep, 0)
                starts = range(2, 2 + len(fast))  # record k on line k + 1
    finally:
        csv.field_size_limit(limit)
    if header is None:
        raise DataError(f"{path} is empty: there is no header row and no data.")
    trailing = len(header) > 1 and not header[-1] and all(len(r) == len(header) and not r[-1] for r in sample[1:])
    _check_header(path, header[:-1] if trailing else header)
    if ragged:
        shown = "; ".join(f"line {line}: {n} fields" for line, n in ragged[:10])
        more = f" (and {len(ragged) - 10} more)" if len(ragged) > 10 else ""
        raise DataError(
            f"{path}: {len(ragged)} row(s) do not have the {len(header)} fields of the header ({shown}{more}). "
            "A separator inside an unquoted value or a truncated export is the usual cause."
        )
    if not starts:
        raise DataError(f"{path} has a header row but no data rows.")

    def frame_sample():  # the first records as a frame (built only when needed)
        return pd.DataFrame(sample[1:], columns=header, dtype=object).replace("", None)

    kind, labels, skip = "csv", {}, [0] if hint else []
    second = sample[2][0] if len(sample) >= 3 and sample[2] else ""  # frame_sample().iloc[1, 0]
    if len(sample) >= 3 and str(second if second != "" else None).lstrip().startswith('{"ImportId"'):
        kind = "qualtrics"
        skip += [1 + int(hint), 2 + int(hint)]
        labels = {c: str(v) for c, v in zip(header, frame_sample().iloc[0], strict=True) if c}
        starts = starts[2:]
        if not starts:
            raise DataError(f"{path} is a Qualtrics export with no responses (only its 3 header rows).")
    decimal = fmt.get("decimal") or ("." if sep == "," else  # (what `_sniff_decimal` says for a comma)
                                     _sniff_decimal(frame_sample().iloc[2 if kind == "qualtrics" else 0:], sep))
    if trailing:
        header = header[:-1]
    return _TextLayout(encoding, sep, decimal, kind, header, trailing, skip, starts, labels,
                       plain_numbers=_PlainNumbers(path if fast is not None else None),
                       offsets=None if fast is None or kind != "csv" else fast)  # fmt: skip


_ASCII_SUPERSETS = ("utf-8", "utf-8-sig", "cp1252", "latin-1")  # a separator, quote or newline is one byte
_SCAN_BLOCK = 1 << 22
_DIGIT_OR_POINT = np.zeros(256, dtype=bool)
_DIGIT_OR_POINT[list(b"0123456789.")] = True


def _may_overflow(arr: np.ndarray, data: bytes) -> bool:
    """Whether the bytes may hold a number whose float over- or underflows: an exponent (a digit
    or point, then ``e`` or ``E``) or a run of 300 zeros."""
    marks = np.flatnonzero((arr == ord("e")) | (arr == ord("E")))
    marks = marks[marks > 0]
    return b"0" * 300 in data or bool(_DIGIT_OR_POINT[arr[marks - 1]].any())


def _head_lines(text, n: int) -> list[str]:
    """The first `n` lines of an open text file (fewer at its end)."""
    out = []
    for line in text:
        out.append(line)
        if len(out) == n:
            break
    return out


def _line_blocks(path: Path) -> Iterator[bytes]:
    """The file's bytes in blocks of whole lines (a last line without a line end is given one)."""
    rest = b""
    with _open_binary(path) as fh:
        while True:
            block = fh.read(_SCAN_BLOCK)
            data = rest + block
            if not block:
                if not data:
                    return
                data += b"\n"
            cut = data.rfind(b"\n") + 1
            data, rest = data[:cut], data[cut:]
            if data:
                yield data
            if not block:
                return


def _fast_scan(path: Path, encoding: str, sep: str) -> np.ndarray | None:
    """The byte offset where each record's line starts for a plain file, else None.

    A plain file is the common export: no quote character, every line (after the header) holds as
    many separators as the header, ``\n`` or ``\r\n`` line ends, no blank line. Then each line is one
    record, starting at line 2, and no row is ragged: what `_scan` finds with the csv module, found
    with a count of bytes per block. Anything else (quotes, blank or ragged lines, another encoding)
    returns None and `_scan` reads the file record by record."""
    if encoding.lower().replace("_", "-") not in _ASCII_SUPERSETS or len(sep) != 1 or ord(sep) > 127:
        return None
    sep_byte, offsets, width, base = ord(sep), [], None, 0
    for data in _line_blocks(path):
        if b'"' in data or b"\x00" in data or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")):
            return None
        arr = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(arr == 10)  # every line ends with a newline
        starts = np.concatenate(([0], ends[:-1] + 1))
        seps = np.flatnonzero(arr == sep_byte)
        if width is None:  # the header line
            width = int(np.searchsorted(seps, ends[0]))
            if width < 1:
                return None
        # every line holds `width` separators iff there are lines x width of them and the k-th
        # `width` of them (in file order) lie within line k
        if len(seps) != len(ends) * width:
            return None  # a ragged or blank line: let `_scan` name it
        rows = seps.reshape(len(ends), width)
        if not ((rows[:, 0] >= starts).all() and (rows[:, -1] < ends).all()):
            return None
        offsets.append((starts[1:] if base == 0 else starts) + base)
        base += len(data)
    return np.concatenate(offsets) if offsets else np.zeros(0, dtype=np.int64)


class _PlainNumbers:
    """Whether a plain file holds no number that may over- or underflow a float (no exponent, no
    run of 300 zeros): found when first asked (only a float column needs it), then kept."""

    def __init__(self, path: Path | None):
        self.path, self.value = path, None if path is not None else False

    def __call__(self) -> bool:
        if self.value is None:
            self.value = not any(_may_overflow(np.frombuffer(data, dtype=np.uint8), data)
                                 for data in _line_blocks(self.path))  # fmt: skip
        return self.value


class _Lines:
    """The lines of a text file, remembering the last one read (to tell a blank line from a record)."""

    def __init__(self, text):
        self.text, self.last = text, ""

    def __iter__(self):
        return self

    def __next__(self) -> str:
        self.last = next(self.text)
        return self.last


def _scan(path: Path, text, sep: str, skipped: int):
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=sep, strict=True)
    header, starts, ragged, sample = None, array("q"), [], []
    previous_end = 0
    try:
        for row in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if start == previous_end and not lines.last.strip(" \t\r\n"):
                continue  # a blank line (spaces and tabs only), as pandas skips it; a quoted "" is a record
            if header is None:
                header = [h.strip() for h in row]
                sample.append(header)
                continue
            starts.append(start + skipped)
            if len(row) != len(header):
                ragged.append((start + skipped, len(row)))
            if len(sample) < 201:
                sample.append(row)
    except csv.Error as exc:
        where = f"line {previous_end + 1 + skipped}"
        raise DataError(f"{path} is not a well-formed {_SEP_NAMES.get(sep, sep)}-separated file at {where}: "
                        f"{exc}. An unclosed quote is the usual cause.") from None  # fmt: skip
    return header, starts, ragged, sample


def _text_chunks(path: Path, fmt: dict, chunk_rows: int | None, numeric=()) -> Iterator[RawTable]:
    layout = _scan_text(path, fmt)
    if chunk_rows is None:
        chunk_rows = max(CHUNK_ROWS, CHUNK_CELLS // max(len(layout.header), 1))
    info = FormatInfo(layout.kind, layout.encoding, layout.sep, layout.decimal,
                      header_rows=3 if layout.kind == "qualtrics" else 1)  # fmt: skip
    names = layout.header + ([""] if layout.trailing else [])
    wanted = set(numeric) if layout.offsets is not None else set()  # numbers only where cells can be read back
    numbers = [c for c in layout.header if c in wanted]
    options = dict(sep=layout.sep, encoding=layout.encoding, header=0, names=names, skiprows=layout.skip or None,
                   keep_default_na=False, na_values=[""], skip_blank_lines=True, engine="c", chunksize=chunk_rows,
                   decimal=layout.decimal or ".")  # fmt: skip
    try:
        reader = pd.read_csv(path, dtype={c: str for c in names if c not in wanted} if numbers else str,
                             **options)  # fmt: skip
        done = 0
        with reader:
            for i, chunk in enumerate(reader):
                if layout.trailing:
                    chunk = chunk.iloc[:, :-1]
                if numbers:
                    chunk = _as_read(chunk, numbers, layout.plain_numbers, path, options, i)
                else:
                    chunk = chunk.astype(object).where(chunk.notna(), None)
                if fmt.get("escaped_formulas"):
                    chunk = _unescape_formulas(chunk)
                n = len(chunk)
                if done + n > len(layout.starts):
                    break
                chunk.index = pd.RangeIndex(done, done + n)
                lines = None if layout.offsets is not None else tuple(layout.starts[done:done + n])
                cells = _PlainCells(path, layout) if numbers else None
                yield RawTable(path, chunk, info, labels=layout.labels, lines=lines, first_row=done + 1, cells=cells)
                done += n
    except MemoryError:
        raise DataError(f"Not enough memory to read {path} ({path.stat().st_size / 1e6:,.0f} MB) in chunks of "
                        f"{chunk_rows:,} rows; close other programs or read it on a larger machine.") from None
    except (pd.errors.ParserError, ValueError) as exc:
        message = str(exc).splitlines()[0]
        if "out of memory" in message:
            raise DataError(f"Not enough memory to parse {path}; close other programs or read it on a larger "
                            "machine.") from None  # fmt: skip
        raise DataError(f"{path} could not be parsed ({message}). An unclosed quote is the usual cause: check the "
                        "line it names.") from None  # fmt: skip
    if done != len(layout.starts):
        raise DataError(f"{path}: {len(layout.starts)} records found but {done} parsed; check for an unclosed "
                        "quote.")  # fmt: skip


EXACT_FLOAT = 2.0**53  #: above this a float no longer holds every whole number


class _PlainCells:
    """The text of cells of a plain file (`_fast_scan`) as written, read back by the byte offset of
    their line: how a value read as a number was written (``RawTable.cells``)."""

    def __init__(self, path: Path, layout: _TextLayout):
        self.path, self.layout = path, layout

    def __call__(self, column: str, rows) -> list[str | None]:
        """The text of `column` in data rows `rows` (numbers from 1)."""
        j = self.layout.header.index(column)
        out = []
        with _open_binary(self.path) as fh:
            for row in rows:
                fh.seek(int(self.layout.offsets[int(row) - 1]))
                fields = fh.readline().decode(self.layout.encoding).rstrip("\r\n").split(self.layout.sep)
                out.append(fields[j] if fields[j] != "" else None)
        return out


def _as_read(chunk: pd.DataFrame, numbers: list[str], plain: Callable[[], bool], path: Path, options: dict,
             index: int):
    """A chunk read with `numbers` parsed by pandas: text columns as text (None when empty), each
    number column as parsed (int64 or float64, NaN when empty) when its numbers are exactly those of
    its text, else as text (read again: text in the column, or a float that may have lost digits,
    overflowed to infinity or underflowed to 0)."""
    wanted = set(numbers)
    text, again = {}, []  # columns to replace by their text (object, None when empty)
    for c in chunk.columns:
        values = chunk[c]
        if c not in wanted:
            text[c] = values
            continue
        kind = values.dtype.kind
        if kind == "f":
            x = values.to_numpy()
            big = np.fmax.reduce(np.abs(x), initial=0.0) if len(x) else 0.0
            if not (big < EXACT_FLOAT) or ((x == 0).any() and not plain()):
                again.append(c)  # inf, digits beyond 2**53, or a 0 that may be an underflow
        elif kind in "iu":
            continue
        elif isinstance(values.dtype, pd.StringDtype) or (kind == "O" and all(
                v is None or isinstance(v, str) or v != v for v in values)):  # fmt: skip
            text[c] = values  # text as read
        else:
            again.append(c)  # booleans, or integers beyond 64 bits: read their text
    if again:
        reread = _chunk_text(path, options, again, index)
        text |= {c: reread[c] for c in again}
    if not text:
        return chunk
    out = chunk.copy(deep=False)  # the number columns as parsed; the text ones replaced below
    for c, values in text.items():
        out[c] = pd.Series(values.to_numpy(dtype=object, na_value=None), index=chunk.index, dtype=object)
    return out


def _chunk_text(path: Path, options: dict, columns: list[str], index: int) -> pd.DataFrame:
    """Chunk `index` of `columns` read as text (the same options, so the same rows)."""
    with pd.read_csv(path, dtype=str, **{**options, "usecols": columns}) as reader:
        for i, chunk in enumerate(reader):
            if i == index:
                return chunk
    raise DataError(f"{path} changed while it was read; read it again.")


def _unescape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo `analysis.data.privacy.neutralize_formulas` in a file we wrote: drop one leading ``'``."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype != object:
            continue  # numbers (`iter_table`'s `numeric`): a formula's text is never a number
        text = out[col].astype("string")
        escaped = text.str.startswith("'").fillna(False).to_numpy()
        if escaped.any():
            out.loc[escaped, col] = text[escaped].str.slice(1).astype(object)
    out.columns = [c[1:] if isinstance(c, str) and c.startswith("'") else c for c in out.columns]
    return out


def _check_header(path: Path, header: list[str]) -> None:
    blank = [i + 1 for i, h in enumerate(header) if not h]
    if blank:
        raise DataError(f"{path}: header column(s) {blank} have no name. Give every column a name.")
    seen: dict[str, int] = {}
    dupes = []
    for i, h in enumerate(header, start=1):
        if h in seen:
            dupes.append(f"{h!r} (columns {seen[h]} and {i})")
        seen.setdefault(h, i)
    if dupes:
        raise DataError(f"{path}: duplicate column names {', '.join(dupes)}. Rename them so each is unique.")


def _read_xlsx(path: Path, sheet) -> RawTable:
    try:
        frame = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, dtype=object, header=None,
                              engine="openpyxl")  # fmt: skip
    except (ValueError, KeyError) as exc:
        raise DataError(f"{path}: cannot read sheet {sheet!r}: {exc}") from None
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise DataError(f"{path} is not a readable Excel workbook ({type(exc).__name__}: {exc}).") from None
    frame = frame.dropna(how="all").dropna(axis=1, how="all")
    if frame.empty:
        raise DataError(f"{path}: sheet {sheet if sheet is not None else 0!r} is empty.")
    header = ["" if pd.isna(h) else str(h).strip() for h in frame.iloc[0]]
    _check_header(path, header)
    excel_rows = tuple(int(i) + 1 for i in frame.index[1:])  # spreadsheet row numbers
    body = frame.iloc[1:].reset_index(drop=True)
    body.columns = header
    body = body.map(lambda v: None if (v is None or (isinstance(v, float) and pd.isna(v))) else v)
    if body.empty:
        raise DataError(f"{path} has a header row but no data rows.")
    return RawTable(path, body, FormatInfo("xlsx", sheet=0 if sheet is None else sheet), lines=excel_rows)


def _read_stat(path: Path, kind: str) -> RawTable:
    import pyreadstat

    reader = pyreadstat.read_sav if kind == "sav" else pyreadstat.read_dta
    try:
        frame, meta = reader(str(path), user_missing=True)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise DataError(f"{path} cannot be read as {FormatInfo(kind).detail} ({exc}); the file may be "
                        "truncated or damaged. Export it again.") from None  # fmt: skip
    if frame.empty:
        raise DataError(f"{path} holds no cases.")
    missing = {}
    for col, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        codes = []
        for r in ranges:
            codes.append(r["lo"] if r["lo"] == r["hi"] else {"range": [r["lo"], r["hi"]]})
        missing[col] = codes
    for col, values in (getattr(meta, "missing_user_values", None) or {}).items():
        missing.setdefault(col, []).extend(values)
    labels = {k: v for k, v in (meta.column_names_to_labels or {}).items() if v}
    return RawTable(path, frame, FormatInfo(kind, header_rows=0), labels=labels,
                    value_labels=dict(meta.variable_value_labels or {}), user_missing=missing)  # fmt: skip


def read_table(path: str | Path, *, format: dict | None = None) -> RawTable:
    """Read one data file, detecting its format, encoding, separator and decimal mark.

    Parameters
    ----------
    path : str or Path
        CSV/TSV/TXT (UTF-8 with or without BOM, UTF-16, cp1252/Latin-1; comma, semicolon, tab or
        pipe separated; decimal point or comma), Qualtrics CSV export (3 header rows), XLSX,
        SPSS ``.sav`` or Stata ``.dta``.
    format : dict, optional
        The codebook's ``format:`` entry: ``kind``, ``encoding``, ``sep``, ``decimal``, ``sheet``,
        ``escaped_formulas``. ``encoding``, ``sep``, ``decimal`` and ``sheet`` are used instead
        of detected; ``kind`` is only checked to be a known kind (the kind always comes from the
        file's bytes); ``escaped_formulas: true`` (written by `write_processed`) drops the
        leading ``'`` that `analysis.data.privacy.neutralize_formulas` added.

    Returns
    -------
    RawTable
        ``frame`` (values as read: text for CSV, so that ids and large integers keep every
        digit; cells and numbers for Excel; numbers for SPSS/Stata), ``labels``
        (Qualtrics question text, SPSS/Stata variable labels), ``value_labels``,
        ``user_missing`` (declared missing values), ``format`` (the `FormatInfo` used) and
        ``lines`` (the file line of each data row, for messages).

    Raises
    ------
    DataError
        For a missing, empty, binary, ragged or damaged file, a folder, device or pipe, bytes
        that are not in the file's encoding, an old binary ``.xls``, duplicate
        or blank column names, a Qualtrics export without responses, or a file whose content
        does not match its name; the message says what to do.

    See Also
    --------
    load_dataset : Reads every table of a codebook with this, then types and checks it.
    draft_codebook : Drafts a codebook from a file read with this.

    Notes
    -----
    Detection, in order: the kind from the first bytes (ZIP: XLSX; ``$FL2``: SPSS; Stata's
    header; an OLE file is an old ``.xls`` and refused); the encoding from a byte-order mark,
    else UTF-8, else cp1252, else Latin-1; the separator (comma, semicolon, tab, pipe) whose
    field count (at least two) is the same on most of the first 30 lines; the decimal mark from
    the numbers of the first 200 rows (comma only when a non-comma separator is used and comma
    decimals outnumber point decimals). A first line ``sep=;`` (Excel's hint) sets the separator. A Qualtrics export is
    recognised by its ``{"ImportId": ...}`` third row; its question texts become ``labels``.
    Empty cells are missing; no other value (``NA``, ``-99``) is treated as missing here: that is
    the codebook's job (``missing_codes``, ``na_values``).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import read_table
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "survey.csv"
    ...     _ = path.write_text("id;sat\\n1;4,5\\n2;3,0\\n", encoding="utf-8")
    ...     raw = read_table(path)
    >>> raw.format.detail
    'CSV, utf-8, semicolon-separated, decimal comma'
    >>> raw.frame["sat"].tolist()  # values as read; typing is the codebook's job
    ['4,5', '3,0']
    """
    chunks = list(iter_table(path, format=format))
    if len(chunks) == 1:
        return chunks[0]
    lines = None if chunks[0].lines is None else tuple(line for chunk in chunks for line in chunk.lines)
    return replace(chunks[0], frame=pd.concat([c.frame for c in chunks]), lines=lines)


def iter_table(path: str | Path, *, format: dict | None = None, chunk_rows: int | None = CHUNK_ROWS,
               numeric: Collection[str] = ()) -> Iterator[RawTable]:  # fmt: skip
    """Read one data file in chunks of rows: what `read_table` does, with memory bounded by the chunk.

    Parameters
    ----------
    path : str or Path
        The data file (any kind `read_table` reads).
    format : dict, optional
        The codebook's ``format:`` entry (see `read_table`).
    chunk_rows : int or None, default 10,000
        Data rows per chunk of a text file; None: as many rows as hold about 4,000,000 cells
        (`CHUNK_CELLS`), at least 10,000 (fewer chunks, faster, more memory: what `load_dataset`
        uses when it keeps the rows). Excel, SPSS and Stata files come as one chunk.
    numeric : collection of str, default ()
        Columns of a text file to parse as numbers (``int64``, or ``float64`` with NaN for an
        empty cell) where pandas' C parser reads the whole column of a chunk as numbers and each
        number is exactly what its text says; a chunk's column holding text, or a float that may
        have lost digits (beyond 2**53), overflowed or underflowed, is returned as text. Other
        columns are text. `load_dataset` passes the codebook's number columns.

    Yields
    ------
    RawTable
        One chunk: ``frame`` (index from the chunk's first row, counted from 0),
        ``first_row`` (its first data row, from 1) and ``lines`` (the file line of each of its
        rows). Format, labels and value labels are those of the whole file. Values are text
        (None when empty) except the `numeric` columns parsed as numbers.

    Raises
    ------
    DataError
        As `read_table`; a text file is scanned whole (encoding, separator, ragged rows) before
        the first chunk is yielded, so a malformed file fails before any row is used.

    See Also
    --------
    read_table : The whole file at once.
    load_dataset : Checks a data set chunk by chunk with this.

    Notes
    -----
    A text file is read three times, each time streaming: its bytes are checked once for the
    encoding (decoded, unless every byte is ASCII and the encoding ASCII-compatible), the records
    and their lines are found, and pandas' C parser parses the chunks. The records of a plain file
    (no quote character, as many separators on every line as in the header, no blank line) are
    found by counting bytes, block by block; any other file is read record by record with the csv
    module, which finds quoted line breaks, blank and ragged lines. (A plain file is read a fourth
    time only when a column parsed as floats holds a 0: to tell whether a number may have
    underflowed.) Memory grows with the number of columns and the chunk size, not with the rows
    (the line of each record, 8 bytes per row, is kept).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.data.readers import iter_table
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "survey.csv"
    ...     _ = path.write_text("id,sat\\n1,4\\n2,5\\n3,6\\n", encoding="utf-8")
    ...     chunks = [(c.first_row, c.frame["id"].tolist()) for c in iter_table(path, chunk_rows=2)]
    >>> chunks
    [(1, ['1', '2']), (3, ['3'])]
    """
    path = Path(path)
    if chunk_rows is not None and (not isinstance(chunk_rows, int) or chunk_rows < 1):
        raise ValueError(f"chunk_rows must be a whole number >= 1 or None, not {chunk_rows!r}")
    fmt = dict(format or {})
    if _regular_file(path) == 0:
        raise DataError(f"{path} is empty (0 bytes).")
    with _open_binary(path) as fh:
        head = fh.read(16)
    kind = _sniff_kind(path, head)
    wanted = fmt.get("kind")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".sav", ".dta") and kind != suffix[1:]:
        content = FormatInfo(kind).detail if kind != "csv" else "text"
        raise DataError(f"{path} is named {suffix} but its content is {content}. "
                        "Rename it to match its content, or export it again.")  # fmt: skip
    if wanted and wanted not in KINDS:
        raise DataError(f"Codebook format kind {wanted!r} for {path} is not one of {', '.join(KINDS)}.")
    if kind == "xlsx":
        yield _read_xlsx(path, fmt.get("sheet"))
    elif kind in ("sav", "dta"):
        yield _read_stat(path, kind)
    else:
        yield from _text_chunks(path, fmt, chunk_rows, numeric)
