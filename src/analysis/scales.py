"""Instruments (read from YAML data files) and scale scoring.

An instrument file (see ``instruments/SCHEMA.md``) holds the items, response ranges,
reverse keys, scores, scoring rule, cutoffs and citation; nothing about an instrument is
written in code.
"""

from __future__ import annotations

import copy
import functools
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ._validation import _check_one_of, _require_columns
from .exceptions import AnalysisWarning, DataError, InstrumentError, ParameterError
from .paths import INSTRUMENTS_DIR

__all__ = ["Instrument", "Item", "load_instrument", "list_instruments", "score_scale",
           "score_instruments", "score_labels", "score_categories", "attachment_styles", "ATTACHMENT_STYLES",
           "keyed_items", "attachment_scores", "subscale_items", "keyed_instruments",
           "ATTACHMENT_INSTRUMENTS"]

#: attachment instruments, in the order `attachment_scores` looks for them
ATTACHMENT_INSTRUMENTS = ("ecr_s", "ecr", "ecr_r")

#: Bartholomew & Horowitz (1991) four categories, as (high anxiety, high avoidance) -> style
ATTACHMENT_STYLES = {(False, False): "secure", (True, False): "preoccupied",
                     (False, True): "dismissing", (True, True): "fearful"}


@dataclass(frozen=True)
class Item:
    """One item: published id, response range, keying and (if public domain) its text."""

    id: str
    min: float
    max: float
    reverse: bool = False
    text: str | None = None


@dataclass(frozen=True)
class Instrument:
    """A published (or project) instrument as defined by its YAML file."""

    id: str
    name: str
    citation: str
    scoring: str
    items: tuple[Item, ...]
    scores: dict[str, tuple[str, ...]]
    cutoffs: dict
    construct: str = ""
    key_source: str = ""
    source_file: str = ""
    short_name: str = ""

    @property
    def item_ids(self) -> list[str]:
        return [item.id for item in self.items]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == str(item_id):
                return item
        raise InstrumentError(f"Instrument {self.id!r} has no item {item_id!r}; items are {self.item_ids}.")


def _instrument_path(name: str | Path) -> Path:
    path = Path(name)
    if path.suffix in {".yaml", ".yml"}:
        return path
    candidate = INSTRUMENTS_DIR / f"{name}.yaml"
    if not candidate.exists():
        known = ", ".join(sorted(p.stem for p in INSTRUMENTS_DIR.glob("*.yaml")))
        raise InstrumentError(f"No instrument named {name!r}. Known instruments: {known}.")
    return candidate


@functools.lru_cache(maxsize=128)
def _read_yaml(path: str, mtime_ns: int):
    """Parsed YAML of an instrument file, cached by path and modification time."""
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def load_instrument(name: str | Path) -> Instrument:
    """Read an instrument definition by id (``"ecr_s"``) or from a YAML file path.

    Raises
    ------
    InstrumentError
        If the file is missing or malformed (the message names the file and the field).
    """
    path = _instrument_path(name)
    try:
        spec = copy.deepcopy(_read_yaml(str(path.resolve()), path.stat().st_mtime_ns))
    except (OSError, yaml.YAMLError) as exc:
        raise InstrumentError(f"Cannot read instrument file {path}: {exc}") from None
    where = f"instrument file {path}"
    for field in ("id", "name", "citation", "response", "scoring", "items", "scores"):
        if not isinstance(spec, dict) or field not in spec:
            raise InstrumentError(f"{where} has no `{field}` field (see instruments/SCHEMA.md).")
    _check_one_of(f"scoring` in `{path.name}", spec["scoring"], ("mean", "sum"))
    lo, hi = spec["response"].get("min"), spec["response"].get("max")
    items = []
    for raw in spec["items"]:
        item = Item(
            id=str(raw["id"]),
            min=float(raw.get("min", lo)),
            max=float(raw.get("max", hi)),
            reverse=bool(raw.get("reverse", False)),
            text=raw.get("text"),
        )
        if not item.min < item.max:
            raise InstrumentError(f"{where}: item {item.id} has range {item.min}..{item.max}.")
        items.append(item)
    ids = {item.id for item in items}
    if len(ids) != len(items):
        raise InstrumentError(f"{where} lists an item id twice.")
    scores = {}
    for score, members in spec["scores"].items():
        members = tuple(str(m) for m in members)
        unknown = [m for m in members if m not in ids]
        if unknown:
            raise InstrumentError(f"{where}: score {score!r} names unknown items {unknown}.")
        scores[str(score)] = members
    return Instrument(
        id=str(spec["id"]),
        name=str(spec["name"]),
        citation=str(spec["citation"]).strip(),
        scoring=spec["scoring"],
        items=tuple(items),
        scores=scores,
        cutoffs=spec.get("cutoffs") or {},
        construct=str(spec.get("construct", "")),
        key_source=str(spec.get("key_source", "")).strip(),
        source_file=str(path),
        short_name=str(spec.get("short_name") or _abbreviation(spec["name"]) or spec["id"]),
    )


def _abbreviation(name: str) -> str:
    """``"... Short Form (ECR-S)"`` -> ``"ECR-S"``."""
    match = re.search(r"\(([^()]+)\)\s*$", name)
    return match.group(1) if match else ""


def score_labels(instruments) -> dict[str, str]:
    """Readable labels for instrument ids and their score columns:
    ``{"ecr_s": "ECR-S", "ecr_s_anxiety": "ECR-S anxiety", ...}``."""
    labels = {}
    for ins_id in instruments:
        try:
            ins = load_instrument(ins_id)
        except InstrumentError:
            continue  # no definition file: ids stay as they are
        labels[ins.id] = ins.short_name
        for score in ins.scores:
            labels[f"{ins.id}_{score}"] = f"{ins.short_name} {score.replace('_', ' ')}"
    return labels


def list_instruments() -> pd.DataFrame:
    """Catalogue of the bundled instruments.

    Returns
    -------
    pandas.DataFrame
        One row per instrument: ``id``, ``name``, ``n_items``, ``response_range``, ``scoring``,
        ``scores`` (comma-separated names) and ``citation``.
    """
    rows = []
    for path in sorted(INSTRUMENTS_DIR.glob("*.yaml")):
        ins = load_instrument(path)
        lo = min(i.min for i in ins.items)
        hi = max(i.max for i in ins.items)
        rows.append(
            {
                "id": ins.id,
                "name": ins.name,
                "n_items": len(ins.items),
                "response_range": f"{lo:g}-{hi:g}",
                "scoring": ins.scoring,
                "scores": ", ".join(ins.scores),
                "citation": ins.citation,
            }
        )
    return pd.DataFrame(rows)


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


def attachment_styles(
    data: pd.DataFrame,
    *,
    anxiety: str,
    avoidance: str,
    rule: str = "median",
    midpoint: float | None = None,
) -> pd.Series:
    """Four attachment styles from anxiety x avoidance (Bartholomew & Horowitz, 1991).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent with the two dimension scores.
    anxiety, avoidance : str
        Columns of the attachment anxiety and avoidance scores.
    rule : {"median", "midpoint"}, default "median"
        Where "high" starts: above the sample median of each dimension, or above the scale
        midpoint (`midpoint`, e.g. 4 on a 1-7 scale). Medians give equal-sized halves in this
        sample; midpoints give the same rule in every sample.
    midpoint : float, optional
        Required with ``rule="midpoint"``.

    Returns
    -------
    pandas.Series
        Categorical: ``secure`` (low anxiety, low avoidance), ``preoccupied`` (high anxiety,
        low avoidance), ``dismissing`` (low anxiety, high avoidance), ``fearful`` (both high);
        missing when either score is missing. ``.attrs`` records the rule and the cut points.

    Notes
    -----
    A score equal to the cut point counts as low. Categories lose information: analyse the
    continuous dimensions for inference (Fraley & Waller, 1998).

    References
    ----------
    Bartholomew, K., & Horowitz, L. M. (1991). Attachment styles among young adults: A test of a
    four-category model. Journal of Personality and Social Psychology, 61(2), 226-244.
    Fraley, R. C., & Waller, N. G. (1998). Adult attachment patterns: A test of the typological
    model. In J. A. Simpson & W. S. Rholes (Eds.), Attachment theory and close relationships
    (pp. 77-114). Guilford Press.
    """
    _require_columns(data, [anxiety, avoidance])
    _check_one_of("rule", rule, ("median", "midpoint"))
    anx = pd.to_numeric(data[anxiety], errors="coerce").astype(float)
    avo = pd.to_numeric(data[avoidance], errors="coerce").astype(float)
    if rule == "midpoint":
        if midpoint is None:
            raise ParameterError("`midpoint` is required with rule='midpoint' (e.g. 4 on a 1-7 scale).")
        cut_anx = cut_avo = float(midpoint)
    else:
        cut_anx, cut_avo = float(anx.median()), float(avo.median())
    styles = [ATTACHMENT_STYLES[(a > cut_anx, v > cut_avo)] if not (np.isnan(a) or np.isnan(v)) else None
              for a, v in zip(anx, avo, strict=True)]  # fmt: skip
    result = pd.Series(pd.Categorical(styles, categories=list(ATTACHMENT_STYLES.values())), index=data.index,
                       name="attachment_style")  # fmt: skip
    result.attrs.update(rule=rule, cut_anxiety=cut_anx, cut_avoidance=cut_avo)
    return result


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


def attachment_scores(
    data: pd.DataFrame,
    *,
    instruments: Mapping[str, Mapping[str, str]],
    ranges: Mapping[str, Sequence[float]] | None = None,
    instrument: str | None = None,
    min_answered: float = 0.8,
) -> pd.DataFrame:
    """Attachment anxiety and avoidance from the attachment instrument a data set holds.

    Parameters
    ----------
    data : pandas.DataFrame
    instruments : dict
        ``{instrument id: {item id: column}}`` (``Dataset.instruments(table)``).
    ranges : dict, optional
        Response ranges of the data (``Dataset.item_ranges(table)``).
    instrument : str, optional
        Which one to use; default: the first of ECR-S, ECR, ECR-R present.
    min_answered : float, default 0.8
        Prorating rule (see :func:`score_scale`).

    Returns
    -------
    pandas.DataFrame
        Same index as `data`: ``anxiety`` and ``avoidance``; ``.attrs["instrument"]`` and
        ``.attrs["midpoint"]`` (the response-scale midpoint, for the midpoint style rule).

    Raises
    ------
    InstrumentError
        If the data hold no attachment instrument (the message lists what they hold).
    """
    chosen = instrument or next((i for i in ATTACHMENT_INSTRUMENTS if i in instruments), None)
    if chosen is None or chosen not in instruments:
        held = ", ".join(instruments) or "none"
        raise InstrumentError(f"No attachment instrument ({', '.join(ATTACHMENT_INSTRUMENTS)}) in the data; "
                              f"instruments held: {held}.")  # fmt: skip
    ins = load_instrument(chosen)
    scored = score_scale(data, instrument=ins, columns=dict(instruments[chosen]), min_answered=min_answered,
                         ranges=ranges)  # fmt: skip
    out = pd.DataFrame({"anxiety": scored[f"{ins.id}_anxiety"], "avoidance": scored[f"{ins.id}_avoidance"]})
    cols = list(instruments[chosen].values())
    lo = min((ranges or {}).get(c, (ins.items[0].min, ins.items[0].max))[0] for c in cols)
    hi = max((ranges or {}).get(c, (ins.items[0].min, ins.items[0].max))[1] for c in cols)
    out.attrs.update(instrument=ins.id, instrument_name=ins.short_name, midpoint=(lo + hi) / 2)
    return out


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
