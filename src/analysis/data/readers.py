"""Read survey files as exported by Qualtrics, SPSS, Stata, Excel or by hand: detect, don't guess.

`read_table` detects the format from the file's bytes (not only its name), the text encoding,
the field separator and the decimal mark, and says what it used (`FormatInfo.detail`). Values
are returned as read (text for CSV and Excel, numbers for SPSS/Stata); typing and checking
against the codebook happen in `analysis.data.validate`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.exceptions import DataError

__all__ = ["FormatInfo", "RawTable", "read_table"]

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
            return self.lines[row - 1]
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


def _decode(path: Path, raw: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise DataError(f"{path} cannot be decoded as {encoding}: {exc}. Remove `encoding` from the "
                            "codebook's format to let it be detected.") from None  # fmt: skip
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    sample = raw[:4000]
    if b"\x00" in sample:
        odd_zeros = sample[1::2].count(0) / max(len(sample) // 2, 1)
        if odd_zeros > 0.6:
            return raw.decode("utf-16-le", errors="strict"), "utf-16-le"
        raise DataError(f"{path} is a binary file, not text (it contains NUL bytes). Export the data as "
                        "CSV, XLSX, SPSS .sav or Stata .dta.")  # fmt: skip
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _sniff_sep(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:30] if ln.strip()]
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


def _read_text(path: Path, raw: bytes, encoding: str | None, sep: str | None, decimal: str | None,
               text_columns: tuple[str, ...] = ()) -> RawTable:  # fmt: skip
    text, used = _decode(path, raw, encoding)
    if not text.strip():
        raise DataError(f"{path} is empty: there is no header row and no data.")
    if "\r" in text and "\n" not in text:  # old Mac line endings (Excel "CSV (Macintosh)")
        text = text.replace("\r", "\n")
    skipped_lines = 0
    first = text.split("\n", 1)[0].strip()
    if first.lower().startswith("sep=") and len(first) == 5:  # Excel's separator hint line
        sep = sep or first[4]
        text = text.split("\n", 1)[1] if "\n" in text else ""
        skipped_lines = 1
    limit = csv.field_size_limit()
    csv.field_size_limit(1 << 30)  # long free-text answers are data, not an error
    try:
        sep = sep or _sniff_sep(text)
        header, starts, ragged, sample = _scan(path, text, sep)
    finally:
        csv.field_size_limit(limit)
    trailing = not header[-1] and all(len(r) == len(header) and not r[-1] for r in sample[1:])
    _check_header(path, header[:-1] if trailing else header)
    if ragged:
        shown = "; ".join(f"line {line + skipped_lines}: {n} fields" for line, n in ragged[:10])
        more = f" (and {len(ragged) - 10} more)" if len(ragged) > 10 else ""
        raise DataError(
            f"{path}: {len(ragged)} row(s) do not have the {len(header)} fields of the header ({shown}{more}). "
            "A separator inside an unquoted value or a truncated export is the usual cause."
        )
    if not starts:
        raise DataError(f"{path} has a header row but no data rows.")
    frame_sample = pd.DataFrame(sample[1:], columns=header, dtype=object).replace("", None)
    kind, header_rows, labels, skip = "csv", 1, {}, None
    if len(frame_sample) >= 2 and str(frame_sample.iloc[1, 0]).lstrip().startswith('{"ImportId"'):
        kind, header_rows, skip = "qualtrics", 3, [1, 2]
        labels = {c: str(v) for c, v in zip(header, frame_sample.iloc[0], strict=True) if c}
        starts = starts[2:]
        if not starts:
            raise DataError(f"{path} is a Qualtrics export with no responses (only its 3 header rows).")
        frame_sample = frame_sample.iloc[2:]
    decimal = decimal or _sniff_decimal(frame_sample, sep)
    keep_text = header if decimal == "," else [c for c in text_columns if c in header]  # values as typed
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, header=0, names=header, skiprows=skip,
                            dtype=dict.fromkeys(keep_text, str), keep_default_na=False, na_values=[""],
                            skip_blank_lines=True, engine="c", low_memory=False)  # fmt: skip
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path} could not be parsed ({exc}). An unclosed quote is the usual cause: check the "
                        "line it names.") from None  # fmt: skip
    if trailing:
        frame = frame.iloc[:, :-1]
    if len(frame) != len(starts):
        raise DataError(f"{path}: {len(starts)} records found but {len(frame)} parsed; check for an unclosed quote.")
    frame = frame.astype({c: object for c in frame.columns if frame[c].dtype != object and
                          not pd.api.types.is_numeric_dtype(frame[c])})  # fmt: skip
    info = FormatInfo(kind, used, sep, decimal, header_rows=header_rows)
    return RawTable(path, frame, info, labels=labels, lines=tuple(s + skipped_lines for s in starts))


def _scan(path: Path, text: str, sep: str):
    """One strict pass with the csv module: header, the line where each record starts, rows whose
    field count differs from the header's, and the first 200 records."""
    reader = csv.reader(io.StringIO(text), delimiter=sep, strict=True)
    header, starts, ragged, sample = None, [], [], []
    previous_end = 0
    try:
        for row in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if header is None:
                header = [h.strip() for h in row]
                sample.append(header)
                continue
            starts.append(start)
            if len(row) != len(header):
                ragged.append((start, len(row)))
            if len(sample) < 201:
                sample.append(row)
    except csv.Error as exc:
        where = f"line {previous_end + 1}"
        raise DataError(f"{path} is not a well-formed {_SEP_NAMES.get(sep, sep)}-separated file at {where}: "
                        f"{exc}. An unclosed quote is the usual cause.") from None  # fmt: skip
    if header is None:
        raise DataError(f"{path} holds only blank lines.")
    return header, starts, ragged, sample


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


def read_table(path: str | Path, *, format: dict | None = None, text_columns=()) -> RawTable:
    """Read one data file, detecting its format, encoding, separator and decimal mark.

    Parameters
    ----------
    path : str or Path
        CSV/TSV/TXT (UTF-8 with or without BOM, UTF-16, cp1252/Latin-1; comma, semicolon, tab or
        pipe separated; decimal point or comma), Qualtrics CSV export (3 header rows), XLSX,
        SPSS ``.sav`` or Stata ``.dta``.
    format : dict, optional
        The codebook's ``format:`` entry: ``kind``, ``encoding``, ``sep``, ``decimal``, ``sheet``.
        ``encoding``, ``sep``, ``decimal`` and ``sheet`` are used instead of detected; ``kind``
        is only checked to be a known kind (the kind always comes from the file's bytes).
    text_columns : sequence of str, optional
        Columns to keep as text in delimited files (ids such as ``007``, codes); other columns
        are parsed as numbers where every value is one.

    Returns
    -------
    RawTable
        ``frame`` (values as read: numbers where a whole column is numeric, text otherwise;
        `text_columns` stay text; in a decimal-comma file every column stays text), ``labels``
        (Qualtrics question text, SPSS/Stata variable labels), ``value_labels``,
        ``user_missing`` (declared missing values), ``format`` (the `FormatInfo` used) and
        ``lines`` (the file line of each data row, for messages).

    Raises
    ------
    DataError
        For a missing, empty, binary, ragged or damaged file, an old binary ``.xls``, duplicate
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
    path = Path(path)
    fmt = dict(format or {})
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise DataError(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise DataError(f"{path} is a folder, not a data file.") from None
    except OSError as exc:
        raise DataError(f"Cannot open {path}: {exc}") from None
    if not raw:
        raise DataError(f"{path} is empty (0 bytes).")
    kind = _sniff_kind(path, raw[:16])
    wanted = fmt.get("kind")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".sav", ".dta") and kind != suffix[1:]:
        content = FormatInfo(kind).detail if kind != "csv" else "text"
        raise DataError(f"{path} is named {suffix} but its content is {content}. "
                        "Rename it to match its content, or export it again.")  # fmt: skip
    if wanted and wanted not in KINDS:
        raise DataError(f"Codebook format kind {wanted!r} for {path} is not one of {', '.join(KINDS)}.")
    if kind == "xlsx":
        return _read_xlsx(path, fmt.get("sheet"))
    if kind in ("sav", "dta"):
        return _read_stat(path, kind)
    return _read_text(path, raw, fmt.get("encoding"), fmt.get("sep"), fmt.get("decimal"), tuple(text_columns))
