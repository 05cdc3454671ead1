"""Run records: the parameters, inputs, key results and provenance of one notebook run, written
to ``results.json`` and shown at the end of the report."""

from __future__ import annotations

import html
import io
import json
import math
import shutil
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

__all__ = ["Run", "start_run", "SIMULATED_NOTE"]

#: what every report, results file and index says of a run on the simulated demo survey
SIMULATED_NOTE = ("Simulated data: these results and verdicts test the toolkit, not the claims; "
                  "the data describe no real people.")  # fmt: skip


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
    """Results and provenance of one notebook run; `finish` writes ``results.json``.

    Made by :func:`start_run` at the top of a notebook (not constructed directly); the notebook
    then adds its inputs (`add_input`), records key results (`record`) and ends with `finish`.
    Each parameter is also an attribute of the same name.

    Parameters
    ----------
    notebook : str
        Notebook name, e.g. ``"00_overview"``.
    parameters : dict
        The notebook's parameters as passed to :func:`start_run`, with ``output_dir`` (as a
        string) first.
    output_dir : pathlib.Path
        Absolute folder of ``results.json`` (relative paths taken from the project root).
    started_at : str
        Start time, UTC, ISO 8601 to the second.
    _t0 : float
        ``time.perf_counter()`` at the start, for the run time (private).
    inputs : list of TableFile, optional
        Files of the data sets added with `add_input` (table, path, SHA-256, rows, columns).
    results : dict, optional
        Key results recorded with `record`, already converted to JSON values.

    See Also
    --------
    start_run

    Examples
    --------
    >>> import tempfile
    >>> from analysis import start_run
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     run = start_run("02_models", output_dir=tmp, seed=7)
    ...     run.record("r", 0.31)
    ...     run.notebook, run.parameters["seed"], run.results
    ('02_models', 7, {'r': 0.31})
    """

    notebook: str
    parameters: dict
    output_dir: Path
    started_at: str
    _t0: float
    inputs: list[TableFile] = field(default_factory=list)
    results: dict = field(default_factory=dict)
    simulated: bool = False

    def add_input(self, *datasets: Dataset) -> None:
        """Record data sets' files (path, SHA-256, rows) as inputs of this run.

        Parameters
        ----------
        *datasets : Dataset
            Loaded data sets (:func:`analysis.load_dataset`); their ``files`` are appended to
            `inputs`, in order.
        """
        for dataset in datasets:
            self.inputs.extend(dataset.files)
            self.simulated = self.simulated or bool(getattr(dataset, "simulated", False))

    def record(self, key: str, value) -> None:
        """Store a key result under a stable `key` (tables become lists of records).

        Parameters
        ----------
        key : str
            Name of the result in ``results.json``; keep it stable across runs so that runs can
            be compared. An existing key is replaced.
        value : object
            The result: a number, string, dict, list, array, Series or DataFrame. Numbers become
            JSON numbers (NaN becomes null), a DataFrame a list of row records, a Series a dict,
            anything else its ``str``.
        """
        self.results[key] = _jsonable(value)

    def provenance(self) -> dict:
        """Return the provenance of this run so far.

        Returns
        -------
        dict
            ``notebook``, ``parameters``, ``seed`` (the ``seed`` parameter, or None),
            ``inputs`` (one dict per input file: ``table``, ``path``, ``sha256``, ``rows``,
            ``columns``), ``simulated`` (True when an input is the simulated demo survey) and
            then ``data_note`` (:data:`SIMULATED_NOTE`), ``packages`` (Python and package
            versions), ``git_commit`` (HEAD,
            with ``+dirty`` if tracked files changed; None outside a git checkout),
            ``started_at`` and ``run_time_s`` (seconds since :func:`start_run`).
        """
        return {
            "notebook": self.notebook,
            "parameters": _jsonable(self.parameters),
            "seed": _jsonable(self.parameters.get("seed")),
            "inputs": [
                {"table": f.table, "path": f.path, "sha256": f.sha256, "rows": f.rows, "columns": f.columns}
                for f in self.inputs
            ],
            "simulated": self.simulated,
            **({"data_note": SIMULATED_NOTE} if self.simulated else {}),
            "packages": package_versions(),
            "git_commit": git_commit(),
            "started_at": self.started_at,
            "run_time_s": round(time.perf_counter() - self._t0, 3),
        }

    def finish(self) -> HtmlBlock:
        """Write ``<output_dir>/results.json`` and return the provenance table for display.

        Returns
        -------
        HtmlBlock
            ``<div class="provenance">``: a table of the notebook, start time, run time, seed,
            git commit, each parameter, each input file (path, SHA-256, rows), the package
            versions and the path of the results file.

        Notes
        -----
        ``results.json`` holds ``notebook``, ``results`` and ``provenance`` (see `provenance`),
        with sorted keys and no NaN (null instead). `output_dir` is created if needed and an
        existing file is overwritten.
        """
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
        Folder for ``results.json`` (relative paths are taken from the project root). Nothing
        is written until :meth:`Run.finish`.
    **parameters
        The notebook's parameters (``data``, ``codebook``, ``seed``, ...), recorded verbatim.

    Returns
    -------
    Run
        The run record: ``parameters`` holds ``output_dir`` (as a string) and `parameters`;
        ``started_at`` the start time (UTC); ``inputs`` and ``results`` start empty.

    See Also
    --------
    Run : Adding inputs and results, and writing ``results.json``.
    dataset_notice : The notice of the input files at the top of a report.

    Notes
    -----
    In an IPython kernel (a notebook run by papermill), it also makes an
    :class:`~analysis.exceptions.AnalysisError` show as its message (what to fix) instead of a
    traceback through the package; the cell still fails, so papermill still reports the failure.
    Outside IPython nothing else changes.

    Examples
    --------
    >>> import json
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import start_run
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     run = start_run("00_overview", output_dir=tmp, seed=1, n_boot=500)
    ...     run.record("n", 118)
    ...     block = run.finish()
    ...     doc = json.loads((Path(tmp) / "results.json").read_text(encoding="utf-8"))
    >>> sorted(doc), doc["results"]
    (['notebook', 'provenance', 'results'], {'n': 118})
    >>> doc["provenance"]["seed"], doc["provenance"]["parameters"]["n_boot"]
    (1, 500)
    >>> sorted(doc["provenance"])
    ['git_commit', 'inputs', 'notebook', 'packages', 'parameters', 'run_time_s', 'seed', 'simulated', 'started_at']
    """
    parameters = {"output_dir": str(output_dir), **parameters}
    _show_input_errors_plainly()
    _show_figures_with_alt_text(resolve(output_dir) / "figures")
    return Run(notebook=notebook, parameters=parameters, output_dir=resolve(output_dir),
               started_at=utc_now(), _t0=time.perf_counter())  # fmt: skip


def _ipython_shell():
    """The running IPython shell (a notebook kernel), or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return None
    return get_ipython()


def _show_input_errors_plainly() -> None:
    """In a notebook, show an AnalysisError as its message (what to fix), not as a traceback
    through our internals. The cell still fails, so papermill still reports the failure."""
    shell = _ipython_shell()
    if shell is None:
        return

    def handler(shell, etype, evalue, tb, tb_offset=None):
        lines = [f"{etype.__name__}: {evalue}"]
        shell._showtraceback(etype, evalue, lines)
        return lines

    shell.set_custom_exc((AnalysisError,), handler)


def _tight_png(fig) -> tuple[bytes, object]:
    """``fig`` as PNG, as ``savefig(format="png", bbox_inches="tight", facecolor="white")`` at its dpi
    makes it, and its tight box (inches, padded) or None; with one drawing instead of savefig's two.

    savefig lays the figure out in a first pass (drawing disabled) to measure the tight box, then
    draws it again into a canvas of that size. Here the figure is drawn once on its Agg canvas, the
    tight box measured on that drawing, and the pixels inside it cut out: the same image (the same
    pixels when the box starts on a whole pixel, else shifted by under a pixel). A box reaching
    beyond the figure (an artist outside it), or a canvas that is not Agg, takes savefig's route."""
    from matplotlib import image, rcParams
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if isinstance(fig.canvas, FigureCanvasAgg):
        facecolor = fig.get_facecolor()
        fig.set_facecolor("white")
        try:
            fig.canvas.draw()
            renderer = fig.canvas.get_renderer()
            content = fig.get_tightbbox(renderer)
            pixels = np.asarray(renderer.buffer_rgba())
        finally:
            fig.set_facecolor(facecolor)
        tight = content.padded(rcParams["savefig.pad_inches"])
        width_in, height_in = fig.get_size_inches()
        if content.x0 >= 0 and content.y0 >= 0 and content.x1 <= width_in and content.y1 <= height_in:
            # savefig's canvas is the padded box: the figure's pixels inside it, white (the
            # figure's face, stretched over that canvas) where the padding is beyond the figure
            height, width = pixels.shape[:2]
            dpi = fig.dpi
            columns, rows = _pixels(tight.width * dpi), _pixels(tight.height * dpi)
            # savefig moves the figure by the box's lower left corner; its rows count from the top
            left, top = _pixels(tight.x0 * dpi, floor=True), _pixels(height - rows - tight.y0 * dpi, floor=True)
            cut = np.full((rows, columns, 4), 255, dtype=np.uint8)
            x0, y0 = max(left, 0), max(top, 0)
            x1, y1 = min(left + columns, width), min(top + rows, height)
            cut[y0 - top:y1 - top, x0 - left:x1 - left] = pixels[y0:y1, x0:x1]
            buffer = io.BytesIO()
            image.imsave(buffer, cut, format="png", dpi=dpi)
            return buffer.getvalue(), tight
    buffer = io.BytesIO()
    fig.canvas.print_figure(buffer, format="png", bbox_inches="tight", dpi=fig.dpi, facecolor="white")
    return buffer.getvalue(), None


def _pixels(size: float, *, floor: bool = False) -> int:
    """`size` pixels as a whole number, as Agg takes it (``int``; `floor`: rounded down), with `size`
    taken as whole when it is one but for the last bits of its floating-point sum."""
    whole = round(size)
    if abs(size - whole) < 1e-6:
        return int(whole)
    return math.floor(size) if floor else int(size)


def _save_svg(fig, path: Path, tight) -> None:
    """``fig`` as SVG at `path`, cut to `tight` (inches; None: measured by savefig). With the box given
    and no layout engine, savefig skips its layout pass: a figure of `analysis.report.figures` is laid
    out once, when it is made (``tight_layout``), and its placeholder engine only marks that."""
    from matplotlib import rcParams
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    engine = fig.get_layout_engine()
    fixed = engine is None or type(engine) is PlaceHolderLayoutEngine  # no layout left to do at drawing
    if tight is None or not fixed or rcParams["figure.autolayout"] or rcParams["figure.constrained_layout.use"]:
        fig.savefig(path, format="svg", bbox_inches="tight", facecolor="white")
        return
    fig.set_layout_engine(None)  # no engine (matplotlib's default rc): savefig draws once
    try:
        fig.savefig(path, format="svg", bbox_inches=tight, facecolor="white")
    finally:
        if engine is not None:
            fig.set_layout_engine(engine)


def _show_figures_with_alt_text(folder: Path) -> None:
    """In a notebook, show every matplotlib figure as a PNG whose output metadata carries the
    figure's text description (``fig.get_label()``, set by `analysis.report.figures`) as ``alt``,
    which the report template writes into ``<img alt=...>``; and write each figure shown as
    ``folder/figure-NN.png`` and ``.svg`` with ``folder/figures.json`` (file, title, alt), the
    files `connlab export` hands out. Outside IPython nothing happens."""
    shell = _ipython_shell()
    if shell is None:
        return
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    plt.get_backend()
    plt._get_backend_mod()  # load the inline backend now: it registers its own PNG formatter, replaced below
    shutil.rmtree(folder, ignore_errors=True)  # figures of an earlier run of this notebook
    shown: list[dict] = []

    def png_with_alt(fig: Figure):
        data, tight = _tight_png(fig)
        alt = fig.get_label()  # empty for a figure not made by analysis.report.figures: the browser test fails it
        stem = f"figure-{len(shown) + 1:02d}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{stem}.png").write_bytes(data)
            _save_svg(fig, folder / f"{stem}.svg", tight)
            title = fig._suptitle.get_text() if fig._suptitle is not None else ""
            title = title or next((ax.get_title() for ax in fig.axes if ax.get_title()), "")
            shown.append({"file": stem, "title": title, "alt": alt})
            (folder / "figures.json").write_text(json.dumps(shown, indent=2) + "\n", encoding="utf-8")
        except OSError:  # the report still shows the figure; export says what is missing
            pass
        return data, {"alt": alt}

    shell.display_formatter.formatters["image/png"].for_type(Figure, png_with_alt)
