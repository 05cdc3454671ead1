"""McDonald's omega (total and hierarchical) from a Schmid-Leiman solution, as ``psych::omega``."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis._checks import _check_one_of
from analysis.exceptions import AnalysisWarning, ParameterError
from analysis.psychometrics import _rotation
from analysis.psychometrics._factoring import (
    METHODS,
    _check_n_factors,
    _correlations,
    _fa,
    _item_matrix,
    _smc,
    _warn_convergence,
)

__all__ = ["OmegaResult", "omega"]


# ---------------------------------------------------------------------------------------------
# omega (Schmid-Leiman)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OmegaResult:
    """Omega coefficients from a Schmid-Leiman solution (see `omega` for every column)."""

    table: pd.DataFrame
    loadings: pd.DataFrame
    communalities: pd.DataFrame
    groups: pd.DataFrame


def _schmid(r, nf, method, rotation):
    """psych::schmid: varimax fa, oblique rotation of it, g from the factor correlations."""
    orth, _, fit_ok, rot_ok = _fa(r, nf, method, "varimax")
    rotate = _rotation.oblimin if rotation == "oblimin" else _rotation.promax
    fload, phi, obl_ok = rotate(orth)
    _warn_convergence(fit_ok, rot_ok and obl_ok)
    if nf > 2:  # psych: fa(phi, fm = method) after cov2cor
        d = 1.0 / np.sqrt(np.diag(phi))
        lam, _, g_ok, _ = _fa(phi * np.outer(d, d), 1, method, "none")
        _warn_convergence(g_ok, True)
        gload = lam[:, 0]
    else:
        warnings.warn("Three factors are required for identification: with two, the general "
                      "factor loadings are set equal (psych option = 'equal').",
                      AnalysisWarning, stacklevel=3)
        root = np.sqrt(abs(phi[0, 1]))
        gload = np.array([root, np.sign(phi[0, 1]) * root])
    h2 = (orth**2).sum(axis=1)
    if max(h2.max(), (gload**2).max()) > 1:  # psych checks both fa() calls
        warnings.warn("An ultra-Heywood case was detected (a communality above 1): "
                      "examine the results carefully.", AnalysisWarning, stacklevel=3)
    g = fload @ gload
    group = np.sign(fload) * np.sqrt(np.maximum(fload**2 * (1 - gload**2), 0.0))
    return g, group, h2


def omega(data, *, items, n_factors=3, method="minres", rotation="oblimin", missing="pairwise"):
    """McDonald's omega (total, hierarchical, asymptotic) via Schmid-Leiman, as ``psych::omega``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    items : list of str
        Numeric item columns (at least 3). Items loading negatively on the general factor are
        reversed automatically (psych's ``flip = TRUE``).
    n_factors : int, optional
        Number of group factors (default 3, as psych), at least 2.
    method : {"minres", "ml"}, optional
        Factor extraction method, as in `efa`.
    rotation : {"oblimin", "promax"}, optional
        Oblique rotation of the group factors (psych's default is oblimin).
    missing : {"pairwise", "listwise"}, optional
        Missing-data handling of the correlations (psych: pairwise).

    Returns
    -------
    OmegaResult
        Frozen dataclass with four tables.

        ``table``: one row

        - ``omega_total`` : share of total score variance due to all common factors
          (``omega.tot``).
        - ``omega_hierarchical`` : share due to the general factor (``omega_h``).
        - ``omega_asymptotic`` : omega_hierarchical / omega_total, the value for infinitely
          many items (``omega.lim``, "Omega H asymptotic").
        - ``alpha`` : Cronbach's alpha of the (flipped) items.
        - ``g6`` : Guttman's lambda 6 (``G6``).
        - ``ecv`` : explained common variance of the general factor (``ECV``).

        ``loadings``: one row per item and factor (g first, then group factors F1, F2, ...)

        - ``item`` : item column name.
        - ``factor`` : ``"g"`` or the group factor name.
        - ``loading`` : Schmid-Leiman loading.

        ``communalities``: one row per item

        - ``item`` : item column name.
        - ``h2`` : communality; ``u2`` : uniqueness, 1 - h2.
        - ``p2`` : share of the communality due to g, g^2 / h2.
        - ``reversed`` : True when the item was flipped because it loads negatively on g.

        ``groups``: one row per factor (g, then group factors), psych's ``omega.group``

        - ``factor`` : ``"g"`` or the group factor name.
        - ``omega_total`` : omega total of the items whose largest group loading is on this
          factor (all items for g).
        - ``omega_general`` : the part of it due to g.
        - ``omega_group`` : the part due to the group factor (for g: all group factors).

    Raises
    ------
    analysis.exceptions.DataError
        An item column is missing, not numeric, or has no variance.
    analysis.exceptions.ParameterError
        `data` is not a DataFrame, fewer than 3 items, `n_factors` below 2 or not
        below the number of items, or an unknown option.

    Warns
    -----
    analysis.exceptions.AnalysisWarning
        With two group factors (g is not identified; loadings set equal, as psych), or for an
        ultra-Heywood case.
    analysis.exceptions.ConvergenceWarning
        An extraction or rotation stopped at its iteration limit.

    See Also
    --------
    efa

    Notes
    -----
    Matches ``psych::omega(data[items], nfactors = n_factors, fm = method)``: the items are
    factored (varimax), the solution is rotated obliquely, a one-factor model of the factor
    correlations gives the general factor and the loadings are orthogonalised (Schmid &
    Leiman, 1957). With V the sum of the item correlation matrix, omega_total = (V - sum u2) /
    V and omega_hierarchical = (sum g)^2 / V (McDonald, 1999; Zinbarg et al., 2005).

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Lawrence Erlbaum.

    Schmid, J., & Leiman, J. M. (1957). The development of hierarchical factor solutions.
    *Psychometrika, 22*(1), 53-61. https://doi.org/10.1007/BF02289209

    Zinbarg, R. E., Revelle, W., Yovel, I., & Li, W. (2005). Cronbach's alpha, Revelle's
    beta, and McDonald's omega_H. *Psychometrika, 70*(1), 123-133.
    https://doi.org/10.1007/s11336-003-0974-7

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import omega
    >>> bfi = pd.read_csv("tests/data/bfi.csv")
    >>> res = omega(bfi, items=list(bfi.columns[:25]), n_factors=5)
    >>> round(float(res.table["omega_total"].iloc[0]), 2)
    0.87
    """
    _check_one_of("method", method, METHODS)
    _check_one_of("rotation", rotation, ("oblimin", "promax"))
    x, items = _item_matrix(data, items, missing)
    _check_n_factors(n_factors, len(items))
    if n_factors < 2:
        raise ParameterError("`n_factors` must be at least 2 for omega (a general factor over "
                             f"group factors), but {n_factors} was passed.")
    r, _ = _correlations(x, items)
    g, group, h2 = _schmid(r, n_factors, method, rotation)
    key = np.where(g < 0, -1.0, 1.0)
    m, g, group = r * np.outer(key, key), g * key, group * key[:, None]
    p, total, u2 = len(items), m.sum(), 1 - h2
    om_tot, om_h = (total - u2.sum()) / total, g.sum() ** 2 / total
    ev = np.concatenate([[(g**2).sum()], (group**2).sum(axis=0)])
    table = pd.DataFrame([{
        "omega_total": om_tot, "omega_hierarchical": om_h, "omega_asymptotic": om_h / om_tot,
        "alpha": (total - np.trace(m)) / total * p / (p - 1),
        "g6": (total + _smc(m).sum() - np.trace(m)) / total, "ecv": ev[0] / ev.sum()}])
    names = [f"F{j + 1}" for j in range(n_factors)]
    sub = np.abs(group).argmax(axis=1)
    rows, sum_sq_groups = [], 0.0
    for j, name in enumerate(names):
        idx = np.flatnonzero(sub == j)
        if idx.size == 0:
            rows.append((name, np.nan, np.nan, np.nan))
            continue
        v, gr, gg = m[np.ix_(idx, idx)].sum(), group[idx, j].sum(), g[idx].sum()
        sum_sq_groups += gr**2
        rows.append((name, (gr**2 + gg**2) / v, gg**2 / v, gr**2 / v))
    rows.insert(0, ("g", om_tot, g.sum() ** 2 / total, sum_sq_groups / total))
    sl = np.column_stack([g, group])
    return OmegaResult(
        table=table,
        loadings=pd.DataFrame({"item": np.repeat(items, n_factors + 1),
                               "factor": np.tile(["g", *names], p), "loading": sl.ravel()}),
        communalities=pd.DataFrame({"item": items, "h2": h2, "u2": u2, "p2": g**2 / h2,
                                    "reversed": key < 0}),
        groups=pd.DataFrame(rows, columns=["factor", "omega_total", "omega_general",
                                           "omega_group"]),
    )
