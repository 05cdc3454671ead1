"""House rules for notebooks: literal parameters, only calls into `analysis`, no stored outputs."""

import ast

import nbformat
import pytest

from analysis.runner.suite import read_parameters
from conftest import PROJECT_ROOT

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert [p.stem for p in NOTEBOOKS][:2] == ["00_data_quality", "00_overview"]
    assert "02_attachment_explorer" in [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_conventions(path):
    nb = nbformat.read(path, as_version=4)
    params = read_parameters(path)  # one tagged cell of literals, else ParameterError
    assert "output_dir" in params
    assert all(p.doc for p in params.values()), "every parameter has a comment saying what it is"
    assert nb.metadata["kernelspec"]["name"] == "connectionlab"
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert cell.get("outputs", []) == [] and cell.get("execution_count") is None, "strip outputs"
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Lambda), "no def/class in notebooks"
            assert not isinstance(node, ast.For | ast.While), "no loops over analyses in notebooks"
            if isinstance(node, ast.ImportFrom | ast.Import):
                modules = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert all(m.split(".")[0] == "analysis" for m in modules), "import only from analysis"
    calls = [n for c in code for n in ast.walk(ast.parse(c.source))
             if isinstance(n, ast.Call) and getattr(n.func, "attr", None) == "start_run"]  # fmt: skip
    assert len(calls) == 1, "one report.start_run(...) call"
    assert calls[0].args[0].value == path.stem
    assert {k.arg for k in calls[0].keywords} == set(params), "start_run records every parameter"
    assert code[-1].source.strip() == "run.finish()"
