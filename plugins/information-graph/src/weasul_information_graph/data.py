"""Sensor-network segments on disk: a segments table (station, channel, start, end, label; csv
or parquet, one row per segment) and the waveforms as one npy array (n_segments, n_samples),
row i belonging to table row i. `load_segments` reads them; `write_segments` writes them (the
tests write generated networks and read them back). Labels may be class names or ints; empty
or -1 means unlabelled."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from weasul.errors import DataError

from weasul_information_graph.graph import Segments, as_segments

__all__ = ["SensorData", "load_segments", "write_segments"]

COLUMNS = ("station", "channel", "start", "end", "label")


@dataclass(frozen=True)
class SensorData:
    """Waveforms (n, T) float32, the segments table, labels (n,) int (-1 = unlabelled)."""

    waveforms: np.ndarray
    table: pd.DataFrame
    labels: np.ndarray
    class_names: tuple[str, ...]

    @property
    def segments(self) -> Segments:
        return as_segments(self.table, len(self.waveforms))

    def subset(self, rows: np.ndarray) -> SensorData:
        """The rows `rows` (indices or a boolean mask), table index reset."""
        return SensorData(
            self.waveforms[rows],
            self.table.iloc[rows].reset_index(drop=True),
            self.labels[rows],
            self.class_names,
        )


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path, keep_default_na=True)
    raise DataError(f"{path}: the segments table must be .csv or .parquet")


def load_segments(
    table: str | Path, waveforms: str | Path, class_names: tuple[str, ...] | None = None
) -> SensorData:
    """Read a segments table and its waveforms. String labels become class ids in the order of
    `class_names` (default: sorted names); unknown names are a DataError."""
    table, waveforms = Path(table), Path(waveforms)
    for path in (table, waveforms):
        if not path.is_file():
            raise DataError(f"{path} does not exist")
    frame = _read_table(table)
    missing = [c for c in COLUMNS[:4] if c not in frame.columns]
    if missing:
        raise DataError(f"{table} lacks columns {missing}; it needs {list(COLUMNS)} (label optional)")
    wave = np.load(waveforms, allow_pickle=False)
    if wave.ndim != 2 or len(wave) != len(frame):
        raise DataError(
            f"{waveforms} has shape {wave.shape}; expected ({len(frame)}, n_samples), one row per segment"
        )
    if not np.isfinite(wave).all():
        raise DataError(f"{waveforms} contains NaN or inf")
    raw = frame["label"] if "label" in frame.columns else pd.Series([None] * len(frame))
    labels, names = _label_ids(raw, class_names)
    data = SensorData(wave.astype(np.float32), frame.reset_index(drop=True), labels, names)
    as_segments(data.table, len(wave))  # checks times and lengths
    return data


def _label_ids(raw: pd.Series, class_names: tuple[str, ...] | None) -> tuple[np.ndarray, tuple[str, ...]]:
    given = raw.notna() & (raw.astype(str).str.strip() != "")
    if pd.api.types.is_numeric_dtype(raw):
        ids = np.where(given, raw.fillna(-1), -1).astype(np.int64)
        if (ids < -1).any():
            raise DataError("numeric labels must be class ids >= 0, or -1 for unlabelled")
        names = class_names or tuple(str(c) for c in range(int(ids.max()) + 1))
        return ids, tuple(names)
    texts = raw[given].astype(str)
    names = tuple(class_names) if class_names else tuple(sorted(set(texts)))
    unknown = sorted(set(texts) - set(names))
    if unknown:
        raise DataError(f"labels {unknown} are not among the class names {list(names)}")
    lookup = {name: i for i, name in enumerate(names)}
    ids = np.full(len(raw), -1, dtype=np.int64)
    ids[np.flatnonzero(given.to_numpy())] = [lookup[t] for t in texts]
    return ids, names


def write_segments(data: SensorData, folder: str | Path, *, fmt: str = "csv") -> tuple[Path, Path]:
    """Write `segments.<fmt>` (labels as class names, empty = unlabelled) and `waveforms.npy`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frame = data.table[list(COLUMNS[:4])].copy()
    frame["label"] = [data.class_names[i] if i >= 0 else "" for i in data.labels.tolist()]
    table = folder / f"segments.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(table, index=False)
    elif fmt == "csv":
        frame.to_csv(table, index=False)
    else:
        raise DataError(f"fmt must be csv or parquet, got {fmt!r}")
    waves = folder / "waveforms.npy"
    np.save(waves, np.ascontiguousarray(data.waveforms), allow_pickle=False)
    return table, waves
