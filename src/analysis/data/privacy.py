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
    """Identifying columns among `columns`: ``{column: reason}`` (kept ones left out).

    A codebook entry with ``keep: true`` keeps a column whatever its name or role.
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
    """Copy of `frame` where text cells starting with = + - @ (or tab/CR) get a leading ``'``,
    so spreadsheet programs show them as text (OWASP CSV injection). Numbers are untouched."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            text = out[col].astype("string")
            risky = text.str.startswith(FORMULA_START).fillna(False)
            if risky.any():
                out[col] = text.mask(risky, "'" + text)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write `frame` as UTF-8 CSV with formula injection neutralised; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralize_formulas(frame).to_csv(path, index=False, lineterminator="\n")
    return path
