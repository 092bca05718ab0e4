"""weasul.statistics: the pass loop over summed partition statistics, and sparse label matrices."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest
from weasul.errors import DataError, UnsupportedError
from weasul.statistics import (
    FitsFromStatistics,
    fit_from_statistics,
    map_sum_over,
    sum_statistics,
)
from weasul.validation import check_label_matrix, to_dense_votes, to_sparse_votes

sparse = pytest.importorskip("scipy.sparse")


class MedianOfVotes:
    """Toy iterative model: the median vote of each source by bisection on summed counts, one
    pass per halving (so the driver must run several passes and keep the state)."""

    def statistics_start(self, n_sources: int) -> dict[str, np.ndarray]:
        return {"low": np.zeros(n_sources), "high": np.full(n_sources, 10.0)}

    def partition_statistics(
        self, L_part: np.ndarray, state: Mapping[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        mid = (state["low"] + state["high"]) / 2
        voted = L_part != -1
        return {
            "below": ((L_part <= mid) & voted).sum(axis=0).astype(float),
            "votes": voted.sum(axis=0).astype(float),
        }

    def update_from_statistics(
        self, summed: Mapping[str, np.ndarray], state: Mapping[str, np.ndarray]
    ) -> tuple[dict[str, np.ndarray], bool]:
        mid = (state["low"] + state["high"]) / 2
        at_least_half = summed["below"] >= summed["votes"] / 2
        high = np.where(at_least_half, mid, state["high"])
        low = np.where(at_least_half, state["low"], mid)
        return {"low": low, "high": high}, bool(np.max(high - low) < 1e-3)

    def finish_from_statistics(self, state: Mapping[str, np.ndarray]) -> MedianOfVotes:
        self.median_ = state["high"]
        return self


def test_driver_runs_passes_until_done_and_partitions_do_not_matter():
    rng = np.random.default_rng(0)
    L = rng.integers(-1, 10, size=(501, 4))
    passes: list[int] = []
    whole = fit_from_statistics(MedianOfVotes(), lambda fn: fn(L), 4, progress=passes.append)
    parts = np.split(L, [3, 3, 100, 420])  # uneven, one empty
    split = fit_from_statistics(MedianOfVotes(), map_sum_over(parts), 4)
    assert isinstance(MedianOfVotes(), FitsFromStatistics)
    assert passes == list(range(1, len(passes) + 1)) and len(passes) == 14  # 10 / 2^14 < 1e-3
    np.testing.assert_array_equal(whole.median_, split.median_)
    for j in range(4):  # the bisection found a median of each source's votes
        votes = L[:, j][L[:, j] != -1]
        assert (votes <= whole.median_[j]).mean() >= 0.5 and (votes < whole.median_[j] - 1e-3).mean() <= 0.5


def test_map_sum_over_a_function_of_fresh_iterators_and_refusals():
    L = np.arange(12).reshape(6, 2) % 3
    calls = []

    def chunks():
        calls.append(1)
        return iter([L[:2], L[2:]])

    fit_from_statistics(MedianOfVotes(), map_sum_over(chunks), 2)
    assert len(calls) > 1  # one fresh iterator per pass
    with pytest.raises(DataError, match="one-shot iterator"):
        map_sum_over(iter([L]))
    with pytest.raises(DataError, match="no chunks"):
        map_sum_over([])(lambda part: {"x": np.zeros(1)})


def test_model_without_statistics_is_refused_by_name():
    class InMemoryOnly:
        def fit(self, L: np.ndarray) -> InMemoryOnly:
            return self

    with pytest.raises(UnsupportedError, match="InMemoryOnly cannot be fitted from partition statistics"):
        fit_from_statistics(InMemoryOnly(), lambda fn: fn(np.zeros((2, 2))), 2)


def test_prepared_partitions_need_the_protocol():
    with pytest.raises(UnsupportedError, match="MedianOfVotes has no prepare_partition"):
        fit_from_statistics(MedianOfVotes(), lambda fn: fn(np.zeros((2, 2))), 2, prepared=True)


def test_bad_map_sum_results_and_mismatched_statistics():
    with pytest.raises(DataError, match="must return the elementwise sum"):
        fit_from_statistics(MedianOfVotes(), lambda fn: [fn(np.zeros((2, 2), dtype=int))], 2)
    with pytest.raises(DataError, match="different keys"):
        sum_statistics({"a": np.zeros(2)}, {"b": np.zeros(2)})
    with pytest.raises(DataError, match="shapes"):
        sum_statistics({"a": np.zeros(2)}, {"a": np.zeros(3)})
    assert sum_statistics({"a": np.ones(2)}, {"a": np.ones(2)})["a"].tolist() == [2.0, 2.0]


# --- sparse label matrices (stored value = class + 1) ------------------------------------
L_DENSE = np.array([[0, -1, 2], [-1, -1, 1], [1, 0, -1], [-1, -1, -1]])


def test_sparse_round_trip_and_check_returns_sparse():
    S = to_sparse_votes(L_DENSE)
    assert sparse.issparse(S) and S.nnz == 5 and S.toarray()[0].tolist() == [1, 0, 3]
    np.testing.assert_array_equal(to_dense_votes(S), L_DENSE)
    checked = check_label_matrix(S.tocoo(), n_classes=3, accept_sparse=True)
    assert sparse.issparse(checked) and checked.format == "csr" and checked.dtype == np.int64
    explicit_zero = sparse.csr_matrix(
        (np.array([1, 0, 2]), np.array([0, 1, 2]), np.array([0, 3])), shape=(1, 3)
    )
    assert check_label_matrix(explicit_zero, accept_sparse=True, allow_silent_sources=True).nnz == 2
    assert explicit_zero.nnz == 3  # the caller's matrix is not changed


@pytest.mark.parametrize(
    ("values", "cols", "message"),
    [
        ([-1, 1, 1], [0, 1, 2], "stores value -1"),
        ([1, 4, 1], [0, 1, 2], "stores 4, i.e. label 3, but n_classes=3"),
        ([1, 2, 1], [0, 0, 2], "two votes of one source"),
        ([1, 1, 1], [0, 0, 0], "two votes"),
        ([1.5, 1, 1], [0, 1, 2], "non-integer"),
    ],
)
def test_sparse_errors(values, cols, message):
    S = sparse.csr_matrix((np.array(values), np.array(cols), np.array([0, 3])), shape=(1, 3))
    with pytest.raises(DataError, match=message):
        check_label_matrix(S, n_classes=3, accept_sparse=True)


def test_sparse_silent_sources_no_votes_and_refusal_without_accept_sparse():
    S = to_sparse_votes(L_DENSE[:, :2])
    with pytest.raises(DataError, match=r"column\(s\) \[1\] never vote"):
        check_label_matrix(to_sparse_votes(np.array([[0, -1], [1, -1]])), accept_sparse=True)
    with pytest.raises(DataError, match="no votes at all"):
        check_label_matrix(sparse.csr_matrix((3, 2), dtype=np.int64), accept_sparse=True)
    with pytest.raises(DataError, match="to_dense_votes"):
        check_label_matrix(S)
    with pytest.raises(DataError, match="fitted on 3"):
        check_label_matrix(S, n_sources=3, accept_sparse=True)


def test_sparse_check_never_densifies():
    import tracemalloc

    n, m = 20_000, 10_000
    rng = np.random.default_rng(0)
    rows = np.repeat(np.arange(n), 5)
    cols = rng.integers(0, m, rows.size)
    S = sparse.coo_matrix((rng.integers(1, 3, rows.size), (rows, cols)), shape=(n, m)).tocsr()
    S.sum_duplicates()
    S.data = np.minimum(S.data, 2)
    tracemalloc.start()
    check_label_matrix(S, n_classes=2, accept_sparse=True, allow_silent_sources=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < n * m * 8 / 100  # a dense int64 copy would be 1.6 GB; the check holds a few MB
