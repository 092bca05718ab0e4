"""Exact inference against brute force, gradients against finite differences, the sampler."""

import itertools

import numpy as np
import pytest
from weasul_factor_graph._inference import Engine, Layout, Params, logsumexp
from weasul_factor_graph.model import FactorGraph
from weasul_factor_graph.structure import DependencyStructure

TREE = [
    ("reinforcing", 0, 1),
    ("fixing", 1, 2),
    ("priority", 3, 2),
    ("bolstering", 3, 4),
    ("negated", 5, 4),
    ("similar", 0, 1),
]
CYCLE = TREE + [("priority", 0, 5)]


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("deps,kind", [(TREE, "tree"), (CYCLE, "enumerate"), ([], None)])
@pytest.mark.parametrize("propensity", ["class", "votes"])
def test_log_partition_and_gradient_are_exact(k, deps, kind, propensity):
    m = 6
    engine = Engine(DependencyStructure(deps, m), k, 10**6)
    assert [c.kind for c in engine.components] == ([kind] if kind else [])
    layout = Layout(m, len(deps), k, propensity, True)
    rng = np.random.default_rng(k)
    theta = rng.normal(0, 0.7, layout.size)
    prm = Params.unpack(theta, layout, np.zeros(k))
    logz, grad, py = engine.log_partition(prm, layout)
    states = np.array(list(itertools.product(range(k + 1), repeat=m)))
    energy = Engine.energies(engine.row_features(states), prm)
    assert logz == pytest.approx(float(logsumexp(energy.ravel(), axis=0)), abs=1e-9)
    assert py == pytest.approx(np.exp(logsumexp(energy, axis=0) - logz), abs=1e-9)

    def f(t):
        return engine.log_partition(Params.unpack(t, layout, np.zeros(k)), layout)[0]

    eye = np.eye(layout.size) * 1e-5
    numeric = np.array([(f(theta + e) - f(theta - e)) / 2e-5 for e in eye])
    assert np.abs(numeric - grad).max() < 1e-6


def test_data_term_gradient():
    m, k = 5, 2
    deps = [("negated", 0, 1), ("bolstering", 2, 3)]
    engine = Engine(DependencyStructure(deps, m), k, 4096)
    layout = Layout(m, len(deps), k, "class", True)
    rng = np.random.default_rng(0)
    S = rng.integers(0, k + 1, (40, m))
    feats = engine.row_features(S)
    w = rng.random(40) + 0.5
    theta = rng.normal(0, 0.5, layout.size)
    val, grad, _ = engine.data_term(feats, w, Params.unpack(theta, layout, np.zeros(k)), layout)

    def f(t):
        return engine.data_term(feats, w, Params.unpack(t, layout, np.zeros(k)), layout)[0]

    eye = np.eye(layout.size) * 1e-6
    numeric = np.array([(f(theta + e) - f(theta - e)) / 2e-6 for e in eye])
    assert np.abs(numeric - grad).max() < 1e-7


@pytest.mark.parametrize("deps", [TREE, CYCLE])
def test_exact_sampler_matches_model_marginals(deps):
    acc = np.array([1.0, 0.5, 0.8, 0.3, 1.2, 0.7])
    model = FactorGraph.from_parameters(
        acc,
        dependencies=deps,
        dependency_weights=np.linspace(0.5, 1.5, len(deps)),
        propensity=np.full(6, -0.8),
    )
    L, y = model.sample(60_000, seed=3)
    voted = L != -1
    empirical = ((L == y[:, None]) & voted).sum(0) / voted.sum(0)
    assert np.abs(empirical - model.lf_accuracies()).max() < 0.01
    # the empirical log-likelihood of the sample is close to the model's own
    assert model.log_likelihood(L) == pytest.approx(
        model.log_likelihood(model.sample(60_000, seed=4)[0]), abs=0.02
    )
