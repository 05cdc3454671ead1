"""APA tables of the by-instrument psychometrics (`analysis.psychometrics.by_instrument`) whose
notes are built from the table itself: which groups were compared, and why a model was not fitted.
"""

from __future__ import annotations

import pandas as pd

from analysis.apa import HtmlBlock, apa_table

__all__ = ["invariance_table", "dyadic_invariance_table"]


def invariance_table(invariance: pd.DataFrame, *, group: str, number: int | None = None,
                     labels: dict[str, str] | None = None) -> HtmlBlock:  # fmt: skip
    """Measurement invariance across the groups of `group` as an APA table, its note naming the
    groups compared and every instrument's note (groups left out, models not fitted).

    Parameters
    ----------
    invariance : pandas.DataFrame
        The table of `analysis.scale_invariance` (columns ``groups`` and ``note`` go to the note).
    group : str
        The grouping column (named in the title).
    number : int, optional
        Table number.
    labels : dict, optional
        Readable names of the instrument ids (`analysis.score_labels`).

    Returns
    -------
    HtmlBlock
        The table.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"instrument": ["ecr_s"], "level": ["configural"], "groups": ["woman, man"],
    ...                   "note": [None], "cfi": [0.95]})
    >>> "Groups compared: woman, man." in invariance_table(t, group="gender").html
    True
    """
    groups = invariance["groups"].iloc[0] if len(invariance) else "none"
    notes = " ".join(f"{n}." for n in invariance["note"].dropna().unique())
    return apa_table(invariance.drop(columns=["groups", "note"]), title=f"Measurement invariance by {group}",
                     number=number, labels=labels, decimals=3,
                     note=f"Groups compared: {groups}. Δ: change from the previous level. " + notes)  # fmt: skip


def dyadic_invariance_table(dyadic: pd.DataFrame, *, number: int | None = None,
                            labels: dict[str, str] | None = None) -> HtmlBlock:  # fmt: skip
    """Dyadic invariance across the two partners of each couple as an APA table, with each
    instrument's note (models not fitted) in the table note.

    Parameters
    ----------
    dyadic : pandas.DataFrame
        The table of `analysis.scale_dyadic_invariance` (column ``note`` goes to the note).
    number : int, optional
        Table number.
    labels : dict, optional
        Readable names of the instrument ids (`analysis.score_labels`).

    Returns
    -------
    HtmlBlock
        The table.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"instrument": ["ucla_3"], "level": ["configural"], "note": ["3 items: not testable"]})
    >>> "ucla_3: 3 items: not testable." in dyadic_invariance_table(t).html
    True
    """
    notes = " ".join(f"{i}: {n}." for i, n in dyadic[["instrument", "note"]].dropna().drop_duplicates()
                     .itertuples(index=False))  # fmt: skip
    return apa_table(dyadic.drop(columns=["note"]), title="Dyadic invariance across partners", number=number,
                     labels=labels, decimals=3,
                     note="Groups: the two partners of each couple; n: couples with both partners answering "
                          "(listwise) or all couples (FIML). Δ: change from the previous level. " + notes)  # fmt: skip
