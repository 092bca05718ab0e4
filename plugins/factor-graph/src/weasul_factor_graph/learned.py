"""Choose the dependencies, then fit the factor graph: a structure-learning step.

`method="pseudolikelihood"` learns them without labels (Bach et al. 2017, see
`weasul_factor_graph.learning`); `method="gold-proxy"` ranks every candidate by the paper's
strength proxy v computed with gold labels of L's rows (`y_dev`) and keeps the `top_d`
strongest of each type (Sec. 5.1; an analysis tool, since it needs gold labels). As a spec
step it outputs, besides the label model's probabilities, the chosen `dependencies` table
(type, j, k, strength, weight) that a `factor-graph` step can take as its `dependencies` input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field
from weasul.data import ExpertLabels
from weasul.errors import DataError
from weasul.validation import check_label_matrix, check_labels, infer_n_classes

from weasul_factor_graph.model import DependencyType, FactorGraph, FactorGraphParams, _check_memory
from weasul_factor_graph.steps import StructureLearningStep
from weasul_factor_graph.structure import Dependency

if TYPE_CHECKING:
    from typing import Self

    import pandas as pd

__all__ = ["FactorGraphStructure", "FactorGraphStructureParams"]


class FactorGraphStructureParams(FactorGraphParams):
    """Factor-graph parameters plus how to choose the dependencies.

    `dependencies` given here are always modelled, in addition to the chosen ones.
    """

    method: Literal["pseudolikelihood", "gold-proxy"] = "pseudolikelihood"
    types: list[DependencyType] | None = Field(
        None,
        description="types to search; default similar/fixing/reinforcing (pseudolikelihood) "
        "or the five y-dependent types (gold-proxy)",
    )
    threshold: float = Field(0.05, ge=0, description="pseudolikelihood: keep |weight| > threshold")
    structure_l1: float | None = Field(
        None, ge=0, description="pseudolikelihood: L1 strength (default: threshold)"
    )
    propensity_in_structure: bool = Field(True, description="pseudolikelihood: model LF j's propensity")
    top_d: int = Field(3, ge=0, description="gold-proxy: strongest candidates kept per type")


class FactorGraphStructure(FactorGraph):
    """Learn the LF dependency structure (pseudo-likelihood or gold proxy), then fit on it.

    Learned state, besides `FactorGraph`'s: `structure_` (list of [type, j, k, strength]: the
    chosen candidates with their structure-learning weight or proxy value v).
    """

    Params: ClassVar[type[FactorGraphStructureParams]] = FactorGraphStructureParams
    params: FactorGraphStructureParams

    step = StructureLearningStep

    @classmethod
    def examples(cls) -> list[FactorGraph]:
        return [cls(), cls(n_classes=3, threshold=0.1)]

    def fit(
        self, L: np.ndarray, *, y_dev: np.ndarray | None = None, expert: ExpertLabels | None = None
    ) -> Self:
        """Choose the dependencies from `L` (and `y_dev` for gold-proxy), then fit the model.

        Raises DataError for a malformed `L`, or when method="gold-proxy" and `y_dev` is missing.
        """
        p = self.params
        L = check_label_matrix(L, n_classes=p.n_classes, allow_silent_sources=True)
        k = infer_n_classes(L, p.n_classes)
        if p.method == "pseudolikelihood":
            from weasul_factor_graph.learning import STRUCTURE_TYPES, learn_structure

            _check_memory(L.shape[0], L.shape[1], len(p.types or STRUCTURE_TYPES), k)  # one table per type

            table = learn_structure(
                L,
                types=tuple(p.types or STRUCTURE_TYPES),
                threshold=p.threshold,
                l1=p.structure_l1,
                propensity=p.propensity_in_structure,
                n_classes=k,
            )
            chosen = [
                (t, int(j), int(kk), float(w))
                for t, j, kk, w in table[["type", "j", "k", "weight"]].itertuples(index=False)
            ]
        else:
            if y_dev is None:
                raise DataError(
                    "method='gold-proxy' ranks dependencies with gold labels; pass y_dev (labels of L's rows) "
                    "or use method='pseudolikelihood'"
                )
            from weasul_factor_graph.proxy import PROXY_TYPES, dependency_strengths, top_dependencies

            y = check_labels(y_dev, n_classes=k, n_items=L.shape[0], name="y_dev")
            strengths = dependency_strengths(L, y, types=tuple(p.types or PROXY_TYPES), n_classes=k)
            top = top_dependencies(strengths, p.top_d)
            v = {
                (t, j, kk): val
                for t, j, kk, val in strengths[["type", "j", "k", "v"]].itertuples(index=False)
            }
            chosen = [(t, j, kk, float(v[(t, j, kk)])) for t, j, kk in top]
        given = {Dependency(*d).key() for d in p.dependencies}
        chosen = [c for c in chosen if Dependency(c[0], c[1], c[2]).key() not in given]
        self._fit_with(L, [*p.dependencies, *[c[:3] for c in chosen]])
        self.structure_ = [list(c) for c in chosen]
        return self

    def structure_table(self) -> pd.DataFrame:
        """The chosen dependencies: type, j, k, strength (structure weight or proxy v), weight (fitted)."""
        import pandas as pd

        self.check_fitted()
        fitted = {
            (t, int(j), int(k)): float(w)
            for (t, j, k), w in zip(self.dependencies_, self.dependency_weights_, strict=True)
        }
        rows = [
            {
                "type": t,
                "j": int(j),
                "k": int(k),
                "strength": float(s),
                "weight": fitted.get((t, int(j), int(k)), np.nan),
            }
            for t, j, k, s in self.structure_
        ]
        return pd.DataFrame(rows, columns=["type", "j", "k", "strength", "weight"])
