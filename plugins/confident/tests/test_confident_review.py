"""The review loop: oracles answer the top flagged items, and the CSV review file."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from weasul.errors import DataError
from weasul.plugins import create
from weasul_confident import CsvReviewOracle, make_reviewer, review_issues


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


def test_active_weasul_store_oracle_through_the_registry(tmp_path):
    from weasul.plugins import available

    if "store" not in {p.name for p in available("oracles", load=False)}:
        pytest.skip("Active WeaSuL's oracles/store is not installed")
    texts = np.array(list("abcde"), dtype=object)
    oracle = make_reviewer("store", path=tmp_path / "labels.sqlite", y=[0, 1, 1, 0, 1])
    review = review_issues([1, 1, 0, 0, 1], [0, 2, 4], oracle, budget=2, context={"text": texts})
    assert review.labels.tolist() == [0, 1, 1, 0, 1]
    again = make_reviewer("store", path=tmp_path / "labels.sqlite")
    again.bind(text=texts)  # the same pool as before
    assert again.known() == {0: 0, 2: 1}  # answers persist
