"""Exploratory factor analysis (minres or ML extraction, oblimin/promax/varimax rotation), as
``psych::fa``."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis._checks import _check_one_of
from analysis.apa import HtmlBlock, apa_table, format_stat, format_value
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
from analysis.psychometrics._results import (
    METHOD_WORDS,
    _chi_square,
    _excluded,
    _excluded_text,
    _percent,
    _rmsea,
    _word,
)

__all__ = ["EFAResult", "efa"]


# ---------------------------------------------------------------------------------------------
# efa
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EFAResult:
    """An exploratory factor analysis: tidy tables, the rows left out and APA output.

    Returned by `efa` (whose Returns section lists every column).

    Attributes
    ----------
    loadings : pandas.DataFrame
        One row per item and factor: ``item``, ``factor``, ``loading`` (pattern loading).
        Also available as ``coefficients``.
    communalities : pandas.DataFrame
        One row per item: ``item``, ``h2``, ``u2``, ``complexity``.
    variance : pandas.DataFrame
        One row per factor: ``factor``, ``ss_loadings``, ``proportion``, ``cumulative``,
        ``proportion_explained``, ``cumulative_explained``.
    phi : pandas.DataFrame
        Factor correlations, one row per pair: ``factor``, ``with_factor``, ``correlation``.
    fit : pandas.DataFrame
        One row: ``n`` (rows used) first, then psych's fit statistics (``chi_square``, ``df``,
        ``p_value``, ``rmsea``, ``rmsea_ci_low``, ``rmsea_ci_high``, ``tli``, ...).
    excluded : pandas.DataFrame
        One row per row of `data` left out: ``row`` (index label in `data`) and ``reason``.
    method : str
        Extraction method, ``"minres"`` or ``"ml"``.
    rotation : str
        Rotation (``"none"`` for one factor, where rotation does not apply).
    converged : bool
        False when the extraction or the rotation stopped at its iteration limit (a
        ConvergenceWarning was issued too).
    heywood : bool
        True for an ultra-Heywood case: a communality above 1, i.e. a negative uniqueness
        (an AnalysisWarning was issued too).
    ci : float
        Confidence level of the RMSEA interval in ``fit`` (0.90, as psych).

    See Also
    --------
    efa

    Notes
    -----
    ``coefficients`` is ``loadings`` (the tidy table of the result protocol in docs/api.md);
    ``table()`` shows the loadings as an items x factors APA table with communalities, and
    ``sentence()`` the variance explained and the fit in one APA sentence.

    Examples
    --------
    >>> from analysis import efa, simulate_demo_survey
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> res = efa(survey, items=[f"csi_16_{i}" for i in range(1, 9)], n_factors=1,
    ...           missing="listwise")
    >>> list(res.coefficients.columns), list(res.excluded.columns)
    (['item', 'factor', 'loading'], ['row', 'reason'])
    >>> int(res.fit["n"].iloc[0]) + len(res.excluded) == len(survey)
    True
    """

    loadings: pd.DataFrame
    communalities: pd.DataFrame
    variance: pd.DataFrame
    phi: pd.DataFrame
    fit: pd.DataFrame
    excluded: pd.DataFrame
    method: str
    rotation: str
    converged: bool
    heywood: bool
    ci: float = 0.90

    @property
    def coefficients(self) -> pd.DataFrame:
        """The tidy loadings table (``loadings``): ``item``, ``factor``, ``loading``."""
        return self.loadings

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

    def table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The loadings (items x factors) with communalities and uniquenesses as an APA table;
        the note gives the method, n, the factor correlations and the fit."""
        wide = self.loadings_wide().reset_index()
        wide["communality"] = self.communalities["h2"].to_numpy()
        wide["uniqueness"] = self.communalities["u2"].to_numpy()
        k = len(self.variance)
        f = self.fit.iloc[0]
        note = f"{self._how().capitalize()}; {_excluded_text(int(f['n']), self.excluded)}."
        if self.rotation in ("oblimin", "promax") and k > 1:
            phi, names = self.phi_wide().to_numpy(), list(self.variance["factor"])
            note += " Factor correlations: " + ", ".join(
                f"{names[i]}–{names[j]} = {format_value(phi[i, j], bounded=True)}"
                for i in range(k) for j in range(i + 1, k)) + "."
        if f["df"] > 0:
            note += f" {self._fit_text()}."
        note = " ".join([note, *self._problems()])
        return apa_table(wide, title=title or f"Loadings of a {_word(k)}-factor exploratory factor analysis",
                         number=number, note=note)

    def sentence(self) -> str:
        """One APA sentence: the variance the factors explain (each factor's share), n and the fit."""
        k, v, f = len(self.variance), self.variance, self.fit.iloc[0]
        detail = _excluded_text(int(f["n"]), self.excluded)
        if k > 1:
            shares = ", ".join(f"{a} {_percent(x)}" for a, x in zip(v["factor"], v["proportion"], strict=True))
            detail = f"{shares}; {detail}"
        text = (f"{_word(k).capitalize()} factor{'s' if k > 1 else ''} ({self._how()}) explained "
                f"{_percent(v['cumulative'].iloc[-1])} of the variance of the {_word(len(self.communalities))} "
                f"items ({detail})")
        if f["df"] > 0:
            text += f", {self._fit_text(sep=', ')}"
        return " ".join([text + ".", *self._problems()])

    def _how(self) -> str:
        how = f"{METHOD_WORDS[self.method]} extraction"
        if len(self.variance) > 1:
            how += ", no rotation" if self.rotation == "none" else f", {self.rotation} rotation"
        return how

    def _fit_text(self, sep: str = "; ") -> str:
        f = self.fit.iloc[0]
        return sep.join([_chi_square(f["chi_square"], f["df"], f["p_value"]),
                         format_stat("TLI", f["tli"], bounded=True),
                         _rmsea(f["rmsea"], f["rmsea_ci_low"], f["rmsea_ci_high"], self.ci)])

    def checks(self) -> list[str]:
        """What a reader must know before trusting the estimates (non-convergence, a Heywood case),
        one sentence each; empty when nothing is wrong. Reports show them in a callout."""
        return self._problems()

    def _problems(self) -> list[str]:
        out = []
        if not self.converged:
            out.append("The extraction or rotation did not converge; the loadings may be inaccurate.")
        if self.heywood:
            out.append("A communality exceeds 1 (an ultra-Heywood case); examine the solution.")
        return out


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
        Frozen dataclass with six tables, flags and APA output (``table()``, ``sentence()``);
        factors are named ``F1``, ``F2``, ... in psych's order (by variance accounted for,
        largest first) and signed so that every column of loadings sums to a positive number.

        ``loadings`` (also ``coefficients``): one row per item and factor (item-major order)

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

        - ``n`` : rows used: rows that answered at least one item (``"pairwise"``) or every
          item (``"listwise"``); ``n`` + the rows in ``excluded`` = rows of `data`.
        - ``chi_square`` : likelihood-ratio chi-square with Bartlett's correction
          (``STATISTIC``), computed for minres too, as psych does.
        - ``df`` : degrees of freedom, p(p-1)/2 - pk + k(k-1)/2 (``dof``); may be <= 0.
        - ``p_value`` : upper-tail p of ``chi_square`` (``PVAL``).
        - ``rmsea``, ``rmsea_ci_low``, ``rmsea_ci_high`` : RMSEA and its 90% interval (``RMSEA``), named as in `cfa`.
        - ``tli`` : Tucker-Lewis index (``TLI``).
        - ``bic`` : chi_square - df log(n) (``BIC``).
        - ``rms`` : root mean square off-diagonal residual, pairwise-n weighted (``rms``).
        - ``crms`` : the same corrected for degrees of freedom (``crms``).
        - ``empirical_chi_square``, ``empirical_p_value`` : sum of squared residuals times
          pair counts, and its p (``chi``, ``EPVAL``).
        - ``objective`` : ML discrepancy of the model (``objective``).
        - ``n_obs`` : psych's ``n.obs``, the rows the correlations were computed from (with
          ``"pairwise"`` including rows that answered no item), used by the statistics above.
        - ``harmonic_n`` : harmonic mean of pair counts (``nh``).

        The statistics that need df > 0 are NaN otherwise.

        ``excluded``: one row per row of `data` left out (none left out: no rows)

        - ``row`` : index label of the row in `data`.
        - ``reason`` : ``"missing value in A1, A3"`` (``"listwise"``) or ``"no item answered"``.

        ``method``, ``rotation`` (``"none"`` for one factor), ``converged`` (False when the
        extraction or rotation stopped at its iteration limit), ``heywood`` (True when a
        communality exceeds 1) and ``ci`` (0.90, the level of the RMSEA interval).

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

    Minres minimises the sum of squared off-diagonal residuals of R - (L Phi L' + U^2) over the
    uniquenesses U^2; ML minimises tr(S^-1 R) - log|S^-1 R| - p with S = L L' + U^2 (psych's
    ``FAfn``). With ``missing="pairwise"`` each correlation uses the rows that answered both
    items (R's ``cor(use = "pairwise")``); rows that answered no item add nothing and are listed
    in ``excluded``.

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
    >>> from analysis import efa, simulate_demo_survey
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> res = efa(survey, items=[f"ecr_s_{i}" for i in range(1, 13)], n_factors=2)
    >>> print(res.loadings_wide().round(2).head(3).reset_index().to_string(index=False))
       item    F1    F2
    ecr_s_1 -0.02 -0.62
    ecr_s_2  0.68  0.05
    ecr_s_3 -0.04  0.82
    >>> import textwrap
    >>> print(textwrap.fill(res.sentence(), 90))
    Two factors (minimum residual extraction, oblimin rotation) explained 50.1% of the
    variance of the 12 items (F1 25.6%, F2 24.5%; n = 117), χ²(43) = 58.86, p = .054, TLI =
    .95, RMSEA = .06, 90% CI [.00, .09].
    """
    _check_one_of("method", method, METHODS)
    _check_one_of("rotation", rotation, ROTATIONS)
    x, items = _item_matrix(data, items, missing)
    _check_n_factors(n_factors, len(items))
    r, np_obs = _correlations(x, items)
    excluded = _excluded(data, items, missing)
    lam, phi, fit_ok, rot_ok = _fa(r, n_factors, method, rotation)
    _warn_convergence(fit_ok, rot_ok)
    names = [f"F{j + 1}" for j in range(n_factors)]
    phi_m = np.eye(n_factors) if phi is None else phi
    h2 = (lam @ phi_m * lam).sum(axis=1)
    if h2.max() > 1:
        warnings.warn("An ultra-Heywood case was detected (a communality above 1): "
                      "examine the results carefully.", AnalysisWarning, stacklevel=2)
    ss = np.diag(phi_m @ lam.T @ lam)
    fit = _fit_table(r, lam, phi, len(x), np_obs)
    fit.insert(0, "n", len(data) - len(excluded))
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
        fit=fit,
        excluded=excluded, method=method, rotation=rotation if n_factors > 1 else "none",
        converged=bool(fit_ok and rot_ok), heywood=bool(h2.max() > 1),
    )
