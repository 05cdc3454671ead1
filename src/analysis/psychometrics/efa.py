"""Exploratory factor analysis (minres or ML extraction, oblimin/promax/varimax rotation), as
``psych::fa``."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis._checks import _check_one_of
from analysis.exceptions import AnalysisWarning
from analysis.psychometrics._factoring import (
    METHODS,
    ROTATIONS,
    _check_n_factors,
    _correlations,
    _fa,
    _fit_table,
    _item_matrix,
    _warn_convergence,
)

__all__ = ["EFAResult", "efa"]


# ---------------------------------------------------------------------------------------------
# efa
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EFAResult:
    """Tables of one exploratory factor analysis (see `efa` for every column)."""

    loadings: pd.DataFrame
    communalities: pd.DataFrame
    variance: pd.DataFrame
    phi: pd.DataFrame
    fit: pd.DataFrame

    def loadings_wide(self) -> pd.DataFrame:
        """Loadings as an items x factors table (rows in item order, columns F1, F2, ...)."""
        wide = self.loadings.pivot(index="item", columns="factor", values="loading")
        items = list(dict.fromkeys(self.loadings["item"]))
        factors = list(dict.fromkeys(self.loadings["factor"]))
        return wide.loc[items, factors].rename_axis(index="item", columns=None)

    def phi_wide(self) -> pd.DataFrame:
        """Factor correlations as a square factors x factors table."""
        factors = list(dict.fromkeys(self.phi["factor"]))
        wide = self.phi.pivot(index="factor", columns="with_factor", values="correlation")
        return wide.loc[factors, factors].rename_axis(index="factor", columns=None)


def efa(data, *, items, n_factors, method="minres", rotation="oblimin", missing="pairwise"):
    """Exploratory factor analysis of item correlations, as ``psych::fa``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    items : list of str
        Numeric item columns (at least 3). Missing values are NaN.
    n_factors : int
        Number of factors, between 1 and ``len(items) - 1``.
    method : {"minres", "ml"}, optional
        Minimum residual (unweighted least squares on the uniquenesses, psych
        ``fm = "minres"``; the default) or maximum likelihood (``fm = "ml"``).
    rotation : {"oblimin", "promax", "varimax", "none"}, optional
        ``"oblimin"`` (quartimin, gamma = 0, by gradient projection, ``GPArotation::oblimin``;
        the default), ``"promax"`` (psych's Kaiser-normalised promax, m = 4), ``"varimax"``
        (``stats::varimax`` with Kaiser normalisation) or ``"none"``. Ignored for one factor.
    missing : {"pairwise", "listwise"}, optional
        ``"pairwise"`` (the default, as psych) correlates each pair of items over the
        respondents who answered both; ``"listwise"`` first drops every row with a missing item.

    Returns
    -------
    EFAResult
        Frozen dataclass with five tables; factors are named ``F1``, ``F2``, ... in psych's
        order (by variance accounted for, largest first) and signed so that every column of
        loadings sums to a positive number.

        ``loadings``: one row per item and factor (item-major order)

        - ``item`` : item column name.
        - ``factor`` : factor name.
        - ``loading`` : pattern loading (for orthogonal solutions also the structure loading).

        ``communalities``: one row per item

        - ``item`` : item column name.
        - ``h2`` : communality, the diagonal of the model-implied correlation matrix.
        - ``u2`` : uniqueness, 1 - h2.
        - ``complexity`` : Hofmann's (1978) item complexity, (sum l^2)^2 / sum l^4.

        ``variance``: one row per factor

        - ``factor`` : factor name.
        - ``ss_loadings`` : variance accounted for; column sum of squared loadings, or for
          oblique solutions the diagonal of phi L'L.
        - ``proportion`` : ss_loadings / number of items.
        - ``cumulative`` : running sum of ``proportion``.
        - ``proportion_explained`` : ss_loadings / total of ss_loadings.
        - ``cumulative_explained`` : running sum of ``proportion_explained``.

        ``phi``: one row per pair of factors (all k x k pairs; identity when orthogonal)

        - ``factor``, ``with_factor`` : the two factor names.
        - ``correlation`` : their correlation.

        ``fit``: one row (psych names in brackets)

        - ``chi_square`` : likelihood-ratio chi-square with Bartlett's correction
          (``STATISTIC``), computed for minres too, as psych does.
        - ``df`` : degrees of freedom, p(p-1)/2 - pk + k(k-1)/2 (``dof``); may be <= 0.
        - ``p_value`` : upper-tail p of ``chi_square`` (``PVAL``).
        - ``rmsea``, ``rmsea_low``, ``rmsea_high`` : RMSEA and its 90% interval (``RMSEA``).
        - ``tli`` : Tucker-Lewis index (``TLI``).
        - ``bic`` : chi_square - df log(n) (``BIC``).
        - ``rms`` : root mean square off-diagonal residual, pairwise-n weighted (``rms``).
        - ``crms`` : the same corrected for degrees of freedom (``crms``).
        - ``empirical_chi_square``, ``empirical_p_value`` : sum of squared residuals times
          pair counts, and its p (``chi``, ``EPVAL``).
        - ``objective`` : ML discrepancy of the model (``objective``).
        - ``n_obs`` : number of rows used; ``harmonic_n`` : harmonic mean of pair counts.

        The statistics that need df > 0 are NaN otherwise.

    Raises
    ------
    analysis.exceptions.DataError
        An item column is missing, not numeric, or has no variance.
    analysis.exceptions.ParameterError
        `data` is not a DataFrame, fewer than 3 items, a bad `n_factors`, or an
        unknown `method`, `rotation` or `missing`.

    Warns
    -----
    analysis.exceptions.ConvergenceWarning
        The optimiser stopped at psych's limit of 100 iterations (R's optim stops silently),
        or the rotation at its limit of 1000 (GPArotation warns too; stats::varimax does not).
    analysis.exceptions.AnalysisWarning
        An ultra-Heywood case: a communality above 1 (psych warns too).

    See Also
    --------
    parallel_analysis, velicer_map : how many factors to extract.
    omega : Schmid-Leiman general-factor saturation.

    Notes
    -----
    Matches ``psych::fa(data[items], nfactors, fm, rotate)`` (psych 2.2.9, GPArotation
    2022.10-2) to about 1e-14 on ``bfi``: the uniquenesses are found with the same L-BFGS-B
    algorithm and settings as R's ``optim`` (factr 1e7, lower bound 0.005, parameter scale
    0.01, at most 100 iterations), and the rotations follow the R code step for step.
    Because psych stops there, its solution (and this one) is about 1e-6 away from the exact
    minimum. Factor scores are not computed.

    References
    ----------
    Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals (minres).
    *Psychometrika, 31*(3), 351-368. https://doi.org/10.1007/BF02289468

    Hofmann, R. J. (1978). Complexity and simplicity as objective indices descriptive of
    factor solutions. *Multivariate Behavioral Research, 13*(2), 247-250.
    https://doi.org/10.1207/s15327906mbr1302_9

    Revelle, W. (2022). *psych* (R package version 2.2.9). https://CRAN.R-project.org/package=psych

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import efa
    >>> bfi = pd.read_csv("tests/data/bfi.csv")
    >>> res = efa(bfi, items=list(bfi.columns[:25]), n_factors=5)
    >>> res.loadings_wide().shape
    (25, 5)
    """
    _check_one_of("method", method, METHODS)
    _check_one_of("rotation", rotation, ROTATIONS)
    x, items = _item_matrix(data, items, missing)
    _check_n_factors(n_factors, len(items))
    r, np_obs = _correlations(x, items)
    lam, phi, fit_ok, rot_ok = _fa(r, n_factors, method, rotation)
    _warn_convergence(fit_ok, rot_ok)
    names = [f"F{j + 1}" for j in range(n_factors)]
    phi_m = np.eye(n_factors) if phi is None else phi
    h2 = (lam @ phi_m * lam).sum(axis=1)
    if h2.max() > 1:
        warnings.warn("An ultra-Heywood case was detected (a communality above 1): "
                      "examine the results carefully.", AnalysisWarning, stacklevel=2)
    ss = np.diag(phi_m @ lam.T @ lam)
    return EFAResult(
        loadings=pd.DataFrame({"item": np.repeat(items, n_factors),
                               "factor": np.tile(names, len(items)), "loading": lam.ravel()}),
        communalities=pd.DataFrame({"item": items, "h2": h2, "u2": 1 - h2,
                                    "complexity": (lam**2).sum(1) ** 2 / (lam**4).sum(1)}),
        variance=pd.DataFrame({"factor": names, "ss_loadings": ss,
                               "proportion": ss / len(items),
                               "cumulative": np.cumsum(ss) / len(items),
                               "proportion_explained": ss / ss.sum(),
                               "cumulative_explained": np.cumsum(ss) / ss.sum()}),
        phi=pd.DataFrame({"factor": np.repeat(names, n_factors),
                          "with_factor": np.tile(names, n_factors),
                          "correlation": phi_m.ravel()}),
        fit=_fit_table(r, lam, phi, len(x), np_obs),
    )
