"""Private normal-theory ML / FIML estimator for confirmatory factor models (used by `cfa`).

The model, per group g, is the LISREL all-y measurement model

    Sigma_g = Lambda_g Psi_g Lambda_g' + Theta_g,    mu_g = nu_g + Lambda_g alpha_g.

A model is a *parameter table* (one row per matrix entry, as lavaan's partable): columns
``group, matrix ('lambda', 'psi', 'theta', 'nu', 'alpha'), row, col, free, value, label``.
Free rows that share a ``label`` are one parameter (lavaan's simple equality constraints).
Symmetric matrices (psi, theta) hold one row per unordered pair (row >= col).

Data enter as missing-data *patterns* (complete data are one pattern), so one discrepancy
serves both listwise ML and FIML: ``-2 logL = sum_p n_p [k_p log 2pi + log|S_oo| +
tr(S_oo^-1 (S_p + d d'))]`` with ``d = ybar_p - mu_o``; with complete data and no mean
structure mu is the sample mean (d = 0) and this is lavaan's normal-theory ML (biased S, N).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

__all__ = ["Block", "Padded", "GroupData", "group_data", "em_moments", "minus2_terms", "row", "cfa_table",
           "dyad_table", "Model", "expected_information", "fit", "fit_measures", "rmsea_ci", "estimates"]

MATRICES = ("lambda", "psi", "theta", "nu", "alpha")
MAX_ITER = 5000  # L-BFGS-B iterations (tests lower it to reach the ConvergenceWarning path)
GRAD_TOL = 1e-6  # max |gradient| of F = -2 logL / N accepted as converged
EM_TOL, EM_MAX_ITER = 1e-5, 500  # lavaan's EM defaults for the saturated (h1) FIML moments
LOG2PI = np.log(2.0 * np.pi)


@dataclass
class Block:
    """Missing-data patterns with k observed variables: idx (P, k), miss (P, p-k), n (P,),
    ybar (P, k), S (P, k, k) (biased, around each pattern's own mean)."""

    idx: np.ndarray
    miss: np.ndarray
    n: np.ndarray
    ybar: np.ndarray
    S: np.ndarray


@dataclass
class Padded:
    """Patterns padded to all p variables (zeros where missing), for one batched likelihood:
    obs (P, p) bool, n (P,), ybar (P, p), S (P, p, p)."""

    obs: np.ndarray
    n: np.ndarray
    ybar: np.ndarray
    S: np.ndarray
    both: np.ndarray | None = None  # obs[:, :, None] & obs[:, None, :], kept by minus2_terms


@dataclass
class GroupData:
    """One group's data as pattern blocks, with its saturated (h1) moments and log-likelihood."""

    n: int
    blocks: list  # by number of observed variables (for EM)
    padded: list  # chunks of padded patterns (for the likelihood)
    n_obs: int  # observed cells
    ybar: np.ndarray  # sample mean (complete data) or EM mean (FIML)
    S: np.ndarray  # sample covariance (divisor n) or EM covariance
    logl_h1: float = np.nan
    logl_baseline: float = np.nan


def _cross_products(dev: np.ndarray) -> np.ndarray:
    """``np.einsum("ni,nj->ij", dev, dev)`` to the last bit, in about 70% of its time.

    einsum sums each entry over the rows in order (one multiply and one add per row); on a block
    of its rows it does the same, so the lower triangle is computed by blocks of rows and mirrored.
    tests/test_speed_paths.py checks the equality on several shapes. (einsum, not BLAS: BLAS sums in
    another order, which moves the last bits and, through the optimiser, the estimates.)
    """
    p = dev.shape[1]
    out = np.empty((p, p))
    for a in range(0, p, 12):
        b = min(a + 12, p)
        out[a:b, :b] = np.einsum("ni,nj->ij", dev[:, a:b], dev[:, :b])
    upper = np.triu_indices(p, 1)
    out[upper] = out.T[upper]
    return out


def complete_moments(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, deviations from it and covariance matrix (divisor n) of an (n, p) array without NaN,
    computed as `group_data` computes them."""
    mean = Y.mean(axis=0)
    dev = Y - mean
    return mean, dev, _cross_products(dev) / len(Y)  # einsum's sums: steadier than threaded BLAS


def group_data(Y: np.ndarray, *, complete: bool | None = None, moments: tuple | None = None) -> GroupData:
    """Pattern blocks, saturated moments and baseline log-likelihood of an (n, p) array
    (NaN = missing). `complete=True` says that Y has no NaN (not checked: saves its passes);
    `moments`: ``complete_moments(Y)`` when the caller has it already."""
    n, p = Y.shape
    if complete is None:
        complete = not np.isnan(Y).any()
    if complete:  # listwise: one pattern, the rows in their order
        obs = None
        keys, groups = np.ones((1, p), dtype=bool), [None]
    else:
        obs = ~np.isnan(Y)
        _, first, inverse = np.unique(_row_keys(obs), return_index=True, return_inverse=True)
        order = np.argsort(inverse.ravel(), kind="stable")
        groups = np.split(order, np.cumsum(np.bincount(inverse.ravel()))[:-1])
        keys = obs[first]
    by_k: dict[int, list] = {}
    for key, rows_idx in zip(keys, groups, strict=True):
        if rows_idx is None:
            mean, dev, S = moments if moments is not None else complete_moments(Y)
            rows = Y
        else:
            rows = Y[np.ix_(rows_idx, np.flatnonzero(key))]
            mean, _, S = complete_moments(rows)
        pattern = (np.flatnonzero(key), np.flatnonzero(~key), len(rows), mean, S)
        by_k.setdefault(int(key.sum()), []).append(pattern)
    blocks = []
    for k, v in sorted(by_k.items()):
        idx, miss, nn, ybar, S = (np.array(a) for a in zip(*v, strict=True))
        blocks.append(Block(idx, miss.reshape(len(v), p - k), nn.astype(float), ybar, S))
    if complete:
        ybar, S = blocks[0].ybar[0], blocks[0].S[0]
    else:
        ybar, S = em_moments(Y, blocks)
    pads = []
    for b in blocks:
        P = len(b.n)
        o = np.zeros((P, p), bool)
        o[np.arange(P)[:, None], b.idx] = True
        yb, Sp = np.zeros((P, p)), np.zeros((P, p, p))
        yb[np.arange(P)[:, None], b.idx] = b.ybar
        Sp[np.arange(P)[:, None, None], b.idx[:, :, None], b.idx[:, None, :]] = b.S
        pads.append((o, b.n, yb, Sp))
    o, nn, yb, Sp = (np.concatenate(a) for a in zip(*pads, strict=True))
    step = max(1, int(4e6 // (p * p)))  # at most ~32 MB per chunk
    cut = range(0, len(nn), step)
    padded = [Padded(*(a[i : i + step] for a in (o, nn, yb, Sp))) for i in cut]
    gd = GroupData(n, blocks, padded, n * p if complete else int(obs.sum()), ybar, S)
    gd.logl_h1 = -0.5 * (minus2_terms(S, ybar, padded)[0] + LOG2PI * gd.n_obs)
    # baseline (independence) model: per-variable ML mean and variance of the observed values;
    # complete data: mean() is nanmean() to the last bit, and Y - mean() is the pattern's dev
    if complete:
        v = (dev**2).mean(axis=0)
        counts = np.full(p, n)
    else:
        m = np.nanmean(Y, axis=0)
        v = np.nanmean((Y - m) ** 2, axis=0)
        counts = obs.sum(axis=0)
    gd.logl_baseline = float(-0.5 * (counts * (LOG2PI + np.log(v) + 1.0)).sum())
    return gd


def _row_keys(obs: np.ndarray) -> np.ndarray:
    """One sortable key per row of a boolean array, ordered as the rows' packed bytes: a big-endian
    integer when they fit 8 bytes (sorted far faster than the byte strings, in the same order),
    else the byte strings."""
    packed = np.packbits(obs, axis=1)
    width = packed.shape[1]
    if width <= 8:
        padded = np.zeros((len(obs), 8), dtype=np.uint8)
        padded[:, :width] = packed
        return padded.view(">u8").ravel()
    return np.ascontiguousarray(packed).view(np.dtype((np.void, width))).ravel()


def em_moments(Y: np.ndarray, blocks: list) -> tuple[np.ndarray, np.ndarray]:
    """Saturated mean and covariance under MAR by EM, step for step as lavaan 0.6
    (lav_mvnorm_missing_h1_estimate_moments: start diag, stop when max |change| < 1e-5)."""
    n, p = Y.shape
    mu0 = np.nanmean(Y, axis=0)
    var0 = np.nanmean((Y - mu0) ** 2, axis=0)
    var0[~np.isfinite(var0) | (var0 == 0)] = 1.0
    mu, sigma = mu0, np.diag(var0)
    for _ in range(EM_MAX_ITER):
        T1, T2 = np.zeros(p), np.zeros((p, p))
        for b in blocks:
            nn = b.n
            sy = nn[:, None] * b.ybar
            Q = nn[:, None, None] * (b.S + b.ybar[:, :, None] * b.ybar[:, None, :])
            o, mi = b.idx, b.miss
            np.add.at(T1, o, sy)
            np.add.at(T2, (o[:, :, None], o[:, None, :]), Q)
            if mi.shape[1] == 0:
                continue
            Soo = sigma[o[:, :, None], o[:, None, :]]
            Som = sigma[o[:, :, None], mi[:, None, :]]
            B = np.linalg.solve(Soo, Som).transpose(0, 2, 1)  # (P, pm, k)
            a = mu[mi] - np.einsum("pmk,pk->pm", B, mu[o])
            Bsy = np.einsum("pmk,pk->pm", B, sy)
            np.add.at(T1, mi, nn[:, None] * a + Bsy)
            mo = nn[:, None, None] * a[:, :, None] * b.ybar[:, None, :] + B @ Q
            np.add.at(T2, (mi[:, :, None], o[:, None, :]), mo)
            np.add.at(T2, (o[:, :, None], mi[:, None, :]), mo.transpose(0, 2, 1))
            C = sigma[mi[:, :, None], mi[:, None, :]] - B @ Som
            aBsy = a[:, :, None] * Bsy[:, None, :]
            mm = nn[:, None, None] * (a[:, :, None] * a[:, None, :] + C) + aBsy
            mm += aBsy.transpose(0, 2, 1) + B @ Q @ B.transpose(0, 2, 1)
            np.add.at(T2, (mi[:, :, None], mi[:, None, :]), mm)
        new_mu = T1 / n
        new_sigma = T2 / n - np.outer(new_mu, new_mu)
        if np.linalg.eigvalsh(new_sigma).min() < 1e-6:
            new_sigma[np.diag_indices(p)] += new_sigma.diagonal().max() * 1e-8
        tri = np.tril_indices(p)
        delta = max(np.abs(new_mu - mu).max(), np.abs(new_sigma[tri] - sigma[tri]).max())
        mu, sigma = new_mu, new_sigma
        if delta < EM_TOL:
            break
    return mu, sigma


@functools.lru_cache(maxsize=16)
def _eye(p: int) -> np.ndarray:
    eye = np.eye(p, dtype=bool)
    eye.flags.writeable = False
    return eye


def minus2_terms(sigma, mu, padded, grad=False):
    """sum_p n_p [log|S_oo| + tr(S_oo^-1 (S_p + d d'))] and its derivatives with respect to
    Sigma (elementwise, p x p) and mu. Each pattern's Sigma is padded with an identity block
    for its missing variables (same determinant and trace, one batched call for all patterns).
    Raises LinAlgError when a S_oo is not positive definite."""
    p = len(mu)
    eye = _eye(p)
    total, G, gmu = 0.0, np.zeros((p, p)), np.zeros(p)
    for b in padded:
        if b.both is None:  # computed at the first evaluation, kept for the optimiser's next ones
            b.both = b.obs[:, :, None] & b.obs[:, None, :]
        both = b.both
        Soo = np.where(both, sigma, eye)
        L = np.linalg.cholesky(Soo)
        logdet = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
        inv = np.linalg.inv(Soo)
        d = np.where(b.obs, b.ybar - mu, 0.0)
        M = b.S + d[:, :, None] * d[:, None, :]
        total += float((b.n * (logdet + np.einsum("pij,pji->p", inv, M))).sum())
        if grad:
            G += np.einsum("p,pij->ij", b.n, np.where(both, inv - inv @ M @ inv, 0.0))
            gmu -= 2.0 * np.einsum("p,pij,pj->i", b.n, inv, d)
    return total, G, gmu


# --------------------------------------------------------------------------------------------
# parameter tables of the models fitted by analysis.sem
# --------------------------------------------------------------------------------------------
def row(group, matrix, row, col, free, value=np.nan, label=None):
    """One parameter-table row."""
    return {"group": group, "matrix": matrix, "row": row, "col": col, "free": bool(free),
            "value": value, "label": label}


def cfa_table(factors, items, n_groups, *, std_lv, means, equal):
    """lavaan's cfa() parameter table: markers (or unit variances), correlated factors, residual
    variances, intercepts and latent means (0, or free beyond group 1 under equal intercepts)."""
    at = {c: i for i, c in enumerate(items)}
    t = []
    for g in range(n_groups):
        for c, its in enumerate(factors.values()):
            for j, it in enumerate(its):
                fix = j == 0 and not std_lv
                lab = f"lambda_{at[it]}_{c}" if "loadings" in equal and not fix else None
                t.append(row(g, "lambda", at[it], c, not fix, 1.0 if fix else np.nan, lab))
            free_var = not std_lv or (g > 0 and "loadings" in equal)
            t.append(row(g, "psi", c, c, free_var, 1.0 if std_lv else np.nan))
            t += [row(g, "psi", c, b, True) for b in range(c)]
            if means:
                t.append(row(g, "alpha", c, 0, g > 0 and "intercepts" in equal, 0.0))
        for r in range(len(items)):
            t.append(row(g, "theta", r, r, True))
            if means:
                lab = f"nu_{r}" if "intercepts" in equal else None
                t.append(row(g, "nu", r, 0, True, label=lab))
    return pd.DataFrame(t)


def dyad_table(f1, f2, items, names, level):
    """dySEM scriptCFA(scaleset = "FF") parameter table for one invariance level."""
    at = {c: i for i, c in enumerate(items)}
    t = []
    for p, fac in ((1, f1), (2, f2)):
        for name, its in fac.items():
            c = names.index(f"{name}_{p}")
            for j, it in enumerate(its):
                lab = f"lambda_{name}_{j}" if level != "configural" else None
                t.append(row(0, "lambda", at[it], c, True, label=lab))
                t.append(row(0, "theta", at[it], at[it], True))
                lab = f"nu_{name}_{j}" if level == "scalar" else None
                t.append(row(0, "nu", at[it], 0, True, label=lab))
                if p == 2:  # residual covariance with the same item of partner 1
                    t.append(row(0, "theta", at[it], at[f1[name][j]], True))
            t.append(row(0, "psi", c, c, p == 2 and level != "configural", 1.0))
            t.append(row(0, "alpha", c, 0, p == 2 and level == "scalar", 0.0))
    t += [row(0, "psi", a, b, True) for a in range(len(names)) for b in range(a)]
    return pd.DataFrame(t)


class Model:
    """A compiled parameter table: maps the free-parameter vector x to each group's matrices."""

    def __init__(self, table: pd.DataFrame, p: int, m: int, n_groups: int, meanstructure: bool):
        self.p, self.m, self.n_groups, self.meanstructure = p, m, n_groups, meanstructure
        table = table.reset_index(drop=True).copy()
        keys = [lab if isinstance(lab, str) else f"_{i}" for i, lab in enumerate(table["label"])]
        index: dict[str, int] = {}
        table["param"] = [index.setdefault(k, len(index)) if free else -1
                          for k, free in zip(keys, table["free"], strict=True)]
        self.table, self.q = table, len(index)
        shapes = {"lambda": (p, m), "psi": (m, m), "theta": (p, p), "nu": (p, 1), "alpha": (m, 1)}
        self.fixed = [{k: np.zeros(s) for k, s in shapes.items()} for _ in range(n_groups)]
        self.free = {k: [] for k in MATRICES}  # (group, row, col, param) incl. mirrored entries
        for r in table.itertuples():
            mirror = r.matrix in ("psi", "theta") and r.row != r.col
            for i, j in [(r.row, r.col)] + ([(r.col, r.row)] if mirror else []):
                if r.free:
                    self.free[r.matrix].append((r.group, i, j, r.param))
                else:
                    self.fixed[r.group][r.matrix][i, j] = r.value
        self.free = {k: np.array(v, dtype=int).reshape(-1, 4) for k, v in self.free.items()}
        # per group: matrix -> (rows, cols, params) of its free entries (used at every evaluation)
        self._entries = [{k: (e[:, 1], e[:, 2], e[:, 3]) for k, ent in self.free.items()
                          if len(e := ent[ent[:, 0] == g])} for g in range(n_groups)]

    def matrices(self, x: np.ndarray, g: int) -> dict:
        mats = {k: v.copy() for k, v in self.fixed[g].items()}
        for k, (rows, cols, params) in self._entries[g].items():
            mats[k][rows, cols] = x[params]
        return mats

    def implied(self, x, g):
        M = self.matrices(x, g)
        L, P = M["lambda"], M["psi"]
        return L @ P @ L.T + M["theta"], (M["nu"] + L @ M["alpha"]).ravel(), M

    def start(self, data: list[GroupData]) -> np.ndarray:
        """Starting values: the table's value where given, else from each factor's first
        principal component of the group's (saturated) covariance matrix."""
        x = np.full(self.q, np.nan)
        tab = self.table
        group, col, free = tab["group"].to_numpy(), tab["col"].to_numpy(), tab["free"].to_numpy(dtype=bool)
        is_lambda = (tab["matrix"] == "lambda").to_numpy()
        rows_of, values = tab["row"].to_numpy(), tab["value"].to_numpy(dtype=float)
        records = list(tab[["matrix", "row", "col", "value", "param"]].itertuples(index=False, name=None))
        for g, gd in enumerate(data):
            S = gd.S
            lam = np.zeros((self.p, self.m))
            psi = np.ones(self.m)
            for c in range(self.m):
                at = np.flatnonzero((group == g) & is_lambda & (col == c))
                items = rows_of[at]
                w, v = np.linalg.eigh(S[np.ix_(items, items)])
                load = v[:, -1] * np.sqrt(max(w[-1], 1e-8))
                load = -load if load[0] < 0 else load  # first loading positive, as lavaan
                if not free[at[0]] and values[at[0]] != 0:  # marker: rescale to its loading
                    psi[c] = load[0] ** 2 / values[at[0]] ** 2
                    load = load / np.sqrt(psi[c])
                lam[items, c] = load
            for i in np.flatnonzero((group == g) & free):
                matrix, r, c, value, param = records[i]
                if param < 0 or np.isfinite(x[param]):
                    continue
                if np.isfinite(value):
                    val = value
                elif matrix == "lambda":
                    val = lam[r, c]
                elif matrix == "psi":
                    val = psi[r] if r == c else 0.0
                elif matrix == "theta":
                    val = 0.5 * S[r, r] if r == c else 0.0
                elif matrix == "nu":
                    val = gd.ybar[r]
                else:
                    val = 0.0
                x[param] = val
        return x

    def objective(self, x, data, N):
        """F(x) = -2 logL / N up to a constant, and its gradient."""
        total, grad = 0.0, np.zeros(self.q)
        for g, gd in enumerate(data):
            sigma, mu, M = self.implied(x, g)
            if not self.meanstructure:
                mu = gd.ybar
            try:
                val, G, gmu = minus2_terms(sigma, mu, gd.padded, grad=True)
            except np.linalg.LinAlgError:
                return 1e10, np.zeros(self.q)
            total += val
            L, P, a = M["lambda"], M["psi"], M["alpha"]
            dL = 2.0 * G @ L @ P + (np.outer(gmu, a) if self.meanstructure else 0.0)
            d = {"lambda": dL, "psi": L.T @ G @ L, "theta": G, "nu": gmu[:, None],
                 "alpha": (L.T @ gmu)[:, None]}
            for k, (rows, cols, params) in self._entries[g].items():
                grad += np.bincount(params, weights=d[k][rows, cols], minlength=self.q)
        return total / N, grad / N

    def jacobian(self, x, g):
        """d vec(Sigma_g) / dx (q, p, p) and d mu_g / dx (q, p)."""
        _, _, M = self.implied(x, g)
        L, P, a = M["lambda"], M["psi"], M["alpha"].ravel()
        LP = L @ P
        dS, dm = np.zeros((self.q, self.p, self.p)), np.zeros((self.q, self.p))
        for mat, ent in self.free.items():
            for _, i, j, k in ent[ent[:, 0] == g]:
                if mat == "lambda":
                    dS[k, i, :] += LP[:, j]
                    dS[k, :, i] += LP[:, j]
                    dm[k, i] += a[j]
                elif mat == "psi":
                    dS[k] += np.outer(L[:, i], L[:, j])
                elif mat == "theta":
                    dS[k, i, j] += 1.0
                elif mat == "nu":
                    dm[k, i] += 1.0
                else:
                    dm[k] += L[:, i]
        return dS, dm


def expected_information(model: Model, data: list[GroupData], x: np.ndarray) -> np.ndarray:
    """The expected (Fisher) information of the whole sample at x (complete-data ML)."""
    info = np.zeros((model.q, model.q))
    for gi, gd in enumerate(data):
        sigma, _, _ = model.implied(x, gi)
        W = np.linalg.inv(sigma)
        dS, dm = model.jacobian(x, gi)
        # B_k = W dS_k and 0.5 tr(B_i B_j) as einsum("ab,kbc->kac", W, dS) and einsum("iab,jba->ij",
        # B, B): the same sums in the same order (the same numbers, tests/test_speed_paths.py) as
        # two-operand einsums on contiguous rows, in about 40% of their time
        q, p = len(dS), len(W)
        B = np.einsum("ab,bx->ax", W, dS.transpose(1, 0, 2).reshape(p, -1)).reshape(p, q, p)  # [a, k, c]
        block = 0.5 * np.einsum("ik,jk->ij", B.transpose(1, 0, 2).reshape(q, -1), B.transpose(1, 2, 0).reshape(q, -1))
        if model.meanstructure:
            block += dm @ W @ dm.T
        info += gd.n * block
    return info


def fit(model: Model, data: list[GroupData], x0: np.ndarray, information: str | None,
        scoring_steps: int = 0) -> dict:
    """Minimise F by L-BFGS-B; return estimates, their covariance matrix and the log-likelihood.
    `information`: "expected" (lavaan's default for complete-data ML), "observed" (its default
    for FIML: the Hessian, by central differences of the analytic gradient) or None (no SEs).
    `scoring_steps`: at most this many Fisher-scoring steps after L-BFGS-B (each kept only if
    it lowers F), which take the gradient from ~1e-8 to ~1e-10 (used by `srm`)."""
    N = sum(gd.n for gd in data)
    options = {"maxiter": MAX_ITER, "maxfun": 4 * MAX_ITER, "ftol": 1e-15, "gtol": 1e-10,
               "maxcor": 30}
    res = optimize.minimize(model.objective, x0, args=(data, N), jac=True, method="L-BFGS-B",
                            options=options)
    x = res.x
    f, g = model.objective(x, data, N)
    for _ in range(scoring_steps if np.isfinite(f) and f < 1e9 else 0):
        try:
            step = np.linalg.solve(2.0 / N * expected_information(model, data, x), g)
        except np.linalg.LinAlgError:
            break
        f_new, g_new = model.objective(x - step, data, N)
        if not f_new <= f:
            break
        x, f, g = x - step, f_new, g_new
    converged = bool(np.isfinite(f) and f < 1e9 and np.abs(g).max() < GRAD_TOL)
    info = np.zeros((model.q, model.q))
    if information == "expected":
        info = expected_information(model, data, x)
    elif information == "observed":
        h = 1e-5 * np.maximum(1.0, np.abs(x))
        H = np.empty((model.q, model.q))
        for k, e in enumerate(np.diag(h)):
            H[k] = model.objective(x + e, data, N)[1] - model.objective(x - e, data, N)[1]
            H[k] /= 2 * h[k]
        info = 0.5 * N * (H + H.T) / 2
    try:
        vcov = np.linalg.inv(info) if information else np.full_like(info, np.nan)
        singular = bool(information) and (np.linalg.cond(info) > 1e12 or min(np.diag(vcov)) < 0)
    except np.linalg.LinAlgError:
        vcov, singular = np.full_like(info, np.nan), True
    logl = 0.0
    for gi, gd in enumerate(data):
        sigma, mu, _ = model.implied(x, gi)
        if not model.meanstructure:
            mu = gd.ybar
        logl += -0.5 * (minus2_terms(sigma, mu, gd.padded)[0] + LOG2PI * gd.n_obs)
    return {"x": x, "vcov": vcov, "singular": singular, "converged": converged,
            "iterations": res.nit, "logl": logl, "N": N}


def fit_measures(model: Model, data: list[GroupData], out: dict) -> dict:
    """lavaan's fitMeasures(): chisq, df, CFI, TLI, RMSEA (+ 90% CI), SRMR (Bentler), AIC, BIC."""
    x, N, G, p = out["x"], out["N"], len(data), model.p
    logl_h1 = sum(gd.logl_h1 for gd in data)
    chisq = max(2.0 * (logl_h1 - out["logl"]), 0.0)
    df = G * (p * (p + 1) // 2 + (p if model.meanstructure else 0)) - model.q
    base = 2.0 * (logl_h1 - sum(gd.logl_baseline for gd in data))
    base_df = G * p * (p - 1) // 2
    t1, t2 = max(chisq - df, 0.0), max(chisq - df, base - base_df, 0.0)
    cfi = 1.0 if t1 == 0 and t2 == 0 else 1.0 - t1 / t2
    tli = (base / base_df - chisq / df) / (base / base_df - 1.0) if df > 0 else 1.0
    rmsea = np.sqrt(max(chisq / N / df - 1.0 / N, 0.0)) * np.sqrt(G) if df > 0 else 0.0
    lo, hi = rmsea_ci(chisq, df, N, G)
    srmr = 0.0
    for gi, gd in enumerate(data):
        sigma, mu, _ = model.implied(x, gi)
        sd = np.sqrt(np.diag(gd.S))
        R = (gd.S - sigma) / np.outer(sd, sd)
        sq, e = (R[np.tril_indices(p)] ** 2).sum(), p * (p + 1) / 2
        if model.meanstructure:
            sq, e = sq + (((gd.ybar - mu) / sd) ** 2).sum(), e + p
        srmr += gd.n / N * np.sqrt(sq / e)
    p_value = stats.chi2.sf(chisq, df) if df > 0 else np.nan
    aic, bic = -2 * out["logl"] + 2 * model.q, -2 * out["logl"] + model.q * np.log(N)
    return {"chi_square": chisq, "df": df, "p_value": p_value, "cfi": cfi, "tli": tli,
            "rmsea": rmsea, "rmsea_ci_low": lo, "rmsea_ci_high": hi, "srmr": srmr, "aic": aic,
            "bic": bic, "n": N, "loglik": out["logl"], "npar": model.q,
            "baseline_chi_square": base, "baseline_df": base_df}


def rmsea_ci(chisq, df, N, G, level=0.90):
    """lavaan's 90% RMSEA interval: noncentrality values where P(X2; df, lambda) = .95 / .05."""
    if df < 1:
        return 0.0, 0.0

    def cdf(lam):
        if not 0 < chisq < np.inf:  # the support's edge: scipy.stats' rules
            return stats.chi2.cdf(chisq, df) if lam <= 0 else stats.ncx2.cdf(chisq, df, lam)
        # the special functions scipy.stats calls (same numbers, without its per-call overhead)
        return special.chdtr(df, chisq) if lam <= 0 else special.chndtr(chisq, df, lam)

    upper_p, lower_p = 1 - (1 - level) / 2, (1 - level) / 2
    def root(prob, top):
        lam = optimize.brentq(lambda lam: cdf(lam) - prob, 0.0, top, xtol=1e-12)
        return np.sqrt(lam / (N * df) * G)

    lo = 0.0 if cdf(0.0) < upper_p else root(upper_p, chisq)
    top = max(N, chisq * 4)
    hi = 0.0 if cdf(top) > lower_p or cdf(0.0) < lower_p else root(lower_p, top)
    return lo, hi


def estimates(model: Model, out: dict) -> pd.DataFrame:
    """Every row of the parameter table with estimate, se, z, p and lavaan's std.all."""
    tab, x = model.table.copy(), out["x"]
    se_all = np.full(model.q, np.nan) if out["singular"] else np.sqrt(np.diag(out["vcov"]))
    free = tab["param"].to_numpy() >= 0
    k = np.maximum(tab["param"].to_numpy(), 0)
    tab["estimate"] = np.where(free, x[k], tab["value"])
    tab["se"] = np.where(free, se_all[k], np.nan)
    sds = []
    for g in range(model.n_groups):
        sigma, _, M = model.implied(x, g)
        with np.errstate(invalid="ignore"):  # a negative variance gives NaN, as lavaan
            sds.append((np.sqrt(np.diag(sigma)), np.sqrt(np.diag(M["psi"]))))
    scale = []  # std.all: divide by the SDs of the variables each parameter connects
    for g, mat, r, c in zip(tab["group"], tab["matrix"], tab["row"], tab["col"], strict=True):
        so, sl = sds[g]
        if mat in ("lambda", "theta"):
            scale.append((sl[c] if mat == "lambda" else 1 / so[c]) / so[r])
        else:
            scale.append(1 / so[r] if mat == "nu" else 1 / (sl[r] * (sl[c] if mat == "psi" else 1)))
    with np.errstate(divide="ignore", invalid="ignore"):
        tab["z"] = np.where(free, tab["estimate"] / tab["se"], np.nan)
        tab["std_estimate"] = tab["estimate"] * np.array(scale)
    tab["p_value"] = 2 * stats.norm.sf(np.abs(tab["z"]))
    return tab
