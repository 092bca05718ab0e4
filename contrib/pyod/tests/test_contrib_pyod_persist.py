"""PyOD scorers are saved with the run (skops in safetensors, no pickle) so `weasul apply`
scores new rows with the detector the run fitted: a round trip gives identical scores, a run
folder keeps the scorer and loads it back through its registered name, a file holding types
outside scikit-learn and PyOD is refused, and a deep detector (torch inside) is left unsaved
with the reason instead of failing the run."""

from __future__ import annotations

import numpy as np
import pytest
import weasul_contrib_pyod as wp
from weasul.errors import DataError, PluginContractError
from weasul.persist import load_plugin
from weasul.run_models import load_step_model, read_manifest, save_step_models

pytest.importorskip("pyod")
pytest.importorskip("skops")

rng = np.random.default_rng(0)
X_TRAIN = rng.normal(size=(150, 4))
X_NEW = np.vstack([rng.normal(size=(40, 4)), rng.normal(4.0, 1.0, size=(10, 4))])

NAMED = [getattr(wp, name) for name in wp.__all__ if name.endswith("Scorer") and name != "PyODScorer"]


@pytest.mark.parametrize("cls", NAMED, ids=lambda c: c.__name__)
def test_every_named_scorer_round_trips_with_identical_scores(cls, tmp_path):
    scorer = cls(seed=3).fit(X_TRAIN)
    loaded = cls.load(scorer.save(tmp_path / "scorer.safetensors"))
    assert type(loaded.detector_) is type(scorer.detector_)
    np.testing.assert_array_equal(loaded.score(X_NEW), scorer.score(X_NEW))
    np.testing.assert_array_equal(loaded.is_outlier(X_NEW), scorer.is_outlier(X_NEW))
    assert loaded.threshold_ == scorer.threshold_ and loaded.params == scorer.params


@pytest.mark.parametrize("detector", ["IForest", "LOF", "KNN", "OCSVM"])
def test_the_generic_plugin_round_trips_sklearn_backed_detectors(detector, tmp_path):
    scorer = wp.PyODDetector(detector=detector).fit(X_TRAIN)
    loaded = wp.PyODDetector.load(scorer.save(tmp_path / "scorer.safetensors"))
    np.testing.assert_array_equal(loaded.score(X_NEW), scorer.score(X_NEW))
    # the new, shifted rows are the anomalous ones, before and after
    assert loaded.score(X_NEW)[40:].min() > np.median(loaded.score(X_NEW)[:40])


def test_a_run_folder_keeps_the_scorer_under_its_registered_name(tmp_path):
    scorer = wp.ECODScorer().fit(X_TRAIN)
    written = save_step_models(tmp_path, "ood", {"model": scorer}, {wp.ECODScorer: "anomaly_scorers/pyod-ecod"})
    assert [p.name for p in written] == ["ood.safetensors"]
    loaded = load_step_model(tmp_path, "ood")
    assert isinstance(loaded, wp.ECODScorer)
    np.testing.assert_array_equal(loaded.score(X_NEW), scorer.score(X_NEW))


def test_loading_trusts_only_the_packages_the_caller_names(tmp_path):
    path = wp.HBOSScorer().fit(X_TRAIN).save(tmp_path / "hbos.safetensors")
    with pytest.raises(DataError, match=r"refusing to load types outside sklearn: pyod\."):
        load_plugin(wp.HBOSScorer, path, packages=("sklearn",))


def test_a_deep_detector_is_left_unsaved_with_the_reason(tmp_path):
    pytest.importorskip("torch")
    scorer = wp.PyODDetector(detector="AutoEncoder", options={"epoch_num": 1, "verbose": 0}).fit(
        X_TRAIN.astype(np.float32)
    )
    with pytest.raises(PluginContractError, match=r"PyODDetector \(AutoEncoder\) cannot be saved"):
        scorer.save(tmp_path / "ae.safetensors")
    assert save_step_models(tmp_path, "ood", {"model": scorer}, {wp.PyODDetector: "anomaly_scorers/pyod"}) == []
    entry = read_manifest(tmp_path)["steps"]["ood"]["model"]
    assert entry["saved"] is False and "cannot be saved" in entry["reason"]
    assert not list(tmp_path.rglob("*.tmp"))
