"""Tests of analysis.multilevel against nlme::lme and lme4::lmer.

Reference values come from tests/reference/multilevel.R (printed in multilevel.Rout; nlme
3.1-162, lme4 1.1-31): multilevel_fixed.csv (summary(m)$tTable / coef(summary(m))),
multilevel_random.csv (SDs and correlations from the reStruct * sigma^2 / VarCorr, sigma,
coef(corStruct) = phi or rho, coef(varStruct) = varIdent ratio) and multilevel_fit.csv
(logLik(m)). The simulated diary (multilevel_sim.csv: 40 couples x 2 partners x 14 days, 10% of
the days missing, AR(1) and partner-correlated residuals) was made by the same script, with
x_within / x_between / x_lag1 computed in R. Kashy rows use ../shared/data/kashy_diary.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.data.diary_variables import center_within, lag
from analysis.exceptions import DataError, ParameterError
from analysis.models.dyadic_diary import dyadic_diary
from analysis.models.multilevel import mixed_model, multilevel_icc

REFERENCE = Path(__file__).resolve().parent / "reference"
# Agreement seen (tests/reference/multilevel.Rout vs ours): fixed effects to <= 2e-7, SEs to
# <= 2.4e-6, SDs/correlations/phi/rho to <= 1.2e-6 except the simulated two-intercept model (flat
# likelihood in the role SDs: 2.2e-5, where ours has the higher log-likelihood, by 4e-8),
# log-likelihoods to <= 4e-8.
TOL_FIXED, TOL_SE, TOL_RANDOM, TOL_LOGLIK = 1e-6, 5e-6, 5e-6, 1e-6
TOL_RANDOM_FLAT = 5e-5


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "multilevel_sim.csv")


@pytest.fixture(scope="module")
def ref():
    return {k: pd.read_csv(REFERENCE / f"multilevel_{k}.csv") for k in ("fixed", "random", "fit")}


def _r_term(name: str) -> str:
    return name.replace("(Intercept)", "Intercept")


def _assert_matches(res, ref, model, *, terms=None, components=None):
    """Compare a MultilevelResult with the R fixture `model` (fixed, SEs, df, SDs, loglik).
    lmer's ML SEs lack nlme's N / (N - p) variance factor, which we (as nlme) apply."""
    rf = ref["fixed"][ref["fixed"]["model"] == model]
    terms = terms or {}
    coef = res.coefficients.set_index("term")
    assert len(rf) == len(coef)
    for _, row in rf.iterrows():
        ours = coef.loc[terms.get(row["term"], _r_term(row["term"]))]
        # summary(m)$tTable[, "Value"], [, "Std.Error"], [, "DF"]
        assert_allclose(ours["estimate"], row["estimate"], atol=TOL_FIXED, err_msg=f"{model} {row['term']}")
        factor = 1.0
        if "lmer" in model and res.fit["method"].iloc[0] == "ML":
            n, p = res.fit["n"].iloc[0], len(res.coefficients)
            factor = np.sqrt((n - p) / n)
        assert_allclose(ours["se"] * factor, row["se"], atol=TOL_SE, err_msg=f"{model} {row['term']} se")
        if pd.notna(row["df"]):
            assert ours["df"] == row["df"], f"{model} {row['term']} df"
            assert_allclose(ours["p_value"], row["p_value"], atol=1e-5)
    v = res.variances
    rr = ref["random"][ref["random"]["model"] == model]
    components = components or {}
    for _, row in rr.iterrows():
        comp = row["component"]
        if comp in components:
            level, par, term = components[comp]
        elif comp == "sigma":
            level, par, term = "residual", "sd", None
        elif comp in ("phi", "rho"):
            level, par, term = "residual", comp, ""
        else:
            level, par, *rest = comp.split(":", 2)
            term = _r_term(rest[0])
        sel = (v["level"] == level) & (v["parameter"] == par)
        if term is not None:
            sel &= v["term"] == term
        assert sel.sum() == 1, f"{model}: no unique row for {comp}"
        tol = TOL_RANDOM_FLAT if model.startswith("sim_two_intercept") else TOL_RANDOM
        assert_allclose(v.loc[sel, "estimate"].iloc[0], row["value"], atol=tol, err_msg=f"{model} {comp}")
    rfit = ref["fit"][ref["fit"]["model"] == model].iloc[0]
    assert res.fit["n"].iloc[0] == rfit["nobs"]
    assert_allclose(res.fit["loglik"].iloc[0], rfit["loglik"], atol=TOL_LOGLIK)  # logLik(m)
    assert bool(res.fit["converged"].iloc[0])


# ------------------------------------------------------------------- centring and lags


def test_center_within_matches_r(sim):
    out = center_within(sim[["couple", "person", "day", "x"]], columns=["x"], group="person")
    # R: x - ave(x, person); ave(x, person) - mean(tapply(x, person, mean))
    assert_allclose(out["x_within"], sim["x_within"], atol=1e-12)
    assert_allclose(out["x_between"], sim["x_between"], atol=1e-12)
    assert_allclose(out.groupby("person")["x_within"].mean(), 0, atol=1e-12)


def test_center_within_missing_values_and_no_mutation():
    d = pd.DataFrame({"p": [1, 1, 1, 2, 2], "x": [1.0, np.nan, 3.0, 10.0, 20.0]})
    before = d.copy()
    out = center_within(d, columns="x", group="p")
    pd.testing.assert_frame_equal(d, before)
    assert_allclose(out["x_within"], [-1, np.nan, 1, -5, 5])
    assert_allclose(out["x_between"], [-6.5, -6.5, -6.5, 6.5, 6.5])  # person means 2 and 15


def test_lag_respects_gaps(sim):
    out = lag(sim, columns="x", person="person", day="day")
    # R: x[match(paste(person, day - 1), paste(person, day))]
    assert_allclose(out["x_lag1"], sim["x_lag1"], atol=0)
    d = pd.DataFrame({"p": [1, 1, 1, 1, 2], "day": [1, 2, 4, 5, 2], "x": [1.0, 2.0, 4.0, 5.0, 9.0]})
    assert_allclose(lag(d, columns="x", person="p", day="day")["x_lag1"], [np.nan, 1, np.nan, 4, np.nan])
    assert_allclose(lag(d, columns="x", person="p", day="day", k=2)["x_lag2"], [np.nan, np.nan, 2, np.nan, np.nan])


def test_lag_errors():
    d = pd.DataFrame({"p": [1, 1], "day": [1, 1], "x": [1.0, 2.0]})
    with pytest.raises(DataError, match="one row per person and day"):
        lag(d, columns="x", person="p", day="day")
    with pytest.raises(DataError, match="whole day numbers"):
        lag(d.assign(day=[1.5, 2.0]), columns="x", person="p", day="day")
    with pytest.raises(ParameterError, match="`k`"):
        lag(d.assign(day=[1, 2]), columns="x", person="p", day="day", k=0)
    with pytest.raises(DataError, match="no column 'nope'"):
        lag(d, columns="nope", person="p", day="day")


# ------------------------------------------------------------------- models against nlme / lme4

FORMULA = "y ~ x_within + x_between + w"


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_random_intercept_and_slope(sim, ref, method):
    tag = method.lower()
    ri = mixed_model(sim, formula=FORMULA, person="person", method=method)
    _assert_matches(ri, ref, f"sim_ri_{tag}")
    rs = mixed_model(sim, formula=FORMULA, person="person", random="~ 1 + x_within", method=method)
    _assert_matches(rs, ref, f"sim_rs_{tag}")  # lme(..., random = ~ 1 + x_within | person)
    _assert_matches(rs, ref, f"sim_rs_lmer_{tag}")  # lmer(... + (1 + x_within | person))
    # AIC, BIC as nlme's summary (sim_rs_reml: AIC 2838.476, BIC 2877.73)
    if method == "REML":
        assert_allclose(rs.fit[["aic", "bic"]].iloc[0], [2838.476, 2877.730], atol=1e-3)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_ar1_residuals(sim, ref, method):
    res = mixed_model(sim, formula=FORMULA, person="person", random="~ 1 + x_within", day="day", ar1=True,
                      method=method)
    # lme(..., correlation = corCAR1(form = ~ day | person)); = corAR1 on integer days (.Rout)
    _assert_matches(res, ref, f"sim_rs_ar1_{method.lower()}")


def test_ar1_complete_series_matches_corar1(sim, ref):
    days = sim.groupby("person")["day"].agg(lambda t: len(t) == 14 and bool(np.all(np.diff(t) == 1)))
    dc = sim[sim["person"].isin(days[days].index)]
    res = mixed_model(dc, formula="y ~ x_within + x_between", person="person", day="day", ar1=True)
    _assert_matches(res, ref, "sim_ri_ar1_complete_reml")  # corAR1(form = ~ day | person)


def test_nested_couple_person(sim, ref):
    res = mixed_model(sim, formula=FORMULA, person="person", random="~ 1 + x_within", dyad="couple")
    # lme(..., random = list(couple = ~ 1, person = ~ 1 + x_within))
    _assert_matches(res, ref, "sim_nested_rs_reml")
    assert res.fit["couples"].iloc[0] == 40


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_two_intercept_dyadic_diary(sim, ref, method):
    res = dyadic_diary(sim, y="y", x="x_within", dyad="couple", role="role", day="day",
                       method=method)  # fmt: skip
    terms = {"man": "Intercept:role1", "woman": "Intercept:role2", "man:x_within": "x_within:role1",
             "woman:x_within": "x_within:role2"}  # fmt: skip
    comps = {"couple:sd:man": ("couple", "sd", "Intercept:role1"),
             "couple:sd:woman": ("couple", "sd", "Intercept:role2"),
             "couple:cor:man:woman": ("couple", "cor", "Intercept:role1:Intercept:role2"),
             "varident:2": ("residual", "sd_ratio", "role2")}  # fmt: skip
    _assert_matches(res, ref, f"sim_two_intercept_{method.lower()}", terms=terms, components=comps)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_icc_empty_models(sim, ref, method):
    tag = method.lower()
    rr = ref["random"].set_index(["model", "component"])["value"]
    one = multilevel_icc(sim, y="y", person="person", method=method).set_index("level")
    tau, sig = rr[(f"sim_empty_{tag}", "person:sd:(Intercept)")], rr[(f"sim_empty_{tag}", "sigma")]
    assert_allclose(one.loc["person", "icc"], tau**2 / (tau**2 + sig**2), atol=1e-6)
    assert_allclose(one.loc["residual", "sd"], sig, atol=1e-6)
    two = multilevel_icc(sim, y="y", person="person", dyad="couple", method=method).set_index("level")
    m = f"sim_empty_nested_{tag}"
    c, p, s = rr[(m, "couple:sd:(Intercept)")], rr[(m, "person:sd:(Intercept)")], rr[(m, "sigma")]
    total = c**2 + p**2 + s**2
    assert_allclose(two["sd"], [c, p, s], atol=1e-5)
    assert_allclose(two.loc["couple", "icc"], c**2 / total, atol=1e-5)
    assert_allclose(two.loc["person", "icc"], (c**2 + p**2) / total, atol=1e-5)
    assert list(two["n"]) == [40, 80, len(sim)]


def test_statsmodels_mixedlm_agrees(sim):
    import statsmodels.formula.api as smf

    ours = mixed_model(sim, formula=FORMULA, person="person", random="~ 1 + x_within")
    sm = smf.mixedlm(FORMULA, sim, groups=sim["person"], re_formula="~x_within").fit(reml=True)
    assert_allclose(ours.coefficients["estimate"], sm.fe_params.to_numpy(), atol=1e-4)
    assert_allclose(ours.fit["loglik"].iloc[0], sm.llf, atol=1e-4)
    # MixedLM's SEs come from the joint Hessian of all parameters: they differ from nlme's (up to
    # 1.6% here, on the between-person terms); ours are nlme's (tested above)
    assert not np.allclose(ours.coefficients["se"], sm.bse_fe.to_numpy(), atol=1e-4)


# ------------------------------------------------------------------- outputs

def test_person_effects_and_excluded(sim):
    d = sim.copy()
    d.loc[[0, 5, 9], "y"] = np.nan
    res = mixed_model(d, formula=FORMULA, person="person", random="~ 1 + x_within")
    assert len(res.excluded) == 3 and res.fit["n_excluded"].iloc[0] == 3
    assert res.fit["n"].iloc[0] == len(sim) - 3
    pe = res.person_effects
    assert len(pe) == 2 * 80 and set(pe["term"]) == {"Intercept", "x_within"}
    slope = res.coefficients.set_index("term").loc["x_within", "estimate"]
    sl = pe[pe["term"] == "x_within"]
    assert_allclose(sl["estimate"], slope + sl["random_effect"])
    assert abs(sl["random_effect"].mean()) < 0.05  # BLUPs are centred near zero
    # shrinkage: the SD of predicted slopes is below the estimated random-slope SD
    sd_slope = res.variances.query("parameter == 'sd' and term == 'x_within'")["estimate"].iloc[0]
    assert 0 < sl["random_effect"].std() < sd_slope


def test_table_and_sentence(sim):
    res = mixed_model(sim, formula=FORMULA, person="person", random="~ 1 + x_within", day="day", ar1=True)
    html = res.table(number=2).html
    assert "Fixed: x_within" in html and "Random: Person SD (x_within)" in html and "Residual AR(1) φ" in html
    text = res.sentence("x_within")
    assert text.endswith("p < .001.") and "b = 0.43" in text and "t(922)" in text and "95% CI [0.35, 0.51]" in text
    with pytest.raises(ParameterError, match="No fixed effect 'nope'"):
        res.sentence("nope")


# ------------------------------------------------------------------- errors


def test_errors(sim):
    with pytest.raises(DataError, match="no column 'pid'"):
        mixed_model(sim, formula=FORMULA, person="pid")
    with pytest.raises(DataError, match="Cannot build the model"):
        mixed_model(sim, formula="y ~ nope", person="person")
    with pytest.raises(DataError, match="must be numeric"):
        mixed_model(sim.assign(y=sim["y"].astype(str)), formula=FORMULA, person="person")
    with pytest.raises(ParameterError, match="`method`"):
        mixed_model(sim, formula=FORMULA, person="person", method="OLS")
    with pytest.raises(ParameterError, match="`ci`"):
        mixed_model(sim, formula=FORMULA, person="person", ci=95)
    with pytest.raises(DataError, match="collinear"):
        mixed_model(sim.assign(z=1.0), formula="y ~ x_within + z", person="person")
    with pytest.raises(DataError, match="one row per person and day"):
        mixed_model(pd.concat([sim, sim.iloc[:1]]), formula=FORMULA, person="person", day="day", ar1=True)
    with pytest.raises(DataError, match="more than one 'couple'"):
        mixed_model(sim.assign(couple=np.arange(len(sim)) % 3), formula=FORMULA, person="person", dyad="couple")
    with pytest.raises(DataError, match="exactly two values"):
        dyadic_diary(sim.assign(role=np.arange(len(sim)) % 3), y="y", x="x_within",
                     dyad="couple", role="role", day="day")  # fmt: skip


# ------------------------------------------------------------------- Kashy diary (shared data)


@pytest.fixture(scope="module")
def kashy(shared_data) -> pd.DataFrame:
    return pd.read_csv(shared_data / "kashy_diary" / "data.csv")


def test_kashy_men_growth(kashy, ref):
    men = kashy[kashy["person"] == 1]
    res = mixed_model(men, formula="satisf_A ~ 1 + time", person="dyadid", random="~ 1 + time")
    coef = res.coefficients.set_index("term")["estimate"]
    # SOURCE.md (workshop handout): intercept 6.2594, time slope 0.0193 (SE .0062)
    assert_allclose([coef["Intercept"], coef["time"]], [6.2594, 0.0193], atol=5e-5)
    comps = {"dyadid:sd:(Intercept)": ("person", "sd", "Intercept"), "dyadid:sd:time": ("person", "sd", "time"),
             "dyadid:cor:(Intercept):time": ("person", "cor", "Intercept:time")}  # fmt: skip
    _assert_matches(res, ref, "kashy_men_growth", components=comps)
    assert res.fit["n"].iloc[0] == 1431 and len(res.excluded) == len(men) - 1431


def test_kashy_men_avoidance(kashy, ref):
    men = kashy[kashy["person"] == 1]
    res = mixed_model(men, formula="satisf_A ~ 1 + time * Cavoid_A", person="dyadid", random="~ 1 + time")
    coef = res.coefficients.set_index("term")
    # SOURCE.md: Cavoid_A -.1398 (p = .045), intercept 6.2610, time .0193, time x Cavoid_A .0045
    assert_allclose(coef.loc["Cavoid_A", "estimate"], -0.1398, atol=5e-5)
    assert round(coef.loc["Cavoid_A", "p_value"], 3) == 0.045
    assert_allclose(coef.loc[["Intercept", "time", "time:Cavoid_A"], "estimate"], [6.2610, 0.0193, 0.0045], atol=5e-5)
    comps = {"dyadid:sd:(Intercept)": ("person", "sd", "Intercept"), "dyadid:sd:time": ("person", "sd", "time"),
             "dyadid:cor:(Intercept):time": ("person", "cor", "Intercept:time")}  # fmt: skip
    _assert_matches(res, ref, "kashy_men_avoid", components=comps)


def test_kashy_men_ar1(kashy, ref):
    men = kashy[kashy["person"] == 1]
    res = mixed_model(men, formula="satisf_A ~ 1 + time", person="dyadid", day="Day", ar1=True)
    _assert_matches(res, ref, "kashy_men_ar1", components={"dyadid:sd:(Intercept)": ("person", "sd", "Intercept")})


def test_kashy_two_intercept(kashy, ref):
    res = dyadic_diary(kashy, y="satisf_A", x="time", dyad="dyadid", role="genderS", day="Day")
    coef = res.coefficients.set_index("term")["estimate"]
    # SOURCE.md: man 6.2591, woman 6.3884, slope_m .0192, slope_w .0099 (handout; nlme here: 6.2594 for men)
    assert_allclose(coef[["Intercept:genderSM", "Intercept:genderSF", "time:genderSM", "time:genderSF"]],
                    [6.2591, 6.3884, 0.0192, 0.0099], atol=5e-4)  # fmt: skip
    terms = {"man": "Intercept:genderSM", "woman": "Intercept:genderSF", "man:time": "time:genderSM",
             "woman:time": "time:genderSF"}  # fmt: skip
    # roles are sorted (F first), nlme's varIdent reference is M: compare role SDs instead
    comps = {"dyadid:sd:man": ("couple", "sd", "Intercept:genderSM"),
             "dyadid:sd:woman": ("couple", "sd", "Intercept:genderSF"),
             "dyadid:cor:man:woman": ("couple", "cor", "Intercept:genderSF:Intercept:genderSM")}  # fmt: skip
    v = res.variances.set_index(["parameter", "term"])["estimate"]
    rr = ref["random"].set_index(["model", "component"])["value"]
    sd_m = rr[("kashy_two_intercept", "sigma")]
    sd_f = sd_m * rr[("kashy_two_intercept", "varident:F")]
    assert_allclose([v[("sd", "genderSF")], v[("sd", "genderSF")] * v[("sd_ratio", "genderSM")]], [sd_f, sd_m],
                    atol=TOL_RANDOM)  # fmt: skip
    ref2 = dict(ref)
    ref2["random"] = ref["random"][~ref["random"]["component"].isin(["sigma", "varident:F"])]
    _assert_matches(res, ref2, "kashy_two_intercept", terms=terms, components=comps)


def test_ar1_with_partner_correlation_reduces_to_each_part(sim):
    """The separable AR(1) x partner structure (dense per-couple route, no nlme equivalent)
    equals the AR(1)-only route at rho = 0 and the partner-only route at phi = 0."""
    from analysis.models._mixed_ml import ResidualSpec, ReTerm, _Problem

    X = np.column_stack([np.ones(len(sim)), sim["x_within"]])
    y, cl = sim["y"].to_numpy(), sim["couple"].to_numpy()
    person, day, role = sim["person"].to_numpy(), sim["day"].to_numpy(float), (sim["role"] - 1).to_numpy()
    terms = [ReTerm(np.ones((len(sim), 1)))]

    def prob(ar1, partner):
        return _Problem(X, y, cl, terms, ResidualSpec(person=person, time=day, ar1=ar1, partner_corr=partner,
                                                      role=role), True)  # fmt: skip

    both, ar_only, pair_only = prob(True, True), prob(True, False), prob(False, True)
    # theta = [lambda, phi, rho, log sd ratio]
    assert_allclose(both.profile(np.array([0.4, 0.35, 0.0, 0.2])), ar_only.profile(np.array([0.4, 0.35, 0.2])),
                    rtol=1e-12)  # fmt: skip
    assert_allclose(both.profile(np.array([0.4, 0.0, 0.3, 0.2])), pair_only.profile(np.array([0.4, 0.3, 0.2])),
                    rtol=1e-12)  # fmt: skip
    res = dyadic_diary(sim, y="y", x="x_within", dyad="couple", role="role", day="day", ar1=True)
    v = res.variances.set_index("parameter")["estimate"]
    assert 0.2 < v["phi"] < 0.6 and 0.1 < v["rho"] < 0.5  # simulated: phi .4, rho .3 (before the SD ratio)


def test_person_slopes_plot(sim):
    import matplotlib.pyplot as plt

    from analysis.report.figures import person_slopes

    res = mixed_model(sim, formula=FORMULA, person="person", random="~ 1 + x_within")
    fig = person_slopes(res, term="x_within", n_persons=20, seed=3)
    left, _right = fig.axes[:2]
    assert len(left.lines) == 21  # 20 persons + the average line
    slope = res.coefficients.set_index("term").loc["x_within", "estimate"]
    assert_allclose(np.diff(left.lines[-1].get_ydata()) / np.diff(left.lines[-1].get_xdata()), slope)
    plt.close(fig)
    with pytest.raises(ParameterError, match="no random slope"):
        person_slopes(res, term="w")


def test_nested_couple_person_with_ar1(sim, ref):
    res = mixed_model(sim, formula=FORMULA, person="person", random="~ 1 + x_within", dyad="couple", day="day",
                      ar1=True)
    # lme(..., random = list(couple = ~ 1, person = ~ 1 + x_within),
    #     correlation = corAR1(form = ~ day | couple / person))
    _assert_matches(res, ref, "sim_nested_ar1_reml")


def test_variance_stuck_at_bound_is_restarted(sim, ref, monkeypatch):
    """A Cholesky diagonal started at its bound 0 has zero gradient there (the criterion is even
    in it); the engine restarts from 0.1 and still finds nlme's optimum."""
    from analysis.models import _mixed_ml

    original = _mixed_ml._Problem.start_and_bounds

    def at_bound(self):
        theta, bounds = original(self)
        theta[2] = 0.0  # [lambda_11, lambda_21, lambda_22]: slope SD at 0
        return theta, bounds

    monkeypatch.setattr(_mixed_ml._Problem, "start_and_bounds", at_bound)
    res = mixed_model(sim, formula=FORMULA, person="person", random="~ 1 + x_within")
    _assert_matches(res, ref, "sim_rs_reml")
