"""The Dask engine against a real cluster: a `dask scheduler` and two `dask worker` processes on
loopback. A small multiverse run through them equals the in-process `run_multiverse` exactly; a run
stopped after some specifications, or one whose worker is killed mid-run, completes (on rerun) with
no specification lost or fitted twice; a `--by` batch runs its groups on the workers; an unreachable
scheduler and a bad spec file are one-line errors. Every process started here is stopped at the end,
whatever the outcome (the fixtures' finalizers)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.exceptions import ParameterError
from analysis.runner import cli
from analysis.runner import distributed as dist

DASK = Path(sys.executable).parent / "dask"
START_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Stop a process we started and what it started (its own session): TERM, then KILL."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)


class Cluster:
    """A scheduler and its workers, each a process of its own session."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.logs = []

    def _start(self, name: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")  # closed in stop()
        self.logs.append(log)
        proc = subprocess.Popen(argv, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, **(env or {})})  # fmt: skip
        self.procs.append(proc)
        return proc

    def start_scheduler(self) -> None:
        self._start("scheduler", [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                  "--no-dashboard", "--no-show"])  # fmt: skip

    def start_worker(self, name: str, *, nanny: bool = True) -> subprocess.Popen:
        argv = [str(DASK), "worker", self.address, "--nthreads", "1", "--nworkers", "1", "--name", name,
                "--no-dashboard", "--local-directory", str(self.folder / "scratch"), "--death-timeout", "60"]
        env = {k: "1" for k in dist.BLAS_THREADS}  # as the nanny sets them; without a nanny we do
        return self._start(name, argv + ([] if nanny else ["--no-nanny"]), env)

    def wait_for(self, n_workers: int) -> None:
        from distributed import Client

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with Client(self.address, timeout=5, set_as_default=False) as client:
                    client.wait_for_workers(n_workers, timeout=max(1.0, deadline - time.monotonic()))
                    return
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    logs = "\n".join((self.folder / f).read_text(errors="replace")[-2000:]
                                     for f in os.listdir(self.folder) if f.endswith(".log"))  # fmt: skip
                    pytest.fail(f"the Dask cluster did not start within {START_TIMEOUT:g} s:\n{logs}")
                time.sleep(0.5)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            _stop(proc)
        for log in self.logs:
            log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """`dask scheduler` on a free loopback port and two `dask worker --nthreads 1` processes."""
    c = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        c.start_scheduler()
        c.start_worker("w1")
        c.start_worker("w2")
        c.wait_for(2)
        yield c
    finally:
        c.stop()


# ---------------------------------------------------------------------------------------------
# A multiverse through the cluster
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spec_file(tmp_path_factory, small_demo) -> Path:
    """16 combinations on the small demo survey, 4 declared incompatible: 12 to fit; 12 null resamples."""
    spec = {
        "title": "Practices and satisfaction (test)", "data": str(small_demo), "table": "survey",
        "effect": {"outcome": "csi_16_total", "predictor": "cpi_total", "label": "practices"},
        "decisions": {
            "exclusions": {"kind": "exclusions", "options": {"codebook": "codebook", "none": "none"}},
            "min_answered": {"kind": "min_answered", "options": [0.5, 1.0]},
            "covariates": {"kind": "covariates",
                           "options": {"none": [], "demographics": ["age", "relationship_years"]}},
            "model": {"kind": "model", "options": {"ols": {"family": "ols", "robust": "cluster"},
                                                   "apim": {"family": "apim", "effect": "actor"}}},
        },
        "incompatible": [{"rule": "the APIM of this test has no covariates", "when": {"model": "apim",
                                                                                     "covariates": "demographics"}}],
        "resamples": 12, "seed": 7,
    }  # fmt: skip
    path = tmp_path_factory.mktemp("spec") / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def in_process(spec_file):
    """The serial run in this process (one BLAS thread, as every worker: conftest's fixture)."""
    from analysis.claims.multiverse import run_multiverse

    return run_multiverse(spec_file)


def _equal(result, reference) -> None:
    for name in ("specifications", "summary", "inference", "decision_importance", "null"):
        pd.testing.assert_frame_equal(getattr(result, name), getattr(reference, name), check_exact=True)
    assert result.parameters == reference.parameters


def _stored(out: Path) -> tuple[list[str], list[str]]:
    """The spec_ids in the run's chunk files (each as often as stored) and the null resamples stored."""
    specs = sorted(r["spec_id"] for p in (out / "specs").glob("*.json")
                   for r in json.loads(p.read_text(encoding="utf-8"))["results"])  # fmt: skip
    null = sorted((p.stem for p in (out / "null").glob("*/*.json")), key=int)
    return specs, null


def _file_of(out: Path, spec_id: str) -> Path:
    return next(p for p in (out / "specs").glob("*.json")
                if spec_id in {r["spec_id"] for r in json.loads(p.read_text(encoding="utf-8"))["results"]})  # fmt: skip


def test_a_multiverse_on_the_cluster_equals_the_in_process_run(cluster, spec_file, in_process, tmp_path, capsys):
    table = in_process.specifications
    pending = sorted(table.loc[table["status"] != "incompatible", "spec_id"])
    assert len(table) == 16 and len(pending) == 12 and (table["status"] == "ok").sum() == 12
    calls = []
    out = tmp_path / "run"
    result = dist.run_multiverse_on_dask(spec_file, out_dir=out, scheduler=cluster.address, chunk_size=2,
                                         progress=lambda *a: calls.append(a))  # fmt: skip
    _equal(result, in_process)
    assert _stored(out) == (pending, [str(k) for k in range(12)])
    assert calls[0] == ("specifications", 0, 12) and calls[-1] == ("null resamples", 12, 12)
    assert len([c for c in calls if c[0] == "specifications"]) == 1 + 6  # one line per chunk of 2
    pd.testing.assert_frame_equal(pd.read_csv(out / "multiverse.csv")[["spec_id", "estimate"]],
                                  table[["spec_id", "estimate"]], check_exact=False, rtol=1e-15)  # fmt: skip
    _equal(dist.read_multiverse_results(out), in_process)
    # a rerun has nothing left to do: no task, no file written
    stamps = {p: p.stat().st_mtime_ns for p in (out / "specs").glob("*.json")}
    calls.clear()
    again = dist.run_multiverse_on_dask(spec_file, out_dir=out, progress=lambda *a: calls.append(a), client=_NoClient())
    _equal(again, in_process)
    assert calls == [] and stamps == {p: p.stat().st_mtime_ns for p in (out / "specs").glob("*.json")}
    # the command line, into another folder: same table
    code = cli.main(["multiverse", "--spec", str(spec_file), "--scheduler", cluster.address, "--no-report",
                     "--resamples", "0", "--out", str(tmp_path / "cli")])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0 and captured.out.strip() == str(tmp_path / "cli" / "multiverse.csv")
    assert "Across 16 specifications of practices" in captured.err
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "cli" / "multiverse.csv"), pd.read_csv(out / "multiverse.csv"))


class _NoClient:
    """A client that must not be used (a finished run submits nothing)."""

    def __getattr__(self, name):
        raise AssertionError(f"the finished run used the Dask client ({name})")


class _Stop(Exception):
    pass


def test_a_stopped_run_resumes_with_no_specification_lost_or_fitted_twice(cluster, spec_file, in_process, tmp_path):
    out = tmp_path / "run"

    def stop_after(stage: str, n: int):
        def progress(where, done, total):
            if where == stage and done >= n:
                raise _Stop
        return progress

    with pytest.raises(_Stop):
        dist.run_multiverse_on_dask(spec_file, out_dir=out, scheduler=cluster.address, chunk_size=1,
                                    progress=stop_after("specifications", 4))  # fmt: skip
    specs, null = _stored(out)
    assert 4 <= len(specs) < 12 and null == []
    assert not list(out.rglob(".*.tmp")) and not (out / "multiverse.json").exists()
    with pytest.raises(_Stop):  # resumes the specifications, stops in the null resamples
        dist.run_multiverse_on_dask(spec_file, out_dir=out, scheduler=cluster.address, chunk_size=1,
                                    progress=stop_after("null resamples", 5))  # fmt: skip
    specs2, null = _stored(out)
    assert set(specs) <= set(specs2) and len(specs2) == 12 and 5 <= len(null) < 12
    calls = []
    result = dist.run_multiverse_on_dask(spec_file, out_dir=out, scheduler=cluster.address, chunk_size=1,
                                         progress=lambda *a: calls.append(a))  # fmt: skip
    assert calls[0] == ("null resamples", len(null), 12) and all(c[0] == "null resamples" for c in calls)
    _equal(result, in_process)
    specs3, null3 = _stored(out)
    assert specs3 == specs2 and len(set(specs3)) == 12 and null3 == [str(k) for k in range(12)]
    with pytest.raises(ParameterError, match="no stored result"):  # a run folder of an unfinished run says so
        _file_of(out, specs3[0]).unlink()
        dist.read_multiverse_results(out)


def test_a_worker_killed_mid_run_loses_no_specification(cluster, spec_file, in_process, tmp_path):
    """A third worker (no nanny: the process itself) is killed once results arrive; Dask runs its
    chunk again on the others, and every specification is stored once."""
    extra = cluster.start_worker("doomed", nanny=False)
    cluster.wait_for(3)
    killed = []

    def progress(stage, done, total):
        if not killed and stage == "specifications" and done >= 2:
            os.killpg(extra.pid, signal.SIGKILL)
            extra.wait(10)
            killed.append(done)

    out = tmp_path / "run"
    result = dist.run_multiverse_on_dask(spec_file, out_dir=out, scheduler=cluster.address, chunk_size=1,
                                         progress=progress)  # fmt: skip
    assert killed and killed[0] < 12 and extra.returncode == -signal.SIGKILL
    _equal(result, in_process)
    specs, null = _stored(out)
    assert len(specs) == len(set(specs)) == 12 and len(null) == 12


def test_a_bad_spec_file_is_a_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\ndata: nowhere\neffect: {outcome: y, predictor: x}\ndecisions: {}\nbogus: 1\n",
                   encoding="utf-8")  # fmt: skip
    code = cli.main(["multiverse", "--spec", str(bad), "--no-report", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("connlab multiverse: error: ") and err.count("\n") == 1, err
    assert "bad.yaml" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------------
# Batch reports through the cluster
# ---------------------------------------------------------------------------------------------
def test_a_by_batch_runs_its_groups_on_the_workers(cluster, small_demo, tmp_path, capsys):
    from test_batch import rows_notebook

    notebooks = rows_notebook(tmp_path / "notebooks", fail_on="= man)")
    out = tmp_path / "reports"
    code = cli.main(["run", "--by", "gender", "--data", str(small_demo), "--notebooks", str(notebooks),
                     "--out", str(out), "--scheduler", cluster.address])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1  # one group failed on purpose
    assert captured.out.strip() == str((out / "index.html").resolve())
    raw = pd.read_csv(small_demo / "survey.csv", dtype=str)
    counts = raw["gender"].value_counts()
    assert len(counts) >= 2
    page = (out / "index.html").read_text(encoding="utf-8")
    for value, n in counts.items():
        folder = out / value
        assert (folder / "data" / "codebook.yaml").is_file() and (folder / "index.html").is_file()
        assert f'href="{value}/index.html"' in page
        if value == "man":
            assert not (folder / "01_rows" / "results.json").exists()
            continue
        doc = json.loads((folder / "01_rows" / "results.json").read_text(encoding="utf-8"))
        assert doc["title"].endswith(f"(gender = {value})")
        assert 0 < doc["rows"] <= n  # the analysed rows of the group (its exclusions applied)
    assert f"{len(counts) - 1} succeeded, 1 failed" in page and "deliberate failure of this group" in page
    assert f"1 of {len(counts)} group(s) failed: man" in captured.err


def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path, small_demo, monkeypatch, capsys):
    monkeypatch.setattr(dist, "SCHEDULER_TIMEOUT", 1.0)
    start = time.monotonic()
    code = cli.main(["run", "--by", "gender", "--data", str(small_demo), "--out", str(tmp_path / "out"),
                     "--scheduler", f"tcp://127.0.0.1:{_free_port()}"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and time.monotonic() - start < 30
    assert err.startswith("connlab run: error: Cannot reach a Dask scheduler at tcp://127.0.0.1:")
    assert err.count("\n") == 1 and "Traceback" not in err and "dask scheduler" in err


def test_a_worker_that_cannot_read_the_run_folder_says_it_must_be_shared(tmp_path):
    from analysis.exceptions import DataError

    with pytest.raises(DataError, match="file system the workers share"):
        dist._cached(str(tmp_path / "data" / "0123456789abcdef.pkl"), "data:0123456789abcdef")


def test_results_a_worker_could_not_store_are_named_and_the_run_stops(spec_file, tmp_path, monkeypatch):
    """The workers write their chunks' results into the run folder; if a chunk's file is not there when
    its task is done (a folder the workers cannot write to), the run stops with an error naming the
    folder and how many results are missing, not with a short table."""
    from distributed import Client, LocalCluster

    from analysis.exceptions import DataError

    monkeypatch.setattr(dist, "_write_chunk", lambda *a, **k: None)  # the workers are threads of this process
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as local, \
            Client(local, set_as_default=False) as client:  # fmt: skip
        with pytest.raises(DataError, match=r"the results of 12 are not in .*specs .*must write to the output folder"):
            dist.run_multiverse_on_dask(spec_file, out_dir=tmp_path / "run", client=client, resamples=0)


def test_chunks_shrink_by_factoring_so_the_workers_finish_together():
    """Batches of one chunk per worker, each batch half the estimated work left (factoring): big chunks
    first, small ones last, the last batch the rest in equal chunks; none over MAX_CHUNK_SECONDS nor under
    MIN_CHUNK_SECONDS (unless one item is); every
    item once, in order; chunk_size overrides."""
    items = list(range(1000))
    assert dist.MIN_CHUNK_SECONDS == 0.1

    def sizes(workers, seconds, given=None):
        chunks = dist._chunks(items, workers, given, [seconds] * len(items) if np.isscalar(seconds) else seconds)
        assert [i for c in chunks for i in c] == items
        return [len(c) for c in chunks]

    ols = dist._fit_seconds({"family": "ols", "weights": False})  # 2 s in all
    assert sizes(1, ols) == [500, 250, 125, 63, 62]  # 1 s, 0.5 s, ...; the rest when less would be under 0.1 s
    assert sizes(2, ols) == [250, 250, 125, 125, 63, 63, 62, 62]  # the last batch: the rest, split evenly
    assert sizes(2, 0.00001) == [1000]  # 0.01 s in all: one chunk of at least MIN_CHUNK_SECONDS
    assert sizes(1, 1.0) == [10] * 99 + [5, 3, 1, 1]  # 1,000 s: none over MAX_CHUNK_SECONDS (10 s)
    assert sizes(2, 0.05)[:6] == [200, 200, 150, 150, 75, 75]  # 50 s: 10 s (the cap), then 7.5 s = 30 s / 4, ...
    assert sizes(3, ols, given=300) == [300, 300, 300, 100]
    mixed = [dist._fit_seconds({"family": "mixed"})] * 100 + [ols] * 900  # slow fits first: fewer of them a chunk
    chunks = dist._chunks(items, 2, None, mixed)
    work = [sum(mixed[i] for i in c) for c in chunks]
    assert [len(c) for c in chunks][:6] == [28, 28, 14, 14, 7, 7]  # 21.8 s: 5.6 s (28 x 0.2), then half that
    left = sum(mixed)
    for first in range(0, len(work) - 2, 2):  # a batch of 2 equal chunks, each a quarter of the work left
        assert abs(work[first] - left / 4) <= 0.2 and abs(work[first + 1] - work[first]) <= 0.2
        left -= work[first] + work[first + 1]
    assert min(work) >= dist.MIN_CHUNK_SECONDS - 1e-9 and [len(c) for c in chunks][-2:] == [68, 68]
    assert dist._fit_seconds({"family": "mediation", "params": {"n_boot": 500}}) == 500 * 0.0001
    assert dist._fit_seconds(json.dumps({"family": "ols", "weights": True})) == 0.002 + dist.WEIGHTED_FIT_SECONDS
    with pytest.raises(ParameterError, match="chunk_size must be a whole number >= 1"):
        sizes(2, ols, given=0)


def test_stored_results_are_read_from_chunk_files_and_files_of_one_result(tmp_path):
    """One file per chunk (this version) and one file per specification (runs before it) are both read; a
    result of another package version, a half-written file and a temporary file are not."""
    version = dist._version()
    result = {"spec_id": "a", "estimate": 0.5, "se": float("nan"), "n": 10, "status": "ok"}
    dist._write_chunk(tmp_path, [result, {**result, "spec_id": np.str_("b"), "n": np.int64(10)}], "h", version)
    dist._write_json(tmp_path / "c.json", {"spec_id": "c", "version": version, "result": {**result, "spec_id": "c"}})
    dist._write_chunk(tmp_path, [{**result, "spec_id": "d"}], "h", "0.0.0")  # another version
    (tmp_path / "e.json").write_text('{"version": "' + version + '", "results": [{"spec_id": "e"', encoding="utf-8")
    (tmp_path / ".f.json.123.tmp").write_text("{}", encoding="utf-8")
    assert sorted(p.name for p in tmp_path.glob("*.json")) == sorted(
        [dist._chunk_name(["a", "b"]), dist._chunk_name(["d"]), "c.json", "e.json"])  # fmt: skip
    stored = dist._stored_results(tmp_path, ["a", "b", "c", "d", "e", "z"], "h")
    assert list(stored) == ["a", "b", "c"] and stored["c"]["spec_id"] == "c"
    assert stored["a"]["estimate"] == 0.5 and np.isnan(stored["a"]["se"]) and stored["b"]["n"] == 10
    assert stored["b"] == {**result, "spec_id": "b", "se": stored["b"]["se"]} and np.isnan(stored["b"]["se"])
    assert dist._chunk_name(["a", "b"]) != dist._chunk_name(["b", "a"]) and len(dist._chunk_name(["a"])) == 21


def test_the_local_cluster_runs_its_workers_lean():
    """LocalCluster workers: one BLAS thread, no MALLOC_TRIM_THRESHOLD_ (glibc's adaptive mmap threshold
    kept), no statistical profiler; the slower event-loop tick, system monitor and memory monitor
    (`LOCAL_CONFIG`)."""

    def probe():
        import dask

        return {"blas": os.environ.get("OPENBLAS_NUM_THREADS"), "trim": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
                "profile": dask.config.get("distributed.worker.profile.enabled"),
                "tick": dask.config.get("distributed.admin.tick.interval"),
                "memory": dask.config.get("distributed.worker.memory.monitor-interval")}  # fmt: skip

    with dist.dask_client(workers=1) as client:
        (seen,) = client.run(probe).values()
    assert seen == {"blas": "1", "trim": None, "profile": False, "tick": "200ms", "memory": "1s"}


def test_a_new_option_keeps_the_stored_results_of_the_others(spec_file, in_process, tmp_path):
    """A new covariate set brings a new column into the prepared data; the specifications that do not
    read it keep their ids, and their stored results are used (only the new ones are fitted)."""
    out = tmp_path / "run"
    first = dist.run_multiverse_on_dask(spec_file, out_dir=out, workers=1, resamples=0)
    spec = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    spec["decisions"]["covariates"]["options"]["children"] = ["children"]
    grown = tmp_path / "grown.yaml"
    grown.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    calls = []
    again = dist.run_multiverse_on_dask(grown, out_dir=out, workers=1, resamples=0,
                                        progress=lambda *a: calls.append(a))  # fmt: skip
    old = first.specifications.set_index("spec_id")
    new = again.specifications.set_index("spec_id")
    kept = old.index[old["status"] == "ok"]
    assert len(kept) == 12 and set(kept) <= set(new.index)
    pd.testing.assert_series_equal(new.loc[kept, "estimate"], old.loc[kept, "estimate"], check_exact=True)
    fitted = (new["status"] != "incompatible").sum()
    assert calls[0] == ("specifications", 12, fitted) and fitted > 12
