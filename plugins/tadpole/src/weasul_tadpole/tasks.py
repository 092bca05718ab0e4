"""Labelled downstream tasks on the shared text domains (for fine-tuning, the paper's Table 3).

Each task's splits are cut exactly where `corpora.load_corpus` cuts that domain, so no
labelled text occurs in the general pre-training corpus (`Corpus.general`):

- `cs`: CSAbstruct rhetorical role of a sentence (5 classes). Train = `test.jsonl` (the
  corpus' task part), dev / test = the first third / the rest of `dev.jsonl`'s abstracts.
- `news`: AG News topic of title + description (4 classes); `finance`: Financial PhraseBank
  sentiment (`Sentences_50Agree`, 3 classes); `movies`: RT polarity (2 classes). Train = the
  corpus' task part (10%), dev / test = first third / rest of its held-out part (10%).

Examples whose text (any sentence of it) is in the general part, or repeats an earlier split,
are dropped. NCBI disease has mention annotations only (no document or sentence label), so
Bio stays a domain of the general corpus without a task.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from weasul.errors import DataError

from weasul_tadpole.corpora import _clean_news, split_sentences, text_domains_root

__all__ = ["TASKS", "LabelledTask", "load_task"]

#: task name -> what is predicted (the task's domain has the same name in `corpora.CORPORA`).
TASKS: dict[str, str] = {
    "cs": "CSAbstruct rhetorical role",
    "news": "AG News topic",
    "finance": "Financial PhraseBank sentiment",
    "movies": "RT polarity",
}

Example = tuple[list[str], int]  # (sentences, label)


@dataclass(frozen=True)
class LabelledTask:
    """Train / dev / test examples (text, label id) of one task; `classes[label]` is the name."""

    name: str
    classes: list[str]
    train: list[tuple[str, int]]
    dev: list[tuple[str, int]]
    test: list[tuple[str, int]]

    def texts(self, split: str) -> list[str]:
        return [t for t, _ in getattr(self, split)]

    def labels(self, split: str) -> np.ndarray:
        return np.asarray([y for _, y in getattr(self, split)], dtype=np.int64)


def _jsonl(path: Path, classes: list[str]) -> list[list[Example]]:
    docs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            doc = [
                ([s.strip()], classes.index(y)) for s, y in zip(rec["sentences"], rec["labels"], strict=True)
            ]
            docs.append([e for e in doc if e[0][0]])
    return docs


def _labelled_docs(name: str, folder: Path) -> tuple[list[Example], list[str]]:
    """Documents in the order of the `corpora` readers (same cut), each with its label."""
    if name == "news":
        classes = (folder / "classes.txt").read_text(encoding="utf-8").split()
        docs: list[Example] = []
        for row in csv.reader(io.StringIO((folder / "test.csv").read_text(encoding="utf-8"))):
            if len(row) >= 3:
                doc = [_clean_news(row[1]), *split_sentences(_clean_news(row[2]))]
                docs.append(([s for s in doc if s], int(row[0]) - 1))
        return docs, classes
    if name == "finance":
        classes = ["negative", "neutral", "positive"]
        docs = []
        for line in (folder / "Sentences_50Agree.txt").read_bytes().decode("latin-1").split("\n"):
            text, _, label = line.rpartition("@")
            if text.strip():
                docs.append(([text.strip()], classes.index(label.strip())))
        return docs, classes
    classes = ["negative", "positive"]
    docs = []
    for file, y in (("rt-polarity.pos", 1), ("rt-polarity.neg", 0)):
        for line in (folder / file).read_bytes().decode("latin-1").split("\n"):
            if line.strip():
                docs.append(([line.strip()], y))
    return docs, classes


def _clean(parts: list[list[Example]], general: list[list[str]]) -> list[list[tuple[str, int]]]:
    seen = {s for doc in general for s in doc}
    out = []
    for part in parts:
        kept = []
        for sents, y in part:
            if sents and not any(s in seen for s in sents):
                kept.append((" ".join(sents), y))
                seen.update(sents)
        out.append(kept)
    return out


def load_task(name: str, root: str | Path | None = None, *, seed: int = 0) -> LabelledTask:
    """One labelled task (see `TASKS`); `seed` must match the corpora's seed. Raises DataError."""
    if name not in TASKS:
        raise DataError(f"unknown task '{name}'; choose from {', '.join(TASKS)}")
    from weasul_tadpole.corpora import CORPORA

    folder = text_domains_root(root) / CORPORA[name]
    if not folder.is_dir():
        raise DataError(f"task folder {folder} is missing")
    if name == "cs":
        classes = ["background", "objective", "method", "result", "other"]
        general = [[e[0][0] for e in doc] for doc in _jsonl(folder / "train.jsonl", classes)]
        task = [e for doc in _jsonl(folder / "test.jsonl", classes) for e in doc]
        held = _jsonl(folder / "dev.jsonl", classes)
        k = len(held) // 3
        dev, test = [e for d in held[:k] for e in d], [e for d in held[k:] for e in d]
        return LabelledTask(name, classes, *_clean([task, dev, test], general))
    docs, classes = _labelled_docs(name, folder)
    order = np.random.default_rng(seed).permutation(len(docs))  # as corpora._cut
    k = len(docs) // 10
    pick = [docs[i] for i in order]
    general = [d for d, _ in pick[2 * k :]]
    rest = pick[k : 2 * k]
    third = len(rest) // 3
    return LabelledTask(name, classes, *_clean([pick[:k], rest[:third], rest[third:]], general))
