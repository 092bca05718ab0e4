"""Concept-based explainability from weak supervision (paper 09) for weasul.

Rules -> concepts by a YAML mapping (`labeling_functions/rule-concepts`), a multi-task
concept model (`classifiers/concept-model`) with the paper's baseline, two-stage and hybrid
strategies, its metrics, and the bank-marketing stand-in experiment (`datasets/bank-concepts`,
`python -m weasul_concepts.reproduce`). Imports nothing heavy: torch loads on first fit or load.
"""

from weasul_concepts.bank import BankConcepts
from weasul_concepts.mapping import RuleConceptMapping
from weasul_concepts.model import ConceptModel
from weasul_concepts.rules import ConceptRules

__all__ = ["BankConcepts", "ConceptModel", "ConceptRules", "RuleConceptMapping"]
