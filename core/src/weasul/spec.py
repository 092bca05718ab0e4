"""The spec: pydantic models of a run file, loading from YAML/JSON, and readable errors."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from weasul.errors import DataError, SpecError
from weasul.executor import ExecutorSpec
from weasul.params import WeasulParams

__all__ = [
    "DataSpec",
    "StepSpec",
    "ReporterSpec",
    "ReportSpec",
    "Spec",
    "load_spec",
    "load_yaml",
    "parse_spec",
]

_ID = r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$"
_USE = r"^[a-z_]+/[A-Za-z0-9_.-]+$"
_MAX_BYTES = 5_000_000
#: The most values (mappings, lists, scalars) a spec may hold once YAML aliases are expanded: a
#: spec is a small file, and a few hundred bytes of nested aliases can expand to gigabytes.
_MAX_EXPANDED = 100_000


class DataSpec(WeasulParams):
    """The data set: a `datasets` plugin and its params."""

    use: str = Field(description="datasets plugin name, e.g. wrench", max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)


class StepSpec(WeasulParams):
    """One step: a plugin (`group/name`), its params and where its inputs come from."""

    id: str = Field(pattern=_ID, description="unique step id; later steps refer to it")
    use: str = Field(pattern=_USE, description="group/name, e.g. label_models/majority-vote")
    params: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, str] = Field(
        default_factory=dict,
        description="input name -> reference: data.<field>, data.<split>.<field>, <step>, <step>.<output>",
    )
    fit_on: str = Field("train", pattern=_ID, description="the split a step fits on")
    cache: bool = Field(True, description="reuse the result when inputs and params are unchanged")


class ReporterSpec(WeasulParams):
    """A reporter with params, e.g. `{use: slice-metrics, params: {split: test}}`."""

    use: str = Field(max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)


class ReportSpec(WeasulParams):
    """Reports written after the run: the HTML report (always last), plus other reporters,
    each a name or a `{use, params}` mapping."""

    html: bool = True
    reporters: list[str | ReporterSpec] = Field(default_factory=list)


class Spec(WeasulParams):
    """A weasul run file."""

    weasul: Literal[1] = Field(description="spec format version")
    name: str = Field(pattern=_ID, description="run name; runs go to runs/<name>/<time>/")
    data: DataSpec | None = None
    executor: ExecutorSpec = Field(default_factory=lambda: ExecutorSpec())
    steps: list[StepSpec] = Field(min_length=1, max_length=200)
    report: ReportSpec = Field(default_factory=ReportSpec)


def _where(loc: tuple[Any, ...], raw: Any) -> str:
    """Human location of a validation error: `step 'lm' (steps[1]).params` etc."""
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        step_id = None
        if isinstance(raw, dict) and isinstance(raw.get("steps"), list) and loc[1] < len(raw["steps"]):
            entry = raw["steps"][loc[1]]
            step_id = entry.get("id") if isinstance(entry, dict) else None
        head = f"step '{step_id}' (steps[{loc[1]}])" if isinstance(step_id, str) else f"steps[{loc[1]}]"
        rest = ".".join(str(p) for p in loc[2:])
        return f"{head}.{rest}" if rest else head
    return ".".join(str(p) for p in loc) or "(spec)"


def parse_spec(raw: Any, source: str = "spec") -> Spec:
    """Validate plain data as a Spec; every problem is named with its step and field."""
    if raw is None:
        raise SpecError(f"{source} is empty; a spec needs at least 'weasul: 1', 'name' and 'steps'")
    if not isinstance(raw, dict):
        raise SpecError(
            f"{source} must be a mapping with keys weasul, name, data, steps; got {type(raw).__name__}"
        )
    try:
        return Spec.model_validate(raw)
    except ValidationError as err:
        problems = []
        for problem in err.errors()[:10]:
            msg = problem["msg"]
            if problem["type"] == "extra_forbidden":
                msg = "unknown field (check the spelling)"
            problems.append(f"{_where(problem['loc'], raw)}: {msg}")
        more = f" (and {err.error_count() - 10} more)" if err.error_count() > 10 else ""
        raise SpecError(f"{source}: " + "; ".join(problems) + more) from None


def _expanded_size(root: Any, limit: int) -> int:
    """How many nodes the YAML graph holds with every alias expanded (each shared node counted
    each time it is used), without expanding it; stops past `limit`; refuses a cycle."""
    import yaml

    sizes: dict[int, int] = {}
    busy: set[int] = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in busy:
            mark = node.start_mark
            raise SpecError(f"line {mark.line + 1}: an alias refers to itself (a recursive structure)")
        busy.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                break
        busy.discard(key)
        sizes[key] = total
        return total

    return size(root)


def _loader(source: str) -> Any:
    """A yaml SafeLoader that refuses duplicate keys and aliases expanding past `_MAX_EXPANDED`."""
    import yaml

    class Loader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no type hints
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: dict[Any, int] = {}
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue  # `<<: *defaults` may be overridden on purpose
                    key = self.construct_object(key_node, deep=True)
                    try:
                        hash(key)
                    except TypeError:  # an unhashable key: the base class explains it
                        continue
                    line = key_node.start_mark.line + 1
                    if key in seen:
                        raise SpecError(
                            f"{source} line {line}: duplicate key {key!r} (first at line {seen[key]}); "
                            "a key may appear once in a mapping: merge the two blocks"
                        )
                    seen[key] = line
            return super().construct_mapping(node, deep=deep)

        def get_single_data(self) -> Any:
            node = self.get_single_node()
            if node is None:
                return None
            try:
                expanded = _expanded_size(node, _MAX_EXPANDED)
            except SpecError as err:
                raise SpecError(f"{source} {err}") from None
            if expanded > _MAX_EXPANDED:
                raise SpecError(
                    f"{source}: its YAML aliases expand to more than {_MAX_EXPANDED} values; "
                    "a spec is a small file: write the values out or use fewer nested aliases"
                )
            return self.construct_document(node)

    return Loader


def load_yaml(text: str, source: str = "spec") -> Any:
    """Parse YAML text safely: no duplicate keys, no alias bombs, no Python objects."""

    loader = _loader(source)(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_spec(path: str | Path, overrides: Sequence[str] = ()) -> tuple[Spec, dict[str, Any]]:
    """Read and validate a YAML or JSON spec file; returns the Spec and the raw data.

    `overrides` (`key=value`, see `weasul.overrides`) change the data before validation; file
    params relative to the spec's folder become absolute (see `weasul.spec_paths`).
    """
    import yaml

    from weasul.overrides import apply_overrides
    from weasul.spec_paths import resolve_paths
    from weasul.storage import check_file

    try:
        path = check_file(path, "spec file", hint="check the path")
    except DataError as err:
        raise SpecError(str(err)) from None
    data = path.read_bytes()
    if len(data) > _MAX_BYTES:
        raise SpecError(f"{path} is {len(data)} bytes; a spec is a small text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError(f"{path} is not UTF-8 text (is it a binary file?)") from None
    if "\x00" in text:
        raise SpecError(f"{path} contains NUL bytes; it is not a text spec")
    try:
        raw = load_yaml(text, str(path))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        form = "JSON (a JSON spec is read as YAML)" if path.suffix.lower() == ".json" else "YAML"
        raise SpecError(f"{path} is not valid {form}{where}: {problem}") from None
    except RecursionError:
        raise SpecError(f"{path} is nested too deeply") from None
    raw = resolve_paths(apply_overrides(raw, overrides), path.parent)
    return parse_spec(raw, str(path)), raw
