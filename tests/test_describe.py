"""Tests of analysis.data.describe: descriptives against psych::describe, missingness, sample overview.

Reference values come from tests/reference/make_fixtures.R (see make_fixtures.Rout).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.data.dataset import Dataset, load_dataset
from analysis.data.describe import QUANTITY_LABELS, descriptives, missingness, sample_overview
from analysis.exceptions import DataError

TESTS = Path(__file__).resolve().parent
SAMPLE = TESTS / "data" / "scoring_sample.csv"
REFERENCE = TESTS / "reference"
STATS = ["mean", "sd", "median", "min", "max", "skew", "kurtosis", "se"]


@pytest.fixture(scope="module")
def describe_input() -> pd.DataFrame:
    """The data frame make_fixtures.R passes to psych::describe, rebuilt from the fixtures:
    the psych ECR-S scores, the psych SWLS totals (NA on the 7 incomplete rows) and the raw
    item ecr_s_1 (2 missing)."""
    ecr = pd.read_csv(REFERENCE / "scoring_ecr_s_psych.csv")
    sums = pd.read_csv(REFERENCE / "scoring_sums_psych.csv")
    sample = pd.read_csv(SAMPLE)
    return pd.DataFrame({
        "ecr_s_anxiety": ecr["ecr_s_anxiety"], "ecr_s_avoidance": ecr["ecr_s_avoidance"],
        "swls_total": sums["swls_total"], "ecr_s_1": sample["ecr_s_1"],
    })  # fmt: skip


@pytest.fixture(scope="module")
def describe_psych() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "describe_psych.csv").set_index("variable")


# --------------------------------------------------------------------------------------------
# descriptives vs psych::describe
# --------------------------------------------------------------------------------------------


def test_descriptives_n_matches_psych(describe_input, describe_psych):
    # psych::describe(data.frame(ecr_s_anxiety, ecr_s_avoidance, swls_total, ecr_s_1),
    #   type = 3)$n  -> 59, 59, 52, 57
    ours = descriptives(describe_input).set_index("variable")
    assert ours.index.tolist() == ["ecr_s_anxiety", "ecr_s_avoidance", "swls_total", "ecr_s_1"]
    assert ours["n"].tolist() == describe_psych["n"].tolist() == [59, 59, 52, 57]


@pytest.mark.parametrize("stat", STATS)
def test_descriptives_match_psych_describe_type_3(describe_input, describe_psych, stat):
    # psych::describe(desc_input, type = 3)[, c("mean", "sd", "median", "min", "max", "skew",
    #   "kurtosis", "se")], desc_input = data.frame(ecr_s_anxiety = <scoreItems anxiety>,
    #   ecr_s_avoidance = <scoreItems avoidance>, swls_total = <scoreItems totals, complete rows>,
    #   ecr_s_1 = x$ecr_s_1); NAs dropped per column (na.rm = TRUE)
    ours = descriptives(describe_input, columns=list(describe_psych.index)).set_index("variable")
    assert_allclose(ours[stat].to_numpy(dtype=float), describe_psych[stat].to_numpy(dtype=float), rtol=1e-10)


def test_descriptives_psych_reference_values_spot_check(describe_input):
    # psych::describe(desc_input, type = 3) printed in make_fixtures.Rout:
    # swls_total: n 52, mean 22.288462, sd 7.198411, skew -0.042028, kurtosis -0.810068
    ours = descriptives(describe_input, columns="swls_total").iloc[0]
    assert ours["n"] == 52
    assert_allclose([ours["mean"], ours["sd"], ours["skew"], ours["kurtosis"]],
                    [22.288462, 7.198411, -0.042028, -0.810068], atol=5e-7)


def test_descriptives_hand_checked_and_edge_cases():
    data = pd.DataFrame({
        "x": [1.0, 2.0, 3.0, 4.0, 10.0],
        "one": [np.nan, 5.0, np.nan, np.nan, np.nan],
        "none": [np.nan] * 5,
        "label": ["a", "b", "c", "d", "e"],
        "nullable": pd.array([1, 2, None, 3, None], dtype="Int64"),
    })  # fmt: skip
    ours = descriptives(data).set_index("variable")
    # default columns: numeric only (the string column is left out)
    assert ours.index.tolist() == ["x", "one", "none", "nullable"]
    x = ours.loc["x"]
    # mean 4, deviations -3 -2 -1 0 6: sum of squares 50, sd sqrt(50/4); m3 = 180/5 = 36,
    # m4 = 1394/5 = 278.8 -> skew 36 / 12.5^1.5, kurtosis 278.8 / 12.5^2 - 3
    assert_allclose([x["n"], x["mean"], x["sd"], x["median"], x["min"], x["max"], x["se"]],
                    [5, 4.0, np.sqrt(12.5), 3.0, 1.0, 10.0, np.sqrt(12.5) / np.sqrt(5)], rtol=1e-12)
    assert_allclose(x["skew"], 36 / 12.5**1.5, rtol=1e-12)
    assert_allclose(x["kurtosis"], 278.8 / 12.5**2 - 3, rtol=1e-12)
    # one observation: mean and median, but no sd / skew / kurtosis / se
    one = ours.loc["one"]
    assert one["n"] == 1
    assert one["mean"] == 5.0 and one["median"] == 5.0
    assert np.isnan(one["sd"]) and np.isnan(one["skew"]) and np.isnan(one["se"])
    # no observations at all
    assert ours.loc["none", "n"] == 0
    assert np.isnan(ours.loc["none", "mean"])
    # nullable integers with <NA>: 1, 2, 3
    nullable = ours.loc["nullable"]
    assert nullable["n"] == 3
    assert_allclose([nullable["mean"], nullable["sd"]], [2.0, 1.0], rtol=1e-12)


def test_descriptives_unknown_column():
    with pytest.raises(DataError, match="no column 'missing'"):
        descriptives(pd.DataFrame({"a": [1, 2]}), columns=["a", "missing"])


# --------------------------------------------------------------------------------------------
# missingness
# --------------------------------------------------------------------------------------------


def test_missingness_hand_built():
    n = np.nan
    data = pd.DataFrame({
        "a_1": [1, 2, n, 4, n],
        "a_2": [1, n, n, 4, 5],
        "a_3": [1, 2, n, 4, 5],
        "b_1": [1, 1, 1, n, 1],
        "b_2": [2, 2, 2, n, 2],
    })  # fmt: skip
    out = missingness(data, instruments={"a": {"1": "a_1", "2": "a_2", "3": "a_3"},
                                         "b": {"1": "b_1", "2": "b_2"}})
    assert out.columns.tolist() == ["instrument", "n_items", "n", "pct_cells_missing",
                                    "pct_complete", "pct_skipped"]
    assert out["instrument"].tolist() == ["a", "b"]
    assert out["n_items"].tolist() == [3, 2]
    assert out["n"].tolist() == [5, 5]
    # a: 5 of 15 cells missing; complete rows 0 and 3 (2 of 5); row 2 skipped all (1 of 5)
    # b: 2 of 10 cells missing; 4 of 5 complete; row 3 skipped all (1 of 5)
    assert_allclose(out["pct_cells_missing"].to_numpy(), [100 * 5 / 15, 100 * 2 / 10], rtol=1e-12)
    assert_allclose(out["pct_complete"].to_numpy(), [40.0, 80.0], rtol=1e-12)
    assert_allclose(out["pct_skipped"].to_numpy(), [20.0, 20.0], rtol=1e-12)


def test_missingness_on_the_scoring_sample():
    sample = pd.read_csv(SAMPLE)
    instruments = {"ecr_s": {str(i): f"ecr_s_{i}" for i in range(1, 13)},
                   "csi_16": {str(i): f"csi_16_{i}" for i in range(1, 17)},
                   "swls": {str(i): f"swls_{i}" for i in range(1, 6)}}
    out = missingness(sample, instruments=instruments).set_index("instrument")
    # make_fixtures.Rout: CSI-16 complete rows 51 of 59, SWLS complete rows 52 of 59;
    # ECR-S: 11 missing cells in 10 rows; CSI-16 8 cells; SWLS 7 cells (26 in all)
    assert_allclose(out.loc["ecr_s", "pct_cells_missing"], 100 * 11 / 708, rtol=1e-12)
    assert_allclose(out.loc["csi_16", "pct_cells_missing"], 100 * 8 / 944, rtol=1e-12)
    assert_allclose(out.loc["swls", "pct_cells_missing"], 100 * 7 / 295, rtol=1e-12)
    assert_allclose(out["pct_complete"].to_numpy(), [100 * 49 / 59, 100 * 51 / 59, 100 * 52 / 59], rtol=1e-12)
    assert out["pct_skipped"].tolist() == [0.0, 0.0, 0.0]


def test_missingness_missing_column():
    with pytest.raises(DataError, match="no column 'a_2'"):
        missingness(pd.DataFrame({"a_1": [1]}), instruments={"a": {"1": "a_1", "2": "a_2"}})


# --------------------------------------------------------------------------------------------
# sample_overview
# --------------------------------------------------------------------------------------------


def _overview_dict(out: pd.DataFrame) -> dict:
    return {(row.table, row.quantity): row.value for row in out.itertuples()}


def test_sample_overview_hand_built_dataset():
    survey = pd.DataFrame({
        # couple 1: both partners; couple 2: one partner; couple 3: three members
        "person_id": [11, 12, 21, 31, 32, 33],
        "couple_id": [1, 1, 2, 3, 3, 3],
        "attention_check": [6, 2, np.nan, 6, 6, 3],
    })  # fmt: skip
    diary = pd.DataFrame({
        # person 11: days 1, 2, 3; person 12: days 1, 2 (day 2 twice); person 21: day 1
        "person_id": [11, 11, 11, 12, 12, 12, 21],
        "couple_id": [1, 1, 1, 1, 1, 1, 2],
        "day": [1, 2, 3, 1, 2, 2, 1],
    })  # fmt: skip
    extra = pd.DataFrame({"anything": [1, 2]})
    codebook = {"dataset": "t", "title": "t", "tables": {
        "survey": {"file": "survey.csv", "variables": {
            "person_id": {"type": "integer", "role": "id"},
            "couple_id": {"type": "integer", "role": "dyad_id"},
            "attention_check": {"type": "integer", "role": "attention_check", "correct": 6}}},
        "diary": {"file": "diary.csv", "variables": {
            "person_id": {"type": "integer", "role": "id"},
            "couple_id": {"type": "integer", "role": "dyad_id"},
            "day": {"type": "integer", "role": "day"}}},
        "extra": {"file": "extra.csv", "variables": {"anything": {"type": "integer"}}},
    }}  # fmt: skip
    dataset = Dataset(name="t", title="t", simulated=False, codebook=codebook, codebook_path=None,
                      tables={"survey": survey, "diary": diary, "extra": extra})
    out = sample_overview(dataset)
    assert out.columns.tolist() == ["table", "quantity", "value"]
    assert set(out["quantity"]) <= set(QUANTITY_LABELS)
    assert _overview_dict(out) == {
        ("survey", "rows"): 6.0,
        ("survey", "persons"): 6.0,
        ("survey", "couples"): 3.0,
        ("survey", "couples_both_partners"): 1.0,
        ("survey", "couples_one_partner"): 1.0,
        ("survey", "couples_more_than_two"): 1.0,
        ("survey", "attention_check_failed"): 2.0,   # 2 and 3; the missing one is not a failure
        ("survey", "attention_check_missing"): 1.0,
        ("diary", "rows"): 7.0,
        ("diary", "persons"): 3.0,
        ("diary", "couples"): 2.0,
        ("diary", "couples_both_partners"): 1.0,
        ("diary", "couples_one_partner"): 1.0,
        ("diary", "couples_more_than_two"): 0.0,
        ("diary", "days_per_person_mean"): 2.0,      # (3 + 2 + 1) / 3 distinct days
        ("diary", "days_per_person_min"): 1.0,
        ("diary", "days_per_person_max"): 3.0,
        ("extra", "rows"): 2.0,
    }


def test_sample_overview_from_loaded_files(tmp_path):
    (tmp_path / "survey.csv").write_text(
        "person_id,couple_id,attention_check,age\n"
        "11,1,6,30\n12,1,6,-99\n21,2,,41\n22,2,4,39\n31,3,6,25\n",
        encoding="utf-8",
    )
    (tmp_path / "codebook.yaml").write_text(
        "dataset: tiny\n"
        "tables:\n"
        "  survey:\n"
        "    file: survey.csv\n"
        "    variables:\n"
        "      person_id: {type: integer, role: id}\n"
        "      couple_id: {type: integer, role: dyad_id}\n"
        "      attention_check: {type: integer, role: attention_check, correct: 6}\n"
        "      age: {type: integer, role: demographic, missing_codes: [-99]}\n"
        "    exclusions: {attention_check: false}\n",  # keep the failures in, to count them
        encoding="utf-8",
    )
    dataset = load_dataset(tmp_path)
    assert str(dataset.table("survey")["attention_check"].dtype) == "Int64"
    assert _overview_dict(sample_overview(dataset)) == {
        ("survey", "rows_read"): 5.0,
        ("survey", "rows_excluded"): 0.0,
        ("survey", "rows"): 5.0,
        ("survey", "persons"): 5.0,
        ("survey", "couples"): 3.0,
        ("survey", "couples_both_partners"): 2.0,
        ("survey", "couples_one_partner"): 1.0,
        ("survey", "couples_more_than_two"): 0.0,
        ("survey", "attention_check_failed"): 1.0,   # the 4
        ("survey", "attention_check_missing"): 1.0,  # the empty cell
    }


def test_sample_overview_without_id_columns_counts_rows_per_couple():
    frame = pd.DataFrame({"couple_id": [1, 1, 2, 3, 3, 3]})
    codebook = {"tables": {"t": {"file": "t.csv", "variables": {
        "couple_id": {"type": "integer", "role": "dyad_id"}}}}}  # fmt: skip
    dataset = Dataset(name="t", title="t", simulated=False, codebook=codebook, codebook_path=None,
                      tables={"t": frame})
    assert _overview_dict(sample_overview(dataset)) == {
        ("t", "rows"): 6.0,
        ("t", "couples"): 3.0,
        ("t", "couples_both_partners"): 1.0,
        ("t", "couples_one_partner"): 1.0,
        ("t", "couples_more_than_two"): 1.0,
    }


@pytest.mark.parametrize("x, y, n, r, lo, hi, t, df, p", [
    # R: with(read.csv("tests/data/bfi.csv"), cor.test(A2, C2))
    ("A2", "C2", 2752, 0.136278026160190, 0.099419825908070, 0.172762767651121, 7.213779996193, 2750,
     7.00452154334602e-13),
    # cor.test(N1, E1)
    ("N1", "E1", 2759, 0.017208664591759, -0.020121260797234, 0.054490676000142, 0.903711623386, 2757,
     0.36622728840001),
    # cor.test(age, O1)
    ("age", "O1", 2778, 0.048761065327522, 0.011592936859395, 0.085794637721198, 2.572170952390, 2776,
     0.0101578536593624),
])  # fmt: skip
def test_correlations_match_cor_test(x, y, n, r, lo, hi, t, df, p):
    from conftest import PROJECT_ROOT

    from analysis.data.describe import correlations

    bfi = pd.read_csv(PROJECT_ROOT / "tests" / "data" / "bfi.csv")
    row = correlations(bfi, x=x, y=y).iloc[0]
    assert (row["n"], row["df"]) == (n, df)
    np.testing.assert_allclose([row["r"], row["ci_low"], row["ci_high"], row["statistic"]], [r, lo, hi, t], rtol=1e-10)
    np.testing.assert_allclose(row["p_value"], p, rtol=1e-8)


def test_careless_indices_by_hand():
    from analysis.data.describe import careless_indices

    data = pd.DataFrame({"a": [3, 1, 5, 2], "b": [3, 2, 5, np.nan], "c": [3, 3, 1, 2], "d": [4, 4, 5, 2],
                         "t": [100, 900, 300, 50]})  # fmt: skip
    out = careless_indices(data, items=["a", "b", "c", "d"], duration="t")
    # longstring: 3,3,3 -> 3; 1,2,3,4 -> 1; 5,5 then 1 then 5 -> 2; 2, NA breaks the run, 2, 2 -> 2
    assert out["longstring"].tolist() == [3, 1, 2, 2]
    # IRV = SD (n - 1) of the answered items: [3,3,3,4] -> 0.5; [2,2,2] -> 0
    assert out["irv"].iloc[0] == pytest.approx(0.5)
    assert out["irv"].iloc[3] == pytest.approx(0.0)
    assert out["irv"].iloc[1] == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
    assert out["pct_missing"].tolist() == [0.0, 0.0, 0.0, 25.0]
    assert out["duration"].tolist() == [100.0, 900.0, 300.0, 50.0]


def test_frequencies_and_group_means_by_hand():
    from analysis.data.describe import frequencies, group_means

    styles = pd.Series(pd.Categorical(["secure", "fearful", "secure", None], categories=["secure", "fearful", "x"]))
    freq = frequencies(styles)
    assert freq["category"].tolist() == ["secure", "fearful", "x", "missing"]
    assert freq["n"].tolist() == [2, 1, 0, 1] and freq["pct"].tolist() == [50.0, 25.0, 0.0, 25.0]
    data = pd.DataFrame({"g": ["a", "a", "b", None], "v": [1.0, 3.0, 5.0, 7.0]})
    means = group_means(data, columns=["v"], groups=["g", "absent"])
    assert means[["level", "n", "mean"]].values.tolist() == [["a", 2, 2.0], ["b", 1, 5.0]]
    assert means["sd"].iloc[0] == pytest.approx(np.sqrt(2))


def test_descriptives_of_no_columns_is_an_empty_table():
    out = descriptives(pd.DataFrame({"a": [1.0, 2.0]}), columns=[])
    assert out.empty and list(out.columns)[:3] == ["variable", "n", "mean"]


def test_a_perfect_correlation_has_an_infinite_t_and_a_point_interval():
    """cor.test(x, 2 * x + 1): t = Inf, p < 2.2e-16, 95% CI 1 1 (the Kashy diary holds such pairs:
    a score and its centred copy)."""
    from analysis import correlations

    data = pd.DataFrame({"x": [1.0, 2.0, 3.0, 5.0, 8.0], "y": [3.0, 5.0, 7.0, 11.0, 17.0]})
    out = correlations(data, x="x", y="y").iloc[0]
    assert out["r"] == 1.0 and out["statistic"] == np.inf and out["p_value"] == 0.0
    assert out["ci_low"] == 1.0 and out["ci_high"] == 1.0
    assert correlations(data.assign(y=-data["y"]), x="x", y="y").iloc[0]["ci_high"] == -1.0
