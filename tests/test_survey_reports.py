"""The survey design in the reports and claims (issue 17): `analysis.models.survey_report` and the
design-based claim estimates, against R's survey package (tests/reference/survey_claims.R) on the
shared GSS files with their weights; the notebooks' design lines through the runner."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import PROJECT_ROOT
from numpy.testing import assert_allclose

from analysis import load_dataset, load_study, scorecard, test_claim
from analysis.claims.registry import load_claim
from analysis.claims.study import Study
from analysis.models.survey_report import DesignChoice, design_choice, design_model, weighted_overview

REF = pd.read_csv(PROJECT_ROOT / "tests" / "reference" / "survey_claims.csv").set_index(["fixture", "quantity"])[
    "value"
]
CODEBOOKS = PROJECT_ROOT / "studies" / "codebooks"
STUDY = PROJECT_ROOT / "studies" / "shared_real_data.yml"
EXACT = 1e-8


def ref(fixture: str, quantity: str) -> float:
    return float(REF.loc[(fixture, quantity)])


@pytest.fixture(scope="module")
def gss(shared_data):
    return load_dataset(
        shared_data / "gss_happy_1972_2006" / "data.csv", codebook=CODEBOOKS / "gss_happy_1972_2006.yaml"
    )


@pytest.fixture(scope="module")
def gss_card(shared_data):
    full = load_study(STUDY)
    study = Study(full.title, tuple(d for d in full.datasets if d.label.startswith("GSS")), ("married_happier",))
    return scorecard(study)


# ------------------------------------------------------------------------------ the design line
def test_design_choice_follows_the_codebook_and_the_switch(gss, small_demo):
    on = design_choice(gss)
    assert on.used and on.columns["weight"] == "wtssall" and on.label() == "weighted (wtssall)"
    assert on.sentence().startswith("Survey design used: weights wtssall; no strata or clusters")
    off = design_choice(gss, use_design=False)
    assert not off.used and off.columns == {} and off.label() == "unweighted"
    assert off.sentence() == ("Unweighted: design switched off (use_design = False); the codebook declares weights "
                              "wtssall; no strata or clusters.")  # fmt: skip
    none = design_choice(load_dataset(small_demo))
    assert none.status == "none" and none.sentence() == "Unweighted: the codebook declares no design."
    with pytest.raises(Exception, match="use_design"):
        design_choice(gss, use_design="yes")


def test_design_label_names_strata_and_clusters():
    panel = DesignChoice({"weight": "w", "strata": "panel", "psu": "firstid"}, "design", {})
    assert panel.label() == "weighted (w; strata panel; clusters firstid)"


# ------------------------------------------------------------------------------ the overview
@pytest.mark.parametrize("side", ["weighted", "unweighted"])
def test_weighted_overview_matches_svymean(gss, side):
    res = weighted_overview(gss.table(), columns=["age", "happy", "sex", "wtssall"], design=design_choice(gss))
    est = res.estimates.set_index(["variable", "level"])
    assert "wtssall" not in set(est.index.get_level_values(0))  # the weight itself is not described
    fixture = f"overview_{side}"
    keys = [q.split(":", 1)[1] for f, q in REF.index if f == fixture and q.startswith("estimate:")]
    assert len(keys) == 6
    for key in keys:
        var, _, level = key.partition("=")
        row = est.loc[(var, level)]
        assert_allclose(row[side], ref(fixture, f"estimate:{key}"), rtol=EXACT)
        assert_allclose(row[f"{side}_se"], ref(fixture, f"se:{key}"), rtol=EXACT)
        if side == "weighted":
            assert_allclose(row["deff"], ref(fixture, f"deff:{key}"), rtol=EXACT)
    assert res.sentence().startswith(design_choice(gss).sentence())


def test_weighted_overview_switched_off_has_no_weighted_column(gss):
    res = weighted_overview(gss.table(), columns=["age"], design=design_choice(gss, use_design=False))
    assert res.estimates["weighted"].isna().all()
    assert_allclose(res.estimates["unweighted"].iloc[0], ref("overview_unweighted", "estimate:age"), rtol=EXACT)
    assert "design switched off" in res.table().html


def test_design_model_matches_svyglm_and_says_when_off(gss):
    frame = gss.table().assign(
        happy_n=lambda d: 4 - d["happy"].map({"very happy": 1, "pretty happy": 2, "not too happy": 3}).astype(float),
        married=lambda d: np.where(d["marital"].isna(), np.nan, (d["marital"] == "married").astype(float)),
    )
    fit = design_model(frame, "happy_n ~ married + age", design=design_choice(gss))
    row = fit.coefficients.set_index("term").loc["married"]
    for q in ("estimate", "se", "ci_low", "ci_high"):
        assert_allclose(row[q], ref("notebook_regression", q), rtol=EXACT)  # the design of the whole table
    off = design_model(frame, "happy_n ~ married + age", design=design_choice(gss, use_design=False))
    assert off.result is None and off.coefficients.empty
    assert "design switched off" in off.table().html and off.sentence("married") == off.design


# ------------------------------------------------------------------------------ the claims
def test_weighted_correlation_claim_matches_svyglm(gss):
    res = test_claim("married_happier", gss)
    e = res.estimate
    assert e.design == "weighted (wtssall)" and e.scale == "r"
    for q in ("estimate", "se", "ci_low", "ci_high"):
        assert_allclose(getattr(e, q), ref("claim_married_happier", q), rtol=EXACT)
    assert_allclose(e.estimate, ref("claim_married_happier", "weighted_r"), rtol=1e-12)  # = the weighted Pearson r
    assert e.n == ref("claim_married_happier", "n")
    assert res.row()["design"] == "weighted (wtssall)"
    assert "weighted (wtssall) r(married, happy) was r = .21" in res.sentence
    # judged on the design-based SE: the one-sided z is estimate / se
    assert_allclose(res.numbers["statistic"], e.estimate / e.se, rtol=1e-12)


def test_use_design_false_gives_the_unweighted_pearson_r(gss):
    res = test_claim("married_happier", gss, use_design=False)
    assert res.estimate.design == "" and res.row()["design"] == "unweighted"
    assert_allclose(res.estimate.estimate, 0.227664990418895, rtol=1e-10)  # claims_meta.csv r1 (cor.test)


@pytest.mark.parametrize(("model", "fixture"), [("regression", "claim_regression"), ("logistic", "claim_logistic")])
def test_weighted_regression_claims_match_svyglm(gss, tmp_path, model, fixture):
    y = "happy" if model == "regression" else "very"
    text = f"""
id: gss_married_{model}
statement: Married people are happier.
source: {{citation: "Test, A. (2026). A test claim."}}
kind: directional
design: individual
model: {model}
variables: {{x: [married], y: [{y}]}}
formula: "{{y}} ~ {{x}} + age"
options:
  indicators:
    married: {{column: marital, equals: [married]}}
    very: {{column: happy, above: 2}}  # happy is coded 1-3 (very happy = 3) before indicators
  high_first: [happy]
expect: {{direction: positive, sesoi: 0.05}}
"""
    path = tmp_path / f"gss_married_{model}.yaml"
    path.write_text(text)
    res = test_claim(load_claim(str(path)), gss)
    assert res.estimate.design == "weighted (wtssall)", res.rule
    for q in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        assert_allclose(getattr(res.estimate, q), ref(fixture, q), rtol=EXACT, atol=1e-300)
    assert res.estimate.n == ref(fixture, "n")


def test_scorecard_weighted_on_both_gss_files_and_pooled_as_metafor(gss_card):
    v = gss_card.verdicts.set_index("dataset")
    panel = v.loc["GSS panel 2006-2014"]
    assert panel["design"] == "weighted (wtpannr123; strata panel; clusters firstid)"
    for q in ("estimate", "se"):
        assert_allclose(panel[q], ref("claim_married_happier_panel", q), rtol=EXACT)
    assert_allclose(v.loc["GSS 1972-2006", "estimate"], ref("claim_married_happier", "estimate"), rtol=EXACT)
    pooled = gss_card.meta_results["married_happier"].pooled.iloc[0]
    for q in ("tau2", "se"):
        assert_allclose(pooled[q], ref("meta_married_happier", q), rtol=1e-6)  # REML optimum (rma)
    assert_allclose(pooled["estimate"], ref("meta_married_happier", "z"), rtol=1e-6)
    assert_allclose(gss_card.meta.iloc[0]["estimate"], ref("meta_married_happier", "estimate"), rtol=1e-6)
    html = gss_card.table().html
    assert "correlation, weighted (wtssall)" in html
    assert gss_card.design_sentence().startswith("Design-based estimates")
    assert "GSS 1972-2006 (weighted (wtssall))" in gss_card.design_sentence()


# ------------------------------------------------------------------------------ the notebooks
def test_notebooks_say_which_design_they_used(shared_data, tmp_path):
    from analysis.runner.suite import run_suite

    params = {"03_connection_and_satisfaction": {"outcome": "age", "predictors": ["finrela"], "covariates": [],
                                                 "use_design": False}}  # fmt: skip
    runs = run_suite(only=["00_overview", "03_connection_and_satisfaction"], out_dir=tmp_path, jobs=2,
                     data=str(shared_data / "gss_happy_1972_2006" / "data.csv"),
                     codebook=str(CODEBOOKS / "gss_happy_1972_2006.yaml"), parameters=params,
                     progress=lambda line: None)  # fmt: skip
    assert [r.status for r in runs] == ["succeeded", "succeeded"], [r.error for r in runs]
    overview = runs[0].html.read_text()
    assert "Survey design used: weights wtssall; no strata or clusters" in overview
    rows = pd.DataFrame(json.loads(runs[0].results.read_text())["results"]["weighted_overview"])
    age = rows[rows["variable"] == "age"].iloc[0]
    assert_allclose(age["weighted"], ref("overview_weighted", "estimate:age"), rtol=EXACT)
    assert "Unweighted: design switched off (use_design = False)" in runs[1].html.read_text()
