"""Tests of analysis.effect_sizes against tests/reference/effect_sizes.R (printed in
effect_sizes.Rout; R 4.2, car 3.1-1). effectsize, MBESS and pwr are not installed there, so the
script computes their definitions directly (see its header):
  effect_sizes_eta.csv       car::Anova(lm(A3 ~ A1 * A2 + C1 + factor(gender)), type = 2 / 3);
                             partial eta^2 = SS / (SS + SS_res); noncentral-F interval (uniroot)
  effect_sizes_cohen_d.csv   pooled-SD d, noncentral-t interval (uniroot on pt(t, df, ncp)),
                             Hedges' g with the exact J, t.test(var.equal = TRUE)
  effect_sizes_p_adjust.csv  stats::p.adjust, five methods, with an NA
  effect_sizes_mde.csv       pwr.r.test / pwr.f2.test power formulas solved for the effect
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.exceptions import DataError, ParameterError
from analysis.models.effect_sizes import (
    _power_f2,
    _power_r,
    cohens_d,
    cohens_d_sentence,
    family_of_tests,
    minimal_detectable_effect,
    minimal_detectable_effect_sentence,
    p_adjust,
    p_adjust_sentence,
    partial_eta_squared,
    partial_eta_squared_sentence,
)

TESTS = Path(__file__).resolve().parent
REFERENCE = TESTS / "reference"
SMALL_X = [5.1, 4.8, 6.2, 5.9, 5.5, 4.9, 6.8, 5.0, 5.7, 6.1, 4.2, 4.6, 5.3, 3.9, 4.8, 5.0, 4.4,
           5.6, 4.1, 4.7, 4.9, 4.3]  # fmt: skip


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(TESTS / "data" / "bfi.csv")


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return pd.DataFrame({"x": SMALL_X, "g": ["treatment"] * 10 + ["control"] * 12})


# --------------------------------------------------------------------------------------------
# partial eta squared
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ss_type", [2, 3])
def test_partial_eta_squared_matches_car_anova(bfi, ss_type):
    ref = pd.read_csv(REFERENCE / "effect_sizes_eta.csv")
    ref = ref[ref["type"] == ss_type].set_index("term")
    out = partial_eta_squared(bfi, "A3 ~ A1 * A2 + C1 + C(gender)", ss_type=ss_type)
    ours = out.assign(term=out["term"].replace({"C(gender)": "gender"})).set_index("term")
    assert sorted(ours.index) == sorted(ref.index)
    ours = ours.loc[ref.index]
    # Anova(m, type)[, c("Sum Sq", "F value")]; SS / (SS + SS_res)
    for col in ["sum_sq", "statistic", "partial_eta_sq"]:
        assert_allclose(ours[col], ref[col], rtol=1e-9, err_msg=col)
    assert_allclose(ours["p_value"], ref["p_value"], rtol=1e-8)
    # noncentral-F interval: uniroot(pf(F, df1, dfe, L) - p), L / (L + df1 + dfe + 1)
    assert_allclose(ours[["ci_low", "ci_high"]], ref[["ci_low", "ci_high"]], rtol=0, atol=1e-9)
    assert (ours["df_error"] == ref["df_error"]).all() and (ours["df"] == 1).all()
    assert (out["n"] + out["n_excluded"] == len(bfi)).all()
    assert out.attrs == {"ss_type": ss_type, "ci": 0.95}


def test_partial_eta_squared_types_differ_with_interaction(bfi):
    """Type II and III agree for terms outside the interaction and differ for A1 and A2."""
    t2 = partial_eta_squared(bfi, "A3 ~ A1 * A2 + C1", ss_type=2).set_index("term")
    t3 = partial_eta_squared(bfi, "A3 ~ A1 * A2 + C1", ss_type=3).set_index("term")
    assert_allclose(t2.loc["C1", "sum_sq"], t3.loc["C1", "sum_sq"], rtol=1e-10)
    assert abs(t2.loc["A1", "sum_sq"] - t3.loc["A1", "sum_sq"]) > 1
    sentence = partial_eta_squared_sentence(t2.reset_index().assign(), "A2")
    assert sentence.startswith("For A2, F(1, ") and "partial η² = ." in sentence


def test_partial_eta_squared_sentence(bfi):
    out = partial_eta_squared(bfi, "A3 ~ A1 * A2 + C1 + C(gender)")
    assert partial_eta_squared_sentence(out, "A2") == (
        "For A2, F(1, 2710) = 588.79, p < .001, partial η² = .18, 95% CI [.15, .20] "
        "(Type II sums of squares).")  # fmt: skip
    with pytest.raises(ParameterError, match="no term 'A7'"):
        partial_eta_squared_sentence(out, "A7")


# --------------------------------------------------------------------------------------------
# Cohen's d
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture, y", [("bfi_A3_gender", "A3"), ("bfi_E1_gender", "E1"), ("small", "x")])
def test_cohens_d_matches_noncentral_t(bfi, small, fixture, y):
    ref = pd.read_csv(REFERENCE / "effect_sizes_cohen_d.csv").set_index("fixture").loc[fixture]
    out = cohens_d(small, y="x", group="g") if fixture == "small" else cohens_d(bfi, y=y, group="gender")
    row = out.iloc[0]
    for col in ["n1", "n2", "df"]:
        assert row[col] == ref[col]
    # (m1 - m2) / sp; d * J; t.test(var.equal = TRUE)
    for col in ["mean1", "mean2", "sd_pooled", "cohen_d", "hedges_g", "statistic"]:
        assert_allclose(row[col], ref[col], rtol=1e-12, err_msg=col)
    assert_allclose(row["p_value"], ref["p_value"], rtol=1e-8)
    # uniroot(pt(t, df, ncp) - .975 / .025) * sqrt(1/n1 + 1/n2)
    assert_allclose([row["ci_low"], row["ci_high"]], [ref["ci_low"], ref["ci_high"]], rtol=0, atol=1e-9)


def test_cohens_d_groups_and_sentence(bfi, small):
    out = cohens_d(small, y="x", group="g")
    assert (out["group1"].item(), out["group2"].item()) == ("control", "treatment")
    assert cohens_d_sentence(out) == "Cohen’s d = −1.64, 95% CI [−2.61, −0.65] (control: n = 12; treatment: n = 10)."
    # an ordered categorical sets the order: treatment first flips the sign
    flipped = small.assign(g=pd.Categorical(small["g"], categories=["treatment", "control"], ordered=True))
    assert_allclose(cohens_d(flipped, y="x", group="g")["cohen_d"], -out["cohen_d"])
    gender = cohens_d(bfi, y="A3", group="gender")
    assert cohens_d_sentence(gender) == "Cohen’s d = −0.30, 95% CI [−0.38, −0.22] (1: n = 912; 2: n = 1,862)."
    assert gender["n_excluded"].item() == len(bfi) - 912 - 1862


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(y="nope", group="g"), DataError, "no column 'nope'"),
        (dict(y="g", group="x"), DataError, "outcome 'g' is not numeric"),
        (dict(y="x", group="three"), DataError, "'three' must have exactly two groups .* it has 3"),
        (dict(y="x", group="g", ci=95), ParameterError, "`ci` must be a number between 0 and 1"),
        (dict(y="x", group="lonely"), DataError, "at least two values"),
        (dict(y="x", dv="x", group="g"), ParameterError, "got both `dv=` .* and `y=`; pass only `y=`"),
    ],
)  # fmt: skip
def test_cohens_d_bad_input(small, kwargs, error, message):
    data = small.assign(three=list("abc") * 7 + ["a"], lonely=["a"] + ["b"] * 21)
    with pytest.raises(error, match=message):
        cohens_d(data, **kwargs)


def test_cohens_d_old_dv_keyword_warns_and_gives_identical_numbers(bfi):
    with pytest.warns(DeprecationWarning, match=r"`cohens_d\(dv=\.\.\.\)` is now `y=`; .* 0\.3"):
        old = cohens_d(bfi, dv="A3", group="gender", ci=0.9)
    pd.testing.assert_frame_equal(old, cohens_d(bfi, y="A3", group="gender", ci=0.9), check_exact=True)
    assert old.attrs == {"ci": 0.9} and "90% CI [" in cohens_d_sentence(old)


# --------------------------------------------------------------------------------------------
# p_adjust
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, r_method", [("holm", "holm"), ("fdr_bh", "BH"), ("bonferroni", "bonferroni"),
                         ("hochberg", "hochberg"), ("fdr_by", "BY")],
)  # fmt: skip
def test_p_adjust_matches_r(method, r_method):
    ref = pd.read_csv(REFERENCE / "effect_sizes_p_adjust.csv")
    out = p_adjust(ref["p"].to_numpy(), method=method)  # p.adjust(p, method)
    assert np.array_equal(np.isnan(out), ref[r_method].isna())
    assert_allclose(out, ref[r_method], rtol=1e-14)
    series = p_adjust(ref["p"].rename("p").set_axis(list("abcdefghij")), method=method)
    assert isinstance(series, pd.Series) and list(series.index) == list("abcdefghij")
    assert_allclose(series.to_numpy(), out)


def test_family_of_tests_adjusts_the_chosen_terms_as_r():
    ref = pd.read_csv(REFERENCE / "effect_sizes_p_adjust.csv").dropna(subset=["p"])
    terms = [f"x{i}" for i in range(len(ref))]
    coef = pd.DataFrame({"term": ["Intercept", *terms], "estimate": np.arange(len(ref) + 1.0),
                         "std_estimate": np.arange(len(ref) + 1.0) / 10, "p_value": [1e-9, *ref["p"]]})
    fam = family_of_tests(coef, terms=terms, methods=("holm", "fdr_bh", "bonferroni"))  # p.adjust(p, method)
    assert list(fam.columns) == ["term", "estimate", "std_estimate", "p_value", "p_holm", "p_bh", "p_bonferroni"]
    assert list(fam["term"]) == terms  # the intercept is not part of the family
    for col, r_method in (("p_holm", "holm"), ("p_bh", "BH"), ("p_bonferroni", "bonferroni")):
        assert_allclose(fam[col], ref[r_method], rtol=1e-14)
    with pytest.raises(ParameterError, match="which the model does not have"):
        family_of_tests(coef, terms=["nope"])


def test_p_adjust_edge_cases_and_sentence():
    assert p_adjust([], method="holm").shape == (0,)
    assert_allclose(p_adjust([0.2], method="fdr_bh"), [0.2])
    assert p_adjust_sentence([0.01, np.nan, 0.2]) == "P values were adjusted for 2 tests with Holm's (1979) method."
    with pytest.raises(ParameterError, match="`method` must be one of 'holm'"):
        p_adjust([0.1], method="BH")
    with pytest.raises(ParameterError, match=r"must lie in \[0, 1\], but 1.5"):
        p_adjust([0.1, 1.5])
    with pytest.raises(ParameterError, match="must be numbers"):
        p_adjust(["a"])


# --------------------------------------------------------------------------------------------
# sensitivity (minimal detectable effect)
# --------------------------------------------------------------------------------------------


def test_minimal_detectable_effect_matches_pwr_formulas():
    ref = pd.read_csv(REFERENCE / "effect_sizes_mde.csv")
    for row in ref.itertuples():
        out = minimal_detectable_effect(int(row.n), kind=row.kind, n_predictors=int(row.n_predictors),
                                        power=row.power, alpha=row.alpha).iloc[0]  # fmt: skip
        # uniroot(power_r / power_f2 - power), tol 1e-14 (formulas of pwr.r.test / pwr.f2.test)
        assert_allclose(out["effect"], row.effect, rtol=1e-8, err_msg=f"{row.kind} n={row.n}")
        achieved = (_power_r(out["effect"], row.n, row.alpha) if row.kind == "r"
                    else _power_f2(out["effect"], row.n, row.n_predictors, row.alpha))  # fmt: skip
        assert abs(achieved - row.power) < 1e-6
        assert_allclose(out["r2"], row.effect**2 if row.kind == "r" else row.effect / (1 + row.effect))


def test_minimal_detectable_effect_cohen_anchors():
    # Cohen (1988, Table 3.4.1): n = 85 detects r = .30 with power .80 (two-sided, alpha .05)
    assert round(minimal_detectable_effect(85)["effect"].item(), 2) == 0.30
    # G*Power 3.1, multiple regression, 1 predictor: N = 55 detects f2 = .15 with power .80
    f2 = minimal_detectable_effect(55, kind="f2")["effect"].item()
    assert 0.14 < f2 < 0.15 and minimal_detectable_effect(54, kind="f2")["effect"].item() > f2


def test_minimal_detectable_effect_sentences_and_errors():
    assert minimal_detectable_effect_sentence(minimal_detectable_effect(200)) == (
        "With n = 200 and α = .05 (two-sided), a correlation of r = .20 or larger is detected with 80% power.")
    assert minimal_detectable_effect_sentence(minimal_detectable_effect(200, kind="f2", n_predictors=3)) == (
        "With n = 200 and α = .05, an effect of 3 predictors of f² = 0.06 (R² = .05) or larger is detected "
        "with 80% power.")  # fmt: skip
    with pytest.raises(ParameterError, match="`n` must be an integer of at least 4"):
        minimal_detectable_effect(3)
    with pytest.raises(ParameterError, match="`n_predictors` must be a positive integer"):
        minimal_detectable_effect(100, kind="r", n_predictors=2)
    with pytest.raises(ParameterError, match="`kind` must be one of 'r', 'f2'"):
        minimal_detectable_effect(100, kind="d")
    with pytest.raises(ParameterError, match="`power` must be a number between 0 and 1"):
        minimal_detectable_effect(100, power=80)
