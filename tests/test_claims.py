"""Claims registry and scorecard: files, verdicts on the demo data, the shared real data study
(published estimates reproduced) and the meta-analytic line against metafor (claims_meta.R)."""

import numpy as np
import pandas as pd
import pytest
from conftest import PROJECT_ROOT
from numpy.testing import assert_allclose

from analysis.claims import _claim_models
from analysis.claims._claim_data import _numeric_view
from analysis.claims.registry import REGISTRY_DIR, list_claims, load_claim
from analysis.claims.replicate import COULD_NOT_TEST, NOT_TESTABLE, scorecard, short_citation
from analysis.claims.replicate import test_claim as check_claim  # not collected by pytest
from analysis.claims.study import load_study
from analysis.data.dataset import load_dataset
from analysis.exceptions import ClaimError

REF = PROJECT_ROOT / "tests" / "reference"
STUDY = PROJECT_ROOT / "studies" / "shared_real_data.yml"


def test_registry_has_the_claims_the_issue_asks_for():
    reg = list_claims()
    assert len(reg) >= 12 and reg["id"].is_unique
    assert (reg["citation"].str.len() > 20).all()  # every claim cites its source
    for cid in ("acitelli_apim_actor", "greene_tobit_rating", "fair_logit_rate_marriage", "brennan_alpha_avoidance",
                "attachment_dimensions_orthogonal", "evenings_friends_happiness", "marital_general_happiness",
                "kashy_avoidance_men", "responsiveness_satisfaction", "disclosure_intimacy"):  # fmt: skip
        assert cid in set(reg["id"])
    assert set(reg["kind"]) == {"directional", "negligible", "replication", "reproduction"}


@pytest.mark.parametrize(
    "text, message",
    [
        ("id: bad\nstatement: s\nkind: maybe\nmodel: correlation\ndesign: individual\nsource: x\n",
         "`kind` is 'maybe'"),
        ("id: bad\nstatement: s\nkind: directional\nmodel: correlation\ndesign: individual\nsource: x\n"
         "variables: {x: [a], y: [b]}\nexpect: {direction: up, sesoi: .1}\n", "`expect.direction`"),
        ("id: bad\nstatement: s\nkind: directional\nmodel: correlation\ndesign: individual\nsource: x\n"
         "variables: {x: [a], y: [b]}\nexpect: {direction: positive}\n", "`expect.sesoi`"),
        ("id: bad\nstatement: s\nkind: reproduction\nmodel: tobit\ndesign: individual\nsource: x\n"
         "formula: y ~ x\n", "`original.estimate`"),
        ("statement: s\n", "missing field `id`"),
        ("id: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_claim_files_name_the_file_and_the_field(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ClaimError, match=r"bad\.yaml") as err:
        load_claim(path)
    assert message in str(err.value)


def test_unknown_claim_and_study_give_clear_errors(tmp_path):
    with pytest.raises(ClaimError, match=r"No claim 'no_such_claim'.*Registry claims: "):
        load_claim("no_such_claim")
    with pytest.raises(ClaimError, match="does not exist"):
        load_study(tmp_path / "missing.yml")
    bad = tmp_path / "study.yml"
    bad.write_text("title: t\ndatasets: []\n")
    with pytest.raises(ClaimError, match="`datasets` must be a non-empty list"):
        load_study(bad)


@pytest.fixture(scope="module")
def demo_card(small_demo):
    study = load_study(None, data=str(small_demo))
    return scorecard(study, seed=7, n_boot=500)


def test_demo_scorecard_tests_the_seed_claims_and_names_what_is_missing(demo_card):
    v = demo_card.verdicts.set_index("claim")
    assert len(v) == len(list_claims())  # one data set: one row per claim
    # the generator builds these effects in (TRUE_PARAMETERS), 40 couples are enough to see them
    assert v.loc["responsiveness_satisfaction", "verdict"] == "supported"
    assert v.loc["responsiveness_satisfaction", "estimate"] > 0.3
    # published claims need variables the demo survey does not have: the pieces are named
    assert v.loc["greene_tobit_rating", "verdict"] == NOT_TESTABLE
    assert v.loc["greene_tobit_rating", "rule"] == "missing y (affairs); x (rating)"
    assert v.loc["kashy_growth_men", "verdict"] == NOT_TESTABLE
    tested = v[v["verdict"] != NOT_TESTABLE]
    assert (tested["n"] + tested["n_excluded"] > 0).all()
    assert demo_card.meta.empty  # one data set: nothing to pool


def test_the_same_seed_gives_the_same_scorecard(small_demo, demo_card):
    again = scorecard(load_study(None, data=str(small_demo)), seed=7, n_boot=500)
    pd.testing.assert_frame_equal(again.verdicts, demo_card.verdicts)


def test_correlation_claim_matches_a_direct_computation(small_demo):
    from analysis.claims import verdicts

    ds = load_dataset(small_demo)
    test = check_claim("disclosure_intimacy", ds)
    frame = _numeric_view(ds, "survey", test.claim)[["cpi_disclosure", "prqc_intimacy"]].dropna()
    r = frame.corr().iloc[0, 1]
    assert_allclose(test.estimate.estimate, r, rtol=1e-12)
    assert test.estimate.n == len(frame)
    direct = verdicts.directional_claim_r(r, len(frame), sesoi=0.10, direction="positive")
    assert test.verdict == direct.verdict and test.rule == direct.rule


def test_details_and_tables_render(demo_card):
    html = demo_card.details().html
    assert 'id="claim-responsiveness_satisfaction"' in html and "Reis, H. T." in html
    assert "Not testable here:</strong> demo_small" in html  # and what the data set lacks
    assert "<table" in demo_card.table().html


# ---------------------------------------------------------------------------------------------
# The shared real data (skipped without ../shared)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_card(shared_data):
    # unweighted: the reference values (claims_meta.R, reproductions) are unweighted; the weighted, design-based
    # estimates on the GSS files are tested in test_survey_reports.py
    return scorecard(load_study(STUDY), seed=1, n_boot=500, use_design=False)


def test_published_estimates_are_reproduced_on_the_shared_data(real_card):
    v = real_card.verdicts
    done = v[v["kind"] == "reproduction"].set_index("claim")
    expected = {"acitelli_apim_actor": 0.4004, "acitelli_apim_partner": 0.2880, "dyadr_tension": -0.3454,
                "greene_tobit_rating": -2.285, "fair_logit_rate_marriage": -0.7161, "kashy_growth_men": 0.0193,
                "kashy_avoidance_men": -0.1398}  # fmt: skip
    tested = done[done["verdict"] != NOT_TESTABLE]
    assert set(tested.index) == set(expected)
    assert (tested["verdict"] == "reproduced").all()
    for cid, value in expected.items():
        assert abs(tested.loc[cid, "estimate"] - value) <= 0.5 * 10 ** -len(repr(abs(value)).split(".")[1])
    alphas = v[(v["kind"] == "replication") & (v["verdict"] != NOT_TESTABLE)].set_index("claim")
    assert_allclose(alphas.loc["brennan_alpha_avoidance", "estimate"], 0.938, atol=5e-4)  # SOURCE.md: .933 listwise
    assert (alphas["verdict"] == "replicated (consistent)").all()


def test_every_registry_claim_is_tested_somewhere_on_real_or_demo_data(real_card, demo_card):
    tested = set(real_card.verdicts.loc[real_card.verdicts["verdict"] != NOT_TESTABLE, "claim"])
    tested |= set(demo_card.verdicts.loc[demo_card.verdicts["verdict"] != NOT_TESTABLE, "claim"])
    assert tested == set(list_claims()["id"])


def test_meta_analytic_line_matches_metafor(real_card):
    ref = pd.read_csv(REF / "claims_meta.csv").set_index("claim")
    meta = real_card.meta.set_index("claim")
    assert set(ref.index) <= set(meta.index)
    for cid, row in ref.iterrows():
        got = meta.loc[cid]
        assert got["k"] == 2
        res = real_card.meta_results[cid].pooled.iloc[0]
        assert_allclose(res["tau2"], row["tau2"], rtol=1e-6, atol=1e-10)  # REML tau^2 (rma)
        assert_allclose(res["estimate"], row["z"], rtol=1e-6)  # pooled Fisher z
        assert_allclose(res["se"], row["se"], rtol=1e-6)
        for col in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "i2"):
            assert_allclose(got[col], row[col], rtol=1e-6)
        per = real_card.verdicts[(real_card.verdicts["claim"] == cid) & real_card.verdicts["estimate"].notna()]
        assert_allclose(sorted(per["estimate"]), sorted([row["r1"], row["r2"]]), rtol=1e-10)
        assert sorted(per["n"]) == sorted([row["n1"], row["n2"]])
    assert np.isfinite(meta["tau2"]).all()


@pytest.mark.parametrize("citation, short", [
    ("Reis, H. T., Clark, M. S., & Holmes, J. G. (2004). Perceived partner responsiveness.", "Reis et al., 2004"),
    ("Hawkley, L. C., & Cacioppo, J. T. (2010). Loneliness matters.", "Hawkley & Cacioppo, 2010"),
    ("Fair, R. C. (1978). A theory of extramarital affairs.", "Fair, 1978"),
    ("Laurenceau, J.-P., Barrett, L. F., & Pietromonaco, P. R. (1998). Intimacy.", "Laurenceau et al., 1998"),
])  # fmt: skip
def test_short_citation(citation, short):
    assert short_citation(citation) == short


def test_verdict_sentence_cites_the_original_and_the_rule(demo_card):
    test = next(t for t in demo_card.tests if t.claim.id == "responsiveness_satisfaction")
    assert test.sentence.startswith("The claim that people who see their partner as more responsive are more "
                                    "satisfied with their relationship (Reis et al., 2004) was tested on demo_small")
    assert "Verdict: supported (rule: direction:" in test.sentence


def test_study_provenance_hashes_the_study_and_claim_files(tmp_path):
    from analysis.data.dataset import file_sha256

    study = tmp_path / "s.yml"
    study.write_text("title: t\ndatasets:\n  - label: demo\n    data: x\nclaims: [married_happier]\n")
    prov = load_study(study).provenance()
    assert prov["study_sha256"] == file_sha256(study)
    entry = prov["claims"]["married_happier"]
    assert entry["sha256"] == file_sha256(REGISTRY_DIR / "married_happier.yaml")


def test_one_claims_failure_is_that_claims_failure(small_demo, monkeypatch):
    """A claim whose model or verdict fails is "could not be tested" with the reason, the claim's
    variables and (for an error that is not ours) the error type; the scorecard goes on."""
    original = _claim_models.ESTIMATORS["correlation"]

    def broken(frame, claim, names):
        if claim.id == "disclosure_intimacy":
            raise ValueError("r must be a finite number, but nan was passed")
        return original(frame, claim, names)

    monkeypatch.setitem(_claim_models.ESTIMATORS, "correlation", broken)
    card = scorecard(load_study(None, data=str(small_demo)), seed=7, n_boot=200)
    rows = card.verdicts.set_index("claim")
    assert rows.loc["disclosure_intimacy", "verdict"] == COULD_NOT_TEST
    reason = rows.loc["disclosure_intimacy", "rule"]
    assert reason.startswith("ValueError: r must be a finite number") and "please report this as a bug" in reason
    assert "x = cpi_disclosure" in reason and "y = prqc_intimacy" in reason
    assert (rows.drop(index="disclosure_intimacy")["verdict"] != COULD_NOT_TEST).all()  # the others were tested
    shown = card.compact().set_index("claim").loc["disclosure_intimacy", "verdict"]
    assert shown == f"{COULD_NOT_TEST}: {reason}"
