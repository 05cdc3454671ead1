"""Tests for analysis.sem (CFA, measurement and dyadic invariance) against lavaan.

Reference values come from lavaan 0.6-14 / semTools 0.5-6 via tests/reference/cfa.R (session
in tests/reference/cfa.Rout), written to tests/reference/cfa_fit.csv (fitMeasures),
cfa_params.csv (parameterEstimates(standardized = TRUE) + parTable()$free) and cfa_lrt.csv
(lavTestLRT). Fit measures agree to about 1e-7 relative, so they are checked at rtol 1e-6.
Parameter estimates are checked at rtol 1e-4: lavaan stops its optimiser (nlminb) earlier than we
do (its gradient at its estimates is ~1e-6, ours ~1e-8), which leaves ~1e-6 differences in
estimates, and up to ~1e-3 in a z statistic whose estimate is near zero.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.exceptions import AnalysisWarning, ConvergenceWarning, DataError, ParameterError
from analysis.psychometrics import _sem_ml as sem_ml
from analysis.psychometrics.sem import CFAResult, cfa, dyadic_invariance, measurement_invariance
from analysis.scoring.scales import keyed_items

TESTS = Path(__file__).resolve().parent
REFERENCE = TESTS / "reference"
BFI_FACTORS = {"agree": ["A1", "A2", "A3", "A4", "A5"], "consc": ["C1", "C2", "C3", "C4", "C5"]}
# our fit column -> lavaan fitMeasures() name
FIT_NAMES = {
    "chi_square": "chisq",
    "df": "df",
    "p_value": "pvalue",
    "cfi": "cfi",
    "tli": "tli",
    "rmsea": "rmsea",
    "rmsea_ci_low": "rmsea.ci.lower",
    "rmsea_ci_high": "rmsea.ci.upper",
    "srmr": "srmr",
    "aic": "aic",
    "bic": "bic",
    "n": "ntotal",
    "loglik": "logl",
    "npar": "npar",
    "baseline_chi_square": "baseline.chisq",
    "baseline_df": "baseline.df",
}
LEVELS = ["configural", "metric", "scalar"]
ECR_ITEMS = [f"Q{i}" for i in range(1, 37)]
ECR_FACTORS = {"avoidance": ECR_ITEMS[0::2], "anxiety": ECR_ITEMS[1::2]}


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(TESTS / "data" / "bfi.csv")


@pytest.fixture(scope="module")
def lavaan_fit() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "cfa_fit.csv").set_index("model")


@pytest.fixture(scope="module")
def lavaan_params() -> pd.DataFrame:
    ref = pd.read_csv(
        REFERENCE / "cfa_params.csv",
        keep_default_na=False,
        na_values=[""],
        dtype={"group_label": str, "rhs": str},
    )
    return ref.assign(rhs=ref["rhs"].fillna(""), group_label=ref["group_label"].fillna(""))


@pytest.fixture(scope="module")
def lavaan_lrt() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "cfa_lrt.csv")


@pytest.fixture(scope="module")
def ecr(shared_data) -> pd.DataFrame:
    raw = pd.read_csv(shared_data / "openpsychometrics_ecr" / "data.csv", keep_default_na=False)
    return raw[ECR_ITEMS].replace(0, np.nan)  # 0 = missing (SOURCE.md)


@pytest.fixture(scope="module")
def prqc(shared_data) -> pd.DataFrame:
    return pd.read_csv(shared_data / "dysem_prqcQ" / "data.csv")


def assert_fit_matches(ours: pd.Series, ref: pd.Series) -> None:
    """fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
    "rmsea.ci.upper", "srmr", "aic", "bic", "ntotal", "logl", "npar", "baseline.chisq",
    "baseline.df"))"""
    for ours_name, lavaan_name in FIT_NAMES.items():
        assert_allclose(
            float(ours[ours_name]),
            float(ref[lavaan_name]),
            rtol=1e-6,
            atol=1e-9,
            err_msg=f"{ours_name} vs lavaan {lavaan_name}",
        )


def assert_params_match(ours: pd.DataFrame, ref: pd.DataFrame, grouped: bool) -> None:
    """parameterEstimates(fit, standardized = TRUE): est, se, z, pvalue, std.all of free rows."""
    ref = ref[ref["free"] > 0].rename(columns={"group_label": "group"})
    ours = ours.assign(rhs=ours["rhs"].fillna(""), group=ours["group"].fillna(""))
    if not grouped:
        ref = ref.assign(group="")
    merged = ref.merge(
        ours,
        on=["group", "lhs", "op", "rhs"],
        how="outer",
        indicator=True,
        suffixes=("_lavaan", ""),
    )
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    assert_allclose(merged["estimate"], merged["est"], rtol=1e-4, atol=1e-5)  # est
    assert_allclose(merged["se"], merged["se_lavaan"], rtol=1e-4)  # se
    assert_allclose(merged["z"], merged["z_lavaan"], rtol=1e-4, atol=1e-3)  # z
    assert_allclose(merged["p_value"], merged["pvalue"], rtol=1e-4, atol=1e-5)  # pvalue
    assert_allclose(merged["std_estimate"], merged["std.all"], rtol=1e-4, atol=1e-5)  # std.all


# ---------------------------------------------------------------------------------------------
# single-group CFA, bfi
# ---------------------------------------------------------------------------------------------
BFI_MODELS = {
    # cfa(m_bfi, data = bfi, estimator = "ML", missing = "listwise")
    "bfi_listwise": {},
    # cfa(m_bfi, data = bfi, estimator = "ML", std.lv = TRUE)
    "bfi_stdlv": {"std_lv": True},
    # cfa(m_bfi, data = bfi, estimator = "ML", missing = "ml")
    "bfi_fiml": {"missing": "fiml"},
    # cfa(m_bfi, data = bfi[complete.cases(bfi[bfi_items]), ], estimator = "ML", missing = "ml")
    # (complete data, but lavaan's FIML defaults: mean structure, observed information)
    "bfi_fiml_complete": {"missing": "fiml"},
}


def bfi_for(bfi: pd.DataFrame, model: str) -> pd.DataFrame:
    items = BFI_FACTORS["agree"] + BFI_FACTORS["consc"]
    return bfi.dropna(subset=items) if model == "bfi_fiml_complete" else bfi


@pytest.mark.parametrize("model", list(BFI_MODELS))
def test_cfa_fit_matches_lavaan(bfi, lavaan_fit, model):
    res = cfa(bfi_for(bfi, model), factors=BFI_FACTORS, **BFI_MODELS[model])
    assert isinstance(res, CFAResult)
    assert list(res.fit.columns) == list(FIT_NAMES)
    assert_fit_matches(res.fit.iloc[0], lavaan_fit.loc[model])


@pytest.mark.parametrize("model", list(BFI_MODELS))
def test_cfa_parameters_match_lavaan(bfi, lavaan_params, model):
    res = cfa(bfi_for(bfi, model), factors=BFI_FACTORS, **BFI_MODELS[model])
    ref = lavaan_params[lavaan_params["model"] == model]
    assert_params_match(res.parameters, ref, grouped=False)


def test_std_lv_multigroup_frees_later_groups(bfi, lavaan_params, lavaan_fit):
    # cfa(m_bfi, data = bfi, group = "gender", std.lv = TRUE,
    #     group.equal = c("loadings", "intercepts"))
    res = cfa(bfi, factors=BFI_FACTORS, group="gender", std_lv=True,
              equal=("loadings", "intercepts"))
    assert_fit_matches(res.fit.iloc[0], lavaan_fit.loc["mi_stdlv_scalar"])
    ref = lavaan_params[lavaan_params["model"] == "mi_stdlv_scalar"]
    assert_params_match(res.parameters, ref, grouped=True)
    var = res.parameters.query("lhs == rhs and lhs in ['agree', 'consc']")
    assert list(var["group"]) == ["2", "2"]        # fixed to 1 in group "1", free in group "2"


def test_listwise_values_spelled_out(bfi):
    res = cfa(bfi, factors=BFI_FACTORS)
    fit = res.fit.iloc[0]
    # fitMeasures(cfa(m_bfi, data = bfi), c("chisq", "cfi", "rmsea", "srmr")) (cfa.Rout)
    assert_allclose(fit["chi_square"], 503.34046483763387, rtol=1e-6)
    assert_allclose(fit["cfi"], 0.91348117923289596, rtol=1e-6)
    assert_allclose(fit["rmsea"], 0.072420513283236426, rtol=1e-6)
    assert_allclose(fit["srmr"], 0.046022537042770255, rtol=1e-6)
    assert fit["n"] == 2632 and fit["df"] == 34
    # lavaan's nobs = 2632: the 168 rows with a missing item are the ones in .excluded
    assert len(res.excluded) == len(bfi) - 2632 and list(res.excluded.columns) == ["row", "reason"]
    # parameterEstimates(): agree =~ A2 est -1.5051221715851451, se 0.094494074449279208
    a2 = res.loadings.query("item == 'A2'").iloc[0]
    assert_allclose(
        [a2["estimate"], a2["se"]], [-1.5051221715851451, 0.094494074449279208], rtol=1e-5
    )


@pytest.mark.parametrize("model", list(BFI_MODELS))
def test_loadings_table_includes_markers(bfi, lavaan_params, model):
    res = cfa(bfi_for(bfi, model), factors=BFI_FACTORS, **BFI_MODELS[model])
    load = res.loadings
    assert list(load.columns) == ["group", "factor", "item", "estimate", "se", "z", "p_value",
                                  "std_estimate"]
    assert list(load["item"]) == BFI_FACTORS["agree"] + BFI_FACTORS["consc"]
    ref = lavaan_params[(lavaan_params["model"] == model) & (lavaan_params["op"] == "=~")]
    # parameterEstimates(fit, standardized = TRUE)[op == "=~", c("est", "std.all")]
    assert_allclose(load["estimate"], ref["est"], rtol=1e-4, atol=1e-5)
    assert_allclose(load["std_estimate"], ref["std.all"], rtol=1e-4, atol=1e-5)
    fixed = (ref["free"] == 0).to_numpy()
    assert load.loc[fixed, "se"].isna().all() and (load.loc[fixed, "estimate"] == 1).all()
    assert fixed.sum() == (0 if model == "bfi_stdlv" else 2)


def test_lavaan_syntax_equals_dict(bfi):
    syntax = """
        agree =~ A1 + A2 + A3 + A4 + A5   # Agreeableness
        consc =~ C1 + C2 + C3
        consc =~ C4 + C5
    """
    a = cfa(bfi, factors=syntax)
    b = cfa(bfi, factors=BFI_FACTORS)
    pd.testing.assert_frame_equal(a.parameters, b.parameters)
    pd.testing.assert_frame_equal(a.fit, b.fit)


def test_rows_with_missing_group_are_dropped(bfi):
    gappy = bfi.assign(gender=bfi["gender"].astype(float).mask(bfi.index < 100))
    items = BFI_FACTORS["agree"] + BFI_FACTORS["consc"]
    res = cfa(gappy, factors=BFI_FACTORS, group="gender")
    assert res.fit["n"].iloc[0] == bfi.iloc[100:].dropna(subset=items).shape[0]
    assert set(res.parameters["group"]) == {"1.0", "2.0"}


def test_input_not_mutated(bfi):
    before = bfi.copy()
    cfa(bfi, factors=BFI_FACTORS, missing="fiml", group="gender")
    pd.testing.assert_frame_equal(bfi, before)


# ---------------------------------------------------------------------------------------------
# multi-group CFA and measurement invariance by gender, bfi
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("missing", ["listwise", "fiml"])
@pytest.mark.parametrize(
    "level, equal",
    [("configural", ()), ("metric", ("loadings",)), ("scalar", ("loadings", "intercepts"))],
)
def test_multigroup_parameters_match_lavaan(bfi, lavaan_params, lavaan_fit, missing, level, equal):
    # cfa(m_bfi, data = bfi, group = "gender", missing = "listwise" | "ml",
    #     group.equal = c() | "loadings" | c("loadings", "intercepts"))
    model = ("mi_fiml_" if missing == "fiml" else "mi_") + level
    res = cfa(bfi, factors=BFI_FACTORS, group="gender", equal=equal, missing=missing)
    assert_fit_matches(res.fit.iloc[0], lavaan_fit.loc[model])
    assert_params_match(
        res.parameters, lavaan_params[lavaan_params["model"] == model], grouped=True
    )
    if "loadings" in equal:  # one shared label, one value, in both groups
        shared = res.parameters[(res.parameters["op"] == "=~")].groupby("label")["estimate"]
        assert (shared.size() == 2).all() and (shared.nunique() == 1).all()


@pytest.mark.parametrize("missing", ["listwise", "fiml"])
def test_measurement_invariance_matches_lavaan(bfi, lavaan_fit, lavaan_lrt, missing):
    tag = "mi_fiml" if missing == "fiml" else "mi"
    res = measurement_invariance(bfi, factors=BFI_FACTORS, group="gender", missing=missing)
    assert list(res["level"]) == LEVELS
    assert list(res.columns) == [
        "level",
        *FIT_NAMES,
        "delta_chi_square",
        "delta_df",
        "delta_p_value",
        "delta_cfi",
        "delta_rmsea",
    ]
    for i, level in enumerate(LEVELS):
        assert_fit_matches(res.iloc[i], lavaan_fit.loc[f"{tag}_{level}"])
    lrt = lavaan_lrt[lavaan_lrt["set"] == tag]
    # lavTestLRT(conf, metr, scal): "Chisq diff", "Df diff", "Pr(>Chisq)"
    assert_allclose(res["delta_chi_square"][1:], lrt["chisq_diff"][1:], rtol=1e-6)
    assert_allclose(res["delta_df"][1:], lrt["df_diff"][1:])
    assert_allclose(res["delta_p_value"][1:], lrt["pvalue"][1:], rtol=1e-5)
    # semTools::compareFit(...) "Differences in Fit Indices": fitMeasures() differences
    ref = lavaan_fit.loc[[f"{tag}_{lv}" for lv in LEVELS]]
    assert_allclose(res["delta_cfi"][1:], np.diff(ref["cfi"]), atol=1e-8)
    assert_allclose(res["delta_rmsea"][1:], np.diff(ref["rmsea"]), atol=1e-8)
    assert (
        res.loc[0, ["delta_chi_square", "delta_df", "delta_p_value", "delta_cfi", "delta_rmsea"]]
        .isna()
        .all()
    )


def test_invariance_spelled_out(bfi):
    res = measurement_invariance(bfi, factors=BFI_FACTORS, group="gender").set_index("level")
    # lavTestLRT(conf, metr, scal) (cfa.Rout): Chisq diff 10.360, 44.111;
    # Pr(>Chisq) .2407, 5.421e-07
    assert_allclose(res.loc[["metric", "scalar"], "delta_chi_square"], [10.360, 44.111], atol=5e-4)
    assert_allclose(res.loc["metric", "delta_p_value"], 0.2407, atol=5e-5)
    assert_allclose(res.loc["scalar", "delta_p_value"], 5.421e-07, rtol=1e-3)
    # compareFit: cfi .910 / .910 / .903
    assert_allclose(res["cfi"], [0.910, 0.910, 0.903], atol=5e-4)


# ---------------------------------------------------------------------------------------------
# ECR (n = 51,491), shared data
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("missing, model", [("listwise", "ecr_listwise"), ("fiml", "ecr_fiml")])
def test_ecr_two_factor_matches_lavaan(ecr, lavaan_fit, lavaan_params, missing, model):
    # cfa(m_ecr, data = ecr[q], estimator = "ML", missing = "listwise" | "ml")
    res = cfa(ecr, factors=ECR_FACTORS, missing=missing)
    assert_fit_matches(res.fit.iloc[0], lavaan_fit.loc[model])
    assert_params_match(
        res.parameters, lavaan_params[lavaan_params["model"] == model], grouped=False
    )
    # fitMeasures(f_ecr, "cfi") = 0.7769262 (the issue's .7769); FIML: 0.7772065, n = 51,433
    assert_allclose(
        res.fit["cfi"].iloc[0], 0.7769262 if missing == "listwise" else 0.7772065, atol=1e-7
    )


# ---------------------------------------------------------------------------------------------
# dyadic invariance, PRQC couples (dySEM approach), shared data
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("missing", ["listwise", "fiml"])
def test_dyadic_invariance_matches_lavaan(prqc, lavaan_fit, lavaan_lrt, missing):
    # cfa(dyad_model("configural" | "loading" | "intercept"), data = prqc, missing = ...);
    # lavTestLRT(configural, loading, intercept)
    tag = "dyad_fiml" if missing == "fiml" else "dyad"
    f1 = {"sat": ["prqc.1_1", "prqc.1_2", "prqc.1_3"], "com": ["prqc.1_4", "prqc.1_5", "prqc.1_6"]}
    f2 = {"sat": ["prqc.2_1", "prqc.2_2", "prqc.2_3"], "com": ["prqc.2_4", "prqc.2_5", "prqc.2_6"]}
    res = dyadic_invariance(prqc, factors_partner1=f1, factors_partner2=f2, missing=missing)
    assert list(res["level"]) == LEVELS
    for i, level in enumerate(LEVELS):
        assert_fit_matches(res.iloc[i], lavaan_fit.loc[f"{tag}_{level}"])
    lrt = lavaan_lrt[lavaan_lrt["set"] == tag]
    assert_allclose(res["delta_chi_square"][1:], lrt["chisq_diff"][1:], rtol=1e-6)
    assert_allclose(res["delta_df"][1:], lrt["df_diff"][1:])
    assert_allclose(res["delta_p_value"][1:], lrt["pvalue"][1:], rtol=1e-5)
    assert res["n"].iloc[0] == (115 if missing == "listwise" else 118)


# ---------------------------------------------------------------------------------------------
# errors and warnings
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"missing": "pairwise"}, "missing"),
        ({"estimator": "MLR"}, "estimator"),
        ({"std_lv": "yes"}, "std_lv"),
        ({"equal": ("loadings",)}, "group"),
        ({"group": "gender", "equal": ("residuals",)}, "equal"),
        ({"factors": "agree ~ A1 + A2"}, "factor =~"),
        ({"factors": "agree =~ 0.5*A1 + A2 + A3"}, "modifiers"),
        ({"factors": {}}, "non-empty"),
        ({"factors": {"agree": []}}, "list of item columns"),
        ({"factors": {"agree": ["A1", "A1", "A2"]}}, "twice"),
        ({"factors": {"A1": ["A1", "A2", "A3"]}}, "differ from item names"),
        ({"factors": {"f": ["A1", "A2"]}}, "not identified"),
    ],
)
def test_cfa_parameter_errors(bfi, kwargs, match):
    kwargs = {"factors": BFI_FACTORS, **kwargs}
    with pytest.raises(ParameterError, match=match):
        cfa(bfi, **kwargs)


def test_cfa_data_errors(bfi):
    with pytest.raises(DataError, match="no column 'A9'"):
        cfa(bfi, factors={"agree": ["A1", "A2", "A9"]})
    with pytest.raises(DataError, match="numeric"):
        cfa(bfi.assign(A1=bfi["A1"].astype(str)), factors=BFI_FACTORS)
    with pytest.raises(DataError, match="more rows than items"):
        cfa(bfi.head(8), factors=BFI_FACTORS)
    with pytest.raises(DataError, match="without variance"):
        cfa(bfi.assign(A1=3.0), factors=BFI_FACTORS)
    with pytest.raises(ParameterError, match="DataFrame"):
        cfa(bfi.to_numpy(), factors=BFI_FACTORS)


def test_invariance_errors(bfi):
    with pytest.raises(DataError, match="one level"):
        measurement_invariance(bfi.assign(g=1), factors=BFI_FACTORS, group="g")
    with pytest.raises(ParameterError, match="group"):
        measurement_invariance(bfi, factors=BFI_FACTORS, group=None)
    with pytest.raises(ParameterError, match="missing"):
        measurement_invariance(bfi, factors=BFI_FACTORS, group="gender", missing="ml")
    with pytest.raises(ParameterError, match="same factors"):
        dyadic_invariance(
            bfi, factors_partner1={"f": ["A1", "A2", "A3"]}, factors_partner2={"f": ["C1", "C2"]}
        )
    with pytest.raises(ParameterError, match="same factors"):
        dyadic_invariance(
            bfi,
            factors_partner1={"f": ["A1", "A2", "A3"]},
            factors_partner2={"g": ["C1", "C2", "C3"]},
        )
    with pytest.raises(ParameterError, match="share an item"):
        dyadic_invariance(
            bfi,
            factors_partner1={"f": ["A1", "A2", "A3"]},
            factors_partner2={"f": ["A1", "C2", "C3"]},
        )


def test_convergence_warning_when_iterations_run_out(bfi, monkeypatch):
    monkeypatch.setattr(sem_ml, "MAX_ITER", 2)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = cfa(bfi, factors=BFI_FACTORS)
    assert not res.converged


def test_convergence_warning_for_unidentified_model(bfi):
    # a one-item factor: its variance and the item's residual variance are not separately identified
    with pytest.warns(ConvergenceWarning, match="singular"):
        res = cfa(bfi, factors={"agree": ["A1", "A2", "A3"], "single": ["C1"]})
    assert res.parameters["se"].isna().all()


def test_heywood_case_warns():
    # a sample covariance with r12 = r13 = .8, r23 = .5: the one-factor solution needs
    # lambda_1^2 = .8 * .8 / .5 = 1.28 > 1, so x1's residual variance is negative (-0.28)
    rng = np.random.default_rng(3)
    z = rng.standard_normal((200, 3))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T, bias=True))).T
    target = np.array([[1, 0.8, 0.8], [0.8, 1, 0.5], [0.8, 0.5, 1]])
    x = pd.DataFrame(z @ np.linalg.cholesky(target).T, columns=["x1", "x2", "x3"])
    with pytest.warns(AnalysisWarning, match="Heywood"):
        res = cfa(x, factors="f =~ x1 + x2 + x3")
    theta = res.parameters.query("lhs == 'x1' and op == '~~'")
    assert_allclose(theta["std_estimate"], [-0.28], atol=1e-6)
    assert res.heywood  # visible in the result, not only as a warning


# ---------------------------------------------------------------------------------------------
# Every instrument of a data set (01_psychometrics, 02_attachment_explorer)
# ---------------------------------------------------------------------------------------------
def test_scale_cfa_on_the_real_ecr_gives_lavaans_fit(ecr):
    from analysis.psychometrics.by_instrument import scale_cfa

    items = {"ecr": {str(i): f"Q{i}" for i in range(1, 37)}}
    out = scale_cfa(ecr, instruments=items, ranges={c: [1, 5] for c in ECR_ITEMS}).set_index("instrument")
    # reverse keying is linear, so the fit equals lavaan's on the raw items (CFI .7769262)
    assert out.loc["ecr", "factors"] == "avoidance, anxiety"  # order of the instrument file
    assert_allclose(out.loc["ecr", "cfi"], 0.7769262, atol=1e-7)
    assert out.loc["ecr", "min_loading"] > 0  # keyed items: every loading positive


@pytest.fixture(scope="module")
def demo_tables(small_demo):
    from analysis.data.dataset import load_dataset

    ds = load_dataset(small_demo)
    return ds.table(None), ds.instruments(None), ds.item_ranges(None)


def test_scale_cfa_fits_each_instrument_like_cfa_on_keyed_items(demo_tables):
    from analysis.psychometrics.by_instrument import scale_cfa
    from analysis.scoring.scales import subscale_items

    table, items, ranges = demo_tables
    out = scale_cfa(table, instruments=items, ranges=ranges).set_index("instrument")
    keyed = keyed_items(table, instrument="prqc", columns=items["prqc"], ranges=ranges)
    direct = cfa(keyed, factors=subscale_items("prqc", items["prqc"])).fit.iloc[0]
    for col in ("chi_square", "df", "cfi", "rmsea", "srmr", "n"):
        assert out.loc["prqc", col] == pytest.approx(direct[col], rel=1e-12)
    assert out.loc["ucla_3", "note"].startswith("3 item(s)")  # 3 items: df = 0, not fitted
    assert pd.isna(out.loc["ucla_3", "cfi"])


def test_scale_invariance_leaves_out_small_groups_and_says_so(demo_tables):
    from analysis.psychometrics.by_instrument import scale_invariance

    table, items, ranges = demo_tables
    out = scale_invariance(table, instruments={"swls": items["swls"]}, ranges=ranges, group="gender",
                           min_group_n=5)
    assert list(out["level"]) == ["configural", "metric", "scalar"]
    counts = table["gender"].value_counts()
    assert out["groups"].iloc[0] == ", ".join(f"{k} ({v})" for k, v in counts[counts >= 5].items())
    keyed = keyed_items(table, instrument="swls", columns=items["swls"], ranges=ranges)
    big = table["gender"].isin(counts.index[counts >= 5])
    direct = measurement_invariance(keyed.assign(gender=table["gender"])[big],
                                    factors={"total": list(keyed.columns)}, group="gender")
    assert_allclose(out["chi_square"], direct["chi_square"], rtol=1e-10)
    small = counts[counts < 5]
    if len(small):
        assert all(f"{k} ({v})" in out["note"].iloc[0] for k, v in small.items())
    none = scale_invariance(table, instruments={"swls": items["swls"]}, ranges=ranges, group="gender",
                            min_group_n=10_000)
    assert "fewer than two groups" in none["note"].iloc[0]


def test_scale_dyadic_invariance_pairs_partners_of_each_couple(demo_tables):
    from analysis.data.dyad_reshape import individual_to_dyad
    from analysis.psychometrics.by_instrument import scale_dyadic_invariance

    table, items, ranges = demo_tables
    out = scale_dyadic_invariance(table, instruments={"swls": items["swls"]}, ranges=ranges,
                                  dyad="couple_id", partner="partner")
    keyed = keyed_items(table, instrument="swls", columns=items["swls"], ranges=ranges)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalysisWarning)  # persons with no SWLS item answered
        wide = individual_to_dyad(keyed.assign(couple_id=table["couple_id"], partner=table["partner"]),
                                  dyad="couple_id", partner="partner")
    cols = list(keyed.columns)
    direct = dyadic_invariance(wide, factors_partner1={"total": [f"{c}_1" for c in cols]},
                               factors_partner2={"total": [f"{c}_2" for c in cols]})
    assert_allclose(out["chi_square"], direct["chi_square"], rtol=1e-10)
    both = int(wide[[f"{cols[0]}_1", f"{cols[0]}_2"]].notna().all(axis=1).sum())
    assert out["groups"].iloc[0] == f"{both:,} couples"
