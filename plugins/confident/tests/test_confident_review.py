"""The review loop: oracles answer the top flagged items, the CSV review file, the spec step."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from weasul.errors import DataError
from weasul.plugins import create
from weasul.steps import StepContext, run_step
from weasul_confident import ConfidentLearning, CsvReviewOracle, make_reviewer, review_issues


def test_gold_review_fixes_the_top_items():
    true = np.array([0, 1, 1, 0, 1, 0])
    given = np.array([1, 1, 0, 0, 1, 1])
    review = review_issues(given, [2, 0, 5], make_reviewer("gold", y=true), budget=2)
    assert review.asked.tolist() == [2, 0]
    assert review.labels.tolist() == [0, 1, 1, 0, 1, 1]
    assert review.changed(given).tolist() == [2, 0] and review.n_answered == 2


def test_csv_review_file_round_trip(tmp_path):
    path = tmp_path / "review.csv"
    given = np.array([0, 1, 0, 1])
    oracle = CsvReviewOracle(path=str(path), class_names=["ham", "spam"])
    context = {"given": np.array(["ham", "spam", "ham", "spam"]), "text": np.array(["a", "b", "c", "d"])}
    first = review_issues(given, [3, 1], oracle, budget=2, context=context)
    assert (
        first.answers.tolist() == [-1, -1] and first.labels.tolist() == given.tolist()
    )  # nobody answered yet
    rows = list(csv.DictReader(path.open()))
    assert [r["index"] for r in rows] == ["3", "1"] and rows[0]["text"] == "d" and rows[0]["given"] == "spam"
    rows[0]["label"] = "ham"  # a person fills in one answer, by class name
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    again = CsvReviewOracle(path=str(path), class_names=["ham", "spam"])
    assert again.known() == {3: 0}
    second = review_issues(given, [3, 1], again, budget=2)
    assert second.labels.tolist() == [0, 1, 0, 0] and second.n_answered == 1


def test_csv_review_file_errors(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("index,label\n0,maybe\n")
    with pytest.raises(DataError, match="not a class index"):
        CsvReviewOracle(path=str(path)).known()
    path.write_text("id,answer\n")
    with pytest.raises(DataError, match="needs the columns index and label"):
        CsvReviewOracle(path=str(path)).known()


def test_make_reviewer_falls_back_to_csv(tmp_path, caplog):
    oracle = make_reviewer("no-such-oracle", path=tmp_path / "r.csv")
    assert isinstance(oracle, CsvReviewOracle)
    assert "not installed" in caplog.text


def test_oracle_observes_votes_and_probabilities():
    from weasul.builtin.oracles import GoldOracle

    class Watching(GoldOracle):
        def observe(self, state):
            self.seen_ = state

    oracle = Watching(y=[0, 1, 1])
    L, P = np.array([[0], [1], [-1]]), np.full((3, 2), 0.5)
    review_issues([0, 0, 1], [1], oracle, budget=1, L=L, probs=P)
    assert oracle.seen_.L is not None and oracle.seen_.probs.shape == (3, 2)


def test_out_of_range_answers_are_refused():
    oracle = create("oracles", "gold", y=[0, 5, 1])
    with pytest.raises(DataError, match="answers must be -1"):
        review_issues([0, 1, 1], [1], oracle, budget=1, n_classes=2)


def _text_data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    words = {
        0: ["goal", "match", "striker", "league", "coach"],
        1: ["virus", "protein", "cell", "gene", "enzyme"],
    }
    y = rng.integers(0, 2, n)
    texts = np.array([" ".join(rng.choice(words[c], 6)) for c in y], dtype=object)
    weak = y.copy()
    weak[:30] = 1 - weak[:30]  # a careless labeler got the first 30 wrong
    L = np.stack([weak, np.where(rng.random(n) < 0.5, weak, -1)], axis=1)
    L[-10:] = -1  # nothing votes on the last 10 rows
    return texts, y, weak, L


def test_review_step_finds_reviews_and_refits():
    texts, y, weak, L = _text_data()
    enc = create("encoders", "tfidf").fit(texts[:200])
    X = {"train": enc.encode(texts[:200]), "test": enc.encode(texts[200:])}
    inputs = {
        "labels": {"train": weak[:200], "test": weak[200:]},
        "X": X,
        "L": {"train": L[:200], "test": L[200:]},
        "y": {"train": y[:200], "test": y[200:]},
        "oracle": create("oracles", "gold", y=y[:200].tolist()),
        "text": {"train": texts[:200]},
    }
    finder = ConfidentLearning(review_budget=10, cv_folds=3)
    out = run_step(finder, inputs, StepContext("review", out_dir=None, class_names=("sport", "bio")))
    m = out.metrics
    assert m["train"]["n_items"] == 200 and m["train"]["n_left_out"] == 0
    assert m["train"]["precision"] > 0.9 and m["review"]["changed"] == 10
    assert m["review"]["given_accuracy_after"] == pytest.approx(
        m["review"]["given_accuracy_before"] + 10 / 200
    )
    assert set(out.artifacts) >= {"ranked", "suggested", "scores", "labels", "probs"}
    assert out.artifacts["labels"]["train"].shape == (200,)
    assert (out.artifacts["labels"]["train"] != weak[:200]).sum() == 10
    assert m["end_model"]["after"]["test"]["accuracy"] >= m["end_model"]["before"]["test"]["accuracy"]
    assert m["confident_learning"]["recipe"] == "cleanlab-default"


def test_review_step_leaves_out_rows_without_votes_and_needs_probs_or_x():
    texts, y, weak, L = _text_data()
    P = np.eye(2)[y] * 0.9 + 0.05
    finder = ConfidentLearning()
    out = run_step(finder,
        {"labels": {"train": weak}, "probs": {"train": P}, "L": {"train": L}}, StepContext("s", out_dir=None)
    )
    assert out.metrics["train"]["n_left_out"] == 10
    assert np.isnan(out.artifacts["scores"]["train"][-10:]).all()
    assert not set(out.artifacts["ranked"]["train"].tolist()) & set(range(290, 300))
    with pytest.raises(DataError, match="give 'probs'"):
        run_step(finder, {"labels": {"train": weak}}, StepContext("s", out_dir=None))


def test_active_weasul_store_oracle_through_the_registry(tmp_path):
    from weasul.plugins import available

    if "store" not in {p.name for p in available("oracles", load=False)}:
        pytest.skip("Active WeaSuL's oracles/store is not installed")
    oracle = make_reviewer("store", path=tmp_path / "labels.sqlite", y=[0, 1, 1, 0, 1])
    review = review_issues(
        [1, 1, 0, 0, 1], [0, 2, 4], oracle, budget=2, context={"text": np.array(list("abcde"), dtype=object)}
    )
    assert review.labels.tolist() == [0, 1, 1, 0, 1]
    assert make_reviewer("store", path=tmp_path / "labels.sqlite").known() == {0: 0, 2: 1}  # answers persist
