"""Batch reports on Dask: the notebook suite once per group of a data set, or once per data set.

``connlab run --by COLUMN`` splits one data set by the values of a column: each group's rows are
written, with the data set's codebook, into ``<out>/<group>/data/``, and the suite runs on them
into ``<out>/<group>/`` (its own ``index.html``). ``connlab run --data A --data B`` runs the suite
on each data set into ``<out>/<name>/``. Every group is one Dask task (`dask_client`: a
LocalCluster, or a scheduler address), which runs `run_suite` in its worker; ``<out>/index.html``
lists every group with its status and a link to its reports, and is rewritten as each finishes.
A group that fails (a notebook fails, the data do not load, the worker dies) is listed with its
error; the others complete.

How a data set is split: the column's values as written in the file (a value the codebook
declares missing, or an empty cell, belongs to no group: the index says how many rows). Every
table holding the column is split by it; a table without it is split by an id column it shares
with the first table holding it (role ``id``, then ``dyad_id``, then ``family_id``: a diary's
days follow their person); a table with neither is left out of the groups (the index says so).
Identifying columns (role ``pii``/``free_text``, or found by name or content) are not written.
The group's files are UTF-8 CSV (formula-like text escaped, as `write_processed` does) and its
codebook is the data set's with the file names, the format and the title changed.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from analysis.exceptions import AnalysisError, ParameterError
from analysis.paths import NOTEBOOKS_DIR, REPORTS_DIR

__all__ = ["Group", "BatchRun", "split_by", "run_batch"]

#: most groups `split_by` makes (a column with more values is probably an id: pick another)
MAX_GROUPS = 200
LINK_ROLES = ("id", "dyad_id", "family_id")


@dataclass(frozen=True)
class Group:
    """One unit of a batch: a name (its folder under the output folder), what it is, its data."""

    name: str
    label: str
    data: Path
    codebook: Path | None = None
    rows: int | None = None
    tables: dict = field(default_factory=dict)  # table -> rows written
    notes: tuple[str, ...] = ()


@dataclass
class BatchRun:
    """Outcome of one group: status ("succeeded" or "failed"), its reports, the notebooks' statuses."""

    name: str
    label: str
    status: str
    seconds: float
    data: Path
    index: Path | None
    error: str | None = None
    notebooks: dict = field(default_factory=dict)
    rows: int | None = None
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Splitting a data set
# ---------------------------------------------------------------------------------------------
def _slug(value: str) -> str:
    text = re.sub(r"[^\w.-]+", "_", value, flags=re.ASCII).replace("..", "_").strip("._-")[:60]
    return text or "group"


def _unique(name: str, taken: set[str]) -> str:
    base, k = name, 2
    while name.lower() in taken or name.lower() in ("index.html", "data"):
        name, k = f"{base}-{k}", k + 1
    taken.add(name.lower())
    return name


def _text(value) -> str | None:
    """A raw cell as text (None when empty); a whole float as an integer (3.0 -> "3")."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    text = str(value)
    return text if text.strip() != "" else None


def _missing(variable: dict, raw_missing: list) -> set[str]:
    """The codes of a variable that mean missing, as text (codebook `missing_codes`/`na_values`, SPSS user missing)."""
    codes = set()
    for code in list(variable.get("missing_codes") or []) + list(variable.get("na_values") or []) + raw_missing:
        if not isinstance(code, dict):
            codes.add(_text(code))
    return {c for c in codes if c is not None}


def _in_range(text: str, variable: dict, raw_missing: list) -> bool:
    """Whether `text` falls in a missing range (``{range: [lo, hi]}``)."""
    try:
        number = float(text)
    except ValueError:
        return False
    for code in list(variable.get("missing_codes") or []) + raw_missing:
        if isinstance(code, dict) and "range" in code:
            lo, hi = code["range"]
            if float(lo) <= number <= float(hi):
                return True
    return False


def _order(values: list[str], variable: dict) -> list[str]:
    """Group values in the codebook's order of `values`, else numerically, else alphabetically."""
    declared = [_text(v) for v in variable.get("values") or []]
    first = [v for v in declared if v in values]
    rest = [v for v in values if v not in first]
    try:
        rest.sort(key=float)
    except ValueError:
        rest.sort()
    return first + rest


def _column_help(column: str, names: list[str]) -> str:
    close = difflib.get_close_matches(column, names, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    shown = ", ".join(names[:40]) + (f", ... ({len(names)} in all)" if len(names) > 40 else "")
    return f"{hint} Columns: {shown}."


def split_by(data, column: str, out_dir, *, codebook=None, data_root=None, max_groups: int = MAX_GROUPS
             ) -> tuple[list[Group], list[str]]:  # fmt: skip
    """Write each group of a data set (the rows with one value of `column`) as a data set of its own.

    Parameters
    ----------
    data : str or Path
        A data-set folder (with ``codebook.yaml``), a codebook or a data file (`load_dataset`).
    column : str
        The column whose values make the groups (e.g. ``site``, ``country``, ``wave``).
    out_dir : str or Path
        Group ``g`` is written to ``<out_dir>/<g>/data/`` (its tables as CSV, ``codebook.yaml``).
    codebook : str or Path, optional
        Codebook for `data` (default: found beside it).
    data_root : str, Path or list, optional
        Folders the codebook's files may also be read from.
    max_groups : int, default 200
        More groups than this is an error (the column is probably an id).

    Returns
    -------
    (list of Group, list of str)
        The groups, in the order of the codebook's ``values`` of the column (else sorted), and
        notes for the index (rows with a missing value, tables left out).

    Raises
    ------
    ParameterError
        `column` is in no table (the message lists the columns and close names), is an
        identifying column, or has no value or more than `max_groups` values.
    DataError, CodebookError
        The data set does not load.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.runner.batch import split_by
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "s.csv").write_text("id,site,x\\n1,a,2\\n2,b,3\\n3,a,4\\n")
    ...     groups, notes = split_by(Path(tmp) / "s.csv", "site", Path(tmp) / "out")
    ...     [(g.name, g.rows) for g in groups]
    [('a', 2), ('b', 1)]
    """
    import yaml

    from analysis.data.dataset import load_dataset
    from analysis.data.privacy import pii_columns, write_csv
    from analysis.data.readers import read_table

    dataset = load_dataset(data, codebook=codebook, data_root=data_root)  # a data set that does not load stops here
    spec = dataset.codebook
    paths = {f.table: Path(f.path) for f in dataset.files if f.table in spec["tables"]}
    holders = [t for t, s in spec["tables"].items() if column in s["variables"]]
    if not holders:
        names = sorted({c for s in spec["tables"].values() for c in s["variables"]})
        raise ParameterError(f"--by {column}: no table of the data set {dataset.name} ({dataset.codebook_path or data})"
                             f" has a column {column!r}.{_column_help(column, names)}")  # fmt: skip
    removed = dataset.removed_columns
    if any(removed[(removed["table"] == t) & (removed["column"] == column)].shape[0] for t in holders):
        raise ParameterError(f"--by {column}: {column!r} is an identifying column (removed when the data are loaded); "
                             "its values would become folder names. Split by a column that is not identifying.")
    raws, formats = {}, {}
    for table, tspec in spec["tables"].items():
        raw = read_table(paths[table], format=tspec.get("format"))
        raws[table], formats[table] = raw, raw.format
    primary = holders[0]
    pvar = spec["tables"][primary]["variables"][column]

    def values_of(table: str) -> list[str | None]:
        var = spec["tables"][table]["variables"][column]
        raw = raws[table]
        missing = _missing(var, list(raw.user_missing.get(column, [])))
        out = []
        for value in raw.frame[column].tolist():
            text = _text(value)
            if text is not None and (text.strip() in missing or _in_range(text, var, list(raw.user_missing.get(
                    column, [])))):  # fmt: skip
                text = None
            out.append(None if text is None else text.strip())
        return out

    keys = {t: values_of(t) for t in holders}
    found = sorted({v for v in keys[primary] if v is not None})
    if not found:
        raise ParameterError(f"--by {column}: the column has no values in table {primary!r} (every cell is empty or "
                             "a missing code).")  # fmt: skip
    if len(found) > max_groups:
        raise ParameterError(f"--by {column}: {len(found)} different values, more than {max_groups} groups; it looks "
                             "like an id. Split by a column with fewer values (a site, country or wave).")  # fmt: skip
    order = _order(found, pvar)
    notes = []
    n_missing = sum(v is None for v in keys[primary])
    if n_missing:
        notes.append(f"{n_missing} row(s) of table {primary!r} have no {column} value (empty or a missing code) and "
                     "are in no group.")  # fmt: skip
    links: dict[str, str] = {}
    for table, tspec in spec["tables"].items():
        if table in holders:
            continue
        shared = [c for role in LINK_ROLES for c, v in tspec["variables"].items()
                  if v.get("role") == role and spec["tables"][primary]["variables"].get(c, {}).get("role") == role]
        if shared:
            links[table] = shared[0]
        else:
            notes.append(f"Table {table!r} has no {column} column and no id column shared with table {primary!r}: it "
                         "is left out of the groups.")  # fmt: skip
    kept_tables = holders + list(links)
    drop = {t: pii_columns(raws[t].frame, spec["tables"][t]["variables"]) for t in kept_tables}
    out = Path(out_dir).expanduser().resolve()
    taken: set[str] = set()
    groups = []
    for value in order:
        name = _unique(_slug(value), taken)
        folder = out / name / "data"
        folder.mkdir(parents=True, exist_ok=True)
        rows, written, left_out = {}, [], []
        pmask = [v == value for v in keys[primary]]
        for table in kept_tables:
            raw = raws[table]
            if table in holders:
                mask = [v == value for v in keys[table]]
            else:
                link = links[table]
                ids = {_text(v) for v, m in zip(raws[primary].frame[link].tolist(), pmask, strict=True) if m}
                ids.discard(None)
                mask = [_text(v) in ids for v in raw.frame[link].tolist()]
            frame = raw.frame.loc[mask].drop(columns=list(drop[table]))
            if frame.empty:  # e.g. no diary kept by this group's couples: the table is left out, not empty
                left_out.append(table)
                continue
            frame = frame.map(_text) if raw.format.kind in ("xlsx", "sav", "dta") else frame
            if raw.format.decimal == ",":  # decimal comma: numbers written with a point (the file is comma-separated)
                for col, var in spec["tables"][table]["variables"].items():
                    if var.get("type") in ("number", "integer") and col in frame.columns:
                        frame[col] = frame[col].map(lambda v: v.replace(",", ".") if isinstance(v, str) else v)
            if dataset.codebook_path is not None:
                write_csv(frame.reset_index(drop=True), folder / f"{table}.csv")
            else:  # no codebook to say the text was escaped: the values as read, for the same inferred types
                frame.to_csv(folder / f"{table}.csv", index=False, encoding="utf-8")
            rows[table] = len(frame)
            written.append(table)
        codebook_out = _group_codebook(spec, raws, written, drop, column, value)
        if dataset.codebook_path is not None:
            (folder / "codebook.yaml").write_text(yaml.safe_dump(codebook_out, sort_keys=False, allow_unicode=True),
                                                  encoding="utf-8")  # fmt: skip
            target = folder
        else:  # a file read without a codebook: its group is a file read the same way
            target = folder / f"{primary}.csv"
        note = (f"No rows of table(s) {', '.join(left_out)} in this group: left out of its data set.",) if left_out \
            else ()
        groups.append(Group(name, f"{column} = {value}", target, None, rows[primary], rows, note))
    return groups, notes


def _group_codebook(spec: dict, raws: dict, tables: list[str], drop: dict, column: str, value: str) -> dict:
    """The data set's codebook for one group: its tables' new files and format, identifying columns left out,
    SPSS/Stata missing codes and value labels carried into the variables (the files are CSV now)."""
    import copy

    out = {k: copy.deepcopy(v) for k, v in spec.items() if k not in ("tables", "inferred")}
    out["title"] = f"{spec.get('title') or spec.get('dataset')} ({column} = {value})"
    note = f"The rows with {column} = {value} (connlab run --by {column})."
    out["description"] = f"{spec['description'].rstrip()} {note}" if spec.get("description") else note
    out["tables"] = {}
    for table in tables:
        tspec = copy.deepcopy(spec["tables"][table])
        raw = raws[table]
        tspec["file"] = f"{table}.csv"
        tspec["format"] = {"kind": "csv", "encoding": "utf-8", "sep": ",", "decimal": ".", "escaped_formulas": True}
        variables = {}
        for name, var in tspec["variables"].items():
            if name in drop[table] or name not in raw.frame.columns:
                continue
            if raw.user_missing.get(name) and not var.get("missing_codes"):
                var["missing_codes"] = [_text(c) if not isinstance(c, dict) else c for c in raw.user_missing[name]]
            if raw.value_labels.get(name) and not var.get("value_labels"):
                var["value_labels"] = {_text(k) if isinstance(k, float) else k: str(v)
                                       for k, v in raw.value_labels[name].items()}  # fmt: skip
            variables[name] = var
        tspec["variables"] = variables
        out["tables"][table] = tspec
    return out


def _data_groups(data: Sequence, codebook=None) -> list[Group]:
    """One group per data set of ``--data A --data B`` (named after the data set's folder or file)."""
    taken: set[str] = set()
    groups = []
    for item in data:
        path = Path(item).expanduser().resolve()
        if not path.exists():
            raise ParameterError(f"--data {item}: it does not exist. Pass existing data files or data-set folders.")
        stem = path.parent.name if path.suffix in (".yaml", ".yml") else path.stem if path.is_file() else path.name
        groups.append(Group(_unique(_slug(stem), taken), str(path), path, Path(codebook) if codebook else None))
    return groups


# ---------------------------------------------------------------------------------------------
# Running the groups
# ---------------------------------------------------------------------------------------------
def _run_group(name: str, data: str, codebook: str | None, out: str, options: dict, data_roots: list[str],
               project: str) -> dict:  # fmt: skip
    """Worker task: the suite on one group's data, into its folder; never raises (the error is returned)."""
    from analysis.paths import DATA_ROOT_ENV, PROJECT_ENV
    from analysis.runner.suite import run_suite

    if data_roots:  # the kernels inherit the worker's environment, as they inherit connlab's
        old = [p for p in os.environ.get(DATA_ROOT_ENV, "").split(os.pathsep) if p]
        os.environ[DATA_ROOT_ENV] = os.pathsep.join(dict.fromkeys(data_roots + old))
    os.environ.setdefault(PROJECT_ENV, project)
    start = time.perf_counter()
    try:
        runs = run_suite(data=data, codebook=codebook, out_dir=out, progress=lambda line: None, **options)
    except AnalysisError as exc:
        return {"status": "failed", "error": str(exc), "seconds": time.perf_counter() - start, "notebooks": {}}
    except Exception as exc:  # a bug of ours: the group fails with it, the others go on
        return {"status": "failed", "error": f"internal error ({type(exc).__name__}: {exc})",
                "seconds": time.perf_counter() - start, "notebooks": {}}  # fmt: skip
    failed = [r.name for r in runs if r.status == "failed"]
    error = None
    if failed:
        first = next(r for r in runs if r.status == "failed")
        error = f"{len(failed)} notebook(s) failed: {', '.join(failed)} ({first.name}: {first.error})"
    return {"status": "failed" if failed else "succeeded", "error": error, "seconds": time.perf_counter() - start,
            "notebooks": {r.name: r.status for r in runs}}  # fmt: skip


def _index_row(run: BatchRun, out: Path):
    from analysis.runner.suite import NotebookRun

    params = {"group": run.label}
    if run.rows is not None:
        params["rows"] = run.rows
    if run.notebooks:
        params["notebooks"] = ", ".join(f"{k}: {v}" for k, v in run.notebooks.items())
    html = run.index if run.index is not None and run.index.exists() else None
    return NotebookRun(run.name, run.status, run.seconds, params, None, html, None, run.error,
                       extra={"note": " ".join(run.notes)})  # fmt: skip


def _write_batch_index(runs: list[BatchRun], out: Path, notes: list[str], note: str | None) -> Path:
    from analysis.runner.render import write_index

    text = " ".join(x for x in [note, *notes] if x) or None
    return write_index([_index_row(r, out) for r in runs], out / "index.html", note=text)


def run_batch(*, data: Sequence | None = None, by: str | None = None, codebook=None, out_dir=REPORTS_DIR,
              scheduler: str | None = None, workers: int | None = None, only: Sequence[str] | None = None,
              overrides: Sequence[str] = (), parameters: dict | None = None, jobs: int = 1, show_code: bool = False,
              notebooks_dir: Path = NOTEBOOKS_DIR, timeout: float | None = None, data_root=None,
              progress: Callable[[str], None] | None = None, client=None) -> list[BatchRun]:  # fmt: skip
    """Run the notebook suite once per group of a data set (`by`) or once per data set (`data`), on Dask.

    Parameters
    ----------
    data : sequence of str or Path, optional
        With `by`: one data set (default the demo survey); without: two or more data sets, one
        report set each.
    by : str, optional
        Column whose values split the data set into groups (`split_by`).
    codebook : str or Path, optional
        Codebook of the data set (one data set only).
    out_dir : str or Path, default ``reports/``
        ``<out_dir>/<group>/`` holds each group's reports (and, with `by`, its data in
        ``data/``); ``<out_dir>/index.html`` lists every group.
    scheduler, workers
        The Dask cluster (`dask_client`): a scheduler address, or a LocalCluster of `workers`
        processes (default one per core). Each group is one task; it runs its notebooks in
        its worker (`jobs` at a time).
    only, overrides, parameters, jobs, show_code, notebooks_dir, timeout
        As `run_suite`, for every group (``data`` and ``codebook`` are set per group).
    data_root : str, Path or list, optional
        Folders data files may also be read from (as ``--data-root``).
    progress : callable, optional
        Called with one line of text per finished group (default: print to stderr).
    client : distributed.Client, optional
        Use this client instead of opening one.

    Returns
    -------
    list of BatchRun
        One per group, in order: status ``"succeeded"`` (every notebook succeeded or was not
        applicable) or ``"failed"`` (with the error), run time, the notebooks' statuses.

    Raises
    ------
    ParameterError
        Bad arguments (neither or both of one data set and `by`, an unknown column, notebook or
        parameter, ``data``/``codebook`` set as parameters, an unreachable scheduler), before
        any group runs; the output folder in use by another run.
    KeyboardInterrupt
        On Ctrl-C: the groups not finished are cancelled, the index lists the finished ones.

    See Also
    --------
    split_by : How a data set is split.
    run_suite : What runs for each group.

    Examples
    --------
    >>> from analysis.runner.batch import run_batch
    >>> runs = run_batch(by="relationship_status", out_dir="reports/by_status")  # doctest: +SKIP
    >>> [(r.name, r.status) for r in runs]  # doctest: +SKIP
    [('dating', 'succeeded'), ('cohabiting', 'succeeded'), ('engaged', 'succeeded'), ('married', 'succeeded')]
    """
    from analysis.runner._lock import FolderLock
    from analysis.runner.distributed import dask_client
    from analysis.runner.suite import DEFAULT_TIMEOUT, discover_notebooks, parse_overrides

    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    data = [] if data is None else [data] if isinstance(data, str | Path) else list(data)
    if by is None and len(data) < 2:
        raise ParameterError("A batch needs --by COLUMN (groups of one data set) or two or more --data.")
    if by is not None and len(data) > 1:
        raise ParameterError(f"--by {by} splits one data set; {len(data)} were given with --data. Run one --data at a "
                             "time, or leave out --by to run each data set whole.")  # fmt: skip
    if codebook is not None and len(data) > 1:
        raise ParameterError("--codebook names the codebook of one data set; with several --data, keep each codebook "
                             "beside its data (codebook.yaml in the folder, or <file>.codebook.yaml).")  # fmt: skip
    for key in ("data", "codebook"):
        if key in (parameters or {}) or any(p.split("=", 1)[0].strip() == key for p in overrides):
            raise ParameterError(f"`{key}` is set for each group of a batch; give the data with --data and --by, not "
                                 "as a parameter.")  # fmt: skip
    specs = discover_notebooks(notebooks_dir, only)
    parse_overrides(overrides, specs)  # an unknown parameter or a bad value stops here, not once per group
    if not any("data" in s.parameters for s in specs):
        raise ParameterError("No selected notebook has a `data` parameter: there is nothing to run per group.")
    out = Path(out_dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    options = {"only": list(only) if only else None, "overrides": list(overrides), "parameters": parameters,
               "jobs": jobs, "show_code": show_code, "notebooks_dir": Path(notebooks_dir),
               "timeout": DEFAULT_TIMEOUT if timeout is None else timeout}  # fmt: skip
    roots = [str(Path(p).expanduser().resolve()) for p in
             ([] if data_root is None else [data_root] if isinstance(data_root, str | Path) else data_root)]
    with FolderLock(out):
        if by is not None:
            from analysis.paths import DEMO_DIR

            groups, notes = split_by(data[0] if data else DEMO_DIR, by, out, codebook=codebook,
                                     data_root=roots or None)  # fmt: skip
        else:
            groups, notes = _data_groups(data, codebook), []
        runs = {g.name: BatchRun(g.name, g.label, "not run", 0.0, g.data, None, "not finished", rows=g.rows,
                                 notes=g.notes) for g in groups}  # fmt: skip
        started = time.monotonic()

        def index(note: str | None) -> None:
            _write_batch_index([runs[g.name] for g in groups], out, notes, note)

        index("Batch in progress: a group not finished yet is listed as not run.")
        from analysis.paths import PROJECT_ROOT

        opened = dask_client(scheduler, workers=workers) if client is None else _given(client)
        with opened as dask:
            from distributed import as_completed

            what = f"groups of {by}" if by is not None else "data sets"
            say(f"Running the suite on {len(groups)} {what} ({', '.join(g.name for g in groups)}) on "
                f"{len(dask.scheduler_info().get('workers', {}))} Dask worker(s) -> {out}")  # fmt: skip

            futures = {}
            for g in groups:
                future = dask.submit(_run_group, g.name, str(g.data), str(g.codebook) if g.codebook else None,
                                     str(out / g.name), options, roots, str(PROJECT_ROOT), pure=False)  # fmt: skip
                futures[future] = g
            try:
                for k, future in enumerate(as_completed(list(futures), loop=dask.loop), start=1):
                    g = futures[future]
                    try:
                        doc = future.result()
                    except Exception as exc:  # the worker died (KilledWorker) or the task could not run
                        doc = {"status": "failed", "error": f"the Dask task failed ({type(exc).__name__}: {exc})",
                               "seconds": 0.0, "notebooks": {}}  # fmt: skip
                    page = out / g.name / "index.html"
                    runs[g.name] = BatchRun(g.name, g.label, doc["status"], doc["seconds"], g.data,
                                            page if page.exists() else None, doc["error"], doc["notebooks"],
                                            g.rows, g.notes)  # fmt: skip
                    say(f"[{k}/{len(groups)}] {g.name}: {doc['status']} in {doc['seconds']:.1f} s"
                        + (f" - {doc['error']}" if doc["error"] else ""))  # fmt: skip
                    index("Batch in progress: a group not finished yet is listed as not run.")
            except BaseException:
                dask.cancel(list(futures))
                index("Interrupted: a group not finished is listed as not run.")
                raise
        index(None)
        say(f"Batch of {len(groups)} group(s) done in {time.monotonic() - started:.1f} s -> {out / 'index.html'}")
    return [runs[g.name] for g in groups]


class _given:
    def __init__(self, client):
        self.client = client

    def __enter__(self):
        return self.client

    def __exit__(self, *exc):
        return None
