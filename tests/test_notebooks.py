"""House rules for notebooks: literal parameters, only calls into `analysis`, no stored outputs;
no model code: no def/class/lambda, loops, conditional expressions or comprehensions, and code
cells of at most MAX_LINES lines (anything longer belongs in src/analysis); what a notebook needs
from a data set is declared in its metadata (`analysis.runner.needs`)."""

import ast
import re

import nbformat
import pytest
from conftest import PROJECT_ROOT

from analysis.runner.needs import read_needs
from analysis.runner.suite import SECTION_TAG, read_parameters

MAX_LINES = 8  # code lines of one cell (the imports-and-start_run cell may have more: MAX_SETUP_LINES)
MAX_SETUP_LINES = 10

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
    for i, cell in enumerate(code):
        assert cell.get("outputs", []) == [] and cell.get("execution_count") is None, "strip outputs"
        tree = ast.parse(cell.source)
        lines = [line for line in cell.source.splitlines() if line.strip() and not line.strip().startswith("#")]
        limit = MAX_SETUP_LINES if i == 1 else MAX_LINES
        if i > 0:  # the parameters cell lists every parameter
            assert len(lines) <= limit, f"code cell {i} has {len(lines)} lines (at most {limit}):\n{cell.source}"
        for node in ast.walk(tree):
            assert not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Lambda), "no def/class in notebooks"
            assert not isinstance(node, ast.For | ast.While), "no loops over analyses in notebooks"
            assert not isinstance(node, ast.If | ast.IfExp), f"no conditionals in notebooks:\n{cell.source}"
            assert not isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp), \
                f"no comprehensions in notebooks:\n{cell.source}"
            if isinstance(node, ast.ImportFrom | ast.Import):
                modules = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert all(m.split(".")[0] == "analysis" for m in modules), "import only from analysis"
    calls = [n for c in code for n in ast.walk(ast.parse(c.source))
             if isinstance(n, ast.Call)
             and "start_run" in (getattr(n.func, "attr", None), getattr(n.func, "id", None))]  # fmt: skip
    assert len(calls) == 1, "one start_run(...) call"
    assert calls[0].args[0].value == path.stem
    assert {k.arg for k in calls[0].keywords} == set(params), "start_run records every parameter"
    assert code[-1].source.strip() == "run.finish()"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_needs_and_sections_are_declared_as_data(path):
    """Every section tag names a declared section; every declared section has cells; the needs
    read (`read_needs` raises on a malformed declaration) and name only parameters the notebook has."""
    nb = nbformat.read(path, as_version=4)
    needs = read_needs(nb.metadata, path.name)
    tagged = {t[len(SECTION_TAG):] for c in nb.cells for t in c.get("metadata", {}).get("tags", [])
              if t.startswith(SECTION_TAG)}  # fmt: skip
    assert tagged == set(needs.sections or {}), "section tags and declared sections differ"
    params = read_parameters(path)
    for need in list(needs.notebook) + [n for ns in (needs.sections or {}).values() for n in ns]:
        for name in re.findall(r"\{(\w+)\}", need):
            assert name in params, f"{need} names an unknown parameter {name!r}"
