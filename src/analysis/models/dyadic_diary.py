"""The two-intercept dyadic diary model (Laurenceau & Bolger, 2005): each partner's daily outcome with
a role-specific intercept and slopes, person effects correlated within couples, role-specific
residual SDs and partners' same-day residuals correlated; fitted by the project's mixed-model engine
(`analysis.models._mixed_ml`), as ``nlme::lme`` with ``corCompSymm`` and ``varIdent``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis._checks import _as_list, _check_level, _check_one_of, _require_columns, _require_numeric
from analysis._compat import renamed_parameter
from analysis.data.diary_variables import check_days
from analysis.exceptions import DataError, ParameterError
from analysis.models._mixed_ml import ResidualSpec, ReTerm, fit_lmm
from analysis.models._multilevel_table import (
    build_result,
    drop_missing,
)
from analysis.models.multilevel import _METHODS, MultilevelResult

__all__ = ["dyadic_diary"]


@renamed_parameter(outcome="y", predictors="x", couple="dyad")
def dyadic_diary(data: pd.DataFrame, *, y: str, x: str | Sequence[str], dyad: str, role: str,
                 day: str, ar1: bool = False, method: str = "REML", ci: float = 0.95) -> MultilevelResult:  # fmt: skip
    """Two-intercept dyadic diary model for distinguishable partners (Laurenceau & Bolger, 2005).

    Parameters
    ----------
    data : pandas.DataFrame
        Long diary data, one row per person-day (both partners of each couple).
    y : str
        Numeric daily outcome.
    x : str or list of str
        Numeric predictors; each gets a role-specific slope.
    dyad : str
        Couple (dyad) id column.
    role : str
        Column distinguishing the partners (two values, e.g. 1/2 or "M"/"F").
    day : str
        Day index column (pairs the partners' days; AR(1) runs on it).
    ar1 : bool, default False
        Add AR(1) residuals within person (separable: cross-partner correlation rho phi^|lag|).
    method : {"REML", "ML"}, default "REML"
        Restricted (nlme's default) or full maximum likelihood.
    ci : float, default 0.95
        Level of the t-based confidence intervals of the fixed effects.

    Returns
    -------
    MultilevelResult
        As `mixed_model`: ``.coefficients`` (``term``, ``estimate``, ``se``, ``df``,
        ``statistic``, ``p_value``, ``ci_low``, ``ci_high``) with terms
        ``Intercept:<role><value>`` and ``<x>:<role><value>``; ``.variances`` (``level``,
        ``parameter``, ``term``, ``estimate``) with the couple-level SDs of the two role
        intercepts and their correlation, the residual SD of the first role, the SD ratio of
        the second (``sd_ratio``) and the partners' same-day residual correlation (``rho``;
        and ``phi`` with `ar1`); ``.fit`` (``n``, ``persons``, ``couples``, ``n_excluded``,
        ``method``, ``loglik``, ``aic``, ``bic``, ``n_parameters``, ``converged``);
        ``.person_effects`` per couple (``person`` = couple id, ``term``, ``random_effect``,
        ``estimate``); ``.excluded`` (``row``, ``reason``, ``dyad``).

    Raises
    ------
    DataError
        A column is absent or not numeric, `role` without exactly two values, two rows for one
        partner and day, or days that are not whole numbers.
    ParameterError
        Bad `method`, `ci` or `ar1`.

    See Also
    --------
    mixed_model

    Notes
    -----
    ``lme(y ~ 0 + r1 + r2 + r1:x + r2:x, random = ~ 0 + r1 + r2 | couple, correlation =
    corCompSymm(form = ~ 1 | couple / day), weights = varIdent(form = ~ 1 | role))`` (nlme).
    Rows with a missing value in `y`, `x`, `dyad`, `role` or `day` are left out and listed in
    ``.excluded``.

    References
    ----------
    Laurenceau, J.-P., & Bolger, N. (2005). Using diary methods to study marital and family
    processes. *Journal of Family Psychology, 19*(1), 86-97.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import dyadic_diary
    >>> rng = np.random.default_rng(3)
    >>> d = pd.DataFrame({"couple": np.repeat(np.arange(30), 20), "role": np.tile(np.repeat([1, 2], 10), 30),
    ...                   "day": np.tile(np.arange(1, 11), 60), "x": rng.normal(size=600)})
    >>> d["y"] = 3 + 0.4 * d["x"] + rng.normal(size=30)[d["couple"]] + rng.normal(size=600)
    >>> res = dyadic_diary(d, y="y", x="x", dyad="couple", role="role", day="day")
    >>> res.coefficients["term"].tolist()
    ['Intercept:role1', 'Intercept:role2', 'x:role1', 'x:role2']
    """
    if not isinstance(ar1, bool | np.bool_):
        raise ParameterError(f"The value for `ar1` must be True or False, but {ar1!r} was passed.")
    _check_one_of("method", method, _METHODS)
    _check_level("ci", ci)
    preds = _as_list(x)
    _require_columns(data, [y, dyad, role, day] + preds)
    _require_numeric(data, [y] + preds)
    d, excluded = drop_missing(data, [y, dyad, role, day] + preds, {"dyad": dyad})
    roles = sorted(d[role].unique().tolist())
    if len(roles) != 2:
        raise DataError(f"Column {role!r} must have exactly two values (one per partner), but it has "
                        f"{len(roles)}: {roles[:5]!r}.")  # fmt: skip
    if d.duplicated(subset=[dyad, role, day]).any():
        raise DataError(f"Some couple has two rows for one {role!r} and {day!r}; keep one row per person and day.")
    check_days(d.assign(_p=d[dyad].astype(str) + "|" + d[role].astype(str)), "_p", day)
    cols = {}
    dummies = {r: (d[role] == r).to_numpy(float) for r in roles}
    for r in roles:
        cols[f"Intercept:{role}{r}"] = dummies[r]
    for xc in preds:
        for r in roles:
            cols[f"{xc}:{role}{r}"] = dummies[r] * d[xc].to_numpy(float)
    X = pd.DataFrame(cols, index=d.index)
    yv = d[y].to_numpy(float)
    ccodes, cvals = pd.factorize(d[dyad], sort=True)
    rcode = (d[role] == roles[1]).to_numpy(int)
    pcodes = ccodes * 2 + rcode
    Zr = np.column_stack([dummies[r] for r in roles])
    resid = ResidualSpec(person=pcodes, time=d[day].to_numpy(float), ar1=bool(ar1), partner_corr=True, role=rcode)
    fit = fit_lmm(X.to_numpy(float), yv, ccodes, [ReTerm(Zr)], resid, reml=method == "REML")
    names = [("couple", [f"Intercept:{role}{r}" for r in roles])]
    return MultilevelResult(**build_result(X, yv, fit, names, fit.blups[0][:, 0, :], cvals, [ccodes], method=method,
                        ci=ci, excluded=excluded, couples=int(cvals.size), outcome=y, ar1=bool(ar1),
                        role_labels=[f"{role}{r}" for r in roles], persons=int(np.unique(pcodes).size)))  # fmt: skip
