"""Tests of analysis.models.dyadic_mediation: APIM mediation against nlme::gls and Garcia's workshop.

Reference values come from tests/reference/apim_mediation.R (nlme 3.1, MASS, boot; printed in
apim_mediation.Rout), on the Acitelli couples (X = other_pos, M = tension, Y = satisfaction, as in
Randi Garcia's "Day 2: Mediation in the APIM", RandiLGarcia/2day-dyad-workshop):
  apim_mediation_coefficients.csv  summary(gls)$tTable of both equations, per data set and model
  apim_mediation_effects.csv       the effects (products and sums of gls coefficients), their
                                   Monte-Carlo SD and 95% percentile CI from 1e6 draws, and the
                                   dyad-bootstrap SD and percentile CI (boot, R = 2000)
Monte-Carlo and bootstrap quantities are compared within their Monte-Carlo error: the SE of an
estimated 2.5% or 97.5% quantile of a near-normal distribution with SD s from n draws is about
2.67 s / sqrt(n) (sqrt(.025 * .975) / dnorm(1.96)), that of an SD about s / sqrt(2 n); the
tests allow 5 such SEs of the difference of two independent estimates.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import apim, apim_mediation
from analysis.exceptions import DataError, ParameterError
from analysis.models import _gls

REFERENCE = Path(__file__).resolve().parent / "reference"
COEF = pd.read_csv(REFERENCE / "apim_mediation_coefficients.csv")
EFFECTS = pd.read_csv(REFERENCE / "apim_mediation_effects.csv", dtype={"role": str})
ARGS = {"x": "other_pos", "m": "tension", "y": "satisfaction", "dyad": "cuplid", "role": "gender"}
Q_SE = np.sqrt(0.025 * 0.975) / 0.05844  # SE of a 2.5% quantile, in SDs, times sqrt(n)
N_R_DRAWS, N_R_BOOT = 1_000_000, 2000


def _incomplete(ind: pd.DataFrame) -> pd.DataFrame:
    """The R script's incomplete data: four values set missing (see apim_mediation.R)."""
    out = ind.copy()
    for cuplid, gender, var in [(3, -1, "satisfaction"), (10, 1, "satisfaction"), (21, -1, "tension"),
                                (44, 1, "other_pos")]:  # fmt: skip
        out.loc[(out["cuplid"] == cuplid) & (out["gender"] == gender), var] = np.nan
    return out


@pytest.fixture(scope="module")
def acitelli(shared_data):
    return pd.read_csv(shared_data / "acitelli_couples" / "data.csv")


@pytest.fixture(scope="module")
def datasets(acitelli):
    return {"acitelli": acitelli, "incomplete": _incomplete(acitelli)}


@pytest.fixture(scope="module")
def mc_fits(datasets):
    """Monte-Carlo fits with many draws (MC error well under the tolerances)."""
    return {
        (d, model): apim_mediation(datasets[d], **ARGS, model=model, n_draws=200_000, seed=11)
        for d in datasets
        for model in ("distinguishable", "indistinguishable")
    }


def _ref(data: str, model: str) -> pd.DataFrame:
    ref = EFFECTS[(EFFECTS["data"] == data) & (EFFECTS["model"] == model)]
    return ref.set_index(["effect", "role"])


def _ours(res) -> pd.DataFrame:
    return res.effects.set_index(["effect", "role"])


@pytest.mark.parametrize("data", ["acitelli", "incomplete"])
@pytest.mark.parametrize("model", ["distinguishable", "indistinguishable"])
def test_equations_match_nlme(mc_fits, data, model):
    res = mc_fits[data, model]
    ref = COEF[(COEF["data"] == data) & (COEF["model"] == model)].set_index(["equation", "term"])
    ours = res.coefficients.set_index(["equation", "term"]).loc[ref.index]
    # summary(gls(..., corCompSymm, varIdent))$tTable: Value, Std.Error, t-value, p-value. SEs at
    # 1e-5: nlme's optimizer stops short of the optimum (incomplete data, indistinguishable
    # mediator equation: nlme rho .2163284, REML logLik -276.1214744517; ours rho .2163221,
    # logLik -276.1214744486, higher), which moves the intercept's SE by 3.3e-6 (relative)
    assert_allclose(ours["estimate"], ref["estimate"], rtol=1e-6, atol=1e-8)
    assert_allclose(ours["se"], ref["se"], rtol=1e-5)
    assert_allclose(ours["statistic"], ref["statistic"], rtol=1e-5)
    assert_allclose(ours["p_value"], ref["p_value"], rtol=1e-5, atol=1e-12)
    assert (ours["df"] == ref["df"]).all()
    # the same persons in both equations (nlme: df = N - p); incomplete: 290 of 296, 2 one-member dyads
    n = [int(ref.loc[eq, "df"].iloc[0]) + len(ref.loc[eq]) for eq in ("mediator", "outcome")]
    assert res.fit["n"].tolist() == n == [296 if data == "acitelli" else 290] * 2
    assert res.fit["n_single"].tolist() == [0 if data == "acitelli" else 2] * 2


@pytest.mark.parametrize("data", ["acitelli", "incomplete"])
@pytest.mark.parametrize("model", ["distinguishable", "indistinguishable"])
def test_effects_match_r(mc_fits, data, model):
    res, ref = mc_fits[data, model], _ref(data, model)
    ours = _ours(res).loc[ref.index]
    assert len(ours) == len(ref) == (20 if model == "distinguishable" else 10)
    # products and sums of the gls coefficients: exact
    assert_allclose(ours["estimate"], ref["estimate"], rtol=1e-6, atol=1e-9)
    mc = ours["method"] == "Monte Carlo"
    sd = ref.loc[mc, "mc_se"]
    n = res.n_draws
    # MC percentile bounds and SDs: ours (2e5 draws) against R's (1e6 draws), 5 MC SEs
    q_tol = 5 * Q_SE * sd * np.sqrt(1 / n + 1 / N_R_DRAWS)
    assert (abs(ours.loc[mc, "ci_low"] - ref.loc[mc, "mc_low"]) < q_tol).all()
    assert (abs(ours.loc[mc, "ci_high"] - ref.loc[mc, "mc_high"]) < q_tol).all()
    assert (abs(ours.loc[mc, "se"] - sd) < 5 * sd * np.sqrt(1 / (2 * n) + 1 / (2 * N_R_DRAWS))).all()
    # direct effects: the outcome equation's gls coefficient, SE, t and p
    coef = COEF[(COEF["data"] == data) & (COEF["model"] == model) & (COEF["equation"] == "outcome")]
    coef = coef.set_index("term")
    for (effect, role), row in ours[~mc].iterrows():
        term = "other_pos" + ("_A" if effect == "direct actor" else "_P")
        ref_row = coef.loc[term if role == "both" else f"{term} ({role})"]
        assert row["method"] == "t"
        assert_allclose(
            row[["estimate", "se", "statistic"]].astype(float),
            ref_row[["estimate", "se", "statistic"]].astype(float),
            rtol=1e-6,
        )
        assert_allclose(row["p_value"], ref_row["p_value"], rtol=1e-5)


def test_garcia_workshop_table(mc_fits):
    """Garcia's printed summary (workshop "Mediation in the APIM"; Excel IndirectEffects.xls with a
    Monte-Carlo CI of 3,000 draws per effect). Estimates: exact at the printed 3 decimals; CIs
    within the rounding plus 5 MC SEs of Garcia's 3,000 draws (ours: 2e5 draws)."""
    ours = _ours(mc_fits["acitelli", "distinguishable"])
    printed = {  # effect, role (-1 wife, 1 husband): estimate, CI low, CI high
        ("actor-actor", "-1"): (0.165, 0.086, 0.257),
        ("actor-actor", "1"): (0.099, 0.042, 0.172),
        ("partner-partner", "-1"): (0.027, -0.003, 0.070),
        ("partner-partner", "1"): (0.034, 0.003, 0.079),
        ("actor-partner", "-1"): (0.038, -0.005, 0.092),
        ("actor-partner", "1"): (0.060, 0.017, 0.115),
        ("partner-actor", "-1"): (0.094, 0.013, 0.186),
        ("partner-actor", "1"): (0.072, 0.023, 0.134),
    }
    for key, (est, low, high) in printed.items():
        row = ours.loc[key]
        assert abs(row["estimate"] - est) <= 0.0005 + 1e-12, key
        tol = 0.0005 + 5 * Q_SE * row["se"] * np.sqrt(1 / 3000 + 1 / 200_000)
        assert abs(row["ci_low"] - low) < tol and abs(row["ci_high"] - high) < tol, key
    # the headline: wife's actor-actor indirect effect .165, MC 95% CI [.086, .257]
    wife = ours.loc[("actor-actor", "-1")]
    assert round(wife["estimate"], 3) == 0.165
    assert abs(wife["ci_low"] - 0.086) < 0.007 and abs(wife["ci_high"] - 0.257) < 0.007
    # direct effects and totals (c' + ab) printed in the workshop's second table
    for (effect, role), value in {("direct actor", "-1"): 0.185, ("direct actor", "1"): 0.291,
                                  ("direct partner", "-1"): 0.190, ("direct partner", "1"): 0.129,
                                  ("total actor", "-1"): 0.378, ("total actor", "1"): 0.424,
                                  ("total partner", "-1"): 0.321, ("total partner", "1"): 0.262}.items():  # fmt: skip
        assert abs(ours.loc[(effect, role), "estimate"] - value) <= 0.0005 + 1e-12, (effect, role)


@pytest.mark.parametrize("model", ["distinguishable", "indistinguishable"])
def test_bootstrap_matches_r(acitelli, model):
    res = apim_mediation(acitelli, **ARGS, model=model, ci_method="bootstrap", n_boot=2000, seed=5)
    ref = _ref("acitelli", model)
    ours = _ours(res).loc[ref.index]
    boot = ours["method"] == "bootstrap"
    assert boot.sum() == (16 if model == "distinguishable" else 8)
    sd = ref.loc[boot, "boot_se"]
    # percentile bounds: ours (2000 resamples) against boot::boot.ci(type = "perc") (R = 2000)
    q_tol = 5 * Q_SE * sd * np.sqrt(2 / N_R_BOOT)
    assert (abs(ours.loc[boot, "ci_low"] - ref.loc[boot, "boot_low"]) < q_tol).all()
    assert (abs(ours.loc[boot, "ci_high"] - ref.loc[boot, "boot_high"]) < q_tol).all()
    assert (abs(ours.loc[boot, "se"] - sd) < 5 * sd * np.sqrt(1 / N_R_BOOT)).all()
    assert res.draws.shape == (2000, boot.sum())


@pytest.mark.parametrize("two", [True, False])
def test_batched_bootstrap_equals_one_by_one(acitelli, two):
    """The vectorised refits equal `_gls.fit` on each resample (the engine `apim` uses)."""
    res = apim(
        _incomplete(acitelli),
        "satisfaction ~ tension_A + tension_P + other_pos_A + other_pos_P",
        dyad="cuplid",
        partner="gender",
        role="gender",
        model="two_intercept" if two else "indistinguishable",
    )
    design = res._design
    full = _gls.fit(design, True)
    counts = _gls.dyad_counts(design, 25, np.random.default_rng(3))
    assert counts.shape == (25, len(design.pairs) + len(design.singles)) and (counts.sum(1) == counts.shape[1]).all()
    batch = _gls.bootstrap_counts(design, True, counts, (full["rho"], full["delta"]))
    n_pairs = len(design.pairs)
    one = [_gls.fit(design, True, _gls.cross_products(design, c[:n_pairs], c[n_pairs:]))["beta"] for c in counts]
    assert_allclose(batch, np.array(one), rtol=1e-7, atol=1e-9)


def test_pairwise_layout_and_index_labels(shared_data, acitelli):
    pair = pd.read_csv(shared_data / "acitelli_couples" / "data_pairwise.csv")
    ind = _incomplete(acitelli)
    ind.index = [f"p{i}" for i in range(len(ind))]
    a = apim_mediation(ind, **ARGS, n_draws=1000, seed=2)
    b = apim_mediation(
        pair,
        x="OtherPos",
        m="Tension",
        y="Satisfaction",
        dyad="CoupleID",
        partner="Partnum",
        role="Gender_A",
        n_draws=1000,
        seed=2,
    )
    full = apim_mediation(acitelli, **ARGS, n_draws=1000, seed=2)
    assert_allclose(b.effects["estimate"], full.effects["estimate"], rtol=1e-9)
    assert b.effects["path"].iloc[0] == "OtherPos (-1) -> Tension (-1) -> Satisfaction (-1)"
    # rows left out: index labels of `data`; the same rows in both equations
    assert a.excluded["row"].str.startswith("p").all()
    assert len(a.excluded) == 296 - int(a.fit["n"].iloc[0]) and a.fit["n"].nunique() == 1
    assert a.mediator_model.excluded.equals(a.excluded) and a.outcome_model.excluded.equals(a.excluded)
    assert sorted(a.excluded["dyad"]) == [3, 10, 21, 21, 44, 44]


def test_covariates_enter_both_equations(acitelli):
    """A dyad-level covariate enters once, a person-level one as actor and partner terms."""
    res = apim_mediation(
        acitelli, **ARGS, model="indistinguishable", covariates=["Yearsmar", "self_pos"], n_draws=500, seed=1
    )
    covs = " + Yearsmar + self_pos_A + self_pos_P"
    for eq, formula in [
        ("mediator", "tension ~ other_pos_A + other_pos_P" + covs),
        ("outcome", "satisfaction ~ tension_A + tension_P + other_pos_A + other_pos_P" + covs),
    ]:
        ref = apim(acitelli, formula, dyad="cuplid", partner="gender").coefficients
        ours = res.coefficients[res.coefficients["equation"] == eq]
        assert ours["term"].tolist() == ref["term"].tolist()
        assert_allclose(ours["estimate"], ref["estimate"], rtol=1e-10)


def test_reproducible_table_sentence_and_no_mutation(acitelli):
    before = acitelli.copy()
    res = apim_mediation(acitelli, **ARGS, n_draws=20_000, seed=7)
    again = apim_mediation(acitelli, **ARGS, n_draws=20_000, seed=7)
    pd.testing.assert_frame_equal(res.effects, again.effects)
    pd.testing.assert_frame_equal(acitelli, before)
    assert list(res.effects.columns) == [
        "effect",
        "role",
        "path",
        "estimate",
        "se",
        "statistic",
        "p_value",
        "ci_low",
        "ci_high",
        "method",
    ]
    html = res.table().html
    assert "actor-actor" in html and "95% CI" in html and "20,000 Monte Carlo draws" in html
    text = res.sentence()
    wife_aa = "the actor-actor indirect effect for -1 (other_pos (-1) -> tension (-1) -> satisfaction (-1))"
    assert wife_aa + " was b = 0.16, 95% CI [0.09, 0.26]" in text
    assert "the direct actor effect for 1 was b = 0.29, SE = 0.06, p < .001" in text
    assert res.draws.shape == (20_000, 16) and res.ci == 0.95 and res.n_draws == 20_000


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"model": "two_intercept"}, ParameterError, "`model`"),
        ({"ci_method": "percentile"}, ParameterError, "`ci_method`"),
        ({"ci": 95}, ParameterError, "`ci`"),
        ({"n_draws": 10}, ParameterError, "`n_draws`"),
        ({"ci_method": "bootstrap", "n_boot": 5.5}, ParameterError, "`n_boot`"),
        ({"m": "other_pos"}, ParameterError, "three different"),
        ({"m": "closeness"}, DataError, "closeness"),
        ({"roles": [-1, -1]}, ParameterError, "`roles`"),
        ({"m": "label"}, DataError, "numeric"),
    ],
)
def test_bad_input(acitelli, kwargs, error, match):
    data = acitelli.assign(label="a")
    with pytest.raises(error, match=match):
        apim_mediation(data, **{**ARGS, **kwargs})


def test_needs_partner_for_individual_data(acitelli):
    args = {k: v for k, v in ARGS.items() if k != "role"}
    with pytest.raises(ParameterError, match="partner="):
        apim_mediation(acitelli, **args, model="indistinguishable")
    with pytest.raises(ParameterError, match="needs `role`"):
        apim_mediation(acitelli, **args, model="distinguishable")


def test_bootstrap_in_chunks_agrees_with_monte_carlo():
    """1,200 simulated dyads: the resamples are drawn in two chunks (memory); with this many dyads
    the bootstrap SDs agree with the Monte-Carlo SDs (normal theory) within 10%."""
    rng = np.random.default_rng(42)
    n = 1200
    x = rng.normal(size=(n, 2))
    m = 0.4 * x + 0.2 * x[:, ::-1] + rng.normal(size=(n, 2)) + rng.normal(size=(n, 1)) * 0.5
    y = 0.3 * m + 0.1 * m[:, ::-1] + 0.2 * x + rng.normal(size=(n, 2))
    df = pd.DataFrame({"dyad": np.repeat(np.arange(n), 2), "member": [1, 2] * n, "x": x.ravel(), "m": m.ravel(),
                       "y": y.ravel()})  # fmt: skip
    args = {"x": "x", "m": "m", "y": "y", "dyad": "dyad", "partner": "member", "model": "indistinguishable"}
    boot = apim_mediation(df, **args, ci_method="bootstrap", n_boot=2000, seed=3)
    mc = apim_mediation(df, **args, n_draws=20_000, seed=3)
    assert boot.draws.shape == (2000, 8) and np.isfinite(boot.draws.to_numpy()).all()
    indirect = boot.effects["method"] == "bootstrap"
    assert_allclose(boot.effects.loc[indirect, "se"], mc.effects.loc[indirect, "se"], rtol=0.10)
