"""PII guard: columns that identify people never reach analyses, reports or exported files.

A column is identifying when its codebook role is ``pii`` or ``free_text``, or its name matches a
pattern below (Qualtrics metadata, e-mail, names, phone numbers, addresses). It is dropped when a
data set is loaded unless its codebook entry says ``keep: true``. Files we write pass through
`neutralize_formulas`, so a cell such as ``=HYPERLINK(...)`` cannot run as a spreadsheet formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

__all__ = ["pii_columns", "neutralize_formulas", "write_csv"]

#: column-name patterns (case-insensitive) that identify people, with the reason shown
PII_PATTERNS = {
    r"^ipaddress$|^ip_?address$|^ip$": "IP address",
    r"^location(latitude|longitude)?$|^(lat|latitude|lon|lng|longitude)$": "location",
    r"^recipient": "Qualtrics recipient field",
    r"^external(data)?reference$": "external reference",
    r"e-?mail": "e-mail address",
    r"(^|_)(first|last|full|given|family|sur|user)_?name$|^name$": "person's name",
    r"phone|mobile|telephone|^tel$": "phone number",
    r"(^|_)(street|address|postcode|zip_?code)($|_)": "address",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def pii_columns(columns: Iterable[str], variables: dict | None = None) -> dict[str, str]:
    """Find the identifying columns among `columns`, with the reason each identifies people.

    Parameters
    ----------
    columns : iterable of str
        Column names (of a file as read).
    variables : dict, optional
        The codebook's variables of the table (``{column: entry}``). An entry with ``keep:
        true`` keeps a column whatever its name or role.

    Returns
    -------
    dict
        ``{column: reason}`` for each identifying column, in the order of `columns`: reason
        ``"codebook role pii"`` or ``"codebook role free_text"``, or the pattern's reason
        (``"e-mail address"``, ``"IP address"``, ...). Kept columns are left out.

    See Also
    --------
    load_dataset : Drops these columns when it reads a table.

    Notes
    -----
    Name patterns (case-insensitive) are in ``PII_PATTERNS``: Qualtrics metadata (IP address,
    location, recipient fields, external reference), e-mail, names, phone numbers and addresses.

    Examples
    --------
    >>> from analysis.data.privacy import pii_columns
    >>> pii_columns(["person_id", "Email", "IPAddress", "diary_note"], {"diary_note": {"role": "free_text"}})
    {'Email': 'e-mail address', 'IPAddress': 'IP address', 'diary_note': 'codebook role free_text'}
    """
    variables = variables or {}
    found = {}
    for col in columns:
        spec = variables.get(col, {})
        if spec.get("keep") is True:
            continue
        role = spec.get("role")
        if role in ("pii", "free_text"):
            found[col] = "codebook role " + role
            continue
        for pattern, reason in PII_PATTERNS.items():
            if re.search(pattern, str(col), flags=re.IGNORECASE):
                found[col] = reason
                break
    return found


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with ``'`` (CSV injection).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to be written; it is not modified.

    Returns
    -------
    pandas.DataFrame
        A copy where every text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
        carriage return has a leading ``'``, so spreadsheet programs show it as text. Numbers
        and missing values are untouched.

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
    >>> neutralize_formulas(pd.DataFrame({"note": ["=1+1", "fine"], "x": [-1, 2]}))["note"].tolist()
    ["'=1+1", 'fine']
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            text = out[col].astype("string")
            risky = text.str.startswith(FORMULA_START).fillna(False)
            if risky.any():
                out[col] = text.mask(risky, "'" + text)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as UTF-8 CSV, with text cells that look like formulas neutralised.

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
    ...     path = write_csv(pd.DataFrame({"note": ["@SUM(A1)"]}), Path(tmp) / "out" / "notes.csv")
    ...     text = path.read_text(encoding="utf-8")
    >>> text.splitlines()
    ['note', "'@SUM(A1)"]
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralize_formulas(frame).to_csv(path, index=False, lineterminator="\n")
    return path
