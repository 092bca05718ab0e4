"""The Dask executor's local cluster (issue 15, item 11): it listens on the loopback interface
only, serves no dashboard and connects to nothing outside this machine."""

from __future__ import annotations

import ipaddress
import socket

import numpy as np
import pytest
from weasul.executor import Executor, ExecutorSpec

psutil = pytest.importorskip("psutil")
pytest.importorskip("distributed")


def test_local_cluster_binds_loopback_only_and_calls_out_nowhere(monkeypatch):
    connected: list[object] = []
    real_connect = socket.socket.connect

    def spy(self, address):
        connected.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    before = {c.laddr for c in psutil.Process().net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
    with Executor(ExecutorSpec(kind="dask", n_workers=2)) as executor:
        out = executor.map_chunks(lambda chunk: chunk * 2, [np.arange(3), np.arange(3, 5)])
        listening = [
            c.laddr
            for c in psutil.Process().net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.laddr not in before
        ]
    assert out.tolist() == [0, 2, 4, 6, 8]
    assert listening, "the cluster should listen somewhere (on loopback)"
    outside = [a for a in listening if not ipaddress.ip_address(a.ip).is_loopback]
    assert outside == [], f"listening on non-loopback addresses: {outside}"
    assert all(a.port != 8787 for a in listening), "the dashboard port is open"
    remote = [a for a in connected if isinstance(a, tuple) and not ipaddress.ip_address(a[0]).is_loopback]
    assert remote == [], f"connected outside this machine: {remote}"
