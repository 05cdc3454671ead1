"""The result protocol of docs/api.md on the psychometric results (EFA, CFA, omega, parallel
analysis, MAP): ``.coefficients``, ``.fit`` (``n`` first), ``.excluded`` (``row``, ``reason``),
``.table()`` and ``.sentence()``, plus the convergence and Heywood flags."""

import numpy as np
import pandas as pd
import pytest
from conftest import PROJECT_ROOT

from analysis.apa import HtmlBlock
from analysis.exceptions import AnalysisWarning
from analysis.psychometrics import _sem_ml
from analysis.psychometrics.efa import efa
from analysis.psychometrics.factor_retention import parallel_analysis, velicer_map
from analysis.psychometrics.omega import omega
from analysis.psychometrics.sem import cfa

BFI = [f"{t}{i}" for t in "ACENO" for i in range(1, 6)]
AGREE, CONSC = BFI[:5], BFI[5:10]


@pytest.fixture(scope="module")
def bfi():
    return pd.read_csv(PROJECT_ROOT / "tests" / "data" / "bfi.csv")


@pytest.fixture(scope="module")
def gappy(bfi):
    """The first 400 complete bfi rows (agreeableness and conscientiousness) with a string index,
    a few holes, one row with every item missing and a group column with one missing value."""
    data = bfi[AGREE + CONSC].dropna().iloc[:400].copy()
    data.index = [f"r{i}" for i in range(len(data))]
    data.loc["r3", ["A2", "C4"]] = np.nan
    data.loc["r7", "A5"] = np.nan
    data.loc["r9", AGREE + CONSC] = np.nan
    data["group"] = np.where(np.arange(len(data)) % 2 == 0, "a", "b")
    data.loc["r11", "group"] = None
    return data


def fitted(kind, data, missing):
    """One result of each kind on the agreeableness and conscientiousness items."""
    items = AGREE + CONSC
    if kind == "efa":
        return efa(data, items=items, n_factors=2, missing=missing)
    if kind == "omega":
        with pytest.warns(AnalysisWarning, match="Three factors are required"):
            return omega(data, items=items, n_factors=2, missing=missing)
    if kind == "parallel":
        return parallel_analysis(data, items=items, n_iter=2, seed=1, missing=missing)
    if kind == "map":
        return velicer_map(data, items=items, max_factors=4, missing=missing)
    return cfa(data, factors={"agree": AGREE, "consc": CONSC}, missing=missing)


KINDS = ["efa", "omega", "parallel", "map", "cfa"]
PAIRWISE = {"efa": "pairwise", "omega": "pairwise", "parallel": "pairwise", "map": "pairwise", "cfa": "fiml"}


@pytest.mark.parametrize("kind", KINDS)
def test_every_result_has_the_protocol(gappy, kind):
    res = fitted(kind, gappy, "listwise")
    assert isinstance(res.coefficients, pd.DataFrame) and len(res.coefficients) > 0
    assert isinstance(res.fit, pd.DataFrame) and len(res.fit) == 1
    assert "n" in res.fit.columns
    if kind != "cfa":  # cfa's fit columns keep lavaan's fitMeasures() order (pinned in test_cfa)
        assert res.fit.columns[0] == "n"
    assert list(res.excluded.columns) == ["row", "reason"]
    block = res.table()
    assert isinstance(block, HtmlBlock) and "<table" in block.html
    numbered = res.table(title="My title", number=4).html
    assert "Table 4" in numbered and "My title" in numbered
    text = res.sentence()
    assert isinstance(text, str) and text.endswith(".") and "\n" not in text
    assert "n = 397" in text  # 400 rows, 3 with a missing item (listwise)


@pytest.mark.parametrize("kind", KINDS)
def test_excluded_listwise_lists_every_row_with_a_missing_item(gappy, kind):
    res = fitted(kind, gappy, "listwise")
    assert list(res.excluded["row"]) == ["r3", "r7", "r9"]  # index labels of `data`
    assert list(res.excluded["reason"]) == ["missing value in A2, C4", "missing value in A5", "no item answered"]
    assert int(res.fit["n"].iloc[0]) + len(res.excluded) == len(gappy)


@pytest.mark.parametrize("kind", KINDS)
def test_excluded_pairwise_and_fiml_list_only_rows_without_any_item(gappy, kind):
    res = fitted(kind, gappy, PAIRWISE[kind])
    pd.testing.assert_frame_equal(res.excluded, pd.DataFrame({"row": ["r9"], "reason": ["no item answered"]}))
    assert int(res.fit["n"].iloc[0]) == len(gappy) - 1


@pytest.mark.parametrize("kind", KINDS)
def test_nothing_excluded_gives_an_empty_table_with_the_columns(bfi, kind):
    complete = bfi[AGREE + CONSC].dropna().iloc[:300]
    res = fitted(kind, complete, "listwise")
    assert res.excluded.empty and list(res.excluded.columns) == ["row", "reason"]
    assert int(res.fit["n"].iloc[0]) == 300


def test_cfa_excludes_rows_with_a_missing_group(gappy):
    res = cfa(gappy, factors={"agree": AGREE}, group="group")
    rows = dict(zip(res.excluded["row"], res.excluded["reason"], strict=True))
    assert rows == {"r3": "missing value in A2", "r7": "missing value in A5", "r9": "no item answered",
                    "r11": "missing value in group"}
    assert res.fit["n"].iloc[0] == len(gappy) - 4
    fiml = cfa(gappy, factors={"agree": AGREE}, group="group", missing="fiml")
    assert dict(zip(fiml.excluded["row"], fiml.excluded["reason"], strict=True)) == {
        "r9": "no item answered", "r11": "missing value in group"}


def test_coefficients_are_the_documented_tables(bfi):
    res = efa(bfi, items=AGREE, n_factors=1)
    assert res.coefficients is res.loadings
    fit = cfa(bfi, factors={"agree": AGREE})
    assert fit.coefficients is fit.parameters
    pa = parallel_analysis(bfi, items=AGREE, n_iter=2, seed=1)
    assert pa.coefficients is pa.eigenvalues
    om = omega(bfi[BFI[:15]].dropna(), items=BFI[:15])
    assert list(om.coefficients.columns) == ["omega_total", "omega_hierarchical", "omega_asymptotic", "alpha",
                                             "g6", "ecv"]
    mp = velicer_map(bfi, items=AGREE)
    assert list(mp.coefficients.columns) == ["n_components", "map", "map4"]
    # the 0.1 DataFrame attribute `.table` is the APA table method now
    assert callable(om.table) and callable(mp.table)


def test_efa_fit_n_first_and_sentence_numbers(bfi):
    res = efa(bfi, items=BFI, n_factors=5, missing="listwise")
    f = res.fit.iloc[0]
    assert list(res.fit.columns[:3]) == ["n", "chi_square", "df"]
    assert f["n"] == f["n_obs"] == 2436  # listwise: every row used counts in psych's n.obs
    assert (res.method, res.rotation, res.converged, res.heywood, res.ci) == ("minres", "oblimin", True, False, 0.9)
    text = res.sentence()
    assert text.startswith("Five factors (minimum residual extraction, oblimin rotation) explained ")
    assert f"{100 * res.variance['cumulative'].iloc[-1]:.1f}% of the variance of the 25 items" in text
    assert f"χ²({int(f['df'])}) = {f['chi_square']:.2f}" in text
    assert f"RMSEA = {f['rmsea']:.2f}".replace("0.", ".") in text and "90% CI [" in text
    html = res.table().html
    assert "Communality" in html and "Factor correlations: F1–F2 = " in html
    one = efa(bfi, items=AGREE, n_factors=1, rotation="varimax")
    assert one.rotation == "none" and one.sentence().startswith("One factor (minimum residual extraction) ")


def test_cfa_sentence_reports_lavaans_fit(bfi):
    # lavaan: cfa(m_bfi, data = bfi) -> CFI .913 (see test_cfa.py); RMSEA interval at 90%
    res = cfa(bfi, factors={"agree": AGREE, "consc": CONSC})
    f = res.fit.iloc[0]
    text = res.sentence()
    assert text.startswith("The two-factor model (agree, consc) was fitted by maximum likelihood (n = 2,")
    assert "CFI = .91" in text and f"χ²({int(f['df'])}) = {f['chi_square']:.2f}" in text
    assert f"90% CI [{f['rmsea_ci_low']:.2f}, {f['rmsea_ci_high']:.2f}]".replace("0.", ".") in text
    assert f"SRMR = {f['srmr']:.2f}".replace("0.", ".") in text
    assert res.ci == 0.9 and res.converged and not res.heywood
    html = res.table().html
    assert "&lambda;" in html and "CFI = .91" in html and "Group" not in html
    grouped = cfa(bfi.assign(g=bfi["gender"]), factors={"agree": AGREE}, group="g")
    assert "two groups" in grouped.sentence() and "Group" in grouped.table().html
    assert "full-information" in cfa(bfi, factors={"agree": AGREE}, missing="fiml").sentence()


def test_omega_sentence_and_table(bfi):
    res = omega(bfi, items=BFI, n_factors=5)
    c = res.coefficients.iloc[0]
    text = res.sentence()
    assert text.startswith("For the 25 items (n = 2,800), ω total = ")
    assert f"ω total = {c['omega_total']:.2f}".replace("0.", ".") in text
    assert f"ω hierarchical = {c['omega_hierarchical']:.2f}".replace("0.", ".") in text
    assert "five group factors" in text
    assert list(res.fit.columns) == ["n", "n_items", "n_factors"] and res.fit.iloc[0].tolist() == [2800, 25, 5]
    assert (res.converged, res.heywood) == (True, False)
    assert "Omega hierarchical" in res.table().html


def test_parallel_and_map_sentences(bfi):
    pa = parallel_analysis(bfi, items=BFI, n_iter=20, seed=1)
    assert pa.sentence() == ("Parallel analysis (threshold: 95th percentile of the eigenvalues of 20 simulated data "
                             "sets; n = 2,800) suggested six factors and six components.")
    assert pa.fit.iloc[0].tolist() == [2800, 25, 20, 6, 6]
    pc = parallel_analysis(bfi, items=BFI, n_iter=2, seed=1, fa="pc", quantile=None)
    assert "mean of the eigenvalues" in pc.sentence() and "factor" not in pc.sentence()
    assert pd.isna(pc.fit["n_factors"].iloc[0]) and "FA observed" not in pc.table().html
    mp = velicer_map(bfi, items=BFI)
    assert mp.sentence() == ("Velicer's minimum average partial test (n = 2,800) reached its minimum after five "
                             "components (with 4th powers: five).")
    assert mp.fit.iloc[0].tolist() == [2800, 25, 5, 5]


def test_heywood_case_is_visible_in_the_cfa_result():
    # as test_cfa.test_heywood_case_warns: x1's residual variance is negative (-0.28)
    rng = np.random.default_rng(3)
    z = rng.standard_normal((200, 3))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T, bias=True))).T
    target = np.array([[1, 0.8, 0.8], [0.8, 1, 0.5], [0.8, 0.5, 1]])
    x = pd.DataFrame(z @ np.linalg.cholesky(target).T, columns=["x1", "x2", "x3"])
    with pytest.warns(AnalysisWarning, match="Heywood"):
        res = cfa(x, factors="f =~ x1 + x2 + x3")
    assert res.heywood and res.converged
    assert res.loadings["std_estimate"].abs().max() > 1
    assert "Heywood" in res.sentence() and "Heywood" in res.table().html


def test_nonconvergence_is_visible_in_the_cfa_result(bfi, monkeypatch):
    monkeypatch.setattr(_sem_ml, "MAX_ITER", 2)
    with pytest.warns(Warning, match="did not converge"):
        res = cfa(bfi, factors={"agree": AGREE, "consc": CONSC})
    assert not res.converged
    assert "did not converge" in res.sentence()
