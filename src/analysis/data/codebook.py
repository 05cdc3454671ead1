"""Codebooks: reading a codebook file and checking every entry (types, roles, ranges, codes,
exclusion rules), finding the codebook of a data file, and inferring variables when there is none.

The format is described in ``docs/codebook.md``; drafting a codebook from a data file is in
`analysis.data.codebook_draft`, checking a table against it in `analysis.data.validate`.
"""

from __future__ import annotations

import codecs
import difflib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from analysis._checks import _require_columns
from analysis.data.design import DESIGN_ROLES, check_design_spec
from analysis.data.readers import SEPARATORS, read_table
from analysis.exceptions import CodebookError
from analysis.paths import resolve
from analysis.yaml_files import read_yaml

__all__ = ["read_codebook", "infer_variables", "round_robin_problems", "round_robin_table"]

TYPES = ("integer", "number", "categorical", "string", "boolean")
ROLES = ("id", "dyad_id", "partner_role", "day", "family_id", "actor_role", "target_role", "item", "attention_check",
         "duration", "demographic", "metadata", "daily", "free_text", "pii", "outcome", "predictor", "score",
         "other", *DESIGN_ROLES)  # fmt: skip
#: the roles of a round-robin table (one row per family, rater and person rated), in that order
ROUND_ROBIN_ROLES = ("family_id", "actor_role", "target_role")
#: family members a round robin has (the Social Relations Model needs at least 3)
ROUND_ROBIN_SIZES = (3, 4)
FORMAT_KEYS = {"kind", "encoding", "sep", "decimal", "sheet", "escaped_formulas"}
EXCLUSION_RULES = {
    "duplicate_id": ("one of keep_first, exclude_all, none", lambda v: v in ("keep_first", "exclude_all", "none")),
    "attention_check": ("true or false", lambda v: isinstance(v, bool)),
    "complete_dyads": ("true or false", lambda v: isinstance(v, bool)),
    "max_missing_items": ("a share between 0 and 1, e.g. 0.5",
                          lambda v: _number(v) and 0 <= v <= 1),
    "min_duration": ("a number of seconds, e.g. 300", lambda v: v is None or (_number(v) and v >= 0)),
    "straight_lining": ("false or a number of items >= 2, e.g. 10",
                        lambda v: v is False or v is None or (isinstance(v, int) and not isinstance(v, bool)
                                                              and v >= 2)),
}  # fmt: skip


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


#: keys read at each level (other keys are kept as notes, unless they look like a misspelling)
DATASET_KEYS = ("dataset", "title", "simulated", "description", "citation", "documentation", "generator", "tables",
                "processed_from", "inferred")  # fmt: skip
TABLE_KEYS = ("file", "format", "unit", "variables", "exclusions", "design")
VARIABLE_KEYS = ("type", "role", "label", "values", "ordered", "value_labels", "range", "missing_codes", "na_values",
                 "instrument", "item", "partner", "correct", "keep", "stage")  # fmt: skip
#: keys people write for one we read (found in codebooks from other tools)
_MEANT = {
    "labels": "`label` (the variable's label) or `value_labels` ({code: label})",
    "missing": "`missing_codes`", "missing_values": "`missing_codes`", "levels": "`values`",
    "categories": "`values`", "min": "`range: [low, high]`", "max": "`range: [low, high]`",
    "path": "`file`", "filename": "`file`", "columns": "`variables`",
}  # fmt: skip
#: the rule for `dataset` and table names, which become folder and file names
SAFE_NAME_RULE = ("letters, digits, '_', '-' and '.' only, starting with a letter, digit or '_', without '..', "
                  "at most 100 characters")  # fmt: skip
_SAFE_NAME = re.compile(r"(?!.*\.\.)\w[\w.-]{0,99}")


def is_safe_name(name) -> bool:
    """Whether `name` may become a folder or file name: the rule for ``dataset`` and table names.

    Parameters
    ----------
    name : object
        A data-set or table name as written in a codebook.

    Returns
    -------
    bool
        True for text of letters, digits, ``_``, ``-`` and ``.`` only, starting with a letter,
        digit or ``_``, without ``..`` and at most 100 characters (`SAFE_NAME_RULE`): no path
        separator, no parent folder, nothing hidden.

    Examples
    --------
    >>> from analysis.data.codebook import is_safe_name
    >>> is_safe_name("hcmst_2022"), is_safe_name("wave-1.v2"), is_safe_name("../../x"), is_safe_name("/abs")
    (True, True, False, False)
    """
    return isinstance(name, str) and _SAFE_NAME.fullmatch(name) is not None


def _numeric_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _show(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value) -> str:
    """What a wrongly typed value is, in words."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"true/false ({value!r})"
    if isinstance(value, dict):
        return f"a mapping ({_show(value)})"
    if isinstance(value, list):
        return f"a list ({_show(value)})"
    if isinstance(value, str):
        return f"text ({_show(value)})"
    return f"a number ({_show(value)})"


_YES_NO = ": YAML reads yes, no, on, off (unquoted) as true/false, so write them in quotes, e.g. 'no'"


def _check_keys(where: str, spec: dict, known: tuple[str, ...], level: str) -> None:
    """Unknown keys are notes, except one that looks like a misspelling of a key we read."""
    for key in spec:
        if not isinstance(key, str) or key in known:
            continue
        meant = _MEANT.get(key.lower()) or next((f"`{k}`" for k in difflib.get_close_matches(key, known, 1, 0.8)),
                                                None)  # fmt: skip
        if meant:
            raise CodebookError(f"{where}: unknown {level} key {_show(key)}: did you mean {meant}? Keys of a {level}: "
                                f"{', '.join(known)} (see docs/codebook.md).")  # fmt: skip


def _check_scalars(where: str, key: str, items, example: str, *, bools: bool = True, ranges: bool = False) -> None:
    """`items` is a list of single values (text, numbers, true/false when `bools`)."""
    if not isinstance(items, list):
        raise CodebookError(f"{where}: `{key}` must be a list, e.g. {example}; not {_kind(items)}.")
    for i, item in enumerate(items, 1):
        if ranges and isinstance(item, dict):
            continue  # a {range: [lo, hi]} missing code, checked by the caller
        ok = isinstance(item, str | int | float) and (bools or not isinstance(item, bool))
        if not ok:
            raise CodebookError(f"{where}: `{key}` must be a list of single values (text or numbers), e.g. {example}; "
                                f"entry {i} is {_kind(item)}{_YES_NO if isinstance(item, bool) else ''}.")  # fmt: skip


def _check_variable(where: str, vspec) -> None:
    if not isinstance(vspec, dict) or vspec.get("type") not in TYPES:
        got = vspec.get("type") if isinstance(vspec, dict) else vspec
        raise CodebookError(f"{where}: `type` must be one of {', '.join(TYPES)}, not {_show(got)}.")
    _check_keys(where, vspec, VARIABLE_KEYS, "variable")
    rng = vspec.get("range")
    if rng is not None and not (isinstance(rng, list) and len(rng) == 2 and all(map(_number, rng))
                                and rng[0] <= rng[1]):
        raise CodebookError(f"{where}: `range` must be [low, high] numbers, e.g. range: [18, 100]; not {_show(rng)}.")
    examples = {"values": "values: [1, 2, 3]", "missing_codes": "missing_codes: [-99, 'Prefer not to say']",
                "na_values": "na_values: ['NA', '.']"}  # fmt: skip
    for key, example in examples.items():
        value = vspec.get(key)
        if value is not None and not isinstance(value, list):
            raise CodebookError(f"{where}: `{key}` must be a list, e.g. {key}: [{_show(value)}]; not {_kind(value)}.")
        if value is not None:
            _check_scalars(where, key, value, example, bools=key != "na_values", ranges=key == "missing_codes")
    if vspec["type"] in ("integer", "number"):
        for i, value in enumerate(vspec.get("values") or [], 1):
            if not (_number(value) or (isinstance(value, str) and _numeric_text(value))):
                raise CodebookError(f"{where}: `values` of a{'n' if vspec['type'] == 'integer' else ''} "
                                    f"{vspec['type']} variable must be numbers, e.g. values: [1, 2, 3]; entry {i} is "
                                    f"{_kind(value)}. For text categories write type: categorical.")  # fmt: skip
    for code in vspec.get("missing_codes") or []:
        if isinstance(code, dict) and not (list(code) == ["range"] and isinstance(code["range"], list)
                                           and len(code["range"]) == 2 and all(map(_number, code["range"]))):
            raise CodebookError(f"{where}: a missing-code range is written {{range: [98, 99]}}, not {_show(code)}.")
    role = vspec.get("role")
    if role is not None and role not in ROLES:
        raise CodebookError(f"{where}: `role` must be one of {', '.join(ROLES)}, not {_show(role)}.")
    labels = vspec.get("value_labels")
    if labels is not None:
        if not isinstance(labels, dict):
            raise CodebookError(f"{where}: `value_labels` must be a mapping of code to label, e.g. value_labels: "
                                f"{{1: man, 2: woman}}; not {_kind(labels)}.")  # fmt: skip
        for code, text in labels.items():
            if not isinstance(code, str | int | float):
                raise CodebookError(f"{where}: `value_labels` maps codes (text or numbers) to labels, e.g. {{1: man}}; "
                                    f"the code {_kind(code)} is neither.")  # fmt: skip
            if not isinstance(text, str | int | float):  # true/false: `{1: no, 2: yes}` unquoted, kept as read
                raise CodebookError(f"{where}: the label of {_show(code, 30)} in `value_labels` must be text, e.g. "
                                    f"{{1: man}}; not {_kind(text)}.")  # fmt: skip
    kinds = {"label": ((str,), "text, e.g. label: How satisfied are you?"),
             "instrument": ((str,), "an instrument id (text), e.g. instrument: ecr_s"),
             "item": ((str, int), "the item's id in the instrument (text or a whole number), e.g. item: \"1\""),
             "partner": ((str, int), "which partner's column it is, e.g. partner: 1"),
             "ordered": ((bool,), "true or false"), "keep": ((bool,), "true or false")}  # fmt: skip
    for key, (types, text) in kinds.items():
        value = vspec.get(key)
        if value is not None and (not isinstance(value, types) or (bool not in types and isinstance(value, bool))):
            raise CodebookError(f"{where}: `{key}` must be {text}; not {_kind(value)}.")
    correct = vspec.get("correct")
    if correct is not None:
        _check_scalars(where, "correct", correct if isinstance(correct, list) else [correct],
                       "correct: 6 (or a list of accepted answers, correct: [6, 7])")  # fmt: skip


def _check_exclusions(where: str, rules) -> None:
    if rules is None:
        return
    if not isinstance(rules, dict):
        raise CodebookError(f"{where}: `exclusions` must be a mapping of rules (see docs/codebook.md).")
    for key, value in rules.items():
        if key not in EXCLUSION_RULES:
            raise CodebookError(f"{where}: unknown exclusion rule {_show(key)}; rules: {', '.join(EXCLUSION_RULES)}.")
        text, ok = EXCLUSION_RULES[key]
        if not ok(value):
            raise CodebookError(f"{where}: exclusion rule `{key}` must be {text}; not {_show(value)}.")


def _check_format(where: str, fmt) -> None:
    if fmt is None:
        return
    if not isinstance(fmt, dict) or set(fmt) - FORMAT_KEYS:
        unknown = [_show(k, 40) for k in fmt if k not in FORMAT_KEYS][:3] if isinstance(fmt, dict) else []
        extra = f" (unknown: {', '.join(unknown)})" if unknown else ""
        raise CodebookError(f"{where}: `format` must be a mapping with keys from {sorted(FORMAT_KEYS)}{extra}.")
    kind, encoding, sep, decimal, sheet = (fmt.get(k) for k in ("kind", "encoding", "sep", "decimal", "sheet"))
    if kind is not None and not isinstance(kind, str):
        raise CodebookError(f"{where}: `format.kind` must be a file kind (text), e.g. kind: csv; not {_kind(kind)}.")
    if encoding is not None:
        try:
            known = getattr(codecs.lookup(encoding), "_is_text_encoding", True)  # not e.g. rot13 or base64
        except (LookupError, TypeError, ValueError):
            known = False
        if not known:
            raise CodebookError(f"{where}: `format.encoding` must be a text encoding, e.g. encoding: utf-8 (or "
                                f"cp1252, latin-1, utf-16); not {_kind(encoding)}. Delete it to detect the "
                                "encoding.")  # fmt: skip
    if sep is not None and sep not in SEPARATORS:
        raise CodebookError(f"{where}: `format.sep` must be one of \",\" \";\" \"\\t\" \"|\" (in quotes); not "
                            f"{_kind(sep)}. Delete it to detect the separator.")  # fmt: skip
    if decimal is not None and decimal not in (".", ","):
        raise CodebookError(f"{where}: `format.decimal` must be \".\" or \",\" (in quotes); not {_kind(decimal)}.")
    if sep is not None and sep == decimal:
        raise CodebookError(f"{where}: `format.sep` and `format.decimal` are both {sep!r}; the decimal mark of a "
                            "comma-separated file is \".\".")  # fmt: skip
    if sheet is not None and (not isinstance(sheet, str | int) or isinstance(sheet, bool)):
        raise CodebookError(f"{where}: `format.sheet` must be a sheet name or a position from 0; not {_kind(sheet)}.")
    flag = fmt.get("escaped_formulas")
    if flag is not None and not isinstance(flag, bool):
        raise CodebookError(f"{where}: `format.escaped_formulas` must be true or false; not {_kind(flag)}.")


def _check_table(where: str, table) -> None:
    if not isinstance(table, dict) or "file" not in table or not isinstance(table.get("variables"), dict):
        raise CodebookError(f"{where} needs `file:` and a `variables:` mapping.")
    _check_keys(where, table, TABLE_KEYS, "table")
    file = table["file"]
    if not isinstance(file, str) or not file.strip() or "\0" in file:
        raise CodebookError(f"{where}: `file` must be the data file's path (text), relative to the codebook, e.g. "
                            f"file: survey.csv; not {_kind(file)}.")  # fmt: skip
    unit = table.get("unit")
    if unit is not None and not isinstance(unit, str):
        raise CodebookError(f"{where}: `unit` must be text, e.g. unit: person; not {_kind(unit)}.")
    for var, vspec in table["variables"].items():
        if not isinstance(var, str):
            hint = _YES_NO + ":" if isinstance(var, bool) else f": write it in quotes, e.g. '{var}':"
            raise CodebookError(f"{where}: the variable name {_show(var)} must be text (the column name){hint}")
        _check_variable(f"{where}, variable {_show(var, 80)}", vspec)
    _check_round_robin_roles(where, table["variables"])
    check_design_spec(where, table["variables"], table.get("design"))
    _check_exclusions(where, table.get("exclusions"))
    _check_format(where, table.get("format"))


def _check_round_robin_roles(where: str, variables: dict) -> None:
    """One column per round-robin role; `actor_role` and `target_role` come with each other and a
    `family_id`; their `values`, when listed, are the same 3 or 4 family roles."""
    cols = {r: [c for c, s in variables.items() if s.get("role") == r] for r in ROUND_ROBIN_ROLES}
    for role, names in cols.items():
        if len(names) > 1:
            raise CodebookError(f"{where}: only one column of a table may have role: {role}, but "
                                f"{', '.join(map(repr, names))} have it; keep it on one column.")  # fmt: skip
    if not (cols["actor_role"] or cols["target_role"]):
        return
    absent = [r for r in ROUND_ROBIN_ROLES if not cols[r]]
    if absent:
        have = ", ".join(f"{cols[r][0]!r} (role: {r})" for r in ROUND_ROBIN_ROLES if cols[r])
        what = {"family_id": "the family (group) id", "actor_role": "the rater's role in the family (m, f, ...)",
                "target_role": "the role of the person rated"}  # fmt: skip
        raise CodebookError(f"{where}: a round-robin table (one row per family, rater and person rated) needs the "
                            f"roles {', '.join(ROUND_ROBIN_ROLES)}; it has {have} but no "
                            f"{' and no '.join(f'role: {r} ({what[r]})' for r in absent)}. Give that role to its "
                            "column.")  # fmt: skip
    listed = {r: variables[cols[r][0]].get("values") for r in ("actor_role", "target_role")}
    for role, values in listed.items():
        if values is not None and len(set(map(str, values))) not in ROUND_ROBIN_SIZES:
            raise CodebookError(f"{where}, variable {cols[role][0]!r}: a round robin has 3 or 4 family roles, but "
                                f"`values` lists {len(set(map(str, values)))} ({_show(values)}).")  # fmt: skip
    if None not in listed.values() and set(map(str, listed["actor_role"])) != set(map(str, listed["target_role"])):
        raise CodebookError(f"{where}: the raters ({cols['actor_role'][0]!r}, role: actor_role) and the persons rated "
                            f"({cols['target_role'][0]!r}, role: target_role) must have the same `values`, not "
                            f"{_show(listed['actor_role'])} and {_show(listed['target_role'])}.")  # fmt: skip


def round_robin_table(codebook: dict, *, given: str | None = None) -> str | None:
    """The table of a codebook that is a family round robin: `given` when it is set, else the
    first table with the roles ``family_id``, ``actor_role`` and ``target_role`` (None if none).

    Parameters
    ----------
    codebook : dict
        A codebook as `read_codebook` returns it (``Dataset.codebook``).
    given : str, optional
        A table the user chose (a notebook's ``table`` parameter); returned as it is.

    Returns
    -------
    str or None
        The table name, or None when `given` is None and no table has the three roles.

    Examples
    --------
    >>> from analysis.data.codebook import round_robin_table
    >>> book = {"tables": {"survey": {"variables": {"id": {"type": "integer", "role": "id"}}},
    ...                    "family": {"variables": {"fam": {"type": "integer", "role": "family_id"},
    ...                                             "rater": {"type": "string", "role": "actor_role"},
    ...                                             "rated": {"type": "string", "role": "target_role"}}}}}
    >>> round_robin_table(book), round_robin_table(book, given="survey")
    ('family', 'survey')
    """
    if given is not None:
        return given
    for name, table in codebook.get("tables", {}).items():
        roles = {spec.get("role") for spec in table.get("variables", {}).values() if isinstance(spec, dict)}
        if set(ROUND_ROBIN_ROLES) <= roles:
            return name
    return None


def round_robin_problems(data: pd.DataFrame, *, family: str, actor: str, target: str) -> pd.DataFrame:
    """Every way a round-robin table departs from a full round robin, one problem per row.

    A round robin (Warner, Kenny & Stoto, 1979) has one row per family, rater (actor) and person
    rated (target): in a family of *k* members (3 or 4) each member rates each other member, so
    every family has k(k - 1) rows, one per directed dyad, and nobody rates themselves.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per family, actor and target.
    family : str
        Family id column (codebook role ``family_id``).
    actor : str
        Column with the rater's role in the family (role ``actor_role``), e.g. ``m``, ``f``, ``y``.
    target : str
        Column with the role of the person rated (role ``target_role``), the same values.

    Returns
    -------
    pandas.DataFrame
        One row per problem: ``family`` (the family id; missing for a problem of the whole
        table), ``row`` (index label in `data`; missing for a problem of a whole family),
        ``column``, ``value`` and ``problem`` (what is wrong and how to fix it). Empty when every
        family is a full round robin. The problems: a missing family, actor or target; a member
        rating themselves; the same directed dyad twice in a family; fewer than 3 or more than 4
        family roles in the table; a family without some directed dyads (listed, e.g.
        ``m -> y``).

    Raises
    ------
    DataError
        A column of `family`, `actor`, `target` is not in `data`.

    See Also
    --------
    srm : The Social Relations Model, fitted on the complete families.

    Notes
    -----
    Roles are compared as text (``1`` and ``"1"`` are the same member). A family is complete when
    it has exactly one row for each of the k(k - 1) ordered pairs of the table's k roles; the
    Social Relations Model (Kenny, Kashy & Cook, 2006, ch. 9) uses complete families and lists
    the others.

    References
    ----------
    Kenny, D. A., Kashy, D. A., & Cook, W. L. (2006). *Dyadic data analysis*. Guilford, ch. 9.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.data.codebook import round_robin_problems
    >>> rr = pd.DataFrame({"fam": [1] * 6 + [2] * 5,
    ...                    "rater": list("mmffyy") + list("mmffy"),
    ...                    "rated": list("fymymf") + list("fymyy")})
    >>> round_robin_problems(rr, family="fam", actor="rater", target="rated")[["family", "row", "value"]]
       family   row           value
    0       2    10               y
    1       2  <NA>  y -> f; y -> m
    """
    _require_columns(data, [family, actor, target])
    frame = pd.DataFrame({"family": data[family].to_numpy(), "row": data.index.to_numpy(),
                          "actor": data[actor].astype("string").to_numpy(),
                          "target": data[target].astype("string").to_numpy()})  # fmt: skip
    rows = []  # (position of the family's first row, family, row, column, value, problem)
    first = {f: i for i, f in reversed(list(enumerate(frame["family"])))}

    def add(fam, row, column, value, text):
        rows.append((first.get(fam, -1), fam, row, column, value, text))

    for col, key in ((family, "family"), (actor, "actor"), (target, "target")):
        for i in np.flatnonzero(frame[key].isna().to_numpy()):
            add(frame["family"].iat[i], frame["row"].iat[i], col, None, f"missing {key}: fill it in or drop the row")
    frame = frame.dropna(subset=["family", "actor", "target"])
    roles = sorted(set(frame["actor"]) | set(frame["target"]))
    if len(roles) not in ROUND_ROBIN_SIZES:
        add(pd.NA, pd.NA, f"{actor}, {target}", ", ".join(roles),
            f"a round robin has 3 or 4 family roles, but {actor!r} and {target!r} hold {len(roles)} "
            f"({', '.join(roles)}): check the columns, or recode the roles")  # fmt: skip
    self_rated = (frame["actor"] == frame["target"]).to_numpy(dtype=bool)
    for fam, row, who in frame.loc[self_rated, ["family", "row", "actor"]].itertuples(index=False):
        add(fam, row, target, who, f"the member rates themselves ({who} -> {who}): correct the {target!r} value or "
                                   "drop the row")  # fmt: skip
    frame = frame[~self_rated]
    twice = frame.duplicated(["family", "actor", "target"], keep="first").to_numpy(dtype=bool)
    for fam, row, a, t in frame.loc[twice, ["family", "row", "actor", "target"]].itertuples(index=False):
        add(fam, row, f"{actor}, {target}", f"{a} -> {t}",
            f"the directed dyad {a} -> {t} appears twice in the family: keep one row")  # fmt: skip
    frame = frame[~twice]
    if len(roles) in ROUND_ROBIN_SIZES:
        wanted = {f"{a} -> {t}" for a in roles for t in roles if a != t}
        pairs = (frame["actor"] + " -> " + frame["target"]).groupby(frame["family"], sort=False).agg(set)
        for fam, have in pairs.items():
            lacking = sorted(wanted - have)
            if lacking:
                many = "s" if len(lacking) > 1 else ""
                add(fam, pd.NA, f"{actor}, {target}", "; ".join(lacking),
                    f"the family lacks the directed dyad{many} {', '.join(lacking)}: add the rating{many}, or "
                    "leave the family out (the model does)")  # fmt: skip
    out = pd.DataFrame(rows, columns=["_first", "family", "row", "column", "value", "problem"])
    out["row"] = out["row"].astype("object")
    return out.sort_values("_first", kind="stable").drop(columns="_first").reset_index(drop=True)


def _check_dataset(path: Path, spec: dict) -> None:
    """The data-set level: `dataset` and table names are safe names, the other keys have their types."""
    where = f"codebook {path}"
    _check_keys(where, spec, DATASET_KEYS, "codebook")
    for key in ("title", "description", "citation", "documentation", "simulated", "generator"):
        if key in spec and spec[key] is None:
            del spec[key]  # `key:` with nothing after it: as if absent
    for key in ("title", "description", "citation", "documentation"):
        if key in spec and not isinstance(spec[key], str):
            raise CodebookError(f"{where}: `{key}` must be text; not {_kind(spec[key])}. Put it in quotes.")
    for key, text in (("simulated", "true or false"), ("inferred", "true or false"),
                      ("generator", "a mapping, e.g. {function: ..., seed: 1}"),
                      ("processed_from", "a list of {path, sha256}")):  # fmt: skip
        kind = {"simulated": bool, "inferred": bool, "generator": dict, "processed_from": list}[key]
        if key in spec and not isinstance(spec[key], kind):
            raise CodebookError(f"{where}: `{key}` must be {text}; not {_kind(spec[key])}.")
    if "dataset" in spec and not isinstance(spec["dataset"], str):
        example = spec["dataset"] if isinstance(spec["dataset"], int | float) else "my_study"
        raise CodebookError(f"{where}: `dataset` must be text; not {_kind(spec['dataset'])}. Write it in quotes, "
                            f"e.g. dataset: '{example}'.")  # fmt: skip
    if "dataset" in spec and not is_safe_name(spec["dataset"]):
        raise CodebookError(f"{where}: `dataset` {_show(spec['dataset'])} is not a safe name (it becomes a folder "
                            f"name): use {SAFE_NAME_RULE}, e.g. dataset: my_study.")  # fmt: skip
    for tname in spec["tables"]:
        if not isinstance(tname, str):
            raise CodebookError(f"{where}: the table name {_show(tname)} must be text: write it in quotes, e.g. "
                                f"'{tname}':.")  # fmt: skip
        if not is_safe_name(tname):
            raise CodebookError(f"{where}: the table name {_show(tname)} is not a safe name (it becomes a file "
                                f"name): use {SAFE_NAME_RULE}, e.g. survey.")  # fmt: skip


def _default_name(folder: Path) -> str:
    """A folder's (or file stem's) name made safe (`is_safe_name`), for a codebook without `dataset`."""
    name = re.sub(r"[^\w.-]+", "_", folder.name).replace("..", "_").strip("._-")[:100]
    return name if is_safe_name(name) else "data"


CODEBOOK_NAMES = ("codebook.yaml", "codebook.yml")


def read_codebook(path: str | Path) -> dict:
    """Read and check a codebook YAML file.

    Parameters
    ----------
    path : str or Path
        The codebook file (format: ``docs/codebook.md``). A relative path is taken from the
        project root.

    Returns
    -------
    dict
        The codebook as written, checked: ``tables`` (``{table name: {file, variables, format,
        exclusions, unit, ...}}``), plus ``dataset`` (default: the codebook folder's name),
        ``title`` (default: the data-set name) and ``simulated`` (default False) filled in when
        absent.

    Raises
    ------
    CodebookError
        If the file is missing, is not a regular file, is larger than 5 MB, is not UTF-8 or not
        YAML, breaks a limit of `read_yaml` (nesting, aliases, tags, a key written twice), has no
        ``tables:`` mapping, a ``dataset`` or table name that is not a safe name
        (`is_safe_name`: it becomes a folder or file name), a key that looks like a misspelling
        of one it reads, or a field of the wrong type or value (a ``file`` that is not text, an
        unknown ``type`` or ``role``, a ``range`` that is not ``[low, high]``, ``values`` that
        are not single values, ``value_labels`` that are not ``{code: label}``, a ``format``
        ``sep``, ``encoding`` or ``decimal`` that cannot be used, an unknown exclusion rule,
        ...); the message names the file, table and variable and says how to write the entry.

    See Also
    --------
    load_dataset : Reads a data set with its codebook.
    draft_codebook : Drafts a codebook from a data file.
    read_yaml : Reads the file, with its limits.

    Notes
    -----
    Only the codebook itself is checked here; whether the data file has the columns and values
    the codebook describes is checked when the data set is loaded (`load_dataset`). Keys it does
    not read are kept as notes (``documentation: SOURCE.md``), unless they look like a
    misspelling of a key it reads (``lable``, ``labels``, ``missing``).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import read_codebook
    >>> text = '''
    ... dataset: tiny
    ... tables:
    ...   survey:
    ...     file: survey.csv
    ...     variables:
    ...       person_id: {type: integer, role: id}
    ...       sat: {type: number, range: [1, 7]}
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "codebook.yaml"
    ...     _ = path.write_text(text, encoding="utf-8")
    ...     codebook = read_codebook(path)
    >>> list(codebook["tables"]["survey"]["variables"]), codebook["title"]
    (['person_id', 'sat'], 'tiny')
    """
    path = resolve(path)
    if not path.exists():
        raise CodebookError(f"Codebook {path} does not exist. Pass --codebook with an existing file.")
    spec = read_yaml(path, what="codebook", error=CodebookError)
    if not isinstance(spec, dict) or not isinstance(spec.get("tables"), dict) or not spec["tables"]:
        got = "" if isinstance(spec, dict) else ": the file is empty" if spec is None else (
            f": the file holds {_kind(spec)}, not `key: value` lines")  # fmt: skip
        raise CodebookError(f"Codebook {path} has no `tables:` mapping{got} (see docs/codebook.md for the format).")
    _check_dataset(path, spec)
    for tname, table in spec["tables"].items():
        _check_table(f"codebook {path}, table {tname!r}", table)
    spec.setdefault("dataset", _default_name(path.parent))
    spec.setdefault("title", spec["dataset"])
    spec.setdefault("simulated", False)
    return spec


def _find_codebook(data: Path) -> Path | None:
    folder = data if data.is_dir() else data.parent
    candidates = [folder / n for n in CODEBOOK_NAMES]
    if data.is_file():
        candidates.insert(0, data.with_suffix(".codebook.yaml"))
    return next((c for c in candidates if c.exists()), None)


def infer_variables(frame: pd.DataFrame) -> dict[str, dict]:
    """Infer codebook variable entries from the values: types only (no roles, ranges or labels).

    Parameters
    ----------
    frame : pandas.DataFrame
        Values as read (`read_table`).

    Returns
    -------
    dict
        ``{column: {"type": kind}}`` with kind ``"integer"`` (every value a whole number),
        ``"number"`` (every value a number) or ``"string"`` (anything else, or no values).

    See Also
    --------
    draft_codebook : Adds ranges, labels, roles and instrument matches to these entries.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.data.codebook import infer_variables
    >>> infer_variables(pd.DataFrame({"id": ["1", "2"], "sat": ["4.5", "3"], "note": ["ok", None]}))
    {'id': {'type': 'integer'}, 'sat': {'type': 'number'}, 'note': {'type': 'string'}}
    """
    variables = {}
    for col in frame.columns:
        values = frame[col].dropna()
        num = pd.to_numeric(values.astype("string").str.strip(), errors="coerce")
        if values.empty or num.isna().any():
            kind = "string"
        else:
            kind = "integer" if (num % 1 == 0).all() else "number"
        variables[str(col)] = {"type": kind}
    return variables


def _infer_codebook(data: Path) -> dict:
    """Minimal codebook for a file that has none: every column with its inferred type."""
    raw = read_table(data)
    return {"dataset": _default_name(Path(data.stem)), "title": data.name, "simulated": False, "inferred": True,
            "tables": {"data": {"file": str(data), "variables": infer_variables(raw.frame)}}}  # fmt: skip
