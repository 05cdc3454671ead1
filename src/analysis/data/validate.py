"""Check a table against its codebook, apply the exclusion rules, and keep the row ledger.

Every problem names the file, column, row (file line and respondent id) and value, and says how
to fix it. Lenient mode (default) sets an invalid value to missing and logs it; strict mode
excludes the row and `load_dataset` then raises `ValidationError` listing every problem.
Every input row ends in the ledger as ``analysed`` or ``excluded`` with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.data.ledger import LEDGER_COLUMNS, _apply_exclusions
from analysis.data.readers import RawTable
from analysis.exceptions import DataError

__all__ = ["ValidationError", "TableCheck", "check_table", "summarize_problems"]

PROBLEM_COLUMNS = ["file", "table", "column", "row", "line", "id", "value", "problem", "fix", "action"]
TRUE_WORDS, FALSE_WORDS = {"true", "yes", "1", "y", "t"}, {"false", "no", "0", "n", "f"}


class ValidationError(DataError):
    """Strict validation found problems; `.problems` and `.ledger` hold them all.

    Parameters
    ----------
    message : str
        The message: the number of problems and the first 30, each with file, column, row,
        line, id, value and fix.
    problems : pandas.DataFrame
        Every problem (columns as ``Dataset.problems``).
    ledger : pandas.DataFrame
        The row ledger (columns as ``Dataset.ledger``).
    """

    def __init__(self, message: str, problems: pd.DataFrame, ledger: pd.DataFrame):
        super().__init__(message)
        self.problems = problems
        self.ledger = ledger


@dataclass(frozen=True)
class TableCheck:
    """A checked table: every row read (typed), the problems found, and the row ledger.

    Parameters
    ----------
    frame : pandas.DataFrame
        Every row read, typed; index ``row`` (data row number from 1).
    problems : pandas.DataFrame
        One row per invalid value: ``file``, ``table``, ``column``, ``row``, ``line``, ``id``,
        ``value``, ``problem``, ``fix``, ``action``.
    ledger : pandas.DataFrame
        One row per row of `frame`, in the same order: ``table``, ``row``, ``line``, ``id``,
        ``status``, ``reason``, ``detail``.

    See Also
    --------
    check_table : Makes it.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import read_table
    >>> from analysis.data.validate import check_table
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "survey.csv"
    ...     _ = path.write_text("id\\n1\\n1\\n")
    ...     raw = read_table(path)
    >>> check = check_table(raw, table="survey", variables={"id": {"type": "integer", "role": "id"}})
    >>> len(check.analysed), len(check.excluded), check.ledger["reason"].tolist()
    (1, 1, [<NA>, 'duplicate_id'])
    """

    frame: pd.DataFrame
    problems: pd.DataFrame
    ledger: pd.DataFrame

    @property
    def analysed(self) -> pd.DataFrame:
        """The rows the ledger marks ``analysed``."""
        return self.frame[(self.ledger["status"] == "analysed").to_numpy()]

    @property
    def excluded(self) -> pd.DataFrame:
        """The rows the ledger marks ``excluded``."""
        return self.frame[(self.ledger["status"] == "excluded").to_numpy()]


def _as_number(values: pd.Series, decimal: str | None) -> pd.Series:
    """Numbers from values as read: the fast C parser first; only the entries it cannot read are
    stripped of spaces (and of a decimal comma) and tried again."""
    num = pd.to_numeric(values, errors="coerce").astype(float)
    if decimal == "," and (values.dtype == object or pd.api.types.is_string_dtype(values)):
        pointed = values.astype("string").str.contains(".", regex=False).fillna(False).to_numpy()
        num[pointed] = np.nan  # "2.5" in a decimal-comma file: ambiguous (1.234 may mean 1234)
        num[~pointed & values.notna().to_numpy()] = np.nan  # parse below with the comma rule
    retry = values.notna() & num.isna()
    if decimal == ",":
        retry &= ~values.astype("string").str.contains(".", regex=False).fillna(False)
    if retry.any():
        text = values[retry].astype("string").str.strip()
        if decimal == ",":
            text = text.str.replace(",", ".", regex=False)
        num[retry] = pd.to_numeric(text, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    return num


def _is_number(code) -> bool:
    try:
        float(code)
    except (TypeError, ValueError):
        return False
    return not isinstance(code, bool)


def _code_mask(values: pd.Series, num: pd.Series, codes: list) -> pd.Series:
    """True where a value is a missing code: numerically (-99 matches "-99.0"), as text
    ("Prefer not to say", spaces ignored), or inside a ``{range: [lo, hi]}``."""
    mask = pd.Series(False, index=values.index)
    if not codes:
        return mask
    numeric = [float(c) for c in codes if not isinstance(c, dict) and _is_number(c)]
    text = [str(c).strip() for c in codes if not isinstance(c, dict) and not _is_number(c)]
    if numeric:
        mask |= num.isin(numeric)
    if text:
        unread = values.notna() & num.isna()
        mask[unread] = values[unread].astype("string").str.strip().isin(text).fillna(False).to_numpy()
    for c in codes:
        if isinstance(c, dict) and "range" in c:
            mask |= num.between(*c["range"]).fillna(False)
    return mask


def _convert(values: pd.Series, spec: dict, decimal: str | None) -> tuple[pd.Series, pd.Series, str]:
    """Typed values, a mask of invalid entries, and what was wrong with them."""
    kind = spec["type"]
    present = values.notna()
    if kind in ("integer", "number"):
        num = _as_number(values, decimal)
        bad = present & num.isna()
        why = f"not a {'whole ' if kind == 'integer' else ''}number"
        if kind == "integer":
            frac = num.notna() & (num % 1 != 0)
            bad |= frac
        rng = spec.get("range")
        outside = pd.Series(False, index=values.index)
        if rng:
            outside = num.notna() & ~num.between(rng[0], rng[1])
        allowed = spec.get("values")
        if allowed is not None:
            outside |= num.notna() & ~num.isin([float(v) for v in allowed])
        if outside.any():
            why = (f"outside {rng[0]}..{rng[1]}" if rng else f"not one of {allowed}") + (
                "" if not bad.any() else f" or {why}")
        bad |= outside
        clean = num.mask(bad)
        typed = clean.round().astype("Int64") if kind == "integer" else clean.astype(float)
        return typed, bad, why
    if kind == "boolean":
        text = values.astype("string").str.strip().str.lower()
        typed = pd.Series(pd.NA, index=values.index, dtype="boolean")
        typed[text.isin(TRUE_WORDS).fillna(False)] = True
        typed[text.isin(FALSE_WORDS).fillna(False)] = False
        bad = present & typed.isna()
        return typed, bad, "not true/false (yes/no, 1/0)"
    if kind == "categorical":
        allowed = spec.get("values")
        if allowed is not None and all(isinstance(v, int | float) and not isinstance(v, bool) for v in allowed):
            num = _as_number(values, decimal)
            bad = present & ~num.isin([float(v) for v in allowed])
            typed = num.mask(bad)
            typed = typed.astype("Int64") if all(float(v).is_integer() for v in allowed) else typed
            return typed, bad, f"not one of {allowed}"
        text = values.astype("string").str.strip()
        if allowed is None:
            return text.astype("category"), pd.Series(False, index=values.index), ""
        bad = present & ~text.isin([str(v) for v in allowed]).fillna(False)
        typed = pd.Categorical(text.mask(bad), categories=[str(v) for v in allowed], ordered=bool(spec.get("ordered")))
        return pd.Series(typed, index=values.index), bad, f"not one of {allowed}"
    return values.astype("string"), pd.Series(False, index=values.index), ""


def _show(value) -> str:
    """A value as the user typed it: 3.0 read into a float column shows as 3."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _fix_text(col: str, spec: dict, why: str) -> str:
    if why.startswith("outside") or why.startswith("not one of"):
        return (f"correct the value, widen `range`/`values` of {col!r} in the codebook, or list it under "
                "`missing_codes` if it is a missing-value code")  # fmt: skip
    article = "an" if spec["type"][0] in "aeiou" else "a"
    return f"recode it to {article} {spec['type']} value or list it under `missing_codes` for {col!r}"


def _ids(frame: pd.DataFrame, variables: dict) -> pd.Series:
    id_col = next((c for c, s in variables.items() if s.get("role") == "id" and c in frame), None)
    if id_col is None:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return frame[id_col].map(lambda v: None if pd.isna(v) else _show(v)).astype(object)


def check_table(raw: RawTable, *, table: str, variables: dict, exclusions: dict | None = None,
                strict: bool = False) -> TableCheck:  # fmt: skip
    """Type every variable, log problems, apply exclusions and build the ledger of one table.

    Parameters
    ----------
    raw : RawTable
        The file as read by `analysis.data.readers.read_table` (identifying columns already
        dropped).
    table : str
        Table name (for messages and the ledger).
    variables : dict
        The codebook's variables of this table (``{column: entry}``).
    exclusions : dict, optional
        The codebook's exclusion rules (see docs/codebook.md); default: the defaults of each
        rule (duplicate ids keep the first row, attention checks apply).
    strict : bool, default False
        Strict: a row with an invalid value is excluded (reason ``invalid_value``) and the caller
        raises. Lenient: the invalid value becomes missing and the row stays.

    Returns
    -------
    TableCheck
        ``frame`` (every row read, typed; index ``row`` = data row number from 1; ``.analysed``
        and ``.excluded`` split it by the ledger), ``problems`` (one row per invalid value:
        ``file``, ``table``, ``column``, ``row``, ``line``, ``id``, ``value``, ``problem``,
        ``fix``, ``action``) and ``ledger`` (one row per input row: ``table``, ``row``,
        ``line``, ``id``, ``status``, ``reason``, ``detail``).

    Raises
    ------
    DataError
        If a column the codebook lists is missing from the file.

    See Also
    --------
    load_dataset : Calls this for every table of a codebook.
    summarize_problems : The problems grouped by column and kind.

    Notes
    -----
    Missing data: empty cells, ``na_values`` and ``missing_codes`` (and SPSS/Stata declared
    missing values) become missing before typing. Columns the codebook does not list are kept
    as text. A value that does not fit its type, ``range`` or ``values`` is a problem: missing
    in lenient mode, an excluded row in strict mode. The exclusion rules then run in the order
    of ``analysis.data.ledger.EXCLUSION_REASONS``; the first that applies is the row's reason.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import read_table
    >>> from analysis.data.validate import check_table
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "survey.csv"
    ...     _ = path.write_text("id,sat\\n1,5\\n2,9\\n")
    ...     raw = read_table(path)
    >>> variables = {"id": {"type": "integer", "role": "id"}, "sat": {"type": "integer", "range": [1, 7]}}
    >>> check = check_table(raw, table="survey", variables=variables)
    >>> check.frame["sat"].tolist()
    [5, <NA>]
    >>> check.problems[["row", "line", "id", "value", "problem", "action"]].to_dict("records")
    [{'row': 2, 'line': 3, 'id': '2', 'value': '9', 'problem': 'outside 1..7', 'action': 'set to missing'}]
    """
    exclusions = exclusions or {}
    source = raw.frame.copy()
    source.index = pd.RangeIndex(1, len(source) + 1, name="row")
    missing_cols = [c for c in variables if c not in source.columns]
    if missing_cols:
        raise DataError(
            f"{raw.path} (table {table!r}) has no column {', '.join(map(repr, missing_cols))} that its "
            "codebook lists. Fix the column name in the file or in the codebook."
        )
    ids = _ids(source, variables)
    problems, typed = [], {}
    bad_rows = pd.Series(False, index=source.index)
    for col in source.columns:
        spec = variables.get(col)
        if spec is None:
            typed[col] = source[col].astype("string")
            continue
        values = source[col]
        na_values = spec.get("na_values")
        if na_values:
            values = values.mask(values.astype("string").str.strip().isin([str(v) for v in na_values]).fillna(False))
        codes = list(spec.get("missing_codes", [])) + list(raw.user_missing.get(col, []))
        if codes:
            values = values.mask(_code_mask(values, _as_number(values, raw.format.decimal), codes))
        converted, bad, why = _convert(values, spec, raw.format.decimal)
        typed[col] = converted
        if bad.any():
            bad_rows |= bad
            action = "row excluded (strict)" if strict else "set to missing"
            for row in bad[bad].index:
                problems.append({
                    "file": str(raw.path), "table": table, "column": col, "row": int(row),
                    "line": raw.line(int(row)), "id": ids[row], "value": _show(values[row]),
                    "problem": why, "fix": _fix_text(col, spec, why), "action": action,
                })  # fmt: skip
    frame = pd.DataFrame(typed, index=source.index)
    reasons = pd.Series(pd.NA, index=source.index, dtype="string")
    details = pd.Series(pd.NA, index=source.index, dtype="string")
    if strict:
        reasons[bad_rows] = "invalid_value"
        details[bad_rows] = "see the problems list"
    _apply_exclusions(frame, variables, exclusions, reasons, details)
    ledger = pd.DataFrame({
        "table": table, "row": source.index, "line": [raw.line(int(r)) for r in source.index], "id": ids,
        "status": np.where(reasons.isna(), "analysed", "excluded"), "reason": reasons, "detail": details,
    }, index=source.index)[LEDGER_COLUMNS]  # fmt: skip
    return TableCheck(frame, pd.DataFrame(problems, columns=PROBLEM_COLUMNS), ledger.reset_index(drop=True))


def summarize_problems(problems: pd.DataFrame) -> pd.DataFrame:
    """Group validation problems by table, column and kind.

    Parameters
    ----------
    problems : pandas.DataFrame
        Problems as in ``Dataset.problems`` (or ``TableCheck.problems``).

    Returns
    -------
    pandas.DataFrame
        One row per table, column and problem: ``table``, ``column``, ``problem``, ``n``
        (values affected), ``first_line`` (file line of the first), ``example`` (the first
        value), ``action`` and ``fix``; most frequent first.

    See Also
    --------
    check_table : Finds the problems.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.data.validate import PROBLEM_COLUMNS, summarize_problems
    >>> rows = [["s.csv", "survey", "sat", row, row + 1, str(row), value, "outside 1..7", "fix it", "set to missing"]
    ...         for row, value in [(2, "9"), (5, "8")]]
    >>> problems = pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
    >>> summarize_problems(problems)[["column", "problem", "n", "first_line", "example"]]
      column       problem  n  first_line example
    0    sat  outside 1..7  2           3       9
    """
    cols = ["table", "column", "problem", "n", "first_line", "example", "action", "fix"]
    if problems.empty:
        return pd.DataFrame(columns=cols)
    grouped = problems.groupby(["table", "column", "problem"], sort=False)
    out = grouped.agg(n=("row", "size"), first_line=("line", "min"), example=("value", "first"),
                      action=("action", "first"), fix=("fix", "first")).reset_index()  # fmt: skip
    return out.sort_values("n", ascending=False, kind="stable")[cols].reset_index(drop=True)
