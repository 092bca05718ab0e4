"""The base every plugin class derives from: parameters, cloning, fitted state, persistence."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ValidationError

from weasul.errors import DataError, NotFittedError, PluginContractError, SpecError
from weasul.params import WeasulParams

if TYPE_CHECKING:
    from typing import Self

__all__ = ["API_VERSION", "Plugin", "format_validation_error"]

#: The plugin API this core implements; a plugin declares the version it targets.
API_VERSION = 1


def format_validation_error(
    err: ValidationError,
    where: str,
    params: type[BaseModel] | None = None,
    *,
    filled: Collection[str] = (),
) -> str:
    """`where.params.<field>: <problem>` per problem, joined by "; "; the one wording of
    parameter errors, for specs (`weasul validate`) and code (`weasul.create`) alike.

    An unknown field reads "unknown parameter (check the spelling)" with the fields of
    `params` and the closest of them. A missing field named in `filled` (a step input fills
    it) is no problem. Returns "" when no problem is left.
    """
    import difflib

    valid = list(params.model_fields) if params is not None else []
    problems = []
    for problem in err.errors():
        loc = ".".join(str(x) for x in problem["loc"])
        if problem["type"] == "missing" and loc.split(".")[0] in filled:
            continue
        at = f"{where}.params" + (f".{loc}" if loc else "")
        if problem["type"] != "extra_forbidden":
            problems.append(f"{at}: {problem['msg']}")
            continue
        message = f"{at}: unknown parameter (check the spelling)"
        if params is not None:
            message += f"; parameters are: {', '.join(valid) or 'none'}"
            close = difflib.get_close_matches(loc.split(".")[-1], valid, n=1, cutoff=0.6)
            message += f" (did you mean '{close[0]}'?)" if close else ""
        problems.append(message)
    return "; ".join(problems)


class Plugin:
    """Holds validated `params`; learned state lives in attributes ending in `_`, set by `fit`.

    Construct with a `Params` instance or with its fields: `DawidSkene(n_classes=3)`.
    Subclasses define no `__init__`.
    """

    #: The entry-point group of the interface; set once by each interface class.
    group: ClassVar[str] = ""
    #: The plugin API version this class targets; checked when the plugin loads.
    api_version: ClassVar[int] = API_VERSION
    #: Whether the default `save`/`load` (numpy state to safetensors) applies.
    persistable: ClassVar[bool] = True
    Params: ClassVar[type[WeasulParams]] = WeasulParams
    #: Inputs and outputs when the plugin runs as a spec step (see `weasul.steps`).
    step_inputs: ClassVar[dict[str, Any]] = {}
    step_outputs: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not (isinstance(cls.Params, type) and issubclass(cls.Params, WeasulParams)):
            raise PluginContractError(f"{cls.__qualname__}.Params must subclass weasul.WeasulParams")
        if "__init__" in cls.__dict__:
            raise PluginContractError(
                f"{cls.__qualname__} defines __init__; declare parameters in its Params model instead"
            )

    def __init__(self, params: WeasulParams | None = None, /, **fields: Any) -> None:
        if params is not None:
            if fields:
                raise TypeError("pass either a Params instance or keyword fields, not both")
            if not isinstance(params, self.Params):
                raise PluginContractError(
                    f"{type(self).__name__} expects {self.Params.__qualname__}, got {type(params).__name__}"
                )
            self.params = params
            return
        try:
            self.params = self.Params(**fields)
        except ValidationError as err:
            raise SpecError(format_validation_error(err, type(self).__name__, self.Params)) from None

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.params.model_dump().items())
        return f"{type(self).__name__}({fields})"

    def run_step(self, inputs: dict[str, Any], ctx: Any) -> Any:
        """Run as a spec step; interfaces that can be steps override this."""
        raise PluginContractError(f"{type(self).__name__} ({self.group}) cannot run as a step")

    def clone(self) -> Self:
        """A new, unfitted plugin with the same parameters."""
        return type(self)(self.params)

    @classmethod
    def examples(cls) -> Sequence[Plugin]:
        """Instances the conformance kit checks; override when `Params` has required fields."""
        return [cls()]

    # --- fitted state -------------------------------------------------------------------
    def fitted_state(self) -> dict[str, Any]:
        """Learned attributes (names ending in `_`, not starting with `_`)."""
        return {k: v for k, v in vars(self).items() if k.endswith("_") and not k.startswith("_")}

    def check_fitted(self) -> None:
        """Raise `NotFittedError` unless `fit` has run."""
        if not self.fitted_state():
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit() first")

    # --- persistence --------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write params and fitted numpy state to a safetensors file (no pickle)."""
        from safetensors.numpy import save_file

        self.check_fitted()
        tensors: dict[str, np.ndarray] = {}
        scalars: dict[str, Any] = {}
        for key, value in self.fitted_state().items():
            if isinstance(value, np.ndarray) and value.dtype != object:
                tensors[key] = np.ascontiguousarray(value)
            elif isinstance(value, (bool, int, float, str, type(None), list, dict, tuple)):
                scalars[key] = value
            else:
                raise PluginContractError(
                    f"{type(self).__name__}.{key} is a {type(value).__name__}; the default save() "
                    "stores numpy arrays and JSON values only; override save/load"
                )
        path = Path(path)
        metadata = {
            "plugin": f"{type(self).__module__}:{type(self).__qualname__}",
            "params": self.params.model_dump_json(),
            "scalars": json.dumps(scalars),
        }
        save_file(tensors, str(path), metadata=metadata)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a file written by `save` into a fitted instance of this class."""
        from safetensors import safe_open

        path = Path(path)
        if not path.is_file():
            raise DataError(f"no saved model at {path}")
        with safe_open(str(path), framework="numpy") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}
        if "params" not in metadata:
            raise DataError(f"{path} was not written by a weasul plugin's save()")
        plugin = cls(cls.Params.model_validate_json(metadata["params"]))
        for key, value in {**json.loads(metadata.get("scalars", "{}")), **tensors}.items():
            setattr(plugin, key, value)
        return plugin
