"""McDonald's omega (total and hierarchical) from a Schmid-Leiman solution, as ``psych::omega``."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis._checks import _check_one_of
from analysis.apa import HtmlBlock, apa_table, format_stat, format_value
from analysis.exceptions import AnalysisWarning
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
from analysis.psychometrics._results import METHOD_WORDS, _excluded, _excluded_text, _word

__all__ = ["OmegaResult", "omega"]

#: psych::schmid's warning for ``nfactors = 1``, which `scale_reliability` expects and leaves out of its notes.
ONE_FACTOR_WARNING = ("Omega hierarchical and omega asymptotic are not meaningful with one factor "
                      "(psych::omega); omega total is.")


# ---------------------------------------------------------------------------------------------
# omega (Schmid-Leiman)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OmegaResult:
    """Omega coefficients from a Schmid-Leiman solution: tidy tables, the rows left out and APA
    output.

    Returned by `omega` (whose Returns section lists every column).

    Attributes
    ----------
    coefficients : pandas.DataFrame
        One row: ``omega_total``, ``omega_hierarchical``, ``omega_asymptotic``, ``alpha``,
        ``g6``, ``ecv`` (called ``table`` in 0.1).
    loadings : pandas.DataFrame
        One row per item and factor (g first): ``item``, ``factor``, ``loading``.
    communalities : pandas.DataFrame
        One row per item: ``item``, ``h2``, ``u2``, ``p2``, ``reversed``.
    groups : pandas.DataFrame
        One row per factor: ``factor``, ``omega_total``, ``omega_general``, ``omega_group``.
    fit : pandas.DataFrame
        One row: ``n`` (rows used), ``n_items``, ``n_factors`` (group factors).
    excluded : pandas.DataFrame
        One row per row of `data` left out: ``row`` (index label in `data`) and ``reason``.
    method : str
        Extraction method, ``"minres"`` or ``"ml"``.
    rotation : str
        Oblique rotation of the group factors, ``"oblimin"`` or ``"promax"``.
    converged : bool
        False when an extraction or rotation stopped at its iteration limit (a
        ConvergenceWarning was issued too).
    heywood : bool
        True for an ultra-Heywood case: a communality (or a squared general-factor loading of
        the factor correlations) above 1 (an AnalysisWarning was issued too).

    See Also
    --------
    omega

    Notes
    -----
    ``table()`` shows ``coefficients`` as an APA table; ``sentence()`` reports omega total and
    omega hierarchical in one APA sentence. The 0.1 attribute ``table`` (a DataFrame) is now
    ``coefficients``, since ``table()`` is the APA table of every result.

    Examples
    --------
    >>> from analysis import omega, simulate_demo_survey
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> res = omega(survey, items=[f"ecr_s_{i}" for i in range(1, 13)], n_factors=3)
    >>> print(res.fit.to_string(index=False))
      n  n_items  n_factors
    117       12          3
    """

    coefficients: pd.DataFrame
    loadings: pd.DataFrame
    communalities: pd.DataFrame
    groups: pd.DataFrame
    fit: pd.DataFrame
    excluded: pd.DataFrame
    method: str
    rotation: str
    converged: bool
    heywood: bool

    def table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The omega coefficients as an APA table; the note gives n, the items and the solution."""
        labels = {"omega_total": "Omega total", "omega_hierarchical": "Omega hierarchical",
                  "omega_asymptotic": "Omega asymptotic", "alpha": "Alpha", "g6": "Lambda 6 (G6)",
                  "ecv": "ECV"}
        c = self.coefficients.iloc[0]
        shown = pd.DataFrame([{labels[k]: format_value(c[k], bounded=True) for k in labels}])
        f = self.fit.iloc[0]
        solution = self._solution()
        note = (f"{_excluded_text(int(f['n']), self.excluded)}; {int(f['n_items'])} items. "
                f"{solution[:1].upper()}{solution[1:]} ({self._how()}). ECV = explained common variance of the "
                "general factor.")
        note = " ".join([note, *self._problems()])
        return apa_table(shown, title=title or "McDonald's omega", number=number, note=note)

    def sentence(self) -> str:
        """One APA sentence: omega total and omega hierarchical, with n and the solution."""
        c, f = self.coefficients.iloc[0], self.fit.iloc[0]
        text = (f"For the {_word(int(f['n_items']))} items ({_excluded_text(int(f['n']), self.excluded)}), "
                f"{format_stat('ω total', c['omega_total'], bounded=True)}")
        if int(f["n_factors"]) == 1:
            text += f" ({self._solution()}, {self._how()}; ω hierarchical is not meaningful with one factor)."
        else:
            text += (f" and {format_stat('ω hierarchical', c['omega_hierarchical'], bounded=True)} "
                     f"({self._solution()}, {self._how()}; {format_stat('ECV', c['ecv'], bounded=True)}).")
        return " ".join([text, *self._problems()])

    def _how(self) -> str:
        if int(self.fit.iloc[0]["n_factors"]) == 1:
            return f"{METHOD_WORDS[self.method]} extraction"
        return f"{METHOD_WORDS[self.method]} extraction, {self.rotation} rotation"

    def _solution(self) -> str:
        n = int(self.fit.iloc[0]["n_factors"])
        return "one-factor solution" if n == 1 else f"Schmid-Leiman solution with {_word(n)} group factors"

    def _problems(self) -> list[str]:
        out = []
        if not self.converged:
            out.append("An extraction or rotation did not converge; the loadings may be inaccurate.")
        if self.heywood:
            out.append("A communality exceeds 1 (an ultra-Heywood case); examine the solution.")
        return out


def _schmid(r, nf, method, rotation):
    """psych::schmid: varimax fa, oblique rotation of it, g from the factor correlations.

    Returns the g loadings, the group loadings, the communalities and two flags: every
    extraction and rotation converged, and an ultra-Heywood case."""
    orth, _, fit_ok, rot_ok = _fa(r, nf, method, "varimax")
    if nf == 1:  # psych: no rotation; g is the factor itself, omega_h "not meaningful"
        fload, phi, obl_ok = orth, np.ones((1, 1)), True
    else:
        rotate = _rotation.oblimin if rotation == "oblimin" else _rotation.promax
        fload, phi, obl_ok = rotate(orth)
    _warn_convergence(fit_ok, rot_ok and obl_ok)
    g_ok = True
    if nf == 1:
        warnings.warn(ONE_FACTOR_WARNING, AnalysisWarning, stacklevel=3)
        gload = np.ones(1)
    elif nf > 2:  # psych: fa(phi, fm = method) after cov2cor
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
    heywood = bool(max(h2.max(), (gload**2).max()) > 1)
    if heywood:  # psych checks both fa() calls
        warnings.warn("An ultra-Heywood case was detected (a communality above 1): "
                      "examine the results carefully.", AnalysisWarning, stacklevel=3)
    g = fload @ gload
    group = np.sign(fload) * np.sqrt(np.maximum(fload**2 * (1 - gload**2), 0.0))
    return g, group, h2, bool(fit_ok and rot_ok and obl_ok and g_ok), heywood


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
        Number of group factors (default 3, as psych). With 1 there is no Schmid-Leiman
        transformation: the one factor is g, and only omega total is meaningful (an
        AnalysisWarning says so, as psych does); `scale_reliability` uses it for 3-5 items.
    method : {"minres", "ml"}, optional
        Factor extraction method, as in `efa`.
    rotation : {"oblimin", "promax"}, optional
        Oblique rotation of the group factors (psych's default is oblimin).
    missing : {"pairwise", "listwise"}, optional
        Missing-data handling of the correlations (psych: pairwise).

    Returns
    -------
    OmegaResult
        Frozen dataclass with six tables, flags and APA output (``table()``, ``sentence()``).

        ``coefficients`` (``table`` in 0.1): one row

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

        ``fit``: one row (the Schmid-Leiman solution has no fit statistics of its own)

        - ``n`` : rows used: rows that answered at least one item (``"pairwise"``) or every
          item (``"listwise"``).
        - ``n_items`` : number of items.
        - ``n_factors`` : number of group factors.

        ``excluded``: one row per row of `data` left out (none left out: no rows)

        - ``row`` : index label of the row in `data`.
        - ``reason`` : ``"missing value in A1, A3"`` (``"listwise"``) or ``"no item answered"``.

        ``method``, ``rotation``, ``converged`` (False when an extraction or rotation stopped
        at its iteration limit) and ``heywood`` (True for an ultra-Heywood case).

    Raises
    ------
    analysis.exceptions.DataError
        An item column is missing, not numeric, or has no variance.
    analysis.exceptions.ParameterError
        `data` is not a DataFrame, fewer than 3 items, `n_factors` below 1 or not
        below the number of items, or an unknown option.

    Warns
    -----
    analysis.exceptions.AnalysisWarning
        With one factor (omega hierarchical is then not meaningful), with two group factors
        (g is not identified; loadings set equal, as psych), or for an
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
    Correlations are pairwise-complete by default (psych's ``cor(use = "pairwise")``); rows that
    answered no item add nothing and are listed in ``excluded``.

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
    >>> from analysis import omega, simulate_demo_survey
    >>> survey = simulate_demo_survey(n_couples=60, seed=1).survey
    >>> res = omega(survey, items=[f"ecr_s_{i}" for i in range(1, 13)], n_factors=3)
    >>> print(res.coefficients[["omega_total", "omega_hierarchical", "ecv"]].round(2).to_string(index=False))
     omega_total  omega_hierarchical  ecv
            0.89                 0.5 0.46
    >>> import textwrap
    >>> print(textwrap.fill(res.sentence(), 90))
    For the 12 items (n = 117), ω total = .89 and ω hierarchical = .50 (Schmid-Leiman solution
    with three group factors, minimum residual extraction, oblimin rotation; ECV = .46).
    """
    _check_one_of("method", method, METHODS)
    _check_one_of("rotation", rotation, ("oblimin", "promax"))
    x, items = _item_matrix(data, items, missing)
    _check_n_factors(n_factors, len(items))
    r, _ = _correlations(x, items)
    excluded = _excluded(data, items, missing)
    g, group, h2, converged, heywood = _schmid(r, n_factors, method, rotation)
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
        coefficients=table,
        loadings=pd.DataFrame({"item": np.repeat(items, n_factors + 1),
                               "factor": np.tile(["g", *names], p), "loading": sl.ravel()}),
        communalities=pd.DataFrame({"item": items, "h2": h2, "u2": u2, "p2": g**2 / h2,
                                    "reversed": key < 0}),
        groups=pd.DataFrame(rows, columns=["factor", "omega_total", "omega_general",
                                           "omega_group"]),
        fit=pd.DataFrame({"n": [len(data) - len(excluded)], "n_items": [p], "n_factors": [n_factors]}),
        excluded=excluded, method=method, rotation=rotation, converged=converged, heywood=heywood,
    )
