"""Where partition-wise work runs: in this process, or on a Dask cluster.

`kind: dask` without an `address` starts a local cluster that is reachable from this machine
alone: the scheduler runs in this process and each worker is its own Python process (so pure
Python labeling functions run in parallel), started as a fresh interpreter (`python -m dask
spec`) rather than forked or spawned from this one. That is why a plain script needs no
`if __name__ == "__main__":` guard: no worker re-imports the caller's `__main__`. Everything
listens on 127.0.0.1 at random ports; the scheduler serves its dashboard only with
`dashboard: true`, on 127.0.0.1 too; the host is given explicitly, so distributed never probes
8.8.8.8 to learn the machine's address. `address: tcp://...` connects to an existing cluster
instead (whose workers must see the run folder when artifacts stay partitioned).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field

from weasul.errors import DataError
from weasul.lazy import require
from weasul.params import WeasulParams

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ExecutorSpec", "Executor", "split_frame"]

_log = logging.getLogger("weasul.run")

#: How many partial sums one reduction task adds up (the fan-in of the tree).
FAN_IN = 4
_LOOPBACK = "127.0.0.1"


class ExecutorSpec(WeasulParams):
    """`kind: local` (default) or `kind: dask` with a scheduler `address` (none = a local cluster)."""

    kind: Literal["local", "dask"] = "local"
    address: str | None = Field(None, description="tcp://host:port of a running scheduler")
    n_workers: int = Field(2, ge=1, le=1024, description="workers of the local cluster")
    threads_per_worker: int = Field(1, ge=1, le=256)
    processes: bool = Field(
        True, description="local workers are processes (parallel Python LFs); false: threads of this process"
    )
    dashboard: bool = Field(
        False, description="serve the local scheduler's dashboard (127.0.0.1, random port)"
    )
    partitions: int | None = Field(None, ge=1, description="default: 2 per worker")
    partitioned: bool = Field(
        True, description="label matrices and probabilities stay partitioned in the run folder"
    )


def _extend_path(entries: list[str]) -> None:
    sys.path.extend(p for p in entries if p not in sys.path)


def _call(func: Callable[[Any], Any], chunk: Any) -> Any:
    return func(chunk)


def _add_up(*parts: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The elementwise sum of statistics dicts (`weasul.statistics.sum_statistics`)."""
    from weasul.statistics import sum_statistics

    total = dict(parts[0])
    for part in parts[1:]:
        total = sum_statistics(total, part)
    return total


def _tree(items: list[Any], add: Callable[..., Any]) -> Any:
    """Add `items` up in groups of FAN_IN until one is left (the same grouping everywhere, so
    local and Dask sums agree to the last bit)."""
    while len(items) > 1:
        items = [
            add(*items[i : i + FAN_IN]) if len(items[i : i + FAN_IN]) > 1 else items[i]
            for i in range(0, len(items), FAN_IN)
        ]
    return items[0]


class Executor:
    """Runs a function over row partitions: results stacked (`map_chunks`), listed (`map_list`)
    or summed on the workers (`map_sum`), so only what the caller asks for travels back."""

    def __init__(self, spec: ExecutorSpec | None = None) -> None:
        self.spec = spec or ExecutorSpec()
        self._client: Any = None
        self._cluster: Any = None

    @property
    def is_dask(self) -> bool:
        return self.spec.kind == "dask"

    @property
    def n_workers(self) -> int:
        """Workers the work is spread over (those of the cluster at `address` once connected)."""
        if self.spec.kind == "dask" and self.spec.address and self._client is not None:
            return max(1, len(self._client.scheduler_info().get("workers", {})))
        return self.spec.n_workers

    def n_partitions(self, n_rows: int) -> int:
        """`partitions`, or two per worker; never more than there are rows."""
        return max(1, min(self.spec.partitions or 2 * self.n_workers, n_rows))

    @property
    def client(self) -> Any:
        """The Dask client, connecting or starting the local cluster on first use."""
        if self._client is None:
            distributed = require("distributed", extra="dask", distribution="weasul-core")
            if self.spec.address:
                self._client = distributed.Client(self.spec.address, timeout="30s")
            else:
                self._cluster = self._local_cluster(distributed)
                self._client = distributed.Client(self._cluster)
                self._client.wait_for_workers(self.spec.n_workers, timeout=120)
                if self.spec.processes:  # modules this process imports by path, the workers can too
                    self._client.run(_extend_path, list(sys.path))
                if self.spec.dashboard:
                    _log.info("Dask dashboard: %s", self._client.dashboard_link)
        return self._client

    def _local_cluster(self, distributed: Any) -> Any:
        dashboard = f"{_LOOPBACK}:0"
        if not self.spec.processes:
            return distributed.LocalCluster(
                n_workers=self.spec.n_workers,
                threads_per_worker=self.spec.threads_per_worker,
                processes=False,
                host=_LOOPBACK,
                protocol="tcp://",
                dashboard_address=dashboard,
                worker_dashboard_address=None,
                scheduler_kwargs={"dashboard": self.spec.dashboard},
            )
        from distributed.deploy.subprocess import SubprocessWorker

        scheduler = {
            "cls": distributed.Scheduler,
            "options": {
                "host": _LOOPBACK,
                "port": 0,
                "dashboard": self.spec.dashboard,
                "dashboard_address": dashboard,
            },
        }
        worker_kwargs = {
            "host": _LOOPBACK,
            "nthreads": self.spec.threads_per_worker,
            "dashboard": False,
            "dashboard_address": dashboard,  # the worker's health/metrics routes, loopback only
            "death_timeout": 60,  # an orphaned worker gives up instead of waiting forever
            "silence_logs": logging.WARNING,
        }
        worker = {
            "cls": SubprocessWorker,
            "options": {"worker_class": "distributed.Worker", "worker_kwargs": worker_kwargs},
        }
        return distributed.SpecCluster(
            workers={i: worker for i in range(self.spec.n_workers)},
            scheduler=scheduler,
            worker=worker,
            silence_logs=logging.WARNING,
            name="weasul",
        )

    def _shared(self, func: Callable[..., Any]) -> Any:
        """`func` sent to each worker once (it may carry a fitted model), not once per task."""
        [shared] = self.client.scatter([func], broadcast=True, hash=False)
        return shared

    def map_list(
        self, func: Callable[[Any], Any], items: Sequence[Any], *, scatter: bool = False
    ) -> list[Any]:
        """`func(item)` for every item, locally or on the workers; the results in order. With
        `scatter`, large items (table partitions) go to the workers as data, not inside the task graph."""
        if not self.is_dask:
            return [func(item) for item in items]
        shared = self._shared(func)
        sent = self.client.scatter(list(items), hash=False) if scatter else items
        futures = [self.client.submit(_call, shared, item, pure=False) for item in sent]
        return list(self.client.gather(futures))

    def map_chunks(self, func: Callable[[Any], np.ndarray], chunks: list[Any]) -> np.ndarray:
        """`func` on each chunk (locally or on Dask workers); results stacked along rows."""
        return np.concatenate(self.map_list(func, chunks))

    def map_sum(
        self, func: Callable[[Any], Mapping[str, Any]], items: Sequence[Any], *, scatter: bool = False
    ) -> dict[str, np.ndarray]:
        """`func(item) -> {name: array}` for every item, summed elementwise. On Dask the sums are
        added up on the workers in a tree, so only one dict of statistics reaches this process;
        `scatter` as for `map_list`."""
        if not items:
            raise DataError("nothing to sum over: no partitions")
        if not self.is_dask:
            return dict(_tree([func(item) for item in items], _add_up))
        client = self.client
        shared = self._shared(func)
        sent = client.scatter(list(items), hash=False) if scatter else items
        futures = [client.submit(_call, shared, item, pure=False) for item in sent]
        total = _tree(futures, lambda *parts: client.submit(_add_up, *parts, pure=False))
        return dict(total.result())

    def persist(self, func: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """`func(item)` for every item, kept where it was made: futures held on the workers with
        Dask (pass them to `map_sum` as items), the values themselves otherwise. `release` them."""
        if not self.is_dask:
            return [func(item) for item in items]
        shared = self._shared(func)
        return [self.client.submit(_call, shared, item, pure=False) for item in items]

    def release(self, handles: Sequence[Any]) -> None:
        """Free what `persist` keeps on the workers."""
        if self.is_dask and handles:
            self.client.cancel(list(handles))

    def map_frame(self, func: Callable[[pd.DataFrame], np.ndarray], frame: pd.DataFrame) -> np.ndarray:
        return self.map_chunks(func, split_frame(frame, self.n_partitions(len(frame))))

    def close(self) -> None:
        """Disconnect; a local cluster is shut down (its worker processes end), one at `address` is left running."""
        if self._client is not None:
            if self._cluster is not None:
                try:
                    self._client.shutdown()
                except Exception:  # noqa: BLE001 - closing anyway; shutdown only makes it quiet
                    _log.debug("dask shutdown failed", exc_info=True)
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def split_frame(frame: pd.DataFrame, parts: int) -> list[pd.DataFrame]:
    """`frame` cut into `parts` consecutive row blocks of near-equal size."""
    bounds = np.linspace(0, len(frame), max(1, min(parts, len(frame))) + 1).astype(int)
    return [frame.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
