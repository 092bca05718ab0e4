"""Two or more labellers on one store (issue 15, item 7) and answers keyed by content when the
items have no id (item 8): no answer is dropped while 'saved', none lands on the wrong item."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from weasul.errors import DataError
from weasul_active_weasul import LabellingStopped, LabelStore, StoreOracle, TerminalOracle

pd = pytest.importorskip("pandas")


class Scripted(StoreOracle):
    """Answers each new item with the next value of `script` (a person at a keyboard)."""

    class Params(StoreOracle.Params):
        script: list[int] = []

    def _ask(self, index, position, total):
        return self.__dict__.setdefault("_queue", list(self.params.script)).pop(0)


# -- item 7: claims and conflicts ---------------------------------------------------------------


def test_two_sessions_are_not_shown_the_same_item(tmp_path):
    path = str(tmp_path / "s.sqlite")
    ids = ["a", "b", "c"]
    first = Scripted(script=[1], path=path, ids=ids)
    second = Scripted(script=[0, 0], path=path, ids=ids)
    # the first person is looking at 'a' (claimed) when the second session reaches it
    assert first.store.claim("a", first.owner, 60)
    assert second.label(np.array([0, 1])).tolist() == [-1, 0]  # 'a' declined, asked later
    assert second.__dict__["_queue"] == [0]  # the second person was never shown 'a'
    assert first.label(np.array([0])).tolist() == [1]
    assert LabelStore(path).answers() == {"b": 0, "a": 1}


def test_a_late_conflicting_answer_is_reported_not_saved(tmp_path, monkeypatch, capsys):
    path = str(tmp_path / "s.sqlite")
    slow = TerminalOracle(path=path, ids=["a", "b"], class_names=["ham", "spam"], claim_seconds=0)
    fast = Scripted(script=[0], path=path, ids=["a", "b"], claim_seconds=0)

    class Racing(io.StringIO):
        def readline(self):  # while the slow person thinks, their claim runs out and 'fast' answers
            if not LabelStore(path).get("a") is not None:
                time.sleep(0.01)
                fast.label(np.array([0]))
            return super().readline()

    monkeypatch.setattr(sys, "stdin", Racing("spam\nq\n"))
    assert slow.label(np.array([0])).tolist() == [0]  # the stored (earlier) answer is returned
    out = capsys.readouterr().out
    assert "conflicts: another labeller answered 0 first" in out and "NOT saved" in out
    assert slow.conflicts == ["a"] and slow.saved == 0
    with pytest.raises(LabellingStopped) as info:
        slow.label(np.array([1]))
    message = str(info.value)
    assert "0 answers of this session are saved" in message and "1 answered after another labeller" in message
    assert LabelStore(path).answers() == {"a": 0}


def test_claim_runs_out_and_own_claim_extends(tmp_path):
    store = LabelStore(tmp_path / "s.sqlite")
    assert store.claim("x", "me", 0.05) and not store.claim("x", "you", 60)
    assert store.claim("x", "me", 60) and store.claimed_by("x") == "me"
    store.release("x", "me")
    assert store.claim("x", "you", 60)
    store.add("x", 1)
    assert not store.claim("x", "me", 60)  # answered items are not claimed


def test_foreign_schema_is_refused_with_the_path(tmp_path):
    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE answers (id INTEGER, value TEXT)")
    con.commit()
    con.close()
    with pytest.raises(
        DataError, match=r"other.sqlite has a 'answers' table that is not a weasul label store"
    ):
        LabelStore(path)


def test_another_programs_database_is_refused_and_left_unchanged(tmp_path):
    path = tmp_path / "app.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(DataError, match=r"app.sqlite is another program's SQLite database \(tables: users\)"):
        LabelStore(path)
    assert path.read_bytes() == before
    con = sqlite3.connect(path)
    assert [r[0] for r in con.execute("SELECT name FROM sqlite_master")] == ["users"]
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    con.close()


def test_folder_as_store_path_is_refused(tmp_path):
    with pytest.raises(DataError, match="is a folder"):
        LabelStore(tmp_path)


WORKER = textwrap.dedent(
    """
    import json, sys, zlib
    import numpy as np
    from weasul_active_weasul import StoreOracle

    path, worker, n_items, answers, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    claim = float(sys.argv[6])

    def label_of(item):
        return zlib.crc32(f"{worker}:{item}".encode()) % 5

    class Worker(StoreOracle):
        given = 0
        def _ask(self, index, position, total):
            self.given += 1
            return label_of(self.item_id(index))

    ids = [f"item-{i:04d}" for i in range(n_items)]
    oracle = Worker(path=path, ids=ids, claim_seconds=claim)
    rng = np.random.default_rng(worker)
    saved = {}
    for _ in range(100 * answers):  # a bound, so a fault fails the test instead of hanging it
        if oracle.given >= answers:
            break
        i = int(rng.integers(n_items))
        before = oracle.saved
        oracle.label(np.array([i]))
        if oracle.saved > before:
            saved[ids[i]] = label_of(ids[i])
    json.dump({"saved": saved, "conflicts": oracle.conflicts, "given": oracle.given}, open(out, "w"))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("claim_seconds", [60.0, 0.0])
def test_twenty_labellers_fifty_answers_each(tmp_path, claim_seconds):
    """20 processes x 50 answers on one store of 1500 items: every answer is stored exactly once
    or reported as a conflict (claims on: conflicts are rare; claims off: the store decides)."""
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    db = tmp_path / "labels.sqlite"
    LabelStore(db).close()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(db),
                str(w),
                "1500",
                "50",
                str(tmp_path / f"w{w}.json"),
                str(claim_seconds),
            ],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(20)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
    seconds = time.perf_counter() - started
    results = [json.loads((tmp_path / f"w{w}.json").read_text()) for w in range(20)]
    stored = LabelStore(db).answers()
    con = sqlite3.connect(db)
    total, distinct = con.execute("SELECT COUNT(*), COUNT(DISTINCT item_id) FROM answers").fetchone()
    con.close()
    saved = [item for r in results for item in r["saved"]]
    conflicts = [item for r in results for item in r["conflicts"]]
    assert [r["given"] for r in results] == [50] * 20
    assert total == distinct == len(stored) == len(saved) == len(set(saved))  # each stored once
    for r in results:
        assert all(stored[item] == label for item, label in r["saved"].items())  # what was said is there
        # every answer given is saved, reported as a conflict, or equal to the earlier answer
        assert len(r["saved"]) + len(r["conflicts"]) <= r["given"]
    assert set(conflicts) <= set(stored)
    print(
        f"\n20 x 50 (claims {claim_seconds:.0f} s): {len(saved)} stored, {len(conflicts)} conflicts reported, "
        f"{1000 - len(saved) - len(conflicts)} agreed with an earlier answer, {seconds:.1f} s"
    )


# -- item 8: content keys ---------------------------------------------------------------------


def _items(order):
    rows = [{"text": f"comment number {i}", "author": f"u{i % 3}"} for i in range(10)]
    return pd.DataFrame([rows[i] for i in order])


def test_answers_follow_the_items_after_reordering(tmp_path):
    path = str(tmp_path / "s.sqlite")
    first = Scripted(script=list(range(10)), path=path).bind(items=_items(range(10)))
    answers = first.label(np.arange(10))
    assert answers.tolist() == list(range(10))
    order = np.random.default_rng(0).permutation(10)
    again = StoreOracle(path=path).bind(items=_items(order))
    replayed = again.label(np.arange(10))
    assert replayed.tolist() == order.tolist()  # every answer on its own item: 10 of 10
    assert all(k.startswith("sha256:") for k in LabelStore(path).answers())


def test_text_only_pool_is_keyed_by_text(tmp_path):
    path = str(tmp_path / "s.sqlite")
    Scripted(script=[1, 0], path=path).bind(text=np.array(["spam!", "hello"], dtype=object)).label(
        np.array([0, 1])
    )
    again = StoreOracle(path=path).bind(text=np.array(["hello", "spam!"], dtype=object))
    assert again.known() == {0: 0, 1: 1}


def test_store_for_other_items_is_refused(tmp_path):
    path = str(tmp_path / "s.sqlite")
    Scripted(script=[1, 0], path=path).bind(items=_items(range(2))).label(np.array([0, 1]))
    other = pd.DataFrame({"text": ["a", "b"], "author": ["x", "y"]})
    with pytest.raises(DataError, match="none belongs to these items"):
        StoreOracle(path=path).bind(items=other).known()


def test_row_keyed_store_refuses_a_reordered_pool(tmp_path):
    path = str(tmp_path / "s.sqlite")
    L = np.array([[0, 1], [1, 1], [0, -1], [1, 0]])
    Scripted(script=[0, 1], path=path).bind(L=L).label(np.array([0, 1]))
    assert StoreOracle(path=path).bind(L=L).known() == {0: 0, 1: 1}
    with pytest.raises(DataError, match="keys answers by row number.*id column"):
        StoreOracle(path=path).bind(L=L[::-1]).label(np.array([0]))


def test_store_keyed_by_ids_refuses_a_pool_keyed_by_content(tmp_path):
    path = str(tmp_path / "s.sqlite")
    Scripted(script=[1], path=path, ids=["a", "b"]).label(np.array([0]))
    with pytest.raises(DataError, match="keys answers by item id but this pool is keyed by a hash"):
        StoreOracle(path=path).bind(items=_items(range(2))).known()


def test_claim_of_a_killed_session_is_taken_over(tmp_path):
    path = str(tmp_path / "s.sqlite")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    import socket

    LabelStore(path).claim("a", f"{socket.gethostname()}:{dead.stdout.strip()}:x", 600)
    assert Scripted(script=[1], path=path, ids=["a"]).label(np.array([0])).tolist() == [1]
    LabelStore(path).claim("b", "elsewhere:1:y", 600)  # another machine's session: waited for
    assert Scripted(script=[1], path=path, ids=["b"]).label(np.array([0])).tolist() == [-1]
