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
        One row per respondent with the two dimension scores (e.g. from
        :func:`attachment_scores`). Not modified.
    anxiety : str
        Column of the attachment anxiety score.
    avoidance : str
        Column of the attachment avoidance score.
    rule : {"median", "midpoint"}, default "median"
        Where "high" starts: above the sample median of each dimension, or above the scale
        midpoint (`midpoint`, e.g. 4 on a 1-7 scale). Medians give equal-sized halves in this
        sample; midpoints give the same rule in every sample.
    midpoint : float, optional
        Required with ``rule="midpoint"``.

    Returns
    -------
    pandas.Series
        Named ``attachment_style``, same index as `data`; categorical with the categories
        ``secure`` (low anxiety, low avoidance), ``preoccupied`` (high anxiety, low avoidance),
        ``dismissing`` (low anxiety, high avoidance), ``fearful`` (both high), in that order;
        missing when either score is missing. ``.attrs`` holds ``rule``, ``cut_anxiety`` and
        ``cut_avoidance`` (the cut points used).

    Raises
    ------
    DataError
        If `anxiety` or `avoidance` is not a column of `data`.
    ParameterError
        If `rule` is not ``"median"`` or ``"midpoint"``, or ``rule="midpoint"`` comes without
        `midpoint`.

    See Also
    --------
    attachment_scores : The two dimension scores.

    Notes
    -----
    High means above the cut point; a score equal to the cut point counts as low. With
    ``rule="median"`` each cut point is the median of the non-missing scores of that
    dimension (so a row with only one score still counts towards that median). Values that are
    not numbers are treated as missing. The four categories are Bartholomew and Horowitz's
    (1991) model placed in the two-dimensional space of the ECR (Brennan et al., 1998).
    Categories lose information: analyse the continuous dimensions for inference (Fraley &
    Waller, 1998).

    References
    ----------
    Bartholomew, K., & Horowitz, L. M. (1991). Attachment styles among young adults: A test of a
    four-category model. Journal of Personality and Social Psychology, 61(2), 226-244.
    Brennan, K. A., Clark, C. L., & Shaver, P. R. (1998). Self-report measurement of adult
    attachment: An integrative overview. In J. A. Simpson & W. S. Rholes (Eds.), Attachment
    theory and close relationships (pp. 46-76). Guilford Press.
    Fraley, R. C., & Waller, N. G. (1998). Adult attachment patterns: A test of the typological
    model. In J. A. Simpson & W. S. Rholes (Eds.), Attachment theory and close relationships
    (pp. 77-114). Guilford Press.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import attachment_styles
    >>> scores = pd.DataFrame({"anxiety": [2.5, 5.0, 3.0, 6.0, 4.5, np.nan],
    ...                        "avoidance": [2.0, 2.5, 5.5, 5.0, 3.0, 3.0]})
    >>> styles = attachment_styles(scores, anxiety="anxiety", avoidance="avoidance")
    >>> styles.tolist()
    ['secure', 'preoccupied', 'dismissing', 'fearful', 'secure', nan]
    >>> styles.attrs
    {'rule': 'median', 'cut_anxiety': 4.5, 'cut_avoidance': 3.0}

    The fifth respondent's anxiety (4.5) equals the median, so it counts as low. With the
    midpoint of the 1-7 scale (4) as the cut point, the same rule in every sample, it is high:

    >>> attachment_styles(scores, anxiety="anxiety", avoidance="avoidance", rule="midpoint",
    ...                   midpoint=4).tolist()
    ['secure', 'preoccupied', 'dismissing', 'fearful', 'preoccupied', nan]
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
        One row per respondent with the item columns of the instrument. Not modified.
    instruments : dict
        ``{instrument id: {item id: column}}`` (``Dataset.instruments(table)``).
    ranges : dict, optional
        ``{column: [min, max]}`` response ranges of the data (``Dataset.item_ranges(table)``);
        default: the ranges of the instrument file.
    instrument : str, optional
        Which one to use (``"ecr_s"``, ``"ecr"``, ``"ecr_r"``); default: the first of ECR-S,
        ECR, ECR-R present in `instruments`.
    min_answered : float, default 0.8
        Prorating rule (see :func:`score_scale`): a dimension score needs at least this share
        of its items answered.

    Returns
    -------
    pandas.DataFrame
        Same index as `data`; ``anxiety`` and ``avoidance`` (the instrument's two mean scores,
        missing where too few items are answered). ``.attrs`` holds ``instrument`` (its id),
        ``instrument_name`` (its short name, e.g. ``"ECR-S"``) and ``midpoint`` (the midpoint of
        the response scale, ``(min + max) / 2``, for ``attachment_styles(rule="midpoint")``).

    Raises
    ------
    InstrumentError
        If the data hold no attachment instrument, or not the one named by `instrument` (the
        message lists what they hold).
    DataError
        As :func:`score_scale`: a missing item column, text, or a value outside an item's range.
    ParameterError
        As :func:`score_scale`: a bad `min_answered` or an item id the instrument does not have.

    See Also
    --------
    attachment_styles : The four styles from the two scores.
    score_scale : The scoring rules (reverse keying, prorating).

    Notes
    -----
    Scores are :func:`score_scale` of the chosen instrument: the mean of the keyed items of
    each dimension, with missing items imputed at the person mean when at least
    `min_answered` of them are answered. The midpoint is ``(min + max) / 2`` with the lowest
    minimum and the highest maximum over the instrument's columns, each column's range taken
    from `ranges` where given, else the first item's range in the instrument file.

    References
    ----------
    Wei, M., Russell, D. W., Mallinckrodt, B., & Vogel, D. L. (2007). The Experiences in Close
    Relationship Scale (ECR)-Short Form: Reliability, validity, and factor structure. Journal
    of Personality Assessment, 88(2), 187-204. https://doi.org/10.1080/00223890701268041

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import attachment_scores
    >>> rng = np.random.default_rng(3)
    >>> data = pd.DataFrame(rng.integers(1, 8, size=(4, 12)), columns=[f"ecr_s_{i}" for i in range(1, 13)])
    >>> scores = attachment_scores(data, instruments={"ecr_s": {str(i): f"ecr_s_{i}" for i in range(1, 13)}})
    >>> scores.round(2)
       anxiety  avoidance
    0     2.83       4.50
    1     4.33       3.33
    2     3.83       4.50
    3     2.67       2.33
    >>> scores.attrs
    {'instrument': 'ecr_s', 'instrument_name': 'ECR-S', 'midpoint': 4.0}
    """
    chosen = instrument or next((i for i in ATTACHMENT_INSTRUMENTS if i in instruments), None)
    if chosen is None or chosen not in instruments:
        held = ", ".join(instruments) or "none"
        raise InstrumentError(f"No attachment instrument ({', '.join(ATTACHMENT_INSTRUMENTS)}) in the data; "
                              f"instruments held: {held}.")  # fmt: skip
    ins = load_instrument(chosen)
    if not {"anxiety", "avoidance"} <= set(ins.scores):
        raise InstrumentError(f"Instrument {chosen!r} has no anxiety and avoidance scores (its scores: "
                              f"{', '.join(ins.scores)}); pass an attachment instrument: "
                              f"{', '.join(ATTACHMENT_INSTRUMENTS)}.")  # fmt: skip
    scored = score_scale(data, instrument=ins, columns=dict(instruments[chosen]), min_answered=min_answered,
                         ranges=ranges)  # fmt: skip
    out = pd.DataFrame({"anxiety": scored[f"{ins.id}_anxiety"], "avoidance": scored[f"{ins.id}_avoidance"]})
    cols = list(instruments[chosen].values())
    lo = min((ranges or {}).get(c, (ins.items[0].min, ins.items[0].max))[0] for c in cols)
    hi = max((ranges or {}).get(c, (ins.items[0].min, ins.items[0].max))[1] for c in cols)
    out.attrs.update(instrument=ins.id, instrument_name=ins.short_name, midpoint=(lo + hi) / 2)
    return out
