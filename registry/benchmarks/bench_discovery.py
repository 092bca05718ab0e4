"""Time listing every weasul entry point: our metadata-only discovery vs stevedore's
ExtensionManager (the peer), in the same process. Prints JSON.

stevedore answers from its on-disk cache (~/.cache/python-entrypoints) once warm, which is
fast but goes stale with editable installs; ours rescans installed metadata each time.

    .venv/bin/python registry/benchmarks/bench_discovery.py
"""

import json
import time

GROUPS = [
    "weasul.label_models",
    "weasul.query_strategies",
    "weasul.anomaly_scorers",
    "weasul.encoders",
    "weasul.slice_heads",
    "weasul.error_finders",
    "weasul.datasets",
    "weasul.labeling_functions",
    "weasul.oracles",
    "weasul.classifiers",
    "weasul.reporters",
]


def _best(fn, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main():
    import weasul_registry
    from stevedore import ExtensionManager

    def ours_fn():
        installed = weasul_registry.snapshot()
        return [
            r for g in GROUPS for r in weasul_registry.discover(g, entry_points=installed.select(group=g))
        ]

    ours, records = _best(ours_fn)
    # stevedore lists by loading every plugin (invoke_on_load=False still imports the module)
    peer, names = _best(
        lambda: [
            n for g in GROUPS for n in ExtensionManager(g, on_load_failure_callback=lambda *a: None).names()
        ]
    )
    print(
        json.dumps(
            {
                "entry_points": len(records),
                "weasul_registry_discover_s": round(ours, 5),
                "stevedore_extension_manager_s": round(peer, 5),
                "stevedore_listed": len(names),
                "ratio_peer_over_ours": round(peer / ours, 2),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
