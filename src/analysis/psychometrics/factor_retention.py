"""How many factors to retain: parallel analysis (as ``psych::fa.parallel``) and Velicer's MAP
(as ``psych::VSS``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis._checks import _check_one_of
from analysis.exceptions import ParameterError
from analysis.psychometrics._factoring import _correlations, _eigh_desc, _extract, _item_matrix

__all__ = ["ParallelResult", "parallel_analysis", "MAPResult", "velicer_map"]


# ---------------------------------------------------------------------------------------------
# parallel analysis
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParallelResult:
    """Eigenvalues of a parallel analysis and the numbers it suggests (see `parallel_analysis`)."""

    eigenvalues: pd.DataFrame
    n_factors: int | None
    n_components: int | None


def _fa_values(r):
    """Eigenvalues of R with the one-factor minres communalities on the diagonal (psych)."""
    lam = _extract(r, 1, "minres")[0]
    s = r.copy()
    np.fill_diagonal(s, (lam**2).sum(axis=1))
    return np.linalg.eigvalsh(s)[::-1]


def _first_not_above(observed, threshold, p):
    below = np.flatnonzero(~(observed > threshold))
    return int(below[0]) if below.size else p


def parallel_analysis(data, *, items, n_iter=20, quantile=0.95, fa="both", seed=None,
                      missing="pairwise"):
    """Horn's parallel analysis for components and factors, as ``psych::fa.parallel``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    items : list of str
        Numeric item columns (at least 3).
    n_iter : int, optional
        Number of simulated and of resampled data sets (default 20, as psych).
    quantile : float or None, optional
        A component (factor) is retained while its observed eigenvalue exceeds this quantile
        of the eigenvalues from simulated normal data (default 0.95, psych's ``quant``, which
        psych 2.2.9 uses for its decision). None compares with the simulated mean instead
        (Horn, 1965).
    fa : {"both", "pc", "fa"}, optional
        Principal components, principal-axis-type factor eigenvalues, or both.
    seed : int, numpy.random.Generator or None, optional
        Seed for ``numpy.random.default_rng``.
    missing : {"pairwise", "listwise"}, optional
        Missing-data handling of the observed and resampled correlations.

    Returns
    -------
    ParallelResult
        Frozen dataclass.

        ``eigenvalues``: one row per eigenvalue, largest first (columns for the part not
        requested by `fa` are NaN)

        - ``number`` : 1, 2, ..., number of items.
        - ``pc_observed`` : eigenvalue of the item correlation matrix.
        - ``pc_simulated`` : mean over `n_iter` normal data sets of the same size.
        - ``pc_simulated_quantile`` : their `quantile` (NaN when `quantile` is None).
        - ``pc_resampled`` : mean over data sets resampled column by column from the data.
        - ``fa_observed`` : eigenvalue of the correlation matrix with one-factor minres
          communalities on the diagonal (psych's default ``SMC = FALSE``).
        - ``fa_simulated``, ``fa_simulated_quantile``, ``fa_resampled`` : as for components.

        ``n_factors``, ``n_components`` : number of leading observed eigenvalues above the
        simulated threshold (all of them if none falls below); None when not requested.

    Raises
    ------
    analysis.exceptions.DataError
        An item column is missing, not numeric, or has no variance.
    analysis.exceptions.ParameterError
        `data` is not a DataFrame, fewer than 3 items or a bad option.

    See Also
    --------
    velicer_map, efa

    Notes
    -----
    Follows ``psych::fa.parallel(x, fa = fa, n.iter = n_iter, quant = quantile)``. The
    observed eigenvalues are deterministic and match psych to rounding error; the simulated
    ones depend on the random numbers, so only the suggested numbers are compared with psych
    (over several R seeds). Resampling draws each column with replacement independently.

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    *Psychometrika, 30*(2), 179-185. https://doi.org/10.1007/BF02289447

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import parallel_analysis
    >>> bfi = pd.read_csv("tests/data/bfi.csv")
    >>> res = parallel_analysis(bfi, items=list(bfi.columns[:25]), n_iter=5, seed=1)
    >>> res.eigenvalues.shape
    (25, 9)
    """
    _check_one_of("fa", fa, ("both", "pc", "fa"))
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise ParameterError(f"`n_iter` must be a positive integer, but {n_iter!r} was passed.")
    if quantile is not None and not 0 < quantile < 1:
        raise ParameterError(f"`quantile` must be between 0 and 1 or None, but {quantile!r} "
                             "was passed.")
    x, items = _item_matrix(data, items, missing)
    r, _ = _correlations(x, items)
    rng = np.random.default_rng(seed)
    n, p = x.shape
    do_fa = fa != "pc"
    draws = {key: [] for key in ("pc_sim", "fa_sim", "pc_res", "fa_res")}
    for _ in range(n_iter):
        while True:  # psych redraws a resample whose correlations are not all defined
            resampled = np.column_stack([rng.choice(x[:, j], size=n) for j in range(p)])
            c = pd.DataFrame(resampled).corr().to_numpy(copy=True)
            if not np.isnan(c).any():
                break
        draws["pc_res"].append(np.linalg.eigvalsh(c)[::-1])
        if do_fa:
            draws["fa_res"].append(_fa_values(c))
        c = np.corrcoef(rng.standard_normal((n, p)), rowvar=False)
        draws["pc_sim"].append(np.linalg.eigvalsh(c)[::-1])
        if do_fa:
            draws["fa_sim"].append(_fa_values(c))
    nan = np.full(p, np.nan)

    def summary(key, with_quantile=False):
        if not draws[key]:
            return nan
        values = np.array(draws[key])
        if with_quantile:
            return nan if quantile is None else np.quantile(values, quantile, axis=0)
        return values.mean(axis=0)

    pc_obs = np.linalg.eigvalsh(r)[::-1] if fa != "fa" else nan
    fa_obs = _fa_values(r) if do_fa else nan
    table = pd.DataFrame({
        "number": np.arange(1, p + 1), "pc_observed": pc_obs,
        "pc_simulated": summary("pc_sim") if fa != "fa" else nan,
        "pc_simulated_quantile": summary("pc_sim", True) if fa != "fa" else nan,
        "pc_resampled": summary("pc_res") if fa != "fa" else nan,
        "fa_observed": fa_obs, "fa_simulated": summary("fa_sim"),
        "fa_simulated_quantile": summary("fa_sim", True), "fa_resampled": summary("fa_res"),
    })
    column = "simulated" if quantile is None else "simulated_quantile"
    n_comp = _first_not_above(pc_obs, table[f"pc_{column}"].to_numpy(), p) if fa != "fa" else None
    n_fact = _first_not_above(fa_obs, table[f"fa_{column}"].to_numpy(), p) if do_fa else None
    return ParallelResult(eigenvalues=table, n_factors=n_fact, n_components=n_comp)


# ---------------------------------------------------------------------------------------------
# Velicer's MAP
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MAPResult:
    """Velicer's minimum average partial test (see `velicer_map`)."""

    table: pd.DataFrame
    n_components: int
    n_components_map4: int


def velicer_map(data, *, items, max_factors=8, missing="pairwise"):
    """Velicer's (1976) minimum average partial (MAP) test, as ``psych::VSS()$map``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    items : list of str
        Numeric item columns (at least 3).
    max_factors : int, optional
        Largest number of components partialled out (default 8, psych's ``n``); values above
        the number of items minus one are lowered to it, as psych does.
    missing : {"pairwise", "listwise"}, optional
        Missing-data handling of the correlations (psych: pairwise).

    Returns
    -------
    MAPResult
        Frozen dataclass.

        ``table``: one row per number of components m = 0, 1, ..., max_factors

        - ``n_components`` : m, the number of principal components partialled out.
        - ``map`` : mean squared partial correlation among the items after removing the first
          m components (m = 0: mean squared correlation); psych's ``map`` for m >= 1.
        - ``map4`` : the same with partial correlations to the 4th power (Velicer, Eaton &
          Fava, 2000).

        ``n_components``, ``n_components_map4`` : the m with the smallest ``map``/``map4``.

    Raises
    ------
    analysis.exceptions.DataError
        An item column is missing, not numeric, or has no variance.
    analysis.exceptions.ParameterError
        `data` is not a DataFrame, fewer than 3 items or a bad `max_factors`.

    See Also
    --------
    parallel_analysis

    Notes
    -----
    psych reports m = 1, ..., n only; the m = 0 row follows Velicer (1976) and O'Connor (2000),
    so that a minimum at 0 (no common component) can show. ``map`` matches psych to 1e-12.

    References
    ----------
    O'Connor, B. P. (2000). SPSS and SAS programs for determining the number of components
    using parallel analysis and Velicer's MAP test. *Behavior Research Methods, Instruments, &
    Computers, 32*(3), 396-402. https://doi.org/10.3758/BF03200807

    Velicer, W. F. (1976). Determining the number of components from the matrix of partial
    correlations. *Psychometrika, 41*(3), 321-327. https://doi.org/10.1007/BF02293557

    Velicer, W. F., Eaton, C. A., & Fava, J. L. (2000). Construct explication through factor
    or component analysis. In R. D. Goffin & E. Helmes (Eds.), *Problems and solutions in human
    assessment* (pp. 41-71). Springer. https://doi.org/10.1007/978-1-4615-4397-8_3

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import velicer_map
    >>> bfi = pd.read_csv("tests/data/bfi.csv")
    >>> velicer_map(bfi, items=list(bfi.columns[:25])).n_components
    5
    """
    x, items = _item_matrix(data, items, missing)
    if (isinstance(max_factors, bool) or not isinstance(max_factors, (int, np.integer))
            or max_factors < 1):
        raise ParameterError("`max_factors` must be a positive integer, but "
                             f"{max_factors!r} was passed.")
    r, _ = _correlations(x, items)
    p = len(items)
    values, vectors = _eigh_desc(r)
    comp = vectors * np.sqrt(np.maximum(values, 0.0))
    rows = []
    for m in range(min(max_factors, p - 1) + 1):
        c = r - comp[:, :m] @ comp[:, :m].T
        d = 1.0 / np.sqrt(np.diag(c))
        partial = c * np.outer(d, d)
        np.fill_diagonal(partial, 0.0)
        rows.append((m, (partial**2).sum() / (p * (p - 1)), (partial**4).sum() / (p * (p - 1))))
    table = pd.DataFrame(rows, columns=["n_components", "map", "map4"])
    return MAPResult(table=table, n_components=int(table["map"].idxmin()),
                     n_components_map4=int(table["map4"].idxmin()))
