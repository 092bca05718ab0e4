"""The concept-based explainability network (paper Fig. 2), its masked loss and training loops.

Imported on first fit or load (torch is the `torch` extra). The network: shared hidden layers
(Linear + ReLU) -> explainability layer (k sigmoid units, the concepts) -> decision layer (a
linear map of the k concept probabilities, softmax over the classes). The loss is Eq. 1,
lambda * L_D + (1 - lambda) * L_E, where L_E is the binary cross-entropy of the concept labels
that are present (mask 1) averaged over those entries only, so an absent label adds nothing to
the loss and no gradient.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch import nn

__all__ = [
    "ConceptNet",
    "build",
    "masked_loss",
    "plain_batches",
    "hybrid_batches",
    "train",
    "freeze_hidden",
    "predict",
]


class ConceptNet(nn.Module):
    """x -> hidden -> concept logits (k) -> sigmoid -> decision logits (K)."""

    def __init__(
        self, d_in: int, hidden: Sequence[int], n_concepts: int, n_classes: int, dropout: float
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = d_in
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        self.hidden = nn.Sequential(*layers)
        self.explain = nn.Linear(width, n_concepts)
        self.decide = nn.Linear(n_concepts, n_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        concept_logits = self.explain(self.hidden(x))
        return concept_logits, self.decide(torch.sigmoid(concept_logits))


def build(
    d_in: int, hidden: Sequence[int], n_concepts: int, n_classes: int, dropout: float, seed: int
) -> ConceptNet:
    """A fresh network with weights drawn from `seed`."""
    torch.manual_seed(seed)
    return ConceptNet(d_in, hidden, n_concepts, n_classes, dropout)


def masked_loss(
    concept_logits: torch.Tensor,
    decision_logits: torch.Tensor,
    concepts: torch.Tensor,
    mask: torch.Tensor,
    decision: torch.Tensor,
    decision_weight: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(total, L_D, L_E): soft cross-entropy of the decision, masked mean BCE of the concepts."""
    l_d = -(decision * torch.log_softmax(decision_logits, dim=1)).sum(dim=1).mean()
    bce = nn.functional.binary_cross_entropy_with_logits(concept_logits, concepts, reduction="none")
    l_e = (bce * mask).sum() / mask.sum().clamp(min=1.0)
    return decision_weight * l_d + (1.0 - decision_weight) * l_e, l_d, l_e


def plain_batches(
    rows: np.ndarray, batch_size: int, epochs: int, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """`epochs` shuffled passes over `rows` in batches."""
    for _ in range(epochs):
        order = rows[rng.permutation(len(rows))]
        for start in range(0, len(order), batch_size):
            yield order[start : start + batch_size]


def hybrid_batches(
    golden: np.ndarray,
    noisy: np.ndarray,
    batch_size: int,
    golden_fraction: float,
    epochs: int,
    rng: np.random.Generator,
) -> Iterator[np.ndarray]:
    """Batches of which `golden_fraction` (at least one row) are golden-labelled rows and the rest
    noisy-labelled ones; an epoch is one pass over the noisy rows, the few golden rows are cycled
    (reshuffled each time they run out)."""
    n_golden = max(1, int(round(golden_fraction * batch_size)))
    n_noisy = max(1, batch_size - n_golden)
    pool = golden[rng.permutation(len(golden))]
    at = 0
    for _ in range(epochs):
        order = noisy[rng.permutation(len(noisy))]
        for start in range(0, len(order), n_noisy):
            picked: list[int] = []
            while len(picked) < n_golden:
                if at == len(pool):
                    pool, at = golden[rng.permutation(len(golden))], 0
                take = min(n_golden - len(picked), len(pool) - at)
                picked.extend(pool[at : at + take].tolist())
                at += take
            yield np.concatenate([np.asarray(picked, dtype=np.int64), order[start : start + n_noisy]])


def freeze_hidden(net: ConceptNet) -> None:
    """Stop the shared hidden layers from learning (the two-stage fine-tuning, paper Sec. 3.3.1)."""
    for p in net.hidden.parameters():
        p.requires_grad_(False)


def train(
    net: ConceptNet,
    X: np.ndarray,
    decision: np.ndarray,
    concepts: np.ndarray,
    mask: np.ndarray,
    batches: Iterator[np.ndarray],
    *,
    decision_weight: float,
    lr: float,
    weight_decay: float,
    seed: int,
) -> dict[str, list[float]]:
    """Adam on the trainable parameters over the given batches of row indices; returns the mean
    total, decision and explainability loss per 50 batches."""
    torch.manual_seed(seed)
    x = torch.as_tensor(X, dtype=torch.float32)
    d = torch.as_tensor(decision, dtype=torch.float32)
    c = torch.as_tensor(concepts, dtype=torch.float32)
    m = torch.as_tensor(mask, dtype=torch.float32)
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    history: dict[str, list[float]] = {"loss": [], "decision_loss": [], "concept_loss": []}
    window: list[tuple[float, float, float]] = []
    net.train()
    for rows in batches:
        idx = torch.as_tensor(rows, dtype=torch.long)
        concept_logits, decision_logits = net(x[idx])
        total, l_d, l_e = masked_loss(
            concept_logits, decision_logits, c[idx], m[idx], d[idx], decision_weight
        )
        opt.zero_grad()
        total.backward()  # type: ignore[no-untyped-call]
        opt.step()
        window.append((total.item(), l_d.item(), l_e.item()))
        if len(window) == 50:
            _flush(history, window)
    if window:
        _flush(history, window)
    net.eval()
    return history


def _flush(history: dict[str, list[float]], window: list[tuple[float, float, float]]) -> None:
    means = np.mean(np.asarray(window), axis=0)
    for key, value in zip(("loss", "decision_loss", "concept_loss"), means, strict=True):
        history[key].append(float(value))
    window.clear()


@torch.no_grad()
def predict(net: ConceptNet, X: np.ndarray, batch: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """(concept probabilities (n, k), decision probabilities (n, K)), float64."""
    net.eval()
    concepts, decisions = [], []
    x = torch.as_tensor(X, dtype=torch.float32)
    for start in range(0, len(x), batch):
        concept_logits, decision_logits = net(x[start : start + batch])
        concepts.append(torch.sigmoid(concept_logits).double().numpy())
        decisions.append(torch.softmax(decision_logits.double(), dim=1).numpy())
    return np.concatenate(concepts), np.concatenate(decisions)
