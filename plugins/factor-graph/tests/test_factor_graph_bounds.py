"""The Sec. 4 bounds: the corrected ones always hold, the paper's fail for priority-type factors."""

import itertools

import numpy as np
import pytest
from weasul.errors import DataError, SpecError
from weasul_factor_graph import DEPENDENCY_TYPES, FactorGraph, misspecification_bounds
from weasul_factor_graph.experiments.synthetic import priority_counterexample

M = 5
ALL_VOTES = np.array(list(itertools.product((-1, 0, 1), repeat=M)))


def _random_pair(seed: int, types):
    rng = np.random.default_rng(seed)
    pairs = rng.permutation([(j, k) for j in range(M) for k in range(M) if j != k])[: rng.integers(1, 6)]
    deps, seen = [], set()
    for j, k in pairs:
        t = types[rng.integers(len(types))]
        key = (t, min(j, k), max(j, k)) if t in ("similar", "bolstering") else (t, j, k)
        if key not in seen:
            seen.add(key)
            deps.append((t, int(j), int(k)))
    model = FactorGraph.from_parameters(
        rng.normal(0.7, 0.6, M),
        dependencies=deps,
        dependency_weights=rng.normal(0, 1.5, len(deps)),
        propensity=rng.normal(-1, 0.5, (M, 2)),
        class_balance=rng.normal(0, 0.3, 2),
    )
    reference = FactorGraph.from_parameters(rng.normal(0.7, 0.6, M), propensity=rng.normal(-1, 0.5, M))
    return model, reference


@pytest.mark.parametrize("seed", range(40))
def test_corrected_bounds_hold_on_every_vote_pattern(seed):
    model, reference = _random_pair(seed, DEPENDENCY_TYPES)
    report = misspecification_bounds(model, reference, ALL_VOTES)
    assert report.holds, report.to_markdown()
    assert report.posterior_gap_mean <= report.posterior_gap_max <= report.posterior_bound


@pytest.mark.parametrize("seed", range(20))
def test_paper_bounds_hold_for_fixing_and_reinforcing(seed):
    model, reference = _random_pair(seed, ("fixing", "reinforcing", "similar"))
    model.class_balance_ = np.zeros(2)
    reference.class_balance_ = np.zeros(2)
    report = misspecification_bounds(model, reference, ALL_VOTES)
    assert all(c["paper"] for c in report.checks.values()), report.to_markdown()


def test_paper_posterior_bound_fails_for_priority():
    report = priority_counterexample()
    assert report.posterior_gap_max == pytest.approx(1 / (1 + np.exp(-0.8)) - 0.5)
    assert report.posterior_bound_paper == pytest.approx(0.1)
    assert not report.checks["posterior"]["paper"]
    assert report.checks["posterior"]["corrected"] and report.posterior_bound == pytest.approx(0.2)


def test_bounds_on_fitted_models_and_report():
    truth = FactorGraph.from_parameters(
        [1.0, 0.8, 0.6, 1.1],
        dependencies=[("negated", 0, 1), ("fixing", 2, 3)],
        dependency_weights=[1.0, 1.2],
        propensity=np.full(4, -0.8),
    )
    L, y = truth.sample(4000, seed=0)
    dep = FactorGraph(dependencies=[("negated", 0, 1), ("fixing", 2, 3)]).fit(L)
    ind = FactorGraph().fit(L)
    pred = dep.predict(L)
    report = misspecification_bounds(dep, ind, L, y=y, pred=pred, pred_oracle=y)
    assert report.holds
    assert report.excess_risk == pytest.approx((pred != y).mean())
    assert report.dependency_l1 == pytest.approx(np.abs(dep.dependency_weights_).sum())
    assert report.accuracy_l1 == pytest.approx(np.abs(dep.accuracy_ - ind.accuracy_).sum())
    text = report.to_markdown()
    assert "paper RHS" in text and "corrected RHS" in text
    assert set(report.to_dict()["checks"]) == {"posterior", "kl", "risk"}


def test_bound_errors():
    two = FactorGraph.from_parameters([1.0, 1.0])
    three = FactorGraph.from_parameters([1.0, 1.0], n_classes=3)
    with pytest.raises(SpecError, match="binary"):
        misspecification_bounds(three, three, np.array([[0, 1]]))
    with pytest.raises(SpecError, match="LFs"):
        misspecification_bounds(two, FactorGraph.from_parameters([1.0, 1.0, 1.0]), np.array([[0, 1]]))
    with pytest.raises(DataError):
        misspecification_bounds(two, two, np.array([[0, 1]]), y=np.array([1]))
