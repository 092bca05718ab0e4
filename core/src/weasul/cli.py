"""The `weasul` command line. Imports stay inside commands so `weasul --help` is instant."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["main"]

_INTERFACES = ("label_model", "query_strategy", "anomaly_scorer", "encoder", "slice_head", "error_finder")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="weasul", description="Weak supervision from composable plugins.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and plugin load errors in full")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a spec file")
    run.add_argument("spec")
    run.add_argument("--runs-dir", default="runs", help="where run folders go (default: runs)")
    run.add_argument("--no-cache", action="store_true", help="rerun every step")

    validate = sub.add_parser("validate", help="check a spec without running it")
    validate.add_argument("spec")

    plugins = sub.add_parser(
        "plugins",
        help="list installed plugins (from metadata; statuses from the last --check)",
        description="List installed plugins from their entry points without importing them. The "
        "status column shows the outcome of the last `weasul plugins --check` while the installed "
        "distributions are unchanged, else 'unchecked'.",
    )
    plugins.add_argument("--group", help="only this group, e.g. label_models")
    plugins.add_argument("--json", action="store_true", help="machine-readable output")
    plugins.add_argument(
        "--check", action="store_true", help="import each plugin, show whether it loads and remember it"
    )

    sub.add_parser("schema", help="print the JSON Schema of the spec with every installed plugin's params")

    new = sub.add_parser("new-plugin", help="create a plugin package from the template")
    new.add_argument("name", help="plugin name, kebab-case, e.g. my-vote")
    new.add_argument("--interface", required=True, choices=_INTERFACES)
    new.add_argument("--dir", default=".", help="parent folder of the new package (default: .)")

    label = sub.add_parser("label", help="answer active-learning queries of a spec in the terminal")
    label.add_argument("spec")
    label.add_argument("--runs-dir", default="runs")
    return parser


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
        plan = validate(args.spec)
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

    result = run(
        args.spec, runs_dir=args.runs_dir, use_cache=not getattr(args, "no_cache", False), hooks=[_Echo()]
    )
    _print_metrics(console, result.metrics)
    console.print(f"run folder: {result.path}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from weasul.engine import validate

    plan = validate(args.spec)
    print(
        f"{args.spec}: ok ({len(plan.steps)} steps: {', '.join(s.id + '=' + s.spec.use for s in plan.steps)})"
    )
    return 0


def _table(rows: list[list[str]]) -> str:
    """Plain aligned columns; `rich` would cost more start-up time than the whole listing."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cmd_plugins(args: argparse.Namespace) -> int:
    from weasul import plugins

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
    from weasul.scaffold import new_plugin

    folder = new_plugin(args.name, args.interface, args.dir)
    print(f"created {folder}; install it with: pip install -e {folder}")
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
