"""Rules the codebook drafter (`analysis.data.codebook_draft`) uses.

- Names: what column names mean (person, couple and family ids, partner numbers, days, survey
  durations, weights and replicate weights, attention checks, demographics).
- Wording (which answers mean "missing", how categories are put in order) is in
  `analysis.data._answer_order`.
- Structure: `find_roles` sets roles from names *and* the data (a couple id repeats exactly twice,
  a person id is unique, a partner number differs within every couple, a day numbers each
  person's rows) and matches numbered item columns to the instrument library.

`Draft` holds the draft being built; every guess is recorded with `Draft.guess`.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict

import pandas as pd

from analysis.data._answer_order import norm_name
from analysis.data.codebook import ROUND_ROBIN_SIZES, infer_variables
from analysis.data.instrument_library import list_instruments, load_instrument
from analysis.data.privacy import _free_text_only, pii_columns
from analysis.data.readers import QUALTRICS_METADATA

TABLE = "data"
_PARTNER_MARKS = {"1": "2", "2": "1", "w": "m", "m": "w", "f": "m", "h": "w"}

# ---------------------------------------------------------------------------------------------
# Column names (matched on `norm_name`: lower case, runs of other characters -> "_")
# ---------------------------------------------------------------------------------------------
_ID_WORDS = ("person|participant|respondent|resp|response|subject|subj|case|user|record|ppt|part|individual|indiv"
             "|first|student|member|p|r|s|u")  # fmt: skip
PERSON_ID = re.compile(rf"^(id|pid|uid|responseid|(?:{_ID_WORDS})_?(?:id|code|number|num|no|nr)|person|participant"
                       r"|respondent|subject)$")  # fmt: skip
ID_LIKE = re.compile(r"(^|_)id$|^[a-z]+_?id$")
DYAD_ID = re.compile(r"^(?:couple|cupl|cpl|dyad|pair)s?(?:_?(?:id|num|number|no|nr|code))?$"
                     r"|^[a-z_]*(?:couple|cupl|cpl|dyad|pair)_?(?:id|num|number|no|nr|code)$")  # fmt: skip
FAMILY_ID = re.compile(r"^(?:family|fam|household|hh)s?(?:_?(?:id|num|number|no|nr|code))?$|^famid$")
#: the rater and the member rated of a round robin (SRM: actor/perceiver and partner/target)
ACTOR = re.compile(r"^(?:actor|rater|perceiver|judge|informant|reporter|ego|from|source)(?:_?(?:id|role|code|num|no|nr"
                   r"|member))?$")  # fmt: skip
TARGET = re.compile(r"^(?:partner|target|rated|ratee|alter|other|to|about)(?:_?(?:id|role|code|num|no|nr|member))?$")
PARTNER = re.compile(r"^(?:partner|partnum|partner_?(?:num|number|no|nr|id|role)|member|member_?(?:num|no|nr|id)"
                     r"|role|person|person_?(?:num|no|nr)|pnum|spouse|who)$")  # fmt: skip
SEX = re.compile(r"^(?:sex|gender)")
DAY = re.compile(r"^(?:day|days|diary_?day|day_?(?:num|number|no|nr)|studyday|wave|time|timepoint|tp|occasion|week"
                 r"|session|visit|beep|measurement|t)$")  # fmt: skip
DURATION = re.compile(r"^(?:duration|duration_?(?:in_)?(?:seconds|secs|sec|s|minutes|mins|min)|q_?(?:total_?)?duration"
                      r"|time_?taken|completion_?time|time_?to_?complete|total_?time|survey_?time|response_?time"
                      r"|time_?spent|elapsed(?:_?time)?)$")  # fmt: skip
DURATION_MINUTES = re.compile(r"min")
WEIGHT = re.compile(r"^(?:wt|wgt|weight|weights|finalwt)[a-z0-9_]*$|_(?:wt|wgt|weight)$")
#: a weight in a name (``pwgtp``, ``nweight``, ``wtperfin``, ``spfwt0``): the full-sample weight of a group of
#: replicate weights named after it
WEIGHTISH = re.compile(r"wt|wgt|wght|weight")
#: replicate-weight names, matched on the stem before the replicate's number (IPUMS ``repwt``/``repwtp``, SIPP
#: ``repwgt``, CE ``wtrep``, PISA ``w_fsturwt``): their weight is the weight-like column nearest them
REPLICATE = re.compile(r"^(?:[a-z0-9]+_)?(?:rep_?(?:wt|wgt|weight|w)p?|(?:wt|wgt|weight)_?rep(?:licate)?"
                       r"|replicate_?(?:wt|wgt|weight)|brr_?(?:wt|wgt|weight)|w_?fst(?:u)?r(?:wt)?)$")  # fmt: skip
#: "replicate" between a weight's name and its replicates' numbers (``pw_rep1``, ``pw_replicate_1``)
_REPLICATE_JOINS = re.compile(r"_?(?:rep|repl|replicate)$")
#: fewest replicate weights proposed (three numbered weights are more often waves' weights)
MIN_REPLICATES = 4
#: sample design columns (GSS vstrat/vpsu, NHANES-style strata and clusters)
STRATA = re.compile(r"^(?:v?strat|strata|stratum|sdmvstra|strat_?(?:id|num|code))$")
PSU = re.compile(r"^(?:v?psu|psu_?(?:id|num|code)|cluster|cluster_?(?:id|num|code)|sdmvpsu)$")
ATTENTION = re.compile(r"^(?:attn|attention|attention_?check|attn_?check|ac|imc|check)_?\d*$")
FLAG = re.compile(r"^(?:is|has|had|was|did|ever|any)_|_(?:flag|yn|bool)$")
DEMOGRAPHIC = re.compile(r"^(?:(?:subject|respondent|resp|participant|r|p|actor|partner)_)?(?:age|sex|gender|educ"
                         r"|education|degree|income|race|ethnicity|ethnic|marital|marital_status|religion|religious"
                         r"|religiousness|occupation|employment|country|nationality|children|childs)(?:_(?:category|cat"
                         r"|level|group|num|code|status|years|yrs|husb|wife))?$")  # fmt: skip
GENERIC_STEMS = {"q", "qn", "item", "items", "i", "it", "x", "v", "var", "question", "s"}


# ---------------------------------------------------------------------------------------------
# The draft
# ---------------------------------------------------------------------------------------------
def plain(value):
    """numpy scalars -> int/float/str for YAML (3.0 -> 3)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def span(values) -> str:
    values = list(values)
    return ", ".join(map(str, values)) if len(values) <= 6 else f"{', '.join(map(str, values[:5]))}, ..., {values[-1]}"


def _n(x) -> str:
    return f"{x:,}"


class Draft:
    """The draft being built: variables, the guesses to show as comments, notes on the table."""

    def __init__(self, raw):
        self.raw = raw
        self.frame = raw.frame
        self.variables = infer_variables(self.frame)
        self.guesses: list[dict] = []
        #: identifying columns by name and content (`pii_columns`): their values are never described
        self.pii = pii_columns(self.frame)

    def guess(self, col: str | None, text: str, **extra) -> None:
        """Record a guess; `extra` keys go with it (``design``: a commented ``design:`` block to fill in)."""
        self.guesses.append({"table": TABLE, "variable": col, "guess": text, **extra})

    def numbers(self, col: str) -> pd.Series:
        """Non-missing values of a numeric column, without the missing codes found so far."""
        series = self.frame[col]
        num = pd.to_numeric(series.astype("string").str.strip(), errors="coerce").dropna().astype(float)
        for code in self.variables[col].get("missing_codes", []):
            num = num[~num.between(*code["range"])] if isinstance(code, dict) else num[num != float(code)]
        return num

    def text(self, col: str) -> pd.Series:
        values = self.frame[col].dropna().astype(str).str.strip()
        return values[values != ""]


# ---------------------------------------------------------------------------------------------
# Instruments
# ---------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _catalogue() -> tuple:
    return tuple(load_instrument(i) for i in list_instruments()["id"])


def _item_groups(draft: Draft) -> dict[str, list[tuple[int, str]]]:
    """Numbered integer columns sharing a name pattern (``Q1``..``Q36``, ``prqc.1_1``..``prqc.1_18``):
    ``{template with # for the item number: [(number, column), ...]}``, groups of 3 or more."""
    cols = [c for c, s in draft.variables.items() if s["type"] == "integer" and not s.get("role")]
    templates = defaultdict(list)
    options = {}
    for col in cols:
        options[col] = []
        for m in re.finditer(r"\d+", col):
            template = col[: m.start()] + "#" + col[m.end() :]
            templates[template].append((int(m.group()), col))
            options[col].append(template)
    chosen = defaultdict(list)
    for col, temps in options.items():
        if temps:  # the template that makes the largest group; ties: the last number in the name
            best = max(reversed(temps), key=lambda t: len(templates[t]))
            if len(templates[best]) >= 3:
                chosen[best].append(next(pair for pair in templates[best] if pair[1] == col))
    return {t: sorted(members) for t, members in chosen.items() if len(members) >= 3}


def _tokens(template: str) -> list[str]:
    stem = template.split("#")[0] or template
    return [t for t in re.split(r"[^a-z]+", stem.lower()) if t]


def _name_match(tokens: list[str], ins_id: str) -> bool:
    first = ins_id.split("_")[0]
    return any(len(t) >= 3 and (t == first or t.startswith(first) or first.startswith(t) or t[:3] == first[:3])
               for t in tokens)  # fmt: skip


def _fit(values: pd.Series, ins) -> tuple[bool, list]:
    """Do the values fit the instrument's response range, allowing rare codes below it (0, -1) or far
    above it (99) as missing codes? Returns (fits, codes)."""
    lo, hi = min(i.min for i in ins.items), max(i.max for i in ins.items)
    outside = values[(values < lo) | (values > hi)]
    if outside.empty:
        return True, []
    codes = sorted(outside.unique())
    rare = len(outside) <= 0.1 * len(values)
    return bool(rare and all(c < lo or c >= 90 for c in codes) and len(codes) <= 3), [plain(c) for c in codes]


def _ins_text(ins) -> str:
    ids = ins.item_ids
    lo, hi = min(i.min for i in ins.items), max(i.max for i in ins.items)
    return f"{ins.id} ({len(ids)} items {ids[0]}..{ids[-1]}, {plain(lo)}-{plain(hi)})"


def _instruments(draft: Draft) -> None:
    used = defaultdict(list)
    for template, members in _item_groups(draft).items():
        cols = [c for _, c in members]
        numbers = [n for n, _ in members]
        values = pd.concat([draft.numbers(c) for c in cols])
        if values.empty:
            continue
        lo, hi = plain(values.min()), plain(values.max())
        where = f"{cols[0]}..{cols[-1]}"
        tokens = _tokens(template)
        stem = template.split("#")[0] or template
        numbered = numbers == list(range(1, len(numbers) + 1))
        exact = [ins for ins in _catalogue() if numbered and ins.item_ids == [str(n) for n in numbers]]
        named = [ins for ins in _catalogue() if _name_match(tokens, ins.id)]
        found = [(ins, codes) for ins in exact if ins in named for ok, codes in [_fit(values, ins)] if ok]
        how = f"by name stem {stem!r} and {len(cols)} items"
        if not found and (not tokens or set(tokens) <= GENERIC_STEMS):
            found = [(ins, codes) for ins in exact for ok, codes in [_fit(values, ins)] if ok]
            how = f"by {len(cols)} numbered items (the stem {stem!r} does not name an instrument)"
        for col in cols:
            draft.variables[col].pop("values", None)
            draft.variables[col]["range"] = [lo, hi]
        if found:
            ins, codes = found[0]
            clean = values[~values.isin(codes)] if codes else values
            lo, hi = plain(clean.min()), plain(clean.max())
            text = (
                f"matched to {ins.id} {how} with values {lo}-{hi} inside its range "
                f"{plain(min(i.min for i in ins.items))}-{plain(max(i.max for i in ins.items))}"
            )
            if len(found) > 1:
                text += f"; also fits {', '.join(i.id for i, _ in found[1:])}: check which instrument it is"
            if codes:
                text += f"; {span(codes)} outside that range: proposed as missing codes"
            text += "; check the item order and that range is the answers offered"
            used[ins.id].append([c for _, c in members])
            for n, col in members:
                spec = draft.variables[col]
                spec.update(role="item", instrument=ins.id, item=str(n), range=[lo, hi])
                if codes:
                    spec["missing_codes"] = list(dict.fromkeys(spec.get("missing_codes", []) + codes))
                draft.guess(col, text if col == cols[0] else f"item {n} of {ins.id} (see {cols[0]})")
            continue
        near = []
        for ins in named:
            if ins in exact:
                near.append(f"name suggests {_ins_text(ins)} but values {lo}-{hi} do not fit its range")
            else:
                near.append(f"name suggests {_ins_text(ins)} but these are {len(cols)} items numbered "
                            f"{numbers[0]}..{numbers[-1]}")  # fmt: skip
        if not named:
            for ins in _catalogue():
                prefixes = defaultdict(list)
                for item_id in ins.item_ids:
                    if "_" in item_id:
                        prefixes[item_id.rsplit("_", 1)[0]].append(item_id)
                for token in tokens:
                    if token in prefixes:
                        ids = prefixes[token]
                        lo_i = plain(min(ins.item(i).min for i in ids))
                        hi_i = plain(max(ins.item(i).max for i in ids))
                        near.append(f"near {ins.id} items {ids[0]}..{ids[-1]} ({len(ids)} items, {lo_i}-{hi_i}); "
                                    f"these are {len(cols)} items with values {lo}-{hi}")  # fmt: skip
        text = f"{len(cols)} numbered columns {where}: range {lo}-{hi} over all of them"
        if near:
            text += "; " + "; ".join(near) + ". Not assigned: if they are its items, add role: item, instrument, item"
        draft.guess(cols[0], text)
    for ins_id, sets in used.items():  # one set per partner in a wide couple file: partner 1, 2, ... in column order
        if len(sets) > 1:
            for k, cols in enumerate(sets, 1):
                for col in cols:
                    draft.variables[col]["partner"] = k
                draft.guess(cols[0], f"partner {k}'s {ins_id} items: set {k} of {len(sets)} in column order (scored as "
                                     f"{ins_id}_p{k}); check which partner each set belongs to")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Roles: ids, couples, partners, days, durations, ...
# ---------------------------------------------------------------------------------------------
def _id_like_type(spec: dict) -> bool:
    return spec["type"] in ("integer", "string", "categorical")


def _dyad(draft: Draft) -> str | None:
    frame, named, twice = draft.frame, [], []
    for col, spec in draft.variables.items():
        if spec.get("role") or not _id_like_type(spec):
            continue
        counts = frame[col].dropna().value_counts()
        if len(counts) < 3:
            continue
        share_twice = (counts == 2).mean()
        if DYAD_ID.match(norm_name(col)) and (counts >= 2).mean() >= 0.9:
            named.append((col, counts, share_twice))
        elif share_twice >= 0.9 and not ID_LIKE.search(norm_name(col)):  # a person id in 2 waves
            twice.append((col, counts, share_twice))
    if named:
        col, counts, share = named[0]
        rows = (
            f"{(counts == 2).sum()} of {_n(len(counts))} values on exactly 2 rows"
            if share >= 0.9
            else (f"each value on {plain(counts.median())} rows (median): several rows per couple")
        )
        draft.guess(col, f"couple (dyad) id: the name, and {rows}")
    elif twice:
        col, counts, _ = twice[0]
        draft.guess(col, f"couple (dyad) id from the data only: {(counts == 2).sum()} of {_n(len(counts))} values "
                         "appear on exactly 2 rows; the name does not say couple, so check")  # fmt: skip
    else:
        return None
    draft.variables[col]["role"] = "dyad_id"
    return col


def _partner(draft: Draft, dyad: str) -> str | None:
    frame = draft.frame
    groups = frame.groupby(dyad, dropna=True)
    sizes = groups.size()
    multi = sizes[sizes >= 2].index
    splits = []
    for col, spec in draft.variables.items():
        if col == dyad or spec.get("role") in ("pii", "free_text", "item"):
            continue
        if frame[col].dropna().nunique() != 2 or len(multi) == 0:
            continue
        per = groups[col].nunique().reindex(multi)
        if (per == 2).mean() >= 0.9:
            splits.append(col)
    if not splits:
        return None
    names = [norm_name(c) for c in splits]
    pick = next((c for c, n in zip(splits, names, strict=True) if PARTNER.match(n)), None)
    pick = pick or next((c for c, n in zip(splits, names, strict=True) if SEX.match(n)), None)
    values = lambda c: span(sorted(plain(v) for v in frame[c].dropna().unique()))  # noqa: E731
    for col in splits:
        if col == pick:
            draft.variables[col]["role"] = "partner_role"
            draft.guess(col, f"partner number within the couple: 2 values ({values(col)}) that differ between the "
                             f"two members of (nearly) every couple, and the name")  # fmt: skip
        elif pick:
            draft.guess(col, f"also tells the two members of each couple apart (like {pick})")
        else:
            draft.guess(col, f"tells the two members of (nearly) every couple apart ({values(col)}): if it is the "
                             "partner number, give it role: partner_role")  # fmt: skip
    return pick


def _day_candidates(draft: Draft) -> list[str]:
    out = []
    for col, spec in draft.variables.items():
        if spec.get("role") or spec["type"] != "integer" or not DAY.match(norm_name(col)):
            continue
        num = draft.numbers(col)
        if not num.empty and num.min() >= 0 and num.max() <= 400 and num.duplicated().any():
            out.append(col)
    return out


def _unique(frame: pd.DataFrame, cols: list[str], *, nearly: bool = False) -> bool:
    """No repeated values of `cols` (with `nearly`: a few, at most 1 or 2% of the rows, e.g. duplicate rows)."""
    repeated = _repeated(frame, cols)
    return repeated is not None and repeated <= (max(1, 0.02 * len(frame)) if nearly else 0)


def _repeated(frame: pd.DataFrame, cols: list[str]) -> int | None:
    """Rows that repeat an earlier row's values of `cols`; None if fewer than 90% of the rows have them."""
    part = frame[cols].dropna()
    return int(part.duplicated().sum()) if len(part) > 0 and len(part) >= 0.9 * len(frame) else None


def _person(draft: Draft, days: list[str]) -> str | None:
    frame = draft.frame
    candidates = [c for c, s in draft.variables.items() if not s.get("role") and _id_like_type(s)]
    for col in candidates:
        if not PERSON_ID.match(norm_name(col)):
            continue
        for key in [[col]] + [[col, day] for day in days]:
            if _unique(frame, key, nearly=True):  # a few duplicate rows: still the id
                repeated = _repeated(frame, key)
                per = "one row per person" + (f" and {key[1]}" if len(key) > 1 else "")
                dups = f", except {repeated} repeated row(s) (duplicate_id decides what happens to them)"
                draft.guess(col, f"person id: the name, and {per}{dups if repeated else ''}")
                return col
    for col in candidates:
        nunique = frame[col].nunique()
        name = norm_name(col)
        if (PERSON_ID.match(name) or (ID_LIKE.search(name) and nunique >= 20)) and not FAMILY_ID.match(name):
            draft.guess(col, f"the name looks like a person id, but {_n(nunique)} values for {_n(len(frame))} rows "
                             "repeat: no role. If it is unique only together with another column (a year, a panel), "
                             "leave it so (the codebook's id is one column) and say so in its label")  # fmt: skip
    unique_ints = [c for c in candidates if draft.variables[c]["type"] == "integer" and len(frame) >= 5
                   and frame[c].notna().all() and _unique(frame, [c]) and draft.numbers(c).min() >= 0]  # fmt: skip
    if len(unique_ints) == 1:
        col = unique_ints[0]
        draft.guess(col, "person id from the data only: the only whole-number column whose values are all "
                         "different; the name does not say id, so check")  # fmt: skip
        return col
    return None


def _family(draft: Draft, dyad: str | None, days: list[str]) -> bool:
    """A family (group) id: a round robin's (role family_id, with actor_role and target_role), or
    one without a role when the family rows are not a round robin. True for a round robin."""
    frame = draft.frame
    for col, spec in draft.variables.items():
        if spec.get("role") or spec["type"] != "integer":
            continue
        counts = frame[col].dropna().value_counts()
        if len(counts) < 3:
            continue
        named = FAMILY_ID.match(norm_name(col)) and (counts >= 2).mean() >= 0.9
        common = counts.mode().iloc[0] if len(counts) else 0
        shaped = 3 <= common <= 5 and (counts == common).mean() >= 0.9 and not dyad and not days
        pair = _round_robin(draft, col) if (named or common in (6, 12)) and not dyad and not days else None
        if pair:
            _set_round_robin(draft, col, *pair, counts)
            return True
        if named or shaped:
            draft.guess(col, f"family (group) id: {'the name, and ' if named else ''}each value on "
                             f"{plain(counts.median())} rows (median). No two columns hold the raters and the members "
                             "rated of a round robin, so no role is set (role: family_id is for round-robin "
                             "tables)")  # fmt: skip
    return False


def _round_robin(draft: Draft, family: str) -> tuple[str, str] | None:
    """(rater, member rated): two columns without a role holding the same 3 or 4 family roles,
    (nearly) never equal in a row, (nearly) one row per family, rater and member rated, and most
    families of k(k - 1) rows. The rater first by name (actor, rater, ...), else by column order."""
    frame = draft.frame
    cols = [c for c, s in draft.variables.items()
            if c != family and not s.get("role") and s["type"] in ("categorical", "string", "integer")]  # fmt: skip
    text = {c: frame[c].astype("string").str.strip() for c in cols}
    sets = {c: frozenset(draft.text(c)) for c in cols}
    found = []
    for a in cols:
        for t in cols:
            if a == t or sets[a] != sets[t] or len(sets[a]) not in ROUND_ROBIN_SIZES:
                continue
            k = len(sets[a])
            key = pd.DataFrame({"f": frame[family], "a": text[a], "t": text[t]}).dropna()
            sizes = key.groupby("f").size()
            if ((key["a"] == key["t"]).mean() > 0.01 or key.duplicated().mean() > 0.01
                    or (sizes == k * (k - 1)).mean() < 0.5):  # fmt: skip
                continue
            found.append((a, t))
    if not found:
        return None

    def by_name(pair):
        a, t = pair
        return (bool(ACTOR.match(norm_name(a))) + bool(TARGET.match(norm_name(t))), -cols.index(a))

    return max(found, key=by_name)


def _set_round_robin(draft: Draft, family: str, actor: str, target: str, counts: pd.Series) -> None:
    roles = sorted(draft.text(actor).unique())
    k = len(roles)
    draft.guesses = [g for g in draft.guesses if g["variable"] not in (actor, target)]  # category order: no matter
    for col, role in ((family, "family_id"), (actor, "actor_role"), (target, "target_role")):
        draft.variables[col]["role"] = role
        draft.variables[col].pop("range", None)
    for col in (actor, target):
        spec = draft.variables[col]
        spec.pop("ordered", None)
        spec["values"] = [plain(v) for v in sorted(draft.numbers(col).unique())] if spec["type"] == "integer" else (
            list(spec.get("values") or roles))  # fmt: skip
    named = "the name, and " if FAMILY_ID.match(norm_name(family)) else ""
    draft.guess(family, f"family (group) id of a round robin: {named}each value on {plain(counts.median())} rows "
                        f"(median), {k} members x {k - 1} others")  # fmt: skip
    why = {actor: ACTOR, target: TARGET}
    for col, other, what in ((actor, target, "rater (actor)"), (target, actor, "member rated (partner, target)")):
        said = "the name, and " if why[col].match(norm_name(col)) else "column order, and "
        draft.guess(col, f"{what} in a family round robin: {said}{k} family roles ({span(roles)}) as in {other!r}, "
                         f"(nearly) never the same as {other!r} in a row, one row per family, rater and member "
                         "rated; check which column is the rater")  # fmt: skip


def _day(draft: Draft, days: list[str], person: str | None, dyad: str | None, partner: str | None) -> str | None:
    frame = draft.frame
    for col in days:
        key = [person] if person else [dyad, partner] if dyad and partner else []
        if key and not _unique(frame, [*key, col], nearly=True):
            draft.guess(col, f"named like a day/wave, but ({', '.join(key)}, {col}) repeats: no role")
            continue
        num = draft.numbers(col)
        how = (
            f"one row per {' and '.join(key)} and {col}"
            if key
            else "no person id to check that it numbers each person's rows"
        )
        draft.variables[col]["role"] = "day"
        draft.guess(col, f"measurement occasion (diary day / wave) {plain(num.min())}..{plain(num.max())}: the "
                         f"name, and {how}")  # fmt: skip
        return col
    return None


def _named_roles(draft: Draft) -> None:
    for col, reason in draft.pii.items():
        role = "free_text" if _free_text_only(reason) else "pii"
        draft.variables[col]["role"] = role
        what = "free text" if role == "free_text" else "identifies people"
        draft.guess(col, f"{what} ({reason}): dropped before analysis unless you add keep: true; its values are "
                         "not listed here")  # fmt: skip
    numbered = _replicate_weights(draft)
    replicates = [c for c, s in draft.variables.items() if s.get("role") == "replicate_weight"]
    for col, spec in draft.variables.items():
        name = norm_name(col)
        if spec.get("role") or col in numbered:
            continue
        if DURATION.match(name) and spec["type"] in ("integer", "number"):
            spec["role"] = "duration"
            unit = "minutes" if DURATION_MINUTES.search(name) else "seconds"
            draft.guess(col, f"the survey's completion time (name), in {unit}?: exclusions: min_duration compares "
                             "its values as they are")  # fmt: skip
        elif "duration" in name or "time_together" in name:
            draft.guess(col, "'duration' in the name, but not a survey completion time (e.g. relationship length): "
                             "no duration role")  # fmt: skip
        elif col in QUALTRICS_METADATA and col != "ResponseId":  # ResponseId: the person id, if unique
            spec["role"] = "metadata"
        elif spec["type"] == "string" and draft.text(col).str.len().mean() > 40:
            spec["role"] = "free_text"
            draft.guess(col, "long text answers: free text, dropped before analysis unless you add keep: true")
        elif ATTENTION.match(name):
            spec["role"] = "attention_check"
            draft.guess(col, "attention check (name): add `correct:` with the instructed answer, else it is not "
                             "applied")  # fmt: skip
        elif WEIGHT.search(name) and spec["type"] in ("number", "integer"):
            _weight_role(draft, col, spec)
        elif (STRATA.match(name) or PSU.match(name)) and spec["type"] in ("integer", "string"):
            role = "strata" if STRATA.match(name) else "psu"
            taken = [c for c, s in draft.variables.items() if s.get("role") == role]
            if replicates:
                draft.guess(col, f"looks like a {role} column (name), but the table has replicate weights "
                                 f"({replicates[0]}, ...), which stand for the strata and PSUs: a design is one "
                                 "or the other, so no role (give it role: metadata; see the table's design "
                                 "comment)")  # fmt: skip
            elif taken:
                draft.guess(col, f"looks like a {role} column (name), but {taken[0]!r} has role: {role}; one per "
                                 "table: no role")  # fmt: skip
            else:
                spec["role"] = role
                what = "stratum" if role == "strata" else "primary sampling unit (cluster)"
                draft.guess(col, f"the sample design's {what} (name): check it against the data's documentation; "
                                 "if PSU ids restart within each stratum add `design: {nest: true}` to the "
                                 "table")  # fmt: skip


def _weight_role(draft: Draft, col: str, spec: dict) -> None:
    """Role weight for the first weight-like column with positive values; the others get a comment."""
    taken = [c for c, s in draft.variables.items() if s.get("role") == "weight"]
    values = draft.numbers(col)
    if taken:
        draft.guess(col, f"looks like a survey weight (name), but {taken[0]!r} has role: weight (one per table): "
                         "move the role here if the data's documentation says to use this weight")  # fmt: skip
    elif len(values) and (values <= 0).any():
        draft.guess(col, "looks like a survey weight (name), but has values <= 0 (a weight must be > 0): no role")
    else:
        spec["role"] = "weight"
        missing = len(draft.frame) - len(draft.text(col))
        note = f"; {missing:,} rows have no weight and are excluded when the data are loaded" if missing else ""
        draft.guess(col, f"survey weight (name): check that this is the weight the data's documentation says to "
                         f"use{note}")  # fmt: skip


def _numbered_groups(draft: Draft) -> list[tuple[str, list[tuple[int, str]]]]:
    """Numeric columns without a role whose names end in a number (``pwgtp1``, ``repwt_01``), by the stem
    before it: ``[(normalised stem, [(number, column), ...])]`` in column order, numbers consecutive from
    0 or 1, at least `MIN_REPLICATES` from 1."""
    stems = defaultdict(list)
    for col, spec in draft.variables.items():
        m = re.fullmatch(r"(.*?)_?(\d+)", norm_name(col))
        if m and m.group(1) and not spec.get("role") and spec["type"] in ("integer", "number"):
            stems[m.group(1)].append((int(m.group(2)), col))
    out = []
    for stem, members in stems.items():
        members = sorted(members)
        numbers = [n for n, _ in members]
        if numbers[0] in (0, 1) and numbers == list(range(numbers[0], numbers[0] + len(numbers))) and \
                numbers[-1] >= MIN_REPLICATES:  # fmt: skip
            out.append((stem, members))
    return out


def _weight_values(draft: Draft, col: str) -> pd.Series | None:
    """A weight's values (a number in every row, all > 0), else None."""
    spec = draft.variables.get(col, {})
    if spec.get("role") not in (None, "weight") or spec.get("type") not in ("integer", "number"):
        return None
    values = draft.numbers(col)
    return values if len(values) and len(values) == draft.frame[col].notna().sum() and (values > 0).all() else None


def _replicate_weights(draft: Draft) -> set[str]:
    """Replicate weights: a group of `_numbered_groups` named after a weight (``pwgtp`` and ``pwgtp1`` ..
    ``pwgtp80``; ``pw`` and ``pw_rep1``..; ``spfwt0`` and ``spfwt1``..) or named as replicate weights
    (`REPLICATE`: ``repwt1``.., with the weight-like column nearest them), with values >= 0 in every row
    that has a weight, averaging 0.5 to 2 times the weight. The first such group gets role
    ``replicate_weight`` and its weight role ``weight`` (unless another column has it), with a table
    guess carrying the ``design`` block to fill in; a group that looks like replicate factors (mean below
    5, the weight's 5 times larger) or whose weight is taken gets a comment only. Returns the columns of
    every group recognised, which get no other weight comment."""
    order = list(draft.variables)
    names = {norm_name(c): c for c in order}
    groups = _numbered_groups(draft)
    in_groups = {c for _, members in groups for _, c in members}
    seen: set[str] = set()
    for stem, members in groups:
        weight, how = None, ""
        if members[0][0] == 0 and WEIGHTISH.search(stem):  # spfwt0, spfwt1, ...: the 0th is the full-sample weight
            weight, members = members[0][1], members[1:]
            how = f"numbered after the full-sample weight {weight!r} (replicate 0)"
        else:
            members = [(n, c) for n, c in members if n > 0]
            said = _REPLICATE_JOINS.sub("", stem)  # pw_rep1: any name, and "rep" says replicate
            plain_r = re.sub(r"_?r$", "", stem)  # pwgtp1, finalwt_r1: a weight's name
            candidates = [(stem, False), (said, said != stem), (plain_r, False)]
            for name, named_rep in candidates:
                if name in names and names[name] not in in_groups and (named_rep or WEIGHTISH.search(name)):
                    weight, how = names[name], f"named after the weight {names[name]!r}"
                    break
        cols = [c for _, c in members]
        if weight is None and REPLICATE.match(stem):
            first = order.index(cols[0])
            near = sorted((c for c in order if c not in in_groups and c not in cols and WEIGHTISH.search(norm_name(c))
                           and _weight_values(draft, c) is not None),
                          key=lambda c: (order.index(c) > first, abs(order.index(c) - first)))  # fmt: skip
            if near:
                weight = near[0]
                more = f" (the nearest of the weight-like columns {', '.join(near)}: check)" if len(near) > 1 else ""
                how = f"named as replicate weights, beside the weight {weight!r}{more}"
        if weight is None or len(cols) < MIN_REPLICATES:
            continue
        w = _weight_values(draft, weight)
        if w is None:
            continue
        where = f"{cols[0]}..{cols[-1]}"
        has_weight = draft.frame[weight].notna().to_numpy()
        reps = [pd.to_numeric(draft.frame.loc[has_weight, c].astype("string").str.strip(), errors="coerce")
                for c in cols]  # fmt: skip
        rep_mean, w_mean = float(pd.concat(reps).mean()), float(w.mean())
        factors = rep_mean < 5 and w_mean > 5 * rep_mean
        if not factors and not 0.5 <= rep_mean / w_mean <= 2:  # not weights of this size: not its replicates
            continue
        seen.update(cols)
        if any(r.isna().any() or (r < 0).any() for r in reps):
            draft.guess(cols[0], f"{len(cols)} numbered weights {where} {how}, but some are missing or negative "
                                 "where the weight is not: not proposed as replicate weights")  # fmt: skip
            continue
        if factors:
            draft.guess(cols[0], f"{len(cols)} numbered columns {where} {how} look like replicate factors (mean "
                                 f"{rep_mean:.3g}; the weight's {w_mean:.3g}), not replicate weights: multiply each by "
                                 f"{weight!r} to make the full replicate weights, then give them role: "
                                 "replicate_weight")  # fmt: skip
            continue
        taken = [c for c, s in draft.variables.items() if s.get("role") in ("weight", "replicate_weight")]
        if taken:
            draft.guess(cols[0], f"{len(cols)} numbered weights {where} {how}: replicate weights? {taken[0]!r} already "
                                 "has a design role (one design per table): no role")  # fmt: skip
            continue
        draft.variables[weight]["role"] = "weight"
        draft.guess(weight, f"survey weight: the full-sample weight of the replicate weights {where} ({how}); check "
                            "that the data's documentation says to use it")  # fmt: skip
        for k, col in enumerate(cols, 1):
            _no_guessed_codes(draft, col)
            draft.variables[col]["role"] = "replicate_weight"
            draft.guess(col, f"replicate weight {k} of {len(cols)} (see {cols[0]})" if k > 1 else
                        f"replicate weights: {len(cols)} numbered weights {where} {how}, a number >= 0 in every row; "
                        "the table's `design:` must say how they were made (see the comment there)")  # fmt: skip
        _replicate_design_hint(draft, weight, cols)
    return seen


def _no_guessed_codes(draft: Draft, col: str) -> None:
    """Drop the missing codes guessed from a column's values (a replicate weight of 99 is a weight), keeping
    the ones an SPSS/Stata file declares."""
    declared = [{"range": [plain(v) for v in c["range"]]} if isinstance(c, dict) else plain(c)
                for c in draft.raw.user_missing.get(col, [])]  # fmt: skip
    spec = draft.variables[col]
    if spec.get("missing_codes", []) != declared:
        spec.pop("missing_codes", None)
        if declared:
            spec["missing_codes"] = declared
        draft.guesses = [g for g in draft.guesses if g["variable"] != col]
        values = pd.to_numeric(draft.frame[col].astype("string").str.strip(), errors="coerce").dropna()
        if len(values) and not declared:
            spec["range"] = [plain(values.min()), plain(values.max())]


def _replicate_design_hint(draft: Draft, weight: str, cols: list[str]) -> None:
    """The table's guess about its replicate design, with the ``design:`` block to fill in (commented)."""
    acs = norm_name(weight) in ("pwgtp", "wgtp") and len(cols) == 80
    text = (f"a replicate-weight design ({weight} with {len(cols)} replicate weights {cols[0]}..{cols[-1]}). Loading "
            "needs the design block below, filled in from the data's documentation and uncommented: replicate_type "
            "(JK1, JKn with rscales, BRR, Fay with rho, bootstrap, successive-difference, JK2 or other), and scale, "
            "rscales or mse: true where it gives them (docs/codebook.md, \"Replicate weights\")")  # fmt: skip
    design = {"replicate_type": "FILL_IN"}
    if acs:
        text += (". The names and 80 replicates are the American Community Survey PUMS's, whose documentation gives "
                 "SE = sqrt(4/80 sum_r (X_r - X)^2): successive-difference with mse: true (check)")  # fmt: skip
        design = {"replicate_type": "successive-difference", "mse": True}
    draft.guess(None, text, design=design)


def _demographics(draft: Draft) -> None:
    for col, spec in draft.variables.items():
        if not spec.get("role") and DEMOGRAPHIC.search(norm_name(col)):
            spec["role"] = "demographic"
            draft.guess(col, "demographic (name)")


def _wide_pairs(columns: list[str]) -> tuple[str, str] | None:
    """Columns in partner pairs (``x.1``/``x.2``, ``sat.1_3``/``sat.2_3``, ``x_w``/``x_m``): an example pair
    when at least 80% of the columns have their pair, else None."""
    lower = {c.lower(): c for c in columns}
    paired, shapes = set(), defaultdict(list)
    for low, col in lower.items():
        for m in re.finditer(r"(?<=[._])([12wmfh])(?=[._]|$)", low):
            other = low[: m.start()] + _PARTNER_MARKS[m.group()] + low[m.end() :]
            if other in lower:
                paired.add(col)
                shape = (re.sub(r"\d+", "#", low[: m.start()]), re.sub(r"\d+", "#", low[m.end() :]))
                shapes[shape].append((col, lower[other]))
    if len(paired) < 0.8 * len(columns):
        return None
    return max(shapes.values(), key=len)[0]


ROUND_ROBIN_UNIT = "family member pair (rater x member rated)"


def _unit(draft: Draft, day: str | None, dyad: str | None, round_robin: bool = False) -> str:
    if round_robin:
        draft.guess(None, f"unit: {ROUND_ROBIN_UNIT}, a family round robin (one row per family, rater and member "
                          "rated)")  # fmt: skip
        return ROUND_ROBIN_UNIT
    if day:
        unit = "person-day" if "day" in norm_name(day) else "person-wave"
        draft.guess(None, f"unit: {unit}, one row per person and {day}")
        return unit
    pair = None if dyad else _wide_pairs(list(draft.frame.columns))
    if pair:
        draft.guess(None, f"unit: dyad. Columns come in pairs for the two partners (e.g. {pair[0]} / {pair[1]}): one "
                          "row per couple (a wide file), with no couple id column")  # fmt: skip
        return "dyad"
    return "person"


def find_roles(draft: Draft) -> str:
    """Set the roles of a draft whose values are described: identifying columns, durations and other
    roles by name, instrument items, then couple id, partner number, diary day and person id from the
    structure, family ids (with rater and member rated in a round robin; else a comment only),
    demographics. Returns the table's unit."""
    _named_roles(draft)
    _instruments(draft)
    dyad = _dyad(draft)
    partner = _partner(draft, dyad) if dyad else None
    days = _day_candidates(draft)
    person = _person(draft, days)
    if person:
        draft.variables[person]["role"] = "id"
    day = _day(draft, days, person, dyad, partner)
    round_robin = _family(draft, dyad, days if day else [])
    if "ResponseId" in draft.variables and not draft.variables["ResponseId"].get("role"):
        draft.variables["ResponseId"]["role"] = "metadata"
    _demographics(draft)
    for col in (person, dyad):
        if col:  # an id's range or values say nothing
            draft.variables[col].pop("range", None)
            draft.variables[col].pop("values", None)
    return _unit(draft, day, dyad, round_robin)
