"""The data sets `connlab run` loads to check the notebooks' needs are handed over to the notebooks'
own `load_dataset` (`analysis.data.dataset.HANDOVER_ENV`): the same data set, taken only for the same
call and only while every file it was read from is unchanged; a load that warns is not handed over."""

from __future__ import annotations

import shutil
import warnings

import pandas as pd
import pytest

from analysis.data import dataset as ds
from analysis.runner import suite


@pytest.fixture
def demo(small_demo, tmp_path):
    """A copy of the small demo (its files are changed by a test)."""
    folder = tmp_path / "demo"
    shutil.copytree(small_demo, folder)
    return folder


def _same(a: ds.Dataset, b: ds.Dataset) -> None:
    assert a.files == b.files and list(a.tables) == list(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_exact=True)
    pd.testing.assert_frame_equal(a.ledger, b.ledger, check_exact=True)


def test_a_handed_over_data_set_is_taken_for_the_same_call_while_its_files_are_unchanged(demo, tmp_path,
                                                                                        monkeypatch):  # fmt: skip
    folder = tmp_path / "handover"
    folder.mkdir()
    loaded = ds.load_dataset(demo)
    ds.hand_over(loaded, folder, demo)
    monkeypatch.setenv(ds.HANDOVER_ENV, str(folder))
    calls = []
    monkeypatch.setattr(ds, "check_table", lambda *a, **k: calls.append(1) or (_ for _ in ()).throw(AssertionError))
    again = ds.load_dataset(demo)  # handed over: no table is read or checked again
    _same(again, loaded)
    assert calls == [] and again is not loaded
    with pytest.raises(AssertionError):  # another call (strict mode): loaded as usual
        ds.load_dataset(demo, strict=True)
    monkeypatch.undo()
    survey = demo / "survey.csv"
    survey.write_text(survey.read_text(encoding="utf-8").replace("\n", "\r\n"), encoding="utf-8")  # same values
    monkeypatch.setenv(ds.HANDOVER_ENV, str(folder))
    reloaded = ds.load_dataset(demo)  # a file changed: loaded from the files
    assert reloaded.files != loaded.files and len(reloaded.tables["survey"]) == len(loaded.tables["survey"])
    monkeypatch.setenv(ds.HANDOVER_ENV, str(tmp_path / "none"))
    _same(ds.load_dataset(demo), ds.load_dataset(demo))  # no such folder: loaded as usual


def test_the_runner_hands_over_only_a_load_that_does_not_warn(demo, tmp_path, monkeypatch):
    spec = next(s for s in suite.discover_notebooks() if s.name == "00_overview")
    handover = tmp_path / "handover"
    handover.mkdir()
    suite._check_needs(spec, {"data": str(demo)}, {}, str(handover))
    assert len(list(handover.glob("*.pkl"))) == 1
    real = ds.load_dataset

    def warning_load(*args, **kwargs):
        warnings.warn("a problem the notebook must show", UserWarning, stacklevel=2)
        return real(*args, **kwargs)

    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setattr(ds, "load_dataset", warning_load)
    with pytest.warns(UserWarning, match="a problem the notebook must show"):  # still shown by the runner
        suite._check_needs(spec, {"data": str(demo)}, {}, str(other))
    assert list(other.glob("*.pkl")) == []


def test_the_hand_over_is_kept_in_the_output_folder_and_a_failed_save_is_not_fatal(demo, tmp_path, monkeypatch):
    seen = []
    real = ds.hand_over

    def watched(dataset, folder, *args, **kwargs):
        seen.append(folder)
        return real(dataset, folder, *args, **kwargs)

    out = tmp_path / "out"
    monkeypatch.setattr(ds, "hand_over", watched)
    runs = suite.run_suite(out_dir=out, only=["00_overview"], data=str(demo), progress=lambda _: None)
    assert [r.status for r in runs] == ["succeeded"]
    assert len(seen) == 1 and seen[0].startswith(str(out / suite.HANDOVER_PREFIX))  # the folder the user named
    assert not list(out.glob(f"{suite.HANDOVER_PREFIX}*"))  # and removed after the run

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ds, "hand_over", full)  # a saving, not a need: the notebook loads the data itself
    again = suite.run_suite(out_dir=out, only=["00_overview"], data=str(demo), progress=lambda _: None)
    assert [r.status for r in again] == ["succeeded"]
