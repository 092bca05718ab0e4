"""The rule-to-concept mapping and the rule pack: fired rules -> noisy multi-label concepts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from weasul.errors import DataError
from weasul.steps import StepContext, run_step
from weasul_concepts import ConceptRules, RuleConceptMapping
from weasul_concepts.rules_step import concept_summary

MAPPING = """\
concepts: [suspicious_items, suspicious_customer, suspicious_payment]
rules:
  risky_style: [suspicious_items]
  many_cards: [suspicious_customer, suspicious_payment]
  big_amount: [suspicious_payment]
"""

RULES = """\
from weasul.lf import ABSTAIN, labeling_function

@labeling_function()
def risky_style(row):
    return 1 if row.style == "risky" else ABSTAIN

@labeling_function()
def many_cards(row):
    return 1 if row.cards >= 3 else ABSTAIN

@labeling_function()
def big_amount(row):
    return 1 if row.amount > 1000 else 0
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "mapping.yaml").write_text(MAPPING)
    (tmp_path / "rules.py").write_text(RULES)
    return tmp_path / "mapping.yaml", tmp_path / "rules.py"


FRAME = pd.DataFrame(
    {"style": ["risky", "plain", "plain", "risky"], "cards": [1, 4, 1, 5], "amount": [10, 20, 5000, 3000]}
)
#: the paper's Table 1 reading: one rule may give several concepts
EXPECTED = np.array([[1, 0, 0], [0, 1, 1], [0, 0, 1], [1, 1, 1]])


def test_fired_rules_become_concept_labels(files):
    mapping = RuleConceptMapping.from_yaml(files[0])
    L = np.array([[1, -1, 0], [-1, 1, 0], [-1, -1, 1], [1, 1, 1]])
    got = mapping.concept_labels(L, ["risky_style", "many_cards", "big_amount"])
    assert np.array_equal(got, EXPECTED)
    # the column order of L is named, not assumed
    assert np.array_equal(
        mapping.concept_labels(L[:, ::-1], ["big_amount", "many_cards", "risky_style"]), EXPECTED
    )
    assert mapping.rules_of("suspicious_payment") == ["many_cards", "big_amount"]


def test_rule_pack_runs_through_the_labeling_function_step(files, tmp_path):
    pack = ConceptRules(path=str(files[1]), mapping_path=str(files[0]))
    ctx = StepContext(step_id="rules", out_dir=tmp_path, class_names=("absent", "present"))
    golden = np.array([[1, 0, 0], [0, 0, 1], [-1, -1, -1], [1, 1, 0]])  # item 2 not annotated
    out = run_step(pack, {"items": {"train": FRAME, "test": FRAME}, "golden": {"train": golden}}, ctx)
    assert np.array_equal(out.artifacts["L"]["train"], EXPECTED)
    assert "lf_summary" not in out.metrics["train"]  # 0/1 concepts are not class votes
    rows = out.metrics["train"]["concept_summary"]
    assert [r["concept"] for r in rows] == ["suspicious_items", "suspicious_customer", "suspicious_payment"]
    assert [r["rules"] for r in rows] == ["risky_style", "many_cards", "many_cards, big_amount"]
    assert [r["coverage"] for r in rows] == [0.5, 0.5, 0.75]
    # annotated items 0, 1, 3: noisy columns [1,0,1], [0,1,1], [0,1,1] against golden [1,0,1], [0,0,1], [0,1,0]
    assert [r["golden_items"] for r in rows] == [3, 3, 3]
    assert [r["agreement"] for r in rows] == [1.0, 2 / 3, 2 / 3]
    assert [r["precision"] for r in rows] == [1.0, 0.5, 0.5]
    assert [r["recall"] for r in rows] == [1.0, 1.0, 1.0]
    assert set(out.metrics["test"]["concept_summary"][0]) == {"concept", "rules", "coverage"}  # no golden


def test_concept_summary_over_partitions_equals_in_memory(tmp_path):
    from weasul.partitioned import write_partitions

    rng = np.random.default_rng(0)
    L = rng.integers(0, 2, (50, 3))
    golden = np.where(rng.random((50, 3)) < 0.3, -1, rng.integers(0, 2, (50, 3)))
    parts = write_partitions(np.asarray, [L[:20], L[20:35], L[35:]], tmp_path / "L.train")
    names = ["a", "b", "c"]
    assert concept_summary(parts, names, golden) == concept_summary(L, names, golden)
    with pytest.raises(DataError, match="golden concept labels are \\(50, 2\\)"):
        concept_summary(L, names, golden[:, :2])


def test_the_report_shows_a_concept_table_not_class_votes(files, tmp_path):
    from weasul_concepts.rules_step import ConceptRulesStep

    metrics = {
        "train": {
            "concept_summary": [
                {
                    "concept": "suspicious_items",
                    "rules": "risky_style",
                    "coverage": 0.5,
                    "golden_items": 3,
                    "agreement": 1.0,
                }
            ]
        }
    }
    (section,) = ConceptRulesStep().report("rules", metrics, tmp_path)
    assert section.title == "Concepts from rules" and "not a class vote" in section.text
    assert list(section.tables[0].columns) == ["concept", "rules", "coverage", "golden_items", "agreement"]
    assert "conflicts" not in " ".join(section.tables[0].columns)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MAPPING.replace("[suspicious_items]", "[suspicious_shoes]"), "not in concepts"),
        (MAPPING.replace("  risky_style: [suspicious_items]\n", ""), "no rule maps to the concepts"),
        (MAPPING.replace("[suspicious_payment]\n", "[]\n"), "maps to no concept"),
        (MAPPING + "  big_amount: [suspicious_items]\n", "duplicate"),
        ("- a\n- b\n", "expected a mapping"),
    ],
)
def test_bad_mappings_are_data_errors(tmp_path, text, message):
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(Exception, match=message) as info:
        RuleConceptMapping.from_yaml(path)
    assert isinstance(info.value, (DataError, ValueError))


def test_rules_and_mapping_must_agree(files, tmp_path):
    (tmp_path / "fewer.py").write_text(RULES.split("@labeling_function()\ndef big_amount")[0])
    pack = ConceptRules(path=str(tmp_path / "fewer.py"), mapping_path=str(files[0]))
    with pytest.raises(DataError, match=r"mapped but not defined \['big_amount'\]"):
        pack.functions()
    with pytest.raises(DataError, match="does not exist"):
        RuleConceptMapping.from_yaml(tmp_path / "absent.yaml")
    mapping = RuleConceptMapping.from_yaml(files[0])
    with pytest.raises(DataError, match="shape"):
        mapping.concept_labels(np.ones((3, 2)), ["risky_style", "many_cards", "big_amount"])
