"""Fine-tune a pre-trained BERT encoder on a labelled text task (the paper's last step, Table 3).

The encoder is copied, a linear layer on its pooled last layer predicts the class, and all
weights train with AdamW (linear warm-up and decay) for `epochs` passes over the training set.
The checkpoint is chosen on dev only (best dev accuracy after each epoch) and that checkpoint
alone is scored on test. Pooling is the mean over tokens by default: our small BERT is trained
with MLM only (no next-sentence objective), so its [CLS] vector is not trained as a summary
the way the paper's BERT's is; `pooling="cls"` gives the paper's choice. Torch is imported on
first use (only the experiment and its tests import this module).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from weasul_tadpole._minilm import threads

__all__ = ["Classifier", "FinetuneResult", "finetune", "macro_f1"]


class Classifier(torch.nn.Module):
    """A BertModel and a linear class head on its pooled last hidden layer."""

    def __init__(self, bert: Any, n_classes: int, *, pooling: str = "mean", dropout: float = 0.1) -> None:
        super().__init__()
        if pooling not in ("mean", "cls"):
            raise ValueError(f"pooling must be 'mean' or 'cls', got {pooling!r}")
        self.bert, self.pooling = bert, pooling
        self.drop = torch.nn.Dropout(dropout)
        self.out = torch.nn.Linear(bert.config.hidden_size, n_classes)

    def forward(self, ids: torch.Tensor, attn: torch.Tensor) -> torch.Tensor:
        hidden = self.bert(input_ids=ids, attention_mask=attn).last_hidden_state
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            m = attn.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
        logits: torch.Tensor = self.out(self.drop(pooled))
        return logits


@dataclass
class FinetuneResult:
    """Dev accuracy after each epoch, the chosen epoch (1-based) and test scores of that checkpoint."""

    dev_acc: list[float] = field(default_factory=list)
    best_epoch: int = 0
    test_acc: float = float("nan")
    test_macro_f1: float = float("nan")
    seconds: float = 0.0


def macro_f1(y: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    """Unweighted mean F1 over the classes present in `y` or `pred`."""
    scores = []
    for c in range(n_classes):
        tp = float(np.sum((y == c) & (pred == c)))
        denom = float(np.sum(y == c) + np.sum(pred == c))
        if denom:
            scores.append(2 * tp / denom)
    return float(np.mean(scores)) if scores else 0.0


def _encode(tokenizer: Any, texts: list[str], max_length: int) -> list[np.ndarray]:
    ids = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    return [np.asarray(x, dtype=np.int64) for x in ids]


def _batch(seqs: list[np.ndarray], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    T = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), T), pad, dtype=torch.long)
    attn = torch.zeros((len(seqs), T), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.from_numpy(s)
        attn[i, : len(s)] = 1
    return ids, attn


@torch.inference_mode()
def _predict(model: Classifier, seqs: list[np.ndarray], pad: int, batch_size: int = 128) -> np.ndarray:
    model.eval()
    order = np.argsort([len(s) for s in seqs], kind="stable")
    pred = np.empty(len(seqs), dtype=np.int64)
    for start in range(0, len(seqs), batch_size):
        idx = order[start : start + batch_size]
        ids, attn = _batch([seqs[i] for i in idx], pad)
        pred[idx] = model(ids, attn).argmax(dim=1).numpy()
    return pred


def finetune(
    bert: Any,
    tokenizer: Any,
    train: tuple[list[str], np.ndarray],
    dev: tuple[list[str], np.ndarray],
    test: tuple[list[str], np.ndarray] | None = None,
    *,
    n_classes: int,
    epochs: int = 4,
    lr: float = 3e-4,
    batch_size: int = 32,
    warmup: float = 0.1,
    max_length: int = 64,
    pooling: str = "mean",
    seed: int = 0,
    n_threads: int = 1,
) -> FinetuneResult:
    """Fine-tune a copy of `bert` (a transformers BertModel, left unchanged) on `train` (texts,
    labels); pick the epoch with the best dev accuracy; score that checkpoint on `test`."""
    import time

    t0 = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = Classifier(copy.deepcopy(bert), n_classes, pooling=pooling)
    pad = int(tokenizer.pad_token_id)
    X_tr, y_tr = _encode(tokenizer, train[0], max_length), torch.as_tensor(np.asarray(train[1]))
    X_dev, y_dev = _encode(tokenizer, dev[0], max_length), np.asarray(dev[1])
    steps = epochs * int(np.ceil(len(X_tr) / batch_size))
    n_warm = max(1, int(warmup * steps))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda t: min((t + 1) / n_warm, max(0.0, (steps - t) / max(1, steps - n_warm)))
    )
    result = FinetuneResult()
    best_state: dict[str, torch.Tensor] | None = None
    with threads(n_threads):
        for _ in range(epochs):
            model.train()
            perm = rng.permutation(len(X_tr))
            for start in range(0, len(perm), batch_size):
                idx = perm[start : start + batch_size]
                ids, attn = _batch([X_tr[i] for i in idx], pad)
                loss = F.cross_entropy(model(ids, attn), y_tr[torch.from_numpy(idx)])
                opt.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
            acc = float(np.mean(_predict(model, X_dev, pad) == y_dev))
            result.dev_acc.append(acc)
            if acc > max(result.dev_acc[:-1], default=-1.0):
                result.best_epoch = len(result.dev_acc)
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if test is not None and best_state is not None:
            model.load_state_dict(best_state)
            y_te = np.asarray(test[1])
            pred = _predict(model, _encode(tokenizer, test[0], max_length), pad)
            result.test_acc = float(np.mean(pred == y_te))
            result.test_macro_f1 = macro_f1(y_te, pred, n_classes)
    result.seconds = time.perf_counter() - t0
    return result
