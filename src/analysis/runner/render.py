"""Render executed notebooks to self-contained HTML and write the suite's index page."""

from __future__ import annotations

import html
import json
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path

import nbformat

from analysis.paths import TEMPLATES_DIR
from analysis.runner.provenance import git_commit, utc_now
from analysis.runner.records import SIMULATED_NOTE

__all__ = ["render_notebook", "write_index"]

CSS_PATH = TEMPLATES_DIR / "connectionlab" / "report.css"


#: one HTMLExporter per thread and `show_code`: its Jinja templates are compiled once, not per report
#: (about a third of a report's render; the exporter is not shared between threads)
_EXPORTERS = threading.local()


#: what nbconvert writes as the alt text of an image that has none (the browser test fails a report with it)
NO_ALT = "No description has been provided for this image"
_FOCUSABLE = re.compile(r'<div class="([^"]*\b(?:jp-Cell-inputWrapper|jp-OutputArea-output)\b[^"]*)"')
_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)")


def _accessible(page: str) -> str:
    """What nbconvert's HTMLExporter does last, on the page's text: input and output areas focusable
    (``tabindex="0"``) and nbconvert's placeholder as the alt text of an image without one."""
    page = _FOCUSABLE.sub(lambda m: f'<div class="{m.group(1)}" tabindex="0"', page)
    return _IMG_WITHOUT_ALT.sub(f'<img alt="{NO_ALT}"', page)


def _report_exporter():
    """nbconvert's HTMLExporter with its last step, a BeautifulSoup parse and rewrite of the whole page
    (most of a report's render: 0.35 of 0.4 s for the overview), done by `_accessible` on the page's
    text instead. The rest is HTMLExporter.from_notebook_node (nbconvert 7.16-7.17) step for step."""
    from nbconvert import HTMLExporter, TemplateExporter  # slow import, only needed here
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                     resources=resources)  # fmt: skip
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _accessible(page), resources

    return ReportExporter


def _exporter(show_code: bool):
    cache = _EXPORTERS.__dict__
    if show_code not in cache:
        exporter = _report_exporter()(template_name="connectionlab", extra_template_basedirs=[str(TEMPLATES_DIR)])
        exporter.exclude_input = not show_code
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
        cache[show_code] = exporter
    return cache[show_code]


def prepare_render(*, show_code: bool = False) -> None:
    """Compile the report template for this thread now (about 0.3 s, once a thread, otherwise paid by
    its first `render_notebook`): the runner's threads do it while their first kernels start."""
    _exporter(bool(show_code)).from_notebook_node(nbformat.v4.new_notebook(), resources={"connectionlab_css": ""})


def render_notebook(notebook: Path, out: Path, *, show_code: bool = False, node=None) -> Path:
    """Write `notebook` as one HTML file: figures embedded, no script or font from a network
    address, code cells hidden unless `show_code`. `node`: the notebook as the caller has just
    written it (an `nbformat` node), not read again."""
    nb = nbformat.read(notebook, as_version=4) if node is None else node
    nb.metadata["title"] = f"{Path(notebook).stem} - ConnectionLab report"
    body, _ = _exporter(bool(show_code)).from_notebook_node(nb, resources={"connectionlab_css": CSS_PATH.read_text()})
    write_atomically(out, body)
    return out


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it to `path`: a reader (or a run
    killed half-way) sees the old file or the new one, never a part of one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _simulated(run) -> bool:
    """Whether `run` read the simulated demo survey (``provenance.simulated`` of its results.json)."""
    try:
        doc = json.loads(Path(run.results).read_text(encoding="utf-8")) if run.results else {}
    except (OSError, ValueError):
        return False
    return bool(doc.get("provenance", {}).get("simulated")) if isinstance(doc, dict) else False


def _link(target: Path | None, base: Path, text: str) -> str:
    if target is None or not Path(target).exists():
        return ""
    rel = os.path.relpath(target, base)
    return f'<a href="{html.escape(rel)}">{html.escape(text)}</a>'


def write_index(runs: Sequence, out: Path, *, note: str | None = None) -> Path:
    """Write the index page: every report with its status, run time, parameters and files.

    `note` is a line shown above the table (a run in progress or interrupted); a run's
    ``extra["note"]`` is shown under its files (a report from an earlier run). The page is written
    to a temporary file and renamed, so the index is never half written."""
    base = out.parent
    rows = []
    simulated = [run.name for run in runs if _simulated(run)]
    for run in runs:
        overridden = set(run.extra.get("overridden", []))
        params = "<br>".join(
            (f"<strong>{html.escape(k)}</strong>" if k in overridden else html.escape(k))
            + f" = {html.escape(json.dumps(v))}"
            for k, v in run.parameters.items()
        )
        files = " &middot; ".join(
            x for x in (_link(run.notebook, base, "executed notebook"), _link(run.results, base, "results.json")) if x
        )
        error = ""
        if run.error:
            kind = "reason" if run.status in ("not applicable", "not run") else "error"
            error = f'<div class="{kind}">{html.escape(run.error)}</div>'
        skipped = run.extra.get("not_applicable_sections") or {}
        if skipped:
            error += "".join(f'<div class="reason">Section <em>{html.escape(k)}</em> not applicable: needs '
                             f"{html.escape(v)}.</div>" for k, v in skipped.items())  # fmt: skip
        if run.extra.get("note"):
            error += f'<div class="reason">{html.escape(run.extra["note"])}</div>'
        if run.name in simulated:
            error += '<div class="reason"><strong>Simulated data.</strong></div>'
        title = _link(run.html, base, run.name) or html.escape(run.name)
        rows.append(
            f"<tr><td>{title}</td><td class='status-{run.status.replace(' ', '-')}'>{run.status}</td>"
            f"<td class='seconds'>{run.seconds:.1f}&nbsp;s</td><td class='params'>{params}</td>"
            f"<td>{files}{error}</td></tr>"
        )
    n_failed = sum(r.status == "failed" for r in runs)
    n_na = sum(r.status == "not applicable" for r in runs)
    n_not_run = sum(r.status == "not run" for r in runs)
    summary = f"{len(runs) - n_failed - n_na - n_not_run} succeeded, " + (f"{n_na} not applicable, " if n_na else "") \
        + f"{n_failed} failed" + (f", {n_not_run} not run" if n_not_run else "")
    banner = f'<p class="meta"><strong>{html.escape(note)}</strong></p>\n' if note else ""
    if simulated:
        banner += (f'<p class="simulated"><strong>Simulated data.</strong> {len(simulated)} of {len(runs)} reports '
                   f"ran on the simulated demo survey: {html.escape(SIMULATED_NOTE.split(': ', 1)[1])}</p>\n")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>ConnectionLab reports</title>
<style>{CSS_PATH.read_text()}</style></head>
<body><main>
<h1>ConnectionLab reports</h1>
<p class="meta">Generated {utc_now()} &middot; git commit {html.escape(git_commit() or "none")}
&middot; <strong>{summary}</strong></p>
{banner}<p class="meta">Each report shows its parameters, input-file SHA-256 and package versions at the end;
its <code>results.json</code> holds the key numbers. Bold parameters were set on the command line.</p>
<div class="index-box"><table class="index"><thead><tr><th>Report</th><th>Status</th><th>Run time</th>
<th>Parameters</th><th>Files</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></div>
</main></body></html>
"""
    write_atomically(out, page)
    return out
