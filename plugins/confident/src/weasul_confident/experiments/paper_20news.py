"""The paper's 20 Newsgroups rows of Tables 1 and 2 from the released probabilities and votes.

    python -m weasul_confident.experiments.paper_20news

Reads `label-errors/` (cleanlab/label-errors: cross-validated pred_probs of TF-IDF + SGD, the
given test labels, Mechanical Turk votes on the flagged items), runs both recipes, checks the
`paper` recipe's flagged ids against the 93 the paper had reviewed, and categorises the votes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from weasul_confident.experiments._common import shared_path, to_json, write_run

__all__ = ["run_experiment", "main"]


def run_experiment(data: str | Path | None = None) -> dict[str, Any]:
    from weasul_confident import ConfidentLearning, noise_prevalence, validate_votes

    root = Path(data) if data is not None else shared_path("label-errors")
    P = np.load(root / "cross_validated_predicted_probabilities" / "20news_test_set_pyx.npy")
    labels = np.load(root / "original_test_labels" / "20news_test_set_original_labels.npy")
    votes = json.loads((root / "mturk" / "20news_mturk.json").read_text())
    reviewed = sorted(item["id"] for item in votes)
    paper = ConfidentLearning(recipe="paper").find(labels, P)
    default = ConfidentLearning().find(labels, P)
    columns = {k: [v["mturk"][k] for v in votes] for k in ("given", "guessed", "neither", "both")}
    counts = validate_votes(
        columns["given"], columns["guessed"], columns["neither"], columns["both"]
    ).counts()
    n = len(labels)
    unknown = counts["errors"] - counts["correctable"]
    prevalence = noise_prevalence(n, counts["correctable"], unknown)
    return {
        "n_items": n,
        "paper_flagged": len(paper),
        "paper_same_ids_as_reviewed": sorted(paper.ranked.tolist()) == reviewed,
        "cleanlab_default_flagged": len(default),
        "overlap_default_paper": len(set(paper.ranked.tolist()) & set(default.ranked.tolist())),
        "table2": counts,
        "validated_error_share": counts["errors"] / n,
        "label_error_analysis": {
            "title": "20 Newsgroups test set (paper Tables 1-2)",
            "datasets": [
                {
                    "name": "20news test",
                    "share": len(paper) / n,
                    "validated": counts["errors"] / n,
                    "prevalence": prevalence,
                }
            ],
        },
        "noise_matrix": paper.noise_matrix,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="label-errors folder (default: shared data)")
    parser.add_argument("--runs-dir", default="runs")
    args = parser.parse_args(argv)
    result = run_experiment(args.data)
    path = write_run(
        args.runs_dir,
        "confident-paper-20news",
        {"paper_20news": result},
        "weasul-confident: 20news (Tables 1-2)",
    )
    summary = {k: v for k, v in result.items() if k not in ("noise_matrix", "label_error_analysis")}
    summary["noise_prevalence"] = result["label_error_analysis"]["datasets"][0]["prevalence"]
    summary["run"] = str(path)
    json.dump(to_json(summary), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
