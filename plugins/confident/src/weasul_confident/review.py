"""People review the items an error finder flags: one review round (`review_issues`) and the
reviewers it can ask (`make_reviewer`).

Reviewers are weasul Oracles: `oracles/gold` (experiments), the Active WeaSuL `store` and
`terminal` oracles when that package is installed (through `weasul.create` only), and
`oracles/csv-review` from this package, a plain CSV file a person fills in.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from weasul.errors import DataError, PluginNotFoundError
from weasul.interfaces import Oracle
from weasul.validation import check_labels

from weasul_confident.csv_review import CsvReviewOracle

__all__ = ["Review", "make_reviewer", "review_issues"]

_log = logging.getLogger(__name__)


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
    return cast(Oracle, cls(**extra, **params))


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
