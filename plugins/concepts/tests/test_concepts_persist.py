"""save/load through safetensors: the loaded model gives identical decisions and explanations."""

from __future__ import annotations

import numpy as np
import pytest
from weasul.errors import DataError
from weasul_concepts import ConceptModel


def _partial(golden: np.ndarray, rows: int) -> np.ndarray:
    out = np.full_like(golden, -1)
    out[:rows] = golden[:rows]
    return out


@pytest.mark.parametrize("strategy", ["baseline", "two-stage", "hybrid"])
def test_round_trip_gives_identical_outputs(data, tmp_path, strategy):
    model = ConceptModel(
        strategy=strategy, epochs=2, finetune_epochs=2, hidden=[16, 8], concept_names=list("abcd")
    )
    model.fit(data.X, data.y, concepts=data.noisy, golden=_partial(data.golden, 200))
    path = model.save(tmp_path / "model.safetensors")
    loaded = ConceptModel.load(path)
    assert loaded.params == model.params
    assert np.array_equal(loaded.predict_proba(data.X), model.predict_proba(data.X))
    assert np.array_equal(loaded.explain(data.X), model.explain(data.X))
    assert loaded.concept_names() == list("abcd")
    assert not path.read_bytes().startswith(b"\x80")  # not a pickle


def test_load_refuses_missing_and_foreign_files(tmp_path):
    with pytest.raises(DataError, match="no saved model"):
        ConceptModel.load(tmp_path / "absent.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file")
    with pytest.raises(DataError, match="not a readable safetensors"):
        ConceptModel.load(bad)
