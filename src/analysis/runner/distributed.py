"""Run a multiverse on Dask: a LocalCluster sized to the machine, or a running cluster by its address.

`dask_client` opens the cluster; `run_multiverse_on_dask` fits a multiverse specification file
(`analysis.claims.multiverse`) on it and `read_multiverse_results` reads a finished (or partly
finished) run back. What travels and what is stored:

- The data set is prepared once, on the client (`prepare_multiverse_data`), and written to
  ``<out>/data/<data hash>.pkl``. A task names the file and its hash, never holds the frame: a
  worker process reads the file once and keeps it, with its column cache (`_cached`, `_columns`),
  so the task graph stays small and no chunk rebuilds the arrays. The workers must see ``<out>``
  (a file system shared with them: on a university cluster, the home or scratch folder; the same
  machine for a LocalCluster).
- Specifications go in chunks sized by their estimated work (`_chunks`, `_fit_seconds`: large first,
  small at the end, so the workers finish together), written with the data to
  ``<out>/data/chunks-<hash>.pkl`` (read once by each worker process, as the data set): a task
  carries the chunk's number, and all go in one message. The worker that fits a chunk writes its
  results to one file,
  ``<out>/specs/<chunk hash>.json`` (to a temporary file, then renamed: a killed run leaves whole files
  only), and the client reads them once the last chunk is done. A rerun reads what is there and
  submits only the rest, so an interrupted run resumes with no specification lost or fitted twice; a
  worker lost mid-run has its chunk run again by Dask on another worker.
- Null resamples (Simonsohn, Simmons & Nelson, 2020) go in chunks of resample indices; resample
  ``k`` is stored in ``<out>/null/<observed hash>-seed<seed>/<k>.json`` (the observed results'
  hash: new observed results, new null curves). Resample ``k`` draws from
  ``default_rng([seed, k])``, so chunking never changes a number.
- At the end, ``<out>/multiverse.csv`` (one row per specification), ``<out>/multiverse.json``
  (what was run: spec file, data hash, seed, resamples, counts) and the `MultiverseResult`,
  equal to `run_multiverse` in-process with the same seed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from analysis.exceptions import DataError, ParameterError
from analysis.runner.provenance import utc_now

__all__ = ["dask_client", "run_multiverse_on_dask", "read_multiverse_results", "default_workers"]

#: seconds to wait for a scheduler named by address before giving up with a message
SCHEDULER_TIMEOUT = 10.0
#: environment variables that set a BLAS/OpenMP library's threads: 1 in every worker process
BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                "NUMEXPR_NUM_THREADS")  # fmt: skip
MANIFEST = "multiverse.json"
TABLE = "multiverse.csv"
#: a task costs a few ms of scheduling and transfer in the client and the worker: a chunk holds at least this many
#: estimated seconds of fitting (50 fast OLS fits of 50,000 rows; the last chunk of a run may hold less)
MIN_CHUNK_SECONDS = 0.1
#: and at most (results, and the progress bar, come back at least this often from each worker)
MAX_CHUNK_SECONDS = 10.0
#: rough seconds to fit one specification on one core (a ~50,000-row data set), by model family; they set how
#: many specifications a chunk holds, never a number. Mediation: per bootstrap resample. Weighted: added.
FIT_SECONDS = {"ols": 0.002, "logistic": 0.005, "ordinal": 0.025, "tobit": 0.05, "apim": 0.05, "mixed": 0.2,
               "mediation": 0.0001}  # fmt: skip
WEIGHTED_FIT_SECONDS = 0.02
#: Dask settings of the LocalCluster that make its bookkeeping cheaper, CPU the workers would lose on a machine of
#: few cores: the statistical profiler of each worker (the dashboard's profile page; it samples the running task
#: every 10 ms: 2-3 % of a core per worker, idle or not; 0.7 % without), the event loop's tick (20 ms) and the
#: system monitor (0.5 s, dashboard figures) of the scheduler, nannies and client (5-7 % of a core; 2 % so), and the
#: memory monitor of each nanny and worker (every 100 ms it reads the worker's memory through psutil: a third of
#: the client process's CPU while a fast grid runs; every second is soon enough to pause or restart a worker)
LOCAL_CONFIG = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "200ms",
                "distributed.admin.system-monitor.interval": "2s",
                "distributed.worker.memory.monitor-interval": "1s"}  # fmt: skip


def default_workers() -> int:
    """Workers of the default LocalCluster: the cores this process may use.

    Returns
    -------
    int
        The CPU cores this process may run on (its affinity mask where the system has one).

    Examples
    --------
    >>> from analysis.runner.distributed import default_workers
    >>> default_workers() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS
        return max(1, os.cpu_count() or 1)


# ---------------------------------------------------------------------------------------------
# The cluster
# ---------------------------------------------------------------------------------------------
@contextmanager
def dask_client(scheduler: str | None = None, *, workers: int | None = None, timeout: float | None = None,
                say: Callable[[str], None] | None = None) -> Iterator:  # fmt: skip
    """A `distributed.Client`: on a new LocalCluster, or on the running scheduler at `scheduler`.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running Dask scheduler, ``tcp://HOST:PORT`` (what ``dask scheduler``
        prints; a cluster of `dask-jobqueue` or `dask-kubernetes` has it as
        ``cluster.scheduler_address``), or the JSON file ``dask scheduler --scheduler-file FILE``
        writes (on a shared file system). Default: a LocalCluster on this machine.
    workers : int, optional
        LocalCluster: its number of worker processes (default: the cores of this machine,
        `default_workers`). With `scheduler`: wait until this many workers have joined.
    timeout : float, optional
        Seconds to wait for the scheduler to answer (default `SCHEDULER_TIMEOUT`, 10).
    say : callable, optional
        Called with a line of text while waiting for workers (default: print to stderr).

    Yields
    ------
    distributed.Client
        Closed (and the LocalCluster shut down) on leaving the block, however it is left.

    Raises
    ------
    ParameterError
        A malformed address, or no scheduler answering at it within `timeout` seconds (the
        message says how to start one); `workers` < 1.

    Notes
    -----
    The LocalCluster has one thread per worker process and sets ``OMP_NUM_THREADS``,
    ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` to 1 before each worker starts (Dask's
    nanny ``pre-spawn-environ``): the workers are the parallelism, a BLAS library that also
    used every core would oversubscribe them. Workers started by hand (``dask worker``) get the
    same from their nanny; tasks also limit BLAS threads to 1 while they run (threadpoolctl).

    Examples
    --------
    >>> from analysis.runner.distributed import dask_client
    >>> with dask_client(workers=2) as client:  # doctest: +SKIP
    ...     client.submit(sum, [1, 2]).result()
    3
    """
    import dask
    from distributed import Client, LocalCluster

    say = say or _stderr
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ParameterError(f"--workers must be a whole number >= 1, but {workers!r} was passed.")
    timeout = SCHEDULER_TIMEOUT if timeout is None else timeout
    if scheduler:
        address = str(scheduler).strip()
        try:
            if Path(address).expanduser().is_file():  # a scheduler file (`dask scheduler --scheduler-file F`)
                client = Client(scheduler_file=str(Path(address).expanduser()), timeout=timeout, set_as_default=False)
                address = client.scheduler.address
            else:
                client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ParameterError(
                f"Cannot reach a Dask scheduler at {address} within {timeout:g} s ({_reason(exc)}). Start one with "
                "`dask scheduler` (it prints its address, e.g. tcp://10.0.0.5:8786) and workers with `dask worker "
                "tcp://HOST:PORT`, then pass that address; check the host, the port and the firewall. Leave out "
                "--scheduler to run on this machine."
            ) from None  # fmt: skip
        try:
            _wait_for_workers(client, address, workers or 1, say)
            yield client
        finally:
            client.close()
        return
    environ = {f"distributed.nanny.pre-spawn-environ.{name}": 1 for name in BLAS_THREADS}
    # Dask's default MALLOC_TRIM_THRESHOLD_=65536 turns off glibc's adaptive mmap threshold: every
    # column-sized numpy array is then mmapped and freed (1.6-1.8x the CPU of a grid of fits); None unsets it
    environ["distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"] = None
    with dask.config.set({**environ, **LOCAL_CONFIG}):
        # dashboard on any free port: a fixed 8787 warns whenever another cluster runs on the machine
        cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)  # fmt: skip
    try:
        client = Client(cluster, set_as_default=False)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _wait_for_workers(client, address: str, n: int, say: Callable[[str], None]) -> None:
    """Block until `n` workers have joined the scheduler; say so once if they have not yet."""
    have = len(client.scheduler_info().get("workers", {}))
    if have >= n:
        return
    say(f"Waiting for {n - have} more Dask worker(s) to join the scheduler at {address} (start them with "
        f"`dask worker {address}`, or submit the jobs of your cluster); Ctrl-C stops.")  # fmt: skip
    client.wait_for_workers(n)


def _n_workers(client) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


# ---------------------------------------------------------------------------------------------
# What runs in the workers
# ---------------------------------------------------------------------------------------------
_CACHE: dict[str, object] = {}  # per worker process: file key -> loaded object (the last few only)
_CACHE_SIZE = 4
_CACHE_LOCK = threading.RLock()  # a worker of several threads runs several tasks at once


def _remember(key: str, make: Callable[[], object]):
    """``_CACHE[key]``, made by `make` (under the lock: once per process) when absent; the oldest
    entries are dropped beyond `_CACHE_SIZE`."""
    with _CACHE_LOCK:
        if key not in _CACHE:
            value = make()
            while len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = value
        return _CACHE[key]


def _cached(path: str, key: str):
    """The pickled object of `path` (written by the client under `key`), read once per process."""

    def read():
        import pandas as pd

        try:
            return pd.read_pickle(path)
        except FileNotFoundError:
            import socket

            raise DataError(f"The Dask worker on {socket.gethostname()} cannot read {path}: the output folder must be "
                            "on a file system the workers share with the machine that runs connlab (on a cluster, "
                            "a home or scratch folder; pass such an --out).") from None  # fmt: skip

    return _remember(key, read)


@contextmanager
def _one_blas_thread():
    """BLAS limited to one thread while a task runs, unless the process's environment already says so
    (a BLAS library reads it when it loads; Dask's nanny and the LocalCluster set it): threadpoolctl
    takes about 1 ms a call, as long as the fits of a small chunk."""
    if all(os.environ.get(name) == "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")):
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # installed with scikit-learn; without it the nanny's environment is what we have
        yield
        return
    with threadpool_limits(limits=1):
        yield


def _columns(data_path: str, data_hash: str):
    """The column cache (arrays, NaN and row masks) of the prepared data set, kept by the worker
    process for every chunk it fits on that data set (built once, not once per chunk)."""
    from analysis.claims.multiverse_fit import _Columns

    return _remember(f"columns:{data_hash}", lambda: _Columns(_cached(data_path, f"data:{data_hash}")))


def _fit_chunk(data_path: str, data_hash: str, chunks_path: str, chunks_hash: str, index: int, ci: float,
               folder: str, version: str) -> int:  # fmt: skip
    """Worker task: fit chunk `index` of the run's specifications (the chunks file the client wrote, read
    by its hash once per worker process, as the data set is) and store their results in one chunk file
    of `folder` (`_write_chunk`); returns how many. The task carries names and numbers only, and the
    worker writes the results in the run folder it already shares with the client: no specification
    or result travels through the scheduler (their pickling, a few ms of the client's CPU per chunk, is
    taken from the cores the workers need), and the client reads the result files once, at the end."""
    from analysis.claims.multiverse_fit import fit_cached

    cache = _columns(data_path, data_hash)
    rows = _cached(chunks_path, f"chunks:{chunks_hash}")[index]
    with _one_blas_thread():
        values = fit_cached(cache, rows, ci=ci)
    _write_chunk(Path(folder), values, data_hash, version)
    return len(values)


def _results_text(values: list[dict]) -> str:
    """A JSON array of results, one line each: what `_plain` makes of each, every bit of a float kept.
    The C encoder writes floats (numpy's float64 is one) itself and calls `_plain` only for what it
    cannot write (numpy integers and booleans, missing values): a third of the time of `_plain` first."""
    return "[\n" + ",\n".join(json.dumps(v, default=_plain) for v in values) + "\n]"  # no indent: the C encoder


def _null_chunk(data_path: str, data_hash: str, observed_path: str, observed_hash: str, resamples: list[int],
                seed: int, ci: float) -> list[dict]:  # fmt: skip
    """Worker task: the null curves of resample indices `resamples` (rows and observed results read
    from the file the client wrote under `observed_hash`)."""
    from analysis.claims.multiverse import null_curves

    frame = _cached(data_path, f"data:{data_hash}")
    rows, observed = _cached(observed_path, f"observed:{observed_hash}")
    with _one_blas_thread():
        return null_curves(frame, rows, observed, resamples=resamples, seed=seed, ci=ci)


# ---------------------------------------------------------------------------------------------
# Files of a run
# ---------------------------------------------------------------------------------------------
def _plain(value):
    """JSON-ready copy of `value` (numpy scalars as Python numbers; floats keep every bit)."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _write_text(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it: never half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_json(path: Path, doc) -> None:
    """`doc` as JSON (key order kept: column order), written whole or not at all (`_write_text`)."""
    _write_text(path, json.dumps(doc, indent=1) + "\n")


def _chunk_name(spec_ids: Sequence[str]) -> str:
    """File name of a chunk's results: 16 hex of the SHA-256 of its spec_ids (the same chunk, the same name)."""
    return hashlib.sha256("\n".join(spec_ids).encode()).hexdigest()[:16] + ".json"


def _write_chunk(folder: Path, values: list[dict], data_hash: str, version: str) -> None:
    """One file for a chunk's results, named after their spec_ids (`_chunk_name`), the results one line
    each (`_results_text`)."""
    head = json.dumps({"version": version, "data_hash": data_hash, "n": len(values)})
    text = _results_text(values)
    _write_text(folder / _chunk_name([str(v["spec_id"]) for v in values]), f'{head[:-1]}, "results": {text}}}\n')


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_pickle(path: Path, value) -> None:
    """Pickle `value` to `path` (atomically), unless the file is already there (same name = same content)."""
    import pickle

    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _clean_tmp(folder: Path) -> None:
    """Remove the temporary files a killed run left in `folder`."""
    for tmp in folder.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def _version() -> str:
    """The package version results are stored with: a result of another version is fitted again."""
    from analysis import __version__

    return __version__


def _stored_results(folder: Path, spec_ids: Sequence[str], data_hash: str) -> dict[str, dict]:
    """The results stored in `folder` for these specifications, by this package version: in the chunk
    files (``{"results": [...]}``, one per chunk) and in files of one result (``<spec_id>.json``,
    ``{"result": {...}}``, as earlier runs wrote them). A spec_id hashes the values of the columns its
    specification reads, so a result is reused when those are unchanged even if the prepared data gained
    columns for new options (`data_hash`, of the whole frame, is not needed)."""
    wanted, found, version = set(spec_ids), {}, _version()
    for path in sorted(folder.glob("*.json")):
        doc = _read_json(path)
        if not isinstance(doc, dict) or doc.get("version") != version:
            continue
        results = doc.get("results") if isinstance(doc.get("results"), list) else [doc.get("result")]
        for value in results:
            if isinstance(value, dict) and value.get("spec_id") in wanted:
                found.setdefault(value["spec_id"], value)
    return {spec_id: found[spec_id] for spec_id in spec_ids if spec_id in found}


def _stored_null(folder: Path, resamples: int) -> dict[int, dict]:
    out, version = {}, _version()
    for k in range(resamples):
        doc = _read_json(folder / f"{k}.json")
        if isinstance(doc, dict) and doc.get("version") == version and isinstance(doc.get("curve"), dict) \
                and doc["curve"].get("resample") == k:  # fmt: skip
            out[k] = doc["curve"]
    return out


def observed_hash(results: Sequence[dict]) -> str:
    """16-hex SHA-256 of the observed results (sorted by spec_id): the key of their null curves."""
    text = json.dumps(sorted(_plain(list(results)), key=lambda r: str(r.get("spec_id"))), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _null_folder(out: Path, obs_hash: str, seed: int) -> Path:
    return out / "null" / f"{obs_hash}-seed{seed}"


def _fit_seconds(definition) -> float:
    """Rough seconds one specification takes to fit (`FIT_SECONDS`, from its ``definition``): what the
    chunks are sized by."""
    if isinstance(definition, str):
        definition = json.loads(definition)
    family = definition.get("family", "ols")
    seconds = FIT_SECONDS.get(family, max(FIT_SECONDS.values()))
    if family == "mediation":
        seconds *= int((definition.get("params") or {}).get("n_boot") or 1000)
    return seconds + (WEIGHTED_FIT_SECONDS if definition.get("weights") else 0.0)


def _chunks(items: list, workers: int, given: int | None, seconds: Sequence[float]) -> list[list]:
    """`items` cut into contiguous chunks: `given` items each, or, by default, by *factoring* (Hummel,
    Schonberg & Flynn, 1992, Communications of the ACM 35(8)): batches of `workers` chunks of equal
    estimated `seconds`, each batch holding half the work left, so the chunks shrink towards the end
    of the run and the workers finish within one small chunk of each other; the last batch, when its
    chunks would hold less than `MIN_CHUNK_SECONDS`, holds the rest of the work in equal chunks of at
    least that. No chunk holds more than `MAX_CHUNK_SECONDS`. Dask runs the chunks of one `client.map`
    in the order given."""
    if given is not None:
        if isinstance(given, bool) or not isinstance(given, int) or given < 1:
            raise ParameterError(f"chunk_size must be a whole number >= 1, but {given!r} was passed.")
        return [items[i : i + given] for i in range(0, len(items), given)]
    left = math.fsum(seconds)
    chunks, current, work, target, in_batch = [], [], 0.0, 0.0, 0
    for item, cost in zip(items, seconds, strict=True):
        if not current:  # a new chunk: its size is set by the work left when it starts
            if in_batch == 0:
                target = left / (2 * workers)
                if target < MIN_CHUNK_SECONDS:  # the last batch: the rest, split evenly if chunks can be that small
                    target = max(MIN_CHUNK_SECONDS, left / workers)
                target = min(MAX_CHUNK_SECONDS, target)
                in_batch = workers
            in_batch -= 1
        current.append(item)
        work += cost
        if work >= target * (1 - 1e-9):  # 12 x 0.002 is not quite 0.024
            chunks.append(current)
            left -= work
            current, work = [], 0.0
    if current:
        chunks.append(current)
    return chunks


class _Progress:
    """A progress bar on stderr: one line redrawn on a terminal; otherwise a line every 10 %."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.stage, self.started, self.shown = None, time.monotonic(), -1

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.stage, self.started, self.shown = stage, time.monotonic(), -1
        share = done / total if total else 1.0
        step = int(share * 10)
        if not self.tty and step == self.shown and done < total:
            return
        self.shown = step
        bar = "#" * int(share * 30)
        line = f"{stage}: [{bar:<30}] {done}/{total} ({share:.0%}) {time.monotonic() - self.started:.1f} s"
        self.stream.write(("\r" + line + ("\n" if done >= total else "")) if self.tty else line + "\n")
        self.stream.flush()


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------
def _submit_and_store(client, func, before: tuple, chunks: list, after: tuple, store: Callable[..., int],
                      stage: str, done: int, total: int, progress, *, fetch: bool = True) -> None:  # fmt: skip
    """One task per chunk (a list of items, or its number in a file the tasks read),
    ``func(*before, chunk, *after)``; cancel the rest on any error. The tasks go in one message
    (`client.map`). With `fetch`, each chunk's results come back with the notice that it finished
    (``with_results``: no round trip per chunk from this thread) and ``store(results)`` keeps them;
    without, the tasks store their own results and ``store(chunk)`` counts them."""
    from distributed import as_completed

    n = len(chunks)
    futures = client.map(func, *[[a] * n for a in before], chunks, *[[a] * n for a in after], pure=False)
    chunk_of = {future.key: chunk for future, chunk in zip(futures, chunks, strict=True)}
    try:
        for item in as_completed(futures, with_results=fetch, loop=client.loop):
            if fetch:
                future, values = item
                done += store(values)
                future.release()  # the results, held by a worker until then
            else:  # a count stays on the worker until the end: all released in one message, not one each
                future = item
                if future.status != "finished":
                    future.result()  # raises the task's error
                done += store(chunk_of[future.key])
            progress(stage, done, total)
    except BaseException:
        client.cancel(futures)
        raise


def _checked_seed(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ParameterError(f"{name} must be a whole number >= 0, but {value!r} was passed.")
    return value


def run_multiverse_on_dask(spec_path, *, out_dir, scheduler: str | None = None, workers: int | None = None,
                           resamples: int | None = None, seed: int | None = None, chunk_size: int | None = None,
                           data_root=None, progress: Callable[[str, int, int], None] | None = None,
                           client=None):  # fmt: skip
    """Fit a multiverse on Dask, keeping each specification's result as it arrives (resumable).

    Parameters
    ----------
    spec_path : str, Path or dict
        A multiverse specification file (``studies/multiverse/*.yaml``; schema in
        ``docs/multiverse.md``) or its mapping (`read_multiverse`).
    out_dir : str or Path
        Folder of the run: ``data/`` (the prepared data set, by hash), ``specs/`` (one JSON
        file per specification), ``null/`` (one per null resample), ``multiverse.csv`` and
        ``multiverse.json``. A rerun into the same folder fits only what is missing. Dask
        workers must be able to read it (a shared file system on a cluster).
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a running Dask scheduler; default a LocalCluster (`dask_client`).
    workers : int, optional
        LocalCluster workers (default: one per core); with `scheduler`, wait for this many.
    resamples : int, optional
        Null resamples for the inference (default: the spec file's ``resamples``); 0 skips it.
    seed : int, optional
        Seed of the resamples (default: the spec file's ``seed``).
    chunk_size : int, optional
        Specifications (and resamples) per task. Default: chunks of about equal estimated work
        (`_fit_seconds`), a whole number per worker: up to 8, fewer when a chunk would hold less
        than 0.25 s of fitting (a task costs a few ms), more when it would hold over 10 s.
    data_root : str, Path or list, optional
        Folders the spec's data files may also be read from (as ``--data-root``).
    progress : callable, optional
        Called as ``progress(stage, done, total)`` after each chunk, stage ``"specifications"``
        or ``"null resamples"``; default: a progress bar on stderr. An exception it raises
        stops the run (what is stored stays; a rerun resumes).
    client : distributed.Client, optional
        Use this client (and its cluster) instead of opening one; `scheduler` and `workers`
        are then ignored.

    Returns
    -------
    MultiverseResult
        The same as `run_multiverse` in-process with the same seed and resamples: the
        specification table (failed and incompatible rows kept), summary, inference, decision
        importance.

    Raises
    ------
    ParameterError
        A bad spec file, seed, resamples or chunk size; an unreachable scheduler.
    DataError
        The data set cannot be read, or a worker cannot read the run's folder.
    KeyboardInterrupt
        Ctrl-C: the tasks are cancelled; every result stored so far stays, the rerun resumes.

    See Also
    --------
    run_multiverse : The same in this process, serially.
    read_multiverse_results : Read a run's folder back.

    Examples
    --------
    >>> from analysis.runner.distributed import run_multiverse_on_dask
    >>> result = run_multiverse_on_dask("studies/multiverse/demo_practices.yaml",
    ...                                 out_dir="reports/multiverse_demo", workers=2)  # doctest: +SKIP
    >>> result.summary  # doctest: +SKIP
    """
    from analysis.claims.multiverse import prepare_multiverse_data, read_multiverse

    progress = progress or _Progress()
    spec = read_multiverse(spec_path, data_root=data_root)
    resamples = spec.resamples if resamples is None else resamples
    seed = spec.seed if seed is None else seed
    resamples = _checked_seed(resamples, "resamples")
    seed = _checked_seed(seed, "seed")
    ci = spec.ci
    out = Path(out_dir).expanduser().resolve()
    stack = ExitStack()
    opened = [client]

    def connect():  # the cluster, opened when first needed (a finished run needs none)
        if opened[0] is None:
            opened[0] = stack.enter_context(dask_client(scheduler, workers=workers))
        return opened[0]

    with stack:
        if scheduler and client is None:  # an unreachable address fails before the data are prepared
            connect()
        table = spec.specifications()
        frame, data_hash = prepare_multiverse_data(spec)
        for folder in (out / "data", out / "specs"):
            folder.mkdir(parents=True, exist_ok=True)
            _clean_tmp(folder)
        data_file = out / "data" / f"{data_hash}.pkl"
        _write_pickle(data_file, frame)
        del frame
        version = _version()
        rows = [_plain(r) for r in table[table["status"] == "pending"].to_dict("records")]
        ids = [r["spec_id"] for r in rows]
        spec_dir = out / "specs"
        stored = _stored_results(spec_dir, ids, data_hash)
        todo = [{"spec_id": r["spec_id"], "definition": r["definition"]} for r in rows if r["spec_id"] not in stored]
        if todo:
            dask = connect()
            chunks = _chunks(todo, _n_workers(dask), chunk_size, [_fit_seconds(r["definition"]) for r in todo])
            chunks_hash = hashlib.sha256(json.dumps(chunks).encode()).hexdigest()[:16]
            chunks_file = out / "data" / f"chunks-{chunks_hash}.pkl"
            _write_pickle(chunks_file, chunks)
            progress("specifications", len(stored), len(rows))
            _submit_and_store(dask, _fit_chunk, (str(data_file), data_hash, str(chunks_file), chunks_hash),
                              list(range(len(chunks))), (ci, str(spec_dir), version), lambda i: len(chunks[i]),
                              "specifications", len(stored), len(rows), progress, fetch=False)  # fmt: skip
            stored.update(_stored_results(spec_dir, [r["spec_id"] for r in todo], data_hash))
            missing = [r["spec_id"] for r in todo if r["spec_id"] not in stored]
            if missing:
                raise DataError(f"The Dask workers fitted {len(todo)} specifications but the results of {len(missing)} "
                                f"are not in {spec_dir} (the first: {missing[0]}): the workers must write to the "
                                "output folder, on a file system they share with the machine that runs connlab. "
                                "Run again to fit the missing ones.")  # fmt: skip
        results = [stored[spec_id] for spec_id in ids]  # as read from the stored text
        null, null_dir = None, None
        if resamples:
            obs_hash = observed_hash(results)
            null_dir = _null_folder(out, obs_hash, seed)
            null_dir.mkdir(parents=True, exist_ok=True)
            _clean_tmp(null_dir)
            observed_file = null_dir / "observed.pkl"
            _write_pickle(observed_file, (rows, results))
            done_null = _stored_null(null_dir, resamples)
            left = [k for k in range(resamples) if k not in done_null]
            if left:
                def store_null(values: list[dict]) -> int:
                    for value in values:
                        value = _plain(value)
                        _write_json(null_dir / f"{value['resample']}.json", {"version": version, "curve": value})
                        done_null[value["resample"]] = value
                    return len(values)

                dask = connect()
                curve = sum(_fit_seconds(r["definition"]) for r in rows)  # a resample refits every specification
                chunks = _chunks(left, _n_workers(dask), chunk_size, [curve] * len(left))
                progress("null resamples", len(done_null), resamples)
                _submit_and_store(dask, _null_chunk, (str(data_file), data_hash, str(observed_file), obs_hash), chunks,
                                  (seed, ci), store_null, "null resamples", len(done_null), resamples,
                                  progress)  # fmt: skip
            null = [v for _, v in sorted(_stored_null(null_dir, resamples).items())]
    result = _result(spec, table, results, null, seed)
    result.specifications.to_csv(out / TABLE, index=False)
    manifest = {
        "spec": str(Path(spec.path).resolve()) if getattr(spec, "path", None) else None,
        "spec_mapping": _plain(spec.raw) if not getattr(spec, "path", None) else None,
        "title": getattr(spec, "title", None), "data_hash": data_hash, "seed": seed, "resamples": resamples,
        "ci": ci, "null": str(null_dir.relative_to(out)) if null_dir else None,
        "n_specifications": len(table), "n_pending": len(rows), "finished_at": utc_now(),
        "data_root": [str(p) for p in _roots(data_root)],
    }  # fmt: skip
    _write_json(out / MANIFEST, manifest)
    return result


def _result(spec, table, results, null, seed: int):
    """`multiverse_result` with the run's seed in its parameters (as `run_multiverse` does)."""
    from analysis.claims.multiverse import multiverse_result

    spec_seed = spec.seed
    spec.seed = int(seed)
    try:
        return multiverse_result(spec, table, results, null)
    finally:
        spec.seed = spec_seed


def _roots(data_root) -> list[Path]:
    if data_root is None:
        return []
    items = [data_root] if isinstance(data_root, str | Path) else list(data_root)
    return [Path(p).expanduser().resolve() for p in items]


def read_multiverse_results(out_dir, *, spec=None, data_root=None):
    """Read the folder of a `run_multiverse_on_dask` run (``connlab multiverse``) back.

    Parameters
    ----------
    out_dir : str or Path
        The run's folder (holding ``multiverse.json``).
    spec : str, Path or dict, optional
        The specification file; default the one the run recorded.
    data_root : str, Path or list, optional
        Folders the spec's data files may also be read from; default those the run used.

    Returns
    -------
    MultiverseResult
        Built from the stored results of every specification and null resample (the same
        numbers the run returned).

    Raises
    ------
    ParameterError
        No finished run in `out_dir`, or a specification or resample without a stored result
        (the run was interrupted: run it again to finish it).

    See Also
    --------
    run_multiverse_on_dask : Writes the folder.

    Examples
    --------
    >>> from analysis.runner.distributed import read_multiverse_results
    >>> result = read_multiverse_results("reports/multiverse_demo_practices")  # doctest: +SKIP
    >>> result.inference  # doctest: +SKIP
    """
    from analysis.claims.multiverse import prepare_multiverse_data, read_multiverse

    out = Path(out_dir).expanduser().resolve()
    manifest = _read_json(out / MANIFEST)
    if not isinstance(manifest, dict):
        raise ParameterError(f"{out} holds no finished multiverse run ({MANIFEST} is missing). Run `connlab "
                             f"multiverse --spec FILE --out {out}` first.")  # fmt: skip
    source = spec if spec is not None else manifest.get("spec") or manifest.get("spec_mapping")
    roots = data_root if data_root is not None else manifest.get("data_root") or None
    parsed = read_multiverse(source, data_root=roots)
    table = parsed.specifications()
    _, data_hash = prepare_multiverse_data(parsed)
    pending = table[table["status"] == "pending"]["spec_id"].tolist()
    stored = _stored_results(out / "specs", pending, data_hash)
    missing = [s for s in pending if s not in stored]
    if missing:
        raise ParameterError(f"{out}: {len(missing)} of {len(pending)} specifications have no stored result (first: "
                             f"{missing[0]}); the run was interrupted or ran another spec. Run `connlab multiverse` "
                             "again with the same --out to finish it.")  # fmt: skip
    results = [stored[s] for s in pending]
    null = None
    resamples, seed = manifest.get("resamples") or 0, manifest.get("seed")
    if resamples:
        folder = _null_folder(out, observed_hash(results), seed)
        found = _stored_null(folder, resamples)
        if len(found) < resamples:
            raise ParameterError(f"{out}: {resamples - len(found)} of {resamples} null resamples have no stored "
                                 "result. Run `connlab multiverse` again with the same --out to finish them.")
        null = [found[k] for k in range(resamples)]
    return _result(parsed, table, results, null, seed if seed is not None else parsed.seed)
