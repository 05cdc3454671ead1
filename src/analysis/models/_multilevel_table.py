"""Private helpers of `analysis.models.multilevel`: design matrices, nlme degrees of freedom and
the tidy tables of a fit (the fields of `MultilevelResult`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.exceptions import DataError, ParameterError

__all__ = ["drop_missing", "excluded_rows", "design", "nlme_df", "build_result"]


def drop_missing(data: pd.DataFrame, columns: list[str], ids: dict[str, str]):
    """Complete cases on `columns`, and the excluded rows (`excluded_rows`)."""
    miss = data[columns].isna().any(axis=1).to_numpy()
    return data.loc[~miss], excluded_rows(data, miss, columns, ids)


def excluded_rows(data: pd.DataFrame, drop: np.ndarray, variables: list[str], ids: dict[str, str]) -> pd.DataFrame:
    """One row per dropped row of `data` (boolean mask `drop`): ``row`` (index label), ``reason``
    (the missing ones of `variables`), then one column per id role (``{"person": column}``)."""
    drop = np.asarray(drop, dtype=bool)
    variables = list(dict.fromkeys(variables))
    miss = data[variables].isna().to_numpy()[drop] if variables else np.zeros((int(drop.sum()), 0), bool)
    reasons = ["missing " + ", ".join(c for c, m in zip(variables, row, strict=True) if m) if row.any()
               else "missing value in a model term" for row in miss]  # fmt: skip
    out = pd.DataFrame({"row": pd.Series(data.index[drop], dtype=object), "reason": pd.Series(reasons, dtype=object)})
    for name, column in ids.items():
        out[name] = data[column].iloc[np.flatnonzero(drop)].reset_index(drop=True)
    return out


def _variables(formula: str, rhs: str, columns) -> list[str]:
    """Columns named in the formula and the random part, in the order they appear."""
    import ast

    import patsy

    names = []
    for text in (formula, "~" + rhs):
        try:
            desc = patsy.ModelDesc.from_formula(text)
            codes = [f.code for t in desc.lhs_termlist + desc.rhs_termlist for f in t.factors]
            names += [n.id for c in codes for n in ast.walk(ast.parse(c)) if isinstance(n, ast.Name)]
        except (patsy.PatsyError, SyntaxError):
            continue
    return [n for n in dict.fromkeys(names) if n in columns]


def design(data: pd.DataFrame, formula: str, random: str, ids: list[str], id_roles: dict[str, str]):
    """Outcome, fixed and random design matrices (patsy) on the complete rows, the positions of
    those rows in `data`, and the excluded rows (`excluded_rows`, id columns `id_roles`)."""
    import patsy

    if not isinstance(formula, str) or "~" not in formula:
        raise ParameterError(f"`formula` must be a string like 'y ~ x1 + x2', but {formula!r} was passed.")
    rhs = random.split("~", 1)[-1] if isinstance(random, str) else None
    if not rhs or not rhs.strip():
        raise ParameterError(f"`random` must be a string like '~ 1 + x', but {random!r} was passed.")
    lhs = formula.split("~", 1)[0].strip()
    if lhs in data.columns and (not pd.api.types.is_numeric_dtype(data[lhs]) or pd.api.types.is_bool_dtype(data[lhs])):
        raise DataError(f"The outcome {lhs!r} must be numeric, but it has dtype {data[lhs].dtype}.")
    # only the columns the formulas can name (plus ids), nullable Int64/Float64 as float64 with NaN
    used = [c for c in data.columns if isinstance(c, str) and (c in formula or c in random or c in ids)]
    work = data[used].reset_index(drop=True)  # positions: the index of `data` may repeat labels
    num = [c for c in used if pd.api.types.is_numeric_dtype(work[c]) and not pd.api.types.is_bool_dtype(work[c])]
    work = work.astype({c: "float64" for c in num})
    try:
        yd, X = patsy.dmatrices(formula, work, NA_action="drop", return_type="dataframe")
        Z = patsy.dmatrix(rhs, work, NA_action="drop", return_type="dataframe")
    except (patsy.PatsyError, NameError, KeyError) as err:
        have = ", ".join(repr(c) for c in list(work.columns)[:15])
        raise DataError(f"Cannot build the model from formula {formula!r} / random {random!r}: {err}. "
                        f"Columns present: {have}.") from None  # fmt: skip
    if yd.shape[1] != 1:
        raise DataError(f"The outcome of {formula!r} must be one numeric column.")
    keep = X.index.intersection(yd.index).intersection(Z.index)
    keep = keep[work.loc[keep, ids].notna().all(axis=1).to_numpy()]
    drop = np.ones(len(work), dtype=bool)
    drop[keep.to_numpy()] = False
    excluded = excluded_rows(data, drop, _variables(formula, rhs, work.columns) + ids, id_roles)
    X, Z = X.loc[keep], Z.loc[keep]
    X.columns = [str(c) for c in X.columns]
    Z.columns = [str(c) for c in Z.columns]
    if len(keep) <= X.shape[1] + 1:
        raise DataError(f"Only {len(keep)} complete rows for {X.shape[1]} fixed effects; too few to fit the model.")
    if np.linalg.matrix_rank(X.to_numpy(float)) < X.shape[1]:
        raise DataError(f"The fixed effects of {formula!r} are collinear (a column is constant or a combination "
                        "of others, e.g. a between-person term that does not vary); remove one.")  # fmt: skip
    return yd.loc[keep].iloc[:, 0].to_numpy(float), X, Z, keep.to_numpy(), excluded


def nlme_df(X: pd.DataFrame, levels: list[np.ndarray]) -> np.ndarray:
    """Denominator df as nlme: each term sits at the innermost grouping level within which it is
    constant (else at the residual level); df = units(level) - units(level above) - terms there
    (the intercept sits at the residual level; without an intercept one term fewer counts)."""
    x = X.to_numpy(float)
    n = x.shape[0]
    names = list(X.columns)
    has_int = "Intercept" in names
    units = [1] + [int(np.unique(g).size) for g in levels] + [n]
    where = []
    for j, name in enumerate(names):
        if name == "Intercept":
            where.append(len(levels) + 1)
            continue
        lvl = len(levels) + 1
        for i in range(len(levels) - 1, -1, -1):
            s = pd.Series(x[:, j])
            if (s.groupby(levels[i]).nunique(dropna=False) <= 1).all():
                lvl = i + 1
            else:
                break
        where.append(lvl)
    where = np.array(where)
    df = np.empty(len(names))
    for lvl in range(1, len(levels) + 2):
        k = int(np.sum((where == lvl) & np.array([nm != "Intercept" for nm in names])))
        if lvl == len(levels) + 1 and not has_int:
            k -= 1
        df[where == lvl] = units[lvl] - units[lvl - 1] - k
    return df


def build_result(X, y, fit, names, eff, unit_vals, levels, *, method, ci, excluded, couples, outcome, ar1,
                 role_labels=None, persons=None) -> dict:  # fmt: skip
    """The fields of a `MultilevelResult` (tidy tables) from an `LmmFit`."""
    n, p = X.shape
    # nlme's summary for ML fits scales the fixed-effect covariance by N / (N - p) (lmer does not)
    se = np.sqrt(np.diag(fit.cov_beta) * (n / (n - p) if method == "ML" else 1.0))
    df = nlme_df(X, levels)
    t = fit.beta / se
    q = stats.t.ppf(0.5 + ci / 2, df)
    coef = pd.DataFrame({"term": list(X.columns), "estimate": fit.beta, "se": se, "df": df, "statistic": t,
                         "p_value": 2 * stats.t.sf(np.abs(t), df), "ci_low": fit.beta - q * se,
                         "ci_high": fit.beta + q * se})  # fmt: skip
    rows = []
    for (level, cols), cov in zip(names, fit.cov_re, strict=True):
        sds = np.sqrt(np.diag(cov))
        rows += [(level, "sd", c, s) for c, s in zip(cols, sds, strict=True)]
        for i in range(len(cols)):
            for j in range(i + 1, len(cols)):
                r = cov[i, j] / (sds[i] * sds[j]) if sds[i] > 0 and sds[j] > 0 else np.nan
                rows.append((level, "cor", f"{cols[i]}:{cols[j]}", r))
    rows.append(("residual", "sd", role_labels[0] if role_labels else "", fit.sigma))
    if role_labels:
        rows += [("residual", "sd_ratio", lab, fit.sd_ratio[k]) for k, lab in enumerate(role_labels) if k > 0]
        rows.append(("residual", "rho", "", fit.rho))
    if ar1:
        rows.append(("residual", "phi", "", fit.phi))
    var = pd.DataFrame(rows, columns=["level", "parameter", "term", "estimate"])
    k = p + int(sum(c.shape[0] * (c.shape[0] + 1) // 2 for c in fit.cov_re)) + 1 + int(ar1)
    k += (len(role_labels) - 1 + 1) if role_labels else 0
    bic_n = n - p if method == "REML" else n
    fit_t = pd.DataFrame({"n": [n], "persons": [persons if persons is not None else int(np.unique(levels[-1]).size)],
                          "couples": [couples if couples is not None else np.nan],
                          "n_excluded": [len(excluded)], "method": [method],
                          "loglik": [fit.loglik], "aic": [-2 * fit.loglik + 2 * k],
                          "bic": [-2 * fit.loglik + k * np.log(bic_n)], "n_parameters": [k],
                          "converged": [fit.converged]})  # fmt: skip
    cols = names[-1][1]
    beta = dict(zip(X.columns, fit.beta, strict=True))
    pe = pd.DataFrame({"person": np.repeat(np.asarray(unit_vals), len(cols)), "term": np.tile(cols, len(eff)),
                       "random_effect": np.asarray(eff).ravel()})  # fmt: skip
    pe["estimate"] = pe["random_effect"] + pe["term"].map(beta).fillna(0.0)
    return {"coefficients": coef, "variances": var, "fit": fit_t, "person_effects": pe, "excluded": excluded,
            "outcome": outcome, "ci": ci}  # fmt: skip
