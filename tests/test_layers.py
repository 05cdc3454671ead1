"""The package's layers, read from the source (ast), not from a running import.

The rule: ``src/analysis`` is organised in layers, each a subpackage::

    data -> scoring -> psychometrics -> models -> claims -> report -> runner

A module may import modules of its own layer and of the layers before it, never of a later one.
The base modules (``analysis.exceptions``, ``analysis.apa``, ``analysis.paths``,
``analysis._checks``, ``analysis._compat``, ``analysis.yaml_files``) may be imported by every
layer and import only each other. ``analysis/__init__`` (the public surface, loaded lazily by
name) imports only the base.
No two modules import each other, directly or through others (no cycles), counting imports
inside functions and ``TYPE_CHECKING`` blocks too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "analysis"
LAYERS = ["data", "scoring", "psychometrics", "models", "claims", "report", "runner"]
BASE = {"analysis.exceptions", "analysis.apa", "analysis.paths", "analysis._checks", "analysis._compat",
        "analysis.yaml_files"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    """-1 for the base and the package itself, else the index of the module's layer."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return LAYERS.index(parts[1])
    return -1


def _resolve(module: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The analysis modules an import statement names (a package's submodule when it is one)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "analysis"]
    if node.level:
        base = module.split(".")
        is_package = MODULES[module].name == "__init__.py"
        base = base[: len(base) - node.level + (1 if is_package else 0)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target.split(".")[0] != "analysis":
        return []
    out = []
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        out.append(sub if sub in MODULES else target)
    return out


def _imports() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                targets.update(t for t in _resolve(module, node) if t != module)
        graph[module] = targets
    return graph


GRAPH = _imports()


def test_every_module_is_in_a_layer_or_the_base():
    loose = [m for m in MODULES if _layer(m) == -1 and m not in BASE | {"analysis"}]
    assert not loose, f"modules outside every layer and the base: {loose}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_downward(module):
    """Upward imports break the layering: move the shared code down, or the caller up."""
    mine = _layer(module)
    upward = []
    for target in sorted(GRAPH[module]):
        if target not in MODULES:
            upward.append(f"{target} (no such module)")
        elif module in BASE | {"analysis"} and target not in BASE:
            upward.append(target)
        elif _layer(target) > mine:
            upward.append(f"{target} ({LAYERS[_layer(target)]})")
    assert not upward, f"{module} ({LAYERS[mine] if mine >= 0 else 'base'}) imports {upward}"


def test_no_import_cycles():
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []
    counter = iter(range(10**6))

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = next(counter)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH.get(v, ()):
            if w not in GRAPH:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_the_rule_itself_catches_an_upward_import(tmp_path):
    """The checker would see a model importing the report layer."""
    node = ast.parse("from analysis.report.figures import forest_plot").body[0]
    assert _resolve("analysis.models.meta", node) == ["analysis.report.figures"]
    assert _layer("analysis.report.figures") > _layer("analysis.models.meta")
