"""The generated network and the segments loader (table + npy) on generated files."""

from __future__ import annotations

import numpy as np
import pytest
from weasul.errors import DataError
from weasul_information_graph.data import load_segments, write_segments
from weasul_information_graph.graph import context_edges
from weasul_information_graph.sensors import CLASS_NAMES, make_network


def _centroid_hz(waves: np.ndarray, fs: float = 50.0) -> float:
    power = np.abs(np.fft.rfft(waves, axis=1)) ** 2
    freqs = np.fft.rfftfreq(waves.shape[1], 1 / fs)
    return float((power * freqs).sum() / power.sum())


def test_network_layout_and_class_spectra():
    data = make_network(n_stations=3, n_windows=90, seed=1)
    table = data.table
    assert data.waveforms.shape == (90 * 3 * 3, 256) and data.waveforms.dtype == np.float32
    assert set(table["channel"]) == {0, 1, 2} and data.class_names == CLASS_NAMES
    # every window is one event seen by all 9 streams: 36 context edges per window
    assert len(context_edges(data.segments)) == 90 * 36
    station = table["station"].to_numpy()
    for s in range(3):
        quake = _centroid_hz(data.waveforms[(data.labels == 1) & (station == s)])
        slide = _centroid_hz(data.waveforms[(data.labels == 2) & (station == s)])
        assert quake > slide + 1.0, (s, quake, slide)  # earthquakes are the higher band at every station
    # the site responses differ: the slope failures' band moves from station to station
    slides = [_centroid_hz(data.waveforms[(data.labels == 2) & (station == s)]) for s in range(3)]
    assert max(slides) > 1.5 * min(slides)


def test_loader_round_trips_generated_files(tmp_path):
    data = make_network(n_stations=2, n_windows=10, seed=0)
    hidden = data.labels.copy()
    hidden[::4] = -1
    data = type(data)(data.waveforms, data.table, hidden, data.class_names)
    for fmt in ("csv", "parquet"):
        table, waves = write_segments(data, tmp_path / fmt, fmt=fmt)
        back = load_segments(table, waves, class_names=CLASS_NAMES)
        assert np.array_equal(back.labels, hidden) and back.class_names == CLASS_NAMES
        assert np.array_equal(back.waveforms, data.waveforms)
        assert np.array_equal(context_edges(back.segments), context_edges(data.segments))
    names_sorted = load_segments(tmp_path / "csv" / "segments.csv", tmp_path / "csv" / "waveforms.npy")
    assert names_sorted.class_names == tuple(sorted({CLASS_NAMES[i] for i in hidden[hidden >= 0]}))


def test_loader_errors(tmp_path):
    data = make_network(n_stations=1, n_windows=4, seed=0)
    table, waves = write_segments(data, tmp_path)
    np.save(waves, data.waveforms[:-1])
    with pytest.raises(DataError, match="one row per segment"):
        load_segments(table, waves)
    np.save(waves, data.waveforms)
    with pytest.raises(DataError, match="not among the class names"):
        load_segments(table, waves, class_names=("noise",))
    with pytest.raises(DataError, match="does not exist"):
        load_segments(tmp_path / "missing.csv", waves)
