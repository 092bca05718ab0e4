"""The step cache: keys from code and named files, checksummed entries, atomic writes, run.json."""

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import weasul
import weasul_registry
from weasul.cache import (
    MANIFEST,
    StepCache,
    clean_leftovers,
    code_hash,
    named_files,
    registered_name,
    tree_hash,
)
from weasul.errors import WeasulError
from weasul.run_record import params_with_defaults
from weasul.testing import samples
from weasul_registry.testing import fake_distribution

# --- hashes -----------------------------------------------------------------------------------------


def test_tree_hash_follows_content_not_times(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.csv").write_text("x,y\n1,2\n")
    (folder / "b.csv").write_text("x,y\n3,4\n")
    before = tree_hash(folder)
    os.utime(folder / "a.csv", (1, 1))
    assert tree_hash(folder) == before  # touching is no change
    (folder / "a.csv").write_text("x,y\n1,3\n")
    assert tree_hash(folder) != before
    (folder / "a.csv").write_text("x,y\n1,2\n")
    assert tree_hash(folder) == before
    (folder / "c.csv").write_text("")
    assert tree_hash(folder) != before  # a new file counts
    assert tree_hash(tmp_path / "nothing") == "missing"


def test_named_files_reads_path_files_and_module_params(tmp_path, monkeypatch):
    (tmp_path / "my_lfs.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    params = {
        "path": "a/b.py",
        "files": {"train": ["t1.csv", "t2.csv"], "test": ["t3.csv"]},
        "label_file": "labels.json",
        "module": "my_lfs",
        "cache_dir": ".weasul-cache",  # a cache folder is not an input
        "name": "x.csv",
    }
    got = dict(named_files(params))
    assert set(got) == {"a/b.py", "t1.csv", "t2.csv", "t3.csv", "labels.json", "module my_lfs"}
    assert got["module my_lfs"] == tmp_path / "my_lfs.py"


PLUGIN_V1 = """
from weasul.interfaces import LabelModel
import numpy as np

class Edited(LabelModel):
    def fit(self, L, *, y_dev=None, expert=None):
        self.prior_ = np.array([0.5, 0.5])
        return self

    def predict_proba(self, L):
        return np.tile(self.prior_, (len(L), 1))
"""


def test_code_hash_changes_when_a_plugin_source_changes(tmp_path):
    root = tmp_path / "plugin"
    eps = {"weasul.label_models": {"edited": "edited_plugin:Edited"}}
    with fake_distribution(root, "weasul-edited", eps, {"edited_plugin": PLUGIN_V1}):
        import edited_plugin

        first = code_hash(edited_plugin.Edited)
        assert code_hash(edited_plugin.Edited) == first
        (root / "edited_plugin.py").write_text(PLUGIN_V1.replace("0.5, 0.5", "0.4, 0.6"))
        # the fake distribution has no RECORD: its module file is read on every call
        assert code_hash(edited_plugin.Edited) != first
        assert registered_name(edited_plugin.Edited) == "label_models/edited"


def test_code_hash_of_an_installed_distribution_covers_its_files():
    import numpy

    # numpy is installed from a wheel with a RECORD: its hash is stable and not the core's
    import weasul.engine

    assert code_hash(numpy.ndarray) == code_hash(numpy.ndarray)
    assert code_hash(numpy.ndarray) != code_hash(weasul.engine.RunResult)


def test_params_with_defaults_fills_what_was_not_given():
    from weasul.builtin.datasets import NpyDataset

    full = params_with_defaults(NpyDataset.Params, {"path": "d"})
    assert full == {
        "path": "d",
        "splits": ["train", "valid", "test"],
        "class_names": None,
        "abstain": -1,
        "signed": False,
    }
    # a required field filled from an input is left out; the others get their defaults
    assert params_with_defaults(NpyDataset.Params, {"abstain": 0}, skip={"path"})["splits"] == [
        "train",
        "valid",
        "test",
    ]


# --- entries ------------------------------------------------------------------------------------------


@pytest.fixture
def fitted(toy_plugins):
    import weasul

    L, y = samples.label_matrix(n=200, seed=3)
    model = weasul.create("label_models", "toy-vote").fit(L)
    return model, L, y


def _store(cache, fitted, key="k1"):
    model, L, y = fitted
    artifacts = {
        "model": model,
        "probs": {"train": model.predict_proba(L), "test": model.predict_proba(L[:50])},
        "pred": None,
    }
    kinds = {"model": "model:label_models", "probs": "probs", "pred": "labels"}
    assert cache.write(key, "lm", artifacts, {"train": {"accuracy": np.float64(0.8)}}, kinds)
    return artifacts


def test_entry_round_trip(tmp_path, fitted):
    cache = StepCache(tmp_path / "cache")
    written = _store(cache, fitted)
    entry = cache.read("k1", "lm")
    assert entry is not None
    assert entry.metrics == {"train": {"accuracy": 0.8}}
    assert entry.artifacts["pred"] is None
    assert set(entry.artifacts["probs"]) == {"train", "test"}
    np.testing.assert_array_equal(entry.artifacts["probs"]["test"], written["probs"]["test"])
    L = fitted[1]
    np.testing.assert_array_equal(entry.artifacts["model"].predict_proba(L), fitted[0].predict_proba(L))
    manifest = json.loads((tmp_path / "cache" / "k1" / MANIFEST).read_text())
    assert manifest["outputs"]["model"]["plugin"] == "label_models/toy-vote"
    assert set(manifest["files"]) == {
        "model.safetensors",
        "probs.train.npy",
        "probs.test.npy",
        "metrics.json",
    }
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.endswith(".tmp")]


def _zero_fill(path):
    path.write_bytes(b"\0" * path.stat().st_size)


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _edit_metrics(path):
    path.write_text(json.dumps({"train": {"accuracy": 0.99}}))


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda f: _zero_fill(f / "probs.train.npy"), "probs.train.npy does not match its checksum"),
        (lambda f: _truncate(f / "model.safetensors"), "model.safetensors has .* bytes"),
        (lambda f: (f / "probs.test.npy").unlink(), r"missing file\(s\) probs.test.npy"),
        (lambda f: np.save(f / "probs.valid.npy", np.ones((3, 2))), r"unexpected file\(s\) probs.valid.npy"),
        (lambda f: _edit_metrics(f / "metrics.json"), "metrics.json"),
        (lambda f: (f / MANIFEST).unlink(), "no manifest.json"),
    ],
    ids=["zero-filled", "truncated", "deleted", "extra", "edited-metrics", "no-manifest"],
)
def test_damaged_entry_is_discarded_with_a_reason(tmp_path, fitted, caplog, damage, reason):
    cache = StepCache(tmp_path / "cache")
    _store(cache, fitted)
    damage(tmp_path / "cache" / "k1")
    with caplog.at_level(logging.WARNING, logger="weasul.run"):
        assert cache.read("k1", "lm") is None
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "step lm: cache entry k1 discarded" in record.getMessage()
    assert __import__("re").search(reason, record.getMessage()), record.getMessage()
    assert not (tmp_path / "cache" / "k1").exists()
    # and a fresh write works again
    _store(cache, fitted)
    assert cache.read("k1", "lm") is not None


def test_unregistered_model_is_not_cached(tmp_path, fitted):
    model, L, _ = fitted

    class Local(type(model)):
        pass

    local = Local().fit(L)
    cache = StepCache(tmp_path / "cache")
    assert not cache.write("k2", "lm", {"model": local}, {}, {"model": "model:label_models"})
    assert not (tmp_path / "cache" / "k2").exists()


def test_key_changes_with_params_inputs_code_and_files(tmp_path, fitted):
    cache = StepCache(tmp_path / "cache")
    lfs = tmp_path / "lfs.py"
    lfs.write_text("A = 1\n")
    cls = type(fitted[0])
    base = dict(use="label_models/toy-vote", params={"path": str(lfs)}, inputs={"L": "abc"}, classes=[cls])
    k0 = cache.key(**base)
    assert cache.key(**base) == k0
    assert cache.key(**{**base, "inputs": {"L": "abd"}}) != k0
    assert cache.key(**{**base, "params": {"path": str(lfs), "x": 1}}) != k0
    assert cache.key(**base, fit_on="test") != k0
    assert cache.key(**{**base, "classes": [cls, StepCache]}) != k0
    # file content is read once per cache object (one run); a new run sees the edit
    lfs.write_text("A = 2\n")
    assert StepCache(tmp_path / "cache").key(**base) != k0


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftover_writes_are_cleaned(tmp_path):
    root = tmp_path / "cache"
    root.mkdir()
    dead = root / f".abc.{_dead_pid()}.1234.tmp"
    live = root / f".abd.{os.getppid()}.1234.tmp"
    old = root / f".abe.{os.getppid()}.1234.tmp"
    entry = root / "abf"
    for folder in (dead, live, old, entry):
        folder.mkdir()
        (folder / "probs.train.npy").write_bytes(b"x")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    removed = clean_leftovers(root)
    assert sorted(removed) == sorted([dead, old])
    assert live.is_dir() and entry.is_dir()
    StepCache(root)  # a new cache cleans on creation: the live one stays
    assert live.is_dir()


# --- through weasul.run ------------------------------------------------------------------------------

LFS = """
from weasul.lf import ABSTAIN, labeling_function

CLASS_NAMES = ["HAM", "SPAM"]


@labeling_function()
def has_buy(row):
    return 1 if "buy" in row.text else ABSTAIN


@labeling_function()
def has_love(row):
    return 0 if "love" in row.text else ABSTAIN


@labeling_function()
def has_free(row):
    return 1 if "free" in row.text else ABSTAIN
"""


class Recorder:
    def __init__(self):
        self.events = {}

    @weasul_registry.hookimpl
    def after_step(self, run_name, step_id, metrics, seconds, cached):
        self.events[step_id] = cached


@pytest.fixture
def text_spec(tmp_path):
    """A table of 200 comments; two files of three keyword LFs, each followed by a label model."""
    rng = np.random.default_rng(0)
    words = {0: ["love", "song", "nice", "free"], 1: ["buy", "free", "cheap", "love"]}
    rows = []
    for _ in range(200):
        label = int(rng.integers(0, 2))
        rows.append((" ".join(rng.choice(words[label], size=3)), label))
    csv = tmp_path / "comments.csv"
    csv.write_text("text,label\n" + "".join(f"{t},{c}\n" for t, c in rows))
    lfs = tmp_path / "my_lfs.py"
    lfs.write_text(LFS)
    other = tmp_path / "other_lfs.py"
    other.write_text(LFS.replace("has_love", "has_song").replace('"love"', '"song"'))
    spec = {
        "weasul": 1,
        "name": "text",
        "data": {
            "use": "table",
            "params": {"files": {"train": [str(csv)]}, "text_column": "text", "label_column": "label"},
        },
        "steps": [
            {
                "id": "lfs",
                "use": "labeling_functions/python",
                "params": {"path": str(lfs)},
                "inputs": {"items": "data.items"},
            },
            {"id": "lm", "use": "label_models/toy-vote", "inputs": {"L": "lfs.L", "y": "data.y"}},
            {
                "id": "other",
                "use": "labeling_functions/python",
                "params": {"path": str(other)},
                "inputs": {"items": "data.items"},
            },
            {"id": "lm2", "use": "label_models/toy-vote", "inputs": {"L": "other.L"}},
        ],
        "report": {"html": False},
    }
    return spec, lfs, csv


def _run(spec, runs):
    recorder = Recorder()
    result = weasul.run(spec, runs_dir=runs, hooks=[recorder])
    return result, recorder.events


def test_editing_an_lf_file_reruns_that_step_and_what_follows(toy_plugins, text_spec, tmp_path):
    spec, lfs, _ = text_spec
    first, events = _run(spec, tmp_path / "runs")
    assert events == {"lfs": False, "lm": False, "other": False, "lm2": False}
    _, events = _run(spec, tmp_path / "runs")
    assert events == {"lfs": True, "lm": True, "other": True, "lm2": True}
    # has_free now votes HAM: a different label matrix and different weak labels
    lfs.write_text(LFS.replace('return 1 if "free"', 'return 0 if "free"'))
    edited, events = _run(spec, tmp_path / "runs")
    assert events == {"lfs": False, "lm": False, "other": True, "lm2": True}
    assert (edited.artifacts["lfs.L"]["train"] != first.artifacts["lfs.L"]["train"]).any()
    assert edited.metrics["lm"]["train"]["accuracy"] != first.metrics["lm"]["train"]["accuracy"]


def test_editing_a_data_file_reruns_every_step(toy_plugins, text_spec, tmp_path):
    spec, _, csv = text_spec
    _run(spec, tmp_path / "runs")
    csv.write_text(csv.read_text() + "buy buy buy,1\n")
    _, events = _run(spec, tmp_path / "runs")
    assert set(events.values()) == {False}


EDITABLE = '''
import numpy as np
from weasul.interfaces import LabelModel


class Prior(LabelModel):
    """Ignores the votes: predicts a fixed class prior."""

    def fit(self, L, *, y_dev=None, expert=None):
        self.prior_ = np.array(PRIOR)
        return self

    def predict_proba(self, L):
        return np.tile(self.prior_, (len(L), 1))


PRIOR = [0.8, 0.2]
'''


def test_editing_a_plugin_source_reruns_its_step_and_what_follows(toy_plugins, npy_data, tmp_path):
    root = tmp_path / "plugin"
    eps = {"weasul.label_models": {"prior": "prior_plugin:Prior"}}
    spec = {
        "weasul": 1,
        "name": "prior",
        "data": {"use": "npy", "params": {"path": str(npy_data), "splits": ["train", "test"]}},
        "steps": [
            {"id": "lm", "use": "label_models/prior", "inputs": {"L": "data.L", "y": "data.y"}},
            {"id": "vote", "use": "label_models/toy-vote", "inputs": {"L": "data.L"}},
            {"id": "gold", "use": "oracles/gold", "inputs": {"y": "data.train.y"}},
            {
                "id": "loop",
                "use": "query_strategies/toy-first",
                "params": {"budget": 2, "batch": 1},
                "inputs": {"model": "lm", "oracle": "gold", "L": "data.L", "y": "data.y"},
            },
        ],
        "report": {"html": False},
    }
    with fake_distribution(root, "weasul-prior", eps, {"prior_plugin": EDITABLE}):
        first, events = _run(spec, tmp_path / "runs")
        assert set(events.values()) == {False}
        _, events = _run(spec, tmp_path / "runs")
        # the gold oracle is not persistable, so it runs every time (and is keyed the same)
        assert events == {"lm": True, "vote": True, "gold": False, "loop": True}
        # a new prior (a longer file, so no stale bytecode is used), imported afresh
        (root / "prior_plugin.py").write_text(EDITABLE.replace("[0.8, 0.2]", "[0.25, 0.75]"))
        sys.modules.pop("prior_plugin")
        edited, events = _run(spec, tmp_path / "runs")
    assert events == {"lm": False, "vote": True, "gold": False, "loop": False}
    assert np.allclose(edited.artifacts["lm.probs"]["test"][0], [0.25, 0.75])
    assert np.allclose(first.artifacts["lm.probs"]["test"][0], [0.8, 0.2])


def _lm_entry(runs):
    """The cache folder of step lm of the toy spec (the one holding model.safetensors)."""
    (folder,) = [
        p
        for p in (runs / "toy" / "cache").iterdir()
        if (p / "model.safetensors").is_file()
        and "probs.train.npy" in os.listdir(p)
        and json.loads((p / MANIFEST).read_text())["step"] == "lm"
    ]
    return folder


def _toy_spec(data):
    return {
        "weasul": 1,
        "name": "toy",
        "data": {"use": "npy", "params": {"path": str(data), "splits": ["train", "test"]}},
        "steps": [{"id": "lm", "use": "label_models/toy-vote", "inputs": {"L": "data.L", "y": "data.y"}}],
        "report": {"html": False},
    }


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda f: _zero_fill(f / "probs.train.npy"), "probs.train.npy does not match its checksum"),
        (lambda f: _truncate(f / "model.safetensors"), "model.safetensors has"),
        (lambda f: (f / "probs.test.npy").unlink(), "missing file(s) probs.test.npy"),
        (lambda f: np.save(f / "probs.extra.npy", np.ones((3, 2))), "unexpected file(s) probs.extra.npy"),
        (lambda f: _edit_metrics(f / "metrics.json"), "metrics.json"),
    ],
    ids=["zero-filled", "truncated", "deleted", "extra", "edited-metrics"],
)
def test_a_damaged_entry_is_recomputed(toy_plugins, npy_data, tmp_path, caplog, damage, reason):
    runs = tmp_path / "runs"
    first, _ = _run(_toy_spec(npy_data), runs)
    damage(_lm_entry(runs))
    with caplog.at_level(logging.WARNING, logger="weasul.run"):
        again, events = _run(_toy_spec(npy_data), runs)
    assert events == {"lm": False}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("step lm: cache entry" in w and reason in w for w in warnings), warnings
    assert again.metrics == first.metrics
    for split in ("train", "test"):
        np.testing.assert_array_equal(again.artifacts["lm.probs"][split], first.artifacts["lm.probs"][split])
    # the recomputed entry is whole again
    _, events = _run(_toy_spec(npy_data), runs)
    assert events == {"lm": True}


def test_saved_spec_has_the_defaults_that_ran_and_reruns_from_cache(toy_plugins, npy_data, tmp_path):
    import yaml

    result, _ = _run(_toy_spec(npy_data), tmp_path / "runs")
    saved = yaml.safe_load((result.path / "spec.yaml").read_text())
    assert saved["data"]["params"]["abstain"] == -1 and saved["data"]["params"]["signed"] is False
    lm = saved["steps"][0]
    assert lm["fit_on"] == "train" and lm["cache"] is True
    toy = weasul_registry.load_one("weasul.label_models", "toy-vote")
    assert set(lm["params"]) >= set(toy.Params.model_fields)
    assert json.loads((result.path / "run.json").read_text())["spec"] == saved
    # the saved spec is a valid spec, and the same run: every step comes from the cache
    _, events = _run(result.path / "spec.yaml", tmp_path / "runs")
    assert events == {"lm": True}


def _record(result_or_runs):
    folder = result_or_runs if (result_or_runs / "run.json").is_file() else None
    if folder is None:
        (folder,) = [p for p in (result_or_runs / "toy").iterdir() if p.name != "cache"]
    return json.loads((folder / "run.json").read_text())


def test_run_json_of_a_finished_run(toy_plugins, npy_data, tmp_path):
    result, _ = _run(_toy_spec(npy_data), tmp_path / "runs")
    record = _record(result.path)
    assert record["status"] == "finished" and record["error"] is None
    assert record["packages"]["weasul-core"] == weasul.__version__
    assert record["packages"]["weasul-toys"] == "0.1.0" and "numpy" in record["packages"]
    assert set(record["steps"]) == {"lm"} and record["steps"]["lm"]["cached"] is False
    assert record["steps"]["lm"]["seconds"] >= 0 and record["seconds"] >= record["steps"]["lm"]["seconds"]
    assert record["git"] is None or len(record["git"]["commit"]) == 40


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_run_json_names_the_git_commit_of_the_spec_folder(toy_plugins, npy_data, tmp_path):
    import yaml

    project = tmp_path / "project"
    project.mkdir()
    (project / "spec.yaml").write_text(yaml.safe_dump(_toy_spec(npy_data)))
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    for args in (["init", "-q"], ["add", "spec.yaml"], ["commit", "-q", "-m", "spec"]):
        subprocess.run(["git", "-C", str(project), *args], check=True, env=env)
    head = subprocess.run(
        ["git", "-C", str(project), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    )
    result, _ = _run(project / "spec.yaml", tmp_path / "runs")
    record = _record(result.path)
    assert record["git"] == {"commit": head.stdout.strip(), "dirty": False}
    assert record["spec_file"] == str(project / "spec.yaml")


def test_run_json_of_a_failed_run(toy_plugins, npy_data, tmp_path):
    marker = tmp_path / "crash"
    marker.write_text("x")
    spec = _toy_spec(npy_data)
    spec["steps"].append(
        {
            "id": "lm2",
            "use": "label_models/flaky-vote",
            "params": {"fail_if_exists": str(marker)},
            "inputs": {"L": "data.L"},
        }
    )
    with pytest.raises(WeasulError, match="simulated crash"):
        weasul.run(spec, runs_dir=tmp_path / "runs")
    record = _record(tmp_path / "runs")
    assert record["status"] == "failed" and "simulated crash" in record["error"]
    assert set(record["steps"]) == {"lm"}


INTERRUPTING = '''
import os
import signal

from weasul_toy_vote.toy_vote import ToyVoteLabelModel


class Stopping(ToyVoteLabelModel):
    """Interrupts its own run: a KeyboardInterrupt, or SIGTERM sent to this process."""

    def fit(self, L, *, y_dev=None, expert=None):
        if os.environ.get("STOP_WITH") == "sigterm":
            os.kill(os.getpid(), signal.SIGTERM)
        raise KeyboardInterrupt
'''


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_run_json_of_an_interrupted_run(toy_plugins, npy_data, tmp_path, monkeypatch, how):
    monkeypatch.setenv("STOP_WITH", how)
    eps = {"weasul.label_models": {"stopping": "stopping_plugin:Stopping"}}
    spec = _toy_spec(npy_data)
    spec["steps"].append({"id": "stop", "use": "label_models/stopping", "inputs": {"L": "data.L"}})
    with fake_distribution(tmp_path / "plugin", "weasul-stopping", eps, {"stopping_plugin": INTERRUPTING}):
        with pytest.raises(KeyboardInterrupt):
            weasul.run(spec, runs_dir=tmp_path / "runs")
    record = _record(tmp_path / "runs")
    assert record["status"] == "interrupted"
    assert set(record["steps"]) == {"lm"}
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the run's handler is gone again
