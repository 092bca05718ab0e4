"""The command line: plugin listing with broken plugins, schema, exit codes."""

import json
import subprocess
import sys

import yaml
from weasul.cli import main
from weasul_registry.testing import fake_distribution


def test_plugins_json_lists_core_plugins(capsys):
    assert main(["plugins", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_name = {(r["group"], r["name"]): r for r in rows}
    wrench = by_name[("datasets", "wrench")]
    assert wrench["distribution"] == "weasul-core" and wrench["status"] == "ok" and wrench["version"]


def test_broken_plugin_is_listed_and_others_still_run(tmp_path, capsys, toy_plugins, npy_data):
    eps = {"weasul.label_models": {"broken-model": "cli_broken:Model"}}
    source = "import not_a_real_dependency_xyz\n"
    with fake_distribution(tmp_path / "broken", "weasul-broken", eps, {"cli_broken": source}):
        assert main(["plugins", "--json", "--group", "label_models"]) == 0
        rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
        assert rows["broken-model"]["status"] == "broken"
        assert "not_a_real_dependency_xyz" in rows["broken-model"]["error"]
        assert rows["broken-model"]["distribution"] == "weasul-broken"
        assert rows["toy-vote"]["status"] == "ok"
        # the human listing shows the error in one line and still lists the rest
        assert main(["plugins"]) == 0
        out = capsys.readouterr().out
        assert "broken-model" in out and "ModuleNotFoundError" in out and "toy-vote" in out
        # a spec that does not name the broken plugin runs
        spec = {
            "weasul": 1,
            "name": "fine",
            "data": {"use": "npy", "params": {"path": str(npy_data)}},
            "steps": [{"id": "lm", "use": "label_models/toy-vote", "inputs": {"L": "data.L", "y": "data.y"}}],
        }
        path = tmp_path / "fine.yaml"
        path.write_text(yaml.safe_dump(spec))
        assert main(["run", str(path), "--runs-dir", str(tmp_path / "runs")]) == 0
        # one that does gets exit 2 and the cause
        spec["steps"][0]["use"] = "label_models/broken-model"
        path.write_text(yaml.safe_dump(spec))
        assert main(["run", str(path), "--runs-dir", str(tmp_path / "runs")]) == 2
        err = capsys.readouterr().err
        assert "weasul-broken" in err and "not_a_real_dependency_xyz" in err


def test_schema_includes_plugin_params(capsys, toy_plugins):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    defs = schema["$defs"]
    assert "class_prior" in json.dumps(defs["label_models__toy-vote__params"])
    assert "path" in defs["datasets__wrench__params"]["properties"]
    branches = json.dumps(defs["StepSpec"])
    assert "label_models/toy-vote" in branches


def test_run_prints_metrics_and_folder(tmp_path, capsys, toy_plugins, npy_data):
    spec = {
        "weasul": 1,
        "name": "cli",
        "data": {"use": "npy", "params": {"path": str(npy_data)}},
        "steps": [{"id": "lm", "use": "label_models/toy-vote", "inputs": {"L": "data.L", "y": "data.y"}}],
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(spec))
    assert main(["run", str(path), "--runs-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "lm test: coverage=" in out and "accuracy=" in out and "run folder:" in out


def test_label_needs_a_loop(tmp_path, capsys, toy_plugins, npy_data):
    spec = {
        "weasul": 1,
        "name": "nolabel",
        "data": {"use": "npy", "params": {"path": str(npy_data)}},
        "steps": [{"id": "lm", "use": "label_models/toy-vote", "inputs": {"L": "data.L"}}],
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(spec))
    assert main(["label", str(path)]) == 2
    assert "no query_strategies step" in capsys.readouterr().err


def test_console_script_user_error_has_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("weasul: 1\nname: x\nsteps: []\n")
    done = subprocess.run(
        [sys.executable, "-m", "weasul.cli", "validate", str(bad)], capture_output=True, text=True
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr and "steps" in done.stderr
