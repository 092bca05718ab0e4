"""weasul as a library: the spam demo in plain Python, then 20 expert labels with Active WeaSuL.

Run from the repository root: `.venv/bin/python examples/embed.py`. It prints the test scores
and returns them from `main()`; `make lint` type-checks this file, tests/test_examples.py runs it.
"""

from __future__ import annotations

import weasul
from weasul.lf import apply_lfs, lf_summary, load_functions
from weasul.steps import classification_metrics

DATA = "examples/data/youtube-spam"
TRAIN = [f"{DATA}/Youtube0{i}-{name}.csv" for i, name in ((1, "Psy"), (2, "KatyPerry"), (3, "LMFAO"), (4, "Eminem"))]
TEST = [f"{DATA}/Youtube05-Shakira.csv"]


def main() -> dict[str, float]:
    data = weasul.create(
        "datasets", "table", files={"train": TRAIN, "test": TEST}, text_column="CONTENT",
        label_column="CLASS", label_values=[0, 1], class_names=["HAM", "SPAM"],
    ).load()
    train, test = data.train, data.test
    assert train.items is not None and test.items is not None and train.y is not None and test.y is not None

    # labeling functions written in examples/spam_lfs.py, applied to the raw comments
    lfs, _ = load_functions(path="examples/spam_lfs.py")
    L_train, L_test = apply_lfs(lfs, train.items, n_classes=2), apply_lfs(lfs, test.items, n_classes=2)
    worst = min(lf_summary(L_train, train.y, [lf.name for lf in lfs]), key=lambda row: row["emp_acc"])
    print(f"{len(lfs)} LFs; least accurate on train: {worst['lf']} ({worst['emp_acc']:.2f})")

    # weak labels, then an end model trained on them only
    label_model = weasul.create("label_models", "majority-vote").fit(L_train)
    encoder = weasul.create("encoders", "tfidf").fit(train.text)
    end_model = weasul.create("classifiers", "sklearn", estimator="logistic-regression", options={"C": 10.0})
    end_model.fit(encoder.encode(train.text), label_model.predict_proba(L_train))
    scores = {"end_model_accuracy": classification_metrics(test.y, end_model.predict_proba(encoder.encode(test.text)))["accuracy"]}

    # 20 expert labels (here: the gold labels) folded into the label model, with its defaults
    # (alpha scaled to the data, a majority-vote start)
    history = weasul.active_loop(
        model=weasul.create("label_models", "active-weasul", n_classes=2, seed=0),
        strategy=weasul.create("query_strategies", "maxkl", seed=0),
        oracle=weasul.create("oracles", "gold", y=train.y.tolist()),
        L=L_train, budget=20, eval={"test": (L_test, test.y)},
    )
    scores["label_model_accuracy_0_labels"] = history[0]["test"]["accuracy"]
    scores["label_model_accuracy_20_labels"] = history[-1]["test"]["accuracy"]
    for name, value in scores.items():
        print(f"{name}: {value:.4f}")
    return scores


if __name__ == "__main__":
    main()
