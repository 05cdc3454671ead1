"""Shared input checks used at the top of public functions."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import pandas as pd

from analysis.exceptions import DataError, ParameterError


def _require_columns(data: pd.DataFrame, columns: Iterable[str], *, what: str = "data") -> None:
    """Raise DataError naming every column of `columns` absent from `data`."""
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"`{what}` must be a pandas DataFrame, but {type(data).__name__} was passed.")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        shown = ", ".join(repr(c) for c in missing)
        have = ", ".join(repr(c) for c in list(data.columns)[:12])
        more = " ..." if data.shape[1] > 12 else ""
        raise DataError(
            f"{what} has no column {shown}. Columns present: {have}{more}. "
            "Check the spelling or the codebook's variable names."
        )


def _check_one_of(param: str, value, options: Sequence) -> None:
    """Raise ParameterError unless `value` is one of `options`."""
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ParameterError(f"The value for `{param}` must be one of {listed}, but {value!r} was passed.")


def _as_list(value) -> list:
    """A column name or a sequence of them, as a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _check_level(param: str, value) -> None:
    """Raise ParameterError unless `value` is a number strictly between 0 and 1 (a CI level
    ``ci=0.95``, a power, a significance level)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ParameterError(f"The value for `{param}` must be a number between 0 and 1 (e.g. 0.95), but {value!r} "
                             "was passed.")  # fmt: skip


def _require_numeric(data: pd.DataFrame, columns: Iterable[str]) -> None:
    """Raise DataError naming the first of `columns` that is not numeric (booleans are not)."""
    for c in columns:
        if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c]):
            raise DataError(f"Column {c!r} must be numeric, but it has dtype {data[c].dtype}. "
                            "Convert it (e.g. with pd.to_numeric) or choose another column.")  # fmt: skip
