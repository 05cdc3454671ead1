"""APA formatting and the results/provenance written by every notebook run."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from analysis import load_dataset
from analysis.apa import apa_table, format_number
from analysis.report.notices import dataset_notice
from analysis.runner.records import start_run


@pytest.mark.parametrize(
    "value, column, expected",
    [
        (0.0004, "p_value", "&lt; .001"),
        (0.0234, "p_value", ".023"),
        (0.5, "p_value", ".500"),
        (-0.456, "r", "&minus;.46"),
        (1183, "n", "1,183"),
        (12.345, "pct_cells_missing", "12.3"),
        (3.0, "value", "3"),
        (12.79, "value", "12.79"),
        (float("nan"), "mean", "&ndash;"),
        (None, "mean", "&ndash;"),
        (-1.5, "skew", "&minus;1.50"),
        (61.6623, "mean", "61.66"),
        ("<b>", "variable", "&lt;b&gt;"),
    ],
)
def test_format_number(value, column, expected):
    assert format_number(value, column) == expected


def test_apa_table_html():
    table = pd.DataFrame({"variable": ["x_total", "<script>"], "n": [10, 2000], "mean": [1.234, np.nan],
                          "p_value": [0.00001, 0.2]})  # fmt: skip
    html = apa_table(table, title="Scores", number=2, note="A & B.", labels={"x_total": "X total"}).html
    assert "<strong>Table 2</strong>" in html and "<em>Scores</em>" in html
    assert "<th class=\"num\"><i>M</i></th>" in html and "<i>p</i>" in html
    assert "X total" in html and "x_total" not in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "2,000" in html and "1.23" in html and "&lt; .001" in html and "&ndash;" in html
    assert "<em>Note.</em> A &amp; B." in html


def test_dataset_notice_says_simulated(small_demo):
    html = dataset_notice(load_dataset(small_demo)).html
    assert "Simulated data." in html and "seed 1" in html and "survey.csv" in html


def test_run_writes_results_and_provenance(tmp_path, small_demo):
    ds = load_dataset(small_demo)
    run = start_run("00_test", output_dir=tmp_path / "out", data=str(small_demo), seed=5)
    run.add_input(ds)
    run.record("table", pd.DataFrame({"a": [1.5, np.nan], "b": ["x", "y"]}))
    run.record("n", np.int64(7))
    shown = run.finish().html
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert doc["results"] == {"table": [{"a": 1.5, "b": "x"}, {"a": None, "b": "y"}], "n": 7}
    prov = doc["provenance"]
    assert prov["seed"] == 5 and prov["parameters"]["data"] == str(small_demo)
    assert [i["table"] for i in prov["inputs"]] == ["survey", "diary", "codebook"]
    assert prov["inputs"][0]["sha256"] == ds.files[0].sha256 and prov["inputs"][0]["rows"] == ds.files[0].rows
    assert prov["packages"]["pandas"] == pd.__version__ and prov["packages"]["python"].startswith("3.11")
    assert "git_commit" in prov and prov["started_at"].endswith("+00:00")
    assert prov["run_time_s"] >= 0 and not math.isnan(prov["run_time_s"])
    assert "Provenance" in shown and ds.files[0].sha256 in shown


def test_text_formatters_follow_apa():
    from analysis.apa import apa_paragraph, format_ci, format_p, format_stat, format_value

    assert format_p(0.0234) == "p = .023"
    assert format_p(0.0004) == "p < .001"
    assert format_ci(0.0123, 0.534) == "95% CI [0.01, 0.53]"
    assert format_ci(-0.5, 0.25, level=0.90, decimals=3) == "90% CI [\u22120.500, 0.250]"
    assert format_stat("b", -0.2413) == "b = \u22120.24"
    assert format_stat("r", 0.456, bounded=True) == "r = .46"
    assert format_value(-0.001) == "0.00"  # no negative zero
    assert format_value(float("nan")) == "NA"
    assert apa_paragraph("A <b>.", "B.").html == '<p class="apa-text">A &lt;b&gt;. B.</p>'


def test_format_number_never_prints_negative_zero():
    assert format_number(-0.0004, "delta_cfi", 3) == "0.000"
    assert format_number(-0.0006, "delta_cfi", 3) == "&minus;0.001"


def test_leading_zero_is_dropped_only_from_a_leading_zero():
    """APA 7 (6.36): no leading zero for values that cannot exceed 1; other digits untouched."""
    from analysis.apa import format_number, format_p, format_value

    assert format_value(0.25, bounded=True) == ".25" and format_value(-0.25, bounded=True) == "\u2212.25"
    assert format_value(10.5, bounded=True) == "10.50"  # was "1.50"
    assert format_number(-0.5, "r") == "&minus;.50" and format_number(12.5, "r") == "12.50"
    assert format_number(0.034, "p_value") == ".034"
    assert format_p(pd.NA) == "p = NA"
