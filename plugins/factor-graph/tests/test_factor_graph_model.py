"""FactorGraph: recovery on generated data, Gibbs vs exact, errors, inspection, steps."""

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from weasul.errors import DataError, NotFittedError, SpecError, WeasulError
from weasul.steps import StepContext, run_step
from weasul_factor_graph import FactorGraph
from weasul_factor_graph.experiments.synthetic import (
    TRUE_ACCURACY,
    TRUE_DEPENDENCIES,
    TRUE_DEPENDENCY_WEIGHTS,
    true_model,
)


@pytest.fixture(scope="module")
def generated():
    truth = true_model()
    L, y = truth.sample(20_000, seed=0)
    L_test, y_test = truth.sample(20_000, seed=1)
    return truth, L, y, L_test, y_test


@pytest.fixture(scope="module")
def fitted(generated):
    _, L, *_ = generated
    return {
        "deps": FactorGraph(dependencies=TRUE_DEPENDENCIES, l2=1e-4, propensity="votes").fit(L),
        "indep": FactorGraph(l2=1e-4, propensity="votes").fit(L),
        "default": FactorGraph(dependencies=TRUE_DEPENDENCIES).fit(L),
    }


def test_recovers_accuracies_and_dependencies(generated, fitted):
    truth = generated[0]
    model = fitted["deps"]
    assert model.inference_ == "exact"
    assert np.abs(model.lf_accuracies() - truth.lf_accuracies()).max() < 0.05
    assert np.abs(model.accuracy_ - TRUE_ACCURACY).max() < 0.1
    assert np.abs(model.dependency_weights_ - TRUE_DEPENDENCY_WEIGHTS).max() < 0.1
    # default settings (class propensity, a prior of weight 1 item toward the accuracy prior) also recover them
    assert np.abs(fitted["default"].lf_accuracies() - truth.lf_accuracies()).max() < 0.05


def test_true_dependencies_beat_the_independent_model(generated, fitted):
    truth, _, _, L_test, y_test = generated

    def log_loss(model):
        P = model.predict_proba(L_test)
        return -np.log(P[np.arange(len(y_test)), y_test]).mean()

    deps, indep, best = log_loss(fitted["deps"]), log_loss(fitted["indep"]), log_loss(truth)
    assert deps < indep - 0.005
    assert deps == pytest.approx(best, abs=0.002)
    assert fitted["deps"].log_likelihood(L_test) > fitted["indep"].log_likelihood(L_test)


def test_gibbs_agrees_with_exact(generated, fitted):
    _, L, *_ = generated
    gibbs = FactorGraph(
        dependencies=TRUE_DEPENDENCIES,
        l2=1e-4,
        propensity="votes",
        inference="gibbs",
        epochs=250,
        n_chains=1000,
    ).fit(L[:5000])
    exact = FactorGraph(dependencies=TRUE_DEPENDENCIES, l2=1e-4, propensity="votes").fit(L[:5000])
    assert gibbs.inference_ == "gibbs"
    assert np.abs(gibbs.accuracy_ - exact.accuracy_).max() < 0.12
    assert np.abs(gibbs.dependency_weights_ - exact.dependency_weights_).max() < 0.15
    assert np.abs(gibbs.predict_proba(L[:2000]) - exact.predict_proba(L[:2000])).max() < 0.08


def test_auto_switches_to_gibbs_for_large_cycles():
    rng = np.random.default_rng(0)
    L = np.where(rng.random((500, 8)) < 0.5, rng.integers(0, 2, (500, 8)), -1)
    ring = [("reinforcing", j, (j + 1) % 8) for j in range(8)]
    model = FactorGraph(dependencies=ring, epochs=20, n_chains=100).fit(L)
    assert model.inference_ == "gibbs"
    small = FactorGraph(dependencies=ring[:3] + [("fixing", 3, 0)]).fit(L)  # a 4-cycle: enumerated
    assert small.inference_ == "exact"
    assert np.allclose(model.predict_proba(L).sum(axis=1), 1)


def test_multiclass_with_dependencies():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 2000)
    votes = np.where(rng.random((2000, 6)) < 0.75, y[:, None], rng.integers(0, 3, (2000, 6)))
    L = np.where(rng.random((2000, 6)) < 0.6, votes, -1)
    model = FactorGraph(n_classes=3, dependencies=[("bolstering", 0, 1), ("priority", 2, 3)]).fit(L)
    P = model.predict_proba(L)
    assert P.shape == (2000, 3) and np.allclose(P.sum(1), 1)
    covered = (L != -1).any(axis=1)
    assert (P.argmax(1) == y)[covered].mean() > 0.8


def test_all_abstain_rows_get_the_class_balance():
    L = true_model().sample(2000, seed=5)[0]
    model = FactorGraph(class_prior=[0.3, 0.7], dependencies=[("fixing", 2, 3)]).fit(L)
    P = model.predict_proba(np.full((4, 10), -1))
    assert np.allclose(P, [[0.3, 0.7]] * 4)


@pytest.mark.parametrize(
    "deps,fragment",
    [
        ([("fixin", 0, 1)], "did you mean 'fixing'"),
        ([("correlation", 0, 1)], "unknown dependency type"),
        ([("fixing", 2, 2)], "cannot depend on itself"),
        ([("fixing", -1, 2)], "negative"),
        ([("fixing", 0, 1), ("fixing", 0, 1)], "repeats"),
        ([("bolstering", 0, 1), ("bolstering", 1, 0)], "repeats"),
        ([("fixing", 0.5, 1)], "not an integer"),
        ([("fixing", 0)], "not a (type, j, k) triple"),
    ],
)
def test_bad_dependencies_are_spec_errors(deps, fragment):
    with pytest.raises(SpecError, match=None) as info:
        FactorGraph(dependencies=deps)
    assert fragment in str(info.value)


def test_out_of_range_index_is_reported_at_fit():
    L = true_model().sample(500, seed=0)[0]
    with pytest.raises(SpecError, match="out of range; L has 10 LFs"):
        FactorGraph(dependencies=[("reinforcing", 3, 10)]).fit(L)


def test_cycles_exact_inference_cannot_handle():
    ring = [("negated", j, (j + 1) % 12) for j in range(12)]
    with pytest.raises(SpecError, match="exact inference cannot handle the dependency cycle"):
        FactorGraph(dependencies=ring, inference="exact")
    # K is only known at fit: a 7-cycle is enumerable for K=2 (3^7 states) but not for K=3
    seven = [("fixing", j, (j + 1) % 7) for j in range(7)]
    FactorGraph(dependencies=seven, inference="exact", max_exact_states=3**7)
    rng = np.random.default_rng(0)
    L = np.where(rng.random((300, 7)) < 0.5, rng.integers(0, 3, (300, 7)), -1)
    with pytest.raises(WeasulError, match="cycle"):
        FactorGraph(dependencies=seven, inference="exact", max_exact_states=3**7).fit(L)


def test_predict_checks():
    L = true_model().sample(500, seed=0)[0]
    with pytest.raises(NotFittedError):
        FactorGraph().predict_proba(L)
    model = FactorGraph().fit(L)
    with pytest.raises(DataError, match="columns"):
        model.predict_proba(L[:, :5])
    with pytest.raises(DataError):
        model.predict_proba(np.where(L == 1, 2, L))


def test_dependencies_accept_tables_and_splitwise_inputs():
    table = pd.DataFrame({"type": ["fixing", "negated"], "j": [0, 2], "k": [1, 3], "strength": [1.0, 2.0]})
    a = FactorGraph(dependencies=table)
    b = FactorGraph(dependencies={"train": table})
    c = FactorGraph(dependencies=[{"type": "fixing", "j": 0, "k": 1}, ["negated", 2, 3]])
    assert a.params == b.params == c.params
    assert a.params.dependencies == [("fixing", 0, 1), ("negated", 2, 3)]


def test_inspection_and_persistence(tmp_path: Path, fitted, generated):
    model = fitted["deps"]
    graph = model.dependency_graph()
    assert isinstance(graph, nx.MultiGraph) and graph.number_of_nodes() == 10 and graph.number_of_edges() == 5
    data = graph.get_edge_data(4, 5)
    (edge,) = data.values()
    assert (
        edge["type"] == "priority"
        and edge["acts_on"] == 4
        and edge["weight"] == pytest.approx(model.dependency_weights_[2])
    )
    table = model.dependency_table()
    assert list(table.columns) == ["type", "j", "k", "weight"] and len(table) == 5
    path = model.save(tmp_path / "fg.safetensors")
    loaded = FactorGraph.load(path)
    L = generated[1][:300]
    assert np.allclose(loaded.predict_proba(L), model.predict_proba(L))
    assert loaded.lf_accuracies() == pytest.approx(model.lf_accuracies())


def test_run_step_outputs_dependencies(tmp_path, generated):
    L, y = generated[1], generated[2]
    model = FactorGraph(dependencies=TRUE_DEPENDENCIES)
    out = run_step(model,
        {"L": {"train": L[:3000], "test": L[3000:4000]}, "y": {"test": y[3000:4000]}},
        StepContext("fg", tmp_path),
    )
    assert set(out.artifacts) == {"probs", "pred", "model", "dependencies"}
    assert out.artifacts["dependencies"]["train"].shape == (5, 4)
    assert out.metrics["test"]["accuracy"] > 0.95
    assert out.metrics["train"]["inference"] == "exact"
