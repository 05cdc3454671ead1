"""Engine of `analysis.models.survey_design` for replicate-weight designs (R's ``svrepdesign``).

Each estimator is computed once with the full-sample weight (``theta``) and once with each of the R
replicate weights (``theta_r``); the variance is R's ``survey:::svrVar``::

    V = scale * sum_r rscales_r (theta_r - c)(theta_r - c)'

with ``c`` the mean of the replicates whose rscale is positive (``mse = False``, R's default) or the
full-sample estimate (``mse = True``). A replicate whose estimate is not finite (a domain with no row
in that replicate: a jackknife replicate that drops the only PSU of a group) is left out with its
rscale and a warning, as R does (``na.action = na.omit`` on the replicates). The type's ``scale``
and ``rscales`` are set in `analysis.data.design.replicate_scales` (the data layer checks a
codebook's design block with the same rules); the design's degrees of freedom are R's ``degf``,
the rank of the replicate weights minus 1 (`analysis.data.design.replicate_df`).
"""

from __future__ import annotations

import warnings

import numpy as np

from analysis.exceptions import AnalysisWarning


def replicate_variance(thetas: np.ndarray, coef: np.ndarray, scale: float, rscales: np.ndarray,
                       mse: bool) -> np.ndarray:  # fmt: skip
    """Covariance matrix (p x p) from the replicate estimates `thetas` (R x p) and the full-sample
    estimate `coef` (p), as ``survey:::svrVar``; NaN when no replicate is finite."""
    thetas = np.asarray(thetas, dtype=float)
    if thetas.ndim == 1:
        thetas = thetas[:, None]
    coef = np.atleast_1d(np.asarray(coef, dtype=float))
    ok = np.isfinite(thetas).all(axis=1)
    if not ok.any():
        return np.full((thetas.shape[1], thetas.shape[1]), np.nan)
    if not ok.all():
        warnings.warn(f"{int((~ok).sum())} of {len(ok)} replicates gave no estimate (a group or category with no "
                      "rows in them) and were left out of the variance, as R's svrVar does.",
                      AnalysisWarning, stacklevel=4)  # fmt: skip
    thetas, rs = thetas[ok], np.asarray(rscales, dtype=float)[ok]
    centre = coef if mse else thetas[rs > 0].mean(axis=0)
    d = (thetas - centre) * np.sqrt(rs)[:, None]
    return (d.T @ d) * scale


def replicate_means(weights: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Replicate totals and means of the columns of `x` (n x k) with the replicate weights (n x R, zero
    outside the domain): (totals R x k, means R x k; NaN where a replicate has no weight)."""
    totals = weights.T @ x
    sums = weights.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.where(sums[:, None] > 0, totals / sums[:, None], np.nan)
    return totals, means
