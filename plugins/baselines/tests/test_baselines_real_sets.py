"""No collapse on real label matrices (issue 13): every learned model of this package (and the
factor graph, active-weasul and nashaat, when installed) scores at least majority vote - 5 points or refuses with a
DataError saying why; `auto` at least majority vote - 1 point. Snorkel's figures are in the benchmark (too slow for a test).

The sets (benchmarks/real_sets.py): WRENCH youtube, sms, trec, claude9 (macro-F1), Active
WeaSuL spam and spouse, FlyingSquid tennis, and the 13 crowd sets of shared/data/crowd.
Majority vote breaks ties to the lowest class.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import weasul
from weasul.errors import DataError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import real_sets  # noqa: E402

MODELS = (
    "weighted-vote",
    "dawid-skene",
    "triplet",
    "matrix-completion",
    "factor-graph",
    "active-weasul",
    "nashaat",
    "auto",
)
#: models of other plugins, skipped when those are not installed
PLUGIN_OF = {
    "factor-graph": "weasul_factor_graph",
    "active-weasul": "weasul_active_weasul",
    "nashaat": "weasul_active_weasul",
}


@pytest.fixture(scope="module")
def loaded():
    if real_sets.data_root() is None:
        pytest.skip("shared data folder not found (set WEASUL_SHARED_DATA or check out ../shared/data)")
    return {}


def _data(loaded, name):
    if name not in loaded:
        try:
            loaded[name] = real_sets.load(name)
        except FileNotFoundError as err:
            pytest.skip(f"{name}: {err}")
    return loaded[name]


CASES = [pytest.param(name, model, id=f"{name}-{model}") for name in real_sets.REAL_SETS for model in MODELS]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "model"), CASES)
def test_no_collapse(loaded, name, model):
    data = _data(loaded, name)
    k = data.n_classes

    def score(label):
        lm = weasul.create("label_models", label, n_classes=k).fit(data.L_fit)
        P = lm.predict_proba(data.L_test)
        assert np.isfinite(P).all()
        return real_sets.score(data.y_test, P.argmax(axis=1), k, data.metric)

    if model in PLUGIN_OF:
        pytest.importorskip(PLUGIN_OF[model], reason=f"the plugin of {model} is not installed")
    mv = score("majority-vote")
    try:
        ours = score(model)
    except DataError as err:
        assert model != "auto", f"auto refused {name}: {err}"
        assert "use" in str(err).lower()  # says what to use instead
        return
    floor = mv - (0.01 if model == "auto" else 0.05)
    assert ours >= floor - 1e-9, f"{model} {ours:.3f} on {name}; majority vote {mv:.3f}"
