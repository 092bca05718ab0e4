"""Readers for the five real text domains in `shared/data/text-domains/`.

Each corpus is a list of documents, each a list of sentences, cut into three disjoint parts:
`general` (goes into the mixed pretraining corpus), `task` (the task data the filter is fitted
on, held out of the mix) and `heldout` (task-domain text for evaluation only). Bio and CS use
the sources' own train/test/dev files for the three parts; News, Finance and Movies are cut
by a seeded permutation (task 10%, held-out 10%, general the rest).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from weasul.errors import DataError

__all__ = ["CORPORA", "Corpus", "load_corpus", "load_text_domains", "split_sentences", "text_domains_root"]

#: name -> folder, in the order of the paper's Figure 4 (News, Finance, CS, Bio) plus Movies.
CORPORA: dict[str, str] = {
    "news": "news_agnews",
    "finance": "finance_phrasebank",
    "cs": "cs_csabstruct",
    "bio": "bio_ncbi_disease_pubmed",
    "movies": "movies_rt_polarity",
}

_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[\"'])")


def split_sentences(text: str) -> list[str]:
    """Split on `.`, `!` or `?` followed by space and an upper-case letter, digit or bracket."""
    return [s.strip() for s in _SENT.split(text.strip()) if s.strip()]


@dataclass(frozen=True)
class Corpus:
    """Documents (lists of sentences) of one domain, in three disjoint parts."""

    name: str
    general: list[list[str]]
    task: list[list[str]]
    heldout: list[list[str]]

    @staticmethod
    def sentences(docs: list[list[str]], limit: int | None = None) -> list[str]:
        """Flatten documents in order, at most `limit` sentences (whole documents first)."""
        out: list[str] = []
        for doc in docs:
            out.extend(doc)
            if limit is not None and len(out) >= limit:
                return out[:limit]
        return out


def text_domains_root(root: str | Path | None = None) -> Path:
    """`root`, else `$WEASUL_SHARED_DATA/text-domains`, else `../shared/data/text-domains` from the cwd
    or from this repository. Raises DataError when none exists."""
    candidates = []
    if root is not None:
        candidates.append(Path(root))
    else:
        if os.environ.get("WEASUL_SHARED_DATA"):
            candidates.append(Path(os.environ["WEASUL_SHARED_DATA"]) / "text-domains")
        candidates.append(Path.cwd() / ".." / "shared" / "data" / "text-domains")
        candidates.append(Path(__file__).resolve().parents[4] / ".." / "shared" / "data" / "text-domains")
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    raise DataError(
        f"text-domains data not found (looked in {', '.join(str(c) for c in candidates)}); "
        "set WEASUL_SHARED_DATA or pass the folder"
    )


def _pubtator(path: Path) -> list[list[str]]:
    docs: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").split("\n"):
        parts = line.split("|", 2)
        if len(parts) == 3 and parts[1] in ("t", "a"):
            doc = docs.setdefault(parts[0], [])
            doc.extend([parts[2].strip()] if parts[1] == "t" else split_sentences(parts[2]))
    return [d for d in docs.values() if d]


def _jsonl(path: Path) -> list[list[str]]:
    docs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            docs.append([s.strip() for s in json.loads(line)["sentences"] if s.strip()])
    return [d for d in docs if d]


def _clean_news(text: str) -> str:
    text = text.replace("\\", " ").replace(" #36;", " $").replace("#36;", "$").replace("#39;", "'")
    text = text.replace("quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"\s+", " ", text).strip()


def _agnews(path: Path) -> list[list[str]]:
    docs = []
    for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
        if len(row) >= 3:
            doc = [_clean_news(row[1])] + split_sentences(_clean_news(row[2]))
            docs.append([s for s in doc if s])
    return docs


def _lines(path: Path, *, strip_label: bool = False) -> list[list[str]]:
    # latin-1 files; split on "\n" only (0x85 is a character here, not a line break)
    docs = []
    for line in path.read_bytes().decode("latin-1").split("\n"):
        if strip_label:
            line = line.rpartition("@")[0]
        line = line.strip()
        if line:
            docs.append([line])
    return docs


def _cut(docs: list[list[str]], seed: int) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    order = np.random.default_rng(seed).permutation(len(docs))
    k = len(docs) // 10
    pick = [docs[i] for i in order]
    return pick[2 * k :], pick[:k], pick[k : 2 * k]


def _held_out(general: list[list[str]], *parts: list[list[str]]) -> list[list[list[str]]]:
    """Drop from each part the sentences seen in `general` or an earlier part (the sources repeat
    some sentences across their splits, e.g. 12% of CSAbstruct's test sentences are in train)."""
    seen = {s for doc in general for s in doc}
    out = []
    for part in parts:
        kept = [[s for s in doc if s not in seen] for doc in part]
        kept = [doc for doc in kept if doc]
        seen |= {s for doc in kept for s in doc}
        out.append(kept)
    return out


def load_corpus(name: str, root: str | Path | None = None, *, seed: int = 0) -> Corpus:
    """One corpus by name (see `CORPORA`). Raises DataError for an unknown name or missing files.

    No sentence of `task` or `heldout` occurs in `general`, and none of `heldout` in `task`.
    """
    if name not in CORPORA:
        raise DataError(f"unknown corpus '{name}'; choose from {', '.join(CORPORA)}")
    folder = text_domains_root(root) / CORPORA[name]
    if not folder.is_dir():
        raise DataError(f"corpus folder {folder} is missing")
    if name == "bio":
        general, task, heldout = (
            _pubtator(folder / f"NCBI{p}_corpus.txt") for p in ("trainset", "testset", "developset")
        )
        return Corpus(name, general, *_held_out(general, task, heldout))
    if name == "cs":
        general, task, heldout = (_jsonl(folder / f"{p}.jsonl") for p in ("train", "test", "dev"))
        return Corpus(name, general, *_held_out(general, task, heldout))
    if name == "news":
        docs = _agnews(folder / "test.csv")
    elif name == "finance":
        docs = _lines(folder / "Sentences_50Agree.txt", strip_label=True)
    else:
        docs = _lines(folder / "rt-polarity.pos") + _lines(folder / "rt-polarity.neg")
    general, task, heldout = _cut(docs, seed)
    return Corpus(name, general, *_held_out(general, task, heldout))


def load_text_domains(root: str | Path | None = None, *, seed: int = 0) -> dict[str, Corpus]:
    """All five corpora."""
    return {name: load_corpus(name, root, seed=seed) for name in CORPORA}
