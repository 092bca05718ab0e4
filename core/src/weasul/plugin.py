"""The base every plugin class derives from: parameters, cloning, fitted state, persistence."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, cast

import numpy as np
from pydantic import BaseModel, ValidationError
from typing_extensions import TypeVar

from weasul.errors import NotFittedError, PluginContractError, SpecError
from weasul.params import WeasulParams

if TYPE_CHECKING:
    from typing import Self

    from weasul.steps import Step

__all__ = ["API_VERSION", "UPGRADE_HINTS", "Plugin", "PersistentPlugin", "format_validation_error"]

#: The plugin API this core implements; a plugin declares the version it targets.
#: 2: step code moved from the interfaces to `weasul.steps` (Core API 2).
API_VERSION = 2

#: What a plugin written for an older API must change, by the version it targets.
UPGRADE_HINTS = {
    1: (
        "Core API 2 moved step code out of the interfaces: replace `step_inputs`, `step_outputs` and "
        "`run_step` with a `weasul.steps.Step` subclass named by `step = MyStep` on the plugin class "
        "(PLUGINS.md, 'Steps'), move step-only options into that step's Params, then set api_version = 2"
    ),
}

#: Attributes of API 1 that a plugin class may no longer define.
_API_1_STEP_ATTRIBUTES = ("step_inputs", "step_outputs", "run_step")

P = TypeVar("P", bound=WeasulParams, default=WeasulParams, covariant=True)


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


class Plugin(Generic[P]):
    """Holds validated `params`; learned state lives in attributes ending in `_`, set by `fit`.

    Construct with a `Params` instance or with its fields: `DawidSkene(n_classes=3)`.
    Subclasses define no `__init__`. Generic in its Params, so `class MyModel(LabelModel[MyParams])`
    gives a typed `self.params`.
    """

    #: The entry-point group of the interface; set once by each interface class.
    group: ClassVar[str] = ""
    #: The plugin API version this class targets; checked when the plugin loads.
    api_version: ClassVar[int] = API_VERSION
    Params: ClassVar[type[WeasulParams]] = WeasulParams
    params: P
    #: How the plugin runs as a spec step; None: its interface's default (`weasul.steps`).
    step: ClassVar[type[Step[Any]] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        stale = [name for name in _API_1_STEP_ATTRIBUTES if name in cls.__dict__]
        if stale and cls.__dict__.get("api_version", API_VERSION) >= 2:
            raise PluginContractError(
                f"{cls.__qualname__} defines {', '.join(stale)} (plugin API 1); {UPGRADE_HINTS[1]}"
            )
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
            self.params = cast(P, params)
            return
        try:
            self.params = cast(P, self.Params(**fields))
        except ValidationError as err:
            raise SpecError(format_validation_error(err, type(self).__name__, self.Params)) from None

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.params.model_dump().items())
        return f"{type(self).__name__}({fields})"

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


class PersistentPlugin(Plugin[P]):
    """A plugin whose fitted state can be saved and loaded (models that label new data).

    The default `save`/`load` writes numpy state and JSON values to safetensors (no pickle);
    a plugin with other state overrides both, or sets `persistable = False`.
    """

    #: Whether `save`/`load` work for this class (the step cache stores only such models).
    persistable: ClassVar[bool] = True

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
        from weasul.persist import read_saved

        metadata, tensors, params = read_saved(cls, path)
        plugin = cls(params)
        for key, value in {**json.loads(metadata.get("scalars", "{}")), **tensors}.items():
            setattr(plugin, key, value)
        return plugin
