"""How many factors to retain: parallel analysis (as ``psych::fa.parallel``) and Velicer's MAP
(as ``psych::VSS``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis._checks import _check_one_of
from analysis.apa import HtmlBlock, apa_table
from analysis.exceptions import ParameterError
from analysis.psychometrics._factoring import _correlations, _eigh_desc, _extract, _item_matrix
from analysis.psychometrics._results import _excluded, _excluded_text, _word

__all__ = ["ParallelResult", "parallel_analysis", "MAPResult", "velicer_map"]


# ---------------------------------------------------------------------------------------------
# parallel analysis
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParallelResult:
    """Eigenvalues of a parallel analysis and the numbers of factors and components it suggests.

    Returned by `parallel_analysis` (whose Returns section lists every column).

    Attributes
    ----------
    eigenvalues : pandas.DataFrame
        One row per eigenvalue: ``number``, observed, simulated and resampled eigenvalues of
        components (``pc_*``) and factors (``fa_*``). Also available as ``coefficients``.
    n_factors, n_components : int or None
        Suggested numbers of factors and components (None when not requested by `fa`).
    fit : pandas.DataFrame
        One row: ``n`` (rows used), ``n_items``, ``n_iter``, ``n_factors``, ``n_components``.
    excluded : pandas.DataFrame
        One row per row of `data` left out: ``row`` (index label in `data`) and ``reason``.
    n_iter : int
        Number of simulated (and resampled) data sets.
    quantile : float or None
        Quantile of the simulated eigenvalues used as the threshold (None: their mean).

    See Also
    --------
    parallel_analysis

    Notes
    -----
    ``table()`` shows the eigenvalues as an APA table; ``sentence()`` the suggested numbers.

    Examples
    --------
    >>> from analysis import parallel_analysis, simulate_demo_survey
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> res = parallel_analysis(survey, items=[f"ecr_s_{i}" for i in range(1, 13)], n_iter=5, seed=1)
    >>> import textwrap
    >>> print(textwrap.fill(res.sentence(), 90))
    Parallel analysis (threshold: 95th percentile of the eigenvalues of 5 simulated data sets;
    n = 117) suggested two factors and two components.
    """

    eigenvalues: pd.DataFrame
    n_factors: int | None
    n_components: int | None
    fit: pd.DataFrame
    excluded: pd.DataFrame
    n_iter: int
    quantile: float | None

    @property
    def coefficients(self) -> pd.DataFrame:
        """The eigenvalue table (``eigenvalues``), one row per eigenvalue."""
        return self.eigenvalues

    def table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The observed and simulated eigenvalues (columns not computed are left out) as an APA
        table; the note gives the rule and the suggested numbers."""
        threshold = "mean" if self.quantile is None else f"{_ordinal(100 * self.quantile)} percentile"
        labels = {"number": "number", "pc_observed": "PC observed",
                  "pc_simulated": "PC simulated (mean)", "pc_simulated_quantile": f"PC simulated ({threshold})",
                  "pc_resampled": "PC resampled (mean)", "fa_observed": "FA observed",
                  "fa_simulated": "FA simulated (mean)", "fa_simulated_quantile": f"FA simulated ({threshold})",
                  "fa_resampled": "FA resampled (mean)"}
        shown = self.eigenvalues.dropna(axis=1, how="all").rename(columns=labels)
        note = (f"{self._what().capitalize()}. PC = principal components; FA = factors (one-factor minres "
                f"communalities on the diagonal). Suggested: {self._suggested()}.")
        return apa_table(shown, title=title or "Parallel analysis: eigenvalues", number=number, note=note)

    def sentence(self) -> str:
        """One APA sentence: the numbers of factors and components parallel analysis suggests."""
        return f"Parallel analysis ({self._what()}) suggested {self._suggested()}."

    def _what(self) -> str:
        threshold = "mean" if self.quantile is None else f"{_ordinal(100 * self.quantile)} percentile"
        return (f"threshold: {threshold} of the eigenvalues of {self.n_iter:,} simulated data sets; "
                f"{_excluded_text(int(self.fit['n'].iloc[0]), self.excluded)}")

    def _suggested(self) -> str:
        parts = [f"{_word(k)} {what}{'s' if k != 1 else ''}"
                 for k, what in ((self.n_factors, "factor"), (self.n_components, "component")) if k is not None]
        return " and ".join(parts)


def _ordinal(x: float) -> str:
    """``95th``, ``97.5th``, ``91st``."""
    text = f"{x:g}"
    if not float(x).is_integer() or 11 <= int(x) % 100 <= 13:
        return text + "th"
    return text + {1: "st", 2: "nd", 3: "rd"}.get(int(x) % 10, "th")


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
        Frozen dataclass with APA output (``table()``, ``sentence()``).

        ``eigenvalues`` (also ``coefficients``): one row per eigenvalue, largest first (columns for the part not
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

        ``fit``: one row

        - ``n`` : rows used: rows that answered at least one item (``"pairwise"``) or every
          item (``"listwise"``).
        - ``n_items`` : number of items; ``n_iter`` : as passed.
        - ``n_factors``, ``n_components`` : as above (missing when not requested).

        ``excluded``: one row per row of `data` left out (none left out: no rows)

        - ``row`` : index label of the row in `data`.
        - ``reason`` : ``"missing value in A1, A3"`` (``"listwise"``) or ``"no item answered"``.

        ``n_iter`` and ``quantile`` : as passed.

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

    With k the suggested number, the observed eigenvalues 1..k exceed the threshold (the
    `quantile` of the simulated eigenvalues of the same rank, or their mean) and eigenvalue k + 1
    does not.

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    *Psychometrika, 30*(2), 179-185. https://doi.org/10.1007/BF02289447

    Examples
    --------
    >>> from analysis import parallel_analysis, simulate_demo_survey
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> res = parallel_analysis(survey, items=[f"ecr_s_{i}" for i in range(1, 13)], n_iter=5, seed=1)
    >>> res.eigenvalues.shape, res.n_factors, res.n_components
    ((12, 9), 2, 2)
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
    excluded = _excluded(data, items, missing)
    fit = pd.DataFrame({"n": [len(data) - len(excluded)], "n_items": [p], "n_iter": [n_iter],
                        "n_factors": pd.array([n_fact], dtype="Int64"),
                        "n_components": pd.array([n_comp], dtype="Int64")})
    return ParallelResult(eigenvalues=table, n_factors=n_fact, n_components=n_comp, fit=fit, excluded=excluded,
                          n_iter=int(n_iter), quantile=quantile)


# ---------------------------------------------------------------------------------------------
# Velicer's MAP
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MAPResult:
    """Velicer's minimum average partial test: the average partial correlations and the number
    of components at their minimum.

    Returned by `velicer_map` (whose Returns section lists every column).

    Attributes
    ----------
    coefficients : pandas.DataFrame
        One row per number of components partialled out: ``n_components``, ``map``, ``map4``
        (called ``table`` in 0.1).
    n_components, n_components_map4 : int
        The number of components with the smallest ``map`` and ``map4``.
    fit : pandas.DataFrame
        One row: ``n`` (rows used), ``n_items``, ``n_components``, ``n_components_map4``.
    excluded : pandas.DataFrame
        One row per row of `data` left out: ``row`` (index label in `data`) and ``reason``.

    See Also
    --------
    velicer_map

    Notes
    -----
    ``table()`` shows ``coefficients`` as an APA table; ``sentence()`` the number of components.
    The 0.1 attribute ``table`` (a DataFrame) is now ``coefficients``, since ``table()`` is the
    APA table of every result.

    Examples
    --------
    >>> from analysis import simulate_demo_survey, velicer_map
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> res = velicer_map(survey, items=[f"ecr_s_{i}" for i in range(1, 13)])
    >>> print(res.fit.to_string(index=False))
      n  n_items  n_components  n_components_map4
    117       12             2                  2
    >>> import textwrap
    >>> print(textwrap.fill(res.sentence(), 90))
    Velicer's minimum average partial test (n = 117) reached its minimum after two components
    (with 4th powers: two).
    """

    coefficients: pd.DataFrame
    n_components: int
    n_components_map4: int
    fit: pd.DataFrame
    excluded: pd.DataFrame

    def table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The average squared and 4th-power partial correlations as an APA table."""
        shown = self.coefficients.rename(columns={
            "n_components": "components partialled out", "map": "average squared partial r",
            "map4": "average 4th-power partial r"})
        note = (f"{_excluded_text(int(self.fit['n'].iloc[0]), self.excluded)}; {int(self.fit['n_items'].iloc[0])} "
                f"items. Minimum at {self.n_components} components (4th power: {self.n_components_map4}).")
        return apa_table(shown, title=title or "Velicer's minimum average partial (MAP) test", number=number,
                         note=note, decimals=4)

    def sentence(self) -> str:
        """One APA sentence: where the average squared partial correlation is smallest."""
        k, k4 = self.n_components, self.n_components_map4
        return (f"Velicer's minimum average partial test "
                f"({_excluded_text(int(self.fit['n'].iloc[0]), self.excluded)}) reached its minimum after "
                f"{_word(k)} component{'s' if k != 1 else ''} (with 4th powers: {_word(k4)}).")


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
        Frozen dataclass with APA output (``table()``, ``sentence()``).

        ``coefficients`` (``table`` in 0.1): one row per number of components
        m = 0, 1, ..., max_factors

        - ``n_components`` : m, the number of principal components partialled out.
        - ``map`` : mean squared partial correlation among the items after removing the first
          m components (m = 0: mean squared correlation); psych's ``map`` for m >= 1.
        - ``map4`` : the same with partial correlations to the 4th power (Velicer, Eaton &
          Fava, 2000).

        ``n_components``, ``n_components_map4`` : the m with the smallest ``map``/``map4``.

        ``fit``: one row

        - ``n`` : rows used: rows that answered at least one item (``"pairwise"``) or every
          item (``"listwise"``).
        - ``n_items`` : number of items.
        - ``n_components``, ``n_components_map4`` : as above.

        ``excluded``: one row per row of `data` left out (none left out: no rows)

        - ``row`` : index label of the row in `data`.
        - ``reason`` : ``"missing value in A1, A3"`` (``"listwise"``) or ``"no item answered"``.

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

    With C_m = R - A_m A_m' (A_m the first m principal component loadings) and the partial
    correlations R*_m = D^-1/2 C_m D^-1/2 (D = diag(C_m)), ``map`` is the mean of the squared
    off-diagonal elements of R*_m and ``map4`` the mean of their 4th powers.

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
    >>> from analysis import simulate_demo_survey, velicer_map
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> res = velicer_map(survey, items=[f"csi_16_{i}" for i in range(1, 17)])
    >>> res.n_components, res.n_components_map4
    (1, 1)
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
    n_map, n_map4 = int(table["map"].idxmin()), int(table["map4"].idxmin())
    excluded = _excluded(data, items, missing)
    fit = pd.DataFrame({"n": [len(data) - len(excluded)], "n_items": [p], "n_components": [n_map],
                        "n_components_map4": [n_map4]})
    return MAPResult(coefficients=table, n_components=n_map, n_components_map4=n_map4, fit=fit,
                     excluded=excluded)
