"""The `weasul` command line. Imports stay inside commands so `weasul --help` is instant."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="weasul", description="Weak supervision from composable plugins.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and plugin load errors in full")
    parser.add_argument("--version", action="version", version=f"weasul {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a spec file")
    run.add_argument("spec")
    run.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs)")
    run.add_argument("--no-cache", action="store_true", help="rerun every step")
    _add_set(run)
    run.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="KEY=[V1,V2]",
        help="run once per value (every combination of several sweeps), e.g. --sweep steps.lm.params.seed=[0,1,2]",
    )

    validate = sub.add_parser("validate", help="check a spec without running it")
    validate.add_argument("spec")
    _add_set(validate)

    plugins = sub.add_parser(
        "plugins",
        help="list installed plugins (from metadata; statuses from the last --check)",
        description="List installed plugins from their entry points without importing them. The "
        "status column shows the outcome of the last `weasul plugins --check` while the installed "
        "distributions are unchanged, else 'unchecked'.",
    )
    plugins.add_argument("action", nargs="?", choices=["show"], help="show NAME: one plugin in full")
    plugins.add_argument("name", nargs="?", help="with show: group/name or a name, e.g. label_models/dawid-skene")
    plugins.add_argument("--group", help="only this group, e.g. label_models")
    plugins.add_argument("--json", action="store_true", help="machine-readable output")
    plugins.add_argument(
        "--check", action="store_true", help="import each plugin, show whether it loads and remember it"
    )

    sub.add_parser("schema", help="print the JSON Schema of the spec with every installed plugin's params")

    new = sub.add_parser("new-plugin", help="create a plugin package from the template")
    new.add_argument("name", help="plugin name, kebab-case, e.g. my-vote")
    new.add_argument(
        "--interface",
        required=True,
        help="e.g. LabelModel, label_models or label-model (checked by the scaffold)",
    )
    new.add_argument("--dir", default=".", help="parent folder of the new package (default: .)")
    new.add_argument("--into", help="add the plugin to this existing package folder instead")

    apply = sub.add_parser(
        "apply",
        help="label new items with a finished run's LFs, label model and end model",
        description="Replay a finished run on new items without refitting: its labeling functions, "
        "label model, encoders and end model, as saved in RUN_DIR/models. Prints metrics when the "
        "file has the run's label column.",
    )
    apply.add_argument("run_dir", metavar="RUN_DIR", help="a run folder, e.g. runs/spam/20260101-120000")
    apply.add_argument("--data", required=True, help="new items: .csv, .tsv, .parquet, .json or .jsonl")
    apply.add_argument("--out", help="write predictions here (.parquet or .csv)")
    apply.add_argument("--step", help="the step whose predictions to write (default: the last that predicts)")
    apply.add_argument("--chunk-rows", type=int, default=20_000, help="rows labelled at a time (default: 20000)")

    report = sub.add_parser(
        "report",
        help="rebuild report.html of a run folder",
        description="Write RUN_DIR/report.html again from the folder's metrics.json, run.json, spec.yaml "
        "and artifacts, with the installed plugins' report sections.",
    )
    report.add_argument("run_dir", metavar="RUN_DIR", help="a run folder, or a run name (its latest run)")
    report.add_argument("--runs-dir", default="runs", help="where run names are looked up (default: runs)")

    runs = sub.add_parser(
        "runs",
        help="list runs with status and headline metrics, or compare two",
        description="List the run folders under --runs-dir with status, time and each step's headline "
        "metric; --compare A B shows two runs' metrics side by side and the spec values that differ. "
        "A and B are run folders, <name>/<stamp> under --runs-dir, or run names (their latest run).",
    )
    runs.add_argument("name", nargs="?", help="only runs of this spec name")
    runs.add_argument("--runs-dir", default="runs", help="where run folders are (default: runs)")
    runs.add_argument("--compare", nargs=2, metavar=("A", "B"), help="compare two runs")
    runs.add_argument("--json", action="store_true", help="machine-readable output")

    label = sub.add_parser("label", help="answer active-learning queries of a spec in the terminal")
    label.add_argument("spec")
    label.add_argument("--runs-dir", default="runs")
    _add_set(label)
    return parser


def _version() -> str:
    from weasul import __version__

    return __version__


def _add_set(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "-s",
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change the spec, e.g. -s steps.lm.params.seed=3 (YAML value; repeatable; recorded in run.json)",
    )


def _console() -> Any:
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 140)
    return console


def _print_metrics(console: Any, metrics: dict[str, Any]) -> None:
    from rich.table import Table

    for step_id, step_metrics in metrics.items():
        for split, values in (step_metrics or {}).items():
            if not isinstance(values, dict):
                continue
            summary = values.get("lf_summary")
            if summary:
                table = Table(title=f"{step_id}: labeling functions on {split}")
                for column in summary[0]:
                    table.add_column(column)
                for row in summary:
                    table.add_row(*(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row.values()))
                console.print(table)
            scalars = {
                k: v for k, v in values.items() if isinstance(v, (int, float, str)) and len(str(v)) < 40
            }
            if scalars:
                shown = "  ".join(
                    f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in scalars.items()
                )
                console.print(f"[bold]{step_id}[/] {split}: {shown}")
        history = (step_metrics or {}).get("history") if isinstance(step_metrics, dict) else None
        if history:
            first, last = history[0], history[-1]
            console.print(f"[bold]{step_id}[/] {len(history) - 1} iterations, {last['n_labelled']} labelled")
            for name, scores in last.items():
                if isinstance(scores, dict) and isinstance(scores.get("accuracy"), float):
                    before = first.get(name, {}).get("accuracy", float("nan"))
                    console.print(f"[bold]{step_id}[/] {name}: accuracy {before:.4f} -> {scores['accuracy']:.4f}")


def _cmd_run(args: argparse.Namespace, interactive: bool = False) -> int:
    import weasul
    from weasul import progress
    from weasul.engine import run, validate

    console = _console()
    if interactive:
        plan = validate(args.spec, overrides=args.overrides)
        if not any(s.cls.group == "query_strategies" for s in plan.steps):
            raise weasul.SpecError(f"{args.spec} has no query_strategies step; nothing to label")
    else:
        progress.enable()

    class _Echo:
        from weasul_registry import hookimpl

        @hookimpl
        def after_step(
            self, run_name: str, step_id: str, metrics: dict[str, Any], seconds: float, cached: bool
        ) -> None:
            console.print(f"step [bold]{step_id}[/] done in {seconds:.2f}s" + (" (cached)" if cached else ""))

    from weasul.overrides import expand_sweeps

    combos = expand_sweeps(getattr(args, "sweep", []))
    done = []
    for combo in combos:
        if combo:
            console.print(f"[bold]sweep[/] {' '.join(combo)}")
        result = run(
            args.spec,
            runs_dir=args.runs_dir,
            use_cache=not getattr(args, "no_cache", False),
            hooks=[_Echo()],
            overrides=[*args.overrides, *combo],
        )
        if len(combos) == 1:
            _print_metrics(console, result.metrics)
        done.append((combo, result))
        console.print(f"run folder: {result.path}")
    if len(combos) > 1:
        rows = [["sweep", "headline", "run folder"]]
        rows += [[" ".join(combo), _headline(r.metrics), str(r.path)] for combo, r in done]
        console.print(_table(rows), markup=False)
    return 0


def _headline(metrics: dict[str, Any]) -> str:
    """The accuracy of the last step that reports one (on test if it has that split)."""
    for step_id in reversed(list(metrics)):
        splits = metrics[step_id] if isinstance(metrics[step_id], dict) else {}
        scored = {s: v for s, v in splits.items() if isinstance(v, dict) and isinstance(v.get("accuracy"), float)}
        if scored:
            split = "test" if "test" in scored else next(iter(scored))
            return f"{step_id} {split} accuracy={scored[split]['accuracy']:.4f}"
    return "-"


def _cmd_apply(args: argparse.Namespace) -> int:
    from weasul import progress
    from weasul.apply import load_run

    progress.enable()
    trained = load_run(args.run_dir)
    frame, metrics = trained.apply_file(args.data, out=args.out, step=args.step, chunk_rows=args.chunk_rows)
    console = _console()
    counts = frame["label"].value_counts().to_dict()
    shown = ", ".join(f"{name} {counts.get(name, 0)}" for name in (trained.class_names or sorted(counts)))
    console.print(f"labelled {len(frame)} items from {args.data}: {shown}")
    for step_id, values in metrics.items():
        scores = "  ".join(f"{k}={v:.4f}" for k, v in values.items())
        console.print(f"[bold]{step_id}[/] on the file's labels: {scores}")
    if args.out:
        console.print(f"predictions: {args.out}")
    else:
        console.print(frame.head(10).to_string(index=False))
        console.print("(first 10 rows; --out FILE writes them all)")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from weasul.engine import validate
    from weasul.spec import load_spec
    from weasul.spec_paths import input_problems

    spec, raw = load_spec(args.spec, args.overrides)
    plan = validate(spec)
    print(
        f"{args.spec}: ok ({len(plan.steps)} steps: {', '.join(s.id + '=' + s.spec.use for s in plan.steps)})"
    )
    for problem in input_problems(raw):
        print(f"warning: {problem} (paths are relative to the spec's folder)")
    return 0


def _table(rows: list[list[str]]) -> str:
    """Plain aligned columns; `rich` would cost more start-up time than the whole listing."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("NoneType", "None")


def _params_rows(model: Any, skip: frozenset[str] | set[str] = frozenset()) -> list[list[str]]:
    from pydantic_core import PydanticUndefined

    rows = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        default = "required" if info.is_required() else repr(info.get_default(call_default_factory=True))
        if info.default is PydanticUndefined and info.default_factory is None:
            default = "required"
        rows.append([name, _type_name(info.annotation), default, info.description or ""])
    return rows


def _cmd_plugin_show(args: argparse.Namespace) -> int:
    """`weasul plugins show NAME`: one plugin's description, params, inputs and outputs."""
    import inspect

    from weasul import plugins
    from weasul.errors import SpecError
    from weasul.steps import step_class

    if not args.name:
        raise SpecError("weasul plugins show NAME: give a plugin, e.g. label_models/dawid-skene or dawid-skene")
    infos, _ = plugins.listing(args.group)
    group, _, name = args.name.rpartition("/")
    matches = [i for i in infos if i.name == name and (not group or i.group.removeprefix("weasul.") == group)]
    if not matches:
        import difflib

        names = sorted({f"{i.group.removeprefix('weasul.')}/{i.name}" for i in infos})
        close = difflib.get_close_matches(args.name, names + [i.name for i in infos], n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `weasul plugins` lists them"
        raise SpecError(f"no plugin '{args.name}' is installed{hint}")
    if len(matches) > 1:
        both = ", ".join(f"{i.group.removeprefix('weasul.')}/{i.name}" for i in matches)
        raise SpecError(f"'{args.name}' names several plugins ({both}); write group/name")
    info = matches[0]
    short_group = info.group.removeprefix("weasul.")
    cls = plugins.load_class(short_group, info.name)
    print(f"{short_group}/{info.name}  ({info.distribution} {info.version}, {cls.__module__}:{cls.__qualname__})")
    print()
    print(inspect.cleandoc(cls.__doc__ or "(no description)"))
    try:
        step = step_class(cls)
    except Exception:  # noqa: BLE001 - data sets and reporters are not steps
        step = None
    inputs = step.inputs if step is not None else {}
    as_params = {k for k, v in inputs.items() if v.as_param}
    rows = _params_rows(cls.Params, skip=as_params)
    print("\nparams:")
    print(_table([["name", "type", "default", "description"], *rows]) if rows else "  none")
    if step is None:
        return 0
    step_rows = _params_rows(step.Params)
    if step_rows:
        print(f"\nstep params ({step.__qualname__}):")
        print(_table([["name", "type", "default", "description"], *step_rows]))
    print(f"\ninputs ({step.__qualname__}):")
    in_rows = [
        [k, " or ".join(v.kinds), "required" if v.required else "optional", v.doc] for k, v in inputs.items()
    ]
    print(_table([["name", "kinds", "", "description"], *in_rows]) if in_rows else "  none")
    print("\noutputs:")
    out_rows = [[k, f"model:{cls.group}" if v == "model" else v] for k, v in step.outputs.items()]
    print(_table([["name", "kind"], *out_rows]) if out_rows else "  none")
    return 0


def _cmd_plugins(args: argparse.Namespace) -> int:
    from weasul import plugins

    if args.action == "show":
        return _cmd_plugin_show(args)
    if args.name:
        from weasul.errors import SpecError

        raise SpecError(f"unexpected '{args.name}'; did you mean: weasul plugins show {args.name}")
    checked_at: str | None
    if args.check:
        infos, checked_at = plugins.check(args.group, debug=args.debug), "now"
    else:
        infos, checked_at = plugins.listing(args.group)
    rows = [
        {
            **info.as_dict(),
            "group": info.group.removeprefix("weasul."),
            "status": "unchecked" if info.status == "listed" else info.status,
        }
        for info in infos
    ]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    columns = ["group", "name", "distribution", "version", "status"]
    if not rows:
        print("no plugins installed" + (f" in group {args.group}" if args.group else ""))
        return 0
    print(_table([columns, *([str(row[c]) for c in columns] for row in rows)]))
    for row in rows:
        if row["error"]:
            first = row["error"] if args.debug else row["error"].strip().splitlines()[-1]
            print(f"{row['group']}/{row['name']} ({row['distribution']}): {first}")
    unchecked = sum(row["status"] == "unchecked" for row in rows)
    if checked_at is None:
        print(
            "\nunchecked: no check since the installed packages last changed; "
            "`weasul plugins --check` imports each plugin and shows whether it loads"
        )
    elif checked_at != "now":
        missed = f"; {unchecked} not checked then" if unchecked else ""
        print(f"\nstatuses from the check of {checked_at}{missed}; `weasul plugins --check` checks again")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from weasul.schema import spec_schema

    print(json.dumps(spec_schema(), indent=1))
    return 0


def _cmd_new_plugin(args: argparse.Namespace) -> int:
    from weasul.scaffold import add_plugin, new_plugin

    if args.into:
        changed = add_plugin(args.name, args.interface, args.into)
        print(f"added {args.name} to {args.into}: {', '.join(str(p) for p in changed)}")
        print(f"reinstall it so the new entry point registers: pip install -e {args.into}")
        return 0
    folder = new_plugin(args.name, args.interface, args.dir)
    print(f"created {folder}; install it with: pip install -e {folder}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    import yaml

    from weasul.report import write_report
    from weasul.runs import resolve_run

    run_dir = resolve_run(args.run_dir, args.runs_dir)
    spec_path = run_dir / "spec.yaml"
    spec = (yaml.safe_load(spec_path.read_text(encoding="utf-8")) if spec_path.is_file() else None) or {}
    reporters = (spec.get("report") or {}).get("reporters") or []
    html = next((r for r in reporters if isinstance(r, dict) and r.get("use") == "html"), {})
    out = write_report(run_dir, title=str((html.get("params") or {}).get("title") or ""))
    print(f"wrote {out}")
    return 0


def _cmd_runs(args: argparse.Namespace) -> int:
    from weasul.report import fmt
    from weasul.runs import compare_runs, find_runs, read_run, resolve_run

    if args.compare:
        a, b = (resolve_run(ref, args.runs_dir) for ref in args.compare)
        diff = compare_runs(a, b)
        if args.json:
            print(json.dumps({"a": str(a), "b": str(b), **diff}, indent=1))
            return 0
        for label, path in (("A", a), ("B", b)):
            info = read_run(path)
            took = "" if info.seconds is None else f", {info.seconds:.1f} s"
            print(f"{label}: {path} ({info.status}{took})")
        rows = [["metric", "A", "B", "B - A"]]
        for key, va, vb in diff["metrics"]:
            delta = vb - va if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
            rows.append([key, fmt(va), fmt(vb), "" if delta is None else ("0" if delta == 0 else f"{delta:+.4f}")])
        print()
        print(_table(rows) if len(rows) > 1 else "no metrics in either run")
        print()
        if diff["spec"]:
            print(_table([["spec", "A", "B"], *([k, str(va), str(vb)] for k, va, vb in diff["spec"])]))
        else:
            print("same spec")
        return 0
    infos = find_runs(args.runs_dir, args.name)
    if args.json:
        print(json.dumps([info.as_dict() for info in infos], indent=1))
        return 0
    if not infos:
        print(f"no runs in {args.runs_dir}" + (f" named {args.name}" if args.name else ""))
        return 0
    rows = [["run", "status", "started", "seconds", "headline"]]
    for info in infos:
        started = (info.started or "")[:19].replace("T", " ")
        seconds = "" if info.seconds is None else f"{info.seconds:.1f}"
        rows.append([f"{info.name}/{info.stamp}", info.status, started, seconds, info.headline_text()])
    print(_table(rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 user error, 1 anything else)."""
    args = _parser().parse_args(argv)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "run": _cmd_run,
        "validate": _cmd_validate,
        "plugins": _cmd_plugins,
        "schema": _cmd_schema,
        "new-plugin": _cmd_new_plugin,
        "label": lambda a: _cmd_run(a, interactive=True),
        "report": _cmd_report,
        "runs": _cmd_runs,
        "apply": _cmd_apply,
    }
    import logging

    stderr = logging.StreamHandler()
    stderr.setLevel(logging.DEBUG if args.debug else logging.WARNING)
    stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(stderr)
    from weasul.errors import StopRequested, WeasulError

    try:
        return commands[args.command](args)
    except StopRequested as err:
        print(str(err), file=sys.stderr)
        return 0
    except WeasulError as err:
        if args.debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished steps are cached, rerun to resume", file=sys.stderr)
        return 130
    except OSError as err:  # the file system refused (permissions, a file for a folder, a full disk)
        if args.debug:
            raise
        from weasul.storage import write_failure

        print(f"error: {write_failure(err, verb='use')}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - the last line of defence of a CLI
        if args.debug:
            raise
        print(
            f"internal error: {type(err).__name__}: {err} (rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
