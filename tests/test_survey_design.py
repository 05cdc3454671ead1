"""Design-based estimation (analysis.models.survey_design) against R's survey package 4.1.1.

Reference values: tests/reference/survey.R (svymean, svytotal, svyby, svyglm, svyolr, svychisq
with deff = TRUE) on the package's api data (tests/data/api_*.csv) and on the GSS 1972-2006 file
in ../shared/data (skipped when absent). Closed-form quantities to 1e-8 relative; svyolr (R's
BFGS optimum and numerical Hessian, both tightened in survey.R) to 1e-6.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import (
    DataError,
    ParameterError,
    survey_crosstab,
    survey_design,
    survey_glm,
    survey_mean,
    survey_olr,
    survey_proportion,
    survey_total,
)

HERE = Path(__file__).resolve().parent
REF = HERE / "reference"
DATA = HERE / "data"
RTOL = 1e-8
LONELY = ["remove", "adjust", "certainty", "average"]
ESTIMATE_COLUMNS = ["estimate", "se", "deff", "ci_low", "ci_high"]
GLM_COLUMNS = ["estimate", "se", "statistic", "df", "p_value", "ci_low", "ci_high", "deff"]
API_GLM = {"gaussian": "api00 ~ ell + meals + mobility",
           "quasibinomial": "I(sch_wide == 'Yes') ~ ell + meals + mobility"}  # fmt: skip
GSS_GLM = {"gaussian": "age ~ sex + marital", "quasibinomial": "very_happy ~ age + sex + marital"}


def _read(name: str) -> pd.DataFrame:
    out = pd.read_csv(REF / name, keep_default_na=False, na_values=[""])
    for c in ("group", "level"):
        if c in out:
            out[c] = out[c].fillna("").astype(str)
    return out


@pytest.fixture(scope="module")
def api_designs() -> dict:
    """The designs of survey.R, keyed (design, lonely)."""
    strat = pd.read_csv(DATA / "api_strat.csv")
    clus1 = pd.read_csv(DATA / "api_clus1.csv")
    clus2 = pd.read_csv(DATA / "api_clus2.csv")
    out = {("strat", "fail"): survey_design(strat, weight="pw", strata="stype", fpc="fpc"),
           ("clus1", "fail"): survey_design(clus1, weight="pw", psu="dnum", fpc="fpc"),
           ("clus2", "fail"): survey_design(clus2, psu=["dnum", "snum"], fpc=["fpc1", "fpc2"])}  # fmt: skip
    for lonely in LONELY:
        out["lonely", lonely] = survey_design(clus1, weight="pw", psu="dnum", strata="lonely_st", lonely_psu=lonely)
    return out


@pytest.fixture(scope="module")
def gss_designs(shared_data) -> dict:
    gss = pd.read_csv(shared_data / "gss_happy_1972_2006" / "data.csv")
    gss["happy"] = pd.Categorical(gss["happy"], categories=["not too happy", "pretty happy", "very happy"],
                                  ordered=True)  # fmt: skip
    gss["very_happy"] = np.where(gss["happy"].isna(), np.nan, (gss["happy"] == "very happy").astype(float))
    return {("gss", "fail"): survey_design(gss, weight="wtssall"),
            ("gss_year", "fail"): survey_design(gss, weight="wtssall", strata="year")}  # fmt: skip


@pytest.fixture(scope="module")
def panel_design(shared_data):
    panel = pd.read_csv(shared_data / "gss_panel_2006_2014" / "data.csv", low_memory=False)
    panel = panel[panel["wtpannr123"].notna()].reset_index(drop=True)
    return survey_design(panel, weight="wtpannr123", strata="panel", psu="firstid", nest=True)


def _r_terms(res: pd.DataFrame) -> pd.DataFrame:
    """Our terms in R's spelling (patsy 'x[T.a]' -> R 'xa'), indexed by term."""
    terms = (res["term"].str.replace(r"\[T\.(.*)\]", r"\1", regex=True).replace("Intercept", "(Intercept)")
             .str.replace(r"^C\((\w+)\)", r"factor(\1)", regex=True))  # fmt: skip
    return res.assign(term=terms).set_index("term")


def _check_estimates(design, ref: pd.DataFrame, by: str) -> int:
    checked = 0
    for (statistic, variable), sub in ref.groupby(["statistic", "variable"]):
        for grouped, rows in sub.groupby(sub["group"] != ""):
            fn = survey_total if statistic.startswith("total") else survey_mean
            deff = "srswr" if statistic.endswith("_srswr") else "srswor"
            res = fn(design, y=variable, by=by if grouped else None, deff=deff).coefficients
            for _, r in rows.iterrows():
                if np.isnan(r["estimate"]):  # R without na.rm: NA (svytotal(~enroll, deff = "replace"))
                    checked += 1
                    continue
                m = res
                if grouped:
                    m = m[m[by].astype(str) == r["group"]]
                if r["level"]:
                    m = m[m["level"].astype(str) == r["level"]]
                assert len(m) == 1, (statistic, variable, r["group"], r["level"])
                # svymean/svytotal/svyby(deff = TRUE, na.rm = TRUE) and confint()
                assert_allclose(m[ESTIMATE_COLUMNS].to_numpy(float)[0], r[ESTIMATE_COLUMNS].to_numpy(float),
                                rtol=RTOL, err_msg=f"{statistic} {variable} {r['group']} {r['level']}")  # fmt: skip
                checked += 1
    return checked


# ------------------------------------------------------------------------------------------------
# against R: api data
# ------------------------------------------------------------------------------------------------


def test_design_sizes_match_degf(api_designs, gss_designs_or_none):
    ref = _read("survey_designs.csv").set_index("design")
    designs = dict(api_designs) | (gss_designs_or_none or {})
    for (name, _), design in designs.items():
        info = design.info.iloc[0]
        # nrow(design), unique PSUs and strata, degf(design)
        assert [info["n"], info["n_psu"], info["n_strata"], info["df"]] == \
            ref.loc[name, ["n", "n_psu", "n_strata", "df"]].tolist()  # fmt: skip


@pytest.fixture(scope="module")
def gss_designs_or_none(request):
    try:
        return request.getfixturevalue("gss_designs")
    except pytest.skip.Exception:
        return None


@pytest.mark.parametrize("key", [("strat", "fail"), ("clus1", "fail"), ("clus2", "fail")]
                         + [("lonely", x) for x in LONELY])  # fmt: skip
def test_means_totals_by_group_match_r(api_designs, key):
    ref = _read("survey_estimates.csv")
    ref = ref[(ref["design"] == key[0]) & (ref["lonely"] == key[1])]
    assert _check_estimates(api_designs[key], ref, "stype") == len(ref) > 0


@pytest.mark.parametrize("key", [("strat", "fail"), ("clus1", "fail"), ("clus2", "fail")]
                         + [("lonely", x) for x in LONELY])  # fmt: skip
@pytest.mark.parametrize("family", ["gaussian", "quasibinomial"])
def test_glm_matches_svyglm(api_designs, key, family):
    ref = _read("survey_glm.csv")
    ref = ref[(ref["design"] == key[0]) & (ref["lonely"] == key[1]) & (ref["model"] == family)].set_index("term")
    res = _r_terms(survey_glm(api_designs[key], API_GLM[family], family=family).coefficients)
    # coef(summary(svyglm(...))), confint(), diag(attr(fit, "deff")); glm run to epsilon 1e-15
    assert_allclose(res.loc[ref.index, GLM_COLUMNS].to_numpy(float), ref[GLM_COLUMNS].to_numpy(float), rtol=RTOL)


@pytest.mark.parametrize("name", ["clus1", "clus2"])
def test_olr_matches_svyolr(api_designs, name):
    ref = _read("survey_olr.csv")
    ref = ref[ref["design"] == name].set_index("term")
    res = survey_olr(api_designs[name, "fail"], "mealcat ~ avg_ed + mobility + stype")
    got = _r_terms(res.coefficients)
    # coef(summary(svyolr(factor(mealcat) ~ avg_ed + mobility + stype, design)))
    assert_allclose(got.loc[ref.index, ["estimate", "se", "statistic"]].to_numpy(float),
                    ref[["estimate", "se", "statistic"]].to_numpy(float), rtol=1e-6)  # fmt: skip
    assert list(got.loc[ref.index, "part"]) == ["coefficient"] * 4 + ["threshold"] * 3


@pytest.mark.parametrize("key", [("strat", "fail"), ("clus1", "fail"), ("clus2", "fail")]
                         + [("lonely", x) for x in LONELY])  # fmt: skip
def test_crosstab_matches_svychisq(api_designs, key):
    ref = _read("survey_chisq.csv")
    ref = ref[(ref["design"] == key[0]) & (ref["lonely"] == key[1])].set_index("test")
    tests = survey_crosstab(api_designs[key], x="sch_wide", y="stype").tests.set_index("test")
    # svychisq(~sch_wide + stype, design, statistic = "F"): F, ndf, ddf, p
    assert_allclose(tests.loc["F", ["statistic", "df1", "df2", "p_value"]].to_numpy(float),
                    ref.loc["F", ["statistic", "ndf", "ddf", "p_value"]].to_numpy(float), rtol=RTOL)  # fmt: skip
    # statistic = "Chisq": Pearson X^2 (no missing rows here, so the same n) and its corrected p
    assert_allclose(tests.loc["Chisq", ["statistic", "df1", "p_value"]].to_numpy(float),
                    ref.loc["Chisq", ["statistic", "ndf", "p_value"]].to_numpy(float), rtol=RTOL)  # fmt: skip


def test_certainty_and_remove_agree_and_average_differs(api_designs):
    se = {x: survey_mean(api_designs["lonely", x], y="api00").coefficients["se"].item() for x in LONELY}
    assert se["certainty"] == pytest.approx(se["remove"], rel=1e-14)
    assert se["average"] > se["remove"]  # the lonely stratum gets the average variance of the others


def test_proportion_is_mean_of_levels(api_designs):
    design = api_designs["clus1", "fail"]
    prop = survey_proportion(design, y="awards").coefficients
    ref = _read("survey_estimates.csv")
    ref = ref[(ref["design"] == "clus1") & (ref["variable"] == "awards") & (ref["statistic"] == "mean")
              & (ref["group"] == "")]  # fmt: skip
    assert_allclose(prop[ESTIMATE_COLUMNS].to_numpy(float), ref[ESTIMATE_COLUMNS].to_numpy(float), rtol=RTOL)
    assert list(prop["level"]) == ["No", "Yes"]


# ------------------------------------------------------------------------------------------------
# against R: GSS 1972-2006 (51,020 rows, weight wtssall)
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gss", "gss_year"])
def test_gss_estimates_match_r(gss_designs, name):
    design = gss_designs[name, "fail"]
    ref = _read("survey_estimates.csv")
    ref = ref[ref["design"] == name]
    r = ref[(ref["variable"] == "age") & (ref["statistic"] == "mean")].iloc[0]
    got = survey_mean(design, y="age").coefficients
    assert_allclose(got[ESTIMATE_COLUMNS].to_numpy(float)[0], r[ESTIMATE_COLUMNS].to_numpy(float), rtol=RTOL)
    happy = survey_proportion(design, y="happy").coefficients.set_index("level")
    r = ref[ref["variable"] == "happy"].set_index("level")
    assert_allclose(happy.loc[r.index, ESTIMATE_COLUMNS].to_numpy(float), r[ESTIMATE_COLUMNS].to_numpy(float),
                    rtol=RTOL)  # fmt: skip
    for deff in ("srswor", "srswr"):
        statistic = "mean" if deff == "srswor" else "mean_srswr"
        by = survey_mean(design, y="very_happy", by="marital", deff=deff).coefficients.set_index("marital")
        r = ref[(ref["variable"] == "very_happy") & (ref["statistic"] == statistic)].set_index("group")
        # deff = TRUE is NaN where the weights sum below n (R: "Sample size greater than population size")
        assert_allclose(by.loc[r.index, ESTIMATE_COLUMNS].to_numpy(float), r[ESTIMATE_COLUMNS].to_numpy(float),
                        rtol=RTOL)  # fmt: skip
    r = ref[(ref["variable"] == "age") & (ref["statistic"] == "mean_srswr")].iloc[0]
    got = survey_mean(design, y="age", deff="srswr").coefficients
    assert_allclose(got[ESTIMATE_COLUMNS].to_numpy(float)[0], r[ESTIMATE_COLUMNS].to_numpy(float), rtol=RTOL)


@pytest.mark.parametrize("name", ["gss", "gss_year"])
@pytest.mark.parametrize("family", ["gaussian", "quasibinomial"])
def test_gss_glm_matches_svyglm(gss_designs, name, family):
    ref = _read("survey_glm.csv")
    ref = ref[(ref["design"] == name) & (ref["model"] == family)].set_index("term")
    res = survey_glm(gss_designs[name, "fail"], GSS_GLM[family], family=family)
    got = _r_terms(res.coefficients)
    assert_allclose(got.loc[ref.index, GLM_COLUMNS].to_numpy(float), ref[GLM_COLUMNS].to_numpy(float), rtol=RTOL)
    assert res.fit["n_excluded"].item() > 0  # rows with a missing value are a domain, listed


def test_gss_olr_matches_svyolr(gss_designs):
    ref = _read("survey_olr.csv")
    ref = ref[ref["design"] == "gss"].set_index("term")
    got = _r_terms(survey_olr(gss_designs["gss", "fail"], "happy ~ age + sex + marital").coefficients)
    # coef(summary(svyolr(happy ~ age + sex + marital, design)))
    assert_allclose(got.loc[ref.index, ["estimate", "se", "statistic"]].to_numpy(float),
                    ref[["estimate", "se", "statistic"]].to_numpy(float), rtol=1e-6)  # fmt: skip


@pytest.mark.parametrize("name", ["gss", "gss_year"])
def test_gss_crosstab_matches_svychisq(gss_designs, name):
    design = gss_designs[name, "fail"]
    ref = _read("survey_chisq.csv")
    ref = ref[ref["design"] == name].set_index("test")
    tests = survey_crosstab(design, x="happy", y="marital").tests.set_index("test")
    assert_allclose(tests.loc["F", ["statistic", "df1", "df2", "p_value"]].to_numpy(float),
                    ref.loc["F", ["statistic", "ndf", "ddf", "p_value"]].to_numpy(float), rtol=RTOL)  # fmt: skip
    # R scales the weighted table to all 51,020 rows (missing included), we to the complete rows
    data = design.data
    n_complete = int((data["happy"].notna() & data["marital"].notna()).sum())
    assert tests.loc["Chisq", "statistic"] * len(data) / n_complete == pytest.approx(ref.loc["Chisq", "statistic"],
                                                                                      rel=RTOL)  # fmt: skip


# ------------------------------------------------------------------------------------------------
# validation and output
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def small() -> pd.DataFrame:
    return pd.DataFrame({"st": ["a"] * 4 + ["b"] * 4, "psu": [1, 1, 2, 2, 3, 3, 4, 4],
                         "w": [1.0, 2, 1, 2, 3, 3, 1, 1], "y": [1.0, 2, 3, 4, 5, 6, 7, 9],
                         "g": ["x", "y", "x", "y", "x", "x", "y", "y"]})  # fmt: skip


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_weight_must_be_positive_and_finite(small, bad):
    small.loc[5, "w"] = bad
    with pytest.raises(DataError, match=r"'w' \(weight\).*row 5"):
        survey_design(small, weight="w", strata="st", psu="psu")


def test_psu_must_be_nested_unless_nest(small):
    small["psu2"] = [1, 1, 2, 2, 1, 1, 2, 2]  # ids restart within strata
    with pytest.raises(DataError, match="nest=True"):
        survey_design(small, weight="w", strata="st", psu="psu2")
    nested = survey_design(small, weight="w", strata="st", psu="psu2", nest=True)
    assert nested.info["n_psu"].item() == 4
    plain = survey_design(small, weight="w", strata="st", psu="psu")
    assert survey_mean(nested, y="y").coefficients["se"].item() == survey_mean(plain, y="y").coefficients["se"].item()


def test_lonely_psu_fail_names_stratum_and_options(small):
    small.loc[small["st"] == "b", "psu"] = 3
    with pytest.raises(DataError, match=r"stratum 'b'.*lonely_psu='remove'"):
        survey_design(small, weight="w", strata="st", psu="psu")
    with pytest.raises(ParameterError, match="lonely_psu"):
        survey_design(small, weight="w", strata="st", psu="psu", lonely_psu="skip")


def test_bad_roles_and_arguments(small):
    with pytest.raises(DataError, match="no column 'wt'"):
        survey_design(small, weight="wt")
    with pytest.raises(ParameterError, match="one fpc column per stage"):
        survey_design(small, psu="psu", fpc=["w", "w"])
    with pytest.raises(ParameterError, match="SurveyDesign"):
        survey_mean(small, y="y")
    design = survey_design(small, weight="w", strata="st", psu="psu")
    with pytest.raises(ParameterError, match="family"):
        survey_glm(design, "y ~ w", family="poisson")
    with pytest.raises(DataError, match="0/1"):
        survey_glm(design, "y ~ w", family="quasibinomial")
    with pytest.raises(DataError, match="3 or more"):
        survey_olr(design, "g ~ y")
    with pytest.raises(ParameterError, match="ci"):
        survey_mean(design, y="y", ci=95)
    with pytest.raises(ParameterError, match="deff"):
        survey_mean(design, y="y", deff="replace")


def test_missing_values_are_a_domain_and_data_untouched(small):
    before = small.copy()
    small.loc[2, "y"] = np.nan
    kept = small.copy()
    design = survey_design(small, weight="w", strata="st", psu="psu")
    res = survey_mean(design, y="y").coefficients
    assert res["n"].item() == 7
    w = small["w"].where(small["y"].notna())
    assert res["estimate"].item() == pytest.approx((w * small["y"]).sum() / w.sum(), rel=1e-14)
    pd.testing.assert_frame_equal(small, kept)
    assert before.shape == small.shape


def test_table_and_sentence(api_designs):
    design = api_designs["clus1", "fail"]
    est = survey_mean(design, y="api00", by="stype")
    assert "deff" in est.table().html and "183 rows" in est.table().html
    text = survey_mean(design, y="api00").sentence()
    assert text == ("The design-based mean of api00 was M = 644.17, SE = 23.54, 95% CI [598.03, 690.31] "
                    "(design effect 9.35; n = 183).")  # fmt: skip
    by_type = survey_mean(design, y="api00", by="stype").sentence(1)
    assert by_type.startswith("The design-based mean of api00 where stype = H was M = ")
    fit = survey_glm(design, API_GLM["quasibinomial"], family="quasibinomial")
    assert "t(11) = 3.19" in fit.sentence("ell")
    assert "Design-based logistic regression" in fit.table().html
    tab = survey_crosstab(design, x="sch_wide", y="stype")
    assert tab.sentence().startswith("The design-based (Rao-Scott) test of association between sch_wide and stype "
                                     "gave F(1.49, 20.92) = 5.19, p = .022")  # fmt: skip


# ------------------------------------------------------------------------------------------------
# against R: GSS panels 2006-2014 (11,625 person-waves, weight wtpannr123, respondents as PSUs)
# ------------------------------------------------------------------------------------------------


def test_gss_panel_matches_r(panel_design):
    info = panel_design.info.iloc[0]
    ref = _read("survey_designs.csv").set_index("design").loc["gss_panel"]
    assert [info["n"], info["n_psu"], info["n_strata"], info["df"]] == ref[["n", "n_psu", "n_strata", "df"]].tolist()
    est = _read("survey_estimates.csv")
    est = est[est["design"] == "gss_panel"]
    assert _check_estimates(panel_design, est, "wave") == len(est) == 5
    glm = _read("survey_glm.csv")
    for family, formula in [("gaussian", "happy_num ~ C(wave) + sex"),
                            ("quasibinomial", "I(happy_num == 1) ~ C(wave) + sex + age")]:  # fmt: skip
        ref = glm[(glm["design"] == "gss_panel") & (glm["model"] == family)].set_index("term")
        got = _r_terms(survey_glm(panel_design, formula, family=family).coefficients)
        assert_allclose(got.loc[ref.index, GLM_COLUMNS].to_numpy(float), ref[GLM_COLUMNS].to_numpy(float),
                        rtol=RTOL)  # fmt: skip
    chisq = _read("survey_chisq.csv")
    ref = chisq[chisq["design"] == "gss_panel"].set_index("test")
    tests = survey_crosstab(panel_design, x="happy", y="sex").tests.set_index("test")
    assert_allclose(tests.loc["F", ["statistic", "df1", "df2", "p_value"]].to_numpy(float),
                    ref.loc["F", ["statistic", "ndf", "ddf", "p_value"]].to_numpy(float), rtol=RTOL)  # fmt: skip
