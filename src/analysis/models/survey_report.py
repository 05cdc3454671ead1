"""The survey design in the reports: which design a report uses, and weighted beside unweighted.

A codebook may declare how its sample was drawn (roles ``weight``, ``strata``, ``psu``, ``fpc``
and a table-level ``design:`` block; `analysis.data.dataset.Dataset.design_columns`). The
reports use that design unless switched off (``use_design=False``) and say which was used:
`design_choice` reads it, `weighted_overview` sets weighted and unweighted means and proportions
side by side (the overview notebook), and `design_model` fits a regression with design-based
standard errors beside the OLS one (the regression notebook). The estimation itself is
`analysis.models.survey_design` (Taylor linearisation, checked against R's ``survey``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis._checks import _as_list
from analysis.apa import HtmlBlock, apa_paragraph, apa_table
from analysis.exceptions import ParameterError
from analysis.models.survey_design import (
    SurveyDesign,
    SurveyModelResult,
    survey_design,
    survey_glm,
    survey_mean,
    survey_olr,  # fmt: skip
    survey_proportion,
)

__all__ = ["DesignChoice", "design_choice", "WeightedOverview", "weighted_overview", "DesignModel", "design_model"]

ROLE_KEYS = ("weight", "strata", "psu", "fpc", "replicate_weights")


def _describe(columns: dict) -> str:
    """The design's columns in words: "weights wtssall; no strata or clusters"."""
    parts = [f"weights {columns['weight']}" if columns.get("weight") else "no weights"]
    reps = _as_list(columns.get("replicate_weights"))
    if reps:
        return "; ".join([*parts, f"{len(reps)} {columns.get('replicate_type')} replicate weights"])
    strata, psu = columns.get("strata"), _as_list(columns.get("psu"))
    if not strata and not psu:
        parts.append("no strata or clusters")
    else:
        parts.append(f"strata {strata}" if strata else "no strata")
        parts.append(f"clusters {' > '.join(psu)}" if psu else "no clusters")
    if columns.get("fpc"):
        parts.append(f"fpc {', '.join(_as_list(columns['fpc']))}")
    return "; ".join(parts)


@dataclass(frozen=True)
class DesignChoice:
    """The design a report uses: the codebook's, none declared, or switched off.

    Attributes
    ----------
    columns : dict
        Keyword arguments of `survey_design` (``weight``, ``strata``, ``psu``, ``fpc``, ``nest``,
        ``lonely_psu``) when the design is used, else ``{}``.
    status : str
        ``"design"`` (used), ``"none"`` (the codebook declares no design) or ``"off"`` (declared,
        switched off with ``use_design=False``).
    declared : dict
        The codebook's design columns (``{}`` when none), also when switched off.

    See Also
    --------
    design_choice : Makes it.
    """

    columns: dict
    status: str
    declared: dict

    @property
    def used(self) -> bool:
        """True when the estimates are design-based."""
        return self.status == "design"

    def label(self) -> str:
        """Short words for a table: ``"weighted (wtssall)"``, ``"weighted (w; strata st; clusters id)"``,
        ``"design-based (no weights; strata st; no clusters)"`` or ``"unweighted"``."""
        if not self.used:
            return "unweighted"
        w = self.columns.get("weight")
        more = self.columns.get("strata") or self.columns.get("psu") or self.columns.get("replicate_weights")
        if w and not more:
            return f"weighted ({w})"
        return f"weighted ({_describe(self.columns)[8:]})" if w else f"design-based ({_describe(self.columns)})"

    def sentence(self) -> str:
        """The line a report shows: which design its estimates use, and why."""
        if self.status == "design":
            method = "replicate weights" if self.columns.get("replicate_weights") else "Taylor linearisation"
            return f"Survey design used: {_describe(self.columns)} (design-based estimates, {method})."
        if self.status == "off":
            return (f"Unweighted: design switched off (use_design = False); the codebook declares "
                    f"{_describe(self.declared)}.")  # fmt: skip
        return "Unweighted: the codebook declares no design."

    def design(self, data: pd.DataFrame) -> SurveyDesign:
        """The `SurveyDesign` of `data` (rows missing a design column left out); unweighted (each row
        its own PSU, weight 1) when the design is not used."""
        need = [c for k in ROLE_KEYS for c in _as_list(self.columns.get(k))]
        rows = data.dropna(subset=need).reset_index(drop=True) if need else data.reset_index(drop=True)
        return survey_design(rows, **self.columns)


def design_choice(dataset, *, table: str | None = None, use_design: bool = True) -> DesignChoice:
    """Read the survey design a table declares and decide whether a report uses it.

    Parameters
    ----------
    dataset : Dataset
        A loaded data set (`load_dataset`); its codebook may declare ``weight``, ``strata``,
        ``psu`` and ``fpc`` roles (`Dataset.design_columns`).
    table : str, optional
        The table; default the data set's first.
    use_design : bool, default True
        False: report unweighted estimates even when a design is declared (and say so).

    Returns
    -------
    DesignChoice
        ``columns`` (keyword arguments of `survey_design`, ``{}`` when unused), ``status``
        (``"design"``, ``"none"`` or ``"off"``), ``declared``; ``.sentence()`` is the line the
        report shows.

    Examples
    --------
    >>> import tempfile
    >>> from analysis import load_dataset, write_demo_survey
    >>> from analysis.models.survey_report import design_choice
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     demo = load_dataset(write_demo_survey(tmp, n_couples=20, seed=1))
    >>> design_choice(demo).sentence()
    'Unweighted: the codebook declares no design.'
    """
    if not isinstance(use_design, bool | np.bool_):
        raise ParameterError(f"`use_design` must be True or False, but {use_design!r} was passed.")
    declared = dict(dataset.design_columns(dataset.table_name(table)) or {})
    if not declared:
        return DesignChoice({}, "none", {})
    return DesignChoice(declared, "design", declared) if use_design else DesignChoice({}, "off", declared)


@dataclass(frozen=True)
class WeightedOverview:
    """Weighted and unweighted means and proportions side by side.

    Attributes
    ----------
    estimates : pandas.DataFrame
        One row per numeric variable and per level of a categorical one: ``variable``, ``level``
        ("" for a mean), ``n``, ``unweighted`` and ``unweighted_se`` (sample mean or proportion,
        SE as a simple random sample), ``weighted``, ``weighted_se`` (design-based, Taylor
        linearisation) and ``deff`` (design effect, with-replacement, as R's ``deff = "replace"``);
        the weighted columns are missing when no design is used.
    design : str
        The design line (`DesignChoice.sentence`).
    """

    estimates: pd.DataFrame
    design: str

    def table(self, *, title: str | None = None, number: int | None = None, labels: dict | None = None) -> HtmlBlock:
        """The estimates as an APA table; the note says which design was used."""
        note = (f"{self.design} Unweighted: sample means and proportions (SE as a simple random sample); weighted: "
                "population estimates with design-based SEs; deff: design effect (variance over that of a simple "
                "random sample of the same size, with replacement).")  # fmt: skip
        return apa_table(self.estimates, title=title or "Unweighted and weighted estimates", number=number,
                         note=note, labels=labels, decimals=3)  # fmt: skip

    def sentence(self) -> str:
        """The design line and the largest weighted-minus-unweighted difference."""
        e = self.estimates.dropna(subset=["weighted"])
        if e.empty:
            return self.design
        diff = (e["weighted"] - e["unweighted"]).abs()
        r = e.loc[diff.idxmax()]
        what = r["variable"] + (f" = {r['level']}" if r["level"] else "")
        return (
            f"{self.design} The largest difference between weighted and unweighted estimates is for {what}: "
            f"{r['weighted']:.3f} weighted against {r['unweighted']:.3f} unweighted."
        )


def _side(design: SurveyDesign, columns: list, numeric: set) -> pd.DataFrame:
    parts = []
    means = [c for c in columns if c in numeric]
    props = [c for c in columns if c not in numeric]
    if means:
        parts.append(survey_mean(design, y=means, deff="srswr").coefficients.assign(level=""))
    if props:
        parts.append(survey_proportion(design, y=props, deff="srswr").coefficients)
    out = pd.concat(parts, ignore_index=True)
    return out[["variable", "level", "n", "estimate", "se", "deff"]]


def weighted_overview(data: pd.DataFrame, *, columns: list[str], design: DesignChoice | dict) -> WeightedOverview:
    """Means of numeric columns and proportions of the levels of the others, unweighted and weighted.

    Parameters
    ----------
    data : pandas.DataFrame
        The table (not modified).
    columns : list of str
        The variables: numeric ones get a mean, the others a proportion per level (the design's
        own columns are left out).
    design : DesignChoice or dict
        The design (`design_choice`), or the keyword arguments of `survey_design` (``{}``: none).

    Returns
    -------
    WeightedOverview
        ``estimates`` (``variable``, ``level``, ``n``, ``unweighted``, ``unweighted_se``,
        ``weighted``, ``weighted_se``, ``deff``) and ``design`` (the line saying which was used).

    Notes
    -----
    Rows missing a design column are left out of both sides. Each side is `survey_mean` /
    `survey_proportion` (missing values of a variable left out, as R's ``svymean(na.rm =
    TRUE)``): the unweighted one on a design with weight 1 and each row its own PSU, the
    weighted one on the declared design.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.models.survey_report import weighted_overview
    >>> data = pd.DataFrame({"age": [20.0, 30, 40, 50], "sex": ["f", "m", "f", "f"], "w": [1.0, 1, 2, 4]})
    >>> res = weighted_overview(data, columns=["age", "sex"], design={"weight": "w"})
    >>> res.estimates[["variable", "level", "unweighted", "weighted"]]
      variable level  unweighted  weighted
    0      age             35.00    41.250
    1      sex     f        0.75     0.875
    2      sex     m        0.25     0.125
    """
    choice = design if isinstance(design, DesignChoice) else DesignChoice(dict(design), "design" if design else "none",
                                                                          dict(design))  # fmt: skip
    roles = {c for k in ROLE_KEYS for c in _as_list(choice.declared.get(k))}
    cols = [c for c in dict.fromkeys(_as_list(columns)) if c not in roles]  # not the weights themselves
    if not cols:
        raise ParameterError("`columns` must name at least one column of `data`.")
    numeric = {c for c in cols if c in data and pd.api.types.is_numeric_dtype(data[c])
               and not pd.api.types.is_bool_dtype(data[c])}  # fmt: skip
    rows = choice.design(data)
    plain = _side(survey_design(rows.data), cols, numeric)
    out = plain.rename(columns={"estimate": "unweighted", "se": "unweighted_se"}).drop(columns="deff")
    if choice.used:
        w = _side(rows, cols, numeric)
        out["weighted"], out["weighted_se"], out["deff"] = w["estimate"].to_numpy(), w["se"].to_numpy(), \
            w["deff"].to_numpy()  # fmt: skip
    else:
        out["weighted"] = out["weighted_se"] = out["deff"] = np.nan
    return WeightedOverview(out, choice.sentence())


@dataclass(frozen=True)
class DesignModel:
    """A regression with design-based SEs, or the note that none was fitted.

    Attributes
    ----------
    result : SurveyModelResult or None
        The design-based model (None when no design is used).
    design : str
        The design line (`DesignChoice.sentence`).
    """

    result: SurveyModelResult | None
    design: str

    @property
    def coefficients(self) -> pd.DataFrame:
        """The coefficients (``term``, ``estimate``, ``se``, ``deff``, ...); empty without a design."""
        return self.result.coefficients if self.result else pd.DataFrame(columns=["term", "estimate", "se", "deff"])

    def table(self, *, title: str | None = None, number: int | None = None) -> HtmlBlock:
        """The design-based APA table, or a paragraph saying which estimates were used instead."""
        if self.result is None:
            return apa_paragraph(self.design + " The table above is the only estimate.")
        return self.result.table(title=title, number=number)

    def sentence(self, term: str | None = None) -> str:
        """The design line, and the APA sentence of `term` when the model was fitted."""
        if self.result is None or term is None:
            return self.design
        return f"{self.design} {self.result.sentence(term)}"


def design_model(data: pd.DataFrame, formula: str, *, design: DesignChoice, family: str = "gaussian",
                 ci: float = 0.95) -> DesignModel:  # fmt: skip
    """Fit a regression with design-based standard errors when a design is used.

    Parameters
    ----------
    data : pandas.DataFrame
        The data (rows missing a design column are left out).
    formula : str
        Patsy formula, as `survey_glm`.
    design : DesignChoice
        From `design_choice`.
    family : {"gaussian", "quasibinomial", "olr"}, optional
        Linear (``svyglm``), logistic (``svyglm(family = quasibinomial())``) or proportional-odds
        (``svyolr``) model.
    ci : float, default 0.95
        Confidence level.

    Returns
    -------
    DesignModel
        ``result`` (`SurveyModelResult`, None without a design), ``design`` (the line);
        ``.table()``, ``.sentence(term)``, ``.coefficients``.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.models.survey_report import DesignChoice, design_model
    >>> data = pd.DataFrame({"y": [1.0, 2, 4, 3, 5, 7], "x": [0.0, 1, 2, 3, 4, 5], "w": [1.0, 2, 1, 2, 1, 2]})
    >>> none = DesignChoice({}, "none", {})
    >>> design_model(data, "y ~ x", design=none).sentence("x")
    'Unweighted: the codebook declares no design.'
    >>> fit = design_model(data, "y ~ x", design=DesignChoice({"weight": "w"}, "design", {"weight": "w"}))
    >>> round(float(fit.coefficients.loc[1, "estimate"]), 4)
    1.1282
    """
    if not design.used:
        return DesignModel(None, design.sentence())
    des = design.design(data)
    res = survey_olr(des, formula, ci=ci) if family == "olr" else survey_glm(des, formula, family=family, ci=ci)
    return DesignModel(res, design.sentence())
