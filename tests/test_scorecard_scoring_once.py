"""`scorecard` scores each table's instruments once for all its claims (issue 19): the claims see
the same data as when each is tested alone, and the data set's tables are left as they were."""

import pandas as pd

from analysis.claims import _claim_data
from analysis.claims.replicate import scorecard
from analysis.claims.replicate import test_claim as check_claim  # not collected by pytest
from analysis.claims.study import load_study
from analysis.scoring import scales


def test_scorecard_scores_once_and_equals_claims_tested_alone(small_demo, monkeypatch):
    study = load_study(None, data=str(small_demo))
    calls = []
    real = scales.score_instruments
    monkeypatch.setattr(scales, "score_instruments", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    card = scorecard(study, seed=7, n_boot=200)
    ds = next(iter(card.datasets.values()))
    n_scored_tables = sum(bool(ds.instruments(t)) for t in ds.tables)
    assert 0 < len(calls) <= n_scored_tables < len(card.verdicts)
    before = {t: ds.table(t).copy() for t in ds.tables}
    alone = pd.DataFrame([check_claim(t.claim, ds, label=t.dataset, seed=7, n_boot=200).row() for t in card.tests])
    pd.testing.assert_frame_equal(card.verdicts.reset_index(drop=True), alone)
    assert len(calls) > n_scored_tables  # tested alone, each claim scored again
    for t, frame in before.items():  # no claim changed a table of the data set
        pd.testing.assert_frame_equal(ds.table(t), frame)
    assert _claim_data._SCORED.get() is None  # the cache lives only inside `scorecard`


def test_a_claim_changing_its_frame_leaves_the_cache_alone(small_demo):
    from analysis.data.dataset import load_dataset

    ds = load_dataset(small_demo)
    table = next(t for t in ds.tables if ds.instruments(t))
    with _claim_data.scored_once():
        first = _claim_data._scored(ds, table)
        col = first.select_dtypes("number").columns[-1]  # an instrument score
        first[col] = -1.0
        first.loc[first.index[0], first.select_dtypes("number").columns[0]] = -99.0
        first["new"] = 1.0
        second = _claim_data._scored(ds, table)
    assert "new" not in second and not (second[col] == -1).all()
    assert second.loc[second.index[0], second.select_dtypes("number").columns[0]] != -99.0
    pd.testing.assert_frame_equal(second, _claim_data._scored(ds, table))
