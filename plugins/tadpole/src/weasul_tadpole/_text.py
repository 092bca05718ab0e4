"""Checks for text inputs."""

from __future__ import annotations

from typing import Any

import numpy as np
from weasul.errors import DataError

__all__ = ["check_texts"]


def check_texts(texts: Any, name: str = "texts", *, allow_blank: bool = False) -> list[str]:
    """A non-empty sequence of non-blank strings, as a list.

    Raises DataError for a bare string, an empty sequence, a non-string item, or (unless
    `allow_blank`) an empty or whitespace-only string, naming the first bad index.
    """
    if isinstance(texts, (str, bytes)) or not hasattr(texts, "__len__"):
        raise DataError(
            f"{name} must be a sequence of strings (list, numpy array), got {type(texts).__name__}"
        )
    if isinstance(texts, np.ndarray) and texts.ndim != 1:
        raise DataError(f"{name} must be 1-D (n_items,), got shape {texts.shape}")
    items = list(texts)
    if not items:
        raise DataError(f"{name} is empty; pass at least one text")
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise DataError(f"{name}[{i}] is a {type(item).__name__}, not a string; pass text only")
        if not allow_blank and not item.strip():
            raise DataError(f"{name}[{i}] is an empty or blank string; drop blank texts before encoding")
    return items
