"""Formula designs shared by `analysis.models.regression`, `analysis.models.limited_outcomes` and
`analysis.models.effect_sizes`: parsing a patsy formula against a DataFrame (unknown names, missing
rows listed one per row in ``excluded``: ``row``, ``reason``), the design matrices, the check of a
confidence level, Wald tables and the one-row fit table (``n``, ``n_excluded``, ...)."""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy
from scipy import stats

from analysis.exceptions import DataError, ParameterError

_ENV = {"np": np}  # names a formula may use besides columns, patsy's and Python's builtins
_KNOWN = set(_ENV) | set(patsy.builtins.__all__) | set(dir(builtins))


# ------------------------------------------------------------------------------------------------
# formula, missing values, design
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Design:
    desc: patsy.ModelDesc
    rows: pd.DataFrame  # complete rows, the formula's variables
    excluded: pd.DataFrame
    outcome: str
    outcome_column: str | None  # the column when the left-hand side is a bare column name


def _names(code: str, columns) -> tuple[set[str], set[str]]:
    """(columns, unknown names) referenced by one patsy factor's Python code."""
    try:
        tree = ast.parse(code.strip(), mode="eval")
    except SyntaxError:
        return set(), set()
    used, unknown = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Q":
            for a in node.args:
                if isinstance(a, ast.Constant):
                    (used if a.value in columns else unknown).add(a.value)
        elif isinstance(node, ast.Name):
            if node.id in columns:
                used.add(node.id)
            elif node.id not in _KNOWN:
                unknown.add(node.id)
    return used, unknown


def _prepare(data: pd.DataFrame, formula: str) -> _Design:
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"`data` must be a pandas DataFrame, but {type(data).__name__} was passed.")
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise ParameterError(f"`formula` must be a string 'outcome ~ predictors', but {formula!r} was passed.")
    try:
        desc = patsy.ModelDesc.from_formula(formula)
    except patsy.PatsyError as err:
        raise ParameterError(f"The formula {formula!r} cannot be read: {err.message}") from None
    if not desc.lhs_termlist:
        raise ParameterError(f"The formula {formula!r} has no outcome left of '~'.")
    columns = set(map(str, data.columns))
    variables, unknown, lhs = [], set(), []
    for side, terms in (("lhs", desc.lhs_termlist), ("rhs", desc.rhs_termlist)):
        for t in terms:
            for factor in t.factors:
                used, bad = _names(factor.code, columns)
                unknown |= bad
                variables += [v for v in sorted(used) if v not in variables]
                if side == "lhs":
                    lhs.append(factor.code)
    if unknown:
        have = ", ".join(repr(c) for c in list(data.columns)[:12])
        raise DataError(f"The formula {formula!r} names {', '.join(map(repr, sorted(unknown)))}, which "
                        f"is not a column of data (columns: {have}{' ...' if data.shape[1] > 12 else ''}). "
                        "Check the spelling; quote odd names as Q('my name').")  # fmt: skip
    sub = data[variables]
    for v in variables:
        if sub[v].isna().all():
            raise DataError(f"Column {v!r} has no non-missing values; it cannot enter the model.")
    miss = sub.isna()
    bad_rows = miss.any(axis=1)
    # one text per pattern of missing columns (few patterns, many rows)
    patterns, which = np.unique(miss[bad_rows].to_numpy(), axis=0, return_inverse=True)
    texts = [f"missing value in {', '.join(c for c, m in zip(variables, p, strict=True) if m)}" for p in patterns]
    reasons = [texts[i] for i in np.ravel(which)]
    excluded = pd.DataFrame({"row": list(data.index[bad_rows.to_numpy()]), "reason": reasons})
    rows = sub[~bad_rows.to_numpy()]
    outcome = " ".join(lhs)
    return _Design(desc, rows, excluded, outcome, outcome if outcome in columns else None)


def _rhs(design: _Design, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """The right-hand side design matrix (patsy), with checks for constant or collinear columns."""
    rows = design.rows if rows is None else rows
    try:
        X = patsy.dmatrix(patsy.ModelDesc([], design.desc.rhs_termlist), rows, NA_action="raise",
                          eval_env=patsy.EvalEnvironment([_ENV]), return_type="dataframe")  # fmt: skip
    except patsy.PatsyError as err:
        raise DataError(f"A predictor of the formula could not be computed: {err.message}") from None
    if len(X) == 0:
        raise DataError("No row has a value for every variable of the formula; see `.excluded` "
                        "or check the columns for missing values.")  # fmt: skip
    values = X.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise DataError("A predictor has infinite or undefined values (e.g. log of 0); transform it first.")
    for j, name in enumerate(X.columns):
        if name != "Intercept" and np.ptp(values[:, j]) == 0:
            raise DataError(f"Predictor {name!r} is constant (every used row is {values[0, j]:g}); a "
                            "constant cannot be estimated beside the intercept. Drop it from the formula.")
    scaled = values / np.linalg.norm(values, axis=0)
    if np.linalg.matrix_rank(scaled, tol=1e-10) < X.shape[1]:  # name the first redundant column
        first = next(j for j in range(1, X.shape[1])
                     if np.linalg.matrix_rank(scaled[:, :j + 1], tol=1e-10) <= j)  # fmt: skip
        raise DataError(f"The predictors are perfectly collinear: {X.columns[first]!r} is a linear "
                        "combination of the predictors before it. Remove it (or one it "
                        "depends on).")  # fmt: skip
    if len(X) <= X.shape[1]:
        raise DataError(f"Only {len(X)} complete rows for {X.shape[1]} coefficients; more rows are needed.")
    return X


def _numeric_outcome(design: _Design) -> pd.Series:
    col = design.outcome_column
    if col is not None and not (pd.api.types.is_numeric_dtype(design.rows[col])
                                and not pd.api.types.is_bool_dtype(design.rows[col])):  # fmt: skip
        raise DataError(f"The outcome {col!r} is not numeric (dtype {design.rows[col].dtype}); "
                        "convert it to numbers first.")  # fmt: skip
    try:
        y = patsy.dmatrix(patsy.ModelDesc([], design.desc.lhs_termlist), design.rows, NA_action="raise",
                          eval_env=patsy.EvalEnvironment([_ENV]), return_type="dataframe")  # fmt: skip
    except patsy.PatsyError as err:
        raise DataError(f"The outcome {design.outcome!r} could not be computed: {err.message}") from None
    if y.shape[1] != 1:
        raise DataError(f"The outcome {design.outcome!r} is not numeric; convert it to numbers first.")
    return y.iloc[:, 0]


def _wald_table(names, est, se, ci, dist="norm", df=None) -> pd.DataFrame:
    """Wald table; the interval's quantile is at (1 + ci) / 2 (equal to 1 - alpha / 2 in floats)."""
    stat = est / se
    if dist == "t":
        p, q = 2 * stats.t.sf(np.abs(stat), df), stats.t.ppf((1 + ci) / 2, df)
    else:
        p, q = 2 * stats.norm.sf(np.abs(stat)), stats.norm.ppf((1 + ci) / 2)
    out = pd.DataFrame({"term": list(names), "estimate": est, "se": se, "statistic": stat})
    if dist == "t":
        out["df"] = int(df)
    out["p_value"], out["ci_low"], out["ci_high"] = p, est - q * se, est + q * se
    return out


def _fit_row(design: _Design, n: int, **values) -> pd.DataFrame:
    return pd.DataFrame([{"n": n, "n_excluded": len(design.excluded), **values}])
