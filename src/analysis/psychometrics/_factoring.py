"""Exploratory factor structure: EFA, parallel analysis, Velicer's MAP and omega.

Every routine reproduces the corresponding ``psych`` (Revelle, 2022) function, version 2.2.9,
with its defaults, and is tested against it (``tests/reference/factor.R``). Rotations live in
``analysis._rotation``.

References
----------
Revelle, W. (2022). *psych: Procedures for psychological, psychometric, and personality
research* (R package version 2.2.9). Northwestern University.
https://CRAN.R-project.org/package=psych
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analysis._checks import _as_list, _check_one_of, _require_columns
from analysis.exceptions import ConvergenceWarning, DataError, ParameterError
from analysis.psychometrics import _rotation

METHODS = ("minres", "ml")
ROTATIONS = ("oblimin", "promax", "varimax", "none")
_EPS = np.finfo(float).eps


# ---------------------------------------------------------------------------------------------
# input and correlations
# ---------------------------------------------------------------------------------------------
def _item_matrix(data, items, missing, *, min_items=3):
    """Validate; return the items as a float array and their names."""
    items = _as_list(items)
    _require_columns(data, items)
    _check_one_of("missing", missing, ("pairwise", "listwise"))
    if len(set(items)) != len(items):
        raise ParameterError(f"`items` lists a column more than once: {items!r}.")
    if len(items) < min_items:
        raise ParameterError(f"`items` needs at least {min_items} columns, but {len(items)} "
                             f"were passed ({items!r}).")
    frame = data[items]
    bad = [c for c in items if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise DataError(f"Items must be numeric; not numeric: {', '.join(map(repr, bad))}.")
    x = frame.to_numpy(dtype=float, na_value=np.nan)
    if missing == "listwise":
        x = x[~np.isnan(x).any(axis=1)]
    return x, items


def _correlations(x, items):
    """Pairwise-complete Pearson correlations (R ``cor(use = "pairwise")``) and pair counts."""
    # pandas, like R, uses each pair's own means and standard deviations
    r = pd.DataFrame(x).corr().to_numpy(copy=True)
    if np.isnan(r).any():
        bad = sorted({items[i] for i in np.argwhere(np.isnan(r))[:, 0]})
        raise DataError("Correlations cannot be computed for " + ", ".join(map(repr, bad))
                        + " (no variance, or too few answers in common with another item).")
    np.fill_diagonal(r, 1.0)
    observed = (~np.isnan(x)).astype(float)
    return r, observed.T @ observed


def _check_n_factors(n_factors, n_items, name="n_factors"):
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)):
        raise ParameterError(f"`{name}` must be an integer, but {n_factors!r} was passed.")
    if not 1 <= n_factors < n_items:
        raise ParameterError(f"`{name}` must be between 1 and the number of items minus one "
                             f"({n_items - 1}), but {n_factors} was passed.")


def _smc(r):
    """Squared multiple correlations, ``psych::smc``: 1 - 1 / diag(R^-1), clipped to [0, 1]."""
    return np.clip(1.0 - 1.0 / np.diag(np.linalg.pinv(r)), 0.0, 1.0)


def _eigh_desc(a):
    values, vectors = np.linalg.eigh(a)
    return values[::-1], vectors[:, ::-1]


def _cor_smooth(r):
    """``psych::cor.smooth``: lift eigenvalues below 1e-12 when R is not positive definite."""
    values, vectors = _eigh_desc(r)
    if values.min() >= _EPS:
        return r
    values = np.where(values < 1e-12, 100 * 1e-12, values)
    values = values * len(values) / values.sum()
    s = (vectors * values) @ vectors.T
    d = 1.0 / np.sqrt(np.diag(s))
    return s * np.outer(d, d)


# ---------------------------------------------------------------------------------------------
# extraction (psych::fac's `fit`: L-BFGS-B over the uniquenesses, as R's optim calls it)
# ---------------------------------------------------------------------------------------------
def _minres_objective(psi, r, nf):
    s = r.copy()
    np.fill_diagonal(s, 1.0 - psi)
    values, vectors = _eigh_desc(s)
    values = np.where(values < _EPS, 100 * _EPS, values)
    lam = vectors[:, :nf] * np.sqrt(values[:nf])
    resid = (s - lam @ lam.T)[np.tril_indices_from(s, -1)]
    return float((resid**2).sum())


def _minres_gradient(psi, r, nf):  # psych's FAgr.minres
    values, vectors = _eigh_desc(r - np.diag(psi))
    lam = vectors[:, :nf] * np.sqrt(np.maximum(values[:nf], 0.0))
    return (lam**2).sum(axis=1) + psi - np.diag(r)


def _ml_parts(psi, r, nf):
    sc = 1.0 / np.sqrt(psi)
    values, vectors = _eigh_desc(r * np.outer(sc, sc))
    lam = np.sqrt(psi)[:, None] * vectors[:, :nf] * np.sqrt(np.maximum(values[:nf] - 1.0, 0.0))
    return values, lam


def _ml_objective(psi, r, nf):  # psych's FAfn
    e = _ml_parts(psi, r, nf)[0][nf:]
    return float(-(np.sum(np.log(e) - e) - nf + r.shape[0]))


def _ml_gradient(psi, r, nf):  # psych's FAgr
    lam = _ml_parts(psi, r, nf)[1]
    return ((lam**2).sum(axis=1) + psi - np.diag(r)) / psi**2


def _extract(r, nf, method):
    """Unrotated loadings and whether the optimiser converged.

    R: ``optim(start, fn, gr, method = "L-BFGS-B", lower = .005, upper = 1,
    control = list(parscale = rep(.01, p)))``, i.e. factr = 1e7, pgtol = 0, lmm = 5,
    maxit = 100, on the scaled parameters psi / .01.
    """
    fn, gr = (_minres_objective, _minres_gradient) if method == "minres" else (
        _ml_objective, _ml_gradient)
    smc = _smc(r)
    start, upper = np.diag(r) - smc, max(smc.max(), 1.0)
    res = optimize.minimize(
        lambda z: fn(z * 0.01, r, nf), start / 0.01, jac=lambda z: gr(z * 0.01, r, nf) * 0.01,
        method="L-BFGS-B", bounds=[(0.5, upper / 0.01)] * len(start),
        options={"maxcor": 5, "ftol": 1e7 * _EPS, "gtol": 0.0, "maxiter": 100})
    psi = res.x * 0.01  # a line-search stop (R's code 52) is accepted silently, as psych does
    if method == "ml":
        lam = _ml_parts(psi, r, nf)[1]
    else:
        values, vectors = _eigh_desc(r - np.diag(psi))
        lam = vectors[:, :nf] * np.sqrt(np.maximum(values[:nf], 0.0))
    return lam, res.status != 1  # status 1: iteration limit


def _fa(r, nf, method, rotation):
    """psych::fac without its statistics: extract, flip signs, rotate, flip, sort.

    Returns loadings (items x nf), phi (None when orthogonal) and two flags: the extraction
    and the rotation converged.
    """
    lam, fit_ok = _extract(r, nf, method)
    if nf == 1:
        return (-lam if lam.sum() < 0 else lam), None, fit_ok, True
    sign = np.sign(lam.sum(axis=0))
    lam = lam * np.where(sign == 0, 1.0, sign)
    lam, phi, rot_ok = _rotation.rotate(lam, rotation)
    sign = np.sign(lam.sum(axis=0))
    sign = np.where(sign == 0, 1.0, sign)
    lam = lam * sign
    if phi is not None:
        phi = phi * np.outer(sign, sign)
        order = np.argsort(-np.diag(phi @ lam.T @ lam), kind="stable")
        return lam[:, order], phi[np.ix_(order, order)], fit_ok, rot_ok
    order = np.argsort(-(lam**2).sum(axis=0), kind="stable")
    return lam[:, order], None, fit_ok, rot_ok


# ---------------------------------------------------------------------------------------------
# fit statistics (psych::fa.stats, as psych::fa calls it on raw data)
# ---------------------------------------------------------------------------------------------
def _rmsea_bound(chisq, df, n_obs, target):
    """sqrt(ncp / (n - 1) / df) where the noncentral chi-square cdf at `chisq` equals `target`."""
    upper = max(n_obs, chisq) + 2 * n_obs
    try:
        ncp = optimize.brentq(lambda nc: stats.ncx2.cdf(chisq, df, nc) - target, 1e-12, upper,
                              xtol=1e-10)
    except ValueError:
        return np.nan
    return float(np.sqrt(ncp / (n_obs - 1) / df))


def _fit_table(r, lam, phi, n_obs, np_obs):
    p, nf = lam.shape
    model = lam @ (np.eye(nf) if phi is None else phi) @ lam.T
    resid = r - model
    np.fill_diagonal(resid, 0.0)
    dof = p * (p - 1) / 2 - p * nf + nf * (nf - 1) / 2
    e_chi = float((resid**2 * np_obs).sum())
    nh = float(1.0 / np.mean(1.0 / np_obs))
    ok = dof > 0
    np.fill_diagonal(model, np.diag(r))
    r_s = _cor_smooth(r)
    m_inv_r = np.linalg.solve(_cor_smooth(model), r_s)
    objective = float(np.trace(m_inv_r) - np.linalg.slogdet(m_inv_r)[1] - p)
    chisq = objective * ((n_obs - 1) - (2 * p + 5) / 6 - 2 * nf / 3)
    f0 = float(np.trace(r_s) - np.linalg.slogdet(r_s)[1] - p)
    m0, nm = f0 * 2 / (p * (p - 1)), (n_obs - 1) - (2 * p + 5) / 6 - 2 * nf / 3
    rmsea = low = high = bic = np.nan
    if ok:
        rmsea = float(np.sqrt(max(chisq / (dof * n_obs) - 1 / (n_obs - 1), 0.0)))
        tail, cdf = 0.05, stats.chi2.cdf(max(chisq, 0.0), dof)
        high = _rmsea_bound(max(chisq, 0.0), dof, n_obs, tail) if cdf > tail else 0.0
        low = _rmsea_bound(max(chisq, 0.0), dof, n_obs, 1 - tail) if cdf > 1 - tail else 0.0
        high = np.nan if high < rmsea else high
        low = np.nan if low > rmsea else low
        bic = chisq - dof * np.log(n_obs)
    row = {
        "chi_square": max(chisq, 0.0), "df": dof,
        "p_value": float(stats.chi2.sf(max(chisq, 0.0), dof)) if ok else np.nan,
        "rmsea": rmsea, "rmsea_ci_low": low, "rmsea_ci_high": high,
        "tli": (m0 - objective / dof) / (m0 - 1 / nm) if ok else np.nan,
        "bic": bic,
        "rms": np.sqrt(e_chi / (nh * p * (p - 1))),
        "crms": np.sqrt(e_chi / (2 * nh * dof)) if ok else np.nan,
        "empirical_chi_square": e_chi,
        "empirical_p_value": float(stats.chi2.sf(e_chi, dof)) if ok else np.nan,
        "objective": objective, "n_obs": n_obs, "harmonic_n": nh,
    }
    return pd.DataFrame([row])


def _warn_convergence(fit_ok, rot_ok):
    if not fit_ok:
        warnings.warn("The factor extraction did not converge within psych's 100 L-BFGS-B "
                      "iterations; the loadings may be inaccurate.", ConvergenceWarning,
                      stacklevel=3)
    if not rot_ok:
        warnings.warn("The rotation did not converge (GPArotation/stats::varimax iteration "
                      "limit); the loadings may not be at the criterion's optimum.",
                      ConvergenceWarning, stacklevel=3)
