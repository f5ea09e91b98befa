"""Working groups and cooperative workshops (/groups): staff keep the pole's thematic groups,
the organisations and projects taking part, their meetings (agenda, minutes, attendance) and
an iCalendar file of the meetings; the project and member pages show their groups."""

from flask import Blueprint

bp = Blueprint("groups", __name__)
