"""`reporters/mlflow`: log a weasul run to MLflow through the run's lifecycle hooks.

The engine registers each reporter of a spec with the run's hooks (PLUGINS.md, "Lifecycle
hooks"), so this one follows the run as it goes:

- `run_started`: an MLflow run in the experiment (default: the weasul run's name), tagged with
  the weasul version, the git commit of the spec's work tree and the run folder, with the
  resolved spec flattened to params (`steps.lm.params.seed`).
- `after_step`: the step's numeric metrics, keyed `<step>.<split>.<metric>`; a list of records
  (an active loop's `history`) is one MLflow step per entry; the step's time as
  `weasul.seconds.<step>`.
- `write`, once every step is done: `mlflow.json` in the run folder, naming the tracking URI,
  the experiment and the MLflow run.
- `run_finished`, when run.json is final: metrics.json, report.html, run.json, spec.yaml and
  run.log as artifacts, the `weasul.status` (and `weasul.error`) tags, and the MLflow status
  FINISHED, FAILED (a failed weasul run) or KILLED (an interrupted one).

MLflow is imported in `run_started` only, so listing the plugin or validating a spec never
imports it. A tracking store that cannot be used fails the run when it starts (a tracker asked
for and silently missing is worse); a failure while closing the MLflow run is logged, not raised.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import Field
from weasul.errors import PluginError
from weasul.interfaces import Reporter
from weasul.lazy import require
from weasul.params import WeasulParams
from weasul_registry import hookimpl

if TYPE_CHECKING:
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

__all__ = ["ARTIFACTS", "MlflowReporter", "metric_series", "param_values"]

_log = logging.getLogger(__name__)

#: Files of the run folder logged as artifacts (those that exist) when the run ends.
ARTIFACTS = ("metrics.json", "report.html", "run.json", "spec.yaml", "run.log")
_STATUS = {"finished": "FINISHED", "failed": "FAILED", "interrupted": "KILLED"}
_BAD_KEY = re.compile(r"[^A-Za-z0-9_\-. /:]")
_MAX_KEY = 250
_MAX_PARAM = 6000
_MAX_TAG = 5000
_PARAMS_PER_BATCH = 100  # MLflow's limits per log_batch call
_METRICS_PER_BATCH = 1000
T = TypeVar("T")


def _key(text: str) -> str:
    """A metric or param name MLflow accepts (letters, digits and `_ - . space / :`)."""
    return _BAD_KEY.sub("_", text)[:_MAX_KEY]


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def metric_series(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, list[tuple[int, float]]]:
    """Every finite number in `metrics` as `key -> [(mlflow step, value)]`: mapping keys joined
    with `.` after `prefix`; the entries of a list are steps 0, 1, ... (an active loop's
    history); lists inside a list entry, text, booleans and NaN/inf are left out."""
    out: dict[str, list[tuple[int, float]]] = {}

    def walk(value: Any, key: str, step: int | None) -> None:
        if isinstance(value, Mapping):
            for name, inner in value.items():
                walk(inner, f"{key}.{name}" if key else str(name), step)
        elif isinstance(value, list) and step is None:
            for i, inner in enumerate(value):
                walk(inner, key, i)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out.setdefault(_key(key), []).append((step or 0, float(value)))

    walk(metrics, prefix, None)
    return out


def param_values(spec: Mapping[str, Any]) -> dict[str, str]:
    """The resolved spec as MLflow params: dotted keys with steps by id (`steps.lm.params.seed`,
    as `weasul.runs.flat_spec`), non-text values as JSON, cut to MLflow's 6000 characters."""
    from weasul.runs import flat_spec

    out = {}
    for key, value in flat_spec(spec).items():
        text = value if isinstance(value, str) else json.dumps(value)
        out[_key(key)] = text[:_MAX_PARAM]
    return out


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class _Tracked:
    """The MLflow run that follows one weasul run."""

    client: MlflowClient
    tracking_uri: str
    experiment_id: str
    run_id: str


class MlflowReporter(Reporter):
    """Logs the run to MLflow while it runs: the resolved spec as params, each step's metrics
    (an active loop's history as MLflow steps), metrics.json, report.html and run.json as
    artifacts, tags (weasul version, git commit, status) and FAILED when the run fails. Needs
    `pip install "weasul-contrib-mlflow[mlflow]"`; a `file:` store also needs
    MLFLOW_ALLOW_FILE_STORE=true (MLflow keeps file stores in maintenance mode)."""

    class Params(WeasulParams):
        tracking_uri: str | None = Field(
            None,
            description="MLflow tracking URI (file:/abs/mlruns, http://host:5000); default: MLflow's own "
            "(MLFLOW_TRACKING_URI)",
        )
        experiment: str = Field("", description="MLflow experiment; default: the weasul run's name")
        run_name: str = Field("", description="MLflow run name; default: <run name>/<run folder>")
        tags: dict[str, str] = Field(default_factory=dict, description="extra tags of the MLflow run")

    params: Params
    #: The MLflow run of the weasul run in progress (set by `run_started`).
    _mlflow_run: _Tracked | None = None

    @hookimpl
    def run_started(self, run_name: str, run_dir: str, spec: dict[str, Any]) -> None:
        """Start the MLflow run with its tags and the resolved spec as params.

        Raises PluginError when the tracking store cannot be used (the run then fails)."""
        require("mlflow", extra="mlflow", distribution="weasul-contrib-mlflow")
        import mlflow
        import weasul
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient

        uri = self.params.tracking_uri or mlflow.get_tracking_uri()
        git = _read_json(Path(run_dir) / "run.json").get("git") or {}
        tags = {"weasul.version": weasul.__version__, "weasul.run_dir": str(run_dir), "weasul.status": "running"}
        if git.get("commit"):
            tags["weasul.git_commit"] = tags["mlflow.source.git.commit"] = str(git["commit"])
            tags["weasul.git_dirty"] = str(git.get("dirty")).lower()
        tags.update(self.params.tags)
        try:
            client = MlflowClient(tracking_uri=uri)
            name = self.params.experiment or run_name
            found = client.get_experiment_by_name(name)
            experiment_id = found.experiment_id if found is not None else client.create_experiment(name)
            run = client.create_run(
                experiment_id, tags=tags, run_name=self.params.run_name or f"{run_name}/{Path(run_dir).name}"
            )
        except Exception as err:  # noqa: BLE001 - MLflow raises many types for a store it cannot use
            raise PluginError(
                f"reporters/mlflow: cannot start an MLflow run at {uri}: {type(err).__name__}: {err}"
            ) from err
        self._mlflow_run = _Tracked(client, uri, str(experiment_id), run.info.run_id)
        self._log_batch(params=[Param(key, value) for key, value in param_values(spec).items()])

    @hookimpl
    def after_step(self, run_name: str, step_id: str, metrics: dict[str, Any], seconds: float, cached: bool) -> None:
        """Log the step's metrics (`<step>.<split>.<metric>`) and time (`weasul.seconds.<step>`)."""
        if self._mlflow_run is None:
            return
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch = [
            Metric(key, value, now, step)
            for key, points in metric_series(metrics, step_id).items()
            for step, value in points
        ]
        batch.append(Metric(_key(f"weasul.seconds.{step_id}"), float(seconds), now, 0))
        self._log_batch(metrics=batch)

    def _log_batch(self, *, params: Sequence[Param] = (), metrics: Sequence[Metric] = ()) -> None:
        """Log params and metrics in batches of MLflow's sizes; a PluginError names the store."""
        tracked = self._mlflow_run
        assert tracked is not None
        try:
            for chunk in _chunks(params, _PARAMS_PER_BATCH):
                tracked.client.log_batch(tracked.run_id, params=list(chunk))
            for batch in _chunks(metrics, _METRICS_PER_BATCH):
                tracked.client.log_batch(tracked.run_id, metrics=list(batch))
        except Exception as err:  # noqa: BLE001 - a store that fails mid-run fails the run, named
            raise PluginError(
                f"reporters/mlflow: cannot log to MLflow run {tracked.run_id} at {tracked.tracking_uri}: "
                f"{type(err).__name__}: {err}"
            ) from err

    def write(self, run_dir: Path, metrics: dict[str, Any]) -> list[Path]:
        """`mlflow.json`: where the run is logged (tracking URI, experiment, run id); nothing
        when no MLflow run was started (the reporter used outside `weasul.run`)."""
        tracked = self._mlflow_run
        if tracked is None:
            return []
        path = Path(run_dir) / "mlflow.json"
        where = {"tracking_uri": tracked.tracking_uri, "experiment_id": tracked.experiment_id, "run_id": tracked.run_id}
        path.write_text(json.dumps(where, indent=1) + "\n", encoding="utf-8")
        return [path]

    @hookimpl
    def run_finished(self, run_name: str, run_dir: str, metrics: dict[str, Any], status: str) -> None:
        """Log the artifacts and the final status from run.json, and end the MLflow run."""
        tracked, self._mlflow_run = self._mlflow_run, None
        if tracked is None:
            return
        from mlflow.entities import RunTag

        folder = Path(run_dir)
        record = _read_json(folder / "run.json")
        final = str(record.get("status") or "")
        if final not in _STATUS:  # run.json could not be finished (a full disk)
            final = "finished" if status == "ok" else "failed"
        try:
            for name in ARTIFACTS:
                if (folder / name).is_file():
                    tracked.client.log_artifact(tracked.run_id, str(folder / name))
            tags = [RunTag("weasul.status", final)]
            if record.get("error"):
                tags.append(RunTag("weasul.error", str(record["error"])[:_MAX_TAG]))
            tracked.client.log_batch(tracked.run_id, tags=tags)
        except Exception as err:  # noqa: BLE001 - the run is over; say what was not logged
            _log.warning("reporters/mlflow: run %s: could not log artifacts or tags: %s", tracked.run_id, err)
        try:
            tracked.client.set_terminated(tracked.run_id, _STATUS[final])
        except Exception as err:  # noqa: BLE001
            _log.warning("reporters/mlflow: run %s: could not set status %s: %s", tracked.run_id, _STATUS[final], err)
