"""The real label matrices of shared/data, each as (L_fit, L_test, y_test, K, metric).

Shared by `run_benchmarks.py` and the "no collapse" test. Label models fit on `L_fit`
without gold and are scored on `(L_test, y_test)`:

- WRENCH youtube, sms, trec (train -> test; trec without its 68 duplicated ids), claude9
  (train -> test, gold key `labels`; scored by macro-F1 as shared/data/README.md asks);
- Active WeaSuL spam (L_train -> L_test) and spouse (L_train without gold -> L_test);
- FlyingSquid tennis (train -> dev; 0 = abstain, +-1 votes);
- the 13 crowd sets (every answered item -> the items with gold; see `weasul_baselines.crowd`).

Sources that never vote on the fit matrix are dropped from both matrices (they carry nothing
and several models refuse them). The folder is `$WEASUL_SHARED_DATA` or `../shared/data`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["RealSet", "REAL_SETS", "CROWD_SETS", "data_root", "load"]

CROWD_SETS = (
    "AdultContent-toy",
    "BarzanMozafari",
    "CopyrightInfringement",
    "HITspam-UsingCrowdflower",
    "JeroenVuurens",
    "labelme",
    "music-genre",
    "sentiment-polarity",
    "snow2008-rte",
    "snow2008-temp",
    "snow2008-wsd",
    "trec2011-relevance",
    "web-relevance",
)
REAL_SETS = ("youtube", "sms", "trec", "claude9", "aw-spam", "aw-spouse", "tennis") + tuple(
    f"crowd/{name}" for name in CROWD_SETS
)


@dataclass(frozen=True)
class RealSet:
    name: str
    L_fit: np.ndarray
    L_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    metric: str  # "acc" or "macro_f1"


def data_root() -> Path | None:
    """The shared data folder, or None when it is absent."""
    env = os.environ.get("WEASUL_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates += [Path(__file__).resolve().parents[3] / "shared" / "data", Path("/work/shared/data")]
    return next((c for c in candidates if c.is_dir()), None)


def _wrench(root: Path, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    import weasul

    ds = weasul.create(
        "datasets", "wrench", path=str(root / "wrench" / name), drop_labeled_ids=(name == "trec")
    ).load()
    L_fit, L_test, y_test = ds.train.L, ds.test.L, ds.test.y
    if L_fit is None or L_test is None or y_test is None:
        raise FileNotFoundError(f"wrench/{name}: no weak labels or no test gold")
    return L_fit, L_test, y_test, ds.n_classes


def _claude9(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    folder = root / "wrench" / "claude9"
    k = len(json.loads((folder / "label.json").read_text()))
    out = []
    for split in ("train", "test"):
        rows = json.loads((folder / f"{split}.json").read_text()).values()
        out.append(np.array([r["weak_labels"] for r in rows], dtype=np.int64))
        if split == "test":
            out.append(np.array([r["labels"] for r in rows], dtype=np.int64))
    return out[0], out[1], out[2], k


def _activeweasul(root: Path, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    folder = root / "activeweasul" / name
    sfx = "" if name == "spam" else f"_{name}"

    def arr(stem: str) -> np.ndarray:
        return np.asarray(np.load(folder / f"{stem}{sfx}.npy"), dtype=np.int64)

    return arr("L_train"), arr("L_test"), arr("Y_test").ravel(), 2


def _tennis(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    folder = root / "flyingsquid-tennis-video"

    def conv(a: np.ndarray) -> np.ndarray:
        return np.where(a == 0, -1, np.where(a > 0, 1, 0)).astype(np.int64)

    y = np.load(folder / "Y_dev_video.npy").ravel()
    return (
        conv(np.load(folder / "L_train_video.npy")),
        conv(np.load(folder / "L_dev_video.npy")),
        (y > 0).astype(np.int64),
        2,
    )


def _crowd(root: Path, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    from weasul_baselines.crowd import CrowdDataset

    ds = CrowdDataset(path=str(root / "crowd" / name)).load()
    assert ds.test.y is not None and ds.test.L is not None and ds.train.L is not None
    return ds.train.L, ds.test.L, ds.test.y, ds.n_classes


_LOADERS: dict[str, Callable[[Path], tuple[np.ndarray, np.ndarray, np.ndarray, int]]] = {
    "youtube": lambda r: _wrench(r, "youtube"),
    "sms": lambda r: _wrench(r, "sms"),
    "trec": lambda r: _wrench(r, "trec"),
    "claude9": _claude9,
    "aw-spam": lambda r: _activeweasul(r, "spam"),
    "aw-spouse": lambda r: _activeweasul(r, "spouse"),
    "tennis": _tennis,
}


def load(name: str, root: Path | None = None) -> RealSet:
    """One real set by name (see REAL_SETS); raises FileNotFoundError when the data is absent."""
    root = root or data_root()
    if root is None:
        raise FileNotFoundError("shared data folder not found (set WEASUL_SHARED_DATA)")
    if name.startswith("crowd/"):
        L_fit, L_test, y, k = _crowd(root, name.split("/", 1)[1])
    else:
        L_fit, L_test, y, k = _LOADERS[name](root)
    keep = (L_fit != -1).any(axis=0)
    metric = "macro_f1" if name == "claude9" else "acc"
    return RealSet(name, L_fit[:, keep], L_test[:, keep], y, k, metric)


def score(y: np.ndarray, pred: np.ndarray, k: int, metric: str) -> float:
    """Accuracy, or macro-F1 over the classes present in `y` or `pred`."""
    if metric == "acc":
        return float((pred == y).mean())
    f1 = []
    for c in np.union1d(y, pred):
        tp = float(((pred == c) & (y == c)).sum())
        denom = float((pred == c).sum() + (y == c).sum())
        f1.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(f1))
