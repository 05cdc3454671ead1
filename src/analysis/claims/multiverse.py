"""Multiverse analysis: every reasonable specification of one effect fitted, the specification
curve, its inference under the null and what each decision contributes (Steegen et al., 2016;
Simonsohn, Simmons & Nelson, 2020).

The pieces, each usable alone (the Dask engine in `analysis.runner.distributed` runs the same
pieces in chunks on a cluster):

- `read_multiverse`: read and check a specification file (``docs/multiverse.md``);
  ``MultiverseSpec.specifications()`` is the grid, one row per combination of options.
- `prepare_multiverse_data`: the one data frame every specification is fitted on, and its hash.
- `fit_specifications`: fit a list of specification rows (a failed fit is a row with its reason).
- `null_curves`: the curves under the null for a range of resample numbers.
- `multiverse_result`: the tidy result from the grid, the fits and the null curves.
- `run_multiverse`: all of it in this process (serial), for notebooks and tests.
- `draft_multiverse`: a small specification drafted from a codebook's roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.apa import HtmlBlock, apa_table, format_p, format_stat, format_value
from analysis.claims.multiverse_fit import RESULT_KEYS, fit_specifications
from analysis.claims.multiverse_spec import (
    MultiverseSpec,
    draft_multiverse,
    prepare_multiverse_data,
    read_multiverse,
)
from analysis.claims.specification_inference import (
    curve_statistics,
    decision_importance,
    inference_table,
    null_curves,
)

__all__ = ["MultiverseSpec", "MultiverseResult", "read_multiverse", "prepare_multiverse_data", "fit_specifications",
           "null_curves", "multiverse_result", "run_multiverse", "draft_multiverse"]  # fmt: skip

SUMMARY_COLUMNS = ["n_specifications", "n_fitted", "n_failed", "n_incompatible", "median_estimate",
                   "share_significant_positive", "share_significant_negative"]  # fmt: skip
ESTIMATE_COLUMNS = ["estimate", "se", "ci_low", "ci_high", "p_value", "statistic", "n"]


@dataclass(frozen=True)
class MultiverseResult:
    """A fitted multiverse: one row per specification, the curve's summary, its inference under
    the null, and the share of the spread each decision explains.

    Attributes
    ----------
    specifications : pandas.DataFrame
        One row per specification, every one kept (failed and incompatible too): ``spec_id``,
        one column per decision (the option's label), ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``p_value``, ``statistic``, ``n``, ``status`` (``"ok"``, ``"failed"``,
        ``"incompatible"`` or ``"not run"``), ``reason``, ``note`` (warnings of the fit) and
        ``significant`` (p < 1 - ci).
    summary : pandas.DataFrame
        One row: ``n_specifications``, ``n_fitted``, ``n_failed``, ``n_incompatible``,
        ``median_estimate``, ``share_significant_positive``, ``share_significant_negative``
        (shares of the fitted specifications).
    inference : pandas.DataFrame
        ``quantity`` (median, n_significant, stouffer_z), ``observed``, ``p_value``,
        ``resamples`` (`analysis.claims.specification_inference.inference_table`).
    decision_importance : pandas.DataFrame
        ``decision``, ``share``, ``n_options``
        (`analysis.claims.specification_inference.decision_importance`).
    null : pandas.DataFrame
        The null curves, one row per resample (empty without inference).
    parameters : dict
        ``spec`` (path), ``title``, ``effect`` (label), ``data_hash``, ``seed``, ``resamples``,
        ``ci``, ``decisions``.

    See Also
    --------
    multiverse_result, run_multiverse
    """

    specifications: pd.DataFrame
    summary: pd.DataFrame
    inference: pd.DataFrame
    decision_importance: pd.DataFrame
    null: pd.DataFrame = field(default_factory=pd.DataFrame)
    parameters: dict = field(default_factory=dict)

    @property
    def decisions(self) -> list:
        """The decision columns of ``.specifications``, in file order."""
        return list(self.parameters.get("decisions", []))

    def table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The curve's statistics and their p values under the null, as an APA table."""
        s = self.summary.iloc[0]
        inf = self.inference.set_index("quantity")
        resamples = int(inf["resamples"].max()) if len(inf) else 0

        def p_text(name):
            p = inf.at[name, "p_value"]
            if not resamples or not np.isfinite(p):
                return ""
            return _p_null(p, resamples).removeprefix("p = ").removeprefix("p ")  # ".034", "< .01"

        rows = [
            {"Curve statistic": "Median estimate", "Observed": format_value(s["median_estimate"]),
             "Null-curve p": p_text("median")},
            {"Curve statistic": "Significant specifications (observed direction)",
             "Observed": f"{int(inf.at['n_significant', 'observed'])} of {int(s['n_fitted'])}",
             "Null-curve p": p_text("n_significant")},
            {"Curve statistic": "Stouffer's Z", "Observed": format_value(inf.at["stouffer_z", "observed"]),
             "Null-curve p": p_text("stouffer_z")},
        ]  # fmt: skip
        note = (f"{int(s['n_specifications'])} specifications: {int(s['n_fitted'])} fitted, {int(s['n_failed'])} "
                f"failed, {int(s['n_incompatible'])} incompatible (declared). p: share of {resamples:,} "
                "resampled curves with the effect removed that are at least as extreme (Simonsohn, Simmons & "
                "Nelson, 2020)." if resamples else "No inference under the null was run (resamples = 0).")
        effect = self.parameters.get("effect") or "the effect"
        return apa_table(pd.DataFrame(rows), title=title or f"Specification curve of {effect}", number=number,
                         note=note)

    def sentence(self) -> str:
        """An APA paragraph on the curve: estimates, significant shares and the inference."""
        s = self.summary.iloc[0]
        effect = self.parameters.get("effect") or "the effect"
        level = 1 - float(self.parameters.get("ci", 0.95))
        fitted = int(s["n_fitted"])
        text = (f"Across {int(s['n_specifications'])} specifications of {effect} ({fitted} fitted, "
                f"{int(s['n_failed'])} failed, {int(s['n_incompatible'])} declared incompatible), ")
        if not fitted:
            return text + "no specification could be fitted."
        ok = self.specifications[self.specifications["status"] == "ok"]["estimate"]
        text += (f"the median estimate was {format_stat('b', s['median_estimate'])} (range "
                 f"{format_value(ok.min())} to {format_value(ok.max())}); "
                 f"{100 * s['share_significant_positive']:.0f}% were significantly positive and "
                 f"{100 * s['share_significant_negative']:.0f}% significantly negative "
                 f"(p < {_plain(level)}).")  # fmt: skip
        inf = self.inference.set_index("quantity")
        if len(inf) and inf["resamples"].max() > 0:
            r = int(inf["resamples"].max())
            text += (f" Under the null of no effect ({r:,} resamples with the effect removed), a median as extreme "
                     f"had {_p_null(inf.at['median', 'p_value'], r)}, as many significant specifications "
                     f"{_p_null(inf.at['n_significant', 'p_value'], r)}, and Stouffer's "
                     f"Z = {format_value(inf.at['stouffer_z', 'observed'])}, "
                     f"{_p_null(inf.at['stouffer_z', 'p_value'], r)}.")  # fmt: skip
        top = self.decision_importance
        top = top[top["decision"].isin(self.decisions)].sort_values("share", ascending=False)
        if len(top) and np.isfinite(top["share"].iloc[0]) and top["share"].iloc[0] > 0 and fitted > 1:
            text += (f" The decision that moved the estimate most was {top['decision'].iloc[0]} "
                     f"({100 * top['share'].iloc[0]:.0f}% of the variance of the estimates).")
        return text


def _plain(value: float) -> str:
    """A share without its leading zero: 0.05 -> '.05'."""
    return f"{value:.3g}".removeprefix("0")


def _p_null(p: float, resamples: int) -> str:
    """A resampling p value: ``p < 1/R`` when no null curve was as extreme (p cannot be 0)."""
    if p == 0:
        return f"p < {_plain(1 / resamples)}"
    return format_p(p)


def multiverse_result(spec, specifications: pd.DataFrame, results, null=None) -> MultiverseResult:
    """Assemble a multiverse's result from its grid, its fits and its null curves.

    Parameters
    ----------
    spec : MultiverseSpec
        The specification (for the decisions, the effect and the parameters).
    specifications : pandas.DataFrame
        ``spec.specifications()``.
    results : list of dict
        `fit_specifications` results (any order; a spec without a result is ``"not run"``).
    null : list of dict, optional
        `null_curves` results (any order).

    Returns
    -------
    MultiverseResult
        The tidy table, summary, inference, decision importance and parameters.

    Examples
    --------
    >>> import tempfile
    >>> from analysis import write_demo_survey
    >>> from analysis.claims.multiverse import (fit_specifications, multiverse_result, prepare_multiverse_data,
    ...                                         read_multiverse)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     spec = read_multiverse({"data": write_demo_survey(tmp, n_couples=30, seed=1), "table": "survey",
    ...                             "effect": {"outcome": "csi_16_total", "predictor": "cpi_total"},
    ...                             "decisions": {"model": {"kind": "model", "options": ["ols", "mixed"]}},
    ...                             "incompatible": [{"rule": "one row per person", "when": {"model": "mixed"}}]})
    ...     frame, _ = prepare_multiverse_data(spec)
    >>> grid = spec.specifications()
    >>> result = multiverse_result(spec, grid, fit_specifications(frame, grid.to_dict("records")))
    >>> result.specifications[["model", "status", "reason"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'model': 'ols', 'status': 'ok', 'reason': ''},
     {'model': 'mixed', 'status': 'incompatible', 'reason': 'incompatible: one row per person'}]
    """
    decisions = list(spec.decisions)
    ci = float(spec.ci)
    fits = pd.DataFrame([{k: r.get(k) for k in RESULT_KEYS} for r in results], columns=RESULT_KEYS)
    fits = fits.drop_duplicates("spec_id", keep="last")
    grid = specifications[["spec_id", *decisions, "status", "reason"]].rename(columns={"status": "_grid_status",
                                                                                        "reason": "_grid_reason"})
    table = grid.merge(fits, on="spec_id", how="left")
    declared = table["_grid_status"] == "incompatible"
    status = table["status"].astype(object).where(table["status"].notna(), "not run")
    table["status"] = np.where(declared, "incompatible", status)
    table["reason"] = np.where(declared, table["_grid_reason"], table["reason"].fillna("").astype(object))
    table["note"] = table["note"].fillna("").astype(object)
    for col in ESTIMATE_COLUMNS:
        table[col] = pd.to_numeric(table[col], errors="coerce").astype(float)
    table.loc[table["status"] != "ok", ESTIMATE_COLUMNS] = np.nan
    table["n"] = table["n"].astype("Int64")
    table["significant"] = (table["p_value"] < 1 - ci) & (table["status"] == "ok")
    table = table[["spec_id", *decisions, *ESTIMATE_COLUMNS, "status", "reason", "note", "significant"]]
    ok = table[table["status"] == "ok"]
    stats = curve_statistics(ok["estimate"], ok["p_value"], direction=1, alpha=1 - ci)
    n_fit = len(ok)
    summary = pd.DataFrame([{
        "n_specifications": len(table), "n_fitted": n_fit, "n_failed": int((table["status"] == "failed").sum()),
        "n_incompatible": int(declared.sum()), "median_estimate": stats["median"],
        "share_significant_positive": stats["n_significant_positive"] / n_fit if n_fit else np.nan,
        "share_significant_negative": stats["n_significant_negative"] / n_fit if n_fit else np.nan,
    }], columns=SUMMARY_COLUMNS)  # fmt: skip
    null_rows = sorted(null or [], key=lambda c: c.get("resample", 0))
    observed = table.assign(status=table["status"]).to_dict("records")
    inference = inference_table(observed, null_rows, ci=ci, direction=spec.effect.get("direction"))
    importance = decision_importance(table, decisions)
    data_hash = None
    if getattr(spec, "_prepared", None) is not None:
        data_hash = spec._prepared[1]
    parameters = {**spec.parameters, "effect": spec.effect.get("label"), "data_hash": data_hash,
                  "resamples": len(null_rows), "decisions": decisions}  # fmt: skip
    return MultiverseResult(table.reset_index(drop=True), summary, inference, importance,
                            pd.DataFrame(null_rows), parameters)  # fmt: skip


def run_multiverse(spec, *, resamples: int | None = None, seed: int | None = None,
                   data_root=None) -> MultiverseResult:  # fmt: skip
    """Run a whole multiverse in this process: prepare, fit every specification, the null curves.

    Parameters
    ----------
    spec : MultiverseSpec, str, Path or dict
        A specification, or a file / mapping `read_multiverse` reads.
    resamples : int, optional
        Null curves to draw (default: the file's ``resamples``); 0: no inference.
    seed : int, optional
        Seed of the resamples (default: the file's ``seed``).
    data_root : str or Path or list, optional
        Extra data folders (when `spec` is read here).

    Returns
    -------
    MultiverseResult

    See Also
    --------
    analysis.runner.distributed.run_multiverse_on_dask : The same on a Dask cluster, in chunks,
        resumable; equal results.

    Examples
    --------
    >>> import tempfile
    >>> from analysis import write_demo_survey
    >>> from analysis.claims.multiverse import run_multiverse
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     spec = {"data": write_demo_survey(tmp, n_couples=40, seed=1), "table": "survey",
    ...             "effect": {"outcome": "csi_16_total", "predictor": "cpi_total", "label": "practices"},
    ...             "decisions": {"min_answered": {"kind": "min_answered", "options": [0.5, 1.0]},
    ...                           "covariates": {"kind": "covariates", "options": {"none": [], "age": ["age"]}}}}
    ...     result = run_multiverse(spec, resamples=20, seed=3)
    >>> result.summary[["n_specifications", "n_fitted"]].to_dict("records")
    [{'n_specifications': 4, 'n_fitted': 4}]
    >>> list(result.inference["quantity"]), int(result.inference["resamples"].iloc[0])
    (['median', 'n_significant', 'stouffer_z'], 20)
    """
    if not isinstance(spec, MultiverseSpec):
        spec = read_multiverse(spec, data_root=data_root)
    n = spec.resamples if resamples is None else resamples
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        from analysis.exceptions import ParameterError

        raise ParameterError(f"`resamples` must be a whole number >= 0, but {resamples!r} was passed.")
    seed = spec.seed if seed is None else seed
    frame, _ = prepare_multiverse_data(spec)
    grid = spec.specifications()
    rows = grid.to_dict("records")
    results = fit_specifications(frame, rows, ci=spec.ci)
    null = null_curves(frame, rows, results, resamples=range(int(n)), seed=int(seed), ci=spec.ci) if n else None
    spec_seed = spec.seed
    spec.seed = int(seed)
    try:
        return multiverse_result(spec, grid, results, null)
    finally:
        spec.seed = spec_seed
