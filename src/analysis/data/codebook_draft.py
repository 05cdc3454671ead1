"""Draft a codebook from a data file, for the user to check and edit (`connlab codebook`)."""

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
        return "id" if series.dropna().is_unique else "id"
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
    """A codebook drafted from a data file: types, ranges, labels, missing codes, roles, PII
    flags and likely instrument matches. Everything guessed is marked with ``check:``.

    Parameters
    ----------
    path : str or Path
        Any file `analysis.readers.read_table` reads.

    Returns
    -------
    dict
        A codebook (docs/codebook.md) with one table named ``data``.
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
    """The codebook as YAML text with a header saying it is a draft to check."""
    head = (f"# Draft codebook for {Path(source).name}, made by `connlab codebook`.\n"
            "# Check every entry (types, ranges, missing codes, roles) and remove the `check:` notes.\n"
            "# Format: docs/codebook.md\n")  # fmt: skip
    return head + yaml.safe_dump(codebook, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None)
