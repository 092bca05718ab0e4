"""Text `state.probs` is refused with a DataError (found by the slow profile of
tests/test_hostile_inputs.py: numpy's "could not convert string to float" escaped select)."""

import numpy as np
import pytest
import weasul
from weasul.data import QueryState
from weasul.errors import DataError


def test_text_probs_are_refused_by_dtype():
    state = QueryState(L=np.array([[0], [0]]), probs=np.array([["", ""], ["", ""]], dtype="<U3"), labelled={})
    with pytest.raises(DataError, match=r"state.probs has dtype <U3; pass class probabilities"):
        weasul.create("query_strategies", "nashaat").select(state, 1)
