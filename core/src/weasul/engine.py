"""Run a spec: load data, run each step (or reuse it from the step cache), write the run folder.

Run folder `runs/<name>/<time>/`: `spec.yaml` (resolved, with every default),
`artifacts/<step>/<output>.<split>.*`, `metrics.json` (rewritten after every step, so an
interrupted run keeps what finished), `run.json` (status, timings, versions, git commit; see
`weasul.run_record`), `run.log`, and reports. The step cache `runs/<name>/cache/<key>/` (see
`weasul.cache`) is keyed by what ran: plugin and step code, resolved params, fit split, the
content of every input and of every file the spec names, so a rerun reuses finished steps,
an interrupted run resumes where it stopped, and an edit anywhere reruns what it affects.
"""

from __future__ import annotations

import hashlib
import json
import logging
import signal
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import weasul_registry

from weasul.artifacts import fingerprint, write_value
from weasul.cache import StepCache, json_default, write_text_atomic
from weasul.data import SPLIT_FIELDS, Dataset
from weasul.errors import DataError, PluginError, StopRequested, WeasulError
from weasul.executor import Executor
from weasul.outputs import check_step_output
from weasul.partitioned import gather_inputs, load_dataset
from weasul.plan import Plan, PlannedStep, Ref, plan
from weasul.plugin import Plugin
from weasul.run_models import save_step_models
from weasul.run_record import RunRecord, params_with_defaults
from weasul.spec import ReporterSpec, Spec, load_spec, parse_spec
from weasul.steps import StepContext, StepOutput, fit_split, run_step
from weasul.storage import is_disk_full, write_failure

if TYPE_CHECKING:
    import pluggy

    from weasul.interfaces import Reporter

__all__ = ["RunResult", "run", "validate"]

_log = logging.getLogger("weasul.run")
_RUNS_HINT = "or pass another --runs-dir (runs_dir= in Python)"


@dataclass
class RunResult:
    """A finished run: its folder, metrics per step id, and artifacts by `step.output`."""

    path: Path
    metrics: dict[str, Any]
    artifacts: dict[str, Any] = field(default_factory=dict)


def _as_spec(
    spec: str | Path | Mapping[str, Any] | Spec, overrides: Sequence[str] = ()
) -> tuple[Spec, dict[str, Any]]:
    from weasul.overrides import apply_overrides

    if isinstance(spec, Spec):
        if overrides:
            raw = apply_overrides(spec.model_dump(mode="json"), overrides)
            return parse_spec(raw), raw
        return spec, spec.model_dump(mode="json")
    if isinstance(spec, Mapping):
        raw = apply_overrides(dict(spec), overrides)
        return parse_spec(raw), raw
    return load_spec(spec, overrides)


def validate(spec: str | Path | Mapping[str, Any] | Spec, *, overrides: Sequence[str] = ()) -> Plan:
    """Check a spec statically (plugins, params, wiring, kinds) without running it;
    `overrides` are `key=value` changes (see `weasul.overrides`)."""
    return plan(_as_spec(spec, overrides)[0])


# --- values flowing between steps ----------------------------------------------------------
class _Store:
    """Artifacts by source and output, each split-wise, plus a fingerprint per value."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], Any] = {}
        self.kinds: dict[tuple[str, str], str] = {}
        self.prints: dict[tuple[str, str], str] = {}

    def put(self, source: str, output: str, kind: str, value: Any, print_: str | None = None) -> None:
        self.values[(source, output)] = value
        self.kinds[(source, output)] = kind
        if print_ is not None:
            self.prints[(source, output)] = print_

    def get(self, ref: Ref, where: str) -> Any:
        key = (ref.source, ref.output)
        if key not in self.values or self.values[key] is None:
            raise DataError(f"{where}: '{ref}' is not available (the data set has no '{ref.output}')")
        value = self.values[key]
        if ref.split is None or self.kinds[key].startswith("model"):
            return value
        if ref.split not in value:
            raise DataError(f"{where}: '{ref}' has no split '{ref.split}'; splits: {', '.join(value)}")
        return {ref.split: value[ref.split]}

    def fingerprint(self, ref: Ref) -> str:
        key = (ref.source, ref.output)
        if key not in self.prints:
            value = self.values[key]
            self.prints[key] = hashlib.sha256(
                "".join(f"{s}:{fingerprint(v)}" for s, v in sorted(value.items())).encode()
            ).hexdigest()[:32]
        base = self.prints[key]
        return f"{base}/{ref.split}" if ref.split else base


def _data_outputs(dataset: Dataset) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {name: {} for name in SPLIT_FIELDS}
    for split, values in dataset.splits.items():
        for name in SPLIT_FIELDS:
            value = values.get(name)
            if value is not None:
                out[name][split] = value
    return out


# --- the step cache ----------------------------------------------------------------------
def _resolved(spec: Spec, the_plan: Plan) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The spec as it runs, with every parameter default filled in; and each step's params so
    resolved (plugin and step-only params together, as a spec writes them)."""
    from weasul.plugins import load_class

    out = spec.model_dump(mode="json")
    if out.get("data") is not None and the_plan.data_params is not None:
        out["data"]["params"] = the_plan.data_params.model_dump(mode="json")
    by_step = {}
    for entry, step in zip(out["steps"], the_plan.steps, strict=True):
        by_step[step.id] = entry["params"] = {
            **params_with_defaults(step.cls.Params, step.params, skip=step.param_inputs()),
            **params_with_defaults(step.step_cls.Params, step.step_params),
        }
    reporters = []
    for reporter in spec.report.reporters:
        named = reporter if isinstance(reporter, ReporterSpec) else ReporterSpec(use=reporter)
        cls = load_class("reporters", named.use)
        reporters.append({"use": named.use, "params": params_with_defaults(cls.Params, named.params)})
    out["report"]["reporters"] = reporters
    return out, by_step


def _write_arrays(output: StepOutput, folder: Path) -> list[Path]:
    """A step's array and table artifacts in the run folder, one file per output and split."""
    paths = []
    for name, value in output.artifacts.items():
        if isinstance(value, Plugin) or value is None:
            continue
        for split, item in value.items():
            paths.append(write_value(item, folder / f"{name}.{split}"))
    return paths


# --- running -----------------------------------------------------------------------------
class _Forward(logging.Handler):
    """During a run the captured loggers send everything to run.log; this passes on to the
    application's handlers only what they would have seen anyway (the previous level and up)."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger().handle(record)


@contextmanager
def _run_log(path: Path, plugin_packages: Iterable[str]) -> Iterator[None]:
    """Write the `weasul` loggers (DEBUG and up) and the loggers of the plugins' packages (INFO
    and up) to `path` for the duration of a run, leaving what the application sees unchanged."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    levels = {"weasul": logging.DEBUG, **{name: logging.INFO for name in plugin_packages if name != "weasul"}}
    saved = []
    for name, level in levels.items():
        logger = logging.getLogger(name)
        forward = _Forward(level=logger.getEffectiveLevel())
        saved.append((logger, forward, logger.level, logger.propagate))
        logger.addHandler(handler)
        logger.addHandler(forward)
        logger.setLevel(min(level, logger.getEffectiveLevel()))
        logger.propagate = False
    try:
        yield
    finally:
        for logger, forward, level, propagate in saved:
            logger.removeHandler(handler)
            logger.removeHandler(forward)
            logger.setLevel(level)  # setLevel, not assignment: it clears the children's level caches
            logger.propagate = propagate
        handler.close()


def _plugin_packages(the_plan: Plan) -> set[str]:
    """Top-level package of every plugin class a plan uses (their loggers go to run.log)."""
    classes: list[type] = [step.cls for step in the_plan.steps] + [cls for cls, _ in the_plan.reporters]
    if the_plan.data_cls is not None:
        classes.append(the_plan.data_cls)
    return {cls.__module__.partition(".")[0] for cls in classes}


def _distributions(spec: Spec) -> list[str]:
    """The distribution of every plugin a spec names, from the registry (for run.json)."""
    installed = weasul_registry.snapshot()
    uses = [("datasets", spec.data.use)] if spec.data is not None else []
    uses += [(step.use.partition("/")[0], step.use.partition("/")[2]) for step in spec.steps]
    uses += [("reporters", r if isinstance(r, str) else r.use) for r in spec.report.reporters]
    names = []
    for group, name in uses:
        full = "weasul." + group
        try:
            record = weasul_registry.find(full, name, entry_points=installed.select(group=full))
        except weasul_registry.RegistryError:
            continue
        names.append(record.distribution)
    return names


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Make SIGTERM raise KeyboardInterrupt during a run, so a terminated run is marked
    `interrupted`; only in the main thread and where nobody handles SIGTERM already."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) not in (
        signal.SIG_DFL,
        None,
    ):
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt("terminated (SIGTERM)")

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


class _LogHooks:
    """Writes lifecycle events to the run log."""

    @weasul_registry.hookimpl
    def artifact_written(self, run_name: str, step_id: str, name: str, path: str) -> None:
        _log.debug("step %s wrote %s", step_id, path)


def _new_run_dir(runs_dir: Path, name: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    folder = runs_dir / name / stamp
    n = 1
    while folder.exists():
        n += 1
        folder = runs_dir / name / f"{stamp}-{n}"
    folder.mkdir(parents=True)
    return folder


@dataclass
class _Caching:
    """What `_run_step` needs to key, read and write cache entries during one run."""

    cache: StepCache
    use_cache: bool
    params: dict[str, dict[str, Any]]  # each step's resolved params
    data_files: dict[str, str]  # content hashes of the files the data section names
    uses: dict[str, tuple[type, str]]  # step id -> (plugin class, use)


def _run_step(
    step: PlannedStep, store: _Store, ctx: StepContext, caching: _Caching
) -> tuple[StepOutput, bool, str]:
    """Run one step or restore it from the cache; returns its output, whether it was cached,
    and its key (which also fingerprints the models it outputs)."""
    where = f"step '{step.id}'"
    inputs = {name: store.get(ref, where) for name, ref in step.refs.items()}
    if not vars(step.step_cls).get("accepts_partitioned", False):
        inputs = gather_inputs(inputs, f"{where} ({step.spec.use})")
    params = dict(step.params)
    for name in step.param_inputs():
        value = inputs.pop(name)
        value = value if isinstance(value, Plugin) else fit_split(value, ctx, name)
        params[name] = value.tolist() if isinstance(value, np.ndarray) else value
    models = [v for v in [*inputs.values(), *params.values()] if isinstance(v, Plugin)]
    key = caching.cache.key(
        use=step.spec.use,
        params=caching.params[step.id],
        inputs={k: store.fingerprint(r) for k, r in step.refs.items()},
        classes=[Plugin, step.cls, step.step_cls, *(type(m) for m in models)],
        files=caching.data_files,
        fit_on=step.spec.fit_on,
    )
    if step.spec.cache and caching.use_cache:
        entry = caching.cache.read(key, step.id)
        if entry is not None:
            return StepOutput(entry.artifacts, entry.metrics), True, key
    output = run_step(step.cls(**params), inputs, ctx, use=step.spec.use, **step.step_params)
    check_step_output(
        output.artifacts, step.outputs, inputs, where=f"{where} ({step.spec.use})", n_classes=ctx.n_classes
    )
    if step.spec.cache:
        # registered names of the model classes this step may output: its own plugin's and
        # those of the steps its model inputs come from
        names = {step.cls: step.spec.use}
        for ref in step.refs.values():
            if ref.source in caching.uses:
                names.setdefault(*caching.uses[ref.source])
        caching.cache.write(key, step.id, output.artifacts, output.metrics, step.outputs, names)
    return output, False, key


def run(
    spec: str | Path | Mapping[str, Any] | Spec,
    *,
    runs_dir: str | Path = "runs",
    use_cache: bool = True,
    hooks: Iterable[object] = (),
    overrides: Sequence[str] = (),
) -> RunResult:
    """Validate and run a spec; returns the run folder, metrics and artifacts. `overrides`
    are `key=value` changes to the spec (`-s` on the command line), recorded in run.json.

    Each reporter of the spec is made before the run starts and registered with the run's
    lifecycle hooks (`weasul_registry.LifecycleSpec`) beside `hooks`, so a tracker sees every
    step; its `write` runs once the steps are done (run.json then says `reporting`).

    Raises SpecError before anything runs when the spec is wrong, DataError when data is,
    WeasulError naming the path when the run folder cannot be written (a full disk).
    """
    spec_obj, _ = _as_spec(spec, overrides)
    spec_file = Path(spec).resolve() if isinstance(spec, (str, Path)) else None
    the_plan = plan(spec_obj)
    manager = weasul_registry.make_hook_manager()
    manager.register(_LogHooks())
    for hook in hooks:
        manager.register(hook)
    reporters = [cls(params) for cls, params in the_plan.reporters]
    for reporter in reporters:
        manager.register(reporter)
    try:
        return _execute(
            spec_obj, the_plan, manager, reporters, Path(runs_dir), spec_file, use_cache, overrides
        )
    except OSError as err:  # the run folder itself, spec.yaml, run.log or run.json
        raise WeasulError(f"run '{spec_obj.name}': {write_failure(err, runs_dir, hint=_RUNS_HINT)}") from err


def _writes_run(err: OSError, runs_dir: Path) -> bool:
    """Whether `err` is a failed write of the run folder or the step cache (or a full disk)."""
    if is_disk_full(err):
        return True
    if not isinstance(err.filename, str):
        return False
    return Path(err.filename).resolve().is_relative_to(runs_dir.resolve())


def _execute(
    spec_obj: Spec,
    the_plan: Plan,
    manager: pluggy.PluginManager,
    reporters: list[Reporter],
    runs_dir: Path,
    spec_file: Path | None,
    use_cache: bool,
    overrides: Sequence[str],
) -> RunResult:
    """`run` once the plan and the hooks are ready."""
    run_dir = _new_run_dir(runs_dir, spec_obj.name)
    with _run_log(run_dir / "run.log", _plugin_packages(the_plan)), _sigterm_interrupts():
        import yaml

        resolved, step_params = _resolved(spec_obj, the_plan)
        (run_dir / "spec.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))
        cache = StepCache(runs_dir / spec_obj.name / "cache")
        data_params = resolved["data"]["params"] if resolved.get("data") else {}
        caching = _Caching(
            cache,
            use_cache,
            step_params,
            cache.file_hashes(data_params),
            {s.id: (s.cls, s.spec.use) for s in the_plan.steps},
        )
        record = RunRecord(
            run_dir,
            resolved,
            spec_file=spec_file,
            distributions=_distributions(spec_obj),
            classes=[step.step_cls for step in the_plan.steps],
            files=caching.data_files,
        )
        record.data["overrides"] = list(overrides)  # written with the next record update
        hook = manager.hook
        metrics: dict[str, Any] = {}
        store = _Store()
        status = "failed"
        executor = Executor(spec_obj.executor)
        class_names: tuple[str, ...] = ()
        current = "the run_started hooks"
        try:
            hook.run_started(run_name=spec_obj.name, run_dir=str(run_dir), spec=resolved)
            current = "data"
            if the_plan.data_cls is not None:
                dataset = load_dataset(the_plan.data_cls(the_plan.data_params), executor)  # partitions on Dask
                class_names = dataset.class_names
                for name, values in _data_outputs(dataset).items():
                    store.put("data", name, SPLIT_FIELDS[name], values or None)
                _log.info("data %s: splits %s", dataset.name, {s: len(v) for s, v in dataset.splits.items()})
            for step in the_plan.steps:
                current = f"step '{step.id}' ({step.spec.use})"
                hook.before_step(run_name=spec_obj.name, step_id=step.id, plugin=step.spec.use)
                ctx = StepContext(
                    step.id, run_dir / "artifacts" / step.id, step.spec.fit_on, class_names, executor
                )
                started = time.perf_counter()
                output, was_cached, key = _run_step(step, store, ctx, caching)
                seconds = time.perf_counter() - started
                save_step_models(run_dir, step.id, output.artifacts, {step.cls: step.spec.use})
                for name, kind in step.outputs.items():
                    if name in output.artifacts:
                        model_print = f"{key}/{name}" if kind.startswith("model") else None
                        store.put(step.id, name, kind, output.artifacts[name], model_print)
                for path in _write_arrays(output, ctx.out_dir):
                    hook.artifact_written(
                        run_name=spec_obj.name, step_id=step.id, name=path.name, path=str(path)
                    )
                metrics[step.id] = output.metrics
                write_text_atomic(
                    run_dir / "metrics.json", json.dumps(metrics, indent=1, default=json_default)
                )
                record.add_files(cache.file_hashes(step_params[step.id]))
                record.step(step.id, use=step.spec.use, key=key, cached=was_cached, seconds=seconds)
                _log.info(
                    "step %s (%s) done in %.2fs%s",
                    step.id,
                    step.spec.use,
                    seconds,
                    " (cached)" if was_cached else "",
                )
                hook.after_step(
                    run_name=spec_obj.name,
                    step_id=step.id,
                    metrics=output.metrics,
                    seconds=seconds,
                    cached=was_cached,
                )
            record.reporting()
            for reporter in reporters:
                current = f"reporter {type(reporter).__name__}"
                for path in reporter.write(run_dir, metrics):
                    hook.artifact_written(
                        run_name=spec_obj.name, step_id="report", name=path.name, path=str(path)
                    )
            status = "ok"
            record.finish("finished")
        except SystemExit as err:
            # sys.exit in an LF, a plugin or an estimator path: an error, not a quiet exit 0
            _log.info("run %s stopped in %s: sys.exit(%s)", spec_obj.name, current, err.code)
            record.finish("failed", f"{current}: called sys.exit({err.code})")
            write_text_atomic(run_dir / "metrics.json", json.dumps(metrics, indent=1, default=json_default))
            raise PluginError(
                f"run '{spec_obj.name}' stopped: {current} called sys.exit({err.code}); code a spec runs "
                f"must raise an exception instead (metrics of the steps before: {run_dir / 'metrics.json'})"
            ) from None
        except KeyboardInterrupt as err:
            _log.info("run %s interrupted in %s", spec_obj.name, current)
            record.finish("interrupted", f"{current}: {err or 'KeyboardInterrupt'}")
            raise
        except StopRequested as err:
            _log.info("run %s stopped in %s: %s", spec_obj.name, current, err)
            record.finish("interrupted", f"{current}: {err}")
            raise
        except WeasulError as err:
            # the caller reports the message; the traceback goes to run.log only
            _log.info("run %s stopped in %s: %s", spec_obj.name, current, err)
            _log.debug("traceback", exc_info=True)
            record.finish("failed", f"{current}: {err}")
            raise
        except Exception as err:
            _log.info("run %s failed in %s", spec_obj.name, current)
            _log.debug("traceback", exc_info=True)
            if isinstance(err, OSError) and _writes_run(err, runs_dir):
                problem = write_failure(err, run_dir, hint=_RUNS_HINT)
                record.finish("failed", f"{current}: {problem}")
                raise WeasulError(f"run '{spec_obj.name}' stopped in {current}: {problem}") from err
            record.finish("failed", f"{current}: {type(err).__name__}: {err}")
            raise WeasulError(
                f"run '{spec_obj.name}' failed in {current}: {type(err).__name__}: {err} (log: {run_dir / 'run.log'})"
            ) from err
        finally:
            executor.close()
            hook.run_finished(run_name=spec_obj.name, run_dir=str(run_dir), metrics=metrics, status=status)
    artifacts = {f"{src}.{out}": v for (src, out), v in store.values.items()}
    return RunResult(run_dir, metrics, artifacts)
