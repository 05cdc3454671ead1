"""Every bundled instrument file against its published key.

For each file in src/analysis/data/instruments/ this module writes out, by hand, what the publication
(or the project, for the two demo measures) says: the item count, the scoring rule, which items
form each score, the theoretical range of every score, the reverse-keyed items and the cut-off
bands. It then checks the file against that, and scores one made-up respondent per instrument
whose expected scores were computed by hand (the arithmetic is in the comments).

A new instrument file fails `test_every_file_has_written_out_expectations` until its published
key is added to EXPECTED below. Where each key was checked is in the file's `key_source` and in
docs/instruments.md.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from numpy.testing import assert_allclose

from analysis.data.instrument_library import load_instrument
from analysis.paths import INSTRUMENTS_DIR
from analysis.scoring.scales import score_scale

CODEBOOKS = Path(__file__).resolve().parents[1] / "studies" / "codebooks"


def ids(first: int, last: int, prefix: str = "") -> list[str]:
    """Item ids first..last as strings, e.g. ids(1, 3) == ["1", "2", "3"]."""
    return [f"{prefix}{i}" for i in range(first, last + 1)]


def odd(n: int) -> list[str]:
    return [str(i) for i in range(1, n + 1, 2)]


def even(n: int) -> list[str]:
    return [str(i) for i in range(2, n + 1, 2)]


# --------------------------------------------------------------------------------------------
# The published keys, written out
# --------------------------------------------------------------------------------------------
# n_items, scoring, scores {name: item ids}, ranges {score: (min, max)} as published,
# reverse (ids flagged reverse in the file), cutoffs {score: [(label, below), ..., (label, None)]},
# respondent {item id: raw response}, expected {score: value} computed by hand, bands {score: label}.

EXPECTED: dict[str, dict] = {
    "ecr": {
        # Brennan, Clark & Shaver (1998): odd = avoidance, even = anxiety, means 1-7.
        "n_items": 36,
        "scoring": "mean",
        "scores": {"avoidance": odd(36), "anxiety": even(36)},
        "ranges": {"avoidance": (1, 7), "anxiety": (1, 7)},
        "reverse": {"3", "15", "19", "22", "25", "27", "29", "31", "33", "35"},
        "cutoffs": {},
        # every odd item 2, every even item 6
        "respondent": {str(i): (2 if i % 2 else 6) for i in range(1, 37)},
        # avoidance: 9 reversed items 8-2 = 6, 9 forward items 2 -> (54 + 18) / 18 = 4
        # anxiety: item 22 reversed 8-6 = 2, 17 forward items 6 -> (102 + 2) / 18 = 104/18
        "expected": {"avoidance": 4.0, "anxiety": 104 / 18},
    },
    "ecr_r": {
        # Fraley, Waller & Brennan (2000): 1-18 anxiety, 19-36 avoidance, means 1-7.
        "n_items": 36,
        "scoring": "mean",
        "scores": {"anxiety": ids(1, 18), "avoidance": ids(19, 36)},
        "ranges": {"anxiety": (1, 7), "avoidance": (1, 7)},
        "reverse": {"9", "11", "20", "22", "26", "27", "28", "29", "30", "31", "33", "34", "35", "36"},
        "cutoffs": {},
        # anxiety items 5, avoidance items 3
        "respondent": {str(i): (5 if i <= 18 else 3) for i in range(1, 37)},
        # anxiety: 9, 11 -> 8-5 = 3; 16 x 5 + 2 x 3 = 86 -> 86/18
        # avoidance: 12 reversed -> 8-3 = 5; 6 forward (19, 21, 23, 24, 25, 32) x 3; 60 + 18 = 78 -> 78/18
        "expected": {"anxiety": 86 / 18, "avoidance": 78 / 18},
    },
    "ecr_s": {
        # Wei et al. (2007): anxiety 2, 4, 6, 8R, 10, 12; avoidance 1R, 3, 5R, 7, 9R, 11.
        "n_items": 12,
        "scoring": "mean",
        "scores": {"anxiety": ["2", "4", "6", "8", "10", "12"], "avoidance": ["1", "3", "5", "7", "9", "11"]},
        "ranges": {"anxiety": (1, 7), "avoidance": (1, 7)},
        "reverse": {"1", "5", "8", "9"},
        "cutoffs": {},
        "respondent": dict(zip(ids(1, 12), [2, 6, 3, 5, 1, 7, 2, 3, 2, 6, 3, 4], strict=True)),
        # anxiety: 6 + 5 + 7 + (8-3) + 6 + 4 = 33 -> 5.5
        # avoidance: (8-2) + 3 + (8-1) + 2 + (8-2) + 3 = 27 -> 4.5
        "expected": {"anxiety": 5.5, "avoidance": 4.5},
    },
    "csi_4": {
        # Funk & Rogge (2007): item 1 0-6, items 2-4 0-5, sum 0-21, distress below 13.5.
        "n_items": 4,
        "scoring": "sum",
        "scores": {"total": ids(1, 4)},
        "ranges": {"total": (0, 21)},
        "reverse": set(),
        "cutoffs": {"total": [("notable relationship dissatisfaction", 13.5), ("no notable dissatisfaction", None)]},
        "respondent": {"1": 3, "2": 4, "3": 2, "4": 4},
        # 3 + 4 + 2 + 4 = 13 < 13.5
        "expected": {"total": 13.0},
        "bands": {"total": "notable relationship dissatisfaction"},
    },
    "csi_16": {
        # Funk & Rogge (2007): item 1 0-6, items 2-16 0-5, sum 0-81, distress below 51.5.
        "n_items": 16,
        "scoring": "sum",
        "scores": {"total": ids(1, 16)},
        "ranges": {"total": (0, 81)},
        "reverse": set(),  # printed point values already run in the keyed direction
        "cutoffs": {"total": [("notable relationship dissatisfaction", 51.5), ("no notable dissatisfaction", None)]},
        "respondent": {"1": 4, **{str(i): 3 for i in range(2, 16)}, "16": 5},
        # 4 + 14 x 3 + 5 = 51 < 51.5
        "expected": {"total": 51.0},
        "bands": {"total": "notable relationship dissatisfaction"},
    },
    "csi_32": {
        # Funk & Rogge (2007): item 1 0-6, items 2-32 0-5, sum 0-161, distress below 104.5.
        # The reverse-WORDED items 6, 10 and 15 are printed with reversed point values on the
        # authors' form, so with raw = printed value none is flagged (as in csi_16).
        "n_items": 32,
        "scoring": "sum",
        "scores": {"total": ids(1, 32)},
        "ranges": {"total": (0, 161)},
        "reverse": set(),
        "cutoffs": {"total": [("notable relationship dissatisfaction", 104.5), ("no notable dissatisfaction", None)]},
        "respondent": {"1": 5, **{str(i): 3 for i in range(2, 33)}, "10": 5, "15": 5, "29": 0},
        # 5 + 31 x 3 = 98; items 10 and 15 at 5: +2 +2 = 102; item 29 at 0: -3 = 99 < 104.5
        "expected": {"total": 99.0},
        "bands": {"total": "notable relationship dissatisfaction"},
    },
    "ims": {
        # Rusbult, Martz & Agnew (1998): global items, 0-8, means; commitment 3 and 4 reversed.
        "n_items": 22,
        "scoring": "mean",
        "scores": {
            "satisfaction": ids(1, 5, "sat_"),
            "alternatives": ids(1, 5, "alt_"),
            "investment": ids(1, 5, "inv_"),
            "commitment": ids(1, 7, "com_"),
        },
        "ranges": {"satisfaction": (0, 8), "alternatives": (0, 8), "investment": (0, 8), "commitment": (0, 8)},
        "reverse": {"com_3", "com_4"},
        "cutoffs": {},
        "respondent": {
            **dict(zip(ids(1, 5, "sat_"), [6, 7, 5, 8, 6], strict=True)),
            **dict(zip(ids(1, 5, "alt_"), [2, 1, 3, 0, 4], strict=True)),
            **dict(zip(ids(1, 5, "inv_"), [5, 5, 6, 4, 7], strict=True)),
            **dict(zip(ids(1, 7, "com_"), [8, 7, 1, 2, 6, 8, 7], strict=True)),
        },
        # satisfaction 32/5; alternatives 10/5; investment 27/5;
        # commitment 8 + 7 + (8-1) + (8-2) + 6 + 8 + 7 = 49 -> 49/7 = 7
        "expected": {"satisfaction": 6.4, "alternatives": 2.0, "investment": 5.4, "commitment": 7.0},
    },
    "ras": {
        # Hendrick (1988): 7 items 1-5, items 4 and 7 reversed, mean 1-5.
        "n_items": 7,
        "scoring": "mean",
        "scores": {"total": ids(1, 7)},
        "ranges": {"total": (1, 5)},
        "reverse": {"4", "7"},
        "cutoffs": {},
        "respondent": dict(zip(ids(1, 7), [4, 5, 4, 2, 3, 5, 1], strict=True)),
        # 4 + 5 + 4 + (6-2) + 3 + 5 + (6-1) = 30 -> 30/7
        "expected": {"total": 30 / 7},
    },
    "ucla_20": {
        # Russell (1996): 20 items 1-4, 9 reversed, sum 20-80.
        "n_items": 20,
        "scoring": "sum",
        "scores": {"total": ids(1, 20)},
        "ranges": {"total": (20, 80)},
        "reverse": {"1", "5", "6", "9", "10", "15", "16", "19", "20"},
        "cutoffs": {},
        "respondent": {**{str(i): 2 for i in range(1, 21)}, "4": 4},
        # 9 reversed items 5-2 = 3 -> 27; 11 forward items: 10 x 2 + item 4 = 4 -> 24; 51
        "expected": {"total": 51.0},
    },
    "mspss": {
        # Zimet et al. (1988): SO 1, 2, 5, 10; family 3, 4, 8, 11; friends 6, 7, 9, 12; means 1-7.
        "n_items": 12,
        "scoring": "mean",
        "scores": {
            "significant_other": ["1", "2", "5", "10"],
            "family": ["3", "4", "8", "11"],
            "friends": ["6", "7", "9", "12"],
            "total": ids(1, 12),
        },
        "ranges": {"significant_other": (1, 7), "family": (1, 7), "friends": (1, 7), "total": (1, 7)},
        "reverse": set(),
        "cutoffs": {},
        "respondent": dict(zip(ids(1, 12), [7, 6, 5, 4, 7, 3, 2, 5, 3, 6, 4, 2], strict=True)),
        # SO 7+6+7+6 = 26 -> 6.5; family 5+4+5+4 = 18 -> 4.5; friends 3+2+3+2 = 10 -> 2.5;
        # total 54/12 = 4.5
        "expected": {"significant_other": 6.5, "family": 4.5, "friends": 2.5, "total": 4.5},
    },
    "phq_9": {
        # Kroenke, Spitzer & Williams (2001): 9 items 0-3, sum 0-27, bands 5/10/15/20.
        "n_items": 9,
        "scoring": "sum",
        "scores": {"total": ids(1, 9)},
        "ranges": {"total": (0, 27)},
        "reverse": set(),
        "cutoffs": {"total": [("minimal", 5), ("mild", 10), ("moderate", 15), ("moderately severe", 20),
                              ("severe", None)]},
        "respondent": dict(zip(ids(1, 9), [1, 2, 0, 3, 1, 1, 0, 2, 0], strict=True)),
        # 1+2+0+3+1+1+0+2+0 = 10: not below 10 -> moderate
        "expected": {"total": 10.0},
        "bands": {"total": "moderate"},
    },
    "gad_7": {
        # Spitzer et al. (2006): 7 items 0-3, sum 0-21, bands 5/10/15.
        "n_items": 7,
        "scoring": "sum",
        "scores": {"total": ids(1, 7)},
        "ranges": {"total": (0, 21)},
        "reverse": set(),
        "cutoffs": {"total": [("minimal", 5), ("mild", 10), ("moderate", 15), ("severe", None)]},
        "respondent": dict(zip(ids(1, 7), [2, 1, 1, 1, 0, 0, 0], strict=True)),
        # 2+1+1+1 = 5: not below 5 -> mild
        "expected": {"total": 5.0},
        "bands": {"total": "mild"},
    },
    "pss_10": {
        # Cohen & Williamson (1988): 10 items 0-4, items 4, 5, 7, 8 reversed, sum 0-40.
        "n_items": 10,
        "scoring": "sum",
        "scores": {"total": ids(1, 10)},
        "ranges": {"total": (0, 40)},
        "reverse": {"4", "5", "7", "8"},
        "cutoffs": {},
        "respondent": dict(zip(ids(1, 10), [3, 2, 4, 1, 1, 2, 0, 1, 3, 2], strict=True)),
        # forward 1, 2, 3, 6, 9, 10: 3+2+4+2+3+2 = 16; reversed 4-1, 4-1, 4-0, 4-1 = 13; 29
        "expected": {"total": 29.0},
    },
    "ios": {
        # Aron, Aron & Smollan (1992): one pictorial item 1-7.
        "n_items": 1,
        "scoring": "mean",
        "scores": {"total": ["1"]},
        "ranges": {"total": (1, 7)},
        "reverse": set(),
        "cutoffs": {},
        "respondent": {"1": 5},
        "expected": {"total": 5.0},
    },
    "prqc": {
        # Fletcher, Simpson & Thomas (2000): 6 components x 3 items, 1-7, means.
        "n_items": 18,
        "scoring": "mean",
        "scores": {
            "satisfaction": ids(1, 3), "commitment": ids(4, 6), "intimacy": ids(7, 9),
            "trust": ids(10, 12), "passion": ids(13, 15), "love": ids(16, 18), "total": ids(1, 18),
        },
        "ranges": {s: (1, 7) for s in ("satisfaction", "commitment", "intimacy", "trust", "passion", "love",
                                       "total")},
        "reverse": set(),
        "cutoffs": {},
        "respondent": dict(zip(ids(1, 18), [7, 6, 6, 7, 7, 7, 5, 6, 4, 6, 6, 6, 3, 4, 2, 7, 7, 6], strict=True)),
        # 19/3, 21/3, 15/3, 18/3, 9/3, 20/3; total 102/18
        "expected": {"satisfaction": 19 / 3, "commitment": 7.0, "intimacy": 5.0, "trust": 6.0, "passion": 3.0,
                     "love": 20 / 3, "total": 102 / 18},
    },
    "prqc_short": {
        # dySEM DRES item set: 9 PRQC items 1-7, components undocumented, mean of all 9.
        "n_items": 9,
        "scoring": "mean",
        "scores": {"total": ids(1, 9)},
        "ranges": {"total": (1, 7)},
        "reverse": set(),
        "cutoffs": {},
        "respondent": dict(zip(ids(1, 9), [6, 6, 7, 7, 7, 5, 5, 4, 3], strict=True)),
        # 6+6+7+7+7+5+5+4+3 = 50 -> 50/9
        "expected": {"total": 50 / 9},
    },
    "sexual_satisfaction": {
        # GMSEX (Lawrance & Byers, 1995), as identified for the DRES items: 5 items 1-7, sum 5-35.
        "n_items": 5,
        "scoring": "sum",
        "scores": {"total": ids(1, 5)},
        "ranges": {"total": (5, 35)},
        "reverse": set(),
        "cutoffs": {},
        "respondent": dict(zip(ids(1, 5), [6, 7, 6, 5, 7], strict=True)),
        "expected": {"total": 31.0},
    },
    "pnrq": {
        # PN-RQ 4 + 4 adjectives (dySEM coding 1-6), separate positive and negative means.
        "n_items": 8,
        "scoring": "mean",
        "scores": {"positive": ids(1, 4, "pos_"), "negative": ids(1, 4, "neg_")},
        "ranges": {"positive": (1, 6), "negative": (1, 6)},
        "reverse": set(),
        "cutoffs": {},
        "respondent": {**dict(zip(ids(1, 4, "pos_"), [5, 6, 4, 5], strict=True)),
                       **dict(zip(ids(1, 4, "neg_"), [1, 2, 1, 1], strict=True))},
        # positive 20/4 = 5; negative 5/4 = 1.25
        "expected": {"positive": 5.0, "negative": 1.25},
    },
    "swls": {
        # Diener et al. (1985): 5 items 1-7, sum 5-35; Diener's 7 scoring-sheet bands.
        "n_items": 5,
        "scoring": "sum",
        "scores": {"total": ids(1, 5)},
        "ranges": {"total": (5, 35)},
        "reverse": set(),
        "cutoffs": {"total": [("extremely dissatisfied", 10), ("dissatisfied", 15), ("slightly dissatisfied", 20),
                              ("neutral", 21), ("slightly satisfied", 26), ("satisfied", 31),
                              ("extremely satisfied", None)]},
        "respondent": dict(zip(ids(1, 5), [5, 6, 5, 4, 3], strict=True)),
        # 23 -> 21..25 slightly satisfied
        "expected": {"total": 23.0},
        "bands": {"total": "slightly satisfied"},
    },
    "ucla_3": {
        # Hughes et al. (2004): 3 items 1-3, sum 3-9.
        "n_items": 3,
        "scoring": "sum",
        "scores": {"total": ids(1, 3)},
        "ranges": {"total": (3, 9)},
        "reverse": set(),
        "cutoffs": {},
        "respondent": {"1": 2, "2": 1, "3": 3},
        "expected": {"total": 6.0},
    },
    "cpi": {
        # Project measure (cpi.yaml): 8 practices x 2 items 1-5, second item of disclosure,
        # phone-free time and boundaries reversed; means.
        "n_items": 16,
        "scoring": "mean",
        "scores": {
            "checkin": ["1", "2"], "shared_activities": ["3", "4"], "appreciation": ["5", "6"],
            "disclosure": ["7", "8"], "listening": ["9", "10"], "phone_free": ["11", "12"],
            "rituals": ["13", "14"], "boundaries": ["15", "16"], "total": ids(1, 16),
        },
        "ranges": {s: (1, 5) for s in ("checkin", "shared_activities", "appreciation", "disclosure", "listening",
                                       "phone_free", "rituals", "boundaries", "total")},
        "reverse": {"8", "12", "16"},
        "cutoffs": {},
        "respondent": dict(zip(ids(1, 16), [4, 5, 3, 3, 5, 4, 4, 2, 5, 4, 2, 4, 3, 3, 4, 1], strict=True)),
        # pairs: (4+5)/2, (3+3)/2, (5+4)/2, (4+(6-2))/2, (5+4)/2, (2+(6-4))/2, (3+3)/2, (4+(6-1))/2
        # total: 9 + 6 + 9 + 8 + 9 + 4 + 6 + 9 = 60 -> 60/16
        "expected": {"checkin": 4.5, "shared_activities": 3.0, "appreciation": 4.5, "disclosure": 4.0,
                     "listening": 4.5, "phone_free": 2.0, "rituals": 3.0, "boundaries": 4.5, "total": 3.75},
    },
    "responsiveness_demo": {
        # Project measure: 4 items 1-7, mean.
        "n_items": 4,
        "scoring": "mean",
        "scores": {"total": ids(1, 4)},
        "ranges": {"total": (1, 7)},
        "reverse": set(),
        "cutoffs": {},
        "respondent": {"1": 6, "2": 5, "3": 7, "4": 6},
        "expected": {"total": 6.0},
    },
}

# Instruments whose item wording may be included (public domain or free to reproduce, or the
# project's own demo measures). Every other file must have `text: null` for every item.
TEXT_ALLOWED = {"cpi", "responsiveness_demo", "swls", "phq_9", "gad_7"}

FILES = sorted(p.stem for p in INSTRUMENTS_DIR.glob("*.yaml"))


def _band(value: float, bands: list[dict]) -> str:
    """The label of the band a score falls in (below = strict upper bound, last band the rest)."""
    for band in bands[:-1]:
        if value < float(band["below"]):
            return band["label"]
    return bands[-1]["label"]


def _theoretical_range(ins, members) -> tuple[float, float]:
    lows = [ins.item(m).min for m in members]
    highs = [ins.item(m).max for m in members]
    agg = np.mean if ins.scoring == "mean" else np.sum
    return float(agg(lows)), float(agg(highs))


def _frame(ins, responses: dict) -> pd.DataFrame:
    return pd.DataFrame({f"{ins.id}_{item}": [value] for item, value in responses.items()})


# --------------------------------------------------------------------------------------------
# Coverage
# --------------------------------------------------------------------------------------------


def test_every_file_has_written_out_expectations():
    assert set(FILES) == set(EXPECTED), (
        "instrument files without a written-out key here: "
        f"{sorted(set(FILES) - set(EXPECTED))}; expectations without a file: {sorted(set(EXPECTED) - set(FILES))}"
    )


# --------------------------------------------------------------------------------------------
# Per instrument
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loads_with_metadata(name):
    ins = load_instrument(name)
    exp = EXPECTED[name]
    assert ins.id == name == Path(ins.source_file).stem
    assert len(ins.items) == exp["n_items"]
    assert ins.scoring == exp["scoring"]
    assert len(set(ins.item_ids)) == len(ins.item_ids)
    assert ins.citation and any(str(year) in ins.citation for year in range(1950, 2031)), "citation needs a year"
    assert len(ins.key_source) > 40, "key_source must say where the key was checked"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scores_and_their_items(name):
    ins = load_instrument(name)
    exp = EXPECTED[name]
    assert {s: list(m) for s, m in ins.scores.items()} == exp["scores"]
    for score, members in ins.scores.items():
        assert set(members) <= set(ins.item_ids), score
        assert len(set(members)) == len(members), score


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_theoretical_range_equals_published_range(name):
    ins = load_instrument(name)
    exp = EXPECTED[name]
    assert set(ins.scores) == set(exp["ranges"])
    for score, members in ins.scores.items():
        assert _theoretical_range(ins, members) == pytest.approx(exp["ranges"][score]), score
    # the scorer reaches both ends: lowest = min on forward items and max on reversed items
    low = {i.id: (i.max if i.reverse else i.min) for i in ins.items}
    high = {i.id: (i.min if i.reverse else i.max) for i in ins.items}
    lo_scores = score_scale(_frame(ins, low), instrument=ins)
    hi_scores = score_scale(_frame(ins, high), instrument=ins)
    for score, (lo, hi) in exp["ranges"].items():
        assert_allclose(lo_scores[f"{name}_{score}"].item(), lo, rtol=1e-12)
        assert_allclose(hi_scores[f"{name}_{score}"].item(), hi, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reverse_keys_equal_published(name):
    ins = load_instrument(name)
    assert {i.id for i in ins.items if i.reverse} == EXPECTED[name]["reverse"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cutoff_bands(name):
    ins = load_instrument(name)
    exp = EXPECTED[name]["cutoffs"]
    assert set(ins.cutoffs) == set(exp)
    for score, spec in ins.cutoffs.items():
        assert score in ins.scores, score
        assert str(spec.get("source", "")).strip(), f"{name} {score}: cut-offs need a source"
        bands = spec["bands"]
        assert [(b["label"], b.get("below")) for b in bands] == exp[score]
        bounds = [float(b["below"]) for b in bands[:-1]]
        assert "below" not in bands[-1], "the last band is unbounded"
        assert all(a < b for a, b in itertools.pairwise(bounds)), "bands must ascend"
        lo, hi = _theoretical_range(ins, ins.scores[score])
        assert all(lo < b <= hi for b in bounds), f"{name} {score}: a bound outside {lo}..{hi}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hand_computed_respondent(name):
    ins = load_instrument(name)
    exp = EXPECTED[name]
    assert set(exp["respondent"]) == set(ins.item_ids), "the respondent answers every item"
    scores = score_scale(_frame(ins, exp["respondent"]), instrument=ins)
    assert set(scores.columns) == {f"{name}_{s}" for s in exp["expected"]}
    for score, value in exp["expected"].items():
        assert_allclose(scores[f"{name}_{score}"].item(), value, rtol=1e-12, err_msg=score)
    for score, label in exp.get("bands", {}).items():
        assert _band(scores[f"{name}_{score}"].item(), ins.cutoffs[score]["bands"]) == label


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_item_text_only_where_allowed(name):
    ins = load_instrument(name)
    texts = [i.text for i in ins.items]
    if name in TEXT_ALLOWED:
        assert all(isinstance(t, str) and t.strip() for t in texts)
    else:
        assert all(t is None for t in texts), f"{name} is not public domain: text must be null"


# --------------------------------------------------------------------------------------------
# Specific checks the keys depend on
# --------------------------------------------------------------------------------------------


def test_band_boundaries_are_strict_upper_bounds():
    phq = load_instrument("phq_9").cutoffs["total"]["bands"]
    assert [_band(v, phq) for v in (0, 4, 4.9, 5, 9, 10, 14, 15, 19, 20, 27)] == [
        "minimal", "minimal", "minimal", "mild", "mild", "moderate", "moderate",
        "moderately severe", "moderately severe", "severe", "severe"]
    gad = load_instrument("gad_7").cutoffs["total"]["bands"]
    assert [_band(v, gad) for v in (4, 5, 9, 10, 14, 15, 21)] == [
        "minimal", "mild", "mild", "moderate", "moderate", "severe", "severe"]
    csi32 = load_instrument("csi_32").cutoffs["total"]["bands"]
    assert [_band(v, csi32) for v in (104, 104.5, 105)] == [
        "notable relationship dissatisfaction", "no notable dissatisfaction", "no notable dissatisfaction"]


def test_csi_forms_share_item_ranges():
    """CSI-4 items 1-4 = CSI-32 items 1, 12, 19, 22 = CSI-16 items 1, 5, 7, 10: same point ranges."""
    csi4, csi16, csi32 = (load_instrument(n) for n in ("csi_4", "csi_16", "csi_32"))
    for i4, i16, i32 in zip(["1", "2", "3", "4"], ["1", "5", "7", "10"], ["1", "12", "19", "22"], strict=True):
        ranges = {(x.min, x.max) for x in (csi4.item(i4), csi16.item(i16), csi32.item(i32))}
        assert len(ranges) == 1, (i4, i16, i32, ranges)
    assert (csi32.item("1").min, csi32.item("1").max) == (0, 6)
    assert all((i.min, i.max) == (0, 5) for i in csi32.items if i.id != "1")


def test_reverse_keying_follows_the_data_range():
    """dySEM's IMS data are on 1-9 (published 0-8 + 1): reversal must be 10 - x, not 8 - x."""
    ins = load_instrument("ims")
    data = pd.DataFrame({"c3": [9], "c4": [1], "s1": [9]})
    out = score_scale(data, instrument=ins, columns={"com_3": "c3", "com_4": "c4", "sat_1": "s1"},
                      ranges={"c3": [1, 9], "c4": [1, 9], "s1": [1, 9]})
    # no score has all its items mapped, so nothing is scored ...
    assert out.empty or out.columns.empty
    full = {f"com_{k}": f"c{k}" for k in range(1, 8)}
    data = pd.DataFrame({f"c{k}": [9] for k in range(1, 8)})
    out = score_scale(data, instrument=ins, columns=full, ranges={c: [1, 9] for c in full.values()})
    # ... with all seven commitment items: 5 x 9 + 2 x (10 - 9) = 47 -> 47/7
    assert_allclose(out["ims_commitment"].item(), 47 / 7)


def _codebook_items():
    found = []
    for path in sorted(CODEBOOKS.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for table in (spec.get("tables") or {}).values():
            for column, var in (table.get("variables") or {}).items():
                if isinstance(var, dict) and var.get("instrument"):
                    found.append((path.name, column, str(var["instrument"]), str(var.get("item"))))
    return found


def test_shared_codebooks_use_existing_instruments_and_item_ids():
    found = _codebook_items()
    assert found, "no codebook maps items to instruments"
    problems = []
    for book, column, instrument, item in found:
        if instrument not in FILES:
            problems.append(f"{book}: {column} -> unknown instrument {instrument!r}")
        elif item not in load_instrument(instrument).item_ids:
            problems.append(f"{book}: {column} -> {instrument} has no item {item!r}")
    assert not problems, "\n".join(problems)
    used = {instrument for _, _, instrument, _ in found}
    assert {"ims", "prqc_short", "sexual_satisfaction", "pnrq", "prqc", "ecr"} <= used
