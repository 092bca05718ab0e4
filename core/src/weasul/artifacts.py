"""Write, read and fingerprint artifact values without pickle.

Arrays go to .npy, sparse matrices to .npz, text and tables to .parquet (which needs pandas
and pyarrow, the `table` extra of weasul-core; both are imported only here, when needed).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from weasul.errors import DataError
from weasul.lazy import missing_table_extra, require_parquet
from weasul.partitioned import SUFFIX as PARTS_SUFFIX
from weasul.partitioned import PartitionedArray, is_partitioned

__all__ = ["fingerprint", "write_value", "read_value", "SUFFIXES"]

SUFFIXES = (".npy", ".npz", ".parquet")


def fingerprint(value: Any) -> str:
    """A content hash of an array, sparse matrix, table or list of strings."""
    if is_partitioned(value):  # from the partitions' checksums, nothing gathered
        return str(value.fingerprint())
    h = hashlib.sha256()
    if hasattr(value, "tocsr") and not isinstance(value, np.ndarray):
        csr = value.tocsr()
        for part in (csr.data, csr.indices, csr.indptr, np.asarray(csr.shape)):
            h.update(np.ascontiguousarray(part).tobytes())
    elif hasattr(value, "to_parquet"):
        import pandas as pd

        h.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
        h.update(repr(list(value.columns)).encode())
    else:
        arr = np.asarray(value)
        if arr.dtype == object:
            h.update("\x1f".join(map(str, arr.tolist())).encode("utf-8", "surrogatepass"))
        else:
            h.update(str(arr.dtype).encode() + str(arr.shape).encode())
            h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()[:32]


def _need_parquet(purpose: str) -> Any:
    """pandas, once pyarrow (its parquet engine) is known to be there too."""
    try:
        import pandas as pd
    except ImportError as err:
        raise missing_table_extra(purpose, err) from err
    require_parquet(purpose)
    return pd


def write_value(value: Any, stem: Path) -> Path:
    """Write `value` to `stem` + the suffix its type needs; returns the path. A write that
    fails leaves no partial file, and its OSError names the file (numpy's short write on a
    full disk names none)."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(value, PartitionedArray):  # a folder of .npy partitions, linked or copied
        return value.copy_to(stem)
    path = stem
    try:
        if hasattr(value, "tocsr") and not isinstance(value, np.ndarray):
            import scipy.sparse

            path = stem.with_name(stem.name + ".npz")
            scipy.sparse.save_npz(path, value.tocsr())
            return path
        if hasattr(value, "to_parquet"):
            _need_parquet("storing a table artifact")
            path = stem.with_name(stem.name + ".parquet")
            frame = value.copy()
            frame.columns = [str(c) for c in frame.columns]
            frame.to_parquet(path, index=False)
            return path
        arr = np.asarray(value)
        if arr.dtype == object:
            pd = _need_parquet("storing a text artifact")
            path = stem.with_name(stem.name + ".parquet")
            pd.DataFrame({"text": [str(v) for v in arr.tolist()]}).to_parquet(path, index=False)
            return path
        path = stem.with_name(stem.name + ".npy")
        np.save(path, arr, allow_pickle=False)
        return path
    except OSError as err:
        if path != stem:
            path.unlink(missing_ok=True)
        if err.filename is not None:
            raise
        raise OSError(err.errno, err.strerror or str(err), str(path)) from err


def read_value(path: Path, kind: str) -> Any:
    """Read a file written by `write_value` back as the value of artifact `kind`."""
    if path.suffix == PARTS_SUFFIX and path.is_dir():
        return PartitionedArray.read(path)
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if path.suffix == ".npz":
        import scipy.sparse

        return scipy.sparse.load_npz(path)
    if path.suffix == ".parquet":
        pd = _need_parquet(f"reading the artifact {path.name}")
        frame = pd.read_parquet(path)
        return frame["text"].to_numpy(dtype=object) if kind == "text" else frame
    raise DataError(f"unknown artifact file type: {path}")
