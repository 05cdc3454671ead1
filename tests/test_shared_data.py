"""The real public data sets in ../shared/data load with their codebooks (studies/codebooks/) and
give the ledger numbers their SOURCE.md files lead us to expect. Skipped when ../shared is absent."""

import pandas as pd
import pytest
from conftest import PROJECT_ROOT

from analysis import load_dataset
from analysis.data.ledger import flow

CODEBOOKS = PROJECT_ROOT / "studies" / "codebooks"

# data set -> {table: (rows read, rows analysed)}, number of value problems (lenient)
EXPECTED = {
    "acitelli_couples": ({"individual": (296, 296), "pairwise": (296, 296)}, 0),
    "aer_affairs_pt": ({"respondents": (601, 601)}, 0),
    "dysem_commitmentQ": ({"couples": (118, 118)}, 0),
    "dysem_dres": ({"couples": (121, 121)}, 0),
    "dysem_pnrqM": ({"couples": (219, 219)}, 0),
    "dysem_prqcQ": ({"couples": (118, 118)}, 0),
    "fair_affairs_redbook": ({"respondents": (6366, 6366)}, 0),
    "gss_happy_1972_2006": ({"respondents": (51020, 51020)}, 0),
    "gss_panel_2006_2014": ({"person_waves": (18201, 11625)}, 6576),  # rows without wtpannr123: excluded
    "hcmst_2022": ({"respondents": (1328, 1328)}, 1),
    "kashy_diary": ({"diary": (2884, 2884)}, 0),
    "openpsychometrics_ecr": ({"responses": (51491, 51313)}, 20),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shared_dataset_ledger(shared_data, name):
    tables, n_problems = EXPECTED[name]
    ds = load_dataset(CODEBOOKS / f"{name}.yaml")
    steps = flow(ds.ledger)
    for table, (read, analysed) in tables.items():
        part = steps[steps["table"] == table].set_index("step")
        assert part.loc["rows read", "remaining"] == read
        assert part.loc["analysed", "remaining"] == analysed == len(ds.table(table))
        assert read == analysed + part["excluded"].sum()  # nothing lost
    assert len(ds.problems) == n_problems


def test_ecr_quirks_from_source_md(shared_data):
    ds = load_dataset(CODEBOOKS / "openpsychometrics_ecr.yaml")
    rows = ds.rows_read()
    items = [f"Q{i}" for i in range(1, 37)]
    assert int(rows[items].isna().sum().sum()) == 9534  # SOURCE.md: 9,534 cells coded 0
    assert int(rows[items].isna().any(axis=1).sum()) == 4881  # in 4,881 rows
    assert int((rows["country"] == "NA").sum()) == 7  # "NA" is Namibia, not missing
    assert set(ds.problems["column"]) == {"age"} and len(ds.problems) == 20  # ages > 100
    steps = flow(ds.ledger).set_index("step")["excluded"]
    assert steps["straight-lining"] == 70 and steps["too many missing items"] == 108


def test_hcmst_implausible_duration_is_named(shared_data):
    ds = load_dataset(CODEBOOKS / "hcmst_2022.yaml")
    problem = ds.problems.iloc[0]
    assert (problem["column"], problem["line"], problem["value"]) == ("relationship_duration", 1303, "101.75")
    assert pd.isna(ds.table().loc[problem["row"], "relationship_duration"])  # set to missing


def test_ecr_scored_on_its_5_point_range_replicates_source_md(shared_data):
    # SOURCE.md (computed on this file, 6 - x reversal): avoidance mean 2.57, anxiety 3.09, r = -.05
    from analysis.scoring.scales import score_instruments

    ds = load_dataset(CODEBOOKS / "openpsychometrics_ecr.yaml")
    scores = score_instruments(ds.table(), instruments=ds.instruments(), ranges=ds.item_ranges())
    assert scores["ecr_avoidance"].mean() == pytest.approx(2.57, abs=0.005)
    assert scores["ecr_anxiety"].mean() == pytest.approx(3.09, abs=0.01)
    assert scores.corr().iloc[0, 1] == pytest.approx(-0.05, abs=0.01)


@pytest.mark.parametrize("name, params", [
    # ECR: the data notebooks, psychometrics and the attachment explorer (no satisfaction measure)
    ("openpsychometrics_ecr", ["--only", "00", "01", "02", "-p", "satisfaction=none", "-p", "max_profiles=3",
                               "-p", "profile_starts=1", "-p", "parallel_iterations=5"]),
    # Kashy diary: no instrument items (psychometrics has nothing to show, and says so by empty
    # tables), the data notebooks, and the scorecard reproduces Kashy's two published estimates
    ("kashy_diary", ["--only", "00", "01", "06", "-p", "diary_outcome=satisf", "-p", "n_boot=200"]),
])  # fmt: skip
def test_notebook_suite_runs_on_real_data(shared_data, tmp_path, name, params):
    import json

    from analysis.runner.cli import main

    assert main(["run", "--data", str(CODEBOOKS / f"{name}.yaml"), "--out", str(tmp_path), "--jobs", "2", *params]) == 0
    quality = json.loads((tmp_path / "00_data_quality" / "results.json").read_text())
    analysed = [s for s in quality["results"]["flow"] if s["step"] == "analysed"]
    expected = {"openpsychometrics_ecr": 51313, "kashy_diary": 2884}[name]
    assert analysed[0]["remaining"] == expected
    if name == "openpsychometrics_ecr":
        attach = json.loads((tmp_path / "02_attachment_explorer" / "results.json").read_text())
        dims = {r["variable"]: r for r in attach["results"]["dimensions"]}
        assert dims["avoidance"]["mean"] == pytest.approx(2.57, abs=0.005)  # SOURCE.md
        assert sum(r["n"] for r in attach["results"]["styles"]) == expected
        psy = json.loads((tmp_path / "01_psychometrics" / "results.json").read_text())["results"]
        cfa_01 = {r["instrument"]: r for r in psy["cfa"]}["ecr"]
        # the two-factor CFA on the 51,313 analysed rows (46,544 complete): both reports agree,
        # and CFI stays near lavaan's .777 on all 51,491 rows (tests/test_cfa.py)
        assert cfa_01["cfi"] == pytest.approx(attach["results"]["cfa_fit"][0]["cfi"], rel=1e-12)
        assert cfa_01["cfi"] == pytest.approx(0.779, abs=0.001) and cfa_01["n"] == 46544
        assert [r["level"] for r in psy["invariance"]] == ["configural", "metric", "scalar"]
    else:
        card = json.loads((tmp_path / "06_replication_scorecard" / "results.json").read_text())["results"]
        tested = {r["claim"]: r["verdict"] for r in card["verdicts"] if r["verdict"] != "not testable here"}
        assert tested == {"kashy_growth_men": "reproduced", "kashy_avoidance_men": "reproduced"}
