"""Streaming scoring benchmark: 1M sentences (the real corpora repeated), local vs Dask vs one pass.

    python plugins/tadpole/benchmarks/bench_streaming.py [--n 1000000] [--chunk 8192]

Each mode runs in its own subprocess so its peak RSS is its own:
- `stream-local`: `iter_scores` over a generator of sentences, chunk by chunk (memory flat);
- `stream-dask`: the same, partition-wise on a 2-worker Dask LocalCluster (core's Executor);
- `one-pass` (the peer): materialise every sentence, encode all, score all at once.
Sentences are the Figure 4 mix plus task sentences, whose MiniLM embeddings are in the cache
(run the Figure 4 experiment first), cycled to `--n`; the encoder therefore serves embeddings
from its cache and the numbers measure hashing, lookup and Isolation Forest scoring. The
uncached MiniLM rate on fresh sentences is measured separately (`encode_uncached`), so the
full cost of a 1M-sentence corpus can be read off. Prints one JSON object with ratios.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import time


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _setup(cache: str):
    from weasul_tadpole import IsolationForestScorer, SentenceMiniLM, load_text_domains
    from weasul_tadpole.experiments._common import PAPER_SHARES, build_mix, task_sentences

    corpora = load_text_domains()
    mix = build_mix(corpora, {k: int(round(v * 3000)) for k, v in PAPER_SHARES.items()}, seed=0)
    encoder = SentenceMiniLM(cache_dir=cache).fit()
    task = task_sentences(corpora["bio"], 500)
    scorer = IsolationForestScorer(seed=0).fit(encoder.encode(task))
    return corpora, mix.texts, encoder, scorer


def worker(mode: str, n: int, chunk: int, cache: str) -> dict:
    from weasul.executor import Executor, ExecutorSpec
    from weasul_tadpole import iter_scores

    _, pool, encoder, scorer = _setup(cache)
    encoder.encode(pool)  # load the cache index; every pool sentence must be a hit
    base_rss = _rss_mib()
    stream = lambda: itertools.islice(itertools.cycle(pool), n)  # noqa: E731
    t0 = time.perf_counter()
    total, checksum = 0, 0.0
    if mode == "one-pass":
        texts = list(stream())
        scores = scorer.score(encoder.encode(texts))
        total, checksum = scores.size, float(scores[:1000].sum())
    else:
        spec = ExecutorSpec(kind="dask", n_workers=2) if mode == "stream-dask" else ExecutorSpec()
        with Executor(spec) as ex:
            for i, part in enumerate(
                iter_scores(stream(), encoder=encoder, scorer=scorer, chunk_size=chunk, executor=ex)
            ):
                if i == 0:
                    checksum = float(part[:1000].sum())
                total += part.size
    seconds = time.perf_counter() - t0
    return {
        "mode": mode,
        "sentences": total,
        "seconds": round(seconds, 2),
        "sentences_per_s": round(total / seconds, 1),
        "peak_rss_mib": round(_rss_mib(), 1),
        "rss_increase_mib": round(_rss_mib() - base_rss, 1),
        "checksum_first_1000": round(checksum, 6),
    }


def encode_uncached(k: int = 256) -> dict:
    from weasul_tadpole import SentenceMiniLM, load_corpus

    movies = load_corpus("movies")
    texts = [s for d in movies.heldout for s in d][:k]
    enc = SentenceMiniLM().fit()
    t0 = time.perf_counter()
    enc.encode(texts)
    seconds = time.perf_counter() - t0
    return {
        "sentences": len(texts),
        "seconds": round(seconds, 2),
        "sentences_per_s": round(len(texts) / seconds, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=8192)
    parser.add_argument(
        "--cache", default=os.environ.get("WEASUL_TADPOLE_CACHE", ".weasul-cache/tadpole-embeddings")
    )
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "encode":
        print(json.dumps(encode_uncached()))
        return 0
    if args.worker:
        print(json.dumps(worker(args.worker, args.n, args.chunk, args.cache)))
        return 0
    results = {}
    for mode in ("stream-local", "stream-dask", "one-pass", "encode"):
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            mode,
            "--n",
            str(args.n),
            "--chunk",
            str(args.chunk),
            "--cache",
            args.cache,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            return proc.returncode
        results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    local, dask, one = results["stream-local"], results["stream-dask"], results["one-pass"]
    assert local["checksum_first_1000"] == one["checksum_first_1000"] == dask["checksum_first_1000"]
    report = {
        "n": args.n,
        "chunk": args.chunk,
        "results": results,
        "speed_ratio_stream_local_vs_one_pass": round(local["sentences_per_s"] / one["sentences_per_s"], 3),
        "speed_ratio_dask2_vs_local": round(dask["sentences_per_s"] / local["sentences_per_s"], 3),
        "memory_ratio_one_pass_vs_stream_local": round(
            one["rss_increase_mib"] / max(local["rss_increase_mib"], 1.0), 2
        ),
        "uncached_minilm_hours_for_n": round(args.n / results["encode"]["sentences_per_s"] / 3600, 2),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
