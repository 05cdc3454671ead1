"""Latent profile analysis: Gaussian mixture models over a range of profile counts, chosen by BIC."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis._checks import _as_list, _check_one_of, _require_columns
from analysis.exceptions import ConvergenceWarning, ParameterError

__all__ = ["ProfileResult", "latent_profiles"]


@dataclass(frozen=True)
class ProfileResult:
    """Fit of every profile count, and the chosen solution's profiles and memberships."""

    fit: pd.DataFrame
    profiles: pd.DataFrame
    membership: pd.DataFrame
    n_profiles: int


def _n_parameters(k: int, d: int, covariance: str) -> int:
    cov = {"full": k * d * (d + 1) // 2, "diag": k * d, "tied": d * (d + 1) // 2, "spherical": k}[covariance]
    return k * d + cov + (k - 1)


def latent_profiles(
    data: pd.DataFrame,
    *,
    columns: Sequence[str],
    n_profiles: Sequence[int] = (1, 2, 3, 4, 5, 6),
    covariance: str = "full",
    standardize: bool = True,
    n_init: int = 10,
    seed: int | None = None,
) -> ProfileResult:
    """Gaussian mixture models for 1..K profiles; the solution with the lowest BIC is described.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; rows with a missing value in `columns` are left out (listwise).
    columns : list of str
        Indicators (e.g. attachment anxiety and avoidance scores).
    n_profiles : sequence of int, default 1..6
        Profile counts to fit.
    covariance : {"full", "diag", "tied", "spherical"}, default "full"
        Within-profile covariance structure (mclust's VVV, VVI, EEE, VII).
    standardize : bool, default True
        Fit on z-scores (profile means are reported in the original units either way).
    n_init : int, default 10
        Random starts per model (the best log-likelihood is kept).
    seed : int, optional
        Seed for the starts; the same seed gives the same solution.

    Returns
    -------
    ProfileResult
        ``fit``: one row per profile count: ``n_profiles``, ``log_likelihood``, ``n_parameters``,
        ``aic``, ``bic`` (``-2 logL + p log n``; lower is better), ``entropy`` (relative entropy of
        the memberships, 1 = perfectly separated), ``smallest_pct`` (% in the smallest profile),
        ``converged``. ``profiles``: the chosen solution, one row per profile and indicator:
        ``profile``, ``variable``, ``mean``, ``sd``, ``n``, ``pct``. ``membership``: index of the
        rows used, ``profile`` (1 = largest) and ``probability`` (posterior of that profile).
        ``n_profiles``: the count chosen by BIC.

    Notes
    -----
    Wraps ``sklearn.mixture.GaussianMixture``; BIC and AIC use sklearn's likelihood (checked
    against a direct multivariate-normal computation in the tests). Profiles are ordered by
    size. Choose by BIC together with entropy, the smallest profile's size and meaning.

    References
    ----------
    Spurk, D., Hirschi, A., Wang, M., Valero, D., & Kauffeld, S. (2020). Latent profile analysis:
    A review and "how to" guide of its application within vocational behavior research. Journal
    of Vocational Behavior, 120, 103445.
    """
    from sklearn.mixture import GaussianMixture

    cols = _as_list(columns)
    _require_columns(data, cols)
    _check_one_of("covariance", covariance, ("full", "diag", "tied", "spherical"))
    counts = sorted({int(k) for k in n_profiles})
    if not counts or counts[0] < 1:
        raise ParameterError(f"`n_profiles` must hold whole numbers >= 1, but {list(n_profiles)!r} was passed.")
    frame = data[cols].apply(pd.to_numeric, errors="coerce").dropna()
    x = frame.to_numpy(dtype=float)
    n, d = x.shape
    if n < 3 * counts[-1] * (d + 1):
        raise ParameterError(f"{n} complete rows are too few for {counts[-1]} profiles of {d} variables.")
    z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1) if standardize else x
    rows, models = [], {}
    for k in counts:
        gm = GaussianMixture(n_components=k, covariance_type=covariance, n_init=n_init, random_state=seed,
                             max_iter=500, reg_covar=1e-6)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gm.fit(z)
        if not gm.converged_:
            warnings.warn(f"the {k}-profile model did not converge", ConvergenceWarning, stacklevel=2)
        post = gm.predict_proba(z)
        loglik = float(gm.score(z) * n)
        p = _n_parameters(k, d, covariance)
        with np.errstate(divide="ignore", invalid="ignore"):
            ent = 1.0 if k == 1 else 1 + np.nansum(post * np.log(post)) / (n * np.log(k))
        sizes = np.bincount(post.argmax(axis=1), minlength=k)
        rows.append({"n_profiles": k, "log_likelihood": loglik, "n_parameters": p, "aic": -2 * loglik + 2 * p,
                     "bic": -2 * loglik + p * np.log(n), "entropy": float(ent),
                     "smallest_pct": 100 * sizes.min() / n, "converged": bool(gm.converged_)})  # fmt: skip
        models[k] = (gm, post)
    fit = pd.DataFrame(rows)
    best = int(fit.loc[fit["bic"].idxmin(), "n_profiles"])
    gm, post = models[best]
    raw_label = post.argmax(axis=1)
    order = np.argsort(-np.bincount(raw_label, minlength=best), kind="stable")  # largest first
    relabel = {int(old): new + 1 for new, old in enumerate(order)}
    label = np.array([relabel[int(r)] for r in raw_label])
    membership = pd.DataFrame({"profile": label, "probability": post.max(axis=1)}, index=frame.index)
    prof_rows = []
    for prof in range(1, best + 1):
        members = x[label == prof]
        for j, col in enumerate(cols):
            prof_rows.append({"profile": prof, "variable": col, "mean": members[:, j].mean() if len(members) else np.nan,
                              "sd": members[:, j].std(ddof=1) if len(members) > 1 else np.nan,
                              "n": len(members), "pct": 100 * len(members) / n})  # fmt: skip
    return ProfileResult(fit=fit, profiles=pd.DataFrame(prof_rows), membership=membership, n_profiles=best)
