"""weasul-factor-graph: the data-programming factor graph with LF dependencies.

Implements Cachay, Boecking & Dubrawski, "Dependency Structure Misspecification in Multi-Source
Weak Supervision Models" (ICLR 2021 WeaSuL workshop):

- `FactorGraph` (entry point `label_models/factor-graph`): accuracy, propensity and the six
  dependency factors, fitted by marginal likelihood (exact or Gibbs contrastive divergence);
- `FactorGraphStructure` (`label_models/factor-graph-structure`): learns the dependencies
  (Bach et al. 2017 pseudo-likelihood, or the paper's gold-label strength proxy), then fits;
- `learn_structure`, `dependency_strengths`, `top_dependencies`, `misspecification_bounds`:
  the same as plain functions.

Importing this package is light (numpy, pydantic, weasul); scipy, networkx and pandas load on
first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from weasul_factor_graph.factors import DEPENDENCY_TYPES, SYMMETRIC_TYPES, Y_DEPENDENT_TYPES
from weasul_factor_graph.model import FactorGraph, FactorGraphParams
from weasul_factor_graph.structure import Dependency, DependencyStructure, parse_dependencies

if TYPE_CHECKING:
    from weasul_factor_graph.bounds import BoundsReport, misspecification_bounds
    from weasul_factor_graph.learned import FactorGraphStructure
    from weasul_factor_graph.learning import learn_structure
    from weasul_factor_graph.proxy import dependency_strengths, top_dependencies

__all__ = [
    "DEPENDENCY_TYPES",
    "SYMMETRIC_TYPES",
    "Y_DEPENDENT_TYPES",
    "BoundsReport",
    "Dependency",
    "DependencyStructure",
    "FactorGraph",
    "FactorGraphParams",
    "FactorGraphStructure",
    "dependency_strengths",
    "learn_structure",
    "misspecification_bounds",
    "parse_dependencies",
    "top_dependencies",
]
__version__ = "0.1.0"

_LAZY = {
    "BoundsReport": "weasul_factor_graph.bounds",
    "misspecification_bounds": "weasul_factor_graph.bounds",
    "FactorGraphStructure": "weasul_factor_graph.learned",
    "learn_structure": "weasul_factor_graph.learning",
    "dependency_strengths": "weasul_factor_graph.proxy",
    "top_dependencies": "weasul_factor_graph.proxy",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'weasul_factor_graph' has no attribute '{name}'")
