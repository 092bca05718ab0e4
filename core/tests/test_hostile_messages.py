"""The last of issue 15's bad messages: each names the file (or the row), says what is wrong
and what to do, through the Python API and the CLI (exit 2, no 'internal error'): an unknown
label value, a file given for a folder and a folder for a file (spec, LF file, data, model), a
JSON spec, NaN targets, a full disk (numpy's short write "17446 requested and 14320 written"
names no file), a runs folder that is a file or may not be written."""

from __future__ import annotations

import errno
import json
import pathlib
from pathlib import Path

import numpy as np
import pytest
import weasul
from weasul.builtin.datasets import NpyDataset, TableDataset, WrenchDataset
from weasul.cli import main
from weasul.errors import DataError, SpecError, WeasulError
from weasul.spec import load_spec
from weasul.storage import write_failure

pytest.importorskip("pandas")


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err
    return code, err


def _table_spec(tmp_path: Path, params: dict, steps: list | None = None) -> Path:
    steps = steps or [{"id": "gold", "use": "oracles/gold", "inputs": {"y": "data.train.y"}}]
    spec = {"weasul": 1, "name": "m", "data": {"use": "table", "params": params}, "steps": steps}
    return _write(tmp_path / "spec.json", json.dumps(spec))


# -- data files -------------------------------------------------------------------------------


def test_unknown_label_value_names_the_file_the_row_and_the_fix(tmp_path, capsys):
    train = _write(tmp_path / "train.csv", "text,label\na,0\nb,1\n")
    test = _write(tmp_path / "test.csv", "text,label\na,0\nb,1\nc,2\n")
    params = {
        "files": {"train": [str(train)], "test": [str(train), str(test)]},
        "text_column": "text",
        "label_column": "label",
        "label_values": [0, 1],
    }
    message = r"test.csv: row 2 has label '2', not one of label_values \['0', '1'\].*add it to label_values"
    with pytest.raises(DataError, match=message):
        TableDataset(**params).load()
    code, err = _cli(capsys, "run", str(_table_spec(tmp_path, params)), "--runs-dir", str(tmp_path / "runs"))
    assert code == 2 and "test.csv: row 2 has label '2'" in err


def test_rows_with_one_field_more_than_the_header_are_refused_not_shifted(tmp_path):
    """pandas silently makes the first field an index: texts would become labels."""
    from weasul.apply import read_items

    file = _write(tmp_path / "shifted.csv", "text,label\nhello,1,x\nbye,0,y\n")
    with pytest.raises(DataError, match=r"shifted.csv: row 0 has 3 fields but the header names 2; add the missing"):
        TableDataset(files={"train": [str(file)]}, text_column="text", label_column="label").load()
    with pytest.raises(DataError, match=r"shifted.csv: its rows have one field more than the header"):
        next(read_items(file))
    fine = _write(tmp_path / "indexed.csv", ",text,label\n0,hello,1\n1,bye,0\n")  # pandas' to_csv with index
    assert TableDataset(files={"train": [str(fine)]}, text_column="text", label_column="label").load().train.y.tolist() == [1, 0]


@pytest.mark.parametrize("loader", [NpyDataset, WrenchDataset])
def test_a_file_given_for_a_data_folder_says_it_is_a_file(tmp_path, loader):
    file = _write(tmp_path / "L_train.npy", "")
    with pytest.raises(DataError, match=r"data folder '.*L_train.npy' is a file; name the folder"):
        loader(path=str(file)).load()
    with pytest.raises(DataError, match=r"does not exist; check the path \(in a spec, relative to the spec's folder"):
        loader(path=str(tmp_path / "nowhere")).load()


def test_a_folder_given_for_a_spec_says_it_is_a_folder(tmp_path, capsys):
    with pytest.raises(SpecError, match=r"spec file '.*' is a folder, not a file"):
        weasul.run(tmp_path, runs_dir=tmp_path / "runs")
    code, err = _cli(capsys, "validate", str(tmp_path))
    assert code == 2 and "is a folder, not a file" in err


def test_a_folder_given_for_an_lf_file_says_it_is_a_folder(tmp_path, capsys):
    train = _write(tmp_path / "train.csv", "text\na\n")
    lfs = [{"id": "lfs", "use": "labeling_functions/python", "params": {"path": str(tmp_path)}, "inputs": {"items": "data.items"}}]
    spec = _table_spec(tmp_path, {"files": {"train": [str(train)]}, "text_column": "text"}, lfs)
    code, err = _cli(capsys, "run", str(spec), "--runs-dir", str(tmp_path / "runs"))
    assert code == 2 and f"labeling-function file '{tmp_path}' is a folder, not a file" in err


def test_validate_warns_of_a_folder_given_for_an_lf_file(tmp_path, capsys):
    train = _write(tmp_path / "train.csv", "text\na\n")
    (tmp_path / "lfs.py").mkdir()
    lfs = [{"id": "lfs", "use": "labeling_functions/python", "params": {"path": "lfs.py"}, "inputs": {"items": "data.items"}}]
    spec = _table_spec(tmp_path, {"files": {"train": [str(train)]}, "text_column": "text"}, lfs)
    assert main(["validate", str(spec)]) == 0
    out = capsys.readouterr().out
    assert f"warning: step 'lfs'.params.path: {tmp_path / 'lfs.py'} is a folder, not a file" in out


def test_an_empty_file_of_new_items_says_it_is_empty(tmp_path):
    from weasul.apply import read_items

    with pytest.raises(DataError, match=r"new.csv is empty; give a file with a header row"):
        next(read_items(_write(tmp_path / "new.csv", "")))


@pytest.mark.parametrize(("text", "says"), [('{"lm": {', "is not valid JSON"), ("[1]", "holds a JSON list")])
def test_report_of_a_damaged_metrics_file_says_so(tmp_path, capsys, toy_plugins, npy_data, text, says):
    run = weasul.run(_npy_spec(tmp_path, npy_data), runs_dir=tmp_path / "runs")
    (run.path / "metrics.json").write_text(text)
    code, err = _cli(capsys, "report", str(run.path))
    assert code == 2 and f"metrics.json {says}" in err


def test_a_folder_given_for_new_items_or_a_model_says_it_is_a_folder(tmp_path):
    from weasul.apply import read_items

    with pytest.raises(DataError, match=r"data file '.*' is a folder, not a file"):
        next(read_items(tmp_path))
    with pytest.raises(DataError, match=r"is a folder; name the model file that save\(\) wrote"):
        type(weasul.create("classifiers", "sklearn")).load(tmp_path)


def test_an_invalid_json_spec_is_called_json(tmp_path, capsys):
    spec = _write(tmp_path / "spec.json", '{"weasul": 1, "name": ')
    with pytest.raises(SpecError, match=r"spec.json is not valid JSON .* at line 1"):
        load_spec(spec)
    code, err = _cli(capsys, "validate", str(spec))
    assert code == 2 and "spec.json is not valid JSON" in err


def test_nan_targets_name_the_first_position():
    pytest.importorskip("sklearn")
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(DataError, match=r"targets contains NaN or inf \(first at index 4\); use -1 for abstain"):
        weasul.create("classifiers", "sklearn").fit(X, np.array([0, 1, 0, 1, np.nan, 1]))


# -- the file system --------------------------------------------------------------------------


def _npy_spec(tmp_path: Path, npy_data: Path) -> Path:
    spec = {
        "weasul": 1,
        "name": "toy",
        "data": {"use": "npy", "params": {"path": str(npy_data), "splits": ["train", "test"]}},
        "steps": [{"id": "lm", "use": "label_models/toy-vote", "inputs": {"L": "data.L", "y": "data.y"}}],
    }
    return _write(tmp_path / "spec.json", json.dumps(spec))


def _short_write(monkeypatch):
    """np.save as on a full disk: part of the file, then numpy's OSError without errno or name."""
    real = np.save

    def save(file, arr, **kwargs):
        if "artifacts" in str(file) or "cache" in str(file):
            Path(file).write_bytes(b"\x93NUMPY partial")
            raise OSError("17446 requested and 14320 written")
        return real(file, arr, **kwargs)

    monkeypatch.setattr(np, "save", save)


def test_a_full_disk_names_the_file_and_says_the_disk_is_full(tmp_path, capsys, toy_plugins, npy_data, monkeypatch):
    _short_write(monkeypatch)
    runs = tmp_path / "runs"
    with pytest.raises(WeasulError) as info:
        weasul.run(_npy_spec(tmp_path, npy_data), runs_dir=runs)
    message = str(info.value)
    assert not isinstance(info.value, OSError)
    assert "step 'lm'" in message and "the disk is full" in message and "free some space" in message
    assert "17446 requested and 14320 written" in message and ".npy" in message and str(runs) in message
    assert not list(runs.rglob("*.npy")), "a partial artifact is left behind"
    record = json.loads(next(runs.rglob("run.json")).read_text())
    assert record["status"] == "failed" and "the disk is full" in record["error"]
    code, err = _cli(capsys, "run", str(_npy_spec(tmp_path, npy_data)), "--runs-dir", str(runs))
    assert code == 2 and "the disk is full" in err and ".npy" in err


def test_a_full_disk_for_metrics_json_names_it_not_a_temporary_file(tmp_path, toy_plugins, npy_data, monkeypatch):
    real = pathlib.Path.write_text

    def write_text(self, *args, **kwargs):
        if self.name.startswith(".metrics.json."):
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", write_text)
    runs = tmp_path / "runs"
    with pytest.raises(WeasulError, match=r"cannot write \S+/metrics.json: the disk is full"):
        weasul.run(_npy_spec(tmp_path, npy_data), runs_dir=runs)
    assert not list(runs.rglob(".metrics.json.*")), "a temporary file is left behind"


def test_a_runs_folder_that_is_a_file_is_a_weasul_error_in_python(tmp_path, toy_plugins, npy_data):
    runs = _write(tmp_path / "runs", "not a folder")
    with pytest.raises(WeasulError, match=rf"{runs} is a file, not a folder; remove it or pass another --runs-dir"):
        weasul.run(_npy_spec(tmp_path, npy_data), runs_dir=runs)


def test_a_runs_folder_without_permission_says_so(tmp_path, toy_plugins, npy_data, monkeypatch, capsys):
    real = pathlib.Path.mkdir
    runs = tmp_path / "locked"

    def mkdir(self, *args, **kwargs):
        if self.is_relative_to(runs):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)
    with pytest.raises(WeasulError, match=r"cannot write \S+locked\S*: permission denied; check the folder's permissions"):
        weasul.run(_npy_spec(tmp_path, npy_data), runs_dir=runs)
    code, err = _cli(capsys, "run", str(_npy_spec(tmp_path, npy_data)), "--runs-dir", str(runs))
    assert code == 2 and "permission denied" in err


def test_write_failure_says_read_only():
    err = OSError(errno.EROFS, "Read-only file system", "/mnt/ro/runs")
    assert write_failure(err, hint="or pass another --runs-dir") == (
        "cannot write /mnt/ro/runs: the file system is read-only; use a writable folder or pass another --runs-dir"
    )


def test_text_probabilities_are_refused_by_dtype():
    """Found by the slow profile of tests/test_hostile_inputs.py: numpy's "could not convert
    string to float" escaped check_probs (the concept model, the cross-validated classifier)."""
    from weasul.validation import check_probs

    with pytest.raises(DataError, match=r"targets has dtype <U3; expected class probabilities"):
        check_probs(np.array([["", ""], ["", ""]], dtype="<U3"), name="targets")
    assert check_probs(np.array([[1, 0], [0, 1]])).dtype == np.float64  # integer rows still pass
