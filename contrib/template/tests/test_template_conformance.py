from weasul.testing import parametrize_with_checks

from weasul_template import TemplateLabelModel


@parametrize_with_checks([TemplateLabelModel()])
def test_conformance(plugin, check):
    check(plugin)
