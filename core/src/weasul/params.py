"""The base of every plugin's parameter model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["WeasulParams"]


class WeasulParams(BaseModel):
    """Frozen, strict-keyed parameters: a typo fails when the spec loads, not after training."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
