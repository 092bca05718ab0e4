"""TF-IDF text features (scikit-learn), as an Encoder."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from weasul.lazy import require
from weasul.errors import DataError
from weasul.interfaces import Encoder, InputKind
from weasul.params import WeasulParams

__all__ = ["TfidfEncoder", "check_texts"]


def check_texts(texts: Any, name: str = "texts") -> list[str]:
    """A non-empty sequence of strings."""
    if isinstance(texts, str) or not hasattr(texts, "__len__"):
        raise DataError(f"{name} must be a sequence of strings, got {type(texts).__name__}")
    items = list(texts)
    if not items:
        raise DataError(f"{name} is empty")
    bad = next((i for i, t in enumerate(items) if not isinstance(t, str)), None)
    if bad is not None:
        raise DataError(f"{name}[{bad}] is a {type(items[bad]).__name__}, not a string")
    return items


class TfidfEncoder(Encoder):
    """Word (and optionally bigram) TF-IDF vectors; returns a scipy CSR matrix from `encode`."""

    input_kind: ClassVar[InputKind] = "text"
    persistable: ClassVar[bool] = False

    class Params(WeasulParams):
        ngram_max: int = Field(2, ge=1, le=3)
        min_df: int = Field(1, ge=1)
        max_features: int | None = Field(50_000, ge=1)
        sublinear_tf: bool = True
        lowercase: bool = True

    params: Params

    def fit(self, X: Any, y: np.ndarray | None = None, *, groups: np.ndarray | None = None) -> TfidfEncoder:
        texts = check_texts(X, "X")
        text = require("sklearn.feature_extraction.text", extra="sklearn", distribution="weasul-core")
        p = self.params
        self.vectorizer_ = text.TfidfVectorizer(
            ngram_range=(1, p.ngram_max),
            min_df=p.min_df,
            max_features=p.max_features,
            sublinear_tf=p.sublinear_tf,
            lowercase=p.lowercase,
        ).fit(texts)
        return self

    def encode(self, X: Any) -> Any:
        self.check_fitted()
        return self.vectorizer_.transform(check_texts(X, "X"))
