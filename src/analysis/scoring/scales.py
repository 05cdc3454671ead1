"""Scale scoring from the instrument files: scores with the prorating rule, published cut-off bands,
keyed item matrices.

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

__all__ = ["score_scale", "score_instruments", "score_categories", "keyed_items", "subscale_items",
           "keyed_instruments"]


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
        Same index as `data`; one float column per score whose items are all mapped (subscales
        and total, in the order of the instrument file), named ``<instrument id>_<score>``: the
        mean or sum (the instrument's ``scoring``) of the keyed items, prorated; missing where
        fewer than `min_answered` of the score's items are answered.

    Raises
    ------
    DataError
        If an item column is missing, or holds text that is not a number, a value outside the
        item's response range, or a value that is not a whole number (the message names the
        column, the row and the value).
    ParameterError
        If `min_answered` is not in (0, 1], or `columns` is neither a dict nor a list, lists the
        wrong number of columns, or names items the instrument does not have.
    InstrumentError
        If `instrument` names no instrument file (:func:`analysis.load_instrument`).

    See Also
    --------
    score_instruments : Every instrument of a data set at once.
    score_categories : Published cut-off bands of the scores.
    keyed_items : The reverse-keyed item responses themselves.
    analysis.load_instrument : The instrument definition (items, keys, scores).

    Notes
    -----
    Reverse-keyed items are scored ``(min + max) - x`` from each item's own range. Prorating:
    a missing item of a scored respondent is imputed at the respondent's mean position on
    the answered items, ``min_j + p (max_j - min_j)`` with ``p`` the mean of
    ``(x_i - min_i) / (max_i - min_i)``; with equal ranges this is the person mean, so a
    mean score is the mean of the answered items and a sum is that mean times the number
    of items (Schafer & Graham, 2002, on person-mean imputation). The position ``p`` is the
    POMP metric of Cohen et al. (1999). With complete data the scores equal
    ``psych::scoreItems(keys, totals = scoring == "sum")`` (Revelle, 2022); mean scores of rows
    with missing items that meet `min_answered` equal ``scoreItems(..., totals = FALSE,
    impute = "none")``, which scores every row with at least one answered item
    (``tests/test_scales.py``). Nothing in `data` is changed.

    References
    ----------
    Cohen, P., Cohen, J., Aiken, L. S., & West, S. G. (1999). The problem of units and the
    circumstance for POMP. Multivariate Behavioral Research, 34(3), 315-346.
    Revelle, W. (2022). psych: Procedures for psychological, psychometric, and personality
    research (R package version 2.2.9). Northwestern University.
    Schafer, J. L., & Graham, J. W. (2002). Missing data: Our view of the state of the art.
    Psychological Methods, 7(2), 147-177.

    Examples
    --------
    ECR-S: twelve items (1-7), items 1, 5, 8 and 9 reverse keyed, two mean scores. The second
    respondent skipped one anxiety item (5 of 6 answered: scored), the third skipped two (4 of
    6 is below ``min_answered=0.8``: missing).

    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import score_scale
    >>> rng = np.random.default_rng(1)
    >>> data = pd.DataFrame(rng.integers(1, 8, size=(4, 12)), columns=[f"ecr_s_{i}" for i in range(1, 13)])
    >>> data.loc[1, "ecr_s_2"] = np.nan
    >>> data.loc[2, ["ecr_s_2", "ecr_s_4"]] = np.nan
    >>> score_scale(data, instrument="ecr_s").round(2)
       ecr_s_anxiety  ecr_s_avoidance
    0           3.33             6.00
    1           4.80             3.17
    2            NaN             3.00
    3           4.50             3.00

    CSI-4: a sum score, item 1 on 0-6 and items 2-4 on 0-5. The third respondent skipped
    item 1 and answered the others at 4/5, 4/5 and 5/5 of their ranges, so item 1 is imputed
    at 13/15 of 0-6 (5.2) and the total is 4 + 4 + 5 + 5.2 = 18.2:

    >>> csi = pd.DataFrame({"csi_4_1": [6, 2, np.nan], "csi_4_2": [5, 1, 4], "csi_4_3": [5, 2, 4],
    ...                     "csi_4_4": [4, 1, 5]})
    >>> score_scale(csi, instrument="csi_4", min_answered=0.75).round(2)
       csi_4_total
    0         20.0
    1          6.0
    2         18.2
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
    columns_ = {col: data[col] for col in dict.fromkeys(cols)}  # no copy of the answers
    for col in cols:  # text cells are errors, not missing values
        if not pd.api.types.is_numeric_dtype(columns_[col]):
            raw = columns_[col]
            text = pd.to_numeric(raw, errors="coerce").isna().to_numpy() & raw.notna().to_numpy()
            if text.any():
                row = int(np.flatnonzero(text)[0])
                item_id = item_ids[cols.index(col)]
                raise DataError(
                    f"Column {col!r} (item {item_id} of {ins.id}) holds {int(text.sum())} value(s) that are not "
                    f"numbers; first at row {row} (index {data.index[row]!r}): {raw.iloc[row]!r}. Recode text "
                    "answers to their numbers (or declare them as missing codes in the codebook)."
                )
    lo = np.array([i.min for i in items])
    hi = np.array([i.max for i in items])
    reverse = np.array([i.reverse for i in items])
    position = {item_id: j for j, item_id in enumerate(item_ids)}
    scores = {k: [position[m] for m in v] for k, v in ins.scores.items() if all(m in position for m in v)}
    floats = {col: _as_floats(values) for col, values in columns_.items()}
    arrays = [floats[c] for c in cols]
    mixed = [k for k, idx in enumerate(scores.values()) if idx and (np.ptp(lo[idx]) > 0 or np.ptp(hi[idx]) > 0)]
    keyed = _keyed_sums(arrays, lo, hi, reverse, list(scores.values()), pomp=mixed, scoring=ins.scoring)
    if keyed is None:  # an invalid value (raised below, with the first one named) or fractional ranges
        return _score_whole(data[cols], data.index, ins, items, item_ids, cols, scores, min_answered)
    sums, n_answered, imputed = keyed
    out = {}
    for k, (score, idx) in enumerate(scores.items()):
        size, n_k = len(idx), n_answered[k]
        ok = n_k >= min_answered * size - 1e-9
        if k not in imputed:  # one range: person mean of answered items
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = sums[k] / n_k
                value = mean if ins.scoring == "mean" else (sums[k] if (n_k == size).all() else mean * size)
        else:  # complete rows: the keyed items' sum (or mean); the others: person-mean imputation (POMP)
            value = sums[k] / size if ins.scoring == "mean" else sums[k]
            rows, values = imputed[k]
            value[rows] = values
        out[f"{ins.id}_{score}"] = np.where(ok, value, np.nan)
    return pd.DataFrame(out, index=data.index)


_BLOCK_CELLS = 1 << 17  # cells (floats) per block of rows in `_keyed_sums`: about 1 MB, held in cache


def _as_floats(values: pd.Series) -> np.ndarray:
    """A column's answers as floats, NaN when missing (text that is not a number too); a float64
    column as it is, without a copy."""
    if not pd.api.types.is_numeric_dtype(values):
        values = pd.to_numeric(values, errors="coerce")
    if values.dtype == np.float64:
        return values.to_numpy()
    return values.to_numpy(dtype=float, na_value=np.nan)


def _keyed_sums(arrays: list[np.ndarray], lo: np.ndarray, hi: np.ndarray, reverse: np.ndarray,
                scores: list[list[int]], pomp=(), scoring: str = "mean") -> tuple | None:  # fmt: skip
    """(sum of the keyed answered items, number of answered items, imputed), one row per score
    for the first two, for the items `arrays` (one float array each, NaN: missing); None if an
    answer is outside its item's range or not a whole number, or a range is not whole numbers (the
    caller then takes the route that names the problem). ``imputed[k]`` = (rows, scores) of the
    rows with missing items of each score ``k`` in `pomp` (items of different ranges), scored by
    person-mean imputation (`_pomp_scores`).

    One pass over the answers: a block of rows at a time is copied into a buffer that stays in the
    processor's cache (reverse-keyed items as ``(min + max) - x``), checked, and summed per score.
    The sums of whole numbers are exact, so they equal any other order of summation."""
    n, p = (len(arrays[0]) if arrays else 0), len(arrays)
    if not (np.all(lo == np.rint(lo)) and np.all(hi == np.rint(hi))):
        return None
    # items in the order of the first score holding them, so that most scores are a slice of rows
    first = {}
    for k, idx in enumerate(scores):
        for j in idx:
            first.setdefault(j, k)
    order = sorted(range(p), key=lambda j: (first.get(j, len(scores)), j))
    row_of = {j: r for r, j in enumerate(order)}
    spans = [_as_slice(sorted(row_of[j] for j in idx)) for idx in scores]
    sources = [arrays[j] for j in order]
    flip = [float(lo[j] + hi[j]) if reverse[j] else None for j in order]
    lo_o, hi_o = lo[order], hi[order]
    one_range = p > 0 and np.ptp(lo) == 0 and np.ptp(hi) == 0
    nonnegative = p > 0 and lo.min() >= 0
    sums, n_answered = np.empty((len(scores), n)), np.empty((len(scores), n))
    imputing = {k: (_as_slice([row_of[j] for j in scores[k]]), lo[scores[k]], (hi - lo)[scores[k]], [], [])
                for k in pomp}  # fmt: skip
    width = max(256, min(n, _BLOCK_CELLS // max(p, 1)))
    x, r = np.empty((p, width)), np.empty((p, width))
    missing, odd = np.empty((p, width), dtype=bool), np.empty((p, width), dtype=bool)
    for start in range(0, n, width):
        stop = min(n, start + width)
        b = stop - start
        xb, rb, mb, ob = x[:, :b], r[:, :b], missing[:, :b], odd[:, :b]
        for i, (source, total) in enumerate(zip(sources, flip, strict=True)):
            if total is None:
                xb[i] = source[start:stop]
            else:
                np.subtract(total, source[start:stop], out=xb[i])
        np.isnan(xb, out=mb)
        with np.errstate(invalid="ignore"):
            if one_range:
                if np.fmin.reduce(xb, axis=None) < lo_o[0] or np.fmax.reduce(xb, axis=None) > hi_o[0]:
                    return None
            elif (np.fmin.reduce(xb, axis=1) < lo_o).any() or (np.fmax.reduce(xb, axis=1) > hi_o).any():
                return None
            np.rint(xb, out=rb)
            np.not_equal(rb, xb, out=ob)  # True where missing (NaN) or not a whole number
        if np.count_nonzero(ob) != np.count_nonzero(mb):
            return None
        for where, low, spread, rows, values in imputing.values():  # before the missing answers become 0
            gaps = np.add.reduce(mb[where].view(np.uint8), axis=0, dtype=np.int64)
            local = np.flatnonzero(gaps)
            if local.size:
                block = xb[np.ix_(where, local)] if isinstance(where, list) else xb[where][:, local]
                sub = np.ascontiguousarray(block.T)
                rows.append(local + start)  # `sub`: rows x items, in the score's item order
                values.append(_pomp_scores(sub, low, spread, len(low) - gaps[local], scoring))
        if nonnegative:
            np.fmax(xb, 0.0, out=xb)  # missing answers count 0 in the sums (fmax skips NaN)
        else:
            np.copyto(xb, 0.0, where=mb)
        for k, span in enumerate(spans):
            size = span.stop - span.start if isinstance(span, slice) else len(span)
            if size == 0:
                sums[k, start:stop], n_answered[k, start:stop] = 0.0, 0.0
                continue
            np.add.reduce(xb[span], axis=0, out=sums[k, start:stop])
            gaps = np.add.reduce(mb[span].view(np.uint8), axis=0, dtype=np.uint8 if size < 256 else np.int64)
            np.subtract(size, gaps, out=n_answered[k, start:stop])
    imputed = {k: (np.concatenate(parts[3]) if parts[3] else np.zeros(0, dtype=np.intp),
                   np.concatenate(parts[4]) if parts[4] else np.zeros(0)) for k, parts in imputing.items()}
    return sums, n_answered, imputed


def _as_slice(rows: list[int]) -> slice | list[int]:
    """`rows` as a slice when they are consecutive and ascending (a view, not a copy, of an array)."""
    if rows and rows == list(range(rows[0], rows[0] + len(rows))):
        return slice(rows[0], rows[0] + len(rows))
    return rows


def _pomp_scores(sub: np.ndarray, low: np.ndarray, width: np.ndarray, n_k: np.ndarray, scoring: str) -> np.ndarray:
    """Scores of rows with missing items on a score whose items differ in range (`sub`: rows x
    items, keyed, NaN where missing; `n_k`: answered items of each row): each missing item imputed
    at the person's mean position (POMP) on the answered ones (see `score_scale`)."""
    answered = ~np.isnan(sub)
    with np.errstate(invalid="ignore", divide="ignore"):
        person_pomp = np.where(answered, (sub - low) / width, 0.0).sum(axis=1) / n_k
    filled_sub = np.where(answered, sub, low + person_pomp[:, None] * width)
    return filled_sub.mean(axis=1) if scoring == "mean" else filled_sub.sum(axis=1)


def _score_whole(block: pd.DataFrame, index, ins: Instrument, items: list[Item], item_ids: list[str],
                 cols: list[str], scores: dict[str, list[int]], min_answered: float) -> pd.DataFrame:  # fmt: skip
    """`score_scale` on the whole item matrix at once: names the first invalid answer (DataError),
    and scores items whose ranges are not whole numbers."""
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
                f"first at row {row} (index {index[row]!r}): {x[row, j]:g}. Recode missing codes to empty "
                "cells or check the item mapping."
            )
    reverse = np.array([i.reverse for i in items])
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
    return pd.DataFrame(out, index=index)


def score_instruments(
    data: pd.DataFrame,
    *,
    instruments: Mapping[str, Mapping[str, str]],
    min_answered: float = 0.8,
    ranges: Mapping[str, Sequence[float]] | None = None,
) -> pd.DataFrame:
    """Score several instruments at once with :func:`score_scale`.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, item responses as numbers (missing as NaN). Not modified.
    instruments : dict
        ``{instrument id: {item id: column}}``, e.g. ``Dataset.instruments("survey")``.
    min_answered : float, default 0.8
        Prorating rule passed to :func:`score_scale`: a score needs at least this share of its
        items answered.
    ranges : dict, optional
        ``{column: [min, max]}`` response ranges of the data (``Dataset.item_ranges(table)``);
        columns not listed use the instrument file's ranges.

    Returns
    -------
    pandas.DataFrame
        Same index as `data`; the score columns of every instrument with a definition file,
        side by side in the order of `instruments`, each named ``<instrument id>_<score>``
        (see :func:`score_scale`). No columns when no instrument could be scored.

    Raises
    ------
    DataError
        As :func:`score_scale`: a missing item column, text, or a value outside an item's range.
    ParameterError
        As :func:`score_scale`: a bad `min_answered` or an item id the instrument does not have.

    Warns
    -----
    AnalysisWarning
        For each instrument id without a definition file; its items are not scored.

    See Also
    --------
    score_scale : One instrument, with the scoring rules.
    score_dataset : The same for a loaded data set, joined to its table.

    Notes
    -----
    Each instrument is scored on its own by :func:`score_scale` (reverse keying, prorating by
    person-mean imputation); see there for the formula and the missing-data policy.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import score_instruments
    >>> rng = np.random.default_rng(7)
    >>> data = pd.DataFrame({**{f"ecr_s_{i}": rng.integers(1, 8, 5) for i in range(1, 13)},
    ...                      **{f"sat_{i}": rng.integers(0, 6, 5) for i in range(1, 5)}})
    >>> instruments = {"ecr_s": {str(i): f"ecr_s_{i}" for i in range(1, 13)},
    ...                "csi_4": {str(i): f"sat_{i}" for i in range(1, 5)}}
    >>> score_instruments(data, instruments=instruments).round(2)
       ecr_s_anxiety  ecr_s_avoidance  csi_4_total
    0           4.67             2.50          6.0
    1           4.00             4.83          6.0
    2           3.50             4.67         11.0
    3           3.17             4.17         11.0
    4           2.83             3.67         11.0

    An instrument without a definition file is skipped with a warning:

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     scores = score_instruments(data, instruments={"my_scale": {"1": "sat_1"}})
    >>> scores.shape, caught[0].category.__name__
    ((5, 0), 'AnalysisWarning')
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


def score_categories(scores: pd.DataFrame, *, instrument: str | Instrument) -> pd.DataFrame:
    """Published cut-off bands of an instrument's scores (e.g. CSI-16 distress, PHQ-9 severity).

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`score_scale` or :func:`score_instruments` (columns
        ``<instrument id>_<score>``); other columns are ignored.
    instrument : str or Instrument
        The instrument whose ``cutoffs`` define the bands: an id (``"csi_16"``) or a loaded
        :class:`Instrument`.

    Returns
    -------
    pandas.DataFrame
        Same index as `scores`; one ordered categorical column ``<instrument id>_<score>_band``
        per score that has cut-offs and is in `scores` (a score below a band's ``below`` bound
        falls in that band; the last band takes the rest). Missing scores stay missing. No
        columns when the instrument publishes no cut-offs.

    Raises
    ------
    InstrumentError
        If `instrument` names no instrument file.

    See Also
    --------
    score_scale : The scores to band.

    Notes
    -----
    Bands are half-open intervals ``[lower, below)``: a score equal to a band's ``below`` bound
    belongs to the next band. The cut-offs and their sources are in the instrument file
    (``cutoffs``, with a ``source`` for each); a band describes a score, it diagnoses no one.

    Examples
    --------
    CSI-4 (sum 0-21): below 13.5 suggests notable relationship dissatisfaction (Funk & Rogge,
    2007, as recorded in ``csi_4.yaml``).

    >>> import pandas as pd
    >>> from analysis import score_categories
    >>> scores = pd.DataFrame({"csi_4_total": [20.0, 6.0, 13.5, None]})
    >>> print(score_categories(scores, instrument="csi_4").to_string())
                           csi_4_total_band
    0            no notable dissatisfaction
    1  notable relationship dissatisfaction
    2            no notable dissatisfaction
    3                                   NaN
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
        One row per respondent with the item columns. Not modified.
    instrument : str or Instrument
        Instrument id (``"ecr_s"``) or a loaded :class:`Instrument`.
    columns : dict, optional
        ``{item id: column}`` (default ``<instrument id>_<item id>`` for every item); a subset
        of the items may be mapped. A list of columns in published item order works as in
        :func:`score_scale`.
    ranges : dict, optional
        ``{column: [min, max]}`` response ranges of the data (see :func:`score_scale`).

    Returns
    -------
    pandas.DataFrame
        Same index as `data`; one float column per mapped item, named by its column, reversed
        as ``(min + max) - x`` where the instrument keys it so. Missing stays missing.

    Raises
    ------
    DataError
        If a mapped column is not in `data`.
    ParameterError
        If `columns` names items the instrument does not have.
    InstrumentError
        If `instrument` names no instrument file.

    See Also
    --------
    score_scale : Scores from the same keyed items.
    subscale_items : Which keyed columns belong to which subscale.
    analysis.cronbach_alpha, analysis.efa : Analyses that need keyed items.

    Notes
    -----
    Unlike :func:`score_scale`, responses are not checked: text cells become missing
    (``pandas.to_numeric(errors="coerce")``) and out-of-range values are reversed as they
    are. Score data first, or validate them with the codebook, when that matters.

    Examples
    --------
    ECR-S item 1 is reverse keyed (1-7, so ``8 - x``), item 2 is not; a 5-point version of
    item 1 is reversed as ``6 - x``:

    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import keyed_items
    >>> data = pd.DataFrame({"ecr_s_1": [1, 7, np.nan], "ecr_s_2": [2, 6, 4]})
    >>> keyed_items(data, instrument="ecr_s", columns={"1": "ecr_s_1", "2": "ecr_s_2"})
       ecr_s_1  ecr_s_2
    0      7.0      2.0
    1      1.0      6.0
    2      NaN      4.0
    >>> five_point = pd.DataFrame({"ecr_s_1": [1, 5, 2]})
    >>> keyed = keyed_items(five_point, instrument="ecr_s", columns={"1": "ecr_s_1"}, ranges={"ecr_s_1": [1, 5]})
    >>> keyed["ecr_s_1"].tolist()
    [5.0, 1.0, 4.0]
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
    """Map each subscale of an instrument to its data columns: the factor structure a CFA tests.

    Parameters
    ----------
    instrument : str or Instrument
        Instrument id (``"ecr_s"``) or a loaded :class:`Instrument`.
    columns : dict
        ``{item id: column}`` of the items the data hold (``Dataset.instruments(table)[id]``).

    Returns
    -------
    dict of str to list of str
        ``{score: [columns]}`` in the order of the instrument file: each subscale's item
        columns in item order. The ``total`` score is left out when the instrument has
        subscales (it is kept for a single-score instrument). Items not in `columns` are left
        out, so a subscale can be an empty list.

    Raises
    ------
    InstrumentError
        If `instrument` names no instrument file.

    See Also
    --------
    keyed_items : The keyed responses of these columns.
    analysis.cfa, analysis.scale_cfa : The confirmatory factor models that use the structure.

    Examples
    --------
    >>> from analysis import subscale_items
    >>> columns = {str(i): f"ecr_s_{i}" for i in range(1, 13)}
    >>> subscale_items("ecr_s", columns)["anxiety"]
    ['ecr_s_2', 'ecr_s_4', 'ecr_s_6', 'ecr_s_8', 'ecr_s_10', 'ecr_s_12']
    >>> subscale_items("csi_4", {"1": "sat_1", "2": "sat_2", "4": "sat_4"})
    {'total': ['sat_1', 'sat_2', 'sat_4']}
    """
    ins = instrument if isinstance(instrument, Instrument) else load_instrument(instrument)
    scores = {k: v for k, v in ins.scores.items() if k != "total"} or ins.scores
    return {score: [columns[m] for m in members if m in columns] for score, members in scores.items()}


def keyed_instruments(
    data: pd.DataFrame,
    instruments: Mapping[str, Mapping[str, str]],
    ranges: Mapping[str, Sequence[float]] | None = None,
):
    """Yield the keyed items of every instrument that has a definition file.

    The loop shared by the per-instrument reliability and factor tables
    (``analysis.scale_reliability`` and the other ``scale_*`` functions).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent with the item columns. Not modified.
    instruments : dict
        ``{instrument id: {item id: column}}`` (``Dataset.instruments(table)``).
    ranges : dict, optional
        ``{column: [min, max]}`` response ranges of the data (``Dataset.item_ranges(table)``).

    Yields
    ------
    instrument : Instrument
        The loaded instrument definition.
    columns : dict
        Its ``{item id: column}`` mapping (a copy).
    keyed : pandas.DataFrame
        :func:`keyed_items` of those columns.

    Raises
    ------
    DataError
        If a mapped column is not in `data`.

    See Also
    --------
    keyed_items

    Notes
    -----
    Instrument ids without a definition file are skipped silently (:func:`score_instruments`
    warns about them).

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.scoring.scales import keyed_instruments
    >>> data = pd.DataFrame({"sat_1": [6, 2], "sat_2": [5, 1], "x": [1, 2]})
    >>> instruments = {"csi_4": {"1": "sat_1", "2": "sat_2"}, "my_scale": {"1": "x"}}
    >>> [(ins.id, keyed.shape) for ins, columns, keyed in keyed_instruments(data, instruments)]
    [('csi_4', (2, 2))]
    """
    for ins_id, cols in instruments.items():
        try:
            ins = load_instrument(ins_id)
        except InstrumentError:
            continue
        yield ins, dict(cols), keyed_items(data, instrument=ins, columns=dict(cols), ranges=ranges)
