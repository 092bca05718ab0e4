"""The paper's analyses (Northcutt, Athalye & Mueller 2021, Sections 4-5), on numpy only.

- Human validation of flagged items (Sec. 4, Table 2): an item is an error when fewer than
  `threshold` of the reviewers say the given label fits; errors are correctable (a majority picks
  the guessed label), multi-label (a majority says both), neither, or non-agreement.
- Noise prevalence (Def. 6): N = |C| / |P|, with C the correctable set, U the errors without a
  clear label, P = D minus U, B = P minus C the benign items.
- Original vs corrected accuracy (Defs. 1-2), on D, P, C and B.
- Ranking under growing noise prevalence (Sec. 5): removing a random share x of B gives
  N(x) = |C| / (|C| + (1-x)|B|) and expected accuracy
  A(x) = (A_C |C| + (1-x) A_B |B|) / (|C| + (1-x)|B|), which is linear in N:
  A(N) = N A_C + (1 - N) A_B. Two models swap rank where their lines cross.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from weasul.errors import DataError
from weasul.validation import check_labels

__all__ = [
    "CATEGORIES",
    "Validation",
    "validate_votes",
    "noise_prevalence",
    "accuracy_sets",
    "prevalence_curve",
    "ranking_flips",
    "ranks",
    "rank_changes",
]

CATEGORIES = ("non-error", "correctable", "multi-label", "neither", "non-agreement")


@dataclass(frozen=True)
class Validation:
    """Per reviewed item: `category` (one of CATEGORIES) and counts per category."""

    category: np.ndarray

    @property
    def is_error(self) -> np.ndarray:
        return cast(np.ndarray, self.category != "non-error")

    def counts(self) -> dict[str, int]:
        """The Table 2 row: non-errors, errors and the four error categories."""
        out = {c: int((self.category == c).sum()) for c in CATEGORIES}
        out["errors"] = int(self.is_error.sum())
        return out


def validate_votes(
    given: Sequence[int] | np.ndarray,
    guessed: Sequence[int] | np.ndarray,
    neither: Sequence[int] | np.ndarray,
    both: Sequence[int] | np.ndarray,
    *,
    threshold: int = 3,
) -> Validation:
    """Categorise flagged items from reviewer vote counts (each item seen by the same number of
    reviewers; the paper: 5 Mechanical Turk workers, agreement threshold 3).

    Raises:
        DataError: vote arrays of different lengths or negative counts.
    """
    votes = [np.asarray(v, dtype=np.int64).reshape(-1) for v in (given, guessed, neither, both)]
    if len({v.shape[0] for v in votes}) != 1:
        raise DataError("vote arrays given, guessed, neither and both must have one entry per item")
    if any((v < 0).any() for v in votes):
        raise DataError("vote counts must be >= 0")
    g, gu, ne, bo = votes
    category = np.full(g.shape[0], "non-agreement", dtype=object)
    error = g < threshold
    category[~error] = "non-error"
    category[error & (gu >= threshold)] = "correctable"
    category[error & (bo >= threshold)] = "multi-label"
    category[error & (ne >= threshold)] = "neither"
    return Validation(category=category.astype(str))


def noise_prevalence(n_items: int, n_correctable: int, n_unknown: int) -> float:
    """N = |C| / |P| with |P| = n_items - n_unknown (Definition 6)."""
    pruned = n_items - n_unknown
    if pruned <= 0 or n_correctable < 0 or n_correctable > pruned:
        raise DataError(f"noise prevalence needs 0 <= correctable ({n_correctable}) <= pruned set ({pruned})")
    return n_correctable / pruned


def _pred(p: Any) -> np.ndarray:
    arr = np.asarray(p)
    return arr.argmax(axis=1) if arr.ndim == 2 else arr.astype(np.int64)


def accuracy_sets(
    predictions: Mapping[str, Any],
    given: Any,
    corrected: Any,
    *,
    unknown: Any = None,
) -> dict[str, dict[str, float]]:
    """Original and corrected accuracy of each model on D, P, C and B.

    predictions: model name -> predicted labels (n,) or probabilities (n, K).
    given: the original labels (n,). corrected: labels after review (n,); items where they
    differ from `given` form the correctable set C. unknown: optional bool mask (n,) of U (errors
    without a clear label), left out of P.

    Returns per model: `original_D`, `original_P`, `corrected_P`, `original_C`, `corrected_C`,
    `B` (accuracy on the benign set, the same under both labelings), and the set sizes.
    """
    y0 = check_labels(given, name="given")
    y1 = check_labels(corrected, n_items=y0.shape[0], name="corrected")
    U = np.zeros(y0.shape[0], dtype=bool) if unknown is None else np.asarray(unknown, dtype=bool)
    if U.shape != y0.shape:
        raise DataError(f"unknown mask has shape {U.shape} but there are {y0.shape[0]} items")
    P = ~U
    C = P & (y0 != y1)
    B = P & ~C
    if not C.any():
        raise DataError("no correctable item: corrected labels equal the given ones on every item outside U")
    out: dict[str, dict[str, float]] = {}
    for name, p in predictions.items():
        pred = _pred(p)
        if pred.shape != y0.shape:
            raise DataError(f"predictions of '{name}' have {pred.shape[0]} items, labels have {y0.shape[0]}")
        hit0, hit1 = pred == y0, pred == y1
        out[name] = {
            "original_D": float(hit0.mean()),
            "original_P": float(hit0[P].mean()),
            "corrected_P": float(hit1[P].mean()),
            "original_C": float(hit0[C].mean()),
            "corrected_C": float(hit1[C].mean()),
            "B": float(hit0[B].mean()) if B.any() else float("nan"),
            "n_C": int(C.sum()),
            "n_B": int(B.sum()),
            "n_U": int(U.sum()),
        }
    return out


def prevalence_curve(acc_C: float, acc_B: float, prevalence: Any) -> np.ndarray:
    """Expected accuracy A(N) = N A_C + (1 - N) A_B after removing benign items at random until
    the noise prevalence is N (the paper's interpolation, Sec. 5)."""
    N = np.asarray(prevalence, dtype=np.float64)
    if (N < 0).any() or (N > 1).any():
        raise DataError("noise prevalence must be in [0, 1]")
    return N * acc_C + (1 - N) * acc_B


def ranking_flips(models: Mapping[str, tuple[float, float]], n_C: int, n_B: int) -> list[dict[str, Any]]:
    """Where two models swap rank as noise prevalence grows from |C|/|P| to 1.

    models: name -> (accuracy on C, accuracy on B) under one labeling (original or corrected).
    Returns one record per crossing inside the range: the two models, the prevalence N*, the
    share x of B removed to reach it, and which model leads after it.
    """
    if n_C <= 0 or n_B < 0:
        raise DataError("ranking flips need a non-empty correctable set and n_B >= 0")
    start = n_C / (n_C + n_B)
    names = list(models)
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            aC, aB = models[a]
            bC, bB = models[b]
            slope = (aC - aB) - (bC - bB)
            if abs(slope) < 1e-12:
                continue
            N = (bB - aB) / slope
            if start < N < 1:
                x = 1 - n_C * (1 / N - 1) / n_B if n_B else 0.0
                leader = a if aC > bC else b
                out.append(
                    {
                        "models": (a, b),
                        "prevalence": float(N),
                        "removed_share": float(x),
                        "leader_after": leader,
                    }
                )
    return sorted(out, key=lambda r: r["prevalence"])


def ranks(scores: Mapping[str, float]) -> dict[str, int]:
    """Rank 1 = highest score; ties share the better rank."""
    values = np.array(list(scores.values()), dtype=np.float64)
    return {name: int((values > v).sum()) + 1 for name, v in zip(scores, values, strict=True)}


def rank_changes(
    table: Mapping[str, Mapping[str, float]], before: str = "original_C", after: str = "corrected_C"
) -> dict[str, tuple[int, int]]:
    """Rank of each model by `before` and by `after` (the paper's Fig. 3 / Table S1 view)."""
    r0 = ranks({m: v[before] for m, v in table.items()})
    r1 = ranks({m: v[after] for m, v in table.items()})
    return {m: (r0[m], r1[m]) for m in table}
