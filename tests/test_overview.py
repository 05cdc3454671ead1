"""The overview of a data set's variables: which are described and how (`overview_variables`),
frequency tables, missing values per variable, correlation pairs, and `Dataset.display_labels`.

Each function is checked against an independent computation (pandas `value_counts`/`isna`, scipy
`pearsonr`, the existing `correlations`) on small frames and, when ../shared/data is present, on
the real data sets with their codebooks in studies/codebooks/."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from numpy.testing import assert_allclose
from scipy import stats

from analysis import load_dataset
from analysis.data.describe import correlations
from analysis.data.overview import (
    MAX_LEVELS,
    correlation_pairs,
    frequency_table,
    missing_by_variable,
    overview_variables,
)
from analysis.exceptions import DataError, ParameterError

CODEBOOKS = Path(__file__).resolve().parents[1] / "studies" / "codebooks"

TINY = """
dataset: tiny
tables:
  survey:
    file: survey.csv
    variables:
      person_id: {type: integer, role: id}
      couple_id: {type: integer, role: dyad_id}
      partner: {type: integer, role: partner_role, values: [1, 2]}
      age: {type: integer, role: demographic, label: Age in years}
      years: {type: number}
      quality: {type: categorical, values: [poor, fair, good], ordered: true}
      gender: {type: categorical, values: [woman, man]}
      code: {type: integer, values: [1, 2, 3]}
      labelled: {type: integer, value_labels: {1: no, 2: yes}}
      anchored: {type: integer, range: [1, 7], value_labels: {1: none, 7: many}}
      smoker: {type: boolean}
      country: {type: string}
      same: {type: integer}
      empty: {type: number}
      ecr_s_1: {type: integer, role: item, instrument: ecr_s, item: "1", range: [1, 7]}
      own_1: {type: integer, role: item, instrument: not_in_library, item: "1"}
      attn: {type: integer, role: attention_check, correct: 6}
      secs: {type: number, role: duration}
      wave_code: {type: integer, role: metadata}
      email: {type: string, role: pii}
    exclusions: {attention_check: false, duplicate_id: none}
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    rng = np.random.default_rng(4)
    n = 40
    frame = pd.DataFrame({
        "person_id": np.arange(1, n + 1), "couple_id": np.repeat(np.arange(1, n // 2 + 1), 2),
        "partner": np.tile([1, 2], n // 2), "age": rng.integers(20, 70, n), "years": rng.normal(8, 3, n).round(2),
        "quality": rng.choice(["poor", "fair", "good", ""], n), "gender": rng.choice(["woman", "man"], n),
        "code": rng.choice([1, 2, 3], n), "labelled": rng.choice([1, 2], n), "anchored": rng.integers(1, 8, n),
        "smoker": rng.choice(["yes", "no"], n), "country": [f"C{i}" for i in range(n)], "same": 3, "empty": "",
        "ecr_s_1": rng.integers(1, 8, n), "own_1": rng.integers(1, 6, n), "attn": 6, "secs": 300.0,
        "wave_code": rng.integers(1, 4, n), "email": "x@y.org", "extra": rng.choice(["a", "b"], n),
    })  # fmt: skip
    (folder / "codebook.yaml").write_text(TINY)
    frame.to_csv(folder / "survey.csv", index=False)
    return load_dataset(folder)


def test_overview_variables_decides_by_codebook(tiny):
    ov = overview_variables(tiny).set_index("variable")
    assert list(ov.columns) == ["label", "type", "role", "kind", "reason"]
    # codebook order, then the column the codebook does not list
    assert list(ov.index) == list(yaml.safe_load(TINY)["tables"]["survey"]["variables"]) + ["extra"]
    kinds = ov["kind"].to_dict()
    assert {c for c, k in kinds.items() if k == "numeric"} == {"age", "years", "anchored", "own_1"}
    assert {c for c, k in kinds.items() if k == "ordinal"} == {"quality"}
    assert {c for c, k in kinds.items() if k == "categorical"} == {"gender", "code", "labelled", "smoker", "extra"}
    reasons = ov["reason"].dropna().to_dict()
    assert reasons == {
        "person_id": "id", "couple_id": "dyad id", "partner": "partner number", "country": "too many levels (40)",
        "same": "constant", "empty": "no values (every value missing)",
        "ecr_s_1": "item (described through its instrument score)",
        "attn": "attention check (see the data-quality report)", "secs": "duration (see the data-quality report)",
        "wave_code": "metadata", "email": "dropped at load (codebook role pii)",
    }  # fmt: skip
    assert ov["kind"].isin(["numeric", "categorical", "ordinal", "skipped"]).all()
    assert (ov["reason"].notna() == (ov["kind"] == "skipped")).all()
    assert ov.loc["age", "label"] == "Age in years" and ov.loc["years", "label"] == "years"
    assert ov.loc["extra", "type"] is None or pd.isna(ov.loc["extra", "type"])
    assert MAX_LEVELS == 30


def test_overview_variables_ordered_pandas_categorical_is_ordinal(tiny):
    import dataclasses

    table = tiny.table().copy()
    table["gender"] = table["gender"].cat.as_ordered()
    ds = dataclasses.replace(tiny, tables={"survey": table})
    assert overview_variables(ds).set_index("variable").loc["gender", "kind"] == "ordinal"


def test_overview_variables_unknown_table(tiny):
    with pytest.raises(DataError, match="no table 'diary'"):
        overview_variables(tiny, table="diary")


# ------------------------------------------------------------------------------------------------
# frequency_table
# ------------------------------------------------------------------------------------------------
def test_frequency_table_against_value_counts():
    rng = np.random.default_rng(11)
    data = pd.DataFrame({
        "style": pd.Categorical(rng.choice(["secure", "fearful", None], 60),
                                categories=["secure", "anxious", "fearful"]),
        "level": pd.Categorical(rng.choice(["low", "mid", "high"], 60), categories=["low", "mid", "high"],
                                ordered=True),
        "code": pd.array(rng.choice([3, 1, 2], 60), dtype="Int64"),
        "text": rng.choice(["b", "a", "c"], 60),
    })  # fmt: skip
    data.loc[[0, 5], "code"] = pd.NA
    out = frequency_table(data, columns=["style", "level", "code", "text"])
    assert list(out.columns) == ["variable", "value", "label", "n", "pct"]
    for col in data.columns:
        part = out[(out["variable"] == col) & (out["value"] != "missing")]
        expected = data[col].value_counts(dropna=True)
        assert dict(zip(part["value"], part["n"], strict=True)) == {
            **{k: 0 for k in part["value"]}, **expected.to_dict()}
        assert_allclose(part["pct"].sum(), 100.0)
        assert_allclose(part["pct"].to_numpy(), 100 * part["n"].to_numpy() / data[col].notna().sum())
        miss = out[(out["variable"] == col) & (out["value"] == "missing")]
        assert len(miss) == int(data[col].isna().any())
        if len(miss):
            assert miss["n"].item() == data[col].isna().sum() and np.isnan(miss["pct"].item())
    # order: categories (ordered or not, unused ones with 0), else sorted values
    assert out.loc[out["variable"] == "style", "value"].tolist() == ["secure", "anxious", "fearful", "missing"]
    assert out.loc[out["variable"] == "level", "value"].tolist() == ["low", "mid", "high"]
    assert out.loc[out["variable"] == "code", "value"].tolist() == [1, 2, 3, "missing"]
    assert out.loc[out["variable"] == "text", "value"].tolist() == ["a", "b", "c"]
    assert out["label"].tolist()[:3] == ["secure", "anxious", "fearful"]


def test_frequency_table_value_labels_match_by_value_or_text():
    data = pd.DataFrame({"g": [1.0, 2.0, 2.0, np.nan], "h": ["1", "2", "2", "3"], "k": [17.5, 22.0, 22.0, 17.5]})
    labels = {"g": {1: "man", 2: "woman"}, "h": {1: "one", "2": "two"}, "k": {17.5: "under 20", 22: "20-24"}}
    out = frequency_table(data, columns=["g", "h", "k"], value_labels=labels)
    assert out["label"].tolist() == ["man", "woman", "missing", "one", "two", "3", "under 20", "20-24"]
    assert out["value"].tolist() == [1.0, 2.0, "missing", "1", "2", "3", 17.5, 22.0]
    assert out["n"].tolist() == [1, 2, 1, 1, 2, 1, 2, 2]


def test_frequency_table_edge_cases():
    data = pd.DataFrame({"a": [np.nan, np.nan], "mixed": [1, "x"]})
    out = frequency_table(data, columns=["a", "mixed"])
    assert out.loc[0, "value"] == "missing" and out.loc[0, "n"] == 2
    assert out.loc[out["variable"] == "mixed", "value"].tolist() == [1, "x"]  # sorted as text
    assert frequency_table(data, columns=[]).empty
    with pytest.raises(DataError, match="'nope'"):
        frequency_table(data, columns=["nope"])


# ------------------------------------------------------------------------------------------------
# missing_by_variable
# ------------------------------------------------------------------------------------------------
def test_missing_by_variable_against_isna():
    rng = np.random.default_rng(2)
    data = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    data = data.mask(rng.random((50, 3)) < [0.0, 0.1, 0.5])
    out = missing_by_variable(data, columns=["c", "a", "b"])
    assert out["variable"].tolist() == ["c", "a", "b"] and (out["n"] == 50).all()
    assert out["n_missing"].tolist() == data[["c", "a", "b"]].isna().sum().tolist()
    assert_allclose(out["pct_missing"], 100 * data[["c", "a", "b"]].isna().mean().to_numpy())
    assert missing_by_variable(data.iloc[:0], columns=["a"])["pct_missing"].isna().all()
    with pytest.raises(DataError):
        missing_by_variable(data, columns=["z"])


# ------------------------------------------------------------------------------------------------
# correlation_pairs
# ------------------------------------------------------------------------------------------------
def test_correlation_pairs_every_pair_once_against_scipy_and_correlations():
    rng = np.random.default_rng(8)
    data = pd.DataFrame(rng.normal(size=(60, 4)), columns=["a", "b", "c", "d"])
    data["b"] += 0.6 * data["a"]
    data = data.mask(rng.random((60, 4)) < 0.1)
    cols = ["d", "a", "b", "c"]
    out = correlation_pairs(data, columns=cols, ci=0.9)
    assert list(out.columns) == ["x", "y", "r", "ci_low", "ci_high", "n", "p_value"]
    assert list(zip(out["x"], out["y"], strict=True)) == [(a, b) for i, a in enumerate(cols) for b in cols[i + 1:]]
    assert out.attrs["ci"] == 0.9
    for row in out.itertuples():
        pair = data[[row.x, row.y]].dropna()
        test = stats.pearsonr(pair[row.x], pair[row.y])
        assert row.n == len(pair)
        assert_allclose([row.r, row.p_value], [test.statistic, test.pvalue], rtol=1e-10)
        ci = test.confidence_interval(confidence_level=0.9)
        assert_allclose([row.ci_low, row.ci_high], [ci.low, ci.high], rtol=1e-10)
        same = correlations(data, x=row.x, y=row.y, ci=0.9).iloc[0]
        assert_allclose([row.r, row.ci_low, row.ci_high], same[["r", "ci_low", "ci_high"]].to_numpy(float))


def test_correlation_pairs_checks():
    data = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 1, 4, 3], "g": ["x", "y", "x", "y"]})
    assert correlation_pairs(data, columns=["a"]).empty
    assert correlation_pairs(data, columns=[]).empty
    with pytest.raises(DataError, match="must be numeric"):
        correlation_pairs(data, columns=["a", "g"])
    with pytest.raises(ParameterError, match="more than once"):
        correlation_pairs(data, columns=["a", "b", "a"])
    with pytest.raises(ParameterError, match="`ci`"):
        correlation_pairs(data, columns=["a", "b"], ci=95)


# ------------------------------------------------------------------------------------------------
# Dataset.display_labels
# ------------------------------------------------------------------------------------------------
def test_display_labels(tiny):
    labels = tiny.display_labels()
    assert labels["age"] == "Age in years"
    assert labels["ecr_s_anxiety"] == "ECR-S anxiety" and labels["ecr_s"] == "ECR-S"
    assert "years" not in labels  # no label: callers use labels.get(name, name)
    assert "email" not in labels  # dropped at load


# ------------------------------------------------------------------------------------------------
# The real data sets (../shared/data)
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hcmst(shared_data):
    return load_dataset(CODEBOOKS / "hcmst_2022.yaml")


def test_hcmst_overview(hcmst):
    spec = yaml.safe_load((CODEBOOKS / "hcmst_2022.yaml").read_text())["tables"]["respondents"]["variables"]
    ov = overview_variables(hcmst).set_index("variable")
    assert list(ov.index) == list(spec)  # all 21 variables, none skipped (the file has no id)
    assert set(ov.index[ov["kind"] == "numeric"]) == {"subject_age", "relationship_duration", "children"}
    assert set(ov.index[ov["kind"] == "ordinal"]) == {c for c, v in spec.items() if v.get("ordered")}
    assert set(ov.index[ov["kind"] == "categorical"]) == {
        c for c, v in spec.items() if v["type"] == "categorical" and not v.get("ordered")}
    assert ov["label"].to_dict() == {c: v["label"] for c, v in spec.items()}
    assert hcmst.display_labels() == {c: v["label"] for c, v in spec.items()}


def test_hcmst_frequencies_match_value_counts(hcmst):
    data = hcmst.table()
    spec = hcmst.variables()
    ov = overview_variables(hcmst)
    cats = ov.loc[ov["kind"].isin(["categorical", "ordinal"]), "variable"].tolist()
    out = frequency_table(data, columns=cats, value_labels=hcmst.value_labels.get("respondents"))
    for col in cats:
        part = out[(out["variable"] == col) & (out["value"] != "missing")]
        assert part["value"].tolist() == [str(v) for v in spec[col]["values"]]  # the codebook's order
        counts = data[col].value_counts()
        assert part.set_index("value")["n"].to_dict() == counts.reindex(part["value"], fill_value=0).to_dict()
        assert part["n"].sum() + out.loc[(out["variable"] == col) & (out["value"] == "missing"), "n"].sum() == len(data)
    quality = out[out["variable"] == "relationship_quality"].set_index("value")["n"]
    assert quality.to_dict() == {"very_poor": 5, "poor": 28, "fair": 105, "good": 504, "excellent": 686}  # SOURCE.md
    assert out.loc[(out["variable"] == "sex_frequency") & (out["value"] == "missing"), "n"].item() == 76


def test_hcmst_missing_and_correlations(hcmst):
    data = hcmst.table()
    ov = overview_variables(hcmst)
    numeric = ov.loc[ov["kind"] == "numeric", "variable"].tolist()
    missing = missing_by_variable(data, columns=ov["variable"].tolist()).set_index("variable")
    assert missing["n_missing"].to_dict() == data.isna().sum().to_dict()
    assert missing.loc["relationship_duration", "n_missing"] == 36  # 35 empty + 1 outside the range
    pairs = correlation_pairs(data, columns=numeric)
    assert len(pairs) == 3
    for row in pairs.itertuples():
        pair = data[[row.x, row.y]].astype(float).dropna()
        assert row.n == len(pair)
        assert_allclose(row.r, stats.pearsonr(pair[row.x], pair[row.y]).statistic, rtol=1e-10)


@pytest.mark.parametrize("name, table, skipped", [
    ("gss_happy_1972_2006", "respondents", {"id": "metadata", "year": "metadata",
                                             "wtssall": "sample design (see the data-quality report)"}),
    ("kashy_diary", "diary", {"dyadid": "dyad id", "person": "partner number", "Day": "day (measurement occasion)",
                              "dayOfWeek": "metadata"}),
    ("acitelli_couples", "individual", {"cuplid": "dyad id", "gender": "partner number"}),
])  # fmt: skip
def test_real_sets_skip_ids_and_design_columns(shared_data, name, table, skipped):
    ov = overview_variables(load_dataset(CODEBOOKS / f"{name}.yaml"), table=table).set_index("variable")
    assert ov.loc[ov["kind"] == "skipped", "reason"].to_dict() == skipped
    assert (ov["kind"] != "skipped").sum() == len(ov) - len(skipped)


def test_openpsychometrics_items_are_scored_not_tabulated(shared_data):
    ds = load_dataset(CODEBOOKS / "openpsychometrics_ecr.yaml")
    ov = overview_variables(ds).set_index("variable")
    assert (ov.loc[[f"Q{i}" for i in range(1, 37)], "reason"] == "item (described through its instrument score)").all()
    assert ov.loc["country", "kind"] == "skipped" and ov.loc["country", "reason"].startswith("too many levels")
    assert ov.loc["gender", "kind"] == "categorical" and ov.loc["age", "kind"] == "numeric"
    labels = ds.display_labels()
    assert labels["ecr_anxiety"] == "ECR anxiety" and labels["gender"] == "Gender"
    freq = frequency_table(ds.table(), columns=["gender"], value_labels=ds.value_labels["responses"])
    assert freq["label"].tolist() == ["male", "female", "other", "missing"]
    assert freq["n"].tolist()[:3] == ds.table()["gender"].value_counts().sort_index().tolist()
