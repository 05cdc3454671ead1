"""Rendered reports as a reader sees them: headless Chromium, no console errors, no network, and none
of the presentation defects a reviewer sees (tests/page_checks.js, at 1200 and 800 px): a word broken
across lines in a table cell, a table of only headers, a figure without alt text. Reports of the
simulated demo say so plainly; reports of real data do not.

Full-page screenshots of every report (both widths) are kept in $CONNLAB_SCREENSHOTS when set,
otherwise in a temporary folder; the folder is named in the output and in every failure message.
"""

import os
import re
from pathlib import Path

import pytest
from chromium import Chromium, find_chromium
from conftest import PROJECT_ROOT

from analysis.runner.cli import main

NOTEBOOKS = sorted(p.stem for p in (PROJECT_ROOT / "notebooks").glob("*.ipynb"))
PAGES = ["index.html"] + [f"{nb}.html" for nb in NOTEBOOKS]
#: the statement that the data are simulated: a paragraph (or the first cell of a row) that opens with
#: "Simulated data" (not a mention like "this part needs simulated data" or "5 simulated data sets")
SIMULATED = re.compile(r"^[ \t]*simulated data\b", re.IGNORECASE | re.MULTILINE)
#: ... and what it means for the verdicts (scorecard and index): "Simulated data: these verdicts
#: test the toolkit, not the claims"
TOOLKIT_NOT_CLAIMS = re.compile(r"^[ \t]*simulated data\b[^\n]*\btest the toolkit, not the claims", re.I | re.M)
#: real data sets whose reports are checked too (../shared/data): attachment items, and dyads
REAL_SETS = ["openpsychometrics_ecr", "acitelli_couples"]
DRAFTED = PROJECT_ROOT / "tests" / "codebooks" / "drafted"


@pytest.fixture(scope="module")
def browser():
    if find_chromium() is None:
        if os.environ.get("CONNLAB_REQUIRE_BROWSER"):  # set by .ci/run, which installs Chromium
            pytest.fail("Chromium is missing but CONNLAB_REQUIRE_BROWSER is set: CI must run the browser test")
        pytest.skip("Chromium is not installed and could not be installed here (make test tries apt-get)")
    with Chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    keep = os.environ.get("CONNLAB_SCREENSHOTS")
    folder = Path(keep) if keep else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots of the reports: {folder}")
    return folder


def _inspect_all(browser, reports: Path, shots: Path) -> dict:
    """{page: PageReport} of the PAGES written in `reports` (a not-applicable notebook writes none)."""
    shots.mkdir(parents=True, exist_ok=True)
    return {
        page: browser.inspect(reports / page, shots / page.replace(".html", ".png"))
        for page in PAGES
        if (reports / page).is_file()
    }


def _assert_reader_sees_no_defect(report, page: str, shots: Path) -> None:
    assert report.console_errors == [], f"{page}: console errors {report.console_errors}"
    assert report.external_requests == [], f"{page}: requests leave the machine {report.external_requests}"
    defects = report.describe_defects(page)
    assert not defects, (f"{len(defects)} presentation defect(s) (screenshots in {shots}):\n"
                         + "\n".join(defects))  # fmt: skip
    for shot in report.screenshots:
        png = shot.read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000, shot


# --------------------------------------------------------------------------------------------
# the demo run (tests/conftest.py: suite_run): the index and every notebook's report
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_pages(browser, suite_run, screenshots):
    _, _, out = suite_run
    return _inspect_all(browser, out, screenshots / "demo")


@pytest.mark.parametrize("page", PAGES)
def test_demo_report_as_a_reader_sees_it(demo_pages, screenshots, page):
    assert page in demo_pages, f"the demo run wrote no {page}"
    report = demo_pages[page]
    _assert_reader_sees_no_defect(report, page, screenshots / "demo")
    assert SIMULATED.search(report.text), f"{page} does not say that its data are simulated"
    if page in ("index.html", "06_replication_scorecard.html"):
        assert TOOLKIT_NOT_CLAIMS.search(report.text), (
            f"{page} does not say plainly 'Simulated data: these verdicts test the toolkit, not the claims'"
        )


@pytest.mark.parametrize("page, words", [
    ("index.html", ["ConnectionLab reports", "00_overview", "succeeded", "failed"]),
    ("00_overview.html", ["Simulated data.", "Table 1", "Sample and design", "Provenance", "SHA-256"]),
])  # fmt: skip
def test_report_text_in_chromium(demo_pages, page, words):
    for word in words:
        assert word in demo_pages[page].text


# --------------------------------------------------------------------------------------------
# real data (../shared/data, skipped when absent): the same checks, and no "simulated" statement
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=REAL_SETS)
def real_pages(request, browser, shared_data, screenshots, tmp_path_factory):
    name = request.param
    out = tmp_path_factory.mktemp(f"real_{name}")
    params = DRAFTED / f"{name}.params.yaml"
    args = ["run", "--data", str(DRAFTED / f"{name}.yaml"), "--data-root", str(shared_data), "--out", str(out),
            "--jobs", "2"] + (["--params", str(params)] if params.exists() else [])  # fmt: skip
    with pytest.MonkeyPatch.context() as mp:  # the codebooks name files in ../shared/data: allowed by the flag
        mp.delenv("CONNLAB_DATA_ROOT", raising=False)
        main(args)  # a notebook's failure shows on its page (and fails tests/test_real_data_suite.py)
    shots = screenshots / name
    return name, _inspect_all(browser, out, shots), shots


def test_real_data_reports_as_a_reader_sees_them(real_pages):
    """Every report written for the data set (notebooks that do not apply write none)."""
    name, pages, shots = real_pages
    assert "index.html" in pages and len(pages) >= 4, f"{name}: only {sorted(pages)} written"
    for page, report in pages.items():
        _assert_reader_sees_no_defect(report, f"{name}/{page}", shots)
        assert not SIMULATED.search(report.text), f"{name}/{page} calls real data simulated"


# --------------------------------------------------------------------------------------------
# the checker itself, on synthetic pages
# --------------------------------------------------------------------------------------------
PIXEL = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmM"
         "IQAAAABJRU5ErkJggg==")  # fmt: skip
STYLE = """<style>body { font-family: sans-serif; } table { border-collapse: collapse; margin: 8px 0; }
td.squeezed { width: 3em; max-width: 3em; overflow-wrap: anywhere; }
th.narrow { width: 4em; max-width: 4em; }
@media (max-width: 900px) { td.narrow-only { width: 3em; max-width: 3em; overflow-wrap: anywhere; } }
</style>"""
BAD = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>bad</title>{STYLE}</head><body>
<h2>Scales</h2>
<table><caption>Table 1 Attachment</caption><thead><tr><th>Scale</th><th>M</th></tr></thead>
<tbody><tr><td class="squeezed">avoidance</td><td>3.2</td></tr></tbody></table>
<table><caption>Table 2 Invariance</caption><thead><tr><th>Model</th><th>CFI</th></tr></thead>
<tbody><tr><td class="narrow-only">configural</td><td>.98</td></tr></tbody></table>
<h2>Fit</h2>
<table><caption>Table 3 Meta-analysis</caption><thead><tr><th>Claim</th><th>k</th></tr></thead><tbody></tbody></table>
<h2>Figures</h2>
<img src="{PIXEL}" width="200" height="100">
<img alt="No description has been provided for this image" src="{PIXEL}" width="200" height="100">
<img alt="  " src="{PIXEL}" width="200" height="100">
<svg width="200" height="100"><rect width="200" height="100" fill="#ccc"/></svg>
<table><caption>Table 4 Wide</caption>
<tbody><tr><td><div style="width: 1000px">fits at 1200 px</div></td></tr></tbody></table>
</body></html>"""
CLEAN = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>clean</title>{STYLE}</head><body>
<h2>Scales</h2>
<table><caption>Table 1 Attachment</caption>
<thead><tr><th class="narrow">Attachment dimension score</th><th>M</th></tr></thead>
<tbody><tr><td>avoidance</td><td>3.2</td></tr><tr><td>configural invariance of anxiety</td><td>.98</td></tr>
<tr><td>c8ccc95fadaedf18b6f79b44980a4244e72bc062</td><td>1</td></tr></tbody></table>
<h2>Figures</h2>
<img alt="Histogram of attachment anxiety: unimodal, centred near 3." src="{PIXEL}" width="200" height="100">
<svg width="200" height="100" role="img" aria-label="Scatter plot of anxiety against avoidance">
<rect width="200" height="100" fill="#ccc"/></svg>
<svg width="16" height="16"><circle r="8" cx="8" cy="8"/></svg>
<div style="overflow-x: auto"><table><caption>Table 2 Wide, in a box that scrolls</caption>
<tbody><tr><td><div style="width: 1000px">fits at 1200 px</div></td></tr></tbody></table></div>
</body></html>"""


def test_checker_finds_each_defect_and_nothing_on_a_clean_page(browser, tmp_path):
    (tmp_path / "bad.html").write_text(BAD, encoding="utf-8")
    (tmp_path / "clean.html").write_text(CLEAN, encoding="utf-8")
    bad = browser.inspect(tmp_path / "bad.html", tmp_path / "bad.png")
    found = {(d["kind"], d.get("word") or d.get("table") or d.get("figure"), d["width"]) for d in bad.defects}
    both = (1200, 800)
    assert found == {
        *(("word broken across lines", "avoidance", w) for w in both),
        ("word broken across lines", "configural", 800),  # breaks at the narrow width only
        *(("table of only headers", "Table 3 Meta-analysis", w) for w in both),
        *(("figure without alt text", f, w) for f in ("img 1", "img 2", "img 3", "svg 1") for w in both),
        ("page wider than the window", None, 800),
    }, bad.describe_defects()
    wide = next(d for d in bad.defects if d["kind"] == "page wider than the window")
    assert wide["elements"] == ["table \u201cTable 4 Wide\u201d"], wide
    lines = bad.describe_defects("bad.html")
    assert any(line.startswith("bad.html: table 'Table 1 Attachment', td cell 'avoidance': the word 'avoidance' "
                               "is broken across lines as 'avoid") for line in lines), lines  # fmt: skip
    assert [p.name for p in bad.screenshots] == ["bad.png", "bad-800px.png"]
    clean = browser.inspect(tmp_path / "clean.html")
    assert clean.defects == [] and clean.console_errors == [] and clean.external_requests == []


def test_simulated_statement_is_told_from_a_mention():
    assert SIMULATED.search("Intro\n\nSimulated data. These data were generated by ConnectionLab")
    assert TOOLKIT_NOT_CLAIMS.search("x\nSimulated data: these verdicts test the toolkit, not the claims. More")
    for mention in ("Not applicable to these data: this part needs simulated data (true values ...)",
                    "threshold: 95th percentile of the eigenvalues of 5 simulated data sets"):  # fmt: skip
        assert not SIMULATED.search(mention)
