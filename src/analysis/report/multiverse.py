"""Tables and text of a multiverse report (notebook ``07_multiverse``): where the multiverse came
from (`multiverse_source_sentence`), the grid of decisions and options
with how many specifications each option is in (fitted, failed, declared incompatible), the
incompatible combinations by the rule that excluded them, the failed specifications with their
reasons, the curve at a glance and each decision's share of the spread, in percent. They read a
multiverse result (`analysis.claims.multiverse`) or its ``.specifications`` table: one row per
specification, a column per decision, ``status`` ("ok", "failed", "incompatible", "not run")
and ``reason``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from analysis.exceptions import ParameterError

__all__ = ["multiverse_grid_table", "multiverse_rules_table", "multiverse_failures_table", "multiverse_summary_table",
           "multiverse_importance_table", "multiverse_source_sentence", "decision_columns"]

#: columns of a multiverse's `.specifications` table that are not decisions
RESULT_COLUMNS = frozenset({
    "spec_id", "estimate", "se", "ci_low", "ci_high", "p_value", "n", "status", "reason", "statistic", "df",
    "definition", "note", "term", "effect", "family", "significant", "rank", "seconds",
})  # fmt: skip


def decision_columns(table: pd.DataFrame) -> list[str]:
    """The decision columns of a ``.specifications`` table, in table order.

    Parameters
    ----------
    table : pandas.DataFrame
        A multiverse's specifications (or its grid, ``MultiverseSpec.specifications()``).

    Returns
    -------
    list of str
        Every column that is not a result column (``spec_id``, ``estimate``, ``se``,
        ``ci_low``, ``ci_high``, ``p_value``, ``n``, ``status``, ``reason``, ``definition``,
        ``note``, ``significant``, ...).

    Examples
    --------
    >>> import pandas as pd
    >>> decision_columns(pd.DataFrame(columns=["spec_id", "outcome", "model", "status", "estimate"]))
    ['outcome', 'model']
    """
    return [str(c) for c in table.columns if c not in RESULT_COLUMNS]


def _decisions(spec_or_decisions) -> dict[str, list[str]]:
    decisions = getattr(spec_or_decisions, "decisions", spec_or_decisions)
    if isinstance(decisions, Mapping):
        return {str(d): [str(o) for o in options] for d, options in decisions.items()}
    if isinstance(decisions, Sequence) and not isinstance(decisions, str):
        return {str(d): [] for d in decisions}
    raise ParameterError("Pass a multiverse spec (`read_multiverse(...)`), its `decisions` mapping or a list of "
                         f"decision names, not {type(spec_or_decisions).__name__}.")  # fmt: skip


def _decision_source(result_or_table, table: pd.DataFrame, decisions):
    """The decisions given, else the result's, else the table's decision columns."""
    if decisions is None:
        decisions = getattr(result_or_table, "decisions", None) or None
    return decision_columns(table) if decisions is None else decisions


def _table(result_or_table) -> pd.DataFrame:
    table = getattr(result_or_table, "specifications", result_or_table)
    if not isinstance(table, pd.DataFrame) or "status" not in table.columns:
        raise ParameterError("Pass a multiverse result (`run_multiverse(...)`) or its `.specifications` table "
                             "(one row per specification with a `status` column).")  # fmt: skip
    return table


def multiverse_grid_table(result_or_table, decisions=None) -> pd.DataFrame:
    """The decisions of a multiverse and their options, with how many specifications use each.

    Parameters
    ----------
    result_or_table : MultiverseResult or pandas.DataFrame
        The result, or its ``.specifications`` table.
    decisions : MultiverseSpec, mapping or sequence, optional
        The multiverse (its ``decisions``: ``{decision: [option, ...]}``), that mapping, or the
        decision names (options then in order of first appearance in the table, which for a
        grid is the order of the spec file); default: the result's ``decisions``, else
        `decision_columns`.

    Returns
    -------
    pandas.DataFrame
        One row per option: ``decision``, ``option``, ``specifications`` (combinations with this
        option), ``fitted`` (status "ok"), ``failed`` and ``incompatible`` (declared incompatible,
        not fitted). Each decision's ``specifications`` sum to the size of the grid.

    Raises
    ------
    ParameterError
        A decision that is not a column of the table.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"model": ["ols", "ols", "logit"], "status": ["ok", "failed", "incompatible"]})
    >>> multiverse_grid_table(t, {"model": ["ols", "logit"]})
      decision option  specifications  fitted  failed  incompatible
    0    model    ols               2       1       1             0
    1    model  logit               1       0       0             1
    """
    table = _table(result_or_table)
    decisions = _decisions(_decision_source(result_or_table, table, decisions))
    absent = [d for d in decisions if d not in table.columns]
    if absent:
        raise ParameterError(f"Decision(s) {', '.join(map(repr, absent))} are not columns of the specifications "
                             f"table (columns: {', '.join(map(str, table.columns))}).")  # fmt: skip
    status = table["status"].astype(str)
    rows = []
    for decision, options in decisions.items():
        values = table[decision].astype(str)
        for option in options or list(dict.fromkeys(values)):
            hit = values == option
            counts = {key: int((hit & (status == key)).sum()) for key in ("ok", "failed", "incompatible")}
            rows.append({"decision": decision, "option": option, "specifications": int(hit.sum()),
                         "fitted": counts["ok"], "failed": counts["failed"],
                         "incompatible": counts["incompatible"]})  # fmt: skip
    return pd.DataFrame(rows, columns=["decision", "option", "specifications", "fitted", "failed", "incompatible"])


def multiverse_rules_table(result_or_table) -> pd.DataFrame:
    """The combinations declared incompatible, by rule: how many specifications each rule removed.

    Parameters
    ----------
    result_or_table : MultiverseResult or pandas.DataFrame
        The result, or its ``.specifications`` table (``reason`` names the declared rule).

    Returns
    -------
    pandas.DataFrame
        ``rule`` (the reason, as the specification table gives it) and ``specifications``, in
        order of first appearance; empty when no combination was declared incompatible.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"status": ["ok", "incompatible", "incompatible"],
    ...                   "reason": ["", "logit needs the binary outcome", "logit needs the binary outcome"]})
    >>> multiverse_rules_table(t)
                                 rule  specifications
    0  logit needs the binary outcome               2
    """
    table = _table(result_or_table)
    left = table.loc[table["status"].astype(str) == "incompatible", "reason"].astype(str)
    counts = left.value_counts(sort=False)
    return pd.DataFrame({"rule": counts.index.astype(str), "specifications": counts.to_numpy(int)})


def multiverse_failures_table(result_or_table, decisions=None) -> pd.DataFrame:
    """The specifications whose fit failed, with their decisions and the reason.

    Parameters
    ----------
    result_or_table : MultiverseResult or pandas.DataFrame
        The result, or its ``.specifications`` table.
    decisions : MultiverseSpec, mapping or sequence, optional
        Which columns are decisions (default: the result's ``decisions``, else
        `decision_columns`).

    Returns
    -------
    pandas.DataFrame
        ``spec_id`` (when the table has it), one column per decision and ``reason``, one row per
        failed specification; empty when every fit succeeded.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"spec_id": ["a1", "b2"], "model": ["ols", "tobit"], "estimate": [0.2, None],
    ...                   "status": ["ok", "failed"], "reason": ["", "did not converge"]})
    >>> multiverse_failures_table(t, ["model"])
      spec_id  model            reason
    1      b2  tobit  did not converge
    """
    table = _table(result_or_table)
    names = list(_decisions(_decision_source(result_or_table, table, decisions)))
    keep = (["spec_id"] if "spec_id" in table.columns else []) + names + ["reason"]
    return table.loc[table["status"].astype(str) == "failed", keep]


def multiverse_summary_table(result) -> pd.DataFrame:
    """The curve at a glance, for an APA table: the grid's size, what was fitted, the median
    estimate and the percentages of fitted specifications significant in each direction.

    Parameters
    ----------
    result : MultiverseResult
        A multiverse result (its ``.summary``: one row).

    Returns
    -------
    pandas.DataFrame
        One row: ``specifications``, ``fitted``, ``failed``, ``incompatible``,
        ``median_estimate``, ``pct_significant_positive``, ``pct_significant_negative`` (percent
        of the fitted specifications; significance is p < 1 - ci).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> summary = pd.DataFrame([{"n_specifications": 48, "n_fitted": 40, "n_failed": 2, "n_incompatible": 6,
    ...                          "median_estimate": 0.21, "share_significant_positive": 0.75,
    ...                          "share_significant_negative": 0.0}])
    >>> multiverse_summary_table(SimpleNamespace(summary=summary)).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'specifications': 48, 'fitted': 40, 'failed': 2, 'incompatible': 6, 'median_estimate': 0.21,
      'pct_significant_positive': 75.0, 'pct_significant_negative': 0.0}]
    """
    s = result.summary.iloc[0]
    return pd.DataFrame([{
        "specifications": int(s["n_specifications"]), "fitted": int(s["n_fitted"]), "failed": int(s["n_failed"]),
        "incompatible": int(s["n_incompatible"]), "median_estimate": float(s["median_estimate"]),
        "pct_significant_positive": 100 * float(s["share_significant_positive"]),
        "pct_significant_negative": 100 * float(s["share_significant_negative"]),
    }])  # fmt: skip


def multiverse_importance_table(result) -> pd.DataFrame:
    """Each decision's share of the variance of the estimates, in percent, largest first (the
    rest, "(interactions and residual)", last).

    Parameters
    ----------
    result : MultiverseResult or pandas.DataFrame
        A multiverse result (its ``.decision_importance``: ``decision``, ``share``,
        ``n_options``) or that table.

    Returns
    -------
    pandas.DataFrame
        ``decision``, ``options`` (options among the fitted specifications) and
        ``pct_of_variance``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"decision": ["model", "outcome", "(interactions and residual)"],
    ...                   "share": [0.1, 0.85, 0.05], "n_options": [3, 2, 0]})
    >>> multiverse_importance_table(t)["decision"].tolist()
    ['outcome', 'model', '(interactions and residual)']
    """
    table = getattr(result, "decision_importance", result)
    rest = table["decision"].astype(str).str.startswith("(")
    ordered = pd.concat([table[~rest].sort_values("share", ascending=False, kind="mergesort"), table[rest]])
    return pd.DataFrame({"decision": ordered["decision"].astype(str).to_numpy(),
                         "options": ordered.get("n_options", pd.Series(pd.NA, index=ordered.index)).to_numpy(),
                         "pct_of_variance": 100 * ordered["share"].to_numpy(float)})  # fmt: skip


def multiverse_source_sentence(result) -> str:
    """Where a multiverse came from and how its inference was run, in one or two sentences.

    Parameters
    ----------
    result : MultiverseResult
        A multiverse result (its ``.parameters``: ``spec``, ``title``, ``data_hash``,
        ``resamples``, ``seed``, ``ci``).

    Returns
    -------
    str
        The spec file (or "drafted from the codebook" when there is none), its title, the
        prepared data's hash, the confidence level, the null resamples with their seed, and
        which columns were standardized (``standardize``), if any.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(parameters={"spec": None, "title": "Drafted multiverse: demo", "data_hash": "a640",
    ...                                 "resamples": 100, "seed": 1, "ci": 0.95})
    >>> multiverse_source_sentence(r)  # doctest: +NORMALIZE_WHITESPACE
    'Multiverse: Drafted multiverse: demo (drafted from the codebook; no spec file). Prepared data hash a640;
     95% confidence intervals; inference from 100 null resamples, seed 1.'
    >>> scaled = SimpleNamespace(parameters={**r.parameters, "standardize": ["outcome", "predictor"]})
    >>> multiverse_source_sentence(scaled).split("seed 1. ")[1]  # doctest: +NORMALIZE_WHITESPACE
    "The outcome and the predictor were standardized (z scores within each specification's rows), so the
     estimates are comparable across measures."
    """
    p = result.parameters
    source = f"spec file {p['spec']}" if p.get("spec") else "drafted from the codebook; no spec file"
    resamples = int(p.get("resamples") or 0)
    inference = (f"inference from {resamples:,} null resamples, seed {p.get('seed')}" if resamples
                 else "no inference under the null (0 resamples)")  # fmt: skip
    scaled = list(p.get("standardize") or [])
    scale = (f" The {' and the '.join(scaled)} {'were' if len(scaled) > 1 else 'was'} standardized (z scores within "
             "each specification's rows), so the estimates are comparable across measures." if scaled else "")
    return (f"Multiverse: {p.get('title') or 'untitled'} ({source}). Prepared data hash {p.get('data_hash')}; "
            f"{100 * float(p.get('ci', 0.95)):g}% confidence intervals; {inference}.{scale}")
