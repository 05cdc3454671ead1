"""PII guard: columns that identify people never reach analyses, reports or exported files.

A column is identifying when its codebook role is ``pii`` or ``free_text``, its name matches a
pattern below (Qualtrics metadata, IP and e-mail addresses, contact details, names, phone numbers,
addresses, free-text answers), or its values hold e-mail or IP addresses, phone numbers, person
names or free text (`pii_columns`). It is dropped when a data set is loaded unless its codebook
entry says ``keep: true``. Files we write pass through
`neutralize_formulas`, so a cell such as ``=HYPERLINK(...)`` cannot run as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

__all__ = ["pii_columns", "neutralize_formulas", "write_csv"]

#: names ending in ``name`` that name things, not people (``filename``, ``item_name``, ...)
_THINGS = (
    "file|path|dir|folder|host|server|domain|var|variable|column|col|field|item|scale|subscale|"
    "instrument|measure|questionnaire|question|test|task|block|study|project|survey|dataset|data|table|"
    "sheet|label|condition|group|team|site|lab|school|university|company|employer|org|organisation|"
    "organization|institution|brand|product|app|device|browser|os|platform|language|lang|country|city|"
    "town|state|region|province|county|place|venue|day|month|week|weekday|event|activity|category|cat|"
    "code|unit|level|type|class|course|program|programme|game|song|book|movie|film|show|pet|animal|"
    "disease|drug|medication|food|module|function|method|model|package|stimulus|stim|image|img|video|"
    "audio|sound|treatment|arm|wave|phase|version|object|node|key|tag|source|role|score|file_?base"
)
#: column-name patterns that identify people, with the reason shown. Each is matched (case-insensitive)
#: against the name as written, in snake case (``PartnerName`` -> ``partner_name``) and in lower case
#: with other characters as ``_`` (``Q12.TEXT`` -> ``q12_text``); the first that matches gives the reason.
PII_PATTERNS = {
    r"^ip(v[46])?$|^ip_?addr(ess)?$|^ipv[46]_?addr(ess)?$|_ip(_?addr(ess)?)?$|^remote_?addr(ess)?$": "IP address",
    r"^location(_?(latitude|longitude))?$|^(lat|latitude|lon|lng|longitude)$|^geo_?location$|^gps(_|$)": "location",
    r"^recipient_?(first_?name|last_?name|name|e_?mail)$": "Qualtrics recipient field",
    r"^external_?(data_?)?reference$": "external reference",
    r"(^|_)e_?mail|email|^mail(_?addr(ess)?)?$": "e-mail address",
    r"^(emergency_)?contact(_?(info|information|details|data|person|address|number|no|nr))?$": "contact details",
    r"(^|_)(tele)?phone(_?(number|num|no|nr|home|work|private|business))?$|^(tel|fax)(_?(number|no|nr))?$"
    r"|(^|_)(home|work|mobile|cell|contact)_?phone$|^mobile_?(number|no|nr)$": "phone number",
    r"^dob$|_dob$|birth_?date|date_?of_?birth|birthday": "date of birth",
    r"(^|_)(ssn|social_?security(_?(number|no|nr))?|ahv(_?(number|no|nr))?|passport(_?(number|no|nr))?"
    r"|national_?id|tax_?id)$": "ID number",
    r"(^|_)(street|address|addr|postcode|post_code|postal_?code|zip|zip_?code|house_?(number|no|nr))($|_)": "address",
    r"(?-i:_TEXT)$|\d_text$|^(free|open)_?(text|ended|answer|response)s?$|^verbatim$": "free-text answer (review)",
    rf"^(?!(?:.*_)?(?:{_THINGS})_?names?(_?\d+|_[a-z])?$).*names?(_?\d+|_[a-z])?$|(^|_)initials$": "person's name",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ESCAPED_START = (*FORMULA_START, "'")  #: escaped on writing, so that reading can undo it exactly


#: screening by content: values sampled per column, and the share of them that flags a column
SAMPLE_SIZE = 2000
MIN_VALUES, MIN_SHARE = 3, 0.2
_FIRST_NAMES_FILE = Path(__file__).with_name("pii_first_names.txt")
_EMAIL = r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_HEX = r"[0-9A-Fa-f]{1,4}"
_IP = (rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\w|\.\d)"
       rf"|(?<![\w:])(?:(?:{_HEX}:){{7}}{_HEX}|(?:{_HEX}:){{1,7}}:(?:{_HEX}(?::{_HEX}){{0,6}})?"
       rf"|::{_HEX}(?::{_HEX}){{0,6}})(?![\w:])")  # fmt: skip
_PHONE = re.compile(
    r"(?<![\w+.\-/])(?:"
    r"\+[1-9]\d{0,2}(?:[ .\-]?\(0\))?(?:[ .\-]?\(?\d{1,5}\)?){2,6}"  # +41 44 123 45 67, +1 (555) 123-4567
    r"|00[1-9]\d{0,2}(?:[ .\-]\(?\d{1,5}\)?){2,6}"  # 0044 20 7946 0958 (a separator is needed: 0012345678 is an id)
    r"|\(\d{2,5}\)[ .\-]?\d{3,4}[ .\-]?\d{3,4}"  # (555) 123-4567
    r"|\d{3}[.\-]\d{3}[.\-]\d{4}|\d{3} \d{3} \d{4}"  # 555-123-4567, 555.123.4567, 555 123 4567
    r"|0\d{1,4}(?:[ \-/]\d{2,4}){2,4}"  # 044 123 45 67, 020 7946 0958
    r")(?![\w\-/:]|[.,]\d)"
)
_UPPER, _LOWER = "A-ZÀ-ÖØ-ÞĀ-ſ", "a-zß-öø-ÿĀ-ſ"
_WORD = rf"(?:[{_UPPER}]['’])?[{_UPPER}][{_LOWER}]+(?:[{_UPPER}][{_LOWER}]+)?(?:-[{_UPPER}][{_LOWER}]+)?"
_PART = r"(?:(?:van|von|der|den|de|del|della|da|di|du|la|le|al|el|bin|ibn|ten|ter|dos|das)\s+){0,2}"
_FULL_NAME = (rf"{_WORD}(?:\s+{_PART}(?:{_WORD}|[{_UPPER}]\.)){{1,3}}"
              rf"|{_WORD}(?:\s+{_WORD})?,\s*{_WORD}(?:\s+(?:{_WORD}|[{_UPPER}]\.))?")  # fmt: skip


def _name_reason(col) -> str | None:
    return _name_reason_of(str(col))


@functools.lru_cache(maxsize=4096)  # the same column names are screened on every load
def _name_reason_of(text: str) -> str | None:
    snake = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text))
    forms = [text] + [re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_") for s in (snake, text)]
    for pattern, reason in PII_PATTERNS.items():
        if any(re.search(pattern, form, flags=re.IGNORECASE) for form in forms):
            return reason
    return None


@functools.lru_cache(maxsize=1)
def _first_names() -> re.Pattern:
    lines = _FIRST_NAMES_FILE.read_text(encoding="utf-8").splitlines()
    names = sorted({n.strip() for n in lines if n.strip() and not n.startswith("#")}, key=lambda n: (-len(n), n))
    return re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b")


@functools.lru_cache(maxsize=1)
def _item_texts() -> frozenset:
    from analysis.data.instrument_library import list_instruments, load_instrument  # lazy: the library is big

    return frozenset(i.text.strip().lower() for name in list_instruments()["id"]
                     for i in load_instrument(name).items if i.text)  # fmt: skip


def _textual(dtype) -> bool:
    """Whether a column of this dtype may hold text (object, string or categorical)."""
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype) or \
        isinstance(dtype, pd.CategoricalDtype)  # fmt: skip


def _text_values(series: pd.Series) -> pd.Series | None:
    """The non-missing values of a text column as strings; None for numbers, booleans and dates."""
    if not _textual(series.dtype):
        return None
    return series.dropna().astype(str)


_NUMBER_TEXT = r"\s*[-+]?\d*[.,]?\d+(?:[eE][-+]?\d+)?\s*"


def _enough(hits: int, n: int) -> bool:
    return hits >= MIN_VALUES or (hits >= 1 and hits >= MIN_SHARE * n)


def _content_reason(series: pd.Series) -> str | None:
    """Why the values of a column identify people (``"content: ..."``), or None."""
    values = _text_values(series)
    if values is None or values.empty:
        return None
    distinct = pd.Series(pd.unique(values.to_numpy()), dtype=object)
    if distinct.str.fullmatch(_NUMBER_TEXT).all():  # most survey columns: numbers read as text
        return None
    found = []
    if distinct.str.contains("@", regex=False).any():  # e-mail addresses: every value is checked, one is enough
        at = values[values.str.contains("@", regex=False)]
        emails = int(at.str.contains(_EMAIL).sum())
        if emails:
            found.append(f"e-mail addresses ({emails:,} of {len(values):,} values)")
    sample = values.sample(SAMPLE_SIZE, random_state=0) if len(values) > SAMPLE_SIZE else values
    counts = sample.str.strip().value_counts()  # each different value is screened once
    counts = counts[counts.index != ""]
    n, uniq = int(counts.sum()), pd.Series(counts.index, dtype=object)
    if n == 0 or uniq.str.fullmatch(_NUMBER_TEXT).all():  # numbers as text
        return "content: " + found[0] if found else None

    def hits(mask: pd.Series) -> int:  # values (not different values) where `mask` holds
        return int(counts[mask.to_numpy(dtype=bool)].sum())

    of = f"of {n:,} {'sampled ' if len(values) > SAMPLE_SIZE else ''}values"
    ips = hits(uniq.str.contains(_IP))
    if _enough(ips, n):
        found.append(f"IP addresses ({ips:,} {of})")
    phone = uniq.str.count(r"\d") >= 9  # then 9 to 15 digits in one match of _PHONE
    phone[phone] = uniq[phone].str.findall(_PHONE).map(lambda ms: any(9 <= sum(map(str.isdigit, m)) <= 15 for m in ms))
    phones = hits(phone)
    if _enough(phones, n):
        found.append(f"phone numbers ({phones:,} {of})")
    shaped = uniq.str.fullmatch(_FULL_NAME)
    named = uniq.str.contains(_first_names())
    distinct = int(shaped.sum())  # different First Last values: at least half, and 10 or some with given names
    many = distinct >= max(3, 0.5 * hits(shaped)) and (distinct >= 10 or (shaped & named).any())
    if hits(shaped) >= 0.5 * n and many:
        found.append(f"person names ({hits(shaped):,} {of} look like First Last, review)")
    elif _enough(int(named.sum()), len(uniq)):
        found.append(f"person names in free text ({hits(named):,} {of} name a person, review)")
    if found:
        return "content: " + ", ".join(found)
    wordy = uniq.str.count(r"\S+") >= 4
    if hits(wordy) >= 0.5 * n:
        wordy &= ~uniq.str.lower().isin(_item_texts())  # instruments' item wording is not free text
    long = wordy.any() and uniq[wordy].str.len().mean() >= 40
    if hits(wordy) >= 0.5 * n and wordy.sum() >= 0.5 * hits(wordy) and (wordy.sum() >= 5 or long):
        return f"content: free text ({hits(wordy):,} {of} of 4 words or more, review)"
    return None


def _free_text_only(reason: str) -> bool:
    """Whether a reason of `pii_columns` says only "free text" (role ``free_text``), not a kind of PII."""
    return reason.startswith("content: free text") or reason in ("free-text answer (review)", "codebook role free_text")


def pii_columns(columns: Iterable[str] | pd.DataFrame, variables: dict | None = None) -> dict[str, str]:
    """Find the identifying columns of a table, by name and (given the values) by content.

    Parameters
    ----------
    columns : pandas.DataFrame or iterable of str
        The table as read (names and values are screened), or only its column names (names are).
    variables : dict, optional
        The codebook's variables of the table (``{column: entry}``). An entry with ``keep:
        true`` keeps a column whatever its name, role or values; no other entry does.

    Returns
    -------
    dict
        ``{column: reason}`` for each identifying column, in column order. Reasons: ``"codebook
        role pii"`` or ``"codebook role free_text"``; a name pattern's reason (``"e-mail
        address"``, ``"IP address"``, ``"person's name"``, ``"free-text answer (review)"``, ...);
        or what the values hold, with figures, e.g. ``"content: e-mail addresses (12 of 40
        values)"``, ``"content: IP addresses (...)"``, ``"content: phone numbers (...)"``,
        ``"content: person names in free text (..., review)"``, ``"content: free text (...,
        review)"``. Kept columns are left out.

    See Also
    --------
    load_dataset : Drops these columns when it reads a table.
    draft_codebook : Gives them ``role: pii`` (``free_text`` for free text), without their values.

    Notes
    -----
    Names (``PII_PATTERNS``, case-insensitive, on the name as written, in snake case and in lower
    case): Qualtrics metadata (``IPAddress``, ``Location*``, ``Recipient*Name``/``Email``,
    ``ExternalReference``), IP addresses (``ip``, ``ip_addr``), e-mail, ``contact``, phone
    numbers, date of birth, ID numbers (``ssn``, ``passport``), addresses and ``zip``, any name
    ending in ``name`` (``PartnerName``, ``spouse_name``, ``username``) except names of things
    (``filename``, ``item_name``, ``country_name``, ...), and free-text answers (Qualtrics
    ``Q12_TEXT``, ``Q5_4_TEXT``; ``open_text``) -- flagged as free text unless their values are
    identifying.

    Content (a `DataFrame`; text columns only: numbers cannot be e-mail addresses). A column is
    flagged when its values hold

    - e-mail addresses: one is enough; every value is checked;
    - IP addresses (v4, v6) or phone numbers (``+41 44 123 45 67``, ``0044 20 7946 0958``,
      ``(555) 123-4567``, ``555-123-4567``, ``044 123 45 67``: 9 to 15 digits with the
      separators of a phone number, so dates, times, decimals, ids and zip codes are not) in at
      least 3 values, or in at least 20% of the values (a short column): a free-text column is
      flagged when three of its answers give a phone number;
    - person names (review): at least half of the values are two to four capitalised words
      (``Anna Muster``, ``Muster, Anna``), at least half of those are different, and there are
      10 different ones or some start with a common given name -- so answer categories such as
      ``Very Happy`` or ``Never Married`` are not; or common given names (the list in
      ``pii_first_names.txt``, which leaves out names that are also words) in at least 3
      different values or 20% of the different values.

    Else it is free text (review) when at least half of its values have 4 words or more, at
    least half of those are different, and there are 5 different ones or they average 40
    characters; the wording of instrument items in the library does not count. IP addresses,
    phone numbers, names and free text are looked for in at most 2,000 values (a fixed sample,
    the same on every run), each different value once.

    A codebook role other than ``pii``/``free_text`` (``id``, ``item``, ``demographic``, ...) does
    not stop screening, so a wrong codebook cannot let e-mail addresses through; only ``keep:
    true`` does.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.data.privacy import pii_columns
    >>> pii_columns(["person_id", "IPAddress", "PartnerName", "note"], {"note": {"role": "free_text"}})
    {'IPAddress': 'IP address', 'PartnerName': "person's name", 'note': 'codebook role free_text'}
    >>> frame = pd.DataFrame({
    ...     "id": ["1001", "1002", "1003", "1004"],
    ...     "reply": ["anna@example.org", "ben@example.org", "none", "cleo@example.org"],
    ...     "host": ["203.0.113.7", "198.51.100.23", "192.0.2.1", "203.0.113.9"],
    ...     "sat": [5, 7, 2, 6],
    ...     "status": ["Married", "Never Married", "Married", "Divorced"]})
    >>> pii_columns(frame, {"reply": {"role": "item"}})
    {'reply': 'content: e-mail addresses (3 of 4 values)', 'host': 'content: IP addresses (4 of 4 values)'}
    >>> pii_columns(frame, {"reply": {"role": "item", "keep": True}, "host": {"keep": True}})
    {}
    """
    frame = columns if isinstance(columns, pd.DataFrame) else None
    textual = [_textual(dtype) for dtype in frame.dtypes] if frame is not None else []
    variables = variables or {}
    found = {}
    for i, col in enumerate(columns):
        spec = variables.get(col) or {}
        if spec.get("keep") is True:
            continue
        role = spec.get("role")
        if role in ("pii", "free_text"):
            found[col] = "codebook role " + role
            continue
        reason = _name_reason(col)
        if frame is not None and textual[i] and (reason is None or _free_text_only(reason)):  # (numbers: no text)
            reason = _content_reason(frame.iloc[:, i]) or reason  # a _TEXT answer holding names: say so
        if reason:
            found[col] = reason
    return found


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells and column names that a spreadsheet would run as a formula with ``'``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to be written; it is not modified.

    Returns
    -------
    pandas.DataFrame
        A copy where every text cell and column name starting with ``=``, ``+``, ``-``, ``@``, a
        tab or a carriage return has a leading ``'``, so spreadsheet programs show it as text.
        Text already starting with ``'`` gets one more, so the change can be undone exactly
        (`read_table` with ``format: {escaped_formulas: true}``, which `write_processed` writes
        into its codebook). Numbers and missing values are untouched.

    See Also
    --------
    write_csv : Writes a frame through this.

    References
    ----------
    OWASP Foundation. (n.d.). CSV injection. https://owasp.org/www-community/attacks/CSV_Injection

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.data.privacy import neutralize_formulas
    >>> safe = neutralize_formulas(pd.DataFrame({"note": ["=1+1", "fine", "'quoted"], "=x": [-1, 2, 3]}))
    >>> safe["note"].tolist(), list(safe.columns)
    (["'=1+1", 'fine', "''quoted"], ['note', "'=x"])
    >>> twice = pd.DataFrame([["=a", "b"]], columns=["p", "p"])  # a repeated name is fine
    >>> neutralize_formulas(twice).iloc[0].tolist()
    ["'=a", 'b']
    """
    out = frame.copy()
    for i in range(out.shape[1]):  # by position: a table may repeat a column name (two "p" columns)
        column = out.iloc[:, i]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            text = column.astype("string")
            risky = text.str.startswith(ESCAPED_START).fillna(False)
            if risky.any():
                out.isetitem(i, text.mask(risky, "'" + text))
    out.columns = ["'" + c if isinstance(c, str) and c.startswith(ESCAPED_START) else c for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as UTF-8 CSV (RFC 4180), with text cells and names that look like formulas neutralised.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; its index is not written.
    path : str or Path
        The file to write (parent folders are created).

    Returns
    -------
    Path
        `path`.

    See Also
    --------
    neutralize_formulas : What is changed in the text cells.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from analysis.data.privacy import write_csv
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     frame = pd.DataFrame({"id": [1, 2], "note": ["@SUM(A1)", "line 1\\rline 2"]})
    ...     data = write_csv(frame, Path(tmp) / "out" / "notes.csv").read_bytes()
    >>> data.split(b"\\r\\n")  # records end in CRLF; the cell holding a bare CR is quoted
    [b'id,note', b"1,'@SUM(A1)", b'2,"line 1\\rline 2"', b'']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # CRLF ends a record (RFC 4180); the csv writer quotes every cell holding a character of the
    # line terminator, so a cell with a bare CR or LF cannot split its record.
    # A one-column table quotes every cell: a cell of spaces would otherwise be a blank line.
    quoting = csv.QUOTE_ALL if frame.shape[1] == 1 else csv.QUOTE_MINIMAL
    neutralize_formulas(frame).to_csv(path, index=False, lineterminator="\r\n", quoting=quoting)
    return path
