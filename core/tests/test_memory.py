"""weasul.memory: the free-memory lookup behind the models' "needs about X GiB" refusals."""

import pytest
from weasul.errors import DataError
from weasul.memory import available_bytes, require_memory


def test_available_bytes_is_positive():
    assert available_bytes() > 0


def test_require_memory_refuses_with_the_figures_and_the_advice():
    with pytest.raises(
        DataError,
        match=r"^toy with 9 sources needs about 4194304\.0 GiB, more than the [\d.]+ GiB of free memory; use less$",
    ):
        require_memory(2**52, "toy with 9 sources", "use less")
    require_memory(1, "toy", "never said")  # one byte fits
