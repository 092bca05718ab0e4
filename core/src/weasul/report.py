"""The run report: sections that steps contribute, small inline-SVG figures, and report.html.

A step shows its results in `report.html` through one hook, `Step.report(step_id, metrics,
artifacts_dir) -> list[ReportSection]` (see `weasul.steps.Step.report`). A section holds
tables (`Table`, cells formatted by `fmt`), figures (`Figure`, drawn by `line_chart`,
`bar_chart`, `heatmap`, which escape every label) and an optional `Headline` for the summary
card. `write_report(run_dir)` reads `spec.yaml`, `metrics.json` and `run.json`, asks each
step's class for its sections, and renders one self-contained page with jinja2 (templates in
`weasul/templates/`); PNG figures other reporters wrote are embedded as data URIs.

jinja2 is imported only when a page is rendered, so `import weasul` stays light.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from weasul.errors import DataError

if TYPE_CHECKING:
    from weasul.data import Dataset
    from weasul.interfaces import DatasetLoader

__all__ = [
    "Figure",
    "Headline",
    "ReportSection",
    "Table",
    "active_loop_sections",
    "bar_chart",
    "build_sections",
    "calibration_bins",
    "class_names",
    "error_finder_sections",
    "fmt",
    "headline_of",
    "heatmap",
    "label_model_sections",
    "lf_sections",
    "line_chart",
    "metrics_section",
    "read_artifacts",
    "records_table",
    "render_report",
    "split_order",
    "split_summaries",
    "step_input",
    "train_first",
    "write_report",
]

_log = logging.getLogger(__name__)

#: Preferred order of splits wherever one split is picked or splits are listed.
_SPLIT_RANK = {"test": 0, "valid": 1, "dev": 2, "validation": 1}
#: Metrics a headline picks from, best first.
_HEADLINE_KEYS = ("accuracy", "macro_f1", "f1", "auc", "coverage")
_PALETTE = ("#3b6fb6", "#e07b39", "#3a9a5b", "#c4444a", "#7d5cb5", "#8c6d46", "#d16ba5", "#6b7b8c")


# --- values ------------------------------------------------------------------------------
def fmt(value: Any) -> str:
    """A short human form of a metric value: floats under 10 with 4 decimals (so a column of
    scores lines up), under 1000 with 2, larger ones as grouped integers; `–` for NaN or missing."""
    if value is None:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "–"
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
        if v == 0:
            return "0"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) < 1e-4:
            return f"{v:.1e}"
        if abs(v) < 10:
            return f"{v:.4f}"
        return f"{v:.2f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v) for v in value)
    return str(value)


def split_order(splits: Iterable[str]) -> list[str]:
    """Splits with test first, then valid/dev, then the others in their order, train last."""
    listed = list(splits)
    return sorted(listed, key=lambda s: (_SPLIT_RANK.get(s, 9 if s == "train" else 5), listed.index(s)))


def train_first(splits: Iterable[str]) -> list[str]:
    """The training split first (where there is one), then the others in `split_order`: the
    order of per-split tables, which start from what the step was fitted or applied on."""
    listed = list(splits)
    return (["train"] if "train" in listed else []) + [s for s in split_order(listed) if s != "train"]


def split_summaries(metrics: Mapping[str, Any], key: str) -> dict[str, list[dict[str, Any]]]:
    """The non-empty row lists a step stored under `key` in each split's metrics
    (`{"train": {"lf_summary": [...]}}` -> `{"train": [...]}`); splits without one are left out."""
    return {
        s: v[key]
        for s, v in metrics.items()
        if isinstance(v, Mapping) and isinstance(v.get(key), list) and v[key]
    }


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (int, float, str, bool, np.generic)) or value is None


# --- section parts ------------------------------------------------------------------------
@dataclass(frozen=True)
class Table:
    """A table: column names and rows of values (formatted with `fmt` when rendered).
    `highlight` marks row indices to emphasise (e.g. the chosen detector)."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    caption: str = ""
    highlight: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Figure:
    """An inline SVG figure. Build it with `line_chart`, `bar_chart` or `heatmap`, which escape
    their labels; `svg` is put in the page as is."""

    title: str
    svg: str


@dataclass(frozen=True)
class Headline:
    """The one number of a step on the summary card, e.g. `Headline("test accuracy", 0.94)`;
    `detail` is a short second line."""

    label: str
    value: Any
    detail: str = ""


@dataclass(frozen=True)
class ReportSection:
    """One block of a step in report.html: a title, an optional short text, tables, figures,
    an optional headline for the summary card and optional raw details (shown collapsed,
    numbers rounded)."""

    title: str
    text: str = ""
    tables: Sequence[Table] = ()
    figures: Sequence[Figure] = ()
    headline: Headline | None = None
    details: Any = None


def records_table(
    records: Sequence[Mapping[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    caption: str = "",
    highlight: Iterable[int] = (),
) -> Table:
    """A table of row dicts (e.g. a ranking): the given columns, else every key in first-seen order."""
    cols = list(columns) if columns is not None else list(dict.fromkeys(k for r in records for k in r))
    return Table(cols, [[r.get(c) for c in cols] for r in records], caption, frozenset(highlight))


# --- SVG figures -----------------------------------------------------------------------------
def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    label = html.escape(title, quote=True)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{label}" class="chart" '
        f'font-family="system-ui, sans-serif" font-size="12"><title>{label}</title>'
        + "".join(body)
        + "</svg>"
    )


def _text(x: float, y: float, s: str, *, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>{html.escape(s)}</text>'


def _legend(
    names: Sequence[str],
    x: float,
    y: float,
    colour_of: Mapping[str, int] | None = None,
    dashed: Sequence[str] = (),
) -> list[str]:
    out = []
    for i, name in enumerate(names):
        colour = _PALETTE[(colour_of or {}).get(name, i) % len(_PALETTE)]
        if name in dashed:
            out.append(
                f'<line x1="{x:.1f}" x2="{x + 10:.1f}" y1="{y + 16 * i - 4:.1f}" y2="{y + 16 * i - 4:.1f}" '
                f'stroke="{colour}" stroke-width="2" stroke-dasharray="3 2"/>'
            )
        else:
            out.append(f'<rect x="{x:.1f}" y="{y + 16 * i - 9:.1f}" width="10" height="10" fill="{colour}"/>')
        out.append(_text(x + 15, y + 16 * i, name))
    return out


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    y_range: tuple[float, float] | None = None,
    dashed: Sequence[str] = (),
    colour_of: Mapping[str, int] | None = None,
    width: int = 720,
    height: int = 320,
) -> Figure:
    """Lines with a marker at each point, one per named series of (x, y) points; series named
    in `dashed` are drawn dashed (e.g. a second score of the same split), `colour_of` gives
    series the same palette colour (e.g. one per split)."""
    points = [(x, y) for pts in series.values() for x, y in pts if math.isfinite(y)]
    if not points:
        return Figure(title, _svg(width, 40, title, [_text(10, 25, f"{title}: no points")]))
    legend_w = min(240, 40 + 7 * max(len(n) for n in series)) if len(series) > 1 else 0
    left, right, top, bottom = 58, 16 + legend_w, 28, 46
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x_lo, x_hi = min(xs), max(xs)
    if x_hi == x_lo:
        x_lo, x_hi = x_lo - 1, x_hi + 1
    y_lo, y_hi = y_range if y_range is not None else (min(ys), max(ys))
    if y_range is None:
        pad = (y_hi - y_lo) * 0.1 or abs(y_hi) * 0.05 or 0.05
        y_lo, y_hi = y_lo - pad, y_hi + pad
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * plot_w

    def py(y: float) -> float:
        return top + (1 - (y - y_lo) / (y_hi - y_lo)) * plot_h

    body = [_text(left, 18, title, extra='font-weight="600" font-size="13"')]
    for t in _ticks(y_lo, y_hi):
        body.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#e3e3e3"/>'
        )
        body.append(_text(left - 6, py(t) + 4, f"{t:g}", anchor="end"))
    for t in _ticks(x_lo, x_hi, 8):
        body.append(_text(px(t), top + plot_h + 16, f"{t:g}", anchor="middle"))
    body.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>')
    body.append(_text(left + plot_w / 2, height - 8, x_label, anchor="middle"))
    body.append(
        _text(
            14,
            top + plot_h / 2,
            y_label,
            anchor="middle",
            extra=f'transform="rotate(-90 14 {top + plot_h / 2:.1f})"',
        )
    )
    for i, (name, pts) in enumerate(series.items()):
        colour = _PALETTE[(colour_of or {}).get(name, i) % len(_PALETTE)]
        kept = [(x, y) for x, y in pts if math.isfinite(y)]
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in kept)
        dash = ' stroke-dasharray="6 4"' if name in dashed else ""
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for x, y in kept:
            body.append(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}">'
                f"<title>{html.escape(name)}: {fmt(x)}, {fmt(y)}</title></circle>"
            )
    if legend_w:
        body += _legend(list(series), width - legend_w, top + 10, colour_of, dashed)
    return Figure(title, _svg(width, height, title, body))


def bar_chart(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    value_label: str,
    value_range: tuple[float, float] | None = (0.0, 1.0),
    width: int = 720,
) -> Figure:
    """Horizontal grouped bars: one group per category (its name on the left), one bar per
    named series; missing or NaN values draw no bar."""
    n_series = max(1, len(series))
    bar_h = 12 if n_series > 1 else 16
    group_h = bar_h * n_series + 8
    label_w = min(260, 16 + 7 * max((len(c) for c in categories), default=4))
    legend_w = min(240, 40 + 7 * max(len(n) for n in series)) if len(series) > 1 else 0
    left, right, top, bottom = label_w, 24 + legend_w, 30, 40
    height = top + bottom + group_h * len(categories)
    values = [float(v) for vs in series.values() for v in vs if v is not None and math.isfinite(float(v))]
    lo, hi = value_range if value_range is not None else (min([0.0, *values]), max([1e-9, *values]))
    plot_w = width - left - right

    def px(v: float) -> float:
        return left + (min(max(v, lo), hi) - lo) / ((hi - lo) or 1.0) * plot_w

    body = [_text(8, 18, title, extra='font-weight="600" font-size="13"')]
    for t in _ticks(lo, hi):
        body.append(
            f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{top}" y2="{height - bottom}" stroke="#e3e3e3"/>'
        )
        body.append(_text(px(t), height - bottom + 15, f"{t:g}", anchor="middle"))
    body.append(_text(left + plot_w / 2, height - 6, value_label, anchor="middle"))
    for g, category in enumerate(categories):
        y0 = top + g * group_h + 4
        body.append(_text(left - 6, y0 + group_h / 2, category, anchor="end"))
        for i, (name, vs) in enumerate(series.items()):
            v = vs[g] if g < len(vs) else None
            if v is None or not math.isfinite(float(v)):
                continue
            colour = _PALETTE[i % len(_PALETTE)]
            x0 = px(max(lo, 0.0))
            body.append(
                f'<rect x="{min(x0, px(float(v))):.1f}" y="{y0 + i * bar_h:.1f}" width="{abs(px(float(v)) - x0):.1f}" '
                f'height="{bar_h - 2}" fill="{colour}"><title>{html.escape(category)} {html.escape(name)}: '
                f"{fmt(float(v))}</title></rect>"
            )
    body.append(
        f'<line x1="{px(max(lo, 0.0)):.1f}" x2="{px(max(lo, 0.0)):.1f}" y1="{top}" y2="{height - bottom}" stroke="#666"/>'
    )
    if legend_w:
        body += _legend(list(series), width - legend_w, top + 10)
    return Figure(title, _svg(width, height, title, body))


def heatmap(
    matrix: Sequence[Sequence[float]],
    *,
    title: str,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    row_title: str = "",
    col_title: str = "",
    cell: int = 64,
    digits: int = 2,
) -> Figure:
    """A matrix of shaded cells (darker = larger) with the value, `digits` decimals, in each."""
    arr = np.asarray(matrix, dtype=float)
    label_w = 16 + 7 * max((len(s) for s in row_labels), default=2)
    left, top = label_w + (18 if row_title else 0), (62 if col_title else 46)
    width = max(left + cell * arr.shape[1] + 16, 16 + 8 * len(title))
    height = top + cell * arr.shape[0] + 16
    hi = float(np.nanmax(arr)) if arr.size and np.isfinite(arr).any() else 1.0
    body = [_text(8, 18, title, extra='font-weight="600" font-size="13"')]
    if col_title:
        body.append(_text(left + cell * arr.shape[1] / 2, 36, col_title, anchor="middle"))
    if row_title:
        mid = top + cell * arr.shape[0] / 2
        body.append(_text(12, mid, row_title, anchor="middle", extra=f'transform="rotate(-90 12 {mid:.1f})"'))
    for j, name in enumerate(col_labels):
        body.append(_text(left + cell * (j + 0.5), top - 6, name, anchor="middle"))
    for i, name in enumerate(row_labels):
        body.append(_text(left - 6, top + cell * (i + 0.5) + 4, name, anchor="end"))
        for j in range(arr.shape[1]):
            v = float(arr[i, j])
            share = v / hi if hi > 0 and math.isfinite(v) else 0.0
            shade = f"rgba(59,111,182,{0.08 + 0.85 * max(0.0, min(1.0, share)):.2f})"
            x, y = left + cell * j, top + cell * i
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{shade}" stroke="#fff"/>'
            )
            colour = "#fff" if share > 0.55 else "#222"
            shown = f"{v:.{digits}f}" if math.isfinite(v) else "–"
            body.append(
                _text(x + cell / 2, y + cell / 2 + 4, shown, anchor="middle", extra=f'fill="{colour}"')
            )
    return Figure(title, _svg(width, height, title, body))


# --- reading a step's artifacts ------------------------------------------------------------
def read_artifacts(artifacts_dir: Path | None, name: str, kind: str = "") -> dict[str, Any]:
    """A step's artifact `name` by split, read from `<artifacts_dir>/<name>.<split>.*`; empty
    when the folder or the files are missing or unreadable (a report never fails on them)."""
    from weasul.artifacts import SUFFIXES, read_value

    out: dict[str, Any] = {}
    if artifacts_dir is None or not Path(artifacts_dir).is_dir():
        return out
    for path in sorted(Path(artifacts_dir).glob(f"{name}.*")):
        if path.suffix not in SUFFIXES:
            continue
        split = path.name[len(name) + 1 : -len(path.suffix)]
        try:
            out[split] = read_value(path, kind)
        except Exception as err:  # noqa: BLE001 - a missing extra or a bad file leaves the part out
            _log.warning("report: cannot read %s: %s", path, err)
    return out


_DATA_CACHE: dict[str, Dataset | None] = {}


def _load_data(run_dir: Path) -> Dataset | None:
    """The run's data set, loaded again through the spec's data section (cached per run
    folder while one page renders); None when the spec has none or it cannot be loaded here."""
    key = str(run_dir)
    if key not in _DATA_CACHE:
        _DATA_CACHE[key] = None
        try:
            import yaml

            spec = yaml.safe_load((run_dir / "spec.yaml").read_text(encoding="utf-8")) or {}
        except (OSError, ValueError):
            return None
        data = spec.get("data") or {}
        try:
            from weasul.plugins import load_class

            if data.get("use"):
                loader = cast(
                    "DatasetLoader", load_class("datasets", str(data["use"]))(**(data.get("params") or {}))
                )
                from weasul.executor import ExecutorSpec
                from weasul.partitioned import loads_partitioned

                if loads_partitioned(loader, ExecutorSpec.model_validate(spec.get("executor") or {})):
                    # class names from the params when they fix them, else read as the run
                    # read it, one partition at a time here: never whole
                    from weasul.data import Dataset
                    from weasul.executor import Executor

                    named = getattr(loader, "class_names_without_reading", lambda: None)()
                    _DATA_CACHE[key] = (
                        Dataset(str(data["use"]), {}, named)
                        if named is not None
                        else loader.load_partitioned(Executor())
                    )
                else:
                    _DATA_CACHE[key] = loader.load()
        except Exception as err:  # noqa: BLE001 - a report shows less rather than failing
            _log.warning("report: the data set of %s cannot be loaded here: %s", run_dir, err)
    return _DATA_CACHE[key]


def class_names(artifacts_dir: Path | None) -> list[str]:
    """The run's class names (from its data set, loaded again when needed); [] without them."""
    if artifacts_dir is None:
        return []
    data = _load_data(Path(artifacts_dir).parent.parent)
    return list(data.class_names) if data is not None else []


def step_input(artifacts_dir: Path | None, name: str, kind: str = "") -> dict[str, Any]:
    """The value a step's input `name` was wired to, by split, read back from the run folder:
    another step's artifacts (`lm.train.pred`), or a field of the data set (`data.text`, which
    loads the data set again). Empty when the input is not wired or cannot be read."""
    if artifacts_dir is None:
        return {}
    artifacts_dir = Path(artifacts_dir)
    run_dir = artifacts_dir.parent.parent
    try:
        import yaml

        spec = yaml.safe_load((run_dir / "spec.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, ValueError):
        return {}
    entry: dict[str, Any] = next(
        (s for s in spec.get("steps") or [] if str(s.get("id")) == artifacts_dir.name), {}
    )
    ref = str((entry.get("inputs") or {}).get(name) or "")
    parts = ref.split(".")
    if len(parts) < 2:
        return {}
    source, output, split = parts[0], parts[-1], parts[1] if len(parts) == 3 else None
    if source == "data":
        data = _load_data(run_dir)
        values = {} if data is None else {s: getattr(v, output, None) for s, v in data.splits.items()}
        values = {s: v for s, v in values.items() if v is not None}
    else:
        values = read_artifacts(run_dir / "artifacts" / source, output, kind)
    return {split: values[split]} if split is not None and split in values else ({} if split else values)


# --- generic sections ------------------------------------------------------------------------
def headline_of(metrics: Mapping[str, Any]) -> Headline | None:
    """The headline of split-wise metrics: the first of accuracy, macro-F1, F1, AUC, coverage
    on the first split in test, valid, ..., train order."""
    splits = [s for s, v in metrics.items() if isinstance(v, Mapping)]
    for key in _HEADLINE_KEYS:
        for split in split_order(splits):
            value = metrics[split].get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return Headline(f"{split} {key.replace('_', '-')}", value)
    return None


def _split_tables(metrics: Mapping[str, Any]) -> list[Table]:
    """Tables of the entries that hold scalars: entries with mostly the same keys (the splits of
    a step) share a table, one row each; a lone entry with many keys becomes a metric/value table."""
    found = dict(_scalar_entries(metrics, "", 3))
    entries = list(found)
    groups: list[tuple[list[str], list[str]]] = []  # (entry names, columns)
    for name in entries:
        keys = [k for k, v in found[name].items() if _is_scalar(v)]
        for names, columns in groups:
            if len(set(keys) & set(columns)) * 2 >= len(set(keys) | set(columns)):
                names.append(name)
                columns += [k for k in keys if k not in columns]
                break
        else:
            groups.append(([name], keys))
    tables = []
    for names, columns in groups:
        if len(names) == 1 and len(columns) > 6:
            values = found[names[0]]
            tables.append(Table(["metric", "value"], [[c, values.get(c)] for c in columns], names[0]))
            continue
        first = "split" if any(n.split(" ")[-1] in _SPLIT_RANK or n.endswith("train") for n in names) else ""
        rows = [[n, *(found[n].get(c) for c in columns)] for n in names]
        tables.append(Table([first, *columns], rows))
    return tables


def _scalar_entries(
    metrics: Mapping[str, Any], prefix: str, depth: int
) -> list[tuple[str, Mapping[str, Any]]]:
    """Mappings holding scalars, at any depth up to `depth`, named by their path
    (`end_model before test`), splits in test-valid-...-train order at each level."""
    out: list[tuple[str, Mapping[str, Any]]] = []
    for key in split_order(metrics):
        value = metrics[key]
        if not isinstance(value, Mapping):
            continue
        name = f"{prefix} {key}" if prefix else str(key)
        if _is_split(value):
            out.append((name, value))
        if depth > 1:
            out += _scalar_entries(
                {k: v for k, v in value.items() if isinstance(v, Mapping)}, name, depth - 1
            )
    return out


def _rounded(value: Any) -> Any:
    """`value` with floats rounded to 4 significant digits, for the collapsed details."""
    if isinstance(value, float):
        return float(f"{value:.4g}") if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def metrics_section(step_id: str, metrics: Mapping[str, Any], title: str = "") -> ReportSection:
    """The default section: a table of the scalar metrics per split, a table of the top-level
    scalars, and the rest (lists, nested tables) collapsed with rounded numbers."""
    tables = _split_tables(metrics)
    top = [[k, v] for k, v in metrics.items() if _is_scalar(v)]
    if top:
        tables.append(Table(["metric", "value"], top))
    rest: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, Mapping) and not _is_split(value):
            rest[key] = value
        elif isinstance(value, Mapping):
            nested = {k: v for k, v in value.items() if not _is_scalar(v)}
            if nested:
                rest[key] = nested
        elif not _is_scalar(value):
            rest[key] = value
    return ReportSection(
        title or "Metrics" if tables or rest else "",
        text="" if tables or rest else "This step reports no metrics.",
        tables=tables,
        headline=headline_of(metrics),
        details=_rounded(rest) if rest else None,
    )


def _is_split(value: Mapping[str, Any]) -> bool:
    """Whether a metrics entry looks like one split's metrics (some scalar values)."""
    return any(_is_scalar(v) for v in value.values())


def label_model_sections(
    step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path | None, title: str = "Label model"
) -> list[ReportSection]:
    """A label model (or an end model): scores per split, the predicted class shares per split
    (from the `pred` artifacts), which show a model that collapses to one class, and its
    calibration against the gold labels of its `y` input (from `probs`). A partitioned run's
    metrics carry both as counts summed on the workers (`predicted`, `calibration`)."""
    counted = {s: v for s, v in metrics.items() if isinstance(v, Mapping) and "predicted" in v}
    if counted:
        return _counted_sections(step_id, metrics, counted, artifacts_dir, title)
    base = metrics_section(step_id, metrics, title)
    preds = read_artifacts(artifacts_dir, "pred")
    if not preds:
        return [base]
    names = class_names(artifacts_dir)
    n_classes = max([len(names), *(int(np.max(p)) + 1 for p in preds.values() if np.size(p))])
    names = names if len(names) == n_classes else [f"class {c}" for c in range(n_classes)]
    splits = split_order(preds)
    shares = {
        s: np.bincount(np.asarray(preds[s], dtype=np.int64), minlength=n_classes) / max(1, np.size(preds[s]))
        for s in splits
    }
    table = Table(
        ["split", "items", *names],
        [[s, int(np.size(preds[s])), *shares[s].tolist()] for s in splits],
        "share of items predicted as each class",
    )
    sections = [
        ReportSection(base.title, base.text, [*base.tables, table], base.figures, base.headline, base.details)
    ]
    calibration = _calibration_part(artifacts_dir)
    if calibration is not None:
        sections.append(ReportSection("Calibration", tables=[calibration[0]], figures=[calibration[1]]))
    return sections


def _counted_sections(
    step_id: str,
    metrics: Mapping[str, Any],
    counted: Mapping[str, Mapping[str, Any]],
    artifacts_dir: Path | None,
    title: str,
) -> list[ReportSection]:
    """`label_model_sections` of a partitioned run, from the counts in its metrics (`counted`:
    the splits that carry them)."""
    shown = {s: {k: v for k, v in m.items() if k not in ("predicted", "calibration")} for s, m in counted.items()}
    base = metrics_section(step_id, {**metrics, **shown}, title)
    counts = {s: np.asarray(m["predicted"]) for s, m in counted.items()}
    names = class_names(artifacts_dir)
    n_classes = max(len(c) for c in counts.values())
    names = names if len(names) == n_classes else [f"class {c}" for c in range(n_classes)]
    splits = split_order(counts)
    table = Table(
        ["split", "items", *names],
        [[s, int(counts[s].sum()), *(counts[s] / max(1, counts[s].sum())).tolist()] for s in splits],
        "share of items predicted as each class",
    )
    sections = [
        ReportSection(base.title, base.text, [*base.tables, table], base.figures, base.headline, base.details)
    ]
    binned = {
        s: metrics[s]["calibration"] for s in splits if isinstance(metrics[s].get("calibration"), Mapping)
    }
    rows, curves = [], {}
    for split, cal in binned.items():
        ece, points = calibration_from_counts(cal["items"], cal["confidence"], cal["correct"])
        items = int(np.sum(cal["items"]))
        rows.append([split, items, ece, float(np.sum(cal["confidence"]) / items) if items else float("nan")])
        curves[split] = points
    if rows:
        table, figure = _calibration_view(rows, curves, n_classes)
        sections.append(ReportSection("Calibration", tables=[table], figures=[figure]))
    return sections


def calibration_from_counts(
    items: Any, confidence: Any, correct: Any
) -> tuple[float, list[tuple[float, float, int]]]:
    """`calibration_bins` from per-bin counts (items, summed confidence, right predictions),
    such as partitions' counts summed (`weasul.partitioned.calibration_counts`)."""
    n, conf, right = (np.asarray(v, dtype=float) for v in (items, confidence, correct))
    total = n.sum()
    points, ece = [], 0.0
    for b in np.flatnonzero(n):
        mean_conf, acc = float(conf[b] / n[b]), float(right[b] / n[b])
        points.append((mean_conf, acc, int(n[b])))
        ece += n[b] / total * abs(mean_conf - acc)
    return float(ece), points


def calibration_bins(
    probs: np.ndarray, y: np.ndarray, bins: int = 10
) -> tuple[float, list[tuple[float, float, int]]]:
    """Expected calibration error of the top-class probability over the items with a gold label
    (y >= 0), and per non-empty bin of that probability (equal widths over [0, 1]): (mean
    confidence, accuracy, items). The bins are those a partitioned run sums on its workers."""
    from weasul.partitioned import calibration_counts

    counts = calibration_counts(np.asarray(probs, dtype=float), np.asarray(y), bins)
    return calibration_from_counts(counts["cal_items"], counts["cal_confidence"], counts["cal_correct"])


def _calibration_part(artifacts_dir: Path | None) -> tuple[Table, Figure] | None:
    """Calibration of a step's `probs` against the gold labels of its `y` input: ECE per split
    and a reliability curve for the first split in test, valid, ... order."""
    probs = read_artifacts(artifacts_dir, "probs")
    gold = step_input(artifacts_dir, "y") if probs else {}
    splits = [s for s in split_order(probs) if s in gold and len(gold[s]) == len(probs[s])]
    if not splits:
        return None
    rows, curves = [], {}
    for split in splits:
        y = np.asarray(gold[split])
        keep = y >= 0  # items without a gold label
        ece, points = calibration_bins(np.asarray(probs[split])[keep], y[keep])
        rows.append([split, int(keep.sum()), ece, float(np.asarray(probs[split])[keep].max(axis=1).mean())])
        curves[split] = points
    return _calibration_view(rows, curves, np.asarray(probs[splits[0]]).shape[1])


def _calibration_view(
    rows: list[list[Any]], curves: Mapping[str, list[tuple[float, float, int]]], k: int
) -> tuple[Table, Figure]:
    """The ECE table and the reliability curve of the first split in `curves`."""
    shown = next(iter(curves))
    figure = line_chart(
        {
            f"{shown} (bins of 0.1 with 10+ items)": [(c, a) for c, a, n in curves[shown] if n >= 10],
            "perfectly calibrated": [(1 / k, 1 / k), (1.0, 1.0)],
        },
        title=f"Calibration ({shown})",
        x_label="predicted probability of the chosen class",
        y_label="share of those items that are right",
        y_range=(0.0, 1.0),
        dashed=["perfectly calibrated"],
        width=520,
        height=300,
    )
    table = Table(
        ["split", "items with gold", "ECE", "mean confidence"], rows, "expected calibration error (10 bins)"
    )
    return table, figure


def lf_sections(step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path | None) -> list[ReportSection]:
    """Labeling functions: per split, a table of coverage, overlaps, conflicts and empirical
    accuracy per LF, and a bar chart of coverage beside accuracy on the training split."""
    summaries = split_summaries(metrics, "lf_summary")
    if not summaries:
        return [metrics_section(step_id, metrics, "Labeling functions")]
    L = read_artifacts(artifacts_dir, "L")
    names = class_names(artifacts_dir)
    splits = train_first(summaries)
    tables = []
    for split in splits:
        rows = summaries[split]
        columns = list(dict.fromkeys(k for r in rows for k in r))
        total = ""
        if split in L and np.size(L[split]):
            total = f"; any LF votes on {fmt(float((np.asarray(L[split]) != -1).any(axis=1).mean()))} of {len(L[split]):,} items"
        tables.append(
            Table(
                columns,
                [
                    [_polarity(r.get(c), names) if c == "polarity" else r.get(c) for c in columns]
                    for r in rows
                ],
                f"{split}: {len(rows)} labeling functions{total}",
            )
        )
    shown = splits[0]
    rows = summaries[shown]
    series: dict[str, list[float | None]] = {"coverage": [r.get("coverage") for r in rows]}
    if any("emp_acc" in r for r in rows):
        series["empirical accuracy"] = [r.get("emp_acc") for r in rows]
    figure = bar_chart(
        [str(r.get("lf")) for r in rows],
        series,
        title=f"Coverage and empirical accuracy per LF ({shown})",
        value_label="share of items (coverage) / of the LF's votes that are right (accuracy)",
    )
    headline = None
    if shown in L and np.size(L[shown]):
        covered = float((np.asarray(L[shown]) != -1).any(axis=1).mean())
        headline = Headline(f"{shown} coverage", covered, f"{len(rows)} LFs")
    return [
        ReportSection(
            "Labeling functions",
            "coverage = share of items an LF votes on; overlaps = share where another LF votes too; "
            "conflicts = share where another LF votes a different class; emp_acc = accuracy of its "
            "votes against the gold labels.",
            tables,
            [figure],
            headline,
        )
    ]


def _polarity(value: Any, names: Sequence[str]) -> Any:
    """An LF's polarity (the classes it votes) by class name when the names are known."""
    if isinstance(value, list) and names and all(isinstance(c, int) and 0 <= c < len(names) for c in value):
        return ", ".join(names[c] for c in value)
    return value


def active_loop_sections(
    step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path | None
) -> list[ReportSection]:
    """The active loop: learning curve (every score of every evaluation set against the number
    of expert labels) and the queried items with their answers."""
    history = metrics.get("history")
    if not isinstance(history, list) or not history:
        return [metrics_section(step_id, metrics, "Active loop")]
    series: dict[str, list[tuple[float, float]]] = {}
    for record in history:
        for name, scores in record.items():
            if not isinstance(scores, Mapping):
                continue
            for key in ("accuracy", "macro_f1"):
                value = scores.get(key)
                if isinstance(value, (int, float)):
                    series.setdefault(f"{name} {key.replace('_', '-')}", []).append(
                        (float(record.get("n_labelled", record.get("iteration", 0))), float(value))
                    )
    figures = []
    if series:
        dashed = [name for name in series if name.endswith("macro-f1")]
        splits = list(dict.fromkeys(name.rsplit(" ", 1)[0] for name in series))
        colour_of = {name: splits.index(name.rsplit(" ", 1)[0]) for name in series}
        figures.append(
            line_chart(
                series,
                title="Learning curve",
                x_label="expert labels",
                y_label="score",
                dashed=dashed,
                colour_of=colour_of,
            )
        )
    shown = history[: 1 + 60]
    eval_names = [k for k, v in history[0].items() if isinstance(v, Mapping)]
    texts, names = _pool_text(artifacts_dir)

    def answer(a: Any) -> str:
        return names[a] if isinstance(a, int) and 0 <= a < len(names) else str(a)

    columns = [
        "iteration",
        "labelled",
        "queried items",
        *(["text"] if texts is not None else []),
        "answers",
        *(f"{n} accuracy" for n in eval_names),
    ]
    rows = [
        [
            r.get("iteration"),
            r.get("n_labelled"),
            ", ".join(str(i) for i in r.get("queried", [])) or "–",
            *(
                [" | ".join(_short(texts[i], 100) for i in r.get("queried", []) if i < len(texts))]
                if texts is not None
                else []
            ),
            ", ".join(answer(a) for a in r.get("answers", [])) or "–",
            *((r.get(n) or {}).get("accuracy") for n in eval_names),
        ]
        for r in shown
    ]
    caption = "iteration 0 is the model before any query; answer -1 = skipped"
    if len(history) > len(shown):
        caption += f"; first {len(shown)} of {len(history)} iterations shown"
    headline = None
    first, last = history[0], history[-1]
    for name in split_order(eval_names):
        before, after = (first.get(name) or {}).get("accuracy"), (last.get(name) or {}).get("accuracy")
        if isinstance(after, (int, float)):
            headline = Headline(
                f"{name} accuracy", after, f"from {fmt(before)} with {last.get('n_labelled')} labels"
            )
            break
    return [
        ReportSection(
            "Active loop",
            f"{len(history) - 1} iterations, {last.get('n_labelled', 0)} expert labels.",
            [Table(columns, rows, caption)],
            figures,
            headline,
        )
    ]


def error_finder_sections(
    step_id: str, metrics: Mapping[str, Any], artifacts_dir: Path | None
) -> list[ReportSection]:
    """An error finder: issues per split, the noise matrix, and the top-ranked items of each
    split with their text, given and suggested label and score (`ranked`, `suggested`, `scores`
    artifacts; the given labels from the step's `labels` input, the text from the data set)."""
    base = metrics_section(step_id, metrics, "Label issues")
    ranked = read_artifacts(artifacts_dir, "ranked")
    suggested = read_artifacts(artifacts_dir, "suggested")
    scores = read_artifacts(artifacts_dir, "scores")
    given = step_input(artifacts_dir, "labels")
    data = _load_data(Path(artifacts_dir).parent.parent) if ranked and artifacts_dir is not None else None
    names = list(data.class_names) if data is not None and data.class_names else []

    def label(values: Any, i: int) -> Any:
        value = _at(values, i)
        return names[value] if isinstance(value, int) and 0 <= value < len(names) else value

    tables, figures = list(base.tables), []
    for split in split_order(ranked):
        order = np.asarray(ranked[split], dtype=np.int64)[:20]
        texts = data.splits[split].text if data is not None and split in data.splits else None
        if texts is not None and len(texts) != len(np.asarray(suggested.get(split, texts))):
            texts = None  # not the items this step saw
        rows = [
            [
                str(i),
                *([_short(texts[i])] if texts is not None else []),
                label(given.get(split), int(i)),
                label(suggested.get(split), int(i)),
                _at(scores.get(split), int(i)),
            ]
            for i in order
        ]
        columns = ["item", *(["text"] if texts is not None else []), "given", "suggested", "score"]
        caption = f"{split}: the {len(order)} items ranked most likely mislabelled, of {len(ranked[split]):,} flagged"
        tables.append(Table(columns, rows, caption))
    for split in split_order(s for s, v in metrics.items() if isinstance(v, Mapping)):
        matrix = metrics[split].get("noise_matrix")
        if isinstance(matrix, list) and matrix and isinstance(matrix[0], list):
            labels = names if len(names) == len(matrix) else [str(c) for c in range(len(matrix))]
            figures.append(
                heatmap(
                    matrix,
                    title=f"Noise matrix P(given | true), {split}",
                    row_labels=labels,
                    col_labels=labels,
                    row_title="given",
                    col_title="true",
                    digits=3,
                )
            )
    splits = [s for s, v in metrics.items() if isinstance(v, Mapping) and isinstance(v.get("n_issues"), int)]
    headline = base.headline
    if splits:
        split = "train" if "train" in splits else split_order(splits)[0]
        detail = f"share {fmt(metrics[split].get('share'))}"
        headline = Headline(f"{split} items flagged", metrics[split]["n_issues"], detail)
    return [ReportSection(base.title, base.text, tables, figures, headline, base.details)]


def _pool_text(artifacts_dir: Path | None) -> tuple[Any, list[str]]:
    """The texts of the pool an active loop queried (the split of its `queried` artifact), and
    the class names, from the data set; (None, []) without them."""
    queried = read_artifacts(artifacts_dir, "queried")
    if artifacts_dir is None or not queried:
        return None, []
    data = _load_data(Path(artifacts_dir).parent.parent)
    if data is None:
        return None, []
    split = next(iter(queried))
    texts = data.splits[split].text if split in data.splits else None
    return texts, list(data.class_names)


def _short(text: Any, most: int = 160) -> str:
    """One line of at most `most` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= most else line[: most - 1] + "…"


def _at(values: Any, item: int) -> Any:
    """`values[item]` of a per-item artifact; None when it is missing or too short."""
    if values is None:
        return None
    arr = np.asarray(values)
    return arr[item].item() if item < len(arr) else None


# --- the page -------------------------------------------------------------------------------
@dataclass
class StepReport:
    """One step of the page: its id, plugin, time and sections."""

    id: str
    use: str
    sections: list[ReportSection]
    seconds: float | None = None
    cached: bool | None = None
    note: str = ""
    headline: Headline | None = field(default=None)


def _step_runner(use: str, params: Mapping[str, Any]) -> Any:
    """The Step instance that reports a spec step: its plugin's step class with the step-only
    params the spec gave; the base `Step` when the plugin cannot be loaded."""
    from weasul.plugins import load_class
    from weasul.steps import Step, step_class

    group, _, name = use.partition("/")
    cls = step_class(load_class(group, name))
    fields = {k: v for k, v in params.items() if k in cls.Params.model_fields}
    try:
        return cls(**fields)
    except Exception:  # noqa: BLE001 - an old spec's step params: report with the defaults
        try:
            return cls()
        except Exception:  # noqa: BLE001
            return Step()


def build_sections(
    run_dir: Path, spec: Mapping[str, Any], metrics: Mapping[str, Any], record: Mapping[str, Any]
) -> list[StepReport]:
    """Each spec step's sections, from its step class's `report` hook; a hook that fails or a
    plugin that is no longer installed gets the default metrics section and a note."""
    from weasul.steps import Step

    timings = record.get("steps") or {}
    out = []
    for entry in spec.get("steps") or []:
        step_id, use = str(entry.get("id")), str(entry.get("use"))
        step_metrics = metrics.get(step_id)
        if step_metrics is None and step_id not in timings:
            continue  # did not run
        step_metrics = step_metrics if isinstance(step_metrics, Mapping) else {}
        note = ""
        try:
            runner = _step_runner(use, entry.get("params") or {})
        except Exception as err:  # noqa: BLE001 - uninstalled plugin: still show its metrics
            note = f"plugin not loadable here ({type(err).__name__}); showing its metrics only"
            runner = Step()
        try:
            sections = list(runner.report(step_id, step_metrics, run_dir / "artifacts" / step_id))
        except Exception as err:  # noqa: BLE001 - a broken hook must not cost the whole report
            _log.warning("report: %s.report failed for step %s: %s", type(runner).__name__, step_id, err)
            note = f"{type(runner).__name__}.report failed ({type(err).__name__}: {err}); showing its metrics only"
            sections = [metrics_section(step_id, step_metrics)]
        timing = timings.get(step_id) or {}
        out.append(
            StepReport(
                step_id,
                use,
                sections,
                timing.get("seconds"),
                timing.get("cached"),
                note,
                next((s.headline for s in sections if s.headline is not None), None),
            )
        )
    return out


def _comparison(metrics: Mapping[str, Any]) -> Table | None:
    """Scores of every step that has them, side by side: accuracy and macro-F1 per split."""
    splits: list[str] = []
    scored = {}
    for step_id, values in metrics.items():
        if not isinstance(values, Mapping):
            continue
        by_split = {s: v for s, v in values.items() if isinstance(v, Mapping) and "accuracy" in v}
        if by_split:
            scored[step_id] = by_split
            splits += [s for s in by_split if s not in splits]
    if len(scored) < 2:
        return None
    splits = split_order(splits)
    columns = ["step", *(f"{s} {k}" for s in splits for k in ("accuracy", "macro-F1"))]
    rows = [
        [step_id, *(by_split.get(s, {}).get(k) for s in splits for k in ("accuracy", "macro_f1"))]
        for step_id, by_split in scored.items()
    ]
    return Table(columns, rows, "every step with scores against gold labels")


def _embedded_pngs(run_dir: Path) -> list[tuple[str, str]]:
    """PNG figures other reporters wrote into the run folder, as (name, data URI)."""
    out = []
    for path in sorted(run_dir.rglob("*.png")):
        if "artifacts" in path.relative_to(run_dir).parts or path.stat().st_size > 5_000_000:
            continue
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        out.append((path.relative_to(run_dir).as_posix(), f"data:image/png;base64,{data}"))
    return out


def _read_json(path: Path) -> dict[str, Any]:
    """The JSON object in `path`; {} when the file is absent, a DataError when it is damaged
    (a page built from nothing would look like a run that did nothing)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read {path}: {err}") from err
    try:
        value = json.loads(text)
    except ValueError as err:
        raise DataError(
            f"{path} is not valid JSON ({err}); it was changed or cut short after the run wrote it: "
            "run the spec again to write it anew"
        ) from err
    if not isinstance(value, dict):
        raise DataError(f"{path} holds a JSON {type(value).__name__}, not the object a run writes")
    return value


def _status(record: Mapping[str, Any], spec: Mapping[str, Any], final: bool) -> str:
    """The run's status; a report written by the engine as its last act sees `reporting`
    (`running` in older runs) with every step done, which is the finished run."""
    status = str(record.get("status") or "unknown")
    if final and status in ("running", "reporting"):
        ids = {str(s.get("id")) for s in spec.get("steps") or []}
        if ids <= set(record.get("steps") or {}):
            return "finished"
    return status


def render_report(
    run_dir: Path,
    metrics: Mapping[str, Any] | None = None,
    *,
    title: str = "",
    final: bool = False,
) -> str:
    """The report page of a run folder as HTML text (see `write_report`)."""
    return _render(Path(run_dir), metrics, title, final)[0]


def _render(
    run_dir: Path, metrics: Mapping[str, Any] | None, title: str, final: bool
) -> tuple[str, list[StepReport], str]:
    """The page, its steps and the status it shows."""
    import jinja2
    import yaml

    run_dir = Path(run_dir)
    _DATA_CACHE.pop(str(run_dir), None)
    metrics = metrics if metrics is not None else _read_json(run_dir / "metrics.json")
    record = _read_json(run_dir / "run.json")
    spec_path = run_dir / "spec.yaml"
    spec_text = spec_path.read_text(encoding="utf-8") if spec_path.is_file() else ""
    spec = (yaml.safe_load(spec_text) if spec_text else None) or record.get("spec") or {}
    if not spec_text and spec:
        spec_text = yaml.safe_dump(spec, sort_keys=False)
    try:
        steps = build_sections(run_dir, spec, metrics, record)
    finally:
        _DATA_CACHE.pop(str(run_dir), None)  # the data set is needed only while sections are built
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    env.filters["pretty"] = lambda v: json.dumps(v, indent=1, default=str)
    step_seconds = [s.seconds for s in steps if isinstance(s.seconds, (int, float))]
    total = record.get("seconds")
    if total is None and step_seconds:
        total = sum(step_seconds)
    status = _status(record, spec, final)
    page = env.get_template("report.html.j2").render(
        title=title or f"weasul run {spec.get('name', run_dir.name)}",
        name=spec.get("name", run_dir.parent.name),
        run_dir=str(run_dir),
        status=status,
        record=record,
        total_seconds=total,
        spec_text=spec_text,
        steps=steps,
        comparison=_comparison(metrics),
        pngs=_embedded_pngs(run_dir),
    )
    return str(page), steps, status


def write_report(
    run_dir: Path, metrics: Mapping[str, Any] | None = None, *, title: str = "", final: bool = False
) -> Path:
    """Write `<run_dir>/report.html`: header (spec, versions, timings, status from run.json),
    a summary card per step, the steps' sections, and the PNG figures of other reporters; and
    `report.json`, each step's headline (what `weasul runs` lists). `metrics` defaults to
    metrics.json; `final` says the engine writes it as the run's last act. Returns the page."""
    from weasul.cache import json_default, write_text_atomic

    run_dir = Path(run_dir)
    page, steps, status = _render(run_dir, metrics, title, final)
    out = run_dir / "report.html"
    write_text_atomic(out, page)
    headlines = {
        s.id: {"label": s.headline.label, "value": s.headline.value, "detail": s.headline.detail}
        for s in steps
        if s.headline is not None
    }
    summary = {"status": status, "headlines": headlines}
    write_text_atomic(run_dir / "report.json", json.dumps(summary, indent=1, default=json_default) + "\n")
    return out
