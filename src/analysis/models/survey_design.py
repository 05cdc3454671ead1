"""Design-based estimation for complex survey samples (weights, strata, clusters, fpc, or replicate
weights).

`survey_design` describes how the sample was drawn; `survey_mean`, `survey_total`,
`survey_proportion` (each by group with ``by=``), `survey_crosstab` (Rao-Scott tests),
`survey_glm` (linear and logistic) and `survey_olr` (proportional odds) estimate with
Taylor-linearisation (or replicate-weight) standard errors and the design effect beside each SE, as R's ``survey``
package (Lumley, 2004) does with ``svymean``, ``svytotal``, ``svyby``, ``svychisq``, ``svyglm``
and ``svyolr``.

Engine: our own, not a library. The linearisation is short (``_linearization.py``: PSU totals
centred within strata, the multistage sum with fpc, R's four lonely-PSU rules), so we wrote it
from R's source (``survey:::svyrecvar``, ``onestrat``, ``multistage``) rather than pin a
dependency. We tried ``svy`` 0.35.0 (MIT) in a scratch venv: its Taylor means and totals agree
with R on apistrat and apiclus1 to 1e-15 relative and its logistic GLM on the GSS file to 4e-10
(estimates) and 2e-7 (SEs, against R's glm at its default convergence), and it is about twice as
fast as ours on that model (bench/bench_survey.py). We did not take it: it brings polars,
pyarrow, msgspec and two compiled extensions (svy-rs, svy-io), releases weekly, names designs and
options its own way (``pop_size=``, ``singleton=``), uses t intervals where R uses normal ones,
and has no proportional-odds model. ``samplics`` is retired.

Measured agreement with R ``survey`` 4.1.1 (tests/reference/survey.R, tests/test_survey_design.py):
means, totals, proportions, by-group estimates and their design effects within 3e-13 relative;
svyglm coefficients, SEs, t, p, CIs and deff within 1e-8 (gaussian within 3e-11); Rao-Scott F,
its degrees of freedom and p within 6e-14; on apistrat, apiclus1, apiclus2 (two stages with
fpc), a design with a one-PSU stratum under each lonely-PSU option, the 51,020-row GSS file
with its weight (unstratified, and stratified by year) and the GSS panels (respondents as PSUs
nested in panels, panel weight); svyolr within 1e-7 (R's BFGS optimum and
finite-difference Hessian, both tightened in the fixture script).

Replicate weights (``survey_design(..., replicate_weights=[...], replicate_type=...)``, R's
``svrepdesign`` with combined weights; ``_replicates.py``): each estimate is recomputed with every
replicate weight (the models refitted from the full-sample estimates) and the variance is
``scale sum_r rscales_r (theta_r - centre)^2``, as ``survey:::svrVar``. Measured agreement with R
``survey`` 4.1.1 (tests/reference/survey_replicates.R, tests/test_survey_replicates.py) on JK1,
bootstrap (apiclus1), JKn, BRR and Fay (apistrat with a constructed two-PSU-per-stratum design)
replicate weights made by ``as.svrepdesign``, with ``mse`` false and true, and the default scales of
the other types: scale and degf exact; means, totals, proportions, by-group estimates, their design
effects and CIs within 2e-13 relative; svyglm gaussian within 1e-12 and quasibinomial within 2e-10
(R's replicate fits at epsilon 1e-15); Rao-Scott tests within 5e-14; svyolr within 8e-7 of R's
computation with every polr fit tightened (R's own svyolr within 8e-5: its replicate fits stop at
optim's default tolerance).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import patsy
from scipy import stats

from analysis._checks import _as_list, _check_level, _check_one_of, _require_columns
from analysis.apa import HtmlBlock, apa_table, format_ci, format_p, format_stat, format_value
from analysis.data.design import REPLICATE_TYPES, replicate_df, replicate_scales
from analysis.exceptions import AnalysisWarning, ConvergenceWarning, DataError, ParameterError
from analysis.models._formula import _ENV, _prepare, _rhs
from analysis.models._linearization import LONELY, _Stage, logit_fit, multistage_variance, olr_fit, rao_scott
from analysis.models._replicates import replicate_means, replicate_variance

DEFF = ("srswor", "srswr")

__all__ = ["SurveyDesign", "SurveyEstimate", "SurveyCrosstab", "SurveyModelResult", "survey_design",
           "survey_mean", "survey_total", "survey_proportion", "survey_crosstab", "survey_glm",
           "survey_olr"]  # fmt: skip


# ------------------------------------------------------------------------------------------------
# the design
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SurveyDesign:
    """A complex sample: the data with its weights, strata, PSUs (clusters) and fpc, or with its
    replicate weights.

    Made by :func:`survey_design`; passed as the first argument of every ``survey_*`` function.

    Attributes
    ----------
    data : pandas.DataFrame
        The data as passed (not modified, not copied).
    weights : numpy.ndarray
        Sampling weight of each row (from `weight`, else from the fpc, else 1).
    weight, strata, fpc : str or None
        The role columns as passed (`fpc` may be a list, one column per stage).
    psu : list of str
        PSU (cluster) columns, one per stage; empty when each row is its own PSU.
    lonely_psu : str
        What a stratum with a single PSU does (R's ``survey.lonely.psu``).
    info : pandas.DataFrame
        One row: ``n`` (rows), ``n_strata``, ``n_psu``, ``df`` (PSUs - strata, R's ``degf``),
        ``sum_weights``, ``n_lonely`` (strata with one PSU at the first stage). A replicate-weight
        design: ``n``, ``n_replicates``, ``df`` (rank of the replicate weights - 1, R's ``degf``),
        ``sum_weights``, ``scale``.
    replicate_weights : list of str
        The replicate-weight columns (empty for a linearisation design).
    replicate_type, scale, rscales, rho, mse
        A replicate-weight design's type and variance rules, as used (the type's defaults filled
        in; ``rscales`` one per replicate); None (``mse`` False) for a linearisation design.
    replicates : numpy.ndarray or None
        The replicate weights (rows x replicates).

    See Also
    --------
    survey_design
    """

    data: pd.DataFrame = field(repr=False)
    weights: np.ndarray = field(repr=False)
    weight: str | None
    strata: str | None
    psu: list
    fpc: list
    lonely_psu: str
    stages: list = field(repr=False)
    info: pd.DataFrame = field(repr=False)
    replicate_weights: list = field(default_factory=list, repr=False)
    replicate_type: str | None = None
    scale: float | None = None
    rscales: np.ndarray | None = field(default=None, repr=False)
    rho: float | None = None
    mse: bool = False
    replicates: np.ndarray | None = field(default=None, repr=False)

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs minus strata, or the rank of the replicate weights minus 1
        (R's ``degf``)."""
        return int(self.info["df"].iloc[0])

    @property
    def is_replicate(self) -> bool:
        """True for a replicate-weight design (variance from the replicates, not linearisation)."""
        return self.replicates is not None

    def _variance(self, z: np.ndarray, keep: np.ndarray) -> np.ndarray:
        return multistage_variance(z, self.stages, self.lonely_psu, keep)

    def _rep_variance(self, thetas: np.ndarray, coef: np.ndarray) -> np.ndarray:
        return replicate_variance(thetas, coef, self.scale, self.rscales, self.mse)

    def _df(self, keep: np.ndarray) -> int:
        if self.is_replicate:  # R: degf of the design, before rows with missing values are left out
            return self.df
        st = self.stages[0]
        return int(len(pd.unique(st.psu[keep])) - len(pd.unique(st.strata[keep])))

    def _units(self, keep: np.ndarray) -> dict:
        """The design's units among the rows used, for a model's ``fit`` table."""
        if self.is_replicate:
            return {"n_replicates": int(self.replicates.shape[1])}
        return {"n_psu": len(pd.unique(self.stages[0].psu[keep])),
                "n_strata": len(pd.unique(self.stages[0].strata[keep]))}  # fmt: skip

    def _se_method(self) -> str:
        if not self.is_replicate:
            return "Taylor-linearisation standard error"
        centre = "the full-sample estimate" if self.mse else "the replicates' mean"
        return (f"replicate-weight standard error ({self.replicate_type}, {self.replicates.shape[1]} replicates, "
                f"deviations from {centre})")  # fmt: skip

    def _describe(self) -> str:
        f = self.info.iloc[0]
        parts = [f"{int(f['n']):,} rows"]
        if self.is_replicate:
            reps = self.replicate_weights
            shown = ", ".join(reps) if len(reps) <= 4 else f"{reps[0]} ... {reps[-1]}"
            rho = f", rho = {self.rho:g}" if self.replicate_type == "Fay" else ""
            return "; ".join([*parts, f"weights {self.weight}",
                              f"{len(reps)} {self.replicate_type} replicate weights ({shown}{rho})"])  # fmt: skip
        if self.strata:
            parts.append(f"{int(f['n_strata']):,} strata ({self.strata})")
        if self.psu:
            parts.append(f"{int(f['n_psu']):,} PSUs ({' > '.join(self.psu)})")
        parts.append(f"weights {self.weight}" if self.weight else "no weight column")
        if self.fpc:
            parts.append(f"fpc {', '.join(self.fpc)}")
        return "; ".join(parts)


def _codes(values: pd.Series) -> np.ndarray:
    return pd.factorize(values, sort=True)[0].astype(np.int64)


def survey_design(data: pd.DataFrame, *, weight: str | None = None, strata: str | None = None,
                  psu: str | list[str] | None = None, fpc: str | list[str] | None = None, nest: bool = False,
                  lonely_psu: str = "fail", replicate_weights: list[str] | None = None,
                  replicate_type: str | None = None, scale: float | None = None,
                  rscales: float | list[float] | None = None, rho: float | None = None,
                  mse: bool = False) -> SurveyDesign:  # fmt: skip
    """Describe a complex sample: weights, strata, clusters (PSUs, one or more stages) and fpc, or
    weights and replicate weights.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per sampled unit. Not modified.
    weight : str, optional
        Sampling (probability) weight column: positive and finite. Default: the product of the
        stages' population / sample sizes when `fpc` is given, else 1 for every row.
    strata : str, optional
        Stratum column (first stage). Default: one stratum.
    psu : str or list of str, optional
        Cluster (PSU) column, or one column per stage (``["dnum", "snum"]``: districts, then
        schools within districts). Default: each row is its own PSU.
    fpc : str or list of str, optional
        Finite population correction, one column per stage: the population number of PSUs in
        the stratum (values >= 1) or the sampling fraction (values <= 1), as R's ``fpc=``.
    nest : bool, optional
        True: PSU ids are unique only within strata (they are combined with the stratum), as
        ``nest=TRUE``. False (default): a PSU in two strata is an error.
    lonely_psu : {"fail", "remove", "adjust", "certainty", "average"}, optional
        A stratum with a single PSU, as R's ``options(survey.lonely.psu)``: "fail" (default) raises;
        "remove" and "certainty" give it no variance; "adjust" centres it at the grand mean;
        "average" gives it the average variance of the other strata.
    replicate_weights : list of str, optional
        Replicate-weight columns (R's ``svrepdesign(repweights =)``): full replicate weights, the
        sampling weight times each replicate's factor (0 for a PSU a jackknife replicate drops),
        as public-use files release them. With them `weight` is required and `strata`, `psu`,
        `fpc`, `nest` and `lonely_psu` are not used (the replicates stand for the design).
    replicate_type : {"JK1", "JKn", "BRR", "Fay", "bootstrap", "successive-difference", "ACS", "JK2", "other"}
        How the replicates were made (R's ``type =``; required with `replicate_weights`); it sets
        the default `scale`: JK1 (R - 1) / R, bootstrap 1 / (R - 1), BRR 1 / R, Fay
        1 / (R (1 - rho)^2), successive-difference (= ACS) 4 / R, JK2 and other 1.
    scale : float, optional
        Multiplier of the replicate variance, for JK1, JKn, bootstrap and other (BRR, Fay,
        successive-difference and JK2 fix it). Give it as the data's documentation says (a JK1
        design with an fpc: (N - n) / N (n - 1) / n).
    rscales : float or list of float, optional
        One multiplier per replicate (or one for all; default 1); required for JKn:
        (n_h - 1) / n_h of the stratum whose PSU the replicate drops (times 1 - n_h / N_h with
        an fpc).
    rho : float, optional
        Fay's factor, 0 <= rho < 1 (required for, and only for, ``replicate_type="Fay"``).
    mse : bool, optional
        False (default, R's ``mse = FALSE``): the replicates' deviations from their mean; True:
        from the full-sample estimate (``mse = TRUE``, as many producers' documentation
        prescribes).

    Returns
    -------
    SurveyDesign
        The design; ``.info`` has ``n``, ``n_strata``, ``n_psu``, ``df``, ``sum_weights``,
        ``n_lonely`` (replicate weights: ``n``, ``n_replicates``, ``df``, ``sum_weights``,
        ``scale``).

    Raises
    ------
    DataError
        A role column that is absent or missing, a weight that is not positive and finite
        (naming the row and value), a PSU in two strata without ``nest=True``, an fpc smaller
        than the sample, or (with ``lonely_psu="fail"``) a stratum with one PSU; a replicate
        weight that is missing, negative or not finite (naming the column, row and value), or
        a replicate-weight column that is zero in every row.
    ParameterError
        An unknown `lonely_psu`, or `fpc` with a different number of stages than `psu`;
        replicate weights without `weight` or `replicate_type`, or with `strata`, `psu`, `fpc`,
        `nest` or `lonely_psu`; replicate options without replicate weights; a `scale`,
        `rscales` or `rho` that does not fit the type (as ``svrepdesign``'s rules).

    Warns
    -----
    AnalysisWarning
        Replicate weights that look like replicate factors (mean below 5, the weight's mean more
        than 5 times theirs: R's ``svrepdesign`` check); multiply them by the weight.

    See Also
    --------
    survey_mean, survey_glm

    Notes
    -----
    Matches ``survey::svydesign(ids =, strata =, weights =, fpc =, nest =)`` (design-based,
    with-replacement approximation at the first stage unless an fpc is given; the second stage
    counts only with an fpc, as ``svydesign``). ``df`` is R's ``degf``: PSUs minus strata.

    With `replicate_weights`, matches ``svrepdesign(repweights =, weights =, type =, scale =,
    rscales =, rho =, mse =, combined.weights = TRUE)``: every estimate is computed with the
    weight and again with each replicate weight, and ``V = scale sum_r rscales_r (theta_r -
    c)^2`` (``c`` the replicates' mean, or the estimate with ``mse=True``). ``df`` is the rank
    of the replicate weights minus 1 (R's ``degf``).

    References
    ----------
    Lumley, T. (2004). Analysis of complex survey samples. *Journal of Statistical Software,
    9*(8), 1-19. https://doi.org/10.18637/jss.v009.i08

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import survey_design
    >>> data = pd.DataFrame({"st": [1, 1, 1, 2, 2, 2], "w": [2.0, 2, 2, 3, 3, 3],
    ...                      "y": [1.0, 2, 3, 4, 5, 7]})
    >>> design = survey_design(data, weight="w", strata="st")
    >>> design.info[["n", "n_strata", "n_psu", "df"]].to_dict("records")
    [{'n': 6, 'n_strata': 2, 'n_psu': 6, 'df': 4}]

    Replicate weights (here jackknife: each replicate drops one of three PSUs):

    >>> data = data.assign(r1=[0.0, 0, 3, 4.5, 4.5, 4.5], r2=[3.0, 3, 0, 4.5, 4.5, 4.5],
    ...                    r3=[2.0, 2, 2, 6, 6, 0])
    >>> design = survey_design(data, weight="w", replicate_weights=["r1", "r2", "r3"], replicate_type="JK1")
    >>> design.info[["n", "n_replicates", "df", "scale"]].round(4).to_dict("records")
    [{'n': 6, 'n_replicates': 3, 'df': 2, 'scale': 0.6667}]
    """
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"`data` must be a pandas DataFrame, but {type(data).__name__} was passed.")
    _check_one_of("lonely_psu", lonely_psu, LONELY)
    reps = _as_list(replicate_weights)
    if reps:
        linear = [k for k, v in (("strata", strata), ("psu", psu), ("fpc", fpc)) if v is not None]
        linear += (["nest"] if nest else []) + (["lonely_psu"] if lonely_psu != "fail" else [])
        if linear:
            raise ParameterError(f"`{linear[0]}` is not used with replicate_weights: the replicate weights stand for "
                                 "the strata and PSUs. Pass either replicate weights or strata/psu/fpc (Taylor "
                                 "linearisation).")  # fmt: skip
        return _replicate_design(data, weight, reps, replicate_type, scale, rscales, rho, mse)
    given = [k for k, v in (("replicate_type", replicate_type), ("scale", scale), ("rscales", rscales),
                            ("rho", rho)) if v is not None] + (["mse"] if mse else [])  # fmt: skip
    if given:
        raise ParameterError(f"`{given[0]}` is an option of replicate weights; pass replicate_weights=[...] as well, "
                             "or leave it out.")  # fmt: skip
    psus, fpcs = _as_list(psu), _as_list(fpc)
    _require_columns(data, [c for c in [weight, strata, *psus, *fpcs] if c is not None])
    if fpcs and len(fpcs) != max(len(psus), 1):
        raise ParameterError(f"`fpc` names {len(fpcs)} column(s) but the design has {max(len(psus), 1)} "
                             "stage(s) (`psu`); give one fpc column per stage.")  # fmt: skip
    for c in [strata, *psus, *fpcs]:
        if c is not None and data[c].isna().any():
            row = data.index[data[c].isna().to_numpy()][0]
            raise DataError(f"Column {c!r} (a design variable) is missing in row {row!r}; every row needs "
                            "its stratum, PSU and fpc. Fill it or drop the row before survey_design.")  # fmt: skip
    n = len(data)
    if n < 2:
        raise DataError(f"A survey design needs at least 2 rows; data has {n}.")
    st1 = _codes(data[strata]) if strata else np.zeros(n, np.int64)
    ids = [_codes(data[c]) for c in psus] or [np.arange(n)]
    if nest and strata:
        ids[0] = _codes(pd.Series(st1).astype(str) + "\x1f" + pd.Series(ids[0]).astype(str))
    for i in range(1, len(ids)):  # later-stage ids are unique within the earlier stage's PSU
        ids[i] = _codes(pd.Series(ids[i - 1]).astype(str) + "\x1f" + pd.Series(ids[i]).astype(str))
    if strata and not nest:
        per = pd.Series(st1).groupby(ids[0]).nunique()
        if (per > 1).any():
            bad = psus[0] if psus else "row"
            value = data[psus[0]].iloc[int(np.flatnonzero(ids[0] == per.index[per > 1][0])[0])] if psus else ""
            raise DataError(f"PSU {value!r} of column {bad!r} is in more than one stratum of {strata!r}; a "
                            "PSU must be nested in its stratum. If PSU ids restart within each stratum, "
                            "pass nest=True.")  # fmt: skip
    stage_strata = [st1] + [ids[i - 1] for i in range(1, len(ids))]
    stages, sizes = [], []
    for i, (s, p) in enumerate(zip(stage_strata, ids, strict=True)):
        n_psu = pd.Series(p).groupby(s).transform("nunique").to_numpy()
        pop = None
        if fpcs:
            raw = pd.to_numeric(data[fpcs[i]], errors="coerce").to_numpy(dtype=float)
            if np.isnan(raw).any() or (raw <= 0).any():
                row = data.index[np.flatnonzero(np.isnan(raw) | (raw <= 0))[0]]
                raise DataError(f"Column {fpcs[i]!r} (fpc) must be positive numbers; row {row!r} is not.")
            pop = raw if (raw > 1).any() else n_psu / raw
            if (pop < n_psu - 1e-9).any():
                j = int(np.flatnonzero(pop < n_psu - 1e-9)[0])
                raise DataError(f"Column {fpcs[i]!r} (fpc) implies a population of {pop[j]:g} PSUs in row "
                                f"{data.index[j]!r}, fewer than the {int(n_psu[j])} sampled: give population "
                                "sizes (>= sample) or sampling fractions (<= 1).")  # fmt: skip
        stages.append(_Stage(s, p, n_psu, pop))
        sizes.append(None if pop is None else pop / n_psu)
    if not fpcs or len(stages) == 1:
        stages = stages[:1]
    if weight is not None:
        w = _weight_values(data, weight)
    elif fpcs:
        w = np.prod(np.vstack(sizes), axis=0)
    else:
        w = np.ones(n)
    if len(pd.unique(ids[0])) == 1 and not (nest and strata):
        raise DataError("The design has only one PSU; a variance cannot be estimated. Check `psu`.")
    s0, p0 = stages[0].strata, stages[0].psu
    n_lonely = int((pd.Series(p0).groupby(s0).nunique() == 1).sum())
    # strata with a single PSU: checked per stage (a certainty stratum, fpc = sample, is not lonely)
    if lonely_psu == "fail":
        for i, st in enumerate(stages):
            one = st.n_psu == 1
            if st.popsize is not None:
                one &= st.popsize > st.n_psu
            if one.any():
                j = int(np.flatnonzero(one)[0])
                where = f"stratum {data[strata].iloc[j]!r} of {strata!r}" if (i == 0 and strata) else \
                    f"stage {i + 1} of the design (row {data.index[j]!r})"  # fmt: skip
                raise DataError(f"The {where} has a single PSU, so its variance cannot be estimated. Choose "
                                "how to treat it with lonely_psu='remove', 'adjust', 'certainty' or 'average' "
                                "(as R's options(survey.lonely.psu)).")  # fmt: skip
    info = pd.DataFrame([{"n": n, "n_strata": len(pd.unique(s0)), "n_psu": len(pd.unique(p0)),
                          "df": int(len(pd.unique(p0)) - len(pd.unique(s0))), "sum_weights": float(w.sum()),
                          "n_lonely": n_lonely}])  # fmt: skip
    return SurveyDesign(data, w, weight, strata, psus, fpcs, lonely_psu, stages, info)


def _weight_values(data: pd.DataFrame, weight: str) -> np.ndarray:
    w = pd.to_numeric(data[weight], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise DataError(f"Column {weight!r} (weight) must be positive and finite, but row {data.index[j]!r} "
                        f"has {data[weight].iloc[j]!r} ({int(bad.sum()):,} such rows). Drop those rows or "
                        "fix the weight (a zero-weight row is not part of the sample).")  # fmt: skip
    return w


def _replicate_design(data, weight, reps, replicate_type, scale, rscales, rho, mse) -> SurveyDesign:
    """`survey_design` with replicate weights (R's ``svrepdesign``, combined weights)."""
    if weight is None:
        raise ParameterError("Replicate weights need the full-sample weight: pass weight='column' (the weight the "
                             "replicate weights were made from).")  # fmt: skip
    if replicate_type is None:
        raise ParameterError(f"Replicate weights need replicate_type=, one of {', '.join(map(repr, REPLICATE_TYPES))} "
                             "(how they were made; the data's documentation says which).")  # fmt: skip
    if not isinstance(mse, bool | np.bool_):
        raise ParameterError(f"`mse` must be True or False, but {mse!r} was passed.")
    if len(set(reps)) != len(reps) or weight in reps:
        twice = next(c for c in [weight, *reps] if [weight, *reps].count(c) > 1)
        raise ParameterError(f"Column {twice!r} is named twice among the weight and the replicate weights.")
    _require_columns(data, [weight, *reps])
    used_scale, used_rscales = replicate_scales(replicate_type, len(reps), scale=scale, rscales=rscales, rho=rho)
    n = len(data)
    if n < 2:
        raise DataError(f"A survey design needs at least 2 rows; data has {n}.")
    w = _weight_values(data, weight)
    W = np.empty((n, len(reps)))
    for j, c in enumerate(reps):
        col = pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(col) | (col < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"Column {c!r} (replicate weight) must be a finite number >= 0, but row "
                            f"{data.index[i]!r} has {data[c].iloc[i]!r} ({int(bad.sum()):,} such rows). Fix it "
                            "or drop the row.")  # fmt: skip
        if not (col > 0).any():
            raise DataError(f"Column {c!r} (replicate weight) is 0 in every row; it is not a replicate weight.")
        W[:, j] = col
    rep_mean, w_mean = float(W.mean()), float(w.mean())
    if rep_mean < 5 and w_mean / rep_mean > 5:
        warnings.warn(f"The replicate weights ({reps[0]}, ...) average {rep_mean:.3g} while the weight {weight!r} "
                      f"averages {w_mean:.3g}: they look like replicate factors, not full replicate weights. "
                      f"If so, multiply each by the weight (data[r] * data[{weight!r}]) before survey_design.",
                      AnalysisWarning, stacklevel=3)  # fmt: skip
    df = replicate_df(W)
    info = pd.DataFrame([{"n": n, "n_replicates": len(reps), "df": df, "sum_weights": float(w.sum()),
                          "scale": used_scale}])  # fmt: skip
    return SurveyDesign(data, w, weight, None, [], [], "fail", [], info, list(reps), replicate_type, used_scale,
                        used_rscales, rho, bool(mse), W)  # fmt: skip


def _check_design(design) -> None:
    if not isinstance(design, SurveyDesign):
        raise ParameterError(f"`design` must be a SurveyDesign from survey_design(data, weight=..., ...), but "
                             f"{type(design).__name__} was passed.")  # fmt: skip


# ------------------------------------------------------------------------------------------------
# means, totals, proportions
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyEstimate:
    """Design-based means, totals or proportions (optionally by group), with SEs and deff.

    Attributes
    ----------
    statistic : str
        ``"mean"``, ``"total"`` or ``"proportion"``.
    coefficients : pandas.DataFrame
        One row per variable (and level, and group): see the function's Returns.
    ci : float
        Confidence level of the intervals.
    design : str
        The design in words (rows, strata, PSUs, weight; or the replicate weights).
    se_method : str
        How the SEs were computed (Taylor linearisation, or the replicate weights' type).

    See Also
    --------
    survey_mean, survey_total, survey_proportion
    """

    statistic: str
    coefficients: pd.DataFrame
    ci: float
    design: str
    se_method: str = "Taylor-linearisation standard error"

    def table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The estimates as an APA table; the note names the design and the SE method."""
        shown = self.coefficients.copy()
        shown.attrs.update(ci=self.ci)
        note = (f"Design: {self.design}. SE = {self.se_method}; deff = design effect "
                f"(variance over that of a simple random sample of the same size). CI = {100 * self.ci:g}% "
                "confidence interval.")  # fmt: skip
        return apa_table(shown, title=title or f"Design-based {self.statistic}s", number=number, note=note)

    def sentence(self, row: int = 0) -> str:
        """An APA sentence for one row of ``coefficients`` (default the first)."""
        r = self.coefficients.iloc[row]
        what = r["variable"] + (f" = {r['level']}" if "level" in r and r["level"] != "" else "")
        by = self.coefficients.columns[0]
        group = f" where {by} = {r[by]}" if by != "variable" else ""
        sym = {"mean": "M", "total": "total", "proportion": "p"}[self.statistic]
        est = format_value(r["estimate"], bounded=self.statistic == "proportion")
        return (f"The design-based {self.statistic} of {what}{group} was {sym} = {est}, "
                f"{format_stat('SE', r['se'], bounded=self.statistic == 'proportion')}, "
                f"{format_ci(r['ci_low'], r['ci_high'], level=self.ci, bounded=self.statistic == 'proportion')}"
                f" (design effect {format_value(r['deff'])}; n = {int(r['n']):,}).")  # fmt: skip


def _indicators(values: pd.Series) -> tuple[np.ndarray, list]:
    if isinstance(values.dtype, pd.CategoricalDtype):
        levels = list(values.cat.categories)
    else:
        levels = sorted(values.dropna().unique(), key=lambda v: (str(type(v)), v))
    mat = np.column_stack([(values == lev).to_numpy(dtype=float) for lev in levels])
    return mat, levels


def _estimate(design: SurveyDesign, statistic: str, y, by, ci: float, deff_type: str) -> SurveyEstimate:
    _check_design(design)
    _check_one_of("deff", deff_type, DEFF)
    _check_level("ci", ci)
    ys = _as_list(y)
    if not ys:
        raise ParameterError("`y` must name at least one column.")
    bys = _as_list(by)
    if len(bys) > 1:
        raise ParameterError(f"`by` takes one column, but {bys!r} was passed.")
    data = design.data
    _require_columns(data, ys + bys)
    groups = [(None, np.ones(len(data), bool))]
    if bys:
        g = data[bys[0]]
        levels = list(g.cat.categories) if isinstance(g.dtype, pd.CategoricalDtype) else sorted(g.dropna().unique())
        groups = [(lev, (g == lev).to_numpy()) for lev in levels]
    q = stats.norm.ppf((1 + ci) / 2)
    rows = []
    for var in ys:
        col = data[var]
        categorical = statistic == "proportion" or not pd.api.types.is_numeric_dtype(col) or \
            pd.api.types.is_bool_dtype(col)  # fmt: skip
        if categorical:
            x, levels = _indicators(col)
        else:
            if col.isna().all():
                raise DataError(f"Column {var!r} has no non-missing values.")
            x, levels = col.to_numpy(dtype=float)[:, None], [""]
        ok = col.notna().to_numpy()
        x = np.where(ok[:, None], x, 0.0)
        for lev_g, member in groups:
            keep = ok & member
            w = np.where(keep, design.weights, 0.0)
            nobs, psum = int(keep.sum()), float(w.sum())
            if nobs == 0:
                est = se = deff = np.full(len(levels), np.nan)
            else:
                mu = (w[:, None] * x).sum(0) / psum
                dev = np.where(keep[:, None], x - mu, 0.0)
                s2 = (w[:, None] * dev**2).sum(0) / psum * nobs / max(nobs - 1, 1)
                if nobs == 1:
                    s2 = np.full(len(levels), np.nan)
                if design.is_replicate:  # each replicate's estimate: R's svymean/svytotal.svyrep.design
                    totals, means = replicate_means(design.replicates * keep[:, None], x)
                if statistic == "total":
                    est = (w[:, None] * x).sum(0)
                    v = np.diag(design._rep_variance(totals, est) if design.is_replicate else
                                design._variance(w[:, None] * x, keep))  # fmt: skip
                    vsrs = s2 * psum**2 * ((psum - nobs) / (psum * nobs) if deff_type == "srswor" else 1 / nobs)
                else:
                    est = mu
                    v = np.diag(design._rep_variance(means, est) if design.is_replicate else
                                design._variance(w[:, None] * dev / psum, keep))  # fmt: skip
                    vsrs = s2 * ((psum - nobs) / (psum * nobs) if deff_type == "srswor" else 1 / nobs)
                se = np.sqrt(v)
                with np.errstate(divide="ignore", invalid="ignore"):
                    deff = np.where((psum < nobs) & (deff_type == "srswor"), np.nan, v / vsrs)
            for k, lev in enumerate(levels):
                row = {} if lev_g is None else {bys[0]: lev_g}
                row |= {"variable": var}
                if categorical:
                    row["level"] = lev
                row |= {"estimate": est[k], "se": se[k], "deff": deff[k], "ci_low": est[k] - q * se[k],
                        "ci_high": est[k] + q * se[k], "n": nobs}  # fmt: skip
                rows.append(row)
    out = pd.DataFrame(rows)
    if "level" in out:
        out["level"] = out["level"].fillna("")
    return SurveyEstimate(statistic, out, ci, design._describe(), design._se_method())


def survey_mean(design: SurveyDesign, *, y: str | list[str], by: str | None = None, ci: float = 0.95,
                deff: str = "srswor") -> SurveyEstimate:  # fmt: skip
    """Design-based mean of one or more columns, optionally by group (``svymean``, ``svyby``).

    Parameters
    ----------
    design : SurveyDesign
        From :func:`survey_design`.
    y : str or list of str
        Columns; a non-numeric column gives the proportion of each of its levels.
    by : str, optional
        Group column: one estimate per group (a domain: every PSU of the design still counts).
    ci : float, optional
        Confidence level (default 0.95).
    deff : {"srswor", "srswr"}, optional
        Design effect against simple random sampling without replacement of n from the sum of
        the weights (default; R's ``deff = TRUE``) or with replacement (R's ``deff =
        "replace"``). Use "srswr" when the weights are scaled to the sample size (the GSS
        ``wtssall``): then the sum of weights is no population size and "srswor" is undefined
        (NaN) or meaningless.

    Returns
    -------
    SurveyEstimate
        ``.coefficients``: one row per variable (per level for a categorical one; per group
        first with `by`): the `by` column, ``variable``, ``level`` (categorical only),
        ``estimate``, ``se`` (linearisation or replicates), ``deff`` (design effect: the variance over that of
        a simple random sample without replacement of the same size, R's ``deff = TRUE``),
        ``ci_low``, ``ci_high`` (normal quantiles, as ``confint``), ``n`` (rows used).

    Raises
    ------
    DataError
        An unknown or all-missing column.
    ParameterError
        A `design` that is not a SurveyDesign, or a bad `ci`.

    See Also
    --------
    survey_total, survey_proportion

    Notes
    -----
    Ratio estimator ``sum w y / sum w`` with influence values ``w (y - mean) / sum w``; the
    variance is the design's linearisation variance of their totals. Missing values are left
    out as a domain (R's ``na.rm = TRUE``). Matches ``svymean(~y, design, deff = TRUE,
    na.rm = TRUE)`` and ``svyby(~y, ~by, design, svymean, deff = TRUE)``. With replicate
    weights the variance is that of the replicates' means (``svymean.svyrep.design``); a
    replicate in which a group has no row is left out with a warning, as R does.

    References
    ----------
    Lumley, T. (2010). *Complex surveys: A guide to analysis using R*. Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import survey_design, survey_mean
    >>> data = pd.DataFrame({"st": [1, 1, 1, 2, 2, 2], "w": [2.0, 2, 2, 3, 3, 3],
    ...                      "y": [1.0, 2, 3, 4, 5, 7]})
    >>> res = survey_mean(survey_design(data, weight="w", strata="st"), y="y")
    >>> res.coefficients[["variable", "estimate", "se"]].round(4).to_dict("records")
    [{'variable': 'y', 'estimate': 4.0, 'se': 0.5774}]
    """
    return _estimate(design, "mean", y, by, ci, deff)


def survey_total(design: SurveyDesign, *, y: str | list[str], by: str | None = None, ci: float = 0.95,
                 deff: str = "srswor") -> SurveyEstimate:  # fmt: skip
    """Design-based population total of one or more columns, optionally by group (``svytotal``).

    Parameters
    ----------
    design : SurveyDesign
        From :func:`survey_design`.
    y : str or list of str
        Columns; a non-numeric column gives the estimated count of each level.
    by : str, optional
        Group column: one estimate per group.
    ci : float, optional
        Confidence level (default 0.95).
    deff : {"srswor", "srswr"}, optional
        Design effect against simple random sampling without replacement of n from the sum of
        the weights (default; R's ``deff = TRUE``) or with replacement (R's ``deff =
        "replace"``). Use "srswr" when the weights are scaled to the sample size (the GSS
        ``wtssall``): then the sum of weights is no population size and "srswor" is undefined
        (NaN) or meaningless.

    Returns
    -------
    SurveyEstimate
        ``.coefficients``: one row per variable (per level for a categorical one; per group
        first with `by`): the `by` column, ``variable``, ``level`` (categorical only),
        ``estimate``, ``se`` (linearisation or replicates), ``deff`` (design effect: the variance over that of
        a simple random sample without replacement of the same size, R's ``deff = TRUE``),
        ``ci_low``, ``ci_high`` (normal quantiles, as ``confint``), ``n`` (rows used).

    Raises
    ------
    DataError
        An unknown or all-missing column.
    ParameterError
        A `design` that is not a SurveyDesign, or a bad `ci`.

    See Also
    --------
    survey_mean

    Notes
    -----
    Horvitz-Thompson total ``sum w y``; influence values ``w y`` (with replicate weights: the
    variance of the replicates' totals). The design effect compares with ``N^2 s^2 (N - n) /
    (N n)`` (R's ``svytotal(deff = TRUE)``). Missing values are a domain, as ``na.rm = TRUE``.

    References
    ----------
    Lumley, T. (2010). *Complex surveys: A guide to analysis using R*. Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import survey_design, survey_total
    >>> data = pd.DataFrame({"st": [1, 1, 1, 2, 2, 2], "w": [2.0, 2, 2, 3, 3, 3],
    ...                      "y": [1.0, 2, 3, 4, 5, 7]})
    >>> res = survey_total(survey_design(data, weight="w", strata="st"), y="y")
    >>> float(res.coefficients["estimate"].iloc[0])
    60.0
    """
    return _estimate(design, "total", y, by, ci, deff)


def survey_proportion(design: SurveyDesign, *, y: str | list[str], by: str | None = None, ci: float = 0.95,
                      deff: str = "srswor") -> SurveyEstimate:  # fmt: skip
    """Design-based proportion of each level of a categorical column, optionally by group.

    Parameters
    ----------
    design : SurveyDesign
        From :func:`survey_design`.
    y : str or list of str
        Columns (any type; each distinct value is a level, in category or sorted order).
    by : str, optional
        Group column: proportions within each group (``svyby``).
    ci : float, optional
        Confidence level (default 0.95; Wald, as ``confint(svymean(~factor))``).
    deff : {"srswor", "srswr"}, optional
        Design effect against simple random sampling without replacement of n from the sum of
        the weights (default; R's ``deff = TRUE``) or with replacement (R's ``deff =
        "replace"``). Use "srswr" when the weights are scaled to the sample size (the GSS
        ``wtssall``): then the sum of weights is no population size and "srswor" is undefined
        (NaN) or meaningless.

    Returns
    -------
    SurveyEstimate
        ``.coefficients``: one row per variable (per level for a categorical one; per group
        first with `by`): the `by` column, ``variable``, ``level`` (categorical only),
        ``estimate``, ``se`` (linearisation or replicates), ``deff`` (design effect: the variance over that of
        a simple random sample without replacement of the same size, R's ``deff = TRUE``),
        ``ci_low``, ``ci_high`` (normal quantiles, as ``confint``), ``n`` (rows used).

    Raises
    ------
    DataError
        An unknown column.
    ParameterError
        A `design` that is not a SurveyDesign, or a bad `ci`.

    See Also
    --------
    survey_mean, survey_crosstab

    Notes
    -----
    The mean of the level's indicator, as ``svymean(~factor(y), design, deff = TRUE,
    na.rm = TRUE)``; rows with `y` missing are a domain left out.

    References
    ----------
    Lumley, T. (2010). *Complex surveys: A guide to analysis using R*. Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis import survey_design, survey_proportion
    >>> data = pd.DataFrame({"w": [1.0, 1, 2, 2], "g": ["a", "b", "b", "b"]})
    >>> res = survey_proportion(survey_design(data, weight="w"), y="g")
    >>> res.coefficients[["level", "estimate"]].round(3).to_dict("records")
    [{'level': 'a', 'estimate': 0.167}, {'level': 'b', 'estimate': 0.833}]
    """
    return _estimate(design, "proportion", y, by, ci, deff)


# ------------------------------------------------------------------------------------------------
# crosstab with the Rao-Scott tests
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyCrosstab:
    """A weighted two-way table with the Rao-Scott tests of association.

    Attributes
    ----------
    x, y : str
        Row and column variables.
    cells : pandas.DataFrame
        One row per cell: `x`, `y`, ``proportion`` (of the population), ``se``, ``deff``,
        ``weighted_n`` (sum of weights), ``n`` (rows).
    tests : pandas.DataFrame
        Two rows, ``test`` = ``"F"`` (second-order Rao-Scott F, svychisq's default) and
        ``"Chisq"`` (first-order): ``statistic``, ``df1``, ``df2``, ``p_value``, ``pearson``
        (Pearson X² of the weighted table scaled to n), ``mean_deff`` (mean generalised
        design effect).
    design : str
        The design in words.
    se_method : str
        How the SEs were computed.

    See Also
    --------
    survey_crosstab
    """

    x: str
    y: str
    cells: pd.DataFrame
    tests: pd.DataFrame
    design: str
    se_method: str = "Taylor-linearisation standard error"

    def table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The cell proportions as an APA table; the note gives the Rao-Scott F test."""
        note = f"Design: {self.design}. {self.sentence()}"
        return apa_table(self.cells, title=title or f"Weighted table of {self.x} by {self.y}", number=number,
                         note=note)  # fmt: skip

    def sentence(self) -> str:
        """An APA sentence with the Rao-Scott F test."""
        t = self.tests.iloc[0]
        return (f"The design-based (Rao-Scott) test of association between {self.x} and {self.y} gave "
                f"F({format_value(t['df1'])}, {format_value(t['df2'])}) = {format_value(t['statistic'])}, "
                f"{format_p(t['p_value'])}.")  # fmt: skip


def survey_crosstab(design: SurveyDesign, *, x: str, y: str, deff: str = "srswor") -> SurveyCrosstab:
    """Weighted two-way table with the Rao-Scott first- and second-order tests (``svychisq``).

    Parameters
    ----------
    design : SurveyDesign
        From :func:`survey_design`.
    x : str
        Row variable (categorical).
    y : str
        Column variable (categorical).
    deff : {"srswor", "srswr"}, optional
        Design effect of the cell proportions against simple random sampling without (default)
        or with replacement, as in :func:`survey_mean`.

    Returns
    -------
    SurveyCrosstab
        ``.cells``: `x`, `y`, ``proportion``, ``se``, ``deff``, ``weighted_n``, ``n``.
        ``.tests``: ``test`` (``"F"``, ``"Chisq"``), ``statistic``, ``df1``, ``df2``,
        ``p_value``, ``pearson``, ``mean_deff``.

    Raises
    ------
    DataError
        An unknown column, or a variable with fewer than two levels among complete rows.
    ParameterError
        A `design` that is not a SurveyDesign.

    See Also
    --------
    survey_proportion

    Notes
    -----
    With cell proportions ``p`` (design-based, covariance ``V``), the contrast matrix ``C`` of
    the interaction (orthogonal to the main effects) and ``Delta = (C' D⁻¹ C / n)⁻¹ C' D⁻¹ V D⁻¹ C``
    (``D = diag(p)``): F = X² / tr(Delta) on ``d0 = tr(Delta)² / tr(Delta²)`` and ``d0 · df``
    degrees of freedom (second order, ``svychisq(statistic = "F")``); first order X² / mean
    eigenvalue against chi²((r - 1)(c - 1)) (``statistic = "Chisq"``). X² is Pearson's statistic
    of the weighted table scaled to the n complete rows (R scales to all rows of the design; the
    F and both p values do not depend on it). ``df`` is the design's (PSUs - strata; with
    replicate weights the rank of the replicate weights - 1, and ``V`` the replicates' variance
    of the cell proportions, as ``svychisq.svyrep.design``).

    References
    ----------
    Rao, J. N. K., & Scott, A. J. (1984). On chi-squared tests for multiway contingency tables
    with cell proportions estimated from survey data. *The Annals of Statistics, 12*(1), 46-60.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import survey_design, survey_crosstab
    >>> rng = np.random.default_rng(3)
    >>> data = pd.DataFrame({"psu": np.repeat(np.arange(20), 10), "w": rng.uniform(1, 3, 200),
    ...                      "a": rng.choice(["yes", "no"], 200), "b": rng.choice(["x", "y", "z"], 200)})
    >>> res = survey_crosstab(survey_design(data, weight="w", psu="psu"), x="a", y="b")
    >>> list(res.tests["test"])
    ['F', 'Chisq']
    """
    _check_design(design)
    _check_one_of("deff", deff, DEFF)
    data = design.data
    _require_columns(data, [x, y])
    keep = (data[x].notna() & data[y].notna()).to_numpy()
    rx, lx = _indicators(data[x].where(keep))
    ry, ly = _indicators(data[y].where(keep))
    nr, nc = len(lx), len(ly)
    if nr < 2 or nc < 2:
        raise DataError(f"A crosstab needs two levels or more in {x!r} and {y!r} among complete rows; they have "
                        f"{nr} and {nc}.")  # fmt: skip
    # cells with the row variable varying fastest, as interaction(rows, cols) in R
    mm = np.column_stack([rx[:, i] * ry[:, j] for j in range(nc) for i in range(nr)])
    w = np.where(keep, design.weights, 0.0)
    psum, n = float(w.sum()), int(keep.sum())
    p = (w[:, None] * mm).sum(0) / psum
    dev = np.where(keep[:, None], mm - p, 0.0)
    if design.is_replicate:
        V = design._rep_variance(replicate_means(design.replicates * keep[:, None], mm)[1], p)
    else:
        V = design._variance(w[:, None] * dev / psum, keep)
    s2 = (w[:, None] * dev**2).sum(0) / psum * n / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cell_deff = np.diag(V) / (s2 * ((psum - n) / (psum * n) if deff == "srswor" else 1 / n))
    rows, cols = np.tile(np.arange(nr), nc), np.repeat(np.arange(nc), nr)
    rs = rao_scott(p, V, n, nr, nc)
    f_stat, d0, k, df = rs["x2"] / rs["trace"], rs["d0"], rs["k"], design.df
    x2, tr = rs["x2"], rs["trace"]
    tests = pd.DataFrame({"test": ["F", "Chisq"], "statistic": [f_stat, x2],
                          "df1": [d0, float(k)], "df2": [d0 * df, np.nan],
                          "p_value": [stats.f.sf(f_stat, d0, d0 * df), stats.chi2.sf(x2 / (tr / k), k)],
                          "pearson": [x2, x2], "mean_deff": [tr / k, tr / k]})  # fmt: skip
    cells = pd.DataFrame({x: [lx[i] for i in rows], y: [ly[j] for j in cols], "proportion": p,
                          "se": np.sqrt(np.diag(V)), "deff": cell_deff, "weighted_n": p * psum,
                          "n": mm[keep].sum(0).astype(int)})  # fmt: skip
    return SurveyCrosstab(x, y, cells, tests, design._describe(), design._se_method())


# ------------------------------------------------------------------------------------------------
# regression: svyglm and svyolr
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyModelResult:
    """A design-based regression (linear, logistic or proportional odds).

    Attributes
    ----------
    model : str
        ``"gaussian"``, ``"quasibinomial"`` or ``"olr"``.
    formula : str
        The formula as passed.
    outcome : str
        The left-hand side.
    coefficients : pandas.DataFrame
        One row per coefficient (see the function's Returns).
    fit : pandas.DataFrame
        One row: ``n``, ``n_excluded``, ``df`` (design df of the tests), ``n_psu``, ``n_strata``
        (replicate weights: ``n_replicates`` instead of the last two).
    excluded : pandas.DataFrame
        Rows of the data left out: ``row``, ``reason``.
    ci : float
        Confidence level of the intervals.
    design : str
        The design in words.
    se_method : str
        How the SEs were computed.

    See Also
    --------
    survey_glm, survey_olr
    """

    model: str
    formula: str
    outcome: str
    coefficients: pd.DataFrame
    fit: pd.DataFrame
    excluded: pd.DataFrame
    ci: float
    design: str
    se_method: str = "Taylor-linearisation standard error"

    def table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The coefficients as an APA table with design-based SEs and design effects."""
        names = {"gaussian": "Design-based linear regression", "quasibinomial": "Design-based logistic regression",
                 "olr": "Design-based proportional-odds regression"}  # fmt: skip
        shown = self.coefficients.copy()
        shown.attrs.update(ci=self.ci, statistic="t")
        f = self.fit.iloc[0]
        note = (f"Design: {self.design}. n = {int(f['n']):,}; {int(f['n_excluded']):,} rows excluded for missing "
                f"values. SE = {self.se_method}; deff = design effect; t tests on "
                f"{int(f['df'])} design degrees of freedom. CI = {100 * self.ci:g}% confidence interval.")  # fmt: skip
        return apa_table(shown, title=title or f"{names[self.model]} of {self.outcome}", number=number, note=note)

    def sentence(self, term: str) -> str:
        """An APA sentence for one coefficient."""
        rows = self.coefficients[self.coefficients["term"] == term]
        if rows.empty:
            raise ParameterError(f"The model has no term {term!r}; terms: "
                                 f"{', '.join(map(repr, self.coefficients['term']))}.")  # fmt: skip
        r = rows.iloc[0]
        text = (f"The coefficient of {term} on {self.outcome} was {format_stat('b', r['estimate'])}, "
                f"{format_stat('SE', r['se'])} (design effect {format_value(r['deff'])}), "
                f"t({int(r['df'])}) = {format_value(r['statistic'])}, {format_p(r['p_value'])}, "
                f"{format_ci(r['ci_low'], r['ci_high'], level=self.ci)}")  # fmt: skip
        if "odds_ratio" in r:
            text += f", {format_stat('OR', r['odds_ratio'])}"
        return text + "."


def _model_rows(design: SurveyDesign, formula: str):
    prep = _prepare(design.data, formula)
    # text columns as pandas categoricals (sorted levels, as R's factor): patsy reads their codes
    # instead of sniffing every value, which is what takes the time on a large survey file
    rows = prep.rows.copy()
    for c in rows.columns:
        if rows[c].dtype == object or pd.api.types.is_string_dtype(rows[c].dtype):
            rows[c] = pd.Categorical(rows[c], categories=sorted(rows[c].unique()))
    prep = replace(prep, rows=rows)
    X = _rhs(prep)
    keep = design.data.index.isin(prep.rows.index) if design.data.index.is_unique else None
    if keep is None:
        raise DataError("The data of the design has duplicate index labels; reset the index "
                        "(data.reset_index(drop=True)) before survey_design.")  # fmt: skip
    return prep, X, np.asarray(keep)


def _full(design: SurveyDesign, keep: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.zeros((len(design.data), values.shape[1]))
    out[keep] = values
    return out


def _coef_table(names, est, se, df, ci, deff) -> pd.DataFrame:
    tval = est / se
    q = stats.t.ppf((1 + ci) / 2, df) if df > 0 else np.nan
    return pd.DataFrame({"term": list(names), "estimate": est, "se": se, "deff": deff, "statistic": tval,
                         "df": int(df), "p_value": 2 * stats.t.sf(np.abs(tval), df) if df > 0 else np.nan,
                         "ci_low": est - q * se, "ci_high": est + q * se})  # fmt: skip


def _glm_replicates(X: np.ndarray, y: np.ndarray, W: np.ndarray, family: str, beta: np.ndarray) -> np.ndarray:
    """The coefficients refitted with each replicate weight (columns of `W`), from `beta`; a row of NaN
    for a replicate whose model cannot be fitted (left out of the variance, as R does)."""
    out = np.full((W.shape[1], X.shape[1]), np.nan)
    failed = 0
    for r in range(W.shape[1]):
        wr = W[:, r]
        try:
            if family == "gaussian":
                out[r] = np.linalg.solve(X.T @ (wr[:, None] * X), X.T @ (wr * y))
            else:
                out[r], converged = logit_fit(X, y, wr, start=beta)
                failed += not converged
        except np.linalg.LinAlgError:
            continue
    if failed:
        warnings.warn(f"The logistic model did not converge in {failed} of the {W.shape[1]} replicates (separation "
                      "in a replicate?); check the SEs.", ConvergenceWarning, stacklevel=3)  # fmt: skip
    return out


def survey_glm(design: SurveyDesign, formula: str, *, family: str = "gaussian", ci: float = 0.95) -> SurveyModelResult:
    """Linear or logistic regression with design-based standard errors (``svyglm``).

    Parameters
    ----------
    design : SurveyDesign
        From :func:`survey_design`.
    formula : str
        Patsy formula ``"y ~ x1 + x2"``; for ``family="quasibinomial"`` the outcome is 0/1,
        boolean or an expression such as ``I(sch_wide == 'Yes')``.
    family : {"gaussian", "quasibinomial"}, optional
        Linear regression (default) or logistic regression (logit link), as ``svyglm``'s
        ``gaussian()`` and ``quasibinomial()``.
    ci : float, optional
        Confidence level (default 0.95).

    Returns
    -------
    SurveyModelResult
        ``.coefficients``: ``term``, ``estimate``, ``se`` (linearisation or replicates), ``deff``
        (design effect against the weighted model-based variance, R's ``svyglm(deff = TRUE)``),
        ``statistic`` (t), ``df``, ``p_value``, ``ci_low``, ``ci_high`` (t on the design df),
        and ``odds_ratio`` for the logistic model. ``.fit``: ``n``, ``n_excluded``, ``df``,
        ``n_psu``, ``n_strata`` (``n_replicates`` with replicate weights). ``.excluded``: ``row``,
        ``reason``.

    Raises
    ------
    DataError
        Unknown columns, an outcome that is not binary (logistic), constant or collinear
        predictors.
    ParameterError
        A bad `design`, `family`, formula or `ci`.

    See Also
    --------
    survey_olr, analysis.models.regression.ols

    Notes
    -----
    Point estimates solve the weighted score equations ``sum w x (y - mu) = 0`` (weighted least
    squares; weighted IRLS for the logit); the covariance is the linearisation variance of the
    influence values ``w x (y - mu) A⁻¹`` with ``A = X' W X``. Tests and intervals use t with
    ``df = PSUs - strata + 1 - p`` (R's ``svyglm`` residual df). Rows with a missing value are
    left out as a domain (``na.action = na.omit`` on the design).

    With replicate weights (``svyglm.svyrep.design``) the model is refitted with each replicate
    weight, from the full-sample estimates, and the covariance is the replicates' variance;
    ``df = degf + 1 - p`` with degf the rank of the replicate weights - 1. The design effect
    uses the same model-based variance as with linearisation (R's replicate ``svyglm`` has no
    ``deff``).

    References
    ----------
    Binder, D. A. (1983). On the variances of asymptotically normal estimators from complex
    surveys. *International Statistical Review, 51*(3), 279-292.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import survey_design, survey_glm
    >>> rng = np.random.default_rng(2)
    >>> x = rng.normal(size=300)
    >>> data = pd.DataFrame({"psu": np.repeat(np.arange(30), 10), "w": rng.uniform(1, 4, 300), "x": x,
    ...                      "y": 1 + 0.5 * x + rng.normal(size=300)})
    >>> res = survey_glm(survey_design(data, weight="w", psu="psu"), "y ~ x")
    >>> res.coefficients[["term", "estimate"]].round(2).to_dict("records")
    [{'term': 'Intercept', 'estimate': 1.02}, {'term': 'x', 'estimate': 0.48}]
    """
    _check_design(design)
    _check_one_of("family", family, ("gaussian", "quasibinomial"))
    _check_level("ci", ci)
    prep, Xdf, keep = _model_rows(design, formula)
    X = Xdf.to_numpy(dtype=float)
    try:
        Y = patsy.dmatrix(patsy.ModelDesc([], prep.desc.lhs_termlist), prep.rows, NA_action="raise",
                          eval_env=patsy.EvalEnvironment([_ENV]), return_type="dataframe")  # fmt: skip
    except patsy.PatsyError as err:
        raise DataError(f"The outcome {prep.outcome!r} could not be computed: {err.message}") from None
    y = Y.to_numpy(dtype=float)[:, -1]
    w = design.weights[keep]
    if family == "gaussian":
        if Y.shape[1] != 1:
            raise DataError(f"The outcome {prep.outcome!r} is not numeric; convert it to numbers first.")
        A = X.T @ (w[:, None] * X)
        beta = np.linalg.solve(A, X.T @ (w * y))
        mu = X @ beta
        var_mu = np.ones_like(mu)
    else:
        if not np.isin(np.unique(y), [0.0, 1.0]).all():
            raise DataError(f"The outcome {prep.outcome!r} must be 0/1 (or two-level) for a logistic model; "
                            f"it has values {np.unique(y)[:5].tolist()}.")  # fmt: skip
        beta, converged = logit_fit(X, y, w)
        if not converged:
            warnings.warn("The logistic model did not converge in 100 Newton steps (separation?); check the "
                          "estimates.", ConvergenceWarning, stacklevel=2)  # fmt: skip
        mu = 1 / (1 + np.exp(-(X @ beta)))
        var_mu = mu * (1 - mu)
        A = X.T @ ((w * var_mu)[:, None] * X)
    Ainv = np.linalg.inv(A)
    if design.is_replicate:
        V = design._rep_variance(_glm_replicates(X, y, design.replicates[keep], family, beta), beta)
    else:
        infl = (X * (w * (y - mu))[:, None]) @ Ainv
        V = design._variance(_full(design, keep, infl), keep)
    n, p = len(y), X.shape[1]
    dispersion = np.sum(w * (y - mu) ** 2 / var_mu) / (n - p)
    deff = np.diag(V) / np.diag(dispersion * Ainv)
    df = design._df(keep) + 1 - p
    coefs = _coef_table(Xdf.columns, beta, np.sqrt(np.diag(V)), df, ci, deff)
    if family == "quasibinomial":
        coefs["odds_ratio"] = np.exp(beta)
    fit = pd.DataFrame([{"n": n, "n_excluded": len(prep.excluded), "df": df} | design._units(keep)])
    return SurveyModelResult(family, formula, prep.outcome, coefs, fit, prep.excluded, ci, design._describe(),
                             design._se_method())  # fmt: skip


def _olr_replicates(X: np.ndarray, y: np.ndarray, W: np.ndarray, q: int, theta: np.ndarray) -> np.ndarray:
    """The proportional-odds parameters refitted with each replicate weight, from `theta`."""
    out = np.full((W.shape[1], len(theta)), np.nan)
    failed = 0
    for r in range(W.shape[1]):
        try:
            est, _, _, _, converged = olr_fit(X, y, W[:, r], q, start=theta)
        except np.linalg.LinAlgError:
            continue
        out[r] = est
        failed += not converged
    if failed:
        warnings.warn(f"The proportional-odds model did not converge in {failed} of the {W.shape[1]} replicates; "
                      "check the SEs.", ConvergenceWarning, stacklevel=3)  # fmt: skip
    return out


def survey_olr(design: SurveyDesign, formula: str, *, ci: float = 0.95) -> SurveyModelResult:
    """Proportional-odds (ordinal logistic) regression with design-based SEs (``svyolr``).

    Parameters
    ----------
    design : SurveyDesign
        From :func:`survey_design`.
    formula : str
        Patsy formula; the outcome is an ordered categorical column (its category order), or
        numbers / strings (sorted order). Three levels or more.
    ci : float, optional
        Confidence level (default 0.95).

    Returns
    -------
    SurveyModelResult
        ``.coefficients``: one row per predictor (``part = "coefficient"``), then one per
        threshold (``part = "threshold"``, term ``"lower|upper"`` as ``polr``): ``term``,
        ``part``, ``estimate``, ``se``, ``deff`` (against the weighted model-based variance),
        ``statistic`` (t), ``df``, ``p_value``, ``ci_low``, ``ci_high``, ``odds_ratio``
        (predictors). ``.fit``: ``n``, ``n_excluded``, ``df``, ``n_psu``, ``n_strata``
        (``n_replicates`` with replicate weights), ``loglik`` (weighted pseudo-log-likelihood).

    Raises
    ------
    DataError
        Unknown columns, an outcome with fewer than three levels, constant or collinear
        predictors.
    ParameterError
        A bad `design`, formula or `ci`.

    See Also
    --------
    survey_glm

    Notes
    -----
    ``logit P(y <= k) = zeta_k - x'b``, weighted maximum pseudo-likelihood (Newton-Raphson with
    the analytic Hessian); the covariance is the linearisation variance of the influence values
    ``score_i H⁻¹``. The p values and intervals use t on R's ``df.residual`` (PSUs - strata -
    number of predictors); ``summary(svyolr)`` prints only t. With replicate weights the model
    is refitted with each replicate weight from the full-sample estimates and the covariance is
    the replicates' variance (``svyolr.svyrep.design``; df = degf - number of predictors).

    References
    ----------
    Lumley, T. (2010). *Complex surveys: A guide to analysis using R*. Wiley.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis import survey_design, survey_olr
    >>> rng = np.random.default_rng(4)
    >>> x = rng.normal(size=400)
    >>> latent = x + rng.logistic(size=400)
    >>> data = pd.DataFrame({"psu": np.repeat(np.arange(40), 10), "w": rng.uniform(1, 3, 400), "x": x,
    ...                      "y": np.digitize(latent, [-1, 1])})
    >>> res = survey_olr(survey_design(data, weight="w", psu="psu"), "y ~ x")
    >>> res.coefficients[["term", "part"]].to_dict("records")[:2]
    [{'term': 'x', 'part': 'coefficient'}, {'term': '0|1', 'part': 'threshold'}]
    """
    _check_design(design)
    _check_level("ci", ci)
    prep, Xdf, keep = _model_rows(design, formula)
    col = prep.outcome_column
    if col is None:
        raise DataError(f"The outcome of survey_olr must be a column, but {prep.outcome!r} was passed.")
    yv = prep.rows[col]
    if isinstance(yv.dtype, pd.CategoricalDtype):
        levels = [c for c in yv.cat.categories if (yv == c).any()]
    else:
        levels = sorted(yv.unique())
    if len(levels) < 3:
        raise DataError(f"The outcome {col!r} has {len(levels)} levels; a proportional-odds model needs 3 or "
                        "more (use survey_glm(family='quasibinomial') for two).")  # fmt: skip
    y = pd.Categorical(yv, categories=levels).codes.astype(np.int64)  # 0..K-1
    X = Xdf.drop(columns=[c for c in Xdf.columns if c == "Intercept"]).to_numpy(dtype=float)
    names = [c for c in Xdf.columns if c != "Intercept"]
    w = design.weights[keep]
    n, pc, q = len(y), X.shape[1], len(levels) - 1
    theta, score, H, ll, converged = olr_fit(X, y, w, q)
    if not converged:
        warnings.warn("The proportional-odds model did not converge in 200 Newton steps; check the estimates.",
                      ConvergenceWarning, stacklevel=2)  # fmt: skip
    Vm = np.linalg.inv(-H)
    if design.is_replicate:
        V = design._rep_variance(_olr_replicates(X, y, design.replicates[keep], q, theta), theta)
    else:
        infl = score @ Vm
        V = design._variance(_full(design, keep, infl), keep)
    df = design._df(keep) - pc
    lab = [str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in levels]
    tnames = names + [f"{lab[k]}|{lab[k + 1]}" for k in range(q)]
    deff = np.diag(V) / (np.diag(Vm) * w.mean())  # model-based variance with weights of mean 1
    coefs = _coef_table(tnames, theta, np.sqrt(np.diag(V)), df, ci, deff)
    coefs.insert(1, "part", ["coefficient"] * pc + ["threshold"] * q)
    coefs["odds_ratio"] = np.concatenate([np.exp(theta[:pc]), np.full(q, np.nan)])
    fit = pd.DataFrame([{"n": n, "n_excluded": len(prep.excluded), "df": df} | design._units(keep) | {"loglik": ll}])
    return SurveyModelResult("olr", formula, prep.outcome, coefs, fit, prep.excluded, ci, design._describe(),
                             design._se_method())  # fmt: skip
