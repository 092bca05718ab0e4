"""`classifiers/refit`: the scikit-learn end model, refitted on reviewed labels and compared."""

from __future__ import annotations

from weasul.builtin.classifiers import SklearnClassifier

from weasul_confident.steps import RefitStep

__all__ = ["Refit"]


class Refit(SklearnClassifier):
    """The core scikit-learn end model; its step trains it on the labels before and after a
    review and scores both (`RefitStep`)."""

    step = RefitStep
