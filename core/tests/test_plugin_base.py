"""The plugin base: params, contracts at class creation, clone, save/load, create()."""

import numpy as np
import pytest
import weasul
from weasul import LabelModel, LabelModelParams, NotFittedError, PluginContractError, SpecError


class Vote(LabelModel):
    class Params(LabelModelParams):
        smoothing: float = 1.0

    def fit(self, L, *, y_dev=None, expert=None):
        self.weights_ = np.ones(np.asarray(L).shape[1])
        self.n_classes_ = 2
        return self

    def predict_proba(self, L):
        self.check_fitted()
        votes = (
            np.stack([(np.asarray(L) == c) @ self.weights_ for c in range(2)], axis=1) + self.params.smoothing
        )
        return votes / votes.sum(axis=1, keepdims=True)


def test_params_from_fields_or_model():
    assert Vote(smoothing=2.0).params.smoothing == 2.0
    assert Vote(Vote.Params(smoothing=3.0)).params.smoothing == 3.0
    with pytest.raises(SpecError, match="Vote.params.smoothing"):
        Vote(smoothing="a lot")
    with pytest.raises(SpecError, match="params.smothing"):
        Vote(smothing=1.0)


def test_params_are_frozen():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="frozen"):
        Vote().params.smoothing = 5.0


def test_defining_init_is_refused():
    with pytest.raises(PluginContractError, match="defines __init__"):

        class Bad(Vote):
            def __init__(self):
                pass


def test_params_must_be_weasul_params():
    with pytest.raises(PluginContractError, match="Params must subclass"):

        class Bad(Vote):
            class Params:
                pass


def test_not_fitted_then_clone_and_save_load(tmp_path):
    model = Vote(smoothing=0.5)
    with pytest.raises(NotFittedError):
        model.predict_proba(np.zeros((2, 3), dtype=int))
    L = np.array([[0, 1, 1], [1, -1, -1]])
    model.fit(L)
    assert not model.clone().fitted_state()
    path = model.save(tmp_path / "m.safetensors")
    loaded = Vote.load(path)
    assert loaded.params == model.params
    assert np.allclose(loaded.predict_proba(L), model.predict_proba(L))


def test_load_refuses_foreign_file(tmp_path):
    from safetensors.numpy import save_file

    save_file({"x": np.zeros(2)}, str(tmp_path / "x.safetensors"))
    with pytest.raises(weasul.DataError, match="not written by a weasul plugin"):
        Vote.load(tmp_path / "x.safetensors")


def test_create_and_available(toy_plugins):
    model = weasul.create("label_models", "toy-vote", seed=1)
    assert model.params.seed == 1
    names = {i.name for i in weasul.available("label_models")}
    assert {"toy-vote", "flaky-vote"} <= names
    with pytest.raises(weasul.PluginNotFoundError, match="did you mean 'toy-vote'"):
        weasul.create("label_models", "toy_vote")
    with pytest.raises(SpecError, match="unknown plugin group"):
        weasul.create("label_model", "toy-vote")


def test_wrong_api_version_or_base_is_refused(tmp_path):
    from weasul_registry.testing import fake_distribution

    source = (
        "import weasul\n"
        "class Old(weasul.LabelModel):\n"
        "    api_version = 1\n"
        "    step_inputs = {}\n"
        "    def fit(self, L, *, y_dev=None, expert=None): return self\n"
        "    def predict_proba(self, L): return L\n"
        "    def run_step(self, inputs, ctx): return None\n"
        "class NotAPlugin:\n    pass\n"
    )
    eps = {"weasul.label_models": {"old": "api_old:Old", "stranger": "api_old:NotAPlugin"}}
    with fake_distribution(tmp_path, "weasul-old", eps, {"api_old": source}):
        with pytest.raises(PluginContractError, match="targets weasul plugin API 1, this core implements 2") as err:
            weasul.create("label_models", "old")
        assert "`weasul.steps.Step` subclass named by `step = MyStep`" in str(err.value)
        with pytest.raises(PluginContractError, match="not a subclass of weasul.LabelModel"):
            weasul.create("label_models", "stranger")
        statuses = {i.name: i.status for i in weasul.available("label_models")}
        assert statuses["old"] == statuses["stranger"] == "incompatible"


def test_api_2_plugin_with_api_1_step_code_is_refused_when_defined():
    with pytest.raises(PluginContractError, match="defines step_outputs, run_step \\(plugin API 1\\)"):

        class Stale(LabelModel):
            step_outputs = {"probs": "probs"}

            def fit(self, L, *, y_dev=None, expert=None):
                return self

            def predict_proba(self, L):
                return L

            def run_step(self, inputs, ctx):
                return None


def test_create_is_typed_for_every_group():
    """`weasul.create("datasets", ...)` is a DatasetLoader for type checkers, and so on per group."""
    import typing

    if not hasattr(typing, "get_overloads"):
        pytest.skip("typing.get_overloads needs Python 3.11")
    from weasul.interfaces import INTERFACES
    from weasul.plugins import create

    typed = {}
    for overload in typing.get_overloads(create):
        group, returns = overload.__annotations__["group"], overload.__annotations__["return"]
        if group.startswith("Literal["):
            typed[group[len("Literal["):-1].strip("'\"")] = returns
    assert typed == {group: cls.__name__ for group, cls in INTERFACES.items()}
