"""Tests of the model checks a reviewer asks for: cluster-robust OLS (`ols(robust="cluster",
dyad=...)`), OLS diagnostics (`RegressionResult.diagnostics`) and group comparisons
(`compare_groups`), against tests/reference/model_checks.R (printed in model_checks.Rout; R 4.2.2,
sandwich 3.0-2, lmtest 0.9-40, car 3.1-1).

Data: tests/reference/model_checks_demo.csv (the simulated demo survey, 150 couples, seed 11,
scored; three couple ids blanked; made by model_checks_demo.py) and the Acitelli couples of
../shared/data (skipped when that folder is absent). Fixtures:
  ols_demo, ols_acitelli          lm(); bptest(fit); shapiro.test(residuals(fit)); rstandard,
                                  rstudent, hatvalues, cooks.distance, qqnorm()$x; car::vif
  ols_*_cluster(_90)              coeftest(fit, vcov = vcovCL(fit, cluster = ~couple)), coefci on
                                  df.residual; waldtest(fit, fit0, vcov = V) (= linearHypothesis)
  groups_*                        t.test(var.equal = FALSE) / oneway.test(var.equal = FALSE);
                                  Cohen's d, Hedges' g, eta^2, omega^2 with noncentral intervals
                                  (uniroot); Games-Howell by formula with ptukey
Tolerances: 1e-8 relative unless a comment says why R's own function is less accurate.
"""

import html
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import GroupComparisonResult, RegressionDiagnostics, compare_groups, ols
from analysis.apa import HtmlBlock
from analysis.exceptions import DataError, ParameterError

TESTS = Path(__file__).resolve().parent
REFERENCE = TESTS / "reference"
DEMO_FORMULA = ("csi_16_total ~ ecr_s_anxiety + ecr_s_avoidance + cpi_total + age + relationship_years"
                " + C(education)")  # fmt: skip
ACITELLI_FORMULA = "satisfaction ~ tension + self_pos + other_pos + Yearsmar + gender"
RTOL = 1e-8


def reference(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / f"model_checks_{name}.csv")


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "model_checks_demo.csv")


@pytest.fixture(scope="module")
def acitelli(shared_data) -> pd.DataFrame:
    return pd.read_csv(shared_data / "acitelli_couples" / "data.csv")


@pytest.fixture
def data_for(request):
    """The data set a fixture name starts with (the Acitelli data only when ../shared is there)."""

    def get(fixture: str) -> pd.DataFrame:
        return request.getfixturevalue("acitelli" if "acitelli" in fixture else "demo")

    return get


def r_term(term: str) -> str:
    """Our (patsy) term -> R's coefficient or term name."""
    term = {"Intercept": "(Intercept)", "C(education)": "education"}.get(term, term)
    return term.replace("C(education)[T.", "education").rstrip("]") if term.startswith("C(") else term


OLS = {  # fixture -> (data set, formula, ols options)
    "ols_demo": (DEMO_FORMULA, {}),
    "ols_demo_cluster": (DEMO_FORMULA, {"robust": "cluster", "dyad": "couple_id"}),
    "ols_acitelli": (ACITELLI_FORMULA, {}),
    "ols_acitelli_cluster": (ACITELLI_FORMULA, {"robust": "cluster", "dyad": "cuplid"}),
    "ols_acitelli_cluster_90": (ACITELLI_FORMULA, {"robust": "cluster", "dyad": "cuplid", "ci": 0.90}),
}


# --------------------------------------------------------------------------------------------
# OLS: cluster-robust standard errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", list(OLS))
def test_ols_coefficients_and_f_match_r(data_for, fixture):
    formula, options = OLS[fixture]
    res = ols(data_for(fixture), formula, **options)
    ref = reference("coefficients").query("fixture == @fixture").set_index("term")
    ours = res.coefficients.assign(term=res.coefficients["term"].map(r_term)).set_index("term").loc[ref.index]
    # coeftest(fit, vcov = vcovCL(fit, cluster = ~couple)) / summary(lm); coefci(fit, vcov = V, level)
    for col in ["estimate", "se", "statistic", "p_value", "ci_low", "ci_high"]:
        assert_allclose(ours[col], ref[col], rtol=RTOL, err_msg=col)
    assert (ours["df"] == ref["df"]).all()  # t tests on df.residual(fit), as coeftest reports for lm
    fit = res.fit.iloc[0]
    # waldtest(fit, fit0, vcov = V, test = "F") (= car::linearHypothesis) or summary(lm)$fstatistic
    for quantity, value in reference("fit").query("fixture == @fixture")[["quantity", "value"]].itertuples(index=False):
        assert_allclose(fit[quantity], value, rtol=RTOL, err_msg=quantity)
    assert fit["se_type"] == options.get("robust", "classical")
    assert res.ci == options.get("ci", 0.95) and res.dyad == options.get("dyad")


def test_cluster_excludes_and_counts_rows_without_a_dyad_id(demo):
    res = ols(demo, DEMO_FORMULA, robust="cluster", dyad="couple_id")
    ex = res.excluded.set_index("row")
    # couple ids blanked by model_checks_demo.py: rows 5, 40, 41
    assert (ex.loc[[5, 40, 41], "reason"] == "missing value in couple_id").all()
    assert ex.loc[[5, 40, 41], "dyad"].isna().all()
    assert list(res.excluded.columns) == ["row", "reason", "dyad"]
    assert len(res.excluded) == 9 and int(res.fit["n"].item()) + 9 == len(demo)
    assert ex["dyad"].drop([5, 40, 41]).notna().all()  # the others keep their couple id
    # a row missing both a model variable and the id lists both
    both = demo.copy()
    both.loc[5, "age"] = np.nan
    assert ols(both, DEMO_FORMULA, robust="cluster", dyad="couple_id").excluded.set_index("row").loc[5, "reason"] \
        == "missing value in age, couple_id"  # fmt: skip
    assert "n_clusters" not in ols(demo, DEMO_FORMULA).fit.columns


def test_cluster_table_note_and_sentence(demo):
    res = ols(demo, DEMO_FORMULA, robust="cluster", dyad="couple_id")
    assert isinstance(res.table(), HtmlBlock)
    assert "cluster-robust (CR1) by couple_id (148 clusters)" in res.table().html
    assert res.sentence().startswith("The predictors explained")


def test_one_row_per_cluster_gives_hc1(demo):
    """With every row its own cluster, G/(G-1) (n-1)/(n-k) = n/(n-k): CR1 is HC1."""
    import statsmodels.formula.api as smf

    data = demo.assign(solo=np.arange(len(demo)))
    clustered = ols(data, DEMO_FORMULA, robust="cluster", dyad="solo")
    hc1 = smf.ols(DEMO_FORMULA, data).fit(cov_type="HC1")
    assert_allclose(clustered.coefficients["se"], hc1.bse.to_numpy(), rtol=1e-10)
    assert int(clustered.fit["n_clusters"].item()) == int(clustered.fit["n"].item())


def test_row_labels_follow_the_index(demo):
    data = demo.set_axis([f"p{i}" for i in range(len(demo))], axis=0)
    res = ols(data, DEMO_FORMULA, robust="cluster", dyad="couple_id")
    assert {"p5", "p40", "p41", "p18"} <= set(res.excluded["row"])
    assert res.diagnostics.influence["row"].iloc[0] == "p0"
    dup = demo.set_axis([0] * len(demo), axis=0)  # duplicate labels: rows are still found by position
    assert len(ols(dup, DEMO_FORMULA, robust="cluster", dyad="couple_id").excluded) == 9


# --------------------------------------------------------------------------------------------
# OLS diagnostics
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["ols_demo", "ols_acitelli"])
def test_diagnostic_tests_match_r(data_for, fixture):
    diag = ols(data_for(fixture), OLS[fixture][0]).diagnostics
    assert isinstance(diag, RegressionDiagnostics)
    ref = reference("tests").query("fixture == @fixture").set_index("test")
    ours = diag.tests.set_index("test").loc[ref.index]
    # lmtest::bptest(fit): studentized (Koenker) statistic, df, p
    bp, rbp = ours.loc["breusch_pagan"], ref.loc["breusch_pagan"]
    assert_allclose([bp["statistic"], bp["p_value"]], [rbp["statistic"], rbp["p_value"]], rtol=RTOL)
    assert bp["df"] == rbp["df"]
    # shapiro.test(residuals(fit)): scipy's and R's AS R94 code differ in W by ~3e-10 relative;
    # p (small here) inherits that: ~1e-7 relative, < 1e-10 absolute
    sw, rsw = ours.loc["shapiro_wilk"], ref.loc["shapiro_wilk"]
    assert_allclose(sw["statistic"], rsw["statistic"], rtol=1e-9)
    assert_allclose(sw["p_value"], rsw["p_value"], rtol=0, atol=1e-10)
    assert (diag.tests["n"] == len(diag.influence)).all()


@pytest.mark.parametrize("fixture", ["ols_demo", "ols_acitelli"])
def test_influence_matches_r(data_for, fixture):
    diag = ols(data_for(fixture), OLS[fixture][0]).diagnostics
    ref = reference("influence").query("fixture == @fixture")
    ours = diag.influence
    assert ours["row"].tolist() == ref["row"].tolist()  # 0-based rows of the input file
    # fitted, residuals, rstandard, rstudent, hatvalues, cooks.distance, qqnorm(rstandard(fit))$x
    for col in ["fitted", "residual", "std_residual", "student_residual", "leverage", "cooks_distance",
                "normal_quantile"]:  # fmt: skip
        assert_allclose(ours[col], ref[col], rtol=RTOL, atol=1e-12, err_msg=col)
    top = diag.most_influential(3)
    assert top["cooks_distance"].is_monotonic_decreasing
    assert top["row"].iloc[0] == ref.loc[ref["cooks_distance"].idxmax(), "row"]


@pytest.mark.parametrize("fixture", ["ols_demo", "ols_acitelli"])
def test_vif_matches_car(data_for, fixture):
    diag = ols(data_for(fixture), OLS[fixture][0]).diagnostics
    ref = reference("vif").query("fixture == @fixture").set_index("term")
    ours = diag.vif.assign(term=diag.vif["term"].map(r_term)).set_index("term").loc[ref.index]
    # car::vif: GVIF and GVIF^(1/(2 Df)) (a factor with 3 df in the demo), plain VIF otherwise
    assert_allclose(ours["vif"], ref["vif"], rtol=RTOL)
    assert_allclose(ours["vif_scaled"], ref["vif_scaled"], rtol=RTOL)
    assert (ours["df"] == ref["df"]).all()


def test_vif_of_one_column_terms_equals_the_coefficient_vif(demo):
    res = ols(demo, "csi_16_total ~ ecr_s_anxiety + ecr_s_avoidance + age")
    per_column = res.coefficients.set_index("term")["vif"].drop("Intercept")
    assert_allclose(res.diagnostics.vif.set_index("term")["vif"].loc[per_column.index], per_column, rtol=1e-12)


def test_diagnostics_name_rows_by_person_and_read_as_apa(demo):
    res = ols(demo, DEMO_FORMULA, robust="cluster", dyad="couple_id", person="person_id")
    diag = res.diagnostics
    assert list(diag.influence.columns[:3]) == ["row", "dyad", "person"]
    assert list(res.excluded.columns) == ["row", "reason", "dyad", "person"]
    top = diag.most_influential(1).iloc[0]
    sentence = diag.sentence()
    assert f"(person_id {int(top['person'])})" in sentence
    assert sentence.startswith("Breusch-Pagan χ²(8) = ") and "Shapiro-Wilk W = ." in sentence
    assert "the largest VIF is 2.50 (relationship_years)" in sentence  # the rows with a couple id
    table = diag.table(number=3, k=4)
    assert isinstance(table, HtmlBlock) and "Table 3" in table.html and "Cook" in table.html
    assert table.html.count("<tr") == 5  # header + 4 rows
    assert ols(demo, DEMO_FORMULA).diagnostics.sentence().count("(row ") == 1


def test_a_row_with_leverage_one_has_undefined_statistics():
    """A factor level with one row fits that row exactly (h = 1): R's rstandard, rstudent and
    cooks.distance give NaN there, and so do we; the row sorts last among the influential."""
    data = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6, 7, 8], "g": ["a"] * 7 + ["b"],
                         "y": [1.2, 2.3, 2.9, 4.4, 5.1, 5.8, 7.3, 3.0]})  # fmt: skip
    diag = ols(data, "y ~ x + C(g)").diagnostics
    last = diag.influence.iloc[-1]
    assert last["leverage"] == 1 and np.isnan(last[["std_residual", "student_residual", "cooks_distance",
                                                    "normal_quantile"]].astype(float)).all()  # fmt: skip
    assert np.isfinite(diag.influence["cooks_distance"].iloc[:-1]).all()
    assert diag.most_influential(8)["row"].iloc[-1] == 7 and "(row 7)" not in diag.sentence()


def test_shapiro_wilk_is_left_out_beyond_5000_rows():
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"x": rng.normal(size=5001)})
    data["y"] = data["x"] + rng.normal(size=5001)
    diag = ols(data, "y ~ x").diagnostics
    assert diag.tests["test"].tolist() == ["breusch_pagan"]
    assert "Shapiro" not in diag.sentence()


def test_other_models_have_no_diagnostics(demo):
    from analysis import logistic_regression

    data = demo.assign(high=(demo["csi_16_total"] > 65).astype(int))
    assert logistic_regression(data, "high ~ ecr_s_anxiety").diagnostics is None


@pytest.mark.parametrize("k", [0, -1, 2.5, True])
def test_most_influential_refuses_a_bad_k(demo, k):
    with pytest.raises(ParameterError, match="`k`"):
        ols(demo, DEMO_FORMULA).diagnostics.most_influential(k)


# --------------------------------------------------------------------------------------------
# OLS: errors
# --------------------------------------------------------------------------------------------


def test_cluster_without_dyad_says_how_to_fix(demo):
    with pytest.raises(ParameterError, match=r"robust='cluster' needs `dyad=`.*dyad='couple_id'"):
        ols(demo, DEMO_FORMULA, robust="cluster")


@pytest.mark.parametrize("robust", [None, "HC3"])
def test_dyad_without_cluster_is_refused(demo, robust):
    with pytest.raises(ParameterError, match=r"`dyad` \('couple_id'\) is used only .* robust='cluster'"):
        ols(demo, DEMO_FORMULA, robust=robust, dyad="couple_id")


@pytest.mark.parametrize(("option", "column"), [("dyad", "couple"), ("person", "id")])
def test_a_missing_id_column_is_named(demo, option, column):
    options = {option: column} | ({"robust": "cluster"} if option == "dyad" else {})
    with pytest.raises(DataError, match=f"no column '{column}'.*Columns present: 'person_id'"):
        ols(demo, DEMO_FORMULA, **options)


def test_one_cluster_is_refused(demo):
    with pytest.raises(DataError, match="at least two values of 'one'"):
        ols(demo.assign(one=1), DEMO_FORMULA, robust="cluster", dyad="one")


def test_unknown_robust_lists_cluster(demo):
    with pytest.raises(ParameterError, match=r"one of None, 'HC3', 'cluster', but 'CR2'"):
        ols(demo, DEMO_FORMULA, robust="CR2")


# --------------------------------------------------------------------------------------------
# group comparisons
# --------------------------------------------------------------------------------------------

GROUPS = {  # fixture -> (y, group, ci)
    "groups_demo_status": ("csi_16_total", "relationship_status", 0.95),
    "groups_demo_status_single": ("csi_16_total", "relationship_status", 0.95),
    "groups_demo_gender2": ("swls_total", "gender", 0.95),
    "groups_acitelli_simhob": ("satisfaction", "simhob", 0.95),
    "groups_acitelli_simhob_90": ("satisfaction", "simhob", 0.90),
    "groups_acitelli_gender": ("tension", "gender", 0.95),
}


def group_data(data_for, fixture: str) -> pd.DataFrame:
    data = data_for(fixture)
    if fixture == "groups_demo_status_single":  # model_checks.R: row 0's status set to "single"
        data = data.assign(relationship_status=data["relationship_status"].where(data.index != 0, "single"))
    if fixture == "groups_demo_gender2":  # model_checks.R: women and men only
        data = data[data["gender"].isin(["man", "woman"])]
    return data


@pytest.mark.parametrize("fixture", list(GROUPS))
def test_compare_groups_matches_r(data_for, fixture):
    y, group, ci = GROUPS[fixture]
    res = compare_groups(group_data(data_for, fixture), y=y, group=group, ci=ci)
    assert isinstance(res, GroupComparisonResult)
    # per group: n, mean, sd, sd / sqrt(n), t.test(x, conf.level = ci)$conf.int
    ref = reference("groups").query("fixture == @fixture")
    assert res.coefficients["group"].astype(str).tolist() == ref["group"].astype(str).tolist()
    for col in ["n", "mean", "sd", "se", "ci_low", "ci_high"]:
        assert_allclose(res.coefficients[col], ref[col], rtol=RTOL, err_msg=col)
    # t.test(var.equal = FALSE) or oneway.test(var.equal = FALSE): statistic, df, p
    fit = res.fit.iloc[0]
    omnibus = reference("omnibus").query("fixture == @fixture")
    for quantity, value in omnibus[["quantity", "value"]].itertuples(index=False):
        if not quantity.startswith("anova_"):
            assert_allclose(fit[quantity], value, rtol=RTOL, err_msg=quantity)
    # d / g (noncentral t, uniroot on pt), eta^2 / omega^2 (noncentral F, uniroot on pf)
    ref = reference("effects").query("fixture == @fixture").set_index("effect")
    ours = res.effect_sizes.set_index("effect").loc[ref.index]
    assert_allclose(ours["estimate"], ref["estimate"], rtol=RTOL)
    # R's pf(ncp) (pnbeta) stops at errmax 1e-9, so the noncentral-F limits agree to ~1e-10
    assert_allclose(ours[["ci_low", "ci_high"]], ref[["ci_low", "ci_high"]], rtol=RTOL, atol=1e-9)
    # Welch t test (2 groups) or Games-Howell by formula: ptukey(sqrt(2)|t|, k, df), uniroot quantile
    ref = reference("contrasts").query("fixture == @fixture")
    con = res.contrasts
    assert con["group1"].astype(str).tolist() == ref["group1"].astype(str).tolist()
    assert con["group2"].astype(str).tolist() == ref["group2"].astype(str).tolist()
    for col in ["estimate", "se", "statistic", "df", "ci_low", "ci_high", "hedges_g"]:
        assert_allclose(con[col], ref[col], rtol=RTOL, err_msg=col)
    # R's ptukey is accurate to ~1e-10 absolute: for the first simhob pair (t = -2.234, df = 69.49)
    # mpmath's integral gives 0.0724585091428635 = scipy's value; R's ptukey 0.0724585090789993
    assert_allclose(con["p_value"], ref["p_value"], rtol=RTOL, atol=1e-10)
    assert con.attrs["method"] == ("welch_t" if len(res.coefficients) == 2 else "games_howell")


def test_two_groups_agree_with_cohens_d(demo):
    from analysis import cohens_d

    data = demo[demo["gender"].isin(["man", "woman"])]
    res = compare_groups(data, y="swls_total", group="gender")
    d = cohens_d(data, y="swls_total", group="gender").iloc[0]
    es = res.effect_sizes.set_index("effect")["estimate"]
    assert es["cohen_d"] == d["cohen_d"] and es["hedges_g"] == d["hedges_g"]
    assert list(res.fit.columns) == ["n", "n_excluded", "n_groups", "test", "statistic", "df", "p_value"]


def test_small_groups_and_missing_rows_are_excluded_and_named(demo):
    data = demo.copy()
    data.loc[0, "relationship_status"] = "single"
    data.loc[[1, 2], "csi_16_total"] = np.nan
    data.loc[3, "relationship_status"] = None
    res = compare_groups(data, y="csi_16_total", group="relationship_status")
    reasons = res.excluded.set_index("row")["reason"]
    assert reasons.to_dict() == {0: "group 'single' has fewer than 2 cases", 1: "missing value in csi_16_total",
                                 2: "missing value in csi_16_total", 3: "missing value in relationship_status"}
    assert int(res.fit["n_excluded"].item()) == 4 and int(res.fit["n"].item()) == len(data) - 4
    assert "single" not in res.coefficients["group"].tolist()
    assert "group 'single' has fewer than 2 cases" in html.unescape(res.table().html)


def test_labels_and_apa_output(acitelli):
    res = compare_groups(acitelli, y="tension", group="gender", labels={-1: "wives", 1: "husbands"})
    assert res.coefficients["label"].tolist() == ["wives", "husbands"]
    sentence = res.sentence()
    assert sentence.startswith("Welch's t test of tension: wives (M = 2.52, SD = 0.71, n = 148) vs husbands")
    assert "t(292.14) = 2.26, p = .025, M difference = 0.18, 95% CI [0.02, 0.34], Hedges' g = 0.26" in sentence
    table = res.table(number=2, title="Tension by gender")
    assert isinstance(table, HtmlBlock) and "wives" in table.html and "Table 2" in table.html
    assert "wives" in res.contrasts_table().html


def test_several_groups_sentence_and_contrast_table(acitelli):
    res = compare_groups(acitelli, y="satisfaction", group="simhob",
                         labels={-1: "not true", 0: "somewhat true", 1: "very true"})  # fmt: skip
    sentence = res.sentence()
    assert sentence.startswith("Welch's ANOVA of satisfaction across 3 groups of simhob: F(2, 119.09) = 16.55, "
                               "p < .001, η² = .08, ω² = .08, 95% CI [.03, .14]; Games-Howell tests: not true vs "
                               "somewhat true")  # fmt: skip
    text = res.contrasts_table(number=4).html
    assert "Games-Howell" in text and "adjusted for 3 groups" in text and "somewhat true" in text


def test_categorical_order_is_kept(demo):
    data = demo.assign(relationship_status=pd.Categorical(
        demo["relationship_status"], categories=["married", "engaged", "cohabiting", "dating", "widowed"]))
    res = compare_groups(data, y="csi_16_total", group="relationship_status")
    assert res.coefficients["group"].tolist() == ["married", "engaged", "cohabiting", "dating"]
    assert (res.contrasts["group1"].iloc[0], res.contrasts["group2"].iloc[0]) == ("married", "engaged")


# --------------------------------------------------------------------------------------------
# group comparisons: errors
# --------------------------------------------------------------------------------------------


def test_one_group_only_says_how_to_fix(demo):
    with pytest.raises(DataError, match=r"Column 'partner2' has 1 group\(s\).*two or more.*'a' \(n = 283\)"):
        compare_groups(demo.assign(partner2="a"), y="csi_16_total", group="partner2")


def test_non_numeric_y_names_the_column(demo):
    with pytest.raises(DataError, match=r"The outcome 'education' is not numeric.*pd.to_numeric"):
        compare_groups(demo, y="education", group="gender")


def test_a_missing_column_is_named(demo):
    with pytest.raises(DataError, match="no column 'status'"):
        compare_groups(demo, y="csi_16_total", group="status")


def test_y_equal_to_group_is_refused(demo):
    with pytest.raises(ParameterError, match="`y` and `group` are both"):
        compare_groups(demo, y="gender", group="gender")


@pytest.mark.parametrize(("labels", "match"), [(["a", "b"], "must be a dict"), ({"1": "x"}, "None of the keys")])
def test_bad_labels_are_refused(demo, labels, match):
    with pytest.raises(ParameterError, match=match):
        compare_groups(demo, y="csi_16_total", group="partner", labels=labels)


def test_a_constant_group_stops_welch_anova(demo):
    data = demo.copy()
    data.loc[data["relationship_status"] == "engaged", "csi_16_total"] = 50.0
    with pytest.raises(DataError, match=r"same value .* group 'engaged'"):
        compare_groups(data, y="csi_16_total", group="relationship_status")


def test_bad_ci_is_refused(demo):
    with pytest.raises(ParameterError, match="`ci`"):
        compare_groups(demo, y="csi_16_total", group="gender", ci=95)
