"""`connlab run`: parameter checks before anything runs, failures kept, results reproducible."""

import json
import re

import pytest
from conftest import PROJECT_ROOT

from analysis import ParameterError, load_dataset
from analysis.runner.cli import main
from analysis.runner.render import render_notebook
from analysis.runner.suite import discover_notebooks, parse_overrides, read_parameters

NOTEBOOKS = PROJECT_ROOT / "notebooks"


def test_read_parameters_of_the_overview():
    params = read_parameters(NOTEBOOKS / "00_overview.ipynb")
    assert params["seed"].default == 20261123 and params["seed"].kind == "int"
    assert params["min_answered"].kind == "float"
    assert params["codebook"].kind == "none"
    assert "prorating" in params["min_answered"].doc


@pytest.mark.parametrize(
    "pairs, expected",
    [
        (["seed=7"], {"seed": 7}),
        (["min_answered=1"], {"min_answered": 1.0}),
        (["diary_table=daily"], {"diary_table": "daily"}),
        (["codebook=none"], {"codebook": None}),
        (["codebook=/tmp/x.yaml"], {"codebook": "/tmp/x.yaml"}),
    ],
)
def test_overrides_are_typed(pairs, expected):
    assert parse_overrides(pairs, discover_notebooks(NOTEBOOKS)) == expected


@pytest.mark.parametrize(
    "pairs, match",
    [
        (["no_such_param=1"], r"Unknown parameter `no_such_param`.*Known parameters: .*seed"),
        (["seed=abc"], r"`seed` expects an integer .*'abc'"),
        (["seed=1.5"], r"`seed` expects an integer"),
        (["min_answered=lots"], r"`min_answered` expects a number"),
        (["seed"], r"-p name=value"),
        (["output_dir=/tmp"], r"--out"),
    ],
)
def test_bad_overrides_name_the_parameter(pairs, match):
    with pytest.raises(ParameterError, match=match):
        parse_overrides(pairs, discover_notebooks(NOTEBOOKS))


@pytest.mark.parametrize(
    "argv, words",
    [
        (["-p", "no_such_param=1"], ["no_such_param"]),
        (["-p", "seed=abc"], ["seed", "integer", "abc"]),
        (["--data", "/no/such/file.csv"], ["/no/such/file.csv", "does not exist"]),
        (["--only", "42"], ["42", "no such notebook"]),
    ],
)
def test_cli_fails_fast_with_exit_2(tmp_path, capsys, argv, words):
    code = main(["run", "--out", str(tmp_path), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    for word in words:
        assert word in err
    assert not (tmp_path / "index.html").exists()  # nothing ran


def test_failed_notebook_is_kept_and_listed(suite_run):
    code, notebooks, out = suite_run
    assert code == 1  # one notebook failed
    index = (out / "index.html").read_text()
    assert re.search(r"00_overview\.html\">00_overview</a></td><td class='status-succeeded'>succeeded", index)
    assert re.search(r"99_fails\.html\">99_fails</a></td><td class='status-failed'>failed", index)
    assert "RuntimeError: deliberate failure: runner test fixture" in index
    assert f"{len(list(notebooks.glob('[0-9][0-9]_*.ipynb'))) - 1} succeeded, 1 failed" in index
    kept = json.loads((out / "99_fails" / "99_fails.ipynb").read_text())
    errors = [o for c in kept["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors and errors[0]["evalue"] == "deliberate failure: runner test fixture"
    assert (out / "99_fails.html").exists()


def test_overview_results_json(suite_run, small_demo):
    _, _, out = suite_run
    doc = json.loads((out / "00_overview" / "results.json").read_text())
    sample = {(r["table"], r["quantity"]): r["value"] for r in doc["results"]["sample"]}
    ledger = load_dataset(small_demo).ledger
    analysed = ledger[(ledger["table"] == "survey") & (ledger["status"] == "analysed")]
    assert sample[("survey", "rows")] == len(analysed) > 0
    assert sample[("survey", "couples")] == 40
    assert {r["instrument"] for r in doc["results"]["missingness"]} >= {"ecr_s", "csi_16", "prqc"}
    desc = {r["variable"]: r for r in doc["results"]["descriptives"]}
    assert 0 <= desc["csi_16_total"]["min"] <= desc["csi_16_total"]["max"] <= 81
    prov = doc["provenance"]
    assert prov["parameters"]["data"] == str(small_demo.resolve())
    assert prov["seed"] == 20261123
    assert {i["table"] for i in prov["inputs"]} == {"survey", "diary", "family", "codebook"}


def test_same_inputs_give_identical_results(suite_run, small_demo):
    _, notebooks, out = suite_run
    first = json.loads((out / "00_overview" / "results.json").read_text())
    assert main(["run", "--only", "00", "--data", str(small_demo), "--notebooks", str(notebooks),
                 "--out", str(out)]) == 0  # fmt: skip
    second = json.loads((out / "00_overview" / "results.json").read_text())
    for doc in (first, second):
        for key in ("started_at", "run_time_s"):
            doc["provenance"].pop(key)
    assert first == second


def test_code_is_hidden_unless_asked(suite_run, tmp_path):
    _, _, out = suite_run
    executed = out / "00_overview" / "00_overview.ipynb"
    hidden = render_notebook(executed, tmp_path / "hidden.html").read_text()
    shown = render_notebook(executed, tmp_path / "shown.html", show_code=True).read_text()
    assert "load_dataset" not in hidden and "load_dataset" in shown


def test_reports_are_self_contained(suite_run):
    _, _, out = suite_run
    pages = sorted(out.glob("*.html"))
    expected = sorted(p.stem + ".html" for p in (PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert [p.name for p in pages] == expected + ["99_fails.html", "index.html"]
    for page in pages:
        text = page.read_text()
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), page.name
        assert "@import" not in text and "<script src" not in text, page.name
    overview = (out / "00_overview.html").read_text()
    assert overview.count('src="data:image/png;base64,') >= 3  # figures embedded
    assert "Simulated data." in overview and "Provenance" in overview


def test_every_succeeded_notebook_writes_results_with_provenance(suite_run):
    _, notebooks, out = suite_run
    for path in sorted(notebooks.glob("[0-9][0-9]_*.ipynb")):
        if path.stem == "99_fails":
            continue
        doc = json.loads((out / path.stem / "results.json").read_text())
        assert doc["notebook"] == path.stem and doc["results"]
        assert {"parameters", "inputs", "packages", "seed", "git_commit", "started_at",
                "run_time_s"} <= set(doc["provenance"])  # fmt: skip


def test_the_longest_notebooks_start_first(tmp_path):
    """`run_order`: by the time of the last run into the output folder that finished the notebook,
    else by its declared usual time (``connectionlab.seconds``), longest first; ties in suite order."""
    from dataclasses import replace

    import nbformat

    from analysis.runner.suite import RECORD_NAME, run_order

    specs = discover_notebooks()
    assert all(s.seconds is not None for s in specs)  # every notebook of the suite declares it
    by_name = {s.name: s for s in specs}
    expected = sorted(specs, key=lambda s: -s.seconds)
    assert [s.name for s in run_order(specs, tmp_path)] == [s.name for s in expected]
    (tmp_path / "08_family_srm").mkdir()
    (tmp_path / "08_family_srm" / RECORD_NAME).write_text(json.dumps({"status": "succeeded", "seconds": 99.0}))
    (tmp_path / "04_dyadic_apim").mkdir()
    (tmp_path / "04_dyadic_apim" / RECORD_NAME).write_text(json.dumps({"status": "failed", "seconds": 98.0}))
    order = [s.name for s in run_order(specs, tmp_path)]
    assert order[0] == "08_family_srm" and order.index("04_dyadic_apim") > order.index("07_multiverse")
    same = [replace(by_name["02_attachment_explorer"], seconds=None), replace(by_name["00_data_quality"], seconds=None)]
    assert run_order(same, tmp_path) == same  # no time known: as given
    nb = nbformat.read(by_name["04_dyadic_apim"].path, as_version=4)
    nb.metadata["connectionlab"]["seconds"] = "fast"
    folder = tmp_path / "bad"
    folder.mkdir()
    nbformat.write(nb, folder / "04_dyadic_apim.ipynb")
    with pytest.raises(ParameterError, match=r"04_dyadic_apim.ipynb: `connectionlab.seconds` must be a number"):
        discover_notebooks(folder)


@pytest.mark.parametrize("show_code", [False, True])
def test_reports_are_nbconverts_pages_without_its_soup_pass(suite_run, show_code):
    """Our exporter leaves out HTMLExporter's BeautifulSoup pass and does its two edits on the text
    (`_accessible`): parsed, the page is the one nbconvert's HTMLExporter writes with our template."""
    import nbformat
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    from analysis.paths import TEMPLATES_DIR
    from analysis.runner import render

    _, _, out = suite_run
    stock = HTMLExporter(template_name="connectionlab", extra_template_basedirs=[str(TEMPLATES_DIR)])
    stock.exclude_input, stock.exclude_input_prompt, stock.exclude_output_prompt = not show_code, True, True
    for name in ("00_overview", "04_dyadic_apim"):
        nb = nbformat.read(out / name / f"{name}.ipynb", as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell('<img src="data:image/png;base64,iVBORw0KGgo=">'))  # no alt
        ours, _ = render._exporter(show_code).from_notebook_node(nb, resources={"connectionlab_css": "x"})
        theirs, _ = stock.from_notebook_node(nb, resources={"connectionlab_css": "x"})
        assert str(BeautifulSoup(ours, "html.parser")) == theirs
        assert ours.count('tabindex="0"') == theirs.count('tabindex="0"') > 0 and render.NO_ALT in ours
