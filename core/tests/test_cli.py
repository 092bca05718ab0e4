"""The command line: plugin listing (from metadata, statuses from a check), schema, exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from weasul.cli import main
from weasul_registry.testing import fake_distribution

REPO = Path(__file__).resolve().parents[2]
#: A plugin module that leaves a mark when imported, then fails.
TRIPWIRE = "from pathlib import Path\nPath({marker!r}).touch()\nraise RuntimeError('tripwire imported')\n"


@pytest.fixture(autouse=True)
def _status_cache(tmp_path, monkeypatch):
    """Statuses recorded by `plugins --check` go to a per-test cache, never the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def _rows(capsys, *argv):
    assert main(["plugins", "--json", *argv]) == 0
    return {(r["group"], r["name"]): r for r in json.loads(capsys.readouterr().out)}


def test_plugins_json_lists_core_plugins(capsys):
    wrench = _rows(capsys)[("datasets", "wrench")]
    assert wrench["distribution"] == "weasul-core" and wrench["version"]
    assert wrench["status"] == "unchecked" and wrench["error"] is None
    assert _rows(capsys, "--check")[("datasets", "wrench")]["status"] == "ok"
    # the check is remembered while the installed distributions stay the same
    assert _rows(capsys)[("datasets", "wrench")]["status"] == "ok"


def test_listing_imports_no_plugin_and_shows_the_last_check(tmp_path, capsys):
    marker = tmp_path / "imported"
    eps = {"weasul.label_models": {"tripwire": "cli_tripwire:Model"}}
    source = TRIPWIRE.format(marker=str(marker))
    with fake_distribution(tmp_path / "trip", "weasul-tripwire", eps, {"cli_tripwire": source}):
        row = _rows(capsys, "--group", "label_models")[("label_models", "tripwire")]
        assert row["status"] == "unchecked" and row["distribution"] == "weasul-tripwire"
        assert main(["plugins"]) == 0
        out = capsys.readouterr().out
        assert "tripwire" in out and "unchecked" in out and "weasul plugins --check" in out
        assert not marker.exists() and "cli_tripwire" not in sys.modules

        # a check of one group says so about the others
        assert main(["plugins", "--check", "--group", "oracles"]) == 0
        capsys.readouterr()
        assert main(["plugins"]) == 0
        assert "not checked then" in capsys.readouterr().out and not marker.exists()

        checked = _rows(capsys, "--check")[("label_models", "tripwire")]
        assert checked["status"] == "broken" and "tripwire imported" in checked["error"]
        assert marker.exists()
        marker.unlink()
        sys.modules.pop("cli_tripwire", None)

        cached = _rows(capsys)[("label_models", "tripwire")]
        assert (cached["status"], cached["error"]) == ("broken", checked["error"])
        assert main(["plugins"]) == 0
        assert "statuses from the check of" in capsys.readouterr().out
        assert not marker.exists()
        # installing anything invalidates the recorded statuses
        other = {"weasul.oracles": {"other": "cli_other:Oracle"}}
        with fake_distribution(tmp_path / "other", "weasul-other", other):
            assert _rows(capsys)[("label_models", "tripwire")]["status"] == "unchecked"


def test_validate_imports_only_the_plugins_the_spec_names(tmp_path, capsys, monkeypatch):
    marker = tmp_path / "imported"
    eps = {"weasul.label_models": {"tripwire": "cli_tripwire:Model"}}
    source = TRIPWIRE.format(marker=str(marker))
    monkeypatch.chdir(REPO)
    with fake_distribution(tmp_path / "trip", "weasul-tripwire", eps, {"cli_tripwire": source}):
        assert main(["validate", "examples/spam.yaml"]) == 0
        assert "examples/spam.yaml: ok" in capsys.readouterr().out
        assert not marker.exists() and "cli_tripwire" not in sys.modules
        # the same check fires when a spec does name it
        spec = yaml.safe_load((REPO / "examples/spam.yaml").read_text())
        spec["steps"][1]["use"] = "label_models/tripwire"
        path = tmp_path / "trip.yaml"
        path.write_text(yaml.safe_dump(spec))
        assert main(["validate", str(path)]) == 2
        assert "tripwire imported" in capsys.readouterr().err and marker.exists()


def test_groups_match_the_interfaces():
    from weasul.interfaces import INTERFACES
    from weasul.plugins import GROUPS

    assert GROUPS == tuple(INTERFACES)


def test_broken_plugin_is_listed_and_others_still_run(tmp_path, capsys, toy_plugins, npy_data):
    eps = {"weasul.label_models": {"broken-model": "cli_broken:Model"}}
    source = "import not_a_real_dependency_xyz\n"
    with fake_distribution(tmp_path / "broken", "weasul-broken", eps, {"cli_broken": source}):
        assert main(["plugins", "--json", "--check", "--group", "label_models"]) == 0
        rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
        assert rows["broken-model"]["status"] == "broken"
        assert "not_a_real_dependency_xyz" in rows["broken-model"]["error"]
        assert rows["broken-model"]["distribution"] == "weasul-broken"
        assert rows["toy-vote"]["status"] == "ok"
        # the human listing shows the error in one line and still lists the rest
        assert main(["plugins", "--check"]) == 0
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
