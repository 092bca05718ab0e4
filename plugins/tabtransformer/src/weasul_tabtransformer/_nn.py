"""The torch side: column embedding, Transformer layers, MLP head, training, MLM/RTD pre-training.

Imported through `weasul.lazy.require` on first fit or load; nothing else imports torch.
Every function that draws random numbers runs inside `torch.random.fork_rng` seeded from the
plugin's seed, so the caller's global torch RNG is left as it was.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn
from weasul.progress import track

_log = logging.getLogger(__name__)

__all__ = [
    "TabNet",
    "build",
    "train_supervised",
    "pretrain",
    "transfer",
    "predict_proba",
    "embed",
]


def embedding_std(dim: int) -> float:
    """Init std of the column embeddings (0.02 sqrt(d), about 0.11 at d = 32)."""
    return 0.02 * math.sqrt(dim)


class ColumnEmbedding(nn.Module):
    """e_i(j) = [c_i, w_ij]: a shared per-column identifier c_i (dim `shared_dim`) concatenated
    with a per-value embedding w_ij (dim d - shared_dim); row 0 of each column is its reserved
    (missing / unseen) slot."""

    offsets: torch.Tensor

    def __init__(self, cardinalities: Sequence[int], dim: int, shared_dim: int) -> None:
        super().__init__()
        offsets = np.concatenate([[0], np.cumsum(cardinalities)[:-1]]).astype(np.int64)
        self.register_buffer("offsets", torch.from_numpy(offsets))
        self.values = nn.Embedding(int(sum(cardinalities)), dim - shared_dim)
        nn.init.normal_(self.values.weight, std=embedding_std(dim))
        self.shared_dim = shared_dim
        if shared_dim:
            self.column_id = nn.Parameter(torch.randn(len(cardinalities), shared_dim) * embedding_std(dim))

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        values: torch.Tensor = self.values(codes + self.offsets)
        if not self.shared_dim:
            return values
        ids = self.column_id.unsqueeze(0).expand(codes.shape[0], -1, -1)
        return torch.cat([ids, values], dim=-1)


class TabNet(nn.Module):
    """TabTransformer (`depth` > 0) or the paper's MLP baseline (`depth` = 0: the same column
    embedding, no Transformer layers): contextual embeddings of the m categorical columns,
    flattened and concatenated with the layer-normed continuous features, into an MLP with
    hidden sizes `mlp_multipliers` x l (paper: {4l, 2l})."""

    def __init__(self, cardinalities: Sequence[int], n_cont: int, n_out: int, cfg: dict[str, Any]) -> None:
        super().__init__()
        d, depth = int(cfg["dim"]), int(cfg["depth"])
        m = len(cardinalities)
        self.cardinalities = list(cardinalities)
        self.embedding = ColumnEmbedding(cardinalities, d, int(cfg["shared_dim"])) if m else None
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                d,
                int(cfg["heads"]),
                dim_feedforward=int(cfg["ff_mult"]) * d,
                dropout=float(cfg["dropout"]),
                activation="gelu",
                batch_first=True,
                norm_first=True,
            )
            for _ in range(depth if m else 0)
        )
        self.final_norm = nn.LayerNorm(d) if len(self.layers) else None
        if self.final_norm is not None:
            # The head then starts from contextual embeddings at the scale the MLP baseline's
            # context-free ones have (a unit-gain LayerNorm made them ~9x larger: the head fitted
            # the categorical part faster and overfitted it; income, 1500 rows: valid AUC 86.9 -> 89.1).
            nn.init.constant_(self.final_norm.weight, embedding_std(d))
        self.cont_norm = nn.LayerNorm(n_cont) if n_cont else None
        width = m * d + n_cont
        blocks: list[nn.Module] = []
        last = width
        for mult in cfg["mlp_multipliers"]:
            blocks += [nn.Linear(last, int(mult) * width), nn.ReLU(), nn.Dropout(float(cfg["mlp_dropout"]))]
            last = int(mult) * width
        blocks.append(nn.Linear(last, n_out))
        self.head = nn.Sequential(*blocks)
        # pre-training heads: per-column value classifiers (MLM) and replaced detectors (RTD)
        self.mlm = nn.ModuleList(nn.Linear(d, c) for c in cardinalities)
        self.rtd = nn.ModuleList(nn.Linear(d, 1) for _ in cardinalities)

    def layer_outputs(self, codes: torch.Tensor) -> list[torch.Tensor]:
        """(B, m, d) embeddings before the Transformer, then after each layer (last one normed)."""
        assert self.embedding is not None
        h = self.embedding(codes)
        out = [h]
        for i, layer in enumerate(self.layers):
            h = layer(h)
            out.append(self.final_norm(h) if i == len(self.layers) - 1 and self.final_norm is not None else h)
        return out

    def contextual(self, codes: torch.Tensor) -> torch.Tensor:
        return self.layer_outputs(codes)[-1]

    def features(self, codes: torch.Tensor, cont: torch.Tensor) -> torch.Tensor:
        """(B, m*d + c): flattened contextual embeddings and layer-normed continuous features."""
        parts = []
        if self.embedding is not None:
            parts.append(self.contextual(codes).flatten(1))
        if self.cont_norm is not None:
            parts.append(self.cont_norm(cont))
        return torch.cat(parts, dim=1)

    def forward(self, codes: torch.Tensor, cont: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(codes, cont))  # type: ignore[no-any-return]


def build(cardinalities: Sequence[int], n_cont: int, n_out: int, cfg: dict[str, Any]) -> TabNet:
    return TabNet(cardinalities, n_cont, n_out, cfg)


@contextmanager
def _seeded(seed: int, threads: int | None) -> Iterator[torch.Generator]:
    """A seeded generator inside a forked global RNG, with `threads` torch threads."""
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            yield torch.Generator().manual_seed(seed)
    finally:
        torch.set_num_threads(before)


def seeded_build(
    cardinalities: Sequence[int], n_cont: int, n_out: int, cfg: dict[str, Any], seed: int
) -> TabNet:
    with _seeded(seed, None):
        return build(cardinalities, n_cont, n_out, cfg)


def _batches(n: int, size: int, gen: torch.Generator) -> list[torch.Tensor]:
    order = torch.randperm(n, generator=gen)
    return list(torch.split(order, size))


def _soft_ce(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    loss = -(target * torch.log_softmax(logits, dim=1)).sum(dim=1)
    if weight is not None:
        return (loss * weight).sum() / weight.sum().clamp_min(1e-12)
    return loss.mean()


def _tensors(codes: np.ndarray, cont: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(np.ascontiguousarray(codes)), torch.from_numpy(np.ascontiguousarray(cont))


def train_supervised(
    net: TabNet,
    codes: np.ndarray,
    cont: np.ndarray,
    targets: np.ndarray,
    cfg: dict[str, Any],
    *,
    valid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    reset_head: bool = False,
) -> dict[str, Any]:
    """Minimise the cross-entropy to `targets` (n, K) probabilities (one-hot for hard labels)
    with AdamW; with `valid` (codes, cont, labels) keep the epoch of best validation score
    (`select`: AUC, the paper's metric, or loss) and stop after `patience` epochs without a
    better one. `reset_head` re-initialises the MLP head first (fine-tuning after pre-training).
    Returns the loss (and validation AUC) history."""
    history: dict[str, Any] = {"train_loss": [], "valid_loss": [], "valid_auc": []}
    by_auc = cfg.get("select", "auc") == "auc"
    patience = cfg.get("patience")
    with _seeded(int(cfg["seed"]), cfg.get("num_threads")) as gen:
        if reset_head:
            for module in net.head.modules():
                if isinstance(module, nn.Linear):
                    module.reset_parameters()
        c, x = _tensors(codes, cont)
        y = torch.from_numpy(np.asarray(targets, dtype=np.float32))
        opt = torch.optim.AdamW(
            net.parameters(), lr=float(cfg["lr"]), weight_decay=float(cfg["weight_decay"]), foreach=True
        )
        best: tuple[float, dict[str, torch.Tensor]] | None = None
        since_best = 0
        if valid is not None:
            vc, vx = _tensors(valid[0], valid[1])
            vy = torch.from_numpy(np.eye(targets.shape[1], dtype=np.float32)[np.asarray(valid[2])])
        for _epoch in track(range(int(cfg["epochs"])), desc="TabTransformer epochs"):
            net.train()
            total = 0.0
            for idx in _batches(len(y), int(cfg["batch_size"]), gen):
                opt.zero_grad()
                loss = _soft_ce(net(c[idx], x[idx]), y[idx], None)
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
                total += float(loss.detach()) * len(idx)
            history["train_loss"].append(total / len(y))
            if valid is not None:
                net.eval()
                with torch.no_grad():
                    vlogits = _logits(net, vc, vx)
                vloss = float(_soft_ce(vlogits, vy, None))
                vauc = _auc(np.asarray(valid[2]), torch.softmax(vlogits.double(), dim=1).numpy())
                history["valid_loss"].append(vloss)
                history["valid_auc"].append(vauc)
                score = -vauc if by_auc and np.isfinite(vauc) else vloss
                if best is None or score < best[0]:
                    best, since_best = (score, copy.deepcopy(net.state_dict())), 0
                    history["best_epoch"] = len(history["valid_loss"]) - 1
                else:
                    since_best += 1
                    if patience is not None and since_best >= int(patience):
                        break
        if best is not None:
            net.load_state_dict(best[1])
    net.eval()
    return history


def _auc(labels: np.ndarray, probs: np.ndarray) -> float:
    """Validation AUC (one-vs-rest macro for K > 2); NaN when a class is absent."""
    from sklearn.metrics import roc_auc_score

    if len(np.unique(labels)) < probs.shape[1]:
        return float("nan")
    if probs.shape[1] == 2:
        return float(roc_auc_score(labels, probs[:, 1]))
    return float(roc_auc_score(labels, probs, multi_class="ovr"))


def pretrain(net: TabNet, codes: np.ndarray, cfg: dict[str, Any], method: str) -> list[float]:
    """Pre-train the column embeddings and Transformer layers on unlabelled categorical codes.

    mlm: a share `mask_fraction` of the cells becomes the reserved (missing) slot and per-column
    heads predict the original values (cross-entropy over the masked cells). rtd: that share of
    cells is replaced by a uniformly random seen value of its column and per-column binary heads
    detect the replaced cells (BCE over all cells; a draw equal to the original is "not
    replaced"). Returns the loss per epoch.
    """
    assert net.embedding is not None and method in ("mlm", "rtd")
    losses: list[float] = []
    cards = torch.tensor(net.cardinalities)
    with _seeded(int(cfg["seed"]) + 1, cfg.get("num_threads")) as gen:
        c = torch.from_numpy(np.ascontiguousarray(codes))
        params = [p for name, p in net.named_parameters() if not name.startswith("head.")]
        opt = torch.optim.AdamW(
            params, lr=float(cfg["lr"]), weight_decay=float(cfg["weight_decay"]), foreach=True
        )
        frac = float(cfg["mask_fraction"])
        for _epoch in track(range(int(cfg["pretrain_epochs"])), desc=f"{method.upper()} pre-training"):
            net.train()
            total = 0.0
            for idx in _batches(len(c), int(cfg["batch_size"]), gen):
                batch = c[idx]
                chosen = torch.rand(batch.shape, generator=gen) < frac
                opt.zero_grad()
                if method == "mlm":
                    h = net.contextual(torch.where(chosen, torch.zeros_like(batch), batch))
                    parts = [
                        nn.functional.cross_entropy(
                            head(h[:, j][chosen[:, j]]), batch[:, j][chosen[:, j]], reduction="sum"
                        )
                        for j, head in enumerate(net.mlm)
                    ]
                    loss = torch.stack(parts).sum() / chosen.sum().clamp_min(1)
                else:
                    # uniform over the seen values 1..d_i of each column
                    draw = 1 + (torch.rand(batch.shape, generator=gen) * (cards - 1).clamp_min(1)).long()
                    replaced = torch.where(chosen, draw, batch)
                    h = net.contextual(replaced)
                    logits = torch.cat([head(h[:, j]) for j, head in enumerate(net.rtd)], dim=1)
                    loss = nn.functional.binary_cross_entropy_with_logits(logits, (replaced != batch).float())
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
                total += float(loss.detach()) * len(idx)
            losses.append(total / len(c))
    net.eval()
    return losses


def transfer(src: TabNet, dst: TabNet) -> None:
    """Copy the column embedding, Transformer layers and continuous norm of a pre-trained
    network into `dst` (same columns and sizes); `dst` keeps its own MLP head."""
    state = {k: v for k, v in src.state_dict().items() if not k.startswith("head.")}
    dst.load_state_dict({**dst.state_dict(), **state})


def _logits(net: TabNet, c: torch.Tensor, x: torch.Tensor, size: int = 4096) -> torch.Tensor:
    return torch.cat([net(c[i : i + size], x[i : i + size]) for i in range(0, len(c), size)])


def predict_proba(net: TabNet, codes: np.ndarray, cont: np.ndarray) -> np.ndarray:
    """(n, K) float64 softmax probabilities, rows summing to 1."""
    net.eval()
    c, x = _tensors(codes, cont)
    with torch.no_grad():
        p = torch.softmax(_logits(net, c, x).double(), dim=1).numpy()
    return np.asarray(p / p.sum(axis=1, keepdims=True))


def embed(net: TabNet, codes: np.ndarray, cont: np.ndarray, layer: int | None = None) -> np.ndarray:
    """(n, m*d + c) float64 encoder output; `layer` picks the Transformer layer's output
    (0 = before the Transformer) instead of the last, for the categorical part."""
    net.eval()
    c, x = _tensors(codes, cont)
    out = []
    with torch.no_grad():
        for i in range(0, len(c), 4096):
            if layer is None:
                out.append(net.features(c[i : i + 4096], x[i : i + 4096]))
            else:
                out.append(net.layer_outputs(c[i : i + 4096])[layer].flatten(1))
    return np.asarray(torch.cat(out).double().numpy())
