"""The toy pipeline of `weasul.testing.toy` (npy data -> toy vote -> gold oracle -> toy query
loop), with a flaky label model for failing runs."""

import pytest
from weasul.testing.toy import toy_plugins as installed_toy_plugins
from weasul.testing.toy import toy_spec as make_toy_spec
from weasul.testing.toy import write_npy_data


@pytest.fixture
def toy_plugins(tmp_path_factory):
    """label_models/toy-vote, label_models/flaky-vote, query_strategies/toy-first."""
    with installed_toy_plugins(tmp_path_factory.mktemp("toy")) as root:
        yield root


@pytest.fixture
def toy_spec(tmp_path):
    """The toy spec on generated npy data (5 sources, accuracy 0.8, K = 2), budget 6."""
    return make_toy_spec(write_npy_data(tmp_path / "data", n=300), budget=6)
