"""A small BERT trained from scratch on CPU: WordPiece vocabulary, MLM model, packed instances.

Why from scratch (not MiniLM): MiniLM ships no MLM head, so "the base model's pre-training
steps" would be undefined and its head a fresh guess. A 2-4 layer BERT trained here on the
shared general corpus has a real tied-embedding MLM head and a known number of base steps, so
"continue for a share of the base steps" means what the paper means. Torch and transformers
are imported on first use (this module is only imported by the experiment and its tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

__all__ = ["SPECIALS", "train_wordpiece", "new_mlm", "pack", "embed"]

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def train_wordpiece(texts: Sequence[str], *, vocab_size: int = 8000, min_frequency: int = 2) -> Any:
    """A lower-casing BERT WordPiece tokenizer trained on `texts` (a transformers fast tokenizer)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=SPECIALS, show_progress=False
    )
    tok.train_from_iterator(list(texts), trainer=trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    tok.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )


def new_mlm(
    vocab_size: int,
    *,
    layers: int = 2,
    hidden: int = 128,
    heads: int = 2,
    max_length: int = 128,
    seed: int = 0,
) -> Any:
    """A freshly initialised BertForMaskedLM (output decoder tied to the input embeddings)."""
    from transformers import BertConfig, BertForMaskedLM

    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=4 * hidden,
        max_position_embeddings=max_length,
        type_vocab_size=1,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    return BertForMaskedLM(config).float().eval()  # type: ignore[no-untyped-call]


def pack(tokenizer: Any, segments: Sequence[Sequence[str]], *, max_length: int = 128) -> list[np.ndarray]:
    """Training instances: consecutive sentences of each segment concatenated up to `max_length`
    tokens as `[CLS] s_i s_i+1 ... [SEP]`. Sentences of different segments are never joined
    (the reason the paper selects segments, not sentences); a sentence longer than an instance
    is cut."""
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    room = max_length - 2
    flat = [s for seg in segments for s in seg]
    ids = tokenizer(flat, add_special_tokens=False)["input_ids"] if flat else []
    out: list[np.ndarray] = []
    k = 0
    for seg in segments:
        cur: list[int] = []
        for _ in seg:
            piece = list(ids[k])[:room]
            k += 1
            if cur and len(cur) + len(piece) > room:
                out.append(np.asarray([cls, *cur, sep], dtype=np.int64))
                cur = []
            cur.extend(piece)
        if cur:
            out.append(np.asarray([cls, *cur, sep], dtype=np.int64))
    return out


@torch.inference_mode()
def embed(
    tokenizer: Any, bert: Any, texts: Sequence[str], *, max_length: int = 64, batch_size: int = 128
) -> np.ndarray:
    """(n, hidden) mean-pooled, L2-normalised last-layer token embeddings of a BertModel
    (the paper embeds sentences with the pre-trained model it adapts)."""
    bert.eval()
    order = np.argsort([len(t) for t in texts], kind="stable")
    out = np.empty((len(texts), bert.config.hidden_size), dtype=np.float32)
    for start in range(0, len(texts), batch_size):
        idx = order[start : start + batch_size]
        batch = tokenizer(
            [texts[i] for i in idx], padding=True, truncation=True, max_length=max_length, return_tensors="pt"
        )
        hidden = bert(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        out[idx] = torch.nn.functional.normalize(pooled, dim=1).numpy()
    return out
