"""Inference on a specification curve (Simonsohn, Simmons & Nelson, 2020): resampling the data
with the effect removed, refitting every specification, and comparing the observed curve's median
estimate, count of significant specifications and Stouffer Z with the null curves; and how much
of the spread of the estimates each decision explains.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.claims.multiverse_fit import (
    _as_definition,
    _Columns,
    complete_rows,
    design_matrix,
    fast_mediation,
    fit_one,
    fitted_parameters,
    ols_arrays,
    standard_moments,
    standardized,
)
from analysis.exceptions import DataError, ParameterError

__all__ = ["null_curves", "curve_statistics", "inference_table", "decision_importance", "resample_rows", "STATISTICS"]

#: the statistics of a curve tested under the null, in table order
STATISTICS = ("median", "n_significant", "stouffer_z")


def _direction(values) -> int:
    est = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    return -1 if len(est) and np.median(est) < 0 else 1


def curve_statistics(estimates, p_values, *, direction: int, alpha: float = 0.05) -> dict:
    """The statistics of one specification curve (observed or under the null).

    Parameters
    ----------
    estimates, p_values : array-like
        One per fitted specification (NaN entries, failed fits, are left out).
    direction : {1, -1}
        The direction of the observed curve (the sign of its median estimate).
    alpha : float, default 0.05
        A specification is significant when p < alpha.

    Returns
    -------
    dict
        ``median`` (median estimate), ``n_significant_positive``, ``n_significant_negative``,
        ``n_significant`` (those in `direction`), ``stouffer_z`` and ``n_fitted``.

    Notes
    -----
    Stouffer's Z combines one-sided p values in the observed direction: a specification with
    two-sided p and an estimate in `direction` has one-sided p/2, else 1 - p/2; ``z_i = Φ⁻¹(1 -
    p_i)`` and ``Z = Σ z_i / √k`` over the k fitted specifications (Simonsohn et al., 2020).
    One-sided p values are kept inside [1e-300, 1 - 1e-16] so that Z stays finite.

    Examples
    --------
    >>> from analysis.claims.specification_inference import curve_statistics
    >>> s = curve_statistics([0.2, 0.3, -0.1], [0.01, 0.04, 0.5], direction=1)
    >>> s["median"], s["n_significant"], s["n_significant_negative"], round(s["stouffer_z"], 3)
    (0.2, 2, 0, 2.283)
    """
    est = np.asarray(estimates, dtype=float)
    p = np.asarray(p_values, dtype=float)
    ok = np.isfinite(est) & np.isfinite(p)
    est, p = est[ok], p[ok]
    sig = p < alpha
    pos, neg = int(np.sum(sig & (est > 0))), int(np.sum(sig & (est < 0)))
    if not len(est):
        return {"median": np.nan, "n_significant_positive": 0, "n_significant_negative": 0, "n_significant": 0,
                "stouffer_z": np.nan, "n_fitted": 0}  # fmt: skip
    one_sided = np.where(np.sign(est) == direction, p / 2, 1 - p / 2)
    z = stats.norm.isf(np.clip(one_sided, 1e-300, 1 - 1e-16))
    return {"median": float(np.median(est)), "n_significant_positive": pos, "n_significant_negative": neg,
            "n_significant": pos if direction > 0 else neg, "stouffer_z": float(z.sum() / np.sqrt(len(z))),
            "n_fitted": len(est)}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Null data of one specification
# ---------------------------------------------------------------------------------------------


class _NullSpec:
    """What the resamples of one specification need: its definition, the key of its own random
    draws, and the effect-free parts of its data computed once on the whole frame."""

    def __init__(self, frame, cache, spec_id, d, observed, ci, seed):
        self.spec_id, self.d, self.ci = spec_id, d, ci
        self.key = int(spec_id, 16) if all(c in "0123456789abcdef" for c in str(spec_id)) else \
            int.from_bytes(str(spec_id).encode()[:8], "little")  # fmt: skip
        self.seed = seed
        family, b = d["family"], float(observed["estimate"])
        if d.get("standardize"):  # the estimate on the columns' own scale (z = (v - mean) / SD)
            moments = standard_moments(cache, d, {})
            sy = moments[d["y"]][1] if "outcome" in d["standardize"] else 1.0
            sx = moments[d["x"]][1] if "predictor" in d["standardize"] else 1.0
            b *= sy / sx
        self.kind = "shift"
        self.start = None  # Newton's starting values of the refits (logistic, ordinal)
        self.arrays: dict = {}
        if family in ("ols", "mixed", "apim"):
            y = _numeric(cache, d["y"])
            self.arrays["y"] = y - b * self._effect_column(frame, cache)
        elif family == "mediation":
            self.kind = "mediation"
            ok = complete_rows(cache, d, [d["x"], d["mediator"], d["y"], *d["covariates"]])
            m = _numeric(cache, d["mediator"])
            a, _ = ols_arrays(m[ok], design_matrix(cache, [d["x"], *d["covariates"]], ok))
            self.arrays["m"] = m - a[1] * _numeric(cache, d["x"])
        elif family in ("logistic", "ordinal", "tobit"):
            self.kind = family
            self._parametric(frame, cache, b)
        else:  # pragma: no cover
            raise ParameterError(f"no null model for family {family!r}")

    def _effect_column(self, frame, cache) -> np.ndarray:
        """The values the effect multiplies: x, or for an APIM partner effect the partner's x."""
        d = self.d
        if d["family"] != "apim" or d["params"]["effect"] == "actor":
            return _numeric(cache, d["x"])
        if d.get("x_partner"):
            return _numeric(cache, d["x_partner"])
        x = _numeric(cache, d["x"])
        dyad = frame[d["dyad"]]
        part = pd.DataFrame({"dyad": dyad, "x": x})
        grp = part.groupby("dyad", sort=False)["x"]
        size = dyad.map(dyad.value_counts()).to_numpy()
        count = grp.transform("count").to_numpy()
        other = grp.transform("sum").to_numpy() - x
        return np.where((size == 2) & (count == 2), other, np.nan)

    def _parametric(self, frame, cache, b):
        """The fitted model's linear predictor with the effect set to 0 (and its thresholds or scale)."""
        d = self.d
        cols = [d["x"], *d["covariates"]]
        ok = complete_rows(cache, d, [d["y"], *cols])
        fitted = fitted_parameters(frame, cache, d)
        X = design_matrix(cache, cols, np.ones(cache.n, dtype=bool))
        with np.errstate(invalid="ignore"):
            eta = X @ fitted["beta"]
        eta[~ok] = np.nan
        x = _numeric(cache, d["x"])
        self.arrays["eta"] = eta - b * x  # the linear predictor without the effect
        self.arrays["bx"] = b * x
        self.thresholds = fitted["thresholds"]
        if self.kind in ("logistic", "ordinal"):
            null_beta = fitted["beta"].copy()
            null_beta[1] = 0.0  # the effect's coefficient under the null
            self.start = null_beta if self.kind == "logistic" else np.concatenate([null_beta[1:], self.thresholds])
        self.link = d["params"].get("link", "logit")
        y = cache.values(d["y"])
        self.y_kind = y[0]
        if self.kind == "ordinal":
            self.levels = np.unique(y[1][0][ok]) if y[0] == "cat" else np.unique(y[1][ok])
        if self.kind == "tobit":
            self.arrays["y"] = _numeric(cache, d["y"])
            self.scale = fitted["scale"]
            self.left, self.right = d["params"]["left"], d["params"]["right"]

    def overrides(self, idx: np.ndarray, rng: np.random.Generator | None) -> dict:
        """{column: values} of the resampled frame under the null (`rng`: the draws of a logistic, ordinal or
        tobit null; None for a shift or mediation null, which draws nothing)."""
        d = self.d
        if self.kind == "shift":
            return {d["y"]: self.arrays["y"][idx]}
        if self.kind == "mediation":
            return {d["mediator"]: self.arrays["m"][idx]}
        eta = self.arrays["eta"][idx]
        u = rng.random(len(idx))
        if self.kind == "logistic":
            prob = 1 / (1 + np.exp(-eta))
            draw = (u < prob).astype(float)  # for a two-level categorical outcome: its codes
            draw[np.isnan(eta)] = np.nan
            return {d["y"]: draw}
        if self.kind == "ordinal":
            cdf = stats.norm.cdf if self.link == "probit" else stats.logistic.cdf
            with np.errstate(invalid="ignore"):
                below = cdf(self.thresholds[None, :] - eta[:, None])  # P(y <= k)
                k = (u[:, None] > below).sum(axis=1)
            values = self.levels[np.minimum(k, len(self.levels) - 1)].astype(float)  # values, or codes
            return {d["y"]: np.where(np.isnan(eta), np.nan, values)}
        # tobit: latent values on the latent scale; censored ones drawn from the fitted truncated normal
        y = self.arrays["y"][idx]
        mu = eta + self.arrays["bx"][idx]
        s = self.scale
        latent = y.copy()
        with np.errstate(invalid="ignore"):
            if self.left is not None:
                low = y <= self.left
                top = stats.norm.cdf((self.left - mu[low]) / s)
                latent[low] = mu[low] + s * stats.norm.ppf(np.clip(u[low] * top, 1e-300, 1 - 1e-16))
            if self.right is not None:
                high = y >= self.right
                bottom = stats.norm.cdf((self.right - mu[high]) / s)
                latent[high] = mu[high] + s * stats.norm.ppf(np.clip(bottom + u[high] * (1 - bottom), 1e-300,
                                                                     1 - 1e-16))  # fmt: skip
        null = latent - self.arrays["bx"][idx]
        if self.left is not None:
            null = np.where(null < self.left, self.left, null)
        if self.right is not None:
            null = np.where(null > self.right, self.right, null)
        null[np.isnan(eta)] = np.nan
        return {d["y"]: null}


def _numeric(cache: _Columns, col: str) -> np.ndarray:
    kind, values = cache.values(col)
    if kind != "num":
        raise DataError(f"Column {col!r} is not numeric; the effect cannot be removed from it.")
    return values


# ---------------------------------------------------------------------------------------------
# Null curves
# ---------------------------------------------------------------------------------------------


def _clusters(frame: pd.DataFrame):
    """Rows of each resampling unit (``_cluster`` codes 0..G-1), in frame order."""
    cluster = frame["_cluster"].to_numpy() if "_cluster" in frame.columns else np.arange(len(frame))
    order = np.argsort(cluster, kind="stable")
    sizes = np.bincount(cluster)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return order, sizes, starts


def resample_rows(frame: pd.DataFrame, seed: int, k: int, clusters=None):
    """Rows of resample `k`: units drawn with replacement by ``default_rng([seed, k])``.

    Returns (row positions, draw number of each row); see `null_curves`."""
    order, sizes, starts = clusters if clusters is not None else _clusters(frame)
    rng = np.random.default_rng([seed, k])
    n_units = len(sizes)
    draw = rng.integers(0, n_units, size=n_units)
    counts = sizes[draw]
    offsets = np.repeat(starts[draw] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    idx = order[np.arange(counts.sum()) + offsets]
    return idx, np.repeat(np.arange(n_units), counts)


def _id_columns(definitions) -> list:
    return list(dict.fromkeys(c for d in definitions for c in (d.get("dyad"), d.get("person")) if c))


def null_curves(frame: pd.DataFrame, rows, observed, *, resamples, seed: int, ci: float = 0.95) -> list[dict]:
    """Specification curves under the null: the data resampled with each effect removed, every
    specification refitted (Simonsohn, Simmons & Nelson, 2020).

    Parameters
    ----------
    frame : pandas.DataFrame
        The prepared data (`prepare_multiverse_data`).
    rows : iterable of dict
        The specification rows (``MultiverseSpec.specifications().to_dict("records")``); those
        not pending, or whose observed fit failed, are left out.
    observed : list of dict
        The results of `fit_specifications` for the rows (their estimates are removed).
    resamples : iterable of int
        The resample numbers to draw, e.g. ``range(500)``; resample k uses
        ``numpy.random.default_rng([seed, k])``, so any split of the numbers into chunks gives
        the same curves.
    seed : int
        Seed of the resamples.
    ci : float, default 0.95
        A specification is significant when p < 1 - ci.

    Returns
    -------
    list of dict
        One per resample, in the order of `resamples`: ``resample`` (k), ``median``,
        ``n_significant_positive``, ``n_significant_negative``, ``n_significant`` (in the
        direction of the observed median), ``stouffer_z`` (one-sided in that direction; see
        `curve_statistics`), ``n_fitted`` and ``n_failed`` (refits that failed, left out).

    Notes
    -----
    Null data. Linear-gaussian families (OLS, weighted OLS, mixed model, APIM) use
    ``y* = y - b x`` with b the specification's observed estimate and x the effect's column (an
    APIM partner effect: the partner's x), so the effect is exactly 0 in the population the
    resamples come from while everything else (covariates, clustering, other effects, residual
    structure) stays as observed. Mediation removes the a path: ``m* = m - a x`` (a from the
    OLS of m on x and the covariates), so the indirect effect a*b is 0. Logistic and ordinal
    outcomes cannot be shifted, so they get a parametric bootstrap: the fitted model's linear
    predictor with the effect's term set to 0 (the other coefficients and the thresholds as
    fitted) gives each resampled row's probabilities, and a new outcome is drawn from them;
    this is the outcome model the null hypothesis implies, and the closest analogue of removing
    b x. Tobit works on the latent scale: uncensored values are shifted by -b x, censored ones
    are first drawn from the fitted normal truncated at the censoring point, shifted, and
    censored again. Parametric draws use ``default_rng([seed, k, int(spec_id, 16)])``.
    Resampling: units (``_cluster``: couples when the table has a dyad id, persons of a diary,
    else rows; ``resample_by`` of the file) are drawn with replacement,
    ``default_rng([seed, k]).integers(0, G, size=G)`` over the G units in code order, each
    unit's rows in frame order; the same draw serves every specification (its exclusions and
    subset then select among the drawn rows). A unit drawn twice is two units: the dyad and
    person ids of the copies are renumbered. Estimation and significance are as in
    `fit_specifications`, except that mediation uses its Sobel p value without bootstrap.
    With ``standardize``, b above is the observed estimate on the columns' own scale
    (b SD(y) / SD(x), the SDs of the observed specification's rows), and each refit
    standardizes within its resample's rows, as the observed fit did.

    References
    ----------
    Simonsohn, U., Simmons, J. P., & Nelson, L. D. (2020). Specification curve analysis. *Nature
    Human Behaviour, 4*, 1208-1214. https://doi.org/10.1038/s41562-020-0912-z

    Examples
    --------
    >>> import tempfile
    >>> from analysis import write_demo_survey
    >>> from analysis.claims.multiverse import fit_specifications, null_curves, prepare_multiverse_data
    >>> from analysis.claims.multiverse import read_multiverse
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     spec = read_multiverse({"data": write_demo_survey(tmp, n_couples=30, seed=1), "table": "survey",
    ...                             "effect": {"outcome": "csi_16_total", "predictor": "cpi_total"},
    ...                             "decisions": {"cov": {"kind": "covariates", "options": {"none": [],
    ...                                                                                     "age": ["age"]}}}})
    ...     frame, _ = prepare_multiverse_data(spec)
    >>> rows = spec.specifications().to_dict("records")
    >>> observed = fit_specifications(frame, rows)
    >>> curves = null_curves(frame, rows, observed, resamples=range(4), seed=1)
    >>> [c["resample"] for c in curves], sorted(curves[0])  # doctest: +NORMALIZE_WHITESPACE
    ([0, 1, 2, 3], ['median', 'n_failed', 'n_fitted', 'n_significant', 'n_significant_negative',
                    'n_significant_positive', 'resample', 'stouffer_z'])
    >>> curves[2:] == null_curves(frame, rows, observed, resamples=[2, 3], seed=1)  # any chunks: same curves
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParameterError(f"`seed` must be a whole number >= 0, but {seed!r} was passed.")
    ks = [int(k) for k in resamples]
    obs = {r["spec_id"]: r for r in observed}
    direction = _direction([r["estimate"] for r in observed if r.get("status") == "ok"])
    alpha = 1 - ci
    cache = _Columns(frame)
    specs = []
    for row in rows:
        r = obs.get(row["spec_id"])
        if row.get("status", "pending") != "pending" or r is None or r.get("status") != "ok":
            continue
        specs.append(_NullSpec(frame, cache, row["spec_id"], _as_definition(row), r, ci, seed))
    ids = _id_columns([s.d for s in specs])
    widths = {col: (np.nanmax(frame[col].to_numpy(float)) + 1 if len(frame) else 1) for col in ids}
    clusters = _clusters(frame)
    out = []
    for k in ks:
        idx, draw = resample_rows(frame, seed, k, clusters)
        frame_k = frame.iloc[idx].reset_index(drop=True)
        relabel = {"_cluster": draw}
        for col in ids:
            relabel[col] = draw * widths[col] + frame_k[col].to_numpy(float)
        frame_k = frame_k.assign(**relabel)
        cache_k = _Columns(frame_k)
        est, pv, failed = [], [], 0
        for s in specs:
            # a shifted outcome or mediator draws nothing: no generator (4,800 of them in a 48-spec, 100-resample run)
            rng = None if s.kind in ("shift", "mediation") else np.random.default_rng([seed, k, s.key])
            overrides = s.overrides(idx, rng)
            if s.d["family"] == "mediation":
                try:
                    if s.d.get("standardize"):
                        overrides = standardized(cache_k, s.d, overrides)
                    res = fast_mediation(cache_k, s.d, overrides)
                    res["status"] = "ok"
                except (DataError, np.linalg.LinAlgError):
                    res = {"status": "failed"}
            else:
                res = fit_one(frame_k, cache_k, s.spec_id, s.d, ci, overrides, s.start)
            if res["status"] == "ok":
                est.append(res["estimate"])
                pv.append(res["p_value"])
            else:
                failed += 1
        out.append({"resample": k, **curve_statistics(est, pv, direction=direction, alpha=alpha),
                    "n_failed": failed})  # fmt: skip
    return out


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def _in_direction(curve: dict, direction: int, observed_direction: int) -> tuple[float, float, float]:
    """(median, count significant, Stouffer Z) of a curve read in `direction` (+1 or -1); the curve's
    ``stouffer_z`` is in `observed_direction` (Z in the other direction is -Z: Φ⁻¹(p) = -Φ⁻¹(1 - p))."""
    count = curve["n_significant_positive"] if direction > 0 else curve["n_significant_negative"]
    return direction * curve["median"], count, curve["stouffer_z"] * direction * observed_direction


def inference_table(observed: list[dict], null: list[dict] | None, *, ci: float = 0.95,
                    direction: str | None = None) -> pd.DataFrame:  # fmt: skip
    """Observed curve statistics and their p values under the null.

    Parameters
    ----------
    observed : list of dict
        Results of `fit_specifications`.
    null : list of dict or None
        Results of `null_curves` (None or empty: no p values).
    ci : float, default 0.95
        Significance is p < 1 - ci.
    direction : {None, "positive", "negative"}, optional
        A direction declared in advance (the specification file's ``effect.direction``): one-sided
        tests in it. None (default): the direction is the observed median's, and each null curve
        is read in the direction of its own median, so the test is two-sided.

    Returns
    -------
    pandas.DataFrame
        One row per curve statistic (``median``, ``n_significant``, ``stouffer_z``): ``quantity``
        (its name; not ``statistic``, which tables read as a test statistic such as t or z),
        ``observed`` (the median estimate; the count of significant specifications in the
        observed or declared direction; Stouffer's Z in that direction), ``p_value`` (share of
        null curves at least as extreme) and ``resamples`` (null curves used).

    Notes
    -----
    Simonsohn, Simmons & Nelson (2020) test a predicted direction: the share of null curves whose
    median is at least as large in that direction, whose count of significant specifications in
    that direction is at least as large, and whose Stouffer Z of one-sided p values in that
    direction is at least as large (`direction` given). Without a predicted direction, taking the
    direction from the observed curve and comparing with null curves read in the same fixed
    direction would halve the p values (on data without an effect p would be uniform on 0 to
    0.5); so each null curve is read in the direction of its own median, as the observed one is:
    |median| as large, as many significant specifications in its own direction, Z in its own
    direction as large. These p values are uniform under the null (tests/test_specification_inference.py).

    Examples
    --------
    >>> from analysis.claims.specification_inference import inference_table
    >>> observed = [{"estimate": 0.3, "p_value": 0.01, "status": "ok"}, {"estimate": 0.2, "p_value": 0.2,
    ...             "status": "ok"}]
    >>> null = [{"median": m, "n_significant_positive": a, "n_significant_negative": b, "stouffer_z": z}
    ...         for m, a, b, z in [(0.0, 0, 0, 0.1), (0.3, 1, 0, 3.0), (-0.3, 0, 1, -2.4), (0.1, 1, 0, 1.0)]]
    >>> inference_table(observed, null)[["quantity", "p_value"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'quantity': 'median', 'p_value': 0.5}, {'quantity': 'n_significant', 'p_value': 0.75},
     {'quantity': 'stouffer_z', 'p_value': 0.25}]
    >>> inference_table(observed, null, direction="positive")["p_value"].tolist()
    [0.25, 0.5, 0.25]
    """
    if direction not in (None, "positive", "negative"):
        raise ParameterError(f"`direction` must be None, 'positive' or 'negative', but {direction!r} was passed.")
    ok = [r for r in observed if r.get("status") == "ok"]
    observed_direction = _direction([r["estimate"] for r in ok])
    fixed = {"positive": 1, "negative": -1}.get(direction)
    read = fixed or observed_direction
    stats_obs = curve_statistics([r["estimate"] for r in ok], [r["p_value"] for r in ok], direction=read,
                                 alpha=1 - ci)  # fmt: skip
    values = {"median": stats_obs["median"], "n_significant": stats_obs["n_significant"],
              "stouffer_z": stats_obs["stouffer_z"]}  # fmt: skip
    obs_read = (read * stats_obs["median"], stats_obs["n_significant"], stats_obs["stouffer_z"])
    draws = []
    for curve in null or []:
        if not np.isfinite(curve.get("median", np.nan)):
            continue
        own = fixed or (-1 if curve["median"] < 0 else 1)
        draws.append(_in_direction(curve, own, observed_direction))
    draws = np.asarray(draws, dtype=float).reshape(-1, 3)
    rows = []
    for j, name in enumerate(STATISTICS):
        value = obs_read[j]
        if len(draws) and np.isfinite(value):
            p = float(np.mean(draws[:, j] >= value - 1e-12 * max(1.0, abs(value))))
        else:
            p = np.nan
        rows.append({"quantity": name, "observed": float(values[name]), "p_value": p, "resamples": len(draws)})
    return pd.DataFrame(rows, columns=["quantity", "observed", "p_value", "resamples"])


def decision_importance(table: pd.DataFrame, decisions) -> pd.DataFrame:
    """Share of the variance of the estimates each decision explains.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per specification with ``estimate``, ``status`` and one column per decision.
    decisions : list of str
        The decision columns.

    Returns
    -------
    pandas.DataFrame
        ``decision``, ``share`` (eta squared: the decision's type II sum of squares in the
        main-effects ANOVA of the estimate on every decision, divided by the total sum of
        squares), ``n_options`` (options among the fitted specifications); a last row
        ``"(interactions and residual)"`` holds the rest. Shares of a full grid add to 1 with
        that row; when failed or incompatible specifications make the grid unbalanced, type II
        sums of squares leave out what decisions explain only jointly. Only ``ok`` rows count.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.claims.specification_inference import decision_importance
    >>> grid = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": ["u", "v", "u", "v"],
    ...                      "estimate": [1.0, 1.2, 3.0, 3.2], "status": "ok"})
    >>> decision_importance(grid, ["a", "b"]).round(3).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'decision': 'a', 'share': 0.99, 'n_options': 2}, {'decision': 'b', 'share': 0.01, 'n_options': 2},
     {'decision': '(interactions and residual)', 'share': 0.0, 'n_options': 0}]
    """
    ok = table[(table["status"] == "ok") & np.isfinite(table["estimate"].astype(float))]
    y = ok["estimate"].to_numpy(float)
    rows = []
    total = float(np.sum((y - y.mean()) ** 2)) if len(y) else 0.0

    def rss(names):
        blocks = [np.ones((len(y), 1))]
        for n in names:
            dummies = pd.get_dummies(ok[n].astype(str), drop_first=True, dtype=float).to_numpy()
            if dummies.size:
                blocks.append(dummies)
        X = np.hstack(blocks)
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        e = y - X @ beta
        return float(e @ e)

    full = rss(decisions) if len(y) else 0.0
    for name in decisions:
        n_options = int(ok[name].nunique()) if len(ok) else 0
        if total <= 0 or n_options < 2:
            share = 0.0 if len(y) else np.nan
        else:
            share = max(rss([d for d in decisions if d != name]) - full, 0.0) / total
        rows.append({"decision": name, "share": share, "n_options": n_options})
    explained = sum(r["share"] for r in rows if np.isfinite(r["share"]))
    rows.append({"decision": "(interactions and residual)", "share": max(1 - explained, 0.0) if total > 0 else
                 (0.0 if len(y) else np.nan), "n_options": 0})  # fmt: skip
    return pd.DataFrame(rows, columns=["decision", "share", "n_options"])

