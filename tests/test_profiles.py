"""Latent profiles: the right number of profiles is found, likelihood and BIC are what they say."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal

from analysis.exceptions import DataError, ParameterError
from analysis.models.profiles import latent_profiles


@pytest.fixture(scope="module")
def two_groups():
    # known truth: 300 "secure" (anx 2, avo 2) and 200 "fearful" (anx 5, avo 5.5), SD 0.6, r = 0
    rng = np.random.default_rng(11)
    a = rng.normal([2.0, 2.0], 0.6, size=(300, 2))
    b = rng.normal([5.0, 5.5], 0.6, size=(200, 2))
    return pd.DataFrame(np.vstack([a, b]), columns=["anx", "avo"])


def test_bic_finds_two_profiles_and_recovers_means(two_groups):
    res = latent_profiles(two_groups, columns=["anx", "avo"], n_profiles=[1, 2, 3, 4], seed=1, n_init=3)
    assert res.n_profiles == 2
    means = res.profiles.pivot(index="profile", columns="variable", values="mean")
    np.testing.assert_allclose(means.loc[1, ["anx", "avo"]], [2.0, 2.0], atol=0.1)  # largest first
    np.testing.assert_allclose(means.loc[2, ["anx", "avo"]], [5.0, 5.5], atol=0.1)
    assert res.profiles.groupby("profile")["n"].first().tolist() == [300, 200]
    assert res.fit.set_index("n_profiles").loc[2, "entropy"] > 0.95
    assert (res.membership["profile"].iloc[:300] == 1).all()


def test_one_profile_likelihood_and_bic_by_hand(two_groups):
    # k = 1, full covariance on z-scores: the log-likelihood is that of one multivariate normal
    # with the ML mean and covariance; p = 2 means + 3 covariances = 5
    res = latent_profiles(two_groups, columns=["anx", "avo"], n_profiles=[1], seed=1, n_init=1)
    x = two_groups.to_numpy()
    z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    cov = np.cov(z, rowvar=False, bias=True)
    loglik = multivariate_normal(mean=z.mean(axis=0), cov=cov).logpdf(z).sum()
    row = res.fit.iloc[0]
    assert row["n_parameters"] == 5
    assert row["log_likelihood"] == pytest.approx(loglik, rel=1e-6)
    assert row["bic"] == pytest.approx(-2 * loglik + 5 * np.log(500), rel=1e-6)


def test_same_seed_same_solution(two_groups):
    a = latent_profiles(two_groups, columns=["anx", "avo"], n_profiles=[2, 3], seed=4, n_init=2)
    b = latent_profiles(two_groups, columns=["anx", "avo"], n_profiles=[2, 3], seed=4, n_init=2)
    pd.testing.assert_frame_equal(a.fit, b.fit)


def test_bad_arguments(two_groups):
    with pytest.raises(DataError, match="'nope'"):
        latent_profiles(two_groups, columns=["anx", "nope"])
    with pytest.raises(ParameterError, match="covariance"):
        latent_profiles(two_groups, columns=["anx", "avo"], covariance="VVV")
    with pytest.raises(ParameterError, match="too few"):
        latent_profiles(two_groups.head(20), columns=["anx", "avo"], n_profiles=[1, 2, 3, 4, 5, 6])
