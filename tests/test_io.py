"""Reading data sets and codebooks: types, missing codes, and errors that say what to fix."""

import hashlib

import pandas as pd
import pytest

from analysis import CodebookError, DataError, load_dataset, read_codebook
from analysis.data.validate import ValidationError

CODEBOOK = """
dataset: tiny
tables:
  survey:
    file: tiny.csv
    variables:
      person_id: {type: integer, role: id}
      age: {type: integer, role: demographic, missing_codes: [-99]}
      mood: {type: number, role: item, instrument: swls, item: "1"}
      group: {type: categorical, values: [a, b]}
"""


def _write(tmp_path, csv, codebook=CODEBOOK):
    (tmp_path / "tiny.csv").write_text(csv)
    (tmp_path / "codebook.yaml").write_text(codebook)
    return tmp_path


def test_demo_dataset_loads_typed(small_demo):
    ds = load_dataset(small_demo)
    survey = ds.table("survey")
    assert ds.name == "demo_survey" and ds.simulated
    assert survey["ecr_s_1"].dtype == "Int64"
    assert survey["relationship_years"].dtype == float
    assert survey["age"].min() >= 18  # -99 (refused) became missing
    instruments = ds.instruments("survey")
    assert {k: len(v) for k, v in instruments.items()} == {
        "ecr_s": 12, "csi_16": 16, "prqc": 18, "ucla_3": 3, "swls": 5, "cpi": 16, "responsiveness_demo": 4}
    assert ds.role_column("diary", "day") == "day"
    assert [f.table for f in ds.files] == ["survey", "diary", "family", "codebook"]
    ledger = ds.ledger[ds.ledger["table"] == "survey"]
    assert ds.files[0].rows == len(ledger)  # rows read
    assert len(survey) == (ledger["status"] == "analysed").sum() < len(ledger)  # attention checks etc.


def test_codebook_file_or_folder_or_data_file_give_the_same(small_demo):
    a = load_dataset(small_demo)
    b = load_dataset(small_demo / "codebook.yaml")
    c = load_dataset(small_demo / "survey.csv")  # finds codebook.yaml beside it
    pd.testing.assert_frame_equal(a.table("survey"), b.table("survey"))
    pd.testing.assert_frame_equal(a.table("survey"), c.table("survey"))


def test_raw_files_are_not_modified(small_demo):
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in small_demo.iterdir()}
    load_dataset(small_demo)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in small_demo.iterdir()}
    assert before == after


def test_missing_codes_and_sha256(tmp_path):
    folder = _write(tmp_path, "person_id,age,mood,group\n1,34,2.5,a\n2,-99,,b\n")
    ds = load_dataset(folder)
    frame = ds.table()
    assert frame["age"].isna().tolist() == [False, True]
    assert frame["mood"].tolist()[0] == 2.5
    assert ds.files[0].sha256 == hashlib.sha256((folder / "tiny.csv").read_bytes()).hexdigest()


def test_text_in_a_numeric_column_is_set_to_missing_and_logged(tmp_path):
    folder = _write(tmp_path, "person_id,age,mood,group\n1,34,2,a\n2,35,3,b\n3,thirty,4,a\n")
    ds = load_dataset(folder)  # lenient
    assert ds.table()["age"].isna().tolist() == [False, False, True]
    problem = ds.problems.iloc[0]
    assert problem["file"].endswith("tiny.csv") and problem["column"] == "age"
    assert (problem["row"], problem["line"], problem["id"], problem["value"]) == (3, 4, "3", "thirty")
    assert problem["problem"] == "not a whole number" and "missing_codes" in problem["fix"]
    assert problem["action"] == "set to missing"


def test_strict_mode_lists_every_problem(tmp_path):
    folder = _write(tmp_path, "person_id,age,mood,group\n1,34.5,2,a\n2,35,x,c\n3,thirty,4,a\n")
    with pytest.raises(ValidationError) as err:
        load_dataset(folder, strict=True)
    msg = str(err.value)
    assert msg.startswith("4 problem(s) found (strict mode):")
    assert "tiny.csv, column 'age', row 1 (line 2, id 1): value '34.5' is not a whole number" in msg
    assert "column 'mood', row 2 (line 3, id 2): value 'x' is not a number" in msg
    assert "column 'group', row 2 (line 3, id 2): value 'c' is not one of ['a', 'b']" in msg
    assert "row 3 (line 4, id 3): value 'thirty'" in msg
    ledger = err.value.ledger
    assert ledger["status"].tolist() == ["excluded", "excluded", "excluded"]
    assert set(ledger["reason"]) == {"invalid_value"}


def test_codebook_column_missing_from_file(tmp_path):
    folder = _write(tmp_path, "person_id,mood,group\n1,2,a\n")
    with pytest.raises(DataError, match="no column 'age'"):
        load_dataset(folder)


@pytest.mark.parametrize(
    "text, match",
    [
        ("tables: {}", "no `tables:`"),
        ("tables:\n  s: {file: x.csv}", "needs `file:` and a `variables:`"),
        ("tables:\n  s:\n    file: x.csv\n    variables:\n      a: {type: float}", "variable 'a': `type` must be"),
        ("tables: [unclosed", "Cannot read codebook"),
    ],
)
def test_malformed_codebooks(tmp_path, text, match):
    path = tmp_path / "codebook.yaml"
    path.write_text(text)
    with pytest.raises(CodebookError, match=match):
        read_codebook(path)


def test_missing_paths(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(tmp_path / "nope.csv")
    with pytest.raises(CodebookError, match=r"without codebook\.yaml"):
        load_dataset(tmp_path)
    with pytest.raises(CodebookError, match="does not exist"):
        read_codebook(tmp_path / "nope.yaml")


def test_csv_without_codebook_is_read_with_inferred_types(tmp_path):
    (tmp_path / "plain.csv").write_text("id,score,label\n1,2.5,x\n2,3.0,y\n")
    ds = load_dataset(tmp_path / "plain.csv")
    assert ds.codebook["inferred"] is True
    assert ds.variables()["id"]["type"] == "integer"
    assert ds.variables()["score"]["type"] == "number"
    assert ds.variables()["label"]["type"] == "string"


def test_real_csv_without_codebook(shared_data):
    # Kleiber & Zeileis AER::Affairs export: 601 respondents (SOURCE.md)
    ds = load_dataset(shared_data / "aer_affairs_pt" / "data.csv")
    assert len(ds.table()) == 601
    assert ds.files[0].rows == 601


def test_write_processed_round_trip(small_demo, tmp_path):
    from analysis import write_processed

    ds = load_dataset(small_demo)
    out = write_processed(ds, tmp_path / "processed")
    assert sorted(p.name for p in out.iterdir()) == ["codebook.yaml", "diary.csv", "family.csv", "ledger.csv",
                                                     "problems.csv", "survey.csv"]  # fmt: skip
    again = load_dataset(out)
    for name, frame in ds.tables.items():
        pd.testing.assert_frame_equal(again.table(name).reset_index(drop=True), frame.reset_index(drop=True),
                                      check_dtype=False, check_categorical=False)  # fmt: skip
        assert (again.ledger[again.ledger["table"] == name]["status"] == "analysed").all()  # no second exclusion
    ledger = pd.read_csv(out / "ledger.csv")
    assert len(ledger) == len(ds.ledger) and set(ledger["status"]) == {"analysed", "excluded"}
    assert hashlib.sha256((small_demo / "survey.csv").read_bytes()).hexdigest() == ds.files[0].sha256  # raw untouched


def test_labels_from_spss_and_qualtrics_are_kept():
    from conftest import PROJECT_ROOT

    bad = PROJECT_ROOT / "tests" / "data" / "bad"
    sav = load_dataset(bad / "valid_labels_missing.sav")  # no codebook: labels come from the file
    assert sav.labels["data"]["sat"] == "Relationship satisfaction"
    assert sav.value_labels["data"]["gender"][2] == "woman"
    assert sav.table()["sat"].isna().sum() > 0  # SPSS user-missing 98-99 became missing
    qualtrics = load_dataset(bad / "qualtrics_pii.csv")  # question text (header row 2) kept as labels
    assert qualtrics.labels["data"]["Q1"] == "How satisfied are you, overall?"
    assert qualtrics.formats["data"].kind == "qualtrics"
    assert set(qualtrics.removed_columns["column"]) >= {"IPAddress", "RecipientEmail", "LocationLatitude"}
    assert "IPAddress" not in qualtrics.labels["data"] and "IPAddress" not in qualtrics.table().columns
