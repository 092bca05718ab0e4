"""weasul-slicing: slice-based learning (Chen et al. 2019; Park et al., WeaSuL 2021).

Slice functions build the membership matrix S; slice heads train on features X, labels y and S.
Nothing heavy is imported here: torch loads on the first fit, matplotlib on the first chart.
"""

from __future__ import annotations

from weasul_slicing.heads import (
    PAPER_SETTINGS,
    BackboneHead,
    MixtureOfExperts,
    SliceAttention,
    SliceHeadParams,
    UpsampleHead,
    check_slices,
)
from weasul_slicing.latent import LatentSlices, make_latent_slices
from weasul_slicing.metrics import SliceMetricsReporter, slice_metrics
from weasul_slicing.sf import BASE_SLICE, SliceFunctions, slice_matrix, slice_names, slicing_function
from weasul_slicing.synthetic import SyntheticSlices, make_slice_data

__version__ = "0.1.0"

__all__ = [
    "BASE_SLICE",
    "PAPER_SETTINGS",
    "BackboneHead",
    "LatentSlices",
    "MixtureOfExperts",
    "SliceAttention",
    "SliceFunctions",
    "SliceHeadParams",
    "SliceMetricsReporter",
    "SyntheticSlices",
    "UpsampleHead",
    "check_slices",
    "make_latent_slices",
    "make_slice_data",
    "slice_matrix",
    "slice_metrics",
    "slice_names",
    "slicing_function",
]
