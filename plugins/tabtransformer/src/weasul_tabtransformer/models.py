"""TabTransformer (Huang et al. 2020) as a weasul encoder and classifier, and its MLP baseline.

Entry points: `encoders/tabtransformer`, `classifiers/tabtransformer`, `classifiers/tab-mlp`.
Rows are a pandas DataFrame (categorical and continuous columns named, or inferred from the
dtypes) or a numeric array (all continuous unless `categorical` names column indices "0", "1",
...); see `weasul_tabtransformer.columns`. This module imports no torch: the networks live in
`weasul_tabtransformer._nn`, imported on first fit or load, and models are saved as a torch
state dict in safetensors with the column schema in its metadata.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

import numpy as np
from pydantic import Field, model_validator
from weasul.errors import DataError
from weasul.interfaces import Classifier, Encoder
from weasul.lazy import require
from weasul.params import WeasulParams
from weasul.plugin import PersistentPlugin
from weasul.torch_state import read_module, restore, save_module
from weasul.validation import check_labels, check_probs

from weasul_tabtransformer.columns import TableSchema, as_frame, fit_schema
from weasul_tabtransformer.steps import TableClassifierStep, TableEncoderStep

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "EmbeddingParams",
    "TransformerParams",
    "TabTransformerClassifier",
    "TabMLPClassifier",
    "TabTransformerEncoder",
]

_log = logging.getLogger(__name__)


class EmbeddingParams(WeasulParams):
    """Columns, column embedding, MLP head and training: what TabTransformer and the MLP share."""

    categorical: list[str] | None = Field(
        None,
        description="categorical columns (array input: indices as text, '0', '1', ...); default: by dtype",
    )
    continuous: list[str] | None = Field(None, description="continuous columns; default: the numeric rest")
    drop: list[str] = Field(default_factory=list, description="columns to ignore (e.g. the label column)")
    n_classes: int | None = Field(None, ge=2, le=10_000, description="K; from the targets when omitted")
    dim: int = Field(32, ge=2, le=1024, description="embedding dimension d (paper: 32)")
    shared_fraction: float = Field(
        0.125, ge=0, lt=1, description="share of d given to the shared column identifier c_i (paper: 1/8)"
    )
    mlp_multipliers: list[int] = Field(
        default_factory=lambda: [4, 2], description="MLP hidden sizes as multiples of its input size l"
    )
    mlp_dropout: float = Field(0.1, ge=0, lt=1)
    epochs: int = Field(10, ge=1, le=10_000)
    batch_size: int = Field(256, ge=1, le=1_000_000)
    lr: float = Field(1e-3, gt=0, le=1)
    weight_decay: float = Field(1e-5, ge=0)
    select: Literal["auc", "loss"] = Field(
        "auc",
        description="with valid rows: keep the epoch of best validation AUC (the paper's metric) or loss",
    )
    patience: int | None = Field(
        None,
        ge=1,
        description="with valid rows: stop after this many epochs without a better validation score",
    )
    seed: int = 0
    num_threads: int | None = Field(None, ge=1, le=1024, description="torch threads while training")

    @property
    def shared_dim(self) -> int:
        return int(round(self.dim * self.shared_fraction))


class TransformerParams(EmbeddingParams):
    """TabTransformer: N Transformer layers over the column embeddings, and pre-training."""

    depth: int = Field(6, ge=1, le=64, description="Transformer layers N (paper: 6)")
    heads: int = Field(8, ge=1, le=64, description="attention heads (paper: 8)")
    ff_mult: int = Field(4, ge=1, le=16, description="feed-forward width as a multiple of d")
    dropout: float = Field(0.1, ge=0, lt=1, description="attention and feed-forward dropout")
    pretrain: Literal["none", "mlm", "rtd"] = Field(
        "none", description="pre-train on the (unlabelled) rows first: masked LM or replaced token detection"
    )
    pretrain_epochs: int = Field(10, ge=1, le=10_000)
    mask_fraction: float = Field(0.3, gt=0, lt=1, description="share of cells masked (MLM) or replaced (RTD)")

    @model_validator(mode="after")
    def _heads_divide(self) -> TransformerParams:
        if self.dim % self.heads:
            raise ValueError(f"dim ({self.dim}) must be a multiple of heads ({self.heads})")
        return self


def _nn() -> Any:
    return require("weasul_tabtransformer._nn", extra="torch", distribution="weasul-tabtransformer")


def _config(params: EmbeddingParams, transformer: bool) -> dict[str, Any]:
    cfg = params.model_dump()
    cfg["shared_dim"] = params.shared_dim
    if not transformer:
        cfg.update(depth=0, heads=1, ff_mult=1, dropout=0.0, pretrain="none")
    return cfg


class _TabModel:
    """Shared preparation, save and load of the classifiers and the encoder."""

    transformer: ClassVar[bool] = True
    params: Any
    schema_: TableSchema
    n_classes_: int
    module_: Any

    if TYPE_CHECKING:

        def check_fitted(self) -> None: ...  # provided by weasul.plugin.Plugin

    def _cfg(self) -> dict[str, Any]:
        return _config(self.params, self.transformer)

    def _schema(self, *frames: Any) -> TableSchema:
        import pandas as pd

        frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        p = self.params
        return fit_schema(frame, categorical=p.categorical, continuous=p.continuous, drop=p.drop)

    def _inputs(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        self.check_fitted()
        return self.schema_.transform(X)

    def _pretrain(self, net: Any, codes: np.ndarray) -> list[float]:
        method = getattr(self.params, "pretrain", "none")
        if method == "none":
            return []
        if codes.shape[1] == 0:
            _log.warning("pretrain=%s skipped: the rows have no categorical column", method)
            return []
        _log.info("%s pre-training on %d rows, %d categorical columns", method, len(codes), codes.shape[1])
        return list(_nn().pretrain(net, codes, self._cfg(), method))

    # --- persistence: torch state dict in safetensors ----------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write params, the column schema and the network's state dict to safetensors (no pickle)."""
        scalars = {
            "schema": self.schema_.to_json(),
            "n_out": int(self.module_.head[-1].out_features),
            "n_classes": self.n_classes_,
        }
        return save_module(cast(PersistentPlugin, self), self.module_, path, scalars)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a file written by `save` into a fitted instance; predictions are identical."""
        plugin, state, scalars = read_module(cast("type[PersistentPlugin]", cls), path)
        model = cast("Self", plugin)
        schema = TableSchema.from_json(scalars["schema"])
        net = _nn().build(schema.cardinalities, len(schema.continuous), scalars["n_out"], model._cfg())
        model.schema_ = schema
        model.n_classes_ = scalars["n_classes"]
        model.module_ = restore(net, state)
        return model


def _targets(targets: Any, n_items: int, n_classes: int | None) -> tuple[np.ndarray, int]:
    """(n, K) float targets from labels (n,) or probabilities (n, K), and K."""
    arr = np.asarray(targets)
    if arr.ndim == 2:
        probs = check_probs(arr, n_items=n_items, n_classes=n_classes, name="targets")
        return np.asarray(probs, dtype=np.float32), int(probs.shape[1])
    y = check_labels(arr, n_classes=n_classes, n_items=n_items, name="targets")
    k = n_classes or max(2, int(y.max()) + 1)
    return np.eye(k, dtype=np.float32)[y], k


class _TabClassifier(_TabModel, Classifier):
    """fit / predict_proba over the shared network; `transformer` picks TabTransformer or MLP."""

    persistable: ClassVar[bool] = True
    step = TableClassifierStep

    def fit(
        self,
        X: Any,
        targets: np.ndarray,
        *,
        valid: tuple[Any, np.ndarray] | None = None,
        unlabelled: Any = None,
        pretrained: TabTransformerEncoder | None = None,
    ) -> Self:
        """Train on rows X and labels (n,) or probabilities (n, K); returns self.

        valid: (rows, labels) to keep the epoch of best validation AUC (`select: loss`: lowest
            loss; else the last epoch) and, with `patience`, to stop early.
        unlabelled: extra rows for pre-training (with `pretrain` mlm/rtd), as in the paper's
        semi-supervised setting; pre-training also uses X.
        pretrained: a fitted encoder (same sizes) whose column schema, embeddings and
            Transformer layers start the fine-tuning (pre-train once, fine-tune per target).

        Raises:
            DataError: empty rows, targets of another length or out of range, NaN continuous values.
        """
        frame = as_frame(X)
        T, k = _targets(targets, len(frame), self.params.n_classes)
        extra = None if unlabelled is None else as_frame(unlabelled)
        nn = _nn()
        cfg = self._cfg()
        if pretrained is not None:
            schema = self._check_pretrained(pretrained)
        else:
            schema = self._schema(frame) if extra is None else self._schema(frame, extra)
        codes, cont = schema.transform(frame)
        net = nn.seeded_build(schema.cardinalities, len(schema.continuous), k, cfg, self.params.seed)
        if pretrained is not None:
            nn.transfer(pretrained.module_, net)
            pre = list(getattr(pretrained, "history_", {}).get("pretrain_loss", []))
        else:
            pool = codes if extra is None else np.concatenate([codes, schema.transform(extra)[0]])
            pre = self._pretrain(net, pool)
        held = None
        if valid is not None:
            vc, vx = schema.transform(valid[0])
            held = (vc, vx, check_labels(valid[1], n_classes=k, n_items=len(vc), name="valid labels"))
        _log.info(
            "%s: training on %d rows, %d categorical + %d continuous columns, %d classes",
            type(self).__name__,
            len(frame),
            len(schema.categorical),
            len(schema.continuous),
            k,
        )
        history = nn.train_supervised(net, codes, cont, T, cfg, valid=held)
        self.schema_ = schema
        self.n_classes_ = k
        self.history_ = {**history, "pretrain_loss": pre}
        self.module_ = net
        return self

    def _check_pretrained(self, encoder: TabTransformerEncoder) -> TableSchema:
        encoder.check_fitted()
        sizes = ("dim", "shared_fraction", "depth", "heads", "ff_mult")
        if not self.transformer:
            raise DataError(
                f"{type(self).__name__} has no Transformer layers to start from a pre-trained encoder"
            )
        differ = [s for s in sizes if getattr(encoder.params, s) != getattr(self.params, s)]
        if differ:
            raise DataError(
                f"the pre-trained encoder differs in {differ}; give the classifier the same sizes"
            )
        return encoder.schema_

    def predict_proba(self, X: Any) -> np.ndarray:
        """(n, K) class probabilities, rows summing to 1."""
        codes, cont = self._inputs(X)
        return np.asarray(_nn().predict_proba(self.module_, codes, cont))

    def embeddings(self, X: Any, layer: int | None = None) -> np.ndarray:
        """(n, m*d + c) the network's input to its MLP head; `layer` = 0..depth gives the
        categorical embeddings after that many Transformer layers instead (n, m*d)."""
        codes, cont = self._inputs(X)
        return np.asarray(_nn().embed(self.module_, codes, cont, layer))


class TabTransformerClassifier(_TabClassifier):
    """TabTransformer: column embeddings -> N Transformer layers -> contextual embeddings,
    concatenated with the layer-normed continuous features -> MLP {4l, 2l}. Trained on labels or
    on a label model's probabilities (soft cross-entropy); optional MLM/RTD pre-training."""

    Params: ClassVar[type[WeasulParams]] = TransformerParams
    params: TransformerParams

    @classmethod
    def examples(cls) -> list[TabTransformerClassifier]:
        return [cls(dim=8, depth=1, heads=2, epochs=15, mlp_multipliers=[2])]


class TabMLPClassifier(_TabClassifier):
    """The paper's MLP baseline: TabTransformer's column embedding without the Transformer layers
    (context-free embeddings), the same continuous features and MLP head."""

    transformer: ClassVar[bool] = False
    Params: ClassVar[type[WeasulParams]] = EmbeddingParams
    params: EmbeddingParams

    @classmethod
    def examples(cls) -> list[TabMLPClassifier]:
        return [cls(dim=8, epochs=15, mlp_multipliers=[2])]


class TabTransformerEncoder(_TabModel, Encoder):
    """Contextual embeddings of the categorical columns (flattened, m*d) concatenated with the
    layer-normed continuous features. fit pre-trains on X (`pretrain`, default RTD) and, when
    labels `y` are given, fine-tunes the network on them."""

    class Params(TransformerParams):
        pretrain: Literal["none", "mlm", "rtd"] = Field(
            "rtd", description="unsupervised objective on X: replaced token detection, masked LM, or none"
        )

    params: Params
    step = TableEncoderStep

    @classmethod
    def examples(cls) -> list[TabTransformerEncoder]:
        return [cls(dim=8, depth=1, heads=2, epochs=2, pretrain_epochs=2)]

    def fit(self, X: Any, y: np.ndarray | None = None, *, groups: np.ndarray | None = None) -> Self:
        """Learn the column schema and embeddings from rows X; `y` (n,) labels fine-tune; returns self.

        Raises:
            DataError: empty rows, NaN continuous values, labels of another length.
        """
        frame = as_frame(X)
        schema = self._schema(frame)
        codes, cont = schema.transform(frame)
        target = None if y is None else _targets(y, len(frame), self.params.n_classes)
        k = 2 if target is None else target[1]
        nn = _nn()
        cfg = self._cfg()
        net = nn.seeded_build(schema.cardinalities, len(schema.continuous), k, cfg, self.params.seed)
        pre = self._pretrain(net, codes)
        history: dict[str, Any] = {}
        if target is not None:
            history = nn.train_supervised(net, codes, cont, target[0], cfg)
        self.schema_ = schema
        self.n_classes_ = k
        self.history_ = {**history, "pretrain_loss": pre}
        self.module_ = net
        return self

    def encode(self, X: Any) -> np.ndarray:
        """(n, m*d + c) float64: contextual embeddings and normalised continuous features."""
        codes, cont = self._inputs(X)
        return np.asarray(_nn().embed(self.module_, codes, cont))
