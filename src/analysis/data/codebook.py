"""Codebooks: reading a codebook file and checking every entry (types, roles, ranges, codes,
exclusion rules), finding the codebook of a data file, and inferring variables when there is none.

The format is described in ``docs/codebook.md``; drafting a codebook from a data file is in
`analysis.data.codebook_draft`, checking a table against it in `analysis.data.validate`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from analysis.data.readers import read_table
from analysis.exceptions import CodebookError
from analysis.paths import resolve

__all__ = ["read_codebook", "infer_variables"]

TYPES = ("integer", "number", "categorical", "string", "boolean")
ROLES = ("id", "dyad_id", "partner_role", "day", "item", "attention_check", "duration", "demographic",
         "metadata", "daily", "free_text", "pii", "outcome", "predictor", "score", "other")  # fmt: skip
FORMAT_KEYS = {"kind", "encoding", "sep", "decimal", "sheet"}
EXCLUSION_RULES = {
    "duplicate_id": ("one of keep_first, exclude_all, none", lambda v: v in ("keep_first", "exclude_all", "none")),
    "attention_check": ("true or false", lambda v: isinstance(v, bool)),
    "complete_dyads": ("true or false", lambda v: isinstance(v, bool)),
    "max_missing_items": ("a share between 0 and 1, e.g. 0.5",
                          lambda v: _number(v) and 0 <= v <= 1),
    "min_duration": ("a number of seconds, e.g. 300", lambda v: v is None or (_number(v) and v >= 0)),
    "straight_lining": ("false or a number of items >= 2, e.g. 10",
                        lambda v: v is False or v is None or (isinstance(v, int) and not isinstance(v, bool)
                                                              and v >= 2)),
}  # fmt: skip


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_variable(where: str, vspec) -> None:
    if not isinstance(vspec, dict) or vspec.get("type") not in TYPES:
        got = vspec.get("type") if isinstance(vspec, dict) else vspec
        raise CodebookError(f"{where}: `type` must be one of {', '.join(TYPES)}, not {got!r}.")
    rng = vspec.get("range")
    if rng is not None and not (isinstance(rng, list) and len(rng) == 2 and all(map(_number, rng))
                                and rng[0] <= rng[1]):
        raise CodebookError(f"{where}: `range` must be [low, high] numbers, e.g. range: [18, 100]; not {rng!r}.")
    for key in ("values", "missing_codes", "na_values"):
        value = vspec.get(key)
        if value is not None and not isinstance(value, list):
            raise CodebookError(f"{where}: `{key}` must be a list, e.g. {key}: [{value!r}]; not {value!r}.")
    for code in vspec.get("missing_codes") or []:
        if isinstance(code, dict) and not (list(code) == ["range"] and isinstance(code["range"], list)
                                           and len(code["range"]) == 2 and all(map(_number, code["range"]))):
            raise CodebookError(f"{where}: a missing-code range is written {{range: [98, 99]}}, not {code!r}.")
    role = vspec.get("role")
    if role is not None and role not in ROLES:
        raise CodebookError(f"{where}: `role` must be one of {', '.join(ROLES)}, not {role!r}.")


def _check_exclusions(where: str, rules) -> None:
    if rules is None:
        return
    if not isinstance(rules, dict):
        raise CodebookError(f"{where}: `exclusions` must be a mapping of rules (see docs/codebook.md).")
    for key, value in rules.items():
        if key not in EXCLUSION_RULES:
            raise CodebookError(f"{where}: unknown exclusion rule {key!r}; rules: {', '.join(EXCLUSION_RULES)}.")
        text, ok = EXCLUSION_RULES[key]
        if not ok(value):
            raise CodebookError(f"{where}: exclusion rule `{key}` must be {text}; not {value!r}.")


CODEBOOK_NAMES = ("codebook.yaml", "codebook.yml")


def read_codebook(path: str | Path) -> dict:
    """Read and check a codebook YAML file.

    Parameters
    ----------
    path : str or Path
        The codebook file (format: ``docs/codebook.md``). A relative path is taken from the
        project root.

    Returns
    -------
    dict
        The codebook as written, checked: ``tables`` (``{table name: {file, variables, format,
        exclusions, unit, ...}}``), plus ``dataset`` (default: the codebook folder's name),
        ``title`` (default: the data-set name) and ``simulated`` (default False) filled in when
        absent.

    Raises
    ------
    CodebookError
        If the file is missing, cannot be read or is not YAML, has no ``tables:`` mapping, or a
        table, variable, ``format`` or ``exclusions`` entry is malformed (an unknown ``type`` or
        ``role``, a ``range`` that is not ``[low, high]``, an unknown exclusion rule, ...); the
        message names the file, table and variable and says how to write the entry.

    See Also
    --------
    load_dataset : Reads a data set with its codebook.
    draft_codebook : Drafts a codebook from a data file.

    Notes
    -----
    Only the codebook itself is checked here; whether the data file has the columns and values
    the codebook describes is checked when the data set is loaded (`load_dataset`).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import read_codebook
    >>> text = '''
    ... dataset: tiny
    ... tables:
    ...   survey:
    ...     file: survey.csv
    ...     variables:
    ...       person_id: {type: integer, role: id}
    ...       sat: {type: number, range: [1, 7]}
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "codebook.yaml"
    ...     _ = path.write_text(text, encoding="utf-8")
    ...     codebook = read_codebook(path)
    >>> list(codebook["tables"]["survey"]["variables"]), codebook["title"]
    (['person_id', 'sat'], 'tiny')
    """
    path = resolve(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CodebookError(f"Codebook {path} does not exist. Pass --codebook with an existing file.") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CodebookError(f"Cannot read codebook {path}: {exc}. It must be a UTF-8 YAML file.") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("tables"), dict) or not spec["tables"]:
        raise CodebookError(f"Codebook {path} has no `tables:` mapping (see docs/codebook.md for the format).")
    for tname, table in spec["tables"].items():
        where = f"codebook {path}, table {tname!r}"
        if not isinstance(table, dict) or "file" not in table or not isinstance(table.get("variables"), dict):
            raise CodebookError(f"{where} needs `file:` and a `variables:` mapping.")
        for var, vspec in table["variables"].items():
            _check_variable(f"{where}, variable {var!r}", vspec)
        _check_exclusions(where, table.get("exclusions"))
        fmt = table.get("format")
        if fmt is not None and (not isinstance(fmt, dict) or set(fmt) - FORMAT_KEYS):
            raise CodebookError(f"{where}: `format` must be a mapping with keys from {sorted(FORMAT_KEYS)}.")
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


def infer_variables(frame: pd.DataFrame) -> dict[str, dict]:
    """Infer codebook variable entries from the values: types only (no roles, ranges or labels).

    Parameters
    ----------
    frame : pandas.DataFrame
        Values as read (`read_table`).

    Returns
    -------
    dict
        ``{column: {"type": kind}}`` with kind ``"integer"`` (every value a whole number),
        ``"number"`` (every value a number) or ``"string"`` (anything else, or no values).

    See Also
    --------
    draft_codebook : Adds ranges, labels, roles and instrument matches to these entries.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.data.codebook import infer_variables
    >>> infer_variables(pd.DataFrame({"id": ["1", "2"], "sat": ["4.5", "3"], "note": ["ok", None]}))
    {'id': {'type': 'integer'}, 'sat': {'type': 'number'}, 'note': {'type': 'string'}}
    """
    variables = {}
    for col in frame.columns:
        values = frame[col].dropna()
        num = pd.to_numeric(values.astype("string").str.strip(), errors="coerce")
        if values.empty or num.isna().any():
            kind = "string"
        else:
            kind = "integer" if (num % 1 == 0).all() else "number"
        variables[str(col)] = {"type": kind}
    return variables


def _infer_codebook(data: Path) -> dict:
    """Minimal codebook for a file that has none: every column with its inferred type."""
    raw = read_table(data)
    return {"dataset": data.stem, "title": data.name, "simulated": False, "inferred": True,
            "tables": {"data": {"file": str(data), "variables": infer_variables(raw.frame)}}}  # fmt: skip
