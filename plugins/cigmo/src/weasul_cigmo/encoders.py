"""CIGMO and its ablations as weasul encoders.

Entry points (group `weasul.encoders`): `cigmo` (Hosoya, ICLR 2021: a mixture of C group VAEs;
category c and shape z shared by a group, a view y per item), `cigmo-gvae` (C = 1: GVAE) and
`mixture-vae` (groups ignored, K = 1: a mixture of VAEs). `fit(X, groups=g)`: items with the same
group id are views of one object; without groups every item is its own group. `encode(X)`
returns (n, C + C * M) floats: the category posterior q(c | x), then the shape means h_c(x) in
the block of the most probable category, zeros elsewhere (the paper's one-shot shape space);
`mixture-vae` appends the view means to each block (its latent is shape and view together).
This module imports no torch; the networks live in `weasul_cigmo._nn`.
"""

from __future__ import annotations

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

__all__ = ["CigmoParams", "CIGMO", "CigmoGVAE", "MixtureVAE"]


def _nn() -> Any:
    return require("weasul_cigmo._nn", extra="torch", distribution="weasul-cigmo")


class CigmoParams(WeasulParams):
    """What every model here takes."""

    categories: int = Field(3, ge=1, le=100, description="C, the number of mixture components")
    shape_dim: int = Field(
        16, ge=1, le=512, description="M, the shape dimension (paper: 100; 16 is the CPU default here)"
    )
    view_dim: int = Field(3, ge=1, le=64, description="L, the view dimension (paper: 3; keep it small)")
    group_size: int = Field(
        3, ge=1, le=100, description="K, items per training tuple cut from a group (paper: 3)"
    )
    image_shape: list[int] | None = Field(
        None,
        description="(C, H, W) of image rows in [0, 1]; else feature rows",
    )
    likelihood: Literal["gaussian", "bernoulli"] = Field(
        "gaussian",
        description="p(x | y, z, c): the paper's N(f_c(y, z), I) (Sigmoid output for images), or "
        "Bernoulli (images only; its larger scale lets the KL terms matter less)",
    )
    conv: bool = Field(False, description="convolutional nets for images (H = W, a multiple of 8); else MLPs")
    shared_view: bool = Field(
        False,
        description="one view encoder for all categories (paper App. B); the default, a view head "
        "per category, had the higher held-out ELBO here",
    )
    mi_weight: float = Field(
        0.0, ge=0, description="weight of Eq. 4's within-group mutual information (paper: off)"
    )
    epochs: int = Field(20, ge=1, le=10_000, description="paper: 20")
    batch_groups: int = Field(100, ge=1, le=100_000, description="tuples per mini-batch (paper: 100)")
    lr: float = Field(1e-3, gt=0, le=1)
    seed: int = 0


class _Mixture(Encoder):
    """Shared fit/encode/save/load of the mixture of group VAEs."""

    Params: ClassVar[type[WeasulParams]] = CigmoParams
    params: CigmoParams
    step = GroupEncoderStep
    include_view: ClassVar[bool] = False

    @classmethod
    def examples(cls) -> list[Encoder]:
        return [cls(categories=2, shape_dim=2, epochs=1)]

    def _config(self) -> tuple[int, int]:
        """(categories, group size) this model trains with."""
        return self.params.categories, self.params.group_size

    def _inputs(self, X: Any) -> tuple[np.ndarray, tuple[int, ...]]:
        """X as float32 rows shaped for the network: (n, C, H, W) for images, else (n, d)."""
        shape = self.params.image_shape
        if shape is not None:
            c, h, w = (int(v) for v in shape) if len(shape) == 3 else (0, 0, 0)
            if len(shape) != 3 or c < 1 or h < 1 or w < 1 or (self.params.conv and (h != w or h % 8)):
                raise DataError(
                    f"image_shape must be (C, H, W), with H = W a multiple of 8 for conv; got {shape}"
                )
        return check_images(X, shape)

    def fit(self, X: Any, y: np.ndarray | None = None, *, groups: np.ndarray | None = None) -> Self:
        """Train on `X` (n, d) or images; `groups` (n,) ids mark views of one object."""
        data, shape = self._inputs(X)
        if len(data) < 2:
            raise DataError(f"X has {len(data)} row; training (batch normalisation) needs at least 2 items")
        if groups is None:
            groups = np.arange(len(data))
        groups = np.asarray(groups)
        if groups.shape != (len(data),):
            raise DataError(f"groups must have one id per item ({len(data)}), got shape {groups.shape}")
        p = self.params
        categories, group_size = self._config()
        nn = _nn()
        if p.likelihood == "bernoulli" and len(shape) != 3:
            raise DataError("likelihood 'bernoulli' needs images in [0, 1] (set image_shape)")
        net = nn.build(
            shape,
            categories,
            p.shape_dim,
            p.view_dim,
            p.conv,
            p.seed,
            likelihood=p.likelihood,
            shared_view=p.shared_view,
        )
        self.loss_history_ = nn.train(
            net,
            data,
            groups,
            group_size=group_size,
            epochs=p.epochs,
            batch_groups=p.batch_groups,
            lr=p.lr,
            mi_weight=p.mi_weight,
            seed=p.seed,
            progress=lambda it: track(it, total=p.epochs, desc=f"{type(self).__name__} epochs"),
        )
        self.module_ = net
        self.input_shape_ = list(shape)
        self.categories_ = categories
        return self

    def encode(self, X: Any) -> np.ndarray:
        """(n, C + C * M) float32: q(c | x), then the shape means in the block of argmax_c q(c | x)."""
        self.check_fitted()
        data, shape = self._inputs(X)
        if list(shape) != self.input_shape_:
            raise DataError(
                f"X rows have shape {list(shape)} but the model was fitted on {self.input_shape_}"
            )
        return cast(np.ndarray, _nn().encode(self.module_, data, self.include_view))

    def category_proba(self, X: Any) -> np.ndarray:
        """(n, C) q(c | x) of single items."""
        return self.encode(X)[:, : self.categories_]

    def latent(self, X: Any) -> np.ndarray:
        """(n, C * M) the block-masked shape (and, for `mixture-vae`, view) means."""
        return self.encode(X)[:, self.categories_ :]

    def save(self, path: str | Path) -> Path:
        """Write params and the network's state dict to a safetensors file (no pickle)."""
        return save_module(
            self, self.module_, path, {"input_shape_": self.input_shape_, "categories_": self.categories_}
        )

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a file written by `save` into a fitted instance."""
        plugin, state, scalars = read_module(cls, path)
        p = plugin.params
        shape, categories = tuple(scalars["input_shape_"]), scalars["categories_"]
        net = _nn().build(
            shape,
            categories,
            p.shape_dim,
            p.view_dim,
            p.conv,
            likelihood=p.likelihood,
            shared_view=p.shared_view,
        )
        plugin.module_ = restore(net, state)
        plugin.input_shape_, plugin.categories_ = scalars["input_shape_"], scalars["categories_"]
        return plugin


class CIGMO(_Mixture):
    """CIGMO: C per-category group VAEs; q(c | group) averages the classifier's outputs (Eq. 1),
    the shape posterior averages the items' means and variances (Eq. 3), views stay per item."""


class CigmoGVAE(_Mixture):
    """GVAE (Hosoya 2019) as CIGMO with one category; cluster its shape latent with k-means."""

    def _config(self) -> tuple[int, int]:
        return 1, self.params.group_size

    @classmethod
    def examples(cls) -> list[Encoder]:
        return [cls(shape_dim=2, epochs=1)]


class MixtureVAE(_Mixture):
    """Mixture of VAEs: CIGMO with K = 1 (groups ignored); its latent is shape and view together."""

    include_view: ClassVar[bool] = True

    def _config(self) -> tuple[int, int]:
        return self.params.categories, 1

    def fit(self, X: Any, y: np.ndarray | None = None, *, groups: np.ndarray | None = None) -> Self:
        """Train on `X`; `groups` are ignored (every item is its own group)."""
        if groups is not None and np.shape(groups) != (len(X),):
            raise DataError(f"groups must have one id per item ({len(X)}), got shape {np.shape(groups)}")
        return super().fit(X, y, groups=None)
