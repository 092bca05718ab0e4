"""Running specs: run folder, metrics, step cache, resume after a crash, hooks."""

import json
import logging

import numpy as np
import pytest
import weasul
import weasul_registry
from weasul.errors import WeasulError


def _crashing_spec(spec, tmp_path):
    """The toy spec with a second label model that crashes while the returned marker exists."""
    marker = tmp_path / "crash"
    marker.write_text("x")
    step = {"id": "lm2", "use": "label_models/flaky-vote", "params": {"fail_if_exists": str(marker)}}
    spec["steps"].insert(1, {**step, "inputs": {"L": "data.L"}})
    return spec, marker


class Recorder:
    def __init__(self):
        self.events = []

    @weasul_registry.hookimpl
    def after_step(self, run_name, step_id, metrics, seconds, cached):
        self.events.append((step_id, cached))

    @weasul_registry.hookimpl
    def run_finished(self, run_name, run_dir, metrics, status):
        self.events.append(("finished", status))


def test_run_writes_folder_metrics_and_artifacts(toy_plugins, toy_spec, npy_data, tmp_path):
    result = weasul.run(toy_spec(npy_data), runs_dir=tmp_path / "runs")
    folder = result.path
    assert folder.parent.parent == tmp_path / "runs"
    for name in ("spec.yaml", "metrics.json", "run.log", "report.html"):
        assert (folder / name).is_file(), name
    metrics = json.loads((folder / "metrics.json").read_text())
    # the generated sources are 80% accurate: a majority vote is clearly better than chance
    assert metrics["lm"]["test"]["accuracy"] > 0.75
    history = metrics["loop"]["history"]
    assert [h["n_labelled"] for h in history] == [0, 2, 4, 5]
    probs = np.load(folder / "artifacts" / "lm" / "probs.test.npy")
    assert probs.shape == (400, 2) and np.allclose(probs.sum(axis=1), 1)
    assert "lm" in (folder / "report.html").read_text()
    assert result.artifacts["lm.probs"]["train"].shape == (400, 2)


def test_rerun_reuses_cached_steps(toy_plugins, toy_spec, npy_data, tmp_path):
    first, second = Recorder(), Recorder()
    weasul.run(toy_spec(npy_data), runs_dir=tmp_path, hooks=[first])
    weasul.run(toy_spec(npy_data), runs_dir=tmp_path, hooks=[second])
    assert ("lm", False) in first.events and ("lm", True) in second.events
    # a change in params invalidates the step
    third = Recorder()
    weasul.run(toy_spec(npy_data, params={"class_prior": [0.4, 0.6]}), runs_dir=tmp_path, hooks=[third])
    assert ("lm", False) in third.events


def test_interrupted_run_resumes_from_finished_steps(toy_plugins, toy_spec, npy_data, tmp_path):
    spec, marker = _crashing_spec(toy_spec(npy_data), tmp_path)
    crashed = Recorder()
    with pytest.raises(WeasulError, match="step 'lm2'.*simulated crash"):
        weasul.run(spec, runs_dir=tmp_path, hooks=[crashed])
    assert crashed.events == [("lm", False), ("finished", "failed")]
    marker.unlink()
    resumed = Recorder()
    weasul.run(spec, runs_dir=tmp_path, hooks=[resumed])
    assert resumed.events[:2] == [("lm", True), ("lm2", False)]
    assert resumed.events[-1] == ("finished", "ok")


def test_metrics_survive_a_failed_run(toy_plugins, toy_spec, npy_data, tmp_path):
    spec, marker = _crashing_spec(toy_spec(npy_data), tmp_path)
    with pytest.raises(WeasulError):
        weasul.run(spec, runs_dir=tmp_path)
    (folder,) = (tmp_path / "toy").glob("2*")
    assert "lm" in json.loads((folder / "metrics.json").read_text())
    assert "simulated crash" in (folder / "run.log").read_text()


def test_plugin_logs_reach_run_log_and_the_application_sees_only_its_level(toy_plugins, toy_spec, npy_data, tmp_path):
    seen: list[logging.LogRecord] = []
    catcher = logging.Handler()
    catcher.emit = seen.append  # type: ignore[method-assign]
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(catcher)
    root.setLevel(logging.WARNING)
    try:
        spec, marker = _crashing_spec(toy_spec(npy_data), tmp_path)
        marker.unlink()
        weasul.run(spec, runs_dir=tmp_path)
        logging.getLogger("toy_flaky").info("after the run")
        logging.getLogger("weasul.run").debug("after the run")
    finally:
        root.removeHandler(catcher)
        root.setLevel(saved_level)
    (folder,) = (tmp_path / "toy").glob("2*")
    log = (folder / "run.log").read_text()
    assert "INFO toy_flaky: flaky-vote: fitting 400 rows" in log
    assert "WARNING toy_flaky: flaky-vote: this plugin is flaky" in log
    assert "after the run" not in log
    # the application's WARNING handler got the warning, no INFO or DEBUG, during or after the run
    assert [r.getMessage() for r in seen if r.name == "toy_flaky"] == ["flaky-vote: this plugin is flaky"]
    assert all(r.levelno >= logging.WARNING for r in seen), [(r.name, r.getMessage()) for r in seen]


def test_missing_data_field_is_a_data_error(toy_plugins, toy_spec, npy_data, tmp_path):
    spec = toy_spec(npy_data)
    spec["steps"] = [
        {"id": "lm", "use": "label_models/toy-vote", "inputs": {"L": "data.L", "y": "data.valid.y"}}
    ]
    with pytest.raises(weasul.DataError, match="has no split 'valid'"):
        weasul.run(spec, runs_dir=tmp_path)


def test_validate_does_not_run(toy_plugins, toy_spec, npy_data, tmp_path):
    from weasul.engine import validate

    plan = validate(toy_spec(npy_data))
    assert [s.id for s in plan.steps] == ["lm", "gold", "loop"]
    assert not (tmp_path / "runs").exists()


def test_html_report_is_written_after_other_reporters(toy_plugins, toy_spec, npy_data):
    from weasul.engine import validate

    spec = toy_spec(npy_data)
    spec["report"] = {"html": False, "reporters": [{"use": "html", "params": {"title": "mine"}}]}
    ((cls, params),) = validate(spec).reporters
    assert cls.__name__ == "HtmlReporter" and params.title == "mine"
    spec["report"] = {"reporters": [{"use": "html", "params": {"titel": "x"}}]}
    with pytest.raises(weasul.SpecError, match="report.reporters 'html'.params.titel"):
        validate(spec)


def test_dask_executor_in_a_spec_gives_the_same_label_matrix(tmp_path):
    pytest.importorskip("distributed")
    lfs = tmp_path / "lfs.py"
    lfs.write_text(
        "from weasul.lf import labeling_function\n"
        "CLASS_NAMES = ['neg', 'pos']\n"
        "@labeling_function()\n"
        "def good(row):\n    return 1 if 'good' in row.text else -1\n"
        "@labeling_function()\n"
        "def bad(row):\n    return 0 if 'bad' in row.text else -1\n"
    )
    table = tmp_path / "items.csv"
    rows = ["good day", "bad day", "good and bad", "nothing"] * 30
    table.write_text("text\n" + "\n".join(rows) + "\n")

    def spec(executor):
        return {
            "weasul": 1,
            "name": f"lf-{executor['kind']}",
            "executor": executor,
            "data": {"use": "table", "params": {"files": {"train": [str(table)]}, "text_column": "text"}},
            "steps": [
                {
                    "id": "lfs",
                    "use": "labeling_functions/python",
                    "params": {"path": str(lfs)},
                    "inputs": {"items": "data.items"},
                }
            ],
        }

    local = weasul.run(spec({"kind": "local"}), runs_dir=tmp_path / "runs")
    dask = weasul.run(spec({"kind": "dask", "n_workers": 2, "partitions": 4}), runs_dir=tmp_path / "runs")
    L_local, L_dask = local.artifacts["lfs.L"]["train"], dask.artifacts["lfs.L"]["train"]
    assert L_local.shape == (120, 2) and L_local[:4].tolist() == [[1, -1], [-1, 0], [1, 0], [-1, -1]]
    assert np.array_equal(L_local, L_dask)
