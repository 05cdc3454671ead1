"""What a notebook needs from a data set, checked before it runs.

A notebook declares its needs in its metadata, as data (no code)::

    "connectionlab": {
      "needs": ["instruments"],
      "sections": {"invariance": {"needs": ["column:{invariance_group}"]},
                   "dyadic_invariance": {"needs": ["role:dyad_id", "role:partner_role"]}}
    }

and the cells of a section carry the tag ``section:<name>``. ``{name}`` is replaced by the value of
the notebook parameter ``name``; ``{name}|role`` by that value or, when the parameter is None, by
the column with that codebook role (``{dyad}|dyad_id``). Before a notebook runs, the runner loads the data set once and
checks every need: a notebook with an unmet need is *not applicable* (listed with its reason, no
kernel started); a section with an unmet need is replaced by one line saying what it needs, and
the rest of the notebook runs.

The needs (``@{param}`` after a need names the table it is checked in; default: the notebook's
``table`` parameter, else the data set's first table; in a notebook that needs ``round_robin``,
else the first table with the round-robin roles):

=====================  ========================================================================
``instruments``        instrument items (variables with ``role: item`` and ``instrument:``)
``attachment``         an attachment instrument (ECR family) in the items
``instrument:X``       the items of instrument ``X``
``column:X``           a column ``X``
``score:X``            a numeric column or an instrument score named ``X`` (items scored, or a
                       ready-made score variable)
``scores:X``           every name of the list ``X`` is a score (as ``score:``)
``role:R``             a variable with codebook role ``R`` (``dyad_id``, ``partner_role``, ``day``, ...)
``table:X``            a table ``X`` in the data set
``dyads[:X]``          a dyad id (column ``X``, default: the ``dyad_id`` role) with two members in
                       at least one dyad
``roles:X:Y``          column ``X`` holds both values of the list ``Y`` within at least one dyad
``round_robin``        a family round robin: a family id, the rater's role and the rated member's
                       role (``round_robin:F:A:T`` names the columns, default the codebook roles
                       ``family_id``, ``actor_role``, ``target_role``), 3 or 4 roles, and at least
                       one family in which every member rates every other member
``simulated``          the demo generator's data (true values are known)
``design``             a sample design: a variable with role ``weight``, ``strata``, ``psu`` or
                       ``fpc``, or a table ``design`` block naming one (``Dataset.design_columns``)
``multiverse:S:R``     a multiverse to show: the parameter named by ``S`` (a spec file) or ``R`` (a
                       finished ``connlab multiverse`` folder) is set, or one can be drafted from
                       the codebook (`draft_multiverse`: outcome and predictor roles, or instrument
                       items with scores)
=====================  ========================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from analysis.data.codebook import ROUND_ROBIN_ROLES, round_robin_problems, round_robin_table
from analysis.data.dataset import Dataset
from analysis.data.instrument_library import load_instrument
from analysis.exceptions import InstrumentError, ParameterError
from analysis.scoring.attachment import ATTACHMENT_INSTRUMENTS

__all__ = ["Needs", "read_needs", "unmet_needs"]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Needs:
    """The needs of one notebook: its own, and those of each named section."""

    notebook: tuple[str, ...] = ()
    sections: dict[str, tuple[str, ...]] | None = None


def read_needs(metadata: dict, where: str) -> Needs:
    """The ``connectionlab`` needs in a notebook's metadata, checked for form.

    Parameters
    ----------
    metadata : dict
        The notebook's metadata (``nbformat`` node).
    where : str
        The notebook's name, for error messages.

    Returns
    -------
    Needs
        The notebook's needs and its sections' needs.

    Raises
    ------
    ParameterError
        A malformed declaration (not a list of strings, an unknown kind of need, or the wrong
        number of arguments for its kind).
    """
    block = metadata.get("connectionlab", {}) or {}
    sections = {}
    for name, spec in (block.get("sections") or {}).items():
        sections[str(name)] = _need_list(spec.get("needs", []) if isinstance(spec, dict) else spec, where)
    return Needs(_need_list(block.get("needs", []), where), sections)


def _need_list(value, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ParameterError(f"{where}: `connectionlab.needs` must be a list of strings, not {value!r}.")
    for need in value:
        text = need.partition("@")[0]
        kind, _, arg = text.partition(":")
        if kind not in _CHECKS:
            raise ParameterError(f"{where}: unknown need {need!r}; kinds: {', '.join(sorted(_CHECKS))}.")
        given = len(arg.split(":")) if arg else 0
        takes = _CHECKS[kind].__code__.co_argcount - 2  # after (dataset, table)
        optional = len(_CHECKS[kind].__defaults__ or ())
        if not takes - optional <= given <= takes:
            raise ParameterError(f"{where}: need {need!r} takes {takes} argument(s) after `{kind}:`, but {given} "
                                 "were given.")  # fmt: skip
    return tuple(value)


def unmet_needs(needs: tuple[str, ...], dataset: Dataset, parameters: dict) -> list[str]:
    """What of `needs` the data set does not have, as phrases ("a couple (dyad) id (...)").

    Parameters
    ----------
    needs : tuple of str
        Needs as declared (see the module docstring).
    dataset : Dataset
        The loaded data set.
    parameters : dict
        The notebook's effective parameters (defaults with overrides), filling ``{name}``.

    Returns
    -------
    list of str
        One phrase per unmet need; empty when every need is met.
    """
    missing = []
    default = parameters.get("table")
    if default is None and any(n.partition("@")[0].partition(":")[0] == "round_robin" for n in needs):
        default = round_robin_table(dataset.codebook)  # a round-robin notebook looks for its table
    for need in needs:
        text, _, table_ref = need.partition("@")
        kind, _, arg = text.partition(":")
        table, table_param = _resolve(table_ref, parameters) if table_ref else (default, "table")
        if table is None:
            table = next(iter(dataset.tables))
        if table not in dataset.tables:
            missing.append(f"a table {table!r}" + (f" (parameter `{table_param}`)" if table_param else ""))
            continue
        args = [_resolve(part, parameters, dataset, table) for part in arg.split(":")] if arg else []
        phrase = _CHECKS[kind](dataset, table, *args)
        if phrase:
            missing.append(phrase)
    return list(dict.fromkeys(missing))  # a missing table is named once


def _resolve(template: str, parameters: dict, dataset: Dataset | None = None,
             table: str | None = None) -> tuple[object, str | None]:  # fmt: skip
    """A need's argument: ``{name}`` -> (the parameter's value, name); ``{name}|role`` -> the
    parameter's value, or when it is None the column with that codebook role; else (the text, None)."""
    template, _, role = template.partition("|")
    match = _PLACEHOLDER.fullmatch(template)
    if not match:
        return template, None
    value = parameters.get(match.group(1))
    if value is None and role and dataset is not None:
        value = dataset.role_column(table, role)
    return value, match.group(1) if not role else f"{match.group(1)}|{role}"


def _show(value) -> str:
    return ", ".join(map(repr, value)) if isinstance(value, list) else repr(value)


def _from(param: str | None) -> str:
    return f" (parameter `{param.split('|')[0]}`)" if param else ""


def _named(value, param: str | None) -> str:
    """How a phrase names a column: its name and the parameter, or that the parameter is not set
    (and, for ``{name}|role``, that no variable has the role either)."""
    if value is None and param:
        name, _, role = param.partition("|")
        unset = f"parameter `{name}` is not set"
        return f"({unset} and no variable has the codebook role {role})" if role else f"({unset})"
    return f"{_show(value)}{_from(param)}"


def _score_names(dataset: Dataset, table: str) -> set[str]:
    """Columns a notebook can use as scores: numeric variables plus instrument scores."""
    frame = dataset.table(table)
    names = {c for c in frame.columns
             if (pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]))
             or (isinstance(frame[c].dtype, pd.CategoricalDtype) and frame[c].cat.ordered)}  # ranks (score_dataset)
    for ins_id in dataset.instruments(table):
        try:
            ins = load_instrument(ins_id)
        except InstrumentError:
            continue
        names |= {f"{ins.id}_{score}" for score in ins.scores}
    return names


def _check_instruments(dataset, table):
    return None if dataset.instruments(table) else "instrument items (variables with role: item and an instrument)"


def _check_attachment(dataset, table):
    if any(i in ATTACHMENT_INSTRUMENTS for i in dataset.instruments(table)):
        return None
    return f"an attachment instrument ({', '.join(ATTACHMENT_INSTRUMENTS)}) among the items"


def _check_instrument(dataset, table, name):
    value, param = name
    if value in dataset.instruments(table):
        return None
    return f"the items of instrument {_named(value, param)}"


def _check_column(dataset, table, name):
    value, param = name
    if value is not None and value in dataset.table(table).columns:
        return None
    return f"a column {_named(value, param)} in table {table!r}"


def _check_score(dataset, table, name):
    value, param = name
    if isinstance(value, str) and value in _score_names(dataset, table):
        return None
    return f"a score or numeric column {_named(value, param)} in table {table!r}"


def _check_scores(dataset, table, names):
    value, param = names
    wanted = [value] if isinstance(value, str) else list(value or [])
    absent = [n for n in wanted if n not in _score_names(dataset, table)]
    if not absent:
        return None
    return f"the scores {_show(absent)}{_from(param)} in table {table!r}"


_ROLE_TEXT = {"dyad_id": "a couple (dyad) id", "partner_role": "a partner number within the couple",
              "day": "a diary day", "id": "a person id", "family_id": "a family (group) id",
              "actor_role": "the rater's role in a round-robin family",
              "target_role": "the rated member's role in a round-robin family"}  # fmt: skip


def _check_role(dataset, table, role):
    value, _ = role
    if dataset.role_column(table, value):
        return None
    return f"{_ROLE_TEXT.get(value, 'a variable')} (a variable with role: {value} in table {table!r})"


def _check_table(dataset, table, name):
    value, param = name
    return None if value in dataset.tables else f"a table {_named(value, param)}"


def _check_dyads(dataset, table, column=(None, None)):
    dyad, param = column
    dyad = dyad or dataset.role_column(table, "dyad_id")
    if dyad is None or dyad not in dataset.table(table).columns:
        if param:
            return f"couples: a dyad id column {_named(dyad, param)} in table {table!r} and two members per dyad"
        return f"couples: a dyad id (a variable with role: dyad_id in table {table!r}) and two members per dyad"
    sizes = dataset.table(table)[dyad].value_counts()
    if (sizes == 2).any():
        return None
    return f"couples: two members in at least one dyad of {dyad!r}"


def _check_roles(dataset, table, column, values):
    (col, col_param), (wanted, wanted_param) = column, values
    frame = dataset.table(table)
    if col is None or col not in frame.columns:
        return f"a column telling partners apart {_named(col, col_param)}"
    wanted = list(wanted or [])
    if not wanted:
        wanted = list(pd.unique(frame[col].dropna()))[:3]  # the two values present (three: not two roles)
    labels = dataset.value_labels.get(table, {}).get(col, {})
    shown = frame[col].map(lambda v: labels.get(v, v)) if labels else frame[col]
    both = shown.isin(wanted) | frame[col].isin(wanted)  # roles given as codes (-1, 1) or as their labels
    dyad = dataset.role_column(table, "dyad_id")
    if len(wanted) == 2 and dyad is not None:
        if (frame.loc[both, col].groupby(frame.loc[both, dyad]).nunique() == 2).any():
            return None
    elif len(wanted) == 2 and all((shown == v).any() for v in wanted):
        return None
    return (f"couples with one partner of each role {_show(wanted)}{_from(wanted_param)} "
            f"in column {col!r}{_from(col_param)}")  # fmt: skip


def _check_round_robin(dataset, table, family=(None, None), actor=(None, None), target=(None, None)):
    frame = dataset.table(table)
    given = (family, actor, target)
    cols = [value if value is not None or param else dataset.role_column(table, role)
            for (value, param), role in zip(given, ROUND_ROBIN_ROLES, strict=True)]  # fmt: skip
    layout = f"a family round robin (one row per family, rater and member rated) in table {table!r}"
    if any(c is None or c not in frame.columns for c in cols):
        absent = [f"a variable with role: {r}" + (f" (or set `{p.split('|')[0]}`)" if p else "") if c is None
                  else f"a column {c!r}{_from(p)}"
                  for c, (_, p), r in zip(cols, given, ROUND_ROBIN_ROLES, strict=True)
                  if c is None or c not in frame.columns]  # fmt: skip
        return f"{layout}: {', '.join(absent)}"
    problems = round_robin_problems(frame, family=cols[0], actor=cols[1], target=cols[2])
    if problems["family"].isna().any():  # a problem of the whole table: not 3 or 4 roles
        return f"{layout}: {problems.loc[problems['family'].isna(), 'problem'].iloc[0]}"
    if frame[cols[0]].dropna().isin(problems["family"]).all():
        return f"{layout}: a family in {cols[0]!r} in which every member rates every other member"
    return None


def _check_simulated(dataset, table):
    return None if dataset.simulated else "simulated data (true values exist only for the demo generator's data)"


def _check_design(dataset, table):
    if dataset.design_columns(table):
        return None
    return (f"a sample design (a variable with role: weight, strata, psu, fpc or replicate_weight) in table {table!r}; "
            "without one "
            "every estimate is unweighted")  # fmt: skip


def _check_multiverse(dataset, table, spec=(None, None), results=(None, None)):
    if spec[0] or results[0]:
        return None  # a spec file or a finished run names its own data set
    from analysis.claims.multiverse_spec import draft_multiverse  # not .multiverse: no scipy for a check
    from analysis.exceptions import AnalysisError

    what = ("outcome and predictor candidates to draft a multiverse from (codebook roles outcome and predictor, "
            "or instrument items with scores), or a multiverse spec file (parameter `spec`)")  # fmt: skip
    if not dataset.codebook_path:
        return what
    try:
        draft_multiverse(dataset.codebook_path)
    except AnalysisError:
        return what
    return None


_CHECKS = {
    "instruments": _check_instruments, "attachment": _check_attachment, "instrument": _check_instrument,
    "column": _check_column, "score": _check_score, "scores": _check_scores, "role": _check_role,
    "table": _check_table, "dyads": _check_dyads, "roles": _check_roles, "simulated": _check_simulated,
    "round_robin": _check_round_robin, "design": _check_design,
    "multiverse": _check_multiverse,
}  # fmt: skip
