"""Run records: the parameters, inputs, key results and provenance of one notebook run, written
to ``results.json`` and shown at the end of the report."""

from __future__ import annotations

import html
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.apa import HtmlBlock
from analysis.data.dataset import Dataset, TableFile
from analysis.exceptions import AnalysisError
from analysis.paths import resolve
from analysis.runner.provenance import git_commit, package_versions, utc_now

__all__ = ["Run", "start_run"]


def _jsonable(value):
    """Convert numbers, arrays and tables to plain JSON values (NaN -> null)."""
    if isinstance(value, pd.DataFrame):
        return [_jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_jsonable(v) for v in value]
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return str(value)


@dataclass
class Run:
    """Results and provenance of one notebook run; `finish` writes ``results.json``."""

    notebook: str
    parameters: dict
    output_dir: Path
    started_at: str
    _t0: float
    inputs: list[TableFile] = field(default_factory=list)
    results: dict = field(default_factory=dict)

    def add_input(self, *datasets: Dataset) -> None:
        """Record data sets' files (path, SHA-256, rows) as inputs of this run."""
        for dataset in datasets:
            self.inputs.extend(dataset.files)

    def record(self, key: str, value) -> None:
        """Store a key result under a stable `key` (tables become lists of records)."""
        self.results[key] = _jsonable(value)

    def provenance(self) -> dict:
        return {
            "notebook": self.notebook,
            "parameters": _jsonable(self.parameters),
            "seed": _jsonable(self.parameters.get("seed")),
            "inputs": [
                {"table": f.table, "path": f.path, "sha256": f.sha256, "rows": f.rows, "columns": f.columns}
                for f in self.inputs
            ],
            "packages": package_versions(),
            "git_commit": git_commit(),
            "started_at": self.started_at,
            "run_time_s": round(time.perf_counter() - self._t0, 3),
        }

    def finish(self) -> HtmlBlock:
        """Write ``<output_dir>/results.json`` and return the provenance table for display."""
        prov = self.provenance()
        self.output_dir.mkdir(parents=True, exist_ok=True)
        doc = {"notebook": self.notebook, "results": self.results, "provenance": prov}
        path = self.output_dir / "results.json"
        path.write_text(json.dumps(doc, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")
        esc = html.escape
        rows = [("Notebook", esc(prov["notebook"])), ("Started (UTC)", esc(prov["started_at"])),
                ("Run time", f"{prov['run_time_s']:.1f} s"), ("Seed", esc(str(prov["seed"]))),
                ("Git commit", esc(prov["git_commit"] or "not a git checkout"))]  # fmt: skip
        rows += [(f"Parameter <code>{esc(k)}</code>", f"<code>{esc(json.dumps(v))}</code>")
                 for k, v in prov["parameters"].items()]  # fmt: skip
        rows += [(f"Input: {esc(f['table'])}",
                  f"{esc(f['path'])}<br>SHA-256 <code>{f['sha256']}</code> &middot; {f['rows']:,} rows")
                 for f in prov["inputs"]]  # fmt: skip
        rows.append(("Packages", esc(", ".join(f"{k} {v}" for k, v in prov["packages"].items()))))
        rows.append(("Results file", f"<code>{esc(str(path))}</code>"))
        body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
        return HtmlBlock(f'<div class="provenance"><h2>Provenance</h2><table>{body}</table></div>')


def start_run(notebook: str, *, output_dir: str | Path, **parameters) -> Run:
    """Begin recording a notebook run. Pass every parameter of the notebook's parameters cell.

    Parameters
    ----------
    notebook : str
        Notebook name, e.g. ``"00_overview"``.
    output_dir : str or Path
        Folder for ``results.json`` (relative paths are taken from the project root).
    **parameters
        The notebook's parameters (``data``, ``codebook``, ``seed``, ...), recorded verbatim.
    """
    parameters = {"output_dir": str(output_dir), **parameters}
    _show_input_errors_plainly()
    return Run(notebook=notebook, parameters=parameters, output_dir=resolve(output_dir),
               started_at=utc_now(), _t0=time.perf_counter())  # fmt: skip


def _show_input_errors_plainly() -> None:
    """In a notebook, show an AnalysisError as its message (what to fix), not as a traceback
    through our internals. The cell still fails, so papermill still reports the failure."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return
    shell = get_ipython()
    if shell is None:
        return

    def handler(shell, etype, evalue, tb, tb_offset=None):
        lines = [f"{etype.__name__}: {evalue}"]
        shell._showtraceback(etype, evalue, lines)
        return lines

    shell.set_custom_exc((AnalysisError,), handler)
