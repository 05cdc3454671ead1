"""Engines of `analysis.models.survey_design`: the Taylor-linearisation variance of a design, the
weighted logistic and proportional-odds fits and the Rao-Scott design correction.

The variance of an estimator with influence values ``z_i`` (one row per sampled unit, zero for
rows outside the domain or left out for missing values) is R's ``survey:::svyrecvar``: per
stratum ``h`` of the first stage, the PSU totals ``z_hj`` are centred at their stratum mean and

    V = sum_h f_h n_h / (n_h - 1) sum_j (z_hj - zbar_h)(z_hj - zbar_h)',

``f_h = (N_h - n_h) / N_h`` with a finite population correction (else 1); with a population
size at a later stage the next stage's variance inside each PSU is added, weighted by the first
stage's sampling fraction ``n_h / N_h`` (the multistage formula of ``survey:::multistage``).
A stratum with one PSU follows ``options(survey.lonely.psu)``: "remove" and "certainty" (no
contribution), "adjust" (centred at the grand mean, i.e. at zero), "average" (the sum over the
other strata scaled by strata / strata with more than one PSU). Rows are never dropped: a domain
or a missing value is a zero influence value, so every PSU of the design counts, as in R
(``[.survey.design2`` keeps the full-sample PSU counts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

LONELY = ("fail", "remove", "adjust", "certainty", "average")


@dataclass(frozen=True)
class _Stage:
    """One sampling stage, one entry per row: stratum and PSU codes (PSU codes unique across the
    design), the number of PSUs sampled in the row's stratum and its population size (or None)."""

    strata: np.ndarray
    psu: np.ndarray
    n_psu: np.ndarray
    popsize: np.ndarray | None

    def take(self, idx: np.ndarray) -> _Stage:
        return _Stage(self.strata[idx], self.psu[idx], self.n_psu[idx],
                      None if self.popsize is None else self.popsize[idx])  # fmt: skip


def _rowsum(x: np.ndarray, codes: np.ndarray, size: int) -> np.ndarray:
    """Sum the rows of `x` (n x p) by integer `codes` (0..size-1)."""
    out = np.empty((size, x.shape[1]))
    for j in range(x.shape[1]):
        out[:, j] = np.bincount(codes, weights=x[:, j], minlength=size)
    return out


def _onestage(x: np.ndarray, st: _Stage, lonely: str, keep: np.ndarray) -> np.ndarray:
    s_codes, _ = pd.factorize(st.strata, sort=False)
    p_codes, _ = pd.factorize(st.psu, sort=False)
    n_s, n_p = s_codes.max() + 1, p_codes.max() + 1
    first = np.full(n_p, -1)
    first[p_codes[::-1]] = np.arange(len(p_codes))[::-1]  # first row of each PSU
    ps = s_codes[first]  # stratum of each PSU
    nh = st.n_psu[first].astype(float)
    if st.popsize is None:
        f = np.ones(n_p)
    else:
        pop = st.popsize[first].astype(float)
        f = np.where(np.isinf(pop), 1.0, (pop - nh) / np.where(np.isinf(pop), 1.0, pop))
    scale = np.where(nh > 1, f * nh / np.maximum(nh - 1, 1), f)
    fmax = np.full(n_s, -np.inf)
    np.maximum.at(fmax, ps, f)
    certain = fmax < 1e-7  # self-representing stratum: no variance
    nh_s = np.zeros(n_s)
    nh_s[ps] = nh
    is_lonely = (nh_s == 1) & ~certain
    if lonely == "fail" and is_lonely.any():
        from analysis.exceptions import DataError

        bad = st.strata[first[np.flatnonzero(is_lonely[ps])[0]]]
        raise DataError(f"Stratum {bad!r} has only one PSU, so its variance cannot be estimated. Choose "
                        "lonely_psu='remove', 'adjust', 'certainty' or 'average' (R's options("
                        "survey.lonely.psu)) in survey_design.")  # fmt: skip
    z = x if n_p == len(x) and (p_codes == np.arange(n_p)).all() else _rowsum(x, p_codes, n_p)
    count = np.bincount(ps, minlength=n_s).astype(float)
    zbar = _rowsum(z, ps, n_s) / count[:, None]
    if lonely == "adjust":
        zbar[is_lonely] = 0.0
    d = (z - zbar[ps]) * np.sqrt(scale)[:, None]
    use = ~certain[ps]
    if lonely == "average":
        use &= ~is_lonely[ps]
    d = d[use]
    v = d.T @ d
    if lonely == "average":
        present = np.zeros(n_s, bool)
        present[s_codes[keep]] = True
        n_present = present.sum()
        n_ok = (present & ~is_lonely).sum()
        v = v * (n_present / n_ok) if n_ok > 0 else v * np.nan
    return v


def multistage_variance(x: np.ndarray, stages: list[_Stage], lonely: str, keep: np.ndarray) -> np.ndarray:
    """Covariance matrix (p x p) of the totals of the influence values `x` (n x p)."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if len(x) == 0:
        return np.zeros((x.shape[1], x.shape[1]))
    st = stages[0]
    v = _onestage(x, st, lonely, keep)
    if len(stages) > 1 and st.popsize is not None:
        codes, _ = pd.factorize(st.psu, sort=False)
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        for idx in np.split(order, bounds):
            frac = st.n_psu[idx[0]] / st.popsize[idx[0]]
            if frac == 0:
                continue
            sub = [s.take(idx) for s in stages[1:]]
            v = v + multistage_variance(x[idx], sub, lonely, keep[idx]) * frac
    return v


def logit_fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, start: np.ndarray | None = None) -> tuple[np.ndarray, bool]:
    """Weighted logistic regression by Newton-Raphson (IRLS) from `start` (default zeros):
    (coefficients, converged)."""
    beta = np.zeros(X.shape[1]) if start is None else np.array(start, dtype=float)
    for _ in range(100):
        mu = special.expit(X @ beta)
        A = X.T @ ((w * mu * (1 - mu))[:, None] * X)
        step = np.linalg.solve(A, X.T @ (w * (y - mu)))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-9 * (1 + np.max(np.abs(beta))):  # quadratic: the next step is ~1e-18
            return beta, True
    return beta, False


def olr_fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, q: int, start: np.ndarray | None = None):
    """Weighted proportional-odds (logit) fit, ``P(y <= k) = expit(zeta_k - x'b)``, by Newton-Raphson
    with the analytic Hessian and step halving, from `start` (default: no effects, thresholds at the
    weighted cumulative proportions). `y` holds codes 0..q. Returns (parameters b then zeta, per-row
    scores of the log-likelihood, Hessian, log-likelihood, converged)."""
    n, pc = X.shape
    if start is None:
        cum = np.cumsum(np.bincount(y, weights=w, minlength=q + 1))[:-1] / w.sum()
        theta = np.concatenate([np.zeros(pc), np.log(cum / (1 - cum))])
    else:
        theta = np.array(start, dtype=float)
    # d(upper cut - eta)/d(parameters) and d(lower cut - eta)/d(parameters), one row per row
    Ua, Ub = np.zeros((n, pc + q)), np.zeros((n, pc + q))
    Ua[:, :pc], Ub[:, :pc] = -X, -X
    top, bottom = y < q, y > 0
    Ua[np.flatnonzero(top), pc + y[top]] = 1.0
    Ub[np.flatnonzero(bottom), pc + y[bottom] - 1] = 1.0

    def parts(par):
        eta = X @ par[:pc]
        z = np.concatenate([[-np.inf], par[pc:], [np.inf]])
        Fa, Fb = special.expit(z[y + 1] - eta), special.expit(z[y] - eta)
        return Fa, Fb, Fa * (1 - Fa), Fb * (1 - Fb), Fa - Fb

    def loglik(par):
        pr = parts(par)[-1]
        return -np.inf if (pr <= 0).any() or np.any(np.diff(par[pc:]) <= 0) else float(np.sum(w * np.log(pr)))

    def score_hessian(par):
        Fa, Fb, fa, fb, pr = parts(par)
        G = fa[:, None] * Ua - fb[:, None] * Ub
        fpa, fpb = fa * (1 - 2 * Fa), fb * (1 - 2 * Fb)
        H = (Ua.T @ ((w * fpa / pr)[:, None] * Ua) - Ub.T @ ((w * fpb / pr)[:, None] * Ub)
             - G.T @ ((w / pr**2)[:, None] * G))  # fmt: skip
        return (w / pr)[:, None] * G, H

    ll, converged = loglik(theta), False
    for _ in range(200):
        score, H = score_hessian(theta)
        step = np.linalg.solve(H, -score.sum(0))
        t = 1.0
        while t > 1e-10 and loglik(theta + t * step) < ll - 1e-12 * abs(ll):
            t /= 2
        theta = theta + t * step
        ll = loglik(theta)
        if np.max(np.abs(t * step)) < 1e-10 * (1 + np.max(np.abs(theta))):
            converged = True
            break
    score, H = score_hessian(theta)
    return theta, score, H, ll, converged


def rao_scott(p: np.ndarray, V: np.ndarray, n: int, nr: int, nc: int) -> dict:
    """Pearson X² of the cell proportions `p` (row variable fastest) scaled to `n`, and the Rao-Scott
    design matrix Delta's trace, d0 = tr² / tr(Delta²) and size k, as ``survey:::svychisq``."""
    rows, cols = np.tile(np.arange(nr), nc), np.repeat(np.arange(nc), nr)
    X1 = np.column_stack([np.ones(nr * nc)] + [rows == i for i in range(1, nr)] + [cols == j for j in range(1, nc)])
    X12 = np.column_stack([(rows == i) & (cols == j) for j in range(1, nc) for i in range(1, nr)]).astype(float)
    C = X12 - X1 @ np.linalg.lstsq(X1, X12, rcond=None)[0]  # interaction, orthogonal to the main effects
    inv_p = np.where(p == 0, 0.0, 1 / np.where(p == 0, 1.0, p))
    denom = C.T @ (inv_p[:, None] / n * C)
    numr = C.T @ (inv_p[:, None] * V * inv_p[None, :]) @ C
    delta = np.linalg.solve(denom, numr)
    tr = float(np.trace(delta))
    table = (p * n).reshape(nc, nr).T
    expected = np.outer(table.sum(1), table.sum(0)) / table.sum()
    x2 = float(((table - expected) ** 2 / expected).sum())
    return {"x2": x2, "trace": tr, "d0": tr**2 / float(np.trace(delta @ delta)), "k": delta.shape[0]}
