"""An MLflow tracker for weasul runs (imports no MLflow until a run starts)."""

from __future__ import annotations

from weasul_contrib_mlflow.reporter import MlflowReporter, metric_series, param_values

__version__ = "0.1.0"
__all__ = ["MlflowReporter", "metric_series", "param_values"]
