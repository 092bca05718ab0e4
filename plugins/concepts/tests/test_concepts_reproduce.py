"""A reduced reproduction (`--quick`: 12000 rows, 2 seeds): the measured direction, asserted as
measured (README, "Results").

- Everywhere: every strategy learns both tasks far above chance, and fine-tuning on golden
  labels (two-stage) and hybrid batches raise concept mAP above pre-training on the noisy labels
  alone (paper Sec. 4.2-4.3).
- 500 golden rows: no weakly supervised strategy beats the golden-only baseline on concept mAP
  (the golden definition is learnable from 500 rows) nor, at this reduced size, on recall
  (hybrid ties it).
- 100 golden rows: every weakly supervised strategy beats the baseline on both, as in the paper.
"""

from __future__ import annotations

import pytest
from weasul.testing import shared_data

WEAK = ("noisy only", "two-stage (golden)", "two-stage (hybrid)", "hybrid (10% golden)")


@pytest.mark.slow
@pytest.mark.parametrize("annotated", [500, 100])
def test_reduced_reproduction_direction(tmp_path, annotated):
    from weasul_concepts.reproduce import main

    data = shared_data("tabular", "bank-full.csv")
    result = main(["--quick", "--annotated", str(annotated), "--data", str(data), "--out", str(tmp_path)])
    rows = result["strategies"]
    mean = {name: {k: r[k]["mean"] for k in ("recall_at_5_fpr", "concept_map")} for name, r in rows.items()}
    for name, m in mean.items():
        assert m["recall_at_5_fpr"] > 0.2 and m["concept_map"] > 0.5, name  # chance: 0.05 and ~0.1
    assert mean["two-stage (golden)"]["concept_map"] > mean["noisy only"]["concept_map"]
    assert mean["hybrid (10% golden)"]["concept_map"] > mean["noisy only"]["concept_map"]
    base = mean["baseline"]
    for name in WEAK:
        if annotated == 500:
            assert mean[name]["concept_map"] < base["concept_map"], name
            # measured: hybrid ties the baseline exactly (0.406), the others are below it
            assert mean[name]["recall_at_5_fpr"] < base["recall_at_5_fpr"] + 0.02, name
        else:
            assert mean[name]["concept_map"] > base["concept_map"], name
            assert mean[name]["recall_at_5_fpr"] > base["recall_at_5_fpr"], name
    assert (tmp_path / "pareto.png").stat().st_size > 1000 and (tmp_path / "pareto.svg").is_file()
