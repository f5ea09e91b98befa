"""Forms of the cohorts: a cohort (French name, English name, first and last day,
description)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..forms import Form, at_most, strip
from ..models.cohorts import NAME_MAX

_DATE_HINT = _l("Enter a date, for example 2027-03-31.")


class CohortForm(Form):
    """Create or edit a cohort (``version``: the one the page showed)."""

    name = StringField(_l("Name (French)"), filters=[strip],
                       validators=[InputRequired(_l("Give the cohort a name.")),
                                   at_most(NAME_MAX)],
                       render_kw={"maxlength": NAME_MAX, "autocomplete": "off"})
    name_en = StringField(_l("Name (English, optional)"), filters=[strip],
                          validators=[at_most(NAME_MAX)],
                          render_kw={"maxlength": NAME_MAX, "autocomplete": "off"})
    starts_on = DateField(_l("First day"),
                          validators=[InputRequired(_l("Choose the cohort's first day."))],
                          invalid_value_message=_DATE_HINT)
    ends_on = DateField(_l("Last day"),
                        validators=[InputRequired(_l("Choose the cohort's last day."))],
                        invalid_value_message=_DATE_HINT)
    description = TextAreaField(_l("Description"), filters=[strip],
                                validators=[at_most(5000)],
                                render_kw={"maxlength": 5000, "rows": 3})
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def validate_ends_on(self, field) -> None:
        if field.data is not None and self.starts_on.data is not None \
                and field.data <= self.starts_on.data:
            raise ValidationError(_("The cohort must end after it starts."))

    def values(self) -> dict:
        return {"name": self.name.data, "name_en": self.name_en.data or "",
                "starts_on": self.starts_on.data, "ends_on": self.ends_on.data,
                "description": self.description.data or ""}
