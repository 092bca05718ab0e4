"""The heavy half of the sentence encoder: transformers + torch, imported on first use."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer
from weasul.progress import track

__all__ = ["load", "embed", "threads", "quiet_loading"]


def load(path: str | Path) -> tuple[Any, Any]:
    """Tokenizer and model from a local folder; never looks anything up online."""
    key = str(Path(path).resolve())
    if key not in _LOADED:
        with quiet_loading():
            tokenizer = AutoTokenizer.from_pretrained(key, local_files_only=True)
            model = AutoModel.from_pretrained(key, local_files_only=True)
        _LOADED[key] = (tokenizer, model.float().eval())  # float32 even from half-precision files
    return _LOADED[key]


#: Loaded (tokenizer, model) per model folder, shared by every encoder instance (inference only).
_LOADED: dict[str, tuple[Any, Any]] = {}


@contextlib.contextmanager
def quiet_loading() -> Iterator[None]:
    """Hide transformers' weight-loading progress bar (restored afterwards)."""
    from transformers.utils import logging as hf_logging

    was = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        if was:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Run torch with `n` intra-op threads (0 = leave as is), restoring the old setting after."""
    if n <= 0:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def embed(
    tokenizer: Any,
    model: Any,
    texts: list[str],
    *,
    batch_size: int,
    max_length: int,
    normalize: bool,
    n_threads: int,
) -> np.ndarray:
    """(n, d) float32 mean-pooled (and L2-normalised) token embeddings.

    Texts are batched by length (less padding, same result per text) and returned in input order.
    """
    order = np.argsort([len(t) for t in texts], kind="stable")
    out = np.empty((len(texts), model.config.hidden_size), dtype=np.float32)
    starts = range(0, len(texts), batch_size)
    with threads(n_threads), torch.inference_mode():
        for start in track(starts, total=len(starts), desc="embedding sentences"):
            idx = order[start : start + batch_size]
            batch = tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            if normalize:
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            out[idx] = pooled.float().numpy()
    return out
