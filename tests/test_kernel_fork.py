"""Kernels forked from a warm server (`analysis.runner._kernel_fork`): the suite's notebooks run in them
with the same outputs as in fresh kernels (figures included), kernels that cannot be forked start the
usual way, and the server goes away with the process that started it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from analysis.runner import suite
from analysis.runner._kernel_fork import KernelForkServer, _kernel_module, fork_available, import_statements
from analysis.runner.suite import KERNEL_FORK_ENV, run_suite

pytestmark = pytest.mark.skipif(not fork_available(), reason="kernels are forked on Linux only")


def _notebook(path: Path, *cells: str) -> None:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "connectionlab", "language": "python",
                                                           "display_name": "ConnectionLab"}})  # fmt: skip
    nb.cells = [nbformat.v4.new_code_cell('output_dir = ""  # set by the runner', metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)


PROBE = ("import colorsys, json, os, sys\n"
         "import numpy as np\n"
         "import matplotlib.pyplot as plt\n"
         "info = {'pid': os.getpid(), 'ppid': os.getppid(), 'pgid': os.getpgid(0), 'cwd': os.getcwd(),\n"
         "        'warm': 'colorsys' in sys.modules and 'numpy' in sys.modules,\n"
         "        'draw': np.random.default_rng(7).normal(size=3).tolist(), 'argv0': sys.argv[0],\n"
         "        'blas': os.environ.get('OPENBLAS_NUM_THREADS'), 'stdin': os.isatty(0)}\n"
         "from ipykernel.kernelapp import IPKernelApp\n"
         "info['parent_handle'] = IPKernelApp.instance().parent_handle\n"
         "print(json.dumps(info))")  # fmt: skip
FIGURE = "fig, ax = plt.subplots()\nax.plot([1, 2, 3])\nax.set_title('probe');"


def _suite(folder: Path) -> Path:
    folder.mkdir()
    for name in ("00_first", "01_second"):
        _notebook(folder / f"{name}.ipynb", PROBE, FIGURE)
    return folder


def _outputs(out: Path, name: str) -> tuple[dict, list[str]]:
    cells = {c.source: c for c in nbformat.read(out / name / f"{name}.ipynb", as_version=4).cells}
    info = json.loads(cells[PROBE].outputs[0]["text"])
    kinds = [kind for output in cells[FIGURE].outputs for kind in output.get("data", {})]
    return info, kinds


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The two-notebook suite run with forked kernels (jobs=2) and with fresh ones."""
    tmp = tmp_path_factory.mktemp("fork")
    notebooks = _suite(tmp / "notebooks")
    forked = run_suite(out_dir=tmp / "forked", notebooks_dir=notebooks, jobs=2, progress=lambda _: None)
    os.environ[KERNEL_FORK_ENV] = "0"
    try:
        fresh = run_suite(out_dir=tmp / "fresh", notebooks_dir=notebooks, jobs=2, progress=lambda _: None)
    finally:
        del os.environ[KERNEL_FORK_ENV]
    return tmp, forked, fresh


def test_forked_kernels_run_the_notebooks_as_fresh_ones_do(runs):
    tmp, forked, fresh = runs
    assert [r.status for r in forked] == [r.status for r in fresh] == ["succeeded", "succeeded"]
    for name in ("00_first", "01_second"):
        f_info, f_kinds = _outputs(tmp / "forked", name)
        n_info, n_kinds = _outputs(tmp / "fresh", name)
        # the figure is shown by the inline backend in both (its hooks are installed in the kernel)
        assert "image/png" in f_kinds and "image/png" in n_kinds
        assert f_info["draw"] == n_info["draw"]  # same numbers
        assert f_info["cwd"] == n_info["cwd"] == str(suite.PROJECT_ROOT)
        assert f_info["blas"] == n_info["blas"] == os.environ.get("OPENBLAS_NUM_THREADS", "1")
        assert f_info["argv0"].endswith("ipykernel_launcher.py") and n_info["argv0"].endswith("ipykernel_launcher.py")
        assert f_info["pgid"] == f_info["pid"]  # its own process group, as jupyter_client's kernels
        assert f_info["stdin"] is False
        assert n_info["ppid"] == os.getpid()  # fresh kernels are the runner's children
        assert f_info["ppid"] != os.getpid()  # forked kernels are the server's
        # each kernel exits without the parent it was given (ipykernel's ParentPoller); without one it would
        # also print "Ctrl-C will not work" on the runner's terminal
        assert f_info["parent_handle"] == f_info["ppid"] and n_info["parent_handle"] == os.getpid()
    ppids = {_outputs(tmp / "forked", name)[0]["ppid"] for name in ("00_first", "01_second")}
    assert len(ppids) == 1  # one server forked both
    assert not psutil.pid_exists(ppids.pop())  # and it was stopped with the run


def test_the_notebooks_imports_are_run_by_the_server():
    assert import_statements([Path(suite.NOTEBOOKS_DIR) / "00_data_quality.ipynb"])[0].startswith("from analysis")


def _python_kernel_argv() -> list[str]:
    from jupyter_client.kernelspec import KernelSpecManager

    return KernelSpecManager().get_kernel_spec(suite._kernel_name()).argv


def test_a_kernel_that_cannot_be_forked_is_started_the_usual_way(tmp_path):
    argv = _python_kernel_argv()
    interpreter, _ = _kernel_module(argv)
    env = suite._kernel_env()
    with KernelForkServer(interpreter, env, tmp_path, []) as server:
        assert server.spawn(["/bin/other-python", "-m", "ipykernel_launcher", "-f", "x.json"], env, tmp_path) is None
        assert server.spawn([*interpreter, "-m", "other_kernel", "-f", "x.json"], env, tmp_path) is None
        other_blas = env | {"OPENBLAS_NUM_THREADS": "4"}  # read when numpy is imported: the server's differs
        assert server.spawn(argv, other_blas, tmp_path) is None
    broken = KernelForkServer(["/nonexistent/python"], env, tmp_path, []).start()
    assert broken.failed and broken.spawn(argv, env, tmp_path) is None
    broken.stop()


def test_a_server_that_dies_leaves_the_kernels_to_the_usual_start(tmp_path):
    argv = _python_kernel_argv()
    interpreter, _ = _kernel_module(argv)
    env = suite._kernel_env()
    server = KernelForkServer(interpreter, env, tmp_path, []).start()
    try:
        server.process.kill()
        server.process.wait()
        assert server.spawn(argv, env, tmp_path) is None
    finally:
        server.stop()


def test_the_server_ends_with_the_process_that_started_it(tmp_path):
    code = ("import os, sys, time\n"
            "from pathlib import Path\n"
            "from analysis.runner._kernel_fork import KernelForkServer\n"
            f"s = KernelForkServer([sys.executable], dict(os.environ), Path({str(tmp_path)!r}), []).start()\n"
            "print(s.process.pid, flush=True)\n"
            "time.sleep(60)\n")  # fmt: skip
    owner = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    server_pid = int(owner.stdout.readline())
    time.sleep(1.0)
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 30
    while psutil.pid_exists(server_pid) and psutil.Process(server_pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the fork server outlived the process that started it"
        time.sleep(0.1)
