"""The organisation form (create and edit) and the directory's labels."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..auth.forms import EMAIL_INVALID
from ..forms import Form, strip
from ..models import HEADCOUNT_BANDS, OrganisationFamily, clean_siret
from ..params import parse_int

FAMILY_LABELS = {
    OrganisationFamily.ASSOCIATION.value: _l("Association"),
    OrganisationFamily.COOPERATIVE.value: _l("Cooperative"),
    OrganisationFamily.MUTUAL.value: _l("Mutual"),
    OrganisationFamily.FOUNDATION.value: _l("Foundation"),
    OrganisationFamily.ESUS_COMPANY.value: _l("ESUS company"),
    OrganisationFamily.OTHER.value: _l("Other"),
}

SORT_LABELS = {
    "name": _l("Name"),
    "commune": _l("Commune"),
    "headcount": _l("Headcount"),
    "member_since": _l("Year joined"),
}

# The fields written on the organisation (the form's other fields are the page's).
FIELDS = ("name", "siret", "family", "legal_category", "naf_code", "sector", "commune",
          "commune_insee", "headcount", "headcount_band", "employer", "is_member",
          "member_since", "skills", "mentoring_capacity", "website", "notes")


# Characters that show nothing (zero-width space, joiners, word joiner, BOM, soft hyphen,
# direction marks): around a text they are invisible padding, and a name made only of them
# would be an empty link in the list. Inside a text they are kept (👩‍🌾 needs its joiner).
_EDGES = re.compile(r"^[\s\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]+"
                    r"|[\s\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]+$")


def _trim(value: str | None) -> str:
    """``forms.strip``, and invisible characters around the text dropped as spaces are."""
    return _EDGES.sub("", strip(value))


def _lines(value: str | None) -> str:
    """One item per line (skills): each line trimmed, blank and invisible lines dropped."""
    return "\n".join(line for line in map(_trim, (value or "").splitlines()) if line)


def _version(value) -> int | None:
    return value if isinstance(value, int) else parse_int(value)


def _siret(form, field) -> None:
    try:
        field.data = clean_siret(field.data)
    except ValueError:
        raise ValidationError(_("Enter a SIREN (9 digits) or a SIRET (14 digits) as on "
                                "the INSEE register: this one is not valid.")) from None


def _legal_category(form, field) -> None:
    if field.data and not re.fullmatch("[0-9]{4}", field.data):
        raise ValidationError(_("Enter the 4 digits of the INSEE code, e.g. 9220."))


class OrganisationForm(Form):
    name = StringField(_l("Name"), filters=[_trim],
                       validators=[DataRequired(_l("Give the organisation's name.")),
                                   Length(max=200)])
    family = SelectField(_l("Family"), choices=[
        SelectChoice(code, label) for code, label in FAMILY_LABELS.items()])
    siret = StringField(_l("SIREN or SIRET"), filters=[_trim], validators=[Length(max=30), _siret],
                        description=_l("Optional. 9 or 14 digits, spaces allowed."))
    legal_category = StringField(_l("INSEE legal category"), filters=[_trim],
                                 validators=[Length(max=4), _legal_category],
                                 description=_l("Optional. 4 digits, e.g. 9220."))
    naf_code = StringField(_l("Main activity (NAF code)"), filters=[_trim],
                           validators=[Optional(), Length(max=6)],
                           description=_l("Optional, e.g. 88.99B."))
    sector = StringField(_l("Sector"), filters=[_trim], validators=[Length(max=100)],
                         render_kw={"list": "sector-suggestions", "autocomplete": "off"})
    commune = StringField(_l("Commune"), filters=[_trim], validators=[Length(max=100)],
                          render_kw={"list": "commune-suggestions", "autocomplete": "off"})
    commune_insee = StringField(_l("Commune INSEE code"), filters=[_trim],
                                validators=[Optional(), Length(min=5, max=5)],
                                description=_l("Optional. 5 characters, e.g. 35236."))
    headcount = IntegerField(_l("Salaried headcount"), validators=[
        Optional(), NumberRange(min=0, max=1_000_000,
                                message=_l("Enter a whole number from 0."))],
        description=_l("Optional: the exact number when known."))
    headcount_band = SelectField(_l("INSEE headcount band"), choices=[
        SelectChoice("", _l("Unknown")), *(SelectChoice(code, code) for code in HEADCOUNT_BANDS)],
        default="", description=_l("When only the band is known (Sirene code)."))
    employer = BooleanField(_l("Employer"))
    is_member = BooleanField(_l("Member of the pole"))
    member_since = IntegerField(_l("Year joined"), validators=[
        Optional(), NumberRange(min=1900, max=2100, message=_l("Enter a year, e.g. 2019."))])
    skills = TextAreaField(_l("Skills offered for mentoring"), filters=[_lines],
                           validators=[Length(max=4000)],
                           description=_l("One per line."))
    mentoring_capacity = IntegerField(_l("Mentoring capacity"), default=0, validators=[
        Optional(), NumberRange(min=0, max=100, message=_l("Enter a whole number from 0 to 100."))],
        description=_l("How many projects it can mentor at once."))
    website = StringField(_l("Website"), filters=[_trim], validators=[Length(max=300)])
    notes = TextAreaField(_l("Notes"), filters=[_trim], validators=[Length(max=8000)])
    # The version the form was rendered from (editing only): a newer one in the database
    # means someone changed the organisation since (409, input kept). Not a number (an
    # altered page) reads as None, which is stale too: the answer then carries the current
    # version, so saving again works (an error on a hidden field could not be corrected).
    version = HiddenField(filters=[_version])

    def values(self) -> dict:
        """The organisation's fields, as the service writes them."""
        values = {name: self[name].data for name in FIELDS}
        values["mentoring_capacity"] = values["mentoring_capacity"] or 0
        if not values["is_member"]:
            values["member_since"] = None
        return values


class ContactForm(Form):
    """A contact person of an organisation (staff only: personal data)."""

    contact_name = StringField(_l("Name"), filters=[_trim],
                               validators=[DataRequired(_l("Give the person's name.")),
                                           Length(max=120)])
    role = StringField(_l("Role"), filters=[_trim], validators=[Length(max=120)],
                       description=_l("Optional, e.g. president, coordinator."))
    email = EmailField(_l("E-mail"), filters=[_trim], validators=[
        Optional(), Length(max=254),
        Email(EMAIL_INVALID, check_deliverability=False)])
    phone = StringField(_l("Phone"), filters=[_trim], validators=[Length(max=40)])

    def values(self) -> dict:
        return {"name": self.contact_name.data, "role": self.role.data,
                "email": self.email.data, "phone": self.phone.data}
