"""The Social Relations Model (`srm`) against lavaan with fSRM's model (tests/reference/srm.R) and
against Kenny, Kashy & Cook's published EQS results for Cook's (2000) three-person families."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import DataError, ParameterError, srm

REF = Path(__file__).parent / "reference"
PARAMS = pd.read_csv(REF / "srm_params.csv")
FIT = pd.read_csv(REF / "srm_fit.csv").set_index("model")
SHARES = pd.read_csv(REF / "srm_shares.csv")
FOUR = pd.read_csv(REF / "srm_four_data.csv")  # simulated in srm.R, set.seed(16031)
COLS = {"family": "family.id", "actor": "actor.id", "partner": "partner.id"}  # the fixtures' (and fSRM's) names


def _incomplete() -> pd.DataFrame:
    """srm.R's incomplete four-member table: FOUR without the cells listed in srm_four_missing.csv."""
    miss, key = pd.read_csv(REF / "srm_four_missing.csv"), ["family.id", "actor.id", "partner.id"]
    data = FOUR.set_index(key)
    for what in ("y1", "y2"):
        data.loc[pd.MultiIndex.from_frame(miss.loc[miss["what"] == what, key]), what] = np.nan
    return data.drop(index=pd.MultiIndex.from_frame(miss.loc[miss["what"] == "row", key])).reset_index()


INCOMPLETE = _incomplete()


@pytest.fixture(scope="module")
def cook(shared_data) -> pd.DataFrame:
    return pd.read_csv(shared_data / "cook2000_three_person" / "data.csv")


SPECS = {  # model -> (data set, indicators, missing)
    "cook3_2": ("cook", ["anx1", "anx2"], "listwise"),
    "cook3_1": ("cook", "anx1", "listwise"),
    "four_2": ("four", ["y1", "y2"], "listwise"),
    "four_1": ("four", "y1", "listwise"),
    "four_2_fiml": ("incomplete", ["y1", "y2"], "fiml"),
    "four_1_fiml": ("incomplete", "y1", "fiml"),
}


@pytest.fixture(scope="module")
def fits(request):
    """fits(model) -> SRMResult, each fixture model fitted once; Cook's models skip without the shared data."""
    cache = {}

    def get(model):
        if model not in cache:
            source, indicators, missing = SPECS[model]
            data = {"four": FOUR, "incomplete": INCOMPLETE}.get(source)
            if data is None:
                data = request.getfixturevalue("cook")
            cache[model] = srm(data, **COLS, indicators=indicators, missing=missing)
        return cache[model]

    return get


def _fit(res) -> pd.Series:
    """The one row of ``res.fit``."""
    assert len(res.fit) == 1
    return res.fit.iloc[0]


def _keyed(table):
    """`table` indexed by its parameter: "A.m ~~ P.m" in either order, "m_f_y1 ~1"."""
    rhs = table["rhs"].fillna("")
    keys = [f" {op} ".join(sorted((a, b))) for a, op, b in zip(table["lhs"], table["op"], rhs, strict=True)]
    return table.set_index(pd.Index(keys))


# ------------------------------------------------------------------------------------------------
# lavaan (fSRM's model): every free parameter, fit and the variance shares
# ------------------------------------------------------------------------------------------------
MODELS = ["cook3_2", "cook3_1", "four_2", "four_1", "four_2_fiml", "four_1_fiml"]


@pytest.mark.parametrize("model", MODELS)
def test_parameters_match_lavaan(fits, model):
    res = fits(model)
    ref = PARAMS[PARAMS["model"] == model]
    ours, keys = _keyed(res.parameters), _keyed(ref).index
    assert len(ours) == len(ref) and set(ours.index) == set(keys)
    mine = ours.loc[keys]
    # parameterEstimates(fit, standardized = TRUE)$est, $se, $z, $pvalue, $std.all (srm.R polishes lavaan's
    # optimum to max |gradient| < 1.2e-7, so its estimates carry a few 1e-8 of optimiser noise)
    np.testing.assert_allclose(mine["estimate"], ref["est"].to_numpy(), rtol=0, atol=1e-7)
    np.testing.assert_allclose(mine["se"], ref["se"].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(mine["z"], ref["z"].to_numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(mine["p_value"], ref["pvalue"].to_numpy(), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(mine["std_estimate"], ref["std_all"].to_numpy(), rtol=0, atol=2e-7)


@pytest.mark.parametrize("model", MODELS)
def test_fit_matches_lavaan(fits, model):
    f, ref = _fit(fits(model)), FIT.loc[model]
    # fitMeasures(fit, c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "ntotal"))
    assert (f["npar"], f["df"], f["n"], f["n_excluded"]) == (ref["npar"], ref["df"], ref["ntotal"], 0)
    np.testing.assert_allclose(f["chi_square"], ref["chisq"], rtol=1e-8)
    for ours, theirs in [("p_value", "pvalue"), ("cfi", "cfi"), ("tli", "tli"), ("rmsea", "rmsea"), ("srmr", "srmr")]:
        if np.isnan(ref[theirs]):  # four_2_fiml: lavaan's FIML baseline model fails, no CFI/TLI
            continue
        np.testing.assert_allclose(f[ours], ref[theirs], rtol=1e-6, atol=1e-8, err_msg=ours)


@pytest.mark.parametrize("model", ["cook3_2", "cook3_1", "four_2", "four_2_fiml", "four_1_fiml"])
def test_variance_shares_match_fsrm_perctable(fits, model):
    ref = SHARES[SHARES["model"] == model].drop(columns="model").reset_index(drop=True)
    ours = fits(model).variance_shares
    if model in ("cook3_1", "four_1_fiml"):  # one indicator: no error column (fSRM's is 0)
        assert "error" not in ours.columns and (ref["error"] == 0).all()
        ref = ref.drop(columns="error")
    if model.startswith("cook3"):  # three roles: no family factor, no family column (fSRM's is 0)
        assert "family" not in ours.columns and (ref["family"] == 0).all()
        ref = ref.drop(columns="family")
    assert list(ours.columns) == list(ref.columns) and list(ours["dyad"]) == list(ref["dyad"])
    # percTable(fit)$raw[, 1:5] / SUM
    np.testing.assert_allclose(ours.drop(columns="dyad"), ref.drop(columns="dyad"), rtol=0, atol=2e-7)
    np.testing.assert_allclose(ours.drop(columns="dyad").sum(axis=1), 1.0, rtol=1e-12)


def test_wishart_conversion_matches_lavaan(fits):
    """EQS's N - 1 conventions (lavaan likelihood = "wishart") follow from ours by rescaling."""
    res, ref = fits("cook3_2"), PARAMS[PARAMS["model"] == "cook3_2_wishart"]
    k = _fit(res)["n"] / (_fit(res)["n"] - 1)
    mine = _keyed(res.parameters).loc[_keyed(ref).index]
    np.testing.assert_allclose(mine["estimate"] * k, ref["est"].to_numpy(), rtol=0, atol=5e-7)
    np.testing.assert_allclose(mine["se"] * k**1.5, ref["se"].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(_fit(res)["chi_square"] / k, FIT.loc["cook3_2_wishart", "chisq"], rtol=1e-8)


# ------------------------------------------------------------------------------------------------
# Kenny, Kashy & Cook's EQS output (fSRM repository, files/SRMwR-Test/3person-EQS.txt; C = y)
# ------------------------------------------------------------------------------------------------
EQS = [  # component, role, estimate, se (printed to three decimals)
    ("actor", "m", 0.208, 0.048),
    ("actor", "f", 0.193, 0.048),
    ("actor", "y", 0.300, 0.047),
    ("partner", "m", 0.073, 0.043),
    ("partner", "f", 0.071, 0.046),
    ("partner", "y", 0.146, 0.039),
    ("relationship", "m->f", 0.399, 0.083),
    ("relationship", "m->y", 0.178, 0.061),
    ("relationship", "f->m", 0.515, 0.087),
    ("relationship", "f->y", 0.136, 0.062),
    ("relationship", "y->m", 0.055, 0.058),
    ("relationship", "y->f", 0.214, 0.067),
    ("generalized reciprocity", "m", 0.092, 0.035),
    ("generalized reciprocity", "f", 0.031, 0.036),
    ("generalized reciprocity", "y", 0.093, 0.031),
    ("dyadic reciprocity", "f<->m", 0.156, 0.064),
    ("dyadic reciprocity", "m<->y", -0.070, 0.044),
    ("dyadic reciprocity", "f<->y", 0.027, 0.049),
]
EQS_ERROR = [  # dyad, indicator, estimate, se (E1..E12)
    ("m->f", "anx1", 0.146, 0.038),
    ("m->f", "anx2", 0.233, 0.041),
    ("m->y", "anx1", 0.080, 0.028),
    ("m->y", "anx2", 0.192, 0.032),
    ("f->m", "anx1", 0.070, 0.031),
    ("f->m", "anx2", 0.182, 0.035),
    ("f->y", "anx1", 0.126, 0.029),
    ("f->y", "anx2", 0.169, 0.031),
    ("y->m", "anx1", 0.119, 0.033),
    ("y->m", "anx2", 0.305, 0.041),
    ("y->f", "anx1", 0.080, 0.034),
    ("y->f", "anx2", 0.297, 0.043),
]
EQS_R = [
    ("generalized reciprocity", "m", 0.747),
    ("generalized reciprocity", "f", 0.266),
    ("generalized reciprocity", "y", 0.443),
    ("dyadic reciprocity", "f<->m", 0.345),
    ("dyadic reciprocity", "m<->y", -0.705),
    ("dyadic reciprocity", "f<->y", 0.159),
]


def test_matches_published_eqs_results(fits):
    """EQS divides by N - 1 (see the wishart test). Its iterative summary stops at a parameter change of
    .0005, so its third decimal can be one off: tolerance .001 (estimates, SEs), .003 for the
    correlations (ratios of those estimates) and .002 for chi-square(18) = 17.549."""
    res = fits("cook3_2")
    est, n = res.coefficients, _fit(res)["n"]
    k = n / (n - 1)
    for comp, role, value, se in EQS:
        row = est[(est["component"] == comp) & (est["role"] == role)].iloc[0]
        assert abs(row["estimate"] * k - value) < 1e-3 and abs(row["se"] * k**1.5 - se) < 1e-3, (comp, role)
    for role, ind, value, se in EQS_ERROR:
        row = est[(est["component"] == "error") & (est["role"] == role) & (est["indicator"] == ind)].iloc[0]
        assert abs(row["estimate"] * k - value) < 1e-3 and abs(row["se"] * k**1.5 - se) < 1e-3, (role, ind)
    for comp, role, r in EQS_R:
        row = est[(est["component"] == comp) & (est["role"] == role)].iloc[0]
        assert abs(row["std_estimate"] - r) < 3e-3, (comp, role)
    assert _fit(res)["df"] == 18 and abs(_fit(res)["chi_square"] / k - 17.549) < 2e-3


# ------------------------------------------------------------------------------------------------
# the tidy tables
# ------------------------------------------------------------------------------------------------
def test_coefficients_table(fits):
    res = fits("four_2")
    est = res.coefficients
    assert list(est.columns) == [
        "component",
        "role",
        "indicator",
        "estimate",
        "se",
        "statistic",
        "p_value",
        "ci_low",
        "ci_high",
        "std_estimate",
    ]
    assert est.attrs == {"statistic": "z", "ci": 0.95} and res.ci == 0.95
    counts = est["component"].value_counts().to_dict()
    assert counts == {
        "family": 1,
        "actor": 4,
        "partner": 4,
        "relationship": 12,
        "generalized reciprocity": 4,
        "dyadic reciprocity": 6,
        "error": 24,
    }
    assert list(est["component"].drop_duplicates()) == [
        "family",
        "actor",
        "partner",
        "relationship",
        "generalized reciprocity",
        "dyadic reciprocity",
        "error",
    ]
    np.testing.assert_allclose(est["ci_high"] - est["estimate"], 1.959963984540054 * est["se"], rtol=1e-12)
    np.testing.assert_allclose(est["statistic"], est["estimate"] / est["se"], rtol=1e-12)
    rec = est["component"].str.contains("reciprocity")
    assert est.loc[rec, "std_estimate"].notna().all() and est.loc[~rec, "std_estimate"].isna().all()
    assert est.loc[est["component"] == "error", "indicator"].tolist()[:2] == ["y1", "y1"]
    assert not hasattr(res, "estimates") and res.family_effect and res.converged and not res.heywood
    # the simulation's truth (srm.R): family .20, relationship .30, error .20 (300 families)
    assert abs(est.loc[0, "estimate"] - 0.20) < 3 * est.loc[0, "se"]
    narrow = srm(FOUR, **COLS, indicators=["y1", "y2"], ci=0.5).coefficients
    np.testing.assert_allclose(narrow["ci_high"] - narrow["estimate"], 0.6744897501960817 * narrow["se"])


def test_family_effect_options(fits, cook):
    assert not fits("cook3_2").family_effect and "family" not in set(fits("cook3_2").coefficients["component"])
    assert "family" not in fits("cook3_2").variance_shares.columns  # not in the model: no column, not zeros
    with pytest.raises(ParameterError, match="not identified"):
        srm(cook, **COLS, indicators="anx1", family_effect=True)
    no_family = srm(FOUR, **COLS, indicators="y1", family_effect=False)
    assert _fit(no_family)["df"] == _fit(fits("four_1"))["df"] + 1
    assert _fit(no_family)["chi_square"] > _fit(fits("four_1"))["chi_square"]


def test_roles_order_and_renamed_columns():
    data = FOUR.rename(columns={"family.id": "fam", "actor.id": "rater", "partner.id": "target"})
    res = srm(data, family="fam", actor="rater", partner="target", indicators="y1", roles=["m", "f", "y", "o"])
    assert list(res.coefficients.loc[res.coefficients["component"] == "actor", "role"]) == ["m", "f", "y", "o"]
    assert res.variance_shares["dyad"].iloc[0] == "m->f"
    base = srm(FOUR, **COLS, indicators="y1")
    np.testing.assert_allclose(_fit(res)["chi_square"], _fit(base)["chi_square"], rtol=1e-8)


def test_listwise_excludes_incomplete_families():
    data = FOUR.copy()
    drop = data.index[(data["family.id"] == 5) & (data["actor.id"] == "o") & (data["partner.id"] == "y")]
    data = data.drop(index=drop)
    data.loc[(data["family.id"] == 9) & (data["actor.id"] == "m") & (data["partner.id"] == "f"), "y2"] = np.nan
    before = data.copy()
    res = srm(data, **COLS, indicators=["y1", "y2"])
    pd.testing.assert_frame_equal(data, before)  # the caller's data is not changed
    assert _fit(res)["n"] == 298 and _fit(res)["n_excluded"] == 2
    assert list(res.excluded.columns) == ["row", "reason", "family"]
    assert len(res.excluded) == 11 + 12 and set(res.excluded["family"]) == {5, 9}
    reasons = dict(zip(res.excluded["family"], res.excluded["reason"], strict=False))
    assert reasons[5] == "incomplete family: no rating o->y"
    assert reasons[9] == "incomplete family: missing y2 of m->f"
    same = srm(FOUR[~FOUR["family.id"].isin([5, 9])], **COLS, indicators=["y1", "y2"])
    np.testing.assert_allclose(res.coefficients["estimate"], same.coefficients["estimate"], rtol=1e-7, atol=1e-9)


def test_fiml_keeps_incomplete_families(fits):
    res = fits("four_2_fiml")
    assert _fit(res)["n"] == 300 and _fit(res)["n_excluded"] == 0 and res.excluded.empty
    assert list(res.excluded.columns) == ["row", "reason", "family"]
    assert (res.parameters["op"] == "~1").sum() == 24  # an intercept per observed variable (mean structure)
    listwise = srm(INCOMPLETE, **COLS, indicators=["y1", "y2"])
    assert _fit(listwise)["n"] + _fit(listwise)["n_excluded"] == 300
    assert listwise.excluded["family"].nunique() == _fit(listwise)["n_excluded"] > 50
    unplaced = INCOMPLETE.copy()
    unplaced.loc[0, "family.id"] = np.nan
    out = srm(unplaced, **COLS, indicators="y1", missing="fiml")
    assert out.excluded[["row", "reason"]].to_dict("records") == [{"row": 0, "reason": "missing value in family.id"}]
    assert _fit(out)["n"] == 300  # family 1 keeps its other 11 rows


def test_fit_table_has_n_first(fits):
    fit = fits("four_2").fit
    assert list(fit.columns) == ["n", "n_excluded", "chi_square", "df", "p_value", "cfi", "tli", "rmsea",
                                 "rmsea_ci_low", "rmsea_ci_high", "srmr", "aic", "bic", "loglik", "npar"]  # fmt: skip
    assert fit.shape == (1, 15) and fit[["n", "n_excluded", "npar"]].dtypes.eq("int64").all()


def test_roles_are_required():
    with pytest.raises(TypeError, match=r"family.*actor.*partner.*indicators"):
        srm(FOUR)  # no default column names: the roles are keyword-only and required


def test_table_and_sentence(fits):
    res = fits("cook3_2")
    html = res.table(number=3).html
    assert "Table 3" in html and "Social Relations Model" in html and "χ²(18) = 17.63" in html
    headers = re.findall(r"<th[^>]*>(.*?)</th>", html)
    assert headers[-5:] == ["<i>z</i>", "<i>p</i>", "95% CI <i>LL</i>", "95% CI <i>UL</i>", "<i>r</i>"]
    assert "m ↔ y" in html and "m → f, anx1" in html  # role codes with arrows (labels: value_labels=)
    text = res.sentence()
    assert text.startswith("The Social Relations Model (three roles (f, m, y), two indicators, without a family")
    assert "χ²(18) = 17.63, p = .480" in text and "m r = .75" in text
    shares = res.variance_shares.drop(columns="dyad").mean()
    assert re.search(rf"{100 * shares['actor']:.1f}% (of the variance was )?actor", text)


def test_variance_shares_figure(fits):
    import matplotlib.pyplot as plt

    from analysis.report.figures import variance_shares

    res = fits("four_2")
    fig = variance_shares(res, value_labels={"m": "mother"})  # roles without a label: as they are
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[:2] == ["f -> mother", "f -> o"] and "mother -> f" in ticks and len(ticks) == 12
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["family", "actor", "partner", "relationship", "error"]
    # the bars are the shares: each component's widths in dyad order, each dyad's stack ending at 1
    widths = np.array([[bar.get_width() for bar in c] for c in ax.containers])
    np.testing.assert_allclose(widths.T, res.variance_shares.drop(columns="dyad").to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(widths.sum(axis=0), 1.0, rtol=1e-12)
    alt = fig.get_label()
    assert alt.startswith("Stacked horizontal bars, one per directed dyad (12, rater to member rated)")
    mean_actor = 100 * res.variance_shares["actor"].mean()
    assert f"actor {mean_actor:.1f}%" in alt and alt.endswith(".")
    plt.close(fig)


# ------------------------------------------------------------------------------------------------
# errors
# ------------------------------------------------------------------------------------------------
def _small(**changes):
    data = FOUR[FOUR["family.id"] <= 40].copy()
    for col, values in changes.items():
        data[col] = values
    return data


@pytest.mark.parametrize(
    ("data", "kwargs", "error", "match"),
    [
        (_small(), {"indicators": "nope"}, DataError, "nope"),
        (_small(), {"indicators": ["y1", "y2", "y1"]}, ParameterError, "one or two"),
        (_small(), {"indicators": "y1", "missing": "pairwise"}, ParameterError, "missing"),
        (_small(), {"indicators": "y1", "ci": 95}, ParameterError, "ci"),
        (_small(), {"indicators": "y1", "family_effect": "yes"}, ParameterError, "family_effect"),
        (_small(), {"indicators": "y1", "roles": ["f", "m"]}, ParameterError, "3 or 4"),
        (_small(), {"indicators": "y1", "roles": ["f", "m", "o"]}, DataError, r"not in `roles`: \['y'\]"),
        (_small(y1="x"), {"indicators": "y1"}, DataError, "'y1' must be numeric.*row 0 holds 'x'"),
    ],
)
def test_errors(data, kwargs, error, match):
    with pytest.raises(error, match=match):
        srm(data, **COLS, **kwargs)


def test_data_errors_name_row_and_fix():
    data = _small()
    self_rating = data.copy()
    self_rating.loc[3, "partner.id"] = self_rating.loc[3, "actor.id"]  # 'm' rates 'm'
    with pytest.raises(DataError, match=r"Row 3 has actor.id == partner.id \('m'\), a self-rating.*Drop"):
        srm(self_rating, **COLS, indicators="y1")
    dup = pd.concat([data, data.iloc[[7]]])
    with pytest.raises(DataError, match=r"Rows \[7, 7\] repeat .*\(1, 'o', 'm'\).*Average or drop"):
        srm(dup, **COLS, indicators="y1")
    five = data.copy()
    five.loc[five.index[:2], "actor.id"] = ["z", "z"]
    five.loc[five.index[2:4], "partner.id"] = ["z", "z"]
    with pytest.raises(DataError, match=r"holds 5 roles .*3 or 4 members"):
        srm(five, **COLS, indicators="y1")
    rated_only = data.copy()
    rated_only.loc[rated_only.index[:1], "partner.id"] = "q"
    with pytest.raises(DataError, match=r"never rate anyone.*\['q'\]"):
        srm(rated_only, **COLS, indicators="y1")
    with pytest.raises(DataError, match="Only 12 complete families for 24 observed variables"):
        srm(data[data["family.id"] <= 12], **COLS, indicators=["y1", "y2"])


def test_variance_share_tables_print_proportions_without_a_leading_zero(fits):
    """APA 7: a share cannot exceed 1, so .57, not 0.57; and a component the model lacks has no column."""
    from analysis.apa import apa_table

    html = apa_table(fits("cook3_2").variance_shares, title="Shares").html
    assert ">.57<" in html and ">0.57<" not in html and "Family" not in html


def test_tables_show_roles_by_their_labels(fits):
    res = fits("cook3_2")
    labels = {"m": "mother", "f": "father", "y": "younger child"}
    html = res.table(value_labels=labels).html
    assert "mother → father" in html and "father ↔ mother" in html
    assert "younger child → father, anx1" in html and "m-&gt;f" not in html
    shares = res.shares_table(number=4, value_labels=labels).html
    assert "mother → father" in shares and ">.57<" in shares and "not identified" in shares
