"""Weighted continued masked-language-model pretraining of MiniLM (torch, imported on first use).

The paper's weighted loss (Eq. 1): each sampled sentence `x` contributes `lambda(x) * l_MLM(x)`,
with `l_MLM(x)` the mean cross-entropy over its masked tokens; a batch's loss is the sum over
its sentences divided by the batch size, so low-weight sentences move the model little.
Logits are computed only at masked positions (the vocabulary projection is most of the cost).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from weasul.progress import track

from weasul_tadpole._minilm import quiet_loading, threads

__all__ = ["MLM", "load_mlm"]

_log = logging.getLogger(__name__)


def load_mlm(path: str | Path) -> tuple[Any, Any]:
    """Tokenizer and a BertForMaskedLM from a local folder (the MLM head is new when the folder has none)."""
    from transformers import AutoTokenizer, BertForMaskedLM
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]  # "newly initialized cls.predictions.*" is expected here
    try:
        with quiet_loading():
            tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            model = BertForMaskedLM.from_pretrained(str(path), local_files_only=True)
    finally:
        hf_logging.set_verbosity(level)
    return tokenizer, model


class MLM:
    """A masked LM with sentence-weighted training and fixed-mask evaluation."""

    def __init__(
        self,
        tokenizer: Any,
        model: Any,
        *,
        max_length: int = 64,
        mask_prob: float = 0.15,
        n_threads: int = 1,
        device: str = "cpu",
    ) -> None:
        self.tokenizer, self.model = tokenizer, model.float().to(device)
        self.max_length, self.mask_prob, self.n_threads = max_length, mask_prob, n_threads
        self.device = torch.device(device)
        self.special = torch.tensor(sorted(set(tokenizer.all_special_ids)), dtype=torch.long)

    # --- data ------------------------------------------------------------------------------
    def tokenize(self, texts: list[str]) -> list[np.ndarray]:
        enc = self.tokenizer(texts, truncation=True, max_length=self.max_length)
        return [np.asarray(ids, dtype=np.int64) for ids in enc["input_ids"]]

    def _collate(self, seqs: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        T = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), T), self.tokenizer.pad_token_id, dtype=torch.long)
        attn = torch.zeros((len(seqs), T), dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.from_numpy(s)
            attn[i, : len(s)] = 1
        return ids, attn

    def _mask(
        self, ids: torch.Tensor, attn: torch.Tensor, gen: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """BERT masking: 15% of real tokens; of those 80% [MASK], 10% random, 10% kept."""
        candidates = attn.bool() & ~torch.isin(ids, self.special)
        u = torch.rand(ids.shape, generator=gen)
        masked = (u < self.mask_prob) & candidates
        # every sentence gets at least one masked token (its lowest-u candidate)
        none = ~masked.any(dim=1) & candidates.any(dim=1)
        if none.any():
            first = torch.where(candidates, u, torch.full_like(u, 2.0)).argmin(dim=1)
            masked[none.nonzero(as_tuple=True)[0], first[none]] = True
        labels = torch.where(masked, ids, torch.full_like(ids, -100))
        v = torch.rand(ids.shape, generator=gen)
        inputs = ids.clone()
        inputs[masked & (v < 0.8)] = self.tokenizer.mask_token_id
        rand_pos = masked & (v >= 0.8) & (v < 0.9)
        inputs[rand_pos] = torch.randint(len(self.tokenizer), ids.shape, generator=gen)[rand_pos]
        return inputs, labels

    def _example_losses(
        self, inputs: torch.Tensor, attn: torch.Tensor, labels: torch.Tensor, *, frozen_encoder: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B,) mean cross-entropy over each sentence's masked tokens, and (B,) masked counts."""
        inputs, attn, labels = inputs.to(self.device), attn.to(self.device), labels.to(self.device)
        with torch.set_grad_enabled(torch.is_grad_enabled() and not frozen_encoder):
            hidden = self.model.bert(input_ids=inputs, attention_mask=attn).last_hidden_state
        sel = labels != -100
        logits = self.model.cls(hidden[sel])
        ce = F.cross_entropy(logits, labels[sel], reduction="none")
        rows = sel.nonzero(as_tuple=True)[0]
        total = torch.zeros(inputs.shape[0], dtype=ce.dtype, device=ce.device).index_add(0, rows, ce)
        counts = sel.sum(dim=1).clamp(min=1)
        return total / counts, counts

    # --- training and evaluation ------------------------------------------------------------
    def train(
        self,
        seqs: list[np.ndarray],
        weights: np.ndarray | None = None,
        *,
        steps: int,
        batch_size: int = 16,
        lr: float = 1e-4,
        warmup: float = 0.06,
        seed: int = 0,
        head_only: bool = False,
    ) -> list[float]:
        """`steps` AdamW steps on batches drawn uniformly (with replacement) from `seqs`.

        `weights` (len(seqs),) scale each sentence's loss (the paper's lambda); none = 1.
        Returns the weighted batch losses.
        """
        if not seqs:
            raise ValueError("no training sentences")
        w_all = None if weights is None else torch.as_tensor(np.asarray(weights, dtype=np.float32))
        rng = np.random.default_rng(seed)
        gen = torch.Generator().manual_seed(seed)
        if head_only:  # the head's transform and output bias; the decoder is tied to the input embeddings
            head = self.model.cls.predictions
            params = [*head.transform.parameters(), head.bias]
        else:
            params = [p for p in self.model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
        n_warm = max(1, int(warmup * steps))
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda t: min((t + 1) / n_warm, max(0.0, (steps - t) / max(1, steps - n_warm)))
        )
        self.model.train()
        losses = []
        with threads(self.n_threads):
            for _ in track(range(steps), total=steps, desc="MLM steps"):
                idx = rng.integers(0, len(seqs), batch_size)
                ids, attn = self._collate([seqs[i] for i in idx])
                inputs, labels = self._mask(ids, attn, gen)
                per, _ = self._example_losses(inputs, attn, labels, frozen_encoder=head_only)
                w = torch.ones(batch_size) if w_all is None else w_all[torch.from_numpy(idx)]
                w = w.to(self.device)
                loss = (w * per).sum() / batch_size
                opt.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
                sched.step()
                losses.append(float(loss.detach()))
        self.model.eval()
        return losses

    @torch.inference_mode()
    def evaluate(self, seqs: list[np.ndarray], *, seed: int = 1234, batch_size: int = 64) -> float:
        """Mean cross-entropy per masked token on `seqs`, with masks fixed by `seed` (same for every model)."""
        gen = torch.Generator().manual_seed(seed)
        self.model.eval()
        total, count = 0.0, 0
        with threads(self.n_threads):
            for start in range(0, len(seqs), batch_size):
                ids, attn = self._collate(seqs[start : start + batch_size])
                inputs, labels = self._mask(ids, attn, gen)
                per, counts = self._example_losses(inputs, attn, labels)
                total += float((per * counts).sum())
                count += int(counts.sum())
        return total / max(count, 1)

    def state(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def restore(self, state: dict[str, torch.Tensor]) -> None:
        self.model.load_state_dict(state)


def perplexity(loss: float) -> float:
    return math.exp(loss)
