"""The `connlab` command: one rule for paths (relative to the folder it runs in) in every
subcommand, the drafted codebook pointing at its data, and no traceback for an internal error."""

import os

import pytest
import yaml

from analysis.runner import cli


@pytest.fixture
def study_folder(tmp_path):
    """A data file and its codebook in a folder of their own."""
    folder = tmp_path / "my study"
    folder.mkdir()
    (folder / "couples.csv").write_text("id,couple,score\n1,1,3\n2,1,4\n3,2,5\n4,2,2\n", encoding="utf-8")
    codebook = {"dataset": "couples", "tables": {"survey": {"file": "couples.csv", "variables": {
        "id": {"type": "integer", "role": "id"}, "couple": {"type": "integer", "role": "dyad_id"},
        "score": {"type": "integer", "range": [1, 5]}}}}}  # fmt: skip
    (folder / "couples.codebook.yaml").write_text(yaml.safe_dump(codebook), encoding="utf-8")
    return folder


def test_validate_takes_paths_relative_to_the_current_folder(study_folder, monkeypatch, capsys):
    """The issue: `validate --data hcmst.csv --codebook hcmst.codebook.yaml` run from the data's folder
    looked for the files in the project folder."""
    monkeypatch.chdir(study_folder)
    assert cli.main(["validate", "--data", "couples.csv", "--codebook", "couples.codebook.yaml"]) == 0
    out = capsys.readouterr().out
    assert "No problems" in out and "analysed 4" in out
    monkeypatch.chdir(study_folder.parent)
    assert cli.main(["validate", "--data", "my study/couples.csv", "--codebook", "my study/couples.codebook.yaml"]) == 0


def test_a_drafted_codebook_names_its_data_relative_to_itself(study_folder, monkeypatch):
    monkeypatch.chdir(study_folder.parent)
    (study_folder.parent / "codebooks").mkdir()
    assert cli.main(["codebook", "--data", "my study/couples.csv", "--out", "codebooks/draft.yaml"]) == 0
    draft = yaml.safe_load((study_folder.parent / "codebooks" / "draft.yaml").read_text(encoding="utf-8"))
    assert next(iter(draft["tables"].values()))["file"] == "../my study/couples.csv"
    monkeypatch.chdir(study_folder)  # and it loads from anywhere, once the data folder is allowed
    draft_path = os.path.join("..", "codebooks", "draft.yaml")
    assert cli.main(["validate", "--data", draft_path, "--data-root", "."]) == 0
    assert cli.main(["validate", "--data", "couples.csv", "--codebook", draft_path]) == 0  # the data named


def test_codebook_and_validate_take_the_data_file_as_their_argument(study_folder, monkeypatch, capsys):
    """A new user's first try, `connlab codebook FILE`, works as `--data FILE` does; both at once is an error."""
    monkeypatch.chdir(study_folder)
    assert cli.main(["codebook", "couples.csv"]) == 0
    assert "couples.csv" in capsys.readouterr().out
    assert cli.main(["validate", "couples.csv", "--codebook", "couples.codebook.yaml"]) == 0
    assert "analysed 4" in capsys.readouterr().out
    for argv in (["codebook"], ["codebook", "couples.csv", "--data", "couples.csv"]):
        with pytest.raises(SystemExit) as stop:
            cli.main(argv)
        assert stop.value.code == 2
    assert "one of the arguments DATA --data is required" in capsys.readouterr().err


def test_a_codebook_cannot_read_outside_its_folder(study_folder, monkeypatch, capsys):
    """A codebook naming a file outside its folder (../../etc/passwd, an absolute path) is refused
    unless that folder is allowed with --data-root; nothing is read."""
    monkeypatch.chdir(study_folder.parent)
    (study_folder.parent / "codebooks").mkdir()
    assert cli.main(["codebook", "--data", "my study/couples.csv", "--out", "codebooks/draft.yaml"]) == 0
    capsys.readouterr()
    code = cli.main(["validate", "--data", "codebooks/draft.yaml"])
    text = capsys.readouterr().err
    assert code == 2 and "is outside the data folder" in text and "--data-root" in text
    assert "Traceback" not in text
    draft = (study_folder.parent / "codebooks" / "draft.yaml").read_text(encoding="utf-8")
    assert "file: ../my study/couples.csv\n" in draft
    for target in ("/etc/passwd", "../../../../../../etc/hostname"):
        (study_folder.parent / "codebooks" / "evil.yaml").write_text(
            draft.replace("file: ../my study/couples.csv", f"file: {target}"), encoding="utf-8")
        assert cli.main(["validate", "--data", "codebooks/evil.yaml"]) == 2
        assert "is outside the data folder" in capsys.readouterr().err


def test_an_internal_error_is_a_short_message_with_exit_3(study_folder, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("analysis.data.codebook_draft.draft_codebook", broken)
    monkeypatch.chdir(study_folder)
    assert cli.main(["codebook", "--data", "couples.csv"]) == 3
    err = capsys.readouterr().err
    assert "internal error (ZeroDivisionError: division by zero)" in err and "--debug" in err
    assert "Traceback" not in err
    with pytest.raises(ZeroDivisionError):
        cli.main(["--debug", "codebook", "--data", "couples.csv"])


def test_only_may_be_given_more_than_once():
    parser = cli.build_parser()
    assert parser.parse_args(["run", "--only", "00", "--only", "03", "04"]).only == ["00", "03", "04"]
    assert parser.parse_args(["run", "--only", "01"]).only == ["01"]
    assert parser.parse_args(["run"]).only is None
