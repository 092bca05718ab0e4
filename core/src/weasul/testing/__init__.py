"""The conformance kit: run every contract check on your plugin with one decorator.

```python
from weasul.testing import parametrize_with_checks

@parametrize_with_checks([MyModel(), MyModel(n_classes=3)])
def test_conformance(plugin, check):
    check(plugin)
```
Test ids are `<plugin>-<check>`, so `pytest -k check_save_load` selects one check.
"""

from weasul_registry.testing import fake_distribution

from weasul.testing.checks import HEAVY_MODULES, checks_for
from weasul.testing.data import shared_data
from weasul.testing.params import installed_plugins, parametrize_with_checks, plugin_id

__all__ = [
    "HEAVY_MODULES",
    "checks_for",
    "fake_distribution",
    "installed_plugins",
    "parametrize_with_checks",
    "plugin_id",
    "shared_data",
]
