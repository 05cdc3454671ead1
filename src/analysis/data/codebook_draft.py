"""Draft a codebook from a data file, for the user to check and edit (`connlab codebook`).

The draft reads like a careful analyst's first pass: types, ranges and categories from the
values; ids, couple ids, partner numbers, diary days and survey durations from names *and* the
structure of the data; answer categories put in order from their wording; likely missing-value
codes; SPSS/Stata labels kept; likely instrument items matched to the instrument library
(`analysis.data.instrument_library`). Every guess is written as a ``# guessed:`` comment above
its entry (`codebook_yaml`). This module describes the values and writes the YAML; the rules for
names, roles and instrument matches are in `analysis.data._draft_rules`, answer wording in
`analysis.data._answer_order`. Reading
a finished codebook is `analysis.data.codebook`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pandas as pd
import yaml

from analysis.data import _answer_order as answers
from analysis.data import _draft_rules as rules
from analysis.data._draft_rules import TABLE, Draft, plain, span
from analysis.data.readers import read_table

__all__ = ["draft_codebook", "codebook_yaml"]

_SUSPECT_CODES = (-9999, -999, -99, -98, -97, -96, -9, -8, -7, -1, 9, 98, 99, 999, 9999)
_KEY_ORDER = ("type", "role", "label", "instrument", "item", "partner", "values", "ordered", "range", "value_labels",
              "missing_codes", "na_values", "correct", "keep")  # fmt: skip
_GENERIC_FILE_NAMES = {"data", "export", "raw", "download", "survey", "responses", "dataset"}


# ---------------------------------------------------------------------------------------------
# Values: ranges, codes, labels, categories
# ---------------------------------------------------------------------------------------------
def _suspect_codes(num: pd.Series) -> list:
    """Typical missing-value codes (-99, 99, 999, -9, ...) that lie apart from the other values."""
    present = [c for c in _SUSPECT_CODES if (num == c).any()]
    rest = num[~num.isin(present)]
    if not present or rest.nunique() < 2:
        return []
    lo, hi = rest.min(), rest.max()
    out = []
    for code in present:  # negative codes below the answers, 9, 99, ... above them
        gap = lo - code if code < 0 else code - hi
        if gap >= 2 and gap >= 0.2 * (hi - lo):
            out.append(code)
    return out


def _numeric(draft: Draft, col: str) -> None:
    spec, raw = draft.variables[col], draft.raw
    declared = [{"range": [plain(v) for v in c["range"]]} if isinstance(c, dict) else plain(c)
                for c in raw.user_missing.get(col, [])]  # fmt: skip
    if declared:
        spec["missing_codes"] = declared
    suspects = _suspect_codes(draft.numbers(col))
    if suspects:
        spec["missing_codes"] = declared + suspects
        clean = draft.numbers(col)
        draft.guess(col, f"{span(suspects)} lie far outside the other values ({plain(clean.min())} to "
                         f"{plain(clean.max())}): proposed as missing codes; delete them from missing_codes if they "
                         "are real answers")  # fmt: skip
    clean = draft.numbers(col)
    if clean.empty:
        return
    labelled = {k: v for k, v in raw.value_labels.get(col, {}).items() if not _is_code(spec, k)}
    seen = set(clean.unique())
    if labelled and seen <= {float(k) for k in labelled}:
        _labelled_categories(draft, col, labelled)
    elif spec["type"] == "integer" and seen == {0.0, 1.0}:
        if rules.FLAG.search(answers.norm_name(col)):
            spec["type"] = "boolean"
            draft.guess(col, "0/1 and named like a yes/no flag: type boolean (0 = false, 1 = true)")
        else:
            spec["values"] = [0, 1]
            draft.guess(col, "0/1 column (an indicator?): values [0, 1]; `type: boolean` would read it as "
                             "false/true")  # fmt: skip
    elif spec["type"] == "integer" and len(seen) == 2 and all(abs(v) <= 2 for v in seen):
        spec["values"] = sorted(plain(v) for v in seen)
    else:
        lo, hi = clean.min(), clean.max()
        if labelled:
            codes = [float(k) for k in labelled]
            if min(codes) < lo or max(codes) > hi:
                draft.guess(
                    col,
                    f"range widened to the labelled codes {plain(min(codes))} "
                    f"({labelled[min(labelled, key=float)]}) .. {plain(max(codes))} "
                    f"({labelled[max(labelled, key=float)]}); values seen {plain(lo)} to {plain(hi)}",
                )
            lo, hi = min(lo, min(codes)), max(hi, max(codes))
        spec["range"] = [plain(lo), plain(hi)]
    if raw.value_labels.get(col):
        spec["value_labels"] = {plain(k): str(v) for k, v in raw.value_labels[col].items()}


def _is_code(spec: dict, value) -> bool:
    for code in spec.get("missing_codes", []):
        if isinstance(code, dict) and code["range"][0] <= float(value) <= code["range"][1]:
            return True
        if not isinstance(code, dict) and float(code) == float(value):
            return True
    return False


def _labelled_categories(draft: Draft, col: str, labelled: dict) -> None:
    """An SPSS/Stata column whose every value has a label: categorical, in wording order if known."""
    spec = draft.variables[col]
    codes = sorted(labelled, key=float)
    spec["type"] = "categorical"
    spec["values"] = [plain(c) for c in codes]
    order, how = answers.order_categories([labelled[c] for c in codes], col)
    if order:
        by_label = {labelled[c]: c for c in codes}
        ordered = [by_label[label] for label in order]
        spec["values"] = [plain(c) for c in ordered]
        spec["ordered"] = True
        same = ordered == codes
        draft.guess(col, f"ordered {how}: {' < '.join(map(str, order))}"
                         + ("" if same else " (not the order of the codes: values listed lowest first)"))  # fmt: skip
    elif len(codes) > 2:
        draft.guess(col, f"{len(codes)} labelled categories in code order; the labels are not a scale the drafter "
                         "knows: if they are ordered, list values lowest first and add `ordered: true`")  # fmt: skip


def _textual(draft: Draft, col: str) -> None:
    spec = draft.variables[col]
    values = draft.text(col)
    cats = list(dict.fromkeys(values))
    missing = [c for c in cats if answers.is_missing_label(c)] if len(cats) <= 31 else []
    if missing and len(missing) < len(cats):
        spec["missing_codes"] = missing
        draft.guess(col, f"{span(missing)} look like 'no answer' categories: proposed as missing codes")
        cats = [c for c in cats if c not in missing]
    if not cats or values.str.len().mean() > 40:
        return
    order, how = answers.order_categories(cats, col) if 3 <= len(cats) <= 30 else (None, "")
    if order:
        spec.update(type="categorical", values=order, ordered=True)
        draft.guess(col, f"ordered {how}: {' < '.join(_short(order))}; check the order (lowest first)")
    elif 1 < len(cats) <= 30 and len(values) >= 3 * len(cats):
        spec.update(type="categorical", values=sorted(cats))
        if len(cats) > 2:
            draft.guess(col, f"{len(cats)} categories in alphabetical order: {how}; if they are ordered, list them "
                             "lowest first and add `ordered: true`")  # fmt: skip


def _short(order: list) -> list:
    return order if len(order) <= 8 else [*order[:4], "...", *order[-2:]]


# ---------------------------------------------------------------------------------------------
def draft_codebook(path: str | Path) -> dict:
    """Draft a codebook from a data file, for the user to check and edit.

    Types, ranges, categories (in order where the wording allows), labels, missing-value codes,
    roles and likely instrument items are guessed from the file; every guess is listed in
    ``_guesses`` with what was guessed and why (`codebook_yaml` writes them as ``# guessed:``
    comments).

    Parameters
    ----------
    path : str or Path
        Any file `read_table` reads (CSV, Qualtrics CSV, XLSX, SPSS ``.sav``, Stata ``.dta``).

    Returns
    -------
    dict
        A codebook (``docs/codebook.md``) with ``dataset`` (the file name, lower case; the
        folder's name for a file called ``data``), ``title``, ``simulated`` (False) and one table
        named ``data``: ``file`` (the file name: relative to a codebook saved beside the data),
        ``format`` (kind; for text files also encoding, separator and decimal mark), ``unit``
        (``person``, ``person-day``, ``person-wave``, ``dyad`` or ``family member pair (rater x
        member rated)``), ``variables`` and
        ``exclusions`` (``duplicate_id: keep_first``, ``attention_check: true``). Each variable
        has ``type`` and, where found, ``role``, ``label``, ``instrument`` and ``item``,
        ``values`` (with ``ordered: true`` when put in order), ``range``, ``value_labels`` and
        ``missing_codes``. Plus ``_guesses``: one ``{"table", "variable", "guess"}`` per guess
        (``variable`` None for the table; a guess about replicate weights also has ``design``, the
        design block to fill in); `read_codebook` ignores it.

    Raises
    ------
    DataError
        If the file cannot be read (see `read_table`).

    See Also
    --------
    codebook_yaml : The draft as YAML text with the guesses as comments.
    read_codebook : Reads and checks the edited codebook.

    Notes
    -----
    Values: ``range`` is the lowest to highest value seen (for numbered item columns, over the
    whole group; widened to SPSS/Stata labelled codes); an integer column with two values in
    -2..2 gets ``values`` (0/1: an indicator; ``boolean`` when named like ``is_...``); typical
    codes (-99, -9, 99, 999, ...) that lie apart from the other values (negative codes below
    them, 9, 99, ... above), declared SPSS/Stata missing values and "Don't know"-like answers
    become ``missing_codes``. Text with 2 to 30 categories is categorical, ordered from the
    wording when it is a known scale (quality, frequency, agreement, amount, happiness,
    satisfaction, change, ...), times per year, numbers in the labels, or education levels
    (`analysis.data._draft_answers.order_categories`); else alphabetical.

    Roles: person id (a name like ``id``/``pid``/``participant_id``/``ResponseId`` and one row
    per person, or per person and day, allowing a few duplicate rows; else the only
    whole-number column with all values different); couple id (a name like
    ``couple``/``cuplid``/``dyadid`` with repeating values, or values that appear exactly
    twice; never a column with fewer than 3 values); partner number (two values that differ
    within (nearly) every couple, named like partner/member/person or sex/gender); day (a name
    like day/wave/time/session, whole numbers, one row per person and day); duration (only
    completion-time names such as ``duration``, ``Duration (in seconds)``, ``time_taken``);
    identifying columns by name or content (`pii_columns`: e-mail or IP addresses, phone numbers,
    person names) ``pii``, free text ``free_text`` -- their values are never written, not as
    ``values``, ``range``, labels or codes, nor in a comment; attention checks and demographics
    by name; a family round robin (a family id named like ``family``/``famid``, or each value on
    6 or 12 rows, and two columns holding the same 3 or 4 family roles, never equal in a row, one
    row per family, rater and member rated): ``family_id``, ``actor_role`` (the rater: named like
    actor/rater/perceiver, else the first column) and ``target_role`` (named like
    partner/target/rated), unit ``family member pair (rater x member rated)``. Other family ids
    get a comment, no role. Sample design by name: the first weight-like column with positive
    values (``wt*``, ``weight``, ``wgt``, ``finalwt``, ``wtssall``, ``wtpan*``) ``weight``,
    ``vstrat``/``strata``/``stratum`` ``strata``, ``vpsu``/``psu``/``cluster`` ``psu``. Replicate
    weights: 4 or more numbered columns named after a weight (``pwgtp`` and ``pwgtp1``..``pwgtp80``,
    ``pw`` and ``pw_rep1``.., ``spfwt0`` and ``spfwt1``..) or as replicate weights (``repwt1``..,
    ``wtrep1``.., beside the nearest weight-like column), >= 0 wherever the weight is given and
    averaging 0.5 to 2 times the weight, get ``replicate_weight`` and their weight ``weight`` (no
    strata or PSU role then), and the table a guess with ``design`` (``{"replicate_type":
    "FILL_IN"}``; for the ACS PUMS's ``pwgtp``/``wgtp`` with 80 replicates ``successive-difference``
    with ``mse: true``); replicate factors (mean below 5, the weight 5 times larger) get a
    comment only. Items:
    numbered columns (``Q1`` .. ``Q36``) match a library instrument with the same item numbers
    whose name matches the stem (or any, for stems like ``Q``/``item``) and whose range holds
    the values (rare values below it, such as 0, become missing codes); near misses are named in
    a comment.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import draft_codebook
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "pilot.csv"
    ...     _ = path.write_text("person_id,email,age,gender\\n1,a@x.org,34,-1\\n2,b@x.org,-99,1\\n3,c@x.org,29,1\\n")
    ...     codebook = draft_codebook(path)
    >>> variables = codebook["tables"]["data"]["variables"]
    >>> variables["person_id"]["role"], variables["email"]["role"], variables["age"]["range"]
    ('id', 'pii', [29, 34])
    >>> variables["age"]["missing_codes"], variables["gender"]["values"]
    ([-99], [-1, 1])
    >>> [g["guess"] for g in codebook["_guesses"] if g["variable"] == "age"][0][:40]
    '-99 lie far outside the other values (29'
    """
    path = Path(path)
    raw = read_table(path)
    draft = Draft(raw)
    for col, spec in draft.variables.items():
        if raw.labels.get(col):
            spec["label"] = raw.labels[col]
        if col in draft.pii:  # identifying: no values, ranges, labels or codes from them, not even in comments
            continue
        if spec["type"] in ("integer", "number"):
            _numeric(draft, col)
        else:
            _textual(draft, col)
    unit = rules.find_roles(draft)
    fmt = {"kind": raw.format.kind}
    if raw.format.kind in ("csv", "qualtrics"):
        fmt.update(encoding=raw.format.encoding, sep=raw.format.sep, decimal=raw.format.decimal)
    if raw.format.sheet is not None:
        fmt["sheet"] = raw.format.sheet
    stem = re.sub(r"\W+", "_", path.stem).strip("_").lower()
    title = path.name
    if stem in _GENERIC_FILE_NAMES and path.resolve().parent.name:
        stem = re.sub(r"\W+", "_", path.resolve().parent.name).strip("_").lower()
        title = f"{path.resolve().parent.name}/{path.name}"
    variables = {c: {k: s[k] for k in _KEY_ORDER if k in s} for c, s in draft.variables.items()}
    return {
        "dataset": stem or "data",
        "title": title,
        "simulated": False,
        "tables": {TABLE: {"file": path.name, "format": fmt, "unit": unit, "variables": variables,
                           "exclusions": {"duplicate_id": "keep_first", "attention_check": True}}},
        "_guesses": draft.guesses,
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------
# YAML with comments
# ---------------------------------------------------------------------------------------------
def _dump(data, indent: int, flow: bool | None = None) -> list[str]:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110 - indent, default_flow_style=flow)
    return [" " * indent + line for line in text.splitlines()]


def _block(mapping: dict, indent: int) -> list[str]:
    """A mapping key by key (block style), each value as YAML writes it (short lists and labels in flow)."""
    return [
        line
        for key, value in mapping.items()
        for line in _dump({key: value}, indent, None if isinstance(value, list | dict) else False)
    ]


def _key(name) -> str:
    return _dump({name: 0}, 0, False)[0].rsplit(":", 1)[0] + ":"


def _comment(text: str, indent: int, width: int = 110) -> list[str]:
    words, lines, line = text.split(), [], "# guessed:"
    for word in words:
        if len(line) + 1 + len(word) + indent > width and line not in ("# guessed:", "#  "):
            lines.append(line)
            line = "#  "
        line += " " + word
    lines.append(line)
    return [" " * indent + ln for ln in lines]


def codebook_yaml(codebook: dict, source: str | Path) -> str:
    """Write a drafted codebook as YAML text: a header on how to check it, then the codebook with
    each guess as a ``# guessed: <what and why>`` comment above its entry.

    Parameters
    ----------
    codebook : dict
        A codebook, as `draft_codebook` returns it (its ``_guesses`` become comments and are not
        written as a key).
    source : str or Path
        The data file it was drafted from (its name goes in the header).

    Returns
    -------
    str
        Comment lines (source, what the ``# guessed:`` comments mean, where the format and the
        checking steps are described), then the codebook as block-style YAML in its own key
        order; guesses about a table stand under the table's name, guesses about a variable
        above the variable; a guess with a ``design`` stands where the table's ``design:`` goes
        (before ``variables:``), followed by that block commented out (``# design:
        {replicate_type: FILL_IN}``). `read_codebook` reads it unchanged, except that a table with
        replicate weights loads only once its design block is filled in and uncommented.

    See Also
    --------
    draft_codebook : Makes the codebook.

    Examples
    --------
    >>> from analysis.data.codebook_draft import codebook_yaml
    >>> codebook = {"dataset": "pilot", "tables": {"data": {"file": "pilot.csv", "variables": {
    ...     "couple": {"type": "integer", "role": "dyad_id"}}}},
    ...     "_guesses": [{"table": "data", "variable": "couple", "guess": "couple id: the name"}]}
    >>> text = codebook_yaml(codebook, "pilot.csv")
    >>> text.splitlines()[0]
    '# Draft codebook for pilot.csv, made by `connlab codebook`.'
    >>> print("\\n".join(text.splitlines()[-5:]))
        variables:
          # guessed: couple id: the name
          couple:
            type: integer
            role: dyad_id
    """
    guesses, designs = defaultdict(list), defaultdict(list)
    for g in codebook.get("_guesses", []):
        if g.get("design") is not None and g.get("variable") is None:  # written where the design block goes
            designs[g.get("table")].append(g)
        else:
            guesses[(g.get("table"), g.get("variable"))].append(g["guess"])
    lines = [
        f"# Draft codebook for {Path(source).name}, made by `connlab codebook`.",
        "# `# guessed:` comments mark what the drafter guessed and why: check each entry and fix it where wrong.",
        "# Unmarked entries are read from the data: type from the values, range = lowest..highest value seen",
        "# (widen it to the answers that were possible), values = the categories seen.",
        "# `file:` is relative to this codebook (`connlab codebook --out` writes it so).",
        '# Format and checking steps: docs/codebook.md ("Checking a drafted codebook").',
    ]
    lines += _block({k: v for k, v in codebook.items() if k not in ("tables", "_guesses")}, 0)
    lines.append("tables:")
    for tname, table in codebook["tables"].items():
        lines.append("  " + _key(tname))
        for text in guesses.get((tname, None), []):
            lines += _comment(text, 4)
        lines += _block({k: v for k, v in table.items() if k not in ("variables", "exclusions")}, 4)
        for g in designs.get(tname, []):
            lines += _comment(g["guess"], 4)
            lines += ["    # " + line for line in _dump({"design": g["design"]}, 0, None)]
        lines.append("    variables:")
        for var, spec in table["variables"].items():
            for text in guesses.get((tname, var), []):
                lines += _comment(text, 6)
            lines.append("      " + _key(var))
            lines += _block(spec, 8)
        if "exclusions" in table:
            lines += _dump({"exclusions": table["exclusions"]}, 4)
    return "\n".join(lines) + "\n"
