"""Sample design in the codebook: the roles ``weight``, ``strata``, ``psu``, ``fpc`` and
``replicate_weight``, the table's ``design`` block, the checks of their values at load, and the summary
the data-quality report shows.

A table declares one of two kinds of design. A linearisation design: a weight and optionally strata,
PSUs (clusters, one column per stage) and fpc, estimated by Taylor linearisation. A replicate-weight
design (R's ``svrepdesign``): the full-sample weight and the replicate weights the data's producer
released (jackknife, BRR, Fay, bootstrap ...), with the rules of their variance (``replicate_type``,
``scale``, ``rscales``, ``rho``, ``mse``); it needs no strata or PSUs, which the replicate weights
stand for (and which public-use files often withhold).

The data layer checks the values (a weight positive and finite, a replicate weight finite and not
negative, a PSU nested in its stratum, strata with a single PSU); `analysis.models.survey_design`
checks the design again when it is fitted and does the estimation. ``Dataset.design_columns(table)``
gives exactly its keyword arguments, so a notebook writes ``survey_design(data,
**dataset.design_columns(table))``.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from analysis._checks import _as_list, _check_one_of, _require_columns
from analysis.exceptions import CodebookError, DataError, ParameterError

__all__ = ["design_summary"]

DESIGN_ROLES = ("weight", "strata", "psu", "fpc", "replicate_weight")
#: the key of each role in a table's ``design`` block and in ``design_columns`` (``survey_design``'s
#: keyword): the role's name, except the replicate weights (many columns)
ROLE_KEYS = {"weight": "weight", "strata": "strata", "psu": "psu", "fpc": "fpc",
             "replicate_weight": "replicate_weights"}  # fmt: skip
#: R's options(survey.lonely.psu) (the same tuple as analysis.models._linearization.LONELY)
LONELY_PSU = ("fail", "remove", "adjust", "certainty", "average")
#: R's ``svrepdesign(type =)``; "ACS" is R's other name for "successive-difference"
REPLICATE_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "successive-difference", "ACS", "JK2", "other")
#: the ``design`` block's options of a replicate-weight design (``survey_design``'s keywords)
REPLICATE_KEYS = ("replicate_type", "scale", "rscales", "rho", "mse")
DESIGN_KEYS = ("nest", "lonely_psu", *REPLICATE_KEYS, *ROLE_KEYS.values())
_WHAT = {"weight": "sampling weight", "strata": "stratum", "psu": "PSU (cluster)", "fpc": "fpc",
         "replicate_weight": "replicate weight"}  # fmt: skip


def _columns(variables: dict, design: dict | None) -> dict[str, list[str]]:
    """Design columns by role (psu and fpc ordered by `stage`), from the roles and the block."""
    design = design or {}
    out = {}
    for role in DESIGN_ROLES:
        named = [c for c, s in variables.items() if isinstance(s, dict) and s.get("role") == role]
        named = sorted(named, key=lambda c: int(variables[c].get("stage", 1)))
        out[role] = named or [str(c) for c in _as_list(design.get(ROLE_KEYS[role]))]
    return out


def _number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and bool(np.isfinite(value))


def replicate_scales(replicate_type: str, n_replicates: int, *, scale=None, rscales=None,
                     rho=None) -> tuple[float, np.ndarray]:  # fmt: skip
    """The variance multipliers of a replicate-weight design, as R's ``svrepdesign`` sets them.

    Parameters
    ----------
    replicate_type : str
        One of `REPLICATE_TYPES`.
    n_replicates : int
        Number of replicate-weight columns, R.
    scale, rscales, rho
        As passed (None: the type's default).

    Returns
    -------
    (float, numpy.ndarray)
        ``scale`` and ``rscales`` (one per replicate) of ``V = scale sum_r rscales_r (theta_r -
        centre)^2``: JK1 ``(R - 1) / R``, bootstrap ``1 / (R - 1)``, BRR ``1 / R``, Fay ``1 / (R (1 -
        rho)^2)``, successive-difference (ACS) ``4 / R``, JK2 and other ``1``, unless `scale` is given
        (JK1, JKn, bootstrap, other); ``rscales`` 1 unless given (JKn requires them: ``(n_h - 1) /
        n_h`` for each replicate's stratum).

    Raises
    ------
    ParameterError
        An unknown type, fewer than 2 replicates, a `scale` that is not a positive number or that the
        type fixes, `rscales` that are not numbers >= 0 (one, or one per replicate), missing for JKn,
        or given where the type fixes them, `rho` missing for Fay, given for another type, or outside
        [0, 1).
    """
    _check_one_of("replicate_type", replicate_type, REPLICATE_TYPES)
    kind = "successive-difference" if replicate_type == "ACS" else replicate_type
    n = int(n_replicates)
    if n < 2:
        raise ParameterError(f"A replicate-weight design needs at least 2 replicate weights; {n} given.")
    if scale is not None and not (_number(scale) and scale > 0):
        raise ParameterError(f"`scale` must be a positive number (the multiplier of the replicate variance); "
                             f"not {scale!r}.")  # fmt: skip
    fixed = {"BRR": "1/R", "Fay": "1/(R (1 - rho)^2)", "successive-difference": "4/R", "JK2": "1"}
    if scale is not None and kind in fixed:
        raise ParameterError(f"`scale` is not used with replicate_type {replicate_type!r}: its scale is "
                             f"{fixed[kind]} (R's svrepdesign); leave scale out, or use replicate_type 'other' "
                             "with your own scale.")  # fmt: skip
    if kind == "Fay":
        if rho is None:
            raise ParameterError("replicate_type 'Fay' needs `rho`, Fay's factor (e.g. rho: 0.5; the data's "
                                 "documentation gives it); its scale is 1/(R (1 - rho)^2).")  # fmt: skip
        if not (_number(rho) and 0 <= rho < 1):
            raise ParameterError(f"`rho` (Fay's factor) must be a number from 0 to below 1; not {rho!r}.")
    elif rho is not None:
        raise ParameterError(f"`rho` is read only with replicate_type 'Fay' (Fay's factor), not with "
                             f"{replicate_type!r}; leave it out.")  # fmt: skip
    if rscales is not None:
        if kind in ("successive-difference", "JK2"):
            raise ParameterError(f"`rscales` are not used with replicate_type {replicate_type!r} (they are 1); "
                                 "leave them out.")  # fmt: skip
        values = [rscales] if isinstance(rscales, numbers.Real) else rscales
        if isinstance(values, str) or not all(_number(v) and v >= 0 for v in values):
            raise ParameterError(f"`rscales` must be numbers >= 0, one or one per replicate weight; not "
                                 f"{rscales!r}.")  # fmt: skip
        values = np.asarray(values, dtype=float)
        if len(values) not in (1, n):
            raise ParameterError(f"`rscales` has {len(values)} values but there are {n} replicate weights; give "
                                 "one per replicate weight, in the same order (or one for all).")  # fmt: skip
        if not (values > 0).any():
            raise ParameterError("`rscales` are all 0: no replicate would count in the variance.")
        rs = np.broadcast_to(values, (n,)).astype(float)
    elif kind == "JKn":
        raise ParameterError("replicate_type 'JKn' needs `rscales`, one per replicate weight: (n_h - 1) / n_h for "
                             "the stratum h whose PSU the replicate drops (n_h PSUs in it), as the data's "
                             "documentation gives them.")  # fmt: skip
    else:
        rs = np.ones(n)
    if kind == "BRR":
        used = 1 / n
    elif kind == "Fay":
        used = 1 / (n * (1 - rho) ** 2)
    elif kind == "successive-difference":
        used = 4 / n
    elif kind == "JK2":
        used = 1.0
    elif scale is not None:
        used = float(scale)
    else:
        used = {"JK1": (n - 1) / n, "bootstrap": 1 / (n - 1)}.get(kind, 1.0)
    return float(used), rs


def replicate_df(weights: np.ndarray) -> int:
    """Degrees of freedom of a replicate-weight design, R's ``degf``: the rank of the replicate weights
    (rows x replicates) minus 1; singular values below 1e-5 of the largest count as zero (R uses
    ``qr(tol = 1e-5)``)."""
    w = np.asarray(weights, dtype=float)
    ev = np.linalg.eigvalsh(w.T @ w)
    s = np.sqrt(np.clip(ev, 0, None))
    return int((s > 1e-5 * s.max()).sum()) - 1 if s.max() > 0 else 0


def design_roles(columns: dict) -> dict[str, str]:
    """The role of each design column, from ``design_columns``' keyword arguments: {column: role}."""
    return {c: role for role, key in ROLE_KEYS.items() for c in _as_list(columns.get(key))}


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
        key = ROLE_KEYS[role]
        by_role = [c for c, s in variables.items() if isinstance(s, dict) and s.get("role") == role]
        given = design.get(key)
        if given is None:
            continue
        if by_role:
            raise CodebookError(f"{where}: the {key} is given twice, as role: {role} ({', '.join(by_role)}) and "
                                f"as `design.{key}`; keep one.")  # fmt: skip
        for col in _as_list(given):
            if not isinstance(col, str) or col not in variables:
                raise CodebookError(f"{where}: `design.{key}` must name a variable of the table; {col!r} is "
                                    "not one.")  # fmt: skip
        if role in ("weight", "strata") and not isinstance(given, str):
            raise CodebookError(f"{where}: `design.{key}` names one column; not {given!r}.")
    cols = _columns(variables, design)
    for role in ("weight", "strata"):
        if len(cols[role]) > 1:
            raise CodebookError(f"{where}: only one column of a table may have role: {role}, but "
                                f"{', '.join(map(repr, cols[role]))} have it; keep it on one column.")  # fmt: skip
    for role in ("weight", "fpc", "replicate_weight"):
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
    _check_replicate_spec(where, cols, design)


def _check_replicate_spec(where: str, cols: dict, design: dict) -> None:
    """A replicate-weight design: the weight, the type and its scales, and nothing of a linearisation
    design; the replicate options only with replicate weights."""
    reps = cols["replicate_weight"]
    options = [k for k in REPLICATE_KEYS if k in design]
    if not reps:
        if options:
            raise CodebookError(f"{where}: `design.{options[0]}` is an option of replicate weights, but the table "
                                "has none; give the replicate weight columns role: replicate_weight (or "
                                "`design.replicate_weights: [...]`), or remove the option.")  # fmt: skip
        return
    linear = [f"role: {r} ({', '.join(cols[r])})" for r in ("strata", "psu", "fpc") if cols[r]]
    linear += [f"`design.{k}`" for k in ("nest", "lonely_psu") if k in design]
    if linear:
        raise CodebookError(f"{where}: the table has replicate weights and {', '.join(linear)}; a design is either "
                            "replicate weights (they stand for the strata and PSUs) or strata/PSUs (Taylor "
                            "linearisation). Keep one: remove the other roles (e.g. role: metadata).")  # fmt: skip
    if not cols["weight"]:
        raise CodebookError(f"{where}: the replicate weights {', '.join(map(repr, reps[:3]))}... need the "
                            "full-sample weight: give its column role: weight.")  # fmt: skip
    if len(set(reps)) != len(reps) or cols["weight"][0] in reps:
        raise CodebookError(f"{where}: a column is named twice among the weight and the replicate weights.")
    if "replicate_type" not in design:
        raise CodebookError(f"{where}: replicate weights need `design.replicate_type`, one of "
                            f"{', '.join(REPLICATE_TYPES)} (R's svrepdesign type; the data's documentation says "
                            "which), e.g. design: {replicate_type: JK1}.")  # fmt: skip
    if design["replicate_type"] not in REPLICATE_TYPES:
        raise CodebookError(f"{where}: `design.replicate_type` must be one of {', '.join(REPLICATE_TYPES)}; not "
                            f"{design['replicate_type']!r}.")  # fmt: skip
    if "mse" in design and not isinstance(design["mse"], bool):
        raise CodebookError(f"{where}: `design.mse` must be true or false; not {design['mse']!r}.")
    try:
        replicate_scales(design["replicate_type"], len(reps), scale=design.get("scale"),
                         rscales=design.get("rscales"), rho=design.get("rho"))  # fmt: skip
    except ParameterError as err:
        raise CodebookError(f"{where}, `design`: {err}") from None


def design_columns(variables: dict, design: dict | None) -> dict:
    """The keyword arguments of ``survey_design`` for a table ({} without a design role): ``weight``,
    ``strata``, ``psu``, ``fpc``, ``nest``, ``lonely_psu``; or, with replicate weights, ``weight``,
    ``replicate_weights``, ``replicate_type``, ``scale``, ``rscales``, ``rho``, ``mse``."""
    cols = _columns(variables, design)
    if not any(cols.values()):
        return {}
    design = design or {}

    def one(names):
        return None if not names else names[0] if len(names) == 1 else list(names)

    if cols["replicate_weight"]:
        return {"weight": one(cols["weight"]), "replicate_weights": list(cols["replicate_weight"]),
                "replicate_type": design.get("replicate_type"), "scale": design.get("scale"),
                "rscales": design.get("rscales"), "rho": design.get("rho"),
                "mse": bool(design.get("mse", False))}  # fmt: skip
    return {"weight": one(cols["weight"]), "strata": one(cols["strata"]), "psu": one(cols["psu"]),
            "fpc": one(cols["fpc"]), "nest": bool(design.get("nest", False)),
            "lonely_psu": str(design.get("lonely_psu", "fail"))}  # fmt: skip


def value_problems(role: str, typed: pd.Series, why: pd.Series) -> pd.Series:
    """Why each value of a design column keeps its row out of the sample (NA where it is fine):
    missing, (weight, fpc) not a positive finite number, (replicate weight) negative or infinite.
    `why` holds the type problems."""
    out = why.copy()
    missing = typed.isna() & out.isna()
    out[missing] = f"missing: every row needs its {_WHAT[role]}"
    if role in ("weight", "fpc"):
        num = pd.to_numeric(typed, errors="coerce").astype(float)
        out[(num <= 0).fillna(False) & out.isna()] = f"not positive: a {_WHAT[role]} must be > 0"
    if role == "replicate_weight":
        num = pd.to_numeric(typed, errors="coerce").astype(float)
        out[(num < 0).fillna(False) & out.isna()] = "negative: a replicate weight must be >= 0"
        out[np.isinf(num).fillna(False) & out.isna()] = "infinite: a replicate weight must be a finite number"
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
    "n_lonely": "Strata with a single PSU", "replicate_type": "Replicate weights: type (R's svrepdesign)",
    "n_replicates": "Replicate weights", "scale": "Replicate variance: scale",
    "rscales": "Replicate variance: rscales (per replicate)",
    "mse": "Replicate variance centred at the full-sample estimate (mse)",
    "df": "Design degrees of freedom (rank of the replicate weights - 1)",
}  # fmt: skip


def _span(values: np.ndarray) -> float | str:
    lo, hi = float(values.min()), float(values.max())
    return lo if lo == hi else f"{lo:.6g} to {hi:.6g}"


def design_summary(data: pd.DataFrame, *, weight: str | None = None, strata: str | None = None,
                   psu: str | list[str] | None = None, fpc: str | list[str] | None = None, nest: bool = False,
                   lonely_psu: str = "fail", replicate_weights: list[str] | None = None,
                   replicate_type: str | None = None, scale: float | None = None,
                   rscales: float | list[float] | None = None, rho: float | None = None,
                   mse: bool = False) -> pd.DataFrame:  # fmt: skip
    """Describe a sample design: its columns, size, weights, strata, PSUs and lonely strata, or its
    replicate weights.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysed rows (``Dataset.table``).
    weight, strata, psu, fpc, nest, lonely_psu, replicate_weights, replicate_type, scale, rscales, rho, mse
        As for ``survey_design`` (``Dataset.design_columns(table)`` gives them from the codebook).

    Returns
    -------
    pandas.DataFrame
        One row per quantity: ``quantity``, ``label`` (readable text, `SUMMARY_LABELS`) and
        ``value``: ``design`` (the columns, as text), ``lonely_psu`` (the option in force), ``n``,
        ``sum_weights``, ``weight_min``, ``weight_max``, ``weight_cv``, ``kish_deff``,
        ``n_effective`` (weight rows only when there is a weight), ``n_strata``, ``n_psu``
        (first stage; each row when there is no PSU) and ``n_lonely`` (strata with one PSU).
        With replicate weights, after the weight rows: ``replicate_type``, ``n_replicates``,
        ``scale`` and ``rscales`` (as used: the type's defaults unless given; rscales one number
        when they are all equal, else "min to max"), ``mse`` and ``df`` (R's ``degf``), instead of
        ``lonely_psu``, ``n_strata``, ``n_psu`` and ``n_lonely``.

    Raises
    ------
    DataError
        A design column is not in `data`.
    ParameterError
        A bad `lonely_psu`, or replicate options that do not fit the type (`replicate_scales`).

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
    >>> data = data.assign(r1=[0.0, 2, 4, 8], r2=[2.0, 0, 4, 8], r3=[1.0, 1, 0, 8])
    >>> out = design_summary(data, weight="w", replicate_weights=["r1", "r2", "r3"], replicate_type="JK1")
    >>> out.set_index("quantity")["value"][["n_replicates", "scale", "df"]].tolist()
    [3, 0.6666666666666666, 2]
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"`data` must be a pandas DataFrame, but {type(data).__name__} was passed.")
    _check_one_of("lonely_psu", lonely_psu, LONELY_PSU)
    psus, fpcs, reps = _as_list(psu), _as_list(fpc), _as_list(replicate_weights)
    _require_columns(data, [c for c in [weight, strata, *psus, *fpcs, *reps] if c is not None])
    if reps:
        used_scale, used_rscales = replicate_scales(replicate_type, len(reps), scale=scale, rscales=rscales, rho=rho)
        shown = ", ".join(reps) if len(reps) <= 4 else f"{reps[0]} ... {reps[-1]}"
        parts = [f"weight {weight}" if weight else "no weight",
                 f"{len(reps)} {replicate_type} replicate weights ({shown})"]  # fmt: skip
        if replicate_type == "Fay":
            parts[-1] += f", rho {rho:g}"
        rows = [("design", "; ".join(parts)), ("n", len(data))]
    else:
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
    if reps:
        rw = data[reps].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        rw = rw[np.isfinite(rw).all(axis=1)]
        rows += [("replicate_type", replicate_type), ("n_replicates", len(reps)), ("scale", used_scale),
                 ("rscales", _span(used_rscales)), ("mse", bool(mse)),
                 ("df", replicate_df(rw) if len(rw) else np.nan)]  # fmt: skip
        return pd.DataFrame([(q, SUMMARY_LABELS.get(q, "Design columns"), v) for q, v in rows],
                            columns=["quantity", "label", "value"])  # fmt: skip
    s = data[strata].astype("string") if strata else pd.Series("1", index=data.index, dtype="string")
    p = data[psus[0]].astype("string") if psus else pd.Series(np.arange(len(data)).astype(str), index=data.index)
    key = s + "\x1f" + p if nest else p
    n_psu = key.groupby(s.to_numpy()).nunique()
    rows += [("n_strata", int(s.nunique())), ("n_psu", int(key.nunique())), ("n_lonely", int((n_psu == 1).sum()))]
    labels = {"design": "Design columns", "lonely_psu": "Single-PSU strata (R's survey.lonely.psu)"} | SUMMARY_LABELS
    return pd.DataFrame([(q, labels[q], v) for q, v in rows], columns=["quantity", "label", "value"])
