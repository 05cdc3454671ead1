"""Attachment scores and styles: anxiety and avoidance from an ECR-type instrument, and the four
styles (secure, preoccupied, dismissing, fearful) from cut points."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis._checks import _check_one_of, _require_columns
from analysis.data.instrument_library import load_instrument
from analysis.exceptions import InstrumentError, ParameterError
from analysis.scoring.scales import score_scale

__all__ = ["attachment_styles", "attachment_scores"]

#: attachment instruments, in the order `attachment_scores` looks for them
ATTACHMENT_INSTRUMENTS = ("ecr_s", "ecr", "ecr_r")

#: Bartholomew & Horowitz (1991) four categories, as (high anxiety, high avoidance) -> style
ATTACHMENT_STYLES = {(False, False): "secure", (True, False): "preoccupied",
                     (False, True): "dismissing", (True, True): "fearful"}


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
