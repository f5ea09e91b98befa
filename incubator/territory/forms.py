"""The form of the territory's salaried jobs of a year (create and correct)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from ..forms import Form, LocalDecimalField, at_most, strip
from ..i18n import pole_today
from ..numbers import local_number
from ..params import parse_int

MAX_JOBS = 100_000_000


def _not_to_come(form, field) -> None:
    """The page reads the years up to this one (a later year in its URL is a 400): a figure
    typed for a year to come (2062 for 2026) would be saved where nobody can see it."""
    this_year = pole_today().year
    if isinstance(field.data, int) and field.data > this_year:
        raise ValidationError(_("Enter a year from 1900 to %(year)d: the salaried jobs of "
                                "a year to come are not published yet.", year=this_year))


def _version(value) -> int | None:
    return value if isinstance(value, int) else parse_int(value)


class EmploymentForm(Form):
    year = IntegerField(_l("Year"), validators=[
        InputRequired(_l("Give the year of the figure, e.g. 2024.")),
        NumberRange(min=1900, max=2100, message=_l("Enter a year, e.g. 2024.")), _not_to_come])
    salaried_jobs = LocalDecimalField(
        _l("Salaried jobs of the territory"), places=0,
        example=lambda: local_number(23953),
        validators=[InputRequired(_l("Give the number of salaried jobs.")),
                    NumberRange(min=1, max=MAX_JOBS,
                                message=_l("Enter a whole number of jobs from 1."))],
        description=_l("Every employer of the territory, ESS or not, e.g. 23 953."))
    source = StringField(_l("Source"), filters=[strip], validators=[
        InputRequired(_l("Say where the figure comes from, e.g. INSEE, Flores.")),
        at_most(300)], description=_l("The publication and its date, e.g. INSEE, Flores."))
    # The version the form was rendered from (correcting only): 409 when it moved since.
    version = HiddenField(filters=[_version])

    def values(self) -> dict:
        """The entry's fields, as the service writes them."""
        return {"year": self.year.data, "salaried_jobs": int(self.salaried_jobs.data),
                "source": self.source.data}
