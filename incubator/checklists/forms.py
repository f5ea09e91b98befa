"""Forms of the exit checklists: a criterion's names (add, rename) and a tick."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired

from ..forms import Form, at_most, strip
from ..models import CRITERION_NAME_MAX


class CriterionForm(Form):
    """A criterion's French and English names (``version``: the one the page showed, for a
    rename; absent when adding)."""

    name = StringField(_l("Name (French)"), filters=[strip],
                       validators=[InputRequired(_l("Name the criterion.")),
                                   at_most(CRITERION_NAME_MAX)],
                       render_kw={"maxlength": CRITERION_NAME_MAX})
    name_en = StringField(_l("Name (English)"), filters=[strip],
                          validators=[at_most(CRITERION_NAME_MAX)],
                          render_kw={"maxlength": CRITERION_NAME_MAX})
    version = IntegerField()


class VersionForm(Form):
    """Up, down, retire, bring back, tick: only the version the page showed."""

    version = IntegerField(validators=[InputRequired()])
