"""Forms of accompaniment time: log time (day, duration typed the way people type it, kind
of contact, advisor for managers, note), change an entry (the same, version-checked), delete
one (version-checked); and the section's blank form."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..forms import Form, LazyText, NullableSelectField, at_most, strip
from ..i18n import pole_today
from ..labels import ACCOMPANIMENT_KIND_LABELS as KIND_LABELS
from ..models import AccompanimentTime, Project, User
from ..permissions import can_log_accompaniment, can_log_accompaniment_for_others
from ..reference import staff_members
from .durations import DurationRefused, examples, parse_duration


class TimeForm(Form):
    """Time spent on a project: ``minutes`` holds the duration read (after validation)."""

    spent_on = DateField(_l("Day"), validators=[InputRequired(_l("Choose the day."))],
                         invalid_value_message=_l("Enter a date, for example 2025-03-31."))
    duration = StringField(
        _l("Duration"), filters=[strip],
        # Required like the day and the kind (marked so in its label); empty, the same
        # message as the parser's.
        validators=[InputRequired(LazyText(lambda: _("Enter the duration, %(examples)s.",
                                                     examples=examples()))), at_most(40)],
        description=_l("For example 1 h 30, 90 min or 1,5 (hours)."),
        render_kw={"maxlength": 40, "autocomplete": "off", "size": 10})
    kind = SelectField(_l("Kind of contact"),
                       choices=[SelectChoice(code, label) for code, label in KIND_LABELS.items()],
                       validators=[InputRequired(_l("Choose a kind of contact."))])
    advisor_id = NullableSelectField(_l("Spent by"), validators=[Optional()],
                                     validate_choice=False)
    note = TextAreaField(_l("Note (staff only)"), filters=[strip], validators=[at_most(2000)],
                         render_kw={"maxlength": 2000, "rows": 2})
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    minutes: int | None = None

    def for_project(self, user: User, project: Project,
                    entry: AccompanimentTime | None = None) -> TimeForm:
        """Fit the form to ``user`` and ``project``: the advisor picker for managers only
        (with the entry's advisor kept when they left the team)."""
        if not can_log_accompaniment_for_others(user):
            del self.advisor_id
            return self
        staff = staff_members()
        choices = [SelectChoice(person.id, person.name) for person in staff]
        if entry is not None and entry.advisor is not None and all(
                person.id != entry.advisor_id for person in staff):
            choices.append(SelectChoice(entry.advisor_id, entry.advisor.name))
        self.advisor_id.choices = choices
        if not self.is_submitted() and self.advisor_id.data is None:
            self.advisor_id.data = entry.advisor_id if entry is not None else user.id
        return self

    def validate_duration(self, field) -> None:
        try:
            self.minutes = parse_duration(field.data)
        except DurationRefused as refusal:
            raise ValidationError(str(refusal)) from None

    def validate_spent_on(self, field) -> None:
        if field.data is None:
            return
        if field.data > pole_today():
            raise ValidationError(_("The day cannot be in the future: log the time once it "
                                    "is spent."))

    def validate_advisor_id(self, field) -> None:
        if field.data is None:
            raise ValidationError(_("Choose who spent the time."))


class DeleteForm(Form):
    """Delete an entry: the version seen."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


def blank_form(user: User, project: Project) -> TimeForm:
    """The logging form as first shown: today, an individual meeting, the user."""
    form = TimeForm(formdata=None, spent_on=pole_today(), kind="individual_meeting")
    return form.for_project(user, project)


def section_forms(user: User, project: Project) -> dict[str, object]:
    """The section's blank logging form, for staff (None for others)."""
    if not can_log_accompaniment(user, project):
        return {"time_form": None}
    return {"time_form": blank_form(user, project)}
