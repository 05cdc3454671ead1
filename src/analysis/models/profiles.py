"""Latent profile analysis: Gaussian mixture models over a range of profile counts, chosen by BIC."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis._checks import _as_list, _check_one_of, _require_columns
from analysis.apa import HtmlBlock, apa_table, format_value
from analysis.exceptions import ConvergenceWarning, ParameterError

__all__ = ["ProfileResult", "latent_profiles"]


@dataclass(frozen=True)
class ProfileResult:
    """Result of `latent_profiles`: the fit of every profile count, the chosen solution's profiles
    and memberships, and the rows left out.

    Attributes
    ----------
    fit : pandas.DataFrame
        One row per profile count: ``n`` (rows analysed), ``n_profiles``, ``log_likelihood``,
        ``n_parameters``, ``aic``, ``bic``, ``entropy``, ``smallest_pct``, ``converged``.
    profiles : pandas.DataFrame
        The chosen solution, one row per profile and indicator: ``profile``, ``variable``,
        ``mean``, ``sd``, ``n``, ``pct``.
    membership : pandas.DataFrame
        Index of the rows used; ``profile`` (1 = largest) and ``probability`` (posterior).
    n_profiles : int
        The profile count chosen by BIC.
    excluded : pandas.DataFrame
        One row per row of `data` left out: ``row`` (index label in `data`), ``reason``
        (``"missing <columns>"`` or ``"non-numeric <columns>"``).
    coefficients : pandas.DataFrame
        The profile means table (the same as ``profiles``).

    See Also
    --------
    latent_profiles : the function that returns it.

    Notes
    -----
    ``table()`` gives the APA table of the profile means, ``sentence()`` the BIC choice, the
    entropy and the profile sizes in one sentence.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import latent_profiles
    >>> rng = np.random.default_rng(11)
    >>> x = np.vstack([rng.normal(2.0, 0.6, size=(150, 2)), rng.normal(3.5, 0.6, size=(100, 2))])
    >>> res = latent_profiles(pd.DataFrame(x, columns=["anx", "avo"]), columns=["anx", "avo"],
    ...                       n_profiles=[1, 2, 3], n_init=1, seed=1)
    >>> print(res.sentence())  # doctest: +NORMALIZE_WHITESPACE
    Among Gaussian mixture models with 1 to 3 profiles (N = 250), BIC was lowest for 2 profiles
    (BIC = 1287.50, entropy = .87); profile 1: n = 145 (58.0%), profile 2: n = 105 (42.0%).
    """

    fit: pd.DataFrame
    profiles: pd.DataFrame
    membership: pd.DataFrame
    n_profiles: int
    excluded: pd.DataFrame

    @property
    def coefficients(self) -> pd.DataFrame:
        """The profile means table (``profiles``): ``profile``, ``variable``, ``mean``, ``sd``,
        ``n``, ``pct``."""
        return self.profiles

    def _chosen(self):
        return self.fit.loc[self.fit["n_profiles"] == self.n_profiles].iloc[0]

    def checks(self) -> list[str]:
        """What a reader must know before trusting the chosen solution, one sentence each.

        Returns
        -------
        list of str
            Empty when nothing is wrong. Otherwise, in order: an entropy below .80 (profiles
            overlap, so memberships are uncertain; Clark & Muthén, 2009, take .80 as the usual
            threshold); a profile under 5% of respondents (may not replicate; Nylund-Gross et al.,
            2007); profile counts whose model did not converge.

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> from analysis import latent_profiles
        >>> rng = np.random.default_rng(3)
        >>> x = pd.DataFrame(rng.normal(size=(300, 2)), columns=["anx", "avo"])
        >>> res = latent_profiles(x, columns=["anx", "avo"], n_profiles=[2], n_init=1, seed=1)
        >>> res.checks()[0][:60]
        'The 2-profile solution has entropy .31, below .80: many resp'
        """
        f, out = self._chosen(), []
        if self.n_profiles > 1 and f["entropy"] < 0.80:
            entropy = format_value(f["entropy"], bounded=True)
            out.append(f"The {self.n_profiles}-profile solution has entropy {entropy}, "
                       "below .80: many respondents are not clearly in one profile, so profile sizes and means are "
                       "uncertain and assigning people to profiles misclassifies many.")  # fmt: skip
        if self.n_profiles > 1 and f["smallest_pct"] < 5:
            out.append(f"The smallest profile holds {format_value(f['smallest_pct'], 1)}% of respondents (under 5%): "
                       "it may not replicate.")  # fmt: skip
        failed = self.fit.loc[~self.fit["converged"].astype(bool), "n_profiles"]
        if len(failed):
            out.append("The models with " + ", ".join(str(int(k)) for k in failed) + " profiles did not converge; "
                       "more starts (n_init) may help.")  # fmt: skip
        return out

    def table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The chosen solution's profile means as an APA table.

        Parameters
        ----------
        title : str, optional
            Table title (default "Latent profiles (<k> profiles)").
        number : int, optional
            Table number.

        Returns
        -------
        HtmlBlock
            The table (shown directly in a notebook); the note gives the BIC choice and entropy.
        """
        f = self._chosen()
        note = (f"Gaussian mixture model; {self.n_profiles} profile(s) chosen by BIC among {_counts(self.fit)} "
                f"(BIC = {format_value(f['bic'])}, entropy = {format_value(f['entropy'], bounded=True)}). "
                f"Profiles ordered by size. {int(f['n']):,} respondents; {len(self.excluded):,} rows with a "
                "missing value left out.")  # fmt: skip
        return apa_table(self.profiles, title=title or f"Latent profiles ({self.n_profiles} profiles)",
                         number=number, note=note)

    def sentence(self) -> str:
        """The BIC choice, its entropy and the profile sizes in one sentence.

        Returns
        -------
        str
            E.g. ``"Among Gaussian mixture models with 1 to 6 profiles (N = 500), BIC was lowest
            for 2 profiles (BIC = 2,345.67, entropy = .97); profile 1: n = 300 (60.0%), ..."``.
        """
        f = self._chosen()
        sizes = self.profiles.groupby("profile", sort=True)[["n", "pct"]].first()
        parts = ", ".join(f"profile {p}: n = {int(r['n']):,} ({format_value(r['pct'], 1)}%)"
                          for p, r in sizes.iterrows())
        return (f"Among Gaussian mixture models with {_counts(self.fit)} (N = {int(f['n']):,}), BIC was lowest "
                f"for {self.n_profiles} profile{'s' if self.n_profiles != 1 else ''} (BIC = {format_value(f['bic'])}, "
                f"entropy = {format_value(f['entropy'], bounded=True)}); {parts}.")  # fmt: skip


def _counts(fit: pd.DataFrame) -> str:
    counts = sorted(int(k) for k in fit["n_profiles"])
    if len(counts) == 1:
        return f"{counts[0]} profile{'s' if counts[0] != 1 else ''}"
    if counts == list(range(counts[0], counts[-1] + 1)):
        return f"{counts[0]} to {counts[-1]} profiles"
    return f"{', '.join(map(str, counts[:-1]))} or {counts[-1]} profiles"


def _excluded(raw: pd.DataFrame, numeric: pd.DataFrame) -> pd.DataFrame:
    """One row per row of `raw` with a missing (or non-numeric) indicator: ``row``, ``reason``."""
    missing = numeric.isna().to_numpy()
    text = (missing & raw.notna().to_numpy())
    drop = missing.any(axis=1)
    cols = list(raw.columns)
    reasons = []
    for miss, txt in zip(missing[drop], text[drop], strict=True):
        parts = []
        if (miss & ~txt).any():
            parts.append("missing " + ", ".join(c for c, m in zip(cols, miss & ~txt, strict=True) if m))
        if txt.any():
            parts.append("non-numeric " + ", ".join(c for c, m in zip(cols, txt, strict=True) if m))
        reasons.append("; ".join(parts))
    return pd.DataFrame({"row": pd.Series(raw.index[drop], dtype=object), "reason": pd.Series(reasons, dtype=object)})


def _n_parameters(k: int, d: int, covariance: str) -> int:
    cov = {"full": k * d * (d + 1) // 2, "diag": k * d, "tied": d * (d + 1) // 2, "spherical": k}[covariance]
    return k * d + cov + (k - 1)


def latent_profiles(
    data: pd.DataFrame,
    *,
    columns: Sequence[str],
    n_profiles: Sequence[int] = (1, 2, 3, 4, 5, 6),
    covariance: str = "full",
    standardize: bool = True,
    n_init: int = 10,
    seed: int | None = None,
) -> ProfileResult:
    """Gaussian mixture models for 1..K profiles; the solution with the lowest BIC is described.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; rows with a missing value in `columns` are left out (listwise).
    columns : list of str
        Indicators (e.g. attachment anxiety and avoidance scores).
    n_profiles : sequence of int, default 1..6
        Profile counts to fit.
    covariance : {"full", "diag", "tied", "spherical"}, default "full"
        Within-profile covariance structure (mclust's VVV, VVI, EEE, VII).
    standardize : bool, default True
        Fit on z-scores (profile means are reported in the original units either way).
    n_init : int, default 10
        Random starts per model (the best log-likelihood is kept).
    seed : int, optional
        Seed for the starts; the same seed gives the same solution.

    Returns
    -------
    ProfileResult
        ``fit``: one row per profile count: ``n`` (rows analysed), ``n_profiles``,
        ``log_likelihood``, ``n_parameters``,
        ``aic``, ``bic`` (``-2 logL + p log n``; lower is better), ``entropy`` (relative entropy of
        the memberships, 1 = perfectly separated), ``smallest_pct`` (% in the smallest profile),
        ``converged``. ``profiles``: the chosen solution, one row per profile and indicator:
        ``profile``, ``variable``, ``mean``, ``sd``, ``n``, ``pct``. ``membership``: index of the
        rows used, ``profile`` (1 = largest) and ``probability`` (posterior of that profile).
        ``n_profiles``: the count chosen by BIC. ``excluded``: one row per row left out,
        ``row`` (index label in `data`) and ``reason``. ``coefficients`` is ``profiles``;
        ``table()`` and ``sentence()`` give the APA table and text.

    Raises
    ------
    DataError
        A column of `columns` is absent.
    ParameterError
        Bad `covariance` or `n_profiles`, or too few complete rows for the largest count.

    Warns
    -----
    ConvergenceWarning
        A model did not converge.

    See Also
    --------
    analysis.report.figures.profile_scatter : respondents coloured by profile.

    Notes
    -----
    Wraps ``sklearn.mixture.GaussianMixture``; BIC and AIC use sklearn's likelihood (checked
    against a direct multivariate-normal computation in the tests): ``BIC = -2 logL + p log n``
    with ``p = k d`` means, the covariance parameters of the structure and ``k - 1`` mixing
    proportions, as ``mclust::Mclust`` (whose BIC has the opposite sign) and ``tidyLPA``. Entropy
    is ``1 + sum(p log p) / (n log k)``. Profiles are ordered by size. Choose by BIC together with
    entropy, the smallest profile's size and meaning. Rows with a missing (or non-numeric)
    indicator are left out and listed in ``.excluded``.

    References
    ----------
    Spurk, D., Hirschi, A., Wang, M., Valero, D., & Kauffeld, S. (2020). Latent profile analysis:
    A review and "how to" guide of its application within vocational behavior research. Journal
    of Vocational Behavior, 120, 103445.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import latent_profiles
    >>> rng = np.random.default_rng(11)
    >>> x = np.vstack([rng.normal(2.0, 0.6, size=(150, 2)), rng.normal(3.5, 0.6, size=(100, 2))])
    >>> data = pd.DataFrame(x, columns=["anx", "avo"])
    >>> data.loc[3, "anx"] = np.nan
    >>> res = latent_profiles(data, columns=["anx", "avo"], n_profiles=[1, 2, 3], n_init=1, seed=1)
    >>> print(res.profiles[["profile", "variable", "mean", "n"]].round(2).to_string(index=False))
     profile variable  mean   n
           1      anx  2.00 144
           1      avo  1.96 144
           2      anx  3.50 105
           2      avo  3.50 105
    >>> print(res.excluded.to_string(index=False))
    row      reason
      3 missing anx
    """
    from sklearn.mixture import GaussianMixture

    cols = _as_list(columns)
    _require_columns(data, cols)
    _check_one_of("covariance", covariance, ("full", "diag", "tied", "spherical"))
    counts = sorted({int(k) for k in n_profiles})
    if not counts or counts[0] < 1:
        raise ParameterError(f"`n_profiles` must hold whole numbers >= 1, but {list(n_profiles)!r} was passed.")
    numeric = data[cols].apply(pd.to_numeric, errors="coerce")
    excluded = _excluded(data[cols], numeric)
    frame = numeric.dropna()
    x = frame.to_numpy(dtype=float)
    n, d = x.shape
    if n < 3 * counts[-1] * (d + 1):
        raise ParameterError(f"{n} complete rows are too few for {counts[-1]} profiles of {d} variables.")
    z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1) if standardize else x
    rows, models = [], {}
    for k in counts:
        gm = GaussianMixture(n_components=k, covariance_type=covariance, n_init=n_init, random_state=seed,
                             max_iter=500, reg_covar=1e-6)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gm.fit(z)
        if not gm.converged_:
            warnings.warn(f"the {k}-profile model did not converge", ConvergenceWarning, stacklevel=2)
        post = gm.predict_proba(z)
        loglik = float(gm.score(z) * n)
        p = _n_parameters(k, d, covariance)
        with np.errstate(divide="ignore", invalid="ignore"):
            ent = 1.0 if k == 1 else 1 + np.nansum(post * np.log(post)) / (n * np.log(k))
        sizes = np.bincount(post.argmax(axis=1), minlength=k)
        rows.append({"n": n, "n_profiles": k, "log_likelihood": loglik, "n_parameters": p, "aic": -2 * loglik + 2 * p,
                     "bic": -2 * loglik + p * np.log(n), "entropy": float(ent),
                     "smallest_pct": 100 * sizes.min() / n, "converged": bool(gm.converged_)})  # fmt: skip
        models[k] = (gm, post)
    fit = pd.DataFrame(rows)
    best = int(fit.loc[fit["bic"].idxmin(), "n_profiles"])
    gm, post = models[best]
    raw_label = post.argmax(axis=1)
    order = np.argsort(-np.bincount(raw_label, minlength=best), kind="stable")  # largest first
    relabel = {int(old): new + 1 for new, old in enumerate(order)}
    label = np.array([relabel[int(r)] for r in raw_label])
    membership = pd.DataFrame({"profile": label, "probability": post.max(axis=1)}, index=frame.index)
    prof_rows = []
    for prof in range(1, best + 1):
        members = x[label == prof]
        for j, col in enumerate(cols):
            prof_rows.append({"profile": prof, "variable": col,
                              "mean": members[:, j].mean() if len(members) else np.nan,
                              "sd": members[:, j].std(ddof=1) if len(members) > 1 else np.nan,
                              "n": len(members), "pct": 100 * len(members) / n})  # fmt: skip
    return ProfileResult(fit=fit, profiles=pd.DataFrame(prof_rows), membership=membership, n_profiles=best,
                         excluded=excluded)
