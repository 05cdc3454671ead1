"""Notebook kernels forked from a warm process: each kernel starts with the suite's imports done.

Each notebook of the suite normally pays for a fresh Python with ipykernel (about 0.9 s) and then
for its own import cell (pandas, scipy, statsmodels, matplotlib, seaborn, the analysis modules:
about 2 s); ten notebooks pay it ten times (issue 19). A *fork server* pays it once: a process
started with the kernel's interpreter and environment runs the import statements of the notebooks
to be run, then waits. Each kernel is an ``os.fork()`` of it (copy-on-write, a few milliseconds)
that runs ``python -m ipykernel_launcher -f CONNECTION_FILE`` as jupyter_client would have started
it: in its own session (process group), with the environment and working folder asked for, stdin
from /dev/null. The notebook still executes its import cell; it finds the modules loaded.

Safety: the server runs only import statements, in a throwaway namespace; it forks only while it
has a single thread (checked in ``/proc/self/task``: one BLAS thread per kernel is the suite's
setting, `suite.KERNEL_BLAS_THREADS`), and refuses a kernel command or an environment that
differs from its own in what is read at import time (`IMPORT_TIME_ENV`). Whatever goes wrong
(no fork on this platform, the server cannot start or dies, a refused command), the kernel is
started the usual way: the fork server only ever saves time.

The server is the kernels' parent: it reaps them and writes each exit status to a file the client
reads (`ForkedKernel.poll`); it exits when the process that started it is gone, and the kernels then
exit too (ipykernel stops when it is re-parented). Written here because jupyter_client has no such
launcher (its provisioners start processes; kernel pools such as Enterprise Gateway's keep whole
idle kernels, which would run several notebooks in one interpreter).
"""

from __future__ import annotations

import ast
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: environment variables read when modules are imported: a kernel asking for other values than the
#: server's is started the usual way
IMPORT_TIME_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE", "MPLBACKEND",
                   "MPLCONFIGDIR", "PYTHONPATH", "PYTHONHASHSEED", "PYTHONWARNINGS", "CONNLAB_PROJECT")  # fmt: skip
MPL_INLINE = "module://matplotlib_inline.backend_inline"  # what ipykernel would set before any import
#: what every kernel imports to start (``ipykernel_launcher``: IPython, zmq, jupyter_client, and debugpy, which
#: the kernel loads for its debugger whether or not one attaches; 0.25-0.3 s), run by the server before the
#: notebooks' imports (no thread started, no matplotlib backend set)
KERNEL_IMPORTS = ("import ipykernel.kernelapp", "import ipykernel.ipkernel", "import ipykernel.zmqshell",
                  "import ipykernel.debugger")  # fmt: skip
#: imported by the server while it waits between forks, after the notebooks' own imports: modules our
#: functions import only when called (each kernel would pay them; a kernel forked earlier still does)
WARM_LATER = ("analysis.models.process_mediation", "analysis.models.multilevel", "analysis.models.survey_design",
              "analysis.claims.multiverse", "statsmodels.miscmodels.ordinal_model",
              "statsmodels.nonparametric.smoothers_lowess", "sklearn.mixture")  # fmt: skip
READY_TIMEOUT = 120.0  # seconds to wait for the server's imports before starting kernels the usual way
POLL = 0.02  # seconds between the server's checks for ended kernels and a gone parent


def fork_available() -> bool:
    """Whether kernels can be forked here (Linux: ``os.fork`` and ``/proc/self/task``)."""
    return hasattr(os, "fork") and sys.platform.startswith("linux") and os.path.isdir("/proc/self/task")


def import_statements(notebooks: list[Path]) -> list[str]:
    """The top-level ``import``/``from ... import`` statements of the notebooks' code cells, as source.

    >>> import nbformat, tempfile, pathlib
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import math\\nx = 1\\nfrom os import path")])
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "n.ipynb"; nbformat.write(nb, p)
    >>> import_statements([p])
    ['import math', 'from os import path']
    """
    import nbformat

    found: list[str] = []
    for path in notebooks:
        try:
            cells = nbformat.read(path, as_version=4).cells
        except Exception:  # an unreadable notebook fails in its own run, with its own message
            continue
        for cell in cells:
            if cell.cell_type != "code" or "import" not in cell.source:
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:  # magics: the kernel's own import cell still runs
                continue
            for node in tree.body:
                if isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom) and node.level == 0):
                    text = ast.unparse(node)
                    if text not in found:
                        found.append(text)
    return found


def _kernel_module(argv: list[str]) -> tuple[list[str], list[str]] | None:
    """(interpreter and its options, arguments after the module) of ``... -m ipykernel_launcher ...``."""
    try:
        at = argv.index("-m")
    except ValueError:
        return None
    if at + 1 >= len(argv) or argv[at + 1] != "ipykernel_launcher":
        return None
    return argv[:at], argv[at + 2 :]


class ForkedKernel:
    """A kernel process forked by the server, with the part of `subprocess.Popen` jupyter_client uses.

    The server (its parent) writes ``exit-<pid>`` with the exit status once it has reaped it.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int, folder: Path):
        self.pid = pid
        self.returncode: int | None = None
        self._exit_file = folder / f"exit-{pid}"

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = int(self._exit_file.read_text())
            except (FileNotFoundError, ValueError):
                try:
                    os.kill(self.pid, 0)
                except ProcessLookupError:  # reaped by someone else (the server died): gone
                    self.returncode = -1
                except PermissionError:
                    pass
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(POLL)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class KernelForkServer:
    """Client of one fork server (started by `start`, stopped by `stop`; a context manager).

    Parameters
    ----------
    interpreter : list of str
        The kernel spec's command before ``-m ipykernel_launcher`` (the Python and its options).
    env : dict
        The kernels' environment (the server imports with it).
    cwd : Path
        The kernels' working folder.
    notebooks : list of Path
        Notebooks whose import statements the server runs before the first fork.
    """

    def __init__(self, interpreter: list[str], env: dict[str, str], cwd: Path, notebooks: list[Path]):
        self.interpreter, self.env, self.cwd, self.notebooks = list(interpreter), dict(env), Path(cwd), notebooks
        self.folder: Path | None = None
        self.process: subprocess.Popen | None = None
        self.failed = False

    def start(self) -> KernelForkServer:
        """Start the server in the background (its imports run while the caller goes on)."""
        try:
            self.folder = Path(tempfile.mkdtemp(prefix="connlab-forks-"))
            (self.folder / "imports.json").write_text(json.dumps(import_statements(self.notebooks)))
            env = self.env | {"MPLBACKEND": self.env.get("MPLBACKEND", MPL_INLINE)}
            self.process = subprocess.Popen(  # our interpreter, our module
                [*self.interpreter, "-m", "analysis.runner._kernel_fork", str(self.folder), str(os.getpid())],
                env=env, cwd=self.cwd, stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        except OSError:
            self.failed = True
        return self

    def __enter__(self) -> KernelForkServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the server (kernels still running are stopped by their managers)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.folder is not None:
            import shutil

            shutil.rmtree(self.folder, ignore_errors=True)
        self.process = None

    def _socket(self) -> socket.socket | None:
        """A connection to the server once its imports are done; None if it failed or is gone."""
        sock_path = str(self.folder / "socket")
        deadline = time.monotonic() + READY_TIMEOUT
        while not self.failed and self.process is not None:
            if os.path.exists(sock_path):
                conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    conn.connect(sock_path)
                    return conn
                except OSError:
                    conn.close()
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.failed = True
                break
            time.sleep(POLL)
        return None

    def spawn(self, argv: list[str], env: dict[str, str], cwd: str | os.PathLike | None) -> ForkedKernel | None:
        """Fork a kernel running `argv` (``... -m ipykernel_launcher -f FILE``) with `env` in `cwd`;
        None when this kernel must be started the usual way."""
        parts = _kernel_module(argv)
        if self.failed or self.process is None or parts is None or parts[0] != self.interpreter:
            return None
        server_env = self.env | {"MPLBACKEND": self.env.get("MPLBACKEND", MPL_INLINE)}
        if any(env.get(name) != server_env.get(name) for name in IMPORT_TIME_ENV if name != "MPLBACKEND") \
                or env.get("MPLBACKEND", MPL_INLINE) != server_env["MPLBACKEND"]:  # fmt: skip
            return None
        conn = self._socket()
        if conn is None:
            return None
        try:
            with conn:
                conn.settimeout(30)
                conn.sendall(json.dumps({"args": parts[1], "env": env, "cwd": str(cwd or self.cwd)}).encode() + b"\n")
                reply = conn.makefile("rb").readline()
            pid = int(json.loads(reply)["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            self.failed = True
            return None
        return ForkedKernel(pid, self.folder)


# --- the server (``python -m analysis.runner._kernel_fork FOLDER PARENT_PID``) ---------------------------------


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


def _run_kernel(conn: socket.socket, listener: socket.socket, request: dict) -> None:
    """In the forked child: become the kernel jupyter_client asked for. Never returns."""
    code = 1
    try:
        listener.close()
        conn.close()
        os.setsid()  # its own process group, as jupyter_client's start_new_session
        for signum in (signal.SIGTERM, signal.SIGCHLD):  # as in a fresh Python
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        import runpy

        sys.argv = ["ipykernel_launcher", *request["args"]]  # runpy sets argv[0] to the module's file
        try:
            runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # a kernel that cannot start: its manager sees it die
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _reap(folder: Path) -> None:
    """Write ``exit-<pid>`` for each ended kernel."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        tmp = folder / f".exit-{pid}"
        tmp.write_text(str(os.waitstatus_to_exitcode(status)))
        os.replace(tmp, folder / f"exit-{pid}")


def serve(folder: Path, parent: int) -> int:
    """Run the notebooks' imports, then fork a kernel per request until `parent` is gone or SIGTERM."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    namespace: dict = {}
    # ipykernel reads its parent's pid when imported (the default of IPKernelApp.parent_handle, the process it
    # exits without): the server, the parent of every kernel (`KernelForkServer.spawn` passes the same)
    os.environ["JPY_PARENT_PID"] = str(os.getpid())
    for statement in [*KERNEL_IMPORTS, *json.loads((folder / "imports.json").read_text())]:
        try:
            exec(statement, namespace)  # import statements read from the notebooks to run
        except Exception:  # the notebook's own cell reports it
            pass
    if "matplotlib_inline.backend_inline" in sys.modules or _threads() != 1:
        return 3  # the kernel's matplotlib hooks would be missing, or forking would copy a half state: no forks
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(folder / ".socket"))
    listener.listen(16)
    os.replace(folder / ".socket", folder / "socket")  # the client connects once the imports are done
    later = [name for name in WARM_LATER if name not in sys.modules]
    forkable = True
    while os.getppid() == parent:
        ready, _, _ = select.select([listener], [], [], 0 if later else POLL)
        _reap(folder)
        if not ready:
            if later:
                try:
                    __import__(later.pop(0))
                except Exception:  # not installed, or broken: the kernel that needs it says so
                    pass
                if _threads() != 1:  # an import started a thread: no more forks (kernels start the usual way)
                    later, forkable = [], False
            continue
        conn, _ = listener.accept()
        try:
            conn.settimeout(30)
            request = json.loads(conn.makefile("rb").readline())
            pid = os.fork() if forkable else None  # the server lives on for the kernels it forked
            if pid == 0:
                _run_kernel(conn, listener, request)
            conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        except (OSError, ValueError):
            pass
        finally:
            conn.close()
    import shutil

    shutil.rmtree(folder, ignore_errors=True)  # the client is gone and cannot remove it
    return 0


if __name__ == "__main__":
    sys.exit(serve(Path(sys.argv[1]), int(sys.argv[2])))
