"""TabTransformer for weasul: contextual column embeddings, MLM/RTD pre-training, the MLP baseline.

Imports nothing heavy: torch loads on first fit or load (`weasul_tabtransformer._nn`).
"""

from weasul_tabtransformer.data import PAPER_SETS, TabularSplit
from weasul_tabtransformer.models import (
    EmbeddingParams,
    TabMLPClassifier,
    TabTransformerClassifier,
    TabTransformerEncoder,
    TransformerParams,
)

__all__ = [
    "EmbeddingParams",
    "PAPER_SETS",
    "TabMLPClassifier",
    "TabTransformerClassifier",
    "TabTransformerEncoder",
    "TabularSplit",
    "TransformerParams",
]
