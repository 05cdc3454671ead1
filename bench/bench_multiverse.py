"""A multiverse of 1,000 OLS specifications on the ECR file (51,491 rows), issue 18.

The grid is ``bench/multiverse_ecr_1000.yaml``: attachment avoidance on anxiety under 5 scoring
rules (minimum share of items answered) x 4 exclusion rules x 5 age groups x 5 countries x 2
covariate sets (none; age and gender), every specification plain OLS. Measured in one run:

1. **Dask, 1 and 2 workers.** `analysis.runner.distributed.run_multiverse_on_dask` on a
   LocalCluster of 1 and of 2 worker processes (`dask_client`, one thread and one BLAS thread
   each), resamples 0. Both clusters are started first (their start-up is timed and reported
   apart), each runs the grid once cold (the workers import the package and read the prepared
   data file), then the warm runs alternate between the two clusters. The *fitting phase* is the
   time from the submission of the first chunk to the end of the last (the run's progress
   callback); each chunk's results are in its file by then (the worker writes it); the end-to-end
   time (reading the specification, preparing the data, reading the results back, the result
   table) is reported beside it. As a diagnosis,
   the same chunks are also run as bare Dask tasks (`fit_specifications` on a scattered frame,
   no files). Goal: 2 workers >= 1.8 x the specifications per second of 1 worker. Wall times on
   a shared machine are noise (other processes take the cores); the CPU seconds of the workers
   and of this process in the fitting phase give a projection for 2 idle cores beside it.
2. **Per-specification overhead.** `fit_specifications` in this process on a sample of the grid
   (every 7th specification, 143), time per specification, against one bare `analysis.ols` call
   per specification with the same formula on the same rows (the rows selected beforehand, not
   timed), interleaved rounds. Goal: ours <= 1.2 x a bare `ols` call. The worst case, one
   specification fitted alone (the column cache built for it), is printed beside it.
3. **Peer: the Python `specification_curve` package** (``SpecificationCurve(...).fit()``,
   statsmodels OLS). It has no scoring, exclusion or subset decisions and fits every
   combination of its controls, so the equivalent grid is one ``SpecificationCurve`` call per
   specification: that specification's outcome, predictor and covariates (``always_include``)
   on its complete rows (selected beforehand and not timed: statsmodels does not drop missing
   values). The same 1,000 models; estimates and SEs are compared. Ours is the whole
   `fit_specifications` call on the grid in this process (row selection included). Goal: ours
   <= 0.2 x its time. When the package is absent or fails, the line says "peer unavailable" and
   why.

In-process contenders run with one BLAS thread (threadpoolctl), as the Dask workers do. Smoke
mode: the first 2 options of every decision (32 specifications), once.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from contextlib import ExitStack

import numpy as np
import pandas as pd
import yaml
from _timing import BENCH_DIR, SHARED_DATA, SMOKE, goal, repeats, shared_data, size, write_results
from threadpoolctl import threadpool_limits

from analysis import ols
from analysis.claims.multiverse import fit_specifications, prepare_multiverse_data, read_multiverse
from analysis.runner.distributed import _chunks, _fit_seconds, dask_client, run_multiverse_on_dask

SPEC_FILE = BENCH_DIR / "multiverse_ecr_1000.yaml"
DATA = "openpsychometrics_ecr/data.csv"
REPEATS = repeats(3)
#: warm Dask runs per cluster: a run takes about a second, and the medians of its CPU seconds need more
#: than 3 on a shared machine (each worker's column cache also fills over the first runs)
DASK_REPEATS = repeats(7)
OPTIONS = size(None, 2)  # smoke: the first 2 options of each decision
STRIDE = size(7, 3)  # the overhead sample: every STRIDE-th specification (coprime with the 2 covariate sets)
WORKERS = (1, 2)
# the scheduler's HTTP server falls back to a free port when 8787 is taken (another cluster on the machine)
warnings.filterwarnings("ignore", message=r"Port \d+ is already in use", category=UserWarning)


# ---------------------------------------------------------------------------------------------
# The grid
# ---------------------------------------------------------------------------------------------
def spec_source():
    """What the runs read: the bench file (full) or its first options as a mapping (smoke)."""
    read_multiverse(SPEC_FILE, data_root=SHARED_DATA)  # the file itself must stay valid
    if OPTIONS is None:
        return SPEC_FILE
    raw = yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))
    raw["data"] = str(SHARED_DATA / DATA)
    raw["codebook"] = str((SPEC_FILE.parent / raw["codebook"]).resolve())
    for decision in raw["decisions"].values():
        options = decision["options"]
        decision["options"] = options[:OPTIONS] if isinstance(options, list) else dict(list(options.items())[:OPTIONS])
    return raw


def definition(row: dict) -> dict:
    d = row["definition"]
    return json.loads(d) if isinstance(d, str) else dict(d)


def model_rows(frame: pd.DataFrame, d: dict) -> tuple[str, pd.DataFrame]:
    """A specification's formula and its rows and columns (exclusion and subset masks applied)."""
    mask = np.ones(len(frame), dtype=bool)
    for col in d["keep"]:
        mask &= frame[col].to_numpy(bool)
    cols = [d["y"], d["x"], *d["covariates"]]
    return f"{d['y']} ~ " + " + ".join(cols[1:]), frame.loc[mask, cols]


# ---------------------------------------------------------------------------------------------
# 1. Dask
# ---------------------------------------------------------------------------------------------
def run_once(client, source) -> dict:
    """One run of the grid on `client` into a fresh folder: fitting phase and end-to-end seconds, and
    the CPU seconds of the worker processes and of this process (client, scheduler and nannies of the
    LocalCluster) in the fitting phase. The workers' CPU is read with `client.run` before the phase
    starts and after it ends (its messages are left out of this process's CPU and of the phase)."""
    marks, cpu, workers_cpu = [], [], []

    def progress(stage, done, total):
        if stage == "specifications":
            if not marks:
                workers_cpu.append(client.run(time.process_time))
            marks.append(time.perf_counter())
            cpu.append(time.process_time())
            if done >= total:
                workers_cpu.append(client.run(time.process_time))

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = run_multiverse_on_dask(source, out_dir=tmp, client=client, resamples=0, data_root=SHARED_DATA,
                                        progress=progress)  # fmt: skip
        total = time.perf_counter() - start
    before, after = workers_cpu[0], workers_cpu[-1]
    table = result.specifications
    return {"fit_s": marks[-1] - marks[0], "total_s": total, "n_ok": int((table["status"] == "ok").sum()),
            "worker_cpu_s": sum(after[a] - before[a] for a in after),
            "client_cpu_s": cpu[-1] - cpu[0], "estimates": table.set_index("spec_id")["estimate"]}  # fmt: skip


def bare_dask_once(client, frame_future, rows: list[dict], workers: int) -> float:
    """The same chunks as `run_multiverse_on_dask` (about equal estimated work, a whole number per
    worker) as bare tasks of `fit_specifications` on a scattered frame: no files, no progress."""
    chunks = _chunks(rows, workers, None, [_fit_seconds(r["definition"]) for r in rows])
    start = time.perf_counter()
    futures = [client.submit(fit_specifications, frame_future, chunk, pure=False) for chunk in chunks]
    client.gather(futures)
    return time.perf_counter() - start


def dask_part(source, frame: pd.DataFrame, rows: list[dict], serial: pd.Series) -> dict:
    n = len(rows)
    out: dict = {}
    with ExitStack() as stack:
        clients, startup = {}, {}
        for w in WORKERS:
            start = time.perf_counter()
            clients[w] = stack.enter_context(dask_client(workers=w))
            startup[w] = time.perf_counter() - start
        cold = {w: run_once(clients[w], source) for w in WORKERS}  # imports, data file read in each worker
        runs: dict = {w: [] for w in WORKERS}
        bare: dict = {w: [] for w in WORKERS}
        scattered = {w: clients[w].scatter(frame, broadcast=True) for w in WORKERS}
        for _ in range(DASK_REPEATS):  # alternate the clusters: the machine's load drifts
            for w in WORKERS:
                runs[w].append(run_once(clients[w], source))
                bare[w].append(bare_dask_once(clients[w], scattered[w], rows, w))
    for w in WORKERS:
        fit = statistics.median(r["fit_s"] for r in runs[w])
        diff = max(float(np.nanmax(np.abs(r["estimates"].loc[serial.index].to_numpy() - serial.to_numpy())))
                   for r in [cold[w], *runs[w]])  # fmt: skip
        out[w] = {"startup_s": startup[w], "cold_fit_s": cold[w]["fit_s"], "fit_s": fit, "specs_per_s": n / fit,
                  "total_s": statistics.median(r["total_s"] for r in runs[w]),
                  "bare_dask_s": statistics.median(bare[w]), "bare_specs_per_s": n / statistics.median(bare[w]),
                  "worker_cpu_s": statistics.median(r["worker_cpu_s"] for r in runs[w]),
                  "client_cpu_s": statistics.median(r["client_cpu_s"] for r in runs[w]),
                  "n_ok": min(r["n_ok"] for r in [cold[w], *runs[w]]), "max_abs_diff_in_process": diff}  # fmt: skip
    return out


# ---------------------------------------------------------------------------------------------
# 2. Per-specification overhead against a bare `ols` call
# ---------------------------------------------------------------------------------------------
def overhead_part(frame: pd.DataFrame, rows: list[dict]) -> dict:
    sample = rows[::STRIDE]
    ours, bare, diffs = [], [], []
    with threadpool_limits(limits=1):
        for _ in range(REPEATS):  # interleaved rounds: ours on the sample, then ols on the same sample
            start = time.perf_counter()
            results = fit_specifications(frame, sample)
            ours.append((time.perf_counter() - start) / len(sample))
            total = 0.0
            for row, res in zip(sample, results, strict=True):
                d = definition(row)
                formula, data = model_rows(frame, d)
                start = time.perf_counter()
                fit = ols(data, formula)
                total += time.perf_counter() - start
                b = fit.coefficients.set_index("term").at[d["x"], "estimate"]
                diffs.append(abs(b - res["estimate"]))
            bare.append(total / len(sample))
        # the worst case: one specification alone (the column cache built for it), the largest one
        first = sample[0]
        formula, data = model_rows(frame, definition(first))
        one_ours = statistics.median(_timed(lambda: fit_specifications(frame, [first])) for _ in range(max(REPEATS, 5)))
        one_ols = statistics.median(_timed(lambda: ols(data, formula)) for _ in range(max(REPEATS, 5)))
    t_ours, t_bare = statistics.median(ours), statistics.median(bare)
    return {"n_sample": len(sample), "ours_per_spec_s": t_ours, "ols_per_call_s": t_bare, "ratio": t_ours / t_bare,
            "max_abs_diff_estimate": float(max(diffs)), "one_spec_ours_s": one_ours, "one_spec_ols_s": one_ols,
            "one_spec_ratio": one_ours / one_ols, "one_spec_rows": len(data)}  # fmt: skip


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------------
# 3. The specification_curve package
# ---------------------------------------------------------------------------------------------
def peer_part(frame: pd.DataFrame, rows: list[dict], serial_results: list[dict]) -> dict:
    """specification_curve on the same models: seconds, or {"unavailable": reason}."""
    try:
        import specification_curve
        from specification_curve import SpecificationCurve
    except Exception as err:
        return {"unavailable": f"cannot import specification_curve ({type(err).__name__}: {err})"}
    version = getattr(specification_curve, "__version__", "unknown")
    total, b_diff, se_diff = 0.0, 0.0, 0.0
    try:
        with threadpool_limits(limits=1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for row, ours in zip(rows, serial_results, strict=True):
                d = definition(row)
                _, data = model_rows(frame, d)
                data = data.dropna()
                start = time.perf_counter()
                sc = SpecificationCurve(data, y_endog=d["y"], x_exog=d["x"], controls=[],
                                        always_include=list(d["covariates"]))  # fmt: skip
                sc.fit()
                total += time.perf_counter() - start
                b, se = float(sc.df_r["Coefficient"].iloc[0]), float(sc.df_r["bse"].iloc[0])
                b_diff = max(b_diff, abs(b - ours["estimate"]))
                se_diff = max(se_diff, abs(se - ours["se"]) / ours["se"])
    except Exception as err:
        return {"unavailable": f"specification_curve {version} failed: {type(err).__name__}: {str(err)[:200]}",
                "version": version}  # fmt: skip
    return {"version": version, "peer_s": total, "max_abs_diff_estimate": b_diff, "max_rel_diff_se": se_diff}


# ---------------------------------------------------------------------------------------------
def main() -> int:
    if shared_data(DATA) is None:
        write_results("bench_multiverse", {"skipped": f"{DATA} absent"})
        return 0
    load_before = os.getloadavg()[0]
    source = spec_source()
    start = time.perf_counter()
    spec = read_multiverse(source, data_root=SHARED_DATA)
    frame, _ = prepare_multiverse_data(spec)
    rows = spec.specifications().to_dict("records")
    t_prepare = time.perf_counter() - start
    n = len(rows)
    print(f"Multiverse on the ECR file: {n:,} OLS specifications, {len(frame):,} rows; prepared in {t_prepare:.2f} s; "
          f"median of {REPEATS}{' (smoke)' if SMOKE else ''}")  # fmt: skip
    out: dict = {"n_specifications": n, "n_rows": len(frame), "prepare_s": t_prepare, "repeats": REPEATS,
                 "dask_repeats": DASK_REPEATS}  # fmt: skip

    # the grid in this process, serially (the reference for the peer and the Dask results)
    with threadpool_limits(limits=1):
        times, cpus, serial_results = [], [], None
        for _ in range(REPEATS):
            start, cpu = time.perf_counter(), time.process_time()
            serial_results = fit_specifications(frame, rows)
            times.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
    t_serial, cpu_serial = statistics.median(times), statistics.median(cpus)
    serial = pd.Series({r["spec_id"]: r["estimate"] for r in serial_results})
    n_ok = sum(r["status"] == "ok" for r in serial_results)
    print(f"\nIn this process (fit_specifications, no Dask): {t_serial:.3f} s, {n / t_serial:,.0f} specs/s, "
          f"{1000 * t_serial / n:.2f} ms per spec; {n_ok} of {n} fitted")  # fmt: skip
    out |= {"in_process_s": t_serial, "in_process_cpu_s": cpu_serial, "in_process_specs_per_s": n / t_serial,
            "n_ok": n_ok}  # fmt: skip

    # 2. per-spec overhead
    o = overhead_part(frame, rows)
    print(f"\nPer-specification time against a bare `ols` call, same formula and rows ({o['n_sample']} specs, 1 in "
          f"{STRIDE}):")  # fmt: skip
    print(f"  fit_specifications per spec {1000 * o['ours_per_spec_s']:8.2f} ms")
    print(f"  bare ols per call           {1000 * o['ols_per_call_s']:8.2f} ms   ratio {o['ratio']:.4f}   "
          f"max |b diff| {o['max_abs_diff_estimate']:.1e}")  # fmt: skip
    print(f"  one spec alone ({o['one_spec_rows']:,} rows): ours {1000 * o['one_spec_ours_s']:.2f} ms, ols "
          f"{1000 * o['one_spec_ols_s']:.2f} ms, ratio {o['one_spec_ratio']:.4f}")  # fmt: skip
    print(f"goal per-spec time <= 1.2 x a bare ols call: {goal(o['ratio'] <= 1.2)} (ratio {o['ratio']:.4f})")
    out["overhead"] = o

    # 3. the specification_curve package
    p = peer_part(frame, rows, serial_results)
    print("\nAgainst specification_curve (one SpecificationCurve per specification, its rows selected beforehand):")
    if "unavailable" in p:
        print(f"  peer unavailable: {p['unavailable']}")
        print("goal ours <= 0.2 x specification_curve: not measured (peer unavailable)")
    else:
        ratio = t_serial / p["peer_s"]
        p["ratio"] = ratio
        print(f"  specification_curve {p['version']:<8} {p['peer_s']:8.3f} s  ({1000 * p['peer_s'] / n:.2f} ms "
              f"per spec)   max |b diff| {p['max_abs_diff_estimate']:.1e}   max rel |SE diff| "
              f"{p['max_rel_diff_se']:.1e}")  # fmt: skip
        print(f"  ours (fit_specifications) {t_serial:8.3f} s   ratio {ratio:.4f}")
        print(f"goal ours <= 0.2 x specification_curve: {goal(ratio <= 0.2)} (ratio {ratio:.4f})")
    out["specification_curve"] = p

    # 1. Dask, 1 and 2 workers
    d = dask_part(source, frame, rows, serial)
    print(f"\nDask LocalCluster (run_multiverse_on_dask, resamples 0; medians of {DASK_REPEATS} warm runs); fitting "
          "phase = first chunk submitted to last chunk done (its results stored):")  # fmt: skip
    print(f"  {'workers':>7}  {'start-up s':>10}  {'cold fit s':>10}  {'fit s':>7}  {'specs/s':>8}  "
          f"{'end-to-end s':>12}  {'bare Dask s':>11}  {'bare specs/s':>12}")  # fmt: skip
    for w in WORKERS:
        r = d[w]
        print(f"  {w:>7}  {r['startup_s']:10.2f}  {r['cold_fit_s']:10.2f}  {r['fit_s']:7.3f}  {r['specs_per_s']:8.0f}  "
              f"{r['total_s']:12.2f}  {r['bare_dask_s']:11.3f}  {r['bare_specs_per_s']:12.0f}")  # fmt: skip
    worst = max(d[w]["max_abs_diff_in_process"] for w in WORKERS)
    fitted = min(d[w]["n_ok"] for w in WORKERS)
    print(f"  every run: {fitted} of {n} fitted; max |estimate - in-process estimate| {worst:.1e}")
    speedup = d[2]["specs_per_s"] / d[1]["specs_per_s"]
    bare_speedup = d[2]["bare_specs_per_s"] / d[1]["bare_specs_per_s"]
    print(f"  1 worker / in process: {d[1]['specs_per_s'] / (n / t_serial):.3f} of the in-process specs/s")
    w1, c1, w2, c2 = d[1]["worker_cpu_s"], d[1]["client_cpu_s"], d[2]["worker_cpu_s"], d[2]["client_cpu_s"]
    print(f"  CPU seconds of the fitting phase: workers {w1:.2f} (1 worker), {w2:.2f} (2 workers); this process\n"
          f"    (client, scheduler, nannies, chunk files) {c1:.2f}, {c2:.2f}; in process {cpu_serial:.2f}")  # fmt: skip
    # on 2 idle cores: 1 worker overlaps with this process, 2 workers share both cores with it
    projected = max(w1, c1) / ((w2 + c2) / 2)
    print(f"  projected from CPU time on 2 idle cores, 2 workers / 1 worker: {projected:.3f}\n"
          "    (max(W1, C1) / ((W2 + C2) / 2); a model, not the goal's measurement)")  # fmt: skip
    load_after = os.getloadavg()[0]
    print(f"  load average (1 min) of the machine: {load_before:.2f} at the start, {load_after:.2f} at the end\n"
          "    (2 cores: above about 1, other processes take CPU from the workers; the ratios are noisy)")  # fmt: skip
    print(f"goal 2 workers >= 1.8 x 1 worker (specs/s, fitting phase): {goal(speedup >= 1.8)} (ratio {speedup:.3f}; "
          f"bare Dask {bare_speedup:.3f})")  # fmt: skip
    out["dask"] = {str(w): d[w] for w in WORKERS} | {"speedup_2_vs_1": speedup, "bare_speedup_2_vs_1": bare_speedup,
                                                      "projected_speedup_cpu": projected}  # fmt: skip
    out["load_average"] = [load_before, load_after]
    write_results("bench_multiverse", out)
    return 0


if __name__ == "__main__":  # the guard matters: Dask's worker processes re-import this file
    sys.exit(main())
