"""What issue 15 added to the reports, tested without a browser: the simulated-data statement in
results.json and on the index, callouts, the assumption-check and group-comparison tables, value
labels, the scorecard's CI level, and figures with alt text saved as PNG and SVG."""

import html
import json
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis import (
    callout,
    compare_groups,
    group_means,
    group_tests_table,
    load_dataset,
    model_checks_table,
    notes_callout,
    ols,
    post_hoc_table,
    simulated_notice,
    small_groups_callout,
)
from analysis.runner.records import SIMULATED_NOTE, start_run
from analysis.runner.render import write_index


def _cells(html: str) -> list[list[str]]:
    body = html.split("<tbody>")[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]


def test_results_json_and_index_say_simulated(tmp_path, small_demo):
    run = start_run("00_test", output_dir=tmp_path / "sim", seed=1)
    run.add_input(load_dataset(small_demo))
    run.finish()
    prov = json.loads((tmp_path / "sim" / "results.json").read_text())["provenance"]
    assert prov["simulated"] is True and prov["data_note"] == SIMULATED_NOTE
    real = start_run("00_real", output_dir=tmp_path / "real", seed=1)
    real.finish()
    prov = json.loads((tmp_path / "real" / "results.json").read_text())["provenance"]
    assert prov["simulated"] is False and "data_note" not in prov

    def entry(name, folder):
        return SimpleNamespace(name=name, status="succeeded", seconds=1.0, parameters={}, extra={}, error=None,
                               notebook=None, html=None, results=tmp_path / folder / "results.json")  # fmt: skip

    page = write_index([entry("00_test", "sim"), entry("00_real", "real")], tmp_path / "index.html").read_text()
    assert "<strong>Simulated data.</strong> 1 of 2 reports ran on the simulated demo survey" in page
    assert "test the toolkit, not the claims" in page and page.count("Simulated data.") == 2  # banner + its row
    page = write_index([entry("00_real", "real")], tmp_path / "index2.html").read_text()
    assert "Simulated data" not in page


def test_simulated_notice_and_callouts(small_demo):
    assert "these verdicts test the toolkit, not the claims" in simulated_notice(load_dataset(small_demo),
                                                                                  what="verdicts").html  # fmt: skip
    box = callout("Heywood case", "A <negative> variance.", "Refit.")
    assert box.html.startswith('<div class="callout warning" role="note"><strong>Heywood case</strong><ul>')
    assert "&lt;negative&gt;" in box.html and box.html.count("<li>") == 2
    assert callout("Nothing", "", "").html == ""
    table = pd.DataFrame({"instrument": ["a", "b", "c"],
                          "note": ["The estimation did not converge; estimates may be wrong.", None,
                                   "3 items: not testable"]})  # fmt: skip
    html = notes_callout(table, labels={"a": "Scale A"}).html
    assert "Scale A: The estimation did not converge" in html and "not testable" not in html


def test_model_checks_table_matches_the_diagnostics():
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"id": np.arange(100, 180), "x": rng.normal(size=80), "w": rng.normal(size=80)})
    data["y"] = 1 + data["x"] + rng.normal(size=80) * (1 + data["x"].abs())
    model = ols(data, "y ~ x + w", person="id")
    html = model_checks_table({"Main": model}, number=3).html
    row = _cells(html)[0]
    tests = model.diagnostics.tests.set_index("test")
    top = model.diagnostics.most_influential(1).iloc[0]
    assert row[0] == "Main" and row[1] == "80"
    assert row[2] == f"{tests.loc['breusch_pagan', 'statistic']:.2f}" and row[3] == "2"
    assert row[7] == f"{top['cooks_distance']:.2f}" and row[8] == str(int(top["person"]))
    assert "Breusch-Pagan &chi;&sup2;" in html and "Shapiro-Wilk <i>W</i>" in html


def test_group_tables_and_small_groups():
    rng = np.random.default_rng(6)
    data = pd.DataFrame({"g": [1] * 40 + [2] * 40 + [3] * 6, "y": rng.normal(size=86)})
    data.loc[data["g"] == 3, "y"] += 1.0
    res = compare_groups(data, y="y", group="g", labels={1: "woman", 2: "man", 3: "non-binary"})
    html = group_tests_table({("y", "g"): res}, labels={"y": "Anxiety", "g": "Gender"}).html
    row = _cells(html)[0]
    fit = res.fit.iloc[0]
    assert row[:5] == ["Anxiety", "Gender", "3", "86", "Welch&#x27;s ANOVA"]
    assert row[5] == f"{fit['statistic']:.2f}" and row[8] == f"{fit['p_value']:.3f}".lstrip("0")
    assert "<i>t</i> or <i>F</i>" in html
    pairs = _cells(post_hoc_table({("y", "g"): res}).html)
    assert len(pairs) == 3 and pairs[1][2:4] == ["woman", "non-binary"]
    assert "non-binary (n = 6)" in small_groups_callout({("y", "g"): res}, labels={"g": "Gender"}).html
    two = compare_groups(data[data["g"] < 3], y="y", group="g")
    assert "No grouping has more than two groups." in post_hoc_table({("y", "g"): two}).html


def test_group_means_use_value_labels():
    data = pd.DataFrame({"gender": [1.0, 2.0, 1.0, 3.0], "x": [1, 2, 3, 4]})
    out = group_means(data, columns=["x"], groups=["gender"], value_labels={"gender": {1: "woman", 2: "man"}})
    assert list(out["level"]) == ["woman", "man", "3"]


def test_profile_checks_flag_low_entropy():
    from analysis import latent_profiles

    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.normal(size=(300, 2)), columns=["anx", "avo"])
    res = latent_profiles(x, columns=["anx", "avo"], n_profiles=[1, 2], n_init=1, seed=1)
    assert res.n_profiles == 1 and res.checks() == []  # one profile: no entropy to worry about
    res2 = latent_profiles(x, columns=["anx", "avo"], n_profiles=[2], n_init=1, seed=1)
    assert any("below .80" in c for c in res2.checks())


def test_scorecard_ci_is_the_one_the_sentence_gives(small_demo):
    """Directional claims: the 90% CI (1 - 2 alpha) in the sentence and in the Verdicts table alike."""
    from analysis import load_study, scorecard

    card = scorecard(load_study(None, data=str(small_demo)), seed=1, n_boot=200)
    rows = card.verdicts[(card.verdicts["kind"] == "directional") & card.verdicts["ci_level"].notna()]
    level = "90%"
    row = rows.iloc[0]
    test = next(t for t in card.tests if t.claim.id == row["claim"] and t.dataset == row["dataset"])
    assert f"{level} CI" in test.sentence and f"{100 * row['ci_level']:g}%" == level
    low = test.numbers["ci_low"]
    assert row["ci_low"] == low
    html = card.table().html
    assert f"{level}&nbsp;[" in html or f"{level}\u00a0[" in html
    assert "(simulated)" in html and "Simulated data: these verdicts test the toolkit, not the claims." in html


def test_figures_carry_alt_text_into_the_report(suite_run):
    _, _, out = suite_run
    page = (out / "02_attachment_explorer.html").read_text(encoding="utf-8")
    alts = re.findall(r'<img[^>]*alt="([^"]*)"', page)
    assert alts and all(a.strip() and "No description" not in a for a in alts)
    shown = json.loads((out / "02_attachment_explorer" / "figures" / "figures.json").read_text())
    assert len(shown) == len(alts) and [f["alt"] for f in shown] == [html.unescape(a) for a in alts]
    for f in shown:
        for ext in ("png", "svg"):
            assert (out / "02_attachment_explorer" / "figures" / f"{f['file']}.{ext}").stat().st_size > 1000


def test_process_equations_are_the_process_models_equations(small_demo):
    """The OLS refits used for the assumption checks have PROCESS's estimates (same equations)."""
    from analysis import mediation, moderation, process_equations, score_dataset, standard_errors

    frame = score_dataset(load_dataset(small_demo))
    mod = moderation(frame, x="cpi_checkin", w="ecr_s_anxiety", y="csi_16_total", covariates=["ecr_s_avoidance"])
    refit = process_equations(frame, x="cpi_checkin", w="ecr_s_anxiety", y="csi_16_total",
                              covariates=["ecr_s_avoidance"])["Moderation"]  # fmt: skip
    np.testing.assert_allclose(sorted(refit.coefficients["estimate"]), sorted(mod.coefficients["estimate"]), rtol=1e-10)
    med = mediation(frame, x="cpi_disclosure", m=["prqc_trust"], y="csi_16_total", n_boot=100, seed=1)
    eqs = process_equations(frame, x="cpi_disclosure", m=["prqc_trust"], y="csi_16_total")
    paths = med.paths[med.paths["term"] == "cpi_disclosure"].set_index("outcome")["estimate"]
    got = {k: r.coefficients.set_index("term").loc["cpi_disclosure", "estimate"] for k, r in eqs.items()}
    assert got == pytest.approx({"Mediation: prqc_trust": paths["prqc_trust"],
                                 "Mediation: csi_16_total": paths["csi_16_total"]}, rel=1e-10)  # fmt: skip
    assert standard_errors("cluster", dyad=None) == {"robust": "HC3", "dyad": None}


def test_claim_details_say_which_ci_level_each_part_uses(small_demo):
    from analysis import load_study, scorecard

    card = scorecard(load_study(None, data=str(small_demo)), seed=1, n_boot=200)
    directional = sum(1 for t in card.tests if t.estimate is not None and "ci_low" in t.numbers)
    assert directional > 0
    assert card.details().html.count("the verdict and its sentence use the 90% CI") == directional
