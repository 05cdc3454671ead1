"""Sample-design roles in the codebook (issue 17, data layer): `weight`, `strata`, `psu`, `fpc`, the
table's `design` block, their checks at load (problems and the ledger), `Dataset.design_columns`,
drafting, `design_summary` and the data-quality report's "Sample design" section.

Reference values: R 4.x on the shared GSS files (weights as read by `read.csv`; the panel rows with a
`wtpannr123` weight, as tests/reference/survey.R selects them)::

    w <- gss$wtssall; n <- length(w)
    c(n, sum(w), min(w), max(w), sqrt(mean((w - mean(w))^2)) / mean(w), n * sum(w^2) / sum(w)^2,
      sum(w)^2 / sum(w^2))

and tests/reference/survey_designs.csv (n, PSUs, strata of R's svydesign objects).
"""

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from conftest import PROJECT_ROOT

from analysis import draft_codebook, load_dataset, survey_design, survey_mean
from analysis.data.design import design_summary
from analysis.exceptions import CodebookError
from analysis.runner.needs import unmet_needs

CODEBOOKS = PROJECT_ROOT / "studies" / "codebooks"
REFERENCE = PROJECT_ROOT / "tests" / "reference" / "survey_designs.csv"

# R (tests/reference/design_summary.R, its .Rout): n, sum(w), min, max, CV (population sd), Kish deff, effective n
R_WEIGHTS = {
    "gss_happy_1972_2006": (51020, 51019.989300000001, 0.42970000000000003, 6.4287000000000001,
                            0.43802242856915846, 1.1918636479296234, 42806.910076187341),
    "gss_panel_2006_2014": (11625, 11625.000000000004, 0.30720242869544695, 6.3229445741061179,
                            0.62694666063232796, 1.3930621152780271, 8344.9258094854467),
}  # fmt: skip


def _write(tmp: Path, variables: str, rows: str, design: str = "") -> Path:
    block = f"    design: {design}\n" if design else ""
    (tmp / "codebook.yaml").write_text(f"tables:\n  survey:\n    file: survey.csv\n{block}    variables:\n{variables}")
    (tmp / "survey.csv").write_text(rows)
    return tmp / "codebook.yaml"


VARS = """      id: {type: integer, role: id}
      w: {type: number, role: weight}
      st: {type: integer, role: strata}
      cl: {type: integer, role: psu}
      y: {type: number}
"""


# ------------------------------------------------------------------------------------------------
# codebook checks
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("variables", "design", "words"), [
    (VARS + "      w2: {type: number, role: weight}\n", "", ["only one column", "role: weight", "'w', 'w2'"]),
    (VARS.replace("w: {type: number", "w: {type: categorical"), "", ["'w'", "sampling weight", "type: number"]),
    (VARS.replace("role: strata}", "role: strata, stage: 2}"), "", ["'st'", "`stage`", "role: psu"]),
    (VARS.replace("role: psu}", "role: psu, stage: 0}"), "", ["'cl'", "`stage`", "whole number from 1"]),
    (VARS.replace("role: psu}", "role: psu, stage: 2}"), "", ["'cl'", "stages [2]", "stage: 1, 2"]),
    (VARS + "      f: {type: number, role: fpc}\n      f2: {type: number, role: fpc, stage: 2}\n", "",
     ["1 stage(s)", "2 fpc column(s)"]),
    (VARS, "{lonely_psu: drop}", ["table 'survey'", "`design.lonely_psu`", "'drop'", "adjust", "average"]),
    (VARS, "{nest: 'yes'}", ["table 'survey'", "`design.nest`", "true or false", "'yes'"]),
    (VARS, "{nested: true}", ["table 'survey'", "unknown key 'nested'", "nest, lonely_psu"]),
    (VARS, "{psu: id}", ["psu is given twice", "`design.psu`", "cl"]),
    (VARS.replace("role: psu}", "role: other}"), "{psu: cluster}", ["`design.psu`", "'cluster'"]),
])  # fmt: skip
def test_codebook_design_errors_name_table_key_and_value(tmp_path, variables, design, words):
    path = _write(tmp_path, variables, "id,w,st,cl,y\n1,1,1,1,1\n", design)
    with pytest.raises(CodebookError) as err:
        load_dataset(path)
    text = str(err.value)
    assert str(path) in text
    for word in words:
        assert word in text


# ------------------------------------------------------------------------------------------------
# values at load: problems and the ledger
# ------------------------------------------------------------------------------------------------
ROWS = "id,w,st,cl,y\n1,1.5,1,1,2\n2,0,1,2,3\n3,-2,1,2,4\n4,,2,3,5\n5,abc,2,4,6\n6,inf,2,4,7\n7,2,2,3,8\n8,1,1,1,1\n"


@pytest.mark.parametrize("strict", [False, True])
def test_invalid_weights_are_problems_and_excluded(tmp_path, strict):
    path = _write(tmp_path, VARS, ROWS, "{lonely_psu: adjust}")
    ds = load_dataset(path, strict=False) if not strict else None
    if strict:
        from analysis.data.validate import ValidationError

        with pytest.raises(ValidationError) as err:
            load_dataset(path, strict=True)
        problems, ledger = err.value.problems, err.value.ledger
    else:
        problems, ledger = ds.problems, ds.ledger
    got = problems[["file", "column", "row", "line", "id", "value", "problem"]].to_dict("records")
    file = str(tmp_path / "survey.csv")
    assert got == [
        {"file": file, "column": "w", "row": 2, "line": 3, "id": "2", "value": "0",
         "problem": "not positive: a sampling weight must be > 0"},
        {"file": file, "column": "w", "row": 3, "line": 4, "id": "3", "value": "-2",
         "problem": "not positive: a sampling weight must be > 0"},
        {"file": file, "column": "w", "row": 4, "line": 5, "id": "4", "value": "(missing)",
         "problem": "missing: every row needs its sampling weight"},
        {"file": file, "column": "w", "row": 5, "line": 6, "id": "5", "value": "abc", "problem": "not a number"},
        {"file": file, "column": "w", "row": 6, "line": 7, "id": "6", "value": "inf",
         "problem": "not a finite number"},
    ]  # fmt: skip
    assert set(problems["action"]) == {"row excluded (invalid_design)"}
    assert problems["fix"].str.contains("'w'").all()
    excluded = ledger[ledger["status"] == "excluded"]
    assert excluded["row"].tolist() == [2, 3, 4, 5, 6]
    assert set(excluded["reason"]) == {"invalid_design"}
    assert excluded["detail"].iloc[0] == "w: not positive: a sampling weight must be > 0"
    if not strict:
        assert ds.table()["id"].tolist() == [1, 7, 8]
        # the analysed rows fit survey_design as they are: rows 1, 8 (stratum 1, PSU 1), row 7 (stratum 2, PSU 3)
        design = survey_design(ds.table(), **ds.design_columns())
        assert design.info[["n", "n_strata", "n_psu", "n_lonely"]].iloc[0].tolist() == [3, 2, 2, 2]


def test_psu_in_two_strata_is_a_problem_unless_nested(tmp_path):
    rows = "id,w,st,cl,y\n1,1,1,1,1\n2,1,1,2,2\n3,1,2,1,3\n4,1,2,2,4\n5,1,2,3,5\n"
    ds = load_dataset(_write(tmp_path, VARS, rows, "{lonely_psu: remove}"))
    assert len(ds.problems) == 1 and ds.ledger["status"].eq("analysed").all()
    p = ds.problems.iloc[0]
    assert (p["column"], p["row"], p["value"]) == ("cl", 3, "1")
    assert "PSU 1 of 'cl' is in strata 1, 2 of 'st' (1 more PSUs are in more than one stratum)" in p["problem"]
    assert "design: {nest: true}" in p["fix"] and "'survey'" in p["fix"]
    with pytest.raises(Exception, match="nested in its stratum"):  # survey_design says the same when fitted
        survey_design(ds.table(), **ds.design_columns())
    nested = load_dataset(_write(tmp_path, VARS, rows, "{nest: true, lonely_psu: remove}"))
    assert nested.problems.empty
    assert nested.design_columns()["nest"] is True
    assert survey_design(nested.table(), **nested.design_columns()).info["n_psu"].iloc[0] == 5


def test_lonely_strata_reported_with_the_option(tmp_path):
    rows = "id,w,st,cl,y\n1,1,1,1,1\n2,1,1,2,2\n3,2,2,3,3\n4,2,2,3,4\n5,1,3,4,5\n"
    failing = load_dataset(_write(tmp_path, VARS, rows))
    assert failing.problems[["column", "row", "value"]].to_dict("records") == [
        {"column": "st", "row": 3, "value": "2"},
        {"column": "st", "row": 5, "value": "3"},
    ]
    p = failing.problems.iloc[0]
    assert "stratum 2 of 'st' has a single PSU" in p["problem"] and "lonely_psu: fail" in p["problem"]
    for option in ("remove", "adjust", "certainty", "average", "survey.lonely.psu"):
        assert option in p["fix"]
    with pytest.raises(Exception, match="single PSU"):
        survey_design(failing.table(), **failing.design_columns())
    adjusted = load_dataset(_write(tmp_path, VARS, rows, "{lonely_psu: adjust}"))
    assert adjusted.problems.empty
    summary = design_summary(adjusted.table(), **adjusted.design_columns()).set_index("quantity")["value"]
    assert (summary["n_lonely"], summary["lonely_psu"], summary["n_strata"], summary["n_psu"]) == (2, "adjust", 3, 4)


def test_certainty_stratum_with_fpc_is_not_lonely(tmp_path):
    variables = VARS + "      f: {type: number, role: fpc}\n"
    rows = "id,w,st,cl,y,f\n1,1,1,1,1,5\n2,1,1,2,2,5\n3,1,2,3,3,1\n4,1,2,3,4,1\n"
    ds = load_dataset(_write(tmp_path, variables, rows))
    assert ds.problems.empty  # stratum 2 is sampled whole (fpc = 1 PSU): no variance to estimate


def test_design_columns(tmp_path):
    assert load_dataset(_write(tmp_path, "      y: {type: number}\n", "y\n1\n")).design_columns() == {}
    variables = """      w: {type: number, role: weight}
      st: {type: integer, role: strata}
      school: {type: integer, role: psu, stage: 2}
      district: {type: integer, role: psu}
      f1: {type: number, role: fpc}
      f2: {type: number, role: fpc, stage: 2}
"""
    rows = "w,st,school,district,f1,f2\n" + "".join(f"1,{1 + d // 2},{s},{d},10,20\n" for d in range(4) for s in (1, 2))
    ds = load_dataset(_write(tmp_path, variables, rows, "{nest: true}"))
    assert ds.design_columns() == {"weight": "w", "strata": "st", "psu": ["district", "school"],
                                   "fpc": ["f1", "f2"], "nest": True, "lonely_psu": "fail"}  # fmt: skip
    design = survey_design(ds.table(), **ds.design_columns())
    assert design.psu == ["district", "school"] and design.fpc == ["f1", "f2"]


def test_design_summary_small_example_by_hand():
    data = pd.DataFrame({"w": [1.0, 1, 2, 4], "st": [1, 1, 2, 2], "cl": [1, 2, 3, 3]})
    out = design_summary(data, weight="w", strata="st", psu="cl", lonely_psu="adjust").set_index("quantity")["value"]
    # sum w = 8, sum w^2 = 22: Kish deff = 4 * 22 / 64 = 1.375, effective n = 64 / 22
    assert out["kish_deff"] == pytest.approx(1.375, rel=1e-14)
    assert out["weight_cv"] == pytest.approx(math.sqrt(0.375), rel=1e-14)
    assert out["n_effective"] == pytest.approx(64 / 22, rel=1e-14)
    assert out["design"] == "weight w; strata st; PSU cl"
    unweighted = design_summary(data, strata="st").set_index("quantity")["value"]
    assert "kish_deff" not in unweighted and unweighted["n_psu"] == 4


# ------------------------------------------------------------------------------------------------
# the shared GSS files
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(R_WEIGHTS))
def test_gss_design_summary_matches_r(shared_data, name):
    ds = load_dataset(CODEBOOKS / f"{name}.yaml")
    data = ds.table()
    out = design_summary(data, **ds.design_columns()).set_index("quantity")["value"]
    n, total, low, high, cv, deff, n_eff = R_WEIGHTS[name]
    assert out["n"] == n
    for key, ref in [("sum_weights", total), ("weight_min", low), ("weight_max", high), ("weight_cv", cv),
                     ("kish_deff", deff), ("n_effective", n_eff)]:  # fmt: skip
        assert out[key] == pytest.approx(ref, rel=1e-12), key
    ref = pd.read_csv(REFERENCE).set_index("design").loc["gss" if name.startswith("gss_happy") else "gss_panel"]
    assert (out["n"], out["n_psu"], out["n_strata"]) == (ref["n"], ref["n_psu"], ref["n_strata"])
    survey_mean(survey_design(data, **ds.design_columns()), y="age")  # the codebook's design fits as it is


def test_gss_panel_codebook_design(shared_data):
    ds = load_dataset(CODEBOOKS / "gss_panel_2006_2014.yaml")
    assert ds.design_columns() == {"weight": "wtpannr123", "strata": "panel", "psu": "firstid", "fpc": None,
                                   "nest": True, "lonely_psu": "fail"}  # fmt: skip
    excluded = ds.ledger[ds.ledger["status"] == "excluded"]
    assert len(excluded) == 6576 and set(excluded["reason"]) == {"invalid_design"}  # SOURCE.md: 6,576 empty
    assert set(ds.problems["problem"]) == {"missing: every row needs its sampling weight"}


def test_drafting_proposes_design_roles(shared_data, tmp_path):
    gss = draft_codebook(shared_data / "gss_happy_1972_2006" / "data.csv")
    assert gss["tables"]["data"]["variables"]["wtssall"]["role"] == "weight"
    panel = draft_codebook(shared_data / "gss_panel_2006_2014" / "data.csv")["tables"]["data"]["variables"]
    weights = {c: v.get("role") for c, v in panel.items() if c.startswith("wtpan")}
    assert weights == {"wtpan12": "weight", "wtpan123": None, "wtpannr12": None, "wtpannr123": None}
    frame = pd.DataFrame({"vstrat": [1, 1, 2, 2], "vpsu": [1, 2, 1, 2], "finalwt": [1.5, 2, 0.5, 1], "y": [1, 2, 3, 4]})
    frame.to_csv(tmp_path / "d.csv", index=False)
    roles = {c: v.get("role") for c, v in draft_codebook(tmp_path / "d.csv")["tables"]["data"]["variables"].items()}
    assert roles == {"vstrat": "strata", "vpsu": "psu", "finalwt": "weight", "y": None}


def test_design_need_and_section(shared_data, small_demo, tmp_path):
    demo = load_dataset(small_demo)
    assert unmet_needs(("design",), demo, {}) == [
        "a sample design (a variable with role: weight, strata, psu, fpc or replicate_weight) in table 'survey'; "
        "without one every estimate is unweighted"]  # fmt: skip
    from analysis.runner.cli import main

    code = main(["run", "--data", str(CODEBOOKS / "gss_happy_1972_2006.yaml"), "--only", "00_data_quality",
                 "--out", str(tmp_path)])  # fmt: skip
    assert code == 0
    results = json.loads((tmp_path / "00_data_quality" / "results.json").read_text())
    assert "design" not in results["not_applicable"]
    html = (tmp_path / "00_data_quality.html").read_text()
    assert "Sample design (analysed rows)" in html and "weight wtssall; no strata; each row its own PSU" in html
    assert "1.19" in html  # Kish's design effect, 1.1919 in R
