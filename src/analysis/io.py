"""Read data sets and their codebooks.

A data set is one or more tables (CSV files) described by a codebook YAML file::

    dataset: demo_survey
    title: ...
    simulated: true            # shown as a banner in every report
    tables:
      survey:
        file: survey.csv        # relative to the codebook
        unit: person
        variables:
          age: {type: integer, role: demographic, range: [18, 100], missing_codes: [-99]}
          ecr_s_1: {type: integer, role: item, instrument: ecr_s, item: "1", range: [1, 7]}

Types: integer, number, categorical, string, boolean. Roles: id, dyad_id, partner_role, day,
item, attention_check, demographic, metadata, daily, free_text. Raw files are only read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .exceptions import CodebookError, DataError
from .paths import resolve

__all__ = ["Dataset", "TableFile", "load_dataset", "read_codebook", "file_sha256"]

TYPES = ("integer", "number", "categorical", "string", "boolean")
CODEBOOK_NAMES = ("codebook.yaml", "codebook.yml")


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

    def table(self, name: str | None = None) -> pd.DataFrame:
        """The table `name` (default: the codebook's first table). Not a copy: do not modify."""
        if name is None:
            return next(iter(self.tables.values()))
        if name not in self.tables:
            raise DataError(f"Data set {self.name!r} has no table {name!r}; tables: {sorted(self.tables)}.")
        return self.tables[name]

    def variables(self, table: str | None = None) -> dict[str, dict]:
        return self.codebook["tables"][table or next(iter(self.tables))]["variables"]

    def columns_with_role(self, table: str, role: str) -> list[str]:
        return [c for c, spec in self.variables(table).items() if spec.get("role") == role]

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


def read_codebook(path: str | Path) -> dict:
    """Read and check a codebook YAML file.

    Raises
    ------
    CodebookError
        If the file cannot be read, is not YAML, or a table or variable entry is malformed; the
        message names the file, table and variable.
    """
    path = resolve(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CodebookError(f"Codebook {path} does not exist. Pass --codebook with an existing file.") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CodebookError(f"Cannot read codebook {path}: {exc}. It must be a UTF-8 YAML file.") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("tables"), dict) or not spec["tables"]:
        raise CodebookError(f"Codebook {path} has no `tables:` mapping (see analysis/io.py for the format).")
    for tname, table in spec["tables"].items():
        where = f"codebook {path}, table {tname!r}"
        if not isinstance(table, dict) or "file" not in table or not isinstance(table.get("variables"), dict):
            raise CodebookError(f"{where} needs `file:` and a `variables:` mapping.")
        for var, vspec in table["variables"].items():
            if not isinstance(vspec, dict) or vspec.get("type") not in TYPES:
                got = vspec.get("type") if isinstance(vspec, dict) else vspec
                raise CodebookError(
                    f"{where}, variable {var!r}: `type` must be one of {', '.join(TYPES)}, not {got!r}."
                )
    spec.setdefault("dataset", path.parent.name)
    spec.setdefault("title", spec["dataset"])
    spec.setdefault("simulated", False)
    return spec


def _find_codebook(data: Path) -> Path | None:
    folder = data if data.is_dir() else data.parent
    candidates = [folder / n for n in CODEBOOK_NAMES]
    if data.is_file():
        candidates.insert(0, data.with_suffix(".codebook.yaml"))
    return next((c for c in candidates if c.exists()), None)


def _infer_codebook(data: Path) -> dict:
    """Minimal codebook for a CSV that has none: every column, with its pandas-inferred type."""
    frame = _read_csv(data, table="data")
    variables = {}
    for col in frame.columns:
        text = frame[col].dropna()
        num = pd.to_numeric(text.str.strip(), errors="coerce")
        if text.empty or num.isna().any():
            kind = "string"
        else:
            kind = "integer" if (num % 1 == 0).all() else "number"
        variables[str(col)] = {"type": kind}
    return {"dataset": data.stem, "title": data.name, "simulated": False, "inferred": True,
            "tables": {"data": {"file": str(data), "variables": variables}}}  # fmt: skip


def _read_csv(path: Path, *, table: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except FileNotFoundError:
        raise DataError(f"Data file {path} (table {table!r}) does not exist.") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"Cannot read {path} (table {table!r}) as a UTF-8 CSV file: {exc}") from None


def _convert(raw: pd.DataFrame, variables: dict, path: Path) -> pd.DataFrame:
    missing = [v for v in variables if v not in raw.columns]
    if missing:
        raise DataError(
            f"{path} has no column {', '.join(map(repr, missing))} that its codebook lists. "
            "Fix the column name in the file or the codebook."
        )
    out = {}
    for col in raw.columns:
        spec = variables.get(col, {"type": "string"})
        values = raw[col]
        codes = {str(c) for c in spec.get("missing_codes", [])}
        if codes:
            values = values.mask(values.isin(codes))
        kind = spec["type"]
        if kind in ("integer", "number", "boolean"):
            num = pd.to_numeric(values.str.strip(), errors="coerce")
            bad = values.notna() & num.isna()
            if kind == "integer":
                bad |= num.notna() & (num % 1 != 0)
            if bad.any():
                rows = np.flatnonzero(bad.to_numpy())
                first = rows[0]
                raise DataError(
                    f"{path}, column {col!r}: {rows.size} value(s) are not {kind}s; first at row "
                    f"{first + 1} (file line {first + 2}): {values.iloc[first]!r}. Recode it, or list it "
                    f"under `missing_codes` for {col!r} in the codebook."
                )
            out[col] = num.astype("Int64") if kind == "integer" else num.astype(float)
        elif kind == "categorical":
            out[col] = values.astype("category")
        else:
            out[col] = values.astype("string")
    return pd.DataFrame(out, index=raw.index)


def load_dataset(data: str | Path, *, codebook: str | Path | None = None) -> Dataset:
    """Load a data set: every table its codebook lists, typed, with missing codes set to NA.

    Parameters
    ----------
    data : str or Path
        A data-set folder holding ``codebook.yaml``, a codebook file, or one data file (CSV).
        Relative paths are taken from the project root.
    codebook : str or Path, optional
        Codebook for `data`. Default: ``<data stem>.codebook.yaml`` or ``codebook.yaml`` beside
        the data; a CSV with no codebook is read with inferred types and no roles.

    Returns
    -------
    Dataset
        Tables as DataFrames, the codebook, and for each input file its SHA-256 and row count.

    Raises
    ------
    DataError, CodebookError
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
    tables, files = {}, []
    for tname, tspec in spec["tables"].items():
        path = resolve(base / tspec["file"])
        if data.is_file() and (len(spec["tables"]) == 1 or Path(tspec["file"]).name == data.name):
            path = data
        frame = _convert(_read_csv(path, table=tname), tspec["variables"], path)
        tables[tname] = frame
        files.append(TableFile(tname, str(path), file_sha256(path), len(frame), frame.shape[1]))
    if cb_path is not None:
        files.append(TableFile("codebook", str(cb_path), file_sha256(cb_path), 0, 0))
    return Dataset(
        name=str(spec["dataset"]),
        title=str(spec["title"]),
        simulated=bool(spec.get("simulated", False)),
        codebook=spec,
        codebook_path=str(cb_path) if cb_path is not None else None,
        tables=tables,
        files=tuple(files),
    )
