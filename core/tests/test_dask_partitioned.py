"""Partitioned artifacts (issue 17): with the Dask executor the LF step writes L as .npy
partitions, label models fit from statistics summed over them and write probabilities per
partition; the figures are those of the in-memory run."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import weasul
from weasul.artifacts import fingerprint, read_value, write_value
from weasul.executor import Executor, ExecutorSpec
from weasul.partitioned import PartitionedArray, PartitionedTable, fit_label_model, write_partitions

pytest.importorskip("distributed")
pytest.importorskip("weasul_baselines")

WORDS = ["good", "bad", "great", "awful", "fine", "meh", "nice", "poor"]
LFS = """
from weasul.lf import labeling_function
CLASS_NAMES = ['neg', 'pos']
POSITIVE = {'good', 'great', 'nice', 'fine'}
@labeling_function()
def good(row):
    return 1 if 'good' in row.text else -1
@labeling_function()
def great(row):
    return 1 if 'great' in row.text or 'nice' in row.text else -1
@labeling_function()
def bad(row):
    return 0 if 'bad' in row.text else -1
@labeling_function()
def awful(row):
    return 0 if 'awful' in row.text or 'poor' in row.text else -1
@labeling_function()
def short(row):
    return 0 if len(row.text) < 12 else 1
@labeling_function()
def fine(row):
    return 1 if sum(w in POSITIVE for w in row.text.split()) >= 2 else -1
"""


def _table(path, n, seed):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        label = int(rng.integers(2))
        pool = WORDS[:4:2] + WORDS[6:7] if label else WORDS[1:4:2] + WORDS[7:]
        words = list(rng.choice(pool, size=int(rng.integers(1, 4)))) + list(
            rng.choice(WORDS, size=int(rng.integers(0, 3)))
        )
        rows.append(f"{' '.join(words)},{label}")
    path.write_text("text,label\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def cluster():
    """One local cluster of 2 worker processes for this module; specs reach it by `address`."""
    with Executor(ExecutorSpec(kind="dask", n_workers=2)) as executor:
        yield executor


MODELS = ("majority-vote", "dawid-skene", "matrix-completion")


def _spec(tmp_path, executor, name, models=MODELS):
    lfs = tmp_path / "lfs.py"
    lfs.write_text(LFS)
    files = {
        s: [str(_table(tmp_path / f"{s}.csv", n, seed))]
        for s, n, seed in (("train", 900, 0), ("test", 300, 1))
    }
    return {
        "weasul": 1,
        "name": name,
        "executor": executor,
        "data": {
            "use": "table",
            "params": {
                "files": files,
                "text_column": "text",
                "label_column": "label",
                "label_values": [0, 1],
            },
        },
        "steps": [
            {
                "id": "lfs",
                "use": "labeling_functions/python",
                "params": {"path": str(lfs)},
                "inputs": {"items": "data.items", "y": "data.y"},
            },
            *(
                {
                    "id": lm,
                    "use": f"label_models/{lm}",
                    "params": {"n_classes": 2},
                    "inputs": {"L": "lfs.L", "y": "data.y"},
                }
                for lm in models
            ),
        ],
    }


def _state(model):
    """A model's fitted arrays: numbers as float, strings (a resolved setting) as they are."""
    state = {k: np.asarray(v) for k, v in model.fitted_state().items()}
    return {k: a.astype(float) if a.dtype.kind in "biuf" else a for k, a in state.items() if a.dtype != object}


def _assert_same_state(a, b, label=""):
    assert a.keys() == b.keys()
    for key in a:
        if a[key].dtype.kind == "f":
            np.testing.assert_allclose(b[key], a[key], rtol=0, atol=1e-8, err_msg=f"{label} {key}")
        else:
            assert np.array_equal(b[key], a[key]), f"{label} {key}"


def test_dask_run_keeps_L_and_probs_partitioned_and_matches_memory(tmp_path, cluster):
    from weasul.statistics import FitsFromStatistics

    address = cluster.client.scheduler.address
    local = weasul.run(_spec(tmp_path, {"kind": "local"}, "mem"), runs_dir=tmp_path / "runs")
    dask = weasul.run(
        _spec(tmp_path, {"kind": "dask", "address": address, "partitions": 3}, "dask"),
        runs_dir=tmp_path / "runs",
    )
    L = dask.artifacts["lfs.L"]["train"]
    assert isinstance(L, PartitionedArray) and L.n_partitions == 3 and L.shape == (900, 6)
    assert np.array_equal(L.to_numpy(), local.artifacts["lfs.L"]["train"])
    parts = sorted(p.name for p in (dask.path / "artifacts" / "lfs" / "L.train.parts").iterdir())
    assert parts == ["index.json", "part-00000.npy", "part-00001.npy", "part-00002.npy"]
    assert dask.metrics["lfs"] == local.metrics["lfs"]  # LF summary from summed counts
    log = (dask.path / "run.log").read_text()
    for lm in MODELS:
        model = dask.artifacts[f"{lm}.model"]
        if isinstance(model, FitsFromStatistics):  # fitted from statistics: L never gathered for it
            assert f"step '{lm}' ({type(model).__name__})" not in log, log
        else:
            assert f"{type(model).__name__} cannot be fitted from partition statistics" in log
        P = dask.artifacts[f"{lm}.probs"]["train"]
        assert (
            isinstance(P, PartitionedArray) and (dask.path / "artifacts" / lm / "probs.train.parts").is_dir()
        )
        np.testing.assert_allclose(P.to_numpy(), local.artifacts[f"{lm}.probs"]["train"], rtol=0, atol=1e-8)
        for split in ("train", "test"):
            assert np.array_equal(
                np.asarray(dask.artifacts[f"{lm}.pred"][split]), local.artifacts[f"{lm}.pred"][split]
            )
        _assert_same_state(_state(local.artifacts[f"{lm}.model"]), _state(model), lm)
        for split in ("train", "test"):
            counted = dict(dask.metrics[lm][split])
            predicted = counted.pop("predicted")  # counts summed on the workers, for the report
            counted.pop("calibration")
            assert counted.keys() == local.metrics[lm][split].keys()
            for key, value in local.metrics[lm][split].items():
                assert counted[key] == pytest.approx(value, abs=1e-12), (lm, key)
            assert predicted == np.bincount(local.artifacts[f"{lm}.pred"][split], minlength=2).tolist()
        assert local.metrics[lm]["test"]["accuracy"] > 0.7  # the LFs say something
        # report.html: the calibration of the partitioned run, from the summed bins, is the memory run's
        shown = [_calibration(run, lm) for run in (local, dask)]
        assert shown[0][0] == shown[1][0] and len(shown[0][0]) == 2  # both splits, same items
        np.testing.assert_allclose(shown[1][1], shown[0][1], rtol=0, atol=1e-12)
        assert shown[0][1][:, 0].max() > 0.01  # a real ECE, not all zeros
    assert "expected calibration error" in (dask.path / "report.html").read_text()
    assert isinstance(dask.artifacts["data.items"]["train"], PartitionedTable)  # read on the workers


def _calibration(run, step):
    """(split and item counts, [[ECE, mean confidence], ...]) of the report's calibration table."""
    from weasul.report import label_model_sections

    [section] = [
        s
        for s in label_model_sections(step, run.metrics[step], run.path / "artifacts" / step)
        if s.title == "Calibration"
    ]
    rows = section.tables[0].rows
    return [(r[0], r[1]) for r in rows], np.array([[r[2], r[3]] for r in rows], dtype=float)


def test_a_rerun_restores_partitions_from_the_checked_cache(tmp_path, cluster, caplog):
    executor = {"kind": "dask", "address": cluster.client.scheduler.address, "partitions": 2}
    spec = _spec(tmp_path, executor, "c", models=("majority-vote",))
    first = weasul.run(spec, runs_dir=tmp_path / "runs")
    second = weasul.run(spec, runs_dir=tmp_path / "runs")
    record = json.loads((second.path / "run.json").read_text())
    assert all(step["cached"] for step in record["steps"].values()), record["steps"]
    L = second.artifacts["lfs.L"]["train"]
    assert isinstance(L, PartitionedArray) and np.array_equal(
        L.to_numpy(), first.artifacts["lfs.L"]["train"].to_numpy()
    )
    assert (second.path / "artifacts" / "lfs" / "L.train.parts" / "part-00001.npy").is_file()
    # the cache manifest lists every partition: a damaged one is noticed and the step reruns
    [entry] = [p for p in (tmp_path / "runs" / "c" / "cache").iterdir() if (p / "L.train.parts").is_dir()]
    manifest = json.loads((entry / "manifest.json").read_text())
    assert "L.train.parts/part-00000.npy" in manifest["files"]
    part = entry / "L.train.parts" / "part-00000.npy"
    data = bytearray(part.read_bytes())
    data[-1] ^= 1
    part.unlink()  # a hard link to the run folder's copy: replace, do not edit in place
    part.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="weasul.run"):
        third = weasul.run(spec, runs_dir=tmp_path / "runs")
    assert "does not match its checksum" in caplog.text
    assert np.array_equal(
        third.artifacts["lfs.L"]["train"].to_numpy(), first.artifacts["lfs.L"]["train"].to_numpy()
    )


class _Counter:
    """Not a FitsFromStatistics model: fitting it from partitions must gather L, with a warning."""

    def __init__(self):
        self.seen = None

    def fit(self, L):
        self.seen = np.asarray(L).copy()
        return self


def test_a_model_without_statistics_is_fitted_on_gathered_L_with_a_warning(tmp_path, caplog):
    rng = np.random.default_rng(0)
    blocks = [rng.integers(-1, 2, size=(n, 4)) for n in (5, 7, 3)]
    L = write_partitions(lambda b: b, blocks, tmp_path / "L.train", kind="label_matrix", n_classes=2)
    model = _Counter()
    with caplog.at_level(logging.WARNING, logger="weasul.run"):
        fit_label_model(model, L, None, "step 'lm'")  # type: ignore[arg-type]
    assert np.array_equal(model.seen, np.concatenate(blocks))
    assert "_Counter cannot be fitted from partition statistics" in caplog.text and "gathering" in caplog.text


def test_partitions_round_trip_through_write_read_and_fingerprint(tmp_path):
    blocks = [np.arange(12).reshape(4, 3), np.arange(12, 18).reshape(2, 3)]
    L = write_partitions(lambda b: b, blocks, tmp_path / "run" / "X.train")
    assert L.shape == (6, 3) and L.rows == (4, 2) and L.bounds == [(0, 4), (4, 6)]
    assert np.array_equal(np.asarray(L), np.arange(18).reshape(6, 3))
    copied = write_value(L, tmp_path / "cache" / "X.train")
    assert copied.name == "X.train.parts" and copied.is_dir()
    again = read_value(copied, "features")
    assert again.fingerprint() == L.fingerprint() == fingerprint(L) and np.array_equal(
        again.to_numpy(), L.to_numpy()
    )
    other = write_partitions(lambda b: b + 1, blocks, tmp_path / "run" / "Y.train")
    assert fingerprint(other) != fingerprint(L)
    assert sum(L.map_sum(None)(lambda part: {"s": part.sum(axis=0)})["s"]) == sum(range(18))


def test_a_bad_label_matrix_partition_is_refused_where_it_is_made(tmp_path):
    with pytest.raises(weasul.DataError, match="partition 1"):
        write_partitions(
            lambda b: b,
            [np.zeros((2, 2), int), np.full((2, 2), 5)],
            tmp_path / "L.x",
            kind="label_matrix",
            n_classes=2,
        )


class _NaNModel:
    def predict_proba(self, L):
        P = np.full((len(L), 2), 0.5)
        P[-1] = np.nan
        return P


def test_nan_probabilities_in_a_partition_name_the_step_and_the_model(tmp_path):
    from weasul.partitioned import predict_label_model
    from weasul.steps import StepContext

    L = write_partitions(lambda b: b, [np.zeros((3, 2), int), np.ones((2, 2), int)], tmp_path / "L.train")
    ctx = StepContext("lm", tmp_path / "out")
    with pytest.raises(
        weasul.PluginContractError, match=r"step 'lm' \(_NaNModel\) output 'probs.train', partition 0.*NaN"
    ):
        predict_label_model(_NaNModel(), {"L": {"train": L}}, ctx)  # type: ignore[arg-type]


def test_an_lf_that_raises_on_a_worker_is_named_with_its_row(tmp_path, cluster):
    import pandas as pd
    from weasul.lf import labeling_function
    from weasul.partitioned import apply_lfs_partitioned

    @labeling_function()
    def picky(row):
        if row.text == "boom":
            raise ValueError("cannot read this")
        return 1

    frame = pd.DataFrame({"text": ["a", "b", "c", "boom", "d"]}, index=[10, 11, 12, 13, 14])
    with pytest.raises(weasul.DataError, match=r"'picky' raised ValueError: cannot read this on row 13"):
        apply_lfs_partitioned([picky], frame, tmp_path / "L.train", cluster, n_classes=2)


def test_npy_data_given_as_partitions_runs_without_gathering_L(tmp_path, cluster):
    from weasul.testing import samples

    dense, parted = tmp_path / "dense", tmp_path / "parted"
    dense.mkdir()
    parted.mkdir()
    for split, seed in (("train", 0), ("test", 1)):
        L, y = samples.label_matrix(n=600, seed=seed)
        np.save(dense / f"L_{split}.npy", L)
        np.save(dense / f"Y_{split}.npy", y)
        write_partitions(
            lambda b: b, np.array_split(L, 3), parted / f"L_{split}", kind="label_matrix", n_classes=2
        )
        write_partitions(lambda b: b, np.array_split(y, 3), parted / f"Y_{split}")

    def spec(path, executor):
        return {
            "weasul": 1,
            "name": path.name,
            "executor": executor,
            "data": {
                "use": "npy",
                "params": {"path": str(path), "splits": ["train", "test"], "class_names": ["a", "b"]},
            },
            "steps": [
                {
                    "id": "lm",
                    "use": "label_models/dawid-skene",
                    "params": {"n_classes": 2},
                    "inputs": {"L": "data.L", "y": "data.y"},
                }
            ],
        }

    mem = weasul.run(spec(dense, {"kind": "local"}), runs_dir=tmp_path / "runs")
    dask = weasul.run(
        spec(parted, {"kind": "dask", "address": cluster.client.scheduler.address}),
        runs_dir=tmp_path / "runs",
    )
    assert isinstance(dask.artifacts["data.L"]["train"], PartitionedArray)
    assert "gathering" not in (dask.path / "run.log").read_text()
    _assert_same_state(_state(mem.artifacts["lm.model"]), _state(dask.artifacts["lm.model"]))
    assert np.array_equal(np.asarray(dask.artifacts["lm.pred"]["test"]), mem.artifacts["lm.pred"]["test"])
    assert dask.metrics["lm"]["test"]["accuracy"] == pytest.approx(
        mem.metrics["lm"]["test"]["accuracy"], abs=1e-12
    )
    with pytest.raises(weasul.DataError, match="give class_names"):
        weasul.create("datasets", "npy", path=str(parted), splits=["train"]).load()


def test_parquet_texts_go_through_lfs_a_label_model_and_tfidf_without_a_whole_read(
    tmp_path, cluster, monkeypatch
):
    """The table is read on the workers only: the client's whole-file reader is switched off
    for the Dask run, and L, the fit and the tfidf features are those of the memory run."""
    pytest.importorskip("sklearn")
    import pandas as pd
    from weasul.builtin.datasets import TableDataset

    def spec(executor, name):
        out = _spec(tmp_path, executor, name, models=("dawid-skene",))
        for split, [csv] in out["data"]["params"]["files"].items():
            parquet = tmp_path / f"{split}.parquet"
            pd.read_csv(csv).to_parquet(parquet, row_group_size=100)
            out["data"]["params"]["files"][split] = [str(parquet)]
        out["steps"].append({"id": "tfidf", "use": "encoders/tfidf", "inputs": {"X": "data.text"}})
        return out

    local = weasul.run(spec({"kind": "local"}, "pq-mem"), runs_dir=tmp_path / "runs")

    def refuse(*args, **kwargs):
        raise AssertionError("the client read a whole table file")

    monkeypatch.setattr(TableDataset, "load", refuse)
    monkeypatch.setattr(TableDataset, "_read", refuse)
    executor = {"kind": "dask", "address": cluster.client.scheduler.address, "partitions": 4}
    dask = weasul.run(spec(executor, "pq-dask"), runs_dir=tmp_path / "runs")
    L = dask.artifacts["lfs.L"]["train"]
    assert isinstance(L, PartitionedArray) and L.n_partitions == 4
    assert np.array_equal(L.to_numpy(), local.artifacts["lfs.L"]["train"])
    _assert_same_state(_state(local.artifacts["dawid-skene.model"]), _state(dask.artifacts["dawid-skene.model"]))
    assert np.array_equal(
        np.asarray(dask.artifacts["dawid-skene.pred"]["test"]), local.artifacts["dawid-skene.pred"]["test"]
    )
    X = dask.artifacts["tfidf.X"]["test"]
    assert isinstance(X, PartitionedArray) and X.sparse
    assert (dask.path / "artifacts" / "tfidf" / "X.test.parts" / "part-00003.npz").is_file()
    assert (X.gather() != local.artifacts["tfidf.X"]["test"]).nnz == 0
    gathered = [line for line in (dask.path / "run.log").read_text().splitlines() if "gathering" in line]
    assert len(gathered) == 1 and "tfidf" in gathered[0] and "X.train" in gathered[0], gathered
