"""Shared helpers of the experiments: data paths, the weak labeler, run folders and reports."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

import numpy as np
from weasul.errors import DataError, PluginNotFoundError

__all__ = ["shared_path", "weak_labeler", "write_run", "to_json"]

_log = logging.getLogger(__name__)


def shared_path(*parts: str) -> Path:
    """`<shared data>/<parts>` ($WEASUL_SHARED_DATA or a `shared/data` folder above the cwd)."""
    from weasul.testing.data import find_shared_data

    root = find_shared_data()
    if root is None:
        raise DataError("shared data folder not found; set WEASUL_SHARED_DATA or pass --data")
    path = root.joinpath(*parts)
    if not path.exists():
        raise DataError(f"{path} does not exist; pass --data")
    return path


class _LocalMajorityVote:
    """Fallback when weasul-baselines is not installed: majority vote, ties to the lowest class,
    rows without votes get class 0."""

    name = "local majority vote (ties -> lowest class)"

    def __init__(self, n_classes: int) -> None:
        self.k = n_classes

    def fit(self, L: np.ndarray) -> _LocalMajorityVote:
        return self

    def predict(self, L: np.ndarray) -> np.ndarray:
        counts = np.stack([(L == c).sum(axis=1) for c in range(self.k)], axis=1)
        return cast(np.ndarray, counts.argmax(axis=1))


def weak_labeler(n_classes: int) -> Any:
    """`label_models/majority-vote` (weasul-baselines, ties to the lowest class), else a local one."""
    from weasul.plugins import create

    try:
        return create("label_models", "majority-vote", n_classes=n_classes)
    except PluginNotFoundError:
        _log.warning("label_models/majority-vote is not installed; using a local majority vote")
        return _LocalMajorityVote(n_classes)


def to_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_json(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_run(runs_dir: str | Path, name: str, metrics: dict[str, Any], title: str) -> Path:
    """A run folder `runs/<name>/<time>/` with metrics.json, the HTML report and this package's
    figures (the same layout `weasul run` writes)."""
    from weasul.plugins import create

    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    folder = Path(runs_dir) / name / stamp
    n = 1
    while folder.exists():
        n += 1
        folder = Path(runs_dir) / name / f"{stamp}-{n}"
    folder.mkdir(parents=True)
    metrics = to_json(metrics)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=1))
    create("reporters", "confident-learning").write(folder, metrics)
    create("reporters", "html", title=title).write(folder, metrics)
    return folder
