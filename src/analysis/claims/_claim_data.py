"""Finding what a claim needs in a data set: the table that fits the claim's design, its
instrument scores, ordered categories coded as numbers, indicator columns, row filters, and the
first candidate name of each role that the data hold (`analysis.claims.replicate` uses these)."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from analysis.claims.registry import Claim


class _NotTestable(Exception):
    """The data set cannot speak to the claim; the message says what is missing."""


_SCORED: ContextVar[dict | None] = ContextVar("scored_tables", default=None)


@contextmanager
def scored_once():
    """Within the block, each (data set, table) is scored once: `_numeric_view` keeps the table
    with its instrument scores and hands every claim a copy (`scorecard` tests many claims on
    the same tables; scoring is the same each time)."""
    token = _SCORED.set({})
    try:
        yield
    finally:
        _SCORED.reset(token)


def _scored(dataset, table: str) -> pd.DataFrame:
    """The table with its instrument scores joined (a new frame; the data set's is not changed)."""
    from analysis.scoring.scales import score_instruments

    cache = _SCORED.get()
    key = (id(dataset), table)
    if cache is not None and key in cache:
        return cache[key][1].copy(deep=False)  # copy-on-write: changes to it stay in it
    frame = dataset.table(table)
    items = dataset.instruments(table)
    if items:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = score_instruments(frame, instruments=items, ranges=dataset.item_ranges(table))
        frame = frame.join(scores[[c for c in scores.columns if c not in frame.columns]])
    else:
        frame = frame.copy()
    if cache is not None:
        cache[key] = (dataset, frame)  # the data set is held, so its id is not reused
        return frame.copy(deep=False)
    return frame


def _numeric_view(dataset, table: str, claim: Claim) -> pd.DataFrame:
    """The table with instrument scores joined and ordered categories coded as numbers
    (1 = the lowest level; ``options.high_first`` lists variables whose codebook values run
    from the highest level down), and the indicator columns of ``options.indicators``."""
    frame = _scored(dataset, table)
    specs = dataset.variables(table)
    high_first = set(claim.options.get("high_first", []))
    for name, spec in specs.items():
        if name in frame and spec.get("type") == "categorical" and spec.get("ordered") and spec.get("values"):
            levels = [str(v).lower() for v in spec["values"]]
            codes = frame[name].map(lambda v, lv=levels: lv.index(str(v).lower()) + 1 if pd.notna(v)
                                    and str(v).lower() in lv else np.nan).astype(float)  # fmt: skip
            frame[name] = len(levels) + 1 - codes if name in high_first else codes
    for new, rule in claim.options.get("indicators", {}).items():
        col = rule["column"]
        if col in frame:
            if "above" in rule:
                hit = pd.to_numeric(frame[col], errors="coerce") > float(rule["above"])
            else:
                hit = frame[col].astype(str).str.lower().isin({str(v).lower() for v in rule["equals"]})
            frame[new] = np.where(frame[col].isna(), np.nan, hit.astype(float))
    return frame


def _filter(frame: pd.DataFrame, where: dict, *, strict: bool) -> tuple[pd.DataFrame, list]:
    """Rows where every `where` column equals its value (numbers compared as numbers)."""
    missing = []
    for col, value in where.items():
        if col not in frame:
            if strict:
                missing.append(f"filter column {col}")
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            keep = pd.to_numeric(frame[col], errors="coerce") == value
        else:
            keep = frame[col].astype(str).str.lower() == str(value).lower()
        frame = frame[keep.fillna(False).to_numpy(dtype=bool)]
    return frame, missing


def _tables_for(dataset, design: str) -> list[str]:
    names = list(dataset.tables)
    roles = {t: {v.get("role") for v in dataset.variables(t).values()} for t in names}
    if design == "diary":
        return [t for t in names if "day" in roles[t]]
    if design == "dyadic":
        return [t for t in names if {"dyad_id", "partner_role"} <= roles[t]]
    units = {t: str(dataset.codebook["tables"][t].get("unit", "")) for t in names}
    return [t for t in names if "day" not in units[t]]  # one row per person (or person-wave)


def _pick(candidates, frame, aliases) -> str | None:
    for cand in candidates:
        name = aliases.get(cand, cand)
        if name in frame.columns:
            return name
    return None


def _prepare(claim: Claim, dataset, aliases: dict):
    """(frame, resolved names, table) for the first table that holds everything the claim needs."""
    tables = _tables_for(dataset, claim.design)
    if not tables:
        need = {"diary": "a table with a `day` role", "dyadic": "a table with `dyad_id` and `partner_role` roles"}
        raise _NotTestable(f"the claim needs {claim.design} data: {need.get(claim.design, 'a table')}")
    missing_by_table = {}
    for table in tables:
        frame = _numeric_view(dataset, table, claim)
        names, missing = {}, []
        for role, cands in claim.variables.items():
            if role == "m" and cands and isinstance(cands[0], tuple):
                found = [_pick(c, frame, aliases) for c in cands]
                names[role] = found
                missing += [f"m ({' / '.join(c)})" for c, f in zip(cands, found, strict=True) if f is None]
                continue
            names[role] = _pick(cands, frame, aliases)
            if names[role] is None:
                missing.append(f"{role} ({' / '.join(cands)})")
        covs = [_pick(c, frame, aliases) for c in claim.covariates]
        missing += [f"covariate ({' / '.join(c)})" for c, f in zip(claim.covariates, covs, strict=True) if f is None]
        names["covariates"] = covs
        if claim.design == "dyadic":
            names["dyad"] = dataset.role_column(table, "dyad_id")
            names["partner"] = dataset.role_column(table, "partner_role")
        if claim.design == "diary":
            person = dataset.role_column(table, "id")
            if person is None:  # persons identified by couple and member
                dyad, member = dataset.role_column(table, "dyad_id"), dataset.role_column(table, "partner_role")
                if dyad and member:
                    frame["person_key"] = frame[dyad].astype(str) + "_" + frame[member].astype(str)
                    person = "person_key"
            if person is None:
                missing.append("a person id (codebook role `id`, or `dyad_id` + `partner_role`)")
            names["person"] = person
        if claim.model == "alpha":
            ins, score = claim.options.get("instrument", []), claim.options.get("score")
            held = dataset.instruments(table)
            use = next((i for i in ([ins] if isinstance(ins, str) else ins) if i in held), None)
            if use is None:
                missing.append(f"items of {' / '.join([ins] if isinstance(ins, str) else ins)}")
            else:
                from analysis.data.instrument_library import load_instrument
                from analysis.scoring.scales import keyed_items

                keyed = keyed_items(frame, instrument=use, columns=held[use], ranges=dataset.item_ranges(table))
                members = load_instrument(use).scores[score]
                names["items"] = [held[use][m] for m in members if m in held[use]]
                frame = frame.drop(columns=names["items"]).join(keyed[names["items"]])
        if not missing:
            frame, missing = _filter(frame, claim.options.get("where", {}), strict=True)
            frame, _ = _filter(frame, claim.options.get("where_if_present", {}), strict=False)
        if not missing:
            return frame, names, table
        missing_by_table[table] = missing
    best = min(missing_by_table.values(), key=len)
    raise _NotTestable("missing " + "; ".join(best))
