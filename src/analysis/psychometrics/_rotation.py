"""Factor rotations for `analysis.factor`, written to reproduce R step for step.

Private module. Each function takes an items x factors loading matrix and returns the rotated
loadings, the factor correlations ``phi`` (identity for orthogonal rotations) and whether the
iterations converged. The algorithms, defaults and stopping rules are those that ``psych::fa``
calls, so that loadings agree with R to rounding error:

* ``varimax`` -- ``stats::varimax(x, normalize = TRUE, eps = 1e-5)`` (Kaiser, 1958).
* ``promax`` -- ``psych::kaiser(x, rotate = "Promax")``: Kaiser row normalisation, then
  ``psych::Promax(m = 4)`` (Hendrickson & White, 1964) on top of ``stats::varimax``.
* ``oblimin`` -- ``GPArotation::oblimin(x, gam = 0, normalize = FALSE, eps = 1e-5,
  maxit = 1000)``, the gradient projection algorithm of Jennrich (2002) as written by
  Bernaards & Jennrich (2005).

References
----------
Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection algorithms and software for
arbitrary rotation criteria in factor analysis. *Educational and Psychological Measurement,
65*(5), 676-696. https://doi.org/10.1177/0013164404272507

Hendrickson, A. E., & White, P. O. (1964). Promax: A quick method for rotation to oblique
simple structure. *British Journal of Statistical Psychology, 17*(1), 65-70.
https://doi.org/10.1111/j.2044-8317.1964.tb00244.x

Jennrich, R. I. (2002). A simple general method for oblique rotation. *Psychometrika, 67*(1),
7-19. https://doi.org/10.1007/BF02294706

Kaiser, H. F. (1958). The varimax criterion for analytic rotation in factor analysis.
*Psychometrika, 23*(3), 187-200. https://doi.org/10.1007/BF02289233
"""

from __future__ import annotations

import numpy as np

__all__ = ["varimax", "promax", "oblimin", "rotate"]


def varimax(loadings: np.ndarray, *, normalize: bool = True, eps: float = 1e-5):
    """``stats::varimax``: SVD iterations until the criterion grows by less than ``eps``."""
    x = np.asarray(loadings, dtype=float)
    k = x.shape[1]
    if k < 2:
        return x.copy(), np.eye(k), True
    if normalize:
        sc = np.sqrt((x**2).sum(axis=1))
        x = x / sc[:, None]
    p = x.shape[0]
    tt = np.eye(k)
    d = 0.0
    converged = False
    for _ in range(1000):
        z = x @ tt
        b = x.T @ (z**3 - z * ((z**2).sum(axis=0) / p))
        u, s, vt = np.linalg.svd(b)
        tt = u @ vt
        d_past, d = d, s.sum()
        if d < d_past * (1 + eps):
            converged = True
            break
    z = x @ tt
    if normalize:
        z = z * sc[:, None]
    return z, tt, converged


def promax(loadings: np.ndarray, *, m: float = 4.0):
    """``psych::kaiser(rotate = "Promax")``: row-normalise, ``psych::Promax``, rescale.

    Returns (rotated loadings, phi, converged), where `converged` refers to the varimax step.
    """
    f = np.asarray(loadings, dtype=float)
    h = np.sqrt((f**2).sum(axis=1))
    x, rotmat, converged = varimax(f / h[:, None])
    q = x * np.abs(x) ** (m - 1)
    u = np.linalg.lstsq(x, q, rcond=None)[0]  # lm.fit(x, Q)$coefficients
    d = np.diag(np.linalg.inv(u.T @ u))
    u = u * np.sqrt(d)
    z = x @ u
    ui = np.linalg.inv(rotmat @ u)
    return z * h[:, None], ui @ ui.T, converged


def _oblimin_criterion(lam: np.ndarray):
    """GPArotation ``vgQ.oblimin`` with gam = 0 (quartimin): gradient and criterion value."""
    x = (lam**2) @ (1.0 - np.eye(lam.shape[1]))
    return lam * x, float((lam**2 * x).sum() / 4.0)


def oblimin(loadings: np.ndarray, *, eps: float = 1e-5, maxit: int = 1000):
    """``GPArotation::GPFoblq(method = "oblimin")`` from the identity start, no normalisation."""
    a = np.asarray(loadings, dtype=float)
    tmat = np.eye(a.shape[1])
    al = 1.0
    lam = a @ np.linalg.inv(tmat).T
    gq, f = _oblimin_criterion(lam)
    g = -(lam.T @ gq @ np.linalg.inv(tmat)).T
    converged = False
    for _ in range(maxit + 1):
        gp = g - tmat * (tmat * g).sum(axis=0)
        s = np.sqrt((gp**2).sum())
        if s < eps:
            converged = True
            break
        al *= 2.0
        for _ in range(11):
            x = tmat - al * gp
            tmatt = x / np.sqrt((x**2).sum(axis=0))
            lam = a @ np.linalg.inv(tmatt).T
            gqt, ft = _oblimin_criterion(lam)
            if f - ft > 0.5 * s**2 * al:
                break
            al /= 2.0
        tmat, f = tmatt, ft
        g = -(lam.T @ gqt @ np.linalg.inv(tmatt)).T
    return lam, tmat.T @ tmat, converged


def rotate(loadings: np.ndarray, rotation: str):
    """Dispatch on the rotation name; returns (loadings, phi or None, converged)."""
    if rotation == "none" or loadings.shape[1] < 2:
        return loadings.copy(), None, True
    if rotation == "varimax":
        lam, _, converged = varimax(loadings)
        return lam, None, converged
    if rotation == "promax":
        return promax(loadings)
    if rotation == "oblimin":
        return oblimin(loadings)
    raise ValueError(f"unknown rotation {rotation!r}")  # callers validate first
