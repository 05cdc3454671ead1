"""Inference on a specification curve (Simonsohn, Simmons & Nelson, 2020): the null curves equal a
plain independent implementation, do not depend on how the resamples are chunked, and give p values
that are about uniform on data without an effect; the curve statistics and the decision
importance equal their definitions."""

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from numpy.testing import assert_allclose
from scipy import special, stats
from statsmodels.stats.anova import anova_lm
from test_multiverse import _write_synth

from analysis.claims.multiverse import multiverse_result, run_multiverse
from analysis.claims.multiverse_fit import fit_specifications
from analysis.claims.multiverse_spec import prepare_multiverse_data, read_multiverse
from analysis.claims.specification_inference import (
    curve_statistics,
    decision_importance,
    inference_table,
    null_curves,
)


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    return _write_synth(tmp_path_factory.mktemp("synth_inference"), n_couples=50, seed=11)


def _grid(folder):
    spec = read_multiverse({
        "data": str(folder), "table": "people", "effect": {"predictor": "x"},
        "decisions": {
            "sub": {"kind": "subset", "options": {"all": "all", "some": {"c1": {"min": -1.0}}}},
            "out": {"kind": "outcome", "options": ["y", "ybin"]},
            "model": {"kind": "model", "options": {"ols": "ols", "clustered": {"family": "ols", "robust": "cluster"},
                                                   "logit": "logistic"}},
        },
        "incompatible": [{"rule": "logit: binary outcome", "when": {"model": "logit", "out": "y"}}],
    })  # fmt: skip
    return spec


def _independent(frame, rows, observed, seed, ks, alpha=0.05):
    """The null curves written out plainly: statsmodels fits, loops, the documented draws."""
    obs = {r["spec_id"]: r for r in observed}
    est_ok = [r["estimate"] for r in observed if r["status"] == "ok"]
    direction = 1 if np.median(est_ok) >= 0 else -1
    unit = frame["_cluster"].to_numpy()
    units = np.unique(unit)
    rows_of = [np.flatnonzero(unit == u) for u in units]
    out = []
    for k in ks:
        rng = np.random.default_rng([seed, k])
        draw = rng.integers(0, len(units), size=len(units))
        idx = np.concatenate([rows_of[u] for u in draw])
        draw_id = np.concatenate([np.full(len(rows_of[u]), i) for i, u in enumerate(draw)])
        ests, ps = [], []
        for row in rows:
            d = json.loads(row["definition"])
            b = obs[row["spec_id"]]["estimate"]
            mask = np.ones(len(frame), dtype=bool)
            for col in d["keep"]:
                mask &= frame[col].to_numpy(bool)
            x = frame[d["x"]].to_numpy(float)
            y = frame[d["y"]].to_numpy(float)
            X = np.column_stack([np.ones(len(frame)), x])
            complete = mask & ~np.isnan(y) & ~np.isnan(x)
            if d["family"] == "ols":
                ynull = y - b * x
            else:  # parametric: the fitted logit with the effect's term at 0
                params = sm.Logit(y[complete], X[complete]).fit(disp=False, method="newton", tol=1e-12).params
                eta = X @ params - b * x
                eta[~complete] = np.nan
                u = np.random.default_rng([seed, k, int(row["spec_id"], 16)]).random(len(idx))
                ynull = np.full(len(frame), np.nan)
                ynull_k = np.where(np.isnan(eta[idx]), np.nan, (u < special.expit(eta[idx])).astype(float))
            keep = complete[idx]
            Xk = X[idx][keep]
            if d["family"] == "ols":
                yk = ynull[idx][keep]
                if d["params"]["robust"] == "cluster":
                    res = sm.OLS(yk, Xk).fit(cov_type="cluster", cov_kwds={"groups": draw_id[keep]})
                    t = res.params[1] / res.bse[1]
                    p = 2 * stats.t.sf(abs(t), res.df_resid)
                else:
                    res = sm.OLS(yk, Xk).fit()
                    p = res.pvalues[1]
            else:
                res = sm.Logit(ynull_k[keep], Xk).fit(disp=False, method="newton", tol=1e-12)
                p = res.pvalues[1]
            ests.append(res.params[1])
            ps.append(p)
        ests, ps = np.array(ests), np.array(ps)
        sig = ps < alpha
        one = np.where(np.sign(ests) == direction, ps / 2, 1 - ps / 2)
        out.append({"median": np.median(ests), "n_significant_positive": int(np.sum(sig & (ests > 0))),
                    "n_significant_negative": int(np.sum(sig & (ests < 0))),
                    "stouffer_z": stats.norm.isf(one).sum() / np.sqrt(len(one))})  # fmt: skip
    return out


def test_null_curves_equal_an_independent_implementation(synth):
    spec = _grid(synth)
    frame, _ = prepare_multiverse_data(spec)
    rows = [r for r in spec.specifications().to_dict("records") if r["status"] == "pending"]
    observed = fit_specifications(frame, rows)
    assert len(rows) == 10 and {r["status"] for r in observed} == {"ok"}
    ours = null_curves(frame, rows, observed, resamples=range(6), seed=42)
    plain = _independent(frame, rows, observed, 42, range(6))
    assert [c["resample"] for c in ours] == list(range(6))
    for a, b in zip(ours, plain, strict=True):
        assert_allclose(a["median"], b["median"], rtol=1e-6)
        assert_allclose(a["stouffer_z"], b["stouffer_z"], rtol=1e-6)
        assert (a["n_significant_positive"], a["n_significant_negative"]) == \
            (b["n_significant_positive"], b["n_significant_negative"])  # fmt: skip
        assert a["n_fitted"] == len(rows) and a["n_failed"] == 0


def test_null_curves_do_not_depend_on_the_chunks(synth):
    spec = _grid(synth)
    frame, _ = prepare_multiverse_data(spec)
    rows = [r for r in spec.specifications().to_dict("records") if r["status"] == "pending"]
    observed = fit_specifications(frame, rows)
    whole = null_curves(frame, rows, observed, resamples=range(10), seed=5)
    parts = null_curves(frame, rows, observed, resamples=range(5), seed=5) + \
        null_curves(frame, rows, observed, resamples=[5, 6, 7, 8, 9], seed=5)  # fmt: skip
    assert whole == parts
    reversed_rows = null_curves(frame, rows[::-1], observed[::-1], resamples=[3], seed=5)
    assert_allclose(reversed_rows[0]["stouffer_z"], whole[3]["stouffer_z"], rtol=1e-12)
    assert null_curves(frame, rows, observed, resamples=[3], seed=6)[0] != whole[3]


def test_every_family_has_null_data_with_the_effect_removed(synth):
    """Mixed, APIM (actor and partner), tobit, ordinal and mediation: the null curves fit, and their
    median effect is near 0 while the observed one is not."""
    spec = read_multiverse({
        "data": str(synth), "table": "people", "effect": {"predictor": "x"},
        "decisions": {
            "out": {"kind": "outcome", "options": ["y", "ycens", "yord"]},
            "model": {"kind": "model", "options": {
                "apim": {"family": "apim"}, "partner": {"family": "apim", "effect": "partner"}, "tobit": "tobit",
                "ordinal": "ordinal", "mediation": {"family": "mediation", "mediator": "m", "n_boot": 100}}},
        },
        "incompatible": [{"rule": "tobit takes the censored outcome", "when": {"model": "tobit", "out": ["y", "yord"]}},
                         {"rule": "censored outcome: tobit", "when": {"out": "ycens", "model": ["apim", "partner",
                                                                                                "ordinal",
                                                                                                "mediation"]}},
                         {"rule": "ordinal: yord", "when": {"model": "ordinal", "out": ["y", "ycens"]}},
                         {"rule": "yord: ordinal only", "when": {"out": "yord", "model": ["apim", "partner",
                                                                                             "mediation"]}}],
    })  # fmt: skip
    frame, _ = prepare_multiverse_data(spec)
    grid = spec.specifications()
    rows = grid.to_dict("records")
    observed = fit_specifications(frame, rows)
    assert len(observed) == 5 and {r["status"] for r in observed} == {"ok"}
    curves = null_curves(frame, rows, observed, resamples=range(30), seed=1)
    assert all(c["n_failed"] == 0 and c["n_fitted"] == 5 for c in curves)
    null_median = np.median([c["median"] for c in curves])
    observed_median = np.median([r["estimate"] for r in observed])
    assert abs(null_median) < 0.3 * abs(observed_median)
    result = multiverse_result(spec, grid, observed, curves)
    assert result.inference.set_index("quantity").loc["median", "p_value"] < 0.1


def test_the_mixed_model_null_resamples_couples(synth):
    spec = read_multiverse({"data": str(synth), "table": "diary", "effect": {"outcome": "y", "predictor": "x"},
                            "decisions": {"model": {"kind": "model", "options": {
                                "mixed": "mixed", "couples": {"family": "mixed", "dyad": True}}}}})  # fmt: skip
    frame, _ = prepare_multiverse_data(spec)
    assert frame["_cluster"].nunique() == frame["couple"].nunique()  # couples are the resampling unit
    rows = spec.specifications().to_dict("records")
    observed = fit_specifications(frame, rows)
    curves = null_curves(frame, rows, observed, resamples=range(4), seed=3)
    assert all(c["n_fitted"] == 2 for c in curves)
    assert max(abs(c["median"]) for c in curves) < 0.5 * min(abs(r["estimate"]) for r in observed)


def test_curve_statistics_and_inference_table_follow_their_definitions():
    est = np.array([0.3, -0.2, 0.5, 0.1, -0.05])
    p = np.array([0.01, 0.03, 0.2, 0.04, 0.9])
    s = curve_statistics(est, p, direction=1, alpha=0.05)
    assert s["median"] == 0.1 and s["n_significant_positive"] == 2 and s["n_significant_negative"] == 1
    one = np.array([0.005, 1 - 0.015, 0.1, 0.02, 1 - 0.45])
    assert_allclose(s["stouffer_z"], stats.norm.isf(one).sum() / np.sqrt(5), rtol=1e-12)
    s_neg = curve_statistics(est, p, direction=-1, alpha=0.05)
    assert s_neg["n_significant"] == 1
    assert_allclose(s_neg["stouffer_z"], stats.norm.isf(1 - one).sum() / np.sqrt(5), rtol=1e-12)
    observed = [{"estimate": e, "p_value": q, "status": "ok"} for e, q in zip(-est, p, strict=True)]
    # null curves as null_curves gives them: Z in the observed (negative) direction
    nulls = [{"median": m, "n_significant_positive": a, "n_significant_negative": b, "stouffer_z": z} for m, a, b, z
             in [(-0.2, 0, 1, 3.0), (0.05, 1, 0, -1.0), (-0.1, 0, 2, 0.5), (0.0, 1, 0, 0.2)]]  # fmt: skip
    z_obs = curve_statistics(-est, p, direction=-1)["stouffer_z"]
    table = inference_table(observed, nulls).set_index("quantity")
    # two-sided: each null curve read in its own median's direction (|median|, its count, its Z)
    assert table.loc["median", "observed"] == -0.1 and table.loc["median", "p_value"] == 0.5
    assert table.loc["n_significant", "observed"] == 2 and table.loc["n_significant", "p_value"] == 0.25
    assert table.loc["stouffer_z", "p_value"] == np.mean([z >= z_obs for z in (3.0, 1.0, 0.5, -0.2)])
    one_sided = inference_table(observed, nulls, direction="negative").set_index("quantity")
    assert one_sided.loc["median", "p_value"] == 0.5 and one_sided.loc["n_significant", "p_value"] == 0.25
    assert one_sided.loc["stouffer_z", "p_value"] == np.mean([z >= z_obs for z in (3.0, -1.0, 0.5, 0.2)])
    positive = inference_table(observed, nulls, direction="positive").set_index("quantity")
    assert positive.loc["n_significant", "observed"] == 1  # one significant positive estimate (0.2)
    assert positive.loc["median", "p_value"] == 0.75  # null medians >= -0.1: 0.05, -0.1, 0.0


def test_decision_importance_is_eta_squared_of_the_type_ii_anova():
    rng = np.random.default_rng(8)
    grid = pd.DataFrame([(a, b, c) for a in "xyz" for b in "uv" for c in "pq"], columns=["a", "b", "c"])
    grid["estimate"] = grid["a"].map({"x": 0.1, "y": 0.3, "z": 0.2}) + (grid["b"] == "v") * 0.05 + \
        rng.normal(0, 0.02, len(grid))  # fmt: skip
    grid["status"] = "ok"
    grid.loc[[3, 7], "status"] = "failed"  # unbalanced
    ours = decision_importance(grid, ["a", "b", "c"]).set_index("decision")
    ok = grid[grid["status"] == "ok"]
    table = anova_lm(smf.ols("estimate ~ C(a) + C(b) + C(c)", data=ok).fit(), typ=2)
    total = ((ok["estimate"] - ok["estimate"].mean()) ** 2).sum()
    for name in "abc":
        assert_allclose(ours.loc[name, "share"], table.loc[f"C({name})", "sum_sq"] / total, rtol=1e-9)
    assert ours.loc["a", "share"] > 0.8 and ours["share"].sum() == pytest.approx(1.0)


def test_p_values_are_calibrated_on_data_without_an_effect(tmp_path):
    """On simulated data with no effect, the share of p < .05 is near 5% (a larger run: bench/)."""
    pvalues = []
    for sim in range(60):
        rng = np.random.default_rng(1000 + sim)
        n = 60
        data = pd.DataFrame({"id": np.arange(n), "x": rng.normal(size=n), "c": rng.normal(size=n)})
        data["y"] = 0.5 * data["c"] + rng.normal(size=n)
        folder = tmp_path / f"sim{sim}"
        folder.mkdir()
        data.to_csv(folder / "data.csv", index=False)
        (folder / "codebook.yaml").write_text(
            "tables:\n  t:\n    file: data.csv\n    variables:\n      id: {type: integer, role: id}\n"
            "      x: {type: number}\n      c: {type: number}\n      y: {type: number}\n"
            "    exclusions: {attention_check: false}\n")  # fmt: skip
        spec = {"data": str(folder), "effect": {"outcome": "y", "predictor": "x"},
                "decisions": {"cov": {"kind": "covariates", "options": {"none": [], "c": ["c"]}},
                              "sub": {"kind": "subset", "options": {"all": "all", "c low": {"c": {"max": 0.5}}}}}}
        result = run_multiverse(spec, resamples=40, seed=sim)
        pvalues.append(result.inference.set_index("quantity")["p_value"])
    p = pd.DataFrame(pvalues)
    assert p.notna().all().all()
    for stat in ("median", "stouffer_z"):
        share = (p[stat] < 0.05).mean()
        assert 0.0 <= share <= 0.15, (stat, share)
        assert 0.35 < p[stat].mean() < 0.65, (stat, p[stat].mean())
