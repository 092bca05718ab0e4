"""The four steps of a review spec, one by one (`weasul.steps.run_step`), and wired together by
the engine on generated data: cross-validated probabilities, find, review, refit."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from weasul.data import QueryState
from weasul.errors import DataError
from weasul.plugins import create
from weasul.steps import StepContext, run_step
from weasul_confident import (
    ConfidentLearning,
    CrossValidated,
    CsvReviewOracle,
    RankedQuery,
    Refit,
    cross_val_pred_probs,
)
from weasul_confident.oos import fit_predict


def _data(n=300, seed=0, flipped=30, silent=10):
    """Two well separated blobs; a careless labeler got the first `flipped` labels wrong and no
    source votes on the last `silent` rows."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = np.array([[-2.0, 0.0], [2.0, 0.0]])[y] + rng.normal(0, 0.8, (n, 2))
    weak = y.copy()
    weak[:flipped] = 1 - weak[:flipped]
    L = np.stack([weak, np.where(rng.random(n) < 0.5, weak, -1)], axis=1)
    L[n - silent :] = -1
    return X, y, weak, L


def _ctx(step_id="s"):
    return StepContext(step_id, out_dir=None, class_names=("neg", "pos"))


# --- classifiers/cross-validated ------------------------------------------------------------
def test_cross_validated_step_gives_out_of_fold_probabilities():
    X, y, weak, L = _data()
    inputs = {
        "X": {"train": X[:250], "test": X[250:]},
        "target": {"train": weak[:250]},
        "L": {"train": L[:250]},
        "y": {"train": y[:250], "test": y[250:]},
    }
    # 1-nearest-neighbour memorises its training labels: only held out does it disagree with them
    oos = CrossValidated(
        estimator="sklearn.neighbors.KNeighborsClassifier", options={"n_neighbors": 1}, cv_folds=5
    )
    out = run_step(oos, inputs, _ctx("oos"))
    P = out.artifacts["probs"]["train"]
    assert P.shape == (250, 2) and np.allclose(P.sum(axis=1), 1)
    assert (P[:30].argmax(axis=1) != weak[:30]).mean() > 0.8  # the flipped items, predicted by neighbours
    assert out.metrics["train"]["n_items"] == 250 and out.metrics["train"]["n_left_out"] == 0
    assert out.artifacts["probs"]["test"].shape == (50, 2) and out.metrics["test"]["accuracy"] >= 0.85
    assert set(out.artifacts) == {"probs", "pred"}


def test_cross_validated_step_leaves_out_rows_without_votes():
    X, y, weak, L = _data()
    inputs = {"X": {"train": X}, "target": {"train": weak}, "L": {"train": L}}
    out = run_step(CrossValidated(cv_folds=3, seed=1), inputs, _ctx())
    keep = (L != -1).any(axis=1)
    assert out.metrics["train"]["n_left_out"] == 10
    # exactly the function's cross-validation on the covered rows ...
    expected = cross_val_pred_probs(X[keep], weak[keep], n_folds=3, n_classes=2, seed=1)
    assert np.allclose(out.artifacts["probs"]["train"][keep], expected)
    # ... and the fold models' mean on the rows it left out
    model = CrossValidated(cv_folds=3, seed=1).fit(X[keep], weak[keep], n_classes=2)
    assert np.allclose(out.artifacts["probs"]["train"][~keep], model.predict_proba(X[~keep]))


def test_cross_validated_keeps_classes_missing_from_the_targets():
    X, _, weak, _ = _data()
    model = CrossValidated(cv_folds=3).fit(X, weak, n_classes=3)
    assert model.oof_probs_.shape == (300, 3) and (model.oof_probs_[:, 2] == 0).all()
    with pytest.raises(DataError, match="folds"):
        CrossValidated(cv_folds=5).fit(X[:3], weak[:3])


# --- error_finders/confident-learning -------------------------------------------------------
def test_find_step_leaves_out_rows_without_votes_and_scores_against_gold():
    X, y, weak, L = _data()
    P = np.eye(2)[y] * 0.9 + 0.05  # confident and right: the flipped labels stand out
    inputs = {
        "labels": {"train": weak, "test": weak},
        "probs": {"train": P},
        "L": {"train": L},
        "y": {"train": y},
    }
    out = run_step(ConfidentLearning(), inputs, _ctx("find"))
    m = out.metrics["train"]
    assert (
        m["n_items"] == 290 and m["n_left_out"] == 10 and set(out.metrics) == {"train", "confident_learning"}
    )
    ranked = out.artifacts["ranked"]["train"]
    assert set(ranked.tolist()) == set(range(30)) and m["precision"] == 1.0 and m["recall"] == 1.0
    assert np.isinf(out.artifacts["scores"]["train"][-10:]).all()
    assert (out.artifacts["suggested"]["train"][-10:] == weak[-10:]).all()
    assert (out.artifacts["suggested"]["train"][:30] == y[:30]).all()
    assert m["given_accuracy"] == pytest.approx(260 / 290)
    assert out.metrics["confident_learning"] == {
        "recipe": "cleanlab-default",
        "filter_by": "prune_by_noise_rate",
        "rank_by": "self_confidence",
        "fit_on": "train",
        "class_names": ["neg", "pos"],
    }
    with pytest.raises(DataError, match="no split has both"):
        run_step(ConfidentLearning(), {"labels": {"test": weak}, "probs": {"train": P}}, _ctx())


# --- query_strategies/ranked ----------------------------------------------------------------
def test_ranked_query_asks_in_rank_order_then_the_least_confident():
    L = np.array([[0], [1], [-1], [0], [1], [0]])
    probs = np.array([[0.9, 0.1], [0.6, 0.4], [0.5, 0.5], [0.8, 0.2], [0.55, 0.45], [0.7, 0.3]])
    strategy = RankedQuery(ranked=[3, 0, 3, 5])
    state = QueryState(L=L, probs=probs, labelled={0: 1})
    assert strategy.select(state, 2).tolist() == [3, 5]  # 0 is labelled, the duplicate 3 dropped
    # past the ranking: the least confident items some source votes on, then the silent item 2
    assert strategy.select(state, 5).tolist() == [3, 5, 4, 1, 2]
    with pytest.raises(DataError, match="pool has 6 items"):
        RankedQuery(ranked=[6]).select(state, 1)


def test_review_step_sends_the_top_ranked_to_the_oracle():
    _, y, weak, L = _data()
    ranked = np.r_[np.arange(0, 30, 2), [100, 101], np.arange(1, 30, 2)]  # 17 wrong among the top 20
    oracle = create("oracles", "gold", y=y.tolist())
    inputs = {"labels": {"train": weak}, "oracle": oracle, "L": {"train": L}, "y": {"train": y}}
    out = run_step(RankedQuery(ranked=ranked.tolist()), inputs, _ctx("review"), budget=20)
    m = out.metrics["review"]
    assert out.artifacts["asked"]["train"].tolist() == ranked[:20].tolist()
    assert m == {
        "budget": 20,
        "asked": 20,
        "answered": 20,
        "changed": 18,
        "answers_correct": 1.0,
        "given_accuracy_before": pytest.approx(260 / 290),
        "given_accuracy_after": pytest.approx(278 / 290),
        "precision_at_budget": pytest.approx(18 / 20),
    }
    labels = out.artifacts["labels"]["train"]
    asked = ranked[:20]
    assert (labels[asked] == y[asked]).all() and (np.delete(labels, asked) == np.delete(weak, asked)).all()


def test_review_step_writes_the_csv_file_and_leaves_the_input_oracle_alone(tmp_path):
    _, y, weak, L = _data(n=40, flipped=4, silent=0)
    oracle = CsvReviewOracle(path=str(tmp_path / "review.csv"), class_names=["neg", "pos"])
    inputs = {
        "labels": {"train": weak},
        "oracle": oracle,
        "suggested": {"train": y},
        "scores": {"train": np.linspace(0, 1, 40)},
        "text": {"train": np.array([f"item {i}" for i in range(40)], dtype=object)},
    }
    step = RankedQuery(ranked=[2, 0, 1, 3])
    out = run_step(step, inputs, _ctx("review"), budget=3)
    assert out.metrics["review"]["answered"] == 0 and (out.artifacts["labels"]["train"] == weak).all()
    assert not hasattr(oracle, "_context")  # the step showed its context to a copy
    rows = list(csv.DictReader((tmp_path / "review.csv").open(encoding="utf-8")))
    assert [r["index"] for r in rows] == ["2", "0", "1"] and rows[0]["text"] == "item 2"
    assert rows[0]["given"] == ["neg", "pos"][weak[2]] and rows[0]["suggested"] == ["neg", "pos"][y[2]]
    rows[0]["label"] = ["neg", "pos"][y[2]]  # a person answers one item
    with (tmp_path / "review.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    again = run_step(step, {**inputs, "oracle": CsvReviewOracle(oracle.params)}, _ctx("review"), budget=3)
    assert again.metrics["review"]["answered"] == 1 and again.artifacts["labels"]["train"][2] == y[2]


# --- classifiers/refit ----------------------------------------------------------------------
def test_refit_step_scores_the_end_model_before_and_after():
    X, y, _, L = _data()
    weak = y.copy()
    weak[(X[:, 0] > 0.5) & (X[:, 0] < 2.5)] = 0  # a systematic error the end model learns
    L[240:250] = -1  # and no source votes on ten training rows
    inputs = {
        "X": {"train": X[:250], "test": X[250:]},
        "before": {"train": weak[:250]},
        "after": {"train": y[:250]},  # a review that fixed every label
        "L": {"train": L[:250]},
        "y": {"train": y[:250], "test": y[250:]},
    }
    out = run_step(Refit(), inputs, _ctx("refit"))
    end = out.metrics["end_model"]
    assert set(end) == {"before", "after"} and set(end["after"]) == {"train", "test"}
    assert end["after"]["test"]["accuracy"] > end["before"]["test"]["accuracy"] + 0.2
    assert out.metrics["end_model_accuracy"]["after_test"] == end["after"]["test"]["accuracy"]
    keep = (L[:250] != -1).any(axis=1)  # trained on the rows some source votes on
    assert keep.sum() == 240
    expected = fit_predict(create("classifiers", "sklearn"), X[:250][keep], y[:250][keep], X[250:], 2)
    assert np.allclose(out.artifacts["probs"]["test"], expected)
    same = run_step(Refit(), {**inputs, "after": inputs["before"]}, _ctx("refit"))
    assert same.metrics["end_model"]["after"] == same.metrics["end_model"]["before"]


# --- the spec ---------------------------------------------------------------------------------
def _write_npy(folder, seed=0):
    X, y, weak, L = _data(n=400, seed=seed, flipped=40, silent=0)
    L[288:300] = -1  # no source votes on the last 12 training rows
    for split, rows in {"train": slice(0, 300), "test": slice(300, 400)}.items():
        np.save(folder / f"X_{split}.npy", X[rows])
        np.save(folder / f"Y_{split}.npy", y[rows])
        np.save(folder / f"L_{split}.npy", L[rows])
    return y[:300], weak[:300], L[:300]


def _spec(folder, budget=10):
    return {
        "weasul": 1,
        "name": "confident-steps",
        "data": {"use": "npy", "params": {"path": str(folder), "splits": ["train", "test"]}},
        "steps": [
            {
                "id": "lm",
                "use": "label_models/majority-vote",
                "params": {"n_classes": 2},
                "inputs": {"L": "data.L"},
            },
            {"id": "gold", "use": "oracles/gold", "inputs": {"y": "data.train.y"}},
            {
                "id": "oos",
                "use": "classifiers/cross-validated",
                "params": {"cv_folds": 3},
                "inputs": {"X": "data.train.X", "target": "lm.train.pred", "L": "data.L"},
            },
            {
                "id": "find",
                "use": "error_finders/confident-learning",
                "inputs": {"labels": "lm.train.pred", "probs": "oos.probs", "L": "data.L", "y": "data.y"},
            },
            {
                "id": "review",
                "use": "query_strategies/ranked",
                "params": {"budget": budget},
                "inputs": {
                    "labels": "lm.train.pred",
                    "ranked": "find.ranked",
                    "oracle": "gold",
                    "y": "data.y",
                },
            },
            {
                "id": "refit",
                "use": "classifiers/refit",
                "inputs": {
                    "X": "data.X",
                    "before": "lm.train.pred",
                    "after": "review.labels",
                    "L": "data.L",
                    "y": "data.y",
                },
            },
        ],
        "report": {"reporters": ["confident-learning"]},
    }


def test_the_four_steps_wired_by_a_spec(tmp_path):
    import weasul

    data = tmp_path / "data"
    data.mkdir()
    y, weak, L = _write_npy(data)
    run = weasul.run(_spec(data), runs_dir=tmp_path / "runs")
    m = run.metrics
    ranked = np.load(run.path / "artifacts" / "find" / "ranked.train.npy")
    assert m["find"]["train"]["n_left_out"] == 12 and not set(ranked.tolist()) & set(range(288, 300))
    assert m["find"]["train"]["precision"] > 0.9
    reviewed = np.load(run.path / "artifacts" / "review" / "labels.train.npy")
    top = ranked[:10]
    given = np.load(run.path / "artifacts" / "lm" / "pred.train.npy")
    assert (reviewed[top] == y[top]).all() and (np.delete(reviewed, top) == np.delete(given, top)).all()
    assert m["review"]["review"]["changed"] == int((given[top] != y[top]).sum()) > 5
    end = m["refit"]["end_model"]
    assert end["after"]["test"]["accuracy"] >= end["before"]["test"]["accuracy"] > 0.9
    assert (run.path / "confident" / "review_refit.png").is_file()
    assert (run.path / "confident" / "noise_matrix_find_train.png").is_file()
    page = (run.path / "report.html").read_text(encoding="utf-8")  # the steps' report sections
    assert "Noise matrix P(given | true), train" in page and "labels changed by the review" in page
    assert "End model before and after the review" in page and "test accuracy after review" in page
    again = weasul.run(_spec(data), runs_dir=tmp_path / "runs")  # from the cache: the same figures
    assert again.metrics["refit"] == m["refit"] and again.metrics["review"] == m["review"]


def test_a_spec_names_a_missing_ranking_and_a_step_option_in_the_wrong_place(tmp_path):
    from weasul.engine import validate
    from weasul.errors import SpecError

    spec = _spec(tmp_path)
    del spec["steps"][4]["inputs"]["ranked"]
    with pytest.raises(SpecError, match="ranked"):
        validate(spec)
    spec = _spec(tmp_path)
    spec["steps"][3]["params"] = {"review_budget": 20}  # the old finder option: now the review's budget
    with pytest.raises(SpecError, match="review_budget"):
        validate(spec)
