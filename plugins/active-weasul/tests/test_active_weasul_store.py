"""The label store survives SIGKILL at random points; the terminal oracle writes through it."""

import io
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import weasul
from weasul_active_weasul import LabellingStopped, LabelStore, StoreOracle, TerminalOracle

CHILD = textwrap.dedent(
    """
    import sys
    import numpy as np
    import weasul
    from weasul_active_weasul import MaxKL, StoreOracle
    from weasul_active_weasul.label_model import ActiveWeaSuL

    path, budget = sys.argv[1], int(sys.argv[2])
    data = weasul.create("datasets", "two-gaussians", n_train=300, n_test=20, seed=3).load()
    ids = [f"item-{i:04d}" for i in range(len(data.train.y))]

    class Announcing(StoreOracle):
        def label(self, indices):
            out = super().label(indices)
            for i, a in zip(indices, out):
                print("answered", ids[int(i)], int(a), flush=True)
            return out

    oracle = Announcing(path=path, ids=ids, y=data.train.y.tolist())
    model = ActiveWeaSuL(n_classes=2, class_prior=[0.5, 0.5], cliques=[[1, 2]], n_epochs=40)
    print("start", len(oracle.known()), flush=True)
    weasul.active_loop(model=model, strategy=MaxKL(seed=1), oracle=oracle, L=data.train.L, budget=budget, batch=1)
    print("done", flush=True)
    """
)


def _start(script, db, budget):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, str(script), str(db), str(budget)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)


def test_sigkill_at_random_points_loses_no_answer(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    db, budget = tmp_path / "labels.sqlite", 40
    rng = np.random.default_rng(0)
    acknowledged: dict[str, int] = {}
    kills = 0
    while kills < 20:
        proc = _start(script, db, budget)
        wanted, seen = int(rng.integers(1, 3)), 0
        for line in proc.stdout:
            parts = line.split()
            if parts[0] == "answered":
                acknowledged[parts[1]] = int(parts[2])
                seen += 1
                if seen >= wanted:
                    time.sleep(float(rng.uniform(0, 0.03)))  # land inside the next refit or commit
                    break
            if parts[0] == "done":
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        kills += 1
        stored = LabelStore(db).answers()
        assert all(stored.get(k) == v for k, v in acknowledged.items()), "an acknowledged answer was lost"
    proc = _start(script, db, budget)
    out = proc.communicate(timeout=120)[0]
    assert proc.returncode == 0 and out.strip().endswith("done")
    con = sqlite3.connect(db)
    total, distinct = con.execute("SELECT COUNT(*), COUNT(DISTINCT item_id) FROM answers").fetchone()
    con.close()
    assert total == distinct == budget
    assert con is not None and set(acknowledged) <= set(LabelStore(db).answers())
    # the interrupted run asked exactly what an uninterrupted one asks
    ref_db = tmp_path / "reference.sqlite"
    ref = _start(script, ref_db, budget)
    ref.communicate(timeout=120)
    assert list(LabelStore(ref_db).answers()) == list(LabelStore(db).answers())


def test_store_is_wal_and_keeps_first_answer(tmp_path):
    store = LabelStore(tmp_path / "s.sqlite", task="t")
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.add("a", 1) and not store.add("a", 0)
    assert store.answers() == {"a": 1} and len(store) == 1
    assert LabelStore(tmp_path / "s.sqlite", task="other").answers() == {}


def test_store_oracle_resumes_by_stable_id(tmp_path):
    y = [0, 1, 1, 0, 1]
    first = StoreOracle(path=str(tmp_path / "s.sqlite"), ids=["e", "d", "c", "b", "a"], y=y)
    assert first.label(np.array([1, 4])).tolist() == [1, 1]
    # the same items in another order: answers follow the ids, not the row numbers
    again = StoreOracle(path=str(tmp_path / "s.sqlite"), ids=["a", "b", "c", "d", "e"])
    assert again.known() == {3: 1, 0: 1}
    assert again.label(np.array([3, 2])).tolist() == [1, -1]  # no source for 'c': declined, not stored
    assert len(again.store) == 2


def test_not_a_database_is_a_data_error(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(weasul.DataError):
        LabelStore(bad)


def test_terminal_oracle_reads_answers_and_writes_through(tmp_path, monkeypatch, capsys):
    L = np.array([[1, 0, -1], [0, 0, 1], [1, 1, 1]])
    oracle = TerminalOracle(path=str(tmp_path / "t.sqlite"), class_names=["ham", "spam"])
    oracle.bind(text=np.array(["buy now", "hello", "free money"], dtype=object), L=L)
    monkeypatch.setattr(sys, "stdin", io.StringIO("maybe\nspam\ns\n0\n"))
    assert oracle.label(np.array([0, 1, 2])).tolist() == [1, -1, 0]
    shown = capsys.readouterr().out
    assert "buy now" in shown and "lf0=spam" in shown and "not a class" in shown
    assert oracle.known() == {0: 1, 1: -1, 2: 0} and len(oracle.store) == 3
    assert oracle.label(np.array([0])).tolist() == [1]  # stored: not asked again
    monkeypatch.setattr(sys, "stdin", io.StringIO("q\n"))
    with pytest.raises(LabellingStopped):
        TerminalOracle(path=str(tmp_path / "t.sqlite")).bind(
            text=np.array(["buy now", "hello", "free money", "new"], dtype=object)
        ).label(np.array([3]))


def test_terminal_shows_model_belief(tmp_path):
    data = weasul.create("datasets", "two-gaussians", n_train=300, n_test=20).load()
    model = weasul.create("label_models", "active-weasul", n_classes=2, cliques=[[1, 2]]).fit(data.train.L)
    oracle = TerminalOracle(path=str(tmp_path / "t.sqlite")).bind(L=data.train.L, model=model)
    assert "model belief: P(0)=" in oracle.describe(3)
