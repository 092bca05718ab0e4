"""Wall time of `weasul --help` and `weasul plugins` (fresh processes) with 60 extra plugins, as JSON.

Sixty throwaway distributions (entry points only, spread over every group) are written to a
temporary folder put on PYTHONPATH, so nothing is installed into the environment; statuses
are cached under a temporary XDG_CACHE_HOME. Every command runs in that same environment:

- `python -c pass`: the bare interpreter start, the base the targets are measured over;
- `pip list`: the peer, a tool that lists installed distributions from metadata;
- `weasul --help`, target < 0.1 s over bare Python;
- `weasul plugins` without a valid status cache ("unchecked") and with one (after
  `weasul plugins --check`), target < 0.3 s over bare Python for both;
- `weasul plugins --check`, which imports every plugin, for information (no target).

    .venv/bin/python core/benchmarks/bench_cli_startup.py [--repeat 7] [--plugins 60]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GROUPS = (
    "label_models",
    "query_strategies",
    "anomaly_scorers",
    "encoders",
    "slice_heads",
    "error_finders",
    "datasets",
    "labeling_functions",
    "oracles",
    "classifiers",
    "reporters",
)
#: Seconds over bare Python.
TARGETS = {"--help": 0.1, "plugins (unchecked)": 0.3, "plugins (cached)": 0.3}
README = "A throwaway plugin for the start-up benchmark.\n\n" + "Long description line.\n" * 200


def _fake_plugins(root: Path, count: int) -> None:
    """`count` distributions, each with one entry point to a module that does not exist."""
    for i in range(count):
        name = f"weasul-bench-{i:03d}"
        info = root / f"weasul_bench_{i:03d}-0.1.{i}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.{i}\nSummary: bench\n\n{README}"
        )
        group = GROUPS[i % len(GROUPS)]
        (info / "entry_points.txt").write_text(
            f"[weasul.{group}]\nbench-{i:03d} = weasul_bench_{i:03d}.plugin:Plugin\n"
        )


def _time(cmd, env, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--plugins", type=int, default=60)
    args = parser.parse_args()
    weasul = str(Path(sys.executable).with_name("weasul"))
    with tempfile.TemporaryDirectory() as tmp:
        site, cache = Path(tmp) / "site", Path(tmp) / "cache"
        _fake_plugins(site, args.plugins)
        pythonpath = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": pythonpath, "XDG_CACHE_HOME": str(cache), "OMP_NUM_THREADS": "1"}
        listed = subprocess.run([weasul, "plugins", "--json"], env=env, capture_output=True, check=True)
        rows = json.loads(listed.stdout)
        assert sum(r["distribution"].startswith("weasul-bench-") for r in rows) == args.plugins
        bare = _time([sys.executable, "-c", "pass"], env, args.repeat)
        pip_list = _time(
            [sys.executable, "-m", "pip", "list", "--disable-pip-version-check"], env, args.repeat
        )
        seconds = {
            "--help": _time([weasul, "--help"], env, args.repeat),
            "plugins (unchecked)": _time([weasul, "plugins"], env, args.repeat),
            "plugins --check": _time([weasul, "plugins", "--check"], env, max(1, args.repeat // 3)),
            "plugins (cached)": _time([weasul, "plugins"], env, args.repeat),
        }
        cached = json.loads(
            subprocess.run([weasul, "plugins", "--json"], env=env, capture_output=True).stdout
        )
    out = {
        "plugins_listed": len(rows),
        "extra_plugin_distributions": args.plugins,
        "statuses_after_check": sorted({r["status"] for r in cached}),
        "python_startup_s": round(bare, 4),
        "peer_pip_list_s": round(pip_list, 4),
    }
    for command, value in seconds.items():
        over = value - bare
        out[command] = {
            "seconds": round(value, 4),
            "over_bare_python_s": round(over, 4),
            "ratio_vs_bare_python": round(value / bare, 2),
            "ratio_vs_pip_list": round(value / pip_list, 3),
        }
        if command in TARGETS:
            out[command] |= {"target_over_bare_s": TARGETS[command], "meets_target": over < TARGETS[command]}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
