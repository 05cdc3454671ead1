"""Hostile input beyond the bad-file corpus, and one count of every hostile case the tests try.

* Output that cannot be written, for every command that writes (`run --out`, `validate --write`,
  `codebook --out`, `simulate --out`): a full disk, a read-only file system, a file (or a device)
  where the folder should be. Each gives exit 2 and one line "connlab <command>: error: ..." naming
  what could not be written, never a traceback. The tests run as root, so chmod cannot make a folder
  read-only: a full disk is /dev/full where a file path is taken, elsewhere a monkeypatched write
  raising OSError(ENOSPC) or OSError(EROFS), as the operating system does.
* Study files for `connlab replicate --study` (a syntax error, a !!python tag, a top-level list,
  `claims: 5`, `data: 5`, a file that is not UTF-8, a folder) are tested in tests/test_yaml_files.py
  (test_malformed_study_files_are_claim_errors, test_a_folder_as_study_file), not here; the summary
  below runs them again.
* test_every_hostile_case_exits_cleanly runs the cases of the bad-file corpus (tests/data/bad/
  MANIFEST.csv), a batch of fuzzer cases (tests/test_fuzz.py, numbered after the ones its own test
  runs), those study files and the output cases of this file, and counts tracebacks and wrong exit
  codes: there must be none.
"""

from __future__ import annotations

import errno
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from test_bad_files import BAD, MANIFEST
from test_export import make_report
from test_fuzz import DEFAULT_CASES, _knobs, _run_main, make_case, run_case
from test_yaml_files import STUDIES

DATA = BAD / "survey_ok.csv"
CODEBOOK = BAD / "survey.cb.yaml"
DEV_FULL = Path("/dev/full")
FUZZ_CASES = 60  # fuzzer cases DEFAULT_CASES.. DEFAULT_CASES + 59: new ones, not those test_fuzz runs
ADVICE = (r"Check that the output folder can be created \(not an existing file\), is writable and has free space, "
          r"or choose another --out\.$")


# ------------------------------------------------------------------------------ output cases
def _oserror(code: int, filename) -> OSError:
    return OSError(code, os.strerror(code), None if filename is None else str(filename))


def _to_csv_fails(code: int, *, named: bool = True) -> Callable:
    """pandas' DataFrame.to_csv raises OSError `code` (with the file's name, or none as write() gives)."""

    def patch(mp: pytest.MonkeyPatch, tmp: Path) -> None:
        def to_csv(self, path=None, *args, **kwargs):
            raise _oserror(code, path if named else None)

        mp.setattr(pd.DataFrame, "to_csv", to_csv)

    return patch


def _write_text_fails(code: int) -> Callable:
    def patch(mp: pytest.MonkeyPatch, tmp: Path) -> None:
        def write_text(self, *args, **kwargs):
            raise _oserror(code, self)

        mp.setattr(Path, "write_text", write_text)

    return patch


def _mkdir_fails(code: int, name: str) -> Callable:
    """Path.mkdir raises OSError `code` for tmp/`name` and anything below it (other folders are made)."""

    def patch(mp: pytest.MonkeyPatch, tmp: Path) -> None:
        real = Path.mkdir
        target = tmp / name

        def mkdir(self, *args, **kwargs):
            if self == target or target in self.parents:
                raise _oserror(code, self)
            return real(self, *args, **kwargs)

        mp.setattr(Path, "mkdir", mkdir)

    return patch


def _replace_fails(code: int) -> Callable:
    """os.replace raises OSError `code`: the rename that puts a finished file in place."""

    def patch(mp: pytest.MonkeyPatch, tmp: Path) -> None:
        def replace(src, dst, *args, **kwargs):
            raise _oserror(code, dst)

        mp.setattr(os, "replace", replace)

    return patch


def _a_file(mp: pytest.MonkeyPatch, tmp: Path) -> None:
    (tmp / "a_file").write_text("not a folder\n", encoding="utf-8")


@dataclass
class OutCase:
    name: str
    argv: Callable[[Path], list[str]]  # tmp folder -> argv
    expect: str  # regex searched in the error line
    patch: Callable[[pytest.MonkeyPatch, Path], None] | None = None
    bug: tuple[str, str] | None = None  # (regex of the wanted error line, why it is not given yet)
    needs: Path | None = None  # a path the case needs (skipped without it)

    @property
    def command(self) -> str:
        return self.argv(Path("/x"))[0]


ENOSPC = "No space left on device"
EROFS = "Read-only file system"
NO_NAME = ("ENOSPC from a write() carries no file name (OSError.filename is None), so cli.main says 'cannot write or "
           "read a file' instead of naming the file or folder")  # fmt: skip
RUN_NA = ["run", "--only", "05", "--data", str(BAD / "valid.dta"), "--codebook", str(BAD / "dta.cb.yaml")]  # no kernel
OUT_CASES = [
    OutCase("codebook --out /dev/full", lambda t: ["codebook", "--data", str(DATA), "--out", str(DEV_FULL)],
            rf"cannot write or read .*: {ENOSPC}\. " + ADVICE, needs=DEV_FULL,
            bug=(rf"cannot write or read /dev/full: {ENOSPC}", NO_NAME)),
    OutCase("codebook --out, read-only file system", lambda t: ["codebook", "--data", str(DATA), "--out",
            str(t / "cb.yaml")], rf"cannot write or read \S*/cb\.yaml: {EROFS}\. " + ADVICE, _write_text_fails(
            errno.EROFS)),
    OutCase("codebook --out a folder", lambda t: ["codebook", "--data", str(DATA), "--out", str(t)],
            r"cannot write or read \S+: Is a directory\. " + ADVICE),
    OutCase("validate --write, disk full (CSV)", lambda t: ["validate", "--data", str(DATA), "--codebook",
            str(CODEBOOK), "--write", str(t / "out")], rf"cannot write or read \S*/out/survey\.csv: {ENOSPC}\. "
            + ADVICE, _to_csv_fails(errno.ENOSPC)),
    OutCase("validate --write, disk full (codebook.yaml)", lambda t: ["validate", "--data", str(DATA), "--codebook",
            str(CODEBOOK), "--write", str(t / "out")], rf"cannot write or read \S*/out/codebook\.yaml: {ENOSPC}\. "
            + ADVICE, _write_text_fails(errno.ENOSPC)),
    OutCase("validate --write, disk full (error without a file name)", lambda t: ["validate", "--data", str(DATA),
            "--write", str(t / "out")], rf"cannot write or read .*: {ENOSPC}\. " + ADVICE,
            _to_csv_fails(errno.ENOSPC, named=False), bug=(rf"cannot write or read \S*/out\S*: {ENOSPC}", NO_NAME)),
    OutCase("validate --write, read-only file system", lambda t: ["validate", "--data", str(DATA), "--write",
            str(t / "out")], rf"cannot write or read \S*/out: {EROFS}\. " + ADVICE, _mkdir_fails(errno.EROFS, "out")),
    OutCase("validate --write a file", lambda t: ["validate", "--data", str(DATA), "--write", str(t / "a_file")],
            r"cannot write or read \S*/a_file: File exists\. " + ADVICE, _a_file),
    OutCase("simulate --out, disk full (CSV)", lambda t: ["simulate", "--couples", "10", "--out", str(t / "out")],
            rf"cannot write or read \S*/out/survey\.csv: {ENOSPC}\. " + ADVICE, _to_csv_fails(errno.ENOSPC)),
    OutCase("simulate --out, disk full (JSON)", lambda t: ["simulate", "--couples", "10", "--out", str(t / "out")],
            rf"cannot write or read \S*/out/true_parameters\.json: {ENOSPC}\. " + ADVICE,
            _write_text_fails(errno.ENOSPC)),
    OutCase("simulate --out a file", lambda t: ["simulate", "--couples", "10", "--out", str(t / "a_file")],
            r"cannot write or read \S*/a_file: File exists\. " + ADVICE, _a_file),
    OutCase("simulate --out /dev/full", lambda t: ["simulate", "--couples", "10", "--out", str(DEV_FULL)],
            r"cannot write or read /dev/full: File exists\. " + ADVICE, needs=DEV_FULL),
    OutCase("run --out, disk full (folder)", lambda t: ["run", "--only", "00", "--out", str(t / "out")],
            rf"cannot write or read \S*/out: {ENOSPC}\. " + ADVICE, _mkdir_fails(errno.ENOSPC, "out")),
    OutCase("run --out, disk full (index.html)", lambda t: [*RUN_NA, "--out", str(t / "out")],
            rf"cannot write or read \S*/out/index\.html: {ENOSPC}\. " + ADVICE, _replace_fails(errno.ENOSPC)),
    OutCase("run --out, read-only file system", lambda t: ["run", "--only", "00", "--out", str(t / "out")],
            rf"cannot write or read \S*/out: {EROFS}\. " + ADVICE, _mkdir_fails(errno.EROFS, "out")),
    OutCase("run --out a file", lambda t: ["run", "--only", "00", "--out", str(t / "a_file")],
            r"cannot write or read \S*/a_file: File exists\. " + ADVICE, _a_file),
    OutCase("export --out a file", lambda t: ["export", str(make_report(t / "rep")), "--docx", "--out",
            str(t / "a_file")], r"\S*/a_file", _a_file),
    OutCase("export --out, read-only file system", lambda t: ["export", str(make_report(t / "rep")), "--docx",
            "--out", str(t / "out")], rf"\S*/out\S*: {EROFS}", _mkdir_fails(errno.EROFS, "out")),
    OutCase("export --docx, disk full", lambda t: ["export", str(make_report(t / "rep")), "--docx", "--out",
            str(t / "out")], rf"\S*/out\S*: {ENOSPC}", _replace_fails(errno.ENOSPC)),
]  # fmt: skip


@dataclass
class Result:
    code: int | None
    out: str
    err: str
    escaped: BaseException | None
    left: list[str]  # temporary files left in the folder


def _run_out_case(case: OutCase, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    tmp.mkdir(parents=True, exist_ok=True)
    with monkeypatch.context() as mp:
        if case.patch is not None:
            case.patch(mp, tmp)
        outcome = _run_main(case.argv(tmp), monkeypatch, tmp / "processed")
    left = [str(p) for p in tmp.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".connlab-staging")]
    return Result(outcome.code, outcome.out, outcome.err, outcome.escaped, left)


def _error_line(case: OutCase, result: Result) -> tuple[str, list[str]]:
    """The error line, and what is wrong with the outcome (exit code, output) apart from its wording."""
    wrong = []
    if result.escaped is not None:
        wrong.append(f"exception escaped main(): {type(result.escaped).__name__}: {result.escaped}")
    if "Traceback" in result.out + result.err:
        wrong.append("'Traceback' in the output")
    if result.code != 2:
        wrong.append(f"exit {result.code}, not 2")
    lines = result.err.strip().splitlines()
    errors = [line for line in lines if ": error: " in line]
    if case.command != "run" and len(lines) != 1:  # `run` prints progress lines before the error
        wrong.append(f"stderr has {len(lines)} lines, not one")
    if len(errors) != 1 or lines[-1] != errors[0] or not errors[0].startswith(f"connlab {case.command}: error: "):
        wrong.append(f"not one last line 'connlab {case.command}: error: ...'")
    if result.left:
        wrong.append(f"temporary files left: {result.left}")
    return (errors[-1] if errors else ""), wrong


@pytest.mark.parametrize("case", OUT_CASES, ids=[c.name for c in OUT_CASES])
def test_an_output_that_cannot_be_written_is_one_line_with_exit_2(case, tmp_path, monkeypatch):
    if case.needs is not None and not case.needs.exists():
        pytest.skip(f"no {case.needs}")
    result = _run_out_case(case, tmp_path / "work", monkeypatch)
    line, wrong = _error_line(case, result)
    assert not wrong, f"{wrong}\nstdout: {result.out[-500:]}\nstderr: {result.err}"
    assert re.search(case.expect, line), line


BUGS = [c for c in OUT_CASES if c.bug]


@pytest.mark.parametrize("case", BUGS, ids=[c.name for c in BUGS])
def test_the_error_names_what_could_not_be_written(case, tmp_path, monkeypatch):
    if case.needs is not None and not case.needs.exists():
        pytest.skip(f"no {case.needs}")
    line, _ = _error_line(case, _run_out_case(case, tmp_path / "work", monkeypatch))
    assert re.search(case.bug[0], line), line


# ------------------------------------------------------------------------------------ summary
@dataclass
class Tally:
    tried: Counter
    tracebacks: list[str]
    wrong_exit: list[str]
    wrong_message: list[str]
    known_bugs: list[str]

    def check(self, group: str, name: str, *, code, expected: set[int], text: str, escaped, message_ok: bool,
              known: str = "", detail: str = "") -> None:  # fmt: skip
        self.tried[group] += 1
        where = f"{group} {name}"
        if known:  # a known bug (xfail): counted apart, its own test says when it is fixed
            self.known_bugs.append(f"{where}: {known}")
            return
        if escaped is not None or "Traceback" in text:
            self.tracebacks.append(f"{where}: {type(escaped).__name__ if escaped else 'Traceback in output'}")
        if code not in expected:
            self.wrong_exit.append(f"{where}: exit {code}, expected {sorted(expected)}: {text.strip()[-200:]!r}")
        elif not message_ok:
            self.wrong_message.append(f"{where}: {detail or repr(text.strip()[-200:])}")


def test_every_hostile_case_exits_cleanly(tmp_path, monkeypatch):
    """Runs every case (nothing is counted that is not run): the corpus manifest, fuzzer cases, study files,
    the output cases; 0 tracebacks, 0 wrong exit codes, 0 wrong messages (known bugs are counted apart)."""
    tally = Tally(Counter(), [], [], [], [])
    start = time.perf_counter()
    processed = tmp_path / "processed"

    for row in MANIFEST:  # the bad-file corpus, as tests/test_bad_files.py::test_validate_outcome
        argv = ["validate", "--data", str(BAD / row["file"])]
        argv += ["--codebook", str(BAD / row["codebook"])] if row["codebook"] else []
        argv += ["--strict"] if row["strict"] == "1" else []
        result = _run_main(argv, monkeypatch, processed)
        text = result.out + result.err
        tally.check("manifest", f"{row['file']}|{row['codebook'] or '-'}", code=result.code,
                    expected={int(row["expected_exit"])}, text=text, escaped=result.escaped,
                    message_ok=bool(re.search(row["expected_message"], text)), known=row["xfail"])  # fmt: skip

    fuzz = tmp_path / "fuzz"
    seed = _knobs()[1]  # CONNLAB_FUZZ_SEED, as test_fuzz
    for number in range(DEFAULT_CASES, DEFAULT_CASES + FUZZ_CASES):  # each checked as test_fuzz checks it
        case_dir = fuzz / "l1" / "l2" / f"case_{number:04d}"
        failures, outcome = run_case(make_case(number, seed, case_dir), case_dir, monkeypatch)
        counted = ("exception escaped", "'Traceback'", "timeout", f"exit {outcome.code}: ")  # tracebacks, exit codes
        others = [f"{f.kind} ({f.detail})" for f in failures if not f.kind.startswith(counted)]
        tally.check("fuzzer", f"case {number} (seed {seed})", code=outcome.code, expected={0, 1, 2},
                    text=outcome.out + outcome.err, escaped=outcome.escaped, message_ok=not others,
                    detail="; ".join(others))  # fmt: skip

    studies = tmp_path / "studies"
    for k, (name, content) in enumerate([*STUDIES.items(), ("a folder", None)]):  # tests/test_yaml_files.py
        path = studies / f"{k:02d}" / "study.yml"
        path.parent.mkdir(parents=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            path.write_text(content, encoding="utf-8")
        else:
            path = path.parent
        result = _run_main(["replicate", "--study", str(path)], monkeypatch, processed)
        lines = result.err.strip().splitlines()
        ok = len(lines) == 1 and lines[0].startswith("connlab replicate: error: ") and str(path) in lines[0]
        tally.check("study", name, code=result.code, expected={2}, text=result.out + result.err,
                    escaped=result.escaped, message_ok=ok)  # fmt: skip

    for k, case in enumerate(OUT_CASES):
        if case.needs is not None and not case.needs.exists():
            continue
        result = _run_out_case(case, tmp_path / "out" / f"{k:02d}", monkeypatch)
        line, wrong = _error_line(case, result)
        tally.check("output", case.name, code=result.code, expected={2}, text=result.out + result.err,
                    escaped=result.escaped, message_ok=not wrong and bool(re.search(case.expect, line)))  # fmt: skip
        if case.bug and not re.search(case.bug[0], line):
            tally.known_bugs.append(f"output {case.name}: {case.bug[1]}")

    total = sum(tally.tried.values())
    summary = (f"{total} hostile cases in {time.perf_counter() - start:.1f} s ("
               + ", ".join(f"{n} {g}" for g, n in tally.tried.items())
               + f"): {len(tally.tracebacks)} tracebacks, {len(tally.wrong_exit)} wrong exit codes, "
               f"{len(tally.wrong_message)} wrong messages; {len(tally.known_bugs)} known bugs (xfail)")  # fmt: skip
    print("\n" + summary, *[f"  known bug: {b}" for b in tally.known_bugs], sep="\n")
    assert tally.tried["manifest"] == len(MANIFEST) >= 100 and tally.tried["fuzzer"] == FUZZ_CASES
    assert tally.tried["study"] == len(STUDIES) + 1 >= 8
    assert not tally.tracebacks and not tally.wrong_exit and not tally.wrong_message, "\n".join(
        [summary, *tally.tracebacks, *tally.wrong_exit, *tally.wrong_message])
