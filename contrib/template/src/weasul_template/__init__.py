"""weasul-template: the `label_models/template` plugin for weasul."""

from weasul_template.template import TemplateLabelModel

__all__ = ["TemplateLabelModel"]
