"""Private engine of `analysis.multilevel`: linear mixed models by profiled (RE)ML, per cluster.

The model, for the rows of one cluster i (a person, or a couple):

    y_i = X_i beta + Z_i b_i + e_i,   b_i ~ N(0, sigma^2 Lambda Lambda'),   e_i ~ N(0, sigma^2 R_i)

``Lambda`` is block diagonal: one lower-triangular block per random-effects term, repeated for
every sub-group (person) of the cluster when the term is nested (person effects inside a couple).
``R_i = D_i C_i D_i`` with ``D_i`` the residual SD ratio of each row's role (nlme ``varIdent``)
and ``C_i`` the residual correlation: ``phi^|t_j - t_k|`` between days of one person (AR(1) on
the day index, so a missing day counts as a gap: nlme ``corAR1(form = ~ day | person)``, which
equals ``corCAR1`` on integer days), ``rho * phi^|t_j - t_k|`` between the two partners
(``rho`` alone, same day only, without AR(1): nlme ``corCompSymm(form = ~ 1 | couple / day)``).

sigma^2 and beta are profiled out; the remaining parameters (Lambda, phi, rho, log SD ratios) are
found with L-BFGS-B. Each evaluation uses the Woodbury identity on per-cluster cross-products
``S_i = A_i' A_i`` of ``A_i = R_i^{-1/2} [X_i Z_i y_i]``: with ``M_i = I + Lambda' Z_i' R_i^-1 Z_i
Lambda``, log|V_i| = log|R_i| + log|M_i| and X'V^-1X, X'V^-1y, y'V^-1y are the small blocks of
``S - T'T`` with ``T = chol(M)^-1 Lambda' S_z.``. When ``R_i`` is diagonal the ``S_i`` are
computed once (per role), so an evaluation costs a few (q x q) factorizations per cluster; with
AR(1) or partner correlation ``R_i`` is factorized per cluster (batched over padded clusters).
The profiled REML criterion is the one of Pinheiro & Bates (2000, ch. 2) and lme4 (Bates et al.,
2015), so log-likelihoods equal ``logLik()`` of ``nlme::lme`` and ``lme4::lmer``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from analysis.exceptions import ConvergenceWarning

__all__ = ["ReTerm", "ResidualSpec", "LmmFit", "fit_lmm"]

_LOG2PI = np.log(2 * np.pi)


@dataclass(frozen=True)
class ReTerm:
    """One random-effects term: columns `Z` (N x q); `sub` = sub-group index within the cluster
    (None: one set of effects per cluster)."""

    Z: np.ndarray
    sub: np.ndarray | None = None


@dataclass(frozen=True)
class ResidualSpec:
    """Residual structure: `person` codes (AR(1) and partner correlation act on persons),
    `time` (integer day index), flags, `role` codes 0..R-1 for role-specific SDs."""

    person: np.ndarray
    time: np.ndarray | None = None
    ar1: bool = False
    partner_corr: bool = False
    role: np.ndarray | None = None


@dataclass(frozen=True)
class LmmFit:
    beta: np.ndarray
    cov_beta: np.ndarray
    sigma: float
    cov_re: list  # one (q x q) covariance matrix per term (sigma^2 Lambda Lambda')
    phi: float
    rho: float
    sd_ratio: np.ndarray  # per role (first = 1)
    loglik: float
    converged: bool
    n_iter: int
    blups: list  # per term: (n_clusters, n_sub, q) predicted random effects
    cluster_index: np.ndarray  # cluster code of each input row
    n_clusters: int


class _Problem:
    """Data arranged by cluster, and the profiled -2 log-likelihood as a function of theta."""

    def __init__(self, X, y, cluster, terms, resid, reml):
        n, p = X.shape
        self.n, self.p, self.reml = n, p, reml
        self.resid = resid
        codes, cl = np.unique(cluster, return_inverse=True)
        self.n_clusters = g = codes.size
        self.cluster_index = cl
        time = np.zeros(n) if resid.time is None else np.asarray(resid.time, float)
        self.pair = resid.partner_corr and not resid.ar1  # partner correlation alone: pairs by day
        order = np.lexsort((resid.person, time, cl) if self.pair else (time, resid.person, cl))
        self.order = order
        cl_s = cl[order]
        counts = np.bincount(cl_s, minlength=g)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        pos = np.arange(n) - starts[cl_s]
        # Z with nested terms spread over sub-groups; Lambda blocks
        blocks, zcols, self.term_shapes = [], [], []
        for t in terms:
            q = t.Z.shape[1]
            if t.sub is None:
                zcols.append(t.Z[order])
                blocks.append((q, 1))
                self.term_shapes.append((q, 1))
            else:
                sub = np.asarray(t.sub)[order]
                ns = int(sub.max()) + 1
                zz = np.zeros((n, q * ns))
                for s in range(ns):
                    zz[:, s * q:(s + 1) * q] = t.Z[order] * (sub == s)[:, None]
                zcols.append(zz)
                blocks.append((q, ns))
                self.term_shapes.append((q, ns))
        Zf = np.hstack(zcols) if zcols else np.zeros((n, 0))
        self.z_sd = [np.std(t.Z[np.any(t.Z != 0, axis=1)], axis=0) if np.any(t.Z != 0) else np.zeros(t.Z.shape[1])
                     for t in terms]  # fmt: skip
        self.Q = Zf.shape[1]
        W = np.hstack([X[order], Zf, y[order, None]])
        self.K = W.shape[1]
        self.n_theta_re = sum(q * (q + 1) // 2 for q, _ in blocks)
        self.roles = np.zeros(n, int) if resid.role is None else np.asarray(resid.role)[order]
        self.n_roles = int(self.roles.max()) + 1
        self.dense = resid.partner_corr and resid.ar1
        self.whiten = (resid.ar1 or resid.partner_corr) and not self.dense
        if self.whiten:  # closed-form whitening: AR(1) per person series (gaps allowed), or day pairs
            pers, ts = np.asarray(resid.person)[order], time[order]
            if self.pair:
                self.pair_prev = np.r_[False, (cl_s[1:] == cl_s[:-1]) & (ts[1:] == ts[:-1]) & (pers[1:] != pers[:-1])]
            else:
                self.first = np.r_[True, (pers[1:] != pers[:-1]) | (cl_s[1:] != cl_s[:-1])]
                self.dt_fin = np.where(self.first, 0.0, np.r_[0.0, np.diff(ts)])
            self.W = W
            self.pad_idx = np.full((g, int(counts.max())), n)  # padded rows point at a zero row
            self.pad_idx[cl_s, pos] = np.arange(n)
        elif not self.dense:
            self.S_role = []
            outer = W[:, :, None] * W[:, None, :]
            for r in range(self.n_roles):
                o = outer * (self.roles == r)[:, None, None]
                self.S_role.append(np.add.reduceat(o, starts, axis=0) if n else o)
            self.n_role = np.bincount(self.roles, minlength=self.n_roles)
        else:
            m = int(counts.max())
            self.m = m
            Wp = np.zeros((g, m, self.K))
            Wp[cl_s, pos] = W
            self.Wp = Wp
            valid = np.zeros((g, m), bool)
            valid[cl_s, pos] = True
            tp = np.zeros((g, m))
            tp[cl_s, pos] = time[order]
            pp = np.full((g, m), -1, dtype=np.int64)
            pp[cl_s, pos] = np.asarray(resid.person)[order]
            rp = np.zeros((g, m), int)
            rp[cl_s, pos] = self.roles
            self.role_pad = rp
            self.valid = valid
            vpair = valid[:, :, None] & valid[:, None, :]
            self.dt = np.abs(tp[:, :, None] - tp[:, None, :])
            self.same_person = (pp[:, :, None] == pp[:, None, :]) & vpair
            self.other_person = (pp[:, :, None] != pp[:, None, :]) & vpair
            self.pad_diag = np.eye(m)[None] * (~valid)[:, :, None]

    # ---------------------------------------------------------------- parameters
    def unpack(self, theta):
        k = 0
        lams = []
        for q, _ in self.term_shapes:
            lam = np.zeros((q, q))
            idx = np.tril_indices(q)
            nk = idx[0].size
            lam[idx] = theta[k:k + nk]
            k += nk
            lams.append(lam)
        phi = rho = 0.0
        if self.resid.ar1:
            phi = theta[k]
            k += 1
        if self.resid.partner_corr:
            rho = theta[k]
            k += 1
        logd = np.concatenate([[0.0], theta[k:k + self.n_roles - 1]])
        return lams, phi, rho, np.exp(logd)

    def lambda_full(self, lams):
        mats = []
        for lam, (_, ns) in zip(lams, self.term_shapes, strict=True):
            mats.extend([lam] * ns)
        out = np.zeros((self.Q, self.Q))
        k = 0
        for mat in mats:
            q = mat.shape[0]
            out[k:k + q, k:k + q] = mat
            k += q
        return out

    def start_and_bounds(self):
        """Start: Lambda diagonal 0.5 for constant columns (intercepts), 0.1 / SD(column) for
        slopes (a slope SD of a tenth of the residual SD per SD of the predictor)."""
        theta, bounds = [], []
        for (q, _), sd in zip(self.term_shapes, self.z_sd, strict=True):
            for i, j in zip(*np.tril_indices(q), strict=True):
                theta.append((0.5 if sd[i] < 1e-12 else 0.1 / sd[i]) if i == j else 0.0)
                bounds.append((0.0, None) if i == j else (None, None))
        if self.resid.ar1:
            theta.append(0.2)
            bounds.append((-0.99, 0.99))
        if self.resid.partner_corr:
            theta.append(0.1)
            bounds.append((-0.99, 0.99))
        theta.extend([0.0] * (self.n_roles - 1))
        bounds.extend([(-5.0, 5.0)] * (self.n_roles - 1))
        return np.array(theta), bounds

    # ---------------------------------------------------------------- likelihood
    def cross_products(self, phi, rho, delta):
        """Per-cluster S = A'A with A = R^-1/2 [X Z y], and the total log|R|."""
        if self.whiten:
            if self.pair:
                c = np.where(self.pair_prev, rho, 0.0)
            else:  # phi^(day gap) to the previous day of the same person (integer gaps: any sign of phi)
                c = np.power(phi, self.dt_fin)
                c[self.first] = 0.0
            s2 = 1.0 - c * c
            inv_s = 1.0 / np.sqrt(s2)
            Wd = self.W if self.n_roles == 1 else self.W / delta[self.roles][:, None]
            n = Wd.shape[0]
            A = np.zeros((n + 1, Wd.shape[1]))  # the last row stays zero: padding
            A[0] = Wd[0]
            A[1:n] = (Wd[1:] - c[1:, None] * Wd[:-1]) * inv_s[1:, None]
            Ap = A[self.pad_idx]
            S = np.matmul(np.swapaxes(Ap, 1, 2), Ap)
            logdet = float(np.sum(np.log(s2)) + 2.0 * np.sum(np.log(delta[self.roles])))
            return S, logdet, None
        if not self.dense:
            w = 1.0 / delta**2
            S = sum(w[r] * self.S_role[r] for r in range(self.n_roles))
            return S, float(np.sum(self.n_role * np.log(delta**2))), None
        if self.resid.ar1:
            pw = np.power(phi, self.dt) if phi != 0 else (self.dt == 0).astype(float)
        else:
            pw = (self.dt == 0).astype(float)
        C = np.where(self.same_person, pw, 0.0)
        if self.resid.partner_corr:
            C = C + np.where(self.other_person, rho * pw, 0.0)
        C = C + self.pad_diag
        d = np.where(self.valid, delta[self.role_pad], 1.0)
        R = C * d[:, :, None] * d[:, None, :]
        try:
            L = np.linalg.cholesky(R)
        except np.linalg.LinAlgError:
            return None, np.inf, None
        A = np.linalg.solve(L, self.Wp)
        S = np.matmul(np.swapaxes(A, 1, 2), A)
        logdet = 2.0 * np.sum(np.log(np.diagonal(L, axis1=1, axis2=2)))
        return S, float(logdet), None

    def profile(self, theta, *, full=False):
        lams, phi, rho, delta = self.unpack(theta)
        S, logdet_r, _ = self.cross_products(phi, rho, delta)
        if S is None:
            return np.inf if not full else None
        p, Q = self.p, self.Q
        lam = self.lambda_full(lams)
        xy = np.r_[0:p, self.K - 1]
        zi = slice(p, p + Q)
        Szz = S[:, zi, zi]
        B = np.matmul(lam.T, S[:, zi][:, :, xy])  # Lambda' S_z,[x y]
        M = np.matmul(np.matmul(lam.T, Szz), lam) + np.eye(Q)
        try:
            Lm = np.linalg.cholesky(M)
        except np.linalg.LinAlgError:
            return np.inf if not full else None
        T = np.linalg.solve(Lm, B)
        C = S[:, xy][:, :, xy].sum(axis=0) - np.tensordot(T, T, axes=([0, 1], [0, 1]))
        logdet_v = logdet_r + 2.0 * np.sum(np.log(np.diagonal(Lm, axis1=1, axis2=2)))
        xtvx, xtvy, ytvy = C[:p, :p], C[:p, p], C[p, p]
        try:
            Lx = np.linalg.cholesky(xtvx)
        except np.linalg.LinAlgError:
            return np.inf if not full else None
        beta = np.linalg.solve(xtvx, xtvy)
        rss = ytvy - xtvy @ beta
        nu = self.n - p if self.reml else self.n
        if rss <= 0:
            return np.inf if not full else None
        sigma2 = rss / nu
        m2ll = nu * (1.0 + _LOG2PI + np.log(sigma2)) + logdet_v
        if self.reml:
            m2ll += 2.0 * np.sum(np.log(np.diag(Lx)))
        if not full:
            return m2ll
        # predicted random effects: b = Lambda M^-1 Lambda' Z'R^-1 (y - X beta)
        u = np.linalg.solve(np.swapaxes(Lm, 1, 2), (T[:, :, p] - T[:, :, :p] @ beta)[:, :, None])[:, :, 0]
        b = u @ lam.T
        blups, k = [], 0
        for q, ns in self.term_shapes:
            blups.append(b[:, k:k + q * ns].reshape(self.n_clusters, ns, q))
            k += q * ns
        cov_re = [sigma2 * lm @ lm.T for lm in lams]
        return dict(beta=beta, cov_beta=sigma2 * np.linalg.inv(xtvx), sigma=float(np.sqrt(sigma2)),
                    cov_re=cov_re, phi=float(phi), rho=float(rho), sd_ratio=delta, m2ll=float(m2ll),
                    blups=blups)


def fit_lmm(X, y, cluster, terms, resid, *, reml=True) -> LmmFit:
    """Fit the model by profiled REML (`reml=True`) or ML; see the module docstring."""
    prob = _Problem(np.asarray(X, float), np.asarray(y, float), np.asarray(cluster), terms, resid, reml)
    theta0, bounds = prob.start_and_bounds()
    if theta0.size:
        opts = {"maxiter": 500, "ftol": 1e-13, "gtol": 1e-6, "finite_diff_rel_step": 1e-4}
        res = optimize.minimize(prob.profile, theta0, method="L-BFGS-B", jac="3-point", bounds=bounds, options=opts)
        nit = int(res.nit)
        # A Cholesky diagonal at its bound 0 is a stationary point of the (even) criterion even
        # when a positive value fits better: restart from 0.1 there and keep the better fit.
        diag = np.array([lo == 0.0 for lo, _ in bounds])
        for _ in range(3):
            stuck = diag & (res.x < 1e-6)
            if not stuck.any():
                break
            again = optimize.minimize(prob.profile, np.where(stuck, 0.1, res.x), method="L-BFGS-B", jac="3-point",
                                      bounds=bounds, options=opts)  # fmt: skip
            nit += int(again.nit)
            if not again.fun < res.fun - 1e-9:
                break
            res = again
        theta = res.x
        # an 'ABNORMAL' line-search stop at a flat optimum (finite-difference noise) is accepted
        converged = bool(res.success) or float(np.max(np.abs(res.jac))) < 1e-2
        if not converged:
            warnings.warn(f"The mixed model did not converge ({res.message}); estimates may be unreliable.",
                          ConvergenceWarning, stacklevel=3)  # fmt: skip
    else:
        theta, converged, nit = theta0, True, 0
    out = prob.profile(theta, full=True)
    # blups are in sorted cluster order = cluster code order (codes from np.unique)
    return LmmFit(beta=out["beta"], cov_beta=out["cov_beta"], sigma=out["sigma"], cov_re=out["cov_re"],
                  phi=out["phi"], rho=out["rho"], sd_ratio=out["sd_ratio"], loglik=-0.5 * out["m2ll"],
                  converged=converged, n_iter=nit, blups=out["blups"], cluster_index=prob.cluster_index,
                  n_clusters=prob.n_clusters)  # fmt: skip
