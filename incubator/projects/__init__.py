"""Projects: idea submission, a holder's projects, the project page."""

from flask import Blueprint

bp = Blueprint("projects", __name__)

from . import routes, routes_people  # noqa: E402,F401
