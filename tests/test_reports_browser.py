"""Rendered reports as a reader sees them: headless Chromium, no console errors, no network."""

import os
import shutil
from pathlib import Path

import pytest
from chromium import find_chromium, inspect_page


@pytest.fixture(scope="module")
def browser():
    if find_chromium() is None:
        if os.environ.get("CONNLAB_REQUIRE_BROWSER"):  # set by .ci/run, which installs Chromium
            pytest.fail("Chromium is missing but CONNLAB_REQUIRE_BROWSER is set: CI must run the browser test")
        pytest.skip("Chromium is not installed and could not be installed here (make test tries apt-get)")
    return True


@pytest.mark.parametrize("page, words", [
    ("index.html", ["ConnectionLab reports", "00_overview", "succeeded", "failed"]),
    ("00_overview.html", ["Simulated data.", "Table 1", "Sample and design", "Provenance", "SHA-256"]),
])  # fmt: skip
def test_report_in_chromium(browser, suite_run, tmp_path, page, words):
    _, _, out = suite_run
    shot = tmp_path / page.replace(".html", ".png")
    report = inspect_page(out / page, shot)
    assert report.console_errors == []
    assert report.external_requests == []
    for word in words:
        assert word in report.text
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    keep = os.environ.get("CONNLAB_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
