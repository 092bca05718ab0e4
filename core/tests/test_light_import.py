"""`import weasul` and the CLI's listing commands never import heavy libraries."""

import subprocess
import sys

HEAVY = ("torch", "transformers", "cleanlab", "pyod", "sklearn")


def _imported(code):
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    return {n for n in names if n.split(".")[0] in HEAVY}


def test_import_weasul_and_cli_is_light():
    assert _imported("import weasul, weasul.cli") == set()


def test_listing_validating_and_schema_are_light():
    code = (
        "import sys\n"
        "from weasul.cli import main\n"
        "for argv in (['plugins', '--json'], ['schema'], ['--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
    )
    assert _imported(code) == set()
