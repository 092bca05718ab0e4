"""The networks and training loop of CIGMO (torch; imported on first fit or load).

As the paper's App. B: the classifier u has a trunk of its own and a softmax head; one shared
trunk feeds per-category shape heads N(h_c, s_c) and view heads N(g_c, r_c) (variances through
Softplus); the decoder of category c is a per-category input layer on (z, y) followed by a body
shared by all categories; batch normalisation after every hidden layer. Likelihood: the paper's
unit-variance Gaussian N(f_c(y, z), I) (a Sigmoid output for images), or Bernoulli for images.
Nets: MLPs, or with `conv` three stride-2 convolutions (16, 32, 64 filters; paper 32, 64, 128).

Without batch normalisation the mixture collapsed in every run: u's logits then barely vary across
items at initialisation (spread ~0.02 against ~0.3), so q(c | x) is the same for every item, the
decoders see the same data with the same weights and stay interchangeable, and the per-group
KL(q(c | x) || uniform) keeps u uniform (`python -m weasul_cigmo.diagnose --no-batchnorm`).
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


def _norm(width: int, batchnorm: bool, conv: bool = False) -> nn.Module:
    """Batch normalisation after a layer (paper App. B: after every layer), or nothing."""
    if not batchnorm:
        return nn.Identity()
    return nn.BatchNorm2d(width) if conv else nn.BatchNorm1d(width)


def _trunk(shape: tuple[int, ...], conv: bool, batchnorm: bool, hidden: int) -> nn.Sequential:
    """Item -> hidden features: three stride-2 convolutions and a fully connected layer (paper
    App. B, narrower), or two fully connected layers on the flattened input."""
    layers: list[nn.Module] = []
    if conv:
        c, s = shape[0], shape[1]
        for width in (16, 32, 64):
            layers += [nn.Conv2d(c, width, 5, stride=2, padding=2), _norm(width, batchnorm, True), nn.ReLU()]
            c, s = width, s // 2
        layers += [nn.Flatten(), nn.Linear(c * s * s, hidden)]
    else:
        layers += [nn.Flatten(), nn.Linear(int(np.prod(shape)), hidden), _norm(hidden, batchnorm), nn.ReLU()]
        layers += [nn.Linear(hidden, hidden)]
    return nn.Sequential(*layers, _norm(hidden, batchnorm), nn.ReLU())


def _body(shape: tuple[int, ...], conv: bool, batchnorm: bool, hidden: int) -> nn.Sequential:
    """hidden -> outputs (pre-activation), the inverse of the trunk; shared by all categories."""
    if conv:
        start = shape[1] // 8
        layers: list[nn.Module] = [
            nn.Linear(hidden, 64 * start * start),
            _norm(64 * start * start, batchnorm),
            nn.ReLU(),
            nn.Unflatten(1, (64, start, start)),
        ]
        for c_in, c_out in ((64, 32), (32, 16)):
            layers += [nn.ConvTranspose2d(c_in, c_out, 6, stride=2, padding=2), _norm(c_out, batchnorm, True)]
            layers += [nn.ReLU()]
        return nn.Sequential(*layers, nn.ConvTranspose2d(16, shape[0], 6, stride=2, padding=2))
    d_out = int(np.prod(shape))
    return nn.Sequential(
        nn.Linear(hidden, hidden), _norm(hidden, batchnorm), nn.ReLU(), nn.Linear(hidden, d_out)
    )


class CigmoNet(nn.Module):
    """Classifier u, shape/view encoders and decoders; `shape` is (C, H, W) (H = W, a multiple of
    8, for `conv`) for images, else (d,).

    `likelihood`: "gaussian" (the paper's N(f_c(y, z), I); a Sigmoid output for images) or
    "bernoulli" (images only). `separate_classifier`: u has its own trunk (paper App. B), else it
    reads the encoders' trunk. `batchnorm`: after every hidden layer (paper App. B). `shared_view`:
    one view encoder for all categories (paper App. B), else a view head per category."""

    def __init__(
        self,
        shape: tuple[int, ...],
        categories: int,
        shape_dim: int,
        view_dim: int,
        conv: bool = False,
        *,
        likelihood: str = "gaussian",
        separate_classifier: bool = True,
        batchnorm: bool = True,
        shared_view: bool = False,
        hidden: int = _HIDDEN,
    ) -> None:
        super().__init__()
        self.shape, self.categories, self.shape_dim, self.view_dim = shape, categories, shape_dim, view_dim
        self.images = len(shape) == 3
        if likelihood not in ("gaussian", "bernoulli"):
            raise ValueError(f"likelihood must be 'gaussian' or 'bernoulli', got {likelihood!r}")
        self.likelihood, self.hidden = likelihood, hidden
        conv = conv and self.images
        self.trunk = _trunk(shape, conv, batchnorm, hidden)
        self.classifier_trunk: nn.Module = (
            _trunk(shape, conv, batchnorm, hidden) if separate_classifier else nn.Identity()
        )
        self.separate_classifier = separate_classifier
        self.classifier = nn.Linear(hidden, categories)
        self.shape_head = nn.Linear(hidden, categories * 2 * shape_dim)
        self.shared_view = shared_view  # paper App. B: one view encoder g, r for all categories
        self.view_head = nn.Linear(hidden, (1 if shared_view else categories) * 2 * view_dim)
        latent = shape_dim + view_dim
        self.dec_in = nn.Parameter(torch.randn(categories, latent, hidden) / math.sqrt(latent))
        self.dec_bias = nn.Parameter(torch.zeros(categories, hidden))
        self.dec_norm = _norm(categories * hidden, batchnorm)  # per category and unit
        self.body = _body(shape, conv, batchnorm, hidden)

    def infer(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per item: u(x) (n, C); shape mean/variance (n, C, M); view mean/variance (n, C, L)."""
        h = self.trunk(x)
        n, c = len(x), self.categories
        logits = self.classifier(self.classifier_trunk(x) if self.separate_classifier else h)
        h_mu, h_var = self.shape_head(h).view(n, c, 2, self.shape_dim).unbind(2)
        g_mu, g_var = self.view_head(h).view(n, -1, 2, self.view_dim).expand(-1, c, -1, -1).unbind(2)
        return {
            "u": F.softmax(logits, dim=1),
            "z_mu": h_mu,
            "z_var": F.softplus(h_var) + 1e-4,
            "y_mu": g_mu,
            "y_var": F.softplus(g_var) + 1e-4,
        }

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(n, C, M) shapes and (n, C, L) views -> (n, C, *shape) outputs of every f_c (logits for
        Bernoulli, means for Gaussian). The shared body runs once per category, so its batch
        statistics are per category (as C separate decoders sharing weights)."""
        n, c = len(z), self.categories
        h = torch.einsum("ncl,clh->nch", torch.cat([z, y], 2), self.dec_in) + self.dec_bias
        h = F.relu(self.dec_norm(h.reshape(n, c * self.hidden))).view(n, c, self.hidden)
        out = torch.stack([self.body(h[:, k]) for k in range(c)], 1)
        if self.likelihood == "gaussian" and self.images:
            out = torch.sigmoid(out)
        return out.reshape(n, c, *self.shape)

    def log_likelihood(self, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """(n, C): log p(x | y, z, c) summed over features, for every category."""
        target = x.unsqueeze(1).expand_as(out)
        if self.likelihood == "bernoulli":
            ll = -F.binary_cross_entropy_with_logits(out, target, reduction="none")
        else:
            ll = -0.5 * (out - target).pow(2) - 0.5 * math.log(2 * math.pi)
        return ll.flatten(2).sum(2)


def build(
    shape: tuple[int, ...],
    categories: int,
    shape_dim: int,
    view_dim: int,
    conv: bool = False,
    seed: int = 0,
    **options: Any,
) -> CigmoNet:
    """A freshly initialised net (`options` as `CigmoNet`); the initial weights follow `seed`."""
    torch.manual_seed(seed)
    return CigmoNet(shape, categories, shape_dim, view_dim, conv, **options)


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
    on_epoch: Any = None,
) -> list[float]:
    """Train in place with Adam; returns the mean loss per epoch. `on_epoch(epoch, net)` runs
    after each epoch (diagnostics)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data = torch.as_tensor(X, dtype=torch.float32)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    net.train()
    history = []
    for _ in range(epochs) if progress is None else progress(range(epochs)):
        chunks = _chunks(groups, group_size, rng)
        total, steps = 0.0, 0
        starts = list(range(0, len(chunks), batch_groups))
        if len(starts) > 1 and len(np.concatenate(chunks[starts[-1] :])) < 2:
            starts.pop()  # batch normalisation needs two items: the last lone item joins the batch before
        for i, start in enumerate(starts):
            batch = chunks[start : starts[i + 1] if i + 1 < len(starts) else len(chunks)]
            idx = torch.as_tensor(np.concatenate(batch))
            seg = torch.as_tensor(np.repeat(np.arange(len(batch)), [len(b) for b in batch]))
            loss = elbo_loss(net, data[idx], seg, len(batch), mi_weight)
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            total += float(loss.detach())
            steps += 1
        history.append(total / max(steps, 1))
        if on_epoch is not None:
            net.eval()
            on_epoch(len(history), net)
            net.train()
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
