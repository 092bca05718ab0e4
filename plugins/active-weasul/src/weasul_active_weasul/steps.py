"""How the label-store oracles run as a spec step: bound to the pool they answer for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from weasul.steps import InputSpec, OracleStep, StepContext, StepOutput, fit_split

if TYPE_CHECKING:
    from weasul.interfaces import Oracle

__all__ = ["StoreOracleStep"]


class StoreOracleStep(OracleStep):
    """Bind the fit_on split of the wired inputs (ids, texts, votes, model) to the oracle."""

    inputs: ClassVar[dict[str, InputSpec]] = {
        "items": InputSpec(("table",), required=False, doc="raw items; their id column gives stable ids"),
        "text": InputSpec(("text",), required=False, doc="item texts, shown by the terminal oracle"),
        "L": InputSpec(("label_matrix",), required=False, doc="LF votes of the pool, shown by the terminal oracle"),
        "model": InputSpec(("model:label_models",), required=False, doc="label model whose belief is shown"),
        "y": InputSpec(("labels",), required=False, as_param=True, doc="answers for experiments"),
    }

    def run(self, plugin: Oracle, inputs: dict[str, Any], ctx: StepContext) -> StepOutput:
        from weasul_active_weasul.oracles import StoreOracle, TerminalOracle

        if not isinstance(plugin, StoreOracle):
            raise TypeError(f"{type(self).__name__} runs a StoreOracle, not {type(plugin).__name__}")
        picked = {k: fit_split(v, ctx, k) for k, v in inputs.items() if k in ("items", "text", "L") and v}
        wants_names = isinstance(plugin, TerminalOracle) and not plugin.params.class_names
        plugin.bind(**picked, model=inputs.get("model"), class_names=ctx.class_names if wants_names else None)
        return StepOutput({"model": plugin}, {"stored_answers": len(plugin.store)})
