"""The record kept for every discovered plugin."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

__all__ = ["PluginRecord", "Status"]

Status = Literal["listed", "ok", "broken", "incompatible"]


@dataclass(frozen=True)
class PluginRecord:
    """What is known about one entry point: where it comes from and whether it loads.

    `status` is `listed` until the target is imported, then `ok`, `broken` (import failed)
    or `incompatible` (the caller's check refused it); `error` holds the one-line reason.
    """

    group: str
    name: str
    target: str
    distribution: str
    version: str
    status: Status = "listed"
    error: str | None = None
    obj: Any = field(default=None, repr=False, compare=False)

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    def with_status(self, status: Status, error: str | None = None, obj: Any = None) -> PluginRecord:
        return replace(self, status=status, error=error, obj=obj)

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "name": self.name,
            "target": self.target,
            "distribution": self.distribution,
            "version": self.version,
            "status": self.status,
            "error": self.error,
        }
