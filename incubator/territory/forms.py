"""The form of the territory's salaried jobs of a year (create and correct)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange

from ..forms import Form, LocalDecimalField, at_most, strip
from ..numbers import local_number
from ..params import parse_int

MAX_JOBS = 100_000_000


def _version(value) -> int | None:
    return value if isinstance(value, int) else parse_int(value)


class EmploymentForm(Form):
    year = IntegerField(_l("Year"), validators=[
        InputRequired(_l("Give the year of the figure, e.g. 2024.")),
        NumberRange(min=1900, max=2100, message=_l("Enter a year, e.g. 2024."))])
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
