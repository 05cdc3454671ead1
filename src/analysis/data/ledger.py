"""The row ledger: exclusion rules (failed attention checks, speeders, straight-lining, too many
missing items, incomplete dyads), the ledger's layout and the CONSORT-style flow of rows.

`analysis.data.validate.check_table` applies the rules to each table; `flow` summarises a ledger.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["flow"]
LEDGER_COLUMNS = ["table", "row", "line", "id", "status", "reason", "detail"]
#: exclusion reasons in the order they are applied (the CONSORT flow order)
EXCLUSION_REASONS = {
    "invalid_value": "invalid value (strict mode)",
    "duplicate_id": "duplicate id",
    "invalid_design": "invalid design value (weight, stratum, PSU or fpc)",
    "attention_check": "failed attention check",
    "speeder": "speeder (completed too fast)",
    "straight_lining": "straight-lining",
    "too_many_missing": "too many missing items",
    "incomplete_dyad": "incomplete dyad (partner has no row)",
}


def _mark(reasons, details, mask, reason, detail):
    new = (mask & reasons.isna()).to_numpy()
    if new.any():
        reasons[new] = reason
        details[new] = detail


def _role_columns(variables: dict) -> dict[str, list[str]]:
    return {r: [c for c, s in variables.items() if s.get("role") == r] for r in
            ("id", "day", "attention_check", "duration", "item", "dyad_id")}  # fmt: skip


def _duplicate_key(variables: dict) -> list[str]:
    """Columns that identify a row: the id, and the day in person-period tables."""
    role = _role_columns(variables)
    return role["id"][:1] + role["day"][:1] if role["id"] else []


def _row_exclusions(frame, variables, rules, reasons, details, floats: dict | None = None) -> None:
    """Mark the rules that need only the row itself (attention check, speeder, straight-lining,
    too many missing items), first reason wins, in EXCLUSION_REASONS order. `frame` may be a chunk;
    `floats`: item columns already as float arrays (see `_as_floats`)."""
    role = _role_columns(variables)
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
    block = missing = missing_counts = None  # the item columns as one float array and where they are missing
    if rules.get("straight_lining") or (rules.get("max_missing_items") is not None and role["item"]):
        block, missing = _as_floats(frame, role["item"], floats)
    if rules.get("straight_lining"):
        need = int(rules["straight_lining"])
        position = {c: j for j, c in enumerate(role["item"])}
        for ins, cols in items_by_ins.items():
            if len(cols) < need or not _has_reverse_items(ins, [variables[c].get("item") for c in cols]):
                continue
            where = [position[c] for c in cols]
            whole = where == list(range(block.shape[1]))
            sub = block if whole else block[:, where]
            if floats and all(c in floats for c in cols):  # numbers: NaN exactly where missing
                gaps = missing_counts if whole and missing_counts is not None else \
                    (missing if whole else missing[:, where]).sum(axis=1)  # fmt: skip
                if whole:
                    missing_counts = gaps
            else:
                gaps = np.isnan(sub).sum(axis=1)  # (a text item's unreadable answer counts as not given)
            answered = len(cols) - gaps
            with np.errstate(invalid="ignore"):  # fmax/fmin skip missing answers
                same = (answered >= need) & (np.fmax.reduce(sub, axis=1) == np.fmin.reduce(sub, axis=1))
            same = pd.Series(same, index=frame.index)
            _mark(reasons, details, same, "straight_lining", f"same answer to all {len(cols)} {ins} items")
    if rules.get("max_missing_items") is not None and role["item"]:
        # (the count of missing items over their number: their mean, to the last bit)
        counts = missing_counts if missing_counts is not None else missing.sum(axis=1)
        share = pd.Series(counts / missing.shape[1], index=frame.index)
        many = share > float(rules["max_missing_items"])
        _mark(reasons, details, many, "too_many_missing",
              f"more than {rules['max_missing_items']:.0%} of items missing")  # fmt: skip


def _as_floats(frame: pd.DataFrame, cols: list[str], known: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(values, missing) of columns of `frame`, rows x columns: the values as floats (NaN where
    missing or, in a text column, not a number) and where the value is missing. `known`: columns
    typed as numbers, as (numbers as read, missing) arrays (`analysis.data.validate._typed_numbers`)."""
    values = np.empty((len(frame), len(cols)), order="F")  # filled column by column
    missing = np.empty((len(frame), len(cols)), dtype=bool, order="F")
    for j, col in enumerate(cols):
        if known and col in known:
            numbers, gone = known[col]
            values[:, j] = numbers
            values[np.flatnonzero(gone), j] = np.nan  # (few: faster than a copy `where=gone`)
            missing[:, j] = gone
            continue
        column = frame[col]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            values[:, j] = column.to_numpy(dtype=float, na_value=np.nan)
            missing[:, j] = np.isnan(values[:, j])
        else:
            values[:, j] = pd.to_numeric(column.astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            missing[:, j] = column.isna().to_numpy()
    return values, missing


def _table_exclusions(keys, dyads, variables, rules, reasons, details, row_reasons, row_details) -> None:
    """Mark every rule in EXCLUSION_REASONS order over the whole table, after the invalid values
    (already in `reasons`): duplicate ids (`keys`: the id and day columns of every row), then the
    row rules found chunk by chunk (`row_reasons`), then incomplete dyads (`dyads`: the dyad id of
    every row, or None)."""
    policy = rules.get("duplicate_id", "keep_first")
    if keys is not None and keys.shape[1] and policy != "none":
        dup = keys.duplicated(keep="first" if policy == "keep_first" else False)
        dup &= keys.notna().all(axis=1)
        _mark(reasons, details, dup, "duplicate_id", f"({', '.join(keys.columns)}) appears more than once")
    fill = (reasons.isna() & row_reasons.notna()).to_numpy()  # (all three share the rows' index)
    if fill.any():
        reasons[fill] = row_reasons.array[fill]
        details[fill] = row_details.array[fill]
    if rules.get("complete_dyads") and dyads is not None:
        kept = reasons.isna()
        sizes = dyads[kept].value_counts()
        lone = dyads.map(sizes).fillna(0) < 2
        _mark(reasons, details, lone, "incomplete_dyad", "no analysed partner row in this dyad")


def _has_reverse_items(instrument: str, item_ids: list) -> bool:
    """Identical answers to every item are only inconsistent when some items are reverse keyed
    (a satisfied person may answer 7 to all 18 PRQC items). Unknown instruments: assume so."""
    from analysis.data.instrument_library import load_instrument
    from analysis.exceptions import InstrumentError

    try:
        ins = load_instrument(instrument)
    except InstrumentError:
        return True
    reverse = {i.id for i in ins.items if i.reverse}
    return any(str(item) in reverse for item in item_ids)


def flow(ledger: pd.DataFrame) -> pd.DataFrame:
    """Count the CONSORT-style flow of a row ledger: rows read, each exclusion step, rows analysed.

    Parameters
    ----------
    ledger : pandas.DataFrame
        A row ledger (``Dataset.ledger``): one row per row read, with ``table``, ``status``
        (``analysed`` or ``excluded``) and ``reason``.

    Returns
    -------
    pandas.DataFrame
        One row per table and step, tables in ledger order: ``table``, ``step`` (``"rows
        read"``, then each exclusion reason that removed rows, in the order the rules are
        applied, then ``"analysed"``), ``excluded`` (rows removed at this step) and
        ``remaining`` (rows left after it). For every table, rows read = analysed + the sum of
        ``excluded``.

    See Also
    --------
    load_dataset : Makes the ledger.
    sample_overview : Counts persons, couples and days of the analysed rows.

    Notes
    -----
    Steps, in order: invalid value (strict mode), duplicate id, failed attention check, speeder
    (completed too fast), straight-lining, too many missing items, incomplete dyad. Each row has
    at most one reason (the first rule that applies), so the steps never count a row twice.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import flow
    >>> ledger = pd.DataFrame({"table": "survey", "status": ["analysed", "excluded", "analysed", "excluded"],
    ...                        "reason": [None, "duplicate_id", None, "speeder"]})
    >>> flow(ledger)
        table                          step  excluded  remaining
    0  survey                     rows read         0          4
    1  survey                  duplicate id         1          3
    2  survey  speeder (completed too fast)         1          2
    3  survey                      analysed         0          2
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
        analysed = int((part["status"] == "analysed").sum())
        rows.append({"table": table, "step": "analysed", "excluded": 0, "remaining": analysed})
    return pd.DataFrame(rows, columns=["table", "step", "excluded", "remaining"])
