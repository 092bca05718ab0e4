"""The Dask executor (issue 17 item 4, issue 15 item 11): worker processes, started so that a
plain script needs no `__main__` guard; loopback only, no dashboard, no outside connection;
`address:` connects to a running cluster; sums are tree-reduced on the workers."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from weasul.executor import Executor, ExecutorSpec

psutil = pytest.importorskip("psutil")
pytest.importorskip("distributed")

#: Installed in every worker process (through PYTHONPATH) to record each socket connect.
SITECUSTOMIZE = """
import os, sys
_log = os.environ.get("WEASUL_TEST_CONNECTS")
if _log:
    def _record(event, args):
        if event == "socket.connect":
            with open(_log, "a") as handle:
                handle.write(repr(args[1]) + "\\n")
    sys.addaudithook(_record)
"""


def _pid_after_a_pause(_):
    time.sleep(0.3)
    return os.getpid()


def _outside(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address.ip
    return not ipaddress.ip_address(host).is_loopback


def test_local_cluster_runs_worker_processes_on_loopback_only(tmp_path, monkeypatch):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(tmp_path / "site"), os.environ.get("PYTHONPATH", "")])
    )
    monkeypatch.setenv("WEASUL_TEST_CONNECTS", str(tmp_path / "connects.txt"))
    here: list[object] = []
    real_connect = socket.socket.connect

    def spy(self, address):
        here.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    me = psutil.Process()
    before = {c.laddr for c in me.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
    with Executor(ExecutorSpec(kind="dask", n_workers=2)) as executor:
        pids = executor.map_list(_pid_after_a_pause, range(6))
        workers = me.children(recursive=True)
        listening, remote = [], []
        for proc in [me, *workers]:
            for conn in proc.net_connections(kind="inet"):
                if conn.status == psutil.CONN_LISTEN and (proc != me or conn.laddr not in before):
                    listening.append(conn.laddr)
                elif conn.raddr:
                    remote.append(conn.raddr)
    assert len(set(pids)) == 2 and os.getpid() not in pids, pids  # two worker processes
    assert {p.pid for p in workers} >= set(pids)
    assert len(listening) >= 3, "the scheduler and each worker should listen (on loopback)"
    assert [a for a in listening if _outside(a)] == [], listening
    assert all(a.port != 8787 for a in listening), "the dashboard port is open"
    assert [a for a in remote if _outside(a)] == [], remote
    assert [a for a in here if isinstance(a, tuple) and _outside(a)] == [], here
    seen = [eval(line) for line in (tmp_path / "connects.txt").read_text().splitlines()]  # noqa: S307 - our own reprs
    assert seen, "the workers' connects were recorded"
    assert [a for a in seen if isinstance(a, tuple) and _outside(a)] == [], seen
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in workers), (
        "workers outlived close()"
    )


def test_threads_run_in_this_process_on_loopback_only():
    me = psutil.Process()
    before = {c.laddr for c in me.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
    with Executor(ExecutorSpec(kind="dask", n_workers=2, processes=False)) as executor:
        assert set(executor.map_list(_pid_after_a_pause, range(2))) == {os.getpid()}
        conns = [c for c in me.net_connections(kind="inet") if c.laddr not in before]
    assert conns and not [c for c in conns if _outside(c.laddr) or (c.raddr and _outside(c.raddr))], conns
    assert all(c.laddr.port != 8787 for c in conns)


def _stats(part):
    return {"sum": part.sum(axis=0), "rows": np.array([len(part)])}


def test_address_connects_to_a_running_cluster_and_sums_on_its_workers():
    parts = [np.arange(12.0).reshape(4, 3) * i for i in range(7)]
    local = Executor().map_sum(_stats, parts)
    with Executor(ExecutorSpec(kind="dask", n_workers=1)) as owner:
        address = owner.client.scheduler.address
        assert address.startswith("tcp://127.0.0.1:")
        with Executor(ExecutorSpec(kind="dask", address=address)) as guest:
            summed = guest.map_sum(_stats, parts)
            assert guest.n_workers == 1 and guest.n_partitions(100) == 2
        # the guest's close leaves the cluster running
        assert owner.map_list(lambda x: x + 1, [1]) == [2]
    assert summed.keys() == local.keys()
    assert np.array_equal(summed["sum"], local["sum"]) and summed["rows"].tolist() == [28]
    assert np.array_equal(local["sum"], np.sum(parts, axis=0).sum(axis=0))


def _lf_project(tmp_path: Path) -> dict:
    (tmp_path / "lfs.py").write_text(
        "from weasul.lf import labeling_function\n"
        "CLASS_NAMES = ['neg', 'pos']\n"
        "@labeling_function()\n"
        "def good(row):\n    return 1 if 'good' in row.text else -1\n"
        "@labeling_function()\n"
        "def bad(row):\n    return 0 if 'bad' in row.text else -1\n"
    )
    (tmp_path / "items.csv").write_text(
        "text\n" + "\n".join(["good day", "bad day", "good and bad", "nothing"] * 25) + "\n"
    )
    return {
        "weasul": 1,
        "name": "script",
        "executor": {"kind": "dask", "n_workers": 2, "partitions": 4},
        "data": {"use": "table", "params": {"files": {"train": ["items.csv"]}, "text_column": "text"}},
        "steps": [
            {
                "id": "lfs",
                "use": "labeling_functions/python",
                "params": {"path": "lfs.py"},
                "inputs": {"items": "data.items"},
            }
        ],
    }


EXPECTED = [[1, -1], [-1, 0], [1, 0], [-1, -1]] * 25


@pytest.mark.slow
def test_a_plain_script_without_a_main_guard_runs_on_worker_processes(tmp_path):
    spec = _lf_project(tmp_path)
    (tmp_path / "run_me.py").write_text(
        "import json, os, weasul\n"
        f"result = weasul.run({spec!r}, runs_dir='runs')\n"
        "L = result.artifacts['lfs.L']['train']\n"
        "print(json.dumps({'L': L.to_numpy().tolist(), 'partitions': L.n_partitions, 'pid': os.getpid()}))\n"
    )
    done = subprocess.run(
        [sys.executable, "run_me.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["L"] == EXPECTED and out["partitions"] == 4
    assert "bootstrapping phase" not in done.stderr


@pytest.mark.slow
def test_weasul_run_on_the_command_line_uses_the_process_cluster(tmp_path):
    import yaml

    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(_lf_project(tmp_path)))
    done = subprocess.run(
        [str(Path(sys.executable).with_name("weasul")), "run", "spec.yaml", "--runs-dir", "runs"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    [folder] = (tmp_path / "runs" / "script").glob("2*/artifacts/lfs/L.train.parts")
    parts = [np.load(p) for p in sorted(folder.glob("part-*.npy"))]
    assert len(parts) == 4 and np.concatenate(parts).tolist() == EXPECTED


@pytest.mark.slow
def test_workers_end_when_the_client_is_killed(tmp_path):
    (tmp_path / "die.py").write_text(
        "import os, signal, psutil\n"
        "from weasul.executor import Executor, ExecutorSpec\n"
        "ex = Executor(ExecutorSpec(kind='dask', n_workers=2))\n"
        "assert ex.map_list(abs, [-1, -2]) == [1, 2]\n"
        "print(' '.join(str(p.pid) for p in psutil.Process().children(recursive=True)), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run(
        [sys.executable, "die.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    pids = [int(p) for p in done.stdout.split()]
    assert len(pids) == 2, done.stderr[-2000:]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(map(_alive, pids)):
        time.sleep(0.5)
    assert not any(map(_alive, pids)), "orphaned workers"


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
