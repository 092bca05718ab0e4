"""`auto` fitted from partition statistics (issue 17): the histogram of distinct rows is its
statistic, so one partition, several uneven ones or shuffled rows give the same choice and
parameters; a Dask run fits it without gathering L; too many distinct rows are refused."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from weasul.errors import DataError
from weasul.statistics import FitsFromStatistics, fit_from_statistics, map_sum_over
from weasul.validation import to_sparse_votes
from weasul_baselines.auto import Auto, PatternHistogram


def _crowd(n: int = 2400, m: int = 30, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Crowd workers of accuracy 0.35-0.95, 4 answers per item."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    acc = rng.uniform(0.35, 0.95, m)
    L = np.full((n, m), -1)
    for i in range(n):
        workers = rng.choice(m, 4, replace=False)
        right = rng.random(4) < acc[workers]
        L[i, workers] = np.where(right, y[i], (y[i] + rng.integers(1, k, 4)) % k)
    return L, y


def _one_class(n: int = 4000, k: int = 2, per: int = 4, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Labeling functions that vote one class or abstain."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    cls = np.repeat(np.arange(k), per)
    hit = rng.uniform(0.1, 0.5, cls.size)
    fires = rng.random((n, cls.size)) < np.where(y[:, None] == cls[None, :], hit, 0.15 * hit)
    return np.where(fires, cls[None, :], -1), y


def _uneven(L: np.ndarray, seed: int) -> list:
    """L's rows shuffled into six uneven partitions: one empty, one sparse, one of a single row."""
    rows = L[np.random.default_rng(seed).permutation(L.shape[0])]
    n = L.shape[0]
    parts: list = np.split(rows, [0, 1, n // 10, n // 2, n - 3])
    parts[3] = to_sparse_votes(parts[3])
    assert parts[0].shape[0] == 0 and parts[1].shape[0] == 1
    return parts


STATE = ("log_prior_", "factors_", "class_prior_", "no_vote_prior_")
CASES = {
    # crowd answers with 30 workers: m log2(K+1) = 60 bits, int64 keys; held-out scores choose
    "crowd": (lambda: _crowd(), 3, {}),
    # 40 workers, binary: 63 bits, byte keys; subsets drawn (more rows than max_*_rows)
    "crowd-bytes-drawn": (
        lambda: _crowd(m=40, k=2, seed=3),
        2,
        {"max_score_rows": 800, "max_fit_rows": 1500},
    ),
    # one-class LFs: the mean of weighted vote, Dawid-Skene and matrix completion decides
    "labeling-functions": (lambda: _one_class(), 2, {}),
    # without matrix completion: majority vote decides, the learned mean breaks ties
    "labeling-functions-fallback": (
        lambda: _one_class(),
        2,
        {"candidates": ["majority-vote", "weighted-vote", "dawid-skene"]},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_partitions_give_the_in_memory_choice_and_parameters(case):
    make, k, params = CASES[case]
    L, y = make()
    memory = Auto(n_classes=k, **params).fit(L)
    assert isinstance(memory, FitsFromStatistics)
    one = fit_from_statistics(Auto(n_classes=k, **params), lambda fn: fn(L), L.shape[1])
    split = fit_from_statistics(Auto(n_classes=k, **params), map_sum_over(_uneven(L, seed=7)), L.shape[1])
    for fitted in (one, split):
        assert fitted.report() == memory.report()
        assert fitted.members_ == memory.members_ and fitted.backbone_ == memory.backbone_
        for name in STATE:
            np.testing.assert_allclose(getattr(fitted, name), getattr(memory, name), rtol=0, atol=1e-8)
        np.testing.assert_allclose(fitted.predict_proba(L), memory.predict_proba(L), rtol=0, atol=1e-8)
        assert np.array_equal(fitted.predict(L), memory.predict(L))
    # the fit says something: above chance by a margin on every case
    assert (memory.predict(L) == y).mean() > 0.7, case


def test_crowd_case_is_scored_and_lf_case_is_not():
    """The cases above cover both of auto's rules (a check on the fixtures)."""
    crowd = Auto(n_classes=2, max_score_rows=800, max_fit_rows=1500).fit(_crowd(m=40, k=2, seed=3)[0])
    assert crowd.mode_ == "crowd" and all(isinstance(crowd.scores_[c], float) for c in crowd.members_)
    lfs = Auto(n_classes=2).fit(_one_class()[0])
    assert lfs.mode_ == "labeling-functions" and not lfs.backbone_ and len(lfs.members_) == 3
    fallback = Auto(n_classes=2, **CASES["labeling-functions-fallback"][2]).fit(_one_class()[0])
    assert fallback.backbone_ and fallback.members_[0] == "majority-vote"


def test_histogram_keys_round_trip_and_merge_in_one_order():
    rng = np.random.default_rng(0)
    for k, m in ((2, 5), (2, 30), (2, 70), (2, 1000), (300, 10)):  # codes, bytes, 2 bytes a digit
        L = rng.integers(-1, k, size=(500, m))
        L[:50] = L[50:100]  # repeated rows
        whole = PatternHistogram.of(L, k, limit=10_000)
        assert whole.counts.sum() == 500 and whole.keys.size == np.unique(L, axis=0).shape[0]
        every = whole.draw(10_000, rng)
        assert np.array_equal(np.unique(every, axis=0), np.unique(L, axis=0))  # decoded exactly
        merged = (
            PatternHistogram.of(L[300:], k, 10_000)
            + PatternHistogram.of(L[:0], k, 10_000)
            + PatternHistogram.of(to_sparse_votes(L[:300]), k, 10_000)
        )
        assert np.array_equal(merged.keys, whole.keys) and np.array_equal(merged.counts, whole.counts)
        # votes per source and class, read off the keys' digits
        expected = np.stack([(L == c).sum(axis=0) for c in range(k)], axis=1)
        np.testing.assert_array_equal(whole.votes(), expected)


def test_too_many_distinct_rows_are_refused_with_what_to_do():
    L, _ = _crowd()
    n_distinct = np.unique(L, axis=0).shape[0]
    with pytest.raises(DataError, match="more than 1,000 distinct rows.*Raise max_patterns.*dawid-skene"):
        Auto(n_classes=3, max_patterns=1000).fit(L)
    # from partitions: each is under the limit, their merge is not
    parts = np.array_split(L, 4)
    assert all(np.unique(p, axis=0).shape[0] <= 1000 for p in parts)
    with pytest.raises(DataError, match="more than 1,000 distinct rows"):
        fit_from_statistics(Auto(n_classes=3, max_patterns=1000), map_sum_over(parts), L.shape[1])
    Auto(n_classes=3, max_patterns=n_distinct).fit(L)  # at the limit: fine


def test_statistics_fit_needs_n_classes_and_checks_sources():
    L, _ = _crowd()
    with pytest.raises(DataError, match="set n_classes"):
        fit_from_statistics(Auto(), map_sum_over([L]), L.shape[1])
    L2 = L.copy()
    L2[:, 4] = -1
    with pytest.raises(DataError, match=r"column\(s\) \[4\] never vote"):
        fit_from_statistics(Auto(n_classes=3), map_sum_over(np.array_split(L2, 3)), L.shape[1])
    with pytest.raises(DataError, match=r"column\(s\) \[4\] never vote"):
        Auto(n_classes=3).fit(L2)


def test_dask_run_fits_auto_without_gathering_L(tmp_path, caplog):
    """A partitioned weasul run (threads of this process) fits auto from the statistics: the
    run log has no gathering warning and the model equals the in-memory run's."""
    pytest.importorskip("distributed")
    import weasul
    from weasul.partitioned import PartitionedArray, write_partitions

    L, y = _crowd(n=900, m=12, k=3, seed=5)
    dense, parted = tmp_path / "dense", tmp_path / "parted"
    dense.mkdir()
    parted.mkdir()
    for split, (a, b) in (("train", (0, 600)), ("test", (600, 900))):
        np.save(dense / f"L_{split}.npy", L[a:b])
        np.save(dense / f"Y_{split}.npy", y[a:b])
        write_partitions(
            lambda p: p, np.array_split(L[a:b], 3), parted / f"L_{split}", kind="label_matrix", n_classes=3
        )
        write_partitions(lambda p: p, np.array_split(y[a:b], 3), parted / f"Y_{split}")

    def spec(path, executor):
        return {
            "weasul": 1,
            "name": path.name,
            "executor": executor,
            "data": {
                "use": "npy",
                "params": {"path": str(path), "splits": ["train", "test"], "class_names": ["a", "b", "c"]},
            },
            "steps": [
                {
                    "id": "lm",
                    "use": "label_models/auto",
                    "params": {"n_classes": 3},
                    "inputs": {"L": "data.L", "y": "data.y"},
                }
            ],
        }

    mem = weasul.run(spec(dense, {"kind": "local"}), runs_dir=tmp_path / "runs")
    with caplog.at_level(logging.WARNING):
        dask = weasul.run(
            spec(parted, {"kind": "dask", "processes": False, "n_workers": 1}), runs_dir=tmp_path / "runs"
        )
    assert isinstance(dask.artifacts["data.L"]["train"], PartitionedArray)
    log = (dask.path / "run.log").read_text()
    assert "gathering" not in log and "cannot be fitted from partition statistics" not in log, log
    assert "gathering" not in caplog.text
    a, b = mem.artifacts["lm.model"], dask.artifacts["lm.model"]
    assert a.report() == b.report() and a.mode_ == "crowd"
    for name in STATE:
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=0, atol=1e-8, err_msg=name)
    assert np.array_equal(np.asarray(dask.artifacts["lm.pred"]["test"]), mem.artifacts["lm.pred"]["test"])
    assert dask.metrics["lm"]["train"]["auto"] == mem.metrics["lm"]["train"]["auto"]
