"""A project folder (`connlab init`), the package's own files, and `connlab --version`.

The wheel itself (built, installed into fresh venvs on Python 3.11-3.13 and run from an empty
folder) is checked by `.ci/user_install`, which `.ci/run` calls.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analysis.claims.study import load_study
from analysis.exceptions import ParameterError
from analysis.paths import PROJECT_MARKER, find_project, packaged
from analysis.runner.cli import main
from analysis.runner.project import init_project
from analysis.runner.suite import discover_notebooks

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_init_lays_out_a_project_with_its_own_notebooks_and_studies(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CONNLAB_PROJECT", raising=False)  # a run_suite earlier in the session sets it
    assert main(["init", str(tmp_path / "my study")]) == 0
    project = tmp_path / "my study"
    assert "Created the project folder" in capsys.readouterr().out
    for folder in ("data/raw", "data/processed", "reports", "notebooks", "studies/codebooks"):
        assert (project / folder).is_dir(), folder
    assert [s.name for s in discover_notebooks(project / "notebooks")] == \
        [s.name for s in discover_notebooks(PROJECT_ROOT / "notebooks")]  # fmt: skip
    assert (project / "studies" / "shared_real_data.yml").read_bytes() == \
        (PROJECT_ROOT / "studies" / "shared_real_data.yml").read_bytes()  # fmt: skip
    assert sorted(p.name for p in (project / "studies" / "codebooks").iterdir()) == \
        sorted(p.name for p in (PROJECT_ROOT / "studies" / "codebooks").iterdir())  # fmt: skip
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert "data/raw/" in readme and "connlab simulate" in readme and "--data-root" in readme
    assert find_project(project / "data" / "raw") == project.resolve()


def test_init_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    with pytest.raises(ParameterError, match="is a file"):
        init_project(tmp_path / "notes.txt")


def test_without_notebooks_the_packaged_ones_run(tmp_path):
    project = init_project(tmp_path / "p", notebooks=False)
    assert not (project / "notebooks").exists()
    assert len(discover_notebooks(packaged("notebooks"))) == 10


def test_the_project_is_the_nearest_folder_with_the_marker(tmp_path, monkeypatch):
    monkeypatch.delenv("CONNLAB_PROJECT", raising=False)
    (tmp_path / "outer" / "inner").mkdir(parents=True)
    assert find_project(tmp_path / "outer" / "inner") == (tmp_path / "outer" / "inner").resolve()  # no marker
    (tmp_path / "outer" / PROJECT_MARKER).write_text("", encoding="utf-8")
    assert find_project(tmp_path / "outer" / "inner") == (tmp_path / "outer").resolve()
    monkeypatch.setenv("CONNLAB_PROJECT", str(tmp_path))
    assert find_project(tmp_path / "outer" / "inner") == tmp_path.resolve()
    assert (PROJECT_ROOT / PROJECT_MARKER).is_file(), "the source checkout is a project"


def test_a_study_finds_its_data_under_a_data_root(tmp_path, monkeypatch):
    """Paths of a study that are not beside the study file are looked up in the data roots."""
    data = tmp_path / "shared" / "pilot"
    data.mkdir(parents=True)
    (data / "survey.csv").write_text("id,x\n1,2\n", encoding="utf-8")
    study = tmp_path / "project" / "studies" / "s.yml"
    study.parent.mkdir(parents=True)
    study.write_text("title: t\ndatasets:\n  - {label: pilot, data: pilot/survey.csv}\nclaims: all\n", encoding="utf-8")
    monkeypatch.setenv("CONNLAB_DATA_ROOT", "")
    assert load_study(study).datasets[0].data == str((study.parent / "pilot" / "survey.csv").resolve())
    monkeypatch.setenv("CONNLAB_DATA_ROOT", str(tmp_path / "shared"))
    assert load_study(study).datasets[0].data == str(data / "survey.csv")


def test_version():
    result = subprocess.run([sys.executable, "-m", "analysis.runner.cli", "--version"], capture_output=True,
                            text=True, check=True)  # fmt: skip
    assert result.stdout.startswith("connlab 0.") and f"Python {sys.version.split()[0]}" in result.stdout
