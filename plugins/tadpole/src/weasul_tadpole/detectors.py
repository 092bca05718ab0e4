"""The paper's six anomaly detectors (Table 1), backed by PyOD, with the paper's roles.

Each is an AnomalyScorer on feature rows (sentence embeddings): `fit` on in-domain rows,
`score` higher = more out-of-domain. PyOD is imported on the first `fit`.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any, ClassVar, Literal

from pydantic import Field
from weasul.errors import DataError
from weasul_contrib_pyod import PyODParams, PyODScorer

__all__ = [
    "IsolationForestScorer",
    "LOFScorer",
    "OneClassSVMScorer",
    "PCAScorer",
    "KNNScorer",
    "RobustCovarianceScorer",
    "PAPER_DETECTORS",
]

_log = logging.getLogger(__name__)


class _TadpoleDetector(PyODScorer):
    distribution: ClassVar[str] = "weasul-tadpole"
    #: Short column name used in the paper's Table 1.
    paper_name: ClassVar[str] = ""
    #: Params fields passed to the detector under the same name.
    passthrough: ClassVar[tuple[str, ...]] = ()

    params: PyODParams

    def detector_options(self) -> dict[str, Any]:
        options = {name: getattr(self.params, name) for name in self.passthrough}
        options.update(self.params.options)
        return options


class IsolationForestScorer(_TadpoleDetector):
    """Isolation Forest (Liu et al. 2008): short average path length = anomalous. TADPOLE's default."""

    detector: ClassVar[str] = "pyod.models.iforest:IForest"
    paper_name: ClassVar[str] = "IF"
    passthrough: ClassVar[tuple[str, ...]] = ("n_estimators", "max_samples", "max_features")

    class Params(PyODParams):
        n_estimators: int = Field(100, ge=1)
        max_samples: int | float | Literal["auto"] = "auto"
        max_features: float = Field(1.0, gt=0, le=1)

    params: Params


class LOFScorer(_TadpoleDetector):
    """Local Outlier Factor (Breunig et al. 2000), novelty mode: density relative to the neighbours."""

    detector: ClassVar[str] = "pyod.models.lof:LOF"
    paper_name: ClassVar[str] = "LOF"
    passthrough: ClassVar[tuple[str, ...]] = ("n_neighbors", "metric")

    class Params(PyODParams):
        n_neighbors: int = Field(20, ge=1)
        metric: str = "minkowski"

    params: Params


class OneClassSVMScorer(_TadpoleDetector):
    """One-Class SVM (Schölkopf et al. 2000) with an RBF kernel."""

    detector: ClassVar[str] = "pyod.models.ocsvm:OCSVM"
    paper_name: ClassVar[str] = "OCS"
    passthrough: ClassVar[tuple[str, ...]] = ("kernel", "nu", "gamma")

    class Params(PyODParams):
        kernel: Literal["rbf", "linear", "poly", "sigmoid"] = "rbf"
        nu: float = Field(0.5, gt=0, le=1)
        gamma: float | Literal["auto", "scale"] = "auto"

    params: Params


class PCAScorer(_TadpoleDetector):
    """PCA reconstruction (Harrou et al. 2015): weighted distance along the minor components."""

    detector: ClassVar[str] = "pyod.models.pca:PCA"
    paper_name: ClassVar[str] = "PCA"
    passthrough: ClassVar[tuple[str, ...]] = ("n_components", "standardization")

    class Params(PyODParams):
        n_components: int | None = Field(None, ge=1, description="none = all components")
        standardization: bool = True

    params: Params

    def min_rows(self, detector: Any, n_features: int) -> int:
        k = self.params.n_components
        return max(2, (k or 1) + 1)


class KNNScorer(_TadpoleDetector):
    """k-nearest-neighbour distance (largest of the k) to the training rows."""

    detector: ClassVar[str] = "pyod.models.knn:KNN"
    paper_name: ClassVar[str] = "kNN"
    passthrough: ClassVar[tuple[str, ...]] = ("n_neighbors", "method", "metric")

    class Params(PyODParams):
        n_neighbors: int = Field(5, ge=1)
        method: Literal["largest", "mean", "median"] = "largest"
        metric: str = "minkowski"

    params: Params


class RobustCovarianceScorer(_TadpoleDetector):
    """Robust covariance: Mahalanobis distance under the Minimum Covariance Determinant estimate.

    Needs more training rows than features (e.g. > 384 for MiniLM embeddings).
    """

    detector: ClassVar[str] = "pyod.models.mcd:MCD"
    paper_name: ClassVar[str] = "RC"
    passthrough: ClassVar[tuple[str, ...]] = ("support_fraction",)

    class Params(PyODParams):
        support_fraction: float | None = Field(None, gt=0, le=1, description="none = MCD's default")

    params: Params

    def fit(self, X: Any) -> RobustCovarianceScorer:
        from weasul.validation import check_features

        arr = check_features(X, name="X")
        if arr.shape[0] <= arr.shape[1]:
            raise DataError(
                f"robust covariance needs more rows than features to fit; got {arr.shape[0]} rows and "
                f"{arr.shape[1]} features; pass more rows or reduce the dimension first"
            )
        # sklearn warns once per fit when the covariance is rank-deficient (common for sentence
        # embeddings); say it once, in our log, instead of a warning per call
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            super().fit(arr)
        if any("not full rank" in str(w.message) for w in caught):
            _log.info("robust covariance: covariance of X %s is not full rank; scores may be unstable", arr.shape)
        return self


#: Entry-point name -> class, in the column order of the paper's Table 1.
PAPER_DETECTORS: dict[str, type[_TadpoleDetector]] = {
    "robust-covariance": RobustCovarianceScorer,
    "knn": KNNScorer,
    "pca": PCAScorer,
    "one-class-svm": OneClassSVMScorer,
    "lof": LOFScorer,
    "isolation-forest": IsolationForestScorer,
}
