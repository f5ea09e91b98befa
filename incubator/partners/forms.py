"""The partner form (create and edit), the form making an organisation a partner, and the
list's sort labels. Contact people use the directory's contact form."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from ..forms import Form
from ..labels import PARTNER_KIND_LABELS
from ..members.forms import ContactForm, _trim
from ..models import clean_siret
from ..params import parse_int

__all__ = ["ContactForm", "LinkForm", "PartnerForm"]

SORT_LABELS = {
    "name": _l("Name"),
    "kind": _l("Kind"),
    "projects": _l("Projects supported"),
    "recent": _l("Recently added"),
}

ARCHIVED_LABELS = {
    "": _l("Active partners"),
    "only": _l("Archived partners"),
    "all": _l("All partners"),
}

# How the partner's page names a referral's direction (from the partner's side; the
# project page says "Referred to / by": labels.REFERRAL_DIRECTION_LABELS).
PARTNER_REFERRAL_DIRECTION_LABELS = {
    "outgoing": _l("Handed to this partner"),
    "incoming": _l("Received from this partner"),
}

FIELDS = ("kind", "name", "siret", "website", "notes")
# A partner that is an organisation of the directory takes its name and SIRET from it.
LINKED_FIELDS = ("kind", "website", "notes")


def _kind_choices() -> list[SelectChoice]:
    return [SelectChoice(code, label) for code, label in PARTNER_KIND_LABELS.items()]


def _version(value) -> int | None:
    return value if isinstance(value, int) else parse_int(value)


def _siret(form, field) -> None:
    try:
        field.data = clean_siret(field.data)
    except ValueError:
        raise ValidationError(_("Enter a SIREN (9 digits) or a SIRET (14 digits) as on "
                                "the INSEE register: this one is not valid.")) from None


class PartnerForm(Form):
    kind = SelectField(_l("Kind"), choices=_kind_choices(), default="other")
    name = StringField(_l("Name"), filters=[_trim], validators=[Length(max=200)])
    siret = StringField(_l("SIREN or SIRET"), filters=[_trim], validators=[Length(max=30), _siret],
                        description=_l("Optional. 9 or 14 digits, spaces allowed."))
    website = StringField(_l("Website"), filters=[_trim], validators=[Length(max=300)])
    notes = TextAreaField(_l("Notes"), filters=[_trim], validators=[Length(max=8000)])
    # Creating: the user saw the warning that the directory has an organisation of that
    # name or SIRET, and says this is another body.
    distinct = BooleanField(_l("This is another body: add it as a partner anyway"))
    # The version the form was rendered from (editing only), as the directory's form.
    version = HiddenField(filters=[_version])

    def __init__(self, *args, linked: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.linked = linked  # an organisation-partner: no name nor SIRET of its own

    def validate_name(self, field) -> None:
        if not self.linked and not field.data:
            raise ValidationError(_("Give the partner's name."))

    def values(self) -> dict:
        """The partner's fields, as the service writes them."""
        return {name: self[name].data for name in (LINKED_FIELDS if self.linked else FIELDS)}


class LinkForm(Form):
    """Make an organisation of the directory a partner: its kind."""

    kind = SelectField(_l("Kind of partner"), choices=_kind_choices(), default="other")
