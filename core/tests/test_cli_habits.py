"""CLI habits: --version, -s overrides, paths relative to the spec, plugins show, options checked at validate."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import yaml
from weasul.cli import main
from weasul.errors import SpecError
from weasul.overrides import apply_overrides

pd = pytest.importorskip("pandas")
pytest.importorskip("weasul_baselines")

REPO = Path(__file__).resolve().parents[2]

LFS = """
from weasul.lf import ABSTAIN, labeling_function

CLASS_NAMES = ["HAM", "SPAM"]


@labeling_function()
def has_link(row):
    return 1 if "http" in row.text else ABSTAIN


@labeling_function()
def short(row):
    return 0 if len(row.text.split()) < 4 else ABSTAIN
"""


def _project(root: Path) -> Path:
    """A spec in root/specs/ naming data.csv and lfs.py beside it, by relative paths."""
    folder = root / "specs"
    folder.mkdir(parents=True)
    texts = ["see http://x now please", "nice", "great song ever", "buy at http://y today"] * 10
    pd.DataFrame({"text": texts, "label": [1, 0, 0, 1] * 10}).to_csv(folder / "data.csv", index=False)
    (folder / "lfs.py").write_text(LFS)
    spec = {
        "weasul": 1,
        "name": "habits",
        "data": {
            "use": "table",
            "params": {"files": {"train": ["data.csv"]}, "text_column": "text", "label_column": "label"},
        },
        "steps": [
            {
                "id": "lfs",
                "use": "labeling_functions/python",
                "params": {"path": "lfs.py"},
                "inputs": {"items": "data.items"},
            },
            {"id": "lm", "use": "label_models/majority-vote", "inputs": {"L": "lfs.L", "y": "data.y"}},
        ],
        "report": {"html": False},
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    from weasul import __version__

    assert capsys.readouterr().out.strip() == f"weasul {__version__}"


def test_overrides_change_the_run_and_are_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _project(tmp_path)
    monkeypatch.chdir(tmp_path)  # not the spec's folder: paths resolve against the spec
    runs = tmp_path / "runs"
    argv = [
        "run",
        str(spec),
        "--runs-dir",
        str(runs),
        "-s",
        "steps.lfs.params.only=[has_link]",
        "-s",
        "steps.lm.params.seed=3",
    ]
    assert main(argv) == 0
    run_dir = next((runs / "habits").glob("2*"))
    record = json.loads((run_dir / "run.json").read_text())
    assert record["overrides"] == ["steps.lfs.params.only=[has_link]", "steps.lm.params.seed=3"]
    resolved = yaml.safe_load((run_dir / "spec.yaml").read_text())
    assert resolved["steps"][1]["params"]["seed"] == 3
    assert resolved["data"]["params"]["files"]["train"] == [str(spec.parent / "data.csv")]
    import numpy as np

    assert np.load(run_dir / "artifacts" / "lfs" / "L.train.npy").shape == (40, 1)  # only has_link


def test_override_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _project(tmp_path)
    assert main(["validate", str(spec), "-s", "steps.lmm.params.seed=3"]) == 2
    assert "no step 'lmm'; steps are lfs, lm" in capsys.readouterr().err
    assert main(["validate", str(spec), "-s", "steps.lm.params.seed"]) == 2
    assert "dotted.key=value" in capsys.readouterr().err
    assert main(["validate", str(spec), "-s", "steps.lm.params.seed=abc"]) == 2
    assert "step 'lm' (steps[1]).params.seed" in capsys.readouterr().err
    with pytest.raises(SpecError, match="position below 2"):
        apply_overrides({"steps": [{"id": "a", "params": {"x": [1, 2]}}]}, ["steps.a.params.x.5=3"])
    assert apply_overrides({"report": {"html": True}}, ["report.html=false"]) == {"report": {"html": False}}


def test_missing_file_is_named_at_validate_and_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _project(tmp_path)
    (spec.parent / "data.csv").unlink()
    assert main(["validate", str(spec)]) == 0
    out = capsys.readouterr().out
    assert f"warning: data.params.files: {spec.parent / 'data.csv'} does not exist" in out
    assert main(["run", str(spec), "--runs-dir", str(tmp_path / "runs")]) == 2
    assert f"data file '{spec.parent / 'data.csv'}' does not exist" in capsys.readouterr().err


def test_old_cwd_relative_paths_still_resolve_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    spec = _project(tmp_path)
    raw = yaml.safe_load(spec.read_text())
    raw["steps"][0]["params"]["path"] = "specs/lfs.py"  # relative to tmp_path, the working folder
    spec.write_text(yaml.safe_dump(raw))
    monkeypatch.chdir(tmp_path)
    from weasul.spec import load_spec

    with caplog.at_level(logging.WARNING, logger="weasul.spec"):
        _, resolved = load_spec(spec)
    assert resolved["steps"][0]["params"]["path"] == str(tmp_path / "specs" / "lfs.py")
    assert "only relative to the working folder" in caplog.text and "specs/lfs.py" in caplog.text


def test_plugins_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins", "show", "classifiers/sklearn"]) == 0
    out = capsys.readouterr().out
    assert "classifiers/sklearn  (weasul-core" in out and "Wraps a scikit-learn classifier" in out
    assert "options" in out and "estimator keyword arguments" in out
    assert "inputs (ClassifierStep)" in out and "probs or labels" in out
    assert "model  model:classifiers" in out
    assert main(["plugins", "show", "majority-vot"]) == 2
    assert "did you mean" in capsys.readouterr().err


def test_options_checked_at_validate(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    assert main(["validate", "examples/spam.yaml", "-s", "steps.clf.params.options.max_iters=5"]) == 2
    err = capsys.readouterr().err
    assert "takes no option 'max_iters' (did you mean 'max_iter'?)" in err
    assert (
        main(
            [
                "validate",
                "examples/spam.yaml",
                "-s",
                "steps.clf.params.estimator=random-forest",
                "-s",
                "steps.clf.params.options={n_estimators: 5}",
            ]
        )
        == 0
    )


def test_sweep_runs_every_combination(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _project(tmp_path)
    runs = tmp_path / "runs"
    argv = [
        "run",
        str(spec),
        "--runs-dir",
        str(runs),
        "--sweep",
        "steps.lfs.params.only=[[has_link], [short], [has_link, short]]",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    folders = sorted((runs / "habits").glob("2*"))
    assert len(folders) == 3
    recorded = [json.loads((f / "run.json").read_text())["overrides"] for f in folders]
    assert sorted(map(tuple, recorded)) == sorted(
        [
            ("steps.lfs.params.only=[has_link]",),
            ("steps.lfs.params.only=[short]",),
            ("steps.lfs.params.only=[has_link, short]",),
        ]
    )
    assert out.count("lm train accuracy=") == 3  # the summary table, one row per run
    assert main(["run", str(spec), "--runs-dir", str(runs), "--sweep", "steps.lm.params.seed=3"]) == 2
    assert "non-empty list of values" in capsys.readouterr().err
