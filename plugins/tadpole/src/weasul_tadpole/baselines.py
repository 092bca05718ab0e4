"""The paper's data-selection baselines (Sec. 4.1) as AnomalyScorers (higher = less in-domain).

- `DistanceScorer` (Wang et al. 2017a): `d(v, C_in) - d(v, C_out)` on sentence embeddings,
  with `C_in`, `C_out` the mean embeddings of the task data and of a general-corpus sample.
- `MooreLewisScorer` (Moore & Lewis 2010): `H_in(s) - H_out(s)`, per-token cross-entropy of
  a sentence under an n-gram LM of the task data minus under one of a general sample.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, cast

import numpy as np
from pydantic import Field
from weasul.errors import DataError
from weasul.interfaces import AnomalyScorer, InputKind
from weasul.params import WeasulParams
from weasul.validation import check_features

from weasul_tadpole._text import check_texts

__all__ = ["DistanceScorer", "MooreLewisScorer", "NGramLM", "tokenize"]

_TOKEN = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")


def tokenize(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens."""
    return _TOKEN.findall(text.lower())


class DistanceScorer(AnomalyScorer):
    """Distance-based relevance: distance to the task centroid minus distance to the general centroid.

    Without `reference` rows the score is the distance to the task centroid alone.
    Fitted state: `center_in_` (d,), `center_out_` (d,) or empty.
    """

    class Params(WeasulParams):
        pass

    params: Params

    def fit(self, X: Any, *, reference: Any = None) -> DistanceScorer:
        """Task rows `X` (n, d); optional general-corpus rows `reference` (m, d). Returns self."""
        X = check_features(X, name="X")
        self.center_in_ = X.mean(axis=0)
        if reference is None:
            self.center_out_ = np.zeros(0)
        else:
            R = check_features(reference, name="reference")
            if R.shape[1] != X.shape[1]:
                raise DataError(f"reference has {R.shape[1]} features but X has {X.shape[1]}")
            self.center_out_ = R.mean(axis=0)
        return self

    def score(self, X: Any) -> np.ndarray:
        """(n,) `||x - C_in|| - ||x - C_out||`."""
        self.check_fitted()
        X = check_features(X, name="X")
        if X.shape[1] != self.center_in_.shape[0]:
            raise DataError(f"fitted on {self.center_in_.shape[0]} features, X has {X.shape[1]}")
        d_in = np.linalg.norm(X - self.center_in_, axis=1)
        if self.center_out_.size == 0:
            return cast(np.ndarray, d_in)
        return cast(np.ndarray, d_in - np.linalg.norm(X - self.center_out_, axis=1))


class NGramLM:
    """Interpolated absolute-discounting bigram LM over integer token ids (vocab size V).

    `p(w | h) = max(c(h, w) - d, 0) / c(h) + d * N1+(h .) / c(h) * p1(w)`, with the add-one
    unigram `p1`; histories never seen back off to `p1`.
    """

    def __init__(self, sentences: list[np.ndarray], vocab_size: int, discount: float = 0.75) -> None:
        self.V, self.d = vocab_size, discount
        tokens = np.concatenate(sentences) if sentences else np.zeros(0, np.int64)
        self.uni = (np.bincount(tokens, minlength=vocab_size) + 1.0) / (tokens.size + vocab_size)
        hist = np.concatenate([s[:-1] for s in sentences]) if sentences else np.zeros(0, np.int64)
        nxt = np.concatenate([s[1:] for s in sentences]) if sentences else np.zeros(0, np.int64)
        keys, counts = np.unique(hist.astype(np.int64) * vocab_size + nxt, return_counts=True)
        self.keys, self.counts = keys, counts.astype(np.float64)
        self.hist_count = np.bincount(hist, minlength=vocab_size).astype(np.float64)
        self.hist_types = np.bincount(keys // vocab_size, minlength=vocab_size).astype(np.float64)

    def logprob(self, h: np.ndarray, w: np.ndarray) -> np.ndarray:
        """log p(w | h) elementwise."""
        key = h.astype(np.int64) * self.V + w
        pos = np.clip(np.searchsorted(self.keys, key), 0, max(len(self.keys) - 1, 0))
        found = (self.keys[pos] == key) if len(self.keys) else np.zeros(len(key), bool)
        c_hw = np.where(found, self.counts[pos] if len(self.keys) else 0.0, 0.0)
        c_h = self.hist_count[h]
        p1 = self.uni[w]
        seen = c_h > 0
        safe = np.where(seen, c_h, 1.0)
        p = np.where(seen, np.maximum(c_hw - self.d, 0) / safe + self.d * self.hist_types[h] / safe * p1, p1)
        return cast(np.ndarray, np.log(p))


class MooreLewisScorer(AnomalyScorer):
    """Moore-Lewis cross-entropy difference with bigram LMs; input is raw text.

    Without `reference` texts the score is the in-domain cross-entropy alone.
    Fitted state: `vocab_` (list of tokens), LM count arrays.
    """

    input_kind: ClassVar[InputKind] = "text"
    persistable: ClassVar[bool] = False

    class Params(WeasulParams):
        discount: float = Field(0.75, gt=0, lt=1)
        min_count: int = Field(1, ge=1, description="rarer tokens map to <unk>")

    params: Params

    def _ids(self, texts: list[str]) -> list[np.ndarray]:
        lookup = self._lookup
        unk, bos, eos = lookup["<unk>"], lookup["<s>"], lookup["</s>"]
        return [
            np.array([bos, *(lookup.get(t, unk) for t in tokenize(s)), eos], dtype=np.int64) for s in texts
        ]

    def fit(self, X: Any, *, reference: Any = None) -> MooreLewisScorer:
        """Task sentences `X`; optional general-corpus sentences `reference`. Returns self."""
        texts = check_texts(X, "X")
        ref = check_texts(reference, "reference") if reference is not None else []
        counts: dict[str, int] = {}
        for s in texts + ref:
            for t in tokenize(s):
                counts[t] = counts.get(t, 0) + 1
        vocab = ["<unk>", "<s>", "</s>"] + sorted(t for t, c in counts.items() if c >= self.params.min_count)
        self._lookup = {t: i for i, t in enumerate(vocab)}
        self.vocab_ = vocab
        self.lm_in_ = NGramLM(self._ids(texts), len(vocab), self.params.discount)
        self.lm_out_ = NGramLM(self._ids(ref), len(vocab), self.params.discount) if ref else None
        return self

    def cross_entropy(self, lm: NGramLM, ids: list[np.ndarray]) -> np.ndarray:
        """(n,) mean negative log-probability per predicted token."""
        h = np.concatenate([s[:-1] for s in ids])
        w = np.concatenate([s[1:] for s in ids])
        lp = lm.logprob(h, w)
        lengths = np.array([len(s) - 1 for s in ids])
        owner = np.repeat(np.arange(len(ids)), lengths)
        return cast(np.ndarray, -np.bincount(owner, weights=lp, minlength=len(ids)) / lengths)

    def score(self, X: Any) -> np.ndarray:
        """(n,) `H_in(s) - H_out(s)` (or `H_in(s)` without reference)."""
        self.check_fitted()
        ids = self._ids(check_texts(X, "X"))
        h_in = self.cross_entropy(self.lm_in_, ids)
        if self.lm_out_ is None:
            return h_in
        return cast(np.ndarray, h_in - self.cross_entropy(self.lm_out_, ids))
