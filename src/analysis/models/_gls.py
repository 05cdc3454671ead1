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

__all__ = ["Design", "Stats", "cross_products", "profile", "fit", "bootstrap", "independent_minus2ll",
           "dyad_counts", "bootstrap_counts"]

_RHO_BOUND = 1 - 1e-9
_LOG2PI = math.log(2 * math.pi)
_CHUNK_CELLS = 2_000_000  # `bootstrap` draws at most this many dyads (resamples x dyads) at a time


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


def bootstrap(design: Design, reml: bool, n_boot: int, rng: np.random.Generator, start=None) -> np.ndarray:
    """Coefficients refitted on `n_boot` resamples of dyads (complete and one-member alike);
    an (n_boot, p) array, NaN rows where a resample's design is singular.

    Resample b draws ``rng.integers(0, n_dyads, n_dyads)`` (`dyad_counts`, in chunks that keep
    memory bounded) and is refitted by `bootstrap_counts` from `start` = (rho, delta) of the full
    sample (default: `fit` of `design`)."""
    n_dyads = len(design.pairs) + len(design.singles)
    if start is None:
        full = fit(design, reml)
        start = (full["rho"], full["delta"])
    out = np.full((n_boot, design.n_coef), np.nan)
    chunk = max(1, min(n_boot, _CHUNK_CELLS // max(n_dyads, 1)))  # resamples at a time (memory)
    for first in range(0, n_boot, chunk):
        counts = dyad_counts(design, min(chunk, n_boot - first), rng)
        out[first:first + len(counts)] = bootstrap_counts(design, reml, counts, start)
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


# --- batched refits (the dyad bootstraps of apim_k and APIM mediation): many resamples at once --


def dyad_counts(design: Design, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """How often each dyad (complete ones first, then one-member ones, the order of `design`)
    enters each of `n_boot` resamples of dyads: an (n_boot, n_dyads) array. Two designs built
    from the same rows (e.g. the two equations of a mediation model) share these counts."""
    n = len(design.pairs) + len(design.singles)
    idx = rng.integers(0, n, (n_boot, n)) + n * np.arange(n_boot)[:, None]
    return np.bincount(idx.ravel(), minlength=n * n_boot).reshape(n_boot, n)


def _weighted_outer(rows: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``sum_n w[b, n] rows[n] rows[n]'`` for every resample b: a (len(w), k, k) array; the rows
    are taken in blocks so that their outer products stay small in memory."""
    n, k = rows.shape
    out = np.zeros((len(w), k * k))
    block = max(1, 4_000_000 // (k * k))
    for i in range(0, n, block):
        part = rows[i:i + block]
        out += w[:, i:i + block] @ (part[:, :, None] * part[:, None, :]).reshape(len(part), k * k)
    return out.reshape(-1, k, k)


def _batch_stats(design: Design, counts: np.ndarray) -> dict:
    """Cross-products of every resample: weighted sums of per-dyad outer products."""
    n_pairs = len(design.pairs)
    s, role = design.singles, design.single_role
    w_pair, w_single = counts[:, :n_pairs].astype(float), counts[:, n_pairs:].astype(float)
    out = {"pair_cp": _weighted_outer(design.pairs, w_pair), "n_pairs": w_pair.sum(1)}
    for r in (0, 1):
        m = role == r
        out[f"single_cp{r}"] = _weighted_outer(s[m], w_single[:, m])
        out[f"n_single{r}"] = w_single[:, m].sum(1)
    return out


def _cholesky(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cholesky factors of a stack of matrices and a mask of those that are not positive definite
    (a singular resample): their factor is the identity's."""
    try:
        return np.linalg.cholesky(c), np.zeros(len(c), bool)
    except np.linalg.LinAlgError:
        bad = np.linalg.eigvalsh(c)[:, 0] <= 1e-12 * np.abs(c).max(axis=(1, 2))
        eye = np.eye(c.shape[1])
        try:
            return np.linalg.cholesky(np.where(bad[:, None, None], eye, c)), bad
        except np.linalg.LinAlgError:  # one by one: a factor fails only where its matrix is not PD
            out = np.empty_like(c)
            for i, m in enumerate(c):
                try:
                    out[i] = np.linalg.cholesky(eye if bad[i] else m)
                except np.linalg.LinAlgError:
                    bad[i], out[i] = True, eye
            return out, bad


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
    chol, bad = _cholesky(c)
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


def _batch_derivatives(st: dict, rho: np.ndarray, log_delta: np.ndarray, reml: bool, p: int, two: bool):
    """Gradient and Hessian of the profiled -2 log L (`profile`) of every resample in (rho,
    log delta), or in rho alone when `two` is False; and a mask of resamples whose weighted
    cross-products are not positive definite (their rows are NaN).

    With ``C(theta)`` the cross-products of ``[X, y]`` weighted by ``Lambda^-1`` (unit sigma^2),
    ``v = [-beta, 1]`` and ``g_i = (C_i v)[:p]`` (subscripts: derivatives in theta), the
    envelope theorem gives ``RSS_i = v' C_i v`` and ``RSS_ij = v' C_ij v - 2 g_i' M^-1 g_j``
    (``M = C[:p, :p]``, beta = ``M^-1 C[:p, p]``); then ``-2 log L = dof log RSS + log|Lambda|
    (+ log|M| under REML) + const`` is differentiated term by term
    (``d log|M| = tr(M^-1 M_i)``, ``d2 log|M| = tr(M^-1 M_ij) - tr(M^-1 M_i M^-1 M_j)``).
    """
    q = p + 1
    a = st["pair_cp"]
    a11, a12, a22 = a[:, :q, :q], a[:, :q, q:], a[:, q:, q:]
    cross = a12 + np.swapaxes(a12, 1, 2)
    s1 = st["single_cp1"]
    d = np.exp(log_delta)[:, None, None]
    r = rho[:, None, None]
    s = 1 / (1 - r * r)  # C = s P + S0 + S1 / d^2
    pair = a11 - (r / d) * cross + a22 / d**2
    c = s * pair + st["single_cp0"] + s1 / d**2
    chol, bad = _cholesky(c)
    c = np.where(bad[:, None, None], np.eye(q), c)
    lx, ly = chol[:, :p, :p], chol[:, p, :p]  # M = Lx Lx', b = Lx ly, RSS = L[p, p]^2
    rss = np.maximum(chol[:, p, p] ** 2, 1e-300)
    beta = np.linalg.solve(np.swapaxes(lx, 1, 2), ly[:, :, None])[:, :, 0]
    v = np.concatenate([-beta, np.ones((len(beta), 1))], axis=1)
    n_pairs = st["n_pairs"]
    dof = 2 * n_pairs + st["n_single0"] + st["n_single1"] - (p if reml else 0)
    s_r = 2 * r * s * s
    pair_r = -cross / d
    c1 = [s_r * pair + s * pair_r]  # dC/drho
    c2 = {(0, 0): (2 * s * s + 8 * r * r * s**3) * pair + 2 * s_r * pair_r}
    ld1 = [-2 * rho / (1 - rho * rho) * n_pairs]  # d log|Lambda|
    ld2 = {(0, 0): -2 * n_pairs * (1 + rho * rho) / (1 - rho * rho) ** 2}
    if two:
        pair_u = (r / d) * cross - 2 * a22 / d**2
        c1.append(s * pair_u - 2 * s1 / d**2)
        c2[(0, 1)] = s_r * pair_u + s * cross / d
        c2[(1, 1)] = s * (4 * a22 / d**2 - (r / d) * cross) + 4 * s1 / d**2
        ld1.append(2 * n_pairs + 2 * st["n_single1"])
        ld2[(0, 1)] = ld2[(1, 1)] = np.zeros_like(rho)
    k = len(c1)
    cv = [ci @ v[:, :, None] for ci in c1]  # (B, q, 1)
    rss1 = [(v[:, None, :] @ x)[:, 0, 0] for x in cv]
    g = np.concatenate([x[:, :p] for x in cv], axis=2)  # (B, p, k)
    m_inv = np.linalg.inv(c[:, :p, :p])
    m_inv_g = m_inv @ g
    grad = np.stack([dof * rss1[i] / rss + ld1[i] for i in range(k)], axis=1)
    hess = np.empty((len(rho), k, k))
    if reml:
        mm = [m_inv @ ci[:, :p, :p] for ci in c1]
        grad += np.stack([np.trace(x, axis1=1, axis2=2) for x in mm], axis=1)
    for i in range(k):
        for j in range(i, k):
            rss2 = (v[:, None, :] @ c2[(i, j)] @ v[:, :, None])[:, 0, 0] - 2 * (g[:, :, i] * m_inv_g[:, :, j]).sum(1)
            h = dof * (rss2 / rss - rss1[i] * rss1[j] / rss**2) + ld2[(i, j)]
            if reml:
                h = h + np.trace(m_inv @ c2[(i, j)][:, :p, :p], axis1=1, axis2=2)
                h = h - (mm[i] * np.swapaxes(mm[j], 1, 2)).sum((1, 2))  # tr(M^-1 M_i M^-1 M_j)
            hess[:, i, j] = hess[:, j, i] = h
    grad[bad] = np.nan
    hess[bad] = np.nan
    return grad, hess, bad


def bootstrap_counts(design: Design, reml: bool, counts: np.ndarray, start: tuple) -> np.ndarray:
    """Coefficients refitted on the resamples given by `counts` (see `dyad_counts`), all at once
    by `newton_refits` from `start` = (rho, delta) of the full sample. A resample that method
    leaves (Hessian not positive definite, rho near +-1, no convergence) is refitted one by one
    with `fit`; NaN rows where a resample's design is singular."""
    p = design.n_coef
    st = _batch_stats(design, counts)
    rho, log_delta, failed = newton_refits(st, reml, p, design.two_variances, start)
    beta = _batch_profile(st, rho, log_delta, reml, p, beta=True)[1]
    n_pairs = len(design.pairs)
    for b in np.flatnonzero(failed | ~np.isfinite(beta).all(1)):
        try:
            beta[b] = fit(design, reml, cross_products(design, counts[b, :n_pairs], counts[b, n_pairs:]))["beta"]
        except np.linalg.LinAlgError:
            beta[b] = np.nan
    return beta


def newton_refits(st: dict, reml: bool, p: int, two: bool, start: tuple, *, tol: float = 1e-10,
                  max_iter: int = 50):
    """The optimum (rho, log delta) of every resample of `st` (`_batch_stats`): Newton steps in
    (atanh rho, log delta) with the analytic gradient and Hessian of the profiled likelihood
    (`_batch_derivatives`) from `start` = (rho, delta), until no coordinate of a step exceeds
    `tol`: the optimum to about 1e-12, where `fit`'s searches on function values stop up to
    ~1e-7 away in rho. Returns (rho, log delta, failed); `failed` marks the resamples whose
    Hessian was not positive definite or singular, whose rho neared +-1 or that did not converge
    in `max_iter` steps."""
    n_boot = len(st["n_pairs"])
    t = np.full(n_boot, math.atanh(min(max(start[0], -0.99), 0.99)))
    u = np.full(n_boot, math.log(start[1]) if two else 0.0)
    active, failed = np.arange(n_boot), np.zeros(n_boot, bool)
    for _ in range(max_iter):
        if not active.size:
            break
        rho = np.tanh(t[active])
        sub = st if active.size == n_boot else {k: v[active] for k, v in st.items()}
        grad, hess, bad = _batch_derivatives(sub, rho, u[active], reml, p, two)
        dr = 1 - rho * rho  # d rho / d atanh(rho)
        hess[:, 0, 0] = hess[:, 0, 0] * dr * dr - 2 * rho * dr * grad[:, 0]
        hess[:, 0, 1:] *= dr[:, None]
        hess[:, 1:, 0] *= dr[:, None]
        grad[:, 0] *= dr
        ok = ~bad & np.isfinite(hess).all((1, 2)) & np.isfinite(grad).all(1)
        ok[ok] = np.linalg.eigvalsh(hess[ok])[:, 0] > 0
        step = np.zeros_like(grad)
        step[ok] = np.linalg.solve(hess[ok], grad[ok][:, :, None])[:, :, 0]
        size = np.abs(step).max(1)
        step *= np.minimum(1.0, 0.5 / np.maximum(size, 1e-300))[:, None]  # at most 0.5 per step
        t[active] -= step[:, 0]
        if two:
            u[active] -= step[:, 1]
        failed[active[~ok | (np.abs(np.tanh(t[active])) > 1 - 1e-6)]] = True
        active = active[ok & (size > tol) & ~failed[active]]
    failed[active] = True  # not converged
    return np.tanh(t), u, failed
