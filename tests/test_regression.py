"""Tests of analysis.regression: OLS (classical, HC3), logistic, ordinal and tobit regression.

Reference values come from tests/reference/regression.R (printed in regression.Rout), R 4.2 with
MASS 7.3-58.2, AER 1.2-10, survival, sandwich 3.0-2, car 3.1-1:
regression_coefficients.csv (one row per fixture and term) and regression_fit.csv (one row per
fixture and fit quantity). Fixtures:
  lm_bfi           lm(A3 ~ A1 + A2 + C1 + E1 + age + education, bfi); confint; std_estimate from
                   lm on scale()d complete cases; partial_r = t / sqrt(t^2 + df); car::vif
  lm_bfi_hc3       coeftest(m, vcovHC(m, type = "HC3")); linearHypothesis(..., test = "F")
  polr_bfi(_probit) MASS::polr(ordered(A3) ~ A1 + A2 + C1 + age, Hess = TRUE), logistic / probit
  polr_*_newton    the same likelihood polished by Newton steps (polr's BFGS stops early)
  polr_gss         polr(happy ~ age + sex) on the shared GSS extract
  tobit_affairs    AER::tobit(affairs ~ age + yearsmarried + religiousness + occupation + rating)
  tobit_sim        AER::tobit(y ~ x1 + x2 + g, left = 0, right = 10), regression_tobit_sim.csv
  logit_fair       glm(affair ~ ..., binomial) on statsmodels' fair data, affair = affairs > 0
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from statsmodels.datasets import fair as sm_fair

from analysis.apa import HtmlBlock
from analysis.exceptions import AnalysisWarning, DataError, ParameterError
from analysis.models.limited_outcomes import ordinal_regression, tobit
from analysis.models.regression import logistic_regression, ols

TESTS = Path(__file__).resolve().parent
REFERENCE = TESTS / "reference"
LM = "A3 ~ A1 + A2 + C1 + E1 + age + education"
FAIR = ("I(affairs > 0) ~ occupation + educ + occupation_husb + rate_marriage + age + yrs_married"
        " + children + religious")  # fmt: skip
AFFAIRS = "affairs ~ age + yearsmarried + religiousness + occupation + rating"


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(TESTS / "data" / "bfi.csv")


@pytest.fixture(scope="module")
def coefs() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "regression_coefficients.csv")


@pytest.fixture(scope="module")
def fits() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "regression_fit.csv")


def r_name(term: str) -> str:
    """Our (patsy) term name -> R's coefficient name."""
    term = {"Intercept": "(Intercept)", "log(scale)": "Log(scale)"}.get(term, term)
    for prefix in ("g", "sex"):  # treatment dummies: g[T.b] -> gb
        term = term.replace(f"{prefix}[T.", prefix).rstrip("]")
    return term


def compare(result, coefs, fixture, columns, atol):
    """Assert our coefficient table equals R's for `fixture` (same terms, same order)."""
    ref = coefs[coefs["fixture"] == fixture].set_index("term")
    ours = result.coefficients.assign(term=result.coefficients["term"].map(r_name)).set_index("term")
    assert sorted(ours.index) == sorted(ref.index)
    ours = ours.loc[ref.index]
    for col in columns:
        assert_allclose(ours[col].to_numpy(float), ref[col].to_numpy(float), rtol=0, atol=atol, err_msg=col)


def fit_value(fits, fixture, quantity):
    return fits.loc[(fits["fixture"] == fixture) & (fits["quantity"] == quantity), "value"].item()


# --------------------------------------------------------------------------------------------
# OLS
# --------------------------------------------------------------------------------------------


def test_ols_matches_lm(bfi, coefs, fits):
    res = ols(bfi, LM)
    # summary(lm)$coefficients, confint(m), lm(...) on scale()d data, t/sqrt(t^2+df), car::vif
    compare(res, coefs, "lm_bfi", ["estimate", "se", "statistic", "p_value", "ci_low", "ci_high",
                                    "std_estimate", "partial_r"], atol=1e-10)  # fmt: skip
    vif = res.coefficients["vif"].to_numpy()
    ref_vif = coefs.loc[coefs["fixture"] == "lm_bfi", "vif"].to_numpy()
    assert np.isnan(vif[0]) and np.isnan(ref_vif[0])
    assert_allclose(vif[1:], ref_vif[1:], rtol=1e-10)
    assert (res.coefficients["df"] == 2474).all()
    f = res.fit.iloc[0]
    for q in ["n", "r2", "adj_r2", "f2", "statistic", "df1", "df2", "sigma", "n_excluded"]:
        assert_allclose(f[q], fit_value(fits, "lm_bfi", q), rtol=1e-10, err_msg=q)  # summary(m)
    assert_allclose(f["p_value"], fit_value(fits, "lm_bfi", "p_value"), rtol=1e-6)
    assert f["se_type"] == "classical"


def test_ols_hc3_matches_sandwich(bfi, coefs, fits):
    res = ols(bfi, LM, robust="HC3")
    # coeftest(m, vcov. = vcovHC(m, type = "HC3")), intervals b -/+ qt(.975, df) * se
    compare(res, coefs, "lm_bfi_hc3", ["estimate", "se", "statistic", "p_value", "ci_low", "ci_high"],
            atol=1e-10)  # fmt: skip
    # the standardized, partial r and VIF columns do not depend on the standard errors
    assert_allclose(res.coefficients["std_estimate"], ols(bfi, LM).coefficients["std_estimate"])
    f = res.fit.iloc[0]
    # car::linearHypothesis(m, slopes, vcov. = vcovHC(m, type = "HC3"), test = "F")
    assert_allclose(f["statistic"], fit_value(fits, "lm_bfi_hc3", "statistic"), rtol=1e-10)
    assert_allclose(f["p_value"], fit_value(fits, "lm_bfi_hc3", "p_value"), rtol=1e-6)
    assert f["se_type"] == "HC3" and f["df1"] == 6 and f["df2"] == 2474


def test_ols_reports_excluded_rows(bfi):
    res = ols(bfi, LM)
    cols = ["A3", "A1", "A2", "C1", "E1", "age", "education"]
    incomplete = bfi.index[bfi[cols].isna().any(axis=1)]
    assert list(res.excluded["row"]) == list(incomplete)
    assert len(res.excluded) == 319 and res.fit["n"].item() + 319 == len(bfi)
    first = bfi.loc[incomplete[0], cols]
    assert res.excluded["reason"].iloc[0] == "missing value in " + ", ".join(first.index[first.isna()])


def test_ols_does_not_modify_data(bfi):
    before = bfi.copy()
    ols(bfi, LM, robust="HC3")
    pd.testing.assert_frame_equal(bfi, before)


def test_ols_output_text(bfi):
    res = ols(bfi, LM, robust="HC3")
    assert res.sentence("A2") == ("The coefficient of A2 on A3 was b = 0.45, SE = 0.03, t(2474) = 16.69, "
                                  "p < .001, 95% CI [0.40, 0.50], β = 0.41.")  # fmt: skip
    assert res.sentence().startswith("The predictors explained R² = .25 of the variance in A3")
    assert "F(6, 2474) = 95.10" in res.sentence()
    table = res.table(number=2)
    assert isinstance(table, HtmlBlock) and "Table 2" in table.html and "HC3" in table.html
    with pytest.raises(ParameterError, match="no term 'A9'"):
        res.sentence("A9")


def test_ols_factor_std_estimate(bfi):
    """A numeric column used as a factor keeps its 0/1 dummy; other variables are z-scored."""
    res = ols(bfi, "A3 ~ A2 + C(gender)")
    assert list(res.coefficients["term"]) == ["Intercept", "C(gender)[T.2]", "A2"]
    z = bfi[["A3", "A2", "gender"]].dropna()
    assert res.fit["n"].item() == len(z)
    zs = z.assign(A3=(z["A3"] - z["A3"].mean()) / z["A3"].std(), A2=(z["A2"] - z["A2"].mean()) / z["A2"].std())
    refit = ols(zs, "A3 ~ A2 + C(gender)").coefficients["estimate"]
    assert_allclose(res.coefficients["std_estimate"], refit, rtol=1e-10)


def test_ols_transformation_without_std_estimate(bfi):
    """log(age) cannot be refitted on z-scored age: std_estimate is NaN, with a warning."""
    with pytest.warns(AnalysisWarning, match="Standardized estimates are not available"):
        res = ols(bfi, "A3 ~ A2 + np.log(age)")
    assert res.coefficients["std_estimate"].isna().all()
    assert res.coefficients["estimate"].notna().all()


# --------------------------------------------------------------------------------------------
# logistic
# --------------------------------------------------------------------------------------------


def test_logistic_matches_glm_and_statsmodels_example(coefs, fits):
    data = sm_fair.load_pandas().data
    res = logistic_regression(data, FAIR)
    # summary(glm(..., binomial))$coefficients, confint.default(g)
    compare(res, coefs, "logit_fair", ["estimate", "se", "statistic", "p_value", "ci_low", "ci_high"],
            atol=1e-9)  # fmt: skip
    row = res.coefficients.set_index("term").loc["rate_marriage"]
    assert round(row["estimate"], 4) == -0.7161  # statsmodels discrete-choice example
    assert_allclose(row["odds_ratio"], np.exp(row["estimate"]))
    f = res.fit.iloc[0]
    for q in ["n", "loglik", "deviance", "null_deviance", "aic", "statistic", "df"]:
        assert_allclose(f[q], fit_value(fits, "logit_fair", q), rtol=1e-10, err_msg=q)
    assert round(f["loglik"], 2) == -3471.47 and f["n_events"] == 2053


def test_logistic_accepts_0_1_column_and_rejects_non_binary():
    data = sm_fair.load_pandas().data.assign(affair=lambda d: (d["affairs"] > 0).astype(int))
    a = logistic_regression(data, "affair ~ rate_marriage + age")
    b = logistic_regression(data, "I(affairs > 0) ~ rate_marriage + age")
    assert_allclose(a.coefficients["estimate"], b.coefficients["estimate"], rtol=1e-12)
    with pytest.raises(DataError, match=r"'affairs' is not binary.*I\(affairs > 0\)"):
        logistic_regression(data, "affairs ~ rate_marriage + age")


# --------------------------------------------------------------------------------------------
# ordinal
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("link, fixture", [("logit", "polr_bfi"), ("probit", "polr_bfi_probit")])
def test_ordinal_matches_polr(bfi, coefs, fits, link, fixture):
    res = ordinal_regression(bfi, "A3 ~ A1 + A2 + C1 + age", link=link)
    # polr(..., Hess = TRUE): coef(fit), fit$zeta, sqrt(diag(vcov(fit))); polr stops with a
    # gradient of ~1e-4, so its values are good to ~1e-7; the Newton-polished ones to ~1e-10
    compare(res, coefs, fixture, ["estimate", "se", "statistic", "ci_low", "ci_high"], atol=1e-6)
    compare(res, coefs, fixture + "_newton", ["estimate", "se"], atol=2e-8)
    assert list(res.coefficients["part"]) == ["coefficient"] * 4 + ["threshold"] * 5
    f = res.fit.iloc[0]
    assert_allclose(f["loglik"], fit_value(fits, fixture, "loglik"), rtol=1e-12)  # logLik(fit)
    assert_allclose(f["aic"], fit_value(fits, fixture, "aic"), rtol=1e-12)  # AIC(fit)
    assert f["n"] == 2716 and f["n_excluded"] == 84 and len(res.excluded) == 84
    # polr's sign: a positive coefficient moves responses up (A2 and A3 are both agreeableness)
    assert res.coefficients.set_index("term").loc["A2", "estimate"] > 0
    has_or = res.coefficients["odds_ratio"].notna()
    assert list(has_or) == ([True] * 4 + [False] * 5 if link == "logit" else [False] * 9)


def test_ordinal_ordered_categorical_equals_codes(bfi):
    labels = ["very low", "low", "slightly low", "slightly high", "high", "very high"]
    codes = bfi["A3"].fillna(0).astype(int) - 1  # -1: missing
    data = bfi.assign(A3c=pd.Categorical.from_codes(codes, categories=labels, ordered=True))
    a = ordinal_regression(bfi, "A3 ~ A1 + A2")
    b = ordinal_regression(data, "A3c ~ A1 + A2")
    assert_allclose(a.coefficients["estimate"], b.coefficients["estimate"], rtol=1e-10)
    assert b.coefficients["term"].iloc[2] == "very low|low"
    assert a.coefficients["term"].iloc[2] == "1|2"


def test_ordinal_gss_happiness(shared_data, coefs, fits):
    gss = pd.read_csv(shared_data / "gss_happy_1972_2006" / "data.csv")
    gss["happy"] = pd.Categorical(gss["happy"], categories=["not too happy", "pretty happy", "very happy"],
                                  ordered=True)  # fmt: skip
    res = ordinal_regression(gss, "happy ~ age + sex")
    ref = coefs[coefs["fixture"] == "polr_gss"].set_index("term")
    ours = res.coefficients.assign(term=res.coefficients["term"].map(r_name)).set_index("term").loc[ref.index]
    assert_allclose(ours[["estimate", "se"]].to_numpy(), ref[["estimate", "se"]].to_numpy(), atol=1e-6)
    assert res.fit["n"].item() == fit_value(fits, "polr_gss", "n") == 46153


# --------------------------------------------------------------------------------------------
# tobit
# --------------------------------------------------------------------------------------------


def test_tobit_greene_affairs(shared_data, coefs, fits):
    data = pd.read_csv(shared_data / "aer_affairs_pt" / "data.csv")
    res = tobit(data, AFFAIRS)
    # summary(AER::tobit(...)): coefficients incl. Log(scale), SEs from vcov(fit)
    compare(res, coefs, "tobit_affairs", ["estimate", "se", "statistic", "p_value", "ci_low", "ci_high"],
            atol=1e-9)  # fmt: skip
    f = res.fit.iloc[0]
    rating = res.coefficients.set_index("term").loc["rating"]
    # Greene (2003, Table 22.4) / SOURCE.md: rating -2.285 (SE .4078), scale 8.247, logLik -705.6
    assert round(rating["estimate"], 3) == -2.285 and round(rating["se"], 4) == 0.4078
    assert round(f["scale"], 3) == 8.247 and round(f["loglik"], 1) == -705.6
    assert (f["n_left"], f["n_uncensored"], f["n_right"]) == (451, 150, 0)
    for q in ["loglik", "scale"]:
        assert_allclose(f[q], fit_value(fits, "tobit_affairs", q), rtol=1e-10)
    assert_allclose(f["statistic"], fit_value(fits, "tobit_affairs", "wald"), rtol=1e-9)  # summary()$wald


def test_tobit_two_sided_simulated(coefs, fits):
    data = pd.read_csv(REFERENCE / "regression_tobit_sim.csv")
    res = tobit(data, "y ~ x1 + x2 + g", left=0, right=10)
    compare(res, coefs, "tobit_sim", ["estimate", "se", "statistic", "p_value", "ci_low", "ci_high"],
            atol=1e-8)  # fmt: skip
    f = res.fit.iloc[0]
    assert (f["n"], f["n_excluded"], f["n_left"], f["n_right"]) == (298, 2, 42, 17)
    assert list(res.excluded["row"]) == [4, 16]
    assert_allclose(f["loglik"], fit_value(fits, "tobit_sim", "loglik"), rtol=1e-11)
    assert_allclose(f["statistic"], fit_value(fits, "tobit_sim", "wald"), rtol=1e-8)
    assert res.sentence("x1") == ("The coefficient of x1 on y was b = 1.51, SE = 0.18, z = 8.39, "
                                  "p < .001, 95% CI [1.16, 1.86].")  # fmt: skip


def test_tobit_without_censoring_is_ols_ml():
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"x": rng.normal(size=80)})
    data["y"] = 1 + 2 * data["x"] + rng.normal(size=80)
    res = tobit(data, "y ~ x", left=None)
    ls = ols(data, "y ~ x")
    assert_allclose(res.coefficients["estimate"][:2], ls.coefficients["estimate"], rtol=1e-9)
    ml_sigma = ls.fit["sigma"].item() * np.sqrt(78 / 80)
    assert_allclose(res.fit["scale"].item(), ml_sigma, rtol=1e-9)


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------


@pytest.fixture()
def small() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame({
        "y": rng.normal(size=30), "x": rng.normal(size=30), "const": 3.0, "empty": np.nan,
        "word": ["a", "b", "c"] * 10, "level": rng.integers(1, 5, size=30), "cont": rng.normal(size=30),
    })  # fmt: skip


@pytest.mark.parametrize("fit", [ols, logistic_regression, ordinal_regression, tobit])
def test_unknown_column(small, fit):
    with pytest.raises(DataError, match=r"names 'nope', which is not a column of data.*'y', 'x'"):
        fit(small, "y ~ x + nope")


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda d: ols(d, "word ~ x"), DataError, "outcome 'word' is not numeric"),
        (lambda d: tobit(d, "word ~ x"), DataError, "outcome 'word' is not numeric"),
        (lambda d: ols(d, "y ~ x + empty"), DataError, "Column 'empty' has no non-missing values"),
        (lambda d: ols(d, "y ~ x + const"), DataError, "Predictor 'const' is constant"),
        (lambda d: ols(d.assign(x2=2 * d["x"]), "y ~ x + x2"), DataError,
         "perfectly collinear: 'x2' is a linear combination"),
        (lambda d: ols(d.head(2), "y ~ x"), DataError, "Only 2 complete rows for 2 coefficients"),
        (lambda d: ols(d, "y + x"), ParameterError, "must be a string 'outcome ~ predictors'"),
        (lambda d: ols(d, "y ~ (x"), ParameterError, "cannot be read"),
        (lambda d: ols(d, "y ~ x", robust="HC1"), ParameterError, "`robust` must be one of None, 'HC3'"),
        (lambda d: ols(d, "y ~ x", ci=5), ParameterError, "`ci` must be a number between 0 and 1"),
        (lambda d: tobit(d, "y ~ x", ci=0.0), ParameterError, "`ci` must be a number between 0 and 1"),
        (lambda d: ols(d["y"], "y ~ x"), ParameterError, "`data` must be a pandas DataFrame"),
        (lambda d: logistic_regression(d, "level ~ x"), DataError,
         "'level' is not binary: it has the values 1, 2, 3, 4"),
        (lambda d: logistic_regression(d, "word ~ x"), DataError, "'word' is not binary"),
        (lambda d: logistic_regression(d, "I(x > 0) ~ x"), DataError, "separate the outcome 'I\\(x > 0\\)' perfectly"),
        (lambda d: ols(d, 'y ~ Q("no such")'), DataError, "names 'no such', which is not a column"),
        (lambda d: ordinal_regression(d, "word ~ x"), DataError, "'word' is not ordinal .*ordered=True"),
        (lambda d: ordinal_regression(d, "cont ~ x"), DataError, "'cont' is not ordinal"),
        (lambda d: ordinal_regression(d.assign(two=d["level"] > 2), "two ~ x"), DataError, "'two' is not ordinal"),
        (lambda d: ordinal_regression(d.assign(two=(d["level"] > 2) * 1), "two ~ x"), DataError,
         "'two' has 2 observed levels; .* at least three"),
        (lambda d: ordinal_regression(d, "np.log(level) ~ x"), DataError, "must be a column"),
        (lambda d: ordinal_regression(d, "level ~ x", link="cloglog"), ParameterError, "`link` must be one of"),
        (lambda d: tobit(d, "y ~ x", left=1, right=0), ParameterError, "`left` must be below `right`"),
        (lambda d: tobit(d.assign(y=0.0), "y ~ x"), DataError, "Every outcome value of 'y' is censored"),
    ],
)  # fmt: skip
def test_bad_input_messages(small, call, error, message):
    with pytest.raises(error, match=message):
        call(small)


def test_all_rows_incomplete(small):
    data = small.assign(a=[np.nan, 1.0] * 15, b=[1.0, np.nan] * 15)
    with pytest.raises(DataError, match="No row has a value for every variable"):
        ols(data, "y ~ a + b")


def test_tables_and_model_sentences(bfi):
    data = pd.read_csv(REFERENCE / "regression_tobit_sim.csv")
    results = {
        "logistic": logistic_regression(sm_fair.load_pandas().data, FAIR),
        "ordinal": ordinal_regression(bfi, "A3 ~ A1 + A2"),
        "tobit": tobit(data, "y ~ x1 + x2 + g", left=0, right=10),
    }
    for model, res in results.items():
        html = res.table(title=f"{model} model").html
        assert f"{model} model" in html and "rows excluded for missing values" in html
        assert res.sentence().startswith("The ")
    assert "<i>OR</i>" in results["logistic"].table().html  # odds ratios, APA header
    assert results["ordinal"].sentence("A2").endswith(", OR = 2.34, 95% CI [2.18, 2.52].")
    assert results["tobit"].sentence() == (
        "The Wald test of all predictors of y gave χ²(4) = 164.31, p < .001 (log-likelihood = "
        "−656.71; n = 298, 2 rows excluded for missing values).")  # fmt: skip


# --------------------------------------------------------------------------------------------
# one vocabulary (0.2): ci=, .ci, .excluded; the 0.1 alpha= still works with a warning
# --------------------------------------------------------------------------------------------

FITS = {
    "ols": lambda d, **kw: ols(d, "y ~ x + cont", **kw),
    "logistic": lambda d, **kw: logistic_regression(d, "I(y > 0) ~ x + cont", **kw),
    "ordinal": lambda d, **kw: ordinal_regression(d, "level ~ x + cont", **kw),
    "tobit": lambda d, **kw: tobit(d, "y ~ x + cont", **kw),
}


@pytest.mark.parametrize("model", list(FITS))
@pytest.mark.parametrize("alpha, ci", [(0.05, 0.95), (0.1, 0.9)])
def test_old_alpha_keyword_warns_and_gives_identical_numbers(small, model, alpha, ci):
    new = FITS[model](small, ci=ci)
    with pytest.warns(DeprecationWarning, match=r"\(alpha=\.\.\.\)` is now `ci=` \(ci = 1 - alpha\); .* 0\.3"):
        old = FITS[model](small, alpha=alpha)
    pd.testing.assert_frame_equal(old.coefficients, new.coefficients, check_exact=True)
    pd.testing.assert_frame_equal(old.fit, new.fit, check_exact=True)
    assert old.ci == new.ci == ci
    if ci == 0.95:  # the default: the same numbers as before the rename
        pd.testing.assert_frame_equal(FITS[model](small).coefficients, new.coefficients, check_exact=True)


@pytest.mark.parametrize("model", list(FITS))
def test_old_and_new_level_keyword_together_is_an_error(small, model):
    with pytest.raises(ParameterError, match=r"got both `alpha=` .* and `ci=`; pass only `ci=`"):
        FITS[model](small, alpha=0.05, ci=0.95)


def test_result_alpha_attribute_is_deprecated(small):
    res = ols(small, "y ~ x", ci=0.9)
    assert res.ci == 0.9
    with pytest.warns(DeprecationWarning, match=r"`RegressionResult.alpha` is now `.ci`"):
        assert res.alpha == pytest.approx(0.1)


def test_ci_level_in_intervals_table_and_sentence(small):
    res95, res90 = ols(small, "y ~ x"), ols(small, "y ~ x", ci=0.9)
    width = lambda r: (r.coefficients["ci_high"] - r.coefficients["ci_low"]).to_numpy()  # noqa: E731
    assert (width(res90) < width(res95)).all()
    assert "CI = 90% confidence interval" in res90.table().html
    assert "CI = 95% confidence interval" in res95.table().html
    assert "90% CI [" in res90.sentence("x") and "95% CI [" in res95.sentence("x")
    logit = logistic_regression(small, "I(y > 0) ~ x", ci=0.9)
    assert "90% CI [" in logit.sentence("x") and "CI = 90%" in logit.table().html


@pytest.mark.parametrize("model", list(FITS))
def test_result_protocol_and_excluded_layout(small, model):
    data = small.set_axis([f"p{i}" for i in range(len(small))])  # index labels, not positions
    data.loc[["p3", "p8"], "x"] = np.nan
    data.loc["p8", "cont"] = np.nan
    data.loc["p20", "cont"] = np.nan
    res = FITS[model](data)
    assert list(res.excluded.columns) == ["row", "reason"]
    incomplete = data.index[data[["x", "cont"]].isna().any(axis=1)]
    assert list(res.excluded["row"]) == list(incomplete) == ["p3", "p8", "p20"]
    assert list(res.excluded["reason"]) == ["missing value in x", "missing value in x, cont",
                                            "missing value in cont"]  # fmt: skip
    assert list(res.fit.columns[:2]) == ["n", "n_excluded"] and len(res.fit) == 1
    assert res.fit["n_excluded"].item() == 3 and res.fit["n"].item() == len(data) - 3
    assert res.ci == 0.95 and isinstance(res.coefficients, pd.DataFrame)
    table = res.table(title="A title", number=3)
    assert isinstance(table, HtmlBlock) and "A title" in table.html and "Table 3" in table.html
    assert "3 rows excluded for missing values" in table.html and "95% confidence interval" in table.html
    assert "95% CI [" in res.sentence("x") and "3 rows excluded" in res.sentence()
