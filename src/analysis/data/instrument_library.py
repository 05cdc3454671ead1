"""The instrument library: one YAML file per instrument in ``data/instruments/`` (items, response
range, reverse keys, scores, scoring rule, cut-offs, citation), loaded and checked as `Instrument`."""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from analysis._checks import _check_one_of
from analysis.exceptions import InstrumentError
from analysis.paths import INSTRUMENTS_DIR

__all__ = ["Item", "Instrument", "load_instrument", "score_labels", "list_instruments"]


@dataclass(frozen=True)
class Item:
    """One item: published id, response range, keying and (if public domain) its text."""

    id: str
    min: float
    max: float
    reverse: bool = False
    text: str | None = None


@dataclass(frozen=True)
class Instrument:
    """A published (or project) instrument as defined by its YAML file."""

    id: str
    name: str
    citation: str
    scoring: str
    items: tuple[Item, ...]
    scores: dict[str, tuple[str, ...]]
    cutoffs: dict
    construct: str = ""
    key_source: str = ""
    source_file: str = ""
    short_name: str = ""

    @property
    def item_ids(self) -> list[str]:
        return [item.id for item in self.items]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == str(item_id):
                return item
        raise InstrumentError(f"Instrument {self.id!r} has no item {item_id!r}; items are {self.item_ids}.")


def _instrument_path(name: str | Path) -> Path:
    path = Path(name)
    if path.suffix in {".yaml", ".yml"}:
        return path
    candidate = INSTRUMENTS_DIR / f"{name}.yaml"
    if not candidate.exists():
        known = ", ".join(sorted(p.stem for p in INSTRUMENTS_DIR.glob("*.yaml")))
        raise InstrumentError(f"No instrument named {name!r}. Known instruments: {known}.")
    return candidate


@functools.lru_cache(maxsize=128)
def _read_yaml(path: str, mtime_ns: int):
    """Parsed YAML of an instrument file, cached by path and modification time."""
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def load_instrument(name: str | Path) -> Instrument:
    """Read an instrument definition by id (``"ecr_s"``) or from a YAML file path.

    Raises
    ------
    InstrumentError
        If the file is missing or malformed (the message names the file and the field).
    """
    path = _instrument_path(name)
    try:
        spec = copy.deepcopy(_read_yaml(str(path.resolve()), path.stat().st_mtime_ns))
    except (OSError, yaml.YAMLError) as exc:
        raise InstrumentError(f"Cannot read instrument file {path}: {exc}") from None
    where = f"instrument file {path}"
    for field in ("id", "name", "citation", "response", "scoring", "items", "scores"):
        if not isinstance(spec, dict) or field not in spec:
            raise InstrumentError(f"{where} has no `{field}` field (see instruments/SCHEMA.md).")
    _check_one_of(f"scoring` in `{path.name}", spec["scoring"], ("mean", "sum"))
    lo, hi = spec["response"].get("min"), spec["response"].get("max")
    items = []
    for raw in spec["items"]:
        item = Item(
            id=str(raw["id"]),
            min=float(raw.get("min", lo)),
            max=float(raw.get("max", hi)),
            reverse=bool(raw.get("reverse", False)),
            text=raw.get("text"),
        )
        if not item.min < item.max:
            raise InstrumentError(f"{where}: item {item.id} has range {item.min}..{item.max}.")
        items.append(item)
    ids = {item.id for item in items}
    if len(ids) != len(items):
        raise InstrumentError(f"{where} lists an item id twice.")
    scores = {}
    for score, members in spec["scores"].items():
        members = tuple(str(m) for m in members)
        unknown = [m for m in members if m not in ids]
        if unknown:
            raise InstrumentError(f"{where}: score {score!r} names unknown items {unknown}.")
        scores[str(score)] = members
    return Instrument(
        id=str(spec["id"]),
        name=str(spec["name"]),
        citation=str(spec["citation"]).strip(),
        scoring=spec["scoring"],
        items=tuple(items),
        scores=scores,
        cutoffs=spec.get("cutoffs") or {},
        construct=str(spec.get("construct", "")),
        key_source=str(spec.get("key_source", "")).strip(),
        source_file=str(path),
        short_name=str(spec.get("short_name") or _abbreviation(spec["name"]) or spec["id"]),
    )


def _abbreviation(name: str) -> str:
    """``"... Short Form (ECR-S)"`` -> ``"ECR-S"``."""
    match = re.search(r"\(([^()]+)\)\s*$", name)
    return match.group(1) if match else ""


def score_labels(instruments) -> dict[str, str]:
    """Readable labels for instrument ids and their score columns:
    ``{"ecr_s": "ECR-S", "ecr_s_anxiety": "ECR-S anxiety", ...}``."""
    labels = {}
    for ins_id in instruments:
        try:
            ins = load_instrument(ins_id)
        except InstrumentError:
            continue  # no definition file: ids stay as they are
        labels[ins.id] = ins.short_name
        for score in ins.scores:
            labels[f"{ins.id}_{score}"] = f"{ins.short_name} {score.replace('_', ' ')}"
    return labels


def list_instruments() -> pd.DataFrame:
    """Catalogue of the bundled instruments.

    Returns
    -------
    pandas.DataFrame
        One row per instrument: ``id``, ``name``, ``n_items``, ``response_range``, ``scoring``,
        ``scores`` (comma-separated names) and ``citation``.
    """
    rows = []
    for path in sorted(INSTRUMENTS_DIR.glob("*.yaml")):
        ins = load_instrument(path)
        lo = min(i.min for i in ins.items)
        hi = max(i.max for i in ins.items)
        rows.append(
            {
                "id": ins.id,
                "name": ins.name,
                "n_items": len(ins.items),
                "response_range": f"{lo:g}-{hi:g}",
                "scoring": ins.scoring,
                "scores": ", ".join(ins.scores),
                "citation": ins.citation,
            }
        )
    return pd.DataFrame(rows)
