"""Discovery, failure isolation, conflicts and hooks, on throwaway distributions."""

import pytest
import weasul_registry as reg
from weasul_registry.testing import fake_distribution

GROUP = "weasulregtest.things"

GOOD = "class Thing:\n    kind = 'good'\n"
BROKEN = "raise ImportError('needs libfoo, which is not installed')\n"


def test_discover_reads_metadata_without_importing(tmp_path):
    eps = {GROUP: {"alpha": "regtest_alpha:Thing"}}
    with fake_distribution(tmp_path, "regtest-alpha", eps, {"regtest_alpha": GOOD}):
        import sys

        records = reg.discover(GROUP)
        assert [(r.name, r.distribution, r.version, r.status) for r in records] == [
            ("alpha", "regtest-alpha", "0.1.0", "listed")
        ]
        assert "regtest_alpha" not in sys.modules
        loaded = reg.load(records[0])
        assert loaded.status == "ok" and loaded.obj.kind == "good"


def test_broken_plugin_is_recorded_and_others_still_load(tmp_path):
    eps_good = {GROUP: {"good": "regtest_good:Thing"}}
    eps_bad = {GROUP: {"bad": "regtest_bad:Thing"}}
    with (
        fake_distribution(tmp_path / "a", "regtest-good", eps_good, {"regtest_good": GOOD}),
        fake_distribution(tmp_path / "b", "regtest-bad", eps_bad, {"regtest_bad": BROKEN}),
    ):
        records = {r.name: r for r in reg.load_all(GROUP)}
        assert records["good"].status == "ok"
        assert records["bad"].status == "broken"
        assert "needs libfoo" in records["bad"].error
        assert records["bad"].distribution == "regtest-bad"
        with pytest.raises(
            reg.LoadError, match="regtest-bad 0.1.0 failed to load: ImportError: needs libfoo"
        ):
            reg.load_one(GROUP, "bad")


def test_missing_attribute_is_broken_not_crash(tmp_path):
    eps = {GROUP: {"typo": "regtest_typo:Thnig"}}
    with fake_distribution(tmp_path, "regtest-typo", eps, {"regtest_typo": GOOD}):
        (record,) = reg.load_all(GROUP)
        assert record.status == "broken" and "Thnig" in record.error


def test_same_name_in_two_distributions_names_both(tmp_path):
    with (
        fake_distribution(
            tmp_path / "a", "regtest-one", {GROUP: {"dup": "regtest_one:Thing"}}, {"regtest_one": GOOD}
        ),
        fake_distribution(
            tmp_path / "b", "regtest-two", {GROUP: {"dup": "regtest_two:Thing"}}, {"regtest_two": GOOD}
        ),
    ):
        records = reg.discover(GROUP)
        assert {r.status for r in records} == {"broken"}
        assert all("regtest-one and regtest-two" in r.error for r in records)
        with pytest.raises(reg.ConflictError, match="regtest-one and regtest-two"):
            reg.find(GROUP, "dup")


def test_not_found_suggests_closest(tmp_path):
    with fake_distribution(
        tmp_path, "regtest-s", {GROUP: {"dawid-skene": "regtest_s:Thing"}}, {"regtest_s": GOOD}
    ):
        with pytest.raises(reg.NotFoundError) as info:
            reg.find(GROUP, "dawid_skene")
        assert info.value.suggestion == "dawid-skene"
        assert "did you mean 'dawid-skene'" in str(info.value)


def test_check_refuses_incompatible(tmp_path):
    def check(record, obj):
        if obj.kind != "wanted":
            raise reg.IncompatibleError(f"{record.name} is {obj.kind}")

    with fake_distribution(tmp_path, "regtest-c", {GROUP: {"c": "regtest_c:Thing"}}, {"regtest_c": GOOD}):
        (record,) = reg.load_all(GROUP, check=check)
        assert record.status == "incompatible" and record.error == "c is good"


def test_lifecycle_hooks_are_called_and_checked():
    calls = []

    class Tracker:
        @reg.hookimpl
        def after_step(self, run_name, step_id, metrics, seconds, cached):
            calls.append((run_name, step_id, cached))

    manager = reg.make_hook_manager()
    manager.register(Tracker())
    manager.hook.after_step(run_name="r", step_id="lm", metrics={}, seconds=0.1, cached=True)
    assert calls == [("r", "lm", True)]

    class Wrong:
        @reg.hookimpl
        def after_step(self, run_name, not_an_argument):
            pass

    with pytest.raises(Exception, match="not_an_argument"):
        manager.register(Wrong())
