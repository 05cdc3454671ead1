"""APA formatting and the results/provenance written by every notebook run."""

import json
import math
import platform
from pathlib import Path

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
    assert [i["table"] for i in prov["inputs"]] == ["survey", "diary", "family", "codebook"]
    assert prov["inputs"][0]["sha256"] == ds.files[0].sha256 and prov["inputs"][0]["rows"] == ds.files[0].rows
    assert prov["packages"]["pandas"] == pd.__version__ and prov["packages"]["python"] == platform.python_version()
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
    assert format_value(-0.001) == "\u22120.001"  # rounding never hides a nonzero value
    assert format_value(-0.0) == "0.00" and format_value(-1e-8, 3) == "> \u22120.000001"  # no negative zero
    assert format_value(float("nan")) == "NA"
    assert apa_paragraph("A <b>.", "B.").html == '<p class="apa-text">A &lt;b&gt;. B.</p>'


def test_format_number_never_prints_negative_zero_nor_hides_a_value():
    assert format_number(-0.0, "delta_cfi", 3) == ".000"
    assert format_number(-0.0004, "delta_cfi", 3) == "&minus;.0004"
    assert format_number(-0.0006, "delta_cfi", 3) == "&minus;.001"
    assert format_number(0.0004, "se") == "0.0004" and format_number(3e-9, "se") == "&lt; 0.00001"


def test_leading_zero_is_dropped_only_from_a_leading_zero():
    """APA 7 (6.36): no leading zero for values that cannot exceed 1; other digits untouched."""
    from analysis.apa import format_number, format_p, format_value

    assert format_value(0.25, bounded=True) == ".25" and format_value(-0.25, bounded=True) == "\u2212.25"
    assert format_value(10.5, bounded=True) == "10.50"  # was "1.50"
    assert format_number(-0.5, "r") == "&minus;.50" and format_number(12.5, "r") == "12.50"
    assert format_number(0.034, "p_value") == ".034"
    assert format_p(pd.NA) == "p = NA"


# ------------------------------------------------------------------------------------------------
# The correlation matrix table (analysis.report.tables.correlation_matrix_table)
# ------------------------------------------------------------------------------------------------
def _matrix_cells(html: str) -> list[list[str]]:
    import re

    body = html.split("<tbody>")[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]


def test_correlation_matrix_table_cells_match_the_pairs():
    from analysis.data.overview import correlation_pairs
    from analysis.report.tables import correlation_matrix_table

    rng = np.random.default_rng(3)
    data = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    data["c"] += 0.5 * data["a"] - 0.3 * data["b"]
    data.loc[:9, "b"] = np.nan  # b has 110 values: n differs between pairs
    cols = ["c", "a", "b"]
    pairs = correlation_pairs(data, columns=cols, ci=0.9)
    html = correlation_matrix_table(pairs, columns=cols, labels={"a": "Anxiety <A>"}, number=4, title="Scores").html
    rows = _matrix_cells(html)
    # rows: 1. c | 2. a, then its CI row | 3. b, then its CI row
    assert [r[0] for r in rows] == ["1. c", "2. Anxiety &lt;A&gt;", "", "3. b", ""]
    assert rows[0][1:] == ["&mdash;", "", ""] and rows[1][2:] == ["&mdash;", ""] and rows[3][3] == "&mdash;"
    get = {frozenset((x, y)): (r, lo, hi, p) for x, y, r, lo, hi, p in
           pairs[["x", "y", "r", "ci_low", "ci_high", "p_value"]].itertuples(index=False)}  # fmt: skip

    def shown(v):  # r as APA writes it: two decimals, no leading zero, real minus sign
        return f"{v:.2f}".replace("0.", ".").replace("-", "&minus;")

    for row, ci_row, name in ((rows[1], rows[2], "a"), (rows[3], rows[4], "b")):
        for j, other in enumerate(cols[: cols.index(name)]):
            r, lo, hi, p = get[frozenset((name, other))]
            stars = "**" if p < 0.01 else "*" if p < 0.05 else ""
            assert row[j + 1] == shown(r) + stars
            assert ci_row[j + 1] == f"[{shown(lo)},&nbsp;{shown(hi)}]"
    assert "**" in rows[1][1]  # c with a: r about .5
    assert "<strong>Table 4</strong><br><em>Scores</em>" in html
    assert "<i>n</i> = 110 to 120 per pair" in html and "90% confidence intervals" in html
    assert "* <i>p</i> &lt; .05. ** <i>p</i> &lt; .01" in html


def test_correlation_matrix_table_small_and_wrong_inputs():
    from analysis.data.overview import correlation_pairs
    from analysis.exceptions import ParameterError
    from analysis.report.tables import correlation_matrix_table

    data = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [2.0, 1, 4, 3, 5], "c": [1.0, 1, 2, 2, 3]})
    pairs = correlation_pairs(data, columns=["a", "b"])
    html = correlation_matrix_table(pairs, columns=["a", "b"]).html
    assert "<i>n</i> = 5)" in html and "95% confidence intervals" in html
    one = correlation_matrix_table(pairs, columns=["a"], labels={"a": "Age"}, number=2).html
    assert "one variable (Age), so nothing to correlate" in one and "<table" not in one and "Table 2" in one
    assert "no variables" in correlation_matrix_table(pairs, columns=[]).html
    with pytest.raises(ParameterError, match="no row for 'c' and 'a'"):
        correlation_matrix_table(pairs, columns=["a", "b", "c"])


def test_correlation_matrix_table_on_hcmst(shared_data):
    from analysis.data.overview import correlation_pairs
    from analysis.report.tables import correlation_matrix_table

    ds = load_dataset(Path(__file__).resolve().parents[1] / "studies" / "codebooks" / "hcmst_2022.yaml")
    cols = ["subject_age", "relationship_duration", "children"]
    html = correlation_matrix_table(correlation_pairs(ds.table(), columns=cols), columns=cols,
                                    labels=ds.display_labels()).html  # fmt: skip
    assert "1. Respondent age in years" in html and "2. Relationship duration in years" in html
    assert "<i>n</i> = 1,292 to 1,328 per pair" in html  # relationship_duration: 36 missing


# ------------------------------------------------------------------------------------------------
# Figures: labels, value labels and the text description
# ------------------------------------------------------------------------------------------------
def test_by_group_shows_labels_and_value_labels():
    import matplotlib.pyplot as plt

    from analysis.report.figures import by_group

    data = pd.DataFrame({"sat": [1.0, 2, 3, 4, 5, 6], "g": [1, 2, 1, 2, 1, 2]})
    fig = by_group(data, columns=["sat"], groups=["g"], labels={"sat": "Satisfaction", "g": "Gender"},
                   value_labels={"g": {1: "man", 2: "woman"}})  # fmt: skip
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Gender", "Satisfaction")
    assert sorted(t.get_text() for t in ax.get_xticklabels()) == ["man", "woman"]
    assert fig.get_label() == "Box plots of Satisfaction by Gender."
    plt.close(fig)
    fig = by_group(data, columns=["sat"], groups=["g"])  # default: names and values as they are
    assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == ("g", "sat")
    assert sorted(t.get_text() for t in fig.axes[0].get_xticklabels()) == ["1", "2"]
    plt.close(fig)


def test_diary_trajectories_labels_partner_values():
    import matplotlib.pyplot as plt

    from analysis.report.figures import diary_trajectories

    diary = pd.DataFrame({"couple": np.repeat([1, 2], 6), "who": np.tile(np.repeat([1, 2], 3), 2),
                          "day": np.tile([1, 2, 3], 4), "close": np.arange(12, dtype=float)})  # fmt: skip
    fig = diary_trajectories(diary, y="close", day="day", dyad="couple", partner="who", n_dyads=2, seed=1,
                             labels={"close": "Closeness", "who": "Partner"},
                             value_labels={"who": {1: "man", 2: "woman"}})  # fmt: skip
    legend = fig.legends[0]
    assert legend.get_title().get_text() == "Partner"
    assert sorted(t.get_text() for t in legend.get_texts()) == ["man", "woman"]
    assert "Closeness" in [a.get_ylabel() for a in fig.axes]
    assert fig.get_label().startswith("Line plots of Closeness by day for both partners of 2 couples")
    plt.close(fig)


def test_every_simple_figure_has_a_text_description():
    import matplotlib.pyplot as plt

    from analysis.report import figures

    rng = np.random.default_rng(5)
    scores = pd.DataFrame(rng.normal(size=(40, 2)), columns=["anxiety", "avoidance"])
    labels = {"anxiety": "ECR-S anxiety", "avoidance": "ECR-S avoidance"}
    styles = pd.Series(np.where(scores["anxiety"] > 0, "preoccupied", "secure"), index=scores.index)
    styles.attrs.update(cut_anxiety=0.0, cut_avoidance=0.0, rule="median")
    members = pd.DataFrame({"profile": rng.integers(1, 3, 40)}, index=scores.index)
    made = [
        figures.score_distributions(scores, labels=labels),
        figures.correlation_heatmap(scores, labels=labels),
        figures.item_missingness(scores, instruments={"ecr_s": {"1": "anxiety", "2": "avoidance"}}),
        figures.careless_distributions(pd.DataFrame({"irv": rng.random(40)}), status=pd.Series(["analysed"] * 40)),
        figures.attachment_quadrants(scores, styles=styles, labels=labels),
        figures.profile_scatter(scores, x="avoidance", y="anxiety", membership=members, labels=labels),
    ]
    for fig in made:
        assert fig.get_label().endswith(".") and len(fig.get_label()) > 20
        plt.close(fig)
    assert "ECR-S anxiety against ECR-S avoidance" in made[4].get_label()
    assert made[4].axes[0].get_xlabel() == "ECR-S avoidance" and made[5].axes[0].get_ylabel() == "ECR-S anxiety"


def test_interaction_and_johnson_neyman_plots_take_labels():
    import matplotlib.pyplot as plt

    from analysis import moderation
    from analysis.report.figures import interaction_plot, johnson_neyman_plot

    rng = np.random.default_rng(1)
    data = pd.DataFrame({"x": rng.normal(size=150), "w": rng.normal(size=150), "z": rng.normal(size=150)})
    data["y"] = data["x"] * data["w"] + rng.normal(size=150)
    labels = {"x": "Practice", "w": "Anxiety", "y": "Satisfaction", "z": "Age"}
    fig = interaction_plot(moderation(data, x="x", w="w", z="z", y="y"), labels=labels)
    assert fig.axes[0].get_xlabel() == "Practice" and fig.axes[0].get_ylabel() == "predicted Satisfaction"
    assert fig.axes[0].get_title().startswith("Age = ")
    assert fig.axes[-1].get_legend().get_title().get_text() == "Anxiety"
    assert fig.get_label().endswith("one panel per value of Age.")
    plt.close(fig)
    mod = moderation(data, x="x", w="w", y="y")
    fig = interaction_plot(mod, x_label="X given", labels=labels)  # an explicit label wins
    assert fig.axes[0].get_xlabel() == "X given"
    plt.close(fig)
    fig = johnson_neyman_plot(mod, labels=labels)
    assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == ("Anxiety", "conditional effect of Practice")
    plt.close(fig)


def test_a_ratio_in_a_column_named_like_a_count_keeps_its_decimals():
    """Issue: the k ratio of the APIM printed as 0 (k is also the meta-analysis's count column)."""
    from analysis.apa import format_number

    assert format_number(0.72, "k") == "0.72" and format_number(3.0, "k") == "3" and format_number(12, "n") == "12"
