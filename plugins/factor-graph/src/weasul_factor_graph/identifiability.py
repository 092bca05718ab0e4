"""Is the fitted factor graph's latent class the label? A check from L alone (issue 13).

The factor graph explains every vote *and every abstain*: with class propensity factors the
probability that an LF fires depends on y, so who voted is evidence about y. That is what
labeling functions need (an LF that only ever votes "spam" carries its information in whether
it fires), but on crowd data, where which worker answered an item is assignment, the latent
class can end up tracking the assignment pattern instead of the label.

The check splits the fitted model's evidence about y on each row of L into its two parts,

    log p(s_i | y) = sum_j log P(LF j fires or not | y)  +  sum_{j voted} log P(vote_j | y, j fired)
                     `---------- firing evidence ----'     `----------- value evidence ----------'

(from the exact per-LF marginals p(s_j | y); dependency factors are left out of the split),
and takes the mean over rows of each part's range over y. When most votes come from sources
that vote several classes (so what they vote can carry the evidence), a model whose firing
evidence exceeds its value evidence has identified who-answered patterns, not a label model,
and `fit` refuses with a DataError naming Dawid-Skene (per-source confusion matrices, abstains
ignored) or `auto`. On sets of one-class LFs (whose vote value carries nothing by
construction) the check does not apply. The threshold (firing > value) is the natural one, not
fitted to the real sets (their figures: README, "Measurements behind the defaults").
"""

from __future__ import annotations

import numpy as np
from weasul.errors import DataError

__all__ = ["MINORITY_SHARE", "multi_class_vote_share", "evidence_split", "check_label_identified"]

#: A source "votes several classes" when at least this share of its votes is outside its most
#: voted class (an LF that votes one class with rare exceptions counts as one-class).
MINORITY_SHARE = 0.1


def multi_class_vote_share(L: np.ndarray, k: int) -> float:
    """Share of all votes in L cast by sources that vote several classes (see MINORITY_SHARE)."""
    counts = np.stack([(L == c).sum(axis=0) for c in range(k)], axis=1)  # (m, K)
    total = counts.sum(axis=1)
    minority = 1.0 - counts.max(axis=1) / np.maximum(total, 1)
    return float(total[minority >= MINORITY_SHARE].sum() / max(int(total.sum()), 1))


def evidence_split(L: np.ndarray, node: np.ndarray) -> tuple[float, float]:
    """(firing, value): the mean over rows of L of the range over y of each evidence part, from
    the per-LF marginals `node` (m, K+1, K) = p(s_j | y) of the fitted joint."""
    n, m = L.shape
    tiny = 1e-300
    fires = np.maximum(1.0 - node[:, 0, :], tiny)  # (m, K) P(LF j fires | y)
    log_fire, log_abstain = np.log(fires), np.log(np.maximum(node[:, 0, :], tiny))
    log_value = np.log(np.maximum(node[:, 1:, :] / fires[:, None, :], tiny))  # (m, K, K): [j, vote, y]
    voted = L != -1
    firing = voted.astype(float) @ log_fire + (~voted).astype(float) @ log_abstain  # (n, K)
    rows, cols = np.nonzero(voted)
    value = np.zeros_like(firing)
    np.add.at(value, rows, log_value[cols, L[rows, cols], :])

    def spread(e: np.ndarray) -> float:
        return float(np.mean(e.max(axis=1) - e.min(axis=1)))

    return spread(firing), spread(value)


def check_label_identified(L: np.ndarray, node: np.ndarray, k: int) -> None:
    """Raise DataError when most votes come from multi-class sources and the fitted model's
    firing evidence exceeds its value evidence (see the module docstring)."""
    share = multi_class_vote_share(L, k)
    if share < 0.5:
        return
    firing, value = evidence_split(L, node)
    if firing > value:
        raise DataError(
            f"factor-graph cannot identify a label model here: {share:.0%} of the votes come from sources "
            f"that vote several classes, yet the fitted model takes its evidence about y from who voted "
            f"(mean log-odds range {firing:.2f}) more than from what they voted ({value:.2f}), so its latent "
            "class tracks which sources answered which items (crowd assignment), not the label. Use "
            "label_models/dawid-skene (per-source confusion matrices, abstains ignored) or label_models/auto; "
            "identifiability_check=False fits anyway"
        )
