"""The baseline label models fitted from statistics summed over partitions (issue 17), with
`partial_fit`, and on sparse label matrices (stored value = class + 1). `auto`: test_auto_statistics.py."""

from __future__ import annotations

import numpy as np
import pytest
from weasul.errors import DataError, UnsupportedError
from weasul.statistics import fit_from_statistics, map_sum_over
from weasul.validation import to_sparse_votes
from weasul_baselines import DawidSkene, MajorityVote, MatrixCompletion, Triplet, WeightedVote

sparse = pytest.importorskip("scipy.sparse")


def _generated(
    n: int, accuracies: list[float], k: int, coverage: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """L (n, m) from sources of the given accuracies (wrong votes uniform), and the truth."""
    rng = np.random.default_rng(seed)
    y = rng.choice(k, size=n, p=np.linspace(1, 2, k) / np.linspace(1, 2, k).sum())
    m = len(accuracies)
    right = rng.random((n, m)) < np.asarray(accuracies)[None, :]
    wrong = (y[:, None] + rng.integers(1, k, size=(n, m))) % k
    L = np.where(right, y[:, None], wrong)
    L[rng.random((n, m)) > coverage] = -1
    return L, y


@pytest.fixture(scope="module")
def multi() -> np.ndarray:
    return _generated(3000, [0.85, 0.75, 0.7, 0.65, 0.8, 0.6, 0.55, 0.9], k=3, coverage=0.6, seed=1)[0]


@pytest.fixture(scope="module")
def binary() -> np.ndarray:
    return _generated(4000, [0.85, 0.75, 0.7, 0.65, 0.8, 0.6], k=2, coverage=0.7, seed=2)[0]


def _parts(L: np.ndarray) -> list:
    """Seven uneven partitions of L: one empty, one sparse."""
    cuts = [1, 1, 40, 700, 1500, 2300]
    parts: list = list(np.split(L, cuts))
    parts[3] = to_sparse_votes(parts[3])
    return parts


PARAMS = {
    MajorityVote: ("class_prior_",),
    WeightedVote: ("weights_", "class_prior_"),
    DawidSkene: ("confusion_", "class_prior_", "n_iter_", "models_abstain_"),
    MatrixCompletion: ("z_", "log_theta_", "class_prior_", "single_col_"),
    Triplet: ("cond_", "accuracies_", "class_prior_"),
}


def _assert_same(a: object, b: object, names: tuple[str, ...], atol: float) -> None:
    for name in names:
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=0, atol=atol, err_msg=name)


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (MajorityVote(n_classes=3), "multi"),
        (WeightedVote(n_classes=3), "multi"),
        (WeightedVote(n_classes=3, weights=[1, 2, 3, 1, 2, 3, 1, 2]), "multi"),
        (DawidSkene(n_classes=3), "multi"),
        (DawidSkene(n_classes=3, model_abstain=True, max_iter=7), "multi"),
        (MatrixCompletion(n_classes=3), "multi"),
        (Triplet(n_classes=2), "binary"),
        (Triplet(n_classes=2, aggregate="mean", class_prior=[0.3, 0.7]), "binary"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else v,
)
def test_partitions_give_the_in_memory_parameters(model, data, request):
    L = request.getfixturevalue(data)
    memory = model.clone().fit(L)
    one = fit_from_statistics(model.clone(), lambda fn: fn(L), L.shape[1])
    passes: list[int] = []
    many = fit_from_statistics(model.clone(), map_sum_over(_parts(L)), L.shape[1], progress=passes.append)
    names = PARAMS[type(model)]
    _assert_same(memory, one, names, atol=0)  # fit(L) is the one-partition statistics fit
    _assert_same(memory, many, names, atol=1e-8)
    np.testing.assert_allclose(many.predict_proba(L), memory.predict_proba(L), rtol=0, atol=1e-8)
    if isinstance(model, DawidSkene):  # one pass per EM iteration and one for the start
        assert memory.n_iter_ == many.n_iter_ and len(passes) in (memory.n_iter_, memory.n_iter_ + 1)
    if isinstance(model, WeightedVote) and model.params.weights is None:
        assert len(passes) == model.params.n_iter


@pytest.mark.parametrize(
    "model",
    [DawidSkene(n_classes=3), WeightedVote(n_classes=3), MajorityVote(n_classes=3)],
    ids=lambda m: type(m).__name__,
)
def test_prepared_partitions_kept_between_passes(model, multi):
    """An executor may prepare each partition once (e.g. DS's vote matrix) and keep it."""
    prepared = [model.prepare_partition(part) for part in _parts(multi)]
    kept = fit_from_statistics(model.clone(), map_sum_over(prepared), 8, prepared=True)
    fresh = fit_from_statistics(model.clone(), map_sum_over(_parts(multi)), 8)
    _assert_same(kept, fresh, PARAMS[type(model)], atol=0)


def test_dawid_skene_partitions_recover_accuracies():
    accuracies = [0.9, 0.8, 0.7, 0.6, 0.85, 0.75]
    L, _ = _generated(5000, accuracies, k=3, coverage=0.8, seed=3)
    ds = fit_from_statistics(DawidSkene(n_classes=3), map_sum_over(np.array_split(L, 9)), L.shape[1])
    estimated = np.einsum("jyy->j", ds.confusion_[:, :, :3]) / 3
    np.testing.assert_allclose(estimated, accuracies, atol=0.04)


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (MajorityVote(n_classes=3, tie_break="random"), "multi"),
        (WeightedVote(n_classes=3, weights=[1, 2, 3, 1, 2, 3, 1, 2]), "multi"),
        (MatrixCompletion(n_classes=3), "multi"),
        (Triplet(n_classes=2), "binary"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else v,
)
def test_partial_fit_over_chunks_equals_fit_on_the_whole(model, data, request):
    L = request.getfixturevalue(data)
    streamed = model.clone()
    parts = _parts(L)
    for chunk in parts[:-1]:
        try:
            streamed.partial_fit(chunk)
        except DataError as err:  # too few rows so far to identify the model: the rows still count
            assert "triplet" in str(err)
    streamed.partial_fit(parts[-1])
    whole = model.clone().fit(L)
    _assert_same(whole, streamed, PARAMS[type(model)], atol=1e-8)
    np.testing.assert_allclose(streamed.predict_proba(L), whole.predict_proba(L), rtol=0, atol=1e-8)
    # fit then partial_fit continues from fit's sums (one-pass models whose fit runs the passes)
    if not isinstance(model, MatrixCompletion):
        half = model.clone().fit(L[:1500])
        half.partial_fit(L[1500:])
        _assert_same(whole, half, PARAMS[type(model)], atol=1e-8)


def test_partial_fit_refusals_and_errors(multi):
    for model, message in [
        (DawidSkene(n_classes=3), "one pass over all rows per iteration"),
        (WeightedVote(n_classes=3), "n_iter re-weighting passes"),
        (MatrixCompletion(n_classes=3, cliques=[[0, 1]]), "with cliques"),
    ]:
        with pytest.raises(UnsupportedError, match=message):
            model.partial_fit(multi[:100])
    with pytest.raises(DataError, match="set n_classes"):
        MajorityVote().partial_fit(multi[:100])
    mv = MajorityVote(n_classes=3).partial_fit(multi[:100, :3])  # sources may be silent so far
    with pytest.raises(DataError, match="same sources"):
        mv.partial_fit(multi[:100])


def test_statistics_fit_refusals(multi):
    L = multi.copy()
    L[:, 2] = -1  # a source that never votes in any partition
    with pytest.raises(DataError, match=r"column\(s\) \[2\] never vote"):
        fit_from_statistics(DawidSkene(n_classes=3), map_sum_over(np.array_split(L, 3)), 8)
    # silent in one partition only is fine
    L2 = multi.copy()
    L2[:1000, 2] = -1
    fit_from_statistics(DawidSkene(n_classes=3), map_sum_over([L2[:1000], L2[1000:]]), 8)
    with pytest.raises(DataError, match="set n_classes"):
        fit_from_statistics(DawidSkene(), map_sum_over([multi]), 8)
    with pytest.raises(UnsupportedError, match="with cliques"):
        fit_from_statistics(MatrixCompletion(n_classes=3, cliques=[[0, 1]]), map_sum_over([multi]), 8)

    class Hooked(MatrixCompletion):
        def init_z(self, problem):  # type: ignore[no-untyped-def]
            return super().init_z(problem)

    with pytest.raises(UnsupportedError, match="overrides init_z"):
        fit_from_statistics(Hooked(n_classes=3), map_sum_over([multi]), 8)
    with pytest.raises(DataError, match="partition has 7 sources"):
        fit_from_statistics(MajorityVote(n_classes=3), map_sum_over([multi, multi[:0, :7]]), 8)
    with pytest.raises(DataError, match="label 3 but n_classes=3"):
        fit_from_statistics(MajorityVote(n_classes=3), map_sum_over([multi, multi[:5] + 1]), 8)


def test_partition_function_travels_with_cloudpickle(multi):
    """Dask process workers receive fn with cloudpickle (transport only, nothing persisted)."""
    cloudpickle = pytest.importorskip("cloudpickle")
    model = DawidSkene(n_classes=3)
    sent: list = []

    def map_sum(fn):
        sent.append(cloudpickle.loads(cloudpickle.dumps(fn)))
        return sent[-1](multi)

    remote = fit_from_statistics(model, map_sum, 8)
    np.testing.assert_array_equal(remote.confusion_, DawidSkene(n_classes=3).fit(multi).confusion_)


@pytest.mark.parametrize(
    "model",
    [MajorityVote(n_classes=3, tie_break="random"), WeightedVote(n_classes=3), DawidSkene(n_classes=3)],
    ids=lambda m: type(m).__name__,
)
def test_sparse_and_dense_give_the_same_predictions(model, multi):
    S = to_sparse_votes(multi)
    dense, on_sparse = model.clone().fit(multi), model.clone().fit(S)
    np.testing.assert_allclose(on_sparse.predict_proba(S), dense.predict_proba(multi), rtol=0, atol=1e-8)
    np.testing.assert_array_equal(dense.predict(S), dense.predict(multi))


def test_models_without_sparse_support_say_so(multi):
    with pytest.raises(DataError, match="majority-vote or dawid-skene"):
        Triplet(n_classes=2).fit(to_sparse_votes(multi.clip(-1, 1)))


def _crowd(n: int, m: int, seed: int) -> tuple:
    """Sparse crowd answers: ~5 votes per row from m workers, 40 busy ones giving most of them;
    worker accuracies 0.3-0.95 (3 classes, wrong answers uniform)."""
    rng = np.random.default_rng(seed)
    k, per_row, busy = 3, 5, 40
    acc = rng.uniform(0.3, 0.95, m)
    y = rng.integers(0, k, n)
    workers = np.where(  # busy workers give 60% of the votes beyond the first of each row
        rng.random((n, per_row)) < 0.6, rng.integers(0, busy, (n, per_row)), rng.integers(0, m, (n, per_row))
    )
    workers[:, 0] = np.arange(n) % m  # every worker answers at least once
    rows = np.repeat(np.arange(n), per_row)
    _, first = np.unique(rows * m + workers.ravel(), return_index=True)  # one answer per worker and item
    rows, cols = rows[first], workers.ravel()[first]
    right = rng.random(rows.size) < acc[cols]
    votes = np.where(right, y[rows], (y[rows] + rng.integers(1, k, rows.size)) % k)
    S = sparse.csr_matrix((votes + 1, (rows, cols)), shape=(n, m), dtype=np.int64)
    return S, y, acc, busy


def test_sparse_crowd_with_10000_workers_never_densified():
    import tracemalloc

    n, m = 20_000, 10_000
    S, y, acc, busy = _crowd(n, m, seed=4)
    tracemalloc.start()
    mv = MajorityVote(n_classes=3).fit(S)
    mv_acc = float((mv.predict(S) == y).mean())
    ds = DawidSkene(n_classes=3).fit(S)
    ds_acc = float((ds.predict(S) == y).mean())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < n * m * 8 / 20, peak  # a dense (n, m) int64 matrix is 1.6 GB
    assert ds_acc > mv_acc + 0.02, (ds_acc, mv_acc)  # measured 0.871 vs 0.837
    # busy workers (~1200 answers each): EM's estimate is ~0.02 optimistic, max error 0.043
    error = np.abs(np.einsum("jyy->j", ds.confusion_[:busy, :, :3]) / 3 - acc[:busy])
    assert error.mean() < 0.03 and error.max() < 0.06, error
    # the same fit from 4 sparse partitions
    parts = [S[i : i + 5000] for i in range(0, n, 5000)]
    split = fit_from_statistics(DawidSkene(n_classes=3), map_sum_over(parts), m)
    assert split.n_iter_ == ds.n_iter_
    np.testing.assert_allclose(split.confusion_, ds.confusion_, rtol=0, atol=1e-8)
