"""Run the notebook suite with papermill: validate parameters, check needs, execute, render, index.

Every notebook in ``notebooks/`` has a cell tagged ``parameters`` holding literal assignments
(``seed = 20261123  # comment``). Their defaults fix each parameter's type; overrides are
checked against them before any notebook runs. A notebook's metadata says what it needs from the
data set (`analysis.runner.needs`): a notebook whose needs are not met is "not applicable" and
does not run; a section whose needs are not met is replaced by one line saying what it needs.
"""

from __future__ import annotations

import ast
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from analysis.data.codebook import read_codebook
from analysis.exceptions import AnalysisError, ParameterError
from analysis.paths import NOTEBOOKS_DIR, REPORTS_DIR
from analysis.runner.needs import Needs, read_needs, unmet_needs

__all__ = ["Parameter", "NotebookSpec", "NotebookRun", "read_parameters", "discover_notebooks", "parse_overrides",
           "check_values", "run_suite"]  # fmt: skip

KERNEL_NAME = "connectionlab"
KIND_TEXT = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "text",
             "none": "a value or none", "list": "a JSON list", "dict": "a JSON object"}  # fmt: skip


@dataclass(frozen=True)
class Parameter:
    """One parameter of a notebook: default literal, its type name and the comment after it."""

    name: str
    default: object
    kind: str
    doc: str = ""


@dataclass(frozen=True)
class NotebookSpec:
    """A notebook of the suite: its name, file, parameters and needs."""

    name: str
    path: Path
    parameters: dict[str, Parameter]
    needs: Needs = field(default_factory=Needs)


@dataclass
class NotebookRun:
    """Outcome of one notebook: status, time, parameters and the files written."""

    name: str
    status: str  # "succeeded" | "failed" | "not applicable"
    seconds: float
    parameters: dict
    notebook: Path
    html: Path | None
    results: Path | None
    error: str | None = None
    extra: dict = field(default_factory=dict)


def _kind(value) -> str:
    if value is None:
        return "none"
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}.get(
        type(value), "other")  # fmt: skip


def read_parameters(path: Path) -> dict[str, Parameter]:
    """Parameters declared in the ``parameters``-tagged cell of notebook `path`.

    Raises
    ------
    ParameterError
        If the notebook has no such cell or the cell holds anything but literal assignments.
    """
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"{path.name} must have exactly one cell tagged 'parameters' ({len(cells)} found).")
    source = cells[0].source
    lines = source.splitlines()
    params = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise ParameterError(f"{path.name}: the parameters cell may hold only `name = literal` lines "
                                 f"(line {node.lineno}).")  # fmt: skip
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            raise ParameterError(f"{path.name}: parameter `{node.targets[0].id}` must be a literal "
                                 "(papermill does not recompute derived values).") from None  # fmt: skip
        line = lines[node.lineno - 1]
        doc = line.split("#", 1)[1].strip() if "#" in line else ""
        name = node.targets[0].id
        params[name] = Parameter(name, value, _kind(value), doc)
    return params


def discover_notebooks(folder: Path = NOTEBOOKS_DIR, only: Sequence[str] | None = None) -> list[NotebookSpec]:
    """The suite: ``NN_name.ipynb`` files in `folder`, sorted; `only` selects by name or prefix."""
    paths = sorted(p for p in Path(folder).glob("[0-9][0-9]_*.ipynb"))
    specs = [NotebookSpec(p.stem, p, read_parameters(p), read_needs(nbformat.read(p, as_version=4).metadata, p.name))
             for p in paths]  # fmt: skip
    if only:
        chosen = [s for s in specs if any(s.name == o or s.name.startswith(o) for o in only)]
        unknown = [o for o in only if not any(s.name == o or s.name.startswith(o) for s in specs)]
        if unknown:
            names = ", ".join(s.name for s in specs)
            raise ParameterError(f"--only {', '.join(unknown)}: no such notebook. Notebooks: {names}.")
        specs = chosen
    if not specs:
        raise ParameterError(f"No notebooks (NN_name.ipynb) found in {folder}.")
    return specs


def _convert(raw: str, param: Parameter, where: str):
    text = raw.strip()
    fail = ParameterError(
        f"Parameter `{param.name}` expects {KIND_TEXT.get(param.kind, param.kind)} (default "
        f"{param.default!r} in {where}), but {raw!r} was passed. Use -p {param.name}=VALUE."
    )
    if param.kind == "int":
        try:
            return int(text)
        except ValueError:
            raise fail from None
    if param.kind == "float":
        try:
            return float(text)
        except ValueError:
            raise fail from None
    if param.kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        raise fail
    if param.kind in ("str", "none"):
        return None if text in ("None", "null") or (param.kind == "none" and text.lower() in ("none", "")) else raw
    if param.kind in ("list", "dict"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise fail from None
        if _kind(value) != param.kind and value is not None:
            raise fail
        return value
    raise fail


def parse_overrides(pairs: Sequence[str], specs: Sequence[NotebookSpec]) -> dict:
    """Turn ``-p key=value`` strings into typed values, checked against every notebook.

    Raises
    ------
    ParameterError
        For a malformed pair, a name no selected notebook declares, or a value that does not
        fit the declared type (the message names the parameter and the notebook).
    """
    values = {}
    for pair in pairs:
        if "=" not in pair:
            raise ParameterError(f"-p {pair!r}: write parameters as -p name=value.")
        name, raw = pair.split("=", 1)
        name = name.strip()
        if name == "output_dir":
            raise ParameterError("`output_dir` is set by the runner for each notebook; use --out DIR instead.")
        owners = [s for s in specs if name in s.parameters]
        if not owners:
            known = sorted({p for s in specs for p in s.parameters})
            raise ParameterError(
                f"Unknown parameter `{name}`: no selected notebook declares it. Known parameters: "
                f"{', '.join(known)}."
            )
        for spec in owners:  # every notebook that declares it must accept the value
            values[name] = _convert(raw, spec.parameters[name], spec.name)
    return values


def check_values(values: dict, specs: Sequence[NotebookSpec], *, source: str) -> dict:
    """Typed parameter values (from a ``--params`` YAML file), checked against every notebook.

    Parameters
    ----------
    values : dict
        ``{name: value}`` with YAML types (text, numbers, true/false, lists, mappings, null).
    specs : sequence of NotebookSpec
        The selected notebooks.
    source : str
        Where the values come from (the file), for messages.

    Returns
    -------
    dict
        The values, unchanged (an integer is accepted where a number is expected).

    Raises
    ------
    ParameterError
        A name no selected notebook declares, or a value of the wrong type (the message names the
        parameter, the notebook and `source`).
    """
    if not isinstance(values, dict):
        raise ParameterError(f"{source}: a parameters file must be a mapping `name: value`, not {_kind(values)}.")
    for name, value in values.items():
        if name == "output_dir":
            raise ParameterError(f"{source}: `output_dir` is set by the runner; use --out DIR instead.")
        owners = [s for s in specs if name in s.parameters]
        if not owners:
            known = sorted({p for s in specs for p in s.parameters})
            raise ParameterError(f"{source}: unknown parameter `{name}`: no selected notebook declares it. "
                                 f"Known parameters: {', '.join(known)}.")  # fmt: skip
        for spec in owners:
            param = spec.parameters[name]
            kind = _kind(value)
            fits = (kind == param.kind or param.kind == "none" or (param.kind == "float" and kind == "int")
                    or (value is None and param.kind in ("str", "list", "dict")))  # fmt: skip
            if not fits:
                expects = KIND_TEXT.get(param.kind, param.kind)
                raise ParameterError(f"{source}: parameter `{name}` expects {expects} (default {param.default!r} in "
                                     f"{spec.name}), but {value!r} was given.")  # fmt: skip
    return dict(values)


def _split_parameters(parameters: dict, specs: Sequence[NotebookSpec]) -> tuple[dict, dict]:
    """(values for every notebook, {notebook name: values for that notebook}) of a parameters file:
    a key that names a notebook of the suite and holds a mapping is that notebook's own (ignored when
    the notebook is not selected)."""
    names = {s.name for s in specs}
    per = {k: v for k, v in parameters.items() if k in names and isinstance(v, dict)}
    return {k: v for k, v in parameters.items() if k not in per}, per


def _check_paths(values: dict) -> None:
    """Fail fast on a data or codebook path that does not exist or does not read."""
    for key in ("data", "codebook"):
        value = values.get(key)
        if value and not Path(value).exists():
            raise ParameterError(f"`{key}`: {value} does not exist. Pass an existing path with --{key}.")
    if values.get("codebook"):
        read_codebook(values["codebook"])


SECTION_TAG = "section:"


def _without_sections(path: Path, unmet: dict[str, list[str]]):
    """The notebook with each section whose needs are unmet replaced by one Markdown line."""
    nb = nbformat.read(path, as_version=4)
    cells, done = [], set()
    for cell in nb.cells:
        tags = [t[len(SECTION_TAG):] for t in cell.get("metadata", {}).get("tags", []) if t.startswith(SECTION_TAG)]
        skipped = [t for t in tags if t in unmet]
        if not skipped:
            cells.append(cell)
        elif skipped[0] not in done:
            done.add(skipped[0])
            text = f"*Not applicable to these data: this part needs {_and(unmet[skipped[0]])}.*"
            cells.append(nbformat.v4.new_markdown_cell(text, metadata={"tags": [f"{SECTION_TAG}{skipped[0]}"]}))
    nb.cells = cells
    return nb


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _execute(spec: NotebookSpec, params: dict, out_dir: Path, show_code: bool, kernel: str,
             unmet_sections: dict[str, list[str]] | None = None) -> NotebookRun:  # fmt: skip
    import papermill as pm  # imported here: it is slow to import and only the runner needs it

    from analysis.runner.render import render_notebook

    folder = out_dir / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    executed = folder / f"{spec.name}.ipynb"
    params = {**params, "output_dir": str(folder)} if "output_dir" in spec.parameters else params
    effective = {name: p.default for name, p in spec.parameters.items()} | params
    start = time.perf_counter()
    status, error = "succeeded", None
    with tempfile.TemporaryDirectory(prefix="connlab-nb-") as tmp:
        source = spec.path
        if unmet_sections:
            source = Path(tmp) / spec.path.name
            nbformat.write(_without_sections(spec.path, unmet_sections), source)
        try:
            pm.execute_notebook(str(source), str(executed), parameters=params, kernel_name=kernel,
                                cwd=str(spec.path.parent), progress_bar=False, log_output=False,
                                kernel_manager_class=_kernel_manager_class())  # fmt: skip
        except pm.PapermillExecutionError as exc:
            status, error = "failed", f"{exc.ename}: {exc.evalue} (cell {exc.exec_count})"
        except Exception as exc:  # kernel death, timeouts: the suite goes on
            status, error = "failed", f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - start
    html = None
    if executed.exists():
        html = out_dir / f"{spec.name}.html"
        render_notebook(executed, html, show_code=show_code)
    results = folder / "results.json"
    if results.exists() and unmet_sections:
        doc = json.loads(results.read_text(encoding="utf-8"))
        doc["not_applicable"] = {name: _and(parts) for name, parts in sorted(unmet_sections.items())}
        results.write_text(json.dumps(doc, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")
    extra = {"overridden": sorted(k for k in params if k != "output_dir"),
             "not_applicable_sections": {k: _and(v) for k, v in (unmet_sections or {}).items()}}  # fmt: skip
    return NotebookRun(spec.name, status, seconds, effective, executed, html,
                       results if results.exists() else None, error, extra=extra)  # fmt: skip


def _check_needs(spec: NotebookSpec, params: dict, datasets: dict) -> tuple[str | None, dict[str, list[str]]]:
    """(why the notebook is not applicable or None, {section: unmet needs}) for these parameters."""
    if not spec.needs.notebook and not spec.needs.sections:
        return None, {}
    effective = {name: p.default for name, p in spec.parameters.items()} | params
    if "data" not in effective:
        return None, {}
    key = (effective.get("data"), effective.get("codebook"))
    if key not in datasets:
        from analysis.data.dataset import load_dataset
        from analysis.paths import resolve

        try:
            codebook = resolve(key[1]) if key[1] else None
            datasets[key] = load_dataset(resolve(key[0]), codebook=codebook)
        except AnalysisError:
            datasets[key] = None  # the notebook's own load cell shows the message
    dataset = datasets[key]
    if dataset is None:
        return None, {}
    unmet = unmet_needs(spec.needs.notebook, dataset, effective)
    if unmet:
        return f"not applicable: needs {_and(unmet)}", {}
    sections = {name: unmet_needs(needs, dataset, effective) for name, needs in (spec.needs.sections or {}).items()}
    return None, {name: parts for name, parts in sections.items() if parts}


def _kernel_manager_class():
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        """Kernel over Unix sockets in a private temporary folder: no open TCP port, no name
        clash between parallel kernels."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._socket_dir = tempfile.TemporaryDirectory(prefix="connlab-kernel-")
            self.transport = "ipc"
            self.ip = os.path.join(self._socket_dir.name, "kernel")

    return IPCKernelManager


def _kernel_name() -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    return KERNEL_NAME if KERNEL_NAME in KernelSpecManager().find_kernel_specs() else "python3"


def run_suite(
    *,
    only: Sequence[str] | None = None,
    overrides: Sequence[str] = (),
    data: str | None = None,
    codebook: str | None = None,
    out_dir: str | Path = REPORTS_DIR,
    jobs: int = 1,
    show_code: bool = False,
    notebooks_dir: Path = NOTEBOOKS_DIR,
    progress: Callable[[str], None] | None = None,
    parameters: dict | None = None,
) -> list[NotebookRun]:
    """Execute the notebook suite and write ``<out_dir>/index.html`` (what ``connlab run`` does).

    Parameters
    ----------
    only : sequence of str, optional
        Notebook names or prefixes (``["00", "03"]``); default: every notebook.
    overrides : sequence of str, default ()
        ``"name=value"`` parameter settings, typed against each notebook's parameters cell.
    data : str, optional
        Data file or data-set folder for every notebook with a `data` parameter (a relative path
        is taken from the current folder).
    codebook : str, optional
        Codebook YAML for `data`.
    out_dir : str or Path, default ``reports/``
        Output folder: one subfolder per notebook (executed notebook, ``results.json``), one
        HTML report per notebook and ``index.html``.
    jobs : int, default 1
        Notebooks run in parallel.
    show_code : bool, default False
        Keep the code cells in the HTML reports.
    notebooks_dir : Path, default ``notebooks/``
        Folder of ``NN_name.ipynb`` notebooks.
    progress : callable, optional
        Called with one line of text per event (default: print to stderr).
    parameters : dict, optional
        Typed parameter values (``connlab run --params FILE``): ``name: value`` for every notebook
        that declares `name`, and ``<notebook name>: {name: value}`` for one notebook only (which
        wins); `overrides` win over both.

    Returns
    -------
    list of NotebookRun
        One per notebook, in suite order, each with its status ("succeeded", "failed" or
        "not applicable"), run time, parameters and files.

    Raises
    ------
    ParameterError
        An unknown notebook or parameter, a value of the wrong type, a missing data path, or a
        bad `jobs`; raised before any notebook starts.

    Notes
    -----
    Everything is checked before the first notebook starts: names, types, paths and what each
    notebook needs from the data set (`analysis.runner.needs`). A notebook whose needs are not
    met is listed as not applicable and not run; a section whose needs are not met is replaced by
    one line. A failing notebook does not stop the others; its executed notebook and error are
    kept and linked from the index.

    Examples
    --------
    >>> from analysis import run_suite
    >>> runs = run_suite(only=["00_data"], out_dir="/tmp/connlab-doctest-reports")  # doctest: +SKIP
    >>> [(r.name, r.status) for r in runs]  # doctest: +SKIP
    [('00_data_quality', 'succeeded')]
    """
    say = progress or (lambda msg: print(msg, file=sys.stderr, flush=True))
    if not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"--jobs must be a whole number >= 1, but {jobs!r} was passed.")
    specs = discover_notebooks(notebooks_dir, only)
    common, per_notebook = _split_parameters(parameters or {}, discover_notebooks(notebooks_dir))
    values = check_values(common, specs, source="parameters") | parse_overrides(overrides, specs)
    per_notebook = {name: check_values(v, [s for s in specs if s.name == name], source=f"parameters for {name}")
                    for name, v in per_notebook.items() if any(s.name == name for s in specs)}  # fmt: skip
    for key, value in (("data", data), ("codebook", codebook)):
        if value is not None:
            if not any(key in s.parameters for s in specs):
                raise ParameterError(f"--{key} given, but no selected notebook has a `{key}` parameter.")
            values[key] = str(Path(value).expanduser().resolve())
    for key in ("data", "codebook"):
        if values.get(key):
            values[key] = str(Path(values[key]).expanduser().resolve())
    _check_paths(values)
    out = Path(out_dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    kernel = _kernel_name()
    total = len(specs)
    say(f"Running {total} notebook(s) with {min(jobs, total)} job(s) -> {out}")

    datasets: dict = {}
    checked = {}
    given = {spec.name: {k: v for k, v in (common | per_notebook.get(spec.name, {}) | values).items()
                         if k in spec.parameters} for spec in specs}  # fmt: skip
    for spec in specs:  # needs are checked before any kernel starts
        checked[spec.name] = _check_needs(spec, given[spec.name], datasets)

    def one(index_spec):
        i, spec = index_spec
        params = given[spec.name]
        why, sections = checked[spec.name]
        if why:
            say(f"[{i}/{total}] {spec.name}: {why}")
            effective = {name: p.default for name, p in spec.parameters.items()} | params
            if "output_dir" in effective:
                effective["output_dir"] = str(out / spec.name)  # where it would have written
            return NotebookRun(spec.name, "not applicable", 0.0, effective, None, None, None, why,
                               extra={"overridden": sorted(params)})  # fmt: skip
        say(f"[{i}/{total}] {spec.name}: started")
        run = _execute(spec, params, out, show_code, kernel, sections)
        say(f"[{i}/{total}] {spec.name}: {run.status} in {run.seconds:.1f} s"
            + (f" - {run.error}" if run.error else ""))  # fmt: skip
        return run

    with ThreadPoolExecutor(max_workers=min(jobs, total)) as pool:
        runs = list(pool.map(one, enumerate(specs, start=1)))
    from analysis.runner.render import write_index

    write_index(runs, out / "index.html")
    return runs
