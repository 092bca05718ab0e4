"""Row-partitioned artifacts: arrays that stay on disk as one .npy file per partition.

With the Dask executor (`executor: {kind: dask}`) the labeling-function step writes each split's
label matrix as partitions, label models fit from statistics summed over them
(`weasul.statistics.fit_from_statistics`) and write their probabilities and predictions per
partition, so no N-row array is ever gathered into the client. An artifact `L.train` is the
folder `L.train.parts/` holding `part-00000.npy`, ... and `index.json` (rows per partition,
dtype, sha256 of every part); it is written by the workers (which must therefore see the run
folder: a local cluster, or a cluster on a shared filesystem) and cached like any other file
under the manifest and checksum rules of `weasul.cache`. The value a step sees is a
`PartitionedArray`: shape, dtype and paths; `to_numpy()` (or `np.asarray`) gathers it.

A data set loader that implements `LoadsPartitioned` (the `table` loader) gives its tables as
`PartitionedTable`s: descriptions of partitions (csv byte ranges, parquet row ranges) that the
workers read where they use them, so the LF step labels each partition where it is read and an
encoder that declares `encodes_rows` encodes it there (features as .npy, or sparse .npz, parts).
A label model's predictions come back as counts only: metrics, class shares and the
calibration bins the report turns into an ECE and a reliability curve.

Steps that do not declare `accepts_partitioned` get their partitioned inputs gathered by the
engine, with a warning naming the step and the size.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard, runtime_checkable

import numpy as np

from weasul.errors import DataError, PluginContractError

if TYPE_CHECKING:
    import pandas as pd

    from weasul.data import Dataset
    from weasul.executor import Executor, ExecutorSpec
    from weasul.interfaces import DatasetLoader, Encoder, LabelModel
    from weasul.lf import LabelingFunction
    from weasul.steps import StepContext, StepOutput

__all__ = [
    "SUFFIX",
    "PartitionedArray",
    "PartitionedTable",
    "LoadsPartitioned",
    "load_dataset",
    "keeps_partitioned",
    "loads_partitioned",
    "read_table_part",
    "is_partitioned",
    "write_partitions",
    "map_partitions",
    "apply_lfs_partitioned",
    "lf_summary_partitioned",
    "fit_label_model",
    "predict_label_model",
    "encode_partitioned",
    "calibration_counts",
    "gather_inputs",
    "check_partitioned",
]

_log = logging.getLogger("weasul.run")

#: The folder suffix of a partitioned artifact (`L.train.parts/`).
SUFFIX = ".parts"
INDEX = "index.json"
_FORMAT = 1


def _part_name(i: int, sparse: bool = False) -> str:
    return f"part-{i:05d}.{'npz' if sparse else 'npy'}"


def _is_sparse(value: Any) -> bool:
    return hasattr(value, "tocsr") and not isinstance(value, np.ndarray)


@dataclass(frozen=True)
class _Meta:
    """What a worker reports about one partition it wrote."""

    rows: int
    tail: tuple[int, ...]
    dtype: str
    sha256: str
    sparse: bool = False


@dataclass(frozen=True)
class PartitionedArray:
    """An array split along rows into .npy files `files` in `folder` (one per partition), or
    .npz files of scipy CSR matrices (sparse features: `sparse`, `gather()` stays sparse).

    `checked` names the artifact kind its partitions were checked against when written (see
    `weasul.outputs`), or is empty."""

    folder: Path
    files: tuple[str, ...]
    rows: tuple[int, ...]
    tail: tuple[int, ...]
    dtype: str
    checksums: tuple[str, ...]
    checked: str = ""

    partitioned = True  # what `is_partitioned` and the engine look for

    # --- array-like facts ---
    @property
    def shape(self) -> tuple[int, ...]:
        return (sum(self.rows), *self.tail)

    @property
    def ndim(self) -> int:
        return 1 + len(self.tail)

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape)) * np.dtype(self.dtype).itemsize

    def __len__(self) -> int:
        return sum(self.rows)

    @property
    def n_partitions(self) -> int:
        return len(self.files)

    @property
    def sparse(self) -> bool:
        return bool(self.files) and self.files[0].endswith(".npz")

    @property
    def paths(self) -> list[Path]:
        return [self.folder / name for name in self.files]

    @property
    def bounds(self) -> list[tuple[int, int]]:
        """(first row, end row) of every partition."""
        ends = np.cumsum([0, *self.rows])
        return [(int(a), int(b)) for a, b in zip(ends[:-1], ends[1:], strict=True)]

    def load(self, i: int) -> Any:
        """Partition `i` as a numpy array (a scipy CSR matrix for a sparse artifact)."""
        return _load(str(self.paths[i]))

    def __iter__(self) -> Iterator[np.ndarray]:
        """The partitions in order (one in memory at a time)."""
        return (self.load(i) for i in range(self.n_partitions))

    def to_numpy(self) -> np.ndarray:
        """The whole array in this process, dense (it may be large: that is the point of partitions)."""
        if not self.files:
            return np.empty((0, *self.tail), dtype=self.dtype)
        if self.sparse:
            return np.asarray(self.gather().toarray())
        return np.concatenate(list(self))

    def gather(self) -> Any:
        """The whole value in this process: a numpy array, or one CSR matrix for a sparse artifact."""
        if self.sparse:
            import scipy.sparse

            return scipy.sparse.vstack(list(self), format="csr")
        return self.to_numpy()

    def describe(self) -> str:
        kind = "sparse " if self.sparse else ""
        return f"{kind}{'x'.join(map(str, self.shape))} array ({self.nbytes / 2**20:.1f} MB dense)"

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = self.to_numpy()
        return arr if dtype is None else arr.astype(dtype)

    def fingerprint(self) -> str:
        """A content hash made from the partitions' checksums (recorded when written)."""
        h = hashlib.sha256(f"partitioned:{self.dtype}:{self.shape}:{self.rows}".encode())
        for digest in self.checksums:
            h.update(digest.encode())
        return h.hexdigest()[:32]

    def to_dask(self) -> Any:
        """The same array as a lazy dask array, one block per partition (needs the dask extra)."""
        from weasul.lazy import require

        if self.sparse:
            raise DataError(f"{self.folder.name}: a sparse partitioned artifact has no dask array form")
        da = require("dask.array", extra="dask", distribution="weasul-core")
        delayed = require("dask", extra="dask", distribution="weasul-core").delayed
        blocks = [
            da.from_delayed(delayed(_load)(str(path)), shape=(rows, *self.tail), dtype=self.dtype)
            for path, rows in zip(self.paths, self.rows, strict=True)
        ]
        return da.concatenate(blocks, axis=0)

    # --- on disk ---
    def write_index(self) -> None:
        index = {
            "format": _FORMAT,
            "files": list(self.files),
            "rows": list(self.rows),
            "tail": list(self.tail),
            "dtype": self.dtype,
            "sha256": list(self.checksums),
            "checked": self.checked,
        }
        (self.folder / INDEX).write_text(json.dumps(index, indent=1), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> PartitionedArray:
        """The partitioned artifact in `folder` (written by `write_partitions` or `copy_to`)."""
        try:
            index = json.loads((Path(folder) / INDEX).read_text(encoding="utf-8"))
            if index.get("format") != _FORMAT:
                raise DataError(f"{folder / INDEX} is not format {_FORMAT}")
            out = cls(
                Path(folder),
                tuple(str(f) for f in index["files"]),
                tuple(int(r) for r in index["rows"]),
                tuple(int(t) for t in index["tail"]),
                str(index["dtype"]),
                tuple(str(s) for s in index["sha256"]),
                str(index.get("checked", "")),
            )
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise DataError(
                f"{folder} is not a readable partitioned artifact: {type(err).__name__}: {err}"
            ) from None
        if not len(out.files) == len(out.rows) == len(out.checksums):
            raise DataError(f"{folder / INDEX} lists {len(out.files)} files but {len(out.rows)} row counts")
        return out

    def copy_to(self, stem: Path) -> Path:
        """This artifact in the folder `stem` + `.parts` (hard links where the filesystem allows,
        copies otherwise); returns that folder. Nothing is done when it is already there."""
        target = stem.with_name(stem.name + SUFFIX)
        if target.resolve() == self.folder.resolve():
            return target
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name in self.files:
            try:
                os.link(self.folder / name, target / name)
            except OSError:
                shutil.copyfile(self.folder / name, target / name)
        dataclasses.replace(self, folder=target).write_index()
        return target

    # --- work on the partitions ---
    def map_sum(self, executor: Executor | None) -> Callable[[Callable[[Any], Any]], dict[str, np.ndarray]]:
        """A `map_sum` for `weasul.statistics.fit_from_statistics`: `fn(L_part)` runs on every
        partition (on the workers with a Dask executor) and the dicts are tree-summed there."""
        from weasul.executor import Executor

        runner = executor or Executor()
        paths = [str(p) for p in self.paths]

        def map_sum(fn: Callable[[Any], Any]) -> dict[str, np.ndarray]:
            return runner.map_sum(functools.partial(_on_partition, fn), paths)

        return map_sum

    @contextmanager
    def prepared(
        self, executor: Executor, prepare: Callable[[Any], Any]
    ) -> Iterator[Callable[[Callable[[Any], Any]], dict[str, np.ndarray]]]:
        """A `map_sum` over `prepare(partition)`, made once per partition and kept on the worker
        that made it (for `fit_from_statistics(prepared=True)`); freed when the block ends."""
        handles = executor.persist(functools.partial(_on_partition, prepare), [str(p) for p in self.paths])
        try:
            yield lambda fn: executor.map_sum(fn, handles)
        finally:
            executor.release(handles)

    def check(
        self, kind: str, name: str, n_classes: int | None = None, executor: Executor | None = None
    ) -> PartitionedArray:
        """Every partition checked against artifact `kind` (on the workers with a Dask executor);
        raises DataError naming the partition. Returns the artifact marked as checked."""
        from weasul.executor import Executor

        runner = executor or Executor()
        items = [(str(p), f"{name} partition {i}") for i, p in enumerate(self.paths)]
        runner.map_list(functools.partial(_check_file, kind, n_classes), items)
        return dataclasses.replace(self, checked=kind)


@dataclass(frozen=True)
class PartitionedTable:
    """A table split along rows into partitions that are read where they are used (on the
    workers with a Dask executor), never as a whole in this process: `parts[i]` describes
    partition i (a byte range of a csv file, a row range of a parquet file) and `read(parts[i])`
    returns it as a DataFrame. `checksums` are content hashes of the partitions, computed by
    the workers that read them. With `column` set the value is that column as a text artifact
    (`load` gives an object array of str), with the same partitions."""

    parts: tuple[Any, ...]
    read: Callable[[Any], pd.DataFrame]
    rows: tuple[int, ...]
    columns: tuple[str, ...]
    checksums: tuple[str, ...]
    column: str | None = None

    partitioned = True  # what `is_partitioned` and the engine look for

    @property
    def shape(self) -> tuple[int, ...]:
        n = sum(self.rows)
        return (n,) if self.column is not None else (n, len(self.columns))

    def __len__(self) -> int:
        return sum(self.rows)

    @property
    def n_partitions(self) -> int:
        return len(self.parts)

    @property
    def bounds(self) -> list[tuple[int, int]]:
        """(first row, end row) of every partition."""
        ends = np.cumsum([0, *self.rows])
        return [(int(a), int(b)) for a, b in zip(ends[:-1], ends[1:], strict=True)]

    def text(self, column: str) -> PartitionedTable:
        """The text artifact of `column` (the same partitions)."""
        return dataclasses.replace(self, column=column)

    def items(self) -> list[tuple[Callable[[Any], pd.DataFrame], Any, int, str | None]]:
        """What a worker needs to read each partition (see `read_table_part`)."""
        return [
            (self.read, part, a, self.column) for part, (a, _) in zip(self.parts, self.bounds, strict=True)
        ]

    def load(self, i: int) -> Any:
        """Partition `i`: a DataFrame indexed by row number in the whole table, or the text array."""
        return read_table_part(self.items()[i])

    def __iter__(self) -> Iterator[Any]:
        return (self.load(i) for i in range(self.n_partitions))

    def gather(self) -> Any:
        """The whole table (or text array) in this process."""
        parts = list(self)
        if self.column is not None:
            return np.concatenate(parts) if parts else np.empty(0, dtype=object)
        import pandas as pd

        return pd.concat(parts) if parts else pd.DataFrame(columns=list(self.columns))

    def to_numpy(self) -> np.ndarray:
        return np.asarray(self.gather())

    def describe(self) -> str:
        what = f"text column '{self.column}'" if self.column is not None else "table"
        return f"{what} of {len(self):,} rows in {self.n_partitions} partitions"

    def fingerprint(self) -> str:
        """A content hash made from the partitions' checksums (computed when they were read)."""
        h = hashlib.sha256(f"table:{self.column}:{list(self.columns)}:{self.rows}".encode())
        for digest in self.checksums:
            h.update(digest.encode())
        return h.hexdigest()[:32]


def read_table_part(item: tuple[Callable[[Any], pd.DataFrame], Any, int, str | None]) -> Any:
    """One partition of a `PartitionedTable` (`PartitionedTable.items()`), read where this runs:
    the DataFrame with its rows numbered as in the whole table, or the text of one column."""
    import pandas as pd

    read, part, start, column = item
    frame = read(part)
    frame.index = pd.RangeIndex(start, start + len(frame))
    if column is not None:
        return frame[column].astype(str).to_numpy(dtype=object)
    return frame


@runtime_checkable
class LoadsPartitioned(Protocol):
    """A data set loader that can read its splits as partitions on the executor's workers."""

    def load_partitioned(self, executor: Executor) -> Dataset:
        """The data set with its large fields as `PartitionedTable` / `PartitionedArray`."""
        ...


def keeps_partitioned(spec: ExecutorSpec | None) -> bool:
    """Whether a run under this executor keeps its data and artifacts in partitions: Dask with
    `partitioned: true` (the default)."""
    return spec is not None and spec.kind == "dask" and spec.partitioned


def loads_partitioned(loader: object, spec: ExecutorSpec | None) -> TypeGuard[LoadsPartitioned]:
    """Whether the run's data set is read in partitions (`load_partitioned`) rather than whole:
    the executor keeps data partitioned and the loader implements `LoadsPartitioned`."""
    return keeps_partitioned(spec) and isinstance(loader, LoadsPartitioned)


def load_dataset(loader: DatasetLoader, executor: Executor | None) -> Dataset:
    """`loader.load()`, or its partitioned form when the executor keeps artifacts partitioned
    (Dask with `partitioned: true`) and the loader implements `LoadsPartitioned`."""
    if executor is not None and loads_partitioned(loader, executor.spec):
        return loader.load_partitioned(executor)
    return loader.load()


def is_partitioned(value: Any) -> bool:
    """Whether `value` is a `PartitionedArray` or a `PartitionedTable` (without importing
    anything for other values)."""
    return isinstance(value, PartitionedArray | PartitionedTable)


# --- worker-side functions (module level, so process workers import rather than unpickle them) ---
def _load(path: str) -> Any:
    if path.endswith(".npz"):
        import scipy.sparse

        return scipy.sparse.load_npz(path).tocsr()
    return np.asarray(np.load(path, allow_pickle=False))


def _on_partition(fn: Callable[[Any], Any], path: str) -> Any:
    return fn(_load(path))


def _check_value(kind: str, n_classes: int | None, value: np.ndarray, name: str) -> None:
    from weasul.outputs import _BY_KIND

    _BY_KIND[kind](value, name, n_classes)


def _check_file(kind: str, n_classes: int | None, item: tuple[str, str]) -> None:
    path, name = item
    _check_value(kind, n_classes, _load(path), name)


def _save(value: Any, path: Path) -> _Meta:
    """Write `value` as .npy (a sparse matrix as CSR .npz) and report its rows, trailing shape,
    dtype and sha256."""
    buffer = io.BytesIO()
    if _is_sparse(value):
        import scipy.sparse

        arr = value.tocsr()
        scipy.sparse.save_npz(buffer, arr, compressed=False)
    else:
        arr = np.ascontiguousarray(value)
        np.save(buffer, arr, allow_pickle=False)
    data = buffer.getbuffer()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)
    return _Meta(
        int(arr.shape[0]),
        tuple(int(t) for t in arr.shape[1:]),
        str(arr.dtype),
        hashlib.sha256(data).hexdigest(),
        _is_sparse(arr),
    )


def _write_part(
    make: Callable[[Any], np.ndarray],
    kind: str,
    n_classes: int | None,
    label: str,
    task: tuple[str, int, Any],
) -> _Meta:
    folder, i, item = task
    value = make(item)
    value = value if _is_sparse(value) else np.asarray(value)
    if value.ndim == 0:
        raise DataError(f"{label}: a partition must have a row axis, got a scalar")
    if kind:
        _check_value(kind, n_classes, value, f"{label} partition {i}")
    return _save(value, Path(folder) / _part_name(i, _is_sparse(value)))


def _map_part(
    fn: Callable[[np.ndarray, Any], tuple[Sequence[np.ndarray], Mapping[str, Any]]],
    checks: Sequence[tuple[str, str]],
    task: tuple[str, Sequence[str], int, Any],
) -> tuple[list[_Meta], dict[str, np.ndarray]]:
    source, folders, i, extra = task
    arrays, stats = fn(_load(source), extra)
    metas = []
    for value, folder, (kind, label) in zip(arrays, folders, checks, strict=True):
        value = np.asarray(value)
        if kind:
            try:
                _check_value(kind, None, value, f"{label}, partition {i}")
            except DataError as err:
                raise PluginContractError(
                    f"{err} (a {kind} output; a plugin bug, not a data problem)"
                ) from None
        metas.append(_save(value, Path(folder) / _part_name(i)))
    return metas, {k: np.asarray(v) for k, v in stats.items()}


# --- writing partitions -----------------------------------------------------------------
def _fresh_folder(stem: Path) -> Path:
    folder = stem.with_name(stem.name + SUFFIX)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def _assemble(
    folder: Path, metas: Sequence[_Meta], checked: str, executor: Executor | None
) -> PartitionedArray:
    tails = {m.tail for m in metas}
    dtypes = {m.dtype for m in metas}
    sparse = {m.sparse for m in metas}
    if len(tails) > 1 or len(dtypes) > 1 or len(sparse) > 1:
        raise DataError(
            f"the partitions of {folder.name} differ: shapes {sorted(tails)}, dtypes {sorted(dtypes)}"
            + (", some sparse, some dense" if len(sparse) > 1 else "")
        )
    files = tuple(_part_name(i, m.sparse) for i, m in enumerate(metas))
    missing = [name for name in files if not (folder / name).is_file()]
    if missing:
        where = executor.spec.address if executor is not None and executor.spec.address else "the cluster"
        raise DataError(
            f"the workers of {where} wrote {folder} but this machine does not see {missing[0]}: partitioned "
            "artifacts need a run folder the workers share (or set executor.partitioned: false)"
        )
    out = PartitionedArray(
        folder,
        files,
        tuple(m.rows for m in metas),
        next(iter(tails)),
        next(iter(dtypes)),
        tuple(m.sha256 for m in metas),
        checked,
    )
    out.write_index()
    return out


def write_partitions(
    make: Callable[[Any], np.ndarray],
    items: Sequence[Any],
    stem: Path,
    executor: Executor | None = None,
    *,
    kind: str = "",
    n_classes: int | None = None,
    scatter: bool = False,
) -> PartitionedArray:
    """`make(item)` for every item (on the workers with a Dask executor), each result written as
    one partition of the artifact `stem` + `.parts`; with `kind`, each partition is checked as
    that artifact kind (`weasul.outputs`) where it is made; `scatter` sends large items (table
    partitions) as data rather than inside the task graph. Returns the artifact."""
    from weasul.executor import Executor

    folder = _fresh_folder(Path(stem))
    runner = executor or Executor()
    tasks = [(str(folder), i, item) for i, item in enumerate(items)]
    metas = runner.map_list(
        functools.partial(_write_part, make, kind, n_classes, f"'{Path(stem).name}'"), tasks, scatter=scatter
    )
    return _assemble(folder, metas, kind, executor)


def map_partitions(
    fn: Callable[[np.ndarray, Any], tuple[Sequence[np.ndarray], Mapping[str, Any]]],
    source: PartitionedArray,
    outputs: Sequence[tuple[Path, str]],
    executor: Executor | None,
    extras: Sequence[Any] | None = None,
    label: str = "",
) -> tuple[list[PartitionedArray], dict[str, np.ndarray]]:
    """`fn(partition, extra) -> (arrays, stats)` on every partition of `source`: the i-th array
    becomes a partition of the i-th output (`(stem, kind)`), and the stats are summed."""
    from weasul.executor import Executor
    from weasul.statistics import sum_statistics

    folders = [_fresh_folder(stem) for stem, _ in outputs]
    checks = [(kind, f"{label} output '{stem.name}'") for stem, kind in outputs]
    runner = executor or Executor()
    scatter = extras is not None  # per-partition data (gold labels) goes as data, not in the graph
    extras = list(extras) if extras is not None else [None] * source.n_partitions
    tasks = [
        (str(path), [str(f) for f in folders], i, extra)
        for i, (path, extra) in enumerate(zip(source.paths, extras, strict=True))
    ]
    results = runner.map_list(functools.partial(_map_part, fn, checks), tasks, scatter=scatter)
    arrays = [
        _assemble(folder, [metas[j] for metas, _ in results], kind, executor)
        for j, (folder, (_, kind)) in enumerate(zip(folders, outputs, strict=True))
    ]
    stats = functools.reduce(sum_statistics, [s for _, s in results]) if results else {}
    return arrays, stats


# --- labeling functions -------------------------------------------------------------------
def _label_chunk(lfs: Sequence[LabelingFunction], n_classes: int | None, chunk: pd.DataFrame) -> np.ndarray:
    from weasul.lf import apply_lfs

    return apply_lfs(lfs, chunk, n_classes=n_classes)


def _label_table_part(lfs: Sequence[LabelingFunction], n_classes: int | None, item: Any) -> np.ndarray:
    return _label_chunk(lfs, n_classes, read_table_part(item))


def apply_lfs_partitioned(
    lfs: Sequence[LabelingFunction],
    frame: pd.DataFrame | PartitionedTable,
    stem: Path,
    executor: Executor,
    *,
    n_classes: int | None = None,
) -> PartitionedArray:
    """`weasul.lf.apply_lfs` partition by partition on the workers, each partition of L written
    by the worker that labelled it; the same matrix as `apply_lfs(lfs, frame)`, never in this
    process. A `PartitionedTable` is read partition by partition on the workers (its partitions
    become those of L); a DataFrame is cut into partitions sent to them."""
    if isinstance(frame, PartitionedTable):
        return write_partitions(
            functools.partial(_label_table_part, list(lfs), n_classes),
            frame.items(),
            stem,
            executor,
            kind="label_matrix",
            n_classes=n_classes,
        )
    from weasul.executor import split_frame

    chunks = split_frame(frame, executor.n_partitions(len(frame)))
    return write_partitions(
        functools.partial(_label_chunk, list(lfs), n_classes),
        chunks,
        stem,
        executor,
        kind="label_matrix",
        n_classes=n_classes,
        scatter=True,
    )


def _lf_counts(n_classes: int, L: np.ndarray, y: np.ndarray | None) -> dict[str, np.ndarray]:
    """Per LF: votes, overlaps, conflicts, votes per class and (with y) correct votes."""
    voted = L != -1
    n_votes = voted.sum(axis=1)
    per_class = np.stack([(L == c).sum(axis=1) for c in range(n_classes)], axis=1)  # (n, K)
    own = np.take_along_axis(per_class, np.where(voted, L, 0), axis=1)  # votes for each LF's class
    out = {
        "rows": np.array([L.shape[0]]),
        "voted": voted.sum(axis=0),
        "overlaps": (voted & (n_votes[:, None] > 1)).sum(axis=0),
        "conflicts": (voted & ((n_votes[:, None] - own) > 0)).sum(axis=0),
        "polarity": np.stack([(L == c).sum(axis=0) for c in range(n_classes)], axis=1),
    }
    if y is not None:
        out["correct"] = (voted & (L == y[:, None])).sum(axis=0)
    return out


def _lf_counts_task(n_classes: int, item: tuple[str, np.ndarray | None]) -> dict[str, np.ndarray]:
    path, y = item
    return _lf_counts(n_classes, _load(path), y)


def lf_summary_partitioned(
    L: PartitionedArray, y: np.ndarray | None, names: Sequence[str], n_classes: int, executor: Executor | None
) -> list[dict[str, Any]]:
    """`weasul.lf.lf_summary` from counts summed over the partitions: the same figures."""
    from weasul.executor import Executor
    from weasul.validation import check_labels

    n, m = L.shape
    if y is not None:
        y = check_labels(y, n_items=n)
    items = [(str(p), None if y is None else y[a:b]) for p, (a, b) in zip(L.paths, L.bounds, strict=True)]
    k = max(1, n_classes)
    # gold-label slices travel as data, not inside the task graph
    c = (executor or Executor()).map_sum(functools.partial(_lf_counts_task, k), items, scatter=y is not None)
    rows = []
    for j in range(m):
        row: dict[str, Any] = {
            "lf": names[j],
            "polarity": [int(v) for v in np.flatnonzero(c["polarity"][j])],
            "coverage": float(c["voted"][j] / n),
            "overlaps": float(c["overlaps"][j] / n),
            "conflicts": float(c["conflicts"][j] / n),
        }
        if y is not None:
            row["emp_acc"] = float(c["correct"][j] / c["voted"][j]) if c["voted"][j] else float("nan")
        rows.append(row)
    return rows


# --- label models -------------------------------------------------------------------------
def _gather(value: PartitionedArray | PartitionedTable, what: str) -> Any:
    _log.warning("%s: gathering a partitioned %s into this process", what, value.describe())
    return value.gather()


def fit_label_model(plugin: LabelModel, L: Any, executor: Executor | None, where: str) -> int:
    """Fit `plugin` on `L`: from statistics summed over the partitions when L is partitioned and
    the model implements `weasul.statistics.FitsFromStatistics` (on a Dask executor, a model that
    also `PreparesPartitions` has each partition prepared once and kept on its worker); else in
    memory (a partitioned L is then gathered, with a warning naming the model). Returns the
    number of passes over the partitions (0 for an in-memory fit)."""
    if not is_partitioned(L):
        plugin.fit(L)
        return 0
    from weasul.errors import UnsupportedError
    from weasul.statistics import FitsFromStatistics, PreparesPartitions, fit_from_statistics

    passes = [0]

    def progress(n: int) -> None:
        passes[0] = n
        _log.debug("%s: pass %d over %d partitions", where, n, L.n_partitions)

    reason = "it does not implement weasul.statistics.FitsFromStatistics"
    if isinstance(plugin, FitsFromStatistics):
        try:
            if executor is not None and executor.is_dask and isinstance(plugin, PreparesPartitions):
                with L.prepared(executor, plugin.prepare_partition) as map_sum:
                    fit_from_statistics(plugin, map_sum, L.shape[1], progress, prepared=True)
            else:
                fit_from_statistics(plugin, L.map_sum(executor), L.shape[1], progress)
            return passes[0]
        except UnsupportedError as err:
            reason = str(err)
    _log.warning(
        "%s: %s cannot be fitted from partition statistics (%s)", where, type(plugin).__name__, reason
    )
    plugin.fit(_gather(L, f"{where} ({type(plugin).__name__})"))
    return 0


def _predict_part(
    plugin: Any, L: np.ndarray, y: np.ndarray | None
) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    P = np.asarray(plugin.predict_proba(L))
    pred = P.argmax(axis=1)
    k = P.shape[1] if P.ndim == 2 else 0
    stats = {
        "rows": np.array([L.shape[0]]),
        "covered": np.array([int((L != -1).any(axis=1).sum())]),
        "predicted": np.bincount(pred, minlength=k),
    }
    if y is not None:
        stats["correct"] = np.array([int((pred == y).sum())])
        stats["tp"] = np.array([int(((pred == c) & (y == c)).sum()) for c in range(k)])
        stats["fp"] = np.array([int(((pred == c) & (y != c)).sum()) for c in range(k)])
        stats["fn"] = np.array([int(((pred != c) & (y == c)).sum()) for c in range(k)])
        stats.update(calibration_counts(P, y))
    return [P, pred], stats


#: Equal-width bins of the top-class probability for the calibration curve and ECE.
CALIBRATION_BINS = 10


def calibration_counts(P: np.ndarray, y: np.ndarray, bins: int = CALIBRATION_BINS) -> dict[str, np.ndarray]:
    """Per bin of the top-class probability of the items with a gold label (y >= 0): items,
    summed confidence and right predictions. Summed over partitions they give the ECE and the
    reliability curve of the whole split (`weasul.report.calibration_bins` counts with this too)."""
    keep = np.asarray(y) >= 0
    confidence = np.asarray(P, dtype=float).max(axis=1)[keep] if len(P) else np.empty(0)
    correct = (np.asarray(P).argmax(axis=1) == y)[keep] if len(P) else np.empty(0, dtype=bool)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    return {
        "cal_items": np.bincount(which, minlength=bins),
        "cal_confidence": np.bincount(which, weights=confidence, minlength=bins),
        "cal_correct": np.bincount(which, weights=correct.astype(float), minlength=bins),
    }


def _scores(stats: Mapping[str, np.ndarray]) -> dict[str, float]:
    """`weasul.steps.classification_metrics` from the counts `_predict_part` sums."""
    tp, fp, fn = (stats[k].astype(float) for k in ("tp", "fp", "fn"))
    f1s = [2 * a / (2 * a + b + c) if a + b + c else 0.0 for a, b, c in zip(tp, fp, fn, strict=True)]
    out = {"accuracy": float(stats["correct"][0] / stats["rows"][0]), "macro_f1": float(np.mean(f1s))}
    if len(f1s) == 2:
        out["f1"] = float(f1s[1])
    return out


def predict_label_model(plugin: LabelModel, inputs: Mapping[str, Any], ctx: StepContext) -> StepOutput:
    """Probabilities, predictions and metrics of a fitted label model on every split of
    `inputs["L"]`: a partitioned split is predicted partition by partition and its outputs stay
    partitioned in `ctx.out_dir`; only counts come back for the metrics."""
    from weasul.steps import LabelModelStep, StepOutput

    L, gold = inputs["L"], inputs.get("y") or {}
    memory = {s: v for s, v in L.items() if not is_partitioned(v)}
    out = (
        LabelModelStep.predict_all(plugin, {"L": memory, "y": gold})
        if memory
        else StepOutput({"probs": {}, "pred": {}, "model": plugin}, {})
    )
    for split, value in L.items():
        if not is_partitioned(value):
            continue
        y = gold.get(split)
        extras = None if y is None else [np.asarray(y)[a:b] for a, b in value.bounds]
        outputs = [(ctx.out_dir / f"probs.{split}", "probs"), (ctx.out_dir / f"pred.{split}", "labels")]
        (probs, pred), stats = map_partitions(
            functools.partial(_predict_part, plugin),
            value,
            outputs,
            ctx.executor,
            extras,
            f"step '{ctx.step_id}' ({type(plugin).__name__})",
        )
        out.artifacts["probs"][split] = probs
        out.artifacts["pred"][split] = pred
        out.metrics[split] = {
            "coverage": float(stats["covered"][0] / stats["rows"][0]),
            "predicted": [int(v) for v in stats["predicted"]],  # items per class, for the report
        }
        if y is not None:
            out.metrics[split].update(_scores(stats))
            out.metrics[split]["calibration"] = {  # summed bins: the report's ECE and curve
                "items": [int(v) for v in stats["cal_items"]],
                "confidence": [float(v) for v in stats["cal_confidence"]],
                "correct": [int(v) for v in stats["cal_correct"]],
            }
    out.metrics = {s: out.metrics[s] for s in L if s in out.metrics}
    return out


# --- encoders ---------------------------------------------------------------------------------
def _encode_part(plugin: Encoder, item: tuple[str, Any]) -> Any:
    source, where = item
    return plugin.encode(read_table_part(where) if source == "table" else _load(where))


def encode_partitioned(plugin: Encoder, inputs: Mapping[str, Any], ctx: StepContext) -> StepOutput:
    """The encoder step for an encoder that `encodes_rows` (`weasul.interfaces.Encoder`): fitted
    on the fit split (gathered, with a warning, when it is partitioned: no encoder fits from
    statistics), then every partitioned split encoded partition by partition on the workers,
    each partition of the features (dense .npy or sparse .npz) written where it is made."""
    from weasul.steps import StepOutput, fit_split

    X, y = inputs["X"], inputs.get("y") or {}
    where = f"step '{ctx.step_id}' ({type(plugin).__name__})"
    fit_on = fit_split(X, ctx, "X")
    if is_partitioned(fit_on):
        fit_on = _gather(fit_on, f"{where}: fitting needs its whole input; input 'X.{ctx.fit_on}'")
    plugin.fit(fit_on, y.get(ctx.fit_on))
    out: dict[str, Any] = {}
    for split, value in X.items():
        if not is_partitioned(value):
            out[split] = plugin.encode(value)
            continue
        items = (
            [("table", item) for item in value.items()]
            if isinstance(value, PartitionedTable)
            else [("array", str(path)) for path in value.paths]
        )
        out[split] = write_partitions(
            functools.partial(_encode_part, plugin),
            items,
            ctx.out_dir / f"X.{split}",
            ctx.executor,
            kind="features",
        )
    return StepOutput({"X": out, "model": plugin})


# --- the engine's side -------------------------------------------------------------------------
def gather_inputs(inputs: Mapping[str, Any], where: str) -> dict[str, Any]:
    """`inputs` with every partitioned split gathered into memory (for a step that does not
    accept partitioned inputs), each with a warning naming the step, the input and the size."""
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        if isinstance(value, Mapping) and any(is_partitioned(v) for v in value.values()):
            value = {
                s: _gather(v, f"{where} input '{name}.{s}'") if is_partitioned(v) else v
                for s, v in value.items()
            }
        out[name] = value
    return out


def check_partitioned(value: PartitionedArray, kind: str, name: str, n_classes: int | None) -> None:
    """The output check of `weasul.outputs` for a partitioned value: nothing when its partitions
    were checked as `kind` when written, else each partition in turn (one in memory at a time)."""
    if value.checked == kind:
        return
    for i in range(value.n_partitions):
        _check_value(kind, n_classes, value.load(i), f"{name} partition {i}")
