"""analysis.factor against psych 2.2.9 / GPArotation 2022.10-2 (tests/reference/factor.R).

The expected values are the CSVs that tests/reference/factor.R writes with 17 significant
digits; its printed output is tests/reference/factor.Rout. `bfi` is psych::bfi
(tests/data/bfi.csv, items A1..O5); `ecr` is ../shared/data/openpsychometrics_ecr (Q1..Q36,
0 = missing), skipped when the shared data are absent.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import PROJECT_ROOT
from numpy.testing import assert_allclose
from scipy import optimize

from analysis.exceptions import AnalysisWarning, ConvergenceWarning, DataError, ParameterError
from analysis.psychometrics.efa import EFAResult, efa
from analysis.psychometrics.factor_retention import parallel_analysis, velicer_map
from analysis.psychometrics.omega import omega

REF = PROJECT_ROOT / "tests" / "reference"
BFI = [f"{t}{i}" for t in "ACENO" for i in range(1, 6)]
ECR = [f"Q{i}" for i in range(1, 37)]


def ref(name, case):
    table = pd.read_csv(REF / f"factor_{name}.csv")
    return table[table["case"] == case].reset_index(drop=True)


@pytest.fixture(scope="module")
def bfi():
    return pd.read_csv(PROJECT_ROOT / "tests" / "data" / "bfi.csv")


@pytest.fixture(scope="module")
def bfi_a_reversed(bfi):
    a = bfi[BFI[:5]].copy()
    a["A1"] = 7 - a["A1"]  # factor.R: bfi_a_rev$A1 <- 7 - bfi_a_rev$A1
    return a


@pytest.fixture(scope="module")
def ecr(shared_data):
    raw = pd.read_csv(shared_data / "openpsychometrics_ecr" / "data.csv", keep_default_na=False)
    return raw[ECR].replace(0, np.nan)  # SOURCE.md: 0 = missing


# ---------------------------------------------------------------------------------------------
# efa  <->  psych::fa(items, nfactors, fm, rotate)
# ---------------------------------------------------------------------------------------------
# case -> (data set, n_factors, method, rotation); the R call is
# fa(<data set items>, nfactors = n_factors, fm = method, rotate = rotation)
EFA_BFI = {
    "bfi_5_minres_oblimin": (BFI, 5, "minres", "oblimin"),
    "bfi_5_minres_varimax": (BFI, 5, "minres", "varimax"),
    "bfi_5_minres_promax": (BFI, 5, "minres", "promax"),
    "bfi_5_minres_none": (BFI, 5, "minres", "none"),
    "bfi_5_ml_oblimin": (BFI, 5, "ml", "oblimin"),
    "bfi_5_ml_varimax": (BFI, 5, "ml", "varimax"),
    "bfi_5_ml_promax": (BFI, 5, "ml", "promax"),
    "bfi_A_1_minres": (BFI[:5], 1, "minres", "oblimin"),
}
EFA_ECR = {
    "ecr_2_minres_oblimin": (ECR, 2, "minres", "oblimin"),
    "ecr_4_ml_promax": (ECR, 4, "ml", "promax"),
}
FIT_EXACT = ["chi_square", "df", "p_value", "rmsea", "tli", "bic", "rms", "crms",
             "empirical_chi_square", "empirical_p_value", "objective", "n_obs", "harmonic_n"]


def check_efa_against_psych(res: EFAResult, case: str):
    # fa(...)$loadings, by position (psych's order; signs as psych)
    assert_allclose(res.loadings["loading"], ref("efa_loadings", case)["loading"], atol=1e-10)
    assert list(res.loadings["item"]) == list(ref("efa_loadings", case)["item"])
    # fa(...)$communality (h2), $uniquenesses (u2), $complexity
    expected = ref("efa_communalities", case)
    for column in ["h2", "u2", "complexity"]:
        assert_allclose(res.communalities[column], expected[column], atol=1e-10)
    # fa(...)$Vaccounted: SS loadings, Proportion Var, Cumulative Var, Proportion Explained, ...
    expected = ref("efa_variance", case)
    for column in ["ss_loadings", "proportion", "cumulative", "proportion_explained",
                   "cumulative_explained"]:
        assert_allclose(res.variance[column], expected[column], atol=1e-10)
    # fa(...)$Phi (oblique rotations only)
    expected = ref("efa_phi", case)
    if len(expected):
        assert_allclose(res.phi["correlation"], expected["correlation"], atol=1e-10)
    # fa(...)$STATISTIC, $dof, $PVAL, $RMSEA[1], $TLI, $BIC, $rms, $crms, $chi, $EPVAL,
    # $objective, $n.obs, $nh
    expected = ref("efa_fit", case)
    for column in FIT_EXACT:
        assert_allclose(res.fit[column], expected[column], rtol=1e-9, atol=1e-300)
    # fa(...)$RMSEA["lower"], ["upper"]: R's uniroot stops at tol = eps^0.25 on the ncp scale
    for column, r_column in [("rmsea_ci_low", "rmsea_low"), ("rmsea_ci_high", "rmsea_high")]:  # named as in cfa
        assert_allclose(res.fit[column], expected[r_column], rtol=1e-6)


@pytest.mark.parametrize("case", sorted(EFA_BFI))
def test_efa_matches_psych_fa_bfi(bfi, case):
    items, n_factors, method, rotation = EFA_BFI[case]
    res = efa(bfi, items=items, n_factors=n_factors, method=method, rotation=rotation)
    check_efa_against_psych(res, case)


@pytest.mark.parametrize("case", sorted(EFA_ECR))
def test_efa_matches_psych_fa_ecr(ecr, case):
    items, n_factors, method, rotation = EFA_ECR[case]
    res = efa(ecr, items=items, n_factors=n_factors, method=method, rotation=rotation)
    check_efa_against_psych(res, case)


def test_efa_oblimin_nonconvergence_warns_and_still_matches_psych(bfi):
    # fa(bfi_items, nfactors = 11, fm = "minres", rotate = "oblimin"): GPArotation warns
    # "convergence not obtained in GPFoblq. 1000 iterations used." and psych keeps the result
    with pytest.warns(ConvergenceWarning, match="rotation did not converge"):
        res = efa(bfi, items=BFI, n_factors=11)
    expected = ref("efa_loadings", "bfi_11_minres_oblimin")["loading"]
    assert_allclose(res.loadings["loading"], expected, atol=1e-8)
    assert not res.converged and "did not converge" in res.sentence()  # visible in the result too


def test_efa_extraction_iteration_limit_warns(bfi, monkeypatch):
    # psych's optim stops silently at maxit = 100; we warn. Forced here by a 1-iteration cap.
    real_minimize = optimize.minimize

    def capped(*args, **kwargs):
        kwargs["options"] = {**kwargs["options"], "maxiter": 1}
        return real_minimize(*args, **kwargs)

    monkeypatch.setattr(optimize, "minimize", capped)
    with pytest.warns(ConvergenceWarning, match="extraction did not converge"):
        res = efa(bfi, items=BFI, n_factors=3, rotation="none")
    assert not res.converged


def test_efa_tables_shape_and_helpers(bfi):
    res = efa(bfi, items=BFI, n_factors=5)
    assert list(res.loadings.columns) == ["item", "factor", "loading"]
    assert list(res.communalities.columns) == ["item", "h2", "u2", "complexity"]
    assert list(res.variance.columns) == ["factor", "ss_loadings", "proportion", "cumulative",
                                          "proportion_explained", "cumulative_explained"]
    assert list(res.phi.columns) == ["factor", "with_factor", "correlation"]
    assert len(res.fit) == 1
    wide = res.loadings_wide()
    assert wide.shape == (25, 5) and list(wide.index) == BFI
    assert list(wide.columns) == ["F1", "F2", "F3", "F4", "F5"]
    assert_allclose(wide.loc["N1", "F1"], res.loadings.query("item == 'N1' and factor == 'F1'")
                    ["loading"].iloc[0])
    phi = res.phi_wide()
    assert_allclose(np.diag(phi), 1.0)
    assert_allclose(phi.to_numpy(), phi.to_numpy().T)
    # orthogonal solutions report identity factor correlations
    res = efa(bfi, items=BFI, n_factors=5, rotation="varimax")
    assert_allclose(res.phi_wide().to_numpy(), np.eye(5))


def test_efa_listwise_equals_complete_cases_and_does_not_mutate(bfi):
    before = bfi.copy()
    listwise = efa(bfi, items=BFI, n_factors=3, missing="listwise")
    complete = efa(bfi.dropna(subset=BFI), items=BFI, n_factors=3)
    pd.testing.assert_frame_equal(listwise.loadings, complete.loadings)
    assert listwise.fit["n_obs"].iloc[0] == len(bfi.dropna(subset=BFI)) == 2436
    # the rows left out: every row with a missing item, by its index label
    assert list(listwise.excluded["row"]) == list(bfi.index[bfi[BFI].isna().any(axis=1)])
    assert listwise.fit["n"].iloc[0] == 2436 and complete.excluded.empty
    pd.testing.assert_frame_equal(bfi, before)


def test_efa_negative_df_gives_nan_fit(bfi):
    # 5 items, 3 factors: df = 10 - 15 + 3 = -2, as psych's fa(bfi[1:5], 3)$dof
    res = efa(bfi, items=BFI[:5], n_factors=3)
    assert res.fit["df"].iloc[0] == -2
    assert res.fit[["p_value", "rmsea", "tli", "bic", "crms"]].isna().all(axis=None)


# ---------------------------------------------------------------------------------------------
# parallel_analysis  <->  psych::fa.parallel(items, n.iter = 20)
# ---------------------------------------------------------------------------------------------
def test_parallel_observed_eigenvalues_match_psych_bfi(bfi):
    res = parallel_analysis(bfi, items=BFI, n_iter=1, seed=1)
    expected = ref("parallel_observed", "bfi")
    # fa.parallel(bfi_items)$pc.values (eigen(R)) and $fa.values (1-factor minres diagonal)
    assert_allclose(res.eigenvalues["pc_observed"], expected["pc_observed"], atol=1e-12)
    assert_allclose(res.eigenvalues["fa_observed"], expected["fa_observed"], atol=1e-12)


def test_parallel_observed_eigenvalues_match_psych_ecr(ecr):
    res = parallel_analysis(ecr, items=ECR, n_iter=1, seed=1)
    expected = ref("parallel_observed", "ecr")
    # fa.parallel(ecr_items)$pc.values, $fa.values
    assert_allclose(res.eigenvalues["pc_observed"], expected["pc_observed"], atol=1e-12)
    assert_allclose(res.eigenvalues["fa_observed"], expected["fa_observed"], atol=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_parallel_suggests_what_psych_suggests(bfi, seed):
    res = parallel_analysis(bfi, items=BFI, n_iter=20, seed=seed)
    expected = pd.read_csv(REF / "factor_parallel_suggested.csv")
    # fa.parallel(bfi_items, n.iter = 20)$nfact and $ncomp: 6 and 6 for R seeds 1..10
    assert set(expected["n_factors"]) == {6} and set(expected["n_components"]) == {6}
    assert (res.n_factors, res.n_components) == (6, 6)


def test_parallel_simulated_means_have_psychs_distribution(bfi):
    res = parallel_analysis(bfi, items=BFI, n_iter=20, seed=1).eigenvalues
    expected = ref("parallel_observed", "bfi")
    # fa.parallel(bfi_items, n.iter = 20)$pc.sim, $pc.simr, $fa.sim (means of 20 draws; Monte
    # Carlo SE about 0.005)
    for column in ["pc_simulated", "pc_resampled", "fa_simulated"]:
        assert_allclose(res[column], expected[column], atol=0.03)
    # $fa.simr: the first value is heavy-tailed (near-Heywood one-factor fits of independent
    # columns), so it is left out
    assert_allclose(res["fa_resampled"][1:], expected["fa_resampled"][1:], atol=0.03)


def test_parallel_options_and_reproducibility(bfi):
    a = parallel_analysis(bfi, items=BFI, n_iter=3, seed=7)
    b = parallel_analysis(bfi, items=BFI, n_iter=3, seed=7)
    pd.testing.assert_frame_equal(a.eigenvalues, b.eigenvalues)
    pc = parallel_analysis(bfi, items=BFI, n_iter=3, seed=7, fa="pc")
    assert pc.n_factors is None and pc.n_components == a.n_components
    assert pc.eigenvalues.filter(like="fa_").isna().all(axis=None)
    assert list(pc.eigenvalues.columns) == list(a.eigenvalues.columns)
    fa_only = parallel_analysis(bfi, items=BFI, n_iter=3, seed=7, fa="fa")
    assert fa_only.n_components is None and fa_only.n_factors == a.n_factors
    mean_rule = parallel_analysis(bfi, items=BFI, n_iter=3, seed=7, quantile=None)
    assert mean_rule.eigenvalues["pc_simulated_quantile"].isna().all()
    assert mean_rule.n_components == 6


# ---------------------------------------------------------------------------------------------
# velicer_map  <->  psych::VSS(items, n = 8)$map
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case, n_map, n_map4", [("bfi", 5, 5), ("ecr", 5, 4)])
def test_velicer_map_matches_psych(request, case, n_map, n_map4):
    data, items = (request.getfixturevalue("bfi"), BFI) if case == "bfi" else (
        request.getfixturevalue("ecr"), ECR)
    res = velicer_map(data, items=items, max_factors=8)
    expected = ref("map", case)
    assert list(res.coefficients["n_components"]) == list(range(9))
    # VSS(items, n = 8)$map for m = 1..8; m = 0 by psych's formula with no component removed
    assert_allclose(res.coefficients["map"], expected["map"], rtol=1e-10)
    # 4th-power MAP (Velicer et al., 2000), the same formula with rstar^4 in factor.R
    assert_allclose(res.coefficients["map4"], expected["map4"], rtol=1e-10)
    # which.min(VSS(items)$map)
    assert (res.n_components, res.n_components_map4) == (n_map, n_map4)


def test_velicer_map_caps_max_factors(bfi):
    res = velicer_map(bfi, items=BFI[:5], max_factors=8)
    assert list(res.coefficients["n_components"]) == [0, 1, 2, 3, 4]  # psych: n1 = nvar - 1


# ---------------------------------------------------------------------------------------------
# omega  <->  psych::omega(items, nfactors, fm = "minres")
# ---------------------------------------------------------------------------------------------
OMEGA_TABLE = {"omega_total": "omega.tot", "omega_hierarchical": "omega_h",
               "omega_asymptotic": "omega.lim", "alpha": "alpha", "g6": "G6", "ecv": "ECV"}


def check_omega(res, case, g_atol):
    """g_atol: tolerance for what depends on the general factor (see factor.R, section 4)."""
    expected = ref("omega", case)
    # omega(...)$omega.tot, $alpha, $G6: do not involve g
    for column in ["omega_total", "alpha", "g6"]:
        assert_allclose(res.coefficients[column], expected[column], atol=1e-10)
    # omega(...)$omega_h, $omega.lim, $ECV
    for column in ["omega_hierarchical", "omega_asymptotic", "ecv"]:
        assert_allclose(res.coefficients[column], expected[column], atol=g_atol)
    # omega(...)$schmid$sl[, c("g", "F1*", ...)]
    assert_allclose(res.loadings["loading"], ref("omega_loadings", case)["loading"], atol=g_atol)
    # omega(...)$schmid$sl[, c("h2", "u2", "p2")] and omega(...)$key < 0
    expected = ref("omega_communalities", case)
    assert_allclose(res.communalities["h2"], expected["h2"], atol=1e-10)
    assert_allclose(res.communalities["u2"], expected["u2"], atol=1e-10)
    assert_allclose(res.communalities["p2"], expected["p2"], atol=2 * g_atol)
    assert list(res.communalities["reversed"]) == list(expected["reversed"])
    # omega(...)$omega.group: total, general, group
    expected = ref("omega_groups", case)
    for ours, theirs in [("omega_total", "omega_total"), ("omega_general", "omega_general"),
                         ("omega_group", "omega_group")]:
        assert_allclose(res.groups[ours], expected[theirs], atol=g_atol)


@pytest.mark.parametrize("case, n_factors", [("bfi_5", 5), ("bfi_3", 3)])
def test_omega_matches_psych_bfi(bfi, case, n_factors):
    # omega(bfi_items, nfactors = 5 / 3, fm = "minres"); A1, C4, C5, E1, E2, O2, O5 flipped
    res = omega(bfi, items=BFI, n_factors=n_factors)
    check_omega(res, case, g_atol=1e-10)


@pytest.mark.parametrize("case", ["bfi_A_3", "bfi_A_3_raw"])
def test_omega_matches_psych_agreeableness(bfi, bfi_a_reversed, case):
    # omega(bfi_a_rev) and omega(bfi[, 1:5]) with psych defaults (nfactors = 3); psych warns
    # "An ultra-Heywood case was detected" (one-factor fit of the factor correlations), so do we.
    # A g uniqueness sits on the 0.005 bound, where R's and SciPy's L-BFGS-B stop at points
    # about 1e-4 apart: omega_h agrees to 5e-5, the g loadings to 9e-5.
    data = bfi_a_reversed if case == "bfi_A_3" else bfi
    with pytest.warns(AnalysisWarning, match="ultra-Heywood"):
        res = omega(data, items=BFI[:5])
    check_omega(res, case, g_atol=2e-4)
    assert res.communalities["reversed"].iloc[0] == (case == "bfi_A_3_raw")
    assert res.heywood and "ultra-Heywood" in res.sentence()


def test_omega_matches_psych_ecr(ecr):
    # omega(ecr_items, nfactors = 3, fm = "minres"): the same bound case as above, further from
    # psych (omega_h 4e-4, g loadings 6e-4); omega_total, alpha, G6, h2 and u2 to 1e-10
    with pytest.warns(AnalysisWarning, match="ultra-Heywood"):
        res = omega(ecr, items=ECR, n_factors=3)
    check_omega(res, "ecr_3", g_atol=2e-3)
    assert res.heywood


def test_omega_two_factors_warns(bfi):
    with pytest.warns(AnalysisWarning, match="Three factors are required"):
        res = omega(bfi, items=BFI[:10], n_factors=2)
    assert res.coefficients["omega_hierarchical"].iloc[0] < res.coefficients["omega_total"].iloc[0]


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("func", [efa, omega, parallel_analysis, velicer_map])
def test_too_few_items(bfi, func):
    kwargs = {"n_factors": 1} if func is efa else {}
    with pytest.raises(ParameterError, match="at least 3"):
        func(bfi, items=["A1", "A2"], **kwargs)


@pytest.mark.parametrize("n_factors", [0, 5, 6, 2.0, True])
def test_efa_bad_n_factors(bfi, n_factors):
    with pytest.raises(ParameterError, match="n_factors"):
        efa(bfi, items=BFI[:5], n_factors=n_factors)


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "pa"}, "method"),
    ({"rotation": "quartimax"}, "rotation"),
    ({"missing": "drop"}, "missing"),
])
def test_efa_unknown_options(bfi, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        efa(bfi, items=BFI, n_factors=2, **kwargs)


def test_bad_columns(bfi):
    with pytest.raises(DataError, match="no column 'Z9'"):
        efa(bfi, items=BFI[:4] + ["Z9"], n_factors=1)
    text = bfi[BFI[:4]].assign(A5=bfi["A5"].astype(str))
    with pytest.raises(DataError, match="numeric"):
        efa(text, items=BFI[:5], n_factors=1)
    constant = bfi[BFI[:4]].assign(K=1.0)
    with pytest.raises(DataError, match="'K'"):
        velicer_map(constant, items=BFI[:4] + ["K"])
    with pytest.raises(ParameterError, match="more than once"):
        efa(bfi, items=BFI[:4] + ["A1"], n_factors=1)
    with pytest.raises(ParameterError, match="DataFrame"):
        efa(bfi.to_numpy(), items=BFI, n_factors=1)


@pytest.mark.parametrize("kwargs, match", [
    ({"fa": "components"}, "fa"),
    ({"n_iter": 0}, "n_iter"),
    ({"quantile": 1.5}, "quantile"),
])
def test_parallel_bad_options(bfi, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        parallel_analysis(bfi, items=BFI, **kwargs)


def test_map_and_omega_bad_options(bfi):
    with pytest.raises(ParameterError, match="max_factors"):
        velicer_map(bfi, items=BFI, max_factors=0)
    with pytest.raises(ParameterError, match="between 1 and the number of items"):
        omega(bfi, items=BFI, n_factors=0)
    with pytest.raises(ParameterError, match="rotation"):
        omega(bfi, items=BFI, rotation="varimax")


def test_dimensionality_recovers_the_demo_two_attachment_dimensions():
    # the generator builds ECR-S from two latent dimensions (anxiety, avoidance) and CSI-16 from one
    from analysis import simulate_demo_survey
    from analysis.psychometrics.by_instrument import scale_dimensionality as dimensionality

    survey = simulate_demo_survey(n_couples=300, seed=5).survey
    ecr_s = {str(i): f"ecr_s_{i}" for i in range(1, 13)}
    csi = {str(i): f"csi_16_{i}" for i in range(1, 17)}
    table = dimensionality(survey, instruments={"ecr_s": ecr_s, "csi_16": csi, "ucla_3": {}}, n_iter=10, seed=1)
    rows = table.set_index("instrument")
    assert list(rows.index) == ["ecr_s", "csi_16"]  # ucla_3: fewer than 6 items
    assert rows.loc["ecr_s", "n_subscales"] == 2 and rows.loc["ecr_s", "parallel_components"] == 2
    assert rows.loc["ecr_s", "map_components"] == 2
    assert rows.loc["csi_16", "parallel_components"] == 1 and rows.loc["csi_16", "map_components"] == 1
