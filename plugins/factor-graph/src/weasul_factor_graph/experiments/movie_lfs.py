"""About 100 unigram/bigram labeling functions for movie-review polarity (rt-polarity).

Like the paper's IMDB LFs: sentiment words and their negations. A word LF votes its polarity
when the (lowercased, whitespace-tokenised) snippet contains the word; a phrase LF when it
contains the consecutive words; a negation LF ("not funny") votes the opposite polarity when
a negator occurs at most three tokens before the word. The word LF still fires on a negated
occurrence, which is what creates the fixing/negated/priority dependencies the paper studies.
Classes: 0 = negative, 1 = positive. The lists were written from general sentiment
vocabulary, not mined from the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from weasul.errors import DataError

__all__ = ["CLASS_NAMES", "KeywordLF", "movie_lfs", "apply_keyword_lfs", "load_rt_polarity"]

CLASS_NAMES = ("negative", "positive")
NEG, POS = 0, 1

POSITIVE_WORDS = (
    "great best good funny love beautiful wonderful excellent masterpiece worth enjoyable fun brilliant perfect "
    "moving powerful charming delightful entertaining fascinating touching smart fresh compelling engaging "
    "remarkable solid heart warm gorgeous beautifully terrific hilarious rare wonderfully thoughtful intelligent "
    "refreshing poignant sweet treat absorbing inventive witty original special clever memorable well interesting"
).split()
NEGATIVE_WORDS = (
    "bad worst boring dull waste stupid mess awful terrible horrible poorly lame fails flat tedious predictable "
    "unfunny pointless mediocre bland tiresome ridiculous annoying disappointing too nothing silly dumb lacks "
    "neither contrived routine generic shallow unfortunately jokes badly ugly instead plodding"
).split()
#: Negated positive words: vote negative.
NEGATED_POSITIVE = (
    "good funny worth fun interesting enough compelling smart clever fresh original special great entertaining "
    "engaging well sense work care real quite much"
).split()
#: Negated negative words: vote positive.
NEGATED_NEGATIVE = "bad boring dull".split()
PHRASES = (
    ("the best", POS),
    ("very funny", POS),
    ("worth seeing", POS),
    ("the worst", NEG),
    ("waste of", NEG),
    ("fails to", NEG),
    ("too much", NEG),
    ("too many", NEG),
    ("too long", NEG),
    ("feels like", NEG),
    ("so bad", NEG),
    ("falls flat", NEG),
    ("tries to", NEG),
)
NEGATORS = frozenset(
    "not isn't wasn't doesn't don't didn't never no nothing hardly barely without aren't won't can't".split()
)
_WINDOW = 3


@dataclass(frozen=True)
class KeywordLF:
    """One LF: `kind` is "word", "phrase" or "negated"; `text` the word or phrase; `label` its vote."""

    name: str
    kind: str
    text: str
    label: int


def movie_lfs() -> list[KeywordLF]:
    """The LF set, in column order (positive words, negative words, phrases, negations)."""
    lfs = [KeywordLF(w, "word", w, POS) for w in POSITIVE_WORDS]
    lfs += [KeywordLF(w, "word", w, NEG) for w in NEGATIVE_WORDS]
    lfs += [KeywordLF(p, "phrase", p, label) for p, label in PHRASES]
    lfs += [KeywordLF(f"not {w}", "negated", w, NEG) for w in NEGATED_POSITIVE]
    lfs += [KeywordLF(f"not {w}", "negated", w, POS) for w in NEGATED_NEGATIVE]
    names = [lf.name for lf in lfs]
    assert len(set(names)) == len(names), "LF names must be unique"
    return lfs


def _fires(tokens: Sequence[str], lf: KeywordLF) -> bool:
    if lf.kind == "word":
        return lf.text in tokens
    if lf.kind == "phrase":
        first, second = lf.text.split()
        return any(a == first and b == second for a, b in zip(tokens, tokens[1:], strict=False))
    return any(
        tok == lf.text and any(t in NEGATORS for t in tokens[max(0, i - _WINDOW) : i])
        for i, tok in enumerate(tokens)
    )


def apply_keyword_lfs(texts: Sequence[str], lfs: Sequence[KeywordLF] | None = None) -> np.ndarray:
    """L (n, m): each LF's vote on each text, -1 = abstain."""
    lfs = list(movie_lfs() if lfs is None else lfs)
    L = np.full((len(texts), len(lfs)), -1, dtype=np.int64)
    for i, text in enumerate(texts):
        tokens = text.lower().split()
        present = set(tokens)
        for col, lf in enumerate(lfs):
            if lf.kind == "word" and lf.text not in present:
                continue
            if lf.kind != "word" and lf.text.split()[-1] not in present:
                continue
            if _fires(tokens, lf):
                L[i, col] = lf.label
    return L


def load_rt_polarity(folder: str | Path) -> tuple[list[str], np.ndarray]:
    """Texts and labels (1 = positive) of the sentence-polarity data set v1.0.

    Files are latin-1 and split on '\\n' only (str.splitlines would also break on 0x85).
    """
    folder = Path(folder)
    texts: list[str] = []
    labels: list[int] = []
    for name, label in (("rt-polarity.neg", NEG), ("rt-polarity.pos", POS)):
        path = folder / name
        if not path.is_file():
            raise DataError(f"{path} not found; point --data at the movies_rt_polarity folder")
        lines = [t.strip() for t in path.read_bytes().decode("latin-1").split("\n")]
        lines = [t for t in lines if t]
        texts += lines
        labels += [label] * len(lines)
    return texts, np.asarray(labels, dtype=np.int64)
