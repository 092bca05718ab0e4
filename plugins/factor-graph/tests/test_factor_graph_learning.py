"""Structure learning (Bach et al. 2017), the gold strength proxy, and the structure step."""

import numpy as np
import pandas as pd
import pytest
from weasul.errors import DataError, SpecError
from weasul.steps import StepContext, run_step
from weasul_factor_graph import (
    FactorGraph,
    FactorGraphStructure,
    dependency_strengths,
    learn_structure,
    top_dependencies,
)
from weasul_factor_graph.learning import pseudolikelihood_weights


@pytest.fixture(scope="module")
def planted():
    """8 LFs; LF 1 reinforces LF 0 and LF 3 fixes LF 2; the rest independent given y."""
    acc = np.array([1.0, 0.8, 0.6, 1.2, 0.5, 0.9, 0.7, 1.1])
    truth = FactorGraph.from_parameters(
        acc,
        dependencies=[("reinforcing", 0, 1), ("fixing", 2, 3)],
        dependency_weights=[1.5, 1.5],
        propensity=np.full(8, -1.0),
    )
    return truth.sample(5000, seed=1)


def test_structure_learning_finds_the_planted_dependencies(planted):
    L, _ = planted
    table = learn_structure(L, threshold=0.02)
    pairs = {frozenset((j, k)) for j, k in zip(table["j"], table["k"], strict=True)}
    assert {frozenset((0, 1)), frozenset((2, 3))} <= pairs
    assert pairs <= {frozenset((0, 1)), frozenset((2, 3))}, table
    top = table.iloc[0]
    assert (top["type"], top["j"], top["k"]) == ("fixing", 2, 3)
    assert list(table.columns) == ["type", "j", "k", "weight"]


def test_lower_thresholds_return_more_dependencies(planted):
    L, _ = planted
    counts = [len(learn_structure(L, threshold=t)) for t in (0.2, 0.02, 0.002)]
    assert counts == sorted(counts) and counts[0] < counts[-1]


def test_pseudolikelihood_keys_cover_every_candidate(planted):
    L, _ = planted
    weights = pseudolikelihood_weights(L[:500], types=("similar", "priority"), l1=0.01)
    m = L.shape[1]
    assert len(weights) == m * (m - 1) // 2 + m * (m - 1)
    assert all(j < k for t, j, k in weights if t == "similar")


def test_structure_learning_errors():
    L = np.array([[0, 1, -1], [1, 1, 0], [-1, 0, 0]])
    with pytest.raises(SpecError):
        learn_structure(L, types=("fixin",))
    with pytest.raises(SpecError):
        learn_structure(L, threshold=-1)
    with pytest.raises(DataError):
        learn_structure(np.full((3, 3), -1))


def test_strength_proxy_by_hand():
    # LF 1 fixes LF 0 on row 0 (+1), both right on row 1; LF 0 abstains while 1 votes on row 2 (-1)
    L = np.array([[0, 1], [1, 1], [-1, 0], [-1, -1]])
    y = np.array([1, 1, 0, 0])
    s = dependency_strengths(
        L, y, types=("fixing", "reinforcing", "priority", "bolstering", "negated", "similar")
    )
    v = {(t, j, k): val for t, j, k, val in s[["type", "j", "k", "v"]].itertuples(index=False)}
    assert v[("fixing", 0, 1)] == 1 - 1
    assert v[("reinforcing", 0, 1)] == 1 - 1
    assert v[("priority", 0, 1)] == 1
    assert v[("priority", 1, 0)] == -1
    assert v[("bolstering", 0, 1)] == 1 - 1  # both right (+1), disagreement (-1)
    assert v[("negated", 0, 1)] == 1 - 1  # fixes on row 0, same vote on row 1
    assert v[("similar", 0, 1)] == 2
    assert ("bolstering", 1, 0) not in v  # symmetric types list j < k once


def test_top_dependencies_per_type():
    s = pd.DataFrame(
        {
            "type": ["fixing"] * 3 + ["priority"] * 2,
            "j": [0, 1, 2, 0, 3],
            "k": [1, 2, 3, 2, 1],
            "v": [5, 9, -1, 0, 4],
        }
    )
    assert top_dependencies(s, 2) == [("fixing", 1, 2), ("fixing", 0, 1), ("priority", 3, 1)]
    assert top_dependencies(s, 5, types=["fixing"], positive_only=False) == [
        ("fixing", 1, 2),
        ("fixing", 0, 1),
        ("fixing", 2, 3),
    ]
    with pytest.raises(DataError):
        top_dependencies(s.drop(columns="v"), 1)


def test_structure_step_gold_proxy(planted, tmp_path):
    L, y = planted
    step = FactorGraphStructure(method="gold-proxy", top_d=1)
    with pytest.raises(DataError, match="y_dev"):
        step.clone().fit(L)
    out = run_step(step,
        {"L": {"train": L[:3000], "test": L[3000:]}, "y": {"train": y[:3000], "test": y[3000:]}},
        StepContext("sl", tmp_path),
    )
    deps = out.artifacts["dependencies"]["train"]
    assert list(deps.columns) == ["type", "j", "k", "strength", "weight"]
    assert len(deps) == 5 and (deps["strength"] > 0).all()
    chosen = {(t, j, k) for t, j, k in deps[["type", "j", "k"]].itertuples(index=False)}
    assert ("fixing", 2, 3) in chosen and ("reinforcing", 0, 1) in chosen
    assert out.metrics["test"]["accuracy"] > 0.9
    # the table feeds a factor-graph step's `dependencies` input
    follow = FactorGraph(dependencies=out.artifacts["dependencies"])
    assert len(follow.params.dependencies) == 5


def test_structure_step_pseudolikelihood(planted):
    L, _ = planted
    model = FactorGraphStructure(threshold=0.02, dependencies=[("negated", 4, 5)]).fit(L)
    table = model.structure_table()
    assert {frozenset((j, k)) for j, k in zip(table["j"], table["k"], strict=True)} == {
        frozenset((0, 1)),
        frozenset((2, 3)),
    }
    assert ["negated", 4, 5] in model.dependencies_  # given dependencies are kept
    assert len(model.dependencies_) == len(table) + 1
