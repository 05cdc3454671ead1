"""`connlab` command line: run the notebook suite (also per group of a data set, or per data set,
on Dask), fit a multiverse on Dask, test a study's claims, make the demo data, export a report
for a manuscript.

Exit codes: 0 success; 1 a notebook failed (or problems found); 2 bad usage or input (message, no
traceback); 3 an internal error (a bug: a short message; the traceback with ``connlab --debug``).
One rule for paths in every subcommand: a relative path is taken from the folder the command is
run in (a study file's own paths are relative to the study file).
"""

from __future__ import annotations

import argparse
import sys

# jsonschema (imported by nbformat, papermill and nbconvert) builds the grammar of its optional IRI
# format checker (`rfc3987_syntax`, when installed) when imported: ~1.5 CPU s of every `connlab` start.
# The notebook and report schemas check no IRI, so the command goes without that checker.
sys.modules.setdefault("rfc3987_syntax", None)

from analysis.exceptions import AnalysisError  # noqa: E402
from analysis.paths import DEMO_DIR, NOTEBOOKS_DIR, REPORTS_DIR  # noqa: E402

__all__ = ["validation_report", "build_parser", "main"]


def _cmd_run(args) -> int:
    from analysis.runner.suite import run_suite

    parameters = _read_params(args.params) if args.params else None
    data = args.data or []
    if args.by is not None or len(data) > 1:
        return _cmd_batch(args, data, parameters)
    if args.scheduler is not None or args.workers is not None:
        from analysis.exceptions import ParameterError

        raise ParameterError("--scheduler and --workers run batches on Dask: use them with --by COLUMN or with two or "
                             "more --data; one data set runs here, with --jobs notebooks in parallel.")  # fmt: skip
    try:
        runs = run_suite(
            only=args.only, overrides=args.param, data=data[0] if data else None, codebook=args.codebook,
            out_dir=args.out, jobs=args.jobs, show_code=args.show_code, notebooks_dir=args.notebooks,
            parameters=parameters, **({} if args.timeout is None else {"timeout": args.timeout}),
        )  # fmt: skip
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the kernels are stopped, the reports in place are complete
        index = (args.out / "index.html").resolve()
        print("connlab run: interrupted" + (f"; {index} lists the reports in place" if index.exists() else ""),
              file=sys.stderr)  # fmt: skip
        return 130
    failed = [r.name for r in runs if r.status == "failed"]
    index = (args.out / "index.html").resolve()
    if args.docx:  # manuscript export of every report that succeeded, into <report>/export/
        from analysis.report.export import export_report

        for r in runs:
            if r.status == "succeeded" and r.notebook is not None:
                print(export_report(r.notebook.parent, docx=True).summary(), file=sys.stderr)
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}. See {index}", file=sys.stderr)
    print(index)
    return 1 if failed else 0


def _cmd_batch(args, data: list, parameters: dict | None) -> int:
    from analysis.exceptions import ParameterError
    from analysis.runner.batch import run_batch

    if args.docx:
        raise ParameterError("--docx exports the reports of one data set; for a batch, run `connlab export --docx "
                             "REPORT_DIR` on the group's report you need (OUT/<group>/<notebook>).")  # fmt: skip

    try:
        runs = run_batch(
            data=data, by=args.by, codebook=args.codebook, out_dir=args.out, scheduler=args.scheduler,
            workers=args.workers, only=args.only, overrides=args.param, parameters=parameters, jobs=args.jobs,
            show_code=args.show_code, notebooks_dir=args.notebooks, timeout=args.timeout, data_root=args.data_root,
        )  # fmt: skip
    except KeyboardInterrupt:
        index = (args.out / "index.html").resolve()
        print("connlab run: interrupted" + (f"; {index} lists the groups finished" if index.exists() else ""),
              file=sys.stderr)  # fmt: skip
        return 130
    failed = [r.name for r in runs if r.status != "succeeded"]
    index = (args.out / "index.html").resolve()
    if failed:
        print(f"{len(failed)} of {len(runs)} group(s) failed: {', '.join(failed)}. See {index}", file=sys.stderr)
    print(index)
    return 1 if failed else 0


def _cmd_multiverse(args) -> int:
    from pathlib import Path

    from analysis.runner.distributed import run_multiverse_on_dask

    out = args.out or REPORTS_DIR / f"multiverse_{Path(args.spec).stem}"
    try:
        result = run_multiverse_on_dask(args.spec, out_dir=out, scheduler=args.scheduler, workers=args.workers,
                                        resamples=args.resamples, seed=args.seed, chunk_size=args.chunk_size,
                                        data_root=args.data_root)  # fmt: skip
    except KeyboardInterrupt:
        print(f"connlab multiverse: interrupted; the results so far are kept in {out}: run the same command again "
              "to finish (done specifications are not fitted again).", file=sys.stderr)  # fmt: skip
        return 130
    print(result.sentence(), file=sys.stderr)
    table = (Path(out) / "multiverse.csv").resolve()
    if args.no_report:
        print(table)
        return 0
    from analysis.runner.suite import discover_notebooks, run_suite

    names = [s.name for s in discover_notebooks(args.notebooks) if s.name.startswith("07")]
    if not names:
        print(f"No multiverse notebook (07_*.ipynb) in {args.notebooks}: no report rendered; the table is {table}.",
              file=sys.stderr)  # fmt: skip
        print(table)
        return 0
    given = {"spec": str(Path(args.spec).resolve()), "results": str(Path(out).resolve())}
    runs = run_suite(only=names[:1], parameters=given,
                     out_dir=out, jobs=1, show_code=args.show_code, notebooks_dir=args.notebooks)  # fmt: skip
    if any(r.status == "failed" for r in runs):
        print(f"The multiverse report failed: {runs[0].error}. See {(Path(out) / 'index.html').resolve()}",
              file=sys.stderr)  # fmt: skip
        return 1
    print(Path(runs[0].html).resolve() if runs[0].html else table)
    return 0


def _read_params(path) -> dict:
    """The `name: value` mapping of a ``--params`` YAML file (ParameterError naming the file)."""
    from analysis.exceptions import ParameterError
    from analysis.yaml_files import read_yaml

    values = read_yaml(path, what="parameters file", error=ParameterError)  # limits: see analysis.yaml_files
    if not isinstance(values, dict):
        raise ParameterError(f"The parameters file {path} must hold `name: value` lines (a mapping).")
    for group in [values, *(v for v in values.values() if isinstance(v, dict))]:
        for key in ("data", "codebook", "study"):  # paths in the file are relative to the file
            if isinstance(group.get(key), str):
                group[key] = str((path.parent / group[key]).resolve())
    return values


def _cmd_export(args) -> int:
    from analysis.report.export import export_report

    print(export_report(args.report, out=args.out, docx=args.docx).summary())
    return 0


def _cmd_replicate(args) -> int:
    from pathlib import Path

    from analysis.claims.study import load_study
    from analysis.runner.suite import run_suite

    path = args.study
    study = load_study(path)  # a bad study file stops here, with its message (exit 2)
    out = args.out or REPORTS_DIR / f"replication_{path.stem}"
    print(f"{study.title}: {len(study.claims)} claims on {len(study.datasets)} data set(s)", file=sys.stderr)
    runs = run_suite(only=["06_replication_scorecard"], overrides=[f"study={path}", *args.param], out_dir=out,
                     jobs=1, show_code=args.show_code, notebooks_dir=NOTEBOOKS_DIR)  # fmt: skip
    index = (out / "index.html").resolve()
    if any(r.status == "failed" for r in runs):
        print(f"The scorecard failed. See {index}", file=sys.stderr)
        return 1
    print(Path(runs[0].html).resolve())
    return 0


def _cmd_init(args) -> int:
    from analysis.runner.project import init_project

    folder = init_project(args.folder, notebooks=not args.no_notebooks)
    print(f"Created the project folder {folder}; see its README.md. Next: cd {folder.name} && connlab simulate "
          "&& connlab run")  # fmt: skip
    return 0


def _cmd_simulate(args) -> int:
    from analysis.data.simulate import write_demo_survey

    path = write_demo_survey(args.out, n_couples=args.couples, seed=args.seed)
    print(f"Wrote the simulated demo survey to {path.parent} (seed {args.seed}, {args.couples} couples)")
    return 0


def _cmd_validate(args) -> int:
    from analysis.data.dataset import load_dataset, write_processed
    from analysis.data.validate import ValidationError

    try:  # without --write only the checks are kept: the file is streamed in chunks
        dataset = load_dataset(args.data, codebook=args.codebook, strict=args.strict,
                               keep_tables=args.write is not None)  # fmt: skip
    except ValidationError as exc:
        print(validation_report(None, exc.problems, exc.ledger, strict=True))
        return 1
    print(validation_report(dataset, dataset.problems, dataset.ledger, strict=False))
    if args.write is not None:
        folder = write_processed(dataset, args.write or None)
        print(f"Processed data written to {folder}")
    return 1 if len(dataset.problems) else 0


def validation_report(dataset, problems, ledger, *, strict: bool) -> str:
    """Plain-text report of `connlab validate`: files and formats, problems, row ledger."""
    from pathlib import Path

    from analysis.data.ledger import flow

    lines = []
    if dataset is not None:
        lines.append(f"Data set: {dataset.title}" + (f" (codebook {dataset.codebook_path})" if dataset.codebook_path
                                                       else " (no codebook: types inferred, no checks)"))  # fmt: skip
        for f in dataset.files:
            if f.table in dataset.formats:
                lines.append(f"  table {f.table}: {f.path}\n    {dataset.formats[f.table].detail}; {f.rows:,} rows, "
                             f"{f.columns} columns; SHA-256 {f.sha256}")  # fmt: skip
        for r in dataset.removed_columns.itertuples():
            lines.append(f"  removed identifying column {r.column!r} of {r.table} ({r.reason})")
        if not dataset.codebook.get("inferred"):
            for name, frame in dataset.tables.items():
                extra = [c for c in frame.columns if c not in dataset.variables(name)]
                if extra:
                    lines.append(f"  columns of {name} not in the codebook (kept as text, unchecked): "
                                 f"{', '.join(extra)}; describe them in the codebook")  # fmt: skip
    lines.append("")
    if len(problems):
        mode = ("strict: rows with problems are excluded and loading fails" if strict
                else "lenient: values set to missing")  # fmt: skip
        lines.append(f"{len(problems)} problem(s) ({mode}):")
        for p in problems.head(200).itertuples():
            who = f", id {p.id}" if p.id is not None and not (isinstance(p.id, float)) and str(p.id) != "<NA>" else ""
            lines.append(f"  {Path(p.file).name}, column {p.column!r}, row {p.row} (line {p.line}{who}): value "
                         f"{p.value!r} is {p.problem}. Fix: {p.fix}.")  # fmt: skip
        if len(problems) > 200:
            lines.append(f"  ... and {len(problems) - 200} more")
    else:
        lines.append("No problems: every value fits its codebook entry.")
    lines.append("")
    lines.append("Row ledger (every row read is analysed or excluded):")
    for table, part in flow(ledger).groupby("table", sort=False):
        steps = [f"{r.step} {r.remaining:,}" if r.excluded == 0 else f"{r.step} -{r.excluded:,}"
                 for r in part.itertuples()]  # fmt: skip
        lines.append(f"  {table}: " + " -> ".join(steps))
    return "\n".join(lines)


def _cmd_codebook(args) -> int:
    import os
    from pathlib import Path

    from analysis.data.codebook_draft import codebook_yaml, draft_codebook

    codebook = draft_codebook(args.data)
    if args.out:  # the codebook names its file relative to where it is written
        for spec in codebook["tables"].values():
            spec["file"] = Path(os.path.relpath(args.data, args.out.parent)).as_posix()
    text = codebook_yaml(codebook, args.data)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"Draft codebook written to {args.out}; check it before use.", file=sys.stderr)
    else:
        print(text)
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def _version() -> str:
    from importlib import metadata

    try:
        version = metadata.version("connectionlab")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        from analysis import __version__ as version
    return f"connlab {version} (Python {sys.version.split()[0]})"


def build_parser() -> argparse.ArgumentParser:
    from pathlib import Path

    from analysis.data.simulate import DEMO_SEED

    parser = argparse.ArgumentParser(prog="connlab",
                                     description="ConnectionLab: survey analysis for relationship science.")
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of an internal error")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the notebook suite and render reports")
    run.add_argument("--data", action="append",
                     help="data file or data-set folder (default: each notebook's own default, the demo survey); "
                          "repeat it to run the suite on each data set, on Dask, with one index over all")
    run.add_argument("--codebook", help="codebook YAML for --data (default: found beside the data)")
    run.add_argument("--only", nargs="+", action="extend", metavar="NAME",
                     help="run only these notebooks (name or prefix, e.g. 00); may be given more than once")
    run.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                     help="set a notebook parameter; checked against each notebook's parameters cell")  # fmt: skip
    run.add_argument("--params", metavar="FILE",
                     help="YAML file of notebook parameters (name: value, or <notebook>: {name: value} for one "
                          "notebook); paths in it are relative to the file; -p settings win over it")
    run.add_argument("--out", type=Path, default=REPORTS_DIR, help="output folder (default: reports/)")
    run.add_argument("--jobs", type=_positive_int, default=1, help="notebooks run in parallel (default 1)")
    run.add_argument("--show-code", action="store_true", help="keep code cells in the HTML reports")
    run.add_argument("--timeout", type=float, default=None, metavar="SECONDS",  # default: suite.DEFAULT_TIMEOUT
                     help="stop a notebook that runs longer than this (in all, or in one cell); it fails and the "
                          "others go on (default 1800)")  # fmt: skip
    run.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR,
                     help="folder of NN_name.ipynb notebooks to run (default: notebooks/)")  # fmt: skip
    run.add_argument("--docx", action="store_true",
                     help="then export every report that succeeded for a manuscript, as `connlab export --docx` "
                          "does (into <report>/export/)")  # fmt: skip
    run.add_argument("--by", metavar="COLUMN",
                     help="run the suite once per group of the data set (each value of COLUMN: a site, country, "
                          "wave), on Dask, into OUT/<group>/ with one index over all")  # fmt: skip
    run.set_defaults(func=_cmd_run)

    mv = sub.add_parser("multiverse", help="fit a multiverse (specification curve) on Dask and render its report")
    mv.add_argument("--spec", required=True, help="multiverse YAML, e.g. studies/multiverse/demo_practices.yaml")
    mv.add_argument("--out", type=Path, default=None,
                    help="folder of the run: results per specification (a rerun resumes), the table and the report "
                         "(default: reports/multiverse_<spec>/)")  # fmt: skip
    mv.add_argument("--resamples", type=_non_negative_int, default=None,
                    help="null resamples for the inference (default: the spec file's; 0: none)")
    mv.add_argument("--seed", type=_non_negative_int, default=None, help="seed of the resamples (default: the spec's)")
    mv.add_argument("--chunk-size", type=_positive_int, default=None, metavar="N",
                    help="specifications per Dask task (default: chunks sized by estimated work, large first and "
                         "smaller towards the end so the workers finish together; each at least 0.1 s of fitting)")
    mv.add_argument("--no-report", action="store_true", help="only fit and write multiverse.csv; no notebook")
    mv.add_argument("--show-code", action="store_true", help="keep code cells in the HTML report")
    mv.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR,
                    help="folder holding the 07_multiverse notebook (default: notebooks/)")
    mv.set_defaults(func=_cmd_multiverse)
    for command in (run, mv):
        command.add_argument("--scheduler", metavar="ADDRESS",
                             help="a running Dask scheduler, tcp://HOST:PORT (`dask scheduler`, dask-jobqueue, "
                                  "dask-kubernetes); default: a local cluster of one worker per core")  # fmt: skip
        command.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                             help="worker processes of the local cluster (default: one per core); with --scheduler, "
                                  "wait until N workers have joined")  # fmt: skip

    exp = sub.add_parser("export", help="export a report's APA tables (CSV; with --docx also one Word document in "
                                        "APA 7 table style) and figures (PNG, SVG) for a manuscript")  # fmt: skip
    exp.add_argument("report", type=Path, metavar="REPORT_DIR",
                     help="a report folder of `connlab run`, e.g. reports/03_connection_and_satisfaction")  # fmt: skip
    exp.add_argument("--docx", action="store_true", help="also write every APA table into one Word document")
    exp.add_argument("--out", type=Path, default=None, help="output folder (default: REPORT_DIR/export/)")
    exp.set_defaults(func=_cmd_export)

    rep = sub.add_parser("replicate", help="test the claims of a study file on its data sets: one scorecard report")
    rep.add_argument("--study", required=True,
                     help="study YAML (data sets and claims), e.g. studies/shared_real_data.yml")
    rep.add_argument("--out", type=Path, default=None, help="output folder (default: reports/replication_<study>/)")
    rep.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                     help="set a scorecard parameter (n_boot, seed)")  # fmt: skip
    rep.add_argument("--show-code", action="store_true", help="keep code cells in the HTML report")
    rep.set_defaults(func=_cmd_replicate)

    val = sub.add_parser("validate",
                         help="check a data file against its codebook; exit 0 valid, 1 problems, 2 unreadable")
    where = val.add_mutually_exclusive_group(required=True)
    where.add_argument("data_file", nargs="?", type=str, metavar="DATA", help="data file or data-set folder")
    where.add_argument("--data", help="the same, as an option")
    val.add_argument("--codebook", help="codebook YAML (default: found beside the data)")
    val.add_argument("--strict", action="store_true", help="any problem is an error (rows with problems excluded)")
    val.add_argument("--write", nargs="?", const="", default=None, type=str, metavar="DIR",
                     help="write the analysed tables, codebook, ledger and problems "
                          "(default data/processed/<name>/)")  # fmt: skip
    val.set_defaults(func=_cmd_validate)

    cb = sub.add_parser("codebook", help="draft a codebook from a data file, to check and edit")
    where = cb.add_mutually_exclusive_group(required=True)
    where.add_argument("data_file", nargs="?", type=str, metavar="DATA",
                       help="data file (CSV, Qualtrics CSV, XLSX, SPSS .sav, Stata .dta)")
    where.add_argument("--data", help="the same, as an option")
    cb.add_argument("--out", type=Path, help="write the draft here (default: print it)")
    cb.set_defaults(func=_cmd_codebook)

    ini = sub.add_parser("init", help="create a project folder (data/raw, data/processed, reports, studies, "
                                      "notebooks, README)")
    ini.add_argument("folder", type=Path, help="the folder to create (new or empty)")
    ini.add_argument("--no-notebooks", action="store_true",
                     help="do not copy the notebooks; `connlab run` then uses the package's own")
    ini.set_defaults(func=_cmd_init)

    sim = sub.add_parser("simulate", help="write the simulated demo survey (seeded, byte-identical)")
    sim.add_argument("--out", type=Path, default=DEMO_DIR, help=f"output folder (default: {DEMO_DIR})")
    sim.add_argument("--seed", type=int, default=DEMO_SEED, help=f"random seed (default {DEMO_SEED})")
    sim.add_argument("--couples", type=_positive_int, default=600, help="number of couples (default 600)")
    sim.set_defaults(func=_cmd_simulate)
    for command in (run, rep, val, mv):
        command.add_argument("--data-root", action="append", type=Path, metavar="DIR",
                             help="also read data files from this folder (default: only the codebook's folder, "
                                  "and --data when --codebook is given); repeatable")  # fmt: skip
    return parser


#: arguments that are paths, in any subcommand
PATH_ARGUMENTS = ("data", "codebook", "study", "out", "notebooks", "write", "params", "data_root", "folder", "report",
                  "spec")


def _absolute_paths(args: argparse.Namespace) -> None:
    """Make every path argument absolute, relative to the current folder (the one rule for paths)."""
    from pathlib import Path

    for name in PATH_ARGUMENTS:
        value = getattr(args, name, None)
        if isinstance(value, list):
            setattr(args, name, [Path(v).expanduser().resolve() for v in value])
        elif value:  # `--write` with no folder is "" (the default folder)
            setattr(args, name, Path(value).expanduser().resolve())


def _allow_data_roots(args: argparse.Namespace) -> None:
    """``--data-root DIR``: folders data files may be read from besides the codebook's, for this
    process and the notebook kernels it starts (they inherit the environment)."""
    import os

    from analysis.paths import DATA_ROOT_ENV

    roots = [str(p) for p in getattr(args, "data_root", None) or []]
    if roots:
        old = [p for p in os.environ.get(DATA_ROOT_ENV, "").split(os.pathsep) if p]
        os.environ[DATA_ROOT_ENV] = os.pathsep.join(roots + old)


def main(argv: list[str] | None = None) -> int:
    """Run the `connlab` command with `argv` (default: the process's arguments); returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "data_file", None):  # `connlab validate FILE`, `connlab codebook FILE`: the same as --data FILE
        args.data = args.data_file
    _absolute_paths(args)
    _allow_data_roots(args)
    try:
        return args.func(args)
    except AnalysisError as exc:
        print(f"connlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except MemoryError:
        print(f"connlab {args.command}: error: not enough memory. Close other programs, or run it on a larger "
              "machine.", file=sys.stderr)  # fmt: skip
        return 2
    except OSError as exc:  # a full disk, a read-only or missing output folder
        where = exc.filename or getattr(args, "out", None) or getattr(args, "write", None) or "a file"
        print(f"connlab {args.command}: error: cannot write or read {where}: {exc.strerror or exc}. Check that the "
              "output folder can be created (not an existing file), is writable and has free space, or choose "
              "another --out.", file=sys.stderr)  # fmt: skip
        return 2
    except Exception as exc:  # a bug of ours, not bad input: a short message, the traceback only with --debug
        if args.debug:
            raise
        print(f"connlab {args.command}: internal error ({type(exc).__name__}: {exc}). This is a bug in "
              "ConnectionLab, not in your input: please report it with the command you ran; rerun with --debug for "
              "the traceback.", file=sys.stderr)  # fmt: skip
        return 3


if __name__ == "__main__":
    sys.exit(main())
