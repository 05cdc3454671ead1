"""Multiverse specification files: reading and checking them (`read_multiverse`), the grid of
specifications they define (`MultiverseSpec.specifications`), the one data frame every
specification is fitted on (`prepare_multiverse_data`), and a small draft from a codebook
(`draft_multiverse`).

A specification file names a data set (with its codebook), the effect of interest (the coefficient
of a predictor on an outcome), and the decisions of the analysis, each with its options:
exclusion rules, the minimum share of items a score needs, outcome and predictor candidates,
covariate sets, subsets of rows, weights on or off, and the model (OLS, logistic, ordinal, tobit,
APIM, mixed model, mediation). Every combination of options is one specification; combinations
that cannot be fitted are declared under ``incompatible`` and kept in the grid as such. The format
is described in ``docs/multiverse.md``. Fitting is in `analysis.claims.multiverse_fit`, the
inference in `analysis.claims.specification_inference`, the result in `analysis.claims.multiverse`.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import keyword
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.claims.multiverse_fit import LINEAR_FAMILIES, design_column_names, model_columns
from analysis.data.codebook import EXCLUSION_RULES, _find_codebook, _infer_codebook, _kind, _show, read_codebook
from analysis.data.dataset import load_dataset
from analysis.data.design import design_columns
from analysis.data.instrument_library import load_instrument
from analysis.data.ledger import _row_exclusions, _table_exclusions
from analysis.exceptions import AnalysisError, InstrumentError, ParameterError
from analysis.paths import data_roots, resolve
from analysis.scoring.scales import score_instruments
from analysis.yaml_files import read_yaml

__all__ = ["MultiverseSpec", "read_multiverse", "prepare_multiverse_data", "draft_multiverse"]

TOP_KEYS = ("title", "description", "data", "codebook", "table", "effect", "decisions", "incompatible", "derived",
            "aggregate", "min_answered", "resamples", "seed", "ci", "resample_by", "standardize")  # fmt: skip
EFFECT_KEYS = ("outcome", "predictor", "label", "direction")
DECISION_KEYS = ("kind", "options", "description")
KINDS = ("exclusions", "min_answered", "outcome", "predictor", "covariates", "subset", "weights", "model")
#: kinds a file may have several decisions of (their options combine: masks AND, covariate sets join)
REPEATABLE = ("exclusions", "covariates", "subset")
#: model families and the parameters each takes (with their defaults)
FAMILIES = {
    "ols": {"robust": None},
    "logistic": {},
    "ordinal": {"link": "logit"},
    "tobit": {"left": 0.0, "right": None},
    "apim": {"effect": "actor", "model": "indistinguishable"},
    "mixed": {"random": "~ 1", "dyad": False},
    "mediation": {"mediator": None, "n_boot": 200, "seed": 1},
}
#: families with a design-based (weighted) fit: survey_glm (gaussian, quasibinomial) and survey_olr
WEIGHTED_FAMILIES = ("ols", "logistic", "ordinal")
#: what `standardize` may z-score
STANDARDIZE = ("outcome", "predictor")
DERIVED_KEYS = ("from", "recode", "rank", "group")
SUBSET_KEYS = ("min", "max", "in", "not_in")
AGGREGATE_KEYS = ("by",)
RESERVED = ("spec_id", "status", "reason", "definition", "estimate", "se", "ci_low", "ci_high", "p_value", "n",
            "statistic", "note")  # fmt: skip
DEFAULT_RESAMPLES = 500
_IDENT = re.compile(r"[A-Za-z_]\w*")


def _check_keys(where: str, spec: dict, known: tuple[str, ...], level: str) -> None:
    """Every key must be one we read; a near miss is named."""
    for key in spec:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), known, 1, 0.6)
        hint = f" Did you mean `{close[0]}`?" if close else ""
        raise ParameterError(f"{where}: unknown {level} key {_show(key)}.{hint} Keys of a {level}: "
                             f"{', '.join(known)} (see docs/multiverse.md).")  # fmt: skip


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _label(value) -> str:
    """The label of an option given as a single value (a list entry)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)


# ---------------------------------------------------------------------------------------------
# The specification object
# ---------------------------------------------------------------------------------------------


@dataclass
class MultiverseSpec:
    """A checked multiverse specification (`read_multiverse`).

    Attributes
    ----------
    path : str or None
        The specification file (None when read from a mapping).
    title : str
        Its title.
    data : str
        The data path, as `load_dataset` takes it (absolute).
    codebook : str or None
        The codebook path (None: found beside the data).
    table : str
        The table analysed.
    decisions : dict
        ``{decision name: [option labels]}`` in file order.
    effect : dict
        ``outcome``, ``predictor`` (column names, or None when a decision chooses them),
        ``label`` (text for tables and figures) and ``direction`` (``"positive"`` or
        ``"negative"`` when predicted in advance: one-sided inference; None: two-sided).
    raw : dict
        The parsed file.
    resamples : int
        Resamples of the inference under the null (file, default 500).
    seed : int
        Seed of the resamples (file, default 1).
    ci : float
        Confidence level of every interval (file, default 0.95); significance is p < 1 - ci.
    data_root : str or list or None
        Extra folders data files may be read from.
    standardize : tuple
        ``"outcome"`` and/or ``"predictor"``: z-scored within each specification's analysed
        rows before the fit (file key ``standardize``; default none).

    See Also
    --------
    read_multiverse : Makes it.
    prepare_multiverse_data : The data frame its specifications are fitted on.

    Examples
    --------
    >>> from analysis.claims.multiverse_spec import MultiverseSpec
    >>> spec = MultiverseSpec(path=None, title="t", data="/d", codebook=None, table="survey",
    ...                       decisions={"model": ["ols"]}, effect={"outcome": "y", "predictor": "x"}, raw={})
    >>> spec.resamples, spec.seed, spec.ci
    (500, 1, 0.95)
    """

    path: str | None
    title: str
    data: str
    codebook: str | None
    table: str
    decisions: dict
    effect: dict
    raw: dict
    resamples: int = DEFAULT_RESAMPLES
    seed: int = 1
    ci: float = 0.95
    data_root: object = None
    kinds: dict = field(default_factory=dict)  #: {decision: kind}
    options: dict = field(default_factory=dict)  #: {decision: {label: checked definition}}
    incompatible: list = field(default_factory=list)  #: [(rule text, {decision: [labels]})]
    derived: dict = field(default_factory=dict)
    aggregate: dict | None = None
    min_answered: float = 0.8
    resample_by: str | None = None  #: a column, "rows", or None (chosen from the codebook roles)
    standardize: tuple = ()  #: "outcome" and/or "predictor": z-scored within each specification's rows
    roles: dict = field(default_factory=dict)  #: {role: column} of the table (dyad_id, partner_role, id, ...)
    design: dict = field(default_factory=dict)  #: survey_design keyword arguments (codebook)
    scores: dict = field(default_factory=dict)  #: {score column: instrument id}
    columns: tuple = ()  #: the table's codebook variables
    codebook_exclusions: dict = field(default_factory=dict)  #: the table's exclusion rules (codebook)
    _prepared: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def where(self) -> str:
        return self.path or "the multiverse specification"

    # -- grid -----------------------------------------------------------------------------------
    def _combinations(self):
        names = list(self.decisions)
        for combo in itertools.product(*(self.decisions[n] for n in names)):
            yield dict(zip(names, combo, strict=True))

    def _incompatible_reason(self, choice: dict) -> str:
        for rule, when in self.incompatible:
            if all(choice[d] in labels for d, labels in when.items()):
                return f"incompatible: {rule}"
        return ""

    def specifications(self) -> pd.DataFrame:
        """The grid: one row per combination of decision options.

        Returns
        -------
        pandas.DataFrame
            ``spec_id`` (12 hex digits: SHA-256 of the canonical JSON of the options chosen, their
            definitions, the effect, the confidence level and the hashes of the prepared data's
            columns the specification reads, so a changed option or changed data give new ids,
            while adding an option elsewhere in the grid keeps them), one column per decision (the option's
            label), ``status`` (``"pending"``, or ``"incompatible"`` for a combination a rule
            of ``incompatible`` names), ``reason`` (``"incompatible: <rule>"`` or ``""``) and
            ``definition`` (JSON text: what `fit_specifications` fits, in the columns of the
            prepared data).

        Notes
        -----
        Prepares the data (`prepare_multiverse_data`, once per object) for its hash.
        """
        frame, _ = prepare_multiverse_data(self)
        column_hash = {c: frame_hash(frame[[c]]) for c in frame.columns}
        rows = []
        for choice in self._combinations():
            definition = _definition(self, choice)
            used = sorted({*model_columns(definition), *definition["keep"], "_cluster"} & set(column_hash))
            ident = {"decisions": {d: [label, self.options[d][label]] for d, label in choice.items()},
                     "effect": self.effect, "ci": self.ci, "data": [[c, column_hash[c]] for c in used]}  # fmt: skip
            if definition.get("standardize"):  # only then: the ids of files without it stay as they were
                ident["standardize"] = definition["standardize"]
            text = json.dumps(ident, sort_keys=True, separators=(",", ":"), default=str)
            reason = self._incompatible_reason(choice)
            rows.append({"spec_id": hashlib.sha256(text.encode()).hexdigest()[:12], **choice,
                         "status": "incompatible" if reason else "pending", "reason": reason,
                         "definition": json.dumps(definition, sort_keys=True)})  # fmt: skip
        return pd.DataFrame(rows, columns=["spec_id", *self.decisions, "status", "reason", "definition"])

    def _choice_kind(self, choice: dict, kind: str) -> list:
        return [self.options[d][choice[d]] for d, k in self.kinds.items() if k == kind]

    @property
    def parameters(self) -> dict:
        """Where the specification came from: path, title, seed, resamples, ci, standardize."""
        return {"spec": self.path, "title": self.title, "data": self.data, "codebook": self.codebook,
                "table": self.table, "seed": self.seed, "resamples": self.resamples, "ci": self.ci,
                "standardize": list(self.standardize)}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Reading and checking
# ---------------------------------------------------------------------------------------------


def _located(folder: Path | None, relative: str, roots) -> Path:
    """`relative` from the file's folder; when nothing is there, from the first data root that has it."""
    base = Path(relative).expanduser()
    if base.is_absolute():
        return base
    here = (folder / base).resolve() if folder is not None else resolve(base)
    if here.exists():
        return here
    return next((root / base for root in data_roots(roots) if (root / base).exists()), here)


def read_multiverse(path, *, data_root=None) -> MultiverseSpec:
    """Read and check a multiverse specification file (or mapping).

    Parameters
    ----------
    path : str, Path or dict
        A YAML file (format: ``docs/multiverse.md``), or the same content as a mapping (e.g. from
        `draft_multiverse`); a mapping's relative paths are taken from the project folder.
    data_root : str or Path or list, optional
        Folder(s) the data may be read from besides the file's own (``--data-root``): a
        relative ``data:`` or ``codebook:`` not found beside the file is looked up there.

    Returns
    -------
    MultiverseSpec
        The checked specification; ``.specifications()`` gives the grid.

    Raises
    ------
    ParameterError
        A key, option, column or rule that is unknown or malformed, or a combination of options
        that cannot be fitted and is not declared under ``incompatible``; the message names the
        file, the key and the value and says how to fix it.

    See Also
    --------
    prepare_multiverse_data, analysis.claims.multiverse.run_multiverse

    Examples
    --------
    >>> import tempfile
    >>> from analysis import write_demo_survey
    >>> from analysis.claims.multiverse_spec import read_multiverse
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = write_demo_survey(tmp, n_couples=30, seed=1)
    ...     spec = read_multiverse({"data": str(folder), "table": "survey",
    ...                             "effect": {"outcome": "csi_16_total", "predictor": "cpi_total"},
    ...                             "decisions": {"min_answered": {"kind": "min_answered", "options": [0.5, 1.0]},
    ...                                           "model": {"kind": "model", "options": ["ols", "mixed"]}},
    ...                             "incompatible": [{"rule": "one row per person here",
    ...                                               "when": {"model": "mixed"}}]})
    ...     grid = spec.specifications()
    >>> spec.decisions
    {'min_answered': ['0.5', '1'], 'model': ['ols', 'mixed']}
    >>> grid[["min_answered", "model", "status"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'min_answered': '0.5', 'model': 'ols', 'status': 'pending'},
     {'min_answered': '0.5', 'model': 'mixed', 'status': 'incompatible'},
     {'min_answered': '1', 'model': 'ols', 'status': 'pending'},
     {'min_answered': '1', 'model': 'mixed', 'status': 'incompatible'}]
    """
    if isinstance(path, dict):
        raw, where, folder, file = copy.deepcopy(path), "the multiverse specification", None, None
    else:
        file = resolve(path)
        raw = read_yaml(file, what="multiverse specification", error=ParameterError)
        where, folder = str(file), file.parent
    if not isinstance(raw, dict):
        raise ParameterError(f"{where}: a multiverse specification is a mapping with `data`, `effect` and "
                             f"`decisions` (see docs/multiverse.md); not {_kind(raw)}.")  # fmt: skip
    _check_keys(where, raw, TOP_KEYS, "specification")
    for key in ("data", "codebook"):
        if isinstance(raw.get(key), Path):
            raw[key] = str(raw[key])
    for key in ("data",):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ParameterError(f"{where}: `{key}` must be the path of the data (a data file, a data-set folder or "
                                 f"its codebook), e.g. data: ../../data/raw/demo_survey; not {_kind(value)}.")
    codebook_value = raw.get("codebook")
    if codebook_value is not None and (not isinstance(codebook_value, str) or not codebook_value.strip()):
        raise ParameterError(f"{where}: `codebook` must be a path (text), e.g. codebook: "
                             f"../codebooks/gss_happy_1972_2006.yaml; not {_kind(codebook_value)}.")  # fmt: skip
    data = _located(folder, raw["data"], data_root)
    codebook = _located(folder, codebook_value, data_root) if codebook_value else None
    cb = _codebook_of(where, data, codebook)
    tables = list(cb["tables"])
    table = raw.get("table", tables[0])
    if table not in tables:
        raise ParameterError(f"{where}: `table` {_show(table)} is not a table of the codebook; tables: "
                             f"{', '.join(map(repr, tables))}.")  # fmt: skip
    variables = cb["tables"][table]["variables"]
    tspec = cb["tables"][table]
    spec = MultiverseSpec(path=str(file) if file else None, title=str(raw.get("title") or "Multiverse"),
                          data=str(data), codebook=str(codebook) if codebook else None, table=table, decisions={},
                          effect={}, raw=raw, data_root=data_root)  # fmt: skip
    spec.columns = tuple(variables)
    spec.roles = {r: next((c for c, v in variables.items() if v.get("role") == r), None)
                  for r in ("id", "dyad_id", "partner_role", "day")}  # fmt: skip
    spec.design = design_columns(variables, tspec.get("design"))
    spec.scores = _score_columns(variables)
    spec.codebook_exclusions = dict(tspec.get("exclusions") or {})
    _read_numbers(spec, where, raw)
    _read_derived(spec, where, raw.get("derived"), variables)
    _read_aggregate(spec, where, raw.get("aggregate"))
    _read_decisions(spec, where, raw.get("decisions"))
    _read_effect(spec, where, raw.get("effect"))
    _read_incompatible(spec, where, raw.get("incompatible"))
    _check_combinations(spec, where)
    return spec


def _codebook_of(where: str, data: Path, codebook: Path | None) -> dict:
    try:
        if codebook is not None:
            return read_codebook(codebook)
        if data.suffix in (".yaml", ".yml"):
            return read_codebook(data)
        found = _find_codebook(data) if data.exists() else None
        if found is not None:
            return read_codebook(found)
        if data.is_file():
            return _infer_codebook(data)
    except AnalysisError as err:
        raise ParameterError(f"{where}: the codebook of {data} cannot be read: {err}") from None
    raise ParameterError(f"{where}: `data` {str(data)!r} does not exist (or has no codebook). Give the path of a "
                         "data file, a data-set folder or its codebook, relative to the specification file or to "
                         "--data-root.")  # fmt: skip


def _score_columns(variables: dict) -> dict:
    """{score column: instrument key} of the table's instruments (as `Dataset.instruments`): the
    scores `score_instruments` computes, i.e. those whose items are all in the table (an instrument
    with only some of its subscales' items gives only those subscales; one without a definition
    file gives none)."""
    items: dict = {}
    for col, spec in variables.items():
        if spec.get("role") == "item" and spec.get("instrument"):
            key = str(spec["instrument"]) + (f"_p{spec['partner']}" if spec.get("partner") is not None else "")
            items.setdefault((key, str(spec["instrument"])), set()).add(str(spec.get("item", col)))
    out = {}
    for (key, ins_id), mapped in items.items():
        try:
            ins = load_instrument(ins_id)
        except InstrumentError:
            continue  # no definition file: score_instruments skips it too
        for score, members in ins.scores.items():
            if all(m in mapped for m in members):
                out[f"{key}_{score}"] = key
    return out


def _read_numbers(spec: MultiverseSpec, where: str, raw: dict) -> None:
    resamples = raw.get("resamples", DEFAULT_RESAMPLES)
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 0:
        raise ParameterError(f"{where}: `resamples` must be a whole number >= 0 (0: no inference under the null), "
                             f"e.g. resamples: 500; not {_kind(resamples)}.")  # fmt: skip
    seed = raw.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParameterError(f"{where}: `seed` must be a whole number >= 0, e.g. seed: 1; not {_kind(seed)}.")
    ci = raw.get("ci", 0.95)
    if not _number(ci) or not 0 < ci < 1:
        raise ParameterError(f"{where}: `ci` must be a confidence level between 0 and 1, e.g. ci: 0.95; "
                             f"not {_kind(ci)}.")  # fmt: skip
    ma = raw.get("min_answered", 0.8)
    if not _number(ma) or not 0 < ma <= 1:
        raise ParameterError(f"{where}: `min_answered` must be a share in (0, 1], e.g. min_answered: 0.8; "
                             f"not {_kind(ma)}.")  # fmt: skip
    by = raw.get("resample_by")
    if by is not None and not isinstance(by, str):
        raise ParameterError(f"{where}: `resample_by` must be `rows` or a column (the cluster resampled), e.g. "
                             f"resample_by: couple_id; not {_kind(by)}.")  # fmt: skip
    spec.resamples, spec.seed, spec.ci, spec.min_answered, spec.resample_by = resamples, seed, float(ci), ma, by
    spec.standardize = _read_standardize(where, raw.get("standardize", False))


def _read_standardize(where: str, value) -> tuple:
    """``standardize``: true (outcome and predictor), false, or ``outcome`` / ``predictor`` / a list of them."""
    if value is None or value is False:
        return ()
    if value is True:
        return STANDARDIZE
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(n in STANDARDIZE for n in names):
        raise ParameterError(f"{where}: `standardize` must be true (z-score the outcome and the predictor within each "
                             "specification's rows), false, `outcome`, `predictor` or a list of them, e.g. "
                             f"standardize: true; not {_kind(value)}.")  # fmt: skip
    return tuple(n for n in STANDARDIZE if n in names)


def _column_error(spec: MultiverseSpec, where: str, key: str, name) -> ParameterError:
    known = [*spec.columns, *spec.derived, *spec.scores]
    close = difflib.get_close_matches(str(name), known, 1, 0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ParameterError(f"{where}: {key}: {_show(name)} is not a column of table {spec.table!r}, a derived "
                          f"column or an instrument score.{hint} Columns: "
                          f"{', '.join(map(repr, known[:15]))}{' ...' if len(known) > 15 else ''}.")  # fmt: skip


def _check_column(spec: MultiverseSpec, where: str, key: str, name) -> str:
    if not isinstance(name, str) or not (name in spec.columns or name in spec.derived or name in spec.scores):
        raise _column_error(spec, where, key, name)
    if not _IDENT.fullmatch(name) or keyword.iskeyword(name):
        raise ParameterError(f"{where}: {key}: column {name!r} is not a plain name (letters, digits, '_'), so it "
                             "cannot enter a model formula; add a copy with a plain name under `derived`, e.g. "
                             f"derived: {{my_name: {{from: {name!r}}}}}.")  # fmt: skip
    return name


def _read_derived(spec: MultiverseSpec, where: str, derived, variables: dict) -> None:
    if derived is None:
        return
    if not isinstance(derived, dict):
        raise ParameterError(f"{where}: `derived` must map new column names to their definition, e.g. derived: "
                             f"{{married: {{from: marital, recode: {{married: 1, divorced: 0}}}}}}; "
                             f"not {_kind(derived)}.")  # fmt: skip
    for name, entry in derived.items():
        at = f"derived.{name}"
        if not isinstance(name, str) or not _IDENT.fullmatch(name) or name in variables or name in RESERVED:
            raise ParameterError(f"{where}: {at}: a derived column needs a new plain name (letters, digits, '_'; "
                                 f"not a column of the table); not {_show(name)}.")  # fmt: skip
        if not isinstance(entry, dict):
            raise ParameterError(f"{where}: {at} must be a mapping, e.g. {{from: marital, recode: {{married: 1}}}};"
                                 f" not {_kind(entry)}.")  # fmt: skip
        _check_keys(f"{where}: {at}", entry, DERIVED_KEYS, "derived column")
        if "group" in entry:
            cols = entry["group"]
            if not isinstance(cols, list) or not cols or set(entry) != {"group"}:
                raise ParameterError(f"{where}: {at}.group must be a list of columns whose combination is the id, "
                                     f"e.g. group: [dyadid, person], and nothing else; not {_kind(cols)}.")
            for c in cols:
                if c not in variables and c not in spec.derived:
                    raise ParameterError(f"{where}: {at}.group: {_show(c)} is not a column of table "
                                         f"{spec.table!r}.")  # fmt: skip
        else:
            source = entry.get("from")
            if source not in variables and source not in spec.derived:
                raise ParameterError(f"{where}: {at}.from: {_show(source)} is not a column of table "
                                     f"{spec.table!r} (or a derived column above it).")  # fmt: skip
            recode, rank = entry.get("recode"), entry.get("rank")
            if recode is not None and (not isinstance(recode, dict) or not all(
                    v is None or _number(v) for v in recode.values())):  # fmt: skip
                raise ParameterError(f"{where}: {at}.recode must map each value to a number (null: missing), e.g. "
                                     f"recode: {{married: 1, divorced: 0}}; not {_kind(recode)}.")  # fmt: skip
            if rank is not None and (rank is not True or recode is not None):
                raise ParameterError(f"{where}: {at}.rank must be true (ordered categories -> 1, 2, ...), and "
                                     "cannot be combined with recode.")  # fmt: skip
        spec.derived[name] = entry


def _read_aggregate(spec: MultiverseSpec, where: str, aggregate) -> None:
    if aggregate is None:
        return
    if not isinstance(aggregate, dict) or "by" not in aggregate:
        raise ParameterError(f"{where}: `aggregate` must be a mapping with `by` (the column whose rows are "
                             f"averaged into one), e.g. aggregate: {{by: person_key}}; not {_kind(aggregate)}.")
    _check_keys(f"{where}: aggregate", aggregate, AGGREGATE_KEYS, "aggregate")
    by = aggregate["by"]
    if by not in spec.columns and by not in spec.derived:
        raise _column_error(spec, where, "aggregate.by", by)
    spec.aggregate = dict(aggregate)


def _options(where: str, name: str, kind: str, options) -> dict:
    """{label: raw definition} from a list (labels from the values) or a mapping (labels given)."""
    at = f"decisions.{name}.options"
    if isinstance(options, list) and options:
        if kind in ("covariates", "subset", "exclusions") and not all(isinstance(o, str) for o in options):
            raise ParameterError(f"{where}: {at}: options of a `{kind}` decision are written as a mapping of label "
                                 "to definition, e.g. options: {none: [], demographics: [age, gender]}; "
                                 f"not {_kind(options)}.")  # fmt: skip
        out = {}
        for value in options:
            if isinstance(value, dict | list) or value is None:
                raise ParameterError(f"{where}: {at}: a list of options holds single values (labels are the values); "
                                     f"for definitions write a mapping of label to definition; not {_kind(value)}.")
            label = ("weighted" if value else "unweighted") if kind == "weights" else _label(value)
            if label in out:
                raise ParameterError(f"{where}: {at}: option {label!r} is listed twice.")
            out[label] = value
        return out
    if isinstance(options, dict) and options:
        for label in options:
            if not isinstance(label, str | int | float) or isinstance(label, bool):
                raise ParameterError(f"{where}: {at}: option labels must be text; not {_kind(label)} (quote yes/no/"
                                     "on/off, which YAML reads as true/false).")  # fmt: skip
        return {_label(k): v for k, v in options.items()}
    raise ParameterError(f"{where}: {at} must be a non-empty list or mapping of options; not {_kind(options)}.")


def _read_decisions(spec: MultiverseSpec, where: str, decisions) -> None:
    if decisions is None:
        decisions = {}
    if not isinstance(decisions, dict):
        raise ParameterError(f"{where}: `decisions` must map each decision's name to its kind and options, e.g. "
                             f"decisions: {{covariates: {{kind: covariates, options: {{none: [], age: [age]}}}}}}; "
                             f"not {_kind(decisions)}.")  # fmt: skip
    seen: dict[str, str] = {}
    for name, entry in decisions.items():
        at = f"decisions.{name}"
        if not isinstance(name, str) or not _IDENT.fullmatch(name) or name in RESERVED:
            raise ParameterError(f"{where}: {at}: a decision's name must be a plain name (letters, digits, '_'), "
                                 f"not one of {', '.join(RESERVED)}; not {_show(name)}.")  # fmt: skip
        if not isinstance(entry, dict):
            raise ParameterError(f"{where}: {at} must be a mapping with `kind` and `options`; not {_kind(entry)}.")
        _check_keys(f"{where}: {at}", entry, DECISION_KEYS, "decision")
        kind = entry.get("kind", name if name in KINDS else None)
        if kind not in KINDS:
            close = difflib.get_close_matches(str(kind), KINDS, 1, 0.6)
            raise ParameterError(f"{where}: {at}.kind: unknown kind {_show(kind)}"
                                 f"{f'; did you mean {close[0]!r}?' if close else '.'} Kinds: "
                                 f"{', '.join(KINDS)}.")  # fmt: skip
        if kind in seen and kind not in REPEATABLE:
            raise ParameterError(f"{where}: {at}: there is already a `{kind}` decision ({seen[kind]!r}); one decision "
                                 f"of this kind per file (several only for {', '.join(REPEATABLE)}).")  # fmt: skip
        seen[kind] = name
        raw_options = _options(where, name, kind, entry.get("options"))
        checked = {label: _check_option(spec, where, f"{at}.options.{label}", kind, value)
                   for label, value in raw_options.items()}  # fmt: skip
        spec.kinds[name] = kind
        spec.options[name] = checked
        spec.decisions[name] = list(checked)
    if "exclusions" in seen and spec.aggregate:
        raise ParameterError(f"{where}: decisions.{seen['exclusions']}: exclusion rules apply to the rows as read, "
                             "so they cannot be a decision of an aggregated table (`aggregate`); the codebook's "
                             "rules apply. Remove one of them.")  # fmt: skip
    if "weights" in seen and not spec.design:
        raise ParameterError(f"{where}: decisions.{seen['weights']}: the codebook declares no sample design (no "
                             "variable with role weight, strata or psu), so there is nothing to weight by. Give the "
                             "weight column `role: weight` in the codebook, or remove the decision.")  # fmt: skip


def _check_option(spec: MultiverseSpec, where: str, at: str, kind: str, value):
    """The checked definition of one option of a decision of `kind`."""
    if kind in ("outcome", "predictor"):
        return _check_column(spec, where, at, value)
    if kind == "min_answered":
        if not _number(value) or not 0 < value <= 1:
            raise ParameterError(f"{where}: {at}: a minimum share of items answered must be in (0, 1], e.g. 0.8; "
                                 f"not {_kind(value)}.")  # fmt: skip
        return float(value)
    if kind == "weights":
        if not isinstance(value, bool):
            raise ParameterError(f"{where}: {at}: a weights option is true (weighted by the codebook's design) or "
                                 f"false; not {_kind(value)}.")  # fmt: skip
        return value
    if kind == "covariates":
        value = [] if value is None else value
        if not isinstance(value, list):
            raise ParameterError(f"{where}: {at}: a covariate set is a list of columns ([] for none), e.g. "
                                 f"[age, gender]; not {_kind(value)}.")  # fmt: skip
        return [_check_column(spec, where, at, c) for c in value]
    if kind == "subset":
        if value is None or value == "all":
            return {}
        if not isinstance(value, dict):
            raise ParameterError(f"{where}: {at}: a subset is `all` or a mapping of column to condition, e.g. "
                                 "{year: {min: 1990}, sex: female}; not " + _kind(value) + ".")  # fmt: skip
        out = {}
        for col, cond in value.items():
            if col not in spec.columns and col not in spec.derived:
                raise _column_error(spec, where, at, col)
            if isinstance(cond, dict):
                _check_keys(f"{where}: {at}.{col}", cond, SUBSET_KEYS, "condition")
                for k in ("min", "max"):
                    if k in cond and not _number(cond[k]):
                        raise ParameterError(f"{where}: {at}.{col}.{k} must be a number; not {_kind(cond[k])}.")
                for k in ("in", "not_in"):
                    if k in cond and not isinstance(cond[k], list):
                        raise ParameterError(f"{where}: {at}.{col}.{k} must be a list of values; not "
                                             f"{_kind(cond[k])}.")  # fmt: skip
            elif isinstance(cond, list):
                cond = {"in": cond}
            elif cond is None:
                raise ParameterError(f"{where}: {at}.{col}: give a value, a list of values or {{min:, max:}}.")
            else:
                cond = {"in": [cond]}
            out[col] = cond
        return out
    if kind == "exclusions":
        if value in ("codebook", "none"):
            return value
        if not isinstance(value, dict):
            raise ParameterError(f"{where}: {at}: an exclusion option is `codebook` (the codebook's rules), `none`, "
                                 "or a mapping of rules changed from the codebook's, e.g. {min_duration: 300, "
                                 f"attention_check: false}}; not {_kind(value)}.")  # fmt: skip
        for rule, setting in value.items():
            if rule not in EXCLUSION_RULES:
                close = difflib.get_close_matches(str(rule), EXCLUSION_RULES, 1, 0.6)
                raise ParameterError(f"{where}: {at}: unknown exclusion rule {_show(rule)}"
                                     f"{f' (did you mean {close[0]!r}?)' if close else ''}; rules: "
                                     f"{', '.join(EXCLUSION_RULES)} (docs/codebook.md).")  # fmt: skip
            text, ok = EXCLUSION_RULES[rule]
            if setting is not None and not ok(setting):
                raise ParameterError(f"{where}: {at}.{rule} must be {text} (or null: rule off); not "
                                     f"{_show(setting)}.")  # fmt: skip
        return dict(value)
    # model
    if isinstance(value, str):
        value = {"family": value}
    if not isinstance(value, dict) or "family" not in value:
        raise ParameterError(f"{where}: {at}: a model option is a family name ({', '.join(FAMILIES)}) or a mapping "
                             f"with `family` and its parameters, e.g. {{family: ols, robust: HC3}}; "
                             f"not {_kind(value)}.")  # fmt: skip
    family = value["family"]
    if family not in FAMILIES:
        close = difflib.get_close_matches(str(family), FAMILIES, 1, 0.6)
        raise ParameterError(f"{where}: {at}.family: unknown model family {_show(family)}"
                             f"{f' (did you mean {close[0]!r}?)' if close else ''}; families: "
                             f"{', '.join(FAMILIES)}.")  # fmt: skip
    params = {k: v for k, v in value.items() if k != "family"}
    _check_keys(f"{where}: {at}", params, tuple(FAMILIES[family]), f"{family} model")
    params = {**FAMILIES[family], **params}
    _check_params(spec, where, at, family, params)
    return {"family": family, **params}


def _check_params(spec: MultiverseSpec, where: str, at: str, family: str, params: dict) -> None:
    def bad(key, text):
        raise ParameterError(f"{where}: {at}.{key} must be {text}; not {_kind(params[key])}.")

    if family == "ols" and params["robust"] not in (None, "HC3", "cluster"):
        bad("robust", "null (classical), HC3 or cluster (by the codebook's dyad_id column)")
    if family == "ols" and params["robust"] == "cluster" and not spec.roles.get("dyad_id"):
        raise ParameterError(f"{where}: {at}.robust: cluster-robust errors need a dyad (cluster) column; the "
                             "codebook's table has no variable with role dyad_id.")  # fmt: skip
    if family == "ordinal" and params["link"] not in ("logit", "probit"):
        bad("link", "logit or probit")
    if family == "tobit":
        for k in ("left", "right"):
            if params[k] is not None and not _number(params[k]):
                bad(k, "a number or null (no censoring)")
    if family == "apim":
        if params["effect"] not in ("actor", "partner"):
            bad("effect", "actor or partner")
        if params["model"] not in ("indistinguishable", "interaction"):
            bad("model", "indistinguishable or interaction")
        if not spec.roles.get("dyad_id") or not spec.roles.get("partner_role"):
            raise ParameterError(f"{where}: {at}: the APIM needs the dyad id and the partner column: the codebook's "
                                 f"table {spec.table!r} needs variables with role dyad_id and partner_role.")
    if family == "mixed":
        if not isinstance(params["random"], str) or "~" not in params["random"]:
            bad("random", "a random-effects formula such as '~ 1'")
        if not isinstance(params["dyad"], bool):
            bad("dyad", "true (a couple-level random intercept) or false")
        if params["dyad"] and not spec.roles.get("dyad_id"):
            raise ParameterError(f"{where}: {at}.dyad: the codebook's table has no variable with role dyad_id.")
        if not _person_column(spec):
            raise ParameterError(f"{where}: {at}: a mixed model needs the person id: a variable with role id in the "
                                 "codebook, or a derived `group` column named in `aggregate.by` / `resample_by`.")
    if family == "mediation":
        _check_column(spec, where, f"{at}.mediator", params["mediator"])
        n_boot = params["n_boot"]
        if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 100:
            bad("n_boot", "a whole number of bootstrap resamples >= 100 (kept modest: each spec is one mediation)")
        if isinstance(params["seed"], bool) or not isinstance(params["seed"], int):
            bad("seed", "a whole number")


def _person_column(spec: MultiverseSpec) -> str | None:
    """The person id: the codebook's id role, else a derived group id used as the resampling unit."""
    if spec.roles.get("id"):
        return spec.roles["id"]
    for col in (spec.resample_by, (spec.aggregate or {}).get("by")):
        if col in spec.derived and "group" in spec.derived[col]:
            return col
    return None


def _read_effect(spec: MultiverseSpec, where: str, effect) -> None:
    effect = {} if effect is None else effect
    if not isinstance(effect, dict):
        raise ParameterError(f"{where}: `effect` must be a mapping, e.g. effect: {{outcome: happy_score, predictor: "
                             f"married, label: Married vs. not}}; not {_kind(effect)}.")  # fmt: skip
    _check_keys(f"{where}: effect", effect, EFFECT_KEYS, "effect")
    out = {"label": str(effect.get("label") or ""), "direction": effect.get("direction")}
    if out["direction"] not in (None, "positive", "negative"):
        raise ParameterError(f"{where}: effect.direction must be positive or negative (a direction predicted in "
                             "advance: one-sided tests), or left out (two-sided); not "
                             f"{_kind(out['direction'])}.")  # fmt: skip
    for role in ("outcome", "predictor"):
        decided = [d for d, k in spec.kinds.items() if k == role]
        if decided and effect.get(role) is not None:
            raise ParameterError(f"{where}: effect.{role} is given, but decision {decided[0]!r} also chooses the "
                                 f"{role}; keep one of them.")  # fmt: skip
        if not decided and effect.get(role) is None:
            raise ParameterError(f"{where}: the {role} is not given: write effect: {{{role}: <column>}}, or add a "
                                 f"decision of kind {role} with the candidates.")  # fmt: skip
        out[role] = _check_column(spec, where, f"effect.{role}", effect[role]) if effect.get(role) else None
    if not out["label"]:
        out["label"] = f"{out['predictor'] or 'predictor'} on {out['outcome'] or 'outcome'}"
        if spec.standardize:
            out["label"] += f" ({' and '.join(spec.standardize)} standardized)"
    spec.effect = out


def _read_incompatible(spec: MultiverseSpec, where: str, rules) -> None:
    if rules is None:
        return
    if not isinstance(rules, list):
        raise ParameterError(f"{where}: `incompatible` must be a list of rules, e.g. incompatible: [{{rule: logit "
                             f"needs the binary outcome, when: {{model: logit, outcome: [happy_3]}}}}]; "
                             f"not {_kind(rules)}.")  # fmt: skip
    for i, entry in enumerate(rules, 1):
        at = f"incompatible[{i}]"
        if not isinstance(entry, dict):
            raise ParameterError(f"{where}: {at} must be a mapping with `rule` and `when`; not {_kind(entry)}.")
        _check_keys(f"{where}: {at}", entry, ("rule", "when"), "rule")
        rule, when = entry.get("rule"), entry.get("when")
        if not isinstance(rule, str) or not rule.strip():
            raise ParameterError(f"{where}: {at}.rule must say why the combination cannot be fitted (text); "
                                 f"not {_kind(rule)}.")  # fmt: skip
        if not isinstance(when, dict) or not when:
            raise ParameterError(f"{where}: {at}.when must map decisions to the option(s) that together cannot be "
                                 f"fitted, e.g. when: {{model: apim, weights: weighted}}; not {_kind(when)}.")
        checked = {}
        for decision, labels in when.items():
            if decision not in spec.decisions:
                raise ParameterError(f"{where}: {at}.when: {_show(decision)} is not a decision; decisions: "
                                     f"{', '.join(spec.decisions)}.")  # fmt: skip
            labels = [_label(v) for v in (labels if isinstance(labels, list) else [labels])]
            if decision in spec.kinds and spec.kinds[decision] == "weights":
                labels = [{"true": "weighted", "false": "unweighted"}.get(v, v) for v in labels]
            for label in labels:
                if label not in spec.decisions[decision]:
                    raise ParameterError(f"{where}: {at}.when.{decision}: {label!r} is not an option of "
                                         f"{decision!r}; options: {', '.join(map(repr, spec.decisions[decision]))}.")
            checked[decision] = labels
        spec.incompatible.append((rule.strip(), checked))


def _check_combinations(spec: MultiverseSpec, where: str) -> None:
    """A combination that cannot be fitted must be declared: name the first one that is not."""
    for choice in spec._combinations():
        if spec._incompatible_reason(choice):
            continue
        problem = _impossible(spec, choice)
        if problem:
            pairs = ", ".join(f"{d}: {label}" for d, label in choice.items() if d in problem[1])
            raise ParameterError(f"{where}: the combination {{{pairs}}} cannot be fitted ({problem[0]}), and no rule "
                                 "under `incompatible` declares it. Declare it, e.g.\nincompatible:\n  - rule: "
                                 f"{problem[0]}\n    when: {{{pairs}}}")  # fmt: skip


def _impossible(spec: MultiverseSpec, choice: dict):
    """(why, decisions involved) when `choice` cannot be fitted whatever the data, else None."""
    by_kind = {spec.kinds[d]: d for d in choice}
    model = (spec._choice_kind(choice, "model") or [{"family": "ols", **FAMILIES["ols"]}])[0]
    family = model["family"]
    weighted = any(spec._choice_kind(choice, "weights"))
    involved = [by_kind.get("model"), by_kind.get("weights")]
    if weighted and family not in WEIGHTED_FAMILIES:
        return f"{family} has no design-based (weighted) fit", involved
    if weighted and family == "ols" and model.get("robust"):
        return "weighted OLS has design-based standard errors; robust does not apply", involved
    outcome = (spec._choice_kind(choice, "outcome") or [spec.effect["outcome"]])[0]
    predictor = (spec._choice_kind(choice, "predictor") or [spec.effect["predictor"]])[0]
    covs = [c for s in spec._choice_kind(choice, "covariates") for c in s]
    if outcome == predictor:
        return "the outcome is the predictor", [by_kind.get("outcome"), by_kind.get("predictor")]
    if outcome in covs or predictor in covs:
        return "a covariate is the outcome or the predictor", [by_kind.get(k) for k in ("covariates", "outcome",
                                                                                            "predictor")]
    if family == "mediation" and model["mediator"] in (outcome, predictor, *covs):
        return "the mediator is the outcome, the predictor or a covariate", [by_kind.get("model")]
    return None


# ---------------------------------------------------------------------------------------------
# Definitions: what one specification fits, in the columns of the prepared frame
# ---------------------------------------------------------------------------------------------


def _ma_tag(value: float) -> str:
    return f"ma{round(value * 100):d}"


def _frame_column(spec: MultiverseSpec, name: str, min_answered: float) -> str:
    """The prepared frame's column of `name` under a minimum share answered (scores and aggregated
    means depend on it; with no min_answered decision, one version under the file's default)."""
    if name is None:
        return None
    varies = name in spec.scores or (spec.aggregate is not None and name in _aggregated(spec))
    if varies and any(k == "min_answered" for k in spec.kinds.values()):
        return f"{name}__{_ma_tag(min_answered)}"
    return name


def _aggregated(spec: MultiverseSpec) -> set:
    """Columns averaged over the rows of a group (not constant ids)."""
    return {c for c in _model_columns(spec) if c not in _id_columns(spec).values()}


def _model_columns(spec: MultiverseSpec) -> list:
    """Every column a specification may enter into a model (outcome, predictor, covariates, mediator)."""
    cols = [spec.effect.get("outcome"), spec.effect.get("predictor")]
    for d, kind in spec.kinds.items():
        for value in spec.options[d].values():
            if kind in ("outcome", "predictor"):
                cols.append(value)
            elif kind == "covariates":
                cols += value
            elif kind == "model" and value["family"] == "mediation":
                cols.append(value["mediator"])
    out = [c for c in dict.fromkeys(cols) if c]
    for c in list(out):  # the partner's column of a pairwise APIM predictor (x_A -> x_P)
        if c.endswith("_A") and _partner_name(spec, c):
            out.append(_partner_name(spec, c))
    return list(dict.fromkeys(out))


def _partner_name(spec: MultiverseSpec, column: str) -> str | None:
    other = column[:-2] + "_P"
    return other if other in spec.columns or other in spec.derived else None


def _id_columns(spec: MultiverseSpec) -> dict:
    """{role: column} of the ids the models and the resampling use."""
    out = {}
    if spec.roles.get("dyad_id"):
        out["dyad"] = spec.roles["dyad_id"]
    if spec.roles.get("partner_role"):
        out["partner"] = spec.roles["partner_role"]
    person = _person_column(spec)
    if person:
        out["person"] = person
    return out


def _definition(spec: MultiverseSpec, choice: dict) -> dict:
    ma = (spec._choice_kind(choice, "min_answered") or [spec.min_answered])[0]
    model = (spec._choice_kind(choice, "model") or [{"family": "ols", **FAMILIES["ols"]}])[0]
    outcome = (spec._choice_kind(choice, "outcome") or [spec.effect["outcome"]])[0]
    predictor = (spec._choice_kind(choice, "predictor") or [spec.effect["predictor"]])[0]
    covs = list(dict.fromkeys(c for s in spec._choice_kind(choice, "covariates") for c in s))
    keep = [f"_keep__{d}__{spec.decisions[d].index(choice[d])}" for d, k in spec.kinds.items()
            if k == "exclusions"]  # fmt: skip
    keep += [f"_subset__{d}__{spec.decisions[d].index(choice[d])}" for d, k in spec.kinds.items()
             if k == "subset" and spec.options[d][choice[d]]]  # fmt: skip
    ids = _id_columns(spec)
    weighted = bool(any(spec._choice_kind(choice, "weights")))
    params = {k: v for k, v in model.items() if k != "family"}
    family = model["family"]
    x = _frame_column(spec, predictor, ma)
    definition = {"family": family, "params": params, "y": _frame_column(spec, outcome, ma), "x": x,
                  "covariates": [_frame_column(spec, c, ma) for c in covs], "keep": keep, "weights": weighted,
                  "design": dict(spec.design) if weighted else None, "term": x, "mediator": None,
                  "dyad": None, "person": None, "partner": None, "x_partner": None}  # fmt: skip
    if family == "ols" and params.get("robust") == "cluster":
        definition["dyad"] = ids.get("dyad")
    if family == "apim":
        definition.update(dyad=ids["dyad"], partner=ids["partner"])
        partner_col = _partner_name(spec, predictor) if predictor.endswith("_A") else None
        if partner_col:  # pairwise layout: x_A and x_P are columns
            definition["x_partner"] = _frame_column(spec, partner_col, ma)
            definition["term"] = x if params["effect"] == "actor" else definition["x_partner"]
        else:
            definition["term"] = f"{x}_A" if params["effect"] == "actor" else f"{x}_P"
    if family == "mixed":
        definition.update(person=ids.get("person"), dyad=ids.get("dyad") if params["dyad"] else None)
    if family == "mediation":
        definition["mediator"] = _frame_column(spec, params["mediator"], ma)
    standardize = [r for r in spec.standardize if r == "predictor" or family in LINEAR_FAMILIES]
    if standardize:  # only then: the definitions of files without it stay as they were
        definition["standardize"] = standardize
    return definition


# ---------------------------------------------------------------------------------------------
# The prepared data
# ---------------------------------------------------------------------------------------------


def prepare_multiverse_data(spec) -> tuple[pd.DataFrame, str]:
    """Load the data once and make the frame every specification is fitted on.

    Parameters
    ----------
    spec : MultiverseSpec or str or Path or dict
        A checked specification (`read_multiverse`), or what it takes.

    Returns
    -------
    frame : pandas.DataFrame
        One row per row of the table (all rows read when an ``exclusions`` decision exists,
        else the rows the codebook's rules keep; one row per group with ``aggregate``), index
        0..n-1, with only the columns the grid needs: each model column (numbers as float,
        text as categorical), each instrument score once per ``min_answered`` option (named
        ``<score>__ma<percent>``), one boolean column per exclusion option
        (``_keep__<decision>__<i>``) and per subset option (``_subset__<decision>__<i>``), the
        ids as integer codes (no identifying values), the design columns when weights are a
        decision, and ``_cluster`` (the resampling unit as integer codes 0..G-1).
    data_hash : str
        16 hex digits: SHA-256 of the frame's column names, types and values.

    Raises
    ------
    DataError, CodebookError
        As `load_dataset` and `score_instruments`.

    Notes
    -----
    Exclusion options are applied with the codebook's own rules (`analysis.data.ledger`) to
    every row read, so each option's rows are the rows `load_dataset` keeps under those rules
    (rows with an invalid design value are always out). Scores are `score_instruments` on
    every row, with the option's `min_answered`. With ``aggregate: {by: col}`` each group's
    rows (those the codebook's rules keep) become one row: model columns are the mean of the
    group's values, missing unless at least `min_answered` of the group's rows have a value.
    Memoized on the `MultiverseSpec` object.

    Examples
    --------
    >>> import tempfile
    >>> from analysis import write_demo_survey
    >>> from analysis.claims.multiverse_spec import prepare_multiverse_data, read_multiverse
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     spec = read_multiverse({"data": write_demo_survey(tmp, n_couples=30, seed=1), "table": "survey",
    ...                             "effect": {"outcome": "csi_16_total", "predictor": "cpi_total"},
    ...                             "decisions": {"ma": {"kind": "min_answered", "options": [0.5, 1.0]},
    ...                                           "excl": {"kind": "exclusions",
    ...                                                    "options": {"codebook": "codebook", "none": "none"}}}})
    ...     frame, data_hash = prepare_multiverse_data(spec)
    >>> sorted(c for c in frame.columns if c.startswith(("csi", "_keep")))  # doctest: +NORMALIZE_WHITESPACE
    ['_keep__excl__0', '_keep__excl__1', 'csi_16_total__ma100', 'csi_16_total__ma50']
    >>> bool(len(frame) == frame["_keep__excl__1"].sum() > frame["_keep__excl__0"].sum()), len(data_hash)
    (True, 16)
    """
    if not isinstance(spec, MultiverseSpec):
        spec = read_multiverse(spec)
    if spec._prepared is None:
        frame = _build_frame(spec)
        spec._prepared = (frame, frame_hash(frame))
    return spec._prepared


def frame_hash(frame: pd.DataFrame) -> str:
    """16 hex digits of SHA-256 over a frame's column names, types (with categories) and values."""
    digest = hashlib.sha256()
    for col in frame.columns:
        dtype = frame[col].dtype
        digest.update(f"{col}\0{dtype}\0".encode())
        if isinstance(dtype, pd.CategoricalDtype):
            digest.update(json.dumps([str(c) for c in dtype.categories]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def _build_frame(spec: MultiverseSpec) -> pd.DataFrame:
    dataset = load_dataset(spec.data, codebook=spec.codebook, data_root=spec.data_root)
    table = spec.table
    variables = dataset.variables(table)
    exclusion_decisions = [d for d, k in spec.kinds.items() if k == "exclusions"]
    if exclusion_decisions:
        base = dataset.rows_read(table)
        ledger = dataset.ledger[dataset.ledger["table"] == table].set_index("row")
        invalid = ledger["reason"].isin(["invalid_value", "invalid_design"]).reindex(base.index).fillna(False)
        base = base[~invalid.to_numpy(bool)]
    else:
        base = dataset.table(table)
    base = _with_derived(spec, base)
    out = {}
    for d in exclusion_decisions:
        for i, (_label, option) in enumerate(spec.options[d].items()):
            out[f"_keep__{d}__{i}"] = _exclusion_mask(spec, base, variables, option)
    ma_options = next((list(spec.options[d].values()) for d, k in spec.kinds.items() if k == "min_answered"), None)
    varied = ma_options is not None
    ma_values = ma_options or [spec.min_answered]
    model_cols = _model_columns(spec)
    ids = _id_columns(spec)
    if spec.aggregate:
        return _aggregated_frame(spec, base, model_cols, ids, ma_values, varied)
    scores_needed = [c for c in model_cols if c in spec.scores]
    for ma in ma_values:
        scored = _scores(dataset, table, base, scores_needed, ma)
        for c in scores_needed:
            out[f"{c}__{_ma_tag(ma)}" if varied else c] = scored[c]
    for c in model_cols:
        if c not in spec.scores:
            out[c] = base[c]
    frame = pd.DataFrame(out, index=base.index)
    frame = _add_subsets(spec, frame, base)
    frame = _add_ids(spec, frame, base, ids)
    if any(k == "weights" for k in spec.kinds.values()):
        for c in design_column_names(spec.design):
            frame[c] = base[c]
    return _finish(spec, frame)


def _with_derived(spec: MultiverseSpec, base: pd.DataFrame) -> pd.DataFrame:
    new = {}
    for name, entry in spec.derived.items():
        source = base.assign(**new)
        if "group" in entry:
            keys = source[entry["group"]].astype("string").fillna("\0missing")
            joined = keys.agg("\x1f".join, axis=1) if len(entry["group"]) > 1 else keys.iloc[:, 0]
            codes, _ = pd.factorize(joined, sort=True)
            new[name] = pd.Series(codes.astype(float), index=base.index)
            continue
        values = source[entry["from"]]
        if entry.get("rank"):
            if not (isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered):
                raise ParameterError(f"{spec.where}: derived.{name}.rank: {entry['from']!r} is not an ordered "
                                     "categorical (codebook `ordered: true`); use recode instead.")  # fmt: skip
            new[name] = values.cat.codes.where(values.notna()).astype(float) + 1
        elif entry.get("recode") is not None:
            mapping = {str(k): (np.nan if v is None else float(v)) for k, v in entry["recode"].items()}
            text = values.astype("string")
            unknown = sorted(set(text.dropna().unique()) - set(mapping))
            if unknown:
                raise ParameterError(f"{spec.where}: derived.{name}.recode has no number for the value(s) "
                                     f"{', '.join(map(repr, unknown[:6]))} of {entry['from']!r}; map every value "
                                     "(null: missing).")  # fmt: skip
            new[name] = text.map(mapping).astype(float)
        else:
            new[name] = values
    return base.assign(**new) if new else base


def _exclusion_mask(spec: MultiverseSpec, base: pd.DataFrame, variables: dict, option) -> np.ndarray:
    if option == "none":
        rules = {"duplicate_id": "none", "attention_check": False}
    else:
        rules = dict(spec.codebook_exclusions)
        if isinstance(option, dict):
            rules.update(option)
    if rules.get("straight_lining") is None:
        rules.pop("straight_lining", None)
    if "duplicate_id" in rules and rules["duplicate_id"] is None:
        rules["duplicate_id"] = "none"  # null switches a rule off (the ledger's default would keep the first)
    reasons = pd.Series(pd.NA, index=base.index, dtype="string")
    details = pd.Series(pd.NA, index=base.index, dtype="string")
    row_reasons = pd.Series(pd.NA, index=base.index, dtype="string")
    row_details = pd.Series(pd.NA, index=base.index, dtype="string")
    _row_exclusions(base, variables, rules, row_reasons, row_details)
    key = [c for c in (spec.roles.get("id"), spec.roles.get("day")) if c] if spec.roles.get("id") else []
    keys = base[key] if key else None
    dyads = base[spec.roles["dyad_id"]] if rules.get("complete_dyads") and spec.roles.get("dyad_id") else None
    _table_exclusions(keys, dyads, variables, rules, reasons, details, row_reasons, row_details)
    return reasons.isna().to_numpy(bool)


def _scores(dataset, table: str, base: pd.DataFrame, needed: list, ma: float) -> pd.DataFrame:
    if not needed:
        return pd.DataFrame(index=base.index)
    instruments = dataset.instruments(table)
    keys = sorted({_instrument_key(c, instruments) for c in needed})
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scored = score_instruments(base, instruments={k: instruments[k] for k in keys}, min_answered=ma,
                                   ranges=dataset.item_ranges(table))  # fmt: skip
    return scored


def _instrument_key(score: str, instruments: dict) -> str:
    return max((k for k in instruments if score.startswith(k + "_")), key=len)


def _subset_mask(base: pd.DataFrame, conditions: dict) -> np.ndarray:
    mask = np.ones(len(base), dtype=bool)
    for col, cond in conditions.items():
        values = base[col]
        numeric = pd.api.types.is_numeric_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype)
        num = values.astype(float) if numeric else None
        if "min" in cond:
            mask &= (num >= cond["min"]).fillna(False).to_numpy(bool) if numeric else False
        if "max" in cond:
            mask &= (num <= cond["max"]).fillna(False).to_numpy(bool) if numeric else False
        for key, want in (("in", True), ("not_in", False)):
            if key in cond:
                if numeric:
                    hit = values.astype(float).isin([float(v) for v in cond[key] if _number(v)])
                else:
                    hit = values.astype("string").isin([str(v) for v in cond[key]])
                hit = hit.fillna(False).to_numpy(bool)
                mask &= hit if want else (~hit & values.notna().to_numpy(bool))
    return mask


def _add_subsets(spec: MultiverseSpec, frame: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    extra = {}
    for d, k in spec.kinds.items():
        if k != "subset":
            continue
        for i, conditions in enumerate(spec.options[d].values()):
            if conditions:
                extra[f"_subset__{d}__{i}"] = _subset_mask(base, conditions)
    return frame.assign(**extra) if extra else frame


def _add_ids(spec: MultiverseSpec, frame: pd.DataFrame, base: pd.DataFrame, ids: dict) -> pd.DataFrame:
    """Ids as integer codes (float, NaN when missing) and `_cluster`, the resampling unit."""
    extra = {}
    for col in ids.values():
        codes, _ = pd.factorize(base[col], sort=True)
        extra[col] = np.where(codes < 0, np.nan, codes.astype(float))
    by = spec.resample_by
    if by is None:
        repeated = "person" in ids and bool(base[ids["person"]].duplicated().any())
        by = ids.get("dyad") or (ids.get("person") if "person" in ids and (spec.roles.get("day") or repeated)
                                 else None) or "rows"  # fmt: skip
    if by == "rows":
        cluster = np.arange(len(base))
    else:
        if by not in base.columns:
            raise ParameterError(f"{spec.where}: resample_by: {by!r} is not a column of table {spec.table!r} "
                                 "(or `rows`).")  # fmt: skip
        codes, _ = pd.factorize(base[by], sort=True)
        cluster = codes.copy()
        missing = codes < 0
        cluster[missing] = codes.max() + 1 + np.arange(missing.sum())  # a row without a cluster is its own
    extra["_cluster"] = cluster.astype(np.int64)
    return frame.assign(**extra)


def _aggregated_frame(spec, base, model_cols, ids, ma_values, varied) -> pd.DataFrame:
    by = spec.aggregate["by"]
    groups = base[by]
    keep_ids = {c for c in ids.values() if c != by}
    out = {}
    first = base.groupby(groups, sort=True).head(1).set_index(by)
    order = first.index
    for c in model_cols:
        values = base[c]
        if not pd.api.types.is_numeric_dtype(values) or isinstance(values.dtype, pd.CategoricalDtype):
            kept = first[c].reindex(order)  # text: the group's first value, under every min_answered
            for name in [c] + ([f"{c}__{_ma_tag(ma)}" for ma in ma_values] if varied else []):
                out[name] = kept.to_numpy()
            continue
        num = values.astype(float)
        grouped = num.groupby(groups, sort=True)
        mean = grouped.mean().reindex(order)
        share = num.notna().groupby(groups, sort=True).mean().reindex(order)
        constant = (grouped.nunique().reindex(order) <= 1).all()
        if constant or not varied:
            ma_list = [None] if constant else ma_values
        else:
            ma_list = ma_values
        for ma in ma_list:
            name = f"{c}__{_ma_tag(ma)}" if (varied and not constant) else c
            col = mean if ma is None else mean.where(share >= ma - 1e-9)
            out[name] = col.to_numpy(float)
            if varied and constant:
                for other in ma_values:
                    out[f"{c}__{_ma_tag(other)}"] = col.to_numpy(float)
    agg_base = first.reset_index()
    frame = pd.DataFrame(out)
    extra_cols = [c for c in keep_ids if c not in frame.columns]
    for c in extra_cols:
        frame[c] = agg_base[c].to_numpy()
    frame[by] = agg_base[by].to_numpy()
    frame = _add_subsets(spec, frame, agg_base)
    frame = _add_ids(spec, frame, agg_base, ids)
    return _finish(spec, frame)


def _finish(spec: MultiverseSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as float64, text as sorted categoricals (levels no row has dropped), masks as bool;
    index 0..n-1."""
    frame = frame.reset_index(drop=True)
    conv = {}
    for c in frame.columns:
        s = frame[c]
        if c.startswith(("_keep__", "_subset__")) or c == "_cluster":
            continue
        if isinstance(s.dtype, pd.CategoricalDtype):
            conv[c] = s.cat.remove_unused_categories()  # a level no row has would be a constant dummy
            continue
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            conv[c] = s.astype("Float64").astype(float) if not pd.api.types.is_float_dtype(s) else s.astype(float)
        else:
            text = s.astype("string")
            conv[c] = pd.Categorical(text, categories=sorted(text.dropna().unique()))
    frame = frame.assign(**conv) if conv else frame
    frame.attrs = {}
    return frame


# ---------------------------------------------------------------------------------------------
# Drafting a specification from a codebook
# ---------------------------------------------------------------------------------------------


def _scale_of(column: str, variables: dict, scores: dict, derived: dict):
    """(lowest, highest) possible value of a drafted candidate: a score's from its instrument's items
    (the codebook's item ranges first) and scoring rule, a column's from the codebook's ``range``, an
    ordered category's rank 1..K; None when unknown."""
    if column in scores:
        key = scores[column]
        ins_id, _, partner = key.rpartition("_p") if re.search(r"_p\d+$", key) else (key, "", "")
        try:
            ins = load_instrument(ins_id)
        except InstrumentError:
            return None
        members = ins.scores[column[len(key) + 1:]]
        ranges = {}
        for col, spec in variables.items():
            same = str(spec.get("partner")) == partner if partner else spec.get("partner") is None
            if spec.get("role") == "item" and spec.get("instrument") == ins_id and same and spec.get("range"):
                ranges[str(spec.get("item", col))] = spec["range"]
        lows = [float(ranges.get(m, [ins.item(m).min])[0]) for m in members]
        highs = [float(ranges.get(m, [0, ins.item(m).max])[1]) for m in members]
        combine = np.mean if ins.scoring == "mean" else np.sum
        return round(float(combine(lows)), 6), round(float(combine(highs)), 6)
    if column in derived:
        values = variables[derived[column]["from"]].get("values") or []
        return (1.0, float(len(values))) if values else None
    bounds = variables.get(column, {}).get("range")
    return (float(bounds[0]), float(bounds[1])) if isinstance(bounds, list) and len(bounds) == 2 else None


def _partner_pair(a: str, b: str) -> bool:
    """Whether two score columns are one score of the two partners of a couple (``x_p1_s``, ``x_p2_s``)."""
    return re.sub(r"_p\d+_", "_p_", a) == re.sub(r"_p\d+_", "_p_", b) and a != b


def draft_multiverse(dataset_path, *, codebook=None, data_root=None) -> dict:
    """Draft a small multiverse for a data set from its codebook's roles.

    Parameters
    ----------
    dataset_path : str or Path
        A data file, data-set folder or codebook (as `load_dataset` takes it).
    codebook : str or Path, optional
        Its codebook (default: found beside the data).
    data_root : str or Path or list, optional
        Extra folders the data may be read from.

    Returns
    -------
    dict
        A specification mapping (the schema of ``docs/multiverse.md``; `read_multiverse` takes
        it): outcome candidates (up to two numeric columns with role ``outcome``, else instrument
        scores), predictor candidates (role ``predictor``, else the other scores; when the only
        scores are one score of both partners of a couple, partner 2's predicts partner 1's;
        scores are those whose items are all in the table), the codebook's
        exclusion rules as an on/off decision (when it has rules that remove rows),
        ``min_answered`` 0.5 / 0.8 / 1.0 when a score is used, covariates none / demographics
        (up to two numeric demographic columns), OLS (cluster-robust by couple when the table
        has a dyad id), and ``standardize: true`` when the outcome (or predictor) candidates
        are on different scales (score or codebook ranges that differ, or are unknown), so that
        the estimates are comparable. At most 48 specifications.

    Raises
    ------
    ParameterError
        When the codebook names no outcome and predictor candidates (no roles, no instruments):
        write a specification file then.

    Examples
    --------
    >>> import tempfile
    >>> from analysis import write_demo_survey
    >>> from analysis.claims.multiverse_spec import draft_multiverse, read_multiverse
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     draft = draft_multiverse(write_demo_survey(tmp, n_couples=30, seed=1))
    ...     n = len(read_multiverse(draft).specifications())
    >>> sorted(draft["decisions"]), n <= 48
    (['covariates', 'exclusions', 'min_answered', 'model', 'outcome', 'predictor'], True)
    """
    data = resolve(dataset_path)
    cb_path = resolve(codebook) if codebook is not None else None
    cb = _codebook_of(str(data), data, cb_path)
    table = next(iter(cb["tables"]))
    for name, tspec in cb["tables"].items():  # the first table with an outcome or instrument items
        roles = {v.get("role") for v in tspec["variables"].values()}
        if roles & {"outcome", "predictor", "item"}:
            table = name
            break
    variables = cb["tables"][table]["variables"]
    score_keys = _score_columns(variables)
    scores = list(score_keys)
    derived = {}

    def numeric(role):
        cols = []
        for c, v in variables.items():
            if v.get("role") != role or not _IDENT.fullmatch(c):
                continue
            if v.get("type") in ("integer", "number"):
                cols.append(c)
            elif v.get("type") == "categorical" and v.get("ordered"):
                derived[f"{c}_rank"] = {"from": c, "rank": True}
                cols.append(f"{c}_rank")
        return cols

    outcomes, predictors = numeric("outcome")[:2], numeric("predictor")[:2]
    if not outcomes and scores:
        outcomes = [s for s in scores if re.search("satisf|total|quality", s)][:2] or scores[-1:]
    if not predictors and scores:
        predictors = [s for s in scores if s not in outcomes][:2]
    if not predictors and len(outcomes) == 2 and _partner_pair(*outcomes):
        outcomes, predictors = outcomes[:1], outcomes[1:]  # one score of both partners: partner 2's predicts 1's
    if not outcomes or not predictors:
        found = ", ".join(outcomes + predictors) or "none"
        raise ParameterError(f"{data}: the codebook names no outcome and predictor candidates (roles outcome / "
                             "predictor, or instrument scores of two constructs; scores found: "
                             f"{found}), so no multiverse can be drafted; give variables role: outcome and "
                             "role: predictor in the codebook, or write a specification file "
                             "(docs/multiverse.md).")  # fmt: skip
    decisions = {"outcome": {"kind": "outcome", "options": outcomes},
                 "predictor": {"kind": "predictor", "options": predictors}}  # fmt: skip
    rules = cb["tables"][table].get("exclusions") or {}
    has = {r for v in variables.values() for r in [v.get("role")]}
    active = [rules.get("attention_check", True) and "attention_check" in has,
              rules.get("min_duration") is not None and "duration" in has,
              bool(rules.get("straight_lining")) and "item" in has,
              rules.get("max_missing_items") is not None and "item" in has,
              rules.get("duplicate_id", "keep_first") != "none" and "id" in has,
              bool(rules.get("complete_dyads")) and "dyad_id" in has]  # fmt: skip
    if any(active):
        decisions["exclusions"] = {"kind": "exclusions", "options": {"codebook": "codebook", "none": "none"}}
    if any(c in scores for c in outcomes + predictors):
        decisions["min_answered"] = {"kind": "min_answered", "options": [0.5, 0.8, 1.0]}
    demo = [c for c, v in variables.items() if v.get("role") == "demographic" and v.get("type") in
            ("integer", "number") and _IDENT.fullmatch(c)][:2]  # fmt: skip
    if demo:
        decisions["covariates"] = {"kind": "covariates", "options": {"none": [], "demographics": demo}}
    dyad = next((c for c, v in variables.items() if v.get("role") == "dyad_id"), None)
    model = {"family": "ols", "robust": "cluster"} if dyad else "ols"
    decisions["model"] = {"kind": "model", "options": {"ols": model}}
    size = math.prod(len(d["options"]) for d in decisions.values())
    while size > 48 and len(decisions["predictor"]["options"]) > 1:
        decisions["predictor"]["options"] = decisions["predictor"]["options"][:1]
        size = math.prod(len(d["options"]) for d in decisions.values())
    one = [d["options"][0] for d in (decisions["predictor"], decisions["outcome"]) if len(d["options"]) == 1]
    label = " on ".join(one) if len(one) == 2 else "predictor on outcome"
    scales = {c: _scale_of(c, variables, score_keys, derived) for c in outcomes + predictors}
    standardize = any(len(cands) > 1 and (None in {scales[c] for c in cands} or len({scales[c] for c in cands}) > 1)
                      for cands in (decisions["outcome"]["options"], decisions["predictor"]["options"]))  # fmt: skip
    out = {"title": f"Drafted multiverse: {cb.get('title') or cb.get('dataset')}", "data": str(data),
           "table": table, "effect": {"label": label + (" (standardized)" if standardize else "")},
           "decisions": decisions, "resamples": 100, "seed": 1}  # fmt: skip
    if standardize:  # candidates on different scales: estimates comparable as standardized coefficients
        out["standardize"] = True
    if cb_path is not None:
        out["codebook"] = str(cb_path)
    if derived:
        out["derived"] = derived
    return out
