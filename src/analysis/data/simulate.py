"""Seeded generator of the demo survey: a simulated couples study on connection practices.

The demo data are **simulated**. They exist so that every notebook runs out of the box and so
that estimates can be compared with known true values. `TRUE_PARAMETERS` is the single source
of those values: the generator reads it and writes it beside the data.

Structural model (per person; latent variables are standard normal unless stated)::

    anxiety, avoidance        correlated within person (r = .25) and across partners
    practice_k                 = engagement + couple_k + unique - b_avoid,k * avoidance
    responsiveness (R)         = .35 disclosure + .25 partner listening + .15 partner appreciation
                                 + .10 check-ins - .15 anxiety + e
    trust                      = .30 disclosure - .25 anxiety + e
    satisfaction (S)           = .40 R + .15 trust + .10 shared activities - .20 anxiety
                                 - avoidance actor effect (women .30, men .20)
                                 - .10 partner avoidance + .10 anxiety x check-ins + couple + e
    loneliness, life satisfaction, PRQC components follow from S (see TRUE_PARAMETERS)

Items are ordinal cuts of ``loading * z(latent) + noise`` (z: standardised in the sample).

Family round robin (a separate sample of families, own random stream ``default_rng([seed, 5])``):
mother, father, older and younger child each rate their closeness to each other member on two
indicators, following the Social Relations Model (Kenny, Kashy & Cook, 2006, ch. 9)::

    closeness_k[i -> j] = mean_ij + family + actor_i + partner_j + relationship_ij + error_ijk

Same `seed`, `n_couples` and `n_families` give byte-identical files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.stats import norm

from analysis.data.instrument_library import load_instrument
from analysis.exceptions import ParameterError

__all__ = ["DemoSurvey", "simulate_demo_survey", "write_demo_survey", "TRUE_EFFECTS", "compare_with_truth",
           "true_srm_values"]  # fmt: skip

DEMO_SEED = 20261123
GENERATOR_VERSION = "1"
PRACTICES = (
    "checkin", "shared_activities", "appreciation", "disclosure",
    "listening", "phone_free", "rituals", "boundaries",
)  # fmt: skip

TRUE_PARAMETERS = {
    "attachment": {"corr_anxiety_avoidance": 0.25, "partner_corr_anxiety": 0.10,
                   "partner_corr_avoidance": 0.15},
    "practices": {
        "engagement_loading": 0.45,
        "partner_shared_variance": {"checkin": 0.35, "shared_activities": 0.6, "appreciation": 0.2,
                                    "disclosure": 0.15, "listening": 0.15, "phone_free": 0.5,
                                    "rituals": 0.6, "boundaries": 0.1},
        "avoidance_effect": {"checkin": -0.2, "shared_activities": -0.15, "appreciation": -0.2,
                             "disclosure": -0.35, "listening": -0.2, "phone_free": -0.1,
                             "rituals": -0.1, "boundaries": 0.0},
    },
    "responsiveness": {"disclosure": 0.35, "partner_listening": 0.25, "partner_appreciation": 0.15,
                       "checkin": 0.10, "anxiety": -0.15, "residual_sd": 0.8},
    "trust": {"disclosure": 0.30, "anxiety": -0.25, "residual_sd": 0.9},
    "satisfaction": {"responsiveness": 0.40, "trust": 0.15, "shared_activities": 0.10,
                     "anxiety": -0.20, "avoidance_women": -0.30, "avoidance_men": -0.20,
                     "partner_avoidance": -0.10, "anxiety_x_checkin": 0.10,
                     "couple_sd": 0.45, "residual_sd": 0.7},
    "prqc_components": {"commitment": 0.75, "intimacy": 0.6, "passion": 0.55, "love": 0.7,
                        "intimacy_from_disclosure": 0.25,
                        "note": "component = loading * z(S) + sqrt(1 - loading^2) * e; "
                                "satisfaction component = S, trust component = trust"},
    "loneliness": {"satisfaction": -0.35, "anxiety": 0.20, "checkin": -0.10, "residual_sd": 0.9},
    "life_satisfaction": {"satisfaction": 0.35, "loneliness": -0.30, "residual_sd": 0.85},
    "diary": {
        "share_of_complete_couples": 0.25, "days": 14,
        "closeness": {"intercept": 4.6, "satisfaction_between": 0.50, "avoidance": -0.30,
                      "disclosure_within": 0.30, "disclosure_between": 0.15, "checkin": 0.40,
                      "conflict": -0.90, "random_intercept_sd": 0.5,
                      "random_slope_disclosure_sd": 0.12, "ar1": 0.3, "residual_sd": 0.9,
                      "couple_day_sd": 0.4},
        "satisfaction": {"closeness": 0.55, "satisfaction_between": 0.30, "residual_sd": 0.7},
        "checkin_logit": {"intercept": -0.3, "checkin_practice": 0.8, "couple_day_sd": 0.8},
        "conflict_logit": {"intercept": -2.0, "anxiety": 0.4, "satisfaction": -0.3},
        "note": "continuous scale before rounding to the 1-7 / 1-5 response scales",
    },
    "data_quality": {"incomplete_couples": 0.04, "careless": 0.02, "attention_fail_extra": 0.02,
                     "item_missing": 0.015, "skip_instrument": 0.015, "age_refused": 0.01,
                     "diary_day_missing": 0.07, "diary_dropout": 0.04},
    "family_srm": {
        "n_families": 150, "roles": ["m", "f", "o", "y"],
        "role_labels": {"m": "mother", "f": "father", "o": "older child", "y": "younger child"},
        "grand_mean": 5.0,
        "actor_mean": {"m": 0.3, "f": 0.0, "o": -0.4, "y": 0.1},
        "partner_mean": {"m": 0.4, "f": 0.0, "o": -0.2, "y": 0.2},
        "family_variance": 0.25,
        "actor_variance": {"m": 0.40, "f": 0.35, "o": 0.45, "y": 0.30},
        "partner_variance": {"m": 0.20, "f": 0.15, "o": 0.15, "y": 0.25},
        "relationship_variance": 0.35,
        "error_variance": 0.20,
        "generalized_reciprocity_corr": 0.3,
        "dyadic_reciprocity_corr": {"m-f": 0.5, "o-y": 0.3, "parent-child": 0.2},
        "incomplete_families": 0.03,
        "note": "closeness_k[family, i -> j] = grand_mean + actor_mean[i] + partner_mean[j] + F + A_i + P_j + "
                "R_ij + e_ijk (k = 1, 2; 0-10 scale, 2 decimals); variances of F, A_i, P_j, R_ij and e_ijk as "
                "listed; corr(A_i, P_i) = generalized reciprocity, corr(R_ij, R_ji) = dyadic reciprocity "
                "(m-f: the parents, o-y: the children, parent-child: the other four pairs); in a share "
                "'incomplete_families' of families one rater skipped one rating (both indicators)",
    },
}

# instrument -> (score -> latent name), loading of items on the latent, location shift (a number,
# or one per score)
ITEM_MODEL = {
    "ecr_s": ({"anxiety": "anxiety", "avoidance": "avoidance"}, 0.72, -0.2),
    "csi_16": ({"total": "satisfaction"}, 0.78, 1.0),
    "prqc": ({c: f"prqc_{c}" for c in ("satisfaction", "commitment", "intimacy", "trust",
                                       "passion", "love")}, 0.82, 0.9),
    "ucla_3": ({"total": "loneliness"}, 0.75, -0.4),
    "swls": ({"total": "life_satisfaction"}, 0.78, 0.3),
    "cpi": ({p: p for p in PRACTICES}, 0.7,
            {"checkin": 0.4, "shared_activities": 0.2, "appreciation": 0.5, "disclosure": 0.1,
             "listening": 0.4, "phone_free": -0.3, "rituals": 0.0, "boundaries": 0.2}),
    "responsiveness_demo": ({"total": "responsiveness"}, 0.8, 0.7),
}


@dataclass(frozen=True)
class DemoSurvey:
    """The simulated study: person-level survey, person-day diary, family round robin and the true
    parameters."""

    survey: pd.DataFrame
    diary: pd.DataFrame
    truth: dict
    codebook: dict
    family: pd.DataFrame | None = None


def _z(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std()


def _ordinal(rng, latent, lo, hi, loading, shift, reverse):
    """Cut ``loading * z + noise + shift`` into the integer categories lo..hi."""
    k = int(hi - lo) + 1
    ystar = loading * _z(latent) + np.sqrt(1 - loading**2) * rng.standard_normal(latent.size) + shift
    cuts = 1.25 * norm.ppf(np.arange(1, k) / k)  # equiprobable at shift 0, a little peaked
    keyed = lo + (ystar[:, None] > cuts[None, :]).sum(axis=1)
    return (lo + hi - keyed) if reverse else keyed


def _partner(x: np.ndarray) -> np.ndarray:
    """Partner's value: rows are (couple 1 partner 1, couple 1 partner 2, ...)."""
    return x.reshape(-1, 2)[:, ::-1].ravel()


def _couple_draw(rng, n_couples, shared_var):
    """Unit-variance person values whose partner correlation is `shared_var`."""
    shared = np.repeat(rng.standard_normal(n_couples), 2)
    return np.sqrt(shared_var) * shared + np.sqrt(1 - shared_var) * rng.standard_normal(2 * n_couples)


def _latents(rng, n, women):
    """All person-level latent variables (n persons, couples in consecutive pairs)."""
    t = TRUE_PARAMETERS
    n_c = n // 2
    a = t["attachment"]
    anxiety = _couple_draw(rng, n_c, a["partner_corr_anxiety"])
    avoid_u = _couple_draw(rng, n_c, a["partner_corr_avoidance"])
    r = a["corr_anxiety_avoidance"]
    avoidance = r * anxiety + np.sqrt(1 - r**2) * avoid_u
    lat = {"anxiety": anxiety, "avoidance": avoidance}
    engagement = rng.standard_normal(n)
    p = t["practices"]
    for k in PRACTICES:
        own = _couple_draw(rng, n_c, p["partner_shared_variance"][k])
        lam = p["engagement_loading"]
        lat[k] = lam * engagement + np.sqrt(1 - lam**2) * own + p["avoidance_effect"][k] * avoidance
    rp = t["responsiveness"]
    lat["responsiveness"] = (
        rp["disclosure"] * lat["disclosure"] + rp["partner_listening"] * _partner(lat["listening"])
        + rp["partner_appreciation"] * _partner(lat["appreciation"]) + rp["checkin"] * lat["checkin"]
        + rp["anxiety"] * anxiety + rp["residual_sd"] * rng.standard_normal(n)
    )  # fmt: skip
    tr = t["trust"]
    lat["trust"] = tr["disclosure"] * lat["disclosure"] + tr["anxiety"] * anxiety + tr[
        "residual_sd"] * rng.standard_normal(n)  # fmt: skip
    s = t["satisfaction"]
    b_avoid = np.where(women, s["avoidance_women"], s["avoidance_men"])
    lat["satisfaction"] = (
        s["responsiveness"] * lat["responsiveness"] + s["trust"] * lat["trust"]
        + s["shared_activities"] * lat["shared_activities"] + s["anxiety"] * anxiety
        + b_avoid * avoidance + s["partner_avoidance"] * _partner(avoidance)
        + s["anxiety_x_checkin"] * anxiety * lat["checkin"]
        + s["couple_sd"] * np.repeat(rng.standard_normal(n_c), 2)
        + s["residual_sd"] * rng.standard_normal(n)
    )  # fmt: skip
    zs = _z(lat["satisfaction"])
    pc = t["prqc_components"]
    lat["prqc_satisfaction"] = lat["satisfaction"]
    lat["prqc_trust"] = lat["trust"]
    for comp in ("commitment", "passion", "love"):
        lat[f"prqc_{comp}"] = pc[comp] * zs + np.sqrt(1 - pc[comp] ** 2) * rng.standard_normal(n)
    lat["prqc_intimacy"] = (pc["intimacy"] * zs + pc["intimacy_from_disclosure"] * _z(lat["disclosure"])
                            + 0.7 * rng.standard_normal(n))  # fmt: skip
    lo = t["loneliness"]
    lat["loneliness"] = (lo["satisfaction"] * zs + lo["anxiety"] * anxiety + lo["checkin"] * lat["checkin"]
                         + lo["residual_sd"] * rng.standard_normal(n))  # fmt: skip
    ls = t["life_satisfaction"]
    lat["life_satisfaction"] = (ls["satisfaction"] * zs + ls["loneliness"] * _z(lat["loneliness"])
                                + ls["residual_sd"] * rng.standard_normal(n))  # fmt: skip
    return lat


def _demographics(rng, n_c):
    pair = rng.choice(["wm", "ww", "mm", "wn"], size=n_c, p=[0.88, 0.06, 0.05, 0.01])
    first = {"wm": "woman", "ww": "woman", "mm": "man", "wn": "woman"}
    second = {"wm": "man", "ww": "woman", "mm": "man", "wn": "non-binary"}
    swap = rng.random(n_c) < 0.5
    g1 = np.array([first[p] for p in pair], dtype=object)
    g2 = np.array([second[p] for p in pair], dtype=object)
    gender = np.column_stack([np.where(swap, g2, g1), np.where(swap, g1, g2)]).ravel()
    couple_age = np.clip(rng.normal(37, 10, n_c), 20, 78)
    age = np.clip(np.repeat(couple_age, 2) + rng.normal(0, 3, 2 * n_c) + 1.5 * (gender == "man"), 19, 82)
    years = np.clip(np.exp(rng.normal(np.log(np.maximum(couple_age - 21, 1.0)) - 0.2, 0.6)), 0.3,
                    np.maximum(couple_age - 18, 0.5))  # fmt: skip
    years = np.round(years, 1)
    u = rng.random(n_c)
    married = u < 1 / (1 + np.exp(-(years - 6) / 2.5))
    status = np.where(married, "married", np.where(years < 1.5, "dating",
                      np.where(rng.random(n_c) < 0.2, "engaged", "cohabiting")))  # fmt: skip
    children = np.where(married, rng.poisson(np.clip(years / 6, 0.2, 2.2)), rng.poisson(0.2, n_c))
    education = rng.choice(["secondary", "vocational", "bachelor", "postgraduate"], size=2 * n_c,
                           p=[0.25, 0.25, 0.32, 0.18])  # fmt: skip
    return {
        "gender": gender, "age": np.round(age).astype(int),
        "relationship_status": np.repeat(status, 2), "relationship_years": np.repeat(years, 2),
        "children": np.repeat(np.minimum(children, 5), 2), "education": education,
    }  # fmt: skip


def _item_frame(rng, lat, instruments, n):
    cols = {}
    for ins_id, (score_latent, loading, shift) in ITEM_MODEL.items():
        ins = instruments[ins_id]
        for score, latent_name in score_latent.items():
            where = shift[score] if isinstance(shift, dict) else shift
            for item_id in ins.scores[score]:
                item = ins.item(item_id)
                cols[f"{ins_id}_{item_id}"] = _ordinal(rng, lat[latent_name], item.min, item.max,
                                                       loading, where, item.reverse)  # fmt: skip
    order = [f"{i}_{item.id}" for i in ITEM_MODEL for item in instruments[i].items]
    return pd.DataFrame({c: cols[c] for c in order}).astype(float)


def _data_quality(rng, survey, items, instruments):
    """Careless responding, attention checks, missing items and skipped instruments."""
    q = TRUE_PARAMETERS["data_quality"]
    n = len(survey)
    careless = rng.random(n) < q["careless"]
    item_cols = list(items.columns)
    for i in np.flatnonzero(careless):
        if rng.random() < 0.5:  # straight-liner: one answer per instrument
            for ins_id in ITEM_MODEL:
                cols = [c for c in item_cols if c.startswith(f"{ins_id}_")]
                lo = min(instruments[ins_id].item(c.rsplit("_", 1)[1]).min for c in cols)
                items.loc[i, cols] = lo + rng.integers(0, 3)
        else:  # random responder
            for c in item_cols:
                item = instruments[c.rsplit("_", 1)[0]].item(c.rsplit("_", 1)[1])
                items.loc[i, c] = rng.integers(int(item.min), int(item.max) + 1)
    attention = np.full(n, 6.0)
    fail = (careless & (rng.random(n) < 0.7)) | (rng.random(n) < q["attention_fail_extra"])
    attention[fail] = rng.choice([1.0, 2.0, 3.0, 4.0, 7.0], size=int(fail.sum()))
    values = items.to_numpy(dtype=float, copy=True)
    avoid = survey.pop("_avoidance").to_numpy()
    prob = q["item_missing"] * (1 + 0.5 * np.clip(avoid, -1.5, 2))[:, None]
    values[rng.random(values.shape) < prob] = np.nan
    items = pd.DataFrame(values, columns=item_cols)
    for i in np.flatnonzero(rng.random(n) < q["skip_instrument"]):
        ins_id = rng.choice(list(ITEM_MODEL))
        items.loc[i, [c for c in item_cols if c.startswith(f"{ins_id}_")]] = np.nan
    duration = np.round(np.exp(rng.normal(np.log(900), 0.35, n)))
    duration[careless] = rng.integers(150, 320, int(careless.sum()))
    survey["duration_sec"] = duration.astype(int)
    survey["attention_check"] = attention
    age = survey["age"].to_numpy()
    survey["age"] = np.where(rng.random(n) < q["age_refused"], -99, age)
    return pd.concat([survey, items], axis=1)


def _diary(rng, survey_full, lat):
    d = TRUE_PARAMETERS["diary"]
    c = d["closeness"]
    days = d["days"]
    couples = np.unique(survey_full["couple_id"])
    chosen = np.sort(rng.choice(couples, size=round(d["share_of_complete_couples"] * couples.size),
                                replace=False))  # fmt: skip
    rows = np.flatnonzero(np.isin(survey_full["couple_id"].to_numpy(), chosen))
    n_p = rows.size
    zs = _z(lat["satisfaction"])[rows]
    anx, avo = lat["anxiety"][rows], lat["avoidance"][rows]
    disc_mean = 3.0 + 0.5 * lat["disclosure"][rows]
    disc = np.clip(np.round(disc_mean[:, None] + rng.normal(0, 0.9, (n_p, days))), 1, 5)
    def couple_day():  # one shock per couple and day, shared by both partners
        return np.repeat(rng.standard_normal((n_p // 2, days)), 2, axis=0)

    cd_check, cd_conflict, cd = couple_day(), couple_day(), couple_day()  # independent: no confounding
    ck = d["checkin_logit"]
    p_check = 1 / (1 + np.exp(-(ck["intercept"] + ck["checkin_practice"] * lat["checkin"][rows][:, None]
                                + ck["couple_day_sd"] * cd_check)))  # fmt: skip
    checkin = (rng.random((n_p, days)) < p_check).astype(float)
    cf = d["conflict_logit"]
    p_conf = 1 / (1 + np.exp(-(cf["intercept"] + cf["anxiety"] * anx + cf["satisfaction"] * zs)[:, None]
                             + 0.5 * cd_conflict))  # fmt: skip
    conflict = (rng.random((n_p, days)) < p_conf).astype(float)
    u0 = rng.normal(0, c["random_intercept_sd"], n_p)
    u1 = rng.normal(0, c["random_slope_disclosure_sd"], n_p)
    e = np.empty((n_p, days))
    e[:, 0] = rng.normal(0, c["residual_sd"], n_p)
    for t in range(1, days):
        e[:, t] = c["ar1"] * e[:, t - 1] + np.sqrt(1 - c["ar1"] ** 2) * rng.normal(0, c["residual_sd"], n_p)
    pm = disc.mean(axis=1)
    close = (c["intercept"] + c["satisfaction_between"] * zs + c["avoidance"] * avo + u0
             + c["disclosure_between"] * (pm - 3.0))[:, None] + (c["disclosure_within"] + u1)[:, None] * (
        disc - pm[:, None]) + c["checkin"] * checkin + c["conflict"] * conflict + c["couple_day_sd"] * cd + e
    s = d["satisfaction"]
    sat = 1.0 + s["closeness"] * close + s["satisfaction_between"] * zs[:, None] + rng.normal(
        0, s["residual_sd"], (n_p, days))  # fmt: skip
    q = TRUE_PARAMETERS["data_quality"]
    present = rng.random((n_p, days)) >= q["diary_day_missing"]
    drop_day = np.where(rng.random(n_p) < q["diary_dropout"], rng.integers(6, 12, n_p), days)
    present &= np.arange(days)[None, :] < drop_day[:, None]
    info = survey_full.iloc[rows]
    frame = pd.DataFrame({
        "couple_id": np.repeat(info["couple_id"].to_numpy(), days),
        "person_id": np.repeat(info["person_id"].to_numpy(), days),
        "partner": np.repeat(info["partner"].to_numpy(), days),
        "day": np.tile(np.arange(1, days + 1), n_p),
        "checkin": checkin.ravel(), "disclosure": disc.ravel(), "conflict": conflict.ravel(),
        "closeness": np.clip(np.round(close), 1, 7).ravel(),
        "satisfaction": np.clip(np.round(sat), 1, 7).ravel(),
    })  # fmt: skip
    return frame[present.ravel()].reset_index(drop=True).astype(
        {k: int for k in ("checkin", "disclosure", "conflict", "closeness", "satisfaction")})


def _srm_covariances() -> tuple[list[str], np.ndarray]:
    """Names and covariance matrix of one family's latent SRM effects: F, A_i, P_i (per role) and
    R_ij (per directed dyad), from ``TRUE_PARAMETERS["family_srm"]``."""
    t = TRUE_PARAMETERS["family_srm"]
    roles = t["roles"]
    dyads = [(a, b) for a in roles for b in roles if a != b]
    names = ["F"] + [f"A_{r}" for r in roles] + [f"P_{r}" for r in roles] + [f"R_{a}{b}" for a, b in dyads]
    at = {n: i for i, n in enumerate(names)}
    cov = np.zeros((len(names), len(names)))
    cov[0, 0] = t["family_variance"]
    for r in roles:
        va, vp = t["actor_variance"][r], t["partner_variance"][r]
        cov[at[f"A_{r}"], at[f"A_{r}"]], cov[at[f"P_{r}"], at[f"P_{r}"]] = va, vp
        cov[at[f"A_{r}"], at[f"P_{r}"]] = cov[at[f"P_{r}"], at[f"A_{r}"]] = t["generalized_reciprocity_corr"] * np.sqrt(
            va * vp)  # fmt: skip
    for a, b in dyads:
        cov[at[f"R_{a}{b}"], at[f"R_{a}{b}"]] = t["relationship_variance"]
        pair = {a, b}
        kind = "m-f" if pair == {"m", "f"} else "o-y" if pair == {"o", "y"} else "parent-child"
        cov[at[f"R_{a}{b}"], at[f"R_{b}{a}"]] = t["dyadic_reciprocity_corr"][kind] * t["relationship_variance"]
    return names, cov


def _family(seed: int, n_families: int) -> pd.DataFrame:
    """The family round robin: one row per family, rater (actor) and member rated (target), two
    indicators of closeness (see ``TRUE_PARAMETERS["family_srm"]``). Drawn from its own stream,
    ``default_rng([seed, 5])``, so the survey and diary do not change."""
    t = TRUE_PARAMETERS["family_srm"]
    rng = np.random.default_rng([seed, 5])
    roles = t["roles"]
    dyads = [(a, b) for a in roles for b in roles if a != b]
    names, cov = _srm_covariances()
    effects = pd.DataFrame(rng.multivariate_normal(np.zeros(len(names)), cov, size=n_families, method="cholesky"),
                           columns=names)  # fmt: skip
    actor = np.array([a for a, _ in dyads])
    target = np.array([b for _, b in dyads])
    true = (t["grand_mean"] + np.array([t["actor_mean"][a] + t["partner_mean"][b] for a, b in dyads])[None, :]
            + effects[["F"]].to_numpy() + effects[[f"A_{a}" for a in actor]].to_numpy()
            + effects[[f"P_{b}" for b in target]].to_numpy()
            + effects[[f"R_{a}{b}" for a, b in dyads]].to_numpy())  # fmt: skip
    sd = np.sqrt(t["error_variance"])
    frame = pd.DataFrame({
        "family_id": np.repeat(np.arange(1, n_families + 1), len(dyads)),
        "actor": np.tile(actor, n_families), "target": np.tile(target, n_families),
        "closeness_1": np.clip(true + sd * rng.standard_normal(true.shape), 0, 10).round(2).ravel(),
        "closeness_2": np.clip(true + sd * rng.standard_normal(true.shape), 0, 10).round(2).ravel(),
    })  # fmt: skip
    skip = np.flatnonzero(rng.random(n_families) < t["incomplete_families"])
    rows = skip * len(dyads) + rng.integers(0, len(dyads), skip.size)
    return frame.drop(index=rows).reset_index(drop=True)


def simulate_demo_survey(*, n_couples: int = 600, seed: int = DEMO_SEED, n_families: int = 150) -> DemoSurvey:
    """Simulate the demo couples study (see the module docstring for the model).

    Parameters
    ----------
    n_couples : int, default 600
        Couples recruited; about 4% have only one partner respond.
    seed : int, default DEMO_SEED
        Seed of ``numpy.random.default_rng``; the same seed gives identical data.
    n_families : int, default 150
        Families of the round-robin table (mother, father, older and younger child each rate
        their closeness to each other member), drawn from their own random stream
        (``default_rng([seed, 5])``): the survey and diary do not depend on it.

    Returns
    -------
    DemoSurvey
        ``survey`` (one row per person: ids, demographics, metadata, item responses),
        ``diary`` (one row per person-day), ``family`` (one row per family, rater and member
        rated: ``family_id``, ``actor``, ``target``, ``closeness_1``, ``closeness_2``),
        ``truth`` (TRUE_PARAMETERS plus generator settings) and ``codebook`` (dict, as written
        to ``codebook.yaml``).

    Raises
    ------
    ParameterError
        `n_couples` below 10 or not an integer; `n_families` below 10 or not an integer; `seed`
        not an integer.

    See Also
    --------
    write_demo_survey : the same data written to files (``connlab simulate``).
    compare_with_truth : line estimates up with the true values.

    Notes
    -----
    The data are simulated: they describe no real people, and every report on them says so.
    Relations follow what the field reports (see the module docstring and `TRUE_PARAMETERS`);
    items are ordinal cuts of latent scores, with realistic missingness, careless responders and
    failed attention checks. The same `seed` and `n_couples` give identical frames.

    Examples
    --------
    >>> from analysis import simulate_demo_survey
    >>> demo = simulate_demo_survey(n_couples=60, seed=1)
    >>> demo.survey["couple_id"].nunique(), "ecr_s_1" in demo.survey, demo.truth["parameters"]["satisfaction"]["trust"]
    (60, True, 0.15)
    """
    if not isinstance(n_couples, int | np.integer) or n_couples < 10:
        raise ParameterError(f"`n_couples` must be an integer >= 10, but {n_couples!r} was passed.")
    if not isinstance(n_families, int | np.integer) or isinstance(n_families, bool) or n_families < 10:
        raise ParameterError(f"`n_families` must be an integer >= 10, but {n_families!r} was passed.")
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool):
        raise ParameterError(f"`seed` must be an integer, but {seed!r} was passed.")
    rng = np.random.default_rng(seed)
    instruments = {i: load_instrument(i) for i in ITEM_MODEL}
    n = 2 * n_couples
    demo = _demographics(rng, n_couples)
    lat = _latents(rng, n, demo["gender"] == "woman")
    couple_id = np.repeat(np.arange(1, n_couples + 1), 2)
    partner = np.tile([1, 2], n_couples)
    survey = pd.DataFrame({"person_id": couple_id * 10 + partner, "couple_id": couple_id,
                           "partner": partner, **demo, "_avoidance": lat["avoidance"]})  # fmt: skip
    items = _item_frame(rng, lat, instruments, n)
    survey = _data_quality(rng, survey, items, instruments)
    diary = _diary(rng, survey, lat)
    # some partners never answered: drop one member of ~4% of couples (not diary couples)
    lone = rng.random(n_couples) < TRUE_PARAMETERS["data_quality"]["incomplete_couples"]
    lone &= ~np.isin(np.arange(1, n_couples + 1), diary["couple_id"].unique())
    who = rng.integers(1, 3, n_couples)
    dropped = np.isin(survey["couple_id"], np.flatnonzero(lone) + 1) & (survey["partner"] == np.repeat(who, 2))
    survey = survey[~dropped.to_numpy()].reset_index(drop=True)
    item_cols = [f"{i}_{item.id}" for i in ITEM_MODEL for item in instruments[i].items]
    survey[item_cols + ["attention_check"]] = survey[item_cols + ["attention_check"]].astype("Int64")
    family = _family(int(seed), int(n_families))
    truth = {"simulated": True, "seed": int(seed), "n_couples": int(n_couples),
             "generator_version": GENERATOR_VERSION, "parameters": TRUE_PARAMETERS,
             "item_model": {k: {"scores_to_latents": v[0], "loading": v[1], "location": v[2]}
                            for k, v in ITEM_MODEL.items()},
             "n_families": int(n_families), "family_srm": true_srm_values()}  # fmt: skip
    codebook = _codebook(survey, diary, instruments, seed, n_couples)
    codebook["generator"]["n_families"] = int(n_families)
    codebook["tables"]["family"] = _family_codebook(family)
    codebook["description"] = codebook["description"].replace(
        "; a subsample keeps a 14-day diary.", f"; a subsample keeps a 14-day diary. In {n_families} further families "
        "(mother, father, older and younger child) each member rates their closeness to each other member (a round "
        "robin, for the Social Relations Model).")  # fmt: skip
    return DemoSurvey(survey=survey, diary=diary, truth=truth, codebook=codebook, family=family)


def _family_codebook(family: pd.DataFrame) -> dict:
    t = TRUE_PARAMETERS["family_srm"]

    def member(role, label):  # own lists (no YAML aliases in the written codebook)
        return {"type": "categorical", "role": role, "label": label, "values": list(t["roles"]),
                "value_labels": dict(t["role_labels"])}  # fmt: skip

    variables = {
        "family_id": {"type": "integer", "role": "family_id", "label": "Family id"},
        "actor": member("actor_role", "Rater (actor): the family member who answers"),
        "target": member("target_role", "Member rated (partner): the family member rated"),
        "closeness_1": {"type": "number", "role": "outcome", "range": [0, 10],
                        "label": "Closeness to the member rated, half-scale 1 (0-10)"},
        "closeness_2": {"type": "number", "role": "outcome", "range": [0, 10],
                        "label": "Closeness to the member rated, half-scale 2 (0-10)"},
    }  # fmt: skip
    if list(variables) != list(family.columns):
        raise RuntimeError("demo codebook out of step with the simulated family columns")
    return {"file": "family.csv", "unit": "family member pair (rater x member rated)", "variables": variables}


def true_srm_values() -> dict:
    """The demo family round robin's true SRM values, per role and per directed dyad.

    Returns
    -------
    dict
        ``family_variance``, ``actor_variance`` and ``partner_variance`` (per role),
        ``relationship_variance`` (per directed dyad ``"m->f"``), ``error_variance`` (of each
        indicator), ``generalized_reciprocity`` (covariance of a role's actor and partner
        effects), ``dyadic_reciprocity`` (covariance of R_ij and R_ji, per pair ``"m<->f"``) and
        ``shares`` (per directed dyad: each component's share of the variance of one indicator,
        family + actor + partner + relationship + error, as `srm`'s ``variance_shares``).

    Examples
    --------
    >>> from analysis.data.simulate import true_srm_values
    >>> truth = true_srm_values()
    >>> truth["actor_variance"]["m"], round(truth["shares"]["m->f"]["actor"], 3)
    (0.4, 0.296)
    """
    t = TRUE_PARAMETERS["family_srm"]
    names, cov = _srm_covariances()
    at = {n: i for i, n in enumerate(names)}
    roles = t["roles"]
    dyads = [(a, b) for a in roles for b in roles if a != b]
    shares = {}
    for a, b in dyads:
        parts = {"family": t["family_variance"], "actor": t["actor_variance"][a], "partner": t["partner_variance"][b],
                 "relationship": t["relationship_variance"], "error": t["error_variance"]}  # fmt: skip
        total = sum(parts.values())
        shares[f"{a}->{b}"] = {k: v / total for k, v in parts.items()}
    pairs = [(a, b) for i, a in enumerate(roles) for b in roles[i + 1 :]]
    return {
        "family_variance": t["family_variance"],
        "actor_variance": dict(t["actor_variance"]), "partner_variance": dict(t["partner_variance"]),
        "relationship_variance": {f"{a}->{b}": t["relationship_variance"] for a, b in dyads},
        "error_variance": t["error_variance"],
        "generalized_reciprocity": {r: float(cov[at[f"A_{r}"], at[f"P_{r}"]]) for r in roles},
        "dyadic_reciprocity": {f"{a}<->{b}": float(cov[at[f"R_{a}{b}"], at[f"R_{b}{a}"]]) for a, b in pairs},
        "shares": shares,
    }  # fmt: skip


def _codebook(survey, diary, instruments, seed, n_couples) -> dict:
    def cat(values, label):
        return {"type": "categorical", "role": "demographic", "label": label, "values": list(values)}

    sv = {
        "person_id": {"type": "integer", "role": "id", "label": "Respondent id (couple_id * 10 + partner)"},
        "couple_id": {"type": "integer", "role": "dyad_id", "label": "Couple id"},
        "partner": {"type": "integer", "role": "partner_role", "label": "Partner number within couple",
                    "values": [1, 2]},
        "gender": cat(["woman", "man", "non-binary"], "Gender"),
        "age": {"type": "integer", "role": "demographic", "label": "Age in years", "range": [18, 100],
                "missing_codes": [-99]},
        "relationship_status": cat(["dating", "cohabiting", "engaged", "married"], "Relationship status"),
        "relationship_years": {"type": "number", "role": "demographic", "label": "Relationship length (years)",
                               "range": [0, 70]},
        "children": {"type": "integer", "role": "demographic", "label": "Number of children", "range": [0, 10]},
        "education": cat(["secondary", "vocational", "bachelor", "postgraduate"], "Highest education"),
        "duration_sec": {"type": "integer", "role": "duration", "label": "Time to complete the survey (s)",
                         "range": [0, 86400]},
        "attention_check": {"type": "integer", "role": "attention_check", "range": [1, 7], "correct": 6,
                            "label": "To show you are reading, please select 'Agree' (6)."},
    }  # fmt: skip
    for ins_id in ITEM_MODEL:
        ins = instruments[ins_id]
        for item in ins.items:
            sv[f"{ins_id}_{item.id}"] = {"type": "integer", "role": "item", "instrument": ins_id,
                                         "item": item.id, "range": [int(item.min), int(item.max)],
                                         "label": f"{ins.name}, item {item.id}"}  # fmt: skip
    dv = {
        "couple_id": {"type": "integer", "role": "dyad_id", "label": "Couple id"},
        "person_id": {"type": "integer", "role": "id", "label": "Respondent id"},
        "partner": {"type": "integer", "role": "partner_role", "label": "Partner number", "values": [1, 2]},
        "day": {"type": "integer", "role": "day", "label": "Diary day", "range": [1, 14]},
        "checkin": {"type": "integer", "role": "daily", "label": "Checked in with partner today (1 = yes)",
                    "values": [0, 1]},
        "disclosure": {"type": "integer", "role": "daily", "label": "Shared feelings with partner today",
                       "range": [1, 5]},
        "conflict": {"type": "integer", "role": "daily", "label": "Had a conflict today (1 = yes)",
                     "values": [0, 1]},
        "closeness": {"type": "integer", "role": "daily", "label": "Felt close to partner today", "range": [1, 7]},
        "satisfaction": {"type": "integer", "role": "daily", "label": "Relationship satisfaction today",
                         "range": [1, 7]},
    }  # fmt: skip
    if list(sv) != list(survey.columns) or list(dv) != list(diary.columns):
        raise RuntimeError("demo codebook out of step with the simulated columns")
    return {
        "dataset": "demo_survey",
        "title": "ConnectionLab demo couples survey (SIMULATED)",
        "simulated": True,
        "description": (
            "Simulated couples study on connection practices and relationship satisfaction: both "
            "partners of about 600 couples answer attachment (ECR-S), satisfaction (CSI-16), relationship "
            "quality (PRQC), loneliness (UCLA-3), life satisfaction (SWLS), perceived responsiveness and "
            "the Connection Practices Inventory; a subsample keeps a 14-day diary. Made by "
            "analysis.data.simulate.write_demo_survey; the true parameters are in true_parameters.json."
        ),
        "generator": {"function": "analysis.data.simulate.write_demo_survey", "seed": int(seed),
                      "n_couples": int(n_couples), "version": GENERATOR_VERSION},
        "tables": {
            "survey": {"file": "survey.csv", "unit": "person", "variables": sv,
                       "exclusions": {"duplicate_id": "keep_first", "attention_check": True,
                                      "min_duration": 330, "straight_lining": 10,
                                      "max_missing_items": 0.5, "complete_dyads": False}},
            "diary": {"file": "diary.csv", "unit": "person-day", "variables": dv},
        },
    }  # fmt: skip


def write_demo_survey(out_dir: str | Path, *, n_couples: int = 600, seed: int = DEMO_SEED,
                      n_families: int = 150) -> Path:  # fmt: skip
    """Write the simulated demo survey to a folder (what ``connlab simulate`` does).

    Parameters
    ----------
    out_dir : str or Path
        Folder to write (created if needed); existing files of the same names are replaced.
    n_couples : int, default 600
        Couples recruited (as `simulate_demo_survey`).
    seed : int, default DEMO_SEED
        Seed; the same seed and `n_couples` give byte-identical files.
    n_families : int, default 150
        Families of the round-robin table ``family.csv`` (as `simulate_demo_survey`).

    Returns
    -------
    Path
        The path of ``codebook.yaml``; beside it ``survey.csv``, ``diary.csv``, ``family.csv``,
        ``true_parameters.json`` and a ``README.md`` saying the data are simulated.

    Raises
    ------
    ParameterError
        As `simulate_demo_survey`.

    See Also
    --------
    simulate_demo_survey : the same data as DataFrames.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from analysis import write_demo_survey
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_demo_survey(tmp, n_couples=20, seed=1)
    ...     sorted(p.name for p in Path(tmp).iterdir())
    ['README.md', 'codebook.yaml', 'diary.csv', 'family.csv', 'survey.csv', 'true_parameters.json']
    """
    demo = simulate_demo_survey(n_couples=n_couples, seed=seed, n_families=n_families)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv = {"index": False, "lineterminator": "\n", "float_format": "%.1f"}
    demo.survey.to_csv(out / "survey.csv", **csv)
    demo.diary.to_csv(out / "diary.csv", **csv)
    demo.family.to_csv(out / "family.csv", **{**csv, "float_format": "%.2f"})
    (out / "true_parameters.json").write_text(json.dumps(demo.truth, indent=2) + "\n", encoding="utf-8")
    path = out / "codebook.yaml"
    path.write_text(yaml.safe_dump(demo.codebook, sort_keys=False, allow_unicode=True, width=100),
                    encoding="utf-8")
    (out / "README.md").write_text(
        f"# Demo survey (SIMULATED DATA)\n\nThese files are simulated by ConnectionLab "
        f"(`connlab simulate --seed {seed} --couples {n_couples}`); they describe no real people.\n"
        "See `codebook.yaml` for the variables and `true_parameters.json` for the values used to "
        "simulate them. `family.csv` is a family round robin (each of four members rates their "
        "closeness to each other member), drawn from its own random stream.\n",
        encoding="utf-8",
    )
    return path


# ------------------------------------------------------------------------------------------------
# true values, in the demo survey's own variable names (for "estimates vs true values" tables)
# ------------------------------------------------------------------------------------------------
def _true_effects() -> pd.DataFrame:
    """The generator's effects keyed the way result tables name them. Person-level effects are
    standardized latent effects; diary effects are on the response scale before rounding."""
    s, r, t = TRUE_PARAMETERS["satisfaction"], TRUE_PARAMETERS["responsiveness"], TRUE_PARAMETERS["trust"]
    c = TRUE_PARAMETERS["diary"]["closeness"]
    avoid = (s["avoidance_women"] + s["avoidance_men"]) / 2
    rows = [
        ("regression", "csi_16_total", "responsiveness_demo_total", s["responsiveness"], ""),
        ("regression", "csi_16_total", "prqc_trust", s["trust"], ""),
        ("regression", "csi_16_total", "cpi_shared_activities", s["shared_activities"], ""),
        ("regression", "csi_16_total", "ecr_s_anxiety", s["anxiety"], ""),
        ("regression", "csi_16_total", "ecr_s_avoidance", avoid, "average of the actor effects for women and men"),
        ("regression", "responsiveness_demo_total", "cpi_disclosure", r["disclosure"], ""),
        ("regression", "responsiveness_demo_total", "cpi_checkin", r["checkin"], ""),
        ("regression", "responsiveness_demo_total", "ecr_s_anxiety", r["anxiety"], ""),
        ("mediation", "csi_16_total", "cpi_disclosure -> responsiveness_demo_total -> csi_16_total",
         r["disclosure"] * s["responsiveness"], "a x b of the latent standardized paths"),
        ("mediation", "csi_16_total", "cpi_disclosure -> prqc_trust -> csi_16_total",
         t["disclosure"] * s["trust"], "a x b of the latent standardized paths"),
        ("apim", "csi_16_total", "ecr_s_avoidance_A (woman)", s["avoidance_women"], ""),
        ("apim", "csi_16_total", "ecr_s_avoidance_A (man)", s["avoidance_men"], ""),
        ("apim", "csi_16_total", "ecr_s_avoidance_P (woman)", s["partner_avoidance"], ""),
        ("apim", "csi_16_total", "ecr_s_avoidance_P (man)", s["partner_avoidance"], ""),
        ("apim", "csi_16_total", "ecr_s_anxiety_A (woman)", s["anxiety"], ""),
        ("apim", "csi_16_total", "ecr_s_anxiety_A (man)", s["anxiety"], ""),
        ("apim", "csi_16_total", "ecr_s_anxiety_P (woman)", 0.0, "no partner effect of anxiety"),
        ("apim", "csi_16_total", "ecr_s_anxiety_P (man)", 0.0, "no partner effect of anxiety"),
        ("diary", "closeness", "Intercept", c["intercept"], ""),
        ("diary", "closeness", "disclosure_within", c["disclosure_within"], ""),
        ("diary", "closeness", "disclosure_between", c["disclosure_between"], ""),
        ("diary", "closeness", "checkin_within", c["checkin"], ""),
        ("diary", "closeness", "conflict_within", c["conflict"], ""),
        ("diary", "closeness", "sd:disclosure_within", c["random_slope_disclosure_sd"], "random-slope SD"),
        ("diary", "closeness", "phi:", c["ar1"], "AR(1) correlation"),
        ("diary", "closeness", "sd:", c["residual_sd"], "residual SD without the couple-day shock"),
    ]  # fmt: skip
    srm = true_srm_values()
    rows.append(("srm", "closeness", "family:", srm["family_variance"], "family variance"))
    names = {"actor_variance": "actor", "partner_variance": "partner", "relationship_variance": "relationship",
             "generalized_reciprocity": "generalized reciprocity",
             "dyadic_reciprocity": "dyadic reciprocity"}  # fmt: skip
    for key, component in names.items():
        rows += [("srm", "closeness", f"{component}:{role}", value, "variance" if "variance" in key else "covariance")
                 for role, value in srm[key].items()]  # fmt: skip
    # a dyadic reciprocity's pair in either order of its roles
    rows += [("srm", "closeness", f"dyadic reciprocity:{'<->'.join(pair.split('<->')[::-1])}", value, "covariance")
             for pair, value in srm["dyadic_reciprocity"].items()]  # fmt: skip
    rows += [("srm", "closeness", f"error:{dyad}", srm["error_variance"], "error variance of each indicator")
             for dyad in srm["relationship_variance"]]  # fmt: skip
    return pd.DataFrame(rows, columns=["model", "outcome", "key", "true_value", "note"])


#: every true effect of the demo generator, one row each: model, outcome, key, true_value, note
TRUE_EFFECTS = _true_effects()


def compare_with_truth(table: pd.DataFrame, *, model: str, outcome: str, key: str | list[str] = "term",
                       columns: list[str] | None = None) -> pd.DataFrame:  # fmt: skip
    """A result table with the demo generator's true value beside each estimate.

    Parameters
    ----------
    table : pandas.DataFrame
        A tidy result table (e.g. ``ols(...).coefficients``, ``mediation(...).effects``).
    model : {"regression", "mediation", "apim", "diary", "srm"}
        Which part of the generator the table estimates (``"srm"``: the family round robin,
        outcome ``"closeness"``, key ``["component", "role"]`` of `srm`'s ``coefficients`` with the
        family's missing role written as ``""``).
    outcome : str
        The outcome column of the model (the generator's effects are per outcome).
    key : str or list of str, default "term"
        The column naming each row; a list of columns is joined with ``":"`` (e.g.
        ``["parameter", "term"]`` for a random part: ``"sd:disclosure_within"``).
    columns : list of str, optional
        Columns of `table` to keep, in this order, before ``true_value`` (default: all).

    Returns
    -------
    pandas.DataFrame
        `table` (the chosen columns) plus ``true_value``: the generator's value, NaN where the
        generator has no such effect (any other term the user put in the model).

    Raises
    ------
    ParameterError
        An unknown `model`, or a `key` column the table does not have.

    Notes
    -----
    True values exist only for data made by `simulate_demo_survey`; person-level effects are the
    generator's standardized latent effects, so estimates from error-laden scale scores are
    attenuated towards zero. `TRUE_EFFECTS` lists every value.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.data.simulate import compare_with_truth
    >>> est = pd.DataFrame({"term": ["prqc_trust", "age"], "std_estimate": [0.13, 0.01]})
    >>> compare_with_truth(est, model="regression", outcome="csi_16_total")
             term  std_estimate  true_value
    0  prqc_trust          0.13        0.15
    1         age          0.01         NaN
    """
    models = sorted(TRUE_EFFECTS["model"].unique())
    if model not in models:
        raise ParameterError(f"The value for `model` must be one of {', '.join(map(repr, models))}, "
                             f"but {model!r} was passed.")  # fmt: skip
    keys = [key] if isinstance(key, str) else list(key)
    absent = [k for k in keys if k not in table.columns]
    if absent:
        raise ParameterError(f"`key` names {absent}, which the table does not have; columns: {list(table.columns)}.")
    truth = TRUE_EFFECTS[(TRUE_EFFECTS["model"] == model) & (TRUE_EFFECTS["outcome"] == outcome)]
    lookup = dict(zip(truth["key"], truth["true_value"], strict=True))
    row_keys = table[keys].astype(str).agg(":".join, axis=1) if len(keys) > 1 else table[keys[0]]
    out = table[columns] if columns is not None else table
    return out.assign(true_value=row_keys.map(lookup).astype(float))
