"""Tests of analysis.scales: instrument files, scoring against psych, prorating, errors.

Reference values come from psych (R) via tests/reference/make_fixtures.R, run on
tests/data/scoring_sample.csv (see tests/reference/make_fixtures.Rout for the R session).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.data.instrument_library import Instrument, list_instruments, load_instrument, score_labels
from analysis.exceptions import DataError, InstrumentError, ParameterError
from analysis.paths import INSTRUMENTS_DIR
from analysis.scoring.scales import score_instruments, score_scale

TESTS = Path(__file__).resolve().parent
SAMPLE = TESTS / "data" / "scoring_sample.csv"
REFERENCE = TESTS / "reference"

ECR_ITEMS = [f"ecr_s_{i}" for i in range(1, 13)]
CSI_ITEMS = [f"csi_16_{i}" for i in range(1, 17)]
SWLS_ITEMS = [f"swls_{i}" for i in range(1, 6)]
BUNDLED = sorted(p.stem for p in INSTRUMENTS_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(SAMPLE)


@pytest.fixture(scope="module")
def ecr_psych() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "scoring_ecr_s_psych.csv")


@pytest.fixture(scope="module")
def sums_psych() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "scoring_sums_psych.csv")


def _write_instrument(folder: Path, text: str, name: str = "custom.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# The sample and the fixtures fit together
# --------------------------------------------------------------------------------------------


def test_sample_shape_and_missing_cells(sample, ecr_psych, sums_psych):
    assert sample.shape == (59, 34)
    # "scoring_sample.csv: 59 rows, 34 columns, 26 missing cells" in make_fixtures.Rout
    assert int(sample.isna().sum().sum()) == 26
    assert sample["person_id"].tolist() == ecr_psych["person_id"].tolist()
    assert sample["person_id"].tolist() == sums_psych["person_id"].tolist()


# --------------------------------------------------------------------------------------------
# Against psych::scoreItems
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("score", ["ecr_s_anxiety", "ecr_s_avoidance"])
def test_ecr_s_means_match_psych_score_items(sample, ecr_psych, score):
    # scoreItems(list(anxiety = c("ecr_s_2", "ecr_s_4", "ecr_s_6", "-ecr_s_8", "ecr_s_10",
    #   "ecr_s_12"), avoidance = c("-ecr_s_1", "ecr_s_3", "-ecr_s_5", "ecr_s_7", "-ecr_s_9",
    #   "ecr_s_11")), x[, paste0("ecr_s_", 1:12)], totals = FALSE, impute = "none",
    #   min = 1, max = 7)$scores
    # psych's impute = "none" scores every row with at least one answered item (the mean of
    # the answered items), so our rule is relaxed to min_answered = 0.01 here.
    ours = score_scale(sample, instrument="ecr_s", min_answered=0.01)
    assert ours.notna().all().all()
    assert_allclose(ours[score].to_numpy(), ecr_psych[score].to_numpy(), rtol=1e-10)


@pytest.mark.parametrize("score", ["ecr_s_anxiety", "ecr_s_avoidance"])
def test_ecr_s_default_rule_matches_psych_when_one_item_is_missing(sample, ecr_psych, score):
    # Same R expression as above. No row of the sample misses more than one of the 6 items of a
    # subscale (5/6 >= 0.8), so the default rule scores every row, with the same numbers.
    ours = score_scale(sample, instrument="ecr_s")
    assert_allclose(ours[score].to_numpy(), ecr_psych[score].to_numpy(), rtol=1e-10)


def test_ecr_s_rows_with_missing_items_were_in_the_comparison(sample):
    anxiety = sample[[f"ecr_s_{i}" for i in (2, 4, 6, 8, 10, 12)]].isna().sum(axis=1)
    avoidance = sample[[f"ecr_s_{i}" for i in (1, 3, 5, 7, 9, 11)]].isna().sum(axis=1)
    # "ECR-S: rows with a missing anxiety item: 6 ; rows with a missing avoidance item: 5"
    assert int((anxiety > 0).sum()) == 6
    assert int((avoidance > 0).sum()) == 5
    assert int(anxiety.max()) == 1
    assert int(avoidance.max()) == 1


def test_default_min_answered_sets_rows_below_80_percent_to_nan(sample, ecr_psych):
    data = sample.copy()
    # rows 0 and 6 already miss one anxiety item each; blank a second one, leaving 4 of 6
    # answered (67% < 80%). Row 2 gets two blanks on a complete subscale.
    # Row 3 loses one avoidance item only (5 of 6 = 83%: still scored).
    first_missing = {i: data.loc[i, [f"ecr_s_{k}" for k in (2, 4, 6, 8, 10, 12)]].isna() for i in (0, 6)}
    assert [int(m.sum()) for m in first_missing.values()] == [1, 1]
    for i in (0, 6):
        other = next(c for c, miss in first_missing[i].items() if not miss)
        data.loc[i, other] = np.nan
    data.loc[2, ["ecr_s_2", "ecr_s_4"]] = np.nan
    data.loc[3, "ecr_s_3"] = np.nan
    ours = score_scale(data, instrument="ecr_s")
    assert ours.index[ours["ecr_s_anxiety"].isna()].tolist() == [0, 2, 6]
    assert ours["ecr_s_avoidance"].isna().sum() == 0
    # the rest of the anxiety scores are untouched: compare with the psych fixture
    # (same scoreItems(..., totals = FALSE, impute = "none", min = 1, max = 7) expression)
    keep = ~ours.index.isin([0, 2, 6])
    assert_allclose(ours.loc[keep, "ecr_s_anxiety"].to_numpy(),
                    ecr_psych.loc[keep, "ecr_s_anxiety"].to_numpy(), rtol=1e-10)
    # row 3, avoidance without ecr_s_3: mean of the 5 answered reverse-keyed items
    row = sample.loc[3]
    expected = np.mean([8 - row["ecr_s_1"], 8 - row["ecr_s_5"], row["ecr_s_7"], 8 - row["ecr_s_9"],
                        row["ecr_s_11"]])
    assert_allclose(ours.loc[3, "ecr_s_avoidance"], expected, rtol=1e-12)
    # with the relaxed rule every row is scored again
    relaxed = score_scale(data, instrument="ecr_s", min_answered=0.5)
    assert relaxed["ecr_s_anxiety"].notna().sum() == 59


@pytest.mark.parametrize("score, n_complete", [("csi_16_total", 51), ("swls_total", 52)])
def test_sum_scores_match_psych_on_complete_rows(sample, sums_psych, score, n_complete):
    # csi_16_total: scoreItems(list(total = paste0("csi_16_", 1:16)), x[, csi_cols],
    #   totals = TRUE, impute = "none", min = 0, max = 6)$scores, kept on complete.cases() rows
    # swls_total: scoreItems(list(total = paste0("swls_", 1:5)), x[, swls_cols],
    #   totals = TRUE, impute = "none", min = 1, max = 7)$scores, kept on complete.cases() rows
    # (make_fixtures.R also checks both equal rowSums() on those rows.)
    instrument = score.rsplit("_", 1)[0]
    items = CSI_ITEMS if instrument == "csi_16" else SWLS_ITEMS
    complete = sample[items].notna().all(axis=1).to_numpy()
    assert int(complete.sum()) == n_complete
    assert np.array_equal(sums_psych[score].notna().to_numpy(), complete)
    ours = score_scale(sample, instrument=instrument)
    assert_allclose(ours.loc[complete, score].to_numpy(), sums_psych.loc[complete, score].to_numpy(),
                    rtol=1e-10)


def test_swls_prorated_total_matches_psych_mean_times_5(sample, sums_psych):
    # 5 * scoreItems(list(total = swls_cols), x[, swls_cols], totals = FALSE, impute = "none",
    #   min = 1, max = 7)$scores, for rows with >= 4 of 5 items (all 59 rows here)
    ours = score_scale(sample, instrument="swls")
    assert ours["swls_total"].notna().sum() == 59  # 4 of 5 answered = 80%: still scored
    assert_allclose(ours["swls_total"].to_numpy(), sums_psych["swls_mean_x5"].to_numpy(), rtol=1e-10)
    # row of person 72 misses one SWLS item: the prorated total is not an integer
    row = sums_psych.index[sums_psych["person_id"] == 72][0]
    assert_allclose(ours.loc[row, "swls_total"], 33.75, rtol=1e-12)


def test_csi_16_incomplete_rows_are_prorated_not_summed(sample):
    ours = score_scale(sample, instrument="csi_16")
    incomplete = sample[CSI_ITEMS].isna().any(axis=1)
    assert int(incomplete.sum()) == 8
    answered_sum = sample.loc[incomplete, CSI_ITEMS].sum(axis=1)
    # psych's totals = TRUE with impute = "none" would give the sum of the answered items;
    # ours adds the imputed item, so it is larger unless the person answered 0 everywhere
    assert (ours.loc[incomplete, "csi_16_total"] > answered_sum).all()
    assert (ours["csi_16_total"] <= 81).all()


# --------------------------------------------------------------------------------------------
# Reverse keying
# --------------------------------------------------------------------------------------------


def test_ecr_s_reverse_keying_hand_checked():
    data = pd.DataFrame(
        [
            [1] * 12,
            [1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5],
            [7] * 12,
        ],
        columns=ECR_ITEMS,
    )
    ours = score_scale(data, instrument="ecr_s")
    # row 0: anxiety 1, 1, 1, 8-1=7, 1, 1 -> 12/6; avoidance 7, 1, 7, 1, 7, 1 -> 24/6
    # row 1: anxiety items 2, 4, 6, 8R, 10, 12 = 2, 4, 6, 8-1=7, 3, 5 -> 27/6 = 4.5
    #        avoidance items 1R, 3, 5R, 7, 9R, 11 = 8-1=7, 3, 8-5=3, 7, 8-2=6, 4 -> 30/6 = 5.0
    # row 2: anxiety 7, 7, 7, 1, 7, 7 -> 36/6; avoidance 1, 7, 1, 7, 1, 7 -> 24/6
    assert_allclose(ours["ecr_s_anxiety"].to_numpy(), [2.0, 4.5, 6.0], rtol=1e-12)
    assert_allclose(ours["ecr_s_avoidance"].to_numpy(), [4.0, 5.0, 4.0], rtol=1e-12)


def test_reverse_keying_uses_each_items_own_range(tmp_path):
    path = _write_instrument(tmp_path, """
id: mixed
name: Mixed ranges (TEST)
citation: test
response: {min: 1, max: 7}
scoring: mean
items:
  - {id: "a", min: 1, max: 5, reverse: true}
  - {id: "b", min: 0, max: 6, reverse: true}
  - {id: "c"}
  - {id: "d", reverse: true}
scores:
  total: ["a", "b", "c", "d"]
  single: ["b"]
""")
    data = pd.DataFrame({"mixed_a": [2, 5, 1], "mixed_b": [1, 6, 0], "mixed_c": [3, 7, 1], "mixed_d": [2, 7, 1]})
    ours = score_scale(data, instrument=load_instrument(path))
    # row 0: a 6-2=4, b 6-1=5, c 3, d 8-2=6 -> 18/4 = 4.5
    # row 1: a 6-5=1, b 6-6=0, c 7, d 8-7=1 -> 9/4 = 2.25
    # row 2: a 6-1=5, b 6-0=6, c 1, d 8-1=7 -> 19/4 = 4.75
    assert_allclose(ours["mixed_total"].to_numpy(), [4.5, 2.25, 4.75], rtol=1e-12)
    # single-item score: just the reverse-keyed item
    assert_allclose(ours["mixed_single"].to_numpy(), [5.0, 0.0, 6.0], rtol=1e-12)


def test_cpi_reverse_items_on_1_to_5():
    ins = load_instrument("cpi")
    data = pd.DataFrame({f"cpi_{i}": [4, 1] for i in ins.item_ids})
    ours = score_scale(data, instrument="cpi")
    # disclosure = item 7 + reversed item 8 (6 - x): row 0 (4 + 2)/2 = 3; row 1 (1 + 5)/2 = 3
    assert_allclose(ours["cpi_disclosure"].to_numpy(), [3.0, 3.0], rtol=1e-12)
    # checkin = items 1, 2, no reverse: 4 and 1
    assert_allclose(ours["cpi_checkin"].to_numpy(), [4.0, 1.0], rtol=1e-12)
    # total: 13 items at x and reversed items 8, 12, 16 at 6 - x
    assert_allclose(ours["cpi_total"].to_numpy(), [(13 * 4 + 3 * 2) / 16, (13 * 1 + 3 * 5) / 16], rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Prorating sum scores with heterogeneous item ranges (CSI-16: item 1 0-6, items 2-16 0-5)
# --------------------------------------------------------------------------------------------


def _csi_row(values: dict) -> dict:
    return {f"csi_16_{k}": v for k, v in values.items()}


def test_csi_16_prorating_never_exceeds_81():
    rows = [
        # item 2 missing, everything else at its maximum: the naive "mean x 16" would be
        # (6 + 14 x 5) / 15 x 16 = 81.07; the item is imputed at its own maximum 5 -> 81
        _csi_row({1: 6, 2: np.nan, **{k: 5 for k in range(3, 17)}}),
        # item 1 missing, others at 5 -> item 1 imputed at 6 -> 81
        _csi_row({1: np.nan, **{k: 5 for k in range(2, 17)}}),
        # item 1 missing, others at 3: p = 3/5 -> item 1 imputed at 0.6 x 6 = 3.6 -> 45 + 3.6
        _csi_row({1: np.nan, **{k: 3 for k in range(2, 17)}}),
        # item 2 missing, item 1 = 3, items 3-16 = 2: p = (3/6 + 14 x 2/5) / 15 = 6.1/15,
        # item 2 imputed at 5p = 61/30 -> 3 + 28 + 61/30
        _csi_row({1: 3, 2: np.nan, **{k: 2 for k in range(3, 17)}}),
        # item 5 missing, all others 0 -> 0
        _csi_row({**{k: 0 for k in range(1, 17)}, 5: np.nan}),
        # complete, all at maximum -> 81
        _csi_row({1: 6, **{k: 5 for k in range(2, 17)}}),
    ]
    ours = score_scale(pd.DataFrame(rows), instrument="csi_16")
    assert_allclose(ours["csi_16_total"].to_numpy(), [81.0, 81.0, 48.6, 31 + 61 / 30, 0.0, 81.0],
                    rtol=1e-12, atol=1e-12)


def test_csi_16_prorated_totals_stay_in_range_random():
    rng = np.random.default_rng(1)
    n = 2000
    values = np.column_stack([rng.integers(0, 7, n)] + [rng.integers(0, 6, n) for _ in range(15)]).astype(float)
    # item 1 high and the rest high makes the naive proration overshoot; push half the rows there
    values[: n // 2, 0] = 6
    values[: n // 2, 1:] = np.maximum(values[: n // 2, 1:], 4)
    values[rng.random(values.shape) < 0.1] = np.nan
    ours = score_scale(pd.DataFrame(values, columns=CSI_ITEMS), instrument="csi_16", min_answered=0.5)
    total = ours["csi_16_total"].dropna()
    assert total.size > 1900
    assert float(total.max()) <= 81.0
    assert float(total.min()) >= 0.0


# --------------------------------------------------------------------------------------------
# min_answered
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, 0.0, -0.2, 1.01, 2, 80])
def test_min_answered_must_be_in_0_1(bad):
    data = pd.DataFrame({c: [1] for c in SWLS_ITEMS})
    with pytest.raises(ParameterError, match="min_answered"):
        score_scale(data, instrument="swls", min_answered=bad)


@pytest.mark.parametrize(
    "min_answered, expected",
    [
        # answered: row 0 5/5, row 1 4/5, row 2 3/5, row 3 1/5, row 4 0/5
        (1.0, [25.0, np.nan, np.nan, np.nan, np.nan]),
        (0.8, [25.0, 25.0, np.nan, np.nan, np.nan]),
        (0.6, [25.0, 25.0, 25.0, np.nan, np.nan]),
        (0.2, [25.0, 25.0, 25.0, 25.0, np.nan]),
        (0.01, [25.0, 25.0, 25.0, 25.0, np.nan]),
    ],
)
def test_min_answered_thresholds_swls(min_answered, expected):
    n = np.nan
    data = pd.DataFrame(
        [[5, 5, 5, 5, 5], [5, n, 5, 5, 5], [n, 5, 5, n, 5], [n, n, 5, n, n], [n, n, n, n, n]],
        columns=SWLS_ITEMS,
    )
    ours = score_scale(data, instrument="swls", min_answered=min_answered)
    assert_allclose(ours["swls_total"].to_numpy(), expected, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, shown", [(8, "8"), (0, "0"), (-99, "-99")])
def test_out_of_range_value_names_column_row_and_value(value, shown):
    data = pd.DataFrame({c: [1.0, 2.0, 3.0, 4.0] for c in ECR_ITEMS}, index=["p1", "p2", "p3", "p4"])
    data.loc["p3", "ecr_s_7"] = value
    with pytest.raises(DataError) as info:
        score_scale(data, instrument="ecr_s")
    message = str(info.value)
    assert "'ecr_s_7'" in message
    assert "row 2" in message and "'p3'" in message  # position 2, index label p3
    assert f": {shown}." in message
    assert "1..7" in message


def test_out_of_range_counts_every_bad_value():
    data = pd.DataFrame({c: [0, 1, 2, 3, 4, 5, 6] for c in CSI_ITEMS})  # 6 is out of range for 2-16
    with pytest.raises(DataError, match=r"'csi_16_2'.* 1 value\(s\) outside 0\.\.5; first at row 6"):
        score_scale(data, instrument="csi_16")


def test_missing_item_column_is_a_data_error():
    data = pd.DataFrame({c: [1] for c in SWLS_ITEMS[:4]})
    with pytest.raises(DataError, match="swls_5"):
        score_scale(data, instrument="swls")


@pytest.mark.parametrize("name", ["nope", "ecr_x", "ECR_S"])
def test_unknown_instrument(name):
    with pytest.raises(InstrumentError, match=f"No instrument named '{name}'.*ecr_s"):
        load_instrument(name)
    with pytest.raises(InstrumentError, match=f"No instrument named '{name}'"):
        score_scale(pd.DataFrame({"x": [1]}), instrument=name)


@pytest.mark.parametrize(
    "body, field",
    [
        ("name: x\ncitation: x\nresponse: {min: 1, max: 5}\nscoring: mean\nitems: [{id: '1'}]\n"
         "scores: {t: ['1']}\n", "id"),
        ("id: x\nname: x\ncitation: x\nresponse: {min: 1, max: 5}\nscoring: mean\n"
         "items: [{id: '1'}]\n", "scores"),
    ],
)
def test_malformed_instrument_file_names_missing_field(tmp_path, body, field):
    path = _write_instrument(tmp_path, body)
    with pytest.raises(InstrumentError, match=f"no `{field}` field"):
        load_instrument(path)


def test_instrument_score_with_unknown_item(tmp_path):
    path = _write_instrument(tmp_path, "id: x\nname: x\ncitation: x\nresponse: {min: 1, max: 5}\n"
                                       "scoring: mean\nitems: [{id: '1'}, {id: '2'}]\n"
                                       "scores: {t: ['1', '3']}\n")
    with pytest.raises(InstrumentError, match=r"score 't' names unknown items \['3'\]"):
        load_instrument(path)


def test_columns_argument_forms(sample):
    reference = score_scale(sample, instrument="swls")
    renamed = sample[SWLS_ITEMS].set_axis([f"q{i}" for i in range(1, 6)], axis=1)
    as_list = score_scale(renamed, instrument="swls", columns=[f"q{i}" for i in range(1, 6)])
    as_dict = score_scale(renamed, instrument="swls", columns={str(i): f"q{i}" for i in range(1, 6)})
    assert_allclose(as_list["swls_total"].to_numpy(), reference["swls_total"].to_numpy(), rtol=1e-12)
    assert_allclose(as_dict["swls_total"].to_numpy(), reference["swls_total"].to_numpy(), rtol=1e-12)
    with pytest.raises(ParameterError, match="lists 4 columns but swls has 5 items"):
        score_scale(renamed, instrument="swls", columns=["q1", "q2", "q3", "q4"])
    with pytest.raises(ParameterError, match=r"names items \['6'\]"):
        score_scale(renamed, instrument="swls", columns={"6": "q1"})
    # a score whose items are not all mapped is skipped: only anxiety for the even items
    anxiety_only = score_scale(sample, instrument="ecr_s",
                               columns={str(i): f"ecr_s_{i}" for i in (2, 4, 6, 8, 10, 12)})
    assert list(anxiety_only.columns) == ["ecr_s_anxiety"]


# --------------------------------------------------------------------------------------------
# The bundled instrument files
# --------------------------------------------------------------------------------------------


def test_bundled_instruments_are_listed():
    assert len(BUNDLED) >= 7
    table = list_instruments()
    assert sorted(table["id"]) == BUNDLED
    assert table.loc[table["id"] == "csi_16", "response_range"].item() == "0-6"
    assert table.loc[table["id"] == "ecr_s", "n_items"].item() == 12


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_instrument_loads_and_its_scores_use_its_items(name):
    ins = load_instrument(name)
    assert isinstance(ins, Instrument)
    assert ins.id == name
    assert ins.scoring in ("mean", "sum")
    assert len(ins.items) >= (1 if name == "ios" else 3)  # the IOS is a single pictorial item
    assert len(ins.scores) >= 1
    assert all(item.min < item.max for item in ins.items)
    for score, members in ins.scores.items():
        assert len(members) >= (1 if name == "ios" else 2), score
        assert set(members) <= set(ins.item_ids), score
        assert len(set(members)) == len(members), score
    # every score of an all-minimum respondent equals the score's minimum
    data = pd.DataFrame({f"{ins.id}_{item.id}": [item.max if item.reverse else item.min] for item in ins.items})
    scores = score_scale(data, instrument=ins)
    for score, members in ins.scores.items():
        lows = [ins.item(m).min for m in members]
        expected = np.mean(lows) if ins.scoring == "mean" else np.sum(lows)
        assert_allclose(scores[f"{ins.id}_{score}"].item(), expected, rtol=1e-12)


def test_ecr_s_key():
    ins = load_instrument("ecr_s")
    assert ins.scoring == "mean"
    assert ins.item_ids == [str(i) for i in range(1, 13)]
    assert ins.scores["anxiety"] == tuple(str(i) for i in (2, 4, 6, 8, 10, 12))
    assert ins.scores["avoidance"] == tuple(str(i) for i in (1, 3, 5, 7, 9, 11))
    assert [item.id for item in ins.items if item.reverse] == ["1", "5", "8", "9"]
    assert {(item.min, item.max) for item in ins.items} == {(1.0, 7.0)}


def test_csi_16_key_and_range():
    ins = load_instrument("csi_16")
    assert ins.scoring == "sum"
    assert len(ins.items) == 16
    assert not any(item.reverse for item in ins.items)
    assert (ins.item("1").min, ins.item("1").max) == (0.0, 6.0)
    assert {(ins.item(str(i)).min, ins.item(str(i)).max) for i in range(2, 17)} == {(0.0, 5.0)}
    assert sum(item.min for item in ins.items) == 0
    assert sum(item.max for item in ins.items) == 81
    assert ins.cutoffs["total"]["bands"][0]["below"] == 51.5


def test_prqc_six_components_of_three_items():
    ins = load_instrument("prqc")
    components = ["satisfaction", "commitment", "intimacy", "trust", "passion", "love"]
    assert [s for s in ins.scores if s != "total"] == components
    for k, component in enumerate(components):
        assert ins.scores[component] == tuple(str(3 * k + j) for j in (1, 2, 3))
    assert len(ins.scores["total"]) == 18
    assert not any(item.reverse for item in ins.items)


def test_swls_sum_range_5_to_35():
    ins = load_instrument("swls")
    assert ins.scoring == "sum"
    assert len(ins.items) == 5
    low = score_scale(pd.DataFrame({c: [1] for c in SWLS_ITEMS}), instrument="swls")
    high = score_scale(pd.DataFrame({c: [7] for c in SWLS_ITEMS}), instrument="swls")
    assert low["swls_total"].item() == 5.0
    assert high["swls_total"].item() == 35.0


# --------------------------------------------------------------------------------------------
# score_instruments and score_labels
# --------------------------------------------------------------------------------------------


def test_score_instruments_side_by_side(sample, ecr_psych):
    mapping = {
        "ecr_s": {str(i): f"ecr_s_{i}" for i in range(1, 13)},
        "swls": {str(i): f"swls_{i}" for i in range(1, 6)},
        "csi_16": {str(i): f"csi_16_{i}" for i in range(1, 17)},
    }
    ours = score_instruments(sample, instruments=mapping, min_answered=0.01)
    assert list(ours.columns) == ["ecr_s_anxiety", "ecr_s_avoidance", "swls_total", "csi_16_total"]
    assert ours.index.equals(sample.index)
    # ECR-S columns: same scoreItems(..., totals = FALSE, impute = "none", min = 1, max = 7) fixture
    assert_allclose(ours["ecr_s_anxiety"].to_numpy(), ecr_psych["ecr_s_anxiety"].to_numpy(), rtol=1e-10)
    assert_allclose(ours["ecr_s_avoidance"].to_numpy(), ecr_psych["ecr_s_avoidance"].to_numpy(), rtol=1e-10)
    alone = score_scale(sample, instrument="csi_16", min_answered=0.01)
    assert_allclose(ours["csi_16_total"].to_numpy(), alone["csi_16_total"].to_numpy(), rtol=1e-12)


def test_score_instruments_passes_min_answered():
    n = np.nan
    data = pd.DataFrame([[5, n, 5, 5, 5], [n, n, 5, 5, 5]], columns=SWLS_ITEMS)
    mapping = {"swls": {str(i): f"swls_{i}" for i in range(1, 6)}}
    strict = score_instruments(data, instruments=mapping)
    loose = score_instruments(data, instruments=mapping, min_answered=0.6)
    assert_allclose(strict["swls_total"].to_numpy(), [25.0, np.nan], rtol=1e-12)
    assert_allclose(loose["swls_total"].to_numpy(), [25.0, 25.0], rtol=1e-12)


def test_score_instruments_with_no_instruments():
    data = pd.DataFrame({"a": [1, 2, 3]}, index=[10, 11, 12])
    out = score_instruments(data, instruments={})
    assert out.shape == (3, 0)
    assert out.index.tolist() == [10, 11, 12]


def test_score_labels():
    labels = score_labels(["ecr_s", "csi_16", "prqc", "swls", "ucla_3", "cpi"])
    assert labels["ecr_s_anxiety"] == "ECR-S anxiety"
    assert labels["ecr_s_avoidance"] == "ECR-S avoidance"
    assert labels["csi_16_total"] == "CSI-16 total"
    assert labels["prqc_satisfaction"] == "PRQC satisfaction"
    assert labels["swls_total"] == "SWLS total"
    assert labels["ucla_3_total"] == "UCLA-3 total"
    assert labels["cpi_shared_activities"] == "CPI shared activities"
    assert labels["ecr_s"] == "ECR-S" and labels["ucla_3"] == "UCLA-3"  # instrument ids too
    assert len(labels) == 6 + (2 + 1 + 7 + 1 + 1 + 9)


def test_text_in_an_item_column_is_an_error_not_a_missing_value():
    frame = pd.DataFrame({f"swls_{i}": ["5"] * 3 for i in range(1, 6)})
    frame.loc[2, "swls_4"] = "agree"
    with pytest.raises(DataError, match=r"'swls_4'.*not numbers; first at row 2.*'agree'"):
        score_scale(frame, instrument="swls")


def test_fractional_value_says_not_whole():
    frame = pd.DataFrame({f"swls_{i}": [5.0, 4.0] for i in range(1, 6)})
    frame.loc[1, "swls_2"] = 2.5
    with pytest.raises(DataError, match=r"'swls_2'.*not whole numbers; first at row 1.*2\.5"):
        score_scale(frame, instrument="swls")


def test_data_range_overrides_the_published_range():
    # a 5-point administration of the 7-point ECR: reverse keying must be 6 - x, not 8 - x
    frame = pd.DataFrame({f"ecr_{i}": [1.0, 5.0] for i in range(1, 37)})
    five = score_scale(frame, instrument="ecr", ranges={f"ecr_{i}": [1, 5] for i in range(1, 37)})
    seven = score_scale(frame, instrument="ecr")
    # avoidance: 9 of 18 items reversed; answering 1 everywhere gives (9 * 1 + 9 * 5) / 18 = 3 on 1-5
    assert five["ecr_avoidance"].tolist() == [3.0, 3.0]
    # on the published 1-7 range: all 1s -> (9 * 1 + 9 * 7) / 18 = 4; all 5s -> (9 * 5 + 9 * 3) / 18 = 4
    assert seven["ecr_avoidance"].tolist() == [4.0, 4.0]


def test_score_instruments_skips_an_undefined_instrument_with_a_warning():
    from analysis.exceptions import AnalysisWarning

    frame = pd.DataFrame({f"swls_{i}": [5.0, 3.0] for i in range(1, 6)} | {"x_1": [1, 2]})
    with pytest.warns(AnalysisWarning, match="No instrument named 'not_defined'.*not scored"):
        scores = score_instruments(frame, instruments={"swls": {str(i): f"swls_{i}" for i in range(1, 6)},
                                                       "not_defined": {"1": "x_1"}})  # fmt: skip
    assert scores.columns.tolist() == ["swls_total"] and scores["swls_total"].tolist() == [25.0, 15.0]


def test_score_categories_csi_16_distress_cutoff():
    from analysis.scoring.scales import score_categories

    scores = pd.DataFrame({"csi_16_total": [51.4, 51.5, 81.0, np.nan]})
    bands = score_categories(scores, instrument="csi_16")["csi_16_total_band"]
    labels = load_instrument("csi_16").cutoffs["total"]["bands"]
    assert bands.iloc[0] == labels[0]["label"]  # 51.4 < 51.5: below the cut-off
    assert bands.iloc[1] == labels[1]["label"] == bands.iloc[2]  # 51.5 and above
    assert pd.isna(bands.iloc[3])
    assert bands.cat.ordered


def test_attachment_styles_median_and_midpoint():
    from analysis.scoring.attachment import attachment_styles

    data = pd.DataFrame({"anx": [1.0, 6.0, 2.0, 7.0, 4.0, np.nan], "avo": [2.0, 1.0, 6.0, 7.0, 4.0, 3.0]})
    mid = attachment_styles(data, anxiety="anx", avoidance="avo", rule="midpoint", midpoint=4)
    assert mid.tolist()[:5] == ["secure", "preoccupied", "dismissing", "fearful", "secure"]  # 4 = cut: low
    assert pd.isna(mid.iloc[5])
    med = attachment_styles(data, anxiety="anx", avoidance="avo")  # medians 4.0 and 3.5
    assert med.attrs["cut_anxiety"] == 4.0 and med.attrs["cut_avoidance"] == 3.5
    assert med.tolist()[:5] == ["secure", "preoccupied", "dismissing", "fearful", "dismissing"]
    with pytest.raises(ParameterError, match="midpoint"):
        attachment_styles(data, anxiety="anx", avoidance="avo", rule="midpoint")
    with pytest.raises(ParameterError, match="`rule`"):
        attachment_styles(data, anxiety="anx", avoidance="avo", rule="mean")


def test_attachment_scores_refuses_an_instrument_without_the_two_dimensions():
    from analysis import attachment_scores
    from analysis.exceptions import InstrumentError

    data = pd.DataFrame({f"csi_16_{i}": [3, 4] for i in range(1, 17)})
    with pytest.raises(InstrumentError, match="no anxiety and avoidance scores"):
        attachment_scores(data, instruments={"csi_16": {str(i): f"csi_16_{i}" for i in range(1, 17)}},
                          instrument="csi_16")
