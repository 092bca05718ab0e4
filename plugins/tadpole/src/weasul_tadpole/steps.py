"""How TADPOLE runs as spec steps: filtering a general corpus, and encoding on the executor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import Field
from weasul.params import WeasulParams
from weasul.steps import (
    EncoderStep,
    InputSpec,
    Splitwise,
    Step,
    StepContext,
    StepOutput,
    StepParams,
    fit_split,
)
from weasul.validation import check_features

if TYPE_CHECKING:
    from weasul.interfaces import Encoder

    from weasul_tadpole.tadpole import TadpoleScorer

__all__ = ["PartitionedEncoderStep", "TadpoleStep", "TadpoleStepParams"]


class TadpoleStepParams(StepParams):
    """How the filtered corpus is written and how scoring is chunked."""

    corpus_format: Literal["text", "parquet"] = "parquet"
    chunk_size: int = Field(8192, ge=1, description="rows per scoring chunk / Dask partition")


class TadpoleStep(Step["TadpoleScorer"]):
    """Rank and fit on the task data, then score, weight and filter every split of `general`."""

    Params: ClassVar[type[WeasulParams]] = TadpoleStepParams
    params: TadpoleStepParams
    inputs: ClassVar[dict[str, InputSpec]] = {
        "X": InputSpec(("features",), doc="task (in-domain) sentence embeddings; fit on the fit_on split"),
        "general": InputSpec(("features",), doc="general-corpus sentence embeddings to score and filter"),
        "text": InputSpec(("text",), required=False, doc="the general corpus' sentences, to write the corpus"),
    }
    outputs: ClassVar[dict[str, str]] = {
        "scores": "scores",
        "weights": "scores",
        "selected": "indices",
        "ranking": "table",
        "model": "model",
    }

    def run(self, plugin: TadpoleScorer, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        import pandas as pd

        from weasul_tadpole.streaming import score_rows
        from weasul_tadpole.weights import write_corpus

        general = inputs["general"]
        plugin.fit(fit_split(inputs["X"], ctx, "X"), general=fit_split(general, ctx, "general"))
        texts = inputs.get("text") or {}
        scores: dict[str, np.ndarray] = {}
        weights: dict[str, np.ndarray] = {}
        selected: dict[str, np.ndarray] = {}
        metrics: dict[str, Any] = {}
        for split, G in general.items():
            s = score_rows(
                check_features(G, name=f"general.{split}"),
                plugin,
                chunk_size=self.params.chunk_size,
                executor=ctx.executor,
            )
            w = plugin.relevance(s)
            scores[split], weights[split] = s, w
            selected[split] = np.flatnonzero(w >= 0.5)
            metrics[split] = {"kept_share": float(selected[split].size / s.size), "mean_weight": float(w.mean())}
            if split in texts:
                suffix = "parquet" if self.params.corpus_format == "parquet" else "txt"
                path = write_corpus(
                    list(texts[split]),
                    w >= 0.5,
                    ctx.out_dir / f"corpus-{split}.{suffix}",
                    weights=w,
                    scores=s,
                    format=self.params.corpus_format,
                )
                metrics[split]["corpus"] = str(path)
        metrics["detector"] = plugin.detector_name_
        metrics["ranking"] = plugin.ranking_
        table = {ctx.fit_on: pd.DataFrame(plugin.ranking_)}
        return StepOutput(
            {"scores": scores, "weights": weights, "selected": selected, "ranking": table, "model": plugin},
            metrics,
        )


class PartitionedEncoderStep(EncoderStep):
    """The encoder step, encoding partition-wise on the spec's executor (Dask) when it has one."""

    def encode_all(self, plugin: Encoder, X: Splitwise, ctx: StepContext) -> dict[str, np.ndarray]:
        from weasul_tadpole.encoder import SentenceMiniLM

        if not isinstance(plugin, SentenceMiniLM):
            return super().encode_all(plugin, X, ctx)
        return {split: plugin.encode_partitioned(v, ctx.executor) for split, v in X.items()}
