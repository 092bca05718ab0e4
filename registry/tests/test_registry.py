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


def test_status_cache_round_trip_is_keyed_on_installed_distributions(tmp_path):
    from weasul_registry import statuscache

    file = tmp_path / "cache" / "status.json"
    eps = {GROUP: {"good": "regtest_sc_good:Thing", "bad": "regtest_sc_bad:Thing"}}
    with fake_distribution(
        tmp_path / "a", "regtest-sc", eps, {"regtest_sc_good": GOOD, "regtest_sc_bad": BROKEN}
    ):
        key = statuscache.environment_key()
        assert statuscache.read_statuses(file, key) is None
        listed = reg.discover(GROUP)
        assert statuscache.apply_statuses(listed, None) == listed
        statuscache.write_statuses(file, key, reg.load_all(GROUP))
        assert [p.name for p in file.parent.iterdir()] == ["status.json"]  # no temporary left
        result = statuscache.read_statuses(file, key)
        assert result is not None and result.checked_at
        applied = {r.name: r for r in statuscache.apply_statuses(reg.discover(GROUP), result)}
        assert applied["good"].status == "ok" and applied["good"].obj is None
        assert applied["bad"].status == "broken" and "needs libfoo" in applied["bad"].error
        # a partial check merges into a still-valid file
        statuscache.write_statuses(file, key, [listed[0].with_status("incompatible", "refused")])
        merged = statuscache.read_statuses(file, key)
        assert merged is not None and len(merged.statuses) == 2
        with fake_distribution(tmp_path / "b", "regtest-sc-other", {GROUP: {"x": "nowhere:X"}}):
            other = statuscache.environment_key()
        assert other != key and statuscache.read_statuses(file, other) is None
    assert statuscache.environment_key() != key  # removing a distribution changes it too
    file.write_text("{not json")
    assert statuscache.read_statuses(file, key) is None


def test_listing_never_imports_pluggy():
    import subprocess
    import sys

    code = (
        "import sys, weasul_registry as r; r.discover('weasul.label_models'); print('pluggy' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    assert callable(reg.make_hook_manager)  # still reachable from the package, loaded on use
