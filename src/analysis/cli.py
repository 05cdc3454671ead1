"""`connlab` command line: run the notebook suite, make the demo data.

Exit codes: 0 success; 1 a notebook failed; 2 bad usage or input (message, no traceback).
"""

from __future__ import annotations

import argparse
import sys

from .exceptions import AnalysisError
from .paths import DEMO_DIR, NOTEBOOKS_DIR, REPORTS_DIR

__all__ = ["main"]


def _cmd_run(args) -> int:
    from .runner import run_suite

    runs = run_suite(
        only=args.only, overrides=args.param, data=args.data, codebook=args.codebook,
        out_dir=args.out, jobs=args.jobs, show_code=args.show_code, notebooks_dir=args.notebooks,
    )  # fmt: skip
    failed = [r.name for r in runs if r.status != "succeeded"]
    index = (args.out / "index.html").resolve()
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}. See {index}", file=sys.stderr)
    print(index)
    return 1 if failed else 0


def _cmd_simulate(args) -> int:
    from .simulate import write_demo_survey

    path = write_demo_survey(args.out, n_couples=args.couples, seed=args.seed)
    print(f"Wrote the simulated demo survey to {path.parent} (seed {args.seed}, {args.couples} couples)")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from pathlib import Path

    from .simulate import DEMO_SEED

    parser = argparse.ArgumentParser(prog="connlab", description="ConnectionLab: survey analysis for relationship science.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the notebook suite and render reports")
    run.add_argument("--data", help="data file or data-set folder (default: each notebook's own default, the demo survey)")
    run.add_argument("--codebook", help="codebook YAML for --data (default: found beside the data)")
    run.add_argument("--only", nargs="+", metavar="NAME", help="run only these notebooks (name or prefix, e.g. 00)")
    run.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                     help="set a notebook parameter; checked against each notebook's parameters cell")  # fmt: skip
    run.add_argument("--out", type=Path, default=REPORTS_DIR, help="output folder (default: reports/)")
    run.add_argument("--jobs", type=_positive_int, default=1, help="notebooks run in parallel (default 1)")
    run.add_argument("--show-code", action="store_true", help="keep code cells in the HTML reports")
    run.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR,
                     help="folder of NN_name.ipynb notebooks to run (default: notebooks/)")  # fmt: skip
    run.set_defaults(func=_cmd_run)

    sim = sub.add_parser("simulate", help="write the simulated demo survey (seeded, byte-identical)")
    sim.add_argument("--out", type=Path, default=DEMO_DIR, help=f"output folder (default: {DEMO_DIR})")
    sim.add_argument("--seed", type=int, default=DEMO_SEED, help=f"random seed (default {DEMO_SEED})")
    sim.add_argument("--couples", type=_positive_int, default=600, help="number of couples (default 600)")
    sim.set_defaults(func=_cmd_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except AnalysisError as exc:
        print(f"connlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
