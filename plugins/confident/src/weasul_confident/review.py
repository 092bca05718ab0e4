"""People review the items confident learning flags: the review loop, a CSV review oracle, and
the spec step that runs label model labels -> cross-validated end model -> confident learning ->
oracle -> refit.

Reviewers are weasul Oracles: `oracles/gold` (experiments), the Active WeaSuL `store` and
`terminal` oracles when that package is installed (through `weasul.create` only), and
`oracles/csv-review` from this package, a plain CSV file a person fills in.
"""

from __future__ import annotations

import csv
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from pydantic import Field
from weasul.errors import DataError, PluginNotFoundError
from weasul.interfaces import Oracle
from weasul.params import WeasulParams
from weasul.plugin import Plugin
from weasul.steps import StepContext, StepOutput, classification_metrics
from weasul.validation import check_labels

if TYPE_CHECKING:
    from weasul_confident.finder import ConfidentLearning

__all__ = ["CsvReviewOracle", "Review", "make_reviewer", "review_issues", "run_review_step"]

_log = logging.getLogger(__name__)
_COLUMNS = ("index", "given", "suggested", "score", "text", "label")


class CsvReviewOracle(Oracle):
    """A review file for people: asked items are appended to a CSV with their given and suggested
    label (and text when known); a person fills the `label` column (class index or class name)
    and the next run reads the answers. Unanswered items get -1 (the oracle declines)."""

    class Params(WeasulParams):
        path: str = Field(description="the CSV review file (created when missing)")
        class_names: list[str] | None = Field(None, description="names accepted in the label column")

    params: Params

    @classmethod
    def examples(cls) -> list[Plugin]:
        return [cls(path=str(Path(tempfile.mkdtemp(prefix="weasul-review-")) / "review.csv"))]

    @property
    def _path(self) -> str:
        return str(self.params.path)

    def set_context(self, **columns: Any) -> None:
        """Columns shown to the reviewer, each indexable by item index: given, suggested, score, text."""
        self._context = {k: v for k, v in columns.items() if v is not None}

    def _parse(self, value: str, where: str) -> int:
        value = value.strip()
        if not value:
            return -1
        names = self.params.class_names or []
        if value in names:
            return names.index(value)
        try:
            label = int(value)
        except ValueError:
            hint = f" or one of {names}" if names else ""
            raise DataError(f"{self._path} {where}: label '{value}' is not a class index{hint}") from None
        if label < -1 or (names and label >= len(names)):
            raise DataError(f"{self._path} {where}: label {label} is out of range")
        return label

    def _read(self) -> dict[int, dict[str, str]]:
        path = Path(self._path)
        if not path.is_file():
            return {}
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if (
                reader.fieldnames is None
                or "index" not in reader.fieldnames
                or "label" not in reader.fieldnames
            ):
                raise DataError(f"{path} is not a review file: it needs the columns index and label")
            rows = {}
            for line, row in enumerate(reader, start=2):
                try:
                    rows[int(row["index"])] = row
                except (TypeError, ValueError):
                    raise DataError(
                        f"{path} line {line}: index '{row.get('index')}' is not an integer"
                    ) from None
        return rows

    def _write(self, rows: dict[int, dict[str, str]]) -> None:
        path = Path(self.params.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            for index in rows:
                writer.writerow({c: rows[index].get(c, "") for c in _COLUMNS} | {"index": index})
        os.replace(tmp, path)

    def label(self, indices: np.ndarray) -> np.ndarray:
        """Answers from the file; items not in it yet are added for review and get -1."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        rows = self._read()
        context = getattr(self, "_context", {})
        added = False
        for i in idx.tolist():
            if i not in rows:
                rows[i] = {c: str(_cell(context.get(c), i)) for c in _COLUMNS if c in context} | {"label": ""}
                added = True
        if added:
            self._write(rows)
            _log.info(
                "review file %s: %d items await a label",
                self._path,
                sum(not r.get("label") for r in rows.values()),
            )
        return np.array(
            [self._parse(rows[i].get("label") or "", f"item {i}") for i in idx.tolist()], dtype=np.int64
        )

    def known(self) -> dict[int, int]:
        """Every answered row of the file."""
        out = {}
        for line, (i, row) in enumerate(self._read().items(), start=2):
            answer = self._parse(row.get("label") or "", f"line {line}")
            if answer >= 0:
                out[i] = answer
        return out


def _cell(values: Any, i: int) -> Any:
    if values is None:
        return ""
    value = values[i]
    return f"{value:.4f}" if isinstance(value, (float, np.floating)) else value


def make_reviewer(
    kind: str = "csv",
    *,
    path: str | os.PathLike[str] | None = None,
    y: Any = None,
    class_names: list[str] | None = None,
    **params: Any,
) -> Oracle:
    """An Oracle to review flagged items.

    kind: `gold` (answers from `y`), `csv` (this package's review file at `path`), or the name of
    any installed oracle plugin such as Active WeaSuL's `store` or `terminal`, created with
    `weasul.create("oracles", kind, ...)`: `path` and `y` are passed when its Params has those
    fields, plus any `params`. When that plugin is not installed, falls back to the CSV review
    file at `path` and logs a warning.
    """
    from weasul.plugins import create, load_class

    if kind == "gold":
        if y is None:
            raise DataError("the gold reviewer needs y (the true labels)")
        return create("oracles", "gold", y=np.asarray(y).tolist())
    csv_path = str(path) if path is not None else "review.csv"
    if kind in ("csv", "csv-review"):
        return CsvReviewOracle(path=csv_path, class_names=class_names, **params)
    try:
        cls = load_class("oracles", kind)
    except PluginNotFoundError:
        _log.warning(
            "oracle '%s' is not installed; reviewing through the CSV file %s instead", kind, csv_path
        )
        return CsvReviewOracle(path=csv_path, class_names=class_names)
    fields = cls.Params.model_fields
    given = {
        "path": str(path) if path is not None else None,
        "y": None if y is None else np.asarray(y).tolist(),
        "class_names": class_names,
    }
    extra = {k: v for k, v in given.items() if v is not None and k in fields}
    return cls(**extra, **params)  # type: ignore[return-value]


@dataclass(frozen=True)
class Review:
    """One review round: items asked (rank order), the answer per item (-1 = no answer yet),
    and the given labels with every answer applied."""

    asked: np.ndarray
    answers: np.ndarray
    labels: np.ndarray

    @property
    def n_answered(self) -> int:
        return int((self.answers >= 0).sum())

    def changed(self, given: np.ndarray) -> np.ndarray:
        """Indices whose label the review changed."""
        return cast(
            np.ndarray, self.asked[(self.answers >= 0) & (self.answers != np.asarray(given)[self.asked])]
        )


def review_issues(
    labels: Any,
    ranked: Any,
    oracle: Oracle,
    budget: int,
    *,
    n_classes: int | None = None,
    context: dict[str, Any] | None = None,
    L: Any = None,
    probs: Any = None,
) -> Review:
    """Send the `budget` top-ranked items to `oracle` and apply its answers to `labels`.

    Answers the oracle already holds (`oracle.known()`) are reused, so a restarted review asks
    nobody twice. `context` (given, suggested, score, text per item) goes to oracles that show
    it (`set_context`, or `bind(text=...)`); with `L` (n, m) and `probs` (n, K) the oracle also
    gets `observe(QueryState)`, as in the active loop, so a terminal can show LF votes.

    Raises:
        DataError: an answer outside 0..K-1 (other than -1 for "no answer").
    """
    given = check_labels(labels, n_classes=n_classes, name="labels")
    top = np.asarray(ranked, dtype=np.int64)[: max(int(budget), 0)]
    if top.size and (top.min() < 0 or top.max() >= given.shape[0]):
        raise DataError(f"ranked indices reach {int(top.max())} but there are {given.shape[0]} labels")
    if context:
        _share_context(oracle, context)
    known = oracle.known()
    if L is not None and probs is not None:
        from weasul.data import QueryState

        oracle.observe(QueryState(L=np.asarray(L), probs=np.asarray(probs), labelled=dict(known)))
    answers = np.array([known.get(int(i), -1) for i in top], dtype=np.int64)
    ask = top[answers < 0]
    if ask.size:
        got = np.asarray(oracle.label(ask), dtype=np.int64).reshape(-1)
        if got.shape[0] != ask.shape[0]:
            raise DataError(f"oracle answered {got.shape[0]} labels for {ask.shape[0]} items")
        answers[answers < 0] = got
    k = n_classes or int(given.max()) + 1
    bad = answers[(answers < -1) | (answers >= max(k, 2))]
    if bad.size:
        raise DataError(
            f"oracle answered label {int(bad[0])}; answers must be -1 (none) or 0..{max(k, 2) - 1}"
        )
    reviewed = given.copy()
    ok = answers >= 0
    reviewed[top[ok]] = answers[ok]
    _log.info(
        "review: %d asked, %d answered, %d labels changed",
        top.size,
        int(ok.sum()),
        int((reviewed != given).sum()),
    )
    return Review(asked=top, answers=answers, labels=reviewed)


def _share_context(oracle: Oracle, context: dict[str, Any]) -> None:
    """Give the oracle what a person needs to see: `set_context` (CSV review) or `bind(text=...)`
    (Active WeaSuL's store/terminal oracles)."""
    if hasattr(oracle, "set_context"):
        oracle.set_context(**context)
    elif hasattr(oracle, "bind") and context.get("text") is not None:
        try:
            oracle.bind(text=context["text"])
        except TypeError:
            _log.debug("oracle %s does not take text context", type(oracle).__name__)


# --- the spec step ---------------------------------------------------------------------------
def _covered(L: Any, n: int, where: str) -> np.ndarray:
    if L is None:
        return np.ones(n, dtype=bool)
    L = np.asarray(L)
    if L.ndim != 2 or L.shape[0] != n:
        raise DataError(f"{where}: L has shape {L.shape} but there are {n} labels")
    return np.asarray((L != -1).any(axis=1))


def _label_metrics(given: np.ndarray, gold: np.ndarray, ranked: np.ndarray, budget: int) -> dict[str, Any]:
    wrong = given != gold
    flagged = np.zeros(given.shape[0], dtype=bool)
    flagged[ranked] = True
    out: dict[str, Any] = {
        "given_accuracy": float(1 - wrong.mean()),
        "true_error_share": float(wrong.mean()),
        "precision": float(wrong[ranked].mean()) if ranked.size else None,
        "recall": float((wrong & flagged).sum() / wrong.sum()) if wrong.any() else None,
    }
    if budget:
        top = ranked[:budget]
        out["precision_at_budget"] = float(wrong[top].mean()) if top.size else None
    return out


def run_review_step(finder: ConfidentLearning, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
    """The `confident-learning` step; see `ConfidentLearning` for inputs and outputs."""
    from weasul_confident.oos import cross_val_pred_probs, fit_predict, take_rows

    p = finder.params
    where = f"step '{ctx.step_id}'"
    labels: dict[str, Any] = inputs["labels"]
    probs: dict[str, Any] = inputs.get("probs") or {}
    X: dict[str, Any] | None = inputs.get("X")
    L: dict[str, Any] = inputs.get("L") or {}
    gold: dict[str, Any] = inputs.get("y") or {}
    oracle: Oracle | None = inputs.get("oracle")
    fit = ctx.fit_on if ctx.fit_on in labels else (next(iter(labels)) if len(labels) == 1 else ctx.fit_on)
    if not probs and X is None:
        raise DataError(
            f"{where}: give 'probs' (out-of-sample probabilities) or 'X' (features to cross-validate an end model on)"
        )
    if X is not None and fit not in X:
        raise DataError(f"{where}: X has splits {list(X)} but not the fit split '{fit}'")
    if fit not in labels:
        raise DataError(
            f"{where}: labels have splits {list(labels)} but not the fit split '{fit}'; set fit_on"
        )
    k = ctx.n_classes or (next(iter(probs.values())).shape[1] if probs else None)
    splits = [s for s in labels if s in probs]
    if X is not None and fit not in splits:
        splits.insert(0, fit)
    out = StepOutput({"ranked": {}, "suggested": {}, "scores": {}, "labels": {}}, {})
    keep_by_split: dict[str, np.ndarray] = {}
    full_probs: dict[str, np.ndarray] = {}  # out-of-sample probabilities, uniform on left-out rows
    for split in splits:
        given_all = check_labels(labels[split], n_classes=k, name=f"{where}: labels.{split}")
        n = given_all.shape[0]
        keep = _covered(L.get(split), n, f"{where}: split {split}")
        keep_by_split[split] = keep
        idx = np.flatnonzero(keep)
        given = given_all[idx]
        if split in probs:
            P = np.asarray(probs[split])
            if P.shape[0] != n:
                raise DataError(f"{where}: probs.{split} has {P.shape[0]} rows but labels.{split} has {n}")
            P = P[idx]
        else:
            assert X is not None
            P = cross_val_pred_probs(
                take_rows(X[split], idx),
                given,
                estimator=p.estimator,
                options=p.estimator_options,
                n_folds=p.cv_folds,
                n_classes=k,
                seed=p.seed,
            )
        issues = finder.find(given, P)
        full_probs[split] = np.full((n, P.shape[1]), 1.0 / P.shape[1])
        full_probs[split][idx] = P
        ranked = idx[issues.ranked]
        scores = np.full(n, np.nan)
        scores[idx] = issues.scores
        suggested = given_all.copy()
        suggested[idx] = issues.suggested
        out.artifacts["ranked"][split] = ranked
        out.artifacts["suggested"][split] = suggested
        out.artifacts["scores"][split] = scores
        m: dict[str, Any] = {
            "n_items": int(idx.size),
            "n_left_out": int(n - idx.size),
            "n_issues": len(issues),
            "share": len(issues) / max(idx.size, 1),
            "noise_rates": issues.noise_rates.tolist(),
            "noise_matrix": np.asarray(issues.noise_matrix).tolist(),
            "confident_joint": None
            if issues.confident_joint is None
            else np.asarray(issues.confident_joint).tolist(),
        }
        if gold.get(split) is not None:
            y_gold = check_labels(gold[split], n_items=n, name=f"{where}: y.{split}")
            m.update(
                _label_metrics(given, y_gold[idx], issues.ranked, p.review_budget if split == fit else 0)
            )
        out.metrics[split] = m
    given_fit = check_labels(labels[fit], n_classes=k, name=f"{where}: labels.{fit}")
    reviewed = given_fit
    if oracle is not None and p.review_budget > 0:
        context = {
            "given": given_fit,
            "suggested": out.artifacts["suggested"][fit],
            "score": out.artifacts["scores"][fit],
        }
        if ctx.class_names:
            context["given"] = np.array([ctx.class_names[c] for c in given_fit], dtype=object)
            context["suggested"] = np.array(
                [ctx.class_names[c] for c in out.artifacts["suggested"][fit]], dtype=object
            )
        texts = (inputs.get("text") or {}).get(fit)
        if texts is not None:
            context["text"] = np.asarray(texts, dtype=object)
        L_fit = L.get(fit)
        review = review_issues(
            given_fit,
            out.artifacts["ranked"][fit],
            oracle,
            p.review_budget,
            n_classes=k,
            context=context,
            L=L_fit,
            probs=None if L_fit is None else full_probs[fit],
        )
        reviewed = review.labels
        rm: dict[str, Any] = {
            "budget": p.review_budget,
            "asked": int(review.asked.size),
            "answered": review.n_answered,
            "changed": int(review.changed(given_fit).size),
        }
        if gold.get(fit) is not None:
            y_fit = np.asarray(gold[fit])
            keep = keep_by_split[fit]
            answered = review.asked[review.answers >= 0]
            rm["answers_correct"] = (
                float((review.answers[review.answers >= 0] == y_fit[answered]).mean())
                if answered.size
                else None
            )
            rm["given_accuracy_before"] = float((given_fit[keep] == y_fit[keep]).mean())
            rm["given_accuracy_after"] = float((reviewed[keep] == y_fit[keep]).mean())
        out.metrics["review"] = rm
    out.artifacts["labels"][fit] = reviewed
    if X is not None:
        keep = keep_by_split[fit]
        train = np.flatnonzero(keep)
        X_train = take_rows(X[fit], train)
        from weasul_confident.oos import _make_estimator

        model = _make_estimator(p.estimator, p.estimator_options, p.seed)
        kk = k or int(max(given_fit.max(), reviewed.max())) + 1
        end: dict[str, Any] = {}
        after: dict[str, np.ndarray] = {}
        for name, targets in (("before", given_fit), ("after", reviewed)):
            if name == "after" and np.array_equal(targets, given_fit):
                end["after"] = end["before"]  # nothing changed: the same model
                break
            after = {s: fit_predict(model, X_train, targets[train], X[s], kk) for s in X}
            end[name] = {
                s: classification_metrics(np.asarray(gold[s]), P)
                for s, P in after.items()
                if gold.get(s) is not None
            }
        out.metrics["end_model"] = end
        # flat view for the CLI summary: accuracy before/after review per split with gold
        out.metrics["end_model_accuracy"] = {
            f"{phase}_{split}": scores["accuracy"]
            for phase in ("before", "after")
            for split, scores in end[phase].items()
        }
        out.artifacts["probs"] = after
    out.metrics["confident_learning"] = {
        "recipe": p.recipe,
        "filter_by": finder.filter_by,
        "rank_by": finder.rank_by,
        "fit_on": fit,
        "class_names": list(ctx.class_names),
    }
    return out
