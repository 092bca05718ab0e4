"""PyOD's outlier detectors as weasul AnomalyScorers (imports no PyOD until `fit`)."""

from __future__ import annotations

from weasul_contrib_pyod.adapter import (
    CATALOG,
    PyODDetector,
    PyODParams,
    PyODScorer,
    pyod_scorer,
    resolve_detector,
)
from weasul_contrib_pyod.detectors import *  # noqa: F403
from weasul_contrib_pyod.detectors import __all__ as _detectors

__version__ = "0.1.0"
__all__ = [
    "CATALOG",
    "PyODDetector",
    "PyODParams",
    "PyODScorer",
    "pyod_scorer",
    "resolve_detector",
    *_detectors,
]
