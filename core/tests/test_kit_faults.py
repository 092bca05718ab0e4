"""The conformance kit catches each planted fault: one deliberately broken plugin per fault.

Every broken plugin differs from a correct one (which passes every check) by one bug, and the
test asserts that the checks for that bug, and only those, fail, with a message that names it.
"""

import importlib.util

import pytest
from weasul.errors import SpecError
from weasul.testing import checks_for
from weasul.testing.params import _params
from weasul_registry.testing import fake_distribution

GOOD = '''
import numpy as np

from weasul import LabelModel, LabelModelParams, QueryParams, QueryStrategy
from weasul.validation import check_label_matrix


class GoodVote(LabelModel):
    """Majority vote, uniform where every source abstains; checks its inputs."""

    class Params(LabelModelParams):
        pass

    params: Params

    def n_classes_for(self, L):
        return self.params.n_classes or int(L.max()) + 1

    def fit(self, L, *, y_dev=None, expert=None):
        L = check_label_matrix(L, n_classes=self.params.n_classes)
        self.n_classes_ = self.n_classes_for(L)
        self.n_sources_ = L.shape[1]
        return self

    def check_predict(self, L):
        return check_label_matrix(
            L, n_classes=self.n_classes_, n_sources=self.n_sources_, allow_silent_sources=True,
            allow_no_votes=True,
        )

    def predict_proba(self, L):
        self.check_fitted()
        L = self.check_predict(L)
        votes = np.stack([(L == c).sum(axis=1) for c in range(self.n_classes_)], axis=1) + 1e-3
        return votes / votes.sum(axis=1, keepdims=True)


class GoodFirst(QueryStrategy):
    """Least confident unlabelled items first."""

    class Params(QueryParams):
        pass

    params: Params

    def pick(self, state):
        return state.unlabelled()

    def select(self, state, budget):
        pool = self.pick(state)
        confidence = np.asarray(state.probs)[pool].max(axis=1)
        return pool[np.argsort(confidence, kind="stable")[:budget]].astype(np.int64)
'''

#: the heavy module the first fault imports: pandas (optional in core now), else another one
HEAVY = next(m for m in ("pandas", "pyarrow", "sklearn", "torch") if importlib.util.find_spec(m))

FAULTS = {
    # 1. a heavy library imported at the top of the entry-point module
    "kit_fault_heavy": f"""
import {HEAVY}  # noqa: F401  (the planted fault)

from kit_good import GoodVote


class HeavyVote(GoodVote):
    pass
""",
    # 2. fit sorts each row of the caller's L in place (the votes, hence the output, are the same)
    "kit_fault_mutates": """
from kit_good import GoodVote
from weasul.validation import check_label_matrix


class MutatingVote(GoodVote):
    def fit(self, L, *, y_dev=None, expert=None):
        L = check_label_matrix(L)  # returns the caller's int64 array itself
        L.sort(axis=1)  # meant for a row-wise median, but sorts the caller's matrix
        return super().fit(L)
""",
    # 3. predict_proba accepts any number of sources
    "kit_fault_sources": """
from kit_good import GoodVote
from weasul.validation import check_label_matrix


class AnySourcesVote(GoodVote):
    def check_predict(self, L):
        return check_label_matrix(L, n_classes=self.n_classes_, allow_silent_sources=True)
""",
    # 4. K is taken from the classes seen in L, ignoring n_classes
    "kit_fault_classes": """
from kit_good import GoodVote


class IgnoresNClassesVote(GoodVote):
    def n_classes_for(self, L):
        return int(L.max()) + 1
""",
    # 5. the strategy does not leave out the labelled items
    "kit_fault_labelled": """
import numpy as np

from kit_good import GoodFirst


class PicksLabelledFirst(GoodFirst):
    def pick(self, state):
        return np.arange(len(state.L))
""",
    # 6. a step that refits the caller's model in place (the API-1 active loop's bug)
    "kit_fault_step": """
from weasul.data import ExpertLabels
from weasul.steps import ActiveLoopStep, fit_split

from kit_good import GoodFirst


class InPlaceLoopStep(ActiveLoopStep):
    def run(self, plugin, inputs, ctx):
        out = super().run(plugin, inputs, ctx)
        queried = out.artifacts["queried"][ctx.fit_on]
        answers = ExpertLabels(queried, inputs["oracle"].label(queried))
        inputs["model"].fit(fit_split(inputs["L"], ctx, "L"), expert=answers)
        return out


class RefitsCallersModel(GoodFirst):
    step = InPlaceLoopStep
""",
}

ENTRY_POINTS = {
    "weasul.label_models": {
        "good-vote": "kit_good:GoodVote",
        "heavy-vote": "kit_fault_heavy:HeavyVote",
        "mutating-vote": "kit_fault_mutates:MutatingVote",
        "any-sources-vote": "kit_fault_sources:AnySourcesVote",
        "ignores-n-classes-vote": "kit_fault_classes:IgnoresNClassesVote",
    },
    "weasul.query_strategies": {
        "good-first": "kit_good:GoodFirst",
        "picks-labelled-first": "kit_fault_labelled:PicksLabelledFirst",
        "refits-callers-model": "kit_fault_step:RefitsCallersModel",
    },
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """The plugins above, installed as the throwaway distribution `weasul-kit-faults`."""
    import importlib

    root = tmp_path_factory.mktemp("kit_faults")
    with fake_distribution(root, "weasul-kit-faults", ENTRY_POINTS, {"kit_good": GOOD, **FAULTS}):
        yield {
            name: getattr(importlib.import_module(target.split(":")[0]), target.split(":")[1])
            for eps in ENTRY_POINTS.values()
            for name, target in eps.items()
        }


def _failures(plugin):
    """check name -> assertion message, for every check of `plugin` that fails."""
    failed = {}
    for check in checks_for(plugin):
        try:
            check(plugin)
        except AssertionError as err:
            failed[check.__name__] = str(err)
    return failed


@pytest.mark.parametrize("name", ["good-vote", "good-first"])
def test_the_correct_plugins_pass_every_check(broken, name):
    plugin = broken[name]()
    assert len(checks_for(plugin)) >= 8
    assert _failures(plugin) == {}


@pytest.mark.parametrize(
    "name, failing, words",
    [
        ("heavy-vote", ["check_light_import"], ["kit_fault_heavy", HEAVY]),
        # the step fits on the caller's L too, so the step check sees the change as well
        (
            "mutating-vote",
            ["check_inputs_unchanged", "check_step_inputs_unchanged"],
            ["fit()", "'L'", "in place"],
        ),
        ("any-sources-vote", ["check_label_model_n_sources"], ["4 sources", "fit() on 5"]),
        ("ignores-n-classes-vote", ["check_label_model_n_classes"], ["n_classes=3", "(300, 3)"]),
        ("picks-labelled-first", ["check_query_select"], ["already labelled"]),
        (
            "refits-callers-model",
            ["check_step_inputs_unchanged"],
            ["step InPlaceLoopStep of RefitsCallersModel", "changed its input(s) model"],
        ),
    ],
)
def test_each_planted_fault_fails_its_check(broken, name, failing, words):
    failed = _failures(broken[name]())
    assert sorted(failed) == sorted(failing), failed
    for word in words:
        assert word in failed[failing[0]], failed[failing[0]]


def test_the_query_check_grows_a_random_labelled_set(broken, monkeypatch):
    """A strategy that only avoids a fixed set (the kit's old items 5 and 7) is caught too."""
    seen = []
    strategy = broken["good-first"]()
    select = type(strategy).select

    def spy(self, state, budget):
        seen.append(sorted(state.labelled))
        return select(self, state, budget)

    monkeypatch.setattr(type(strategy), "select", spy)
    _check("check_query_select", strategy)(strategy)
    sizes = [len(labelled) for labelled in seen]
    assert sizes == sorted(sizes) and sizes[0] >= 10 and sizes[-1] > sizes[0]
    assert seen[0] != [5, 7] and all(set(a) < set(b) for a, b in zip(seen[:-1], seen[1:], strict=True))


def _check(name, plugin):
    (check,) = [c for c in checks_for(plugin) if c.__name__ == name]
    return check


def test_a_misspelled_expected_failure_names_the_checks(broken):
    plugin = broken["good-vote"]()
    with pytest.raises(SpecError) as err:
        _params([plugin], {"check_determinstic": "samples by design"})
    message = str(err.value)
    assert "check_determinstic" in message and "check the spelling" in message
    assert "check_deterministic" in message and "check_label_model_n_sources" in message


def test_expected_failures_by_check_or_id_become_strict_xfails(broken):
    plugin = broken["good-vote"]()
    params = _params([plugin], {"check_deterministic": "why", "good-vote-check_save_load": "why not"})
    marked = {p.id: [m.kwargs for m in p.marks] for p in params if p.marks}
    assert marked == {
        "good-vote-check_deterministic": [{"strict": True, "reason": "why"}],
        "good-vote-check_save_load": [{"strict": True, "reason": "why not"}],
    }
