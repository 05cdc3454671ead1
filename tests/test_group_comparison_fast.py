"""The Games-Howell route of `compare_groups` (issue 19) against the general route it replaces.

`analysis.models._studentized_range` takes the studentized range integral with fixed
Gauss-Legendre quadrature where ``scipy.stats.studentized_range`` uses adaptive ``nquad``
(~100x slower); `group_comparison._games_howell` computes pingouin's Games-Howell statistics
without its p values, `group_comparison._welch_anova` pingouin's Welch ANOVA (without importing
pingouin). They must give what scipy and pingouin give: the CDF within scipy's own error (its
nquad tolerance; its density constant also loses ~1e-16 df log df to cancellation), mostly to the
last bits; quantiles within that error divided by the density; and the pairs' differences, SEs,
t and df and the Welch ANOVA to the last bit.
Data: simulated groups, the demo survey and the AER affairs data (shared, skipped if absent).
"""

import math
import warnings

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import integrate, special, stats

from analysis import compare_groups
from analysis.models import _studentized_range as sr
from analysis.models.group_comparison import _games_howell, _welch_anova


def _scipy_error(df):
    """Bound on scipy's CDF error: its nquad tolerance (epsabs 1e-11); below df = 100,000 the
    cancellation in its density constant (~1e-16 df log df) comes on top."""
    df = np.asarray(df, float)
    return 1e-11 + 3e-16 * np.where(df < 100_000, df * np.log(df + 1), 0.0)


@pytest.mark.parametrize("k", [2, 3, 5, 12])
def test_cdf_equals_scipy(k):
    q = np.array([0.3, 1.5, 3.2, 4.7, 8.0, 25.0])
    errors = []
    for df in (1.0, 1.4, 2.2, 6.5, 33.3, 250.7, 3100.0, 150_000.0):
        ours, theirs = sr.cdf(q, k, df), stats.studentized_range.cdf(q, k, df)
        assert (np.abs(ours - theirs) <= _scipy_error(df)).all(), (k, df, np.abs(ours - theirs).max())
        assert_allclose(sr.sf(q, k, df), np.clip(1 - theirs, 0, 1), rtol=0, atol=_scipy_error(df))
        errors.extend(np.abs(ours - theirs))
    assert np.median(errors) < 1e-15  # mostly the last bits
    assert sr.cdf(0.0, k, 10.0) == 0.0 and sr.cdf(-1.0, k, 10.0) == 0.0


def test_cdf_where_scipy_differs():
    """Where scipy's nquad stops 4.5e-13 short, a tight adaptive quadrature agrees with ours."""
    k, df, q = 5, 33.3, 8.0
    const = (df / 2) * math.log(df) - special.gammaln(df / 2) - (df / 2 - 1) * math.log(2)

    def range_cdf(w):
        return k * integrate.quad(lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
                                  * (special.ndtr(z) - special.ndtr(z - w)) ** (k - 1), -12, 12,
                                  epsabs=1e-16, epsrel=1e-14, limit=200)[0]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)  # roundoff at 1e-16
        tight = integrate.quad(lambda s: math.exp(const + (df - 1) * math.log(s) - df * s * s / 2) * range_cdf(q * s),
                               1e-9, 6, epsabs=1e-16, epsrel=1e-14, limit=200, points=[0.5, 1, 1.5])[0]
    ours = sr.cdf(q, k, df)[()]
    assert abs(ours - tight) < 1e-14
    assert abs(stats.studentized_range.cdf(q, k, df) - tight) > 4e-13


def test_cdf_converged():
    """More panels and nodes change the CDF by rounding only (the quadrature has converged)."""
    grid = [(q, k, df) for k in (2, 4, 20) for df in (1.0, 3.7, 60.0, 9000.0) for q in (0.5, 3.5, 20.0)]
    coarse = np.array([sr.cdf(*g)[()] for g in grid])
    old = sr._NODES, sr._PANEL
    try:
        sr._NODES, sr._PANEL = 40, 0.4
        sr._outer_nodes.cache_clear()
        sr._inner_nodes.cache_clear()
        fine = np.array([sr.cdf(*g)[()] for g in grid])
    finally:
        sr._NODES, sr._PANEL = old
        sr._outer_nodes.cache_clear()
        sr._inner_nodes.cache_clear()
    assert_allclose(coarse, fine, rtol=0, atol=2e-14)


@pytest.mark.parametrize(("p", "k", "df"), [(0.95, 3, 1.3), (0.95, 3, 7.16), (0.95, 4, 46.5), (0.95, 4, 1102.8),
                                            (0.9, 2, 20.0), (0.99, 7, 160.0), (0.5, 3, 12.0), (0.95, 3, 2e5)])
def test_ppf_equals_scipy(p, k, df):
    ours, theirs = sr.ppf(p, k, df)[()], stats.studentized_range.ppf(p, k, df)
    density = stats.studentized_range.pdf(theirs, k, df)
    assert abs(ours - theirs) <= 1e-13 + _scipy_error(df) / density, (ours, theirs)
    assert abs(sr.cdf(ours, k, df)[()] - p) < 2e-15


def _grouped():
    rng = np.random.default_rng(8)
    sizes, sds = [40, 3, 2, 250, 17], [1.0, 0.5, 2.0, 1.5, 0.2]
    return pd.DataFrame({"y": np.concatenate([rng.normal(i * 0.3, s, n) for i, (n, s) in enumerate(zip(sizes, sds,
                                                                                                      strict=True))]),
                         "g": np.repeat(np.arange(5), sizes)})


def _frames(shared_data=None, demo=None):
    """(name, frame with ``y`` and group codes ``g``): simulated and the demo survey in folder `demo`
    (the `small_demo` fixture), or with `shared_data` the AER affairs data (marital rating by
    religiousness)."""
    if shared_data is not None:
        affairs = pd.read_csv(shared_data / "aer_affairs_pt" / "data.csv")
        return [("affairs", pd.DataFrame({"y": affairs["rating"].astype(float), "g": affairs["religiousness"] - 1}))]
    demo = pd.read_csv(demo / "survey.csv")
    demo = demo.assign(y=demo[[f"csi_16_{i}" for i in range(1, 17)]].sum(axis=1, min_count=16))
    demo = demo[["y", "relationship_status"]].dropna()
    frames = [("simulated", _grouped()),
              ("demo", pd.DataFrame({"y": demo["y"].to_numpy(float),
                                     "g": pd.factorize(demo["relationship_status"], sort=True)[0]}))]
    return frames


@pytest.mark.parametrize("real", [False, True])
def test_games_howell_equals_pingouin(real, request):
    frames = _frames(shared_data=request.getfixturevalue("shared_data")) if real else \
        _frames(demo=request.getfixturevalue("small_demo"))
    for name, frame in frames:
        i, j, diff, se, t, df = _games_howell(frame)
        gh = pg.pairwise_gameshowell(data=frame, dv="y", between="g", effsize="none")
        assert_array_equal(i, gh["A"].to_numpy(int), err_msg=name)
        assert_array_equal(j, gh["B"].to_numpy(int), err_msg=name)
        for ours, col in ((diff, "diff"), (se, "se"), (t, "T"), (df, "df")):
            assert_array_equal(ours, gh[col].to_numpy(float), err_msg=f"{name} {col}")
        k = frame["g"].nunique()
        p = sr.sf(math.sqrt(2) * np.abs(t), k, df)
        assert (np.abs(p - gh["pval"].to_numpy(float)) <= _scipy_error(df)).all(), name
        ours, theirs = _welch_anova(frame), pg.welch_anova(data=frame, dv="y", between="g").iloc[0]
        for key in ("ddof1", "ddof2", "F", "p_unc"):
            assert ours[key] == theirs[key], (name, key)


def test_compare_groups_intervals_equal_the_scipy_route():
    """The post hoc intervals with a group of two cases (df < 2, where R's ptukey gives NaN)."""
    frame = _grouped()
    res = compare_groups(frame, y="y", group="g")
    c = res.contrasts
    assert c["df"].min() < 2 and np.isfinite(c[["ci_low", "ci_high", "p_value"]].to_numpy()).all()
    q = stats.studentized_range.ppf(0.95, 5, c["df"].to_numpy(float)) / np.sqrt(2)
    assert_allclose(c["ci_low"], c["estimate"] - q * c["se"], rtol=1e-11)
    assert_allclose(c["ci_high"], c["estimate"] + q * c["se"], rtol=1e-11)
    p = stats.studentized_range.sf(np.sqrt(2) * np.abs(c["statistic"]), 5, c["df"])
    assert_allclose(c["p_value"], p, rtol=0, atol=1e-13)
