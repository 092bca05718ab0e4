"""Reporters and the run's lifecycle (issue 16, item 6 and the run.json status): each reporter of
a spec is registered with the run's hooks before the run starts, so a tracker sees every step
and the run's end; while reporters write, run.json says `reporting` (every step done), and it
is final (`finished` / `failed`) when `run_finished` fires."""

from __future__ import annotations

import json

import pytest
import weasul
from weasul.errors import WeasulError
from weasul_registry.testing import fake_distribution

PROBE = '''
import json
from pathlib import Path

from weasul.interfaces import Reporter
from weasul.params import WeasulParams
from weasul_registry import hookimpl


class Probe(Reporter):
    """Writes what it saw: run.json's status while it writes, the steps and the run's end."""

    class Params(WeasulParams):
        pass

    def _seen(self):
        return self.__dict__.setdefault("seen", {"steps": [], "started": 0})

    @hookimpl
    def run_started(self, run_name, run_dir, spec):
        self._seen()["started"] += 1

    @hookimpl
    def after_step(self, run_name, step_id, metrics, seconds, cached):
        self._seen()["steps"].append(step_id)

    def write(self, run_dir, metrics):
        record = json.loads((Path(run_dir) / "run.json").read_text())
        out = Path(run_dir) / "probe.json"
        out.write_text(json.dumps({**self._seen(), "status": record["status"], "steps_ended": record["steps_ended"]}))
        return [out]

    @hookimpl
    def run_finished(self, run_name, run_dir, metrics, status):
        record = json.loads((Path(run_dir) / "run.json").read_text())
        (Path(run_dir) / "probe-end.json").write_text(json.dumps({"status": status, "record": record["status"]}))
'''


@pytest.fixture
def probe(tmp_path_factory):
    root = tmp_path_factory.mktemp("probe")
    with fake_distribution(root, "weasul-probe", {"weasul.reporters": {"probe": "toy_probe:Probe"}}, {"toy_probe": PROBE}):
        yield


def test_a_reporter_sees_every_step_and_run_json_says_reporting_while_it_writes(
    toy_plugins, probe, npy_data, tmp_path, toy_spec
):
    spec = {**toy_spec(npy_data), "report": {"reporters": ["probe"]}}
    result = weasul.run(spec, runs_dir=tmp_path / "runs")
    seen = json.loads((result.path / "probe.json").read_text())
    assert seen["started"] == 1 and seen["steps"] == ["lm", "gold", "loop"]
    assert seen["status"] == "reporting" and seen["steps_ended"] is not None
    record = json.loads((result.path / "run.json").read_text())
    assert record["status"] == "finished" and record["steps_ended"] <= record["ended"]
    assert json.loads((result.path / "probe-end.json").read_text()) == {"status": "ok", "record": "finished"}
    # the HTML report, written in the same phase, shows the finished run
    assert json.loads((result.path / "report.json").read_text())["status"] == "finished"


def test_a_reporter_sees_a_failed_run_as_final(toy_plugins, probe, npy_data, tmp_path, toy_spec):
    marker = tmp_path / "crash"
    marker.write_text("x")
    spec = {**toy_spec(npy_data), "report": {"reporters": ["probe"]}}
    spec["steps"] = [
        spec["steps"][0],
        {"id": "lm2", "use": "label_models/flaky-vote", "params": {"fail_if_exists": str(marker)}, "inputs": {"L": "data.L"}},
    ]
    with pytest.raises(WeasulError, match="simulated crash"):
        weasul.run(spec, runs_dir=tmp_path / "runs")
    run_dir = next((tmp_path / "runs" / "toy").glob("2*"))
    assert not (run_dir / "probe.json").exists()  # reporters write only after every step
    assert json.loads((run_dir / "probe-end.json").read_text()) == {"status": "failed", "record": "failed"}
