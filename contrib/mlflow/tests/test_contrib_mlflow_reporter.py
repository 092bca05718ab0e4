"""`reporters/mlflow` against a local MLflow file store: the toy pipeline's run is logged with
its params, every metric of metrics.json (the active loop's history as MLflow steps), the
artifacts and tags, and FINISHED; a failing run is FAILED with the error; a store that cannot
be used fails the run at its start; listing and validating import no MLflow."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import weasul
from weasul.errors import PluginError, WeasulError

mlflow = pytest.importorskip("mlflow")
from mlflow.tracking import MlflowClient  # noqa: E402


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A `file:` tracking URI in tmp_path (MLflow refuses file stores without the opt-in)."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return f"file:{tmp_path / 'mlruns'}"


def _with_mlflow(spec, uri, **params):
    return {**spec, "report": {"reporters": [{"use": "mlflow", "params": {"tracking_uri": uri, **params}}]}}


def _leaves(value, key=""):
    """Every number in a metrics mapping outside lists, by dotted key (written apart from the
    reporter's own walk, so the test does not check the code with itself)."""
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _leaves(inner, f"{key}.{name}" if key else name)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        yield key, float(value)


def test_a_run_is_logged_with_params_metrics_artifacts_and_tags(toy_plugins, toy_spec, store, tmp_path):
    result = weasul.run(_with_mlflow(toy_spec, store, experiment="weasul-test", tags={"team": "ws"}), runs_dir=tmp_path / "runs")
    where = json.loads((result.path / "mlflow.json").read_text())
    client = MlflowClient(tracking_uri=store)
    run = client.get_run(where["run_id"])
    assert run.info.status == "FINISHED"
    assert client.get_experiment(run.info.experiment_id).name == "weasul-test"
    assert run.info.run_name == f"toy/{result.path.name}"

    # params: the resolved spec, steps by id, defaults filled in
    params = run.data.params
    assert params["steps.lm.use"] == "label_models/toy-vote"
    assert params["steps.loop.params.budget"] == "6" and params["steps.loop.params.batch"] == "2"
    assert params["data.params.path"] == toy_spec["data"]["params"]["path"]
    assert params["steps.lm.inputs.L"] == "data.L"

    # metrics: every number of metrics.json, equal
    stored = json.loads((result.path / "metrics.json").read_text())
    leaves = dict(_leaves(stored))
    assert len(leaves) >= 6 and "lm.test.accuracy" in leaves
    for key, value in leaves.items():
        assert run.data.metrics[key] == pytest.approx(value, rel=1e-12), key
    # the loop's history: one MLflow step per iteration, in order
    history = stored["loop"]["history"]
    assert len(history) == 4  # start + 3 batches of 2
    labelled = client.get_metric_history(where["run_id"], "loop.history.n_labelled")
    assert [(m.step, m.value) for m in sorted(labelled, key=lambda m: m.step)] == [
        (i, float(h["n_labelled"])) for i, h in enumerate(history)
    ]
    accuracy = client.get_metric_history(where["run_id"], "loop.history.test.accuracy")
    assert [m.value for m in sorted(accuracy, key=lambda m: m.step)] == [h["test"]["accuracy"] for h in history]
    assert {"weasul.seconds.lm", "weasul.seconds.gold", "weasul.seconds.loop"} <= set(run.data.metrics)

    # tags: version, git commit of the work tree, status, extra tags
    record = json.loads((result.path / "run.json").read_text())
    tags = run.data.tags
    assert tags["weasul.version"] == weasul.__version__ and tags["weasul.status"] == "finished"
    assert tags["team"] == "ws" and tags["weasul.run_dir"] == str(result.path)
    if record["git"]:
        assert tags["weasul.git_commit"] == record["git"]["commit"] == tags["mlflow.source.git.commit"]

    # artifacts: the files of the run folder, run.json as final
    names = {a.path for a in client.list_artifacts(where["run_id"])}
    assert {"metrics.json", "report.html", "run.json", "spec.yaml", "run.log"} <= names
    folder = Path(mlflow.artifacts.download_artifacts(run_id=where["run_id"], tracking_uri=store, dst_path=str(tmp_path / "dl")))
    assert json.loads((folder / "metrics.json").read_text()) == stored
    assert json.loads((folder / "run.json").read_text())["status"] == "finished"
    assert "<html" in (folder / "report.html").read_text().lower()


def test_a_failing_run_is_failed_with_the_error(toy_plugins, toy_spec, store, tmp_path):
    marker = tmp_path / "crash"
    marker.write_text("x")
    toy_spec["steps"] = [
        toy_spec["steps"][0],
        {"id": "lm2", "use": "label_models/flaky-vote", "params": {"fail_if_exists": str(marker)}, "inputs": {"L": "data.L"}},
    ]
    with pytest.raises(WeasulError, match="simulated crash"):
        weasul.run(_with_mlflow(toy_spec, store), runs_dir=tmp_path / "runs")
    client = MlflowClient(tracking_uri=store)
    (run,) = client.search_runs([client.get_experiment_by_name("toy").experiment_id])
    assert run.info.status == "FAILED"
    assert run.data.tags["weasul.status"] == "failed" and "simulated crash" in run.data.tags["weasul.error"]
    assert "lm.test.accuracy" in run.data.metrics and not any(k.startswith("lm2.") for k in run.data.metrics)
    names = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"metrics.json", "run.json", "run.log"} <= names and "report.html" not in names


def test_a_store_that_cannot_be_used_fails_the_run_at_its_start(toy_plugins, toy_spec, tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    uri = f"file:{tmp_path / 'mlruns'}"
    with pytest.raises(PluginError, match=r"reporters/mlflow: cannot start an MLflow run at file:.*MLFLOW_ALLOW_FILE_STORE"):
        weasul.run(_with_mlflow(toy_spec, uri), runs_dir=tmp_path / "runs")
    run_dir = next((tmp_path / "runs" / "toy").glob("2*"))
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "failed" and record["error"].startswith("the run_started hooks: reporters/mlflow")
    assert record["steps"] == {}


def test_listing_and_validating_import_no_mlflow(toy_plugins, toy_spec, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(_with_mlflow(toy_spec, "file:/nowhere")))
    code = (
        "import sys, weasul, weasul_contrib_mlflow\n"
        "from weasul.engine import validate\n"
        "from weasul.plugins import load_class\n"
        "load_class('reporters', 'mlflow').Params.model_json_schema()\n"
        f"validate({str(spec)!r})\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'mlflow'], 'mlflow imported'\n"
    )
    env_path = ":".join([str(toy_plugins), *sys.path])
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": env_path}, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
