"""Presentation: APA tables, data notices, and the results/provenance of a notebook run.

Computation stays exact elsewhere; rounding and formatting happen only here.
"""

from __future__ import annotations

import html
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .exceptions import AnalysisError
from .io import Dataset, TableFile
from .paths import resolve
from .provenance import git_commit, package_versions, utc_now

__all__ = [
    "HtmlBlock", "apa_table", "dataset_notice", "Run", "start_run", "format_number",
    "format_value", "format_p", "format_ci", "format_stat", "apa_paragraph",
]  # fmt: skip

#: column name -> APA header (HTML); other names are turned into words.
HEADERS = {
    "n": "<i>n</i>", "mean": "<i>M</i>", "sd": "<i>SD</i>", "se": "<i>SE</i>", "median": "<i>Mdn</i>",
    "min": "Min", "max": "Max", "skew": "Skew", "kurtosis": "Kurtosis", "p_value": "<i>p</i>",
    "estimate": "<i>b</i>", "statistic": "Statistic", "df": "<i>df</i>", "r": "<i>r</i>",
    "ci_low": "CI low", "ci_high": "CI high", "std_estimate": "&beta;", "r2": "<i>R</i>&sup2;",
    "chi_square": "&chi;&sup2;", "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA", "srmr": "SRMR",
    "rmsea_ci_low": "RMSEA 90% CI low", "rmsea_ci_high": "RMSEA 90% CI high",
    "delta_chi_square": "&Delta;&chi;&sup2;", "delta_df": "&Delta;<i>df</i>", "delta_p_value": "<i>p</i>(&Delta;&chi;&sup2;)",
    "delta_cfi": "&Delta;CFI", "delta_rmsea": "&Delta;RMSEA", "min_loading": "Min. &lambda;",
    "std_loading": "&lambda;", "n_items": "Items", "aic": "AIC", "bic": "BIC", "new_estimate": "Estimate",
    "pi_low": "PI low", "pi_high": "PI high", "tau2": "&tau;&sup2;", "i2": "<i>I</i>&sup2; (%)", "k": "<i>k</i>",
    "partial_r": "Partial <i>r</i>", "vif": "VIF", "odds_ratio": "<i>OR</i>", "or_ci_low": "<i>OR</i> CI low",
    "or_ci_high": "<i>OR</i> CI high", "partial_eta_sq": "&eta;&sup2;<sub>p</sub>", "cohen_d": "<i>d</i>",
    "hedges_g": "<i>g</i>", "icc": "ICC", "p_holm": "<i>p</i> (Holm)", "p_bh": "<i>p</i> (BH)",
    "rho": "&rho;", "rho_empty": "&rho; (empty model)", "rho_statistic": "&chi;&sup2;(&rho; = 0)",
    "rho_p_value": "<i>p</i>(&rho; = 0)",
}  # fmt: skip
#: statistics bounded by 1 in absolute value: APA drops the leading zero
NO_LEADING_ZERO = {"r", "p_value", "alpha", "omega", "cfi", "tli", "rmsea", "srmr", "icc", "rho", "r2",
                   "rmsea_ci_low", "rmsea_ci_high", "delta_p_value", "min_loading", "std_loading", "partial_r",
                   "partial_eta_sq", "rho_empty", "pseudo_r2"}
INTEGER_COLUMNS = {"n", "n_items", "df", "rows", "columns", "persons", "couples", "delta_df", "k"}


@dataclass(frozen=True)
class HtmlBlock:
    """HTML shown as rich output in a notebook (and so in the rendered report)."""

    html: str

    def _repr_html_(self) -> str:
        return self.html


def format_number(value, column: str = "", decimals: int = 2) -> str:
    """One cell in APA style: integers with thousands separators, p as ``< .001``, no leading
    zero for statistics bounded by 1, `decimals` places otherwise; missing as an en dash."""
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)) or value is pd.NA:
        return "&ndash;"
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if column in ("p_value", "delta_p_value", "p_holm", "p_bh", "rho_p_value"):
        return "&lt; .001" if value < 0.001 else f"{value:.3f}".replace("0.", ".", 1)
    if column in INTEGER_COLUMNS or isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if column == "value" and float(value).is_integer():  # generic value column: counts stay whole
        return f"{int(value):,}"
    text = f"{value:,.{1 if column.startswith('pct_') else decimals}f}"
    if text.startswith("-") and text.strip("-0.,") == "":  # rounds to zero: no negative zero
        text = text[1:]
    if column in NO_LEADING_ZERO:
        text = text.replace("0.", ".", 1)
    return text.replace("-", "&minus;")


def format_value(value: float, decimals: int = 2, *, bounded: bool = False) -> str:
    """A number for running text (plain Unicode): ``−0.24``; `bounded` drops the leading zero
    (APA 7 for statistics that cannot exceed 1, e.g. r, p, alpha); NaN as ``NA``."""
    if value is None or value is pd.NA or (isinstance(value, float | np.floating) and math.isnan(value)):
        return "NA"
    text = f"{float(value):.{decimals}f}"
    if text.lstrip("-").strip("0.") == "":  # rounds to zero: no negative zero
        text = text.lstrip("-")
    if bounded:
        text = text.replace("0.", ".", 1)
    return text.replace("-", "\u2212")


def format_p(p: float) -> str:
    """APA p value for text: ``p < .001`` or ``p = .023`` (three decimals, no leading zero)."""
    if p is None or (isinstance(p, float | np.floating) and math.isnan(p)):
        return "p = NA"
    return "p < .001" if p < 0.001 else f"p = {format_value(p, 3, bounded=True)}"


def format_ci(low: float, high: float, *, level: float = 0.95, decimals: int = 2, bounded: bool = False) -> str:
    """Confidence interval for text: ``95% CI [0.01, 0.53]``."""
    pct = f"{100 * level:g}"
    return f"{pct}% CI [{format_value(low, decimals, bounded=bounded)}, {format_value(high, decimals, bounded=bounded)}]"


def format_stat(symbol: str, value: float, decimals: int = 2, *, bounded: bool = False) -> str:
    """``symbol = value`` for text, e.g. ``format_stat("b", 0.2413)`` -> ``b = 0.24``; integer
    statistics such as df are passed with ``decimals=0``."""
    return f"{symbol} = {format_value(value, decimals, bounded=bounded)}"


def apa_paragraph(*sentences: str) -> HtmlBlock:
    """Sentences shown as one paragraph of a report (escaped; the `apa-text` style)."""
    text = " ".join(s.strip() for s in sentences if s and s.strip())
    return HtmlBlock(f'<p class="apa-text">{html.escape(text)}</p>')


def _header(column: str) -> str:
    if column in HEADERS:
        return HEADERS[column]
    words = column.replace("pct_", "% ").replace("_", " ")
    return html.escape(words[:1].upper() + words[1:])


def apa_table(
    data: pd.DataFrame,
    *,
    title: str,
    number: int | None = None,
    note: str | None = None,
    decimals: int = 2,
    labels: dict[str, str] | None = None,
) -> HtmlBlock:
    """Render a tidy result table as an APA 7 table (HTML).

    Parameters
    ----------
    data : pandas.DataFrame
        Columns from the project vocabulary (``n``, ``mean``, ``sd``, ``p_value``, ...).
    title : str
        Table title (italic, under the bold table number).
    number : int, optional
        Table number ("Table 1").
    note : str, optional
        Text of the table note (plain text, escaped).
    decimals : int, default 2
        Decimal places for numbers without a rule of their own.
    labels : dict, optional
        Replacement text for cell values (e.g. score ids to readable names).

    Returns
    -------
    HtmlBlock
        ``.html`` holds the table; notebooks display it directly.
    """
    labels = labels or {}
    kinds = {c: "text" if any(isinstance(v, str) for v in data[c]) else "num" for c in data.columns}
    head = "".join(f'<th class="{kinds[c]}">{_header(str(c))}</th>' for c in data.columns)
    body = []
    for row in data.itertuples(index=False):
        cells = []
        for col, value in zip(data.columns, row, strict=True):
            if isinstance(value, str) and value in labels:
                value = labels[value]
            cells.append(f'<td class="{kinds[col]}">{format_number(value, str(col), decimals)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption = (f"<strong>Table {number}</strong><br>" if number is not None else "") + f"<em>{html.escape(title)}</em>"
    foot = f'<p class="apa-note"><em>Note.</em> {html.escape(note)}</p>' if note else ""
    return HtmlBlock(
        f'<div class="apa"><table class="apa-table"><caption>{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{foot}</div>"
    )


def dataset_notice(dataset: Dataset) -> HtmlBlock:
    """A box naming the data set and its files; simulated data get a plain warning banner."""
    files = "".join(
        f"<li><code>{html.escape(Path(f.path).name)}</code> ({html.escape(f.table)}"
        + (f", {f.rows:,} rows" if f.table != "codebook" else "")
        + f") &middot; SHA-256 <code>{f.sha256[:12]}</code></li>"
        for f in dataset.files
    )
    banner = ""
    if dataset.simulated:
        gen = dataset.codebook.get("generator", {})
        banner = (
            '<p class="simulated"><strong>Simulated data.</strong> These data were generated by '
            f"ConnectionLab (<code>{html.escape(str(gen.get('function', 'a generator')))}</code>, "
            f"seed {html.escape(str(gen.get('seed', '?')))}). They describe no real people; results "
            "show what the methods recover, not facts about couples.</p>"
        )
    desc = html.escape(str(dataset.codebook.get("description", "")))
    return HtmlBlock(
        f'<div class="dataset-notice">{banner}<p><strong>{html.escape(dataset.title)}</strong></p>'
        f"<p>{desc}</p><ul>{files}</ul></div>"
    )


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
