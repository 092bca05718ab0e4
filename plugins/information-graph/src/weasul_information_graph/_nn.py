"""The network, the information-graph contrastive loss (paper Eq. 1) and the training loops
(torch; imported on first fit or load).

Encoder: linear detrend, log-compressed power spectrogram (torch.stft, Hann window), then a small
CNN (three conv-BN-ReLU-maxpool blocks of width w, 2w, 4w, global average pooling: a (4w,)
vector) standing in for the paper's single-channel ResNet-18 (512-d) so it trains on a CPU.
Encoder head: MLP with one hidden layer, batch norm and ReLU (paper A.1), output L2-normalised
for the contrastive loss, or class logits for cross-entropy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from weasul_information_graph.batches import GraphSampler

__all__ = [
    "Net",
    "build",
    "ig_loss",
    "train_contrastive",
    "train_supervised",
    "encode",
    "embed",
]


class SpectrogramCNN(nn.Module):
    """(B, T) waveforms -> (B, 4 * width) features."""

    def __init__(self, n_fft: int, hop: int, width: int) -> None:
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        layers: list[nn.Module] = [nn.BatchNorm2d(1)]
        c_in = 1
        for c_out in (width, 2 * width, 4 * width):
            layers += [
                nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
                nn.MaxPool2d(2, ceil_mode=True),
            ]
            c_in = c_out
        self.conv = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.out_dim = 4 * width

    def spectrogram(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, F, frames) log power after a linear detrend."""
        t = torch.linspace(-1.0, 1.0, x.shape[1], dtype=x.dtype)
        slope = (x * t).sum(1, keepdim=True) / (t * t).sum().clamp_min(1e-12)
        x = x - x.mean(1, keepdim=True) - slope * t
        window: torch.Tensor = self.window  # type: ignore[assignment]
        spec = torch.stft(
            x,
            self.n_fft,
            hop_length=self.hop,
            window=window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        return torch.log(spec.abs().pow(2) + 1e-6).unsqueeze(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.conv(self.spectrogram(x))
        return out


class Net(nn.Module):
    """Encoder plus head (contrastive embedding of `head_out` dims, or class logits)."""

    def __init__(self, n_fft: int, hop: int, width: int, head_out: int) -> None:
        super().__init__()
        self.encoder = SpectrogramCNN(n_fft, hop, width)
        d = self.encoder.out_dim
        self.head = nn.Sequential(nn.Linear(d, d), nn.BatchNorm1d(d), nn.ReLU(), nn.Linear(d, head_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.head(self.encoder(x))
        return out


def build(n_fft: int, hop: int, width: int, head_out: int, seed: int = 0) -> Net:
    """A freshly initialised network; the same seed gives the same weights."""
    torch.manual_seed(seed)
    return Net(n_fft, hop, width, head_out)


def ig_loss(z: torch.Tensor, B: torch.Tensor, sources: int, temperature: float) -> torch.Tensor:
    """Eq. 1 averaged over the pairs (s, t), s < `sources` (segments), t != s with B[s, t] > 0:
    -B[s,t] log(exp(cos(z_s, z_t)/tau) / sum_n 1[B[s,n] = 0] exp(cos(z_s, z_n)/tau)), divided
    by the sum of those weights. Rows without any negative are left out."""
    z = F.normalize(z, dim=1)
    sim = z @ z.T / temperature
    eye = torch.eye(len(z), dtype=torch.bool)
    neg = (B == 0) & ~eye
    pos = (B > 0) & ~eye
    pos[sources:] = False
    log_den = torch.logsumexp(sim.masked_fill(~neg, float("-inf")), dim=1)
    rows = neg.any(dim=1)
    pos &= rows[:, None]
    if not bool(pos.any()):
        return (z * 0).sum()
    w = B[pos]
    return -(w * (sim[pos] - log_den[:, None].expand_as(sim)[pos])).sum() / w.sum()


def _optimiser(net: nn.Module, lr: float, weight_decay: float, steps: int) -> tuple[Any, Any]:
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    return opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1))


def train_contrastive(
    net: Net,
    X: np.ndarray,
    sampler: GraphSampler,
    *,
    anchors: np.ndarray | None,
    epochs: int,
    steps_per_epoch: int,
    lr: float,
    weight_decay: float,
    temperature: float,
    seed: int,
    progress: Callable[[Any], Any] | None = None,
    on_epoch: Callable[[int, Net], Any] | None = None,
) -> list[float]:
    """Train encoder and head on graph batches; `anchors` (N_c, d) fixed unit vectors enter the
    batch as the anchor nodes' embeddings (anchor strategy), `None` drops the anchor nodes after
    B is formed (link strategy). `on_epoch(epoch, net)` is called after every epoch (diagnostics).
    Returns the mean loss per epoch."""
    torch.manual_seed(seed)
    data = torch.as_tensor(X, dtype=torch.float32)
    anchor_z = None if anchors is None else torch.as_tensor(anchors, dtype=torch.float32)
    opt, sched = _optimiser(net, lr, weight_decay, epochs * steps_per_epoch)
    history = []
    net.train()
    for epoch in progress(range(epochs)) if progress else range(epochs):
        total, steps = 0.0, 0
        for _ in range(steps_per_epoch):
            batch = sampler.batch()
            m = len(batch.nodes)
            if m < 2:
                continue
            B = torch.as_tensor(batch.B)
            z = net(data[torch.as_tensor(batch.nodes)])
            if anchor_z is None:
                loss = ig_loss(z, B[:m, :m], m, temperature)
            else:
                loss = ig_loss(torch.cat([z, anchor_z]), B, m, temperature)
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            sched.step()
            total, steps = total + float(loss.detach()), steps + 1
        history.append(total / max(steps, 1))
        if on_epoch is not None:
            net.eval()
            on_epoch(epoch, net)
            net.train()
    net.eval()
    return history


def train_supervised(
    net: Net,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    seed: int,
    progress: Callable[[Any], Any] | None = None,
) -> list[float]:
    """Encoder and classification head trained jointly with cross-entropy on class-balanced
    batches of the labelled rows (y >= 0). Returns the mean loss per epoch."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    idx = np.flatnonzero(y >= 0)
    by_class = [idx[y[idx] == c] for c in np.unique(y[idx])]
    data, target = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long)
    steps = max(1, len(idx) // batch_size)
    opt, sched = _optimiser(net, lr, weight_decay, epochs * steps)
    history = []
    net.train()
    for _ in progress(range(epochs)) if progress else range(epochs):
        total = 0.0
        for _ in range(steps):
            classes = rng.integers(0, len(by_class), max(batch_size, 2))
            rows = torch.as_tensor(np.array([rng.choice(by_class[c]) for c in classes]))
            loss = F.cross_entropy(net(data[rows]), target[rows])
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            sched.step()
            total += float(loss.detach())
        history.append(total / steps)
    net.eval()
    return history


@torch.no_grad()
def encode(net: Net, X: np.ndarray, batch: int = 512) -> np.ndarray:
    """Encoder features (n, 4 * width) float32, in eval mode."""
    net.eval()
    data = torch.as_tensor(X, dtype=torch.float32)
    return np.concatenate([net.encoder(data[i : i + batch]).numpy() for i in range(0, len(data), batch)])


@torch.no_grad()
def embed(net: Net, X: np.ndarray, batch: int = 512) -> np.ndarray:
    """Head outputs (n, head_out) float32 in eval mode, L2-normalised: the space Eq. 1 acts on."""
    net.eval()
    data = torch.as_tensor(X, dtype=torch.float32)
    out = [F.normalize(net(data[i : i + batch]), dim=1).numpy() for i in range(0, len(data), batch)]
    return np.concatenate(out)
