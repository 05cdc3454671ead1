"""The model-building half of `analysis.srm`: checks of a long round-robin table, its wide layout
(one row per family, one column per directed dyad and indicator), fSRM's parameter table for the
project's SEM engine (`analysis.psychometrics._sem_ml`) and the tidy tables of the fitted model."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from analysis._checks import _require_columns
from analysis.exceptions import AnalysisWarning, ConvergenceWarning, DataError, ParameterError
from analysis.psychometrics import _sem_ml
from analysis.psychometrics._sem_model import _prepare

COMPONENTS = ("family", "actor", "partner", "relationship", "generalized reciprocity", "dyadic reciprocity", "error")
COEFFICIENT_COLUMNS = [
    "component",
    "role",
    "indicator",
    "estimate",
    "se",
    "statistic",
    "p_value",
    "ci_low",
    "ci_high",
    "std_estimate",
]
PARAMETER_COLUMNS = ["lhs", "op", "rhs", "estimate", "se", "z", "p_value", "std_estimate"]
EXCLUDED_COLUMNS = ["row", "reason", "family"]


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
def _check_long(data, family, actor, partner, indicators, roles):
    """Validate the long table; return the role order (3 or 4 roles)."""
    _require_columns(data, [family, actor, partner, *indicators])
    types = pd.api.types
    for c in indicators:
        col = data[c]
        if not types.is_numeric_dtype(col) or types.is_bool_dtype(col):
            bad = col[pd.to_numeric(col, errors="coerce").isna() & col.notna()]
            example = f"; row {bad.index[0]!r} holds {bad.iloc[0]!r}" if len(bad) else ""
            raise DataError(
                f"Indicator column {c!r} must be numeric, but it is {col.dtype}{example}. "
                f"Recode it to numbers (e.g. pd.to_numeric(data[{c!r}], errors='coerce'))."
            )
    ids = data[[actor, partner]]
    same = data.index[(ids[actor] == ids[partner]).to_numpy()]
    if len(same):
        r = same[0]
        raise DataError(
            f"Row {r!r} has {actor} == {partner} ({data.at[r, actor]!r}), a self-rating; the "
            f"Social Relations Model uses ratings of others only. Drop the {len(same)} "
            f"self-rating row(s) first (data[data[{actor!r}] != data[{partner!r}]])."
        )
    key = data[[family, actor, partner]]
    dup = key.duplicated(keep=False) & key.notna().all(axis=1)
    if dup.any():
        rows = list(data.index[dup.to_numpy()][:4])
        f, a, p = (v.item() if isinstance(v, np.generic) else v for v in key[dup].iloc[0])
        raise DataError(
            f"Rows {rows} repeat the same ({family}, {actor}, {partner}) = ({f!r}, {a!r}, {p!r}); "
            "each family needs one row per directed dyad. Average or drop the duplicates first."
        )
    seen = pd.unique(pd.concat([ids[actor], ids[partner]]).dropna())
    if roles is None:
        found = sorted(seen, key=str)
        if set(pd.unique(ids[partner].dropna())) - set(pd.unique(ids[actor].dropna())):
            extra = sorted(set(pd.unique(ids[partner].dropna())) - set(pd.unique(ids[actor].dropna())), key=str)
            raise DataError(
                f"Column {partner!r} holds roles that never rate anyone in {actor!r}: {extra}. "
                "Every member both rates and is rated in a round robin; fix the role codes or "
                "pass `roles=`."
            )
        roles = found
        if len(roles) not in (3, 4):
            raise DataError(
                f"Column {actor!r} holds {len(roles)} roles ({roles}), but the Social Relations "
                "Model here needs families of 3 or 4 members with one role each (e.g. mother, "
                "father, child). Recode the roles or pass `roles=` with 3 or 4 of them."
            )
    else:
        roles = [roles] if isinstance(roles, str) else list(roles)
        if len(roles) not in (3, 4) or len(set(roles)) != len(roles):
            raise ParameterError(f"`roles` must list 3 or 4 different member roles, but {roles!r} was passed.")
        unknown = sorted(set(seen) - set(roles), key=str)
        if unknown:
            raise DataError(
                f"Columns {actor!r}/{partner!r} hold roles not in `roles`: {unknown}. Add them to "
                "`roles` or drop their rows first."
            )
    return list(roles)


def _wide(data, family, actor, partner, indicators, roles, missing):
    """One row per family (columns ``actor_partner_indicator``; listwise: complete families only,
    FIML: families with any rating) and the excluded rows."""
    dyads = [(a, p) for a in roles for p in roles if a != p]
    items = [f"{a}_{p}_{v}" for v in indicators for a, p in dyads]
    reasons = pd.Series("", index=data.index, dtype=object)
    reasons[data[family].isna()] = f"missing value in {family}"
    for c in (actor, partner):
        reasons[data[c].isna() & data[family].notna()] = f"missing value in {c}"
    long = data[data[family].notna()]
    wide = long.pivot(index=family, columns=[actor, partner], values=list(indicators))
    full = pd.MultiIndex.from_tuples([(v, a, p) for v in indicators for a, p in dyads])
    wide = wide.reindex(columns=full)
    wide.columns = items
    for fam, row in wide.iterrows():
        gaps = [i for i, v in zip(items, row.to_numpy(), strict=True) if np.isnan(v)]
        if not gaps or (missing == "fiml" and len(gaps) < len(items)):
            continue
        absent = [f"{a}->{p}" for a, p in dyads if all(f"{a}_{p}_{v}" in gaps for v in indicators)]
        partly = sorted(
            {
                f"{i.rsplit('_', 1)[1]} of {i.split('_')[0]}->{i.split('_')[1]}"
                for i in gaps
                if f"{i.split('_')[0]}->{i.split('_')[1]}" not in absent
            }
        )
        parts = (["no rating " + ", ".join(absent)] if absent else []) + (
            ["missing " + ", ".join(partly)] if partly else []
        )
        reasons[(data[family] == fam).to_numpy()] = f"incomplete family: {'; '.join(parts)}"
    keep = wide.dropna(how="all" if missing == "fiml" else "any")
    bad = reasons != ""
    excluded = pd.DataFrame(
        {"row": list(data.index[bad]), "reason": list(reasons[bad]), "family": list(data.loc[bad, family])},
        columns=EXCLUDED_COLUMNS,
    )
    n_excluded = int(wide.shape[0] - keep.shape[0])
    return keep.reset_index(drop=True), items, excluded, n_excluded


# --------------------------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------------------------
def _latent(roles, family_effect):
    names = (["FE"] if family_effect else []) + [f"A.{r}" for r in roles] + [f"P.{r}" for r in roles]
    return names + [f"R.{a}.{p}" for a in roles for p in roles if a != p]


def srm_table(roles, indicators, family_effect, S, means=False):
    """fSRM's (buildSRMSyntaxLatent) model as a `_sem_ml` parameter table: every loading fixed
    to 1; free variances; A.r ~~ P.r and R.i.j ~~ R.j.i; error variances fixed to 0 with one
    indicator, else free and correlated for the same indicator across all directed dyads; with
    `means` (FIML) a free intercept per observed variable and latent means fixed to 0."""
    latent = _latent(roles, family_effect)
    at = {n: i for i, n in enumerate(latent)}
    dyads = [(a, p) for a in roles for p in roles if a != p]
    items = [(v, a, p) for v in indicators for a, p in dyads]
    start = float(np.mean(np.diag(S))) / 5.0  # about lavaan's scale; all loadings are 1
    t = []
    for k, (_, a, p) in enumerate(items):
        for name in (["FE"] if family_effect else []) + [f"A.{a}", f"P.{p}", f"R.{a}.{p}"]:
            t.append(_sem_ml.row(0, "lambda", k, at[name], False, 1.0))
    for c in range(len(latent)):
        t.append(_sem_ml.row(0, "psi", c, c, True, start))
    for r in roles:  # generalized reciprocity
        t.append(_sem_ml.row(0, "psi", at[f"P.{r}"], at[f"A.{r}"], True, 0.0))
    for i, a in enumerate(roles):  # dyadic reciprocity
        for p in roles[i + 1 :]:
            t.append(_sem_ml.row(0, "psi", at[f"R.{p}.{a}"], at[f"R.{a}.{p}"], True, 0.0))
    one = len(indicators) == 1
    for k in range(len(items)):
        t.append(_sem_ml.row(0, "theta", k, k, not one, 0.0 if one else 0.5 * S[k, k]))
        if not one:
            t += [_sem_ml.row(0, "theta", k, j, True, 0.0) for j in range(k) if items[j][0] == items[k][0]]
        if means:
            t.append(_sem_ml.row(0, "nu", k, 0, True))
    return pd.DataFrame(t), latent


def fit_srm(wide, items, roles, indicators, family_effect, missing):
    """Fit the SRM by ML (listwise: expected-information SEs; FIML: a mean structure and observed
    information, as lavaan); returns (fit-measure dict, engine estimate table, status, latent
    names) and warns as `cfa` does (`_sem_model._run`), after a few Fisher-scoring steps that
    polish the L-BFGS-B optimum (estimates to ~1e-9)."""
    fiml = missing == "fiml"
    data_g, _ = _prepare(wide, items, None, missing)
    table, latent = srm_table(roles, indicators, family_effect, data_g[0].S, means=fiml)
    model = _sem_ml.Model(table, len(items), len(latent), 1, fiml)
    info = "observed" if fiml else "expected"
    out = _sem_ml.fit(model, data_g, model.start(data_g), info, scoring_steps=5)
    if not out["converged"]:
        warnings.warn(
            f"The ML estimator did not converge after {out['iterations']} iterations; estimates "
            "and fit measures may be wrong.",
            ConvergenceWarning,
            stacklevel=3,
        )
    if out["singular"]:
        warnings.warn(
            "The information matrix is singular, so standard errors are NaN; the model may not be identified.",
            ConvergenceWarning,
            stacklevel=3,
        )
    est = _sem_ml.estimates(model, out)
    var = est[est["matrix"].isin(["psi", "theta"]) & (est["row"] == est["col"]) & est["free"]]
    heywood = bool((var["estimate"] < 0).any())
    if heywood:
        warnings.warn(
            "Some estimated variances are negative (a Heywood case); such a component is "
            "probably close to zero in the population.",
            AnalysisWarning,
            stacklevel=3,
        )
    status = {"converged": bool(out["converged"]), "heywood": heywood}
    return _sem_ml.fit_measures(model, data_g, out), est, status, latent


# --------------------------------------------------------------------------------------------
# tidy tables
# --------------------------------------------------------------------------------------------
def _label(name):
    """(component, role) of a latent variable name."""
    if name == "FE":
        return "family", None
    kind, *who = name.split(".")
    comp = {"A": "actor", "P": "partner", "R": "relationship"}[kind]
    return comp, "->".join(who)


def coefficients_table(est, items, latent, indicators, ci):
    """The tidy SRM table (COEFFICIENT_COLUMNS) and the lavaan-style table of every free parameter."""
    crit = stats.norm.ppf(0.5 + ci / 2)
    theta = est[(est["matrix"] == "theta") & (est["row"] == est["col"])]
    error_var = dict(zip(theta["row"], theta["estimate"], strict=True))
    rows, params = [], []
    for r in est.itertuples():
        if not r.free:
            continue
        if r.matrix == "nu":  # FIML intercepts: only in `parameters`
            params.append((items[r.row], "~1", "", r.estimate, r.se, r.z, r.p_value, r.std_estimate))
            continue
        names = latent if r.matrix == "psi" else items
        lhs, rhs = names[min(r.row, r.col)], names[max(r.row, r.col)]
        std_all = r.std_estimate
        if r.matrix == "theta" and r.row != r.col:  # lavaan: a correlation of the two errors
            with np.errstate(invalid="ignore"):
                std_all = r.estimate / np.sqrt(error_var[r.row] * error_var[r.col])
        params.append((lhs, "~~", rhs, r.estimate, r.se, r.z, r.p_value, std_all))
        std = np.nan
        if r.matrix == "psi" and r.row == r.col:
            comp, role = _label(lhs)
            ind = None
        elif r.matrix == "psi":
            std = r.std_estimate
            if lhs.startswith("A."):
                comp, role, ind = "generalized reciprocity", lhs[2:], None
            else:
                a, p = lhs.split(".")[1:]
                comp, role, ind = "dyadic reciprocity", f"{a}<->{p}", None
        elif r.row == r.col:
            a, p, v = lhs.split("_", 2)
            comp, role, ind = "error", f"{a}->{p}", v
        else:
            continue  # error covariances of one indicator across dyads: only in `parameters`
        rows.append(
            (comp, role, ind, r.estimate, r.se, r.z, r.p_value, r.estimate - crit * r.se, r.estimate + crit * r.se, std)
        )
    out = pd.DataFrame(rows, columns=COEFFICIENT_COLUMNS)
    rank = {c: i for i, c in enumerate(COMPONENTS)}
    out = out.assign(_k=out["component"].map(rank)).sort_values("_k", kind="stable")
    out = out.drop(columns="_k").reset_index(drop=True)
    if len(indicators) == 1:
        out["indicator"] = None
    out["indicator"] = out["indicator"].astype(object)
    return out, pd.DataFrame(params, columns=PARAMETER_COLUMNS)


def shares_table(coefficients, roles, family_effect, n_indicators):
    """Each component's share of the variance of each directed dyad (fSRM's percTable)."""
    var = coefficients[~coefficients["component"].str.contains("reciprocity")]
    get = {(c, r): v for c, r, v in zip(var["component"], var["role"], var["estimate"], strict=True)}
    rows = []
    for a in roles:
        for p in roles:
            if a == p:
                continue
            err = var.loc[(var["component"] == "error") & (var["role"] == f"{a}->{p}"), "estimate"]
            family = var.loc[var["component"] == "family", "estimate"]
            comp = [float(family.iloc[0])] if family_effect else []  # not in the model: no column, not 0
            comp += [get[("actor", a)], get[("partner", p)], get[("relationship", f"{a}->{p}")]]
            comp += [float(err.mean())] if n_indicators > 1 else []
            total = sum(comp)
            rows.append([f"{a}->{p}", *(c / total for c in comp)])
    cols = ["dyad", *(["family"] if family_effect else []), "actor", "partner", "relationship"]
    cols += ["error"] if n_indicators > 1 else []
    out = pd.DataFrame(rows, columns=cols)
    out.attrs["bounded"] = cols[1:]  # shares of 1: APA tables drop the leading zero
    return out
