"""The model-building half of `analysis.sem`: factor specifications (dict or lavaan syntax),
per-group pattern data, fitting a parameter table with `_sem_ml` (warnings for non-convergence,
singular information and Heywood cases), and the tidy estimate and invariance tables."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from analysis._checks import _require_columns
from analysis.exceptions import AnalysisWarning, ConvergenceWarning, DataError, ParameterError
from analysis.psychometrics import _sem_ml

FIT_COLUMNS = ["chi_square", "df", "p_value", "cfi", "tli", "rmsea", "rmsea_ci_low",
               "rmsea_ci_high", "srmr", "aic", "bic", "n", "loglik", "npar",
               "baseline_chi_square", "baseline_df"]
PARAMETER_COLUMNS = ["group", "lhs", "op", "rhs", "label", "estimate", "se", "z", "p_value",
                     "std_estimate"]
LOADING_COLUMNS = ["group", "factor", "item", "estimate", "se", "z", "p_value", "std_estimate"]
LEVELS = ("configural", "metric", "scalar")
_MISSING = ("listwise", "fiml")

# --------------------------------------------------------------------------------------------
# private helpers
# --------------------------------------------------------------------------------------------
def _parse_factors(factors) -> dict:
    """`factors` as an ordered {factor: [items]} dict (from a dict or lavaan `=~` syntax)."""
    if isinstance(factors, str):
        parsed = {}
        for line in re.split(r"[\n;]", factors):
            line = line.split("#")[0].strip()
            if not line:
                continue
            m = re.fullmatch(r"([A-Za-z_.][\w.]*)\s*=~\s*(.+)", line)
            if not m:
                raise ParameterError(
                    "`factors` lines must look like 'factor =~ item1 + item2', "
                    f"but {line!r} was passed."
                )
            terms = [t.strip() for t in m.group(2).split("+")]
            if not all(re.fullmatch(r"[A-Za-z_.][\w.]*", t) for t in terms):
                raise ParameterError(
                    "`factors` supports plain item names only (no modifiers), "
                    f"but {line!r} was passed."
                )
            parsed.setdefault(m.group(1), []).extend(terms)
        factors = parsed
    if not isinstance(factors, dict) or not factors:
        raise ParameterError(
            "`factors` must be a non-empty dict {factor: [items]} or lavaan "
            f"syntax, but {factors!r} was passed."
        )
    out = {}
    for name, its in factors.items():
        its = [its] if isinstance(its, str) else list(its) if isinstance(its, list | tuple) else []
        if not isinstance(name, str) or not its or not all(isinstance(i, str) for i in its):
            raise ParameterError(
                "`factors` must map each factor name to a list of item columns, "
                f"but {name!r}: {factors[name]!r} was passed."
            )
        if len(set(its)) != len(its):
            raise ParameterError(f"Factor {name!r} lists an item twice: {its}.")
        out[name] = its
    clash = set(out) & set(_items(out))
    if clash:
        raise ParameterError(
            f"Factor names must differ from item names, but {sorted(clash)} is both."
        )
    return out


def _items(factors: dict) -> list:
    return list(dict.fromkeys(i for its in factors.values() for i in its))


def _prepare(data, items, group, missing, *, with_missing=False):
    """Per-group pattern data (list of _sem_ml.GroupData) and the group labels (and, with
    `with_missing`, the items' missing cells as a boolean array, for `_excluded`)."""
    _require_columns(data, items + ([group] if group is not None else []))
    types = pd.api.types
    bad = [c for c in items if not types.is_numeric_dtype(data[c]) or types.is_bool_dtype(data[c])]
    if bad:
        raise DataError(f"Items must be numeric, but {bad} are not; recode them first.")
    Y = data[items].to_numpy(dtype=float)
    if group is None:
        codes, labels = np.zeros(len(data), int), [None]
    else:
        g = data[group]
        labels = list(pd.unique(g.dropna()))
        codes = pd.Index(labels).get_indexer(g.astype(object)).astype(int)
    keep = codes >= 0
    nan = np.isnan(Y)
    keep &= ~nan.any(axis=1) if missing == "listwise" else ~nan.all(axis=1)
    out = []
    for k, lab in enumerate(labels):
        rows = keep & (codes == k)
        Yg = np.ascontiguousarray(Y) if rows.all() else Y[rows]  # C order, as the row selection gives
        where = "" if group is None else f" in group {group}={lab!r}"
        if len(Yg) <= len(items):
            raise DataError(
                f"Only {len(Yg)} usable rows{where} for {len(items)} items; a factor "
                "model needs more rows than items."
            )
        # listwise: no NaN, so a positive variance (the moments are needed anyway) means the item varies
        moments = _sem_ml.complete_moments(Yg) if missing == "listwise" else None
        if moments is None or not (np.diagonal(moments[2]) > 0).all():
            with np.errstate(invalid="ignore"):
                varies = np.fmax.reduce(Yg, axis=0) > np.fmin.reduce(Yg, axis=0)  # sd > 0; fmax/fmin skip NaN
            if not varies.all():
                flat = [i for i, v in zip(items, varies, strict=True) if not v]
                raise DataError(f"Items without variance{where}: {flat}.")
        out.append(_sem_ml.group_data(Yg, complete=True if moments is not None else None, moments=moments))
    labels = [str(lab) for lab in labels]
    return (out, labels, nan) if with_missing else (out, labels)


def _run(table, data_g, items, latent, means, information):
    """Fit a parameter table; returns (fit-measure dict, estimate table, status) and warns.
    `status` holds ``converged`` (the optimiser converged) and ``heywood`` (a negative variance
    estimate). `information` None skips standard errors (invariance tables report fit only)."""
    p, m = len(items), len(latent)
    model = _sem_ml.Model(table, p, m, len(data_g), means)
    moments = len(data_g) * (p * (p + 1) // 2 + (p if means else 0))
    if model.q > moments:
        raise ParameterError(
            f"The model has {model.q} free parameters but only {moments} sample "
            f"moments (df = {moments - model.q}); it is not identified."
        )
    out = _sem_ml.fit(model, data_g, model.start(data_g), information)
    if not out["converged"]:
        warnings.warn(
            f"The ML estimator did not converge after {out['iterations']} iterations; "
            "estimates and fit measures may be wrong.",
            ConvergenceWarning,
            stacklevel=3,
        )
    if out["singular"]:
        warnings.warn(
            "The information matrix is singular, so standard errors are NaN; the model "
            "may not be identified (e.g. a factor with one item).",
            ConvergenceWarning,
            stacklevel=3,
        )
    est = _sem_ml.estimates(model, out)
    var = est[est["matrix"].isin(["psi", "theta"]) & (est["row"] == est["col"])]
    heywood = bool((var["estimate"] < 0).any())
    if heywood:
        warnings.warn(
            "Some estimated variances are negative (a Heywood case); check the model.",
            AnalysisWarning,
            stacklevel=3,
        )
    status = {"converged": bool(out["converged"]), "heywood": heywood}
    return _sem_ml.fit_measures(model, data_g, out), est, status


def _names(matrix, r, c, items, latent):
    """lavaan's (lhs, op, rhs) for one matrix entry."""
    if matrix == "lambda":
        return latent[c], "=~", items[r]
    if matrix in ("psi", "theta"):
        names = latent if matrix == "psi" else items
        return names[min(r, c)], "~~", names[max(r, c)]
    return (latent if matrix == "alpha" else items)[r], "~1", ""


def _tidy(est, items, latent, labels):
    """lavaan-style parameter table (free rows) and loadings table from an estimate table."""
    order = {"lambda": 0, "theta": 1, "psi": 2, "nu": 3, "alpha": 4}  # lavaan's row order
    matrix, group = est["matrix"].to_numpy(dtype=object), est["group"].to_numpy()
    at = np.lexsort((np.array([order[m] for m in matrix]), group))  # stable sort: by group, then matrix
    matrix, group = matrix[at], group[at]
    names = [_names(*k, items, latent)
             for k in zip(matrix, est["row"].to_numpy()[at], est["col"].to_numpy()[at], strict=True)]
    label = est["label"].where(est["label"].notna(), None).iloc[at]
    numbers = {col: est[col].to_numpy(dtype=float)[at] for col in ("estimate", "se", "z", "p_value", "std_estimate")}

    def frame(rows: np.ndarray, lhs: str, rhs: str, with_op: bool) -> pd.DataFrame:
        sel = np.flatnonzero(rows)
        cols = {"group": pd.Series([labels[group[i]] if labels else None for i in sel], dtype=object),
                lhs: [names[i][0] for i in sel]}
        if with_op:
            cols["op"] = [names[i][1] for i in sel]
        cols[rhs] = [names[i][2] for i in sel]
        if with_op:
            cols["label"] = label.iloc[sel].reset_index(drop=True)
        return pd.DataFrame(cols | {col: v[sel] for col, v in numbers.items()})

    params = frame(est["free"].to_numpy(dtype=bool)[at], "lhs", "rhs", True)[PARAMETER_COLUMNS]
    load = frame(matrix == "lambda", "factor", "item", False)[LOADING_COLUMNS]
    return params, load


def _invariance_table(rows):
    """Fit rows of nested models + differences to the previous level (lavTestLRT, deltas)."""
    out = pd.DataFrame(rows, columns=FIT_COLUMNS)
    out.insert(0, "level", list(LEVELS))
    out["delta_chi_square"] = out["chi_square"].diff()
    out["delta_df"] = out["df"].diff()
    out["delta_p_value"] = [
        stats.chi2.sf(x, d) if d > 0 else np.nan
        for x, d in zip(out["delta_chi_square"], out["delta_df"], strict=True)
    ]
    out["delta_cfi"] = out["cfi"].diff()
    out["delta_rmsea"] = out["rmsea"].diff()
    return out
