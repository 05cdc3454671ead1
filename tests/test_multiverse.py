"""Multiverse specifications (issue 18): reading and checking the file, the grid, the prepared data,
and every model family fitted as its model function fits it."""

import json
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from conftest import PROJECT_ROOT
from numpy.testing import assert_allclose

from analysis import (
    apa_table,
    apim,
    load_dataset,
    logistic_regression,
    mediation,
    mixed_model,
    ols,
    ordinal_regression,
    score_instruments,
    survey_design,
    survey_glm,
    survey_olr,
    tobit,
)
from analysis.claims import multiverse_fit as mf
from analysis.claims.multiverse import MultiverseResult, multiverse_result, run_multiverse
from analysis.claims.multiverse_fit import fit_specifications
from analysis.claims.multiverse_spec import draft_multiverse, prepare_multiverse_data, read_multiverse
from analysis.exceptions import ParameterError

STUDIES = PROJECT_ROOT / "studies" / "multiverse"

# ---------------------------------------------------------------------------------------------
# A small synthetic data set with a codebook: couples (two rows each), every kind of outcome
# ---------------------------------------------------------------------------------------------

CODEBOOK = """
dataset: synth
tables:
  people:
    file: people.csv
    variables:
      pid: {type: integer, role: id}
      couple: {type: integer, role: dyad_id}
      member: {type: integer, role: partner_role, values: [1, 2]}
      att: {type: integer, role: attention_check, correct: 5}
      dur: {type: integer, role: duration}
      x: {type: number, role: predictor}
      c1: {type: number, role: demographic}
      grp: {type: categorical, values: [a, b, c]}
      m: {type: number}
      y: {type: number, role: outcome}
      ybin: {type: integer, values: [0, 1]}
      yord: {type: integer, values: [1, 2, 3, 4]}
      ylev: {type: categorical, values: [low, mid, high], ordered: true}
      ycens: {type: number}
      w: {type: number, role: weight}
    exclusions: {attention_check: true, min_duration: 100, duplicate_id: keep_first}
  diary:
    file: diary.csv
    unit: person-day
    variables:
      pid: {type: integer, role: id}
      couple: {type: integer, role: dyad_id}
      day: {type: integer, role: day}
      x: {type: number}
      y: {type: number}
    exclusions: {attention_check: false, duplicate_id: none}
"""


def _write_synth(folder, n_couples=70, seed=3):
    rng = np.random.default_rng(seed)
    n = 2 * n_couples
    couple = np.repeat(np.arange(1, n_couples + 1), 2)
    member = np.tile([1, 2], n_couples)
    shared = rng.normal(size=n_couples)[couple - 1]
    x = rng.normal(size=n) + 0.5 * shared
    c1 = rng.normal(size=n)
    grp = rng.choice(["a", "b", "c"], size=n)
    m = 0.5 * x + rng.normal(size=n)
    y = 0.4 * x + 0.3 * m + 0.2 * c1 + shared + rng.normal(size=n)
    frame = pd.DataFrame({
        "pid": couple * 10 + member, "couple": couple, "member": member,
        "att": np.where(rng.random(n) < 0.08, 3, 5), "dur": rng.integers(60, 900, n),
        "x": x.round(4), "c1": c1.round(4), "grp": grp, "m": m.round(4), "y": y.round(4),
        "ybin": (y + rng.logistic(size=n) > 0.3).astype(int),
        "yord": np.digitize(y + rng.logistic(size=n), [-1, 0.5, 2]) + 1,
        "ylev": np.array(["low", "mid", "high"])[np.digitize(y, [-0.5, 0.8])],
        "ycens": np.maximum(y - 0.2, 0).round(4), "w": rng.uniform(0.5, 3, n).round(3),
    })  # fmt: skip
    frame.loc[rng.choice(n, 6, replace=False), "c1"] = np.nan
    frame.to_csv(folder / "people.csv", index=False)
    days = 6
    pid = np.repeat(frame["pid"].to_numpy(), days)
    dx = rng.normal(size=n * days)
    person_effect = np.repeat(rng.normal(size=n), days)
    diary = pd.DataFrame({"pid": pid, "couple": pid // 10, "day": np.tile(np.arange(1, days + 1), n),
                          "x": dx.round(4), "y": (0.3 * dx + person_effect + rng.normal(size=n * days)).round(4)})
    diary.to_csv(folder / "diary.csv", index=False)
    (folder / "codebook.yaml").write_text(CODEBOOK)
    return folder


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    return _write_synth(tmp_path_factory.mktemp("synth"))


def _spec(folder, decisions, *, effect=None, table="people", **extra):
    mapping = {"data": str(folder), "table": table, "effect": effect or {"outcome": "y", "predictor": "x"},
               "decisions": decisions, **extra}  # fmt: skip
    return read_multiverse(mapping)


def _fit_all(spec):
    frame, _ = prepare_multiverse_data(spec)
    grid = spec.specifications()
    rows = grid.to_dict("records")
    return frame, grid, {r["spec_id"]: r for r in fit_specifications(frame, rows)}


def _rows_of(frame, row):
    d = json.loads(row["definition"])
    mask = np.ones(len(frame), dtype=bool)
    for col in d["keep"]:
        mask &= frame[col].to_numpy(bool)
    return d, frame[mask]


def _same(result, coefs, *, tol=1e-10, n=None):
    """The effect row of a model function's coefficients equals a fit_specifications result."""
    for key in ("estimate", "se", "p_value", "ci_low", "ci_high", "statistic"):
        assert_allclose(result[key], float(coefs[key]), rtol=tol, atol=1e-300, err_msg=key)
    if n is not None:
        assert result["n"] == n


# ---------------------------------------------------------------------------------------------
# Reading and checking
# ---------------------------------------------------------------------------------------------


HEAD = "data: {folder}\neffect: {{outcome: y, predictor: x}}\ndecisions:\n"


@pytest.mark.parametrize(
    "text, where, message",
    [
        ("dat: x\n", "dat", "Did you mean `data`"),
        (HEAD + "  model: {{kind: model, options: [olss]}}\n",
         "decisions.model.options.olss.family", "unknown model family 'olss' (did you mean 'ols'?)"),
        (HEAD + "  out: {{kind: outcome, options: [yy, y]}}\n",
         "decisions.out.options.yy", "'yy' is not a column of table 'people'"),
        ("data: {folder}\neffect: {{outcome: y, predictor: x}}\ndecisions:\n  c: {{kind: covariates, options: "
         "{{none: [], some: [c1, agee]}}}}\n", "decisions.c.options.some", "'agee' is not a column"),
        ("data: {folder}\neffect: {{outcome: y, predictor: x}}\ndecisions:\n  e: {{kind: exclusions, options: "
         "{{strict: {{min_durration: 200}}}}}}\n", "decisions.e.options.strict",
         "unknown exclusion rule 'min_durration'"),
        ("data: {folder}\neffect: {{outcome: y, predictor: x}}\ndecisions:\n  m: {{kind: modle, options: [ols]}}\n",
         "decisions.m.kind", "unknown kind 'modle'; did you mean 'model'?"),
        ("data: {folder}\neffect: {{outcome: y, predictor: x}}\ndecisions:\n  m: {{kind: model, options: "
         "{{o: {{family: ols, robustt: HC3}}}}}}\n", "decisions.m.options.o", "unknown ols model key 'robustt'"),
        ("data: {folder}\neffect: {{outcome: y, predictor: x}}\ndecisions:\n  model: {{kind: model, options: [ols]}}\n"
         "incompatible:\n  - {{rule: r, when: {{model: logit}}}}\n", "incompatible[1].when.model",
         "'logit' is not an option of 'model'"),
        ("data: {folder}\neffect: {{predictor: x}}\ndecisions:\n  o: {{kind: outcome, options: [y, x]}}\n",
         "o: x", "the outcome is the predictor"),
        (HEAD + "  m: {{kind: model, options: [ols, apim]}}\n"
         "  w: {{kind: weights, options: [false, true]}}\n", "when: {m: apim, w: weighted}",
         "apim has no design-based (weighted) fit"),
        ("data: {folder}\nresamples: many\neffect: {{outcome: y, predictor: x}}\n", "resamples", "whole number"),
        ("data: {folder}\nderived: {{x: {{from: grp, recode: {{a: 1}}}}}}\neffect: {{outcome: y, predictor: x}}\n",
         "derived.x", "a derived column needs a new plain name (letters, digits, '_'; not a column of the table); "
         "not 'x'."),
    ],
)
def test_bad_files_name_the_file_the_key_and_the_value(synth, tmp_path, text, where, message):
    path = tmp_path / "bad_multiverse.yaml"
    path.write_text(text.format(folder=synth))
    with pytest.raises(ParameterError) as err:
        read_multiverse(path)
    text = str(err.value)
    assert str(path) in text and where in text and message in text, text


def test_an_undeclared_combination_says_how_to_declare_it(synth):
    with pytest.raises(ParameterError) as err:
        _spec(synth, {"o": {"kind": "outcome", "options": ["y", "x"]}}, effect={"predictor": "x"})
    assert "incompatible:\n  - rule: the outcome is the predictor\n    when: {o: x}" in str(err.value)
    spec = _spec(synth, {"o": {"kind": "outcome", "options": ["y", "x"]}}, effect={"predictor": "x"},
                 incompatible=[{"rule": "x on x", "when": {"o": "x"}}])  # fmt: skip
    assert spec.specifications()["status"].tolist() == ["pending", "incompatible"]


def test_grid_has_every_combination_and_keeps_declared_incompatible_rows(synth):
    spec = _spec(synth, {
        "excl": {"kind": "exclusions", "options": {"codebook": "codebook", "none": "none"}},
        "cov": {"kind": "covariates", "options": {"none": [], "c1": ["c1"], "both": ["c1", "grp"]}},
        "model": {"kind": "model", "options": {"ols": "ols", "hc3": {"family": "ols", "robust": "HC3"},
                                               "apim": {"family": "apim"}}},
    }, incompatible=[{"rule": "no APIM without exclusions", "when": {"excl": "none", "model": "apim"}}])  # fmt: skip
    grid = spec.specifications()
    assert len(grid) == 2 * 3 * 3 and grid["spec_id"].is_unique
    assert list(grid.columns) == ["spec_id", "excl", "cov", "model", "status", "reason", "definition"]
    bad = grid[grid["status"] == "incompatible"]
    assert len(bad) == 3 and set(bad["excl"]) == {"none"} and set(bad["model"]) == {"apim"}
    assert set(bad["reason"]) == {"incompatible: no APIM without exclusions"}
    assert (grid.loc[grid["status"] == "pending", "reason"] == "").all()
    assert grid["spec_id"].str.fullmatch("[0-9a-f]{12}").all()
    results = fit_specifications(prepare_multiverse_data(spec)[0], grid.to_dict("records"))
    assert len(results) == 15 and {r["status"] for r in results} == {"ok"}


def test_spec_ids_are_stable_and_change_with_an_option_or_the_data(synth, tmp_path):
    decisions = {"cov": {"kind": "covariates", "options": {"none": [], "c": ["c1"]}}}
    first = _spec(synth, decisions).specifications()["spec_id"].tolist()
    assert _spec(synth, decisions).specifications()["spec_id"].tolist() == first
    changed = {"cov": {"kind": "covariates", "options": {"none": [], "c": ["grp"]}}}
    ids = _spec(synth, changed).specifications()["spec_id"].tolist()
    assert ids[0] == first[0] and ids[1] != first[1]
    other = _write_synth(tmp_path, seed=4)
    assert set(_spec(other, decisions).specifications()["spec_id"]).isdisjoint(first)


# ---------------------------------------------------------------------------------------------
# The prepared data
# ---------------------------------------------------------------------------------------------


def test_exclusion_options_are_the_rows_load_dataset_keeps(synth, tmp_path):
    spec = _spec(synth, {"excl": {"kind": "exclusions", "options": {
        "codebook": "codebook", "none": "none", "no speeders rule": {"min_duration": None}}}})  # fmt: skip
    frame, data_hash = prepare_multiverse_data(spec)
    ds = load_dataset(synth)
    assert len(frame) == len(ds.rows_read("people")) and len(data_hash) == 16
    assert frame["_keep__excl__0"].sum() == len(ds.table("people"))
    assert frame["_keep__excl__1"].all()
    # the codebook's rules without the speeder rule: what load_dataset keeps with that codebook
    for name in ("people.csv", "diary.csv"):
        (tmp_path / name).write_bytes((synth / name).read_bytes())
    (tmp_path / "codebook.yaml").write_text(CODEBOOK.replace("min_duration: 100, ", ""))
    assert frame["_keep__excl__2"].sum() == len(load_dataset(tmp_path).table("people"))
    kept_ids = load_dataset(tmp_path).table("people")["pid"].to_numpy()
    assert 0 < frame["_keep__excl__0"].sum() < frame["_keep__excl__2"].sum() < len(frame) == 140
    assert "pid" in frame and len(kept_ids) == frame["_keep__excl__2"].sum()


def test_scores_follow_min_answered_and_the_frame_has_no_identifying_values(small_demo):
    spec = read_multiverse({"data": str(small_demo), "table": "survey",
                            "effect": {"outcome": "csi_16_total", "predictor": "cpi_total"},
                            "decisions": {"ma": {"kind": "min_answered", "options": [0.5, 1.0]}}})  # fmt: skip
    frame, _ = prepare_multiverse_data(spec)
    ds = load_dataset(small_demo)
    table = ds.table("survey")
    for ma, tag in ((0.5, "ma50"), (1.0, "ma100")):
        expected = score_instruments(table, instruments={"csi_16": ds.instruments("survey")["csi_16"]},
                                     min_answered=ma, ranges=ds.item_ranges("survey"))["csi_16_total"]  # fmt: skip
        assert_allclose(frame[f"csi_16_total__{tag}"].to_numpy(), expected.to_numpy(), equal_nan=True)
    assert frame["csi_16_total__ma100"].isna().sum() > frame["csi_16_total__ma50"].isna().sum()
    # ids are codes 0..n-1, not the data's ids; no item columns travel to the workers
    assert set(frame["person_id"]) == set(range(len(frame)))
    assert not [c for c in frame if re.fullmatch(r"(csi_16|cpi)_\d+", c)]


def test_aggregate_averages_each_persons_rows_with_min_answered(synth):
    spec = _spec(synth, {"ma": {"kind": "min_answered", "options": [0.5, 1.0]}}, table="diary",
                 aggregate={"by": "pid"}, effect={"outcome": "y", "predictor": "x"})  # fmt: skip
    frame, _ = prepare_multiverse_data(spec)
    diary = pd.read_csv(synth / "diary.csv")
    means = diary.groupby("pid")["y"].mean().to_numpy()
    assert len(frame) == diary["pid"].nunique()
    assert_allclose(frame["y__ma50"].to_numpy(), means)


# ---------------------------------------------------------------------------------------------
# Every family fitted as its model function fits it
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("robust", [None, "HC3", "cluster"])
def test_fast_ols_equals_ols(synth, robust):
    model = {"family": "ols", "robust": robust}
    spec = _spec(synth, {"cov": {"kind": "covariates", "options": {"none": [], "c1": ["c1"], "both": ["c1", "grp"]}},
                         "excl": {"kind": "exclusions", "options": {"codebook": "codebook", "none": "none"}},
                         "model": {"kind": "model", "options": {"m": model}}})  # fmt: skip
    frame, grid, results = _fit_all(spec)
    for row in grid.to_dict("records"):
        d, data = _rows_of(frame, row)
        formula = "y ~ " + " + ".join(["x", *d["covariates"]])
        kwargs = {"robust": robust, "dyad": "couple"} if robust == "cluster" else {"robust": robust}
        res = ols(data, formula, **kwargs)
        coef = res.coefficients.set_index("term").loc["x"]
        _same(results[row["spec_id"]], coef, tol=1e-10, n=int(res.fit["n"].item()))


def test_wald_tests_equal_scipy_stats_bit_for_bit():
    """`_wald` calls the special functions behind scipy.stats.t and .norm (about 0.3 ms a call less):
    the same p values and interval bounds, bit for bit, over many df, statistics and levels."""
    from scipy import stats

    rng = np.random.default_rng(11)
    dfs = [*range(1, 120), *rng.integers(120, 10**6, 200).tolist(), 51_489]
    checked = 0
    for df in dfs:
        for est, se in zip(rng.normal(0, 2, 6), rng.uniform(0.01, 3, 6), strict=True):
            for ci in (0.9, 0.95, 0.99):
                got, stat = mf._wald(float(est), float(se), ci, 100, df), est / se
                q = stats.t.ppf((1 + ci) / 2, df)
                want = [2 * stats.t.sf(abs(stat), df), est - q * se, est + q * se]
                assert [got["p_value"], got["ci_low"], got["ci_high"]] == want, (df, est, se, ci)
                checked += 1
    for stat in [*rng.normal(0, 4, 300), 0.0, 1e-12, 40.0]:
        got = mf._wald(float(stat), 1.0, 0.95, 100)
        q = stats.norm.ppf(0.975)
        assert [got["p_value"], got["ci_low"], got["ci_high"]] == [2 * stats.norm.sf(abs(stat)), stat - q, stat + q]
    assert checked > 5000


def test_a_column_cache_kept_between_chunks_gives_the_same_numbers(synth, monkeypatch):
    """A Dask worker keeps one `_Columns` for all its chunks (`fit_cached`); a cache that forgets its row
    masks when full (`MASK_BYTES`) recomputes them: the numbers do not change, bit for bit."""
    spec = _spec(synth, {"cov": {"kind": "covariates", "options": {"none": [], "c1": ["c1"], "both": ["c1", "grp"]}},
                         "excl": {"kind": "exclusions", "options": {"codebook": "codebook", "none": "none"}},
                         "model": {"kind": "model", "options": {"ols": {"family": "ols", "robust": "cluster"},
                                                                "logit": {"family": "logistic"}}}},
                 effect={"outcome": "ybin", "predictor": "x"})  # fmt: skip
    frame, _ = prepare_multiverse_data(spec)
    rows = spec.specifications().to_dict("records")
    whole = fit_specifications(frame, rows)
    cache = mf._Columns(frame)
    chunked = [r for i in range(0, len(rows), 5) for r in mf.fit_cached(cache, rows[i : i + 5])]
    monkeypatch.setattr(mf, "MASK_BYTES", 2 * len(frame))  # room for one mask: cleared again and again
    forgetful = mf.fit_cached(mf._Columns(frame), rows)
    shared = mf._Columns(frame)  # the threads of one Dask worker share the cache (and clear its masks)
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda k: mf.fit_cached(shared, rows[k::2] + rows[1 - k :: 2]), [0, 1] * 4))
    assert len(whole) == len(rows) == 12 and all(r["status"] == "ok" for r in whole)
    for other in (chunked, forgetful):
        assert json.dumps(other) == json.dumps(whole)
    by_id = {r["spec_id"]: json.dumps(r) for r in whole}
    assert all(json.dumps(r) == by_id[r["spec_id"]] for results in threaded for r in results)


def test_ols_end_to_end_equals_load_score_and_fit_by_hand(small_demo):
    spec = read_multiverse({"data": str(small_demo), "table": "survey",
                            "effect": {"outcome": "csi_16_total", "predictor": "cpi_total"},
                            "decisions": {"cov": {"kind": "covariates",
                                                  "options": {"age": ["age", "relationship_years"]}},
                                          "model": {"kind": "model", "options": {
                                              "ols": {"family": "ols", "robust": "cluster"}, "apim": "apim"}}}})
    _, grid, results = _fit_all(spec)
    ds = load_dataset(small_demo)
    table = ds.table("survey")
    scored = table.join(score_instruments(table, instruments=ds.instruments("survey"), min_answered=0.8,
                                          ranges=ds.item_ranges("survey")))  # fmt: skip
    by_model = dict(zip(grid["model"], grid["spec_id"], strict=True))
    res = ols(scored, "csi_16_total ~ cpi_total + age + relationship_years", robust="cluster", dyad="couple_id")
    _same(results[by_model["ols"]], res.coefficients.set_index("term").loc["cpi_total"], tol=1e-10)
    res = apim(scored, "csi_16_total ~ cpi_total_A + cpi_total_P + age + relationship_years", dyad="couple_id",
               partner="partner")
    _same(results[by_model["apim"]], res.coefficients.set_index("term").loc["cpi_total_A"], tol=1e-12)


@pytest.mark.parametrize("family, outcome, tol", [
    ("logistic", "ybin", 1e-7), ("ordinal", "yord", 1e-6), ("ordinal", "ylev", 1e-6), ("tobit", "ycens", 1e-12)])
def test_limited_outcome_families_equal_their_functions(synth, family, outcome, tol):
    spec = _spec(synth, {"cov": {"kind": "covariates", "options": {"none": [], "both": ["c1", "grp"]}},
                         "model": {"kind": "model", "options": [family]}},
                 effect={"outcome": outcome, "predictor": "x"})  # fmt: skip
    frame, grid, results = _fit_all(spec)
    fn = {"logistic": logistic_regression, "ordinal": ordinal_regression, "tobit": tobit}[family]
    for row in grid.to_dict("records"):
        d, data = _rows_of(frame, row)
        res = fn(data, f"{outcome} ~ " + " + ".join(["x", *d["covariates"]]))
        coefs = res.coefficients
        if "part" in coefs:
            coefs = coefs[coefs["part"] == "coefficient"]
        _same(results[row["spec_id"]], coefs.set_index("term").loc["x"], tol=tol, n=int(res.fit["n"].item()))


@pytest.mark.parametrize("family, outcome", [("ols", "y"), ("logistic", "ybin"), ("ordinal", "yord")])
def test_weighted_families_equal_the_survey_functions_on_the_domain(synth, family, outcome):
    spec = _spec(synth, {"excl": {"kind": "exclusions", "options": {"codebook": "codebook"}},
                         "w": {"kind": "weights", "options": [True]},
                         "model": {"kind": "model", "options": [family]}},
                 effect={"outcome": outcome, "predictor": "x"})  # fmt: skip
    frame, grid, results = _fit_all(spec)
    row = grid.to_dict("records")[0]
    d = json.loads(row["definition"])
    data = frame[["x", outcome, "w"]].copy()
    data.loc[~frame[d["keep"][0]].to_numpy(bool), outcome] = np.nan  # excluded rows: outside the domain
    design = survey_design(data, weight="w")
    res = survey_olr(design, f"{outcome} ~ x") if family == "ordinal" else \
        survey_glm(design, f"{outcome} ~ x", family="gaussian" if family == "ols" else "quasibinomial")  # fmt: skip
    coefs = res.coefficients
    coefs = coefs[coefs.get("part", "coefficient") == "coefficient"] if "part" in coefs else coefs
    _same(results[row["spec_id"]], coefs.set_index("term").loc["x"], tol=1e-8, n=int(res.fit["n"].item()))
    assert results[row["spec_id"]]["n"] == frame[d["keep"][0]].sum()


def test_fast_paths_equal_the_model_functions_when_switched_off(synth, monkeypatch):
    spec = _spec(synth, {"w": {"kind": "weights", "options": [False, True]},
                         "model": {"kind": "model", "options": ["ols", "logistic"]}},
                 effect={"outcome": "ybin", "predictor": "x"})  # fmt: skip
    frame, grid, fast = _fit_all(spec)
    for name in ("_fast_ols", "_fast_glm", "_fast_weighted"):
        monkeypatch.setattr(mf, name, lambda *a, **k: None)
    slow = {r["spec_id"]: r for r in fit_specifications(frame, grid.to_dict("records"))}
    for sid, r in slow.items():
        for key in ("estimate", "se", "p_value", "ci_low", "statistic", "n"):
            assert_allclose(fast[sid][key], r[key], rtol=1e-7, err_msg=key)


def test_apim_partner_effect_mixed_and_mediation_equal_their_functions(synth):
    spec = _spec(synth, {"model": {"kind": "model", "options": {
        "actor": {"family": "apim", "effect": "actor"}, "partner": {"family": "apim", "effect": "partner"},
        "med": {"family": "mediation", "mediator": "m", "n_boot": 150, "seed": 4}}}})  # fmt: skip
    frame, grid, results = _fit_all(spec)
    ids = dict(zip(grid["model"], grid["spec_id"], strict=True))
    res = apim(frame, "y ~ x_A + x_P", dyad="couple", partner="member")
    coefs = res.coefficients.set_index("term")
    _same(results[ids["actor"]], coefs.loc["x_A"], tol=1e-12, n=int(res.fit["n"].item()))
    _same(results[ids["partner"]], coefs.loc["x_P"], tol=1e-12)
    med = mediation(frame, x="x", m="m", y="y", n_boot=150, seed=4)
    r = results[ids["med"]]
    ind = med.effects.set_index("effect").loc["indirect"]
    assert_allclose([r["estimate"], r["se"], r["ci_low"], r["ci_high"]],
                    [ind["estimate"], ind["se"], ind["ci_low"], ind["ci_high"]], rtol=1e-12)
    assert_allclose([r["p_value"], r["statistic"]], med.sobel[["p_value", "statistic"]].iloc[0], rtol=1e-12)
    fast = mf.fast_mediation(mf._Columns(frame), json.loads(grid.set_index("model").loc["med", "definition"]), {})
    assert_allclose([fast["estimate"], fast["p_value"]], [r["estimate"], r["p_value"]], rtol=1e-10)
    # mixed model on the diary table (persons within couples)
    spec = _spec(synth, {"model": {"kind": "model", "options": {"mixed": "mixed",
                                                                "couples": {"family": "mixed", "dyad": True}}}},
                 table="diary")  # fmt: skip
    frame, grid, results = _fit_all(spec)
    for row in grid.to_dict("records"):
        d = json.loads(row["definition"])
        res = mixed_model(frame, "y ~ x", person="pid", dyad=d["dyad"])
        _same(results[row["spec_id"]], res.coefficients.set_index("term").loc["x"], tol=1e-12,
              n=int(res.fit["n"].item()))


def test_a_failed_fit_is_a_row_with_its_reason(synth):
    spec = _spec(synth, {
        "sub": {"kind": "subset", "options": {"all": "all", "group a": {"grp": "a"}}},
        "cov": {"kind": "covariates", "options": {"none": [], "grp": ["grp"]}},
        "model": {"kind": "model", "options": ["ols", "logistic"]},
    })  # fmt: skip
    _, grid, results = _fit_all(spec)
    table = grid.assign(status_fit=grid["spec_id"].map(lambda s: results[s]["status"]),
                        reason_fit=grid["spec_id"].map(lambda s: results[s]["reason"]))  # fmt: skip
    constant = table[(table["sub"] == "group a") & (table["cov"] == "grp") & (table["model"] == "ols")]
    assert constant["status_fit"].tolist() == ["failed"]
    assert "is constant" in constant["reason_fit"].iloc[0]
    logit = table[table["model"] == "logistic"]
    assert set(logit["status_fit"]) == {"failed"} and logit["reason_fit"].str.contains("not binary").all()
    ok = table[(table["model"] == "ols") & ~table.index.isin(constant.index)]
    assert set(ok["status_fit"]) == {"ok"}
    res = multiverse_result(spec, grid, list(results.values()))
    assert len(res.specifications) == len(grid) and res.summary["n_failed"].item() == 5
    failed = res.specifications[res.specifications["status"] == "failed"]
    assert failed["estimate"].isna().all() and (failed["reason"] != "").all()


def test_result_tables_and_sentence(synth):
    spec = _spec(synth, {"cov": {"kind": "covariates", "options": {"none": [], "c1": ["c1"]}},
                         "model": {"kind": "model", "options": ["ols", "apim"]}},
                 incompatible=[{"rule": "no covariates in the APIM here", "when": {"cov": "c1", "model": "apim"}}])
    result = run_multiverse(spec, resamples=8, seed=2)
    assert isinstance(result, MultiverseResult)
    s = result.summary.iloc[0]
    assert (s["n_specifications"], s["n_fitted"], s["n_failed"], s["n_incompatible"]) == (4, 3, 0, 1)
    table = result.specifications
    assert list(table.columns[:3]) == ["spec_id", "cov", "model"]
    assert {"estimate", "se", "ci_low", "ci_high", "p_value", "n", "status", "reason"} <= set(table.columns)
    ok = table[table["status"] == "ok"]
    assert s["median_estimate"] == pytest.approx(ok["estimate"].median())
    assert s["share_significant_positive"] == pytest.approx(((ok["p_value"] < .05) & (ok["estimate"] > 0)).mean())
    assert list(result.inference["quantity"]) == ["median", "n_significant", "stouffer_z"]
    # the curve statistics are not a test statistic: no t or z header over them (apa_table heads `statistic` so)
    for html in (apa_table(result.inference, title="t").html, result.table().html):
        assert "<th><i>z</i></th>" not in html and "<i>z</i>" not in html.split("</thead>")[0]
    assert "Quantity" in apa_table(result.inference, title="t").html
    assert (result.inference["resamples"] == 8).all() and len(result.null) == 8
    assert set(result.decision_importance["decision"]) == {"cov", "model", "(interactions and residual)"}
    assert result.decision_importance["share"].sum() == pytest.approx(1.0)
    assert "Across 4 specifications" in result.sentence() and "<table" in result.table().html
    assert result.parameters["seed"] == 2 and len(result.parameters["data_hash"]) == 16


def test_draft_multiverse_runs_on_the_demo(small_demo):
    draft = draft_multiverse(small_demo)
    spec = read_multiverse(draft)
    grid = spec.specifications()
    assert 4 <= len(grid) <= 48 and {"outcome", "predictor", "exclusions", "min_answered"} <= set(draft["decisions"])
    # csi_16_total (a 0-81 sum) and prqc_satisfaction (a 1-7 mean): standardized, so the estimates compare
    assert draft["decisions"]["outcome"]["options"] == ["csi_16_total", "prqc_satisfaction"]
    assert draft["standardize"] is True and spec.standardize == ("outcome", "predictor")
    frame, _ = prepare_multiverse_data(spec)
    results = fit_specifications(frame, grid.head(4).to_dict("records"))
    assert {r["status"] for r in results} == {"ok"}


# ---------------------------------------------------------------------------------------------
# The example files
# ---------------------------------------------------------------------------------------------


def test_demo_example_reads_and_fits(small_demo, tmp_path):
    text = (STUDIES / "demo_practices.yaml").read_text()
    path = tmp_path / "demo.yaml"
    path.write_text(text.replace("data: ../../data/raw/demo_survey", f"data: {small_demo}"))
    spec = read_multiverse(path)
    grid = spec.specifications()
    assert 24 <= len(grid) <= 48 and (grid["status"] == "pending").all()
    frame, _ = prepare_multiverse_data(spec)
    some = grid[grid["model"] != "mediation"].head(8).to_dict("records")
    assert {r["status"] for r in fit_specifications(frame, some)} == {"ok"}


def test_gss_example(shared_data):
    spec = read_multiverse(STUDIES / "gss_married_happier.yaml", data_root=shared_data)
    grid = spec.specifications()
    assert len(grid) == 48 and (grid["status"] == "incompatible").sum() == 16
    bad = grid[grid["status"] == "incompatible"]
    assert set(zip(bad["model"], bad["coding"], strict=True)) == {("logistic", "3 levels"), ("ordinal", "very happy")}
    frame, _ = prepare_multiverse_data(spec)
    pick = grid[(grid["status"] == "pending") & (grid["years"] == "2000-2006") & (grid["weights"] == "unweighted")
                & (grid["covariates"] == "age, sex")]  # fmt: skip
    results = {r["spec_id"]: r for r in fit_specifications(frame, pick.to_dict("records"))}
    ds = load_dataset(shared_data / "gss_happy_1972_2006" / "data.csv",
                      codebook=PROJECT_ROOT / "studies" / "codebooks" / "gss_happy_1972_2006.yaml")
    t = ds.table()
    data = pd.DataFrame({"married": (t["marital"] == "married").astype(float).where(t["marital"].notna()),
                         "very_happy": (t["happy"] == "very happy").astype(float).where(t["happy"].notna()),
                         "happiness": t["happy"].map({"very happy": 3, "pretty happy": 2,
                                                      "not too happy": 1}).astype(float),
                         "age": t["age"].astype(float), "sex": t["sex"]})[t["year"].to_numpy() >= 2000]
    for row in pick.to_dict("records"):
        y = "very_happy" if row["coding"] == "very happy" else "happiness"
        fn = {"ols": ols, "logistic": logistic_regression, "ordinal": ordinal_regression}[row["model"]]
        res = fn(data, f"{y} ~ married + age + sex")
        coefs = res.coefficients
        coefs = coefs[coefs["part"] == "coefficient"] if "part" in coefs else coefs
        _same(results[row["spec_id"]], coefs.set_index("term").loc["married"], tol=1e-6)
        assert results[row["spec_id"]]["estimate"] > 0  # married people are happier


def test_kashy_example(shared_data):
    spec = read_multiverse(STUDIES / "attachment_satisfaction.yaml", data_root=shared_data)
    grid = spec.specifications()
    assert len(grid) == 54 and (grid["status"] == "incompatible").sum() == 24
    frame, _ = prepare_multiverse_data(spec)
    raw = pd.read_csv(shared_data / "kashy_diary" / "data.csv")
    assert len(frame) == raw.groupby(["dyadid", "person"]).ngroups == 206
    means = raw.groupby(["dyadid", "person"])["satisf_A"].mean().to_numpy()
    assert_allclose(frame["satisf_A__ma50"].to_numpy(), means)
    results = fit_specifications(frame, grid[grid["status"] == "pending"].to_dict("records"))
    assert {r["status"] for r in results} == {"ok"}
    both = grid[(grid["people"] == "both partners") & (grid["covariates"] == "none") & (grid["days"] == "0.5")]
    by_model = dict(zip(both["model"], both["spec_id"], strict=True))
    est = {r["spec_id"]: r for r in results}
    data = frame.rename(columns={"satisf_A__ma50": "sat", "Cavoid_A__ma50": "avoid_A", "Cavoid_P__ma50": "avoid_P"})
    res = apim(data, "sat ~ avoid_A + avoid_P", dyad="dyadid", partner="person")
    _same(est[by_model["apim"]], res.coefficients.set_index("term").loc["avoid_A"], tol=1e-12)
    assert est[by_model["apim"]]["estimate"] < 0  # more avoidant people are less satisfied


# ---------------------------------------------------------------------------------------------
# Replicate-weight designs
# ---------------------------------------------------------------------------------------------


def _write_replicates(folder, n=90, n_psu=10, seed=5):
    """Rows in `n_psu` PSUs, a sampling weight and JK1 (delete-one-PSU) replicate weights r1..r10."""
    rng = np.random.default_rng(seed)
    psu = np.arange(n) % n_psu
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    y = 1 + 0.5 * x + 0.3 * z + rng.normal(size=n) + rng.normal(size=n_psu)[psu]
    w = rng.uniform(1, 4, n).round(3)
    frame = pd.DataFrame({"x": x.round(4), "z": z.round(4), "y": y.round(4), "w": w, "g": np.where(x > 0, "a", "b")})
    for j in range(n_psu):
        frame[f"r{j + 1}"] = np.where(psu == j, 0.0, w * n_psu / (n_psu - 1)).round(6)
    frame.to_csv(folder / "survey.csv", index=False)
    reps = "".join(f"      r{j + 1}: {{type: number, role: replicate_weight}}\n" for j in range(n_psu))
    (folder / "codebook.yaml").write_text(
        "tables:\n  survey:\n    file: survey.csv\n    design: {replicate_type: JK1}\n    variables:\n"
        "      x: {type: number, role: predictor}\n      z: {type: number}\n      y: {type: number, role: outcome}\n"
        "      w: {type: number, role: weight}\n      g: {type: categorical, values: [a, b]}\n" + reps)  # fmt: skip
    return folder


def test_replicate_weight_design_equals_survey_glm(tmp_path):
    folder = _write_replicates(tmp_path)
    spec = _spec(folder, {"w": {"kind": "weights", "options": [False, True]},
                          "cov": {"kind": "covariates", "options": {"none": [], "z": ["z"]}},
                          "sub": {"kind": "subset", "options": {"all": "all", "a": {"g": "a"}}}},
                 table="survey")  # fmt: skip
    assert spec.design["replicate_weights"] == [f"r{j}" for j in range(1, 11)]
    frame, grid, results = _fit_all(spec)
    assert {f"r{j}" for j in range(1, 11)} <= set(frame.columns)  # the replicate columns are carried
    assert {r["status"] for r in results.values()} == {"ok"}
    ds = load_dataset(folder)
    table = ds.table("survey")
    checked = 0
    for row in grid.to_dict("records"):
        rhs = "x + z" if row["cov"] == "z" else "x"
        data = table.copy()
        if row["sub"] == "a":  # a domain: the rows outside have no outcome
            data.loc[data["g"] != "a", "y"] = np.nan
        if row["w"] == "weighted":
            res = survey_glm(survey_design(data, **ds.design_columns("survey")), f"y ~ {rhs}")
        else:
            res = ols(data, f"y ~ {rhs}")
        _same(results[row["spec_id"]], res.coefficients.set_index("term").loc["x"], tol=1e-9,
              n=int(res.fit["n"].item()))
        checked += row["w"] == "weighted"
    assert checked == 4
    # the replicate variance differs from the linearisation (weight only) variance of the same point estimate
    weighted = grid[(grid["w"] == "weighted") & (grid["cov"] == "none") & (grid["sub"] == "all")]["spec_id"].item()
    lin = survey_glm(survey_design(table, weight="w"), "y ~ x").coefficients.set_index("term").loc["x"]
    assert results[weighted]["estimate"] == pytest.approx(lin["estimate"], rel=1e-10)
    assert abs(results[weighted]["se"] - lin["se"]) > 1e-4
    # the inference under the null refits the replicate design
    result = run_multiverse(spec, resamples=3, seed=1)
    assert (result.null["n_failed"] == 0).all() and np.isfinite(result.null["median"]).all()


# ---------------------------------------------------------------------------------------------
# standardize: outcome and predictor as z scores within each specification's rows
# ---------------------------------------------------------------------------------------------


def _z(values, rows, weights=None):
    v = values[rows]
    if weights is None:
        return (values - v.mean()) / v.std(ddof=1)
    w = weights[rows]
    mean = np.sum(w * v) / np.sum(w)
    return (values - mean) / np.sqrt(np.sum(w * (v - mean) ** 2) / np.sum(w))


def test_standardize_equals_fitting_standardized_columns(synth):
    decisions = {"cov": {"kind": "covariates", "options": {"none": [], "c1": ["c1"]}},
                 "sub": {"kind": "subset", "options": {"all": "all", "a, b": {"grp": ["a", "b"]}}},
                 "model": {"kind": "model", "options": {"ols": "ols", "hc3": {"family": "ols", "robust": "HC3"},
                                                        "cluster": {"family": "ols", "robust": "cluster"},
                                                        "apim": "apim"}}}  # fmt: skip
    raw = _spec(synth, decisions)
    spec = _spec(synth, decisions, standardize=True)
    assert spec.standardize == ("outcome", "predictor") and spec.effect["label"].endswith("standardized)")
    frame, grid, results = _fit_all(spec)
    _, raw_grid, raw_results = _fit_all(raw)
    assert not set(grid["spec_id"]) & set(raw_grid["spec_id"])  # standardized specifications are others
    assert {r["status"] for r in results.values()} == {"ok"}
    for row, raw_row in zip(grid.to_dict("records"), raw_grid.to_dict("records"), strict=True):
        d, data = _rows_of(frame, row)
        covs = d["covariates"]
        rows = data[["y", "x", *covs]].notna().all(axis=1).to_numpy()
        data = data.assign(y=_z(data["y"].to_numpy(), rows), x=_z(data["x"].to_numpy(), rows))
        rhs = " + ".join(["x", *covs])
        if row["model"] == "apim":
            res = apim(data, f"y ~ x_A + x_P{''.join(' + ' + c for c in covs)}", dyad="couple", partner="member")
            term = "x_A"
        else:
            robust = {"ols": None, "hc3": "HC3", "cluster": "cluster"}[row["model"]]
            res = ols(data, f"y ~ {rhs}", robust=robust, **({"dyad": "couple"} if robust == "cluster" else {}))
            term = "x"
        _same(results[row["spec_id"]], res.coefficients.set_index("term").loc[term], tol=1e-9,
              n=int(res.fit["n"].item()))
        if row["model"] != "apim":  # z-scoring y and x changes b, not its test
            assert_allclose([results[row["spec_id"]][k] for k in ("statistic", "p_value")],
                            [raw_results[raw_row["spec_id"]][k] for k in ("statistic", "p_value")], rtol=1e-9)
    assert "standardized" in multiverse_result(spec, grid, list(results.values())).parameters["effect"]


def test_standardize_weighted_logistic_and_mediation(synth):
    # weighted OLS: the design's weighted mean and SD
    spec = _spec(synth, {"w": {"kind": "weights", "options": [True]}}, standardize=True)
    frame, grid, results = _fit_all(spec)
    row = grid.to_dict("records")[0]
    rows = frame[["y", "x"]].notna().all(axis=1).to_numpy()
    w = frame["w"].to_numpy()
    data = frame[["y", "x", "w"]].assign(y=_z(frame["y"].to_numpy(), rows, w), x=_z(frame["x"].to_numpy(), rows, w))
    res = survey_glm(survey_design(data, weight="w"), "y ~ x")
    _same(results[row["spec_id"]], res.coefficients.set_index("term").loc["x"], tol=1e-8)
    # logistic: only the predictor (a 0/1 outcome keeps its values); mediation: x and y
    spec = _spec(synth, {"model": {"kind": "model", "options": {
        "logit": "logistic", "med": {"family": "mediation", "mediator": "m", "n_boot": 100, "seed": 2}}}},
        effect={"outcome": "ybin", "predictor": "x"}, standardize=["predictor", "outcome"])  # fmt: skip
    frame, grid, results = _fit_all(spec)
    by = {r["model"]: r for r in grid.to_dict("records")}
    assert json.loads(by["logit"]["definition"])["standardize"] == ["predictor"]
    data = frame.assign(x=_z(frame["x"].to_numpy(), frame[["ybin", "x"]].notna().all(axis=1).to_numpy()))
    res = logistic_regression(data, "ybin ~ x")
    _same(results[by["logit"]["spec_id"]], res.coefficients.set_index("term").loc["x"], tol=1e-7)
    rows = frame[["ybin", "x", "m"]].notna().all(axis=1).to_numpy()
    data = frame.assign(x=_z(frame["x"].to_numpy(), rows), ybin=_z(frame["ybin"].to_numpy(), rows))
    med = mediation(data, x="x", m="m", y="ybin", n_boot=100, seed=2)
    ind = med.effects.set_index("effect").loc["indirect"]
    assert_allclose(results[by["med"]["spec_id"]]["estimate"], ind["estimate"], rtol=1e-12)


def test_standardize_keeps_ids_and_definitions_of_files_without_it(synth):
    decisions = {"cov": {"kind": "covariates", "options": {"none": [], "c1": ["c1"]}}}
    plain = _spec(synth, decisions).specifications()
    off = _spec(synth, decisions, standardize=False).specifications()
    assert plain[["spec_id", "definition"]].equals(off[["spec_id", "definition"]])
    assert all("standardize" not in json.loads(d) for d in plain["definition"])
    only_x = _spec(synth, decisions, standardize="predictor").specifications()
    assert not set(only_x["spec_id"]) & set(plain["spec_id"])
    with pytest.raises(ParameterError, match="`standardize` must be true"):
        _spec(synth, decisions, standardize="both")


def test_standardize_null_curves_have_the_raw_curves_tests(synth):
    # the effect removed on the raw scale (b SD(y) / SD(x)), each refit standardized: the same t and z
    # (and so the same counts and Stouffer Z) as the raw specification, estimates on the z scale.
    # (Logistic and ordinal nulls draw new outcomes seeded by the spec_id, which standardize changes.)
    decisions = {"cov": {"kind": "covariates", "options": {"none": [], "c1": ["c1"]}},
                 "w": {"kind": "weights", "options": [False, True]},
                 "model": {"kind": "model", "options": {"ols": "ols", "hc3": {"family": "ols", "robust": "HC3"},
                                                        "med": {"family": "mediation", "mediator": "m",
                                                                "n_boot": 100}}}}  # fmt: skip
    incompatible = [{"rule": "design-based errors only", "when": {"w": "weighted", "model": ["hc3", "med"]}}]
    curves = {}
    for flag in (False, True):
        spec = _spec(synth, decisions, standardize=flag, incompatible=incompatible, ci=0.5)  # many p < .5
        result = run_multiverse(spec, resamples=6, seed=5)
        curves[flag] = result.null
        assert (result.null["n_failed"] == 0).all()
    for key in ("n_significant_positive", "n_significant_negative"):
        assert curves[True][key].tolist() == curves[False][key].tolist()
    assert curves[True]["n_significant_positive"].sum() + curves[True]["n_significant_negative"].sum() > 0
    assert_allclose(curves[True]["stouffer_z"], curves[False]["stouffer_z"], rtol=1e-8)
    assert not np.allclose(curves[True]["median"], curves[False]["median"])


# ---------------------------------------------------------------------------------------------
# Drafting from instruments whose items are only partly in the table (partner-suffixed scores)
# ---------------------------------------------------------------------------------------------


def _write_ims(folder, partners=(1, 2), n=60, seed=2):
    """A wide couples file (one row per couple) with the IMS satisfaction items of each partner and five
    of the seven commitment items (so only satisfaction can be scored)."""
    rng = np.random.default_rng(seed)
    frame, lines = {}, []
    for p in partners:
        level = rng.normal(size=n)
        for kind, k in (("sat", 5), ("com", 5)):
            for i in range(1, k + 1):
                col = f"{kind}{p}_{i}"
                frame[col] = np.clip(np.round(5 + 1.5 * level + rng.normal(size=n)), 1, 9).astype(int)
                lines.append(f"      {col}: {{type: integer, range: [1, 9], role: item, instrument: ims, "
                             f"item: {kind}_{i}, partner: {p}}}")  # fmt: skip
    pd.DataFrame(frame).to_csv(folder / "data.csv", index=False)
    (folder / "codebook.yaml").write_text("dataset: ims_wide\ntables:\n  data:\n    file: data.csv\n    unit: dyad\n"
                                          "    variables:\n" + "\n".join(lines) + "\n")  # fmt: skip
    return folder


def test_draft_uses_only_scores_whose_items_are_all_there(tmp_path):
    folder = _write_ims(tmp_path)
    draft = draft_multiverse(folder)
    # satisfaction is the only score (commitment has 5 of its 7 items; no alternatives or investment items):
    # partner 2's satisfaction predicts partner 1's
    assert draft["decisions"]["outcome"]["options"] == ["ims_p1_satisfaction"]
    assert draft["decisions"]["predictor"]["options"] == ["ims_p2_satisfaction"]
    assert "standardize" not in draft  # one outcome, one predictor: nothing to make comparable
    result = run_multiverse(read_multiverse(draft), resamples=0)
    assert set(result.specifications["status"]) == {"ok"} and len(result.specifications) == 3
    table = load_dataset(folder).table("data")
    ranges = {c: [1, 9] for c in table.columns}
    scored = {p: score_instruments(table, instruments={f"ims_p{p}": {f"sat_{i}": f"sat{p}_{i}" for i in range(1, 6)}},
                                   min_answered=0.8, ranges=ranges)[f"ims_p{p}_satisfaction"]
              for p in (1, 2)}  # fmt: skip
    res = ols(pd.DataFrame({"y": scored[1], "x": scored[2]}), "y ~ x").coefficients.set_index("term").loc["x"]
    row = result.specifications[result.specifications["min_answered"] == "0.8"].iloc[0]
    assert row["estimate"] == pytest.approx(res["estimate"], rel=1e-10)
    # a score whose items are missing is named as not a column, not a KeyError out of the fit
    with pytest.raises(ParameterError, match=r"'ims_p1_alternatives' is not a column .* or an instrument score"):
        read_multiverse({"data": str(folder), "effect": {"outcome": "ims_p1_alternatives",
                                                          "predictor": "ims_p2_satisfaction"}})  # fmt: skip


def test_draft_with_one_score_says_what_it_found(tmp_path):
    folder = _write_ims(tmp_path, partners=(1,))
    with pytest.raises(ParameterError, match=r"scores found: ims_p1_satisfaction\).*role: outcome"):
        draft_multiverse(folder)


def test_draft_on_the_commitment_codebook(shared_data):
    codebook = PROJECT_ROOT / "tests" / "codebooks" / "drafted" / "dysem_commitmentQ.yaml"
    spec = read_multiverse(draft_multiverse(codebook, data_root=shared_data), data_root=shared_data)
    assert "ims_p1_alternatives" not in spec.scores and "ims_p1_satisfaction" in spec.scores
    result = run_multiverse(spec, resamples=0)
    assert set(result.specifications["status"]) == {"ok"}
    assert result.specifications["n"].max() == 118  # the couples


def test_draft_standardizes_only_candidates_on_different_scales():
    drafted = PROJECT_ROOT / "tests" / "codebooks" / "drafted"
    # outcomes PRQC satisfaction and total, predictors PRQC commitment and intimacy: all 1-7 means
    draft = draft_multiverse(drafted / "dysem_prqcQ.yaml")
    assert len(draft["decisions"]["outcome"]["options"]) == 2 and "standardize" not in draft
    # outcomes PRQC-short totals (1-7 means) of both partners; predictors sexual satisfaction sums (5-35)
    draft = draft_multiverse(drafted / "dysem_dres.yaml")
    assert draft["decisions"]["predictor"]["options"] == [f"sexual_satisfaction_p{p}_total" for p in (1, 2)]
    assert "standardize" not in draft


def test_a_null_duplicate_id_rule_is_off_not_exclude_all(synth, tmp_path):
    for name in ("people.csv", "diary.csv", "codebook.yaml"):
        (tmp_path / name).write_bytes((synth / name).read_bytes())
    people = pd.read_csv(tmp_path / "people.csv")
    pd.concat([people, people.iloc[[0]]]).to_csv(tmp_path / "people.csv", index=False)  # pid 11 twice
    spec = _spec(tmp_path, {"excl": {"kind": "exclusions", "options": {
        "off": {"duplicate_id": None}, "none": {"duplicate_id": "none"}, "all": {"duplicate_id": "exclude_all"},
        "first": {"duplicate_id": "keep_first"}}}})  # fmt: skip
    frame, _ = prepare_multiverse_data(spec)
    off, none, every, first = (frame[f"_keep__excl__{k}"].to_numpy() for k in range(4))
    assert (off == none).all()
    assert none.sum() - first.sum() == 1 and none.sum() - every.sum() == 2
