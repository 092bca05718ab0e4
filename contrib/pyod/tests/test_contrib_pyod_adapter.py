"""The PyOD adapter: any detector by name, clear errors, light import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import weasul
from weasul.errors import DataError, MissingDependencyError, NotFittedError, SpecError
from weasul_contrib_pyod import CATALOG, PyODDetector, detectors, resolve_detector


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    pos, neg = s[y == 1], s[y == 0]
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    train = rng.normal(size=(300, 4))
    test = np.vstack([rng.normal(size=(50, 4)), rng.normal(size=(50, 4)) + 5.0])
    y = np.r_[np.zeros(50), np.ones(50)]
    return train, test, y


@pytest.mark.parametrize("name", ["ECOD", "hbos", "iforest", "pyod.models.knn:KNN", "copod"])
def test_generic_detector_ranks_shifted_points_higher(data, name):
    train, test, y = data
    scorer = PyODDetector(detector=name, seed=1).fit(train)
    scores = scorer.score(test)
    assert scores.shape == (100,) and scores.dtype == np.float64
    assert _auc(y, scores) > 0.95
    # the threshold flags about `contamination` of the training rows
    assert 0.03 <= scorer.is_outlier(train).mean() <= 0.2


def test_named_one_liners_resolve_and_work(data):
    train, test, y = data
    for cls_name in detectors.__all__:
        cls = getattr(detectors, cls_name)
        assert cls.detector in CATALOG.values()
    scores = detectors.LODAScorer(seed=0).fit(train).score(test)
    assert _auc(y, scores) > 0.9


def test_created_through_the_registry(data):
    train, test, y = data
    scorer = weasul.create("anomaly_scorers", "pyod-ecod")
    assert _auc(y, scorer.fit(train).score(test)) > 0.95
    assert type(weasul.create("anomaly_scorers", "pyod", detector="KDE")).__name__ == "PyODDetector"


def test_resolve_detector_names():
    assert resolve_detector("ECOD") == resolve_detector("ecod") == "pyod.models.ecod:ECOD"
    assert resolve_detector("mo-gaal") == "pyod.models.mo_gaal:MO_GAAL"
    with pytest.raises(SpecError, match="unknown PyOD detector"):
        PyODDetector(detector="NoSuchDetector")


def test_bad_options_are_spec_errors(data):
    with pytest.raises(SpecError, match="no option"):
        PyODDetector(detector="ECOD", options={"n_neigbors": 3}).fit(data[0])


def test_too_few_rows_for_the_neighbourhood():
    rng = np.random.default_rng(0)
    with pytest.raises(DataError, match="needs at least 21 rows"):
        PyODDetector(detector="KNN", options={"n_neighbors": 20}).fit(rng.normal(size=(12, 3)))


def test_bad_input_and_unfitted(data):
    train, test, _ = data
    scorer = PyODDetector(detector="ECOD")
    with pytest.raises(NotFittedError):
        scorer.score(test)
    with pytest.raises(DataError):
        scorer.fit(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(DataError):
        scorer.fit(np.zeros((0, 3)))
    scorer.fit(train)
    with pytest.raises(DataError, match="fitted on 4 features"):
        scorer.score(test[:, :3])


def test_missing_optional_package_is_reported():
    with pytest.raises(MissingDependencyError, match="combo"):
        PyODDetector(detector="FeatureBagging").fit(np.random.default_rng(0).normal(size=(30, 2)))


def test_import_is_light():
    code = (
        "import sys, weasul_contrib_pyod; "
        "heavy = [m for m in ('pyod', 'sklearn', 'torch', 'numba') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
