"""`weasul new-plugin`: the package builds, installs, registers and passes the kit unchanged."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from weasul.cli import main
from weasul.scaffold import INTERFACES, render

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("interface", sorted(INTERFACES))
def test_generated_plugin_installs_and_passes_the_kit(interface, tmp_path):
    name = "my-" + interface.replace("_", "-")
    assert main(["new-plugin", name, "--interface", interface, "--dir", str(tmp_path)]) == 0
    package = tmp_path / name
    wheel_dir, site = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheel_dir), str(package)], check=True
    )
    (wheel,) = wheel_dir.glob("*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True)
    env = {**os.environ, "PYTHONPATH": str(site), "OMP_NUM_THREADS": "1"}
    listed = subprocess.run(
        [sys.executable, "-m", "weasul.cli", "plugins", "--json", "--group", INTERFACES[interface][1]],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert f'"name": "{name}"' in listed.stdout and '"status": "ok"' in listed.stdout
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert " passed" in tests.stdout and "failed" not in tests.stdout


def test_existing_folder_and_bad_names_are_refused(tmp_path, capsys):
    assert main(["new-plugin", "dup", "--interface", "encoder", "--dir", str(tmp_path)]) == 0
    assert main(["new-plugin", "dup", "--interface", "encoder", "--dir", str(tmp_path)]) == 2
    assert main(["new-plugin", "Bad_Name", "--interface", "encoder", "--dir", str(tmp_path)]) == 2
    assert "kebab-case" in capsys.readouterr().err


def test_contrib_template_is_the_generator_output(tmp_path):
    template = REPO / "contrib" / "template"
    files = render("template", "label_model")
    for rel, content in files.items():
        assert (template / rel).read_text() == content, (
            f"contrib/template/{rel} is out of date; regenerate it"
        )
    generated = {p.relative_to(template).as_posix() for p in template.rglob("*") if p.is_file()}
    assert generated == set(files)
