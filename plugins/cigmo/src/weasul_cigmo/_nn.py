"""The networks and training loop of CIGMO (torch; imported on first fit or load).

One shared trunk encodes each item; from it come the category classifier u (softmax over C),
and per category the shape posterior N(h_c, s_c) and the view posterior N(g_c, r_c) (variances
through Softplus, paper Sec. 4.1). The decoder of category c is a per-category input layer on
(z, y) followed by a shared body ("a large part of the networks was shared", Sec. 4.1).
Images (C, H, W) get a Bernoulli likelihood and, with `conv`, convolutional nets (else MLPs on the
flattened pixels, 20x faster on CPU); feature rows get MLPs and the paper's unit-variance
Gaussian likelihood.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["CigmoNet", "build", "train", "encode"]

_HIDDEN = 256


def _conv_trunk(channels: int, size: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    c, s = channels, size
    for width in (32, 32, 64):  # three convolutional layers, as the paper's classifier u
        layers += [nn.Conv2d(c, width, 4, stride=2, padding=1), nn.ReLU()]
        c, s = width, s // 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * s * s, _HIDDEN), nn.ReLU())


class _ConvBody(nn.Module):
    """hidden -> image logits (the inverse of the trunk)."""

    def __init__(self, channels: int, size: int) -> None:
        super().__init__()
        self.start = size // 8
        self.fc = nn.Sequential(nn.Linear(_HIDDEN, 64 * self.start**2), nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(32, 32, 4, stride=2, padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(32, channels, 4, stride=2, padding=1),
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.deconv(self.fc(h).view(len(h), 64, self.start, self.start))
        return out


class CigmoNet(nn.Module):
    """Classifier, per-category shape/view encoders and decoders; `shape` is (C, H, W) (H = W, a
    multiple of 8) for images, else (d,)."""

    def __init__(
        self, shape: tuple[int, ...], categories: int, shape_dim: int, view_dim: int, conv: bool = False
    ) -> None:
        super().__init__()
        self.shape, self.categories, self.shape_dim, self.view_dim = shape, categories, shape_dim, view_dim
        self.images = len(shape) == 3
        d_in = int(np.prod(shape))
        if self.images and conv:
            self.trunk: nn.Module = _conv_trunk(shape[0], shape[1])
            self.body: nn.Module = _ConvBody(shape[0], shape[1])
        else:
            self.trunk = nn.Sequential(
                nn.Flatten(), nn.Linear(d_in, _HIDDEN), nn.ReLU(), nn.Linear(_HIDDEN, _HIDDEN), nn.ReLU()
            )
            self.body = nn.Sequential(nn.Linear(_HIDDEN, _HIDDEN), nn.ReLU(), nn.Linear(_HIDDEN, d_in))
        self.classifier = nn.Linear(_HIDDEN, categories)
        self.shape_head = nn.Linear(_HIDDEN, categories * 2 * shape_dim)
        self.view_head = nn.Linear(_HIDDEN, categories * 2 * view_dim)
        latent = shape_dim + view_dim
        self.dec_in = nn.Parameter(torch.randn(categories, latent, _HIDDEN) / math.sqrt(latent))
        self.dec_bias = nn.Parameter(torch.zeros(categories, _HIDDEN))

    def infer(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per item: u(x) (n, C); shape mean/variance (n, C, M); view mean/variance (n, C, L)."""
        h = self.trunk(x)
        n, c = len(x), self.categories
        h_mu, h_var = self.shape_head(h).view(n, c, 2, self.shape_dim).unbind(2)
        g_mu, g_var = self.view_head(h).view(n, c, 2, self.view_dim).unbind(2)
        return {
            "u": F.softmax(self.classifier(h), dim=1),
            "z_mu": h_mu,
            "z_var": F.softplus(h_var) + 1e-4,
            "y_mu": g_mu,
            "y_var": F.softplus(g_var) + 1e-4,
        }

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(n, C, M) shapes and (n, C, L) views -> (n, C, *shape) outputs of every f_c."""
        h = F.relu(torch.einsum("ncl,clh->nch", torch.cat([z, y], 2), self.dec_in) + self.dec_bias)
        out: torch.Tensor = self.body(h.reshape(-1, _HIDDEN))
        return out.view(len(z), self.categories, *self.shape)

    def log_likelihood(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """(n, C): log p(x | y, z, c) summed over features, for every category."""
        target = x.unsqueeze(1).expand_as(out)
        if self.images:
            ll = -F.binary_cross_entropy_with_logits(out, target, reduction="none")
        else:
            ll = -0.5 * (out - target).pow(2) - 0.5 * math.log(2 * math.pi)
        return ll.flatten(2).sum(2)


def build(
    shape: tuple[int, ...], categories: int, shape_dim: int, view_dim: int, conv: bool = False, seed: int = 0
) -> CigmoNet:
    """A freshly initialised net; the initial weights follow `seed`."""
    torch.manual_seed(seed)
    return CigmoNet(shape, categories, shape_dim, view_dim, conv)


def _kl_std_normal(mu: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, var) || N(0, I)) summed over the last dimension."""
    return 0.5 * (mu.pow(2) + var - 1 - var.log()).sum(-1)


def _segment_mean(values: torch.Tensor, seg: torch.Tensor, n_seg: int, counts: torch.Tensor) -> torch.Tensor:
    out = torch.zeros((n_seg, *values.shape[1:]), dtype=values.dtype)
    out = out.index_add(0, seg, values)
    return out / counts.view(-1, *([1] * (values.dim() - 1)))


def _mutual_information(p1: torch.Tensor, p2: torch.Tensor) -> torch.Tensor:
    """IIC's I(u(x), u(x')) from the symmetrised joint of paired category distributions (Ji et al.)."""
    joint = (p1.T @ p2) / len(p1)
    joint = ((joint + joint.T) / 2).clamp_min(1e-8)
    return (joint * (joint.log() - joint.sum(1, keepdim=True).log() - joint.sum(0, keepdim=True).log())).sum()


def elbo_loss(
    net: CigmoNet, x: torch.Tensor, seg: torch.Tensor, n_seg: int, mi_weight: float = 0.0
) -> torch.Tensor:
    """Minus the lower bound L_recon + L_KL of the paper (Sec. 3.2), mean over the groups;
    items with the same `seg` id form one group; plus -mi_weight * Eq. 4's MI term."""
    counts = torch.bincount(seg, minlength=n_seg).to(x.dtype)
    post = net.infer(x)
    q_c = _segment_mean(post["u"], seg, n_seg, counts)  # Eq. 1
    z_mu = _segment_mean(post["z_mu"], seg, n_seg, counts)  # Eq. 3: average means and variances
    z_var = _segment_mean(post["z_var"], seg, n_seg, counts)
    z = z_mu + torch.randn_like(z_mu) * z_var.sqrt()
    y = post["y_mu"] + torch.randn_like(post["y_mu"]) * post["y_var"].sqrt()  # Eq. 2
    ll = net.log_likelihood(x, net.decode(z[seg], y))  # (n, C)
    per_group = torch.zeros((n_seg, net.categories), dtype=x.dtype).index_add(
        0, seg, ll - _kl_std_normal(post["y_mu"], post["y_var"])
    )
    per_group = per_group - _kl_std_normal(z_mu, z_var)
    kl_c = (q_c * (q_c.clamp_min(1e-8).log() + math.log(net.categories))).sum(1)
    elbo = (q_c * per_group).sum(1) - kl_c
    loss = -elbo.mean()
    if mi_weight > 0:
        first = torch.full((n_seg,), -1, dtype=torch.long)
        order = torch.arange(len(seg))
        first = first.scatter_reduce(0, seg, order, reduce="amin", include_self=False)
        second = first.scatter_reduce(0, seg, order, reduce="amax", include_self=False)
        pairs = first != second
        if pairs.any():
            loss = loss - mi_weight * _mutual_information(post["u"][first[pairs]], post["u"][second[pairs]])
    return loss


def _chunks(groups: np.ndarray, group_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Each group's members, shuffled, cut into tuples of at most `group_size` items (the paper's
    K random views of one object); every item lands in exactly one tuple per epoch."""
    by_group: dict[Any, list[int]] = {}
    for i in rng.permutation(len(groups)).tolist():
        by_group.setdefault(groups[i], []).append(i)
    out = []
    for members in by_group.values():
        out += [np.array(members[k : k + group_size]) for k in range(0, len(members), group_size)]
    return [out[i] for i in rng.permutation(len(out))]


def train(
    net: CigmoNet,
    X: np.ndarray,
    groups: np.ndarray,
    *,
    group_size: int,
    epochs: int,
    batch_groups: int,
    lr: float,
    mi_weight: float = 0.0,
    seed: int = 0,
    progress: Any = None,
) -> list[float]:
    """Train in place with Adam; returns the mean loss per epoch."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data = torch.as_tensor(X, dtype=torch.float32)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    net.train()
    history = []
    for _ in range(epochs) if progress is None else progress(range(epochs)):
        chunks = _chunks(groups, group_size, rng)
        total, steps = 0.0, 0
        for start in range(0, len(chunks), batch_groups):
            batch = chunks[start : start + batch_groups]
            idx = torch.as_tensor(np.concatenate(batch))
            seg = torch.as_tensor(np.repeat(np.arange(len(batch)), [len(b) for b in batch]))
            loss = elbo_loss(net, data[idx], seg, len(batch), mi_weight)
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            total += float(loss.detach())
            steps += 1
        history.append(total / max(steps, 1))
    net.eval()
    return history


@torch.no_grad()
def encode(net: CigmoNet, X: np.ndarray, include_view: bool, batch: int = 512) -> np.ndarray:
    """(n, C + C * M') float32: q(c | x), then the C x M' matrix with h_c(x) in the row of the most
    probable category and zeros elsewhere, flattened (the paper's one-shot shape space, Sec. 4.1.2);
    M' = M, or M + L with the view means appended when `include_view` (mixture of VAEs)."""
    net.eval()
    data = torch.as_tensor(X, dtype=torch.float32)
    parts = []
    for i in range(0, len(data), batch):
        post = net.infer(data[i : i + batch])
        latent = torch.cat([post["z_mu"], post["y_mu"]], 2) if include_view else post["z_mu"]
        mask = F.one_hot(post["u"].argmax(1), net.categories).unsqueeze(2).to(latent.dtype)
        parts.append(torch.cat([post["u"], (latent * mask).flatten(1)], 1).numpy())
    return np.concatenate(parts).astype(np.float32)
