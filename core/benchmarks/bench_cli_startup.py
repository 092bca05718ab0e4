"""Wall time of `weasul --help` and `weasul plugins` (fresh processes), as JSON.

Targets on a 2-core machine: --help < 0.3 s, plugins < 0.6 s. The peer line is the bare
interpreter start (`python -c pass`), measured in the same run, so the ratio shows what
weasul itself adds.

    .venv/bin/python core/benchmarks/bench_cli_startup.py [--repeat 7]
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGETS = {"--help": 0.3, "plugins": 0.6}


def _time(cmd, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    weasul = str(Path(sys.executable).with_name("weasul"))
    bare = _time([sys.executable, "-c", "pass"], args.repeat)
    out = {"python_startup_s": round(bare, 4)}
    for command, target in TARGETS.items():
        seconds = _time([weasul, *command.split()], args.repeat)
        out[command] = {
            "seconds": round(seconds, 4),
            "target_s": target,
            "meets_target": seconds < target,
            "ratio_vs_bare_python": round(seconds / bare, 2),
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
