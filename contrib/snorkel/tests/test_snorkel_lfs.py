"""`labeling_functions/snorkel`: a Snorkel LF module, unchanged, gives Snorkel's L."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("snorkel")

import weasul  # noqa: E402
from weasul.errors import DataError  # noqa: E402
from weasul.lf import apply_lfs, load_module  # noqa: E402
from weasul_contrib_snorkel import SnorkelLabelingFunctions  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
LF_FILE = REPO / "examples" / "spam_snorkel_lfs.py"
CSVS = sorted((REPO / "examples" / "data" / "youtube-spam").glob("*.csv"))


def _snorkel_L(frame: pd.DataFrame) -> np.ndarray:
    from snorkel.labeling import LabelingFunction, PandasLFApplier

    module = load_module(path=str(LF_FILE))
    lfs = [v for v in vars(module).values() if isinstance(v, LabelingFunction)]
    return PandasLFApplier(lfs).apply(frame, progress_bar=False)


@pytest.fixture(scope="module")
def comments() -> pd.DataFrame:
    return pd.concat([pd.read_csv(f) for f in CSVS], ignore_index=True)


def test_same_L_as_pandas_lf_applier(comments: pd.DataFrame) -> None:
    pack = SnorkelLabelingFunctions(path=str(LF_FILE))
    names = [lf.name for lf in pack.functions()]
    assert names[:3] == ["keyword_my", "keyword_subscribe", "keyword_http"]
    assert {"shouting", "praise_without_link"} <= set(names)  # preprocessors, resources
    ours = apply_lfs(pack.functions(), comments, n_classes=len(pack.class_names))
    theirs = _snorkel_L(comments)
    assert ours.shape == (len(comments), 10)
    assert np.array_equal(ours, theirs)
    # every LF votes somewhere, so the comparison covers each of them
    assert ((ours != -1).sum(axis=0) > 0).all()


def test_same_L_through_dask(comments: pd.DataFrame) -> None:
    pytest.importorskip("distributed")
    from weasul.executor import Executor, ExecutorSpec

    pack = SnorkelLabelingFunctions(path=str(LF_FILE))
    part = comments.head(400)
    with Executor(ExecutorSpec(kind="dask", n_workers=2, partitions=3)) as executor:
        distributed = apply_lfs(pack.functions(), part, executor=executor)
    assert np.array_equal(distributed, _snorkel_L(part))


def test_one_spec_line(tmp_path: Path, comments: pd.DataFrame) -> None:
    pytest.importorskip("weasul_baselines")
    train = tmp_path / "train.csv"
    comments.head(300).to_csv(train, index=False)
    spec = {
        "weasul": 1,
        "name": "snorkel-lfs",
        "data": {
            "use": "table",
            "params": {"files": {"train": [str(train)]}, "text_column": "CONTENT", "label_column": "CLASS"},
        },
        "steps": [
            {
                "id": "lfs",
                "use": "labeling_functions/snorkel",
                "params": {"path": str(LF_FILE)},
                "inputs": {"items": "data.items"},
            },
            {"id": "lm", "use": "label_models/majority-vote", "inputs": {"L": "lfs.L", "y": "data.y"}},
        ],
        "report": {"html": False},
    }
    result = weasul.run(spec, runs_dir=tmp_path / "runs")
    L = np.load(result.path / "artifacts" / "lfs" / "L.train.npy")
    assert np.array_equal(L, _snorkel_L(pd.read_csv(train)))
    assert json.loads((result.path / "metrics.json").read_text())["lm"]["train"]["accuracy"] > 0.7


def test_failing_snorkel_lf_is_named_with_its_row(tmp_path: Path) -> None:
    source = tmp_path / "broken.py"
    source.write_text(
        "from snorkel.labeling import labeling_function\n\n"
        "@labeling_function()\ndef needs_views(x):\n    return 1 if int(x.views) > 10 else -1\n"
    )
    frame = pd.DataFrame({"views": ["12", "many"]}, index=["a", "b"])
    pack = SnorkelLabelingFunctions(path=str(source), class_names=["HAM", "SPAM"])
    with pytest.raises(
        DataError, match=r"'needs_views' raised ValueError: .* on row 'b': \{'views': 'many'\}"
    ):
        apply_lfs(pack.functions(), frame)


def test_module_without_snorkel_lfs_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "plain.py"
    source.write_text("def lf(x):\n    return 1\n")
    with pytest.raises(DataError, match="defines no Snorkel LabelingFunction"):
        SnorkelLabelingFunctions(path=str(source)).functions()
    with pytest.raises(weasul.SpecError, match="exactly one of 'path' or 'module'"):
        SnorkelLabelingFunctions()
