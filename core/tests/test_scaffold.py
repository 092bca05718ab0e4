"""`weasul new-plugin`: the package builds, installs, registers and passes the kit unchanged."""

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomllib
from weasul.cli import main
from weasul.errors import SpecError
from weasul.scaffold import BASELINE_LABEL_MODEL, INTERFACES, add_plugin, interface_key, render

REPO = Path(__file__).resolve().parents[2]
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]


def _install(package: Path, tmp_path: Path) -> dict[str, str]:
    """Build a wheel of `package`, install it into tmp_path/site; the env that sees it."""
    wheel_dir, site = tmp_path / "wheels", tmp_path / "site"
    subprocess.run(
        [*PIP, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheel_dir), str(package)], check=True
    )
    (wheel,) = wheel_dir.glob("*.whl")
    subprocess.run([*PIP, "install", "--no-deps", "--target", str(site), str(wheel)], check=True)
    return {**os.environ, "PYTHONPATH": str(site), "OMP_NUM_THREADS": "1", "XDG_CACHE_HOME": str(tmp_path)}


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd)


def _listed(env: dict[str, str], group: str, dist: str, cwd: Path) -> list[str]:
    """Names of the plugins of distribution `dist` in `group` that load (`weasul plugins --check`)."""
    done = _run(
        [sys.executable, "-m", "weasul.cli", "plugins", "--check", "--json", "--group", group], env, cwd
    )
    assert done.returncode == 0, done.stderr
    rows = [row for row in json.loads(done.stdout) if row["distribution"] == dist]
    assert all(row["status"] == "ok" for row in rows), rows
    return sorted(row["name"] for row in rows)


def _n_checks(package: Path, module: str, cls: str) -> int:
    """How many kit cases the examples of the generated class give (run in a child process)."""
    code = (
        f"from {module} import {cls}; from weasul.testing import checks_for; "
        f"print(sum(len(checks_for(p)) for p in {cls}.examples()))"
    )
    env = {**os.environ, "PYTHONPATH": str(package / "src")}
    return int(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        ).stdout
    )


@pytest.mark.parametrize("interface", sorted(INTERFACES))
def test_generated_plugin_installs_and_passes_the_kit(interface, tmp_path):
    name = "my-" + interface.replace("_", "-")
    assert main(["new-plugin", name, "--interface", interface, "--dir", str(tmp_path)]) == 0
    package = tmp_path / name
    env = _install(package, tmp_path)
    group = INTERFACES[interface][1]
    assert _listed(env, group, f"weasul-{name}", tmp_path) == [name]
    tests = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests")],
        env,
        tmp_path,
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    stem = name.replace("-", "_")
    cls = "".join(p.capitalize() for p in name.split("-")) + INTERFACES[interface][0]
    expected = _n_checks(package, f"weasul_{stem}.{stem}", cls)
    assert f"{expected} passed" in tests.stdout and "failed" not in tests.stdout, tests.stdout[-500:]
    spec = package / "examples" / f"{stem}.yaml"
    if interface == "slice_head":
        assert not spec.exists()  # slice membership needs slice functions; no spec to run
        return
    assert _run([sys.executable, "examples/make_data.py"], env, package).returncode == 0
    ran = _run(
        [sys.executable, "-m", "weasul.cli", "run", str(spec), "--runs-dir", str(tmp_path / "runs")],
        env,
        package,
    )
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    (run_dir,) = (tmp_path / "runs").glob(f"{name}-example/2*")
    step_id = "loop" if interface == "query_strategy" else stem
    assert sorted(p.name.split(".")[0] for p in (run_dir / "artifacts" / step_id).iterdir()), run_dir


@pytest.mark.parametrize(
    "spelling, key",
    [
        ("label_model", "label_model"),
        ("LabelModel", "label_model"),
        ("label_models", "label_model"),
        ("label-model", "label_model"),
        ("label-models", "label_model"),
        ("weasul.label_models", "label_model"),
        ("QueryStrategy", "query_strategy"),
        ("query-strategies", "query_strategy"),
        ("Encoders", "encoder"),
        ("error_finders", "error_finder"),
        ("AnomalyScorer", "anomaly_scorer"),
        ("slice-heads", "slice_head"),
    ],
)
def test_interface_accepts_class_group_singular_plural_and_dashes(spelling, key, tmp_path):
    assert interface_key(spelling) == key
    assert main(["new-plugin", "spelt", "--interface", spelling, "--dir", str(tmp_path)]) == 0
    pyproject = tomllib.loads((tmp_path / "spelt" / "pyproject.toml").read_text())
    assert list(pyproject["project"]["entry-points"]) == [f"weasul.{INTERFACES[key][1]}"]


def test_unknown_interface_lists_the_choices(tmp_path, capsys):
    assert main(["new-plugin", "x", "--interface", "label-modle", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown interface 'label-modle'" in err
    for abc, group in INTERFACES.values():
        assert abc in err and group in err
    assert not (tmp_path / "x").exists()


def test_existing_folder_and_bad_names_are_refused(tmp_path, capsys):
    assert main(["new-plugin", "dup", "--interface", "encoder", "--dir", str(tmp_path)]) == 0
    assert main(["new-plugin", "dup", "--interface", "encoder", "--dir", str(tmp_path)]) == 2
    assert "--into" in capsys.readouterr().err
    assert main(["new-plugin", "Bad_Name", "--interface", "encoder", "--dir", str(tmp_path)]) == 2
    assert "kebab-case" in capsys.readouterr().err


def test_a_second_plugin_joins_an_existing_package(tmp_path, capsys):
    """--into adds a module, test, benchmark and entry point; nothing there is overwritten; the
    package then installs with both plugins registered and both conformance tests passing."""
    assert main(["new-plugin", "first-vote", "--interface", "label_model", "--dir", str(tmp_path)]) == 0
    package = tmp_path / "first-vote"
    before = {p: p.read_bytes() for p in package.rglob("*") if p.is_file()}
    assert main(["new-plugin", "second-pick", "--interface", "QueryStrategy", "--into", str(package)]) == 0
    changed = {p for p, data in before.items() if p.read_bytes() != data}
    assert changed == {package / "pyproject.toml", package / "README.md"}
    assert (package / "README.md").read_bytes().startswith(before[package / "README.md"])
    assert "query_strategies/second-pick" in (package / "README.md").read_text()
    toml = tomllib.loads((package / "pyproject.toml").read_text())
    assert toml["project"]["entry-points"] == {
        "weasul.label_models": {"first-vote": "weasul_first_vote.first_vote:FirstVoteLabelModel"},
        "weasul.query_strategies": {"second-pick": "weasul_first_vote.second_pick:SecondPickQueryStrategy"},
    }
    # a third, in a group the package already has, goes into that table
    add_plugin("third-vote", "label-models", package)
    toml = tomllib.loads((package / "pyproject.toml").read_text())
    assert set(toml["project"]["entry-points"]["weasul.label_models"]) == {"first-vote", "third-vote"}
    for again in ("second-pick", "third-vote"):
        with pytest.raises(SpecError, match="already has"):
            add_plugin(again, "encoder", package)
    with pytest.raises(SpecError, match="no pyproject.toml"):
        add_plugin("elsewhere", "encoder", tmp_path)

    env = _install(package, tmp_path)
    assert _listed(env, "label_models", "weasul-first-vote", tmp_path) == ["first-vote", "third-vote"]
    assert _listed(env, "query_strategies", "weasul-first-vote", tmp_path) == ["second-pick"]
    tests = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests")],
        env,
        tmp_path,
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    expected = sum(
        _n_checks(package, f"weasul_first_vote.{stem}", cls)
        for stem, cls in [
            ("first_vote", "FirstVoteLabelModel"),
            ("second_pick", "SecondPickQueryStrategy"),
            ("third_vote", "ThirdVoteLabelModel"),
        ]
    )
    assert f"{expected} passed" in tests.stdout


def test_the_generated_readme_installs_pytest_and_the_tests_use_examples():
    files = render("my-vote", "LabelModel")
    assert 'pip install -e ".[test]"' in files["README.md"]
    assert tomllib.loads(files["pyproject.toml"])["project"]["optional-dependencies"]["test"] == ["pytest>=7"]
    test = files["tests/test_my_vote_conformance.py"]
    assert "@parametrize_with_checks(MyVoteLabelModel.examples())" in test


def _private_names(source: str) -> list[str]:
    """Imported or attribute names with a leading underscore (dunders aside)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.ImportFrom):
            names = [node.module or "", *(a.name for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        for name in names:
            for part in name.split("."):
                if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
                    found.append(name)
    return found


@pytest.mark.parametrize("interface", sorted(INTERFACES))
def test_the_generated_benchmark_calls_public_names_only_and_prints_json(interface, tmp_path):
    files = render("my-plugin", interface)
    bench = files["benchmarks/bench_my_plugin.py"]
    assert _private_names(bench) == []
    assert _private_names("from weasul.testing import checks\nchecks._exercise(p)") == ["_exercise"]
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src"), "OMP_NUM_THREADS": "1"}
    done = _run([sys.executable, str(tmp_path / "benchmarks" / "bench_my_plugin.py")], env, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["plugin"] == "my-plugin" and result["seconds"] > 0


def test_generated_code_passes_mypy_strict(tmp_path):
    """Every interface's module, test, benchmark and data script, checked in one mypy run."""
    for interface in INTERFACES:
        for rel, text in render("my-" + interface.replace("_", "-"), interface).items():
            path = tmp_path / interface / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    targets = [str(p) for p in tmp_path.glob("*/*") if p.name in ("src", "tests", "benchmarks", "examples")]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--explicit-package-bases", *targets],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": os.pathsep.join(str(tmp_path / i / "src") for i in INTERFACES)},
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "Success" in done.stdout
    assert time.perf_counter() - start < 120


def test_example_specs_use_the_baseline_label_model():
    for interface in ("label_model", "query_strategy", "error_finder"):
        spec = render("my-plugin", interface)["examples/my_plugin.yaml"]
        assert f"use: {BASELINE_LABEL_MODEL}" in spec
    assert "examples/my_plugin.yaml" not in render("my-plugin", "slice_head")


def test_contrib_template_is_the_generator_output(tmp_path):
    template = REPO / "contrib" / "template"
    files = render("template", "label_model")
    for rel, content in files.items():
        assert (template / rel).read_text() == content, (
            f"contrib/template/{rel} is out of date; regenerate it"
        )
    generated = {
        p.relative_to(template).as_posix()
        for p in template.rglob("*")
        if p.is_file() and ".egg-info" not in p.as_posix() and "__pycache__" not in p.as_posix()
    }
    assert generated == set(files)
