"""Torch modules and training loops of the slice heads (imported on first fit/load)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from weasul.progress import track

_log = logging.getLogger(__name__)


def representation(d: int, hidden: int, depth: int) -> nn.Sequential:
    """The backbone's representation layers M: `depth` times Linear + ReLU, d -> hidden -> ... -> hidden."""
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(d if i == 0 else hidden, hidden), nn.ReLU()]
    return nn.Sequential(*layers)


class Backbone(nn.Module):
    """The backbone P: an MLP representation x = M(features) (`depth` layers of `hidden`), then a
    linear predictive layer phi to the classes."""

    def __init__(self, d: int, hidden: int, n_classes: int, depth: int = 1) -> None:
        super().__init__()
        self.body = representation(d, hidden, depth)
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return cast(torch.Tensor, self.head(self.body(x)))


class SliceNet(nn.Module):
    """Slice-aware model (Chen et al. 2019; Park et al. 2021, Fig. 1) on the backbone's
    representation z = M(x) (n, h).

    `body` is the backbone P's representation (copied from a trained P, frozen or fine-tuned, or
    trained from scratch with the rest). On z: indicators u = f(z) (n, m), one linear w_f_i per
    slice, with membership likelihood P = sigmoid(u); experts r_i = g_i(z) (n, m, h), each
    Linear(h, h) (+ ReLU); a shared head phi over each r_i giving the experts' predictions Q
    (n, m, c). The attention a = softmax(P / tau) (variant a1) or softmax((P + |psi(Q)|) / tau)
    (a2, psi a linear c -> 1 layer) re-weights the slice vectors into s = sum_i a_i r_i, and the
    shared head predicts from s (`separate_final`: a layer of its own, as in Snorkel's slicing
    code). With identity-initialised experts and phi copied from P, the untrained model predicts
    exactly as P does (z >= 0, so the ReLU keeps r_i = z).
    """

    def __init__(
        self,
        d: int,
        hidden: int,
        n_classes: int,
        n_slices: int,
        attention: str,
        tau: float,
        expert_relu: bool,
        separate_final: bool,
        depth: int = 1,
    ) -> None:
        super().__init__()
        self.n_slices, self.hidden, self.attention, self.tau = n_slices, hidden, attention, tau
        self.expert_relu = expert_relu
        self.body = representation(d, hidden, depth)  # the backbone's representation M
        self.indicators = nn.Linear(hidden, n_slices)  # one w_f_i (h x 1) per slice, stacked
        self.experts = nn.Linear(hidden, n_slices * hidden)  # one w_g_i (h x h) per slice, stacked
        self.head = nn.Linear(hidden, n_classes)  # the shared head over every expert
        self.confidence = nn.Linear(n_classes, 1)  # psi: Q (c) -> R, used by a2 only
        self.final = nn.Linear(hidden, n_classes) if separate_final else None

    def attach(self, backbone: Backbone, expert_init: str) -> None:
        """Copy a trained P's representation and predictive layer (as the shared head and, when
        separate, the final layer); `identity` experts start as r_i = z."""
        self.body.load_state_dict(backbone.body.state_dict())
        self.head.load_state_dict(backbone.head.state_dict())
        if self.final is not None:
            self.final.load_state_dict(backbone.head.state_dict())
        if expert_init == "identity":
            with torch.no_grad():
                self.experts.weight.copy_(torch.eye(self.hidden).repeat(self.n_slices, 1))
                self.experts.bias.zero_()

    def parts(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Every component's output; `noise` (n, h), when given, is added to the representation
        (the paper's augmentation of tail queries' x)."""
        z = self.body(x)
        if noise is not None:
            z = z + noise
        u = self.indicators(z)
        r = self.experts(z).view(len(x), self.n_slices, self.hidden)
        if self.expert_relu:
            r = torch.relu(r)
        q = self.head(r)
        P = torch.sigmoid(u)
        score = P if self.attention == "a1" else P + self.confidence(q).squeeze(-1).abs()
        a = torch.softmax(score / self.tau, dim=1)
        s = (a.unsqueeze(-1) * r).sum(dim=1)
        return {"u": u, "q": q, "a": a, "logits": (self.head if self.final is None else self.final)(s)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.parts(x)["logits"]


class MoENet(nn.Module):
    """Plain mixture of experts (Jacobs et al. 1991) on the same trainable top z = ReLU(W x): a
    softmax gate over expert networks (each Linear(h, h) + ReLU + Linear(h, c)), the output the
    gate-weighted mixture of the experts' class distributions; no slice supervision."""

    def __init__(self, d: int, hidden: int, n_classes: int, n_experts: int, depth: int = 1) -> None:
        super().__init__()
        self.n_experts, self.hidden, self.n_classes = n_experts, hidden, n_classes
        self.body = representation(d, hidden, depth)
        self.gate = nn.Linear(hidden, n_experts)
        self.experts = nn.Linear(hidden, n_experts * hidden)
        self.heads = nn.Parameter(torch.empty(n_experts, hidden, n_classes))
        self.head_bias = nn.Parameter(torch.zeros(n_experts, n_classes))
        bound = 1.0 / hidden**0.5
        nn.init.uniform_(self.heads, -bound, bound)

    def log_proba(self, x: torch.Tensor) -> torch.Tensor:
        z = self.body(x)
        g = torch.log_softmax(self.gate(z), dim=1)  # (n, E)
        r = torch.relu(self.experts(z).view(len(x), self.n_experts, self.hidden))
        logits = torch.einsum("neh,ehc->nec", r, self.heads) + self.head_bias
        return torch.logsumexp(g.unsqueeze(-1) + torch.log_softmax(logits, dim=-1), dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.log_proba(x)  # log-probabilities are valid logits for softmax


def build(kind: str, d: int, n_classes: int, n_slices: int, params: Any) -> nn.Module:
    """The network of head `kind` for `d` features, `n_classes`, `n_slices` columns of S."""
    if kind == "slice-attention":
        return SliceNet(
            d,
            params.hidden,
            n_classes,
            n_slices,
            params.attention,
            params.tau,
            params.expert_relu,
            params.final_head == "separate",
            params.depth,
        )
    if kind == "mixture-of-experts":
        return MoENet(d, params.hidden, n_classes, params.n_experts or n_slices, params.depth)
    return Backbone(d, params.hidden, n_classes, params.depth)


@contextlib.contextmanager
def _local_torch(seed: int, threads: int | None) -> Iterator[None]:
    """Seed torch inside a forked RNG state (the caller's global state is restored afterwards)
    and optionally cap threads for the duration."""
    before = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if threads is not None:
            torch.set_num_threads(threads)
        try:
            yield
        finally:
            if threads is not None:
                torch.set_num_threads(before)


def _loss(
    kind: str,
    net: nn.Module,
    xb: torch.Tensor,
    yb: torch.Tensor,
    sb: torch.Tensor,
    p: Any,
    pos_weight: torch.Tensor,
) -> torch.Tensor:
    if kind == "mixture-of-experts":
        return F.nll_loss(net(xb), yb)
    if kind != "slice-attention":
        return F.cross_entropy(net(xb), yb)
    noise = None
    if p.noise_std > 0:  # the paper's augmentation: Gaussian noise on tail members' representation
        tail = (sb[:, 1:].sum(dim=1) > 0).unsqueeze(1)
        noise = p.noise_std * torch.randn(len(xb), cast(SliceNet, net).hidden) * tail
    out = cast(SliceNet, net).parts(xb, noise)
    base = F.cross_entropy(out["logits"], yb)
    # l_ind: BCE of every indicator on its slice's membership, members weighted by pos_weight
    ind = F.binary_cross_entropy_with_logits(out["u"], sb, pos_weight=pos_weight, reduction="none")
    ind = ind.mean(dim=0).sum()
    # l_exp: each expert (through the shared head) on the base task, only on its slice's members
    q = out["q"]
    ce = F.cross_entropy(q.reshape(-1, q.shape[-1]), yb.repeat_interleave(q.shape[1]), reduction="none")
    ce = ce.view(len(yb), -1)
    if p.expert_loss == "slice-mean":  # Snorkel: mean over each slice's members
        exp = ((ce * sb).sum(dim=0) / sb.sum(dim=0).clamp(min=1.0)).sum()
    else:  # the paper's sum_i gamma_i * loss, averaged over the batch
        exp = (ce * sb).sum(dim=1).mean()
    return cast(torch.Tensor, base + p.indicator_weight * ind + p.expert_weight * exp)


def _fit(
    kind: str,
    net: nn.Module,
    data: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    p: Any,
    *,
    epochs: int,
    factor: int,
    rng: np.random.Generator,
) -> None:
    """Train `net` (its parameters that require grad) for `epochs` with the loss of `kind`.

    Tail-slice members are repeated `factor` times in the epoch's pool; an epoch is len(X) draws
    from it unless `p.same_steps` is False (then the whole pool)."""
    Xt, yt, St = data
    tail = St[:, 1:].sum(dim=1) > 0
    index = np.arange(len(Xt))
    if factor > 1:
        index = np.concatenate([index, np.repeat(np.flatnonzero(tail.numpy()), factor - 1)])
    size = St.sum(dim=0)
    balance = getattr(p, "indicator_balance", 0.0)
    pos_weight = ((len(St) - size) / size.clamp(min=1.0)).clamp(min=1.0) ** balance
    trainable = [w for w in net.parameters() if w.requires_grad]
    opt = torch.optim.Adam(trainable, lr=p.lr, weight_decay=p.weight_decay)
    net.train()
    for epoch in track(range(epochs), total=epochs, desc=f"{kind} epochs"):
        order = rng.permutation(index)
        if getattr(p, "same_steps", True):
            # len(X) draws from the pool where each tail member appears `factor` times, so every
            # model takes the same number of optimiser steps per epoch
            order = order[: len(Xt)]
        total = 0.0
        for start in range(0, len(order), p.batch_size):
            b = torch.as_tensor(order[start : start + p.batch_size])
            loss = _loss(kind, net, Xt[b], yt[b], St[b], p, pos_weight)
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            total += float(loss.detach()) * len(b)
        _log.debug("%s epoch %d: mean loss %.4f", kind, epoch, total / len(order))
    net.eval()


def train(kind: str, X: np.ndarray, y: np.ndarray, S: np.ndarray, n_classes: int, p: Any) -> nn.Module:
    """Fit the network of head `kind`; returns it in eval mode.

    `upsample` trains P on a pool where tail members appear `p.factor` times. `slice-attention`
    (unless `p.backbone == "scratch"`) first trains the backbone P exactly as the `backbone`
    head does (or as `upsample` does when `p.upsample_factor > 1`: S_up), copies it into the
    slice-aware model, then trains the slice components on the same pool with P's
    representation frozen (`p.backbone == "frozen"`) or fine-tuned.
    """
    with _local_torch(p.seed, p.num_threads):
        data = (
            torch.as_tensor(X, dtype=torch.float32),
            torch.as_tensor(y, dtype=torch.long),
            torch.as_tensor(S, dtype=torch.float32),
        )
        rng = np.random.default_rng(p.seed)
        if kind != "slice-attention":
            net = build(kind, X.shape[1], n_classes, S.shape[1], p)
            factor = p.factor if kind == "upsample" else 1
            _fit(kind, net, data, p, epochs=p.epochs, factor=factor, rng=rng)
            return net
        factor = p.upsample_factor
        if p.backbone == "scratch":
            net = build(kind, X.shape[1], n_classes, S.shape[1], p)
        else:
            P = Backbone(X.shape[1], p.hidden, n_classes, p.depth)  # built first: the same P as `backbone`
            _fit("backbone", P, data, p, epochs=p.backbone_epochs or p.epochs, factor=factor, rng=rng)
            net = build(kind, X.shape[1], n_classes, S.shape[1], p)
            cast(SliceNet, net).attach(P, p.expert_init)
            if p.backbone == "frozen":
                for w in cast(SliceNet, net).body.parameters():
                    w.requires_grad_(False)
        _fit(kind, net, data, p, epochs=p.slice_epochs or p.epochs, factor=factor, rng=rng)
        for w in net.parameters():
            w.requires_grad_(True)
    return net


def predict(net: nn.Module, X: np.ndarray, part: str = "proba") -> np.ndarray:
    """Class probabilities (n, K), or `attention` (n, m) / `membership` (n, m) of a SliceNet."""
    with torch.no_grad():
        Xt = torch.as_tensor(X, dtype=torch.float32)
        if part == "proba":
            out = torch.softmax(net(Xt), dim=1).double()
            return out.numpy()
        parts = cast(SliceNet, net).parts(Xt)
        value = parts["a"] if part == "attention" else torch.sigmoid(parts["u"])
        return value.double().numpy()
