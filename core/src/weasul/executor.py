"""Where partition-wise work runs: in this process, or on a Dask cluster."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field

from weasul.lazy import require
from weasul.params import WeasulParams

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ExecutorSpec", "Executor"]


class ExecutorSpec(WeasulParams):
    """`kind: local` (default) or `kind: dask` with a scheduler `address` (none = a LocalCluster)."""

    kind: Literal["local", "dask"] = "local"
    address: str | None = None
    n_workers: int = Field(2, ge=1)
    partitions: int | None = Field(None, ge=1, description="default: 2 per worker")


def _call(func: Callable[[Any], np.ndarray], chunk: Any) -> np.ndarray:
    return func(chunk)


class Executor:
    """Runs a function over row partitions and stacks the results in order."""

    def __init__(self, spec: ExecutorSpec | None = None) -> None:
        self.spec = spec or ExecutorSpec()
        self._client: Any = None
        self._cluster: Any = None

    def _dask_client(self) -> Any:
        if self._client is None:
            distributed = require("distributed", extra="dask", distribution="weasul-core")
            if self.spec.address:
                self._client = distributed.Client(self.spec.address)
            else:
                # loopback only, random ports, no dashboard: a local cluster is reachable from
                # this machine alone, and host= spares distributed's UDP probe of 8.8.8.8
                self._cluster = distributed.LocalCluster(
                    n_workers=self.spec.n_workers,
                    processes=False,
                    host="127.0.0.1",
                    protocol="tcp://",
                    dashboard_address="127.0.0.1:0",
                    worker_dashboard_address=None,
                    scheduler_kwargs={"dashboard": False},
                )
                self._client = distributed.Client(self._cluster)
        return self._client

    def map_chunks(self, func: Callable[[Any], np.ndarray], chunks: list[Any]) -> np.ndarray:
        """`func` on each chunk (locally or on Dask workers); results stacked along rows."""
        if self.spec.kind == "local":
            return np.concatenate([func(c) for c in chunks])
        client = self._dask_client()
        # send the function (it may carry a fitted model) to each worker once, not per chunk
        [shared] = client.scatter([func], broadcast=True, hash=False)
        futures = [client.submit(_call, shared, chunk, pure=False) for chunk in chunks]
        return np.concatenate(client.gather(futures))

    def map_frame(self, func: Callable[[pd.DataFrame], np.ndarray], frame: pd.DataFrame) -> np.ndarray:
        parts = self.spec.partitions or 2 * self.spec.n_workers
        bounds = np.linspace(0, len(frame), min(parts, len(frame)) + 1).astype(int)
        chunks = [frame.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=False)]
        return self.map_chunks(func, chunks)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
