"""Assumption checks of a linear model (:func:`analysis.models.regression.ols`): the
Breusch-Pagan and Shapiro-Wilk tests, per-row influence (leverage, studentized residuals, Cook's
distance, the normal quantiles of a Q-Q plot) and generalized VIFs, as tidy tables with an APA
table and sentence.

Kept apart from `regression` (which builds it into every OLS result as ``.diagnostics``) because
it is a topic of its own and `regression` is near the size the layer keeps modules under.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.apa import HtmlBlock, apa_table, format_p, format_stat, format_value
from analysis.exceptions import ParameterError

__all__ = ["RegressionDiagnostics"]

_TEST_NAMES = {"breusch_pagan": "Breusch-Pagan", "shapiro_wilk": "Shapiro-Wilk"}
#: R's shapiro.test takes 3 to 5,000 values
_SHAPIRO_RANGE = (3, 5000)


@dataclass(frozen=True)
class RegressionDiagnostics:
    """Assumption checks of a linear model: tests, influence per row and VIFs.

    Built by :func:`analysis.models.regression.ols` for every fit and read as
    ``ols(...).diagnostics``; the numbers match R (tests/reference/model_checks.R).

    Attributes
    ----------
    tests : pandas.DataFrame
        One row per test: ``test`` (``"breusch_pagan"``: studentized (Koenker) Breusch-Pagan test
        of heteroscedasticity over the model's predictors, as ``lmtest::bptest(fit)``;
        ``"shapiro_wilk"``: Shapiro-Wilk test of the residuals' normality, as
        ``shapiro.test(residuals(fit))``, only for 3 to 5,000 rows), ``statistic`` (chi² or W),
        ``df`` (the number of slopes for Breusch-Pagan, NaN for Shapiro-Wilk), ``p_value``,
        ``n``.
    influence : pandas.DataFrame
        One row per row used, in the data's order: ``row`` (index label in `data`), ``person``
        (the id in the `person` column, when ``ols`` got `person`), ``dyad`` (when it got `dyad`),
        ``fitted``, ``residual``, ``std_residual`` (internally studentized, ``rstandard``),
        ``student_residual`` (externally studentized, ``rstudent``), ``leverage``
        (``hatvalues``), ``cooks_distance`` (``cooks.distance``), ``normal_quantile`` (the
        theoretical quantile of a normal Q-Q plot of ``std_residual``,
        ``qqnorm(rstandard(fit))$x``). A row with leverage 1 has NaN residual statistics.
    vif : pandas.DataFrame
        One row per model term (the intercept left out): ``term``, ``df`` (columns of the
        term), ``vif`` (the generalized VIF, equal to the VIF for a one-column term), ``vif_scaled``
        (GVIF^(1/(2 df)), comparable across terms; the square root of the VIF for one column), as
        ``car::vif``.
    outcome : str
        The model's outcome.
    person : str or None
        The column that names rows in sentences and tables (`person` of ``ols``), or None (index
        labels).

    See Also
    --------
    analysis.models.regression.ols

    Notes
    -----
    Breusch-Pagan (Koenker, 1981): with residuals e and w = e² - mean(e²), the statistic is
    ``n · Σ ŵ² / Σ w²`` where ŵ are the fitted values of w regressed on the model's design
    matrix, on (k - 1) df. Influence in closed form (Belsley, Kuh & Welsch, 1980), as R's
    ``influence.measures`` (statsmodels' ``OLSInfluence`` refits the model once per row for
    ``rstudent``): h the diagonal of the hat matrix, ``std_residual = e / (s √(1 - h))``,
    ``student_residual = e / (s₍ᵢ₎ √(1 - h))`` with ``s₍ᵢ₎² = (SSE - e² / (1 - h)) / (n - k - 1)``
    (s without the row), ``cooks_distance = std_residual² h / (k (1 - h))``. The normal
    quantiles are ``Φ⁻¹((i - a) / (n + 1 - 2a))`` for the rank i of each standardized residual
    (ties in row order), a = 3/8 for n <= 10 and 1/2 otherwise (R's ``ppoints``). GVIF
    (Fox & Monette, 1992): ``det(R₁₁) det(R₂₂) / det(R)`` with R the correlation matrix of the
    design's columns (without the intercept), R₁₁ the block of the term's columns and R₂₂ the
    block of the others.

    References
    ----------
    Breusch, T. S., & Pagan, A. R. (1979). A simple test for heteroscedasticity and random
    coefficient variation. Econometrica, 47(5), 1287-1294.
    Koenker, R. (1981). A note on studentizing a test for heteroscedasticity. Journal of
    Econometrics, 17(1), 107-112.
    Belsley, D. A., Kuh, E., & Welsch, R. E. (1980). Regression diagnostics. Wiley.
    Cook, R. D. (1977). Detection of influential observation in linear regression.
    Technometrics, 19(1), 15-18.
    Fox, J., & Monette, G. (1992). Generalized collinearity diagnostics. Journal of the American
    Statistical Association, 87(417), 178-183.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import ols
    >>> data = pd.DataFrame({"y": [1, 3, 2, 5, 4, 6, 9, 7], "x": [1, 2, 3, 4, 5, 6, 7, 8],
    ...                      "w": [2, 1, 2, 3, 1, 2, 3, 3]})
    >>> diag = ols(data, "y ~ x + w").diagnostics  # R: lmtest::bptest, shapiro.test, cooks.distance
    >>> print(diag.tests.round(3).to_string(index=False))
             test  statistic  df  p_value  n
    breusch_pagan      1.022 2.0    0.600  8
     shapiro_wilk      0.929 NaN    0.511  8
    >>> print(diag.most_influential(2)[["row", "leverage", "cooks_distance"]].round(3).to_string(index=False))
     row  leverage  cooks_distance
       7     0.434           0.435
       6     0.326           0.427
    >>> print(diag.sentence().replace("; ", ";\\n"))
    Breusch-Pagan χ²(2) = 1.02, p = .600;
    Shapiro-Wilk W = .929, p = .511;
    the largest Cook's distance is 0.43 (row 7);
    the largest VIF is 1.38 (x).
    """

    tests: pd.DataFrame
    influence: pd.DataFrame
    vif: pd.DataFrame
    outcome: str
    person: str | None = None

    def most_influential(self, k: int = 5) -> pd.DataFrame:
        """The `k` rows with the largest Cook's distance, largest first.

        Parameters
        ----------
        k : int, default 5
            Number of rows.

        Returns
        -------
        pandas.DataFrame
            The first `k` rows of ``influence`` sorted by ``cooks_distance`` (descending; rows
            with an undefined distance last).
        """
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise ParameterError(f"The value for `k` must be a positive integer, but {k!r} was passed.")
        return self.influence.sort_values("cooks_distance", ascending=False, kind="stable",
                                          na_position="last").head(k)  # fmt: skip

    def table(self, *, title: str | None = None, number: int | None = None, k: int = 5) -> HtmlBlock:
        """The `k` most influential rows as an APA table; the note gives the tests and VIFs.

        Parameters
        ----------
        title : str, optional
            Table title (default "Most influential rows in the model of <outcome>").
        number : int, optional
            Table number.
        k : int, default 5
            Number of rows shown.

        Returns
        -------
        HtmlBlock
            Row ids, ``residual``, ``student_residual``, ``leverage`` and ``cooks_distance``;
            the note holds :meth:`sentence`.
        """
        show = [c for c in ("row", "person", "dyad", "residual", "student_residual", "leverage",
                            "cooks_distance") if c in self.influence.columns]  # fmt: skip
        rows = self.most_influential(k)[show].rename(columns={"person": self.person or "person"})
        note = f"Rows sorted by Cook's distance; {len(self.influence):,} rows in the model. {self.sentence()}"
        return apa_table(rows, title=title or f"Most influential rows in the model of {self.outcome}",
                         number=number, note=note)  # fmt: skip

    def sentence(self) -> str:
        """The tests, the largest Cook's distance and the largest VIF in one sentence.

        Returns
        -------
        str
            E.g. ``"Breusch-Pagan χ²(8) = 12.30, p = .140; Shapiro-Wilk W = .991, p = .210; the
            largest Cook's distance is 0.04 (row 123); the largest VIF is 2.48 (age)."``; the row
            is named by the `person` id when ``ols`` got one.
        """
        parts = []
        for r in self.tests.itertuples(index=False):
            if r.test == "breusch_pagan":
                stat = format_stat(f"χ²({int(r.df)})", r.statistic)
            else:
                stat = format_stat("W", r.statistic, 3, bounded=True)
            parts.append(f"{_TEST_NAMES[r.test]} {stat}, {format_p(r.p_value)}")
        top = self.most_influential(1).iloc[0]
        who = f"{self.person} {_plain(top['person'])}" if self.person else f"row {_plain(top['row'])}"
        parts.append(f"the largest Cook's distance is {format_value(top['cooks_distance'])} ({who})")
        if len(self.vif):
            v = self.vif.loc[self.vif["vif"].idxmax()]
            parts.append(f"the largest VIF is {format_value(v['vif'])} ({v['term']})")
        return "; ".join(parts) + "."


def _plain(value) -> str:
    """An id for text: whole floats without ``.0``."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _ols_diagnostics(fit, X: pd.DataFrame, ids: pd.DataFrame, outcome: str,
                     person: str | None) -> RegressionDiagnostics:  # fmt: skip
    """Diagnostics of a classical statsmodels OLS `fit` on design `X`; `ids` holds ``row`` (and
    ``dyad``, ``person``) for each row used, in order."""
    Xv = X.to_numpy(dtype=float)
    n, k = Xv.shape
    e = np.asarray(fit.resid, dtype=float)
    Q, _ = np.linalg.qr(Xv)
    h = np.sum(Q**2, axis=1)
    h[h > 1 - 10 * np.finfo(float).eps] = 1.0  # as R's influence(): these rows get NaN statistics
    sse, df = float(e @ e), n - k
    with np.errstate(divide="ignore", invalid="ignore"):
        std = e / np.sqrt(sse / df * (1 - h))
        s2_without = (sse - e**2 / (1 - h)) / (df - 1)  # residual variance without row i
        student = e / np.sqrt(s2_without * (1 - h))
        cook = std**2 * h / (k * (1 - h))
    std, student, cook = (np.where(h < 1, v, np.nan) for v in (std, student, cook))
    table = ids.reset_index(drop=True).assign(
        fitted=np.asarray(fit.fittedvalues, dtype=float), residual=e, std_residual=std,
        student_residual=student, leverage=h, cooks_distance=cook, normal_quantile=_normal_quantiles(std))
    rows = [_breusch_pagan(Q, e)]
    if _SHAPIRO_RANGE[0] <= n <= _SHAPIRO_RANGE[1] and np.ptp(e) > 0:
        w = stats.shapiro(e)
        rows.append({"test": "shapiro_wilk", "statistic": float(w.statistic), "df": np.nan,
                     "p_value": float(w.pvalue), "n": n})  # fmt: skip
    return RegressionDiagnostics(pd.DataFrame(rows), table, _gvif(X), outcome, person)


def _breusch_pagan(Q: np.ndarray, e: np.ndarray) -> dict:
    """Studentized Breusch-Pagan test (lmtest::bptest's formula); `Q` spans the design's columns
    (full rank: `ols` refuses collinear predictors)."""
    n, k = Q.shape
    w = e**2 - np.mean(e**2)
    fitted = Q @ (Q.T @ w)
    bp = n * np.sum(fitted**2) / np.sum(w**2)
    return {"test": "breusch_pagan", "statistic": bp, "df": float(k - 1), "p_value": stats.chi2.sf(bp, k - 1),
            "n": n}  # fmt: skip


def _normal_quantiles(values: np.ndarray) -> np.ndarray:
    """x of R's qqnorm(values): ppoints(n) at each value's rank (ties in order; NaN stays NaN)."""
    out = np.full(len(values), np.nan)
    ok = ~np.isnan(values)
    n = int(ok.sum())
    if n:
        a = 3 / 8 if n <= 10 else 1 / 2
        rank = np.empty(n)
        rank[np.argsort(values[ok], kind="stable")] = np.arange(1, n + 1)
        out[ok] = stats.norm.ppf((rank - a) / (n + 1 - 2 * a))
    return out


def _gvif(X: pd.DataFrame) -> pd.DataFrame:
    """Generalized VIF per term of a patsy design (car::vif)."""
    slices = [(t.name(), s) for t, s in X.design_info.term_slices.items() if t.name() != "Intercept"]
    cols = [j for _, s in slices for j in range(X.shape[1])[s]]
    rows = []
    if len(cols) > 1:
        R = np.corrcoef(X.to_numpy(dtype=float)[:, cols], rowvar=False)
        where = {j: i for i, j in enumerate(cols)}
        det = np.linalg.det(R)
        for name, s in slices:
            own = [where[j] for j in range(X.shape[1])[s]]
            rest = [i for i in range(len(cols)) if i not in own]
            g = np.linalg.det(R[np.ix_(own, own)]) * np.linalg.det(R[np.ix_(rest, rest)]) / det
            rows.append({"term": name, "df": len(own), "vif": g, "vif_scaled": g ** (1 / (2 * len(own)))})
    elif slices:
        rows.append({"term": slices[0][0], "df": 1, "vif": 1.0, "vif_scaled": 1.0})
    return pd.DataFrame(rows, columns=["term", "df", "vif", "vif_scaled"])


