"""Tests of analysis.reliability: Cronbach's alpha and item statistics against psych::alpha.

Reference values come from tests/reference/reliability.R (printed in reliability.Rout), run with
psych 2.2.9: reliability_total.csv (one row per fixture) and reliability_items.csv (one row
per fixture and item). Fixtures, every scale keyed before the call:
  bfi_agree           psych::bfi A1-A5, A1 reversed (7 - A1); alpha(x) (use = "pairwise")
  bfi_agree_listwise  the same on complete cases: alpha(x[complete.cases(x), ])
  bfi_consc           C1-C5, C4 and C5 reversed (7 - x); alpha(x)
  ecr_avoidance       ECR Q1, Q3, ..., Q35, 0 = missing, 9 items reversed (6 - x); alpha(x) on the
                      rows that answered at least one item (61 of 51,491 answered none)
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from analysis.exceptions import AnalysisWarning, DataError, ParameterError
from analysis.psychometrics.omega import omega
from analysis.psychometrics.reliability import cronbach_alpha, item_statistics

TESTS = Path(__file__).resolve().parent
REFERENCE = TESTS / "reference"
RTOL = 1e-10  # psych and we agree to about 1e-15; this leaves room for summation order

ALPHA_COLUMNS = ["n", "n_items", "alpha", "std_alpha", "g6_smc", "average_r", "median_r", "mean",
                 "sd", "ci_low", "ci_high", "ci_method"]  # fmt: skip
ITEM_COLUMNS = ["item", "n", "mean", "sd", "r_item_total", "r_std", "r_cor", "r_drop",
                "alpha_if_deleted", "std_alpha_if_deleted", "average_r_if_deleted"]  # fmt: skip

# our column -> (column of reliability_total.csv, the R expression that produced it), a = alpha(x)
TOTAL_REFERENCE = {
    "n": ("n", "nrow(x)"),
    "n_items": ("n_items", "ncol(x)"),
    "alpha": ("raw_alpha", "a$total$raw_alpha"),
    "std_alpha": ("std_alpha", "a$total$std.alpha"),
    "g6_smc": ("g6_smc", 'a$total[["G6(smc)"]]'),
    "average_r": ("average_r", "a$total$average_r"),
    "median_r": ("median_r", "a$total$median_r"),
    "mean": ("mean", "a$total$mean"),
    "sd": ("sd", "a$total$sd"),
    "ci_low": ("feldt_low", "a$feldt$lower.ci  (= alpha.ci(raw_alpha, nrow(x), ncol(x))$lower.ci)"),
    "ci_high": ("feldt_high", "a$feldt$upper.ci"),
}
# our column -> (column of reliability_items.csv, the R expression that produced it)
ITEM_REFERENCE = {
    "n": ("n", "a$item.stats$n"),
    "mean": ("mean", "a$item.stats$mean"),
    "sd": ("sd", "a$item.stats$sd"),
    "r_item_total": ("raw_r", "a$item.stats$raw.r"),
    "r_std": ("std_r", "a$item.stats$std.r"),
    "r_cor": ("r_cor", "a$item.stats$r.cor"),
    "r_drop": ("r_drop", "a$item.stats$r.drop"),
    "alpha_if_deleted": ("raw_alpha_drop", "a$alpha.drop$raw_alpha"),
    "std_alpha_if_deleted": ("std_alpha_drop", "a$alpha.drop$std.alpha"),
    "average_r_if_deleted": ("average_r_drop", "a$alpha.drop$average_r"),
}
ECR_AVOIDANCE = [f"Q{i}" for i in range(1, 36, 2)]
ECR_REVERSED = [f"Q{i}" for i in (3, 15, 19, 25, 27, 29, 31, 33, 35)]


# --------------------------------------------------------------------------------------------
# fixtures: the frames reliability.R passed to psych::alpha, rebuilt from the same files
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(TESTS / "data" / "bfi.csv")


@pytest.fixture(scope="module")
def agree(bfi) -> pd.DataFrame:
    """bfi agreeableness keyed as psych's bfi.keys: A1 reversed (7 - A1)."""
    out = bfi[[f"A{i}" for i in range(1, 6)]].copy()
    out["A1"] = 7 - out["A1"]
    return out


@pytest.fixture(scope="module")
def consc(bfi) -> pd.DataFrame:
    """bfi conscientiousness keyed as psych's bfi.keys: C4 and C5 reversed (7 - x)."""
    out = bfi[[f"C{i}" for i in range(1, 6)]].copy()
    out[["C4", "C5"]] = 7 - out[["C4", "C5"]]
    return out


@pytest.fixture(scope="module")
def ecr_avoidance(shared_data) -> pd.DataFrame:
    """ECR avoidance items, 0 = missing, reverse-keyed items as 6 - x (all 51,491 rows)."""
    raw = pd.read_csv(shared_data / "openpsychometrics_ecr" / "data.csv", usecols=ECR_AVOIDANCE)
    out = raw[ECR_AVOIDANCE].astype(float).replace(0, np.nan)
    out[ECR_REVERSED] = 6 - out[ECR_REVERSED]
    return out


@pytest.fixture(scope="module")
def psych_total() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "reliability_total.csv").set_index("fixture")


@pytest.fixture(scope="module")
def psych_items() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "reliability_items.csv")


# (fixture name in the CSVs, frame fixture, `missing`)
CASES = [
    ("bfi_agree", "agree", "pairwise"),
    ("bfi_agree_listwise", "agree", "listwise"),
    ("bfi_consc", "consc", "pairwise"),
    ("ecr_avoidance", "ecr_avoidance", "pairwise"),
]
CASE_IDS = [c[0] for c in CASES]


# --------------------------------------------------------------------------------------------
# cronbach_alpha and item_statistics vs psych::alpha
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fixture", "frame", "missing"), CASES, ids=CASE_IDS)
@pytest.mark.parametrize("stat", list(TOTAL_REFERENCE))
def test_cronbach_alpha_matches_psych_alpha(request, psych_total, fixture, frame, missing, stat):
    data = request.getfixturevalue(frame)
    ours = cronbach_alpha(data, items=list(data.columns), missing=missing).iloc[0]
    column, r_expression = TOTAL_REFERENCE[stat]
    if fixture == "ecr_avoidance" and stat in ("ci_low", "ci_high"):
        # R 4.2.2's qf() is off at these df (see test_feldt_where_r_qf_is_inaccurate): compare
        # with 1 - (1 - raw_alpha) * q, q from uniroot(pf(q, n - 1, (n - 1)(k - 1)) - p)
        column, r_expression = f"feldt_pf_{column.split('_')[1]}", "Feldt bound with pf() inverted"
    # R: a <- psych::alpha(x); <r_expression> (see TOTAL_REFERENCE), x as in the module docstring
    expected = psych_total.loc[fixture, column]
    assert_allclose(float(ours[stat]), expected, rtol=RTOL, err_msg=r_expression)


@pytest.mark.parametrize(("fixture", "frame", "missing"), CASES, ids=CASE_IDS)
@pytest.mark.parametrize("stat", list(ITEM_REFERENCE))
def test_item_statistics_match_psych_alpha(request, psych_items, fixture, frame, missing, stat):
    data = request.getfixturevalue(frame)
    ours = item_statistics(data, items=list(data.columns), missing=missing)
    ref = psych_items[psych_items["fixture"] == fixture]
    assert ours["item"].tolist() == ref["item"].tolist() == list(data.columns)
    column, r_expression = ITEM_REFERENCE[stat]
    # R: a <- psych::alpha(x); <r_expression> (see ITEM_REFERENCE), one value per item
    assert_allclose(ours[stat].to_numpy(dtype=float), ref[column].to_numpy(dtype=float), rtol=RTOL,
                    err_msg=r_expression)  # fmt: skip


def test_feldt_interval_at_90_percent(agree, consc, psych_total):
    for fixture, data in [("bfi_agree", agree), ("bfi_consc", consc)]:
        ours = cronbach_alpha(data, items=list(data.columns), ci=0.90)
        assert ours.attrs["ci"] == 0.90
        # R: alpha.ci(a$total$raw_alpha, nrow(x), ncol(x), p.val = 0.10)$lower.ci / $upper.ci
        expected = psych_total.loc[fixture, ["feldt90_low", "feldt90_high"]].to_numpy(float)
        assert_allclose(ours[["ci_low", "ci_high"]].to_numpy()[0], expected, rtol=RTOL)


def test_feldt_where_r_qf_is_inaccurate(ecr_avoidance, psych_total):
    ours = cronbach_alpha(ecr_avoidance, items=ECR_AVOIDANCE, ci=0.90).iloc[0]
    # R: feldt_pf(raw_alpha, 51430, 18, p.val = 0.10) in reliability.R (pf() inverted)
    expected = psych_total.loc["ecr_avoidance", ["feldt90_pf_low", "feldt90_pf_high"]]
    assert_allclose([ours["ci_low"], ours["ci_high"]], expected.to_numpy(float), rtol=RTOL)
    # psych's own bounds, alpha(x)$feldt, use qf(): pf(qf(0.025, 51429, 874293), ...) is 0.02837
    # in R 4.2.2 (reliability.Rout), so they sit about 2e-5 from ours
    ref = psych_total.loc["ecr_avoidance"]
    q_upper = (1 - ref["feldt_high"]) / (1 - ref["raw_alpha"])  # psych: qf(0.025, ...)
    assert_allclose(stats.f.cdf(q_upper, 51429, 51429 * 17), 0.02837108549, rtol=1e-8)
    q_lower = (1 - ref["feldt_low"]) / (1 - ref["raw_alpha"])  # psych: qf(0.975, ...)
    assert_allclose(stats.f.cdf(q_lower, 51429, 51429 * 17), 0.97155739162, rtol=1e-8)
    ours95 = cronbach_alpha(ecr_avoidance, items=ECR_AVOIDANCE).iloc[0]
    assert 1e-5 < abs(ours95["ci_low"] - ref["feldt_low"]) < 3e-5
    assert 1e-5 < abs(ours95["ci_high"] - ref["feldt_high"]) < 3e-5


def test_psych_reference_values_spot_check(agree):
    # printed in reliability.Rout, psych::alpha(x) on bfi agreeableness (A1 reversed):
    # raw_alpha 0.703018, std.alpha 0.713029, G6(smc) 0.682763, average_r 0.331968;
    # Feldt 0.685264 - 0.720063; item A1: raw.r 0.580690, r.drop 0.308418, alpha.drop 0.718517
    ours = cronbach_alpha(agree, items=list(agree.columns)).iloc[0]
    columns = ["alpha", "std_alpha", "g6_smc", "average_r", "ci_low", "ci_high"]
    assert_allclose(ours[columns].to_numpy(float),
                    [0.703018, 0.713029, 0.682763, 0.331968, 0.685264, 0.720063], atol=5e-7)
    a1 = item_statistics(agree, items=list(agree.columns)).iloc[0]
    assert a1["item"] == "A1" and a1["n"] == 2784
    assert_allclose([a1["r_item_total"], a1["r_drop"], a1["alpha_if_deleted"]],
                    [0.580690, 0.308418, 0.718517], atol=5e-7)  # fmt: skip


def test_ecr_n_counts_respondents_who_answered(ecr_avoidance, psych_total):
    # 51,491 rows, of which 61 answered no avoidance item (reliability.Rout); psych's nrow(x)
    # on the full frame would be 51,491, and its Feldt bounds differ in the 7th decimal
    ours = cronbach_alpha(ecr_avoidance, items=ECR_AVOIDANCE)
    assert len(ecr_avoidance) == 51491
    assert ours["n"].iloc[0] == psych_total.loc["ecr_avoidance", "n"] == 51430
    listwise = cronbach_alpha(ecr_avoidance, items=ECR_AVOIDANCE, missing="listwise")
    assert listwise["n"].iloc[0] == 48757


# --------------------------------------------------------------------------------------------
# bootstrap interval
# --------------------------------------------------------------------------------------------


def test_bootstrap_interval(agree, psych_total):
    items = list(agree.columns)
    boot = cronbach_alpha(agree, items=items, ci_method="bootstrap", n_boot=400, seed=11)
    again = cronbach_alpha(agree, items=items, ci_method="bootstrap", n_boot=400, seed=11)
    other = cronbach_alpha(agree, items=items, ci_method="bootstrap", n_boot=400, seed=12)
    feldt = cronbach_alpha(agree, items=items)
    row = boot.iloc[0]
    assert row["ci_method"] == "bootstrap"
    assert boot.attrs == {"ci": 0.95, "missing": "pairwise", "n_boot": 400, "seed": 11}
    pd.testing.assert_frame_equal(boot, again)  # same seed, same interval
    assert (other["ci_low"].iloc[0], other["ci_high"].iloc[0]) != (row["ci_low"], row["ci_high"])
    assert row["ci_low"] < row["alpha"] < row["ci_high"]
    # the point estimate does not depend on the interval method
    assert_allclose(row["alpha"], feldt["alpha"].iloc[0], rtol=1e-14)
    # width close to Feldt's (0.0348 here) and bounds near psych's random bootstrap:
    # R: set.seed(20240611); alpha(x, n.iter = 1000)$boot.ci -> 0.6807, 0.7242 (reliability.Rout)
    width = row["ci_high"] - row["ci_low"]
    feldt_width = feldt["ci_high"].iloc[0] - feldt["ci_low"].iloc[0]
    assert 0.75 < width / feldt_width < 1.33
    assert abs(row["ci_low"] - psych_total.loc["bfi_agree", "boot_low"]) < 0.01
    assert abs(row["ci_high"] - psych_total.loc["bfi_agree", "boot_high"]) < 0.01


def test_bootstrap_accepts_a_generator_and_listwise(agree):
    items = list(agree.columns)
    options = {"ci_method": "bootstrap", "n_boot": 50, "missing": "listwise"}
    by_seed = cronbach_alpha(agree, items=items, seed=3, **options)
    by_rng = cronbach_alpha(agree, items=items, seed=np.random.default_rng(3), **options)
    bounds = ["ci_low", "ci_high"]
    assert_allclose(by_rng[bounds].to_numpy(), by_seed[bounds].to_numpy(), rtol=0)
    assert by_seed["n"].iloc[0] == 2709


# --------------------------------------------------------------------------------------------
# independent checks, edge cases
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_alpha_and_feldt_match_pingouin_on_random_data_with_gaps(missing):
    rng = np.random.default_rng(5)
    common = rng.normal(size=(300, 1))
    values = 3 + common + rng.normal(size=(300, 6))
    values[rng.random(values.shape) < 0.1] = np.nan
    data = pd.DataFrame(values, columns=[f"i{j}" for j in range(6)])
    ours = cronbach_alpha(data, items=list(data.columns), missing=missing).iloc[0]
    # pingouin: pandas DataFrame.cov (pairwise-complete, as R's cov(use = "pairwise"))
    alpha, _ = pg.cronbach_alpha(data, nan_policy=missing)
    assert_allclose(ours["alpha"], alpha, rtol=1e-12)
    # hand-computed Feldt bounds with the n we report
    n, k = ours["n"], 6
    expected_n = len(data) if missing == "pairwise" else int(data.notna().all(axis=1).sum())
    assert n == expected_n
    bounds = [1 - (1 - alpha) * stats.f.ppf(q, n - 1, (n - 1) * (k - 1)) for q in (0.975, 0.025)]
    assert_allclose([ours["ci_low"], ours["ci_high"]], bounds, rtol=1e-12)


def test_two_items_hand_computed():
    data = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [2.0, 1, 4, 3, 5]})
    # var(a) = var(b) = 2.5, cov(a, b) = 2, r = 0.8; alpha = 2 * (1 - 5 / 9)
    ours = cronbach_alpha(data, items=["a", "b"]).iloc[0]
    assert_allclose([ours["alpha"], ours["std_alpha"], ours["average_r"], ours["median_r"]],
                    [2 * (1 - 5 / 9), 2 * (1 - 2 / 3.6), 0.8, 0.8], rtol=1e-12)  # fmt: skip
    per_item = item_statistics(data, items=["a", "b"])
    assert per_item.columns.tolist() == ITEM_COLUMNS
    assert_allclose(per_item["r_drop"].to_numpy(), [0.8, 0.8], rtol=1e-12)
    # alpha of a single remaining item is undefined
    deleted = ["alpha_if_deleted", "std_alpha_if_deleted", "average_r_if_deleted"]
    assert per_item[deleted].isna().all().all()


def test_output_shape_columns_and_attrs(agree):
    out = cronbach_alpha(agree, items=list(agree.columns))
    assert out.columns.tolist() == ALPHA_COLUMNS
    assert len(out) == 1 and out["ci_method"].iloc[0] == "feldt"
    assert out.attrs == {"ci": 0.95, "missing": "pairwise"}
    items = item_statistics(agree, items=list(agree.columns), missing="listwise")
    assert items.columns.tolist() == ITEM_COLUMNS
    assert items.attrs == {"missing": "listwise"}
    assert items["n"].tolist() == [2709] * 5


def test_nullable_integers_and_empty_rows_and_extra_columns(agree):
    items = list(agree.columns)
    empty_rows = pd.DataFrame(np.nan, index=range(3), columns=items)
    padded = pd.concat([agree, empty_rows], ignore_index=True)
    padded = padded.astype("Int64")
    padded["label"] = "x"  # a non-item column is ignored
    for func in (cronbach_alpha, item_statistics):
        pd.testing.assert_frame_equal(func(padded, items=items), func(agree, items=items),
                                      check_dtype=False, rtol=1e-12)  # fmt: skip
    # the bootstrap resamples only respondents who answered: same draws with or without the
    # empty rows at the end
    boot = {"ci_method": "bootstrap", "n_boot": 20, "seed": 1}
    pd.testing.assert_frame_equal(cronbach_alpha(padded, items=items, **boot),
                                  cronbach_alpha(agree, items=items, **boot), rtol=1e-12)  # fmt: skip


@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_input_frame_not_modified(agree, missing):
    for data in (agree.copy(), agree.astype(float), agree.astype("Int64")):
        before = data.copy(deep=True)
        cronbach_alpha(data, items=list(data.columns), missing=missing)
        cronbach_alpha(data, items=list(data.columns), missing=missing, ci_method="bootstrap",
                       n_boot=5, seed=1)  # fmt: skip
        item_statistics(data, items=list(data.columns), missing=missing)
        pd.testing.assert_frame_equal(data, before)


def test_warns_when_items_are_not_keyed(bfi):
    raw = bfi[[f"A{i}" for i in range(1, 6)]]
    with pytest.warns(AnalysisWarning, match="'A1'.*reverse keying"):
        cronbach_alpha(raw, items=list(raw.columns))
    with pytest.warns(AnalysisWarning, match="'A1'"):
        item_statistics(raw, items=list(raw.columns))


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("func", [cronbach_alpha, item_statistics])
def test_validation_errors_common(func):
    data = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 4, 3], "c": [1, 3, 2, 4],
                         "word": list("wxyz"), "flag": [True, False, True, False],
                         "flat": [3, 3, 3, 3], "inf": [1, 2, np.inf, 4]})  # fmt: skip
    with pytest.raises(DataError, match="no column 'nope'"):
        func(data, items=["a", "nope"])
    with pytest.raises(ParameterError, match="at least two"):
        func(data, items=["a"])
    with pytest.raises(ParameterError, match="at least two"):
        func(data, items="a")
    with pytest.raises(ParameterError, match="'a' more than once"):
        func(data, items=["a", "b", "a"])
    with pytest.raises(DataError, match=r"numeric.*'word'"):
        func(data, items=["a", "word"])
    with pytest.raises(DataError, match=r"numeric.*'flag'"):
        func(data, items=["a", "flag"])
    with pytest.raises(DataError, match="'flat' have no variance"):
        func(data, items=["a", "flat"])
    with pytest.raises(DataError, match="'inf' hold infinite"):
        func(data, items=["a", "inf"])
    with pytest.raises(ParameterError, match="`missing` must be one of 'pairwise', 'listwise'"):
        func(data, items=["a", "b"], missing="complete")
    with pytest.raises(ParameterError, match="`data` must be a pandas DataFrame"):
        func(data.to_numpy(), items=["a", "b"])
    with pytest.raises(DataError, match="fewer than two respondents in common"):
        apart = pd.DataFrame({"a": [1, 2, np.nan, np.nan], "b": [np.nan, np.nan, 3, 4]})
        func(apart, items=["a", "b"])
    with pytest.raises(DataError, match="Fewer than two respondents"):
        one_row = pd.DataFrame({"a": [1, np.nan], "b": [2, np.nan]})
        func(one_row, items=["a", "b"], missing="listwise")


def test_validation_errors_cronbach_alpha_options():
    data = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 1, 4, 3]})
    with pytest.raises(ParameterError, match="`ci_method` must be one of 'feldt', 'bootstrap'"):
        cronbach_alpha(data, items=["a", "b"], ci_method="percentile")
    for ci in (0, 1, 1.5, -0.1, True, "95%"):
        with pytest.raises(ParameterError, match="`ci` must be a number between 0 and 1"):
            cronbach_alpha(data, items=["a", "b"], ci=ci)
    for n_boot in (0, -5, 2.5, True):
        with pytest.raises(ParameterError, match="`n_boot` must be a positive integer"):
            cronbach_alpha(data, items=["a", "b"], ci_method="bootstrap", n_boot=n_boot)


def test_scale_reliability_table_on_the_scoring_sample():
    from analysis.psychometrics.by_instrument import scale_reliability

    sample = pd.read_csv(Path(__file__).parent / "data" / "scoring_sample.csv")
    swls = {str(i): f"swls_{i}" for i in range(1, 6)}
    ecr_s = {str(i): f"ecr_s_{i}" for i in range(1, 13)}
    table = scale_reliability(sample, instruments={"swls": swls, "ecr_s": ecr_s, "undefined": {"1": "swls_1"}})
    assert table[["instrument", "score"]].values.tolist() == [["swls", "total"], ["ecr_s", "anxiety"],
                                                              ["ecr_s", "avoidance"]]  # fmt: skip
    row = table.iloc[0]
    # R: psych::alpha(d[, paste0("swls_", 1:5)])$total$raw_alpha
    assert row["alpha"] == pytest.approx(0.871674864025982, rel=1e-10)
    # R: psych::omega(x, nfactors = 1)$omega.tot (tests/reference/omega_one_factor.R); the congeneric omega
    # f <- fa(x, 1, fm = "minres", rotate = "none"); L <- sum(f$loadings); L^2 / (L^2 + sum(f$uniquenesses))
    assert row["omega_total"] == pytest.approx(_omega1_reference("swls")["omega_total"], rel=1e-8)
    assert row["omega_congeneric"] == pytest.approx(0.872082418820270, rel=1e-8)
    assert row["omega_method"] == "one factor"
    # 6-item ECR-S subscales: keyed items (1, 5, 8, 9 reversed) and Schmid-Leiman omega
    keyed = sample[list(ecr_s.values())].copy()
    for i in (1, 5, 8, 9):
        keyed[f"ecr_s_{i}"] = 8 - keyed[f"ecr_s_{i}"]
    anx = [f"ecr_s_{i}" for i in (2, 4, 6, 8, 10, 12)]
    expected = cronbach_alpha(keyed, items=anx).iloc[0]["alpha"]
    assert table.iloc[1]["alpha"] == pytest.approx(expected, rel=1e-12)
    assert table.iloc[1]["omega_method"] == "Schmid-Leiman, 3 group factors"


def test_scale_item_statistics_is_item_statistics_of_the_keyed_subscales():
    from analysis.psychometrics.by_instrument import scale_item_statistics

    sample = pd.read_csv(Path(__file__).parent / "data" / "scoring_sample.csv")
    ecr_s = {str(i): f"ecr_s_{i}" for i in range(1, 13)}
    table = scale_item_statistics(sample, instruments={"ecr_s": ecr_s})
    assert table.groupby("score").size().to_dict() == {"anxiety": 6, "avoidance": 6}
    keyed = sample[list(ecr_s.values())].copy()
    for i in (1, 5, 8, 9):  # ECR-S reverse keys, 8 - x
        keyed[f"ecr_s_{i}"] = 8 - keyed[f"ecr_s_{i}"]
    avo = [f"ecr_s_{i}" for i in (1, 3, 5, 7, 9, 11)]
    expected = item_statistics(keyed, items=avo)
    got = table[table["score"] == "avoidance"].drop(columns=["instrument", "score"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected.reset_index(drop=True))


# --------------------------------------------------------------------------------------------
# PRQC couples (dySEM, shared data): both partners' six components vs psych::alpha
# (tests/reference/reliability_prqc.R)
# --------------------------------------------------------------------------------------------
def test_prqc_component_reliabilities_match_psych(shared_data):
    ref = pd.read_csv(REFERENCE / "reliability_prqc.csv")
    couples = pd.read_csv(shared_data / "dysem_prqcQ" / "data.csv")
    for row in ref.itertuples():
        items = row.items.split()
        ours = cronbach_alpha(couples, items=items).iloc[0]
        stats_ = item_statistics(couples, items=items).iloc[0]
        assert ours["n"] == couples[items].notna().any(axis=1).sum() >= row.n  # row.n: complete cases
        for got, want in ((ours["alpha"], row.raw_alpha), (ours["std_alpha"], row.std_alpha),
                          (ours["average_r"], row.average_r), (ours["ci_low"], row.feldt_low),
                          (ours["ci_high"], row.feldt_high), (stats_["r_drop"], row.r_drop_1),
                          (stats_["alpha_if_deleted"], row.alpha_drop_1)):  # fmt: skip
            assert_allclose(got, want, rtol=1e-9, err_msg=f"partner {row.partner} {row.component}")
    # SOURCE.md: partner 1 satisfaction .937, partner 2 love .895
    assert round(ref.loc[0, "raw_alpha"], 3) == 0.937


def test_feldt_interval_alone_matches_psych(psych_total):
    # the interval cronbach_alpha reports, from alpha, n and k only (used for published alphas)
    from analysis.psychometrics.reliability import feldt_interval

    row = psych_total.loc["bfi_agree"]
    lo, hi = feldt_interval(row["raw_alpha"], n=row["n"], k=row["n_items"])
    assert_allclose([lo, hi], [row["feldt_low"], row["feldt_high"]], rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# one-factor omega  <->  psych::omega(x, nfactors = 1, fm = "minres")   (tests/reference/omega_one_factor.R)
# ---------------------------------------------------------------------------------------------
OMEGA1 = Path(__file__).parent / "reference" / "omega_one_factor.csv"


def _omega1_reference(case):
    table = pd.read_csv(OMEGA1)
    table = table[table["case"] == case]
    return dict(zip(table["quantity"], table["value"], strict=True))


def _omega1_cases():
    bfi = pd.read_csv(Path(__file__).parent / "data" / "bfi.csv")
    swls = pd.read_csv(Path(__file__).parent / "data" / "scoring_sample.csv")
    return {"bfi_A": bfi[[f"A{i}" for i in range(1, 6)]], "bfi_C_3": bfi[["C1", "C2", "C3"]],
            "bfi_N_4": bfi[[f"N{i}" for i in range(1, 5)]],
            "swls": swls[[f"swls_{i}" for i in range(1, 6)]]}  # fmt: skip


def _commitment(shared_data):
    com = pd.read_csv(shared_data / "dysem_commitmentQ" / "data.csv")
    keyed = com[[f"com.1_{i}" for i in range(1, 6)]].copy()
    keyed[["com.1_3", "com.1_4"]] = 10 - keyed[["com.1_3", "com.1_4"]]  # SOURCE.md: items 3, 4 reversed, 10 - x
    return {"commitment_1": com[[f"com.1_{i}" for i in range(1, 6)]], "commitment_1_keyed": keyed,
            "commitment_2": com[[f"com.2_{i}" for i in range(1, 6)]]}  # fmt: skip


def _check_omega1(x, case):
    from analysis.psychometrics.by_instrument import _omegas
    from analysis.psychometrics.omega import ONE_FACTOR_WARNING

    expected = _omega1_reference(case)
    items = list(x.columns)
    with pytest.warns(AnalysisWarning, match="not meaningful with one factor"):
        res = omega(x, items=items, n_factors=1)
    c = res.coefficients.iloc[0]
    for ours, theirs in [("omega_total", "omega_total"), ("omega_hierarchical", "omega_hierarchical"),
                         ("alpha", "alpha"), ("g6", "g6")]:  # fmt: skip
        assert c[ours] == pytest.approx(expected[theirs], rel=1e-8), (case, ours)
    g = res.loadings[res.loadings["factor"] == "g"]["loading"].to_numpy()
    np.testing.assert_allclose(g, [expected[f"loading:{i}"] for i in items], atol=1e-8)
    np.testing.assert_allclose(res.communalities["u2"], [expected[f"u2:{i}"] for i in items], atol=1e-8)
    assert list(res.communalities["reversed"]) == [bool(expected[f"reversed:{i}"]) for i in items]
    assert c["ecv"] == pytest.approx(1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = _omegas(x, items, "pairwise")
    assert {str(w.message) for w in caught} <= {ONE_FACTOR_WARNING}
    assert out["omega_total"] == pytest.approx(expected["omega_total"], rel=1e-8)
    assert out["omega_congeneric"] == pytest.approx(expected["omega_congeneric"], rel=1e-8)
    assert np.isnan(out["omega_hierarchical"]) and out["omega_method"] == "one factor"
    return res, out


@pytest.mark.parametrize("case", ["bfi_A", "bfi_C_3", "bfi_N_4", "swls"])
def test_one_factor_omega_matches_psych(case):
    res, _ = _check_omega1(_omega1_cases()[case], case)
    assert "one-factor solution" in res.sentence() and "not meaningful" in res.sentence()


@pytest.mark.parametrize("case", ["commitment_1", "commitment_1_keyed", "commitment_2"])
def test_one_factor_omega_matches_psych_where_one_factor_fits_badly(shared_data, case):
    # the IMS commitment items 3 and 4 are reverse keyed; omega flips them (or they are keyed first).
    # There omega total (observed variance) and the congeneric omega (model variance) differ:
    # psych .758 vs .740 (partner 1), .766 vs .785 (partner 2).
    res, out = _check_omega1(_commitment(shared_data)[case], case)
    assert abs(out["omega_total"] - out["omega_congeneric"]) > 0.015
    if case == "commitment_1":
        assert list(res.communalities["reversed"]) == [False, False, True, True, False]


def test_scale_reliability_omega_total_is_psych_omega_tot():
    from analysis.psychometrics.by_instrument import scale_reliability

    sample = pd.read_csv(Path(__file__).parent / "data" / "scoring_sample.csv")
    table = scale_reliability(sample, instruments={"swls": {str(i): f"swls_{i}" for i in range(1, 6)}})
    row, expected = table.iloc[0], _omega1_reference("swls")
    assert row["omega_total"] == pytest.approx(expected["omega_total"], rel=1e-8)  # 0.872092, not 0.872082
    assert row["omega_congeneric"] == pytest.approx(expected["omega_congeneric"], rel=1e-8)
    assert np.isnan(row["omega_hierarchical"]) and pd.isna(row["note"])
