"""Load data sets: read each table, drop identifying columns, check it against its codebook.

A data set is one or more tables described by a codebook YAML file (format: docs/codebook.md).
`load_dataset` reads every table (`analysis.readers`), drops PII columns (`analysis.privacy`),
types and checks each variable and applies the exclusion rules (`analysis.validate`), and keeps
the row ledger: every input row is analysed or excluded with its reason. Raw files are only read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import yaml

from analysis.data.codebook import _find_codebook, _infer_codebook, read_codebook
from analysis.data.ledger import LEDGER_COLUMNS
from analysis.data.privacy import pii_columns, write_csv
from analysis.data.readers import FormatInfo, read_table
from analysis.data.validate import PROBLEM_COLUMNS, ValidationError, check_table
from analysis.exceptions import CodebookError, DataError
from analysis.paths import PROCESSED_DIR, resolve

__all__ = ["TableFile", "Dataset", "file_sha256", "load_dataset", "write_processed"]


@dataclass(frozen=True)
class TableFile:
    """Provenance of one input file."""

    table: str
    path: str
    sha256: str
    rows: int
    columns: int


@dataclass(frozen=True)
class Dataset:
    """A loaded data set: its tables (DataFrames), codebook and input-file provenance."""

    name: str
    title: str
    simulated: bool
    codebook: dict
    codebook_path: str | None
    tables: dict[str, pd.DataFrame]
    files: tuple[TableFile, ...] = field(default_factory=tuple)
    formats: dict[str, FormatInfo] = field(default_factory=dict)
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS))
    ledger: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LEDGER_COLUMNS))
    removed_columns: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["table", "column", "reason"]))
    excluded: dict[str, pd.DataFrame] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    value_labels: dict[str, dict[str, dict]] = field(default_factory=dict)

    def table(self, name: str | None = None) -> pd.DataFrame:
        """The table `name` (default: the codebook's first table). Not a copy: do not modify."""
        if name is None:
            return next(iter(self.tables.values()))
        if name not in self.tables:
            raise DataError(f"Data set {self.name!r} has no table {name!r}; tables: {sorted(self.tables)}.")
        return self.tables[name]

    def table_name(self, name: str | None = None) -> str:
        """`name` checked, or the codebook's first table when None."""
        name = name or next(iter(self.tables))
        if name not in self.tables:
            raise DataError(f"Data set {self.name!r} has no table {name!r}; tables: {sorted(self.tables)}.")
        return name

    def row_status(self, name: str | None = None) -> pd.Series:
        """Ledger status (``analysed`` / ``excluded``) of every row read, indexed by row number."""
        part = self.ledger[self.ledger["table"] == self.table_name(name)]
        return pd.Series(part["status"].to_numpy(), index=pd.Index(part["row"].to_numpy(), name="row"), name="status")

    def rows_read(self, name: str | None = None) -> pd.DataFrame:
        """Analysed and excluded rows of table `name` together, in file order (for data-quality
        checks that must see every row)."""
        name = self.table_name(name)
        return pd.concat([self.table(name), self.excluded.get(name, self.table(name).iloc[:0])]).sort_index()

    def variables(self, table: str | None = None) -> dict[str, dict]:
        return self.codebook["tables"][self.table_name(table)]["variables"]

    def columns_with_role(self, table: str, role: str) -> list[str]:
        return [c for c, spec in self.variables(table).items() if spec.get("role") == role]

    def item_ranges(self, table: str | None = None) -> dict[str, list]:
        """``{column: [min, max]}`` of the item variables whose codebook gives a `range`."""
        return {c: v["range"] for c, v in self.variables(table).items() if v.get("role") == "item" and v.get("range")}

    def role_column(self, table: str, role: str) -> str | None:
        """The one column of `table` with codebook role `role` (None if there is none)."""
        found = self.columns_with_role(table, role)
        return found[0] if found else None

    def instruments(self, table: str | None = None) -> dict[str, dict[str, str]]:
        """Instrument items held in `table`: ``{instrument id: {item id: column}}``."""
        found: dict[str, dict[str, str]] = {}
        for col, spec in self.variables(table).items():
            if spec.get("role") == "item" and spec.get("instrument"):
                found.setdefault(str(spec["instrument"]), {})[str(spec.get("item", col))] = col
        return found


def file_sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_dataset(data: str | Path, *, codebook: str | Path | None = None, strict: bool = False) -> Dataset:
    """Load a data set: every table its codebook lists, checked, typed, with the row ledger.

    Parameters
    ----------
    data : str or Path
        A data-set folder holding ``codebook.yaml``, a codebook file, or one data file (CSV, TSV,
        Qualtrics CSV, XLSX, SPSS .sav, Stata .dta). Relative paths are taken from the project root.
    codebook : str or Path, optional
        Codebook for `data`. Default: ``<data stem>.codebook.yaml`` or ``codebook.yaml`` beside
        the data; a file with no codebook is read with inferred types and no roles.
    strict : bool, default False
        Strict: any problem raises `ValidationError` listing every problem. Lenient: an invalid
        value is set to missing and logged in ``Dataset.problems``.

    Returns
    -------
    Dataset
        Analysed rows of each table (index: data row number from 1), the codebook, each input
        file's SHA-256 and row count, the formats detected, the problems found, the row ledger
        (rows read = analysed + excluded, with reasons), the identifying columns removed, and the
        variable and value labels (from the codebook, else from SPSS/Stata/Qualtrics).

    Raises
    ------
    DataError, CodebookError, ValidationError
        With the file, column, row and value at fault and how to fix it.
    """
    data = resolve(data)
    if not data.exists():
        raise DataError(f"{data} does not exist. Pass --data with a data file or a data-set folder.")
    if codebook is None and data.suffix in (".yaml", ".yml"):
        codebook, data = data, data.parent
    cb_path = resolve(codebook) if codebook is not None else _find_codebook(data)
    if cb_path is None:
        if data.is_dir():
            raise CodebookError(f"{data} is a folder without codebook.yaml; pass --codebook FILE.")
        spec, cb_path = _infer_codebook(data), None
    else:
        spec = read_codebook(cb_path)
    base = cb_path.parent if cb_path is not None else data.parent
    tables, excluded, files, formats, problems, ledgers, removed = {}, {}, [], {}, [], [], []
    labels, value_labels = {}, {}
    for tname, tspec in spec["tables"].items():
        path = resolve(base / tspec["file"])
        if data.is_file() and (len(spec["tables"]) == 1 or Path(tspec["file"]).name == data.name):
            path = data
        variables = tspec["variables"]
        text_columns = [c for c, v in variables.items() if v.get("type") in ("string", "categorical")]
        raw = read_table(path, format=tspec.get("format"), text_columns=text_columns)
        n_columns = raw.frame.shape[1]
        drop = pii_columns(raw.frame.columns, variables)
        removed += [{"table": tname, "column": c, "reason": r} for c, r in drop.items()]
        raw = replace(raw, frame=raw.frame.drop(columns=list(drop)))
        check = check_table(raw, table=tname, variables={k: v for k, v in variables.items() if k not in drop},
                            exclusions=tspec.get("exclusions"), strict=strict)  # fmt: skip
        tables[tname] = check.analysed
        excluded[tname] = check.excluded
        kept = [c for c in raw.frame.columns]
        labels[tname] = {c: str(variables.get(c, {}).get("label") or raw.labels.get(c, "")) for c in kept
                         if variables.get(c, {}).get("label") or raw.labels.get(c)}  # fmt: skip
        value_labels[tname] = {c: dict(variables.get(c, {}).get("value_labels") or raw.value_labels.get(c, {}))
                               for c in kept if variables.get(c, {}).get("value_labels") or raw.value_labels.get(c)}  # fmt: skip
        formats[tname] = raw.format
        problems.append(check.problems)
        ledgers.append(check.ledger)
        files.append(TableFile(tname, str(path), file_sha256(path), len(raw.frame), n_columns))
    if cb_path is not None:
        files.append(TableFile("codebook", str(cb_path), file_sha256(cb_path), 0, 0))
    problems = pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(columns=PROBLEM_COLUMNS)
    ledger = pd.concat(ledgers, ignore_index=True)
    if strict and len(problems):
        raise ValidationError(_problem_message(problems), problems, ledger)
    return Dataset(
        name=str(spec["dataset"]), title=str(spec["title"]), simulated=bool(spec.get("simulated", False)),
        codebook=spec, codebook_path=str(cb_path) if cb_path is not None else None, tables=tables,
        files=tuple(files), formats=formats, problems=problems, ledger=ledger,
        removed_columns=pd.DataFrame(removed, columns=["table", "column", "reason"]), excluded=excluded,
        labels=labels, value_labels=value_labels,
    )  # fmt: skip


def _problem_message(problems: pd.DataFrame, limit: int = 30) -> str:
    lines = [f"{len(problems)} problem(s) found (strict mode):"]
    for p in problems.head(limit).itertuples():
        who = f", id {p.id}" if p.id is not None and not pd.isna(p.id) else ""
        lines.append(f"  {Path(p.file).name}, column {p.column!r}, row {p.row} (line {p.line}{who}): "
                     f"value {p.value!r} is {p.problem}. Fix: {p.fix}.")  # fmt: skip
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more (Dataset.problems / connlab validate lists all).")
    return "\n".join(lines)


def write_processed(dataset: Dataset, out_dir: str | Path | None = None) -> Path:
    """Write the analysed tables (CSV, formula-safe), their codebook, the ledger and the problems.

    Default folder: ``data/processed/<dataset name>/``. Identifying columns were already dropped
    at load time, so they are never written. Returns the folder.
    """
    out = resolve(out_dir) if out_dir is not None else PROCESSED_DIR / dataset.name
    out.mkdir(parents=True, exist_ok=True)
    codebook = {k: v for k, v in dataset.codebook.items() if k != "tables"}
    codebook["tables"] = {}
    for name, frame in dataset.tables.items():
        write_csv(frame.reset_index(drop=True), out / f"{name}.csv")
        spec = dict(dataset.codebook["tables"][name])
        spec["file"] = f"{name}.csv"
        spec.pop("format", None)
        spec["variables"] = {c: v for c, v in spec["variables"].items() if c in frame.columns}
        spec["exclusions"] = {"duplicate_id": "none", "attention_check": False}  # already applied
        codebook["tables"][name] = spec
    codebook["processed_from"] = [{"path": f.path, "sha256": f.sha256} for f in dataset.files]
    (out / "codebook.yaml").write_text(yaml.safe_dump(codebook, sort_keys=False, allow_unicode=True), encoding="utf-8")
    write_csv(dataset.ledger, out / "ledger.csv")
    write_csv(dataset.problems, out / "problems.csv")
    return out
