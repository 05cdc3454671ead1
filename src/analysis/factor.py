"""Exploratory factor structure: EFA, parallel analysis, Velicer's MAP and omega.

Every routine reproduces the corresponding ``psych`` (Revelle, 2022) function, version 2.2.9,
with its defaults, and is tested against it (``tests/reference/factor.R``). Rotations live in
``analysis._rotation``.

References
----------
Revelle, W. (2022). *psych: Procedures for psychological, psychometric, and personality
research* (R package version 2.2.9). Northwestern University.
https://CRAN.R-project.org/package=psych
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from . import _rotation
from ._validation import _as_list, _check_one_of, _require_columns
from .exceptions import AnalysisWarning, ConvergenceWarning, DataError, ParameterError

__all__ = ["EFAResult", "efa", "ParallelResult", "parallel_analysis", "MAPResult", "velicer_map",
           "OmegaResult", "omega", "dimensionality"]

METHODS = ("minres", "ml")
ROTATIONS = ("oblimin", "promax", "varimax", "none")
_EPS = np.finfo(float).eps


# ---------------------------------------------------------------------------------------------
# input and correlations
# ---------------------------------------------------------------------------------------------
def _item_matrix(data, items, missing, *, min_items=3):
    """Validate; return the items as a float array and their names."""
    items = _as_list(items)
    _require_columns(data, items)
    _check_one_of("missing", missing, ("pairwise", "listwise"))
    if len(set(items)) != len(items):
        raise ParameterError(f"`items` lists a column more than once: {items!r}.")
    if len(items) < min_items:
        raise ParameterError(f"`items` needs at least {min_items} columns, but {len(items)} "
                             f"were passed ({items!r}).")
    frame = data[items]
    bad = [c for c in items if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise DataError(f"Items must be numeric; not numeric: {', '.join(map(repr, bad))}.")
    x = frame.to_numpy(dtype=float, na_value=np.nan)
    if missing == "listwise":
        x = x[~np.isnan(x).any(axis=1)]
    return x, items


def _correlations(x, items):
    """Pairwise-complete Pearson correlations (R ``cor(use = "pairwise")``) and pair counts."""
    # pandas, like R, uses each pair's own means and standard deviations
    r = pd.DataFrame(x).corr().to_numpy(copy=True)
    if np.isnan(r).any():
        bad = sorted({items[i] for i in np.argwhere(np.isnan(r))[:, 0]})
        raise DataError("Correlations cannot be computed for " + ", ".join(map(repr, bad))
                        + " (no variance, or too few answers in common with another item).")
    np.fill_diagonal(r, 1.0)
    observed = (~np.isnan(x)).astype(float)
    return r, observed.T @ observed


def _check_n_factors(n_factors, n_items, name="n_factors"):
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)):
        raise ParameterError(f"`{name}` must be an integer, but {n_factors!r} was passed.")
    if not 1 <= n_factors < n_items:
        raise ParameterError(f"`{name}` must be between 1 and the number of items minus one "
                             f"({n_items - 1}), but {n_factors} was passed.")


def _smc(r):
    """Squared multiple correlations, ``psych::smc``: 1 - 1 / diag(R^-1), clipped to [0, 1]."""
    return np.clip(1.0 - 1.0 / np.diag(np.linalg.pinv(r)), 0.0, 1.0)


def _eigh_desc(a):
    values, vectors = np.linalg.eigh(a)
    return values[::-1], vectors[:, ::-1]


def _cor_smooth(r):
    """``psych::cor.smooth``: lift eigenvalues below 1e-12 when R is not positive definite."""
    values, vectors = _eigh_desc(r)
    if values.min() >= _EPS:
        return r
    values = np.where(values < 1e-12, 100 * 1e-12, values)
    values = values * len(values) / values.sum()
    s = (vectors * values) @ vectors.T
    d = 1.0 / np.sqrt(np.diag(s))
    return s * np.outer(d, d)


# ---------------------------------------------------------------------------------------------
# extraction (psych::fac's `fit`: L-BFGS-B over the uniquenesses, as R's optim calls it)
# ---------------------------------------------------------------------------------------------
def _minres_objective(psi, r, nf):
    s = r.copy()
    np.fill_diagonal(s, 1.0 - psi)
    values, vectors = _eigh_desc(s)
    values = np.where(values < _EPS, 100 * _EPS, values)
    lam = vectors[:, :nf] * np.sqrt(values[:nf])
    resid = (s - lam @ lam.T)[np.tril_indices_from(s, -1)]
    return float((resid**2).sum())


def _minres_gradient(psi, r, nf):  # psych's FAgr.minres
    values, vectors = _eigh_desc(r - np.diag(psi))
    lam = vectors[:, :nf] * np.sqrt(np.maximum(values[:nf], 0.0))
    return (lam**2).sum(axis=1) + psi - np.diag(r)


def _ml_parts(psi, r, nf):
    sc = 1.0 / np.sqrt(psi)
    values, vectors = _eigh_desc(r * np.outer(sc, sc))
    lam = np.sqrt(psi)[:, None] * vectors[:, :nf] * np.sqrt(np.maximum(values[:nf] - 1.0, 0.0))
    return values, lam


def _ml_objective(psi, r, nf):  # psych's FAfn
    e = _ml_parts(psi, r, nf)[0][nf:]
    return float(-(np.sum(np.log(e) - e) - nf + r.shape[0]))


def _ml_gradient(psi, r, nf):  # psych's FAgr
    lam = _ml_parts(psi, r, nf)[1]
    return ((lam**2).sum(axis=1) + psi - np.diag(r)) / psi**2


def _extract(r, nf, method):
    """Unrotated loadings and whether the optimiser converged.

    R: ``optim(start, fn, gr, method = "L-BFGS-B", lower = .005, upper = 1,
    control = list(parscale = rep(.01, p)))``, i.e. factr = 1e7, pgtol = 0, lmm = 5,
    maxit = 100, on the scaled parameters psi / .01.
    """
    fn, gr = (_minres_objective, _minres_gradient) if method == "minres" else (
        _ml_objective, _ml_gradient)
    smc = _smc(r)
    start, upper = np.diag(r) - smc, max(smc.max(), 1.0)
    res = optimize.minimize(
        lambda z: fn(z * 0.01, r, nf), start / 0.01, jac=lambda z: gr(z * 0.01, r, nf) * 0.01,
        method="L-BFGS-B", bounds=[(0.5, upper / 0.01)] * len(start),
        options={"maxcor": 5, "ftol": 1e7 * _EPS, "gtol": 0.0, "maxiter": 100})
    psi = res.x * 0.01  # a line-search stop (R's code 52) is accepted silently, as psych does
    if method == "ml":
        lam = _ml_parts(psi, r, nf)[1]
    else:
        values, vectors = _eigh_desc(r - np.diag(psi))
        lam = vectors[:, :nf] * np.sqrt(np.maximum(values[:nf], 0.0))
    return lam, res.status != 1  # status 1: iteration limit


def _fa(r, nf, method, rotation):
    """psych::fac without its statistics: extract, flip signs, rotate, flip, sort.

    Returns loadings (items x nf), phi (None when orthogonal) and two flags: the extraction
    and the rotation converged.
    """
    lam, fit_ok = _extract(r, nf, method)
    if nf == 1:
        return (-lam if lam.sum() < 0 else lam), None, fit_ok, True
    sign = np.sign(lam.sum(axis=0))
    lam = lam * np.where(sign == 0, 1.0, sign)
    lam, phi, rot_ok = _rotation.rotate(lam, rotation)
    sign = np.sign(lam.sum(axis=0))
    sign = np.where(sign == 0, 1.0, sign)
    lam = lam * sign
    if phi is not None:
        phi = phi * np.outer(sign, sign)
        order = np.argsort(-np.diag(phi @ lam.T @ lam), kind="stable")
        return lam[:, order], phi[np.ix_(order, order)], fit_ok, rot_ok
    order = np.argsort(-(lam**2).sum(axis=0), kind="stable")
    return lam[:, order], None, fit_ok, rot_ok


# ---------------------------------------------------------------------------------------------
# fit statistics (psych::fa.stats, as psych::fa calls it on raw data)
# ---------------------------------------------------------------------------------------------
def _rmsea_bound(chisq, df, n_obs, target):
    """sqrt(ncp / (n - 1) / df) where the noncentral chi-square cdf at `chisq` equals `target`."""
    upper = max(n_obs, chisq) + 2 * n_obs
    try:
        ncp = optimize.brentq(lambda nc: stats.ncx2.cdf(chisq, df, nc) - target, 1e-12, upper,
                              xtol=1e-10)
    except ValueError:
        return np.nan
    return float(np.sqrt(ncp / (n_obs - 1) / df))


def _fit_table(r, lam, phi, n_obs, np_obs):
    p, nf = lam.shape
    model = lam @ (np.eye(nf) if phi is None else phi) @ lam.T
    resid = r - model
    np.fill_diagonal(resid, 0.0)
    dof = p * (p - 1) / 2 - p * nf + nf * (nf - 1) / 2
    e_chi = float((resid**2 * np_obs).sum())
    nh = float(1.0 / np.mean(1.0 / np_obs))
    ok = dof > 0
    np.fill_diagonal(model, np.diag(r))
    r_s = _cor_smooth(r)
    m_inv_r = np.linalg.solve(_cor_smooth(model), r_s)
    objective = float(np.trace(m_inv_r) - np.linalg.slogdet(m_inv_r)[1] - p)
    chisq = objective * ((n_obs - 1) - (2 * p + 5) / 6 - 2 * nf / 3)
    f0 = float(np.trace(r_s) - np.linalg.slogdet(r_s)[1] - p)
    m0, nm = f0 * 2 / (p * (p - 1)), (n_obs - 1) - (2 * p + 5) / 6 - 2 * nf / 3
    rmsea = low = high = bic = np.nan
    if ok:
        rmsea = float(np.sqrt(max(chisq / (dof * n_obs) - 1 / (n_obs - 1), 0.0)))
        tail, cdf = 0.05, stats.chi2.cdf(max(chisq, 0.0), dof)
        high = _rmsea_bound(max(chisq, 0.0), dof, n_obs, tail) if cdf > tail else 0.0
        low = _rmsea_bound(max(chisq, 0.0), dof, n_obs, 1 - tail) if cdf > 1 - tail else 0.0
        high = np.nan if high < rmsea else high
        low = np.nan if low > rmsea else low
        bic = chisq - dof * np.log(n_obs)
    row = {
        "chi_square": max(chisq, 0.0), "df": dof,
        "p_value": float(stats.chi2.sf(max(chisq, 0.0), dof)) if ok else np.nan,
        "rmsea": rmsea, "rmsea_low": low, "rmsea_high": high,
        "tli": (m0 - objective / dof) / (m0 - 1 / nm) if ok else np.nan,
        "bic": bic,
        "rms": np.sqrt(e_chi / (nh * p * (p - 1))),
        "crms": np.sqrt(e_chi / (2 * nh * dof)) if ok else np.nan,
        "empirical_chi_square": e_chi,
        "empirical_p_value": float(stats.chi2.sf(e_chi, dof)) if ok else np.nan,
        "objective": objective, "n_obs": n_obs, "harmonic_n": nh,
    }
    return pd.DataFrame([row])


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
    >>> from analysis.factor import efa
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


def _warn_convergence(fit_ok, rot_ok):
    if not fit_ok:
        warnings.warn("The factor extraction did not converge within psych's 100 L-BFGS-B "
                      "iterations; the loadings may be inaccurate.", ConvergenceWarning,
                      stacklevel=3)
    if not rot_ok:
        warnings.warn("The rotation did not converge (GPArotation/stats::varimax iteration "
                      "limit); the loadings may not be at the criterion's optimum.",
                      ConvergenceWarning, stacklevel=3)


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
    >>> from analysis.factor import parallel_analysis
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
    >>> from analysis.factor import velicer_map
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
    >>> from analysis.factor import omega
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


def dimensionality(data, *, instruments, ranges=None, n_iter=20, seed=None, min_items=6):
    """How many factors each instrument's items suggest, against the number it is scored on.

    Parameters
    ----------
    data : pandas.DataFrame
        Raw item responses, one row per respondent.
    instruments : dict
        ``{instrument id: {item id: column}}`` (``Dataset.instruments(table)``).
    ranges : dict, optional
        Response ranges of the data, for reverse keying (``Dataset.item_ranges(table)``).
    n_iter : int, default 20
        Simulated data sets for parallel analysis.
    seed : int, optional
        Seed of the parallel analysis.
    min_items : int, default 6
        Instruments with fewer items are left out.

    Returns
    -------
    pandas.DataFrame
        One row per instrument: ``instrument``, ``n_items``, ``n_subscales`` (scores other than
        ``total``, at least 1), ``parallel_factors`` and ``parallel_components`` (psych's
        fa.parallel rule), ``map_components`` (Velicer's MAP).
    """
    from .scales import keyed_instruments, subscale_items

    rows = []
    for ins, cols, keyed in keyed_instruments(data, instruments, ranges):
        if len(cols) < min_items:
            continue
        items = list(keyed.columns)
        pa = parallel_analysis(keyed, items=items, n_iter=n_iter, seed=seed)
        mp = velicer_map(keyed, items=items, max_factors=min(8, len(items) - 1))
        rows.append({"instrument": ins.id, "n_items": len(items), "n_subscales": len(subscale_items(ins, cols)),
                     "parallel_factors": pa.n_factors, "parallel_components": pa.n_components,
                     "map_components": mp.n_components})  # fmt: skip
    return pd.DataFrame(rows, columns=["instrument", "n_items", "n_subscales", "parallel_factors",
                                       "parallel_components", "map_components"])  # fmt: skip
