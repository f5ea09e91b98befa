"""Projects: idea submission, a holder's projects, the project page."""

from flask import Blueprint

bp = Blueprint("projects", __name__)
