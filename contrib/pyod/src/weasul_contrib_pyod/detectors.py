"""One named plugin per classic PyOD detector, each made in one line by `pyod_scorer`.

Only inductive detectors get a name here: fitted once, they score new rows one by one. COF,
LMDD, QMCD, ROD, SOD and SOS score a batch relative to itself (a row's score depends on the
other rows scored with it), so they are reachable through `pyod` only, for batch use.

Isolation Forest, LOF, One-Class SVM, PCA, kNN and MCD ship with `weasul-tadpole` under their
own names; every detector (those included, and the deep ones) is reachable through the
generic `pyod` plugin: `use: anomaly_scorers/pyod, params: {detector: AutoEncoder}`.
"""

from __future__ import annotations

from weasul_contrib_pyod.adapter import pyod_scorer

__all__ = [
    "ABODScorer",
    "CBLOFScorer",
    "COPODScorer",
    "ECODScorer",
    "GMMScorer",
    "HBOSScorer",
    "INNEScorer",
    "KDEScorer",
    "KPCAScorer",
    "LODAScorer",
    "SamplingScorer",
]

ABODScorer = pyod_scorer("ABOD", module=__name__)
CBLOFScorer = pyod_scorer("CBLOF", module=__name__)
COPODScorer = pyod_scorer("COPOD", module=__name__)
ECODScorer = pyod_scorer("ECOD", module=__name__)
GMMScorer = pyod_scorer("GMM", module=__name__)
HBOSScorer = pyod_scorer("HBOS", module=__name__)
INNEScorer = pyod_scorer("INNE", module=__name__)
KDEScorer = pyod_scorer("KDE", module=__name__)
KPCAScorer = pyod_scorer("KPCA", module=__name__)
LODAScorer = pyod_scorer("LODA", module=__name__)
SamplingScorer = pyod_scorer("Sampling", module=__name__)
