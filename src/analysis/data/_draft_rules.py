"""Rules the codebook drafter (`analysis.data.codebook_draft`) uses.

- Names: what column names mean (person, couple and family ids, partner numbers, days, survey
  durations, weights, attention checks, demographics).
- Wording: which answers mean "missing", and how answer categories are put in order (known
  scales, frequencies, numbers in the labels, education levels): `order_categories`.
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

from analysis.data.codebook import infer_variables
from analysis.data.instrument_library import list_instruments, load_instrument
from analysis.data.privacy import pii_columns
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
PARTNER = re.compile(r"^(?:partner|partnum|partner_?(?:num|number|no|nr|id|role)|member|member_?(?:num|no|nr|id)"
                     r"|role|person|person_?(?:num|no|nr)|pnum|spouse|who)$")  # fmt: skip
SEX = re.compile(r"^(?:sex|gender)")
DAY = re.compile(r"^(?:day|days|diary_?day|day_?(?:num|number|no|nr)|studyday|wave|time|timepoint|tp|occasion|week"
                 r"|session|visit|beep|measurement|t)$")  # fmt: skip
DURATION = re.compile(r"^(?:duration|duration_?(?:in_)?(?:seconds|secs|sec|s|minutes|mins|min)|q_?(?:total_?)?duration"
                      r"|time_?taken|completion_?time|time_?to_?complete|total_?time|survey_?time|response_?time"
                      r"|time_?spent|elapsed(?:_?time)?)$")  # fmt: skip
DURATION_MINUTES = re.compile(r"min")
WEIGHT = re.compile(r"^(?:wt|wgt|weight|weights)[a-z0-9_]*$|_(?:wt|wgt|weight)$")
ATTENTION = re.compile(r"^(?:attn|attention|attention_?check|attn_?check|ac|imc|check)_?\d*$")
FLAG = re.compile(r"^(?:is|has|had|was|did|ever|any)_|_(?:flag|yn|bool)$")
DEMOGRAPHIC = re.compile(r"^(?:(?:subject|respondent|resp|participant|r|p|actor|partner)_)?(?:age|sex|gender|educ"
                         r"|education|degree|income|race|ethnicity|ethnic|marital|marital_status|religion|religious"
                         r"|religiousness|occupation|employment|country|nationality|children|childs)(?:_(?:category|cat"
                         r"|level|group|num|code|status|years|yrs|husb|wife))?$")  # fmt: skip
GENERIC_STEMS = {"q", "qn", "item", "items", "i", "it", "x", "v", "var", "question", "s"}


def norm_name(name) -> str:
    """``"Duration (in seconds)"`` -> ``"duration_in_seconds"``; ``"family.id"`` -> ``"family_id"``."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_")


# ---------------------------------------------------------------------------------------------
# Answer labels
# ---------------------------------------------------------------------------------------------
_ABBREVIATIONS = {
    "sev": "several", "sevrl": "several", "mnth": "month", "mo": "month", "yr": "year", "yrs": "years", "wk": "week",
    "thn": "than", "nrly": "nearly", "lt": "less than", "gt": "more than", "mod": "moderately",
    "dissat": "dissatisfied", "sat": "satisfied", "wkly": "weekly", "nodiploma": "no diploma", "approx": "about",
}  # fmt: skip
MISSING_PHRASES = {
    "don t know", "dont know", "do not know", "refused", "refuse", "prefer not to say", "prefer not to answer",
    "rather not say", "no answer", "not applicable", "n a", "unknown", "missing", "iap", "not asked", "skipped",
    "decline to answer", "declined", "no response", "cannot say", "can t say",
}  # fmt: skip


def norm_label(text) -> str:
    """An answer label in plain words: lower case, ``_``/``-``/punctuation as spaces, common survey
    abbreviations spelt out (``"Sev Times a Mnth"`` -> ``"several times a month"``), ``2-3x`` -> ``2 3 times``,
    ``4+`` -> ``4 or more``; a trailing ``or`` (``"Rarely, or"``) dropped."""
    text = str(text).lower().replace("+", " or more ").replace("&", " and ")
    text = re.sub(r"(\d)x\b", r"\1 times", text)
    text = re.sub(r"[^a-z0-9.]+", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)  # keep decimal points only
    words = [_ABBREVIATIONS.get(w, w) for w in text.split()]
    while words and words[-1] in ("or", "and"):
        words.pop()
    return " ".join(words)


def is_missing_label(text) -> bool:
    """True for an answer that says the answer is missing ("Don't know", "Refused", "N/A", ...)."""
    return norm_label(text) in MISSING_PHRASES


# Known scales, lowest first: {phrase: position}. A column's categories are ordered by a scale only
# when every category is a phrase of that one scale and no two share a position.
def _scale(*levels) -> dict[str, float]:
    out = {}
    for pos, phrases in levels:
        for phrase in phrases.split("|"):
            out[phrase] = pos
    return out


SCALES = {
    "quality": _scale((0, "very poor|terrible|awful"), (1, "poor"), (2, "fair"), (3, "good"),
                      (4, "very good"), (5, "excellent")),
    "good-bad": _scale((0, "very bad|extremely bad"), (1, "bad"), (1.5, "somewhat bad|slightly bad"),
                       (2, "neither good nor bad|neutral|mixed"), (2.5, "somewhat good|slightly good"), (3, "good"),
                       (4, "very good|extremely good")),
    "frequency": _scale((0, "never|not at all|none of the time"), (1, "almost never|hardly ever|very rarely"),
                        (2, "rarely|seldom|a little of the time"),
                        (3, "sometimes|occasionally|some of the time|now and then|once in a while"),
                        (4, "often|fairly often|frequently|a good part of the time|a lot of the time"),
                        (5, "very often|usually|most of the time|most times|very frequently"),
                        (6, "almost always|nearly always|almost all the time"),
                        (7, "always|all of the time|all the time")),
    "agreement": _scale((0, "very strongly disagree"),
                        (1, "strongly disagree|completely disagree|totally disagree|disagree strongly"
                            "|disagree completely|do not agree at all"),
                        (2, "disagree|mostly disagree|moderately disagree"),
                        (3, "somewhat disagree|slightly disagree|mildly disagree|tend to disagree|disagree somewhat"
                            "|disagree slightly|disagree a little"),
                        (4, "neither agree nor disagree|neither agree or disagree|neither|neutral|undecided|not sure"
                            "|unsure|mixed|neutral mixed|agree and disagree|neither disagree nor agree"),
                        (5, "somewhat agree|slightly agree|mildly agree|tend to agree|agree somewhat|agree slightly"
                            "|agree a little"),
                        (6, "agree|mostly agree|moderately agree"),
                        (7, "strongly agree|completely agree|totally agree|agree strongly|agree completely"),
                        (8, "very strongly agree")),
    "amount": _scale((0, "not at all|none|not at all true|not true|not at all like me"),
                     (1, "a little|a little bit|slightly|a bit|a little true|slightly true|a little like me"),
                     (2, "somewhat|moderately|some|a moderate amount|somewhat true|moderately true|somewhat like me"),
                     (3, "quite a bit|quite a lot|a lot|mostly|mostly true|very|very true|mostly like me"),
                     (4, "very much|extremely|a great deal|completely|completely true|definitely true|totally"
                         "|very much like me|exactly like me")),
    "happiness": _scale((0, "very unhappy|extremely unhappy|completely unhappy"),
                        (1, "unhappy|fairly unhappy|quite unhappy"),
                        (1.5, "somewhat unhappy|a little unhappy|slightly unhappy"),
                        (2, "not too happy|not very happy|not happy|not so happy"),
                        (3, "neither happy nor unhappy|average|so so|neutral"),
                        (4, "pretty happy|fairly happy|somewhat happy|a little happy|slightly happy"
                            "|happier than average"),
                        (5, "happy|quite happy"), (6, "very happy"),
                        (7, "extremely happy|completely happy|perfectly happy|perfect")),
    "satisfaction": _scale((0, "very dissatisfied|extremely dissatisfied|completely dissatisfied"),
                           (0.5, "not at all satisfied"),
                           (1, "dissatisfied|not satisfied|not very satisfied"),
                           (1.5, "somewhat dissatisfied|a little dissatisfied|slightly dissatisfied"
                                 "|moderately dissatisfied|mostly dissatisfied"),
                           (2, "neither satisfied nor dissatisfied|neutral|more or less|mixed"),
                           (3, "somewhat satisfied|moderately satisfied|a little satisfied|slightly satisfied"
                               "|fairly satisfied|mostly satisfied"),
                           (4, "satisfied|quite satisfied"), (5, "very satisfied"),
                           (6, "extremely satisfied|completely satisfied|perfectly satisfied")),
    "change": _scale((0, "much worse|a lot worse|much worse than before|got much worse"),
                     (1, "worse|somewhat worse|worse than before|got worse"),
                     (1.5, "a little worse|slightly worse"),
                     (2, "no change|same|the same|about the same|stayed the same|unchanged|no different"),
                     (2.5, "a little better|slightly better"),
                     (3, "better|somewhat better|better than before|got better"),
                     (4, "much better|a lot better|much better than before|got much better")),
    "relative": _scale((0, "far below average|well below average|much below average|much less"),
                       (1, "below average|less"), (2, "average|about average|the same"),
                       (3, "above average|more"), (4, "far above average|well above average|much above average"
                                                        "|much more")),
    "likelihood": _scale((0, "very unlikely|extremely unlikely|definitely not|definitely will not"),
                         (1, "unlikely|somewhat unlikely|probably not|probably will not"),
                         (2, "neither likely nor unlikely|maybe|50 50|not sure"),
                         (3, "likely|somewhat likely|probably|probably will"),
                         (4, "very likely|extremely likely|definitely|definitely will")),
    "importance": _scale((0, "not at all important|not important"), (1, "slightly important|a little important"),
                         (2, "moderately important|somewhat important|fairly important"),
                         (3, "important|quite important"), (4, "very important"),
                         (5, "extremely important|essential")),
    "difficulty": _scale((0, "very easy"), (1, "easy|fairly easy|somewhat easy"), (2, "neither easy nor difficult"),
                         (3, "difficult|hard|somewhat difficult|fairly difficult"),
                         (4, "very difficult|very hard|extremely difficult")),
}  # fmt: skip

_PER_YEAR = {"day": 365, "days": 365, "daily": 365, "night": 365, "week": 52, "weeks": 52, "weekly": 52, "month": 12,
             "months": 12, "monthly": 12, "year": 1, "years": 1, "yearly": 1, "annually": 1, "annual": 1}  # fmt: skip
_COUNT_WORDS = {"once": 1, "twice": 2, "couple": 2, "few": 3, "several": 3, "many": 5, "every": 1, "each": 1}
_ZERO = re.compile(r"^(never|not at all|none|no|zero|nothing|no .+)$")
_BELOW = re.compile(r"\b(under|less than|fewer than|below|up to|or less|or fewer|almost|nearly)\b")
_ABOVE = re.compile(r"\b(over|more than|above|or more|plus|at least|and over|and above|or older)\b")
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(k|m)?\b")
_MISSING_WORDS = re.compile(r"\b(unknown|don t know|dont know|refused|not applicable)\b")


def _shift(label: str) -> float:
    return -0.01 if _BELOW.search(label) else 0.01 if _ABOVE.search(label) else 0.0


def _rate(label: str) -> float | None:
    """Times per year a frequency answer means (``"2-3 times a month"`` -> 24), None if it has no unit."""
    if _ZERO.match(label) and not any(u in label.split() for u in _PER_YEAR):
        return 0.0
    units = [w for w in label.split() if w in _PER_YEAR]
    if not units:
        return None
    per_year = _PER_YEAR[units[-1]]
    head = label.split(units[-1])[0]
    number = _NUMBER.search(head)
    if number:
        count = float(number.group(1))
    else:
        count = next((n for w, n in _COUNT_WORDS.items() if re.search(rf"\b{w}\b", head)), 1.0)
    return count * per_year * (1 + _shift(label))


def _number_key(label: str) -> float | None:
    if _ZERO.match(label):
        return 0.0
    number = _NUMBER.search(label)
    if number is None:
        return None
    value = float(number.group(1)) * {"k": 1e3, "m": 1e6}.get(number.group(2) or "", 1)
    return value + abs(value or 1) * _shift(label)


_EDUCATION = [
    (re.compile(r"^(no education|no schooling|none|no formal education|never attended)$"), 0),
    (re.compile(r"\b(prof|professional|doct|doctorate|doctoral|phd|md)\b"), 19),
    (re.compile(r"\bsome graduate\b"), 17),
    (re.compile(r"\b(master|masters|graduate|postgraduate|graduate degree)\b"), 18),
    (re.compile(r"\b(bach|bachelor|bachelors|college grad|college graduate|university degree|college degree)\b"), 16),
    (re.compile(r"\b(associate|associates|junior college|community college|vocational)\b"), 15),
    (re.compile(r"\bsome college\b"), 14),
    (re.compile(r"\b(less than high school|some high school)\b"), 10.5),
    (re.compile(r"\b(high school|hs|ged|secondary)\b"), 13),
    (re.compile(r"\b(\d+)(st|nd|rd|th)\b"), None),  # grade n -> n
    (re.compile(r"\b(grade school|elementary|primary)\b"), 6),
]


def _education_key(label: str) -> float | None:
    for pattern, pos in _EDUCATION:
        found = pattern.search(label)
        if found:
            return float(found.group(1)) if pos is None else float(pos)
    return None


def _ordered_by(labels: list[str], keys: list[float | None]) -> list[int] | None:
    if any(k is None for k in keys) or len(set(keys)) < len(keys):
        return None
    return sorted(range(len(labels)), key=lambda i: keys[i])


def order_categories(categories: list, name: str = "") -> tuple[list | None, str]:
    """Put answer categories in order, lowest first, from their wording.

    Returns ``(ordered categories, how)``; ``(None, why not)`` when the wording is not understood.
    Tried in turn: labels that start with a number (``"1 - not at all"``), the known scales
    (`SCALES`), frequencies (times per year: ``"never"``, ``"once a month"``, ``"2-3 times a week"``),
    numbers anywhere in the labels (``"under_5k"``, ``"5k_7k"``, ``"over_250k"``), education levels.
    """
    cats = list(categories)
    labels = [norm_label(c) for c in cats]
    if len(cats) < 3:
        return None, "fewer than 3 categories"
    if any(_MISSING_WORDS.search(lab) for lab in labels):
        return None, "a category mentions an unknown/refused answer"
    if all(re.match(r"^\d", lab) for lab in labels):
        order = _ordered_by(labels, [_number_key(lab) for lab in labels])
        if order:
            return [cats[i] for i in order], "by the numbers the labels start with"
    for scale, phrases in SCALES.items():
        order = _ordered_by(labels, [phrases.get(lab) for lab in labels])
        if order:
            return [cats[i] for i in order], f"from the wording ({scale} scale)"
    order = _ordered_by(labels, [_rate(lab) for lab in labels])
    if order:
        return [cats[i] for i in order], "from the wording (how often: times per day, week, month or year)"
    order = _ordered_by(labels, [_number_key(lab) for lab in labels])
    if order:
        return [cats[i] for i in order], "by the numbers in the labels (under < ... < over)"
    degree_words = sum(bool(re.search(r"school|college|degree|grad|bach|master|doct|associate", lab)) for lab in labels)
    if degree_words >= 2 or re.search(r"educ|degree|school", norm_name(name)):
        order = _ordered_by(labels, [_education_key(lab) for lab in labels])
        if order:
            return [cats[i] for i in order], "from the wording (education levels)"
    return None, "the wording is not a scale the drafter knows"


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

    def guess(self, col: str | None, text: str) -> None:
        self.guesses.append({"table": TABLE, "variable": col, "guess": text})

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


def _family(draft: Draft, dyad: str | None, days: list[str]) -> None:
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
        if named or shaped:
            draft.guess(col, f"family (group) id: {'the name, and ' if named else ''}each value on "
                             f"{plain(counts.median())} rows (median). The codebook has no family role yet, so no "
                             "role is set")  # fmt: skip


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
    for col, reason in pii_columns(draft.frame.columns, {}).items():
        draft.variables[col]["role"] = "pii"
        draft.guess(col, f"identifies people ({reason}): dropped before analysis unless you add keep: true")
    for col, spec in draft.variables.items():
        name = norm_name(col)
        if spec.get("role"):
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
        elif WEIGHT.search(name) and spec["type"] == "number":
            draft.guess(col, "looks like a survey weight (name): weight roles are planned (issue 17), not yet in "
                             "the codebook; no role")  # fmt: skip


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


def _unit(draft: Draft, day: str | None, dyad: str | None) -> str:
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
    structure, family ids (comment only), demographics. Returns the table's unit."""
    _named_roles(draft)
    _instruments(draft)
    dyad = _dyad(draft)
    partner = _partner(draft, dyad) if dyad else None
    days = _day_candidates(draft)
    person = _person(draft, days)
    if person:
        draft.variables[person]["role"] = "id"
    day = _day(draft, days, person, dyad, partner)
    _family(draft, dyad, days if day else [])
    if "ResponseId" in draft.variables and not draft.variables["ResponseId"].get("role"):
        draft.variables["ResponseId"]["role"] = "metadata"
    _demographics(draft)
    for col in (person, dyad):
        if col:  # an id's range or values say nothing
            draft.variables[col].pop("range", None)
            draft.variables[col].pop("values", None)
    return _unit(draft, day, dyad)
