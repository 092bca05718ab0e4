"""The rule-to-concept mapping of distant supervision (paper Sec. 3.2, Table 1).

A YAML file names the concept taxonomy (in column order) and, for each rule, the concepts it
stands for (one rule may map to several):

    concepts: [engaged_call, prior_success, ...]
    rules:
      long_call: [engaged_call]
      many_previous_contacts: [prior_success, contact_fatigue]

An item gets the noisy label 1 for a concept when at least one rule mapped to it fired on the
item, else 0. Rules are ordinary weasul labeling functions that vote 1 when they fire and
abstain (-1) or vote 0 otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import Field, model_validator
from weasul.errors import DataError
from weasul.params import WeasulParams
from weasul.spec import load_yaml

__all__ = ["RuleConceptMapping", "FIRED"]

#: The vote of a rule that fired.
FIRED = 1


class RuleConceptMapping(WeasulParams):
    """The taxonomy (`concepts`, in column order) and rule name -> mapped concepts."""

    concepts: list[str] = Field(min_length=1, description="the concept taxonomy, in column order")
    rules: dict[str, list[str]] = Field(min_length=1, description="rule name -> the concepts it indicates")

    @model_validator(mode="after")
    def _consistent(self) -> RuleConceptMapping:
        if len(set(self.concepts)) != len(self.concepts):
            raise ValueError(f"concepts are repeated: {self.concepts}")
        known = set(self.concepts)
        for rule, mapped in self.rules.items():
            if not mapped:
                raise ValueError(f"rule '{rule}' maps to no concept")
            unknown = [c for c in mapped if c not in known]
            if unknown:
                raise ValueError(
                    f"rule '{rule}' maps to {unknown}, which are not in concepts {self.concepts}"
                )
        orphans = [c for c in self.concepts if not any(c in m for m in self.rules.values())]
        if orphans:
            raise ValueError(f"no rule maps to the concepts {orphans}")
        return self

    @classmethod
    def from_yaml(cls, path: str | Path) -> RuleConceptMapping:
        """Read and check a mapping file; DataError naming the file and the problem."""
        file = Path(path)
        if not file.is_file():
            raise DataError(f"rule-to-concept mapping '{file}' does not exist")
        raw = load_yaml(file.read_text(encoding="utf-8"), str(file))
        if not isinstance(raw, dict):
            raise DataError(f"{file}: expected a mapping with 'concepts' and 'rules'")
        try:
            return cls.model_validate(raw)
        except ValueError as err:
            raise DataError(f"{file}: {err}") from None

    def rules_of(self, concept: str) -> list[str]:
        """The rules mapped to `concept`, in the file's order."""
        return [rule for rule, mapped in self.rules.items() if concept in mapped]

    def check_rules(self, rule_names: Sequence[str]) -> None:
        """DataError unless the rules at hand are exactly the mapped ones."""
        missing = [r for r in self.rules if r not in rule_names]
        unmapped = [r for r in rule_names if r not in self.rules]
        if missing or unmapped:
            raise DataError(
                f"the mapping and the rules differ: mapped but not defined {missing}, "
                f"defined but not mapped {unmapped}"
            )

    def concept_labels(self, L: np.ndarray, rule_names: Sequence[str]) -> np.ndarray:
        """Noisy concept labels (n, k) int 0/1 from the rule matrix L (n, rules; 1 = fired)."""
        fired = np.asarray(L) == FIRED
        if fired.ndim != 2 or fired.shape[1] != len(rule_names):
            raise DataError(
                f"L has shape {fired.shape}; expected (n_items, {len(rule_names)}) for the named rules"
            )
        self.check_rules(rule_names)
        column = {name: j for j, name in enumerate(rule_names)}
        out = np.zeros((len(fired), len(self.concepts)), dtype=np.int64)
        for c, concept in enumerate(self.concepts):
            cols = [column[r] for r in self.rules_of(concept)]
            out[:, c] = fired[:, cols].any(axis=1)
        return out
