"""Load data sets: read each table, drop identifying columns, check it against its codebook.

A data set is one or more tables described by a codebook YAML file (format: docs/codebook.md).
`load_dataset` reads every table (`analysis.data.readers`), drops PII columns
(`analysis.data.privacy`), types and checks each variable and applies the exclusion rules
(`analysis.data.validate`, `analysis.data.ledger`), and keeps the row ledger: every input row is
analysed or excluded with its reason. `write_processed` writes the result to ``data/processed/``.
Raw files are only read.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat
import threading
from dataclasses import dataclass, field, replace
from itertools import chain
from pathlib import Path

import pandas as pd
import yaml

from analysis.data.codebook import _find_codebook, _infer_codebook, read_codebook
from analysis.data.design import design_columns
from analysis.data.instrument_library import score_labels
from analysis.data.ledger import LEDGER_COLUMNS
from analysis.data.privacy import pii_columns, write_csv
from analysis.data.readers import CHUNK_ROWS, FormatInfo, iter_table
from analysis.data.validate import PROBLEM_COLUMNS, ValidationError, _read_as_numbers, check_table
from analysis.exceptions import CodebookError, DataError
from analysis.paths import PROCESSED_DIR, data_roots, resolve
from analysis.yaml_files import MAX_BYTES

__all__ = ["TableFile", "Dataset", "file_sha256", "load_dataset", "hand_over", "write_processed"]


@dataclass(frozen=True)
class TableFile:
    """Provenance of one input file: its table, path, SHA-256 and size.

    Parameters
    ----------
    table : str
        The codebook table read from the file (``"codebook"`` for the codebook file itself).
    path : str
        Absolute path of the file.
    sha256 : str
        SHA-256 hex digest of the file's bytes (`file_sha256`).
    rows : int
        Data rows read (0 for the codebook).
    columns : int
        Columns in the file, identifying columns included (0 for the codebook).

    See Also
    --------
    Dataset : Holds one per input file in ``files``.

    Examples
    --------
    >>> from analysis.data.dataset import TableFile
    >>> TableFile("survey", "/data/survey.csv", "ab12", rows=120, columns=40).rows
    120
    """

    table: str
    path: str
    sha256: str
    rows: int
    columns: int


@dataclass(frozen=True)
class Dataset:
    """A loaded data set: its tables (DataFrames), codebook, row ledger and input-file provenance.

    Made by `load_dataset`; frozen (its tables are shared, not copied: do not modify them).

    Parameters
    ----------
    name : str
        Data-set name (the codebook's ``dataset``), used in folder and report names.
    title : str
        Readable title (the codebook's ``title``).
    simulated : bool
        True for simulated data (reports say so).
    codebook : dict
        The checked codebook (`read_codebook`), or the inferred one of a file without codebook.
    codebook_path : str or None
        The codebook file; None when the codebook was inferred.
    tables : dict of str to pandas.DataFrame
        Analysed rows of each table, typed, identifying columns removed; index ``row``, the data
        row number in the file from 1.
    files : tuple of TableFile, optional
        Each input file (and the codebook) with its SHA-256 and size.
    formats : dict of str to FormatInfo, optional
        How each table's file was read.
    problems : pandas.DataFrame, optional
        Invalid values found, one row per value: ``file``, ``table``, ``column``, ``row``,
        ``line`` (file line), ``id`` (respondent id), ``value``, ``problem``, ``fix``,
        ``action`` (``"set to missing"``, or ``"row excluded (strict)"``).
    ledger : pandas.DataFrame, optional
        One row per row read: ``table``, ``row``, ``line``, ``id``, ``status`` (``analysed`` or
        ``excluded``), ``reason`` (an exclusion rule, e.g. ``duplicate_id``), ``detail``.
    removed_columns : pandas.DataFrame, optional
        Identifying columns dropped at load: ``table``, ``column``, ``reason``.
    excluded : dict of str to pandas.DataFrame, optional
        Excluded rows of each table, typed like ``tables``.
    labels : dict, optional
        ``{table: {column: variable label}}`` (codebook, else SPSS/Stata/Qualtrics).
    value_labels : dict, optional
        ``{table: {column: {code: label}}}`` (codebook, else SPSS/Stata).

    See Also
    --------
    load_dataset : Makes it.
    write_processed : Writes its tables, codebook, ledger and problems.
    flow : The CONSORT-style flow of its ledger.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import load_dataset
    >>> codebook = '''
    ... dataset: tiny
    ... tables:
    ...   survey:
    ...     file: survey.csv
    ...     variables:
    ...       person_id: {type: integer, role: id}
    ...       sat: {type: number, range: [1, 7]}
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "codebook.yaml").write_text(codebook)
    ...     _ = (Path(tmp) / "survey.csv").write_text("person_id,sat\\n11,5.5\\n12,6\\n12,4\\n")
    ...     ds = load_dataset(tmp)
    >>> ds.name, list(ds.tables), ds.table().shape
    ('tiny', ['survey'], (2, 2))
    >>> ds.role_column("survey", "id"), ds.row_status().tolist()
    ('person_id', ['analysed', 'analysed', 'excluded'])
    """

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
        """Return the analysed rows of one table (not a copy: do not modify).

        Parameters
        ----------
        name : str, optional
            Table name; default the codebook's first table.

        Returns
        -------
        pandas.DataFrame
            The table, index ``row`` (data row number from 1).

        Raises
        ------
        DataError
            If the data set has no table `name`.
        """
        if name is None:
            return next(iter(self.tables.values()))
        if name not in self.tables:
            raise DataError(f"Data set {self.name!r} has no table {name!r}; tables: {sorted(self.tables)}.")
        return self.tables[name]

    def table_name(self, name: str | None = None) -> str:
        """Return `name` checked, or the codebook's first table when None.

        Parameters
        ----------
        name : str, optional
            Table name.

        Returns
        -------
        str
            A table name of this data set.

        Raises
        ------
        DataError
            If the data set has no table `name`.
        """
        name = name or next(iter(self.tables))
        if name not in self.tables:
            raise DataError(f"Data set {self.name!r} has no table {name!r}; tables: {sorted(self.tables)}.")
        return name

    def row_status(self, name: str | None = None) -> pd.Series:
        """Return the ledger status of every row read of one table.

        Parameters
        ----------
        name : str, optional
            Table name; default the codebook's first table.

        Returns
        -------
        pandas.Series
            ``status`` (``"analysed"`` or ``"excluded"``), indexed by ``row`` (data row number).
        """
        part = self.ledger[self.ledger["table"] == self.table_name(name)]
        return pd.Series(part["status"].to_numpy(), index=pd.Index(part["row"].to_numpy(), name="row"), name="status")

    def rows_read(self, name: str | None = None) -> pd.DataFrame:
        """Return the analysed and excluded rows of one table together, in file order.

        For data-quality checks that must see every row.

        Parameters
        ----------
        name : str, optional
            Table name; default the codebook's first table.

        Returns
        -------
        pandas.DataFrame
            Every row read (typed), index ``row``.
        """
        name = self.table_name(name)
        return pd.concat([self.table(name), self.excluded.get(name, self.table(name).iloc[:0])]).sort_index()

    def variables(self, table: str | None = None) -> dict[str, dict]:
        """Return the codebook's variable entries of one table.

        Parameters
        ----------
        table : str, optional
            Table name; default the codebook's first table.

        Returns
        -------
        dict
            ``{column: entry}`` as in the codebook (``type``, ``role``, ``range``, ...).
        """
        return self.codebook["tables"][self.table_name(table)]["variables"]

    def columns_with_role(self, table: str, role: str) -> list[str]:
        """Return the columns of a table that have one codebook role.

        Parameters
        ----------
        table : str
            Table name (None: the codebook's first table).
        role : str
            A codebook role (``"id"``, ``"dyad_id"``, ``"item"``, ...).

        Returns
        -------
        list of str
            The columns in codebook order (may be empty).
        """
        return [c for c, spec in self.variables(table).items() if spec.get("role") == role]

    def item_ranges(self, table: str | None = None) -> dict[str, list]:
        """Return the response ranges the codebook gives for item columns.

        Parameters
        ----------
        table : str, optional
            Table name; default the codebook's first table.

        Returns
        -------
        dict
            ``{column: [min, max]}`` of the item variables whose codebook entry has a ``range``.
        """
        return {c: v["range"] for c, v in self.variables(table).items() if v.get("role") == "item" and v.get("range")}

    def role_column(self, table: str, role: str) -> str | None:
        """Return the first column of a table with one codebook role.

        Parameters
        ----------
        table : str
            Table name (None: the codebook's first table).
        role : str
            A codebook role (``"id"``, ``"dyad_id"``, ``"partner_role"``, ``"day"``, ...).

        Returns
        -------
        str or None
            The column, or None if no column has the role.
        """
        found = self.columns_with_role(table, role)
        return found[0] if found else None

    def column(self, role: str, *, table: str | None = None, given: str | None = None) -> str | None:
        """Return the column to use for a role: `given` when set, else the table's variable with that
        codebook role (a notebook parameter left at None follows the codebook).

        Parameters
        ----------
        role : str
            A codebook role (``"id"``, ``"dyad_id"``, ``"partner_role"``, ``"day"``, ...).
        table : str, optional
            Table name; default the codebook's first table.
        given : str, optional
            The column the user named; returned as it is.

        Returns
        -------
        str or None
            `given`, else the first column with the role, else None (what a notebook needs is
            checked before it runs: `analysis.runner.needs`).

        Examples
        --------
        >>> import tempfile
        >>> from analysis import load_dataset, write_demo_survey
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     dataset = load_dataset(write_demo_survey(tmp, n_couples=20, seed=1))
        >>> dataset.column("dyad_id"), dataset.column("dyad_id", given="couple"), dataset.column("day", table="survey")
        ('couple_id', 'couple', None)
        """
        return given if given is not None else self.role_column(table, role)

    def design_columns(self, table: str | None = None) -> dict:
        """Return the sample design of a table as the keyword arguments of ``survey_design``.

        Parameters
        ----------
        table : str, optional
            Table name; default the codebook's first table.

        Returns
        -------
        dict
            {} when no variable has a design role (``weight``, ``strata``, ``psu``, ``fpc``,
            ``replicate_weight``) and the ``design`` block names none; else ``weight``, ``strata``
            (a column or None), ``psu``, ``fpc`` (a column, a list of columns by ``stage``, or
            None), ``nest`` (bool) and ``lonely_psu`` (text), from the roles and the table's
            ``design`` block; with replicate weights ``weight``, ``replicate_weights`` (the
            columns, in codebook order), ``replicate_type``, ``scale``, ``rscales``, ``rho`` (None
            when not given) and ``mse`` (bool). So ``survey_design(dataset.table(t),
            **dataset.design_columns(t))`` fits the design.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from analysis import load_dataset
        >>> codebook = '''
        ... tables:
        ...   survey:
        ...     file: survey.csv
        ...     design: {lonely_psu: adjust}
        ...     variables:
        ...       w: {type: number, role: weight}
        ...       st: {type: integer, role: strata}
        ... '''
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = (Path(tmp) / "codebook.yaml").write_text(codebook)
        ...     _ = (Path(tmp) / "survey.csv").write_text("w,st\\n1.5,1\\n2,1\\n0,2\\n")
        ...     ds = load_dataset(tmp)
        >>> ds.design_columns()
        {'weight': 'w', 'strata': 'st', 'psu': None, 'fpc': None, 'nest': False, 'lonely_psu': 'adjust'}
        >>> ds.problems[["column", "row", "value", "problem"]].to_dict("records")
        [{'column': 'w', 'row': 3, 'value': '0', 'problem': 'not positive: a sampling weight must be > 0'}]
        """
        name = self.table_name(table)
        spec = self.codebook["tables"][name]
        return design_columns(spec["variables"], spec.get("design"))

    def instruments(self, table: str | None = None) -> dict[str, dict[str, str]]:
        """Return the instrument items a table holds (the `instruments` argument of scoring).

        Parameters
        ----------
        table : str, optional
            Table name; default the codebook's first table.

        Returns
        -------
        dict
            ``{instrument id: {item id: column}}`` for the columns with role ``item`` and an
            ``instrument`` (item id: the entry's ``item``, else the column name). In a file with
            one row per couple, items marked ``partner: 1`` / ``partner: 2`` are two sets, keyed
            ``<instrument>_p1`` and ``<instrument>_p2`` (scored as such: ``prqc_p1_satisfaction``).
        """
        found: dict[str, dict[str, str]] = {}
        for col, spec in self.variables(table).items():
            if spec.get("role") == "item" and spec.get("instrument"):
                key = str(spec["instrument"]) + (f"_p{spec['partner']}" if spec.get("partner") is not None else "")
                found.setdefault(key, {})[str(spec.get("item", col))] = col
        return found

    def display_labels(self, table: str | None = None) -> dict[str, str]:
        """Return the readable names of a table's variables and instrument scores, for tables and figures.

        Parameters
        ----------
        table : str, optional
            Table name; default the codebook's first table.

        Returns
        -------
        dict
            ``{column: label}`` for the table's columns that have a label (the codebook's
            ``label``, else the SPSS/Stata/Qualtrics label in ``labels``), then the instrument ids
            and score columns its items give (`score_labels`: ``"ecr_s"`` -> ``"ECR-S"``,
            ``"ecr_s_anxiety"`` -> ``"ECR-S anxiety"``); a column's own label wins over a score
            name. Names without a label are left out: look names up with
            ``labels.get(name, name)``.

        Raises
        ------
        DataError
            If the data set has no table `table`.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from analysis import load_dataset
        >>> codebook = '''
        ... dataset: tiny
        ... tables:
        ...   survey:
        ...     file: survey.csv
        ...     variables:
        ...       person_id: {type: integer, role: id}
        ...       sat: {type: number, label: Relationship satisfaction}
        ...       ecr_s_1: {type: integer, role: item, instrument: ecr_s, item: "1", range: [1, 7]}
        ... '''
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = (Path(tmp) / "codebook.yaml").write_text(codebook)
        ...     _ = (Path(tmp) / "survey.csv").write_text("person_id,sat,ecr_s_1\\n11,5.5,3\\n12,6,4\\n")
        ...     ds = load_dataset(tmp)
        >>> ds.display_labels()  # doctest: +NORMALIZE_WHITESPACE
        {'sat': 'Relationship satisfaction', 'ecr_s': 'ECR-S', 'ecr_s_anxiety': 'ECR-S anxiety',
         'ecr_s_avoidance': 'ECR-S avoidance'}
        """
        name = self.table_name(table)
        labels = {c: str(label) for c, label in self.labels.get(name, {}).items() if label}
        for key, text in score_labels(self.instruments(name)).items():
            labels.setdefault(key, text)
        return labels


def file_sha256(path: str | Path) -> str:
    """Compute the SHA-256 hex digest of a file's bytes (read in 1 MiB blocks).

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    str
        64 lower-case hex digits.

    Raises
    ------
    OSError
        If the file cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis.data.dataset import file_sha256
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "empty.csv"
    ...     _ = path.write_bytes(b"")
    ...     digest = file_sha256(path)
    >>> digest[:16]
    'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: set by `connlab run` in its kernels' environment: a private folder (made by the run, removed after it)
#: holding the data sets the runner loaded to check the notebooks' needs (`hand_over`). A notebook's
#: `load_dataset` of the same data, codebook and options takes the data set from there, once the SHA-256 of
#: every file it was read from (data and codebook) is found unchanged, instead of reading, checking and
#: typing the files again (0.1 s a notebook on the demo data; seconds on a large file). Pickle files: only
#: a folder this process's user made should be named here.
HANDOVER_ENV = "CONNLAB_LOADED_DATASETS"


def _handover_path(folder, data, codebook, strict, data_root, keep_tables) -> Path:
    """The file of the data set `load_dataset(data, codebook=..., ...)` in `folder`: named after the
    call's resolved paths and options and the package version."""
    from analysis import __version__

    key = [str(resolve(data)), None if codebook is None else str(resolve(codebook)), bool(strict),
           [str(p) for p in data_roots(data_root)], bool(keep_tables), __version__]  # fmt: skip
    return Path(folder) / (hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32] + ".pkl")


def hand_over(dataset: Dataset, folder: str | Path, data: str | Path, *, codebook: str | Path | None = None,
              strict: bool = False, data_root: str | Path | None = None, keep_tables: bool = True) -> Path:
    """Save `dataset`, as `load_dataset` returned it for these arguments, in `folder` for the notebooks
    of a run (`HANDOVER_ENV`); written whole or not at all. Returns the file."""
    path = _handover_path(folder, data, codebook, strict, data_root, keep_tables)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            pickle.dump(dataset, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _handed_over(data, codebook, strict, data_root, keep_tables) -> Dataset | None:
    """The data set the run handed over for this call (`HANDOVER_ENV`), or None: none, or a file it was
    read from has changed since (its SHA-256 differs) or is gone."""
    folder = os.environ.get(HANDOVER_ENV)
    if not folder or not keep_tables:
        return None
    try:
        with open(_handover_path(folder, data, codebook, strict, data_root, keep_tables), "rb") as fh:
            dataset = pickle.load(fh)
    except Exception:  # none handed over (or unreadable): load it
        return None
    if not isinstance(dataset, Dataset) or not dataset.files:
        return None
    for source in dataset.files:
        try:
            if file_sha256(source.path) != source.sha256:
                return None
        except OSError:
            return None
    return dataset


class _Digest:
    """`file_sha256(path)`, computed in a thread started now: hashlib and file reads release the GIL, so
    the hash of a data file takes no time of its own while the file is read and checked (on a second
    core). A path that is not a regular file is hashed only when asked (a pipe would block)."""

    def __init__(self, path: Path):
        self.path, self.value, self.error = path, None, None
        self.thread = threading.Thread(target=self._run, name="sha256", daemon=True) if path.is_file() else None
        if self.thread is not None:
            self.thread.start()

    def _run(self) -> None:
        try:
            self.value = file_sha256(self.path)
        except BaseException as exc:  # raised by `result`, in the caller's thread
            self.error = exc

    def result(self) -> str:
        """The SHA-256 hex digest (waits for the thread); the error of `file_sha256` if it failed."""
        if self.thread is None:
            return file_sha256(self.path)
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.value


#: checked codebooks by (path, SHA-256 of the file's bytes), pickled: a codebook loaded again unchanged is
#: not parsed and checked again (7 ms for a 20 kB codebook), and every caller gets its own copy
_CODEBOOKS: dict[tuple[str, str], bytes] = {}
_CODEBOOKS_KEPT = 32


def _read_codebook(path: Path) -> tuple[dict, str]:
    """`read_codebook(path)` and the SHA-256 of the file, from `_CODEBOOKS` when the file is unchanged."""
    try:
        info = path.stat()
        digest = file_sha256(path) if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_BYTES else None
    except OSError:
        digest = None  # read_codebook says what is wrong
    saved = _CODEBOOKS.get((str(path), digest)) if digest else None
    if saved is not None:
        return pickle.loads(saved), digest
    spec = read_codebook(path)
    digest = file_sha256(path)  # (after reading, as the file's provenance)
    if len(_CODEBOOKS) >= _CODEBOOKS_KEPT:
        del _CODEBOOKS[next(iter(_CODEBOOKS))]  # the oldest
    _CODEBOOKS[(str(path), digest)] = pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL)
    return spec, digest


def load_dataset(data: str | Path, *, codebook: str | Path | None = None, strict: bool = False,
                 data_root: str | Path | None = None, keep_tables: bool = True) -> Dataset:
    """Load a data set: every table its codebook lists, checked, typed, with the row ledger.

    Parameters
    ----------
    data : str or Path
        A data-set folder holding ``codebook.yaml``, a codebook file, or one data file (CSV, TSV,
        Qualtrics CSV, XLSX, SPSS .sav, Stata .dta). Relative paths are taken from the project root.
    codebook : str or Path, optional
        Codebook for `data`. Default: ``<data stem>.codebook.yaml`` or ``codebook.yaml`` beside
        the data; a file with no codebook is read with inferred types and no roles. A table's
        ``file:`` is taken relative to the codebook; when `data` is a folder and that file is not
        there, the file of the same name in `data` is read.
    strict : bool, default False
        Strict: any problem raises `ValidationError` listing every problem. Lenient: an invalid
        value is set to missing and logged in ``Dataset.problems``.
    data_root : str or Path or list, optional
        Folder(s) the codebook's files may also be read from. Data files are read only from
        inside the codebook's folder, from `data` when both `data` and `codebook` are given,
        and from these folders (and those in the environment variable ``CONNLAB_DATA_ROOT``,
        separated by ``os.pathsep``), so a codebook cannot make us read other files.
    keep_tables : bool, default True
        False: check only (``connlab validate``); files are read in chunks, every row is typed,
        checked and in the ledger, but ``tables`` and ``excluded`` hold no rows, so memory grows
        with the columns, not the rows.

    Returns
    -------
    Dataset
        ``tables`` (analysed rows of each table, typed; index ``row``, the data row number from
        1), ``excluded`` (the excluded rows), ``codebook``, ``files`` (each input file's
        SHA-256, rows and columns), ``formats`` (as detected or set), ``problems`` (one row per
        invalid value), ``ledger`` (one row per row read: rows read = analysed + excluded, with
        the reason), ``removed_columns`` (identifying columns dropped), ``labels`` and
        ``value_labels`` (from the codebook, else from SPSS/Stata/Qualtrics).

    Raises
    ------
    DataError
        If `data` does not exist, a file cannot be read or lies outside the allowed folders, or
        a column the codebook lists is missing from its file; the message names the file and
        column and how to fix it.
    CodebookError
        If `data` is a folder without ``codebook.yaml``, or the codebook is malformed.
    ValidationError
        In strict mode, if any value is invalid; ``.problems`` lists them all (file, column, row,
        line, id, value, problem, fix) and ``.ledger`` holds the row ledger.

    See Also
    --------
    read_codebook : The codebook format and its checks.
    read_table : How each file is read.
    write_processed : Write the loaded data set to ``data/processed/``.
    flow : The CONSORT-style flow of ``Dataset.ledger``.
    sample_overview : Counts of rows, persons, couples and days.

    Notes
    -----
    Order of work for each table: read the file (`read_table`), drop identifying columns
    (codebook role ``pii`` or ``free_text``, or a name such as ``email``; kept with ``keep:
    true``), turn declared missing codes and ``na_values`` into missing, type every codebook
    variable (``integer``, ``number``, ``categorical``, ``string``, ``boolean``) and check
    ``range`` and ``values``, then apply the exclusion rules in this order (the first that
    applies is the row's reason): invalid value (strict mode), duplicate id, failed attention
    check, speeder, straight-lining, too many missing items, incomplete dyad. Missing data: an
    empty cell or a missing code is missing; in lenient mode an invalid value is missing too
    (and listed in ``problems``). Raw files are never written. In a notebook run by ``connlab run``, a
    data set the runner has already loaded for the same call is taken from it while its files are
    unchanged (`HANDOVER_ENV`).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import load_dataset
    >>> codebook = '''
    ... dataset: tiny
    ... tables:
    ...   survey:
    ...     file: survey.csv
    ...     variables:
    ...       person_id: {type: integer, role: id}
    ...       age: {type: integer, missing_codes: [-99]}
    ...       sat: {type: number, range: [1, 7]}
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "codebook.yaml").write_text(codebook)
    ...     _ = (Path(tmp) / "survey.csv").write_text("person_id,age,sat\\n11,34,5.5\\n12,-99,9\\n12,29,4\\n")
    ...     ds = load_dataset(tmp)
    >>> ds.table()["sat"].tolist()  # 9 is outside 1..7: set to missing (lenient mode)
    [5.5, nan]
    >>> ds.problems[["column", "row", "value", "problem"]].to_dict("records")
    [{'column': 'sat', 'row': 2, 'value': '9', 'problem': 'outside 1..7'}]
    >>> ds.ledger["reason"].tolist()
    [<NA>, <NA>, 'duplicate_id']
    """
    handed = _handed_over(data, codebook, strict, data_root, keep_tables)
    if handed is not None:
        return handed
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
        spec, cb_digest = _read_codebook(cb_path)
    base = cb_path.parent if cb_path is not None else data.parent
    roots = [base, *data_roots(data_root)] + ([data] if codebook is not None else [])
    tables, excluded, files, formats, problems, ledgers, removed = {}, {}, [], {}, [], [], []
    labels, value_labels = {}, {}
    for tname, tspec in spec["tables"].items():
        if data.is_file() and (len(spec["tables"]) == 1 or Path(str(tspec["file"])).name == data.name):
            path = data
        elif data.is_dir() and codebook is not None and not (base / str(tspec["file"])).exists():
            path = _inside(data / Path(str(tspec["file"])).name, roots, cb_path, tname)  # the folder named
        else:
            path = _inside(base / str(tspec["file"]), roots, cb_path, tname)
        digest = _Digest(path)  # hashed while the table is read and checked
        variables = tspec["variables"]
        drop: dict[str, str] = {}
        while True:  # identifying values first seen in a later chunk: read the table again without them
            chunks = iter_table(path, format=tspec.get("format"), numeric=_read_as_numbers(variables),
                                chunk_rows=None if keep_tables else CHUNK_ROWS)  # fmt: skip
            first = next(chunks)
            drop |= pii_columns(first.frame, variables)
            try:
                kept_variables = {k: v for k, v in variables.items() if k not in drop}
                check = check_table(_screened(chain([first], chunks), variables, drop), table=tname,
                                    variables=kept_variables, exclusions=tspec.get("exclusions"), strict=strict,
                                    keep_rows=keep_tables, design=tspec.get("design"))  # fmt: skip
                break
            except _LaterPII as late:
                drop |= late.columns
        removed += [{"table": tname, "column": c, "reason": r} for c, r in drop.items()]
        n_columns = first.frame.shape[1]
        tables[tname] = check.analysed
        excluded[tname] = check.excluded
        kept = [c for c in first.frame.columns if c not in drop]
        labels[tname] = {c: str(variables.get(c, {}).get("label") or first.labels.get(c, "")) for c in kept
                         if variables.get(c, {}).get("label") or first.labels.get(c)}  # fmt: skip
        value_labels[tname] = {c: dict(variables.get(c, {}).get("value_labels") or first.value_labels.get(c, {}))
                               for c in kept
                               if variables.get(c, {}).get("value_labels") or first.value_labels.get(c)}  # fmt: skip
        formats[tname] = first.format
        problems.append(check.problems)
        ledgers.append(check.ledger)
        files.append(TableFile(tname, str(path), digest.result(), len(check.ledger), n_columns))
    if cb_path is not None:
        files.append(TableFile("codebook", str(cb_path), cb_digest, 0, 0))
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


def _inside(path: Path, roots: list[Path], codebook: Path | None, table: str) -> Path:
    """`path` if it lies inside one of `roots` (symbolic links and ``..`` resolved), else a DataError."""
    resolved = path.resolve()
    for root in roots:
        root = root.resolve()
        if resolved == root or resolved.is_relative_to(root if root.is_dir() else root.parent):
            if root.is_dir() or resolved == root:
                return resolved
    where = f"codebook {codebook}, table {table!r}" if codebook else f"table {table!r}"
    raise DataError(f"{where}: its file {resolved} is outside the data folder {roots[0].resolve()}. Data are read "
                    "only from the codebook's folder: move the file there, or allow its folder explicitly with "
                    f"--data-root {resolved.parent} (load_dataset(..., data_root=...)).")  # fmt: skip


class _LaterPII(Exception):
    """Identifying values found after the first chunk of a table (`_screened`)."""

    def __init__(self, columns: dict[str, str]):
        super().__init__(", ".join(columns))
        self.columns = columns


def _screened(chunks, variables: dict, drop: dict[str, str]):
    """The chunks without the identifying columns `drop`; every chunk's values are screened too, and a
    column found identifying only in a later chunk stops the read (`_LaterPII`) to start it again."""
    for i, raw in enumerate(chunks):
        frame = raw.frame.drop(columns=list(drop))
        if i:
            late = pii_columns(frame, variables)
            if late:
                raise _LaterPII(late)
        yield replace(raw, frame=frame)


def _target(folder: Path, name: str) -> Path:
    """`folder / name`, refused unless it stays inside `folder` (a table named ``../x`` cannot escape)."""
    path = (folder / name).resolve()
    if path.parent != folder:
        raise DataError(f"Table name {name!r} would be written outside {folder}; name tables with letters, digits, "
                        "'_', '-' and '.' only.")  # fmt: skip
    return path


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

    Parameters
    ----------
    dataset : Dataset
        A loaded data set (`load_dataset`).
    out_dir : str or Path, optional
        Folder to write to (created if needed); default ``data/processed/<dataset name>/``. A
        relative path is taken from the project root.

    Returns
    -------
    Path
        The folder, holding ``<table>.csv`` for each table (analysed rows, without the row
        index), ``codebook.yaml`` (the tables' variables as loaded, exclusions switched off
        since they were applied, and ``processed_from``: each input file with its SHA-256),
        ``ledger.csv`` and ``problems.csv``.

    Raises
    ------
    OSError
        If the folder cannot be written.

    See Also
    --------
    load_dataset : Reads the processed folder back (it is a data set with a codebook).
    analysis.data.privacy.write_csv : How the CSV files are written.

    Notes
    -----
    Identifying columns were dropped at load time, so they are never written. Text cells that
    start with ``=``, ``+``, ``-`` or ``@`` get a leading ``'`` so that spreadsheet programs do
    not run them as formulas (`analysis.data.privacy.neutralize_formulas`).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import load_dataset, write_processed
    >>> codebook = '''
    ... dataset: tiny
    ... tables:
    ...   survey:
    ...     file: survey.csv
    ...     variables:
    ...       person_id: {type: integer, role: id}
    ...       sat: {type: number}
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "codebook.yaml").write_text(codebook)
    ...     _ = (Path(tmp) / "survey.csv").write_text("person_id,sat\\n11,5.5\\n12,6\\n")
    ...     out = write_processed(load_dataset(tmp), Path(tmp) / "processed")
    ...     written = sorted(p.name for p in out.iterdir())
    >>> written
    ['codebook.yaml', 'ledger.csv', 'problems.csv', 'survey.csv']
    """
    out = (resolve(out_dir) if out_dir is not None else PROCESSED_DIR / dataset.name).resolve()
    if out_dir is None and not out.is_relative_to(PROCESSED_DIR.resolve()):
        raise DataError(f"Data-set name {dataset.name!r} would be written outside {PROCESSED_DIR}; give the "
                        "codebook a `dataset:` of letters, digits, '_', '-' and '.' only.")  # fmt: skip
    analysed = dataset.ledger[dataset.ledger["status"] == "analysed"].groupby("table").size()
    if any(len(frame) != analysed.get(name, 0) for name, frame in dataset.tables.items()):
        raise DataError("write_processed needs a data set loaded with its rows (load_dataset(..., keep_tables=True)).")
    out.mkdir(parents=True, exist_ok=True)
    codebook = {k: v for k, v in dataset.codebook.items() if k != "tables"}
    codebook["tables"] = {}
    for name, frame in dataset.tables.items():
        write_csv(frame.reset_index(drop=True), _target(out, f"{name}.csv"))
        spec = dict(dataset.codebook["tables"][name])
        spec["file"] = f"{name}.csv"
        spec["format"] = {"kind": "csv", "encoding": "utf-8", "sep": ",", "decimal": ".", "escaped_formulas": True}
        spec["variables"] = {c: v for c, v in spec["variables"].items() if c in frame.columns}
        spec["exclusions"] = {"duplicate_id": "none", "attention_check": False}  # already applied
        codebook["tables"][name] = spec
    codebook["processed_from"] = [{"path": f.path, "sha256": f.sha256} for f in dataset.files]
    text = yaml.safe_dump(codebook, sort_keys=False, allow_unicode=True)
    _target(out, "codebook.yaml").write_text(text, encoding="utf-8")
    write_csv(dataset.ledger, _target(out, "ledger.csv"))
    write_csv(dataset.problems, _target(out, "problems.csv"))
    return out
