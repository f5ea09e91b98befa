"""The retention settings' form (/admin/retention): a duration per kind of personal data, a
whole number of months or years within the kind's bounds (``privacy.retention.KINDS``)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectChoice, SelectField
from wtforms.validators import InputRequired

from ..forms import Form
from ..params import parse_int
from ..privacy.retention import KINDS, duration_words, out_of_range

UNITS = (SelectChoice("months", _l("months")), SelectChoice("years", _l("years")))


def _version(value) -> int | None:
    """0 is the version of settings never saved (the defaults)."""
    return value if isinstance(value, int) else parse_int(value, minimum=0)


class DurationField(IntegerField):
    """A whole number of months or years, with a message that says what to type."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        text = valuelist[0].strip()
        if text == "":
            self.data = None
            return
        value = parse_int(text, minimum=0) if text.isascii() else None
        if value is None:
            self.data = None
            raise ValueError(_("Enter a whole number, like 5."))
        self.data = value


class RetentionForm(Form):
    """One duration (number and unit) per kind; the version the page showed."""

    version = HiddenField(filters=[_version])

    def months(self) -> dict[str, int]:
        """The durations typed, in months per kind code (after ``validate``)."""
        return {kind.code: self[kind.code].data * (12 if self[f"{kind.code}_unit"].data
                                                   == "years" else 1) for kind in KINDS}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for kind in KINDS:
            number, unit = self[kind.code], self[f"{kind.code}_unit"]
            if number.errors or unit.errors or number.data is None:
                continue
            months = number.data * (12 if unit.data == "years" else 1)
            if out_of_range(kind.code, months):
                number.errors = [*number.errors, _(
                    "Choose a duration between %(minimum)s and %(maximum)s.",
                    minimum=duration_words(kind.minimum), maximum=duration_words(kind.maximum))]
                valid = False
        return valid

    @classmethod
    def for_months(cls, months: dict[str, int], version: int) -> RetentionForm:
        """The form showing ``months`` (in years where they are whole years)."""
        data: dict[str, object] = {"version": version}
        for code, value in months.items():
            years = value % 12 == 0
            data[code] = value // 12 if years else value
            data[f"{code}_unit"] = "years" if years else "months"
        return cls(formdata=None, data=data)


for _kind in KINDS:
    setattr(RetentionForm, _kind.code, DurationField(
        _kind.label, validators=[InputRequired(_l("Enter a duration."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"}))
    setattr(RetentionForm, f"{_kind.code}_unit", SelectField(
        _l("Unit"), choices=UNITS, validators=[InputRequired(_l("Choose months or years."))]))
