"""Faults during `connlab run`: a hanging notebook times out, Ctrl-C (or a kill) stops the run and its
kernels at once, a second run into the same folder is refused, and the index always describes the
reports in place (each report replaces the previous one only when complete)."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from analysis import ParameterError
from analysis.runner import cli
from analysis.runner.suite import DEFAULT_TIMEOUT, RECORD_NAME, STAGING_PREFIX, _clean_staging, run_suite

LOCK = ".connlab-run.lock"


def _notebook(path: Path, params: str, *cells: str) -> None:
    """A suite notebook: a `parameters` cell, then code cells."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "connectionlab", "language": "python",
                                                           "display_name": "ConnectionLab"}})  # fmt: skip
    nb.cells = [nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)


def _hang_suite(folder: Path) -> Path:
    """00_quick, then 01_hang: sleeps `hang` seconds after writing its kernel's pid (and, with
    `spawn`, that of a child process it started) to `pid_file`."""
    folder.mkdir()
    _notebook(folder / "00_quick.ipynb", "x = 1  # unused", "print('quick')")
    _notebook(folder / "01_hang.ipynb", 'hang = 0  # seconds\npid_file = ""  # where to write the pids\n'
              "spawn = False  # start a child process too",
              "import os, pathlib, subprocess, time",
              "child = subprocess.Popen(['sleep', str(hang)]).pid if spawn else ''\n"
              "if pid_file:\n    pathlib.Path(pid_file).write_text(f'{os.getpid()} {child}')",
              "time.sleep(hang)")  # fmt: skip
    return folder


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(_alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _interactive_signals() -> None:
    """In the child: Ctrl-C as a terminal delivers it. A job started in the background by a
    non-interactive shell (as CI may start the tests) inherits SIGINT ignored, and Python then
    keeps ignoring it; `connlab run` respects that, as it should under nohup."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_run(notebooks: Path, out: Path, log: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "analysis.runner.cli", "run", "--notebooks", str(notebooks),
                             "--out", str(out), *args], stdout=subprocess.DEVNULL,
                            stderr=log.open("w"), preexec_fn=_interactive_signals)  # fmt: skip


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 60) -> list[int]:
    deadline = time.monotonic() + seconds
    while not (path.exists() and path.read_text()):
        assert proc.poll() is None, "the run ended before the notebook started"
        assert time.monotonic() < deadline, f"no {path.name} after {seconds} s"
        time.sleep(0.1)
    return [int(p) for p in path.read_text().split()]


def _index_matches_files(out: Path) -> str:
    """The index links only files that exist, and every report in `out` is linked from it."""
    index = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', index)
    assert all((out / link).exists() for link in links), [link for link in links if not (out / link).exists()]
    assert {p.name for p in out.glob("*.html")} - {"index.html"} <= set(links)
    assert not list(out.glob(f"{STAGING_PREFIX}*"))
    return index


def _row(index: str, name: str) -> str:
    return next(r for r in index.split("<tr>") if f">{name}<" in r)


def test_a_hanging_notebook_times_out_and_the_others_go_on(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    # a cell that ignores the interrupt: the kernel is killed
    _notebook(notebooks / "00_hang.ipynb", "x = 1  # unused", "import signal, time",
              "signal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(600)")  # fmt: skip
    # no cell is over the limit, the notebook is: only the whole-notebook limit stops it
    _notebook(notebooks / "01_slow.ipynb", "x = 1  # unused", "import time", *["time.sleep(1.5)"] * 5)
    _notebook(notebooks / "02_quick.ipynb", 'output_dir = ""  # set by the runner',
              "import json, pathlib\nresults = {'parameters': {'output_dir': output_dir}}\n"
              "pathlib.Path(output_dir, 'results.json').write_text(json.dumps(results))",
              "print('written to', output_dir)")  # fmt: skip
    out = tmp_path / "out"
    start = time.monotonic()
    runs = {r.name: r for r in run_suite(notebooks_dir=notebooks, out_dir=out, jobs=2, timeout=3,
                                         progress=lambda _: None)}  # fmt: skip
    assert time.monotonic() - start < 30
    assert [runs[n].status for n in ("00_hang", "01_slow", "02_quick")] == ["failed", "failed", "succeeded"]
    assert re.fullmatch(r"timed out after 3 s \(cell 3\)", runs["00_hang"].error)
    assert re.fullmatch(r"timed out after 3 s \(cell [3-5]\)", runs["01_slow"].error)
    assert runs["01_slow"].seconds < 6  # stopped before its 7.5 s of cells
    slow = nbformat.read(out / "01_slow" / "01_slow.ipynb", as_version=4)
    assert "KeyboardInterrupt" in [o.get("ename") for c in slow.cells for o in c.get("outputs", [])]
    index = _index_matches_files(out)
    assert "timed out after 3 s" in _row(index, "01_slow") and (out / "00_hang.html").exists()
    # the notebook wrote into a staging folder; what it recorded names the report's own folder
    folder = str(out.resolve() / "02_quick")
    assert json.loads((out / "02_quick" / "results.json").read_text())["parameters"]["output_dir"] == folder
    page = (out / "02_quick.html").read_text()
    assert f"written to {folder}" in page and STAGING_PREFIX not in page
    assert runs["02_quick"].parameters["output_dir"] == folder
    assert not (out / LOCK).exists()


@pytest.mark.parametrize("timeout", [0, -5, math.nan, math.inf, True, "60"])
def test_a_bad_timeout_is_refused(tmp_path, timeout):
    with pytest.raises(ParameterError, match="--timeout must be a number of seconds > 0"):
        run_suite(out_dir=tmp_path, timeout=timeout)


def test_cli_timeout(tmp_path, capsys):
    assert cli.main(["run", "--out", str(tmp_path), "--timeout", "0"]) == 2
    assert "--timeout must be a number of seconds > 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    assert f"(default {DEFAULT_TIMEOUT})" in " ".join(capsys.readouterr().out.split())
    assert not (tmp_path / "index.html").exists()


def test_ctrl_c_stops_the_run_and_its_kernels_and_keeps_the_previous_report(tmp_path, capsys):
    notebooks, out = _hang_suite(tmp_path / "notebooks"), tmp_path / "out"
    assert cli.main(["run", "--notebooks", str(notebooks), "--out", str(out)]) == 0
    previous = {p: (out / p).read_bytes() for p in ("01_hang.html", "01_hang/01_hang.ipynb", f"01_hang/{RECORD_NAME}")}
    pid_file, log = tmp_path / "pids", tmp_path / "run.log"
    proc = _start_run(notebooks, out, log, "-p", "hang=600", "-p", f"pid_file={pid_file}", "-p", "spawn=true")
    pids = []
    try:
        pids = _wait_for(pid_file, proc)  # 01_hang's kernel and its child are running; 00_quick is done
        capsys.readouterr()
        assert cli.main(["run", "--notebooks", str(notebooks), "--out", str(out), "--only", "00"]) == 2
        err = capsys.readouterr().err
        assert str(out) in err and f"process {proc.pid}" in err and "in use" in err
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 130
        assert time.monotonic() - start < 8
        assert _gone_within(pids, 3), "a kernel or its child outlived the run"
    finally:
        for pid in [proc.pid, *pids]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert "connlab run: interrupted" in log.read_text()
    assert {p: (out / p).read_bytes() for p in previous} == previous  # the half-run notebook did not replace it
    assert not (out / LOCK).exists()
    index = _index_matches_files(out)
    assert "Interrupted" in index
    assert "earlier run" not in _row(index, "00_quick")  # finished by the interrupted run
    assert "Report from an earlier run" in _row(index, "01_hang") and "hang = 0" in _row(index, "01_hang")


def test_a_killed_run_leaves_a_true_index_and_the_next_run_takes_over(tmp_path, capsys):
    notebooks, out = _hang_suite(tmp_path / "notebooks"), tmp_path / "out"
    pid_file, log = tmp_path / "pids", tmp_path / "run.log"
    proc = _start_run(notebooks, out, log, "-p", "hang=600", "-p", f"pid_file={pid_file}")
    pids = []
    try:
        pids = _wait_for(pid_file, proc)
        proc.kill()
        proc.wait(timeout=10)
        assert _gone_within(pids, 5), "the kernel outlived the killed run"
    finally:
        for pid in [proc.pid, *pids]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert (out / LOCK).exists() and list(out.glob(f"{STAGING_PREFIX}01_hang-*"))  # what the kill left
    assert not (out / "01_hang").exists() and not (out / "01_hang.html").exists()
    index = (out / "index.html").read_text()  # written after 00_quick was in place
    assert "status-succeeded'>succeeded" in _row(index, "00_quick") and (out / "00_quick.html").exists()
    assert "not run" in _row(index, "01_hang") and "href" not in _row(index, "01_hang")

    capsys.readouterr()
    assert cli.main(["run", "--notebooks", str(notebooks), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"process {proc.pid}" in err and "takes over" in err
    index = _index_matches_files(out)
    assert "2 succeeded, 0 failed" in index and "earlier run" not in index
    assert not (out / LOCK).exists()


def test_a_report_moved_aside_by_a_killed_run_is_put_back(tmp_path):
    staging = tmp_path / f"{STAGING_PREFIX}00_a-123-x"
    (staging / "old" / "00_a").mkdir(parents=True)
    (staging / "old" / "00_a" / "results.json").write_text("{}")
    (staging / "00_a").mkdir()  # the new report, never moved into place
    (tmp_path / ".index.html.123.tmp").write_text("half")
    assert _clean_staging(tmp_path) == [staging.name]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["00_a"]
    assert (tmp_path / "00_a" / "results.json").read_text() == "{}"
