"""Run the notebook suite with papermill: validate parameters, check needs, execute, render, index.

Every notebook in ``notebooks/`` has a cell tagged ``parameters`` holding literal assignments
(``seed = 20261123  # comment``). Their defaults fix each parameter's type; overrides are
checked against them before any notebook runs. A notebook's metadata says what it needs from the
data set (`analysis.runner.needs`): a notebook whose needs are not met is "not applicable" and
does not run; a section whose needs are not met is replaced by one line saying what it needs.

Faults: a notebook runs for at most `timeout` seconds (each cell, and the whole notebook: past
it the kernel is interrupted, then killed); Ctrl-C (or SIGTERM) kills the running kernels, which
sit in process groups of their own that the terminal's Ctrl-C does not reach. One run at a time
writes into an output folder (`analysis.runner._lock`). Each notebook executes into a staging
folder inside the output folder and is moved over its previous report only once executed and
rendered, and the index is rewritten after each move, so a run stopped at any point (even
killed) leaves complete reports and an index that describes them; the next run removes the
staging folders of a killed run.
"""

from __future__ import annotations

import ast
import html as html_text
import json
import math
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from analysis.data.codebook import read_codebook
from analysis.exceptions import AnalysisError, ParameterError
from analysis.paths import NOTEBOOKS_DIR, PROJECT_ENV, PROJECT_ROOT, REPORTS_DIR
from analysis.runner._lock import FolderLock
from analysis.runner.needs import Needs, read_needs, unmet_needs
from analysis.runner.provenance import utc_now

__all__ = ["Parameter", "NotebookSpec", "NotebookRun", "read_parameters", "discover_notebooks", "parse_overrides",
           "check_values", "run_suite"]  # fmt: skip

KERNEL_NAME = "connectionlab"
DEFAULT_TIMEOUT = 1800  # seconds a notebook may run: each cell, and the whole notebook
KILL_GRACE = 5.0  # seconds between interrupting a timed-out kernel and killing it
STOP_WAIT = 10.0  # seconds Ctrl-C waits for the notebooks it stopped to clear up
STAGING_PREFIX = ".connlab-tmp-"  # <out>/.connlab-tmp-<name>-<pid>-<random>/: a notebook being executed
HANDOVER_PREFIX = ".connlab-datasets-"  # <out>/.connlab-datasets-<random>/: data sets for the kernels (`hand_over`)
RECORD_NAME = ".connlab-run.json"  # <out>/<name>/.connlab-run.json: the index row of the report beside it
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
    #: its usual run time in seconds (``connectionlab.seconds`` in its metadata: in the suite, on the demo
    #: data), which `run_order` starts the longest first by; None when not declared
    seconds: float | None = None


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
    specs = []
    for path in paths:
        metadata = nbformat.read(path, as_version=4).metadata
        seconds = (metadata.get("connectionlab") or {}).get("seconds")
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0):
            raise ParameterError(f"{path.name}: `connectionlab.seconds` must be a number of seconds >= 0, not "
                                 f"{seconds!r}.")  # fmt: skip
        specs.append(NotebookSpec(path.stem, path, read_parameters(path), read_needs(metadata, path.name),
                                  None if seconds is None else float(seconds)))  # fmt: skip
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


class _Stopped(Exception):
    """The run was interrupted while this notebook ran: nothing of it is kept."""


class _Job:
    """One notebook being executed: its kernel's process group, the code cell running, its time limit.

    The kernel manager calls `attach` once the kernel exists; the thread that waits for the notebooks
    calls `watch` (time limit) and `stop` (Ctrl-C). Signals go to the kernel's process group (the
    kernel and whatever it started), which is its own: a Ctrl-C in the terminal does not reach it.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT):
        self.timeout = timeout
        self.started = time.monotonic()
        self.cell = 0  # code cells started so far: the execution count of the one running
        self.timed_out = False
        self.stopped = False
        self._interrupted_at: float | None = None
        self._pid: int | None = None
        self._pgid: int | None = None
        self._lock = threading.Lock()

    def attach(self, pid: int | None, pgid: int | None) -> None:
        with self._lock:
            self._pid, self._pgid = pid, pgid
            if self.stopped or self.timed_out:  # stopped while the kernel was starting
                self._signal(signal.SIGKILL)

    def detach(self) -> None:
        with self._lock:
            self._pid = self._pgid = None

    def on_cell_execute(self, **_) -> None:
        self.cell += 1

    def _signal(self, signum: int) -> None:
        try:
            if self._pgid and self._pgid != os.getpgrp():
                os.killpg(self._pgid, signum)
            elif self._pid:
                os.kill(self._pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self) -> None:
        """Kill the kernel and what it started, now."""
        with self._lock:
            self.stopped = True
            self._signal(signal.SIGKILL)

    def watch(self, now: float) -> None:
        """Past the time limit, interrupt the kernel (KeyboardInterrupt in the cell); KILL_GRACE s later,
        if the notebook has not ended, kill it."""
        with self._lock:
            if not self.timed_out and now - self.started > self.timeout:
                self.timed_out, self._interrupted_at = True, now
                self._signal(signal.SIGINT)
            elif self._interrupted_at is not None and now - self._interrupted_at > KILL_GRACE:
                self._interrupted_at = None
                self._signal(signal.SIGKILL)


def _relocated(value, old: str, new: str):
    """JSON `value` with `old` replaced by `new` in every string (also HTML- and JSON-escaped)."""
    if isinstance(value, str):
        for a, b in ((old, new), (html_text.escape(old), html_text.escape(new)),
                     (json.dumps(old)[1:-1], json.dumps(new)[1:-1])):  # fmt: skip
            value = value.replace(a, b)
        return value
    if isinstance(value, list):
        return [_relocated(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _relocated(v, old, new) for k, v in value.items()}
    return value


def _publish(run: NotebookRun, staging: Path) -> None:
    """Move a staged report over the previous one: its folder, then its HTML (or remove an old HTML).
    The previous folder is moved into `staging` first; a run killed between the two moves has it put
    back by the next run (`_clean_staging`)."""
    out, name = staging.parent, run.name
    final = out / name
    if final.exists():
        (staging / "old").mkdir()
        os.rename(final, staging / "old" / name)
    os.rename(staging / name, final)
    page = staging / f"{name}.html"
    if page.exists():
        os.replace(page, out / f"{name}.html")
    else:
        (out / f"{name}.html").unlink(missing_ok=True)


def _clean_staging(out: Path) -> list[str]:
    """Remove what a killed run left in `out` (staging folders, temporary files); returns their names."""
    left = []
    for tmp in sorted(out.glob(f"{STAGING_PREFIX}*")):
        old = tmp / "old"
        for child in sorted(old.iterdir()) if old.is_dir() else ():
            if not (out / child.name).exists():  # killed between the two moves of `_publish`
                os.rename(child, out / child.name)
        shutil.rmtree(tmp, ignore_errors=True)
        left.append(tmp.name)
    for tmp in out.glob(f"{HANDOVER_PREFIX}*"):  # a killed run's hand-over: not a report
        shutil.rmtree(tmp, ignore_errors=True)
    for tmp in out.glob(".*.html.*.tmp"):  # of `write_atomically`
        tmp.unlink(missing_ok=True)
    return left


def _write_record(folder: Path, run: NotebookRun) -> None:
    doc = {"status": run.status, "seconds": run.seconds, "parameters": run.parameters, "error": run.error,
           "extra": run.extra, "finished_at": utc_now()}  # fmt: skip
    (folder / RECORD_NAME).write_text(json.dumps(doc, indent=1, default=str) + "\n", encoding="utf-8")


def run_order(specs: Sequence[NotebookSpec], out: Path) -> list[NotebookSpec]:
    """The order the notebooks are started in: the longest first (the longest-processing-time rule:
    with several jobs, no long notebook is left to run alone at the end). A notebook's length is its
    time in the last run into `out` that finished it (its record), else its declared usual time
    (`NotebookSpec.seconds`), else 0; equal lengths keep the suite's order. Only the start order
    changes: numbering, index and results are the suite's order."""

    def seconds(spec: NotebookSpec) -> float:
        try:
            doc = json.loads((out / spec.name / RECORD_NAME).read_text(encoding="utf-8"))
            if doc.get("status") == "succeeded" and isinstance(doc.get("seconds"), int | float):
                return float(doc["seconds"])
        except (OSError, ValueError, AttributeError):
            pass
        return spec.seconds or 0.0

    return sorted(specs, key=seconds, reverse=True)  # a stable sort: ties in the suite's order


def _earlier_row(out: Path, name: str) -> NotebookRun:
    """The index row of a notebook the current run has not finished: its report already in `out`
    (written by an earlier run), or "not run"."""
    folder = out / name
    files = [folder / f"{name}.ipynb", out / f"{name}.html", folder / "results.json"]
    notebook, page, results = (p if p.exists() else None for p in files)
    why = "not finished by the run that wrote this index"
    try:
        doc = json.loads((folder / RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        doc = None
    if not doc:
        note = "The files linked are from an earlier run." if notebook or page or results else ""
        return NotebookRun(name, "not run", 0.0, {}, notebook, page, results, why, extra={"note": note})
    extra = {**doc.get("extra", {}), "note": f"Report from an earlier run (finished {doc.get('finished_at')}); "
                                             f"{why}."}  # fmt: skip
    return NotebookRun(name, doc["status"], doc.get("seconds", 0.0), doc.get("parameters", {}), notebook, page,
                       results, doc.get("error"), extra=extra)  # fmt: skip


def _execute(spec: NotebookSpec, params: dict, out_dir: Path, show_code: bool, kernel: str,
             unmet_sections: dict[str, list[str]] | None = None, *, timeout: float = DEFAULT_TIMEOUT,
             job: _Job | None = None, publish: Callable[[NotebookRun, Path], None] | None = None,
             forks=None, kernel_env: dict[str, str] | None = None) -> NotebookRun:  # fmt: skip
    """Execute one notebook into a staging folder inside `out_dir` and render it there, then move it
    into place with `publish(run, staging)` (default `_publish`). `_Stopped` if `job` was stopped. With
    `forks` (a `KernelForkServer`) the kernel is forked from that warm process when it can; `kernel_env`
    is added to the kernel's environment."""
    import papermill as pm  # imported here: it is slow to import and only the runner needs it
    from nbclient.exceptions import CellTimeoutError
    from nbformat.v4.rwbase import rejoin_lines

    from analysis.runner.render import render_notebook

    job = job or _Job(timeout)
    folder = out_dir / spec.name  # where the report ends up
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{spec.name}-{os.getpid()}-", dir=out_dir))
    try:
        staged = staging / spec.name
        staged.mkdir()
        executed = staged / f"{spec.name}.ipynb"
        effective = {name: p.default for name, p in spec.parameters.items()} | params
        if "output_dir" in spec.parameters:
            params = {**params, "output_dir": str(staged)}
            effective["output_dir"] = str(folder)
        start = time.perf_counter()
        status, error = "succeeded", None
        source = spec.path
        if unmet_sections:
            source = staging / f"source-{spec.path.name}"  # not under `staged`: see the relocation below
            nbformat.write(_without_sections(spec.path, unmet_sections), source)
        try:
            pm.execute_notebook(str(source), str(executed), parameters=params, kernel_name=kernel,
                                cwd=str(PROJECT_ROOT), progress_bar=False, log_output=False,
                                kernel_manager_class=_kernel_manager_class(job, forks, kernel_env),
                                execution_timeout=timeout,
                                engine_name=_papermill_engine(),
                                on_cell_execute=job.on_cell_execute)  # fmt: skip
        except Exception as exc:  # kernel death, timeouts: the suite goes on
            if job.stopped:
                raise _Stopped from None
            status = "failed"
            if job.timed_out or isinstance(exc, CellTimeoutError):
                error = f"timed out after {timeout:g} s " + (f"(cell {job.cell})" if job.cell else "(kernel start)")
            elif isinstance(exc, pm.PapermillExecutionError):
                error = f"{exc.ename}: {exc.evalue} (cell {exc.exec_count})"
            else:
                error = f"{type(exc).__name__}: {exc}"
        finally:
            job.detach()
        seconds = time.perf_counter() - start
        results, node = staged / "results.json", None
        for path in (executed, results):  # recorded paths name the report's folder, not the staging one
            if path.exists():
                doc = _relocated(json.loads(path.read_text(encoding="utf-8")), str(staged), str(folder))
                if path == results and unmet_sections:
                    doc["not_applicable"] = {name: _and(parts) for name, parts in sorted(unmet_sections.items())}
                if path == executed:
                    node = rejoin_lines(nbformat.from_dict(doc))  # as nbformat.read gives it, for the render
                    nbformat.write(node, path)
                else:
                    path.write_text(json.dumps(doc, indent=2, sort_keys=True, allow_nan=False) + "\n",
                                    encoding="utf-8")  # fmt: skip
        if executed.exists():
            render_notebook(executed, staging / f"{spec.name}.html", show_code=show_code, node=node)
        extra = {"overridden": sorted(k for k in params if k != "output_dir"),
                 "not_applicable_sections": {k: _and(v) for k, v in (unmet_sections or {}).items()}}  # fmt: skip
        run = NotebookRun(spec.name, status, seconds, effective, folder / executed.name,
                          out_dir / f"{spec.name}.html" if executed.exists() else None,
                          folder / "results.json" if results.exists() else None, error, extra=extra)  # fmt: skip
        _write_record(staged, run)
        (publish or _publish)(run, staging)
        return run
    finally:
        shutil.rmtree(staging, ignore_errors=True)


_ENGINE = "connectionlab"


def _papermill_engine() -> str:
    """Papermill's nbclient engine, saving the executed notebook once, when it completes (also after a
    failure or a time-out), instead of at each cell's start and end: those saves re-validate and
    rewrite a notebook full of figures 2 x cells times (about 2.5 CPU s over the suite, issue 19). The
    executed notebook is written into the staging folder, so nothing reads it half-way."""
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    if _ENGINE in papermill_engines._engines:
        return _ENGINE

    class FinalSaveManager(NotebookExecutionManager):
        final = False

        def save(self, **kwargs):
            if self.final:
                super().save(**kwargs)

        def notebook_complete(self, **kwargs):
            self.final = True
            super().notebook_complete(**kwargs)

    class FinalSaveEngine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                             autosave_cell_every=30, **kwargs):  # fmt: skip
            """`papermill.engines.Engine.execute_notebook` with `FinalSaveManager`."""
            nb_man = FinalSaveManager(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                                      autosave_cell_every=autosave_cell_every)  # fmt: skip
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register(_ENGINE, FinalSaveEngine)
    return _ENGINE


def _check_needs(spec: NotebookSpec, params: dict, datasets: dict,
                 handover: str | None = None) -> tuple[str | None, dict[str, list[str]]]:  # fmt: skip
    """(why the notebook is not applicable or None, {section: unmet needs}) for these parameters. With
    `handover` (a folder), a data set loaded here without a warning is saved there for the notebooks'
    own `load_dataset` (`analysis.data.dataset.HANDOVER_ENV`)."""
    if not spec.needs.notebook and not spec.needs.sections:
        return None, {}
    effective = {name: p.default for name, p in spec.parameters.items()} | params
    if "data" not in effective:
        return None, {}
    key = (effective.get("data"), effective.get("codebook"))
    if key not in datasets:
        import warnings

        from analysis.data.dataset import hand_over, load_dataset
        from analysis.paths import resolve

        try:
            codebook = resolve(key[1]) if key[1] else None
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                datasets[key] = load_dataset(resolve(key[0]), codebook=codebook)
        except AnalysisError:
            datasets[key] = None  # the notebook's own load cell shows the message
        else:
            for w in caught:  # shown (or raised) as the filters say, as if not caught
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            if handover and not caught:  # a notebook's load that warns must warn in the notebook: not handed over
                try:
                    hand_over(datasets[key], handover, resolve(key[0]), codebook=codebook)
                except OSError:  # a saving, not a need: the notebook loads the data set itself
                    pass
    dataset = datasets[key]
    if dataset is None:
        return None, {}
    unmet = unmet_needs(spec.needs.notebook, dataset, effective)
    if unmet:
        return f"not applicable: needs {_and(unmet)}", {}
    sections = {name: unmet_needs(needs, dataset, effective) for name, needs in (spec.needs.sections or {}).items()}
    return None, {name: parts for name, parts in sections.items() if parts}


#: one BLAS thread per kernel: the models' matrices are small, and with jobs > 1 or another busy
#: process a second thread spins against the others (notebook 04: 9.1 s -> 2.4 s); the numbers are
#: then the same on every machine, whatever its cores (as in the tests and the Dask workers)
KERNEL_BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _kernel_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the suite's kernels: `env` (default: this process's) with one BLAS thread
    unless the user set another number."""
    env = dict(os.environ if env is None else env)
    for name in KERNEL_BLAS_THREADS:  # small matrices: a second BLAS thread only slows them (issue 19)
        env.setdefault(name, "1")  # a value the user set wins
    return env


#: set to 0 to start every kernel as a fresh process (no fork server; `_kernel_fork`)
KERNEL_FORK_ENV = "CONNLAB_KERNEL_FORK"


def _fork_server(kernel: str, specs: Sequence[NotebookSpec]):
    """A started `KernelForkServer` for `kernel`, warmed with the imports of `specs`; None where kernels
    cannot be forked (not Linux, a kernel not started with ``-m ipykernel_launcher``, or turned off with
    ``CONNLAB_KERNEL_FORK=0``)."""
    from analysis.runner._kernel_fork import KernelForkServer, _kernel_module, fork_available

    if os.environ.get(KERNEL_FORK_ENV, "1") == "0" or not fork_available():
        return None
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        parts = _kernel_module(KernelSpecManager().get_kernel_spec(kernel).argv)
    except NoSuchKernel:
        return None
    if parts is None:
        return None
    return KernelForkServer(parts[0], _kernel_env(), PROJECT_ROOT, [s.path for s in specs]).start()


#: seconds a new kernel is given to bind its sockets before its client connects anyway (`_sockets_bound`)
KERNEL_BIND_WAIT = 10.0
#: seconds between the checks that a kernel asked to shut down has exited (jupyter_client's 0.1 s
#: is most of the shutdown of a kernel that exits in 20-50 ms, paid once a notebook)
SHUTDOWN_POLL = 0.01


def _kernel_client_class():
    """jupyter_client's async kernel client, with a `wait_for_ready` that returns once the kernel
    has answered ``kernel_info`` on the shell channel and IOPub is seen to be connected: it leaves out
    the last step of jupyter_client's, waiting until IOPub has been silent for 0.2 s (paid once a
    notebook). Left-over IOPub messages of the ``kernel_info`` request do no harm: nbclient reads only
    the messages whose parent is the cell it runs."""
    from queue import Empty

    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_core.utils import ensure_async

    class ReadyKernelClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (math.inf if timeout is None else timeout)
            while True:  # as jupyter_client's loop (8.x), step for step
                self.kernel_info()
                try:
                    msg = await ensure_async(self.shell_channel.get_msg(timeout=1))
                except Empty:
                    pass
                else:
                    if msg["msg_type"] == "kernel_info_reply":
                        try:  # IOPub is connected if it carries the request's status message
                            await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                        except Empty:
                            pass
                        else:
                            self._handle_kernel_info_reply(msg)
                            return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    return ReadyKernelClient


def _kernel_manager_class(job: _Job | None = None, forks=None, extra_env: dict[str, str] | None = None):
    """The kernel manager of the suite's notebooks; with `forks` (a `KernelForkServer`) its kernels
    are forked from that warm server when it can."""
    from jupyter_client.manager import AsyncKernelManager

    client_class = _kernel_client_class()

    class IPCKernelManager(AsyncKernelManager):
        """Kernel over Unix sockets in a private temporary folder: no open TCP port, no name
        clash between parallel kernels. Tells `job` the kernel's process and process group. Its
        client is ready sooner (`_kernel_client_class`) and its shutdown is seen sooner
        (`SHUTDOWN_POLL`)."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._socket_dir = tempfile.TemporaryDirectory(prefix="connlab-kernel-")
            self.transport = "ipc"
            self.ip = os.path.join(self._socket_dir.name, "kernel")
            self.client_factory = client_class

        async def _async_finish_shutdown(self, waittime=None, pollinterval=0.1, restart=False):
            await super()._async_finish_shutdown(waittime, pollinterval=min(pollinterval, SHUTDOWN_POLL),
                                                 restart=restart)  # fmt: skip

        async def _async_interrupt_kernel(self):
            # jupyter_client interrupts a kernel before asking it to shut down; ours has finished the
            # notebook by then, and the SIGINT only made ipykernel print "KeyboardInterrupt caught in
            # kernel" on the terminal (time limits signal the kernel through `job`, not through here)
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw["env"] = _kernel_env(kw.get("env")) | (extra_env or {})
            process = None
            if forks is not None and forks.process is not None:
                # ipykernel exits once re-parented away from the server (if the server dies)
                env = kw["env"] | {"JPY_PARENT_PID": str(forks.process.pid)}
                process = forks.spawn(kernel_cmd, env, kw.get("cwd"))
            if process is None:
                await super()._async_launch_kernel(kernel_cmd, **kw)
            else:  # what LocalProvisioner.launch_kernel records, for the forked process
                provisioner = self.provisioner
                provisioner.process, provisioner.pid, provisioner.pgid = process, process.pid, process.pid
                provisioner.cwd = kw.get("cwd") or os.getcwd()
                self._reconcile_connection_info(provisioner.connection_info)
            if job is not None:
                job.attach(getattr(self.provisioner, "pid", None), getattr(self.provisioner, "pgid", None))
            await self._sockets_bound()

        async def _sockets_bound(self) -> None:
            """Wait until the kernel has bound its five sockets (their files appear), or has ended, or
            `KERNEL_BIND_WAIT` has passed. A client that connects before the kernel binds gets refused,
            and ZMQ tries again only after 100 ms (its reconnect interval), once a notebook."""
            import asyncio

            paths = [f"{self.ip}-{port}" for port in (self.shell_port, self.iopub_port, self.stdin_port,
                                                     self.control_port, self.hb_port)]  # fmt: skip
            deadline = time.monotonic() + KERNEL_BIND_WAIT
            while not all(os.path.exists(path) for path in paths) and time.monotonic() < deadline:
                process = getattr(self.provisioner, "process", None)
                if process is None or process.poll() is not None:
                    return  # the usual checks report a kernel that did not start
                await asyncio.sleep(0.002)

    return IPCKernelManager


@contextmanager
def _sigterm_interrupts():
    """While running, SIGTERM stops the run as Ctrl-C does (KeyboardInterrupt in the main thread)."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:  # fmt: skip
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


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
    timeout: float = DEFAULT_TIMEOUT,
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
    timeout : float, default 1800
        Seconds each notebook may run: each cell (papermill's ``execution_timeout``) and the
        whole notebook. Past it the kernel is interrupted, then killed 5 s later; the notebook
        fails with "timed out after `timeout` s (cell K)" and the others go on.

    Returns
    -------
    list of NotebookRun
        One per notebook, in suite order, each with its status ("succeeded", "failed" or
        "not applicable"), run time, parameters and files.

    Raises
    ------
    ParameterError
        An unknown notebook or parameter, a value of the wrong type, a missing data path, a bad
        `jobs` or `timeout`, or `out_dir` in use by another run (the message names the process);
        raised before any notebook starts.
    KeyboardInterrupt
        On Ctrl-C or SIGTERM, once the running kernels are killed and the index rewritten.

    Notes
    -----
    Everything is checked before the first notebook starts: names, types, paths and what each
    notebook needs from the data set (`analysis.runner.needs`). A notebook whose needs are not
    met is listed as not applicable and not run; a section whose needs are not met is replaced by
    one line. A failing notebook does not stop the others; its executed notebook and error are
    kept and linked from the index.

    A second run into `out_dir` while one runs fails at once. Each notebook runs in a staging
    folder inside `out_dir` (its ``output_dir`` parameter points there; the paths recorded in
    ``results.json`` and the report name the final folder) and replaces its previous report only
    once executed and rendered; the index is rewritten after each. Ctrl-C kills the running
    kernels and drops their unfinished reports: the previous reports stay, and the index lists
    them as from an earlier run. The staging folders of a killed run are removed by the next.

    Examples
    --------
    >>> from analysis import run_suite
    >>> runs = run_suite(only=["00_data"], out_dir="/tmp/connlab-doctest-reports")  # doctest: +SKIP
    >>> [(r.name, r.status) for r in runs]  # doctest: +SKIP
    [('00_data_quality', 'succeeded')]
    """
    say = progress or (lambda msg: print(msg, file=sys.stderr, flush=True))
    os.environ.setdefault(PROJECT_ENV, str(PROJECT_ROOT))  # the kernels resolve relative paths from the project
    if not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"--jobs must be a whole number >= 1, but {jobs!r} was passed.")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not math.isfinite(timeout) or timeout <= 0:
        raise ParameterError(f"--timeout must be a number of seconds > 0, but {timeout!r} was passed.")
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
    with FolderLock(out) as lock, _sigterm_interrupts():
        if lock.stale:
            pid, when = lock.stale.get("pid", "?"), lock.stale.get("started", "?")
            say(f"Note: an earlier run into {out} (process {pid}, started {when}) ended without finishing; "
                "this run takes over the folder.")  # fmt: skip
        left = _clean_staging(out)
        if left:
            say(f"Removed {len(left)} unfinished report(s) left by an earlier run: {', '.join(left)}")
        kernel = _kernel_name()
        given = {spec.name: {k: v for k, v in (common | per_notebook.get(spec.name, {}) | values).items()
                             if k in spec.parameters} for spec in specs}  # fmt: skip
        forks = _fork_server(kernel, specs)  # its imports run while the data sets are checked
        # the data sets loaded for the checks, for the kernels: in the folder the user named, removed after the run
        handover = tempfile.mkdtemp(prefix=HANDOVER_PREFIX, dir=out)
        try:
            from analysis.data.dataset import HANDOVER_ENV

            datasets: dict = {}
            checked = {spec.name: _check_needs(spec, given[spec.name], datasets, handover)
                       for spec in specs}  # before any kernel  # fmt: skip
            say(f"Running {len(specs)} notebook(s) with {min(jobs, len(specs))} job(s) -> {out}")
            return _run_all(specs, given, checked, out, show_code=show_code, kernel=kernel, jobs=jobs,
                            timeout=timeout, say=say, forks=forks, kernel_env={HANDOVER_ENV: handover})  # fmt: skip
        finally:
            if forks is not None:
                forks.stop()
            shutil.rmtree(handover, ignore_errors=True)


def _run_all(specs: Sequence[NotebookSpec], given: dict, checked: dict, out: Path, *, show_code: bool, kernel: str,
             jobs: int, timeout: float, say: Callable[[str], None], forks=None,
             kernel_env: dict[str, str] | None = None) -> list[NotebookRun]:  # fmt: skip
    """Run the notebooks in `jobs` threads; this thread watches the time limits and takes Ctrl-C."""
    from analysis.runner.render import prepare_render, write_index

    total = len(specs)
    finished: dict[str, NotebookRun] = {}  # this run's rows of the index
    active: dict[str, _Job] = {}
    registry = threading.Lock()  # `active`
    publishing = threading.Lock()  # moving reports into place and rewriting the index
    stop = threading.Event()
    todo: queue.SimpleQueue = queue.SimpleQueue()
    done: queue.SimpleQueue = queue.SimpleQueue()
    number = {spec.name: i for i, spec in enumerate(specs, start=1)}
    for spec in run_order(specs, out):
        todo.put((number[spec.name], spec))
    started_at = utc_now()

    def index(note: str | None) -> None:
        write_index([finished.get(s.name) or _earlier_row(out, s.name) for s in specs], out / "index.html",
                    note=note)  # fmt: skip

    def publish(run: NotebookRun, staging: Path) -> None:
        with publishing:
            if stop.is_set():
                raise _Stopped
            _publish(run, staging)
            finished[run.name] = run
            index(f"Written during the run started {started_at} (process {os.getpid()}); a notebook it had not "
                  "finished shows its report from an earlier run, if any.")  # fmt: skip

    def one(i: int, spec: NotebookSpec) -> NotebookRun | None:
        params = given[spec.name]
        why, sections = checked[spec.name]
        if why:
            say(f"[{i}/{total}] {spec.name}: {why}")
            effective = {name: p.default for name, p in spec.parameters.items()} | params
            if "output_dir" in effective:
                effective["output_dir"] = str(out / spec.name)  # where it would have written
            run = NotebookRun(spec.name, "not applicable", 0.0, effective, None, None, None, why,
                              extra={"overridden": sorted(params)})  # fmt: skip
            with publishing:
                finished[spec.name] = run
            return run
        job = _Job(timeout)
        with registry:
            if stop.is_set():
                return None
            active[spec.name] = job
        say(f"[{i}/{total}] {spec.name}: started")
        try:
            run = _execute(spec, params, out, show_code, kernel, sections, timeout=timeout, job=job, publish=publish,
                           forks=forks, kernel_env=kernel_env)
        except _Stopped:
            say(f"[{i}/{total}] {spec.name}: interrupted, not kept")
            return None
        finally:
            with registry:
                active.pop(spec.name, None)
        say(f"[{i}/{total}] {spec.name}: {run.status} in {run.seconds:.1f} s"
            + (f" - {run.error}" if run.error else ""))  # fmt: skip
        return run

    def worker() -> None:
        prepare_render(show_code=show_code)  # while the fork server imports (a core is idle then)
        while not stop.is_set():
            try:
                i, spec = todo.get_nowait()
            except queue.Empty:
                return
            try:
                done.put((spec.name, one(i, spec), None))
            except BaseException as exc:  # re-raised by the main thread, once the others are done
                done.put((spec.name, None, exc))

    # daemon threads: a notebook that does not end when its kernel is killed cannot keep the process alive
    threads = [threading.Thread(target=worker, name=f"connlab-run-{k}", daemon=True) for k in range(min(jobs, total))]
    for thread in threads:
        thread.start()
    runs: dict[str, NotebookRun | None] = {}
    errors = []
    try:
        while len(runs) < total:
            try:
                name, run, exc = done.get(timeout=0.2)
            except queue.Empty:
                with registry:
                    watched = list(active.values())
                for job in watched:
                    job.watch(time.monotonic())
                continue
            runs[name] = run
            if exc is not None:
                errors.append(exc)
    except KeyboardInterrupt:
        stop.set()
        with registry:
            stopped = list(active.values())
            for job in stopped:
                job.stop()
        say(f"Interrupted: stopped {len(stopped)} running notebook(s).")
        deadline = time.monotonic() + STOP_WAIT
        try:  # let the stopped notebooks clear up their staging folders (a second Ctrl-C skips this)
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))
        except KeyboardInterrupt:
            pass
        with publishing:
            index(f"Interrupted: the run started {started_at} was stopped; a notebook it had not finished shows "
                  "its report from an earlier run, if any.")  # fmt: skip
        raise
    if errors:
        raise errors[0]
    index(None)
    return [runs[s.name] for s in specs]
