"""Mentoring (parrainage): staff link an organisation of the directory to a project as its
mentor, end the link, and log the volunteer hours given; suggestions with their reasons,
distances from the communes reference; totals per mentorship, organisation and project."""

from flask import Blueprint

bp = Blueprint("mentoring", __name__)
