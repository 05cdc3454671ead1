"""Fitting the specifications of a multiverse: one result row per specification, a failed fit a
row with its reason.

Each specification's ``definition`` (made by `analysis.claims.multiverse_spec`) names its model
family and its columns in the prepared frame. Plain OLS goes through a fast path (numpy, shared
column arrays and row masks cached for the whole call) that gives the numbers of
`analysis.models.regression.ols`; every other family calls its model function
(`logistic_regression`, `ordinal_regression`, `tobit`, `apim`, `mixed_model`, `mediation`,
`survey_glm`, `survey_olr`) on the specification's rows.
"""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
from scipy import special

# The model functions are imported where a specification needs them: a grid the fast paths fit (plain OLS,
# unweighted logistic and ordinal) never loads their formula machinery (0.3-1 s of imports, statsmodels.api
# among them).

__all__ = ["fit_specifications", "RESULT_KEYS"]

#: the keys of every result dict, in order
RESULT_KEYS = ["spec_id", "estimate", "se", "ci_low", "ci_high", "p_value", "statistic", "n", "status", "reason",
               "note"]  # fmt: skip


#: bytes of row masks a `_Columns` keeps at most (it forgets them all beyond; they are recomputed)
MASK_BYTES = 256 * 2**20


class _Columns:
    """Arrays of a frame's columns and row masks, computed once and shared by the specifications
    fitted in one call (or, in a Dask worker, by every chunk of specifications on the same data; the
    threads of a worker may share it: each entry is computed, stored and returned without a second
    look-up that another thread's clearing could miss)."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.n = len(frame)
        self._values: dict = {}
        self._missing: dict = {}
        self._masks: dict = {}
        self._designs: dict = {}

    def values(self, col: str):
        """(kind, array): ("num", float array with NaN) or ("cat", (codes with -1 for missing, categories))."""
        found = self._values.get(col)
        if found is None:
            s = self.frame[col]
            if isinstance(s.dtype, pd.CategoricalDtype):
                found = ("cat", (s.cat.codes.to_numpy(), list(s.cat.categories)))
            elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                found = ("num", s.to_numpy(dtype=float, na_value=np.nan))
            else:
                found = ("other", None)
            self._values[col] = found
        return found

    def design(self, kwargs: dict):
        """`survey_design` of the whole frame (one per call and design)."""
        key = json.dumps(kwargs, sort_keys=True, default=str)
        found = self._designs.get(key)
        if found is None:
            from analysis.models.survey_design import survey_design

            found = self._designs[key] = survey_design(self.frame, **kwargs)
        return found

    def missing(self, col: str) -> np.ndarray:
        """NaN mask of a numeric column (`values`), computed once."""
        found = self._missing.get(col)
        if found is None:
            found = self._missing[col] = np.isnan(self.values(col)[1])
        return found

    def mask(self, keep) -> np.ndarray:
        key = tuple(keep)
        found = self._masks.get(key)
        if found is None:
            if (len(self._masks) + 1) * self.n > MASK_BYTES:
                self._masks.clear()
            found = np.ones(self.n, dtype=bool)
            for col in key:
                found &= self.frame[col].to_numpy(bool)
            self._masks[key] = found
        return found


def _as_definition(row) -> dict:
    d = row["definition"]
    return json.loads(d) if isinstance(d, str) else dict(d)


def fit_specifications(frame: pd.DataFrame, rows, *, ci: float = 0.95) -> list[dict]:
    """Fit each specification on the prepared frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        The prepared data (`prepare_multiverse_data`).
    rows : iterable of dict
        Specification rows as ``MultiverseSpec.specifications().to_dict("records")`` gives them
        (``spec_id``, ``definition``, ``status``...); rows whose ``status`` is not ``"pending"``
        (declared incompatible) are skipped.
    ci : float, default 0.95
        Confidence level of the intervals; a result is significant when p < 1 - ci.

    Returns
    -------
    list of dict
        One dict per pending row, in order: ``spec_id``, ``estimate`` (the coefficient of the
        effect: b for OLS, mixed, APIM (actor or partner effect) and tobit (latent scale), log
        odds for logistic and ordinal, the indirect effect a*b for mediation), ``se``,
        ``ci_low``, ``ci_high``, ``p_value``, ``statistic`` (t or z), ``n`` (rows analysed),
        ``status`` (``"ok"`` or ``"failed"``), ``reason`` (``""`` or the error message of a
        failed fit) and ``note`` (warnings of the fit, ``""`` when none). A fit that fails is a
        row with its reason, never an exception.

    Notes
    -----
    Pure and deterministic: the same frame and rows give the same numbers in any process
    (mediation bootstraps use the seed of the model option). Plain OLS (no weights) is computed
    here by QR decomposition on the cached column arrays: the estimate, classical, HC3 or
    cluster-robust (CR1) standard error, t test on n - k df and interval equal
    `analysis.models.regression.ols` to about 1e-12; a design the fast path would not fit the
    way `ols` does (a constant or collinear predictor, too few rows, a non-numeric outcome) is
    passed to `ols` itself, which fits it or raises the error that becomes the row's reason.
    Mediation: the estimate is a*b, ``se`` and the interval are the percentile bootstrap's
    (``n_boot`` of the option, seeded), ``statistic`` and ``p_value`` the Sobel test's (the
    inference under the null needs a p value per specification).
    Weighted specifications (``weights`` on) use the codebook's design: `survey_glm`
    (gaussian or quasibinomial) or `survey_olr` on the design of every row of the frame, the
    rows outside the specification (exclusions, subset) set missing in the outcome, i.e.
    estimated as a domain of the full design; a replicate-weight design is refitted on each
    replicate (`survey_glm`'s replicate variance).
    Standardized specifications (the file's ``standardize``; ``definition["standardize"]``)
    fit z scores, (v - mean) / SD, of the outcome (OLS, mixed, APIM, mediation; a logistic,
    ordinal or tobit outcome keeps its values) and the predictor, the mean and SD taken over
    the specification's analysed rows (`standard_moments`), so the estimate is in SDs of the
    outcome per SD of the predictor; t and p of OLS are unchanged by it.

    Examples
    --------
    >>> import tempfile
    >>> from analysis import write_demo_survey
    >>> from analysis.claims.multiverse_spec import read_multiverse, prepare_multiverse_data
    >>> from analysis.claims.multiverse_fit import fit_specifications
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     spec = read_multiverse({"data": write_demo_survey(tmp, n_couples=40, seed=1), "table": "survey",
    ...                             "effect": {"outcome": "csi_16_total", "predictor": "cpi_total"},
    ...                             "decisions": {"covariates": {"kind": "covariates",
    ...                                                          "options": {"none": [], "age": ["age"]}}}})
    ...     frame, _ = prepare_multiverse_data(spec)
    ...     rows = spec.specifications().to_dict("records")
    >>> [r["status"] for r in fit_specifications(frame, rows)]
    ['ok', 'ok']
    """
    return fit_cached(_Columns(frame), rows, ci=ci)


def fit_cached(cache: _Columns, rows, *, ci: float = 0.95) -> list[dict]:
    """`fit_specifications` on a column cache (``_Columns(frame)``) kept from call to call: a Dask
    worker keeps one per data set for all its chunks (the same numbers as a fresh one)."""
    out = []
    for row in rows:
        if row.get("status", "pending") != "pending":
            continue
        out.append(fit_one(cache.frame, cache, row["spec_id"], _as_definition(row), ci))
    return out


def fit_one(frame, cache, spec_id, definition, ci, overrides=None, start=None) -> dict:
    """One result dict; errors and warnings caught (see `fit_specifications`). `start`: parameters
    the Newton iterations of a logistic or ordinal fit start from (the same optimum, found sooner)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            overrides = overrides or {}
            if definition.get("standardize"):
                overrides = standardized(cache, definition, overrides)
            values = _fit(frame, cache, definition, ci, overrides, start)
        except Exception as err:  # a failed fit is a row with its reason, whatever the error
            text = re.sub(r"__ma\d+\b", "", str(err) or type(err).__name__)  # the column's own name
            return {"spec_id": spec_id, "estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                    "p_value": np.nan, "statistic": np.nan, "n": 0, "status": "failed",
                    "reason": text if _ours(err) else f"{type(err).__name__}: {text}", "note": ""}  # fmt: skip
    note = "; ".join(dict.fromkeys(str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)))
    return {"spec_id": spec_id, **values, "status": "ok", "reason": "", "note": note}


def _ours(err: Exception) -> bool:
    from analysis.exceptions import AnalysisError

    return isinstance(err, AnalysisError)


def _formula(d: dict) -> str:
    rhs = [d["x"]]
    if d["family"] == "apim":
        rhs = [d["x"], d["x_partner"]] if d.get("x_partner") else [f"{d['x']}_A", f"{d['x']}_P"]
    return f"{d['y']} ~ " + " + ".join(rhs + list(d["covariates"]))


def model_columns(d: dict) -> list:
    """The frame columns a specification's model reads."""
    cols = [d["y"], d["x"], d.get("x_partner"), d.get("mediator"), *d["covariates"], d.get("dyad"),
            d.get("person"), d.get("partner")]  # fmt: skip
    if d.get("weights"):
        cols += design_column_names(d.get("design") or {})
    return list(dict.fromkeys(c for c in cols if c))


def design_column_names(design: dict) -> list:
    """The columns a `survey_design` keyword mapping names (weight, strata, PSUs, fpc, replicate weights)."""
    cols = []
    for role in ("weight", "strata", "psu", "fpc", "replicate_weights"):
        value = design.get(role)
        cols += [value] if isinstance(value, str) else list(value or [])
    return cols


#: the families whose outcome `standardize` z-scores (a logistic, ordinal or tobit outcome keeps its values)
LINEAR_FAMILIES = ("ols", "mixed", "apim", "mediation")


def standard_moments(cache: _Columns, d: dict, overrides: dict) -> dict:
    """{column: (mean, SD)} of the columns a specification standardizes (``d["standardize"]``:
    ``"outcome"`` and/or ``"predictor"``), over its analysed rows: its rows (exclusions, subset)
    with a value in every column of its model (outcome, predictor, covariates, mediator, ids).
    Weighted specifications use the design's weights (weighted mean, SD with the weights summed
    in the denominator); the SD of others has n - 1. A pairwise partner column (``x_P``) shares
    the predictor's mean and SD (both partners' values pooled)."""
    ok = cache.mask(d["keep"]).copy()
    for col in model_columns({**d, "weights": False}):
        kind, values = cache.values(col)
        if col in overrides:
            ok &= ~np.isnan(np.asarray(overrides[col], dtype=float))
        elif kind == "num":
            ok &= ~cache.missing(col)
        elif kind == "cat":
            ok &= values[0] >= 0
        else:
            ok &= cache.frame[col].notna().to_numpy()
    w = cache.design(d["design"]).weights if d.get("weights") else None
    groups = []
    if "outcome" in d["standardize"]:
        groups.append([d["y"]])
    if "predictor" in d["standardize"]:
        groups.append([c for c in (d["x"], d.get("x_partner")) if c])
    out = {}
    for cols in groups:
        arrays = []
        for col in cols:
            kind, values = cache.values(col)
            if kind != "num":
                from analysis.exceptions import DataError

                raise DataError(f"Column {col!r} is not numeric, so it cannot be standardized (`standardize`); recode "
                                "it to numbers under `derived`, or leave it unstandardized.")  # fmt: skip
            arrays.append(np.asarray(overrides[col], dtype=float) if col in overrides else values)
        v = arrays[0][ok] if len(arrays) == 1 else np.concatenate([a[ok] for a in arrays])
        if w is None:
            mean = float(v.mean()) if len(v) else np.nan
            sd = float(v.std(ddof=1)) if len(v) > 1 else np.nan
        else:
            ww = np.concatenate([w[ok]] * len(arrays))
            mean = float(np.sum(ww * v) / np.sum(ww)) if len(v) else np.nan
            sd = float(np.sqrt(np.sum(ww * (v - mean) ** 2) / np.sum(ww))) if len(v) else np.nan
        if not np.isfinite(sd) or sd <= 1e-12 * max(1.0, abs(mean)):
            from analysis.exceptions import DataError

            raise DataError(f"Column {cols[0]!r} is constant (or has fewer than two values) in the specification's "
                            f"{int(ok.sum())} rows, so it cannot be standardized.")  # fmt: skip
        for col in cols:
            out[col] = (mean, sd)
    return out


def standardized(cache: _Columns, d: dict, overrides: dict) -> dict:
    """`overrides` with the standardized columns (`standard_moments`) as z scores, (v - mean) / SD,
    on every row of the frame (those outside the analysed rows do not enter the fit)."""
    out = dict(overrides)
    for col, (mean, sd) in standard_moments(cache, d, overrides).items():
        values = np.asarray(overrides[col], dtype=float) if col in overrides else cache.values(col)[1]
        out[col] = (values - mean) / sd
    return out


def _rows(frame, cache, d, overrides) -> pd.DataFrame:
    """The specification's rows and columns, with `overrides` ({column: full-length array}) in."""
    mask = cache.mask(d["keep"])
    cols = model_columns(d)
    sub = frame.loc[mask, cols]
    for col, values in overrides.items():
        if col in cols:
            sub[col] = _like(frame[col], np.asarray(values)[mask])
    return sub


def _like(column: pd.Series, values: np.ndarray):
    """`values` (float codes, NaN missing, for a categorical column) in the type of `column`."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = np.where(np.isnan(values.astype(float)), -1, values).astype(np.int64)
        return pd.Categorical.from_codes(codes, dtype=column.dtype)
    return values


def _fit(frame, cache, d, ci, overrides, start=None) -> dict:
    family, params = d["family"], d["params"]
    if d.get("weights"):
        fast = _fast_weighted(cache, d, ci, overrides, start)
        return fast if fast is not None else _weighted(frame, cache, d, ci, overrides)
    if family == "logistic" or (family == "ordinal" and params["link"] == "logit"):
        fast = _fast_glm(cache, d, ci, overrides, start)
        if fast is not None:
            return fast
    if family == "ols":
        fast = _fast_ols(cache, d, ci, overrides)
        if fast is not None:
            return fast
        from analysis.models.regression import ols

        kwargs = {"robust": params.get("robust")}
        if params.get("robust") == "cluster":
            kwargs["dyad"] = d["dyad"]
        res = ols(_rows(frame, cache, d, overrides), _formula(d), ci=ci, **kwargs)
        return _coef(res.coefficients, d["term"], res.fit)
    data = _rows(frame, cache, d, overrides)
    if family == "logistic":
        from analysis.models.regression import logistic_regression

        res = logistic_regression(data, _formula(d), ci=ci)
    elif family == "ordinal":
        from analysis.models.limited_outcomes import ordinal_regression

        res = ordinal_regression(data, _formula(d), link=params["link"], ci=ci)
        return _coef(res.coefficients[res.coefficients["part"] == "coefficient"], d["term"], res.fit)
    elif family == "tobit":
        from analysis.models.limited_outcomes import tobit

        res = tobit(data, _formula(d), left=params["left"], right=params["right"], ci=ci)
    elif family == "apim":
        from analysis.models.dyadic import apim

        res = apim(data, _formula(d), dyad=d["dyad"], partner=d["partner"], model=params["model"], ci=ci)
    elif family == "mixed":
        from analysis.models.multilevel import mixed_model

        res = mixed_model(data, _formula(d), person=d["person"], dyad=d.get("dyad"), random=params["random"], ci=ci)
    elif family == "mediation":
        from analysis.models.process_mediation import mediation

        res = mediation(data, x=d["x"], m=d["mediator"], y=d["y"], covariates=d["covariates"],
                        n_boot=int(params["n_boot"]), seed=int(params["seed"]), ci=ci)  # fmt: skip
        ind = res.effects[res.effects["effect"] == "indirect"].iloc[0]
        sob = res.sobel.iloc[0]
        return {"estimate": float(ind["estimate"]), "se": float(ind["se"]), "ci_low": float(ind["ci_low"]),
                "ci_high": float(ind["ci_high"]), "p_value": float(sob["p_value"]),
                "statistic": float(sob["statistic"]), "n": int(res.fit["n"].iloc[-1])}  # fmt: skip
    else:  # pragma: no cover - the reader refuses other families
        raise ValueError(f"unknown family {family!r}")
    return _coef(res.coefficients, d["term"], res.fit)


def _coef(coefs: pd.DataFrame, term: str, fit: pd.DataFrame) -> dict:
    rows = coefs[coefs["term"] == term]
    if rows.empty:
        from analysis.exceptions import DataError

        raise DataError(f"The model has no coefficient {term!r} (terms: {', '.join(map(repr, coefs['term']))}); "
                        "a categorical predictor is dummy-coded: recode it to a number under `derived`.")
    r = rows.iloc[0]
    return {"estimate": float(r["estimate"]), "se": float(r["se"]), "ci_low": float(r["ci_low"]),
            "ci_high": float(r["ci_high"]), "p_value": float(r["p_value"]), "statistic": float(r["statistic"]),
            "n": int(fit["n"].iloc[0])}  # fmt: skip


def design_frame(frame, cache, d, overrides) -> pd.DataFrame:
    """Every row of the frame with the model and design columns; the outcome missing outside the
    specification's rows (a domain of the full design)."""
    cols = model_columns(d)
    data = frame[cols].copy()
    for col, values in overrides.items():
        if col in cols:
            data[col] = _like(frame[col], np.asarray(values))
    mask = cache.mask(d["keep"])
    if not mask.all():
        y = data[d["y"]]
        data[d["y"]] = y.where(pd.Series(mask, index=data.index))
    return data


def _weighted(frame, cache, d, ci, overrides) -> dict:
    from analysis.models.survey_design import survey_design, survey_glm, survey_olr

    data = design_frame(frame, cache, d, overrides)
    design = survey_design(data, **d["design"])
    if d["family"] == "ordinal":
        res = survey_olr(design, _formula(d), ci=ci)
        return _coef(res.coefficients[res.coefficients["part"] == "coefficient"], d["term"], res.fit)
    res = survey_glm(design, _formula(d), family="gaussian" if d["family"] == "ols" else "quasibinomial", ci=ci)
    return _coef(res.coefficients, d["term"], res.fit)


# ---------------------------------------------------------------------------------------------
# Fast OLS
# ---------------------------------------------------------------------------------------------


def _block(cache: _Columns, col: str, overrides: dict):
    """(list of column arrays, missing mask) of one formula variable: a number, or the treatment
    dummies of a categorical (first category the reference, as patsy)."""
    kind, values = cache.values(col)
    if col in overrides:
        new = np.asarray(overrides[col], dtype=float)
        if kind != "cat":
            return [new], np.isnan(new)
        values = (np.where(np.isnan(new), -1, new).astype(np.int64), values[1])
    if kind == "num":
        return [values], cache.missing(col)
    if kind == "cat":
        codes, cats = values
        return [(codes == k).astype(float) for k in range(1, len(cats))], codes < 0
    return None, None


def _outcome(cache: _Columns, col: str, overrides: dict):
    """(kind, values, missing) of the outcome: ("num", floats) or ("cat", (codes, categories, ordered))."""
    kind, values = cache.values(col)
    if kind == "num":
        if col in overrides:
            y = np.asarray(overrides[col], dtype=float)
            return "num", y, np.isnan(y)
        return "num", values, cache.missing(col)
    if kind == "cat":
        codes = values[0]
        if col in overrides:
            new = np.asarray(overrides[col], dtype=float)
            codes = np.where(np.isnan(new), -1, new).astype(np.int64)
        return "cat", (codes, values[1], bool(cache.frame[col].cat.ordered)), codes < 0
    return None, None, None


def _design(cache: _Columns, d: dict, overrides: dict, ok: np.ndarray | None = None):
    """(rows used, X with intercept first then x) of a specification's formula, or None when the
    model function must decide (a constant or collinear predictor, too few rows, a text column).
    The checks are `_rhs`'s: constant columns, rank of the column-scaled X (singular values > 1e-10)."""
    ok = cache.mask(d["keep"]).copy() if ok is None else ok
    blocks = []
    for col in [d["x"], *d["covariates"]]:
        arrays, miss = _block(cache, col, overrides)
        if arrays is None:
            return None
        ok &= ~miss
        blocks.append(arrays)
    if cache.values(d["x"])[0] != "num":
        return None
    columns = [a for arrays in blocks for a in arrays]
    n, p = int(ok.sum()), 1 + len(columns)
    if n <= p:
        return None
    X = np.empty((n, p))
    X[:, 0] = 1.0
    for j, a in enumerate(columns, 1):
        X[:, j] = a[ok]
    XtX = X.T @ X
    if not np.isfinite(XtX).all():
        return None
    diag = np.diag(XtX)
    norms = np.sqrt(diag)
    spread = diag[1:] - XtX[0, 1:] ** 2 / n  # n * variance of each predictor column
    if (spread <= 1e-9 * diag[1:]).any() and np.ptp(X[:, 1:], axis=0).min(initial=np.inf) == 0:
        return None  # a constant predictor: `_rhs` names it
    scale = np.outer(norms, norms)
    scaled = XtX / scale  # the Gram matrix of the column-scaled X
    eig = np.linalg.eigvalsh(scaled)  # squared singular values of the scaled X
    if eig.min() <= 1e-12:  # nearly collinear: `_rhs` (singular values > 1e-10) decides
        return None
    return ok, X, (norms, scale, scaled, eig.max() / eig.min())


def _fast_ols(cache: _Columns, d: dict, ci: float, overrides: dict):
    """OLS of `ols` by QR on cached arrays, or None when `ols` itself must decide (see fit_specifications)."""
    robust = d["params"].get("robust")
    kind, y_all, y_miss = _outcome(cache, d["y"], overrides)
    if kind != "num":
        return None
    ok = cache.mask(d["keep"]) & ~y_miss
    if robust == "cluster":
        g_all = cache.values(d["dyad"])[1]
        ok &= ~cache.missing(d["dyad"])
    built = _design(cache, d, overrides, ok)
    if built is None:
        return None
    ok, X, (norms, scale, scaled, condition) = built
    y = y_all[ok]
    if not np.isfinite(y).all():
        return None
    n, p = X.shape
    if condition < 1e6:  # normal equations on the scaled Gram matrix: error ~ condition * 1e-16
        bread = np.linalg.inv(scaled) / scale  # (X'X)^-1
        b = bread @ (X.T @ y)
    else:  # QR, as accurate as lstsq
        Q, R = np.linalg.qr(X / norms)
        b = np.linalg.solve(R, Q.T @ y) / norms
        Rinv = np.linalg.inv(R) / norms[:, None]
        bread = Rinv @ Rinv.T
    e = y - X @ b
    df = n - p
    if robust is None:
        V = bread * (e @ e / df)
    elif robust == "HC3":
        h = np.einsum("ij,ij->i", X @ bread, X)
        u = X * (e / (1 - h))[:, None]
        V = bread @ (u.T @ u) @ bread
    else:
        groups = pd.factorize(g_all[ok])[0]
        n_groups = int(groups.max()) + 1
        if n_groups < 2:
            return None
        scores = X * e[:, None]  # each group's sum, row after row as np.add.at adds them (the same bits), faster
        u = np.column_stack([np.bincount(groups, weights=scores[:, j], minlength=n_groups) for j in range(p)])
        V = bread @ (u.T @ u) @ bread * (n_groups / (n_groups - 1)) * ((n - 1) / df)
    return _wald(float(b[1]), float(np.sqrt(V[1, 1])), ci, n, df)


def _wald(est: float, se: float, ci: float, n: int, df=None) -> dict:
    """Estimate, SE, statistic, p and interval: t on `df`, or z when `df` is None (as `_wald_table`)."""
    stat = est / se
    # the special functions behind scipy.stats.norm / t (sf(x) = ndtr(-x) / stdtr(df, -x), ppf = ndtri /
    # stdtrit): the same numbers, bit for bit, without the distribution objects' checks (~0.3 ms a call)
    if df is None:
        p, q = 2 * special.ndtr(-abs(stat)), special.ndtri((1 + ci) / 2)
    else:
        p, q = 2 * special.stdtr(df, -abs(stat)), special.stdtrit(df, (1 + ci) / 2)
    return {"estimate": est, "se": se, "ci_low": est - q * se, "ci_high": est + q * se, "p_value": float(p),
            "statistic": float(stat), "n": int(n)}  # fmt: skip


def _levels(kind, y_all, ok, family):
    """(outcome codes 0..K-1 on the rows used, K) for a logistic (K = 2) or ordinal (K >= 3) model as the
    model functions define them, or None when they would refuse it (or read it another way)."""
    if kind == "num":
        y = y_all[ok]
        values = np.unique(y)
        if family == "logistic":
            return (y, 2) if len(values) == 2 and set(values) <= {0.0, 1.0} else None
        if len(values) < 3 or not np.all(np.mod(values, 1) == 0):
            return None
        return np.searchsorted(values, y), len(values)
    codes, cats, ordered = y_all
    if family == "logistic":
        used = np.unique(codes[ok])
        return (codes[ok].astype(float), 2) if len(cats) == 2 and len(used) == 2 else None
    if not ordered:
        return None
    present = np.unique(codes[ok])
    if len(present) < 3:
        return None
    return np.searchsorted(present, codes[ok]), len(present)


def _fast_glm(cache: _Columns, d: dict, ci: float, overrides: dict, start=None):
    """Unweighted logistic and proportional-odds logit regression by Newton-Raphson on the cached arrays
    (the maximum-likelihood estimates and inverse-information SEs of `logistic_regression` and
    `ordinal_regression`, found by their survey twins' Newton code with unit weights); None when the
    model function must decide (separation, no convergence, ...)."""
    from analysis.models._linearization import logit_fit, olr_fit

    family = d["family"]
    kind, y_all, y_miss = _outcome(cache, d["y"], overrides)
    if kind is None:
        return None
    built = _design(cache, d, overrides, cache.mask(d["keep"]) & ~y_miss)
    if built is None:
        return None
    ok, X, _ = built
    coded = _levels(kind, y_all, ok, family)
    if coded is None:
        return None
    y, k = coded
    if family == "logistic":
        try:
            beta, converged = logit_fit(X, y, np.ones(len(y)), start)
            mu = 1 / (1 + np.exp(-(X @ beta)))
            V = np.linalg.inv(X.T @ ((mu * (1 - mu))[:, None] * X))
        except np.linalg.LinAlgError:
            return None
        if not converged or np.abs(mu - y).max() < 1e-6 or not np.isfinite(V[1, 1]):
            return None  # (near) perfect prediction: `logistic_regression` says so
        return _wald(float(beta[1]), float(np.sqrt(V[1, 1])), ci, len(y))
    try:
        theta, _, H, _, converged = olr_fit(X[:, 1:], y.astype(np.int64), np.ones(len(y)), k - 1, start=start)
        V = np.linalg.inv(-H)
    except np.linalg.LinAlgError:
        return None
    if not converged or not np.isfinite(V[0, 0]) or V[0, 0] <= 0:
        return None
    return _wald(float(theta[0]), float(np.sqrt(V[0, 0])), ci, len(y))


def _fast_weighted(cache: _Columns, d: dict, ci: float, overrides: dict, start=None):
    """`survey_glm` (gaussian, quasibinomial) and `survey_olr` on the design of the whole frame (made once
    per call) and the cached arrays: their code, without the formula parsing; None for a replicate-weight
    design or when the model function must decide."""
    from analysis.models._linearization import logit_fit, olr_fit

    family = d["family"]
    design = cache.design(d["design"])
    if getattr(design, "is_replicate", False):
        return None
    kind, y_all, y_miss = _outcome(cache, d["y"], overrides)
    if kind is None or (family == "ols" and kind != "num"):
        return None
    built = _design(cache, d, overrides, cache.mask(d["keep"]) & ~y_miss)
    if built is None:
        return None
    keep, X, _ = built
    w = design.weights[keep]
    if family == "ordinal":
        coded = _levels(kind, y_all, keep, "ordinal")
        if coded is None:
            return None
        y, k = coded
        Xc = X[:, 1:]
        try:
            theta, score, H, _, converged = olr_fit(Xc, y.astype(np.int64), w, k - 1, start=start)
            infl = score @ np.linalg.inv(-H)
        except np.linalg.LinAlgError:
            return None
        if not converged:
            return None
        est, df = theta, design._df(keep) - Xc.shape[1]
    else:
        if family == "ols":
            y = y_all[keep]
            A = X.T @ (w[:, None] * X)
            beta = np.linalg.solve(A, X.T @ (w * y))
            mu = X @ beta
            var_mu = np.ones_like(mu)
        else:
            coded = _levels(kind, y_all, keep, "logistic")
            if coded is None:
                return None
            y = coded[0]
            beta, converged = logit_fit(X, y, w, start)
            if not converged:
                return None
            mu = 1 / (1 + np.exp(-(X @ beta)))
            var_mu = mu * (1 - mu)
            A = X.T @ ((w * var_mu)[:, None] * X)
        infl = (X * (w * (y - mu))[:, None]) @ np.linalg.inv(A)
        est, df = beta[1:], design._df(keep) + 1 - X.shape[1]
    full = np.zeros((len(design.data), infl.shape[1]))
    full[keep] = infl
    V = design._variance(full, keep)
    se = float(np.sqrt(V[0, 0] if family == "ordinal" else V[1, 1]))
    if df <= 0:
        return None
    return _wald(float(est[0]), se, ci, int(keep.sum()), df)


# ---------------------------------------------------------------------------------------------
# Pieces the inference under the null needs
# ---------------------------------------------------------------------------------------------


def complete_rows(cache: _Columns, d: dict, columns) -> np.ndarray:
    """The specification's rows with a value in every one of `columns` (listwise, as the models)."""
    ok = cache.mask(d["keep"]).copy()
    for col in columns:
        kind, values = cache.values(col)
        ok &= (values[0] >= 0) if kind == "cat" else ~np.isnan(values) if kind == "num" else \
            cache.frame[col].notna().to_numpy()  # fmt: skip
    return ok


def ols_arrays(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and classical standard errors of y on X (X with its intercept)."""
    n, p = X.shape
    Q, R = np.linalg.qr(X)
    b = np.linalg.solve(R, Q.T @ y)
    e = y - X @ b
    Rinv = np.linalg.inv(R)
    se = np.sqrt(np.einsum("ij,ij->i", Rinv, Rinv) * (e @ e / (n - p)))
    return b, se


def design_matrix(cache: _Columns, columns, ok: np.ndarray, overrides: dict | None = None) -> np.ndarray:
    """Intercept plus the numbers / treatment dummies of `columns` on the rows `ok`."""
    arrays = [np.ones(int(ok.sum()))]
    for col in columns:
        block, _ = _block(cache, col, overrides or {})
        arrays += [a[ok] for a in block]
    return np.column_stack(arrays)


def fast_mediation(cache: _Columns, d: dict, overrides: dict) -> dict:
    """a*b with the Sobel test (second-order SE, as `mediation`'s ``sobel``), on the specification's
    complete rows (listwise over x, m, y and the covariates), for the resamples under the null."""
    cols = [d["x"], d["mediator"], d["y"], *d["covariates"]]
    ok = cache.mask(d["keep"]).copy()
    for col in cols:
        _, miss = _block(cache, col, overrides)
        ok &= ~miss
    n = int(ok.sum())
    m = _block(cache, d["mediator"], overrides)[0][0][ok]
    y = _block(cache, d["y"], overrides)[0][0][ok]
    Xa = design_matrix(cache, [d["x"], *d["covariates"]], ok, overrides)
    Xb = np.column_stack([Xa[:, :2], m, Xa[:, 2:]])
    if n <= Xb.shape[1] or np.linalg.matrix_rank(Xb) < Xb.shape[1]:
        from analysis.exceptions import DataError

        raise DataError(f"Only {n} complete rows, or collinear predictors, for the mediation model.")
    a, sa = ols_arrays(m, Xa)
    b, sb = ols_arrays(y, Xb)
    est = a[1] * b[2]
    se = np.sqrt(a[1] ** 2 * sb[2] ** 2 + b[2] ** 2 * sa[1] ** 2 + sa[1] ** 2 * sb[2] ** 2)
    z = est / se
    return {"estimate": float(est), "se": float(se), "ci_low": np.nan, "ci_high": np.nan,
            "p_value": float(2 * special.ndtr(-abs(z))), "statistic": float(z), "n": n}  # fmt: skip


def design_names(cache: _Columns, cols) -> list:
    """Column names of `design_matrix` as patsy names them (Intercept, x, c[T.level])."""
    names = ["Intercept"]
    for col in cols:
        kind, values = cache.values(col)
        if kind == "cat":
            names += [f"{col}[T.{level}]" for level in values[1][1:]]
        else:
            names.append(col)
    return names


def fitted_parameters(frame, cache: _Columns, d: dict) -> dict:
    """The observed model's full fit for a parametric null (logistic, ordinal, tobit): ``beta`` aligned
    with `design_matrix` of x and the covariates (Intercept first; 0 for an ordinal model, whose
    thresholds are ``thresholds``), and ``scale`` (tobit)."""
    from analysis.models._linearization import logit_fit, olr_fit

    family = d["family"]
    cols = [d["x"], *d["covariates"]]
    if family in ("logistic", "ordinal") and d["params"].get("link", "logit") == "logit":
        kind, y_all, y_miss = _outcome(cache, d["y"], {})
        built = _design(cache, d, {}, cache.mask(d["keep"]) & ~y_miss) if kind else None
        coded = _levels(kind, y_all, built[0], family) if built is not None else None
        if coded is not None:
            ok, X, _ = built
            y, k = coded
            w = cache.design(d["design"]).weights[ok] if d.get("weights") else np.ones(len(y))
            try:
                if family == "logistic":
                    beta, converged = logit_fit(X, y, w)
                    if converged:
                        return {"beta": beta, "thresholds": None, "scale": None}
                else:
                    theta, _, _, _, converged = olr_fit(X[:, 1:], y.astype(np.int64), w, k - 1)
                    if converged:
                        p = X.shape[1] - 1
                        return {"beta": np.concatenate([[0.0], theta[:p]]), "thresholds": theta[p:], "scale": None}
            except np.linalg.LinAlgError:
                pass
    from analysis.models.limited_outcomes import ordinal_regression, tobit
    from analysis.models.regression import logistic_regression
    from analysis.models.survey_design import survey_design, survey_glm, survey_olr

    if d.get("weights"):  # the model functions themselves
        design = survey_design(design_frame(frame, cache, d, {}), **d["design"])
        res = survey_olr(design, _formula(d)) if family == "ordinal" else \
            survey_glm(design, _formula(d), family="quasibinomial")  # fmt: skip
    elif family == "logistic":
        res = logistic_regression(_rows(frame, cache, d, {}), _formula(d))
    elif family == "ordinal":
        res = ordinal_regression(_rows(frame, cache, d, {}), _formula(d), link=d["params"]["link"])
    else:
        res = tobit(_rows(frame, cache, d, {}), _formula(d), left=d["params"]["left"], right=d["params"]["right"])
    coefs = res.coefficients
    thresholds = None
    if "part" in coefs.columns:
        thresholds = coefs[coefs["part"] == "threshold"]["estimate"].to_numpy(float)
        coefs = coefs[coefs["part"] == "coefficient"]
    fitted = coefs.set_index("term")["estimate"]
    beta = np.array([float(fitted.get(name, 0.0)) for name in design_names(cache, cols)])
    scale = float(res.fit["scale"].iloc[0]) if family == "tobit" else None
    return {"beta": beta, "thresholds": thresholds, "scale": scale}
