"""Sample design in the codebook: the roles ``weight``, ``strata``, ``psu`` and ``fpc``, the table's
``design`` block, the checks of their values at load, and the summary the data-quality report shows.

The data layer checks the values (a weight positive and finite, a PSU nested in its stratum,
strata with a single PSU); `analysis.models.survey_design` checks the design again when it is
fitted and does the estimation. ``Dataset.design_columns(table)`` gives exactly its keyword
arguments, so a notebook writes ``survey_design(data, **dataset.design_columns(table))``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis._checks import _as_list, _check_one_of, _require_columns
from analysis.exceptions import CodebookError, DataError

__all__ = ["design_summary"]

DESIGN_ROLES = ("weight", "strata", "psu", "fpc")
#: R's options(survey.lonely.psu) (the same tuple as analysis.models._linearization.LONELY)
LONELY_PSU = ("fail", "remove", "adjust", "certainty", "average")
DESIGN_KEYS = ("nest", "lonely_psu", *DESIGN_ROLES)
_WHAT = {"weight": "sampling weight", "strata": "stratum", "psu": "PSU (cluster)", "fpc": "fpc"}


def _columns(variables: dict, design: dict | None) -> dict[str, list[str]]:
    """Design columns by role (psu and fpc ordered by `stage`), from the roles and the block."""
    design = design or {}
    out = {}
    for role in DESIGN_ROLES:
        named = [c for c, s in variables.items() if isinstance(s, dict) and s.get("role") == role]
        named = sorted(named, key=lambda c: int(variables[c].get("stage", 1)))
        out[role] = named or [str(c) for c in _as_list(design.get(role))]
    return out


def check_design_spec(where: str, variables: dict, design) -> None:
    """Check a table's design roles and ``design`` block; raise `CodebookError` naming the fix."""
    for col, spec in variables.items():
        stage = spec.get("stage") if isinstance(spec, dict) else None
        if stage is None:
            continue
        if spec.get("role") not in ("psu", "fpc"):
            raise CodebookError(f"{where}, variable {col!r}: `stage` is read only with role: psu or role: fpc (a "
                                f"multi-stage design); not with role: {spec.get('role')}.")  # fmt: skip
        if not isinstance(stage, int) or isinstance(stage, bool) or stage < 1:
            raise CodebookError(f"{where}, variable {col!r}: `stage` must be a whole number from 1, e.g. stage: 2; "
                                f"not {stage!r}.")  # fmt: skip
    if design is not None and not isinstance(design, dict):
        raise CodebookError(f"{where}: `design` must be a mapping, e.g. design: {{nest: true, lonely_psu: adjust}}; "
                            f"not {design!r}.")  # fmt: skip
    design = design or {}
    for key in design:
        if key not in DESIGN_KEYS:
            raise CodebookError(f"{where}: unknown key {key!r} in `design`; keys: {', '.join(DESIGN_KEYS)}.")
    if "nest" in design and not isinstance(design["nest"], bool):
        raise CodebookError(f"{where}: `design.nest` must be true or false; not {design['nest']!r}.")
    if "lonely_psu" in design and design["lonely_psu"] not in LONELY_PSU:
        raise CodebookError(f"{where}: `design.lonely_psu` must be one of {', '.join(LONELY_PSU)} (R's "
                            f"options(survey.lonely.psu)); not {design['lonely_psu']!r}.")  # fmt: skip
    for role in DESIGN_ROLES:
        by_role = [c for c, s in variables.items() if isinstance(s, dict) and s.get("role") == role]
        given = design.get(role)
        if given is None:
            continue
        if by_role:
            raise CodebookError(f"{where}: the {role} is given twice, as role: {role} ({', '.join(by_role)}) and "
                                f"as `design.{role}`; keep one.")  # fmt: skip
        for col in _as_list(given):
            if not isinstance(col, str) or col not in variables:
                raise CodebookError(f"{where}: `design.{role}` must name a variable of the table; {col!r} is "
                                    "not one.")  # fmt: skip
        if role in ("weight", "strata") and not isinstance(given, str):
            raise CodebookError(f"{where}: `design.{role}` names one column; not {given!r}.")
    cols = _columns(variables, design)
    for role in ("weight", "strata"):
        if len(cols[role]) > 1:
            raise CodebookError(f"{where}: only one column of a table may have role: {role}, but "
                                f"{', '.join(map(repr, cols[role]))} have it; keep it on one column.")  # fmt: skip
    for role in ("weight", "fpc"):
        for col in cols[role]:
            if variables[col].get("type") not in ("integer", "number"):
                raise CodebookError(f"{where}, variable {col!r}: a {_WHAT[role]} must have type: number; not "
                                    f"type: {variables[col].get('type')}.")  # fmt: skip
    for role in ("psu", "fpc"):
        stages = [int(variables[c].get("stage", 1)) for c in cols[role] if variables[c].get("role") == role]
        if stages != list(range(1, len(stages) + 1)):
            raise CodebookError(f"{where}: the role: {role} columns {', '.join(map(repr, cols[role]))} have stages "
                                f"{stages}; give one column per stage, stage: 1, 2, ... (default 1).")  # fmt: skip
    if cols["fpc"] and len(cols["fpc"]) != max(len(cols["psu"]), 1):
        raise CodebookError(f"{where}: the design has {max(len(cols['psu']), 1)} stage(s) (role: psu) but "
                            f"{len(cols['fpc'])} fpc column(s); give one fpc per stage.")  # fmt: skip


def design_columns(variables: dict, design: dict | None) -> dict:
    """The keyword arguments of ``survey_design`` for a table ({} without a design role)."""
    cols = _columns(variables, design)
    if not any(cols.values()):
        return {}
    design = design or {}

    def one(names):
        return None if not names else names[0] if len(names) == 1 else list(names)

    return {"weight": one(cols["weight"]), "strata": one(cols["strata"]), "psu": one(cols["psu"]),
            "fpc": one(cols["fpc"]), "nest": bool(design.get("nest", False)),
            "lonely_psu": str(design.get("lonely_psu", "fail"))}  # fmt: skip


def value_problems(role: str, typed: pd.Series, why: pd.Series) -> pd.Series:
    """Why each value of a design column keeps its row out of the sample (NA where it is fine):
    missing, or (weight, fpc) not a positive finite number. `why` holds the type problems."""
    out = why.copy()
    missing = typed.isna() & out.isna()
    out[missing] = f"missing: every row needs its {_WHAT[role]}"
    if role in ("weight", "fpc"):
        num = pd.to_numeric(typed, errors="coerce").astype(float)
        out[(num <= 0).fillna(False) & out.isna()] = f"not positive: a {_WHAT[role]} must be > 0"
    return out


def value_fix(col: str, role: str) -> str:
    return (f"correct the {_WHAT[role]} in {col!r}, or drop the row: a row without a valid {_WHAT[role]} is not part "
            "of the weighted sample, so it is excluded (reason invalid_design)")  # fmt: skip


def structure_problems(frame: pd.DataFrame, *, strata: str | None, psu: str | None, fpc: str | None,
                       nest: bool, lonely_psu: str, table: str) -> list[tuple[int, str, str, str, str]]:  # fmt: skip
    """Problems of the design's structure among analysed rows: a PSU in two strata (without nest)
    and, under lonely_psu "fail", strata with a single PSU. Each: (position, column, value,
    problem, fix)."""
    out = []
    if not strata or not len(frame):
        return out
    s = frame[strata].astype("string")
    p = frame[psu].astype("string") if psu else pd.Series(np.arange(len(frame)).astype(str), index=frame.index)
    if not nest and psu:
        counts = s.groupby(p.to_numpy(), sort=False).nunique()
        crossing = counts.index[counts > 1]
        if len(crossing):
            inside = p.isin(crossing).to_numpy()
            bad = s[inside].groupby(p[inside].to_numpy(), sort=False).agg(lambda x: list(pd.unique(x)))
            first = bad.index[0]
            pos = int(np.flatnonzero(((p == first) & (s == bad.iloc[0][1])).to_numpy())[0])
            more = f" ({len(bad) - 1:,} more PSUs are in more than one stratum)" if len(bad) > 1 else ""
            out.append((pos, psu, str(first),
                        f"PSU {first} of {psu!r} is in strata {', '.join(map(str, bad.iloc[0]))} of {strata!r}{more}; "
                        "a PSU must be nested in its stratum",
                        f"if PSU ids restart within each stratum, write `design: {{nest: true}}` for table {table!r}; "
                        "else correct the PSU or stratum"))  # fmt: skip
        key = p
    else:
        key = s + "\x1f" + p
    if lonely_psu != "fail":
        return out
    n_psu = key.groupby(s.to_numpy(), sort=False).nunique()
    if fpc:
        pop = pd.to_numeric(frame[fpc], errors="coerce").groupby(s.to_numpy(), sort=False).first()
        certain = (pop == n_psu) | (pop == 1)  # the whole stratum sampled: not lonely (fpc as size or fraction)
        n_psu = n_psu[~certain.reindex(n_psu.index, fill_value=False)]
    for stratum in n_psu.index[n_psu == 1]:
        pos = int(np.flatnonzero((s == stratum).to_numpy())[0])
        out.append((pos, strata, str(stratum),
                    f"stratum {stratum} of {strata!r} has a single PSU, so its variance cannot be estimated "
                    "(lonely_psu: fail)",
                    f"choose how to treat it: write `design: {{lonely_psu: remove}}` (or adjust, certainty, average, "
                    f"as R's options(survey.lonely.psu)) for table {table!r}"))  # fmt: skip
    return out


SUMMARY_LABELS = {
    "n": "Rows", "sum_weights": "Sum of weights", "weight_min": "Weight, min", "weight_max": "Weight, max",
    "weight_cv": "Weight, coefficient of variation", "kish_deff": "Design effect due to weighting (Kish, 1 + CV^2)",
    "n_effective": "Effective sample size (n / Kish deff)", "n_strata": "Strata", "n_psu": "PSUs (first stage)",
    "n_lonely": "Strata with a single PSU",
}  # fmt: skip


def design_summary(data: pd.DataFrame, *, weight: str | None = None, strata: str | None = None,
                   psu: str | list[str] | None = None, fpc: str | list[str] | None = None, nest: bool = False,
                   lonely_psu: str = "fail") -> pd.DataFrame:  # fmt: skip
    """Describe a sample design: its columns, size, weights, strata, PSUs and lonely strata.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysed rows (``Dataset.table``).
    weight, strata, psu, fpc, nest, lonely_psu
        As for ``survey_design`` (``Dataset.design_columns(table)`` gives them from the codebook).

    Returns
    -------
    pandas.DataFrame
        One row per quantity: ``quantity``, ``label`` (readable text, `SUMMARY_LABELS`) and
        ``value``: ``design`` (the columns, as text), ``lonely_psu`` (the option in force), ``n``,
        ``sum_weights``, ``weight_min``, ``weight_max``, ``weight_cv``, ``kish_deff``,
        ``n_effective`` (weight rows only when there is a weight), ``n_strata``, ``n_psu``
        (first stage; each row when there is no PSU) and ``n_lonely`` (strata with one PSU).

    Raises
    ------
    DataError
        A design column is not in `data`.

    Notes
    -----
    The coefficient of variation uses the population standard deviation, CV = sd(w) / mean(w),
    so that Kish's design effect due to unequal weighting is 1 + CV^2 = n sum(w^2) / (sum w)^2
    (Kish, 1965, sec. 11.7) and the effective sample size n / (1 + CV^2) = (sum w)^2 / sum(w^2).
    PSUs are counted within strata when ``nest`` is true, as ``survey_design`` does.

    References
    ----------
    Kish, L. (1965). *Survey sampling*. Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.data.design import design_summary
    >>> data = pd.DataFrame({"w": [1.0, 1, 2, 4], "st": [1, 1, 2, 2], "cl": [1, 2, 3, 3]})
    >>> out = design_summary(data, weight="w", strata="st", psu="cl", lonely_psu="adjust")
    >>> out.set_index("quantity")["value"][["sum_weights", "kish_deff", "n_psu", "n_lonely"]].tolist()
    [8.0, 1.375, 3, 1]
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"`data` must be a pandas DataFrame, but {type(data).__name__} was passed.")
    _check_one_of("lonely_psu", lonely_psu, LONELY_PSU)
    psus, fpcs = _as_list(psu), _as_list(fpc)
    _require_columns(data, [c for c in [weight, strata, *psus, *fpcs] if c is not None])
    parts = [f"weight {weight}" if weight else "no weight", f"strata {strata}" if strata else "no strata",
             f"PSU {' > '.join(psus)}" if psus else "each row its own PSU"]  # fmt: skip
    if fpcs:
        parts.append(f"fpc {', '.join(fpcs)}")
    if nest:
        parts.append("PSUs nested in strata")
    rows = [("design", "; ".join(parts)), ("lonely_psu", lonely_psu), ("n", len(data))]
    if weight:
        w = pd.to_numeric(data[weight], errors="coerce").to_numpy(dtype=float)
        w = w[np.isfinite(w)]
        cv = float(w.std() / w.mean()) if len(w) else np.nan
        rows += [
            ("sum_weights", float(w.sum())),
            ("weight_min", float(w.min()) if len(w) else np.nan),
            ("weight_max", float(w.max()) if len(w) else np.nan),
            ("weight_cv", cv),
            ("kish_deff", 1 + cv**2),
            ("n_effective", float(w.sum() ** 2 / (w**2).sum()) if len(w) else np.nan),
        ]
    s = data[strata].astype("string") if strata else pd.Series("1", index=data.index, dtype="string")
    p = data[psus[0]].astype("string") if psus else pd.Series(np.arange(len(data)).astype(str), index=data.index)
    key = s + "\x1f" + p if nest else p
    n_psu = key.groupby(s.to_numpy()).nunique()
    rows += [("n_strata", int(s.nunique())), ("n_psu", int(key.nunique())), ("n_lonely", int((n_psu == 1).sum()))]
    labels = {"design": "Design columns", "lonely_psu": "Single-PSU strata (R's survey.lonely.psu)"} | SUMMARY_LABELS
    return pd.DataFrame([(q, labels[q], v) for q, v in rows], columns=["quantity", "label", "value"])
