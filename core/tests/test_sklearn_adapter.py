"""weasul.sklearn: label models and end models as scikit-learn estimators."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("sklearn")
baselines = pytest.importorskip("weasul_baselines")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402
from sklearn.utils import estimator_checks  # noqa: E402
from weasul.builtin.classifiers import SklearnClassifier  # noqa: E402
from weasul.errors import SpecError  # noqa: E402
from weasul.sklearn import (  # noqa: E402
    END_MODEL_EXPECTED_FAILURES,
    LABEL_MODEL_CHECKS,
    EndModelClassifier,
    LabelModelClassifier,
    train_dev_split,
)


def _label_matrix(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Five sources of accuracy 0.9..0.6 that vote 70% of the time on balanced binary y."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    acc = np.array([0.9, 0.85, 0.75, 0.65, 0.6])
    right = rng.random((n, 5)) < acc
    L = np.where(right, y[:, None], 1 - y[:, None])
    L[rng.random((n, 5)) > 0.7] = -1
    return L.astype(np.int64), y


def test_params_clone_and_set_params() -> None:
    est = LabelModelClassifier(baselines.DawidSkene(max_iter=20))
    params = est.get_params()
    assert params["model__max_iter"] == 20 and "model__seed" in params
    copy = clone(est)
    assert copy.model is not est.model and copy.get_params()["model__max_iter"] == 20
    copy.set_params(model__max_iter=5)
    assert copy.model.params.max_iter == 5 and est.model.params.max_iter == 20
    with pytest.raises(ValueError, match="invalid parameter.*model__max_iters"):
        copy.set_params(model__max_iters=5)
    with pytest.raises(SpecError, match="max_iter"):
        copy.set_params(model__max_iter=0)
    with pytest.raises(SpecError, match="needs a weasul LabelModel"):
        LabelModelClassifier().fit(np.zeros((3, 2), dtype=int))


def test_label_model_fit_predict_score() -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    L, y = _label_matrix(2000, 0)
    est = LabelModelClassifier(baselines.MajorityVote())
    before = est.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    est.fit(L)
    check_is_fitted(est)
    assert est.get_params() == before  # fit leaves the parameters alone
    assert est.classes_.tolist() == [0, 1] and est.n_features_in_ == 5
    direct = baselines.MajorityVote().fit(L).predict_proba(L)
    assert np.array_equal(est.predict_proba(L), direct)
    assert est.score(L, y) == pytest.approx(float((direct.argmax(1) == y).mean()))
    with pytest.raises(ValueError, match="fitted on 5"):
        est.predict(L[:, :3])


def test_grid_search_over_label_model_params_scored_on_dev() -> None:
    L_train, _ = _label_matrix(3000, 1)
    L_dev, y_dev = _label_matrix(500, 2)
    L, y, cv = train_dev_split(L_train, L_dev, y_dev)
    grid = {"model__class_prior": [[0.5, 0.5], [0.97, 0.03]], "model__max_iter": [1, 100]}
    search = GridSearchCV(LabelModelClassifier(baselines.DawidSkene()), grid, cv=cv, refit=False).fit(L, y)
    # a prior of 97% class 0 on balanced data is wrong, so the grid must prefer the flat prior
    assert search.best_params_["model__class_prior"] == [0.5, 0.5]
    # each score is the candidate's dev accuracy after fitting on the training rows only
    best = baselines.DawidSkene(**{k.removeprefix("model__"): v for k, v in search.best_params_.items()})
    expected = float((best.fit(L_train).predict(L_dev) == y_dev).mean())
    assert search.best_score_ == pytest.approx(expected)
    worst = min(search.cv_results_["mean_test_score"])
    assert search.best_score_ > worst + 0.05


def test_pipeline_of_label_model() -> None:
    L, y = _label_matrix(1000, 3)
    shift = FunctionTransformer(lambda M: np.asarray(M)[:, :4])  # drop the weakest source
    pipe = Pipeline([("select", shift), ("lm", LabelModelClassifier(baselines.MajorityVote()))])
    pipe.fit(L)
    assert pipe.predict_proba(L).shape == (1000, 2)
    assert pipe.get_params()["lm__model__seed"] == 0
    pipe.set_params(lm__model__seed=3)
    assert pipe.named_steps["lm"].model.params.seed == 3
    assert clone(pipe).fit(L).score(L, y) == pytest.approx(pipe.score(L, y))


def test_end_model_in_pipeline_and_grid_search() -> None:
    from sklearn.datasets import make_classification
    from sklearn.preprocessing import StandardScaler

    X, y = make_classification(n_samples=400, n_features=8, random_state=0)
    labels = np.array(["ham", "spam"])[y]
    pipe = Pipeline([("scale", StandardScaler()), ("clf", EndModelClassifier(SklearnClassifier()))])
    search = GridSearchCV(pipe, {"clf__model__options": [{"C": 1e-4}, {"C": 1.0}]}, cv=3).fit(X, labels)
    assert search.best_params_ == {"clf__model__options": {"C": 1.0}}
    assert set(search.predict(X)) <= {"ham", "spam"} and search.score(X, labels) > 0.8
    # probabilistic targets, as weasul end models train on
    probs = np.column_stack([1 - y, y]).astype(float) * 0.8 + 0.1
    est = EndModelClassifier(SklearnClassifier()).fit(X, probs)
    assert est.classes_.tolist() == [0, 1] and est.score(X, y) > 0.8


@estimator_checks.parametrize_with_checks(
    [EndModelClassifier(SklearnClassifier())],
    expected_failed_checks=lambda est: END_MODEL_EXPECTED_FAILURES,
)
def test_end_model_passes_sklearn_checks(estimator, check) -> None:
    check(estimator)


@pytest.mark.parametrize("name", LABEL_MODEL_CHECKS)
def test_label_model_passes_sklearn_api_checks(name: str) -> None:
    check = getattr(estimator_checks, name)
    est = LabelModelClassifier(baselines.MajorityVote())
    check(type(est).__name__, est)


def test_import_weasul_does_not_import_sklearn() -> None:
    code = "import sys, weasul; weasul.load_run; assert 'sklearn' not in sys.modules, 'sklearn imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
