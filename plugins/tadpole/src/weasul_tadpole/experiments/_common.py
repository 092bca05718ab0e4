"""Shared pieces of the experiments: the mixed general corpus, task data and cached embeddings."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from weasul_tadpole.corpora import CORPORA, Corpus, load_text_domains

__all__ = [
    "PAPER_SHARES",
    "Mix",
    "build_mix",
    "task_sentences",
    "make_encoder",
    "write_json",
    "markdown_table",
    "experiment_parser",
    "finish",
]

_log = logging.getLogger(__name__)

#: Input shares of the paper's Figure 4 (News 7.1G, Finance 4.9G, CS 8.0G, Bio 12.6G).
PAPER_SHARES = {"news": 0.218, "finance": 0.150, "cs": 0.245, "bio": 0.387}


@dataclass(frozen=True)
class Mix:
    """A general corpus mixed from several domains: sentences in corpus order, whole documents kept together."""

    texts: list[str]
    source: np.ndarray  # (n,) corpus name per sentence
    doc: np.ndarray  # (n,) document id per sentence (contiguous)

    def shares(self, mask: np.ndarray | None = None) -> dict[str, float]:
        src = self.source if mask is None else self.source[mask]
        return {name: float((src == name).mean()) for name in dict.fromkeys(self.source.tolist())}


def _take(docs: list[list[str]], n: int, rng: np.random.Generator) -> list[list[str]]:
    out, count = [], 0
    for i in rng.permutation(len(docs)):
        if count >= n:
            break
        doc = docs[i][: n - count]
        out.append(doc)
        count += len(doc)
    return out


def build_mix(corpora: dict[str, Corpus], sizes: dict[str, int], *, seed: int = 0) -> Mix:
    """Sentences from each corpus' `general` part (`sizes[name]` of them, whole documents in a
    seeded order, so a smaller size takes a prefix of a larger one), documents shuffled together."""
    docs: list[tuple[str, list[str]]] = []
    for name, n in sizes.items():
        rng = np.random.default_rng([seed, list(CORPORA).index(name)])
        docs.extend((name, d) for d in _take(corpora[name].general, n, rng))
    order = np.random.default_rng([seed, 99]).permutation(len(docs))
    texts: list[str] = []
    source: list[str] = []
    doc_ids: list[int] = []
    for k, i in enumerate(order):
        name, d = docs[i]
        texts.extend(d)
        source.extend([name] * len(d))
        doc_ids.extend([k] * len(d))
    return Mix(texts, np.array(source), np.array(doc_ids))


def task_sentences(corpus: Corpus, n: int, *, part: str = "task") -> list[str]:
    """Up to `n` sentences of a corpus part (whole documents first, in file order)."""
    return Corpus.sentences(getattr(corpus, part), limit=n)


def make_encoder(cache_dir: str | None, threads: int = 1) -> Any:
    from weasul_tadpole.encoder import SentenceMiniLM

    return SentenceMiniLM(cache_dir=cache_dir, torch_threads=threads).fit()


def default_cache() -> str:
    return os.environ.get("WEASUL_TADPOLE_CACHE", str(Path(".weasul-cache") / "tadpole-embeddings"))


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=float))


def experiment_parser(doc: str | None, *, out: str, n_mix: int) -> argparse.ArgumentParser:
    """A command line for one experiment (`doc` as its description) with the arguments every
    experiment takes: `--data` (the text-domains folder), `--n-mix` (sentences in the general
    mix, default `n_mix`) and `--out` (where the JSON result goes, default `out`)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data", default=None, help="text-domains folder (default: ../shared/data/text-domains)"
    )
    parser.add_argument("--n-mix", type=int, default=n_mix, help="sentences in the general mix")
    parser.add_argument("--out", default=out, help="where to write the JSON result")
    return parser


def finish(result: dict[str, Any], out: str, render: Callable[[dict[str, Any]], str]) -> int:
    """Write an experiment's `result` to `out` as JSON, print it as `render` shows it; exit code 0."""
    write_json(Path(out), result)
    sys.stdout.write(render(result) + f"\n\nwritten: {out}\n")
    return 0


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    def fmt(v: Any) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def load(root: str | None, seed: int) -> dict[str, Corpus]:
    return load_text_domains(root, seed=seed)
