"""Tests of analysis.mediation (PROCESS models 4, 6, 7, 14) against R and pyprocessmacro.

References (tests/reference/):
  process.R -> process_estimates.csv   lm()/glm() paths and their products (exact, 1e-6 here)
            -> process_boot.csv        boot::boot percentile CIs, R = 5000 (Monte-Carlo)
  process_probe.R -> process_probe_estimates.csv   model 8 paths and conditional (in)direct effects,
                                        models 7/14 at mean -/+ SD and chosen values, contrasts,
                                        Sobel tests, total-effect models (exact, 1e-8 here)
                  -> process_probe_boot.csv        boot::boot percentile CIs of model 8 and the
                                        contrasts, R = 5000 (Monte-Carlo)
  process_pyprocessmacro.py -> process_pyprocessmacro.csv   pyprocessmacro's Process(...).tidy(),
                                        5,000 resamples, percentile CIs (Monte-Carlo)
Data: process_tal_or.csv = psych::Tal_Or (Hayes 2018, ch. 3: X = cond, M = pmi, Y = reaction)
plus hi = reaction > 3. Published (Hayes 2018, sec. 3.3): a = 0.4765, b = 0.5064, c' = 0.2544,
ab = 0.2413.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.exceptions import AnalysisWarning, DataError, ParameterError
from analysis.models.process_mediation import mediation, moderated_mediation

REF = Path(__file__).resolve().parent / "reference"
TOL = 1e-6
N_BOOT = 5000  # as the references; Monte-Carlo tolerance below
KEY4 = "cond -> pmi -> reaction"  # boot column of the model 4 indirect effect
MC = 0.25  # (standardized effect, no draws kept) CI endpoints agree within MC * bootstrap SE


def mc_band(draws, level=0.95, z=3.5):
    """Monte-Carlo tolerance of the two percentile endpoints: an endpoint is an order statistic at
    p = alpha/2 (1 - alpha/2) whose rank has SD sqrt(B p (1 - p)); two independent runs differ by
    sqrt(2) times that. Read off our own draws, `z` such SDs either side (z = 3.5: a false
    failure about once in 2,000 comparisons)."""
    d = np.sort(np.asarray(draws))
    b = len(d)
    out = []
    for p in ((1 - level) / 2, (1 + level) / 2):
        k = z * np.sqrt(2 * b * p * (1 - p))
        lo, hi = d[max(int(b * p - k), 0)], d[min(int(b * p + k), b - 1)]
        out.append(max(hi - lo, 1e-12) / 2)
    return np.array(out)


def assert_ci_close(res, key, row, low, high):
    """Our [ci_low, ci_high] of `row` against a reference interval within the MC band of `key`."""
    diff = np.abs(np.array([row["ci_low"], row["ci_high"]]) - [low, high])
    band = mc_band(res.boot[key])
    assert np.all(diff <= band), f"{key}: |ours - reference| = {diff} exceeds the Monte-Carlo band {band}"


@pytest.fixture(scope="module")
def r_boot() -> pd.DataFrame:
    return pd.read_csv(REF / "process_boot.csv").set_index(["fixture", "quantity"])


@pytest.fixture(scope="module")
def peer() -> pd.DataFrame:
    return pd.read_csv(REF / "process_pyprocessmacro.csv")


@pytest.fixture(scope="module")
def m4(tal):
    return mediation(tal, x="cond", m="pmi", y="reaction", n_boot=N_BOOT, seed=11)


def _path(res, outcome, term, col="estimate"):
    t = res.paths
    return t.loc[(t["outcome"] == outcome) & (t["term"] == term), col].item()


def _effect(res, effect, path=None, w=None):
    e = res.effects
    sel = e["effect"] == effect
    if path is not None:
        sel &= e["path"] == path
    if w is not None:
        sel &= np.isclose(e["w"], w)
    return e.loc[sel].iloc[0]


def test_tal_or_published_and_r(m4, r_est):
    # Hayes (2018), sec. 3.3, printed to 4 decimals
    assert_allclose([_path(m4, "pmi", "cond"), _path(m4, "reaction", "pmi"), _path(m4, "reaction", "cond")],
                    [0.4765, 0.5064, 0.2544], atol=5e-5)
    assert_allclose(_effect(m4, "indirect")["estimate"], 0.2413, atol=5e-5)
    # lm(pmi ~ cond), lm(reaction ~ cond + pmi), lm(reaction ~ cond): coefficients and SEs
    for fixture, outcome in (("m4_pmi", "pmi"), ("m4_reaction", "reaction")):
        for term in m4.paths.loc[m4.paths["outcome"] == outcome, "term"]:
            rname = "(Intercept)" if term == "constant" else term
            assert_allclose(_path(m4, outcome, term), r_est[(fixture, f"b:{rname}")], rtol=TOL)
            assert_allclose(_path(m4, outcome, term, "se"), r_est[(fixture, f"se:{rname}")], rtol=TOL)
    total = _effect(m4, "total")
    assert_allclose(total["estimate"], r_est[("m4_total", "b:cond")], rtol=TOL)
    assert_allclose(total["se"], r_est[("m4_total", "se:cond")], rtol=TOL)
    ind = _effect(m4, "indirect")
    assert_allclose(ind["estimate"], r_est[("m4", "indirect")], rtol=TOL)  # coef(a) * coef(b)
    assert_allclose(ind["std_estimate"], r_est[("m4", "std_indirect")], rtol=TOL)  # ab * sd(X) / sd(Y)
    # OLS decomposition: c = c' + ab
    assert_allclose(total["estimate"], _effect(m4, "direct")["estimate"] + ind["estimate"], rtol=1e-12)
    assert_allclose(m4.fit.loc[m4.fit["outcome"] == "reaction", "r2"].item(), r_est[("m4", "r2_reaction")], rtol=TOL)


def test_bootstrap_ci_within_mc_error(m4, r_boot, peer):
    ind = _effect(m4, "indirect")
    ref = r_boot.loc[("m4", "indirect")]  # boot.ci(boot(d, f4, R = 5000), type = "perc")
    assert_ci_close(m4, KEY4, ind, ref["ci_low"], ref["ci_high"])
    assert_allclose(ind["se"], ref["se"], rtol=0.05)
    p = peer[(peer["fixture"] == "m4") & (peer["component"] == "indirect")].iloc[0]
    assert_ci_close(m4, KEY4, ind, p["conf_low"], p["conf_high"])
    std = r_boot.loc[("m4", "std_indirect")]
    assert_allclose([ind["std_ci_low"], ind["std_ci_high"]], [std["ci_low"], std["ci_high"]], atol=MC * std["se"])
    pcs = peer[(peer["fixture"] == "m4") & (peer["component"] == "indirect_cs")].iloc[0]
    assert_allclose(ind["std_estimate"], pcs["estimate"], rtol=TOL)


def test_seed_reproducible_and_different(tal):
    a = mediation(tal, x="cond", m="pmi", y="reaction", n_boot=500, seed=3)
    b = mediation(tal, x="cond", m="pmi", y="reaction", n_boot=500, seed=3)
    c = mediation(tal, x="cond", m="pmi", y="reaction", n_boot=500, seed=4)
    pd.testing.assert_frame_equal(a.effects, b.effects)
    pd.testing.assert_frame_equal(a.boot, b.boot)
    assert not np.allclose(a.boot.to_numpy(), c.boot.to_numpy())


def test_batched_bootstrap_equals_refits(tal):
    """Each batched resample equals an explicit refit on the rows the counts describe."""
    from analysis.models._process_bootstrap import CHUNK_CELLS

    res = mediation(tal, x="cond", m="pmi", y="reaction", n_boot=200, seed=5)
    rng = np.random.default_rng(5)  # the draws the engine makes: integers(0, n, (chunk, n))
    n = len(tal)
    idx = rng.integers(0, n, size=(min(200, CHUNK_CELLS // n), n))
    for b in (0, 1, 57):
        s = tal.iloc[idx[b]]
        a = np.polyfit(s["cond"], s["pmi"], 1)[0]
        X = np.column_stack([np.ones(n), s["cond"], s["pmi"]])
        bb = np.linalg.lstsq(X, s["reaction"].to_numpy(), rcond=None)[0][2]
        assert_allclose(res.boot.iloc[b, 0], a * bb, rtol=1e-9)


def test_covariates(tal, r_est, peer):
    res = mediation(tal, x="cond", m="pmi", y="reaction", covariates=["gender", "age"], n_boot=N_BOOT, seed=2)
    for term in ("cond", "pmi", "gender", "age"):
        assert_allclose(_path(res, "reaction", term), r_est[("m4cov_reaction", f"b:{term}")], rtol=TOL)
        assert_allclose(_path(res, "reaction", term, "se"), r_est[("m4cov_reaction", f"se:{term}")], rtol=TOL)
    ind = _effect(res, "indirect")
    assert_allclose(ind["estimate"], r_est[("m4cov", "indirect")], rtol=TOL)
    p = peer[(peer["fixture"] == "m4cov") & (peer["component"] == "indirect")].iloc[0]
    assert_ci_close(res, KEY4, ind, p["conf_low"], p["conf_high"])


def test_parallel(tal, r_est, peer):
    res = mediation(tal, x="cond", m=["pmi", "import"], y="reaction", n_boot=N_BOOT, seed=2)
    pp = peer[(peer["fixture"] == "par") & (peer["component"] == "indirect")].set_index("term")
    for m, key in (("pmi", "ind_pmi"), ("import", "ind_import")):
        row = _effect(res, "indirect", f"cond -> {m} -> reaction")
        assert_allclose(row["estimate"], r_est[("par", key)], rtol=TOL)
        assert_ci_close(res, f"cond -> {m} -> reaction", row, pp.loc[m, "conf_low"], pp.loc[m, "conf_high"])
    assert_allclose(_effect(res, "indirect", "total indirect")["estimate"],
                    r_est[("par", "ind_pmi")] + r_est[("par", "ind_import")], rtol=TOL)


def test_serial(tal, r_est, peer):
    # Hayes (2018), sec. 5.4: X = cond, M1 = import, M2 = pmi, Y = reaction
    res = mediation(tal, x="cond", m=["import", "pmi"], y="reaction", serial=True, n_boot=N_BOOT, seed=2)
    assert_allclose(_path(res, "pmi", "import"), r_est[("ser_pmi", "b:import")], rtol=TOL)
    pp = peer[(peer["fixture"] == "ser") & (peer["component"] == "indirect")].set_index("term")
    for path, key in (("cond -> import -> reaction", "ind_import"), ("cond -> pmi -> reaction", "ind_pmi"),
                      ("cond -> import -> pmi -> reaction", "ind_import_pmi")):
        row = _effect(res, "indirect", path)
        assert_allclose(row["estimate"], r_est[("ser", key)], rtol=TOL)
        assert_allclose(row["estimate"], pp.loc[path, "estimate"], rtol=TOL)
        assert_ci_close(res, path, row, pp.loc[path, "conf_low"], pp.loc[path, "conf_high"])
    assert_allclose(_effect(res, "indirect", "total indirect")["estimate"], r_est[("ser", "total_indirect")], rtol=TOL)


@pytest.mark.parametrize("path,model,fixture", [("a", 7, "m7"), ("b", 14, "m14")])
def test_moderated_mediation(tal, r_est, r_boot, peer, path, model, fixture):
    res = moderated_mediation(tal, x="cond", m="pmi", y="reaction", w="age", path=path, n_boot=N_BOOT, seed=8)
    assert res.model == model
    w = [r_est[("m7", f"w{i}")] for i in (1, 2, 3)]  # quantile(age, c(.16, .5, .84), type = 6)
    cond = res.effects[res.effects["effect"] == "conditional indirect"]
    assert_allclose(cond["w"], w, rtol=TOL)
    assert_allclose(cond["estimate"], [r_est[(fixture, f"cond_ind{i}")] for i in (1, 2, 3)], rtol=TOL)
    index = _effect(res, "index")
    assert_allclose(index["estimate"], r_est[(fixture, "index")], rtol=TOL)
    ref = r_boot.loc[(fixture, "index")]
    assert_ci_close(res, "index cond -> pmi -> reaction", index, ref["ci_low"], ref["ci_high"])
    ref2 = r_boot.loc[(fixture, "cond_ind2")]
    mid = cond.iloc[1]
    assert_ci_close(res, "cond -> pmi -> reaction | age=50th pct", mid, ref2["ci_low"], ref2["ci_high"])
    p = peer[(peer["fixture"] == fixture)]
    pi = p[p["component"] == "index_mm"].iloc[0]
    assert_allclose(index["estimate"], pi["estimate"], rtol=TOL)
    assert_ci_close(res, "index cond -> pmi -> reaction", index, pi["conf_low"], pi["conf_high"])
    assert_allclose(cond["estimate"], p.loc[p["component"] == "indirect", "estimate"], rtol=TOL)


def test_binary_outcome(tal, r_est, peer):
    res = mediation(tal, x="cond", m="pmi", y="hi", binary_y=True, n_boot=N_BOOT, seed=4)
    for term in ("(Intercept)", "cond", "pmi"):  # glm(hi ~ cond + pmi, binomial)
        ours = "constant" if term == "(Intercept)" else term
        assert_allclose(_path(res, "hi", ours), r_est[("m4bin_hi", f"b:{term}")], rtol=TOL)
        assert_allclose(_path(res, "hi", ours, "se"), r_est[("m4bin_hi", f"se:{term}")], rtol=1e-5)
    ind = _effect(res, "indirect")
    assert_allclose(ind["estimate"], r_est[("m4bin", "indirect")], rtol=TOL)
    p = peer[(peer["fixture"] == "m4bin") & (peer["component"] == "indirect")].iloc[0]
    assert_ci_close(res, "cond -> pmi -> hi", ind, p["conf_low"], p["conf_high"])
    assert "total" not in set(res.effects["effect"])


def test_bias_corrected(m4, tal, peer):
    bc = mediation(tal, x="cond", m="pmi", y="reaction", n_boot=N_BOOT, seed=11, ci_type="bc")
    row = _effect(bc, "indirect")
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    assert row["ci_low"] != _effect(m4, "indirect")["ci_low"]
    p = peer[(peer["fixture"] == "m4bc") & (peer["component"] == "indirect")].iloc[0]  # Process(percent=False)
    assert_ci_close(bc, KEY4, row, p["conf_low"], p["conf_high"])
    pd.testing.assert_frame_equal(bc.boot, m4.boot)  # same seed, same resamples: only the interval differs


def test_serial_three_mediators_against_refits(tal):
    """Model 6 with three mediators: all seven chains against products of least-squares paths."""
    med = ["import", "pmi", "age"]
    res = mediation(tal, x="cond", m=med, y="reaction", serial=True, n_boot=200, seed=1)

    def fit(outcome, preds):
        X = np.column_stack([np.ones(len(tal))] + [tal[p] for p in preds])
        return dict(zip(preds, np.linalg.lstsq(X, tal[outcome].to_numpy(float), rcond=None)[0][1:], strict=True))

    a1 = fit("import", ["cond"])
    a2 = fit("pmi", ["cond", "import"])
    a3 = fit("age", ["cond", "import", "pmi"])
    b = fit("reaction", ["cond"] + med)
    expected = {
        "cond -> import -> reaction": a1["cond"] * b["import"],
        "cond -> pmi -> reaction": a2["cond"] * b["pmi"],
        "cond -> age -> reaction": a3["cond"] * b["age"],
        "cond -> import -> pmi -> reaction": a1["cond"] * a2["import"] * b["pmi"],
        "cond -> import -> age -> reaction": a1["cond"] * a3["import"] * b["age"],
        "cond -> pmi -> age -> reaction": a2["cond"] * a3["pmi"] * b["age"],
        "cond -> import -> pmi -> age -> reaction": a1["cond"] * a2["import"] * a3["pmi"] * b["age"],
    }
    for path, value in expected.items():
        assert_allclose(_effect(res, "indirect", path)["estimate"], value, rtol=1e-9)
    assert_allclose(_effect(res, "indirect", "total indirect")["estimate"], sum(expected.values()), rtol=1e-9)
    # the total effect decomposes exactly into direct + all indirect effects (OLS)
    assert_allclose(_effect(res, "total")["estimate"], b["cond"] + sum(expected.values()), rtol=1e-9)


def test_missing_rows_counted(tal):
    d = tal.copy()
    d.loc[[0, 5, 9], "pmi"] = np.nan
    res = mediation(d, x="cond", m="pmi", y="reaction", n_boot=200, seed=1)
    assert len(res.excluded) == 3
    assert res.fit["n"].iloc[0] == len(tal) - 3
    assert (res.fit["n_excluded"] == 3).all()


def test_apa_output(m4):
    text = m4.sentence(x_label="self-disclosure", y_label="satisfaction", m_labels={"pmi": "perceived responsiveness"})
    ind = _effect(m4, "indirect")
    assert ("The indirect effect of self-disclosure on satisfaction through perceived responsiveness "
            "was b = 0.24, 95% CI [") in text
    assert f"{ind['ci_high']:.2f}]." in text
    assert "<table" in m4.table().html


def test_errors(tal):
    with pytest.raises(DataError, match="nope"):
        mediation(tal, x="cond", m="nope", y="reaction", n_boot=200)
    with pytest.raises(ParameterError, match="ci_type"):
        mediation(tal, x="cond", m="pmi", y="reaction", ci_type="bca")
    with pytest.raises(ParameterError, match="n_boot"):
        mediation(tal, x="cond", m="pmi", y="reaction", n_boot=10)
    with pytest.raises(ParameterError, match="two or three"):
        mediation(tal, x="cond", m="pmi", y="reaction", serial=True)
    with pytest.raises(DataError, match="0/1"):
        mediation(tal, x="cond", m="pmi", y="reaction", binary_y=True, n_boot=200)
    with pytest.raises(DataError, match="not numeric"):
        mediation(tal.assign(g=tal["gender"].map({1: "a", 2: "b"})), x="g", m="pmi", y="reaction", n_boot=200)
    with pytest.raises(ParameterError, match="twice"):
        mediation(tal, x="cond", m="cond", y="reaction", n_boot=200)
    with pytest.raises(ParameterError, match="path"):
        moderated_mediation(tal, x="cond", m="pmi", y="reaction", w="age", path="c")


def test_boot_ci_order_statistics():
    """PROCESS's positions: sorted draws round(B * .025) and trunc(B * .975) + 1 (1-based)."""
    from analysis.models._process_bootstrap import boot_ci

    draws = np.random.default_rng(0).permutation(np.arange(1.0, 5001.0))
    assert boot_ci(2500.5, draws, ci=0.95, method="percentile") == (125.0, 4876.0)
    assert boot_ci(2500.5, draws, ci=0.90, method="percentile") == (250.0, 4751.0)
    # bias-corrected: z0 = qnorm(mean(draws < est)); est at the 60th percentile shifts both positions
    lo, hi = boot_ci(3000.5, draws, ci=0.95, method="bc")
    from scipy.stats import norm

    z0 = norm.ppf(0.6)
    assert lo == np.floor(5000 * norm.cdf(2 * z0 - 1.959963984540054) + 0.5)
    assert hi == np.trunc(5000 * norm.cdf(2 * z0 + 1.959963984540054)) + 1


def test_resamples_do_not_depend_on_chunk_size(tal, monkeypatch):
    from analysis.models import _process_bootstrap as _bootstrap

    a = mediation(tal, x="cond", m=["pmi", "import"], y="reaction", n_boot=300, seed=9)
    monkeypatch.setattr(_bootstrap, "CHUNK_CELLS", 7 * len(tal))  # 7 resamples per chunk instead of 300
    b = mediation(tal, x="cond", m=["pmi", "import"], y="reaction", n_boot=300, seed=9)
    assert_allclose(a.boot.to_numpy(), b.boot.to_numpy(), rtol=1e-12)


# --------------------------------------------------------------------------------------------
# one vocabulary (0.2): the result protocol and .excluded one row per left-out row
# --------------------------------------------------------------------------------------------


def test_excluded_one_row_per_left_out_row(tal):
    d = tal.set_axis([f"c{i}" for i in range(len(tal))])  # index labels, not positions
    d.loc[["c0", "c5"], "pmi"] = np.nan
    d.loc["c5", "reaction"] = np.nan
    d.loc["c9", "age"] = np.nan
    d.loc["c11", "gender"] = np.nan  # not a model variable: the row is used
    res = mediation(d, x="cond", m="pmi", y="reaction", covariates=["age"], n_boot=200, seed=1)
    assert list(res.excluded.columns) == ["row", "reason"]
    incomplete = d.index[d[["cond", "pmi", "reaction", "age"]].isna().any(axis=1)]
    assert list(res.excluded["row"]) == list(incomplete) == ["c0", "c5", "c9"]
    # the variables missing in each row, in role order (x, m, y, covariates)
    assert list(res.excluded["reason"]) == ["missing value in pmi", "missing value in pmi, reaction",
                                            "missing value in age"]  # fmt: skip
    assert list(res.fit.columns[:3]) == ["outcome", "n", "n_excluded"]
    assert list(res.fit["outcome"]) == ["pmi", "reaction"]
    assert (res.fit["n_excluded"] == 3).all() and (res.fit["n"] == len(d) - 3).all()
    assert "3 rows with a missing value excluded" in res.table().html
    mm = moderated_mediation(d, x="cond", m="pmi", y="reaction", w="age", n_boot=200, seed=1)
    assert list(mm.excluded["row"]) == ["c0", "c5", "c9"]
    assert mm.excluded["reason"].iloc[1] == "missing value in pmi, reaction"


def test_no_excluded_rows(m4):
    assert list(m4.excluded.columns) == ["row", "reason"] and m4.excluded.empty
    assert (m4.fit["n_excluded"] == 0).all()
    assert "excluded" not in m4.table().html


def test_result_protocol_and_ci_level(m4, tal):
    assert m4.coefficients is m4.paths
    assert list(m4.coefficients.columns[:3]) == ["outcome", "term", "estimate"]
    res = mediation(tal, x="cond", m="pmi", y="reaction", n_boot=500, seed=2, ci=0.9)
    for r, level in ((m4, 95), (res, 90)):
        assert r.ci == level / 100
        assert f"{level}% CI [" in r.sentence()
        html = r.table(title="Mediation", number=7).html
        assert "Mediation" in html and "Table 7" in html and f"{level}% percentile bootstrap CI" in html
    assert "<table" in m4.table(labels={"estimate": "b"}).html
    direct90, direct95 = _effect(res, "direct"), _effect(m4, "direct")
    assert direct90["ci_high"] - direct90["ci_low"] < direct95["ci_high"] - direct95["ci_low"]
    with pytest.raises(ParameterError, match="`ci` must be a number between 0 and 1"):
        mediation(tal, x="cond", m="pmi", y="reaction", ci=95)


# --------------------------------------------------------------------------------------------
# model 8, probing at mean -/+ SD and chosen values, contrasts, Sobel, total-effect model
# --------------------------------------------------------------------------------------------

EXACT = 1e-8


@pytest.fixture(scope="module")
def p_est() -> dict:
    e = pd.read_csv(REF / "process_probe_estimates.csv")
    return {(f, q): v for f, q, v in e.itertuples(index=False)}


@pytest.fixture(scope="module")
def p_boot() -> pd.DataFrame:
    return pd.read_csv(REF / "process_probe_boot.csv").set_index(["fixture", "quantity"])


@pytest.fixture(scope="module")
def disaster() -> pd.DataFrame:
    return pd.read_csv(REF / "process_disaster.csv")


@pytest.fixture(scope="module")
def m8(disaster):
    return moderated_mediation(disaster, x="frame", m="justify", y="donate", w="skeptic", path="a+direct",
                               n_boot=N_BOOT, seed=12)  # fmt: skip


def test_model8_published_and_r(m8, p_est, p_boot):
    assert m8.model == 8
    for fixture, outcome in (("m8_justify", "justify"), ("m8_donate", "donate")):
        for term in m8.paths.loc[m8.paths["outcome"] == outcome, "term"]:
            rname = {"constant": "(Intercept)"}.get(term, term.replace("*", ":"))
            assert_allclose(_path(m8, outcome, term), p_est[(fixture, f"b:{rname}")], rtol=EXACT)
            assert_allclose(_path(m8, outcome, term, "se"), p_est[(fixture, f"se:{rname}")], rtol=EXACT)
    ind = m8.effects[m8.effects["effect"] == "conditional indirect"]
    # Hayes (2018), ch. 12, PROCESS model 8, printed to 3 decimals (see the report: .2235 vs .224)
    assert_allclose(ind["w"], [1.592, 2.800, 5.200], atol=5e-4)
    assert_allclose(ind["estimate"], [0.224, -0.001, -0.446], atol=1e-3)
    # (a1 + a3 w) b from lm(); w = quantile(skeptic, c(.16, .5, .84), type = 6)
    assert_allclose(ind["w"], [p_est[("m8", f"pct_w{i}")] for i in (1, 2, 3)], rtol=EXACT)
    assert_allclose(ind["estimate"], [p_est[("m8", f"pct_ind{i}")] for i in (1, 2, 3)], rtol=EXACT)
    assert_allclose(_effect(m8, "index")["estimate"], p_est[("m8", "index")], rtol=EXACT)
    direct = m8.effects[m8.effects["effect"] == "conditional direct"]
    assert "direct" not in set(m8.effects["effect"])
    for col, q in (("estimate", "dir"), ("se", "dir_se"), ("ci_low", "dir_lo"), ("ci_high", "dir_hi")):
        # lin(m8b, c(0, 1, 0, 0, w)): c1' + c3' w, its SE and t-based CI
        assert_allclose(direct[col], [p_est[("m8", f"pct_{q}{i}")] for i in (1, 2, 3)], rtol=EXACT)
    ref = p_boot.loc[("m8", "index")]  # boot.ci(boot(dis, f8, R = 5000), type = "perc")
    assert_ci_close(m8, "index frame -> justify -> donate", _effect(m8, "index"), ref["ci_low"], ref["ci_high"])
    for i, label in enumerate(["16th pct", "50th pct", "84th pct"], start=1):
        ref = p_boot.loc[("m8", f"pct_ind{i}")]
        key = f"frame -> justify -> donate | skeptic={label}"
        assert_ci_close(m8, key, ind.iloc[i - 1], ref["ci_low"], ref["ci_high"])
        assert_allclose(ind.iloc[i - 1]["se"], ref["se"], rtol=0.06)
    text = m8.sentence()
    assert "At skeptic = 1.59, the direct effect of frame on donate was b = 0.18" in text
    assert m8.sobel.empty and m8.total_model.empty and m8.total_fit.empty


@pytest.mark.parametrize("path, fixture", [("a", "m7"), ("b", "m14"), ("a+direct", "m8")])
@pytest.mark.parametrize("rule, probe", [("msd", "mean_sd"), ("val", None)])
def test_probe_mean_sd_and_values(tal, disaster, p_est, path, fixture, rule, probe):
    data, x, m, y, w = ((disaster, "frame", "justify", "donate", "skeptic") if fixture == "m8"
                        else (tal, "cond", "pmi", "reaction", "age"))  # fmt: skip
    values = [p_est[("m8" if fixture == "m8" else "m7", f"{rule}_w{i}")] for i in (1, 2, 3)]
    res = moderated_mediation(data, x=x, m=m, y=y, w=w, path=path, probe=probe or values, n_boot=200, seed=1)
    ind = res.effects[res.effects["effect"] == "conditional indirect"]
    assert_allclose(ind["w"], values, rtol=1e-12)  # mean(w) + c(-1, 0, 1) * sd(w), or the chosen values
    assert_allclose(ind["estimate"], [p_est[(fixture, f"{rule}_ind{i}")] for i in (1, 2, 3)], rtol=EXACT)
    labels = ["\u22121 SD", "mean", "+1 SD"] if probe else [f"{v:g}" for v in values]
    assert [c.split("=", 1)[1] for c in res.boot.columns[:3]] == labels
    if fixture == "m8":
        direct = res.effects[res.effects["effect"] == "conditional direct"]
        assert_allclose(direct["estimate"], [p_est[("m8", f"{rule}_dir{i}")] for i in (1, 2, 3)], rtol=EXACT)


def test_probe_warnings_and_errors(tal):
    with pytest.warns(AnalysisWarning, match=r"Probe value\(s\) 90 of age lie outside its observed range"):
        moderated_mediation(tal, x="cond", m="pmi", y="reaction", w="age", probe=[30, 90], n_boot=200, seed=1)
    with pytest.raises(ParameterError, match="`probe` must be one of 'percentiles', 'mean_sd'"):
        moderated_mediation(tal, x="cond", m="pmi", y="reaction", w="age", probe="sd")
    with pytest.raises(ParameterError, match="'a', 'a\\+direct', 'b'"):
        moderated_mediation(tal, x="cond", m="pmi", y="reaction", w="age", path="c'")
    one = mediation(tal, x="cond", m="pmi", y="reaction", contrasts=True, n_boot=200, seed=1)
    assert not (one.effects["effect"] == "contrast").any()  # one mediator: nothing to contrast, no error


def test_contrasts_parallel(tal, p_est, p_boot):
    res = mediation(tal, x="cond", m=["pmi", "import"], y="reaction", contrasts=True, n_boot=N_BOOT, seed=2)
    label = "(cond -> pmi -> reaction) - (cond -> import -> reaction)"
    row = _effect(res, "contrast", label)
    assert_allclose(row["estimate"], p_est[("par", "contrast_pmi_import")], rtol=EXACT)
    ref = p_boot.loc[("par", "contrast_pmi_import")]  # boot.ci(boot(d, fpar, R = 5000), type = "perc")
    assert_ci_close(res, f"contrast {label}", row, ref["ci_low"], ref["ci_high"])
    # the contrast's draws are the differences of the kept draws of the two indirect effects
    assert_allclose(res.boot[f"contrast {label}"],
                    res.boot["cond -> pmi -> reaction"] - res.boot["cond -> import -> reaction"], rtol=1e-12)
    assert "Contrast: first indirect effect minus second." in res.table().html
    assert "The difference between the indirect effects (cond -> pmi -> reaction)" in res.sentence()
    plain = mediation(tal, x="cond", m=["pmi", "import"], y="reaction", n_boot=N_BOOT, seed=2)
    assert "contrast" not in set(plain.effects["effect"])  # opt-in, as PROCESS contrast=1
    pd.testing.assert_frame_equal(plain.boot, res.boot[plain.boot.columns])


def test_contrasts_serial(tal, p_est, p_boot):
    res = mediation(tal, x="cond", m=["import", "pmi"], y="reaction", serial=True, contrasts=True,
                    n_boot=N_BOOT, seed=2)  # fmt: skip
    chains = {"imp": "cond -> import -> reaction", "pmi": "cond -> pmi -> reaction",
              "imppmi": "cond -> import -> pmi -> reaction"}  # fmt: skip
    for first, second in (("imp", "pmi"), ("imp", "imppmi"), ("pmi", "imppmi")):
        label = f"({chains[first]}) - ({chains[second]})"
        row = _effect(res, "contrast", label)
        assert_allclose(row["estimate"], p_est[("ser", f"contrast_{first}_{second}")], rtol=EXACT)
        ref = p_boot.loc[("ser", f"contrast_{first}_{second}")]
        assert_ci_close(res, f"contrast {label}", row, ref["ci_low"], ref["ci_high"])
    assert (res.effects["effect"] == "contrast").sum() == 3
    assert res.sobel.empty  # the Sobel test is defined for model 4 only


@pytest.mark.parametrize("fixture, m, covariates, paths", [
    ("sobel_m4", "pmi", [], {"sobel_m4": "cond -> pmi -> reaction"}),
    ("sobel_m4cov", "pmi", ["gender", "age"], {"sobel_m4cov": "cond -> pmi -> reaction"}),
    ("sobel_par", ["pmi", "import"], [], {"sobel_par_pmi": "cond -> pmi -> reaction",
                                          "sobel_par_import": "cond -> import -> reaction"}),
])  # fmt: skip
def test_sobel(tal, p_est, fixture, m, covariates, paths):
    res = mediation(tal, x="cond", m=m, y="reaction", covariates=covariates, n_boot=200, seed=1)
    sob = res.sobel.set_index("path")
    assert list(res.sobel.columns) == ["path", "estimate", "se", "statistic", "p_value", "ci_low", "ci_high"]
    assert res.sobel.attrs["statistic"] == "z"
    for key, path in paths.items():
        # a b, sqrt(b^2 sa^2 + a^2 sb^2), z, 2 pnorm(-|z|), a b -/+ qnorm(.975) se
        for col, q in (("estimate", "estimate"), ("se", "se"), ("statistic", "z"), ("p_value", "p"),
                       ("ci_low", "ci_low"), ("ci_high", "ci_high")):  # fmt: skip
            assert_allclose(sob.loc[path, col], p_est[(key, q)], rtol=EXACT)
        assert_allclose(sob.loc[path, "estimate"], _effect(res, "indirect", path)["estimate"], rtol=1e-12)
    assert len(res.sobel) == len(paths)


def test_sobel_not_for_serial_chains(tal):
    res = mediation(tal, x="cond", m=["import", "pmi"], y="reaction", serial=True, n_boot=200, seed=1)
    assert res.sobel.empty and list(res.sobel.columns)[:2] == ["path", "estimate"]


@pytest.mark.parametrize("fixture, covariates", [("total_m4", []), ("total_m4cov", ["gender", "age"])])
def test_total_effect_model(tal, p_est, fixture, covariates):
    res = mediation(tal, x="cond", m=["pmi", "import"], y="reaction", covariates=covariates, n_boot=200, seed=1)
    tm = res.total_model.set_index("term")
    assert list(tm.index) == ["constant", "cond", *covariates]
    for term in tm.index:
        rname = "(Intercept)" if term == "constant" else term
        for col, q in (("estimate", "b"), ("se", "se"), ("ci_low", "lo"), ("ci_high", "hi")):
            assert_allclose(tm.loc[term, col], p_est[(fixture, f"{q}:{rname}")], rtol=EXACT)  # lm(), confint()
    f = res.total_fit.iloc[0]
    assert_allclose([f["r2"], f["f"], f["p_value"]], [p_est[(fixture, q)] for q in ("r2", "f", "p")], rtol=EXACT)
    assert f["n"] == len(tal) and f["outcome"] == "reaction"
    assert_allclose(tm.loc["cond", "estimate"], _effect(res, "total")["estimate"], rtol=1e-12)
    html = res.total_table(number=3).html
    assert "Total-effect model (PROCESS total = 1)" in html and "Table 3" in html and "<i>t</i>" in html


def test_no_total_effect_model_when_moderated_or_binary(tal):
    binary = mediation(tal, x="cond", m="pmi", y="hi", binary_y=True, n_boot=200, seed=1)
    moder = moderated_mediation(tal, x="cond", m="pmi", y="reaction", w="age", n_boot=200, seed=1)
    for res in (binary, moder):
        assert res.total_model.empty and res.total_fit.empty
        with pytest.raises(ParameterError, match="PROCESS reports it for models 4 and 6"):
            res.total_table()
