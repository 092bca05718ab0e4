"""Plugin outputs checked against their declared kinds (issue 15, item 3) and plugins or LFs
that call sys.exit (item 4): a clear error naming the step and plugin, metrics kept."""

from __future__ import annotations

import json

import numpy as np
import pytest
import weasul
from weasul import outputs
from weasul.cli import main
from weasul.errors import DataError, PluginContractError, WeasulError
from weasul_registry.testing import fake_distribution

BAD = '''
import sys

import numpy as np
from weasul import LabelModelParams
from weasul_toy_vote.toy_vote import ToyVoteLabelModel


class BadVote(ToyVoteLabelModel):
    """Toy vote with one planted fault in what it returns."""

    class Params(LabelModelParams):
        fault: str = ""

    def fit(self, L, *, y_dev=None, expert=None):
        if self.params.fault == "exit":
            sys.exit(0)
        if self.params.fault == "exit-3":
            sys.exit(3)
        return super().fit(L)

    def predict_proba(self, L):
        P = super().predict_proba(L)
        fault = self.params.fault
        if fault == "nan":
            P = P.copy()
            P[0] = np.nan
        elif fault == "unnormalised":
            P = P * 0.7
        elif fault == "rows":
            P = P[:-1]
        return P
'''


@pytest.fixture
def bad_plugin(toy_plugins, tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    with fake_distribution(
        root, "weasul-bad", {"weasul.label_models": {"bad-vote": "toy_bad:BadVote"}}, {"toy_bad": BAD}
    ):
        yield


def _spec(data, fault, gold=True):
    return {
        "weasul": 1,
        "name": "bad",
        "data": {"use": "npy", "params": {"path": str(data), "splits": ["train", "test"]}},
        "steps": [
            {"id": "good", "use": "label_models/toy-vote", "inputs": {"L": "data.L", "y": "data.y"}},
            {
                "id": "lm",
                "use": "label_models/bad-vote",
                "params": {"fault": fault},
                "inputs": {"L": "data.L", "y": "data.y"} if gold else {"L": "data.L"},
            },
        ],
    }


@pytest.mark.parametrize(
    "fault, message",
    [
        ("nan", "contains NaN or inf"),
        ("unnormalised", "sums to 0.7"),
        ("rows", r"has 399 rows but the step's inputs of split 'train' have 400"),
    ],
)
def test_engine_refuses_a_broken_output_naming_step_and_plugin(
    bad_plugin, npy_data, tmp_path, fault, message
):
    with pytest.raises(PluginContractError, match=message) as info:
        # without gold (no metrics to trip over) a short output would pass unnoticed
        weasul.run(_spec(npy_data, fault, gold=fault != "rows"), runs_dir=tmp_path)
    text = str(info.value)
    assert "step 'lm' (label_models/bad-vote)" in text and "output 'probs'" in text
    # nothing of the broken step is cached: a fixed plugin would run again
    run = next((tmp_path / "bad").glob("2*"))
    assert "lm" not in json.loads((run / "metrics.json").read_text())


@pytest.mark.parametrize("fault, code", [("exit", 0), ("exit-3", 3)])
def test_sys_exit_in_a_plugin_is_an_error_and_keeps_metrics(
    bad_plugin, npy_data, tmp_path, capsys, fault, code
):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(_spec(npy_data, fault)))
    assert main(["run", str(path), "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert f"step 'lm' (label_models/bad-vote) called sys.exit({code})" in err
    run = next((tmp_path / "runs" / "bad").glob("2*"))
    metrics = json.loads((run / "metrics.json").read_text())
    assert "good" in metrics and metrics["good"]["test"]["accuracy"] > 0.7
    assert json.loads((run / "run.json").read_text())["status"] == "failed"


def test_sys_exit_in_a_labeling_function_is_an_error(tmp_path, capsys):
    pytest.importorskip("pandas")
    (tmp_path / "items.csv").write_text("text,label\nhello,0\nworld,1\n")
    (tmp_path / "lfs.py").write_text(
        "import sys\nfrom weasul.lf import labeling_function\nCLASS_NAMES = ['a', 'b']\n\n"
        "@labeling_function()\ndef quits(row):\n    sys.exit(0)\n"
    )
    spec = {
        "weasul": 1,
        "name": "lfexit",
        "data": {
            "use": "table",
            "params": {"files": {"train": [str(tmp_path / "items.csv")]}, "text_column": "text"},
        },
        "steps": [
            {
                "id": "lfs",
                "use": "labeling_functions/python",
                "params": {"path": str(tmp_path / "lfs.py")},
                "inputs": {"items": "data.items"},
            }
        ],
    }
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    assert main(["run", str(path), "--runs-dir", str(tmp_path / "runs")]) == 2
    assert "step 'lfs' (labeling_functions/python) called sys.exit(0)" in capsys.readouterr().err
    run = next((tmp_path / "runs" / "lfexit").glob("2*"))
    assert json.loads((run / "metrics.json").read_text()) == {}


# -- one function per kind ------------------------------------------------------------------------

P = np.array([[0.2, 0.8], [0.5, 0.5]])


@pytest.mark.parametrize(
    "check, value, extra, message",
    [
        (outputs.check_probs_output, P * 0.5, None, "sums to"),
        (outputs.check_probs_output, np.where(P > 0.6, np.inf, P), None, "NaN or inf"),
        (outputs.check_probs_output, P[:, :1], None, "at least two classes"),
        (outputs.check_labels_output, [0, 2], 2, "label 2 but there are 2 classes"),
        (outputs.check_labels_output, [0, -4], 2, "label -4"),
        (outputs.check_labels_output, [0.5, 1.0], 2, "non-integer"),
        (outputs.check_label_matrix_output, [[0, 1], [3, -1]], 2, "n_classes=2"),
        (outputs.check_features_output, [[1.0, np.nan]], None, "NaN or inf"),
        (outputs.check_features_output, [1.0, 2.0], None, "must be 2-D"),
        (outputs.check_text_output, ["a", 3.0], None, r"\[1\] is a float"),
        (outputs.check_scores_output, [0.1, np.nan], None, "NaN at index 1"),
        (outputs.check_slices_output, [[1, 2]], None, "0/1"),
        (outputs.check_indices_output, [0, 7], 5, "index 7 but the input has 5 items"),
        (outputs.check_table_output, [[1]], None, "DataFrame"),
    ],
)
def test_each_kind_refuses_what_breaks_it(check, value, extra, message):
    with pytest.raises(DataError, match=message):
        check(value, "out", extra)


def test_good_outputs_pass_and_undeclared_outputs_are_named():
    inputs = {"L": {"train": np.zeros((2, 3)), "test": np.zeros((2, 3))}}
    art = {"probs": {"train": P, "test": P}, "pred": {"train": np.array([1, 0]), "test": np.array([1, 1])}}
    declared = {"probs": "probs", "pred": "labels"}
    outputs.check_step_output(art, declared, inputs, where="step 'x'")
    with pytest.raises(PluginContractError, match=r"step 'x'.*output 'pred' \(split 'test'\).*label 2"):
        outputs.check_step_output(
            {**art, "pred": {"test": np.array([2, 0])}}, declared, inputs, where="step 'x'"
        )
    with pytest.raises(PluginContractError, match=r"\['extra'\].*does not declare"):
        outputs.check_step_output({**art, "extra": {}}, declared, inputs, where="step 'x'")


def test_a_run_error_is_a_weasul_error():
    assert issubclass(PluginContractError, WeasulError)
