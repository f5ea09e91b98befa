"""Forms of the working groups: a group (name, kind, theme, description), a participant's
joining day, a meeting (day, start and end times in the pole's time zone, place, agenda,
minutes) and one person's attendance."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..forms import Form, at_most, strip
from ..i18n import pole_today as today
from ..labels import ATTENDANCE_LABELS, GROUP_KIND_LABELS


def pole_zone() -> ZoneInfo:
    """The pole's time zone (``BABEL_DEFAULT_TIMEZONE``, Europe/Paris) as a ``ZoneInfo``:
    ``datetime.combine`` with it gives the right offset on either side of a DST change."""
    return ZoneInfo(str(get_timezone()))


class GroupForm(Form):
    """Create or edit a group (``version``: the one the page showed)."""

    name = StringField(_l("Name"), filters=[strip],
                       validators=[InputRequired(_l("Give the group a name.")),
                                   at_most(160)],
                       render_kw={"maxlength": 160, "autocomplete": "off"})
    kind = SelectField(_l("Kind"),
                       choices=[SelectChoice(code, label)
                                for code, label in GROUP_KIND_LABELS.items()],
                       validators=[InputRequired(_l("Choose a kind."))])
    theme = StringField(_l("Theme"), filters=[strip],
                        validators=[at_most(120)],
                        render_kw={"maxlength": 120, "list": "group-theme-suggestions",
                                   "autocomplete": "off"})
    description = TextAreaField(_l("Description"), filters=[strip],
                                validators=[at_most(5000)],
                                render_kw={"maxlength": 5000, "rows": 4})
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def values(self) -> dict:
        return {"name": self.name.data, "kind": self.kind.data, "theme": self.theme.data or "",
                "description": self.description.data or ""}


class JoinForm(Form):
    """The day an organisation or a project joined (today by default)."""

    joined_on = DateField(_l("Joined on"),
                          validators=[InputRequired(_l("Choose the day it joined."))],
                          invalid_value_message=_l("Enter a date, for example 2025-03-31."))

    def fresh(self) -> JoinForm:
        if self.joined_on.data is None and not self.is_submitted():
            self.joined_on.data = today()
        return self


class MeetingForm(Form):
    """A meeting: its day and times typed in the pole's time zone (``starts_at`` and
    ``ends_at`` give them as aware UTC datetimes), place, agenda, minutes."""

    day = DateField(_l("Day"), validators=[InputRequired(_l("Choose the day."))],
                    invalid_value_message=_l("Enter a date, for example 2025-03-31."))
    starts = TimeField(_l("Starts at"), validators=[InputRequired(_l("Enter the time it starts."))],
                       invalid_value_message=_l("Enter a time, for example 18:30."))
    ends = TimeField(_l("Ends at"), validators=[Optional()],
                     invalid_value_message=_l("Enter a time, for example 20:00."))
    place = StringField(_l("Place"), filters=[strip],
                        validators=[at_most(200)],
                        render_kw={"maxlength": 200})
    agenda = TextAreaField(_l("Agenda"), filters=[strip],
                           validators=[at_most(5000)],
                           render_kw={"maxlength": 5000, "rows": 4})
    minutes = TextAreaField(_l("Minutes"), filters=[strip],
                            validators=[at_most(20000)],
                            render_kw={"maxlength": 20000, "rows": 8})
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def validate_ends(self, field) -> None:
        if field.data is not None and self.starts.data is not None \
                and field.data <= self.starts.data:
            raise ValidationError(_("The end must come after the start."))

    @staticmethod
    def _moment(day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=pole_zone()).astimezone(ZoneInfo("UTC"))

    @property
    def starts_at(self) -> datetime:
        return self._moment(self.day.data, self.starts.data)

    @property
    def ends_at(self) -> datetime | None:
        return self._moment(self.day.data, self.ends.data) if self.ends.data else None

    def values(self) -> dict:
        return {"starts_at": self.starts_at, "ends_at": self.ends_at,
                "place": self.place.data or "", "agenda": self.agenda.data or "",
                "minutes": self.minutes.data or ""}

    @classmethod
    def for_meeting(cls, meeting, **kwargs) -> MeetingForm:
        """The form filled from ``meeting`` (its times in the pole's time zone)."""
        zone = pole_zone()
        start = meeting.starts_at.astimezone(zone)
        end = meeting.ends_at.astimezone(zone) if meeting.ends_at else None
        return cls(day=start.date(), starts=start.time(), ends=end.time() if end else None,
                   place=meeting.place, agenda=meeting.agenda, minutes=meeting.minutes,
                   version=meeting.version, **kwargs)


class AttendanceForm(Form):
    """Someone at a meeting: a person offered by the page (``person``: "c<contact id>",
    "u<user id>"), or a name typed; their status."""

    person = SelectField(_l("Person"), choices=[], validate_choice=False)
    name = StringField(_l("Or another name"), filters=[strip],
                       validators=[at_most(120)],
                       render_kw={"maxlength": 120, "autocomplete": "off"})
    status = SelectField(_l("Attendance"),
                         choices=[SelectChoice(code, label)
                                  for code, label in ATTENDANCE_LABELS.items()],
                         validators=[InputRequired(_l("Choose present, excused or absent."))])
