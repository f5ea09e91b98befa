"""Forms of the administration: users (invitations, roles) and the pole's identity."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

import pytz
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
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
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from ..auth.forms import email_field, normalise_email
from ..forms import Form, optional_int, strip
from ..labels import ROLE_LABELS
from ..models import Role
from ..models.pole import (
    ADDRESS_MAX,
    EMAIL_MAX,
    NAME_MAX,
    SHORT_NAME_MAX,
    TERRITORY_MAX,
)
from ..params import parse_int


def role_choices(include_holder: bool = True):
    roles = [Role.ADVISOR, Role.MANAGER, Role.MENTOR] + ([Role.HOLDER] if include_holder else [])
    return [SelectChoice(role.value, ROLE_LABELS[role.value]) for role in roles]


class InviteForm(Form):
    name = StringField(_l("Name"), filters=[strip],
                       validators=[DataRequired(_l("Enter the person's name.")), Length(max=120)])
    email = email_field()
    role = SelectField(_l("Role"), choices=role_choices(include_holder=False),
                       default=Role.ADVISOR.value)


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=role_choices())


class ActiveForm(Form):
    """Deactivate (``active=0``) or reactivate (``active=1``) an account.

    The form states the result its button promised, never "the opposite of now": a stale tab
    or a second manager pressing "Deactivate" again cannot turn the account back on.
    """

    active = HiddenField(validators=[InputRequired(), AnyOf(["0", "1"])])


class ActionForm(Form):
    """A button with nothing but CSRF (send the invitation again, clear a login delay)."""


# The pole (/admin/pole) ----------------------------------------------------------------

def _version(value) -> int | None:
    """0 is the version of settings never saved (the configuration's)."""
    return value if isinstance(value, int) else parse_int(value, minimum=0)


@cache
def time_zone_choices() -> tuple[str, ...]:
    """The IANA zones a pole may pick: those Python's zoneinfo knows (``Europe/Paris``…)
    that Flask-Babel's pytz knows too (it reads the zone for every date), without the
    placeholders ``Factory`` and ``localtime``."""
    known = available_timezones() & pytz.all_timezones_set
    return tuple(sorted(known - {"Factory", "localtime"}))


class PoleForm(Form):
    """The pole's identity. The logo is optional (the current one stays unless a new one
    is sent or "remove" is ticked); the version is the one the page showed (0: nothing
    saved yet, the configuration's values)."""

    name = StringField(_l("Name of the pole"), filters=[strip], validators=[
        InputRequired(_l("Enter the pole's name.")), Length(max=NAME_MAX)])
    short_name = StringField(
        _l("Short name"), filters=[strip],
        validators=[InputRequired(_l("Enter a short name (shown in the header).")),
                    Length(max=SHORT_NAME_MAX)],
        description=_l("Shown in the header and the browser tab, e.g. CADES."))
    territory = StringField(_l("Territory"), filters=[strip],
                            validators=[Length(max=TERRITORY_MAX)])
    contact_email = EmailField(
        _l("Contact e-mail address"), filters=[normalise_email],
        validators=[Optional(), Length(max=EMAIL_MAX),
                    Email(_l("Enter a valid e-mail address, like contact@example.org."),
                          check_deliverability=False)],
        description=_l("At the foot of every e-mail and on the privacy notice."),
        render_kw={"autocomplete": "email"})
    postal_address = TextAreaField(
        _l("Postal address"), filters=[strip], validators=[Length(max=ADDRESS_MAX)],
        description=_l("One line per line of the address; at the foot of every e-mail and on "
                       "the privacy notice."))
    time_zone = SelectField(
        _l("Time zone"), validators=[InputRequired(_l("Choose the pole's time zone."))],
        description=_l("Dates, times and “today” are read in this zone."))
    logo = FileField(_l("Logo"))
    remove_logo = BooleanField(_l("Remove the current logo"))
    version = HiddenField(filters=[_version])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone.choices = [SelectChoice(zone, zone) for zone in time_zone_choices()]

    def values(self) -> dict:
        """The text settings, as the service writes them."""
        return {name: self[name].data for name in
                ("name", "short_name", "territory", "contact_email", "postal_address",
                 "time_zone")}
class InvitationForm(Form):
    """Send again or revoke a pending invitation, from the link the page showed (``link``:
    the id of its latest link, 0 for none; a newer one means the page is stale)."""

    link = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class RetryForm(Form):
    """"Retry now" for a mail or job of the outbox page, from the attempts the page showed
    (a different count means a worker or another manager got there first)."""

    attempts = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class HandOverForm(Form):
    """A departing advisor's work handed to another one: first a preview (counts), then the
    confirmation, which carries the preview's ``fingerprint`` and ``confirm=1``.

    The lists are filled by the route; a forged or stale id is checked there with a message
    saying what is wrong with the person chosen (deactivated, not staff…)."""

    from_id = SelectField(_l("Departing advisor"), coerce=optional_int, validate_choice=False,
                          validators=[InputRequired(_l("Choose whose work is handed over."))])
    to_id = SelectField(_l("Receiving advisor"), coerce=optional_int, validate_choice=False,
                        validators=[InputRequired(_l("Choose who receives the work."))])
    fingerprint = HiddenField(validators=[Optional(), Length(max=64)])

    def with_people(self, departing, receiving) -> HandOverForm:
        blank = [SelectChoice("", gettext("Choose…"))]
        self.from_id.choices = blank + [SelectChoice(u.id, _staff_label(u)) for u in departing]
        self.to_id.choices = blank + [SelectChoice(u.id, u.name) for u in receiving]
        return self


def _staff_label(user) -> str:
    if user.active:
        return user.name
    return gettext("%(name)s (deactivated)", name=user.name)


# Security (/admin/security) and a staff member's second factor -----------------------------

class SecurityForm(Form):
    """Which roles must use two-factor authentication; the version the page showed (0:
    nothing saved yet, the configuration's rule)."""

    managers = BooleanField(_l("Managers"))
    advisors = BooleanField(_l("Advisors"))
    mentors = BooleanField(_l("Mentors"))
    version = HiddenField(filters=[_version])


class TwoFactorResetForm(Form):
    """A manager's reset of someone's second factor, from the version their page showed."""

    version = HiddenField(validators=[InputRequired()], filters=[_version])
