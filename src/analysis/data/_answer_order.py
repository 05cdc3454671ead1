"""Ordering answers from their wording, for the codebook drafter: poor < fair < good < very good <
excellent, never < rarely < sometimes < often < always, agreement, amount, happiness and other
scales, frequencies per year, numbers and education levels in labels; plus the name and label
normalisation the drafter's rules share."""

from __future__ import annotations

import re

__all__ = ["norm_name", "norm_label", "is_missing_label", "order_categories", "MISSING_PHRASES", "SCALES"]


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
