"""Testing claims on data sets, and the replication scorecard: state a claim once, test it on any data set.

A claim is a YAML file (``analysis/claims/claim_registry/<id>.yaml``, read by
`analysis.claims.registry`; the fields are described in ``claim_registry/SCHEMA.md``): a
statement and its source, the variables it needs (candidate column or instrument-score names
per role), the model that yields the estimate it is about, and the rule that turns the estimate
into a verdict (`analysis.claims.verdicts`):

- ``directional``: the effect has the claimed sign and is not negligible: one-sided test and
  equivalence test (TOST) against a smallest effect size of interest
  (`analysis.claims.verdicts.directional_claim`);
- ``negligible``: the effect is negligible (a "null" claim) (TOST against the SESOI);
- ``replication``: a published estimate, tested on new data: difference test, prediction
  interval, small telescopes and replication Bayes factor (`analysis.claims.verdicts.replication`);
- ``reproduction``: a published estimate on the same data, reproduced when the new estimate
  rounds to the published one (within half a unit of its last reported decimal).

A study file (`analysis.claims.study`) lists data sets (codebooks) and claims; `scorecard` tests
every claim on every data set that can speak to it ("not testable here" names what is missing)
and pools a claim tested on two or more data sets by a random-effects meta-analysis (REML,
`analysis.models.meta.random_effects`).
"""

from __future__ import annotations

import html
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.apa import HtmlBlock, apa_table, format_ci, format_stat, format_value
from analysis.claims import _claim_models
from analysis.claims._claim_data import _NotTestable, _prepare, scored_once
from analysis.claims.registry import Claim, load_claim
from analysis.claims.study import Study
from analysis.exceptions import AnalysisError

__all__ = ["ClaimTest", "short_citation", "test_claim", "Scorecard", "scorecard"]
NOT_TESTABLE = "not testable here"
COULD_NOT_TEST = "could not be tested"
NULL_VERDICTS = {"equivalent to zero (negligible)": "supported (negligible, as claimed)",
                 "supported": "not supported (a non-negligible effect)",
                 "opposite": "not supported (a non-negligible effect)", "inconclusive": "inconclusive"}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Testing one claim on one data set
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimTest:
    """One claim on one data set: the estimate, the verdict and the words for them.

    Parameters
    ----------
    claim : Claim
        The claim tested (with the run's ``seed`` and ``n_boot`` in its options).
    dataset : str
        Label of the data set.
    table : str or None
        The table used (None when no table could speak to the claim).
    estimate : Estimate or None
        The estimate the verdict is about: ``estimate``, ``se``, ``ci_low``, ``ci_high``,
        ``p_value``, ``n``, ``n_excluded``, ``scale`` (``"r"``, ``"std"``, ``"raw"`` or
        ``"alpha"``), ``label``, the model's APA ``table`` and ``sentence``; None when not
        testable or not estimable.
    verdict : str
        The verdict (``"supported"``, ``"replicated (consistent)"``, ``"reproduced"``, ...),
        ``"not testable here"`` or ``"could not be tested"`` (with the reason in ``rule``).
    rule : str
        The rule that produced the verdict, in words (or what is missing, or the error).
    sentence : str
        APA sentences stating the claim, the estimate, the tests and the verdict.
    numbers : dict
        The numbers of the verdict rule (p values, CIs, prediction interval, BF, ...).
    names : dict
        The columns used for each role (``x``, ``y``, ``covariates``, ``dyad``, ...).

    See Also
    --------
    test_claim : Makes it.
    Scorecard : Holds one per claim and data set.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import load_dataset, test_claim
    >>> codebook = '''
    ... dataset: tiny
    ... tables:
    ...   survey:
    ...     file: survey.csv
    ...     variables:
    ...       person_id: {type: integer, role: id}
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "codebook.yaml").write_text(codebook)
    ...     _ = (Path(tmp) / "survey.csv").write_text("person_id\\n11\\n12\\n")
    ...     result = test_claim("disclosure_trust", load_dataset(tmp), label="pilot")
    >>> result.verdict, result.estimate
    ('not testable here', None)
    >>> result.rule
    'missing x (cpi_disclosure); y (prqc_trust)'
    """

    claim: Claim
    dataset: str
    table: str | None
    estimate: _claim_models.Estimate | None
    verdict: str
    rule: str
    sentence: str
    numbers: dict  #: verdict-rule numbers (p values, CIs, prediction interval, BF, ...)
    names: dict

    def row(self) -> dict:
        """Return the test as one row of ``Scorecard.verdicts``.

        Returns
        -------
        dict
            ``claim``, ``dataset``, ``kind``, ``model``, ``n``, ``n_excluded``, ``estimate``,
            ``se``, ``ci_low``, ``ci_high`` and ``ci_level`` (the interval the claim's sentence
            reports: 100(1 - 2 alpha)% for directional and negligible claims, 100(1 - alpha)%
            for replications, else the model's 95%; missing without an estimate), ``original``
            (the published estimate, if any), ``scale``, ``design`` (``"weighted (wtssall)"`` for a
            design-based estimate, else ``"unweighted"``), ``verdict``, ``rule``.
        """
        e, n = self.estimate, self.numbers
        low, high, level = (e.ci_low, e.ci_high, 0.95) if e else (np.nan, np.nan, np.nan)
        if e and "ci_low" in n:  # directional and negligible claims: the 100(1 - 2 alpha)% CI of the rule
            low, high, level = n["ci_low"], n["ci_high"], 1 - 2 * n["alpha"]
        elif e and "new_ci_low" in n:  # replications: the 100(1 - alpha)% CI of the new estimate
            low, high, level = n["new_ci_low"], n["new_ci_high"], 1 - n["alpha"]
        return {
            "claim": self.claim.id, "dataset": self.dataset, "kind": self.claim.kind, "model": self.claim.model,
            "n": e.n if e else np.nan, "n_excluded": e.n_excluded if e else np.nan,
            "estimate": e.estimate if e else np.nan, "se": e.se if e else np.nan,
            "ci_low": low, "ci_high": high, "ci_level": level,
            "original": self.claim.original.get("estimate", np.nan), "scale": e.scale if e else "",
            "design": (e.design or "unweighted") if e else "", "verdict": self.verdict, "rule": self.rule,
        }  # fmt: skip


def _decimals(claim: Claim) -> int:
    if "decimals" in claim.original:
        return int(claim.original["decimals"])
    text = repr(float(claim.original["estimate"]))
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def short_citation(citation: str) -> str:
    """Make the APA in-text form of a reference: "Reis et al., 2004", "Algoe & Gable, 2010".

    Parameters
    ----------
    citation : str
        A full APA reference (``"Surname, A. B., & Surname, C. (Year). Title. ..."``).

    Returns
    -------
    str
        ``"Surname, Year"``, ``"Surname & Surname, Year"`` or ``"Surname et al., Year"``; the
        text before the first period when no author can be read.

    Examples
    --------
    >>> from analysis.claims.replicate import short_citation
    >>> short_citation("Rempel, J. K., Holmes, J. G., & Zanna, M. P. (1985). Trust in close relationships.")
    'Rempel et al., 1985'
    """
    import re

    year = re.search(r"\((\d{4})[a-z]?\)", citation)
    head = citation[: year.start()] if year else citation
    surnames = re.findall(r"(?:^|&\s*|\.,\s*)([A-Z][A-Za-z'\-]+(?: [A-Z][a-z]+)?),", head)
    if not surnames:
        return citation.split(".")[0]
    who = surnames[0] if len(surnames) == 1 else (f"{surnames[0]} & {surnames[1]}" if len(surnames) == 2
                                                   else f"{surnames[0]} et al.")  # fmt: skip
    return f"{who}, {year.group(1)}" if year else who


def _judge(claim: Claim, est: _claim_models.Estimate) -> tuple[str, str, str, dict]:
    from analysis.claims import verdicts as rep

    alpha = float(claim.options.get("alpha", 0.05))
    what = est.label
    if claim.kind in ("directional", "negligible"):
        sesoi = float(claim.expect["sesoi"])
        direction = claim.expect.get("direction", "positive")
        if est.scale == "r" and not est.design:  # a design-based r is judged on its design-based SE
            res = rep.directional_claim_r(est.estimate, est.n, sesoi=sesoi, direction=direction, alpha=alpha)
        else:
            res = rep.directional_claim(est.estimate, est.se, sesoi=sesoi, direction=direction, alpha=alpha)
            if est.scale == "r":  # a design-based r: reported as r
                res.summary["scale"] = "r"
        verdict = NULL_VERDICTS[res.verdict] if claim.kind == "negligible" else res.verdict
        rule = res.rule if claim.kind == "directional" else f"claim of a negligible effect: {res.rule}"
        return verdict, rule, res.sentence(effect=what), res.summary.iloc[0].to_dict()
    orig = claim.original
    if claim.kind == "reproduction":
        dec = _decimals(claim)
        tol = 0.5 * 10 ** (-dec) + 1e-12
        diff = est.estimate - float(orig["estimate"])
        ok = abs(diff) <= tol
        verdict = "reproduced" if ok else "not reproduced"
        rule = (f"reproduction: the estimate on the same data rounds to the published value "
                f"(|difference| <= {format_value(tol, dec + 1)}, half a unit of the published {dec} decimals)")
        sentence = (f"Reproduction of {what}: published {format_value(orig['estimate'], dec)}, here "
                    f"{format_value(est.estimate, dec + 2)} (difference {format_value(diff, dec + 2)}); "
                    f"verdict: {verdict} (rule: {rule}).")  # fmt: skip
        numbers = {"difference": diff, "tolerance": tol, "decimals": dec}
        if orig.get("se"):
            numbers["se_ratio"] = est.se / float(orig["se"])
            sentence = sentence[:-1] + (f"; SE published {format_value(orig['se'], dec)}, here "
                                        f"{format_value(est.se, dec + 2)}.")  # fmt: skip
        return verdict, rule, sentence, numbers
    if est.scale == "r" and orig.get("n") and not orig.get("se") and not est.design:
        res = rep.replication_r(float(orig["estimate"]), float(orig["n"]), est.estimate, est.n, alpha=alpha)
    else:
        se = float(orig["se"]) if orig.get("se") else _feldt_se(claim)
        res = rep.replication(float(orig["estimate"]), se, est.estimate, est.se, alpha=alpha)
    return res.verdict, res.rule, res.sentence(effect=what), res.summary.iloc[0].to_dict()


def _feldt_se(claim: Claim) -> float:
    """SE of a published alpha from its Feldt CI (n respondents, k items): width / 3.92."""
    from analysis.psychometrics.reliability import feldt_interval

    o = claim.original
    lo, hi = feldt_interval(float(o["estimate"]), n=float(o["n"]), k=float(o["k"]))
    return (hi - lo) / (2 * _claim_models.Z95)


def test_claim(claim: Claim | str, dataset, *, label: str | None = None, aliases: dict | None = None,
               seed: int | None = None, n_boot: int | None = None, use_design: bool = True) -> ClaimTest:  # fmt: skip
    """Test one claim on one loaded data set.

    Data that cannot speak to the claim give the verdict "not testable here" (with what is
    missing), a claim whose model or verdict rule fails "could not be tested" with the reason: neither raises.

    Parameters
    ----------
    claim : Claim or str
        A claim (`load_claim`) or a registry id.
    dataset : Dataset
        A loaded data set (`load_dataset`).
    label : str, optional
        Name of the data set in the result; default ``dataset.name``.
    aliases : dict, optional
        ``{candidate name: column}`` for variables this data set holds under another name.
    seed : int, optional
        Seed of the bootstrap of a mediation claim (unless the claim sets one).
    n_boot : int, optional
        Bootstrap resamples of a mediation claim; default the claim's, else 5,000.
    use_design : bool, default True
        When the table's codebook declares a survey design (weights, strata, clusters:
        `Dataset.design_columns`), estimate correlation and regression claims design-based
        (`survey_glm`, `survey_olr`); False: unweighted, as if no design were declared.

    Returns
    -------
    ClaimTest
        ``claim``, ``dataset`` (the label), ``table`` (the table used), ``estimate`` (estimate,
        SE, CI, p, n, rows left out, scale, the model's APA table and sentence), ``verdict``,
        ``rule``, ``sentence`` (APA), ``numbers`` (of the verdict rule) and ``names`` (the
        column used for each role).

    Raises
    ------
    ClaimError
        If `claim` is an id the registry does not hold (or a malformed file).

    See Also
    --------
    scorecard : Every claim of a study on every data set.
    directional_claim, replication : The verdict rules.

    Notes
    -----
    The first table of the claim's design (person, couple or diary) that holds a candidate
    name for every role (after instrument scores are added and the claim's filters applied)
    is used. The estimate: a correlation (Pearson r, SE on Fisher's z), a regression
    coefficient (z-scored variables for ``scale: std``), the indirect effect of a mediation
    model (bootstrap), an APIM actor or partner effect, a multilevel fixed effect, or
    Cronbach's alpha of keyed items (Feldt CI). On a table with a survey design (and
    ``use_design``), a correlation is the weighted r with a design-based SE (the slope of the
    regression of one weighted-standardized variable on the other, `survey_glm`, as R's
    ``svyglm``) and is judged on that SE (`directional_claim`, `replication`); a linear,
    logistic or ordinal coefficient comes from `survey_glm` / `survey_olr`; the other models
    stay unweighted. ``estimate.design`` says which (``"weighted (wtssall)"``). Rows with
    missing values are left out by the model (listwise) and counted in ``n_excluded``; warnings
    of the model are not shown. The verdict follows the claim's ``kind``: `directional_claim`
    (or `directional_claim_r` for r), the same test read for a negligible effect, `replication`
    (or `replication_r`), or a reproduction check (the estimate rounds to the published value).

    Examples
    --------
    >>> import tempfile
    >>> from analysis import load_dataset, test_claim, write_demo_survey
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     demo = load_dataset(write_demo_survey(tmp, n_couples=60, seed=1))
    >>> result = test_claim("disclosure_trust", demo)
    >>> result.verdict, result.estimate.scale, round(result.estimate.estimate, 2), result.estimate.n
    ('supported', 'r', 0.21, 102)
    >>> test_claim("kashy_growth_men", demo).verdict
    'not testable here'
    """
    claim = claim if isinstance(claim, Claim) else load_claim(claim)
    label = label or dataset.name
    opts = dict(claim.options)
    if claim.model == "mediation":
        opts.setdefault("seed", seed)
        if n_boot is not None:
            opts["n_boot"] = n_boot
    claim = Claim(**{**claim.__dict__, "options": opts})
    try:
        frame, names, table = _prepare(claim, dataset, aliases or {})
    except _NotTestable as why:
        return ClaimTest(claim, label, None, None, NOT_TESTABLE, str(why), f"Not testable on {label}: {why}.", {}, {})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            design = _design_for(dataset, table, claim) if use_design else {}
            fit = _claim_models.ESTIMATORS[claim.model]
            est = fit(frame, claim, names, design=design) if design else fit(frame, claim, names)
        verdict, rule, sentence, numbers = _judge(claim, est)
    except Exception as err:  # one claim's failure is that claim's failure, not the scorecard's
        why = _failure_reason(claim, names, err)
        return ClaimTest(claim, label, table, None, COULD_NOT_TEST, why,
                         f"Claim {claim.id} could not be tested on {label}: {why}.", {}, names)  # fmt: skip
    statement = claim.statement[:1].lower() + claim.statement[1:].rstrip(".")
    sentence = f"The claim that {statement} ({short_citation(claim.citation)}) was tested on {label}. {sentence}"
    return ClaimTest(claim, label, table, est, verdict, rule, sentence, numbers, names)


def _design_for(dataset, table: str, claim: Claim) -> dict:
    """The survey design the table declares (keyword arguments of `survey_design`), for the models that
    have a design-based form; ``{}`` otherwise."""
    if claim.model not in _claim_models.DESIGN_MODELS or (claim.model == "regression" and claim.options.get("fit")):
        return {}
    columns = getattr(dataset, "design_columns", None)
    return dict(columns(table) or {}) if columns else {}


def _failure_reason(claim: Claim, names: dict, err: Exception) -> str:
    """Why a claim could not be tested: the message, the claim's variables, and the error type
    when it is not one of ours (a bug to report rather than an input to fix)."""
    used = ", ".join(f"{role} = {col}" for role, col in names.items() if col)
    text = str(err).rstrip(".") or type(err).__name__
    if not isinstance(err, AnalysisError):
        text = f"{type(err).__name__}: {text} (please report this as a bug)"
    return f"{text}; variables: {used}" if used else text


test_claim.__test__ = False  # a public function, not a test: pytest must not collect it from this file


# ---------------------------------------------------------------------------------------------
# The scorecard
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scorecard:
    """Every claim of a study on every data set: the verdicts, the pooled estimates and the tests.

    Parameters
    ----------
    title : str
        The study's title.
    verdicts : pandas.DataFrame
        One row per claim and data set (`ClaimTest.row`): ``claim``, ``dataset``, ``kind``,
        ``model``, ``n``, ``n_excluded``, ``estimate``, ``se``, ``ci_low``, ``ci_high``,
        ``original``, ``scale``, ``verdict``, ``rule``. Claims in study order, testable data
        sets first.
    meta : pandas.DataFrame
        One row per claim estimated on two or more data sets (on one scale): ``claim``, ``k``,
        ``estimate``, ``ci_low``, ``ci_high``, ``pi_low``, ``pi_high`` (95% prediction
        interval), ``tau2``, ``i2`` (%), ``scale``, ``sentence`` (APA). Correlations are pooled
        on Fisher's z and shown as r.
    tests : tuple of ClaimTest
        The tests, in the order of `verdicts`.
    meta_results : dict
        ``{claim id: MetaResult}`` of the pooled claims (on Fisher's z for correlations).
    datasets : dict, optional
        ``{label: Dataset}`` (None for a data set that could not be loaded).
    problems : dict, optional
        ``{label: why the data set could not be loaded}``.

    See Also
    --------
    scorecard : Makes it.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import load_study, scorecard
    >>> text = '''
    ... title: Not collected yet
    ... datasets: [{label: main, data: main/codebook.yaml}]
    ... claims: [disclosure_trust]
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "study.yml").write_text(text)
    ...     card = scorecard(load_study(Path(tmp) / "study.yml"))
    >>> card.verdicts[["claim", "dataset", "verdict"]].to_dict("records")
    [{'claim': 'disclosure_trust', 'dataset': 'main', 'verdict': 'not testable here'}]
    >>> list(card.problems), card.loaded()
    (['main'], [])
    """

    title: str
    verdicts: pd.DataFrame
    meta: pd.DataFrame
    tests: tuple
    meta_results: dict  #: claim id -> `meta.MetaResult` (on Fisher's z for correlations)
    datasets: dict = field(default_factory=dict)  #: label -> loaded `io.Dataset` (None: not loaded)
    problems: dict = field(default_factory=dict)  #: label -> why a data set could not be loaded
    use_design: bool = True  #: whether declared survey designs were used

    def loaded(self) -> list:
        """Return the data sets that were loaded (for `analysis.runner.records.Run.add_input`).

        Returns
        -------
        list of Dataset
            The loaded data sets, in study order.
        """
        return [d for d in self.datasets.values() if d is not None]

    def sentence(self) -> str:
        """Say what the study tested: its title, claims and data sets, and which could not be loaded.

        Returns
        -------
        str
            E.g. "Study: Claims on the demo data. 33 claims on 1 data set(s); 1 data set(s) loaded."
        """
        text = (f"Study: {self.title}. {self.verdicts['claim'].nunique()} claims on {len(self.datasets)} data set(s); "
                f"{len(self.loaded())} data set(s) loaded")  # fmt: skip
        if self.problems:
            text += "; not loaded: " + "; ".join(f"{label} ({why})" for label, why in self.problems.items())
        return text + "."

    def design_sentence(self) -> str:
        """Say which estimates are weighted (design-based) and on which data sets.

        Returns
        -------
        str
            E.g. "Weighted, design-based estimates on GSS 1972-2006 (weighted (wtssall)); all other
            estimates unweighted.", or that designs were switched off, or that none is declared.
        """
        used = {t.dataset: t.estimate.design for t in self.tests if t.estimate is not None and t.estimate.design}
        if not self.use_design:
            return "Survey designs switched off (use_design = False): every estimate is unweighted."
        if not used:
            return "Unweighted: no data set tested here declares a survey design (weights, strata, clusters)."
        where = "; ".join(f"{label} ({how})" for label, how in used.items())
        return (f"Design-based estimates (weights, strata and clusters the codebook declares; correlation and "
                f"regression claims) on {where}; all other estimates unweighted.")  # fmt: skip

    def meta_sentences(self) -> list[str]:
        """One APA sentence per pooled claim, or one sentence saying that nothing was pooled.

        Returns
        -------
        list of str
            The ``sentence`` column of `meta`, or ["No claim was tested on two or more data sets, so
            nothing is pooled."].
        """
        if len(self.meta):
            return list(self.meta["sentence"])
        return ["No claim was tested on two or more data sets, so nothing is pooled."]

    def summary(self) -> pd.DataFrame:
        """Count the verdicts over the claim x data-set pairs that could be tested.

        Returns
        -------
        pandas.DataFrame
            ``verdict`` and ``n`` (pairs), most frequent first, then a last row with the number
            of claims no data set of the study could test.
        """
        tested = self.verdicts[self.verdicts["verdict"] != NOT_TESTABLE]
        out = tested["verdict"].value_counts().rename_axis("verdict").reset_index(name="n")
        never = sorted(set(self.verdicts["claim"]) - set(tested["claim"]))
        last = pd.DataFrame([{"verdict": "claims not testable on any data set here", "n": len(never)}])
        return pd.concat([out, last], ignore_index=True)

    def compact(self) -> pd.DataFrame:
        """Return the verdict rows a reader needs.

        Returns
        -------
        pandas.DataFrame
            The columns of `verdicts`: every tested claim x data-set pair, and one row per claim
            that no data set could test (``dataset`` "none of the data sets"); claims in study
            order.
        """
        v = self.verdicts
        tested = v[v["verdict"] != NOT_TESTABLE]
        never = v[~v["claim"].isin(tested["claim"])].drop_duplicates("claim").assign(dataset="none of the data sets")
        order = {c: i for i, c in enumerate(dict.fromkeys(v["claim"]))}
        out = pd.concat([tested, never]).sort_values("claim", key=lambda c: c.map(order), kind="stable")
        failed = out["verdict"] == COULD_NOT_TEST
        out.loc[failed, "verdict"] = COULD_NOT_TEST + ": " + out.loc[failed, "rule"]
        return out.reset_index(drop=True)

    def table(self, *, number: int | None = None) -> HtmlBlock:
        """Return the verdict table (APA; `compact` rows), each claim linked to its detail section.

        Parameters
        ----------
        number : int, optional
            Table number in the report.

        Returns
        -------
        HtmlBlock
            The APA table.
        """
        shown = self.compact()
        simulated = {label for label, d in self.datasets.items() if d is not None and getattr(d, "simulated", False)}
        shown["ci"] = [format_ci(r.ci_low, r.ci_high, level=r.ci_level, decimals=3, bounded=r.scale == "r")
                       .replace(" CI ", "\u00a0").replace(", ", ",\u00a0") if pd.notna(r.ci_level) else None
                       for r in shown.itertuples()]  # fmt: skip
        shown["dataset"] = [f"{d} (simulated)" if d in simulated else d for d in shown["dataset"]]
        weighted = shown["design"].fillna("").ne("") & shown["design"].ne("unweighted")
        shown.loc[weighted, "model"] = shown.loc[weighted, "model"] + ", " + shown.loc[weighted, "design"]
        cols = ["claim", "dataset", "model", "n", "estimate", "ci", "original", "verdict"]
        note = ("Estimate: r, a standardized or raw coefficient, or alpha, as the claim states; CI: the interval "
                "the claim's sentence reports, with its level (100(1 - 2α)% for directional claims, the interval "
                "of their one-sided and equivalence tests; 100(1 - α)% for replications); original: the published "
                "value; \"weighted (w)\" after the model: a design-based estimate with the data set's survey "
                "weight w (and strata and clusters, if declared). Each claim links to its details below.")  # fmt: skip
        if simulated:
            note += " Simulated data: these verdicts test the toolkit, not the claims."
        block = apa_table(shown[cols].rename(columns={"estimate": "new_estimate", "ci": "CI"}), title="Verdicts",
                          number=number, decimals=3, note=note)  # fmt: skip
        text = block.html
        for cid in dict.fromkeys(self.verdicts["claim"]):
            safe = html.escape(cid)
            text = text.replace(f'<td class="text">{safe}</td>',
                                f'<td class="text"><a href="#claim-{safe}">{safe}</a></td>')  # fmt: skip
        return HtmlBlock(text)

    def meta_table(self, *, number: int | None = None) -> HtmlBlock:
        """Return the random-effects meta-analysis of the claims tested on several data sets.

        Parameters
        ----------
        number : int, optional
            Table number in the report.

        Returns
        -------
        HtmlBlock
            The APA table of `meta` (claim, k, estimate, CI, prediction interval, tau², I²).
        """
        cols = ["claim", "k", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2"]
        return apa_table(self.meta[cols] if len(self.meta) else pd.DataFrame(columns=cols), decimals=3,
                         title="Claims tested on several data sets: random-effects meta-analysis", number=number,
                         note="REML tau-squared (metafor's rma); correlations pooled on Fisher's z and shown as r; "
                              "PI: 95% prediction interval.")  # fmt: skip

    def details(self) -> HtmlBlock:
        """Return one HTML section per claim, for the report.

        Returns
        -------
        HtmlBlock
            For each claim: statement, source, each data set's model table, numbers and
            sentence, the pooled estimate, and the data sets that could not test it, with what
            they lack.
        """
        parts = []
        for cid in dict.fromkeys(t.claim.id for t in self.tests):
            tests = [t for t in self.tests if t.claim.id == cid]
            c = tests[0].claim
            parts.append(f'<section class="claim" id="claim-{html.escape(cid)}"><h3>{html.escape(cid)}</h3>'
                         f"<p><strong>Claim.</strong> {html.escape(c.statement)}</p>"
                         f"<p><strong>Source.</strong> {html.escape(c.citation)}"
                         + (f" {html.escape(c.source_note)}" if c.source_note else "") + "</p>"
                         f"<p><strong>Test.</strong> {html.escape(c.kind)} claim, {html.escape(c.model)} model, "
                         f"{html.escape(c.design)} design.</p>")  # fmt: skip
            for t in (t for t in tests if t.verdict != NOT_TESTABLE):
                used = ", ".join(f"{k} = {', '.join(v) if isinstance(v, list) else v}" for k, v in t.names.items() if v)
                sim = " (simulated data)" if getattr(self.datasets.get(t.dataset), "simulated", False) else ""
                parts.append(f"<h4>{html.escape(t.dataset + sim)}: {html.escape(t.verdict)}</h4>"
                             f'<p class="apa-text">{html.escape(t.sentence)}</p>'
                             + (f"<p><small>Table {html.escape(str(t.table))}; variables: {html.escape(used)}; "
                                f"{t.estimate.n:,} analysed, {t.estimate.n_excluded:,} rows left out (missing "
                                "values or the claim's filter).</small></p>" if t.estimate else "")
                             + (t.estimate.table.html if t.estimate and t.estimate.table else "")
                             + _levels_note(t))  # fmt: skip
            if cid in self.meta_results:
                pooled = self.meta.set_index("claim").loc[cid, "sentence"]
                parts.append(f'<p class="apa-text">{html.escape(pooled)}</p>')
            untestable = [f"{t.dataset} ({t.rule})" for t in tests if t.verdict == NOT_TESTABLE]
            if untestable:
                parts.append(f"<p><strong>Not testable here:</strong> {html.escape('; '.join(untestable))}.</p>")
            parts.append("</section>")
        return HtmlBlock("".join(parts))


def _levels_note(test) -> str:
    """Under a claim's model table: which CI level the table gives and which the verdict uses, when they
    differ (directional claims: the 100(1 - 2 alpha)% CI of the one-sided and equivalence tests)."""
    if not test.estimate or not test.estimate.table or "ci_low" not in test.numbers:
        return ""
    level = 1 - 2 * test.numbers["alpha"]
    return (f'<p class="apa-note">The model table gives two-sided 95% CIs; the verdict and its sentence use the '
            f"{100 * level:g}% CI, the interval of the one-sided and equivalence tests at α = "
            f"{format_value(test.numbers['alpha'], 2, bounded=True)}.</p>")


def _pool(tests) -> tuple[pd.DataFrame, dict]:
    from analysis.models.meta import fisher_z_inverse, random_effects

    rows, results = [], {}
    for cid in dict.fromkeys(t.claim.id for t in tests):
        done = [t for t in tests if t.claim.id == cid and t.estimate is not None]
        if len(done) < 2 or len({t.estimate.scale for t in done}) != 1:
            continue
        scale = done[0].estimate.scale
        if scale == "r":  # a design-based r: its SE carried to Fisher's z (delta method)
            y = [math.atanh(t.estimate.estimate) for t in done]
            se = [t.estimate.se / (1 - t.estimate.estimate**2) if t.estimate.design else 1 / math.sqrt(t.estimate.n - 3)
                  for t in done]  # fmt: skip
        else:
            y, se = [t.estimate.estimate for t in done], [t.estimate.se for t in done]
        res = random_effects(y, se, labels=[t.dataset for t in done], method="REML")
        results[cid] = res
        p = res.pooled.iloc[0]
        back = fisher_z_inverse if scale == "r" else (lambda v: v)
        vals = {k: float(back(p[k])) for k in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")}
        sym, bounded = ("r", True) if scale == "r" else ("b", False)
        sentence = (f"Pooled over {int(p['k'])} data sets (random effects, REML), "
                    f"{format_stat(sym, vals['estimate'], bounded=bounded)}, "
                    f"{format_ci(vals['ci_low'], vals['ci_high'], bounded=bounded)}; "
                    f"tau-squared = {format_value(p['tau2'], 3)}, I-squared = {format_value(p['i2'], 1)}%, "
                    f"95% prediction interval [{format_value(vals['pi_low'], bounded=bounded)}, "
                    f"{format_value(vals['pi_high'], bounded=bounded)}].")  # fmt: skip
        rows.append({"claim": cid, "k": int(p["k"]), **vals, "tau2": float(p["tau2"]), "i2": float(p["i2"]),
                     "scale": scale, "sentence": sentence})  # fmt: skip
    cols = ["claim", "k", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2", "scale", "sentence"]
    return pd.DataFrame(rows, columns=cols), results


def scorecard(study: Study, *, seed: int | None = None, n_boot: int | None = None,
              datasets: dict | None = None, use_design: bool = True) -> Scorecard:  # fmt: skip
    """Test every claim of `study` on every data set; pool claims tested on several data sets.

    Parameters
    ----------
    study : Study
        From `load_study`.
    seed : int, optional
        Seed of the bootstrap of mediation claims (same seed, same numbers).
    n_boot : int, optional
        Bootstrap resamples of mediation claims (default: the claim's, else 5,000).
    datasets : dict, optional
        Already loaded data sets by label (else each is loaded; a data set whose files are
        missing makes its claims "not testable here").
    use_design : bool, default True
        Use the survey design a data set's codebook declares (weighted, design-based
        estimates of correlation and regression claims; `test_claim`); False: all unweighted.

    Returns
    -------
    Scorecard
        ``verdicts`` (one row per claim and data set: ``claim``, ``dataset``, ``kind``,
        ``model``, ``n``, ``n_excluded``, ``estimate``, ``se``, ``ci_low``, ``ci_high``,
        ``original``, ``scale``, ``verdict``, ``rule``), ``meta`` (one row per claim estimated
        on two or more data sets: ``claim``, ``k``, ``estimate``, ``ci_low``, ``ci_high``,
        ``pi_low``, ``pi_high``, ``tau2``, ``i2``, ``scale``, ``sentence``), ``tests`` (each
        `ClaimTest`), ``meta_results``, ``datasets`` (loaded) and ``problems`` (data sets that
        could not be loaded, and why).

    Raises
    ------
    ClaimError
        If a claim of the study cannot be loaded. A data set that cannot be loaded does not
        raise: its claims are "not testable here".

    See Also
    --------
    load_study : Reads a study file.
    test_claim : One claim on one data set.
    random_effects : The meta-analysis that pools a claim over data sets.

    Notes
    -----
    A claim is pooled when it was estimated on at least two data sets, all on one scale:
    random-effects meta-analysis with REML tau² (as metafor's ``rma(method = "REML")``),
    correlations on Fisher's z (SE 1 / sqrt(n - 3)) and back-transformed to r.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. Journal of
    Statistical Software, 36(3), 1-48. https://doi.org/10.18637/jss.v036.i03

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import load_study, scorecard, write_demo_survey
    >>> text = '''
    ... title: Two waves
    ... datasets:
    ...   - {label: wave 1, data: wave1/codebook.yaml}
    ...   - {label: wave 2, data: wave2/codebook.yaml}
    ... claims: [disclosure_trust, kashy_growth_men]
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for seed in (1, 2):
    ...         _ = write_demo_survey(Path(tmp) / f"wave{seed}", n_couples=60, seed=seed)
    ...     _ = (Path(tmp) / "study.yml").write_text(text)
    ...     card = scorecard(load_study(Path(tmp) / "study.yml"))
    >>> card.verdicts[["claim", "dataset", "verdict"]]
                  claim dataset            verdict
    0  disclosure_trust  wave 1          supported
    1  disclosure_trust  wave 2          supported
    2  kashy_growth_men  wave 1  not testable here
    3  kashy_growth_men  wave 2  not testable here
    >>> card.meta[["claim", "k", "estimate", "ci_low", "ci_high"]].round(2)
                  claim  k  estimate  ci_low  ci_high
    0  disclosure_trust  2      0.21    0.07     0.34
    """
    from analysis.data.dataset import load_dataset

    loaded = dict(datasets or {})
    problems = {}
    tests = []
    claims = [load_claim(c) for c in study.claims]
    with scored_once():  # each table's instrument scores computed once for all claims
        for entry in study.datasets:
            ds, problem = loaded.get(entry.label), None
            if ds is None:
                try:
                    ds = load_dataset(entry.data, codebook=entry.codebook)
                except (AnalysisError, FileNotFoundError, OSError) as err:
                    problem = f"data set could not be loaded ({str(err).splitlines()[0]})"
                    problems[entry.label] = problem
                loaded[entry.label] = ds
            for claim in claims:
                if ds is None:
                    tests.append(ClaimTest(claim, entry.label, None, None, NOT_TESTABLE, problem,
                                           f"Not testable on {entry.label}: {problem}.", {}, {}))  # fmt: skip
                else:
                    tests.append(test_claim(claim, ds, label=entry.label, aliases=entry.aliases, seed=seed,
                                            n_boot=n_boot, use_design=use_design))  # fmt: skip
    order = {c.id: i for i, c in enumerate(claims)}
    tests.sort(key=lambda t: (order[t.claim.id], t.verdict == NOT_TESTABLE))
    verdicts = pd.DataFrame([t.row() for t in tests])
    meta, results = _pool(tests)
    return Scorecard(study.title, verdicts, meta, tuple(tests), results, loaded, problems, use_design)


