"""`import weasul` and the CLI's listing and validating commands never import heavy libraries.

pandas and pyarrow are an extra (`weasul-core[table]`): nothing that lists, validates or
describes plugins may need them, so they count as heavy here too.
"""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "cleanlab", "pyod", "sklearn", "pandas", "pyarrow")


def _imported(code, tmp_path):
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path), "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "weasul" in names  # the import log was read
    return {n for n in names if n.split(".")[0] in HEAVY}


def _cli(*argvs):
    return (
        "from weasul.cli import main\n"
        f"for argv in {list(argvs)!r}:\n"
        "    try:\n"
        "        assert main(argv) == 0, argv\n"
        "    except SystemExit as stop:\n"
        "        assert stop.code == 0, argv\n"
    )


def test_import_weasul_and_cli_is_light(tmp_path):
    assert _imported("import weasul, weasul.cli", tmp_path) == set()


def test_listing_validating_and_schema_are_light(tmp_path):
    argvs = (["plugins", "--json"], ["plugins"], ["validate", "examples/spam.yaml"], ["schema"], ["--help"])
    assert _imported(_cli(*argvs), tmp_path) == set()


def test_listing_imports_neither_numpy_nor_pydantic(tmp_path):
    """Listing reads metadata only: no plugin, interface or numpy is imported."""
    code = _cli(["plugins"], ["--help"]) + (
        "import sys\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'pydantic', 'pluggy', 'rich')"
        " or m.startswith(('weasul.interfaces', 'weasul.builtin', 'weasul_baselines')))\n"
        "assert not loaded, loaded\n"
    )
    _imported(code, tmp_path)


def _closure(requirements):
    """Every distribution that installing `requirements` (no extras) pulls in, as installed here."""
    import importlib.metadata as md

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen, todo = set(), list(requirements)
    while todo:
        req = Requirement(todo.pop())
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            todo.extend(md.requires(req.name) or [])
        except md.PackageNotFoundError:
            pass
    return seen


def test_core_without_extras_installs_neither_pandas_nor_pyarrow():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "core/pyproject.toml").read_text())["project"]
    pulled = _closure(project["dependencies"])
    assert {"numpy", "pydantic", "pluggy", "rich"} <= pulled  # the walk followed the dependencies
    assert not pulled & {"pandas", "pyarrow"}, sorted(pulled)
    assert _closure(project["optional-dependencies"]["table"]) >= {"pandas", "pyarrow"}


#: Makes pandas and pyarrow look uninstalled for the rest of the process.
WITHOUT_PANDAS = """
import sys

class _Uninstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("pandas", "pyarrow"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Uninstalled())
"""

#: Loads a table, stores a text artifact and runs the spam demo; argv[1] is a scratch folder.
TABLE_ATTEMPTS = """
from pathlib import Path
import numpy as np
import weasul
from weasul.artifacts import write_value

scratch = Path(sys.argv[1])
attempts = (
    lambda: weasul.create("datasets", "table", files={"train": ["examples/spam.yaml"]}).load(),
    lambda: write_value(np.array(["a", "b"], dtype=object), scratch / "text"),
)
for attempt in attempts:
    try:
        attempt()
    except weasul.MissingDependencyError as err:
        print("ERROR", err)
print("RUN", main(["run", "examples/spam.yaml", "--runs-dir", str(scratch / "runs"), "--no-cache"]))
"""


def test_without_pandas_validate_works_and_loading_a_table_names_the_extra(tmp_path):
    script = WITHOUT_PANDAS + _cli(["validate", "examples/spam.yaml"], ["plugins"]) + TABLE_ATTEMPTS
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path), "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    errors = [line for line in done.stdout.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 2, done.stdout
    assert "the table loader needs 'pandas'" in errors[0]
    assert "storing a text artifact needs 'pandas'" in errors[1]
    assert all('pip install "weasul-core[table]"' in e for e in errors)
    # a run stops at the data step with the same advice, exit code 2 (a user error)
    assert "RUN 2" in done.stdout and 'pip install "weasul-core[table]"' in done.stderr


def test_without_pyarrow_storing_text_names_the_extra(tmp_path):
    script = WITHOUT_PANDAS.replace('("pandas", "pyarrow")', '("pyarrow",)') + (
        "import numpy as np, weasul\n"
        "from weasul.artifacts import write_value\n"
        "try:\n"
        "    write_value(np.array(['a'], dtype=object), __import__('pathlib').Path(sys.argv[1]) / 't')\n"
        "except weasul.MissingDependencyError as err:\n"
        "    print(err)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "storing a text artifact needs 'pyarrow'" in done.stdout
    assert 'pip install "weasul-core[table]"' in done.stdout and not list(tmp_path.iterdir())
