"""Applying a finished run to new items: saved models, `weasul apply`, `weasul.load_run`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")
pytest.importorskip("skops")

import weasul  # noqa: E402
from weasul.builtin.classifiers import SklearnClassifier  # noqa: E402
from weasul.builtin.tfidf import TfidfEncoder  # noqa: E402
from weasul.cli import main  # noqa: E402
from weasul.errors import DataError  # noqa: E402
from weasul.persist import dump_object, load_object  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SPAM = REPO / "examples" / "data" / "youtube-spam"
NEW_COMMENTS = [
    "Check out my channel http://bit.ly/xyz subscribe please, free gift cards",
    "love this song so much",
    "Follow me on twitter and facebook, check my page www.example.com",
    "lol",
]


def _texts() -> list[str]:
    frame = pd.read_csv(SPAM / "Youtube01-Psy.csv")
    return frame["CONTENT"].astype(str).tolist()[:200]


# --- persistence of the built-in end model and encoder --------------------------------------------
@pytest.mark.parametrize("estimator", ["logistic-regression", "random-forest", "linear-svc"])
def test_classifier_round_trip_is_exact(tmp_path: Path, estimator: str) -> None:
    texts = _texts()
    encoder = TfidfEncoder().fit(texts)
    X = encoder.encode(texts)
    rng = np.random.default_rng(0)
    targets = rng.dirichlet([1, 1], size=len(texts))
    clf = SklearnClassifier(
        estimator=estimator, options={"n_estimators": 5} if estimator == "random-forest" else {}
    )
    clf.fit(X, targets)
    loaded_encoder = TfidfEncoder.load(encoder.save(tmp_path / "tfidf.safetensors"))
    loaded = SklearnClassifier.load(clf.save(tmp_path / "clf.safetensors"))
    new = ["subscribe to my channel", "great song", "a text with words never seen"]
    assert (loaded_encoder.encode(new) != encoder.encode(new)).nnz == 0
    assert np.array_equal(
        loaded.predict_proba(loaded_encoder.encode(new)), clf.predict_proba(encoder.encode(new))
    )
    assert loaded.params == clf.params
    assert b"pickle" not in (tmp_path / "clf.safetensors").read_bytes()[:200]


def test_tfidf_file_is_plain_data(tmp_path: Path) -> None:
    encoder = TfidfEncoder(ngram_max=1).fit(["spam spam eggs", "ham and eggs"])
    path = encoder.save(tmp_path / "t.safetensors")
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as handle:
        assert sorted(handle.keys()) == ["idf"]
        assert set(__import__("json").loads(handle.metadata()["terms"])) == {"spam", "eggs", "ham", "and"}


def test_skops_load_refuses_types_outside_sklearn() -> None:
    from sklearn.preprocessing import FunctionTransformer

    blob = dump_object(FunctionTransformer(func=os.system))
    with pytest.raises(DataError, match="refusing to load types outside sklearn: .*system"):
        load_object(blob, where="x")


def test_unfitted_save_refuses(tmp_path: Path) -> None:
    with pytest.raises(weasul.NotFittedError):
        SklearnClassifier().save(tmp_path / "c.safetensors")


# --- a small run ------------------------------------------------------------------------------------
def _small_spec(tmp: Path) -> Path:
    train = pd.read_csv(SPAM / "Youtube01-Psy.csv").head(150)
    test = pd.read_csv(SPAM / "Youtube05-Shakira.csv").head(80)
    train.to_csv(tmp / "train.csv", index=False)
    test.to_csv(tmp / "test.csv", index=False)
    shutil.copy(REPO / "examples" / "spam_lfs.py", tmp / "lfs.py")
    spec = tmp / "small.yaml"
    spec.write_text(
        f"""weasul: 1
name: small
data:
  use: table
  params:
    files: {{train: ["{tmp / "train.csv"}"], test: ["{tmp / "test.csv"}"]}}
    text_column: CONTENT
    label_column: CLASS
    label_values: [0, 1]
    class_names: [HAM, SPAM]
steps:
  - {{id: lfs, use: labeling_functions/python, params: {{path: "{tmp / "lfs.py"}"}}, inputs: {{items: data.items}}}}
  - {{id: lm, use: label_models/majority-vote, inputs: {{L: lfs.L, y: data.y}}}}
  - {{id: tfidf, use: encoders/tfidf, inputs: {{X: data.text}}}}
  - id: clf
    use: classifiers/sklearn
    params: {{options: {{C: 10.0, max_iter: 2000}}}}
    inputs: {{X: tfidf.X, target: lm.probs, y: data.y}}
report: {{html: false}}
"""
    )
    return spec


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("weasul_baselines")
    tmp = tmp_path_factory.mktemp("small")
    result = weasul.run(_small_spec(tmp), runs_dir=tmp / "runs")
    return result.path


def test_run_folder_keeps_every_fitted_model(small_run: Path) -> None:
    import json

    manifest = json.loads((small_run / "models" / "manifest.json").read_text())
    saved = {step: entry["model"]["plugin"] for step, entry in manifest["steps"].items()}
    assert saved == {
        "lm": "label_models/majority-vote",
        "tfidf": "encoders/tfidf",
        "clf": "classifiers/sklearn",
    }
    for step in saved:
        assert (small_run / "models" / f"{step}.safetensors").is_file()


def test_load_run_reproduces_test_predictions_and_chunks_agree(small_run: Path) -> None:
    trained = weasul.load_run(small_run)
    test = pd.read_csv(small_run.parents[2] / "test.csv")
    applied = trained.transform(test)
    assert applied.final == "clf"
    assert np.array_equal(applied.probs, np.load(small_run / "artifacts" / "clf" / "probs.test.npy"))
    assert np.array_equal(
        applied.artifacts["lm.probs"], np.load(small_run / "artifacts" / "lm" / "probs.test.npy")
    )
    assert np.array_equal(applied.artifacts["lfs.L"], np.load(small_run / "artifacts" / "lfs" / "L.test.npy"))
    # gold labels in the file: the metrics are those of the run's test split
    import json

    metrics = json.loads((small_run / "metrics.json").read_text())
    assert applied.metrics["clf"]["accuracy"] == pytest.approx(metrics["clf"]["test"]["accuracy"])
    # labelled 7 rows at a time, the answer is the same
    chunked, chunk_metrics = trained.apply_file(small_run.parents[2] / "test.csv", chunk_rows=7)
    assert np.array_equal(chunked["pred"].to_numpy(), applied.probs.argmax(axis=1))
    assert chunk_metrics["lm"]["accuracy"] == pytest.approx(metrics["lm"]["test"]["accuracy"])


def test_predict_labels_new_comments(small_run: Path) -> None:
    frame = weasul.load_run(small_run).predict(pd.DataFrame({"CONTENT": NEW_COMMENTS}))
    assert list(frame.columns) == ["pred", "label", "prob_HAM", "prob_SPAM", "lm.pred"]
    # the LFs vote SPAM (links, self-promotion) and HAM (praise, short) on these
    assert frame["lm.pred"].tolist() == [1, 0, 1, 0]
    assert frame["label"][[0, 2]].tolist() == ["SPAM", "SPAM"]
    assert np.allclose(frame[["prob_HAM", "prob_SPAM"]].sum(axis=1), 1.0)


def test_apply_refuses_changed_lf_file_and_missing_column(small_run: Path, tmp_path: Path) -> None:
    trained = weasul.load_run(small_run)
    with pytest.raises(DataError, match="no column 'CONTENT'"):
        trained.predict(pd.DataFrame({"text": NEW_COMMENTS}))
    lf_file = small_run.parents[2] / "lfs.py"
    original = lf_file.read_text()
    try:
        lf_file.write_text(original + "\n# edited\n")
        with pytest.raises(DataError, match="changed since the run"):
            weasul.load_run(small_run).predict(pd.DataFrame({"CONTENT": NEW_COMMENTS}))
    finally:
        lf_file.write_text(original)


def test_apply_refuses_a_damaged_model(small_run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(small_run, copy)
    model = copy / "models" / "clf.safetensors"
    model.write_bytes(model.read_bytes()[:-10])
    with pytest.raises(DataError, match="does not match the checksum"):
        weasul.load_run(copy).predict(pd.DataFrame({"CONTENT": NEW_COMMENTS}))


def test_cached_rerun_keeps_models_too(small_run: Path) -> None:
    rerun = weasul.run(small_run / "spec.yaml", runs_dir=small_run.parents[1])
    assert rerun.path != small_run
    first = weasul.load_run(small_run).predict_proba(pd.DataFrame({"CONTENT": NEW_COMMENTS}))
    second = weasul.load_run(rerun.path).predict_proba(pd.DataFrame({"CONTENT": NEW_COMMENTS}))
    assert np.array_equal(first, second)


def test_cli_apply_writes_parquet(
    small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = tmp_path / "new.csv"
    pd.DataFrame({"CONTENT": NEW_COMMENTS, "AUTHOR": ["a", "b", "c", "d"]}).to_csv(new, index=False)
    out = tmp_path / "labels.parquet"
    assert main(["apply", str(small_run), "--data", str(new), "--out", str(out)]) == 0
    assert "labelled 4 items" in capsys.readouterr().out
    assert pd.read_parquet(out)["lm.pred"].tolist() == [1, 0, 1, 0]
    assert main(["apply", str(small_run), "--data", str(tmp_path / "nope.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


# --- the demo (Done when: reproduces the run's test predictions exactly) -----------------------------
def test_demo_apply_reproduces_test_predictions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("weasul_baselines")
    monkeypatch.chdir(REPO)
    result = weasul.run(REPO / "examples" / "spam.yaml", runs_dir=tmp_path / "runs")
    out = tmp_path / "labels.parquet"
    test_file = SPAM / "Youtube05-Shakira.csv"
    assert main(["apply", str(result.path), "--data", str(test_file), "--out", str(out)]) == 0
    labels = pd.read_parquet(out)
    assert np.array_equal(
        labels["pred"].to_numpy(), np.load(result.path / "artifacts" / "clf" / "pred.test.npy")
    )
    probs = np.load(result.path / "artifacts" / "clf" / "probs.test.npy")
    assert np.array_equal(labels[["prob_HAM", "prob_SPAM"]].to_numpy(), probs)
    # and new comments get labelled by the end model
    frame = weasul.load_run(result.path).predict(pd.DataFrame({"CONTENT": NEW_COMMENTS}))
    assert frame["label"].tolist() == ["SPAM", "HAM", "SPAM", "HAM"]


def test_choose_the_step_and_unknown_step(small_run: Path) -> None:
    trained = weasul.load_run(small_run)
    frame = pd.DataFrame({"CONTENT": NEW_COMMENTS})
    assert trained.transform(frame, step="lm").final == "lm"
    with pytest.raises(weasul.SpecError, match="has no step 'nope'; steps: lfs, lm, tfidf, clf"):
        trained.transform(frame, step="nope")
    with pytest.raises(
        DataError, match="cannot label new items with step 'tfidf': it predicts no probabilities"
    ):
        trained.transform(frame, step="tfidf")


def test_persist_other_packages_only_when_the_plugin_trusts_them(tmp_path: Path) -> None:
    """A PyOD detector (built on sklearn) is saved with packages=("sklearn", "pyod"); loading it
    with the default trust (sklearn only) is refused."""
    pyod = pytest.importorskip("pyod.models.iforest")
    from weasul.interfaces import AnomalyScorer
    from weasul.persist import load_plugin, save_plugin

    class Forest(AnomalyScorer):
        def fit(self, X):  # type: ignore[no-untyped-def]
            self.detector_ = pyod.IForest(random_state=0).fit(X)
            return self

        def score(self, X):  # type: ignore[no-untyped-def]
            return self.detector_.decision_function(X)

    X = np.random.default_rng(0).normal(size=(200, 3))
    scorer = Forest().fit(X)
    with pytest.raises(weasul.PluginContractError, match="objects of sklearn only"):
        save_plugin(scorer, tmp_path / "f.safetensors")
    path = save_plugin(scorer, tmp_path / "f.safetensors", packages=("sklearn", "pyod"))
    loaded = load_plugin(Forest, path, packages=("sklearn", "pyod"))
    assert np.array_equal(loaded.score(X), scorer.score(X))
    with pytest.raises(
        DataError, match="refusing to load types outside sklearn: pyod.models.iforest.IForest"
    ):
        load_plugin(Forest, path)


FLIPPED = '''
from weasul.steps import LabelModelStep
from weasul_baselines.majority_vote import MajorityVote


class FlippedApplyStep(LabelModelStep):
    """A third-party step whose behaviour on new items differs from the default."""

    def apply(self, fitted, inputs):
        out = super().apply(fitted, inputs)
        out["probs"] = out["probs"][:, ::-1].copy()
        out["pred"] = out["probs"].argmax(axis=1)
        return out


class NoApplyStep(LabelModelStep):
    apply_inputs = None


class FlippedVote(MajorityVote):
    step = FlippedApplyStep


class TrainOnlyVote(MajorityVote):
    step = NoApplyStep
'''


def test_new_items_go_through_the_steps_apply(tmp_path: Path) -> None:
    """`weasul apply` replays each step with its step class's `apply`, so a plugin's own step
    decides what happens on new items; `apply_inputs = None` skips it with the reason."""
    pytest.importorskip("weasul_baselines")
    from weasul_registry.testing import fake_distribution

    eps = {
        "weasul.label_models": {
            "flipped-vote": "toy_flipped:FlippedVote",
            "train-only": "toy_flipped:TrainOnlyVote",
        }
    }
    spec = _small_spec(tmp_path)
    with fake_distribution(tmp_path / "dist", "weasul-flipped", eps, {"toy_flipped": FLIPPED}):
        text = spec.read_text()
        spec.write_text(text.replace("label_models/majority-vote", "label_models/flipped-vote"))
        run = weasul.run(spec, runs_dir=tmp_path / "runs").path
        test = pd.read_csv(tmp_path / "test.csv")
        applied = weasul.load_run(run).transform(test, step="lm")
        saved = np.load(run / "artifacts" / "lm" / "probs.test.npy")
        assert np.array_equal(applied.probs, saved[:, ::-1])

        spec.write_text(text.replace("label_models/majority-vote", "label_models/train-only"))
        run = weasul.run(spec, runs_dir=tmp_path / "runs2").path
        applied = weasul.load_run(run).transform(test)
        assert applied.skipped["lm"] == "NoApplyStep has nothing to apply to new items"
        assert applied.final == "clf"
