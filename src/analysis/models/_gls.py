"""GLS for dyads (private engine of `analysis.dyadic`): compound symmetry with one or two
residual variances, fitted by ML or REML from sufficient statistics.

Residual covariance of a complete dyad (members ordered by role; role 0 is the reference)::

    sigma^2 * [[1, rho * delta], [rho * delta, delta^2]]

(`delta` = 1 for indistinguishable dyads; nlme's ``corCompSymm`` + ``varIdent``). A one-member
dyad's row has variance ``sigma^2`` (role 0) or ``sigma^2 * delta^2`` (role 1). Everything the
likelihood needs is in the cross-products of ``[X, y]`` within each member slot, so one
evaluation costs O(p^3) whatever the number of dyads: beta and sigma^2 are profiled out, rho
(and log delta) are optimised numerically. The log-likelihoods are nlme's (REML without a
``log|X'X|`` term, so the REML value depends on how X is parametrized, as in nlme).
For indistinguishable dyads this is the sum/difference decomposition: ``(y1 + y2)`` and
``(y1 - y2)`` are independent with variances ``2 sigma^2 (1 + rho)`` and ``2 sigma^2 (1 - rho)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = ["Design", "Stats", "cross_products", "profile", "fit", "bootstrap", "independent_minus2ll"]

_RHO_BOUND = 1 - 1e-9
_LOG2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class Design:
    """Per-dyad rows for the fit and the dyad bootstrap.

    `pairs`: one row per complete dyad, ``[x(member 1), y1, x(member 2), y2]`` (member 1 has
    role 0); `singles`: one row per one-member dyad, ``[x, y]``; `single_role`: 0 or 1.
    """

    pairs: np.ndarray
    singles: np.ndarray
    single_role: np.ndarray
    n_coef: int
    two_variances: bool


@dataclass(frozen=True)
class Stats:
    """Cross-products of `Design` (optionally weighted by bootstrap counts)."""

    pair_cp: np.ndarray  # (2q, 2q)
    single_cp: tuple  # role 0, role 1: (q, q) each
    n_pairs: float
    n_single: tuple  # role 0, role 1

    @property
    def n_obs(self) -> float:
        return 2 * self.n_pairs + self.n_single[0] + self.n_single[1]


def cross_products(design: Design, pair_w=None, single_w=None) -> Stats:
    """Sufficient statistics; `pair_w`/`single_w` are counts per dyad (bootstrap), else 1."""
    z, s, role = design.pairs, design.singles, design.single_role
    pw = np.ones(len(z)) if pair_w is None else np.asarray(pair_w, float)
    sw = np.ones(len(s)) if single_w is None else np.asarray(single_w, float)
    cps, ns = [], []
    for r in (0, 1):
        m = role == r
        cps.append(s[m].T @ (s[m] * sw[m, None]))
        ns.append(float(sw[m].sum()))
    return Stats(z.T @ (z * pw[:, None]), tuple(cps), float(pw.sum()), tuple(ns))


def profile(stats: Stats, rho: float, log_delta: float, reml: bool, p: int):
    """Profiled -2 log-likelihood and the estimates at (rho, delta).

    Returns (minus2ll, beta, sigma2, M) with ``M = X' Lambda^-1 X`` (unit sigma^2).
    """
    q = p + 1
    a = stats.pair_cp
    a11, a12, a22 = a[:q, :q], a[:q, q:], a[q:, q:]
    d2 = math.exp(2 * log_delta)
    one_m = 1 - rho * rho
    c = (a11 - (rho / math.sqrt(d2)) * (a12 + a12.T) + a22 / d2) / one_m
    c = c + stats.single_cp[0] + stats.single_cp[1] / d2
    m, b, yy = c[:p, :p], c[:p, p], c[p, p]
    chol = np.linalg.cholesky(m)
    half = np.linalg.solve(chol, b)
    beta = np.linalg.solve(chol.T, half)
    rss = max(yy - half @ half, 1e-300)
    n = stats.n_obs
    logdet_lambda = stats.n_pairs * (math.log(one_m) + math.log(d2)) + stats.n_single[1] * math.log(d2)
    dof = n - p if reml else n
    sigma2 = rss / dof
    m2ll = dof * (_LOG2PI + 1 + math.log(sigma2)) + logdet_lambda
    if reml:
        m2ll += 2 * np.log(np.diag(chol)).sum()
    return m2ll, beta, sigma2, m


def _best_rho(stats, reml, p):
    """1-D bounded search for rho (delta = 1)."""
    if stats.n_pairs == 0:
        return 0.0
    res = optimize.minimize_scalar(lambda r: profile(stats, r, 0.0, reml, p)[0],
                                   bounds=(-_RHO_BOUND, _RHO_BOUND), method="bounded",
                                   options={"xatol": 1e-11, "maxiter": 500})
    return float(res.x)


def _best_rho_delta(stats, reml, p):
    """2-D search for (rho, log delta), L-BFGS-B from rho = 0 and the OLS SD ratio."""
    if stats.n_pairs == 0:
        res = optimize.minimize_scalar(lambda d: profile(stats, 0.0, d, reml, p)[0],
                                       bracket=(-0.2, 0.2), method="brent", options={"xtol": 1e-10})
        return 0.0, float(res.x)
    res = optimize.minimize(lambda v: profile(stats, v[0], v[1], reml, p)[0],
                            [0.0, _start_log_delta(stats, p)], method="L-BFGS-B",
                            bounds=[(-_RHO_BOUND, _RHO_BOUND), (-20, 20)],
                            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 500})
    return _newton_polish(lambda v: profile(stats, v[0], v[1], reml, p)[0], res.x)


def _newton_polish(f, x, steps=2, h=1e-4):
    """Two Newton steps with central-difference derivatives: L-BFGS-B stops ~1e-6 short."""
    x = np.asarray(x, float)
    for _ in range(steps):
        e = np.eye(2) * h
        f0 = f(x)
        fp = np.array([f(x + e[i]) for i in range(2)])
        fm = np.array([f(x - e[i]) for i in range(2)])
        g = (fp - fm) / (2 * h)
        hess = np.diag((fp - 2 * f0 + fm) / h**2)
        hess[0, 1] = hess[1, 0] = (f(x + e[0] + e[1]) - f(x + e[0] - e[1]) - f(x - e[0] + e[1])
                                   + f(x - e[0] - e[1])) / (4 * h * h)
        try:
            step = np.linalg.solve(hess, g)
        except np.linalg.LinAlgError:
            break
        new = x - step
        if np.linalg.eigvalsh(hess).min() <= 0 or abs(new[0]) >= _RHO_BOUND or f(new) > f0:
            break
        x = new
    return float(x[0]), float(x[1])


def fit(design: Design, reml: bool, stats: Stats | None = None) -> dict:
    """Maximise the (restricted) likelihood; returns estimates and their covariance."""
    stats = cross_products(design) if stats is None else stats
    p = design.n_coef
    if design.two_variances:
        rho, log_delta = _best_rho_delta(stats, reml, p)
    else:
        rho, log_delta = _best_rho(stats, reml, p), 0.0
    m2ll, beta, sigma2, m = profile(stats, rho, log_delta, reml, p)
    n = stats.n_obs
    # summary.gls: sigma^2 (X' Lambda^-1 X)^-1 with RSS / (N - p) under ML as well
    cov = (sigma2 if reml else sigma2 * n / (n - p)) * np.linalg.inv(m)
    return {"beta": beta, "cov": cov, "rho": rho, "sigma2": sigma2, "delta": math.exp(log_delta),
            "loglik": -m2ll / 2, "n": n, "p": p, "at_bound": abs(rho) > 1 - 1e-6}


def _start_log_delta(stats: Stats, p: int) -> float:
    """Log ratio of the role-1 to role-0 residual SD from an OLS fit (start for the search)."""
    try:
        _, beta, _, _ = profile(stats, 0.0, 0.0, False, p)
    except np.linalg.LinAlgError:
        return 0.0
    q = p + 1
    v = np.append(-beta, 1.0)
    a = stats.pair_cp
    ss0 = v @ a[:q, :q] @ v + v @ stats.single_cp[0] @ v
    ss1 = v @ a[q:, q:] @ v + v @ stats.single_cp[1] @ v
    n0, n1 = stats.n_pairs + stats.n_single[0], stats.n_pairs + stats.n_single[1]
    if ss0 <= 0 or ss1 <= 0 or n0 == 0 or n1 == 0:
        return 0.0
    return 0.5 * math.log((ss1 / n1) / (ss0 / n0))


def bootstrap(design: Design, reml: bool, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Coefficients refitted on `n_boot` resamples of dyads (complete and one-member alike);
    an (n_boot, p) array, NaN rows where a resample's design is singular."""
    n_pairs, n_single = len(design.pairs), len(design.singles)
    n_dyads = n_pairs + n_single
    out = np.full((n_boot, design.n_coef), np.nan)
    for b in range(n_boot):
        counts = np.bincount(rng.integers(0, n_dyads, n_dyads), minlength=n_dyads)
        st = cross_products(design, counts[:n_pairs], counts[n_pairs:])
        try:
            out[b] = fit(design, reml, st)["beta"]
        except np.linalg.LinAlgError:
            pass
    return out


def independent_minus2ll(design: Design, reml: bool, stats: Stats | None = None) -> float:
    """-2 log-likelihood with rho fixed at 0 (the SD ratio still free for two roles): the null
    model of the likelihood-ratio test of the partial ICC."""
    stats = cross_products(design) if stats is None else stats
    p = design.n_coef
    if not design.two_variances:
        return profile(stats, 0.0, 0.0, reml, p)[0]
    res = optimize.minimize_scalar(lambda d: profile(stats, 0.0, d, reml, p)[0], bracket=(-0.2, 0.2),
                                   method="brent", options={"xtol": 1e-12})
    return float(res.fun)
