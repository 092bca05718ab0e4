"""Active WeaSuL: active learning inside weak supervision (Biegel et al., 2021).

Entry points: label models `active-weasul`, `nashaat`; query strategies `maxkl`, `margin`,
`random-bucket`, `random`, `nashaat`; oracles `store`, `terminal`; data sets `two-gaussians`,
`spam`, `vrd`. Importing this package is light (numpy, pydantic, weasul).
"""

from __future__ import annotations

from weasul_active_weasul.diversity import DiversityCallback, bucket_entropy, diversity_curve
from weasul_active_weasul.oracles import LabellingStopped, StoreOracle, TerminalOracle
from weasul_active_weasul.store import LabelStore
from weasul_active_weasul.strategies import Margin, MaxKL, NashaatQuery, RandomBucket, RandomItems

__all__ = [
    "DiversityCallback",
    "LabelStore",
    "LabellingStopped",
    "Margin",
    "MaxKL",
    "NashaatQuery",
    "RandomBucket",
    "RandomItems",
    "StoreOracle",
    "TerminalOracle",
    "bucket_entropy",
    "diversity_curve",
]
__version__ = "0.1.0"
