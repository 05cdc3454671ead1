"""Tests of analysis.moderation (PROCESS models 1 and 3) against R and published PROCESS output.

References (tests/reference/):
  process_probe.R -> process_probe_estimates.csv  conditional effects of model 1 at mean -/+ SD and at
      chosen values, of model 3 at chosen W and Z at mean -/+ SD (lm, vcov, qt: exact)
  process.R -> process_estimates.csv  lm(justify ~ frame * skeptic) on process_disaster.csv (coefficients,
      SEs, sandwich::vcovHC(type = "HC3") SEs, Johnson-Neyman roots from polyroot() on the same
      quadratic, conditional effects at quantile(type = 6) values); lm(reaction ~ cond * pmi * age) on
      psych::Tal_Or (model 3)
  process_pyprocessmacro.csv  pyprocessmacro model 1 (its moderator letter is m) on the disaster data
Published: Hayes (2018), ch. 7 (disaster data, PROCESS model 1, X = frame, W = skeptic,
Y = justify): b = 2.452, -0.562, 0.105, 0.201; Johnson-Neyman boundaries 1.171 (6.635% below) and
3.934 (67.773% below); W probed at 1.592, 2.800, 5.200 with theta = -0.242, 0.001, 0.484.
"""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.exceptions import AnalysisWarning, DataError, ParameterError
from analysis.models.process_moderation import moderation

REF = Path(__file__).resolve().parent / "reference"
TOL = 1e-6


@pytest.fixture(scope="module")
def disaster() -> pd.DataFrame:
    return pd.read_csv(REF / "process_disaster.csv")


@pytest.fixture(scope="module")
def m1(disaster):
    return moderation(disaster, x="frame", w="skeptic", y="justify")


def _r(term: str) -> str:
    return {"constant": "(Intercept)"}.get(term, term.replace("*", ":"))


def test_model1_published(m1):
    # Hayes (2018), ch. 7, PROCESS model 1 output, printed to 3 decimals
    assert_allclose(m1.coefficients["estimate"], [2.452, -0.562, 0.105, 0.201], atol=5e-4)
    assert_allclose(m1.johnson_neyman["value"], [1.171, 3.934], atol=5e-4)
    assert_allclose(m1.johnson_neyman["pct_below"], [6.635, 67.773], atol=5e-3)
    pct = m1.conditional_effects[m1.conditional_effects["rule"] == "percentiles"]
    assert_allclose(pct["w"], [1.592, 2.800, 5.200], atol=5e-4)
    assert_allclose(pct["estimate"], [-0.242, 0.001, 0.484], atol=5e-4)


def test_model1_against_r(m1, r_est, disaster):
    for term, est, se in m1.coefficients[["term", "estimate", "se"]].itertuples(index=False):
        assert_allclose(est, r_est[("m1", f"b:{_r(term)}")], rtol=TOL)  # coef(lm(justify ~ frame * skeptic))
        assert_allclose(se, r_est[("m1", f"se:{_r(term)}")], rtol=TOL)  # sqrt(diag(vcov(m1)))
    # polyroot() on the same quadratic; pct below: 100 * mean(skeptic < root)
    roots = [r_est[("m1_jn_ols", "root1")], r_est[("m1_jn_ols", "root2")]]
    assert_allclose(m1.johnson_neyman["value"], roots, rtol=TOL)
    assert_allclose(m1.johnson_neyman["pct_below"], [r_est[("m1_jn_ols", f"pct_below{i}")] for i in (1, 2)], rtol=TOL)
    assert_allclose(m1.johnson_neyman["pct_above"] + m1.johnson_neyman["pct_below"], 100)  # no case at a root
    pct = m1.conditional_effects[m1.conditional_effects["rule"] == "percentiles"]
    assert_allclose(pct["w"], [r_est[("m1", f"w{i}")] for i in (1, 2, 3)], rtol=TOL)  # quantile(type = 6)
    assert_allclose(pct["estimate"], [r_est[("m1", f"theta{i}")] for i in (1, 2, 3)], rtol=TOL)
    assert_allclose(pct["se"], [r_est[("m1", f"theta_se{i}")] for i in (1, 2, 3)], rtol=TOL)
    assert_allclose(m1.interaction["r2_change"].item(), r_est[("m1", "r2_change")], rtol=TOL)
    # at a boundary the conditional effect is exactly significant at .05
    bounds = m1.jn_curve[np.isin(m1.jn_curve["moderator"], m1.johnson_neyman["value"])]
    assert_allclose(bounds["p_value"], 0.05, rtol=1e-8)
    moments = m1.conditional_effects[m1.conditional_effects["rule"] == "mean_sd"]
    sk = disaster["skeptic"]
    assert_allclose(moments["w"], [sk.mean() - sk.std(), sk.mean(), sk.mean() + sk.std()], rtol=1e-12)


def test_model1_against_pyprocessmacro(m1):
    peer = pd.read_csv(REF / "process_pyprocessmacro.csv")
    p = peer[peer["fixture"] == "m1"]
    assert_allclose(m1.coefficients["estimate"], p.loc[p["component"] == "outcome", "estimate"], rtol=TOL)
    pct = m1.conditional_effects[m1.conditional_effects["rule"] == "percentiles"]
    d = p[p["component"] == "direct"]
    assert_allclose(pct["w"], d["w"], rtol=TOL)
    assert_allclose(pct[["estimate", "se", "ci_low", "ci_high"]].to_numpy(),
                    d[["estimate", "std_error", "conf_low", "conf_high"]].to_numpy(), rtol=TOL)


def test_hc3(disaster, r_est):
    res = moderation(disaster, x="frame", w="skeptic", y="justify", robust="HC3")
    for term, se in res.coefficients[["term", "se"]].itertuples(index=False):
        assert_allclose(se, r_est[("m1_hc3", f"se:{_r(term)}")], rtol=TOL)  # vcovHC(m1, type = "HC3")
    assert_allclose(res.johnson_neyman["value"], [r_est[("m1_jn_hc3", f"root{i}")] for i in (1, 2)], rtol=TOL)


def test_centering(disaster, r_est, m1):
    res = moderation(disaster, x="frame", w="skeptic", y="justify", center=True)
    for term, est in res.coefficients[["term", "estimate"]].itertuples(index=False):
        assert_allclose(est, r_est[("m1c", f"b:{_r(term)}")], rtol=TOL)
    # centring moves the boundaries by the mean of W and leaves the interaction unchanged
    assert_allclose(res.johnson_neyman["value"] + disaster["skeptic"].mean(), m1.johnson_neyman["value"], rtol=1e-9)


def test_model3(tal, r_est):
    res = moderation(tal, x="cond", w="pmi", z="age", y="reaction")
    assert res.model == 3
    for term, est, se in res.coefficients[["term", "estimate", "se"]].itertuples(index=False):
        assert_allclose(est, r_est[("m3", f"b:{_r(term)}")], rtol=TOL)  # lm(reaction ~ cond * pmi * age)
        assert_allclose(se, r_est[("m3", f"se:{_r(term)}")], rtol=TOL)
    assert_allclose(res.johnson_neyman["value"], [r_est[("m3_jn", "root1")], r_est[("m3_jn", "root2")]], rtol=TOL)
    b = res.coefficients.set_index("term")["estimate"]
    ce = res.conditional_effects
    row = ce[(ce["effect"] == "cond") & (ce["rule"] == "percentiles")].iloc[4]
    assert_allclose(row["estimate"], b["cond"] + b["cond*pmi"] * row["w"] + b["cond*age"] * row["z"]
                    + b["cond*pmi*age"] * row["w"] * row["z"], rtol=1e-12)
    assert "cond \u00d7 pmi interaction depended on age" in res.sentence()


def test_model3_against_pyprocessmacro(tal):
    peer = pd.read_csv(REF / "process_pyprocessmacro.csv")
    p = peer[(peer["fixture"] == "m3") & (peer["component"] == "direct")]  # effect of cond at (pmi, age)
    res = moderation(tal, x="cond", w="pmi", z="age", y="reaction")
    ce = res.conditional_effects
    ours = ce[(ce["effect"] == "cond") & (ce["rule"] == "percentiles")].sort_values(["w", "z"])
    p = p.sort_values(["w", "z"])
    assert len(ours) == len(p) == 9
    assert_allclose(ours[["w", "z"]].to_numpy(), p[["w", "z"]].to_numpy(), rtol=TOL)
    assert_allclose(ours[["estimate", "se", "ci_low", "ci_high"]].to_numpy(),
                    p[["estimate", "std_error", "conf_low", "conf_high"]].to_numpy(), rtol=TOL)


def test_dichotomous_moderator_and_covariates(tal):
    res = moderation(tal, x="pmi", w="cond", y="reaction", covariates=["age"])
    pct = res.conditional_effects[res.conditional_effects["rule"] == "percentiles"]
    assert list(pct["w"]) == [0.0, 1.0]
    assert res.johnson_neyman.empty
    assert "age" in set(res.coefficients["term"])
    assert len(res.visual) == 6  # 3 values of X x 2 of W


def test_missing_rows_counted(disaster):
    d = disaster.copy()
    d.loc[[1, 2], "skeptic"] = np.nan
    res = moderation(d, x="frame", w="skeptic", y="justify")
    assert len(res.excluded) == 2 and res.fit["n"].item() == len(d) - 2
    assert res.fit["n_excluded"].item() == 2


def test_apa_output(m1):
    text = m1.sentence()
    assert text.startswith("The effect of frame on justify depended on skeptic: b = 0.20, "
                           "95% CI [0.09, 0.31], t(207) = 3.64, p < .001")
    assert "skeptic = 1.17 and 3.93" in text
    assert "<table" in m1.table().html


def test_errors(disaster):
    with pytest.raises(DataError, match="skeptik"):
        moderation(disaster, x="frame", w="skeptik", y="justify")
    with pytest.raises(ParameterError, match="probe"):
        moderation(disaster, x="frame", w="skeptic", y="justify", probe="quartiles")
    with pytest.raises(DataError, match="constant"):
        moderation(disaster.assign(k=1.0), x="frame", w="k", y="justify")
    with pytest.raises(DataError, match="complete rows"):
        moderation(disaster.head(4), x="frame", w="skeptic", y="justify")


# --------------------------------------------------------------------------------------------
# one vocabulary (0.2): robust=, .robust, .excluded one row per row; the 0.1 hc3= still works
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hc3, robust", [(True, "HC3"), (False, None)])
def test_old_hc3_keyword_warns_and_gives_identical_numbers(disaster, hc3, robust):
    new = moderation(disaster, x="frame", w="skeptic", y="justify", robust=robust)
    with pytest.warns(DeprecationWarning, match=r"`moderation\(hc3=\.\.\.\)` is now `robust=` .*0\.3"):
        old = moderation(disaster, x="frame", w="skeptic", y="justify", hc3=hc3)
    assert old.robust == new.robust == robust
    for table in ("coefficients", "fit", "interaction", "conditional_effects", "johnson_neyman", "jn_curve"):
        pd.testing.assert_frame_equal(getattr(old, table), getattr(new, table), check_exact=True, obj=table)


def test_old_and_new_se_keyword_together_is_an_error(disaster):
    with pytest.raises(ParameterError, match=r"got both `hc3=` .* and `robust=`; pass only `robust=`"):
        moderation(disaster, x="frame", w="skeptic", y="justify", hc3=True, robust="HC3")


def test_robust_is_validated(disaster):
    message = "The value for `robust` must be one of None, 'HC3', but 'hc3' was passed."
    with pytest.raises(ParameterError, match=re.escape(message)):
        moderation(disaster, x="frame", w="skeptic", y="justify", robust="hc3")
    with pytest.raises(ParameterError, match="`ci` must be a number between 0 and 1"):
        moderation(disaster, x="frame", w="skeptic", y="justify", ci=95)


def test_result_hc3_attribute_is_deprecated(disaster, m1):
    res = moderation(disaster, x="frame", w="skeptic", y="justify", robust="HC3")
    with pytest.warns(DeprecationWarning, match=r"`ModerationResult.hc3` is now `.robust`"):
        assert res.hc3 is True
    with pytest.warns(DeprecationWarning, match="ModerationResult.hc3"):
        assert m1.hc3 is False
    assert "HC3 standard errors" in res.table().html and "HC3" not in m1.table().html


def test_excluded_one_row_per_left_out_row(disaster):
    d = disaster.set_axis([f"r{i}" for i in range(len(disaster))])  # index labels, not positions
    d.loc[["r1", "r2"], "skeptic"] = np.nan
    d.loc["r2", "frame"] = np.nan
    d.loc["r7", "justify"] = np.nan
    d.loc["r9", "donate"] = np.nan  # not a model variable: the row is used
    res = moderation(d, x="frame", w="skeptic", y="justify")
    assert list(res.excluded.columns) == ["row", "reason"]
    incomplete = d.index[d[["frame", "skeptic", "justify"]].isna().any(axis=1)]
    assert list(res.excluded["row"]) == list(incomplete) == ["r1", "r2", "r7"]
    # the variables missing in each row, in role order (x, w, y)
    assert list(res.excluded["reason"]) == ["missing value in skeptic", "missing value in frame, skeptic",
                                            "missing value in justify"]  # fmt: skip
    assert list(res.fit.columns[:2]) == ["n", "n_excluded"] and len(res.fit) == 1
    assert res.fit["n_excluded"].item() == 3 and res.fit["n"].item() == len(d) - 3
    assert "3 rows with a missing value excluded" in res.table().html
    complete = moderation(disaster, x="frame", w="skeptic", y="justify")
    assert list(complete.excluded.columns) == ["row", "reason"] and complete.excluded.empty
    assert complete.fit["n_excluded"].item() == 0


def test_result_protocol_and_ci_level(disaster, m1):
    res = moderation(disaster, x="frame", w="skeptic", y="justify", ci=0.9)
    for r, level in ((m1, 95), (res, 90)):
        assert r.ci == level / 100 and r.robust is None
        assert isinstance(r.coefficients, pd.DataFrame) and isinstance(r.fit, pd.DataFrame)
        assert f"{level}% CI [" in r.sentence()
        html = r.table(title="Moderation", number=4).html
        assert "Moderation" in html and "Table 4" in html and f"CI = {level}% confidence interval" in html
    assert "<table" in m1.table(labels={"estimate": "b"}).html
    narrow = res.coefficients["ci_high"] - res.coefficients["ci_low"]
    assert (narrow < m1.coefficients["ci_high"] - m1.coefficients["ci_low"]).all()


# --------------------------------------------------------------------------------------------
# probing at mean -/+ SD and at chosen values (PROCESS moments=1, wmodval, zmodval)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def p_est() -> dict:
    e = pd.read_csv(REF / "process_probe_estimates.csv")
    return {(f, q): v for f, q, v in e.itertuples(index=False)}


def _block(res, rule, effect=None):
    ce = res.conditional_effects
    return ce[(ce["rule"] == rule) & (ce["effect"] == (effect or res.x))]


@pytest.mark.parametrize("rule, probe", [("msd", "mean_sd"), ("val", [2, 4, 6])])
def test_model1_probe_against_r(disaster, p_est, rule, probe):
    res = moderation(disaster, x="frame", w="skeptic", y="justify", probe=probe)
    block = _block(res, "mean_sd" if rule == "msd" else "values")
    assert_allclose(block["w"], [p_est[("m8", f"{rule}_w{i}")] for i in (1, 2, 3)], rtol=1e-12)
    for col, q in (("estimate", "theta"), ("se", "theta_se"), ("ci_low", "theta_lo"), ("ci_high", "theta_hi")):
        # lin(m1, c(0, 1, 0, w)): g'b, sqrt(g'Vg), g'b -/+ qt(.975, df) * se
        assert_allclose(block[col], [p_est[("m1", f"{rule}_{q}{i}")] for i in (1, 2, 3)], rtol=1e-8)
    # the probe rule also sets the values of W in `visual`
    assert_allclose(np.unique(res.visual["skeptic"]), block["w"], rtol=1e-12)
    assert set(res.conditional_effects["rule"]) >= {"percentiles", "mean_sd"}


def test_values_block_only_for_chosen_values(m1, disaster):
    assert set(m1.conditional_effects["rule"]) == {"percentiles", "mean_sd"}
    res = moderation(disaster, x="frame", w="skeptic", y="justify", probe=[3.0])
    assert list(_block(res, "values")["w_label"]) == ["3"]


def test_model3_probe_values_and_z_rule(tal, p_est):
    res = moderation(tal, x="cond", w="pmi", z="age", y="reaction", probe=[4, 6], probe_z="mean_sd")
    block = _block(res, "values")
    assert len(block) == 6  # 2 values of W x 3 of Z
    assert_allclose(sorted(set(block["z"])), [p_est[("m3", f"msd_z{j}")] for j in (1, 2, 3)], rtol=1e-12)
    for i, wv in enumerate((4, 6), start=1):
        for j in (1, 2, 3):
            row = block[(block["w"] == wv) & np.isclose(block["z"], p_est[("m3", f"msd_z{j}")])].iloc[0]
            assert_allclose(row["estimate"], p_est[("m3", f"val_theta_w{i}_z{j}")], rtol=1e-8)
            assert_allclose(row["se"], p_est[("m3", f"val_theta_se_w{i}_z{j}")], rtol=1e-8)
    inter = _block(res, "values", "cond*pmi")  # the conditional X*W interaction at the Z values
    assert len(inter) == 3 and list(inter["z_label"]) == ["\u22121 SD", "mean", "+1 SD"]


def test_probe_warnings_and_errors(disaster, tal):
    with pytest.warns(AnalysisWarning, match=r"Probe value\(s\) 12 of skeptic lie outside its observed range"):
        moderation(disaster, x="frame", w="skeptic", y="justify", probe=[2, 12])
    skewed = disaster.assign(skeptic=np.exp(disaster["skeptic"]))  # mean - SD below the minimum
    with pytest.warns(AnalysisWarning, match="below its minimum; the minimum"):
        res = moderation(skewed, x="frame", w="skeptic", y="justify", probe="mean_sd")
    block = _block(res, "mean_sd")
    assert block["w"].iloc[0] == skewed["skeptic"].min() and block["w_label"].iloc[0] == "minimum"
    moderation(skewed, x="frame", w="skeptic", y="justify")  # percentiles: the mean_sd block does not warn
    with pytest.warns(DeprecationWarning, match='`probe="moments"` is now `probe="mean_sd"`'):
        old = moderation(disaster, x="frame", w="skeptic", y="justify", probe="moments")
    new = moderation(disaster, x="frame", w="skeptic", y="justify", probe="mean_sd")
    pd.testing.assert_frame_equal(old.visual, new.visual)
    with pytest.raises(ParameterError, match="`probe` must be one of 'percentiles', 'mean_sd' or a list"):
        moderation(disaster, x="frame", w="skeptic", y="justify", probe=["low"])
    with pytest.raises(ParameterError, match="at least one finite"):
        moderation(disaster, x="frame", w="skeptic", y="justify", probe=[])
    with pytest.raises(ParameterError, match="`probe_z` probes the second moderator"):
        moderation(disaster, x="frame", w="skeptic", y="justify", probe_z="mean_sd")
