"""Codebooks, study, claim, instrument and parameters files are read with hard limits (size,
nesting, aliases, tags, encoding) and every codebook and study field is checked for its type
before use: a wrong or hostile file stops with a one-line typed error naming the file and the
field, never a traceback, a hang or a memory blow-up. `dataset` and table names are safe names."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from analysis import read_codebook
from analysis.claims.registry import load_claim
from analysis.claims.study import load_study
from analysis.data.codebook import is_safe_name
from analysis.data.instrument_library import load_instrument
from analysis.exceptions import ClaimError, CodebookError, InstrumentError, ParameterError
from analysis.runner.cli import main
from analysis.yaml_files import read_yaml

ROOT = Path(__file__).resolve().parents[1]

#: the classic bomb: nine levels of nine aliases of the level below (10^9 strings when expanded)
BILLION_LAUGHS = 'lol0: &a0 "lol"\n' + "".join(
    f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)
)

GOOD_TABLE = "tables:\n  survey:\n    file: survey.csv\n    variables:\n      age: {type: integer}\n"


def _write(folder: Path, text: str | bytes, name: str = "codebook.yaml") -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _fails(path, error=CodebookError, what="codebook") -> str:
    """The one-line message `read_yaml` gives for `path`, checked to be short and to name the file."""
    with pytest.raises(error) as err:
        read_yaml(path, what=what, error=error)
    message = str(err.value)
    assert str(path) in message and "\n" not in message and len(message) < 600, message
    return message


# ---------------------------------------------------------------------------------------------
# read_yaml: the limits
# ---------------------------------------------------------------------------------------------
def test_billion_laughs_fails_fast_naming_the_aliases(tmp_path):
    path = _write(tmp_path, BILLION_LAUGHS)
    start = time.perf_counter()
    message = _fails(path)
    assert time.perf_counter() - start < 1
    assert "too many aliases" in message and "line " in message


@pytest.mark.parametrize(
    "text",
    [
        "[" * 50_000 + "]" * 50_000,  # flow lists
        "{a: " * 50_000 + "1" + "}" * 50_000,  # flow mappings
        "- " * 50_000 + "x\n",  # block lists on one line
        "".join(" " * i + "k:\n" for i in range(200)),  # block mappings
    ],
    ids=["flow-lists", "flow-mappings", "block-lists", "block-mappings"],
)
def test_deep_nesting_fails_fast_with_a_short_message(tmp_path, text):
    path = _write(tmp_path, text)
    start = time.perf_counter()
    message = _fails(path)  # a RecursionError would escape pytest.raises(CodebookError)
    assert time.perf_counter() - start < 2
    assert "nested more than 50 levels" in message


def test_nesting_up_to_the_limit_is_read(tmp_path):
    assert read_yaml(_write(tmp_path, "[" * 50 + "]" * 50), what="codebook", error=CodebookError) is not None


def test_a_file_larger_than_the_limit_is_refused_before_reading(tmp_path):
    path = _write(tmp_path, "a: " + "x" * (6 * 1024 * 1024) + "\n")
    message = _fails(path)
    assert "6 MB" in message and "5 MB" in message


def test_too_many_values_are_refused(tmp_path):
    path = _write(tmp_path, "[" + "1, " * 2000 + "1]\n")
    with pytest.raises(CodebookError, match="holds more than 1,000 values"):
        read_yaml(path, what="codebook", error=CodebookError, max_values=1000)


def test_a_folder_is_not_a_codebook(tmp_path):
    assert "it is a folder" in _fails(tmp_path)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_refused_without_reading_it():
    start = time.perf_counter()
    assert "not a regular file" in _fails(Path("/dev/zero"))
    assert time.perf_counter() - start < 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "codebook.yaml"
    os.mkfifo(fifo)
    assert "not a regular file" in _fails(fifo)


def test_a_missing_file_is_named(tmp_path):
    assert "does not exist" in _fails(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    "text, tag",
    [
        ("a: !!python/object:os.system {}\n", "!!python/object:os.system"),
        ("a: !!python/object/apply:os.system ['echo hi']\n", "!!python/object/apply:os.system"),
        ("a: !!python/name:os.system\n", "!!python/name:os.system"),
        ("file: !!binary aGVsbG8=\n", "!!binary"),
        ("a: !!set {x, y}\n", "!!set"),
        ("a: !!omap [{x: 1}]\n", "!!omap"),
        ("a: !custom value\n", "!custom"),
    ],
)
def test_tags_beyond_plain_values_are_refused(tmp_path, text, tag):
    message = _fails(_write(tmp_path, text))
    assert f"the tag {tag} is not allowed" in message and "line 1" in message


def test_a_file_that_is_not_utf8_names_the_first_bad_byte(tmp_path):
    path = _write(tmp_path, "dataset: x\ntitle: Caf\xe9\n".encode("cp1252"))
    message = _fails(path)
    assert "not UTF-8" in message and "line 2, column 11 (byte offset 21)" in message
    assert "save it as UTF-8" in message


def test_utf16_and_control_characters_are_refused(tmp_path):
    assert "UTF-16" in _fails(_write(tmp_path, "a: 1\n".encode("utf-16")))
    assert "U+0000" in _fails(_write(tmp_path, "a: b\x00c\n"))


def test_a_syntax_error_gives_the_line_and_column(tmp_path):
    path = _write(tmp_path, "tables:\n  survey:\n    file: x.csv\n    variables: a: b\n")
    message = _fails(path)
    assert "not valid YAML at line 4, column" in message and "mapping values are not allowed" in message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a: 1\nb: 2\na: 3\n", "the key 'a' appears twice"),
        ("a: &x [1, *x]\n", "contains itself"),
        ("a: *nowhere\n", "undefined alias"),
        ("a: 1\n---\nb: 2\n", "a second document"),
        ("a: " + "1" * 5000 + "\n", "put it in quotes"),
    ],
)
def test_other_refusals(tmp_path, text, expected):
    assert expected in _fails(_write(tmp_path, text))


def test_plain_yaml_with_anchors_merge_keys_and_dates_is_read(tmp_path):
    text = ("likert: &likert {1: never, 5: always}\nbase: &item {type: integer, range: [1, 5]}\n"
            "q1: {<<: *item, value_labels: *likert}\nwhen: 2024-05-01\n# a comment\n")  # fmt: skip
    value = read_yaml(_write(tmp_path, text), what="codebook", error=CodebookError)
    assert value["q1"] == {"type": "integer", "range": [1, 5], "value_labels": {1: "never", 5: "always"}}
    assert value["when"] == "2024-05-01"
    assert read_yaml(_write(tmp_path, ""), what="codebook", error=CodebookError) is None
    assert read_yaml(_write(tmp_path, "\ufeffa: 1\n"), what="codebook", error=CodebookError) == {"a": 1}


# ---------------------------------------------------------------------------------------------
# Codebooks: a schema check of every field, safe names
# ---------------------------------------------------------------------------------------------
def _codebook(table: str = "", variable: str = "{type: integer}", top: str = "dataset: pilot\n",
              name: str = "survey") -> str:  # fmt: skip
    return f"{top}tables:\n  {name}:\n    file: survey.csv\n{table}    variables:\n      age: {variable}\n"


WRONG_TYPES = [
    # (codebook text, what the message must say); each names the file, the table and the variable
    ("tables:\n  survey:\n    file: 5\n    variables:\n      age: {type: integer}\n", "`file` must be"),
    ("tables:\n  survey:\n    file: [a]\n    variables:\n      age: {type: integer}\n", "`file` must be"),
    ("tables:\n  survey:\n    file: null\n    variables:\n      age: {type: integer}\n", "`file` must be"),
    ("tables:\n  survey:\n    file: ''\n    variables:\n      age: {type: integer}\n", "`file` must be"),
    (_codebook(variable="{type: integer, values: [[1]]}"), "`values` must be a list of single values"),
    (_codebook(variable="{type: integer, values: [{a: 1}]}"), "`values` must be a list of single values"),
    (_codebook(variable="{type: integer, values: 5}"), "`values` must be a list"),
    (_codebook(variable="{type: integer, values: [1, a]}"), "`values` of an integer variable must be numbers"),
    (_codebook(variable="{type: number, values: [1, true]}"), "`values` of a number variable must be numbers"),
    (_codebook(variable="{type: categorical, value_labels: [a, b]}"), "`value_labels` must be a mapping"),
    (_codebook(variable="{type: categorical, value_labels: {1: [a]}}"), "the label of 1 in `value_labels` must be"),
    (_codebook(variable="{type: categorical, value_labels: {~: a}}"), "`value_labels` maps codes"),
    (_codebook(variable="{type: categorical, value_labels: {1: ~}}"), "the label of 1 in `value_labels` must be"),
    (_codebook(variable="{type: string, na_values: [NA, no]}"), "write them in quotes, e.g. 'no'"),
    (_codebook(variable="{type: integer, missing_codes: [[-99]]}"), "`missing_codes` must be a list of single"),
    (_codebook(variable="{type: string, na_values: [NA, null]}"), "`na_values` must be a list of single"),
    (_codebook(variable="{type: integer, label: [a, b]}"), "`label` must be text"),
    (_codebook(variable="{type: integer, ordered: 'yes'}"), "`ordered` must be true or false"),
    (_codebook(variable="{type: integer, keep: 1}"), "`keep` must be true or false"),
    (_codebook(variable="{type: integer, role: item, instrument: [ecr]}"), "`instrument` must be"),
    (_codebook(variable="{type: integer, role: item, item: true}"), "`item` must be"),
    (_codebook(variable="{type: integer, correct: [[6]]}"), "`correct` must be a list of single values"),
    (_codebook(variable="{type: [integer]}"), "`type` must be one of"),
    (_codebook(variable="{type: integer, role: 5}"), "`role` must be one of"),
    (_codebook(variable="{type: integer, lable: Age}"), "unknown variable key 'lable': did you mean `label`"),
    (_codebook(variable="{type: integer, labels: {1: a}}"), "`value_labels`"),
    (_codebook(variable="[integer]"), "`type` must be one of"),
]
WRONG_TABLE_FIELDS = [
    (_codebook("    format: {sep: 5}\n"), "`format.sep` must be one of"),
    (_codebook("    format: {sep: ':'}\n"), "`format.sep` must be one of"),
    (_codebook("    format: {encoding: [x]}\n"), "`format.encoding` must be a text encoding"),
    (_codebook("    format: {encoding: no-such-codec}\n"), "`format.encoding` must be a text encoding"),
    (_codebook("    format: {encoding: rot13}\n"), "`format.encoding` must be a text encoding"),
    (_codebook("    format: {decimal: 5}\n"), "`format.decimal` must be"),
    (_codebook("    format: {sep: ',', decimal: ','}\n"), "are both ','"),
    (_codebook("    format: {sheet: [1]}\n"), "`format.sheet` must be"),
    (_codebook("    format: {kind: [csv]}\n"), "`format.kind` must be"),
    (_codebook("    format: {delimiter: ';'}\n"), "`format` must be a mapping with keys from"),
    (_codebook("    format: [csv]\n"), "`format` must be a mapping"),
    (_codebook("    unit: [person]\n"), "`unit` must be text"),
    (_codebook("    exclusions: [duplicate_id]\n"), "`exclusions` must be a mapping"),
    (_codebook("    varaibles: {}\n"), "unknown table key 'varaibles': did you mean `variables`"),
    ("tables:\n  survey:\n    file: survey.csv\n    variables:\n      1: {type: integer}\n", "must be text"),
    ("tables:\n  survey:\n    file: survey.csv\n    variables:\n      yes: {type: integer}\n", "must be text"),
]
WRONG_DATASET_FIELDS = [
    (_codebook(top="dataset: ../../x\n"), "`dataset` '../../x' is not a safe name"),
    (_codebook(top="dataset: /abs/x\n"), "`dataset` '/abs/x' is not a safe name"),
    (_codebook(top="dataset: .hidden\n"), "not a safe name"),
    (_codebook(top="dataset: a..b\n"), "not a safe name"),
    (_codebook(top="dataset: 'a\\\\b'\n"), "not a safe name"),
    (_codebook(top="dataset: my study\n"), "not a safe name"),
    (_codebook(top=f"dataset: {'x' * 101}\n"), "not a safe name"),
    (_codebook(top="dataset: [x]\n"), "`dataset` must be text"),
    (_codebook(top="dataset: 2024\n"), "`dataset` must be text"),
    (_codebook(name="../../x"), "the table name '../../x' is not a safe name"),
    (_codebook(name="/etc/x"), "the table name '/etc/x' is not a safe name"),
    (_codebook(name="1"), "the table name 1 must be text"),
    (_codebook(top="dataset: x\ntitle: [a]\n"), "`title` must be text"),
    (_codebook(top="dataset: x\nsimulated: 'no'\n"), "`simulated` must be true or false"),
    (_codebook(top="dataset: x\ngenerator: 5\n"), "`generator` must be a mapping"),
    (_codebook(top="datset: x\n"), "unknown codebook key 'datset': did you mean `dataset`"),
    ("- tables\n", "has no `tables:` mapping: the file holds a list"),
    ("tables: 5\n", "has no `tables:` mapping"),
    ("", "has no `tables:` mapping: the file is empty"),
]


@pytest.mark.parametrize("text, expected", WRONG_TYPES)
def test_wrong_variable_fields_name_the_file_table_and_variable(tmp_path, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(CodebookError) as err:
        read_codebook(path)
    message = str(err.value)
    assert expected in message and str(path) in message and "'survey'" in message and "\n" not in message
    assert "variable 'age'" in message or "`file`" in expected


@pytest.mark.parametrize("text, expected", WRONG_TABLE_FIELDS)
def test_wrong_table_fields_name_the_file_and_table(tmp_path, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(CodebookError) as err:
        read_codebook(path)
    message = str(err.value)
    assert expected in message and str(path) in message and "'survey'" in message and "\n" not in message


@pytest.mark.parametrize("text, expected", WRONG_DATASET_FIELDS)
def test_unsafe_names_and_wrong_dataset_fields(tmp_path, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(CodebookError) as err:
        read_codebook(path)
    message = str(err.value)
    assert expected in message and str(path) in message and "\n" not in message


def test_a_binary_file_value_is_refused_with_its_line(tmp_path):
    path = _write(tmp_path, "tables:\n  survey:\n    file: !!binary aGVsbG8=\n    variables: {}\n")
    with pytest.raises(CodebookError, match=r"line 3, column 11: the tag !!binary is not allowed"):
        read_codebook(path)


def test_notes_are_kept_and_a_codebook_without_dataset_gets_a_safe_name(tmp_path):
    folder = tmp_path / "My Study (2024)"
    folder.mkdir()
    text = ("documentation: SOURCE.md\nnotes: checked by hand\ntables:\n  survey:\n    file: survey.csv\n"
            "    source: export of 2024-05-01\n    variables:\n"
            "      age: {type: integer, apim: actor, id_within: year, comment: asked twice}\n")  # fmt: skip
    codebook = read_codebook(_write(folder, text))
    assert codebook["dataset"] == "My_Study_2024" and is_safe_name(codebook["dataset"])
    assert codebook["notes"] == "checked by hand"
    assert codebook["tables"]["survey"]["variables"]["age"]["apim"] == "actor"


@pytest.mark.parametrize(
    "path",
    sorted(p for p in [*(ROOT / "tests" / "codebooks").rglob("*.yaml"), *(ROOT / "studies").rglob("*.yaml")]
           if not p.name.endswith(".params.yaml") and p.parent.name != "multiverse"),  # spec files: test_multiverse
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_the_project_codebooks_pass_the_checks(path):
    codebook = read_codebook(path)
    assert is_safe_name(codebook["dataset"]) and all(map(is_safe_name, codebook["tables"]))


def test_the_demo_codebook_passes_the_checks(small_demo):
    codebook = read_codebook(small_demo / "codebook.yaml")  # as `connlab simulate` writes it
    assert codebook["dataset"] == "demo_survey" and set(codebook["tables"]) == {"survey", "diary", "family"}


def test_is_safe_name():
    assert all(map(is_safe_name, ["survey", "hcmst_2022", "wave-1.v2", "_x", "Umfrage_ä", "x" * 100]))
    bad = ["", ".", "..", "../x", "a/b", "a\\b", "/abs", ".hidden", "-x", "a..b", "my study", "x" * 101, "a\0b",
           "C:x", 5, None]  # fmt: skip
    assert not any(map(is_safe_name, bad))


# ---------------------------------------------------------------------------------------------
# Study files
# ---------------------------------------------------------------------------------------------
STUDIES = {
    "syntax error": "title: t\ndatasets: [{label: a, data: x}\nclaims: all\n",
    "python tag": "title: !!python/object/apply:os.system ['echo hi']\ndatasets: [{data: x}]\n",
    "top-level list": "- title: t\n- datasets: []\n",
    "claims: 5": "title: t\ndatasets: [{label: a, data: x.csv}]\nclaims: 5\n",
    "claims: [[a]]": "title: t\ndatasets: [{label: a, data: x.csv}]\nclaims: [[a]]\n",
    "claim path": "title: t\ndatasets: [{label: a, data: x.csv}]\nclaims: [../../etc/x]\n",
    "data: 5": "title: t\ndatasets: [{label: a, data: 5}]\n",
    "codebook: [x]": "title: t\ndatasets: [{label: a, codebook: [x]}]\n",
    "aliases: [x]": "title: t\ndatasets: [{label: a, data: x.csv, aliases: [x]}]\n",
    "datasets: mapping": "title: t\ndatasets: {a: x.csv}\n",
    "title: [t]": "title: [t]\ndatasets: [{data: x.csv}]\n",
    "misspelled key": "title: t\ndatsets: [{data: x.csv}]\n",
    "non-UTF-8": "title: Caf\xe9\ndatasets: [{data: x.csv}]\n".encode("latin-1"),
    "empty file": "",
    "billion laughs": BILLION_LAUGHS,
}
STUDY_MESSAGES = {
    "syntax error": "not valid YAML at line", "python tag": "!!python/object/apply:os.system is not allowed",
    "top-level list": "it holds a list", "claims: 5": "`claims` must be `all` or a non-empty list",
    "claims: [[a]]": "`claims` must be", "claim path": "is neither a claim id",
    "data: 5": "data set 1: `data` must be a path",
    "codebook: [x]": "`codebook` must be a path", "aliases: [x]": "`aliases` must map",
    "datasets: mapping": "`datasets` must be a non-empty list", "title: [t]": "`title` must be text",
    "misspelled key": "did you mean `datasets`", "non-UTF-8": "not UTF-8", "empty file": "it holds nothing",
    "billion laughs": "too many aliases",
}  # fmt: skip


@pytest.mark.parametrize("case", list(STUDIES))
def test_malformed_study_files_are_claim_errors(tmp_path, case, capsys):
    path = _write(tmp_path, STUDIES[case], "study.yml")
    with pytest.raises(ClaimError) as err:
        load_study(path)
    message = str(err.value)
    assert str(path) in message and STUDY_MESSAGES[case] in message and "\n" not in message
    assert main(["replicate", "--study", str(path)]) == 2
    captured = capsys.readouterr()
    assert "connlab replicate: error:" in captured.err and "Traceback" not in captured.err + captured.out


def test_a_folder_as_study_file(tmp_path, capsys):
    with pytest.raises(ClaimError, match="it is a folder"):
        load_study(tmp_path)
    assert main(["replicate", "--study", str(tmp_path)]) == 2
    assert "Traceback" not in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Through the command line, claim files, instrument files, parameters files
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [BILLION_LAUGHS, "[" * 50_000 + "]" * 50_000, _codebook(variable="{type: integer, values: [[1]]}"),
     _codebook(top="dataset: ../../x\n"), _codebook(name="../../x"), "file: !!binary aGk=\n",
     "tables: {survey: {file: x.csv, variables: {a: {type: integer}}}}\n".encode("utf-16")],
    ids=["bomb", "nesting", "values", "dataset-name", "table-name", "binary", "utf16"],
)  # fmt: skip
def test_validate_reports_a_bad_codebook_in_one_line_with_exit_2(tmp_path, text, capsys):
    path = _write(tmp_path, text)
    assert main(["validate", "--data", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("connlab validate: error:") and captured.err.count("\n") == 1
    assert "Traceback" not in captured.err + captured.out


def test_a_bad_claim_file_is_a_claim_error(tmp_path):
    path = _write(tmp_path, "id: !!python/name:os.system\nstatement: s\n", "claim.yaml")
    with pytest.raises(ClaimError, match=r"claim\.yaml: line 1, column 5: the tag !!python/name:os\.system"):
        load_claim(path)
    with pytest.raises(ClaimError, match="too many aliases"):
        load_claim(_write(tmp_path, BILLION_LAUGHS, "bomb.yaml"))


def test_a_bad_instrument_file_is_an_instrument_error(tmp_path):
    with pytest.raises(InstrumentError, match=r"instrument file .*nested more than 50 levels"):
        load_instrument(_write(tmp_path, "[" * 60 + "]" * 60, "deep.yaml"))
    with pytest.raises(InstrumentError, match="not UTF-8"):
        load_instrument(_write(tmp_path, b"id: caf\xe9\n", "latin.yaml"))


def test_a_bad_parameters_file_stops_the_run_with_exit_2(tmp_path, capsys):
    from analysis.runner.cli import _read_params

    with pytest.raises(ParameterError, match=r"parameters file .*too many aliases"):
        _read_params(_write(tmp_path, BILLION_LAUGHS, "params.yaml"))
    assert main(["run", "--params", str(_write(tmp_path, "a: !!python/name:os.system\n", "p.yaml"))]) == 2
    captured = capsys.readouterr()
    assert "connlab run: error:" in captured.err and "Traceback" not in captured.err
