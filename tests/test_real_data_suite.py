"""Every notebook over every real data set in ../shared/data, as a new user gets there: a codebook
drafted by `connlab codebook` and edited only as docs/codebook.md says (tests/codebooks/drafted/,
edits listed at the top of each), the data set's own columns passed as parameters
(`<set>.params.yaml`), then `connlab run`. Every notebook succeeds or is "not applicable" with what it
needs; none fails; no report shows a traceback, an exception or a stray warning; every row read is
analysed or listed as excluded. Skipped (with the reason) when ../shared is absent; CI requires it.
"""

import json
import re

import pytest
from conftest import PROJECT_ROOT

from analysis.runner.cli import main

DRAFTED = PROJECT_ROOT / "tests" / "codebooks" / "drafted"
SETS = sorted(p.stem for p in DRAFTED.glob("*.yaml") if not p.name.endswith(".params.yaml"))

#: notebooks that must run (not merely be not applicable) on each set, with its parameters file
MUST_RUN = {
    "acitelli_couples": {"03_connection_and_satisfaction", "04_dyadic_apim"},  # regression, mediation, APIM
    "aer_affairs_pt": {"03_connection_and_satisfaction"},
    "cook2000_three_person": {"08_family_srm"},  # the Social Relations Model on the family round robin
    "dysem_commitmentQ": {"01_psychometrics"},
    "dysem_dres": {"01_psychometrics", "03_connection_and_satisfaction"},
    "dysem_pnrqM": {"01_psychometrics"},
    "dysem_prqcQ": {"01_psychometrics", "03_connection_and_satisfaction"},
    "fair_affairs_redbook": {"03_connection_and_satisfaction"},
    "gss_happy_1972_2006": {"03_connection_and_satisfaction"},
    "gss_panel_2006_2014": {"03_connection_and_satisfaction"},
    "hcmst_2022": {"03_connection_and_satisfaction"},
    "kashy_diary": {"05_daily_diary"},  # the diary models on Kashy's own columns
    "openpsychometrics_ecr": {"01_psychometrics", "02_attachment_explorer"},
}
ALWAYS = {"00_data_quality", "00_overview", "06_replication_scorecard"}
RAW_ERROR = re.compile(r"Traceback \(most recent call last\)|\b\w+(Error|Exception|Warning): ")


@pytest.mark.parametrize("name", SETS)
def test_every_notebook_runs_or_says_what_it_needs(shared_data, tmp_path, monkeypatch, name):
    params = DRAFTED / f"{name}.params.yaml"
    monkeypatch.delenv("CONNLAB_DATA_ROOT")  # the codebooks name files in ../shared/data: allowed by the flag
    args = ["run", "--data", str(DRAFTED / f"{name}.yaml"), "--data-root", str(shared_data), "--out", str(tmp_path),
            "--jobs", "2"]
    assert main(args + (["--params", str(params)] if params.exists() else [])) == 0  # 1 if any notebook failed
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    statuses = dict(re.findall(r">(\d\d_\w+)(?:</a>)?</td><td class='status-[\w-]+'>([\w ]+)</td>", index))
    assert len(statuses) == 10 and set(statuses.values()) <= {"succeeded", "not applicable"}, statuses
    ran = {n for n, s in statuses.items() if s == "succeeded"}
    assert ALWAYS | MUST_RUN.get(name, set()) <= ran, statuses
    for nb in ran:
        html = (tmp_path / f"{nb}.html").read_text(encoding="utf-8")
        assert not RAW_ERROR.search(re.sub(r"<style.*?</style>", "", html, flags=re.S)), f"{nb}: raw error text"
    quality = json.loads((tmp_path / "00_data_quality" / "results.json").read_text(encoding="utf-8"))["results"]
    for table in {s["table"] for s in quality["flow"]}:  # every row read is analysed or excluded
        steps = [s for s in quality["flow"] if s["table"] == table]
        read = next(s["remaining"] for s in steps if s["step"] == "rows read")
        analysed = next(s["remaining"] for s in steps if s["step"] == "analysed")
        assert read == analysed + sum(s["excluded"] for s in steps)
    not_applicable = {n: s for n, s in statuses.items() if s == "not applicable"}
    for nb in not_applicable:  # the reason is on the index, in words
        assert re.search(rf">{nb}</td><td class='status-not-applicable'>not applicable</td>.*?needs ", index, re.S)
    _published_numbers(name, tmp_path)


def _results(folder, notebook):
    return json.loads((folder / notebook / "results.json").read_text(encoding="utf-8"))["results"]


def _published_numbers(name, folder):
    """Where the data set's SOURCE.md or an R fixture gives numbers, the reports built from the
    drafted codebook reproduce them."""
    if name == "acitelli_couples":  # Kenny's APIM: actor .4004, partner .2880; nlme anova chi2(4) = 7.2770528
        apim = {r["term"]: r["estimate"] for r in _results(folder, "04_dyadic_apim")["apim_indistinguishable"]}
        assert apim["other_pos_A"] == pytest.approx(0.4004231, abs=1e-6)
        assert apim["other_pos_P"] == pytest.approx(0.2879705, abs=1e-6)
        test = _results(folder, "04_dyadic_apim")["distinguishability_test"][1]
        assert test["statistic"] == pytest.approx(7.2770528, abs=1e-6) and test["df"] == 4
        # APIM mediation (Garcia's workshop, nlme::gls; tests/reference/apim_mediation.R): the wife's (-1)
        # actor-actor indirect effect of other_pos through tension on satisfaction, .165
        effects = _results(folder, "04_dyadic_apim")["apim_mediation_distinguishable"]
        wife = [r for r in effects if r["effect"] == "actor-actor" and str(r["role"]) == "-1"]
        assert len(wife) == 1 and wife[0]["estimate"] == pytest.approx(0.164876, abs=1e-5)
    if name == "hcmst_2022":  # SOURCE.md: relationship quality 5 / 28 / 105 / 504 / 686, poor to excellent
        counts = [r for r in _results(folder, "00_overview")["frequencies"] if r["variable"] == "relationship_quality"]
        assert [r["n"] for r in counts] == [5, 28, 105, 504, 686]
    if name == "openpsychometrics_ecr":  # SOURCE.md: avoidance mean 2.57 on the 1-5 scale
        dims = {r["variable"]: r for r in _results(folder, "02_attachment_explorer")["dimensions"]}
        assert dims["avoidance"]["mean"] == pytest.approx(2.57, abs=0.005)
