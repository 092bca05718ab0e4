"""weasul adapter for Snorkel's LabelModel (entry point `label_models/snorkel-label-model`).

Importing this package does not import snorkel or torch; `fit` does.
"""

from __future__ import annotations

from weasul_contrib_snorkel.label_model import SnorkelLabelModel

__all__ = ["SnorkelLabelModel"]
__version__ = "0.1.0"
