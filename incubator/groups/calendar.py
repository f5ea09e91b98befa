"""A group's meetings as an iCalendar file (RFC 5545), built with the ``icalendar`` library,
which escapes the text (commas, semicolons, line breaks) and folds long lines.

One VEVENT per meeting: its stable UID, DTSTAMP (when the file is made), DTSTART and DTEND
in UTC (``…Z``: no VTIMEZONE needed, calendars show them in the reader's own zone), SUMMARY
(the group's name), LOCATION, DESCRIPTION (the agenda), SEQUENCE (the meeting's version: a
calendar that imported it knows it changed) and STATUS (CANCELLED for a cancelled one).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from ..models import GroupMeeting, WorkingGroup

PRODID = "-//Incubateur//Groupes de travail//FR"


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def group_calendar(group: WorkingGroup, meetings: list[GroupMeeting],
                   now: datetime) -> bytes:
    """The calendar of ``group``'s ``meetings`` (UTF-8 bytes, CRLF line ends)."""
    # Imported here: ~3 MiB of modules that only this download needs (docs/performance.md).
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", group.name)
    for meeting in meetings:
        event = Event()
        event.add("uid", meeting.uid)
        event.add("dtstamp", _utc(now))
        event.add("dtstart", _utc(meeting.starts_at))
        if meeting.ends_at is not None:
            event.add("dtend", _utc(meeting.ends_at))
        event.add("summary", group.name)
        if meeting.place:
            event.add("location", meeting.place)
        if meeting.agenda:
            event.add("description", meeting.agenda)
        event.add("sequence", meeting.version - 1)
        event.add("status", "CANCELLED" if meeting.cancelled_at else "CONFIRMED")
        event.add("last-modified", _utc(meeting.updated_at))
        calendar.add_component(event)
    return calendar.to_ical()


def filename(group: WorkingGroup) -> str:
    """A file name any system takes: the name's ASCII letters and digits, dashes between."""
    ascii_name = unicodedata.normalize("NFKD", group.name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:60].strip("-")
    return f"{slug or 'groupe'}-{group.id}.ics"
