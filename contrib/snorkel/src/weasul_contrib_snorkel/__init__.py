"""weasul adapters for Snorkel: its LabelModel (`label_models/snorkel-label-model`) and modules
of Snorkel labeling functions (`labeling_functions/snorkel`).

Importing this package does not import snorkel or torch; `fit` and loading an LF module do.
"""

from __future__ import annotations

from weasul_contrib_snorkel.label_model import SnorkelLabelModel
from weasul_contrib_snorkel.lfs import SnorkelLabelingFunctions

__all__ = ["SnorkelLabelModel", "SnorkelLabelingFunctions"]
__version__ = "0.1.0"
