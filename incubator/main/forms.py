"""Forms of the site-wide pages."""

from flask_wtf import FlaskForm
from wtforms import HiddenField


class LanguageForm(FlaskForm):
    """The language switch: one submit button per language, named ``locale``."""

    next = HiddenField()
