"""Static checks of a spec before anything runs: plugins, params, wiring and artifact kinds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from weasul import plugins as registry_glue
from weasul.data import SPLIT_FIELDS
from weasul.errors import PluginContractError, PluginError, SpecError
from weasul.interfaces import DatasetLoader, Reporter
from weasul.params import WeasulParams
from weasul.plugin import Plugin, format_validation_error
from weasul.spec import ReporterSpec, Spec, StepSpec
from weasul.steps import KINDS, InputSpec, Step, step_class

__all__ = ["Ref", "PlannedStep", "Plan", "plan", "parse_ref"]


@dataclass(frozen=True)
class Ref:
    """A parsed input reference: `source` is `data` or a step id; `split` may select one split."""

    source: str
    output: str
    split: str | None = None

    def __str__(self) -> str:
        middle = f".{self.split}" if self.split else ""
        return f"{self.source}{middle}.{self.output}"


@dataclass
class PlannedStep:
    """A checked step: the plugin class and its params, the step class and its step-only params."""

    spec: StepSpec
    cls: type[Plugin]
    params: dict[str, Any]
    refs: dict[str, Ref]
    outputs: dict[str, str] = field(default_factory=dict)
    step_cls: type[Step[Any]] = Step
    step_params: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.spec.id

    def param_inputs(self) -> dict[str, Ref]:
        return {k: r for k, r in self.refs.items() if _is_param_input(self.step_cls, k)}


@dataclass
class Plan:
    spec: Spec
    data_cls: type[DatasetLoader] | None
    data_params: WeasulParams | None
    steps: list[PlannedStep]
    reporters: list[tuple[type[Reporter], WeasulParams]]


def parse_ref(text: str, where: str) -> Ref:
    """`data.L`, `data.train.L`, `lm` (its model), `lm.probs`, `lm.test.probs`."""
    parts = text.strip().split(".")
    if any(not p for p in parts) or len(parts) > 3:
        raise SpecError(
            f"{where}: '{text}' is not a reference; use data.<field>, data.<split>.<field>, <step> or <step>.<output>"
        )
    if parts[0] == "data":
        if len(parts) == 1:
            raise SpecError(f"{where}: 'data' needs a field, e.g. data.L or data.train.L")
        return Ref("data", parts[-1], parts[1] if len(parts) == 3 else None)
    if len(parts) == 1:
        return Ref(parts[0], "model")
    return Ref(parts[0], parts[-1], parts[1] if len(parts) == 3 else None)


def _is_param_input(step_cls: type[Step[Any]], name: str) -> bool:
    """Whether input `name` is declared to fill the plugin's Params field of that name."""
    spec = step_cls.inputs.get(name)
    return isinstance(spec, InputSpec) and spec.as_param


def _kind_of_output(cls: type[Plugin], declared: str) -> str:
    return f"model:{cls.group}" if declared == "model" else declared


def _accepts(spec: InputSpec, kind: str) -> bool:
    return kind in spec.kinds or (kind.startswith("model:") and "model" in spec.kinds)


def _check_params(
    cls: type[Plugin] | type[Step[Any]], params: dict[str, Any], from_inputs: set[str], where: str
) -> None:
    try:
        cls.Params.model_validate(params)
    except ValidationError as err:
        problems = format_validation_error(err, where, cls.Params, filled=from_inputs)
        if problems:
            raise SpecError(problems) from None


def _check_declared_kinds(step_cls: type[Step[Any]], use: str) -> None:
    """A step's declared input and output kinds must be known kinds (catches plugin typos)."""
    declared = [k for spec in step_cls.inputs.values() for k in spec.kinds] + list(step_cls.outputs.values())
    unknown = sorted({k for k in declared if k.split(":")[0] not in KINDS})
    if unknown:
        raise PluginContractError(
            f"'{use}' declares unknown artifact kinds {unknown}; kinds are {', '.join(KINDS)}"
        )


def _split_params(
    cls: type[Plugin], step_cls: type[Step[Any]], params: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A spec step's params, routed to the plugin's Params and the step's (step-only) Params."""
    shared = sorted(set(cls.Params.model_fields) & set(step_cls.Params.model_fields))
    if shared:
        raise PluginContractError(
            f"{cls.__qualname__} and its step {step_cls.__qualname__} both declare {', '.join(shared)}; "
            "a parameter belongs to the plugin or to the step, not both"
        )
    step_fields = step_cls.Params.model_fields
    return (
        {k: v for k, v in params.items() if k not in step_fields},
        {k: v for k, v in params.items() if k in step_fields},
    )


def _load(group: str, name: str, where: str) -> type[Plugin]:
    try:
        return registry_glue.load_class(group, name)
    except SpecError as err:
        raise SpecError(f"{where}: {err}") from None
    except PluginError as err:
        raise SpecError(f"{where}: {err}") from None


def plan(spec: Spec) -> Plan:
    """Check everything that can be checked without running; raises SpecError naming the step."""
    data_cls = data_params = None
    if spec.data is not None:
        data_cls = _load("datasets", spec.data.use, "data.use")
        _check_params(data_cls, spec.data.params, set(), "data")
        data_params = data_cls.Params.model_validate(spec.data.params)
    produced: dict[str, dict[str, str]] = {"data": dict(SPLIT_FIELDS)} if spec.data is not None else {}
    steps: list[PlannedStep] = []
    for index, step in enumerate(spec.steps):
        where = f"step '{step.id}' (steps[{index}])"
        if step.id == "data" or step.id in produced:
            first = "the data section" if step.id == "data" else "an earlier step"
            raise SpecError(
                f"{where}: duplicate step id '{step.id}' (already used by {first}); ids must be unique"
            )
        group, _, name = step.use.partition("/")
        cls = _load(group, name, f"{where}.use")
        if issubclass(cls, (DatasetLoader, Reporter)):
            raise SpecError(
                f"{where}.use: '{step.use}' cannot be a step; datasets go under 'data', reporters under 'report'"
            )
        try:
            step_cls = step_class(cls)
        except PluginContractError as err:
            raise SpecError(f"{where}.use: {err}") from None
        _check_declared_kinds(step_cls, step.use)
        plugin_params, step_params = _split_params(cls, step_cls, step.params)
        refs = {key: parse_ref(text, f"{where}.inputs.{key}") for key, text in step.inputs.items()}
        for key, ref in refs.items():
            at = f"{where}.inputs.{key}"
            if ref.source not in produced:
                earlier = ", ".join(produced) or "none"
                raise SpecError(
                    f"{at}: '{step.inputs[key]}' refers to '{ref.source}', which no earlier step produces (earlier: {earlier})"
                )
            kinds = produced[ref.source]
            if ref.output not in kinds:
                raise SpecError(
                    f"{at}: '{ref.source}' has no output '{ref.output}'; it produces {', '.join(kinds)}"
                )
            if key not in step_cls.inputs:
                valid = ", ".join(step_cls.inputs) or "none"
                raise SpecError(f"{at}: '{step.use}' takes no input '{key}'; its inputs are: {valid}")
            expected = step_cls.inputs[key]
            if not _accepts(expected, kinds[ref.output]):
                raise SpecError(
                    f"{at}: '{step.inputs[key]}' is a {kinds[ref.output]} artifact but '{key}' needs "
                    f"{' or '.join(expected.kinds)}"
                )
        missing = [k for k, s in step_cls.inputs.items() if s.required and not s.as_param and k not in refs]
        if missing:
            valid = ", ".join(step_cls.inputs)
            raise SpecError(
                f"{where}.inputs: missing required input(s) {', '.join(missing)} (inputs: {valid})"
            )
        as_params = {k for k in refs if _is_param_input(step_cls, k)}
        _check_params(cls, plugin_params, as_params, where)
        _check_params(step_cls, step_params, set(), where)
        outputs = {k: _kind_of_output(cls, v) for k, v in step_cls.outputs.items()}
        produced[step.id] = outputs
        steps.append(PlannedStep(step, cls, plugin_params, refs, outputs, step_cls, step_params))
    # html goes last so that its page shows the figures the other reporters wrote
    wanted = [r if isinstance(r, ReporterSpec) else ReporterSpec(use=r) for r in spec.report.reporters]
    others = [r for r in wanted if r.use != "html"]
    if spec.report.html or len(others) < len(wanted):
        others.append(next((r for r in wanted if r.use == "html"), ReporterSpec(use="html")))
    reporters = []
    for reporter in others:
        where = f"report.reporters '{reporter.use}'"
        cls = _load("reporters", reporter.use, where)
        _check_params(cls, reporter.params, set(), where)
        reporters.append((cls, cls.Params.model_validate(reporter.params)))
    return Plan(spec, data_cls, data_params, steps, reporters)  # type: ignore[arg-type]
