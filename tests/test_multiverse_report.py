"""The multiverse report: the specification curve figure (one point per fitted specification in
sorted order, its CI, the decision panel), the report's tables, where the report's multiverse comes
from (a spec file, a draft from the codebook, a finished `connlab multiverse` folder), and notebook
07 run by the suite on the demo data and on a real multiverse."""

from __future__ import annotations

import itertools
import json
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from conftest import PROJECT_ROOT

from analysis.exceptions import ParameterError
from analysis.report import figures
from analysis.report.multiverse import (
    decision_columns,
    multiverse_failures_table,
    multiverse_grid_table,
    multiverse_importance_table,
    multiverse_rules_table,
    multiverse_summary_table,
)

matplotlib.use("Agg")

DECISIONS = {"exclusions": ["none", "careless", "speeders"], "min_answered": ["0.5", "1"],
             "covariates": ["none", "age + relationship years"], "model": ["ols", "ordinal"]}  # fmt: skip


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _table(decisions=DECISIONS, seed=7) -> pd.DataFrame:
    """A specifications table as `MultiverseResult.specifications` has it: every combination, a few
    failed and declared incompatible, estimates drawn so that some are significant each way."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, combo in enumerate(itertools.product(*decisions.values())):
        est = float(rng.normal(0.05, 0.2))
        se = float(rng.uniform(0.04, 0.12))
        z = est / se
        p = float(2 * (1 - _normal_cdf(abs(z))))
        rows.append({"spec_id": f"{i:012x}", **dict(zip(decisions, combo, strict=True)), "estimate": est, "se": se,
                     "ci_low": est - 1.959964 * se, "ci_high": est + 1.959964 * se, "p_value": p,
                     "statistic": z, "n": 400, "status": "ok", "reason": ""})  # fmt: skip
    table = pd.DataFrame(rows)
    failed, incompatible = [3, 10], [5, 6, 7]
    table.loc[failed + incompatible, ["estimate", "se", "ci_low", "ci_high", "p_value", "statistic"]] = np.nan
    table.loc[failed, ["status", "reason"]] = ["failed", "model did not converge"]
    table.loc[incompatible, ["status", "reason"]] = ["incompatible", "incompatible: ordinal needs a ranked outcome"]
    return table


def _normal_cdf(z: float) -> float:
    from math import erf, sqrt

    return 0.5 * (1 + erf(z / sqrt(2)))


# ------------------------------------------------------------------------------ the figure
def test_the_curve_has_one_point_per_fitted_spec_in_sorted_order_with_its_ci():
    table = _table()
    fig = figures.specification_curve(table, effect_label="b of practices", decisions=DECISIONS)
    top, _ = fig.axes
    fitted = table[table["status"] == "ok"].sort_values("estimate", kind="mergesort").reset_index(drop=True)
    points = top.collections[-1].get_offsets()
    assert len(points) == len(fitted) == len(table) - 5
    np.testing.assert_array_equal(points[:, 0], np.arange(1, len(fitted) + 1))  # rank 1 = lowest estimate
    np.testing.assert_array_equal(points[:, 1], fitted["estimate"].to_numpy())
    assert np.all(np.diff(points[:, 1]) >= 0)
    intervals = top.collections[0].get_segments()  # one vertical line per spec, from ci_low to ci_high
    assert len(intervals) == len(fitted)
    for k, segment in enumerate(intervals):
        assert segment[0][0] == segment[1][0] == k + 1
        assert sorted([segment[0][1], segment[1][1]]) == [fitted["ci_low"][k], fitted["ci_high"][k]]
    colors = top.collections[-1].get_facecolors()
    positive = (fitted["p_value"] < 0.05) & (fitted["estimate"] > 0)
    negative = (fitted["p_value"] < 0.05) & (fitted["estimate"] < 0)
    assert positive.sum() > 0 and negative.sum() > 0 and (~positive & ~negative).sum() > 0  # all three kinds
    blue, red = matplotlib.colors.to_rgba("#1f5fa8"), matplotlib.colors.to_rgba("#b2182b")
    assert [tuple(c) == blue for c in colors] == positive.tolist()
    assert [tuple(c) == red for c in colors] == negative.tolist()
    median = [line.get_ydata()[0] for line in top.get_lines() if line.get_linestyle() == "--"]
    assert median == [pytest.approx(fitted["estimate"].median())]
    assert "2 failed and 3 incompatible, not shown" in top.get_title()
    assert top.get_ylabel() == "Estimate: b of practices"
    alt = fig.get_label()
    assert alt.startswith(f"Specification curve of {len(fitted)} fitted specifications: estimates of b of practices")
    assert f"{positive.sum()} significantly positive and {negative.sum()} significantly negative" in alt


@pytest.mark.parametrize("n_specs", [48, 240])  # marks (k <= 150) and ticks (larger grids)
def test_the_decision_panel_marks_the_option_each_spec_used(n_specs):
    decisions = dict(DECISIONS) if n_specs == 48 else {**DECISIONS, "subset": ["all", "married", "dating",
                                                                                 "cohabiting", "women"]}  # fmt: skip
    table = _table(decisions)
    fig = figures.specification_curve(table, decisions=decisions, labels={"min_answered": "Items answered"},
                                      value_labels={"model": {"ols": "OLS"}})  # fmt: skip
    panel = fig.axes[1]
    labels = [t.get_text() for t in panel.get_yticklabels()]
    expected = []
    for name, options in decisions.items():
        expected += [{"min_answered": "Items answered"}.get(name, name)] + [f"  {'OLS' if o == 'ols' else o}"
                                                                           for o in options]  # fmt: skip
    assert labels == expected  # a bold row per decision, then its options, in spec order
    bold = [t.get_text() for t in panel.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == [{"min_answered": "Items answered"}.get(n, n) for n in decisions]
    fitted = table[table["status"] == "ok"].sort_values("estimate", kind="mergesort").reset_index(drop=True)
    rank = {sid: k + 1 for k, sid in enumerate(fitted["spec_id"])}
    rows = [(name, option) for name, options in decisions.items() for option in [None, *options]]
    y_of = dict(zip(rows, panel.get_yticks(), strict=True))
    marks: dict[float, set] = {}
    for artist in panel.collections:
        if isinstance(artist, matplotlib.collections.PathCollection):  # square marks
            for x, y in artist.get_offsets():
                marks.setdefault(float(y), set()).add(float(x))
        elif isinstance(artist, matplotlib.collections.LineCollection):  # short vertical ticks
            for seg in artist.get_segments():
                marks.setdefault(float(np.mean([seg[0][1], seg[1][1]])), set()).add(float(seg[0][0]))
    for name, options in decisions.items():
        for option in options:
            used = {float(rank[s]) for s in fitted.loc[fitted[name] == option, "spec_id"]}
            assert used and marks.get(float(y_of[(name, option)]), set()) == used, (name, option)
        assert float(y_of[(name, None)]) not in marks  # the decision's own row has no marks
    assert sum(len(v) for v in marks.values()) == len(fitted) * len(decisions)  # one mark per spec and decision


def test_the_curve_reads_a_result_and_says_what_is_wrong():
    table = _table()

    result = SimpleNamespace(specifications=table, decisions=list(DECISIONS),
                             parameters={"effect": "practices -> satisfaction", "ci": 0.9})  # as MultiverseResult
    fig = figures.specification_curve(result)
    assert fig.axes[0].get_ylabel() == "Estimate: practices ->\nsatisfaction"  # wrapped to the panel's height
    assert "90% CIs" in fig.axes[0].get_title() and "p < .10" in fig.get_label()
    fitted = table[table["status"] == "ok"]
    n_pos = int(((fitted["p_value"] < 0.1) & (fitted["estimate"] > 0)).sum())
    assert f"{n_pos} significantly positive" in fig.get_label()
    assert decision_columns(table) == list(DECISIONS)
    with pytest.raises(ParameterError, match=r"no column.*ci_low"):
        figures.specification_curve(table.drop(columns="ci_low"))
    with pytest.raises(ParameterError, match=r"'weights'.*not columns"):
        figures.specification_curve(table, decisions=["weights"])
    with pytest.raises(ParameterError, match="no specification was fitted"):
        figures.specification_curve(table.assign(status="failed"))
    with pytest.raises(ParameterError, match="multiverse result"):
        figures.specification_curve([1, 2])


def test_decision_importance_bars_largest_first_rest_last():
    share = pd.DataFrame({"decision": ["model", "outcome", "(interactions and residual)", "covariates"],
                          "share": [0.2, 0.7, 0.0996, 0.0004], "n_options": [2, 2, 0, 2]})  # fmt: skip
    fig = figures.decision_importance(share, labels={"outcome": "Outcome measure"})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Outcome measure", "model", "covariates",
                                                             "(interactions and residual)"]  # fmt: skip
    widths = sorted((p.get_y(), p.get_width()) for p in ax.patches)
    assert [w for _, w in widths][::-1] == pytest.approx([70, 20, 0.04, 9.96])
    assert "Outcome measure 70.0%" in fig.get_label() and "covariates < 0.1%" in fig.get_label()
    assert figures.decision_importance(share.iloc[:0]) is None
    assert multiverse_importance_table(share)["decision"].tolist() == ["outcome", "model", "covariates",
                                                                      "(interactions and residual)"]  # fmt: skip
    assert multiverse_importance_table(share)["pct_of_variance"].tolist() == pytest.approx([70, 20, 0.04, 9.96])


# ------------------------------------------------------------------------------ the tables
def test_report_tables_count_every_specification():
    table = _table()
    grid = multiverse_grid_table(table, DECISIONS)
    assert grid["decision"].tolist() == [d for d, opts in DECISIONS.items() for _ in opts]
    for _, rows in grid.groupby("decision"):
        assert rows["specifications"].sum() == len(table)
        assert rows["fitted"].sum() == 19 and rows["failed"].sum() == 2 and rows["incompatible"].sum() == 3
    row = grid[(grid["decision"] == "exclusions") & (grid["option"] == "none")].iloc[0]
    assert row["specifications"] == 8 and row["failed"] == 1 and row["incompatible"] == 3  # rows 3, 5, 6, 7
    assert multiverse_grid_table(table)["option"].tolist() == grid["option"].tolist()  # order: first appearance
    rules = multiverse_rules_table(table)
    assert rules.to_dict("records") == [{"rule": "incompatible: ordinal needs a ranked outcome", "specifications": 3}]
    assert multiverse_rules_table(table.assign(status="ok")).empty
    failures = multiverse_failures_table(table)
    assert failures.columns.tolist() == ["spec_id", *DECISIONS, "reason"]
    assert failures["spec_id"].tolist() == ["000000000003", "00000000000a"]
    with pytest.raises(ParameterError, match="'weights'"):
        multiverse_grid_table(table, ["weights"])
    with pytest.raises(ParameterError, match="status"):
        multiverse_rules_table(table.drop(columns="status"))


# ------------------------------------------------------------------------------ the report's multiverse
def test_the_report_multiverse_comes_from_a_spec_a_draft_or_a_finished_run(small_demo, tmp_path):
    from analysis.claims.multiverse import draft_multiverse, read_multiverse, run_multiverse
    from analysis.runner.multiverse_report import multiverse_for_report

    drafted = multiverse_for_report(data=str(small_demo), resamples=4)
    direct = run_multiverse(read_multiverse(draft_multiverse(small_demo)), resamples=4)
    pd.testing.assert_frame_equal(drafted.specifications, direct.specifications)
    pd.testing.assert_frame_equal(drafted.inference, direct.inference)
    assert drafted.parameters["resamples"] == 4 and drafted.parameters["seed"] == direct.parameters["seed"]
    assert multiverse_for_report(data=str(small_demo), resamples=4, seed=9).parameters["seed"] == 9
    with pytest.raises(ParameterError, match="No multiverse"):
        multiverse_for_report()
    with pytest.raises(ParameterError, match="is not a folder"):
        multiverse_for_report(results=str(tmp_path / "nowhere"))
    with pytest.raises(ParameterError, match="resamples"):
        multiverse_for_report(data=str(small_demo), resamples=-1)


def test_a_finished_dask_run_is_shown_as_it_was_computed(small_demo, tmp_path):
    """`results` loads what `connlab multiverse` stored (here on an in-process Dask client): the same
    table and inference as fitting in this process, nothing refitted."""
    from distributed import Client

    from analysis.claims.multiverse import draft_multiverse, run_multiverse
    from analysis.runner.distributed import run_multiverse_on_dask
    from analysis.runner.multiverse_report import multiverse_for_report

    spec = draft_multiverse(small_demo)
    spec["effect"]["predictor"] = spec["decisions"].pop("predictor")["options"][0]  # a smaller grid: 24 specs
    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0") as client:
        run_multiverse_on_dask(spec, out_dir=tmp_path / "run", resamples=3, seed=5, client=client,
                               progress=lambda *a: None)  # fmt: skip
    loaded = multiverse_for_report(results=str(tmp_path / "run"))
    direct = run_multiverse(spec, resamples=3, seed=5)
    pd.testing.assert_frame_equal(loaded.specifications, direct.specifications)
    pd.testing.assert_frame_equal(loaded.inference, direct.inference)
    assert loaded.parameters["seed"] == 5 and loaded.parameters["resamples"] == 3


# ------------------------------------------------------------------------------ notebook 07
def test_notebook_07_renders_the_multiverse_of_the_demo(small_demo, tmp_path):
    from analysis.claims.multiverse import draft_multiverse, run_multiverse
    from analysis.runner.suite import run_suite

    runs = run_suite(only=["07"], data=str(small_demo), out_dir=tmp_path, overrides=["resamples=6", "seed=3"],
                     progress=lambda line: None)  # fmt: skip
    assert [(r.name, r.status, r.error) for r in runs] == [("07_multiverse", "succeeded", None)]
    doc = json.loads((tmp_path / "07_multiverse" / "results.json").read_text(encoding="utf-8"))
    results = doc["results"]
    direct = run_multiverse(draft_multiverse(small_demo), resamples=6, seed=3)
    table = pd.DataFrame(results["specifications"])
    assert len(table) == len(direct.specifications) == results["summary"][0]["n_specifications"]
    assert table["spec_id"].tolist() == direct.specifications["spec_id"].tolist()
    np.testing.assert_array_equal(table["estimate"].to_numpy(float), direct.specifications["estimate"].to_numpy())
    np.testing.assert_array_equal(table["ci_high"].to_numpy(float), direct.specifications["ci_high"].to_numpy())
    assert [r["p_value"] for r in results["inference"]] == direct.inference["p_value"].tolist()
    assert results["multiverse"]["resamples"] == 6 and results["multiverse"]["seed"] == 3
    shares = multiverse_summary_table(direct).iloc[0]
    assert results["summary"][0]["share_significant_positive"] * 100 == shares["pct_significant_positive"]
    assert results["multiverse"]["data_hash"] == direct.parameters["data_hash"]
    assert sum(r["specifications"] for r in results["grid"] if r["decision"] == "outcome") == len(table)
    assert doc["provenance"]["inputs"][0]["path"].startswith(str(small_demo))
    shown = json.loads((tmp_path / "07_multiverse" / "figures" / "figures.json").read_text(encoding="utf-8"))
    assert shown[0]["alt"].startswith(f"Specification curve of {len(table)} fitted specifications")
    assert shown[1]["alt"].startswith("Horizontal bars of the share of the variance")
    html = (tmp_path / "07_multiverse.html").read_text(encoding="utf-8")
    assert "Specification curve inference under the null" in html and "Traceback" not in html
    assert "The outcome and the predictor were standardized" in html  # the draft's outcomes differ in scale


def test_notebook_07_on_the_gss_multiverse(shared_data, tmp_path, monkeypatch):
    """The real multiverse of the issue ("married people are happier", GSS 1972-2006) rendered by the
    suite from its spec file (two resamples, for time: the inference itself is tested in
    test_specification_inference)."""
    from analysis.runner.suite import run_suite

    spec = PROJECT_ROOT / "studies" / "multiverse" / "gss_married_happier.yaml"
    if not spec.exists():
        pytest.skip(f"{spec} is not written yet")
    runs = run_suite(only=["07"], out_dir=tmp_path, overrides=[f"spec={spec}", "resamples=2"],
                     progress=lambda line: None)  # fmt: skip
    assert [(r.name, r.status, r.error) for r in runs] == [("07_multiverse", "succeeded", None)]
    results = json.loads((tmp_path / "07_multiverse" / "results.json").read_text(encoding="utf-8"))["results"]
    table = pd.DataFrame(results["specifications"])
    assert (table["status"] == "ok").sum() >= 0.5 * len(table)  # most of the grid fits
    assert set(table["status"]) <= {"ok", "failed", "incompatible"}
    assert results["multiverse"]["spec"] == str(spec) and results["multiverse"]["resamples"] == 2
    assert [r["resamples"] for r in results["inference"]] == [2, 2, 2]
