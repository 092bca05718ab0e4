"""One training row is refused with a DataError (found by the slow profile of
tests/test_hostile_inputs.py: `cigmo-gvae` on X = [[0.]] raised torch's batch-norm ValueError)."""

import numpy as np
import pytest
from weasul.errors import DataError
from weasul_cigmo.encoders import CigmoGVAE, MixtureVAE

pytest.importorskip("torch")


@pytest.mark.parametrize("cls", [CigmoGVAE, MixtureVAE])
def test_one_row_is_refused_two_train(cls):
    with pytest.raises(
        DataError, match=r"X has 1 row; training \(batch normalisation\) needs at least 2 items"
    ):
        cls(epochs=1).fit(np.array([[0.0]]))
    assert cls(epochs=1).fit(np.array([[0.0], [1.0]])).encode(np.array([[0.5]])).shape[0] == 1
