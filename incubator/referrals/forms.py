"""Forms of referrals: add one (partner, direction, date, reason, outcome), change one
(outcome, note, reason; version-checked), delete one (version); and the partner fields
the board's close form adds when a project is redirected (``partner_choices_for``)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import HiddenInput

from ..forms import Form, NullableSelectField, at_most, strip
from ..i18n import pole_today as today
from ..labels import REFERRAL_DIRECTION_LABELS as DIRECTION_LABELS
from ..labels import REFERRAL_OUTCOME_LABELS as OUTCOME_LABELS
from ..models import Partner


def partner_select_choices(partners: list[Partner], blank: str) -> list[SelectChoice]:
    """Choices of a partner select: ``blank`` first (no partner), then ``partners`` by the
    name they show (plain text the select escapes)."""
    return [SelectChoice("", blank)] + [SelectChoice(p.id, p.display_name) for p in partners]


class ChangeForm(Form):
    """Change a referral's outcome, its note and its reason (version-checked)."""

    outcome = SelectField(
        _l("Follow-up"),
        choices=[SelectChoice(code, label) for code, label in OUTCOME_LABELS.items()],
        validators=[InputRequired(_l("Choose an outcome."))])
    outcome_note = TextAreaField(
        _l("Note on the outcome"), filters=[strip], validators=[at_most(2000)],
        render_kw={"maxlength": 2000, "rows": 2})
    reason = TextAreaField(
        _l("Reason"), filters=[strip], validators=[at_most(2000)],
        description=_l("Why the project was referred: for the pole's staff only."),
        render_kw={"maxlength": 2000, "rows": 3})
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class ReferralForm(ChangeForm):
    """Add a referral: the partner (among those not archived), the direction and date too."""

    partner_id = NullableSelectField(
        _l("Partner body"), validators=[InputRequired(_l("Choose the partner body."))])
    direction = SelectField(
        _l("Direction"),
        choices=[SelectChoice(code, label) for code, label in DIRECTION_LABELS.items()],
        validators=[InputRequired(_l("Choose a direction."))])
    referred_on = DateField(
        _l("Date"), validators=[InputRequired(_l("Choose the date of the referral."))],
        invalid_value_message=_l("Enter a date, for example 2025-03-31."))

    @classmethod
    def with_partners(cls, partners: list[Partner], **kwargs) -> ReferralForm:
        form = cls(**kwargs)
        form.partner_id.choices = partner_select_choices(partners, _("Choose a partner…"))
        if not form.is_submitted():
            form.referred_on.data = form.referred_on.data or today()
            form.outcome.data = form.outcome.data or "pending"
        return form


class DeleteForm(Form):
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
