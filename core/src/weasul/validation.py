"""Shared input checks. Each returns a clean array or raises `DataError` saying what to do."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from weasul.errors import DataError

__all__ = [
    "ABSTAIN",
    "check_label_matrix",
    "check_labels",
    "check_probs",
    "check_features",
    "check_images",
    "check_same_length",
    "check_folder",
    "infer_n_classes",
    "is_sparse",
    "to_sparse_votes",
    "to_dense_votes",
]

ABSTAIN = -1


def _as_array(value: Any, name: str) -> np.ndarray:
    if value is None:
        raise DataError(f"{name} is missing; pass an array")
    if hasattr(value, "toarray") and not isinstance(value, np.ndarray):
        raise DataError(f"{name} is a sparse matrix; pass a dense numpy array (call .toarray())")
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as err:
        raise DataError(f"{name} cannot be read as an array: {err}") from err


def _check_integral(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise DataError(f"{name} has dtype {arr.dtype}; expected integers (classes 0..K-1, -1 = abstain)")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            first = np.argwhere(~np.isfinite(arr))[0].tolist()
            raise DataError(
                f"{name} contains NaN or inf (first at index {first[0] if arr.ndim == 1 else tuple(first)}); "
                "use -1 for abstain and integers for classes"
            )
        if not np.all(arr == np.round(arr)):
            raise DataError(f"{name} has non-integer values; labels must be whole numbers")
    return arr.astype(np.int64, copy=False)


@overload
def check_label_matrix(
    L: Any,
    *,
    n_classes: int | None = ...,
    n_sources: int | None = ...,
    name: str = ...,
    allow_silent_sources: bool = ...,
    allow_no_votes: bool = ...,
    accept_sparse: Literal[False] = ...,
) -> np.ndarray: ...


@overload
def check_label_matrix(
    L: Any,
    *,
    n_classes: int | None = ...,
    n_sources: int | None = ...,
    name: str = ...,
    allow_silent_sources: bool = ...,
    allow_no_votes: bool = ...,
    accept_sparse: bool,
) -> Any: ...


def check_label_matrix(
    L: Any,
    *,
    n_classes: int | None = None,
    n_sources: int | None = None,
    name: str = "L",
    allow_silent_sources: bool = False,
    allow_no_votes: bool = False,
    accept_sparse: bool = False,
) -> Any:
    """Check a label matrix (n_items, n_sources): integers, -1 = abstain, classes 0..K-1.

    With `accept_sparse`, a scipy.sparse matrix is checked and returned as CSR (int64 data,
    never densified): stored value = class + 1 in 1..K, an implicit zero is an abstain (see
    `to_sparse_votes`). Without it, a sparse matrix is refused with a DataError.

    Rows where every source abstains are allowed (models return the class prior there); an
    empty matrix is refused. A source that never votes is refused unless `allow_silent_sources`;
    a matrix with no vote at all is refused unless `allow_no_votes` (fine for predicting a batch).

    At predict time pass what the model was fitted with: `n_sources` (the number of columns
    must match) and `n_classes` (no label above K-1), with both `allow_` flags on; e.g.
    `check_label_matrix(L, n_classes=self.n_classes_, n_sources=self.n_sources_,
    allow_silent_sources=True, allow_no_votes=True)`.
    """
    if is_sparse(L):
        if not accept_sparse:
            raise DataError(
                f"{name} is a sparse label matrix but this model takes a dense one: convert it with "
                "weasul.validation.to_dense_votes(L) (not .toarray(): sparse stores class + 1), or use "
                "majority-vote or dawid-skene, which accept sparse L"
            )
        return _check_sparse_votes(L, n_classes, n_sources, name, allow_silent_sources, allow_no_votes)
    arr = _as_array(L, name)
    if arr.ndim != 2:
        raise DataError(f"{name} must be 2-D (n_items, n_sources), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DataError(f"{name} is empty (shape {arr.shape}); it needs at least one item and one source")
    if n_sources is not None and arr.shape[1] != n_sources:
        raise DataError(
            f"{name} has {arr.shape[1]} sources (columns) but the model was fitted on {n_sources}; "
            "pass the same labeling functions in the same column order"
        )
    arr = _check_integral(arr, name)
    low, high = int(arr.min()), int(arr.max())
    if low < ABSTAIN:
        raise DataError(f"{name} has value {low}; use -1 for abstain and 0..K-1 for classes")
    if n_classes is not None and high >= n_classes:
        raise DataError(
            f"{name} has label {high} but n_classes={n_classes}; classes must be 0..{n_classes - 1}"
        )
    if high == ABSTAIN and not allow_no_votes:
        raise DataError(f"{name} has no votes at all (every entry is -1); check the labeling functions")
    if not allow_silent_sources:
        silent = np.flatnonzero((arr == ABSTAIN).all(axis=0))
        if silent.size:
            raise DataError(
                f"{name} column(s) {silent.tolist()} never vote (all -1); drop those sources or fix them"
            )
    return arr


def is_sparse(value: Any) -> bool:
    """Whether `value` is a scipy.sparse matrix or array (duck-typed: scipy is not imported)."""
    return not isinstance(value, np.ndarray) and hasattr(value, "tocsr") and hasattr(value, "nnz")


def _check_sparse_votes(
    L: Any,
    n_classes: int | None,
    n_sources: int | None,
    name: str,
    allow_silent_sources: bool,
    allow_no_votes: bool,
) -> Any:
    """`check_label_matrix` for a sparse L: CSR with canonical indices and int64 data 1..K."""
    if len(L.shape) != 2:
        raise DataError(f"{name} must be 2-D (n_items, n_sources), got shape {L.shape}")
    n, m = L.shape
    if n == 0 or m == 0:
        raise DataError(f"{name} is empty (shape {L.shape}); it needs at least one item and one source")
    if n_sources is not None and m != n_sources:
        raise DataError(
            f"{name} has {m} sources (columns) but the model was fitted on {n_sources}; "
            "pass the same labeling functions in the same column order"
        )
    S = L.tocsr()
    if S is L or not S.has_canonical_format:
        S = S.copy()  # never change the caller's matrix
    if not S.has_sorted_indices:
        S.sort_indices()
    same_row = np.repeat(np.arange(n), np.diff(S.indptr))
    dup = (np.diff(S.indices) == 0) & (np.diff(same_row) == 0)
    if dup.any():
        row = int(same_row[1:][dup][0])
        raise DataError(
            f"{name} stores two votes of one source for row {row}; each (row, source) holds at most one "
            "vote (class + 1)"
        )
    data = _check_integral(np.asarray(S.data), name)
    S.data = data
    if data.size and data.min() == 0:  # explicitly stored zeros are abstains too
        S.eliminate_zeros()
        data = np.asarray(S.data)
    if data.size and data.min() < 0:
        raise DataError(
            f"{name} stores value {int(data.min())}; a sparse label matrix stores class + 1 (1..K) and "
            "leaves abstains out; convert a dense L (-1 = abstain) with weasul.validation.to_sparse_votes"
        )
    if n_classes is not None and data.size and data.max() > n_classes:
        raise DataError(
            f"{name} stores {int(data.max())}, i.e. label {int(data.max()) - 1}, but n_classes={n_classes}; "
            f"stored values must be class + 1 in 1..{n_classes}"
        )
    if data.size == 0 and not allow_no_votes:
        raise DataError(f"{name} has no votes at all (no stored entry); check the labeling functions")
    if not allow_silent_sources:
        silent = np.flatnonzero(np.bincount(S.indices, minlength=m) == 0)
        if silent.size:
            raise DataError(
                f"{name} column(s) {silent[:20].tolist()} never vote (no stored entry); drop those "
                "sources or fix them"
            )
    return S


def to_sparse_votes(L: Any) -> Any:
    """A dense label matrix (n, m), -1 = abstain, as scipy CSR with stored value = class + 1
    (abstains are implicit zeros): the sparse convention every sparse-aware model reads.

    Raises DataError on a malformed `L`."""
    from scipy import sparse

    arr = check_label_matrix(L, allow_silent_sources=True, allow_no_votes=True)
    rows, cols = np.nonzero(arr != ABSTAIN)
    return sparse.csr_matrix((arr[rows, cols] + 1, (rows, cols)), shape=arr.shape, dtype=np.int64)


def to_dense_votes(S: Any) -> np.ndarray:
    """A sparse label matrix (stored value = class + 1) as a dense int64 matrix with -1 =
    abstain; the inverse of `to_sparse_votes`. Needs n * m * 8 bytes: only for small matrices.

    Raises DataError on a malformed `S`."""
    if not is_sparse(S):
        raise DataError(f"to_dense_votes takes a scipy.sparse matrix, got {type(S).__name__}")
    C = check_label_matrix(S, allow_silent_sources=True, allow_no_votes=True, accept_sparse=True)
    out = np.full(C.shape, ABSTAIN, dtype=np.int64)
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    out[rows, C.indices] = np.asarray(C.data) - 1
    return out


def check_labels(
    y: Any, *, n_classes: int | None = None, n_items: int | None = None, name: str = "y"
) -> np.ndarray:
    """Check gold or given labels (n_items,), integers in 0..K-1."""
    arr = _as_array(y, name)
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D (n_items,), got shape {arr.shape}")
    if arr.size == 0:
        raise DataError(f"{name} is empty")
    arr = _check_integral(arr, name)
    if n_items is not None and arr.shape[0] != n_items:
        raise DataError(f"{name} has {arr.shape[0]} items but {n_items} were expected")
    if arr.min() < 0:
        raise DataError(f"{name} has label {int(arr.min())}; labels must be 0..K-1")
    if n_classes is not None and arr.max() >= n_classes:
        raise DataError(f"{name} has label {int(arr.max())} but n_classes={n_classes}")
    return arr


def check_probs(
    P: Any,
    *,
    n_items: int | None = None,
    n_classes: int | None = None,
    name: str = "probs",
    atol: float = 1e-4,
) -> np.ndarray:
    """Check class probabilities (n_items, K): finite, in [0, 1], rows summing to 1.

    float32 input stays float32 (no copy to float64 for large inputs).
    """
    arr = _as_array(P, name)
    if arr.ndim != 2:
        raise DataError(f"{name} must be 2-D (n_items, n_classes), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] < 2:
        raise DataError(f"{name} has shape {arr.shape}; it needs items and at least two classes")
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise DataError(f"{name} has dtype {arr.dtype}; expected class probabilities (numbers in [0, 1])")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    low, high = arr.min(), arr.max()  # NaN or inf in the array makes one of these non-finite
    if not (np.isfinite(low) and np.isfinite(high)):
        raise DataError(f"{name} contains NaN or inf; check the model that produced it")
    if low < -atol or high > 1 + atol:
        raise DataError(f"{name} has values outside [0, 1]; pass probabilities, not scores or logits")
    sums = arr.sum(axis=1, dtype=np.float64)
    worst = int(np.argmax(np.abs(sums - 1)))
    if abs(sums[worst] - 1) > max(atol, 1e-3 if arr.dtype == np.float32 else atol):
        raise DataError(f"{name} row {worst} sums to {sums[worst]:.6f}, not 1; normalise rows (e.g. softmax)")
    if n_items is not None and arr.shape[0] != n_items:
        raise DataError(f"{name} has {arr.shape[0]} rows but {n_items} items were expected")
    if n_classes is not None and arr.shape[1] != n_classes:
        raise DataError(f"{name} has {arr.shape[1]} columns but n_classes={n_classes}")
    return arr


def check_features(X: Any, *, n_items: int | None = None, name: str = "X") -> np.ndarray:
    """Check a numeric feature matrix (n_items, d): finite floats."""
    arr = _as_array(X, name)
    if arr.ndim != 2:
        raise DataError(f"{name} must be 2-D (n_items, n_features), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DataError(f"{name} is empty (shape {arr.shape})")
    if arr.dtype != bool and not np.issubdtype(arr.dtype, np.number):
        raise DataError(f"{name} has dtype {arr.dtype}; expected numbers (encode text first)")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0].tolist()
        raise DataError(
            f"{name} contains NaN or inf (first at row {bad[0]}, column {bad[1]}); impute or drop it"
        )
    if n_items is not None and arr.shape[0] != n_items:
        raise DataError(f"{name} has {arr.shape[0]} rows but {n_items} items were expected")
    return arr


def check_images(X: Any, image_shape: Sequence[int] | None) -> tuple[np.ndarray, tuple[int, ...]]:
    """X as float32 input of an image-or-rows network, and the shape of one item: with
    `image_shape` (C, H, W), images (n, C, H, W) with finite values in [0, 1]; without, rows
    (n, d), images flattened. A scipy.sparse X is densified. The caller first checks what its
    network needs of `image_shape` (e.g. H = W, a multiple of 8)."""
    if hasattr(X, "tocsr"):
        arr = X.toarray().astype(np.float32)
    else:
        raw = np.asarray(X)
        if raw.ndim == 0 or raw.dtype.kind not in "biuf":
            check_features(raw)  # raises a DataError naming the shape or dtype
        arr = raw.astype(np.float32)
    if image_shape is None:
        rows = arr.reshape(arr.shape[0], int(np.prod(arr.shape[1:]))) if arr.ndim > 2 else arr
        flat = check_features(rows)
        return np.asarray(flat, dtype=np.float32), (int(flat.shape[1]),)
    c, h, w = (int(v) for v in image_shape)
    if arr.size != len(arr) * c * h * w or len(arr) == 0:
        raise DataError(f"X has {arr.shape} values per row, but image_shape {image_shape} needs {c * h * w}")
    images = arr.reshape(len(arr), c, h, w)
    if not np.isfinite(images).all() or images.min() < 0 or images.max() > 1:
        raise DataError("image values must be finite and in [0, 1]")
    return images, (c, h, w)


def check_same_length(**arrays: Any) -> int:
    """All named arrays have the same first dimension; returns it."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise DataError(f"inputs differ in length ({described}); pass one row per item in each")
    return next(iter(lengths.values()), 0)


def infer_n_classes(L: np.ndarray, n_classes: int | None) -> int:
    """`n_classes` if given, else max label + 1 (at least 2)."""
    if n_classes is not None:
        return n_classes
    return max(2, int(L.max()) + 1)


def check_folder(path: str | Path) -> Path:
    """An existing data folder (with `~` expanded), or a DataError naming the path."""
    folder = Path(path).expanduser()
    if folder.is_file():
        raise DataError(f"data folder '{path}' is a file; name the folder that holds the data files")
    if not folder.is_dir():
        raise DataError(
            f"data folder '{path}' does not exist; check the path (in a spec, relative to the spec's folder)"
        )
    return folder
