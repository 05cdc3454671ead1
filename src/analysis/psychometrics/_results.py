"""Pieces shared by the psychometric result classes (`EFAResult`, `OmegaResult`, `CFAResult`,
`ParallelResult`, `MAPResult`): the rows a model leaves out (``.excluded``) and the words and
fit statistics of their APA sentences and table notes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.apa import format_ci, format_p, format_stat, format_value
from analysis.psychometrics._sem_ml import _row_keys

EXCLUDED_COLUMNS = ["row", "reason"]
_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
METHOD_WORDS = {"minres": "minimum residual", "ml": "maximum likelihood"}


def _excluded(data: pd.DataFrame, items: list[str], missing: str, group: str | None = None, *,
              miss: np.ndarray | None = None) -> pd.DataFrame:
    """Rows of `data` a model leaves out, one per row: ``row`` (index label) and ``reason``.

    ``missing="listwise"`` leaves out every row with a missing item; ``"pairwise"`` and
    ``"fiml"`` only the rows with every item missing. A row with a missing `group` is left out
    too. Rows with the same gaps share one reason (computed once per pattern). `miss`: the items'
    missing cells (``data[items].isna()`` as an array) when the caller has them.
    """
    if miss is None:
        miss = data[items].isna().to_numpy()
    none = miss.all(axis=1)
    drop = miss.any(axis=1) if missing == "listwise" else none
    gmiss = data[group].isna().to_numpy() if group is not None else np.zeros(len(data), dtype=bool)
    bad = np.flatnonzero(drop | gmiss)
    if not bad.size:
        return pd.DataFrame({"row": pd.Series(dtype=data.index.dtype), "reason": pd.Series(dtype=object)})
    keys = np.column_stack([gmiss[bad], drop[bad], none[bad], miss[bad] & drop[bad, None]])
    _, first, inverse = np.unique(_row_keys(keys), return_index=True, return_inverse=True)  # rows' patterns
    texts = []
    for g, d, n, *cells in keys[first]:
        parts = [f"missing value in {group}"] if g else []
        if d and n:
            parts.append("no item answered")
        elif d:
            parts.append("missing value in " + ", ".join(i for i, m in zip(items, cells, strict=True) if m))
        texts.append("; ".join(parts))
    reasons = np.array(texts, dtype=object)[np.ravel(inverse)]
    return pd.DataFrame({"row": data.index[bad], "reason": reasons})


def _word(k: int) -> str:
    """APA words for numbers below 10 (``"two"``), digits from 10 on."""
    k = int(k)
    return _WORDS[k] if 0 <= k < len(_WORDS) else f"{k:,}"


def _percent(x: float) -> str:
    return f"{format_value(100 * x, 1)}%"


def _chi_square(chi_square: float, df: float, p_value: float) -> str:
    """``χ²(19) = 23.66, p = .210``."""
    return f"χ²({df:.0f}) = {format_value(chi_square)}, {format_p(p_value)}"


def _rmsea(rmsea: float, low: float, high: float, level: float) -> str:
    """``RMSEA = .05, 90% CI [.00, .11]``."""
    return f"{format_stat('RMSEA', rmsea, bounded=True)}, {format_ci(low, high, level=level, bounded=True)}"


def _excluded_text(n: int, excluded: pd.DataFrame) -> str:
    """``n = 102`` or ``n = 102, 15 rows with missing values excluded``."""
    k = len(excluded)
    return f"n = {n:,}" + (f", {k:,} row{'s' if k != 1 else ''} with missing values excluded" if k else "")
