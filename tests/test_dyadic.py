"""Tests of analysis.dyadic: APIM by GLS against nlme::gls, nonindependence, k, distinguishability.

Reference values come from tests/reference/apim.R (nlme 3.1-162, psych; printed in apim.Rout):
  apim_coefficients.csv  summary(gls(...))$tTable per model (and summary(lme(...))$tTable)
  apim_fit.csv           rho (corCompSymm), sigma, delta (varIdent), logLik, AIC, BIC, and the
                         empty model's sigma and rho, per model
  apim_icc.csv           pairwise / ANOVA ICC (+ psych::ICC ICC1 bounds), cor.test
  apim_lrt.csv           anova(gls_ML_indistinguishable, gls_ML_two_intercept)
Data: Acitelli couples (shared data, skipped when absent), apim_negative_data.csv (simulated in R,
within-dyad residual correlation about -.4, dyad-level predictor w) and apim_incomplete_data.csv
(simulated in R, distinguishable roles, one-member dyads and rows excluded for missing values).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.exceptions import ConvergenceWarning, DataError, ParameterError
from analysis.models.dyadic import APIMResult, apim
from analysis.models.dyadic_diagnostics import apim_k, distinguishability_test, dyadic_icc

REFERENCE = Path(__file__).resolve().parent / "reference"
COEF = pd.read_csv(REFERENCE / "apim_coefficients.csv")
FIT = pd.read_csv(REFERENCE / "apim_fit.csv").set_index("model")
ICC = pd.read_csv(REFERENCE / "apim_icc.csv")
LRT = pd.read_csv(REFERENCE / "apim_lrt.csv").set_index("data")
NEGATIVE = pd.read_csv(REFERENCE / "apim_negative_data.csv")
INCOMPLETE = pd.read_csv(REFERENCE / "apim_incomplete_data.csv")
ACI_FORMULA = "Satisfaction_A ~ OtherPos_A + OtherPos_P"
RHO_ATOL = 1e-5  # nlme stops up to 5.3e-6 from the exact optimum (test_exact_optimum)

# our term -> nlme's term, per model family (Acitelli roles: Gender_A -1 wife, 1 husband)
TWO_INT_ACI = {"Intercept (-1)": "wife", "OtherPos_A (-1)": "wife:OtherPos_A",
               "OtherPos_P (-1)": "wife:OtherPos_P", "Intercept (1)": "husband",
               "OtherPos_A (1)": "husband:OtherPos_A", "OtherPos_P (1)": "husband:OtherPos_P"}
TWO_INT_INC = {"Intercept (man)": "man", "x_A (man)": "man:x_A", "x_P (man)": "man:x_P",
               "Intercept (woman)": "woman", "x_A (woman)": "woman:x_A", "x_P (woman)": "woman:x_P"}


@pytest.fixture(scope="module")
def acitelli(shared_data):
    return pd.read_csv(shared_data / "acitelli_couples" / "data_pairwise.csv")


@pytest.fixture(scope="module")
def acitelli_individual(shared_data):
    return pd.read_csv(shared_data / "acitelli_couples" / "data.csv")


def check_against_r(res: APIMResult, model: str, names=None, two_roles=False):
    """Coefficients, SEs, t, p, rho, SDs, logLik, AIC, BIC and pseudo-R2 against nlme."""
    ref = COEF[COEF["model"] == model].set_index("term")
    ours = res.coefficients.set_index("term")
    ours.index = [(names or {}).get(t, "(Intercept)" if t == "Intercept" else t) for t in ours.index]
    ref = ref.loc[ours.index]
    # summary(gls)$tTable: Value, Std.Error, t-value, p-value; df = N - p
    assert_allclose(ours["estimate"], ref["estimate"], rtol=1e-6, atol=1e-8)
    assert_allclose(ours["se"], ref["se"], rtol=1e-6)
    assert_allclose(ours["statistic"], ref["statistic"], rtol=1e-6)
    assert_allclose(ours["p_value"], ref["p_value"], rtol=1e-4, atol=1e-12)
    assert_allclose(ours["df"], ref["df"])
    f, r = res.fit.iloc[0], FIT.loc[model]
    assert f["n"] == r["n"]
    # coef(corStruct, unconstrained = FALSE): nlme's optimizer stops up to ~2e-6 from the optimum
    # (see test_exact_optimum); ours is at least as likely:
    assert_allclose(f["rho"], r["rho"], atol=RHO_ATOL)
    assert_allclose(f["loglik"], r["loglik"], atol=1e-6)  # logLik(fit)
    assert f["loglik"] >= r["loglik"] - 1e-9
    assert_allclose([f["aic"], f["bic"]], [r["aic"], r["bic"]], atol=1e-5)  # AIC(fit), BIC(fit)
    sig = res.variances["sigma"].to_numpy()
    # fit$sigma (reference stratum = role of the first row), times coef(varStruct) for the other
    expect = [r["sigma"], r["sigma"] * r["delta"]] if two_roles else [r["sigma"]]
    assert_allclose(sig, expect, rtol=1e-6)
    if not np.isnan(r["sigma_empty"]):
        if not two_roles:  # Kenny's pseudo-R2: 1 - sigma^2 / sigma^2(empty gls)
            assert_allclose(res.variances["pseudo_r2"], 1 - (r["sigma"] / r["sigma_empty"]) ** 2, rtol=1e-5)
        assert_allclose(f["rho_empty"], r["rho_empty"], atol=RHO_ATOL)


# ---------------------------------------------------------------------------- Acitelli
@pytest.mark.parametrize("method", ["REML", "ML"])
def test_acitelli_indistinguishable_matches_nlme(acitelli, method):
    res = apim(acitelli, formula=ACI_FORMULA, dyad="CoupleID", method=method)
    check_against_r(res, f"acitelli_indist_{method}")


def test_acitelli_published_values(acitelli):
    """Kenny's workshop handout (SOURCE.md, result 1)."""
    res = apim(acitelli, formula=ACI_FORMULA, dyad="CoupleID")
    est = res.coefficients.set_index("term")
    assert_allclose(est.loc["Intercept", "estimate"], 0.6698, atol=5e-5)
    assert_allclose(est.loc["OtherPos_A", "estimate"], 0.4004, atol=5e-5)
    assert_allclose(est.loc["OtherPos_P", "estimate"], 0.2880, atol=5e-5)
    assert_allclose(est.loc["OtherPos_A", "se"], 0.0473, atol=5e-5)
    assert_allclose(res.fit["rho"].iloc[0], 0.4693, atol=5e-5)
    assert_allclose(res.variances["sigma"].iloc[0], 0.4174, atol=5e-5)
    assert_allclose(res.variances["pseudo_r2"].iloc[0], 0.295, atol=5e-4)
    assert_allclose(res.fit["rho_empty"].iloc[0], 0.618, atol=5e-4)
    assert res.fit[["n", "n_dyads", "n_complete", "n_single", "n_excluded"]].iloc[0].tolist() == [296, 148, 148, 0, 0]


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_acitelli_dyadr_example(acitelli, method):
    res = apim(acitelli, formula="Satisfaction_A ~ Tension_A + SelfPos_P", dyad="CoupleID", method=method)
    check_against_r(res, f"acitelli_dyadr_{method}")
    if method == "REML":  # dyadr README: 4.7190, -0.3454, -0.0656, rho 0.4715, crsp 0.3348
        est = res.coefficients["estimate"].to_numpy()
        assert_allclose(est, [4.7190, -0.3454, -0.0656], atol=5e-5)
        assert_allclose(res.fit["rho"].iloc[0], 0.4715, atol=5e-5)
        assert_allclose(res.variances["pseudo_r2"].iloc[0], 0.3348, atol=5e-5)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_acitelli_two_intercept_matches_nlme(acitelli, method):
    res = apim(acitelli, formula=ACI_FORMULA, dyad="CoupleID", partner="Gender_A",
               model="two_intercept", method=method)
    check_against_r(res, f"acitelli_twoint_{method}", TWO_INT_ACI, two_roles=True)
    if method == "REML":  # published: husbands actor .4244, partner .2616; wives actor .3777
        est = res.coefficients.set_index("term")["estimate"]
        assert_allclose(est[["OtherPos_A (1)", "OtherPos_P (1)", "OtherPos_A (-1)"]], [0.4244, 0.2616, 0.3777],
                        atol=5e-5)
        assert (res.coefficients["role"].dropna() == ["-1"] * 3 + ["1"] * 3).all()


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_acitelli_interaction_matches_nlme(acitelli, method):
    res = apim(acitelli, formula=ACI_FORMULA, dyad="CoupleID", partner="Gender_A",
               model="interaction", method=method)
    check_against_r(res, f"acitelli_interaction_{method}", two_roles=True)
    if method == "REML":  # published: .4010, .2916, genderE_A .0396, x gender .0233, -.0299
        assert_allclose(res.coefficients["estimate"].iloc[1:], [0.4010, 0.2916, 0.0396, 0.0233, -0.0299], atol=5e-5)
        assert res.coefficients["effect"].tolist() == ["intercept", "actor", "partner", "role", "interaction",
                                                       "interaction"]


def test_two_parametrizations_are_one_model(acitelli):
    a = apim(acitelli, formula=ACI_FORMULA, dyad="CoupleID", partner="Gender_A", model="two_intercept")
    b = apim(acitelli, formula=ACI_FORMULA, dyad="CoupleID", partner="Gender_A", model="interaction")
    ea, eb = a.coefficients.set_index("term")["estimate"], b.coefficients.set_index("term")["estimate"]
    # husband (+1) actor = main + interaction; wife (-1) = main - interaction
    assert_allclose(ea["OtherPos_A (1)"], eb["OtherPos_A"] + eb["OtherPos_A:Gender_A"], rtol=1e-7)
    assert_allclose(ea["OtherPos_P (-1)"], eb["OtherPos_P"] - eb["OtherPos_P:Gender_A"], rtol=1e-7)
    assert_allclose(a.fit["rho"], b.fit["rho"], atol=1e-7)
    assert_allclose(a.variances["sigma"], b.variances["sigma"], rtol=1e-7)


def test_lme_random_intercept_is_the_same_model_when_rho_positive(acitelli):
    res = apim(acitelli, formula=ACI_FORMULA, dyad="CoupleID")
    ref = COEF[COEF["model"] == "acitelli_lme_REML"]  # summary(lme(..., random = ~1 | CoupleID))
    assert_allclose(res.coefficients["estimate"], ref["estimate"], rtol=1e-6)
    assert_allclose(res.coefficients["se"], ref["se"], rtol=1e-5)
    fit = FIT.loc["acitelli_lme_REML"]  # intercept variance / total; logLik(lme)
    assert_allclose(res.fit["rho"].iloc[0], fit["rho"], atol=RHO_ATOL)
    assert_allclose(res.fit["loglik"].iloc[0], fit["loglik"], atol=1e-6)


def test_individual_layout_gives_the_same_fit(acitelli, acitelli_individual):
    a = apim(acitelli, formula=ACI_FORMULA, dyad="CoupleID")
    b = apim(acitelli_individual, formula="satisfaction ~ other_pos_A + other_pos_P", dyad="cuplid",
             partner="gender")
    assert_allclose(a.coefficients["estimate"], b.coefficients["estimate"], rtol=1e-9)
    assert_allclose(a.fit["loglik"], b.fit["loglik"], rtol=1e-9)
    assert b.coefficients["term"].tolist() == ["Intercept", "other_pos_A", "other_pos_P"]


def test_acitelli_distinguishability(acitelli):
    res = distinguishability_test(acitelli, formula=ACI_FORMULA, dyad="CoupleID", partner="Gender_A").fit
    ref = LRT.loc["acitelli"]  # anova(gls ML indistinguishable, gls ML two-intercept + varIdent)
    assert res["df"].iloc[1] == ref["df"] == 4
    assert_allclose(res["statistic"].iloc[1], ref["statistic"], atol=1e-5)
    assert_allclose(res["p_value"].iloc[1], ref["p_value"], atol=1e-6)
    assert_allclose(res["loglik"], [FIT.loc["acitelli_indist_ML", "loglik"], FIT.loc["acitelli_twoint_ML", "loglik"]],
                    atol=1e-6)


def test_acitelli_nonindependence(acitelli_individual):
    ind = dyadic_icc(acitelli_individual, y="satisfaction", dyad="cuplid").set_index("kind")
    dist = dyadic_icc(acitelli_individual, y="satisfaction", dyad="cuplid", role="gender").set_index("kind")
    ref = ICC[ICC["data"] == "acitelli"].set_index("kind")
    both = pd.concat([ind, dist])
    for col in ["estimate", "statistic", "p_value"]:
        assert_allclose(both.loc[ref.index, col], ref[col], rtol=1e-9)
    assert_allclose(both.loc[["anova", "pearson"], ["ci_low", "ci_high"]],
                    ref.loc[["anova", "pearson"], ["ci_low", "ci_high"]], rtol=1e-9)
    assert both["n"].tolist() == [148, 148, 148]
    assert (ind["estimate"] > 0.6).all()  # KKC: the empty-model rho (.618) is the ANOVA ICC
    assert_allclose(ind.loc["anova", "estimate"], FIT.loc["acitelli_indist_REML", "rho_empty"], atol=1e-6)


# ---------------------------------------------------------------------------- negative rho
@pytest.mark.parametrize("method", ["REML", "ML"])
def test_negative_within_dyad_correlation(method):
    res = apim(NEGATIVE, formula="y ~ x_A + x_P", dyad="dyad", partner="person", method=method)
    check_against_r(res, f"negative_indist_{method}")
    assert res.fit["rho"].iloc[0] < -0.3  # MixedLM's random intercept cannot go below 0


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_moderator_and_dyad_level_predictor(method):
    res = apim(NEGATIVE, formula="y ~ x_A + x_P + w + x_A:w", dyad="dyad", partner="person", method=method)
    check_against_r(res, f"negative_moderated_{method}")
    assert res.coefficients["effect"].tolist() == ["intercept", "actor", "partner", "other", "interaction"]


def test_exact_optimum():
    """For complete dyads the REML rho of the intercept-only model is exactly the ANOVA ICC and the
    ML rho the pairwise ICC (KKC, 2006): ours agree to 1e-9, nlme's gls stops 1.8e-6 and 5.3e-6
    away (rho_empty in apim_fit.csv), so rho is compared with nlme at RHO_ATOL."""
    res = apim(NEGATIVE, formula="y ~ x_A + x_P", dyad="dyad", partner="person")
    icc = dyadic_icc(NEGATIVE, y="y", dyad="dyad").set_index("kind")
    assert_allclose(res.fit["rho_empty"].iloc[0], icc.loc["anova", "estimate"], atol=1e-9)
    assert abs(FIT.loc["negative_indist_REML", "rho_empty"] - icc.loc["anova", "estimate"]) > 1e-6
    # and the ML rho of the empty model is the pairwise ICC (nlme: 5.3e-6 away)
    ml = apim(NEGATIVE, formula="y ~ x_A + x_P", dyad="dyad", partner="person", method="ML")
    assert_allclose(ml.fit["rho_empty"].iloc[0], icc.loc["pairwise", "estimate"], atol=1e-9)
    assert abs(FIT.loc["negative_indist_ML", "rho_empty"] - icc.loc["pairwise", "estimate"]) > 5e-6


def test_negative_nonindependence():
    res = dyadic_icc(NEGATIVE, y="y", dyad="dyad").set_index("kind")
    ref = ICC[ICC["data"] == "negative"].set_index("kind")
    assert_allclose(res.loc[ref.index, ["estimate", "statistic", "p_value"]],
                    ref[["estimate", "statistic", "p_value"]], rtol=1e-9)
    assert_allclose(res.loc["anova", ["ci_low", "ci_high"]], ref.loc["anova", ["ci_low", "ci_high"]], rtol=1e-9)
    assert res.loc["anova", "df"] == 250 and res.loc["anova", "df2"] == 249  # MS_w / MS_b when negative


# ---------------------------------------------------------------------------- incomplete dyads
@pytest.mark.parametrize("method", ["REML", "ML"])
def test_incomplete_dyads_kept(method):
    res = apim(INCOMPLETE, formula="y ~ x_A + x_P", dyad="dyad", partner="role", method=method)
    check_against_r(res, f"incomplete_indist_{method}")
    f = res.fit.iloc[0]
    assert [f["n"], f["n_single"], f["n_excluded"]] == [337, 11, len(INCOMPLETE) - 337]
    assert f["n_dyads"] == f["n_complete"] + f["n_single"] and 2 * f["n_complete"] + f["n_single"] == 337
    reasons = res.excluded["reason"].value_counts()
    assert res.excluded["reason"].str.contains(r"\by\b").sum() == INCOMPLETE["y"].isna().sum()
    assert reasons["missing x_P"] == 5  # the one remaining member of 6 one-row dyads (one has no y)
    assert reasons.sum() == len(INCOMPLETE) - 337
    assert set(res.excluded["row"]) <= set(INCOMPLETE.index)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_incomplete_distinguishable(method):
    res = apim(INCOMPLETE, formula="y ~ x_A + x_P", dyad="dyad", partner="role", model="two_intercept",
               method=method)
    check_against_r(res, f"incomplete_twoint_{method}", TWO_INT_INC, two_roles=True)
    assert res.variances["role"].tolist() == ["man", "woman"]


def test_incomplete_distinguishability():
    res = distinguishability_test(INCOMPLETE, formula="y ~ x_A + x_P", dyad="dyad", partner="role").fit
    ref = LRT.loc["incomplete"]
    assert res["df"].iloc[1] == ref["df"]
    assert_allclose(res["statistic"].iloc[1], ref["statistic"], atol=1e-5)
    assert res["npar"].tolist() == [5, 9]


# ---------------------------------------------------------------------------- k, output, errors
def test_k_bootstrap_is_seeded_and_read():
    res = apim(NEGATIVE, formula="y ~ x_A + x_P", dyad="dyad", partner="person")
    a = apim_k(res, n_boot=200, seed=3)
    b = apim_k(res, n_boot=200, seed=3)
    pd.testing.assert_frame_equal(a, b)
    est = res.coefficients.set_index("term")["estimate"]
    assert_allclose(a["k"].iloc[0], est["x_P"] / est["x_A"], rtol=1e-12)
    assert a["ci_low"].iloc[0] < a["k"].iloc[0] < a["ci_high"].iloc[0]
    assert a["n_boot"].iloc[0] == 200
    # true k = .2 / .5 = .4: the interval excludes 0, 1 and -1 here
    assert 0 < a["ci_low"].iloc[0] < 0.4 < a["ci_high"].iloc[0] < 1 and a["pattern"].iloc[0] == "unclear"
    assert not apim_k(res, n_boot=200, seed=4).equals(a)


def test_k_per_role_and_actor_only_pattern():
    rng = np.random.default_rng(5)
    n = 150
    df = pd.DataFrame({"d": np.repeat(np.arange(n), 2), "r": np.tile(["f", "m"], n), "x": rng.normal(size=2 * n)})
    df["y"] = 0.6 * df["x"] + rng.normal(size=2 * n)
    res = apim(df, formula="y ~ x_A + x_P", dyad="d", partner="r", model="two_intercept")
    k = apim_k(res, n_boot=100, seed=1)
    assert k["role"].tolist() == ["f", "m"]
    assert (k["pattern"] == "actor-only").all()


def test_table_and_sentence(acitelli):
    res = apim(acitelli, formula=ACI_FORMULA, dyad="CoupleID")
    html = res.table(number=2).html
    assert "Table 2" in html and "OtherPos_A" in html and "0.40" in html and "148 dyads" in html
    text = res.sentence()
    assert "actor effect of OtherPos was b = 0.40, SE = 0.05, t(293) = 8.46, p < .001" in text
    assert "partner effect of OtherPos was b = 0.29" in text and "ρ = .47" in text
    f, v = res.fit.iloc[0], res.variances.iloc[0]  # Kenny's pseudo-R2 .295 (0.2946200 in apim.R)
    assert f"pseudo-R² = .{round(v['pseudo_r2'] * 100):02d}" in text
    assert text.endswith(f"ICC was ρ = .{round(f['rho_empty'] * 100):02d}.")


def test_boundary_correlation_warns():
    df = NEGATIVE.copy()
    df["y2"] = df.groupby("dyad")["y"].transform("mean") + 1e-9 * df["x"]  # identical within dyads
    with pytest.warns(ConvergenceWarning, match="boundary"):
        apim(df, formula="y2 ~ x_A + x_P", dyad="dyad", partner="person")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"formula": "y ~ z_A + x_P"}, DataError, "'z_A'"),
    ({"formula": "y x_A"}, ParameterError, "formula"),
    ({"formula": "y ~ x_A", "model": "dist"}, ParameterError, "model"),
    ({"formula": "y ~ x_A", "method": "OLS"}, ParameterError, "method"),
    ({"formula": "y ~ x_A", "ci": 95}, ParameterError, "ci"),
    ({"formula": "y ~ x_A + x_P", "partner": None}, ParameterError, "partner"),
    ({"formula": "y ~ w_A + w_P"}, DataError, "collinear"),
    ({"formula": "y ~ x_A", "model": "two_intercept", "partner": None}, ParameterError, "partner"),
])
def test_input_errors(kwargs, error, match):
    args = {"dyad": "dyad", "partner": "person"} | kwargs
    with pytest.raises(error, match=match):
        apim(NEGATIVE, **args)


def test_data_errors():
    three = NEGATIVE.assign(person=np.tile([1, 2, 3, 4], len(NEGATIVE) // 4))
    with pytest.raises(DataError, match="two roles"):
        apim(three, formula="y_A ~ x_A", dyad="dyad", partner="person", model="two_intercept")
    text = NEGATIVE.assign(x=NEGATIVE["x"].astype(str))
    with pytest.raises(DataError, match="numeric"):
        dyadic_icc(text, y="x", dyad="dyad")
    with pytest.raises(DataError, match="rows"):
        apim(NEGATIVE.head(2), formula="y ~ x_A", dyad="dyad", partner="person")
    with pytest.raises(ParameterError, match="roles"):
        dyadic_icc(NEGATIVE, y="y", dyad="dyad", role="person", roles=[1])
    with pytest.raises(ParameterError, match="APIMResult"):
        apim_k("fit")


def test_roles_select_rows_and_ledger():
    """Same-role dyads and a third role are excluded (listed) from distinguishable models."""
    data = INCOMPLETE.assign(member=INCOMPLETE["role"].map({"woman": 1, "man": 2}))
    same = data["dyad"].isin([1, 2, 3])
    data.loc[same, "role"] = "woman"  # three same-gender couples
    data.loc[data.index[(data["dyad"] == 4) & (data["role"] == "man")], "role"] = "non-binary"
    with pytest.raises(DataError, match="roles="):
        apim(data, formula="y ~ x_A + x_P", dyad="dyad", partner="member", role="role", model="two_intercept")
    res = apim(data, formula="y ~ x_A + x_P", dyad="dyad", partner="member", role="role", roles=["woman", "man"],
               model="two_intercept")
    reasons = res.excluded["reason"]
    assert reasons.str.contains("both members have role = 'woman'").sum() == (same & data["y"].notna()).sum()
    assert reasons.str.contains("'non-binary' is not one of the roles").sum() == 1
    assert res.variances["role"].tolist() == ["woman", "man"]  # `roles` order: woman is the reference
    # dropping the same-role dyads beforehand gives the same fit as excluding them
    dropped = apim(data[~same], formula="y ~ x_A + x_P", dyad="dyad", partner="member", role="role",
                   roles=["woman", "man"], model="two_intercept")
    assert_allclose(res.coefficients["estimate"], dropped.coefficients["estimate"], rtol=1e-10)
    assert res.fit["n"].iloc[0] == dropped.fit["n"].iloc[0]
    # the indistinguishable model ignores roles and keeps every dyad
    every = apim(data, formula="y ~ x_A + x_P", dyad="dyad", partner="member", role="role")
    assert every.fit["n"].iloc[0] == 337
    # the distinguishability test compares the two models on the same rows
    test = distinguishability_test(data, formula="y ~ x_A + x_P", dyad="dyad", partner="member", role="role",
                                   roles=["woman", "man"]).fit
    assert test["n"].nunique() == 1 and test["n"].iloc[0] == res.fit["n"].iloc[0]
    icc = dyadic_icc(data, y="y", dyad="dyad", role="role", roles=["woman", "man"])
    assert icc["n"].iloc[0] == dropped_pairs(data[~same & (data["dyad"] != 4)])


def dropped_pairs(frame):
    """Dyads with y for both members."""
    return int((frame.dropna(subset=["y"]).groupby("dyad").size() == 2).sum())


def test_separate_member_and_role_columns():
    """Pair by member number, distinguish by another column (as the demo survey: partner, gender)."""
    data = INCOMPLETE.assign(member=INCOMPLETE["role"].map({"woman": 1, "man": 2}),
                             gender=INCOMPLETE["role"].str.upper())
    a = apim(INCOMPLETE, formula="y ~ x_A + x_P", dyad="dyad", partner="role", model="two_intercept",
             roles=["man", "woman"])
    b = apim(data, formula="y ~ x_A + x_P", dyad="dyad", partner="member", role="gender", model="two_intercept",
             roles=["MAN", "WOMAN"])
    assert_allclose(a.coefficients["estimate"], b.coefficients["estimate"], rtol=1e-10)
    assert b.coefficients["term"].iloc[0] == "Intercept (MAN)"


def test_std_estimate_is_the_coefficient_on_z_scores():
    res = apim(NEGATIVE, formula="y ~ x_A + x_P + w", dyad="dyad", partner="person")
    z = NEGATIVE.assign(**{c: (NEGATIVE[c] - NEGATIVE[c].mean()) / NEGATIVE[c].std() for c in ["x", "y", "w"]})
    zres = apim(z, formula="y ~ x_A + x_P + w", dyad="dyad", partner="person")
    assert_allclose(res.coefficients["std_estimate"].iloc[1:], zres.coefficients["estimate"].iloc[1:], rtol=1e-8)
    assert np.isnan(res.coefficients["std_estimate"].iloc[0])
    # two-intercept: within each role
    two = apim(INCOMPLETE, formula="y ~ x_A + x_P", dyad="dyad", partner="role", model="two_intercept")
    used = INCOMPLETE.drop(index=two.excluded["row"])
    man = used[used["role"] == "man"]
    assert_allclose(two.coefficients["std_estimate"].iloc[1],
                    two.coefficients["estimate"].iloc[1] * man["x"].std() / man["y"].std(), rtol=1e-10)


def test_statsmodels_mixedlm_agrees_when_rho_is_positive():
    """A random dyad intercept is the same model when rho >= 0 (one-member dyads included)."""
    import statsmodels.formula.api as smf

    from analysis.data.dyad_reshape import individual_to_pairwise

    res = apim(INCOMPLETE, formula="y ~ x_A + x_P", dyad="dyad", partner="role")
    pw = individual_to_pairwise(INCOMPLETE, dyad="dyad", partner="role").dropna(subset=["y_A", "x_A", "x_P"])
    sm = smf.mixedlm("y_A ~ x_A + x_P", pw, groups=pw["dyad"]).fit(reml=True)
    assert_allclose(res.coefficients["estimate"], sm.fe_params, rtol=1e-5)
    assert_allclose(res.coefficients["se"], sm.bse_fe, rtol=5e-4)  # MixedLM: from its own Hessian
    assert_allclose(res.fit["rho"].iloc[0], sm.cov_re.iloc[0, 0] / (sm.cov_re.iloc[0, 0] + sm.scale), atol=1e-4)
    assert_allclose(res.fit["loglik"].iloc[0], sm.llf, atol=1e-4)


def test_two_intercept_output_text():
    res = apim(INCOMPLETE, formula="y ~ x_A + x_P", dyad="dyad", partner="role", model="two_intercept")
    text = res.sentence()
    assert "distinguishable dyads, two-intercept model" in text
    assert "the actor effect of x (man) was b = " in text and "the partner effect of x (woman)" in text
    html = res.table().html
    assert "residual SD man" in html and "residual SD woman" in html and "x_A (woman)" in html
    assert res.coefficients["effect"].tolist() == ["intercept", "actor", "partner"] * 2


def test_more_data_errors():
    three = pd.DataFrame({"d": [1, 1, 1, 2, 2, 3, 3], "y_A": [1.0, 2, 3, 4, 5, 6, 8], "x_A": [1.0, 0, 2, 3, 1, 0, 4]})
    with pytest.raises(DataError, match="more than two rows"):
        apim(three, formula="y_A ~ x_A", dyad="d")
    with pytest.raises(DataError, match="more than two rows"):
        dyadic_icc(three, y="y_A", dyad="d")
    with pytest.raises(DataError, match="at least 3"):
        dyadic_icc(three[three["d"] > 1], y="y_A", dyad="d")
    text_y = NEGATIVE.assign(y=NEGATIVE["y"].astype(str))
    with pytest.raises(DataError, match="numeric"):
        apim(text_y, formula="y ~ x_A + x_P", dyad="dyad", partner="person")
    res = apim(NEGATIVE, formula="y ~ w", dyad="dyad", partner="person")
    with pytest.raises(DataError, match="actor and partner"):
        apim_k(res, n_boot=10)
    with pytest.raises(ParameterError, match="n_boot"):
        apim_k(res, n_boot=0)
    with pytest.raises(ParameterError, match="roles"):
        apim(NEGATIVE, formula="y ~ x_A", dyad="dyad", partner="person", model="two_intercept", roles=[1, 1])
    singles = NEGATIVE.assign(y=NEGATIVE["y"].where(NEGATIVE["person"] == 1))
    with pytest.raises(DataError, match="No dyad has both members"):
        apim(singles, formula="y ~ x_A + x_P", dyad="dyad", partner="person")


def test_formula_transformations_and_categorical_moderator():
    data = NEGATIVE.assign(group=np.where(NEGATIVE["w"] > 0, "high", "low"))
    res = apim(data, formula="y ~ x_A + x_P + C(group) + np.exp(w)", dyad="dyad", partner="person")
    assert res.coefficients["term"].tolist() == ["Intercept", "C(group)[T.low]", "x_A", "x_P", "np.exp(w)"]
    assert res.fit["n"].iloc[0] == len(data)


@pytest.mark.parametrize("model", ["negative_indist_REML", "incomplete_twoint_REML"])
def test_partial_icc_test_matches_nlme(model):
    # anova(gls(..., corCompSymm), gls(..., no correlation)) with the same fixed effects (apim_rho.R)
    ref = pd.read_csv(REFERENCE / "apim_rho.csv").set_index("model").loc[model]
    if model.startswith("negative"):
        data = pd.read_csv(REFERENCE / "apim_negative_data.csv")
        res = apim(data, formula="y ~ x_A + x_P", dyad="dyad", partner="person")
    else:
        data = pd.read_csv(REFERENCE / "apim_incomplete_data.csv")
        res = apim(data, formula="y ~ x_A + x_P", dyad="dyad", partner="role", model="two_intercept")
    fit = res.fit.iloc[0]
    assert_allclose(fit["loglik"], ref["loglik_rho"], rtol=1e-8)
    assert_allclose(fit["rho_statistic"], ref["statistic"], rtol=1e-5)
    assert_allclose(fit["rho_p_value"], ref["p_value"], rtol=1e-4)
    assert "likelihood-ratio test of ρ = 0: χ²(1) = " in res.sentence()
