"""Batch reports (`connlab run --by COLUMN`, `connlab run --data A --data B`): how a data set is split
into groups (each a data set of its own, with the codebook), the batch on a local Dask cluster with
one index over every group (a failed group listed with its error, the others complete), and the
one-line errors of bad input. The batch through a running `dask scheduler` is in test_distributed.py."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from analysis import load_dataset
from analysis.exceptions import ParameterError
from analysis.runner import cli
from analysis.runner.batch import run_batch, split_by


def rows_notebook(folder: Path, *, fail_on: str = "engaged") -> Path:
    """A one-cell suite: load the data set, write its row count to results.json; fail on a title holding `fail_on`."""
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell('data = "data/raw/demo_survey"\ncodebook = None\noutput_dir = "reports/01_rows"',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import json, pathlib\nfrom analysis import load_dataset\n"
            "ds = load_dataset(data, codebook=codebook)\n"
            f"if {fail_on!r} in ds.title:\n    raise ValueError('deliberate failure of this group')\n"
            "pathlib.Path(output_dir).mkdir(parents=True, exist_ok=True)\n"
            "(pathlib.Path(output_dir) / 'results.json').write_text(json.dumps({'rows': len(ds.table()), "
            "'title': ds.title}))"
        ),
    ]
    nbformat.write(nb, folder / "01_rows.ipynb")
    return folder


def _raw(folder: Path, table: str = "survey") -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


def test_split_by_writes_each_group_as_a_data_set_with_the_codebook(small_demo, tmp_path):
    groups, notes = split_by(small_demo, "relationship_status", tmp_path)
    raw, diary = _raw(small_demo), _raw(small_demo, "diary")
    counts = raw["relationship_status"].value_counts()
    assert [g.name for g in groups] == [v for v in ["dating", "cohabiting", "engaged", "married"] if v in counts]
    assert sum(g.rows for g in groups) == len(raw) == counts.sum()
    assert any("family" in n and "left out" in n for n in notes)  # no column, no shared id: not in the groups
    full = load_dataset(small_demo)
    for g in groups:
        value = g.label.split(" = ")[1]
        assert g.data == tmp_path / g.name / "data" and g.rows == counts[value]
        ds = load_dataset(g.data)
        assert ds.title.endswith(f"(relationship_status = {value})") and ds.simulated
        assert set(ds.tables) <= {"survey", "diary"}
        # the group's analysed rows are the full data set's analysed rows of that group, value for value
        mine = ds.table("survey").reset_index(drop=True)
        theirs = full.table("survey")
        theirs = theirs[theirs["relationship_status"] == value].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, theirs[mine.columns], check_exact=True)
        # the diary follows its persons (linked by person_id, the id both tables hold)
        persons = set(raw.loc[raw["relationship_status"] == value, "person_id"])
        expected = int(diary["person_id"].isin(persons).sum())
        assert g.tables.get("diary", 0) == expected
        if expected:
            assert len(_raw(g.data, "diary")) == expected
        else:
            assert "diary" not in ds.tables and "diary" in " ".join(g.notes)


def test_split_by_keeps_missing_codes_out_of_the_groups_and_reads_decimal_commas(tmp_path):
    """A semicolon file with decimal commas; the column's missing code -9 makes no group."""
    folder = tmp_path / "sites"
    folder.mkdir()
    (folder / "s.csv").write_text("id;site;score\n1;north;2,5\n2;south;3,25\n3;north;4,0\n4;-9;1,5\n5;;2,0\n",
                                  encoding="utf-8")  # fmt: skip
    codebook = {"dataset": "sites", "tables": {"survey": {"file": "s.csv", "variables": {
        "id": {"type": "integer", "role": "id"}, "site": {"type": "categorical", "missing_codes": [-9]},
        "score": {"type": "number"}}}}}  # fmt: skip
    (folder / "codebook.yaml").write_text(yaml.safe_dump(codebook), encoding="utf-8")
    groups, notes = split_by(folder, "site", tmp_path / "out")
    assert [(g.name, g.rows) for g in groups] == [("north", 2), ("south", 1)]
    assert "2 row(s)" in notes[0]
    assert load_dataset(groups[0].data).table()["score"].tolist() == [2.5, 4.0]
    assert load_dataset(groups[1].data).table()["score"].tolist() == [3.25]


def test_split_by_names_an_unknown_column_and_refuses_an_id(small_demo, tmp_path):
    with pytest.raises(ParameterError, match=r"no table .* has a column 'relationship_stat'.*Did you mean "
                                             r"relationship_status"):  # fmt: skip
        split_by(small_demo, "relationship_stat", tmp_path)
    with pytest.raises(ParameterError, match="looks like an id"):
        split_by(small_demo, "person_id", tmp_path, max_groups=20)


def test_bad_batch_input_is_one_line_and_no_traceback(small_demo, tmp_path, capsys):
    argvs = [
        ["run", "--by", "no_such_column", "--data", str(small_demo), "--workers", "1"],
        ["run", "--by", "gender", "--data", str(small_demo), "--data", str(small_demo)],
        ["run", "--data", str(small_demo), "--scheduler", "tcp://127.0.0.1:9"],
        ["run", "--by", "gender", "--data", str(small_demo), "-p", "data=x"],
        ["run", "--by", "gender", "--data", str(small_demo), "--docx"],
    ]
    for argv in argvs:
        assert cli.main([*argv, "--out", str(tmp_path / "out")]) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("connlab run: error: ") and err.count("\n") == 1 and "Traceback" not in err, err


def test_a_batch_of_data_sets_on_a_local_cluster_lists_every_one(small_demo, tmp_path):
    """Two data sets and a broken one: each is a Dask task; the broken one is listed with its error."""
    notebooks = rows_notebook(tmp_path / "notebooks")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "codebook.yaml").write_text("dataset: broken\ntables:\n  survey:\n    file: missing.csv\n    variables:"
                                          "\n      id: {type: integer}\n", encoding="utf-8")  # fmt: skip
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("id,x\n1,2\n2,3\n3,5\n", encoding="utf-8")
    out = tmp_path / "reports"
    lines = []
    runs = run_batch(data=[small_demo, tiny, broken], out_dir=out, workers=2, notebooks_dir=notebooks,
                     progress=lines.append)  # fmt: skip
    assert [(r.name, r.status) for r in runs] == [(small_demo.name, "succeeded"), ("tiny", "succeeded"),
                                                  ("broken", "failed")]  # fmt: skip
    assert "missing.csv" in runs[2].error and runs[2].notebooks == {"01_rows": "failed"}
    doc = json.loads((out / "tiny" / "01_rows" / "results.json").read_text(encoding="utf-8"))
    assert doc["rows"] == 3
    doc = json.loads((out / small_demo.name / "01_rows" / "results.json").read_text(encoding="utf-8"))
    assert doc["rows"] == len(load_dataset(small_demo).table())
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "2 succeeded, 1 failed" in page and "missing.csv" in page
    for r in runs:
        assert f'href="{r.name}/index.html"' in page
    assert lines[0].startswith(f"Running the suite on 3 data sets ({small_demo.name}, tiny, broken) on 2 Dask worker")
    assert len(lines) == 5 and "broken: failed" in " ".join(lines)  # one line per data set, one at the end
