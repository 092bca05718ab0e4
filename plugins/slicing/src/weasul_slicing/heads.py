"""Slice heads: the slice-aware model with attention over slice experts, and its baselines.

Entry points (group `weasul.slice_heads`): `slice-attention`, `backbone`, `upsample`,
`mixture-of-experts`. This module imports no torch; the networks live in `weasul_slicing._nn`,
imported on first `fit` or `load`. Models are saved as a torch state dict in safetensors.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

import numpy as np
from pydantic import Field, model_validator
from weasul.errors import DataError
from weasul.interfaces import SliceHead
from weasul.lazy import require
from weasul.params import WeasulParams
from weasul.torch_state import read_module, restore, save_module
from weasul.validation import check_features, check_labels

from weasul_slicing.metrics import default_slice_names
from weasul_slicing.steps import SlicingStep

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "PAPER_SETTINGS",
    "BackboneHead",
    "MixtureOfExperts",
    "SliceAttention",
    "SliceHeadParams",
    "UpsampleHead",
    "check_slices",
]

_log = logging.getLogger(__name__)

#: Park et al.'s stated settings (Sec. 4.1, 4.3): 10 epochs, batch 256, Adam 1e-3, hidden 128,
#: Eq. 4 attention with tau = 1.0 (used for S and S_up), indicators with plain BCE, linear experts
#: g_i (w_g_i in R^{d x d}), the shared head, noise N(0, 0.005) on tail queries' representation x,
#: and a pre-trained P "used for feature extraction" (frozen).
PAPER_SETTINGS: dict[str, Any] = {
    "epochs": 10,
    "batch_size": 256,
    "lr": 1e-3,
    "hidden": 128,
    "backbone": "frozen",
    "attention": "a1",
    "tau": 1.0,
    "indicator_balance": 0.0,
    "expert_relu": False,
    "final_head": "shared",
    "expert_loss": "batch-mean",
    "noise_std": 0.005,
}


def check_slices(S: Any, *, n_items: int, n_slices: int | None = None, fitting: bool = False) -> np.ndarray:
    """Check a slice-membership matrix (n_items, m) (array or DataFrame): 0/1 (or bool), column 0
    all ones.

    When `fitting`, every tail slice needs at least one member. Returns an int8 copy.

    Raises:
        DataError: wrong shape, values other than 0/1, column 0 not all ones, wrong row or column
            count, or (when fitting) a slice without members.
    """
    if S is None:
        raise DataError("S is missing; pass the slice-membership matrix (see weasul_slicing.slice_matrix)")
    if hasattr(S, "toarray") and not isinstance(S, np.ndarray):
        S = S.toarray()
    try:
        arr = np.asarray(S)
    except (TypeError, ValueError) as err:
        raise DataError(f"S cannot be read as an array: {err}") from err
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise DataError(f"S must be 2-D (n_items, 1 + n_tail_slices), got shape {arr.shape}")
    if arr.shape[0] != n_items:
        raise DataError(f"S has {arr.shape[0]} rows but X has {n_items}; pass one row of S per item")
    if not (arr.dtype == bool or np.issubdtype(arr.dtype, np.number)):
        raise DataError(f"S has dtype {arr.dtype}; expected 0/1 membership")
    if not np.isin(arr, (0, 1)).all():
        raise DataError("S must hold only 0 and 1 (member); build it with weasul_slicing.slice_matrix")
    arr = arr.astype(np.int8)
    if not (arr[:, 0] == 1).all():
        raise DataError("S column 0 must be the base slice (all ones); prepend a column of ones")
    if n_slices is not None and arr.shape[1] != n_slices:
        raise DataError(f"S has {arr.shape[1]} slice columns but the model was fitted with {n_slices}")
    if fitting:
        empty = np.flatnonzero(arr.sum(axis=0) == 0)
        if empty.size:
            raise DataError(
                f"slice column(s) {empty.tolist()} of S have no members in the training data; "
                "drop those slice functions or widen them"
            )
    return arr


class SliceHeadParams(WeasulParams):
    """Parameters every head in this plugin accepts (paper defaults: hidden 128, Adam 1e-3)."""

    n_classes: int | None = Field(None, ge=2, description="K; max(y) + 1 when omitted")
    hidden: int = Field(128, ge=1, description="hidden size of the backbone and the slice components")
    depth: int = Field(2, ge=1, description="Linear + ReLU layers of the backbone's representation M")
    lr: float = Field(1e-3, gt=0, description="Adam learning rate")
    weight_decay: float = Field(0.0, ge=0)
    epochs: int = Field(10, ge=1)
    batch_size: int = Field(256, ge=1)
    seed: int = 0
    slice_names: list[str] | None = Field(
        None, description="names of S's columns, for per-slice metrics; default: a DataFrame S's columns"
    )
    num_threads: int | None = Field(None, ge=1, description="torch threads during fit; None = leave as is")


class _TorchSliceHead(SliceHead):
    """Shared fit/predict/save/load of the heads; `kind` picks the network in `_nn`."""

    kind: ClassVar[str] = "backbone"
    Params: ClassVar[type[WeasulParams]] = SliceHeadParams
    params: SliceHeadParams
    step = SlicingStep

    def _nn(self) -> Any:
        return require("weasul_slicing._nn", extra="torch", distribution="weasul-slicing")

    def fit(self, X: np.ndarray, y: np.ndarray, S: np.ndarray) -> Self:
        """Train on features (n, d), labels (n,) in 0..K-1 and slice membership S (n, m); returns self.

        Raises:
            DataError: NaN/inf or non-2-D features, bad labels, S of the wrong shape or content,
                or a slice without members.
        """
        p: Any = self.params
        X = check_features(X)
        y = check_labels(y, n_classes=p.n_classes, n_items=len(X))
        columns = [str(c) for c in S.columns] if hasattr(S, "columns") else None
        S = check_slices(S, n_items=len(X), fitting=True)
        if p.slice_names is not None and len(p.slice_names) != S.shape[1]:
            raise DataError(f"slice_names has {len(p.slice_names)} names but S has {S.shape[1]} columns")
        k = p.n_classes or max(2, int(y.max()) + 1)
        _log.info(
            "%s: fitting on %d items, %d features, %d classes, %d slices",
            self.kind,
            len(X),
            X.shape[1],
            k,
            S.shape[1],
        )
        net = self._nn().train(self.kind, X, y, S, k, p)
        self.n_features_ = int(X.shape[1])
        self.n_classes_ = int(k)
        self.n_slices_ = int(S.shape[1])
        self.slice_names_ = list(p.slice_names or columns or default_slice_names(S.shape[1]))
        self.module_ = net
        return self

    def _check_predict(self, X: Any, S: Any) -> np.ndarray:
        self.check_fitted()
        X = check_features(X)
        if X.shape[1] != self.n_features_:
            raise DataError(f"X has {X.shape[1]} features but the model was fitted on {self.n_features_}")
        check_slices(S, n_items=len(X), n_slices=self.n_slices_)
        return cast(np.ndarray, X)

    def predict_proba(self, X: np.ndarray, S: np.ndarray) -> np.ndarray:
        """(n, K) class probabilities. S is checked (shape, 0/1) but not used to predict: slice
        membership at inference comes from the learned indicators, as in the paper."""
        X = self._check_predict(X, S)
        return cast(np.ndarray, self._nn().predict(self.module_, X))

    def names(self) -> list[str]:
        """Names of S's columns: `slice_names`, else the columns of a DataFrame S given to fit,
        else base, slice_1, ..."""
        self.check_fitted()
        return list(self.slice_names_)

    # --- persistence: torch state dict in safetensors ----------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write params and the network's state dict to a safetensors file (no pickle)."""
        scalars = {
            "n_features_": self.n_features_,
            "n_classes_": self.n_classes_,
            "n_slices_": self.n_slices_,
            "slice_names_": self.slice_names_,
        }
        return save_module(self, self.module_, path, scalars)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a file written by `save` into a fitted instance."""
        plugin, state, scalars = read_module(cls, path)
        nn = require("weasul_slicing._nn", extra="torch", distribution="weasul-slicing")
        net = nn.build(
            cls.kind, scalars["n_features_"], scalars["n_classes_"], scalars["n_slices_"], plugin.params
        )
        for key, value in scalars.items():
            setattr(plugin, key, value)
        plugin.module_ = restore(net, state)
        return plugin


class SliceAttention(_TorchSliceHead):
    """Slice-based learning: indicators, slice experts, a shared head and attention over slices.

    As in the paper, a backbone P (the `backbone` head's MLP; with `upsample_factor` > 1 the
    `upsample` head's P_up, giving S_up) is trained first; the slice components attach to its
    representation z = M(x), which is then frozen or fine-tuned (`backbone`). Per slice i
    (column i of S, base slice included): an indicator f_i trained with BCE on membership, an
    expert g_i trained (through the shared head, initialised from P's predictive layer) only on
    the slice's members, and the attention `a1 = softmax(P / tau)` or
    `a2 = softmax((P + |psi(Q)|) / tau)` combining the experts' slice vectors s = sum_i a_i r_i,
    from which the shared head predicts. The loss is the base task's cross-entropy on s + the
    indicators' BCE + the experts' masked cross-entropy. Inference uses the learned indicators
    only: S at predict time is checked, never read. `config: paper` sets PAPER_SETTINGS.
    """

    kind: ClassVar[str] = "slice-attention"

    class Params(SliceHeadParams):
        config: Literal["default", "paper"] = Field(
            "default",
            description="preset for the settings not given explicitly: `default` (the field defaults, "
            "tuned on dev splits) or `paper` (PAPER_SETTINGS: Park et al.'s stated settings)",
        )
        backbone: Literal["fine-tune", "frozen", "scratch"] = Field(
            "fine-tune",
            description="train the backbone P first, then attach the slice components to its "
            "representation and fine-tune it (`fine-tune`) or keep it fixed (`frozen`); `scratch`: "
            "no pre-trained P, every part trained together from random initialisation",
        )
        backbone_epochs: int | None = Field(None, ge=1, description="epochs of P's training; None = epochs")
        slice_epochs: int | None = Field(None, ge=1, description="epochs of the slice stage; None = epochs")
        upsample_factor: int = Field(
            1,
            ge=1,
            description="tail members repeated this often in P's and the slice stage's pool (>1: S_up)",
        )
        expert_init: Literal["identity", "random"] = Field(
            "identity",
            description="experts start as r_i = z, so the attached model starts as P (with a trained P)",
        )
        attention: Literal["a1", "a2"] = Field(
            "a1", description="a1: softmax(P/tau), membership only; a2: softmax((P + |psi(Q)|)/tau)"
        )
        tau: float = Field(0.1, gt=0, description="attention temperature (the paper tries 0.1 and 1.0)")
        noise_std: float = Field(
            0.0, ge=0, description="Gaussian noise on tail members' representation (paper: 0.005)"
        )
        indicator_balance: float = Field(
            1.0,
            ge=0,
            le=1,
            description="members weighted by (non-members / members) ** this in the indicator BCE; 0 = plain BCE",
        )
        expert_relu: bool = Field(True, description="ReLU on the experts' slice vectors (False: linear g_i)")
        final_head: Literal["shared", "separate"] = Field(
            "shared",
            description="predict from s with the experts' shared head (paper) or a layer of its own (Snorkel)",
        )
        expert_loss: Literal["batch-mean", "slice-mean"] = Field(
            "batch-mean",
            description="the paper's sum_i gamma_i * loss averaged over the batch, or each expert's loss "
            "averaged over its slice's members (Snorkel's masked labels)",
        )
        indicator_weight: float = Field(1.0, ge=0)
        expert_weight: float = Field(1.0, ge=0)

        @model_validator(mode="before")
        @classmethod
        def _preset(cls, data: Any) -> Any:
            """Fill the settings not given explicitly from the `config` preset."""
            if isinstance(data, dict) and data.get("config") == "paper":
                return {**PAPER_SETTINGS, **data}
            return data

    params: Params

    @classmethod
    def examples(cls) -> list[SliceAttention]:
        return [
            cls(epochs=2, hidden=16),
            cls(epochs=2, hidden=16, attention="a2", tau=0.1, noise_std=0.005, backbone="scratch"),
            cls(config="paper", epochs=2, hidden=16, upsample_factor=3),
        ]

    def attention(self, X: np.ndarray, S: np.ndarray) -> np.ndarray:
        """(n, m) attention weights over slices, rows summing to 1 (for inspecting the routing)."""
        X = self._check_predict(X, S)
        return cast(np.ndarray, self._nn().predict(self.module_, X, "attention"))

    def membership_proba(self, X: np.ndarray, S: np.ndarray) -> np.ndarray:
        """(n, m) predicted slice-membership likelihood P from the indicators."""
        X = self._check_predict(X, S)
        return cast(np.ndarray, self._nn().predict(self.module_, X, "membership"))


class BackboneHead(_TorchSliceHead):
    """The backbone head alone (Linear + ReLU to `hidden`, then a linear layer); ignores S."""

    kind: ClassVar[str] = "backbone"

    @classmethod
    def examples(cls) -> list[BackboneHead]:
        return [cls(epochs=2, hidden=16)]


class UpsampleHead(_TorchSliceHead):
    """The backbone head trained with every tail-slice member repeated `factor` times.

    With `same_steps` (default) an epoch is len(X) draws from the upsampled pool, so the head
    takes as many optimiser steps as the others (a compute-matched comparison, like a weighted
    sampler); otherwise an epoch walks the whole pool (len(X) + (factor - 1) * tail members).
    """

    kind: ClassVar[str] = "upsample"

    class Params(SliceHeadParams):
        factor: int = Field(10, ge=1, description="copies of each tail-slice member in the pool")
        same_steps: bool = Field(
            True, description="an epoch is len(X) draws (False: the whole upsampled pool)"
        )

    params: Params

    @classmethod
    def examples(cls) -> list[UpsampleHead]:
        return [cls(epochs=2, hidden=16, factor=3)]


class MixtureOfExperts(_TorchSliceHead):
    """A plain mixture of experts: a softmax gate over `n_experts` expert networks (default: one
    per column of S), trained end to end on the labels only; S is not used for supervision."""

    kind: ClassVar[str] = "mixture-of-experts"

    class Params(SliceHeadParams):
        n_experts: int | None = Field(None, ge=1, description="default: the number of columns of S")

    params: Params

    @classmethod
    def examples(cls) -> list[MixtureOfExperts]:
        return [cls(epochs=2, hidden=16)]
