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

from .exceptions import DataError
from .readers import RawTable

__all__ = ["ValidationError", "TableCheck", "check_table", "flow", "summarize_problems", "EXCLUSION_REASONS",
           "PROBLEM_COLUMNS"]

PROBLEM_COLUMNS = ["file", "table", "column", "row", "line", "id", "value", "problem", "fix", "action"]
LEDGER_COLUMNS = ["table", "row", "line", "id", "status", "reason", "detail"]
#: exclusion reasons in the order they are applied (the CONSORT flow order)
EXCLUSION_REASONS = {
    "invalid_value": "invalid value (strict mode)",
    "duplicate_id": "duplicate id",
    "attention_check": "failed attention check",
    "speeder": "speeder (completed too fast)",
    "straight_lining": "straight-lining",
    "too_many_missing": "too many missing items",
    "incomplete_dyad": "incomplete dyad (partner has no row)",
}
TRUE_WORDS, FALSE_WORDS = {"true", "yes", "1", "y", "t"}, {"false", "no", "0", "n", "f"}


class ValidationError(DataError):
    """Strict validation found problems; `.problems` and `.ledger` hold them all."""

    def __init__(self, message: str, problems: pd.DataFrame, ledger: pd.DataFrame):
        super().__init__(message)
        self.problems = problems
        self.ledger = ledger


@dataclass(frozen=True)
class TableCheck:
    """A checked table: every row read (typed), the problems found, and the row ledger."""

    frame: pd.DataFrame
    problems: pd.DataFrame
    ledger: pd.DataFrame

    @property
    def analysed(self) -> pd.DataFrame:
        return self.frame[(self.ledger["status"] == "analysed").to_numpy()]

    @property
    def excluded(self) -> pd.DataFrame:
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
        typed = pd.Categorical(text.mask(bad), categories=[str(v) for v in allowed])
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
        The file as read by `analysis.readers.read_table`.
    table : str
        Table name (for messages and the ledger).
    variables : dict
        The codebook's variables of this table.
    exclusions : dict, optional
        The codebook's exclusion rules (see docs/codebook.md).
    strict : bool, default False
        Strict: a row with an invalid value is excluded (reason ``invalid_value``) and the caller
        raises. Lenient: the invalid value becomes missing and the row stays.

    Returns
    -------
    TableCheck
        ``frame`` (every row read, typed; index = data row number from 1; ``.analysed`` and
        ``.excluded`` split it by the ledger), ``problems`` (one row per
        problem: file, table, column, row, line, id, value, problem, fix, action) and ``ledger``
        (one row per input row: table, row, line, id, status, reason, detail).
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


def _mark(reasons, details, mask, reason, detail):
    new = mask & reasons.isna()
    reasons[new] = reason
    details[new] = detail


def _apply_exclusions(frame, variables, rules, reasons, details) -> None:
    """Mark excluded rows in `reasons` (first reason wins, in EXCLUSION_REASONS order)."""
    role = {r: [c for c, s in variables.items() if s.get("role") == r] for r in
            ("id", "day", "attention_check", "duration", "item", "dyad_id")}  # fmt: skip
    policy = rules.get("duplicate_id", "keep_first")
    if role["id"] and policy != "none":
        key = role["id"][:1] + role["day"][:1]  # person-period tables: one row per (id, day)
        dup = frame.duplicated(subset=key, keep="first" if policy == "keep_first" else False)
        dup &= frame[key].notna().all(axis=1)
        _mark(reasons, details, dup, "duplicate_id", f"({', '.join(key)}) appears more than once")
    if rules.get("attention_check", True):
        for col in role["attention_check"]:
            correct = variables[col].get("correct")
            if correct is None:
                continue
            ok = frame[col].isin(correct if isinstance(correct, list) else [correct]).fillna(False)
            _mark(reasons, details, ~ok, "attention_check", f"{col} not answered as instructed ({correct})")
    if rules.get("min_duration") is not None and role["duration"]:
        col = role["duration"][0]
        fast = (frame[col] < rules["min_duration"]).fillna(False)
        _mark(reasons, details, fast, "speeder", f"{col} below {rules['min_duration']} s")
    items_by_ins: dict[str, list[str]] = {}
    for col in role["item"]:
        items_by_ins.setdefault(str(variables[col].get("instrument", "items")), []).append(col)
    if rules.get("straight_lining"):
        need = int(rules["straight_lining"])
        for ins, cols in items_by_ins.items():
            if len(cols) < need or not _has_reverse_items(ins, [variables[c].get("item") for c in cols]):
                continue
            block = frame[cols].astype(float).to_numpy()
            answered = (~np.isnan(block)).sum(axis=1)
            with np.errstate(invalid="ignore"):
                same = (answered >= need) & (np.nanmax(np.where(answered[:, None] > 0, block, 0), axis=1)
                                             == np.nanmin(np.where(answered[:, None] > 0, block, 0), axis=1))  # fmt: skip
            same = pd.Series(same, index=frame.index)
            _mark(reasons, details, same, "straight_lining", f"same answer to all {len(cols)} {ins} items")
    if rules.get("max_missing_items") is not None and role["item"]:
        share = frame[role["item"]].isna().mean(axis=1)
        many = share > float(rules["max_missing_items"])
        _mark(reasons, details, many, "too_many_missing", f"more than {rules['max_missing_items']:.0%} of items missing")
    if rules.get("complete_dyads") and role["dyad_id"]:
        dyad = frame[role["dyad_id"][0]]
        kept = reasons.isna()
        sizes = dyad[kept].value_counts()
        lone = dyad.map(sizes).fillna(0) < 2
        _mark(reasons, details, lone, "incomplete_dyad", "no analysed partner row in this dyad")


def _has_reverse_items(instrument: str, item_ids: list) -> bool:
    """Identical answers to every item are only inconsistent when some items are reverse keyed
    (a satisfied person may answer 7 to all 18 PRQC items). Unknown instruments: assume so."""
    from .exceptions import InstrumentError
    from .scales import load_instrument

    try:
        ins = load_instrument(instrument)
    except InstrumentError:
        return True
    reverse = {i.id for i in ins.items if i.reverse}
    return any(str(item) in reverse for item in item_ids)


def flow(ledger: pd.DataFrame) -> pd.DataFrame:
    """CONSORT-style flow of a ledger: rows read, each exclusion step, rows analysed.

    Returns
    -------
    pandas.DataFrame
        One row per table and step: ``table``, ``step``, ``excluded`` (rows removed at this
        step), ``remaining``. The last step of each table is ``analysed``; for every table
        rows read = analysed + the sum of exclusions.
    """
    rows = []
    for table, part in ledger.groupby("table", sort=False):
        remaining = len(part)
        rows.append({"table": table, "step": "rows read", "excluded": 0, "remaining": remaining})
        for reason, label in EXCLUSION_REASONS.items():
            n = int((part["reason"] == reason).sum())
            if n:
                remaining -= n
                rows.append({"table": table, "step": label, "excluded": n, "remaining": remaining})
        rows.append({"table": table, "step": "analysed", "excluded": 0, "remaining": int((part["status"] == "analysed").sum())})
    return pd.DataFrame(rows, columns=["table", "step", "excluded", "remaining"])


def summarize_problems(problems: pd.DataFrame) -> pd.DataFrame:
    """Problems grouped by table, column and kind.

    Returns
    -------
    pandas.DataFrame
        ``table``, ``column``, ``problem``, ``n`` (values affected), ``first_line`` (file line of
        the first), ``example`` (its value), ``action`` and ``fix``; most frequent first.
    """
    cols = ["table", "column", "problem", "n", "first_line", "example", "action", "fix"]
    if problems.empty:
        return pd.DataFrame(columns=cols)
    grouped = problems.groupby(["table", "column", "problem"], sort=False)
    out = grouped.agg(n=("row", "size"), first_line=("line", "min"), example=("value", "first"),
                      action=("action", "first"), fix=("fix", "first")).reset_index()  # fmt: skip
    return out.sort_values("n", ascending=False, kind="stable")[cols].reset_index(drop=True)
