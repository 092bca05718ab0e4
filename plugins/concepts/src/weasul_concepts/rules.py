"""Expert rules turned into noisy concept labels, as a labeling-function pack a spec can name.

`labeling_functions/rule-concepts` loads the rules (ordinary `@labeling_function`s from a file or
module) and the rule-to-concept mapping (YAML, `weasul_concepts.mapping`), and offers one
labeling function per concept: it votes 1 (present) when a rule mapped to the concept fires on
the item, else 0 (absent). Its step (`weasul_concepts.rules_step`) applies them as the default
labeling-function step does, so its `L` is the (n, k) noisy concept label matrix the concept
model trains on, and reports a concept table instead of class-vote statistics.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field, model_validator
from weasul.interfaces import LabelingFunctionPack
from weasul.lf import LabelingFunction, Row, load_functions
from weasul.params import WeasulParams

from weasul_concepts.mapping import FIRED, RuleConceptMapping
from weasul_concepts.rules_step import ConceptRulesStep

__all__ = ["ConceptRules", "concept_function"]


def concept_function(concept: str, rules: Sequence[LabelingFunction]) -> LabelingFunction:
    """A labeling function voting 1 when any of `rules` fires on the row, else 0."""

    def present(row: Row) -> int:
        return int(any(rule(row) == FIRED for rule in rules))

    return LabelingFunction(concept, present)


class ConceptRules(LabelingFunctionPack):
    """Rules (`path` or `module` of `@labeling_function`s, 1 = fired) mapped to concepts by the
    YAML file `mapping_path`; one labeling function per concept, in the taxonomy's order."""

    class Params(WeasulParams):
        path: str | None = Field(None, description="a .py file defining the rules (trusted code)")
        module: str | None = Field(None, description="or an importable module defining them")
        mapping_path: str = Field(description="YAML: concepts (the taxonomy) and rules (rule -> concepts)")

        @model_validator(mode="after")
        def _one_source(self) -> ConceptRules.Params:
            if (self.path is None) == (self.module is None):
                raise ValueError("give exactly one of 'path' or 'module'")
            return self

    params: Params
    step = ConceptRulesStep  # the outputs are concept indicators: a concept table, not class votes

    @classmethod
    def examples(cls) -> list[LabelingFunctionPack]:
        return []

    def mapping(self) -> RuleConceptMapping:
        """The checked rule-to-concept mapping."""
        return RuleConceptMapping.from_yaml(self.params.mapping_path)

    def rules(self) -> list[LabelingFunction]:
        """The mapped rules, in the mapping file's order (DataError if one is not defined)."""
        mapping = self.mapping()
        found, _ = load_functions(path=self.params.path, module=self.params.module)
        mapping.check_rules([lf.name for lf in found])
        by_name = {lf.name: lf for lf in found}
        return [by_name[name] for name in mapping.rules]

    def functions(self) -> Sequence[LabelingFunction]:
        mapping = self.mapping()
        by_name = {lf.name: lf for lf in self.rules()}
        return [concept_function(c, [by_name[r] for r in mapping.rules_of(c)]) for c in mapping.concepts]

    @property
    def class_names(self) -> Sequence[str]:
        return ["absent", "present"]
