"""The conformance kit over every installed plugin, first-party or not."""

import pytest
from weasul.testing import installed_plugins


@pytest.mark.parametrize("plugin, check", installed_plugins())
def test_installed_plugin(plugin, check):
    check(plugin)
