"""TF-IDF text features (scikit-learn), as an Encoder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import Field

from weasul.errors import DataError
from weasul.interfaces import Encoder, InputKind
from weasul.lazy import require
from weasul.params import WeasulParams

if TYPE_CHECKING:
    from typing import Self

__all__ = ["TfidfEncoder", "check_texts"]


def check_texts(texts: Any, name: str = "texts") -> list[str]:
    """A non-empty sequence of strings."""
    if isinstance(texts, str) or not hasattr(texts, "__len__") or getattr(texts, "ndim", 1) == 0:
        raise DataError(f"{name} must be a sequence of strings, got {type(texts).__name__}")
    items = list(texts)
    if not items:
        raise DataError(f"{name} is empty")
    if getattr(texts, "ndim", 1) > 1:
        raise DataError(f"{name} must be a 1-D sequence of strings, got shape {np.shape(texts)}")
    bad = next((i for i, t in enumerate(items) if not isinstance(t, str)), None)
    if bad is not None:
        raise DataError(f"{name}[{bad}] is a {type(items[bad]).__name__}, not a string")
    return items


class TfidfEncoder(Encoder):
    """Word (and optionally bigram) TF-IDF vectors; returns a scipy CSR matrix from `encode`.

    Saved without pickle as plain data (the terms in column order and the idf weights), so a
    loaded encoder gives the same matrix bit for bit.
    """

    input_kind: ClassVar[InputKind] = "text"
    persistable: ClassVar[bool] = True
    encodes_rows: ClassVar[bool] = True  # transform: each row from the vocabulary and idf alone

    class Params(WeasulParams):
        ngram_max: int = Field(2, ge=1, le=3)
        min_df: int = Field(1, ge=1)
        max_features: int | None = Field(50_000, ge=1)
        sublinear_tf: bool = True
        lowercase: bool = True

    params: Params

    def fit(self, X: Any, y: np.ndarray | None = None, *, groups: np.ndarray | None = None) -> TfidfEncoder:
        texts = check_texts(X, "X")
        try:
            self.vectorizer_ = self._vectorizer().fit(texts)
        except ValueError as err:  # "empty vocabulary", or min_df beyond the number of texts
            if "empty vocabulary" in str(err):
                raise DataError(
                    f"X ({len(texts)} texts) has no words to build a vocabulary from (every text is "
                    "empty or punctuation); check the text column"
                ) from None
            raise DataError(f"tfidf cannot fit these {len(texts)} texts: {err}") from None
        return self

    def _vectorizer(self) -> Any:
        text = require("sklearn.feature_extraction.text", extra="sklearn", distribution="weasul-core")
        p = self.params
        return text.TfidfVectorizer(
            ngram_range=(1, p.ngram_max),
            min_df=p.min_df,
            max_features=p.max_features,
            sublinear_tf=p.sublinear_tf,
            lowercase=p.lowercase,
        )

    def encode(self, X: Any) -> Any:
        self.check_fitted()
        return self.vectorizer_.transform(check_texts(X, "X"))

    def save(self, path: str | Path) -> Path:
        """Params, the vocabulary (terms in column order) and the idf weights in one
        safetensors file: plain data, no pickle and no code."""
        import json

        from safetensors.numpy import save_file

        self.check_fitted()
        vocabulary: dict[str, int] = self.vectorizer_.vocabulary_
        terms = [""] * len(vocabulary)
        for term, column in vocabulary.items():
            terms[column] = term
        metadata = {"params": self.params.model_dump_json(), "terms": json.dumps(terms)}
        save_file({"idf": np.ascontiguousarray(self.vectorizer_.idf_)}, str(path), metadata=metadata)
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """A fitted encoder from a file written by `save`; it encodes exactly as the saved one."""
        import json

        from safetensors import SafetensorError, safe_open

        path = Path(path)
        if not path.is_file():
            raise DataError(f"no saved model at {path}")
        try:
            with safe_open(str(path), framework="numpy") as handle:
                metadata = handle.metadata() or {}
                idf = handle.get_tensor("idf")
        except (SafetensorError, OSError) as err:
            raise DataError(f"{path} is not a saved TF-IDF encoder: {err}") from err
        if "terms" not in metadata or "params" not in metadata:
            raise DataError(f"{path} was not written by {cls.__name__}.save()")
        terms = json.loads(metadata["terms"])
        if len(terms) != len(idf):
            raise DataError(f"{path}: {len(terms)} terms but {len(idf)} idf weights")
        encoder = cls(cls.Params.model_validate_json(metadata["params"]))
        vectorizer = encoder._vectorizer()
        vectorizer.vocabulary_ = {term: column for column, term in enumerate(terms)}
        vectorizer.idf_ = idf
        encoder.vectorizer_ = vectorizer
        return encoder
