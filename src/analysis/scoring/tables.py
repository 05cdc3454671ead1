"""Scored tables of a data set: one table with the scores of every instrument it holds
(`score_dataset`; ordered answers as ranks), and a diary with person-level scores joined on and one id
per person (`score_diary`)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis._checks import _require_columns
from analysis.exceptions import DataError
from analysis.scoring.scales import (
    score_instruments,
)

__all__ = ["score_dataset", "score_diary"]


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
        holds as variables are columns of the table already and are used as they are; ordered
        categories (codebook ``ordered: true``) become their rank, 1 for the lowest level, so they
        can enter a model as numbers (as the claims do).

    Raises
    ------
    DataError
        A score name clashes with a column of the table (rename the column in the codebook).

    See Also
    --------
    analysis.score_instruments : the scores alone, for any DataFrame.

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
    ordinal = {c: frame[c].cat.codes.where(frame[c].notna()).astype(float) + 1 for c in frame.columns
               if isinstance(frame[c].dtype, pd.CategoricalDtype) and frame[c].cat.ordered}  # fmt: skip
    frame = frame.assign(**ordinal)
    clash = [c for c in scores.columns if c in frame.columns]
    if clash:
        raise DataError(f"Table {dataset.table_name(table)!r} already has column(s) {clash}, which are also the "
                        "names of instrument scores; rename them in the codebook or data file.")  # fmt: skip
    return frame.join(scores)


def score_diary(dataset, *, diary_table: str, person: str, dyad: str | None = None, person_table: str | None = None,
                person_columns: Sequence[str] = (), min_answered: float = 0.8) -> pd.DataFrame:  # fmt: skip
    """The diary table of a data set, with person-level scores joined on and one id per person.

    Parameters
    ----------
    dataset : Dataset
        A loaded data set.
    diary_table : str
        The table with one row per person-day.
    person : str
        The person id column (in the diary, and in `person_table` when columns are joined).
    dyad : str, optional
        The couple id column of the diary. When person ids repeat across couples (partners
        numbered 1 and 2 in every couple), a column ``<dyad>_<person>`` is added holding
        ``"<dyad>:<person>"``, one id per person (the person column itself is kept: it may also be
        the partner number).
    person_table : str, optional
        The table with one row per person whose (scored) columns are joined on; needed only when
        `person_columns` is not empty.
    person_columns : sequence of str, default ()
        Person-level columns or instrument scores of `person_table` to join (e.g. attachment
        scores as controls).
    min_answered : float, default 0.8
        Prorating rule for the instrument scores of `person_table` (:func:`score_scale`).

    Returns
    -------
    pandas.DataFrame
        The diary rows (same order and index) with the `person_columns` added. ``.attrs["person"]``
        names the column that identifies persons: `person`, or ``<dyad>_<person>`` when `person`
        repeats across couples.

    Raises
    ------
    DataError
        A missing table or column, or person-level columns asked for without `person_table`.

    See Also
    --------
    score_dataset : one table with its scores.

    Examples
    --------
    >>> import tempfile
    >>> from analysis import load_dataset, write_demo_survey
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     dataset = load_dataset(write_demo_survey(tmp, n_couples=60, seed=1))
    ...     diary = score_diary(dataset, diary_table="diary", person="person_id", dyad="couple_id",
    ...                         person_table="survey", person_columns=["ecr_s_avoidance"])
    >>> "ecr_s_avoidance" in diary and len(diary) == len(dataset.table("diary")), diary.attrs["person"]
    (True, 'person_id')
    """
    diary = dataset.table(diary_table)
    _require_columns(diary, [person] + ([dyad] if dyad else []), what=f"table {diary_table!r}")
    columns = list(person_columns)
    if columns:
        if person_table is None:
            raise DataError(f"Person-level columns {columns} need `person_table` (the table with one row per person).")
        persons = score_dataset(dataset, table=person_table, min_answered=min_answered)
        _require_columns(persons, [person] + columns, what=f"table {person_table!r} (with its scores)")
        merged = diary.merge(persons[[person] + columns], on=person, how="left")
        merged.index = diary.index
        diary = merged
    unique_id = person
    if dyad and diary.groupby(person)[dyad].nunique().gt(1).any():
        unique_id = f"{dyad}_{person}"
        diary = diary.assign(**{unique_id: diary[dyad].astype(str) + ":" + diary[person].astype(str)})
    diary.attrs["person"] = unique_id
    return diary
