"""`classifiers/concept-model`: a decision classifier that explains itself with concepts
(Sousa Ferreira et al., ICLR 2021 WeaSuL workshop, "Weakly supervised multi-task learning for
concept-based explainability").

Shared hidden layers -> explainability layer (k sigmoid concepts) -> decision layer (softmax
over a linear map of the concept outputs), trained on lambda * L_D + (1 - lambda) * L_E with
absent concept labels masked out. Concept labels are (n, k) int matrices, 1 present, 0 absent,
-1 not labelled: `concepts` the noisy ones of distant supervision (`weasul_concepts.rules`),
`golden` the few human ones. The strategies of the paper (Fig. 1):

- `baseline`: golden concept labels only: trains on the rows that have a golden annotation
  (every row when no golden matrix is given, then on the decision alone);
- `noisy`: every row with its noisy concept labels (the two-stage pre-training on its own);
- `two-stage`: that pre-training, then the hidden layers are frozen and the explainability and
  decision layers fine-tuned on the golden rows (`fine_tune: golden`) or on hybrid batches
  (`fine_tune: hybrid`);
- `hybrid`: from scratch on batches that are `golden_fraction` golden rows, the rest noisy.

This module imports no torch: the network lives in `weasul_concepts._nn`, loaded on first fit or
load; a fitted model is saved as its state dict in safetensors (`weasul.torch_state`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import Field
from weasul.errors import DataError
from weasul.interfaces import Classifier
from weasul.lazy import require
from weasul.params import WeasulParams
from weasul.torch_state import read_module, restore, save_module
from weasul.validation import check_features, check_labels, check_probs

from weasul_concepts.steps import ConceptModelStep

if TYPE_CHECKING:
    from typing import Self

__all__ = ["ConceptModel", "check_concept_labels"]

_log = logging.getLogger(__name__)

Strategy = Literal["baseline", "noisy", "two-stage", "hybrid"]


def _nn() -> Any:
    return require("weasul_concepts._nn", extra="torch", distribution="weasul-concepts")


def check_concept_labels(C: Any, *, n_items: int, n_concepts: int | None, name: str) -> np.ndarray:
    """(n, k) int64 concept labels with values 1, 0 or -1 (not labelled); DataError otherwise."""
    arr = np.asarray(C)
    if arr.ndim != 2 or arr.shape[0] != n_items or arr.shape[1] == 0:
        raise DataError(f"{name} must be (n_items={n_items}, n_concepts), got shape {arr.shape}")
    if n_concepts is not None and arr.shape[1] != n_concepts:
        raise DataError(f"{name} has {arr.shape[1]} concept columns; the model has n_concepts={n_concepts}")
    if not np.issubdtype(arr.dtype, np.number) or not np.isin(arr, (-1, 0, 1)).all():
        raise DataError(f"{name} may hold only 1 (present), 0 (absent) and -1 (not labelled)")
    return arr.astype(np.int64)


def _decision_targets(targets: Any, n_items: int, n_classes: int | None) -> np.ndarray:
    """(n, K) float targets from labels (n,) or probabilities (n, K)."""
    arr = np.asarray(targets)
    if arr.ndim == 2:
        return np.asarray(
            check_probs(arr, n_items=n_items, n_classes=n_classes, name="targets"), dtype=np.float32
        )
    y = check_labels(arr, n_classes=n_classes, n_items=n_items, name="targets")
    k = n_classes or max(2, int(y.max()) + 1)
    return np.asarray(np.eye(k, dtype=np.float32)[y])


class ConceptModel(Classifier):
    """Concept-based explainable classifier (paper Fig. 2): hidden layers -> k sigmoid concepts
    -> softmax decision; baseline, noisy, two-stage or hybrid training on noisy and golden
    concept labels; `explain(X)` gives the concept scores."""

    class Params(WeasulParams):
        n_classes: int | None = Field(None, ge=2, le=1000, description="K; from the targets when omitted")
        n_concepts: int | None = Field(
            None,
            ge=1,
            le=1000,
            description="k; default the columns of the concept labels (needed without any)",
        )
        concept_names: list[str] | None = Field(None, description="names of the k concepts, for reports")
        hidden: list[int] = Field(default_factory=lambda: [64, 32], description="shared hidden layer sizes")
        dropout: float = Field(0.0, ge=0, lt=1)
        decision_weight: float = Field(
            0.5, ge=0, le=1, description="lambda of Eq. 1: weight of L_D, 1 - lambda of L_E"
        )
        strategy: Strategy = Field(
            "baseline", description="baseline, noisy, two-stage or hybrid (paper Fig. 1)"
        )
        fine_tune: Literal["golden", "hybrid"] = Field(
            "golden", description="two-stage: batches of the fine-tuning"
        )
        golden_fraction: float = Field(0.1, gt=0, lt=1, description="share of golden rows in a hybrid batch")
        noisy_weight: float = Field(
            1.0,
            gt=0,
            le=1,
            description="hybrid batches: weight of a noisy concept label in L_E against a golden one (1)",
        )
        freeze_hidden: bool = Field(
            True, description="two-stage: fine-tune only the concept and decision layers (the paper)"
        )
        epochs: int = Field(
            10, ge=1, le=100_000, description="passes over the training rows (hybrid: the noisy ones)"
        )
        batch_size: int = Field(256, ge=2, le=1_000_000)
        lr: float = Field(1e-3, gt=0, le=1)
        weight_decay: float = Field(1e-5, ge=0)
        finetune_epochs: int = Field(50, ge=1, le=100_000, description="two-stage: passes of the fine-tuning")
        finetune_lr: float = Field(1e-3, gt=0, le=1)
        finetune_batch_size: int = Field(
            64, ge=2, le=1_000_000, description="two-stage: batch size of the fine-tuning"
        )
        seed: int = 0
        num_threads: int | None = Field(None, ge=1, le=1024, description="torch threads while training")

    params: Params
    module_: Any  # the fitted ConceptNet (torch), set by fit and load
    persistable: ClassVar[bool] = True
    step = ConceptModelStep

    @classmethod
    def examples(cls) -> list[ConceptModel]:
        # the kit's sample label matrices, which its step check passes as concept labels, have 5 columns
        return [cls(n_concepts=5, hidden=[16], epochs=40, batch_size=32)]

    # --- fitting -------------------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        targets: np.ndarray,
        *,
        concepts: Any = None,
        golden: Any = None,
        pretrained: ConceptModel | None = None,
    ) -> Self:
        """Train on features X (n, d), decision labels (n,) or probabilities (n, K) and the
        concept labels: `concepts` noisy, `golden` human (both (n, k): 1, 0, -1 = not labelled).
        `pretrained` (two-stage only): a fitted `noisy` model of the same sizes to fine-tune a copy
        of instead of pre-training again (the paper fine-tunes chosen base models, Sec. 4.2).

        Raises:
            DataError: bad features, targets or concept labels, a strategy without the labels
                it needs (noisy for `noisy`; noisy and golden for `two-stage` and `hybrid`), or a
                `pretrained` model that does not fit.
        """
        p = self.params
        x = check_features(X)
        n = len(x)
        T = _decision_targets(targets, n, p.n_classes)
        k = p.n_concepts
        noisy = (
            None
            if concepts is None
            else check_concept_labels(concepts, n_items=n, n_concepts=k, name="concepts")
        )
        k = k or (None if noisy is None else noisy.shape[1])
        gold = (
            None if golden is None else check_concept_labels(golden, n_items=n, n_concepts=k, name="golden")
        )
        k = k or (None if gold is None else gold.shape[1])
        if k is None:
            raise DataError("no concept labels given: set n_concepts to train on the decision alone")
        if p.concept_names is not None and len(p.concept_names) != k:
            raise DataError(f"concept_names has {len(p.concept_names)} names for {k} concepts")
        needs = {
            "noisy": ("concepts",),
            "two-stage": ("concepts", "golden"),
            "hybrid": ("concepts", "golden"),
        }
        given = {"concepts": noisy, "golden": gold}
        missing = [m for m in needs.get(p.strategy, ()) if given[m] is None]
        if missing:
            raise DataError(f"strategy '{p.strategy}' needs the concept labels {missing}")
        golden_rows = np.arange(n) if gold is None else np.flatnonzero((gold >= 0).any(axis=1))
        if p.strategy != "noisy" and gold is not None and len(golden_rows) == 0:
            raise DataError("golden has no labelled row (every entry is -1)")

        if pretrained is not None:
            self._check_pretrained(pretrained, x.shape[1], k, T.shape[1])
        nn = _nn()
        torch = require("torch", extra="torch", distribution="weasul-concepts")
        threads = torch.get_num_threads()
        if p.num_threads is not None:
            torch.set_num_threads(p.num_threads)
        try:
            with torch.random.fork_rng():  # seeded inside; the caller's torch RNG is untouched
                net = nn.build(x.shape[1], p.hidden, k, T.shape[1], p.dropout, p.seed)
                if pretrained is not None:
                    net.load_state_dict(pretrained.module_.state_dict())
                rng = np.random.default_rng(p.seed)
                history = self._train(nn, net, x, T, noisy, gold, golden_rows, k, rng, pretrained)
        finally:
            torch.set_num_threads(threads)
        self.module_ = net
        self.n_features_ = int(x.shape[1])
        self.n_concepts_ = int(k)
        self.n_classes_ = int(T.shape[1])
        self.history_ = history
        return self

    def _train(
        self,
        nn: Any,
        net: Any,
        x: np.ndarray,
        T: np.ndarray,
        noisy: np.ndarray | None,
        gold: np.ndarray | None,
        golden_rows: np.ndarray,
        k: int,
        rng: np.random.Generator,
        pretrained: ConceptModel | None = None,
    ) -> dict[str, Any]:
        p = self.params
        n = len(x)
        none = np.full((n, k), -1, dtype=np.int64)
        # per-entry weight of L_E: golden entries 1, noisy ones noisy_weight (only mixed labels differ)
        weight = np.ones(n, dtype=np.float32)
        if gold is not None and noisy is not None:
            weight[:] = p.noisy_weight
            weight[golden_rows] = 1.0

        def run(
            labels: np.ndarray, batches: Any, lr: float, seed: int, mixed_rows: bool = False
        ) -> dict[str, list[float]]:
            mask = (labels >= 0).astype(np.float32)
            if mixed_rows:
                mask *= weight[:, None]
            target = np.clip(labels, 0, 1).astype(np.float32)
            return dict(
                nn.train(
                    net,
                    x,
                    T,
                    target,
                    mask,
                    batches,
                    decision_weight=p.decision_weight,
                    lr=lr,
                    weight_decay=p.weight_decay,
                    seed=seed,
                )
            )

        def mixed() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            assert noisy is not None and gold is not None
            labels = noisy.copy()
            labels[golden_rows] = gold[golden_rows]
            others = np.setdiff1d(np.arange(n), golden_rows)
            if len(others) == 0:
                raise DataError("hybrid batches need rows without a golden annotation (noisy rows)")
            return labels, golden_rows, others

        B = p.batch_size
        if p.strategy == "baseline":
            labels = none if gold is None else gold
            _log.info("baseline: %d golden rows, %d epochs", len(golden_rows), p.epochs)
            return {"train": run(labels, nn.plain_batches(golden_rows, B, p.epochs, rng), p.lr, p.seed)}
        if p.strategy == "hybrid":
            labels, g, others = mixed()
            _log.info(
                "hybrid: %d golden + %d noisy rows, %.0f%% golden per batch",
                len(g),
                len(others),
                100 * p.golden_fraction,
            )
            batches = nn.hybrid_batches(g, others, B, p.golden_fraction, p.epochs, rng)
            return {"train": run(labels, batches, p.lr, p.seed, mixed_rows=True)}
        assert noisy is not None
        if pretrained is not None:
            _log.info("%s: fine-tuning a copy of a pre-trained model", p.strategy)
            pre = dict(getattr(pretrained, "history_", {}).get("train", {}))
            for _ in range(pretrained.params.epochs):  # the shuffles pre-training drew: same batches
                rng.permutation(n)  # after it as in one call
        else:
            _log.info("%s: pre-training on %d rows with noisy concept labels", p.strategy, n)
            pre = run(noisy, nn.plain_batches(np.arange(n), B, p.epochs, rng), p.lr, p.seed)
        if p.strategy == "noisy":
            return {"train": pre}
        if p.freeze_hidden:
            nn.freeze_hidden(net)
        if p.fine_tune == "golden":
            assert gold is not None
            batches = nn.plain_batches(golden_rows, p.finetune_batch_size, p.finetune_epochs, rng)
            tuned = run(gold, batches, p.finetune_lr, p.seed + 1)
        else:
            labels, g, others = mixed()
            batches = nn.hybrid_batches(
                g, others, p.finetune_batch_size, p.golden_fraction, p.finetune_epochs, rng
            )
            tuned = run(labels, batches, p.finetune_lr, p.seed + 1, mixed_rows=True)
        return {"pretrain": pre, "fine_tune": tuned}

    def _check_pretrained(self, base: ConceptModel, n_features: int, k: int, n_classes: int) -> None:
        p = self.params
        if p.strategy != "two-stage":
            raise DataError(f"a pretrained model is fine-tuned by strategy 'two-stage', not '{p.strategy}'")
        if not isinstance(base, ConceptModel) or base.params.strategy != "noisy":
            raise DataError("pretrained must be a ConceptModel fitted with strategy 'noisy'")
        base.check_fitted()
        ours = (n_features, list(p.hidden), k, n_classes, p.dropout)
        theirs = (
            base.n_features_,
            list(base.params.hidden),
            base.n_concepts_,
            base.n_classes_,
            base.params.dropout,
        )
        if ours != theirs:
            raise DataError(
                f"pretrained model has (features, hidden, concepts, classes, dropout) {theirs}; this one {ours}"
            )

    # --- outputs -------------------------------------------------------------------------------
    def _outputs(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        self.check_fitted()
        x = check_features(X)
        if x.shape[1] != self.n_features_:
            raise DataError(f"X has {x.shape[1]} features; the model was fitted on {self.n_features_}")
        concepts, decision = _nn().predict(self.module_, x)
        return np.asarray(concepts), np.asarray(decision)

    def predict_proba(self, X: Any) -> np.ndarray:
        """(n, K) decision probabilities, rows summing to 1."""
        return self._outputs(X)[1]

    def explain(self, X: Any) -> np.ndarray:
        """(n, k) concept scores in [0, 1] (the explainability layer's sigmoid outputs)."""
        return self._outputs(X)[0]

    def concept_names(self) -> list[str]:
        """The names of the k concepts (`concept_names`, else c0, c1, ...)."""
        self.check_fitted()
        return list(self.params.concept_names or [f"c{i}" for i in range(self.n_concepts_)])

    # --- persistence -----------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Params, sizes and the network's state dict in one safetensors file (no pickle)."""
        scalars = {
            "n_features": self.n_features_,
            "n_concepts": self.n_concepts_,
            "n_classes": self.n_classes_,
        }
        return save_module(self, self.module_, path, scalars)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """A fitted model from a file written by `save`; its outputs are identical."""
        model, state, scalars = read_module(cls, path)
        p = model.params
        net = _nn().build(
            scalars["n_features"], p.hidden, scalars["n_concepts"], scalars["n_classes"], p.dropout, p.seed
        )
        model.module_ = restore(net, state)
        model.n_features_ = int(scalars["n_features"])
        model.n_concepts_ = int(scalars["n_concepts"])
        model.n_classes_ = int(scalars["n_classes"])
        return model
