"""Main-job benchmark: the suite's own work (``connlab run``, jobs=2) against the floor of running it.

The goal (issue 19): the suite's own work <= 1.0x the floor, in the same run, where

  floor     = N x (papermill on an empty notebook + HTML render of that executed empty notebook):
              what N notebooks cost when they hold nothing (kernel start, papermill, render,
              index): the floor any runner of N notebooks pays. Papermill's empty run includes a
              kernel start, so the bare kernel start is printed beside it but not added again.
  own work  = wall time of ``run_suite(jobs=2)`` on the whole suite minus the floor.

The floor's kernels are started the usual way (jupyter_client's `AsyncKernelManager`, papermill's
default, a fresh interpreter): that is what any runner of N notebooks pays. ``run_suite`` forks its
kernels from a warm server (`analysis.runner._kernel_fork`) and its kernel manager waits less for a
kernel to be ready and to exit (`suite._kernel_manager_class`), so what they save counts in its
favour: that saving is ours. Likewise the floor's render compiles the report template for each notebook, as
one ``jupyter nbconvert`` per notebook would; the runner compiles it once per thread. The
per-notebook table runs each notebook alone, in a fresh kernel.

The wall time of the suite (jobs=2) is printed too. For each notebook the table splits its time into
  kernel start       - start the project kernel, run ``1+1``, stop it (nbclient directly: the peer);
  papermill overhead - papermill on a notebook with a parameters cell and ``1+1``, minus the peer;
  render             - ``analysis.runner.render.render_notebook`` on the notebook's executed copy;
  own work           - the notebook's papermill time minus papermill's empty-notebook time.
Seconds are printed for context only; the ratios are measured in one run. Results: bench/results/.
Smoke mode (``CONNLAB_BENCH_SMOKE=1``): only `NOTEBOOKS` (00_data_quality), every measurement once.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm  # imported up front so no measurement pays for the import
from _timing import RESULTS_DIR, SMOKE, goal, median_time, repeats, size, write_results
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from analysis.paths import DEMO_DIR
from analysis.runner import render as render_module
from analysis.runner import suite as runner
from analysis.runner.render import render_notebook

REPEATS = repeats(3)  # small measurements: median of 3 (smoke: 1)
BUDGET_S = size(90.0, 0.0)  # run each notebook a second time only if the whole stays under this (smoke: never)
GOAL_OWN_PER_FLOOR = 1.0  # issue 19: own work of the suite (jobs=2) <= 1.0 x the floor
JOBS = 2
NOTEBOOKS = size(None, ["00_data_quality"])  # None: the whole suite
KERNEL = runner._kernel_name()
#: the floor's kernel manager: jupyter_client's own, papermill's and nbclient's default (the runner's waits less for
#: a kernel to be ready and to exit: that saving is the runner's, like its forked kernels)
MANAGER = AsyncKernelManager


def tiny_notebook(with_parameters: bool) -> nbformat.NotebookNode:
    """A notebook holding ``1+1``, optionally after a ``parameters``-tagged cell."""
    cells = [nbformat.v4.new_code_cell("1+1")]
    if with_parameters:
        cells.insert(0, nbformat.v4.new_code_cell("x = 0", metadata={"tags": ["parameters"]}))
    return nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": KERNEL, "language": "python", "display_name": KERNEL},
        "language_info": {"name": "python"}})  # fmt: skip


def bare_kernel_start(tmp: Path) -> float:
    """Peer: start the project kernel, run ``1+1`` and stop it, with nbclient alone."""
    def run():
        NotebookClient(tiny_notebook(False), kernel_name=KERNEL, kernel_manager_class=MANAGER,
                       resources={"metadata": {"path": str(tmp)}}).execute()  # fmt: skip

    return median_time(run, REPEATS)


def papermill_empty(tmp: Path) -> tuple[float, float]:
    """Papermill, as the runner calls it, on a notebook with a parameters cell and ``1+1``; and the
    HTML render of that executed notebook. (seconds of each, median of `REPEATS`)"""
    source, out = tmp / "empty.ipynb", tmp / "empty-out.ipynb"
    nbformat.write(tiny_notebook(True), source)

    def run():
        pm.execute_notebook(str(source), str(out), parameters={"x": 1}, kernel_name=KERNEL,
                            cwd=str(tmp), progress_bar=False, log_output=False,
                            kernel_manager_class=MANAGER)  # fmt: skip

    papermill_s = median_time(run, REPEATS)
    render_notebook(out, tmp / "empty.html")  # nbconvert imported

    def render():  # as one `jupyter nbconvert` per notebook: the exporter's templates compiled for it
        render_module._EXPORTERS.__dict__.clear()
        render_notebook(out, tmp / "empty.html")

    return papermill_s, median_time(render, REPEATS)


def run_notebook(spec: runner.NotebookSpec, out: Path) -> tuple[float, Path]:
    """Papermill seconds of one real notebook (defaults) via the runner, and the executed file."""
    out.mkdir(parents=True, exist_ok=True)  # the runner stages the report inside `out`
    run = runner._execute(spec, {}, out, False, KERNEL)
    if run.status != "succeeded":
        raise RuntimeError(f"{spec.name} failed: {run.error}")
    return run.seconds, run.notebook


def suite_time(jobs: int, tmp: Path) -> float:
    """Wall seconds of the whole suite through ``run_suite``; fails if a notebook fails."""
    start = time.perf_counter()
    runs = runner.run_suite(only=NOTEBOOKS, out_dir=tmp / f"suite-jobs{jobs}", jobs=jobs, progress=lambda _: None)
    seconds = time.perf_counter() - start
    failed = [r.name for r in runs if r.status != "succeeded"]
    if failed:
        raise RuntimeError(f"run_suite(jobs={jobs}): failed {', '.join(failed)}")
    return seconds


def measure_notebooks(specs, tmp: Path, start: float, empty_s: float) -> list[dict]:
    """Run each notebook once (twice if the budget allows); render its output `REPEATS` times."""
    times: dict[str, list[float]] = {s.name: [] for s in specs}
    executed = {}
    for spec in specs:
        seconds, executed[spec.name] = run_notebook(spec, tmp / "nb-1")
        times[spec.name].append(seconds)
        print(f"  {spec.name}: {seconds:.2f} s", flush=True)
    first_pass = sum(t[0] for t in times.values())
    # the rest still to come: this second pass, plus the suite at jobs=2 (about half a pass)
    if time.perf_counter() - start + 1.5 * first_pass < BUDGET_S:
        for spec in specs:
            times[spec.name].append(run_notebook(spec, tmp / "nb-2")[0])
    rows = []
    for spec in specs:
        html = tmp / f"{spec.name}.html"
        render_s = median_time(lambda spec=spec, html=html: render_notebook(executed[spec.name], html), REPEATS)
        nb_s = statistics.median(times[spec.name])
        rows.append({"notebook": spec.name, "papermill_runs_s": times[spec.name],
                     "papermill_s": nb_s, "render_s": render_s,
                     "own_work_s": nb_s - empty_s})  # fmt: skip
    return rows


def measure() -> dict:
    """All measurements of this run, as one JSON-ready dict."""
    start = time.perf_counter()
    specs = runner.discover_notebooks(only=NOTEBOOKS)
    with tempfile.TemporaryDirectory(prefix="connlab-bench-") as name:
        tmp = Path(name)
        kernel_s = bare_kernel_start(tmp)
        print(f"bare kernel start (peer): {kernel_s:.2f} s, median of {REPEATS}", flush=True)
        empty_s, empty_render_s = papermill_empty(tmp)
        print(f"papermill, empty notebook: {empty_s:.2f} s; its render: {empty_render_s:.2f} s; "
              f"median of {REPEATS}", flush=True)  # fmt: skip
        print("each notebook, one by one:", flush=True)
        rows = measure_notebooks(specs, tmp, start, empty_s)
        wall_s = suite_time(JOBS, tmp)
    for row in rows:
        row |= {"kernel_start_s": kernel_s, "papermill_overhead_s": empty_s - kernel_s,
                "total_s": row["papermill_s"] + row["render_s"]}  # fmt: skip
        row["overhead_per_kernel"] = (row["papermill_overhead_s"] + row["render_s"]) / kernel_s
        row["total_per_kernel"] = row["total_s"] / kernel_s
    n = len(specs)
    floor_s = n * (empty_s + empty_render_s)
    own_s = wall_s - floor_s
    suite = {"notebooks": n, "jobs": JOBS, "wall_s": wall_s, "floor_s": floor_s, "own_work_s": own_s,
             "own_per_floor": own_s / floor_s, "goal_own_per_floor": GOAL_OWN_PER_FLOOR,
             "serial_s": sum(r["total_s"] for r in rows),
             "notebook_own_work_s": sum(r["own_work_s"] for r in rows)}  # fmt: skip
    return {"smoke": SMOKE, "kernel": KERNEL, "cpus": os.cpu_count(), "python": platform.python_version(),
            "repeats": REPEATS, "bare_kernel_start_s": kernel_s, "papermill_empty_s": empty_s,
            "empty_render_s": empty_render_s, "notebooks": rows, "suite": suite,
            "bench_wall_s": time.perf_counter() - start}  # fmt: skip


def print_table(result: dict) -> None:
    """The per-notebook table and the suite's goal line."""
    head = (f"{'notebook':<32}{'total s':>9}{'kernel s':>10}{'papermill s':>13}{'render s':>10}"
            f"{'own work s':>12}{'(pm+render)/kernel':>20}{'total/kernel':>14}")  # fmt: skip
    print("\n" + head + "\n" + "-" * len(head))
    for r in result["notebooks"]:
        print(f"{r['notebook']:<32}{r['total_s']:>9.2f}{r['kernel_start_s']:>10.2f}"
              f"{r['papermill_overhead_s']:>13.2f}{r['render_s']:>10.2f}{r['own_work_s']:>12.2f}"
              f"{r['overhead_per_kernel']:>19.2f}x{r['total_per_kernel']:>13.2f}x")  # fmt: skip
    s = result["suite"]
    print(f"\nsuite, {s['notebooks']} notebook(s){' (smoke)' if result['smoke'] else ''}: "
          f"one by one {s['serial_s']:.2f} s (sum of the table's totals)")
    print(f"floor = {s['notebooks']} x (papermill empty {result['papermill_empty_s']:.2f} s + its render "
          f"{result['empty_render_s']:.2f} s) = {s['floor_s']:.2f} s  (bare kernel start "
          f"{result['bare_kernel_start_s']:.2f} s, inside papermill's run)")
    print(f"run_suite jobs={s['jobs']}: wall {s['wall_s']:.2f} s -> own work = wall - floor = {s['own_work_s']:.2f} s")
    print(f"goal own work / floor <= {s['goal_own_per_floor']:.1f}: {s['own_per_floor']:.2f}x "
          f"{goal(s['own_per_floor'] <= s['goal_own_per_floor'])}")
    runs = min(len(r["papermill_runs_s"]) for r in result["notebooks"])
    print(f"(kernel start, papermill empty, renders: median of {result['repeats']}; notebooks: "
          f"median of {runs}; {result['cpus']} CPUs; bench wall {result['bench_wall_s']:.0f} s)")


def main() -> int:
    """Measure, print the table, write bench/results/bench_suite.json."""
    if not (DEMO_DIR / "codebook.yaml").exists():
        print(f"No demo data in {DEMO_DIR}: run `make data` first.", file=sys.stderr)
        return 1
    result = measure()
    print_table(result)
    path = write_results("bench_suite", result)
    print(f"\nwrote {path.relative_to(RESULTS_DIR.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
