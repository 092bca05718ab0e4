"""How TADPOLE runs as spec steps: filtering a general corpus, and encoding on the executor."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
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
    from weasul.report import ReportSection, Table

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

    def report(self, step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path) -> list[ReportSection]:
        """The detector ranking (chosen one highlighted, F1/AUC chart) and the kept share per split."""
        from weasul.report import Headline, ReportSection, Table, bar_chart, records_table

        ranking = [r for r in metrics.get("ranking") or [] if isinstance(r, Mapping)]
        chosen = metrics.get("detector")
        ranked = [r for r in ranking if "f1" in r]
        failed = [r for r in ranking if "f1" not in r]
        columns = ["detector", "paper_name", "f1", "f1_std", "auc", "auc_std", "fit_s", "score_s"]
        tables = [
            records_table(
                ranked,
                columns=[c for c in columns if any(c in r for r in ranked)],
                caption="held-out F1 and AUC per detector on the task data (mean and std over repeats)",
                highlight=[i for i, r in enumerate(ranked) if r.get("detector") == chosen],
            )
        ]
        if failed:
            tables.append(records_table(failed, columns=["detector", "error"], caption="left out of the ranking"))
        splits = {s: v for s, v in metrics.items() if isinstance(v, Mapping) and "kept_share" in v}
        if splits:
            rows = [[s, v.get("kept_share"), v.get("mean_weight"), v.get("corpus")] for s, v in splits.items()]
            tables.append(Table(["split", "kept share", "mean weight", "corpus file"], rows, "the filtered corpus"))
        figures = []
        if ranked:
            figures.append(
                bar_chart(
                    [str(r["detector"]) for r in ranked],
                    {"F1": [r.get("f1") for r in ranked], "AUC": [r.get("auc") for r in ranked]},
                    title="Detector ranking",
                    value_label="held-out score on the task data",
                )
            )
        tables += _kept_and_dropped(artifacts_dir)
        best = next((r for r in ranked if r.get("detector") == chosen), None)
        detail = f"F1 {_fmt_pair(best, 'f1')}, AUC {_fmt_pair(best, 'auc')}" if best else ""
        return [
            ReportSection(
                "Detector ranking",
                f"TADPOLE chose {chosen} and kept the general-corpus items whose relevance weight is at least 0.5.",
                tables,
                figures,
                Headline("chosen detector", chosen, detail) if chosen else None,
            )
        ]


def _kept_and_dropped(artifacts_dir: Path, n: int = 5) -> list[Table]:
    """Per general-corpus split, the `n` sentences scored most and least like the task data
    (the step's `scores`, lower = more like it, and `weights` beside its `text` input); none
    without the texts."""
    from weasul.report import Table, read_artifacts, step_input

    scores, weights = read_artifacts(artifacts_dir, "scores"), read_artifacts(artifacts_dir, "weights")
    texts = step_input(artifacts_dir, "text")
    tables = []
    for split, score in scores.items():
        text, w = texts.get(split), weights.get(split)
        if text is None or w is None or not len(text) == len(score) == len(w):
            continue
        order = np.argsort(np.asarray(score), kind="stable")
        picks = [*order[:n], *order[-n:]] if len(order) > 2 * n else list(order)
        rows = [
            [int(i), _line(text[i]), float(score[i]), float(w[i]), bool(w[i] >= 0.5)]
            for i in picks
        ]
        caption = f"{split}: the {n} sentences scored most and the {n} least like the task data"
        tables.append(Table(["item", "text", "anomaly score", "weight", "kept"], rows, caption))
    return tables


def _line(text: Any, most: int = 200) -> str:
    """One line of at most `most` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= most else line[: most - 1] + "…"


def _fmt_pair(row: Mapping[str, Any], key: str) -> str:
    """`row[key]` formatted, with its std when the row has one: `0.854 ± 0.139`."""
    from weasul.report import fmt

    std = row.get(f"{key}_std")
    return fmt(row.get(key)) + (f" ± {fmt(std)}" if std is not None else "")


class PartitionedEncoderStep(EncoderStep):
    """The encoder step, encoding partition-wise on the spec's executor (Dask) when it has one."""

    def encode_all(self, plugin: Encoder, X: Splitwise, ctx: StepContext) -> dict[str, np.ndarray]:
        from weasul_tadpole.encoder import SentenceMiniLM

        if not isinstance(plugin, SentenceMiniLM):
            return super().encode_all(plugin, X, ctx)
        return {split: plugin.encode_partitioned(v, ctx.executor) for split, v in X.items()}
