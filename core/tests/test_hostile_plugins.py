"""A plugin whose import hangs (issue 15, item 10): `weasul plugins --check` and `weasul schema`
mark it broken after a timeout and list the rest, instead of freezing."""

from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys
import threading
import time

import pytest
from weasul.cli import main
from weasul_registry.testing import fake_distribution

EPS = {"weasul.label_models": {"hangs": "hanging_plugin:Model"}}


@pytest.fixture
def gate():
    """An event the hanging module waits on; set at the end so its thread finishes."""
    event = threading.Event()
    builtins._weasul_hang_gate = event  # type: ignore[attr-defined]
    yield event
    event.set()
    del builtins._weasul_hang_gate  # type: ignore[attr-defined]


def test_hanging_import_is_broken_after_the_timeout(tmp_path, capsys, monkeypatch, gate):
    monkeypatch.setenv("WEASUL_IMPORT_TIMEOUT", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = "import builtins\nbuiltins._weasul_hang_gate.wait()\n"
    with fake_distribution(tmp_path / "hang", "weasul-hang", EPS, {"hanging_plugin": source}):
        started = time.perf_counter()
        assert main(["plugins", "--json", "--check", "--group", "label_models"]) == 0
        assert time.perf_counter() - started < 20
        rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
        assert rows["hangs"]["status"] == "broken"
        assert rows["hangs"]["error"] == "import timed out after 1 s"
        assert rows["majority-vote"]["status"] == "ok"


@pytest.mark.parametrize("command", [["plugins", "--check"], ["schema"]])
def test_cli_exits_despite_a_plugin_import_that_never_returns(tmp_path, command):
    root = tmp_path / "hang"
    with fake_distribution(root, "weasul-hang", EPS, {"hanging_plugin": "import time\ntime.sleep(3600)\n"}):
        env = {
            **os.environ,
            "WEASUL_IMPORT_TIMEOUT": "2",
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
        }
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", "import sys; from weasul.cli import main; sys.exit(main())", *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert time.perf_counter() - started < 100
    assert done.returncode == 0, done.stderr[-2000:]
    if command[0] == "plugins":
        assert "hangs" in done.stdout and "import timed out after 2 s" in done.stdout
    else:
        assert json.loads(done.stdout)["title"]
