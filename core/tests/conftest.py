"""Toy plugins installed as a throwaway distribution, and a generated npy data set
(`weasul.testing.toy`)."""

import pytest
from weasul.testing.toy import toy_plugins as installed_toy_plugins
from weasul.testing.toy import toy_spec, write_npy_data


@pytest.fixture
def toy_plugins(tmp_path_factory):
    """label_models/toy-vote, label_models/flaky-vote, query_strategies/toy-first."""
    with installed_toy_plugins(tmp_path_factory.mktemp("toy")) as root:
        yield root


@pytest.fixture
def npy_data(tmp_path):
    """L/Y for train and test (5 sources, accuracy 0.8, coverage 0.6), K = 2."""
    return write_npy_data(tmp_path / "data")


@pytest.fixture(name="toy_spec")
def toy_spec_fixture():
    """The `toy_spec(data, **lm)` builder, for tests that need the toy pipeline."""
    return toy_spec
