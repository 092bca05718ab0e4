"""An on-disk cache of sentence embeddings keyed by a hash of (model, text).

Each `put` writes one safetensors shard (`keys`: uint8 (n, 32) SHA-256 digests, `emb`: float32
(n, d)); shards are written to a temporary name and renamed, so a killed writer leaves no
half-written file. No pickle. Shards of one model live in `root/<model_key>/`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["EmbeddingCache", "text_digests"]

_log = logging.getLogger(__name__)


def text_digests(texts: Sequence[str], salt: str) -> np.ndarray:
    """(n, 32) uint8 SHA-256 of `salt + NUL + text` per text."""
    prefix = salt.encode() + b"\0"
    out = np.empty((len(texts), 32), dtype=np.uint8)
    for i, text in enumerate(texts):
        out[i] = np.frombuffer(hashlib.sha256(prefix + text.encode("utf-8")).digest(), dtype=np.uint8)
    return out


class EmbeddingCache:
    """Embeddings of one model on disk; lookups go through an in-memory index loaded once."""

    #: One instance per folder and process, shared by every encoder (and Dask worker thread).
    _shared: dict[Path, EmbeddingCache] = {}

    def __init__(self, root: str | Path, model_key: str) -> None:
        self.folder = Path(root).expanduser().resolve() / model_key
        self._index: dict[bytes, np.ndarray] | None = None

    @classmethod
    def shared(cls, root: str | Path, model_key: str) -> EmbeddingCache:
        """The process-wide cache of `root/model_key`."""
        folder = Path(root).expanduser().resolve() / model_key
        if folder not in cls._shared:
            cls._shared[folder] = cls(root, model_key)
        return cls._shared[folder]

    def _load(self) -> dict[bytes, np.ndarray]:
        if self._index is None:
            from safetensors.numpy import load_file

            index: dict[bytes, np.ndarray] = {}
            if self.folder.is_dir():
                for shard in sorted(self.folder.glob("*.safetensors")):
                    try:
                        data = load_file(str(shard))
                    except Exception as err:  # a corrupt shard is skipped, not fatal
                        _log.warning("skipping unreadable cache shard %s: %s", shard, err)
                        continue
                    for key, row in zip(data["keys"], data["emb"], strict=False):
                        index[key.tobytes()] = row
            self._index = index
            _log.debug("embedding cache %s: %d entries", self.folder, len(index))
        return self._index

    def __len__(self) -> int:
        return len(self._load())

    def get(self, digests: np.ndarray) -> tuple[np.ndarray, list[np.ndarray | None]]:
        """(hit mask (n,), rows or None per digest)."""
        index = self._load()
        rows = [index.get(d.tobytes()) for d in digests]
        return np.array([r is not None for r in rows], dtype=bool), rows

    def put(self, digests: np.ndarray, emb: np.ndarray) -> None:
        """Store new rows: one shard file, written atomically."""
        if len(digests) == 0:
            return
        from safetensors.numpy import save_file

        self.folder.mkdir(parents=True, exist_ok=True)
        name = uuid.uuid4().hex
        tmp = self.folder / f".{name}.tmp"
        emb32 = np.ascontiguousarray(emb, dtype=np.float32)
        save_file({"keys": np.ascontiguousarray(digests, dtype=np.uint8), "emb": emb32}, str(tmp))
        os.replace(tmp, self.folder / f"{name}.safetensors")
        index = self._load()
        for key, row in zip(digests, emb32, strict=False):
            index[key.tobytes()] = row
