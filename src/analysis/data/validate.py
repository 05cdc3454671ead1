"""Check a table against its codebook, apply the exclusion rules, and keep the row ledger.

Every problem names the file, column, row (file line and respondent id) and value, and says how
to fix it. Lenient mode (default) sets an invalid value to missing and logs it; strict mode
excludes the row and `load_dataset` then raises `ValidationError` listing every problem.
Every input row ends in the ledger as ``analysed`` or ``excluded`` with its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.data import design as _design
from analysis.data.ledger import LEDGER_COLUMNS, _duplicate_key, _row_exclusions, _table_exclusions
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
    #: the ledger's ``status == "analysed"`` as a boolean array, when `check_table` made it
    analysed_rows: np.ndarray | None = field(default=None, repr=False, compare=False)

    def _analysed(self) -> np.ndarray:
        if self.analysed_rows is not None:
            return self.analysed_rows
        return (self.ledger["status"] == "analysed").to_numpy()

    @property
    def analysed(self) -> pd.DataFrame:
        """The rows the ledger marks ``analysed`` (no rows when checked with ``keep_rows=False``)."""
        if len(self.frame) != len(self.ledger):
            return self.frame
        return self.frame[self._analysed()]

    @property
    def excluded(self) -> pd.DataFrame:
        """The rows the ledger marks ``excluded`` (no rows when checked with ``keep_rows=False``)."""
        if len(self.frame) != len(self.ledger):
            return self.frame
        return self.frame[~self._analysed()]


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


INT64_MAX = 2**63 - 1
EXACT_FLOAT = 2**53  #: above this a float no longer holds every whole number
_DIGITS = r"[+-]?\d+"


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def _number_problems(values: pd.Series, num: pd.Series) -> pd.Series:
    """Why a present value is not a usable number: unreadable, infinite, too large (overflow) or
    too small to be told from 0 (underflow). NA where the number is fine."""
    why = pd.Series(pd.NA, index=values.index, dtype="string")
    numbers = num.to_numpy(dtype=float, na_value=np.nan)
    why[values.notna().to_numpy() & np.isnan(numbers)] = "not a number"
    infinite = np.isinf(numbers)
    if infinite.any():
        spelled = _text(values[infinite]).str.lower().str.lstrip("+-").isin(["inf", "infinity"]).to_numpy(bool)
        why[values.index[infinite][spelled]] = "not a finite number"
        why[values.index[infinite][~spelled]] = "too large: it overflows a 64-bit number"
    zero = numbers == 0
    if zero.any() and (values.dtype == object or pd.api.types.is_string_dtype(values)):
        candidates = values[zero]
        candidates = candidates[~candidates.isin(_PLAIN_ZEROS).to_numpy(bool)]  # most zeros are written 0
        if len(candidates):
            mantissa = _text(candidates).str.split(r"[eE]", n=1, regex=True).str[0]
            tiny = mantissa.str.contains(r"[1-9]", regex=True).fillna(False).to_numpy(bool)
            why[candidates.index[tiny]] = "too small: it underflows to 0"
    return why


_PLAIN_ZEROS = ["0", "0.0", "-0", "+0", "0,0", "00", "0.00", " 0", "0 "]


def _as_integer(values: pd.Series, decimal: str | None) -> tuple[pd.Series, pd.Series]:
    """Whole numbers kept exactly (never rounded through a float): a value beyond ±2**53, where a
    float no longer holds every whole number, is read from its digits. Returns (Int64 values, why)."""
    num = _as_number(values, decimal)
    why = _number_problems(values, num).replace("not a number", "not a whole number")
    numbers = num.to_numpy(dtype=float, na_value=np.nan)
    usable = ~np.isnan(numbers) & why.isna().to_numpy()
    large = usable & (np.abs(numbers) >= EXACT_FLOAT)  # 2**53 + 1 parses as 2**53: read its digits
    regular = usable & ~large
    with np.errstate(invalid="ignore"):
        fraction = regular & (numbers % 1 != 0)
    why[values.index[fraction]] = "not a whole number"
    out = np.zeros(len(values), dtype=np.int64)
    ok = regular & ~fraction
    out[ok] = numbers[ok].astype(np.int64)  # exact: whole floats within ±2**53
    inf_large = np.isinf(numbers) & values.notna().to_numpy()  # 400 digits overflow the float too
    for i in np.flatnonzero(large | (inf_large & (why != "not a finite number").fillna(False).to_numpy())):
        text = str(values.iloc[i]).strip()
        if not re.fullmatch(_DIGITS, text):
            why.iloc[i] = "too large to be read exactly (write it without decimals or exponent)"
        elif -INT64_MAX - 1 <= int(text) <= INT64_MAX:
            out[i], why.iloc[i], ok[i] = int(text), pd.NA, True
        else:
            why.iloc[i] = "too large for an integer (beyond ±9.2e18)"
    typed = pd.arrays.IntegerArray(out, ~ok)
    return pd.Series(typed, index=values.index), why


def _convert(values: pd.Series, spec: dict, decimal: str | None) -> tuple[pd.Series, pd.Series]:
    """Typed values, and per value what is wrong with it (NA where it is fine)."""
    kind = spec["type"]
    present = values.notna()
    none = pd.Series(pd.NA, index=values.index, dtype="string")
    if kind in ("integer", "number"):
        if kind == "integer":
            typed, why = _as_integer(values, decimal)
            num = typed.astype("Float64")
        else:
            num = _as_number(values, decimal)
            why = _number_problems(values, num)
            typed = num
        ok = why.isna() & num.notna()
        rng, allowed = spec.get("range"), spec.get("values")
        if rng:
            outside = ok & ~num.between(rng[0], rng[1]).fillna(True)
            why[outside] = f"outside {rng[0]}..{rng[1]}"
        if allowed is not None:
            other = ok & why.isna() & ~num.isin([float(v) for v in allowed]).fillna(False)
            why[other] = f"not one of {allowed}"
        bad = why.notna()
        typed = typed.mask(bad)
        return (typed if kind == "integer" else typed.astype(float)), why
    if kind == "boolean":
        text = _text(values).str.lower()
        typed = pd.Series(pd.NA, index=values.index, dtype="boolean")
        typed[text.isin(TRUE_WORDS).fillna(False)] = True
        typed[text.isin(FALSE_WORDS).fillna(False)] = False
        none[present & typed.isna()] = "not true/false (yes/no, 1/0)"
        return typed, none
    if kind == "categorical":
        allowed = spec.get("values")
        if allowed is not None and all(isinstance(v, int | float) and not isinstance(v, bool) for v in allowed):
            num = _as_number(values, decimal)
            bad = present & ~num.isin([float(v) for v in allowed])
            typed = num.mask(bad)
            typed = typed.astype("Int64") if all(float(v).is_integer() for v in allowed) else typed
            none[bad] = f"not one of {allowed}"
            return typed, none
        text = _text(values)
        if allowed is None:
            return text.astype("category"), none
        bad = present & ~text.isin([str(v) for v in allowed]).fillna(False)
        typed = pd.Categorical(text.mask(bad), categories=[str(v) for v in allowed], ordered=bool(spec.get("ordered")))
        none[bad] = f"not one of {allowed}"
        return pd.Series(typed, index=values.index), none
    return values.astype("string"), none


def _show(value) -> str:
    """A value as the user typed it: 3.0 read into a float column shows as 3."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    text = str(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text):,} characters)"


def _fix_text(col: str, spec: dict, why: str) -> str:
    if why.startswith("too large for an integer") or why.startswith("too large to be read exactly"):
        return f"declare {col!r} `type: string` in the codebook if it is an id or a code; else correct the value"
    if why.startswith(("too large:", "too small:", "not a finite")):
        return f"correct the value, or list it under `missing_codes` for {col!r} if it is a missing-value code"
    if why.startswith("outside") or why.startswith("not one of"):
        return (f"correct the value, widen `range`/`values` of {col!r} in the codebook, or list it under "
                "`missing_codes` if it is a missing-value code")  # fmt: skip
    article = "an" if spec["type"][0] in "aeiou" else "a"
    return f"recode it to {article} {spec['type']} value or list it under `missing_codes` for {col!r}"


def _ids(frame: pd.DataFrame, variables: dict) -> pd.Series:
    id_col = next((c for c, s in variables.items() if s.get("role") == "id" and c in frame), None)
    if id_col is None:
        return pd.Series(np.full(len(frame), None, dtype=object), index=frame.index, dtype=object)
    return frame[id_col].map(lambda v: None if pd.isna(v) else _show(v)).astype(object)


def _numeric_categories(spec: dict) -> bool:
    """Whether a variable is categorical with numeric codes (``values: [1, 2, 3]``)."""
    allowed = spec.get("values")
    return spec.get("type") == "categorical" and allowed is not None and \
        all(isinstance(v, int | float) and not isinstance(v, bool) for v in allowed)  # fmt: skip


def _read_as_numbers(variables: dict) -> list[str]:
    """The columns a text file's reader may parse as numbers (`iter_table`'s ``numeric``): type
    ``integer`` or ``number`` or numeric categories, no ``na_values`` (text) and not the id (shown
    as written)."""
    return [c for c, s in variables.items() if (s.get("type") in ("integer", "number") or _numeric_categories(s))
            and not s.get("na_values") and s.get("role") != "id"]  # fmt: skip


def _typed_numbers(values: pd.Series, spec: dict, user_missing, floats_out: dict | None = None,
                   as_array: bool = False) -> tuple | None:
    """`_typed_column` of a column read as numbers (int64 or float64, NaN when empty) whose type is
    ``integer``, ``number`` or numeric categories: the same typed values, problems and shown values
    (both None when there is no problem), from whole-array operations. None when the column needs
    the general route (``na_values`` text, an infinity, or whole numbers beyond 2**53, read from
    their digits). `floats_out`: a dict that receives ``"values"`` (the numbers as read) and
    ``"missing"`` (where the typed value is missing), from which `analysis.data.ledger._as_floats`
    makes the floats. `as_array`: the typed values as an array (IntegerArray or float64), not a Series."""
    kind = spec["type"]
    if kind == "categorical" and _numeric_categories(spec):
        kind = "integer" if all(float(v).is_integer() for v in spec["values"]) else "number"
        spec = {"type": kind, "values": spec["values"], "missing_codes": spec.get("missing_codes", [])}
        fraction_text = f"not one of {spec['values']}"  # categories: any other value is "not one of"
    else:
        fraction_text = "not a whole number"
    if kind not in ("integer", "number") or values.dtype.kind not in "iuf" or spec.get("na_values"):
        return None
    x = values.to_numpy()  # int64 (no missing value) or float64 (NaN: missing)
    floats = x.dtype.kind == "f"
    if x.size:
        with np.errstate(invalid="ignore"):
            if floats and not np.fmax.reduce(np.abs(x), initial=0.0) < EXACT_FLOAT:  # fmax skips NaN
                return None
            if not floats and (x.max() >= EXACT_FLOAT or x.min() <= -EXACT_FLOAT):
                return None
    codes = list(spec.get("missing_codes", [])) + list(user_missing)
    ok, problem, texts, coded = _classify(x, kind, floats, spec, codes, fraction_text)
    index = values.index
    missing = ~ok
    if floats_out is not None:  # (a float array, or whole numbers that a float holds exactly)
        floats_out["values"], floats_out["missing"] = x, missing
    if kind == "integer":
        data = np.where(ok, x, 0) if floats or missing.any() else x.copy()
        typed = pd.arrays.IntegerArray(data.astype(np.int64, copy=False), missing)
    else:
        typed = np.where(ok, x, np.nan)
    if not as_array:
        typed = pd.Series(typed, index=index)
    if problem is None:
        return typed, None, None
    # texts by position: a take from the few texts is the same "string" Series, without a check per row
    problems = pd.Series(pd.array([pd.NA, *texts], dtype="string").take(problem.astype(np.intp)), index=index)
    shown = x.astype(float)  # the values after missing codes, as `_typed_column` shows them
    if coded is not None:
        shown[coded] = np.nan
    return typed, problems, pd.Series(shown, index=index)


def _classify(x: np.ndarray, kind: str, floats: bool, spec: dict, codes: list, fraction_text: str) -> tuple:
    """`_typed_numbers`' rules, value by value: (usable, problem code (0: none, k: ``texts[k - 1]``;
    None when no value has a problem), texts, missing-code mask or None)."""
    ok = ~np.isnan(x) if floats else np.ones(len(x), dtype=bool)
    coded = None
    if codes:  # text codes never equal a number (as in `_code_mask`)
        numeric = [float(c) for c in codes if not isinstance(c, dict) and _is_number(c)]
        coded = _equal_any(x, numeric)
        for c in codes:
            if isinstance(c, dict) and "range" in c:
                lo, hi = c["range"]
                with np.errstate(invalid="ignore"):
                    coded |= (x >= lo) & (x <= hi)
        ok &= ~coded
    problem = None  # made at the first problem
    texts = []

    def found(mask: np.ndarray, text: str) -> None:
        nonlocal problem
        if mask.any():
            texts.append(text)
            if problem is None:
                problem = np.zeros(len(x), dtype=np.int8)
            problem[mask] = len(texts)
            ok[mask] = False

    with np.errstate(invalid="ignore"):
        if kind == "integer" and floats:
            found(ok & (np.rint(x) != x), fraction_text)
        rng, allowed = spec.get("range"), spec.get("values")
        if rng:
            found(ok & ((x < rng[0]) | (x > rng[1])), f"outside {rng[0]}..{rng[1]}")
        if allowed is not None:
            found(ok & ~_equal_any(x, [float(v) for v in allowed]), f"not one of {allowed}")
    return ok, problem, texts, coded


def _equal_any(x: np.ndarray, numbers: list[float]) -> np.ndarray:
    """``np.isin(x, numbers)`` (numbers: floats): a comparison per number for a short list."""
    if len(numbers) > 8:
        return np.isin(x, numbers)
    out = np.zeros(len(x), dtype=bool)
    whole = x.dtype.kind in "iu"  # (|x| < 2**53 here: an int64 equals a float iff it equals its int)
    for v in numbers:
        if whole and float(v).is_integer() and abs(v) < EXACT_FLOAT:
            out |= x == int(v)
        elif not whole or not np.isnan(v):
            out |= x == v
    return out


def _after_codes(values: pd.Series, spec: dict, user_missing) -> pd.Series:
    """A column read as numbers, missing codes set to NaN (the values `_typed_column` shows)."""
    x = values.to_numpy(dtype=float)
    codes = list(spec.get("missing_codes", [])) + list(user_missing)
    coded = _code_mask(pd.Series(x, index=values.index), pd.Series(x, index=values.index), codes)
    return pd.Series(np.where(coded.to_numpy(), np.nan, x), index=values.index)


def _typed_column(values: pd.Series, spec: dict, decimal: str | None, user_missing,
                  floats_out: dict | None = None, as_array: bool = False) -> tuple:
    """(typed values, why each is a problem or NA (None: no problem), the values after missing
    codes) of one column.

    Survey columns hold few distinct values (answers 1-7, categories), so the work is done once
    per distinct value (`pandas.factorize`) and spread back to the rows. A column read as numbers
    (`iter_table`'s ``numeric``) is typed with whole-array operations instead (`_typed_numbers`)."""
    fast = _typed_numbers(values, spec, user_missing, floats_out, as_array)
    if fast is not None:
        return fast
    codes, uniques = pd.factorize(values.to_numpy(dtype=object) if values.dtype == object else values.to_numpy())
    distinct = pd.Series(uniques, dtype=object if values.dtype == object else None)
    na_values = spec.get("na_values")
    if na_values:
        distinct = distinct.mask(_text(distinct).isin([str(v) for v in na_values]).fillna(False))
    missing = list(spec.get("missing_codes", [])) + list(user_missing)
    if missing:
        distinct = distinct.mask(_code_mask(distinct, _as_number(distinct, decimal), missing))
    converted, why = _convert(distinct, spec, decimal)

    def spread(series: pd.Series) -> pd.Series:
        return pd.Series(series.array.take(codes, allow_fill=True), index=values.index)

    return spread(converted), None if why.isna().all() else spread(why), spread(distinct)


def check_table(raw, *, table: str, variables: dict, exclusions: dict | None = None, strict: bool = False,
                keep_rows: bool = True, design: dict | None = None) -> TableCheck:  # fmt: skip
    """Type every variable, log problems, apply exclusions and build the ledger of one table.

    Parameters
    ----------
    raw : RawTable or iterable of RawTable
        The file as read by `analysis.data.readers.read_table`, or its chunks from
        `analysis.data.readers.iter_table` (identifying columns already dropped).
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
    keep_rows : bool, default True
        False: check only; ``frame`` is returned with its columns but no rows, so memory grows
        with the columns and the chunk size, not with the rows (``connlab validate``).
    design : dict, optional
        The table's ``design`` block (``nest``, ``lonely_psu``; see docs/codebook.md).

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
    as text. Integers are read exactly (digit strings never pass through a float); a value too
    large for a 64-bit integer or float, or so small that it underflows to 0, is a problem, not
    a changed value. A value that does not fit its type, ``range`` or ``values`` is a problem: missing
    in lenient mode, an excluded row in strict mode. The exclusion rules then run in the order
    of ``analysis.data.ledger.EXCLUSION_REASONS``; the first that applies is the row's reason.
    Sample design (roles ``weight``, ``strata``, ``psu``, ``fpc``): a row whose weight is
    missing, not a number, zero, negative or infinite, or whose stratum, PSU or fpc is missing,
    is a problem and is excluded (reason ``invalid_design``) in both modes; among the analysed
    rows, a PSU in two strata (without ``design: {nest: true}``) and, under ``lonely_psu: fail``,
    each stratum with a single PSU is a problem of the table (the rows stay).

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
    checker = _TableChecker(table, variables, exclusions or {}, strict, keep_rows, design)
    for chunk in [raw] if isinstance(raw, RawTable) else raw:
        checker.add(chunk)
    return checker.finish()


class _TableChecker:
    """`check_table` chunk by chunk: each chunk is typed and checked and its row rules applied;
    the rules over the whole table (duplicate ids, incomplete dyads) run in `finish` on the few
    columns kept for them."""

    def __init__(self, table, variables, exclusions, strict, keep_rows, design=None):
        self.table, self.variables, self.rules, self.strict = table, variables, exclusions, strict
        self.design = _design.design_columns(variables, design)
        self.design_roles = _design.design_roles(self.design)
        self.keep_rows = keep_rows
        self.key = _duplicate_key(variables)
        dyad = [c for c, s in variables.items() if s.get("role") == "dyad_id"]
        self.dyad = dyad[0] if dyad and exclusions.get("complete_dyads") else None
        self.frames, self.problems, self.parts, self.columns = [], [], [], None
        self.raw = None

    def add(self, raw: RawTable) -> None:
        source = raw.frame
        n = len(source)
        index = pd.RangeIndex(raw.first_row, raw.first_row + n, name="row")
        source = source.set_axis(index)
        if self.raw is None:
            self.raw = raw
            missing_cols = [c for c in self.variables if c not in source.columns]
            if missing_cols:
                raise DataError(
                    f"{raw.path} (table {self.table!r}) has no column "
                    f"{', '.join(_show(repr(c)) for c in missing_cols[:10])} that its "
                    "codebook lists. Fix the column name in the file or in the codebook."
                )
        lines = pd.Series(index.to_numpy() + raw.format.header_rows if raw.lines is None else list(raw.lines),
                          index=index)  # as `raw.line(row)`
        ids = _ids(source, self.variables)
        typed = {}
        item_floats = {}  # item columns typed as numbers: their values as floats, for the row rules
        items = {c for c, s in self.variables.items() if s.get("role") == "item"}
        bad_rows = pd.Series(False, index=index)
        design_bad = pd.Series(False, index=index)
        row_details = pd.Series(pd.NA, index=index, dtype="string")
        for col in source.columns:
            spec = self.variables.get(col)
            if spec is None:
                typed[col] = source[col].astype("string")
                continue
            values = source[col]
            floats = {} if col in items else None
            role = self.design_roles.get(col)
            converted, why, shown = _typed_column(values, spec, raw.format.decimal, raw.user_missing.get(col, []),
                                                  floats, as_array=not role)  # fmt: skip
            typed[col] = converted  # a Series, or an array of the fast route (rows in `index` order)
            if floats:
                item_floats[col] = (floats["values"], floats["missing"])
            if role:
                if why is None:
                    why = pd.Series(pd.NA, index=index, dtype="string")
                why = _design.value_problems(role, converted, why)
                design_bad |= why.notna()
                details = why.map(lambda w, c=col: f"{c}: {w}" if isinstance(w, str) else pd.NA)
                row_details = row_details.mask(row_details.isna() & why.notna(), details)
            if why is None:
                continue
            bad = why.notna()
            if bad.any():
                bad_rows |= bad if not role else False
                rows = bad[bad].index
                if shown is None:  # `_typed_numbers` found no problem: the design check did
                    shown = _after_codes(values, spec, raw.user_missing.get(col, []))
                if raw.cells is not None and values.dtype.kind in "iuf":  # read as a number: show its text
                    text = pd.Series(raw.cells(col, rows), index=rows, dtype=object)
                    shown = text.where(shown[rows].notna(), None)
                self.problems.append(pd.DataFrame({
                    "file": str(raw.path), "table": self.table, "column": col, "row": rows.astype(int),
                    "line": lines[rows].astype(int).to_numpy(), "id": ids[rows].to_numpy(),
                    "value": ["(missing)" if pd.isna(v) else _show(v) for v in shown[rows]],
                    "problem": why[rows].astype(object).to_numpy(),
                    "fix": [_design.value_fix(col, role) if role else _fix_text(col, spec, w) for w in why[rows]],
                    "action": "row excluded (invalid_design)" if role else
                    "row excluded (strict)" if self.strict else "set to missing",
                }, columns=PROBLEM_COLUMNS))  # fmt: skip
        frame = pd.DataFrame(typed, index=index, copy=False)
        row_reasons = pd.Series(pd.NA, index=index, dtype="string")
        row_reasons[design_bad] = "invalid_design"
        row_details = row_details.where(design_bad)
        _row_exclusions(frame, self.variables, self.rules, row_reasons, row_details, floats=item_floats)
        part = pd.DataFrame({"line": lines.astype("int64"), "id": ids, "bad": bad_rows,
                             "row_reason": row_reasons, "row_detail": row_details}, index=index)  # fmt: skip
        for col in self.key + ([self.dyad] if self.dyad else []):
            part["key:" + col] = frame[col]
        for col in self._structure_columns():
            part["design:" + col] = frame[col]
        self.parts.append(part)
        self.columns = frame.iloc[:0]
        if self.keep_rows:
            self.frames.append(frame)

    def _structure_columns(self) -> list[str]:
        """The columns the design's structure checks need: strata, first-stage PSU and fpc."""
        d = self.design
        return list(dict.fromkeys(c for c in (d.get("strata"), *_design._as_list(d.get("psu"))[:1],
                                              *_design._as_list(d.get("fpc"))[:1]) if c))  # fmt: skip

    def _structure_problems(self, parts: pd.DataFrame, kept: np.ndarray) -> None:
        """A PSU in two strata, strata with one PSU (lonely_psu: fail), among the analysed rows."""
        d = self.design
        if not d.get("strata"):
            return
        cols = self._structure_columns()
        frame = parts.loc[kept, ["design:" + c for c in cols]].set_axis(cols, axis=1)
        found = _design.structure_problems(frame, strata=d["strata"], psu=_design._as_list(d["psu"])[:1][0]
                                           if d.get("psu") else None,
                                           fpc=(_design._as_list(d["fpc"]) or [None])[0], nest=d["nest"],
                                           lonely_psu=d["lonely_psu"], table=self.table)  # fmt: skip
        for pos, col, value, problem, fix in found:
            row = frame.index[pos]
            self.problems.append(pd.DataFrame([{
                "file": str(self.raw.path), "table": self.table, "column": col, "row": int(row),
                "line": int(parts.at[row, "line"]), "id": parts.at[row, "id"], "value": value, "problem": problem,
                "fix": fix, "action": "reported (survey_design stops until it is fixed)"}],
                columns=PROBLEM_COLUMNS))  # fmt: skip

    def finish(self) -> TableCheck:
        parts = pd.concat(self.parts) if len(self.parts) > 1 else self.parts[0]
        index = parts.index
        reasons = pd.Series(pd.NA, index=index, dtype="string")
        details = pd.Series(pd.NA, index=index, dtype="string")
        if self.strict:
            reasons[parts["bad"]] = "invalid_value"
            details[parts["bad"]] = "see the problems list"
        keys = parts[["key:" + c for c in self.key]].set_axis(self.key, axis=1) if self.key else None
        dyads = parts["key:" + self.dyad] if self.dyad else None
        _table_exclusions(keys, dyads, self.variables, self.rules, reasons, details,
                          parts["row_reason"], parts["row_detail"])  # fmt: skip
        analysed = reasons.isna().to_numpy()
        if self.design:
            self._structure_problems(parts, analysed)
        # the text columns as takes from their few values: the same "str" columns as inferred from
        # the values, without a check of every row
        words = pd.Series([self.table, "analysed", "excluded"]).array
        ledger = pd.DataFrame(dict(zip(LEDGER_COLUMNS, (
            words.take(np.zeros(len(index), dtype=np.intp)), index.to_numpy(), parts["line"].to_numpy(),
            parts["id"].to_numpy(), words.take(np.where(analysed, 1, 2)), reasons.array, details.array),
            strict=True)))  # fmt: skip
        frame = self.columns
        if self.keep_rows:
            frame = pd.concat(self.frames) if len(self.frames) > 1 else self.frames[0]
            for col, spec in self.variables.items():  # chunks each had their own categories
                if len(self.frames) > 1 and spec.get("type") == "categorical" and spec.get("values") is None:
                    frame[col] = frame[col].astype("string").astype("category")
        problems = pd.concat(self.problems, ignore_index=True) if self.problems else \
            pd.DataFrame(columns=PROBLEM_COLUMNS)  # fmt: skip
        return TableCheck(frame, problems, ledger, analysed_rows=analysed)


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
