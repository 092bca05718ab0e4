from collections.abc import Callable

from weasul.plugin import Plugin
from weasul.testing import parametrize_with_checks

from weasul_template.template import TemplateLabelModel


@parametrize_with_checks(TemplateLabelModel.examples())
def test_conformance(plugin: Plugin, check: Callable[[Plugin], None]) -> None:
    check(plugin)
