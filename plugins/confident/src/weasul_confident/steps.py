"""How this package's plugins run as spec steps: find, review, refit (and the helpers they share).

A review spec wires four steps, each doing one job (see `examples/confident-review-youtube.yaml`):

1. `classifiers/cross-validated` (`weasul_confident.cross_validated.CrossValidatedStep`):
   out-of-sample `probs` from features `X` and the given labels;
2. `error_finders/confident-learning` (`FindStep`): `ranked`, `suggested`, `scores`;
3. `query_strategies/ranked` (`ReviewStep`): the `budget` top-ranked items go to an `oracle`;
   outputs the reviewed `labels`;
4. `classifiers/refit` (`RefitStep`): the end model trained on the labels `before` and `after`
   the review, scored on every split with gold labels.

Rows of the fit split where every source abstains (`L`) have no real given label: every step
that takes `L` leaves them out. This module types its steps by the core interfaces only, so
it imports no plugin module of this package (the plugins import it).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import Field
from weasul.data import QueryState
from weasul.errors import DataError
from weasul.params import WeasulParams
from weasul.steps import (
    ErrorFinderStep,
    InputSpec,
    Splitwise,
    Step,
    StepContext,
    StepOutput,
    StepParams,
    classification_metrics,
    fit_split,
)
from weasul.validation import check_labels

if TYPE_CHECKING:
    from weasul.interfaces import Classifier, ErrorFinder, QueryStrategy
    from weasul.report import ReportSection

__all__ = ["FindStep", "RefitStep", "ReviewStep", "ReviewParams", "covered", "fit_split_name"]


def fit_split_name(values: Splitwise, ctx: StepContext, name: str) -> str:
    """The split `fit_split` picks: `ctx.fit_on`, or the only split given."""
    if ctx.fit_on not in values and len(values) == 1:
        return next(iter(values))
    fit_split(values, ctx, name)  # the core's DataError when the split is missing
    return ctx.fit_on


def covered(L: Any, n: int, where: str) -> np.ndarray:
    """(n,) bool: rows where some source votes (all rows when `L` is None)."""
    if L is None:
        return np.ones(n, dtype=bool)
    L = np.asarray(L)
    if L.ndim != 2 or L.shape[0] != n:
        raise DataError(f"{where}: L has shape {L.shape} but there are {n} labels")
    return np.asarray((L != -1).any(axis=1))


def _pick(values: Mapping[str, Any] | None, split: str) -> Any:
    return None if not values else values.get(split)


# --- find ------------------------------------------------------------------------------------
def _label_metrics(given: np.ndarray, gold: np.ndarray, ranked: np.ndarray) -> dict[str, Any]:
    """How the flagged items compare with gold labels (covered rows only)."""
    wrong = given != gold
    flagged = np.zeros(given.shape[0], dtype=bool)
    flagged[ranked] = True
    return {
        "given_accuracy": float(1 - wrong.mean()),
        "true_error_share": float(wrong.mean()),
        "precision": float(wrong[ranked].mean()) if ranked.size else None,
        "recall": float((wrong & flagged).sum() / wrong.sum()) if wrong.any() else None,
    }


class FindStep(ErrorFinderStep):
    """Find issues in every split with labels and probabilities, leaving out the rows where
    every source abstains; with gold `y`, how many flagged items are really wrong.

    Left-out rows keep their given label as `suggested` and score +inf (never flagged; lower
    scores are more likely wrong); `ranked` holds indices into the whole split. The
    `confident_learning` metric names the recipe, filter and ranking used (the
    `confident-learning` reporter reads it).
    """

    inputs: ClassVar[dict[str, InputSpec]] = {
        **ErrorFinderStep.inputs,
        "L": InputSpec(
            ("label_matrix",),
            required=False,
            doc="weak labels; rows where every source abstains are left out",
        ),
        "y": InputSpec(("labels",), required=False, doc="gold labels, for metrics only"),
    }

    def run(self, plugin: ErrorFinder, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        where = f"step '{ctx.step_id}'"
        labels: Splitwise = inputs["labels"]
        probs: Splitwise = inputs["probs"]
        splits = [s for s in labels if s in probs]
        if not splits:
            raise DataError(
                f"{where}: labels have splits {list(labels)} and probs {list(probs)}; no split has both"
            )
        out = StepOutput({"ranked": {}, "suggested": {}, "scores": {}})
        extra: Mapping[str, Any] = {}
        for split in splits:
            P = np.asarray(probs[split])
            given_all = check_labels(labels[split], name=f"{where}: labels.{split}")
            n = given_all.shape[0]
            if P.ndim != 2 or P.shape[0] != n:
                raise DataError(
                    f"{where}: probs.{split} has shape {P.shape} but labels.{split} has {n} items"
                )
            idx = np.flatnonzero(covered(_pick(inputs.get("L"), split), n, f"{where}: split {split}"))
            given = given_all[idx]
            issues = plugin.find(given, P[idx])
            extra = issues.extra
            scores = np.full(n, np.inf)  # left-out rows: never flagged
            scores[idx] = issues.scores
            suggested = given_all.copy()
            suggested[idx] = issues.suggested
            out.artifacts["ranked"][split] = idx[issues.ranked]
            out.artifacts["suggested"][split] = suggested
            out.artifacts["scores"][split] = scores
            m: dict[str, Any] = {
                "n_items": int(idx.size),
                "n_left_out": int(n - idx.size),
                "n_issues": len(issues),
                "share": len(issues) / max(idx.size, 1),
                "noise_rates": np.asarray(issues.noise_rates).tolist(),
                "noise_matrix": np.asarray(issues.noise_matrix).tolist(),
                "confident_joint": None
                if issues.confident_joint is None
                else np.asarray(issues.confident_joint).tolist(),
            }
            gold = _pick(inputs.get("y"), split)
            if gold is not None:
                y = check_labels(gold, n_items=n, name=f"{where}: y.{split}")
                m.update(_label_metrics(given, y[idx], np.asarray(issues.ranked)))
            out.metrics[split] = m
        out.metrics["confident_learning"] = {
            "recipe": extra.get("recipe"),
            "filter_by": extra.get("filter_by"),
            "rank_by": extra.get("rank_by"),
            "fit_on": ctx.fit_on if ctx.fit_on in splits else splits[0],
            "class_names": list(ctx.class_names),
        }
        return out


# --- review ----------------------------------------------------------------------------------
class ReviewParams(StepParams):
    """How many items the reviewer is asked about."""

    budget: int = Field(20, ge=0, le=10_000_000, description="top-ranked items sent to the oracle")


class ReviewStep(Step["QueryStrategy"]):
    """One review round on the fit split: the strategy picks `budget` items (for
    `query_strategies/ranked`, an error finder's top-ranked ones), the `oracle` answers, the
    answers replace the given labels.

    Answers the oracle already holds are reused, not asked again, so a rerun reviews the same
    items. The reviewer sees the given and suggested labels, the score and the text when wired
    (`oracles/csv-review` writes them to its file; the terminal oracle shows the text).
    """

    Params: ClassVar[type[WeasulParams]] = ReviewParams
    params: ReviewParams
    inputs: ClassVar[dict[str, InputSpec]] = {
        "labels": InputSpec(("labels",), doc="the given labels (fit split), e.g. a label model's pred"),
        "ranked": InputSpec(
            ("indices",), as_param=True, doc="items most likely wrong first, e.g. an error finder's ranked"
        ),
        "oracle": InputSpec(("model:oracles",), doc="who reviews: oracles/gold, csv-review, store, terminal"),
        "suggested": InputSpec(("labels",), required=False, doc="the finder's suggested labels, shown"),
        "scores": InputSpec(("scores",), required=False, doc="label-quality scores, shown"),
        "text": InputSpec(("text",), required=False, doc="item texts, shown"),
        "L": InputSpec(
            ("label_matrix",),
            required=False,
            doc="weak labels, shown to oracles that observe; rows without votes are left out of the accuracies",
        ),
        "probs": InputSpec(
            ("probs",), required=False, doc="model probabilities, shown to oracles that observe"
        ),
        "y": InputSpec(("labels",), required=False, doc="gold labels, for metrics only"),
    }
    outputs: ClassVar[dict[str, str]] = {"labels": "labels", "asked": "indices"}

    def run(self, plugin: QueryStrategy, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        from weasul_confident.review import review_issues

        where = f"step '{ctx.step_id}'"
        fit = fit_split_name(inputs["labels"], ctx, "labels")
        given = check_labels(inputs["labels"][fit], n_classes=ctx.n_classes, name=f"{where}: labels.{fit}")
        n = given.shape[0]
        k = ctx.n_classes or max(int(given.max()) + 1, 2)
        L = _pick(inputs.get("L"), fit)
        probs = _pick(inputs.get("probs"), fit)
        state = QueryState(
            L=np.full((n, 0), -1, dtype=np.int64) if L is None else np.asarray(L),
            probs=np.full((n, k), 1.0 / k) if probs is None else np.asarray(probs),
            labelled={},
        )
        asked = np.asarray(plugin.select(state, min(self.params.budget, n)), dtype=np.int64)
        # a shallow copy takes the reviewer's context, so the input oracle stays as it was
        oracle = copy.copy(inputs["oracle"])
        review = review_issues(
            given,
            asked,
            oracle,
            asked.size,
            n_classes=ctx.n_classes,
            context=self._context(inputs, fit, given, ctx),
            L=L,
            probs=probs,
        )
        m: dict[str, Any] = {
            "budget": self.params.budget,
            "asked": int(review.asked.size),
            "answered": review.n_answered,
            "changed": int(review.changed(given).size),
        }
        gold = _pick(inputs.get("y"), fit)
        if gold is not None:
            y = check_labels(gold, n_items=n, name=f"{where}: y.{fit}")
            keep = covered(L, n, where)
            ok = review.answers >= 0
            m["answers_correct"] = (
                float((review.answers[ok] == y[review.asked[ok]]).mean()) if ok.any() else None
            )
            m["given_accuracy_before"] = float((given[keep] == y[keep]).mean())
            m["given_accuracy_after"] = float((review.labels[keep] == y[keep]).mean())
            m["precision_at_budget"] = float((given != y)[review.asked].mean()) if review.asked.size else None
        return StepOutput({"labels": {fit: review.labels}, "asked": {fit: review.asked}}, {"review": m})

    def report(self, step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path) -> list[ReportSection]:
        """The review's numbers, headed by how many labels it changed."""
        from dataclasses import replace

        from weasul.report import Headline, metrics_section

        section = metrics_section(step_id, metrics, "Review")
        review = metrics.get("review")
        if not isinstance(review, Mapping) or not isinstance(review.get("changed"), int):
            return [section]
        detail = f"{review.get('answered')} of {review.get('asked')} asked answered"
        return [
            replace(section, headline=Headline("labels changed by the review", review["changed"], detail))
        ]

    @staticmethod
    def _context(inputs: dict[str, Any], fit: str, given: np.ndarray, ctx: StepContext) -> dict[str, Any]:
        """Columns the reviewer sees, with class names where the data has them."""
        names = np.array(ctx.class_names, dtype=object) if ctx.class_names else None
        context: dict[str, Any] = {"given": given if names is None else names[given]}
        suggested = _pick(inputs.get("suggested"), fit)
        if suggested is not None:
            suggested = check_labels(suggested, n_items=given.shape[0], name="suggested")
            context["suggested"] = suggested if names is None else names[suggested]
        scores = _pick(inputs.get("scores"), fit)
        if scores is not None:
            context["score"] = np.asarray(scores)
        text = _pick(inputs.get("text"), fit)
        if text is not None:
            context["text"] = np.asarray(text, dtype=object)
        return context


# --- refit -----------------------------------------------------------------------------------
class RefitStep(Step["Classifier"]):
    """The end model trained on the fit split's labels `before` and `after` a review (rows where
    every source abstains left out), scored on every split of `X` with gold labels.

    Metrics: `end_model` {before, after} {split: accuracy, macro_f1, f1} and the flat
    `end_model_accuracy` {before_<split>, after_<split>}. Outputs the after-review model's
    `probs` and `pred` on every split. When the review changed no label, one model serves both.
    """

    inputs: ClassVar[dict[str, InputSpec]] = {
        "X": InputSpec(("features",), doc="features; trained on the fit split, scored on every split"),
        "before": InputSpec(("labels",), doc="the labels before the review (fit split)"),
        "after": InputSpec(
            ("labels",), doc="the labels after the review (fit split), e.g. a review's labels"
        ),
        "L": InputSpec(
            ("label_matrix",),
            required=False,
            doc="weak labels; rows where every source abstains are left out",
        ),
        "y": InputSpec(("labels",), required=False, doc="gold labels, for metrics"),
    }
    outputs: ClassVar[dict[str, str]] = {"probs": "probs", "pred": "labels"}

    def run(self, plugin: Classifier, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        from weasul_confident.oos import fit_fresh, n_rows, predict_padded, take_rows

        where = f"step '{ctx.step_id}'"
        X: Splitwise = inputs["X"]
        fit = fit_split_name(X, ctx, "X")
        X_fit = X[fit]
        n = n_rows(X_fit)
        before = check_labels(
            fit_split(inputs["before"], ctx, "before"),
            n_classes=ctx.n_classes,
            n_items=n,
            name=f"{where}: before",
        )
        after = check_labels(
            fit_split(inputs["after"], ctx, "after"),
            n_classes=ctx.n_classes,
            n_items=n,
            name=f"{where}: after",
        )
        k = ctx.n_classes or max(int(before.max()), int(after.max()), 1) + 1
        idx = np.flatnonzero(covered(_pick(inputs.get("L"), fit), n, where))
        X_train = take_rows(X_fit, idx)
        gold: Splitwise = inputs.get("y") or {}
        end: dict[str, Any] = {}
        probs: dict[str, np.ndarray] = {}
        for phase, targets in (("before", before), ("after", after)):
            if phase == "after" and np.array_equal(after, before):
                end["after"] = end["before"]  # nothing changed: the same model
                break
            model = fit_fresh(plugin, X_train, targets[idx])
            probs = {s: predict_padded(model, v, k) for s, v in X.items()}
            end[phase] = {
                s: classification_metrics(check_labels(gold[s], name=f"{where}: y.{s}"), P)
                for s, P in probs.items()
                if gold.get(s) is not None
            }
        flat = {
            f"{phase}_{s}": scores["accuracy"]
            for phase in ("before", "after")
            for s, scores in end[phase].items()
        }
        return StepOutput(
            {"probs": probs, "pred": {s: P.argmax(axis=1) for s, P in probs.items()}},
            {"end_model": end, "end_model_accuracy": flat},
        )

    def report(self, step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path) -> list[ReportSection]:
        """End-model scores before and after the review, one row per split."""
        from weasul.report import Headline, ReportSection, Table, fmt, metrics_section, split_order

        end = metrics.get("end_model")
        if not isinstance(end, Mapping) or not {"before", "after"} <= set(end):
            return [metrics_section(step_id, metrics)]
        before, after = end["before"], end["after"]
        keys = ("accuracy", "macro_f1", "f1")
        rows = [
            [s, *(v for k in keys for v in (before[s].get(k), after[s].get(k)))]
            for s in split_order(after)
            if s in before
        ]
        columns = ["split", *(f"{k} {phase}" for k in keys for phase in ("before", "after"))]
        headline = None
        if rows:
            split = rows[0][0]
            headline = Headline(
                f"{split} accuracy after review",
                after[split]["accuracy"],
                f"before {fmt(before[split]['accuracy'])}",
            )
        return [
            ReportSection(
                "End model before and after the review", tables=[Table(columns, rows)], headline=headline
            )
        ]
