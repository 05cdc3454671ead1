"""Data preparation for `analysis.dyadic`: formula variables, pairing (actor/partner columns),
complete cases with a ledger of excluded rows, role coding and the per-dyad design of `_gls`."""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd
import patsy

from . import _gls
from ._validation import _check_one_of, _require_columns
from .exceptions import DataError, ParameterError
from .reshape import individual_to_pairwise

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


def _frame(data, formula, dyad, partner):
    """The pairwise frame of the variables in `formula` (+ dyad, partner, `_row`)."""
    outcome, names = _formula_names(formula)
    _require_columns(data, [dyad] + ([partner] if partner else []))
    pair = sorted({n[:-2] for n in names if n not in data.columns and n.endswith((ACTOR, PARTNER))
                   and n[:-2] in data.columns})
    plain = sorted(n for n in names if n in data.columns and n not in (dyad, partner))
    unknown = sorted(n for n in names if n not in data.columns and n[:-2] not in pair)
    if unknown:
        _require_columns(data, unknown)
    keys = [dyad] + ([partner] if partner else [])
    frame = data[keys + sorted(set(plain) | set(pair))].reset_index(drop=True)
    frame["_row"] = np.asarray(data.index, dtype=object)
    if pair:
        if partner is None:
            raise ParameterError(f"The formula uses {[p + ACTOR for p in pair][:3]} ... but `data` "
                                 "has one row per person; pass `partner=` (the member's role or "
                                 "number within the dyad) so each row can be paired.")
        frame = individual_to_pairwise(frame, dyad=dyad, partner=partner, variables=pair)
    return outcome, frame


def prepare(data, formula, dyad, partner, model):
    """Complete-case rows, the design, term names, role labels and the excluded-row table."""
    _check_one_of("model", model, MODELS)
    if model != "indistinguishable" and partner is None:
        raise ParameterError(f"model={model!r} needs `partner`: the column holding each member's "
                             "role (e.g. gender), whose two values tell the members apart.")
    outcome, frame = _frame(data, formula, dyad, partner)
    used = [c for c in frame.columns if c != "_row" and (c != partner or model != "indistinguishable")]
    miss = frame[used].isna().to_numpy()
    drop = miss.any(axis=1)
    excluded = pd.DataFrame({"row": frame["_row"][drop].to_list(), "dyad": frame[dyad][drop].to_list(),
                             "reason": ["missing " + ", ".join(c for c, m in zip(used, row, strict=True) if m)
                                        for row in miss[drop]]})
    frame = frame[~drop].reset_index(drop=True)
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
    roles, role = _roles(frame, partner, model)
    xm, terms = x.to_numpy(float), list(x.columns)
    if model == "two_intercept":
        xm = np.hstack([xm * (role == 0)[:, None], xm * (role == 1)[:, None]])
        terms = [f"{t} ({roles[k]})" for k in (0, 1) for t in terms]
    elif model == "interaction":
        e = np.where(role == 0, -1.0, 1.0)[:, None]
        terms = terms + [partner if t == "Intercept" else f"{t}:{partner}" for t in terms]
        xm = np.hstack([xm, xm * e])
    if np.linalg.matrix_rank(xm) < xm.shape[1]:
        raise DataError(f"The predictors of {formula!r} are collinear (terms {terms}); a "
                        "dyad-level variable cannot enter as both _A and _P, and a constant "
                        "cannot be a predictor. Drop the redundant term.")
    design, info = _design(xm, y.to_numpy(float)[:, 0], dyad_code, role, model != "indistinguishable")
    info.update(n_excluded=len(excluded), roles=roles)
    return design, terms, info, excluded


def _roles(frame, partner, model):
    if model == "indistinguishable":
        return ["both"], np.zeros(len(frame), dtype=int)
    values = frame[partner]
    roles = (list(values.cat.categories[values.cat.categories.isin(values)])
             if isinstance(values.dtype, pd.CategoricalDtype) else sorted(pd.unique(values)))
    if len(roles) != 2:
        raise DataError(f"Distinguishable dyads need exactly two roles in `{partner}`, but the "
                        f"analysed rows hold {len(roles)}: {roles[:6]}. Recode `{partner}` or use "
                        "model='indistinguishable'.")
    return [r.item() if hasattr(r, "item") else r for r in roles], (values == roles[1]).to_numpy(int)


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
