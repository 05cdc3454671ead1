"""The batched dyad bootstrap of `apim_k` and APIM mediation (issue 19) against the general route.

`_gls.bootstrap_counts` refits every resample at once by Newton steps with the analytic gradient
and Hessian of the profiled likelihood (`_gls.newton_refits`); the general route is `_gls.fit` on
each resample (bounded searches on function values). Both must find the same optimum: the batched
one to ~1e-12, `fit` up to ~1e-7 away in rho (so coefficients agree to ~1e-6 relative and the
batched optimum is never less likely). The resamples are the draws the one-by-one bootstrap made
(`rng.integers(0, n_dyads, n_dyads)` per resample), so seeded results keep their meaning.
Data: the simulated nlme fixtures of test_dyadic.py (one-member dyads, negative rho, a dyad-level
moderator), the Acitelli couples and the dySEM commitment couples (shared data, skipped if absent).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from analysis.models import _gls
from analysis.models.dyadic import apim
from analysis.models.dyadic_diagnostics import apim_k

REFERENCE = Path(__file__).resolve().parent / "reference"
NEGATIVE = pd.read_csv(REFERENCE / "apim_negative_data.csv")
INCOMPLETE = pd.read_csv(REFERENCE / "apim_incomplete_data.csv")


def _one_by_one(design, reml, counts, full=False):
    """The general route: `fit` on the cross-products of each resample (NaN rows if singular);
    with `full`, also each resample's rho and delta."""
    n_pairs = len(design.pairs)
    out, theta = np.full((len(counts), design.n_coef), np.nan), np.full((len(counts), 2), np.nan)
    for b, c in enumerate(counts):
        try:
            f = _gls.fit(design, reml, _gls.cross_products(design, c[:n_pairs], c[n_pairs:]))
        except np.linalg.LinAlgError:
            continue
        out[b], theta[b] = f["beta"], (f["rho"], f["delta"])
    return (out, theta) if full else out


def _m2ll(design, reml, counts, rho, delta):
    """-2 log L of each resample at (rho, delta), by the scalar `profile`."""
    n_pairs = len(design.pairs)
    return np.array([_gls.profile(_gls.cross_products(design, c[:n_pairs], c[n_pairs:]), r, np.log(d), reml,
                                  design.n_coef)[0] for c, r, d in zip(counts, rho, delta, strict=True)])


def _commitment(shared_data):
    """dySEM's commitment couples in the individual layout: mean satisfaction and commitment per
    partner; three partners dropped (one-member dyads)."""
    wide = pd.read_csv(shared_data / "dysem_commitmentQ" / "data.csv")
    rows = []
    for k in (1, 2):
        rows.append(pd.DataFrame({"couple": np.arange(len(wide)), "partner": k,
                                  "sat": wide[[f"sat.g.{k}_{i}" for i in range(1, 6)]].mean(axis=1),
                                  "com": wide[[f"com.{k}_{i}" for i in range(1, 6)]].mean(axis=1)}))
    out = pd.concat(rows, ignore_index=True).sort_values(["couple", "partner"], ignore_index=True)
    return out.drop(index=[1, 10, 101]).reset_index(drop=True)


def _fits(shared_data=None):
    """(name, APIMResult) of the designs the tests refit: the simulated ones, or with
    `shared_data` the real ones."""
    return _simulated_fits() if shared_data is None else _real_fits(shared_data)


def _simulated_fits():
    fits = []
    for method in ("REML", "ML"):
        fits.append((f"negative {method}", apim(NEGATIVE, "y ~ x_A + x_P + w + x_A:w", dyad="dyad", partner="person",
                                                method=method)))
        fits.append((f"incomplete two-intercept {method}",
                     apim(INCOMPLETE, "y ~ x_A + x_P", dyad="dyad", partner="role", model="two_intercept",
                          method=method)))
    fits.append(("incomplete interaction", apim(INCOMPLETE, "y ~ x_A + x_P", dyad="dyad", partner="role",
                                                model="interaction")))
    fits.append(("incomplete indistinguishable", apim(INCOMPLETE, "y ~ x_A + x_P", dyad="dyad", partner="role")))
    return fits


def _real_fits(shared_data):
    fits = []
    aci = pd.read_csv(shared_data / "acitelli_couples" / "data.csv")
    aci.loc[aci.index[[4, 33]], "satisfaction"] = np.nan  # two one-member dyads
    formula = "satisfaction ~ tension_A + tension_P + other_pos_A + other_pos_P"
    fits.append(("acitelli two-intercept", apim(aci, formula, dyad="cuplid", partner="gender",
                                                model="two_intercept")))
    fits.append(("acitelli indistinguishable", apim(aci, formula, dyad="cuplid", partner="gender")))
    com = _commitment(shared_data)
    fits.append(("commitment two-intercept", apim(com, "sat ~ com_A + com_P", dyad="couple", partner="partner",
                                                  model="two_intercept")))
    fits.append(("commitment indistinguishable ML", apim(com, "sat ~ com_A + com_P", dyad="couple",
                                                         partner="partner", method="ML")))
    return fits


@pytest.mark.parametrize("n", [1, 2, 7, 460, 461])
def test_counts_are_the_one_by_one_draws(n):
    """`dyad_counts` draws what `rng.integers(0, n, n)` per resample drew (the old bootstrap)."""
    design = _gls.Design(np.zeros((n, 4)), np.zeros((0, 2)), np.zeros(0, int), 1, False)
    rng = np.random.default_rng(11)
    old = np.array([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(37)])
    assert_array_equal(_gls.dyad_counts(design, 37, np.random.default_rng(11)), old)
    # in chunks, as `bootstrap` draws them
    rng = np.random.default_rng(11)
    chunks = np.vstack([_gls.dyad_counts(design, m, rng) for m in (10, 1, 26)])
    assert_array_equal(chunks, old)


@pytest.mark.parametrize("two", [False, True])
@pytest.mark.parametrize("reml", [True, False])
def test_analytic_derivatives_match_finite_differences(two, reml):
    res = apim(INCOMPLETE, "y ~ x_A + x_P", dyad="dyad", partner="role",
               model="two_intercept" if two else "indistinguishable")
    design = res._design
    counts = _gls.dyad_counts(design, 5, np.random.default_rng(2))
    st = _gls._batch_stats(design, counts)
    p = design.n_coef
    rho, u = np.array([-0.6, -0.2, 0.0, 0.3, 0.8]), np.array([0.3, -0.1, 0.0, 0.2, -0.4]) * two
    grad, hess, bad = _gls._batch_derivatives(st, rho, u, reml, p, two)
    assert not bad.any()
    h = 1e-5
    for i, e in enumerate(np.eye(2)[: 1 + two] * h):
        fd = (_gls._batch_profile(st, rho + e[0], u + e[1], reml, p)
              - _gls._batch_profile(st, rho - e[0], u - e[1], reml, p)) / (2 * h)
        assert_allclose(grad[:, i], fd, rtol=1e-6, atol=1e-5)
        g_plus = _gls._batch_derivatives(st, rho + e[0], u + e[1], reml, p, two)[0]
        g_minus = _gls._batch_derivatives(st, rho - e[0], u - e[1], reml, p, two)[0]
        assert_allclose(hess[:, :, i], (g_plus - g_minus) / (2 * h), rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("real", [False, True])
def test_batched_refits_equal_one_by_one(real, request):
    """Fast path == general path on every design; the batched optimum is the more likely one."""
    for name, res in _fits(request.getfixturevalue("shared_data") if real else None):
        design, reml = res._design, res.fit["method"].iloc[0] == "REML"
        full = _gls.fit(design, reml)
        counts = _gls.dyad_counts(design, 40, np.random.default_rng(7))
        batch = _gls.bootstrap_counts(design, reml, counts, (full["rho"], full["delta"]))
        general, theta = _one_by_one(design, reml, counts, full=True)
        scale = np.abs(general).max(0)
        assert np.isfinite(batch).all(), name
        assert (np.abs(batch - general) <= 2e-6 * scale).all(), (name, np.abs(batch - general).max())
        rho, log_delta, failed = _gls.newton_refits(_gls._batch_stats(design, counts), reml, design.n_coef,
                                                    design.two_variances, (full["rho"], full["delta"]))
        assert not failed.any(), name
        ours = _m2ll(design, reml, counts, rho, np.exp(log_delta))
        theirs = _m2ll(design, reml, counts, theta[:, 0], theta[:, 1])
        assert (ours <= theirs + 1e-9 * np.abs(theirs)).all(), name
        assert_allclose(rho, theta[:, 0], atol=2e-6, err_msg=name)


def test_fallbacks_equal_the_general_route():
    """Resamples without the one dyad that carries a dummy are singular (NaN rows, as `fit`
    raises); a model whose residuals are (nearly) exact functions of the partner's has rho at
    the bound, left to `fit` one by one: its rows equal the general route to the last bit."""
    rng = np.random.default_rng(4)
    n = 40
    df = pd.DataFrame({"d": np.repeat(np.arange(n), 2), "m": [1, 2] * n, "x": rng.normal(size=2 * n)})
    df["y"] = 0.5 * df["x"] + rng.normal(size=2 * n)
    df["rare"] = (df["d"] == 3).astype(float)
    res = apim(df, "y ~ x_A + x_P + rare", dyad="d", partner="m")
    counts = _gls.dyad_counts(res._design, 40, np.random.default_rng(1))
    batch = _gls.bootstrap_counts(res._design, True, counts, (res.fit["rho"].iloc[0], 1.0))
    general = _one_by_one(res._design, True, counts)
    singular = counts[:, 3] == 0
    assert singular.any() and not singular.all()
    assert np.isnan(batch[singular]).all() and np.isnan(general[singular]).all()
    assert_allclose(batch[~singular], general[~singular], rtol=2e-6, atol=1e-9)

    y1 = rng.normal(size=n)
    bound = pd.DataFrame({"d": np.repeat(np.arange(n), 2), "m": [1, 2] * n, "x": rng.normal(size=2 * n)})
    bound["y"] = np.column_stack([y1, -y1]).ravel() + 0.3 * bound["x"]  # residuals: e2 = -e1
    with pytest.warns(Warning, match="boundary"):
        res = apim(bound, "y ~ x_A + x_P", dyad="d", partner="m")
    counts = _gls.dyad_counts(res._design, 10, np.random.default_rng(2))
    batch = _gls.bootstrap_counts(res._design, True, counts, (res.fit["rho"].iloc[0], 1.0))
    assert_array_equal(batch, _one_by_one(res._design, True, counts))


@pytest.mark.parametrize("real", [False, True])
def test_apim_k_equals_the_percentiles_of_the_general_route(real, request):
    """k's percentile interval from the batched refits equals the one from `fit` on each resample
    (the draws of the same seed) to 1e-8: the two optima differ by the general route's error."""
    for name, res in _fits(request.getfixturevalue("shared_data") if real else None):
        if not name.startswith(("acitelli", "commitment two", "incomplete two-intercept REML")):
            continue
        k = apim_k(res, n_boot=80, ci=0.9, seed=5)
        design, reml = res._design, res.fit["method"].iloc[0] == "REML"
        general = _one_by_one(design, reml, _gls.dyad_counts(design, 80, np.random.default_rng(5)))
        terms = res.coefficients["term"].tolist()
        for row, (_, r) in zip(k.itertuples(), res.coefficients[res.coefficients["effect"] == "actor"].iterrows(),
                               strict=True):
            ia, ip = terms.index(r["term"]), terms.index(r["term"].replace("_A", "_P", 1))
            q = np.quantile(general[:, ip] / general[:, ia], [0.05, 0.95])
            assert_allclose([row.ci_low, row.ci_high], q, rtol=1e-7, atol=1e-8, err_msg=name)
            assert row.n_boot == 80


def test_bootstrap_in_chunks_is_one_bootstrap(monkeypatch):
    """Many dyads: `bootstrap` draws and refits in chunks, with the draws of one pass."""
    res = apim(INCOMPLETE, "y ~ x_A + x_P", dyad="dyad", partner="role", model="two_intercept")
    design = res._design
    start = (res.fit["rho"].iloc[0], res.variances["sigma"].iloc[1] / res.variances["sigma"].iloc[0])
    whole = _gls.bootstrap(design, True, 50, np.random.default_rng(9), start=start)
    n_dyads = len(design.pairs) + len(design.singles)
    calls = []
    real = _gls.bootstrap_counts
    monkeypatch.setattr(_gls, "bootstrap_counts", lambda *a, **kw: calls.append(len(a[2])) or real(*a, **kw))
    monkeypatch.setattr(_gls, "_CHUNK_CELLS", 7 * n_dyads)
    chunked = _gls.bootstrap(design, True, 50, np.random.default_rng(9), start=start)
    assert calls == [7] * 7 + [1]
    assert_allclose(chunked, whole, rtol=1e-12, atol=1e-12)


def test_cholesky_of_a_stack_marks_the_matrices_that_are_not_positive_definite():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(4, 6, 3))
    stack = a.transpose(0, 2, 1) @ a  # positive definite
    stack[1] = np.outer([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])  # singular
    stack[3] = np.diag([1.0, -0.5, 2.0])  # indefinite
    chol, bad = _gls._cholesky(stack)
    assert bad.tolist() == [False, True, False, True]
    assert_allclose(chol[[0, 2]] @ chol[[0, 2]].transpose(0, 2, 1), stack[[0, 2]], rtol=1e-12)
    assert_array_equal(chol[[1, 3]], np.broadcast_to(np.eye(3), (2, 3, 3)))
    assert_array_equal(_gls._cholesky(stack[[0, 2]])[0], np.linalg.cholesky(stack[[0, 2]]))
