"""The bank stand-in: 16 rules, 7 concepts, golden labels that differ from the rules'."""

from __future__ import annotations

import numpy as np
import pandas as pd
from weasul.lf import load_functions
from weasul.testing import shared_data
from weasul_concepts import BankConcepts, RuleConceptMapping
from weasul_concepts.bank import MAPPING_PATH, RULES_MODULE, golden_concepts, noisy_concepts


def _sample(rows: int = 3000) -> pd.DataFrame:
    frame = pd.read_csv(shared_data("tabular", "bank-full.csv"))
    return frame.sample(rows, random_state=0).reset_index(drop=True)


def test_mapping_covers_every_rule():
    mapping = RuleConceptMapping.from_yaml(MAPPING_PATH)
    rules, _ = load_functions(module=RULES_MODULE)
    mapping.check_rules([r.name for r in rules])
    assert len(rules) == 16 and len(mapping.concepts) == 7


def test_golden_labels_are_not_the_rules():
    frame = _sample()
    noisy, golden = noisy_concepts(frame), golden_concepts(frame)
    assert noisy.shape == golden.shape == (len(frame), 7)
    for c in range(7):  # every concept disagrees somewhere, and agrees more often than not
        disagree = (noisy[:, c] != golden[:, c]).mean()
        assert 0 < disagree < 0.5, c
        assert golden[:, c].any()
    # the stricter definition: fewer golden positives than noisy ones for all but life_stage
    assert (golden.sum(axis=0) < noisy.sum(axis=0)).sum() == 6


def test_loader_marks_only_the_annotated_train_rows(tmp_path):
    path = shared_data("tabular", "bank-full.csv")
    data = BankConcepts(path=str(path), rows=2000, annotated=100).load()
    train, test = data["train"], data["test"]
    assert train.L is not None and test.L is not None and train.X is not None
    assert ((train.L >= 0).all(axis=1)).sum() == 100 and ((train.L == -1).all(axis=1)).sum() == len(
        train.L
    ) - 100
    assert (test.L >= 0).all()
    assert train.X.shape[1] == test.X.shape[1] and np.isfinite(train.X).all()
    assert "y" not in train.items.columns and data.class_names == ("no", "yes")
