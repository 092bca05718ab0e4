"""A reduced reproduction (12000 rows, 2 seeds): the measured direction, asserted as measured.

What holds here (README, "Results"): every strategy learns both tasks far above chance;
fine-tuning on golden labels (two-stage) and hybrid batches raise concept mAP above
pre-training on the noisy labels alone (paper Sec. 4.2-4.3); but on this stand-in none of the
weakly supervised strategies beats the golden-only baseline on concept mAP, since the golden
definition is learnable from the 500 annotated rows.
"""

from __future__ import annotations

import pytest
from weasul.testing import shared_data


@pytest.mark.slow
def test_reduced_reproduction_direction(tmp_path):
    from weasul_concepts.reproduce import main

    data = shared_data("tabular", "bank-full.csv")
    result = main(["--quick", "--data", str(data), "--out", str(tmp_path)])
    rows = result["strategies"]
    mean = {name: {k: r[k]["mean"] for k in ("recall_at_5_fpr", "concept_map")} for name, r in rows.items()}
    for name, m in mean.items():
        assert m["recall_at_5_fpr"] > 0.2 and m["concept_map"] > 0.5, name  # chance: 0.05 and ~0.1
    assert mean["two-stage (golden)"]["concept_map"] > mean["noisy only"]["concept_map"]
    assert mean["hybrid (10% golden)"]["concept_map"] > mean["noisy only"]["concept_map"]
    for name in ("noisy only", "two-stage (golden)", "two-stage (hybrid)", "hybrid (10% golden)"):
        assert mean[name]["concept_map"] < mean["baseline"]["concept_map"], name
    assert (tmp_path / "pareto.png").stat().st_size > 1000 and (tmp_path / "pareto.svg").is_file()
