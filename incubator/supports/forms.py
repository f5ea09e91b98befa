"""Forms of supports: add one (partner, kind, amount typed the French way, status and its
date, programme, comment), move its status (new status, date, amount at this step,
comment), change its partner, kind, programme or comment, delete it (each version-checked
but the first)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..forms import Form, LazyText, LocalDecimalField, NullableSelectField, at_most, strip
from ..i18n import pole_today as today
from ..labels import SUPPORT_KIND_LABELS as KIND_LABELS
from ..labels import SUPPORT_STATUS_LABELS as STATUS_LABELS
from ..models import FINANCIAL_SUPPORT_KINDS, Partner, Project, User
from ..numbers import local_number
from ..permissions import can_manage_supports

MAX_AMOUNT = 100_000_000  # euros
AMOUNT_RANGE = _l("Enter an amount between 0 and 100 million euros.")


def _amount_field(label) -> LocalDecimalField:
    return LocalDecimalField(
        label, places=2, example=lambda: local_number(Decimal("12500.5"), decimals=2),
        validators=[Optional(), NumberRange(
            min=0, max=MAX_AMOUNT, message=AMOUNT_RANGE)],
        description=LazyText(lambda: _(
            "In euros, for example %(example)s. Required for a grant, a loan, an honour "
            "loan or a guarantee.", example=local_number(Decimal("12500.5"), decimals=2))),
        render_kw={"inputmode": "decimal", "autocomplete": "off", "size": 14})


def _partner_label(partner: Partner) -> str:
    return partner.display_name + (_(" (archived)") if partner.is_archived else "")


class _PartnerKindFields(Form):
    partner_id = NullableSelectField(_l("Partner"),
                                     validators=[InputRequired(_l("Choose a partner."))])
    kind = SelectField(_l("Kind of support"),
                       choices=[SelectChoice(code, label) for code, label in KIND_LABELS.items()],
                       validators=[InputRequired(_l("Choose a kind of support."))])
    programme = StringField(_l("Programme or call"), filters=[strip],
                            validators=[at_most(200)], render_kw={"maxlength": 200})
    comment = TextAreaField(_l("Comment (staff only)"), filters=[strip],
                            validators=[at_most(2000)],
                            render_kw={"maxlength": 2000, "rows": 3})

    def with_partners(self, partners: list[Partner]):
        """The partner choices (names: plain text the select escapes)."""
        self.partner_id.choices = [SelectChoice("", _("Choose a partner"))] + [
            SelectChoice(p.id, _partner_label(p)) for p in partners]
        return self


class AddForm(_PartnerKindFields):
    """A new support: its first status (envisaged by default) and the day of it (today)."""

    amount = _amount_field(_l("Amount (EUR)"))
    status = SelectField(_l("Status"),
                         choices=[SelectChoice(code, label)
                                  for code, label in STATUS_LABELS.items()],
                         validators=[InputRequired(_l("Choose a status."))])
    status_on = DateField(_l("Date of this status"),
                          validators=[InputRequired(_l("Choose the date."))],
                          invalid_value_message=_l("Enter a date, for example 2025-03-31."))

    def validate_amount(self, field) -> None:
        if field.data is None and not field.errors and self.kind.data in FINANCIAL_SUPPORT_KINDS:
            raise ValidationError(_("Enter the amount of this support, for example %(example)s.",
                                    example=local_number(12500)))

    def fresh(self) -> AddForm:
        if not self.is_submitted():
            self.status_on.data = self.status_on.data or today()
            self.status.data = self.status.data or "envisaged"
        return self


class ChangeForm(_PartnerKindFields):
    """Change a support's partner, kind, programme or comment (version-checked)."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class StatusForm(Form):
    """Move a support's status: the new one (checked against the allowed moves by the
    service), its day, the amount at this step (prefilled with the current one), a comment."""

    to_status = SelectField(_l("New status"),
                            choices=[SelectChoice(code, label)
                                     for code, label in STATUS_LABELS.items()],
                            validators=[InputRequired(_l("Choose a status."))])
    changed_on = DateField(_l("Date"), validators=[InputRequired(_l("Choose the date."))],
                           invalid_value_message=_l("Enter a date, for example 2025-03-31."))
    amount = _amount_field(_l("Amount at this step (EUR)"))
    comment = TextAreaField(_l("Comment (staff only)"), filters=[strip],
                            validators=[at_most(2000)],
                            render_kw={"maxlength": 2000, "rows": 2})
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class DeleteForm(Form):
    """Delete a support: the version seen."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


def section_forms(user: User, project: Project) -> dict[str, object]:
    """The section's blank status form (one, rendered per support), for staff."""
    if not can_manage_supports(user, project):
        return {"status_form": None}
    return {"status_form": StatusForm(formdata=None, changed_on=today())}
