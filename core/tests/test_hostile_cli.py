"""Exit codes and messages of the CLI for environment problems (issue 15, messages): a runs
folder that is a file or cannot be written, new-plugin into a folder that cannot be written, a
full disk: exit 2 with the path, never 'internal error'."""

from __future__ import annotations

import errno
import json

import numpy as np
from weasul.cli import main


def _spec(tmp_path, data):
    path = tmp_path / "spec.json"
    path.write_text(
        json.dumps(
            {
                "weasul": 1,
                "name": "toy",
                "data": {"use": "npy", "params": {"path": str(data), "splits": ["train", "test"]}},
                "steps": [
                    {"id": "lm", "use": "label_models/toy-vote", "inputs": {"L": "data.L", "y": "data.y"}}
                ],
            }
        )
    )
    return path


def test_runs_dir_that_is_a_file_is_a_user_error(tmp_path, capsys, toy_plugins, npy_data):
    runs = tmp_path / "runs"
    runs.write_text("not a folder")
    assert main(["run", str(_spec(tmp_path, npy_data)), "--runs-dir", str(runs)]) == 2
    err = capsys.readouterr().err
    assert "internal error" not in err and str(runs) in err


def test_unwritable_runs_dir_is_a_user_error(tmp_path, capsys, toy_plugins, npy_data):
    runs = "/proc/weasul-runs"  # cannot be created, even by root
    assert main(["run", str(_spec(tmp_path, npy_data)), "--runs-dir", runs]) == 2
    err = capsys.readouterr().err
    assert "internal error" not in err and runs in err


def test_new_plugin_into_an_unwritable_folder_is_a_user_error(capsys):
    assert main(["new-plugin", "toy-x", "--interface", "label_model", "--dir", "/proc/weasul-new"]) == 2
    err = capsys.readouterr().err
    assert "internal error" not in err and "/proc/weasul-new" in err


def test_full_disk_says_so(tmp_path, capsys, toy_plugins, npy_data, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(args[0]))

    monkeypatch.setattr(np, "save", full)
    assert main(["run", str(_spec(tmp_path, npy_data)), "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "internal error" not in err
