"""Draft a codebook from a data file, for the user to check and edit (`connlab codebook`).

The draft guesses types, ranges, missing-value codes, roles, identifying columns and matches
with the bundled instruments (`analysis.data.instrument_library`); every guess is marked with a
``check:`` note. Reading a finished codebook is `analysis.data.codebook`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pandas as pd
import yaml

from analysis.data.codebook import infer_variables
from analysis.data.instrument_library import list_instruments, load_instrument
from analysis.data.privacy import pii_columns
from analysis.data.readers import QUALTRICS_METADATA, read_table

__all__ = ["draft_codebook", "codebook_yaml"]

_ITEM = re.compile(r"^(?P<stem>.*?[A-Za-z])[_.]?(?P<num>\d+)$")
_SUSPECT_CODES = (-999, -99, -98, -97, -9, -1, 99, 999)


def _role(col: str, series: pd.Series, kind: str) -> str | None:
    name = col.lower()
    if col == "ResponseId" or re.fullmatch(r"(person|respondent|participant|subject|resp)?_?id", name):
        return "id"
    if re.search(r"(couple|dyad|pair)_?(id|num|no)?$", name):
        return "dyad_id"
    if name in ("partner", "role", "member", "partnum", "partner_role"):
        return "partner_role"
    if name in ("day", "diaryday", "wave", "time", "occasion"):
        return "day"
    if "duration" in name:
        return "duration"
    if col in QUALTRICS_METADATA:
        return "metadata"
    if kind == "string" and series.dropna().astype(str).str.len().mean() > 40:
        return "free_text"
    return None


def _instrument_guesses(frame: pd.DataFrame, variables: dict) -> dict[str, tuple[str, list[str]]]:
    """Columns that look like the items of a bundled instrument: {column: (instrument, item id)}."""
    groups = defaultdict(list)
    for col in frame.columns:
        m = _ITEM.match(str(col))
        if m and variables[col]["type"] == "integer":
            groups[m.group("stem")].append((int(m.group("num")), col))
    catalogue = list_instruments()
    guesses = {}
    for stem, members in groups.items():
        members.sort()
        numbers = [n for n, _ in members]
        if numbers != list(range(1, len(numbers) + 1)):
            continue
        cols = [c for _, c in members]
        lo = min(variables[c]["range"][0] for c in cols)
        hi = max(variables[c]["range"][1] for c in cols)
        for ins_id in catalogue.loc[catalogue["n_items"] == len(cols), "id"]:
            ins = load_instrument(ins_id)
            if all(i.min <= lo and hi <= i.max for i in ins.items) or stem.lower().startswith(ins_id[:3]):
                for col, item in zip(cols, ins.items, strict=True):
                    guesses[col] = (ins.id, item.id)
                break
    return guesses


def draft_codebook(path: str | Path) -> dict:
    """Draft a codebook from a data file, for the user to check and edit.

    Types, ranges, labels, missing-value codes, roles, identifying columns and likely
    instrument matches are guessed from the file; everything guessed is marked with ``check:``.

    Parameters
    ----------
    path : str or Path
        Any file `read_table` reads (CSV, Qualtrics CSV, XLSX, SPSS ``.sav``, Stata ``.dta``).

    Returns
    -------
    dict
        A codebook (``docs/codebook.md``) with ``dataset`` (the file name, lower case),
        ``title`` (the file name), ``simulated`` (False) and one table named ``data``: ``file``,
        ``format`` (kind; for text files also encoding, separator and decimal mark),
        ``unit`` ("person"), ``variables`` and ``exclusions`` (``duplicate_id: keep_first``,
        ``attention_check: true``). Each variable has ``type`` and, where found, ``range``,
        ``label``, ``values`` and ``value_labels``, ``missing_codes`` (declared in SPSS/Stata),
        ``role``, ``instrument`` and ``item``, and a ``check`` note on what to verify.

    Raises
    ------
    DataError
        If the file cannot be read (see `read_table`).

    See Also
    --------
    read_codebook : Reads and checks the edited codebook.
    analysis.data.codebook_draft.codebook_yaml : The draft as YAML text to save.

    Notes
    -----
    Guesses: a column whose whole numbers include -999, -99, -98, -97, -9, -1, 99 or 999 gets a
    ``check`` note (a likely missing-value code, left out of its ``range``); a text column with
    2 to 12 distinct values in at least 20 rows becomes categorical; an SPSS/Stata column whose
    every value has a label becomes categorical with those values; roles come from column names
    (``person_id``, ``couple_id``, ``partner``, ``day``, ``duration``, Qualtrics metadata) and
    long free text; identifying columns (`analysis.data.privacy`) get role ``pii``; integer
    columns named ``<stem>1`` ... ``<stem>k`` match a bundled instrument of k items whose
    response range covers theirs (or whose id starts like the stem).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import draft_codebook
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "pilot.csv"
    ...     _ = path.write_text("person_id,email,age\\n1,a@x.org,34\\n2,b@x.org,-99\\n3,c@x.org,29\\n")
    ...     codebook = draft_codebook(path)
    >>> variables = codebook["tables"]["data"]["variables"]
    >>> variables["person_id"]["role"], variables["email"]["role"], variables["age"]["range"]
    ('id', 'pii', [29, 34])
    >>> variables["age"]["check"]
    'values [-99] look like missing-value codes; add them to missing_codes if so'
    """
    path = Path(path)
    raw = read_table(path)
    frame = raw.frame
    variables = infer_variables(frame)
    for col, spec in variables.items():
        series = frame[col]
        if raw.labels.get(col):
            spec["label"] = raw.labels[col]
        if spec["type"] in ("integer", "number"):
            num = pd.to_numeric(series.astype("string").str.strip(), errors="coerce").dropna()
            codes = list(raw.user_missing.get(col, []))
            covered = [c for c in codes if not isinstance(c, dict)] + [
                v for c in codes if isinstance(c, dict) for v in _SUSPECT_CODES if c["range"][0] <= v <= c["range"][1]]
            suspects = [c for c in _SUSPECT_CODES if (num == c).any() and c not in covered]
            if codes:
                spec["missing_codes"] = codes
            if suspects:
                spec["check"] = f"values {suspects} look like missing-value codes; add them to missing_codes if so"
            clean = num[~num.isin([c for c in codes if not isinstance(c, dict)] + suspects)]
            for code in codes:
                if isinstance(code, dict):  # SPSS missing range {range: [lo, hi]}
                    clean = clean[~clean.between(*code["range"])]
            if not clean.empty:
                spec["range"] = [_plain(clean.min()), _plain(clean.max())]
            labelled = raw.value_labels.get(col, {})
            if labelled and set(clean.unique()) <= {float(k) for k in labelled}:
                spec["type"] = "categorical"  # every observed value has a label
                spec["values"] = [_plain(v) for v in labelled]
                spec.pop("range", None)
        if col in raw.value_labels:
            spec["value_labels"] = {_plain(k): str(v) for k, v in raw.value_labels[col].items()}
        elif spec["type"] == "string" and 1 < series.nunique() <= 12 and len(series) >= 20:
            spec["type"] = "categorical"
            spec["values"] = sorted(series.dropna().astype(str).unique().tolist())
        role = _role(col, series, spec["type"])
        if role:
            spec["role"] = role
    for col, reason in pii_columns(frame.columns, {}).items():
        variables[col]["role"] = "pii"
        variables[col]["check"] = f"identifies people ({reason}): dropped before analysis unless keep: true"
    for col, (ins, item) in _instrument_guesses(frame, variables).items():
        variables[col].update({"role": "item", "instrument": ins, "item": item})
        variables[col].setdefault("check", f"guessed from name, item count and range: item {item} of {ins}")
    fmt = {"kind": raw.format.kind}
    if raw.format.kind in ("csv", "qualtrics"):
        fmt.update(encoding=raw.format.encoding, sep=raw.format.sep, decimal=raw.format.decimal)
    return {
        "dataset": re.sub(r"\W+", "_", path.stem).strip("_").lower() or "data",
        "title": path.name,
        "simulated": False,
        "tables": {"data": {"file": path.name, "format": fmt, "unit": "person", "variables": variables,
                            "exclusions": {"duplicate_id": "keep_first", "attention_check": True}}},
    }  # fmt: skip


def _plain(value):
    """numpy scalars -> int/float/str for YAML."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def codebook_yaml(codebook: dict, source: str | Path) -> str:
    """Write a drafted codebook as YAML text, under a header saying it is a draft to check.

    Parameters
    ----------
    codebook : dict
        A codebook, as `draft_codebook` returns it.
    source : str or Path
        The data file it was drafted from (its name goes in the header).

    Returns
    -------
    str
        Three comment lines (source, what to check, where the format is described), then the
        codebook as block-style YAML in its own key order.

    See Also
    --------
    draft_codebook : Makes the codebook.

    Examples
    --------
    >>> from analysis.data.codebook_draft import codebook_yaml
    >>> text = codebook_yaml({"dataset": "pilot", "tables": {}}, "pilot.csv")
    >>> text.splitlines()[0]
    '# Draft codebook for pilot.csv, made by `connlab codebook`.'
    """
    head = (f"# Draft codebook for {Path(source).name}, made by `connlab codebook`.\n"
            "# Check every entry (types, ranges, missing codes, roles) and remove the `check:` notes.\n"
            "# Format: docs/codebook.md\n")  # fmt: skip
    return head + yaml.safe_dump(codebook, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None)
