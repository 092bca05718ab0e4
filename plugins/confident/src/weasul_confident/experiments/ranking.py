"""The paper's Section 5 on a weakly labelled test set: do model rankings by accuracy on weak
(original) test labels hold on corrected labels, and where do they flip as noise grows?

Setting (the paper's, with weak labels in place of crowd labels): the test split's given labels
are majority-vote labels (rows without votes left out); out-of-sample probabilities for the test
items come from logistic regression on TF-IDF (fitted on train texts), either trained on the small
gold `valid` split (`--probs dev`, default) or by 5-fold cross-validation on the weak test labels
(`--probs cv`, the paper's literal recipe; a lexical model re-learns the keyword LFs and so sees
few of their errors); confident learning (`paper` recipe) flags items; a reviewer (gold labels) corrects them, so C is
the flagged items whose gold label differs (U is empty: gold always answers). Models trained on
the weak training labels are then scored with original and corrected labels on D, P, C and B,
and the expected accuracy is interpolated from |C|/|P| to 100% noise prevalence.

    python -m weasul_confident.experiments.ranking --dataset trec
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

from weasul_confident.experiments._common import shared_path, to_json, weak_labeler, write_run

__all__ = ["MODELS", "run_experiment", "main"]

_log = logging.getLogger(__name__)

#: End models of different capacity, as `classifiers/sklearn` settings.
MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "naive-bayes": ("sklearn.naive_bayes.MultinomialNB", {}),
    "logreg-C0.3": ("logistic-regression", {"C": 0.3}),
    "logreg-C3": ("logistic-regression", {"C": 3.0}),
    "logreg-C30": ("logistic-regression", {"C": 30.0, "max_iter": 2000}),
    "linear-svc": ("linear-svc", {}),
    "knn-15": ("sklearn.neighbors.KNeighborsClassifier", {"n_neighbors": 15, "metric": "cosine"}),
    "random-forest": ("random-forest", {"n_estimators": 100, "min_samples_leaf": 2, "n_jobs": 1}),
}


def run_experiment(
    dataset: str = "trec",
    data: str | Path | None = None,
    *,
    recipe: str = "paper",
    probs: str = "dev",
    folds: int = 5,
    seed: int = 0,
    models: dict[str, tuple[str, dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Returns metrics with a `label_error_analysis` entry (see `weasul_confident.reporter`)."""
    from weasul.plugins import create

    from weasul_confident import (
        ConfidentLearning,
        accuracy_sets,
        cross_val_pred_probs,
        rank_changes,
        ranking_flips,
    )
    from weasul_confident.oos import fit_predict, take_rows

    folder = Path(data) if data is not None else shared_path("wrench", dataset)
    loader: Any = create("datasets", "wrench", path=str(folder), drop_labeled_ids=True)
    ds = loader.load()
    train, test = ds.train, ds.test
    k = ds.n_classes
    enc: Any = create("encoders", "tfidf")
    enc.fit(list(train.text))
    X_train, X_test = enc.encode(list(train.text)), enc.encode(list(test.text))
    voting = (train.L != -1).any(axis=0)  # sources that never vote on train carry nothing
    L_train, L_test = train.L[:, voting], test.L[:, voting]
    labeler = weak_labeler(k).fit(L_train)
    weak_train = np.asarray(labeler.predict(L_train), dtype=np.int64)
    weak_test = np.asarray(labeler.predict(L_test), dtype=np.int64)
    cov_train = np.flatnonzero((L_train != -1).any(axis=1))
    D = np.flatnonzero((L_test != -1).any(axis=1))
    given, gold = weak_test[D], test.y[D]
    XD = take_rows(X_test, D)
    if probs == "dev":
        dev_model = create(
            "classifiers",
            "sklearn",
            estimator="logistic-regression",
            options={"C": 10.0},
            hard=True,
            seed=seed,
        )
        X_dev = enc.encode(list(ds.valid.text))
        P = fit_predict(dev_model, X_dev, ds.valid.y, XD, k)
    elif probs == "cv":
        P = cross_val_pred_probs(XD, given, n_folds=folds, n_classes=k, seed=seed)
    else:
        raise ValueError(f"probs must be 'dev' or 'cv', not {probs!r}")
    finder = ConfidentLearning(recipe=recipe, allow_missing_classes=True)
    issues = finder.find(given, P)
    corrected = given.copy()
    corrected[issues.ranked] = gold[issues.ranked]  # the reviewer answers every flagged item
    preds = {}
    for name, (estimator, options) in (models or MODELS).items():
        model = create("classifiers", "sklearn", estimator=estimator, options=options, hard=True, seed=seed)
        preds[name] = fit_predict(model, take_rows(X_train, cov_train), weak_train[cov_train], XD, k)
    table = accuracy_sets(preds, given, corrected)
    first = next(iter(table.values()))
    n_C, n_B = int(first["n_C"]), int(first["n_B"])
    flips = {
        kind: ranking_flips({m: (r[f"{kind}_C"], r["B"]) for m, r in table.items()}, n_C, n_B)
        for kind in ("original", "corrected")
    }
    wrong = given != gold
    flagged_wrong = int(wrong[issues.ranked].sum())
    return {
        "label_error_analysis": {
            "title": f"{dataset}: weak test labels (majority vote) vs corrected ({probs} probabilities)",
            "datasets": [
                {
                    "name": f"{dataset} test (weak labels)",
                    "share": len(issues) / len(D),
                    "validated": flagged_wrong / len(D),
                    "prevalence": n_C / (n_C + n_B),
                }
            ],
            "flagged": len(issues),
            "flagged_wrong": flagged_wrong,
            "true_error_share": float(wrong.mean()),
            "n_D": int(len(D)),
            "accuracy": table,
            "rank_changes": rank_changes(table),
            "flips": flips,
            "recipe": recipe,
            "probs": probs,
            "probs_accuracy_vs_given": float((P.argmax(axis=1) == given).mean()),
        }
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="trec", choices=["youtube", "sms", "trec"])
    parser.add_argument("--data", help="WRENCH folder (default: shared data)")
    parser.add_argument("--recipe", default="paper", choices=["cleanlab-default", "paper"])
    parser.add_argument(
        "--probs",
        default="dev",
        choices=["dev", "cv"],
        help="model trained on gold valid split, or CV on weak test labels",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs-dir", default="runs")
    args = parser.parse_args(argv)
    metrics = run_experiment(args.dataset, args.data, recipe=args.recipe, probs=args.probs, seed=args.seed)
    path = write_run(
        args.runs_dir,
        f"confident-ranking-{args.dataset}",
        {"ranking": metrics},
        f"weasul-confident: ranking on {args.dataset}",
    )
    a = metrics["label_error_analysis"]
    summary = {
        "run": str(path),
        "flagged": a["flagged"],
        "flagged_wrong": a["flagged_wrong"],
        "n_D": a["n_D"],
        "prevalence": a["datasets"][0]["prevalence"],
        "true_error_share": a["true_error_share"],
        "accuracy_%": {
            m: {
                c: round(100 * r[c], 1)
                for c in ("original_D", "corrected_P", "original_C", "corrected_C", "B")
            }
            for m, r in a["accuracy"].items()
        },
        "rank_on_C_original_to_corrected": a["rank_changes"],
        "flips_corrected": [(f["models"], round(100 * f["prevalence"], 1)) for f in a["flips"]["corrected"]],
    }
    json.dump(to_json(summary), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
