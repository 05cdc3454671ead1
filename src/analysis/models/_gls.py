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


# --- batched refits (APIM mediation's dyad bootstrap): many resamples at once -------------------


def dyad_counts(design: Design, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """How often each dyad (complete ones first, then one-member ones, the order of `design`)
    enters each of `n_boot` resamples of dyads: an (n_boot, n_dyads) array. Two designs built
    from the same rows (e.g. the two equations of a mediation model) share these counts."""
    n = len(design.pairs) + len(design.singles)
    idx = rng.integers(0, n, (n_boot, n)) + n * np.arange(n_boot)[:, None]
    return np.bincount(idx.ravel(), minlength=n * n_boot).reshape(n_boot, n)


def _batch_stats(design: Design, counts: np.ndarray) -> dict:
    """Cross-products of every resample: weighted sums of per-dyad outer products."""
    n_pairs = len(design.pairs)
    z, s, role = design.pairs, design.singles, design.single_role
    w_pair, w_single = counts[:, :n_pairs].astype(float), counts[:, n_pairs:].astype(float)
    k, q = z.shape[1], s.shape[1]
    pair_cp = (w_pair @ (z[:, :, None] * z[:, None, :]).reshape(n_pairs, k * k)).reshape(-1, k, k)
    out = {"pair_cp": pair_cp, "n_pairs": w_pair.sum(1)}
    outer = (s[:, :, None] * s[:, None, :]).reshape(len(s), q * q)
    for r in (0, 1):
        m = role == r
        out[f"single_cp{r}"] = (w_single[:, m] @ outer[m]).reshape(-1, q, q)
        out[f"n_single{r}"] = w_single[:, m].sum(1)
    return out


def _batch_profile(st: dict, rho: np.ndarray, log_delta: np.ndarray, reml: bool, p: int, beta=False):
    """`profile` for every resample at once: -2 log L (and beta); NaN where the weighted
    cross-products of ``[X, y]`` are not positive definite (a singular resample). One Cholesky
    factor L of those cross-products gives everything: ``RSS = L[p, p]^2``, ``log|M| = 2 sum
    log L[:p, :p]``."""
    q = p + 1
    a = st["pair_cp"]
    a11, a12, a22 = a[:, :q, :q], a[:, :q, q:], a[:, q:, q:]
    d = np.exp(log_delta)[:, None, None]
    r = rho[:, None, None]
    c = (a11 - (r / d) * (a12 + np.swapaxes(a12, 1, 2)) + a22 / d**2) / (1 - r * r)
    c = c + st["single_cp0"] + st["single_cp1"] / d**2
    bad = np.zeros(len(c), bool)
    try:
        chol = np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        bad = np.linalg.eigvalsh(c)[:, 0] <= 1e-12 * np.abs(c).max(axis=(1, 2))
        chol = np.linalg.cholesky(np.where(bad[:, None, None], np.eye(q), c))
    diag = np.diagonal(chol, axis1=1, axis2=2)
    rss = np.maximum(diag[:, p] ** 2, 1e-300)
    n = 2 * st["n_pairs"] + st["n_single0"] + st["n_single1"]
    logdet = st["n_pairs"] * (np.log(1 - rho * rho) + 2 * log_delta) + st["n_single1"] * 2 * log_delta
    dof = n - p if reml else n
    m2ll = dof * (_LOG2PI + 1 + np.log(rss / dof)) + logdet
    if reml:
        m2ll = m2ll + 2 * np.log(diag[:, :p]).sum(1)
    m2ll[bad] = np.nan
    if not beta:
        return m2ll
    lx, ly = chol[:, :p, :p], chol[:, p, :p]  # M = Lx Lx', b = Lx ly
    coef = np.linalg.solve(np.swapaxes(lx, 1, 2), ly[:, :, None])[:, :, 0]
    coef[bad] = np.nan
    return m2ll, coef


def bootstrap_counts(design: Design, reml: bool, counts: np.ndarray, start: tuple) -> np.ndarray:
    """Coefficients refitted on the resamples given by `counts` (see `dyad_counts`), all at once:
    damped Newton steps in (atanh rho, log delta) from `start` = (rho, delta) of the full sample,
    with central-difference derivatives of the batched profile likelihood. Resamples that do not
    converge are refitted one by one with `fit`; NaN rows where a resample's design is singular."""
    p, two = design.n_coef, design.two_variances
    st = _batch_stats(design, counts)
    n_boot = len(counts)
    x = np.tile([math.atanh(max(min(start[0], 0.99), -0.99)), math.log(start[1]) if two else 0.0], (n_boot, 1))
    dims = 2 if two else 1
    h = 1e-4

    def f(v):
        return _batch_profile(st, np.tanh(v[:, 0]), v[:, 1], reml, p)

    done = np.zeros(n_boot, bool)
    for _ in range(30):
        f0 = f(x)
        e = np.eye(2) * h
        fp = np.column_stack([f(x + e[i]) for i in range(dims)])
        fm = np.column_stack([f(x - e[i]) for i in range(dims)])
        g = (fp - fm) / (2 * h)
        hess = np.zeros((n_boot, dims, dims))
        hess[:, range(dims), range(dims)] = (fp - 2 * f0[:, None] + fm) / h**2
        if two:
            cross = f(x + e[0] + e[1]) - f(x + e[0] - e[1]) - f(x - e[0] + e[1]) + f(x - e[0] - e[1])
            hess[:, 0, 1] = hess[:, 1, 0] = cross / (4 * h * h)
        finite = np.isfinite(hess).all((1, 2))
        ok = finite & (np.linalg.eigvalsh(np.where(finite[:, None, None], hess, 1.0))[:, 0] > 0)
        step = np.zeros((n_boot, dims))
        step[ok] = np.linalg.solve(hess[ok], g[ok][:, :, None])[:, :, 0]
        step[~ok] = 0.5 * np.sign(g[~ok])  # not convex here: a gradient step, then Newton again
        step = np.clip(step, -1.0, 1.0)
        dead = ~np.isfinite(f0)  # a singular resample: left to the one-by-one refit below
        step[dead] = 0.0
        done = (ok & (np.abs(step).max(1) < 1e-7)) | dead
        if done.all():
            break
        new = x.copy()
        new[:, :dims] -= step
        f1 = f(new)
        for _ in range(20):  # halve steps that do not decrease -2 log L
            worse = ~(f1 <= f0 + 1e-12) & ~done
            if not worse.any():
                break
            step[worse] /= 2
            new[worse, :dims] = x[worse, :dims] - step[worse]
            f1[worse] = f(new)[worse]
        x = np.where(done[:, None], x, new)
    beta = _batch_profile(st, np.tanh(x[:, 0]), x[:, 1], reml, p, beta=True)[1]
    for b in np.flatnonzero(~done | ~np.isfinite(beta).all(1) | (np.abs(np.tanh(x[:, 0])) > 1 - 1e-6)):
        n_pairs = len(design.pairs)
        try:
            beta[b] = fit(design, reml, cross_products(design, counts[b, :n_pairs], counts[b, n_pairs:]))["beta"]
        except np.linalg.LinAlgError:
            beta[b] = np.nan
    return beta
