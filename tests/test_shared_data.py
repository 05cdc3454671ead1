"""The real public data sets in ../shared/data load with their codebooks (tests/codebooks/) and
give the ledger numbers their SOURCE.md files lead us to expect. Skipped when ../shared is absent."""

import pandas as pd
import pytest

from analysis import load_dataset
from analysis.validate import flow
from conftest import PROJECT_ROOT

CODEBOOKS = PROJECT_ROOT / "tests" / "codebooks"

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
    "gss_panel_2006_2014": ({"person_waves": (18201, 18201)}, 0),
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
