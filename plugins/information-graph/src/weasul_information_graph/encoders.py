"""`encoders/information-graph`: a spectrogram CNN trained with the information-graph
contrastive loss (Meyer et al., "Information graph contrastive learning for sensor networks",
`../shared/papers/08-*`), or with plain cross-entropy (the paper's supervised baseline).

Each row of X is one single-channel waveform segment. `fit(X, y, segments=table)`: `y` holds
annotations (-1 = unlabelled), `segments` where and when each row was recorded (station, channel,
start, end), which gives the context edges. Without `segments` there is no system context: each
row stands alone and only the annotations make edges (the paper's "without SC"); with neither
there is nothing to contrast, no step is trained and `encode` is the seeded initial network.
`encode(X)` returns the encoder's pooled features (the head is dropped, as in the paper's
fine-tuning). This module imports no torch; the networks live in `weasul_information_graph._nn`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
from pydantic import Field
from weasul.errors import DataError
from weasul.interfaces import Encoder
from weasul.lazy import require
from weasul.params import WeasulParams
from weasul.progress import track
from weasul.torch_state import read_module, restore, save_module
from weasul.validation import check_features

from weasul_information_graph.batches import GraphSampler
from weasul_information_graph.graph import as_segments, context_edges
from weasul_information_graph.steps import InformationGraphStep

if TYPE_CHECKING:
    from typing import Self

__all__ = ["InformationGraphEncoder"]

_log = logging.getLogger(__name__)


def _nn() -> Any:
    return require("weasul_information_graph._nn", extra="torch", distribution="weasul-information-graph")


class InformationGraphEncoder(Encoder):
    """Contrastive learning over the information graph (links or anchors), or cross-entropy."""

    class Params(WeasulParams):
        objective: Literal["information-graph", "cross-entropy"] = Field(
            "information-graph",
            description="contrastive over the graph, or supervised cross-entropy (needs y)",
        )
        annotations: Literal["anchors", "links"] = Field(
            "anchors",
            description="anchors: fixed random Gaussian class vectors are the targets of annotation edges; "
            "links: annotation edges are skipped in the loss, same-class segments are linked through B = A + A^2",
        )
        n_fft: int = Field(32, ge=4, le=4096, description="STFT window (samples)")
        hop: int = Field(8, ge=1, le=4096, description="STFT stride (samples)")
        width: int = Field(
            16, ge=2, le=256, description="CNN channels of the first block (features: 4 * width)"
        )
        embed_dim: int = Field(64, ge=2, le=1024, description="contrastive embedding and anchor vector size")
        edges_per_batch: int = Field(48, ge=1, le=100_000, description="N_e edges sampled per batch")
        batch_graph: Literal["edges", "induced"] = Field(
            "edges",
            description="edges: A of a batch holds only its N_e sampled edges (paper Sec. 3); induced: every "
            "graph edge among the loaded segments (all their anchor edges too)",
        )
        batch_size: int = Field(128, ge=2, le=100_000, description="rows per cross-entropy batch")
        epochs: int = Field(10, ge=1, le=10_000)
        steps_per_epoch: int | None = Field(None, ge=1, description="default: edges / N_e, at most 100")
        lr: float = Field(1e-3, gt=0, le=1)
        weight_decay: float = Field(1e-4, ge=0)
        temperature: float = Field(0.1, gt=0, le=10)
        seed: int = 0

    params: Params
    step = InformationGraphStep

    @classmethod
    def examples(cls) -> list[Encoder]:
        return [cls(epochs=1, width=4, embed_dim=8, edges_per_batch=16)]

    def _rows(self, X: Any) -> np.ndarray:
        arr = X.toarray() if hasattr(X, "tocsr") else X
        return np.asarray(check_features(arr), dtype=np.float32)

    def _fitted_rows(self, X: Any) -> np.ndarray:
        """`X` as float32 rows of the fitted input length (DataError otherwise)."""
        self.check_fitted()
        data = self._rows(X)
        if data.shape[1] != self.input_length_:
            raise DataError(
                f"X rows have {data.shape[1]} samples but the model was fitted on {self.input_length_}"
            )
        return data

    def _labels(self, y: Any, n: int) -> np.ndarray | None:
        if y is None:
            return None
        labels = np.asarray(y)
        if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
            raise DataError(
                f"y must be ({n},) integers with -1 = unlabelled, got {labels.dtype} {labels.shape}"
            )
        if labels.min() < -1:
            raise DataError("y has values below -1; classes are 0..K-1 and -1 marks unlabelled rows")
        return labels.astype(np.int64)

    def fit(
        self, X: Any, y: np.ndarray | None = None, *, groups: np.ndarray | None = None, segments: Any = None
    ) -> Self:
        """Train on waveform rows `X` (n, T); `y` annotations (-1 = none); `segments` the table
        of station, channel, start, end per row (the system context). `groups` is not used."""
        data = self._rows(X)
        labels = self._labels(y, len(data))
        p = self.params
        n_classes = 0 if labels is None or (labels < 0).all() else int(labels.max()) + 1
        nn = _nn()
        if p.objective == "cross-entropy":
            if labels is None or n_classes < 2:
                raise DataError("objective 'cross-entropy' needs y with at least two classes annotated")
            net = nn.build(p.n_fft, p.hop, p.width, n_classes, p.seed)
            self.loss_history_ = nn.train_supervised(
                net,
                data,
                labels,
                epochs=p.epochs,
                batch_size=p.batch_size,
                lr=p.lr,
                weight_decay=p.weight_decay,
                seed=p.seed,
                progress=self._progress,
            )
        else:
            context = np.zeros((0, 2), dtype=np.int64)
            if segments is not None:
                context = context_edges(as_segments(segments, len(data)))
            sampler = GraphSampler(
                len(data),
                context,
                labels,
                n_classes,
                edges_per_batch=p.edges_per_batch,
                subgraph=p.batch_graph,
                seed=p.seed,
            )
            net = nn.build(p.n_fft, p.hop, p.width, p.embed_dim, p.seed)
            steps = p.steps_per_epoch or min(100, max(1, sampler.n_edges // p.edges_per_batch))
            if sampler.n_edges == 0:
                _log.warning(
                    "information-graph: no segments and no labels, so no edges; the encoder is untrained"
                )
                self.loss_history_ = []
            else:
                self.loss_history_ = nn.train_contrastive(
                    net,
                    data,
                    sampler,
                    anchors=self._anchors(n_classes),
                    epochs=p.epochs,
                    steps_per_epoch=steps,
                    lr=p.lr,
                    weight_decay=p.weight_decay,
                    temperature=p.temperature,
                    seed=p.seed,
                    progress=self._progress,
                )
            self.n_context_edges_ = int(len(context))
        net.eval()
        self.module_ = net
        self.input_length_ = int(data.shape[1])
        self.head_out_ = int(net.head[-1].out_features)
        return self

    def _progress(self, it: Any) -> Any:
        return track(it, total=self.params.epochs, desc="information-graph epochs")

    def _anchors(self, n_classes: int) -> np.ndarray | None:
        """The anchor strategy's fixed L2-normalised Gaussian class vectors (seeded)."""
        if self.params.annotations == "links" or n_classes == 0:
            return None
        vectors = np.random.default_rng(self.params.seed + 7919).standard_normal(
            (n_classes, self.params.embed_dim)
        )
        return np.asarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True), dtype=np.float32)

    def encode(self, X: Any) -> np.ndarray:
        """(n, 4 * width) float32 encoder features."""
        data = self._fitted_rows(X)  # checks fitted before module_ is read
        return cast(np.ndarray, _nn().encode(self.module_, data))

    def embed(self, X: Any) -> np.ndarray:
        """(n, head output) float32: the L2-normalised head output (contrastive embedding, or
        the cross-entropy model's class logits normalised), the space the loss acts on."""
        data = self._fitted_rows(X)  # checks fitted before module_ is read
        return cast(np.ndarray, _nn().embed(self.module_, data))

    def save(self, path: str | Path) -> Path:
        """Write params and the network's state dict to a safetensors file (no pickle)."""
        return save_module(
            self, self.module_, path, {"input_length_": self.input_length_, "head_out_": self.head_out_}
        )

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a file written by `save` into a fitted instance."""
        plugin, state, scalars = read_module(cls, path)
        p = plugin.params
        plugin.module_ = restore(_nn().build(p.n_fft, p.hop, p.width, scalars["head_out_"]), state)
        plugin.input_length_, plugin.head_out_ = scalars["input_length_"], scalars["head_out_"]
        return plugin
