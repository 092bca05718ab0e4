"""Scale-out on Dask (issue 17), as JSON beside this file (`bench_dask.json`, or `--out`).

(a) Label-model fit on a generated 10M x 50 vote matrix (K = 2, int8, 100 partitions of 100k
    rows). Each partition is generated on a worker and written to disk there; the client never
    holds it. Majority vote and Dawid-Skene fit from statistics summed over the
    partitions as the label-model step fits them (`weasul.partitioned.fit_label_model`:
    `fit_from_statistics` with the executor's tree-summed `map_sum`; Dawid-Skene's partitions
    prepared once and kept on the workers). The client's peak RSS is sampled in a thread (and
    `ru_maxrss` read after the section). The same partitions then go through `weasul.run` as
    npy data (`L_train.parts/`): Dawid-Skene on a fresh cluster fits, predicts and scores every
    partition on the workers (probabilities and predictions written as partitions), with the
    client's peak RSS over the whole run. Then a 1M-row sample (the first 10 partitions) is
    fitted both ways, partitioned on the cluster and in memory, to compare parameters and
    predictions, and Snorkel's LabelModel is fitted on that sample (the full 10M x 50 int64
    matrix, 4 GB before Snorkel's one-hot copy, does not fit on the shared machine).
(b) 20 Python LFs on 1M rows of generated text with the LF step's partitioned writer on a local
    cluster of 1 and of 2 worker processes: throughput ratio 2 workers / 1, and the cores the
    workers obtained (CPU seconds over wall time). In this process (weasul's applier, Snorkel's
    PandasLFApplier) and with Snorkel's DaskLFApplier on the same clusters, the first
    `--head-rows` (30k; Snorkel's pace would make 1M rows take over an hour here).

(c) A generated table of texts (`--table-rows`, 10M by default: id, text, label), written as
    csv and as parquet by a child process, through `weasul.run` on 2 local worker processes:
    the table loader reads it as partitions on the workers, 4 Python LFs label them there and
    Dawid-Skene fits from statistics (report.html included); the client's peak RSS over each
    whole run against the file size. On a 1M-row head the same spec runs in memory (the peer:
    the whole table, its texts and L in the client) and partitioned, same L and parameters.

    OMP_NUM_THREADS=1 .venv/bin/python core/benchmarks/bench_dask.py [--small] [--out FILE]
        [--only label-models|lfs|tables]  (--only updates that section of an existing FILE)

`--small` runs 200k x 50 and 40k text rows (a few minutes). The machine's load average
(`os.getloadavg`) is recorded before and after: on a shared machine it bounds what a 2-worker
ratio can show.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import platform
import re
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

M, K, SEED = 50, 2, 17
ACCURACY = np.linspace(0.55, 0.9, M).astype(np.float32)
COVERAGE = np.linspace(0.05, 0.5, M).astype(np.float32)


class PeakRSS:
    """The peak resident memory of this process (and, summed, of its child processes: the
    local cluster's workers) while the block runs, sampled every 50 ms."""

    def __init__(self) -> None:
        self.peak = self.start = self.children_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, me.memory_info().rss)
            children = 0
            for child in me.children(recursive=True):
                try:
                    children += child.memory_info().rss
                except psutil.Error:
                    continue
            self.children_peak = max(self.children_peak, children)
            self._stop.wait(0.05)

    def __enter__(self) -> PeakRSS:
        self.start = self.peak = psutil.Process().memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, psutil.Process().memory_info().rss)


def _mib(n: float) -> float:
    return round(n / 2**20, 1)


# --- (a) generated votes ---------------------------------------------------------------------
def generate(rows: int, what: str, i: int) -> np.ndarray:
    """Partition i: gold y (`what="y"`), or M sources of known accuracy and coverage (-1 =
    abstain; one uniform draw per cell: a source covers a row with probability COVERAGE and is
    then right with probability ACCURACY). Deterministic in (SEED, i)."""
    rng = np.random.default_rng([SEED, i])
    y = rng.integers(0, K, size=rows).astype(np.int8)
    if what == "y":
        return y
    u = rng.random((rows, M), dtype=np.float32)
    wrong = (y[:, None] + 1) % K  # K = 2: the other class
    votes = np.where(u < COVERAGE * ACCURACY, y[:, None], wrong)
    return np.where(u < COVERAGE, votes, -1).astype(np.int8)


def _state(model: Any) -> dict[str, np.ndarray]:
    return {
        k: np.asarray(v, dtype=float)
        for k, v in model.fitted_state().items()
        if np.asarray(v).dtype != object
    }


def _max_diff(a: Any, b: Any) -> float:
    sa, sb = _state(a), _state(b)
    return max(float(np.max(np.abs(sa[k] - sb[k]))) if sa[k].size else 0.0 for k in sa)


def bench_label_models(n: int, sample_rows: int, partition_rows: int, folder: Path) -> dict[str, Any]:
    from weasul.executor import Executor, ExecutorSpec
    from weasul.partitioned import fit_label_model, write_partitions
    from weasul_baselines.dawid_skene import DawidSkene
    from weasul_baselines.majority_vote import MajorityVote

    parts = n // partition_rows
    out: dict[str, Any] = {"rows": n, "sources": M, "classes": K, "partitions": parts, "dtype": "int8"}
    out["dense_int64_gib"] = round(n * M * 8 / 2**30, 2)
    models = {
        "majority-vote": MajorityVote(n_classes=K),
        "dawid-skene": DawidSkene(n_classes=K),
    }
    with Executor(ExecutorSpec(kind="dask", n_workers=2)) as ex:
        ex.map_list(abs, [1, 2])  # workers up before anything is timed
        with PeakRSS() as rss:
            t = time.perf_counter()
            L = write_partitions(
                functools.partial(generate, partition_rows, "L"),
                range(parts),
                folder / "data" / "L_train",
                ex,
            )
            Y = write_partitions(
                functools.partial(generate, partition_rows, "y"),
                range(parts),
                folder / "data" / "Y_train",
                ex,
            )
            out["generate_s"] = round(time.perf_counter() - t, 2)
            for name, model in models.items():  # as the label-model step fits them
                t = time.perf_counter()
                out[f"fit_{name}_passes"] = fit_label_model(model, L, ex, name)
                out[f"fit_{name}_s"] = round(time.perf_counter() - t, 2)
        out["client_rss_start_mib"] = _mib(rss.start)
        out["client_rss_peak_mib"] = _mib(rss.peak)
        out["client_ru_maxrss_mib"] = _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
        out["client_peak_below_1_gib"] = rss.peak < 2**30
        out["workers_rss_peak_mib"] = _mib(rss.children_peak)
        # the same model on a 1M-row sample: partitioned on the cluster and in memory
        k = sample_rows // partition_rows
        sample = dataclasses.replace(L, files=L.files[:k], rows=L.rows[:k], checksums=L.checksums[:k])
        on_cluster = DawidSkene(n_classes=K)
        fit_label_model(on_cluster, sample, ex, "sample")
    out["spec"] = bench_spec(folder, models["dawid-skene"])
    X, y = sample.to_numpy(), np.concatenate([Y.load(i) for i in range(k)])
    t = time.perf_counter()
    in_memory = DawidSkene(n_classes=K).fit(X)
    out["sample_rows"] = int(len(X))
    out["sample_fit_in_memory_s"] = round(time.perf_counter() - t, 2)
    out["sample_max_param_diff_partitioned_vs_memory"] = _max_diff(on_cluster, in_memory)
    out["sample_predictions_differ"] = int(
        (on_cluster.predict_proba(X).argmax(1) != in_memory.predict_proba(X).argmax(1)).sum()
    )
    out["full_vs_sample_max_param_diff"] = _max_diff(models["dawid-skene"], in_memory)
    out["sample_accuracy_dawid-skene"] = round(float((in_memory.predict_proba(X).argmax(1) == y).mean()), 5)
    true_acc = np.asarray(in_memory.fitted_state()["confusion_"])[:, [0, 1], [0, 1]].mean(axis=1)
    out["dawid-skene_source_accuracy_max_error"] = round(float(np.max(np.abs(true_acc - ACCURACY))), 4)
    out["snorkel_label_model"] = bench_snorkel_label_model(X.astype(np.int64), y)
    return out


def bench_spec(folder: Path, fitted: Any) -> dict[str, Any]:
    """The same data through `weasul.run`: npy data given as partitions, Dawid-Skene on a fresh
    local cluster; the client's peak RSS over the whole run (cluster start, data checks, fit,
    per-partition predictions, cache entry)."""
    import weasul

    spec = {
        "weasul": 1,
        "name": "bench-dask",
        "executor": {"kind": "dask", "n_workers": 2},
        "data": {
            "use": "npy",
            "params": {"path": str(folder / "data"), "splits": ["train"], "class_names": ["a", "b"]},
        },
        "steps": [
            {
                "id": "lm",
                "use": "label_models/dawid-skene",
                "params": {"n_classes": K},
                "inputs": {"L": "data.L", "y": "data.y"},
            }
        ],
        "report": {"html": False},
    }
    with PeakRSS() as rss:
        t = time.perf_counter()
        result = weasul.run(spec, runs_dir=folder / "runs")
        seconds = time.perf_counter() - t
    return {
        "run_s": round(seconds, 2),
        "client_rss_start_mib": _mib(rss.start),
        "client_rss_peak_mib": _mib(rss.peak),
        "client_peak_below_1_gib": rss.peak < 2**30,
        "accuracy": round(result.metrics["lm"]["train"]["accuracy"], 5),
        "max_param_diff_vs_api_fit": _max_diff(result.artifacts["lm.model"], fitted),
        "probs_partitioned": bool(getattr(result.artifacts["lm.probs"]["train"], "partitioned", False)),
        "gathered": "gathering" in (result.path / "run.log").read_text(),
    }


def bench_snorkel_label_model(X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    try:
        from snorkel.labeling.model import LabelModel
    except ImportError as err:
        return {"skipped": f"snorkel not importable: {err}"}
    with PeakRSS() as rss:
        t = time.perf_counter()
        model = LabelModel(cardinality=K, verbose=False)
        model.fit(X, n_epochs=100, seed=0)
        seconds = time.perf_counter() - t
        pred = model.predict_proba(X).argmax(axis=1)
    return {
        "rows": int(len(X)),
        "fit_s": round(seconds, 2),
        "accuracy": round(float((pred == y).mean()), 5),
        "rss_growth_mib": _mib(rss.peak - rss.start),
        "full_10M": "not run: the dense int64 matrix alone is 4 GB on a shared 23 GB machine",
    }


# --- (b) Python LFs on text ----------------------------------------------------------------
VOCAB = [f"w{i}" for i in range(300)] + ["great", "awful", "refund", "love", "hate", "broken", "fast", "slow"]


def make_texts(n: int) -> list[str]:
    rng = np.random.default_rng(SEED)
    lengths = rng.integers(4, 16, size=n)
    words = rng.choice(len(VOCAB), size=int(lengths.sum()))
    marks = rng.choice(["", "!", "?", " 42", "!!"], size=n)
    out, at = [], 0
    for length, mark in zip(lengths, marks, strict=True):
        out.append(" ".join(VOCAB[w] for w in words[at : at + length]) + mark)
        at += length
    return out


_DIGITS = re.compile(r"\d+")
_NEG = re.compile(r"\b(awful|hate|broken|slow)\b")


def _t(x: Any) -> str:
    """The row's text; a non-string (Dask's metadata probe sends a fake row) reads as empty."""
    text = x.text
    return text if isinstance(text, str) else ""


def _kw(word: str, label: int) -> Any:
    def lf(x: Any) -> int:
        return label if word in _t(x).split() else -1

    lf.__name__ = f"kw_{word}"
    return lf


def lf_long(x: Any) -> int:
    return 1 if len(_t(x)) > 70 else -1


def lf_short(x: Any) -> int:
    return 0 if len(_t(x)) < 25 else -1


def lf_bang(x: Any) -> int:
    return 1 if _t(x).endswith("!") else -1


def lf_double_bang(x: Any) -> int:
    return 0 if "!!" in _t(x) else -1


def lf_question(x: Any) -> int:
    return 0 if _t(x).endswith("?") else -1


def lf_digits(x: Any) -> int:
    return 1 if _DIGITS.search(_t(x)) else -1


def lf_neg_regex(x: Any) -> int:
    return 0 if _NEG.search(_t(x)) else -1


def lf_many_words(x: Any) -> int:
    return 1 if len(_t(x).split()) >= 12 else -1


def lf_w1(x: Any) -> int:
    return 1 if _t(x).startswith("w1") else -1


def lf_w2(x: Any) -> int:
    return 0 if _t(x).startswith("w2") else -1


def lf_vowels(x: Any) -> int:
    return 1 if sum(c in "aeiou" for c in _t(x)) > 6 else -1


def lf_upper_half(x: Any) -> int:
    ids = [int(w[1:]) for w in _t(x).split() if w[:1] == "w" and w[1:].isdigit()]
    return 1 if ids and sum(ids) / len(ids) > 200 else -1


FUNCTIONS = [
    _kw("great", 1), _kw("love", 1), _kw("fast", 1), _kw("awful", 0), _kw("hate", 0),
    _kw("broken", 0), _kw("refund", 0), _kw("slow", 0),
    lf_long, lf_short, lf_bang, lf_double_bang, lf_question, lf_digits, lf_neg_regex,
    lf_many_words, lf_w1, lf_w2, lf_vowels, lf_upper_half,
]  # fmt: skip


def bench_python_lfs(n: int, head_rows: int, folder: Path) -> dict[str, Any]:
    """Rows per second: weasul and Snorkel in this process on the first `head_rows`, weasul's
    partitioned LF step on 1 and 2 worker processes on all `n`, Snorkel's DaskLFApplier on the
    same clusters on the head."""
    import pandas as pd
    from weasul.executor import Executor, ExecutorSpec
    from weasul.lf import LabelingFunction, apply_lfs
    from weasul.partitioned import apply_lfs_partitioned

    assert len(FUNCTIONS) == 20
    frame = pd.DataFrame({"text": make_texts(n)})
    lfs = [LabelingFunction(f.__name__, f) for f in FUNCTIONS]
    out: dict[str, Any] = {"rows": n, "lfs": len(lfs)}
    head = frame.iloc[:head_rows]
    out["head_rows"] = len(head)
    t = time.perf_counter()
    reference = apply_lfs(lfs, head, n_classes=K)
    out["weasul_in_process_rows_per_s"] = round(len(head) / (time.perf_counter() - t))
    snorkel = _snorkel_lfs()
    if snorkel is not None:
        from snorkel.labeling import PandasLFApplier

        t = time.perf_counter()
        L_snorkel = PandasLFApplier(snorkel).apply(head, progress_bar=False)
        out["snorkel_pandas_rows_per_s"] = round(len(head) / (time.perf_counter() - t))
        out["snorkel_same_L"] = bool(np.array_equal(L_snorkel, reference[: len(head)]))
    for workers in (1, 2):
        with Executor(ExecutorSpec(kind="dask", n_workers=workers)) as ex:
            apply_lfs_partitioned(lfs, frame.iloc[:200], folder / f"warm{workers}", ex, n_classes=K)
            cpu = _workers_cpu()
            t = time.perf_counter()
            L = apply_lfs_partitioned(lfs, frame, folder / f"L{workers}", ex, n_classes=K)
            seconds = time.perf_counter() - t
            out[f"weasul_dask_{workers}w_rows_per_s"] = round(n / seconds)
            # cores the workers got: their CPU seconds over the wall time (2.0 = two free cores)
            used = _workers_cpu() - cpu
            out[f"weasul_dask_{workers}w_cores_obtained"] = round(used / seconds, 2)
            out[f"weasul_dask_{workers}w_rows_per_worker_cpu_s"] = round(n / used) if used else None
            whole = L.to_numpy()
            out[f"weasul_dask_{workers}w_same_L"] = bool(np.array_equal(whole[: len(head)], reference))
            if workers == 1:
                one_worker = whole
            else:
                out["weasul_2w_same_L_as_1w"] = bool(np.array_equal(whole, one_worker))
            del whole
            if snorkel is not None:
                out.update(_snorkel_dask(snorkel, head, ex, workers, reference[: len(head)]))
    out["weasul_ratio_2w_over_1w"] = round(
        out["weasul_dask_2w_rows_per_s"] / out["weasul_dask_1w_rows_per_s"], 3
    )
    out["weasul_ratio_2w_over_in_process"] = round(
        out["weasul_dask_2w_rows_per_s"] / out["weasul_in_process_rows_per_s"], 3
    )
    if "snorkel_dask_2w_rows_per_s" in out:
        out["snorkel_ratio_2w_over_1w"] = round(
            out["snorkel_dask_2w_rows_per_s"] / out["snorkel_dask_1w_rows_per_s"], 3
        )
        out["weasul_over_snorkel_2w"] = round(
            out["weasul_dask_2w_rows_per_s"] / out["snorkel_dask_2w_rows_per_s"], 3
        )
    return out


# --- (c) a table of texts read as partitions ---------------------------------------------------
TABLE_LFS = """
from weasul.lf import labeling_function
CLASS_NAMES = ["neg", "pos"]
@labeling_function()
def positive(row):
    return 1 if "great" in row.text or "love" in row.text else -1
@labeling_function()
def negative(row):
    return 0 if "awful" in row.text or "hate" in row.text else -1
@labeling_function()
def bang(row):
    return 1 if row.text.endswith("!") else -1
@labeling_function()
def slow(row):
    return 0 if "slow" in row.text or "broken" in row.text else -1
"""


def write_table(rows: int, stem: str | Path, chunk: int = 250_000) -> None:
    """`rows` generated texts with labels as `stem`.csv and `stem`.parquet, chunk by chunk
    (run in a child process: the benchmark's client never holds them). A text of class 1
    carries "great"/"love"/"!" more often, one of class 0 "awful"/"hate"/"slow"."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    with open(f"{stem}.csv", "w", encoding="utf-8") as csv:
        for i, start in enumerate(range(0, rows, chunk)):
            n = min(chunk, rows - start)
            rng = np.random.default_rng([SEED, 3, i])
            label = rng.integers(0, K, size=n)
            cue = np.where(
                label == 1,
                rng.choice(["great", "love", "", ""], size=n),
                rng.choice(["awful", "hate", "slow", ""], size=n),
            )
            noise = rng.random(n) < 0.15  # a cue of the other class
            cue = np.where(noise, np.where(label == 1, "awful", "great"), cue)
            words = rng.choice(len(VOCAB) - 8, size=(n, 8))
            lengths = rng.integers(3, 9, size=n)
            texts = [
                " ".join([VOCAB[w] for w in words[j, : lengths[j]]] + ([cue[j]] if cue[j] else []))
                + ("!" if label[j] == 1 and rng.random() < 0.3 else "")
                for j in range(n)
            ]
            frame = pd.DataFrame({"id": np.arange(start, start + n), "text": texts, "label": label})
            frame.to_csv(csv, index=False, header=i == 0)
            table = pa.Table.from_pandas(frame, preserve_index=False)
            writer = writer or pq.ParquetWriter(f"{stem}.parquet", table.schema)
            writer.write_table(table, row_group_size=chunk)
    if writer is not None:
        writer.close()


def _table_spec(file: Path, executor: dict[str, Any], folder: Path, name: str) -> dict[str, Any]:
    lfs = folder / "table_lfs.py"
    lfs.write_text(TABLE_LFS)
    return {
        "weasul": 1,
        "name": name,
        "executor": executor,
        "data": {
            "use": "table",
            "params": {
                "files": {"train": [str(file)]},
                "text_column": "text",
                "label_column": "label",
                "label_values": [0, 1],
                "class_names": ["neg", "pos"],
            },
        },
        "steps": [
            {
                "id": "lfs",
                "use": "labeling_functions/python",
                "params": {"path": str(lfs)},
                "inputs": {"items": "data.items", "y": "data.y"},
            },
            {
                "id": "lm",
                "use": "label_models/dawid-skene",
                "params": {"n_classes": K},
                "inputs": {"L": "lfs.L", "y": "data.y"},
            },
        ],
    }


def table_child(spec_file: str, out_file: str) -> None:
    """One `weasul.run` of (c) in a fresh process, so its peak RSS is its own: the figures and
    the fitted Dawid-Skene state as JSON in `out_file`."""
    import weasul

    spec = json.loads(Path(spec_file).read_text())
    folder = Path(spec_file).parent
    with PeakRSS() as rss:
        t = time.perf_counter()
        result = weasul.run(spec, runs_dir=folder / "runs", use_cache=False)
        seconds = time.perf_counter() - t
    log = (result.path / "run.log").read_text()
    out = {
        "run_s": round(seconds, 1),
        "client_rss_start_mib": _mib(rss.start),
        "client_rss_peak_mib": _mib(rss.peak),
        "workers_rss_peak_mib": _mib(rss.children_peak),
        "accuracy": round(result.metrics["lm"]["train"]["accuracy"], 5),
        "items_partitioned": bool(getattr(result.artifacts["data.items"]["train"], "partitioned", False)),
        "gathered": "gathering" in log,
        "calibration_in_report": "expected calibration error" in (result.path / "report.html").read_text(),
        "run_dir": str(result.path),
        "state": {k: v.tolist() for k, v in _state(result.artifacts["lm.model"]).items()},
    }
    Path(out_file).write_text(json.dumps(out))


def _table_run(spec: dict[str, Any], folder: Path) -> dict[str, Any]:
    import subprocess

    spec_file, out_file = folder / f"{spec['name']}.json", folder / f"{spec['name']}.out.json"
    spec_file.write_text(json.dumps(spec))
    here = str(Path(__file__).parent)
    code = (
        f"import sys; sys.path.insert(0, {here!r}); import bench_dask; bench_dask.table_child(*sys.argv[1:])"
    )
    subprocess.run([sys.executable, "-c", code, str(spec_file), str(out_file)], check=True)
    return dict(json.loads(out_file.read_text()))


def _run_L(run: dict[str, Any]) -> np.ndarray:
    from weasul.artifacts import read_value

    [path] = (Path(run["run_dir"]) / "artifacts" / "lfs").glob("L.train.*")
    return np.asarray(read_value(path, "label_matrix"))


def bench_tables(n: int, head: int, folder: Path) -> dict[str, Any]:
    """(c): the table through the LF step and Dawid-Skene on 2 worker processes, csv and
    parquet; the head in memory and partitioned beside it. Every run in its own process."""
    import subprocess

    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"rows": n, "head_rows": head, "lfs": 4}
    here = str(Path(__file__).parent)
    for rows, stem in ((n, folder / "table"), (head, folder / "head")):
        t = time.perf_counter()
        code = f"import sys; sys.path.insert(0, {here!r}); import bench_dask; bench_dask.write_table({rows}, sys.argv[1])"
        subprocess.run([sys.executable, "-c", code, str(stem)], check=True)
        if rows == n:
            out["write_s"] = round(time.perf_counter() - t, 1)
            out["csv_mib"] = _mib((folder / "table.csv").stat().st_size)
            out["parquet_mib"] = _mib((folder / "table.parquet").stat().st_size)
    dask = {"kind": "dask", "n_workers": 2}
    for fmt in ("csv", "parquet"):
        out[fmt] = _table_run(_table_spec(folder / f"table.{fmt}", dask, folder, f"t-{fmt}"), folder)
        out[fmt]["client_peak_below_1_gib"] = out[fmt]["client_rss_peak_mib"] < 1024
        print(json.dumps({fmt: {k: v for k, v in out[fmt].items() if k != "state"}}), file=sys.stderr)
    memory = _table_run(_table_spec(folder / "head.csv", {"kind": "local"}, folder, "h-mem"), folder)
    parted = _table_run(_table_spec(folder / "head.csv", dask, folder, "h-dask"), folder)
    out["head_in_memory"], out["head_partitioned"] = memory, parted
    out["head_same_L"] = bool(np.array_equal(_run_L(memory), _run_L(parted)))
    out["head_max_param_diff"] = max(
        float(np.max(np.abs(np.asarray(memory["state"][k]) - np.asarray(parted["state"][k])), initial=0.0))
        for k in memory["state"]
    )
    out["head_client_peak_ratio_memory_over_partitioned"] = round(
        memory["client_rss_peak_mib"] / parted["client_rss_peak_mib"], 2
    )
    for run in (out["csv"], out["parquet"], memory, parted):
        del run["state"], run["run_dir"]
    return out


def _workers_cpu() -> float:
    """CPU seconds (user + system) used so far by this process's child processes."""
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _snorkel_lfs() -> list[Any] | None:
    try:
        from snorkel.labeling import LabelingFunction
    except ImportError:
        return None
    return [LabelingFunction(name=f.__name__, f=f) for f in FUNCTIONS]


def _snorkel_dask(lfs: list[Any], frame: Any, ex: Any, workers: int, reference: np.ndarray) -> dict[str, Any]:
    import dask.dataframe as dd
    from snorkel.labeling.apply.dask import DaskLFApplier

    try:
        ddf = dd.from_pandas(frame, npartitions=2 * workers)
        DaskLFApplier(lfs).apply(dd.from_pandas(frame.iloc[:200], npartitions=1), scheduler=ex.client)
        t = time.perf_counter()
        L = DaskLFApplier(lfs).apply(ddf, scheduler=ex.client)
        seconds = time.perf_counter() - t
    except Exception as err:  # noqa: BLE001 - the peer failing is a result, reported as such
        return {f"snorkel_dask_{workers}w_error": f"{type(err).__name__}: {err}"[:300]}
    return {
        f"snorkel_dask_{workers}w_rows_per_s": round(len(frame) / seconds),
        f"snorkel_dask_{workers}w_same_L": bool(np.array_equal(L, reference)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="200k x 50 votes and 40k text rows")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".json"))
    parser.add_argument("--only", choices=["label-models", "lfs", "tables"], default=None)
    parser.add_argument(
        "--table-rows", type=int, default=None, help="rows of the text table (10M; --small 200k)"
    )
    parser.add_argument(
        "--head-rows", type=int, default=30_000, help="text rows the in-process runs and Snorkel label"
    )
    args = parser.parse_args()
    n, sample, rows, texts = (
        (200_000, 50_000, 25_000, 40_000) if args.small else (10_000_000, 1_000_000, 100_000, 1_000_000)
    )
    result: dict[str, Any] = {
        "small": args.small,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        if args.only in (None, "label-models"):
            result["label_models"] = bench_label_models(n, sample, rows, Path(tmp) / "a")
            print(json.dumps(result["label_models"]), file=sys.stderr)
        if args.only in (None, "lfs"):
            result["python_lfs"] = bench_python_lfs(texts, min(texts, args.head_rows), Path(tmp) / "b")
        if args.only in (None, "tables"):
            table_rows = args.table_rows or (200_000 if args.small else 10_000_000)
            head = min(table_rows, 40_000 if args.small else 1_000_000)
            result["tables"] = bench_tables(table_rows, head, Path(tmp) / "c")
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.only is not None and args.out.is_file():  # one section rerun: keep the others
        section = {"label-models": "label_models", "lfs": "python_lfs", "tables": "tables"}[args.only]
        previous = json.loads(args.out.read_text())
        result[section]["load_average"] = [result["load_average_before"], result["load_average_after"]]
        result = {**previous, section: result[section]}
    text = json.dumps(result, indent=1)
    args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
