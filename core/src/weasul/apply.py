"""Apply a finished run to new items: its labeling functions, label model, encoders and end
model, as fitted in that run (`weasul apply RUN_DIR --data new.csv`, `weasul.load_run`).

The run folder holds what is needed: `spec.yaml` (the resolved spec), `run.json` (content
hashes of the files it read) and `models/` (every fitted model, see `weasul.run_models`).
Nothing is refitted. New items arrive as a table with the columns the run's data had; each
step is replayed in spec order on them by its step class's `apply` (`weasul.steps.Step.apply`):
labeling functions make L, label models and classifiers predict, encoders encode, scorers score.
A step with no `apply_inputs`, or whose inputs are not available on new items (an error finder
needs given labels, an oracle has nothing to apply), is skipped with the reason. The answer is
the last step that produced probabilities (the end model of a usual pipeline), or the step asked for.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from weasul import progress
from weasul.errors import DataError, SpecError
from weasul.plan import Plan, PlannedStep, plan
from weasul.plugin import Plugin
from weasul.run_models import load_step_model
from weasul.spec import parse_spec
from weasul.steps import LabelingFunctionStep, classification_metrics

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Applied", "TrainedRun", "load_run", "read_items", "DEFAULT_CHUNK_ROWS"]

_log = logging.getLogger("weasul.apply")

#: Rows read and labelled at a time from a file (bounded memory on large files).
DEFAULT_CHUNK_ROWS = 20_000
_TEXT_PARAMS = ("text_column", "text_field")


@dataclass
class Applied:
    """What a run produced on new items: artifacts by `step.output`, the step whose
    probabilities are the answer, per-step metrics where the items carried gold labels, and
    the steps that were not applied with the reason."""

    artifacts: dict[str, Any]
    final: str
    class_names: tuple[str, ...]
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def probs(self) -> np.ndarray:
        """(n_items, K) probabilities of the final step."""
        return np.asarray(self.artifacts[f"{self.final}.probs"])

    def frame(self) -> pd.DataFrame:
        """One row per item: `pred` (class index), `label` (class name), `prob_<class>` of the
        final step, and `<step>.pred` of every other step that predicted classes."""
        import pandas as pd

        probs = self.probs
        pred = probs.argmax(axis=1)
        names = list(self.class_names) or [str(c) for c in range(probs.shape[1])]
        columns: dict[str, Any] = {"pred": pred, "label": np.asarray(names, dtype=object)[pred]}
        for c, name in enumerate(names):
            columns[f"prob_{name}"] = probs[:, c]
        for key, value in self.artifacts.items():
            step, _, output = key.partition(".")
            if output == "probs" and step != self.final:
                columns[f"{step}.pred"] = np.asarray(value).argmax(axis=1)
        return pd.DataFrame(columns)


@contextmanager
def _quiet() -> Iterator[None]:
    """Inner loops stay silent while an outer progress bar is drawn (one live display)."""
    was = progress.enabled()
    progress.disable()
    try:
        yield
    finally:
        if was:
            progress.enable()


# --- reading new items -----------------------------------------------------------------------
def _count_rows(path: Path) -> int | None:
    """About how many rows a csv/jsonl file has (newlines; enough for a progress bar)."""
    if path.suffix not in (".csv", ".tsv", ".jsonl"):
        return None
    count = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            count += block.count(b"\n")
    return max(count - (path.suffix != ".jsonl"), 0)


def read_items(
    path: str | Path, *, chunk_rows: int = DEFAULT_CHUNK_ROWS, encoding: str = "utf-8"
) -> Iterator[pd.DataFrame]:
    """The rows of a csv, tsv, parquet, json or jsonl file, `chunk_rows` at a time."""
    from weasul.lazy import missing_table_extra

    try:
        import pandas as pd
    except ImportError as err:
        raise missing_table_extra("weasul apply (reading new items)", err) from err
    from weasul.storage import check_file

    path = check_file(path)
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty; give a file with a header row naming the columns the run reads")
    try:
        if suffix in (".csv", ".tsv"):
            reader = pd.read_csv(
                path, encoding=encoding, sep="\t" if suffix == ".tsv" else ",", chunksize=chunk_rows
            )
            with reader:
                for chunk in reader:
                    if not isinstance(chunk.index, pd.RangeIndex):  # the first field became an index
                        raise DataError(
                            f"{path}: its rows have one field more than the header names; add the missing "
                            "column name to the header or check the separator and quoting"
                        )
                    yield chunk
        elif suffix == ".parquet":
            import importlib

            pq: Any = importlib.import_module("pyarrow.parquet")
            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
                yield batch.to_pandas()
        elif suffix == ".jsonl":
            with pd.read_json(path, lines=True, chunksize=chunk_rows, encoding=encoding) as json_reader:
                yield from json_reader
        elif suffix == ".json":
            yield pd.read_json(path, encoding=encoding)
        else:
            raise DataError(f"{path}: weasul apply reads .csv, .tsv, .parquet, .json or .jsonl files")
    except (UnicodeDecodeError, ValueError) as err:
        if isinstance(err, DataError):
            raise
        raise DataError(f"cannot read {path}: {err}") from err


# --- the trained run -----------------------------------------------------------------------------
class TrainedRun:
    """A finished run folder, ready to label new items with the models it fitted."""

    def __init__(self, run_dir: str | Path) -> None:
        import yaml

        self.path = Path(run_dir)
        spec_file, record_file = self.path / "spec.yaml", self.path / "run.json"
        if not spec_file.is_file():
            raise DataError(f"{self.path} is not a run folder (it has no spec.yaml)")
        self.record: dict[str, Any] = (
            json.loads(record_file.read_text(encoding="utf-8")) if record_file.is_file() else {}
        )
        status = self.record.get("status")
        if status not in (None, "finished"):
            raise DataError(f"run {self.path} is '{status}', not finished; apply a finished run")
        self.spec: dict[str, Any] = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
        self.plan: Plan = plan(parse_spec(self.spec, str(spec_file)))
        self._models: dict[str, Plugin] = {}
        self._packs: dict[str, Any] = {}
        self.class_names: tuple[str, ...] = self._class_names()

    def __repr__(self) -> str:
        return f"TrainedRun({str(self.path)!r}, steps={[s.id for s in self.plan.steps]})"

    # --- what the run fitted ---
    def model(self, step_id: str, output: str = "model") -> Plugin:
        """The fitted model a step saved (loaded once)."""
        key = f"{step_id}.{output}"
        if key not in self._models:
            self._models[key] = load_step_model(self.path, step_id, output)
        return self._models[key]

    def fitted(self, step: PlannedStep) -> Any:
        """What `Step.apply` gets: the model the step saved, or for a step that outputs no model
        (labeling functions) its plugin rebuilt from the spec (`lf_pack`)."""
        if "model" in step.step_cls.outputs:
            return self.model(step.id)
        return self.lf_pack(step)

    def lf_pack(self, step: PlannedStep) -> Any:
        """The plugin of a step that saves no model, rebuilt from the spec after checking that
        every file it reads is the one the run read (otherwise the labeling functions' L would
        not match what the label model learned)."""
        if step.id not in self._packs:
            from weasul.cache import named_files, tree_hash

            recorded = self.record.get("files", {})
            now = {  # as the run's cache hashed them (weasul.cache.StepCache.file_hashes)
                text: tree_hash(path.resolve(), (".py",) if text.startswith("module ") else None)
                for text, path in named_files(step.params)
            }
            changed = [name for name, digest in now.items() if name in recorded and recorded[name] != digest]
            if changed:
                raise DataError(
                    f"step '{step.id}': {', '.join(changed)} changed since the run {self.path}; its labeling "
                    "functions would not be those the label model learned from. Rerun the spec, or restore the file"
                )
            self._packs[step.id] = step.cls(**step.params)
        return self._packs[step.id]

    def _class_names(self) -> tuple[str, ...]:
        params = self.spec.get("data", {}) or {}
        names = (params.get("params") or {}).get("class_names")
        if names:
            return tuple(str(n) for n in names)
        for step in self.plan.steps:
            if issubclass(step.step_cls, LabelingFunctionStep):
                try:
                    return tuple(self.lf_pack(step).class_names)
                except DataError:
                    continue
        return ()

    # --- new items ---
    def _data(self, items: pd.DataFrame) -> dict[str, Any]:
        """The data outputs a spec can reference, made from a table of new items."""
        params = (self.spec.get("data") or {}).get("params") or {}
        out: dict[str, Any] = {"items": items}
        text_col = next((params[p] for p in _TEXT_PARAMS if params.get(p)), None)
        if text_col is not None:
            if text_col not in items:
                raise DataError(
                    f"the new items have no column '{text_col}' (the run's text); columns are {list(items.columns)}"
                )
            out["text"] = items[text_col].astype(str).to_numpy(dtype=object)
        label_col, values = params.get("label_column"), params.get("label_values")
        if label_col and label_col in items:
            raw = items[label_col]
            order = values or list(self.class_names)
            lookup = {v: i for i, v in enumerate(order)}
            if order and set(raw.unique()) <= set(lookup):
                out["y"] = raw.map(lookup).to_numpy(dtype=np.int64)
        return out

    def transform(self, items: pd.DataFrame, *, step: str | None = None) -> Applied:
        """Every step that can run on new items, in spec order; raises DataError when the
        wanted step (`step`, else the last that predicts probabilities) cannot."""
        if len(items) == 0:
            raise DataError("no items to label (the table is empty)")
        wanted = step
        if wanted is not None and wanted not in {s.id for s in self.plan.steps}:
            raise SpecError(
                f"run {self.path} has no step '{wanted}'; steps: {', '.join(s.id for s in self.plan.steps)}"
            )
        values: dict[tuple[str, str], Any] = {("data", k): v for k, v in self._data(items).items()}
        skipped: dict[str, str] = {}
        final = None
        for planned in self.plan.steps:
            needs = planned.step_cls.apply_inputs
            if needs is None:
                skipped[planned.id] = f"{planned.step_cls.__name__} has nothing to apply to new items"
                continue
            missing = [
                n
                for n in needs
                if n in planned.refs and (planned.refs[n].source, planned.refs[n].output) not in values
            ]
            missing += [n for n in needs if n not in planned.refs]
            if missing:
                refs = [str(planned.refs[n]) if n in planned.refs else n for n in missing]
                skipped[planned.id] = f"needs {', '.join(refs)}, not available on new items"
                continue
            inputs = {n: values[(planned.refs[n].source, planned.refs[n].output)] for n in needs}
            runner = planned.step_cls(**planned.step_params)
            for name, value in runner.apply(self.fitted(planned), inputs).items():
                values[(planned.id, name)] = value
            if (planned.id, "probs") in values:
                final = planned.id
        target = wanted or final
        if target is None:
            reasons = "; ".join(f"{k}: {v}" for k, v in skipped.items()) or "it has no steps"
            raise DataError(f"run {self.path}: no step can label new items ({reasons})")
        if (target, "probs") not in values:
            why = skipped.get(target, "it predicts no probabilities")
            raise DataError(f"run {self.path}: cannot label new items with step '{target}': {why}")
        metrics = {}
        y = values.get(("data", "y"))
        if y is not None:
            for (source, name), value in values.items():
                if name == "probs":
                    metrics[source] = classification_metrics(y, np.asarray(value))
        artifacts = {
            f"{s}.{o}": v for (s, o), v in values.items() if s != "data" and not isinstance(v, Plugin)
        }
        return Applied(artifacts, target, self.class_names, metrics, skipped)

    def predict_proba(self, items: pd.DataFrame, *, step: str | None = None) -> np.ndarray:
        """(n_items, K) probabilities of the final step on new items."""
        return self.transform(items, step=step).probs

    def predict(self, items: pd.DataFrame, *, step: str | None = None) -> pd.DataFrame:
        """A table of predictions for new items (see `Applied.frame`), one row per item."""
        return self.transform(items, step=step).frame()

    def apply_file(
        self,
        path: str | Path,
        *,
        out: str | Path | None = None,
        step: str | None = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
    ) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
        """Label the items of a file `chunk_rows` at a time (a progress bar where enabled);
        writes the predictions to `out` (.parquet or .csv) when given. Returns the predictions
        and, when the file has the run's label column, the metrics of each predicting step."""
        import pandas as pd

        params = (self.spec.get("data") or {}).get("params") or {}
        from weasul.storage import check_file

        check_file(path)
        rows = _count_rows(Path(path).expanduser())
        total = None if rows is None else max(1, -(-rows // chunk_rows))
        frames, golds = [], []
        probs: dict[str, list[np.ndarray]] = {}
        for chunk in progress.track(
            read_items(path, chunk_rows=chunk_rows, encoding=params.get("encoding", "utf-8")),
            total=total,
            desc=f"applying {self.plan.spec.name}",
        ):
            with _quiet():
                applied = self.transform(chunk.reset_index(drop=True), step=step)
            frames.append(applied.frame())
            golds.append(self._data(chunk).get("y"))
            for key, value in applied.artifacts.items():
                if key.endswith(".probs"):
                    probs.setdefault(key.partition(".")[0], []).append(np.asarray(value))
        result = pd.concat(frames, ignore_index=True)
        metrics: dict[str, dict[str, float]] = {}
        if golds and all(g is not None for g in golds):
            y = np.concatenate([g for g in golds if g is not None])
            metrics = {s: classification_metrics(y, np.concatenate(p)) for s, p in probs.items()}
        if out is not None:
            _write_predictions(result, Path(out))
        return result, metrics


def _write_predictions(frame: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        from weasul.lazy import require_parquet

        require_parquet("writing predictions as parquet")
        frame.to_parquet(out, index=False)
    elif out.suffix == ".csv":
        frame.to_csv(out, index=False)
    else:
        raise DataError(f"--out {out}: write predictions to a .parquet or .csv file")


def load_run(run_dir: str | Path) -> TrainedRun:
    """A finished run folder, to label new items: `weasul.load_run(path).predict(frame)`."""
    return TrainedRun(run_dir)
