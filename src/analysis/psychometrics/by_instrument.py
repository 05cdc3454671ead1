"""Psychometrics of every instrument in a data set: reliability, item statistics, dimensionality,
CFA of the scoring structure, and measurement invariance across groups and across partners; one
tidy row per instrument or subscale, built from the single-scale functions."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import pandas as pd

from analysis._checks import _check_one_of, _require_columns
from analysis.exceptions import AnalysisWarning, DataError
from analysis.psychometrics._sem_model import (
    _MISSING,
    _items,
)
from analysis.psychometrics.efa import efa
from analysis.psychometrics.factor_retention import parallel_analysis, velicer_map
from analysis.psychometrics.omega import omega
from analysis.psychometrics.reliability import cronbach_alpha, item_statistics
from analysis.psychometrics.sem import cfa, dyadic_invariance, measurement_invariance

__all__ = ["scale_cfa", "scale_invariance", "scale_dyadic_invariance", "scale_reliability", "scale_item_statistics", "scale_dimensionality"]


# --------------------------------------------------------------------------------------------
# every instrument of a data set (the tables of 01_psychometrics and 02_attachment_explorer)
# --------------------------------------------------------------------------------------------
SCALE_FIT = ["n", "chi_square", "df", "p_value", "cfi", "tli", "rmsea", "rmsea_ci_low",
             "rmsea_ci_high", "srmr"]
SCALE_DELTA = ["n", "chi_square", "df", "cfi", "rmsea", "srmr", "delta_chi_square", "delta_df",
               "delta_p_value", "delta_cfi", "delta_rmsea"]


def _instrument_models(data, instruments, ranges, min_items):
    """Yield (instrument id, {factor: keyed item columns}, keyed items, reason to skip or None)."""
    from analysis.scoring.scales import keyed_instruments, subscale_items

    for ins, cols, keyed in keyed_instruments(data, instruments, ranges):
        factors = {f: its for f, its in subscale_items(ins, cols).items() if its}
        n_items = len(_items(factors))
        reason = None
        if n_items < min_items:
            reason = f"{n_items} item(s): fewer than {min_items}, fit is not testable"
        elif any(len(its) < 2 for its in factors.values()):
            reason = "a subscale with one item cannot be a factor"
        yield ins.id, factors, keyed, reason


def _fit_quietly(fn, **kwargs):
    """Call a fitting function; warnings and data errors become a note instead of stopping."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(**kwargs)
        except DataError as err:
            return None, str(err)
    notes = list(dict.fromkeys(str(w.message).split(";")[0] for w in caught))
    return out, "; ".join(notes) or None


def scale_cfa(data, *, instruments, ranges=None, missing="listwise", min_items=4):
    """CFA of every instrument's scoring structure: its subscales as correlated factors.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, raw item responses.
    instruments : dict
        ``{instrument id: {item id: column}}`` (``Dataset.instruments(table)``); instruments
        without a definition file are left out.
    ranges : dict, optional
        Response ranges (``Dataset.item_ranges(table)``): reverse-keyed items are reversed first,
        so every loading is expected positive.
    missing : {"listwise", "fiml"}, default "listwise"
        As in `cfa`.
    min_items : int, default 4
        Instruments with fewer items are listed with a note, not fitted (three items on one
        factor have df = 0).

    Returns
    -------
    pandas.DataFrame
        One row per instrument: ``instrument``, ``factors`` (names of the subscales fitted as
        factors), ``n_items``, the fit columns of `cfa` (``n`` ... ``srmr``), ``min_loading``
        (smallest standardized loading) and ``note`` (why a model was not fitted, or its
        estimation warnings).
    """
    _check_one_of("missing", missing, _MISSING)
    rows = []
    for ins_id, factors, keyed, reason in _instrument_models(data, instruments, ranges, min_items):
        row = {"instrument": ins_id, "factors": ", ".join(factors), "n_items": len(_items(factors))}
        if reason is None:
            res, reason = _fit_quietly(cfa, data=keyed, factors=factors, missing=missing)
            if res is not None:
                row |= res.fit[SCALE_FIT].iloc[0].to_dict()
                row["min_loading"] = float(res.loadings["std_estimate"].min())
        rows.append(row | {"note": reason})
    return pd.DataFrame(rows, columns=["instrument", "factors", "n_items", *SCALE_FIT,
                                       "min_loading", "note"])


def scale_invariance(data, *, instruments, group, ranges=None, missing="listwise", min_items=4,
                     min_group_n=100):
    """Measurement invariance (configural, metric, scalar) of every instrument across groups.

    Parameters
    ----------
    data, instruments, ranges, missing, min_items
        As in `scale_cfa`.
    group : str
        Column defining the groups (e.g. ``"gender"``).
    min_group_n : int, default 100
        Groups with fewer rows holding `group` are left out (and named in ``note``): a
        multi-group CFA on a handful of people is not informative and often not estimable.

    Returns
    -------
    pandas.DataFrame
        Three rows per fitted instrument (``level`` configural, metric, scalar): ``instrument``,
        ``level``, ``groups`` (the groups compared, with their n), ``n``, ``chi_square``, ``df``,
        ``cfi``, ``rmsea``, ``srmr`` and the differences to the previous level of
        `measurement_invariance`; one row with a ``note`` for instruments not tested.
    """
    _check_one_of("missing", missing, _MISSING)
    _require_columns(data, [group])
    counts = data[group].value_counts()
    small = counts[counts < min_group_n]
    kept = data[data[group].isin(counts.index[counts >= min_group_n])]
    left_out = (f"left out (n < {min_group_n}): " + ", ".join(f"{k} ({v})" for k, v in small.items())
                if len(small) else None)
    groups = ", ".join(f"{k} ({v})" for k, v in counts[counts >= min_group_n].items())
    rows = []
    for ins_id, factors, keyed, reason in _instrument_models(kept, instruments, ranges, min_items):
        base = {"instrument": ins_id, "groups": groups}
        if reason is None and counts.ge(min_group_n).sum() < 2:
            reason = f"fewer than two groups of {group!r} with at least {min_group_n} rows"
        if reason is None:
            res, reason = _fit_quietly(measurement_invariance, data=keyed.assign(**{group: kept[group]}),
                                       factors=factors, group=group, missing=missing)
            if res is not None:
                note = "; ".join(x for x in (reason, left_out) if x) or None
                rows += [base | r | {"note": note} for r in res[["level", *SCALE_DELTA]].to_dict("records")]
                continue
        rows.append(base | {"note": reason})
    return pd.DataFrame(rows, columns=["instrument", "level", "groups", *SCALE_DELTA, "note"])


def scale_dyadic_invariance(data, *, instruments, dyad, partner, ranges=None, missing="listwise",
                            min_items=4):
    """Dyadic invariance (configural, loading, intercept) of every instrument across partners.

    Parameters
    ----------
    data : pandas.DataFrame
        Individual format: one row per person, with the couple id in `dyad` and the member's
        role in `partner` (two roles).
    instruments, ranges, missing, min_items
        As in `scale_cfa`.

    Returns
    -------
    pandas.DataFrame
        As `scale_invariance` (``groups``: the number of couples with both members answering;
        incomplete couples are dropped listwise or kept under FIML), from
        `dyadic_invariance` on the couples' wide data.
    """
    from analysis.data.dyad_reshape import individual_to_dyad

    _check_one_of("missing", missing, _MISSING)
    _require_columns(data, [dyad, partner])
    roles = sorted(pd.unique(data[partner].dropna()).tolist())
    rows = []
    for ins_id, factors, keyed, reason in _instrument_models(data, instruments, ranges, min_items):
        with warnings.catch_warnings():  # persons with no item answered: dropped below anyway
            warnings.simplefilter("ignore", AnalysisWarning)
            wide = individual_to_dyad(keyed.assign(**{dyad: data[dyad], partner: data[partner]}),
                                      dyad=dyad, partner=partner, roles=roles)
        both = int(wide[[f"{_items(factors)[0]}_{r}" for r in roles]].notna().all(axis=1).sum())
        base = {"instrument": ins_id, "groups": f"{both:,} couples"}
        if reason is None and len(roles) != 2:
            reason = f"{partner!r} has {len(roles)} roles; dyadic invariance needs two"
        if reason is None:
            res, reason = _fit_quietly(
                dyadic_invariance, data=wide, missing=missing,
                factors_partner1={f: [f"{i}_{roles[0]}" for i in its] for f, its in factors.items()},
                factors_partner2={f: [f"{i}_{roles[1]}" for i in its] for f, its in factors.items()})
            if res is not None:
                rows += [base | r | {"note": reason} for r in res[["level", *SCALE_DELTA]].to_dict("records")]
                continue
        rows.append(base | {"note": reason})
    return pd.DataFrame(rows, columns=["instrument", "level", "groups", *SCALE_DELTA, "note"])


def scale_reliability(
    data: pd.DataFrame,
    *,
    instruments: Mapping[str, Mapping[str, str]],
    ranges: Mapping[str, Sequence[float]] | None = None,
    ci: float = 0.95,
    missing: str = "pairwise",
) -> pd.DataFrame:
    """Reliability of every score of every instrument in a data set, from its keyed items.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, raw item responses.
    instruments : dict
        ``{instrument id: {item id: column}}`` (``Dataset.instruments(table)``); instruments
        without a definition file are left out.
    ranges : dict, optional
        Response ranges of the data (``Dataset.item_ranges(table)``), for reverse keying.
    ci : float, default 0.95
        Level of the Feldt interval of alpha.
    missing : {"pairwise", "listwise"}, default "pairwise"
        Missing-data handling of the covariances (psych's default is pairwise).

    Returns
    -------
    pandas.DataFrame
        One row per score: ``instrument``, ``score``, ``n_items``, ``n``, ``alpha``, ``ci_low``,
        ``ci_high`` (Feldt), ``std_alpha``, ``average_r``, ``omega_total``,
        ``omega_hierarchical``, ``omega_method`` and ``note`` (warnings raised while fitting).

    Notes
    -----
    Omega: for scores of 6 or more items, psych::omega's Schmid-Leiman solution with three
    group factors (minres, oblimin); for 3-5 items, McDonald's omega from one minres factor,
    ``(sum lambda)^2 / ((sum lambda)^2 + sum psi)``, which is then also omega hierarchical.
    Scores of fewer than 3 items get alpha only.
    """
    import warnings

    from analysis.scoring.scales import keyed_instruments

    rows = []
    for ins, cols, keyed in keyed_instruments(data, instruments, ranges):
        for score, members in ins.scores.items():
            items = [cols[m] for m in members if m in cols]
            if len(items) != len(members) or len(items) < 2:
                continue
            row = {"instrument": ins.id, "score": score, "n_items": len(items)}
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                a = cronbach_alpha(keyed, items=items, ci=ci, missing=missing).iloc[0]
                row.update(n=int(a["n"]), alpha=a["alpha"], ci_low=a["ci_low"], ci_high=a["ci_high"],
                           std_alpha=a["std_alpha"], average_r=a["average_r"])  # fmt: skip
                if len(items) >= 6:
                    om = omega(keyed, items=items, n_factors=3).table.iloc[0]
                    row.update(omega_total=om["omega_total"], omega_hierarchical=om["omega_hierarchical"],
                               omega_method="Schmid-Leiman, 3 group factors")  # fmt: skip
                elif len(items) >= 3:
                    fit = efa(keyed, items=items, n_factors=1, rotation="none", missing=missing)
                    lam = fit.loadings["loading"].to_numpy()
                    psi = fit.communalities["u2"].to_numpy()
                    om = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())
                    row.update(omega_total=om, omega_hierarchical=om, omega_method="one factor")
            row["note"] = "; ".join(sorted({str(w.message) for w in caught})) or None
            rows.append(row)
    columns = ["instrument", "score", "n_items", "n", "alpha", "ci_low", "ci_high", "std_alpha", "average_r",
               "omega_total", "omega_hierarchical", "omega_method", "note"]  # fmt: skip
    out = pd.DataFrame(rows).reindex(columns=columns)
    out.attrs["ci"] = ci
    return out


def scale_item_statistics(
    data: pd.DataFrame,
    *,
    instruments: Mapping[str, Mapping[str, str]],
    ranges: Mapping[str, Sequence[float]] | None = None,
    missing: str = "pairwise",
) -> pd.DataFrame:
    """:func:`item_statistics` of every subscale of every instrument, on the keyed items.

    Returns
    -------
    pandas.DataFrame
        ``instrument``, ``score`` and the columns of :func:`item_statistics` (one row per item of
        each subscale; the ``total`` of an instrument with subscales is left out).
    """
    import warnings

    from analysis.scoring.scales import keyed_instruments, subscale_items

    parts = []
    for ins, cols, keyed in keyed_instruments(data, instruments, ranges):
        for score, items in subscale_items(ins, cols).items():
            if len(items) < 2:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # mixed-key warnings are reported by scale_reliability
                stats = item_statistics(keyed, items=items, missing=missing)
            parts.append(stats.assign(instrument=ins.id, score=score))
    if not parts:
        return pd.DataFrame(columns=["instrument", "score", "item"])
    out = pd.concat(parts, ignore_index=True)
    return out[["instrument", "score"] + [c for c in out.columns if c not in ("instrument", "score")]]


def scale_dimensionality(data, *, instruments, ranges=None, n_iter=20, seed=None, min_items=6):
    """How many factors each instrument's items suggest, against the number it is scored on.

    Parameters
    ----------
    data : pandas.DataFrame
        Raw item responses, one row per respondent.
    instruments : dict
        ``{instrument id: {item id: column}}`` (``Dataset.instruments(table)``).
    ranges : dict, optional
        Response ranges of the data, for reverse keying (``Dataset.item_ranges(table)``).
    n_iter : int, default 20
        Simulated data sets for parallel analysis.
    seed : int, optional
        Seed of the parallel analysis.
    min_items : int, default 6
        Instruments with fewer items are left out.

    Returns
    -------
    pandas.DataFrame
        One row per instrument: ``instrument``, ``n_items``, ``n_subscales`` (scores other than
        ``total``, at least 1), ``parallel_factors`` and ``parallel_components`` (psych's
        fa.parallel rule), ``map_components`` (Velicer's MAP).
    """
    from analysis.scoring.scales import keyed_instruments, subscale_items

    rows = []
    for ins, cols, keyed in keyed_instruments(data, instruments, ranges):
        if len(cols) < min_items:
            continue
        items = list(keyed.columns)
        pa = parallel_analysis(keyed, items=items, n_iter=n_iter, seed=seed)
        mp = velicer_map(keyed, items=items, max_factors=min(8, len(items) - 1))
        rows.append({"instrument": ins.id, "n_items": len(items), "n_subscales": len(subscale_items(ins, cols)),
                     "parallel_factors": pa.n_factors, "parallel_components": pa.n_components,
                     "map_components": mp.n_components})  # fmt: skip
    return pd.DataFrame(rows, columns=["instrument", "n_items", "n_subscales", "parallel_factors",
                                       "parallel_components", "map_components"])  # fmt: skip
