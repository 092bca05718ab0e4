"""Entry-point modules import without torch, transformers, PyOD or scikit-learn."""

from __future__ import annotations

import subprocess
import sys


def test_entry_points_are_light():
    code = (
        "import sys, importlib.metadata as md\n"
        "for group in ('weasul.encoders', 'weasul.anomaly_scorers'):\n"
        "    for ep in md.entry_points(group=group):\n"
        "        if ep.value.startswith(('weasul_tadpole', 'weasul_contrib_pyod')):\n"
        "            ep.load()\n"
        "import weasul_tadpole, weasul_tadpole.experiments.figure4\n"
        "heavy = [m for m in ('torch', 'transformers', 'pyod', 'sklearn', 'numba', 'dask') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
