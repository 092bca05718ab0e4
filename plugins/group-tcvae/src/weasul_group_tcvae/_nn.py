"""The networks and training loop of the group VAEs (torch; imported on first fit or load).

One encoder q(z|x) = N(mu, diag(exp(logvar))) with z = (z_c, z_nc), one decoder p(x|z)
(Bernoulli logits for images in [0, 1], a Gaussian mean for other features), and for
group-tcVAE a discriminator that tells samples of q(z_c, z_nc) from samples of the chosen
factorisation of it (a density-ratio estimate of the total correlation, as FactorVAE).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["GroupVAENet", "build", "train", "encode_mean"]


class _ConvEncoder(nn.Module):
    def __init__(self, channels: int, size: int, out: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c, s = channels, size
        for width in (32, 32, 64, 64):
            layers += [nn.Conv2d(c, width, 4, stride=2, padding=1), nn.ReLU()]
            c, s = width, s // 2
        self.conv = nn.Sequential(*layers, nn.Flatten())
        self.fc = nn.Sequential(nn.Linear(c * s * s, 256), nn.ReLU(), nn.Linear(256, out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.fc(self.conv(x))
        return out


class _ConvDecoder(nn.Module):
    def __init__(self, channels: int, size: int, latent: int) -> None:
        super().__init__()
        self.start = size // 16
        self.fc = nn.Sequential(nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, 64 * self.start**2), nn.ReLU())
        layers: list[nn.Module] = []
        for c_in, c_out in ((64, 64), (64, 32), (32, 32)):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1), nn.ReLU()]
        layers.append(nn.ConvTranspose2d(32, channels, 4, stride=2, padding=1))
        self.deconv = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.fc(z).view(len(z), 64, self.start, self.start)
        out: torch.Tensor = self.deconv(h)
        return out


def _mlp(d_in: int, d_out: int, hidden: int = 256) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, d_out))


class GroupVAENet(nn.Module):
    """Encoder and decoder; `shape` is (C, H, W) for images (H = W, a multiple of 16), else (d,)."""

    def __init__(self, shape: tuple[int, ...], latent: int) -> None:
        super().__init__()
        self.shape, self.latent = shape, latent
        self.images = len(shape) == 3
        if self.images:
            self.encoder: nn.Module = _ConvEncoder(shape[0], shape[1], 2 * latent)
            self.decoder: nn.Module = _ConvDecoder(shape[0], shape[1], latent)
        else:
            self.encoder = _mlp(shape[0], 2 * latent)
            self.decoder = _mlp(latent, shape[0])

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(-10.0, 6.0)

    def reconstruction_loss(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """-log p(x|z) summed over features, mean over items."""
        out = self.decoder(z)
        if self.images:
            return F.binary_cross_entropy_with_logits(out, x, reduction="sum") / len(x)
        return 0.5 * F.mse_loss(out, x, reduction="sum") / len(x)


def build(shape: tuple[int, ...], latent: int) -> GroupVAENet:
    return GroupVAENet(shape, latent)


def _kl_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, var) || N(0, I)) summed over dimensions, mean over items."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1).mean()


def _kl_between(mu1: torch.Tensor, lv1: torch.Tensor, mu2: torch.Tensor, lv2: torch.Tensor) -> torch.Tensor:
    """KL(N1 || N2) for diagonal Gaussians, summed over dimensions, mean over items."""
    return 0.5 * (lv2 - lv1 + (lv1.exp() + (mu1 - mu2).pow(2)) / lv2.exp() - 1).sum(dim=1).mean()


def _sample(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    return mu + torch.randn_like(mu) * (0.5 * logvar).exp()


def _permute(z: torch.Tensor, blocks: list[list[int]]) -> torch.Tensor:
    """Rows shuffled independently per block of columns: a sample of the product of the blocks'
    marginals (the factorised aggregate posterior)."""
    out = z.clone()
    for cols in blocks:
        out[:, cols] = z[torch.randperm(len(z))][:, cols]
    return out


def _factor_blocks(factorization: str, content: int, latent: int) -> list[list[int]]:
    c, nc = list(range(content)), list(range(content, latent))
    if factorization == "inter":
        return [c, nc]
    if factorization == "inter_intra":
        return [c, *([j] for j in nc)]
    return [[j] for j in range(latent)]


def _log_density(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """(B, B, d): log N(z_i | mu_j, var_j) per dimension."""
    diff = z[:, None, :] - mu[None, :, :]
    return -0.5 * (math.log(2 * math.pi) + logvar[None] + diff.pow(2) / logvar.exp()[None])


def _beta_tc_loss(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, n_data: int, beta: float) -> torch.Tensor:
    """beta-TCVAE's decomposed KL with minibatch-weighted sampling (Chen et al. 2018):
    index-code MI + beta * TC + dimension-wise KL."""
    b = len(z)
    log_q_pairs = _log_density(z, mu, logvar)
    log_norm = math.log(b * n_data)
    log_qz = torch.logsumexp(log_q_pairs.sum(dim=2), dim=1) - log_norm
    log_prod = (torch.logsumexp(log_q_pairs, dim=1) - log_norm).sum(dim=1)
    log_qz_x = (-0.5 * (math.log(2 * math.pi) + logvar + (z - mu).pow(2) / logvar.exp())).sum(dim=1)
    log_pz = (-0.5 * (math.log(2 * math.pi) + z.pow(2))).sum(dim=1)
    return ((log_qz_x - log_qz) + beta * (log_qz - log_prod) + (log_prod - log_pz)).mean()


def _pairs(groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(p, 2) index pairs of items of the same group, each item in at most one pair per epoch;
    an item whose group has no other member is paired with itself."""
    order = rng.permutation(len(groups))
    by_group: dict[Any, list[int]] = {}
    for i in order.tolist():
        by_group.setdefault(groups[i], []).append(i)
    pairs = []
    for members in by_group.values():
        if len(members) == 1:
            pairs.append((members[0], members[0]))
        pairs += [(members[k], members[k + 1]) for k in range(0, len(members) - 1, 2)]
    return np.array(pairs, dtype=np.int64)[rng.permutation(len(pairs))]


def train(
    net: GroupVAENet,
    X: np.ndarray,
    groups: np.ndarray,
    *,
    kind: str,
    content: int,
    epochs: int,
    batch_pairs: int,
    lr: float,
    beta: float,
    tc_weight: float = 0.0,
    group_kl_weight: float = 0.0,
    factorization: str = "inter",
    seed: int = 0,
    progress: Any = None,
) -> list[float]:
    """Train in place on paired items; returns the mean loss per epoch."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data = torch.as_tensor(X, dtype=torch.float32)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    disc = _mlp(net.latent, 2, hidden=256) if kind == "group-tcvae" else None
    disc_opt = torch.optim.Adam(disc.parameters(), lr=lr, betas=(0.5, 0.9)) if disc is not None else None
    blocks = _factor_blocks(factorization, content, net.latent)
    c = slice(0, content)
    history = []
    epoch_iter = range(epochs) if progress is None else progress(range(epochs))
    for _ in epoch_iter:
        pairs = _pairs(groups, rng)
        total, steps = 0.0, 0
        for start in range(0, len(pairs), batch_pairs):
            idx = torch.as_tensor(pairs[start : start + batch_pairs])
            x1, x2 = data[idx[:, 0]], data[idx[:, 1]]
            mu1, lv1 = net.posterior(x1)
            mu2, lv2 = net.posterior(x2)
            if kind in ("ml-vae", "gvae"):
                if kind == "ml-vae":  # product of the pair's Gaussians (Bouchacourt et al. 2018)
                    p1, p2 = (-lv1[:, c]).exp(), (-lv2[:, c]).exp()
                    var = 1 / (p1 + p2)
                    mu_c = var * (mu1[:, c] * p1 + mu2[:, c] * p2)
                    lv_c = var.log()
                else:  # average of means and variances (Hosoya 2019)
                    mu_c = (mu1[:, c] + mu2[:, c]) / 2
                    lv_c = ((lv1[:, c].exp() + lv2[:, c].exp()) / 2).log()
                mu1 = torch.cat([mu_c, mu1[:, content:]], 1)
                lv1 = torch.cat([lv_c, lv1[:, content:]], 1)
                mu2 = torch.cat([mu_c, mu2[:, content:]], 1)
                lv2 = torch.cat([lv_c, lv2[:, content:]], 1)
            z1, z2 = _sample(mu1, lv1), _sample(mu2, lv2)
            if kind in ("ml-vae", "gvae"):
                z2 = torch.cat([z1[:, c], z2[:, content:]], 1)  # one draw of the shared group latent
            loss = net.reconstruction_loss(x1, z1) + net.reconstruction_loss(x2, z2)
            if kind == "beta-tcvae":
                z, mu, lv = torch.cat([z1, z2]), torch.cat([mu1, mu2]), torch.cat([lv1, lv2])
                loss = loss + 2 * _beta_tc_loss(z, mu, lv, len(X), beta)
            else:
                loss = loss + beta * (_kl_normal(mu1, lv1) + _kl_normal(mu2, lv2))
            if disc is not None and disc_opt is not None:
                z = torch.cat([z1, z2])
                logits = disc(z)
                tc = (logits[:, 0] - logits[:, 1]).mean()
                shared_kl = _kl_between(mu1[:, c], lv1[:, c], mu2[:, c], lv2[:, c]) + _kl_between(
                    mu2[:, c], lv2[:, c], mu1[:, c], lv1[:, c]
                )
                loss = loss + tc_weight * tc + group_kl_weight * shared_kl
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            if disc is not None and disc_opt is not None:
                z = torch.cat([z1, z2]).detach()
                real, fake = disc(z), disc(_permute(z, blocks))
                ones = torch.zeros(len(z), dtype=torch.long)
                d_loss = F.cross_entropy(real, ones) + F.cross_entropy(fake, ones + 1)
                disc_opt.zero_grad()
                d_loss.backward()  # type: ignore[no-untyped-call]
                disc_opt.step()
            total += float(loss.detach())
            steps += 1
        history.append(total / max(steps, 1))
    net.eval()
    return history


@torch.no_grad()
def encode_mean(net: GroupVAENet, X: np.ndarray, batch: int = 512) -> np.ndarray:
    """Posterior means (n, latent) as float32."""
    data = torch.as_tensor(X, dtype=torch.float32)
    return np.concatenate([net.posterior(data[i : i + batch])[0].numpy() for i in range(0, len(data), batch)])
