"""Replicate-weight designs (analysis.models.survey_design with replicate_weights=) against R's survey
package 4.1.1 (``svrepdesign``), and the codebook's replicate_weight role and design options.

Reference values: tests/reference/survey_replicates.R. It makes JK1 and bootstrap replicate weights
on apiclus1 and JKn, BRR and Fay weights on apistrat with a constructed two-PSU-per-stratum design
(as.svrepdesign), exports them (tests/data/api_rep_clus1.csv, api_rep_pairs.csv), then builds
svrepdesign objects from those files and writes svymean, svytotal, svyby, svyglm, svyolr and
svychisq results. Closed-form quantities and the refitted GLMs to 1e-8 relative; svyolr (its polr
fits tightened in the script) to 1e-6.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import (
    CodebookError,
    DataError,
    ParameterError,
    load_dataset,
    survey_crosstab,
    survey_design,
    survey_glm,
    survey_mean,
    survey_olr,
    survey_proportion,
    survey_total,
)
from analysis.data.design import design_summary
from analysis.exceptions import AnalysisWarning

HERE = Path(__file__).resolve().parent
REF = HERE / "reference"
DATA = HERE / "data"
RTOL = 1e-8
ESTIMATE_COLUMNS = ["estimate", "se", "deff", "ci_low", "ci_high"]
GLM_COLUMNS = ["estimate", "se", "statistic", "df", "p_value", "ci_low", "ci_high", "deff"]
GLM = {"gaussian": "api00 ~ ell + meals + mobility",
       "quasibinomial": "I(sch_wide == 'Yes') ~ ell + meals + mobility"}  # fmt: skip
#: the designs with the full set of estimates in survey.R (the others have the means only)
FULL = ["clus1_jk1", "clus1_jk1_mse", "clus1_boot", "pairs_jkn", "pairs_brr", "pairs_fay", "pairs_fay_mse"]


def _read(name: str) -> pd.DataFrame:
    out = pd.read_csv(REF / name, keep_default_na=False, na_values=[""])
    for c in ("group", "level"):
        if c in out:
            out[c] = out[c].fillna("").astype(str)
    return out


SPECS = _read("survey_rep_designs.csv").set_index("design")
RSCALES = _read("survey_rep_rscales.csv")


def _columns(name: str) -> dict:
    """The survey_design keyword arguments of design `name`, as survey_replicates.R passed them."""
    spec = SPECS.loc[name]
    rs = RSCALES.loc[RSCALES["design"] == name, "rscale"].tolist()
    return {"weight": "pw", "replicate_weights": [f"{spec['prefix']}_{i}" for i in range(1, spec["n_replicates"] + 1)],
            "replicate_type": spec["type"], "scale": None if pd.isna(spec["scale"]) else float(spec["scale"]),
            "rscales": rs or None, "rho": None if pd.isna(spec["rho"]) else float(spec["rho"]),
            "mse": bool(spec["mse"])}  # fmt: skip


@pytest.fixture(scope="module")
def files() -> dict:
    return {"clus1": pd.read_csv(DATA / "api_rep_clus1.csv"), "pairs": pd.read_csv(DATA / "api_rep_pairs.csv")}


@pytest.fixture(scope="module")
def designs(files) -> dict:
    return {name: survey_design(files[SPECS.loc[name, "data"]], **_columns(name)) for name in SPECS.index}


def _r_terms(res: pd.DataFrame) -> pd.DataFrame:
    terms = res["term"].str.replace(r"\[T\.(.*)\]", r"\1", regex=True).replace("Intercept", "(Intercept)")
    return res.assign(term=terms).set_index("term")


# ------------------------------------------------------------------------------------------------
# against R
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SPECS.index))
def test_scale_and_df_match_svrepdesign(designs, name):
    design, spec = designs[name], SPECS.loc[name]
    # design$scale (the type's default when scale was not passed) and degf(design)
    assert design.scale == pytest.approx(spec["scale_used"], rel=1e-14)
    assert design.df == spec["degf"]
    assert design.info[["n_replicates"]].iloc[0].tolist() == [spec["n_replicates"]]
    assert design.is_replicate and design.stages == []


@pytest.mark.parametrize("name", list(SPECS.index))
def test_estimates_match_r(designs, name):
    ref = _read("survey_rep_estimates.csv")
    ref = ref[(ref["design"] == name) & (ref["statistic"] != "mean_first_district")]
    checked = 0
    for (statistic, variable), sub in ref.groupby(["statistic", "variable"]):
        for grouped, rows in sub.groupby(sub["group"] != ""):
            fn = survey_total if statistic.startswith("total") else survey_mean
            deff = "srswr" if statistic.endswith("_srswr") else "srswor"
            with warnings.catch_warnings():  # svyby domains empty in some replicates: tested below
                warnings.simplefilter("ignore", AnalysisWarning)
                res = fn(designs[name], y=variable, by="stype" if grouped else None, deff=deff).coefficients
            for _, r in rows.iterrows():
                m = res
                if grouped:
                    m = m[m["stype"].astype(str) == r["group"]]
                if r["level"]:
                    m = m[m["level"].astype(str) == r["level"]]
                assert len(m) == 1, (statistic, variable, r["group"], r["level"])
                # svymean/svytotal/svyby(deff = TRUE, na.rm = TRUE) and confint() on svrepdesign(...)
                where = f"{name} {statistic} {variable} {r['group']} {r['level']}"
                assert_allclose(m[ESTIMATE_COLUMNS].to_numpy(float)[0], r[ESTIMATE_COLUMNS].to_numpy(float),
                                rtol=RTOL, err_msg=where)  # fmt: skip
                checked += 1
    assert checked == len(ref) == (36 if name in FULL else 3)


def test_domain_empty_in_a_replicate_is_left_out_with_a_warning(designs, files):
    # the schools of the first district: the JK1 replicate that drops that district has none of them
    ref = _read("survey_rep_estimates.csv")
    ref = ref[ref["statistic"] == "mean_first_district"].set_index("group")
    data = files["clus1"].assign(first=lambda d: d["dnum"] == d["dnum"].iloc[0])
    design = survey_design(data, **_columns("clus1_jk1"))
    with pytest.warns(AnalysisWarning, match="1 of 15 replicates gave no estimate"):
        res = survey_mean(design, y="api00", by="first").coefficients
    assert res["first"].tolist() == [False, True]
    got = res[ESTIMATE_COLUMNS].to_numpy(float)
    # svyby(~api00, ~first, design, svymean, deff = TRUE): R leaves the replicate out too; inside one
    # district every other replicate reproduces the estimate, so its SE is 0 (to rounding here)
    assert_allclose(got, ref.loc[["FALSE", "TRUE"], ESTIMATE_COLUMNS].to_numpy(float), rtol=RTOL, atol=1e-9)
    # totals are 0, not missing, in such a replicate: nothing is left out
    with warnings.catch_warnings():
        warnings.simplefilter("error", AnalysisWarning)
        survey_total(design, y="api00", by="first")


@pytest.mark.parametrize("name", FULL)
@pytest.mark.parametrize("family", ["gaussian", "quasibinomial"])
def test_glm_matches_svyglm(designs, name, family):
    ref = _read("survey_rep_glm.csv")
    ref = ref[(ref["design"] == name) & (ref["model"] == family)].set_index("term")
    res = survey_glm(designs[name], GLM[family], family=family)
    got = _r_terms(res.coefficients)
    # coef(summary(svyglm(...))), confint(), df.residual = degf + 1 - p; glm run to epsilon 1e-15
    assert_allclose(got.loc[ref.index, GLM_COLUMNS].to_numpy(float), ref[GLM_COLUMNS].to_numpy(float), rtol=RTOL)
    assert res.fit["n_replicates"].item() == SPECS.loc[name, "n_replicates"]
    assert "n_psu" not in res.fit


@pytest.mark.parametrize("name", FULL)
def test_olr_matches_svyolr(designs, name):
    ref = _read("survey_rep_olr.csv")
    ref = ref[ref["design"] == name].set_index("term")
    res = survey_olr(designs[name], "mealcat ~ avg_ed + mobility + stype")
    got = _r_terms(res.coefficients)
    # svyolr's computation with its polr fits run to reltol 1e-14 (survey_replicates.R)
    assert_allclose(got.loc[ref.index, ["estimate", "se", "statistic"]].to_numpy(float),
                    ref[["estimate", "se", "statistic"]].to_numpy(float), rtol=1e-6)  # fmt: skip
    # summary(svyolr(...)) itself: its replicate fits stop at optim's default tolerance
    assert_allclose(got.loc[ref.index, "se"].to_numpy(float), ref["se_svyolr"].to_numpy(float), rtol=2e-4)
    assert res.fit["df"].item() == SPECS.loc[name, "degf"] - 4


@pytest.mark.parametrize("name", FULL)
def test_crosstab_matches_svychisq(designs, name):
    ref = _read("survey_rep_chisq.csv")
    ref = ref[ref["design"] == name].set_index("test")
    tests = survey_crosstab(designs[name], x="sch_wide", y="stype").tests.set_index("test")
    # svychisq(~sch_wide + stype, design, statistic = "F") on the replicate design: F, ndf, ddf, p
    assert_allclose(tests.loc["F", ["statistic", "df1", "df2", "p_value"]].to_numpy(float),
                    ref.loc["F", ["statistic", "ndf", "ddf", "p_value"]].to_numpy(float), rtol=RTOL)  # fmt: skip
    assert_allclose(tests.loc["Chisq", ["statistic", "df1", "p_value"]].to_numpy(float),
                    ref.loc["Chisq", ["statistic", "ndf", "p_value"]].to_numpy(float), rtol=RTOL)  # fmt: skip


def test_mse_centres_at_the_estimate(designs, files):
    # the two fixtures differ only in mse; by hand: scale * sum rscales (theta_r - centre)^2
    data = files["clus1"]
    cols = _columns("clus1_jk1")["replicate_weights"]
    y = data["api00"].to_numpy(float)
    w = data["pw"].to_numpy(float)
    theta = (w * y).sum() / w.sum()
    reps = np.array([(data[c] * y).sum() / data[c].sum() for c in cols])
    scale = designs["clus1_jk1"].scale
    for name, centre in [("clus1_jk1", reps.mean()), ("clus1_jk1_mse", theta)]:
        se = survey_mean(designs[name], y="api00").coefficients["se"].item()
        assert se == pytest.approx(np.sqrt(scale * ((reps - centre) ** 2).sum()), rel=1e-12)


def test_proportion_and_output_name_the_replicates(designs):
    design = designs["pairs_fay"]
    prop = survey_proportion(design, y="awards").coefficients
    assert prop["estimate"].sum() == pytest.approx(1, rel=1e-14)
    note = survey_mean(design, y="api00").table().html
    assert "12 Fay replicate weights (fay_1 ... fay_12, rho = 0.3)" in note
    assert "replicate-weight standard error (Fay, 12 replicates" in note
    fit = survey_glm(design, GLM["gaussian"])
    assert "replicate-weight standard error" in fit.table().html and "Taylor" not in fit.table().html
    tab = survey_crosstab(design, x="sch_wide", y="stype")
    assert "replicate-weight" in tab.se_method


def test_jackknife_made_by_hand_matches_as_svrepdesign(designs, files):
    # JK1 from the PSUs: dropping district j and scaling the others by 15/14 is what as.svrepdesign did
    data = files["clus1"].copy()
    districts = sorted(data["dnum"].unique())
    for j, d in enumerate(districts, start=1):
        data[f"mine_{j}"] = np.where(data["dnum"] == d, 0.0, data["pw"] * 15 / 14)
    mine = survey_design(data, weight="pw", replicate_weights=[f"mine_{j}" for j in range(1, 16)],
                         replicate_type="JK1", scale=designs["clus1_jk1"].scale)  # fmt: skip
    ours = survey_total(mine, y="enroll").coefficients
    theirs = survey_total(designs["clus1_jk1"], y="enroll").coefficients
    # (as.svrepdesign orders the replicates as the districts first appear; the variance does not depend on it)
    assert ours["se"].item() == pytest.approx(theirs["se"].item(), rel=1e-12)


# ------------------------------------------------------------------------------------------------
# checks
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def small() -> pd.DataFrame:
    return pd.DataFrame({"w": [2.0, 2, 2, 3, 3, 3], "y": [1.0, 2, 3, 4, 5, 7],
                         "r1": [0.0, 0, 3, 4.5, 4.5, 4.5], "r2": [3.0, 3, 0, 4.5, 4.5, 4.5],
                         "r3": [2.0, 2, 2, 6, 6, 0], "st": [1, 1, 1, 2, 2, 2]})  # fmt: skip


R3 = ["r1", "r2", "r3"]


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"replicate_type": "JK1"}, "full-sample weight"),
    ({"weight": "w"}, "replicate_type="),
    ({"weight": "w", "replicate_type": "JK3"}, "replicate_type"),
    ({"weight": "w", "replicate_type": "JKn"}, "needs `rscales`"),
    ({"weight": "w", "replicate_type": "JKn", "rscales": [0.5, 0.5]}, "2 values but there are 3"),
    ({"weight": "w", "replicate_type": "JKn", "rscales": [0.5, -1, 0.5]}, "numbers >= 0"),
    ({"weight": "w", "replicate_type": "BRR", "scale": 0.5}, "not used with replicate_type 'BRR'"),
    ({"weight": "w", "replicate_type": "Fay"}, "needs `rho`"),
    ({"weight": "w", "replicate_type": "Fay", "rho": 1.0}, "from 0 to below 1"),
    ({"weight": "w", "replicate_type": "JK1", "rho": 0.5}, "only with replicate_type 'Fay'"),
    ({"weight": "w", "replicate_type": "JK1", "scale": 0}, "positive number"),
    ({"weight": "w", "replicate_type": "JK1", "strata": "st"}, "`strata` is not used with replicate_weights"),
    ({"weight": "w", "replicate_type": "JK1", "lonely_psu": "adjust"}, "`lonely_psu` is not used"),
    ({"weight": "w", "replicate_type": "JK1", "mse": "yes"}, "`mse` must be True or False"),
])  # fmt: skip
def test_replicate_arguments_are_checked(small, kwargs, words):
    with pytest.raises(ParameterError, match=words.replace("(", r"\(").replace("`", "`")):
        survey_design(small, replicate_weights=R3, **kwargs)


def test_replicate_options_need_replicate_weights(small):
    with pytest.raises(ParameterError, match="`replicate_type` is an option of replicate weights"):
        survey_design(small, weight="w", replicate_type="JK1")
    with pytest.raises(ParameterError, match="`mse` is an option"):
        survey_design(small, weight="w", mse=True)
    with pytest.raises(ParameterError, match="named twice"):
        survey_design(small, weight="w", replicate_weights=["r1", "r1", "r2"], replicate_type="JK1")


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_replicate_weight_values_are_checked(small, bad):
    small.loc[4, "r2"] = bad
    with pytest.raises(DataError, match=r"'r2' \(replicate weight\).*row 4"):
        survey_design(small, weight="w", replicate_weights=R3, replicate_type="JK1")


def test_zero_replicate_and_factor_like_weights(small):
    small["r3"] = 0.0
    with pytest.raises(DataError, match=r"'r3' .* is 0 in every row"):
        survey_design(small, weight="w", replicate_weights=R3, replicate_type="JK1")
    factors = small.assign(w=small["w"] * 100, r1=[0.0, 0, 1.5, 1, 1, 1], r2=[1.5, 1.5, 0, 1, 1, 1],
                           r3=[1.0, 1, 1, 1.5, 1.5, 0])  # fmt: skip
    with pytest.warns(AnalysisWarning, match="look like replicate factors"):
        survey_design(factors, weight="w", replicate_weights=R3, replicate_type="JK1")


def test_small_jackknife_by_hand(small):
    # three PSUs {0,1}, {2}, {3,4,5}... as the docstring's design; JK1: (R-1)/R sum (theta_r - mean)^2
    design = survey_design(small, weight="w", replicate_weights=R3, replicate_type="JK1")
    reps = np.array([(small[c] * small["y"]).sum() for c in R3])
    res = survey_total(design, y="y").coefficients
    assert res["estimate"].item() == pytest.approx((small["w"] * small["y"]).sum(), rel=1e-14)
    assert res["se"].item() == pytest.approx(np.sqrt(2 / 3 * ((reps - reps.mean()) ** 2).sum()), rel=1e-14)
    assert design.df == 2


# ------------------------------------------------------------------------------------------------
# codebook: role replicate_weight and the design options
# ------------------------------------------------------------------------------------------------


def _write(tmp: Path, frame: pd.DataFrame, variables: str, design: str = "") -> Path:
    block = f"    design: {design}\n" if design else ""
    (tmp / "codebook.yaml").write_text(f"tables:\n  survey:\n    file: survey.csv\n{block}    variables:\n{variables}")
    frame.to_csv(tmp / "survey.csv", index=False)
    return tmp


def _variables(n_rep: int, prefix: str, extra: str = "") -> str:
    lines = ["      pw: {type: number, role: weight}", "      api00: {type: number}",
             "      stype: {type: categorical}"]  # fmt: skip
    lines += [f"      {prefix}_{i}: {{type: number, role: replicate_weight}}" for i in range(1, n_rep + 1)]
    return "\n".join(lines) + "\n" + extra


def test_codebook_design_matches_direct(tmp_path, files, designs):
    frame = files["pairs"][["pw", "api00", "stype", *_columns("pairs_jkn")["replicate_weights"]]]
    rscales = _columns("pairs_jkn")["rscales"]
    folder = _write(tmp_path, frame, _variables(16, "jkn"),
                    "{replicate_type: JKn, rscales: [" + ", ".join(repr(r) for r in rscales) + "]}")  # fmt: skip
    ds = load_dataset(folder)
    cols = ds.design_columns("survey")
    assert cols == {"weight": "pw", "replicate_weights": [f"jkn_{i}" for i in range(1, 17)], "replicate_type": "JKn",
                    "scale": None, "rscales": rscales, "rho": None, "mse": False}  # fmt: skip
    table = ds.table("survey")
    got = survey_mean(survey_design(table, **cols), y="api00").coefficients
    ref = survey_mean(designs["pairs_jkn"], y="api00").coefficients
    assert got["se"].item() == pytest.approx(ref["se"].item(), rel=1e-14)
    summary = design_summary(table, **cols).set_index("quantity")["value"]
    assert summary["design"] == "weight pw; 16 JKn replicate weights (jkn_1 ... jkn_16)"
    assert [summary["n_replicates"], summary["scale"], summary["df"], summary["mse"]] == [16, 1.0, 8, False]
    assert summary["rscales"] == f"{min(rscales):.6g} to {max(rscales):.6g}"
    assert "n_psu" not in summary.index and "lonely_psu" not in summary.index


def test_codebook_block_names_replicate_weights(tmp_path, files):
    frame = files["clus1"][["pw", "api00", "stype", *[f"jk1_{i}" for i in range(1, 16)]]]
    variables = _variables(0, "jk1") + "".join(f"      jk1_{i}: {{type: number}}\n" for i in range(1, 16))
    block = "{replicate_type: Fay, rho: 0.5, mse: true, replicate_weights: [" + \
        ", ".join(f"jk1_{i}" for i in range(1, 16)) + "]}"  # fmt: skip
    ds = load_dataset(_write(tmp_path, frame, variables, block))
    cols = ds.design_columns("survey")
    assert cols["replicate_weights"][-1] == "jk1_15" and cols["rho"] == 0.5 and cols["mse"] is True
    design = survey_design(ds.table("survey"), **cols)
    assert design.scale == pytest.approx(1 / (15 * 0.25), rel=1e-14)
    summary = design_summary(ds.table("survey"), **cols).set_index("quantity")["value"]
    assert summary["scale"] == pytest.approx(1 / (15 * 0.25), rel=1e-14) and summary["rscales"] == 1.0


@pytest.mark.parametrize(("extra", "design", "words"), [
    ("", "", ["replicate_type", "JK1, JKn"]),
    ("", "{replicate_type: JKn}", ["needs `rscales`"]),
    ("", "{replicate_type: JK1, rscales: [1, 1]}", ["2 values but there are 3"]),
    ("", "{replicate_type: BRR, scale: 0.5}", ["not used with replicate_type 'BRR'"]),
    ("", "{replicate_type: JK3}", ["`design.replicate_type` must be one of"]),
    ("", "{replicate_type: JK1, mse: 1}", ["`design.mse` must be true or false"]),
    ("      st: {type: integer, role: strata}\n", "{replicate_type: JK1}", ["replicate weights and role: strata"]),
    ("", "{replicate_type: JK1, lonely_psu: adjust}", ["`design.lonely_psu`", "Keep one"]),
])  # fmt: skip
def test_codebook_replicate_errors(tmp_path, small, extra, design, words):
    variables = ("      w: {type: number, role: weight}\n      y: {type: number}\n"
                 + "".join(f"      {c}: {{type: number, role: replicate_weight}}\n" for c in R3) + extra)  # fmt: skip
    (tmp_path / "codebook.yaml").write_text("tables:\n  survey:\n    file: survey.csv\n"
                                            + (f"    design: {design}\n" if design else "")
                                            + f"    variables:\n{variables}")  # fmt: skip
    small.to_csv(tmp_path / "survey.csv", index=False)
    with pytest.raises(CodebookError) as err:
        load_dataset(tmp_path)
    for word in words:
        assert word in str(err.value)


def test_codebook_replicate_needs_weight_and_numbers(tmp_path, small):
    reps = "".join(f"      {c}: {{type: number, role: replicate_weight}}\n" for c in R3)
    (tmp_path / "codebook.yaml").write_text("tables:\n  survey:\n    file: survey.csv\n    design: {replicate_type: "
                                            f"JK1}}\n    variables:\n      w: {{type: number}}\n{reps}")  # fmt: skip
    small[["w", *R3]].to_csv(tmp_path / "survey.csv", index=False)
    with pytest.raises(CodebookError, match="full-sample weight"):
        load_dataset(tmp_path)
    (tmp_path / "codebook.yaml").write_text("tables:\n  survey:\n    file: survey.csv\n    design: {rho: 0.5}\n"
                                            "    variables:\n      w: {type: number, role: weight}\n")  # fmt: skip
    with pytest.raises(CodebookError, match=r"`design\.rho` is an option of replicate weights"):
        load_dataset(tmp_path)
    bad = reps.replace("r2: {type: number", "r2: {type: categorical")
    (tmp_path / "codebook.yaml").write_text("tables:\n  survey:\n    file: survey.csv\n    design: {replicate_type: "
                                            "JK1}\n    variables:\n      w: {type: number, role: weight}\n"
                                            f"{bad}")  # fmt: skip
    with pytest.raises(CodebookError, match="'r2': a replicate weight must have type: number"):
        load_dataset(tmp_path)


def test_load_checks_replicate_values(tmp_path, small):
    # needs analysis.data.validate to check the replicate_weight role's values (design_roles)
    small.loc[3, "r2"] = -4.5
    variables = ("      w: {type: number, role: weight}\n      y: {type: number}\n"
                 + "".join(f"      {c}: {{type: number, role: replicate_weight}}\n" for c in R3))  # fmt: skip
    (tmp_path / "codebook.yaml").write_text("tables:\n  survey:\n    file: survey.csv\n    design: {replicate_type: "
                                            f"JK1}}\n    variables:\n{variables}")  # fmt: skip
    small[["w", "y", *R3]].to_csv(tmp_path / "survey.csv", index=False)
    ds = load_dataset(tmp_path)
    problems = ds.problems[["column", "row", "value", "problem"]].to_dict("records")
    assert problems == [{"column": "r2", "row": 4, "value": "-4.5",
                         "problem": "negative: a replicate weight must be >= 0"}]  # fmt: skip
    assert len(ds.table("survey")) == 5
