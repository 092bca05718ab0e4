"""The paper's six detectors, the ranking (Sec. 3.1) and the TADPOLE scorer on generated data."""

from __future__ import annotations

import numpy as np
import pytest
import weasul
from weasul.errors import DataError, NotFittedError
from weasul_tadpole import PAPER_DETECTORS, TadpoleScorer, rank_detectors
from weasul_tadpole.detectors import KNNScorer, LOFScorer, RobustCovarianceScorer
from weasul_tadpole.ranking import f1_score, roc_auc


def _domains(seed: int = 0, n_in: int = 400, n_out: int = 400, d: int = 8, shift: float = 3.0):
    rng = np.random.default_rng(seed)
    X_in = rng.normal(size=(n_in, d))
    X_out = rng.normal(size=(n_out, d)) + shift * np.eye(d)[0]
    return X_in, X_out


@pytest.mark.parametrize("name", list(PAPER_DETECTORS))
def test_each_detector_separates_domains(name):
    X_in, X_out = _domains()
    scorer = weasul.create("anomaly_scorers", name)
    scorer.fit(X_in[:300])
    s = scorer.score(np.vstack([X_in[300:], X_out[:100]]))
    assert s.shape == (200,)
    assert roc_auc(np.r_[np.zeros(100), np.ones(100)], s) > 0.85


def test_roc_auc_and_f1_match_definitions():
    y = np.array([0, 0, 1, 1, 0, 1])
    s = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.4])
    pairs = [(p, n) for p in s[y == 1] for n in s[y == 0]]
    expected = np.mean([1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs])
    assert roc_auc(y, s) == pytest.approx(expected)
    assert f1_score(y, s > 0.3) == pytest.approx(2 * 3 / (2 * 3 + 1 + 0))


def test_neighbour_detectors_need_enough_rows():
    X = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(DataError, match="needs at least 21 rows"):
        LOFScorer().fit(X)
    with pytest.raises(DataError, match="needs at least 6 rows"):
        KNNScorer().fit(X[:4])
    KNNScorer(n_neighbors=3).fit(X)


def test_robust_covariance_needs_more_rows_than_features():
    X = np.random.default_rng(0).normal(size=(20, 30))
    with pytest.raises(DataError, match="more rows than features"):
        RobustCovarianceScorer().fit(X)


def test_unfitted_and_bad_inputs():
    with pytest.raises(NotFittedError):
        KNNScorer().score(np.zeros((2, 2)))
    with pytest.raises(DataError):
        KNNScorer().fit([["a", "b"], ["c", "d"]])


def test_ranking_finds_the_detector_that_fits_the_geometry():
    # in-domain data on a thin 1-D line in 5-D; out-of-domain points sit off the line but inside its
    # range: distance- and covariance-based detectors see them at once
    rng = np.random.default_rng(1)
    t = rng.uniform(-3, 3, size=(600, 1))
    direction = np.ones((1, 5)) / np.sqrt(5)
    X_in = t @ direction + 0.05 * rng.normal(size=(600, 5))
    X_out = rng.uniform(-1.5, 1.5, size=(300, 5))
    result = rank_detectors(X_in, X_out, repeats=2, seed=0)
    by = {r["detector"]: r for r in result.rows}
    assert set(by) == set(PAPER_DETECTORS)
    assert result.rows[0]["f1"] == max(r["f1"] for r in result.rows)
    assert result.n_test == 60 and result.n_train == 540
    assert by["robust-covariance"]["auc"] > 0.95 and by["knn"]["auc"] > 0.95
    assert result.best != "pca" and by["pca"]["f1"] < 0.5  # PyOD's PCA score misses this geometry
    frame = result.to_frame()
    assert {"detector", "f1", "auc", "fit_s"} <= set(frame.columns)


def test_ranking_input_checks():
    X_in, X_out = _domains()
    with pytest.raises(DataError, match="out-of-domain rows"):
        rank_detectors(X_in, X_out[:10])
    with pytest.raises(DataError, match="empty"):
        rank_detectors(X_in[:4], X_out, test_fraction=0.1)
    with pytest.raises(DataError, match="features"):
        rank_detectors(X_in, X_out[:, :3])


def test_tadpole_scorer_picks_and_weights():
    X_in, X_out = _domains(shift=4.0)
    general = np.vstack([X_in[200:], X_out])  # half in-domain
    model = TadpoleScorer(detectors=["knn", "isolation-forest", "pca"], repeats=2).fit(
        X_in[:200], general=general
    )
    assert model.detector_name_ in {"knn", "isolation-forest", "pca"}
    assert len(model.ranking_) == 3 and model.ranking_[0]["detector"] == model.detector_name_
    s = model.score(general)
    w = model.relevance(s)
    truth = np.r_[np.ones(200), np.zeros(400)].astype(bool)
    assert w.sum() == pytest.approx(0.2 * 600, abs=15)  # segments of 15
    assert truth[w > 0.5].mean() > 0.9
    cont = TadpoleScorer(select="fixed", weighting="continuous", C=3.0).fit(X_in[:200]).relevance(s)
    assert cont[truth].mean() > 0.6 > cont[~truth].mean()


def test_tadpole_alg1_mixes_general_rows():
    # Alg. 1 fits the detector on the task rows plus t/10 general rows: those general rows (and
    # their neighbourhood) must then score as far less anomalous than without the mix
    rng = np.random.default_rng(0)
    X_in = rng.normal(size=(400, 8))
    X_out = 0.2 * rng.normal(size=(400, 8)) + 4.0 * np.eye(8)[0]  # a tight general-domain cluster
    plain = TadpoleScorer(select="fixed", detector="knn").fit(X_in, general=X_out)
    mixed = TadpoleScorer(select="fixed", detector="knn", general_mix=0.1).fit(X_in, general=X_out)
    assert plain.n_general_in_fit_ == 0 and mixed.n_general_in_fit_ == 40  # 10% of 400 task rows
    assert mixed.scorer_.n_features_in_ == 8
    s_plain, s_mixed = plain.score(X_out), mixed.score(X_out)
    assert np.median(s_mixed) < 0.5 * np.median(s_plain)
    model = TadpoleScorer(select="fixed", general_mix=0.1).fit(X_in, general=X_out)
    assert model.detector_name_ == "isolation-forest" and model.n_general_in_fit_ == 40
    iso_plain = TadpoleScorer(select="fixed").fit(X_in, general=X_out).score(X_out)
    assert model.score(X_out).mean() < iso_plain.mean()
    with pytest.raises(DataError, match="general_mix"):
        TadpoleScorer(select="fixed", general_mix=0.1).fit(X_in)


def test_ranking_leaves_out_detectors_that_cannot_fit():
    X_in, X_out = _domains(n_in=100, d=150)  # 90 training rows < 150 features: no robust covariance
    result = rank_detectors(X_in, X_out[:, :150], detectors=["robust-covariance", "knn"], seed=0)
    assert result.best == "knn"
    assert (
        result.rows[-1]["detector"] == "robust-covariance"
        and "more rows than features" in result.rows[-1]["error"]
    )
    with pytest.raises(DataError, match="no detector could be fitted"):
        rank_detectors(X_in, X_out[:, :150], detectors=["robust-covariance"])
