"""Instruments (read from YAML data files) and scale scoring.

An instrument file (see ``instruments/SCHEMA.md``) holds the items, response ranges,
reverse keys, scores, scoring rule, cutoffs and citation; nothing about an instrument is
written in code.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis._checks import _require_columns
from analysis.data.instrument_library import Instrument, Item, load_instrument
from analysis.exceptions import AnalysisWarning, DataError, InstrumentError, ParameterError

__all__ = ["score_scale", "score_instruments", "score_dataset", "score_categories", "keyed_items", "subscale_items", "keyed_instruments"]


def _item_columns(ins: Instrument, columns) -> dict[str, str]:
    if columns is None:
        return {i: f"{ins.id}_{i}" for i in ins.item_ids}
    if isinstance(columns, Mapping):
        mapping = {str(k): str(v) for k, v in columns.items()}
    elif isinstance(columns, Sequence) and not isinstance(columns, str):
        if len(columns) != len(ins.items):
            raise ParameterError(
                f"`columns` lists {len(columns)} columns but {ins.id} has {len(ins.items)} items; "
                "pass one column per item in published order, or a dict {item id: column}."
            )
        mapping = dict(zip(ins.item_ids, columns, strict=True))
    else:
        raise ParameterError(f"`columns` must be a dict or a list of column names, not {type(columns).__name__}.")
    unknown = [k for k in mapping if k not in ins.item_ids]
    if unknown:
        raise ParameterError(f"`columns` names items {unknown} that {ins.id} does not have.")
    return mapping


def score_scale(
    data: pd.DataFrame,
    *,
    instrument: str | Instrument,
    columns: Mapping[str, str] | Sequence[str] | None = None,
    min_answered: float = 0.8,
    ranges: Mapping[str, Sequence[float]] | None = None,
) -> pd.DataFrame:
    """Score an instrument: reverse keying, then subscale and total scores with prorating.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, item responses as numbers (missing as NaN).
    instrument : str or Instrument
        Instrument id (``"ecr_s"``) or a loaded :class:`Instrument`.
    columns : dict or list of str, optional
        Where each item is: ``{item id: column}``, or a list of columns in published item
        order. Default: columns named ``<instrument id>_<item id>``. A score whose items are
        not all mapped is skipped.
    min_answered : float, default 0.8
        Prorating rule: a score is computed only if at least this proportion of its items
        is answered; otherwise it is missing.
    ranges : dict, optional
        ``{column: [min, max]}``: the response range actually used by the data, when it differs
        from the published one (e.g. a 5-point online ECR: reverse keying is then 6 - x).
        Default: each item's range from the instrument file.

    Returns
    -------
    pandas.DataFrame
        Same index as `data`; one column per score, named ``<instrument id>_<score>``: the
        mean or sum (the instrument's ``scoring``) of the reverse-keyed items.

    Raises
    ------
    DataError
        If an item column is missing or holds a value outside the item's response range
        (the message names the column, the row and the value).

    Notes
    -----
    Reverse-keyed items are scored ``(min + max) - x`` from each item's own range. Prorating:
    a missing item of a scored respondent is imputed at the respondent's mean position on
    the answered items, ``min_j + p (max_j - min_j)`` with ``p`` the mean of
    ``(x_i - min_i) / (max_i - min_i)``; with equal ranges this is the person mean, so a
    mean score is the mean of the answered items and a sum is that mean times the number
    of items (Schafer & Graham, 2002, on person-mean imputation). With
    complete data the scores equal ``psych::scoreItems(keys, totals = scoring == "sum")``.
    """
    ins = instrument if isinstance(instrument, Instrument) else load_instrument(instrument)
    if not 0 < min_answered <= 1:
        raise ParameterError(f"`min_answered` must be in (0, 1], but {min_answered!r} was passed.")
    mapping = _item_columns(ins, columns)
    _require_columns(data, mapping.values())
    item_ids, cols = list(mapping), list(mapping.values())
    items = []
    for item_id, col in mapping.items():
        item = ins.item(item_id)
        if ranges and col in ranges:
            item = Item(item.id, float(ranges[col][0]), float(ranges[col][1]), item.reverse, item.text)
        items.append(item)
    block = data[cols]
    for col in cols:  # text cells are errors, not missing values
        if not pd.api.types.is_numeric_dtype(block[col]):
            raw = block[col]
            text = pd.to_numeric(raw, errors="coerce").isna().to_numpy() & raw.notna().to_numpy()
            if text.any():
                row = int(np.flatnonzero(text)[0])
                item_id = item_ids[cols.index(col)]
                raise DataError(
                    f"Column {col!r} (item {item_id} of {ins.id}) holds {int(text.sum())} value(s) that are not "
                    f"numbers; first at row {row} (index {data.index[row]!r}): {raw.iloc[row]!r}. Recode text "
                    "answers to their numbers (or declare them as missing codes in the codebook)."
                )
    numeric = all(pd.api.types.is_numeric_dtype(block[c]) for c in cols)
    x = (block if numeric else block.apply(pd.to_numeric, errors="coerce")).to_numpy(dtype=float, na_value=np.nan)
    lo = np.array([i.min for i in items])
    hi = np.array([i.max for i in items])
    missing = np.isnan(x)
    # Missing cells are filled with a valid whole number of each item's range, so that whole-array
    # checks and matrix products need no NaN handling; the fill is subtracted again below.
    fill = np.where(np.ceil(lo) <= hi, np.ceil(lo), lo)
    filled = np.where(missing, fill, x)
    with np.errstate(invalid="ignore"):
        if np.ptp(lo) == 0 and np.ptp(hi) == 0:  # one range (the usual case): two reductions
            outside = filled.size > 0 and (filled.min() < lo[0] or filled.max() > hi[0])
        else:
            outside = ((filled < lo) | (filled > hi)).any()
        bad_any = outside, (np.rint(filled) != filled).any()
    for flag, what in zip(bad_any, ("outside", "not whole numbers"), strict=True):
        if flag:  # locate the first offending column and row only when there is one
            with np.errstate(invalid="ignore"):
                bad = ((filled < lo) | (filled > hi)) if what == "outside" else (np.rint(filled) != filled)
            j = int(np.flatnonzero(bad.any(axis=0))[0])
            row = int(np.flatnonzero(bad[:, j])[0])
            desc = f"outside {lo[j]:g}..{hi[j]:g}" if what == "outside" else what
            raise DataError(
                f"Column {cols[j]!r} (item {item_ids[j]} of {ins.id}) has {int(bad[:, j].sum())} value(s) {desc}; "
                f"first at row {row} (index {data.index[row]!r}): {x[row, j]:g}. Recode missing codes to empty "
                "cells or check the item mapping."
            )
    reverse = np.array([i.reverse for i in items])
    position = {item_id: j for j, item_id in enumerate(item_ids)}
    scores = {k: [position[m] for m in v] for k, v in ins.scores.items() if all(m in position for m in v)}
    # Keyed value of item j: (min + max) - x for reversed items, x otherwise: c_j + s_j x. The sum of
    # a score over its answered items is one matrix product over all scores (exact for whole
    # numbers): sum_j s_j filled_j + sum_j c_j - sum_j missing_j (s_j fill_j + c_j).
    member = np.zeros((len(items), len(scores)))
    for k, idx in enumerate(scores.values()):
        member[idx, k] = 1.0
    sign = np.where(reverse, -1.0, 1.0)[:, None] * member
    const = np.where(reverse, lo + hi, 0.0)[:, None] * member
    missing_f = missing.astype(np.float64)
    correction = missing_f @ np.hstack([sign * fill[:, None] + const, member])
    k_scores = len(scores)
    sums = filled @ sign + const.sum(axis=0) - correction[:, :k_scores]
    n_answered = member.sum(axis=0) - correction[:, k_scores:]
    out = {}
    for k, (score, idx) in enumerate(scores.items()):
        size, n_k = len(idx), n_answered[:, k]
        ok = n_k >= min_answered * size - 1e-9
        if np.ptp(lo[idx]) == 0 and np.ptp(hi[idx]) == 0:  # one range: person mean of answered items
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = sums[:, k] / n_k
                value = mean if ins.scoring == "mean" else (sums[:, k] if (n_k == size).all() else mean * size)
        else:
            # person-mean imputation on each item's own range (POMP): equals the mean of the
            # answered items when all ranges are equal, and never leaves the score's range
            sub, answered = x[:, idx].copy(), ~missing[:, idx]
            rev = reverse[idx]
            sub[:, rev] = (lo + hi)[idx][rev] - sub[:, rev]
            low, width = lo[idx], (hi - lo)[idx]
            with np.errstate(invalid="ignore", divide="ignore"):
                person_pomp = np.where(answered, (sub - low) / width, 0.0).sum(axis=1) / n_k
            filled_sub = np.where(answered, sub, low + person_pomp[:, None] * width)
            value = filled_sub.mean(axis=1) if ins.scoring == "mean" else filled_sub.sum(axis=1)
        out[f"{ins.id}_{score}"] = np.where(ok, value, np.nan)
    return pd.DataFrame(out, index=data.index)


def score_instruments(
    data: pd.DataFrame,
    *,
    instruments: Mapping[str, Mapping[str, str]],
    min_answered: float = 0.8,
    ranges: Mapping[str, Sequence[float]] | None = None,
) -> pd.DataFrame:
    """Score several instruments at once with :func:`score_scale`; instruments without a
    definition file are skipped with an `AnalysisWarning`.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    instruments : dict
        ``{instrument id: {item id: column}}``, e.g. ``Dataset.instruments("survey")``.
    min_answered : float, default 0.8
        Prorating rule passed to :func:`score_scale`.
    ranges : dict, optional
        ``{column: [min, max]}`` response ranges of the data (``Dataset.item_ranges(table)``).

    Returns
    -------
    pandas.DataFrame
        Same index as `data`, the score columns of every instrument side by side.
    """
    frames = []
    for ins_id, cols in instruments.items():
        try:
            ins = load_instrument(ins_id)
        except InstrumentError as exc:
            warnings.warn(f"{exc} Its items are not scored.", AnalysisWarning, stacklevel=2)
            continue
        frames.append(score_scale(data, instrument=ins, columns=dict(cols), min_answered=min_answered,
                                  ranges=ranges))  # fmt: skip
    return pd.concat(frames, axis=1) if frames else pd.DataFrame(index=data.index)


def score_dataset(dataset, *, table: str | None = None, min_answered: float = 0.8) -> pd.DataFrame:
    """One table of a data set with the scores of every instrument it holds joined on.

    Parameters
    ----------
    dataset : Dataset
        A loaded data set (`analysis.load_dataset`).
    table : str, optional
        The table (default: the codebook's first table).
    min_answered : float, default 0.8
        Prorating rule of :func:`score_scale`: a score needs at least this share of its items.

    Returns
    -------
    pandas.DataFrame
        The analysed rows of `table` (every column, same index) followed by the score columns of
        :func:`score_instruments` (``<instrument>_<score>``). Ready-made scores that the data set
        holds as variables are columns of the table already and are used as they are.

    Raises
    ------
    DataError
        A score name clashes with a column of the table (rename the column in the codebook).

    See Also
    --------
    score_instruments : the scores alone, for any DataFrame.

    Examples
    --------
    >>> import tempfile
    >>> from analysis import load_dataset, write_demo_survey
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     dataset = load_dataset(write_demo_survey(tmp, n_couples=60, seed=1))
    ...     scored = score_dataset(dataset, table="survey")
    >>> "ecr_s_anxiety" in scored and "couple_id" in scored
    True
    """
    frame = dataset.table(table)
    scores = score_instruments(frame, instruments=dataset.instruments(table), min_answered=min_answered,
                               ranges=dataset.item_ranges(table))  # fmt: skip
    clash = [c for c in scores.columns if c in frame.columns]
    if clash:
        raise DataError(f"Table {dataset.table_name(table)!r} already has column(s) {clash}, which are also the "
                        "names of instrument scores; rename them in the codebook or data file.")  # fmt: skip
    return frame.join(scores)


def score_categories(scores: pd.DataFrame, *, instrument: str | Instrument) -> pd.DataFrame:
    """Published cut-off bands of an instrument's scores (e.g. CSI-16 distress, PHQ-9 severity).

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`score_scale` (columns ``<instrument id>_<score>``).
    instrument : str or Instrument
        The instrument whose ``cutoffs`` define the bands.

    Returns
    -------
    pandas.DataFrame
        Same index as `scores`; one ordered categorical column ``<instrument id>_<score>_band``
        per score that has cut-offs (a score below a band's ``below`` bound falls in that band;
        the last band takes the rest). Missing scores stay missing.
    """
    ins = instrument if isinstance(instrument, Instrument) else load_instrument(instrument)
    out = {}
    for score, spec in ins.cutoffs.items():
        col = f"{ins.id}_{score}"
        if col not in scores:
            continue
        bands = spec["bands"]
        labels = [b["label"] for b in bands]
        edges = [-np.inf] + [float(b["below"]) for b in bands[:-1]] + [np.inf]
        out[f"{col}_band"] = pd.cut(scores[col], bins=edges, labels=labels, right=False, ordered=True)
    return pd.DataFrame(out, index=scores.index)


def keyed_items(
    data: pd.DataFrame,
    *,
    instrument: str | Instrument,
    columns: Mapping[str, str] | None = None,
    ranges: Mapping[str, Sequence[float]] | None = None,
) -> pd.DataFrame:
    """Item responses with reverse-keyed items reversed, for reliability and factor analyses.

    Parameters
    ----------
    data : pandas.DataFrame
    instrument : str or Instrument
    columns : dict, optional
        ``{item id: column}`` (default ``<instrument id>_<item id>``).
    ranges : dict, optional
        ``{column: [min, max]}`` response ranges of the data (see :func:`score_scale`).

    Returns
    -------
    pandas.DataFrame
        Same index as `data`; one column per mapped item, named by its column, reversed as
        ``(min + max) - x`` where the instrument keys it so. Missing stays missing.
    """
    ins = instrument if isinstance(instrument, Instrument) else load_instrument(instrument)
    mapping = _item_columns(ins, columns)
    _require_columns(data, mapping.values())
    out = {}
    for item_id, col in mapping.items():
        item = ins.item(item_id)
        lo, hi = (ranges[col] if ranges and col in ranges else (item.min, item.max))
        values = pd.to_numeric(data[col], errors="coerce").astype(float)
        out[col] = (lo + hi) - values if item.reverse else values
    return pd.DataFrame(out, index=data.index)


def subscale_items(instrument: str | Instrument, columns: Mapping[str, str]) -> dict[str, list[str]]:
    """``{score: [columns]}`` of an instrument's subscales (the ``total`` score left out when there
    are subscales): the factor structure a CFA of the instrument tests."""
    ins = instrument if isinstance(instrument, Instrument) else load_instrument(instrument)
    scores = {k: v for k, v in ins.scores.items() if k != "total"} or ins.scores
    return {score: [columns[m] for m in members if m in columns] for score, members in scores.items()}


def keyed_instruments(
    data: pd.DataFrame,
    instruments: Mapping[str, Mapping[str, str]],
    ranges: Mapping[str, Sequence[float]] | None = None,
):
    """Yield ``(instrument, columns, keyed items)`` for every instrument that has a definition
    file (others are skipped): the loop shared by the per-instrument reliability and factor tables."""
    for ins_id, cols in instruments.items():
        try:
            ins = load_instrument(ins_id)
        except InstrumentError:
            continue
        yield ins, dict(cols), keyed_items(data, instrument=ins, columns=dict(cols), ranges=ranges)
