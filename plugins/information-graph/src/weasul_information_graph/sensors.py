"""A generated seismic sensor network (no recordings are available here).

`make_network` records `n_windows` consecutive time windows at `n_stations` stations with three
channels (Z, N, E) each; every window holds background noise or one event of a class:
`earthquake` (impulsive onset, exponential decay, higher band) or `slope_failure` (emergent
spindle envelope, lower band). An event reaches every station with a station-dependent delay and
attenuation, and each station's site response scales all frequencies by its own factor (0.5 to
2 by default): a class's band at one station is the other class's band at another, so the frequency cue
learned at one station does not transfer; the envelope shape does. Each station adds its own
noise level and artefacts: a narrowband tone at a station-specific frequency and glitches
(spikes) at a station-specific rate: the shortcuts a classifier of one station can learn.
The method gets the waveforms, the segments' station, channel and times, and the labels it is
allowed; station identity is never a feature of X.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from weasul.errors import DataError

from weasul_information_graph.data import SensorData

__all__ = ["CLASS_NAMES", "make_network"]

CLASS_NAMES = ("noise", "earthquake", "slope_failure")
_BAND_HZ = {1: 9.0, 2: 4.5}


def _band_noise(rng: np.random.Generator, n: int, samples: int, fs: float, centre: np.ndarray) -> np.ndarray:
    """(n, samples) unit-variance Gaussian noise band-passed around `centre` Hz (width 30%)."""
    spec = np.fft.rfft(rng.standard_normal((n, samples)), axis=1)
    freqs = np.fft.rfftfreq(samples, 1 / fs)
    width = 0.3 * centre[:, None]
    spec *= np.exp(-0.5 * ((freqs[None, :] - centre[:, None]) / width) ** 2)
    out = np.fft.irfft(spec, n=samples, axis=1)
    return np.asarray(out / (out.std(axis=1, keepdims=True) + 1e-12))


def make_network(
    n_stations: int = 4,
    n_windows: int = 300,
    samples: int = 256,
    fs: float = 50.0,
    class_share: tuple[float, float, float] = (0.4, 0.3, 0.3),
    site_scale: float = 2.0,
    seed: int = 0,
) -> SensorData:
    """Segments ordered window by window, then station, then channel; all labelled (hide labels
    yourself for weak-label experiments). Table columns: station, channel, start, end, label,
    event (the window index: segments of one event share it). The stations' frequency factors
    spread geometrically over [1 / site_scale, site_scale]."""
    if n_stations < 1 or n_windows < 1 or samples < 32:
        raise DataError("need at least one station and one window, and 32 samples per segment")
    if site_scale < 1:
        raise DataError(f"site_scale must be >= 1 (1 = identical site responses), got {site_scale}")
    rng = np.random.default_rng(seed)
    duration = samples / fs
    t = np.arange(samples) / fs
    scale = (
        rng.permutation(np.geomspace(1 / site_scale, site_scale, n_stations))
        if n_stations > 1
        else np.ones(1)
    )
    delay = rng.uniform(0.0, 0.25 * duration, n_stations)
    attenuation = rng.uniform(0.4, 1.0, n_stations)
    noise = rng.uniform(0.05, 0.2, n_stations)
    tone_hz = rng.uniform(0.1 * fs, 0.45 * fs, n_stations)
    tone_amp = rng.uniform(0.05, 0.3, n_stations)
    glitch_rate = rng.uniform(0.0, 0.3, n_stations)
    classes = rng.choice(3, size=n_windows, p=np.asarray(class_share) / np.sum(class_share))

    w, s, c = (
        a.ravel()
        for a in np.meshgrid(np.arange(n_windows), np.arange(n_stations), np.arange(3), indexing="ij")
    )
    n = len(w)
    label = classes[w]
    # the event as every station sees it: shared onset, size, band and envelope, per-station delay
    onset = rng.uniform(0.05, 0.25 * duration, n_windows)[w] + delay[s] + rng.normal(0, 0.02 * duration, n)
    size = (
        rng.uniform(0.6, 1.5, n_windows)[w] * attenuation[s] * np.where(c == 0, 1.0, rng.uniform(0.5, 0.9, n))
    )
    base = np.array([_BAND_HZ.get(int(k), 1.0) for k in label]) * rng.uniform(0.85, 1.15, n_windows)[w]
    tau = rng.uniform(0.06, 0.12, n_windows)[w] * duration
    length = rng.uniform(0.45, 0.7, n_windows)[w] * duration
    since = t[None, :] - onset[:, None]
    impulsive = np.where(since >= 0, np.exp(-np.clip(since, 0, None) / tau[:, None]), 0.0)
    phase = np.clip(since / length[:, None], 0.0, 1.0)
    emergent = np.sin(np.pi * phase) ** 2 * (since >= 0)
    envelope = np.where((label == 1)[:, None], impulsive, emergent) * (label > 0)[:, None]
    event = size[:, None] * envelope * _band_noise(rng, n, samples, fs, base * scale[s])
    # the station: coloured background noise, its tone and its glitches
    background = np.cumsum(rng.standard_normal((n, samples)), axis=1) * 0.1
    background = (background - background.mean(axis=1, keepdims=True)) * 0.3 + rng.standard_normal(
        (n, samples)
    )
    tone = tone_amp[s, None] * np.sin(
        2 * np.pi * tone_hz[s, None] * t[None, :] + rng.uniform(0, 2 * np.pi, n)[:, None]
    )
    glitches = np.zeros((n, samples))
    hit = np.flatnonzero(rng.random(n) < glitch_rate[s])
    glitches[hit, rng.integers(0, samples - 3, len(hit))] = rng.choice([-1.0, 1.0], len(hit)) * rng.uniform(
        2, 4, len(hit)
    )
    waves = event + noise[s, None] * background + tone + glitches
    table = pd.DataFrame(
        {
            "station": s,
            "channel": c,
            "start": w * duration,
            "end": (w + 1) * duration,
            "label": label,
            "event": w,
        }
    )
    return SensorData(waves.astype(np.float32), table, label.astype(np.int64), CLASS_NAMES)
