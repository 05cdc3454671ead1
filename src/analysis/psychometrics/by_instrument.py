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
from analysis.psychometrics.factor_retention import parallel_analysis, velicer_map
from analysis.psychometrics.omega import ONE_FACTOR_WARNING, omega
from analysis.psychometrics.reliability import cronbach_alpha, item_statistics
from analysis.psychometrics.sem import cfa, dyadic_invariance, measurement_invariance

__all__ = ["scale_cfa", "scale_invariance", "scale_dyadic_invariance", "scale_reliability", "scale_item_statistics",
           "scale_dimensionality"]


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
        One row per respondent, raw item responses. Not modified.
    instruments : dict
        ``{instrument id: {item id: column}}`` (``Dataset.instruments(table)``); instruments
        without a definition file are left out.
    ranges : dict, optional
        Response ranges of the data, ``{column: [min, max]}`` (``Dataset.item_ranges(table)``),
        for reverse keying; by default the instrument's own response range.
    missing : {"listwise", "fiml"}, default "listwise"
        As in `cfa`.
    min_items : int, default 4
        Instruments with fewer items are listed with a note, not fitted (three items on one
        factor have df = 0).

    Returns
    -------
    pandas.DataFrame
        One row per instrument:

        - ``instrument`` : instrument id.
        - ``factors`` : names of the subscales fitted as factors (comma-separated).
        - ``n_items`` : number of items.
        - ``n``, ``chi_square``, ``df``, ``p_value``, ``cfi``, ``tli``, ``rmsea``,
          ``rmsea_ci_low``, ``rmsea_ci_high``, ``srmr`` : the fit columns of `cfa`.
        - ``min_loading`` : smallest completely standardized loading.
        - ``note`` : why a model was not fitted, or its estimation warnings (else missing).

    Raises
    ------
    analysis.exceptions.ParameterError
        An unknown `missing`.
    analysis.exceptions.DataError
        A column of `instruments` is absent from `data`.

    See Also
    --------
    cfa, scale_invariance

    Notes
    -----
    Reverse-keyed items are reversed first (``(min + max) - x``), so every loading is expected
    positive. Each instrument is fitted by `cfa` (``lavaan::cfa`` with marker-variable
    identification) with its subscales as correlated factors, or one factor for an instrument
    scored as a total. Warnings and data errors of one instrument become its ``note``.

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
    Statistical Software, 48*(2), 1-36. https://doi.org/10.18637/jss.v048.i02

    Examples
    --------
    >>> from analysis import scale_cfa, simulate_demo_survey
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> out = scale_cfa(survey, instruments={"swls": {str(i): f"swls_{i}" for i in range(1, 6)}})
    >>> print(out[["instrument", "n_items", "n", "df", "cfi", "srmr"]].round(2).to_string(index=False))
    instrument  n_items     n  df  cfi  srmr
          swls        5 111.0 5.0 0.99  0.03
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
    data : pandas.DataFrame
        One row per respondent, raw item responses. Not modified.
    instruments : dict
        ``{instrument id: {item id: column}}`` (``Dataset.instruments(table)``); instruments
        without a definition file are left out.
    group : str
        Column defining the groups (e.g. ``"gender"``).
    ranges : dict, optional
        Response ranges of the data, ``{column: [min, max]}`` (``Dataset.item_ranges(table)``),
        for reverse keying; by default the instrument's own response range.
    missing : {"listwise", "fiml"}, default "listwise"
        As in `cfa`.
    min_items : int, default 4
        Instruments with fewer items are listed with a note, not tested.
    min_group_n : int, default 100
        Groups with fewer rows holding `group` are left out (and named in ``note``): a
        multi-group CFA on a handful of people is not informative and often not estimable.

    Returns
    -------
    pandas.DataFrame
        Three rows per tested instrument, one per ``level``, and one row with a ``note`` for an
        instrument not tested:

        - ``instrument`` : instrument id.
        - ``level`` : ``"configural"``, ``"metric"`` or ``"scalar"``.
        - ``groups`` : the groups compared, with their n.
        - ``n``, ``chi_square``, ``df``, ``cfi``, ``rmsea``, ``srmr`` : fit of the level.
        - ``delta_chi_square``, ``delta_df``, ``delta_p_value``, ``delta_cfi``,
          ``delta_rmsea`` : differences to the previous level (`measurement_invariance`).
        - ``note`` : groups left out, estimation warnings, or why the instrument was not tested.

    Raises
    ------
    analysis.exceptions.ParameterError
        An unknown `missing`.
    analysis.exceptions.DataError
        `group` or a column of `instruments` is absent from `data`.

    See Also
    --------
    measurement_invariance, scale_cfa

    Notes
    -----
    Each instrument's keyed items are passed to `measurement_invariance` (``lavaan::cfa`` with
    ``group.equal`` and ``lavTestLRT``) on the rows of the groups kept.

    References
    ----------
    Putnick, D. L., & Bornstein, M. H. (2016). Measurement invariance conventions and reporting:
    The state of the art and future directions for psychological research. *Developmental
    Review, 41*, 71-90. https://doi.org/10.1016/j.dr.2016.06.004

    Examples
    --------
    >>> from analysis import scale_invariance, simulate_demo_survey
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> out = scale_invariance(survey, instruments={"swls": {str(i): f"swls_{i}" for i in range(1, 6)}},
    ...                        group="gender", min_group_n=40)
    >>> print(out[["level", "groups", "df", "delta_df"]].to_string(index=False))
         level               groups  df  delta_df
    configural man (62), woman (55)  10       NaN
        metric man (62), woman (55)  14       4.0
        scalar man (62), woman (55)  18       4.0
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
        role in `partner` (two roles). Not modified.
    instruments : dict
        ``{instrument id: {item id: column}}`` (``Dataset.instruments(table)``); instruments
        without a definition file are left out.
    dyad : str
        Column with the couple (dyad) id.
    partner : str
        Column with the member number within a couple (two values, e.g. 1 and 2).
    ranges : dict, optional
        Response ranges of the data, ``{column: [min, max]}`` (``Dataset.item_ranges(table)``),
        for reverse keying; by default the instrument's own response range.
    missing : {"listwise", "fiml"}, default "listwise"
        As in `cfa`: incomplete couples are dropped, or kept under FIML.
    min_items : int, default 4
        Instruments with fewer items are listed with a note, not tested.

    Returns
    -------
    pandas.DataFrame
        Three rows per tested instrument, one per ``level``, and one row with a ``note`` for an
        instrument not tested:

        - ``instrument`` : instrument id.
        - ``level`` : ``"configural"``, ``"metric"`` (loadings) or ``"scalar"`` (intercepts).
        - ``groups`` : the number of couples with both members answering.
        - ``n``, ``chi_square``, ``df``, ``cfi``, ``rmsea``, ``srmr`` : fit of the level.
        - ``delta_chi_square``, ``delta_df``, ``delta_p_value``, ``delta_cfi``,
          ``delta_rmsea`` : differences to the previous level (`dyadic_invariance`).
        - ``note`` : estimation warnings, or why the instrument was not tested.

    Raises
    ------
    analysis.exceptions.ParameterError
        An unknown `missing`.
    analysis.exceptions.DataError
        `dyad`, `partner` or a column of `instruments` is absent from `data`.

    See Also
    --------
    dyadic_invariance, scale_invariance

    Notes
    -----
    The keyed items are reshaped to one row per couple (``individual_to_dyad``) and passed to
    `dyadic_invariance` (dySEM's ``scriptCFA`` models fitted with ``lavaan::cfa`` and
    ``lavTestLRT``).

    References
    ----------
    Sakaluk, J. K., Fisher, A. N., & Kilshaw, R. E. (2021). Dyadic measurement invariance and its
    importance for replicability in romantic relationship science. *Personal Relationships,
    28*(1), 190-226. https://doi.org/10.1111/pere.12341

    Examples
    --------
    >>> from analysis import scale_dyadic_invariance, simulate_demo_survey
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> out = scale_dyadic_invariance(survey, instruments={"swls": {str(i): f"swls_{i}" for i in range(1, 6)}},
    ...                               dyad="couple_id", partner="partner")
    >>> print(out[["level", "groups", "n", "df"]].to_string(index=False))
         level     groups  n  df
    configural 56 couples 51  29
        metric 56 couples 51  33
        scalar 56 couples 51  37
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
        One row per respondent, raw item responses. Not modified.
    instruments : dict
        ``{instrument id: {item id: column}}`` (``Dataset.instruments(table)``); instruments
        without a definition file are left out.
    ranges : dict, optional
        Response ranges of the data, ``{column: [min, max]}`` (``Dataset.item_ranges(table)``),
        for reverse keying; by default the instrument's own response range.
    ci : float, default 0.95
        Confidence level of the Feldt interval of alpha.
    missing : {"pairwise", "listwise"}, default "pairwise"
        Missing-data handling of the covariances (psych's default is pairwise).

    Returns
    -------
    pandas.DataFrame
        One row per score (``df.attrs["ci"]`` holds `ci`):

        - ``instrument``, ``score`` : instrument id and score name.
        - ``n_items`` : items of the score; ``n`` : respondents used by alpha.
        - ``alpha``, ``ci_low``, ``ci_high`` : Cronbach's alpha and its Feldt interval.
        - ``std_alpha``, ``average_r`` : standardized alpha and mean inter-item correlation.
        - ``omega_total`` : McDonald's omega total, ``psych::omega(...)$omega.tot`` (see Notes).
        - ``omega_hierarchical`` : omega hierarchical of the Schmid-Leiman solution (6+ items;
          missing for 3-5 items, where psych calls it not meaningful).
        - ``omega_congeneric`` : the one-factor (congeneric) model's omega, model-implied
          rather than observed total variance in the denominator.
        - ``omega_method`` : ``"Schmid-Leiman, 3 group factors"`` or ``"one factor"``.
        - ``note`` : warnings raised while fitting (else missing).

    Raises
    ------
    analysis.exceptions.ParameterError
        A bad `ci` or `missing`.
    analysis.exceptions.DataError
        A column of `instruments` is absent from `data`, or an item has no variance.

    See Also
    --------
    cronbach_alpha, omega, scale_item_statistics

    Notes
    -----
    Alpha as `cronbach_alpha` (``psych::alpha``). Omega total is ``psych::omega``'s, ``(V - sum
    u2) / V`` with V the sum of the item correlation matrix: for scores of 6 or more items from
    the Schmid-Leiman solution with three group factors (minres, oblimin), for 3-5 items from one
    minres factor (``nfactors = 1``). The congeneric omega, ``(sum lambda)^2 / ((sum lambda)^2 +
    sum psi)`` from the same one-factor model, equals omega total when one factor fits and is
    lower or higher when it does not (it divides by the model's total variance, not the
    observed one). Scores of fewer than 3 items get alpha only. Scores whose items are not all
    mapped in `instruments` are left out.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika, 16*(3), 297-334. https://doi.org/10.1007/BF02310555

    McDonald, R. P. (1999). *Test theory: A unified treatment*. Lawrence Erlbaum.

    Examples
    --------
    >>> from analysis import scale_reliability, simulate_demo_survey
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> out = scale_reliability(survey, instruments={"ecr_s": {str(i): f"ecr_s_{i}" for i in range(1, 13)}})
    >>> print(out[["score", "n", "alpha", "omega_total"]].round(2).to_string(index=False))
        score   n  alpha  omega_total
      anxiety 117   0.86         0.89
    avoidance 117   0.85         0.90
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
                if len(items) >= 3:
                    row.update(_omegas(keyed, items, missing))
            notes = {str(w.message) for w in caught} - {ONE_FACTOR_WARNING}
            row["note"] = "; ".join(sorted(notes)) or None
            rows.append(row)
    columns = ["instrument", "score", "n_items", "n", "alpha", "ci_low", "ci_high", "std_alpha", "average_r",
               "omega_total", "omega_hierarchical", "omega_congeneric", "omega_method", "note"]  # fmt: skip
    out = pd.DataFrame(rows).reindex(columns=columns)
    out.attrs["ci"] = ci
    return out


def _omegas(keyed: pd.DataFrame, items: list[str], missing: str) -> dict:
    """Omega total and hierarchical as ``psych::omega`` (3 group factors from 6 items, else 1), and
    the one-factor (congeneric) model's omega, ``(sum lambda)^2 / ((sum lambda)^2 + sum psi)``, with
    the loadings of negatively loading items flipped as omega flips them."""
    one = omega(keyed, items=items, n_factors=1, missing=missing)
    om = omega(keyed, items=items, n_factors=3, missing=missing) if len(items) >= 6 else one
    lam = one.loadings.loc[one.loadings["factor"] == "g", "loading"].to_numpy()
    psi = one.communalities["u2"].to_numpy()
    c = om.coefficients.iloc[0]
    return {"omega_total": c["omega_total"],
            "omega_hierarchical": c["omega_hierarchical"] if om is not one else float("nan"),
            "omega_congeneric": lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum()),
            "omega_method": "Schmid-Leiman, 3 group factors" if om is not one else "one factor"}


def scale_item_statistics(
    data: pd.DataFrame,
    *,
    instruments: Mapping[str, Mapping[str, str]],
    ranges: Mapping[str, Sequence[float]] | None = None,
    missing: str = "pairwise",
) -> pd.DataFrame:
    """`item_statistics` of every subscale of every instrument, on the keyed items.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, raw item responses. Not modified.
    instruments : dict
        ``{instrument id: {item id: column}}`` (``Dataset.instruments(table)``); instruments
        without a definition file are left out.
    ranges : dict, optional
        Response ranges of the data, ``{column: [min, max]}`` (``Dataset.item_ranges(table)``),
        for reverse keying; by default the instrument's own response range.
    missing : {"pairwise", "listwise"}, default "pairwise"
        Missing-data handling of the covariances, as in `item_statistics`.

    Returns
    -------
    pandas.DataFrame
        One row per item of each subscale (the ``total`` of an instrument with subscales is
        left out): ``instrument``, ``score``, then the columns of `item_statistics` (``item``,
        ``n``, ``mean``, ``sd``, ``r_item_total``, ``r_std``, ``r_cor``, ``r_drop``,
        ``alpha_if_deleted``, ``std_alpha_if_deleted``, ``average_r_if_deleted``). With no
        subscale of two or more items: no rows, columns ``instrument``, ``score``, ``item``.

    Raises
    ------
    analysis.exceptions.ParameterError
        A bad `missing`.
    analysis.exceptions.DataError
        A column of `instruments` is absent from `data`, or an item has no variance.

    See Also
    --------
    item_statistics, scale_reliability

    Notes
    -----
    Matches ``psych::alpha(keyed items)$item.stats`` and ``$alpha.drop`` per subscale, as
    `item_statistics`. Mixed-key warnings are left to `scale_reliability`.

    References
    ----------
    Revelle, W. (2022). *psych* (R package version 2.2.9). https://CRAN.R-project.org/package=psych

    Examples
    --------
    >>> from analysis import scale_item_statistics, simulate_demo_survey
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> out = scale_item_statistics(survey, instruments={"swls": {str(i): f"swls_{i}" for i in range(1, 6)}})
    >>> print(out[["score", "item", "r_drop"]].round(2).to_string(index=False))
    score   item  r_drop
    total swls_1    0.74
    total swls_2    0.73
    total swls_3    0.64
    total swls_4    0.64
    total swls_5    0.68
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
        One row per respondent, raw item responses. Not modified.
    instruments : dict
        ``{instrument id: {item id: column}}`` (``Dataset.instruments(table)``); instruments
        without a definition file are left out.
    ranges : dict, optional
        Response ranges of the data, ``{column: [min, max]}`` (``Dataset.item_ranges(table)``),
        for reverse keying; by default the instrument's own response range.
    n_iter : int, default 20
        Simulated data sets for parallel analysis.
    seed : int, optional
        Seed of the parallel analysis (``numpy.random.default_rng``).
    min_items : int, default 6
        Instruments with fewer items are left out.

    Returns
    -------
    pandas.DataFrame
        One row per instrument with at least `min_items` items:

        - ``instrument`` : instrument id; ``n_items`` : number of items.
        - ``n_subscales`` : scores other than ``total`` (at least 1).
        - ``parallel_factors``, ``parallel_components`` : numbers suggested by
          `parallel_analysis` (psych's fa.parallel rule).
        - ``map_components`` : number suggested by Velicer's MAP (`velicer_map`).

    Raises
    ------
    analysis.exceptions.DataError
        A column of `instruments` is absent from `data`, or an item has no variance.

    See Also
    --------
    parallel_analysis, velicer_map

    Notes
    -----
    As ``psych::fa.parallel`` and ``psych::VSS()$map`` on each instrument's keyed items
    (pairwise correlations); MAP partials out at most 8 components.

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    *Psychometrika, 30*(2), 179-185. https://doi.org/10.1007/BF02289447

    Velicer, W. F. (1976). Determining the number of components from the matrix of partial
    correlations. *Psychometrika, 41*(3), 321-327. https://doi.org/10.1007/BF02293557

    Examples
    --------
    >>> from analysis import scale_dimensionality, simulate_demo_survey
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> out = scale_dimensionality(survey, instruments={"ecr_s": {str(i): f"ecr_s_{i}" for i in range(1, 13)}},
    ...                            n_iter=5, seed=1)
    >>> print(out.to_string(index=False))
    instrument  n_items  n_subscales  parallel_factors  parallel_components  map_components
         ecr_s       12            2                 2                    2               2
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
