"""Private engine of the PROCESS-style models: design matrices, fits and a batched bootstrap.

The bootstrap never refits resamples one by one. A resample is a vector of multinomial counts
(how often each case was drawn); the weighted cross-products ``X'CX`` and ``X'Cy`` of every
resample of a chunk are one matrix product of the counts matrix (resamples x cases) with the
matrix of per-case products ``x_i x_j`` and ``x_i y``, and the small normal equations are then
solved as one stack (``np.linalg.solve``). Logistic outcome equations use the same products in
batched Newton-Raphson steps. The case indices are those of ``default_rng(seed).integers``,
computed from the generator's raw stream (`_Draws`) and, for a large round, on a second thread
while the counts are made and multiplied (`_KeyStream`): the same resamples either way. The counts
come from scipy's ``coo_todense`` (`_Tally`), which, unlike ``np.bincount``, runs without the GIL,
so the two threads do not stall each other; the buffers of a chunk are kept per thread between
calls (`_scratch`). The point fits are statsmodels' numbers, computed with its numpy calls (`_ols`)
where its objects cost more than the fit.
"""

from __future__ import annotations

import functools
import math
import os
import queue
import sys
import threading
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import special, stats
from statsmodels.discrete.discrete_model import Logit  # not statsmodels.api: ~0.4 s more to import
from statsmodels.regression.linear_model import OLS

from analysis._checks import _as_list, _require_columns
from analysis.exceptions import AnalysisWarning, DataError, ParameterError

__all__ = ["Equation", "term_name", "design", "prepare", "Fit", "fit_equation", "interaction_test", "bootstrap",
           "boot_ci", "check_probe", "probe_values", "PROBE_RULES", "warn_failed"]

#: resamples x cases held in memory at once (counts matrix of one chunk)
CHUNK_CELLS = 2**16
#: a round of at least this many drawn cases draws them on a second thread (see _KeyStream)
THREAD_CELLS = 2**18


@dataclass(frozen=True)
class Equation:
    """One regression of a PROCESS model: `outcome` on an intercept and `terms`; a term is a
    tuple of column names whose product is the predictor (``("x", "w")`` is X*W)."""

    outcome: str
    terms: tuple
    logistic: bool = False

    @property
    def names(self) -> list[str]:
        return ["constant"] + [term_name(t) for t in self.terms]


def term_name(term: tuple) -> str:
    return "*".join(term)


def design(frame: pd.DataFrame, terms) -> np.ndarray:
    """Intercept plus one column per term (products of the named columns)."""
    column = _column_reader(frame)
    cols = [np.ones(len(frame))]
    for term in terms:
        col = np.ones(len(frame))
        for name in term:
            col = col * column(name)
        cols.append(col)
    return np.column_stack(cols)


def _column_reader(frame: pd.DataFrame):
    """``name -> frame[name].to_numpy(dtype=float)`` (the same values), taken from the frame's one
    float block when it has one (a view, not a pandas column each time: the prepared frames of
    these models are all float)."""
    try:
        values = frame.to_numpy(dtype=float, copy=False)
    except (TypeError, ValueError):
        return lambda name: frame[name].to_numpy(dtype=float)
    if not frame.columns.is_unique:
        return lambda name: frame[name].to_numpy(dtype=float)
    position = {name: j for j, name in enumerate(frame.columns)}
    return lambda name: values[:, position[name]]


def prepare(data: pd.DataFrame, columns: dict[str, object], *,
            binary: tuple = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate the role columns, drop incomplete rows listwise and list them.

    `columns` maps a role name (``"x"``, ``"covariates"``) to a column name or list of names.
    Returns the complete cases (numeric, float) and the ``excluded`` table, one row per row of
    `data` left out: ``row`` (index label in `data`) and ``reason`` (``"missing value in x, m"``,
    the model variables missing in that row, in role order).
    """
    names: list[str] = []
    for role, value in columns.items():
        for col in _as_list(value):
            if not isinstance(col, str):
                raise ParameterError(f"`{role}` must name columns of `data`, but {col!r} was passed.")
            if col in names:
                raise ParameterError(f"Column {col!r} is given twice (again as `{role}`); each variable has one role.")
            names.append(col)
    _require_columns(data, names)
    values = np.empty((len(data), len(names)))
    for j, col in enumerate(names):  # column by column: no copy of the frame
        column = data[col]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            try:
                column = pd.to_numeric(column, errors="raise")
            except (TypeError, ValueError):
                raise DataError(f"Column {col!r} is not numeric (dtype {data[col].dtype}); "
                                "recode it to numbers first.") from None
        values[:, j] = column.to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    complete = ~missing.any(axis=1)
    reasons = [f"missing value in {', '.join(c for c, m in zip(names, row, strict=True) if m)}"
               for row in missing[~complete]]  # fmt: skip
    excluded = pd.DataFrame({"row": list(data.index[~complete]), "reason": reasons})
    values = values[complete]
    frame = pd.DataFrame(values, index=data.index[complete], columns=names)
    if len(frame) < len(names) + 3:
        raise DataError(f"Only {len(frame)} complete rows for {len(names)} variables ({', '.join(names)}); "
                        "the model needs more cases than parameters.")
    for col, spread in zip(names, np.ptp(values, axis=0), strict=True):
        if spread == 0:
            raise DataError(f"Column {col!r} is constant in the complete rows; a constant cannot be a model variable.")
    for col in binary:
        values = set(np.unique(frame[col]))
        if not values <= {0.0, 1.0}:
            raise DataError(f"Column {col!r} must be coded 0/1 for a logistic outcome, "
                            f"but has values {sorted(values)[:6]}.")
    return frame, excluded


def _t_p(stat, df):
    """Two-sided t p-value: ``2 * scipy.stats.t.sf(|stat|, df)``, the same special function
    without the distribution machinery (same numbers, nan and inf included)."""
    return 2 * special.stdtr(df, -np.abs(stat))


def _t_crit(ci: float, df) -> float:
    """``scipy.stats.t.ppf(0.5 + ci / 2, df)`` (ci in (0, 1))."""
    return special.stdtrit(df, 0.5 + ci / 2)


def _f_sf(f, df1, df2) -> float:
    """``scipy.stats.f.sf(f, df1, df2)`` for one F (1 at F <= 0, nan for nan)."""
    if np.isnan(f):
        return np.nan
    return 1.0 if f <= 0 else float(special.fdtrc(df1, df2, f))


@dataclass(frozen=True)
class _Ols:
    """An OLS fit computed with the calls of statsmodels' ``OLS(y, X).fit()`` (method "pinv",
    nonrobust; X of full rank with an intercept column), so the numbers are the same to the last
    bit, without its model and results objects (most of its time here)."""

    coef: np.ndarray
    vcov: np.ndarray
    df_resid: float
    ssr: float
    rsquared: float


def _ols(X: np.ndarray, y: np.ndarray, svd: tuple | None = None) -> _Ols:
    # statsmodels.tools.tools.pinv_extended(X), then RegressionModel.fit / RegressionResults
    u, s, vt = np.linalg.svd(X, False) if svd is None else svd
    cutoff = 1e-15 * np.maximum.reduce(s)
    s = np.where(s > cutoff, 1.0 / s, 0.0)
    pinv = np.dot(np.transpose(vt), np.multiply(s[:, np.newaxis], np.transpose(u)))
    coef = np.dot(pinv, y)
    df_resid = float(X.shape[0] - X.shape[1])  # nobs - rank (full rank checked by the caller)
    resid = y - np.dot(X, coef)
    ssr = np.dot(resid, resid)
    vcov = np.dot(pinv, np.transpose(pinv)) * (ssr / df_resid)
    # OLS is WLS with unit weights: its centered_tss, sum(w * (y - average(y, weights=w)) ** 2) with
    # w = 1, is this to the last bit (times 1.0 and a sum of ones change nothing)
    tss = np.sum((y - y.sum() / len(y)) ** 2)
    return _Ols(coef, vcov, df_resid, ssr, 1 - ssr / tss)


@dataclass(frozen=True)
class Fit:
    """Point estimates of one equation; `table` (one row per term) is built when first used."""

    equation: Equation
    coef: np.ndarray
    vcov: np.ndarray
    df_resid: float
    fit: dict
    se: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray
    crit: float

    @cached_property
    def table(self) -> pd.DataFrame:
        """``outcome``, ``term``, ``estimate``, ``se``, ``statistic``, ``df``, ``p_value``,
        ``ci_low``, ``ci_high``."""
        return pd.DataFrame(self.columns())

    def columns(self) -> dict:
        """The columns of `table`, as arrays."""
        coef, se, k = self.coef, self.se, len(self.coef)
        return {"outcome": [self.equation.outcome] * k, "term": self.equation.names, "estimate": coef, "se": se,
                "statistic": self.statistic, "df": np.full(k, float(self.df_resid)), "p_value": self.p_value,
                "ci_low": coef - self.crit * se, "ci_high": coef + self.crit * se}


def _rank(X: np.ndarray, svd: tuple | None) -> int:
    """``np.linalg.matrix_rank(X)``, from the singular values of `svd` when given (the fit's own).

    matrix_rank's tolerance, ``max(s) * max(n, k) * eps``, on the full SVD's singular values,
    which may differ from its values-only SVD in the last bits: the answer differs only for a
    design whose smallest singular value is within a few ulps of that tolerance."""
    if svd is None:
        return int(np.linalg.matrix_rank(X))
    s = svd[1]
    return int(np.count_nonzero(s > s.max() * max(X.shape) * np.finfo(s.dtype).eps))


def fit_equation(frame: pd.DataFrame, eq: Equation, *, robust: str | None = None, ci: float = 0.95) -> Fit:
    """OLS (classical or, with ``robust="HC3"``, HC3 covariance; t tests) or maximum-likelihood
    logistic regression (`robust` does not apply)."""
    X = design(frame, eq.terms)
    y = np.ascontiguousarray(_column_reader(frame)(eq.outcome))
    n, k = X.shape
    svd = np.linalg.svd(X, False) if not eq.logistic and robust != "HC3" else None
    if _rank(X, svd) < k:
        raise DataError(f"The predictors of {eq.outcome!r} ({', '.join(eq.names[1:])}) are collinear; drop one.")
    if eq.logistic:
        res = Logit(y, X).fit(disp=0, method="newton", maxiter=100, tol=1e-12)
        coef, vcov = res.params, res.cov_params()
        stat = coef / np.sqrt(np.diag(vcov))
        p = 2 * stats.norm.sf(np.abs(stat))
        crit = stats.norm.ppf(0.5 + ci / 2)
        df_resid = np.inf
        fit = {"outcome": eq.outcome, "n": n, "model": "logistic", "minus2ll": -2 * res.llf,
               "chi2": res.llr, "df1": k - 1, "p_value": res.llr_pvalue, "r2_mcfadden": res.prsquared}
    else:
        if robust == "HC3":
            res = OLS(y, X).fit(cov_type="HC3", use_t=True)
            coef, vcov, df_resid, r2, mse = res.params, res.cov_params(), res.df_resid, res.rsquared, res.mse_resid
        else:
            ols = _ols(X, y, svd)
            coef, vcov, df_resid, r2 = ols.coef, ols.vcov, ols.df_resid, ols.rsquared
            mse = ols.ssr / df_resid
        stat = coef / np.sqrt(np.diag(vcov))
        p = _t_p(stat, df_resid)
        crit = _t_crit(ci, df_resid)
        if k > 1:  # omnibus test of all predictors: Wald F (equals the classical F without HC3)
            R = np.eye(k)[1:]
            b = R @ coef
            f_stat = float(b @ np.linalg.solve(R @ vcov @ R.T, b) / (k - 1))
        else:
            f_stat = np.nan
        fit = {"outcome": eq.outcome, "n": n, "model": "OLS (HC3)" if robust == "HC3" else "OLS", "r2": r2,
               "mse": mse, "f": f_stat, "df1": k - 1, "df2": df_resid,
               "p_value": _f_sf(f_stat, k - 1, df_resid)}
    se = np.sqrt(np.diag(vcov))
    return Fit(eq, np.asarray(coef), np.asarray(vcov), df_resid, fit, se, stat, p, crit)


def interaction_test(frame: pd.DataFrame, eq: Equation, fit: Fit, terms: list[tuple]) -> dict:
    """PROCESS's test of the highest-order interaction(s): R-squared change and F (Wald F with HC3)."""
    idx = [eq.names.index(term_name(t)) for t in terms]
    R = np.eye(len(fit.coef))[idx]
    b = R @ fit.coef
    f_stat = float(b @ np.linalg.solve(R @ fit.vcov @ R.T, b) / len(idx))
    reduced = Equation(eq.outcome, tuple(t for t in eq.terms if t not in terms))
    y = frame[eq.outcome].to_numpy(dtype=float)
    r2_reduced = _ols(design(frame, reduced.terms), y).rsquared
    return {"term": " + ".join(term_name(t) for t in terms), "r2_change": fit.fit["r2"] - r2_reduced,
            "f": f_stat, "df1": len(idx), "df2": fit.df_resid, "p_value": _f_sf(f_stat, len(idx), fit.df_resid)}


# ------------------------------------------------------------------------------------------
# batched bootstrap
# ------------------------------------------------------------------------------------------


def _pairs(k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(k)


_HALF_BITS = np.uint64(32)


class _Draws:
    """The resampled case indices, in the stream of ``rng.integers(0, n, size, dtype=np.int32)``.

    Numpy draws those with Lemire's method on 32-bit halves of the bit generator's 64-bit outputs
    (low half first, an odd half kept for the next call): ``u * n >> 32``, a draw being rejected
    (and the next half taken) when ``u * n mod 2**32 < 2**32 mod n``. For the default generator
    (PCG64, little-endian) `fill` computes the same indices from ``random_raw`` with whole-array
    arithmetic (about half the time of ``integers``) and leaves the generator where ``integers``
    would have; any other generator is asked through ``integers`` itself. tests/test_speed_paths.py
    checks both against ``integers`` (seeds with and without rejections, odd n, n = 2**k).

    `fill` writes the draws into a ``(rows, n)`` intp array, and `indices` turns them into the case
    indices in place (for PCG64 `fill` leaves ``u * n`` and `indices` takes its top 32 bits: on
    the caller's thread, while the second thread draws the next chunk).
    """

    def __init__(self, rng: np.random.Generator, n: int):
        self.rng, self.n = rng, n
        self.bitgen = rng.bit_generator
        self.fast = type(self.bitgen) is np.random.PCG64 and sys.byteorder == "little" and 1 < n < 2**31
        if self.fast:
            state = self.bitgen.state
            self.has, self.half = state["has_uint32"], state["uinteger"]  # the kept 32-bit half
            self.threshold = (1 << 32) % n  # numpy's (2**32 - n) % n
            self.n64 = np.uint64(n)

    def _candidates(self, count: int, out: np.ndarray) -> None:
        """The next `count` 32-bit halves u of the stream, as ``u * n`` (uint64), into `out`."""
        pos = 0
        if self.has and count:
            out[0] = np.uint64(self.half) * self.n64
            self.has, pos = 0, 1
        rest = count - pos
        if rest:
            halves = self.bitgen.random_raw((rest + 1) // 2).view(np.uint32)
            np.multiply(halves[:rest], self.n64, out=out[pos:])
            # numpy keeps the last high half even once used (has_uint32 = 0): the same state
            self.has, self.half = rest % 2, int(halves[-1])

    def fill(self, keys: np.ndarray) -> None:
        rows, n = keys.shape
        if not self.fast:
            keys[...] = self.rng.integers(0, n, size=(rows, n), dtype=np.int32)
            return
        prod = keys.reshape(-1).view(np.uint64)  # u * n, then its top 32 bits: the index
        self._candidates(rows * n, prod)
        if self.threshold and prod.view(np.uint32)[::2].min() < self.threshold:  # rare: a rejection
            kept = prod[prod.view(np.uint32)[::2] >= self.threshold]
            while len(kept) < len(prod):
                more = np.empty(len(prod) - len(kept), dtype=np.uint64)
                self._candidates(len(more), more)
                kept = np.concatenate([kept, more[more.view(np.uint32)[::2] >= self.threshold]])
            prod[:] = kept

    def indices(self, keys: np.ndarray) -> np.ndarray:
        """The case indices of the draws `keys` written by `fill` (in place)."""
        if self.fast:
            prod = keys.reshape(-1).view(np.uint64)
            np.right_shift(prod, _HALF_BITS, out=prod)
        return keys

    def close(self) -> None:
        """Leave the generator's kept half where ``integers`` would have left it."""
        if self.fast:
            state = self.bitgen.state
            state["has_uint32"], state["uinteger"] = self.has, self.half
            self.bitgen.state = state


class _KeyStream:
    """The draws of every chunk of a round, in order; drawn on a second thread for a large round.

    With the thread, the next chunks are drawn while the caller counts and multiplies the current
    one: numpy releases the GIL in the draws and the product, and `_Tally` counts without it. The
    draws are the same either way: one thread draws every chunk in stream order; three
    preallocated buffers circulate between it and the caller.
    """

    def __init__(self, draws: _Draws, sizes: list[int], *, threaded: bool):
        self.draws, self.sizes = draws, sizes
        shape = (max(sizes), draws.n)
        self.slots = [_scratch(f"draws{i}", shape, np.intp) for i in range(3 if threaded else 1)]
        self.thread = None
        self.next_size = iter(sizes)
        if threaded:
            self.free, self.filled = queue.SimpleQueue(), queue.SimpleQueue()
            for slot in range(len(self.slots)):
                self.free.put(slot)
            self.stop = False
            self.thread = threading.Thread(target=self._work, name="connlab-bootstrap-draws", daemon=True)
            self.thread.start()

    def _work(self) -> None:
        try:
            for rows in self.sizes:
                slot = self.free.get()
                if self.stop or slot is None:
                    return
                self.draws.fill(self.slots[slot][:rows])
                self.filled.put(slot)
        except BaseException as exc:  # handed to the caller, which raises it
            self.filled.put(exc)

    def next(self) -> np.ndarray:
        """The draws of the next chunk (see `_Draws.fill`), valid until `release`."""
        rows = next(self.next_size)
        if self.thread is None:
            self.draws.fill(self.slots[0][:rows])
            return self.slots[0][:rows]
        slot = self.filled.get()
        if isinstance(slot, BaseException):
            raise slot
        self.current = slot
        return self.slots[slot][:rows]

    def release(self) -> None:
        if self.thread is not None:
            self.free.put(self.current)

    def close(self) -> None:
        if self.thread is not None:
            self.stop = True
            self.free.put(None)
            self.thread.join()
            self.thread = None


class _Tally:
    """The counts matrix of a chunk: ``counts[b, i]`` = how often case i was drawn in resample b.

    The counts are those of ``np.bincount`` (row b's indices offset by ``b * n``, unit weights, as
    floats for the product). They are computed with scipy's ``coo_todense`` (sparsetools, C++:
    ``B[row * n + index] += 1.0`` for each draw), which runs without the GIL, so the draws of the
    next chunk proceed on the second thread while this one is counted; ``np.bincount`` holds
    the GIL and, in the caller, stalled every numpy call of the drawing thread (about a third
    of the bootstrap's time). ``coo_todense`` is private to scipy: it is checked against
    ``np.bincount`` on a small case when first used, and ``np.bincount`` counts if it is absent
    or differs (the same counts, only slower; tests/test_speed_paths.py checks both routes).
    """

    def __init__(self, chunk: int, n: int):
        self.scatter = _coo_todense()
        self.rows, self.ones = _row_numbers(chunk, n)
        self.buffer = _scratch("counts", (chunk * n,), np.float64)

    def counts(self, indices: np.ndarray) -> np.ndarray:
        """The counts of `indices` (resamples x n, intp), valid until the next call."""
        c, n = indices.shape
        cells = c * n
        if self.scatter is None:
            bins = indices + self.rows[:cells].reshape(c, n) * n
            return np.bincount(bins.reshape(-1), weights=self.ones[:cells], minlength=cells).reshape(c, n)
        out = self.buffer[:cells]
        out.fill(0.0)
        self.scatter(c, n, cells, self.rows[:cells], indices.reshape(-1), self.ones[:cells], out, 0)
        return out.reshape(c, n)


_SCRATCH = threading.local()
#: largest buffer `_scratch` keeps
SCRATCH_BYTES = 2**23


def _scratch(name: str, shape: tuple, dtype) -> np.ndarray:
    """An uninitialised buffer kept per thread from one bootstrap to the next (the draws and the
    counts of a chunk: 0.5 MB each up to n = 65,536 cases, ``8 n`` bytes above): a new one has its
    pages faulted in again on every call, about 1 ms of a 14 ms bootstrap on these virtual
    machines. One caller at a time per thread (the drawing thread writes the caller's buffers and
    is joined before `bootstrap` returns); buffers above SCRATCH_BYTES (8 MB) are not kept."""
    dtype = np.dtype(dtype)
    size = math.prod(shape)
    kept = _SCRATCH.__dict__
    flat = kept.get(name)
    if flat is None or flat.dtype != dtype or flat.size < size:
        flat = np.empty(size, dtype=dtype)
        if flat.nbytes <= SCRATCH_BYTES:
            kept[name] = flat
    return flat[:size].reshape(shape)


def _row_numbers(chunk: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The row number of every cell of a ``(chunk, n)`` counts matrix, and as many ones (read-only;
    kept and shared by every bootstrap of that shape up to SCRATCH_BYTES each)."""
    if chunk * n * 8 <= SCRATCH_BYTES:
        return _kept_row_numbers(chunk, n)
    return _new_row_numbers(chunk, n)


@functools.lru_cache(maxsize=4)
def _kept_row_numbers(chunk: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    return _new_row_numbers(chunk, n)


def _new_row_numbers(chunk: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rows = np.repeat(np.arange(chunk, dtype=np.intp), n)
    ones = np.ones(chunk * n)
    rows.flags.writeable = ones.flags.writeable = False
    return rows, ones


_COO_TODENSE: list = []  # [function or None], set on first use


def _coo_todense():
    """``scipy.sparse._sparsetools.coo_todense`` if present and equal to ``np.bincount`` on a small case, else None."""
    if not _COO_TODENSE:
        try:
            from scipy.sparse._sparsetools import coo_todense

            rows, cols = np.array([0, 0, 1, 1, 1], dtype=np.intp), np.array([2, 2, 0, 2, 1], dtype=np.intp)
            out = np.zeros(6)
            coo_todense(2, 3, 5, rows, cols, np.ones(5), out, 0)
            ok = np.array_equal(out, np.bincount(rows * 3 + cols, minlength=6))
        except Exception:  # absent, renamed or another signature: count with np.bincount
            ok = False
        _COO_TODENSE.append(coo_todense if ok else None)
    return _COO_TODENSE[0]


def _use_thread(cells: int, chunks: int) -> bool:
    """Draw on a second thread: a round of at least THREAD_CELLS draws in two or more chunks, and
    a second core to run it on."""
    if cells < THREAD_CELLS or chunks < 2:
        return False
    try:
        return len(os.sched_getaffinity(0)) > 1
    except AttributeError:  # not on Linux
        return (os.cpu_count() or 1) > 1


def bootstrap(frame: pd.DataFrame, equations: list[Equation], *, n_boot: int, seed, sd_columns=()) -> dict:
    """Coefficients of every equation in `n_boot` case resamples, and standard deviations.

    Returns ``{"coef": {outcome: (n_boot, k) array}, "sd": {column: (n_boot,) array},
    "failed": int}``. Resample b draws counts ``C_b ~ Multinomial(n, 1/n)`` (indices from
    ``default_rng(seed).integers``, tallied); all resamples of a chunk share one matrix product.
    A resample whose logistic fit does not converge is replaced by the next draw, as PROCESS does.
    A large round draws its indices on a second thread while the counts are multiplied (the same
    draws, in the same order: the results do not depend on it).
    """
    if not isinstance(n_boot, int | np.integer) or n_boot < 100:
        raise ParameterError(f"`n_boot` must be an integer of at least 100, but {n_boot!r} was passed.")
    # the columns are checked before the first round starts drawing (a generator passed in is
    # then advanced only by a bootstrap that runs)
    _require_columns(frame, [name for eq in equations for term in [(eq.outcome,), *eq.terms] for name in term]
                     + list(sd_columns))
    rng = np.random.default_rng(seed)
    n = len(frame)
    chunk = int(max(1, min(n_boot, CHUNK_CELLS // n)))
    # the draws of a chunk are one stream (32-bit halves kept across calls), so the resamples do
    # not depend on the chunk size; the counts' matrix product does in its last bits: keep CHUNK_CELLS
    draws = _Draws(rng, n)
    stream = _KeyStream(draws, _chunk_sizes(n_boot, chunk), threaded=_use_thread(n_boot * n, -(-n_boot // chunk)))
    try:  # the first round is drawn while the products are set up
        return _bootstrap(frame, equations, n_boot, sd_columns, draws, stream, chunk)
    finally:
        stream.close()
        draws.close()


def _chunk_sizes(need: int, chunk: int) -> list[int]:
    return [min(chunk, need - start) for start in range(0, need, chunk)]


def _bootstrap(frame, equations, n_boot, sd_columns, draws, stream, chunk) -> dict:
    n = len(frame)
    # Every cross-product needed is a monomial in the data columns (x*x, x*m, m*y, ...): each
    # distinct one is one column of `products`; the constant's (sum of counts) is n itself.
    monomials: dict[tuple, int] = {(): -1}

    def column(term: tuple) -> int:
        key = tuple(sorted(term))
        if key not in monomials:
            monomials[key] = len(monomials) - 1
        return monomials[key]

    layout = []
    for eq in equations:
        cols = [()] + list(eq.terms)
        k = len(cols)
        if eq.logistic:  # batched Newton-Raphson on the design itself
            layout.append((eq, design(frame, eq.terms), frame[eq.outcome].to_numpy(dtype=float), None, None))
            continue
        xx = np.array([column(a + b) for a in cols for b in cols])
        xy = np.array([column(a + (eq.outcome,)) for a in cols])
        layout.append((eq, None, None, xx, xy))
    sd_index = {name: (column((name,)), column((name, name))) for name in sd_columns}
    names = sorted((m for m in monomials if m), key=monomials.get)
    data = {name: frame[name].to_numpy(dtype=float) for name in dict.fromkeys(v for mono in names for v in mono)}
    products = np.ones((n, len(names)))
    for c_, mono in enumerate(names):
        for name in mono:
            products[:, c_] *= data[name]
    out = {eq.outcome: np.empty((n_boot, len(eq.terms) + 1)) for eq in equations}
    sds = {name: np.empty(n_boot) for name in sd_columns}
    filled, failed = 0, 0
    tally = _Tally(chunk, n)
    logistic = [(eq, X, y) for eq, X, y, _, _ in layout if eq.logistic]
    first = True
    while filled < n_boot:  # one round draws what is missing; failed resamples are redrawn
        need = n_boot - filled
        sums = np.empty((need, len(names) + 1))
        sums[:, -1] = n  # the constant's monomial (index -1): the counts sum to n
        coefs = {eq.outcome: np.empty((need, len(eq.terms) + 1)) for eq in equations}
        ok = np.ones(need, dtype=bool)
        starts = range(0, need, chunk)  # only the O(resamples x cases) work is chunked
        sizes = _chunk_sizes(need, chunk)
        if not first:  # a later round (failed resamples redrawn): the first one's stream is given
            stream = _KeyStream(draws, sizes, threaded=_use_thread(need * n, len(sizes)))
        first = False
        try:
            for start, c in zip(starts, sizes, strict=True):
                counts = tally.counts(draws.indices(stream.next()))
                stream.release()  # the buffer goes back to the drawing thread
                sums[start:start + c, :-1] = counts @ products
                for eq, X, y in logistic:
                    beta, conv = _batch_logit(counts, X, y)
                    coefs[eq.outcome][start:start + c] = beta
                    ok[start:start + c] &= conv
        finally:
            stream.close()
        for eq, _, _, xx, xy in layout:  # OLS equations: one stacked solve for the whole round
            if eq.logistic:
                continue
            k = len(eq.terms) + 1
            xtx = sums[:, xx].reshape(need, k, k)
            xty = sums[:, xy]
            with np.errstate(all="ignore"):
                try:
                    beta = np.linalg.solve(xtx, xty[..., None])[..., 0]
                except np.linalg.LinAlgError:  # a singular resample somewhere: solve one by one
                    beta = np.stack([np.linalg.lstsq(a, b, rcond=None)[0] if np.linalg.matrix_rank(a) == k
                                     else np.full(k, np.nan) for a, b in zip(xtx, xty, strict=True)])
            coefs[eq.outcome] = beta
            ok &= np.isfinite(beta).all(axis=1)
        keep = np.flatnonzero(ok) if not ok.all() else slice(None)  # (a slice: no copies)
        take = int(ok.sum())
        for name, beta in coefs.items():
            out[name][filled:filled + take] = beta[keep]
        for name, (i1, i2) in sd_index.items():
            s1, s2 = sums[keep, i1], sums[keep, i2]
            sds[name][filled:filled + take] = np.sqrt(np.maximum(s2 - s1 * s1 / n, 0) / (n - 1))
        filled += take
        failed += need - take
        if failed > n_boot:
            raise DataError(f"{failed} bootstrap resamples could not be estimated (singular or separated); "
                            "the model is too close to the limits of these data.")
    return {"coef": out, "sd": sds, "failed": failed}


def _batch_logit(counts: np.ndarray, X: np.ndarray, y: np.ndarray, *, max_iter: int = 50,
                 tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """Newton-Raphson for a stack of count-weighted logistic regressions (resamples x k)."""
    c, k = counts.shape[0], X.shape[1]
    i, j = _pairs(k)
    cross = X[:, i] * X[:, j]
    beta = np.zeros((c, k))
    conv = np.zeros(c, dtype=bool)
    for _ in range(max_iter):
        mu = 1 / (1 + np.exp(-(beta @ X.T)))  # (c, n)
        score = (counts * (y - mu)) @ X
        h = (counts * mu * (1 - mu)) @ cross
        info = np.empty((c, k, k))
        info[:, i, j] = h
        info[:, j, i] = h
        with np.errstate(all="ignore"):
            try:
                step = np.linalg.solve(info, score[..., None])[..., 0]
            except np.linalg.LinAlgError:
                step = np.stack([np.linalg.pinv(a) @ s for a, s in zip(info, score, strict=True)])
        beta = beta + step
        conv = np.abs(step).max(axis=1) < tol
        if conv.all():
            break
    conv &= np.isfinite(beta).all(axis=1) & (np.abs(beta).max(axis=1) < 30)  # separation: no finite MLE
    return beta, conv


def boot_ci(estimate: float, draws: np.ndarray, *, ci: float, method: str) -> tuple[float, float]:
    """Percentile or bias-corrected bootstrap interval, with PROCESS's order statistics.

    PROCESS takes the sorted draws at positions ``round(B * p_low)`` and ``trunc(B * p_high) + 1``
    (1-based), where ``p = alpha/2, 1 - alpha/2`` (percentile) or, bias-corrected,
    ``p = Phi(2 z0 + z_alpha/2)``, ``Phi(2 z0 + z_1-alpha/2)`` with
    ``z0 = Phi^-1(proportion of draws below the estimate)`` (Efron, 1987; Hayes, 2022, App. A).
    """
    draws = np.sort(draws[np.isfinite(draws)])
    b = len(draws)
    alpha = 1 - ci
    if method == "bc":
        prop = np.mean(draws < estimate)
        prop = min(max(prop, 0.5 / b), 1 - 0.5 / b)
        z0 = stats.norm.ppf(prop)
        p_low = stats.norm.cdf(2 * z0 + stats.norm.ppf(alpha / 2))
        p_high = stats.norm.cdf(2 * z0 + stats.norm.ppf(1 - alpha / 2))
    else:
        p_low, p_high = alpha / 2, 1 - alpha / 2
    lo = int(np.floor(b * p_low + 0.5))
    hi = int(np.trunc(b * p_high)) + 1
    lo, hi = min(max(lo, 1), b), min(max(hi, 1), b)
    return float(draws[lo - 1]), float(draws[hi - 1])


PROBE_RULES = ("percentiles", "mean_sd")


def check_probe(param: str, probe, *, stacklevel: int = 3):
    """Validate a `probe` argument: a rule (``"percentiles"``, ``"mean_sd"``; the 0.1 name
    ``"moments"`` warns and means ``"mean_sd"``) or a sequence of numbers (PROCESS ``wmodval``).
    Returns the rule, or the values as a tuple of floats."""
    if isinstance(probe, str):
        if probe == "moments":
            import warnings

            warnings.warn(f"`{param}=\"moments\"` is now `{param}=\"mean_sd\"`; the old value stops working "
                          "in 0.3.", DeprecationWarning, stacklevel=stacklevel)
            return "mean_sd"
        if probe not in PROBE_RULES:
            raise ParameterError(f"The value for `{param}` must be one of 'percentiles', 'mean_sd' or a list of "
                                 f"moderator values, but {probe!r} was passed.")
        return probe
    try:
        values = tuple(float(v) for v in np.atleast_1d(np.asarray(probe, dtype=float)))
    except (TypeError, ValueError):
        raise ParameterError(f"The value for `{param}` must be one of 'percentiles', 'mean_sd' or a list of "
                             f"moderator values, but {probe!r} was passed.") from None
    if not values or not np.all(np.isfinite(values)):
        raise ParameterError(f"`{param}` must list at least one finite moderator value, but {probe!r} was passed.")
    return values


def probe_values(values: np.ndarray, *, rule, name: str = "the moderator",
                 warn: bool = True, stacklevel: int = 3) -> tuple[list[str], np.ndarray]:
    """Values of a moderator at which effects are probed, as PROCESS does.

    ``"percentiles"``: the 16th, 50th and 84th percentiles, defined as PROCESS does (sorted values
    interpolated at position p(n + 1), R's ``quantile(type = 6)``, SPSS's HAVERAGE);
    ``"mean_sd"`` (``"moments"``, its old name): mean - 1 SD, mean, mean + 1 SD (sample SD,
    n - 1); as PROCESS, a value beyond the observed range is replaced by the minimum (maximum),
    with a warning. A moderator with two values is probed at those two values. A sequence of
    numbers (PROCESS ``wmodval``) is used as given; values outside the observed range warn
    (the effect there is an extrapolation). ``warn=False`` silences the warnings (a block the
    user did not ask for); `stacklevel` points the warnings at the caller of the public function.
    """
    import warnings

    uniq = np.unique(values)
    lo, hi = float(uniq[0]), float(uniq[-1])
    if not isinstance(rule, str):
        chosen = np.asarray(rule, dtype=float)
        outside = chosen[(chosen < lo) | (chosen > hi)]
        if len(outside) and warn:
            warnings.warn(f"Probe value(s) {', '.join(f'{v:g}' for v in outside)} of {name} lie outside its "
                          f"observed range [{lo:g}, {hi:g}]; effects there are extrapolations.",
                          AnalysisWarning, stacklevel=stacklevel)
        return [f"{v:g}" for v in chosen], chosen
    if len(uniq) == 2:
        return [f"{u:g}" for u in uniq], uniq.astype(float)
    if rule in ("mean_sd", "moments"):
        m, s = values.mean(), values.std(ddof=1)
        labels, out = ["\u22121 SD", "mean", "+1 SD"], np.array([m - s, m, m + s])
        if out[0] < lo:
            labels[0], out[0] = "minimum", lo
            if warn:
                warnings.warn(f"One SD below the mean of {name} is below its minimum; the minimum ({lo:g}) is used "
                              "instead, as PROCESS does.", AnalysisWarning, stacklevel=stacklevel)
        if out[2] > hi:
            labels[2], out[2] = "maximum", hi
            if warn:
                warnings.warn(f"One SD above the mean of {name} is above its maximum; the maximum ({hi:g}) is used "
                              "instead, as PROCESS does.", AnalysisWarning, stacklevel=stacklevel)
        return labels, out
    return ["16th pct", "50th pct", "84th pct"], np.percentile(values, [16, 50, 84], method="weibull")


def warn_failed(failed: int, n_boot: int) -> None:
    if failed:
        import warnings

        warnings.warn(f"{failed} bootstrap resamples could not be estimated and were replaced "
                      f"(of {n_boot} kept).", AnalysisWarning, stacklevel=3)
