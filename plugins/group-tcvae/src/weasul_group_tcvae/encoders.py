"""Group-disentangling VAEs as weasul encoders: group-tcVAE and its baselines.

Entry points (group `weasul.encoders`): `group-tcvae` (Tran et al., WeaSuL 2021), `ml-vae`
(Bouchacourt et al. 2018: product of the pair's content posteriors), `gvae` (Hosoya 2019: average
of the pair's content posteriors) and `beta-tcvae` (Chen et al. 2018, groups ignored). All learn
z = (z_c, z_nc): the first `content_dim` dimensions for the factors items of a group share, the
other `style_dim` for the rest. `fit(X, groups=g)`: items with the same group id share the
content factors (match pairing); without groups every item is its own group. `encode(X)` returns
the posterior means. This module imports no torch; the networks live in `weasul_group_tcvae._nn`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

import numpy as np
from pydantic import Field
from weasul.errors import DataError
from weasul.interfaces import Encoder
from weasul.lazy import require
from weasul.params import WeasulParams
from weasul.progress import track
from weasul.steps import GroupEncoderStep
from weasul.torch_state import read_module, restore, save_module
from weasul.validation import check_images

if TYPE_CHECKING:
    from typing import Self

__all__ = ["GroupVAEParams", "GroupTCVAE", "MLVAE", "GVAE", "BetaTCVAE"]

_log = logging.getLogger(__name__)


class GroupVAEParams(WeasulParams):
    """What every group VAE here takes."""

    content_dim: int = Field(5, ge=1, le=512, description="dimensions of z_c (shared within a group)")
    style_dim: int = Field(5, ge=1, le=512, description="dimensions of z_nc (the rest)")
    image_shape: list[int] | None = Field(
        None, description="(C, H, W) of image rows (H = W, a multiple of 16): convolutional nets; else an MLP"
    )
    epochs: int = Field(20, ge=1, le=10_000)
    batch_pairs: int = Field(32, ge=1, le=100_000, description="pairs per batch (paper: 32 pairs)")
    lr: float = Field(1e-3, gt=0, le=1)
    beta: float = Field(1.0, ge=0, description="weight of KL(q(z|x) || p(z))")
    seed: int = 0


class _GroupVAE(Encoder):
    """Shared fit/encode/save/load; `kind` picks the objective in `_nn.train`."""

    kind: ClassVar[str] = ""
    Params: ClassVar[type[WeasulParams]] = GroupVAEParams
    params: GroupVAEParams
    step = GroupEncoderStep

    @classmethod
    def examples(cls) -> list[Encoder]:
        return [cls(content_dim=2, style_dim=2, epochs=2)]

    def _inputs(self, X: Any) -> tuple[np.ndarray, tuple[int, ...]]:
        """X as float32 rows shaped for the network: (n, C, H, W) for images, else (n, d)."""
        shape = self.params.image_shape
        if shape is not None:
            c, h, w = (int(v) for v in shape) if len(shape) == 3 else (0, 0, 0)
            if len(shape) != 3 or h != w or h % 16 or h < 16 or c < 1:
                raise DataError(f"image_shape must be (C, H, W) with H = W a multiple of 16; got {shape}")
        return check_images(X, shape)

    def _objective(self) -> dict[str, Any]:
        return {}

    def fit(self, X: Any, y: np.ndarray | None = None, *, groups: np.ndarray | None = None) -> Self:
        """Train on `X` (n, d) or images; `groups` (n,) ids pair items sharing the content factors."""
        data, shape = self._inputs(X)
        if groups is None:
            groups = np.arange(len(data))
        groups = np.asarray(groups)
        if groups.shape != (len(data),):
            raise DataError(f"groups must have one id per item ({len(data)}), got shape {groups.shape}")
        nn = require("weasul_group_tcvae._nn", extra="torch", distribution="weasul-group-tcvae")
        p = self.params
        net = nn.build(shape, p.content_dim + p.style_dim)
        self.loss_history_ = nn.train(
            net,
            data,
            groups,
            kind=self.kind,
            content=p.content_dim,
            epochs=p.epochs,
            batch_pairs=p.batch_pairs,
            lr=p.lr,
            beta=p.beta,
            seed=p.seed,
            progress=lambda it: track(it, total=p.epochs, desc=f"{self.kind} epochs"),
            **self._objective(),
        )
        self.module_ = net
        self.input_shape_ = list(shape)
        self.dim_ = p.content_dim + p.style_dim
        return self

    def encode(self, X: Any) -> np.ndarray:
        """(n, content_dim + style_dim) float32 posterior means; z_c first."""
        self.check_fitted()
        data, shape = self._inputs(X)
        if list(shape) != self.input_shape_:
            raise DataError(f"X rows have shape {list(shape)} but the model was fitted on {self.input_shape_}")
        nn = require("weasul_group_tcvae._nn", extra="torch", distribution="weasul-group-tcvae")
        return cast(np.ndarray, nn.encode_mean(self.module_, data))

    def latent_groups(self) -> list[int]:
        """1 for each content dimension, 0 for each style dimension (for `weasul.disentanglement`)."""
        return [1] * self.params.content_dim + [0] * self.params.style_dim

    def save(self, path: str | Path) -> Path:
        """Write params and the network's state dict to a safetensors file (no pickle)."""
        return save_module(self, self.module_, path, {"input_shape_": self.input_shape_, "dim_": self.dim_})

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a file written by `save` into a fitted instance."""
        plugin, state, scalars = read_module(cls, path)
        nn = require("weasul_group_tcvae._nn", extra="torch", distribution="weasul-group-tcvae")
        plugin.module_ = restore(nn.build(tuple(scalars["input_shape_"]), scalars["dim_"]), state)
        plugin.input_shape_, plugin.dim_ = scalars["input_shape_"], scalars["dim_"]
        return plugin


class GroupTCVAE(_GroupVAE):
    """group-tcVAE: each item keeps its own z_c; a KL term pulls the pair's z_c posteriors together
    and a density-ratio discriminator's estimate of TC(z_c, z_nc) is penalised (paper Eq. 3).

    `factorization` picks the target of the TC term: `inter` q(z_c) q(z_nc); `inter_intra`
    q(z_c) prod_j q(z_nc,j); `total` prod_i q(z_i) (FactorVAE's)."""

    kind: ClassVar[str] = "group-tcvae"

    class Params(GroupVAEParams):
        tc_weight: float = Field(10.0, ge=0, description="weight of the total-correlation term (paper: 10-100)")
        group_kl_weight: float = Field(
            8.0, ge=0, description="weight of KL between the pair's z_c posteriors (paper: 1-64)"
        )
        factorization: Literal["inter", "inter_intra", "total"] = "inter"

    params: Params

    def _objective(self) -> dict[str, Any]:
        p = self.params
        return {"tc_weight": p.tc_weight, "group_kl_weight": p.group_kl_weight, "factorization": p.factorization}


class MLVAE(_GroupVAE):
    """ML-VAE: the group's z_c posterior is the product of the pair's Gaussians."""

    kind: ClassVar[str] = "ml-vae"


class GVAE(_GroupVAE):
    """GVAE: the group's z_c posterior averages the pair's means and variances."""

    kind: ClassVar[str] = "gvae"


class BetaTCVAE(_GroupVAE):
    """beta-TCVAE, unsupervised: groups are ignored; TC of all of z weighted by `beta_tc`
    (minibatch-weighted sampling estimate), z_c and z_nc only split the dimensions."""

    kind: ClassVar[str] = "beta-tcvae"

    class Params(GroupVAEParams):
        beta: float = Field(6.0, ge=0, description="weight of the total correlation (Chen et al.: 6)")

    params: Params

    def fit(self, X: Any, y: np.ndarray | None = None, *, groups: np.ndarray | None = None) -> Self:
        """Train on `X`; `groups` are ignored (an unsupervised baseline)."""
        return super().fit(X, y, groups=None)
