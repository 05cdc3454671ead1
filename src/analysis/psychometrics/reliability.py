"""Internal consistency of a scale: Cronbach's alpha and item statistics, as ``psych::alpha``.

Both functions build one covariance matrix of the items (pairwise or listwise) with a few
matrix products and derive every statistic from it; nothing is refitted per item.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from analysis._checks import _as_list, _check_one_of, _require_columns
from analysis.exceptions import AnalysisWarning, DataError, ParameterError

__all__ = ["feldt_interval", "cronbach_alpha", "item_statistics"]

_MISSING = ("pairwise", "listwise")
_CI_METHODS = ("feldt", "bootstrap")
_BLOCK = 1024  # rows per matrix product (see _tprod)


def feldt_interval(alpha: float, *, n: float, k: float, ci: float = 0.95) -> tuple[float, float]:
    """Feldt's (1965) confidence interval of Cronbach's alpha from n respondents and k items.

    Parameters
    ----------
    alpha : float
        Cronbach's alpha.
    n : float
        Number of respondents.
    k : float
        Number of items.
    ci : float, optional
        Confidence level of the interval (default 0.95).

    Returns
    -------
    tuple of float
        ``(ci_low, ci_high)``.

    See Also
    --------
    cronbach_alpha : alpha with this interval.

    Notes
    -----
    ``1 - (1 - alpha) F``, F the F(n - 1, (n - 1)(k - 1)) quantiles at ``1 - (1 - ci) / 2``
    (lower bound) and ``(1 - ci) / 2`` (upper bound), as ``psych::alpha.ci``. The claims use it
    for published alphas too.

    References
    ----------
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson reliability
    coefficient twenty. *Psychometrika, 30*(3), 357-370. https://doi.org/10.1007/BF02289499

    Examples
    --------
    >>> from analysis.psychometrics.reliability import feldt_interval
    >>> low, high = feldt_interval(0.8, n=200, k=10)
    >>> round(low, 3), round(high, 3)
    (0.756, 0.839)
    """
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return (float(1 - (1 - alpha) * stats.f.ppf(1 - (1 - ci) / 2, df1, df2)),
            float(1 - (1 - alpha) * stats.f.ppf((1 - ci) / 2, df1, df2)))


def cronbach_alpha(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    ci: float = 0.95,
    ci_method: str = "feldt",
    n_boot: int = 2000,
    seed: int | np.random.Generator | None = None,
    missing: str = "pairwise",
) -> pd.DataFrame:
    """Cronbach's alpha, standardized alpha and Guttman's lambda 6 of a scale, with a CI.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent. Not modified.
    items : list of str
        Numeric item columns (at least two), already keyed in one direction: reverse the
        reverse-keyed items first (``analysis.scales`` holds each instrument's keys).
    ci : float, optional
        Confidence level of the interval for alpha, between 0 and 1 (default 0.95).
    ci_method : {"feldt", "bootstrap"}, optional
        ``"feldt"`` (default): Feldt's (1965) F-based interval, as ``psych::alpha.ci``.
        ``"bootstrap"``: percentile bootstrap over respondents, `n_boot` resamples.
    n_boot : int, optional
        Number of bootstrap resamples (only with ``ci_method="bootstrap"``; default 2000).
    seed : int or numpy.random.Generator, optional
        Seed of the bootstrap, passed to ``numpy.random.default_rng``.
    missing : {"pairwise", "listwise"}, optional
        ``"pairwise"`` (default): each covariance from the respondents who answered both items,
        as ``psych::alpha(use = "pairwise")``; ``"listwise"``: complete cases only.

    Returns
    -------
    pandas.DataFrame
        One row: ``n`` (respondents used: who answered at least one item, or every item with
        ``missing="listwise"``), ``n_items``, ``alpha`` (raw Cronbach's alpha, from the
        covariances), ``std_alpha`` (standardized alpha, from the mean inter-item correlation),
        ``g6_smc`` (Guttman's lambda 6 from squared multiple correlations), ``average_r`` and
        ``median_r`` (mean and median inter-item correlation), ``mean`` and ``sd`` (of the
        respondents' mean of answered items, as psych's ``total``), ``ci_low`` and ``ci_high``
        (interval for ``alpha``), ``ci_method``. ``df.attrs`` holds ``ci``, ``missing`` and,
        for the bootstrap, ``n_boot`` and ``seed``.

    Raises
    ------
    DataError
        An item column is absent, not numeric, has infinite values or no variance, or two items
        have fewer than two respondents in common.
    ParameterError
        Fewer than two items, repeated items, or a bad `ci`, `ci_method`, `n_boot` or `missing`.

    Warns
    -----
    AnalysisWarning
        Some items load negatively on the first principal component: they probably need
        reverse keying (psych prints the same advice).

    See Also
    --------
    item_statistics : item-total correlations and alpha if an item is deleted.

    Notes
    -----
    With k items, covariance matrix C and correlation matrix R (``cov2cor(C)``):
    ``alpha = k / (k - 1) * (1 - tr(C) / sum(C))``, ``std_alpha = k / (k - 1) * (1 - k / sum(R))``,
    ``g6_smc = 1 - (k - sum(smc)) / sum(R)`` with ``smc = 1 - 1 / diag(R^-1)`` (pseudo-inverse,
    clipped to [0, 1], as ``psych::smc``). Feldt's interval is
    ``1 - (1 - alpha) * F(q; n - 1, (n - 1)(k - 1))`` at ``q = 1 - (1 - ci) / 2`` (lower) and
    ``(1 - ci) / 2`` (upper). The bootstrap recomputes the covariances (with the same `missing`
    rule) on `n_boot` resamples of the respondents and takes the percentiles (R's type 7).

    Matches ``psych::alpha`` (psych 2.2.9; tested on the bfi and ECR scales), with one
    difference: psych's ``n`` for the Feldt interval is ``nrow(x)``, counting respondents
    who answered no item; here they are not counted (drop them before calling psych to match).
    Respondents with some items missing count in every covariance they can inform
    (pairwise) and their scale mean is the mean of the items they answered.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16(3), 297-334.
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson reliability
    coefficient twenty. Psychometrika, 30(3), 357-370.
    Guttman, L. (1945). A basis for analyzing test-retest reliability. Psychometrika, 10(4),
    255-282.
    Revelle, W. (2022). psych: Procedures for psychological, psychometric, and personality
    research (R package version 2.2.9). Northwestern University.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import cronbach_alpha
    >>> data = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 4], "c": [1, 3, 3, 4, 5]})
    >>> out = cronbach_alpha(data, items=["a", "b", "c"])
    >>> print(out[["n", "alpha", "ci_low", "ci_high"]].round(3).to_string(index=False))
     n  alpha  ci_low  ci_high
     5  0.945   0.723    0.994
    """
    cols = _check_items(data, items)
    _check_one_of("missing", missing, _MISSING)
    _check_one_of("ci_method", ci_method, _CI_METHODS)
    if isinstance(ci, bool) or not isinstance(ci, numbers.Real) or not 0 < ci < 1:
        raise ParameterError(
            f"The value for `ci` must be a number between 0 and 1, but {ci!r} was passed."
        )
    whole = isinstance(n_boot, (int, np.integer)) and not isinstance(n_boot, bool)
    if ci_method == "bootstrap" and not (whole and n_boot >= 1):
        raise ParameterError(
            f"The value for `n_boot` must be a positive integer, but {n_boot!r} was passed."
        )
    it = _prepare(data, cols, missing)
    n, k = it.n, len(cols)
    cov, r, _ = _cov_cor(it, cols)
    _warn_if_mixed_keys(r, cols)
    sum_c, sum_r = cov.sum(), r.sum()
    alpha = k / (k - 1) * (1 - np.trace(cov) / sum_c)
    lower = r[np.tril_indices(k, -1)]
    tc = _total_shifted(it)
    if it.pool is not None:
        tc = tc[it.pool]

    if ci_method == "feldt":
        ci_low, ci_high = feldt_interval(alpha, n=n, k=k, ci=ci)
    else:
        draws = _bootstrap_alpha(it, n_boot, seed)
        ci_low, ci_high = np.nanquantile(draws, [(1 - ci) / 2, 1 - (1 - ci) / 2])

    out = pd.DataFrame({
        "n": [n], "n_items": [k], "alpha": [alpha],
        "std_alpha": [k / (k - 1) * (1 - k / sum_r)],
        "g6_smc": [1 - (k - _smc(r).sum()) / sum_r],
        "average_r": [lower.mean()], "median_r": [np.median(lower)],
        "mean": [tc.mean() + it.shift.mean()], "sd": [tc.std(ddof=1)],
        "ci_low": [float(ci_low)], "ci_high": [float(ci_high)], "ci_method": [ci_method],
    })  # fmt: skip
    out.attrs = {"ci": ci, "missing": missing}
    if ci_method == "bootstrap":
        out.attrs.update(n_boot=n_boot, seed=seed)
    return out


def item_statistics(
    data: pd.DataFrame, *, items: Sequence[str], missing: str = "pairwise"
) -> pd.DataFrame:
    """Item statistics of a scale: item-total correlations and alpha if the item is deleted.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent. Not modified.
    items : list of str
        Numeric item columns (at least two), already keyed in one direction: reverse the
        reverse-keyed items first (``analysis.scales`` holds each instrument's keys).
    missing : {"pairwise", "listwise"}, optional
        ``"pairwise"`` (default): covariances from the respondents who answered both items, as
        ``psych::alpha(use = "pairwise")``; ``"listwise"``: complete cases only.

    Returns
    -------
    pandas.DataFrame
        One row per item, in the order of `items`: ``item``, ``n`` (respondents who answered
        it), ``mean``, ``sd`` (n - 1), ``r_item_total`` (correlation of the item with the
        scale mean, item included; psych ``raw.r``), ``r_std`` (the same from the correlation
        matrix, as if items were standardized; ``std.r``), ``r_cor`` (item-total correlation
        corrected for item overlap and reliability; ``r.cor``), ``r_drop`` (correlation with
        the total of the other items; ``r.drop``), ``alpha_if_deleted``,
        ``std_alpha_if_deleted`` and ``average_r_if_deleted`` (alpha, standardized alpha and
        mean inter-item correlation of the other items; psych's ``alpha.drop``; missing for a
        two-item scale). ``df.attrs["missing"]`` holds `missing`.

    Raises
    ------
    DataError
        An item column is absent, not numeric, has infinite values or no variance, or two items
        have fewer than two respondents in common.
    ParameterError
        Fewer than two items, repeated items, or a bad `missing`.

    Warns
    -----
    AnalysisWarning
        Some items load negatively on the first principal component (probably not reversed).

    See Also
    --------
    cronbach_alpha : alpha of the whole scale, with a confidence interval.

    Notes
    -----
    From the covariance matrix C and R = ``cov2cor(C)``: ``r_std = colSums(R) / sqrt(sum(R))``;
    ``r_cor`` is the same with the diagonal of R replaced by the squared multiple correlations;
    ``r_drop = (colSums(C) - C_ii) / sqrt(C_ii * sum(C[-i, -i]))``. ``r_item_total`` correlates
    the item with each respondent's mean of answered items, over the respondents who answered
    the item (R's ``cor(use = "pairwise")``). Alpha if deleted uses ``C[-i, -i]``, in closed form.
    Matches ``psych::alpha(..)$item.stats`` and ``$alpha.drop`` (psych 2.2.9, tested).

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16(3), 297-334.
    Revelle, W. (2022). psych: Procedures for psychological, psychometric, and personality
    research (R package version 2.2.9). Northwestern University.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import item_statistics
    >>> data = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 4], "c": [1, 3, 3, 4, 5]})
    >>> out = item_statistics(data, items=["a", "b", "c"])
    >>> print(out[["item", "r_drop", "alpha_if_deleted"]].round(3).to_string(index=False))
    item  r_drop  alpha_if_deleted
       a   0.970             0.853
       b   0.809             0.978
       c   0.899             0.909
    """
    cols = _check_items(data, items)
    _check_one_of("missing", missing, _MISSING)
    it = _prepare(data, cols, missing)
    k = len(cols)
    cov, r, (_, s, nn) = _cov_cor(it, cols)
    _warn_if_mixed_keys(r, cols)
    var = np.diag(cov)
    col_c, sum_c, tr_c = cov.sum(axis=0), cov.sum(), np.trace(cov)
    col_r, sum_r = r.sum(axis=0), r.sum()
    smc = _smc(r)
    sum_rc = sum_r - k + smc.sum()  # R with smc on the diagonal
    v_drop = sum_c - 2 * col_c + var  # sum(C[-i, -i])
    r_drop = (col_c - var) / np.sqrt(var * v_drop)
    if k > 2:
        alpha_del = (k - 1) / (k - 2) * (1 - (tr_c - var) / v_drop)
        sum_r_del = sum_r - 2 * col_r + 1
        std_del = (k - 1) / (k - 2) * (1 - (k - 1) / sum_r_del)
        avg_r_del = (sum_r_del - (k - 1)) / ((k - 1) * (k - 2))
    else:
        alpha_del = std_del = avg_r_del = np.full(k, np.nan)

    # correlation of each item with the mean of answered items, over the rows that answered
    # the item: sums of t, t^2 and x * t over those rows (rows answering nothing have t = 0)
    tc = np.nan_to_num(_total_shifted(it))
    n_i, s_x = np.diag(nn), np.diag(s)
    s_t, s_tt = np.full(k, tc.sum()), np.full(k, (tc * tc).sum())
    if it.inc.size:
        t_inc, gap = tc[it.inc], 1 - it.obs
        s_t, s_tt = s_t - _tprod(gap, t_inc), s_tt - _tprod(gap, t_inc * t_inc)
    cov_t = (_tprod(it.xc, tc) - s_x * s_t / n_i) / (n_i - 1)
    var_t = (s_tt - s_t * s_t / n_i) / (n_i - 1)

    out = pd.DataFrame({
        "item": cols, "n": n_i.astype(int), "mean": it.shift + s_x / n_i, "sd": np.sqrt(var),
        "r_item_total": cov_t / np.sqrt(var_t * var), "r_std": col_r / np.sqrt(sum_r),
        "r_cor": (col_r - 1 + smc) / np.sqrt(sum_rc), "r_drop": r_drop,
        "alpha_if_deleted": alpha_del, "std_alpha_if_deleted": std_del,
        "average_r_if_deleted": avg_r_del,
    })  # fmt: skip
    out.attrs = {"missing": missing}
    return out


# ---------------------------------------------------------------------------------------------
# private helpers
# ---------------------------------------------------------------------------------------------


def _check_items(data: pd.DataFrame, items) -> list[str]:
    cols = _as_list(items)
    _require_columns(data, cols)
    if len(cols) < 2:
        raise ParameterError(
            f"`items` must name at least two columns, but {len(cols)} was passed: {cols}."
        )
    repeated = sorted({c for c in cols if cols.count(c) > 1})
    if repeated:
        raise ParameterError(f"`items` names {', '.join(map(repr, repeated))} more than once.")
    if not data.columns.is_unique and len(set(data.columns[data.columns.duplicated()]) & set(cols)):
        raise DataError("`data` has more than one column with the same name as an item.")
    dtypes = data.dtypes
    bad = [c for c in cols if dtypes[c].kind not in "iuf"]  # numpy or nullable int / float
    if bad:
        raise DataError(f"Item columns must be numeric, but {', '.join(map(repr, bad))} "
                        f"{'is' if len(bad) == 1 else 'are'} not (dtype {dtypes[bad[0]]}). "
                        "Convert the responses to numbers first.")  # fmt: skip
    return cols


class _Items(NamedTuple):
    """The item matrix, shifted and with missing cells set to 0, and where the gaps are."""

    xc: np.ndarray  # rows x items: value - shift, 0 where missing
    shift: np.ndarray  # per item: a rough centre, so the cross-products stay accurate
    inc: np.ndarray  # indices of the rows with a missing item (rows answering none included)
    obs: np.ndarray  # those rows' answered mask, as floats
    pool: np.ndarray | None  # indices of the rows used, when some rows answered no item
    n: int  # respondents used


def _prepare(data: pd.DataFrame, cols: list[str], missing: str) -> _Items:
    x = np.empty((len(data), len(cols)), order="F")  # our own copy, edited in place below
    for j, col in enumerate(cols):
        x[:, j] = data[col].to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(x).any():
        bad = [c for c, j in zip(cols, np.isinf(x).any(axis=0), strict=True) if j]
        raise DataError(f"Item columns {', '.join(map(repr, bad))} hold infinite values.")
    miss = np.isnan(x)
    row_miss = miss.any(axis=1)
    pool = None
    if missing == "listwise":
        x = x[~row_miss] if row_miss.any() else x
        inc, obs, n = np.empty(0, dtype=int), np.empty((0, len(cols))), x.shape[0]
    else:
        inc = np.flatnonzero(row_miss)
        obs = ~miss[inc]
        empty = ~obs.any(axis=1)
        n = x.shape[0] - int(empty.sum())
        if empty.any():
            keep = np.ones(x.shape[0], dtype=bool)
            keep[inc[empty]] = False
            pool = np.flatnonzero(keep)
    head = x[:1000]
    answered = ~np.isnan(head)
    count = answered.sum(axis=0)
    shift = np.divide(np.where(answered, head, 0.0).sum(axis=0), count, out=np.zeros(len(cols)),
                      where=count > 0)  # fmt: skip
    x -= shift
    if inc.size:
        x[inc] = np.where(obs, x[inc], 0.0)
    return _Items(x, shift, inc, obs.astype(float), pool, n)


def _tprod(a: np.ndarray, b: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """``a.T @ b`` (rows weighted by `weights`), summed over blocks of rows. Blocks keep each
    BLAS call small enough to run on one thread: on a busy machine, waking OpenBLAS's threads
    for a tall, thin product costs 10-100 times the product itself."""
    out = np.zeros((a.shape[1],) + b.shape[1:])
    for start in range(0, a.shape[0], _BLOCK):
        rows = slice(start, start + _BLOCK)
        if weights is None:
            out += a[rows].T @ b[rows]
        else:
            w = weights[rows]
            out += a[rows].T @ (b[rows] * (w[:, None] if b.ndim == 2 else w))
    return out


def _cross_products(it: _Items, weights: np.ndarray | None = None):
    """Pairwise-complete sums: prod[i, j] = sum x_i x_j, s[i, j] = sum x_i, nn[i, j] = count,
    over the rows that answered both i and j (optionally weighted by bootstrap counts)."""
    xc, k = it.xc, it.xc.shape[1]
    prod = _tprod(xc, xc, weights)
    if weights is None:
        col, n_all, w_inc = xc.sum(axis=0), float(xc.shape[0]), np.ones(it.inc.size)
    else:
        col, n_all, w_inc = _tprod(xc, weights), float(weights.sum()), weights[it.inc]
    if not it.inc.size:
        return prod, np.repeat(col[:, None], k, axis=1), np.full((k, k), n_all)
    x_inc = xc[it.inc]
    # complete rows (all rows minus the incomplete ones) + incomplete rows
    s = (col - _tprod(x_inc, w_inc))[:, None] + _tprod(x_inc, it.obs, w_inc)
    nn = (n_all - w_inc.sum()) + _tprod(it.obs, it.obs, w_inc)
    return prod, s, nn


def _covariance(prod: np.ndarray, s: np.ndarray, nn: np.ndarray) -> np.ndarray:
    """Covariances from pairwise-complete sums (R's ``cov(use = "pairwise")``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (prod - s * s.T / nn) / (nn - 1)
    return np.where(nn >= 2, cov, np.nan)


def _cov_cor(it: _Items, cols: list[str]):
    """Covariance and correlation matrices, and the pairwise sums they came from."""
    if it.n < 2:
        raise DataError(f"Fewer than two respondents answered the items ({it.n}).")
    sums = _cross_products(it)
    cov = _covariance(*sums)
    if np.isnan(cov).any():
        i, j = np.argwhere(np.isnan(cov))[0]
        raise DataError(
            f"Items {cols[i]!r} and {cols[j]!r} have fewer than two respondents in common."
        )
    var = np.diag(cov)
    if (var <= 0).any():
        flat = [c for c, v in zip(cols, var, strict=True) if v <= 0]
        raise DataError(
            f"Item(s) {', '.join(map(repr, flat))} have no variance; drop them from `items`."
        )
    sd = np.sqrt(var)
    return cov, cov / np.outer(sd, sd), sums


def _total_shifted(it: _Items) -> np.ndarray:
    """Each row's mean of answered items (psych's ``total``) minus mean(shift); NaN if none."""
    k = it.xc.shape[1]
    tc = it.xc.sum(axis=1) / k
    if it.inc.size:
        answered_sum = it.xc[it.inc].sum(axis=1) + (it.obs * it.shift).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            tc[it.inc] = answered_sum / it.obs.sum(axis=1) - it.shift.mean()
    return tc


def _smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations, as ``psych::smc`` (pseudo-inverse, clipped to [0, 1])."""
    return np.clip(1 - 1 / np.diag(np.linalg.pinv(r, hermitian=True)), 0.0, 1.0)


def _warn_if_mixed_keys(r: np.ndarray, cols: list[str]) -> None:
    """Warn when items load negatively on the first principal component (psych's check)."""
    vec = np.linalg.eigh(r)[1][:, -1]
    if vec.sum() < 0:
        vec = -vec
    neg = [c for c, v in zip(cols, vec, strict=True) if v < 0]
    if neg:
        warnings.warn(
            f"Items {', '.join(map(repr, neg))} correlate negatively with the scale: they "
            "probably need reverse keying (see analysis.scales) before reliability is computed.",
            AnalysisWarning,
            stacklevel=3,
        )


def _bootstrap_alpha(it: _Items, n_boot: int, seed) -> np.ndarray:
    """Raw alpha on `n_boot` resamples of the respondents (drawn as case-weight counts)."""
    rng = np.random.default_rng(seed)
    rows, k = it.xc.shape
    draws = np.empty(n_boot)
    for b in range(n_boot):
        idx = rng.integers(0, it.n, size=it.n)
        drawn = idx if it.pool is None else it.pool[idx]
        weights = np.bincount(drawn, minlength=rows).astype(float)
        cov = _covariance(*_cross_products(it, weights))
        draws[b] = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    return draws
