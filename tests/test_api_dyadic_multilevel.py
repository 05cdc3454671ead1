"""The 0.2 vocabulary of the dyadic, multilevel, meta-analysis, profile and diary-layout functions
(docs/api.md): new names, the 0.1 names kept for one release (DeprecationWarning, same numbers),
the result protocol (.coefficients, .fit, .excluded, .ci, .table(), .sentence()) and the one
layout of ``.excluded``."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.data.diary_reshape import diary_to_long, diary_to_wide
from analysis.data.diary_variables import center_within, lag
from analysis.exceptions import DataError, ParameterError
from analysis.models import dyadic_diagnostics as dyadic
from analysis.models.dyadic import apim
from analysis.models.dyadic_diagnostics import (
    K_READINGS,
    DistinguishabilityResult,
    apim_k,
    apim_k_sentence,
    distinguishability_test,
)
from analysis.models.dyadic_diary import dyadic_diary
from analysis.models.meta import MetaResult, random_effects
from analysis.models.multilevel import (
    MultilevelResult,
    compare_fits,
    compare_fits_sentence,
    mixed_model,
    multilevel_icc,
)
from analysis.models.profiles import ProfileResult, latent_profiles

REFERENCE = Path(__file__).resolve().parent / "reference"
NEGATIVE = pd.read_csv(REFERENCE / "apim_negative_data.csv")
INCOMPLETE = pd.read_csv(REFERENCE / "apim_incomplete_data.csv")
FORMULA = "y ~ x_within + x_between + w"


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "multilevel_sim.csv")


@pytest.fixture(scope="module")
def small(sim) -> pd.DataFrame:
    """12 couples of the simulated diary: fast fits for the name checks."""
    return sim[sim["couple"] <= 12].reset_index(drop=True)


def _old(call, match):
    """Run `call` (a 0.1 call), check it warns DeprecationWarning(s) from *this* file (the caller,
    not the package: pyproject turns package-attributed ones into errors), return its value."""
    with pytest.warns(DeprecationWarning, match=match) as record:
        value = call()
    deprecations = [w for w in record if issubclass(w.category, DeprecationWarning)]
    assert deprecations and all(w.filename == __file__ for w in deprecations), [w.filename for w in deprecations]
    return value


def _same_fit(a: MultilevelResult, b: MultilevelResult):
    pd.testing.assert_frame_equal(a.coefficients, b.coefficients)
    pd.testing.assert_frame_equal(a.variances, b.variances)
    pd.testing.assert_frame_equal(a.fit, b.fit)


# ------------------------------------------------------------------- 0.1 names: warn, same numbers


def test_mixed_model_old_couple_and_ar1_string(small):
    new = mixed_model(small, FORMULA, person="person", dyad="couple", day="day", ar1=True)
    old = _old(lambda: mixed_model(small, formula=FORMULA, person="person", couple="couple", ar1="day"),
               r"couple=|ar1='day'")
    _same_fit(old, new)
    with pytest.warns(DeprecationWarning, match=r"day='day', ar1=True") as record:
        mixed_model(small, FORMULA, person="person", ar1="day")
    assert record[0].filename == __file__
    assert _old(lambda: mixed_model(small, FORMULA, person="person", ar1=None), "ar1=False").fit.equals(
        mixed_model(small, FORMULA, person="person").fit)


def test_formula_by_position_or_by_name(small):
    _same_fit(mixed_model(small, FORMULA, person="person"), mixed_model(small, formula=FORMULA, person="person"))
    a = apim(NEGATIVE, "y ~ x_A + x_P", dyad="dyad", partner="person")
    b = apim(NEGATIVE, formula="y ~ x_A + x_P", dyad="dyad", partner="person")
    pd.testing.assert_frame_equal(a.coefficients, b.coefficients)
    c = distinguishability_test(INCOMPLETE, "y ~ x_A + x_P", dyad="dyad", partner="role")
    d = distinguishability_test(INCOMPLETE, formula="y ~ x_A + x_P", dyad="dyad", partner="role")
    pd.testing.assert_frame_equal(c.fit, d.fit)


def test_multilevel_icc_old_names(small):
    new = multilevel_icc(small, y="y", person="person", dyad="couple")
    old = _old(lambda: multilevel_icc(small, outcome="y", person="person", couple="couple"), "outcome=|couple=")
    pd.testing.assert_frame_equal(old, new)
    assert list(new["level"]) == ["couple", "person", "residual"]


def test_dyadic_diary_old_names(small):
    new = dyadic_diary(small, y="y", x="x_within", dyad="couple", role="role", day="day")
    old = _old(lambda: dyadic_diary(small, outcome="y", predictors="x_within", couple="couple", role="role",
                                    day="day"), "outcome=|predictors=|couple=")  # fmt: skip
    _same_fit(old, new)


def test_center_within_and_lag_old_calls(sim):
    d = sim[["couple", "person", "day", "x"]]
    new = center_within(d, columns=["x"], group="person")
    pd.testing.assert_frame_equal(_old(lambda: center_within(d, ["x"], "person"), "Positional roles"), new)
    pd.testing.assert_frame_equal(_old(lambda: center_within(d, ["x"], cluster="person"), "cluster=|Positional"), new)
    pd.testing.assert_frame_equal(_old(lambda: center_within(d, columns="x", cluster="person"), "cluster="), new)
    new = lag(d, columns="x", person="person", day="day", k=2)
    pd.testing.assert_frame_equal(_old(lambda: lag(d, "x", "person", "day", 2), "Positional roles"), new)
    pd.testing.assert_frame_equal(_old(lambda: lag(d, "x", "person", "day", k=2), "Positional roles"), new)
    pd.testing.assert_frame_equal(_old(lambda: lag(d, columns="x", cluster="person", time="day", k=2),
                                       "cluster=|time="), new)  # fmt: skip


def test_random_effects_old_level():
    y, se = [0.45, 0.05, 0.30], [0.10, 0.12, 0.09]
    new = random_effects(y, se, ci=0.9)
    old = _old(lambda: random_effects(y, se, level=0.9), "level=")
    pd.testing.assert_frame_equal(old.pooled, new.pooled)
    pd.testing.assert_frame_equal(old.studies, new.studies)
    assert old.ci == new.ci == 0.9 and new.pooled.attrs["level"] == 0.9


def test_diary_layouts_old_subject():
    long = pd.DataFrame({"id": [1, 1, 2], "day": [1, 2, 1], "close": [3.0, 4.0, 5.0]})
    wide = diary_to_wide(long, person="id", day="day")
    pd.testing.assert_frame_equal(_old(lambda: diary_to_wide(long, subject="id", day="day"), "subject="), wide)
    back = diary_to_long(wide, person="id", stubs=["close"])
    pd.testing.assert_frame_equal(_old(lambda: diary_to_long(wide, subject="id", stubs=["close"]), "subject="), back)


@pytest.mark.parametrize("call", [
    lambda d: mixed_model(d, FORMULA, person="person", couple="couple", dyad="couple"),
    lambda d: mixed_model(d, FORMULA, person="person", ar1="day", day="day"),
    lambda d: multilevel_icc(d, outcome="y", y="y", person="person"),
    lambda d: dyadic_diary(d, outcome="y", y="y", x="x_within", dyad="couple", role="role", day="day"),
    lambda d: dyadic_diary(d, y="y", predictors="x_within", x="x_within", dyad="couple", role="role", day="day"),
    lambda d: center_within(d, ["x"], columns=["x"], group="person"),
    lambda d: center_within(d, columns=["x"], cluster="person", group="person"),
    lambda d: lag(d, columns="x", cluster="person", person="person", day="day"),
    lambda d: lag(d, columns="x", person="person", time="day", day="day"),
    lambda d: random_effects([0.1, 0.2], [0.1, 0.1], level=0.9, ci=0.9),
    lambda d: diary_to_wide(d, subject="person", person="person", day="day"),
    lambda d: diary_to_long(d, subject="person", person="person", stubs=["y"]),
])  # fmt: skip
def test_old_and_new_name_together_is_an_error(small, call):
    with pytest.raises(ParameterError, match=r"only|pass"):
        call(small)


def test_ar1_is_a_bool_and_needs_day(small):
    with pytest.raises(ParameterError, match="needs `day=`"):
        mixed_model(small, FORMULA, person="person", ar1=True)
    with pytest.raises(ParameterError, match="`ar1` must be True or False"):
        mixed_model(small, FORMULA, person="person", day="day", ar1=1)
    with pytest.raises(ParameterError, match="`ar1` must be True or False"):
        dyadic_diary(small, y="y", x="x_within", dyad="couple", role="role", day="day", ar1="day")
    with pytest.raises(ParameterError, match="positional"):
        lag(small, "x", "person", "day", 1, "extra")


def test_day_without_ar1_checks_the_days_and_changes_nothing_else(small):
    _same_fit(mixed_model(small, FORMULA, person="person", day="day"), mixed_model(small, FORMULA, person="person"))
    with pytest.raises(DataError, match="one row per person and day"):
        mixed_model(pd.concat([small, small.iloc[:1]]), FORMULA, person="person", day="day")


# ------------------------------------------------------------------- .excluded: one layout


def test_apim_excluded_layout():
    res = apim(INCOMPLETE, "y ~ x_A + x_P", dyad="dyad", partner="role")
    assert list(res.excluded.columns) == ["row", "reason", "dyad"]
    assert len(res.excluded) == res.fit["n_excluded"].iloc[0] == len(INCOMPLETE) - res.fit["n"].iloc[0]
    assert res.excluded["row"].is_unique
    rows = INCOMPLETE.loc[res.excluded["row"]]
    assert (rows["dyad"].to_numpy() == res.excluded["dyad"].to_numpy()).all()


def test_mixed_model_excluded_per_row(sim):
    d = sim[sim["couple"] <= 12].copy()
    d.index = [f"r{i}" for i in range(len(d))]  # labels, not positions
    d.loc[["r0", "r5"], "y"] = np.nan
    d.loc["r9", "w"] = np.nan
    d.loc["r11", ["x_within", "w"]] = np.nan
    d.loc["r20", "day"] = np.nan
    res = mixed_model(d, FORMULA, person="person", dyad="couple", random="~ 1 + x_within", day="day", ar1=True)
    ex = res.excluded
    assert list(ex.columns) == ["row", "reason", "person", "dyad"]
    assert ex["row"].tolist() == ["r0", "r5", "r9", "r11", "r20"]
    assert ex["reason"].tolist() == ["missing y", "missing y", "missing w", "missing x_within, w", "missing day"]
    assert ex["person"].tolist() == d.loc[ex["row"], "person"].tolist()
    assert ex["dyad"].tolist() == d.loc[ex["row"], "couple"].tolist()
    assert res.fit["n_excluded"].iloc[0] == 5 and res.fit["n"].iloc[0] == len(d) - 5
    # without a couple id: no dyad column; nothing left out: an empty table with the layout
    clean = mixed_model(sim, FORMULA, person="person")
    assert list(clean.excluded.columns) == ["row", "reason", "person"] and clean.excluded.empty
    assert clean.fit["n_excluded"].iloc[0] == 0


def test_mixed_model_with_repeated_index_labels(small):
    """The rows used are found by position: repeated index labels neither add nor lose rows."""
    d = small.copy()
    d.loc[3, "y"] = np.nan
    dup = d.set_axis(np.zeros(len(d), dtype=int))
    a, b = mixed_model(d, FORMULA, person="person"), mixed_model(dup, FORMULA, person="person")
    _same_fit(a, b)
    assert b.excluded["row"].tolist() == [0] and a.excluded["row"].tolist() == [3]


def test_dyadic_diary_excluded_per_row(small):
    d = small.copy()
    d.loc[[2, 7], "x_within"] = np.nan
    res = dyadic_diary(d, y="y", x="x_within", dyad="couple", role="role", day="day")
    assert list(res.excluded.columns) == ["row", "reason", "dyad"]
    assert res.excluded["row"].tolist() == [2, 7] and set(res.excluded["reason"]) == {"missing x_within"}
    assert res.fit["n_excluded"].iloc[0] == 2


def test_profile_and_meta_excluded_layout():
    rng = np.random.default_rng(3)
    data = pd.DataFrame(rng.normal(size=(60, 2)), columns=["a", "b"]).astype(object)
    data.loc[4, "a"] = np.nan
    data.loc[9, "b"] = "n/a"
    res = latent_profiles(data, columns=["a", "b"], n_profiles=[1, 2], n_init=1, seed=1)
    assert list(res.excluded.columns) == ["row", "reason"]
    assert res.excluded.to_dict("list") == {"row": [4, 9], "reason": ["missing a", "non-numeric b"]}
    assert (res.fit["n"] == 58).all() and len(res.membership) == 58
    meta = random_effects([0.45, 0.05, 0.30], [0.10, 0.12, 0.09])
    assert list(meta.excluded.columns) == ["row", "reason", "term"] and meta.excluded.empty


# ------------------------------------------------------------------- results: the protocol


def test_distinguishability_result_fit_is_the_old_table():
    res = distinguishability_test(INCOMPLETE, "y ~ x_A + x_P", dyad="dyad", partner="role")
    assert isinstance(res, DistinguishabilityResult)
    # what 0.1 returned: the two ML fits on the same rows, side by side
    a = dyadic._apim(INCOMPLETE, "y ~ x_A + x_P", "dyad", "role", None, None, "indistinguishable", "ML", 0.95,
                     same_rows=True).fit.iloc[0]  # fmt: skip
    b = dyadic._apim(INCOMPLETE, "y ~ x_A + x_P", "dyad", "role", None, None, "two_intercept", "ML", 0.95).fit.iloc[0]
    stat = 2 * (b["loglik"] - a["loglik"])
    df = int(b["npar"] - a["npar"])
    from scipy import stats

    old = pd.DataFrame({"model": ["indistinguishable", "distinguishable"], "n": [int(a["n"]), int(b["n"])],
                        "npar": [int(a["npar"]), int(b["npar"])], "loglik": [a["loglik"], b["loglik"]],
                        "aic": [a["aic"], b["aic"]], "bic": [a["bic"], b["bic"]], "statistic": [np.nan, stat],
                        "df": [np.nan, df], "p_value": [np.nan, stats.chi2.sf(stat, df)]})  # fmt: skip
    pd.testing.assert_frame_equal(res.fit, old)
    assert res.roles == ("man", "woman") and res.ci == 0.95
    assert list(res.excluded.columns[:2]) == ["row", "reason"]
    assert res.coefficients["term"].tolist()[:3] == ["Intercept (man)", "x_A (man)", "x_P (man)"]
    p = res.fit["p_value"].iloc[1]
    text = res.sentence()
    verdict = "improved" if p < 0.05 else "did not significantly improve"
    assert text.startswith(f"Distinguishing man and woman partners {verdict} the model, χ²(4) = ")
    assert "Table 3" in res.table(number=3).html and "Test of distinguishability" in res.table().html


def test_distinguishability_sentence_reads_the_test_at_1_minus_ci():
    res = distinguishability_test(NEGATIVE, "y ~ x_A + x_P", dyad="dyad", partner="person")
    assert 0.5 < res.fit["p_value"].iloc[1] < 0.6  # member 1 and 2 are interchangeable here
    assert res.sentence().startswith("Distinguishing 1 and 2 partners did not significantly improve the model")
    loose = distinguishability_test(NEGATIVE, "y ~ x_A + x_P", dyad="dyad", partner="person", ci=0.4)
    pd.testing.assert_frame_equal(loose.fit, res.fit)  # the level changes the reading, not the test
    assert loose.sentence().startswith("Distinguishing 1 and 2 partners improved the model, χ²(4) = 2.86, p = .58")
    with pytest.raises(ParameterError, match="`ci`"):
        distinguishability_test(INCOMPLETE, "y ~ x_A + x_P", dyad="dyad", partner="role", ci=95)


def test_apim_k_sentence():
    res = apim(NEGATIVE, "y ~ x_A + x_P", dyad="dyad", partner="person")
    k = apim_k(res, n_boot=100, seed=1)
    r = k.iloc[0]
    text = apim_k_sentence(k, variable="x", outcome="closeness")
    # the sentence notebook 04 built by hand
    from analysis.apa import format_ci, format_value

    assert text == (f"For x, k = {format_value(r['k'])} ({format_ci(r['ci_low'], r['ci_high'], level=0.95)}), "
                    f"so for a person's closeness {K_READINGS[r['pattern']]}.")  # fmt: skip
    lost = pd.DataFrame(k)  # e.g. read back from a file: no attrs
    lost.attrs = {}
    with pytest.raises(ParameterError, match="ci="):
        apim_k_sentence(lost, variable="x", outcome="closeness")
    assert apim_k_sentence(lost, variable="x", outcome="closeness", ci=0.95) == text
    with pytest.raises(ParameterError, match="No row for variable 'z'"):
        apim_k_sentence(k, variable="z", outcome="closeness")
    two = apim(INCOMPLETE, "y ~ x_A + x_P", dyad="dyad", partner="role", model="two_intercept")
    k2 = apim_k(two, n_boot=50, seed=1)
    with pytest.raises(ParameterError, match="pass `role=`"):
        apim_k_sentence(k2, variable="x", outcome="y")
    assert apim_k_sentence(k2, variable="x", outcome="y", role="woman").startswith("For x (woman), k = ")


def test_apim_sentence_of_one_term():
    res = apim(NEGATIVE, "y ~ x_A + x_P + w", dyad="dyad", partner="person")
    assert "the actor effect of x was b = " in res.sentence("x_A")
    assert "the coefficient of w was b = " in res.sentence("w")
    assert res.sentence().count("effect of x") == 2  # unchanged without a term
    with pytest.raises(ParameterError, match="No term 'nope'"):
        res.sentence("nope")


def test_compare_fits(small):
    m1 = mixed_model(small, FORMULA, person="person")
    m2 = mixed_model(small, FORMULA, person="person", random="~ 1 + x_within")
    m3 = mixed_model(small, FORMULA, person="person", random="~ 1 + x_within", day="day", ar1=True)
    out = compare_fits(m1, m2, m3, labels=["random intercept", "the random slope", "AR(1) residuals"])
    assert out.columns.tolist() == ["model", "n", "method", "n_parameters", "loglik", "aic", "bic", "loglik_change",
                                    "phi"]  # fmt: skip
    assert_allclose(out["loglik"], [m.fit["loglik"].iloc[0] for m in (m1, m2, m3)], rtol=0)
    assert np.isnan(out["loglik_change"].iloc[0])
    assert_allclose(out["loglik_change"].iloc[2], m3.fit["loglik"].iloc[0] - m2.fit["loglik"].iloc[0])
    phi = m3.variances.query("parameter == 'phi'")["estimate"].iloc[0]
    assert np.isnan(out["phi"].iloc[:2]).all() and out["phi"].iloc[2] == phi
    from analysis.apa import format_stat, format_value

    ll = [format_value(v) for v in out["loglik"]]
    assert compare_fits_sentence(out) == (f"Adding the random slope changed the log-likelihood from {ll[0]} to "
                                          f"{ll[1]}, and AR(1) residuals to {ll[2]} "
                                          f"({format_stat('φ', phi, bounded=True)}).")
    assert compare_fits_sentence(out.iloc[:2]).endswith(f"from {ll[0]} to {ll[1]}.")
    with pytest.raises(DataError, match="different numbers of rows"):
        compare_fits(m1, mixed_model(small.iloc[10:], FORMULA, person="person"))
    with pytest.raises(ParameterError, match="different methods"):
        compare_fits(m1, mixed_model(small, FORMULA, person="person", method="ML"))
    with pytest.raises(ParameterError, match="two or more"):
        compare_fits(m1)
    with pytest.raises(ParameterError, match="labels"):
        compare_fits(m1, m2, labels=["one"])


def test_every_result_follows_the_protocol(small):
    results = [
        apim(NEGATIVE, "y ~ x_A + x_P", dyad="dyad", partner="person"),
        distinguishability_test(INCOMPLETE, "y ~ x_A + x_P", dyad="dyad", partner="role"),
        mixed_model(small, FORMULA, person="person"),
        random_effects([0.45, 0.05, 0.30], [0.10, 0.12, 0.09]),
    ]
    for res in results:
        for name in ("coefficients", "fit", "excluded"):
            assert isinstance(getattr(res, name), pd.DataFrame), (type(res).__name__, name)
        assert list(res.excluded.columns[:2]) == ["row", "reason"]
        assert res.ci == 0.95
        assert res.table(number=1, title="T").html.startswith('<div class="apa">')
    assert results[0].sentence("x_A") and results[1].sentence() and results[2].sentence("w") and results[3].sentence()
    meta = results[3]
    assert isinstance(meta, MetaResult)
    pd.testing.assert_frame_equal(meta.coefficients, meta.pooled[meta.coefficients.columns])
    assert meta.fit.columns[0] == "k" and {"tau2", "i2", "q"} <= set(meta.fit.columns)


def test_profile_result_protocol():
    rng = np.random.default_rng(11)
    x = np.vstack([rng.normal(2.0, 0.6, size=(150, 2)), rng.normal(4.0, 0.6, size=(100, 2))])
    res = latent_profiles(pd.DataFrame(x, columns=["anx", "avo"]), columns=["anx", "avo"], n_profiles=[1, 2, 3],
                          n_init=1, seed=1)  # fmt: skip
    assert isinstance(res, ProfileResult)
    assert res.coefficients is res.profiles and res.fit.columns[0] == "n"
    assert list(res.excluded.columns) == ["row", "reason"] and res.excluded.empty
    text = res.sentence()
    assert text.startswith("Among Gaussian mixture models with 1 to 3 profiles (N = 250), BIC was lowest for 2 "
                           "profiles")
    assert "profile 1: n = " in text and "entropy = ." in text
    html = res.table(number=4).html
    assert "Table 4" in html and "chosen by BIC" in html
