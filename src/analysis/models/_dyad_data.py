"""Data preparation for `analysis.dyadic`: formula variables, pairing (actor/partner columns),
complete cases with a ledger of excluded rows, role coding and the per-dyad design of `_gls`."""

from __future__ import annotations

import ast
import operator

import numpy as np
import pandas as pd
import patsy

from analysis._checks import _check_one_of, _require_columns
from analysis.data.dyad_reshape import individual_to_pairwise
from analysis.exceptions import DataError, ParameterError
from analysis.models import _gls

__all__ = ["select_roles", "prepare", "empty_design"]

ACTOR, PARTNER = "_A", "_P"
MODELS = ("indistinguishable", "two_intercept", "interaction")
_PATSY_NAMES = {"np", "C", "I", "Q", "center", "standardize", "scale", "Treatment", "Sum",
                "Poly", "Diff", "Helmert", "log", "exp", "sqrt", "abs"}


def _formula_names(formula: str) -> tuple[str, set]:
    if not isinstance(formula, str) or "~" not in formula:
        raise ParameterError(f"The value for `formula` must be a string such as "
                             f"'satisfaction ~ avoidance_A + avoidance_P', but {formula!r} was passed.")
    try:
        desc = patsy.ModelDesc.from_formula(formula)
    except patsy.PatsyError as err:
        raise ParameterError(f"The formula {formula!r} cannot be read: {err}") from None
    codes = [f.code for t in desc.lhs_termlist + desc.rhs_termlist for f in t.factors]
    names = {n.id for c in codes for n in ast.walk(ast.parse(c)) if isinstance(n, ast.Name)}
    lhs = [f.code for t in desc.lhs_termlist for f in t.factors]
    if len(lhs) != 1:
        raise ParameterError(f"The formula {formula!r} must have one outcome left of '~'.")
    return lhs[0], names - _PATSY_NAMES


def _frame(data, formula, dyad, partner, role):
    """The pairwise frame of the variables in `formula` (+ dyad, partner, role, `_row`)."""
    outcome, names = _formula_names(formula)
    keys = list(dict.fromkeys([dyad] + [c for c in (partner, role) if c]))
    _require_columns(data, keys)
    pair = sorted({n[:-2] for n in names if n not in data.columns and n.endswith((ACTOR, PARTNER))
                   and n[:-2] in data.columns})
    plain = sorted(n for n in names if n in data.columns and n not in keys)
    unknown = sorted(n for n in names if n not in data.columns and n[:-2] not in pair)
    if unknown:
        _require_columns(data, unknown)
    frame = data[keys + sorted(set(plain) | set(pair))].reset_index(drop=True)
    frame["_row"] = np.asarray(data.index, dtype=object)
    if pair:
        if partner is None:
            raise ParameterError(f"The formula uses {[p + ACTOR for p in pair][:3]} ... but `data` "
                                 "has one row per person; pass `partner=` (the member's role or "
                                 "number within the dyad) so each row can be paired.")
        frame = individual_to_pairwise(frame, dyad=dyad, partner=partner, variables=pair)
    return outcome, frame


def _excluded(frame, dyad, mask, reasons) -> pd.DataFrame:
    """The rows left out, in the layout of every result's ``.excluded``: ``row`` (index label in
    `data`), ``reason``, ``dyad``."""
    return pd.DataFrame({"row": frame["_row"][mask].to_list(), "reason": list(reasons),
                         "dyad": frame[dyad][mask].to_list()})


def select_roles(frame, dyad, role, roles):
    """Keep rows whose `role` is one of `roles` (default: the two values present) and dyads
    whose two members differ in role. Returns (kept frame, excluded table, roles, 0/1 code)."""
    values = frame[role]
    if roles is None:
        roles = (list(values.cat.categories[values.cat.categories.isin(values)])
                 if isinstance(values.dtype, pd.CategoricalDtype) else sorted(pd.unique(values.dropna())))
        if len(roles) != 2:
            raise DataError(f"Distinguishable dyads need two roles, but `{role}` holds {len(roles)} "
                            f"values {[_py(r) for r in roles][:6]}. Pass `roles=` with the two to "
                            "compare (other rows are then excluded and listed), or use an "
                            "indistinguishable model.")
    elif isinstance(roles, str) or not pd.api.types.is_list_like(roles) or len(roles) != 2 \
            or operator.eq(*roles):
        raise ParameterError(f"The value for `roles` must be a list of two different values of "
                             f"`{role}`, such as ['woman', 'man'], but {roles!r} was passed.")
    roles = [_py(r) for r in roles]
    other = ~values.isin(roles).to_numpy()
    out = [_excluded(frame, dyad, other, [f"{role} = {_py(v)!r} is not one of the roles {roles}"
                                          for v in values[other]])]
    frame = frame[~other].reset_index(drop=True)
    grp = frame.groupby(dyad, sort=False)[role]
    same = ((grp.transform("size") == 2) & (grp.transform("nunique") == 1)).to_numpy()
    out.append(_excluded(frame, dyad, same, [f"both members have {role} = {_py(v)!r}"
                                             for v in frame[role][same]]))
    frame = frame[~same].reset_index(drop=True)
    return frame, pd.concat(out, ignore_index=True), roles, (frame[role] == roles[1]).to_numpy(int)


def _py(value):
    return value.item() if hasattr(value, "item") else value


def prepare(data, formula, dyad, partner, model, role=None, roles=None, same_rows=False):
    """Complete-case rows, the design, term names, role labels and the excluded-row table.

    `same_rows`: for an indistinguishable model, select the rows a distinguishable one would use.
    """
    _check_one_of("model", model, MODELS)
    role = role or partner
    distinct = model != "indistinguishable"
    if (distinct or same_rows) and role is None:
        raise ParameterError(f"model={model!r} needs `role` (or `partner`): the column whose two "
                             "values tell the members apart (e.g. gender).")
    outcome, frame = _frame(data, formula, dyad, partner, role if distinct or same_rows else None)
    used = [c for c in frame.columns if c not in ("_row", partner, role)]
    used += [role] if distinct or same_rows else []
    miss = frame[used].isna().to_numpy()
    drop = miss.any(axis=1)
    excluded = _excluded(frame, dyad, drop, ["missing " + ", ".join(c for c, m in zip(used, row, strict=True) if m)
                                             for row in miss[drop]])
    frame = frame[~drop].reset_index(drop=True)
    code = np.zeros(len(frame), dtype=int)
    labels = ["both"]
    if distinct or same_rows:
        frame, more, labels, code = select_roles(frame, dyad, role, roles)
        excluded = pd.concat([excluded, more], ignore_index=True)
        if same_rows:
            code, labels = np.zeros(len(frame), dtype=int), ["both"]
    if len(frame) < 3:
        raise DataError(f"Only {len(frame)} rows have every variable of {formula!r}; the APIM "
                        "needs more (see which variables are missing).")
    try:
        y, x = patsy.dmatrices(formula, frame, return_type="dataframe", NA_action="raise",
                               eval_env=patsy.EvalEnvironment([{"np": np}]))
    except (patsy.PatsyError, TypeError, ValueError) as err:
        raise DataError(f"The formula {formula!r} cannot be evaluated on the data: {err}. Are "
                        "all its variables numeric (or categorical)?") from None
    if y.shape[1] != 1:
        raise DataError(f"The outcome {outcome!r} must be numeric (it became {y.shape[1]} columns).")
    dyad_code = pd.factorize(frame[dyad])[0]
    xm, terms = x.to_numpy(float), list(x.columns)
    if model == "two_intercept":
        xm = np.hstack([xm * (code == 0)[:, None], xm * (code == 1)[:, None]])
        terms = [f"{t} ({labels[k]})" for k in (0, 1) for t in terms]
    elif model == "interaction":
        e = np.where(code == 0, -1.0, 1.0)[:, None]
        terms = terms + [role if t == "Intercept" else f"{t}:{role}" for t in terms]
        xm = np.hstack([xm, xm * e])
    if np.linalg.matrix_rank(xm) < xm.shape[1]:
        raise DataError(f"The predictors of {formula!r} are collinear (terms {terms}); a "
                        "dyad-level variable cannot enter as both _A and _P, and a constant "
                        "cannot be a predictor. Drop the redundant term.")
    yv, x0 = y.to_numpy(float)[:, 0], x.to_numpy(float)
    if model == "two_intercept":  # SDs within each role
        sdx = np.concatenate([x0[code == k].std(0, ddof=1) for k in (0, 1)])
        sdy = np.repeat([yv[code == k].std(ddof=1) for k in (0, 1)], x0.shape[1])
    else:
        sdx, sdy = xm.std(0, ddof=1), np.full(xm.shape[1], yv.std(ddof=1))
    design, info = _design(xm, yv, dyad_code, code, distinct)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(sdx > 0, sdx / sdy, np.nan)
    info.update(n_excluded=len(excluded), roles=labels, role=role, std_scale=scale)
    return design, terms, info, excluded


def _design(x, y, dyad_code, role, two):
    order = np.lexsort((role, dyad_code))
    z = np.column_stack([x, y])[order]
    code, role = dyad_code[order], role[order]
    size = np.bincount(code)
    if size.max() > 2:
        bad = np.flatnonzero(size > 2)[:5]
        raise DataError(f"{(size > 2).sum()} dyads have more than two rows (dyad codes {bad.tolist()}); "
                        "a dyad has at most two members.")
    first = np.r_[True, code[1:] != code[:-1]]
    start = np.flatnonzero(first)
    is_pair = size[code[start]] == 2
    p1, s = start[is_pair], start[~is_pair]
    if two and (role[p1] == role[p1 + 1]).any():
        raise DataError("Some dyads have two members with the same role; distinguishable dyads "
                        "need one member of each role.")
    design = _gls.Design(np.hstack([z[p1], z[p1 + 1]]), z[s], role[s], x.shape[1], two)
    info = {"n": len(y), "n_dyads": len(start), "n_complete": len(p1), "n_single": len(s)}
    return design, info


def empty_design(design: _gls.Design, roles: int) -> _gls.Design:
    """The same rows with only the intercept(s): one column, or one per role."""
    q = design.n_coef + 1
    y1, y2, ys = design.pairs[:, q - 1], design.pairs[:, -1], design.singles[:, -1]
    one = np.ones_like
    if roles == 1:
        pairs = np.column_stack([one(y1), y1, one(y2), y2])
        singles = np.column_stack([one(ys), ys])
    else:
        zero = np.zeros_like
        pairs = np.column_stack([one(y1), zero(y1), y1, zero(y2), one(y2), y2])
        r = design.single_role
        singles = np.column_stack([(r == 0) * 1.0, (r == 1) * 1.0, ys])
    return _gls.Design(pairs, singles, design.single_role, roles, design.two_variances)
