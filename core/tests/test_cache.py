"""The step cache: keys from code and named files, checksummed entries, atomic writes, run.json."""

import json
import logging
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from weasul.cache import (
    MANIFEST,
    StepCache,
    clean_leftovers,
    code_hash,
    named_files,
    registered_name,
    tree_hash,
)
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
