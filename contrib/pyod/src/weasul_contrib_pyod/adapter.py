"""Any PyOD detector as a weasul AnomalyScorer.

This module is light: PyOD (and numba, scikit-learn, torch for the deep detectors) is imported
on the first `fit`. `PyODScorer` is the public base other packages subclass; `pyod_scorer`
makes a named plugin class for one detector in one line.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import Field, field_validator
from weasul.errors import DataError, MissingDependencyError, PluginContractError, SpecError
from weasul.interfaces import AnomalyScorer
from weasul.lazy import require
from weasul.params import WeasulParams
from weasul.validation import check_features

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "CATALOG",
    "SAVED_PACKAGES",
    "PyODParams",
    "PyODScorer",
    "PyODDetector",
    "pyod_scorer",
    "resolve_detector",
]

_log = logging.getLogger(__name__)

#: Unsupervised PyOD detectors for feature matrices: short name -> "module:Class".
#: Graph, time-series, supervised (XGBOD, DevNet) and ensemble-of-detectors (LSCP, SUOD) models
#: need other inputs and are left out; `EmbeddingOD` is left out because it fetches models.
CATALOG: dict[str, str] = {
    "ABOD": "pyod.models.abod:ABOD",
    "AE1SVM": "pyod.models.ae1svm:AE1SVM",
    "ALAD": "pyod.models.alad:ALAD",
    "AnoGAN": "pyod.models.anogan:AnoGAN",
    "AutoEncoder": "pyod.models.auto_encoder:AutoEncoder",
    "CBLOF": "pyod.models.cblof:CBLOF",
    "COF": "pyod.models.cof:COF",
    "COPOD": "pyod.models.copod:COPOD",
    "DeepSVDD": "pyod.models.deep_svdd:DeepSVDD",
    "DIF": "pyod.models.dif:DIF",
    "ECOD": "pyod.models.ecod:ECOD",
    "FeatureBagging": "pyod.models.feature_bagging:FeatureBagging",
    "GMM": "pyod.models.gmm:GMM",
    "HBOS": "pyod.models.hbos:HBOS",
    "HDBSCAN": "pyod.models.hdbscan:HDBSCAN",
    "IForest": "pyod.models.iforest:IForest",
    "INNE": "pyod.models.inne:INNE",
    "KDE": "pyod.models.kde:KDE",
    "KNN": "pyod.models.knn:KNN",
    "KPCA": "pyod.models.kpca:KPCA",
    "LMDD": "pyod.models.lmdd:LMDD",
    "LOCI": "pyod.models.loci:LOCI",
    "LODA": "pyod.models.loda:LODA",
    "LOF": "pyod.models.lof:LOF",
    "LUNAR": "pyod.models.lunar:LUNAR",
    "MCD": "pyod.models.mcd:MCD",
    "MO_GAAL": "pyod.models.mo_gaal:MO_GAAL",
    "OCSVM": "pyod.models.ocsvm:OCSVM",
    "PCA": "pyod.models.pca:PCA",
    "QMCD": "pyod.models.qmcd:QMCD",
    "RGraph": "pyod.models.rgraph:RGraph",
    "ROD": "pyod.models.rod:ROD",
    "Sampling": "pyod.models.sampling:Sampling",
    "SO_GAAL": "pyod.models.so_gaal:SO_GAAL",
    "SOD": "pyod.models.sod:SOD",
    "SOS": "pyod.models.sos:SOS",
    "VAE": "pyod.models.vae:VAE",
}
_BY_LOWER = {name.lower(): name for name in CATALOG}

#: Packages whose objects a saved scorer may hold (stored with skops, trusted on load).
SAVED_PACKAGES = ("sklearn", "pyod")

#: Detector options that bound how few training rows a detector can take (rows must exceed them).
_ROW_BOUNDS = ("n_neighbors", "n_clusters", "ref_set", "n_bins_min")


def resolve_detector(name: str) -> str:
    """`"ecod"`, `"ECOD"` or `"pyod.models.ecod:ECOD"` -> `"pyod.models.ecod:ECOD"`.

    Raises SpecError for an unknown short name.
    """
    if ":" in name:
        return name
    if name in CATALOG:
        return CATALOG[name]
    key = name.lower().replace("-", "_")
    if key in _BY_LOWER:
        return CATALOG[_BY_LOWER[key]]
    if key.replace("_", "") in {k.replace("_", "") for k in _BY_LOWER}:
        match = next(k for k in _BY_LOWER if k.replace("_", "") == key.replace("_", ""))
        return CATALOG[_BY_LOWER[match]]
    raise SpecError(
        f"unknown PyOD detector '{name}'; use one of {', '.join(sorted(CATALOG))} "
        "or an import path 'module:Class'"
    )


class PyODParams(WeasulParams):
    """Parameters every PyOD-backed scorer accepts."""

    contamination: float = Field(
        0.1, gt=0, le=0.5, description="share of training rows above `threshold_` (PyOD's convention)"
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="extra keyword arguments of the detector"
    )
    seed: int = Field(0, description="random_state of detectors that take one")


class PyODScorer(AnomalyScorer):
    """Base of PyOD-backed scorers: `fit(X)` on normal rows, `score(X)` with higher = more anomalous.

    Subclasses set `detector` ("module:Class") and may map their own `Params` fields to detector
    keyword arguments by overriding `detector_options`. Fitted state: `detector_` (the PyOD
    object), `n_features_in_`, `threshold_` (score above which a row counts as an outlier).
    `save`/`load` store the fitted detector with skops inside a safetensors file, trusting
    only scikit-learn and PyOD types on load (no pickle), so `weasul apply` scores new rows
    with the scorer a run fitted. The deep detectors (torch modules inside) cannot be saved.
    """

    persistable: ClassVar[bool] = True
    Params: ClassVar[type[WeasulParams]] = PyODParams
    params: PyODParams
    #: "module:Class" of the PyOD detector.
    detector: ClassVar[str] = ""
    #: The PyOD package, for the missing-dependency hint.
    distribution: ClassVar[str] = "weasul-contrib-pyod"

    def detector_path(self) -> str:
        return self.detector

    def detector_options(self) -> dict[str, Any]:
        """Keyword arguments for the detector (besides contamination and random_state)."""
        return dict(self.params.options)

    def _detector_class(self) -> type[Any]:
        require("pyod", extra="pyod", distribution=self.distribution)
        path = self.detector_path()
        module, _, name = path.partition(":")
        try:
            return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
        except ModuleNotFoundError as err:
            raise MissingDependencyError(
                f"{type(self).__name__}: PyOD's '{path}' needs the package '{err.name}'; run: pip install {err.name}"
            ) from err
        except (ImportError, AttributeError) as err:
            raise SpecError(f"{type(self).__name__}: cannot import PyOD detector '{path}': {err}") from err

    def make_detector(self) -> Any:
        """A new, unfitted PyOD detector built from the params."""
        cls = self._detector_class()
        accepted = inspect.signature(cls.__init__).parameters
        options = self.detector_options()
        if "contamination" in accepted:
            options.setdefault("contamination", self.params.contamination)
        if "random_state" in accepted:
            options.setdefault("random_state", self.params.seed)
        unknown = sorted(set(options) - set(accepted))
        if unknown and not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
            raise SpecError(
                f"{type(self).__name__}: {cls.__name__} has no option(s) {unknown}; "
                f"it takes {sorted(k for k in accepted if k != 'self')}"
            )
        try:
            return cls(**options)
        except (TypeError, ValueError) as err:
            raise SpecError(f"{type(self).__name__}: bad options for {cls.__name__}: {err}") from err

    def min_rows(self, detector: Any, n_features: int) -> int:
        """Fewest training rows the detector can take (at least 2)."""
        need = 2
        for key in _ROW_BOUNDS:
            value = getattr(detector, key, None)
            if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                need = max(need, int(value) + 1)
        return need

    def fit(self, X: Any) -> PyODScorer:
        """Learn the normal data from features (n_items, d); returns self.

        Raises DataError for a malformed X or fewer rows than the detector needs (e.g. fewer
        than `n_neighbors + 1` for kNN/LOF).
        """
        X = check_features(X, name="X")
        detector = self.make_detector()
        need = self.min_rows(detector, X.shape[1])
        if X.shape[0] < need:
            bounds = {k: getattr(detector, k) for k in _ROW_BOUNDS if hasattr(detector, k)}
            raise DataError(
                f"{type(self).__name__} ({type(detector).__name__}) needs at least {need} rows to fit, "
                f"got {X.shape[0]} (settings {bounds}); pass more rows or lower those settings"
            )
        try:
            detector.fit(X)
        except (ValueError, np.linalg.LinAlgError) as err:
            raise DataError(
                f"{type(self).__name__} ({type(detector).__name__}) could not fit X {X.shape}: {err}"
            ) from err
        self.detector_ = detector
        self.n_features_in_ = int(X.shape[1])
        self.threshold_ = float(getattr(detector, "threshold_", np.nan))
        return self

    def score(self, X: Any) -> np.ndarray:
        """(n_items,) float64 anomaly scores, higher = more anomalous. NaN/inf become the worst score."""
        self.check_fitted()
        X = check_features(X, name="X")
        if X.shape[1] != self.n_features_in_:
            raise DataError(
                f"{type(self).__name__} was fitted on {self.n_features_in_} features, X has {X.shape[1]}"
            )
        scores = np.asarray(self.detector_.decision_function(X), dtype=np.float64).reshape(-1)
        bad = ~np.isfinite(scores)
        if bad.any():
            finite = scores[~bad]
            worst = float(finite.max()) if finite.size else 0.0
            _log.warning(
                "%s: %d non-finite scores set to the worst finite score", type(self).__name__, bad.sum()
            )
            scores = np.where(bad, worst, scores)
        return scores

    def save(self, path: str | Path) -> Path:
        """Params, `threshold_`, `n_features_in_` and the fitted detector (skops) in one
        safetensors file. Raises PluginContractError for a detector skops cannot store."""
        from weasul.persist import save_plugin

        try:
            return save_plugin(self, path, packages=SAVED_PACKAGES)
        except PluginContractError:
            raise
        except Exception as err:  # noqa: BLE001 - skops raises many types on what it cannot store
            self.check_fitted()
            raise PluginContractError(
                f"{type(self).__name__} ({type(self.detector_).__name__}) cannot be saved: skops cannot store "
                f"it ({type(err).__name__}: {err}); the deep detectors hold torch modules"
            ) from err

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """A fitted scorer from a file written by `save`; the file may name scikit-learn and
        PyOD types only (anything else is refused with a DataError, never run)."""
        from weasul.persist import load_plugin

        require("pyod", extra="pyod", distribution=cls.distribution)
        return load_plugin(cls, path, packages=SAVED_PACKAGES)

    def is_outlier(self, X: Any) -> np.ndarray:
        """(n_items,) bool: score above `threshold_`, the (1 - contamination) quantile of training scores."""
        return self.score(X) > self.threshold_


class PyODDetector(PyODScorer):
    """Every PyOD detector in one plugin: `detector` names it (`ECOD`, `hbos`, `pyod.models.x:Y`)."""

    class Params(PyODParams):
        detector: str = Field("ECOD", description="PyOD detector short name or 'module:Class'")

        @field_validator("detector")
        @classmethod
        def _known(cls, value: str) -> str:
            resolve_detector(value)
            return value

    params: Params

    @classmethod
    def examples(cls) -> list[Any]:
        return [cls(detector="ECOD"), cls(detector="hbos", options={"n_bins": 5})]

    def detector_path(self) -> str:
        return resolve_detector(self.params.detector)


def pyod_scorer(name: str, *, doc: str | None = None, module: str | None = None) -> type[PyODScorer]:
    """A named plugin class for one PyOD detector: `ECOD = pyod_scorer("ECOD")`.

    The class takes the common `PyODParams` (contamination, options, seed).
    """
    path = resolve_detector(name)
    cls_name = path.partition(":")[2]
    namespace = {
        "detector": path,
        "__doc__": doc or f"PyOD's {cls_name} detector as an AnomalyScorer (higher = more anomalous).",
        "__module__": module or __name__,
    }
    cls = type(f"{cls_name}Scorer", (PyODScorer,), namespace)
    cls.__qualname__ = cls.__name__
    return cls
