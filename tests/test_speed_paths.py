"""The faster routes of issue 19 (second part) give the numbers of the routes they replace, bit for bit.

* PROCESS bootstrap: the case indices computed from the raw PCG64 stream (`_Draws`) are those of
  ``Generator.integers(0, n, dtype=np.int32)``, rejections included, and leave the generator in
  the same state; drawing on a second thread changes nothing; the counts by scipy's
  ``coo_todense`` are ``np.bincount``'s; the point fits (`_ols`) are
  statsmodels' ``OLS(y, X).fit()`` numbers and the p-values scipy.stats'.
* CFA: the covariance matrix by blocks of rows (`_cross_products`) is einsum's; the expected
  information by two-operand einsums is the three-operand one's; the RMSEA interval from the
  special functions is scipy.stats'; the parameter tables (`_tidy`) are those of the pandas route.
* load_dataset: `_equal_any` is `np.isin`; the ledger built from takes has the inferred dtypes;
  `TableCheck.analysed` / `.excluded` by the kept mask are those by the ledger's status.
"""

import threading

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from analysis.data import validate
from analysis.data.readers import read_table
from analysis.exceptions import DataError
from analysis.models import _process_bootstrap as pb
from analysis.models.process_mediation import mediation
from analysis.psychometrics import _sem_ml, _sem_model

# --------------------------------------------------------------------------------------------
# PROCESS bootstrap
# --------------------------------------------------------------------------------------------


def _draw_emulated(rng, n, sizes):
    draws = pb._Draws(rng, n)
    out = []
    for rows, cols in sizes:
        keys = np.empty((rows, cols), dtype=np.intp)
        draws.fill(keys)
        draws.indices(keys)
        out.append(keys.copy())
    draws.close()
    return out


# n: even, odd, a power of two (no rejection), and sizes where rejections are frequent (a third of
# the draws for 1431655766, whose 2**32 mod n is 1431655764)
@pytest.mark.parametrize("n", [7, 10, 999, 1000, 1024, 65537, 2_000_001, 1_431_655_766])
@pytest.mark.parametrize("seed", [1, 5, 12345])
def test_draws_are_those_of_integers(n, seed):
    assert pb._Draws(np.random.default_rng(seed), n).fast
    sizes = [(3, 333), (1, 1), (2, 4097), (5, 1000), (1, 7)]  # odd counts: the kept 32-bit half is used
    rng_a, rng_b = np.random.default_rng(seed), np.random.default_rng(seed)
    rng_b.integers(0, 3, size=1, dtype=np.int32)  # start with a kept half in both generators
    rng_a.integers(0, 3, size=1, dtype=np.int32)
    got = _draw_emulated(rng_a, n, sizes)
    for keys, (rows, cols) in zip(got, sizes, strict=True):
        np.testing.assert_array_equal(keys, rng_b.integers(0, n, size=(rows, cols), dtype=np.int32))
    assert rng_a.bit_generator.state == rng_b.bit_generator.state
    # and the generators go on alike
    np.testing.assert_array_equal(rng_a.integers(0, n, size=50, dtype=np.int32),
                                  rng_b.integers(0, n, size=50, dtype=np.int32))  # fmt: skip


def test_rejections_happen_and_are_skipped():
    """With 2**32 mod n = 1431655764 a third of the 32-bit draws are rejected; the stream skips them."""
    n = 1_431_655_766
    assert (1 << 32) % n == 1_431_655_764
    a = _draw_emulated(np.random.default_rng(3), n, [(1, 3000)])[0]
    b = np.random.default_rng(3).integers(0, n, size=(1, 3000), dtype=np.int32)
    np.testing.assert_array_equal(a, b)
    raw = np.random.default_rng(3).bit_generator.random_raw(1500).view(np.uint32)
    assert ((raw.astype(np.uint64) * n) % (1 << 32) < (1 << 32) % n).sum() > 300  # many rejected


def test_other_generators_use_integers():
    rng = np.random.Generator(np.random.MT19937(4))
    assert not pb._Draws(rng, 100).fast
    a = _draw_emulated(np.random.Generator(np.random.MT19937(4)), 100, [(3, 100)])[0]
    b = np.random.Generator(np.random.MT19937(4)).integers(0, 100, size=(3, 100), dtype=np.int32)
    np.testing.assert_array_equal(a, b)


def _frame(n, seed=0, binary=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    m = 0.4 * x + rng.normal(size=n)
    y = 0.3 * m + 0.2 * x + rng.normal(size=n)
    return pd.DataFrame({"x": x, "m": m, "y": (y > 0).astype(float) if binary else y})


EQUATIONS = [pb.Equation("m", (("x",),)), pb.Equation("y", (("x",), ("m",)))]


def _boot(frame, seed, monkeypatch, *, thread_cells=None, fast=True, equations=EQUATIONS, n_boot=1500):
    """`bootstrap` with the thread threshold and the draw route (emulated or `integers`) set."""
    with monkeypatch.context() as mp:
        if thread_cells is not None:
            mp.setattr(pb, "THREAD_CELLS", thread_cells)
        if not fast:
            original = pb._Draws.__init__

            def slow(self, rng, n):
                original(self, rng, n)
                self.fast = False

            mp.setattr(pb._Draws, "__init__", slow)
        return pb.bootstrap(frame, equations, n_boot=n_boot, seed=seed, sd_columns=["x", "y"])


def _assert_same(a, b):
    assert a["failed"] == b["failed"]
    for key in ("coef", "sd"):
        for name in a[key]:
            np.testing.assert_array_equal(a[key][name], b[key][name])


@pytest.mark.parametrize("n", [57, 1000, 1001])
def test_bootstrap_same_with_and_without_thread_and_emulation(n, monkeypatch):
    frame = _frame(n)
    ref = _boot(frame, 7, monkeypatch, thread_cells=10**12, fast=False)  # integers, one thread
    _assert_same(_boot(frame, 7, monkeypatch, thread_cells=1), ref)  # emulated, second thread
    _assert_same(_boot(frame, 7, monkeypatch, thread_cells=10**12), ref)  # emulated, one thread
    _assert_same(_boot(frame, 7, monkeypatch, thread_cells=1, fast=False), ref)  # integers, second thread


def test_bootstrap_with_redrawn_resamples_same_by_both_routes(monkeypatch):
    """A logistic Y in few cases: separated resamples are redrawn in later rounds, from the same stream."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=30)
    frame = pd.DataFrame({"x": x, "m": 0.4 * x + rng.normal(size=30),
                          "y": (2 * x + 0.5 * rng.normal(size=30) > 0).astype(float)})  # fmt: skip
    eqs = [pb.Equation("m", (("x",),)), pb.Equation("y", (("x",), ("m",)), logistic=True)]
    with np.errstate(over="ignore"):
        a = _boot(frame, 1, monkeypatch, thread_cells=10**12, fast=False, equations=eqs, n_boot=300)
        b = _boot(frame, 1, monkeypatch, thread_cells=1, equations=eqs, n_boot=300)
    assert a["failed"] > 30  # the later rounds are exercised
    _assert_same(a, b)


def test_generator_passed_in_ends_where_integers_leave_it(monkeypatch):
    frame = _frame(333)
    g1, g2 = np.random.default_rng(11), np.random.default_rng(11)
    _assert_same(_boot(frame, g1, monkeypatch, thread_cells=1), _boot(frame, g2, monkeypatch, fast=False))
    assert g1.bit_generator.state == g2.bit_generator.state


def test_counts_by_coo_todense_are_those_of_bincount(monkeypatch):
    """The counts come from scipy's private ``coo_todense`` (it runs without the GIL) with this
    scipy, and equal ``np.bincount``'s; without it the bootstrap counts with ``np.bincount``
    and gives the same numbers to the last bit."""
    assert pb._coo_todense() is not None  # scipy still has it: the fast route is the one tested
    rng = np.random.default_rng(8)
    for c, n in [(1, 1), (3, 7), (65, 1000), (2, 50_000)]:
        indices = rng.integers(0, n, size=(c, n)).astype(np.intp)
        bins = indices + n * np.arange(c)[:, None]
        expected = np.bincount(bins.reshape(-1), minlength=c * n).reshape(c, n).astype(float)
        np.testing.assert_array_equal(pb._Tally(c, n).counts(indices), expected)
    frame = _frame(1000, seed=2)
    fast = _boot(frame, 4, monkeypatch)
    monkeypatch.setattr(pb, "_COO_TODENSE", [None])
    assert pb._Tally(5, 10).scatter is None
    _assert_same(_boot(frame, 4, monkeypatch), fast)
    _assert_same(_boot(frame, 4, monkeypatch, thread_cells=10**12), fast)


def test_a_coo_todense_that_differs_is_not_used(monkeypatch):
    import scipy.sparse._sparsetools as sparsetools

    monkeypatch.setattr(pb, "_COO_TODENSE", [])
    monkeypatch.setattr(sparsetools, "coo_todense", lambda *args: None)  # adds nothing
    assert pb._coo_todense() is None
    monkeypatch.setattr(pb, "_COO_TODENSE", [])
    monkeypatch.delattr(sparsetools, "coo_todense")
    assert pb._coo_todense() is None


def test_scratch_buffers_are_kept_per_thread_and_sized(monkeypatch):
    a = pb._scratch("test", (3, 4), np.intp)
    assert a.shape == (3, 4) and a.dtype == np.intp
    b = pb._scratch("test", (2, 5), np.intp)  # smaller: a view of the same memory
    assert b.shape == (2, 5) and np.shares_memory(a, b)
    c = pb._scratch("test", (5, 5), np.intp)  # larger: a new buffer, kept from then on
    assert not np.shares_memory(a, c) and np.shares_memory(c, pb._scratch("test", (25,), np.intp))
    assert pb._scratch("test", (2,), np.float64).dtype == np.float64
    other = []
    worker = threading.Thread(target=lambda: other.append(pb._scratch("test", (3, 4), np.intp)))
    worker.start()
    worker.join()
    assert not np.shares_memory(other[0], pb._scratch("test", (3, 4), np.intp))  # one set per thread
    monkeypatch.setattr(pb, "SCRATCH_BYTES", 100)
    big = pb._scratch("big", (200,), np.float64)
    assert not np.shares_memory(big, pb._scratch("big", (200,), np.float64))  # above the limit: not kept


def test_bootstraps_in_a_row_and_in_threads_give_the_same_numbers(monkeypatch):
    """The kept buffers carry nothing from one call to the next, nor between threads."""
    frame, small = _frame(1000, seed=5), _frame(60, seed=6)
    ref = _boot(frame, 9, monkeypatch)
    ref_small = _boot(small, 2, monkeypatch)
    _assert_same(_boot(frame, 9, monkeypatch), ref)
    results = []
    workers = [threading.Thread(target=lambda: results.append(pb.bootstrap(
        frame, EQUATIONS, n_boot=1500, seed=9, sd_columns=["x", "y"]))) for _ in range(3)]
    for worker in workers:
        worker.start()
    _assert_same(_boot(small, 2, monkeypatch), ref_small)
    for worker in workers:
        worker.join()
    for result in results:
        _assert_same(result, ref)


@pytest.mark.parametrize("thread_cells", [1, 10**12])
def test_a_first_round_without_one_estimable_resample_is_redrawn_then_an_error(thread_cells, monkeypatch):
    """Every resample of a separated logistic Y fails: a second round is drawn (from the same
    stream), then DataError; the generator ends where the route through `integers` leaves it."""
    x = np.random.default_rng(0).normal(size=40)
    frame = pd.DataFrame({"x": x, "y": (x > 0).astype(float)})
    eqs = [pb.Equation("y", (("x",),), logistic=True)]
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    for g, fast in ((g1, True), (g2, False)):
        with np.errstate(over="ignore"), pytest.raises(DataError, match="200 bootstrap resamples"):
            _boot(frame, g, monkeypatch, thread_cells=thread_cells, fast=fast, equations=eqs, n_boot=100)
    assert g1.bit_generator.state == g2.bit_generator.state


def test_a_missing_column_is_an_error_before_any_draw():
    g = np.random.default_rng(2)
    before = g.bit_generator.state
    with pytest.raises(DataError, match="no column 'nope'"):
        pb.bootstrap(_frame(500), EQUATIONS, n_boot=1000, seed=g, sd_columns=["nope"])
    assert g.bit_generator.state == before


def test_an_error_on_the_draw_thread_reaches_the_caller(monkeypatch):
    def broken(self, keys):
        raise MemoryError("no room for the draws")

    monkeypatch.setattr(pb._Draws, "fill", broken)
    monkeypatch.setattr(pb, "THREAD_CELLS", 1)
    before = threading.active_count()
    with pytest.raises(MemoryError, match="no room"):
        pb.bootstrap(_frame(200), EQUATIONS, n_boot=500, seed=1)
    assert threading.active_count() == before  # the draw thread was joined


def test_mediation_numbers_do_not_depend_on_the_thread(monkeypatch):
    data = _frame(700, seed=4)
    a = mediation(data, x="x", m="m", y="y", n_boot=2000, seed=3)
    monkeypatch.setattr(pb, "THREAD_CELLS", 10**12)
    b = mediation(data, x="x", m="m", y="y", n_boot=2000, seed=3)
    pd.testing.assert_frame_equal(a.effects, b.effects, check_exact=True)
    pd.testing.assert_frame_equal(a.boot, b.boot, check_exact=True)


@pytest.mark.parametrize("k", [1, 2, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ols_is_statsmodels_to_the_last_bit(k, seed):
    rng = np.random.default_rng(seed)
    n = 40 + 97 * seed
    X = np.column_stack([np.ones(n)] + [rng.normal(size=n) * 10**j for j in range(k)])
    y = X @ rng.normal(size=k + 1) + rng.normal(size=n)
    ours, res = pb._ols(X, y), sm.OLS(y, X).fit()
    np.testing.assert_array_equal(ours.coef, res.params)
    np.testing.assert_array_equal(ours.vcov, res.cov_params())
    assert ours.df_resid == res.df_resid and ours.ssr == res.ssr and ours.rsquared == res.rsquared
    assert ours.ssr / ours.df_resid == res.mse_resid


def test_distribution_shortcuts_are_scipy_stats():
    x = np.array([0.0, 0.3, -1.7, 2.5, 40.0, np.inf, -np.inf, np.nan])
    for df in (3.0, 97.0, 1e6):
        np.testing.assert_array_equal(pb._t_p(x, df), 2 * stats.t.sf(np.abs(x), df))
        for ci in (0.5, 0.9, 0.95, 0.999):
            assert pb._t_crit(ci, df) == stats.t.ppf(0.5 + ci / 2, df)
        for f in (0.0, -0.0, 1e-300, 0.7, 3.2, 80.0, np.inf, np.nan):
            for d1 in (1, 2, 5):
                ref = stats.f.sf(f, d1, df)
                assert pb._f_sf(f, d1, df) == ref or (np.isnan(ref) and np.isnan(pb._f_sf(f, d1, df)))


# --------------------------------------------------------------------------------------------
# CFA
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n,p", [(5, 1), (6, 2), (50, 5), (300, 12), (301, 13), (1000, 36), (2000, 40)])
def test_cross_products_are_einsums(n, p):
    rng = np.random.default_rng(n + p)
    for Y in (rng.normal(size=(n, p)), rng.integers(1, 6, size=(n, p)).astype(float)):
        dev = Y - Y.mean(axis=0)
        np.testing.assert_array_equal(_sem_ml._cross_products(dev), np.einsum("ni,nj->ij", dev, dev))


def _two_factor(n=400, seed=0, missing=0.0):
    rng = np.random.default_rng(seed)
    f = rng.multivariate_normal([0, 0], [[1, 0.3], [0.3, 1]], n)
    items = {f"q{i}": np.round(3 + 0.8 * f[:, i % 2] + rng.normal(0, 0.9, n)) for i in range(10)}
    data = pd.DataFrame(items)
    if missing:
        data = data.mask(rng.random(data.shape) < missing)
    return data, {"a": [f"q{i}" for i in range(0, 10, 2)], "b": [f"q{i}" for i in range(1, 10, 2)]}


def _old_information(model, data, x):
    """expected_information as it was: einsum("ab,kbc->kac") and einsum("iab,jba->ij")."""
    info = np.zeros((model.q, model.q))
    for gi, gd in enumerate(data):
        sigma, _, _ = model.implied(x, gi)
        W = np.linalg.inv(sigma)
        dS, dm = model.jacobian(x, gi)
        B = np.einsum("ab,kbc->kac", W, dS)
        block = 0.5 * np.einsum("iab,jba->ij", B, B)
        if model.meanstructure:
            block += dm @ W @ dm.T
        info += gd.n * block
    return info


@pytest.mark.parametrize("group,missing", [(None, "listwise"), (None, "fiml"), ("g", "listwise")])
def test_expected_information_is_the_einsum_one(group, missing):
    data, factors = _two_factor(missing=0.05 if missing == "fiml" else 0.0)
    data["g"] = np.arange(len(data)) % 2
    items = _sem_model._items(factors)
    data_g, _ = _sem_model._prepare(data, items, group, missing)
    means = missing == "fiml" or group is not None
    table = _sem_ml.cfa_table(factors, items, len(data_g), std_lv=False, means=means, equal=set())
    model = _sem_ml.Model(table, len(items), 2, len(data_g), means)
    x = _sem_ml.fit(model, data_g, model.start(data_g), None)["x"]
    np.testing.assert_array_equal(_sem_ml.expected_information(model, data_g, x), _old_information(model, data_g, x))


def test_complete_group_data_is_the_general_one():
    data, _ = _two_factor(n=257)
    Y = np.ascontiguousarray(data.to_numpy(dtype=float))
    a = _sem_ml.group_data(Y)
    b = _sem_ml.group_data(Y, complete=True, moments=_sem_ml.complete_moments(Y))
    for field in ("n", "n_obs", "logl_h1", "logl_baseline"):
        assert getattr(a, field) == getattr(b, field)
    np.testing.assert_array_equal(a.S, b.S)
    np.testing.assert_array_equal(a.ybar, b.ybar)
    m = Y.mean(axis=0)  # the baseline as it was computed: per-variable ML mean and variance
    v = ((Y - m) ** 2).mean(axis=0)
    assert b.logl_baseline == float(-0.5 * (np.full(Y.shape[1], len(Y)) * (_sem_ml.LOG2PI + np.log(v) + 1.0)).sum())


@pytest.mark.parametrize("chisq,df,n", [(23.66, 19, 300), (197931.9, 593, 46610), (3.0, 8, 120), (0.0, 5, 200)])
def test_rmsea_interval_is_scipy_stats(chisq, df, n):
    def cdf(lam):
        return stats.chi2.cdf(chisq, df) if lam <= 0 else stats.ncx2.cdf(chisq, df, lam)

    def root(prob, top):
        return np.sqrt(optimize.brentq(lambda lam: cdf(lam) - prob, 0.0, top, xtol=1e-12) / (n * df) * 1)

    upper, lower = 1 - (1 - 0.90) / 2, (1 - 0.90) / 2
    lo = 0.0 if cdf(0.0) < upper else root(upper, chisq)
    top = max(n, chisq * 4)
    hi = 0.0 if cdf(top) > lower or cdf(0.0) < lower else root(lower, top)
    assert _sem_ml.rmsea_ci(chisq, df, n, 1) == (lo, hi)


def _old_tidy(est, items, latent, labels):
    """`_tidy` as it was (pandas sorting and column assignment)."""
    order = {"lambda": 0, "theta": 1, "psi": 2, "nu": 3, "alpha": 4}
    est = est.assign(_o=est["matrix"].map(order))
    est = est.sort_values(["group", "_o"], kind="stable").reset_index(drop=True)
    keys = zip(est["matrix"], est["row"], est["col"], strict=True)
    tidy = pd.DataFrame([_sem_model._names(*k, items, latent) for k in keys], columns=["lhs", "op", "rhs"])
    group = [labels[g] for g in est["group"]] if labels else [None] * len(est)
    tidy.insert(0, "group", pd.Series(group, dtype=object))
    tidy["label"] = est["label"].where(est["label"].notna(), None)
    for col in ("estimate", "se", "z", "p_value", "std_estimate"):
        tidy[col] = est[col].to_numpy(dtype=float)
    params = tidy[est["free"].to_numpy()].reset_index(drop=True)[_sem_model.PARAMETER_COLUMNS]
    load = tidy[(est["matrix"] == "lambda").to_numpy()]
    load = load.rename(columns={"lhs": "factor", "rhs": "item"}).reset_index(drop=True)
    return params, load[_sem_model.LOADING_COLUMNS]


@pytest.mark.parametrize("groups,equal", [(1, ()), (2, ()), (2, ("loadings", "intercepts"))])
def test_tidy_tables_are_the_pandas_ones(groups, equal):
    data, factors = _two_factor()
    data["g"] = np.arange(len(data)) % groups
    items = _sem_model._items(factors)
    group = "g" if groups > 1 else None
    data_g, labels = _sem_model._prepare(data, items, group, "listwise")
    means = group is not None
    table = _sem_ml.cfa_table(factors, items, len(data_g), std_lv=False, means=means, equal=set(equal))
    _, est, _ = _sem_model._run(table, data_g, items, list(factors), means, "expected")
    lab = labels if group else None
    for new, old in zip(_sem_model._tidy(est, items, list(factors), lab), _old_tidy(est, items, list(factors), lab),
                        strict=True):  # fmt: skip
        pd.testing.assert_frame_equal(new, old, check_exact=True)


# --------------------------------------------------------------------------------------------
# load_dataset
# --------------------------------------------------------------------------------------------

NUMBERS = st.lists(st.sampled_from([0.0, -1.0, 1.0, 2.5, -0.0, 7.0, 99.0, 1e20, float("nan"), float("inf")]),
                   min_size=0, max_size=12)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(NUMBERS, st.lists(st.integers(-5, 120), min_size=1, max_size=40), st.booleans())
def test_equal_any_is_isin(numbers, values, as_float):
    x = np.array(values, dtype=float if as_float else np.int64)
    np.testing.assert_array_equal(validate._equal_any(x, numbers), np.isin(x, numbers))


def test_ledger_and_kept_rows_are_those_of_the_pandas_route(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("id,sat,x\n1,5,a\n2,9,b\n2,3,\n4,,c\n5,7,d\n", encoding="utf-8")
    variables = {"id": {"type": "integer", "role": "id"}, "sat": {"type": "integer", "range": [1, 7]},
                 "x": {"type": "string"}}  # fmt: skip
    check = validate.check_table(read_table(path), table="survey", variables=variables)
    ledger = check.ledger
    reasons = pd.Series(ledger["reason"].to_numpy(), dtype="string")
    expected = pd.DataFrame({
        "table": "survey", "row": ledger["row"].to_numpy(), "line": ledger["line"].to_numpy(),
        "id": ledger["id"].to_numpy(), "status": np.where(reasons.isna(), "analysed", "excluded"),
        "reason": reasons, "detail": pd.Series(ledger["detail"].to_numpy(), dtype="string")})  # fmt: skip
    pd.testing.assert_frame_equal(ledger, expected, check_exact=True)
    assert ledger["status"].tolist() == ["analysed", "analysed", "excluded", "analysed", "analysed"]
    # the analysed / excluded rows by the kept mask are those selected by the ledger's status
    pd.testing.assert_frame_equal(check.analysed, check.frame[(ledger["status"] == "analysed").to_numpy()])
    pd.testing.assert_frame_equal(check.excluded, check.frame[(ledger["status"] == "excluded").to_numpy()])
