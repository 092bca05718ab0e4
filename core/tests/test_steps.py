"""Steps apart from the interfaces: routing of step-only params, declared inputs, immutability."""

import numpy as np
import pytest
import weasul
from weasul.engine import validate
from weasul.errors import PluginContractError, SpecError
from weasul.interfaces import Encoder
from weasul.steps import ActiveLoopStep, GroupEncoderStep, LabelModelStep, StepContext, run_step, step_class
from weasul_registry.testing import fake_distribution

MUTATING = '''
import numpy as np
from weasul.steps import LabelModelStep
from weasul_toy_vote.toy_vote import ToyVoteLabelModel


class SortsItsInputStep(LabelModelStep):
    """A third-party step that 'cleans' the label matrix in place."""

    def run(self, plugin, inputs, ctx):
        out = super().run(plugin, inputs, ctx)
        inputs["L"]["train"].sort(axis=1)
        return out


class MutatingVote(ToyVoteLabelModel):
    step = SortsItsInputStep
'''


def test_interfaces_hold_no_engine_code():
    from weasul.interfaces import INTERFACES

    for cls in INTERFACES.values():
        for name in ("step_inputs", "step_outputs", "run_step"):
            assert not hasattr(cls, name), f"{cls.__name__}.{name}"
    assert step_class(weasul.LabelModel) is LabelModelStep
    assert step_class(weasul.QueryStrategy) is ActiveLoopStep


def test_step_only_params_go_to_the_step(toy_plugins, toy_spec, npy_data):
    plan = validate(toy_spec(npy_data))
    loop = plan.steps[-1]
    assert loop.step_params == {"budget": 5, "batch": 2} and "budget" not in loop.params
    spec = toy_spec(npy_data)
    spec["steps"][-1]["params"]["budjet"] = 3
    with pytest.raises(SpecError, match="budjet: unknown parameter"):
        validate(spec)


def test_an_undeclared_input_never_fills_params(toy_plugins, toy_spec, npy_data):
    spec = toy_spec(npy_data)
    spec["steps"][0]["inputs"]["seed"] = "data.train.y"  # `seed` is a Params field, not an input
    with pytest.raises(SpecError, match="takes no input 'seed'"):
        validate(spec)


def test_a_step_that_changes_its_input_is_refused(toy_plugins, toy_spec, npy_data, tmp_path):
    eps = {"weasul.label_models": {"mutating-vote": "toy_mutating:MutatingVote"}}
    with fake_distribution(tmp_path / "dist", "weasul-mutating", eps, {"toy_mutating": MUTATING}):
        spec = toy_spec(npy_data)
        spec["steps"][0]["use"] = "label_models/mutating-vote"
        with pytest.raises(PluginContractError, match=r"step 'lm' \(SortsItsInputStep .*changed its input\(s\) L"):
            weasul.run(spec, runs_dir=tmp_path / "runs")


def test_run_step_outside_a_spec_checks_inputs_too(toy_plugins, tmp_path):
    from weasul.testing import samples
    from weasul_toy_vote.toy_vote import ToyVoteLabelModel

    L, y = samples.label_matrix(n=200, seed=0)
    out = run_step(ToyVoteLabelModel(), {"L": {"train": L}, "y": {"train": y}}, StepContext("lm", tmp_path))
    assert out.metrics["train"]["accuracy"] > 0.8
    assert set(out.artifacts) == set(LabelModelStep.outputs)


def test_active_loop_refits_a_copy_of_the_model(toy_plugins, toy_spec, npy_data, tmp_path):
    result = weasul.run(toy_spec(npy_data), runs_dir=tmp_path / "runs")
    lm, refit = result.artifacts["lm.model"], result.artifacts["loop.model"]
    assert lm is not refit
    L = np.load(npy_data / "L_train.npy")
    np.testing.assert_array_equal(lm.predict_proba(L), result.artifacts["lm.probs"]["train"])


def test_a_plugin_and_its_step_may_not_share_a_param(toy_plugins, toy_spec, npy_data, tmp_path):
    source = '''
from weasul import QueryParams
from weasul_toy_first.toy_first import ToyFirstQueryStrategy


class Greedy(ToyFirstQueryStrategy):
    class Params(QueryParams):
        budget: int = 3
'''
    eps = {"weasul.query_strategies": {"greedy": "toy_greedy:Greedy"}}
    with fake_distribution(tmp_path / "dist", "weasul-greedy", eps, {"toy_greedy": source}):
        spec = toy_spec(npy_data)
        spec["steps"][-1]["use"] = "query_strategies/greedy"
        with pytest.raises(PluginContractError, match="both declare budget"):
            validate(spec)


class _GroupCentre(Encoder):
    """Subtracts the mean of the group means (the plain mean without groups)."""

    step = GroupEncoderStep
    persistable = False

    def fit(self, X, y=None, *, groups=None):
        X = np.asarray(X, dtype=float)
        self.groups_ = None if groups is None else np.array(groups)
        if groups is None:
            self.mean_ = X.mean(axis=0)
        else:
            self.mean_ = np.mean([X[groups == g].mean(axis=0) for g in np.unique(groups)], axis=0)
        return self

    def encode(self, X):
        return np.asarray(X, dtype=float) - self.mean_


def test_group_encoder_step_fits_on_the_fit_split_groups_and_encodes_every_split(tmp_path):
    X = {"train": np.array([[0.0], [0.0], [0.0], [6.0]]), "test": np.array([[3.0], [1.0]])}
    groups = {"train": np.array([0, 0, 0, 1]), "test": np.array([5, 5])}
    assert step_class(_GroupCentre) is GroupEncoderStep and set(GroupEncoderStep.inputs) == {"X", "groups"}
    out = run_step(_GroupCentre(), {"X": X, "groups": groups}, StepContext("enc", tmp_path))
    model = out.artifacts["model"]
    np.testing.assert_array_equal(model.groups_, groups["train"])
    np.testing.assert_array_equal(out.artifacts["X"]["test"], [[0.0], [-2.0]])  # group means 0 and 6
    np.testing.assert_array_equal(out.artifacts["X"]["train"], [[-3.0], [-3.0], [-3.0], [3.0]])
    alone = run_step(_GroupCentre(), {"X": X}, StepContext("enc", tmp_path)).artifacts
    assert alone["model"].groups_ is None
    np.testing.assert_array_equal(alone["X"]["test"], [[1.5], [-0.5]])  # plain mean 1.5
