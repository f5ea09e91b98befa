"""Forms of mentoring: link an organisation (role, contact person, start date), end a
mentorship (end date, version), log hours (day, decimal hours, note)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from ..forms import Form, LazyText, LocalDecimalField, NullableSelectField, strip
from ..i18n import pole_today as today
from ..labels import MENTORSHIP_ROLE_LABELS as ROLE_LABELS
from ..models import Organisation, Project, User
from ..numbers import local_number
from ..permissions import can_manage_mentoring


class LinkForm(Form):
    """Link an organisation (chosen beforehand: ``organisation_id``) to a project."""

    organisation_id = HiddenField()
    role = SelectField(_l("Role"),
                       choices=[SelectChoice(code, label) for code, label in ROLE_LABELS.items()],
                       validators=[InputRequired(_l("Choose a role."))])
    contact_id = NullableSelectField(_l("Contact person"))
    started_on = DateField(_l("Start date"),
                           validators=[InputRequired(_l("Choose the date it starts."))],
                           invalid_value_message=_l("Enter a date, for example 2025-03-31."))

    @classmethod
    def for_organisation(cls, organisation: Organisation, **kwargs) -> LinkForm:
        """The form with that organisation's contact people (names: plain text the select
        escapes), start date today by default."""
        form = cls(**kwargs)
        form.contact_id.choices = [SelectChoice("", _("No contact person yet"))] + [
            SelectChoice(contact.id, contact.name) for contact in organisation.contacts]
        form.organisation_id.data = str(organisation.id)
        if form.started_on.data is None and not form.is_submitted():
            form.started_on.data = today()
        return form


class ChangeForm(LinkForm):
    """Change a mentorship's role, contact person or start date (version-checked)."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    @classmethod
    def for_mentorship(cls, mentorship, organisation: Organisation, **kwargs) -> ChangeForm:
        """The form filled from ``mentorship`` (unless the request carries one)."""
        if kwargs.get("formdata", True) is None:
            kwargs.update(role=mentorship.role, contact_id=mentorship.contact_id,
                          started_on=mentorship.started_on, version=mentorship.version)
        return cls.for_organisation(organisation, **kwargs)


class EndForm(Form):
    """End a mentorship: the end date (today by default) and the version seen."""

    ended_on = DateField(_l("End date"),
                         validators=[InputRequired(_l("Choose the date it ends."))],
                         invalid_value_message=_l("Enter a date, for example 2025-03-31."))
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class HoursForm(Form):
    """Hours given on a day: decimals typed either way ("1,5" or "1.5")."""

    worked_on = DateField(_l("Day"), validators=[InputRequired(_l("Choose the day."))],
                          invalid_value_message=_l("Enter a date, for example 2025-03-31."))
    hours = LocalDecimalField(
        _l("Hours"), places=2, example=lambda: local_number(Decimal("1.5")),
        validators=[InputRequired(_l("Enter the hours given, for example 1,5.")),
                    NumberRange(min=Decimal("0.01"), max=24,
                                message=_l("Enter between 0 and 24 hours."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off", "size": 6})
    note = TextAreaField(
        _l("Note"), filters=[strip],
        validators=[Length(max=1000, message=LazyText(lambda: ngettext(
            "At most %(num)d character.", "At most %(num)d characters.", 1000)))],
        render_kw={"maxlength": 1000, "rows": 2})

    def fresh(self) -> HoursForm:
        if self.worked_on.data is None and not self.is_submitted():
            self.worked_on.data = today()
        return self


def section_forms(user: User, project: Project) -> dict[str, object]:
    """The section's blank forms (the hours and end forms are one each, rendered per
    mentorship): for staff; the hours form for anyone who may log hours is given too
    (the template asks ``can_log_hours`` per mentorship)."""
    return {"hours_form": HoursForm(formdata=None).fresh(),
            "end_form": EndForm(formdata=None, ended_on=today())
            if can_manage_mentoring(user) else None}
