"""Errors in weak labels, reviewed by people: the YouTube spam before/after experiment.

Majority vote labels the WRENCH YouTube training comments (rows where every LF abstains are left
out); an end model (logistic regression on TF-IDF by default) gives 5-fold cross-validated
probabilities; confident learning ranks the weak labels most likely wrong; the `budget` top-ranked
go to a reviewer (gold labels by default); the end model is refitted on the reviewed labels and
scored on the gold test labels. For context it also reports a budget curve and the same budget
spent on randomly chosen items.

    python -m weasul_confident.experiments.review_youtube            # Python API path
    python -m weasul_confident.experiments.review_youtube --via-spec # the same through `weasul run`

The spec path runs `examples/confident-review-youtube.yaml`'s steps (see `youtube_spec`): the
cross-validated probabilities (`oos`), confident learning (`find`), the review (`review`) and the
refit (`refit`).
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

__all__ = ["youtube_spec", "run_experiment", "main"]

_log = logging.getLogger(__name__)


def youtube_spec(
    data: str | Path,
    *,
    budget: int = 20,
    recipe: str = "cleanlab-default",
    estimator: str = "logistic-regression",
    folds: int = 5,
    seed: int = 0,
) -> dict[str, Any]:
    """The review-loop spec (the content of `examples/confident-review-youtube.yaml`)."""
    return {
        "weasul": 1,
        "name": "confident-review-youtube",
        "data": {"use": "wrench", "params": {"path": str(data)}},
        "steps": [
            {"id": "tfidf", "use": "encoders/tfidf", "inputs": {"X": "data.text"}},
            {
                "id": "lm",
                "use": "label_models/majority-vote",
                "params": {"n_classes": 2},
                "inputs": {"L": "data.L", "y": "data.y"},
            },
            {"id": "gold", "use": "oracles/gold", "inputs": {"y": "data.train.y"}},
            {
                "id": "oos",
                "use": "classifiers/cross-validated",
                "params": {"cv_folds": folds, "estimator": estimator, "seed": seed},
                "inputs": {"X": "tfidf.train.X", "target": "lm.train.pred", "L": "data.L", "y": "data.y"},
            },
            {
                "id": "find",
                "use": "error_finders/confident-learning",
                "params": {"recipe": recipe},
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
                    "L": "data.L",
                    "probs": "oos.probs",
                    "y": "data.y",
                },
            },
            {
                "id": "refit",
                "use": "classifiers/refit",
                "params": {"estimator": estimator, "seed": seed},
                "inputs": {
                    "X": "tfidf.X",
                    "before": "lm.train.pred",
                    "after": "review.labels",
                    "L": "data.L",
                    "y": "data.y",
                },
            },
        ],
        "report": {"reporters": ["confident-learning"]},
    }


def _features(kind: str, train_text: Any, test_text: Any) -> tuple[Any, Any]:
    from weasul.plugins import create

    name = {"tfidf": "tfidf", "minilm": "sentence-minilm"}.get(kind, kind)
    enc: Any = create("encoders", name)
    enc.fit(list(train_text))
    return enc.encode(list(train_text)), enc.encode(list(test_text))


def run_experiment(
    data: str | Path | None = None,
    *,
    budget: int = 20,
    recipe: str = "cleanlab-default",
    estimator: str = "logistic-regression",
    options: dict[str, Any] | None = None,
    folds: int = 5,
    seed: int = 0,
    features: str = "tfidf",
    reviewer: str = "gold",
    review_file: str | None = None,
    random_draws: int = 10,
    curve: tuple[int, ...] = (0, 10, 20, 50, 100),
) -> dict[str, Any]:
    """Run the experiment; returns the spec's metrics in one mapping: `train` (the find step's
    with `precision_at_budget`), `review`, `end_model` and `confident_learning`."""
    from weasul.plugins import create
    from weasul.steps import classification_metrics

    from weasul_confident import ConfidentLearning, cross_val_pred_probs, make_reviewer, review_issues
    from weasul_confident.oos import fit_predict, make_estimator, take_rows

    folder = Path(data) if data is not None else shared_path("wrench", "youtube")
    loader: Any = create("datasets", "wrench", path=str(folder))
    ds = loader.load()
    train, test = ds.train, ds.test
    k = ds.n_classes
    X_train, X_test = _features(features, train.text, test.text)
    labeler = weak_labeler(k).fit(train.L)
    given = np.asarray(labeler.predict(train.L), dtype=np.int64)
    covered = np.flatnonzero((train.L != -1).any(axis=1))
    Xc = take_rows(X_train, covered)
    P = cross_val_pred_probs(
        Xc, given[covered], estimator=estimator, options=options, n_folds=folds, n_classes=k, seed=seed
    )
    finder = ConfidentLearning(recipe=recipe)
    issues = finder.find(given[covered], P)
    ranked = covered[issues.ranked]
    model = make_estimator(estimator, options, seed)

    def test_metrics(labels: np.ndarray) -> dict[str, float]:
        probs = fit_predict(model, Xc, labels[covered], X_test, k)
        return classification_metrics(test.y, probs)

    names = np.array(ds.class_names, dtype=object)
    suggested = given.copy()
    suggested[covered] = issues.suggested
    scores = np.full(len(given), np.nan)
    scores[covered] = issues.scores
    oracle = make_reviewer(reviewer, y=train.y, path=review_file, class_names=list(ds.class_names))
    context = {
        "given": names[given],
        "suggested": names[suggested],
        "score": scores,
        "text": np.asarray(train.text, dtype=object),
    }
    review = review_issues(given, ranked, oracle, budget, n_classes=k, context=context)
    wrong = given != train.y
    before, after = test_metrics(given), test_metrics(review.labels)
    result: dict[str, Any] = {
        "train": {
            "n_items": int(covered.size),
            "n_left_out": int(len(given) - covered.size),
            "n_issues": len(issues),
            "share": len(issues) / covered.size,
            "noise_rates": issues.noise_rates,
            "noise_matrix": issues.noise_matrix,
            "confident_joint": issues.confident_joint,
            "given_accuracy": float(1 - wrong[covered].mean()),
            "true_error_share": float(wrong[covered].mean()),
            "precision": float(wrong[ranked].mean()) if ranked.size else None,
            "precision_at_budget": float(wrong[ranked[:budget]].mean()) if ranked.size else None,
        },
        "review": {
            "reviewer": reviewer,
            "budget": budget,
            "asked": int(review.asked.size),
            "answered": review.n_answered,
            "changed": int(review.changed(given).size),
            "given_accuracy_before": float((given[covered] == train.y[covered]).mean()),
            "given_accuracy_after": float((review.labels[covered] == train.y[covered]).mean()),
        },
        "end_model": {"before": {"test": before}, "after": {"test": after}},
        "confident_learning": {
            "recipe": recipe,
            "filter_by": finder.filter_by,
            "rank_by": finder.rank_by,
            "fit_on": "train",
            "class_names": list(ds.class_names),
            "labeler": getattr(labeler, "name", repr(labeler)),
            "features": features,
            "estimator": estimator,
            "options": dict(options or {}),
            "folds": folds,
            "seed": seed,
        },
    }
    if reviewer == "gold":
        gold = make_reviewer("gold", y=train.y)
        result["budget_curve"] = [
            {
                "budget": b,
                "test_accuracy": test_metrics(review_issues(given, ranked, gold, b, n_classes=k).labels)[
                    "accuracy"
                ],
            }
            for b in curve
        ]
        rng = np.random.default_rng(seed)
        draws = []
        for _ in range(random_draws):
            pick = rng.choice(covered, size=min(budget, covered.size), replace=False)
            labels = given.copy()
            labels[pick] = train.y[pick]
            draws.append(test_metrics(labels)["accuracy"])
        result["random_review"] = {
            "budget": budget,
            "draws": random_draws,
            "mean_accuracy": float(np.mean(draws)),
            "std_accuracy": float(np.std(draws)),
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="WRENCH youtube folder (default: shared data)")
    parser.add_argument("--budget", type=int, default=20)
    parser.add_argument("--recipe", default="cleanlab-default", choices=["cleanlab-default", "paper"])
    parser.add_argument("--estimator", default="logistic-regression")
    parser.add_argument("--options", default="{}", help="estimator options as JSON, e.g. '{\"C\": 10}'")
    parser.add_argument(
        "--features", default="tfidf", help="tfidf, or minilm (weasul-tadpole's sentence encoder)"
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--reviewer", default="gold", help="gold, csv, or an installed oracle (store, terminal)"
    )
    parser.add_argument("--review-file", default=None, help="CSV review file / label store path")
    parser.add_argument("--runs-dir", default="runs")
    parser.add_argument(
        "--via-spec", action="store_true", help="run the spec through the weasul engine instead"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    data = args.data or str(shared_path("wrench", "youtube"))
    if args.via_spec:
        import weasul

        spec = youtube_spec(
            data,
            budget=args.budget,
            recipe=args.recipe,
            estimator=args.estimator,
            folds=args.folds,
            seed=args.seed,
        )
        run = weasul.run(spec, runs_dir=args.runs_dir)
        end_model = run.metrics["refit"]["end_model"]
        summary = {
            "run": str(run.path),
            "review": run.metrics["review"]["review"],
            "before": end_model["before"].get("test"),
            "after": end_model["after"].get("test"),
        }
    else:
        metrics = run_experiment(
            data,
            budget=args.budget,
            recipe=args.recipe,
            estimator=args.estimator,
            options=json.loads(args.options),
            folds=args.folds,
            seed=args.seed,
            features=args.features,
            reviewer=args.reviewer,
            review_file=args.review_file,
        )
        path = write_run(
            args.runs_dir,
            "confident-review-youtube-py",
            {"review_youtube": metrics},
            "weasul-confident: reviewing weak labels on YouTube",
        )
        summary = {
            "run": str(path),
            "review": metrics["review"],
            "before": metrics["end_model"]["before"]["test"],
            "after": metrics["end_model"]["after"]["test"],
            "budget_curve": metrics.get("budget_curve"),
            "random_review": metrics.get("random_review"),
            "train": {
                k: metrics["train"][k]
                for k in ("n_items", "n_issues", "given_accuracy", "true_error_share", "precision_at_budget")
            },
        }
    json.dump(to_json(summary), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
