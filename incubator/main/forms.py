"""Forms of the site-wide pages."""

from wtforms import HiddenField

from ..forms import Form


class LanguageForm(Form):
    """The language switch: one submit button per language, named ``locale``."""

    next = HiddenField()
